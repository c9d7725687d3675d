/*
 * Memory traffic for the DRAM models: dram.trace replays a DRAM trace (standalone mode,
 * `membox-sim dram`), dram.gen makes sequential or random requests. Both are Avalon-MM masters
 * in their own domain (default "mem", 200 MHz) with the same bus discipline as the arbiter:
 *
 *   - at most one request starts per cycle, and only with fewer than `outstanding` requests
 *     waiting for their response and room in the `req` port;
 *   - a read holds the bus for 1 cycle (the command); a write of k beats for k cycles and is
 *     pushed at its last beat (start + k - 1), so the next request starts at start + k at the
 *     earliest;
 *   - every response visible on `resp` is taken at once.
 *
 * dram.trace: a record of arrival cycle n (DRAM clock, `arrival_domain`, default "ddr") is
 * started at the first cycle of `domain` at or after cycle n of the arrival clock, or later if
 * the bus, the outstanding limit or the port holds it back (later records wait behind it: a
 * trace is replayed in order). Arrival 0 or none: as soon as possible. The whole trace is
 * read once at build, so a malformed line is a configuration error (exit 2) naming the trace's
 * file:line; the run reads it again as a stream.
 */
#include "dram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dram_store.h"
#include "models/proto/mem.h"
#include "sim/trace/dram_trace.h"

/* ---- the Avalon master both share ---- */

typedef struct MemMaster {
    SimPort *req;
    SimPort *resp;
    SimPacket *hold;   /* a write streaming its beats */
    SimCycle push_at;  /* cycle of its last beat */
    SimCycle bus_free; /* first cycle the next request may start */
    uint64_t outstanding;
    uint64_t limit;
} MemMaster;

static bool master_ready(const MemMaster *m, SimCycle now)
{
    return m->hold == NULL && now >= m->bus_free && m->outstanding < m->limit &&
           sim_port_can_push(m->req);
}

static void master_start(MemMaster *m, SimCycle now, SimPacket *pkt)
{
    uint32_t k = pkt->type == MEM_WRITE ? mem_beats(pkt->addr, pkt->len) : 1;
    if (k == 0) {
        k = 1;
    }
    m->outstanding++;
    m->push_at = now + k - 1;
    m->bus_free = now + k;
    if (m->push_at <= now) {
        sim_port_push(m->req, pkt);
    } else {
        m->hold = pkt;
    }
}

static void master_flush(MemMaster *m, SimCycle now)
{
    if (m->hold != NULL && now >= m->push_at && sim_port_can_push(m->req)) {
        sim_port_push(m->req, m->hold);
        m->hold = NULL;
    }
}

/* Next cycle worth ticking for a master that wants to start a request at `start`. */
static SimCycle master_wake(const MemMaster *m, SimCycle now, SimCycle start)
{
    if (m->hold != NULL) {
        return m->push_at > now ? m->push_at : SIM_SLEEP; /* blocked: the slot wakes us */
    }
    if (start == SIM_CYCLE_NEVER || m->outstanding >= m->limit || !sim_port_can_push(m->req)) {
        return SIM_SLEEP; /* a response or a freed slot wakes us */
    }
    if (start < m->bus_free) {
        start = m->bus_free;
    }
    return start > now ? start : now + 1;
}

typedef struct MemMasterStats {
    uint64_t requests;
    uint64_t reads;
    uint64_t writes;
    uint64_t responses;
    uint64_t bytes;
    SimHist latency;      /* start to response taken, ps */
    SimHist read_latency; /* the same for reads */
} MemMasterStats;

/* The rows of MemMasterStats, in block blk, shared by both masters' tables. */
#define MASTER_ROW(blk_, name_, kind_, field_, unit_, scale_, doc_)                                \
    SIM_STAT_ROW_IN(blk_, name_, kind_, MemMasterStats, field_, unit_, scale_, doc_)
#define MASTER_STAT_ROWS(blk_)                                                                     \
    MASTER_ROW(blk_, "requests", SIM_STAT_COUNTER, requests, "requests", 1, "requests started"),   \
        MASTER_ROW(blk_, "reads", SIM_STAT_COUNTER, reads, "requests", 1,                          \
                   "read requests started"),                                                       \
        MASTER_ROW(blk_, "writes", SIM_STAT_COUNTER, writes, "requests", 1,                        \
                   "write requests started"),                                                      \
        MASTER_ROW(blk_, "responses", SIM_STAT_COUNTER, responses, "packets", 1,                   \
                   "responses taken"),                                                             \
        MASTER_ROW(blk_, "bytes", SIM_STAT_COUNTER, bytes, "B", 1, "bytes requested"),             \
        MASTER_ROW(blk_, "latency_ns", SIM_STAT_HIST, latency, "ns", 1000,                         \
                   "request start to response taken"),                                             \
        MASTER_ROW(blk_, "read_latency_ns", SIM_STAT_HIST, read_latency, "ns", 1000,               \
                   "read request start to response taken")

