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

/*
 * Debug access to a dram.ctrl's functional store, without timing and outside the run's books
 * (TLM-2.0 debug transport, tests): len bytes at addr (wrapped at the capacity, as requests
 * are). A write of real bytes counts as a new version of each line it touches, as a request's
 * would. False if c is not a dram.ctrl, keeps no store (functional: false), or a write finds
 * the store full.
 */
bool dram_ctrl_debug_read(const SimComponent *c, uint64_t addr, uint8_t *dst, uint32_t len);
bool dram_ctrl_debug_write(SimComponent *c, uint64_t addr, const uint8_t *src, uint32_t len);

#ifdef __cplusplus
}
#endif

#endif
