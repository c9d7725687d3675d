/*
 * ib.switch: an InfiniBand switch of `ports` ports (docs/models/ib.md section 5), one component
 * in the links' symbol clock holding one IbLink per port:
 *
 *   pN_rx --> [port N: PHY rx, VL buffers = input buffers, credits] --+
 *                                                                    | crossbar: per output,
 *   pM_tx <-- [port M: serialiser, PHY tx, FC packets]  <------------+ round robin over inputs
 *
 * Routing: a packet with DLID d leaves through port d - lid_base (a linear forwarding table in
 * which port i serves LID lid_base + i). Virtual lanes are kept: a packet leaves on the VL it
 * came in on, and needs credits of that VL of the output.
 *
 * A packet at the head of an input VL buffer may go at cycle
 *   cut_through:        r_h + L   (r_h: its header, start delimiter and LRH, is in the buffer)
 *   store_and_forward:  r_t + L   (r_t: its tail is in the buffer)
 * with L = ceil(latency / period), when its output's serialiser is free, owes no flow-control
 * packet, and the output VL has credits. Each output takes, among the input VL heads routed to
 * it that may go, the first in round-robin order of inputs (starting after the input it served
 * last; within an input, VLs in order). The packet's credits at the input are given back when
 * its last symbol has left the output (s + D), which is when the input buffer has been read.
 * Only the head of each input VL is looked at (a packet behind one waiting for a busy output
 * waits too: head-of-line blocking, as in input-queued switches).
 *
 * One tick: receive on every port; give back credits of packets that have left; arbitrate every
 * output; transmit on every port (flow control, pushes).
 */
#include "ib.h"
#include "ib_link.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SW_MAX_PORTS 64

typedef enum SwMode {
    SW_CUT_THROUGH = 0,
    SW_STORE_AND_FORWARD,
    SW_MODE_MAX
} SwMode;

static const char *const sw_mode_names[] = {"cut_through", "store_and_forward", NULL};

typedef struct SwitchParams {
    IbLinkParams link;
    uint64_t ports;
    int mode;
    SimTime latency;
    uint64_t lid_base;
} SwitchParams;

typedef struct SwRelease {
    SimCycle at; /* SIM_CYCLE_NEVER: none pending */
    uint32_t in;
    uint32_t vl;
    uint32_t blocks;
} SwRelease;

typedef struct SwPortStats {
    uint64_t forwarded;   /* packets that left through this port */
    uint64_t wait_cycles; /* from may-go to start, summed over those packets */
} SwPortStats;

typedef struct Switch {
    SimComponent c;
    SwitchParams p;
    uint32_t n;
    uint64_t lat;
    bool active[SW_MAX_PORTS];
    bool checked;
    uint32_t rr[SW_MAX_PORTS];
    SwRelease rel[SW_MAX_PORTS];
    IbLink port[SW_MAX_PORTS];
    SwPortStats pst[SW_MAX_PORTS];
    uint64_t forwarded;
    uint64_t wait_cycles;
} Switch;

/* Cycle the head packet may go at (see the top of the file). */
static SimCycle may_go(const Switch *s, const SimPacket *pkt)
{
    return (s->p.mode == SW_CUT_THROUGH ? pkt->user[1] : pkt->user[0]) + s->lat;
}

/* Output of a packet; fails the run and returns -1 if the LID is not served by a linked port. */
static int route(Switch *s, const SimPacket *pkt)
{
    uint64_t d = pkt->dst;
    if (d < s->p.lid_base || d - s->p.lid_base >= s->n || !s->active[d - s->p.lid_base]) {
        sim_fail(s->c.sim,
                 "%s: no route for DLID %u (ports serve LIDs %llu .. %llu, linked ones "
                 "only)",
                 s->c.name, pkt->dst, (unsigned long long)s->p.lid_base,
                 (unsigned long long)(s->p.lid_base + s->n - 1));
        return -1;
    }
    return (int)(d - s->p.lid_base);
}

