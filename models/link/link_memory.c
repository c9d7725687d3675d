/*
 * link.memory: an ideal memory for link tests, an Avalon-MM slave (mem.h) with a fixed latency.
 *
 * It takes one request every `accept_every` cycles while fewer than `max_pending` responses wait;
 * a request taken at cycle c is answered at c + latency (pushed then, or as soon as `resp` has
 * room, in order). Data are read and written when the request is taken, so the memory is
 * sequentially consistent in acceptance order, like dram.ctrl. The functional store is a flat
 * array of `capacity` bytes (addresses wrap), zero at the start; a write without payload stores
 * the mem.h pattern at the line's next version. With order_check, writes of each source must
 * arrive with increasing 16-bit tags (link.tester numbers its requests so): a duplicate or a
 * reordered write is counted.
 */
#include "link_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"
#include "sim/core/region.h"
#include "sim/core/ring.h"

typedef struct MemoryParams {
    SimDomain *domain;
    uint64_t latency;
    uint64_t capacity;
    bool functional;
    uint64_t accept_every;
    uint64_t max_pending;
    bool order_check;
} MemoryParams;

typedef struct Memory {
    SimComponent c;
    SimPort *req;
    SimPort *resp;
    MemoryParams p;
    uint8_t *store;
    uint32_t *version;    /* per 64-byte line, for pattern writes */
    SimTimedFifo pending; /* responses in acceptance order, each ready at its cycle */
    SimCycle next_accept;
    uint32_t last_tag[256];
    bool seen[256];
    /* statistics */
    uint64_t reads;
    uint64_t writes;
    uint64_t read_bytes;
    uint64_t write_bytes;
    uint64_t order_errors;
    uint64_t first_write_ps;
    uint64_t last_write_ps;
} Memory;

static void store_write(Memory *m, const SimPacket *pkt)
{
    uint64_t mask = m->p.capacity - 1;
    for (uint32_t i = 0; i < pkt->len;) {
        uint64_t a = (pkt->addr + i) & mask;
        uint32_t n = pkt->len - i;
        if (a + n > m->p.capacity) {
            n = (uint32_t)(m->p.capacity - a);
        }
        if (pkt->payload != NULL) {
            memcpy(m->store + a, pkt->payload->data + i, n);
        } else {
            /* Pattern: every line touched gets its next version, then its bytes. */
            for (uint64_t line = a / MEM_BEAT_BYTES; line <= (a + n - 1) / MEM_BEAT_BYTES; line++) {
                m->version[line]++;
            }
            for (uint32_t j = 0; j < n; j++) {
                uint64_t b = a + j;
                m->store[b] = mem_pattern_byte(b, m->version[b / MEM_BEAT_BYTES]);
            }
        }
        i += n;
    }
}

static void store_read(const Memory *m, uint64_t addr, uint8_t *dst, uint32_t len)
{
    uint64_t mask = m->p.capacity - 1;
    for (uint32_t i = 0; i < len;) {
        uint64_t a = (addr + i) & mask;
        uint32_t n = len - i;
        if (a + n > m->p.capacity) {
            n = (uint32_t)(m->p.capacity - a);
        }
        memcpy(dst + i, m->store + a, n);
        i += n;
    }
}

