/*
 * link.mpp: the master protocol processor of a MemBox adapter (paper section 5.1.3).
 *
 * Two components: NAME (the core, in `domain`, default "pcie" at 250 MHz) and NAME.lanes (the
 * lane group, link_lanes.c). The core holds:
 *
 *   - the protocol packet producer (PPP): takes one Avalon-MM transaction a cycle from `req`
 *     (mem.h MEM_WRITE or MEM_READ, pushed by the requester at its last beat) when the request
 *     buffers have room, and writes the packet (MWP or MRD) into them: header to the RHB,
 *     payload to the RPB of each lane, length to the RPLB. A read takes one of `tags` entries
 *     of the outstanding-read table, whose index is the MRD's tag. A write is answered at once
 *     (write_ack: posted, Avalon writes need no response) or when the MemBox acknowledged its
 *     MWP (write_ack: link, which also takes a tag).
 *   - the protocol packet consumer: takes each MRRP the completion analyser stored in the
 *     CPB/CLB, matches it by tag and streams it to `resp` as a MEM_READ_RESP over the 512-bit
 *     bus, one beat a cycle: a response of k beats taken at cycle c is pushed at c + k - 1, the
 *     next taken at c + k at the earliest.
 *
 * RHB/RPB/RPLB and CPB/CLB are dual-clock FIFOs between this clock and the lane clock
 * (link_internal.h): the core is the writer of the first and the reader of the second.
 */
#include "link_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"

enum {
    WRITE_ACK_POSTED = 0,
    WRITE_ACK_LINK,
    WRITE_ACK_MAX
};

static const char *const write_ack_names[] = {"posted", "link", NULL};

typedef struct MppParams {
    SimDomain *domain;
    LinkLaneParams lane;
    uint64_t rhb_depth;
    uint64_t rpb_size;
    uint64_t rplb_depth;
    uint64_t cpb_size;
    uint64_t clb_depth;
    uint64_t tags;
    int write_ack;
} MppParams;

typedef struct MppTag {
    SimPacket *req; /* the requester's packet, answered when the response comes back */
    SimTime taken;
} MppTag;

typedef struct Mpp {
    SimComponent c;
    SimPort *req;
    SimPort *resp;
    SimPort *rq;      /* to the lanes: RHB/RPB/RPLB */
    SimPort *rq_free; /* read-pointer tokens of them */
    SimPort *cpl;     /* from the lanes: CPB/CLB */
    SimPort *cpl_free;
    LinkTokens cpl_tokens; /* the packets of cpl_free */
    SimPort *done;         /* acknowledged MWPs (write_ack: link) */
    MppParams p;
    LinkLanes *lanes;
    LinkBudget txbuf; /* RHB, RPB, RPLB */
    MppTag *tags;
    uint32_t *free_tags;
    uint32_t n_free;
    uint32_t n_tags;
    SimPacket *hold; /* a read response streaming to `resp` */
    SimCycle hold_at;
    SimCycle hold_tail; /* cut-through: cycle its tail is pushed; 0 when pushed whole */
    bool hold_bad;      /* cut-through: marked bad, changes no books */
    SimTime hold_taken;
    SimCycle bus_free;
    /* statistics */
    uint64_t reads;
    uint64_t writes;
    uint64_t read_bytes;
    uint64_t write_bytes;
    uint64_t responses;
    SimHist read_latency; /* taken from req -> response pushed, ps */
    SimHist write_latency;
    SimTimeAvg tags_occ;
} Mpp;

static uint32_t tag_alloc(Mpp *m, SimPacket *req)
{
    uint32_t t = m->free_tags[--m->n_free];
    m->tags[t].req = req;
    m->tags[t].taken = m->c.sim->now;
    sim_timeavg_set(&m->tags_occ, m->c.sim->now, m->n_tags - m->n_free);
    return t;
}

static SimPacket *tag_release(Mpp *m, uint32_t t)
{
    if (t >= m->n_tags || m->tags[t].req == NULL) {
        return NULL;
    }
    SimPacket *req = m->tags[t].req;
    m->tags[t].req = NULL;
    m->free_tags[m->n_free++] = t;
    sim_timeavg_set(&m->tags_occ, m->c.sim->now, m->n_tags - m->n_free);
    return req;
}

