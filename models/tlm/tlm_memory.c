/*
 * tlm.memory: the MemBox's memory as an external TLM-2.0 target (docs/models/tlm.md).
 *
 * In the place of dram.ctrl: mem.h requests in on `req` (from the arbiter), responses out on
 * `resp`. At each edge, in this order:
 *   1. every response the target gave that is visible now goes out on `resp` (as many as the
 *      port takes), in the order of their visibility, then of their ids;
 *   2. if the target accepted the previous request before this edge (END_REQ), an id is free
 *      and a request is visible, it is popped and handed to the bridge (membox::Fabric sends
 *      it on its initiator socket): one request per edge at most, and none while the target
 *      holds the previous one in its request phase (its back-pressure).
 * While requests are at the target the model ticks every edge (it cannot know when the target
 * answers); otherwise it sleeps until a request arrives.
 *
 * Data: a write with payload sends its bytes; a write without (trace traffic) sends the mem.h
 * pattern of the new version of each 64 B line it touches, for which the model keeps one
 * version per line written (an open-addressing table of `lines` entries); a read's bytes are
 * what the target writes into the response's payload.
 */
#include "tlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"

typedef struct TlmMemParams {
    SimDomain *domain;
    uint64_t size;
    uint64_t outstanding;
    uint64_t lines;
} TlmMemParams;

typedef struct Slot {
    bool used;
    SimPacket *pkt;
    SimTime visible; /* response visible from this time; SIM_TIME_NEVER until it came */
    SimTime taken;   /* when it was popped */
} Slot;

typedef struct Stats {
    uint64_t reads;
    uint64_t writes;
    uint64_t read_bytes;
    uint64_t write_bytes;
    SimHist read_latency;
    SimHist write_latency;
} Stats;

typedef struct TlmMem {
    SimComponent c;
    SimPort *in;
    SimPort *out;
    TlmMemParams p;
    Slot *slots;
    uint32_t n_used;
    bool req_open;    /* a request handed over and not yet accepted */
    SimTime accepted; /* when the last one was accepted */
    uint64_t *vkeys;  /* line address + 1, 0 empty */
    uint32_t *vvals;  /* its version */
    uint64_t n_lines;
    TlmMemBridge bridge;
    Stats st;
} TlmMem;

/* ---- line versions ---- */

static uint32_t *version_of(TlmMem *m, uint64_t line)
{
    uint64_t key = line + 1;
    uint64_t cap = m->p.lines;
    uint64_t h = (line * 0x9e3779b97f4a7c15ULL) % cap;
    for (uint64_t i = 0; i < cap; i++) {
        uint64_t k = (h + i) % cap;
        if (m->vkeys[k] == key) {
            return &m->vvals[k];
        }
        if (m->vkeys[k] == 0) {
            if (m->n_lines + 1 >= cap) {
                return NULL;
            }
            m->vkeys[k] = key;
            m->vvals[k] = 0;
            m->n_lines++;
            return &m->vvals[k];
        }
    }
    return NULL;
}

/* The new version of every line [addr, addr + len) touches; with fill, its pattern into dst. */
static bool bump_versions(TlmMem *m, uint64_t addr, uint32_t len, uint8_t *fill)
{
    uint32_t done = 0;
    while (done < len) {
        uint64_t a = (addr + done) % m->p.size;
        uint64_t line = a / MEM_BEAT_BYTES;
        uint32_t in_line = (uint32_t)(MEM_BEAT_BYTES - a % MEM_BEAT_BYTES);
        uint32_t n = len - done < in_line ? len - done : in_line;
        uint32_t *v = version_of(m, line);
        if (v == NULL) {
            sim_fail(m->c.sim,
                     "instance '%s': more than %llu distinct 64 B lines written: raise `lines`",
                     m->c.name, (unsigned long long)m->p.lines - 1);
            return false;
        }
        ++*v;
        if (fill != NULL) {
            mem_pattern_fill(fill + done, a, n, *v);
        }
        done += n;
    }
    return true;
}

