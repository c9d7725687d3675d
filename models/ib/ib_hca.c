/*
 * ib.hca: an InfiniBand host channel adapter (docs/models/ib.md section 7): reliable-connection
 * queue pairs driven through the verbs interface of models/proto/verbs.h.
 *
 * Two components joined by two internal ports (clock crossings, as link.mpp joins its lanes):
 *
 *   NAME       the transport engine and the PCIe endpoint, in `pcie_domain` (default "pcie"):
 *              ports tx/rx to pcie.link's ep_tx/ep_rx
 *   NAME.port  the InfiniBand port: an IbLink owner in the link's symbol clock (`domain`):
 *              ports ib_tx/ib_rx to an ib.cable
 *
 *    rx (TLPs) --> doorbells, completions --> WQE engine --> issue --> [assembly] --+
 *    tx (TLPs) <-- MRd queue | MWr queue (received data, CQEs)                      |
 *                                 ^                                                  v
 *              rx engine <-- from_port <-- NAME.port (IbLink) <-- to_port <-- ACKs first
 *
 * The transport engine, one tick of its clock:
 *   1. takes one TLP from rx: a doorbell (MWr into `bar`) raises a queue's producer; a CplD
 *      completes a WQE fetch (the WQE enters the WQE engine: ready wqe_time after the engine is
 *      free) or fills a packet being assembled (the packet is ready packet_time after the
 *      packet engine is free, once its last byte is in);
 *   2. takes one received packet from the port into the rx engine (ready packet_time after it
 *      is free);
 *   3. the rx engine's head, when ready: data (write, send, read response) becomes MWrs of at
 *      most mps bytes, cut at multiples of mps; an ACK retires packets; a read request queues
 *      the responder's read; the responder acknowledges the last packet of every message and
 *      every ack_every packets and every packet that asks for an ACK (BTH.AckReq);
 *   4. one WQE fetch (MRd 64 B) for the next announced WQE of a queue, QPs in turn;
 *   5. one packet issued: a read response, else the next packet of a QP's current WQE (QPs in
 *      turn; writes and sends within write_window unacknowledged packets, reads within
 *      max_rd_atomic outstanding): its payload asked for with MRds of at most mrrs bytes (cut at
 *      multiples of mrrs), one PCIe tag each;
 *   6. completed WQEs (in order per QP) write their CQEs (MWr 64 B) when signaled;
 *   7. one TLP to tx, MWrs and MRds in turn; one packet to the port, ACKs first.
 */
#include "ib.h"
#include "ib_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/pcie.h"
#include "models/proto/verbs.h"

#define HCA_ASM_CAP 64u  /* packets being assembled or waiting for the port */
#define HCA_ACK_CAP 64u  /* ACKs waiting for the port */
#define HCA_PORT_Q  8u   /* depth of the internal ports */
#define HCA_SYNC    2u   /* synchroniser stages of the internal ports */
#define HCA_POSTED  512u /* MWr TLPs waiting for tx */
#define HCA_RX_CAP  16u  /* received packets in the rx engine */
#define PSN_MASK    0xffffffu

typedef struct HcaParams {
    IbLinkParams link;
    SimDomain *pcie_domain;
    uint64_t lid;
    uint64_t qps;
    uint64_t dlid;
    uint64_t dlid_step;
    uint64_t remote_qp;
    uint64_t remote_qp_step;
    uint64_t bar;
    uint64_t queues;
    uint64_t cq;
    uint64_t mps;
    uint64_t mrrs;
    uint64_t tags;
    uint64_t max_rd_atomic;
    uint64_t write_window;
    uint64_t ack_every;
    SimTime wqe_time;
    SimTime packet_time;
    uint64_t src;
} HcaParams;

/* A send WQE as the HCA holds it. */
typedef struct HcaWqe {
    uint64_t wr_id;
    uint64_t local;
    uint64_t remote;
    uint32_t len;
    uint32_t imm; /* RDMA write with immediate */
    uint8_t op;
    uint8_t flags;
    bool fetched;     /* its CplD arrived */
    SimCycle ready;   /* WQE engine done */
    uint32_t issued;  /* payload bytes issued (write, send) */
    uint64_t psn0;    /* first PSN */
    uint64_t psn1;    /* last PSN */
    uint32_t written; /* read: response bytes written to host memory */
    bool started;
} HcaWqe;

typedef struct HcaRecv {
    uint64_t wr_id;
    uint64_t addr;
    uint32_t len;
    bool fetched;
} HcaRecv;

typedef struct HcaRead { /* a read request the responder serves */
    uint64_t addr;
    uint32_t len;
    uint32_t off;
    uint64_t psn;
} HcaRead;

typedef struct HcaQp {
    uint32_t dlid;
    uint32_t rqpn; /* the peer's QP */
    /* requester */
    uint32_t sq_db;     /* producer from the doorbell */
    uint32_t sq_fetch;  /* WQE fetches issued */
    uint32_t sq_cur;    /* WQE being issued */
    uint32_t sq_done;   /* WQEs completed */
    uint64_t next_psn;  /* next PSN to send */
    uint64_t acked_psn; /* PSNs below this are acknowledged */
    uint32_t reads_out; /* read WQEs issued and not finished */
    HcaWqe *sq;         /* VERBS_SQ_ENTRIES */
    /* responder */
    uint32_t rq_db;
    uint32_t rq_fetch;
    uint32_t rq_cur; /* receive WQE being filled */
    HcaRecv *rq;     /* VERBS_RQ_ENTRIES */
    uint32_t recv_off;
    uint64_t epsn;     /* expected PSN */
    uint64_t wr_addr;  /* next address of the RDMA write being received */
    uint32_t wr_bytes; /* bytes of the RDMA write being received so far */
    uint32_t unacked;  /* packets received since the last ACK */
    HcaRead *rd;       /* max_rd_atomic */
    SimRing rdr;
} HcaQp;

typedef enum {
    TAG_FREE = 0,
    TAG_SQ_WQE,
    TAG_RQ_WQE,
    TAG_DATA
} HcaTagKind;

typedef struct HcaTag {
    uint8_t kind;
    uint32_t qp;
    uint32_t idx;  /* WQE number, or assembly slot */
    uint32_t off;  /* data: offset in the packet */
    uint64_t addr; /* first byte asked for */
} HcaTag;

typedef struct HcaAsm {
    SimPacket *pkt;
    uint32_t need; /* payload bytes still to come */
    SimCycle ready;
} HcaAsm;

typedef struct HcaStats {
    uint64_t doorbells;
    uint64_t send_wqes;
    uint64_t recv_wqes;
    uint64_t packets_sent;
    uint64_t packets_received;
    uint64_t acks_sent;
    uint64_t acks_received;
    uint64_t read_responses;
    uint64_t mrds;
    uint64_t mrd_bytes;
    uint64_t mwrs;
    uint64_t mwr_bytes;
    uint64_t cqes;
    uint64_t tag_stall_cycles;
    uint64_t window_stall_cycles;
} HcaStats;

typedef struct HcaPort HcaPort;

typedef struct Hca {
    SimComponent c;
    HcaParams p;
    HcaPort *port;
    SimPort *tx; /* TLPs to pcie.link ep_tx */
    SimPort *rx;
    SimPort *to_port;
    SimPort *from_port;
    uint32_t nqp;
    HcaQp *qp;
    uint32_t wqe_cycles;
    uint32_t packet_cycles;
    uint32_t mtu;
    SimCycle wqe_free; /* WQE engine free from */
    SimCycle pkt_free; /* packet engine (assembly) free from */
    SimCycle rx_free;  /* rx engine free from */
    HcaTag *tag;
    uint32_t free_tags;
    uint32_t tag_scan;
    HcaAsm asmq[HCA_ASM_CAP];
    SimRing ar;
    SimPacket *ackq[HCA_ACK_CAP];
    SimRing kr;
    SimPacket *posted[HCA_POSTED];
    SimRing pr;
    SimPacket **npq; /* MRds to send: tags of them */
    SimRing nr;
    SimTimedFifo rxe; /* rx engine */
    bool np_turn;
    uint32_t fetch_rr;
    uint32_t issue_rr;
    uint32_t cq_next;
    SimCycle tag_since; /* stall accounting */
    SimCycle win_since;
    HcaStats st;
} Hca;

