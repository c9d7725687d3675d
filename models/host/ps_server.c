/*
 * ps.server: the TensorFlow 1.x parameter server of the baseline (docs/models/ps-server.md):
 * the server's software (PsServe, ps_serve.h) on its host, reached by the workers (host.ps with
 * `transport: grpc | verbs`) over an InfiniBand HCA. It drives its root complex (pcie.rc) with
 * the verbs driver (host_verbs.h) as host.ps drives it with the DMA driver: `req`, `resp`,
 * `notify`. QP w talks to worker w.
 *
 * Host memory (its `memory`, the root complex's), the map of docs/workloads.md section 1 at
 * `ps_base`: the parameters at ps_base + 0x4000, worker w's gradient slot after them, each of S
 * bytes; the transport's slots at `net_area` (ps_net.h); the verbs rings at `verbs_queues` and
 * the CQ at `verbs_cq` (host_verbs.h).
 *
 * Per tick: completions (CQEs the root complex notifies) become received messages and sent
 * ones; received messages go to the stage at this instant; the stage runs to now; the messages
 * it made are queued on their QPs; the driver pushes one write a cycle.
 */
#include "host.h"
#include "host_verbs.h"
#include "ps_model.h"
#include "ps_net.h"
#include "ps_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"
#include "sim/trace/pstrace.h"

static const char *const sync_names[] = {"bsp", "async", NULL};
static const char *const apply_names[] = {"recorded", "model", NULL};

/* apply_time: recorded keeps a time per (measured iteration, trace worker, tensor): at most this
 * many entries (128 MiB), else apply_time: model. */
#define APPLY_TABLE_MAX (1u << 24)
#define NO_APPLY        UINT64_MAX
static const char *const transport_names[] = {"grpc", "verbs", NULL};
static const char *const memory_kind[] = {"memory", NULL};

#define SCRATCH 65536u

typedef struct SrvParams {
    SimDomain *domain;
    const char *trace;
    int sync;
    uint64_t workers;   /* the job's workers (QPs, gradient slots); 0: the trace's */
    int apply_time;     /* 0 recorded, 1 model */
    const char *warmup; /* skip | replay | N, as host.ps's (host_ps_warmup) */
    int transport;
    uint64_t cores;
    SimTime grpc_msg;
    double grpc_rate; /* bit/s as written; bytes/s = / 8 */
    SimTime verbs_msg;
    SimTime apply_tensor;
    double apply_rate;
    double mem_bw;
    uint64_t header;
    uint64_t seg;
    uint64_t net_window;
    bool functional;
    uint64_t ps_base;
    uint64_t net_area;
    uint64_t hca_bar;
    uint64_t verbs_queues;
    uint64_t verbs_cq;
    uint64_t src;
    SimMem *memory;
} SrvParams;

typedef struct SrvStats {
    uint64_t applies_recorded;
    uint64_t applies_modelled;
    double utilisation;
    double busy_ns;
    double queue_wait_ns;
} SrvStats;

typedef struct Server {
    SimComponent c;
    SimPort *req;
    SimPort *resp;
    SimPort *notify;
    SrvParams p;
    char *path;
    uint32_t workers;
    uint32_t n_tensors;
    uint64_t S;
    uint64_t *offset;
    uint64_t *bytes;
    HostVerbs verbs;
    PsNet net;
    PsServe serve;
    uint64_t next_id;
    uint8_t *scratch; /* 2 x SCRATCH: the update's variable and gradient */
    /* apply_time: recorded: the trace's applies, [(i * t_workers + w) * n_tensors + t], ps */
    SimTime *applies;
    uint32_t t_workers;
    uint32_t m_iters;
    SrvStats st;
} Server;

static uint64_t params_addr(const Server *s)
{
    return s->p.ps_base + PS_PARAMS;
}

