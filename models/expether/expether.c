/*
 * expether.link: an ExpEther bridge pair (PCI Express over Ethernet) and the 40GbE path between
 * them, both directions, as one component (docs/models/expether.md derives every number below).
 *
 * The host-side bridge sits in the node's PCIe slot: it is the endpoint of the node's pcie.link
 * (host_in <- ep_rx, host_out -> ep_tx). The device-side bridge, in the I/O box, is the root of
 * the device's pcie.link (dev_out -> rc_tx, dev_in <- rc_rx). Each TLP crosses in one Ethernet
 * frame:
 *
 *   preamble+SFD 8 | MAC header 14 | ExpEther encapsulation E | TLP header 12/16 | payload | FCS 4
 *   then 12 bytes of inter-frame gap; header to FCS padded to the 64-byte minimum frame
 *
 * DOWN: host_in -> [encapsulate, MAC TX] == frame ==> switches ==> [MAC RX, decapsulate] -> dev_out
 * UP:   dev_in  -> the same the other way                                                ->
 * host_out
 *
 * One tick at an edge t, per direction, in this order:
 *   1. credits: every credit whose return time is at or before t is back (the receiving bridge's
 *      buffer, `rx_buffer` bytes of TLP, returned when it hands a TLP on);
 *   2. delivery: at most one TLP whose arrival time (end of its FCS + path + rx_latency) is at or
 *      before t is pushed to the output port, in order; its credit returns credit_latency later;
 *   3. transmission, while the wire would run dry before the next edge (free <= t + tx_latency +
 *      period) and the receiver's buffer has room: the TLP at the head of the input port becomes
 *      a frame starting at max(t + tx_latency, free).
 * Every time is computed from events, so the fast and the every-cycle kernel decide the same
 * things at the same edges. Frames are never lost (docs/models/expether.md, "Not modelled").
 */
#include "expether.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/proto/pcie.h"
#include "sim/core/ring.h"
#include "sim/core/util.h"

enum {
    DIR_DOWN = 0,
    DIR_UP,
    DIR_MAX
};

typedef struct EeParams {
    SimDomain *domain;
    double rate;
    uint64_t mps;
    uint64_t encap;
    SimTime tx_latency;
    SimTime rx_latency;
    uint64_t switches;
    SimTime switch_latency;
    double cable;
    SimTime delay_per_m;
    uint64_t rx_buffer;
} EeParams;

typedef struct EeFrame {
    SimPacket *tlp;
    SimTime arrive; /* checked and decapsulated at the far bridge */
    SimTime taken;  /* when the near bridge took it (transit statistics) */
} EeFrame;

typedef struct EeCredit {
    SimTime at;
    uint32_t bytes;
} EeCredit;

typedef struct EeDirStats {
    uint64_t frames;
    uint64_t tlp_bytes;     /* TLP headers and payload */
    uint64_t payload_bytes; /* TLP payload */
    uint64_t wire_bytes;    /* frames with preamble and inter-frame gap */
    uint64_t credit_stalls;
    uint64_t credit_stall_ps;
    uint64_t delivered;
    uint64_t transit_ps; /* taken to pushed, summed */
    SimTime data_start;
    SimTime data_end;
    double util;
    double payload_gbps;
    double transit_ns;
} EeDirStats;

typedef struct EeDir {
    SimPort *in;
    SimPort *out;
    SimTime free; /* the wire is free for the next frame's preamble from here */
    uint64_t outstanding;
    EeFrame *line;
    SimRing lr; /* frames in flight and waiting at the far bridge, in order */
    EeCredit *cred;
    SimRing cr; /* credits on their way back */
    uint64_t head_id;
    SimTime head_blocked;
    bool head_waiting;
    EeDirStats st;
} EeDir;

typedef struct Ee {
    SimComponent c;
    EeParams p;
    SimTime byte_ps;        /* one byte on the wire */
    SimTime path;           /* end of a frame to its end at the far bridge's MAC */
    SimTime credit_latency; /* handed on to the credit usable at the sender */
    EeDir dir[DIR_MAX];
} Ee;

static const char *const dir_names[DIR_MAX] = {"down", "up"};

