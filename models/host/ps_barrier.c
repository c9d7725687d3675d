/*
 * ps.barrier: the kernel-level rendezvous of the parameter-server replay's `barrier: ideal`
 * (docs/workloads.md section 4). Workers on different instances cannot look at each other's
 * state without breaking the tick contract, so they meet here through ports: each host.ps node
 * connects its sync_out to one of in0..in16 and the matching out0..out16 to its sync_in. A
 * message pushed at t is seen strictly later (one barrier cycle with latency 1), the barrier
 * answers in the same tick it sees the last arrival, so the rendezvous costs two port hops and
 * nothing else: no memory traffic.
 *
 * Messages (SimPacket type PS_MSG_*, models/host/host.h): src is the worker (or PS_NO_WORKER),
 * addr the iteration, len the worker count of the trace, flags the modes (PS_F_*).
 *
 *   BSP, membox_host:  W x ARRIVE(i) -> UPDATE(i) to the aggregator -> UPDATED(i) -> RELEASE(i)
 *                      to every worker
 *   BSP, sharded:      W x ARRIVE(i) -> REDUCE(i) to every worker -> W x REDUCED(i) ->
 *                      RELEASE(i) to every worker
 *   BSP, self:         W x ARRIVE(i) -> RELEASE(i) to every worker (each wrote its own update)
 *   async:             ARRIVE(w, i) -> UPDATE(w, i) -> UPDATED(w, i) -> RELEASE(w, i) to w
 *                      (async, self: no message at all)
 *
 * A node announces its port with HELLO at its first tick (the aggregator must: it never
 * arrives); a worker's port is also learnt from its first ARRIVE.
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/ring.h"

#define BAR_PORTS 17u
#define BAR_QUEUE 64u /* messages waiting for one out port; a node has at most a few */

typedef struct BarParams {
    SimDomain *domain;
} BarParams;

typedef struct BarMsg {
    uint16_t type;
    uint16_t flags;
    uint16_t worker;
    uint32_t workers;
    uint64_t iter;
} BarMsg;

/* Messages waiting for space on one out port, oldest first. */
typedef struct BarQueue {
    BarMsg q[BAR_QUEUE];
    SimRing r; /* over q */
} BarQueue;

typedef struct BarStats {
    uint64_t arrivals;
    uint64_t releases;
    uint64_t updates;
} BarStats;

typedef struct Barrier {
    SimComponent c;
    SimPort *in[BAR_PORTS];
    SimPort *out[BAR_PORTS];
    BarParams p;
    int32_t port_of_worker[PS_MAX_WORKERS];
    int32_t agg_port;
    uint32_t workers;
    uint64_t iter;    /* BSP: the iteration being gathered */
    uint32_t arrived; /* BSP: arrivals (or reductions) of it */
    bool reducing;    /* BSP sharded: the REDUCE went out, REDUCED are counted */
    BarQueue queue[BAR_PORTS];
    BarStats st;
} Barrier;

static bool bar_send(Barrier *b, int32_t port, uint16_t type, uint16_t worker, uint64_t iter)
{
    if (port < 0 || b->out[port] == NULL) {
        sim_fail(b->c.sim, "instance '%s': no node connected for a %s message (worker %u)",
                 b->c.name, type == PS_MSG_UPDATE ? "update" : "release", worker);
        return false;
    }
    BarQueue *q = &b->queue[port];
    if (sim_ring_full(&q->r)) {
        sim_fail(b->c.sim, "instance '%s': out%d: more than %u messages waiting", b->c.name, port,
                 BAR_QUEUE);
        return false;
    }
    q->q[sim_ring_push(&q->r)] =
        (BarMsg){.type = type, .worker = worker, .workers = b->workers, .iter = iter};
    return true;
}

static void bar_release_all(Barrier *b, uint16_t type, uint64_t iter)
{
    for (uint32_t w = 0; w < b->workers; w++) {
        if (!bar_send(b, b->port_of_worker[w], type, (uint16_t)w, iter)) {
            return;
        }
        if (type == PS_MSG_RELEASE) {
            b->st.releases++;
        }
    }
}

