/*
 * PCI Express transaction-layer packets as they travel between models (docs/models/pcie.md): the
 * one definition that the PCIe models (models/pcie) and the models that carry TLPs elsewhere
 * (models/expether: PCIe over Ethernet) share. DLLPs never leave pcie.link.
 *
 * SimPacket.type is shared by every protocol, each in its own block: 0x0500 - 0x05ff is PCIe's.
 * Fields of a TLP packet:
 *
 *   addr     requests: the PCIe address; completions: the address of the first byte carried
 *            (a real CplD has only the low 7 bits and the byte count; the full address keeps the
 *            requester's bookkeeping simple and does not change the timing)
 *   len      MWr/CplD: payload bytes; MRd: bytes requested
 *   tag      the requester's tag, returned in completions
 *   flags    PCIE_F_4DW: 4-DW header (64-bit address); PCIE_F_LAST: last completion of a read
 *   payload  MWr/CplD: the bytes when the source keeps real data, else NULL; the data start at
 *            payload->data + user[0]
 *   seq      the data-link sequence number (set by pcie.link)
 */
#ifndef MEMBOX_MODELS_PROTO_PCIE_H
#define MEMBOX_MODELS_PROTO_PCIE_H

#include <stdint.h>

#include "sim/core/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum PcieTlpType {
    PCIE_TLP_FIRST = 0x0500,
    PCIE_TLP_MRD = PCIE_TLP_FIRST, /* memory read request (non-posted) */
    PCIE_TLP_MWR,                  /* memory write request (posted) */
    PCIE_TLP_CPLD,                 /* completion with data */
    PCIE_TLP_END
} PcieTlpType;

#define PCIE_F_4DW  0x0001u
#define PCIE_F_LAST 0x0002u

/* TLP header bytes: 3 DW, or 4 DW with a 64-bit address. */
static inline uint32_t pcie_tlp_header_bytes(const SimPacket *pkt)
{
    return (pkt->flags & PCIE_F_4DW) ? 16u : 12u;
}

/* Payload bytes a TLP carries (an MRd's len is what it asks for, not what it carries). */
static inline uint32_t pcie_tlp_payload(const SimPacket *pkt)
{
    return pkt->type == PCIE_TLP_MRD ? 0u : pkt->len;
}

#ifdef __cplusplus
}
#endif

#endif
