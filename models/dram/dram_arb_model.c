/*
 * dram.arbiter: the Avalon-MM arbiter between the MemBox's SPPs (and the host's PCIe path) and
 * the one DDR3 controller, in the controller's Avalon clock domain (`domain`, default "mem",
 * 200 MHz). Request port pairs req<i>/resp<i>, i < `ports` (at most 17), connect requesters;
 * mem_req/mem_resp connect the controller.
 *
 * Request path, one 512-bit bus: at a cycle when the bus is free and mem_req has room, the
 * policy (dram_arb.h) grants one requesting port; the request is popped, tagged with its port
 * (mem_route_push) and holds the bus for its beats: a read for 1 cycle (the command), a write of
 * k beats for k cycles, after which (at grant + k - 1, its last data beat) it is pushed to
 * mem_req. The next grant is at grant + k at the earliest, so a burst is never split.
 *
 *   cycle     g      g+1    g+2    g+3    g+4
 *   bus       W0     W1     W2     W3     next grant        (write of 4 beats)
 *   mem_req                        push
 *
 * Response path, the same for readdata: a read response of k beats occupies k cycles and is
 * pushed to resp<port> at its last beat; a write acknowledgement takes one cycle.
 *
 * Per-port statistics: requests, beats granted, share of all beats, cycles waited from the
 * request being visible to its grant.
 */
#include "dram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dram_arb.h"
#include "models/proto/mem.h"

#define NPORTS DRAM_ARB_MAX_PORTS

typedef struct DramArbParams {
    SimDomain *domain;
    int policy;
    char *weights;
    uint64_t ports;
} DramArbParams;

typedef struct DramArbPortStats {
    uint64_t requests;
    uint64_t beats;
    uint64_t wait_cycles;
    uint64_t responses;
    double share;
    double wait_avg_cycles;
} DramArbPortStats;

typedef struct DramArbiter {
    SimComponent c;
    SimPort *req[NPORTS];
    SimPort *resp[NPORTS];
    SimPort *mem_req;
    SimPort *mem_resp;
    uint32_t n;
    DramArb arb;
    bool ports_checked;
    /* request path */
    SimPacket *rq_hold;
    SimCycle rq_push_at;
    SimCycle rq_free;
    /* response path */
    SimPacket *rs_hold;
    uint32_t rs_port;
    SimCycle rs_push_at;
    SimCycle rs_free;
    /* statistics */
    DramArbPortStats st[NPORTS];
    uint64_t grants;
    uint64_t beats;
} DramArbiter;

static bool check_ports(DramArbiter *a)
{
    for (uint32_t i = 0; i < NPORTS; i++) {
        bool has_req = a->req[i] != NULL;
        bool has_resp = a->resp[i] != NULL;
        if (i >= a->n && (has_req || has_resp)) {
            sim_fail(a->c.sim, "instance '%s': port %s%u is connected but `ports` is %u", a->c.name,
                     has_req ? "req" : "resp", i, a->n);
            return false;
        }
        if (has_req != has_resp) {
            sim_fail(a->c.sim, "instance '%s': req%u and resp%u must be connected together",
                     a->c.name, i, i);
            return false;
        }
    }
    a->ports_checked = true;
    return true;
}

static uint32_t request_beats(const SimPacket *pkt)
{
    if (pkt->type == MEM_WRITE) {
        uint32_t k = mem_beats(pkt->addr, pkt->len);
        return k > 0 ? k : 1;
    }
    return 1;
}

