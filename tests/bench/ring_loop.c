/*
 * The kernel benchmark's ring as a hand-written two-clock loop (ring_loop.h). Written the way
 * one would write this one model in C without a kernel: flat arrays, every stage ticked at every
 * edge of its clock, the two clocks merged by comparing their next edges.
 */
#include "ring_loop.h"

#include <stdlib.h>

#define PCIE_PS  4000u /* 250 MHz */
#define LANE_PS  6400u /* 156.25 MHz */
#define DEPTH    2u    /* stage and link depth */
#define SYNC     2u    /* synchroniser cycles between the two clocks */
#define NEVER_PS UINT64_MAX

/* A link: a ring of DEPTH entries, each visible at a time; the books the kernel keeps. */
typedef struct Link {
    uint32_t pkt[DEPTH];
    uint64_t visible[DEPTH];
    uint32_t head;
    uint32_t count;
    uint64_t pop_time; /* latest pop, and the pops made then (their slots are not free yet) */
    uint32_t pops_at_pop_time;
    uint64_t period; /* the consumer's */
    uint64_t delay;  /* same clock: visible = push time + delay; else 0 */
    uint64_t latency_ps;
    RingLoopPort st;
} Link;

/* A stage: a FIFO of DEPTH packets, each ready at a cycle (delay 0: the cycle it was taken). */
typedef struct Stage {
    uint32_t pkt[DEPTH];
    uint64_t ready[DEPTH];
    uint32_t head;
    Link *in;
    Link *out;
    RingLoopStage st;
} Stage;

static inline uint64_t visible_time(const Link *l, uint64_t t)
{
    if (l->delay) {
        return t + l->delay;
    }
    /* The consumer's first edge at or after t + latency (phase 0, always > t). */
    uint64_t target = t + l->latency_ps;
    return (target + l->period - 1) / l->period * l->period;
}

static inline void tick(Stage *s, uint64_t cycle, uint64_t t)
{
    Link *in = s->in;
    if (s->st.count < DEPTH && in->count && in->visible[in->head] <= t) {
        uint32_t pkt = in->pkt[in->head];
        in->head = in->head + 1 == DEPTH ? 0 : in->head + 1;
        in->count--;
        if (in->pop_time == t) {
            in->pops_at_pop_time++;
        } else {
            in->pop_time = t;
            in->pops_at_pop_time = 1;
        }
        in->st.pop_time_sum += t;
        uint32_t k = s->head + s->st.count;
        k = k >= DEPTH ? k - DEPTH : k;
        s->pkt[k] = pkt;
        s->ready[k] = cycle;
        if (++s->st.count > s->st.max_count) {
            s->st.max_count = s->st.count;
        }
        s->st.enter_time_sum += t;
    }
    if (s->st.count && s->ready[s->head] <= cycle) {
        Link *out = s->out;
        uint32_t used = out->count + (out->pop_time == t ? out->pops_at_pop_time : 0);
        if (used < DEPTH) {
            uint32_t k = out->head + out->count;
            k = k >= DEPTH ? k - DEPTH : k;
            out->pkt[k] = s->pkt[s->head];
            out->visible[k] = visible_time(out, t);
            out->count++;
            if (used + 1 > out->st.max_count) {
                out->st.max_count = used + 1;
            }
            out->st.pushes++;
            out->st.push_time_sum += t;
            s->head = s->head + 1 == DEPTH ? 0 : s->head + 1;
            s->st.count--;
            s->st.forwarded++;
            s->st.exit_time_sum += t;
        }
    }
}

int ring_loop_run(unsigned n, uint64_t until, RingLoopResult *out)
{
    Stage *stages = calloc(n, sizeof(*stages));
    Link *links = calloc(n, sizeof(*links));
    out->ports = calloc(n, sizeof(*out->ports));
    out->stages = calloc(n, sizeof(*out->stages));
    if (stages == NULL || links == NULL || out->ports == NULL || out->stages == NULL) {
        free(stages);
        free(links);
        ring_loop_free(out);
        return 0;
    }
    const unsigned half = n / 2;
    for (unsigned i = 0; i < n; i++) {
        unsigned next = (i + 1) % n;
        Link *l = &links[i];
        uint64_t pp = i < half ? PCIE_PS : LANE_PS;
        uint64_t cp = next < half ? PCIE_PS : LANE_PS;
        l->period = cp;
        l->delay = pp == cp ? cp : 0; /* latency 1 */
        l->latency_ps = (1u + SYNC) * cp;
        l->pop_time = NEVER_PS;
        stages[i].out = l;
        stages[next].in = l;
        /* The token, made at cycle 0. */
        stages[i].pkt[0] = i;
        stages[i].ready[0] = 0;
        stages[i].st.count = 1;
        stages[i].st.max_count = 1;
    }
    uint64_t ticks = 0;
    uint64_t last = 0;
    uint64_t tp = 0, tl = 0; /* next edges */
    uint64_t cp = 0, cl = 0; /* their cycles */
    for (;;) {
        uint64_t t = tp < tl ? tp : tl;
        if (t > until) {
            break;
        }
        if (tp == t) {
            for (unsigned i = 0; i < half; i++) {
                tick(&stages[i], cp, t);
            }
            ticks += half;
            tp += PCIE_PS;
            cp++;
        }
        if (tl == t) {
            for (unsigned i = half; i < n; i++) {
                tick(&stages[i], cl, t);
            }
            ticks += n - half;
            tl += LANE_PS;
            cl++;
        }
        last = t;
    }
    for (unsigned i = 0; i < n; i++) {
        out->ports[i] = links[i].st;
        out->ports[i].count = links[i].count;
        out->stages[i] = stages[i].st;
    }
    out->ticks = ticks;
    out->last_edge = last;
    free(stages);
    free(links);
    return 1;
}

void ring_loop_free(RingLoopResult *r)
{
    free(r->ports);
    free(r->stages);
    r->ports = NULL;
    r->stages = NULL;
}
