/*
 * pcie.link: one PCIe Gen3 link, both directions, as one component in its own clock domain
 * (`domain`, default "pcie", 250 MHz: the hard IP's transaction-layer clock). docs/models/pcie.md
 * derives every number below.
 *
 * Two directions, DOWN (root port -> endpoint) and UP. Direction k has a transmitter end and a
 * receiver end; wire k carries direction k's TLPs and the DLLPs (Ack, UpdateFC) that direction
 * !k's receiver sends back:
 *
 *   rc_tx --> [credits, replay] ==== wire DOWN ===> [RX buffer] --> ep_rx
 *   rc_rx <-- [RX buffer] <=== wire UP ==== [credits, replay] <-- ep_tx
 *                  Acks/UpdateFC for UP ride DOWN, and the other way round
 *
 * One tick, at an edge t of the link's clock, in this order:
 *   1. arrivals: every packet on a wire whose arrival time (end of its last symbol + flight +
 *      receiver pipeline) is at or before t: a TLP enters the receiver's RX buffer and starts
 *      the Ack timer if none runs; an Ack frees the other direction's replay buffer; an UpdateFC
 *      raises the other direction's credit limit;
 *   2. delivery: at most one TLP per direction from the RX buffer to the transaction layer's
 *      port; its credits are freed then, and the UpdateFC timer of its type starts if none runs;
 *   3. transmission, per wire, while the data stream would otherwise run dry before the next
 *      edge (symbol start of the next free byte <= t + tx_latency + period): an Ack whose timer
 *      expired, else an UpdateFC whose timer expired (P, NP, Cpl), else the TLP at the head of
 *      the transaction layer's port if the receiver has the credits and the replay buffer room.
 *      The packet starts at the first place pcie_phy_place() gives at or after t + tx_latency.
 * Everything a tick reads became visible strictly earlier, and every time is computed from
 * events (arrival times, edges at which ports delivered), so the fast and the every-cycle kernel
 * take the same decisions at the same edges.
 */
#include "pcie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/ring.h"

enum {
    DIR_DOWN = 0,
    DIR_UP,
    DIR_MAX
};
enum {
    WIRE_TLP = 0,
    WIRE_ACK,
    WIRE_UPDATEFC,
    WIRE_KIND_MAX
};

typedef struct PcieLinkParams {
    SimDomain *domain;
    uint64_t lanes;
    uint64_t mps;
    uint64_t skp_interval;
    SimTime wire_delay;
    SimTime rc_tx_latency;
    SimTime rc_rx_latency;
    SimTime ep_tx_latency;
    SimTime ep_rx_latency;
    SimTime ack_latency;
    SimTime fc_interval;
    uint64_t replay_buffer;
    uint64_t rc_ph, rc_pd, rc_nph, rc_npd, rc_cplh, rc_cpld;
    uint64_t ep_ph, ep_pd, ep_nph, ep_npd, ep_cplh, ep_cpld;
} PcieLinkParams;

typedef struct WireEntry {
    SimPacket *tlp; /* WIRE_TLP */
    SimTime arrive; /* when the receiver's data-link layer has it checked */
    uint32_t seq;   /* TLP: its sequence number; Ack: the sequence acknowledged */
    uint8_t kind;
    uint8_t fc;   /* UpdateFC: credit type */
    uint64_t hdr; /* UpdateFC: header and data credit limits carried */
    uint64_t data;
} WireEntry;

typedef struct ReplayEntry {
    uint32_t seq;
    uint32_t bytes;
} ReplayEntry;

typedef struct PcieDirStats {
    uint64_t tlps;
    uint64_t mwr;
    uint64_t mrd;
    uint64_t cpld;
    uint64_t tlp_bytes; /* on the wire, framing included */
    uint64_t payload_bytes;
    uint64_t dllps;
    uint64_t acks;
    uint64_t updatefcs;
    uint64_t dllp_bytes;
    uint64_t credit_stalls; /* TLPs that waited for credits */
    uint64_t credit_stall_ps;
    uint64_t replay_stalls; /* TLPs that waited for replay-buffer room */
    uint64_t replay_stall_ps;
    uint64_t delivered;
    SimTime data_start; /* first symbol of the first TLP with payload */
    SimTime data_end;   /* end of the last TLP with payload */
    double util;
    double payload_gbps;
    double data_start_ns;
    double data_end_ns;
} PcieDirStats;

