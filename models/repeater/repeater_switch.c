/*
 * repeater.switch: the switching stage of a MemBox repeater (docs/models/repeater.md).
 *
 * A repeater is a composition (sim/config wires it; a model never includes another model):
 * one link.spp per down port, a link.mpp up, a pcie.adapter for the repeater's own host and
 * this stage between them. Every port of the stage speaks mem.h on a 512-bit Avalon-MM bus:
 *
 *   down SPP 0 mem_req --> req0  \                              /--> up_req   --> up MPP req
 *   down SPP 1 mem_req --> req1   |  round robin, one request  |
 *   down SPP 2 mem_req --> req2   |  bus (up), store-and-      |
 *   own adapter mem_req -> local_req  forward or cut-through  /
 *   down SPP i mem_resp <-- resp<i>  <-- route by the port index <-- up_resp <-- up MPP resp
 *
 * Routing: a request pushes the index of the port it came in on into the return route
 * (mem_route_push, the DDR3 arbiter's discipline); the up MPP hands each response back with the
 * route untouched, and the stage pops it to choose the down port. So requests go up to the
 * MemBox and responses come down by source node, at any depth (8 bits of route per level).
 *
 * Timing of one packet of k beats (k = 1 for a read command and a write acknowledgement), in
 * the stage's cycles; v = the cycle the packet became visible at the input (it is pushed by
 * its producer at its last beat, so its header beat passed the input at v - k + 1):
 *
 *   store_and_forward: the whole packet is in at v; after `processing` cycles (CRC check,
 *     routing) the egress bus sends its k beats: start = max(v + processing, bus free),
 *     push at start + k - 1.
 *   cut_through: the egress starts `switching` cycles after the header beat:
 *     start = max(v - k + 1 + switching, bus free), push at max(start + k - 1, now).
 *     The push is never before v + switching, so it is never in the past.
 *
 *   cycle       v-k+1 ..... v      v+1 ...                       (k = 4, processing 2, switching 1)
 *   in beats    H   D   D   D|
 *   saf egress                      .   .  H   D   D   D| push at v + 2 + 3
 *   ct egress       .  H   D   D   D| push at v + 1
 *
 * The egress bus of each direction and each down port holds at most one packet in flight
 * (`hold`): the next grant is at the bus's next free cycle. Grants and pushes happen at
 * events (visibility, bus free, a slot freed), so both kernels see the same cycles.
 */
#include "repeater.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"

#define REP_MAX_DOWNS 8u
#define REP_LOCAL     REP_MAX_DOWNS /* route index and slot of the local (own host) port */
#define REP_NIN       (REP_MAX_DOWNS + 1u)
#define REP_MAX_BUF   16u /* serial: MPP-side buffer slots per egress, at most */

typedef enum RepeaterMode {
    REP_MODE_SAF = 0,
    REP_MODE_CT,
    REP_MODE_MAX
} RepeaterMode;

static const char *const repeater_mode_names[REP_MODE_MAX + 1] = {
    [REP_MODE_SAF] = "store_and_forward",
    [REP_MODE_CT] = "cut_through",
    [REP_MODE_MAX] = NULL,
};

typedef struct RepeaterParams {
    SimDomain *domain;
    int mode;
    uint64_t downs;
    bool local;
    uint64_t processing;
    uint64_t switching;
    uint64_t bus_bytes;
    bool serial;
    uint64_t buffers;
    double wire_rate;
    uint64_t frame_bytes;
    bool hop_stats;
} RepeaterParams;

/*
 * serial (docs/models/repeater.md section 3, "Serial store-and-forward"): the MPP-side buffer
 * of one egress holds `buffers` packets, each from its copy until its last byte has left on the
 * wire (`release`, the first cycle the slot is free). Packet i starts its copy no earlier than
 * the release of packet i - buffers: rel[i % buffers] holds it until packet i overwrites it.
 */
typedef struct RepSlots {
    SimCycle rel[REP_MAX_BUF];
    uint64_t n; /* packets pushed through this egress */
} RepSlots;

/*
 * hop_stats: occupancy of one egress's output (MPP-side) buffer, a packet counted from the
 * cycle its copy starts (its first beat on the bus) to its release (serial: its last byte on
 * the wire) or its push (otherwise). Both are known when they still lie in the future, so they
 * wait in `pend` and are applied in time order (a release before an entry at the same time)
 * before any later change: the time-weighted mean then depends only on when packets came and
 * went, never on when the stage ticked. Pending: one entry (the held packet) and at most
 * `buffers` releases.
 */
typedef struct RepOccEv {
    SimTime at;
    int delta; /* +1 entry, -1 release */
} RepOccEv;

