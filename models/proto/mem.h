/*
 * Memory requests and responses: the packets every model that reads or writes the MemBox's
 * DDR3 exchanges with the DRAM controller (models/dram) and the arbiter in front of it. An
 * SPP, the MemBox host's PCIe path and the standalone trace player all speak it.
 *
 * One request is one Avalon-MM transaction on the 512-bit bus: a burst of len / 64 beats (a
 * partial first or last beat is a beat with byte enables). The fields of SimPacket mean:
 *
 *   type     MEM_READ or MEM_WRITE; the controller turns the same packet into MEM_READ_RESP or
 *            MEM_WRITE_ACK and sends it back
 *   addr     byte address in the memory behind the controller (wrapped to its capacity)
 *   len      bytes, 1 .. MEM_MAX_LEN
 *   tag      the requester's, returned unchanged, so it can match responses to requests
 *   src      the requesting node id, returned unchanged (dst is set to it in the response)
 *   payload  MEM_WRITE: the bytes to write (payload->size == len), or NULL to write the
 *            deterministic pattern below (trace-driven traffic, ARCHITECTURE.md section 4);
 *            MEM_READ_RESP: the bytes read (when the controller keeps a functional store),
 *            else NULL; MEM_READ and MEM_WRITE_ACK: NULL
 *   user[1]  the return route: each arbiter on the way pushes the index of the port the
 *            request came in on, and pops it to send the response back out of that port
 *   stamps   free for the requester; the DRAM models do not touch them
 *
 * Ordering: responses come back on the port the request came in on, in completion order, not
 * request order (FR-FCFS reorders); match them by tag. The data of a read are the memory's
 * contents at the moment the controller accepted it, after every write accepted before it:
 * the memory is sequentially consistent in acceptance order.
 *
 * The pattern: a write without payload stores, at each byte address a, byte (a mod 8) (little
 * endian) of mem_pattern_word(a - a mod 8, v), where v is the new version of the 64 B line
 * holding a: 1 after its first write, 2 after the second, and so on. Anyone can recompute it.
 */
#ifndef MEMBOX_PROTO_MEM_H
#define MEMBOX_PROTO_MEM_H

#include <stdint.h>

#include "sim/core/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Packet types of the memory protocol. SimPacket.type is shared by every protocol of
 * models/proto, so each takes its own block of values: 0x0100 - 0x01ff is this one's.
 */
typedef enum MemPacketType {
    MEM_PKT_FIRST = 0x0100,
    MEM_READ = MEM_PKT_FIRST, /* request: read len bytes at addr */
    MEM_WRITE,                /* request: write len bytes at addr */
    MEM_READ_RESP,            /* response to MEM_READ, carrying the data */
    MEM_WRITE_ACK,            /* response to MEM_WRITE */
    MEM_PKT_END               /* one past the last value */
} MemPacketType;

/* One Avalon-MM beat (512 bits) is one DDR3 BL8 burst of a 64-bit channel. */
#define MEM_BEAT_BYTES 64u
/* The longest request a controller must accept (one Avalon burst of 64 beats). */
#define MEM_MAX_LEN 4096u

static inline int mem_is_request(uint16_t type)
{
    return type == MEM_READ || type == MEM_WRITE;
}

/* Avalon beats a transfer of len bytes at addr occupies (partial beats count). */
static inline uint32_t mem_beats(uint64_t addr, uint32_t len)
{
    if (len == 0) {
        return 0;
    }
    uint64_t first = addr / MEM_BEAT_BYTES;
    uint64_t last = (addr + len - 1) / MEM_BEAT_BYTES;
    return (uint32_t)(last - first + 1);
}

/* ---- the return route in user[1]: 8 bits per arbiter level, up to 8 levels ---- */

static inline void mem_route_push(SimPacket *pkt, uint32_t port)
{
    pkt->user[1] = (pkt->user[1] << 8) | (port & 0xffu);
}

static inline uint32_t mem_route_pop(SimPacket *pkt)
{
    uint32_t port = (uint32_t)(pkt->user[1] & 0xffu);
    pkt->user[1] >>= 8;
    return port;
}

/* ---- the deterministic write pattern ---- */

/* splitmix64's finaliser of (8-byte-aligned address, version): a pattern that differs from one
 * word to the next and from one version to the next. */
static inline uint64_t mem_pattern_word(uint64_t addr8, uint32_t version)
{
    uint64_t z = addr8 ^ ((uint64_t)version * 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint8_t mem_pattern_byte(uint64_t addr, uint32_t version)
{
    return (uint8_t)(mem_pattern_word(addr & ~(uint64_t)7, version) >> (8 * (addr & 7)));
}

/* Fill dst with the pattern of bytes [addr, addr + len) at one version. */
static inline void mem_pattern_fill(uint8_t *dst, uint64_t addr, uint32_t len, uint32_t version)
{
    uint32_t i = 0;
    while (i < len && ((addr + i) & 7) != 0) {
        dst[i] = mem_pattern_byte(addr + i, version);
        i++;
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t w = mem_pattern_word(addr + i, version);
        for (uint32_t j = 0; j < 8; j++) {
            dst[i + j] = (uint8_t)(w >> (8 * j));
        }
    }
    for (; i < len; i++) {
        dst[i] = mem_pattern_byte(addr + i, version);
    }
}

/* The initial contents of a memory with `init: pattern` (every line at version 0), in the form
 * of a SimMemFill (sim/core/region.h). */
static inline void mem_pattern_initial(uint8_t *dst, uint64_t addr, size_t len)
{
    mem_pattern_fill(dst, addr, (uint32_t)len, 0);
}

#ifdef __cplusplus
}
#endif

#endif