static uint64_t slot_addr(const Server *s, uint32_t w)
{
    return s->p.ps_base + PS_PARAMS + (uint64_t)(1 + w) * s->S;
}

/* The update, functionally, as host.ps computes it (docs/workloads.md section 2): the
 * parameter bytes of tensor t plus worker w's gradient bytes, modulo 256. Applied when the push
 * is received: a later pull sees it only after the release, which waits for the timed apply. */
static void apply(Server *s, uint32_t w, uint32_t t)
{
    uint8_t *a = s->scratch;
    uint8_t *g = s->scratch + SCRATCH;
    uint64_t p = params_addr(s) + s->offset[t];
    uint64_t q = slot_addr(s, w) + s->offset[t];
    for (uint64_t o = 0; o < s->bytes[t]; o += SCRATCH) {
        uint32_t len = s->bytes[t] - o < SCRATCH ? (uint32_t)(s->bytes[t] - o) : SCRATCH;
        sim_mem_read(s->p.memory, p + o, a, len);
        sim_mem_read(s->p.memory, q + o, g, len);
        for (uint32_t j = 0; j < len; j++) {
            a[j] = (uint8_t)(a[j] + g[j]);
        }
        sim_mem_write(s->p.memory, p + o, a, len);
    }
}

/* apply_time: recorded: the trace's applies of one worker's gradient of one tensor (version 2),
 * their CPU time where given, else their wall time, summed per (measured iteration, worker,
 * tensor). No table when the trace has none: every push is modelled. */
static bool load_applies(Server *s, const char *name, uint32_t first, SimError *err)
{
    uint64_t n = (uint64_t)s->m_iters * s->t_workers * s->n_tensors;
    PsTrace *t = pstrace_open(s->path, err);
    if (t == NULL) {
        return false;
    }
    PsTraceEvent e;
    int r;
    while ((r = pstrace_next(t, &e, err)) > 0) {
        if (e.kind != PSTRACE_APPLY || e.worker == PSTRACE_SERVER ||
            e.tensor == PSTRACE_NO_TENSOR || e.iteration < first) {
            continue;
        }
        if (s->applies == NULL) {
            if (n > APPLY_TABLE_MAX) {
                pstrace_close(t);
                return sim_error_set(err, SIM_ERR_INPUT,
                                     "instance '%s': key 'apply_time': the trace's applies need "
                                     "%llu entries (iterations x workers x tensors), more than "
                                     "%u: give apply_time: model",
                                     name, (unsigned long long)n, APPLY_TABLE_MAX);
            }
            s->applies = malloc(n * sizeof(*s->applies));
            if (s->applies == NULL) {
                pstrace_close(t);
                return sim_error_oom(err, name);
            }
            for (uint64_t k = 0; k < n; k++) {
                s->applies[k] = NO_APPLY;
            }
        }
        uint64_t k =
            ((uint64_t)(e.iteration - first) * s->t_workers + e.worker) * s->n_tensors + e.tensor;
        uint64_t ns = e.has_cpu ? e.cpu_ns : e.end_ns - e.start_ns;
        s->applies[k] = (s->applies[k] == NO_APPLY ? 0 : s->applies[k]) + ns * 1000u;
    }
    pstrace_close(t);
    return r == 0;
}