typedef struct PcieDir {
    SimPort *in;        /* TLPs from the transmitting end's transaction layer */
    SimPort *out;       /* TLPs to the receiving end's transaction layer */
    SimTime tx_latency; /* transmitter pipeline: commit to first symbol */
    SimTime rx_latency; /* receiver pipeline: last symbol to checked */
    /* transmitter */
    uint64_t free_b;  /* next free data-stream byte of this direction's wire */
    SimTime free_sym; /* start of the symbol time holding free_b (a cache) */
    uint32_t next_seq;
    uint64_t limit_h[PCIE_FC_MAX], limit_d[PCIE_FC_MAX]; /* receiver's limits as last heard */
    bool inf_h[PCIE_FC_MAX], inf_d[PCIE_FC_MAX];
    uint64_t used_h[PCIE_FC_MAX], used_d[PCIE_FC_MAX];
    ReplayEntry *replay;
    SimRing rpr; /* over replay: TLPs sent and not yet acknowledged */
    uint64_t replay_bytes;
    uint64_t head_id;     /* the TLP at the head of `in` when it started waiting */
    SimTime head_blocked; /* when it first could not go for credits or replay room */
    int head_reason;      /* 0 none, 1 credits, 2 replay */
    /* the wire */
    WireEntry *wire;
    SimRing wr; /* over wire, in arrival order */
    /* receiver */
    SimPacket **rxbuf;
    SimRing rxr;                                         /* over rxbuf */
    uint64_t alloc_h[PCIE_FC_MAX], alloc_d[PCIE_FC_MAX]; /* limits advertised */
    SimTime fc_due[PCIE_FC_MAX];
    uint32_t rcv_seq;
    SimTime ack_due;
    PcieDirStats st;
} PcieDir;

typedef struct PcieLink {
    SimComponent c;
    PcieLinkParams p;
    PciePhy phy;
    SimTime ack_latency;
    SimTime fc_interval;
    PcieDir dir[DIR_MAX];
} PcieLink;

static const char *const dir_names[DIR_MAX] = {"down", "up"};

/* ---- helpers ---- */

static uint32_t tlp_header_bytes(const SimPacket *pkt)
{
    return (pkt->flags & PCIE_F_4DW) ? 16u : 12u;
}

static uint32_t tlp_payload(const SimPacket *pkt)
{
    return pkt->type == PCIE_TLP_MRD ? 0u : pkt->len;
}

static int tlp_fc(const SimPacket *pkt)
{
    switch (pkt->type) {
    case PCIE_TLP_MWR:
        return PCIE_FC_P;
    case PCIE_TLP_MRD:
        return PCIE_FC_NP;
    default:
        return PCIE_FC_CPL;
    }
}

static uint64_t data_credits(uint32_t payload)
{
    return (payload + 15u) / 16u;
}

static SimCycle cycle_at(const PcieLink *l, SimTime t)
{
    return sim_domain_cycle_at_or_after(l->c.domain, t);
}

static SimCycle min_cycle(SimCycle a, SimCycle b)
{
    return a < b ? a : b;
}

/* ---- 1. arrivals ---- */

static bool arrivals(PcieLink *l, int k, SimTime now)
{
    PcieDir *d = &l->dir[k];
    PcieDir *o = &l->dir[!k];
    while (!sim_ring_empty(&d->wr) && d->wire[sim_ring_head(&d->wr)].arrive <= now) {
        const WireEntry *e = &d->wire[sim_ring_pop(&d->wr)];
        switch (e->kind) {
        case WIRE_TLP:
            if (sim_ring_full(&d->rxr)) {
                sim_fail(l->c.sim,
                         "instance '%s': %s RX buffer overflow (%u TLPs): the "
                         "receiving transaction layer does not drain a type advertised with "
                         "infinite credits",
                         l->c.name, dir_names[k], d->rxr.cap);
                return false;
            }
            d->rxbuf[sim_ring_push(&d->rxr)] = e->tlp;
            d->rcv_seq = e->seq;
            if (d->ack_due == SIM_TIME_NEVER) {
                d->ack_due = e->arrive + l->ack_latency;
            }
            break;
        case WIRE_ACK:
            /* Acknowledges TLPs of the other direction up to e->seq. */
            while (!sim_ring_empty(&o->rpr) &&
                   (int32_t)(o->replay[sim_ring_head(&o->rpr)].seq - e->seq) <= 0) {
                o->replay_bytes -= o->replay[sim_ring_pop(&o->rpr)].bytes;
            }
            break;
        default:
            o->limit_h[e->fc] = e->hdr;
            o->limit_d[e->fc] = e->data;
            break;
        }
    }
    return true;
}

/* ---- 2. delivery ---- */

static void deliver(PcieLink *l, int k, SimTime now)
{
    PcieDir *d = &l->dir[k];
    if (sim_ring_empty(&d->rxr) || !sim_port_can_push(d->out)) {
        return;
    }
    SimPacket *pkt = d->rxbuf[sim_ring_pop(&d->rxr)];
    int fc = tlp_fc(pkt);
    uint64_t dc = data_credits(tlp_payload(pkt));
    /* The receiver's buffer space comes back; a type with infinite credits is never updated. */
    bool finite = !d->inf_h[fc] || (!d->inf_d[fc] && dc > 0);
    if (!d->inf_h[fc]) {
        d->alloc_h[fc] += 1;
    }
    if (!d->inf_d[fc]) {
        d->alloc_d[fc] += dc;
    }
    if (finite && d->fc_due[fc] == SIM_TIME_NEVER) {
        d->fc_due[fc] = now + l->fc_interval;
    }
    d->st.delivered++;
    sim_port_push(d->out, pkt);
}

