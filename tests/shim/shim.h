/*
 * Test shim (C): build a topology from a YAML string with the real registry and configuration
 * layer, run it under either kernel, capture what crosses chosen ports, and read statistics.
 * The GoogleTest suites reach the simulator through this and the public C headers only.
 */
#ifndef MEMBOX_TESTS_SHIM_H
#define MEMBOX_TESTS_SHIM_H

#include "sim/core/kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ShimEvent {
    SimTapEvent ev;
    uint64_t pkt_id;
    SimTime now;     /* push or pop time */
    SimTime visible; /* push: when the consumer sees it */
    uint64_t addr;
    uint32_t len;
    uint16_t type;
    uint32_t seq;
} ShimEvent;

typedef struct ShimRun ShimRun;

/* Load and build; NULL with err filled on a configuration error. */
ShimRun *shim_build(const char *yaml, SimError *err);
ShimRun *shim_build_file(const char *path, SimError *err);
/* From a string standing for the file display_name (relative paths resolve beside it). */
ShimRun *shim_build_named(const char *display_name, const char *yaml, SimError *err);
void shim_free(ShimRun *r);

Sim *shim_sim(ShimRun *r);

/* Record pushes and pops on the port named by its stats key ("src0.out"). */
bool shim_capture(ShimRun *r, const char *port_key);

/* Options from the topology's `sim:` section, with the kernel and order seed given here. */
bool shim_run(ShimRun *r, SimKernelKind kernel, SimTime until, uint64_t order_seed, SimError *err);
/* Run n cycles of the named domain: until = time of cycle n (cycles 0 .. n run). */
bool shim_run_cycles(ShimRun *r, const char *domain, uint64_t n, SimKernelKind kernel,
                     SimError *err);

size_t shim_event_count(const ShimRun *r);
const ShimEvent *shim_event(const ShimRun *r, size_t i);

/* A statistic as written (see sim_stats_get); NaN when missing. */
double shim_stat(const ShimRun *r, const char *key);

/* The JSON statistics of the run (malloc'd, caller frees) without the "host" section, which
 * holds wall-clock facts: what must be byte-identical across kernels and tick orders. */
char *shim_stats_json(const ShimRun *r);

/*
 * The kernel benchmark's topology as YAML (malloc'd): n generic.delay stages in a ring, the
 * first half at 250 MHz (pcie), the rest at 156.25 MHz (lane), one token each.
 */
char *shim_ring_yaml(unsigned n);

#ifdef __cplusplus
}
#endif

#endif
