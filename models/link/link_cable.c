/*
 * link.cable: the 40G optical cable between an MPP and an SPP (or any two lane groups), both
 * directions: a_in -> b_out and b_in -> a_out. Wire it once:
 *
 *   - {from: mpp:tx, to: cable:a_in}     - {from: cable:b_out, to: spp:rx}
 *   - {from: spp:tx, to: cable:b_in}     - {from: cable:a_out, to: mpp:rx}
 *
 * A packet is pushed on a_in by its sender when its last word leaves the transceiver (a data
 * packet: its header's last word, with its tail following, SimPacket.tail); the link latency of
 * that YAML link (default 1 cycle) is the serialisation of that last 66-bit block. The cable
 * takes it at that cycle c and delivers it at c + F, F = ceil(length x delay_per_m / period):
 * the first edge of its own clock at which the light has arrived, and its tail F after the tail
 * arrived; the YAML link to the receiver adds its latency again (the receiving PCS latching the
 * block).
 *
 * Faults, drawn from the instance's own random stream in arrival order (both kernels draw the
 * same numbers): each packet is hit by at least one bit error with probability
 * 1 - (1 - ber)^bits, bits = 66 x its 64-bit words over all lanes (the sync headers can be hit
 * too); an error changes the CRC the receiver computes (a syndrome derived from the error's bit
 * position, never 0), so the receiver drops the packet: nothing is repaired. With drop_rate a
 * packet vanishes whole (lost framing). fault_ab / fault_ba force one corruption or drop of
 * chosen packets for tests. A cable cannot hold back light: when the receiver does not take
 * packets the cable waits and counts the cycles (a topology error: give the link room).
 */
#include "link_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/core/ring.h"

enum {
    FAULT_NONE = 0,
    FAULT_CORRUPT,
    FAULT_DROP,
    FAULT_MAX
};
static const char *const fault_names[] = {"none", "corrupt", "drop", NULL};

enum {
    MATCH_ANY = 0,
    MATCH_DATA,
    MATCH_CONTROL,
    MATCH_MWP,
    MATCH_MRD,
    MATCH_MRRP,
    MATCH_ACK,
    MATCH_NAK,
    MATCH_FC,
    MATCH_MAX
};
static const char *const match_names[] = {"any",  "data", "control", "mwp", "mrd",
                                          "mrrp", "ack",  "nak",     "fc",  NULL};

typedef struct CableFault {
    int kind;
    int match;
    uint64_t nth;
    uint64_t count;
} CableFault;

typedef struct CableParams {
    SimDomain *domain;
    double length;
    SimTime delay_per_m;
    double ber;
    double drop_rate;
    CableFault fault[2];
} CableParams;

typedef struct CableSlot {
    SimPacket *pkt;
    SimCycle at;
    SimTime tail; /* when its tail arrived (a frame sent at its header), 0 if whole */
} CableSlot;

typedef struct CableDir {
    SimPort *in;
    SimPort *out;
    CableSlot *line;  /* packets in flight, oldest first */
    SimRing r;        /* over line */
    uint64_t matched; /* packets that matched the fault's type so far */
    /* statistics */
    uint64_t packets;
    uint64_t bits;
    uint64_t corrupted;
    uint64_t dropped;
    uint64_t blocked_cycles;
    SimCycle blocked_since;
} CableDir;

typedef struct Cable {
    SimComponent c;
    CableParams p;
    uint64_t flight; /* cycles */
    CableDir dir[2]; /* 0: a -> b, 1: b -> a */
    double log_ok;   /* log1p(-ber): a bit's log-probability of arriving intact */
    /* With ber > 0: 1 - (1 - ber)^bits for packets of fewer than P_ERR_WORDS words, worked out
     * at build (the same expression as for longer ones), so no expm1 per packet. */
    double *p_err;
} Cable;

#define P_ERR_WORDS 1024u

static bool fault_matches(int match, uint16_t type)
{
    switch (match) {
    case MATCH_ANY:
        return true;
    case MATCH_DATA:
        return link_is_data(type);
    case MATCH_CONTROL:
        return !link_is_data(type);
    default:
        return type == LINK_MWP + (match - MATCH_MWP);
    }
}

