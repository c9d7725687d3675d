/*
 * PsNet: parameter-server messages over InfiniBand queue pairs (ps_net.h,
 * docs/models/ps-server.md section 3).
 */
#include "ps_net.h"

#include <stdlib.h>
#include <string.h>

#define RX_FLAG  (1ull << 63)
#define NO_ID    UINT64_MAX
#define SEG_NONE UINT32_MAX

static uint64_t wr_id(bool rx, uint32_t q, uint32_t slot)
{
    return (rx ? RX_FLAG : 0) | ((uint64_t)q << 32) | slot;
}

/* The data bytes a message carries after its header. */
static uint64_t data_bytes(const PsServeMsg *m)
{
    return m->kind == PS_SERVE_PUSH || m->kind == PS_SERVE_TENSOR ? m->bytes : 0;
}

static uint32_t slot_bytes(const PsNetParams *p)
{
    return p->transport == PS_TRANSPORT_GRPC ? p->seg : p->header;
}

uint64_t ps_net_qp_bytes(const PsNetParams *p)
{
    return 3ull * p->window * slot_bytes(p);
}

uint64_t ps_net_grpc_segments(const PsNetParams *p, uint64_t data)
{
    uint64_t per = p->seg - PS_NET_TCPIP;
    return (p->header + data + per - 1) / per;
}

uint64_t ps_net_grpc_wire(const PsNetParams *p, uint64_t data)
{
    return p->header + data + PS_NET_TCPIP * ps_net_grpc_segments(p, data);
}

static uint64_t tx_slot_addr(const PsNet *n, uint32_t q, uint32_t slot)
{
    return n->p.area + q * ps_net_qp_bytes(&n->p) + (uint64_t)slot * n->slot;
}

static uint64_t rx_slot_addr(const PsNet *n, uint32_t q, uint32_t slot)
{
    return n->p.area + q * ps_net_qp_bytes(&n->p) + ((uint64_t)n->p.window + slot) * n->slot;
}

bool ps_net_init(PsNet *n, const PsNetParams *p, HostVerbs *v, SimMem *mem)
{
    memset(n, 0, sizeof(*n));
    n->p = *p;
    n->v = v;
    n->mem = mem;
    n->slot = slot_bytes(p);
    n->icap = p->qps * (2 * p->window + p->msgs);
    n->dcap = p->qps * (p->window + p->msgs);
    n->qp = calloc(p->qps, sizeof(*n->qp));
    n->in = calloc(n->icap, sizeof(*n->in));
    n->done = calloc(n->dcap, sizeof(*n->done));
    n->scratch = malloc(n->slot);
    bool ok = n->qp && n->in && n->done && n->scratch;
    for (uint32_t q = 0; ok && q < p->qps; q++) {
        n->qp[q].q = calloc(p->msgs, sizeof(*n->qp[q].q));
        n->qp[q].sent_id = malloc(p->window * sizeof(*n->qp[q].sent_id));
        ok = n->qp[q].q != NULL && n->qp[q].sent_id != NULL;
    }
    if (!ok) {
        ps_net_destroy(n);
        return false;
    }
    return true;
}

void ps_net_destroy(PsNet *n)
{
    for (uint32_t q = 0; n->qp != NULL && q < n->p.qps; q++) {
        free(n->qp[q].q);
        free(n->qp[q].sent_id);
    }
    free(n->qp);
    free(n->in);
    free(n->done);
    free(n->scratch);
    n->qp = NULL;
    n->in = NULL;
    n->done = NULL;
    n->scratch = NULL;
}

bool ps_net_send(PsNet *n, uint32_t q, const PsNetOut *o)
{
    PsNetQp *qp = &n->qp[q];
    if (qp->qcount == n->p.msgs) {
        return false;
    }
    qp->q[(qp->qhead + qp->qcount) % n->p.msgs] = *o;
    qp->qcount++;
    return true;
}

