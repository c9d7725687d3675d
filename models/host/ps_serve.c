/*
 * PsServe: a TensorFlow 1.x parameter server's software as a timed stage (ps_serve.h,
 * docs/models/ps-server.md). The formulas of every job's time are in the doc's section 2; the
 * functions below compute exactly those, and tests/unit/test_ps_serve.cc checks them.
 */
#include "ps_serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NO_ARRIVAL UINT32_MAX

/* ps for `bytes` at `rate` bytes per second, rounded to the picosecond. */
static SimTime bytes_time(uint64_t bytes, double rate)
{
    if (bytes == 0 || rate <= 0.0) {
        return 0;
    }
    return (SimTime)llround((double)bytes * 1e12 / rate);
}

SimTime ps_transport_cpu(const PsTransportCost *c, uint64_t bytes, double rate)
{
    if (c->transport == PS_TRANSPORT_VERBS) {
        return c->verbs_msg;
    }
    return c->grpc_msg + bytes_time(bytes, rate);
}

double ps_serve_rate(const PsServe *s, double core_rate, unsigned traffic, uint32_t busy)
{
    if (s->p.mem_bw <= 0.0 || busy == 0) {
        return core_rate;
    }
    double share = s->p.mem_bw / ((double)traffic * (double)busy);
    return share < core_rate ? share : core_rate;
}

bool ps_serve_init(PsServe *s, const PsServeParams *p)
{
    memset(s, 0, sizeof(*s));
    s->p = *p;
    uint64_t per_worker = 2ull * p->n_tensors + 2u;
    s->qcap = (uint32_t)(per_worker * p->workers + 16u);
    s->ocap = s->qcap;
    s->core = calloc(p->cores, sizeof(*s->core));
    s->queue = calloc(s->qcap, sizeof(*s->queue));
    s->queued_at = calloc(s->qcap, sizeof(*s->queued_at));
    s->out = calloc(s->ocap, sizeof(*s->out));
    s->applied = calloc(p->workers, sizeof(*s->applied));
    s->expected = calloc(p->workers, sizeof(*s->expected));
    s->iter = calloc(p->workers, sizeof(*s->iter));
    if (s->core == NULL || s->queue == NULL || s->queued_at == NULL || s->out == NULL ||
        s->applied == NULL || s->expected == NULL || s->iter == NULL) {
        ps_serve_destroy(s);
        return false;
    }
    for (uint32_t w = 0; w < p->workers; w++) {
        s->expected[w] = NO_ARRIVAL;
    }
    return true;
}

void ps_serve_destroy(PsServe *s)
{
    free(s->core);
    free(s->queue);
    free(s->queued_at);
    free(s->out);
    free(s->applied);
    free(s->expected);
    free(s->iter);
    s->core = NULL;
    s->queue = NULL;
    s->queued_at = NULL;
    s->out = NULL;
    s->applied = NULL;
    s->expected = NULL;
    s->iter = NULL;
}

static bool enqueue(PsServe *s, const PsServeMsg *m, SimTime now)
{
    if (s->qcount == s->qcap) {
        return false;
    }
    uint32_t k = (s->qhead + s->qcount) % s->qcap;
    s->queue[k] = (PsServeJob){.in = *m, .seq = s->seq++};
    s->queued_at[k] = now;
    s->qcount++;
    if (s->qcount > s->st.max_queue) {
        s->st.max_queue = s->qcount;
    }
    return true;
}

bool ps_serve_receive(PsServe *s, const PsServeMsg *m, SimTime now)
{
    s->st.bytes_in += m->bytes;
    return enqueue(s, m, now);
}

static bool emit(PsServe *s, const PsServeMsg *m)
{
    if (s->ocount == s->ocap) {
        return false;
    }
    s->out[(s->ohead + s->ocount) % s->ocap] = *m;
    s->ocount++;
    s->st.bytes_out += m->bytes;
    return true;
}

/* The tensor's bytes, 0 for a tensor the table does not have (the owner checks first). */
static uint64_t tensor_bytes(const PsServe *s, uint32_t t)
{
    return t < s->p.n_tensors ? s->p.bytes[t] : 0;
}

/*
 * A job's time on a core, started with `busy` cores busy (itself included), doc section 2:
 *   PULL     recv(ctrl) + send(tensor)
 *   PUSH     recv(gradient) + apply_tensor + gradient / apply rate (or the recorded apply)
 *   ARRIVE   recv(ctrl)
 *   RELEASE  send(ctrl)
 * with recv(b) = send(b) = ps_transport_cpu(b) at the copy rate.
 */
static SimTime job_time(const PsServe *s, const PsServeMsg *m, uint32_t busy)
{
    const PsTransportCost *c = &s->p.cost;
    double copy = ps_serve_rate(s, c->grpc_rate, PS_SERVE_COPY_TRAFFIC, busy);
    switch (m->kind) {
    case PS_SERVE_PULL:
        return ps_transport_cpu(c, m->bytes, copy) +
               ps_transport_cpu(c, tensor_bytes(s, m->tensor), copy);
    case PS_SERVE_PUSH: {
        double apply = ps_serve_rate(s, s->p.apply_rate, PS_SERVE_APPLY_TRAFFIC, busy);
        if (m->has_apply) {
            return ps_transport_cpu(c, m->bytes, copy) + m->apply; /* apply_time: recorded */
        }
        return ps_transport_cpu(c, m->bytes, copy) + s->p.apply_tensor +
               bytes_time(m->bytes, apply);
    }
    default:
        return ps_transport_cpu(c, s->p.ctrl_bytes, copy);
    }
}