struct HcaPort {
    SimComponent c;
    Hca *h;
    IbLink link;
    SimPort *to_port; /* consumer side */
    SimPort *from_port;
};

static SimCycle cyc(const Hca *h, SimTime t)
{
    SimTime per = h->c.domain->period;
    return (SimCycle)((t + per - 1) / per);
}

static SimCycle max_c(SimCycle a, SimCycle b)
{
    return a > b ? a : b;
}

static SimCycle min_c(SimCycle a, SimCycle b)
{
    return a < b ? a : b;
}

/* ---- TLPs ---- */

static SimPacket *new_tlp(Hca *h, uint16_t type, uint64_t addr, uint32_t len)
{
    SimPacket *t = sim_packet_new(h->c.sim);
    if (t == NULL) {
        return NULL;
    }
    t->type = type;
    t->addr = addr;
    t->len = len;
    t->src = (uint16_t)h->p.src;
    t->flags = addr >> 32 ? PCIE_F_4DW : 0;
    t->stamp[SIM_STAMP_CREATE] = t->stamp[SIM_STAMP_INJECT] = h->c.sim->now;
    return t;
}

static SimPayload *new_payload(Hca *h, uint32_t len)
{
    Sim *sim = h->c.sim;
    SimPayload *pl = sim_payload_pool_get(&sim->pool);
    if (pl == NULL || sim->pool.payload_block_size < len) {
        sim_fail(sim, "instance '%s': payload pool exhausted: raise sim.payload_blocks", h->c.name);
        if (pl != NULL) {
            sim_payload_unref(&sim->pool, pl);
        }
        return NULL;
    }
    memset(pl->data, 0, len);
    pl->size = len;
    return pl;
}

/* Queues an MRd of len bytes at addr with a free tag; false if the run failed. */
static bool queue_mrd(Hca *h, uint64_t addr, uint32_t len, HcaTag tg)
{
    uint32_t t = h->tag_scan;
    while (h->tag[t].kind != TAG_FREE) {
        t = (t + 1) % (uint32_t)h->p.tags;
    }
    h->tag_scan = (t + 1) % (uint32_t)h->p.tags;
    SimPacket *m = new_tlp(h, PCIE_TLP_MRD, addr, len);
    if (m == NULL) {
        return false;
    }
    m->tag = t;
    tg.addr = addr;
    h->tag[t] = tg;
    h->free_tags--;
    h->npq[sim_ring_push(&h->nr)] = m;
    h->st.mrds++;
    h->st.mrd_bytes += len;
    return true;
}

/* Queues an MWr of len bytes at addr carrying pl from byte off (a new reference). */
static bool queue_mwr(Hca *h, uint64_t addr, uint32_t len, SimPayload *pl, uint32_t off)
{
    SimPacket *w = new_tlp(h, PCIE_TLP_MWR, addr, len);
    if (w == NULL) {
        return false;
    }
    if (pl != NULL) {
        w->payload = sim_payload_ref(pl);
        w->user[0] = off;
    }
    h->posted[sim_ring_push(&h->pr)] = w;
    h->st.mwrs++;
    h->st.mwr_bytes += len;
    return true;
}

/* MWrs of `len` bytes to host address addr, at most mps each, cut at multiples of mps. */
static uint32_t mwr_pieces(const Hca *h, uint64_t addr, uint32_t len)
{
    if (len == 0) {
        return 0;
    }
    uint64_t mps = h->p.mps;
    return (uint32_t)((addr + len - 1) / mps - addr / mps + 1);
}

static bool queue_data_mwrs(Hca *h, uint64_t addr, uint32_t len, SimPayload *pl)
{
    uint32_t off = 0;
    while (off < len) {
        uint64_t a = addr + off;
        uint64_t cut = (a / h->p.mps + 1) * h->p.mps;
        uint32_t n = (uint32_t)(cut - a < len - off ? cut - a : len - off);
        if (!queue_mwr(h, a, n, pl, off)) {
            return false;
        }
        off += n;
    }
    return true;
}

static bool queue_cqe(Hca *h, uint32_t qpn, uint64_t wr_id, uint32_t bytes, uint32_t op,
                      uint32_t status, uint32_t index, uint32_t imm)
{
    SimPayload *pl = new_payload(h, VERBS_CQE_BYTES);
    if (pl == NULL) {
        return false;
    }
    uint8_t *e = pl->data;
    verbs_put(e + VERBS_CQE_WR_ID, wr_id, 8);
    verbs_put(e + VERBS_CQE_BYTE_COUNT, bytes, 4);
    verbs_put(e + VERBS_CQE_QP, qpn, 4);
    verbs_put(e + VERBS_CQE_OPCODE, op, 1);
    verbs_put(e + VERBS_CQE_STATUS, status, 1);
    verbs_put(e + VERBS_CQE_INDEX, index & 0xffffu, 2);
    verbs_put(e + VERBS_CQE_SEQ, h->cq_next, 4);
    verbs_put(e + VERBS_CQE_IMM, imm, 4);
    bool ok = queue_mwr(h, verbs_cqe_addr(h->p.cq, h->cq_next), VERBS_CQE_BYTES, pl, 0);
    sim_payload_unref(&h->c.sim->pool, pl);
    h->cq_next++;
    h->st.cqes++;
    return ok;
}

/* ---- IB packets ---- */

static SimPacket *new_ib(Hca *h, const HcaQp *q, uint16_t type, uint32_t len, uint64_t psn)
{
    SimPacket *pkt = sim_packet_new(h->c.sim);
    if (pkt == NULL) {
        return NULL;
    }
    pkt->type = type;
    pkt->len = len;
    pkt->src = (uint16_t)h->p.lid;
    pkt->dst = (uint16_t)q->dlid;
    pkt->tag = q->rqpn;
    pkt->seq = (uint32_t)(psn & PSN_MASK);
    pkt->stamp[SIM_STAMP_CREATE] = pkt->stamp[SIM_STAMP_INJECT] = h->c.sim->now;
    return pkt;
}

/* The full PSN of a 24-bit one near `base`. */
static uint64_t psn_full(uint64_t base, uint32_t psn24)
{
    uint64_t d = (psn24 - (uint32_t)base) & PSN_MASK;
    if (d >= (PSN_MASK + 1) / 2) {
        return base - ((PSN_MASK + 1) - d);
    }
    return base + d;
}

/* ---- 1. TLPs from the link ---- */

static void wqe_arrived(Hca *h, HcaQp *q, uint32_t idx, const uint8_t *w, SimCycle now)
{
    HcaWqe *e = &q->sq[idx % VERBS_SQ_ENTRIES];
    memset(e, 0, sizeof(*e));
    e->wr_id = verbs_get(w + VERBS_WQE_WR_ID, 8);
    e->op = (uint8_t)verbs_get(w + VERBS_WQE_OPCODE, 1);
    e->flags = (uint8_t)verbs_get(w + VERBS_WQE_FLAGS, 1);
    e->len = (uint32_t)verbs_get(w + VERBS_WQE_LENGTH, 4);
    e->local = verbs_get(w + VERBS_WQE_LOCAL, 8);
    e->remote = verbs_get(w + VERBS_WQE_REMOTE, 8);
    e->imm = (uint32_t)verbs_get(w + VERBS_WQE_IMM, 4);
    e->fetched = true;
    h->wqe_free = max_c(h->wqe_free, now) + h->wqe_cycles;
    e->ready = h->wqe_free;
    h->st.send_wqes++;
}