static bool sw_check_ports(Switch *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        bool tx = s->port[i].tx != NULL;
        bool rx = s->port[i].rx != NULL;
        if (tx != rx) {
            sim_fail(s->c.sim, "%s: port p%u has its %s linked but not its %s", s->c.name, i,
                     tx ? "tx" : "rx", tx ? "rx" : "tx");
            return false;
        }
        s->active[i] = tx;
    }
    for (uint32_t i = s->n; i < SW_MAX_PORTS; i++) {
        if (s->port[i].tx != NULL || s->port[i].rx != NULL) {
            sim_fail(s->c.sim, "%s: port p%u is linked, but the switch has %u ports (ports)",
                     s->c.name, i, s->n);
            return false;
        }
    }
    return true;
}

/* Output o at `now`: the first input VL head (round robin) routed to it that may go. */
static void sw_arbitrate(Switch *s, uint32_t o, SimCycle now)
{
    IbLink *out = &s->port[o];
    for (uint32_t k = 0; k < s->n; k++) {
        uint32_t i = s->rr[o] + k < s->n ? s->rr[o] + k : s->rr[o] + k - s->n;
        if (!s->active[i]) {
            continue;
        }
        IbLink *in = &s->port[i];
        for (uint32_t v = 0; v < in->vls; v++) {
            SimPacket *pkt = ib_link_rx_peek(in, v);
            if (pkt == NULL || route(s, pkt) != (int)o || may_go(s, pkt) > now) {
                continue;
            }
            uint32_t blocks = ib_packet_blocks(pkt);
            if (!ib_link_tx_can_start(out, v, blocks, now)) {
                continue; /* busy, owes flow control, or no credits on this VL */
            }
            ib_link_rx_take(in, v);
            uint64_t wait = now - may_go(s, pkt);
            ib_link_tx_start(out, pkt, now);
            s->rel[o] = (SwRelease){now + ib_link_symbols(out, pkt), i, v, blocks};
            s->rr[o] = i + 1 < s->n ? i + 1 : 0;
            s->forwarded++;
            s->wait_cycles += wait;
            s->pst[o].forwarded++;
            s->pst[o].wait_cycles += wait;
            sim_work_done(s->c.sim);
            return;
        }
    }
}

static SimCycle sw_tick(SimComponent *c, SimCycle now)
{
    Switch *s = (Switch *)c;
    if (!s->checked) {
        s->checked = true;
        if (!sw_check_ports(s)) {
            return SIM_SLEEP;
        }
    }
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->active[i]) {
            ib_link_receive(&s->port[i], now);
        }
    }
    for (uint32_t o = 0; o < s->n; o++) {
        SwRelease *r = &s->rel[o];
        if (r->at <= now) {
            ib_link_rx_release(&s->port[r->in], r->vl, r->blocks);
            r->at = SIM_CYCLE_NEVER;
        }
    }
    for (uint32_t o = 0; o < s->n; o++) {
        if (s->active[o]) {
            sw_arbitrate(s, o, now);
        }
    }
    SimCycle next = SIM_CYCLE_NEVER;
    for (uint32_t i = 0; i < s->n; i++) {
        if (!s->active[i]) {
            continue;
        }
        ib_link_transmit(&s->port[i], now);
        SimCycle w = ib_link_wake(&s->port[i], now);
        if (w < next) {
            next = w;
        }
        if (s->rel[i].at < next) {
            next = s->rel[i].at;
        }
    }
    /* Heads waiting for their time or for a busy output; those waiting for credits are woken
     * by the flow-control packet's arrival. */
    for (uint32_t i = 0; i < s->n; i++) {
        if (!s->active[i]) {
            continue;
        }
        for (uint32_t v = 0; v < s->port[i].vls; v++) {
            SimPacket *pkt = ib_link_rx_peek(&s->port[i], v);
            if (pkt == NULL) {
                continue;
            }
            int o = route(s, pkt);
            if (o < 0) {
                return SIM_SLEEP;
            }
            SimCycle at = may_go(s, pkt);
            SimCycle free_at = s->port[o].tx_free;
            if (free_at <= now && at <= now &&
                !ib_link_tx_has_credits(&s->port[o], v, ib_packet_blocks(pkt))) {
                continue; /* the flow-control packet that brings credits wakes the switch */
            }
            if (free_at > at) {
                at = free_at;
            }
            if (at <= now) {
                at = now + 1;
            }
            if (at < next) {
                next = at;
            }
        }
    }
    return next == SIM_CYCLE_NEVER ? SIM_SLEEP : next;
}

