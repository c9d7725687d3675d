/*
 * HostVerbs: the host side of the InfiniBand HCA (ib.hca), as a node's verbs driver uses it:
 * the formats and register map are models/proto/verbs.h; the HCA is docs/models/ib.md section 7.
 * In the style of HostDma (host_dma.h): the node owns a HostVerbs, calls it from its tick, and
 * speaks mem.h to a root complex (pcie.rc) through its request port `req`.
 *
 *   post (send WQE / receive WQE)  -> the WQE is built at once into a MEM_WRITE of 64 B to its
 *                                     ring slot in host memory, queued inside the driver
 *   host_verbs_step                -> pushes the next queued WQE write on req; when none is left,
 *                                     the doorbell (a MEM_WRITE of 4 B to the HCA's BAR: an
 *                                     uncached store, a PIO MWr) of each QP queue that got WQEs
 *                                     since its last doorbell: doorbells coalesce, as a posted
 *                                     list rings once
 *   the HCA fetches the WQE (MRd 64 B), moves the data, and writes a CQE (MWr 64 B) for each
 *   signaled send WQE and each receive WQE; the root complex reports that write on its
 *   `notify` port
 *   host_verbs_completion          -> the node hands each notified address in; a CQE address
 *                                     is read from host memory and returned as a completion
 *
 * The node's duties:
 *   - connect `req` to pcie.rc cpu_req and pop cpu_resp: every write the driver pushes comes
 *     back as a MEM_WRITE_ACK whose tag has HOST_VERBS_CTRL_TAG set; drop those;
 *   - connect `notify` to pcie.rc notify, with the CQ (`verbs_cq`) inside the root complex's
 *     notify range (notify_base, notify_size), and pass every notified address to
 *     host_verbs_completion;
 *   - call host_verbs_step whenever host_verbs_ready and the req port has room (one push per
 *     call), and tick again at now + 1 while it stays ready;
 *   - signal at least one send WQE in every VERBS_SQ_ENTRIES (unsignaled WQEs retire only with
 *     a later signaled one, as in libibverbs).
 *
 * The numbers must match the HCA's: verbs_queues = its `queues`, verbs_cq = its `cq`,
 * hca_bar = its `bar`, and QP numbers below its `qps`.
 */
#ifndef MEMBOX_MODELS_HOST_VERBS_H
#define MEMBOX_MODELS_HOST_VERBS_H

#include "models/proto/verbs.h"
#include "sim/core/kernel.h"
#include "sim/core/region.h"
#include "sim/core/ring.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOST_VERBS_CTRL_TAG 0x40000000u /* tag of WQE and doorbell writes (and their acks) */
#define HOST_VERBS_PENDING  64u         /* WQE writes the driver queues before it pushes them */

/*
 * The parameter rows of the addresses the driver uses; P(f) is offsetof of field f in the
 * node's parameter struct (uint64_t fields hca_bar, verbs_queues, verbs_cq). The defaults are
 * ib.hca's defaults.
 */
/* clang-format off */
#define HOST_VERBS_ADDRESS_PARAMS(P)                                                               \
    {"hca_bar", SIM_PARAM_UINT, P(hca_bar), "0xf8000000", NULL, NULL, NULL,                        \
     "host address of the HCA's doorbell page (ib.hca bar)"},                                      \
    {"verbs_queues", SIM_PARAM_UINT, P(verbs_queues), "0x100000", NULL, NULL, NULL,                \
     "host address of the QPs' send and receive rings (ib.hca queues; 32 KiB per QP)"},            \
    {"verbs_cq", SIM_PARAM_UINT, P(verbs_cq), "0x10000", NULL, NULL, NULL,                         \
     "host address of the completion queue (ib.hca cq; 64 KiB, in pcie.rc's notify range)"}
/* clang-format on */

/* The statistics rows of the driver's counters; the node's struct T keeps its HostVerbs as
 * member `verbs`. */