static void master_count(MemMasterStats *st, const SimPacket *pkt)
{
    st->requests++;
    st->bytes += pkt->len;
    if (pkt->type == MEM_WRITE) {
        st->writes++;
    } else {
        st->reads++;
    }
}

/* Take a response: latency from the INJECT stamp the request got when it started. */
static void master_response(MemMaster *m, MemMasterStats *st, const SimPacket *pkt, SimTime now)
{
    m->outstanding--;
    st->responses++;
    sim_hist_record(&st->latency, now - pkt->stamp[SIM_STAMP_INJECT]);
    if (pkt->type == MEM_READ_RESP) {
        sim_hist_record(&st->read_latency, now - pkt->stamp[SIM_STAMP_INJECT]);
    }
}

static const SimPortDesc master_ports[] = {
    {"req", SIM_PORT_OUT, false, "memory requests to the controller or an arbiter port"},
    {"resp", SIM_PORT_IN, false, "responses"},
};

/* ================================ dram.trace ================================ */

typedef struct DramPlayerParams {
    SimDomain *domain;
    SimDomain *arrival_domain;
    const char *file;
    int format;
    uint64_t outstanding;
    uint64_t src;
} DramPlayerParams;

typedef struct DramPlayer {
    SimComponent c;
    MemMaster m;
    SimDomain *arrival;
    DramTrace *trace;
    uint16_t src;
    bool has_rec;
    bool eof;
    DramTraceRecord rec;
    SimCycle rec_start; /* first cycle of our domain the record may start at */
    uint64_t records;
    MemMasterStats st;
} DramPlayer;

/* Load the next record into p->rec; false if the run failed. */
static bool player_fetch(DramPlayer *p)
{
    if (p->has_rec || p->eof) {
        return true;
    }
    SimError err;
    sim_error_clear(&err);
    int r = dram_trace_next(p->trace, &p->rec, &err);
    if (r < 0) {
        sim_fail(p->c.sim, "instance '%s': %s", p->c.name, err.msg);
        return false;
    }
    if (r == 0) {
        p->eof = true;
        return true;
    }
    p->has_rec = true;
    p->rec_start = 0;
    if (p->rec.cycle != 0) {
        SimTime t = sim_domain_time(p->arrival, p->rec.cycle);
        p->rec_start = sim_domain_cycle_at_or_after(p->c.domain, t);
    }
    return true;
}

static SimCycle player_tick(SimComponent *c, SimCycle now)
{
    DramPlayer *p = (DramPlayer *)c;
    Sim *sim = c->sim;
    SimPacket *rsp;
    while ((rsp = sim_port_peek(p->m.resp)) != NULL) {
        sim_port_pop(p->m.resp);
        master_response(&p->m, &p->st, rsp, sim->now);
        sim_work_done(sim);
        sim_packet_free(sim, rsp);
    }
    master_flush(&p->m, now);
    if (!player_fetch(p)) {
        return SIM_SLEEP;
    }
    if (p->has_rec && now >= p->rec_start && master_ready(&p->m, now)) {
        SimPacket *pkt = sim_packet_new(sim);
        if (pkt == NULL) {
            return SIM_SLEEP;
        }
        pkt->type = p->rec.write ? MEM_WRITE : MEM_READ;
        pkt->addr = p->rec.addr;
        pkt->len = p->rec.len;
        pkt->tag = (uint32_t)p->st.requests;
        pkt->src = p->src;
        pkt->stamp[SIM_STAMP_CREATE] = sim_domain_time(c->domain, p->rec_start);
        pkt->stamp[SIM_STAMP_INJECT] = sim->now;
        master_count(&p->st, pkt);
        master_start(&p->m, now, pkt);
        p->has_rec = false;
        if (!player_fetch(p)) {
            return SIM_SLEEP;
        }
    }
    return master_wake(&p->m, now, p->has_rec ? p->rec_start : SIM_CYCLE_NEVER);
}

