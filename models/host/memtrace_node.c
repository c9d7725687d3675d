/*
 * host.memtrace: a compute node replaying a memory trace (traces/FORMAT.md, "Memory traces")
 * against the MemBox's memory, through a root complex (pcie.rc) it talks to in mem.h.
 * docs/models/host.md has the timing.
 *
 * Records start in trace order, at most one request pushed on `req` per cycle, with at most
 * `outstanding` records in flight. A record starts at the first cycle at or after its time
 * ('@': the time, offset by the start of the repetition when `repeat` > 1; '+': the delay after
 * the previous record completed), once the one before it has started and a slot is free.
 *
 *   PIO  one MEM_READ or MEM_WRITE (no payload: the mem.h pattern) of the record's bytes at
 *        window_base + address; it completes when the response arrives (a load is a full
 *        non-posted round trip; a store completes when the root complex took it).
 *   DMA  the driver of the Intel Avalon-MM DMA: for each piece of at most `desc_max` bytes, a
 *        32-byte descriptor written into host memory at table + 0x200 + 32 * ID (IDs in ring
 *        order, 128 per direction), then a doorbell write of the last ID to RD_DMA_LAST_PTR
 *        (a W record: host buffer -> MemBox, read DMA) or WR_DMA_LAST_PTR (an R record:
 *        MemBox -> host buffer, write DMA). A piece completes when the root complex reports the
 *        adapter's write of its status DWORD (table + 4 * ID) on `notify`; the record completes
 *        with its last piece. The host buffer of a record is buffer_base + (address mod
 *        buffer_size), or buffer_base if the record would run past the buffer's end.
 * Per-request latency is from the record's first push to its completion.
 */
#include "host.h"
#include "host_dma.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"
#include "sim/trace/memtrace.h"

enum {
    ACCESS_DMA = 0,
    ACCESS_PIO,
    ACCESS_MAX
};

static const char *const access_names[] = {"dma", "pio", NULL};

#define PIO_LINE 64u

typedef struct NodeParams {
    SimDomain *domain;
    const char *trace;
    int access;
    uint64_t outstanding;
    uint64_t window;
    uint64_t window_base;
    uint64_t regs_base;
    uint64_t rd_table;
    uint64_t wr_table;
    uint64_t buffer_base;
    uint64_t buffer_size;
    uint64_t desc_max;
    uint64_t repeat;
    uint64_t src;
    uint64_t queue; /* host.tlm: records waiting at most */
    SimMem *memory; /* host.tlm: the node's host memory */
} NodeParams;

typedef struct Slot {
    bool used;
    bool issuing; /* descriptors still to write */
    uint8_t op;
    uint8_t access;
    uint32_t size;
    uint32_t left; /* pieces written and not completed */
    uint64_t addr;
    uint64_t host; /* DMA: the host buffer */
    SimTime start;
    HostTlmRecord ext; /* host.tlm: the record handed over (data, ctx) */
} Slot;

typedef struct NodeStats {
    uint64_t records;
    uint64_t completed;
    uint64_t reads;
    uint64_t writes;
    uint64_t bytes;
    SimTime first_start;
    SimTime last_done;
    SimHist latency;
    SimHist read_latency;
    SimHist write_latency;
    double throughput_gbps;
    double first_start_ns;
    double last_done_ns;
} NodeStats;

typedef struct Node {
    SimComponent c;
    SimPort *req;
    SimPort *resp;
    SimPort *notify;
    NodeParams p;
    char *path;
    MemTrace *trace;
    uint64_t trace_records;
    bool has_rec;
    bool eof;
    MemTraceRecord rec;
    uint64_t rep;
    SimTime rep_base;
    Slot *slots;
    uint32_t n_used;
    int32_t last_slot; /* slot of the record started last */
    SimTime prev_done; /* when that record completed; SIM_TIME_NEVER while it runs */
    HostDma dma;       /* the DMA driver; dma.cur is the slot of the record being described */
    NodeStats st;
    /* host.tlm: records handed over (host_tlm_submit), a ring of p.queue; rec mirrors the head */
    bool tlm;
    HostTlmRecord *q;
    uint32_t q_head;
    uint32_t q_count;
    HostTlmHooks hooks;
} Node;

/* ---- trace validation (check and build) ---- */

static int record_access(const NodeParams *p, const MemTraceRecord *r)
{
    if (r->access == MEMTRACE_ACCESS_DMA) {
        return ACCESS_DMA;
    }
    if (r->access == MEMTRACE_ACCESS_PIO) {
        return ACCESS_PIO;
    }
    return p->access;
}