/* ---- the run ---- */

static void send_responses(TlmMem *m, SimTime now)
{
    while (sim_port_can_push(m->out)) {
        int32_t best = -1;
        for (uint32_t i = 0; i < m->p.outstanding; i++) {
            const Slot *s = &m->slots[i];
            if (s->used && s->visible <= now && (best < 0 || s->visible < m->slots[best].visible)) {
                best = (int32_t)i;
            }
        }
        if (best < 0) {
            return;
        }
        Slot *s = &m->slots[best];
        SimPacket *pkt = s->pkt;
        bool write = pkt->type == MEM_WRITE;
        pkt->dst = pkt->src;
        if (write) {
            pkt->type = MEM_WRITE_ACK;
            if (pkt->payload != NULL) {
                sim_payload_unref(&m->c.sim->pool, pkt->payload);
                pkt->payload = NULL;
            }
            sim_hist_record(&m->st.write_latency, now - s->taken);
        } else {
            pkt->type = MEM_READ_RESP;
            sim_hist_record(&m->st.read_latency, now - s->taken);
        }
        sim_port_push(m->out, pkt);
        sim_work_done(m->c.sim);
        s->used = false;
        s->pkt = NULL;
        m->n_used--;
    }
}

/* Pops and hands over the visible request; false if the run failed. */
static bool take_request(TlmMem *m, SimTime now)
{
    Sim *sim = m->c.sim;
    SimPacket *pkt = sim_port_peek(m->in);
    if (pkt == NULL || m->req_open || m->accepted >= now || m->n_used == m->p.outstanding) {
        return true;
    }
    if (m->bridge.request == NULL) {
        sim_fail(sim,
                 "instance '%s': no TLM-2.0 target is bound: tlm.memory runs only inside a "
                 "SystemC platform (membox::Fabric, docs/systemc.md), whose initiator socket "
                 "for it must be bound to the memory model",
                 m->c.name);
        return false;
    }
    bool write = pkt->type == MEM_WRITE;
    if (!mem_is_request(pkt->type) || pkt->len == 0 || pkt->len > MEM_MAX_LEN ||
        (write && pkt->payload != NULL && pkt->payload->size < pkt->len)) {
        sim_fail(sim, "instance '%s': not a memory request (type 0x%x, %u bytes)", m->c.name,
                 pkt->type, pkt->len);
        return false;
    }
    if (sim->pool.payload_block_size < pkt->len) {
        sim_fail(sim,
                 "instance '%s': a request of %u bytes needs payload blocks of that size; "
                 "raise sim.payload_block_size",
                 m->c.name, pkt->len);
        return false;
    }
    sim_port_pop(m->in);
    uint32_t id = 0;
    while (m->slots[id].used) {
        id++;
    }
    uint64_t addr = pkt->addr % m->p.size;
    if (write && pkt->payload == NULL) {
        /* Trace traffic: the pattern of each line's new version, as a controller stores. */
        SimPayload *pl = sim_payload_pool_get(&sim->pool);
        if (pl == NULL) {
            sim_fail(sim, "instance '%s': payload pool exhausted: raise sim.payload_blocks",
                     m->c.name);
            return false;
        }
        pl->size = pkt->len;
        pkt->payload = pl;
        if (!bump_versions(m, addr, pkt->len, pl->data)) {
            return false;
        }
    } else if (write) {
        if (!bump_versions(m, addr, pkt->len, NULL)) {
            return false;
        }
    } else {
        SimPayload *pl = sim_payload_pool_get(&sim->pool);
        if (pl == NULL) {
            sim_fail(sim, "instance '%s': payload pool exhausted: raise sim.payload_blocks",
                     m->c.name);
            return false;
        }
        memset(pl->data, 0, pkt->len);
        pl->size = pkt->len;
        if (pkt->payload != NULL) {
            sim_payload_unref(&sim->pool, pkt->payload);
        }
        pkt->payload = pl;
    }
    m->slots[id] = (Slot){.used = true, .pkt = pkt, .visible = SIM_TIME_NEVER, .taken = now};
    m->n_used++;
    if (write) {
        m->st.writes++;
        m->st.write_bytes += pkt->len;
    } else {
        m->st.reads++;
        m->st.read_bytes += pkt->len;
    }
    m->req_open = true;
    TlmMemRequest r = {.id = id,
                       .write = write ? 1 : 0,
                       .addr = addr,
                       .len = pkt->len,
                       .data = pkt->payload->data};
    m->bridge.request(m->bridge.ctx, &r);
    return true;
}

