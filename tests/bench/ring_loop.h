/*
 * The kernel benchmark's ring written by hand as a two-clock C loop: the yardstick the kernel is
 * measured against (issue 13, docs/performance.md). It does exactly the ring's work (the ring of
 * tests/shim's shim_ring_yaml(): generic.delay stages of depth 2 with one token each, the first
 * half at 250 MHz, the second at 156.25 MHz, links of depth 2 and latency 1, two clock crossings
 * with 2-cycle synchronisers) and keeps the same books as the kernel and the stage model (each
 * port's pushes, push and pop time sums and peak use; each stage's entry and exit time sums and
 * peak count), but with none of the kernel's generality: every stage ticks at every edge of its
 * clock, packets are indices, the visible time of a same-clock link is one addition.
 */
#ifndef MEMBOX_TESTS_BENCH_RING_LOOP_H
#define MEMBOX_TESTS_BENCH_RING_LOOP_H

#include <stdint.h>

typedef struct RingLoopPort {
    uint64_t pushes;
    uint64_t push_time_sum;
    uint64_t pop_time_sum;
    uint32_t count;
    uint32_t max_count;
} RingLoopPort;

typedef struct RingLoopStage {
    uint64_t forwarded;
    uint64_t enter_time_sum;
    uint64_t exit_time_sum;
    uint32_t count;
    uint32_t max_count;
} RingLoopStage;

typedef struct RingLoopResult {
    uint64_t ticks;      /* stage ticks: stages x edges */
    uint64_t last_edge;  /* ps: the last instant ticked */
    RingLoopPort *ports; /* port i: stage i's out -> stage (i + 1) % n's in */
    RingLoopStage *stages;
} RingLoopResult;

/* Runs n >= 2 stages for `until` ps (edges at or before it); false when out of memory. */
int ring_loop_run(unsigned n, uint64_t until, RingLoopResult *out);
void ring_loop_free(RingLoopResult *r);

#endif