/* A message the transport received: checked, then handed to the stage. */
static bool take(Server *s, const PsServeMsg *m, uint32_t qp)
{
    Sim *sim = s->c.sim;
    bool data = m->kind == PS_SERVE_PUSH;
    if (m->worker != qp || m->kind > PS_SERVE_ARRIVE ||
        ((m->kind == PS_SERVE_PULL || data) && m->tensor >= s->n_tensors)) {
        sim_fail(sim,
                 "instance '%s': QP %u received a message of kind %u from worker %u, tensor %u",
                 s->c.name, qp, m->kind, m->worker, m->tensor);
        return false;
    }
    if (data && (m->bytes != s->bytes[m->tensor] ||
                 m->addr != slot_addr(s, m->worker) + s->offset[m->tensor])) {
        sim_fail(sim,
                 "instance '%s': worker %u pushed tensor %u (%llu bytes) to 0x%llx, not to its "
                 "gradient slot: do the worker's ps_base and the server's agree?",
                 s->c.name, m->worker, m->tensor, (unsigned long long)m->bytes,
                 (unsigned long long)m->addr);
        return false;
    }
    if (data && s->p.functional) {
        apply(s, m->worker, m->tensor);
    }
    PsServeMsg in = *m;
    if (data && s->applies != NULL) {
        /* the replayed iteration and worker stand for the trace's as host.ps maps them */
        uint64_t k = ((uint64_t)(m->iter % s->m_iters) * s->t_workers + m->worker % s->t_workers) *
                         s->n_tensors +
                     m->tensor;
        if (s->applies[k] != NO_APPLY) {
            in.has_apply = true;
            in.apply = s->applies[k];
        }
    }
    if (data) {
        if (in.has_apply) {
            s->st.applies_recorded++;
        } else {
            s->st.applies_modelled++;
        }
    }
    if (!ps_serve_receive(&s->serve, &in, sim->now)) {
        sim_fail(sim, "instance '%s': more messages waiting than the stage holds", s->c.name);
        return false;
    }
    return true;
}

static SimCycle srv_tick(SimComponent *c, SimCycle now)
{
    Server *s = (Server *)c;
    Sim *sim = c->sim;
    SimPacket *pkt;
    while ((pkt = sim_port_peek(s->resp)) != NULL) {
        sim_port_pop(s->resp);
        bool ours = (pkt->tag & HOST_VERBS_CTRL_TAG) != 0;
        uint32_t tag = pkt->tag;
        sim_packet_free(sim, pkt); /* frees the payload with it */
        if (!ours) {
            sim_fail(sim, "instance '%s': response for no request (tag 0x%x)", c->name, tag);
            return SIM_SLEEP;
        }
    }
    while ((pkt = sim_port_peek(s->notify)) != NULL) {
        sim_port_pop(s->notify);
        uint64_t addr = pkt->addr;
        sim_packet_free(sim, pkt);
        if (ps_net_completion(&s->net, addr) < 0) {
            return SIM_SLEEP;
        }
    }
    const PsServeMsg *m;
    while ((m = ps_net_peek(&s->net)) != NULL) {
        PsServeMsg in = *m;
        ps_net_pop(&s->net);
        if (!take(s, &in, in.worker)) {
            return SIM_SLEEP;
        }
    }
    uint64_t id;
    while (ps_net_sent(&s->net, &id)) {
        /* nothing waits for the server's own sends */
    }
    if (!ps_serve_step(&s->serve, sim->now)) {
        sim_fail(sim, "instance '%s': more messages made than the stage holds", c->name);
        return SIM_SLEEP;
    }
    while ((m = ps_serve_peek(&s->serve)) != NULL) {
        PsNetOut o = {.m = *m, .id = s->next_id};
        if (m->kind == PS_SERVE_TENSOR) {
            o.local = params_addr(s) + s->offset[m->tensor];
        }
        if (!ps_net_send(&s->net, m->worker, &o)) {
            break; /* the QP's queue is full: a send completing makes room */
        }
        s->next_id++;
        ps_serve_pop(&s->serve);
    }
    if (!ps_net_step(&s->net)) {
        return SIM_SLEEP;
    }
    if (host_verbs_ready(&s->verbs) && sim_port_can_push(s->req)) {
        if (host_verbs_step(&s->verbs) == HOST_VERBS_STEP_FAILED) {
            return SIM_SLEEP;
        }
    }
    if (sim->failed) {
        return SIM_SLEEP;
    }
    if (host_verbs_ready(&s->verbs) && sim_port_can_push(s->req)) {
        return now + 1;
    }
    SimTime next = ps_serve_next(&s->serve);
    if (next == SIM_TIME_NEVER) {
        return SIM_SLEEP;
    }
    SimCycle at = sim_domain_cycle_at_or_after(c->domain, next);
    return at > now ? at : now + 1;
}