static SimCycle mem_tick(SimComponent *c, SimCycle now)
{
    TlmMem *m = (TlmMem *)c;
    SimTime t = c->sim->now;
    send_responses(m, t);
    if (!take_request(m, t)) {
        return SIM_SLEEP;
    }
    /* At the target, or a request waiting for its acceptance: poll each edge. */
    if (m->n_used > 0 || (sim_port_peek(m->in) != NULL && m->n_used < m->p.outstanding)) {
        return now + 1;
    }
    return SIM_SLEEP; /* a request or a freed response slot wakes it */
}

static bool mem_busy(const SimComponent *c)
{
    return ((const TlmMem *)c)->n_used > 0;
}

static void mem_dump(const SimComponent *c, SimError *report)
{
    const TlmMem *m = (const TlmMem *)c;
    sim_error_append(report, " (%u requests at the TLM target%s)", m->n_used,
                     m->req_open ? ", the last not yet accepted" : "");
}

static void mem_destroy(SimComponent *c)
{
    TlmMem *m = (TlmMem *)c;
    for (uint32_t i = 0; m->slots != NULL && i < m->p.outstanding; i++) {
        if (m->slots[i].used && m->slots[i].pkt->payload != NULL && c->sim != NULL) {
            sim_payload_unref(&c->sim->pool, m->slots[i].pkt->payload);
            m->slots[i].pkt->payload = NULL;
        }
    }
    free(m->slots);
    free(m->vkeys);
    free(m->vvals);
    sim_hist_destroy(&m->st.read_latency);
    sim_hist_destroy(&m->st.write_latency);
}

static const SimComponentOps mem_ops = {
    .tick = mem_tick,
    .busy = mem_busy,
    .dump = mem_dump,
    .destroy = mem_destroy,
};

bool tlm_memory_is(const SimComponent *c)
{
    return c != NULL && c->ops == &mem_ops;
}

void tlm_memory_bind(SimComponent *c, const TlmMemBridge *b)
{
    assert(tlm_memory_is(c));
    ((TlmMem *)c)->bridge = *b;
}

uint32_t tlm_memory_slots(const SimComponent *c)
{
    assert(tlm_memory_is(c));
    return (uint32_t)((const TlmMem *)c)->p.outstanding;
}

void tlm_memory_accepted(SimComponent *c, SimTime t)
{
    assert(tlm_memory_is(c));
    TlmMem *m = (TlmMem *)c;
    if (m->req_open) {
        m->req_open = false;
        m->accepted = t;
    }
}

void tlm_memory_complete(SimComponent *c, uint32_t id, SimTime t, SimTime arrival)
{
    assert(tlm_memory_is(c));
    TlmMem *m = (TlmMem *)c;
    assert(id < m->p.outstanding && m->slots[id].used);
    /* A response implies the request's acceptance (TLM-2.0 base protocol). */
    tlm_memory_accepted(c, arrival);
    m->slots[id].visible = t > arrival ? t : arrival + 1;
}

void tlm_memory_fail(SimComponent *c, uint32_t id, const char *msg)
{
    assert(tlm_memory_is(c));
    sim_fail(c->sim, "instance '%s': the TLM-2.0 target answered request %u with %s", c->name, id,
             msg);
}

/* ---- parameters, ports, statistics ---- */

#define P(f) offsetof(TlmMemParams, f)