static void request_path(DramArbiter *a, SimCycle now)
{
    Sim *sim = a->c.sim;
    if (a->rq_hold != NULL) {
        if (now >= a->rq_push_at && sim_port_can_push(a->mem_req)) {
            sim_port_push(a->mem_req, a->rq_hold);
            a->rq_hold = NULL;
        }
        return;
    }
    if (now < a->rq_free || !sim_port_can_push(a->mem_req)) {
        return;
    }
    uint32_t mask = 0;
    uint32_t beats[NPORTS] = {0};
    for (uint32_t i = 0; i < a->n; i++) {
        const SimPacket *pkt = a->req[i] != NULL ? sim_port_peek(a->req[i]) : NULL;
        if (pkt != NULL) {
            mask |= 1u << i;
            beats[i] = request_beats(pkt);
        }
    }
    int g = dram_arb_grant(&a->arb, mask, beats);
    if (g < 0) {
        return;
    }
    SimTime visible = sim_port_head_time(a->req[g]);
    SimPacket *pkt = sim_port_pop(a->req[g]);
    mem_route_push(pkt, (uint32_t)g);
    DramArbPortStats *ps = &a->st[g];
    ps->requests++;
    ps->beats += beats[g];
    ps->wait_cycles += (sim->now - visible) / a->c.domain->period;
    a->grants++;
    a->beats += beats[g];
    a->rq_push_at = now + beats[g] - 1;
    a->rq_free = now + beats[g];
    if (a->rq_push_at <= now) {
        sim_port_push(a->mem_req, pkt); /* room was checked above */
    } else {
        a->rq_hold = pkt;
    }
}

static bool response_path(DramArbiter *a, SimCycle now)
{
    if (a->rs_hold != NULL) {
        if (now >= a->rs_push_at && sim_port_can_push(a->resp[a->rs_port])) {
            sim_port_push(a->resp[a->rs_port], a->rs_hold);
            a->st[a->rs_port].responses++;
            a->rs_hold = NULL;
        } else {
            return true;
        }
    }
    if (now < a->rs_free) {
        return true;
    }
    SimPacket *pkt = sim_port_peek(a->mem_resp);
    if (pkt == NULL) {
        return true;
    }
    uint32_t port = (uint32_t)(pkt->user[1] & 0xffu);
    if (port >= a->n || a->resp[port] == NULL) {
        sim_fail(a->c.sim,
                 "instance '%s': response %llu routed to port %u, which is not "
                 "connected",
                 a->c.name, (unsigned long long)pkt->id, port);
        return false;
    }
    sim_port_pop(a->mem_resp);
    mem_route_pop(pkt);
    uint32_t k = pkt->type == MEM_READ_RESP ? mem_beats(pkt->addr, pkt->len) : 1;
    if (k == 0) {
        k = 1;
    }
    a->rs_port = port;
    a->rs_push_at = now + k - 1;
    a->rs_free = now + k;
    if (a->rs_push_at <= now && sim_port_can_push(a->resp[port])) {
        sim_port_push(a->resp[port], pkt);
        a->st[port].responses++;
    } else {
        a->rs_hold = pkt;
    }
    return true;
}

static SimCycle min_cycle(SimCycle a, SimCycle b)
{
    return a < b ? a : b;
}

static SimCycle max_cycle(SimCycle a, SimCycle b)
{
    return a > b ? a : b;
}

static SimCycle arb_tick(SimComponent *c, SimCycle now)
{
    DramArbiter *a = (DramArbiter *)c;
    if (!a->ports_checked && !check_ports(a)) {
        return SIM_SLEEP;
    }
    if (!response_path(a, now)) {
        return SIM_SLEEP;
    }
    request_path(a, now);

    /* Next cycle worth a tick; deliveries and freed slots wake us otherwise. */
    SimCycle wake = SIM_SLEEP;
    if (a->rq_hold != NULL) {
        if (a->rq_push_at > now) {
            wake = min_cycle(wake, a->rq_push_at);
        }
    } else if (sim_port_can_push(a->mem_req)) {
        for (uint32_t i = 0; i < a->n; i++) {
            if (a->req[i] != NULL && sim_port_peek(a->req[i]) != NULL) {
                wake = min_cycle(wake, max_cycle(a->rq_free, now + 1));
                break;
            }
        }
    }
    if (a->rs_hold != NULL) {
        if (a->rs_push_at > now) {
            wake = min_cycle(wake, a->rs_push_at);
        }
    } else if (sim_port_peek(a->mem_resp) != NULL) {
        wake = min_cycle(wake, max_cycle(a->rs_free, now + 1));
    }
    return wake;
}

