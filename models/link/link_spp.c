/*
 * link.spp: the slave protocol processor of one MemBox port (paper section 5.2.2).
 *
 * Two components: NAME (the core, in `domain`, default "mem" at 200 MHz, the DDR3 controller's
 * Avalon-MM clock) and NAME.lanes (the lane group, link_lanes.c). The request packet analyser in
 * the lanes stores each MWP and MRD received in order into the RHB/RPB/RPLB; the core holds:
 *
 *   - the protocol packet consumer: takes them in order and drives the Avalon-MM master on
 *     `mem_req` (mem.h): an MWP of k beats holds the 512-bit bus k cycles and is pushed as a
 *     MEM_WRITE at its last beat (start + k - 1); an MRD is a one-cycle MEM_READ, issued only
 *     when fewer than `max_reads` reads are outstanding and the CPB/CLB have room reserved for
 *     its response (an Avalon master cannot refuse read data);
 *   - the response producer: every MEM_READ_RESP from `mem_resp` becomes an MRRP in the
 *     CPB/CLB, in the order the memory answers (matched by the MRD's tag at the MPP);
 *     MEM_WRITE_ACKs are counted and dropped (the link's writes are posted).
 *
 * The completion packet formatter, the retry buffers and flow control are in the lanes.
 */
#include "link_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"

typedef struct SppParams {
    SimDomain *domain;
    LinkLaneParams lane;
    uint64_t rhb_depth;
    uint64_t rpb_size;
    uint64_t rplb_depth;
    uint64_t cpb_size;
    uint64_t clb_depth;
    uint64_t max_reads;
} SppParams;

typedef struct Spp {
    SimComponent c;
    SimPort *mem_req;
    SimPort *mem_resp;
    SimPort *rq; /* from the lanes: RHB/RPB/RPLB */
    SimPort *rq_free;
    LinkTokens rq_tokens; /* the packets of rq_free */
    SimPort *cp;          /* to the lanes: CPB/CLB */
    SimPort *cp_free;
    SppParams p;
    LinkLanes *lanes;
    LinkBudget txbuf; /* CPB, CLB */
    SimPacket *hold;  /* a write streaming its beats to mem_req */
    SimCycle hold_at;
    SimCycle hold_tail; /* cut-through: cycle its tail is pushed; 0 when pushed whole */
    SimCycle bus_free;
    uint32_t reads_out;
    uint32_t writes_out;
    /* statistics */
    uint64_t mem_reads;
    uint64_t mem_writes;
    uint64_t mem_read_bytes;
    uint64_t mem_write_bytes;
    SimHist mem_read_latency; /* MEM_READ pushed -> its response taken, ps */
    SimTimeAvg reads_occ;
} Spp;

static void hold_flush(Spp *s, SimCycle now)
{
    if (s->hold != NULL && now >= s->hold_at && sim_port_can_push(s->mem_req)) {
        sim_packet_set_tail_planned(s->hold, s->c.domain, s->hold_tail, s->hold_at, now);
        sim_port_push(s->mem_req, s->hold);
        s->hold = NULL;
    }
}