/* Why the record cannot be replayed by a node with parameters p, or NULL. */
static const char *record_problem(const NodeParams *p, const MemTraceRecord *r, char *buf,
                                  size_t size)
{
    if (r->addr >= p->window || r->size > p->window - r->addr) {
        snprintf(buf, size, "address 0x%llx + %u bytes is outside the MemBox window (%llu bytes)",
                 (unsigned long long)r->addr, r->size, (unsigned long long)p->window);
        return buf;
    }
    if (record_access(p, r) == ACCESS_DMA) {
        if (r->addr % 4 != 0 || r->size % 4 != 0) {
            snprintf(buf, size,
                     "a DMA moves whole DWORDs: address 0x%llx and size %u must be "
                     "multiples of 4",
                     (unsigned long long)r->addr, r->size);
            return buf;
        }
        if (r->size > p->buffer_size) {
            snprintf(buf, size,
                     "a DMA of %u bytes does not fit the host buffer (buffer_size "
                     "%llu)",
                     r->size, (unsigned long long)p->buffer_size);
            return buf;
        }
    } else if (r->size > PIO_LINE || r->addr % PIO_LINE + r->size > PIO_LINE) {
        snprintf(buf, size,
                 "a PIO access is 1 to 64 bytes within one 64-byte line (address "
                 "0x%llx, %u bytes)",
                 (unsigned long long)r->addr, r->size);
        return buf;
    }
    return NULL;
}

/* Reads the whole trace; false with msg "where: reason". Counts the records. */
static bool validate(const NodeParams *p, char *msg, size_t size, uint64_t *records)
{
    SimError err;
    sim_error_clear(&err);
    MemTrace *t = memtrace_open(p->trace, &err);
    if (t == NULL) {
        snprintf(msg, size, "%s", err.msg);
        return false;
    }
    MemTraceRecord r;
    int rc;
    uint64_t n = 0;
    bool ok = true;
    while ((rc = memtrace_next(t, &r, &err)) > 0) {
        char why[256];
        if (record_problem(p, &r, why, sizeof(why)) != NULL) {
            char where[512];
            memtrace_where(t, where, sizeof(where));
            snprintf(msg, size, "%s: %s", where, why);
            ok = false;
            break;
        }
        n++;
    }
    if (ok && rc < 0) {
        snprintf(msg, size, "%s", err.msg);
        ok = false;
    }
    memtrace_close(t);
    if (records != NULL) {
        *records = n;
    }
    return ok;
}

/* ---- the run ---- */

/* A write record is a read DMA of the adapter (host -> MemBox), a read record a write DMA. */
static DmaEngine engine_of(uint8_t op)
{
    return op == MEMTRACE_WRITE ? DMA_ENGINE_RD : DMA_ENGINE_WR;
}

/* host.tlm: the head of the queue as the pending record: '@' at its time, and strictly after
 * its arrival. */
static void fetch_tlm(Node *n)
{
    if (n->has_rec || n->q_count == 0) {
        return;
    }
    const HostTlmRecord *r = &n->q[n->q_head];
    SimTime after = r->arrival + 1;
    n->rec = (MemTraceRecord){.time = r->time > after ? r->time : after,
                              .addr = r->addr,
                              .size = r->size,
                              .op = r->write ? MEMTRACE_WRITE : MEMTRACE_READ,
                              .when = MEMTRACE_AT,
                              .access = r->access == HOST_TLM_DMA   ? MEMTRACE_ACCESS_DMA
                                        : r->access == HOST_TLM_PIO ? MEMTRACE_ACCESS_PIO
                                                                    : MEMTRACE_ACCESS_DEFAULT};
    n->has_rec = true;
}

/* Loads the next record (rewinding for `repeat`); false if the run failed. */
static bool fetch(Node *n)
{
    if (n->tlm) {
        fetch_tlm(n);
        return true;
    }
    while (!n->has_rec && !n->eof) {
        SimError err;
        sim_error_clear(&err);
        int r = memtrace_next(n->trace, &n->rec, &err);
        if (r < 0) {
            sim_fail(n->c.sim, "instance '%s': %s", n->c.name, err.msg);
            return false;
        }
        if (r > 0) {
            n->has_rec = true;
            return true;
        }
        if (++n->rep >= n->p.repeat || n->trace_records == 0) {
            n->eof = true;
            return true;
        }
        if (!memtrace_rewind(n->trace, &err)) {
            sim_fail(n->c.sim, "instance '%s': %s", n->c.name, err.msg);
            return false;
        }
        n->rep_base = n->c.sim->now;
    }
    return true;
}