static bool rx_tlp(Hca *h, SimCycle now)
{
    Sim *sim = h->c.sim;
    SimPacket *t = sim_port_peek(h->rx);
    if (t == NULL) {
        return true;
    }
    sim_port_pop(h->rx);
    const uint8_t *data = t->payload != NULL ? t->payload->data + t->user[0] : NULL;
    if (t->type == PCIE_TLP_MWR) {
        uint64_t off = t->addr - h->p.bar;
        if (t->addr < h->p.bar || off + 4 > (uint64_t)VERBS_DB_BYTES * h->nqp || t->len != 4 ||
            data == NULL) {
            sim_fail(sim, "instance '%s': write of %u bytes at 0x%llx is no doorbell of its %u QPs",
                     h->c.name, t->len, (unsigned long long)t->addr, h->nqp);
            sim_packet_free(sim, t);
            return false;
        }
        HcaQp *q = &h->qp[off / VERBS_DB_BYTES];
        uint32_t v = (uint32_t)verbs_get(data, 4);
        if (off % VERBS_DB_BYTES == VERBS_DB_SQ) {
            q->sq_db = v;
        } else {
            q->rq_db = v;
        }
        h->st.doorbells++;
        sim_packet_free(sim, t);
        return true;
    }
    if (t->type != PCIE_TLP_CPLD || t->tag >= h->p.tags || h->tag[t->tag].kind == TAG_FREE) {
        sim_fail(sim, "instance '%s': TLP type 0x%x tag %u for no request of the HCA", h->c.name,
                 t->type, t->tag);
        sim_packet_free(sim, t);
        return false;
    }
    HcaTag *tg = &h->tag[t->tag];
    bool last = (t->flags & PCIE_F_LAST) != 0;
    switch (tg->kind) {
    case TAG_SQ_WQE:
        if (data != NULL) {
            wqe_arrived(h, &h->qp[tg->qp], tg->idx, data, now);
        }
        break;
    case TAG_RQ_WQE: {
        HcaRecv *r = &h->qp[tg->qp].rq[tg->idx % VERBS_RQ_ENTRIES];
        r->wr_id = verbs_get(data + VERBS_WQE_WR_ID, 8);
        r->len = (uint32_t)verbs_get(data + VERBS_WQE_LENGTH, 4);
        r->addr = verbs_get(data + VERBS_WQE_LOCAL, 8);
        r->fetched = true;
        h->st.recv_wqes++;
        break;
    }
    default: {
        HcaAsm *a = &h->asmq[tg->idx];
        uint32_t at = tg->off + (uint32_t)(t->addr - tg->addr);
        if (a->pkt->payload != NULL && data != NULL) {
            memcpy(a->pkt->payload->data + at, data, t->len);
        }
        a->need -= t->len;
        if (a->need == 0) {
            h->pkt_free = max_c(h->pkt_free, now) + h->packet_cycles;
            a->ready = h->pkt_free;
        }
        break;
    }
    }
    if (last) {
        tg->kind = TAG_FREE;
        h->free_tags++;
    }
    sim_packet_free(sim, t);
    return true;
}

/* ---- 3. the rx engine ---- */

/* Completes the requester's WQEs of QP q that are done, in order; false if the run failed. */
static bool complete_wqes(Hca *h, uint32_t qpn)
{
    HcaQp *q = &h->qp[qpn];
    while (q->sq_done != q->sq_cur) {
        HcaWqe *e = &q->sq[q->sq_done % VERBS_SQ_ENTRIES];
        bool done = e->op == VERBS_OP_RDMA_READ ? e->written == e->len && e->psn1 < q->acked_psn
                                                : e->psn1 < q->acked_psn;
        if (!done) {
            return true;
        }
        if (e->flags & VERBS_WQE_SIGNALED) {
            if (sim_ring_full(&h->pr)) {
                return true; /* the MWr queue drains; completes next cycle */
            }
            if (!queue_cqe(h, qpn, e->wr_id, e->len, e->op, VERBS_STATUS_OK, q->sq_done, 0)) {
                return false;
            }
        }
        if (e->op == VERBS_OP_RDMA_READ) {
            q->reads_out--;
        }
        q->sq_done++;
        sim_work_done(h->c.sim);
    }
    return true;
}

static bool ack_retire(Hca *h, uint32_t qpn, uint64_t psn_next)
{
    HcaQp *q = &h->qp[qpn];
    if (psn_next > q->acked_psn) {
        q->acked_psn = psn_next;
    }
    return complete_wqes(h, qpn);
}

static bool send_ack(Hca *h, HcaQp *q, uint64_t psn)
{
    SimPacket *a = new_ib(h, q, IB_ACK, 0, psn);
    if (a == NULL) {
        return false;
    }
    h->ackq[sim_ring_push(&h->kr)] = a;
    q->unacked = 0;
    h->st.acks_sent++;
    return true;
}

static bool is_last(uint16_t type)
{
    return type == IB_SEND_LAST || type == IB_SEND_ONLY || type == IB_WRITE_LAST ||
           type == IB_WRITE_ONLY;
}

