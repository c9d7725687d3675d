/*
 * The MemBox optical link protocol: the packets an MPP (adapter side) and an SPP (MemBox side)
 * exchange over 4 x 10GBase-R lanes (MemBox paper section 5.1.3 and 5.2.2). docs/models/link.md
 * has the byte layout, the framing on the lanes with a cycle diagram, and every timing formula;
 * this header is the one place the layout is computed from.
 *
 * Packets and what they carry (SimPacket fields):
 *
 *   type       wire  header  payload  fields
 *   LINK_MWP   0x01  2 words len B    seq, len, tag (the requester's, low 16 bits), addr, src
 *   LINK_MRD   0x02  2 words none     seq, len (bytes asked for), tag (the MPP's), addr, src
 *   LINK_MRRP  0x03  1 word  len B    seq, len, tag (returned unchanged from the MRD)
 *   LINK_ACK   0x10  1 word  none     seq = last sequence number received in order
 *   LINK_NAK   0x11  1 word  none     seq = last sequence number received in order
 *   LINK_FC    0x20  1 word  none     addr = link_fc_pack(header, data, length credits)
 *
 * Every packet ends with a trailer word on lane 0 holding its CRC-32: IEEE 802.3 CRC-32 (the
 * polynomial and conventions of zlib's crc32()) over the header bytes as encoded by
 * link_header_encode() followed by the payload bytes when they are real (payload != NULL),
 * link_packet_crc(). The model does not compute it at every hop: pkt->crc holds the trailer's
 * difference (XOR) from the CRC of the bytes the packet carries, 0 when the sender writes it.
 * A bit error on the cable XORs its syndrome into it (never 0), a cut-through sender that
 * stomps a bad packet complements it (LINK_CRC_STOMPED), and the receiver's check "the CRC of
 * what arrived equals the trailer" is pkt->crc == 0. Neither header nor payload changes between
 * the sender and the receiver of a hop, so this is the same verdict as computing both CRCs,
 * without reading the payload bytes (issue 13: payload by reference; the bytes are neither
 * copied nor read on the way, and corruption never rewrites them).
 * Data packets (MWP, MRD, MRRP) carry a 16-bit sequence number per direction and are kept for
 * retransmission until acknowledged; Ack, Nak and flow-control updates are not.
 *
 * Word 0 of every packet starts with the 10GBase-R start character /S/ (0xfb, its control bit
 * set on the 72-bit transceiver interface); header bytes follow (little endian):
 *
 *   word 0: /S/ | code | seq[15:0] | len[12:0], flags[15:13] | tag[15:0]       (data packets)
 *           /S/ | code | seq[15:0] | 0 | 0 | 0 | 0                             (Ack, Nak)
 *           /S/ | code | hdr[15:0] | data[15:0] | len[15:0]                    (FC: credits)
 *   word 1: addr[47:0] | src[7:0] | 0                                          (MWP, MRD)
 *   data:   8 bytes a word per lane, 128 bits of each 512-bit beat per lane (4 lanes)
 *   trailer (lane 0): crc[31:0] | /T/ | /I/ /I/ /I/
 *
 * SimPacket.type is shared by every protocol of models/proto; this one takes 0x0200 - 0x02ff.
 */
#ifndef MEMBOX_PROTO_LINK_H
#define MEMBOX_PROTO_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "sim/core/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum LinkPacketType {
    LINK_PKT_FIRST = 0x0200,
    LINK_MWP = LINK_PKT_FIRST, /* memory write packet: header + payload */
    LINK_MRD,                  /* memory read request: header only */
    LINK_MRRP,                 /* memory read response packet: header + payload */
    LINK_ACK,                  /* packets up to seq received in order */
    LINK_NAK,                  /* packets up to seq received; resend what follows */
    LINK_FC,                   /* flow-control update: cumulative credits */
    LINK_INT_FREE,             /* model-internal, never on the wire: buffer space returned
                                  across a clock crossing (addr entries, len beats, tag lengths) */
    LINK_PKT_END               /* one past the last value */
} LinkPacketType;

/* The code byte after /S/. */
enum {
    LINK_CODE_MWP = 0x01,
    LINK_CODE_MRD = 0x02,
    LINK_CODE_MRRP = 0x03,
    LINK_CODE_ACK = 0x10,
    LINK_CODE_NAK = 0x11,
    LINK_CODE_FC = 0x20,
};

/* XGMII control characters of 10GBase-R (IEEE 802.3 clause 46/49). */
#define LINK_CHAR_START     0xfbu
#define LINK_CHAR_TERMINATE 0xfdu
#define LINK_CHAR_IDLE      0x07u

#define LINK_WORD_BYTES         8u    /* per lane per cycle: the 64 data bits of the 72-bit word */
#define LINK_BEAT_BYTES         64u   /* one Avalon-MM beat (512 bits): the payload unit */
#define LINK_MAX_PAYLOAD        4096u /* one packet carries one Avalon burst at most */
#define LINK_MAX_LANES          8u
#define LINK_MAX_HEADER_BYTES   14u
#define LINK_SEQ_MASK           0xffffu /* sequence numbers are 16 bits */
#define LINK_LEN_MASK           0x1fffu /* length field: 13 bits, 0 .. 8191 */
#define LINK_LINE_BITS_PER_WORD 66u     /* 64b/66b: 2 sync bits per 64-bit block */