/* When the pending record may start; SIM_TIME_NEVER if it waits for the previous one. */
static SimTime record_time(const Node *n)
{
    if (n->rec.when == MEMTRACE_AT) {
        return n->rep_base + n->rec.time;
    }
    if (n->prev_done == SIM_TIME_NEVER) {
        return SIM_TIME_NEVER;
    }
    return n->prev_done + n->rec.time;
}

static void complete_piece(Node *n, uint32_t s)
{
    Slot *sl = &n->slots[s];
    SimTime now = n->c.sim->now;
    sl->left--;
    if (sl->left > 0 || sl->issuing) {
        return;
    }
    if (n->tlm) {
        /* A DMA read's bytes are in the host buffer now (a PIO read's came with its response). */
        if (sl->access == ACCESS_DMA && sl->op == MEMTRACE_READ && sl->ext.data != NULL) {
            sim_mem_read(n->p.memory, sl->host, sl->ext.data, sl->size);
        }
        if (n->hooks.done != NULL) {
            n->hooks.done(n->hooks.ctx, sl->ext.ctx, now);
        }
    }
    SimTime lat = now - sl->start;
    if (n->c.track) {
        /* A record start to completion: the whole transfer (every descriptor, or PIO line). */
        static const char *const names[2][ACCESS_MAX] = {{"read (DMA transfer)", "read (PIO)"},
                                                         {"write (DMA transfer)", "write (PIO)"}};
        sim_track_async(n->c.track, names[sl->op == MEMTRACE_READ ? 0 : 1][sl->access],
                        n->st.completed, sl->start, now, sl->size);
    }
    sim_hist_record(&n->st.latency, lat);
    sim_hist_record(sl->op == MEMTRACE_READ ? &n->st.read_latency : &n->st.write_latency, lat);
    n->st.completed++;
    sim_work_done(n->c.sim);
    n->st.last_done = now;
    if ((int32_t)s == n->last_slot) {
        n->prev_done = now;
    }
    sl->used = false;
    n->n_used--;
}

/* Pushes the next descriptor or doorbell of the record being described; true if one went. */
static bool describe(Node *n)
{
    int32_t owner = n->dma.cur;
    HostDmaStep step = host_dma_step(&n->dma);
    if (step == HOST_DMA_PIECE) {
        Slot *sl = &n->slots[owner];
        sl->left++;
        if (host_dma_described(&n->dma)) {
            sl->issuing = false;
        }
    }
    return step == HOST_DMA_PIECE || step == HOST_DMA_DOORBELL;
}

/* The host buffer of a DMA record. */
static uint64_t host_buffer(const Node *n, uint64_t addr, uint32_t size)
{
    uint64_t host = n->p.buffer_base + addr % n->p.buffer_size;
    if (host + size > n->p.buffer_base + n->p.buffer_size) {
        host = n->p.buffer_base;
    }
    return host;
}

/* host.tlm: the pending record is a DMA whose host buffer overlaps one in flight (real bytes
 * would mix), so it waits for that one's completion. */
static bool buffer_busy(const Node *n)
{
    if (!n->tlm || record_access(&n->p, &n->rec) != ACCESS_DMA) {
        return false;
    }
    uint64_t host = host_buffer(n, n->rec.addr, n->rec.size);
    for (uint64_t s = 0; s < n->p.outstanding; s++) {
        const Slot *sl = &n->slots[s];
        if (sl->used && sl->access == ACCESS_DMA && host < sl->host + sl->size &&
            sl->host < host + n->rec.size) {
            return true;
        }
    }
    return false;
}

