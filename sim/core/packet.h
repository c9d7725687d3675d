/*
 * Packets and their pools. Every packet of a run comes from one fixed-size pool made when the
 * topology is built; models take one with sim_packet_new() and give it back with
 * sim_packet_free(). Payload bytes, when a model carries real data, live in reference-counted
 * blocks of a second pool so that a retry buffer and the copy on the wire can share them.
 *
 * A pool that runs dry is a simulation error, not a silent stall: sim_packet_new() returns NULL
 * after marking the run failed ("packet pool exhausted"), and the model that asked returns
 * SIM_SLEEP; the kernel stops at the end of the instant. Raise `sim.packets` in the topology.
 */
#ifndef MEMBOX_SIM_PACKET_H
#define MEMBOX_SIM_PACKET_H

#include "sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct SimPayload {
    uint32_t refs;
    uint32_t size; /* bytes valid in data */
    uint8_t *data; /* block_size bytes owned by the pool */
    struct SimPayload *next_free;
} SimPayload;

/* Timestamps a packet carries for latency statistics; models pick the ones they need. */
typedef enum SimPacketStamp {
    SIM_STAMP_CREATE = 0, /* made by its source */
    SIM_STAMP_INJECT,     /* entered the fabric */
    SIM_STAMP_HOP,        /* entered the current hop or stage */
    SIM_STAMP_AUX,        /* free for the model */
    SIM_STAMP_MAX
} SimPacketStamp;

struct SimPacket {
    uint64_t id; /* unique per run, in allocation order: ties trace records together */
    uint64_t addr;
    uint32_t len; /* bytes the packet stands for (payload length) */
    uint32_t seq; /* link-level sequence number */
    uint32_t crc; /* link trailer: its difference from the CRC of the bytes (models/proto/link.h) */
    uint32_t tag; /* request tag, to match a response with its request */
    uint16_t type; /* model-defined (models/proto) */
    uint16_t flags;
    uint16_t src; /* node ids */
    uint16_t dst;
    SimPayload *payload; /* NULL when no real bytes are carried */
    SimTime stamp[SIM_STAMP_MAX];
    /* Cut-through (docs/kernel.md, "Packets whose tail is still coming"): a packet pushed at
     * its head carries the time its tail enters the same port; 0 when it was pushed whole. */
    SimTime tail;
    bool tail_bad;    /* cut-through: its tail will show it corrupt (act on it at the tail) */
    uint64_t user[2]; /* model-private words */
    SimPacket *next;  /* free list, or a model's own chain */
};

struct SimPacketPool {
    SimPacket *packets;
    SimPacket *free_list;
    uint32_t capacity;
    uint32_t in_use;
    uint32_t peak;
    uint64_t next_id;
    SimPayload *payloads;
    uint8_t *payload_bytes;
    SimPayload *payload_free;
    uint32_t payload_capacity;
    uint32_t payload_block_size;
    uint32_t payloads_in_use;
    bool exhausted; /* set when a request could not be served */
};

bool sim_packet_pool_init(SimPacketPool *p, uint32_t packets, uint32_t payload_blocks,
                          uint32_t payload_block_size);
void sim_packet_pool_destroy(SimPacketPool *p);

/* A zeroed packet with a fresh id, or NULL when the pool is empty (see above). */
SimPacket *sim_packet_pool_get(SimPacketPool *p);

/* The next fresh id, as sim_packet_pool_get() gives it: for a packet a model owns and reuses
 * (link read-pointer tokens), so that every packet's id is what it would be from the pool. */
static inline uint64_t sim_packet_pool_take_id(SimPacketPool *p)
{
    return p->next_id++;
}
void sim_packet_pool_put(SimPacketPool *p, SimPacket *pkt);

/* A payload block with one reference and size 0, or NULL when the pool is empty. */
SimPayload *sim_payload_pool_get(SimPacketPool *p);
static inline SimPayload *sim_payload_ref(SimPayload *pl)
{
    pl->refs++;
    return pl;
}
void sim_payload_unref(SimPacketPool *p, SimPayload *pl);

#ifdef __cplusplus
}
#endif

#endif
