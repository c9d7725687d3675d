/*
 * link.tester: an Avalon-MM requester (mem.h) that drives a link and checks it end to end.
 *
 * It issues `count` requests of `size` bytes, each a read with probability read_ratio (drawn
 * from its random stream), at sequential or random addresses of [base, base + range). Writes
 * carry real bytes from its random stream (data: bytes) or the deterministic pattern (data:
 * pattern, payload NULL). With `verify` it keeps a shadow of the range: a write updates the
 * shadow when issued, a read takes a snapshot of the shadow when issued, and the response must
 * equal it byte for byte. The fabric keeps issue order between requests (the link delivers in
 * order, the SPP issues in order, the memory is sequentially consistent in acceptance order),
 * so the snapshot is exactly what the memory must return.
 *
 * Bus discipline (as dram.gen): at most one request starts a cycle, with fewer than
 * `outstanding` waiting and room in `req`; a read holds the bus one cycle, a write of k beats k
 * cycles and is pushed at its last beat. `interval` spaces request starts; `start` delays the
 * first. Tags: low 16 bits a serial number of the request, high 16 bits the slot of its
 * snapshot.
 */
#include "link_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/region.h"

#include "models/proto/mem.h"

enum {
    ADDR_SEQUENTIAL = 0,
    ADDR_RANDOM,
    ADDR_MAX
};
static const char *const addr_names[] = {"sequential", "random", NULL};
enum {
    DATA_BYTES = 0,
    DATA_PATTERN,
    DATA_MAX
};
static const char *const data_names[] = {"bytes", "pattern", NULL};

typedef struct TesterParams {
    SimDomain *domain;
    uint64_t count;
    uint64_t size;
    double read_ratio;
    int pattern;
    uint64_t base;
    uint64_t range;
    uint64_t align;
    int data;
    bool verify;
    uint64_t outstanding;
    uint64_t interval;
    SimTime start;
    uint64_t src;
} TesterParams;

typedef struct TesterSlot {
    bool used;
    bool write;
    SimTime issued;
} TesterSlot;

typedef struct Tester {
    SimComponent c;
    SimPort *req;
    SimPort *resp;
    TesterParams p;
    uint8_t *shadow; /* range bytes, when verifying */
    uint8_t *expect; /* outstanding x size: read snapshots */
    TesterSlot *slots;
    uint32_t *free_slots;
    uint32_t n_free;
    uint32_t n_slots;
    SimCycle start_cycle;
    SimCycle next_start;
    SimCycle bus_free;
    SimPacket *hold;
    SimCycle hold_at;
    uint64_t issued;
    uint64_t next_seq_addr;
    /* statistics */
    uint64_t reads;
    uint64_t writes;
    uint64_t read_bytes;
    uint64_t write_bytes;
    uint64_t responses;
    uint64_t mismatches;
    uint64_t unverified;
    uint64_t bad_responses;
    uint64_t last_response_ps;
    SimHist read_latency;
    SimHist write_latency;
} Tester;

static void fill_random(SimRng *r, uint8_t *dst, uint32_t n)
{
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = sim_rng_next(r);
        memcpy(dst + i, &w, 8);
    }
    if (i < n) {
        uint64_t w = sim_rng_next(r);
        memcpy(dst + i, &w, n - i);
    }
}

static uint64_t next_addr(Tester *t)
{
    uint64_t size = t->p.size;
    if (t->p.pattern == ADDR_SEQUENTIAL) {
        uint64_t off = t->next_seq_addr;
        t->next_seq_addr += size;
        if (t->next_seq_addr + size > t->p.range) {
            t->next_seq_addr = 0;
        }
        return t->p.base + off;
    }
    uint64_t slots = (t->p.range - size) / t->p.align + 1;
    return t->p.base + sim_rng_below(&t->c.rng, slots) * t->p.align;
}