/* Starts the pending record in a free slot. */
static bool start_record(Node *n)
{
    Sim *sim = n->c.sim;
    uint32_t s = 0;
    while (n->slots[s].used) {
        s++;
    }
    Slot *sl = &n->slots[s];
    *sl = (Slot){.used = true,
                 .op = (uint8_t)n->rec.op,
                 .access = (uint8_t)record_access(&n->p, &n->rec),
                 .size = n->rec.size,
                 .addr = n->rec.addr,
                 .start = sim->now};
    if (n->st.records == 0) {
        n->st.first_start = sim->now;
    }
    n->st.records++;
    n->st.bytes += sl->size;
    if (sl->op == MEMTRACE_READ) {
        n->st.reads++;
    } else {
        n->st.writes++;
    }
    n->n_used++;
    n->last_slot = (int32_t)s;
    n->prev_done = SIM_TIME_NEVER;
    n->has_rec = false;
    if (n->tlm) {
        sl->ext = n->q[n->q_head];
        n->q_head = n->q_head + 1 == n->p.queue ? 0 : n->q_head + 1;
        n->q_count--;
        if (n->hooks.started != NULL) {
            n->hooks.started(n->hooks.ctx, sl->ext.ctx, sim->now);
        }
    }
    if (sl->access == ACCESS_PIO) {
        bool write = sl->op == MEMTRACE_WRITE;
        SimPacket *pkt = host_dma_request(&n->dma, write ? MEM_WRITE : MEM_READ,
                                          n->p.window_base + sl->addr, sl->size, s);
        if (pkt == NULL) {
            return false;
        }
        if (write && sl->ext.data != NULL) {
            /* host.tlm: the CPU's store carries the caller's bytes (a trace's stores do not). */
            if ((pkt->payload = host_dma_payload(&n->dma, sl->size)) == NULL) {
                sim_packet_free(sim, pkt);
                return false;
            }
            memcpy(pkt->payload->data, sl->ext.data, sl->size);
        }
        sl->left = 1;
        sim_port_push(n->req, pkt);
        return true;
    }
    if (n->notify == NULL) {
        sim_fail(sim,
                 "instance '%s': a DMA record needs the `notify` port connected to the "
                 "root complex's notify",
                 n->c.name);
        return false;
    }
    sl->issuing = true;
    uint64_t host = host_buffer(n, sl->addr, sl->size);
    sl->host = host;
    if (n->tlm && sl->op == MEMTRACE_WRITE && sl->ext.data != NULL) {
        sim_mem_write(n->p.memory, host, sl->ext.data, sl->size); /* what the read DMA fetches */
    }
    host_dma_begin(&n->dma, (int32_t)s, engine_of(sl->op), host, sl->addr, sl->size);
    return describe(n);
}

static SimCycle node_tick(SimComponent *c, SimCycle now)
{
    Node *n = (Node *)c;
    Sim *sim = c->sim;
    SimPacket *pkt;
    while ((pkt = sim_port_peek(n->resp)) != NULL) {
        sim_port_pop(n->resp);
        uint32_t tag = pkt->tag;
        if (n->tlm && pkt->payload != NULL && pkt->type == MEM_READ_RESP &&
            (tag & HOST_DMA_CTRL_TAG) == 0 && tag < n->p.outstanding && n->slots[tag].used &&
            n->slots[tag].ext.data != NULL) {
            Slot *sl = &n->slots[tag];
            memcpy(sl->ext.data, pkt->payload->data, pkt->len < sl->size ? pkt->len : sl->size);
        }
        if (pkt->payload != NULL) {
            sim_payload_unref(&sim->pool, pkt->payload);
            pkt->payload = NULL;
        }
        sim_packet_free(sim, pkt);
        if ((tag & HOST_DMA_CTRL_TAG) == 0) {
            if (tag >= n->p.outstanding || !n->slots[tag].used) {
                sim_fail(sim, "instance '%s': response for no request (tag %u)", c->name, tag);
                return SIM_SLEEP;
            }
            complete_piece(n, tag);
        }
    }
    while (n->notify != NULL && (pkt = sim_port_peek(n->notify)) != NULL) {
        sim_port_pop(n->notify);
        uint64_t addr = pkt->addr;
        if (pkt->payload != NULL) {
            sim_payload_unref(&sim->pool, pkt->payload);
            pkt->payload = NULL;
        }
        sim_packet_free(sim, pkt);
        int32_t s = host_dma_status(&n->dma, addr);
        if (s == -2) {
            return SIM_SLEEP;
        }
        if (s >= 0) {
            complete_piece(n, (uint32_t)s);
        }
    }
    if (!fetch(n)) {
        return SIM_SLEEP;
    }
    bool pushed = false;
    if (sim_port_can_push(n->req)) {
        if (n->dma.cur >= 0) {
            pushed = describe(n);
        } else if (n->has_rec && n->n_used < n->p.outstanding && record_time(n) <= sim->now &&
                   !buffer_busy(n)) {
            if (!start_record(n) || !fetch(n)) {
                return SIM_SLEEP;
            }
            pushed = true;
        }
    }
    if (sim->failed) {
        return SIM_SLEEP;
    }
    /* Next: another push, or the pending record's time; responses wake us by themselves. */
    if (!sim_port_can_push(n->req)) {
        return SIM_SLEEP; /* a freed slot wakes us */
    }
    if (n->dma.cur >= 0) {
        return host_dma_ready(&n->dma) ? now + 1 : SIM_SLEEP; /* else a notify frees an ID */
    }
    if (n->has_rec && n->n_used < n->p.outstanding && !buffer_busy(n)) {
        SimTime t = record_time(n);
        if (t == SIM_TIME_NEVER) {
            return SIM_SLEEP;
        }
        SimCycle at = sim_domain_cycle_at_or_after(c->domain, t);
        return at > now ? at : now + 1;
    }
    (void)pushed;
    return SIM_SLEEP;
}