/* ---- 3. transmission ---- */

static bool credits_ok(const PcieDir *d, const SimPacket *pkt)
{
    int fc = tlp_fc(pkt);
    uint64_t dc = data_credits(tlp_payload(pkt));
    return (d->inf_h[fc] || d->used_h[fc] + 1 <= d->limit_h[fc]) &&
           (d->inf_d[fc] || d->used_d[fc] + dc <= d->limit_d[fc]);
}

static bool replay_ok(const PcieLink *l, const PcieDir *d, uint32_t bytes)
{
    if (sim_ring_full(&d->rpr)) {
        return false;
    }
    /* A TLP larger than the whole buffer goes when the buffer is empty. */
    return sim_ring_empty(&d->rpr) || d->replay_bytes + bytes <= l->p.replay_buffer;
}

/* Records why the head TLP waits (for the stall statistics), once per TLP. */
static void note_blocked(PcieDir *d, const SimPacket *pkt, int reason, SimTime now)
{
    if (d->head_reason != 0 && d->head_id == pkt->id) {
        return;
    }
    d->head_id = pkt->id;
    d->head_blocked = now;
    d->head_reason = reason;
    if (reason == 1) {
        d->st.credit_stalls++;
    } else {
        d->st.replay_stalls++;
    }
}

/* Puts a packet of len bytes on wire k; returns its entry (filled by the caller), the start of
 * its first symbol and the end of its last. */
static WireEntry *wire_put(PcieLink *l, int k, uint32_t len, SimTime ready, SimTime *start,
                           SimTime *end_out)
{
    PcieDir *d = &l->dir[k];
    /* pcie_phy_place(), with the symbol start of free_b from its cache */
    uint64_t b = d->free_b;
    SimTime s = d->free_sym;
    if (s < ready) {
        uint64_t f = pcie_phy_first_byte_at(&l->phy, ready);
        if (f > b) {
            b = f;
            s = pcie_phy_symbol_start(&l->phy, b);
        }
    }
    SimTime end = pcie_phy_packet_end(&l->phy, b, len);
    *start = s;
    *end_out = end;
    d->free_b = b + len;
    d->free_sym = pcie_phy_symbol_start(&l->phy, d->free_b);
    WireEntry *e = &d->wire[sim_ring_push(&d->wr)];
    memset(e, 0, sizeof(*e));
    e->arrive = end + l->p.wire_delay + d->rx_latency;
    return e;
}

/* Sends on wire k: DLLPs for direction !k's receiver, then direction k's TLPs. */
static void transmit(PcieLink *l, int k, SimTime now)
{
    PcieDir *d = &l->dir[k];
    PcieDir *o = &l->dir[!k];
    SimTime period = l->c.domain->period;
    for (;;) {
        SimTime ready = now + d->tx_latency;
        if (d->free_sym > ready + period) {
            return; /* the stream is busy past the next edge */
        }
        if (sim_ring_full(&d->wr)) {
            sim_fail(l->c.sim, "instance '%s': %s wire holds %u packets in flight", l->c.name,
                     dir_names[k], d->wr.cap);
            return;
        }
        SimTime start;
        SimTime end;
        if (o->ack_due <= now) {
            WireEntry *e = wire_put(l, k, PCIE_DLLP_BYTES, ready, &start, &end);
            e->kind = WIRE_ACK;
            e->seq = o->rcv_seq;
            o->ack_due = SIM_TIME_NEVER;
            d->st.dllps++;
            d->st.acks++;
            d->st.dllp_bytes += PCIE_DLLP_BYTES;
            continue;
        }
        int fc = -1;
        for (int i = 0; i < PCIE_FC_MAX; i++) {
            if (o->fc_due[i] <= now) {
                fc = i;
                break;
            }
        }
        if (fc >= 0) {
            WireEntry *e = wire_put(l, k, PCIE_DLLP_BYTES, ready, &start, &end);
            e->kind = WIRE_UPDATEFC;
            e->fc = (uint8_t)fc;
            e->hdr = o->alloc_h[fc];
            e->data = o->alloc_d[fc];
            o->fc_due[fc] = SIM_TIME_NEVER;
            d->st.dllps++;
            d->st.updatefcs++;
            d->st.dllp_bytes += PCIE_DLLP_BYTES;
            continue;
        }
        SimPacket *pkt = sim_port_peek(d->in);
        if (pkt == NULL) {
            return;
        }
        uint32_t payload = tlp_payload(pkt);
        if (payload > l->p.mps) {
            sim_fail(l->c.sim,
                     "instance '%s': a %s TLP carries %u bytes, above mps %llu: give "
                     "every PCIe model the same mps",
                     l->c.name, dir_names[k], payload, (unsigned long long)l->p.mps);
            return;
        }
        uint32_t len = pcie_tlp_wire_bytes(tlp_header_bytes(pkt), payload);
        if (!credits_ok(d, pkt)) {
            note_blocked(d, pkt, 1, now);
            return;
        }
        if (!replay_ok(l, d, len)) {
            note_blocked(d, pkt, 2, now);
            return;
        }
        if (d->head_reason != 0 && d->head_id == pkt->id) {
            if (d->head_reason == 1) {
                d->st.credit_stall_ps += now - d->head_blocked;
            } else {
                d->st.replay_stall_ps += now - d->head_blocked;
            }
            d->head_reason = 0;
        }
        sim_port_pop(d->in);
        int t = tlp_fc(pkt);
        d->used_h[t] += 1;
        d->used_d[t] += data_credits(payload);
        pkt->seq = d->next_seq++;
        d->replay[sim_ring_push(&d->rpr)] = (ReplayEntry){pkt->seq, len};
        d->replay_bytes += len;
        WireEntry *e = wire_put(l, k, len, ready, &start, &end);
        e->kind = WIRE_TLP;
        e->tlp = pkt;
        e->seq = pkt->seq;
        PcieDirStats *st = &d->st;
        st->tlps++;
        st->tlp_bytes += len;
        if (pkt->type == PCIE_TLP_MWR) {
            st->mwr++;
        } else if (pkt->type == PCIE_TLP_MRD) {
            st->mrd++;
        } else {
            st->cpld++;
        }
        if (payload > 0) {
            if (st->payload_bytes == 0) {
                st->data_start = start;
            }
            st->payload_bytes += payload;
            st->data_end = end;
        }
    }
}

