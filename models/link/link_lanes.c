/*
 * The lane group of an MPP or SPP (NAME.lanes, in the lane clock): the request/completion packet
 * formatter that hands 64 bits per lane per cycle to the transceivers, the retry controller with
 * its retry buffers, the packet analyser that checks what arrives, and both ends of flow
 * control. The lanes move in lock step (lane 0, the reference lane, carries the header and the
 * other lanes their share of each beat in the same cycles), so one component serialises all of
 * them; per-lane words are counted for the utilisation statistics. It computes when a packet's
 * last word leaves instead of ticking per word (docs/models/link.md has the frame and formulas).
 *
 * Per tick, in this order (the order is part of the timing the doc derives):
 *   1. tokens from the reader of the receive buffers: credits to advertise;
 *   2. packets visible on `rx` enter the receive PHY (a port from this component to itself
 *      whose latency is `phy_rx_cycles`, so that taking a packet out of it is an event the
 *      kernel sees); those that come out are analysed: CRC, then Ack/Nak (retry controller),
 * flow-control update (credits), or a data packet (in order: to `dst`; duplicate: dropped and
 * Acked; out of order: dropped and Naked, or held in the reorder buffer in selective mode);
 *   3. the transmit PHY hands packets whose last word left `phy_tx_cycles` ago to `tx`;
 *   4. when the lanes are free the formatter starts one packet, by priority: Nak, Ack (when the
 *      coalescing count or delay is reached, or a duplicate arrived), flow-control update, a
 *      resend (after a Nak or a timeout), a new data packet (needs the far side's credits and
 *      room in the retry buffers);
 *   5. a token tells the writer of `src` what the formatter read.
 *
 * The retry buffer (RTHB entries; RTLB, RTAB and RTPB for packets with payload):
 *
 *       head: oldest unacknowledged, seq = acked + 1          tail: next new packet
 *        v                                                      v
 *   [ e0 | e1 | e2 | .. | e(n-1) | free .. ]  (mod rthb_depth)
 *               ^ replay_next (go-back-n: next to resend)
 *
 *   RTPB: [ .. | payload e0 | payload e1 | .. ]  (mod its beats); RTAB holds each start
 *
 * An Ack for seq s frees every entry up to s; a Nak for s frees them too and resends the rest
 * (go_back_n) or the one after s (selective); the replay timer, restarted whenever an Ack or
 * Nak frees something, resends when it expires.
 */
#include "link_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/ring.h"

const char *const link_type_keys[LINK_NTYPES] = {"mwp", "mrd", "mrrp", "ack", "nak", "fc"};

typedef struct LinkTimed {
    SimPacket *pkt;
    SimCycle at;
    SimCycle tail; /* transmit PHY: cycle its tail is pushed (a data packet goes at its header) */
} LinkTimed;

/* A bounded FIFO of packets, each with a cycle. */
typedef struct LinkQueue {
    LinkTimed *e;
    SimRing r; /* over e */
} LinkQueue;

typedef struct LinkRetryEntry {
    SimPacket *pkt;     /* the packet as first sent; each transmission sends a copy */
    uint32_t beats;     /* its share of RTPB */
    uint64_t rtpb_addr; /* RTAB: where its payload starts in RTPB, in beats */
    bool payload;       /* holds an RTLB and an RTAB entry */
    bool resend;        /* selective: marked for retransmission */
} LinkRetryEntry;

/* A received packet whose head is in and whose tail is not (at most one per wire). */
typedef struct LinkRxWait {
    bool active;
    bool early;     /* handed on at its header (cut_through); else held in pkt */
    bool bad;       /* early: its CRC fails at the tail */
    bool stomped;   /* early: ... because the sender stomped it (no Nak) */
    SimPacket *pkt; /* held until the tail (not early) */
    SimCycle at;    /* cycle its tail is analysed */
    uint16_t type;  /* early: what was handed on */
    uint32_t len;
    SimTime hop; /* early: its first transmission start (link_latency_ns) */
} LinkRxWait;

struct LinkLanes {
    SimComponent c;
    SimPort *src;
    SimPort *src_free;
    LinkTokens src_tokens; /* the packets of src_free */
    SimPort *dst;
    SimPort *dst_free;
    SimPort *tx;
    SimPort *rx;
    SimPort *done;
    SimPort *rx_phy; /* receive PHY: a port to ourselves, latency phy_rx_cycles */
    LinkLaneParams p;
    LinkRole role;
    uint32_t lanes;
    LinkHeaderPlacement placement;
    uint16_t wire_format; /* lanes | placement << 4: both ends must agree */
    uint64_t timeout_cycles;
    uint32_t head_replays; /* replays in a row that started at the oldest unacknowledged packet */
    uint64_t ack_delay_cycles;
    uint64_t refresh_cycles;
    uint64_t fc_threshold[LINK_CR_MAX];
    uint64_t need_max[LINK_CR_MAX]; /* the most one packet can need of our receive buffers */

    /* ---- transmit: formatter and retry controller ---- */
    SimCycle tx_free; /* first cycle the lanes can start a packet */
    /* The frame of the latest packet of each type and its len (a run sends few sizes). */
    LinkFrame frame[LINK_NTYPES];
    uint32_t frame_len[LINK_NTYPES]; /* UINT32_MAX: none yet */
    uint32_t next_seq;
    LinkRetryEntry *retry;
    SimRing rt; /* over retry: RTHB, oldest unacknowledged first */
    uint32_t rtlb_cap;
    uint32_t rtlb_used;
    uint32_t rtab_cap;
    uint32_t rtab_used;
    uint64_t rtpb_cap; /* beats */
    uint64_t rtpb_used;
    uint64_t rtpb_tail;
    bool replaying; /* go-back-n: resending from replay_next */
    uint32_t replay_next;
    uint32_t n_resend;              /* selective: entries marked */
    SimCycle rt_timer;              /* replay timer start, SIM_CYCLE_NEVER when stopped */
    uint64_t cr_limit[LINK_CR_MAX]; /* far receiver's credits, cumulative */
    uint64_t cr_used[LINK_CR_MAX];
    bool cr_known;                  /* its first update has arrived */
    LinkQueue phy;                  /* packets in the transmit PHY, at = cycle pushed to tx */
    uint64_t src_read[LINK_CR_MAX]; /* read from src this tick: the token to send */
    LinkQueue parked;               /* acknowledged MWPs waiting for `done` (MPP, write_ack link) */
    int stall_now;                  /* why a ready data packet waits at this tick (LINK_STALL_*) */
    int stall;                      /* the stall being counted, since stall_since */
    SimCycle stall_since;