typedef struct RepOcc {
    SimTimeAvg avg;
    RepOccEv pend[REP_MAX_BUF + 2];
    uint32_t npend;
    uint64_t value;
} RepOcc;

/* hop_stats, per egress: its buffer and the wire time of what it sent. */
typedef struct RepHop {
    RepOcc occ;
    uint64_t beats;   /* bus beats sent */
    SimTime wire_ps;  /* time the packets sent need on the outgoing link at wire_rate */
    double bus_util;  /* beats / cycles of the run */
    double wire_load; /* wire_ps / time of the run */
} RepHop;

/* A packet granted to an egress bus: it leaves at `push` (its last beat, or its header beat
 * with its tail pushed at `tail` when it cuts through), freeing the bus after `tail`. */
typedef struct RepHold {
    SimPacket *pkt;
    SimCycle push;
    SimCycle tail;   /* cut-through: cycle its tail is pushed; 0 when pushed whole */
    SimTime entered; /* when it became visible at the input: residency statistics */
} RepHold;

typedef struct RepInStats {
    uint64_t requests;
    uint64_t beats;
    uint64_t responses;
    double share;
} RepInStats;

typedef struct Repeater {
    SimComponent c;
    SimPort *req[REP_NIN];
    SimPort *resp[REP_NIN];
    SimPort *up_req;
    SimPort *up_resp;
    RepeaterParams p;
    uint32_t nin;             /* inputs in use: downs (+1 with local) */
    uint32_t in_idx[REP_NIN]; /* i -> port slot (0..downs-1, REP_LOCAL) */
    uint32_t rr_next;         /* round robin over in_idx */
    bool checked;
    RepHold up;            /* request bus */
    SimCycle up_free;      /* first cycle the request bus is free */
    RepHold down[REP_NIN]; /* response bus per down port */
    uint32_t down_held;    /* bit s: down[s].pkt != NULL (the ticks visit only those) */
    SimCycle down_free[REP_NIN];
    /* statistics */
    RepInStats in[REP_NIN];
    uint64_t forwarded_up;
    uint64_t forwarded_down;
    uint64_t cut_throughs;
    uint64_t discarded;
    uint64_t total_beats;
    SimHist req_residency;
    SimHist resp_residency;
    /* serial */
    RepSlots up_slots;
    RepSlots down_slots[REP_NIN];
    /* hop_stats (block 1) */
    SimHist req_wait;
    SimHist resp_wait;
    RepHop up_hop;
    RepHop down_hop[REP_NIN];
} Repeater;

static uint32_t beats_of(const Repeater *r, const SimPacket *pkt)
{
    if (pkt->type == MEM_READ || pkt->type == MEM_WRITE_ACK || pkt->len == 0) {
        return 1;
    }
    uint64_t b = r->p.bus_bytes;
    return (uint32_t)((pkt->len + b - 1) / b);
}

static SimCycle cycle_of(const Repeater *r, SimTime t)
{
    const SimDomain *d = r->c.domain;
    return t <= d->phase ? 0 : (t - d->phase) / d->period;
}

/* Bytes a packet carries on the wire: its payload (none for a read command or a write
 * acknowledgement) and the frame (header, CRC, framing) of `frame_bytes`. */
static uint64_t wire_bytes_of(const Repeater *r, const SimPacket *pkt)
{
    bool data = !(pkt->type == MEM_READ || pkt->type == MEM_WRITE_ACK);
    return (data ? pkt->len : 0) + r->p.frame_bytes;
}

/* Its time on the outgoing link at wire_rate, in ps, rounded up. */
static SimTime wire_ps_of(const Repeater *r, const SimPacket *pkt)
{
    double ps = (double)wire_bytes_of(r, pkt) * 8.0e12 / r->p.wire_rate;
    SimTime t = (SimTime)ps;
    return (double)t < ps ? t + 1 : t;
}

/* serial: w = the wire time in whole cycles of the stage, rounded up. */
static SimCycle wire_cycles_of(const Repeater *r, const SimPacket *pkt)
{
    SimTime period = r->c.domain->period;
    return (wire_ps_of(r, pkt) + period - 1) / period;
}

/* The earliest cycle the next packet of an egress may start: its bus free at f and, serial,
 * the slot of the packet `buffers` before it released. */
static SimCycle egress_free(const Repeater *r, const RepSlots *sl, SimCycle f)
{
    if (!r->p.serial || sl->n < r->p.buffers) {
        return f;
    }
    SimCycle rel = sl->rel[sl->n % r->p.buffers];
    return rel > f ? rel : f;
}

/* serial: a packet pushed now into the MPP-side buffer leaves its slot when its last byte has
 * left on the wire: release = now + w + 1. Returns that cycle (now + 1 when not serial). */