/* A nonzero CRC syndrome for an error at bit `pos` (a bijective mix, forced odd). */
static uint32_t syndrome(uint64_t pos)
{
    uint64_t z = pos + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)(z ^ (z >> 31)) | 1u;
}

/* Returns false if the packet is dropped (and freed). */
static bool cable_hit(Cable *k, CableDir *d, const CableFault *f, SimPacket *pkt)
{
    Sim *sim = k->c.sim;
    uint64_t bits = pkt->user[0] * LINK_LINE_BITS_PER_WORD;
    d->packets++;
    d->bits += bits;
    bool corrupt = false;
    bool drop = false;
    if (f->kind != FAULT_NONE && fault_matches(f->match, pkt->type)) {
        d->matched++;
        if (d->matched >= f->nth && d->matched < f->nth + f->count) {
            corrupt = f->kind == FAULT_CORRUPT;
            drop = f->kind == FAULT_DROP;
        }
    }
    uint64_t pos = 0;
    if (k->p.ber > 0.0 && bits > 0) {
        double p_err =
            pkt->user[0] < P_ERR_WORDS ? k->p_err[pkt->user[0]] : -expm1((double)bits * k->log_ok);
        if (sim_rng_uniform(&k->c.rng) < p_err) {
            corrupt = true;
            pos = sim_rng_below(&k->c.rng, bits);
        }
    }
    if (k->p.drop_rate > 0.0 && sim_rng_chance(&k->c.rng, k->p.drop_rate)) {
        drop = true;
    }
    if (drop) {
        d->dropped++;
        sim_packet_free(sim, pkt);
        return false;
    }
    if (corrupt) {
        d->corrupted++;
        pkt->crc ^= syndrome(pos);
    }
    return true;
}

static SimCycle cable_tick(SimComponent *c, SimCycle now)
{
    Cable *k = (Cable *)c;
    SimCycle next = SIM_CYCLE_NEVER;
    for (int i = 0; i < 2; i++) {
        CableDir *d = &k->dir[i];
        SimPacket *pkt;
        while (!sim_ring_full(&d->r) && (pkt = sim_port_peek(d->in)) != NULL) {
            SimTime tail = pkt->tail != 0 ? sim_port_tail_time(d->in, pkt) : 0;
            sim_port_pop(d->in);
            if (!cable_hit(k, d, &k->p.fault[i], pkt)) {
                continue;
            }
            d->line[sim_ring_push(&d->r)] = (CableSlot){pkt, now + k->flight, tail};
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
            SimPacket *out = e->pkt;
            sim_packet_set_tail(out, e->tail ? e->tail + k->flight * c->domain->period : 0,
                                c->sim->now);
            sim_port_push(d->out, out);
        }
        if (!sim_ring_empty(&d->r)) {
            SimCycle at = d->line[sim_ring_head(&d->r)].at;
            if (at > now && at < next) {
                next = at;
            }
        }
    }
    return next;
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
    free(k->p_err);
}

static const SimComponentOps cable_ops = {
    .tick = cable_tick,
    .busy = cable_busy,
    .dump = cable_dump,
    .destroy = cable_destroy,
};

#define P(field) offsetof(CableParams, field)
/* clang-format off */
#define FAULT_ROWS(d, i)                                                                          \
    {"fault_" d, SIM_PARAM_ENUM, P(fault[i].kind), "none", NULL, NULL, fault_names,              \
     "forced fault " d ": none, corrupt (bad CRC) or drop chosen packets"},                      \
    {"fault_" d "_type", SIM_PARAM_ENUM, P(fault[i].match), "any", NULL, NULL, match_names,      \
     "packets the forced fault counts: any, data, control or one type"},                         \
    {"fault_" d "_nth", SIM_PARAM_UINT, P(fault[i].nth), "1", "1", "1000000000000", NULL,        \
     "first matching packet hit (1 = the first)"},                                               \
    {"fault_" d "_count", SIM_PARAM_UINT, P(fault[i].count), "1", "1", "1000000000000", NULL,    \
     "consecutive matching packets hit"}
/* clang-format on */