/* ---- the tick ---- */

static SimCycle tx_wake(const PcieLink *l, int k, SimCycle now)
{
    const PcieDir *d = &l->dir[k];
    const PcieDir *o = &l->dir[!k];
    SimTime due = o->ack_due;
    for (int i = 0; i < PCIE_FC_MAX; i++) {
        if (o->fc_due[i] < due) {
            due = o->fc_due[i];
        }
    }
    const SimPacket *pkt = sim_port_peek(d->in);
    if (pkt != NULL) {
        /* A TLP that can go, or one that has not yet been found waiting: the edge at which the
         * stream has room is where transmit() decides, whichever kernel runs. A TLP already
         * found waiting is woken by the Ack or UpdateFC that frees it. */
        bool waiting = d->head_reason != 0 && d->head_id == pkt->id;
        bool can = credits_ok(d, pkt) &&
                   replay_ok(l, d, pcie_tlp_wire_bytes(tlp_header_bytes(pkt), tlp_payload(pkt)));
        if (can || !waiting) {
            due = l->c.sim->now;
        }
    }
    if (due == SIM_TIME_NEVER) {
        return SIM_SLEEP;
    }
    /* The first edge at which the stream has room (see transmit()). */
    SimTime sym = d->free_sym;
    SimTime lead = d->tx_latency + l->c.domain->period;
    SimTime room = sym > lead ? sym - lead : 0;
    SimTime t = due > room ? due : room;
    SimCycle c = cycle_at(l, t);
    return c > now ? c : now + 1;
}

/*
 * When wire k's arrivals need a tick: a TLP enters the RX buffer at its arrival (and is
 * delivered from there), so the first TLP on the wire always does. An Ack or UpdateFC only
 * changes the other direction's replay buffer or credit limits, which nothing reads before that
 * transmitter's next decision, and every tick takes all arrivals due first: it needs a tick of
 * its own only when the other direction's head TLP was found waiting (nothing else wakes it).
 * NEVER when no arrival on the wire needs one.
 */
static SimTime wire_wake(const PcieLink *l, int k)
{
    const PcieDir *d = &l->dir[k];
    if (sim_ring_empty(&d->wr)) {
        return SIM_TIME_NEVER;
    }
    if (l->dir[!k].head_reason != 0) {
        return d->wire[sim_ring_head(&d->wr)].arrive;
    }
    for (uint32_t i = 0; i < d->wr.count; i++) {
        const WireEntry *e = &d->wire[sim_ring_slot(&d->wr, i)];
        if (e->kind == WIRE_TLP) {
            return e->arrive;
        }
    }
    return SIM_TIME_NEVER;
}

