/*
 * mem.ideal: a memory with a fixed latency and real bytes, in its clock domain (`domain`,
 * default "mem"). It exists so that a pipeline in front of it can be timed exactly.
 *
 * At each cycle c it takes at most one visible request from `req` (when fewer than `queue`
 * responses wait), does the access at once (reads see every write taken before), and makes the
 * response ready at c + `latency`; at most one ready response is pushed on `resp` per cycle, in
 * the order the requests were taken.
 *
 *   cycle      c            c+1    ...    c+latency
 *   req        taken, done
 *   resp                                   pushed (visible one link latency later)
 *
 * Addresses wrap at `size`, as mem.h says of a controller. A write without payload stores the
 * mem.h pattern of the new version of each 64 B line it touches (one version counter per line,
 * bumped by every write, with or without data); `init: pattern` starts every line at version 0's
 * pattern, `init: zero` at zeros. `functional: false` keeps no bytes (reads return no payload).
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"
#include "sim/core/region.h"
#include "sim/core/ring.h"

enum {
    INIT_ZERO = 0,
    INIT_PATTERN,
    INIT_MAX
};

static const char *const init_names[] = {"zero", "pattern", NULL};

typedef struct MemIdealParams {
    SimDomain *domain;
    uint64_t latency;
    uint64_t size;
    int init;
    bool functional;
    uint64_t queue;
} MemIdealParams;

typedef struct MemIdeal {
    SimComponent c;
    SimPort *req;
    SimPort *resp;
    MemIdealParams p;
    SimMem mem;        /* [0, size), when functional */
    uint32_t *version; /* per 64 B line, when functional */
    SimTimedFifo q;    /* responses, each ready `latency` cycles after its request */
    uint64_t reads;
    uint64_t writes;
    uint64_t read_bytes;
    uint64_t write_bytes;
} MemIdeal;

static const SimComponentOps ideal_ops;

static size_t version_bytes(const MemIdealParams *p)
{
    return (size_t)(p->size / MEM_BEAT_BYTES * sizeof(uint32_t));
}

/* Copies between the wrapped memory and a linear buffer. */
static void copy_out(const MemIdeal *m, uint64_t addr, uint8_t *dst, size_t len)
{
    uint64_t a = addr % m->p.size;
    while (len > 0) {
        size_t n = m->p.size - a < len ? (size_t)(m->p.size - a) : len;
        sim_mem_read(&m->mem, a, dst, n);
        dst += n;
        len -= n;
        a = 0;
    }
}

static void copy_in(MemIdeal *m, uint64_t addr, const uint8_t *src, size_t len)
{
    uint64_t a = addr % m->p.size;
    while (len > 0) {
        size_t n = m->p.size - a < len ? (size_t)(m->p.size - a) : len;
        sim_mem_write(&m->mem, a, src, n);
        src += n;
        len -= n;
        a = 0;
    }
}

static void do_write(MemIdeal *m, const SimPacket *pkt)
{
    uint64_t first = pkt->addr / MEM_BEAT_BYTES;
    uint64_t last = (pkt->addr + pkt->len - 1) / MEM_BEAT_BYTES;
    uint64_t lines = m->p.size / MEM_BEAT_BYTES;
    for (uint64_t l = first; l <= last; l++) {
        uint32_t *v = &m->version[l % lines];
        (*v)++;
        if (pkt->payload != NULL) {
            continue;
        }
        /* The covered bytes of this line take the pattern of its new version. */
        uint64_t lo = l * MEM_BEAT_BYTES > pkt->addr ? l * MEM_BEAT_BYTES : pkt->addr;
        uint64_t hi = (l + 1) * MEM_BEAT_BYTES < pkt->addr + pkt->len ? (l + 1) * MEM_BEAT_BYTES
                                                                      : pkt->addr + pkt->len;
        uint8_t buf[MEM_BEAT_BYTES];
        mem_pattern_fill(buf, lo, (uint32_t)(hi - lo), *v);
        copy_in(m, lo, buf, (size_t)(hi - lo));
    }
    if (pkt->payload != NULL) {
        copy_in(m, pkt->addr, pkt->payload->data, pkt->len);
    }
}