    /* ---- receive: packet analyser ---- */
    uint32_t rx_expected; /* next sequence number in order */
    uint32_t rx_unacked;  /* received in order since the last Ack */
    SimCycle ack_due;
    bool ack_now; /* a duplicate arrived: Ack at once */
    bool nak_pending;
    bool nak_blocked;    /* a Nak went out; none again until progress */
    SimPacket **reorder; /* selective: held out-of-order packets */
    uint32_t reorder_cap;
    uint32_t reorder_base; /* slot of rx_expected */
    uint32_t reorder_count;
    LinkRxWait wait;
    uint64_t rx_penalty[LINK_CR_MAX]; /* space of discarded cut-through packets: no credits */
    LinkBudget rxbuf;                 /* own receive buffers: accepted - freed */
    const char *rx_names[LINK_CR_MAX];
    uint64_t rx_freed[LINK_CR_MAX];      /* cumulative space returned by the reader */
    uint64_t rx_advertised[LINK_CR_MAX]; /* cumulative allocation last sent */
    uint64_t rx_received[LINK_CR_MAX];   /* cumulative credits used by accepted packets */
    bool fc_init;
    bool fc_credits_due; /* fc_credit_check() of the counters above, kept when they change */
    SimCycle last_fc_sent;
    SimCycle last_data_rx;

    LinkLanesStats st;
};

/* ---- small FIFOs ---- */

/* cap 0: a queue never pushed (one slot is kept so that the ring is well formed). */
static bool queue_init(LinkQueue *q, uint32_t cap)
{
    sim_ring_init(&q->r, cap ? cap : 1);
    q->e = calloc(q->r.cap, sizeof(*q->e));
    return q->e != NULL;
}

static void queue_push(LinkQueue *q, SimPacket *pkt, SimCycle at, SimCycle tail)
{
    LinkTimed *t = &q->e[sim_ring_push(&q->r)];
    t->pkt = pkt;
    t->at = at;
    t->tail = tail;
}

static SimPacket *queue_pop(LinkQueue *q)
{
    return q->e[sim_ring_pop(&q->r)].pkt;
}

static SimTime now_ps(const LinkLanes *l)
{
    return l->c.sim->now;
}

static int type_index(uint16_t type)
{
    return (int)type - LINK_MWP;
}

/* ---- retry buffer ---- */

static LinkRetryEntry *retry_at(LinkLanes *l, uint32_t i)
{
    return &l->retry[sim_ring_slot(&l->rt, i)];
}

static void retry_occ(LinkLanes *l)
{
    SimTime t = now_ps(l);
    sim_timeavg_set(&l->st.rthb_occ, t, l->rt.count);
    sim_timeavg_set(&l->st.rtlb_occ, t, l->rtlb_used);
    sim_timeavg_set(&l->st.rtab_occ, t, l->rtab_used);
    sim_timeavg_set(&l->st.rtpb_occ, t, l->rtpb_used);
}

static bool retry_fits(const LinkLanes *l, bool payload, uint32_t beats)
{
    if (sim_ring_full(&l->rt)) {
        return false;
    }
    return !payload || (l->rtlb_used < l->rtlb_cap && l->rtab_used < l->rtab_cap &&
                        l->rtpb_used + beats <= l->rtpb_cap);
}

static void retry_append(LinkLanes *l, SimPacket *pkt, bool payload, uint32_t beats)
{
    LinkRetryEntry *e = &l->retry[sim_ring_push(&l->rt)];
    e->pkt = pkt;
    e->beats = beats;
    e->payload = payload;
    e->resend = false;
    e->rtpb_addr = l->rtpb_tail;
    if (payload) {
        l->rtlb_used++;
        l->rtab_used++;
        l->rtpb_used += beats;
        l->rtpb_tail = (l->rtpb_tail + beats) % l->rtpb_cap;
    }
    retry_occ(l);
}

/* Sequence number of the oldest unacknowledged packet. */
static uint32_t retry_head_seq(const LinkLanes *l)
{
    return link_seq_add(l->next_seq, -(int32_t)l->rt.count);
}

/*
 * A resend starts (after a Nak or a timeout) at the oldest unacknowledged packet. `retry_limit`
 * of them in a row without that packet getting through is a link failure: a run error naming
 * the link, its counters and the packet, instead of retransmitting forever (the run ends; the
 * error says which link and why). False when the run failed.
 */
static bool replay_counted(LinkLanes *l)
{
    if (l->p.retry_limit == 0 || ++l->head_replays <= l->p.retry_limit) {
        return true;
    }
    const SimPacket *h = l->retry[sim_ring_head(&l->rt)].pkt;
    sim_fail(l->c.sim,
             "link failure at %s: the oldest unacknowledged packet (seq %u, %s, addr 0x%llx, "
             "%u bytes) was resent %llu times in a row without getting through (retry_limit "
             "%llu); %llu retransmits, %llu timeouts, %llu CRC errors on this link so far",
             l->c.name, retry_head_seq(l), link_type_keys[h->type - LINK_MWP],
             (unsigned long long)h->addr, h->len, (unsigned long long)l->head_replays - 1,
             (unsigned long long)l->p.retry_limit, (unsigned long long)l->st.retransmits,
             (unsigned long long)l->st.timeouts, (unsigned long long)l->st.crc_errors);
    return false;
}

static void retry_free_head(LinkLanes *l)
{
    l->head_replays = 0; /* the oldest packet got through */
    LinkRetryEntry *e = &l->retry[sim_ring_pop(&l->rt)];
    SimPacket *pkt = e->pkt;
    if (e->payload) {
        l->rtlb_used--;
        l->rtab_used--;
        l->rtpb_used -= e->beats;
    }
    if (e->resend) {
        l->n_resend--;
    }
    e->pkt = NULL;
    sim_hist_record(&l->st.retry_time, now_ps(l) - pkt->stamp[SIM_STAMP_HOP]);
    if (l->done != NULL && pkt->type == LINK_MWP && pkt->user[0] != 0) {
        /* The core answers the write once it is acknowledged: it waits in `parked`. */
        queue_push(&l->parked, pkt, 0, 0);
    } else {
        sim_packet_free(l->c.sim, pkt);
    }
}

/* Ack (or Nak) for seq: free what it covers; a Nak also asks for a resend. */
static void retry_acknowledge(LinkLanes *l, SimCycle now, uint32_t seq, bool nak)
{
    int32_t n = link_seq_diff(seq, retry_head_seq(l)) + 1; /* entries covered */
    if (n < 0) {
        n = 0; /* stale: everything it covers is gone already */
    }
    if ((uint32_t)n > l->rt.count) {
        sim_fail(l->c.sim, "component %s: %s for sequence %u, which was never sent (next %u)",
                 l->c.name, nak ? "Nak" : "Ack", seq, l->next_seq);
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        retry_free_head(l);
    }
    if (n > 0) {
        l->replay_next = l->replay_next > (uint32_t)n ? l->replay_next - (uint32_t)n : 0;
        l->rt_timer = !sim_ring_empty(&l->rt) ? now : SIM_CYCLE_NEVER;
        retry_occ(l);
    }
    if (l->replaying && l->replay_next >= l->rt.count) {
        l->replaying = false;
    }
    if (!nak || sim_ring_empty(&l->rt)) {
        return;
    }
    l->st.replays++;
    if (l->c.track) {
        sim_track_instant(l->c.track, "replay (Nak)", now_ps(l), seq);
    }
    if (!replay_counted(l)) {
        return;
    }
    if (l->p.retry_mode == LINK_RETRY_GO_BACK_N) {
        l->replaying = true;
        l->replay_next = 0;
    } else if (!l->retry[sim_ring_head(&l->rt)].resend) {
        l->retry[sim_ring_head(&l->rt)].resend = true;
        l->n_resend++;
    }
    l->rt_timer = SIM_CYCLE_NEVER; /* restarts when the resend has gone out */
}