static bool player_busy(const SimComponent *c)
{
    const DramPlayer *p = (const DramPlayer *)c;
    /* A record waiting for its arrival time is not stuck work: a trace may be idle for longer
     * than the watchdog's limit. Its timer keeps the run going. */
    bool due = p->has_rec && sim_domain_time(c->domain, p->rec_start) <= c->sim->now;
    return due || p->m.outstanding > 0 || p->m.hold != NULL;
}

static void player_dump(const SimComponent *c, SimError *report)
{
    const DramPlayer *p = (const DramPlayer *)c;
    sim_error_append(report, " (%llu of %llu records started, %llu outstanding)",
                     (unsigned long long)p->st.requests, (unsigned long long)p->records,
                     (unsigned long long)p->m.outstanding);
}

static void player_destroy(SimComponent *c)
{
    DramPlayer *p = (DramPlayer *)c;
    dram_trace_close(p->trace);
    sim_hist_destroy(&p->st.latency);
    sim_hist_destroy(&p->st.read_latency);
}

static const SimComponentOps player_ops = {
    .tick = player_tick,
    .busy = player_busy,
    .dump = player_dump,
    .destroy = player_destroy,
};

static const SimParamDesc player_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(DramPlayerParams, domain), "mem", NULL, NULL, NULL,
     "Avalon-MM clock domain the player runs in"},
    {"arrival_domain", SIM_PARAM_DOMAIN, offsetof(DramPlayerParams, arrival_domain), "ddr", NULL,
     NULL, NULL, "clock the trace's arrival cycles count (DRAMsim3: the DRAM clock)"},
    {"file", SIM_PARAM_PATH, offsetof(DramPlayerParams, file), "", NULL, NULL, NULL,
     "trace file, plain or gzip, relative to the topology file (membox-sim dram --trace)"},
    {"format", SIM_PARAM_ENUM, offsetof(DramPlayerParams, format), "native", NULL, NULL,
     dram_trace_format_names, "native, dramsim3 or ramulator (membox-sim dram --format)"},
    {"outstanding", SIM_PARAM_UINT, offsetof(DramPlayerParams, outstanding), "256", "1", "65536",
     NULL, "requests waiting for their response at most"},
    {"src", SIM_PARAM_UINT, offsetof(DramPlayerParams, src), "0", "0", "65535", NULL,
     "node id written into each request"},
};

/* Blocks: the player, its master's counters. */
static const SimStatDesc player_stat_rows[] = {
    MASTER_STAT_ROWS(1),
    SIM_STAT_ROW("records", SIM_STAT_COUNTER, DramPlayer, records, "records", 1,
                 "records in the trace"),
};

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow player_stat_roles[] = {
    {"latency_ns", SIM_STAT_ROLE_LATENCY},
    {"responses", SIM_STAT_ROLE_WORKLOAD},
};
static const SimStatTable player_stats = {player_stat_rows,  N_OF(player_stat_rows), NULL, 0,
                                          player_stat_roles, N_OF(player_stat_roles)};

static bool player_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                         SimError *err)
{
    const DramPlayerParams *pp = params;
    if (pp->file == NULL || pp->file[0] == '\0') {
        return sim_error_set(err, SIM_ERR_INPUT,
                             "instance '%s': key 'file' is empty: give a trace (membox-sim dram "
                             "CONFIG --trace FILE)",
                             name);
    }
    /* Read the whole trace once now: a malformed line is an input error before the run. */
    uint64_t records = 0;
    DramTrace *t = dram_trace_open(pp->file, (DramTraceFormat)pp->format, err);
    if (t == NULL) {
        return false;
    }
    DramTraceRecord rec;
    int r;
    while ((r = dram_trace_next(t, &rec, err)) > 0) {
        records++;
    }
    dram_trace_close(t);
    if (r < 0) {
        return false;
    }
    DramPlayer *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return sim_error_oom(err, name);
    }
    p->trace = dram_trace_open(pp->file, (DramTraceFormat)pp->format, err);
    if (p->trace == NULL) {
        goto fail_player;
    }
    p->records = records;
    p->arrival = pp->arrival_domain;
    p->src = (uint16_t)pp->src;
    p->m.limit = pp->outstanding;
    if (!sim_hist_init(&p->st.latency) || !sim_hist_init(&p->st.read_latency)) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    p->c.requester = true; /* the watchdog waits on its outstanding requests */
    if (!sim_add_component(sim, &p->c, name, pp->domain, &player_ops, err)) {
        goto fail_parts;
    }
    /* --progress: the trace is done when every record has its response. */
    if (!sim_add_work(sim, &p->st.responses, records)) {
        return sim_error_oom(err, name);
    }
    sim_build_port(bld, "req", &p->c, &p->m.req);
    sim_build_port(bld, "resp", &p->c, &p->m.resp);
    sim_build_stats(bld, &(SimStatBinding){.block = {p, &p->st}});
    return true;

