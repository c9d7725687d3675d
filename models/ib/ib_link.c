/*
 * The InfiniBand link layer of one port: see ib_link.h and docs/models/ib.md.
 */
#include "ib_link.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *const ib_encoding_names[] = {"8b10b", "64b66b", NULL};

/* 12-bit credit arithmetic (IBA 7.9.4): a - b mod 4096. */
static uint32_t mod_sub(uint32_t a, uint32_t b)
{
    return (a - b) & (IB_CREDIT_MOD - 1u);
}

static uint32_t mod_add(uint32_t a, uint32_t b)
{
    return (a + b) & (IB_CREDIT_MOD - 1u);
}

double ib_link_symbol_ps(const IbLinkParams *p)
{
    double line_bits = p->encoding == IB_ENC_8B10B ? 10.0 : 66.0;
    return line_bits / p->lane_rate * 1e12;
}

uint32_t ib_link_symbols(const IbLink *l, const SimPacket *pkt)
{
    uint32_t bytes = ib_packet_bytes(pkt) + IB_FRAMING_BYTES;
    return (bytes + l->symbol_bytes - 1) / l->symbol_bytes;
}

/* The largest data packet the MTU allows: the most headers (RETH) and a full payload. */
static uint32_t max_packet_bytes(uint64_t mtu)
{
    return IB_LRH_BYTES + IB_BTH_BYTES + IB_RETH_BYTES + (uint32_t)mtu + IB_ICRC_BYTES +
           IB_VCRC_BYTES;
}

const char *ib_link_check(const IbLinkParams *p, char *msg, size_t msg_size)
{
    if (p->width != 1 && p->width != 4 && p->width != 8 && p->width != 12) {
        snprintf(msg, msg_size, "%llu lanes: a port is 1x, 4x, 8x or 12x",
                 (unsigned long long)p->width);
        return "width";
    }
    if (p->mtu != 256 && p->mtu != 512 && p->mtu != 1024 && p->mtu != 2048 && p->mtu != 4096) {
        snprintf(msg, msg_size, "%llu bytes: the IBA MTUs are 256, 512, 1024, 2048 and 4096",
                 (unsigned long long)p->mtu);
        return "mtu";
    }
    if (p->vl_buffer % IB_BLOCK_BYTES != 0) {
        snprintf(msg, msg_size, "%llu bytes is not a whole number of 64-byte credits",
                 (unsigned long long)p->vl_buffer);
        return "vl_buffer";
    }
    uint32_t need = (max_packet_bytes(p->mtu) + IB_BLOCK_BYTES - 1) / IB_BLOCK_BYTES;
    if (p->vl_buffer / IB_BLOCK_BYTES < need) {
        snprintf(msg, msg_size,
                 "%llu bytes cannot hold one packet of the %llu-byte mtu (%u credits, %u bytes)",
                 (unsigned long long)p->vl_buffer, (unsigned long long)p->mtu, need,
                 need * IB_BLOCK_BYTES);
        return "vl_buffer";
    }
    return NULL;
}