/* ---- receive buffers and flow control ---- */

static void fc_credits_recheck(LinkLanes *l);

static void rx_accept(LinkLanes *l, const SimPacket *pkt)
{
    uint64_t need[LINK_CR_MAX];
    link_credit_need(pkt->type, pkt->len, need);
    for (int i = 0; i < LINK_CR_MAX; i++) {
        l->rx_received[i] += need[i];
    }
    fc_credits_recheck(l);
    link_budget_take(&l->rxbuf, now_ps(l), need);
}

static void rx_deliver(LinkLanes *l, SimPacket *pkt)
{
    if (!sim_port_can_push(l->dst)) {
        sim_fail(l->c.sim,
                 "component %s: receive buffer %s full although credited (flow "
                 "control broken)",
                 l->c.name, l->dst->name);
        sim_packet_free(l->c.sim, pkt);
        return;
    }
    sim_hist_record(&l->st.one_way, now_ps(l) - pkt->stamp[SIM_STAMP_HOP]);
    pkt->flags = 0;
    pkt->user[0] = 0;
    l->st.delivered++;
    sim_port_push(l->dst, pkt);
}

static uint64_t rx_alloc(const LinkLanes *l, int i)
{
    return l->rxbuf.cap[i] + l->rx_freed[i] - l->rx_penalty[i];
}

/* Whether the allocation not yet advertised asks for an update now: a threshold crossed, or
 * fresh space while the far side may be waiting for it. It depends only on the receive-buffer
 * counters, so it is computed when one of them changes (fc_credits_recheck) and not at every
 * tick that looks for something to send. */
static bool fc_credit_check(const LinkLanes *l)
{
    bool fresh = false;
    bool starving = false;
    for (int i = 0; i < LINK_CR_MAX; i++) {
        uint64_t fresh_i = rx_alloc(l, i) - l->rx_advertised[i];
        if (fresh_i >= l->fc_threshold[i]) {
            return true;
        }
        fresh = fresh || fresh_i > 0;
        /* The far side may be waiting for space it cannot see yet. */
        starving = starving || l->rx_advertised[i] - l->rx_received[i] < l->need_max[i];
    }
    return fresh && starving;
}

static void fc_credits_recheck(LinkLanes *l)
{
    l->fc_credits_due = fc_credit_check(l);
}

static bool fc_wanted(const LinkLanes *l, SimCycle now)
{
    if (l->fc_init || l->fc_credits_due) {
        return true;
    }
    SimCycle quiet = l->last_fc_sent > l->last_data_rx ? l->last_fc_sent : l->last_data_rx;
    return now >= quiet + l->refresh_cycles;
}

static void credits_update(LinkLanes *l, uint64_t packed)
{
    for (int i = 0; i < LINK_CR_MAX; i++) {
        uint32_t adv = link_fc_field(packed, (LinkCredit)i);
        if (!l->cr_known) {
            l->cr_limit[i] = adv;
        } else {
            l->cr_limit[i] += (adv - (uint32_t)l->cr_limit[i]) & 0xffffu;
        }
    }
    l->cr_known = true;
}

static void nak_request(LinkLanes *l)
{
    if (!l->nak_blocked) {
        l->nak_pending = true;
    }
}

/* The packet rx_expected arrived whole and good. */
static void rx_advance(LinkLanes *l, SimCycle now)
{
    l->rx_expected = link_seq_add(l->rx_expected, 1);
    if (l->rx_unacked++ == 0) {
        l->ack_due = now + l->ack_delay_cycles;
    }
    l->nak_blocked = false;
    if (l->reorder != NULL) {
        l->reorder_base = l->reorder_base + 1 == l->reorder_cap ? 0 : l->reorder_base + 1;
    }
}

/* In order: deliver it, then whatever the reorder buffer holds right behind it. */
static void rx_in_order(LinkLanes *l, SimCycle now, SimPacket *pkt)
{
    for (;;) {
        rx_deliver(l, pkt);
        rx_advance(l, now);
        if (l->reorder == NULL) {
            return;
        }
        pkt = l->reorder[l->reorder_base];
        if (pkt == NULL) {
            break;
        }
        l->reorder[l->reorder_base] = NULL;
        l->reorder_count--;
    }
    sim_timeavg_set(&l->st.reorder_occ, now_ps(l), l->reorder_count);
    if (l->reorder_count > 0) {
        nak_request(l); /* another hole behind the one just filled */
    }
}

static void rx_data(LinkLanes *l, SimCycle now, SimPacket *pkt)
{
    bool ok = l->role == LINK_ROLE_MPP ? pkt->type == LINK_MRRP
                                       : pkt->type == LINK_MWP || pkt->type == LINK_MRD;
    if (!ok) {
        sim_fail(l->c.sim, "component %s: received a %s packet, which the %s side never takes",
                 l->c.name, link_type_name(pkt->type), l->role == LINK_ROLE_MPP ? "MPP" : "SPP");
        sim_packet_free(l->c.sim, pkt);
        return;
    }
    l->last_data_rx = now;
    int32_t d = link_seq_diff(pkt->seq, l->rx_expected);
    if (d < 0) {
        l->st.duplicates++;
        l->ack_now = true; /* our Ack was lost: tell the sender again */
        sim_packet_free(l->c.sim, pkt);
        return;
    }
    if (d > 0) {
        if (l->reorder == NULL || (uint32_t)d >= l->reorder_cap) {
            l->st.out_of_order++;
            nak_request(l);
            sim_packet_free(l->c.sim, pkt);
            return;
        }
        uint32_t k = (l->reorder_base + (uint32_t)d) % l->reorder_cap;
        if (l->reorder[k] != NULL) {
            l->st.duplicates++;
            sim_packet_free(l->c.sim, pkt);
            return;
        }
        rx_accept(l, pkt);
        l->reorder[k] = pkt;
        l->reorder_count++;
        sim_timeavg_set(&l->st.reorder_occ, now_ps(l), l->reorder_count);
        l->st.out_of_order++;
        nak_request(l);
        return;
    }
    rx_accept(l, pkt);
    rx_in_order(l, now, pkt);
}

