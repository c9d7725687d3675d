/*
 * generic.delay: a FIFO stage of `depth` entries that holds each packet `delay` cycles.
 *
 * Each cycle it first takes up to `width` visible packets from `in` while it has room (a packet
 * taken at cycle c is ready at c + delay), then forwards up to `width` ready packets to `out`
 * while the port has room. With delay 0 a packet taken at c leaves at c, so one hop through a
 * stage costs the link latency only. A full stage takes again in the cycle after it forwards.
 *
 *   in visible at c ──take──> [ ready c+delay ] ──forward at >= c+delay──> out (visible later)
 *
 * `tokens` packets are made at cycle 0 (ready at once): a ring of delay stages with tokens is
 * the kernel benchmark. The stage itself is a SimTimedFifo (sim/core/ring.h) of `depth` entries,
 * each ready at its cycle.
 */
#include "generic.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim/core/ring.h"

typedef struct DelayParams {
    SimDomain *domain;
    uint64_t delay;
    uint64_t depth;
    uint64_t width;
    uint64_t tokens;
} DelayParams;

typedef struct Delay {
    SimComponent c;
    SimPort *in;
    SimPort *out;
    DelayParams p;
    SimTimedFifo ring;
    uint32_t depth;
    uint32_t width;
    uint32_t max_count;
    bool started;
    uint64_t forwarded;
    uint64_t enter_time_sum; /* occupancy integral = exits - entries (mod 2^64) */
    uint64_t exit_time_sum;
    SimTimeAvg occupancy;
} Delay;

static void delay_store(Delay *d, SimPacket *pkt, SimCycle ready)
{
    sim_timed_fifo_push(&d->ring, ready, pkt);
    if (sim_timed_fifo_count(&d->ring) > d->max_count) {
        d->max_count = sim_timed_fifo_count(&d->ring);
    }
    d->enter_time_sum += d->c.sim->now;
}

static SimCycle delay_tick(SimComponent *c, SimCycle now)
{
    Delay *d = (Delay *)c;
    Sim *sim = c->sim;
    if (!d->started) {
        d->started = true;
        for (uint64_t i = 0; i < d->p.tokens; i++) {
            SimPacket *pkt = sim_packet_new(sim);
            if (pkt == NULL) {
                return SIM_SLEEP;
            }
            pkt->type = GENERIC_PACKET_TYPE;
            pkt->stamp[SIM_STAMP_CREATE] = pkt->stamp[SIM_STAMP_INJECT] = sim->now;
            delay_store(d, pkt, now);
        }
    }
    for (uint32_t n = 0; n < d->width && !sim_timed_fifo_full(&d->ring); n++) {
        SimPacket *pkt = sim_port_peek(d->in);
        if (pkt == NULL) {
            break;
        }
        sim_port_pop(d->in);
        delay_store(d, pkt, now + d->p.delay);
    }
    for (uint32_t n = 0; n < d->width; n++) {
        if (sim_timed_fifo_ready(&d->ring, now) == NULL || !sim_port_can_push(d->out)) {
            break;
        }
        sim_port_push(d->out, sim_timed_fifo_pop(&d->ring));
        sim_work_done(c->sim); /* a stage's work is handing its packet on */
        d->forwarded++;
        d->exit_time_sum += sim->now;
    }
    if (!sim_timed_fifo_full(&d->ring) && sim_port_peek(d->in) != NULL) {
        return now + 1; /* more input to take */
    }
    if (sim_timed_fifo_count(&d->ring) == 0) {
        /* Empty: the next packet may already be on its way for the next edge; asking for the
         * next cycle then is what the kernel would conclude anyway, and cheaper. */
        return sim_port_head_time(d->in) == sim->now + c->domain->period ? now + 1 : SIM_SLEEP;
    }
    SimCycle ready = sim_timed_fifo_head_ready(&d->ring);
    if (ready > now) {
        return ready;
    }
    return sim_port_can_push(d->out) ? now + 1 : SIM_SLEEP;
}

static void delay_finish(SimComponent *c, SimTime end)
{
    Delay *d = (Delay *)c;
    sim_timeavg_init(&d->occupancy, 0, 0);
    d->occupancy.area_lo =
        d->exit_time_sum - d->enter_time_sum + (uint64_t)sim_timed_fifo_count(&d->ring) * end;
    d->occupancy.since = end;
    d->occupancy.max = d->max_count;
}

