/*
 * pcie.rc: the host side of a PCIe link: the root complex with its host memory, in its clock
 * domain (`domain`, default "pcie"). docs/models/pcie.md has the cycle diagrams.
 *
 * Host memory is the node's host.memory object (`memory`, the instance that makes it), shared
 * with the node's software: the root complex reads and writes it, nobody else's code.
 *
 * CPU side (models/proto/mem.h), from the node on `cpu_req`:
 *   - an address inside the host memory is host memory: the access is done when it is taken and
 *     the
 *     response (MEM_READ_RESP with the bytes, MEM_WRITE_ACK) is ready `mem_latency` later;
 *   - any other address is MMIO below the root port: after `cpu_latency` (core to root port) a
 *     MEM_WRITE leaves as a posted MWr TLP and is acknowledged to the CPU at the same cycle; a
 *     MEM_READ leaves as an MRd (one of `tags` tags) and its response is ready `cpu_latency`
 *     after the last completion arrived (an uncached load is a full non-posted round trip).
 * Device side, TLPs from `rx` (one per cycle):
 *   - MWr: written into host memory when taken; when it falls in [notify_base, notify_base +
 *     notify_size) (the DMA status tables the driver polls), a MEM_WRITE naming the address is
 *     sent on `notify` `write_latency` later (landing in memory and the poll seeing it);
 *   - MRd: the data are read `read_latency` after it was taken and returned as CplDs of at most
 *     min(cpl_max, mps) bytes, cut at multiples of that size (so on RCB boundaries), one per
 *     cycle;
 *   - CplD: completes an MMIO read.
 * One TLP per cycle goes to `tx`: MMIO requests and completions take turns.
 */
#include "pcie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"
#include "sim/core/region.h"
#include "sim/core/ring.h"

typedef struct PcieRcParams {
    SimDomain *domain;
    uint64_t mps;
    uint64_t rcb;
    uint64_t cpl_max;
    SimMem *memory;
    SimTime mem_latency;
    SimTime cpu_latency;
    SimTime read_latency;
    SimTime write_latency;
    uint64_t notify_base;
    uint64_t notify_size;
    uint64_t read_queue;
    uint64_t tags;
} PcieRcParams;

typedef struct RcTag {
    SimPacket *req;    /* the CPU's MEM_READ, turned into the response */
    uint32_t received; /* bytes completed so far */
    SimTime start;     /* when the CPU request was taken */
    bool used;
} RcTag;

typedef struct PcieRcStats {
    uint64_t cpu_reads;
    uint64_t cpu_writes;
    uint64_t mmio_reads;
    uint64_t mmio_writes;
    uint64_t dma_reads;
    uint64_t dma_read_bytes;
    uint64_t dma_writes;
    uint64_t dma_write_bytes;
    uint64_t completions;
    uint64_t notifications;
    SimHist mmio_read_latency; /* CPU request taken to its response pushed, ps */
} PcieRcStats;

typedef struct PcieRc {
    SimComponent c;
    SimPort *cpu_req;
    SimPort *cpu_resp;
    SimPort *notify;
    SimPort *tx;
    SimPort *rx;
    PcieRcParams p;
    SimMem *mem;        /* the node's host memory (host.memory, not ours) */
    uint32_t chunk;     /* completion size: min(cpl_max, mps) */
    SimTimedFifo hq;    /* host-memory responses to the CPU */
    SimTimedFifo mresp; /* MMIO responses and write acks to the CPU */
    SimTimedFifo mq;    /* MMIO TLPs to send */
    SimTimedFifo rq;    /* device reads waiting for their data */
    SimTimedFifo nq;    /* notifications */
    uint32_t rq_off;    /* bytes of rq's head already completed */
    bool cpl_turn;      /* TX arbitration: completions go first on the next tie */
    RcTag *tag;
    uint32_t free_tags;
    PcieRcStats st;
} PcieRc;

static const SimComponentOps rc_ops;