static void rx_analyse(LinkLanes *l, SimCycle now, SimPacket *pkt)
{
    Sim *sim = l->c.sim;
    if (!link_is_wire(pkt->type)) {
        sim_fail(sim, "component %s: packet %llu of type 0x%x on the wire", l->c.name,
                 (unsigned long long)pkt->id, pkt->type);
        sim_packet_free(sim, pkt);
        return;
    }
    if (pkt->flags != l->wire_format) {
        sim_fail(sim,
                 "component %s: the far end frames packets on %u lanes with %s header "
                 "placement, this end on %u lanes with %s: give both the same lanes and "
                 "header_placement",
                 l->c.name, pkt->flags & 0xfu, link_placement_names[(pkt->flags >> 4) & 1u],
                 l->lanes, link_placement_names[l->placement]);
        sim_packet_free(sim, pkt);
        return;
    }
    /* pkt->crc is the trailer's difference from the CRC of the bytes (models/proto/link.h) */
    if (pkt->crc == LINK_CRC_STOMPED && link_is_data(pkt->type)) {
        /* Stomped by a cut-through sender that found it bad: it never took the sequence
         * number, and the hop that saw the error asks for the resend. Drop it silently. */
        l->st.stomped_rx++;
        sim_packet_free(sim, pkt);
        return;
    }
    if (pkt->crc != 0) {
        /* The header cannot be trusted either: whatever it was, ask for a resend. */
        l->st.crc_errors++;
        nak_request(l);
        sim_packet_free(sim, pkt);
        return;
    }
    l->st.rx_pkts[type_index(pkt->type)]++;
    l->st.rx_payload_bytes += link_payload_bytes(pkt->type, pkt->len);
    switch (pkt->type) {
    case LINK_ACK:
    case LINK_NAK:
        retry_acknowledge(l, now, pkt->seq, pkt->type == LINK_NAK);
        sim_packet_free(sim, pkt);
        break;
    case LINK_FC:
        credits_update(l, pkt->addr);
        sim_packet_free(sim, pkt);
        break;
    default:
        rx_data(l, now, pkt);
        break;
    }
}

/* ---- cut-through receive ---- */

/* Can a data packet whose header is in be handed on before its tail? Only the next one in
 * order, with nothing held out of order, and room where it goes (credits promise it). */
static bool rx_cut_ok(const LinkLanes *l, const SimPacket *pkt)
{
    bool ours = l->role == LINK_ROLE_MPP ? pkt->type == LINK_MRRP
                                         : pkt->type == LINK_MWP || pkt->type == LINK_MRD;
    return ours && pkt->flags == l->wire_format && pkt->seq == l->rx_expected &&
           l->reorder_count == 0 && sim_port_can_push(l->dst);
}

/* Hand the packet on at its header; its tail enters dst at `tail`, the cycle the CRC is
 * checked, and the verdict (known to the model now, acted on only then) travels with it. */
static void rx_cut(LinkLanes *l, SimCycle now, SimPacket *pkt, SimCycle tail)
{
    LinkRxWait *w = &l->wait;
    w->active = true;
    w->early = true;
    w->pkt = NULL;
    w->at = tail;
    w->bad = pkt->crc != 0;
    w->stomped = pkt->crc == LINK_CRC_STOMPED;
    w->type = pkt->type;
    w->len = pkt->len;
    w->hop = pkt->stamp[SIM_STAMP_HOP];
    rx_accept(l, pkt);
    pkt->flags = 0;
    pkt->user[0] = 0;
    pkt->tail_bad = w->bad;
    sim_packet_set_tail(pkt, sim_domain_time(l->c.domain, tail), now_ps(l));
    l->st.cut_throughs++;
    sim_port_push(l->dst, pkt);
    (void)now;
}

/* The tail of the waiting packet is in: analyse it (held) or settle what was handed on. */
static void rx_wait_finish(LinkLanes *l, SimCycle now)
{
    LinkRxWait *w = &l->wait;
    w->active = false;
    if (!w->early) {
        SimPacket *pkt = w->pkt;
        w->pkt = NULL;
        rx_analyse(l, now, pkt);
        return;
    }
    l->last_data_rx = now;
    if (w->bad) {
        /* Downstream discards it at its tail; its buffer space, when freed, returns no
         * credits (the sender counted the sequence number once, or not at all if stomped). */
        uint64_t need[LINK_CR_MAX];
        link_credit_need(w->type, w->len, need);
        for (int i = 0; i < LINK_CR_MAX; i++) {
            l->rx_received[i] -= need[i];
            l->rx_penalty[i] += need[i];
        }
        fc_credits_recheck(l);
        if (w->stomped) {
            l->st.stomped_rx++;
        } else {
            l->st.crc_errors++;
            nak_request(l);
        }
        return;
    }
    l->st.rx_pkts[type_index(w->type)]++;
    l->st.rx_payload_bytes += link_payload_bytes(w->type, w->len);
    sim_hist_record(&l->st.one_way, now_ps(l) - w->hop);
    l->st.delivered++;
    rx_advance(l, now);
}

/* A packet's head came out of the receive PHY now; its tail is analysed at `tail`. */
static void rx_arrive(LinkLanes *l, SimCycle now, SimPacket *pkt, SimCycle tail)
{
    if (l->wait.active) {
        /* Only when a blocked cable released packets together: settle the older one first. */
        rx_wait_finish(l, now);
    }
    if (tail <= now) {
        rx_analyse(l, now, pkt);
        return;
    }
    if (l->p.cut_through && link_is_data(pkt->type) && rx_cut_ok(l, pkt)) {
        rx_cut(l, now, pkt, tail);
        return;
    }
    l->wait.active = true;
    l->wait.early = false;
    l->wait.pkt = pkt;
    l->wait.at = tail;
}

/* ---- transmit ---- */

/*
 * Hand a packet to the lanes at `now`: it occupies them for its frame's cycles, its trailer
 * (CRC) no earlier than `tail_in`, the cycle its tail reaches the lanes (cut-through; NEVER
 * when whole). A data packet goes to the wire at its header, its tail following (pkt->tail);
 * a control packet whole.
 */