static bool arb_busy(const SimComponent *c)
{
    const DramArbiter *a = (const DramArbiter *)c;
    return a->rq_hold != NULL || a->rs_hold != NULL;
}

static void arb_finish(SimComponent *c, SimTime end)
{
    DramArbiter *a = (DramArbiter *)c;
    (void)end;
    for (uint32_t i = 0; i < a->n; i++) {
        DramArbPortStats *ps = &a->st[i];
        ps->share = a->beats ? (double)ps->beats / (double)a->beats : 0.0;
        ps->wait_avg_cycles = ps->requests ? (double)ps->wait_cycles / (double)ps->requests : 0.0;
    }
}

static const SimComponentOps arb_ops = {
    .tick = arb_tick,
    .finish = arb_finish,
    .busy = arb_busy,
};

static const SimParamDesc arb_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(DramArbParams, domain), "mem", NULL, NULL, NULL,
     "Avalon-MM clock domain of the controller side (200 MHz)"},
    {"policy", SIM_PARAM_ENUM, offsetof(DramArbParams, policy), "round_robin", NULL, NULL,
     dram_arb_policy_names, "round_robin, fixed (port 0 first) or weighted (by beats)"},
    {"weights", SIM_PARAM_STRING, offsetof(DramArbParams, weights), "", NULL, NULL, NULL,
     "weighted: comma-separated weights of ports 0, 1, ... (missing ones are 1), e.g. \"4,2,1,1\""},
    {"ports", SIM_PARAM_UINT, offsetof(DramArbParams, ports), "17", "1", "17", NULL,
     "request ports in use: req0/resp0 .. req<ports-1>/resp<ports-1>"},
};