static void encode_header(const PsNetOut *o, uint8_t *h)
{
    memset(h, 0, PS_NET_HEADER);
    verbs_put(h + 0, PS_NET_MAGIC, 4);
    verbs_put(h + 4, o->m.kind, 1);
    verbs_put(h + 6, o->m.worker, 2);
    verbs_put(h + 8, o->m.tensor, 4);
    verbs_put(h + 12, o->m.iter, 4);
    verbs_put(h + 16, o->m.count, 4);
    verbs_put(h + 24, data_bytes(&o->m), 8);
    verbs_put(h + 32, o->m.addr, 8);
}

static bool decode_header(PsNet *n, uint32_t q, const uint8_t *h, PsServeMsg *m)
{
    if (verbs_get(h, 4) != PS_NET_MAGIC || verbs_get(h + 4, 1) >= PS_SERVE_MSG_MAX) {
        sim_fail(n->v->c->sim,
                 "instance '%s': QP %u received a message without a valid header (does the HCA "
                 "carry the bytes of its sends?)",
                 n->v->c->name, q);
        return false;
    }
    *m = (PsServeMsg){.kind = (uint8_t)verbs_get(h + 4, 1),
                      .worker = (uint16_t)verbs_get(h + 6, 2),
                      .tensor = (uint32_t)verbs_get(h + 8, 4),
                      .iter = (uint32_t)verbs_get(h + 12, 4),
                      .count = (uint32_t)verbs_get(h + 16, 4),
                      .bytes = verbs_get(h + 24, 8),
                      .addr = verbs_get(h + 32, 8)};
    return true;
}

/* Copies len bytes of host memory from src to dst through the scratch buffer. */
static void mem_copy(PsNet *n, uint64_t dst, uint64_t src, uint64_t len)
{
    while (len > 0) {
        uint32_t k = len < n->slot ? (uint32_t)len : n->slot;
        sim_mem_read(n->mem, src, n->scratch, k);
        sim_mem_write(n->mem, dst, n->scratch, k);
        dst += k;
        src += k;
        len -= k;
    }
}

static void deliver(PsNet *n, const PsServeMsg *m)
{
    /* The ring holds what the windows allow: the owner takes messages every tick. */
    uint32_t k = (n->ihead + n->icount) % n->icap;
    n->in[k] = *m;
    n->icount++;
    n->st.msgs_received++;
}

/* grpc: the next segment of QP q's head message. */
static HostVerbsPost post_segment(PsNet *n, uint32_t q)
{
    PsNetQp *qp = &n->qp[q];
    const PsNetOut *o = &qp->q[qp->qhead];
    uint64_t total = n->p.header + data_bytes(&o->m);
    uint64_t per = n->p.seg - PS_NET_TCPIP;
    uint32_t chunk = (uint32_t)(total - qp->off < per ? total - qp->off : per);
    uint32_t slot = qp->next_slot % n->p.window;
    uint64_t addr = tx_slot_addr(n, q, slot);
    /* The socket buffer: TCP/IP headers (content unused), then this share of the stream. */
    uint64_t at = addr + PS_NET_TCPIP;
    uint64_t pos = qp->off;
    if (pos < n->p.header) {
        uint8_t h[PS_NET_HEADER];
        encode_header(o, h);
        uint32_t hl = (uint32_t)(n->p.header - pos < chunk ? n->p.header - pos : chunk);
        memset(n->scratch, 0, hl);
        if (pos < PS_NET_HEADER) {
            uint32_t f = PS_NET_HEADER - (uint32_t)pos < hl ? PS_NET_HEADER - (uint32_t)pos : hl;
            memcpy(n->scratch, h + pos, f);
        }
        sim_mem_write(n->mem, at, n->scratch, hl);
        at += hl;
        pos += hl;
    }
    uint64_t end = qp->off + chunk;
    if (pos < end && n->p.functional) {
        mem_copy(n, at, o->local + (pos - n->p.header), end - pos);
    }
    HostVerbsPost r = host_verbs_post_send(n->v, q, VERBS_OP_SEND, wr_id(false, q, slot), addr,
                                           PS_NET_TCPIP + chunk, 0, true);
    if (r != HOST_VERBS_POSTED) {
        return r;
    }
    n->st.segments++;
    n->st.wire_bytes += PS_NET_TCPIP + chunk;
    qp->off = end;
    qp->sent_id[slot] = end == total ? o->id : NO_ID;
    qp->inflight++;
    qp->next_slot++;
    if (end == total) {
        qp->off = 0;
        qp->qhead = (qp->qhead + 1) % n->p.msgs;
        qp->qcount--;
    }
    return HOST_VERBS_POSTED;
}