static void take_responses(Tester *t)
{
    Sim *sim = t->c.sim;
    SimPacket *r;
    while ((r = sim_port_peek(t->resp)) != NULL) {
        sim_port_pop(t->resp);
        uint32_t slot = r->tag >> 16;
        bool write = r->type == MEM_WRITE_ACK;
        if ((!write && r->type != MEM_READ_RESP) || slot >= t->n_slots || !t->slots[slot].used ||
            t->slots[slot].write != write) {
            t->bad_responses++;
            sim_fail(sim,
                     "instance '%s': response %llu (type 0x%x, tag 0x%x) matches no "
                     "request",
                     t->c.name, (unsigned long long)r->id, r->type, r->tag);
            sim_packet_free(sim, r);
            return;
        }
        SimTime lat = sim->now - t->slots[slot].issued;
        if (write) {
            sim_hist_record(&t->write_latency, lat);
        } else {
            sim_hist_record(&t->read_latency, lat);
            if (t->p.verify) {
                const uint8_t *want = t->expect + (size_t)slot * t->p.size;
                if (r->payload == NULL || r->payload->size < r->len) {
                    t->unverified++;
                } else if (r->len != t->p.size || memcmp(r->payload->data, want, r->len) != 0) {
                    t->mismatches++;
                }
            }
        }
        t->slots[slot].used = false;
        t->free_slots[t->n_free++] = slot;
        t->responses++;
        sim_work_done(t->c.sim);
        t->last_response_ps = sim->now;
        sim_packet_free(sim, r);
    }
}

/* Start one request at `now`; false if the pool ran dry. */
static bool issue(Tester *t, SimCycle now)
{
    Sim *sim = t->c.sim;
    bool read = t->p.read_ratio > 0.0 && sim_rng_uniform(&t->c.rng) < t->p.read_ratio;
    uint64_t addr = next_addr(t);
    uint32_t len = (uint32_t)t->p.size;
    SimPacket *pkt = sim_packet_new(sim);
    if (pkt == NULL) {
        return false;
    }
    uint32_t slot = t->free_slots[--t->n_free];
    t->slots[slot] = (TesterSlot){.used = true, .write = !read, .issued = sim->now};
    pkt->type = read ? MEM_READ : MEM_WRITE;
    pkt->addr = addr;
    pkt->len = len;
    pkt->src = (uint16_t)t->p.src;
    pkt->tag = (uint32_t)(t->issued & 0xffffu) | slot << 16;
    pkt->stamp[SIM_STAMP_CREATE] = pkt->stamp[SIM_STAMP_INJECT] = sim->now;
    uint64_t off = addr - t->p.base;
    if (read) {
        if (t->p.verify) {
            memcpy(t->expect + (size_t)slot * t->p.size, t->shadow + off, len);
        }
        t->reads++;
        t->read_bytes += len;
        t->bus_free = now + 1;
        sim_port_push(t->req, pkt);
    } else {
        if (t->p.data == DATA_BYTES) {
            SimPayload *pl = sim_payload_pool_get(&sim->pool);
            if (pl == NULL || sim->pool.payload_block_size < len) {
                sim_fail(sim,
                         "instance '%s': no payload block of %u bytes; raise "
                         "sim.payload_blocks or sim.payload_block_size",
                         t->c.name, len);
                if (pl != NULL) {
                    sim_payload_unref(&sim->pool, pl);
                }
                sim_packet_free(sim, pkt);
                return false;
            }
            fill_random(&t->c.rng, pl->data, len);
            pl->size = len;
            pkt->payload = pl;
            if (t->p.verify) {
                memcpy(t->shadow + off, pl->data, len);
            }
        }
        t->writes++;
        t->write_bytes += len;
        uint32_t k = mem_beats(addr, len);
        t->bus_free = now + k;
        t->hold = pkt;
        t->hold_at = now + k - 1;
        if (t->hold_at == now) {
            sim_port_push(t->req, pkt);
            t->hold = NULL;
        }
    }
    t->issued++;
    t->next_start = now + (t->p.interval > 0 ? t->p.interval : 1);
    return true;
}

static SimCycle tester_tick(SimComponent *c, SimCycle now)
{
    Tester *t = (Tester *)c;
    Sim *sim = c->sim;
    take_responses(t);
    if (t->hold != NULL && now >= t->hold_at && sim_port_can_push(t->req)) {
        sim_port_push(t->req, t->hold);
        t->hold = NULL;
    }
    SimCycle go = t->next_start > t->bus_free ? t->next_start : t->bus_free;
    if (go < t->start_cycle) {
        go = t->start_cycle;
    }
    if (t->hold == NULL && t->issued < t->p.count && now >= go && t->n_free > 0 &&
        sim_port_can_push(t->req)) {
        if (!issue(t, now)) {
            return SIM_SLEEP;
        }
        go = t->next_start > t->bus_free ? t->next_start : t->bus_free;
    }
    if (sim->failed) {
        return SIM_SLEEP;
    }
    if (t->hold != NULL) {
        return t->hold_at > now ? t->hold_at : SIM_SLEEP; /* blocked: the slot wakes us */
    }
    if (t->issued < t->p.count && t->n_free > 0 && sim_port_can_push(t->req)) {
        return go > now ? go : now + 1;
    }
    return SIM_SLEEP; /* a response or a freed slot wakes us */
}