fail_parts:
    player_destroy(&p->c); /* closes the trace */
fail_player:
    free(p);
    return false;
}

/* Both masters' requests must reach a memory (fabric checks). */
static const SimPortFlow master_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType dram_trace_type = {
    .name = "dram.trace",
    .doc = "DRAM trace player for the standalone mode: replays a native, DRAMsim3 or Ramulator "
           "trace (plain or gzip) into a memory controller as an Avalon-MM master.",
    .params = player_params,
    .n_params = N_OF(player_params),
    .params_size = sizeof(DramPlayerParams),
    .ports = master_ports,
    .n_ports = 2,
    .build = player_build,
    .role = SIM_ROLE_REQUESTER,
    .flows = master_flows,
    .n_flows = N_OF(master_flows),
    .stats = &player_stats,
};

/* ================================ dram.gen ================================ */

enum {
    GEN_SEQUENTIAL = 0,
    GEN_RANDOM,
    GEN_PATTERN_MAX
};

static const char *const gen_pattern_names[] = {"sequential", "random", NULL};

typedef struct DramGenParams {
    SimDomain *domain;
    uint64_t count;
    uint64_t size;
    int pattern;
    double read_ratio;
    uint64_t base;
    uint64_t range;
    uint64_t outstanding;
    double rate;
    uint64_t src;
    bool verify;
} DramGenParams;

typedef struct DramGen {
    SimComponent c;
    MemMaster m;
    DramGenParams p;
    DramStore *shadow; /* verify: what the memory must hold */
    SimCycle next_emit;
    uint64_t verified;
    uint64_t verify_errors;
    uint64_t unverified;
    MemMasterStats st;
} DramGen;

/* FNV-1a over the bytes: what a read response must hash to. */
static uint64_t bytes_hash(const uint8_t *b, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint32_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 0x100000001b3ULL;
    }
    return h;
}

static SimCycle gen_emit_cycle(const DramGen *g, uint64_t k)
{
    if (g->p.rate >= 1.0) {
        return k;
    }
    /* Fixed spacing: request k is due at cycle ceil(k / rate). */
    double c = (double)k / g->p.rate;
    SimCycle n = (SimCycle)c;
    return (double)n < c ? n + 1 : n;
}

static SimPacket *gen_make(DramGen *g, SimCycle now)
{
    Sim *sim = g->c.sim;
    const uint64_t k = g->st.requests;
    const uint64_t slots = g->p.range / g->p.size;
    uint64_t addr;
    if (g->p.pattern == GEN_RANDOM) {
        addr = g->p.base + sim_rng_below(&g->c.rng, slots) * g->p.size;
    } else {
        addr = g->p.base + (k % slots) * g->p.size;
    }
    bool write = sim_rng_uniform(&g->c.rng) >= g->p.read_ratio;
    SimPacket *pkt = sim_packet_new(sim);
    if (pkt == NULL) {
        return NULL;
    }
    pkt->type = write ? MEM_WRITE : MEM_READ;
    pkt->addr = addr;
    pkt->len = (uint32_t)g->p.size;
    pkt->tag = (uint32_t)k;
    pkt->src = (uint16_t)g->p.src;
    pkt->stamp[SIM_STAMP_CREATE] = sim_domain_time(g->c.domain, g->next_emit);
    pkt->stamp[SIM_STAMP_INJECT] = sim->now;
    if (g->shadow == NULL) {
        return pkt;
    }
    uint8_t buf[MEM_MAX_LEN];
    if (write) {
        SimPayload *pl = sim_payload_pool_get(&sim->pool);
        if (pl == NULL || sim->pool.payload_block_size < pkt->len) {
            sim_fail(sim,
                     "instance '%s': no payload block of %u bytes; raise sim.payload_blocks "
                     "or sim.payload_block_size",
                     g->c.name, pkt->len);
            sim_packet_free(sim, pkt);
            return NULL;
        }
        for (uint32_t i = 0; i < pkt->len; i += 8) {
            uint64_t w = sim_rng_next(&g->c.rng);
            for (uint32_t j = 0; j < 8 && i + j < pkt->len; j++) {
                pl->data[i + j] = (uint8_t)(w >> (8 * j));
            }
        }
        pl->size = pkt->len;
        pkt->payload = pl;
        if (!dram_store_write(g->shadow, addr, pl->data, pkt->len)) {
            sim_fail(sim, "instance '%s': its shadow of the memory is full", g->c.name);
        }
    } else {
        dram_store_read(g->shadow, addr, buf, pkt->len);
        pkt->user[0] = bytes_hash(buf, pkt->len);
    }
    (void)now;
    return pkt;
}

