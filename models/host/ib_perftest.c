/*
 * ib.perftest: a verbs requester in the manner of perftest's ib_write_bw / ib_read_bw /
 * ib_send_bw (docs/models/ib.md section 9), on the host driver of host_verbs.h. It speaks
 * mem.h to a root complex (pcie.rc) that has an ib.hca below it.
 *
 *   op write, read, send: `count` messages of `size` bytes on QP `qp`, message i from host
 *       address local + (i mod slots) * size to the peer's remote + (i mod slots) * size, with
 *       at most `window` WQEs outstanding (perftest's tx depth); every `cq_mod`-th WQE and the
 *       last are signaled (perftest's CQ moderation), the others retire with them;
 *   op write_imm: as write, each an RDMA write with immediate (the message number), which
 *       completes a receive WQE at the peer;
 *   op recv: keeps `window` receive buffers of `size` bytes posted until `count` sends (or
 *       writes with immediate) have been received (the passive side of ib_send_bw).
 *
 * The bandwidth is reported as ib_write_bw does: bytes of all messages over the time from the
 * first WQE posted to the last completion (statistic bw_gbps, in 10^9 bytes per second;
 * perftest prints MB/s of 2^20 bytes).
 *
 * One tick: drop the acknowledgements of the driver's writes, take completions, post WQEs while
 * the window has room (each becomes a 64-byte WQE write), push one write (WQE or doorbell).
 */
#include "host.h"
#include "host_verbs.h"

#include <stdio.h>
#include <stdlib.h>

#include "models/proto/mem.h"

enum {
    OP_WRITE = 0,
    OP_READ,
    OP_SEND,
    OP_RECV,
    OP_WRITE_IMM,
    OP_MAX
};
static const char *const op_names[] = {"write", "read", "send", "recv", "write_imm", NULL};
static const VerbsOp op_verbs[] = {VERBS_OP_RDMA_WRITE, VERBS_OP_RDMA_READ, VERBS_OP_SEND,
                                   VERBS_OP_RECV, VERBS_OP_RDMA_WRITE_IMM};

typedef struct PerfParams {
    SimDomain *domain;
    SimMem *memory;
    uint64_t hca_bar;
    uint64_t verbs_queues;
    uint64_t verbs_cq;
    int op;
    uint64_t count;
    uint64_t size;
    uint64_t window;
    uint64_t cq_mod;
    uint64_t qp;
    uint64_t local;
    uint64_t remote;
    uint64_t slots;
    SimTime start;
    uint64_t src;
} PerfParams;

typedef struct Perf {
    SimComponent c;
    SimPort *req;
    SimPort *resp;
    SimPort *notify;
    PerfParams p;
    HostVerbs verbs;
    uint64_t posted;
    uint64_t completed; /* messages completed */
    SimTime first_post;
    SimTime last_done;
    /* statistics */
    uint64_t messages;
    uint64_t bytes;
    double first_post_ns;
    double last_done_ns;
    double bw_gbps;
    double msg_rate_mps;
    uint64_t imm_last;
} Perf;

static uint64_t slot_addr(const Perf *t, uint64_t base, uint64_t i)
{
    return base + (i % t->p.slots) * t->p.size;
}

static bool post_one(Perf *t)
{
    uint32_t qp = (uint32_t)t->p.qp;
    uint64_t i = t->posted;
    HostVerbsPost r;
    if (t->p.op == OP_RECV) {
        r = host_verbs_post_recv(&t->verbs, qp, i, slot_addr(t, t->p.local, i),
                                 (uint32_t)t->p.size);
    } else if (t->p.op == OP_WRITE_IMM) {
        bool sig = (i + 1) % t->p.cq_mod == 0 || i + 1 == t->p.count;
        r = host_verbs_post_write_imm(&t->verbs, qp, i, slot_addr(t, t->p.local, i),
                                      (uint32_t)t->p.size, slot_addr(t, t->p.remote, i),
                                      (uint32_t)i, sig);
    } else {
        bool sig = (i + 1) % t->p.cq_mod == 0 || i + 1 == t->p.count;
        r = host_verbs_post_send(&t->verbs, qp, op_verbs[t->p.op], i, slot_addr(t, t->p.local, i),
                                 (uint32_t)t->p.size, slot_addr(t, t->p.remote, i), sig);
    }
    if (r != HOST_VERBS_POSTED) {
        return false;
    }
    if (t->posted == 0) {
        t->first_post = t->c.sim->now;
    }
    t->posted++;
    return true;
}

static bool can_post(const Perf *t)
{
    uint32_t qp = (uint32_t)t->p.qp;
    if (t->posted >= t->p.count || t->c.sim->now < t->p.start ||
        t->posted - t->completed >= t->p.window) {
        return false;
    }
    return t->p.op == OP_RECV ? host_verbs_rq_space(&t->verbs, qp) > 0
                              : host_verbs_sq_space(&t->verbs, qp) > 0;
}