static SimCycle link_tick(SimComponent *c, SimCycle now)
{
    PcieLink *l = (PcieLink *)c;
    SimTime t = c->sim->now;
    for (int k = 0; k < DIR_MAX; k++) {
        if (!arrivals(l, k, t)) {
            return SIM_SLEEP;
        }
    }
    for (int k = 0; k < DIR_MAX; k++) {
        deliver(l, k, t);
    }
    for (int k = 0; k < DIR_MAX; k++) {
        transmit(l, k, t);
    }
    SimCycle next = SIM_SLEEP;
    for (int k = 0; k < DIR_MAX; k++) {
        const PcieDir *d = &l->dir[k];
        SimTime w = wire_wake(l, k);
        if (w != SIM_TIME_NEVER) {
            SimCycle a = cycle_at(l, w);
            next = min_cycle(next, a > now ? a : now + 1);
        }
        if (!sim_ring_empty(&d->rxr) && sim_port_can_push(d->out)) {
            next = min_cycle(next, now + 1);
        }
        next = min_cycle(next, tx_wake(l, k, now));
    }
    if (next == SIM_SLEEP) {
        /* Only Acks and UpdateFCs in flight: tick at the first one's arrival all the same, so
         * that the run's last due instant (its end when it drains) stays where it was. */
        for (int k = 0; k < DIR_MAX; k++) {
            const PcieDir *d = &l->dir[k];
            if (!sim_ring_empty(&d->wr)) {
                SimCycle a = cycle_at(l, d->wire[sim_ring_head(&d->wr)].arrive);
                next = min_cycle(next, a > now ? a : now + 1);
            }
        }
    }
    return next;
}

static bool link_busy(const SimComponent *c)
{
    const PcieLink *l = (const PcieLink *)c;
    for (int k = 0; k < DIR_MAX; k++) {
        const PcieDir *d = &l->dir[k];
        if (!sim_ring_empty(&d->rxr)) {
            return true;
        }
        /* An Ack or UpdateFC whose arrival edge has passed waits for the next tick
         * (wire_wake()), but is done with as far as the run is concerned, as when every
         * arrival had a tick. */
        for (uint32_t i = 0; i < d->wr.count; i++) {
            const WireEntry *e = &d->wire[sim_ring_slot(&d->wr, i)];
            if (e->kind == WIRE_TLP ||
                sim_domain_time(c->domain, cycle_at(l, e->arrive)) > c->sim->now) {
                return true;
            }
        }
    }
    return false;
}

static void link_dump(const SimComponent *c, SimError *report)
{
    const PcieLink *l = (const PcieLink *)c;
    for (int k = 0; k < DIR_MAX; k++) {
        const PcieDir *d = &l->dir[k];
        sim_error_append(report,
                         " (%s: %u on the wire, %u in the RX buffer, %u unacknowledged, "
                         "P credits %llu/%llu)",
                         dir_names[k], d->wr.count, d->rxr.count, d->rpr.count,
                         (unsigned long long)d->used_d[PCIE_FC_P],
                         (unsigned long long)d->limit_d[PCIE_FC_P]);
    }
}

static void link_finish(SimComponent *c, SimTime end)
{
    PcieLink *l = (PcieLink *)c;
    uint64_t capacity = pcie_phy_first_byte_at(&l->phy, end);
    for (int k = 0; k < DIR_MAX; k++) {
        PcieDirStats *st = &l->dir[k].st;
        uint64_t used = st->tlp_bytes + st->dllp_bytes;
        st->util = capacity ? (double)used / (double)capacity : 0.0;
        if (st->util > 1.0) {
            st->util = 1.0; /* packets committed ahead of the end of the run */
        }
        SimTime span = st->data_end > st->data_start ? st->data_end - st->data_start : 0;
        st->payload_gbps = span ? (double)st->payload_bytes * 1000.0 / (double)span : 0.0;
        st->data_start_ns = (double)st->data_start / 1000.0;
        st->data_end_ns = (double)st->data_end / 1000.0;
    }
}

static void link_destroy(SimComponent *c)
{
    PcieLink *l = (PcieLink *)c;
    for (int k = 0; k < DIR_MAX; k++) {
        free(l->dir[k].replay);
        free(l->dir[k].wire);
        free(l->dir[k].rxbuf);
    }
}

static const SimComponentOps link_ops = {
    .tick = link_tick,
    .finish = link_finish,
    .busy = link_busy,
    .dump = link_dump,
    .destroy = link_destroy,
};

/* ---- parameters ---- */

#define P(f) offsetof(PcieLinkParams, f)