/* Responses from the memory: read data become MRRPs in the CPB/CLB. */
static void take_responses(Spp *s)
{
    Sim *sim = s->c.sim;
    SimPacket *r;
    while ((r = sim_port_peek(s->mem_resp)) != NULL) {
        SimTime tail = sim_port_tail_time(s->mem_resp, r);
        if (r->tail_bad) {
            /* A cut-through response that will show bad at its tail: send it on (its lanes
             * stomp it) if there is room beyond what the reads reserved, else drop it here. Its
             * read stays outstanding: the good copy follows. */
            uint64_t need[LINK_CR_MAX];
            link_credit_need(LINK_MRRP, r->len, need);
            sim_port_pop(s->mem_resp);
            if (tail > sim->now && link_budget_fits(&s->txbuf, need) && sim_port_can_push(s->cp)) {
                link_budget_take(&s->txbuf, sim->now, need);
                r->type = LINK_MRRP;
                r->seq = 0;
                r->flags = 0;
                r->user[0] = 0;
                r->user[1] = 0;
                sim_packet_set_tail(r, tail, sim->now);
                sim_port_push(s->cp, r);
            } else {
                sim_packet_free(sim, r);
            }
            continue;
        }
        sim_port_pop(s->mem_resp);
        if (r->type == MEM_WRITE_ACK && s->writes_out > 0) {
            s->writes_out--;
            sim_packet_free(sim, r);
            continue;
        }
        if (r->type != MEM_READ_RESP || s->reads_out == 0) {
            sim_fail(sim, "instance '%s': unexpected packet %llu of type 0x%x from the memory",
                     s->c.name, (unsigned long long)r->id, r->type);
            sim_packet_free(sim, r);
            return;
        }
        s->reads_out--;
        sim_timeavg_set(&s->reads_occ, sim->now, s->reads_out);
        sim_hist_record(&s->mem_read_latency, sim->now - r->stamp[SIM_STAMP_AUX]);
        /* Room was reserved when the read was issued (see consume). */
        r->type = LINK_MRRP;
        r->seq = 0;
        r->flags = 0;
        r->user[0] = 0;
        r->user[1] = 0;
        if (r->payload != NULL && r->payload->size < r->len) {
            sim_fail(sim, "instance '%s': read response %llu carries %u of its %u bytes", s->c.name,
                     (unsigned long long)r->id, r->payload->size, r->len);
            sim_packet_free(sim, r);
            return;
        }
        if (!sim_port_can_push(s->cp)) {
            sim_fail(sim, "instance '%s': no room in the CPB/CLB for a reserved response",
                     s->c.name);
            sim_packet_free(sim, r);
            return;
        }
        sim_packet_set_tail(r, tail, sim->now); /* the lanes send its trailer after it */
        sim_port_push(s->cp, r);
    }
}

/* The consumer: one request from the RHB at a time onto the Avalon bus. */
static void consume(Spp *s, SimCycle now, uint64_t freed[LINK_CR_MAX])
{
    Sim *sim = s->c.sim;
    hold_flush(s, now);
    if (s->hold != NULL || now < s->bus_free) {
        return;
    }
    SimPacket *x = sim_port_peek(s->rq);
    if (x == NULL) {
        return;
    }
    uint64_t need[LINK_CR_MAX];
    link_credit_need(x->type, x->len, need);
    /* Cut-through (docs/models/repeater.md section 6): a packet handed on at its header has its
     * tail in at cycle tc. It goes on at once if the consumer of mem_req takes such packets (a
     * repeater's switch), else waits for its tail like a whole one; one whose tail shows it bad
     * changes no books here and is dropped if it cannot go on. */
    SimCycle tc = sim_port_tail_cycle(s->rq, x);
    bool pending = x->tail != 0 && tc > now;
    bool early = pending && s->mem_req->consumer->takes_tails;
    bool bad = x->tail_bad; /* with its tail in already, this stage sees it and drops it */
    if (x->len == 0 || x->len > LINK_MAX_PAYLOAD) {
        sim_fail(sim, "instance '%s': link request %llu of %u bytes (1..%u allowed)", s->c.name,
                 (unsigned long long)x->id, x->len, LINK_MAX_PAYLOAD);
        return;
    }
    if (bad && !early) {
        sim_port_pop(s->rq);
        sim_packet_free(sim, x);
        s->bus_free = tc + 1; /* its beats (or its one) held the bus until its tail */
    } else if (bad) {
        /* On to the switch marked bad: one beat for a read, the write's beats as they come. */
        sim_port_pop(s->rq);
        uint32_t k = x->type == LINK_MRD ? 1 : mem_beats(x->addr, x->len);
        x->type = x->type == LINK_MRD ? MEM_READ : MEM_WRITE;
        x->seq = 0;
        x->crc = 0;
        x->user[1] = 0;
        x->dst = 0;
        s->hold = x;
        s->hold_at = now;
        s->hold_tail = now + k - 1 > tc ? now + k - 1 : tc;
        s->bus_free = s->hold_tail + 1;
        hold_flush(s, now);
    } else if (x->type == LINK_MRD) {
        uint64_t resp[LINK_CR_MAX];
        link_credit_need(LINK_MRRP, x->len, resp);
        if (s->reads_out >= s->p.max_reads || !link_budget_fits(&s->txbuf, resp) ||
            !sim_port_can_push(s->mem_req)) {
            return; /* a response, a token or a freed slot wakes us */
        }
        sim_port_pop(s->rq);
        link_budget_take(&s->txbuf, sim->now, resp);
        x->type = MEM_READ;
        x->seq = 0;
        x->crc = 0;
        x->payload = NULL;
        s->reads_out++;
        sim_timeavg_set(&s->reads_occ, sim->now, s->reads_out);
        s->mem_reads++;
        s->mem_read_bytes += x->len;
        x->stamp[SIM_STAMP_AUX] = sim->now;
        x->user[1] = 0;
        x->dst = 0;
        if (pending && !early) {
            s->hold = x; /* one beat, once its tail (the CRC) is in */
            s->hold_at = tc;
            s->hold_tail = 0;
            s->bus_free = tc + 1;
        } else {
            sim_packet_set_tail(x, pending ? sim_domain_time(s->c.domain, tc) : 0, sim->now);
            sim_port_push(s->mem_req, x);
            s->bus_free = now + 1;
        }
    } else {
        sim_port_pop(s->rq);
        uint32_t k = mem_beats(x->addr, x->len);
        x->type = MEM_WRITE;
        x->seq = 0;
        x->crc = 0;
        x->user[1] = 0;
        x->dst = 0;
        s->writes_out++;
        s->mem_writes++;
        s->mem_write_bytes += x->len;
        s->hold = x;
        SimCycle last = now + k - 1 > tc || !pending ? now + k - 1 : tc;
        s->hold_at = early ? now : last;
        s->hold_tail = early ? last : 0;
        s->bus_free = last + 1;
        hold_flush(s, now);
    }
    for (int i = 0; i < LINK_CR_MAX; i++) {
        freed[i] += need[i];
    }
}