static SimCycle slot_take(Repeater *r, RepSlots *sl, const SimPacket *pkt, SimCycle now)
{
    if (!r->p.serial) {
        return now + 1;
    }
    SimCycle rel = now + wire_cycles_of(r, pkt) + 1;
    sl->rel[sl->n % r->p.buffers] = rel;
    sl->n++;
    return rel;
}

/* Apply the changes due at or before t, earliest first, a release before an entry. */
static void occ_advance(RepOcc *o, SimTime t)
{
    for (;;) {
        uint32_t best = o->npend;
        for (uint32_t i = 0; i < o->npend; i++) {
            const RepOccEv *e = &o->pend[i];
            if (e->at > t) {
                continue;
            }
            if (best == o->npend || e->at < o->pend[best].at ||
                (e->at == o->pend[best].at && e->delta < o->pend[best].delta)) {
                best = i;
            }
        }
        if (best == o->npend) {
            return;
        }
        RepOccEv e = o->pend[best];
        o->pend[best] = o->pend[--o->npend];
        o->value = e.delta > 0 ? o->value + 1 : o->value - 1;
        sim_timeavg_set(&o->avg, e.at, o->value);
    }
}

static void occ_at(RepOcc *o, SimTime at, int delta)
{
    if (o->npend < N_OF(o->pend)) {
        o->pend[o->npend++] = (RepOccEv){at, delta};
    }
}

/* hop_stats of a packet pushed now through the egress `hop`, its slot released at cycle rel. */
static void hop_pushed(Repeater *r, RepHop *hop, const SimPacket *pkt, SimCycle rel)
{
    if (!r->p.hop_stats) {
        return;
    }
    hop->beats += beats_of(r, pkt);
    hop->wire_ps += wire_ps_of(r, pkt);
    SimTime now = r->c.sim->now;
    occ_advance(&hop->occ, now);
    occ_at(&hop->occ, r->p.serial ? sim_domain_time(r->c.domain, rel) : now, -1);
    occ_advance(&hop->occ, now);
}

/* hop_stats of a packet granted now to an egress, planned to push at cycle h->push: its copy
 * starts k - 1 cycles before (never before now). */
static void hop_granted(Repeater *r, RepHop *hop, SimHist *wait, const RepHold *h, uint32_t k)
{
    if (!r->p.hop_stats) {
        return;
    }
    SimTime now = r->c.sim->now;
    sim_hist_record(wait, now > h->entered ? now - h->entered : 0);
    SimCycle start = h->push + 1 >= k ? h->push + 1 - k : 0;
    SimTime at = sim_domain_time(r->c.domain, start);
    occ_advance(&hop->occ, now);
    occ_at(&hop->occ, at > now ? at : now, +1);
    occ_advance(&hop->occ, now);
}

/* The egress start and push cycle of a packet visible at v with k beats, bus free at f. */
static SimCycle egress_push(const Repeater *r, SimCycle v, uint32_t k, SimCycle f, SimCycle now)
{
    SimCycle start;
    if (r->p.mode == REP_MODE_CT) {
        SimCycle hdr = v + 1 >= k ? v + 1 - k : 0;
        start = hdr + r->p.switching;
    } else {
        start = v + r->p.processing;
    }
    if (start < f) {
        start = f;
    }
    SimCycle push = start + k - 1;
    return push < now ? now : push;
}

/*
 * Plan the egress of a packet into h (pkt, entered already set): pushed at its last beat (a
 * whole packet, visible at v) or at its header (cut-through from a link, header visible at v,
 * tail at tv; docs/models/repeater.md section 3). Returns false when the packet is to be
 * dropped: its tail shows it bad and it would have to leave whole (store_and_forward, or an
 * output that takes only whole packets).
 */
static bool egress_plan(Repeater *r, const SimPort *in, const SimPort *out, RepHold *h, uint32_t k,
                        SimCycle f, SimCycle now)
{
    SimPacket *pkt = h->pkt;
    SimCycle v = cycle_of(r, h->entered);
    SimCycle tv = sim_port_tail_cycle(in, pkt);
    h->tail = 0;
    bool bad = pkt->tail_bad;
    if (pkt->tail == 0 || tv <= v) {
        if (bad) {
            return false; /* its tail is in: seen bad here */
        }
        h->push = egress_push(r, v, k, f, now);
        return true;
    }
    if (r->p.mode != REP_MODE_CT) {
        if (bad) {
            return false;
        }
        SimCycle start = tv + r->p.processing > f ? tv + r->p.processing : f;
        h->push = start + k - 1 > now ? start + k - 1 : now;
        return true;
    }
    SimCycle start = v + r->p.switching > f ? v + r->p.switching : f;
    if (start < now) {
        start = now;
    }
    SimCycle last = start + k - 1 > tv + r->p.switching ? start + k - 1 : tv + r->p.switching;
    if (!out->consumer->takes_tails) {
        if (bad) {
            return false;
        }
        h->push = last; /* streamed as it came, handed over whole at its last beat */
        return true;
    }
    h->push = start;
    h->tail = last;
    return true;
}