bool ib_link_init(IbLink *l, SimComponent *owner, const char *name, const IbLinkParams *p,
                  SimError *err)
{
    const SimDomain *d = p->domain;
    double sym = ib_link_symbol_ps(p);
    if (fabs((double)d->period - sym) > 0.5) {
        double line_bits = p->encoding == IB_ENC_8B10B ? 10.0 : 66.0;
        sim_error_set(err, SIM_ERR_INPUT,
                      "instance '%s': key 'domain': a cycle of domain '%s' lasts %llu ps, but one "
                      "%s symbol at %.6g Gbps lasts %.2f ps: declare the domain at %.6fMHz",
                      name, d->name, (unsigned long long)d->period, ib_encoding_names[p->encoding],
                      p->lane_rate / 1e9, sym, p->lane_rate / line_bits / 1e6);
        return false;
    }
    l->owner = owner;
    l->name = name;
    l->p = *p;
    l->vls = (uint32_t)p->vls;
    l->symbol_bytes = (uint32_t)p->width * (p->encoding == IB_ENC_8B10B ? 1u : 8u);
    l->max_blocks = (max_packet_bytes(p->mtu) + IB_BLOCK_BYTES - 1) / IB_BLOCK_BYTES;
    l->hdr_symbols = (1 + IB_LRH_BYTES + l->symbol_bytes - 1) / l->symbol_bytes;
    uint32_t cap = (uint32_t)(p->vl_buffer / IB_BLOCK_BYTES);
    for (uint32_t v = 0; v < l->vls; v++) {
        IbVlTx *t = &l->txv[v];
        sim_ring_init(&t->r, (uint32_t)p->tx_queue);
        t->q = calloc(p->tx_queue, sizeof(*t->q));
        t->stall_since = SIM_CYCLE_NEVER;
        IbVlRx *r = &l->rxv[v];
        sim_ring_init(&r->r, cap);
        r->q = calloc(cap, sizeof(*r->q));
        r->cap = cap;
        r->due = true; /* the first FC packet of each VL goes at cycle 0 */
        if (t->q == NULL || r->q == NULL) {
            return sim_error_oom(err, name);
        }
    }
    /* A packet lasts at least one cycle, so the PHYs hold at most this many at once. */
    if (!sim_timed_fifo_init(&l->phy_out, (uint32_t)p->phy_tx_cycles + 2) ||
        !sim_timed_fifo_init(&l->phy_in, (uint32_t)p->phy_rx_cycles + 2)) {
        return sim_error_oom(err, name);
    }
    l->skip_due = p->skip_interval > 0 ? p->skip_interval : SIM_CYCLE_NEVER;
    return true;
}

void ib_link_destroy(IbLink *l)
{
    for (uint32_t v = 0; v < IB_MAX_VLS; v++) {
        free(l->txv[v].q);
        free(l->rxv[v].q);
        l->txv[v].q = NULL;
        l->rxv[v].q = NULL;
    }
    sim_timed_fifo_destroy(&l->phy_out);
    sim_timed_fifo_destroy(&l->phy_in);
}

/* ---- receive ---- */

static void rx_take(IbLink *l, SimPacket *pkt)
{
    Sim *sim = l->owner->sim;
    uint32_t vl = ib_vl(pkt);
    if (pkt->type == IB_FC) {
        l->st.fc_received++;
        if (vl < l->vls) {
            IbVlTx *t = &l->txv[vl];
            t->limit = pkt->tag;
            t->have_limit = true;
            /* IBA 7.9.4.2: the receiver's ABR takes the sender's FCTBS (every data packet sent
             * before this FC packet has arrived, the link keeps order). */
            l->rxv[vl].abr = pkt->seq;
        }
        sim_packet_free(sim, pkt);
        return;
    }
    uint32_t blocks = ib_packet_blocks(pkt);
    if (vl >= l->vls) {
        sim_fail(sim, "%s: a packet arrived on VL %u, the port has %u", l->name, vl, l->vls);
        sim_packet_free(sim, pkt);
        return;
    }
    IbVlRx *r = &l->rxv[vl];
    if (r->used + blocks > r->cap || sim_ring_full(&r->r)) {
        sim_fail(sim,
                 "%s: a packet of %u credits arrived on VL %u with %u of %u credits free: "
                 "the sender overran its credits",
                 l->name, blocks, vl, r->cap - r->used, r->cap);
        sim_packet_free(sim, pkt);
        return;
    }
    r->used += blocks;
    r->abr = mod_add(r->abr, blocks);
    r->q[sim_ring_push(&r->r)] = pkt;
    IbVlStats *vs = &l->st.vl[vl];
    vs->rx_packets++;
    vs->rx_blocks += blocks;
    if (r->used > vs->rx_max_blocks) {
        vs->rx_max_blocks = r->used;
    }
    l->st.rx_packets++;
    l->st.rx_bytes += ib_packet_bytes(pkt);
    l->st.rx_payload_bytes += ib_payload_bytes(pkt);
}