static const SimParamDesc link_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock of the link's data-link layer (hard IP, 250 MHz at Gen3)"},
    {"lanes", SIM_PARAM_UINT, P(lanes), "8", "1", "16", NULL, "link width: 1, 2, 4, 8 or 16"},
    {"mps", SIM_PARAM_BYTES, P(mps), "256B", "128B", "4KiB", NULL,
     "max payload size (power of two): the Ack/UpdateFC timers' table column, and a TLP check"},
    {"skp_interval", SIM_PARAM_UINT, P(skp_interval), "370", "0", "100000", NULL,
     "data blocks between SKP ordered sets (spec: 370 to 375); 0: none"},
    {"wire_delay", SIM_PARAM_TIME, P(wire_delay), "2ns", "0", "1ms", NULL,
     "flight time on the channel, each direction"},
    {"rc_tx_latency", SIM_PARAM_TIME, P(rc_tx_latency), "50ns", "0", "100us", NULL,
     "root port: TLP taken to its first symbol on the wire"},
    {"rc_rx_latency", SIM_PARAM_TIME, P(rc_rx_latency), "70ns", "0", "100us", NULL,
     "root port: last symbol received to the packet checked"},
    {"ep_tx_latency", SIM_PARAM_TIME, P(ep_tx_latency), "100ns", "0", "100us", NULL,
     "endpoint hard IP: TLP taken to its first symbol on the wire"},
    {"ep_rx_latency", SIM_PARAM_TIME, P(ep_rx_latency), "120ns", "0", "100us", NULL,
     "endpoint hard IP: last symbol received to the packet checked"},
    {"ack_latency", SIM_PARAM_TIME, P(ack_latency), "0", "0", "1ms", NULL,
     "Ack timer: first unacknowledged TLP to its Ack; 0: the spec's limit for lanes and mps"},
    {"fc_interval", SIM_PARAM_TIME, P(fc_interval), "0", "0", "1ms", NULL,
     "credits freed to their UpdateFC; 0: the spec's guideline for lanes and mps"},
    {"replay_buffer", SIM_PARAM_BYTES, P(replay_buffer), "16KiB", "64B", "16MiB", NULL,
     "replay buffer of each transmitter (bytes of unacknowledged TLPs)"},
    {"rc_ph", SIM_PARAM_UINT, P(rc_ph), "127", "0", "4095", NULL,
     "root port RX: posted header credits (0: infinite)"},
    {"rc_pd", SIM_PARAM_UINT, P(rc_pd), "750", "0", "65535", NULL,
     "root port RX: posted data credits of 16 B (0: infinite)"},
    {"rc_nph", SIM_PARAM_UINT, P(rc_nph), "115", "0", "4095", NULL,
     "root port RX: non-posted header credits (0: infinite)"},
    {"rc_npd", SIM_PARAM_UINT, P(rc_npd), "230", "0", "65535", NULL,
     "root port RX: non-posted data credits (0: infinite)"},
    {"rc_cplh", SIM_PARAM_UINT, P(rc_cplh), "0", "0", "4095", NULL,
     "root port RX: completion header credits (0: infinite)"},
    {"rc_cpld", SIM_PARAM_UINT, P(rc_cpld), "0", "0", "65535", NULL,
     "root port RX: completion data credits (0: infinite)"},
    {"ep_ph", SIM_PARAM_UINT, P(ep_ph), "127", "0", "4095", NULL,
     "endpoint RX: posted header credits (0: infinite)"},
    {"ep_pd", SIM_PARAM_UINT, P(ep_pd), "750", "0", "65535", NULL,
     "endpoint RX: posted data credits of 16 B (0: infinite)"},
    {"ep_nph", SIM_PARAM_UINT, P(ep_nph), "115", "0", "4095", NULL,
     "endpoint RX: non-posted header credits (0: infinite)"},
    {"ep_npd", SIM_PARAM_UINT, P(ep_npd), "230", "0", "65535", NULL,
     "endpoint RX: non-posted data credits (0: infinite)"},
    {"ep_cplh", SIM_PARAM_UINT, P(ep_cplh), "0", "0", "4095", NULL,
     "endpoint RX: completion header credits (0: infinite, as endpoints must advertise)"},
    {"ep_cpld", SIM_PARAM_UINT, P(ep_cpld), "0", "0", "65535", NULL,
     "endpoint RX: completion data credits (0: infinite, as endpoints must advertise)"},
};

#undef P

static const SimPortDesc link_ports[] = {
    {"rc_tx", SIM_PORT_IN, false, "TLPs from the root complex"},
    {"rc_rx", SIM_PORT_OUT, false, "TLPs to the root complex"},
    {"ep_tx", SIM_PORT_IN, false, "TLPs from the endpoint"},
    {"ep_rx", SIM_PORT_OUT, false, "TLPs to the endpoint"},
};

static const char *link_check(const void *params, char *msg, size_t size)
{
    const PcieLinkParams *p = params;
    if (!is_pow2(p->lanes)) {
        snprintf(msg, size, "%llu lanes: a PCIe link is x1, x2, x4, x8 or x16",
                 (unsigned long long)p->lanes);
        return "lanes";
    }
    if (!is_pow2(p->mps)) {
        snprintf(msg, size, "%lluB is not a power of two (128B, 256B, ... 4KiB)",
                 (unsigned long long)p->mps);
        return "mps";
    }
    /* A finite data allowance must hold the largest TLP of its type, or the link deadlocks. */
    struct {
        const char *key;
        uint64_t v;
    } const pd[] = {
        {"rc_pd", p->rc_pd}, {"ep_pd", p->ep_pd}, {"rc_cpld", p->rc_cpld}, {"ep_cpld", p->ep_cpld}};
    for (size_t i = 0; i < N_OF(pd); i++) {
        if (pd[i].v != 0 && pd[i].v * 16 < p->mps) {
            snprintf(msg, size, "%llu credits of 16 B cannot hold one %lluB TLP (mps)",
                     (unsigned long long)pd[i].v, (unsigned long long)p->mps);
            return pd[i].key;
        }
    }
    return NULL;
}