#define HOST_VERBS_STAT_ROWS(T)                                                                    \
    SIM_STAT_ROW("verbs_send_wqes", SIM_STAT_COUNTER, T, verbs.send_wqes, "WQEs", 1,               \
                 "send WQEs posted (RDMA write, RDMA read, send)"),                                \
        SIM_STAT_ROW("verbs_recv_wqes", SIM_STAT_COUNTER, T, verbs.recv_wqes, "WQEs", 1,           \
                     "receive WQEs posted"),                                                       \
        SIM_STAT_ROW("verbs_doorbells", SIM_STAT_COUNTER, T, verbs.doorbells, "writes", 1,         \
                     "doorbell writes to the HCA"),                                                \
        SIM_STAT_ROW("verbs_cqes", SIM_STAT_COUNTER, T, verbs.cqes, "CQEs", 1,                     \
                     "completions taken from the completion queue")

/* A completion, as read from its CQE. */
typedef struct HostVerbsCompletion {
    uint64_t wr_id;     /* the WQE's */
    uint32_t qp;        /* QP number */
    uint32_t bytes;     /* bytes moved; a receive: bytes of the send received */
    VerbsOp op;         /* of the WQE: RDMA write (with immediate), RDMA read, send; receive
                           (VERBS_OP_RECV, or VERBS_OP_RECV_RDMA_IMM when an RDMA write with
                           immediate consumed it) */
    VerbsStatus status; /* VERBS_STATUS_OK, or why not */
    uint32_t retired;   /* WQEs of its queue this CQE retires (unsignaled ones before it + 1) */
    uint32_t imm;       /* VERBS_OP_RECV_RDMA_IMM: the immediate value; else 0 */
} HostVerbsCompletion;

typedef struct HostVerbsQp {
    uint32_t sq_posted; /* send WQEs posted (the SQ producer) */
    uint32_t sq_done;   /* send WQEs retired by CQEs */
    uint32_t rq_posted;
    uint32_t rq_done;
    uint32_t sq_queued; /* WQE writes of this QP's SQ queued, not yet pushed */
    uint32_t rq_queued;
    bool sq_db_due; /* the SQ got WQEs since its last doorbell */
    bool rq_db_due;
} HostVerbsQp;

typedef struct HostVerbs {
    SimComponent *c;
    SimPort **req; /* the node's request port (its slot: connected after build) */
    SimMem *mem;   /* the node's host memory (CQEs are read from it) */
    uint64_t bar;
    uint64_t queues;
    uint64_t cq;
    uint32_t qps;
    uint16_t src;
    HostVerbsQp qp[VERBS_MAX_QPS];
    SimPacket *pending[HOST_VERBS_PENDING]; /* WQE writes to push, in order */
    SimRing pr;
    uint32_t cq_due;    /* CQEs the HCA may still write: signaled send WQEs + receive WQEs */
    uint32_t cq_next;   /* sequence number of the next CQE */
    uint32_t db_scan;   /* QP the doorbell scan starts at */
    uint64_t send_wqes; /* statistics */
    uint64_t recv_wqes;
    uint64_t doorbells;
    uint64_t cqes;
} HostVerbs;

/* qps: QPs the node uses (1 .. VERBS_MAX_QPS), numbered 0 .. qps - 1 as on the HCA; src the
 * node's mem.h id. */
void host_verbs_init(HostVerbs *v, SimComponent *c, SimPort **req, SimMem *mem, uint64_t bar,
                     uint64_t queues, uint64_t cq, uint32_t qps, uint16_t src);

typedef enum HostVerbsPost {
    HOST_VERBS_POSTED = 0, /* the WQE is queued for writing */
    HOST_VERBS_FULL,       /* no room now (the queue, the CQ or the driver's write queue): a
                              completion or a step makes room; nothing changed */
    HOST_VERBS_FAILED,     /* the run failed (packet or payload pool exhausted) */
    HOST_VERBS_POST_MAX
} HostVerbsPost;

