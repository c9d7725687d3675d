/*
 * pcie.adapter: the FPGA endpoint of a MemBox adapter card (and of the MemBox itself, whose
 * host reaches its memory over its own PCIe slot): the Intel Arria 10 hard IP "Avalon-MM with
 * DMA" bridge, in the Avalon-MM clock domain (`domain`, default "pcie", 250 MHz, 512-bit).
 * docs/models/pcie.md has the cycle diagrams and the formulas; models/proto/dma.h the register
 * map and the descriptor format, which the node's driver (models/host) shares.
 *
 * Blocks, as in the Intel user guide (UG 683425):
 *   - descriptor controller, one per direction: a doorbell write of RD_DMA_LAST_PTR (BAR0 +
 *     0x10) or WR_DMA_LAST_PTR (BAR0 + 0x110) announces descriptors up to that index of a
 *     128-entry ring in host memory (`rd_table` / `wr_table` + 0x200, 32 bytes each); they are
 *     fetched with MRds of at most `mrrs`; when a descriptor is done, its status DWORD
 *     (table + 4 * ID) is written with a posted MWr;
 *   - read data mover (host -> MemBox): MRds of at most `mrrs`, never crossing 4 KiB, one tag
 *     each from `tags`; each completion becomes one Avalon-MM write (mem.h MEM_WRITE) of its
 *     bytes; the descriptor is done when the memory acknowledged every byte;
 *   - write data mover (MemBox -> host): Avalon-MM reads (MEM_READ) of at most `mps` bytes,
 *     never crossing 4 KiB of the destination, at most `wr_outstanding` in flight; their data
 *     leave in order as MWr TLPs; the descriptor is done when its last MWr left;
 *   - RX master of BAR2 (PIO): an MRd or MWr into [window_base, window_base + window) becomes
 *     an Avalon-MM read or write of the same bytes `bar_cycles` later; read data return as one
 *     CplD `cpl_cycles` after the Avalon response.
 * The Avalon-MM master has one 512-bit bus: at most one request starts per cycle, a write of k
 * beats holds it k cycles and is pushed at its last beat (as models/dram's masters do). One TLP
 * per cycle leaves on `tx`; completions, MRds, write-mover MWrs and read-mover status writes take
 * turns.
 */
#include "pcie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/dma.h"
#include "models/proto/mem.h"
#include "sim/core/ring.h"

/* What a mem.h tag's top byte says the request was for. */
enum {
    SRC_NONE = 0,
    SRC_PIO_R,
    SRC_PIO_W,
    SRC_RD,
    SRC_WR,
    SRC_MAX
};
enum {
    TAG_FREE = 0,
    TAG_FETCH,
    TAG_DATA
};
/* TX sources, in round-robin order. */
enum {
    TX_CPL = 0,
    TX_MRD,
    TX_WTX,
    TX_RST,
    TX_MAX
};
/* Avalon-MM sources, in round-robin order. */
enum {
    AV_PIO = 0,
    AV_RDW,
    AV_WRR,
    AV_MAX
};

#define REGS_SIZE 0x1000u
#define DOORBELLS 64u

typedef struct PcieAdapterParams {
    SimDomain *domain;
    uint64_t mps;
    uint64_t mrrs;
    uint64_t tags;
    uint64_t regs_base;
    uint64_t window_base;
    uint64_t window;
    uint64_t rd_table;
    uint64_t wr_table;
    uint64_t bar_cycles;
    uint64_t cpl_cycles;
    uint64_t desc_cycles;
    uint64_t wr_outstanding;
    uint64_t src;
} PcieAdapterParams;

typedef struct DmaDesc {
    uint64_t src;
    uint64_t dst;
    uint32_t len;
    uint32_t id;
    uint32_t issued; /* bytes requested so far */
    uint32_t done;   /* RD: bytes the memory acknowledged; WR: bytes sent as MWr */
    SimTime fetched;
    bool active;
} DmaDesc;

typedef struct Engine {
    uint64_t table;
    uint32_t announced_end; /* ring index after the last announced descriptor */
    uint32_t to_fetch;
    uint32_t fetch_next;
    uint8_t staging[DMA_RING_ENTRIES][DMA_DESC_BYTES];
    uint32_t staged[DMA_RING_ENTRIES];
    DmaDesc desc[DMA_RING_ENTRIES];
    uint32_t q[DMA_RING_ENTRIES]; /* fetched descriptors not fully issued, in ring order */
    SimCycle q_ready[DMA_RING_ENTRIES];
    SimRing qr; /* over q and q_ready */
} Engine;

typedef struct Doorbell {
    SimCycle ready;
    uint32_t eng;
    uint32_t value;
} Doorbell;

typedef struct AdTag {
    uint8_t kind;
    uint8_t eng;
    uint16_t slot;
    uint64_t addr;
    uint32_t len;
    uint32_t received;
    uint32_t writes; /* completions of a data read not yet issued on Avalon */
} AdTag;

typedef struct WrChunk {
    SimPacket *pkt; /* the Avalon read response, NULL until it arrived */
    uint64_t dst;
    uint32_t len;
    uint32_t slot;
} WrChunk;

typedef struct PcieAdapterStats {
    uint64_t pio_reads;
    uint64_t pio_writes;
    uint64_t doorbells;
    uint64_t fetch_reads;
    uint64_t data_reads;
    uint64_t rd_descs;
    uint64_t wr_descs;
    uint64_t rd_bytes;
    uint64_t wr_bytes;
    uint64_t avalon_reads;
    uint64_t avalon_writes;
    uint64_t avalon_beats;
    SimTimeAvg tags_busy;
    SimHist pio_read_latency; /* MRd taken to its CplD pushed, ps */
    SimHist rd_latency;       /* descriptor fetched to its status write pushed, ps */
    SimHist wr_latency;
} PcieAdapterStats;