static SimCycle spp_tick(SimComponent *c, SimCycle now)
{
    Spp *s = (Spp *)c;
    Sim *sim = c->sim;
    uint64_t back[LINK_CR_MAX] = {0, 0, 0};
    if (link_token_drain(s->cp_free, back) > 0) {
        link_budget_give(&s->txbuf, sim->now, back);
    }
    take_responses(s);
    uint64_t freed[LINK_CR_MAX] = {0, 0, 0};
    consume(s, now, freed);
    if (freed[LINK_CR_HDR] > 0) {
        link_token_send(sim, s->rq_free, &s->rq_tokens, freed);
    }
    if (sim->failed) {
        return SIM_SLEEP;
    }
    if (s->hold != NULL) {
        return s->hold_at > now ? s->hold_at : SIM_SLEEP; /* blocked: the slot wakes us */
    }
    if (sim_port_peek(s->rq) != NULL) {
        if (s->bus_free > now) {
            return s->bus_free;
        }
        /* Not taken although the bus is free: a read waits for room; events wake us. */
    }
    return SIM_SLEEP;
}

static bool spp_busy(const SimComponent *c)
{
    const Spp *s = (const Spp *)c;
    return s->hold != NULL || s->reads_out > 0 || s->writes_out > 0;
}

static void spp_dump(const SimComponent *c, SimError *report)
{
    const Spp *s = (const Spp *)c;
    const LinkBudget *b = &s->txbuf;
    sim_error_append(report,
                     " (CLB %llu/%llu, CPB %llu/%llu beats (reserved for %u outstanding reads "
                     "included); %u writes outstanding%s)",
                     (unsigned long long)b->used[0], (unsigned long long)b->cap[0],
                     (unsigned long long)b->used[1], (unsigned long long)b->cap[1], s->reads_out,
                     s->writes_out, s->hold != NULL ? ", a write streaming" : "");
}

static void spp_destroy(SimComponent *c)
{
    Spp *s = (Spp *)c;
    sim_hist_destroy(&s->mem_read_latency);
    link_tokens_destroy(&s->rq_tokens);
}

static const SimComponentOps spp_ops = {
    .tick = spp_tick,
    .busy = spp_busy,
    .dump = spp_dump,
    .destroy = spp_destroy,
};

#define P(field) offsetof(SppParams, field)