/* Processes the rx engine's head if it can; true if it did (or failed the run). */
static bool rx_process(Hca *h, SimCycle now)
{
    Sim *sim = h->c.sim;
    SimPacket *pkt = sim_timed_fifo_ready(&h->rxe, now);
    if (pkt == NULL) {
        return false;
    }
    uint32_t qpn = pkt->tag;
    HcaQp *q = &h->qp[qpn];
    uint16_t type = pkt->type;
    uint32_t len = ib_payload_bytes(pkt);
    uint64_t psn =
        psn_full(type == IB_ACK || type >= IB_READ_RESP_FIRST ? q->acked_psn : q->epsn, pkt->seq);
    switch (type) {
    case IB_ACK:
        h->st.acks_received++;
        sim_timed_fifo_pop(&h->rxe);
        sim_packet_free(sim, pkt);
        if (!ack_retire(h, qpn, psn + 1)) {
            return true;
        }
        return true;
    case IB_READ_RESP_FIRST:
    case IB_READ_RESP_MIDDLE:
    case IB_READ_RESP_LAST:
    case IB_READ_RESP_ONLY: {
        /* The read WQE this PSN belongs to. */
        uint32_t i = q->sq_done;
        while (i != q->sq_cur && !(q->sq[i % VERBS_SQ_ENTRIES].op == VERBS_OP_RDMA_READ &&
                                   psn >= q->sq[i % VERBS_SQ_ENTRIES].psn0 &&
                                   psn <= q->sq[i % VERBS_SQ_ENTRIES].psn1)) {
            i++;
        }
        if (i == q->sq_cur) {
            sim_fail(sim, "instance '%s': read response PSN %u on QP %u for no read", h->c.name,
                     pkt->seq, qpn);
            return true;
        }
        HcaWqe *e = &q->sq[i % VERBS_SQ_ENTRIES];
        uint64_t dst = e->local + (uint64_t)(psn - e->psn0) * h->mtu;
        if (HCA_POSTED - h->pr.count < mwr_pieces(h, dst, len) + 1) {
            return false; /* wait for the MWr queue */
        }
        sim_timed_fifo_pop(&h->rxe);
        if (!queue_data_mwrs(h, dst, len, pkt->payload)) {
            sim_packet_free(sim, pkt);
            return true;
        }
        e->written += len;
        sim_packet_free(sim, pkt);
        /* A response acknowledges every request before it (IBA 9.7.5.1.2). */
        if (!ack_retire(h, qpn, e->psn0)) {
            return true;
        }
        if (e->written == e->len) {
            q->acked_psn = q->acked_psn > e->psn1 + 1 ? q->acked_psn : e->psn1 + 1;
            complete_wqes(h, qpn);
        }
        return true;
    }
    case IB_READ_REQ:
        if (sim_ring_full(&q->rdr)) {
            sim_fail(sim,
                     "instance '%s': QP %u got more than max_rd_atomic (%llu) read requests "
                     "at once: give both HCAs the same max_rd_atomic",
                     h->c.name, qpn, (unsigned long long)h->p.max_rd_atomic);
            return true;
        }
        sim_timed_fifo_pop(&h->rxe);
        q->rd[sim_ring_push(&q->rdr)] = (HcaRead){pkt->addr, pkt->len, 0, psn};
        q->epsn = psn + (pkt->len + h->mtu - 1) / h->mtu + (pkt->len == 0);
        sim_packet_free(sim, pkt);
        return true;
    default:
        break;
    }
    /* Data for the responder: RDMA write or send; a write's last packet with ImmDt consumes a
     * receive WQE as a send's does. */
    bool send = type <= IB_SEND_ONLY;
    bool imm = (pkt->flags & IB_F_IMM) != 0;
    uint32_t pkt_imm = pkt->crc;
    uint64_t dst = 0;
    HcaRecv *r = NULL;
    if (send || imm) {
        if (q->rq_cur == q->rq_db) {
            sim_fail(sim,
                     "instance '%s': %s arrived at QP %u with no receive WQE posted "
                     "(receiver not ready: RNR NAK and its retry are not modelled)",
                     h->c.name, send ? "a send" : "an RDMA write with immediate", qpn);
            return true;
        }
        r = &q->rq[q->rq_cur % VERBS_RQ_ENTRIES];
        if (!r->fetched) {
            return false; /* its fetch completes */
        }
    }
    if (send) {
        if (q->recv_off + len > r->len) {
            sim_fail(sim,
                     "instance '%s': a send of at least %u bytes into the %u-byte receive "
                     "buffer of QP %u (a local length error: not modelled as a completion "
                     "with error)",
                     h->c.name, q->recv_off + len, r->len, qpn);
            return true;
        }
        dst = r->addr + q->recv_off;
    } else {
        if (type == IB_WRITE_FIRST || type == IB_WRITE_ONLY) {
            q->wr_addr = pkt->addr;
        }
        dst = q->wr_addr;
    }
    bool last = is_last(type);
    bool ack = last || (pkt->flags & IB_F_ACKREQ) != 0 || q->unacked + 1 >= h->p.ack_every;
    uint32_t need = mwr_pieces(h, dst, len) + ((send && last) || imm ? 1 : 0);
    if (HCA_POSTED - h->pr.count < need || (ack && sim_ring_full(&h->kr))) {
        return false;
    }
    sim_timed_fifo_pop(&h->rxe);
    if (psn != q->epsn) {
        sim_fail(sim, "instance '%s': QP %u received PSN %u, expected %u", h->c.name, qpn, pkt->seq,
                 (uint32_t)(q->epsn & PSN_MASK));
        sim_packet_free(sim, pkt);
        return true;
    }
    q->epsn++;
    if (!queue_data_mwrs(h, dst, len, pkt->payload)) {
        sim_packet_free(sim, pkt);
        return true;
    }
    sim_packet_free(sim, pkt);
    if (send) {
        q->recv_off += len;
        if (last) {
            if (!queue_cqe(h, qpn, r->wr_id, q->recv_off, VERBS_OP_RECV, VERBS_STATUS_OK, q->rq_cur,
                           0)) {
                return true;
            }
            q->rq_cur++;
            q->recv_off = 0;
            sim_work_done(sim);
        }
    } else {
        if (type == IB_WRITE_FIRST || type == IB_WRITE_ONLY) {
            q->wr_bytes = 0;
        }
        q->wr_addr += len;
        q->wr_bytes += len;
        if (imm) {
            if (!queue_cqe(h, qpn, r->wr_id, q->wr_bytes, VERBS_OP_RECV_RDMA_IMM, VERBS_STATUS_OK,
                           q->rq_cur, pkt_imm)) {
                return true;
            }
            q->rq_cur++;
            sim_work_done(sim);
        }
    }
    q->unacked++;
    if (ack) {
        send_ack(h, q, psn);
    }
    return true;
}

/* ---- 4. WQE fetch ---- */

static bool fetch_step(Hca *h)
{
    if (h->free_tags == 0 || sim_ring_full(&h->nr)) {
        return false;
    }
    for (uint32_t k = 0; k < h->nqp; k++) {
        uint32_t n = (h->fetch_rr + k) % h->nqp;
        HcaQp *q = &h->qp[n];
        /* Room in the HCA's copy of the ring: WQEs fetched and not completed. */
        if (q->sq_fetch != q->sq_db && q->sq_fetch - q->sq_done < VERBS_SQ_ENTRIES) {
            q->sq[q->sq_fetch % VERBS_SQ_ENTRIES].fetched = false;
            HcaTag tg = {.kind = TAG_SQ_WQE, .qp = n, .idx = q->sq_fetch};
            q->sq_fetch++;
            h->fetch_rr = (n + 1) % h->nqp;
            return queue_mrd(h, verbs_sq_wqe_addr(h->p.queues, n, tg.idx), VERBS_WQE_BYTES, tg);
        }
        if (q->rq_fetch != q->rq_db && q->rq_fetch - q->rq_cur < VERBS_RQ_ENTRIES) {
            q->rq[q->rq_fetch % VERBS_RQ_ENTRIES].fetched = false;
            HcaTag tg = {.kind = TAG_RQ_WQE, .qp = n, .idx = q->rq_fetch};
            q->rq_fetch++;
            h->fetch_rr = (n + 1) % h->nqp;
            return queue_mrd(h, verbs_rq_wqe_addr(h->p.queues, n, tg.idx), VERBS_WQE_BYTES, tg);
        }
    }
    return false;
}

static bool fetch_possible(const Hca *h)
{
    if (h->free_tags == 0 || sim_ring_full(&h->nr)) {
        return false;
    }
    for (uint32_t n = 0; n < h->nqp; n++) {
        const HcaQp *q = &h->qp[n];
        if ((q->sq_fetch != q->sq_db && q->sq_fetch - q->sq_done < VERBS_SQ_ENTRIES) ||
            (q->rq_fetch != q->rq_db && q->rq_fetch - q->rq_cur < VERBS_RQ_ENTRIES)) {
            return true;
        }
    }
    return false;
}

/* ---- 5. issue ---- */

/* MRds for len payload bytes at addr: cut at multiples of mrrs. */
static uint32_t mrd_count(const Hca *h, uint64_t addr, uint32_t len)
{
    if (len == 0) {
        return 0;
    }
    return (uint32_t)((addr + len - 1) / h->p.mrrs - addr / h->p.mrrs + 1);
}

/* Puts packet pkt with len payload bytes from host address addr into the assembly queue and
 * asks for its payload; false if the run failed. */
static bool assemble(Hca *h, SimPacket *pkt, uint64_t addr, uint32_t len, SimCycle now)
{
    uint32_t slot = sim_ring_push(&h->ar);
    HcaAsm *a = &h->asmq[slot];
    a->pkt = pkt;
    a->need = len;
    a->ready = SIM_CYCLE_NEVER;
    if (len == 0) {
        h->pkt_free = max_c(h->pkt_free, now) + h->packet_cycles;
        a->ready = h->pkt_free;
        return true;
    }
    if ((pkt->payload = new_payload(h, len)) == NULL) {
        return false;
    }
    uint32_t off = 0;
    while (off < len) {
        uint64_t at = addr + off;
        uint64_t cut = (at / h->p.mrrs + 1) * h->p.mrrs;
        uint32_t n = (uint32_t)(cut - at < len - off ? cut - at : len - off);
        HcaTag tg = {.kind = TAG_DATA, .idx = slot, .off = off};
        if (!queue_mrd(h, at, n, tg)) {
            return false;
        }
        off += n;
    }
    return true;
}

static bool room_for(const Hca *h, uint32_t mrds)
{
    return !sim_ring_full(&h->ar) && h->free_tags >= mrds && h->nr.cap - h->nr.count >= mrds;
}