static bool node_busy(const SimComponent *c)
{
    const Node *n = (const Node *)c;
    return n->has_rec || !n->eof || n->n_used > 0;
}

static void node_dump(const SimComponent *c, SimError *report)
{
    const Node *n = (const Node *)c;
    sim_error_append(report, " (%llu records started, %llu completed, %u in flight)",
                     (unsigned long long)n->st.records, (unsigned long long)n->st.completed,
                     n->n_used);
}

static void node_finish(SimComponent *c, SimTime end)
{
    Node *n = (Node *)c;
    (void)end;
    NodeStats *st = &n->st;
    SimTime span = st->last_done > st->first_start ? st->last_done - st->first_start : 0;
    st->throughput_gbps = span ? (double)st->bytes * 1000.0 / (double)span : 0.0;
    st->first_start_ns = (double)st->first_start / 1000.0;
    st->last_done_ns = (double)st->last_done / 1000.0;
}

static void node_destroy(SimComponent *c)
{
    Node *n = (Node *)c;
    memtrace_close(n->trace);
    free(n->q);
    free(n->slots);
    free(n->path);
    sim_hist_destroy(&n->st.latency);
    sim_hist_destroy(&n->st.read_latency);
    sim_hist_destroy(&n->st.write_latency);
}

static const SimComponentOps node_ops = {
    .tick = node_tick,
    .finish = node_finish,
    .busy = node_busy,
    .dump = node_dump,
    .destroy = node_destroy,
};

/* ---- parameters ---- */

#define P(f) offsetof(NodeParams, f)

static const SimParamDesc node_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock the node issues requests in"},
    {"trace", SIM_PARAM_PATH, P(trace), NULL, NULL, NULL, NULL,
     "memory trace, text or binary, plain or gzip, relative to this file (traces/FORMAT.md)"},
    {"access", SIM_PARAM_ENUM, P(access), "dma", NULL, NULL, access_names,
     "how records without an access field go: dma or pio"},
    {"outstanding", SIM_PARAM_UINT, P(outstanding), "16", "1", "127", NULL,
     "records in flight at once"},
    {"window", SIM_PARAM_BYTES, P(window), "4GiB", "4KiB", "1TiB", NULL,
     "size of the MemBox memory: every record must fall inside"},
    HOST_DMA_ADDRESS_PARAMS(P),
    {"buffer_base", SIM_PARAM_UINT, P(buffer_base), "0x100000", NULL, NULL, NULL,
     "host buffer DMA data come from and go to"},
    {"buffer_size", SIM_PARAM_BYTES, P(buffer_size), "16MiB", "4KiB", "16GiB", NULL,
     "size of the host buffer"},
    {"desc_max", SIM_PARAM_BYTES, P(desc_max), "512KiB", "4B", "1048572B", NULL,
     "bytes per DMA descriptor at most (the Intel DMA's limit is 1 MB - 4 B)"},
    {"repeat", SIM_PARAM_UINT, P(repeat), "1", "1", "1000000000", NULL,
     "times the trace is replayed"},
    {"src", SIM_PARAM_UINT, P(src), "0", "0", "65535", NULL, "node id written into each request"},
};

#undef P

static const SimPortDesc node_ports[] = {
    {"req", SIM_PORT_OUT, false, "mem.h requests to the root complex (cpu_req)"},
    {"resp", SIM_PORT_IN, false, "mem.h responses (cpu_resp)"},
    {"notify", SIM_PORT_IN, true, "status writes reported by the root complex (DMA)"},
};

static const char *node_check(const void *params, char *msg, size_t size)
{
    const NodeParams *p = params;
    if (p->desc_max % 4 != 0) {
        snprintf(msg, size, "%llu bytes is not a multiple of 4 (descriptors count DWORDs)",
                 (unsigned long long)p->desc_max);
        return "desc_max";
    }
    if (p->buffer_base % 4096 != 0) {
        snprintf(msg, size, "0x%llx is not 4 KiB aligned", (unsigned long long)p->buffer_base);
        return "buffer_base";
    }
    if (p->trace == NULL || p->trace[0] == '\0') {
        snprintf(msg, size, "is empty: name a memory trace");
        return "trace";
    }
    if (!validate(p, msg, size, NULL)) {
        return "trace";
    }
    return NULL;
}

