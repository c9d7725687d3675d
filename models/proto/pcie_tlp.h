/*
 * PCIe transaction-layer packets as the models carry them (docs/models/pcie.md): the types and
 * flags shared by the PCIe models (models/pcie) and the endpoints of other folders that sit on
 * pcie.link (ib.hca).
 */
#ifndef MEMBOX_MODELS_PROTO_PCIE_TLP_H
#define MEMBOX_MODELS_PROTO_PCIE_TLP_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * TLP types. SimPacket.type is shared by every protocol, each in its own block: 0x0500 - 0x05ff
 * is PCIe's. Fields of a TLP packet:
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
typedef enum PcieTlpType {
    PCIE_TLP_FIRST = 0x0500,
    PCIE_TLP_MRD = PCIE_TLP_FIRST, /* memory read request (non-posted) */
    PCIE_TLP_MWR,                  /* memory write request (posted) */
    PCIE_TLP_CPLD,                 /* completion with data */
    PCIE_TLP_END
} PcieTlpType;

#define PCIE_F_4DW  0x0001u
#define PCIE_F_LAST 0x0002u

#ifdef __cplusplus
}
#endif

#endif