/* Write acknowledgements of MWPs the MemBox has acknowledged (write_ack: link). */
static void take_done(Mpp *m)
{
    Sim *sim = m->c.sim;
    SimPacket *x;
    while ((x = sim_port_peek(m->done)) != NULL && sim_port_can_push(m->resp)) {
        sim_port_pop(m->done);
        uint32_t t = (uint32_t)(x->user[0] - 1);
        SimTime taken = t < m->n_tags ? m->tags[t].taken : 0;
        SimPacket *req = tag_release(m, t);
        sim_packet_free(sim, x);
        if (req == NULL) {
            sim_fail(sim, "instance '%s': acknowledged write with unknown tag %u", m->c.name, t);
            return;
        }
        req->type = MEM_WRITE_ACK;
        req->dst = req->src;
        req->tail = 0;
        sim_hist_record(&m->write_latency, sim->now - taken);
        m->responses++;
        sim_port_push(m->resp, req);
    }
}

/* The consumer: CPB/CLB -> MEM_READ_RESP, one beat a cycle. */
static void hold_flush(Mpp *m, SimCycle now)
{
    if (m->hold != NULL && now >= m->hold_at && sim_port_can_push(m->resp)) {
        sim_packet_set_tail_planned(m->hold, m->c.domain, m->hold_tail, m->hold_at, now);
        if (!m->hold_bad) {
            sim_hist_record(&m->read_latency, m->c.sim->now - m->hold_taken);
            m->responses++;
        }
        sim_port_push(m->resp, m->hold);
        m->hold = NULL;
    }
}

static void consume(Mpp *m, SimCycle now, uint64_t freed[LINK_CR_MAX])
{
    Sim *sim = m->c.sim;
    hold_flush(m, now);
    if (m->hold != NULL || now < m->bus_free) {
        return;
    }
    SimPacket *x = sim_port_peek(m->cpl);
    if (x == NULL) {
        return;
    }
    /* Cut-through (docs/models/repeater.md section 6): as in link_spp.c's consume. */
    SimCycle tc = sim_port_tail_cycle(m->cpl, x);
    bool pending = x->tail != 0 && tc > now;
    bool early = pending && m->resp->consumer->takes_tails;
    sim_port_pop(m->cpl);
    uint64_t need[LINK_CR_MAX];
    link_credit_need(x->type, x->len, need);
    for (int i = 0; i < LINK_CR_MAX; i++) {
        freed[i] += need[i];
    }
    uint32_t t = x->tag;
    uint32_t k = x->len > 0 ? mem_beats(x->addr, x->len) : 1;
    if (x->tail_bad) {
        /* Its read stays outstanding (the good copy follows). Sent on marked bad, with the
         * route of the read it answers, or dropped here when `resp` needs whole packets. */
        SimPacket *req = t < m->n_tags ? m->tags[t].req : NULL;
        if (!early || req == NULL) {
            sim_packet_free(sim, x);
            m->bus_free = tc + 1;
            return;
        }
        x->type = MEM_READ_RESP;
        x->addr = req->addr;
        x->len = req->len;
        x->tag = req->tag;
        x->src = req->src;
        x->dst = req->src;
        x->user[0] = req->user[0];
        x->user[1] = req->user[1];
        k = mem_beats(req->addr, req->len);
        m->hold = x;
        m->hold_bad = true;
        m->hold_at = now;
        m->hold_tail = now + k - 1 > tc ? now + k - 1 : tc;
        m->bus_free = m->hold_tail + 1;
        hold_flush(m, now);
        return;
    }
    SimTime taken = t < m->n_tags ? m->tags[t].taken : 0;
    SimPacket *req = tag_release(m, t);
    if (req == NULL || req->type != MEM_READ || x->len != req->len) {
        sim_fail(sim, "instance '%s': read response with tag %u matches no outstanding read",
                 m->c.name, t);
        sim_packet_free(sim, x);
        return;
    }
    req->type = MEM_READ_RESP;
    req->dst = req->src;
    req->tail_bad = false;
    req->payload = x->payload; /* the reference moves to the response */
    x->payload = NULL;
    sim_packet_free(sim, x);
    k = mem_beats(req->addr, req->len);
    SimCycle last = pending && tc > now + k - 1 ? tc : now + k - 1;
    m->hold = req;
    m->hold_bad = false;
    m->hold_at = early ? now : last;
    m->hold_tail = early ? last : 0;
    m->hold_taken = taken;
    m->bus_free = last + 1;
    hold_flush(m, now);
}