/* Where the header words travel (a parameter of the MPP and SPP). */
typedef enum LinkHeaderPlacement {
    LINK_HDR_REFERENCE = 0, /* all on lane 0, the reference lane (the paper) */
    LINK_HDR_STRIPED,       /* word i on lane i mod lanes */
    LINK_HDR_MAX
} LinkHeaderPlacement;

/* The three kinds of receive-buffer credit. */
typedef enum LinkCredit {
    LINK_CR_HDR = 0, /* header entries: RHB at the SPP, CLB at the MPP */
    LINK_CR_DATA,    /* payload in 64-byte beats: RPB at the SPP, CPB at the MPP */
    LINK_CR_LEN,     /* length entries: RPLB at the SPP, CLB at the MPP */
    LINK_CR_MAX
} LinkCredit;

static inline int link_is_data(uint16_t type)
{
    return type == LINK_MWP || type == LINK_MRD || type == LINK_MRRP;
}

static inline int link_is_wire(uint16_t type)
{
    return type >= LINK_MWP && type <= LINK_FC;
}

/* Payload bytes a packet of this type and length carries on the lanes. */
static inline uint32_t link_payload_bytes(uint16_t type, uint32_t len)
{
    return type == LINK_MWP || type == LINK_MRRP ? len : 0;
}

/* 64-byte beats of payload (the payload is packed from the first byte of the packet). */
static inline uint32_t link_beats(uint16_t type, uint32_t len)
{
    uint32_t n = link_payload_bytes(type, len);
    return (n + LINK_BEAT_BYTES - 1) / LINK_BEAT_BYTES;
}

/* Header words (8 bytes each, the first holding /S/). */
static inline uint32_t link_header_words(uint16_t type)
{
    return type == LINK_MWP || type == LINK_MRD ? 2u : 1u;
}

/* Credits a data packet consumes at the receiver: need[LINK_CR_*]. */
static inline void link_credit_need(uint16_t type, uint32_t len, uint64_t need[LINK_CR_MAX])
{
    uint32_t beats = link_beats(type, len);
    need[LINK_CR_HDR] = link_is_data(type) ? 1 : 0;
    need[LINK_CR_DATA] = beats;
    need[LINK_CR_LEN] = link_payload_bytes(type, len) > 0 ? 1 : 0;
}

/* Signed distance a - b between two 16-bit sequence numbers. */
static inline int32_t link_seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(int16_t)(uint16_t)((a - b) & LINK_SEQ_MASK);
}

static inline uint32_t link_seq_add(uint32_t a, int32_t d)
{
    return (uint32_t)((int64_t)a + d) & LINK_SEQ_MASK;
}

/* Flow-control credits packed into SimPacket.addr (16 bits each, cumulative, modulo 2^16). */
static inline uint64_t link_fc_pack(uint32_t hdr, uint32_t data, uint32_t len)
{
    return (uint64_t)(hdr & 0xffffu) | (uint64_t)(data & 0xffffu) << 16 |
           (uint64_t)(len & 0xffffu) << 32;
}

static inline uint32_t link_fc_field(uint64_t packed, LinkCredit which)
{
    return (uint32_t)(packed >> (16 * (unsigned)which)) & 0xffffu;
}

/*
 * The frame of one packet on the lanes, lanes moving in lock step (docs/models/link.md):
 *
 *   cycles          lane cycles the packet occupies: header_cycles + data_cycles + 1 (trailer)
 *   header_cycles   header words on lane 0 (reference placement) or ceil(words / lanes)
 *   data_cycles     beats x 8 / lanes: each lane carries 64 / lanes bytes of every beat
 *   lane_words[l]   words lane l carries (its /S/ word, header or data, and its /T/ word); a
 *                   lane with neither header nor data stays idle for the whole packet
 *   wire_words      sum of lane_words: 66-bit blocks on the fibres, what bit errors can hit
 */
typedef struct LinkFrame {
    uint32_t cycles;
    uint32_t header_cycles;
    uint32_t data_cycles;
    uint32_t wire_words;
    uint32_t lane_words[LINK_MAX_LANES];
} LinkFrame;

/* lanes is 1, 2, 4 or 8. */
void link_frame(uint16_t type, uint32_t len, uint32_t lanes, LinkHeaderPlacement placement,
                LinkFrame *f);

/* IEEE 802.3 CRC-32, continued from crc (0 to start), as zlib's crc32(). */
uint32_t link_crc32(uint32_t crc, const void *data, size_t n);

/*
 * The header bytes of a wire packet after /S/: 7 (one-word header) or 14 (two words), the byte
 * of word 1 after them being 0. Returns the count written to out. A field too wide for its slot
 * is cut (len to 13 bits, addr to 48, src and tag to 8 and 16): callers keep within them.
 */
uint32_t link_header_encode(const SimPacket *pkt, uint8_t out[LINK_MAX_HEADER_BYTES]);

/* The reverse, for tests and trace readers: fills type and the header fields; false if the code
 * byte is unknown or n is too short for it. */
int link_header_decode(const uint8_t *in, size_t n, SimPacket *pkt);

/* pkt->crc of a packet stomped by a cut-through sender: its trailer is the complement of the
 * CRC of its bytes. */
#define LINK_CRC_STOMPED 0xffffffffu

/* The CRC-32 of a packet's bytes: over its encoded header and its real payload bytes, if any
 * (the trailer of an intact packet; the model carries only the difference, above). */
uint32_t link_packet_crc(const SimPacket *pkt);

/* "mwp", "mrd", ... for statistics and reports; "?" for anything else. */
const char *link_type_name(uint16_t type);

#ifdef __cplusplus
}
#endif

#endif