/* ---- frame arithmetic (docs/models/expether.md section 2) ---- */

uint32_t expether_frame_bytes(uint32_t encap, uint32_t tlp_bytes)
{
    uint32_t mac = EXPETHER_MAC_HEADER + encap + tlp_bytes + EXPETHER_FCS;
    if (mac < EXPETHER_MIN_FRAME) {
        mac = EXPETHER_MIN_FRAME;
    }
    return EXPETHER_PREAMBLE + mac;
}

static uint32_t tlp_bytes(const SimPacket *pkt)
{
    return pcie_tlp_header_bytes(pkt) + pcie_tlp_payload(pkt);
}

static SimCycle cycle_at(const Ee *e, SimTime t)
{
    return sim_domain_cycle_at_or_after(e->c.domain, t);
}

static SimCycle min_cycle(SimCycle a, SimCycle b)
{
    return a < b ? a : b;
}

static bool fits(const Ee *e, const EeDir *d, uint32_t bytes)
{
    return d->outstanding + bytes <= e->p.rx_buffer;
}

/* ---- the tick ---- */

static void credits(EeDir *d, SimTime now)
{
    while (!sim_ring_empty(&d->cr) && d->cred[sim_ring_head(&d->cr)].at <= now) {
        d->outstanding -= d->cred[sim_ring_pop(&d->cr)].bytes;
    }
}

static void deliver(Ee *e, EeDir *d, SimTime now)
{
    if (sim_ring_empty(&d->lr) || d->line[sim_ring_head(&d->lr)].arrive > now ||
        !sim_port_can_push(d->out)) {
        return;
    }
    const EeFrame *f = &d->line[sim_ring_pop(&d->lr)];
    uint32_t bytes = tlp_bytes(f->tlp);
    d->cred[sim_ring_push(&d->cr)] = (EeCredit){now + e->credit_latency, bytes};
    d->st.delivered++;
    d->st.transit_ps += now - f->taken;
    sim_port_push(d->out, f->tlp);
}

static void transmit(Ee *e, int k, SimTime now)
{
    EeDir *d = &e->dir[k];
    SimTime period = e->c.domain->period;
    SimPacket *pkt;
    while ((pkt = sim_port_peek(d->in)) != NULL) {
        SimTime ready = now + e->p.tx_latency;
        if (d->free > ready + period) {
            return; /* the wire is busy past the next edge */
        }
        uint32_t payload = pcie_tlp_payload(pkt);
        if (payload > e->p.mps) {
            sim_fail(e->c.sim,
                     "instance '%s': a TLP going %s carries %u bytes, above mps %llu: give every "
                     "PCIe model on the ExpEther path the same mps",
                     e->c.name, dir_names[k], payload, (unsigned long long)e->p.mps);
            return;
        }
        uint32_t bytes = tlp_bytes(pkt);
        if (!fits(e, d, bytes)) {
            if (!d->head_waiting || d->head_id != pkt->id) {
                d->head_waiting = true;
                d->head_id = pkt->id;
                d->head_blocked = now;
                d->st.credit_stalls++;
            }
            return;
        }
        if (d->head_waiting && d->head_id == pkt->id) {
            d->st.credit_stall_ps += now - d->head_blocked;
            d->head_waiting = false;
        }
        sim_port_pop(d->in);
        uint32_t fb = expether_frame_bytes((uint32_t)e->p.encap, bytes);
        SimTime start = d->free > ready ? d->free : ready;
        SimTime end = start + (SimTime)fb * e->byte_ps;
        d->free = end + (SimTime)EXPETHER_IFG * e->byte_ps;
        d->outstanding += bytes;
        d->line[sim_ring_push(&d->lr)] = (EeFrame){pkt, end + e->path + e->p.rx_latency, now};
        EeDirStats *st = &d->st;
        st->frames++;
        st->tlp_bytes += bytes;
        st->wire_bytes += fb + EXPETHER_IFG;
        if (payload > 0) {
            if (st->payload_bytes == 0) {
                st->data_start = start;
            }
            st->payload_bytes += payload;
            st->data_end = end;
        }
    }
}