static bool srv_busy(const SimComponent *c)
{
    const Server *s = (const Server *)c;
    return ps_serve_busy(&s->serve) || !ps_net_idle(&s->net);
}

static void srv_dump(const SimComponent *c, SimError *report)
{
    const Server *s = (const Server *)c;
    sim_error_append(report, " (%u jobs queued, %u cores busy, %u messages to send)",
                     s->serve.qcount, s->serve.busy_cores, s->serve.ocount);
}

static void srv_finish(SimComponent *c, SimTime end)
{
    Server *s = (Server *)c;
    const PsServeStats *st = &s->serve.st;
    s->st.busy_ns = (double)st->busy / 1000.0;
    s->st.queue_wait_ns = (double)st->wait / 1000.0;
    s->st.utilisation = end > 0 ? (double)st->busy / ((double)end * (double)s->serve.p.cores) : 0.0;
}

static void srv_destroy(SimComponent *c)
{
    Server *s = (Server *)c;
    ps_net_destroy(&s->net);
    ps_serve_destroy(&s->serve);
    free(s->path);
    free(s->offset);
    free(s->bytes);
    free(s->scratch);
    free(s->applies);
}

static const SimComponentOps srv_ops = {
    .tick = srv_tick,
    .finish = srv_finish,
    .busy = srv_busy,
    .dump = srv_dump,
    .destroy = srv_destroy,
};

#define P(f) offsetof(SrvParams, f)

static const SimParamDesc srv_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock the server's software runs in"},
    {"trace", SIM_PARAM_PATH, P(trace), NULL, NULL, NULL, NULL,
     "the parameter-server trace the workers replay (its workers and tensors)"},
    {"sync", SIM_PARAM_ENUM, P(sync), "async", NULL, NULL, sync_names,
     "async (TensorFlow's default): release each worker once its own pushes are applied; bsp: "
     "every worker once all arrived"},
    {"workers", SIM_PARAM_UINT, P(workers), "0", "0", "64", NULL,
     "workers of the job: one QP and one gradient slot each; 0: the trace's (as host.ps's)"},
    {"apply_time", SIM_PARAM_ENUM, P(apply_time), "recorded", NULL, NULL, apply_names,
     "recorded: a push's apply takes the time of the trace's apply of that worker, iteration "
     "and tensor where it has one (version 2), else the model's; model: always apply_tensor + "
     "bytes / apply_rate"},
    {"warmup", SIM_PARAM_STRING, P(warmup), "skip", NULL, NULL, NULL,
     "the trace's iterations left out, as the workers' warmup (skip: the trace's warm-up "
     "marks; replay: none; N: the first N), so that the recorded applies match theirs"},
    {"transport", SIM_PARAM_ENUM, P(transport), "grpc", NULL, NULL, transport_names,
     "grpc: TCP over IPoIB; verbs: TensorFlow's RDMA path (docs/models/ps-server.md)"},
    {"cores", SIM_PARAM_UINT, P(cores), "8", "1", "256", NULL,
     "CPU cores handling messages (2 x E5-2609 v2: 8)"},
    {"grpc_msg", SIM_PARAM_TIME, P(grpc_msg), "20us", "0", "1s", NULL,
     "grpc: CPU time per message"},
    {"grpc_rate", SIM_PARAM_BITRATE, P(grpc_rate), "5.744Gbps", "1Mbps", "10Tbps", NULL,
     "grpc: bytes a core moves through the stack per second (718 MB/s)"},
    {"verbs_msg", SIM_PARAM_TIME, P(verbs_msg), "3us", "0", "1s", NULL,
     "verbs: CPU time per message"},
    {"apply_tensor", SIM_PARAM_TIME, P(apply_tensor), "5us", "0", "1s", NULL,
     "CPU time per gradient tensor applied"},
    {"apply_rate", SIM_PARAM_BITRATE, P(apply_rate), "20Gbps", "1Mbps", "10Tbps", NULL,
     "gradient bytes one core applies per second (2.5 GB/s)"},
    {"mem_bw", SIM_PARAM_BITRATE, P(mem_bw), "512Gbps", "0", "100Tbps", NULL,
     "host memory bandwidth shared by the cores (64 GB/s); 0: no cap"},
    {"header", SIM_PARAM_BYTES, P(header), "128B", "40B", "4KiB", NULL,
     "bytes of a message's header: a pull request, an arrival, a release"},
    {"seg", SIM_PARAM_BYTES, P(seg), "65520B", "256B", "65520B", NULL,
     "grpc: bytes of a TCP segment on IPoIB at most (connected-mode MTU)"},
    {"net_window", SIM_PARAM_UINT, P(net_window), "8", "1", "128", NULL,
     "segments (grpc) or headers (verbs) in flight per worker"},
    {"functional", SIM_PARAM_BOOL, P(functional), "true", NULL, NULL, NULL,
     "move real tensor bytes and apply the updates to them"},
    {"ps_base", SIM_PARAM_UINT, P(ps_base), "0x4000000", NULL, NULL, NULL,
     "host address of the parameters and gradient slots (the map of docs/workloads.md)"},
    {"net_area", SIM_PARAM_UINT, P(net_area), "0x200000", NULL, NULL, NULL,
     "host address of the transport's send and receive slots"},
    HOST_VERBS_ADDRESS_PARAMS(P),
    {"src", SIM_PARAM_UINT, P(src), "0", "0", "65535", NULL, "node id written into each request"},
    {"memory", SIM_PARAM_OBJECT, P(memory), NULL, NULL, NULL, memory_kind,
     "the server's host memory (its host.memory instance, as its pcie.rc's)"},
};