static uint16_t seg_type(uint16_t first, uint32_t off, uint32_t n, uint32_t len)
{
    bool f = off == 0;
    bool l = off + n >= len;
    /* first, middle, last, only follow each other in IbPacketType */
    return (uint16_t)(first + (f && l ? 3 : f ? 0 : l ? 2 : 1));
}

/* Whether QP q has a read response waiting that can be issued now. */
static bool response_can(const Hca *h, const HcaQp *q)
{
    if (sim_ring_empty(&q->rdr)) {
        return false;
    }
    const HcaRead *rd = &q->rd[sim_ring_head(&q->rdr)];
    uint32_t n = rd->len - rd->off < h->mtu ? rd->len - rd->off : h->mtu;
    return room_for(h, mrd_count(h, rd->addr + rd->off, n));
}

/* A read response of QP q, if one is waiting and can go: 1 issued, 0 not, -1 failed. */
static int issue_response(Hca *h, HcaQp *q, SimCycle now)
{
    if (sim_ring_empty(&q->rdr)) {
        return 0;
    }
    HcaRead *rd = &q->rd[sim_ring_head(&q->rdr)];
    uint32_t n = rd->len - rd->off < h->mtu ? rd->len - rd->off : h->mtu;
    if (!room_for(h, mrd_count(h, rd->addr + rd->off, n))) {
        return 0;
    }
    uint16_t type = seg_type(IB_READ_RESP_FIRST, rd->off, n, rd->len);
    SimPacket *pkt = new_ib(h, q, type, n, rd->psn + rd->off / h->mtu);
    if (pkt == NULL || !assemble(h, pkt, rd->addr + rd->off, n, now)) {
        return -1;
    }
    rd->off += n;
    h->st.read_responses++;
    if (rd->off >= rd->len) {
        sim_ring_pop(&q->rdr);
    }
    return 1;
}

/* Why QP q's requester cannot issue now: 0 it can, 1 nothing to do, 2 waiting for a resource
 * (tags, assembly room), 3 window or max_rd_atomic, 4 the WQE engine (wait until e->ready). */
static int requester_state(const Hca *h, const HcaQp *q, SimCycle now)
{
    if (q->sq_cur == q->sq_fetch) {
        return 1;
    }
    const HcaWqe *e = &q->sq[q->sq_cur % VERBS_SQ_ENTRIES];
    if (!e->fetched) {
        return 1;
    }
    if (e->ready > now) {
        return 4;
    }
    if (e->op == VERBS_OP_RDMA_READ) {
        if (q->reads_out >= h->p.max_rd_atomic) {
            return 3;
        }
        return room_for(h, 0) ? 0 : 2;
    }
    if (q->next_psn - q->acked_psn >= h->p.write_window) {
        return 3;
    }
    uint32_t n = e->len - e->issued < h->mtu ? e->len - e->issued : h->mtu;
    return room_for(h, mrd_count(h, e->local + e->issued, n)) ? 0 : 2;
}

static int issue_request(Hca *h, HcaQp *q, SimCycle now)
{
    HcaWqe *e = &q->sq[q->sq_cur % VERBS_SQ_ENTRIES];
    if (!e->started) {
        e->started = true;
        e->psn0 = q->next_psn;
    }
    SimPacket *pkt;
    if (e->op == VERBS_OP_RDMA_READ) {
        pkt = new_ib(h, q, IB_READ_REQ, e->len, q->next_psn);
        if (pkt == NULL) {
            return -1;
        }
        pkt->addr = e->remote;
        uint32_t segs = e->len == 0 ? 1 : (e->len + h->mtu - 1) / h->mtu;
        e->psn1 = q->next_psn + segs - 1;
        q->next_psn += segs;
        q->reads_out++;
        q->sq_cur++;
        if (!assemble(h, pkt, 0, 0, now)) {
            return -1;
        }
        return 1;
    }
    uint32_t n = e->len - e->issued < h->mtu ? e->len - e->issued : h->mtu;
    uint16_t first = e->op == VERBS_OP_SEND ? IB_SEND_FIRST : IB_WRITE_FIRST;
    uint16_t type = seg_type(first, e->issued, n, e->len);
    pkt = new_ib(h, q, type, n, q->next_psn);
    if (pkt == NULL) {
        return -1;
    }
    pkt->addr = e->remote + e->issued;
    if (e->op == VERBS_OP_RDMA_WRITE_IMM && e->issued + n >= e->len) {
        pkt->flags |= IB_F_IMM; /* ImmDt on the write's last or only packet */
        pkt->crc = e->imm;
    }
    if (q->next_psn + 1 - q->acked_psn >= h->p.write_window) {
        pkt->flags |= IB_F_ACKREQ; /* it fills the window: ask for the ACK that reopens it */
    }
    uint64_t from = e->local + e->issued;
    e->issued += n;
    e->psn1 = q->next_psn;
    q->next_psn++;
    if (e->issued >= e->len) {
        q->sq_cur++;
    }
    return assemble(h, pkt, from, n, now) ? 1 : -1;
}

/* Stall accounting (tag_stall_cycles, window_stall_cycles): a cycle counts when the issue stage
 * issues nothing at it while a QP waits for tags or assembly room (or for its window). The
 * books are kept from state, not from the ticks that happen to see it: a tick records what
 * its own cycle saw and, at its end, what every following cycle up to the next tick will see
 * (between two ticks nothing in the HCA changes but the WQE engine's ready times, and the HCA
 * ticks at those); the next tick, or the end of the run, adds the cycles that passed. So a
 * kernel that skips idle cycles counts what one that ticks every cycle counts. */
static void stall(SimCycle *since, uint64_t *total, bool waiting, SimCycle now)
{
    if (waiting && *since == SIM_CYCLE_NEVER) {
        *since = now;
    } else if (!waiting && *since != SIM_CYCLE_NEVER) {
        *total += now - *since;
        *since = SIM_CYCLE_NEVER;
    }
}

/* What the issue stage sees at cycle `at` without issuing: *can when it would issue, else
 * whether some QP waits for tags or room (*tag) or for its window (*win). */
static void issue_view(const Hca *h, SimCycle at, bool *can, bool *tag, bool *win)
{
    *can = *tag = *win = false;
    for (uint32_t n = 0; n < h->nqp; n++) {
        const HcaQp *q = &h->qp[n];
        if (response_can(h, q)) {
            *can = true;
            return;
        }
    }
    for (uint32_t n = 0; n < h->nqp; n++) {
        int s = requester_state(h, &h->qp[n], at);
        if (s == 0) {
            *can = true;
            return;
        }
        *tag |= s == 2;
        *win |= s == 3;
    }
}

/* At the end of the tick at `now`: opens or closes the books for the cycles from now + 1 on. */
static void stall_ahead(Hca *h, SimCycle now)
{
    bool can, tag, win;
    issue_view(h, now + 1, &can, &tag, &win);
    stall(&h->tag_since, &h->st.tag_stall_cycles, !can && tag, now + 1);
    stall(&h->win_since, &h->st.window_stall_cycles, !can && win, now + 1);
}

/* One packet issued: read responses first (the responder), then requests, QPs in turn. */
static bool issue_step(Hca *h, SimCycle now)
{
    for (uint32_t k = 0; k < h->nqp; k++) {
        uint32_t n = (h->issue_rr + k) % h->nqp;
        int r = issue_response(h, &h->qp[n], now);
        if (r != 0) {
            h->issue_rr = (n + 1) % h->nqp;
            return r > 0;
        }
    }
    bool tag_wait = false;
    bool window_wait = false;
    for (uint32_t k = 0; k < h->nqp; k++) {
        uint32_t n = (h->issue_rr + k) % h->nqp;
        int s = requester_state(h, &h->qp[n], now);
        tag_wait |= s == 2;
        window_wait |= s == 3;
        if (s == 0) {
            h->issue_rr = (n + 1) % h->nqp;
            stall(&h->tag_since, &h->st.tag_stall_cycles, false, now);
            stall(&h->win_since, &h->st.window_stall_cycles, false, now);
            return issue_request(h, &h->qp[n], now) > 0;
        }
    }
    stall(&h->tag_since, &h->st.tag_stall_cycles, tag_wait, now);
    stall(&h->win_since, &h->st.window_stall_cycles, window_wait, now);
    return false;
}