static SimCycle at(const PcieRc *rc, SimTime delay)
{
    return sim_domain_cycle_at_or_after(rc->c.domain, rc->c.sim->now + delay);
}

static bool host_range(const PcieRc *rc, uint64_t addr, uint64_t len)
{
    return sim_mem_contains(rc->mem, addr, len);
}

static const uint8_t *payload_bytes(const SimPacket *pkt)
{
    return pkt->payload ? pkt->payload->data + pkt->user[0] : NULL;
}

/* ---- device side ---- */

static bool rx_step(PcieRc *rc)
{
    Sim *sim = rc->c.sim;
    SimPacket *pkt = sim_port_peek(rc->rx);
    if (pkt == NULL) {
        return true;
    }
    switch (pkt->type) {
    case PCIE_TLP_MWR:
        if (!host_range(rc, pkt->addr, pkt->len)) {
            sim_fail(sim,
                     "instance '%s': device write of %u bytes at 0x%llx is outside host "
                     "memory (0x%llx + %llu bytes)",
                     rc->c.name, pkt->len, (unsigned long long)pkt->addr,
                     (unsigned long long)rc->mem->base, (unsigned long long)rc->mem->size);
            return false;
        }
        if (pkt->addr >= rc->p.notify_base && pkt->addr - rc->p.notify_base < rc->p.notify_size &&
            rc->notify != NULL && sim_timed_fifo_full(&rc->nq)) {
            return true; /* wait for room */
        }
        sim_port_pop(rc->rx);
        if (pkt->payload != NULL) {
            sim_mem_write(rc->mem, pkt->addr, payload_bytes(pkt), pkt->len);
            sim_payload_unref(&sim->pool, pkt->payload);
            pkt->payload = NULL;
        }
        rc->st.dma_writes++;
        sim_work_done(sim);
        rc->st.dma_write_bytes += pkt->len;
        if (pkt->addr >= rc->p.notify_base && pkt->addr - rc->p.notify_base < rc->p.notify_size &&
            rc->notify != NULL) {
            pkt->type = MEM_WRITE;
            pkt->user[0] = 0;
            pkt->user[1] = 0;
            sim_timed_fifo_push(&rc->nq, at(rc, rc->p.write_latency), pkt);
        } else {
            sim_packet_free(sim, pkt);
        }
        return true;
    case PCIE_TLP_MRD:
        if (sim_timed_fifo_full(&rc->rq)) {
            return true;
        }
        if (!host_range(rc, pkt->addr, pkt->len)) {
            sim_fail(sim,
                     "instance '%s': device read of %u bytes at 0x%llx is outside host "
                     "memory (0x%llx + %llu bytes)",
                     rc->c.name, pkt->len, (unsigned long long)pkt->addr,
                     (unsigned long long)rc->mem->base, (unsigned long long)rc->mem->size);
            return false;
        }
        sim_port_pop(rc->rx);
        rc->st.dma_reads++;
        sim_work_done(sim);
        rc->st.dma_read_bytes += pkt->len;
        sim_timed_fifo_push(&rc->rq, at(rc, rc->p.read_latency), pkt);
        return true;
    default: {
        if (sim_timed_fifo_full(&rc->mresp)) {
            return true;
        }
        sim_port_pop(rc->rx);
        RcTag *tg = pkt->tag < rc->p.tags ? &rc->tag[pkt->tag] : NULL;
        if (tg == NULL || !tg->used) {
            sim_fail(sim, "instance '%s': completion with unknown tag %u", rc->c.name, pkt->tag);
            return false;
        }
        SimPacket *req = tg->req;
        uint64_t off = pkt->addr - req->addr;
        if (off + pkt->len > req->len) {
            sim_fail(sim, "instance '%s': completion of %u bytes at 0x%llx outside the read",
                     rc->c.name, pkt->len, (unsigned long long)pkt->addr);
            return false;
        }
        if (pkt->payload != NULL && req->payload != NULL) {
            memcpy(req->payload->data + off, payload_bytes(pkt), pkt->len);
        }
        tg->received += pkt->len;
        sim_packet_free(sim, pkt); /* drops its payload reference too */
        if (tg->received >= req->len) {
            tg->used = false;
            rc->free_tags++;
            req->type = MEM_READ_RESP;
            req->dst = req->src;
            req->stamp[SIM_STAMP_AUX] = tg->start;
            sim_timed_fifo_push(&rc->mresp, at(rc, rc->p.cpu_latency), req);
        }
        return true;
    }
    }
}