static SimCycle ideal_tick(SimComponent *c, SimCycle now)
{
    MemIdeal *m = (MemIdeal *)c;
    Sim *sim = c->sim;
    SimPacket *pkt = sim_port_peek(m->req);
    if (pkt != NULL && !sim_timed_fifo_full(&m->q)) {
        if (pkt->len == 0 || pkt->len > MEM_MAX_LEN) {
            sim_fail(sim, "instance '%s': request of %u bytes", c->name, pkt->len);
            return SIM_SLEEP;
        }
        if (pkt->type == MEM_READ) {
            SimPayload *pl = NULL;
            if (m->p.functional) {
                pl = sim_payload_pool_get(&sim->pool);
                if (pl == NULL || sim->pool.payload_block_size < pkt->len) {
                    sim_fail(sim,
                             "instance '%s': payload pool exhausted or blocks smaller than "
                             "%u bytes: raise sim.payload_blocks",
                             c->name, pkt->len);
                    return SIM_SLEEP;
                }
                copy_out(m, pkt->addr, pl->data, pkt->len);
                pl->size = pkt->len;
            }
            sim_port_pop(m->req);
            pkt->payload = pl;
            pkt->type = MEM_READ_RESP;
            m->reads++;
            sim_work_done(sim);
            m->read_bytes += pkt->len;
        } else if (pkt->type == MEM_WRITE) {
            sim_port_pop(m->req);
            if (m->p.functional) {
                do_write(m, pkt);
            }
            if (pkt->payload != NULL) {
                sim_payload_unref(&sim->pool, pkt->payload);
                pkt->payload = NULL;
            }
            pkt->type = MEM_WRITE_ACK;
            m->writes++;
            sim_work_done(sim);
            m->write_bytes += pkt->len;
        } else {
            sim_fail(sim, "instance '%s': packet type 0x%x is not a memory request", c->name,
                     pkt->type);
            return SIM_SLEEP;
        }
        pkt->dst = pkt->src;
        sim_timed_fifo_push(&m->q, now + m->p.latency, pkt);
    }
    /* After the request: with latency 0 its response leaves in the same cycle. */
    if (sim_timed_fifo_ready(&m->q, now) != NULL && sim_port_can_push(m->resp)) {
        sim_port_push(m->resp, sim_timed_fifo_pop(&m->q));
    }
    SimCycle next = SIM_SLEEP;
    if (sim_port_peek(m->req) != NULL && !sim_timed_fifo_full(&m->q)) {
        next = now + 1;
    }
    if (sim_port_can_push(m->resp)) {
        SimCycle r = sim_timed_fifo_wake(&m->q, now);
        next = r < next ? r : next;
    }
    return next;
}

static bool ideal_busy(const SimComponent *c)
{
    return sim_timed_fifo_count(&((const MemIdeal *)c)->q) > 0;
}

static void ideal_destroy(SimComponent *c)
{
    MemIdeal *m = (MemIdeal *)c;
    sim_mem_destroy(&m->mem);
    sim_region_unmap(m->version, version_bytes(&m->p));
    sim_timed_fifo_destroy(&m->q);
}

static const SimComponentOps ideal_ops = {
    .tick = ideal_tick,
    .busy = ideal_busy,
    .destroy = ideal_destroy,
};

bool mem_ideal_read(const SimComponent *c, uint64_t addr, void *dst, size_t len)
{
    if (c == NULL || c->ops != &ideal_ops || !((const MemIdeal *)c)->p.functional) {
        return false;
    }
    copy_out((const MemIdeal *)c, addr, dst, len);
    return true;
}

bool mem_ideal_write(SimComponent *c, uint64_t addr, const void *src, size_t len)
{
    if (c == NULL || c->ops != &ideal_ops || !((MemIdeal *)c)->p.functional) {
        return false;
    }
    copy_in((MemIdeal *)c, addr, src, len);
    return true;
}