/* ---- 7. outputs ---- */

static void tx_step(Hca *h)
{
    if (!sim_port_can_push(h->tx)) {
        return;
    }
    bool p = !sim_ring_empty(&h->pr);
    bool np = !sim_ring_empty(&h->nr);
    if (!p && !np) {
        return;
    }
    bool take_np = np && (!p || h->np_turn);
    if (take_np) {
        sim_port_push(h->tx, h->npq[sim_ring_pop(&h->nr)]);
    } else {
        sim_port_push(h->tx, h->posted[sim_ring_pop(&h->pr)]);
    }
    h->np_turn = !take_np;
}

static void port_step(Hca *h, SimCycle now)
{
    if (!sim_port_can_push(h->to_port)) {
        return;
    }
    if (!sim_ring_empty(&h->kr)) {
        sim_port_push(h->to_port, h->ackq[sim_ring_pop(&h->kr)]);
        return;
    }
    if (!sim_ring_empty(&h->ar) && h->asmq[sim_ring_head(&h->ar)].ready <= now) {
        HcaAsm *a = &h->asmq[sim_ring_pop(&h->ar)];
        h->st.packets_sent++;
        sim_port_push(h->to_port, a->pkt);
        a->pkt = NULL;
    }
}

/* ---- the tick ---- */

static SimCycle hca_tick(SimComponent *c, SimCycle now)
{
    Hca *h = (Hca *)c;
    Sim *sim = c->sim;
    if (!rx_tlp(h, now)) {
        return SIM_SLEEP;
    }
    SimPacket *in = sim_port_peek(h->from_port);
    if (in != NULL && !sim_timed_fifo_full(&h->rxe)) {
        sim_port_pop(h->from_port);
        h->st.packets_received++;
        h->rx_free = max_c(h->rx_free, now) + h->packet_cycles;
        sim_timed_fifo_push(&h->rxe, h->rx_free, in);
    }
    bool rx_did = rx_process(h, now);
    for (uint32_t n = 0; n < h->nqp && !sim->failed; n++) {
        complete_wqes(h, n);
    }
    fetch_step(h);
    issue_step(h, now);
    tx_step(h);
    port_step(h, now);
    if (sim->failed) {
        return SIM_SLEEP;
    }
    stall_ahead(h, now);

    /* The next cycle anything can happen at. */
    SimCycle next = SIM_CYCLE_NEVER;
    if (sim_port_peek(h->rx) != NULL ||
        (sim_port_peek(h->from_port) != NULL && !sim_timed_fifo_full(&h->rxe))) {
        next = now + 1;
    }
    SimCycle r = sim_timed_fifo_head_ready(&h->rxe);
    if (r != SIM_CYCLE_NEVER) {
        /* Blocked heads wait for the MWr or ACK queue to drain, or a receive WQE's fetch. */
        next = min_c(next, r > now ? r : (rx_did ? now + 1 : next));
    }
    if (!sim_ring_empty(&h->pr) && sim_port_can_push(h->tx)) {
        next = now + 1;
    }
    if ((!sim_ring_empty(&h->pr) || !sim_ring_empty(&h->nr)) && sim_port_can_push(h->tx)) {
        next = now + 1;
    }
    if (fetch_possible(h)) {
        next = now + 1;
    }
    for (uint32_t n = 0; n < h->nqp; n++) {
        const HcaQp *q = &h->qp[n];
        if (response_can(h, q)) {
            next = now + 1;
        }
        int s = requester_state(h, q, now);
        if (s == 0) {
            next = now + 1;
        } else if (s == 4) {
            next = min_c(next, q->sq[q->sq_cur % VERBS_SQ_ENTRIES].ready);
        }
        if (q->sq_done != q->sq_cur) {
            const HcaWqe *e = &q->sq[q->sq_done % VERBS_SQ_ENTRIES];
            if (e->psn1 < q->acked_psn && (e->op != VERBS_OP_RDMA_READ || e->written == e->len)) {
                next = now + 1; /* a CQE waits for the MWr queue */
            }
        }
    }
    if (sim_port_can_push(h->to_port)) {
        if (!sim_ring_empty(&h->kr)) {
            next = now + 1;
        } else if (!sim_ring_empty(&h->ar)) {
            next = min_c(next, max_c(h->asmq[sim_ring_head(&h->ar)].ready, now + 1));
        }
    }
    return next == SIM_CYCLE_NEVER ? SIM_SLEEP : next;
}

/* Closes the stall books at the end of the run: cycles up to the end's cycle count. */
static void hca_finish(SimComponent *c, SimTime end)
{
    Hca *h = (Hca *)c;
    SimCycle e = sim_domain_cycle_at_or_after(c->domain, end);
    if (h->tag_since != SIM_CYCLE_NEVER && e > h->tag_since) {
        h->st.tag_stall_cycles += e - h->tag_since;
    }
    if (h->win_since != SIM_CYCLE_NEVER && e > h->win_since) {
        h->st.window_stall_cycles += e - h->win_since;
    }
    h->tag_since = h->win_since = SIM_CYCLE_NEVER;
}

static bool hca_busy(const SimComponent *c)
{
    const Hca *h = (const Hca *)c;
    if (!sim_ring_empty(&h->ar) || !sim_ring_empty(&h->kr) || !sim_ring_empty(&h->pr) ||
        !sim_ring_empty(&h->nr) || sim_timed_fifo_count(&h->rxe) || h->free_tags != h->p.tags) {
        return true;
    }
    for (uint32_t n = 0; n < h->nqp; n++) {
        const HcaQp *q = &h->qp[n];
        if (q->sq_done != q->sq_db || !sim_ring_empty(&q->rdr)) {
            return true;
        }
    }
    return false;
}

static void hca_dump(const SimComponent *c, SimError *report)
{
    const Hca *h = (const Hca *)c;
    sim_error_append(report,
                     " (%u packets assembling, %u ACKs, %u MWrs and %u MRds to send, %u "
                     "received in the rx engine, %u tags free)",
                     h->ar.count, h->kr.count, h->pr.count, h->nr.count,
                     sim_timed_fifo_count(&h->rxe), h->free_tags);
    for (uint32_t n = 0; n < h->nqp; n++) {
        const HcaQp *q = &h->qp[n];
        if (q->sq_done != q->sq_db) {
            sim_error_append(report, " QP %u: WQEs %u posted, %u fetched, %u issued, %u done;", n,
                             q->sq_db, q->sq_fetch, q->sq_cur, q->sq_done);
        }
    }
}

static void hca_destroy(SimComponent *c)
{
    Hca *h = (Hca *)c;
    if (h->qp != NULL) {
        for (uint32_t n = 0; n < h->nqp; n++) {
            free(h->qp[n].sq);
            free(h->qp[n].rq);
            free(h->qp[n].rd);
        }
    }
    free(h->qp);
    free(h->tag);
    free(h->npq);
    sim_timed_fifo_destroy(&h->rxe);
}

static const SimComponentOps hca_ops = {
    .tick = hca_tick,
    .finish = hca_finish,
    .busy = hca_busy,
    .dump = hca_dump,
    .destroy = hca_destroy,
};

/* ---- the port component ---- */

