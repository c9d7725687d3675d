/*
 * ib.tester: an InfiniBand end port that sends a stream of data packets and takes what it
 * receives, for the link's tests and example topologies (docs/models/ib.md section 4). Its link
 * layer is the shared one (ib_link.c); the tester adds a generator and a sink:
 *
 *   generator: packet i (0 .. count - 1) of type `op`, `payload` bytes, on VL
 *              vl + (i mod spread), is queued
 *              at the first cycle >= start (i = 0) or >= the previous one's + gap at which its
 *              VL's transmit queue has room (gap 0: as many per cycle as there is room for);
 *   sink:      takes a received packet at the first cycle at or after its arrival and at least
 *              `drain` cycles after the one it took before (drain 0: all at once), VLs in order.
 *
 * One tick: receive, sink, generator, transmit (the order of ib_link.h).
 */
#include "ib.h"
#include "ib_link.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const op_names[] = {
    "send_first",       "send_middle",    "send_last",      "send_only", "write_first",
    "write_middle",     "write_last",     "write_only",     "read_req",  "read_resp_first",
    "read_resp_middle", "read_resp_last", "read_resp_only", "ack",       NULL,
};

typedef struct TesterParams {
    IbLinkParams link;
    uint64_t count;
    int op;
    uint64_t payload;
    uint64_t vl;
    uint64_t spread;
    uint64_t start;
    uint64_t gap;
    uint64_t drain;
    uint64_t lid;
    uint64_t dlid;
} TesterParams;

typedef struct Tester {
    SimComponent c;
    TesterParams p;
    IbLink link;
    uint64_t generated;
    SimCycle next_gen;
    SimCycle next_take;
    /* statistics */
    uint64_t received;
    uint64_t received_bytes;
    uint64_t first_rx_cycle;
    uint64_t last_rx_cycle;
} Tester;

static void tester_sink(Tester *t, SimCycle now)
{
    Sim *sim = t->c.sim;
    for (uint32_t v = 0; v < t->link.vls; v++) {
        SimPacket *pkt;
        while (now >= t->next_take && (pkt = ib_link_rx_peek(&t->link, v)) != NULL) {
            ib_link_rx_pop(&t->link, v);
            if (t->received == 0) {
                t->first_rx_cycle = now;
            }
            t->received++;
            t->received_bytes += ib_payload_bytes(pkt);
            t->last_rx_cycle = now;
            sim_packet_free(sim, pkt);
            sim_work_done(sim);
            sim_note_idle(sim); /* taken from the buffer, not a port: the run may be over */
            if (t->p.drain > 0) {
                t->next_take = now + t->p.drain;
            }
        }
    }
}

/* The VL of the next packet: vl + (i mod spread). */
static uint32_t tester_vl(const Tester *t)
{
    return (uint32_t)(t->p.vl + t->generated % t->p.spread);
}

static void tester_generate(Tester *t, SimCycle now)
{
    Sim *sim = t->c.sim;
    uint32_t vl;
    while (t->generated < t->p.count && now >= t->next_gen &&
           ib_link_tx_can_put(&t->link, vl = tester_vl(t))) {
        SimPacket *pkt = sim_packet_new(sim);
        if (pkt == NULL) {
            return;
        }
        pkt->type = (uint16_t)(IB_PKT_FIRST + t->p.op);
        pkt->len = (uint32_t)t->p.payload;
        ib_set_vl(pkt, vl);
        pkt->src = (uint16_t)t->p.lid;
        pkt->dst = (uint16_t)t->p.dlid;
        pkt->seq = (uint32_t)(t->generated & 0xffffffu);
        pkt->stamp[SIM_STAMP_CREATE] = pkt->stamp[SIM_STAMP_INJECT] = sim->now;
        ib_link_tx_put(&t->link, pkt, now);
        t->generated++;
        t->next_gen = now + t->p.gap;
    }
}

static SimCycle tester_tick(SimComponent *c, SimCycle now)
{
    Tester *t = (Tester *)c;
    ib_link_receive(&t->link, now);
    tester_sink(t, now);
    tester_generate(t, now);
    ib_link_transmit(&t->link, now);
    SimCycle next = ib_link_wake(&t->link, now);
    if (t->generated < t->p.count && ib_link_tx_can_put(&t->link, tester_vl(t))) {
        SimCycle g = t->next_gen > now ? t->next_gen : now + 1;
        if (g < next) {
            next = g;
        }
    }
    for (uint32_t v = 0; v < t->link.vls; v++) {
        if (ib_link_rx_peek(&t->link, v) != NULL) {
            SimCycle k = t->next_take > now ? t->next_take : now + 1;
            if (k < next) {
                next = k;
            }
        }
    }
    return next == SIM_CYCLE_NEVER ? SIM_SLEEP : next;
}

static bool tester_busy(const SimComponent *c)
{
    const Tester *t = (const Tester *)c;
    return t->generated < t->p.count || ib_link_busy(&t->link);
}

static void tester_finish(SimComponent *c, SimTime end)
{
    ib_link_finish(&((Tester *)c)->link, end);
}

static void tester_dump(const SimComponent *c, SimError *report)
{
    const Tester *t = (const Tester *)c;
    sim_error_append(report, " (%llu of %llu packets queued)", (unsigned long long)t->generated,
                     (unsigned long long)t->p.count);
    ib_link_dump(&t->link, report);
}

static void tester_destroy(SimComponent *c)
{
    ib_link_destroy(&((Tester *)c)->link);
}

static const SimComponentOps tester_ops = {
    .tick = tester_tick,
    .finish = tester_finish,
    .busy = tester_busy,
    .dump = tester_dump,
    .destroy = tester_destroy,
};