static void bar_take(Barrier *b, uint32_t port, const SimPacket *pkt)
{
    uint16_t w = pkt->src;
    uint64_t iter = pkt->addr;
    bool sharded = (pkt->flags & PS_F_SHARDED) != 0;
    bool async = (pkt->flags & PS_F_ASYNC) != 0;
    if (pkt->len > 0) {
        b->workers = pkt->len;
    }
    /* Only a worker's own messages tell its port (UPDATED names the worker it was for). */
    bool from_worker =
        pkt->type == PS_MSG_HELLO || pkt->type == PS_MSG_ARRIVE || pkt->type == PS_MSG_REDUCED;
    if (from_worker && w != PS_NO_WORKER && w < PS_MAX_WORKERS) {
        b->port_of_worker[w] = (int32_t)port;
    }
    sim_work_done(b->c.sim);
    switch (pkt->type) {
    case PS_MSG_HELLO:
        if ((pkt->flags & PS_F_AGGREGATOR) != 0) {
            b->agg_port = (int32_t)port;
        }
        return;
    case PS_MSG_ARRIVE:
        b->st.arrivals++;
        if (async) {
            bar_send(b, b->agg_port, PS_MSG_UPDATE, w, iter);
            return;
        }
        if (b->arrived == 0) {
            b->iter = iter;
        }
        b->arrived++;
        if (b->arrived < b->workers) {
            return;
        }
        b->arrived = 0;
        if ((pkt->flags & PS_F_SELF) != 0) {
            bar_release_all(b, PS_MSG_RELEASE, iter); /* each worker has written its update */
        } else if (sharded) {
            b->reducing = true;
            bar_release_all(b, PS_MSG_REDUCE, iter);
        } else {
            b->st.updates++;
            bar_send(b, b->agg_port, PS_MSG_UPDATE, PS_NO_WORKER, iter);
        }
        return;
    case PS_MSG_REDUCED:
        if (++b->arrived < b->workers) {
            return;
        }
        b->arrived = 0;
        b->reducing = false;
        bar_release_all(b, PS_MSG_RELEASE, iter);
        return;
    case PS_MSG_UPDATED:
        if (async) {
            b->st.releases++;
            bar_send(b, b->port_of_worker[w], PS_MSG_RELEASE, w, iter);
        } else {
            bar_release_all(b, PS_MSG_RELEASE, iter);
        }
        return;
    default:
        sim_fail(b->c.sim, "instance '%s': in%u: not a parameter-server message (type 0x%x)",
                 b->c.name, port, pkt->type);
        return;
    }
}

static SimCycle bar_tick(SimComponent *c, SimCycle now)
{
    Barrier *b = (Barrier *)c;
    Sim *sim = c->sim;
    for (uint32_t i = 0; i < BAR_PORTS; i++) {
        SimPacket *pkt;
        while (b->in[i] != NULL && (pkt = sim_port_peek(b->in[i])) != NULL) {
            sim_port_pop(b->in[i]);
            bar_take(b, i, pkt);
            sim_packet_free(sim, pkt);
            if (sim->failed) {
                return SIM_SLEEP;
            }
        }
    }
    for (uint32_t i = 0; i < BAR_PORTS; i++) {
        BarQueue *q = &b->queue[i];
        while (!sim_ring_empty(&q->r) && sim_port_can_push(b->out[i])) {
            const BarMsg *m = &q->q[sim_ring_head(&q->r)];
            SimPacket *pkt = sim_packet_new(sim);
            if (pkt == NULL) {
                return SIM_SLEEP;
            }
            pkt->type = m->type;
            pkt->src = m->worker;
            pkt->addr = m->iter;
            pkt->len = m->workers;
            pkt->stamp[SIM_STAMP_CREATE] = sim->now;
            pkt->stamp[SIM_STAMP_INJECT] = sim->now;
            sim_port_push(b->out[i], pkt);
            sim_ring_pop(&q->r);
        }
    }
    (void)now;
    return SIM_SLEEP; /* a freed slot of a full out port wakes us, like any input */
}