static SimCycle port_tick(SimComponent *c, SimCycle now)
{
    HcaPort *pt = (HcaPort *)c;
    IbLink *l = &pt->link;
    ib_link_receive(l, now);
    SimPacket *pkt;
    while (sim_port_can_push(pt->from_port) && (pkt = ib_link_rx_peek(l, 0)) != NULL) {
        ib_link_rx_pop(l, 0);
        sim_port_push(pt->from_port, pkt);
    }
    while (ib_link_tx_can_put(l, 0) && (pkt = sim_port_peek(pt->to_port)) != NULL) {
        sim_port_pop(pt->to_port);
        ib_set_vl(pkt, 0);
        ib_link_tx_put(l, pkt, now);
    }
    ib_link_transmit(l, now);
    SimCycle next = ib_link_wake(l, now);
    if ((ib_link_rx_peek(l, 0) != NULL && sim_port_can_push(pt->from_port)) ||
        (sim_port_peek(pt->to_port) != NULL && ib_link_tx_can_put(l, 0))) {
        next = min_c(next, now + 1);
    }
    return next == SIM_CYCLE_NEVER ? SIM_SLEEP : next;
}

static bool port_busy(const SimComponent *c)
{
    return ib_link_busy(&((const HcaPort *)c)->link);
}

static void port_finish(SimComponent *c, SimTime end)
{
    ib_link_finish(&((HcaPort *)c)->link, end);
}

static void port_dump(const SimComponent *c, SimError *report)
{
    ib_link_dump(&((const HcaPort *)c)->link, report);
}

static void port_destroy(SimComponent *c)
{
    ib_link_destroy(&((HcaPort *)c)->link);
}

static const SimComponentOps port_ops = {
    .tick = port_tick,
    .finish = port_finish,
    .busy = port_busy,
    .dump = port_dump,
    .destroy = port_destroy,
};

/* ---- parameters ---- */

#define P(field) offsetof(HcaParams, field)
static const SimParamDesc hca_params[] = {
    IB_LINK_PARAM_ROWS(HcaParams),
    {"pcie_domain", SIM_PARAM_DOMAIN, P(pcie_domain), "pcie", NULL, NULL, NULL,
     "clock of the transport engine and the PCIe endpoint"},
    {"lid", SIM_PARAM_UINT, P(lid), "1", "1", "49151", NULL, "this port's LID (LRH.SLID)"},
    {"qps", SIM_PARAM_UINT, P(qps), "1", "1", "64", NULL, "reliable-connection QPs 0 .. qps - 1"},
    {"dlid", SIM_PARAM_UINT, P(dlid), "2", "1", "49151", NULL,
     "LID of the peer of QP 0; QP q's peer is dlid + q * dlid_step"},
    {"dlid_step", SIM_PARAM_UINT, P(dlid_step), "0", "0", "1024", NULL,
     "LID step from one QP's peer to the next one's"},
    {"remote_qp", SIM_PARAM_UINT, P(remote_qp), "0", "0", "63", NULL,
     "QP number at the peer of QP 0; QP q's is remote_qp + q * remote_qp_step"},
    {"remote_qp_step", SIM_PARAM_UINT, P(remote_qp_step), "1", "0", "63", NULL,
     "step of the peer QP number from one QP to the next"},
    {"bar", SIM_PARAM_UINT, P(bar), "0xf8000000", NULL, NULL, NULL,
     "host address of the doorbell page (models/proto/verbs.h)"},
    {"queues", SIM_PARAM_UINT, P(queues), "0x100000", NULL, NULL, NULL,
     "host address of the QPs' send and receive rings (32 KiB per QP)"},
    {"cq", SIM_PARAM_UINT, P(cq), "0x10000", NULL, NULL, NULL,
     "host address of the completion queue (64 KiB; in pcie.rc's notify range)"},
    {"mps", SIM_PARAM_BYTES, P(mps), "256B", "128B", "4KiB", NULL,
     "PCIe max payload size: largest MWr (power of two; as pcie.link and pcie.rc)"},
    {"mrrs", SIM_PARAM_BYTES, P(mrrs), "512B", "128B", "4KiB", NULL,
     "PCIe max read request size: largest MRd (power of two)"},
    {"tags", SIM_PARAM_UINT, P(tags), "32", "1", "256", NULL,
     "PCIe reads outstanding at once (WQE fetches and payload)"},
    {"max_rd_atomic", SIM_PARAM_UINT, P(max_rd_atomic), "16", "1", "256", NULL,
     "RDMA reads outstanding per QP, as requester and as responder (ConnectX-3: 16)"},
    {"write_window", SIM_PARAM_UINT, P(write_window), "128", "1", "8388608", NULL,
     "write and send packets sent and not acknowledged, per QP"},
    {"ack_every", SIM_PARAM_UINT, P(ack_every), "16", "1", "65536", NULL,
     "the responder acknowledges every this many packets and every message's last"},
    {"wqe_time", SIM_PARAM_TIME, P(wqe_time), "40ns", "0", "100us", NULL,
     "WQE engine: WQE fetched to its first packet issued; one WQE at a time"},
    {"packet_time", SIM_PARAM_TIME, P(packet_time), "20ns", "0", "100us", NULL,
     "packet engines: payload in to packet to the port, packet received to its processing; "
     "one packet at a time each way"},
    {"src", SIM_PARAM_UINT, P(src), "0", "0", "65535", NULL, "PCIe requester id of its TLPs"},
};
#undef P

static const SimPortDesc hca_ports[] = {
    {"tx", SIM_PORT_OUT, false, "TLPs to pcie.link ep_tx"},
    {"rx", SIM_PORT_IN, false, "TLPs from pcie.link ep_rx"},
    {"ib_tx", SIM_PORT_OUT, false, "packets to the InfiniBand link (an ib.cable's a_in or b_in)"},
    {"ib_rx", SIM_PORT_IN, false, "packets from the InfiniBand link"},
};

static const char *hca_check(const void *params, char *msg, size_t size)
{
    const HcaParams *p = params;
    if (!is_pow2(p->mps)) {
        snprintf(msg, size, "%lluB is not a power of two", (unsigned long long)p->mps);
        return "mps";
    }
    if (!is_pow2(p->mrrs)) {
        snprintf(msg, size, "%lluB is not a power of two", (unsigned long long)p->mrrs);
        return "mrrs";
    }
    if (p->tags < p->link.mtu / p->mrrs + 1) {
        snprintf(
            msg, size,
            "%llu tags cannot read one %llu-byte packet in reads of %llu bytes (mrrs): at least "
            "mtu / mrrs + 1",
            (unsigned long long)p->tags, (unsigned long long)p->link.mtu,
            (unsigned long long)p->mrrs);
        return "tags";
    }
    if (p->remote_qp + (p->qps - 1) * p->remote_qp_step >= VERBS_MAX_QPS) {
        snprintf(msg, size, "QP %llu's peer would be QP %llu: QP numbers stop at %u",
                 (unsigned long long)(p->qps - 1),
                 (unsigned long long)(p->remote_qp + (p->qps - 1) * p->remote_qp_step),
                 VERBS_MAX_QPS - 1);
        return "remote_qp";
    }
    if (p->dlid + (p->qps - 1) * p->dlid_step > 49151) {
        snprintf(msg, size, "QP %llu's peer LID would pass 49151 (unicast LIDs)",
                 (unsigned long long)(p->qps - 1));
        return "dlid_step";
    }
    if (p->cq % VERBS_CQE_BYTES != 0 || p->queues % VERBS_WQE_BYTES != 0) {
        snprintf(msg, size, "the queues and the CQ must be 64-byte aligned");
        return p->cq % VERBS_CQE_BYTES != 0 ? "cq" : "queues";
    }
    if (p->link.vls != 1) {
        snprintf(msg, size, "the HCA sends on VL0 only (vls: 1): service levels are not modelled");
        return "vls";
    }
    return ib_link_check(&p->link, msg, size);
}

