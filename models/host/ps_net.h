/*
 * PsNet: the parameter-server messages (ps_serve.h, PsServeMsg) carried over InfiniBand
 * reliable-connection queue pairs through a node's verbs driver (host_verbs.h), one QP per peer,
 * in the two ways TensorFlow 1.10 had (docs/models/ps-server.md section 3):
 *
 *   grpc   a TCP byte stream over IPoIB connected mode: the message (header, then the tensor)
 *          is cut into segments of at most `seg` bytes on the wire, each `PS_NET_TCPIP` bytes of
 *          TCP/IP and IPoIB headers plus its share of the stream, each one InfiniBand send from
 *          a send slot (the socket buffer) into a receive slot of the peer, which copies it out;
 *          at most `window` segments in flight per QP (acknowledged by the peer's HCA);
 *   verbs  the tensor by an RDMA write from where it lies straight to where it goes, then the
 *          header by a send (an RC QP places the write before the send's receive completes).
 *
 * Header (PS_NET_HEADER bytes at the start of a message, little endian; the rest of `header`
 * bytes is padding): +0 magic, +4 kind, +6 worker, +8 tensor, +12 iteration, +16 count,
 * +24 data bytes, +32 the data's destination in the receiver's host memory.
 *
 * Host memory of the transport, from `area` (per QP q at area + q * ps_net_qp_bytes()):
 *   send slots:    window x slot      (slot: seg for grpc, header for verbs)
 *   receive slots: 2 window x slot    (twice the peer's window, so that a slot taken and not yet
 *                                      posted again cannot leave a segment without a buffer)
 */
#ifndef MEMBOX_MODELS_HOST_PS_NET_H
#define MEMBOX_MODELS_HOST_PS_NET_H

#include "host_verbs.h"
#include "ps_serve.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PS_NET_MAGIC  0x3153504du /* "MPS1" */
#define PS_NET_HEADER 40u         /* bytes of the header's fields; `header` >= this */
#define PS_NET_TCPIP  44u         /* TCP 20 + IPv4 20 + IPoIB 4 bytes per segment */

typedef struct PsNetParams {
    int transport;   /* PsTransport */
    uint32_t qps;    /* peers, QP 0 .. qps - 1 */
    uint32_t header; /* bytes of a message's header (>= PS_NET_HEADER) */
    uint32_t seg;    /* grpc: bytes of a segment at most (IPoIB connected-mode MTU) */
    uint32_t window; /* segments (grpc) or headers (verbs) in flight per QP */
    uint32_t msgs;   /* messages queued per QP before ps_net_send says no */
    uint64_t area;   /* host address of the slots */
    bool functional; /* copy the tensors' bytes (headers always are) */
} PsNetParams;

/* A message queued to send: its header fields and where its data are. */
typedef struct PsNetOut {
    PsServeMsg m;
    uint64_t local; /* host address of the data here (the peer's is m.addr) */
    uint64_t id;    /* the owner's, handed back when the message is sent */
} PsNetOut;

typedef struct PsNetQp {
    PsNetOut *q; /* ring of msgs */
    uint32_t qhead, qcount;
    uint64_t off;      /* bytes of the head message's stream posted (grpc), or 0/1 (verbs) */
    uint32_t inflight; /* signaled sends not completed */
    uint32_t next_slot;
    uint32_t rx_next;  /* receive slots posted (the next slot to post: rx_next % 2 window) */
    uint32_t rx_taken; /* receive slots filled and taken */
    /* the message being received (grpc) */
    bool rx_open;
    PsServeMsg rx;
    uint64_t rx_got; /* bytes of its stream received */
    uint8_t rx_hdr[PS_NET_HEADER];
    /* sends completed per message: the head message's last send, then the next ... */
    uint64_t *sent_id; /* ring of window: the id a completing send finishes, or UINT64_MAX */
} PsNetQp;

typedef struct PsNetStats {
    uint64_t msgs_sent;
    uint64_t msgs_received;
    uint64_t segments;   /* InfiniBand sends posted for messages (grpc segments, verbs headers) */
    uint64_t writes;     /* RDMA writes posted (verbs) */
    uint64_t wire_bytes; /* bytes handed to the HCA: TCP/IP headers, headers, data */
} PsNetStats;

typedef struct PsNet {
    PsNetParams p;
    HostVerbs *v;
    SimMem *mem;
    PsNetQp *qp;
    uint32_t slot;      /* bytes of a slot */
    uint32_t rx_posted; /* receive slots posted at the start, over all QPs */
    /* delivered to the owner */
    PsServeMsg *in; /* addr: where the data went */
    uint32_t icap, ihead, icount;
    uint64_t *done; /* ids of messages sent (every send of it completed) */
    uint32_t dcap, dhead, dcount;
    uint8_t *scratch; /* one segment */
    PsNetStats st;
} PsNet;

/* Bytes of host memory the slots of one QP take. */
uint64_t ps_net_qp_bytes(const PsNetParams *p);

/* InfiniBand sends a grpc message of `data` bytes takes, and the bytes it hands the HCA. */
uint64_t ps_net_grpc_segments(const PsNetParams *p, uint64_t data);
uint64_t ps_net_grpc_wire(const PsNetParams *p, uint64_t data);

bool ps_net_init(PsNet *n, const PsNetParams *p, HostVerbs *v, SimMem *mem);
void ps_net_destroy(PsNet *n);

/* Queues a message on QP q; false if `msgs` are queued there already. */
bool ps_net_send(PsNet *n, uint32_t q, const PsNetOut *o);

/* Posts what the driver and the windows allow now (receive slots first, then the queued
 * messages' sends). False: the run failed. */
bool ps_net_step(PsNet *n);

/* A write the root complex notified at addr: 1 if it was a completion of ours (messages may
 * have arrived or been sent), 0 if not in the CQ, -1 if the run failed. */
int ps_net_completion(PsNet *n, uint64_t addr);

/* Messages received, in order of arrival: the header (addr: where its data went). */
const PsServeMsg *ps_net_peek(const PsNet *n);
void ps_net_pop(PsNet *n);

/* Ids of messages whose every send has completed, in order. */
bool ps_net_sent(PsNet *n, uint64_t *id);

/* Nothing queued or in flight (receive slots do not count). */
bool ps_net_idle(const PsNet *n);

#ifdef __cplusplus
}
#endif

#endif