static void init_credits(PcieDir *d, const uint64_t h[PCIE_FC_MAX], const uint64_t dat[PCIE_FC_MAX])
{
    for (int i = 0; i < PCIE_FC_MAX; i++) {
        d->inf_h[i] = h[i] == 0;
        d->inf_d[i] = dat[i] == 0;
        d->limit_h[i] = d->alloc_h[i] = h[i];
        d->limit_d[i] = d->alloc_d[i] = dat[i];
        d->fc_due[i] = SIM_TIME_NEVER;
    }
    d->ack_due = SIM_TIME_NEVER;
}

static uint32_t rx_capacity(const uint64_t h[PCIE_FC_MAX])
{
    uint64_t n = 0;
    for (int i = 0; i < PCIE_FC_MAX; i++) {
        n += h[i] ? h[i] : 1024;
    }
    return (uint32_t)n;
}

#define DIR_ROW(name_, kind_, field_, unit_, scale_, doc_)                                         \
    SIM_STAT_GROUP_ROW(0, 1, "<dir>." name_, kind_, PcieLink, dir[0].st.field_, sizeof(PcieDir),   \
                       unit_, scale_, doc_)

static const SimStatDesc link_stat_rows[] = {
    DIR_ROW("tlps", SIM_STAT_COUNTER, tlps, "TLPs", 1, "TLPs sent"),
    DIR_ROW("mwr", SIM_STAT_COUNTER, mwr, "TLPs", 1, "memory write TLPs (posted)"),
    DIR_ROW("mrd", SIM_STAT_COUNTER, mrd, "TLPs", 1, "memory read TLPs (non-posted)"),
    DIR_ROW("cpld", SIM_STAT_COUNTER, cpld, "TLPs", 1, "completions with data"),
    DIR_ROW("tlp_bytes", SIM_STAT_COUNTER, tlp_bytes, "B", 1,
            "TLP bytes on the wire, framing and headers included"),
    DIR_ROW("payload_bytes", SIM_STAT_COUNTER, payload_bytes, "B", 1, "TLP payload bytes"),
    DIR_ROW("dllps", SIM_STAT_COUNTER, dllps, "DLLPs", 1, "DLLPs sent"),
    DIR_ROW("acks", SIM_STAT_COUNTER, acks, "DLLPs", 1, "Ack DLLPs sent"),
    DIR_ROW("updatefcs", SIM_STAT_COUNTER, updatefcs, "DLLPs", 1, "UpdateFC DLLPs sent"),
    DIR_ROW("dllp_bytes", SIM_STAT_COUNTER, dllp_bytes, "B", 1, "DLLP bytes on the wire"),
    DIR_ROW("credit_stalls", SIM_STAT_COUNTER, credit_stalls, "TLPs", 1,
            "TLPs that waited for flow-control credits"),
    DIR_ROW("credit_stall_ns", SIM_STAT_COUNTER, credit_stall_ps, "ns", 1000,
            "total time TLPs waited for credits"),
    DIR_ROW("replay_stalls", SIM_STAT_COUNTER, replay_stalls, "TLPs", 1,
            "TLPs that waited for replay-buffer room"),
    DIR_ROW("replay_stall_ns", SIM_STAT_COUNTER, replay_stall_ps, "ns", 1000,
            "total time TLPs waited for replay-buffer room"),
    DIR_ROW("delivered", SIM_STAT_COUNTER, delivered, "TLPs", 1,
            "TLPs handed to the receiving transaction layer"),
    DIR_ROW("util", SIM_STAT_REAL, util, NULL, 1,
            "share of the data-stream capacity used by TLPs and DLLPs"),
    DIR_ROW("payload_gbps", SIM_STAT_REAL, payload_gbps, "GB/s", 1,
            "payload bytes over the span from the first to the last data TLP"),
    DIR_ROW("data_start_ns", SIM_STAT_REAL, data_start_ns, "ns", 1,
            "first symbol of the first TLP with payload"),
    DIR_ROW("data_end_ns", SIM_STAT_REAL, data_end_ns, "ns", 1, "end of the last TLP with payload"),
};

#undef DIR_ROW

static const SimStatGroup link_stat_groups[] = {
    {"<dir>", "direction: down (root complex to endpoint), up", dir_names},
};

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow link_stat_roles[] = {
    {"<dir>.util", SIM_STAT_ROLE_UTILISATION},
};
static const SimStatTable link_stats = {link_stat_rows,   N_OF(link_stat_rows),
                                        link_stat_groups, N_OF(link_stat_groups),
                                        link_stat_roles,  N_OF(link_stat_roles)};