typedef struct PcieAdapter {
    SimComponent c;
    SimPort *rx;
    SimPort *tx;
    SimPort *mem_req;
    SimPort *mem_resp;
    PcieAdapterParams p;
    Engine eng[DMA_ENGINE_MAX];
    Doorbell db[DOORBELLS];
    SimRing dbr; /* over db */
    AdTag *tag;
    uint32_t tags_used;
    SimTime pio_start[256];
    uint16_t pio_requester[256];
    SimTimedFifo pq;  /* PIO Avalon requests */
    SimTimedFifo cq;  /* completions to send */
    SimTimedFifo rdw; /* read-mover Avalon writes */
    SimTimedFifo wtx; /* write-mover MWrs and their status writes, in order */
    SimTimedFifo rst; /* read-mover status writes */
    WrChunk *wr;      /* write-mover reorder buffer, wr_outstanding entries: allocated in issue
                         order, filled in any order, sent in issue order */
    SimRing wrr;      /* over wr */
    /* Avalon-MM master */
    SimPacket *hold;
    SimCycle push_at;
    SimCycle bus_free;
    uint32_t av_turn;
    uint32_t tx_turn;
    PcieAdapterStats st;
} PcieAdapter;

static const char *const eng_names[DMA_ENGINE_MAX] = {"read", "write"};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static SimTime now_time(const PcieAdapter *a)
{
    return a->c.sim->now;
}

static SimCycle min_cycle(SimCycle x, SimCycle y)
{
    return x < y ? x : y;
}

static void free_packet(PcieAdapter *a, SimPacket *pkt)
{
    if (pkt->payload != NULL) {
        sim_payload_unref(&a->c.sim->pool, pkt->payload);
        pkt->payload = NULL;
    }
    sim_packet_free(a->c.sim, pkt);
}

static void set_tags_used(PcieAdapter *a, uint32_t n)
{
    a->tags_used = n;
    sim_timeavg_set(&a->st.tags_busy, now_time(a), n);
}

/* A posted MWr of the status DWORD of descriptor `slot` of engine e; NULL if the run failed. */
static SimPacket *status_write(PcieAdapter *a, int e, uint32_t slot)
{
    Sim *sim = a->c.sim;
    const DmaDesc *d = &a->eng[e].desc[slot];
    SimPacket *pkt = sim_packet_new(sim);
    if (pkt == NULL) {
        return NULL;
    }
    SimPayload *pl = sim_payload_pool_get(&sim->pool);
    if (pl == NULL) {
        sim_fail(sim, "instance '%s': payload pool exhausted: raise sim.payload_blocks", a->c.name);
        sim_packet_free(sim, pkt);
        return NULL;
    }
    memset(pl->data, 0, 4);
    pl->data[0] = DMA_STATUS_DONE;
    pl->size = 4;
    pkt->type = PCIE_TLP_MWR;
    pkt->addr = dma_status_addr(a->eng[e].table, d->id);
    pkt->len = 4;
    pkt->flags = pkt->addr >> 32 ? PCIE_F_4DW : 0;
    pkt->payload = pl;
    pkt->src = (uint16_t)a->p.src;
    pkt->stamp[SIM_STAMP_AUX] = d->fetched;
    pkt->user[1] = 1u + (uint64_t)e; /* marks a status write for the latency statistics */
    return pkt;
}

/* ---- RX: one TLP per cycle ---- */

