/*
 * generic.sink: consumes one packet every `accept_every` cycles (1: one a cycle) and records its
 * latency from injection (INJECT stamp) to the cycle it is taken, in picoseconds.
 *
 *   producer pushes at edge t  ->  visible at the sink's first edge >= t + latency (> t)
 *   -> taken at that edge if the sink is ready, else at its next ready cycle.
 */
#include "generic.h"

#include <stdlib.h>

typedef struct SinkParams {
    SimDomain *domain;
    uint64_t accept_every;
} SinkParams;

typedef struct Sink {
    SimComponent c;
    SimPort *in;
    SinkParams p;
    SimCycle next_accept;
    uint64_t received;
    uint64_t bytes;
    double throughput_gbps;
    SimHist latency;    /* INJECT -> taken, ps */
    SimHist end_to_end; /* CREATE -> taken, ps */
} Sink;

static SimCycle sink_tick(SimComponent *c, SimCycle now)
{
    Sink *s = (Sink *)c;
    Sim *sim = c->sim;
    SimPacket *pkt = sim_port_peek(s->in);
    if (pkt == NULL) {
        return SIM_SLEEP;
    }
    if (now < s->next_accept) {
        return s->next_accept;
    }
    sim_port_pop(s->in);
    sim_hist_record(&s->latency, sim->now - pkt->stamp[SIM_STAMP_INJECT]);
    sim_hist_record(&s->end_to_end, sim->now - pkt->stamp[SIM_STAMP_CREATE]);
    s->received++;
    sim_work_done(sim);
    s->bytes += pkt->len;
    sim_packet_free(sim, pkt);
    s->next_accept = now + s->p.accept_every;
    /* Nothing visible: sleep; a packet still in flight wakes us when it becomes visible. */
    return sim_port_peek(s->in) != NULL ? s->next_accept : SIM_SLEEP;
}

static void sink_finish(SimComponent *c, SimTime end)
{
    Sink *s = (Sink *)c;
    /* bytes per ps x 1000 = GB/s (decimal). */
    s->throughput_gbps = end ? (double)s->bytes * 1000.0 / (double)end : 0.0;
}

static void sink_destroy(SimComponent *c)
{
    Sink *s = (Sink *)c;
    sim_hist_destroy(&s->latency);
    sim_hist_destroy(&s->end_to_end);
}

static const SimComponentOps sink_ops = {
    .tick = sink_tick,
    .finish = sink_finish,
    .destroy = sink_destroy,
};

static const SimParamDesc sink_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(SinkParams, domain), "pcie", NULL, NULL, NULL,
     "clock domain the sink runs in"},
    {"accept_every", SIM_PARAM_UINT, offsetof(SinkParams, accept_every), "1", "1", "1000000", NULL,
     "cycles between two packets taken (1: one a cycle)"},
};

static const SimPortDesc sink_ports[] = {
    {"in", SIM_PORT_IN, false, "packets consumed"},
};

static const SimStatDesc sink_stat_rows[] = {
    SIM_STAT_ROW("received", SIM_STAT_COUNTER, Sink, received, "packets", 1, "packets taken"),
    SIM_STAT_ROW("bytes", SIM_STAT_COUNTER, Sink, bytes, "B", 1, "bytes taken"),
    SIM_STAT_ROW("throughput_gbps", SIM_STAT_REAL, Sink, throughput_gbps, "GB/s", 1,
                 "bytes taken per second of simulated time"),
    SIM_STAT_ROW("latency_ns", SIM_STAT_HIST, Sink, latency, "ns", 1000,
                 "injection to consumption"),
    SIM_STAT_ROW("end_to_end_ns", SIM_STAT_HIST, Sink, end_to_end, "ns", 1000,
                 "scheduled emission to consumption (includes back-pressure)"),
};

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow sink_stat_roles[] = {
    {"throughput_gbps", SIM_STAT_ROLE_THROUGHPUT},
    {"latency_ns", SIM_STAT_ROLE_LATENCY},
};
static const SimStatTable sink_stats = {sink_stat_rows,  N_OF(sink_stat_rows), NULL, 0,
                                        sink_stat_roles, N_OF(sink_stat_roles)};

static bool sink_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    Sink *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return sim_error_oom(err, name);
    }
    s->p = *(const SinkParams *)params;
    if (!sim_hist_init(&s->latency) || !sim_hist_init(&s->end_to_end)) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    if (!sim_add_component(sim, &s->c, name, s->p.domain, &sink_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "in", &s->c, &s->in);
    sim_build_stats(bld, &(SimStatBinding){.block = {s}});
    return true;

fail_parts:
    sink_destroy(&s->c);
    free(s);
    return false;
}

const SimModelType generic_sink_type = {
    .name = "generic.sink",
    .doc = "Traffic sink: takes one packet every `accept_every` cycles and records latencies.",
    .params = sink_params,
    .n_params = N_OF(sink_params),
    .params_size = sizeof(SinkParams),
    .ports = sink_ports,
    .n_ports = 1,
    .build = sink_build,
    .stats = &sink_stats,
};
