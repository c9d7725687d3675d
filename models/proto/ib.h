/*
 * InfiniBand packets as the models of models/ib carry them (docs/models/ib.md section 1). The
 * sizes are the IBA specification's (Volume 1, chapter 5 "Data packet format" and 7.9
 * "Flow control"): every data packet is LRH + BTH + the extended transport headers its opcode
 * needs + payload padded to 4 bytes + ICRC + VCRC; a flow-control packet is 6 bytes.
 *
 *   | LRH 8 | BTH 12 | RETH 16 (RDMA write first/only, read request) | AETH 4 (ACK, read response
 *     first/last/only) | payload, padded to 4 (BTH.PadCnt) | ICRC 4 | VCRC 2 |
 *
 * On the wire each packet is framed by a start delimiter (SDP for data, SLP for link packets)
 * and an end delimiter (EGP), one byte position each (IB_FRAMING_BYTES).
 *
 * The fields of SimPacket mean:
 *
 *   type     an IbPacketType (the BTH opcode class, or IB_FC for a flow-control packet)
 *   len      payload bytes (0 for ACK, read request and FC); RDMA read request: bytes asked for
 *            (carried in RETH.DMALen, not as payload)
 *   flags    bits 0-3: the virtual lane (LRH.VL); IB_F_IMM: the packet carries ImmDt (4 B after
 *            the other extended headers: RDMA write last/only with immediate)
 *            IB_F_ACKREQ: BTH.AckReq (an ACK is due for this packet whatever the coalescing)
 *   crc      ImmDt, the immediate value, when flags has IB_F_IMM (the models compute no CRCs)
 *   src, dst LRH.SLID and LRH.DLID
 *   tag      BTH.DestQP (data packets); FC: FCCL, the credit limit (12 bits)
 *   seq      BTH.PSN (24 bits) (data packets); FC: FCTBS, total blocks sent (12 bits)
 *   addr     RETH.VA (RDMA write first/only, read request)
 *   user[0]  free for the model that holds the packet
 */
#ifndef MEMBOX_PROTO_IB_H
#define MEMBOX_PROTO_IB_H

#include <stdint.h>

#include "sim/core/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Packet types: SimPacket.type is shared by every protocol, this one's block is 0x0600 - 0x06ff. */
typedef enum IbPacketType {
    IB_PKT_FIRST = 0x0600,
    IB_SEND_FIRST = IB_PKT_FIRST,
    IB_SEND_MIDDLE,
    IB_SEND_LAST,
    IB_SEND_ONLY,
    IB_WRITE_FIRST, /* RDMA write: RETH on first and only */
    IB_WRITE_MIDDLE,
    IB_WRITE_LAST,
    IB_WRITE_ONLY,
    IB_READ_REQ,        /* RDMA read request: RETH, no payload */
    IB_READ_RESP_FIRST, /* RDMA read response: AETH on first, last and only */
    IB_READ_RESP_MIDDLE,
    IB_READ_RESP_LAST,
    IB_READ_RESP_ONLY,
    IB_ACK, /* RC acknowledge: AETH, no payload */
    IB_FC,  /* link layer: flow-control packet (not a data packet) */
    IB_PKT_END
} IbPacketType;

#define IB_LRH_BYTES     8u
#define IB_BTH_BYTES     12u
#define IB_RETH_BYTES    16u
#define IB_AETH_BYTES    4u
#define IB_ICRC_BYTES    4u
#define IB_VCRC_BYTES    2u
#define IB_FC_BYTES      6u      /* op 4 bits, FCTBS 12, VL 4, FCCL 12, LPCRC 16 */
#define IB_FRAMING_BYTES 2u      /* start and end delimiter */
#define IB_BLOCK_BYTES   64u     /* one flow-control credit */
#define IB_CREDIT_MOD    4096u   /* FCTBS and FCCL are 12-bit counters */
#define IB_MAX_VLS       15u     /* data VLs 0-14 (VL15 is management, not modelled) */
#define IB_IMMDT_BYTES   4u      /* immediate data extended transport header */
#define IB_F_IMM         0x0010u /* flags: ImmDt present (in SimPacket.crc) */
#define IB_F_ACKREQ      0x0020u /* flags: BTH.A, the requester asks for an ACK of this packet */

static inline int ib_is_data(uint16_t type)
{
    return type >= IB_PKT_FIRST && type < IB_FC;
}

static inline uint32_t ib_vl(const SimPacket *pkt)
{
    return pkt->flags & 0xfu;
}

static inline void ib_set_vl(SimPacket *pkt, uint32_t vl)
{
    pkt->flags = (uint16_t)((pkt->flags & ~0xfu) | (vl & 0xfu));
}

/* Bytes of the extended transport headers of a data packet type. */
static inline uint32_t ib_ext_header_bytes(uint16_t type)
{
    switch (type) {
    case IB_WRITE_FIRST:
    case IB_WRITE_ONLY:
    case IB_READ_REQ:
        return IB_RETH_BYTES;
    case IB_READ_RESP_FIRST:
    case IB_READ_RESP_LAST:
    case IB_READ_RESP_ONLY:
    case IB_ACK:
        return IB_AETH_BYTES;
    default:
        return 0;
    }
}

/* Payload bytes the packet carries on the wire (a read request asks for len, carries none). */
static inline uint32_t ib_payload_bytes(const SimPacket *pkt)
{
    return pkt->type == IB_READ_REQ || pkt->type == IB_ACK || pkt->type == IB_FC ? 0 : pkt->len;
}

/* Bytes of the packet from its first header byte to its last CRC byte (LRH .. VCRC). */
static inline uint32_t ib_packet_bytes(const SimPacket *pkt)
{
    if (pkt->type == IB_FC) {
        return IB_FC_BYTES;
    }
    uint32_t pay = (ib_payload_bytes(pkt) + 3u) & ~3u;
    uint32_t imm = (pkt->flags & IB_F_IMM) ? IB_IMMDT_BYTES : 0u;
    return IB_LRH_BYTES + IB_BTH_BYTES + ib_ext_header_bytes(pkt->type) + imm + pay +
           IB_ICRC_BYTES + IB_VCRC_BYTES;
}

/* Flow-control credits (64-byte blocks) a data packet takes at the receiver. */
static inline uint32_t ib_packet_blocks(const SimPacket *pkt)
{
    return (ib_packet_bytes(pkt) + IB_BLOCK_BYTES - 1) / IB_BLOCK_BYTES;
}

#ifdef __cplusplus
}
#endif

#endif