/* Push a planned packet; returns the first cycle its bus is free again. */
static SimCycle egress_push_now(Repeater *r, SimPort *out, RepHold *h, SimCycle now)
{
    SimCycle free_at = now + 1;
    if (h->tail != 0) {
        free_at = h->tail + (now - h->push) + 1; /* a full output delays the whole packet */
        r->cut_throughs++;
    }
    sim_packet_set_tail_planned(h->pkt, r->c.domain, h->tail, h->push, now);
    sim_port_push(out, h->pkt);
    h->pkt = NULL;
    return free_at;
}

static bool check_ports(Repeater *r)
{
    for (uint32_t i = 0; i < REP_NIN; i++) {
        bool used = i < r->p.downs || (i == REP_LOCAL && r->p.local);
        bool have_req = r->req[i] != NULL;
        bool have_resp = r->resp[i] != NULL;
        char pname[16];
        if (i == REP_LOCAL) {
            snprintf(pname, sizeof(pname), "local");
        } else {
            snprintf(pname, sizeof(pname), "%u", i);
        }
        if (used && (!have_req || !have_resp)) {
            sim_fail(r->c.sim, "instance '%s': %s%s and %s%s must both be connected", r->c.name,
                     i == REP_LOCAL ? "" : "req", i == REP_LOCAL ? "local_req" : pname,
                     i == REP_LOCAL ? "" : "resp", i == REP_LOCAL ? "local_resp" : pname);
            return false;
        }
        if (!used && (have_req || have_resp)) {
            sim_fail(r->c.sim, "instance '%s': port %s%s is connected but %s", r->c.name,
                     i == REP_LOCAL ? "local" : "req", i == REP_LOCAL ? "_req" : pname,
                     i == REP_LOCAL ? "`local` is false" : "it is not below `downs`");
            return false;
        }
    }
    r->checked = true;
    return true;
}

/* Request path: grant one input to the up bus when it is free. */
static void up_grant(Repeater *r, SimCycle now)
{
    if (r->up.pkt != NULL) {
        return;
    }
    for (uint32_t k = 0; k < r->nin; k++) {
        uint32_t i = (r->rr_next + k) % r->nin;
        uint32_t slot = r->in_idx[i];
        SimPacket *pkt = sim_port_peek(r->req[slot]);
        if (pkt == NULL) {
            continue;
        }
        uint32_t beats = beats_of(r, pkt);
        r->up.pkt = pkt;
        r->up.entered = sim_port_head_time(r->req[slot]);
        bool go = egress_plan(r, r->req[slot], r->up_req, &r->up, beats,
                              egress_free(r, &r->up_slots, r->up_free), now);
        sim_port_pop(r->req[slot]);
        r->rr_next = (i + 1) % r->nin;
        if (!go) {
            r->up.pkt = NULL;
            r->discarded++;
            sim_packet_free(r->c.sim, pkt);
            return;
        }
        if (!pkt->tail_bad) {
            r->in[slot].requests++;
            r->in[slot].beats += beats;
            r->total_beats += beats;
        }
        hop_granted(r, &r->up_hop, &r->req_wait, &r->up, beats);
        mem_route_push(pkt, slot);
        return;
    }
}

/* Response path: route the head of up_resp to its down bus when that one is free. */
static void down_take(Repeater *r, SimCycle now)
{
    for (;;) {
        SimPacket *pkt = sim_port_peek(r->up_resp);
        if (pkt == NULL) {
            return;
        }
        uint32_t slot = (uint32_t)(pkt->user[1] & 0xffu);
        if (slot >= REP_NIN || r->resp[slot] == NULL) {
            sim_fail(r->c.sim,
                     "instance '%s': a response routed to port %u, which is not "
                     "connected (route 0x%llx)",
                     r->c.name, slot, (unsigned long long)pkt->user[1]);
            return;
        }
        if (r->down[slot].pkt != NULL) {
            return; /* head-of-line: the up MPP delivers in one FIFO */
        }
        RepHold *h = &r->down[slot];
        h->pkt = pkt;
        r->down_held |= 1u << slot;
        h->entered = sim_port_head_time(r->up_resp);
        bool go = egress_plan(r, r->up_resp, r->resp[slot], h, beats_of(r, pkt),
                              egress_free(r, &r->down_slots[slot], r->down_free[slot]), now);
        sim_port_pop(r->up_resp);
        if (!go) {
            h->pkt = NULL;
            r->down_held &= ~(1u << slot);
            r->discarded++;
            sim_packet_free(r->c.sim, pkt);
            continue;
        }
        (void)mem_route_pop(pkt);
        if (!pkt->tail_bad) {
            r->in[slot].responses++;
        }
        hop_granted(r, &r->down_hop[slot], &r->resp_wait, h, beats_of(r, pkt));
    }
}