static bool bar_busy(const SimComponent *c)
{
    const Barrier *b = (const Barrier *)c;
    for (uint32_t i = 0; i < BAR_PORTS; i++) {
        if (!sim_ring_empty(&b->queue[i].r)) {
            return true;
        }
    }
    return false;
}

static void bar_dump(const SimComponent *c, SimError *report)
{
    const Barrier *b = (const Barrier *)c;
    sim_error_append(report, " (iteration %llu: %u of %u arrived)", (unsigned long long)b->iter,
                     b->arrived, b->workers);
}

static void bar_destroy(SimComponent *c)
{
    (void)c;
}

static const SimComponentOps bar_ops = {
    .tick = bar_tick,
    .busy = bar_busy,
    .dump = bar_dump,
    .destroy = bar_destroy,
};

static const SimParamDesc bar_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(BarParams, domain), "pcie", NULL, NULL, NULL,
     "clock of the rendezvous"},
};

#define BAR_PORT(i)                                                                                \
    {"in" #i, SIM_PORT_IN, true, "messages of one host.ps node (its sync_out)"},                   \
    {                                                                                              \
        "out" #i, SIM_PORT_OUT, true, "messages to that node (its sync_in)"                        \
    }

static const SimPortDesc bar_ports[] = {
    BAR_PORT(0),  BAR_PORT(1),  BAR_PORT(2),  BAR_PORT(3),  BAR_PORT(4),  BAR_PORT(5),
    BAR_PORT(6),  BAR_PORT(7),  BAR_PORT(8),  BAR_PORT(9),  BAR_PORT(10), BAR_PORT(11),
    BAR_PORT(12), BAR_PORT(13), BAR_PORT(14), BAR_PORT(15), BAR_PORT(16),
};

#undef BAR_PORT

static const SimStatDesc bar_stat_rows[] = {
    SIM_STAT_ROW("arrivals", SIM_STAT_COUNTER, Barrier, st.arrivals, "messages", 1,
                 "workers' arrivals"),
    SIM_STAT_ROW("releases", SIM_STAT_COUNTER, Barrier, st.releases, "messages", 1,
                 "releases sent to workers"),
    SIM_STAT_ROW("updates", SIM_STAT_COUNTER, Barrier, st.updates, "messages", 1,
                 "BSP updates requested from the aggregator"),
};

static const SimStatTable bar_stats = {bar_stat_rows, N_OF(bar_stat_rows), NULL, 0, NULL, 0};

static bool bar_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    Barrier *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return sim_error_oom(err, name);
    }
    b->p = *(const BarParams *)params;
    b->agg_port = -1;
    for (uint32_t w = 0; w < PS_MAX_WORKERS; w++) {
        b->port_of_worker[w] = -1;
    }
    for (uint32_t i = 0; i < BAR_PORTS; i++) {
        sim_ring_init(&b->queue[i].r, BAR_QUEUE);
    }
    if (!sim_add_component(sim, &b->c, name, b->p.domain, &bar_ops, err)) {
        goto fail_barrier;
    }
    for (uint32_t i = 0; i < BAR_PORTS; i++) {
        char port[16];
        snprintf(port, sizeof(port), "in%u", i);
        sim_build_port(bld, port, &b->c, &b->in[i]);
        snprintf(port, sizeof(port), "out%u", i);
        sim_build_port(bld, port, &b->c, &b->out[i]);
    }
    sim_build_stats(bld, &(SimStatBinding){.block = {b}});
    return true;

fail_barrier:
    free(b);
    return false;
}

const SimModelType ps_barrier_type = {
    .name = "ps.barrier",
    .doc = "Ideal rendezvous of the parameter-server replay (host.ps, barrier: ideal): nodes "
           "meet through ports, no memory traffic.",
    .params = bar_params,
    .n_params = N_OF(bar_params),
    .params_size = sizeof(BarParams),
    .ports = bar_ports,
    .n_ports = N_OF(bar_ports),
    .build = bar_build,
    .stats = &bar_stats,
};