/* The next completion of the device read at the head of rq, or NULL (run failed). */
static SimPacket *next_completion(PcieRc *rc)
{
    Sim *sim = rc->c.sim;
    SimPacket *rd = sim_timed_fifo_head(&rc->rq);
    uint64_t cur = rd->addr + rc->rq_off;
    uint64_t end = rd->addr + rd->len;
    uint64_t cut = (cur / rc->chunk + 1) * rc->chunk;
    uint32_t n = (uint32_t)((cut < end ? cut : end) - cur);
    SimPacket *cpl = sim_packet_new(sim);
    if (cpl == NULL) {
        return NULL;
    }
    SimPayload *pl = sim_payload_pool_get(&sim->pool);
    if (pl == NULL || sim->pool.payload_block_size < n) {
        sim_fail(sim,
                 "instance '%s': payload pool exhausted or blocks smaller than %u bytes: "
                 "raise sim.payload_blocks",
                 rc->c.name, n);
        sim_packet_free(sim, cpl);
        return NULL;
    }
    sim_mem_read(rc->mem, cur, pl->data, n);
    pl->size = n;
    cpl->type = PCIE_TLP_CPLD;
    cpl->addr = cur;
    cpl->len = n;
    cpl->tag = rd->tag;
    cpl->src = rd->dst;
    cpl->dst = rd->src;
    cpl->payload = pl;
    rc->rq_off += n;
    if (rc->rq_off == rd->len) {
        cpl->flags = PCIE_F_LAST;
        sim_timed_fifo_pop(&rc->rq);
        sim_packet_free(sim, rd);
        rc->rq_off = 0;
    }
    rc->st.completions++;
    return cpl;
}

static void tx_step(PcieRc *rc, SimCycle now)
{
    if (!sim_port_can_push(rc->tx)) {
        return;
    }
    bool mmio = sim_timed_fifo_ready(&rc->mq, now) != NULL;
    bool cpl = sim_timed_fifo_ready(&rc->rq, now) != NULL;
    if (!mmio && !cpl) {
        return;
    }
    bool take_cpl = cpl && (!mmio || rc->cpl_turn);
    if (take_cpl) {
        SimPacket *c = next_completion(rc);
        if (c == NULL) {
            return;
        }
        sim_port_push(rc->tx, c);
    } else {
        sim_port_push(rc->tx, sim_timed_fifo_pop(&rc->mq));
    }
    rc->cpl_turn = !take_cpl;
}

/* ---- CPU side ---- */

