/*
 * The verbs interface of the InfiniBand HCA (ib.hca, docs/models/ib.md section 7): the formats
 * in host memory and the HCA's BAR register map, the one definition both sides use: the HCA
 * (models/ib/ib_hca.c) and a node's driver (models/host/host_verbs.c), as models/proto/dma.h is
 * for the MemBox DMA.
 *
 * Reliable-connection queue pairs, numbered 0 .. qps - 1 on each HCA. QP q sends to the QP the
 * HCA's parameters connect it to (a destination LID and QP number: the QP context a real driver
 * programs with firmware commands when it moves the QP to RTR/RTS). Each QP has a send queue
 * (SQ) and a receive queue (RQ), rings of 64-byte work-queue entries (WQEs) in host memory; the
 * HCA has one completion queue (CQ), a ring of 64-byte completion entries (CQEs) in host memory.
 *
 *   host memory, at the driver's `queues` address (the HCA's parameter of the same value):
 *
 *   queues + q * VERBS_QP_BYTES                  SQ of QP q: VERBS_SQ_ENTRIES x 64 B WQEs
 *   queues + q * VERBS_QP_BYTES + VERBS_RQ_OFFSET RQ of QP q: VERBS_RQ_ENTRIES x 64 B WQEs
 *   cq                                           CQ: VERBS_CQ_ENTRIES x 64 B CQEs
 *
 *   send WQE (little endian)   +0  wr_id (8 B, the driver's, returned in the CQE)
 *                              +8  opcode (VerbsOp, 1 B)   +9 flags (VERBS_WQE_*, 1 B)
 *                              +12 length in bytes (4 B; 0 .. 2^31)
 *                              +16 local host address (8 B): the source of a write or send,
 *                                  the destination of a read
 *                              +24 remote address (8 B): the responder's host address of an
 *                                  RDMA write or read (ignored for a send)
 *                              +32 R_Key (4 B)  +36 L_Key (4 B)  (carried, not checked)
 *                              +40 immediate data (4 B; RDMA write with immediate)
 *                              +44 .. +63 reserved
 *   receive WQE                +0  wr_id   +12 length (the buffer's size)   +16 buffer address
 *
 *   CQE                        +0  wr_id (8 B)
 *                              +8  byte count (4 B): bytes moved (a receive: bytes received)
 *                              +12 QP number (4 B)
 *                              +16 opcode (VerbsOp of the completed WQE, 1 B)
 *                              +17 status (VerbsStatus, 1 B)
 *                              +18 WQE index (2 B): the WQE's number in its queue (0 for the
 *                                  first WQE ever posted on it) mod 2^16; every WQE of that queue
 *                                  up to and including it is done (unsignaled ones complete
 *                                  silently, retired by the next signaled one)
 *                              +20 CQE sequence number (4 B): n for the n-th CQE of the CQ
 *                              +24 immediate data (4 B; VERBS_OP_RECV_RDMA_IMM)
 *                              +28 .. +63 reserved
 *
 * An RDMA write with immediate writes the peer's memory as an RDMA write does and then consumes
 * the peer's next receive WQE, whose CQE (opcode VERBS_OP_RECV_RDMA_IMM) carries the immediate
 * value and the bytes written: how a receiver learns that an RDMA write has landed.
 *
 * The HCA writes each CQE as one 64-byte MWr to cq + 64 * (n mod VERBS_CQ_ENTRIES); the root
 * complex reports it on its notify port when cq lies in its notify range (pcie.rc notify_base,
 * notify_size). The driver never has more CQEs due than the CQ holds (host_verbs.c checks it
 * when it posts), so the HCA needs no CQ consumer index.
 *
 * BAR (the HCA's `bar` parameter, the host address of its doorbell page): per QP two 32-bit
 * doorbell registers, written by the CPU as uncached stores (a PIO MWr each):
 *
 *   bar + VERBS_DB_BYTES * q + VERBS_DB_SQ   SQ producer: WQEs ever posted on the SQ (mod 2^32)
 *   bar + VERBS_DB_BYTES * q + VERBS_DB_RQ   RQ producer: WQEs ever posted on the RQ
 *
 * WQE i of a queue is at ring slot i mod entries; a doorbell of value p says WQEs up to p - 1
 * are in memory. The HCA fetches each WQE with one 64-byte MRd.
 */