static SimCycle repeater_tick(SimComponent *c, SimCycle now)
{
    Repeater *r = (Repeater *)c;
    Sim *sim = c->sim;
    if (!r->checked && !check_ports(r)) {
        return SIM_SLEEP;
    }
    SimCycle next = SIM_SLEEP;
    /* Pushes due now first, so a bus freed now can be granted again in the same tick only
     * for a packet whose start is later (start >= free = now + 1). */
    for (int pass = 0; pass < 2; pass++) {
        if (r->up.pkt != NULL && r->up.push <= now && sim_port_can_push(r->up_req)) {
            sim_hist_record(&r->req_residency, sim->now - r->up.entered);
            r->forwarded_up++;
            const SimPacket *pkt = r->up.pkt;
            SimCycle rel = slot_take(r, &r->up_slots, pkt, now);
            hop_pushed(r, &r->up_hop, pkt, rel);
            r->up_free = egress_push_now(r, r->up_req, &r->up, now);
        }
        for (uint32_t held = r->down_held; held != 0; held &= held - 1) {
            uint32_t s = (uint32_t)__builtin_ctz(held); /* ascending, as a loop over all */
            RepHold *h = &r->down[s];
            if (h->push <= now && sim_port_can_push(r->resp[s])) {
                sim_hist_record(&r->resp_residency, sim->now - h->entered);
                r->forwarded_down++;
                SimCycle rel = slot_take(r, &r->down_slots[s], h->pkt, now);
                hop_pushed(r, &r->down_hop[s], h->pkt, rel);
                r->down_free[s] = egress_push_now(r, r->resp[s], h, now);
                r->down_held &= ~(1u << s);
            }
        }
        if (pass == 0) {
            up_grant(r, now);
            down_take(r, now);
            if (sim->failed) {
                return SIM_SLEEP;
            }
        }
    }
    /* When is the next thing due? A held packet at its push (or when a slot frees: the port
     * wakes us); a visible input when its bus is free (bus free is now + 1 at the latest). */
    if (r->up.pkt != NULL) {
        if (r->up.push > now) {
            next = r->up.push;
        }
    } else {
        for (uint32_t i = 0; i < r->nin; i++) {
            if (sim_port_peek(r->req[r->in_idx[i]]) != NULL) {
                next = now + 1;
                break;
            }
        }
    }
    for (uint32_t held = r->down_held; held != 0; held &= held - 1) {
        uint32_t s = (uint32_t)__builtin_ctz(held);
        if (r->down[s].push > now && r->down[s].push < next) {
            next = r->down[s].push;
        }
    }
    SimPacket *head = sim_port_peek(r->up_resp);
    if (head != NULL) {
        uint32_t slot = (uint32_t)(head->user[1] & 0xffu);
        if (slot < REP_NIN && r->down[slot].pkt == NULL && now + 1 < next) {
            next = now + 1;
        }
    }
    return next;
}

static bool repeater_busy(const SimComponent *c)
{
    const Repeater *r = (const Repeater *)c;
    if (r->up.pkt != NULL) {
        return true;
    }
    for (uint32_t s = 0; s < REP_NIN; s++) {
        if (r->down[s].pkt != NULL) {
            return true;
        }
    }
    return false;
}

static void repeater_dump(const SimComponent *c, SimError *report)
{
    const Repeater *r = (const Repeater *)c;
    uint32_t held = 0;
    for (uint32_t s = 0; s < REP_NIN; s++) {
        held += r->down[s].pkt != NULL;
    }
    sim_error_append(report, " (request bus %s, %u responses held)",
                     r->up.pkt != NULL ? "holds a request" : "free", held);
}

static void hop_finish(const Repeater *r, RepHop *hop, SimTime end)
{
    occ_advance(&hop->occ, end);
    SimCycle cycles = end / r->c.domain->period;
    hop->bus_util = cycles > 0 ? (double)hop->beats / (double)cycles : 0.0;
    hop->wire_load = end > 0 ? (double)hop->wire_ps / (double)end : 0.0;
}

static void repeater_finish(SimComponent *c, SimTime end)
{
    Repeater *r = (Repeater *)c;
    for (uint32_t s = 0; s < REP_NIN; s++) {
        r->in[s].share = r->total_beats > 0 ? (double)r->in[s].beats / (double)r->total_beats : 0.0;
    }
    if (r->p.hop_stats) {
        hop_finish(r, &r->up_hop, end);
        for (uint32_t s = 0; s < REP_NIN; s++) {
            hop_finish(r, &r->down_hop[s], end);
        }
    }
}