#undef P

static const SimPortDesc srv_ports[] = {
    {"req", SIM_PORT_OUT, false, "mem.h requests to the root complex (cpu_req)"},
    {"resp", SIM_PORT_IN, false, "mem.h responses (cpu_resp)"},
    {"notify", SIM_PORT_IN, false, "writes into the CQ reported by the root complex"},
};

/* [a, a + al) and [b, b + bl) overlap */
static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
    return a < b + bl && b < a + al;
}

static const char *srv_check(const void *params, char *msg, size_t size)
{
    const SrvParams *p = params;
    if (p->trace == NULL || p->trace[0] == '\0') {
        snprintf(msg, size, "is empty: name the parameter-server trace the workers replay");
        return "trace";
    }
    if (p->seg < p->header + PS_NET_TCPIP + 1) {
        snprintf(msg, size,
                 "%llu bytes cannot carry a %llu-byte header and 44 bytes of TCP/IP and IPoIB "
                 "headers",
                 (unsigned long long)p->seg, (unsigned long long)p->header);
        return "seg";
    }
    uint32_t w, it, first, nt;
    uint64_t S;
    int64_t warm = -1;
    if (!host_ps_warmup(p->warmup, &warm, msg, size)) {
        return "warmup";
    }
    if (!host_ps_read_model(p->trace, -1, msg, size, &w, &it, &first, &nt, &S, NULL, NULL)) {
        return "trace";
    }
    if (warm >= (int64_t)(it + first)) {
        snprintf(msg, size, "warmup %lld leaves none of the trace's %u iterations", (long long)warm,
                 it + first);
        return "warmup";
    }
    if (p->workers > 0) {
        w = (uint32_t)p->workers;
    }
    if (w > VERBS_MAX_QPS) {
        snprintf(msg, size, "the trace has %u workers; the server's HCA has %u QPs", w,
                 VERBS_MAX_QPS);
        return "trace";
    }
    if (p->ps_base % 4096 != 0) {
        snprintf(msg, size, "0x%llx is not 4 KiB aligned", (unsigned long long)p->ps_base);
        return "ps_base";
    }
    PsNetParams np = {.transport = p->transport,
                      .window = (uint32_t)p->net_window,
                      .header = (uint32_t)p->header,
                      .seg = (uint32_t)p->seg};
    uint64_t region = PS_PARAMS + (uint64_t)(1 + w) * S;
    uint64_t net = ps_net_qp_bytes(&np) * w;
    uint64_t rings = (uint64_t)VERBS_QP_BYTES * w;
    if (overlap(p->ps_base, region, p->net_area, net) ||
        overlap(p->ps_base, region, p->verbs_queues, rings) ||
        overlap(p->ps_base, region, p->verbs_cq, VERBS_CQ_BYTES)) {
        snprintf(msg, size,
                 "the parameters and %u gradient slots [0x%llx, +%llu) overlap the transport's "
                 "slots [0x%llx, +%llu), the verbs rings [0x%llx, +%llu) or the CQ [0x%llx, +%u)",
                 w, (unsigned long long)p->ps_base, (unsigned long long)region,
                 (unsigned long long)p->net_area, (unsigned long long)net,
                 (unsigned long long)p->verbs_queues, (unsigned long long)rings,
                 (unsigned long long)p->verbs_cq, VERBS_CQ_BYTES);
        return "ps_base";
    }
    if (overlap(p->net_area, net, p->verbs_queues, rings) ||
        overlap(p->net_area, net, p->verbs_cq, VERBS_CQ_BYTES)) {
        snprintf(msg, size,
                 "the transport's slots [0x%llx, +%llu) overlap the verbs rings [0x%llx, +%llu) "
                 "or the CQ [0x%llx, +%u)",
                 (unsigned long long)p->net_area, (unsigned long long)net,
                 (unsigned long long)p->verbs_queues, (unsigned long long)rings,
                 (unsigned long long)p->verbs_cq, VERBS_CQ_BYTES);
        return "net_area";
    }
    return NULL;
}