static bool cpu_step(PcieRc *rc, SimCycle now)
{
    Sim *sim = rc->c.sim;
    SimPacket *req = sim_port_peek(rc->cpu_req);
    if (req == NULL) {
        return true;
    }
    bool write = req->type == MEM_WRITE;
    if (host_range(rc, req->addr, req->len)) {
        if (sim_timed_fifo_full(&rc->hq)) {
            return true;
        }
        sim_port_pop(rc->cpu_req);
        if (write) {
            if (req->payload != NULL) {
                sim_mem_write(rc->mem, req->addr, req->payload->data, req->len);
                sim_payload_unref(&sim->pool, req->payload);
                req->payload = NULL;
            }
            req->type = MEM_WRITE_ACK;
            rc->st.cpu_writes++;
            sim_work_done(sim);
        } else {
            SimPayload *pl = sim_payload_pool_get(&sim->pool);
            if (pl == NULL || sim->pool.payload_block_size < req->len) {
                sim_fail(sim, "instance '%s': payload pool exhausted: raise sim.payload_blocks",
                         rc->c.name);
                return false;
            }
            sim_mem_read(rc->mem, req->addr, pl->data, req->len);
            pl->size = req->len;
            req->payload = pl;
            req->type = MEM_READ_RESP;
            rc->st.cpu_reads++;
            sim_work_done(sim);
        }
        req->dst = req->src;
        sim_timed_fifo_push(&rc->hq, at(rc, rc->p.mem_latency), req);
        return true;
    }
    /* MMIO: a TLP towards the device. */
    if (sim_timed_fifo_full(&rc->mq) || sim_timed_fifo_full(&rc->mresp) ||
        (!write && rc->free_tags == 0)) {
        return true; /* a completion or a sent TLP makes room */
    }
    SimPacket *tlp = sim_packet_new(sim);
    if (tlp == NULL) {
        return false;
    }
    sim_port_pop(rc->cpu_req);
    tlp->addr = req->addr;
    tlp->len = req->len;
    tlp->src = req->src;
    tlp->flags = req->addr >> 32 ? PCIE_F_4DW : 0;
    SimCycle ready = at(rc, rc->p.cpu_latency);
    if (write) {
        tlp->type = PCIE_TLP_MWR;
        tlp->payload = req->payload; /* the reference moves to the TLP */
        req->payload = NULL;
        req->type = MEM_WRITE_ACK;
        req->dst = req->src;
        sim_timed_fifo_push(&rc->mq, ready, tlp);
        sim_timed_fifo_push(&rc->mresp, ready, req);
        rc->st.mmio_writes++;
        return true;
    }
    uint32_t t = 0;
    while (rc->tag[t].used) {
        t++;
    }
    SimPayload *pl = sim_payload_pool_get(&sim->pool);
    if (pl == NULL || sim->pool.payload_block_size < req->len) {
        sim_fail(sim, "instance '%s': payload pool exhausted: raise sim.payload_blocks",
                 rc->c.name);
        sim_packet_free(sim, tlp);
        return false;
    }
    pl->size = req->len;
    memset(pl->data, 0, req->len);
    req->payload = pl;
    rc->tag[t] = (RcTag){.req = req, .received = 0, .start = sim->now, .used = true};
    rc->free_tags--;
    tlp->type = PCIE_TLP_MRD;
    tlp->tag = t;
    sim_timed_fifo_push(&rc->mq, ready, tlp);
    rc->st.mmio_reads++;
    (void)now;
    return true;
}

static void resp_step(PcieRc *rc, SimCycle now)
{
    if (!sim_port_can_push(rc->cpu_resp)) {
        return;
    }
    SimPacket *h = sim_timed_fifo_ready(&rc->hq, now);
    SimPacket *m = sim_timed_fifo_ready(&rc->mresp, now);
    if (h == NULL && m == NULL) {
        return;
    }
    /* The one ready first goes first; host memory wins a tie. */
    bool take_h = h != NULL && (m == NULL || sim_timed_fifo_head_ready(&rc->hq) <=
                                                 sim_timed_fifo_head_ready(&rc->mresp));
    SimPacket *pkt = sim_timed_fifo_pop(take_h ? &rc->hq : &rc->mresp);
    if (pkt->type == MEM_READ_RESP && !take_h) {
        sim_hist_record(&rc->st.mmio_read_latency, rc->c.sim->now - pkt->stamp[SIM_STAMP_AUX]);
    }
    sim_port_push(rc->cpu_resp, pkt);
}

static void notify_step(PcieRc *rc, SimCycle now)
{
    if (rc->notify == NULL || !sim_port_can_push(rc->notify)) {
        return;
    }
    SimPacket *pkt = sim_timed_fifo_ready(&rc->nq, now);
    if (pkt == NULL) {
        return;
    }
    sim_timed_fifo_pop(&rc->nq);
    rc->st.notifications++;
    sim_port_push(rc->notify, pkt);
}