static SimCycle gen_tick(SimComponent *c, SimCycle now)
{
    DramGen *g = (DramGen *)c;
    Sim *sim = c->sim;
    SimPacket *rsp;
    while ((rsp = sim_port_peek(g->m.resp)) != NULL) {
        sim_port_pop(g->m.resp);
        master_response(&g->m, &g->st, rsp, sim->now);
        sim_work_done(sim);
        if (g->shadow != NULL && rsp->type == MEM_READ_RESP) {
            if (rsp->payload == NULL) {
                g->unverified++;
            } else if (rsp->payload->size == rsp->len &&
                       bytes_hash(rsp->payload->data, rsp->len) == rsp->user[0]) {
                g->verified++;
            } else {
                g->verify_errors++;
            }
        }
        sim_packet_free(sim, rsp);
    }
    master_flush(&g->m, now);
    bool more = g->p.count == 0 || g->st.requests < g->p.count;
    if (more && now >= g->next_emit && master_ready(&g->m, now)) {
        SimPacket *pkt = gen_make(g, now);
        if (pkt == NULL) {
            return SIM_SLEEP;
        }
        master_count(&g->st, pkt);
        master_start(&g->m, now, pkt);
        g->next_emit = gen_emit_cycle(g, g->st.requests);
        more = g->p.count == 0 || g->st.requests < g->p.count;
    }
    return master_wake(&g->m, now, more ? g->next_emit : SIM_CYCLE_NEVER);
}

static bool gen_busy(const SimComponent *c)
{
    const DramGen *g = (const DramGen *)c;
    /* As for the player: a request not yet due is not stuck work. */
    bool more = g->p.count == 0 || g->st.requests < g->p.count;
    bool due = more && sim_domain_time(c->domain, g->next_emit) <= c->sim->now;
    return due || g->m.outstanding > 0 || g->m.hold != NULL;
}

static void gen_dump(const SimComponent *c, SimError *report)
{
    const DramGen *g = (const DramGen *)c;
    sim_error_append(report, " (%llu of %llu requests started, %llu outstanding)",
                     (unsigned long long)g->st.requests, (unsigned long long)g->p.count,
                     (unsigned long long)g->m.outstanding);
}

static void gen_destroy(SimComponent *c)
{
    DramGen *g = (DramGen *)c;
    dram_store_free(g->shadow);
    sim_hist_destroy(&g->st.latency);
    sim_hist_destroy(&g->st.read_latency);
}

static const SimComponentOps gen_ops = {
    .tick = gen_tick,
    .busy = gen_busy,
    .dump = gen_dump,
    .destroy = gen_destroy,
};

static const SimParamDesc gen_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(DramGenParams, domain), "mem", NULL, NULL, NULL,
     "Avalon-MM clock domain the generator runs in"},
    {"count", SIM_PARAM_UINT, offsetof(DramGenParams, count), "1000", "0", "1000000000000", NULL,
     "requests to make; 0: until --until"},
    {"size", SIM_PARAM_BYTES, offsetof(DramGenParams, size), "64B", "1B", "4KiB", NULL,
     "bytes per request"},
    {"pattern", SIM_PARAM_ENUM, offsetof(DramGenParams, pattern), "sequential", NULL, NULL,
     gen_pattern_names, "sequential: base, base + size, ... wrapping at range; random: uniform"},
    {"read_ratio", SIM_PARAM_REAL, offsetof(DramGenParams, read_ratio), "1", "0", "1", NULL,
     "probability that a request is a read"},
    {"base", SIM_PARAM_BYTES, offsetof(DramGenParams, base), "0B", "0B", "256TiB", NULL,
     "lowest address"},
    {"range", SIM_PARAM_BYTES, offsetof(DramGenParams, range), "4GiB", "64B", "256TiB", NULL,
     "bytes of address space used from base"},
    {"outstanding", SIM_PARAM_UINT, offsetof(DramGenParams, outstanding), "64", "1", "65536", NULL,
     "requests waiting for their response at most"},
    {"rate", SIM_PARAM_REAL, offsetof(DramGenParams, rate), "1", "0.000001", "1", NULL,
     "requests offered per cycle"},
    {"src", SIM_PARAM_UINT, offsetof(DramGenParams, src), "0", "0", "65535", NULL,
     "node id written into each request"},
    {"verify", SIM_PARAM_BOOL, offsetof(DramGenParams, verify), "false", NULL, NULL, NULL,
     "write random bytes and check every read returns what this generator wrote last (its "
     "range must not be written by others)"},
};