static void repeater_destroy(SimComponent *c)
{
    Repeater *r = (Repeater *)c;
    sim_hist_destroy(&r->req_residency);
    sim_hist_destroy(&r->resp_residency);
    sim_hist_destroy(&r->req_wait);
    sim_hist_destroy(&r->resp_wait);
}

static const SimComponentOps repeater_ops = {
    .tick = repeater_tick,
    .finish = repeater_finish,
    .busy = repeater_busy,
    .dump = repeater_dump,
    .destroy = repeater_destroy,
};

static const SimParamDesc repeater_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(RepeaterParams, domain), "pcie", NULL, NULL, NULL,
     "clock of the switching stage's Avalon-MM buses (the MPP side, 250 MHz)"},
    {"mode", SIM_PARAM_ENUM, offsetof(RepeaterParams, mode), "store_and_forward", NULL, NULL,
     repeater_mode_names,
     "store_and_forward: forward once the whole packet is in; cut_through: once its header is"},
    {"downs", SIM_PARAM_UINT, offsetof(RepeaterParams, downs), "3", "1", "8", NULL,
     "down ports req<i>/resp<i> in use (the paper's repeater: 3)"},
    {"local", SIM_PARAM_BOOL, offsetof(RepeaterParams, local), "true", NULL, NULL, NULL,
     "the repeater's own host uses local_req/local_resp (through its pcie.adapter)"},
    {"processing", SIM_PARAM_UINT, offsetof(RepeaterParams, processing), "2", "0", "1000", NULL,
     "store_and_forward: cycles from a whole packet in to its first beat out (check, route)"},
    {"switching", SIM_PARAM_UINT, offsetof(RepeaterParams, switching), "1", "0", "1000", NULL,
     "cut_through: cycles from the header beat in to the first beat out (route lookup)"},
    {"bus_bytes", SIM_PARAM_BYTES, offsetof(RepeaterParams, bus_bytes), "64B", "8B", "512B", NULL,
     "bytes per beat of the switching stage's buses (Avalon-MM 512 bits)"},
    {"serial", SIM_PARAM_BOOL, offsetof(RepeaterParams, serial), "false", NULL, NULL, NULL,
     "store_and_forward only: the SPP-side and MPP-side buffers in series, a packet holding its "
     "MPP-side slot until it has left on the wire (no overlap beyond `buffers`)"},
    {"buffers", SIM_PARAM_UINT, offsetof(RepeaterParams, buffers), "1", "1", "16", NULL,
     "serial: packets the MPP-side buffer of each egress holds (1: receive and forward never "
     "overlap)"},
    {"wire_rate", SIM_PARAM_BITRATE, offsetof(RepeaterParams, wire_rate), "40Gbps", "1Gbps",
     "400Gbps", NULL,
     "serial and hop_stats: data rate of the outgoing optical link (4 x 10GBASE-R)"},
    {"frame_bytes", SIM_PARAM_BYTES, offsetof(RepeaterParams, frame_bytes), "96B", "0B", "4KiB",
     NULL,
     "serial and hop_stats: bytes of framing per packet on the wire (3 lane cycles of 4 x 8 B)"},
    {"hop_stats", SIM_PARAM_BOOL, offsetof(RepeaterParams, hop_stats), "false", NULL, NULL, NULL,
     "add the per-hop statistics: waits, output-buffer occupancy, bus use and wire load"},
};