static void descriptor_arrived(PcieAdapter *a, int e, uint32_t slot, SimCycle now)
{
    Engine *g = &a->eng[e];
    const uint8_t *b = g->staging[slot];
    DmaDesc *d = &g->desc[slot];
    uint32_t ctrl = le32(b + DMA_DESC_CTRL);
    d->src = (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
    d->dst = (uint64_t)le32(b + 8) | (uint64_t)le32(b + 12) << 32;
    d->len = dma_desc_ctrl_dwords(ctrl) * 4u;
    d->id = dma_desc_ctrl_id(ctrl);
    d->issued = 0;
    d->done = 0;
    d->fetched = now_time(a);
    d->active = true;
    g->staged[slot] = 0;
    if (d->len == 0) {
        sim_fail(a->c.sim, "instance '%s': %s descriptor %u has size 0", a->c.name, eng_names[e],
                 slot);
        return;
    }
    uint32_t tail = sim_ring_push(&g->qr);
    g->q[tail] = slot;
    g->q_ready[tail] = now + a->p.desc_cycles;
}

static bool rx_regs(PcieAdapter *a, SimPacket *pkt, SimCycle now)
{
    uint64_t off = pkt->addr - a->p.regs_base;
    if (pkt->type == PCIE_TLP_MWR) {
        if (sim_ring_full(&a->dbr)) {
            return false;
        }
        sim_port_pop(a->rx);
        if (off == DMA_REG_RD_LAST_PTR || off == DMA_REG_WR_LAST_PTR) {
            uint32_t v = pkt->payload != NULL ? le32(pkt->payload->data + pkt->user[0]) : 0;
            a->db[sim_ring_push(&a->dbr)] = (Doorbell){
                now + a->p.desc_cycles, off == DMA_REG_RD_LAST_PTR ? DMA_ENGINE_RD : DMA_ENGINE_WR,
                v % DMA_RING_ENTRIES};
            a->st.doorbells++;
        }
        /* Other registers (table bases, sizes) are set up before the run: their values are
         * the `rd_table` / `wr_table` parameters. */
        free_packet(a, pkt);
        return true;
    }
    if (sim_timed_fifo_full(&a->cq)) {
        return false;
    }
    sim_port_pop(a->rx);
    SimPayload *pl = sim_payload_pool_get(&a->c.sim->pool);
    if (pl == NULL) {
        sim_fail(a->c.sim, "instance '%s': payload pool exhausted", a->c.name);
        return false;
    }
    memset(pl->data, 0, pkt->len);
    if (off == DMA_REG_RD_LAST_PTR || off == DMA_REG_WR_LAST_PTR) {
        const Engine *g = &a->eng[off == DMA_REG_RD_LAST_PTR ? DMA_ENGINE_RD : DMA_ENGINE_WR];
        pl->data[0] = (uint8_t)((g->announced_end + DMA_RING_ENTRIES - 1) % DMA_RING_ENTRIES);
    }
    pl->size = pkt->len;
    pkt->payload = pl;
    pkt->user[0] = 0;
    pkt->type = PCIE_TLP_CPLD;
    pkt->flags = PCIE_F_LAST;
    pkt->dst = pkt->src;
    sim_timed_fifo_push(&a->cq, now + a->p.cpl_cycles, pkt);
    return true;
}

static bool rx_window(PcieAdapter *a, SimPacket *pkt, SimCycle now)
{
    if (sim_timed_fifo_full(&a->pq)) {
        return false;
    }
    uint64_t off = pkt->addr - a->p.window_base;
    if (pkt->type == PCIE_TLP_MRD && pkt->len > a->p.mps) {
        sim_fail(a->c.sim,
                 "instance '%s': PIO read of %u bytes is above mps (%llu): one CplD "
                 "carries it",
                 a->c.name, pkt->len, (unsigned long long)a->p.mps);
        return false;
    }
    if (pkt->len == 0 || pkt->len > MEM_MAX_LEN) {
        sim_fail(a->c.sim, "instance '%s': PIO access of %u bytes", a->c.name, pkt->len);
        return false;
    }
    sim_port_pop(a->rx);
    if (pkt->type == PCIE_TLP_MRD) {
        uint32_t t = pkt->tag & 0xffu;
        a->pio_start[t] = now_time(a);
        a->pio_requester[t] = pkt->src;
        pkt->type = MEM_READ;
        pkt->tag = (uint32_t)SRC_PIO_R << 24 | t;
        a->st.pio_reads++;
    } else {
        if (pkt->payload != NULL && pkt->user[0] != 0) {
            sim_fail(a->c.sim, "instance '%s': PIO write payload at an offset", a->c.name);
            return false;
        }
        pkt->type = MEM_WRITE;
        pkt->tag = (uint32_t)SRC_PIO_W << 24;
        a->st.pio_writes++;
    }
    pkt->addr = off;
    pkt->src = (uint16_t)a->p.src;
    pkt->flags = 0;
    pkt->user[0] = 0;
    pkt->user[1] = 0;
    sim_timed_fifo_push(&a->pq, now + a->p.bar_cycles, pkt);
    return true;
}

static bool rx_completion(PcieAdapter *a, SimPacket *pkt, SimCycle now)
{
    Sim *sim = a->c.sim;
    AdTag *tg = pkt->tag < a->p.tags ? &a->tag[pkt->tag] : NULL;
    if (tg == NULL || tg->kind == TAG_FREE || pkt->addr < tg->addr ||
        pkt->addr + pkt->len > tg->addr + tg->len) {
        sim_fail(sim, "instance '%s': completion for tag %u that no read expects", a->c.name,
                 pkt->tag);
        return false;
    }
    if (tg->kind == TAG_FETCH) {
        sim_port_pop(a->rx);
        Engine *g = &a->eng[tg->eng];
        uint64_t base = dma_desc_addr(g->table, 0);
        for (uint32_t i = 0; i < pkt->len; i++) {
            uint64_t x = pkt->addr + i - base;
            uint32_t slot = (uint32_t)(x / DMA_DESC_BYTES);
            uint32_t off = (uint32_t)(x % DMA_DESC_BYTES);
            g->staging[slot][off] = pkt->payload != NULL ? pkt->payload->data[pkt->user[0] + i] : 0;
            if (++g->staged[slot] == DMA_DESC_BYTES) {
                descriptor_arrived(a, tg->eng, slot, now);
            }
        }
        tg->received += pkt->len;
        if (tg->received == tg->len) {
            tg->kind = TAG_FREE;
            set_tags_used(a, a->tags_used - 1);
        }
        free_packet(a, pkt);
        return true;
    }
    if (sim_timed_fifo_full(&a->rdw)) {
        return false;
    }
    sim_port_pop(a->rx);
    DmaDesc *d = &a->eng[DMA_ENGINE_RD].desc[tg->slot];
    uint32_t t = pkt->tag;
    pkt->type = MEM_WRITE;
    pkt->addr = d->dst + (pkt->addr - d->src);
    pkt->tag = (uint32_t)SRC_RD << 24 | t << 8 | tg->slot;
    pkt->src = (uint16_t)a->p.src;
    pkt->flags = 0;
    pkt->user[1] = 0;
    if (pkt->payload != NULL && pkt->user[0] != 0) {
        /* mem.h payloads start at data[0]. */
        memmove(pkt->payload->data, pkt->payload->data + pkt->user[0], pkt->len);
    }
    pkt->user[0] = 0;
    tg->received += pkt->len;
    tg->writes++;
    sim_timed_fifo_push(&a->rdw, now, pkt);
    return true;
}

static bool rx_step(PcieAdapter *a, SimCycle now)
{
    SimPacket *pkt = sim_port_peek(a->rx);
    if (pkt == NULL) {
        return true;
    }
    if (pkt->type == PCIE_TLP_CPLD) {
        rx_completion(a, pkt, now);
        return !a->c.sim->failed;
    }
    if (pkt->addr >= a->p.regs_base && pkt->addr - a->p.regs_base < REGS_SIZE) {
        rx_regs(a, pkt, now);
    } else if (pkt->addr >= a->p.window_base && pkt->addr - a->p.window_base < a->p.window &&
               pkt->len <= a->p.window - (pkt->addr - a->p.window_base)) {
        rx_window(a, pkt, now);
    } else {
        sim_fail(a->c.sim,
                 "instance '%s': %s of %u bytes at 0x%llx hits no BAR (registers at "
                 "0x%llx, window 0x%llx + %llu)",
                 a->c.name, pkt->type == PCIE_TLP_MRD ? "read" : "write", pkt->len,
                 (unsigned long long)pkt->addr, (unsigned long long)a->p.regs_base,
                 (unsigned long long)a->p.window_base, (unsigned long long)a->p.window);
    }
    return !a->c.sim->failed;
}

/* ---- doorbells and descriptor bookkeeping ---- */

static void doorbells(PcieAdapter *a, SimCycle now)
{
    while (!sim_ring_empty(&a->dbr) && a->db[sim_ring_head(&a->dbr)].ready <= now) {
        const Doorbell *db = &a->db[sim_ring_pop(&a->dbr)];
        Engine *g = &a->eng[db->eng];
        uint32_t end = (db->value + 1) % DMA_RING_ENTRIES;
        g->to_fetch += (end + DMA_RING_ENTRIES - g->announced_end) % DMA_RING_ENTRIES;
        g->announced_end = end;
    }
}

static int free_tag(const PcieAdapter *a)
{
    if (a->tags_used == a->p.tags) {
        return -1;
    }
    for (uint32_t i = 0; i < a->p.tags; i++) {
        if (a->tag[i].kind == TAG_FREE) {
            return (int)i;
        }
    }
    return -1;
}

/* The head descriptor of engine e that still has bytes to request, if ready at `now`. */
static DmaDesc *issuing(PcieAdapter *a, int e, SimCycle now, uint32_t *slot)
{
    Engine *g = &a->eng[e];
    if (sim_ring_empty(&g->qr) || g->q_ready[sim_ring_head(&g->qr)] > now) {
        return NULL;
    }
    *slot = g->q[sim_ring_head(&g->qr)];
    return &g->desc[*slot];
}

static void issued(PcieAdapter *a, int e, DmaDesc *d)
{
    if (d->issued == d->len) {
        sim_ring_pop(&a->eng[e].qr);
    }
}

/* Bytes of the next piece: at most `max`, never crossing a 4 KiB boundary of `addr`. */
static uint32_t piece(uint64_t addr, uint32_t left, uint64_t max)
{
    uint64_t n = left < max ? left : max;
    uint64_t to4k = 4096 - (addr & 4095);
    return (uint32_t)(n < to4k ? n : to4k);
}

/* ---- TX: one TLP per cycle ---- */

static bool mrd_possible(PcieAdapter *a, SimCycle now)
{
    if (a->tags_used == a->p.tags) {
        return false;
    }
    uint32_t slot;
    return a->eng[DMA_ENGINE_RD].to_fetch > 0 || a->eng[DMA_ENGINE_WR].to_fetch > 0 ||
           issuing(a, DMA_ENGINE_RD, now, &slot) != NULL;
}

static SimPacket *make_mrd(PcieAdapter *a, SimCycle now)
{
    Sim *sim = a->c.sim;
    int t = free_tag(a);
    SimPacket *pkt = sim_packet_new(sim);
    if (pkt == NULL || t < 0) {
        return NULL;
    }
    AdTag *tg = &a->tag[t];
    pkt->type = PCIE_TLP_MRD;
    pkt->tag = (uint32_t)t;
    pkt->src = (uint16_t)a->p.src;
    int e = a->eng[DMA_ENGINE_RD].to_fetch > 0
                ? DMA_ENGINE_RD
                : (a->eng[DMA_ENGINE_WR].to_fetch > 0 ? DMA_ENGINE_WR : -1);
    if (e >= 0) {
        Engine *g = &a->eng[e];
        uint32_t n = g->to_fetch;
        uint32_t per = (uint32_t)(a->p.mrrs / DMA_DESC_BYTES);
        n = n < per ? n : per;
        n = n < DMA_RING_ENTRIES - g->fetch_next ? n : DMA_RING_ENTRIES - g->fetch_next;
        pkt->addr = dma_desc_addr(g->table, g->fetch_next);
        pkt->len = n * DMA_DESC_BYTES;
        *tg = (AdTag){.kind = TAG_FETCH,
                      .eng = (uint8_t)e,
                      .slot = (uint16_t)g->fetch_next,
                      .addr = pkt->addr,
                      .len = pkt->len};
        g->fetch_next = (g->fetch_next + n) % DMA_RING_ENTRIES;
        g->to_fetch -= n;
        a->st.fetch_reads++;
    } else {
        uint32_t slot = 0;
        DmaDesc *d = issuing(a, DMA_ENGINE_RD, now, &slot);
        uint32_t n = piece(d->src + d->issued, d->len - d->issued, a->p.mrrs);
        pkt->addr = d->src + d->issued;
        pkt->len = n;
        *tg = (AdTag){.kind = TAG_DATA,
                      .eng = DMA_ENGINE_RD,
                      .slot = (uint16_t)slot,
                      .addr = pkt->addr,
                      .len = n};
        d->issued += n;
        issued(a, DMA_ENGINE_RD, d);
        a->st.data_reads++;
    }
    pkt->flags = pkt->addr >> 32 ? PCIE_F_4DW : 0;
    set_tags_used(a, a->tags_used + 1);
    return pkt;
}

static void tx_step(PcieAdapter *a, SimCycle now)
{
    if (!sim_port_can_push(a->tx)) {
        return;
    }
    bool ready[TX_MAX] = {
        sim_timed_fifo_ready(&a->cq, now) != NULL,
        mrd_possible(a, now),
        sim_timed_fifo_ready(&a->wtx, now) != NULL,
        sim_timed_fifo_ready(&a->rst, now) != NULL,
    };
    for (uint32_t i = 0; i < TX_MAX; i++) {
        uint32_t s = (a->tx_turn + i) % TX_MAX;
        if (!ready[s]) {
            continue;
        }
        SimPacket *pkt = NULL;
        switch (s) {
        case TX_CPL:
            pkt = sim_timed_fifo_pop(&a->cq);
            if ((pkt->tag >> 24) == SRC_PIO_R) {
                uint32_t t = pkt->tag & 0xffu;
                sim_hist_record(&a->st.pio_read_latency, now_time(a) - a->pio_start[t]);
                pkt->tag = t;
            }
            break;
        case TX_MRD:
            pkt = make_mrd(a, now);
            break;
        case TX_WTX:
            pkt = sim_timed_fifo_pop(&a->wtx);
            break;
        default:
            pkt = sim_timed_fifo_pop(&a->rst);
            break;
        }
        if (pkt == NULL) {
            return;
        }
        if (pkt->user[1] != 0) {
            int e = (int)pkt->user[1] - 1;
            sim_hist_record(e == DMA_ENGINE_RD ? &a->st.rd_latency : &a->st.wr_latency,
                            now_time(a) - pkt->stamp[SIM_STAMP_AUX]);
            pkt->user[1] = 0;
        }
        sim_port_push(a->tx, pkt);
        a->tx_turn = (s + 1) % TX_MAX;
        return;
    }
}

/* ---- Avalon-MM master ---- */

static bool wr_possible(PcieAdapter *a, SimCycle now)
{
    uint32_t slot;
    return !sim_ring_full(&a->wrr) && issuing(a, DMA_ENGINE_WR, now, &slot) != NULL;
}

static SimPacket *make_wr_read(PcieAdapter *a, SimCycle now)
{
    SimPacket *pkt = sim_packet_new(a->c.sim);
    if (pkt == NULL) {
        return NULL;
    }
    uint32_t slot = 0;
    DmaDesc *d = issuing(a, DMA_ENGINE_WR, now, &slot);
    uint32_t n = piece(d->dst + d->issued, d->len - d->issued, a->p.mps);
    uint32_t idx = sim_ring_push(&a->wrr);
    a->wr[idx] = (WrChunk){.pkt = NULL, .dst = d->dst + d->issued, .len = n, .slot = slot};
    pkt->type = MEM_READ;
    pkt->addr = d->src + d->issued;
    pkt->len = n;
    pkt->tag = (uint32_t)SRC_WR << 24 | idx;
    pkt->src = (uint16_t)a->p.src;
    d->issued += n;
    issued(a, DMA_ENGINE_WR, d);
    return pkt;
}

static void avalon_step(PcieAdapter *a, SimCycle now)
{
    if (a->hold != NULL) {
        if (now >= a->push_at && sim_port_can_push(a->mem_req)) {
            sim_port_push(a->mem_req, a->hold);
            a->hold = NULL;
        }
        return;
    }
    if (now < a->bus_free || !sim_port_can_push(a->mem_req)) {
        return;
    }
    bool ready[AV_MAX] = {
        sim_timed_fifo_ready(&a->pq, now) != NULL,
        sim_timed_fifo_ready(&a->rdw, now) != NULL,
        wr_possible(a, now),
    };
    for (uint32_t i = 0; i < AV_MAX; i++) {
        uint32_t s = (a->av_turn + i) % AV_MAX;
        if (!ready[s]) {
            continue;
        }
        SimPacket *pkt;
        if (s == AV_PIO) {
            pkt = sim_timed_fifo_pop(&a->pq);
        } else if (s == AV_RDW) {
            pkt = sim_timed_fifo_pop(&a->rdw);
            uint32_t t = (pkt->tag >> 8) & 0xffu;
            AdTag *tg = &a->tag[t];
            tg->writes--;
            if (tg->writes == 0 && tg->received == tg->len) {
                tg->kind = TAG_FREE; /* its buffer space is free: the tag may be reused */
                set_tags_used(a, a->tags_used - 1);
            }
        } else {
            pkt = make_wr_read(a, now);
            if (pkt == NULL) {
                return;
            }
        }
        a->av_turn = (s + 1) % AV_MAX;
        uint32_t k = pkt->type == MEM_WRITE ? mem_beats(pkt->addr, pkt->len) : 1;
        k = k ? k : 1;
        if (pkt->type == MEM_WRITE) {
            a->st.avalon_writes++;
        } else {
            a->st.avalon_reads++;
        }
        a->st.avalon_beats += mem_beats(pkt->addr, pkt->len);
        a->bus_free = now + k;
        a->push_at = now + k - 1;
        if (a->push_at <= now) {
            sim_port_push(a->mem_req, pkt);
        } else {
            a->hold = pkt;
        }
        return;
    }
}

/* Moves write-mover data that arrived in order into the MWr stream. */
static void wr_drain(PcieAdapter *a)
{
    while (!sim_ring_empty(&a->wrr) && !sim_timed_fifo_full(&a->wtx)) {
        WrChunk *ch = &a->wr[sim_ring_head(&a->wrr)];
        if (ch->pkt == NULL) {
            return;
        }
        DmaDesc *d = &a->eng[DMA_ENGINE_WR].desc[ch->slot];
        bool last = d->done + ch->len == d->len;
        if (last && sim_timed_fifo_space(&a->wtx) < 2) {
            return;
        }
        SimPacket *pkt = ch->pkt;
        ch->pkt = NULL;
        pkt->type = PCIE_TLP_MWR;
        pkt->addr = ch->dst;
        pkt->len = ch->len;
        pkt->tag = 0;
        pkt->flags = ch->dst >> 32 ? PCIE_F_4DW : 0;
        pkt->src = (uint16_t)a->p.src;
        pkt->user[0] = 0;
        pkt->user[1] = 0;
        sim_timed_fifo_push(&a->wtx, 0, pkt);
        d->done += ch->len;
        a->st.wr_bytes += ch->len;
        sim_ring_pop(&a->wrr);
        if (last) {
            SimPacket *s = status_write(a, DMA_ENGINE_WR, ch->slot);
            if (s == NULL) {
                return;
            }
            sim_timed_fifo_push(&a->wtx, 0, s);
            d->active = false;
            a->st.wr_descs++;
        }
    }
}

/* Whether wr_drain would move a chunk now: what the tick's hint must not miss, since room in
 * the MWr stream appears when tx_step sends, after this tick's wr_drain has run. */
static bool wr_drain_ready(const PcieAdapter *a)
{
    if (sim_ring_empty(&a->wrr) || sim_timed_fifo_full(&a->wtx)) {
        return false;
    }
    const WrChunk *ch = &a->wr[sim_ring_head(&a->wrr)];
    if (ch->pkt == NULL) {
        return false;
    }
    const DmaDesc *d = &a->eng[DMA_ENGINE_WR].desc[ch->slot];
    bool last = d->done + ch->len == d->len;
    return !last || sim_timed_fifo_space(&a->wtx) >= 2;
}

static bool resp_step(PcieAdapter *a, SimCycle now)
{
    Sim *sim = a->c.sim;
    SimPacket *pkt;
    while ((pkt = sim_port_peek(a->mem_resp)) != NULL) {
        uint32_t src = pkt->tag >> 24;
        if (src == SRC_PIO_R && sim_timed_fifo_full(&a->cq)) {
            break;
        }
        sim_port_pop(a->mem_resp);
        switch (src) {
        case SRC_PIO_R: {
            uint32_t t = pkt->tag & 0xffu;
            pkt->type = PCIE_TLP_CPLD;
            pkt->addr += a->p.window_base;
            pkt->flags = PCIE_F_LAST;
            pkt->dst = a->pio_requester[t];
            pkt->user[0] = 0;
            pkt->user[1] = 0;
            /* the tag keeps SRC_PIO_R until the CplD leaves, for the latency statistic */
            sim_timed_fifo_push(&a->cq, now + a->p.cpl_cycles, pkt);
            break;
        }
        case SRC_PIO_W:
            free_packet(a, pkt);
            break;
        case SRC_RD: {
            uint32_t slot = pkt->tag & 0xffu;
            DmaDesc *d = &a->eng[DMA_ENGINE_RD].desc[slot];
            d->done += pkt->len;
            a->st.rd_bytes += pkt->len;
            free_packet(a, pkt);
            if (d->done == d->len) {
                if (sim_timed_fifo_full(&a->rst)) {
                    sim_fail(sim, "instance '%s': read status queue overflow", a->c.name);
                    return false;
                }
                SimPacket *s = status_write(a, DMA_ENGINE_RD, slot);
                if (s == NULL) {
                    return false;
                }
                sim_timed_fifo_push(&a->rst, now, s);
                d->active = false;
                a->st.rd_descs++;
            }
            break;
        }
        case SRC_WR: {
            uint32_t idx = pkt->tag & 0xffffffu;
            if (idx >= a->p.wr_outstanding || a->wr[idx].pkt != NULL) {
                sim_fail(sim, "instance '%s': unexpected write-mover response %u", a->c.name, idx);
                return false;
            }
            a->wr[idx].pkt = pkt;
            break;
        }
        default:
            sim_fail(sim, "instance '%s': memory response with foreign tag 0x%x", a->c.name,
                     pkt->tag);
            return false;
        }
    }
    wr_drain(a);
    return true;
}

/* ---- the tick ---- */

static SimCycle adapter_tick(SimComponent *c, SimCycle now)
{
    PcieAdapter *a = (PcieAdapter *)c;
    if (!resp_step(a, now) || !rx_step(a, now)) {
        return SIM_SLEEP;
    }
    doorbells(a, now);
    avalon_step(a, now);
    tx_step(a, now);
    if (c->sim->failed) {
        return SIM_SLEEP;
    }

    SimCycle next = SIM_SLEEP;
    if (sim_port_peek(a->rx) != NULL || wr_drain_ready(a)) {
        next = now + 1;
    }
    if (!sim_ring_empty(&a->dbr)) {
        SimCycle r = a->db[sim_ring_head(&a->dbr)].ready;
        next = min_cycle(next, r > now ? r : now + 1);
    }
    /* Avalon master */
    if (a->hold != NULL) {
        next = min_cycle(next, a->push_at > now ? a->push_at : SIM_SLEEP);
    } else if (sim_port_can_push(a->mem_req)) {
        SimCycle w =
            min_cycle(sim_timed_fifo_head_ready(&a->pq), sim_timed_fifo_head_ready(&a->rdw));
        const Engine *g = &a->eng[DMA_ENGINE_WR];
        if (!sim_ring_empty(&g->qr) && !sim_ring_full(&a->wrr)) {
            w = min_cycle(w, g->q_ready[sim_ring_head(&g->qr)]);
        }
        if (w != SIM_CYCLE_NEVER) {
            w = w > a->bus_free ? w : a->bus_free;
            next = min_cycle(next, w > now ? w : now + 1);
        }
    }
    /* TX */
    if (sim_port_can_push(a->tx)) {
        next = min_cycle(next, sim_timed_fifo_wake(&a->cq, now));
        next = min_cycle(next, sim_timed_fifo_wake(&a->wtx, now));
        next = min_cycle(next, sim_timed_fifo_wake(&a->rst, now));
        if (a->tags_used < a->p.tags) {
            if (a->eng[DMA_ENGINE_RD].to_fetch > 0 || a->eng[DMA_ENGINE_WR].to_fetch > 0) {
                next = min_cycle(next, now + 1);
            }
            const Engine *g = &a->eng[DMA_ENGINE_RD];
            if (!sim_ring_empty(&g->qr)) {
                SimCycle r = g->q_ready[sim_ring_head(&g->qr)];
                next = min_cycle(next, r > now ? r : now + 1);
            }
        }
    }
    return next;
}

static bool adapter_busy(const SimComponent *c)
{
    const PcieAdapter *a = (const PcieAdapter *)c;
    if (a->hold != NULL || !sim_ring_empty(&a->dbr) || a->tags_used ||
        sim_timed_fifo_count(&a->pq) || sim_timed_fifo_count(&a->cq) ||
        sim_timed_fifo_count(&a->rdw) || sim_timed_fifo_count(&a->wtx) ||
        sim_timed_fifo_count(&a->rst) || !sim_ring_empty(&a->wrr)) {
        return true;
    }
    for (int e = 0; e < DMA_ENGINE_MAX; e++) {
        if (a->eng[e].to_fetch || !sim_ring_empty(&a->eng[e].qr)) {
            return true;
        }
        for (uint32_t i = 0; i < DMA_RING_ENTRIES; i++) {
            if (a->eng[e].desc[i].active) {
                return true;
            }
        }
    }
    return false;
}

static void adapter_dump(const SimComponent *c, SimError *report)
{
    const PcieAdapter *a = (const PcieAdapter *)c;
    sim_error_append(report,
                     " (tags %u/%llu, read descriptors queued %u, write descriptors "
                     "queued %u, write-mover reads in flight %u, PIO %u)",
                     a->tags_used, (unsigned long long)a->p.tags, a->eng[DMA_ENGINE_RD].qr.count,
                     a->eng[DMA_ENGINE_WR].qr.count, a->wrr.count, sim_timed_fifo_count(&a->pq));
}

static void adapter_destroy(SimComponent *c)
{
    PcieAdapter *a = (PcieAdapter *)c;
    free(a->tag);
    free(a->wr);
    sim_timed_fifo_destroy(&a->pq);
    sim_timed_fifo_destroy(&a->cq);
    sim_timed_fifo_destroy(&a->rdw);
    sim_timed_fifo_destroy(&a->wtx);
    sim_timed_fifo_destroy(&a->rst);
    sim_hist_destroy(&a->st.pio_read_latency);
    sim_hist_destroy(&a->st.rd_latency);
    sim_hist_destroy(&a->st.wr_latency);
}

static const SimComponentOps adapter_ops = {
    .tick = adapter_tick,
    .busy = adapter_busy,
    .dump = adapter_dump,
    .destroy = adapter_destroy,
};

/* ---- parameters ---- */

#define P(f) offsetof(PcieAdapterParams, f)

static const SimParamDesc adapter_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "Avalon-MM clock (250 MHz at Gen3, 512-bit bus)"},
    {"mps", SIM_PARAM_BYTES, P(mps), "256B", "128B", "4KiB", NULL,
     "max payload size of the MWrs the write mover sends (power of two)"},
    {"mrrs", SIM_PARAM_BYTES, P(mrrs), "512B", "128B", "4KiB", NULL,
     "max read request size of the MRds the read mover sends (power of two)"},
    {"tags", SIM_PARAM_UINT, P(tags), "16", "1", "256", NULL,
     "outstanding MRds (descriptor fetches and data reads) at once"},
    {"regs_base", SIM_PARAM_UINT, P(regs_base), "0xf0000000", NULL, NULL, NULL,
     "BAR0: the DMA descriptor controller's registers (4 KiB)"},
    {"window_base", SIM_PARAM_UINT, P(window_base), "0x4000000000", NULL, NULL, NULL,
     "BAR2: start of the MemBox memory window in the host's address space"},
    {"window", SIM_PARAM_BYTES, P(window), "4GiB", "4KiB", "1TiB", NULL,
     "size of the MemBox memory window (BAR2)"},
    {"rd_table", SIM_PARAM_UINT, P(rd_table), "0x10000", NULL, NULL, NULL,
     "host address of the read DMA status table (descriptors at +0x200)"},
    {"wr_table", SIM_PARAM_UINT, P(wr_table), "0x20000", NULL, NULL, NULL,
     "host address of the write DMA status table (descriptors at +0x200)"},
    {"bar_cycles", SIM_PARAM_UINT, P(bar_cycles), "10", "0", "10000", NULL,
     "RX master: TLP taken to its Avalon-MM request ready, cycles"},
    {"cpl_cycles", SIM_PARAM_UINT, P(cpl_cycles), "10", "0", "10000", NULL,
     "RX master: Avalon-MM read data taken to the CplD ready, cycles"},
    {"desc_cycles", SIM_PARAM_UINT, P(desc_cycles), "4", "0", "10000", NULL,
     "descriptor controller: doorbell to fetch, and descriptor to data mover, cycles"},
    {"wr_outstanding", SIM_PARAM_UINT, P(wr_outstanding), "32", "1", "4096", NULL,
     "write mover: Avalon-MM reads in flight at once"},
    {"src", SIM_PARAM_UINT, P(src), "0", "0", "65535", NULL,
     "node id written into the Avalon-MM (mem.h) requests"},
};

