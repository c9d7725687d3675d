/*
 * TLM-2.0 bridges of the fabric that are plain C models (docs/models/tlm.md):
 *
 *   tlm.memory  the MemBox's memory as an external TLM-2.0 target: in the place of the DDR3
 *               controller (dram.ctrl), behind the unchanged arbiter, it hands every mem.h
 *               request to a target in the user's SystemC platform (through the initiator
 *               socket membox::Fabric makes for it, sim/systemc) and sends the response back
 *               when the target gives it.
 *
 * The model knows nothing of SystemC: the Fabric binds it to its socket through the bridge
 * below. Without a bridge (under `membox-sim run`) the first request fails the run.
 */
#ifndef MEMBOX_MODELS_TLM_H
#define MEMBOX_MODELS_TLM_H

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType tlm_memory_type;

/* One request handed to the target. */
typedef struct TlmMemRequest {
    uint32_t id;   /* give it back to tlm_memory_complete() */
    uint8_t write; /* 1: write data[0 .. len) at addr; 0: read them into data */
    uint64_t addr; /* wrapped at the model's `size` */
    uint32_t len;  /* 1 .. 4096 (one Avalon burst) */
    uint8_t *data; /* valid until the response: write bytes, or the read's destination */
} TlmMemRequest;

typedef struct TlmMemBridge {
    /* From the model's tick, at sim->now: send r to the target. The bridge reports the
     * target's acceptance (END_REQ) with tlm_memory_accepted() and the response with
     * tlm_memory_complete(), possibly from inside this call. */
    void (*request)(void *ctx, const TlmMemRequest *r);
    void *ctx;
} TlmMemBridge;

bool tlm_memory_is(const SimComponent *c);
void tlm_memory_bind(SimComponent *c, const TlmMemBridge *b);
/* The `outstanding` of the model: ids are 0 .. that - 1. */
uint32_t tlm_memory_slots(const SimComponent *c);
/* The target accepted the request in flight at time t (>= sim->now): the next one may go at the
 * model's first edge strictly after t. */
void tlm_memory_accepted(SimComponent *c, SimTime t);
/* The response of request id, given at time `arrival` (the SystemC time of the call) for time
 * t >= arrival; the data are in place. It goes back to the arbiter at the model's first edge
 * at or after t and strictly after arrival (an edge at `arrival` may have ticked already). */
void tlm_memory_complete(SimComponent *c, uint32_t id, SimTime t, SimTime arrival);
/* A target's error response for request id: the run fails with msg. */
void tlm_memory_fail(SimComponent *c, uint32_t id, const char *msg);

#ifdef __cplusplus
}
#endif

#endif
