#include "host_verbs.h"

#include <string.h>

#include "models/proto/mem.h"

void host_verbs_init(HostVerbs *v, SimComponent *c, SimPort **req, SimMem *mem, uint64_t bar,
                     uint64_t queues, uint64_t cq, uint32_t qps, uint16_t src)
{
    memset(v, 0, sizeof(*v));
    v->c = c;
    v->req = req;
    v->mem = mem;
    v->bar = bar;
    v->queues = queues;
    v->cq = cq;
    v->qps = qps < VERBS_MAX_QPS ? qps : VERBS_MAX_QPS;
    v->src = src;
    sim_ring_init(&v->pr, HOST_VERBS_PENDING);
}

/* A MEM_WRITE of len bytes at addr from the node, its payload zeroed; NULL if the run failed. */
static SimPacket *new_write(const HostVerbs *v, uint64_t addr, uint32_t len)
{
    Sim *sim = v->c->sim;
    SimPacket *pkt = sim_packet_new(sim);
    if (pkt == NULL) {
        return NULL;
    }
    SimPayload *pl = sim_payload_pool_get(&sim->pool);
    if (pl == NULL || sim->pool.payload_block_size < len) {
        sim_fail(sim, "instance '%s': payload pool exhausted: raise sim.payload_blocks",
                 v->c->name);
        sim_packet_free(sim, pkt);
        return NULL;
    }
    memset(pl->data, 0, len);
    pl->size = len;
    pkt->type = MEM_WRITE;
    pkt->addr = addr;
    pkt->len = len;
    pkt->tag = HOST_VERBS_CTRL_TAG;
    pkt->src = v->src;
    pkt->payload = pl;
    pkt->stamp[SIM_STAMP_CREATE] = sim->now;
    pkt->stamp[SIM_STAMP_INJECT] = sim->now;
    return pkt;
}

uint32_t host_verbs_sq_space(const HostVerbs *v, uint32_t qp)
{
    const HostVerbsQp *q = &v->qp[qp];
    uint32_t sq = VERBS_SQ_ENTRIES - (q->sq_posted - q->sq_done);
    uint32_t cq = VERBS_CQ_ENTRIES - v->cq_due;
    uint32_t pw = HOST_VERBS_PENDING - v->pr.count;
    uint32_t n = sq < cq ? sq : cq;
    return n < pw ? n : pw;
}

uint32_t host_verbs_rq_space(const HostVerbs *v, uint32_t qp)
{
    const HostVerbsQp *q = &v->qp[qp];
    uint32_t rq = VERBS_RQ_ENTRIES - (q->rq_posted - q->rq_done);
    uint32_t cq = VERBS_CQ_ENTRIES - v->cq_due;
    uint32_t pw = HOST_VERBS_PENDING - v->pr.count;
    uint32_t n = rq < cq ? rq : cq;
    return n < pw ? n : pw;
}

static HostVerbsPost post_send(HostVerbs *v, uint32_t qp, VerbsOp op, uint64_t wr_id,
                               uint64_t local, uint32_t len, uint64_t remote, uint32_t imm,
                               bool signaled)
{
    HostVerbsQp *q = &v->qp[qp];
    if (q->sq_posted - q->sq_done == VERBS_SQ_ENTRIES || sim_ring_full(&v->pr) ||
        (signaled && v->cq_due == VERBS_CQ_ENTRIES)) {
        return HOST_VERBS_FULL;
    }
    SimPacket *pkt = new_write(v, verbs_sq_wqe_addr(v->queues, qp, q->sq_posted), VERBS_WQE_BYTES);
    if (pkt == NULL) {
        return HOST_VERBS_FAILED;
    }
    uint8_t *w = pkt->payload->data;
    verbs_put(w + VERBS_WQE_WR_ID, wr_id, 8);
    verbs_put(w + VERBS_WQE_OPCODE, (uint64_t)op, 1);
    verbs_put(w + VERBS_WQE_FLAGS, signaled ? VERBS_WQE_SIGNALED : 0, 1);
    verbs_put(w + VERBS_WQE_LENGTH, len, 4);
    verbs_put(w + VERBS_WQE_LOCAL, local, 8);
    verbs_put(w + VERBS_WQE_REMOTE, remote, 8);
    verbs_put(w + VERBS_WQE_IMM, imm, 4);
    pkt->user[0] = qp;
    pkt->user[1] = 0; /* send queue */
    v->pending[sim_ring_push(&v->pr)] = pkt;
    q->sq_posted++;
    q->sq_queued++;
    if (signaled) {
        v->cq_due++;
    }
    v->send_wqes++;
    return HOST_VERBS_POSTED;
}