static const SimParamDesc spp_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "mem", NULL, NULL, NULL,
     "clock domain of the Avalon-MM side (DDR3 controller's bus, 200 MHz)"},
    LINK_LANE_PARAM_ROWS(SppParams),
    {"rhb_depth", SIM_PARAM_UINT, P(rhb_depth), "64", "1", "4096", NULL,
     "request header buffer entries (credits for MWP and MRD headers)"},
    {"rpb_size", SIM_PARAM_BYTES, P(rpb_size), "8KiB", "8B", "128KiB", NULL,
     "request payload buffer per lane, bytes (credits for MWP payload)"},
    {"rplb_depth", SIM_PARAM_UINT, P(rplb_depth), "64", "1", "4096", NULL,
     "request payload length buffer entries (credits for MWP lengths)"},
    {"cpb_size", SIM_PARAM_BYTES, P(cpb_size), "8KiB", "8B", "128KiB", NULL,
     "completion payload buffer per lane, bytes"},
    {"clb_depth", SIM_PARAM_UINT, P(clb_depth), "64", "1", "4096", NULL,
     "completion length buffer entries (MRRPs waiting for the lanes)"},
    {"max_reads", SIM_PARAM_UINT, P(max_reads), "32", "1", "4096", NULL,
     "memory reads outstanding at once"},
};

#undef P

static const SimPortDesc spp_ports[] = {
    {"rx", SIM_PORT_IN, false, "link packets from the cable (all lanes)"},
    {"tx", SIM_PORT_OUT, false, "link packets to the cable (all lanes)"},
    {"mem_req", SIM_PORT_OUT, false,
     "memory requests (MEM_READ, MEM_WRITE) to the DRAM arbiter or controller"},
    {"mem_resp", SIM_PORT_IN, false, "their responses (MEM_READ_RESP, MEM_WRITE_ACK)"},
};

static const char *spp_check(const void *params, char *msg, size_t size)
{
    const SppParams *p = params;
    const char *key = link_lane_params_check(
        &p->lane, p->rhb_depth < p->rplb_depth ? p->rhb_depth : p->rplb_depth,
        p->rpb_size * p->lane.lanes, msg, size);
    if (key != NULL) {
        return key;
    }
    if (link_lane_buffer_check(p->rpb_size, p->lane.lanes, msg, size, "rpb_size") != NULL) {
        return "rpb_size";
    }
    if (link_lane_buffer_check(p->cpb_size, p->lane.lanes, msg, size, "cpb_size") != NULL) {
        return "cpb_size";
    }
    return NULL;
}

static const SimStatDesc spp_stat_rows[] = {
    LINK_LANES_STAT_ROWS,
    LINK_BUDGET_HDR_STAT_ROW(LINK_SB_RXBUF, "rhb"),
    LINK_BUDGET_DATA_STAT_ROW(LINK_SB_RXBUF, "rpb"),
    LINK_BUDGET_LEN_STAT_ROW(LINK_SB_RXBUF, "rplb"),
    LINK_REORDER_STAT_ROW,
    LINK_BUDGET_HDR_STAT_ROW(LINK_SB_TXBUF, "clb"),
    LINK_BUDGET_DATA_STAT_ROW(LINK_SB_TXBUF, "cpb"),
    SIM_STAT_ROW("mem_reads", SIM_STAT_COUNTER, Spp, mem_reads, "requests", 1,
                 "MEM_READ requests issued"),
    SIM_STAT_ROW("mem_writes", SIM_STAT_COUNTER, Spp, mem_writes, "requests", 1,
                 "MEM_WRITE requests issued"),
    SIM_STAT_ROW("mem_read_bytes", SIM_STAT_COUNTER, Spp, mem_read_bytes, "B", 1,
                 "bytes read from the memory"),
    SIM_STAT_ROW("mem_write_bytes", SIM_STAT_COUNTER, Spp, mem_write_bytes, "B", 1,
                 "bytes written to the memory"),
    SIM_STAT_ROW("mem_read_latency_ns", SIM_STAT_HIST, Spp, mem_read_latency, "ns", 1000,
                 "MEM_READ pushed to its response taken"),
    SIM_STAT_ROW("reads_outstanding", SIM_STAT_TIMEAVG, Spp, reads_occ, "requests", 1,
                 "memory reads outstanding, time-weighted"),
};