#undef P

static const SimPortDesc adapter_ports[] = {
    {"rx", SIM_PORT_IN, false, "TLPs from the link (ep_rx)"},
    {"tx", SIM_PORT_OUT, false, "TLPs to the link (ep_tx)"},
    {"mem_req", SIM_PORT_OUT, false, "Avalon-MM requests (mem.h) to the MPP or the DRAM arbiter"},
    {"mem_resp", SIM_PORT_IN, false, "Avalon-MM responses (mem.h)"},
};

static const char *adapter_check(const void *params, char *msg, size_t size)
{
    const PcieAdapterParams *p = params;
    if (!is_pow2(p->mps)) {
        snprintf(msg, size, "%lluB is not a power of two", (unsigned long long)p->mps);
        return "mps";
    }
    if (!is_pow2(p->mrrs)) {
        snprintf(msg, size, "%lluB is not a power of two", (unsigned long long)p->mrrs);
        return "mrrs";
    }
    if ((p->regs_base & (REGS_SIZE - 1)) != 0) {
        snprintf(msg, size, "0x%llx is not aligned to the 4 KiB BAR",
                 (unsigned long long)p->regs_base);
        return "regs_base";
    }
    if ((p->window_base & 4095) != 0) {
        snprintf(msg, size, "0x%llx is not 4 KiB aligned", (unsigned long long)p->window_base);
        return "window_base";
    }
    if (p->regs_base < p->window_base + p->window && p->window_base < p->regs_base + REGS_SIZE) {
        snprintf(msg, size, "the registers (0x%llx) overlap the memory window",
                 (unsigned long long)p->regs_base);
        return "regs_base";
    }
    const uint64_t tables[2] = {p->rd_table, p->wr_table};
    const char *const keys[2] = {"rd_table", "wr_table"};
    for (int i = 0; i < 2; i++) {
        if ((tables[i] & 3) != 0) {
            snprintf(msg, size, "0x%llx is not DWORD aligned", (unsigned long long)tables[i]);
            return keys[i];
        }
    }
    uint64_t lo = p->rd_table < p->wr_table ? p->rd_table : p->wr_table;
    uint64_t hi = p->rd_table < p->wr_table ? p->wr_table : p->rd_table;
    if (hi - lo < DMA_DESC_OFFSET + DMA_RING_ENTRIES * DMA_DESC_BYTES) {
        snprintf(msg, size, "the read and write tables overlap (each takes 0x%x bytes)",
                 DMA_DESC_OFFSET + DMA_RING_ENTRIES * DMA_DESC_BYTES);
        return "wr_table";
    }
    if (p->wr_outstanding > 0xffffff) {
        snprintf(msg, size, "too large");
        return "wr_outstanding";
    }
    return NULL;
}