static const SimStatDesc hca_stat_rows[] = {
    SIM_STAT_ROW("doorbells", SIM_STAT_COUNTER, Hca, st.doorbells, "writes", 1,
                 "doorbell writes taken"),
    SIM_STAT_ROW("send_wqes", SIM_STAT_COUNTER, Hca, st.send_wqes, "WQEs", 1, "send WQEs fetched"),
    SIM_STAT_ROW("recv_wqes", SIM_STAT_COUNTER, Hca, st.recv_wqes, "WQEs", 1,
                 "receive WQEs fetched"),
    SIM_STAT_ROW("packets_sent", SIM_STAT_COUNTER, Hca, st.packets_sent, "packets", 1,
                 "data packets handed to the port (requests and read responses)"),
    SIM_STAT_ROW("packets_received", SIM_STAT_COUNTER, Hca, st.packets_received, "packets", 1,
                 "packets taken from the port (ACKs included)"),
    SIM_STAT_ROW("acks_sent", SIM_STAT_COUNTER, Hca, st.acks_sent, "packets", 1, "ACKs sent"),
    SIM_STAT_ROW("acks_received", SIM_STAT_COUNTER, Hca, st.acks_received, "packets", 1,
                 "ACKs received"),
    SIM_STAT_ROW("read_responses", SIM_STAT_COUNTER, Hca, st.read_responses, "packets", 1,
                 "RDMA read response packets sent"),
    SIM_STAT_ROW("mrds", SIM_STAT_COUNTER, Hca, st.mrds, "TLPs", 1,
                 "PCIe reads (WQE fetches and payload)"),
    SIM_STAT_ROW("mrd_bytes", SIM_STAT_COUNTER, Hca, st.mrd_bytes, "B", 1, "bytes read"),
    SIM_STAT_ROW("mwrs", SIM_STAT_COUNTER, Hca, st.mwrs, "TLPs", 1,
                 "PCIe writes (received data and CQEs)"),
    SIM_STAT_ROW("mwr_bytes", SIM_STAT_COUNTER, Hca, st.mwr_bytes, "B", 1, "bytes written"),
    SIM_STAT_ROW("cqes", SIM_STAT_COUNTER, Hca, st.cqes, "CQEs", 1, "completions written"),
    SIM_STAT_ROW("tag_stall_cycles", SIM_STAT_COUNTER, Hca, st.tag_stall_cycles, "cycles", 1,
                 "cycles a packet waited for PCIe tags or assembly room"),
    SIM_STAT_ROW("window_stall_cycles", SIM_STAT_COUNTER, Hca, st.window_stall_cycles, "cycles", 1,
                 "cycles a QP waited for ACKs (write_window) or reads (max_rd_atomic)"),
    IB_LINK_STAT_ROWS(1, 1),
};

static const SimStatGroup hca_stat_groups[] = {
    {"<n>", "virtual lane 0 .. vls - 1", NULL},
};

static const SimStatRoleRow hca_stat_roles[] = {
    {"tx_util", SIM_STAT_ROLE_UTILISATION},
};

static const SimStatTable hca_stats = {hca_stat_rows,   N_OF(hca_stat_rows),
                                       hca_stat_groups, N_OF(hca_stat_groups),
                                       hca_stat_roles,  N_OF(hca_stat_roles)};

static bool hca_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const HcaParams *p = params;
    Hca *h = calloc(1, sizeof(*h));
    HcaPort *pt = calloc(1, sizeof(*pt));
    if (h == NULL || pt == NULL) {
        free(h);
        free(pt);
        return sim_error_oom(err, name);
    }
    h->p = *p;
    h->port = pt;
    pt->h = h;
    h->nqp = (uint32_t)p->qps;
    h->mtu = (uint32_t)p->link.mtu;
    h->qp = calloc(h->nqp, sizeof(*h->qp));
    h->tag = calloc(p->tags, sizeof(*h->tag));
    h->npq = calloc(p->tags, sizeof(*h->npq));
    h->free_tags = (uint32_t)p->tags;
    h->tag_since = h->win_since = SIM_CYCLE_NEVER;
    bool ok = h->qp != NULL && h->tag != NULL && h->npq != NULL &&
              sim_timed_fifo_init(&h->rxe, HCA_RX_CAP);
    for (uint32_t n = 0; ok && n < h->nqp; n++) {
        HcaQp *q = &h->qp[n];
        q->sq = calloc(VERBS_SQ_ENTRIES, sizeof(*q->sq));
        q->rq = calloc(VERBS_RQ_ENTRIES, sizeof(*q->rq));
        q->rd = calloc(p->max_rd_atomic, sizeof(*q->rd));
        sim_ring_init(&q->rdr, (uint32_t)p->max_rd_atomic);
        q->dlid = (uint32_t)(p->dlid + n * p->dlid_step);
        q->rqpn = (uint32_t)(p->remote_qp + n * p->remote_qp_step);
        ok = q->sq != NULL && q->rq != NULL && q->rd != NULL;
    }
    sim_ring_init(&h->ar, HCA_ASM_CAP);
    sim_ring_init(&h->kr, HCA_ACK_CAP);
    sim_ring_init(&h->pr, HCA_POSTED);
    sim_ring_init(&h->nr, (uint32_t)p->tags);
    if (!ok) {
        hca_destroy(&h->c);
        free(h);
        free(pt);
        return sim_error_oom(err, name);
    }
    if (!sim_add_component(sim, &h->c, name, p->pcie_domain, &hca_ops, err)) {
        hca_destroy(&h->c);
        free(h);
        free(pt);
        return false;
    }
    /* The kernel owns h from here. */
    h->wqe_cycles = (uint32_t)cyc(h, p->wqe_time);
    h->packet_cycles = (uint32_t)cyc(h, p->packet_time);
    char pname[300];
    snprintf(pname, sizeof(pname), "%s.port", name);
    if (!ib_link_init(&pt->link, &pt->c, pname, &p->link, err)) {
        ib_link_destroy(&pt->link);
        free(pt);
        return false;
    }
    if (!sim_add_component(sim, &pt->c, pname, p->link.domain, &port_ops, err)) {
        ib_link_destroy(&pt->link);
        free(pt);
        return false;
    }
    pt->link.name = pt->c.name;
    pt->c.daemon = true; /* flow-control refreshes alone do not keep a run alive */
    char cname[700];
    snprintf(cname, sizeof(cname), "%s:to_port -> %s:to_port", name, pname);
    if (sim_connect(sim, &h->c, &h->to_port, &pt->c, &pt->to_port, HCA_PORT_Q, 0, HCA_SYNC, cname,
                    err) == NULL) {
        return false;
    }
    snprintf(cname, sizeof(cname), "%s:from_port -> %s:from_port", pname, name);
    if (sim_connect(sim, &pt->c, &pt->from_port, &h->c, &h->from_port, HCA_PORT_Q, 0, HCA_SYNC,
                    cname, err) == NULL) {
        return false;
    }
    sim_build_port(bld, "tx", &h->c, &h->tx);
    sim_build_port(bld, "rx", &h->c, &h->rx);
    sim_build_port(bld, "ib_tx", &pt->c, &pt->link.tx);
    sim_build_port(bld, "ib_rx", &pt->c, &pt->link.rx);
    sim_build_stats(bld, &(SimStatBinding){.block = {h, &pt->link.st}, .count = {pt->link.vls}});
    return true;
}

/* Requests go down the PCIe link and out of the InfiniBand port (fabric checks). */
static const SimPortFlow hca_flows[] = {
    {"tx", SIM_FLOW_REQUEST, NULL},
    {"ib_tx", SIM_FLOW_REQUEST, NULL},
};

const SimModelType ib_hca_type = {
    .name = "ib.hca",
    .doc = "InfiniBand HCA: reliable-connection QPs (RDMA write, RDMA read, send/receive) "
           "driven by WQEs and doorbells in host memory (models/proto/verbs.h), every host "
           "access a PCIe TLP; segmentation to the MTU, PSNs, coalesced ACKs, bounded "
           "outstanding requests; its port on the shared link layer.",
    .params = hca_params,
    .n_params = N_OF(hca_params),
    .params_size = sizeof(HcaParams),
    .ports = hca_ports,
    .n_ports = N_OF(hca_ports),
    .check = hca_check,
    .build = hca_build,
    .flows = hca_flows,
    .n_flows = N_OF(hca_flows),
    .stats = &hca_stats,
};