/* clang-format off */
#define REQ_PORT(i) {"req" #i, SIM_PORT_IN, true, "requests from down port " #i " (an SPP)"}, \
                    {"resp" #i, SIM_PORT_OUT, true, "responses to down port " #i}
/* clang-format on */

static const SimPortDesc repeater_ports[] = {
    {"up_req", SIM_PORT_OUT, false, "requests up (to the up MPP's req)"},
    {"up_resp", SIM_PORT_IN, false, "responses from the up MPP's resp"},
    {"local_req", SIM_PORT_IN, true, "requests of the repeater's own host (pcie.adapter)"},
    {"local_resp", SIM_PORT_OUT, true, "responses to the repeater's own host"},
    REQ_PORT(0),
    REQ_PORT(1),
    REQ_PORT(2),
    REQ_PORT(3),
    REQ_PORT(4),
    REQ_PORT(5),
    REQ_PORT(6),
    REQ_PORT(7),
};

static const char *repeater_check(const void *params, char *msg, size_t msg_size)
{
    const RepeaterParams *p = params;
    if (!is_pow2(p->bus_bytes)) {
        snprintf(msg, msg_size, "%llu bytes is not a power of two",
                 (unsigned long long)p->bus_bytes);
        return "bus_bytes";
    }
    if (p->serial && p->mode != REP_MODE_SAF) {
        snprintf(msg, msg_size,
                 "serial buffers are store-and-forward: `mode` must be "
                 "store_and_forward");
        return "serial";
    }
    return NULL;
}

static const char *const rep_in_labels[REP_NIN] = {"in0", "in1", "in2", "in3",  "in4",
                                                   "in5", "in6", "in7", "local"};

#define IN_ROW(name_, kind_, field_, unit_, doc_)                                                  \
    SIM_STAT_GROUP_ROW(0, 1, "<input>." name_, kind_, Repeater, in[0].field_, sizeof(RepInStats),  \
                       unit_, 1, doc_)

static const SimStatDesc repeater_stat_rows[] = {
    SIM_STAT_ROW("forwarded_up", SIM_STAT_COUNTER, Repeater, forwarded_up, "packets", 1,
                 "requests sent up"),
    SIM_STAT_ROW("forwarded_down", SIM_STAT_COUNTER, Repeater, forwarded_down, "packets", 1,
                 "responses sent down"),
    SIM_STAT_ROW("cut_throughs", SIM_STAT_COUNTER, Repeater, cut_throughs, "packets", 1,
                 "packets sent on at their header, their tail still coming from a cut_through "
                 "link"),
    SIM_STAT_ROW("discarded", SIM_STAT_COUNTER, Repeater, discarded, "packets", 1,
                 "cut-through packets whose tail showed them bad, dropped here (they had to "
                 "leave whole)"),
    SIM_STAT_ROW("req_residency_ns", SIM_STAT_HIST, Repeater, req_residency, "ns", 1000,
                 "per request: visible at an input to pushed up, ns"),
    SIM_STAT_ROW("resp_residency_ns", SIM_STAT_HIST, Repeater, resp_residency, "ns", 1000,
                 "per response: visible from up to pushed down, ns"),
    IN_ROW("requests", SIM_STAT_COUNTER, requests, "packets", "requests granted"),
    IN_ROW("beats", SIM_STAT_COUNTER, beats, "beats", "beats granted"),
    IN_ROW("responses", SIM_STAT_COUNTER, responses, "packets", "responses routed down"),
    IN_ROW("share", SIM_STAT_REAL, share, NULL, "share of the beats sent up"),
    /* hop_stats: block 1 */
    SIM_STAT_ROW_IN(1, "req_wait_ns", SIM_STAT_HIST, Repeater, req_wait, "ns", 1000,
                    "per request: visible at an input to granted the bus up (queueing), ns"),
    SIM_STAT_ROW_IN(1, "resp_wait_ns", SIM_STAT_HIST, Repeater, resp_wait, "ns", 1000,
                    "per response: visible from up to granted its down bus, ns"),
    SIM_STAT_ROW_IN(1, "up_buffer", SIM_STAT_TIMEAVG, Repeater, up_hop.occ.avg, "packets", 1,
                    "requests in the up output buffer: granted to released (serial: left on the "
                    "wire; else pushed)"),
    SIM_STAT_ROW_IN(1, "up_bus_util", SIM_STAT_REAL, Repeater, up_hop.bus_util, NULL, 1,
                    "beats sent up / cycles of the run"),
    SIM_STAT_ROW_IN(1, "up_wire_load", SIM_STAT_REAL, Repeater, up_hop.wire_load, NULL, 1,
                    "wire time of the requests sent up (wire_rate, frame_bytes) / time of the run"),
    SIM_STAT_GROUP_ROW(1, 1, "<input>.buffer", SIM_STAT_TIMEAVG, Repeater, down_hop[0].occ.avg,
                       sizeof(RepHop), "packets", 1,
                       "responses in this port's output buffer: granted to released"),
    SIM_STAT_GROUP_ROW(1, 1, "<input>.wire_load", SIM_STAT_REAL, Repeater, down_hop[0].wire_load,
                       sizeof(RepHop), NULL, 1,
                       "wire time of the responses sent down this port / time of the run"),
};

#undef IN_ROW

static const SimStatGroup repeater_stat_groups[] = {
    {"<input>", "input in use: in0 .. in<downs - 1>, then local when `local` is true",
     rep_in_labels},
};

static const SimStatTable repeater_stats = {repeater_stat_rows,
                                            N_OF(repeater_stat_rows),
                                            repeater_stat_groups,
                                            N_OF(repeater_stat_groups),
                                            NULL,
                                            0};

/* Signals (sim/core/observe.h): the egress buses and the packets they hold. */
static uint64_t hold_full(const void *field)
{
    return ((const RepHold *)field)->pkt != NULL;
}

static const SimSignalDesc repeater_signal_rows[] = {
    {.name = "up_busy",
     .kind = SIM_SIG_UNTIL,
     .offset = offsetof(Repeater, up_free),
     .doc = "the request bus up carries a packet (1 until its first free cycle)"},
    {.name = "up_held",
     .kind = SIM_SIG_FN,
     .width = 1,
     .offset = offsetof(Repeater, up),
     .get = hold_full,
     .doc = "a request granted to the bus up waits to leave"},
    {.name = "down<n>_busy",
     .kind = SIM_SIG_UNTIL,
     .offset = offsetof(Repeater, down_free[0]),
     .group = true,
     .stride = sizeof(SimCycle),
     .doc = "the response bus of down port n carries a packet"},
    {.name = "down<n>_held",
     .kind = SIM_SIG_FN,
     .width = 1,
     .offset = offsetof(Repeater, down[0]),
     .group = true,
     .stride = sizeof(RepHold),
     .get = hold_full,
     .doc = "a response granted to down port n's bus waits to leave"},
};
static const SimSignalTable repeater_signals = {repeater_signal_rows, N_OF(repeater_signal_rows)};

static bool repeater_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                           SimError *err)
{
    Repeater *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return sim_error_oom(err, name);
    }
    r->p = *(const RepeaterParams *)params;
    for (uint32_t i = 0; i < r->p.downs; i++) {
        r->in_idx[r->nin++] = i;
    }
    if (r->p.local) {
        r->in_idx[r->nin++] = REP_LOCAL;
    }
    if (!sim_hist_init(&r->req_residency) || !sim_hist_init(&r->resp_residency) ||
        !sim_hist_init(&r->req_wait) || !sim_hist_init(&r->resp_wait)) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    r->c.takes_tails = true; /* every input: cut-through packets from link.spp/link.mpp */
    if (!sim_add_component(sim, &r->c, name, r->p.domain, &repeater_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "up_req", &r->c, &r->up_req);
    sim_build_port(bld, "up_resp", &r->c, &r->up_resp);
    sim_build_port(bld, "local_req", &r->c, &r->req[REP_LOCAL]);
    sim_build_port(bld, "local_resp", &r->c, &r->resp[REP_LOCAL]);
    for (uint32_t i = 0; i < REP_MAX_DOWNS; i++) {
        char port[16];
        snprintf(port, sizeof(port), "req%u", i);
        sim_build_port(bld, port, &r->c, &r->req[i]);
        snprintf(port, sizeof(port), "resp%u", i);
        sim_build_port(bld, port, &r->c, &r->resp[i]);
    }
    /* Per-input statistics of the inputs in use only, in slot order. */
    sim_timeavg_init(&r->up_hop.occ.avg, 0, 0);
    for (uint32_t s = 0; s < REP_NIN; s++) {
        sim_timeavg_init(&r->down_hop[s].occ.avg, 0, 0);
    }
    sim_build_stats(bld, &(SimStatBinding){.block = {r, r->p.hop_stats ? r : NULL},
                                           .count = {r->nin},
                                           .pick = {r->in_idx}});
    return sim_add_signals(
        sim, name, &repeater_signals,
        &(SimSignalBinding){.block = {r}, .count = (uint32_t)r->p.downs, .domain = r->p.domain},
        err);

fail_parts:
    repeater_destroy(&r->c);
    free(r);
    return false;
}

