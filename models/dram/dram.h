/*
 * The MemBox DRAM subsystem models (docs/models/dram.md):
 *
 *   dram.ctrl     the DDR3 controller: Avalon-MM request port in, response port out, the
 *                 command scheduler, refresh, the functional store and the timing checker
 *   dram.arbiter  the multi-port arbiter in front of it, one request/response port pair per
 *                 SPP (req0..req16 / resp0..resp16)
 *   dram.trace    a trace player for the standalone DRAM mode (`membox-sim dram`)
 *   dram.gen      a synthetic generator of memory requests (sequential or random)
 *
 * They speak the memory protocol of models/proto/mem.h.
 */
#ifndef MEMBOX_MODELS_DRAM_H
#define MEMBOX_MODELS_DRAM_H

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType dram_ctrl_type;
extern const SimModelType dram_arbiter_type;
extern const SimModelType dram_trace_type;
extern const SimModelType dram_gen_type;

#ifdef __cplusplus
}
#endif

#endif
