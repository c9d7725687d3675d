/*
 * PCI Express Gen3 models (docs/models/pcie.md):
 *
 *   pcie.link     one Gen3 link, both directions, at symbol timing: 128b/130b blocks, SKP ordered
 *                 sets, TLP framing, flow-control credits with UpdateFC DLLPs, Ack DLLPs and the
 *                 replay buffer. Ports rc_tx/rc_rx (root-port end), ep_tx/ep_rx (endpoint end).
 *   pcie.rc       the root complex: host memory, the CPU's uncached (PIO) path to the device's
 *                 BARs, completions for the device's DMA reads, notification of the device's
 *                 status writes. CPU side speaks models/proto/mem.h (cpu_req, cpu_resp, notify).
 *   pcie.adapter  the FPGA endpoint of the MemBox adapter (and of the MemBox itself): the Intel
 *                 Arria 10 "Avalon-MM with DMA" bridge: descriptor controller, read and write data
 *                 movers, the BAR2 RX master for PIO; its Avalon-MM side speaks mem.h
 *                 (mem_req, mem_resp) towards the MPP or the DRAM arbiter.
 *
 * Transaction-layer packets travel between these models as SimPackets of models/proto/pcie.h;
 * DLLPs never leave pcie.link.
 */
#ifndef MEMBOX_MODELS_PCIE_H
#define MEMBOX_MODELS_PCIE_H

#include "models/proto/pcie.h"
#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType pcie_link_type;
extern const SimModelType pcie_rc_type;
extern const SimModelType pcie_adapter_type;

/* TLP types (PCIE_TLP_*), flags and field meanings: models/proto/pcie.h. */

/* Flow-control credit types (PCIe 3.0 section 2.6.1). */
typedef enum PcieFcType {
    PCIE_FC_P = 0, /* posted: MWr */
    PCIE_FC_NP,    /* non-posted: MRd */
    PCIE_FC_CPL,   /* completions */
    PCIE_FC_MAX
} PcieFcType;

/* ---- Gen3 physical-layer timing: pure functions, shared by the model and its tests ---- */

/* 8 GT/s: one unit interval is 125 ps; a symbol (8 bits on a lane) 1 ns; a 128b/130b block
 * 16 symbols plus the 2-bit sync header, 16.25 ns. */
#define PCIE_UI_PS         125u
#define PCIE_SYMBOL_PS     1000u
#define PCIE_SYNC_PS       250u
#define PCIE_BLOCK_PS      16250u
#define PCIE_BLOCK_SYMBOLS 16u

/* Bytes on the wire around a TLP: 4-byte STP token (with the sequence number) + 4-byte LCRC. */
#define PCIE_TLP_FRAMING 8u
/* A DLLP with its 2-byte SDP token and 2-byte CRC. */
#define PCIE_DLLP_BYTES 8u

typedef struct PciePhy {
    uint32_t lanes;        /* 1, 2, 4, 8 or 16 */
    uint32_t skp_interval; /* data blocks between SKP ordered sets; 0: none */
    SimTime t0;            /* start of block 0 */
} PciePhy;

/* Wire bytes of a TLP: framing + header (12 or 16) + payload. */
static inline uint32_t pcie_tlp_wire_bytes(uint32_t header_bytes, uint32_t payload)
{
    return PCIE_TLP_FRAMING + header_bytes + payload;
}

/* Time at which the symbol time carrying data-stream byte b starts. */
SimTime pcie_phy_symbol_start(const PciePhy *phy, uint64_t b);

/* First data-stream byte at lane 0 of a symbol time starting at or after t (skipping SKP
 * blocks and sync headers). */
uint64_t pcie_phy_first_byte_at(const PciePhy *phy, SimTime t);

/* End of a packet of len bytes starting at byte b: the end of its last symbol time. */
static inline SimTime pcie_phy_packet_end(const PciePhy *phy, uint64_t b, uint32_t len)
{
    return pcie_phy_symbol_start(phy, b + len - 1) + PCIE_SYMBOL_PS;
}

/*
 * Where a packet that may start at time `ready` goes when the data stream is free from byte
 * `free_b`: back to back at free_b if that symbol time starts at or after `ready`, else at lane
 * 0 of the first symbol time at or after `ready` (IDL tokens fill the gap).
 */
uint64_t pcie_phy_place(const PciePhy *phy, uint64_t free_b, SimTime ready);

/* Data-stream bytes per second at 8 GT/s after 128b/130b and SKP ordered sets. */
double pcie_phy_data_rate(const PciePhy *phy);

/* The PCIe 3.0 Ack latency limit / UpdateFC guideline at 8 GT/s, in symbol times, for a link
 * width and max payload size (base spec tables "Maximum Ack Latency Limits" and "UpdateFC
 * Transmission Latency Guidelines"; they are equal at 8 GT/s). 0 for a width not in them. */
uint32_t pcie_spec_ack_symbols(uint32_t lanes, uint32_t mps);

/* ---- functional memory views for tests and tools (not for the tick path) ---- */

#ifdef __cplusplus
}
#endif

#endif