/* The producer: one request a cycle into RHB/RPB/RPLB. */
static void produce(Mpp *m, SimCycle now)
{
    Sim *sim = m->c.sim;
    SimPacket *req = sim_port_peek(m->req);
    if (req == NULL) {
        return;
    }
    bool write = req->type == MEM_WRITE;
    if (!write && req->type != MEM_READ) {
        sim_fail(sim, "instance '%s': packet %llu of type 0x%x is not a memory request", m->c.name,
                 (unsigned long long)req->id, req->type);
        return;
    }
    if (req->len == 0 || req->len > LINK_MAX_PAYLOAD) {
        sim_fail(sim, "instance '%s': request %llu of %u bytes (1..%u allowed)", m->c.name,
                 (unsigned long long)req->id, req->len, LINK_MAX_PAYLOAD);
        return;
    }
    if (write && req->payload != NULL && req->payload->size < req->len) {
        sim_fail(sim, "instance '%s': write %llu carries %u of its %u bytes", m->c.name,
                 (unsigned long long)req->id, req->payload->size, req->len);
        return;
    }
    uint16_t type = write ? LINK_MWP : LINK_MRD;
    uint64_t need[LINK_CR_MAX];
    link_credit_need(type, req->len, need);
    bool wants_tag = !write || m->p.write_ack == WRITE_ACK_LINK;
    if (!link_budget_fits(&m->txbuf, need) || (wants_tag && m->n_free == 0) ||
        (write && !wants_tag && !sim_port_can_push(m->resp))) {
        return; /* a token, a response or a freed resp slot wakes us */
    }
    SimPacket *x = sim_packet_new(sim);
    if (x == NULL) {
        return;
    }
    /* Cut-through: a request from a repeater's switch may still be arriving; the packet goes
     * into the buffers at once, its tail following (the lanes send the trailer after it). One
     * whose tail shows it bad takes no tag and is not acknowledged: the lanes stomp it. */
    SimTime tail = req->tail != 0 ? sim_port_tail_time(m->req, req) : 0;
    bool bad = req->tail_bad;
    sim_port_pop(m->req);
    if (bad && tail <= sim->now) {
        sim_packet_free(sim, x); /* its tail is in: this stage sees it bad and drops it */
        sim_packet_free(sim, req);
        return;
    }
    sim_packet_set_tail(x, tail, sim->now);
    x->tail_bad = bad;
    req->tail = 0;
    req->tail_bad = false;
    /* The header has 48 address bits and an 8-bit node id (models/proto/link.h). */
    x->type = type;
    x->addr = req->addr & 0xffffffffffffULL;
    x->len = req->len;
    x->src = req->src & 0xffu;
    x->stamp[SIM_STAMP_CREATE] = x->stamp[SIM_STAMP_INJECT] = sim->now;
    if (bad) {
        x->tag = req->tag & 0xffffu;
        x->payload = req->payload; /* the reference moves to the packet */
        req->payload = NULL;
        sim_packet_free(sim, req);
    } else if (write) {
        x->tag = req->tag & 0xffffu;
        if (req->payload != NULL) {
            x->payload = req->payload; /* the reference moves to the packet */
            req->payload = NULL;
        }
        m->writes++;
        m->write_bytes += req->len;
        if (wants_tag) {
            x->user[0] = 1 + tag_alloc(m, req);
        } else {
            req->type = MEM_WRITE_ACK;
            req->dst = req->src;
            sim_hist_record(&m->write_latency, 0);
            m->responses++;
            sim_port_push(m->resp, req);
        }
    } else {
        x->tag = tag_alloc(m, req);
        m->reads++;
        m->read_bytes += req->len;
    }
    link_budget_take(&m->txbuf, sim->now, need);
    sim_port_push(m->rq, x);
    (void)now;
}