static SimCycle min_cycle(SimCycle a, SimCycle b)
{
    return a < b ? a : b;
}

static SimCycle rc_tick(SimComponent *c, SimCycle now)
{
    PcieRc *rc = (PcieRc *)c;
    if (!rx_step(rc) || !cpu_step(rc, now)) {
        return SIM_SLEEP;
    }
    tx_step(rc, now);
    resp_step(rc, now);
    notify_step(rc, now);

    SimCycle next = SIM_SLEEP;
    const SimPacket *in = sim_port_peek(rc->rx);
    if (in != NULL) {
        bool blocked = (in->type == PCIE_TLP_MRD && sim_timed_fifo_full(&rc->rq)) ||
                       (in->type == PCIE_TLP_CPLD && sim_timed_fifo_full(&rc->mresp)) ||
                       (in->type == PCIE_TLP_MWR && sim_timed_fifo_full(&rc->nq));
        if (!blocked) {
            next = now + 1;
        }
    }
    if (sim_port_peek(rc->cpu_req) != NULL) {
        next = now + 1; /* at worst it waits for a queue that this component drains */
    }
    if (sim_port_can_push(rc->tx)) {
        next = min_cycle(next, sim_timed_fifo_wake(&rc->mq, now));
        next = min_cycle(next, sim_timed_fifo_wake(&rc->rq, now));
    }
    if (sim_port_can_push(rc->cpu_resp)) {
        next = min_cycle(next, sim_timed_fifo_wake(&rc->hq, now));
        next = min_cycle(next, sim_timed_fifo_wake(&rc->mresp, now));
    }
    if (rc->notify != NULL && sim_port_can_push(rc->notify)) {
        next = min_cycle(next, sim_timed_fifo_wake(&rc->nq, now));
    }
    return next;
}

static bool rc_busy(const SimComponent *c)
{
    const PcieRc *rc = (const PcieRc *)c;
    return sim_timed_fifo_count(&rc->hq) || sim_timed_fifo_count(&rc->mresp) ||
           sim_timed_fifo_count(&rc->mq) || sim_timed_fifo_count(&rc->rq) ||
           sim_timed_fifo_count(&rc->nq) || rc->free_tags != rc->p.tags;
}

static void rc_dump(const SimComponent *c, SimError *report)
{
    const PcieRc *rc = (const PcieRc *)c;
    sim_error_append(report,
                     " (%u device reads waiting, %u MMIO TLPs to send, %llu MMIO reads "
                     "outstanding)",
                     sim_timed_fifo_count(&rc->rq), sim_timed_fifo_count(&rc->mq),
                     (unsigned long long)(rc->p.tags - rc->free_tags));
}

static void rc_destroy(SimComponent *c)
{
    PcieRc *rc = (PcieRc *)c;
    free(rc->tag);
    sim_timed_fifo_destroy(&rc->hq);
    sim_timed_fifo_destroy(&rc->mresp);
    sim_timed_fifo_destroy(&rc->mq);
    sim_timed_fifo_destroy(&rc->rq);
    sim_timed_fifo_destroy(&rc->nq);
    sim_hist_destroy(&rc->st.mmio_read_latency);
}

static const SimComponentOps rc_ops = {
    .tick = rc_tick,
    .busy = rc_busy,
    .dump = rc_dump,
    .destroy = rc_destroy,
};

/* ---- parameters ---- */

#define P(f) offsetof(PcieRcParams, f)

static const char *const memory_kind[] = {"memory", NULL};