#define NODE_ROW(name_, kind_, field_, unit_, scale_, doc_)                                        \
    SIM_STAT_ROW(name_, kind_, Node, st.field_, unit_, scale_, doc_)

static const SimStatDesc node_stat_rows[] = {
    NODE_ROW("records", SIM_STAT_COUNTER, records, "records", 1, "records started"),
    NODE_ROW("completed", SIM_STAT_COUNTER, completed, "records", 1, "records completed"),
    NODE_ROW("reads", SIM_STAT_COUNTER, reads, "records", 1, "read records (MemBox -> node)"),
    NODE_ROW("writes", SIM_STAT_COUNTER, writes, "records", 1, "write records (node -> MemBox)"),
    NODE_ROW("bytes", SIM_STAT_COUNTER, bytes, "B", 1, "bytes of the records started"),
    HOST_DMA_STAT_ROWS(Node),
    NODE_ROW("latency_ns", SIM_STAT_HIST, latency, "ns", 1000, "record started to completed"),
    NODE_ROW("read_latency_ns", SIM_STAT_HIST, read_latency, "ns", 1000, "the same, read records"),
    NODE_ROW("write_latency_ns", SIM_STAT_HIST, write_latency, "ns", 1000,
             "the same, write records"),
    NODE_ROW("throughput_gbps", SIM_STAT_REAL, throughput_gbps, "GB/s", 1,
             "bytes over first start to last completion"),
    NODE_ROW("first_start_ns", SIM_STAT_REAL, first_start_ns, "ns", 1,
             "when the first record started"),
    NODE_ROW("last_done_ns", SIM_STAT_REAL, last_done_ns, "ns", 1,
             "when the last record completed"),
};

#undef NODE_ROW

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow node_stat_roles[] = {
    {"throughput_gbps", SIM_STAT_ROLE_THROUGHPUT},
    {"latency_ns", SIM_STAT_ROLE_LATENCY},
    {"completed", SIM_STAT_ROLE_WORKLOAD},
};
static const SimStatTable node_stats = {node_stat_rows,  N_OF(node_stat_rows), NULL, 0,
                                        node_stat_roles, N_OF(node_stat_roles)};

static bool node_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const NodeParams *pp = params;
    char msg[1024];
    uint64_t records = 0;
    if (!validate(pp, msg, sizeof(msg), &records)) {
        return sim_error_set(err, SIM_ERR_INPUT, "instance '%s': key 'trace': %s", name, msg);
    }
    Node *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        return sim_error_oom(err, name);
    }
    n->p = *pp;
    n->path = strdup(pp->trace);
    n->p.trace = n->path;
    n->slots = calloc(n->p.outstanding, sizeof(*n->slots));
    bool ok = n->path != NULL && n->slots != NULL && sim_hist_init(&n->st.latency) &&
              sim_hist_init(&n->st.read_latency) && sim_hist_init(&n->st.write_latency);
    if (!ok) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    n->trace = memtrace_open(n->path, err);
    if (n->trace == NULL) {
        goto fail_parts;
    }
    n->trace_records = records;
    host_dma_init(&n->dma, &n->c, &n->req, n->p.regs_base, n->p.rd_table, n->p.wr_table,
                  n->p.desc_max, (uint16_t)n->p.src);
    n->last_slot = -1;
    n->prev_done = 0;      /* a first record with '+' counts from time 0 */
    n->c.requester = true; /* the watchdog waits on its outstanding requests */
    if (!sim_add_component(sim, &n->c, name, n->p.domain, &node_ops, err)) {
        goto fail_parts;
    }
    /* --progress: done when every record of every repetition has completed. */
    if (!sim_add_work(sim, &n->st.completed, records * n->p.repeat)) {
        return sim_error_oom(err, name);
    }
    /* The kernel owns the component from here: a later failure leaves it to sim_free(). The
     * first record is read now, so that zlib's buffers are made before the run. */
    SimError ferr;
    sim_error_clear(&ferr);
    int r = memtrace_next(n->trace, &n->rec, &ferr);
    if (r < 0) {
        return sim_error_set(err, SIM_ERR_INPUT, "instance '%s': %s", name, ferr.msg);
    }
    n->has_rec = r > 0;
    n->eof = r == 0;
    sim_build_port(bld, "req", &n->c, &n->req);
    sim_build_port(bld, "resp", &n->c, &n->resp);
    sim_build_port(bld, "notify", &n->c, &n->notify);
    sim_build_stats(bld, &(SimStatBinding){.block = {n}});
    return true;

