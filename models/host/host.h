/*
 * Host-side models (docs/models/host.md):
 *
 *   host.memtrace  a compute node replaying a physical memory trace (sim/trace/memtrace.h) as
 *                  DMA transfers (descriptors in host memory, a doorbell, completion seen in the
 *                  status table) or PIO loads and stores through the MemBox window. It speaks
 *                  models/proto/mem.h to a root complex (pcie.rc): req/resp, and notify for the
 *                  status writes.
 *   host.tlm       the same node with its records handed over from outside (sim/systemc's
 *                  Fabric: one TLM-2.0 target socket per node) instead of read from a trace,
 *                  moving real bytes between the caller's buffers and the MemBox's memory.
 *   host.memory    a node's host memory: an object (no component) the builder hands by name to
 *                  the root complex and the node's software.
 *   mem.ideal      a memory with a fixed latency and real bytes, for exact pipeline tests: the
 *                  same mem.h ports (req/resp) as the DRAM controller.
 */
#ifndef MEMBOX_MODELS_HOST_H
#define MEMBOX_MODELS_HOST_H

#include "sim/config/model.h"
#include "sim/core/region.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType host_memory_type;
extern const SimModelType host_memtrace_type;
extern const SimModelType host_tlm_type;
extern const SimModelType mem_ideal_type;
extern const SimModelType host_ps_type;
extern const SimModelType ps_barrier_type;
extern const SimModelType ps_server_type;
extern const SimModelType ib_perftest_type;

/* ---- the parameter-server replay (docs/workloads.md) ---- */

/* Messages between host.ps nodes and ps.barrier (SimPacket.type block 0x0900 - 0x09ff): src is
 * the worker, addr the iteration, len the trace's worker count, flags PS_F_*. */
typedef enum PsMsgType {
    PS_MSG_FIRST = 0x0900,
    PS_MSG_HELLO = PS_MSG_FIRST, /* node -> barrier: here I am (flags: PS_F_AGGREGATOR) */
    PS_MSG_ARRIVE,               /* worker -> barrier: my pushes of iteration addr are done */
    PS_MSG_UPDATE,               /* barrier -> aggregator: apply (one worker's, async) update */
    PS_MSG_UPDATED,              /* aggregator -> barrier: parameters written */
    PS_MSG_REDUCE,               /* barrier -> worker (sharded): reduce your slice */
    PS_MSG_REDUCED,              /* worker -> barrier: slice written */
    PS_MSG_RELEASE,              /* barrier -> worker: start the next iteration */
    PS_MSG_END
} PsMsgType;

#define PS_F_AGGREGATOR 0x1u
#define PS_F_SHARDED    0x2u
#define PS_F_ASYNC      0x4u
#define PS_F_SELF       0x8u /* aggregation: self: the barrier only releases */
#define PS_NO_WORKER    0xffffu
#define PS_MAX_WORKERS  64u

/* The memory map of the replay in MemBox memory (offsets into the adapter's window). */
#define PS_FLAG_ARRIVE  0x0000u /* + 64 * worker: the last iteration + 1 whose pushes are done */
#define PS_FLAG_REDUCED 0x1000u /* + 64 * worker: sharded, the last iteration + 1 reduced */
#define PS_FLAG_RELEASE 0x2000u /* + 64 * worker: the last iteration + 1 released */
#define PS_PARAMS       0x4000u /* parameters; then gradient slot w at PS_PARAMS + (1 + w) * S */
#define PS_ALIGN        64u     /* every tensor starts on a 64-byte line */

typedef struct HostPsMap {
    uint64_t ps_base;    /* MemBox address of the region (flags first) */
    uint64_t params;     /* ps_base + PS_PARAMS */
    uint64_t slot_bytes; /* S: the tensors, each rounded up to 64 B, the sum to 4 KiB */
    uint32_t workers;    /* W of the trace */
    uint32_t n_tensors;
    const uint64_t *offset; /* offset of tensor i in the parameters and in every slot */
    const uint64_t *bytes;  /* its bytes */
    uint64_t buffer_base;   /* the node's host buffer: parameters at +0, gradients at +S */
} HostPsMap;