#define P(f) offsetof(MemIdealParams, f)

static const SimParamDesc ideal_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "mem", NULL, NULL, NULL, "clock domain"},
    {"latency", SIM_PARAM_UINT, P(latency), "10", "0", "1000000", NULL,
     "cycles from a request taken to its response ready"},
    {"size", SIM_PARAM_BYTES, P(size), "64MiB", "4KiB", "64GiB", NULL,
     "bytes kept (a multiple of 64B); addresses wrap at it"},
    {"init", SIM_PARAM_ENUM, P(init), "zero", NULL, NULL, init_names,
     "initial contents: zero, or the mem.h pattern of version 0"},
    {"functional", SIM_PARAM_BOOL, P(functional), "true", NULL, NULL, NULL,
     "keep real bytes; false: timing only, reads carry no payload"},
    {"queue", SIM_PARAM_UINT, P(queue), "1024", "1", "1048576", NULL,
     "responses waiting at most (back-pressure beyond)"},
};

#undef P

static const SimPortDesc ideal_ports[] = {
    {"req", SIM_PORT_IN, false, "mem.h requests"},
    {"resp", SIM_PORT_OUT, false, "mem.h responses"},
};

static const char *ideal_check(const void *params, char *msg, size_t size)
{
    const MemIdealParams *p = params;
    if (p->size % MEM_BEAT_BYTES != 0) {
        snprintf(msg, size, "%llu bytes is not a multiple of 64B", (unsigned long long)p->size);
        return "size";
    }
    return NULL;
}

static const SimStatDesc ideal_stat_rows[] = {
    SIM_STAT_ROW("reads", SIM_STAT_COUNTER, MemIdeal, reads, "requests", 1, "reads taken"),
    SIM_STAT_ROW("writes", SIM_STAT_COUNTER, MemIdeal, writes, "requests", 1, "writes taken"),
    SIM_STAT_ROW("read_bytes", SIM_STAT_COUNTER, MemIdeal, read_bytes, "B", 1, "bytes read"),
    SIM_STAT_ROW("write_bytes", SIM_STAT_COUNTER, MemIdeal, write_bytes, "B", 1, "bytes written"),
};

static const SimStatTable ideal_stats = {ideal_stat_rows, N_OF(ideal_stat_rows), NULL, 0, NULL, 0};

static bool ideal_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                        SimError *err)
{
    MemIdeal *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return sim_error_oom(err, name);
    }
    m->p = *(const MemIdealParams *)params;
    bool ok = sim_timed_fifo_init(&m->q, (uint32_t)m->p.queue);
    if (ok && m->p.functional) {
        ok = sim_mem_init(&m->mem, 0, m->p.size,
                          m->p.init == INIT_PATTERN ? mem_pattern_initial : NULL);
        m->version = sim_region_map(version_bytes(&m->p));
        ok = ok && m->version != NULL;
    }
    if (!ok) {
        sim_error_oom(err, name); /* `size` bytes are mapped when functional */
        goto fail_parts;
    }
    if (!sim_add_component(sim, &m->c, name, m->p.domain, &ideal_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "req", &m->c, &m->req);
    sim_build_port(bld, "resp", &m->c, &m->resp);
    sim_build_stats(bld, &(SimStatBinding){.block = {m}});
    return true;

fail_parts:
    ideal_destroy(&m->c);
    free(m);
    return false;
}

/* Requests end here (fabric checks). */
static const SimPortFlow ideal_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType mem_ideal_type = {
    .name = "mem.ideal",
    .doc = "Ideal memory: one request a cycle, a fixed latency, real bytes (mem.h req/resp).",
    .params = ideal_params,
    .n_params = N_OF(ideal_params),
    .params_size = sizeof(MemIdealParams),
    .ports = ideal_ports,
    .n_ports = N_OF(ideal_ports),
    .check = ideal_check,
    .build = ideal_build,
    .role = SIM_ROLE_MEMORY,
    .flows = ideal_flows,
    .n_flows = N_OF(ideal_flows),
    .stats = &ideal_stats,
};
