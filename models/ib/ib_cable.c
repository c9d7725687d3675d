/*
 * ib.cable: the cable between two InfiniBand ports, both directions (a_in -> b_out,
 * b_in -> a_out). Wire it once:
 *
 *   - {from: x:tx, to: cable:a_in}     - {from: cable:b_out, to: y:rx}
 *   - {from: y:tx, to: cable:b_in}     - {from: cable:a_out, to: x:rx}
 *
 * A port pushes a data packet at its header with its tail following (SimPacket.tail: the cable
 * takes tails); the cable takes it at cycle c and pushes it on at c + F, F = ceil(length x
 * delay_per_m / period) (docs/models/ib.md section 2.2), its tail F after the tail came in, to
 * a receiver that takes tails (a switch port); to one that does not, whole, F after its tail
 * came in. With the YAML link's latency 1 a packet whose last symbol leaves at e is in such a
 * receiver's buffer at e + 1 + F + 1 (+ phy_rx). The cable carries whole packets in order and loses
 * none: an InfiniBand link layer has no retry (a corrupt packet is dropped, and the reliable
 * transport resends), and bit errors are not modelled here (docs/models/ib.md section 5).
 */
#include "ib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/proto/ib.h"
#include "sim/core/ring.h"

typedef struct CableParams {
    SimDomain *domain;
    double length;
    SimTime delay_per_m;
} CableParams;

typedef struct CableSlot {
    SimPacket *pkt;
    SimCycle at;  /* cycle it is pushed on */
    SimTime tail; /* when its tail is delivered (pushed at its header), 0: whole */
} CableSlot;

typedef struct CableDir {
    SimPort *in;
    SimPort *out;
    CableSlot *line; /* in flight, oldest first */
    SimRing r;
    uint64_t packets;
    uint64_t bytes;
    uint64_t blocked_cycles;
    SimCycle blocked_since;
} CableDir;

typedef struct Cable {
    SimComponent c;
    CableParams p;
    uint64_t flight;
    CableDir dir[2];
} Cable;

static SimCycle cable_tick(SimComponent *c, SimCycle now)
{
    Cable *k = (Cable *)c;
    SimCycle next = SIM_CYCLE_NEVER;
    for (int i = 0; i < 2; i++) {
        CableDir *d = &k->dir[i];
        SimPacket *pkt;
        while (!sim_ring_full(&d->r) && (pkt = sim_port_peek(d->in)) != NULL) {
            CableSlot e = {pkt, now + k->flight, 0};
            if (pkt->tail != 0) {
                SimCycle tail = sim_port_tail_cycle(d->in, pkt);
                if (d->out->consumer->takes_tails) {
                    e.tail = sim_domain_time(c->domain, tail + k->flight);
                } else {
                    e.at = tail + k->flight; /* the receiver wants it whole */
                }
            }
            sim_port_pop(d->in);
            pkt->tail = 0;
            d->packets++;
            d->bytes += ib_packet_bytes(pkt);
            d->line[sim_ring_push(&d->r)] = e;
        }
        while (!sim_ring_empty(&d->r) && d->line[sim_ring_head(&d->r)].at <= now) {
            if (!sim_port_can_push(d->out)) {
                if (d->blocked_since == SIM_CYCLE_NEVER) {
                    d->blocked_since = now;
                }
                break;
            }
            if (d->blocked_since != SIM_CYCLE_NEVER) {
                d->blocked_cycles += now - d->blocked_since;
                d->blocked_since = SIM_CYCLE_NEVER;
            }
            const CableSlot *e = &d->line[sim_ring_pop(&d->r)];
            sim_packet_set_tail(e->pkt, e->tail, c->sim->now);
            sim_port_push(d->out, e->pkt);
        }
        if (!sim_ring_empty(&d->r)) {
            SimCycle at = d->line[sim_ring_head(&d->r)].at;
            if (at > now && at < next) {
                next = at;
            }
        }
        if (sim_port_peek(d->in) != NULL && now + 1 < next) {
            next = now + 1; /* the line was full: take the rest next cycle */
        }
    }
    return next == SIM_CYCLE_NEVER ? SIM_SLEEP : next;
}

static bool cable_busy(const SimComponent *c)
{
    const Cable *k = (const Cable *)c;
    return !sim_ring_empty(&k->dir[0].r) || !sim_ring_empty(&k->dir[1].r);
}

static void cable_dump(const SimComponent *c, SimError *report)
{
    const Cable *k = (const Cable *)c;
    sim_error_append(report, " (%u packets in flight a->b, %u b->a)", k->dir[0].r.count,
                     k->dir[1].r.count);
}

static void cable_destroy(SimComponent *c)
{
    Cable *k = (Cable *)c;
    free(k->dir[0].line);
    free(k->dir[1].line);
}