/* The map a host.ps component uses; false if c is not one. For tests and tools. */
bool host_ps_map(const SimComponent *c, HostPsMap *map);

/* One message of a host.ps worker's first replayed iteration, in the order issued: a pull, or a
 * push (aggregation: self: the read-back that starts a variable's update), its tensor and how
 * many of its kind were in flight with it (itself included). */
typedef struct HostPsIssue {
    bool push;
    uint32_t tensor;
    uint32_t in_flight;
} HostPsIssue;

/* The first replayed iteration's messages, at most max of them into out; their number, or -1
 * if c is not a host.ps. For tests: the replay's order and concurrency against the trace's. */
int64_t host_ps_issued(const SimComponent *c, HostPsIssue *out, size_t max);

/* The contents of a mem.ideal component (addresses wrap at its size), for tests and tools; not
 * for the tick path. False if c is not a mem.ideal or it keeps no data. */
bool mem_ideal_read(const SimComponent *c, uint64_t addr, void *dst, size_t len);
bool mem_ideal_write(SimComponent *c, uint64_t addr, const void *src, size_t len);

/* ---- host.tlm: records handed over from outside (docs/systemc.md, docs/models/host.md) ---- */

typedef enum HostTlmAccess {
    HOST_TLM_DEFAULT = 0, /* the node's `access` parameter decides */
    HOST_TLM_DMA,
    HOST_TLM_PIO,
    HOST_TLM_ACCESS_MAX
} HostTlmAccess;

/*
 * One record, as a trace record '@time' of host.memtrace, plus the bytes. It may start at the
 * node's first edge at or after `time` that is also strictly after `arrival` (when it was handed
 * over: a node edge at that very instant may have ticked already). Records start in the order
 * they were submitted.
 */
typedef struct HostTlmRecord {
    uint64_t addr;   /* byte offset in the MemBox window */
    uint32_t size;   /* bytes */
    uint8_t write;   /* 1: node -> MemBox (a 'W' record), 0: MemBox -> node ('R') */
    uint8_t access;  /* HostTlmAccess */
    SimTime time;    /* ps */
    SimTime arrival; /* ps */
    uint8_t *data;   /* write: the bytes written; read: receives them. NULL: a write stores the
                        mem.h pattern, a read keeps nothing. Must stay valid until done. */
    void *ctx;       /* the caller's, handed back to the hooks */
} HostTlmRecord;

/* Called from the node's tick (inside an instant, at sim->now): keep them short, no re-entry. */
typedef struct HostTlmHooks {
    void (*started)(void *hooks_ctx, void *rec_ctx, SimTime now); /* first request pushed */
    void (*done)(void *hooks_ctx, void *rec_ctx, SimTime now);    /* completed, data moved */
    void *ctx;
} HostTlmHooks;

/* Whether c is a host.tlm component. */
bool host_tlm_is(const SimComponent *c);
void host_tlm_set_hooks(SimComponent *c, const HostTlmHooks *hooks);
typedef enum HostTlmProblem {
    HOST_TLM_OK = 0,
    HOST_TLM_BAD_ADDRESS, /* outside the MemBox window */
    HOST_TLM_BAD_SHAPE,   /* 0 bytes, a DMA not of whole DWORDs or larger than the host buffer,
                             a PIO access not within one 64-byte line */
    HOST_TLM_PROBLEM_MAX
} HostTlmProblem;

/* Whether the node can replay r; if not, why, written to buf. */
HostTlmProblem host_tlm_problem(const SimComponent *c, const HostTlmRecord *r, char *buf,
                                size_t size);
/* Records waiting to start, and the most that may wait (`queue`). */
uint32_t host_tlm_waiting(const SimComponent *c);
uint32_t host_tlm_queue_size(const SimComponent *c);
/*
 * Hands r over (host_tlm_problem(r) must be NULL, and fewer than `queue` records wait), during
 * the run: between instants or inside one, from outside the kernel's own loop. Wakes the node
 * for its first edge the record may start at. r->arrival must be at least sim->now.
 */
void host_tlm_submit(SimComponent *c, const HostTlmRecord *r);
/* The node's host memory (its `memory`), and its id (`src`). */
SimMem *host_tlm_memory(const SimComponent *c);

#ifdef __cplusplus
}
#endif

#endif
