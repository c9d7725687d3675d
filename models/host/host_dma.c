#include "host_dma.h"

#include <string.h>

#include "host.h"
#include "models/proto/mem.h"

void host_dma_init(HostDma *d, SimComponent *c, SimPort **req, uint64_t regs_base,
                   uint64_t rd_table, uint64_t wr_table, uint64_t desc_max, uint16_t src)
{
    memset(d, 0, sizeof(*d));
    d->c = c;
    d->req = req;
    d->regs_base = regs_base;
    d->table[DMA_ENGINE_RD] = rd_table;
    d->table[DMA_ENGINE_WR] = wr_table;
    d->desc_max = desc_max;
    d->src = src;
    d->cur = -1;
    for (int e = 0; e < DMA_ENGINE_MAX; e++) {
        for (uint32_t i = 0; i < DMA_RING_ENTRIES; i++) {
            d->owner[e][i] = -1;
        }
    }
}

SimPacket *host_dma_request(const HostDma *d, uint16_t type, uint64_t addr, uint32_t len,
                            uint32_t tag)
{
    Sim *sim = d->c->sim;
    SimPacket *pkt = sim_packet_new(sim);
    if (pkt == NULL) {
        return NULL;
    }
    pkt->type = type;
    pkt->addr = addr;
    pkt->len = len;
    pkt->tag = tag;
    pkt->src = d->src;
    pkt->stamp[SIM_STAMP_CREATE] = sim->now;
    pkt->stamp[SIM_STAMP_INJECT] = sim->now;
    return pkt;
}

SimPayload *host_dma_payload(const HostDma *d, uint32_t len)
{
    Sim *sim = d->c->sim;
    SimPayload *pl = sim_payload_pool_get(&sim->pool);
    if (pl == NULL) {
        sim_fail(sim, "instance '%s': payload pool exhausted: raise sim.payload_blocks",
                 d->c->name);
        return NULL;
    }
    memset(pl->data, 0, len);
    pl->size = len;
    return pl;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A MEM_WRITE of len bytes whose payload starts with n words (the rest zero), pushed on req;
 * false if the run failed. */
static bool push_write(HostDma *d, uint64_t addr, uint32_t len, const uint32_t *words, uint32_t n)
{
    SimPacket *pkt = host_dma_request(d, MEM_WRITE, addr, len, HOST_DMA_CTRL_TAG);
    SimPayload *pl = pkt != NULL ? host_dma_payload(d, len) : NULL;
    if (pl == NULL) {
        if (pkt != NULL) {
            sim_packet_free(d->c->sim, pkt);
        }
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        put32(pl->data + 4 * i, words[i]);
    }
    pkt->payload = pl;
    sim_port_push(*d->req, pkt);
    return true;
}

void host_dma_begin(HostDma *d, int32_t owner, DmaEngine engine, uint64_t host, uint64_t mb,
                    uint64_t size)
{
    d->cur = owner;
    d->engine = engine;
    d->host = host;
    d->mb = mb;
    d->size = size;
    d->off = 0;
}

static bool piece_possible(const HostDma *d)
{
    int e = d->engine;
    return d->off < d->size && d->owner[e][d->next_id[e]] < 0 &&
           d->in_ring[e] < DMA_RING_ENTRIES - 1;
}

bool host_dma_ready(const HostDma *d)
{
    return d->cur >= 0 && (piece_possible(d) || d->doorbell_due[d->engine]);
}

HostDmaStep host_dma_step(HostDma *d)
{
    const DmaEngine e = d->engine;
    if (d->cur < 0) {
        return HOST_DMA_IDLE;
    }
    if (piece_possible(d)) {
        uint32_t id = d->next_id[e];
        uint64_t len = d->size - d->off;
        len = len < d->desc_max ? len : d->desc_max;
        uint64_t host = d->host + d->off;
        uint64_t membox = d->mb + d->off;
        uint64_t src = e == DMA_ENGINE_RD ? host : membox;
        uint64_t dst = e == DMA_ENGINE_RD ? membox : host;
        const uint32_t desc[5] = {(uint32_t)src, (uint32_t)(src >> 32), (uint32_t)dst,
                                  (uint32_t)(dst >> 32), dma_desc_ctrl(id, (uint32_t)(len / 4))};
        if (!push_write(d, dma_desc_addr(d->table[e], id), DMA_DESC_BYTES, desc, 5)) {
            return HOST_DMA_FAILED;
        }
        d->owner[e][id] = d->cur;
        d->desc_start[e][id] = d->c->sim->now;
        d->desc_len[e][id] = (uint32_t)len;
        d->in_ring[e]++;
        d->next_id[e] = (id + 1) % DMA_RING_ENTRIES;
        d->doorbell_due[e] = true;
        d->doorbell_id[e] = id;
        d->off += len;
        d->descriptors++;
        return HOST_DMA_PIECE;
    }
    if (d->doorbell_due[e]) {
        if (!push_write(d, d->regs_base + dma_reg_last_ptr(e), 4, &d->doorbell_id[e], 1)) {
            return HOST_DMA_FAILED;
        }
        d->doorbell_due[e] = false;
        d->doorbells++;
        if (host_dma_described(d)) {
            d->cur = -1;
        }
        return HOST_DMA_DOORBELL;
    }
    return HOST_DMA_IDLE;
}

int32_t host_dma_status(HostDma *d, uint64_t addr)
{
    int e = -1;
    for (int i = 0; i < DMA_ENGINE_MAX; i++) {
        if (addr >= d->table[i] && addr < dma_status_addr(d->table[i], DMA_RING_ENTRIES)) {
            e = i;
        }
    }
    if (e < 0) {
        return -1; /* a write into the range that is no status entry */
    }
    uint32_t id = (uint32_t)((addr - d->table[e]) / DMA_STATUS_BYTES);
    int32_t s = d->owner[e][id];
    if (s < 0) {
        sim_fail(d->c->sim, "instance '%s': status for descriptor %u that is not in flight",
                 d->c->name, id);
        return -2;
    }
    d->owner[e][id] = -1;
    d->in_ring[e]--;
    if (d->c->track) {
        /* Descriptor written to its status reported: one piece of a transfer on the engine. */
        sim_track_async(d->c->track,
                        e == DMA_ENGINE_RD ? "DMA descriptor (read engine: host to MemBox)"
                                           : "DMA descriptor (write engine: MemBox to host)",
                        id, d->desc_start[e][id], d->c->sim->now, d->desc_len[e][id]);
    }
    return s;
}