/* verbs: the head message's RDMA write (if it has data), then its header by a send. */
static HostVerbsPost post_verbs(PsNet *n, uint32_t q)
{
    PsNetQp *qp = &n->qp[q];
    const PsNetOut *o = &qp->q[qp->qhead];
    uint64_t data = data_bytes(&o->m);
    if (data > 0 && qp->off == 0) {
        HostVerbsPost r = host_verbs_post_write(n->v, q, wr_id(false, q, SEG_NONE), o->local,
                                                (uint32_t)data, o->m.addr, false);
        if (r != HOST_VERBS_POSTED) {
            return r;
        }
        n->st.writes++;
        n->st.wire_bytes += data;
        qp->off = 1;
    }
    uint32_t slot = qp->next_slot % n->p.window;
    uint64_t addr = tx_slot_addr(n, q, slot);
    uint8_t h[PS_NET_HEADER];
    encode_header(o, h);
    memset(n->scratch, 0, n->p.header);
    memcpy(n->scratch, h, PS_NET_HEADER);
    sim_mem_write(n->mem, addr, n->scratch, n->p.header);
    HostVerbsPost r = host_verbs_post_send(n->v, q, VERBS_OP_SEND, wr_id(false, q, slot), addr,
                                           n->p.header, 0, true);
    if (r != HOST_VERBS_POSTED) {
        return r;
    }
    n->st.segments++;
    n->st.wire_bytes += n->p.header;
    qp->sent_id[slot] = o->id;
    qp->inflight++;
    qp->next_slot++;
    qp->off = 0;
    qp->qhead = (qp->qhead + 1) % n->p.msgs;
    qp->qcount--;
    return HOST_VERBS_POSTED;
}

bool ps_net_step(PsNet *n)
{
    uint32_t rx_slots = 2 * n->p.window;
    for (uint32_t q = 0; q < n->p.qps; q++) {
        PsNetQp *qp = &n->qp[q];
        /* Receive slots: keep 2 window of them posted. */
        while (qp->rx_next - qp->rx_taken < rx_slots) {
            uint32_t slot = qp->rx_next % rx_slots;
            HostVerbsPost r = host_verbs_post_recv(n->v, q, wr_id(true, q, slot),
                                                   rx_slot_addr(n, q, slot), n->slot);
            if (r == HOST_VERBS_FAILED) {
                return false;
            }
            if (r != HOST_VERBS_POSTED) {
                break;
            }
            qp->rx_next++;
        }
        while (qp->qcount > 0 && qp->inflight < n->p.window) {
            HostVerbsPost r =
                n->p.transport == PS_TRANSPORT_GRPC ? post_segment(n, q) : post_verbs(n, q);
            if (r == HOST_VERBS_FAILED) {
                return false;
            }
            if (r != HOST_VERBS_POSTED) {
                break;
            }
        }
    }
    return true;
}