/* Two table rows per requester: its request input and its response output. */
#define ARB_PORT(i)                                                                                \
    {"req" #i, SIM_PORT_IN, true, "requests of requester " #i},                                    \
    {                                                                                              \
        "resp" #i, SIM_PORT_OUT, true, "responses to requester " #i                                \
    }

static const SimPortDesc arb_ports[] = {
    ARB_PORT(0),
    ARB_PORT(1),
    ARB_PORT(2),
    ARB_PORT(3),
    ARB_PORT(4),
    ARB_PORT(5),
    ARB_PORT(6),
    ARB_PORT(7),
    ARB_PORT(8),
    ARB_PORT(9),
    ARB_PORT(10),
    ARB_PORT(11),
    ARB_PORT(12),
    ARB_PORT(13),
    ARB_PORT(14),
    ARB_PORT(15),
    ARB_PORT(16),
    {"mem_req", SIM_PORT_OUT, false, "granted requests to the controller"},
    {"mem_resp", SIM_PORT_IN, false, "responses from the controller"},
};

#undef ARB_PORT

static const char *arb_check(const void *params, char *msg, size_t size)
{
    const DramArbParams *p = params;
    uint32_t w[NPORTS];
    const char *why = NULL;
    if (!dram_arb_parse_weights(p->weights, w, (uint32_t)p->ports, &why)) {
        snprintf(msg, size, "%s", why);
        return "weights";
    }
    return NULL;
}

#define PORT_ROW(name_, kind_, field_, unit_, doc_)                                                \
    SIM_STAT_GROUP_ROW(0, 1, "p<n>." name_, kind_, DramArbiter, st[0].field_,                      \
                       sizeof(DramArbPortStats), unit_, 1, doc_)

static const SimStatDesc arb_stat_rows[] = {
    SIM_STAT_ROW("grants", SIM_STAT_COUNTER, DramArbiter, grants, "requests", 1,
                 "requests granted"),
    SIM_STAT_ROW("beats", SIM_STAT_COUNTER, DramArbiter, beats, "beats", 1, "bus beats granted"),
    PORT_ROW("requests", SIM_STAT_COUNTER, requests, "requests", "requests granted to this port"),
    PORT_ROW("beats", SIM_STAT_COUNTER, beats, "beats", "bus beats granted to this port"),
    PORT_ROW("share", SIM_STAT_REAL, share, NULL, "this port's fraction of all beats granted"),
    PORT_ROW("wait_cycles", SIM_STAT_COUNTER, wait_cycles, "cycles",
             "cycles requests waited from visible to granted"),
    PORT_ROW("wait_avg_cycles", SIM_STAT_REAL, wait_avg_cycles, "cycles",
             "average wait from visible to granted"),
    PORT_ROW("responses", SIM_STAT_COUNTER, responses, "packets",
             "responses returned on this port"),
};

#undef PORT_ROW

static const SimStatGroup arb_stat_groups[] = {
    {"<n>", "requester: 0 .. ports - 1", NULL},
};

static const SimStatTable arb_stats = {
    arb_stat_rows, N_OF(arb_stat_rows), arb_stat_groups, N_OF(arb_stat_groups), NULL, 0};

static bool arb_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const DramArbParams *p = params;
    uint32_t w[NPORTS];
    const char *why = NULL;
    if (!dram_arb_parse_weights(p->weights, w, (uint32_t)p->ports, &why)) {
        return sim_error_set(err, SIM_ERR_INPUT, "instance '%s': key 'weights': %s", name, why);
    }
    DramArbiter *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        return sim_error_oom(err, name);
    }
    a->n = (uint32_t)p->ports;
    dram_arb_init(&a->arb, (DramArbPolicy)p->policy, a->n, w);
    if (!sim_add_component(sim, &a->c, name, p->domain, &arb_ops, err)) {
        goto fail_arbiter;
    }
    for (uint32_t i = 0; i < NPORTS; i++) {
        char port[16];
        snprintf(port, sizeof(port), "req%u", i);
        sim_build_port(bld, port, &a->c, &a->req[i]);
        snprintf(port, sizeof(port), "resp%u", i);
        sim_build_port(bld, port, &a->c, &a->resp[i]);
    }
    sim_build_port(bld, "mem_req", &a->c, &a->mem_req);
    sim_build_port(bld, "mem_resp", &a->c, &a->mem_resp);
    sim_build_stats(bld, &(SimStatBinding){.block = {a}, .count = {a->n}});
    return true;

fail_arbiter:
    free(a);
    return false;
}

/* Requests taken on any request port go on to the controller (fabric checks). */
/* clang-format off */
#define ARB_FLOW(i) {"req" #i, SIM_FLOW_REQUEST, NULL}

static const SimPortFlow arb_flows[] = {
    ARB_FLOW(0),  ARB_FLOW(1),  ARB_FLOW(2),  ARB_FLOW(3),  ARB_FLOW(4),  ARB_FLOW(5),
    ARB_FLOW(6),  ARB_FLOW(7),  ARB_FLOW(8),  ARB_FLOW(9),  ARB_FLOW(10), ARB_FLOW(11),
    ARB_FLOW(12), ARB_FLOW(13), ARB_FLOW(14), ARB_FLOW(15), ARB_FLOW(16),
    {"mem_req", SIM_FLOW_REQUEST, NULL},
};
/* clang-format on */

#undef ARB_FLOW

const SimModelType dram_arbiter_type = {
    .name = "dram.arbiter",
    .doc = "Multi-port Avalon-MM arbiter in front of the DDR3 controller: round-robin, fixed "
           "priority or weighted, burst-aware, with per-port statistics.",
    .params = arb_params,
    .n_params = N_OF(arb_params),
    .params_size = sizeof(DramArbParams),
    .ports = arb_ports,
    .n_ports = N_OF(arb_ports),
    .check = arb_check,
    .build = arb_build,
    .flows = arb_flows,
    .n_flows = N_OF(arb_flows),
    .stats = &arb_stats,
};
