/*
 * generic.source: offers `count` packets of `size` bytes at `rate` packets per cycle.
 *
 * Emission k (k = 0, 1, ...) is scheduled at cycle ceil(k / rate) for the fixed pattern, or
 * after geometric gaps of mean 1 / rate cycles (at least one) drawn from the instance's random
 * stream for the poisson pattern. A packet is stamped CREATE at its scheduled cycle and INJECT
 * at the cycle it enters the output port; a full port holds the source back (back-pressure), and
 * later emissions keep their own schedule, so a stalled source catches up at one packet a cycle.
 *
 *   cycle:     0   1   2   3   4        rate 0.5, fixed pattern
 *   emit:      k0      k1      k2
 */
#include "generic.h"

#include <math.h>
#include <stdlib.h>

enum {
    PATTERN_FIXED = 0,
    PATTERN_POISSON,
    PATTERN_MAX
};

typedef struct SourceParams {
    SimDomain *domain;
    double rate;
    uint64_t size;
    uint64_t count;
    int pattern;
    uint64_t dst;
    uint64_t src;
} SourceParams;

typedef struct Source {
    SimComponent c;
    SimPort *out;
    SourceParams p;
    SimCycle next_emit; /* scheduled cycle of emission `sent` */
    uint64_t sent;
    uint64_t bytes;
    SimHist backpressure; /* ps between scheduled and actual injection */
} Source;

static SimCycle gap(Source *s)
{
    if (s->p.pattern == PATTERN_FIXED) {
        return 0; /* unused: fixed emissions are computed from k */
    }
    if (s->p.rate >= 1.0) {
        return 1;
    }
    /* Geometric number of cycles with success probability `rate` per cycle, at least 1. */
    double u = sim_rng_uniform(&s->c.rng);
    double g = floor(log1p(-u) / log1p(-s->p.rate));
    return 1 + (SimCycle)g;
}

static SimCycle fixed_cycle(const Source *s, uint64_t k)
{
    return (SimCycle)ceil((double)k / s->p.rate);
}

static SimCycle source_tick(SimComponent *c, SimCycle now)
{
    Source *s = (Source *)c;
    Sim *sim = c->sim;
    if (s->p.count != 0 && s->sent == s->p.count) {
        return SIM_SLEEP;
    }
    while (now >= s->next_emit && (s->p.count == 0 || s->sent < s->p.count)) {
        if (!sim_port_can_push(s->out)) {
            return SIM_SLEEP; /* the port wakes us when a slot frees */
        }
        SimPacket *pkt = sim_packet_new(sim);
        if (pkt == NULL) {
            return SIM_SLEEP;
        }
        pkt->type = GENERIC_PACKET_TYPE;
        pkt->len = (uint32_t)s->p.size;
        pkt->src = (uint16_t)s->p.src;
        pkt->dst = (uint16_t)s->p.dst;
        pkt->addr = s->sent * s->p.size;
        pkt->stamp[SIM_STAMP_CREATE] = sim_domain_time(c->domain, s->next_emit);
        pkt->stamp[SIM_STAMP_INJECT] = sim->now;
        sim_hist_record(&s->backpressure, sim->now - pkt->stamp[SIM_STAMP_CREATE]);
        sim_port_push(s->out, pkt);
        s->sent++;
        s->bytes += s->p.size;
        s->next_emit =
            s->p.pattern == PATTERN_FIXED ? fixed_cycle(s, s->sent) : s->next_emit + gap(s);
        if (s->next_emit <= now) {
            /* Behind schedule: at most one packet a cycle. */
            return now + 1;
        }
    }
    if (s->p.count != 0 && s->sent == s->p.count) {
        return SIM_SLEEP;
    }
    return s->next_emit;
}

static bool source_busy(const SimComponent *c)
{
    const Source *s = (const Source *)c;
    /* Packets still to send are work the run must not end with. */
    return s->p.count == 0 || s->sent < s->p.count;
}

static void source_dump(const SimComponent *c, SimError *report)
{
    const Source *s = (const Source *)c;
    sim_error_append(report, " (sent %llu of %llu)", (unsigned long long)s->sent,
                     (unsigned long long)s->p.count);
}

static void source_destroy(SimComponent *c)
{
    sim_hist_destroy(&((Source *)c)->backpressure);
}

static const SimComponentOps source_ops = {
    .tick = source_tick,
    .busy = source_busy,
    .dump = source_dump,
    .destroy = source_destroy,
};

static const char *const pattern_names[] = {"fixed", "poisson", NULL};

static const SimParamDesc source_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(SourceParams, domain), "pcie", NULL, NULL, NULL,
     "clock domain the source runs in"},
    {"rate", SIM_PARAM_REAL, offsetof(SourceParams, rate), "1", "0.000001", "1", NULL,
     "packets offered per cycle"},
    {"size", SIM_PARAM_BYTES, offsetof(SourceParams, size), "64B", "1B", "1MiB", NULL,
     "bytes each packet stands for"},
    {"count", SIM_PARAM_UINT, offsetof(SourceParams, count), "1000", "0", "1000000000000", NULL,
     "packets to send; 0 sends until --until"},
    {"pattern", SIM_PARAM_ENUM, offsetof(SourceParams, pattern), "fixed", NULL, NULL, pattern_names,
     "fixed: every 1/rate cycles; poisson: geometric gaps of mean 1/rate"},
    {"dst", SIM_PARAM_UINT, offsetof(SourceParams, dst), "0", "0", "65535", NULL,
     "destination node id written into each packet"},
    {"src", SIM_PARAM_UINT, offsetof(SourceParams, src), "0", "0", "65535", NULL,
     "source node id written into each packet"},
};

static const SimPortDesc source_ports[] = {
    {"out", SIM_PORT_OUT, false, "packets offered to the fabric"},
};

static const SimStatDesc source_stat_rows[] = {
    SIM_STAT_ROW("sent", SIM_STAT_COUNTER, Source, sent, "packets", 1, "packets injected"),
    SIM_STAT_ROW("bytes", SIM_STAT_COUNTER, Source, bytes, "B", 1, "bytes injected"),
    SIM_STAT_ROW("backpressure_ns", SIM_STAT_HIST, Source, backpressure, "ns", 1000,
                 "delay from scheduled to actual injection"),
};

static const SimStatTable source_stats = {
    source_stat_rows, N_OF(source_stat_rows), NULL, 0, NULL, 0};

static bool source_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                         SimError *err)
{
    Source *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return sim_error_oom(err, name);
    }
    s->p = *(const SourceParams *)params;
    if (!sim_hist_init(&s->backpressure)) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    s->c.requester = true; /* the watchdog waits on its outstanding requests */
    if (!sim_add_component(sim, &s->c, name, s->p.domain, &source_ops, err)) {
        goto fail_parts;
    }
    /* --progress: done when every packet is sent (count 0, endless, declares nothing). */
    if (!sim_add_work(sim, &s->sent, s->p.count)) {
        return sim_error_oom(err, name);
    }
    sim_build_port(bld, "out", &s->c, &s->out);
    sim_build_stats(bld, &(SimStatBinding){.block = {s}});
    return true;

fail_parts:
    source_destroy(&s->c);
    free(s);
    return false;
}

const SimModelType generic_source_type = {
    .name = "generic.source",
    .doc = "Traffic source: offers `count` packets of `size` bytes at `rate` packets per cycle.",
    .params = source_params,
    .n_params = N_OF(source_params),
    .params_size = sizeof(SourceParams),
    .ports = source_ports,
    .n_ports = 1,
    .build = source_build,
    .stats = &source_stats,
};