static const SimComponentOps cable_ops = {
    .tick = cable_tick,
    .busy = cable_busy,
    .dump = cable_dump,
    .destroy = cable_destroy,
};

#define P(field) offsetof(CableParams, field)
static const SimParamDesc cable_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), NULL, NULL, NULL, NULL,
     "the symbol clock of the ports at its ends"},
    {"length", SIM_PARAM_LENGTH, P(length), "3m", "0", "10km", NULL, "cable length"},
    {"delay_per_m", SIM_PARAM_TIME, P(delay_per_m), "5ns", "0", "1us", NULL,
     "propagation delay per metre (copper or fibre, about 4.3 .. 5 ns/m)"},
};
#undef P

static const SimPortDesc cable_ports[] = {
    {"a_in", SIM_PORT_IN, false, "packets from end A's port (its tx)"},
    {"b_out", SIM_PORT_OUT, false, "those packets to end B's port (its rx)"},
    {"b_in", SIM_PORT_IN, false, "packets from end B's port"},
    {"a_out", SIM_PORT_OUT, false, "those packets to end A's port"},
};

static const char *const cable_dir_labels[] = {"ab", "ba"};

#define CABLE_DIR_ROW(name_, field_, unit_, doc_)                                                  \
    SIM_STAT_GROUP_ROW(0, 1, name_, SIM_STAT_COUNTER, Cable, dir[0].field_, sizeof(CableDir),      \
                       unit_, 1, doc_)

static const SimStatDesc cable_stat_rows[] = {
    CABLE_DIR_ROW("<dir>_packets", packets, "packets", "packets, data and flow control"),
    CABLE_DIR_ROW("<dir>_bytes", bytes, "B", "their bytes, LRH to VCRC (FC: 6)"),
    CABLE_DIR_ROW("<dir>_blocked_cycles", blocked_cycles, "cycles",
                  "cycles the receiver did not take an arrived packet"),
};

#undef CABLE_DIR_ROW

static const SimStatGroup cable_stat_groups[] = {
    {"<dir>", "direction: ab (a_in to b_out), ba (b_in to a_out)", cable_dir_labels},
};

static const SimStatTable cable_stats = {
    cable_stat_rows, N_OF(cable_stat_rows), cable_stat_groups, N_OF(cable_stat_groups), NULL, 0};

static bool cable_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                        SimError *err)
{
    const CableParams *p = params;
    Cable *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        return sim_error_oom(err, name);
    }
    k->p = *p;
    double flight_ps = p->length * (double)p->delay_per_m;
    k->flight = (uint64_t)ceil(flight_ps / (double)p->domain->period - 1e-9);
    /* A packet lasts at least one symbol time: this many are in the cable at once. */
    uint32_t cap = (uint32_t)(k->flight + 2);
    for (int i = 0; i < 2; i++) {
        sim_ring_init(&k->dir[i].r, cap);
        k->dir[i].blocked_since = SIM_CYCLE_NEVER;
        k->dir[i].line = calloc(cap, sizeof(*k->dir[i].line));
        if (k->dir[i].line == NULL) {
            sim_error_oom(err, name);
            goto fail_parts;
        }
    }
    if (!sim_add_component(sim, &k->c, name, p->domain, &cable_ops, err)) {
        goto fail_parts;
    }
    k->c.takes_tails = true; /* passes packets on at their header to receivers that take them */
    sim_build_port(bld, "a_in", &k->c, &k->dir[0].in);
    sim_build_port(bld, "b_out", &k->c, &k->dir[0].out);
    sim_build_port(bld, "b_in", &k->c, &k->dir[1].in);
    sim_build_port(bld, "a_out", &k->c, &k->dir[1].out);
    sim_build_stats(bld, &(SimStatBinding){.block = {k}, .count = {2}});
    return true;

fail_parts:
    cable_destroy(&k->c);
    free(k);
    return false;
}

static const SimPortFlow cable_flows[] = {
    {"a_in", SIM_FLOW_THROUGH, "b_out"},
    {"b_in", SIM_FLOW_THROUGH, "a_out"},
};

const SimModelType ib_cable_type = {
    .name = "ib.cable",
    .doc = "InfiniBand cable, both directions: whole packets in order, delayed by the "
           "propagation time of its length rounded up to symbol times; no loss.",
    .params = cable_params,
    .n_params = N_OF(cable_params),
    .params_size = sizeof(CableParams),
    .ports = cable_ports,
    .n_ports = N_OF(cable_ports),
    .check = NULL,
    .build = cable_build,
    .flows = cable_flows,
    .n_flows = N_OF(cable_flows),
    .stats = &cable_stats,
};