static void tx_start(LinkLanes *l, SimCycle now, SimPacket *w, SimCycle tail_in, bool stomped)
{
    int ti = type_index(w->type);
    if (l->frame_len[ti] != w->len) {
        link_frame(w->type, w->len, l->lanes, l->placement, &l->frame[ti]);
        l->frame_len[ti] = w->len;
    }
    const LinkFrame *f = &l->frame[ti];
    w->flags = l->wire_format;
    w->user[0] = f->wire_words;
    w->tail_bad = false;
    SimCycle e = now + f->cycles - 1;
    if (tail_in != SIM_CYCLE_NEVER && tail_in > e) {
        l->st.stretch_cycles += tail_in - e;
        e = tail_in;
    }
    l->tx_free = e + 1 + l->p.ipg_cycles;
    for (uint32_t i = 0; i < l->lanes; i++) {
        l->st.lane_busy[i] += f->lane_words[i];
    }
    l->st.tx_pkts[ti]++;
    l->st.tx_bytes[ti] += (uint64_t)f->wire_words * LINK_WORD_BYTES;
    l->st.tx_payload_bytes += link_payload_bytes(w->type, w->len);
    l->st.tx_wire_bytes += (uint64_t)f->wire_words * LINK_WORD_BYTES;
    bool data = link_is_data(w->type);
    if (data && !stomped && l->rt_timer == SIM_CYCLE_NEVER) {
        l->rt_timer = e; /* runs from the last word of the packet */
    }
    SimCycle head = data ? now + f->header_cycles - 1 : e;
    queue_push(&l->phy, w, head + l->p.phy_tx_cycles, e + l->p.phy_tx_cycles);
}