static bool sw_busy(const SimComponent *c)
{
    const Switch *s = (const Switch *)c;
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->active[i] && ib_link_busy(&s->port[i])) {
            return true;
        }
    }
    return false;
}

static void sw_finish(SimComponent *c, SimTime end)
{
    Switch *s = (Switch *)c;
    for (uint32_t i = 0; i < s->n; i++) {
        ib_link_finish(&s->port[i], end);
    }
}

static void sw_dump(const SimComponent *c, SimError *report)
{
    const Switch *s = (const Switch *)c;
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->active[i] && ib_link_busy(&s->port[i])) {
            sim_error_append(report, " p%u:", i);
            ib_link_dump(&s->port[i], report);
        }
    }
}

static void sw_destroy(SimComponent *c)
{
    Switch *s = (Switch *)c;
    for (uint32_t i = 0; i < SW_MAX_PORTS; i++) {
        ib_link_destroy(&s->port[i]);
    }
}

static const SimComponentOps sw_ops = {
    .tick = sw_tick,
    .finish = sw_finish,
    .busy = sw_busy,
    .dump = sw_dump,
    .destroy = sw_destroy,
};

#define P(field) offsetof(SwitchParams, field)
static const SimParamDesc sw_params[] = {
    IB_LINK_PARAM_ROWS(SwitchParams),
    {"ports", SIM_PARAM_UINT, P(ports), "36", "1", "64", NULL,
     "ports p0 .. p(ports - 1); unlinked ones are off (Mellanox SX6036: 36)"},
    {"mode", SIM_PARAM_ENUM, P(mode), "cut_through", NULL, NULL, sw_mode_names,
     "cut_through: forward after the header; store_and_forward: after the whole packet"},
    {"latency", SIM_PARAM_TIME, P(latency), "170ns", "0", "100us", NULL,
     "from the header (cut-through) or tail (store-and-forward) in the input buffer to the "
     "output starting, idle switch, rounded up to symbol times (SX6036 brief: 170 ns)"},
    {"lid_base", SIM_PARAM_UINT, P(lid_base), "1", "1", "49151", NULL,
     "LID served by port p0; port i serves lid_base + i"},
};
#undef P