static bool delay_busy(const SimComponent *c)
{
    const Delay *d = (const Delay *)c;
    return sim_timed_fifo_count(&d->ring) != 0 && d->p.tokens == 0;
}

static void delay_dump(const SimComponent *c, SimError *report)
{
    const Delay *d = (const Delay *)c;
    sim_error_append(report, " (holds %u of %u packets)", sim_timed_fifo_count(&d->ring), d->depth);
}

static void delay_destroy(SimComponent *c)
{
    sim_timed_fifo_destroy(&((Delay *)c)->ring);
}

static const SimComponentOps delay_ops = {
    .tick = delay_tick,
    .finish = delay_finish,
    .busy = delay_busy,
    .dump = delay_dump,
    .destroy = delay_destroy,
};

static const SimParamDesc delay_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(DelayParams, domain), "pcie", NULL, NULL, NULL,
     "clock domain the stage runs in"},
    {"delay", SIM_PARAM_UINT, offsetof(DelayParams, delay), "0", "0", "1000000000", NULL,
     "cycles each packet is held"},
    {"depth", SIM_PARAM_UINT, offsetof(DelayParams, depth), "2", "1", "1048576", NULL,
     "packets the stage can hold"},
    {"width", SIM_PARAM_UINT, offsetof(DelayParams, width), "1", "1", "64", NULL,
     "packets taken and forwarded per cycle, each"},
    {"tokens", SIM_PARAM_UINT, offsetof(DelayParams, tokens), "0", "0", "1048576", NULL,
     "packets made at cycle 0 (for rings); at most depth"},
};

static const SimPortDesc delay_ports[] = {
    {"in", SIM_PORT_IN, false, "packets taken"},
    {"out", SIM_PORT_OUT, false, "packets forwarded"},
};

static const char *delay_check(const void *params, char *msg, size_t msg_size)
{
    const DelayParams *p = params;
    if (p->tokens > p->depth) {
        snprintf(msg, msg_size, "%llu tokens do not fit in a stage of depth %llu",
                 (unsigned long long)p->tokens, (unsigned long long)p->depth);
        return "tokens";
    }
    return NULL;
}

static const SimStatDesc delay_stat_rows[] = {
    SIM_STAT_ROW("forwarded", SIM_STAT_COUNTER, Delay, forwarded, "packets", 1,
                 "packets forwarded"),
    SIM_STAT_ROW("occupancy", SIM_STAT_TIMEAVG, Delay, occupancy, "packets", 1,
                 "packets held, time-weighted"),
};

static const SimStatTable delay_stats = {delay_stat_rows, N_OF(delay_stat_rows), NULL, 0, NULL, 0};

static bool delay_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                        SimError *err)
{
    Delay *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return sim_error_oom(err, name);
    }
    d->p = *(const DelayParams *)params;
    d->depth = (uint32_t)d->p.depth;
    d->width = (uint32_t)d->p.width;
    if (!sim_timed_fifo_init(&d->ring, d->depth)) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    if (!sim_add_component(sim, &d->c, name, d->p.domain, &delay_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "in", &d->c, &d->in);
    sim_build_port(bld, "out", &d->c, &d->out);
    sim_build_stats(bld, &(SimStatBinding){.block = {d}});
    return true;

fail_parts:
    delay_destroy(&d->c);
    free(d);
    return false;
}

/* A delay passes on whatever it takes, so it may sit on a request path (fabric checks). */
static const SimPortFlow delay_flows[] = {
    {"in", SIM_FLOW_THROUGH, "out"},
};

const SimModelType generic_delay_type = {
    .name = "generic.delay",
    .doc = "Delay/FIFO stage: holds each packet `delay` cycles in a FIFO of `depth` entries.",
    .params = delay_params,
    .n_params = N_OF(delay_params),
    .params_size = sizeof(DelayParams),
    .ports = delay_ports,
    .n_ports = 2,
    .check = delay_check,
    .build = delay_build,
    .flows = delay_flows,
    .n_flows = N_OF(delay_flows),
    .stats = &delay_stats,
};