void ib_link_receive(IbLink *l, SimCycle now)
{
    SimPacket *pkt;
    while ((pkt = sim_port_peek(l->rx)) != NULL) {
        /* A packet pushed at its header (an owner that takes tails) says when its tail comes. */
        SimCycle tail = pkt->tail != 0 ? sim_port_tail_cycle(l->rx, pkt) : now;
        sim_port_pop(l->rx);
        pkt->tail = 0;
        pkt->user[0] = tail + l->p.phy_rx_cycles;
        pkt->user[1] = now + l->p.phy_rx_cycles;
        if (l->p.phy_rx_cycles == 0) {
            rx_take(l, pkt);
        } else {
            l->phy_data += pkt->type != IB_FC;
            assert(!sim_timed_fifo_full(&l->phy_in));
            sim_timed_fifo_push(&l->phy_in, now + l->p.phy_rx_cycles, pkt);
        }
    }
    while (sim_timed_fifo_ready(&l->phy_in, now) != NULL) {
        pkt = sim_timed_fifo_pop(&l->phy_in);
        l->phy_data -= pkt->type != IB_FC;
        rx_take(l, pkt);
    }
}

/* FC packets are owed when the threshold of freed credits is reached, or when anything was
 * freed and the credits advertised and not yet used are fewer than the largest packet needs
 * (the sender may be stalled: a threshold must not deadlock it). */
static void rx_check_due(IbLink *l, IbVlRx *r)
{
    if (r->freed == 0) {
        return;
    }
    uint32_t unused = mod_sub(r->advertised, r->abr);
    if (r->freed >= l->p.fc_threshold || unused < l->max_blocks) {
        r->due = true;
    }
}

SimPacket *ib_link_rx_pop(IbLink *l, uint32_t vl)
{
    IbVlRx *r = &l->rxv[vl];
    SimPacket *pkt = r->q[sim_ring_pop(&r->r)];
    uint32_t blocks = ib_packet_blocks(pkt);
    r->used -= blocks;
    r->freed += blocks;
    rx_check_due(l, r);
    return pkt;
}

SimPacket *ib_link_rx_take(IbLink *l, uint32_t vl)
{
    IbVlRx *r = &l->rxv[vl];
    return r->q[sim_ring_pop(&r->r)];
}

void ib_link_rx_release(IbLink *l, uint32_t vl, uint32_t blocks)
{
    IbVlRx *r = &l->rxv[vl];
    r->used -= blocks;
    r->freed += blocks;
    rx_check_due(l, r);
}

/* ---- transmit ---- */

void ib_link_tx_put(IbLink *l, SimPacket *pkt, SimCycle now)
{
    (void)now;
    uint32_t vl = ib_vl(pkt);
    assert(vl < l->vls && ib_is_data(pkt->type) && ib_payload_bytes(pkt) <= l->p.mtu);
    IbVlTx *t = &l->txv[vl];
    t->q[sim_ring_push(&t->r)] = pkt;
}

/* Room under the credit limit for a packet of `blocks` credits (IBA 7.9.4.3: the packet may go
 * when (FCCL - (FCTBS + blocks)) mod 4096 <= 2048). */
static bool has_credits(const IbVlTx *t, uint32_t blocks)
{
    return t->have_limit && mod_sub(t->limit, mod_add(t->sent, blocks)) <= IB_CREDIT_MOD / 2;
}

/* The VL whose FC packet goes next: an owed one, else one whose period ran out; -1: none. */
static int fc_pick(const IbLink *l, SimCycle now)
{
    for (uint32_t v = 0; v < l->vls; v++) {
        const IbVlRx *r = &l->rxv[v];
        if (r->due || now >= r->last_fc + l->p.fc_period) {
            return (int)v;
        }
    }
    return -1;
}

/* The VL whose head packet goes next (round robin over those with credits); -1: none. */
static int data_pick(IbLink *l, SimCycle now)
{
    int pick = -1;
    for (uint32_t i = 0; i < l->vls; i++) {
        uint32_t v = l->rr + i < l->vls ? l->rr + i : l->rr + i - l->vls;
        IbVlTx *t = &l->txv[v];
        if (sim_ring_empty(&t->r)) {
            continue;
        }
        if (has_credits(t, ib_packet_blocks(t->q[sim_ring_head(&t->r)]))) {
            if (pick < 0) {
                pick = (int)v;
            }
        } else if (t->stall_since == SIM_CYCLE_NEVER) {
            t->stall_since = now;
        }
    }
    return pick;
}

/* Skip ordered sets (docs/models/ib.md 2.4): the next is due at skip_due and goes at the first
 * packet boundary at or after it; on an idle link they follow each other every interval +
 * length. Settled lazily when something is to start at `now`; false if a skip still holds the
 * lanes at now (tx_free then says until when). */