/* clang-format off */
#define SW_PORT_PAIR(n)                                                                           \
    {"p" #n "_tx", SIM_PORT_OUT, true, "port " #n ": packets to the link"},                      \
    {"p" #n "_rx", SIM_PORT_IN, true, "port " #n ": packets from the link"}
#define SW_PORT_8(a, b, c, d, e, f, g, h)                                                         \
    SW_PORT_PAIR(a), SW_PORT_PAIR(b), SW_PORT_PAIR(c), SW_PORT_PAIR(d), SW_PORT_PAIR(e),         \
    SW_PORT_PAIR(f), SW_PORT_PAIR(g), SW_PORT_PAIR(h)
/* clang-format on */

static const SimPortDesc sw_ports[] = {
    SW_PORT_8(0, 1, 2, 3, 4, 5, 6, 7),         SW_PORT_8(8, 9, 10, 11, 12, 13, 14, 15),
    SW_PORT_8(16, 17, 18, 19, 20, 21, 22, 23), SW_PORT_8(24, 25, 26, 27, 28, 29, 30, 31),
    SW_PORT_8(32, 33, 34, 35, 36, 37, 38, 39), SW_PORT_8(40, 41, 42, 43, 44, 45, 46, 47),
    SW_PORT_8(48, 49, 50, 51, 52, 53, 54, 55), SW_PORT_8(56, 57, 58, 59, 60, 61, 62, 63),
};

static const char *sw_check(const void *params, char *msg, size_t msg_size)
{
    const SwitchParams *p = params;
    return ib_link_check(&p->link, msg, msg_size);
}

#define SW_PORT_ROW(name_, field_, unit_, doc_)                                                    \
    SIM_STAT_GROUP_ROW(0, 1, name_, SIM_STAT_COUNTER, Switch, port[0].st.field_, sizeof(IbLink),   \
                       unit_, 1, doc_)

static const SimStatDesc sw_stat_rows[] = {
    SIM_STAT_ROW("forwarded", SIM_STAT_COUNTER, Switch, forwarded, "packets", 1,
                 "data packets forwarded"),
    SIM_STAT_ROW("wait_cycles", SIM_STAT_COUNTER, Switch, wait_cycles, "cycles", 1,
                 "symbol times packets waited from when they could go to their output starting "
                 "(busy output, flow control, credits), summed"),
    SW_PORT_ROW("p<n>_rx_packets", rx_packets, "packets", "data packets received on the port"),
    SW_PORT_ROW("p<n>_tx_packets", tx_packets, "packets", "data packets sent by the port"),
    SW_PORT_ROW("p<n>_tx_bytes", tx_bytes, "B", "their bytes, LRH to VCRC"),
    SW_PORT_ROW("p<n>_fc_sent", fc_sent, "packets", "flow-control packets sent by the port"),
    SW_PORT_ROW("p<n>_busy_cycles", busy_cycles, "cycles",
                "symbol times the port's transmitter was busy"),
    SIM_STAT_GROUP_ROW(0, 1, "p<n>_tx_util", SIM_STAT_REAL, Switch, port[0].st.tx_util,
                       sizeof(IbLink), NULL, 1, "busy_cycles / symbol times of the run"),
    SIM_STAT_GROUP_ROW(0, 1, "p<n>_wait_cycles", SIM_STAT_COUNTER, Switch, pst[0].wait_cycles,
                       sizeof(SwPortStats), "cycles", 1,
                       "wait_cycles of the packets that left through the port"),
};

#undef SW_PORT_ROW

static const SimStatGroup sw_stat_groups[] = {
    {"<n>", "port 0 .. ports - 1", NULL},
};

static const SimStatTable sw_stats = {
    sw_stat_rows, N_OF(sw_stat_rows), sw_stat_groups, N_OF(sw_stat_groups), NULL, 0};

static bool sw_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    Switch *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return sim_error_oom(err, name);
    }
    s->p = *(const SwitchParams *)params;
    s->n = (uint32_t)s->p.ports;
    s->lat = (s->p.latency + s->p.link.domain->period - 1) / s->p.link.domain->period;
    for (uint32_t i = 0; i < s->n; i++) {
        s->rel[i].at = SIM_CYCLE_NEVER;
        if (!ib_link_init(&s->port[i], &s->c, name, &s->p.link, err)) {
            goto fail_parts;
        }
    }
    if (!sim_add_component(sim, &s->c, name, s->p.link.domain, &sw_ops, err)) {
        goto fail_parts;
    }
    s->c.daemon = true;      /* flow-control refreshes alone do not keep a run alive */
    s->c.takes_tails = true; /* cut-through: packets come in at their header */
    for (uint32_t i = 0; i < SW_MAX_PORTS; i++) {
        s->port[i].name = s->c.name;
        sim_build_port(bld, sw_ports[2 * i].name, &s->c, &s->port[i].tx);
        sim_build_port(bld, sw_ports[2 * i + 1].name, &s->c, &s->port[i].rx);
    }
    sim_build_stats(bld, &(SimStatBinding){.block = {s}, .count = {s->n}});
    return true;

fail_parts:
    sw_destroy(&s->c);
    free(s);
    return false;
}

const SimModelType ib_switch_type = {
    .name = "ib.switch",
    .doc = "InfiniBand switch: `ports` ports sharing the link parameters, input buffers in "
           "credits per VL, routing by DLID (port i serves lid_base + i), round-robin output "
           "arbitration, cut-through or store-and-forward with a port-to-port latency; tx_queue "
           "is unused (the crossbar starts packets on the outputs itself).",
    .params = sw_params,
    .n_params = N_OF(sw_params),
    .params_size = sizeof(SwitchParams),
    .ports = sw_ports,
    .n_ports = N_OF(sw_ports),
    .check = sw_check,
    .build = sw_build,
    .stats = &sw_stats,
};