static const SimStatGroup spp_stat_groups[] = {LINK_STAT_GROUPS};

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow spp_stat_roles[] = {
    {"wire_util", SIM_STAT_ROLE_UTILISATION},
    {"retransmits", SIM_STAT_ROLE_RETRIES},
    {"timeouts", SIM_STAT_ROLE_RETRIES},
    {"crc_errors", SIM_STAT_ROLE_RETRIES},
};
static const SimStatTable spp_stats = {spp_stat_rows,   N_OF(spp_stat_rows),
                                       spp_stat_groups, N_OF(spp_stat_groups),
                                       spp_stat_roles,  N_OF(spp_stat_roles)};

static bool spp_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const SppParams *p = params;
    Spp *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return sim_error_oom(err, name);
    }
    if (!sim_hist_init(&s->mem_read_latency)) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    s->p = *p;
    link_budget_init(&s->txbuf, p->clb_depth, link_lane_bytes_to_beats(p->cpb_size, p->lane.lanes),
                     p->clb_depth);
    sim_timeavg_init(&s->reads_occ, 0, 0);
    s->c.takes_tails = true; /* mem_resp: cut-through responses from a repeater's switch */
    if (!sim_add_component(sim, &s->c, name, p->domain, &spp_ops, err)) {
        goto fail_parts;
    }
    /* The kernel owns the component from here: a later failure leaves it to sim_free(). */
    LinkLanesConfig lc = {
        .role = LINK_ROLE_SPP,
        .p = &p->lane,
        .rx_cap = {p->rhb_depth, link_lane_bytes_to_beats(p->rpb_size, p->lane.lanes),
                   p->rplb_depth},
        .rx_names = {"rhb", "rpb", "rplb"},
        .done_depth = 0,
    };
    s->lanes = link_lanes_new(sim, name, &lc, err);
    if (s->lanes == NULL) {
        return false;
    }
    SimComponent *lc_ = link_lanes_component(s->lanes);
    char lname[300];
    snprintf(lname, sizeof(lname), "%s.lanes", name);
    uint32_t sync = (uint32_t)p->lane.sync_depth;
    if (link_connect(sim, lc_, lname, link_lanes_port(s->lanes, "dst"), &s->c, name, &s->rq, "rq",
                     (uint32_t)p->rhb_depth, sync, err) == NULL ||
        link_connect_tokens(sim, &s->c, name, &s->rq_free, &s->rq_tokens, lc_, lname,
                            link_lanes_port(s->lanes, "dst_free"), "rq_free",
                            (uint32_t)p->rhb_depth, sync, err) == NULL ||
        link_connect(sim, &s->c, name, &s->cp, lc_, lname, link_lanes_port(s->lanes, "src"), "cp",
                     (uint32_t)p->clb_depth, sync, err) == NULL ||
        link_connect_tokens(sim, lc_, lname, link_lanes_port(s->lanes, "src_free"),
                            link_lanes_tokens(s->lanes), &s->c, name, &s->cp_free, "cp_free",
                            (uint32_t)p->clb_depth, sync, err) == NULL) {
        return false;
    }
    sim_build_port(bld, "rx", lc_, link_lanes_port(s->lanes, "rx"));
    sim_build_port(bld, "tx", lc_, link_lanes_port(s->lanes, "tx"));
    sim_build_port(bld, "mem_req", &s->c, &s->mem_req);
    sim_build_port(bld, "mem_resp", &s->c, &s->mem_resp);
    SimStatBinding sb = link_stats_binding(s, s->lanes, &s->txbuf);
    sim_build_stats(bld, &sb);
    return true;

fail_parts:
    spp_destroy(&s->c);
    free(s);
    return false;
}

/* Requests from the cable go on to the memory side (fabric checks). */
static const SimPortFlow spp_flows[] = {
    {"rx", SIM_FLOW_REQUEST, NULL},
    {"mem_req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType link_spp_type = {
    .name = "link.spp",
    .doc = "MemBox port's slave protocol processor: MWP/MRD packets in over 4 x 10GBase-R "
           "lanes, Avalon-MM writes and reads out to the DRAM, MRRP read responses back, with "
           "CRC, Ack/Nak retry and credit flow control.",
    .params = spp_params,
    .n_params = N_OF(spp_params),
    .params_size = sizeof(SppParams),
    .ports = spp_ports,
    .n_ports = N_OF(spp_ports),
    .check = spp_check,
    .build = spp_build,
    .flows = spp_flows,
    .n_flows = N_OF(spp_flows),
    .stats = &spp_stats,
};