static SimCycle mpp_tick(SimComponent *c, SimCycle now)
{
    Mpp *m = (Mpp *)c;
    Sim *sim = c->sim;
    uint64_t back[LINK_CR_MAX] = {0, 0, 0};
    if (link_token_drain(m->rq_free, back) > 0) {
        link_budget_give(&m->txbuf, sim->now, back);
    }
    if (m->done != NULL) {
        take_done(m);
    }
    uint64_t freed[LINK_CR_MAX] = {0, 0, 0};
    consume(m, now, freed);
    if (freed[LINK_CR_HDR] > 0) {
        link_token_send(sim, m->cpl_free, &m->cpl_tokens, freed);
    }
    produce(m, now);
    if (sim->failed) {
        return SIM_SLEEP;
    }
    SimCycle next = SIM_CYCLE_NEVER;
    if (m->hold != NULL) {
        if (m->hold_at > now) {
            next = m->hold_at;
        }
    } else if (m->bus_free > now && sim_port_peek(m->cpl) != NULL) {
        next = m->bus_free;
    }
    /* One request a cycle: come back next cycle if the next one could go. */
    SimPacket *req = sim_port_peek(m->req);
    if (req != NULL && (req->type == MEM_WRITE || req->type == MEM_READ) && req->len >= 1 &&
        req->len <= LINK_MAX_PAYLOAD) {
        uint64_t need[LINK_CR_MAX];
        bool write = req->type == MEM_WRITE;
        link_credit_need(write ? LINK_MWP : LINK_MRD, req->len, need);
        bool wants_tag = !write || m->p.write_ack == WRITE_ACK_LINK;
        if (link_budget_fits(&m->txbuf, need) && (!wants_tag || m->n_free > 0) &&
            (!write || wants_tag || sim_port_can_push(m->resp)) && now + 1 < next) {
            next = now + 1;
        }
    }
    return next;
}

static bool mpp_busy(const SimComponent *c)
{
    const Mpp *m = (const Mpp *)c;
    return m->n_free < m->n_tags || m->hold != NULL;
}

static void mpp_dump(const SimComponent *c, SimError *report)
{
    const Mpp *m = (const Mpp *)c;
    const LinkBudget *b = &m->txbuf;
    sim_error_append(report,
                     " (RHB %llu/%llu, RPB %llu/%llu beats, RPLB %llu/%llu; %u of %u tags "
                     "outstanding%s)",
                     (unsigned long long)b->used[0], (unsigned long long)b->cap[0],
                     (unsigned long long)b->used[1], (unsigned long long)b->cap[1],
                     (unsigned long long)b->used[2], (unsigned long long)b->cap[2],
                     m->n_tags - m->n_free, m->n_tags,
                     m->hold != NULL ? ", a read response streaming" : "");
}

static void mpp_destroy(SimComponent *c)
{
    Mpp *m = (Mpp *)c;
    free(m->tags);
    free(m->free_tags);
    link_tokens_destroy(&m->cpl_tokens);
    sim_hist_destroy(&m->read_latency);
    sim_hist_destroy(&m->write_latency);
}

static const SimComponentOps mpp_ops = {
    .tick = mpp_tick,
    .busy = mpp_busy,
    .dump = mpp_dump,
    .destroy = mpp_destroy,
};

#define P(field) offsetof(MppParams, field)

static const SimParamDesc mpp_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock domain of the Avalon-MM side (PCIe hard IP, 250 MHz)"},
    LINK_LANE_PARAM_ROWS(MppParams),
    {"rhb_depth", SIM_PARAM_UINT, P(rhb_depth), "64", "1", "4096", NULL,
     "request header buffer entries (packets waiting for the lanes)"},
    {"rpb_size", SIM_PARAM_BYTES, P(rpb_size), "8KiB", "8B", "128KiB", NULL,
     "request payload buffer per lane, bytes"},
    {"rplb_depth", SIM_PARAM_UINT, P(rplb_depth), "64", "1", "4096", NULL,
     "request payload length buffer entries (packets with payload)"},
    {"cpb_size", SIM_PARAM_BYTES, P(cpb_size), "8KiB", "8B", "128KiB", NULL,
     "completion payload buffer per lane, bytes (credits for MRRP payload)"},
    {"clb_depth", SIM_PARAM_UINT, P(clb_depth), "64", "1", "4096", NULL,
     "completion length buffer entries (credits for MRRP headers)"},
    {"tags", SIM_PARAM_UINT, P(tags), "64", "1", "65536", NULL,
     "outstanding reads (and writes with write_ack: link)"},
    {"write_ack", SIM_PARAM_ENUM, P(write_ack), "posted", NULL, NULL, write_ack_names,
     "answer a write when taken (posted) or once the MemBox acknowledged its MWP (link)"},
};

