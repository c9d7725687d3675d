/*
 * Helpers the link models share: parameter checks of the link layer, the writer's bookkeeping
 * of a clock-crossing buffer, read-pointer tokens, internal ports and packet copies.
 */
#include "link_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const link_placement_names[] = {"reference", "striped", NULL};
const char *const link_retry_names[] = {"go_back_n", "selective", NULL};

const char *link_lane_buffer_check(uint64_t bytes, uint64_t lanes, char *msg, size_t size,
                                   const char *what)
{
    uint64_t share = LINK_BEAT_BYTES / lanes; /* bytes of one beat on one lane */
    if (bytes % share != 0) {
        snprintf(msg, size,
                 "%s must be a multiple of %llu B (one beat's share of a lane with "
                 "%llu lanes)",
                 what, (unsigned long long)share, (unsigned long long)lanes);
        return msg;
    }
    if (bytes < LINK_MAX_PAYLOAD / lanes) {
        snprintf(msg, size,
                 "%s of %llu B per lane cannot hold one 4 KiB packet (%llu B per lane "
                 "with %llu lanes)",
                 what, (unsigned long long)bytes, (unsigned long long)(LINK_MAX_PAYLOAD / lanes),
                 (unsigned long long)lanes);
        return msg;
    }
    if (link_lane_bytes_to_beats(bytes, lanes) > 32767) {
        /* Credits travel as 16-bit cumulative counts: half the range must cover a buffer. */
        snprintf(msg, size, "%s holds more than 32767 beats (2 MiB): credits are 16 bits", what);
        return msg;
    }
    return NULL;
}

const char *link_lane_params_check(const LinkLaneParams *p, uint64_t rx_hdr, uint64_t rx_bytes,
                                   char *msg, size_t size)
{
    if (p->lanes != 1 && p->lanes != 2 && p->lanes != 4 && p->lanes != 8) {
        snprintf(msg, size, "lanes must be 1, 2, 4 or 8 (a 64-byte beat split evenly), not %llu",
                 (unsigned long long)p->lanes);
        return "lanes";
    }
    if (link_lane_buffer_check(p->rtpb_size, p->lanes, msg, size, "rtpb_size") != NULL) {
        return "rtpb_size";
    }
    if (p->fc_hdr_threshold > rx_hdr) {
        snprintf(msg, size,
                 "fc_hdr_threshold %llu exceeds the %llu entries of the receive "
                 "buffers it counts",
                 (unsigned long long)p->fc_hdr_threshold, (unsigned long long)rx_hdr);
        return "fc_hdr_threshold";
    }
    if (p->fc_data_threshold % LINK_BEAT_BYTES != 0) {
        snprintf(msg, size, "fc_data_threshold must be a multiple of 64 B (credits count beats)");
        return "fc_data_threshold";
    }
    if (p->fc_data_threshold > rx_bytes) {
        snprintf(msg, size,
                 "fc_data_threshold %llu B exceeds the %llu B of the receive payload "
                 "buffers",
                 (unsigned long long)p->fc_data_threshold, (unsigned long long)rx_bytes);
        return "fc_data_threshold";
    }
    return NULL;
}

/* ---- the writer's side of a clock-crossing buffer ---- */

void link_budget_init(LinkBudget *b, uint64_t hdr, uint64_t beats, uint64_t lens)
{
    memset(b, 0, sizeof(*b));
    b->cap[LINK_CR_HDR] = hdr;
    b->cap[LINK_CR_DATA] = beats;
    b->cap[LINK_CR_LEN] = lens;
    for (int i = 0; i < LINK_CR_MAX; i++) {
        sim_timeavg_init(&b->occ[i], 0, 0);
    }
}

/* ---- read-pointer tokens ---- */

bool link_token_send(Sim *sim, SimPort *p, LinkTokens *tk, const uint64_t amount[LINK_CR_MAX])
{
    assert(tk->n >= p->capacity);
    SimPacket *t = &tk->pkt[tk->next];
    tk->next = tk->next + 1 == tk->n ? 0 : tk->next + 1;
    t->id = sim_packet_pool_take_id(&sim->pool);
    t->type = LINK_INT_FREE;
    t->addr = amount[LINK_CR_HDR];
    t->len = (uint32_t)amount[LINK_CR_DATA];
    t->tag = (uint32_t)amount[LINK_CR_LEN];
    if (!sim_port_can_push(p)) {
        /* A token port is as deep as its buffer has entries and every token frees one. */
        sim_fail(sim, "port %s: no room for a read-pointer token (model invariant broken)",
                 p->name);
        return false;
    }
    sim_port_push(p, t);
    return true;
}

void link_token_read(const SimPacket *t, uint64_t amount[LINK_CR_MAX])
{
    amount[LINK_CR_HDR] = t->addr;
    amount[LINK_CR_DATA] = t->len;
    amount[LINK_CR_LEN] = t->tag;
}

uint32_t link_token_drain_some(SimPort *p, uint64_t acc[LINK_CR_MAX])
{
    uint32_t n = 0;
    SimPacket *t;
    while ((t = sim_port_peek(p)) != NULL) {
        sim_port_pop(p);
        uint64_t a[LINK_CR_MAX];
        link_token_read(t, a);
        for (int i = 0; i < LINK_CR_MAX; i++) {
            acc[i] += a[i];
        }
        n++;
    }
    return n;
}

/* ---- ports and packets ---- */

SimPort *link_connect(Sim *sim, SimComponent *from, const char *from_name, SimPort **from_slot,
                      SimComponent *to, const char *to_name, SimPort **to_slot, const char *port,
                      uint32_t depth, uint32_t sync, SimError *err)
{
    char name[512];
    snprintf(name, sizeof(name), "%s:%s -> %s:%s", from_name, port, to_name, port);
    return sim_connect(sim, from, from_slot, to, to_slot, depth, 0, sync, name, err);
}

SimPort *link_connect_tokens(Sim *sim, SimComponent *from, const char *from_name,
                             SimPort **from_slot, LinkTokens *tk, SimComponent *to,
                             const char *to_name, SimPort **to_slot, const char *port,
                             uint32_t depth, uint32_t sync, SimError *err)
{
    SimPort *p =
        link_connect(sim, from, from_name, from_slot, to, to_name, to_slot, port, depth, sync, err);
    if (p == NULL) {
        return NULL;
    }
    tk->n = p->capacity;
    tk->next = 0;
    tk->pkt = calloc(tk->n, sizeof(*tk->pkt));
    if (tk->pkt == NULL) {
        sim_error_oom(err, p->name);
        return NULL;
    }
    return p;
}

void link_tokens_destroy(LinkTokens *tk)
{
    free(tk->pkt);
    tk->pkt = NULL;
    tk->n = 0;
}

SimPacket *link_packet_clone(Sim *sim, const SimPacket *pkt)
{
    SimPacket *w = sim_packet_new(sim);
    if (w == NULL) {
        return NULL;
    }
    uint64_t id = w->id;
    *w = *pkt;
    w->id = id;
    w->next = NULL;
    if (w->payload != NULL) {
        sim_payload_ref(w->payload);
    }
    return w;
}