#define AD_ROW(name_, kind_, field_, unit_, scale_, doc_)                                          \
    SIM_STAT_ROW(name_, kind_, PcieAdapter, st.field_, unit_, scale_, doc_)

static const SimStatDesc adapter_stat_rows[] = {
    AD_ROW("pio_reads", SIM_STAT_COUNTER, pio_reads, "TLPs", 1, "PIO reads through BAR2"),
    AD_ROW("pio_writes", SIM_STAT_COUNTER, pio_writes, "TLPs", 1, "PIO writes through BAR2"),
    AD_ROW("doorbells", SIM_STAT_COUNTER, doorbells, "writes", 1,
           "writes of RD_DMA_LAST_PTR / WR_DMA_LAST_PTR"),
    AD_ROW("fetch_reads", SIM_STAT_COUNTER, fetch_reads, "TLPs", 1, "MRds fetching descriptors"),
    AD_ROW("data_reads", SIM_STAT_COUNTER, data_reads, "TLPs", 1, "MRds of the read data mover"),
    AD_ROW("rd_descriptors", SIM_STAT_COUNTER, rd_descs, "descriptors", 1,
           "read DMA descriptors completed (host -> MemBox)"),
    AD_ROW("wr_descriptors", SIM_STAT_COUNTER, wr_descs, "descriptors", 1,
           "write DMA descriptors completed (MemBox -> host)"),
    AD_ROW("rd_bytes", SIM_STAT_COUNTER, rd_bytes, "B", 1,
           "bytes the read DMA wrote into the MemBox"),
    AD_ROW("wr_bytes", SIM_STAT_COUNTER, wr_bytes, "B", 1, "bytes the write DMA sent to the host"),
    AD_ROW("avalon_reads", SIM_STAT_COUNTER, avalon_reads, "requests", 1,
           "Avalon-MM reads (mem.h MEM_READ)"),
    AD_ROW("avalon_writes", SIM_STAT_COUNTER, avalon_writes, "requests", 1,
           "Avalon-MM writes (mem.h MEM_WRITE)"),
    AD_ROW("avalon_beats", SIM_STAT_COUNTER, avalon_beats, "beats", 1, "512-bit beats requested"),
    AD_ROW("tags_busy", SIM_STAT_TIMEAVG, tags_busy, "tags", 1, "MRd tags in use"),
    AD_ROW("pio_read_latency_ns", SIM_STAT_HIST, pio_read_latency, "ns", 1000,
           "PIO read: MRd taken to its CplD sent"),
    AD_ROW("rd_latency_ns", SIM_STAT_HIST, rd_latency, "ns", 1000,
           "read DMA descriptor: fetched to its status write sent"),
    AD_ROW("wr_latency_ns", SIM_STAT_HIST, wr_latency, "ns", 1000,
           "write DMA descriptor: fetched to its status write sent"),
};