/* grpc: a segment of len bytes (TCP/IP headers included) arrived in receive slot `addr`. */
static bool take_segment(PsNet *n, uint32_t q, uint64_t addr, uint32_t len)
{
    PsNetQp *qp = &n->qp[q];
    if (len < PS_NET_TCPIP) {
        sim_fail(n->v->c->sim, "instance '%s': QP %u received a segment of %u bytes", n->v->c->name,
                 q, len);
        return false;
    }
    uint64_t at = addr + PS_NET_TCPIP;
    uint64_t chunk = len - PS_NET_TCPIP;
    if (!qp->rx_open) {
        /* A message starts a segment, and its header fits in one (header < seg - 44). */
        sim_mem_read(n->mem, at, qp->rx_hdr, PS_NET_HEADER);
        if (!decode_header(n, q, qp->rx_hdr, &qp->rx)) {
            return false;
        }
        qp->rx_open = true;
        qp->rx_got = 0;
    }
    uint64_t pos = qp->rx_got;
    uint64_t end = pos + chunk;
    uint64_t total = n->p.header + data_bytes(&qp->rx);
    if (end > total) {
        sim_fail(n->v->c->sim, "instance '%s': QP %u: a segment runs past its message's end",
                 n->v->c->name, q);
        return false;
    }
    if (pos < n->p.header) {
        uint64_t skip = n->p.header - pos < chunk ? n->p.header - pos : chunk;
        at += skip;
        pos += skip;
    }
    if (pos < end && n->p.functional) {
        mem_copy(n, qp->rx.addr + (pos - n->p.header), at, end - pos);
    }
    qp->rx_got = end;
    if (end == total) {
        qp->rx_open = false;
        deliver(n, &qp->rx);
    }
    return true;
}

int ps_net_completion(PsNet *n, uint64_t addr)
{
    HostVerbsCompletion c;
    int r = host_verbs_completion(n->v, addr, &c);
    if (r <= 0) {
        return r;
    }
    Sim *sim = n->v->c->sim;
    if (c.status != VERBS_STATUS_OK || c.qp >= n->p.qps) {
        sim_fail(sim, "instance '%s': QP %u: completion with status %d", n->v->c->name, c.qp,
                 (int)c.status);
        return -1;
    }
    PsNetQp *qp = &n->qp[c.qp];
    if (c.op == VERBS_OP_RECV) {
        uint32_t slot = (uint32_t)(c.wr_id & 0xffffffffu);
        uint64_t at = rx_slot_addr(n, c.qp, slot);
        qp->rx_taken++;
        if (n->p.transport == PS_TRANSPORT_GRPC) {
            return take_segment(n, c.qp, at, c.bytes) ? 1 : -1;
        }
        uint8_t h[PS_NET_HEADER];
        PsServeMsg m;
        sim_mem_read(n->mem, at, h, sizeof(h));
        if (!decode_header(n, c.qp, h, &m)) {
            return -1;
        }
        deliver(n, &m);
        return 1;
    }
    /* A signaled send: every send of ours is signaled; RDMA writes are not and retire with the
     * header send after them. */
    uint32_t slot = (uint32_t)(c.wr_id & 0xffffffffu);
    if (slot >= n->p.window || qp->inflight == 0) {
        sim_fail(sim, "instance '%s': QP %u: completion of no send in flight", n->v->c->name, c.qp);
        return -1;
    }
    qp->inflight--;
    if (qp->sent_id[slot] != NO_ID) {
        n->done[(n->dhead + n->dcount) % n->dcap] = qp->sent_id[slot];
        n->dcount++;
        n->st.msgs_sent++;
    }
    return 1;
}

const PsServeMsg *ps_net_peek(const PsNet *n)
{
    return n->icount > 0 ? &n->in[n->ihead] : NULL;
}

void ps_net_pop(PsNet *n)
{
    if (n->icount > 0) {
        n->ihead = (n->ihead + 1) % n->icap;
        n->icount--;
    }
}

bool ps_net_sent(PsNet *n, uint64_t *id)
{
    if (n->dcount == 0) {
        return false;
    }
    *id = n->done[n->dhead];
    n->dhead = (n->dhead + 1) % n->dcap;
    n->dcount--;
    return true;
}

bool ps_net_idle(const PsNet *n)
{
    for (uint32_t q = 0; q < n->p.qps; q++) {
        if (n->qp[q].qcount > 0 || n->qp[q].inflight > 0 || n->qp[q].rx_open) {
            return false;
        }
    }
    return n->icount == 0 && n->dcount == 0;
}