static SimCycle dir_wake(const Ee *e, const EeDir *d, SimCycle now)
{
    SimCycle next = SIM_SLEEP;
    if (!sim_ring_empty(&d->lr)) {
        SimCycle a = cycle_at(e, d->line[sim_ring_head(&d->lr)].arrive);
        if (a > now) {
            next = a;
        } else if (sim_port_can_push(d->out)) {
            next = now + 1; /* one TLP per cycle */
        }                   /* else the output port wakes it */
    }
    const SimPacket *pkt = sim_port_peek(d->in);
    if (pkt != NULL) {
        if (fits(e, d, tlp_bytes(pkt))) {
            SimTime lead = e->p.tx_latency + e->c.domain->period;
            SimTime room = d->free > lead ? d->free - lead : 0;
            SimCycle c = cycle_at(e, room);
            next = min_cycle(next, c > now ? c : now + 1);
        } else if (!sim_ring_empty(&d->cr)) {
            SimCycle c = cycle_at(e, d->cred[sim_ring_head(&d->cr)].at);
            next = min_cycle(next, c > now ? c : now + 1);
        }
    }
    return next;
}

static SimCycle ee_tick(SimComponent *c, SimCycle now)
{
    Ee *e = (Ee *)c;
    SimTime t = c->sim->now;
    for (int k = 0; k < DIR_MAX; k++) {
        credits(&e->dir[k], t);
        deliver(e, &e->dir[k], t);
        credits(&e->dir[k], t); /* a credit_latency of 0 frees it at once */
        transmit(e, k, t);
    }
    SimCycle next = SIM_SLEEP;
    for (int k = 0; k < DIR_MAX; k++) {
        next = min_cycle(next, dir_wake(e, &e->dir[k], now));
    }
    return next;
}

static bool ee_busy(const SimComponent *c)
{
    const Ee *e = (const Ee *)c;
    return !sim_ring_empty(&e->dir[0].lr) || !sim_ring_empty(&e->dir[1].lr);
}

static void ee_dump(const SimComponent *c, SimError *report)
{
    const Ee *e = (const Ee *)c;
    for (int k = 0; k < DIR_MAX; k++) {
        sim_error_append(report, " (%s: %u frames in flight or waiting, %llu of %llu B credited)",
                         dir_names[k], e->dir[k].lr.count,
                         (unsigned long long)e->dir[k].outstanding,
                         (unsigned long long)e->p.rx_buffer);
    }
}

static void ee_finish(SimComponent *c, SimTime end)
{
    Ee *e = (Ee *)c;
    for (int k = 0; k < DIR_MAX; k++) {
        EeDirStats *st = &e->dir[k].st;
        double capacity = end ? (double)end / (double)e->byte_ps : 0.0;
        st->util = capacity > 0 ? (double)st->wire_bytes / capacity : 0.0;
        if (st->util > 1.0) {
            st->util = 1.0; /* frames committed ahead of the end of the run */
        }
        SimTime span = st->data_end > st->data_start ? st->data_end - st->data_start : 0;
        st->payload_gbps = span ? (double)st->payload_bytes * 1000.0 / (double)span : 0.0;
        st->transit_ns =
            st->delivered ? (double)st->transit_ps / 1000.0 / (double)st->delivered : 0.0;
    }
}

static void ee_destroy(SimComponent *c)
{
    Ee *e = (Ee *)c;
    for (int k = 0; k < DIR_MAX; k++) {
        free(e->dir[k].line);
        free(e->dir[k].cred);
    }
}

static const SimComponentOps ee_ops = {
    .tick = ee_tick,
    .finish = ee_finish,
    .busy = ee_busy,
    .dump = ee_dump,
    .destroy = ee_destroy,
};

/* ---- parameters ---- */

#define P(f) offsetof(EeParams, f)