static bool skip_settle(IbLink *l, SimCycle now)
{
    if (now < l->skip_due) {
        return true;
    }
    uint64_t k = l->p.skip_symbols;
    uint64_t period = l->p.skip_interval + k;
    SimCycle start0 = l->skip_due > l->tx_free ? l->skip_due : l->tx_free;
    uint64_t j = now >= start0 ? (now - start0) / period : 0;
    SimCycle start = start0 + j * period;
    SimCycle end = start + k;
    l->skip_due = end + l->p.skip_interval;
    l->st.skips += j + 1;
    l->st.busy_cycles += (j + 1) * k;
    l->tx_free = end;
    return end <= now;
}

static void start_packet(IbLink *l, SimPacket *pkt, SimCycle now)
{
    uint32_t d = ib_link_symbols(l, pkt);
    l->tx_free = now + d;
    l->st.busy_cycles += d;
    l->phy_data += pkt->type != IB_FC;
    /* Its last symbol is at now + d - 1; it leaves the PHY phy_tx_cycles later. A data packet
     * whose receiver takes tails goes at its header (SDP and LRH), its tail following. */
    SimCycle tail = now + d - 1 + l->p.phy_tx_cycles;
    pkt->user[0] = tail;
    bool head = l->cut && pkt->type != IB_FC;
    sim_timed_fifo_push(&l->phy_out, head ? now + l->hdr_symbols - 1 + l->p.phy_tx_cycles : tail,
                        pkt);
}

static void start_data(IbLink *l, uint32_t vl, SimPacket *pkt, SimCycle now)
{
    IbVlTx *t = &l->txv[vl];
    uint32_t blocks = ib_packet_blocks(pkt);
    t->sent = mod_add(t->sent, blocks);
    l->st.tx_packets++;
    l->st.tx_bytes += ib_packet_bytes(pkt);
    l->st.tx_payload_bytes += ib_payload_bytes(pkt);
    l->st.vl[vl].tx_packets++;
    l->st.vl[vl].tx_blocks += blocks;
    pkt->stamp[SIM_STAMP_HOP] = l->owner->sim->now;
    start_packet(l, pkt, now);
}

bool ib_link_tx_has_credits(const IbLink *l, uint32_t vl, uint32_t blocks)
{
    return has_credits(&l->txv[vl], blocks);
}

bool ib_link_tx_can_start(IbLink *l, uint32_t vl, uint32_t blocks, SimCycle now)
{
    if (!l->started || now < l->tx_free || sim_timed_fifo_full(&l->phy_out) ||
        fc_pick(l, now) >= 0 || !has_credits(&l->txv[vl], blocks)) {
        return false;
    }
    return skip_settle(l, now);
}

void ib_link_tx_start(IbLink *l, SimPacket *pkt, SimCycle now)
{
    uint32_t vl = ib_vl(pkt);
    assert(vl < l->vls && ib_payload_bytes(pkt) <= l->p.mtu);
    start_data(l, vl, pkt, now);
}

void ib_link_transmit(IbLink *l, SimCycle now)
{
    Sim *sim = l->owner->sim;
    if (!l->started) {
        l->started = true;
        l->tx_free = now;
        l->cut = l->tx->consumer->takes_tails;
    }
    bool want = now >= l->tx_free && !sim_timed_fifo_full(&l->phy_out);
    int fc = want ? fc_pick(l, now) : -1;
    int dv = want && fc < 0 ? data_pick(l, now) : -1;
    if ((fc >= 0 || dv >= 0) && !skip_settle(l, now)) {
        fc = dv = -1;
    }
    if (fc >= 0) {
        SimPacket *pkt = sim_packet_new(sim);
        if (pkt != NULL) {
            IbVlRx *r = &l->rxv[fc];
            pkt->type = IB_FC;
            ib_set_vl(pkt, (uint32_t)fc);
            pkt->seq = l->txv[fc].sent;
            r->advertised = mod_add(r->abr, r->cap - r->used);
            pkt->tag = r->advertised;
            pkt->stamp[SIM_STAMP_CREATE] = pkt->stamp[SIM_STAMP_INJECT] = sim->now;
            r->freed = 0;
            r->due = false;
            r->last_fc = now;
            l->st.fc_sent++;
            l->st.vl[fc].fc_sent++;
            start_packet(l, pkt, now);
        }
    } else if (dv >= 0) {
        IbVlTx *t = &l->txv[dv];
        SimPacket *pkt = t->q[sim_ring_pop(&t->r)];
        if (t->stall_since != SIM_CYCLE_NEVER) {
            l->st.vl[dv].credit_stall_cycles += now - t->stall_since;
            t->stall_since = SIM_CYCLE_NEVER;
        }
        l->rr = (uint32_t)dv + 1 < l->vls ? (uint32_t)dv + 1 : 0;
        start_data(l, (uint32_t)dv, pkt, now);
    }
    ib_link_push(l, now);
}