static bool link_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    PcieLink *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return sim_error_oom(err, name);
    }
    l->p = *(const PcieLinkParams *)params;
    l->phy.lanes = (uint32_t)l->p.lanes;
    l->phy.skp_interval = (uint32_t)l->p.skp_interval;
    l->phy.t0 = 0;
    for (int k = 0; k < DIR_MAX; k++) {
        l->dir[k].free_sym = pcie_phy_symbol_start(&l->phy, 0);
    }
    uint32_t spec = pcie_spec_ack_symbols((uint32_t)l->p.lanes, (uint32_t)l->p.mps);
    l->ack_latency = l->p.ack_latency ? l->p.ack_latency : (SimTime)spec * PCIE_SYMBOL_PS;
    l->fc_interval = l->p.fc_interval ? l->p.fc_interval : (SimTime)spec * PCIE_SYMBOL_PS;

    const uint64_t rc_h[PCIE_FC_MAX] = {l->p.rc_ph, l->p.rc_nph, l->p.rc_cplh};
    const uint64_t rc_d[PCIE_FC_MAX] = {l->p.rc_pd, l->p.rc_npd, l->p.rc_cpld};
    const uint64_t ep_h[PCIE_FC_MAX] = {l->p.ep_ph, l->p.ep_nph, l->p.ep_cplh};
    const uint64_t ep_d[PCIE_FC_MAX] = {l->p.ep_pd, l->p.ep_npd, l->p.ep_cpld};
    /* DOWN is received by the endpoint, UP by the root port. */
    init_credits(&l->dir[DIR_DOWN], ep_h, ep_d);
    init_credits(&l->dir[DIR_UP], rc_h, rc_d);
    l->dir[DIR_DOWN].tx_latency = l->p.rc_tx_latency;
    l->dir[DIR_DOWN].rx_latency = l->p.ep_rx_latency;
    l->dir[DIR_UP].tx_latency = l->p.ep_tx_latency;
    l->dir[DIR_UP].rx_latency = l->p.rc_rx_latency;
    sim_ring_init(&l->dir[DIR_DOWN].rxr, rx_capacity(ep_h));
    sim_ring_init(&l->dir[DIR_UP].rxr, rx_capacity(rc_h));

    SimTime period = l->p.domain->period;
    for (int k = 0; k < DIR_MAX; k++) {
        PcieDir *d = &l->dir[k];
        /* In flight at once: whatever fits between commit and arrival, at one DLLP (8 B) per
         * slot, plus a largest TLP's serialisation on both ends of that window. */
        SimTime window = d->tx_latency + d->rx_latency + l->p.wire_delay + 2 * period +
                         2 * (SimTime)(4200u / l->p.lanes + 2) * PCIE_SYMBOL_PS;
        sim_ring_init(&d->wr,
                      (uint32_t)(window * l->p.lanes / (PCIE_DLLP_BYTES * PCIE_SYMBOL_PS)) + 64);
        sim_ring_init(&d->rpr, (uint32_t)(l->p.replay_buffer / 20) + 2);
        d->wire = calloc(d->wr.cap, sizeof(*d->wire));
        d->replay = calloc(d->rpr.cap, sizeof(*d->replay));
        d->rxbuf = calloc(d->rxr.cap, sizeof(*d->rxbuf));
        if (d->wire == NULL || d->replay == NULL || d->rxbuf == NULL) {
            sim_error_oom(err, name);
            goto fail_parts;
        }
    }
    if (!sim_add_component(sim, &l->c, name, l->p.domain, &link_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "rc_tx", &l->c, &l->dir[DIR_DOWN].in);
    sim_build_port(bld, "rc_rx", &l->c, &l->dir[DIR_UP].out);
    sim_build_port(bld, "ep_tx", &l->c, &l->dir[DIR_UP].in);
    sim_build_port(bld, "ep_rx", &l->c, &l->dir[DIR_DOWN].out);
    sim_build_stats(bld, &(SimStatBinding){.block = {l}, .count = {DIR_MAX}});
    return true;

fail_parts:
    link_destroy(&l->c);
    free(l);
    return false;
}

/* Each direction forwards what it takes, requests or not (fabric checks). */
static const SimPortFlow link_flows[] = {
    {"rc_tx", SIM_FLOW_THROUGH, "ep_rx"},
    {"ep_tx", SIM_FLOW_THROUGH, "rc_rx"},
};

const SimModelType pcie_link_type = {
    .name = "pcie.link",
    .doc = "PCIe Gen3 link, both directions, at symbol timing: 128b/130b, SKP ordered sets, TLP "
           "framing, credits and UpdateFC, Ack and the replay buffer (docs/models/pcie.md).",
    .params = link_params,
    .n_params = N_OF(link_params),
    .params_size = sizeof(PcieLinkParams),
    .ports = link_ports,
    .n_ports = N_OF(link_ports),
    .check = link_check,
    .build = link_build,
    .flows = link_flows,
    .n_flows = N_OF(link_flows),
    .stats = &link_stats,
};
