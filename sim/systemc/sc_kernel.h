/*
 * The SystemC kernel: the same topology, run under the SystemC 2.3.4 scheduler instead of the
 * kernel's own loop (`membox-sim run --kernel systemc`). Each clock domain with members becomes
 * one sc_clock and one SC_METHOD that ticks every member at every posedge (every-cycle semantics);
 * the end-of-instant checks run in a second SC_METHOD one delta cycle later. docs/systemc.md
 * explains the mapping and why the statistics are byte-identical to the built-in kernels'.
 */
#ifndef MEMBOX_SIM_SC_KERNEL_H
#define MEMBOX_SIM_SC_KERNEL_H

#include <stdbool.h>

#include "sim/core/kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Same contract as sim_run(): returns true when the run ended normally (drained, or opt->until
 * reached, the end time being opt->until then); false with err filled on a deadlock, a watchdog
 * expiry, a model failure or a SystemC error (kind SIM_ERR_SIMULATION). Once the run has started
 * the statistics are closed with sim_end() either way. opt->kernel is ignored: every member ticks
 * at every edge of its domain, as with SIM_KERNEL_EVERY_CYCLE.
 *
 * SystemC elaborates once per process, so this can be called once per process. A second call, or
 * a clock period SystemC cannot represent (below 2 ps), fails with SIM_ERR_INPUT before anything
 * runs, leaving the Sim untouched.
 */
bool sim_systemc_run(Sim *sim, const SimRunOptions *opt, SimError *err);

#ifdef __cplusplus
}
#endif

#endif