void ib_link_push(IbLink *l, SimCycle now)
{
    while (sim_timed_fifo_ready(&l->phy_out, now) != NULL && sim_port_can_push(l->tx)) {
        SimCycle planned = sim_timed_fifo_head_ready(&l->phy_out);
        SimPacket *pkt = sim_timed_fifo_pop(&l->phy_out);
        l->phy_data -= pkt->type != IB_FC;
        bool head = l->cut && pkt->type != IB_FC;
        sim_packet_set_tail_planned(pkt, l->p.domain, head ? pkt->user[0] : 0, planned, now);
        sim_port_push(l->tx, pkt);
    }
}

SimCycle ib_link_wake(const IbLink *l, SimCycle now)
{
    SimCycle next = sim_timed_fifo_wake(&l->phy_out, now);
    SimCycle in = sim_timed_fifo_wake(&l->phy_in, now);
    if (in < next) {
        next = in;
    }
    if (sim_timed_fifo_ready(&l->phy_out, now) != NULL) {
        return next; /* the tx port is full: its freed slot wakes the owner */
    }
    SimCycle free_at = l->tx_free > now ? l->tx_free : now + 1;
    for (uint32_t v = 0; v < l->vls; v++) {
        const IbVlRx *r = &l->rxv[v];
        SimCycle at = r->due ? free_at : r->last_fc + l->p.fc_period;
        if (at < free_at) {
            at = free_at;
        }
        if (at < next) {
            next = at;
        }
        const IbVlTx *t = &l->txv[v];
        if (!sim_ring_empty(&t->r) &&
            (l->tx_free > now || has_credits(t, ib_packet_blocks(t->q[sim_ring_head(&t->r)]))) &&
            free_at < next) {
            next = free_at;
        }
    }
    return next;
}

bool ib_link_busy(const IbLink *l)
{
    if (l->phy_data != 0) {
        return true;
    }
    for (uint32_t v = 0; v < l->vls; v++) {
        if (!sim_ring_empty(&l->txv[v].r) || !sim_ring_empty(&l->rxv[v].r)) {
            return true;
        }
    }
    return false;
}

void ib_link_finish(IbLink *l, SimTime end)
{
    SimTime period = l->p.domain->period;
    SimCycle cycles = end / period + 1;
    l->st.tx_util = cycles ? (double)l->st.busy_cycles / (double)cycles : 0.0;
    for (uint32_t v = 0; v < l->vls; v++) {
        IbVlTx *t = &l->txv[v];
        if (t->stall_since != SIM_CYCLE_NEVER && end / period >= t->stall_since) {
            l->st.vl[v].credit_stall_cycles += end / period - t->stall_since;
            t->stall_since = SIM_CYCLE_NEVER;
        }
    }
}

void ib_link_dump(const IbLink *l, SimError *report)
{
    for (uint32_t v = 0; v < l->vls; v++) {
        const IbVlTx *t = &l->txv[v];
        const IbVlRx *r = &l->rxv[v];
        sim_error_append(report,
                         " [VL%u: %u queued, FCTBS %u, FCCL %u%s; rx %u packets, %u of %u credits]",
                         v, t->r.count, t->sent, t->limit, t->have_limit ? "" : " (none yet)",
                         r->r.count, r->used, r->cap);
    }
    sim_error_append(report, " [PHY: %u leaving, %u arriving]", sim_timed_fifo_count(&l->phy_out),
                     sim_timed_fifo_count(&l->phy_in));
}