static const SimParamDesc rc_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock of the root port's transaction layer"},
    {"mps", SIM_PARAM_BYTES, P(mps), "256B", "128B", "4KiB", NULL,
     "max payload size (power of two), as on the link and the endpoint"},
    {"rcb", SIM_PARAM_BYTES, P(rcb), "64B", "64B", "128B", NULL,
     "read completion boundary of the root complex: 64B or 128B"},
    {"cpl_max", SIM_PARAM_BYTES, P(cpl_max), "256B", "64B", "4KiB", NULL,
     "largest completion the root complex sends (power of two; clipped to mps)"},
    {"memory", SIM_PARAM_OBJECT, P(memory), NULL, NULL, NULL, memory_kind,
     "the node's host memory: the name of its host.memory instance"},
    {"mem_latency", SIM_PARAM_TIME, P(mem_latency), "20ns", "0", "1ms", NULL,
     "CPU access to host memory (the paper's ~20 ns main-memory access)"},
    {"cpu_latency", SIM_PARAM_TIME, P(cpu_latency), "300ns", "0", "1ms", NULL,
     "uncached access from the core to the root port, and back, each way"},
    {"read_latency", SIM_PARAM_TIME, P(read_latency), "200ns", "0", "1ms", NULL,
     "device read of host memory: request taken to its data ready"},
    {"write_latency", SIM_PARAM_TIME, P(write_latency), "100ns", "0", "1ms", NULL,
     "device write taken to visible to the polling CPU (notify)"},
    {"notify_base", SIM_PARAM_UINT, P(notify_base), "0x10000", NULL, NULL, NULL,
     "start of the host range whose device writes are reported on `notify`"},
    {"notify_size", SIM_PARAM_BYTES, P(notify_size), "128KiB", "0", "16GiB", NULL,
     "size of that range (the DMA status tables)"},
    {"read_queue", SIM_PARAM_UINT, P(read_queue), "256", "1", "65536", NULL,
     "device reads the root complex works on at once"},
    {"tags", SIM_PARAM_UINT, P(tags), "32", "1", "256", NULL,
     "MMIO reads outstanding at once (the CPU's uncached loads)"},
};

#undef P

static const SimPortDesc rc_ports[] = {
    {"cpu_req", SIM_PORT_IN, false, "mem.h requests from the CPU (node)"},
    {"cpu_resp", SIM_PORT_OUT, false, "mem.h responses to the CPU"},
    {"notify", SIM_PORT_OUT, true, "MEM_WRITE naming each device write into the status range"},
    {"tx", SIM_PORT_OUT, false, "TLPs to the link (rc_tx)"},
    {"rx", SIM_PORT_IN, false, "TLPs from the link (rc_rx)"},
};

static const char *rc_check(const void *params, char *msg, size_t size)
{
    const PcieRcParams *p = params;
    if (!is_pow2(p->mps)) {
        snprintf(msg, size, "%lluB is not a power of two", (unsigned long long)p->mps);
        return "mps";
    }
    if (p->rcb != 64 && p->rcb != 128) {
        snprintf(msg, size, "%lluB: a root complex's RCB is 64B or 128B",
                 (unsigned long long)p->rcb);
        return "rcb";
    }
    if (!is_pow2(p->cpl_max) || p->cpl_max < p->rcb) {
        snprintf(msg, size, "%lluB must be a power of two and at least rcb (%lluB)",
                 (unsigned long long)p->cpl_max, (unsigned long long)p->rcb);
        return "cpl_max";
    }
    return NULL;
}

#define RC_ROW(name_, kind_, field_, unit_, scale_, doc_)                                          \
    SIM_STAT_ROW(name_, kind_, PcieRc, st.field_, unit_, scale_, doc_)

