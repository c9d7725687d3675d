/*
 * HostDma: the host side of the adapter's two DMA engines, as a node's driver uses them
 * (docs/models/host.md; register map and descriptor format in models/proto/dma.h): a transfer
 * is cut into descriptors of at most desc_max bytes, each written into the engine's ring in
 * host memory, then a doorbell write of the last descriptor id into the engine's LAST_PTR
 * register; the root complex reports each status write back on the node's notify port. Shared
 * by host.memtrace and host.ps.
 *
 *   ring of 128 ids per engine:  [ owner slot or -1 ] ... next_id -> next free id
 *   at most 127 in flight: 128 written past the last doorbell would read as none
 */
#ifndef MEMBOX_MODELS_HOST_DMA_H
#define MEMBOX_MODELS_HOST_DMA_H

#include "models/proto/dma.h"
#include "sim/core/kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOST_DMA_CTRL_TAG 0x80000000u /* tag of descriptor and doorbell writes */

/*
 * The parameter rows of the addresses a node's driver uses, shared by the nodes' tables; P(f)
 * is offsetof of field f in the node's parameter struct (uint64_t fields of these names).
 */
/* clang-format off */
#define HOST_DMA_ADDRESS_PARAMS(P)                                                                 \
    {"window_base", SIM_PARAM_UINT, P(window_base), "0x4000000000", NULL, NULL, NULL,              \
     "host address of the MemBox window (the adapter's BAR2), for PIO"},                           \
    {"regs_base", SIM_PARAM_UINT, P(regs_base), "0xf0000000", NULL, NULL, NULL,                    \
     "host address of the DMA registers (the adapter's BAR0), for doorbells"},                     \
    {"rd_table", SIM_PARAM_UINT, P(rd_table), "0x10000", NULL, NULL, NULL,                         \
     "host address of the read DMA status table (descriptors at +0x200)"},                         \
    {"wr_table", SIM_PARAM_UINT, P(wr_table), "0x20000", NULL, NULL, NULL,                         \
     "host address of the write DMA status table (descriptors at +0x200)"}
/* clang-format on */

/* The statistics rows of the driver's counters, shared by the nodes' tables; the node's struct T
 * keeps its HostDma as member `dma`. */
#define HOST_DMA_STAT_ROWS(T)                                                                      \
    SIM_STAT_ROW("descriptors", SIM_STAT_COUNTER, T, dma.descriptors, "descriptors", 1,            \
                 "DMA descriptors written"),                                                       \
        SIM_STAT_ROW("doorbells", SIM_STAT_COUNTER, T, dma.doorbells, "writes", 1,                 \
                     "doorbell writes")

typedef struct HostDma {
    SimComponent *c;
    SimPort **req;                  /* the node's request port (its slot: connected after build) */
    uint64_t regs_base;             /* BAR0: LAST_PTR registers */
    uint64_t table[DMA_ENGINE_MAX]; /* status tables; descriptors at + 0x200 */
    uint64_t desc_max;
    uint16_t src;
    /* the transfer being described */
    int32_t cur; /* its owner (the node's slot), -1 when none */
    DmaEngine engine;
    uint64_t host, mb, size, off;
    uint32_t next_id[DMA_ENGINE_MAX];
    int32_t owner[DMA_ENGINE_MAX][DMA_RING_ENTRIES];
    uint32_t in_ring[DMA_ENGINE_MAX];
    bool doorbell_due[DMA_ENGINE_MAX];
    uint32_t doorbell_id[DMA_ENGINE_MAX];
    SimTime desc_start[DMA_ENGINE_MAX][DMA_RING_ENTRIES]; /* timeline: descriptor written */
    uint32_t desc_len[DMA_ENGINE_MAX][DMA_RING_ENTRIES];
    uint64_t descriptors; /* statistics */
    uint64_t doorbells;
} HostDma;

void host_dma_init(HostDma *d, SimComponent *c, SimPort **req, uint64_t regs_base,
                   uint64_t rd_table, uint64_t wr_table, uint64_t desc_max, uint16_t src);

/* A memory request from the node, stamped now; NULL (the run failed) when the pool is empty. */
SimPacket *host_dma_request(const HostDma *d, uint16_t type, uint64_t addr, uint32_t len,
                            uint32_t tag);
/* A zeroed payload of len bytes; NULL (the run failed) when the pool is empty. */
SimPayload *host_dma_payload(const HostDma *d, uint32_t len);

/* Starts describing a transfer of size bytes between host and MemBox address mb on engine e,
 * owned by the node's slot `owner`. */
void host_dma_begin(HostDma *d, int32_t owner, DmaEngine engine, uint64_t host, uint64_t mb,
                    uint64_t size);

typedef enum HostDmaStep {
    HOST_DMA_IDLE = 0, /* nothing can go now (a free descriptor id is awaited) */
    HOST_DMA_PIECE,    /* a descriptor went: the owner has one more piece in flight */
    HOST_DMA_DOORBELL, /* a doorbell went; d->cur is -1 once the transfer is fully described */
    HOST_DMA_FAILED,   /* the run failed (pool exhausted) */
    HOST_DMA_STEP_MAX
} HostDmaStep;

/* Pushes the next descriptor or doorbell of the current transfer; the port must have room. */
HostDmaStep host_dma_step(HostDma *d);

/* Whether host_dma_step would push now. */
bool host_dma_ready(const HostDma *d);

/* Whether every descriptor of the current transfer is written (doorbell may still be due). */
static inline bool host_dma_described(const HostDma *d)
{
    return d->off == d->size;
}

/* A status write the root complex reported at addr: the owner whose piece completed, -1 if addr
 * is no status entry, -2 (the run failed) if that descriptor was not in flight. */
int32_t host_dma_status(HostDma *d, uint64_t addr);

#ifdef __cplusplus
}
#endif

#endif