/*
 * Posts a send WQE on QP qp: op VERBS_OP_RDMA_WRITE (len bytes from host address local to the
 * peer's host address remote), VERBS_OP_RDMA_READ (len bytes from the peer's remote to local)
 * or VERBS_OP_SEND (len bytes from local into the peer's next receive buffer; remote unused);
 * VERBS_OP_RDMA_WRITE_IMM posts with immediate value 0 (host_verbs_post_write_imm gives one).
 * signaled: a CQE is written when it completes (the requester's completion: every packet
 * acknowledged, or for a read every response written to host memory). len 0 .. 2^31.
 */
HostVerbsPost host_verbs_post_send(HostVerbs *v, uint32_t qp, VerbsOp op, uint64_t wr_id,
                                   uint64_t local, uint32_t len, uint64_t remote, bool signaled);

static inline HostVerbsPost host_verbs_post_write(HostVerbs *v, uint32_t qp, uint64_t wr_id,
                                                  uint64_t local, uint32_t len, uint64_t remote,
                                                  bool signaled)
{
    return host_verbs_post_send(v, qp, VERBS_OP_RDMA_WRITE, wr_id, local, len, remote, signaled);
}

/* An RDMA write with immediate: as host_verbs_post_write, then the peer's next receive WQE
 * completes (VERBS_OP_RECV_RDMA_IMM) with imm and the bytes written. */
HostVerbsPost host_verbs_post_write_imm(HostVerbs *v, uint32_t qp, uint64_t wr_id, uint64_t local,
                                        uint32_t len, uint64_t remote, uint32_t imm, bool signaled);

static inline HostVerbsPost host_verbs_post_read(HostVerbs *v, uint32_t qp, uint64_t wr_id,
                                                 uint64_t local, uint32_t len, uint64_t remote,
                                                 bool signaled)
{
    return host_verbs_post_send(v, qp, VERBS_OP_RDMA_READ, wr_id, local, len, remote, signaled);
}

/* Posts a receive buffer of len bytes at host address addr on QP qp (every receive WQE gets a
 * CQE: one incoming send fills it). */
HostVerbsPost host_verbs_post_recv(HostVerbs *v, uint32_t qp, uint64_t wr_id, uint64_t addr,
                                   uint32_t len);

/* Send and receive WQEs QP qp can take now, counting the CQ's room. */
uint32_t host_verbs_sq_space(const HostVerbs *v, uint32_t qp);
uint32_t host_verbs_rq_space(const HostVerbs *v, uint32_t qp);

typedef enum HostVerbsStep {
    HOST_VERBS_IDLE = 0, /* nothing to push */
    HOST_VERBS_WQE,      /* a WQE write went */
    HOST_VERBS_DOORBELL, /* a doorbell went */
    HOST_VERBS_STEP_FAILED,
    HOST_VERBS_STEP_MAX
} HostVerbsStep;

/* Whether host_verbs_step would push now. */
bool host_verbs_ready(const HostVerbs *v);

/* Pushes the next WQE write or doorbell on req; the port must have room. */
HostVerbsStep host_verbs_step(HostVerbs *v);

/*
 * A write the root complex reported on notify, at addr: 1 if it was the next CQE (read from
 * host memory into *out, its WQEs retired), 0 if addr is not in the CQ (the node's own), -1 if
 * the run failed (a CQE out of order, or for no outstanding WQE).
 */
int host_verbs_completion(HostVerbs *v, uint64_t addr, HostVerbsCompletion *out);

/* Send WQEs of QP qp posted and not yet retired. */
static inline uint32_t host_verbs_sq_outstanding(const HostVerbs *v, uint32_t qp)
{
    return v->qp[qp].sq_posted - v->qp[qp].sq_done;
}

/* Nothing queued to push, no WQE outstanding on any QP. */
bool host_verbs_idle(const HostVerbs *v);

#ifdef __cplusplus
}
#endif

#endif