static SimCycle perf_tick(SimComponent *c, SimCycle now)
{
    Perf *t = (Perf *)c;
    Sim *sim = c->sim;
    SimPacket *pkt;
    while ((pkt = sim_port_peek(t->resp)) != NULL) {
        sim_port_pop(t->resp);
        sim_packet_free(sim, pkt);
    }
    while ((pkt = sim_port_peek(t->notify)) != NULL) {
        sim_port_pop(t->notify);
        uint64_t addr = pkt->addr;
        sim_packet_free(sim, pkt);
        HostVerbsCompletion cpl;
        int r = host_verbs_completion(&t->verbs, addr, &cpl);
        if (r < 0) {
            return SIM_SLEEP;
        }
        if (r == 0) {
            continue;
        }
        if (cpl.status != VERBS_STATUS_OK) {
            sim_fail(sim, "instance '%s': WQE %llu completed with status %u", c->name,
                     (unsigned long long)cpl.wr_id, cpl.status);
            return SIM_SLEEP;
        }
        t->completed += cpl.retired;
        t->messages += cpl.retired;
        /* A receive knows what it got; a send WQE moved its size (unsignaled ones too). */
        t->bytes += t->p.op == OP_RECV ? cpl.bytes : (uint64_t)cpl.retired * t->p.size;
        if (cpl.op == VERBS_OP_RECV_RDMA_IMM) {
            t->imm_last = cpl.imm;
        }
        t->last_done = sim->now;
        sim_work_done(sim);
        sim_note_idle(sim);
    }
    while (can_post(t)) {
        if (!post_one(t)) {
            break;
        }
    }
    if (sim->failed) {
        return SIM_SLEEP;
    }
    if (sim_port_can_push(t->req) && host_verbs_ready(&t->verbs)) {
        if (host_verbs_step(&t->verbs) == HOST_VERBS_STEP_FAILED) {
            return SIM_SLEEP;
        }
    }
    if (sim_port_can_push(t->req) && host_verbs_ready(&t->verbs)) {
        return now + 1;
    }
    if (t->posted < t->p.count && t->posted == 0 && sim->now < t->p.start) {
        return sim_domain_cycle_at_or_after(c->domain, t->p.start);
    }
    return SIM_SLEEP; /* completions and freed port slots wake us */
}

static bool perf_busy(const SimComponent *c)
{
    const Perf *t = (const Perf *)c;
    return t->completed < t->p.count;
}

static void perf_finish(SimComponent *c, SimTime end)
{
    Perf *t = (Perf *)c;
    (void)end;
    t->first_post_ns = (double)t->first_post / 1000.0;
    t->last_done_ns = (double)t->last_done / 1000.0;
    SimTime span = t->last_done > t->first_post ? t->last_done - t->first_post : 0;
    t->bw_gbps = span ? (double)t->bytes * 1000.0 / (double)span : 0.0;
    t->msg_rate_mps = span ? (double)t->messages * 1e6 / (double)span : 0.0;
}

static void perf_dump(const SimComponent *c, SimError *report)
{
    const Perf *t = (const Perf *)c;
    sim_error_append(report, " (%llu of %llu messages posted, %llu completed)",
                     (unsigned long long)t->posted, (unsigned long long)t->p.count,
                     (unsigned long long)t->completed);
}

static const SimComponentOps perf_ops = {
    .tick = perf_tick,
    .finish = perf_finish,
    .busy = perf_busy,
    .dump = perf_dump,
};

static const char *const memory_kind[] = {"memory", NULL};

#define P(f) offsetof(PerfParams, f)
static const SimParamDesc perf_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock of the CPU's stores (one write pushed per cycle)"},
    {"memory", SIM_PARAM_OBJECT, P(memory), NULL, NULL, NULL, memory_kind,
     "the node's host memory (a host.memory): CQEs are read from it"},
    HOST_VERBS_ADDRESS_PARAMS(P),
    {"op", SIM_PARAM_ENUM, P(op), "write", NULL, NULL, op_names,
     "write, read, send or write_imm (RDMA write with immediate) messages, or recv: post "
     "receive buffers for the peer's sends and writes with immediate"},
    {"count", SIM_PARAM_UINT, P(count), "1000", "0", "1000000000", NULL,
     "messages (perftest -n); 0: a passive node (the responder of RDMA writes and reads)"},
    {"size", SIM_PARAM_BYTES, P(size), "64KiB", "0", "2GiB", NULL, "bytes per message (-s)"},
    {"window", SIM_PARAM_UINT, P(window), "128", "1", "256", NULL,
     "WQEs outstanding at most (perftest's tx depth -t, default 128)"},
    {"cq_mod", SIM_PARAM_UINT, P(cq_mod), "100", "1", "256", NULL,
     "every cq_mod-th WQE is signaled (perftest's CQ moderation, default 100)"},
    {"qp", SIM_PARAM_UINT, P(qp), "0", "0", "63", NULL, "QP number on the HCA"},
    {"local", SIM_PARAM_UINT, P(local), "0x1000000", NULL, NULL, NULL,
     "host address of the local buffers"},
    {"remote", SIM_PARAM_UINT, P(remote), "0x1000000", NULL, NULL, NULL,
     "the peer's host address of its buffers (RDMA write and read)"},
    {"slots", SIM_PARAM_UINT, P(slots), "1", "1", "65536", NULL,
     "buffers of `size` bytes used in turn (perftest uses one)"},
    {"start", SIM_PARAM_TIME, P(start), "0", "0", "1s", NULL, "time of the first post"},
    {"src", SIM_PARAM_UINT, P(src), "0", "0", "65535", NULL, "node id written into each request"},
};
#undef P