#undef AD_ROW

static const SimStatTable adapter_stats = {
    adapter_stat_rows, N_OF(adapter_stat_rows), NULL, 0, NULL, 0};

static bool adapter_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                          SimError *err)
{
    PcieAdapter *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        return sim_error_oom(err, name);
    }
    a->p = *(const PcieAdapterParams *)params;
    a->eng[DMA_ENGINE_RD].table = a->p.rd_table;
    a->eng[DMA_ENGINE_WR].table = a->p.wr_table;
    for (int e = 0; e < DMA_ENGINE_MAX; e++) {
        sim_ring_init(&a->eng[e].qr, DMA_RING_ENTRIES);
    }
    sim_ring_init(&a->dbr, DOORBELLS);
    uint32_t per_read = (uint32_t)(a->p.mrrs / 64) + 2;
    uint32_t wo = (uint32_t)a->p.wr_outstanding;
    a->tag = calloc(a->p.tags, sizeof(*a->tag));
    a->wr = calloc(wo, sizeof(*a->wr));
    sim_ring_init(&a->wrr, wo);
    bool ok = a->tag != NULL && a->wr != NULL && sim_timed_fifo_init(&a->pq, 512) &&
              sim_timed_fifo_init(&a->cq, 512) &&
              sim_timed_fifo_init(&a->rdw, (uint32_t)a->p.tags * per_read + 8) &&
              sim_timed_fifo_init(&a->wtx, wo + 2 * DMA_RING_ENTRIES) &&
              sim_timed_fifo_init(&a->rst, 2 * DMA_RING_ENTRIES) &&
              sim_hist_init(&a->st.pio_read_latency) && sim_hist_init(&a->st.rd_latency) &&
              sim_hist_init(&a->st.wr_latency);
    if (!ok) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    sim_timeavg_init(&a->st.tags_busy, 0, 0);
    if (!sim_add_component(sim, &a->c, name, a->p.domain, &adapter_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "rx", &a->c, &a->rx);
    sim_build_port(bld, "tx", &a->c, &a->tx);
    sim_build_port(bld, "mem_req", &a->c, &a->mem_req);
    sim_build_port(bld, "mem_resp", &a->c, &a->mem_resp);
    sim_build_stats(bld, &(SimStatBinding){.block = {a}});
    return true;

fail_parts:
    adapter_destroy(&a->c);
    free(a);
    return false;
}

/* The host's requests and the DMA engines' go out on mem_req; what it sends up the PCIe
 * link (completions, reads of host memory) is served by the root complex (fabric checks). */
static const SimPortFlow adapter_flows[] = {
    {"rx", SIM_FLOW_REQUEST, NULL},
    {"mem_req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType pcie_adapter_type = {
    .name = "pcie.adapter",
    .doc = "PCIe endpoint with the Arria 10 Avalon-MM DMA bridge: descriptor controller, read "
           "and write data movers, BAR2 PIO; Avalon-MM side speaks mem.h (docs/models/pcie.md).",
    .params = adapter_params,
    .n_params = N_OF(adapter_params),
    .params_size = sizeof(PcieAdapterParams),
    .ports = adapter_ports,
    .n_ports = N_OF(adapter_ports),
    .check = adapter_check,
    .build = adapter_build,
    .role = SIM_ROLE_ADAPTER,
    .flows = adapter_flows,
    .n_flows = N_OF(adapter_flows),
    .stats = &adapter_stats,
};