/* Take one request; false if the run failed. */
static bool accept(Memory *m, SimCycle now, SimPacket *pkt)
{
    Sim *sim = m->c.sim;
    if (pkt->len == 0 || pkt->len > MEM_MAX_LEN) {
        sim_fail(sim, "instance '%s': request %llu of %u bytes (1..%u allowed)", m->c.name,
                 (unsigned long long)pkt->id, pkt->len, MEM_MAX_LEN);
        return false;
    }
    if (pkt->type == MEM_WRITE) {
        if (pkt->payload != NULL && pkt->payload->size < pkt->len) {
            sim_fail(sim, "instance '%s': write %llu carries %u of its %u bytes", m->c.name,
                     (unsigned long long)pkt->id, pkt->payload->size, pkt->len);
            return false;
        }
        if (m->store != NULL) {
            store_write(m, pkt);
        }
        if (m->p.order_check) {
            uint32_t s = pkt->src & 0xffu;
            uint32_t tag = pkt->tag & 0xffffu;
            if (m->seen[s] && link_seq_diff(tag, m->last_tag[s]) <= 0) {
                m->order_errors++;
            }
            m->seen[s] = true;
            m->last_tag[s] = tag;
        }
        if (pkt->payload != NULL) {
            sim_payload_unref(&sim->pool, pkt->payload);
            pkt->payload = NULL;
        }
        sim_work_done(m->c.sim);
        if (m->writes++ == 0) {
            m->first_write_ps = sim->now;
        }
        m->last_write_ps = sim->now;
        m->write_bytes += pkt->len;
        pkt->type = MEM_WRITE_ACK;
    } else if (pkt->type == MEM_READ) {
        if (pkt->payload != NULL) {
            sim_payload_unref(&sim->pool, pkt->payload);
            pkt->payload = NULL;
        }
        if (m->store != NULL) {
            if (sim->pool.payload_block_size < pkt->len) {
                sim_fail(sim,
                         "instance '%s': a read of %u bytes needs payload blocks of that "
                         "size; raise sim.payload_block_size",
                         m->c.name, pkt->len);
                return false;
            }
            SimPayload *pl = sim_payload_pool_get(&sim->pool);
            if (pl == NULL) {
                sim_fail(sim, "instance '%s': payload pool exhausted; raise sim.payload_blocks",
                         m->c.name);
                return false;
            }
            store_read(m, pkt->addr, pl->data, pkt->len);
            pl->size = pkt->len;
            pkt->payload = pl;
        }
        m->reads++;
        sim_work_done(m->c.sim);
        m->read_bytes += pkt->len;
        pkt->type = MEM_READ_RESP;
    } else {
        sim_fail(sim, "instance '%s': packet %llu of type 0x%x is not a memory request", m->c.name,
                 (unsigned long long)pkt->id, pkt->type);
        return false;
    }
    pkt->dst = pkt->src;
    sim_timed_fifo_push(&m->pending, now + m->p.latency, pkt);
    return true;
}

static void answer(Memory *m, SimCycle now)
{
    while (sim_timed_fifo_ready(&m->pending, now) != NULL && sim_port_can_push(m->resp)) {
        sim_port_push(m->resp, sim_timed_fifo_pop(&m->pending));
    }
}

static SimCycle memory_tick(SimComponent *c, SimCycle now)
{
    Memory *m = (Memory *)c;
    answer(m, now);
    SimPacket *pkt = sim_port_peek(m->req);
    if (pkt != NULL && now >= m->next_accept && !sim_timed_fifo_full(&m->pending)) {
        sim_port_pop(m->req);
        if (!accept(m, now, pkt)) {
            return SIM_SLEEP;
        }
        m->next_accept = now + m->p.accept_every;
        answer(m, now);
    }
    SimCycle next = SIM_CYCLE_NEVER;
    SimCycle ready = sim_timed_fifo_head_ready(&m->pending);
    if (ready != SIM_CYCLE_NEVER && ready > now) {
        next = ready; /* a ready head that waits for room in resp is woken by the port */
    }
    if (sim_port_peek(m->req) != NULL && !sim_timed_fifo_full(&m->pending)) {
        SimCycle a = m->next_accept > now ? m->next_accept : now + 1;
        if (a < next) {
            next = a;
        }
    }
    return next;
}

static bool memory_busy(const SimComponent *c)
{
    return sim_timed_fifo_count(&((const Memory *)c)->pending) > 0;
}

static void memory_dump(const SimComponent *c, SimError *report)
{
    sim_error_append(report, " (%u responses waiting)",
                     sim_timed_fifo_count(&((const Memory *)c)->pending));
}

static void memory_destroy(SimComponent *c)
{
    Memory *m = (Memory *)c;
    sim_region_unmap(m->store, (size_t)m->p.capacity);
    sim_region_unmap(m->version, (size_t)(m->p.capacity / MEM_BEAT_BYTES * sizeof(uint32_t)));
    sim_timed_fifo_destroy(&m->pending);
}

static const SimComponentOps memory_ops = {
    .tick = memory_tick,
    .busy = memory_busy,
    .dump = memory_dump,
    .destroy = memory_destroy,
};

#define P(field) offsetof(MemoryParams, field)