static const SimPortDesc perf_ports[] = {
    {"req", SIM_PORT_OUT, false, "mem.h requests to the root complex (cpu_req)"},
    {"resp", SIM_PORT_IN, false, "mem.h responses (cpu_resp)"},
    {"notify", SIM_PORT_IN, false, "CQE writes reported by the root complex (notify)"},
};

static const char *perf_check(const void *params, char *msg, size_t size)
{
    const PerfParams *p = params;
    if (p->op != OP_RECV && p->cq_mod > p->window) {
        snprintf(msg, size, "cq_mod %llu exceeds the window of %llu: no WQE would be signaled",
                 (unsigned long long)p->cq_mod, (unsigned long long)p->window);
        return "cq_mod";
    }
    return NULL;
}

static const SimStatDesc perf_stat_rows[] = {
    SIM_STAT_ROW("messages", SIM_STAT_COUNTER, Perf, messages, "messages", 1, "messages completed"),
    SIM_STAT_ROW("bytes", SIM_STAT_COUNTER, Perf, bytes, "B", 1, "bytes of those"),
    SIM_STAT_ROW("first_post_ns", SIM_STAT_REAL, Perf, first_post_ns, "ns", 1,
                 "time the first WQE was posted"),
    SIM_STAT_ROW("last_done_ns", SIM_STAT_REAL, Perf, last_done_ns, "ns", 1,
                 "time the last completion was taken"),
    SIM_STAT_ROW("bw_gbps", SIM_STAT_REAL, Perf, bw_gbps, "GB/s", 1,
                 "bytes / (last completion - first post), as ib_write_bw's average"),
    SIM_STAT_ROW("msg_rate_mps", SIM_STAT_REAL, Perf, msg_rate_mps, "Mmsg/s", 1,
                 "messages per microsecond over the same span"),
    SIM_STAT_ROW("imm_last", SIM_STAT_COUNTER, Perf, imm_last, NULL, 1,
                 "recv: the immediate value of the last RDMA write with immediate received"),
    HOST_VERBS_STAT_ROWS(Perf),
};

static const SimStatRoleRow perf_stat_roles[] = {
    {"bw_gbps", SIM_STAT_ROLE_THROUGHPUT},
};

static const SimStatTable perf_stats = {perf_stat_rows,  N_OF(perf_stat_rows), NULL, 0,
                                        perf_stat_roles, N_OF(perf_stat_roles)};

static bool perf_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    Perf *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return sim_error_oom(err, name);
    }
    t->p = *(const PerfParams *)params;
    if (!sim_add_component(sim, &t->c, name, t->p.domain, &perf_ops, err)) {
        free(t);
        return false;
    }
    t->c.requester = true;
    host_verbs_init(&t->verbs, &t->c, &t->req, t->p.memory, t->p.hca_bar, t->p.verbs_queues,
                    t->p.verbs_cq, (uint32_t)t->p.qp + 1, (uint16_t)t->p.src);
    sim_build_port(bld, "req", &t->c, &t->req);
    sim_build_port(bld, "resp", &t->c, &t->resp);
    sim_build_port(bld, "notify", &t->c, &t->notify);
    sim_build_stats(bld, &(SimStatBinding){.block = {t}});
    return sim_add_work(sim, &t->completed, t->p.count) || sim_error_oom(err, name);
}

static const SimPortFlow perf_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType ib_perftest_type = {
    .name = "ib.perftest",
    .doc = "verbs requester for tests and calibration, as perftest's ib_write_bw, ib_read_bw "
           "and ib_send_bw: `count` messages of `size` bytes with `window` WQEs outstanding "
           "through an ib.hca; reports bandwidth as ib_write_bw does.",
    .params = perf_params,
    .n_params = N_OF(perf_params),
    .params_size = sizeof(PerfParams),
    .ports = perf_ports,
    .n_ports = N_OF(perf_ports),
    .check = perf_check,
    .build = perf_build,
    .flows = perf_flows,
    .n_flows = N_OF(perf_flows),
    .stats = &perf_stats,
};