static const char *gen_check(const void *params, char *msg, size_t size)
{
    const DramGenParams *p = params;
    if (p->range < p->size) {
        snprintf(msg, size, "range must hold at least one request of `size` bytes");
        return "range";
    }
    return NULL;
}

/* Blocks: the generator, its master's counters, the generator again with verify on. */
static const SimStatDesc gen_stat_rows[] = {
    MASTER_STAT_ROWS(1),
    SIM_STAT_ROW_IN(2, "verified", SIM_STAT_COUNTER, DramGen, verified, "packets", 1,
                    "read responses that held the expected bytes (with verify on)"),
    SIM_STAT_ROW_IN(2, "verify_errors", SIM_STAT_COUNTER, DramGen, verify_errors, "packets", 1,
                    "read responses with wrong bytes (with verify on)"),
    SIM_STAT_ROW_IN(2, "unverified", SIM_STAT_COUNTER, DramGen, unverified, "packets", 1,
                    "read responses without data, controller not functional (with verify on)"),
};

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow gen_stat_roles[] = {
    {"latency_ns", SIM_STAT_ROLE_LATENCY},
};
static const SimStatTable gen_stats = {gen_stat_rows,  N_OF(gen_stat_rows), NULL, 0,
                                       gen_stat_roles, N_OF(gen_stat_roles)};

/* Lines the verifying shadow may need: a request of at most 4 KiB touches at most 64 lines of
 * its own; without a count, 4 Mi. At most what a store holds: past that the run fails naming
 * the shadow, if it ever gets there. */
static uint64_t shadow_lines(const DramGenParams *p)
{
    uint64_t lines = p->count ? p->count * 64 : 1u << 22;
    return lines < DRAM_STORE_MAX_LINES ? lines : DRAM_STORE_MAX_LINES;
}

static bool gen_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    DramGen *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        return sim_error_oom(err, name);
    }
    g->p = *(const DramGenParams *)params;
    g->m.limit = g->p.outstanding;
    if (!sim_hist_init(&g->st.latency) || !sim_hist_init(&g->st.read_latency) ||
        (g->p.verify && (g->shadow = dram_store_new(shadow_lines(&g->p))) == NULL)) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    g->c.requester = true; /* the watchdog waits on its outstanding requests */
    if (!sim_add_component(sim, &g->c, name, g->p.domain, &gen_ops, err)) {
        goto fail_parts;
    }
    /* --progress: done when every request has its response (count 0, endless: nothing). */
    if (!sim_add_work(sim, &g->st.responses, g->p.count)) {
        return sim_error_oom(err, name);
    }
    sim_build_port(bld, "req", &g->c, &g->m.req);
    sim_build_port(bld, "resp", &g->c, &g->m.resp);
    sim_build_stats(bld, &(SimStatBinding){.block = {g, &g->st, g->p.verify ? g : NULL}});
    return true;

fail_parts:
    gen_destroy(&g->c);
    free(g);
    return false;
}

const SimModelType dram_gen_type = {
    .name = "dram.gen",
    .doc = "Synthetic memory requests: sequential or uniformly random addresses, a read ratio, "
           "an offered rate and an outstanding limit; optionally verifies read data.",
    .params = gen_params,
    .n_params = N_OF(gen_params),
    .params_size = sizeof(DramGenParams),
    .ports = master_ports,
    .n_ports = 2,
    .check = gen_check,
    .build = gen_build,
    .role = SIM_ROLE_REQUESTER,
    .flows = master_flows,
    .n_flows = N_OF(master_flows),
    .stats = &gen_stats,
};