static const SimParamDesc cable_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "lane", NULL, NULL, NULL,
     "clock the cable delivers on (the lanes' clock)"},
    {"length", SIM_PARAM_LENGTH, P(length), "3m", "0", "100km", NULL, "cable length"},
    {"delay_per_m", SIM_PARAM_TIME, P(delay_per_m), "5ns", "0", "1us", NULL,
     "propagation delay per metre of fibre"},
    {"ber", SIM_PARAM_REAL, P(ber), "1e-12", "0", "0.001", NULL,
     "bit error rate per line bit (66 per 64-bit word)"},
    {"drop_rate", SIM_PARAM_REAL, P(drop_rate), "0", "0", "1", NULL,
     "probability that a packet is lost whole"},
    FAULT_ROWS("ab", 0),
    FAULT_ROWS("ba", 1),
};

#undef FAULT_ROWS
#undef P

static const SimPortDesc cable_ports[] = {
    {"a_in", SIM_PORT_IN, false, "packets from end A's transmitter (an MPP's tx)"},
    {"b_out", SIM_PORT_OUT, false, "those packets to end B's receiver (an SPP's rx)"},
    {"b_in", SIM_PORT_IN, false, "packets from end B's transmitter"},
    {"a_out", SIM_PORT_OUT, false, "those packets to end A's receiver"},
};

static const char *const cable_dir_labels[] = {"ab", "ba"};

#define CABLE_DIR_ROW(name_, field_, unit_, doc_)                                                  \
    SIM_STAT_GROUP_ROW(0, 1, name_, SIM_STAT_COUNTER, Cable, dir[0].field_, sizeof(CableDir),      \
                       unit_, 1, doc_)

static const SimStatDesc cable_stat_rows[] = {
    CABLE_DIR_ROW("<dir>_packets", packets, "packets", "packets that entered this direction"),
    CABLE_DIR_ROW("<dir>_bits", bits, "bits", "line bits of those packets (66 per word)"),
    CABLE_DIR_ROW("<dir>_corrupted", corrupted, "packets",
                  "packets hit by bit errors (the receiver's CRC fails)"),
    CABLE_DIR_ROW("<dir>_dropped", dropped, "packets", "packets lost whole"),
    CABLE_DIR_ROW("<dir>_blocked_cycles", blocked_cycles, "cycles",
                  "cycles the receiver did not take an arrived packet"),
};

#undef CABLE_DIR_ROW

static const SimStatGroup cable_stat_groups[] = {
    {"<dir>", "direction: ab (a_in to b_out), ba (b_in to a_out)", cable_dir_labels},
};

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow cable_stat_roles[] = {
    {"<dir>_corrupted", SIM_STAT_ROLE_RETRIES},
    {"<dir>_dropped", SIM_STAT_ROLE_RETRIES},
};
static const SimStatTable cable_stats = {cable_stat_rows,   N_OF(cable_stat_rows),
                                         cable_stat_groups, N_OF(cable_stat_groups),
                                         cable_stat_roles,  N_OF(cable_stat_roles)};

static bool cable_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                        SimError *err)
{
    const CableParams *p = params;
    Cable *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        return sim_error_oom(err, name);
    }
    k->p = *p;
    k->log_ok = log1p(-k->p.ber);
    if (k->p.ber > 0.0) {
        k->p_err = malloc(P_ERR_WORDS * sizeof(*k->p_err));
        if (k->p_err == NULL) {
            sim_error_oom(err, name);
            goto fail_parts;
        }
        for (uint64_t w = 0; w < P_ERR_WORDS; w++) {
            k->p_err[w] = -expm1((double)(w * LINK_LINE_BITS_PER_WORD) * k->log_ok);
        }
    }
    double flight_ps = p->length * (double)p->delay_per_m;
    SimTime period = p->domain->period;
    k->flight = (uint64_t)ceil(flight_ps / (double)period - 1e-9);
    /* Frames last at least 2 cycles: this many fit in the fibre at once. */
    uint32_t cap = (uint32_t)(k->flight / 2 + 4);
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

/* Either direction may carry the requests, depending on the wiring (fabric checks). */
static const SimPortFlow cable_flows[] = {
    {"a_in", SIM_FLOW_THROUGH, "b_out"},
    {"b_in", SIM_FLOW_THROUGH, "a_out"},
};

const SimModelType link_cable_type = {
    .name = "link.cable",
    .doc = "40G optical cable, both directions: propagation delay from its length, per-bit "
           "error rate and packet drops from the instance's random stream, forced faults for "
           "tests.",
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