static bool tester_busy(const SimComponent *c)
{
    const Tester *t = (const Tester *)c;
    return t->issued < t->p.count || t->n_free < t->n_slots || t->hold != NULL;
}

static void tester_dump(const SimComponent *c, SimError *report)
{
    const Tester *t = (const Tester *)c;
    sim_error_append(report, " (issued %llu of %llu, %u waiting for a response)",
                     (unsigned long long)t->issued, (unsigned long long)t->p.count,
                     t->n_slots - t->n_free);
}

static void tester_destroy(SimComponent *c)
{
    Tester *t = (Tester *)c;
    sim_region_unmap(t->shadow, (size_t)t->p.range);
    free(t->expect);
    free(t->slots);
    free(t->free_slots);
    sim_hist_destroy(&t->read_latency);
    sim_hist_destroy(&t->write_latency);
}

static const SimComponentOps tester_ops = {
    .tick = tester_tick,
    .busy = tester_busy,
    .dump = tester_dump,
    .destroy = tester_destroy,
};

#define P(field) offsetof(TesterParams, field)

static const SimParamDesc tester_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock domain of the requester (the adapter's Avalon-MM side)"},
    {"count", SIM_PARAM_UINT, P(count), "1000", "0", "1000000000000", NULL, "requests to issue"},
    {"size", SIM_PARAM_BYTES, P(size), "64B", "1B", "4KiB", NULL, "bytes per request"},
    {"read_ratio", SIM_PARAM_REAL, P(read_ratio), "0", "0", "1", NULL,
     "probability that a request is a read"},
    {"pattern", SIM_PARAM_ENUM, P(pattern), "sequential", NULL, NULL, addr_names,
     "addresses: sequential (wrapping in range) or random (aligned to align)"},
    {"base", SIM_PARAM_BYTES, P(base), "0", "0", "256TiB", NULL, "first address"},
    {"range", SIM_PARAM_BYTES, P(range), "1MiB", "1B", "256TiB", NULL, "bytes of address space"},
    {"align", SIM_PARAM_BYTES, P(align), "64B", "1B", "4KiB", NULL, "random address alignment"},
    {"data", SIM_PARAM_ENUM, P(data), "bytes", NULL, NULL, data_names,
     "write data: real random bytes, or the deterministic pattern (no payload)"},
    {"verify", SIM_PARAM_BOOL, P(verify), "true", NULL, NULL, NULL,
     "check every read against a shadow of the range (needs data: bytes)"},
    {"outstanding", SIM_PARAM_UINT, P(outstanding), "64", "1", "4096", NULL,
     "requests waiting for their response at once"},
    {"interval", SIM_PARAM_UINT, P(interval), "0", "0", "1000000000", NULL,
     "cycles between request starts (0: as fast as the bus allows)"},
    {"start", SIM_PARAM_TIME, P(start), "0", "0", "1000s", NULL, "time of the first request"},
    {"src", SIM_PARAM_UINT, P(src), "0", "0", "255", NULL, "node id written into requests"},
};

#undef P

static const SimPortDesc tester_ports[] = {
    {"req", SIM_PORT_OUT, false, "memory requests (MEM_READ, MEM_WRITE)"},
    {"resp", SIM_PORT_IN, false, "their responses"},
};

static const char *tester_check(const void *params, char *msg, size_t size)
{
    const TesterParams *p = params;
    if (p->size > p->range) {
        snprintf(msg, size, "requests of %llu B do not fit in a range of %llu B",
                 (unsigned long long)p->size, (unsigned long long)p->range);
        return "range";
    }
    if (p->verify && p->data == DATA_PATTERN) {
        snprintf(msg, size,
                 "pattern data cannot be verified here: set verify: false, or use "
                 "data: bytes");
        return "data";
    }
    if (p->verify && p->range > (256ull << 20)) {
        snprintf(msg, size, "verify keeps a shadow of the range: at most 256MiB");
        return "range";
    }
    return NULL;
}

