/*
 * PsServe: the software of a TensorFlow 1.x parameter server as a timed stage
 * (docs/models/ps-server.md). It knows messages, not packets: the transport that carries them
 * (gRPC over TCP on IPoIB, or TensorFlow's verbs path over RDMA, each through an HCA) hands it
 * every message it receives and takes every message it makes. Between the two, the server's
 * CPU cores work through the messages in arrival order, one message per core at a time:
 *
 *   received --> [ FIFO ] --> core 0 .. cores-1: receive, apply / look up, send --> to send
 *                                |                                                (out ring)
 *                                +-- a push's gradient is applied to the variable;
 *                                    an arrival may release the workers (BSP: all W; async: one)
 *
 * A job's time on a core is a fixed CPU cost plus its bytes at a rate, each rate capped by the
 * host memory's bandwidth shared by the cores busy when the job starts (section 2 of the doc).
 * Pure: no SimComponent, no port, no allocation after ps_serve_init; the owner steps it at the
 * instants it asks for (ps_serve_next), so unit tests drive it directly.
 */
#ifndef MEMBOX_MODELS_HOST_PS_SERVE_H
#define MEMBOX_MODELS_HOST_PS_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/core/sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum PsTransport {
    PS_TRANSPORT_GRPC = 0, /* gRPC over TCP on IPoIB: CPU per message and per byte */
    PS_TRANSPORT_VERBS,    /* TensorFlow's verbs path: RDMA into the tensors, CPU per message */
    PS_TRANSPORT_MAX
} PsTransport;

typedef enum PsServeMsgKind {
    PS_SERVE_PULL = 0, /* in: worker asks for tensor t of iteration i (ctrl_bytes) */
    PS_SERVE_PUSH,     /* in: worker's gradient of tensor t (the tensor's bytes) */
    PS_SERVE_ARRIVE,   /* in: worker's pushes of iteration i are sent; `count` of them */
    PS_SERVE_TENSOR,   /* out: the answer to a pull (the tensor's bytes) */
    PS_SERVE_RELEASE,  /* out: worker may start iteration i + 1 (ctrl_bytes) */
    PS_SERVE_MSG_MAX
} PsServeMsgKind;

typedef struct PsServeMsg {
    uint8_t kind; /* PsServeMsgKind */
    uint16_t worker;
    uint32_t tensor;
    uint32_t iter;
    uint32_t count; /* ARRIVE: pushes the worker sent in the iteration */
    uint64_t bytes; /* PUSH, TENSOR: the tensor's bytes; else the header's (ctrl_bytes) */
    uint64_t addr;  /* PUSH, TENSOR: where the data go in the receiver's host memory; PULL: where
                       the tensor is to go (the TENSOR answering it carries it back) */
    bool has_apply; /* PUSH: the server replays a recorded apply (not carried on the wire) */
    SimTime apply;  /* its time, replacing apply_tensor + bytes / apply rate, ps */
} PsServeMsg;

/* The costs of one end of a transport, shared by the server and the workers (a worker pays
 * them for its own messages: docs/models/ps-server.md section 3). */
typedef struct PsTransportCost {
    int transport;     /* PsTransport */
    SimTime grpc_msg;  /* grpc: CPU per message, ps */
    double grpc_rate;  /* grpc: bytes per second a core moves through the stack (copies) */
    SimTime verbs_msg; /* verbs: CPU per message, ps */
} PsTransportCost;

/* CPU time of one end for a message of `bytes`, on a core that moves `rate` bytes per second
 * (the transport's rate capped by the memory share: ps_serve_rate). */
SimTime ps_transport_cpu(const PsTransportCost *c, uint64_t bytes, double rate);

/* Bytes a core reads and writes per byte for a copy (2) and for an SGD update (3: the variable
 * and the gradient read, the variable written). */
#define PS_SERVE_COPY_TRAFFIC  2u
#define PS_SERVE_APPLY_TRAFFIC 3u

typedef struct PsServeParams {
    uint32_t cores;
    uint32_t workers; /* W */
    bool async;       /* release each worker on its own arrival */
    PsTransportCost cost;
    SimTime apply_tensor; /* CPU per gradient tensor applied, ps */
    double apply_rate;    /* gradient bytes per second one core applies */
    double mem_bw;        /* host memory bytes per second, all cores together; 0: no cap */
    uint64_t ctrl_bytes;  /* a pull request, an arrival, a release */
    uint32_t n_tensors;
    const uint64_t *bytes; /* tensor t's bytes (kept, not copied) */
} PsServeParams;

typedef struct PsServeJob {
    PsServeMsg in;
    uint64_t seq; /* arrival order, the tie-break of completions at one instant */
} PsServeJob;

typedef struct PsServeCore {
    bool busy;
    PsServeJob job;
    SimTime start;
    SimTime end;
} PsServeCore;

typedef struct PsServeStats {
    uint64_t pulls;
    uint64_t pushes;
    uint64_t arrivals;
    uint64_t releases;
    uint64_t bytes_in;  /* PULL, PUSH, ARRIVE messages' bytes */
    uint64_t bytes_out; /* TENSOR, RELEASE */
    uint64_t applied_bytes;
    uint64_t max_queue;
    SimTime busy; /* core time of the jobs completed, summed over the cores, ps */
    SimTime wait; /* time jobs spent queued, summed, ps */
} PsServeStats;

typedef struct PsServe {
    PsServeParams p;
    PsServeCore *core; /* cores */
    PsServeJob *queue; /* a ring of qcap jobs */
    uint32_t qcap, qhead, qcount;
    SimTime *queued_at; /* per ring entry */
    PsServeMsg *out;    /* a ring of ocap messages made, for the owner to send */
    uint32_t ocap, ohead, ocount;
    uint64_t seq;
    uint32_t busy_cores;
    /* the barrier: per worker, its iteration's pushes applied and its arrival */
    uint32_t *applied;  /* pushes of the worker's current iteration applied */
    uint32_t *expected; /* ARRIVE's count; UINT32_MAX until it arrives */
    uint32_t *iter;     /* the iteration the worker arrived for */
    uint32_t n_arrived;
    PsServeStats st;
} PsServe;

/* Sizes the rings for the most a worker can have in flight (a pull and a push per tensor, an
 * arrival) and the releases; false when out of memory. */
bool ps_serve_init(PsServe *s, const PsServeParams *p);
void ps_serve_destroy(PsServe *s);

/* A message received at `now` (PULL, PUSH, ARRIVE). False if the queue is full (the owner
 * fails the run: with one message in flight per tensor and direction, it cannot be). */
bool ps_serve_receive(PsServe *s, const PsServeMsg *m, SimTime now);

/* Completes every job that ends at or before now (in order of end, then arrival), starts queued
 * jobs on free cores (lowest core first). False if the out ring overflowed (cannot happen with
 * the owner taking every message it makes). */
bool ps_serve_step(PsServe *s, SimTime now);

/* The earliest job end, or SIM_TIME_NEVER when no core is busy. */
SimTime ps_serve_next(const PsServe *s);

/* The next message made, or NULL; ps_serve_pop drops it. */
const PsServeMsg *ps_serve_peek(const PsServe *s);
void ps_serve_pop(PsServe *s);

/* Jobs queued or running, or messages made and not taken. */
bool ps_serve_busy(const PsServe *s);

/* The rate a job's bytes move at when it starts with `busy` cores busy (itself included):
 * the core's rate, capped by its share of the memory bandwidth at `traffic` bytes per byte. */
double ps_serve_rate(const PsServe *s, double core_rate, unsigned traffic, uint32_t busy);

#ifdef __cplusplus
}
#endif

#endif