static bool tx_control(LinkLanes *l, SimCycle now, uint16_t type)
{
    SimPacket *w = sim_packet_new(l->c.sim);
    if (w == NULL) {
        return false;
    }
    w->type = type;
    if (type == LINK_FC) {
        uint64_t a[LINK_CR_MAX];
        for (int i = 0; i < LINK_CR_MAX; i++) {
            a[i] = rx_alloc(l, i);
            l->rx_advertised[i] = a[i];
        }
        fc_credits_recheck(l);
        w->addr = link_fc_pack((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
        l->fc_init = false;
        l->last_fc_sent = now;
    } else {
        w->seq = link_seq_add(l->rx_expected, -1);
    }
    w->crc = 0; /* its trailer is its CRC */
    w->stamp[SIM_STAMP_CREATE] = w->stamp[SIM_STAMP_HOP] = now_ps(l);
    tx_start(l, now, w, SIM_CYCLE_NEVER, false);
    return true;
}

static bool tx_resend(LinkLanes *l, SimCycle now, LinkRetryEntry *e)
{
    SimPacket *w = link_packet_clone(l->c.sim, e->pkt);
    if (w == NULL) {
        return false;
    }
    l->st.retransmits++;
    tx_start(l, now, w, SIM_CYCLE_NEVER, false);
    return true;
}

static bool credits_fit(const LinkLanes *l, const uint64_t need[LINK_CR_MAX])
{
    if (!l->cr_known) {
        return false;
    }
    for (int i = 0; i < LINK_CR_MAX; i++) {
        if (l->cr_used[i] + need[i] > l->cr_limit[i]) {
            return false;
        }
    }
    return true;
}

/* A new data packet from src; sets l->stall_now when one is ready but must wait. */
static bool tx_new(LinkLanes *l, SimCycle now)
{
    SimPacket *pkt;
    uint64_t need[LINK_CR_MAX];
    while ((pkt = sim_port_peek(l->src)) != NULL && pkt->tail_bad &&
           sim_port_tail_cycle(l->src, pkt) <= now) {
        /* A cut-through packet whose tail is in and showed it bad before it could start. */
        link_credit_need(pkt->type, pkt->len, need);
        for (int i = 0; i < LINK_CR_MAX; i++) {
            l->src_read[i] += need[i];
        }
        sim_port_pop(l->src);
        sim_packet_free(l->c.sim, pkt);
        l->st.discarded++;
    }
    if (pkt == NULL) {
        return false;
    }
    link_credit_need(pkt->type, pkt->len, need);
    bool payload = need[LINK_CR_LEN] != 0;
    uint32_t beats = (uint32_t)need[LINK_CR_DATA];
    if (!credits_fit(l, need)) {
        l->stall_now = LINK_STALL_CREDIT;
        return false;
    }
    if (!retry_fits(l, payload, beats)) {
        l->stall_now = LINK_STALL_RETRY;
        return false;
    }
    /* The packet is ours from here (the writer never touches what it wrote). A cut-through
     * packet still arriving sends its trailer once its tail is in; one whose tail shows it bad
     * goes out with the complemented CRC and takes no sequence number, credit or retry entry
     * (the verdict is known to the model at the start; the lanes are busy until the trailer, so
     * nothing can tell the difference). */
    SimCycle tail_in = pkt->tail != 0 ? sim_port_tail_cycle(l->src, pkt) : SIM_CYCLE_NEVER;
    bool stomp = pkt->tail_bad;
    pkt->tail = 0; /* a resend, from the retry buffer, is whole */
    pkt->tail_bad = false;
    pkt->seq = l->next_seq;
    pkt->crc = 0; /* its trailer is its CRC */
    pkt->stamp[SIM_STAMP_HOP] = now_ps(l);
    SimPacket *w = link_packet_clone(l->c.sim, pkt);
    if (w == NULL) {
        return false;
    }
    sim_port_pop(l->src);
    for (int i = 0; i < LINK_CR_MAX; i++) {
        l->src_read[i] += need[i];
    }
    if (stomp) {
        w->crc = LINK_CRC_STOMPED;
        l->st.stomped_tx++;
        sim_packet_free(l->c.sim, pkt);
        tx_start(l, now, w, tail_in, true);
        return true;
    }
    l->next_seq = link_seq_add(l->next_seq, 1);
    for (int i = 0; i < LINK_CR_MAX; i++) {
        l->cr_used[i] += need[i];
    }
    retry_append(l, pkt, payload, beats);
    tx_start(l, now, w, tail_in, false);
    return true;
}

static bool ack_wanted(const LinkLanes *l, SimCycle now)
{
    return l->ack_now ||
           (l->rx_unacked > 0 && (l->rx_unacked >= l->p.ack_every || now >= l->ack_due));
}

static bool timer_expired(const LinkLanes *l, SimCycle now)
{
    return !sim_ring_empty(&l->rt) && l->rt_timer != SIM_CYCLE_NEVER &&
           now >= l->rt_timer + l->timeout_cycles;
}

static void tx_decide(LinkLanes *l, SimCycle now)
{
    if (sim_ring_full(&l->phy.r)) {
        return; /* the transmit PHY is backed up (the cable is not taking packets) */
    }
    if (l->nak_pending) {
        if (tx_control(l, now, LINK_NAK)) {
            if (l->c.track) {
                sim_track_instant(l->c.track, "Nak sent", now_ps(l), l->rx_expected);
            }
            /* A Nak acknowledges what came in order before the gap, like an Ack. */
            l->nak_pending = false;
            l->nak_blocked = true;
            l->rx_unacked = 0;
            l->ack_due = SIM_CYCLE_NEVER;
            l->ack_now = false;
        }
        return;
    }
    if (ack_wanted(l, now)) {
        if (tx_control(l, now, LINK_ACK)) {
            l->rx_unacked = 0;
            l->ack_due = SIM_CYCLE_NEVER;
            l->ack_now = false;
        }
        return;
    }
    if (fc_wanted(l, now)) {
        tx_control(l, now, LINK_FC);
        return;
    }
    if (timer_expired(l, now)) {
        l->st.timeouts++;
        l->st.replays++;
        if (l->c.track) {
            sim_track_instant(l->c.track, "replay (timeout)", now_ps(l), l->rt.count);
        }
        l->rt_timer = SIM_CYCLE_NEVER;
        if (!replay_counted(l)) {
            return;
        }
        if (l->p.retry_mode == LINK_RETRY_GO_BACK_N) {
            l->replaying = true;
            l->replay_next = 0;
        } else if (!l->retry[sim_ring_head(&l->rt)].resend) {
            l->retry[sim_ring_head(&l->rt)].resend = true;
            l->n_resend++;
        }
    }
    if (l->replaying) {
        LinkRetryEntry *e = retry_at(l, l->replay_next);
        if (tx_resend(l, now, e)) {
            if (++l->replay_next >= l->rt.count) {
                l->replaying = false;
            }
        }
        return;
    }
    if (l->n_resend > 0) {
        for (uint32_t i = 0; i < l->rt.count; i++) {
            LinkRetryEntry *e = retry_at(l, i);
            if (e->resend) {
                if (tx_resend(l, now, e)) {
                    e->resend = false;
                    l->n_resend--;
                }
                return;
            }
        }
    }
    tx_new(l, now);
}

static void phy_flush(LinkLanes *l, SimCycle now)
{
    while (!sim_ring_empty(&l->phy.r) && l->phy.e[sim_ring_head(&l->phy.r)].at <= now &&
           sim_port_can_push(l->tx)) {
        const LinkTimed *t = &l->phy.e[sim_ring_head(&l->phy.r)];
        SimCycle tail = t->tail;
        SimCycle at = t->at;
        SimPacket *w = queue_pop(&l->phy);
        sim_packet_set_tail_planned(w, l->c.domain, tail, at, now);
        sim_port_push(l->tx, w);
    }
    while (!sim_ring_empty(&l->parked.r) && sim_port_can_push(l->done)) {
        sim_port_push(l->done, queue_pop(&l->parked));
    }
}

/* Stall cycles are counted between the ticks at which the reason starts and ends: both are
 * events (a packet visible, the lanes free, credits or an Ack arriving), so both kernels see
 * them at the same cycles. */
static void stall_account(LinkLanes *l, SimCycle now, int stall)
{
    if (stall == l->stall) {
        return;
    }
    if (l->stall != LINK_STALL_NONE) {
        l->st.stall_cycles[l->stall] += now - l->stall_since;
    }
    l->stall = stall;
    l->stall_since = now;
}

/* ---- tick ---- */

static SimCycle lanes_next(const LinkLanes *l, SimCycle now)
{
    SimCycle next = SIM_CYCLE_NEVER;
#define AT(x)                                                                                      \
    do {                                                                                           \
        SimCycle x_ = (x);                                                                         \
        if (x_ > now && x_ < next) {                                                               \
            next = x_;                                                                             \
        }                                                                                          \
    } while (0)
    if (!sim_ring_empty(&l->phy.r)) {
        AT(l->phy.e[sim_ring_head(&l->phy.r)]
               .at); /* when it is due but blocked, the slot wakes us */
    }
    if (l->wait.active) {
        AT(l->wait.at);
    }
    if (now < l->tx_free) {
        AT(l->tx_free);
    } else {
        /* Idle lanes: the timers that can make something worth sending. */
        if (l->rx_unacked > 0) {
            AT(l->ack_due);
        }
        if (!sim_ring_empty(&l->rt) && l->rt_timer != SIM_CYCLE_NEVER) {
            AT(l->rt_timer + l->timeout_cycles);
        }
        SimCycle quiet = l->last_fc_sent > l->last_data_rx ? l->last_fc_sent : l->last_data_rx;
        AT(quiet + l->refresh_cycles);
    }
#undef AT
    return next;
}

static SimCycle lanes_tick(SimComponent *c, SimCycle now)
{
    LinkLanes *l = (LinkLanes *)c;
    Sim *sim = c->sim;
    uint64_t freed[LINK_CR_MAX] = {0, 0, 0};
    if (link_token_drain(l->dst_free, freed) > 0) {
        for (int i = 0; i < LINK_CR_MAX; i++) {
            l->rx_freed[i] += freed[i];
        }
        fc_credits_recheck(l);
        link_budget_give(&l->rxbuf, now_ps(l), freed);
    }
    if (l->wait.active && l->wait.at <= now) {
        rx_wait_finish(l, now);
    }
    SimPacket *pkt;
    while ((pkt = sim_port_peek(l->rx)) != NULL && !sim->failed) {
        if (l->rx_phy == NULL) {
            SimCycle tail = sim_port_tail_cycle(l->rx, pkt);
            sim_port_pop(l->rx);
            rx_arrive(l, now, pkt, tail);
            continue;
        }
        if (!sim_port_can_push(l->rx_phy)) {
            break; /* cannot happen with frames of 2 cycles or more: the port is deep enough */
        }
        SimTime tail = sim_port_tail_time(l->rx, pkt);
        sim_port_pop(l->rx);
        sim_packet_set_tail(pkt, tail, now_ps(l));
        sim_port_push(l->rx_phy, pkt);
    }
    while (l->rx_phy != NULL && (pkt = sim_port_peek(l->rx_phy)) != NULL && !sim->failed) {
        SimCycle tail = sim_port_tail_cycle(l->rx_phy, pkt);
        sim_port_pop(l->rx_phy);
        rx_arrive(l, now, pkt, tail);
    }
    phy_flush(l, now);
    l->stall_now = LINK_STALL_NONE;
    if (now >= l->tx_free && !sim->failed) {
        tx_decide(l, now);
    }
    stall_account(l, now, l->stall_now);
    if ((l->src_read[LINK_CR_HDR] | l->src_read[LINK_CR_DATA] | l->src_read[LINK_CR_LEN]) != 0) {
        link_token_send(sim, l->src_free, &l->src_tokens, l->src_read);
        memset(l->src_read, 0, sizeof(l->src_read));
    }
    if (sim->failed) {
        return SIM_SLEEP;
    }
    return lanes_next(l, now);
}

static bool lanes_busy(const SimComponent *c)
{
    const LinkLanes *l = (const LinkLanes *)c;
    return !sim_ring_empty(&l->rt) || !sim_ring_empty(&l->phy.r) || !sim_ring_empty(&l->parked.r) ||
           l->rx_unacked > 0 || l->ack_now || l->nak_pending || l->reorder_count > 0 ||
           l->wait.active;
}

static void lanes_dump(const SimComponent *c, SimError *report)
{
    const LinkLanes *l = (const LinkLanes *)c;
    sim_error_append(report,
                     " (retry: RTHB %u/%u, RTLB %u/%u, RTAB %u/%u, RTPB %llu/%llu beats, "
                     "oldest seq %u, next seq %u%s; far credits: hdr %llu/%llu, data %llu/%llu, "
                     "len %llu/%llu%s; receive:",
                     l->rt.count, l->rt.cap, l->rtlb_used, l->rtlb_cap, l->rtab_used, l->rtab_cap,
                     (unsigned long long)l->rtpb_used, (unsigned long long)l->rtpb_cap,
                     retry_head_seq(l), l->next_seq, l->replaying ? ", replaying" : "",
                     (unsigned long long)l->cr_used[0], (unsigned long long)l->cr_limit[0],
                     (unsigned long long)l->cr_used[1], (unsigned long long)l->cr_limit[1],
                     (unsigned long long)l->cr_used[2], (unsigned long long)l->cr_limit[2],
                     l->cr_known ? "" : " (none received yet)");
    for (int i = 0; i < LINK_CR_MAX; i++) {
        if (l->rx_names[i] != NULL) {
            sim_error_append(
                report, " %s %llu/%llu%s", l->rx_names[i], (unsigned long long)l->rxbuf.used[i],
                (unsigned long long)l->rxbuf.cap[i], i == LINK_CR_DATA ? " beats," : ",");
        }
    }
    sim_error_append(report, " expected seq %u, %u unacked, %u held out of order; PHY: %u leaving)",
                     l->rx_expected, l->rx_unacked, l->reorder_count, l->phy.r.count);
}

static void lanes_finish(SimComponent *c, SimTime end)
{
    LinkLanes *l = (LinkLanes *)c;
    SimCycle end_cycle = sim_domain_cycle_at_or_after(c->domain, end);
    if (l->stall != LINK_STALL_NONE && end_cycle > l->stall_since) {
        l->st.stall_cycles[l->stall] += end_cycle - l->stall_since;
        l->stall_since = end_cycle;
    }
    uint64_t words = 0;
    for (uint32_t i = 0; i < l->lanes; i++) {
        l->st.lane_util[i] = end_cycle ? (double)l->st.lane_busy[i] / (double)end_cycle : 0.0;
        words += l->st.lane_busy[i];
    }
    l->st.wire_util = end_cycle ? (double)words / ((double)end_cycle * l->lanes) : 0.0;
}

static void lanes_destroy(SimComponent *c)
{
    LinkLanes *l = (LinkLanes *)c;
    /* Packets still held belong to the run's pool, which sim_free() releases whole. */
    free(l->retry);
    free(l->phy.e);
    free(l->parked.e);
    free(l->reorder);
    link_tokens_destroy(&l->src_tokens);
    sim_hist_destroy(&l->st.one_way);
    sim_hist_destroy(&l->st.retry_time);
}

static const SimComponentOps lanes_ops = {
    .tick = lanes_tick,
    .finish = lanes_finish,
    .busy = lanes_busy,
    .dump = lanes_dump,
    .destroy = lanes_destroy,
};

/* ---- build ---- */

static uint64_t cycles_of(SimTime t, const SimDomain *d)
{
    return (t + d->period - 1) / d->period;
}

/* ---- signals (sim/core/observe.h): what the VCD shows of a lane group ---- */

/* Credits left of one class at the far receiver: its cumulative limit minus what was used. */
#define LANES_CREDITS_FN(cls_)                                                                     \
    static uint64_t credits_##cls_(const void *field)                                              \
    {                                                                                              \
        const LinkLanes *l = field;                                                                \
        uint64_t lim = l->cr_limit[cls_], used = l->cr_used[cls_];                                 \
        return lim > used ? lim - used : 0;                                                        \
    }
LANES_CREDITS_FN(LINK_CR_HDR)
LANES_CREDITS_FN(LINK_CR_DATA)
LANES_CREDITS_FN(LINK_CR_LEN)

static uint64_t retry_held(const void *field)
{
    return ((const LinkLanes *)field)->rt.count;
}

static const SimSignalDesc lanes_signal_rows[] = {
    {.name = "busy",
     .kind = SIM_SIG_UNTIL,
     .offset = offsetof(LinkLanes, tx_free),
     .doc = "the lanes carry a frame (or its inter-packet gap): 1 from the cycle a frame starts to "
            "its last word"},
    {.name = "credits_hdr",
     .kind = SIM_SIG_FN,
     .width = 32,
     .get = credits_LINK_CR_HDR,
     .doc = "header credits left at the far receiver (limit - used)"},
    {.name = "credits_data",
     .kind = SIM_SIG_FN,
     .width = 32,
     .get = credits_LINK_CR_DATA,
     .doc = "payload credits left at the far receiver, beats of 64 B"},
    {.name = "credits_len",
     .kind = SIM_SIG_FN,
     .width = 32,
     .get = credits_LINK_CR_LEN,
     .doc = "length credits left at the far receiver"},
    {.name = "retry_held",
     .kind = SIM_SIG_FN,
     .width = 32,
     .get = retry_held,
     .doc = "packets sent and not yet acknowledged (RTHB entries)"},
    {.name = "next_seq",
     .kind = SIM_SIG_U32,
     .width = 32,
     .offset = offsetof(LinkLanes, next_seq),
     .doc = "sequence number of the next new data packet"},
    {.name = "rx_expected",
     .kind = SIM_SIG_U32,
     .width = 32,
     .offset = offsetof(LinkLanes, rx_expected),
     .doc = "next sequence number expected in order"},
    {.name = "replaying",
     .kind = SIM_SIG_BOOL,
     .offset = offsetof(LinkLanes, replaying),
     .doc = "go-back-n: resending from the oldest unacknowledged packet"},
    {.name = "nak_pending",
     .kind = SIM_SIG_BOOL,
     .offset = offsetof(LinkLanes, nak_pending),
     .doc = "a gap was seen: a Nak waits for the lanes"},
};
static const SimSignalTable lanes_signals = {lanes_signal_rows, N_OF(lanes_signal_rows)};

LinkLanes *link_lanes_new(Sim *sim, const char *name, const LinkLanesConfig *cfg, SimError *err)
{
    const LinkLaneParams *p = cfg->p;
    const SimDomain *d = p->lane_domain;
    /* 64b/66b: the line carries 66 bits for every 64 the 72-bit interface hands over. */
    double need_rate = 64.0 * 66.0 / 64.0 * 1e12 / (double)d->period;
    if (p->lane_rate < need_rate * (1.0 - 1e-6) || p->lane_rate > need_rate * (1.0 + 1e-6)) {
        sim_error_set(err, SIM_ERR_INPUT,
                      "instance '%s': key 'lane_rate': %.6g Gbps does not carry 64 bits per "
                      "cycle of domain '%s' (%.6g MHz) with 64b/66b coding: that needs %.6g Gbps",
                      name, p->lane_rate / 1e9, d->name, 1e6 / (double)d->period, need_rate / 1e9);
        return NULL;
    }
    LinkLanes *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        sim_error_oom(err, name);
        return NULL;
    }
    l->p = *p;
    l->role = cfg->role;
    l->lanes = (uint32_t)p->lanes;
    l->placement = (LinkHeaderPlacement)p->header_placement;
    l->wire_format = (uint16_t)(l->lanes | (uint32_t)l->placement << 4);
    l->timeout_cycles = cycles_of(p->replay_timeout, d);
    l->ack_delay_cycles = cycles_of(p->ack_delay, d);
    l->refresh_cycles = cycles_of(p->fc_refresh, d);
    l->fc_threshold[LINK_CR_HDR] = p->fc_hdr_threshold;
    l->fc_threshold[LINK_CR_LEN] = p->fc_hdr_threshold;
    l->fc_threshold[LINK_CR_DATA] = p->fc_data_threshold / LINK_BEAT_BYTES;
    for (int i = 0; i < LINK_CR_MAX; i++) {
        uint64_t most = i == LINK_CR_DATA ? LINK_MAX_PAYLOAD / LINK_BEAT_BYTES : 1;
        l->need_max[i] = most < cfg->rx_cap[i] ? most : cfg->rx_cap[i];
    }
    l->tx_free = 0;
    for (int i = 0; i < LINK_NTYPES; i++) {
        l->frame_len[i] = UINT32_MAX; /* len is at most LINK_MAX_PAYLOAD */
    }
    sim_ring_init(&l->rt, (uint32_t)p->rthb_depth);
    l->rtlb_cap = (uint32_t)p->rtlb_depth;
    l->rtab_cap = (uint32_t)p->rtab_depth;
    l->rtpb_cap = link_lane_bytes_to_beats(p->rtpb_size, p->lanes);
    l->rt_timer = SIM_CYCLE_NEVER;
    l->ack_due = SIM_CYCLE_NEVER;
    l->fc_init = true;
    link_budget_init(&l->rxbuf, cfg->rx_cap[LINK_CR_HDR], cfg->rx_cap[LINK_CR_DATA],
                     cfg->rx_cap[LINK_CR_LEN]);
    fc_credits_recheck(l);
    for (int i = 0; i < LINK_CR_MAX; i++) {
        l->rx_names[i] = cfg->rx_names[i]; /* string literals of the owner */
    }
    sim_timeavg_init(&l->st.rthb_occ, 0, 0);
    sim_timeavg_init(&l->st.rtlb_occ, 0, 0);
    sim_timeavg_init(&l->st.rtab_occ, 0, 0);
    sim_timeavg_init(&l->st.rtpb_occ, 0, 0);
    sim_timeavg_init(&l->st.reorder_occ, 0, 0);
    l->retry = calloc(l->rt.cap, sizeof(*l->retry));
    /* Frames last at least 2 cycles, so a PHY of n cycles holds at most n / 2 + 1 packets. */
    bool ok = l->retry != NULL && queue_init(&l->phy, (uint32_t)p->phy_tx_cycles + 4) &&
              queue_init(&l->parked, cfg->done_depth) && sim_hist_init(&l->st.one_way) &&
              sim_hist_init(&l->st.retry_time);
    if (ok && p->retry_mode == LINK_RETRY_SELECTIVE) {
        l->reorder_cap = (uint32_t)cfg->rx_cap[LINK_CR_HDR];
        l->reorder = calloc(l->reorder_cap, sizeof(*l->reorder));
        ok = l->reorder != NULL;
    }
    if (!ok) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    char cname[300];
    snprintf(cname, sizeof(cname), "%s.lanes", name);
    if (!sim_add_component(sim, &l->c, cname, p->lane_domain, &lanes_ops, err)) {
        goto fail_parts;
    }
    /* The kernel owns the component from here: a later failure leaves it to sim_free(). */
    /* Its timers (Ack delay, flow-control refresh, replay) alone must not keep a run alive;
     * busy() reports what it holds. */
    l->c.daemon = true;
    l->c.takes_tails = true; /* src: the core passes cut-through packets on at their header */
    if (!sim_add_signals(sim, cname, &lanes_signals,
                         &(SimSignalBinding){.block = {l}, .domain = p->lane_domain}, err)) {
        return NULL;
    }
    if (p->phy_rx_cycles > 0) {
        /* Frames last at least 2 cycles, so this many are ever in the receive PHY at once. */
        char pname[700];
        snprintf(pname, sizeof(pname), "%s:rx_phy -> %s:rx_phy", cname, cname);
        if (sim_connect(sim, &l->c, &l->rx_phy, &l->c, NULL, (uint32_t)p->phy_rx_cycles / 2 + 4,
                        (uint32_t)p->phy_rx_cycles, 0, pname, err) == NULL) {
            return NULL;
        }
    }
    return l;

fail_parts:
    lanes_destroy(&l->c);
    free(l);
    return NULL;
}

SimComponent *link_lanes_component(LinkLanes *l)
{
    return &l->c;
}

SimStatBinding link_stats_binding(const void *self, const LinkLanes *l, const LinkBudget *txbuf)
{
    bool selective = l->p.retry_mode == LINK_RETRY_SELECTIVE;
    return (SimStatBinding){
        .block = {[LINK_SB_SELF] = self,
                  [LINK_SB_LANES] = &l->st,
                  [LINK_SB_RXBUF] = &l->rxbuf,
                  [LINK_SB_REORDER] = selective ? &l->st : NULL,
                  [LINK_SB_TXBUF] = txbuf},
        .count = {[LINK_SG_TYPE - 1] = LINK_NTYPES, [LINK_SG_LANE - 1] = l->lanes},
        /* Payload buffers count beats and report bytes per lane: divide by lanes / 64. */
        .scale = (double)l->lanes / (double)LINK_BEAT_BYTES,
    };
}

LinkTokens *link_lanes_tokens(LinkLanes *l)
{
    return &l->src_tokens;
}

SimPort **link_lanes_port(LinkLanes *l, const char *which)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
        {"src", offsetof(LinkLanes, src)},   {"src_free", offsetof(LinkLanes, src_free)},
        {"dst", offsetof(LinkLanes, dst)},   {"dst_free", offsetof(LinkLanes, dst_free)},
        {"tx", offsetof(LinkLanes, tx)},     {"rx", offsetof(LinkLanes, rx)},
        {"done", offsetof(LinkLanes, done)},
    };
    for (size_t i = 0; i < N_OF(map); i++) {
        if (strcmp(map[i].name, which) == 0) {
            return (SimPort **)((char *)l + map[i].off);
        }
    }
    return NULL;
}