HostVerbsPost host_verbs_post_send(HostVerbs *v, uint32_t qp, VerbsOp op, uint64_t wr_id,
                                   uint64_t local, uint32_t len, uint64_t remote, bool signaled)
{
    return post_send(v, qp, op, wr_id, local, len, remote, 0, signaled);
}

HostVerbsPost host_verbs_post_write_imm(HostVerbs *v, uint32_t qp, uint64_t wr_id, uint64_t local,
                                        uint32_t len, uint64_t remote, uint32_t imm, bool signaled)
{
    return post_send(v, qp, VERBS_OP_RDMA_WRITE_IMM, wr_id, local, len, remote, imm, signaled);
}

HostVerbsPost host_verbs_post_recv(HostVerbs *v, uint32_t qp, uint64_t wr_id, uint64_t addr,
                                   uint32_t len)
{
    HostVerbsQp *q = &v->qp[qp];
    if (q->rq_posted - q->rq_done == VERBS_RQ_ENTRIES || sim_ring_full(&v->pr) ||
        v->cq_due == VERBS_CQ_ENTRIES) {
        return HOST_VERBS_FULL;
    }
    SimPacket *pkt = new_write(v, verbs_rq_wqe_addr(v->queues, qp, q->rq_posted), VERBS_WQE_BYTES);
    if (pkt == NULL) {
        return HOST_VERBS_FAILED;
    }
    uint8_t *w = pkt->payload->data;
    verbs_put(w + VERBS_WQE_WR_ID, wr_id, 8);
    verbs_put(w + VERBS_WQE_OPCODE, VERBS_OP_RECV, 1);
    verbs_put(w + VERBS_WQE_FLAGS, VERBS_WQE_SIGNALED, 1);
    verbs_put(w + VERBS_WQE_LENGTH, len, 4);
    verbs_put(w + VERBS_WQE_LOCAL, addr, 8);
    pkt->user[0] = qp;
    pkt->user[1] = 1; /* receive queue */
    v->pending[sim_ring_push(&v->pr)] = pkt;
    q->rq_posted++;
    q->rq_queued++;
    v->cq_due++;
    v->recv_wqes++;
    return HOST_VERBS_POSTED;
}

/* The QP queue whose doorbell is due and whose WQE writes have all gone: 2 * qp + (rq), or -1. */
static int32_t doorbell_due(const HostVerbs *v)
{
    for (uint32_t i = 0; i < v->qps; i++) {
        uint32_t n = (v->db_scan + i) % v->qps;
        const HostVerbsQp *q = &v->qp[n];
        if (q->sq_db_due && q->sq_queued == 0) {
            return (int32_t)(2 * n);
        }
        if (q->rq_db_due && q->rq_queued == 0) {
            return (int32_t)(2 * n + 1);
        }
    }
    return -1;
}

bool host_verbs_ready(const HostVerbs *v)
{
    return !sim_ring_empty(&v->pr) || doorbell_due(v) >= 0;
}

HostVerbsStep host_verbs_step(HostVerbs *v)
{
    if (!sim_ring_empty(&v->pr)) {
        SimPacket *pkt = v->pending[sim_ring_pop(&v->pr)];
        HostVerbsQp *q = &v->qp[pkt->user[0]];
        if (pkt->user[1] == 0) {
            q->sq_queued--;
            q->sq_db_due = true;
        } else {
            q->rq_queued--;
            q->rq_db_due = true;
        }
        pkt->user[0] = 0;
        pkt->user[1] = 0;
        pkt->stamp[SIM_STAMP_INJECT] = v->c->sim->now;
        sim_port_push(*v->req, pkt);
        return HOST_VERBS_WQE;
    }
    int32_t d = doorbell_due(v);
    if (d < 0) {
        return HOST_VERBS_IDLE;
    }
    uint32_t qn = (uint32_t)d / 2;
    bool rq = (d & 1) != 0;
    HostVerbsQp *q = &v->qp[qn];
    uint64_t addr = v->bar + (rq ? verbs_db_rq(qn) : verbs_db_sq(qn));
    SimPacket *pkt = new_write(v, addr, 4);
    if (pkt == NULL) {
        return HOST_VERBS_STEP_FAILED;
    }
    verbs_put(pkt->payload->data, rq ? q->rq_posted : q->sq_posted, 4);
    if (rq) {
        q->rq_db_due = false;
    } else {
        q->sq_db_due = false;
    }
    v->db_scan = (qn + 1) % v->qps;
    v->doorbells++;
    sim_port_push(*v->req, pkt);
    return HOST_VERBS_DOORBELL;
}