#define SRV_ROW(name_, kind_, field_, unit_, scale_, doc_)                                         \
    SIM_STAT_ROW(name_, kind_, Server, field_, unit_, scale_, doc_)

static const SimStatDesc srv_stat_rows[] = {
    SRV_ROW("pulls", SIM_STAT_COUNTER, serve.st.pulls, "tensors", 1, "pulls answered"),
    SRV_ROW("applies_recorded", SIM_STAT_COUNTER, st.applies_recorded, "tensors", 1,
            "apply_time: recorded: pushes applied for the trace's recorded apply time"),
    SRV_ROW("applies_modelled", SIM_STAT_COUNTER, st.applies_modelled, "tensors", 1,
            "pushes applied for the model's time (apply_tensor + bytes / apply_rate)"),
    SRV_ROW("pushes", SIM_STAT_COUNTER, serve.st.pushes, "tensors", 1, "gradients applied"),
    SRV_ROW("arrivals", SIM_STAT_COUNTER, serve.st.arrivals, "messages", 1, "workers' arrivals"),
    SRV_ROW("releases", SIM_STAT_COUNTER, serve.st.releases, "messages", 1, "releases sent"),
    SRV_ROW("bytes_in", SIM_STAT_COUNTER, serve.st.bytes_in, "B", 1,
            "bytes of the messages received (gradients, headers)"),
    SRV_ROW("bytes_out", SIM_STAT_COUNTER, serve.st.bytes_out, "B", 1,
            "bytes of the messages made (tensors, headers)"),
    SRV_ROW("applied_bytes", SIM_STAT_COUNTER, serve.st.applied_bytes, "B", 1,
            "gradient bytes applied"),
    SRV_ROW("max_queue", SIM_STAT_COUNTER, serve.st.max_queue, "jobs", 1,
            "most jobs waiting for a core"),
    SRV_ROW("utilisation", SIM_STAT_REAL, st.utilisation, NULL, 1,
            "core time of the jobs over cores x the run"),
    SRV_ROW("busy_ns", SIM_STAT_REAL, st.busy_ns, "ns", 1, "core time of the jobs, summed"),
    SRV_ROW("queue_wait_ns", SIM_STAT_REAL, st.queue_wait_ns, "ns", 1,
            "time jobs waited for a core, summed"),
    SRV_ROW("segments", SIM_STAT_COUNTER, net.st.segments, "sends", 1,
            "InfiniBand sends of messages (grpc segments, verbs headers)"),
    SRV_ROW("rdma_writes", SIM_STAT_COUNTER, net.st.writes, "writes", 1,
            "verbs: RDMA writes of tensors"),
    SRV_ROW("wire_bytes", SIM_STAT_COUNTER, net.st.wire_bytes, "B", 1,
            "bytes handed to the HCA (TCP/IP headers, headers, tensors)"),
    HOST_VERBS_STAT_ROWS(Server),
};

