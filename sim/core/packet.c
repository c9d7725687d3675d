#include "packet.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"

bool sim_packet_pool_init(SimPacketPool *p, uint32_t packets, uint32_t payload_blocks,
                          uint32_t payload_block_size)
{
    memset(p, 0, sizeof(*p));
    p->packets = calloc(packets ? packets : 1, sizeof(SimPacket));
    if (p->packets == NULL) {
        goto fail_packets;
    }
    p->capacity = packets;
    for (uint32_t i = packets; i-- > 0;) {
        p->packets[i].next = p->free_list;
        p->free_list = &p->packets[i];
    }
    if (payload_blocks > 0) {
        p->payloads = calloc(payload_blocks, sizeof(SimPayload));
        /* Sized by parameters and touched only as blocks are used: mapped (region.h). */
        p->payload_bytes = sim_region_map((size_t)payload_blocks * payload_block_size);
        if (p->payloads == NULL || p->payload_bytes == NULL) {
            goto fail_payloads;
        }
        for (uint32_t i = payload_blocks; i-- > 0;) {
            p->payloads[i].data = p->payload_bytes + (size_t)i * payload_block_size;
            p->payloads[i].next_free = p->payload_free;
            p->payload_free = &p->payloads[i];
        }
    }
    p->payload_capacity = payload_blocks;
    p->payload_block_size = payload_block_size;
    return true;

fail_payloads:
    free(p->payloads);
    sim_region_unmap(p->payload_bytes, (size_t)payload_blocks * payload_block_size);
    free(p->packets);
fail_packets:
    memset(p, 0, sizeof(*p));
    return false;
}

void sim_packet_pool_destroy(SimPacketPool *p)
{
    free(p->packets);
    free(p->payloads);
    sim_region_unmap(p->payload_bytes, (size_t)p->payload_capacity * p->payload_block_size);
    memset(p, 0, sizeof(*p));
}

SimPacket *sim_packet_pool_get(SimPacketPool *p)
{
    SimPacket *pkt = p->free_list;
    if (pkt == NULL) {
        p->exhausted = true;
        return NULL;
    }
    p->free_list = pkt->next;
    memset(pkt, 0, sizeof(*pkt));
    pkt->id = sim_packet_pool_take_id(p);
    if (++p->in_use > p->peak) {
        p->peak = p->in_use;
    }
    return pkt;
}

void sim_packet_pool_put(SimPacketPool *p, SimPacket *pkt)
{
    assert(pkt >= p->packets && pkt < p->packets + p->capacity);
    assert(p->in_use > 0);
    if (pkt->payload != NULL) {
        sim_payload_unref(p, pkt->payload);
        pkt->payload = NULL;
    }
    pkt->next = p->free_list;
    p->free_list = pkt;
    p->in_use--;
}

SimPayload *sim_payload_pool_get(SimPacketPool *p)
{
    SimPayload *pl = p->payload_free;
    if (pl == NULL) {
        p->exhausted = true;
        return NULL;
    }
    p->payload_free = pl->next_free;
    pl->next_free = NULL;
    pl->refs = 1;
    pl->size = 0;
    p->payloads_in_use++;
    return pl;
}

void sim_payload_unref(SimPacketPool *p, SimPayload *pl)
{
    assert(pl->refs > 0);
    if (--pl->refs == 0) {
        pl->next_free = p->payload_free;
        p->payload_free = pl;
        p->payloads_in_use--;
    }
}