static const SimParamDesc mem_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "ddr", NULL, NULL, NULL,
     "clock the model takes requests and sends responses in (dram.ctrl's, so the arbiter's "
     "port crossing is the same)"},
    {"size", SIM_PARAM_BYTES, P(size), "4GiB", "64B", "1TiB", NULL,
     "bytes of the memory: addresses are wrapped at it, as a controller wraps them"},
    {"outstanding", SIM_PARAM_UINT, P(outstanding), "16", "1", "1024", NULL,
     "requests at the target at once (each holds its packet and payload)"},
    {"lines", SIM_PARAM_UINT, P(lines), "65536", "2", "1073741824", NULL,
     "distinct 64 B lines whose version is kept, for the pattern of writes without data"},
};

#undef P

static const SimPortDesc mem_ports[] = {
    {"req", SIM_PORT_IN, false, "memory requests (MEM_READ, MEM_WRITE) from the arbiter"},
    {"resp", SIM_PORT_OUT, false, "responses (MEM_READ_RESP, MEM_WRITE_ACK)"},
};

#define ROW(name_, kind_, field_, unit_, scale_, doc_)                                             \
    SIM_STAT_ROW(name_, kind_, TlmMem, st.field_, unit_, scale_, doc_)

static const SimStatDesc mem_stat_rows[] = {
    ROW("reads", SIM_STAT_COUNTER, reads, "requests", 1, "read requests sent to the target"),
    ROW("writes", SIM_STAT_COUNTER, writes, "requests", 1, "write requests sent to the target"),
    ROW("read_bytes", SIM_STAT_COUNTER, read_bytes, "B", 1, "bytes read"),
    ROW("write_bytes", SIM_STAT_COUNTER, write_bytes, "B", 1, "bytes written"),
    ROW("read_latency_ns", SIM_STAT_HIST, read_latency, "ns", 1000,
        "request taken to response sent"),
    ROW("write_latency_ns", SIM_STAT_HIST, write_latency, "ns", 1000,
        "request taken to acknowledgement sent"),
};

#undef ROW

static const SimStatTable mem_stats = {mem_stat_rows, N_OF(mem_stat_rows), NULL, 0, NULL, 0};

static bool mem_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const TlmMemParams *pp = params;
    TlmMem *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return sim_error_oom(err, name);
    }
    m->p = *pp;
    m->slots = calloc(m->p.outstanding, sizeof(*m->slots));
    m->vkeys = calloc(m->p.lines, sizeof(*m->vkeys));
    m->vvals = calloc(m->p.lines, sizeof(*m->vvals));
    if (m->slots == NULL || m->vkeys == NULL || m->vvals == NULL ||
        !sim_hist_init(&m->st.read_latency) || !sim_hist_init(&m->st.write_latency)) {
        mem_destroy(&m->c);
        free(m);
        return sim_error_oom(err, name);
    }
    if (!sim_add_component(sim, &m->c, name, m->p.domain, &mem_ops, err)) {
        mem_destroy(&m->c);
        free(m);
        return false;
    }
    sim_build_port(bld, "req", &m->c, &m->in);
    sim_build_port(bld, "resp", &m->c, &m->out);
    sim_build_stats(bld, &(SimStatBinding){.block = {m}});
    return true;
}

static const SimPortFlow mem_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType tlm_memory_type = {
    .name = "tlm.memory",
    .doc = "The MemBox's memory as an external TLM-2.0 target: in the place of dram.ctrl, behind "
           "the arbiter, each request goes out on the initiator socket membox::Fabric makes "
           "for it (approximately timed); runs only inside a SystemC platform.",
    .params = mem_params,
    .n_params = N_OF(mem_params),
    .params_size = sizeof(TlmMemParams),
    .ports = mem_ports,
    .n_ports = N_OF(mem_ports),
    .build = mem_build,
    .role = SIM_ROLE_MEMORY,
    .flows = mem_flows,
    .n_flows = N_OF(mem_flows),
    .stats = &mem_stats,
};