#undef SRV_ROW

static const SimStatRoleRow srv_stat_roles[] = {
    {"utilisation", SIM_STAT_ROLE_UTILISATION},
};
static const SimStatTable srv_stats = {srv_stat_rows,  N_OF(srv_stat_rows), NULL, 0,
                                       srv_stat_roles, N_OF(srv_stat_roles)};

static bool srv_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const SrvParams *pp = params;
    char msg[1024];
    Server *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return sim_error_oom(err, name);
    }
    s->p = *pp;
    s->path = strdup(pp->trace);
    uint32_t iters = 0, first = 0;
    if (s->path == NULL) {
        sim_error_oom(err, name);
        goto fail;
    }
    s->p.trace = s->path;
    if (!host_ps_read_model(s->path, -1, msg, sizeof(msg), &s->workers, &iters, &first,
                            &s->n_tensors, &s->S, NULL, NULL)) {
        sim_error_set(err, SIM_ERR_INPUT, "instance '%s': key 'trace': %s", name, msg);
        goto fail;
    }
    s->offset = calloc(s->n_tensors + 1, sizeof(*s->offset));
    s->bytes = calloc(s->n_tensors + 1, sizeof(*s->bytes));
    s->scratch = malloc(2 * SCRATCH);
    if (s->offset == NULL || s->bytes == NULL || s->scratch == NULL) {
        sim_error_oom(err, name);
        goto fail;
    }
    int64_t warm = -1;
    host_ps_warmup(s->p.warmup, &warm, msg, sizeof(msg)); /* checked before the build */
    host_ps_read_model(s->path, warm, msg, sizeof(msg), &s->workers, &iters, &first, &s->n_tensors,
                       &s->S, s->offset, s->bytes);
    s->t_workers = s->workers;
    s->m_iters = iters;
    if (s->p.apply_time == 0 && !load_applies(s, name, first, err)) {
        goto fail;
    }
    if (s->p.workers > 0) {
        s->workers = (uint32_t)s->p.workers;
    }
    PsNetParams np = {.transport = s->p.transport,
                      .qps = s->workers,
                      .header = (uint32_t)s->p.header,
                      .seg = (uint32_t)s->p.seg,
                      .window = (uint32_t)s->p.net_window,
                      .msgs = 2 * s->n_tensors + 4,
                      .area = s->p.net_area,
                      .functional = s->p.functional};
    uint64_t region = PS_PARAMS + (uint64_t)(1 + s->workers) * s->S;
    uint64_t net = ps_net_qp_bytes(&np) * s->workers;
    if (!sim_mem_contains(s->p.memory, s->p.ps_base, region) ||
        !sim_mem_contains(s->p.memory, s->p.net_area, net) ||
        !sim_mem_contains(s->p.memory, s->p.verbs_queues, (uint64_t)VERBS_QP_BYTES * s->workers) ||
        !sim_mem_contains(s->p.memory, s->p.verbs_cq, VERBS_CQ_BYTES)) {
        sim_error_set(err, SIM_ERR_INPUT,
                      "instance '%s': key 'memory': the host memory [0x%llx, +%llu) must hold the "
                      "parameters and slots [0x%llx, +%llu), the transport's slots [0x%llx, "
                      "+%llu), the verbs rings and the CQ",
                      name, (unsigned long long)s->p.memory->base,
                      (unsigned long long)s->p.memory->size, (unsigned long long)s->p.ps_base,
                      (unsigned long long)region, (unsigned long long)s->p.net_area,
                      (unsigned long long)net);
        goto fail;
    }
    if (sim_mem_contains(s->p.memory, s->p.hca_bar, VERBS_BAR_SIZE)) {
        sim_error_set(err, SIM_ERR_INPUT,
                      "instance '%s': key 'hca_bar': the HCA's doorbell page at 0x%llx lies inside "
                      "the host memory [0x%llx, +%llu): doorbells would land in memory",
                      name, (unsigned long long)s->p.hca_bar, (unsigned long long)s->p.memory->base,
                      (unsigned long long)s->p.memory->size);
        goto fail;
    }
    PsServeParams sp = {.cores = (uint32_t)s->p.cores,
                        .workers = s->workers,
                        .async = s->p.sync == 1,
                        .cost = {.transport = s->p.transport,
                                 .grpc_msg = s->p.grpc_msg,
                                 .grpc_rate = s->p.grpc_rate / 8.0,
                                 .verbs_msg = s->p.verbs_msg},
                        .apply_tensor = s->p.apply_tensor,
                        .apply_rate = s->p.apply_rate / 8.0,
                        .mem_bw = s->p.mem_bw / 8.0,
                        .ctrl_bytes = s->p.header,
                        .n_tensors = s->n_tensors,
                        .bytes = s->bytes};
    host_verbs_init(&s->verbs, &s->c, &s->req, s->p.memory, s->p.hca_bar, s->p.verbs_queues,
                    s->p.verbs_cq, s->workers, (uint16_t)s->p.src);
    if (!ps_serve_init(&s->serve, &sp)) {
        sim_error_oom(err, name);
        goto fail;
    }
    if (!ps_net_init(&s->net, &np, &s->verbs, s->p.memory)) {
        sim_error_oom(err, name);
        goto fail;
    }
    if (!sim_add_component(sim, &s->c, name, s->p.domain, &srv_ops, err)) {
        goto fail;
    }
    sim_build_port(bld, "req", &s->c, &s->req);
    sim_build_port(bld, "resp", &s->c, &s->resp);
    sim_build_port(bld, "notify", &s->c, &s->notify);
    sim_build_stats(bld, &(SimStatBinding){.block = {s}});
    return true;

fail:
    srv_destroy(&s->c);
    free(s);
    return false;
}

static const SimPortFlow srv_flows[] = {{"req", SIM_FLOW_REQUEST, NULL}};

const SimModelType ps_server_type = {
    .name = "ps.server",
    .doc = "TensorFlow 1.x parameter server: its software as a timed stage (receive, apply, "
           "send on `cores` cores, gRPC or verbs costs) serving host.ps workers over an "
           "InfiniBand HCA, through its root complex (pcie.rc) with the verbs driver.",
    .params = srv_params,
    .n_params = N_OF(srv_params),
    .params_size = sizeof(SrvParams),
    .ports = srv_ports,
    .n_ports = N_OF(srv_ports),
    .check = srv_check,
    .build = srv_build,
    .flows = srv_flows,
    .n_flows = 1,
    .stats = &srv_stats,
};
