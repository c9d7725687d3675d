/*
 * The Intel Arria 10 Avalon-MM DMA (hard IP "Avalon-MM with DMA", UG 683425) as the MemBox
 * adapter implements it (models/pcie/pcie_adapter.c) and a node's driver programs it
 * (models/host/host_dma.c): the one definition of its register map and descriptor format that
 * both sides use.
 *
 * Two engines: the read DMA moves host memory to the MemBox, the write DMA the other way. Each
 * has a table in host memory, whose address the driver gives the engine:
 *
 *   table + 0x000   status DWORDs, one per descriptor ID: bit 0 Done     128 x 4 B
 *   table + 0x200   descriptor ring, indexed by ID                       128 x 32 B
 *
 *   descriptor (little endian)   +0  source [31:0]          +4  source [63:32]
 *                                +8  destination [31:0]     +12 destination [63:32]
 *                                +16 [24:18] ID, [17:0] size in DWORDs
 *                                +20 .. +31 reserved
 *
 * BAR0 registers: the driver writes the ID of the last descriptor it wrote into the engine's
 * LAST_PTR (read DMA 0x10, write DMA 0x110); the engine fetches the ring up to it, and writes
 * each descriptor's status DWORD when the descriptor is done. A read of LAST_PTR returns the
 * last ID announced.
 */
#ifndef MEMBOX_MODELS_PROTO_DMA_H
#define MEMBOX_MODELS_PROTO_DMA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum DmaEngine {
    DMA_ENGINE_RD = 0, /* read DMA: host -> MemBox */
    DMA_ENGINE_WR,     /* write DMA: MemBox -> host */
    DMA_ENGINE_MAX
} DmaEngine;

#define DMA_RING_ENTRIES    128u   /* descriptors per engine ring (IDs 0 .. 127) */
#define DMA_STATUS_BYTES    4u     /* one status DWORD per ID, at table + 4 x ID */
#define DMA_STATUS_DONE     0x1u   /* bit of a status DWORD the engine sets when done */
#define DMA_DESC_OFFSET     0x200u /* the descriptor ring starts at table + this */
#define DMA_DESC_BYTES      32u
#define DMA_DESC_CTRL       16u /* byte offset of the control DWORD in a descriptor */
#define DMA_DESC_ID_SHIFT   18u
#define DMA_DESC_ID_MASK    0x7fu    /* after the shift */
#define DMA_DESC_SIZE_MASK  0x3ffffu /* size in DWORDs */
#define DMA_REG_RD_LAST_PTR 0x10u
#define DMA_REG_WR_LAST_PTR 0x110u

/* BAR0 offset of an engine's LAST_PTR register. */
static inline uint32_t dma_reg_last_ptr(DmaEngine e)
{
    return e == DMA_ENGINE_RD ? DMA_REG_RD_LAST_PTR : DMA_REG_WR_LAST_PTR;
}

/* The control DWORD of a descriptor: its ID and its size in DWORDs. */
static inline uint32_t dma_desc_ctrl(uint32_t id, uint32_t dwords)
{
    return (id & DMA_DESC_ID_MASK) << DMA_DESC_ID_SHIFT | (dwords & DMA_DESC_SIZE_MASK);
}

static inline uint32_t dma_desc_ctrl_id(uint32_t ctrl)
{
    return (ctrl >> DMA_DESC_ID_SHIFT) & DMA_DESC_ID_MASK;
}

static inline uint32_t dma_desc_ctrl_dwords(uint32_t ctrl)
{
    return ctrl & DMA_DESC_SIZE_MASK;
}

/* Host addresses of an engine's descriptor and status DWORD of ID id, its table at `table`. */
static inline uint64_t dma_desc_addr(uint64_t table, uint32_t id)
{
    return table + DMA_DESC_OFFSET + (uint64_t)DMA_DESC_BYTES * id;
}

static inline uint64_t dma_status_addr(uint64_t table, uint32_t id)
{
    return table + (uint64_t)DMA_STATUS_BYTES * id;
}

#ifdef __cplusplus
}
#endif

#endif