int host_verbs_completion(HostVerbs *v, uint64_t addr, HostVerbsCompletion *out)
{
    if (addr < v->cq || addr >= v->cq + VERBS_CQ_BYTES) {
        return 0;
    }
    Sim *sim = v->c->sim;
    if (!sim_mem_contains(v->mem, addr, VERBS_CQE_BYTES) ||
        addr != verbs_cqe_addr(v->cq, v->cq_next)) {
        sim_fail(sim, "instance '%s': CQE written at 0x%llx, expected CQE %u at 0x%llx", v->c->name,
                 (unsigned long long)addr, v->cq_next,
                 (unsigned long long)verbs_cqe_addr(v->cq, v->cq_next));
        return -1;
    }
    uint8_t e[VERBS_CQE_BYTES];
    sim_mem_read(v->mem, addr, e, sizeof(e));
    uint32_t seq = (uint32_t)verbs_get(e + VERBS_CQE_SEQ, 4);
    uint32_t qn = (uint32_t)verbs_get(e + VERBS_CQE_QP, 4);
    uint32_t op = (uint32_t)verbs_get(e + VERBS_CQE_OPCODE, 1);
    uint32_t index = (uint32_t)verbs_get(e + VERBS_CQE_INDEX, 2);
    if (seq != v->cq_next || qn >= v->qps || op >= VERBS_OP_MAX || v->cq_due == 0) {
        sim_fail(sim,
                 "instance '%s': CQE %u at 0x%llx reads sequence %u, QP %u, opcode %u: not "
                 "the completion of an outstanding WQE",
                 v->c->name, v->cq_next, (unsigned long long)addr, seq, qn, op);
        return -1;
    }
    HostVerbsQp *q = &v->qp[qn];
    bool recv = op == VERBS_OP_RECV || op == VERBS_OP_RECV_RDMA_IMM;
    uint32_t *done = recv ? &q->rq_done : &q->sq_done;
    uint32_t posted = recv ? q->rq_posted : q->sq_posted;
    /* The index is 16 bits: the WQE it names is the first after *done with those low bits. */
    uint32_t retired = ((index - *done) & 0xffffu) + 1;
    if (retired > posted - *done) {
        sim_fail(sim, "instance '%s': CQE %u names WQE %u of QP %u, which is not outstanding",
                 v->c->name, v->cq_next, index, qn);
        return -1;
    }
    *done += retired;
    v->cq_due--;
    v->cq_next++;
    v->cqes++;
    out->wr_id = verbs_get(e + VERBS_CQE_WR_ID, 8);
    out->qp = qn;
    out->bytes = (uint32_t)verbs_get(e + VERBS_CQE_BYTE_COUNT, 4);
    out->op = (VerbsOp)op;
    out->status = (VerbsStatus)verbs_get(e + VERBS_CQE_STATUS, 1);
    out->retired = retired;
    out->imm = op == VERBS_OP_RECV_RDMA_IMM ? (uint32_t)verbs_get(e + VERBS_CQE_IMM, 4) : 0;
    return 1;
}

bool host_verbs_idle(const HostVerbs *v)
{
    if (!sim_ring_empty(&v->pr)) {
        return false;
    }
    for (uint32_t i = 0; i < v->qps; i++) {
        const HostVerbsQp *q = &v->qp[i];
        if (q->sq_posted != q->sq_done || q->rq_posted != q->rq_done || q->sq_db_due ||
            q->rq_db_due) {
            return false;
        }
    }
    return true;
}