static const SimStatDesc tester_stat_rows[] = {
    SIM_STAT_ROW("reads", SIM_STAT_COUNTER, Tester, reads, "requests", 1, "reads issued"),
    SIM_STAT_ROW("writes", SIM_STAT_COUNTER, Tester, writes, "requests", 1, "writes issued"),
    SIM_STAT_ROW("read_bytes", SIM_STAT_COUNTER, Tester, read_bytes, "B", 1, "bytes read"),
    SIM_STAT_ROW("write_bytes", SIM_STAT_COUNTER, Tester, write_bytes, "B", 1, "bytes written"),
    SIM_STAT_ROW("responses", SIM_STAT_COUNTER, Tester, responses, "packets", 1,
                 "responses received"),
    SIM_STAT_ROW("mismatches", SIM_STAT_COUNTER, Tester, mismatches, "requests", 1,
                 "reads whose data differ from what was written (must be 0)"),
    SIM_STAT_ROW("unverified", SIM_STAT_COUNTER, Tester, unverified, "requests", 1,
                 "reads answered without data (a memory that keeps none)"),
    SIM_STAT_ROW("last_response_ps", SIM_STAT_COUNTER, Tester, last_response_ps, "ps", 1,
                 "time of the last response"),
    SIM_STAT_ROW("read_latency_ns", SIM_STAT_HIST, Tester, read_latency, "ns", 1000,
                 "read pushed (last beat) to response taken"),
    SIM_STAT_ROW("write_latency_ns", SIM_STAT_HIST, Tester, write_latency, "ns", 1000,
                 "write started to acknowledgement taken"),
};

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow tester_stat_roles[] = {
    {"read_latency_ns", SIM_STAT_ROLE_LATENCY},
    {"write_latency_ns", SIM_STAT_ROLE_LATENCY},
};
static const SimStatTable tester_stats = {tester_stat_rows,  N_OF(tester_stat_rows), NULL, 0,
                                          tester_stat_roles, N_OF(tester_stat_roles)};

static bool tester_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                         SimError *err)
{
    const TesterParams *p = params;
    Tester *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return sim_error_oom(err, name);
    }
    t->p = *p;
    t->n_slots = (uint32_t)p->outstanding;
    t->n_free = t->n_slots;
    t->slots = calloc(t->n_slots, sizeof(*t->slots));
    t->free_slots = calloc(t->n_slots, sizeof(*t->free_slots));
    bool ok = t->slots != NULL && t->free_slots != NULL && sim_hist_init(&t->read_latency) &&
              sim_hist_init(&t->write_latency);
    if (ok && p->verify) {
        t->shadow = sim_region_map((size_t)p->range);
        t->expect = calloc(t->n_slots, p->size);
        ok = t->shadow != NULL && t->expect != NULL;
    }
    if (!ok) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    for (uint32_t i = 0; i < t->n_slots; i++) {
        t->free_slots[i] = t->n_slots - 1 - i;
    }
    t->start_cycle = sim_domain_cycle_at_or_after(p->domain, p->start);
    t->c.requester = true; /* the watchdog waits on its outstanding requests */
    if (!sim_add_component(sim, &t->c, name, p->domain, &tester_ops, err)) {
        goto fail_parts;
    }
    /* --progress: done when every request has its response. */
    if (!sim_add_work(sim, &t->responses, p->count)) {
        return sim_error_oom(err, name);
    }
    sim_build_port(bld, "req", &t->c, &t->req);
    sim_build_port(bld, "resp", &t->c, &t->resp);
    sim_build_stats(bld, &(SimStatBinding){.block = {t}});
    return true;

fail_parts:
    tester_destroy(&t->c);
    free(t);
    return false;
}

/* Its requests must reach a memory (fabric checks). */
static const SimPortFlow tester_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType link_tester_type = {
    .name = "link.tester",
    .doc = "Avalon-MM requester for link tests: reads and writes of real bytes at sequential or "
           "random addresses, every read checked against a shadow of what was written.",
    .params = tester_params,
    .n_params = N_OF(tester_params),
    .params_size = sizeof(TesterParams),
    .ports = tester_ports,
    .n_ports = N_OF(tester_ports),
    .check = tester_check,
    .build = tester_build,
    .role = SIM_ROLE_REQUESTER,
    .flows = tester_flows,
    .n_flows = N_OF(tester_flows),
    .stats = &tester_stats,
};