static const SimParamDesc ee_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock of the bridges' TLP logic (their PCIe cores' 250 MHz)"},
    {"rate", SIM_PARAM_BITRATE, P(rate), "40Gbps", "1Gbps", "400Gbps", NULL,
     "Ethernet MAC data rate (a byte must last a whole number of ps)"},
    {"mps", SIM_PARAM_BYTES, P(mps), "128B", "128B", "4KiB", NULL,
     "max payload size the bridges support (power of two): a larger TLP fails the run"},
    {"encap", SIM_PARAM_BYTES, P(encap), "32B", "0B", "256B", NULL,
     "ExpEther encapsulation per frame, between the MAC header and the TLP header"},
    {"tx_latency", SIM_PARAM_TIME, P(tx_latency), "100ns", "0", "100us", NULL,
     "sending bridge: TLP taken to the frame's first byte on the wire"},
    {"rx_latency", SIM_PARAM_TIME, P(rx_latency), "130ns", "0", "100us", NULL,
     "receiving bridge: frame's last byte in to the TLP ready for its PCIe port"},
    {"switches", SIM_PARAM_UINT, P(switches), "1", "0", "8", NULL,
     "cut-through Ethernet switches between the bridges"},
    {"switch_latency", SIM_PARAM_TIME, P(switch_latency), "300ns", "0", "100us", NULL,
     "each switch: first byte in to first byte out"},
    {"cable", SIM_PARAM_LENGTH, P(cable), "2m", "0", "10km", NULL,
     "length of each cable (switches + 1 of them)"},
    {"delay_per_m", SIM_PARAM_TIME, P(delay_per_m), "5ns", "0", "1us", NULL,
     "propagation delay per metre of cable"},
    {"rx_buffer", SIM_PARAM_BYTES, P(rx_buffer), "32KiB", "256B", "16MiB", NULL,
     "each receiving bridge's buffer of TLP bytes, credited back to the sender"},
};

#undef P

static const SimPortDesc ee_ports[] = {
    {"host_in", SIM_PORT_IN, false, "TLPs from the node's pcie.link (its ep_rx)"},
    {"host_out", SIM_PORT_OUT, false, "TLPs to the node's pcie.link (its ep_tx)"},
    {"dev_in", SIM_PORT_IN, false, "TLPs from the device's pcie.link (its rc_rx)"},
    {"dev_out", SIM_PORT_OUT, false, "TLPs to the device's pcie.link (its rc_tx)"},
};

static const char *ee_check(const void *params, char *msg, size_t size)
{
    const EeParams *p = params;
    double byte_ps = 8e12 / p->rate;
    if (fabs(byte_ps - round(byte_ps)) > 1e-6) {
        snprintf(msg, size,
                 "%g Gb/s: a byte would last %.4f ps; give a rate whose byte time is a whole "
                 "number of ps (10, 25, 40, 50, 100 Gb/s ...)",
                 p->rate / 1e9, byte_ps);
        return "rate";
    }
    if (!is_pow2(p->mps)) {
        snprintf(msg, size, "%lluB is not a power of two (128B, 256B, ... 4KiB)",
                 (unsigned long long)p->mps);
        return "mps";
    }
    if (p->rx_buffer < p->mps + 16) {
        snprintf(msg, size, "%lluB cannot hold one TLP of mps %lluB and a 16-byte header",
                 (unsigned long long)p->rx_buffer, (unsigned long long)p->mps);
        return "rx_buffer";
    }
    return NULL;
}

#define DIR_ROW(name_, kind_, field_, unit_, scale_, doc_)                                         \
    SIM_STAT_GROUP_ROW(0, 1, "<dir>." name_, kind_, Ee, dir[0].st.field_, sizeof(EeDir), unit_,    \
                       scale_, doc_)

static const SimStatDesc ee_stat_rows[] = {
    DIR_ROW("frames", SIM_STAT_COUNTER, frames, "frames", 1, "Ethernet frames sent (one TLP each)"),
    DIR_ROW("tlp_bytes", SIM_STAT_COUNTER, tlp_bytes, "B", 1, "TLP headers and payload carried"),
    DIR_ROW("payload_bytes", SIM_STAT_COUNTER, payload_bytes, "B", 1, "TLP payload carried"),
    DIR_ROW("wire_bytes", SIM_STAT_COUNTER, wire_bytes, "B", 1,
            "bytes on the wire: frames, preamble and inter-frame gap"),
    DIR_ROW("credit_stalls", SIM_STAT_COUNTER, credit_stalls, "TLPs", 1,
            "TLPs that waited for room in the far bridge's buffer"),
    DIR_ROW("credit_stall_ns", SIM_STAT_COUNTER, credit_stall_ps, "ns", 1000,
            "total time TLPs waited for that room"),
    DIR_ROW("delivered", SIM_STAT_COUNTER, delivered, "TLPs", 1,
            "TLPs handed to the far PCIe port"),
    DIR_ROW("transit_ns", SIM_STAT_REAL, transit_ns, "ns", 1,
            "mean time from a TLP taken to it handed on"),
    DIR_ROW("util", SIM_STAT_REAL, util, NULL, 1, "share of the wire's byte times used"),
    DIR_ROW("payload_gbps", SIM_STAT_REAL, payload_gbps, "GB/s", 1,
            "payload over the span from the first to the last data frame on the wire"),
};