#define P(field) offsetof(TesterParams, field)
static const SimParamDesc tester_params[] = {
    IB_LINK_PARAM_ROWS(TesterParams),
    {"count", SIM_PARAM_UINT, P(count), "0", "0", "1000000000", NULL, "data packets to send"},
    {"op", SIM_PARAM_ENUM, P(op), "write_middle", NULL, NULL, op_names,
     "packet type (BTH opcode class): decides the extended headers (RETH, AETH)"},
    {"payload", SIM_PARAM_BYTES, P(payload), "2KiB", "0", "4KiB", NULL,
     "payload bytes of each packet (at most mtu; a read request asks for them)"},
    {"vl", SIM_PARAM_UINT, P(vl), "0", "0", "14", NULL, "virtual lane of the packets sent"},
    {"spread", SIM_PARAM_UINT, P(spread), "1", "1", "15", NULL,
     "packet i goes on VL vl + (i mod spread)"},
    {"start", SIM_PARAM_UINT, P(start), "0", "0", "1000000000000", NULL,
     "cycle the first packet is queued at, at the earliest"},
    {"gap", SIM_PARAM_UINT, P(gap), "0", "0", "1000000000", NULL,
     "cycles from one packet queued to the next, at least (0: as fast as the queue takes them)"},
    {"drain", SIM_PARAM_UINT, P(drain), "0", "0", "1000000000", NULL,
     "cycles from one received packet taken to the next, at least (0: at arrival)"},
    {"lid", SIM_PARAM_UINT, P(lid), "1", "1", "49151", NULL, "this port's LID (LRH.SLID)"},
    {"dlid", SIM_PARAM_UINT, P(dlid), "2", "1", "49151", NULL,
     "destination LID of the packets sent (LRH.DLID)"},
};
#undef P

static const SimPortDesc tester_ports[] = {
    {"tx", SIM_PORT_OUT, false, "packets to the link (an ib.cable's a_in or b_in)"},
    {"rx", SIM_PORT_IN, false, "packets from the link"},
};

static const char *tester_check(const void *params, char *msg, size_t msg_size)
{
    const TesterParams *p = params;
    if (p->vl >= p->link.vls) {
        snprintf(msg, msg_size, "VL %llu, but the port has %llu virtual lanes (vls)",
                 (unsigned long long)p->vl, (unsigned long long)p->link.vls);
        return "vl";
    }
    if (p->vl + p->spread > p->link.vls) {
        snprintf(msg, msg_size, "VLs %llu .. %llu, but the port has %llu virtual lanes (vls)",
                 (unsigned long long)p->vl, (unsigned long long)(p->vl + p->spread - 1),
                 (unsigned long long)p->link.vls);
        return "spread";
    }
    if (p->payload > p->link.mtu && p->op != IB_READ_REQ - IB_PKT_FIRST) {
        snprintf(msg, msg_size, "%llu bytes exceed the mtu of %llu bytes",
                 (unsigned long long)p->payload, (unsigned long long)p->link.mtu);
        return "payload";
    }
    return ib_link_check(&p->link, msg, msg_size);
}

static const SimStatDesc tester_stat_rows[] = {
    SIM_STAT_ROW("received", SIM_STAT_COUNTER, Tester, received, "packets", 1,
                 "data packets taken by the sink"),
    SIM_STAT_ROW("received_bytes", SIM_STAT_COUNTER, Tester, received_bytes, "B", 1,
                 "payload bytes of those"),
    SIM_STAT_ROW("first_rx_cycle", SIM_STAT_COUNTER, Tester, first_rx_cycle, "cycles", 1,
                 "cycle the first packet was taken"),
    SIM_STAT_ROW("last_rx_cycle", SIM_STAT_COUNTER, Tester, last_rx_cycle, "cycles", 1,
                 "cycle the last packet was taken"),
    IB_LINK_STAT_ROWS(1, 1),
};

static const SimStatGroup tester_stat_groups[] = {
    {"<n>", "virtual lane 0 .. vls - 1", NULL},
};

static const SimStatTable tester_stats = {tester_stat_rows,
                                          N_OF(tester_stat_rows),
                                          tester_stat_groups,
                                          N_OF(tester_stat_groups),
                                          NULL,
                                          0};

static bool tester_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                         SimError *err)
{
    Tester *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return sim_error_oom(err, name);
    }
    t->p = *(const TesterParams *)params;
    t->next_gen = t->p.start;
    if (!ib_link_init(&t->link, &t->c, name, &t->p.link, err)) {
        goto fail_parts;
    }
    if (!sim_add_component(sim, &t->c, name, t->p.link.domain, &tester_ops, err)) {
        goto fail_parts;
    }
    t->link.name = t->c.name;
    t->c.daemon = true; /* flow-control refreshes alone do not keep a run alive */
    t->c.requester = true;
    sim_build_port(bld, "tx", &t->c, &t->link.tx);
    sim_build_port(bld, "rx", &t->c, &t->link.rx);
    sim_build_stats(bld, &(SimStatBinding){.block = {t, &t->link.st}, .count = {t->link.vls}});
    return true;

fail_parts:
    tester_destroy(&t->c);
    free(t);
    return false;
}

const SimModelType ib_tester_type = {
    .name = "ib.tester",
    .doc = "InfiniBand end port for tests: sends `count` data packets of one type and size on "
           "one VL through the shared link layer (credits, flow control, symbol timing) and "
           "takes what it receives, `drain` cycles apart.",
    .params = tester_params,
    .n_params = N_OF(tester_params),
    .params_size = sizeof(TesterParams),
    .ports = tester_ports,
    .n_ports = N_OF(tester_ports),
    .check = tester_check,
    .build = tester_build,
    .stats = &tester_stats,
};