#ifndef MEMBOX_MODELS_PROTO_VERBS_H
#define MEMBOX_MODELS_PROTO_VERBS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VERBS_MAX_QPS    64u  /* QPs of one HCA */
#define VERBS_WQE_BYTES  64u  /* one WQE, send or receive */
#define VERBS_CQE_BYTES  64u  /* one CQE */
#define VERBS_SQ_ENTRIES 256u /* WQEs per send queue */
#define VERBS_RQ_ENTRIES 256u /* WQEs per receive queue */
#define VERBS_CQ_ENTRIES 1024u
#define VERBS_RQ_OFFSET  (VERBS_SQ_ENTRIES * VERBS_WQE_BYTES)
#define VERBS_QP_BYTES   (VERBS_RQ_OFFSET + VERBS_RQ_ENTRIES * VERBS_WQE_BYTES) /* 32 KiB */
#define VERBS_CQ_BYTES   (VERBS_CQ_ENTRIES * VERBS_CQE_BYTES)                   /* 64 KiB */
#define VERBS_MAX_LENGTH 0x80000000u /* largest message, as IBA's 2^31 */

/* Doorbell registers. */
#define VERBS_DB_BYTES 8u /* per QP */
#define VERBS_DB_SQ    0u
#define VERBS_DB_RQ    4u
#define VERBS_BAR_SIZE (VERBS_MAX_QPS * VERBS_DB_BYTES)

/* WQE field offsets. */
#define VERBS_WQE_WR_ID  0u
#define VERBS_WQE_OPCODE 8u
#define VERBS_WQE_FLAGS  9u
#define VERBS_WQE_LENGTH 12u
#define VERBS_WQE_LOCAL  16u
#define VERBS_WQE_REMOTE 24u
#define VERBS_WQE_RKEY   32u
#define VERBS_WQE_LKEY   36u
#define VERBS_WQE_IMM    40u

#define VERBS_WQE_SIGNALED 0x1u /* flags: write a CQE when the WQE completes */

/* CQE field offsets. */
#define VERBS_CQE_WR_ID      0u
#define VERBS_CQE_BYTE_COUNT 8u
#define VERBS_CQE_QP         12u
#define VERBS_CQE_OPCODE     16u
#define VERBS_CQE_STATUS     17u
#define VERBS_CQE_INDEX      18u
#define VERBS_CQE_SEQ        20u
#define VERBS_CQE_IMM        24u

typedef enum VerbsOp {
    VERBS_OP_RDMA_WRITE = 0, /* send queue: local -> remote address of the peer */
    VERBS_OP_RDMA_READ,      /* send queue: remote address of the peer -> local */
    VERBS_OP_SEND,           /* send queue: local -> the peer's next receive buffer */
    VERBS_OP_RECV,           /* receive queue: a buffer for one incoming send */
    VERBS_OP_RDMA_WRITE_IMM, /* send queue: an RDMA write, then the peer's next receive WQE
                                completes with the immediate value */
    VERBS_OP_RECV_RDMA_IMM,  /* CQE only: a receive WQE consumed by an RDMA write with
                                immediate (byte count: the bytes the write wrote) */
    VERBS_OP_MAX
} VerbsOp;

typedef enum VerbsStatus {
    VERBS_STATUS_OK = 0,
    VERBS_STATUS_LOCAL_LENGTH, /* a receive buffer smaller than the send it got */
    VERBS_STATUS_MAX
} VerbsStatus;

/* Host addresses of QP q's WQE i (any i: taken mod the ring), and of CQE n. */
static inline uint64_t verbs_sq_wqe_addr(uint64_t queues, uint32_t q, uint32_t i)
{
    return queues + (uint64_t)VERBS_QP_BYTES * q +
           (uint64_t)VERBS_WQE_BYTES * (i % VERBS_SQ_ENTRIES);
}

static inline uint64_t verbs_rq_wqe_addr(uint64_t queues, uint32_t q, uint32_t i)
{
    return queues + (uint64_t)VERBS_QP_BYTES * q + VERBS_RQ_OFFSET +
           (uint64_t)VERBS_WQE_BYTES * (i % VERBS_RQ_ENTRIES);
}

static inline uint64_t verbs_cqe_addr(uint64_t cq, uint32_t n)
{
    return cq + (uint64_t)VERBS_CQE_BYTES * (n % VERBS_CQ_ENTRIES);
}

/* BAR offsets of QP q's doorbells. */
static inline uint32_t verbs_db_sq(uint32_t q)
{
    return VERBS_DB_BYTES * q + VERBS_DB_SQ;
}

static inline uint32_t verbs_db_rq(uint32_t q)
{
    return VERBS_DB_BYTES * q + VERBS_DB_RQ;
}

/* Little-endian field access for WQEs and CQEs. */
static inline void verbs_put(uint8_t *p, uint64_t v, uint32_t bytes)
{
    for (uint32_t i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline uint64_t verbs_get(const uint8_t *p, uint32_t bytes)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

#ifdef __cplusplus
}
#endif

#endif