/* Requests from the local and down ports go up; one switch level each (fabric checks). */
/* clang-format off */
#define REQ_FLOW(i) {"req" #i, SIM_FLOW_REQUEST, NULL}

static const SimPortFlow repeater_flows[] = {
    {"up_req", SIM_FLOW_REQUEST, NULL},
    {"local_req", SIM_FLOW_REQUEST, NULL},
    REQ_FLOW(0), REQ_FLOW(1), REQ_FLOW(2), REQ_FLOW(3),
    REQ_FLOW(4), REQ_FLOW(5), REQ_FLOW(6), REQ_FLOW(7),
};
/* clang-format on */

#undef REQ_FLOW

const SimModelType repeater_switch_type = {
    .name = "repeater.switch",
    .doc = "Switching stage of a MemBox repeater: requests from down SPPs and the local host go "
           "up (round robin), responses come down by route; store-and-forward or cut-through.",
    .params = repeater_params,
    .n_params = N_OF(repeater_params),
    .params_size = sizeof(RepeaterParams),
    .ports = repeater_ports,
    .n_ports = N_OF(repeater_ports),
    .check = repeater_check,
    .build = repeater_build,
    .role = SIM_ROLE_SWITCH,
    .flows = repeater_flows,
    .n_flows = N_OF(repeater_flows),
    .stats = &repeater_stats,
};