static const SimParamDesc memory_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "mem", NULL, NULL, NULL,
     "clock domain (the DDR3 controller's Avalon-MM side)"},
    {"latency", SIM_PARAM_UINT, P(latency), "20", "0", "1000000", NULL,
     "cycles from taking a request to its response"},
    {"capacity", SIM_PARAM_BYTES, P(capacity), "16MiB", "64B", "4GiB", NULL,
     "bytes of the functional store (a power of two; addresses wrap)"},
    {"functional", SIM_PARAM_BOOL, P(functional), "true", NULL, NULL, NULL,
     "keep the contents: reads return what was written"},
    {"accept_every", SIM_PARAM_UINT, P(accept_every), "1", "1", "1000000", NULL,
     "cycles between requests taken"},
    {"max_pending", SIM_PARAM_UINT, P(max_pending), "256", "1", "65536", NULL,
     "responses waiting at once; then requests wait in the port"},
    {"order_check", SIM_PARAM_BOOL, P(order_check), "false", NULL, NULL, NULL,
     "count writes of a source whose 16-bit tag does not increase (duplicates, reordering)"},
};

#undef P

static const SimPortDesc memory_ports[] = {
    {"req", SIM_PORT_IN, false, "memory requests (MEM_READ, MEM_WRITE)"},
    {"resp", SIM_PORT_OUT, false, "responses (MEM_READ_RESP, MEM_WRITE_ACK)"},
};

static const char *memory_check(const void *params, char *msg, size_t size)
{
    const MemoryParams *p = params;
    if (!is_pow2(p->capacity)) {
        snprintf(msg, size, "capacity must be a power of two");
        return "capacity";
    }
    return NULL;
}

static const SimStatDesc memory_stat_rows[] = {
    SIM_STAT_ROW("reads", SIM_STAT_COUNTER, Memory, reads, "requests", 1, "reads taken"),
    SIM_STAT_ROW("writes", SIM_STAT_COUNTER, Memory, writes, "requests", 1, "writes taken"),
    SIM_STAT_ROW("read_bytes", SIM_STAT_COUNTER, Memory, read_bytes, "B", 1, "bytes read"),
    SIM_STAT_ROW("write_bytes", SIM_STAT_COUNTER, Memory, write_bytes, "B", 1, "bytes written"),
    SIM_STAT_ROW("order_errors", SIM_STAT_COUNTER, Memory, order_errors, "requests", 1,
                 "writes out of order or repeated (order_check)"),
    SIM_STAT_ROW("first_write_ps", SIM_STAT_COUNTER, Memory, first_write_ps, "ps", 1,
                 "time the first write was taken"),
    SIM_STAT_ROW("last_write_ps", SIM_STAT_COUNTER, Memory, last_write_ps, "ps", 1,
                 "time the last write was taken"),
};

static const SimStatTable memory_stats = {
    memory_stat_rows, N_OF(memory_stat_rows), NULL, 0, NULL, 0};

static bool memory_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                         SimError *err)
{
    const MemoryParams *p = params;
    Memory *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return sim_error_oom(err, name);
    }
    m->p = *p;
    bool ok = sim_timed_fifo_init(&m->pending, (uint32_t)p->max_pending);
    if (ok && p->functional) {
        m->store = sim_region_map((size_t)p->capacity);
        m->version = sim_region_map((size_t)(p->capacity / MEM_BEAT_BYTES * sizeof(uint32_t)));
        ok = m->store != NULL && m->version != NULL;
    }
    if (!ok) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    if (!sim_add_component(sim, &m->c, name, p->domain, &memory_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "req", &m->c, &m->req);
    sim_build_port(bld, "resp", &m->c, &m->resp);
    sim_build_stats(bld, &(SimStatBinding){.block = {m}});
    return true;

fail_parts:
    memory_destroy(&m->c);
    free(m);
    return false;
}

/* Requests end here (fabric checks). */
static const SimPortFlow memory_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType link_memory_type = {
    .name = "link.memory",
    .doc = "Ideal fixed-latency memory for link tests: one request a cycle, answered `latency` "
           "cycles later, with a flat functional store.",
    .params = memory_params,
    .n_params = N_OF(memory_params),
    .params_size = sizeof(MemoryParams),
    .ports = memory_ports,
    .n_ports = N_OF(memory_ports),
    .check = memory_check,
    .build = memory_build,
    .role = SIM_ROLE_MEMORY,
    .flows = memory_flows,
    .n_flows = N_OF(memory_flows),
    .stats = &memory_stats,
};