static const SimStatDesc rc_stat_rows[] = {
    RC_ROW("cpu_reads", SIM_STAT_COUNTER, cpu_reads, "requests", 1, "CPU reads of host memory"),
    RC_ROW("cpu_writes", SIM_STAT_COUNTER, cpu_writes, "requests", 1, "CPU writes of host memory"),
    RC_ROW("mmio_reads", SIM_STAT_COUNTER, mmio_reads, "TLPs", 1,
           "uncached CPU reads sent to the device (MRd)"),
    RC_ROW("mmio_writes", SIM_STAT_COUNTER, mmio_writes, "TLPs", 1,
           "uncached CPU writes sent to the device (MWr)"),
    RC_ROW("dma_reads", SIM_STAT_COUNTER, dma_reads, "TLPs", 1,
           "device reads of host memory (MRd received)"),
    RC_ROW("dma_read_bytes", SIM_STAT_COUNTER, dma_read_bytes, "B", 1, "bytes the device read"),
    RC_ROW("dma_writes", SIM_STAT_COUNTER, dma_writes, "TLPs", 1,
           "device writes into host memory (MWr received)"),
    RC_ROW("dma_write_bytes", SIM_STAT_COUNTER, dma_write_bytes, "B", 1, "bytes the device wrote"),
    RC_ROW("completions", SIM_STAT_COUNTER, completions, "TLPs", 1, "CplD TLPs sent"),
    RC_ROW("notifications", SIM_STAT_COUNTER, notifications, "writes", 1,
           "status writes reported to the CPU"),
    RC_ROW("mmio_read_latency_ns", SIM_STAT_HIST, mmio_read_latency, "ns", 1000,
           "uncached read: request taken to response sent to the CPU"),
};

#undef RC_ROW

static const SimStatTable rc_stats = {rc_stat_rows, N_OF(rc_stat_rows), NULL, 0, NULL, 0};

static bool rc_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    PcieRc *rc = calloc(1, sizeof(*rc));
    if (rc == NULL) {
        return sim_error_oom(err, name);
    }
    rc->p = *(const PcieRcParams *)params;
    rc->chunk = (uint32_t)(rc->p.cpl_max < rc->p.mps ? rc->p.cpl_max : rc->p.mps);
    rc->mem = rc->p.memory;
    rc->tag = calloc(rc->p.tags, sizeof(*rc->tag));
    rc->free_tags = (uint32_t)rc->p.tags;
    uint32_t q = (uint32_t)rc->p.read_queue;
    bool ok = rc->tag != NULL && sim_hist_init(&rc->st.mmio_read_latency) &&
              sim_timed_fifo_init(&rc->hq, 64) &&
              sim_timed_fifo_init(&rc->mresp, (uint32_t)rc->p.tags + 64) &&
              sim_timed_fifo_init(&rc->mq, (uint32_t)rc->p.tags + 64) &&
              sim_timed_fifo_init(&rc->rq, q) && sim_timed_fifo_init(&rc->nq, 1024);
    if (!ok) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    if (!sim_add_component(sim, &rc->c, name, rc->p.domain, &rc_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "cpu_req", &rc->c, &rc->cpu_req);
    sim_build_port(bld, "cpu_resp", &rc->c, &rc->cpu_resp);
    sim_build_port(bld, "notify", &rc->c, &rc->notify);
    sim_build_port(bld, "tx", &rc->c, &rc->tx);
    sim_build_port(bld, "rx", &rc->c, &rc->rx);
    sim_build_stats(bld, &(SimStatBinding){.block = {rc}});
    return true;

fail_parts:
    rc_destroy(&rc->c);
    free(rc);
    return false;
}

/* The CPU's requests go down the link to the adapter (fabric checks). */
static const SimPortFlow rc_flows[] = {
    {"cpu_req", SIM_FLOW_REQUEST, NULL},
    {"tx", SIM_FLOW_REQUEST, NULL},
};

const SimModelType pcie_rc_type = {
    .name = "pcie.rc",
    .doc = "PCIe root complex in front of the node's host memory (a host.memory): the CPU's "
           "host-memory and uncached "
           "MMIO accesses (mem.h), completions for device reads, status-write notification.",
    .params = rc_params,
    .n_params = N_OF(rc_params),
    .params_size = sizeof(PcieRcParams),
    .ports = rc_ports,
    .n_ports = N_OF(rc_ports),
    .check = rc_check,
    .build = rc_build,
    .flows = rc_flows,
    .n_flows = N_OF(rc_flows),
    .stats = &rc_stats,
};