/* Queues the releases the barrier allows: BSP when every worker has arrived and every push it
 * counted is applied; async for each worker on its own. */
static bool release_due(PsServe *s, SimTime now)
{
    uint32_t W = s->p.workers;
    if (s->p.async) {
        for (uint32_t w = 0; w < W; w++) {
            if (s->expected[w] != NO_ARRIVAL && s->applied[w] >= s->expected[w]) {
                PsServeMsg r = {.kind = PS_SERVE_RELEASE,
                                .worker = (uint16_t)w,
                                .iter = s->iter[w],
                                .bytes = s->p.ctrl_bytes};
                s->applied[w] -= s->expected[w];
                s->expected[w] = NO_ARRIVAL;
                s->n_arrived--;
                if (!enqueue(s, &r, now)) {
                    return false;
                }
            }
        }
        return true;
    }
    if (s->n_arrived < W) {
        return true;
    }
    for (uint32_t w = 0; w < W; w++) {
        if (s->applied[w] < s->expected[w]) {
            return true;
        }
    }
    for (uint32_t w = 0; w < W; w++) {
        PsServeMsg r = {.kind = PS_SERVE_RELEASE,
                        .worker = (uint16_t)w,
                        .iter = s->iter[w],
                        .bytes = s->p.ctrl_bytes};
        s->applied[w] -= s->expected[w];
        s->expected[w] = NO_ARRIVAL;
        if (!enqueue(s, &r, now)) {
            return false;
        }
    }
    s->n_arrived = 0;
    return true;
}

static bool complete(PsServe *s, PsServeCore *c, SimTime now)
{
    const PsServeMsg *m = &c->job.in;
    c->busy = false;
    s->busy_cores--;
    s->st.busy += c->end - c->start;
    switch (m->kind) {
    case PS_SERVE_PULL: {
        s->st.pulls++;
        PsServeMsg r = {.kind = PS_SERVE_TENSOR,
                        .worker = m->worker,
                        .tensor = m->tensor,
                        .iter = m->iter,
                        .bytes = tensor_bytes(s, m->tensor),
                        .addr = m->addr};
        return emit(s, &r);
    }
    case PS_SERVE_PUSH:
        s->st.pushes++;
        s->st.applied_bytes += m->bytes;
        if (m->worker < s->p.workers) {
            s->applied[m->worker]++;
        }
        return release_due(s, now);
    case PS_SERVE_ARRIVE:
        s->st.arrivals++;
        if (m->worker < s->p.workers && s->expected[m->worker] == NO_ARRIVAL) {
            s->expected[m->worker] = m->count;
            s->iter[m->worker] = m->iter;
            s->n_arrived++;
        }
        return release_due(s, now);
    case PS_SERVE_RELEASE:
        s->st.releases++;
        return emit(s, m);
    default:
        return true;
    }
}

bool ps_serve_step(PsServe *s, SimTime now)
{
    bool moved = true;
    while (moved) {
        moved = false;
        /* The running job that ends first (then the earliest arrival), if it has ended. */
        PsServeCore *first = NULL;
        for (uint32_t k = 0; k < s->p.cores; k++) {
            PsServeCore *c = &s->core[k];
            if (c->busy && c->end <= now &&
                (first == NULL || c->end < first->end ||
                 (c->end == first->end && c->job.seq < first->job.seq))) {
                first = c;
            }
        }
        if (first != NULL) {
            if (!complete(s, first, now)) {
                return false;
            }
            moved = true;
            continue;
        }
        for (uint32_t k = 0; k < s->p.cores && s->qcount > 0; k++) {
            PsServeCore *c = &s->core[k];
            if (c->busy) {
                continue;
            }
            c->job = s->queue[s->qhead];
            s->st.wait += now - s->queued_at[s->qhead];
            s->qhead = (s->qhead + 1) % s->qcap;
            s->qcount--;
            c->busy = true;
            s->busy_cores++;
            SimTime d = job_time(s, &c->job.in, s->busy_cores);
            c->start = now;
            c->end = now + d;
            moved = true;
        }
    }
    return true;
}

SimTime ps_serve_next(const PsServe *s)
{
    SimTime next = SIM_TIME_NEVER;
    for (uint32_t k = 0; k < s->p.cores; k++) {
        if (s->core[k].busy && s->core[k].end < next) {
            next = s->core[k].end;
        }
    }
    return next;
}

const PsServeMsg *ps_serve_peek(const PsServe *s)
{
    return s->ocount > 0 ? &s->out[s->ohead] : NULL;
}

void ps_serve_pop(PsServe *s)
{
    if (s->ocount > 0) {
        s->ohead = (s->ohead + 1) % s->ocap;
        s->ocount--;
    }
}

bool ps_serve_busy(const PsServe *s)
{
    return s->busy_cores > 0 || s->qcount > 0 || s->ocount > 0;
}