#undef DIR_ROW

static const SimStatGroup ee_stat_groups[] = {
    {"<dir>", "direction: down (node to device), up", dir_names},
};

static const SimStatRoleRow ee_stat_roles[] = {
    {"<dir>.util", SIM_STAT_ROLE_UTILISATION},
};

static const SimStatTable ee_stats = {ee_stat_rows,   N_OF(ee_stat_rows),
                                      ee_stat_groups, N_OF(ee_stat_groups),
                                      ee_stat_roles,  N_OF(ee_stat_roles)};

static bool ee_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    Ee *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return sim_error_oom(err, name);
    }
    e->p = *(const EeParams *)params;
    e->byte_ps = (SimTime)llround(8e12 / e->p.rate);
    double cable_ps = e->p.cable * (double)e->p.delay_per_m;
    e->path = (SimTime)(e->p.switches + 1) * (SimTime)llround(cable_ps) +
              (SimTime)e->p.switches * e->p.switch_latency;
    /* A credit rides back in a minimum frame's header (its bandwidth is not charged). */
    e->credit_latency = e->p.tx_latency +
                        (SimTime)expether_frame_bytes((uint32_t)e->p.encap, 0) * e->byte_ps +
                        e->path + e->p.rx_latency;
    /* In flight at once: at most the buffer's worth of TLPs of 12 bytes or more. */
    uint32_t cap = (uint32_t)(e->p.rx_buffer / 12u) + 2u;
    for (int k = 0; k < DIR_MAX; k++) {
        EeDir *d = &e->dir[k];
        sim_ring_init(&d->lr, cap);
        sim_ring_init(&d->cr, cap);
        d->line = calloc(cap, sizeof(*d->line));
        d->cred = calloc(cap, sizeof(*d->cred));
        if (d->line == NULL || d->cred == NULL) {
            sim_error_oom(err, name);
            goto fail_parts;
        }
    }
    if (!sim_add_component(sim, &e->c, name, e->p.domain, &ee_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "host_in", &e->c, &e->dir[DIR_DOWN].in);
    sim_build_port(bld, "dev_out", &e->c, &e->dir[DIR_DOWN].out);
    sim_build_port(bld, "dev_in", &e->c, &e->dir[DIR_UP].in);
    sim_build_port(bld, "host_out", &e->c, &e->dir[DIR_UP].out);
    sim_build_stats(bld, &(SimStatBinding){.block = {e}, .count = {DIR_MAX}});
    return true;

fail_parts:
    ee_destroy(&e->c);
    free(e);
    return false;
}

static const SimPortFlow ee_flows[] = {
    {"host_in", SIM_FLOW_THROUGH, "dev_out"},
    {"dev_in", SIM_FLOW_THROUGH, "host_out"},
};

const SimModelType expether_link_type = {
    .name = "expether.link",
    .doc = "ExpEther bridge pair (PCIe over Ethernet) and the 40GbE path between them, both "
           "directions: one TLP per frame with Ethernet and ExpEther framing, cut-through "
           "switches, credited far-end buffers (docs/models/expether.md).",
    .params = ee_params,
    .n_params = N_OF(ee_params),
    .params_size = sizeof(EeParams),
    .ports = ee_ports,
    .n_ports = N_OF(ee_ports),
    .check = ee_check,
    .build = ee_build,
    .flows = ee_flows,
    .n_flows = N_OF(ee_flows),
    .stats = &ee_stats,
};