fail_parts:
    node_destroy(&n->c);
    free(n);
    return false;
}

/* Its requests must reach a memory (fabric checks). */
static const SimPortFlow node_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType host_memtrace_type = {
    .name = "host.memtrace",
    .doc = "Compute node replaying a memory trace as DMA transfers or PIO accesses through a "
           "root complex (pcie.rc), recording per-request latency and throughput.",
    .params = node_params,
    .n_params = N_OF(node_params),
    .params_size = sizeof(NodeParams),
    .ports = node_ports,
    .n_ports = N_OF(node_ports),
    .check = node_check,
    .build = node_build,
    .role = SIM_ROLE_REQUESTER,
    .flows = node_flows,
    .n_flows = N_OF(node_flows),
    .stats = &node_stats,
};

/* ---- host.tlm: the same node, its records handed over from outside ---- */

static const char *const memory_kind[] = {"memory", NULL};

#define P(f) offsetof(NodeParams, f)

static const SimParamDesc tlm_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock the node issues requests in"},
    {"access", SIM_PARAM_ENUM, P(access), "dma", NULL, NULL, access_names,
     "how records whose transaction does not say go: dma or pio"},
    {"outstanding", SIM_PARAM_UINT, P(outstanding), "16", "1", "127", NULL,
     "records in flight at once"},
    {"queue", SIM_PARAM_UINT, P(queue), "16", "1", "4096", NULL,
     "records handed over and not yet started, at most"},
    {"window", SIM_PARAM_BYTES, P(window), "4GiB", "4KiB", "1TiB", NULL,
     "size of the MemBox memory: every record must fall inside"},
    HOST_DMA_ADDRESS_PARAMS(P),
    {"buffer_base", SIM_PARAM_UINT, P(buffer_base), "0x100000", NULL, NULL, NULL,
     "host buffer DMA data come from and go to"},
    {"buffer_size", SIM_PARAM_BYTES, P(buffer_size), "16MiB", "4KiB", "16GiB", NULL,
     "size of the host buffer"},
    {"desc_max", SIM_PARAM_BYTES, P(desc_max), "512KiB", "4B", "1048572B", NULL,
     "bytes per DMA descriptor at most (the Intel DMA's limit is 1 MB - 4 B)"},
    {"src", SIM_PARAM_UINT, P(src), "0", "0", "65535", NULL, "node id written into each request"},
    {"memory", SIM_PARAM_OBJECT, P(memory), NULL, NULL, NULL, memory_kind,
     "the node's host memory (its host.memory instance, as its pcie.rc's): DMA data pass there"},
};

#undef P

static const char *tlm_check(const void *params, char *msg, size_t size)
{
    const NodeParams *p = params;
    if (p->desc_max % 4 != 0) {
        snprintf(msg, size, "%llu bytes is not a multiple of 4 (descriptors count DWORDs)",
                 (unsigned long long)p->desc_max);
        return "desc_max";
    }
    if (p->buffer_base % 4096 != 0) {
        snprintf(msg, size, "0x%llx is not 4 KiB aligned", (unsigned long long)p->buffer_base);
        return "buffer_base";
    }
    return NULL;
}

static bool tlm_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const NodeParams *pp = params;
    if (!sim_mem_contains(pp->memory, pp->buffer_base, pp->buffer_size)) {
        return sim_error_set(
            err, SIM_ERR_INPUT,
            "instance '%s': key 'buffer_size': the host buffer [0x%llx, +%llu) is "
            "not inside the host memory [0x%llx, +%llu)",
            name, (unsigned long long)pp->buffer_base, (unsigned long long)pp->buffer_size,
            (unsigned long long)pp->memory->base, (unsigned long long)pp->memory->size);
    }
    Node *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        return sim_error_oom(err, name);
    }
    n->p = *pp;
    n->p.trace = NULL;
    n->p.repeat = 1;
    n->tlm = true;
    n->slots = calloc(n->p.outstanding, sizeof(*n->slots));
    n->q = calloc(n->p.queue, sizeof(*n->q));
    bool ok = n->slots != NULL && n->q != NULL && sim_hist_init(&n->st.latency) &&
              sim_hist_init(&n->st.read_latency) && sim_hist_init(&n->st.write_latency);
    if (!ok) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    host_dma_init(&n->dma, &n->c, &n->req, n->p.regs_base, n->p.rd_table, n->p.wr_table,
                  n->p.desc_max, (uint16_t)n->p.src);
    n->last_slot = -1;
    n->prev_done = 0;
    n->eof = true; /* no trace: busy only with records handed over */
    n->c.requester = true;
    if (!sim_add_component(sim, &n->c, name, n->p.domain, &node_ops, err)) {
        goto fail_parts;
    }
    sim_build_port(bld, "req", &n->c, &n->req);
    sim_build_port(bld, "resp", &n->c, &n->resp);
    sim_build_port(bld, "notify", &n->c, &n->notify);
    sim_build_stats(bld, &(SimStatBinding){.block = {n}});
    return true;