#undef P

static const SimPortDesc mpp_ports[] = {
    {"req", SIM_PORT_IN, false, "memory requests (MEM_READ, MEM_WRITE) from the PCIe side"},
    {"resp", SIM_PORT_OUT, false, "responses (MEM_READ_RESP, MEM_WRITE_ACK)"},
    {"tx", SIM_PORT_OUT, false, "link packets to the cable (all lanes)"},
    {"rx", SIM_PORT_IN, false, "link packets from the cable (all lanes)"},
};

static const char *mpp_check(const void *params, char *msg, size_t size)
{
    const MppParams *p = params;
    const char *key =
        link_lane_params_check(&p->lane, p->clb_depth, p->cpb_size * p->lane.lanes, msg, size);
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

static const SimStatDesc mpp_stat_rows[] = {
    LINK_LANES_STAT_ROWS,
    LINK_BUDGET_HDR_STAT_ROW(LINK_SB_RXBUF, "clb"),
    LINK_BUDGET_DATA_STAT_ROW(LINK_SB_RXBUF, "cpb"),
    LINK_REORDER_STAT_ROW,
    LINK_BUDGET_HDR_STAT_ROW(LINK_SB_TXBUF, "rhb"),
    LINK_BUDGET_DATA_STAT_ROW(LINK_SB_TXBUF, "rpb"),
    LINK_BUDGET_LEN_STAT_ROW(LINK_SB_TXBUF, "rplb"),
    SIM_STAT_ROW("reads", SIM_STAT_COUNTER, Mpp, reads, "requests", 1, "read requests taken"),
    SIM_STAT_ROW("writes", SIM_STAT_COUNTER, Mpp, writes, "requests", 1, "write requests taken"),
    SIM_STAT_ROW("read_bytes", SIM_STAT_COUNTER, Mpp, read_bytes, "B", 1,
                 "bytes asked for by read requests"),
    SIM_STAT_ROW("write_bytes", SIM_STAT_COUNTER, Mpp, write_bytes, "B", 1,
                 "bytes of write requests"),
    SIM_STAT_ROW("responses", SIM_STAT_COUNTER, Mpp, responses, "packets", 1,
                 "responses returned to the requester"),
    SIM_STAT_ROW("read_latency_ns", SIM_STAT_HIST, Mpp, read_latency, "ns", 1000,
                 "read taken from req to its response pushed on resp"),
    SIM_STAT_ROW("write_latency_ns", SIM_STAT_HIST, Mpp, write_latency, "ns", 1000,
                 "write taken from req to its acknowledgement pushed"),
    SIM_STAT_ROW("tags", SIM_STAT_TIMEAVG, Mpp, tags_occ, "entries", 1,
                 "outstanding-read table entries in use, time-weighted"),
};

static const SimStatGroup mpp_stat_groups[] = {LINK_STAT_GROUPS};

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow mpp_stat_roles[] = {
    {"wire_util", SIM_STAT_ROLE_UTILISATION},
    {"retransmits", SIM_STAT_ROLE_RETRIES},
    {"timeouts", SIM_STAT_ROLE_RETRIES},
    {"crc_errors", SIM_STAT_ROLE_RETRIES},
};
static const SimStatTable mpp_stats = {mpp_stat_rows,   N_OF(mpp_stat_rows),
                                       mpp_stat_groups, N_OF(mpp_stat_groups),
                                       mpp_stat_roles,  N_OF(mpp_stat_roles)};

static bool mpp_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const MppParams *p = params;
    Mpp *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return sim_error_oom(err, name);
    }
    m->p = *p;
    m->n_tags = (uint32_t)p->tags;
    m->n_free = m->n_tags;
    m->tags = calloc(m->n_tags, sizeof(*m->tags));
    m->free_tags = calloc(m->n_tags, sizeof(*m->free_tags));
    if (m->tags == NULL || m->free_tags == NULL || !sim_hist_init(&m->read_latency) ||
        !sim_hist_init(&m->write_latency)) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    /* Lowest tags first: free_tags is a stack. */
    for (uint32_t i = 0; i < m->n_tags; i++) {
        m->free_tags[i] = m->n_tags - 1 - i;
    }
    link_budget_init(&m->txbuf, p->rhb_depth, link_lane_bytes_to_beats(p->rpb_size, p->lane.lanes),
                     p->rplb_depth);
    sim_timeavg_init(&m->tags_occ, 0, 0);
    m->c.takes_tails = true; /* req: cut-through requests from a repeater's switch */
    if (!sim_add_component(sim, &m->c, name, p->domain, &mpp_ops, err)) {
        goto fail_parts;
    }
    /* The kernel owns the component from here: a later failure leaves it to sim_free(). */
    LinkLanesConfig lc = {
        .role = LINK_ROLE_MPP,
        .p = &p->lane,
        .rx_cap = {p->clb_depth, link_lane_bytes_to_beats(p->cpb_size, p->lane.lanes),
                   p->clb_depth},
        .rx_names = {"clb", "cpb", NULL},
        .done_depth = p->write_ack == WRITE_ACK_LINK ? (uint32_t)p->tags : 0,
    };
    m->lanes = link_lanes_new(sim, name, &lc, err);
    if (m->lanes == NULL) {
        return false;
    }
    SimComponent *lc_ = link_lanes_component(m->lanes);
    char lname[300];
    snprintf(lname, sizeof(lname), "%s.lanes", name);
    uint32_t sync = (uint32_t)p->lane.sync_depth;
    if (link_connect(sim, &m->c, name, &m->rq, lc_, lname, link_lanes_port(m->lanes, "src"), "rq",
                     (uint32_t)p->rhb_depth, sync, err) == NULL ||
        link_connect_tokens(sim, lc_, lname, link_lanes_port(m->lanes, "src_free"),
                            link_lanes_tokens(m->lanes), &m->c, name, &m->rq_free, "rq_free",
                            (uint32_t)p->rhb_depth, sync, err) == NULL ||
        link_connect(sim, lc_, lname, link_lanes_port(m->lanes, "dst"), &m->c, name, &m->cpl, "cpl",
                     (uint32_t)p->clb_depth, sync, err) == NULL ||
        link_connect_tokens(sim, &m->c, name, &m->cpl_free, &m->cpl_tokens, lc_, lname,
                            link_lanes_port(m->lanes, "dst_free"), "cpl_free",
                            (uint32_t)p->clb_depth, sync, err) == NULL) {
        return false;
    }
    if (p->write_ack == WRITE_ACK_LINK &&
        link_connect(sim, lc_, lname, link_lanes_port(m->lanes, "done"), &m->c, name, &m->done,
                     "done", (uint32_t)p->tags, sync, err) == NULL) {
        return false;
    }
    sim_build_port(bld, "req", &m->c, &m->req);
    sim_build_port(bld, "resp", &m->c, &m->resp);
    sim_build_port(bld, "tx", lc_, link_lanes_port(m->lanes, "tx"));
    sim_build_port(bld, "rx", lc_, link_lanes_port(m->lanes, "rx"));
    SimStatBinding sb = link_stats_binding(m, m->lanes, &m->txbuf);
    sim_build_stats(bld, &sb);
    return true;

fail_parts:
    mpp_destroy(&m->c);
    free(m);
    return false;
}

/* Requests go out on the cable (fabric checks). */
static const SimPortFlow mpp_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
    {"tx", SIM_FLOW_REQUEST, NULL},
};

const SimModelType link_mpp_type = {
    .name = "link.mpp",
    .doc = "MemBox adapter's master protocol processor: Avalon-MM requests in, MWP/MRD packets "
           "out over 4 x 10GBase-R lanes with CRC, Ack/Nak retry and credit flow control; read "
           "responses back to the requester.",
    .params = mpp_params,
    .n_params = N_OF(mpp_params),
    .params_size = sizeof(MppParams),
    .ports = mpp_ports,
    .n_ports = N_OF(mpp_ports),
    .check = mpp_check,
    .build = mpp_build,
    .flows = mpp_flows,
    .n_flows = N_OF(mpp_flows),
    .stats = &mpp_stats,
};
