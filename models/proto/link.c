/*
 * The link protocol's layout: frames on the lanes, header encoding and the packet CRC.
 * models/proto/link.h documents the fields; docs/models/link.md draws them.
 */
#include "link.h"

#include <assert.h>
#include <string.h>
#include <zlib.h>

#include "sim/core/util.h"

void link_frame(uint16_t type, uint32_t len, uint32_t lanes, LinkHeaderPlacement placement,
                LinkFrame *f)
{
    assert(lanes >= 1 && lanes <= LINK_MAX_LANES && LINK_BEAT_BYTES % (lanes * 8) == 0);
    memset(f, 0, sizeof(*f));
    const uint32_t hw = link_header_words(type);
    const uint32_t beats = link_beats(type, len);
    f->data_cycles = beats * (LINK_BEAT_BYTES / LINK_WORD_BYTES) / lanes;
    f->header_cycles = placement == LINK_HDR_STRIPED ? (hw + lanes - 1) / lanes : hw;
    f->cycles = f->header_cycles + f->data_cycles + 1;
    for (uint32_t l = 0; l < lanes; l++) {
        /* Header words this lane carries. */
        uint32_t h = 0;
        if (placement == LINK_HDR_STRIPED) {
            h = hw > l ? (hw - l + lanes - 1) / lanes : 0;
        } else {
            h = l == 0 ? hw : 0;
        }
        if (h == 0 && f->data_cycles == 0) {
            continue; /* idle for this packet: no frame on this lane */
        }
        /* A lane without header words opens its frame with a start word of its own. */
        f->lane_words[l] = (h > 0 ? h : 1) + f->data_cycles + 1;
        f->wire_words += f->lane_words[l];
    }
}

uint32_t link_crc32(uint32_t crc, const void *data, size_t n)
{
    const Bytef *p = data;
    /* zlib takes uInt lengths; feed large buffers in pieces. */
    while (n > 0) {
        uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
        crc = (uint32_t)crc32((uLong)crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return crc;
}

static uint8_t type_code(uint16_t type)
{
    switch (type) {
    case LINK_MWP:
        return LINK_CODE_MWP;
    case LINK_MRD:
        return LINK_CODE_MRD;
    case LINK_MRRP:
        return LINK_CODE_MRRP;
    case LINK_ACK:
        return LINK_CODE_ACK;
    case LINK_NAK:
        return LINK_CODE_NAK;
    case LINK_FC:
        return LINK_CODE_FC;
    default:
        return 0;
    }
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

uint32_t link_header_encode(const SimPacket *pkt, uint8_t out[LINK_MAX_HEADER_BYTES])
{
    memset(out, 0, LINK_MAX_HEADER_BYTES);
    out[0] = type_code(pkt->type);
    if (pkt->type == LINK_FC) {
        put16(out + 1, link_fc_field(pkt->addr, LINK_CR_HDR));
        put16(out + 3, link_fc_field(pkt->addr, LINK_CR_DATA));
        put16(out + 5, link_fc_field(pkt->addr, LINK_CR_LEN));
        return 7;
    }
    put16(out + 1, pkt->seq & LINK_SEQ_MASK);
    if (pkt->type == LINK_ACK || pkt->type == LINK_NAK) {
        return 7;
    }
    put16(out + 3, pkt->len & LINK_LEN_MASK);
    put16(out + 5, pkt->tag & 0xffffu);
    if (link_header_words(pkt->type) == 1) {
        return 7;
    }
    for (uint32_t i = 0; i < 6; i++) {
        out[7 + i] = (uint8_t)(pkt->addr >> (8 * i));
    }
    out[13] = (uint8_t)pkt->src;
    return 14;
}

int link_header_decode(const uint8_t *in, size_t n, SimPacket *pkt)
{
    static const uint16_t types[] = {LINK_MWP, LINK_MRD, LINK_MRRP, LINK_ACK, LINK_NAK, LINK_FC};
    if (n < 7) {
        return 0;
    }
    uint16_t type = 0;
    for (size_t i = 0; i < N_OF(types); i++) {
        if (type_code(types[i]) == in[0]) {
            type = types[i];
        }
    }
    if (type == 0 || n < 7 * link_header_words(type)) {
        return 0;
    }
    pkt->type = type;
    if (type == LINK_FC) {
        pkt->addr = link_fc_pack(get16(in + 1), get16(in + 3), get16(in + 5));
        return 1;
    }
    pkt->seq = get16(in + 1);
    if (type == LINK_ACK || type == LINK_NAK) {
        return 1;
    }
    pkt->len = get16(in + 3) & LINK_LEN_MASK;
    pkt->tag = get16(in + 5);
    if (link_header_words(type) == 2) {
        pkt->addr = 0;
        for (uint32_t i = 0; i < 6; i++) {
            pkt->addr |= (uint64_t)in[7 + i] << (8 * i);
        }
        pkt->src = in[13];
    }
    return 1;
}

uint32_t link_packet_crc(const SimPacket *pkt)
{
    uint8_t hdr[LINK_MAX_HEADER_BYTES];
    uint32_t n = link_header_encode(pkt, hdr);
    uint32_t crc = link_crc32(0, hdr, n);
    uint32_t bytes = link_payload_bytes(pkt->type, pkt->len);
    if (bytes > 0 && pkt->payload != NULL) {
        uint32_t have = pkt->payload->size < bytes ? pkt->payload->size : bytes;
        crc = link_crc32(crc, pkt->payload->data, have);
    }
    return crc;
}

const char *link_type_name(uint16_t type)
{
    switch (type) {
    case LINK_MWP:
        return "mwp";
    case LINK_MRD:
        return "mrd";
    case LINK_MRRP:
        return "mrrp";
    case LINK_ACK:
        return "ack";
    case LINK_NAK:
        return "nak";
    case LINK_FC:
        return "fc";
    case LINK_INT_FREE:
        return "free";
    default:
        return "?";
    }
}