fail_parts:
    node_destroy(&n->c);
    free(n);
    return false;
}

const SimModelType host_tlm_type = {
    .name = "host.tlm",
    .doc = "Compute node whose records are TLM-2.0 transactions handed over by the SystemC "
           "Fabric (one target socket per node), replayed as host.memtrace replays a trace's "
           "records, with real bytes; under the CLI nobody hands any over.",
    .params = tlm_params,
    .n_params = N_OF(tlm_params),
    .params_size = sizeof(NodeParams),
    .ports = node_ports,
    .n_ports = N_OF(node_ports),
    .check = tlm_check,
    .build = tlm_build,
    .role = SIM_ROLE_REQUESTER,
    .flows = node_flows,
    .n_flows = N_OF(node_flows),
    .stats = &node_stats,
};

bool host_tlm_is(const SimComponent *c)
{
    return c != NULL && c->ops == &node_ops && ((const Node *)c)->tlm;
}

void host_tlm_set_hooks(SimComponent *c, const HostTlmHooks *hooks)
{
    assert(host_tlm_is(c));
    ((Node *)c)->hooks = *hooks;
}

HostTlmProblem host_tlm_problem(const SimComponent *c, const HostTlmRecord *r, char *buf,
                                size_t size)
{
    assert(host_tlm_is(c));
    const Node *n = (const Node *)c;
    if (r->size == 0) {
        snprintf(buf, size, "a transfer of 0 bytes");
        return HOST_TLM_BAD_SHAPE;
    }
    if (r->addr >= n->p.window || r->size > n->p.window - r->addr) {
        snprintf(buf, size, "address 0x%llx + %u bytes is outside the MemBox window (%llu bytes)",
                 (unsigned long long)r->addr, r->size, (unsigned long long)n->p.window);
        return HOST_TLM_BAD_ADDRESS;
    }
    MemTraceRecord m = {.addr = r->addr,
                        .size = r->size,
                        .access = r->access == HOST_TLM_DMA   ? MEMTRACE_ACCESS_DMA
                                  : r->access == HOST_TLM_PIO ? MEMTRACE_ACCESS_PIO
                                                              : MEMTRACE_ACCESS_DEFAULT};
    return record_problem(&n->p, &m, buf, size) != NULL ? HOST_TLM_BAD_SHAPE : HOST_TLM_OK;
}

uint32_t host_tlm_waiting(const SimComponent *c)
{
    assert(host_tlm_is(c));
    return ((const Node *)c)->q_count;
}

uint32_t host_tlm_queue_size(const SimComponent *c)
{
    assert(host_tlm_is(c));
    return (uint32_t)((const Node *)c)->p.queue;
}

SimMem *host_tlm_memory(const SimComponent *c)
{
    assert(host_tlm_is(c));
    return ((const Node *)c)->p.memory;
}

void host_tlm_submit(SimComponent *c, const HostTlmRecord *r)
{
    assert(host_tlm_is(c));
    Node *n = (Node *)c;
    Sim *sim = c->sim;
    assert(n->q_count < n->p.queue && r->arrival >= sim->now);
    uint32_t tail = n->q_head + n->q_count;
    if (tail >= n->p.queue) {
        tail -= (uint32_t)n->p.queue;
    }
    n->q[tail] = *r;
    n->q_count++;
    /* Its first possible start: an edge at or after its time, strictly after its arrival. The
     * node may not start it then (a record before it, no free slot), which it sees then. */
    SimTime after = r->arrival + 1;
    SimTime t = r->time > after ? r->time : after;
    SimTime at = sim_domain_time(c->domain, sim_domain_cycle_at_or_after(c->domain, t));
    if (at <= sim->now) {
        at = sim_domain_time(c->domain, sim_domain_cycle_after(c->domain, sim->now));
    }
    sim_kernel_wake_at(c, at);
}
