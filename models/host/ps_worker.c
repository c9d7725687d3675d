/*
 * host.ps: a parameter-server training node replaying a logical trace (traces/FORMAT.md,
 * "Parameter-server traces") on MemBox memory, through a root complex (pcie.rc), with the same
 * DMA and PIO driver as host.memtrace: it can stand wherever a host.memtrace stands. A node is
 * a worker (`worker: W`), the aggregator (`aggregator: true`: the node holding the MemBox
 * applies the update) or both. docs/workloads.md has the memory map, the timeline, every
 * option and the timing model.
 *
 * Per iteration i a worker
 *   1. pulls every tensor the trace pulls (one DMA each: MemBox parameters -> host buffer),
 *   2. computes forward, then backward; each gradient is written into the host buffer and
 *      pushed (one DMA: host buffer -> its gradient slot) at its grad_ready instant, so pushes
 *      overlap the rest of backward,
 *   3. once backward has ended and every push completed, arrives at the barrier (a message to
 *      ps.barrier, or a PIO flag store) and waits for the release (a message, or PIO polling of
 *      its release flag); with `aggregation: sharded` it first reduces its slice of the
 *      parameters (reads that slice of every gradient slot, adds, writes it back).
 * The aggregator, on an update request (or once it has polled every arrive flag), reads the
 * parameters and the gradient slots, waits the update's compute time, writes the parameters and
 * releases the workers.
 *
 * The trace is streamed: each role has its own reader and loads one iteration's events into
 * buffers sized at build (one entry per tensor). Nothing allocates on the tick path.
 */
#include "host.h"
#include "host_dma.h"
#include "host_verbs.h"
#include "ps_model.h"
#include "ps_net.h"
#include "ps_serve.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"
#include "sim/core/region.h"
#include "sim/core/ring.h"
#include "sim/trace/pstrace.h"

enum {
    SYNC_BSP = 0,
    SYNC_ASYNC,
    SYNC_MAX
};
enum {
    AGG_MEMBOX_HOST = 0,
    AGG_SHARDED,
    AGG_SELF, /* each worker reads the variable, updates it and writes it back itself */
    AGG_MAX
};
enum {
    BAR_IDEAL = 0,
    BAR_POLLING,
    BAR_MAX
};
enum {
    COMPUTE_RECORDED = 0,
    COMPUTE_SCALED,
    COMPUTE_FIXED,
    COMPUTE_MAX
};

static const char *const sync_names[] = {"bsp", "async", NULL};
static const char *const agg_names[] = {"membox_host", "sharded", "self", NULL};
static const char *const bar_names[] = {"ideal", "polling", NULL};
static const char *const compute_names[] = {"recorded", "scaled", "fixed", NULL};
/* Version 2 traces: warm-up iterations skipped or replayed; compute from CPU or wall time. */
enum {
    CLOCK_AUTO = 0, /* an event's CPU time where the trace gives it, else its wall time */
    CLOCK_WALL,
    CLOCK_MAX
};
static const char *const clock_names[] = {"auto", "wall", NULL};

/* How pulls and pushes travel: DMA to MemBox memory, or messages to a ps.server over the node's
 * InfiniBand HCA (docs/models/ps-server.md). */
enum {
    TRANSPORT_MEMBOX = 0,
    TRANSPORT_GRPC,
    TRANSPORT_VERBS,
    TRANSPORT_MAX
};
static const char *const transport_names[] = {"membox", "grpc", "verbs", NULL};

/* A message's id when nothing waits for it to be sent. */
#define NET_NO_ID UINT64_MAX

#define SCRATCH 65536u
#define OUTQ    8u
#define NO_TIME UINT64_MAX

/* What a memory job is for: decides what its completion advances. */
typedef enum JobGroup {
    G_PULL = 0, /* worker: parameter tensor -> host buffer */
    G_PUSH,     /* worker: gradient -> its slot */
    G_SELF_RD,  /* worker, self: a variable read back after its gradient is ready */
    G_SELF_WR,  /* worker, self: the variable written back updated */
    G_SH_RD,    /* worker, sharded: a slice of a slot */
    G_SH_WR,    /* worker, sharded: its slice of the parameters */
    G_AGG_RD,   /* aggregator: parameters and slots */
    G_AGG_WR,   /* aggregator: parameters */
    G_FLAG,     /* a flag store (polling) */
    G_WPOLL,    /* a flag load of the worker's poller */
    G_APOLL,    /* a flag load of the aggregator's poller */
    G_MAX
} JobGroup;

typedef enum JobKind {
    J_RD = 0,
    J_WR,
    J_LD,
    J_ST,
    J_MAX
} JobKind;

typedef enum WorkerPhase {
    W_START = 0, /* load the iteration and issue its pulls */
    W_PULL,
    W_FWD,
    W_BWD,    /* gradients become ready; then the last pushes complete */
    W_ARRIVE, /* tell the barrier */
    W_WAIT,   /* wait for REDUCE (sharded) or RELEASE */
    W_SH_RD,
    W_SH_WR,
    W_SH_DONE, /* tell the barrier the slice is written */
    W_WAIT_REL,
    W_DONE,
    W_PHASE_MAX
} WorkerPhase;

typedef enum AggPhase {
    A_IDLE = 0, /* wait for an update request */
    A_READ,
    A_COMPUTE,
    A_WRITE,
    A_RELEASE, /* tell the barrier, or store release flags */
    A_DONE,
    A_PHASE_MAX
} AggPhase;

typedef struct PsParams {
    SimDomain *domain;
    const char *trace;
    int64_t worker;
    bool aggregator;
    int sync;
    int aggregation;
    int barrier;
    int compute;
    double compute_scale;
    SimTime compute_time;
    SimTime update_time;
    uint64_t iterations;
    const char *warmup; /* skip | replay | N (host_ps_warmup) */
    int compute_clock;
    const char *concurrency; /* "recorded" or 1..127 */
    double compute_factor;
    uint64_t workers; /* the job's workers; 0: the trace's */
    bool functional;
    uint64_t ps_base;
    SimTime poll_interval;
    uint64_t outstanding;
    uint64_t window;
    uint64_t window_base;
    uint64_t regs_base;
    uint64_t rd_table;
    uint64_t wr_table;
    uint64_t buffer_base;
    uint64_t buffer_size;
    uint64_t desc_max;
    uint64_t src;
    SimMem *memory;
    /* transport: grpc | verbs (a ps.server over InfiniBand) */
    int transport;
    uint64_t cores;
    SimTime grpc_msg;
    double grpc_rate; /* bit/s as written */
    SimTime verbs_msg;
    uint64_t header;
    uint64_t seg;
    uint64_t net_window;
    uint64_t net_area;
    SimTime net_start;
    uint64_t hca_bar;
    uint64_t verbs_queues;
    uint64_t verbs_cq;
} PsParams;

typedef struct Job {
    uint8_t kind;
    uint8_t grp;
    uint64_t mb; /* MemBox address (window offset) */
    uint64_t host;
    uint64_t size;
    uint64_t value; /* a flag store's value */
} Job;

typedef struct Slot {
    bool used;
    bool issuing;
    uint8_t kind;
    uint8_t grp;
    uint32_t left;
    uint64_t size;
    uint64_t mb;
    uint64_t host;
} Slot;

/* A flag poller: loads flag `base + 64 * k` for k in [0, count) until each reads >= need[k]
 * (all of them), or (any) until one does. */
typedef struct Poller {
    bool active;
    bool any;
    bool inflight;
    uint32_t k;
    uint32_t count;
    uint64_t base;
    SimTime at;  /* the next load may go at */
    int32_t hit; /* any: the flag that matched */
} Poller;

/* A step of a message job waiting for the node's CPU (transport: grpc | verbs): at `at`, post
 * the message (a pull's request, a push), or complete the job in slot `slot` (a pull whose
 * tensor has been received and handled). */
typedef struct NetTimer {
    SimTime at;
    uint64_t seq;
    bool post;
    uint32_t slot;
    PsServeMsg m;
    uint64_t local;
} NetTimer;

typedef struct PsStats {
    uint64_t iterations;
    uint64_t pushed_bytes;
    uint64_t pulled_bytes;
    uint64_t pushes;
    uint64_t pulls;
    uint64_t updates;
    uint64_t agg_read_bytes;
    uint64_t agg_write_bytes;
    uint64_t flag_stores;
    uint64_t flag_loads;
    SimHist iteration;
    SimHist barrier_wait;
    SimHist update;
    SimTime sum_iter;
    SimTime sum_compute;
    SimTime first_start;
    SimTime last_done;
    double comm_share;
    double compute_ns;
    SimTime sum_half[2]; /* iteration time over the first and the second half of the run */
    uint64_t n_half[2];
    double train_ns;
    double iter_mean_ns;
    double half_ns[2];
    uint64_t warmup;       /* the trace's iterations excluded (warm-up skipped) */
    uint64_t trace_worker; /* the trace's worker this node replays */
    double compute_factor;
    uint64_t max_pulls_out;  /* most pulls in flight at once */
    uint64_t max_pushes_out; /* most pushes (self: read-update-write cycles) in flight */
    SimTime self_update;     /* self: the worker's update compute */
    double self_update_ns;
    double first_start_ns;
    double last_done_ns;
} PsStats;

typedef struct PsNode {
    SimComponent c;
    SimPort *req;
    SimPort *resp;
    SimPort *notify;
    SimPort *sync_out;
    SimPort *sync_in;
    PsParams p;
    char *path;
    SimMem *mem; /* the node's host memory (host.memory), shared with its root complex */
    /* the model */
    uint32_t workers;   /* the job's: the slots and the barrier's count */
    uint32_t t_workers; /* the trace's */
    uint32_t me_t;      /* the trace's worker replayed: worker mod t_workers */
    uint32_t conc;      /* concurrency: 0 recorded, else at most this many transfers */
    uint32_t m_iters;   /* the trace's measured iterations, replayed in a cycle */
    uint32_t w_next;    /* the trace iteration the worker's stream can still give */
    uint32_t a_next_it; /* the same for the aggregator's stream */
    uint32_t iters;
    uint32_t first; /* the trace's iteration replayed as iteration 0 (warm-up skipped) */
    uint32_t n_tensors;
    uint64_t *offset;
    uint64_t *bytes;
    uint64_t S;
    /* worker's stream and the iteration loaded from it */
    PsTrace *tw;
    bool w_look;
    PsTraceEvent w_ev;
    uint32_t *pull_list;
    uint32_t n_pull;
    uint32_t *pull_need; /* recorded: pulls of the iteration ended before pull k started */
    uint64_t *rec_start; /* scratch at load: recorded starts, then ends */
    uint64_t *rec_end;
    uint32_t next_pull;
    uint32_t pulls_done;
    uint32_t *push_list; /* tensors in grad_ready order (recorded: in push order) */
    SimTime *ready;      /* per entry of push_list: offset from backward start, ps */
    uint32_t *push_need; /* recorded: pushes ended before push k started */
    uint32_t n_push;
    uint32_t next_push;
    uint32_t pushes_done;
    SimTime upd;         /* self: the worker's update time of the iteration */
    uint64_t push_bytes; /* bytes of the iteration's gradients */
    /* self: variables read back and waiting for the update, one update at a time */
    uint32_t *self_q;
    uint32_t self_head;
    uint32_t self_tail;
    uint32_t self_cur; /* the tensor being updated, or UINT32_MAX */
    SimTime self_done_at;
    HostPsIssue *issued; /* the first iteration's messages in issue order (host_ps_issued) */
    uint32_t n_issued;
    SimTime fwd;
    SimTime bwd;
    /* worker state */
    int wphase;
    SimTime wphase_since; /* timeline: the phase's start */
    uint32_t iter;
    SimTime t_start;
    SimTime t_fwd_end;
    SimTime t_bwd_start;
    SimTime t_arrive;
    uint32_t w_left; /* jobs of the current phase not completed */
    bool got_reduce;
    bool got_release;
    Poller wpoll;
    /* aggregator */
    PsTrace *ta;
    bool a_look;
    PsTraceEvent a_ev;
    int aphase;
    SimTime aphase_since;
    uint32_t a_iter;    /* BSP: the next update's iteration */
    uint32_t a_worker;  /* async: the worker being updated, or PS_NO_WORKER */
    uint64_t a_updates; /* done */
    uint64_t a_total;   /* to do */
    uint32_t *a_next;   /* async polling: per worker, the next iteration expected */
    SimTime a_t0;
    SimTime a_done_at;
    uint32_t a_left;
    uint32_t a_rel_k;
    Poller apoll;
    bool hello_sent;
    /* outgoing sync messages */
    struct {
        uint16_t type;
        uint16_t worker;
        uint64_t iter;
    } outq[OUTQ];
    SimRing outr; /* over outq */
    /* the DMA/PIO driver, as in host.memtrace */
    Job *jobs;
    SimRing jobr; /* over jobs */
    Slot *slots;
    uint32_t n_used;
    HostDma dma;      /* the DMA driver; dma.cur is the slot of the job being described */
    uint8_t *scratch; /* SCRATCH bytes x 2 for the functional data */
    /* transport: grpc | verbs */
    bool ib;
    HostVerbs verbs;
    PsNet net;
    PsTransportCost cost;
    SimTime *cpu_free; /* per core: when it is free */
    NetTimer *timers;  /* outstanding x 2 + 4 of them, unordered */
    uint32_t n_timers;
    uint32_t timer_cap;
    uint64_t timer_seq;
    uint32_t *slot_tensor; /* per slot: the pull's tensor */
    uint32_t slot_cap;     /* jobs in flight at most: outstanding, or a lower concurrency */
    int64_t warm;          /* warmup: -1 the trace's marks, else the iterations left out */
    bool self;             /* aggregation: self on MemBox memory */
    PsStats st;
} PsNode;

/* ---- the model's layout ---- */

static uint64_t round_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

static uint64_t slot_addr(const PsNode *n, uint32_t w)
{
    return n->p.ps_base + PS_PARAMS + (uint64_t)(1 + w) * n->S;
}

static uint64_t params_addr(const PsNode *n)
{
    return n->p.ps_base + PS_PARAMS;
}

/* Host buffer: parameters at +0, gradients at +S, the aggregator's (and a sharded worker's)
 * copy of the parameters at +2S and of slot w at +(3 + w)S; without functional data every slot
 * shares +3S. */
static uint64_t host_agg_slot(const PsNode *n, uint32_t w)
{
    return n->p.buffer_base + (3 + (n->p.functional ? w : 0)) * n->S;
}

static void shard(const PsNode *n, uint32_t w, uint64_t *lo, uint64_t *hi)
{
    *lo = n->S * w / n->workers / PS_ALIGN * PS_ALIGN;
    *hi = w + 1 == n->workers ? n->S : n->S * (w + 1) / n->workers / PS_ALIGN * PS_ALIGN;
}

static SimTime scale_ns(const PsNode *n, uint64_t ns, double f)
{
    (void)n;
    return (SimTime)llround((double)ns * 1000.0 * f);
}

/* ---- the trace, one iteration at a time ---- */

static int next_event(PsNode *n, PsTrace *t, bool *look, PsTraceEvent *ev)
{
    if (*look) {
        *look = false;
        return 1;
    }
    SimError err;
    sim_error_clear(&err);
    int r = pstrace_next(t, ev, &err);
    if (r < 0) {
        sim_fail(n->c.sim, "instance '%s': %s", n->c.name, err.msg);
    }
    return r;
}

/* The compute time of a forward, backward or update event: its CPU time where the trace gives
 * it (compute_clock: auto), else its wall time. */
static uint64_t compute_ns(const PsNode *n, const PsTraceEvent *e)
{
    return e->has_cpu && n->p.compute_clock == CLOCK_AUTO ? e->cpu_ns : e->end_ns - e->start_ns;
}

/* The stream made to hold trace iteration i still ahead: rewound to the first event when the
 * replay wraps round the trace's measured iterations (once per pass through the trace; zlib
 * seeks back in the stream it has, nothing is allocated). */
static bool stream_at(PsNode *n, PsTrace *t, bool *look, uint32_t *next, uint32_t i)
{
    if (i >= *next) {
        *next = i + 1;
        return true;
    }
    SimError err;
    sim_error_clear(&err);
    *look = false;
    if (!pstrace_rewind(t, &err)) {
        sim_fail(n->c.sim, "instance '%s': %s", n->c.name, err.msg);
        return false;
    }
    *next = i + 1;
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* need[k] = how many of the m messages had ended when message k started, at most k (its
 * predecessors in the recorded order); start[] ascends, end[] is sorted here. */
static void recorded_need(uint64_t *start, uint64_t *end, uint32_t *need, uint32_t m)
{
    qsort(end, m, sizeof(*end), cmp_u64);
    uint32_t j = 0;
    for (uint32_t k = 0; k < m; k++) {
        while (j < m && end[j] <= start[k]) {
            j++;
        }
        need[k] = j < k ? j : k;
    }
}

/* The trace's iteration that replayed iteration iter stands for: the measured ones in a cycle. */
static uint32_t trace_iter(const PsNode *n, uint32_t iter)
{
    return n->first + iter % n->m_iters;
}

/* The factor on the recorded compute: compute_factor, times compute_scale under scaled. */
static double compute_mult(const PsNode *n)
{
    return n->p.compute_factor * (n->p.compute == COMPUTE_SCALED ? n->p.compute_scale : 1.0);
}

/* Loads the events of iteration iter of the trace's worker this node replays: pulls, forward,
 * backward, grad_ready, pushes, and (aggregation: self) the update time: the trace's applies
 * of that worker's gradients, else its share (1 / the trace's workers) of the server's update
 * and aggregate applies. Recorded concurrency: pulls in their recorded order, pushes at their
 * recorded start, each after as many of its kind completed as had ended when it started. */
static bool load_worker_iter(PsNode *n, uint32_t iter)
{
    uint32_t me = n->me_t;
    uint32_t i = trace_iter(n, iter);
    if (!stream_at(n, n->tw, &n->w_look, &n->w_next, i)) {
        return false;
    }
    bool rec = n->conc == 0;
    uint32_t nt = n->n_tensors;
    /* bwd_wall: backward's wall time, against which the grad_ready instants are placed */
    uint64_t fwd = 0, bwd = 0, bwd_wall = 0, bwd_start = UINT64_MAX;
    uint64_t upd_mine = 0, upd_all = 0;
    bool has_mine = false;
    n->n_pull = 0;
    n->n_push = 0;
    n->next_push = 0;
    n->next_pull = 0;
    n->pulls_done = 0;
    n->pushes_done = 0;
    n->push_bytes = 0;
    int r;
    while ((r = next_event(n, n->tw, &n->w_look, &n->w_ev)) > 0) {
        const PsTraceEvent *e = &n->w_ev;
        if (e->iteration < i) {
            continue;
        }
        bool server = e->worker == PSTRACE_SERVER || e->kind == PSTRACE_APPLY ||
                      e->kind == PSTRACE_RECV || e->kind == PSTRACE_SEND;
        if (server) {
            if (e->iteration == i && e->kind == PSTRACE_APPLY && e->worker == me) {
                upd_mine += compute_ns(n, e);
                has_mine = true;
            } else if (e->iteration == i &&
                       (e->kind == PSTRACE_UPDATE || e->kind == PSTRACE_APPLY) &&
                       e->worker == PSTRACE_SERVER) {
                upd_all += compute_ns(n, e);
            }
            continue;
        }
        if (e->worker != me) {
            continue;
        }
        if (e->iteration > i) {
            n->w_look = true;
            break;
        }
        switch (e->kind) {
        case PSTRACE_FORWARD:
            fwd += compute_ns(n, e);
            break;
        case PSTRACE_BACKWARD:
            bwd += compute_ns(n, e);
            bwd_wall += e->end_ns - e->start_ns;
            bwd_start = e->start_ns < bwd_start ? e->start_ns : bwd_start;
            break;
        case PSTRACE_PULL:
            if (n->n_pull < nt) {
                n->rec_start[n->n_pull] = e->start_ns;
                n->rec_end[n->n_pull] = e->end_ns;
                n->pull_list[n->n_pull++] = e->tensor;
            }
            break;
        case PSTRACE_GRAD_READY:
        case PSTRACE_PUSH:
            /* recorded: the pushes themselves; otherwise the gradients' ready instants */
            if ((e->kind == PSTRACE_PUSH) == rec && n->n_push < nt) {
                n->rec_start[nt + n->n_push] = e->start_ns;
                n->rec_end[nt + n->n_push] = e->end_ns;
                n->push_list[n->n_push] = e->tensor;
                n->push_bytes += n->bytes[e->tensor];
                /* the raw start for now; made relative below */
                n->ready[n->n_push++] = e->start_ns;
            }
            break;
        default:
            break;
        }
    }
    if (r < 0) {
        return false;
    }
    double f = compute_mult(n);
    if (n->p.compute == COMPUTE_FIXED) {
        f = fwd + bwd > 0 ? (double)n->p.compute_time / 1000.0 / (double)(fwd + bwd) : 0.0;
    }
    n->fwd = scale_ns(n, fwd, f);
    n->bwd = scale_ns(n, bwd, f);
    if (n->p.compute == COMPUTE_FIXED && fwd + bwd == 0) {
        n->bwd = n->p.compute_time; /* nothing recorded: all of it is backward */
    }
    /* A gradient ready at a share of backward's wall time is ready at that share of the
     * replayed backward (the same as scaling by f when backward is replayed at wall time). */
    double share = bwd_wall > 0 ? (double)bwd / (double)bwd_wall : 1.0;
    for (uint32_t k = 0; k < n->n_push; k++) {
        uint64_t off =
            bwd_start == UINT64_MAX || n->ready[k] < bwd_start ? 0 : n->ready[k] - bwd_start;
        off = off > bwd_wall ? bwd_wall : off;
        n->ready[k] = fwd + bwd == 0 ? n->bwd : scale_ns(n, off, f * share);
        if (n->ready[k] > n->bwd) {
            n->ready[k] = n->bwd;
        }
    }
    if (rec) {
        recorded_need(n->rec_start, n->rec_end, n->pull_need, n->n_pull);
        recorded_need(n->rec_start + nt, n->rec_end + nt, n->push_need, n->n_push);
    } else {
        memset(n->pull_need, 0, n->n_pull * sizeof(*n->pull_need));
        memset(n->push_need, 0, n->n_push * sizeof(*n->push_need));
    }
    if (n->p.compute == COMPUTE_FIXED) {
        n->upd = n->p.update_time / n->workers;
    } else {
        uint64_t u = has_mine ? upd_mine : upd_all / n->t_workers;
        n->upd = scale_ns(n, u, compute_mult(n));
    }
    return true;
}

/* The server's update time of iteration iter (the trace's iter + first): the sum of its update
 * events, scaled. */
static bool load_update_time(PsNode *n, uint32_t iter, SimTime *out)
{
    uint32_t i = trace_iter(n, iter);
    uint64_t ns = 0;
    if (!stream_at(n, n->ta, &n->a_look, &n->a_next_it, i)) {
        return false;
    }
    int r;
    while ((r = next_event(n, n->ta, &n->a_look, &n->a_ev)) > 0) {
        const PsTraceEvent *e = &n->a_ev;
        if (e->kind != PSTRACE_UPDATE || e->iteration < i) {
            continue;
        }
        if (e->iteration > i) {
            n->a_look = true;
            break;
        }
        ns += compute_ns(n, e);
    }
    if (r < 0) {
        return false;
    }
    *out = n->p.compute == COMPUTE_FIXED ? n->p.update_time : scale_ns(n, ns, compute_mult(n));
    return true;
}

/* ---- functional data (the node's CPU or GPU computing into its own host memory) ---- */

/* Gradient of worker w, iteration i, tensor t: the mem.h pattern of its slot's addresses at
 * version i + 1, written into the host buffer before the push. */
static void write_gradient(PsNode *n, uint32_t i, uint32_t t)
{
    uint64_t off = n->offset[t];
    uint64_t left = n->bytes[t];
    uint64_t mb = slot_addr(n, (uint32_t)n->p.worker) + off;
    uint64_t host = n->p.buffer_base + n->S + off;
    while (left > 0) {
        uint32_t len = left < SCRATCH ? (uint32_t)left : SCRATCH;
        mem_pattern_fill(n->scratch, mb, len, i + 1);
        sim_mem_write(n->mem, host, n->scratch, len);
        mb += len;
        host += len;
        left -= len;
    }
}

/* The update: parameters[j] += sum over the slots of gradient[j], bytewise modulo 256 (a
 * stand-in for SGD in which every lost or misplaced byte shows), over [lo, hi) of the model.
 * `params` is the host copy updated in place; slots at host_agg_slot(); `only` one worker's
 * slot (async) or all (PS_NO_WORKER). */
static void apply_update(PsNode *n, uint64_t params, uint64_t lo, uint64_t hi, uint32_t only)
{
    uint8_t *a = n->scratch;
    uint8_t *g = n->scratch + SCRATCH;
    for (uint64_t o = lo; o < hi; o += SCRATCH) {
        uint32_t len = hi - o < SCRATCH ? (uint32_t)(hi - o) : SCRATCH;
        sim_mem_read(n->mem, params + o, a, len);
        for (uint32_t w = 0; w < n->workers; w++) {
            if (only != PS_NO_WORKER && w != only) {
                continue;
            }
            sim_mem_read(n->mem, host_agg_slot(n, w) + o, g, len);
            for (uint32_t j = 0; j < len; j++) {
                a[j] = (uint8_t)(a[j] + g[j]);
            }
        }
        sim_mem_write(n->mem, params + o, a, len);
    }
}

/* aggregation: self: the variable t just read back (at its place in the host buffer's parameters)
 * plus this worker's gradient, written back by the worker itself. */
static void self_apply(PsNode *n, uint32_t t)
{
    uint8_t *a = n->scratch;
    uint8_t *g = n->scratch + SCRATCH;
    uint64_t p = n->p.buffer_base + n->offset[t];
    for (uint64_t o = 0; o < n->bytes[t]; o += SCRATCH) {
        uint32_t len = n->bytes[t] - o < SCRATCH ? (uint32_t)(n->bytes[t] - o) : SCRATCH;
        sim_mem_read(n->mem, p + o, a, len);
        sim_mem_read(n->mem, p + n->S + o, g, len);
        for (uint32_t j = 0; j < len; j++) {
            a[j] = (uint8_t)(a[j] + g[j]);
        }
        sim_mem_write(n->mem, p + o, a, len);
    }
}

/* ---- the driver ---- */

static void job_add(PsNode *n, int kind, int grp, uint64_t mb, uint64_t host, uint64_t size,
                    uint64_t value)
{
    n->jobs[sim_ring_push(&n->jobr)] = (Job){.kind = (uint8_t)kind,
                                             .grp = (uint8_t)grp,
                                             .mb = mb,
                                             .host = host,
                                             .size = size,
                                             .value = value};
}

static void out_msg(PsNode *n, uint16_t type, uint16_t worker, uint64_t iter)
{
    uint32_t k = sim_ring_push(&n->outr);
    n->outq[k].type = type;
    n->outq[k].worker = worker;
    n->outq[k].iter = iter;
}

static void poll_start(PsNode *n, Poller *pl, uint64_t base, uint32_t count, bool any)
{
    *pl = (Poller){
        .active = true, .any = any, .count = count, .base = base, .at = n->c.sim->now, .hit = -1};
}

static void job_done(PsNode *n, int grp, uint64_t value, uint64_t mb);

static void complete_piece(PsNode *n, uint32_t s, uint64_t value)
{
    Slot *sl = &n->slots[s];
    sim_work_done(n->c.sim);
    sl->left--;
    if (sl->left > 0 || sl->issuing) {
        return;
    }
    sl->used = false;
    n->n_used--;
    job_done(n, sl->grp, value, sl->mb);
}

/* A J_RD job is a write DMA of the adapter (MemBox -> host), a J_WR a read DMA. */
static DmaEngine engine_of(int kind)
{
    return kind == J_WR ? DMA_ENGINE_RD : DMA_ENGINE_WR;
}

/* Pushes the next descriptor or doorbell of the job being described; true if one went. */
static bool describe(PsNode *n)
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

/* ---- transport: grpc | verbs (messages to a ps.server over the HCA) ---- */

/* The tensor whose offset in the model is off (the offsets ascend). */
static uint32_t tensor_at(const PsNode *n, uint64_t off)
{
    uint32_t lo = 0, hi = n->n_tensors;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (n->offset[mid] <= off) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The node's CPU handles a message for d: on the core free first, from now or when it frees. */
static SimTime cpu_acquire(PsNode *n, SimTime d)
{
    uint32_t best = 0;
    for (uint32_t k = 1; k < n->p.cores; k++) {
        if (n->cpu_free[k] < n->cpu_free[best]) {
            best = k;
        }
    }
    SimTime now = n->c.sim->now;
    SimTime start = n->cpu_free[best] > now ? n->cpu_free[best] : now;
    n->cpu_free[best] = start + d;
    return start + d;
}

static bool timer_add(PsNode *n, SimTime at, bool post, uint32_t slot, const PsServeMsg *m,
                      uint64_t local)
{
    if (n->n_timers == n->timer_cap) {
        sim_fail(n->c.sim, "instance '%s': more messages waiting for the CPU than slots",
                 n->c.name);
        return false;
    }
    n->timers[n->n_timers++] = (NetTimer){
        .at = at, .seq = n->timer_seq++, .post = post, .slot = slot, .m = *m, .local = local};
    return true;
}

/* CPU time of one end for a message of b bytes (docs/models/ps-server.md section 3). */
static SimTime net_cpu(const PsNode *n, uint64_t b)
{
    return ps_transport_cpu(&n->cost, b, n->cost.grpc_rate);
}

/* A pull or a push as a message job in slot s: the CPU prepares it, then it is posted. */
static bool net_job(PsNode *n, uint32_t s, const Job *j)
{
    Slot *sl = &n->slots[s];
    sl->left = 1;
    sl->issuing = false;
    PsServeMsg m = {.worker = (uint16_t)n->p.worker, .iter = n->iter};
    if (j->grp == G_PULL) {
        uint32_t t = tensor_at(n, j->mb - params_addr(n));
        m.kind = PS_SERVE_PULL;
        m.tensor = t;
        m.bytes = n->p.header;
        m.addr = j->host; /* where the tensor is to go */
        n->slot_tensor[s] = t;
        return timer_add(n, cpu_acquire(n, net_cpu(n, n->p.header)), true, s, &m, 0);
    }
    m.kind = PS_SERVE_PUSH;
    m.tensor = tensor_at(n, j->mb - slot_addr(n, (uint32_t)n->p.worker));
    m.bytes = j->size;
    m.addr = j->mb; /* the gradient slot in the server's memory */
    return timer_add(n, cpu_acquire(n, net_cpu(n, j->size)), true, s, &m, j->host);
}

/* The worker's pushes of the iteration are sent: it tells the server, counting them. */
static void net_arrive(PsNode *n)
{
    PsServeMsg m = {.kind = PS_SERVE_ARRIVE,
                    .worker = (uint16_t)n->p.worker,
                    .iter = n->iter,
                    .count = n->n_push,
                    .bytes = n->p.header};
    timer_add(n, cpu_acquire(n, net_cpu(n, n->p.header)), true, UINT32_MAX, &m, 0);
}

/* Messages received and sent, and the CPU's steps that are due; true if anything changed. */
static bool net_poll(PsNode *n)
{
    Sim *sim = n->c.sim;
    bool moved = false;
    const PsServeMsg *pm;
    while ((pm = ps_net_peek(&n->net)) != NULL) {
        PsServeMsg m = *pm;
        ps_net_pop(&n->net);
        moved = true;
        if (m.kind == PS_SERVE_RELEASE && m.iter == n->iter) {
            n->got_release = true;
            continue;
        }
        uint32_t s = 0;
        while (m.kind == PS_SERVE_TENSOR && s < n->p.outstanding &&
               !(n->slots[s].used && n->slots[s].grp == G_PULL && n->slot_tensor[s] == m.tensor)) {
            s++;
        }
        if (m.kind != PS_SERVE_TENSOR || s == n->p.outstanding) {
            sim_fail(sim,
                     "instance '%s': received a message of kind %u (tensor %u, iteration %u) "
                     "it did not ask for",
                     n->c.name, m.kind, m.tensor, m.iter);
            return false;
        }
        n->slot_tensor[s] = UINT32_MAX;
        if (!timer_add(n, cpu_acquire(n, net_cpu(n, m.bytes)), false, s, &m, 0)) {
            return false;
        }
    }
    uint64_t id;
    while (ps_net_sent(&n->net, &id)) {
        if (id != NET_NO_ID) {
            complete_piece(n, (uint32_t)id, 0);
            moved = true;
        }
    }
    for (;;) {
        uint32_t first = UINT32_MAX;
        for (uint32_t k = 0; k < n->n_timers; k++) {
            const NetTimer *t = &n->timers[k];
            if (t->at <= sim->now &&
                (first == UINT32_MAX || t->at < n->timers[first].at ||
                 (t->at == n->timers[first].at && t->seq < n->timers[first].seq))) {
                first = k;
            }
        }
        if (first == UINT32_MAX) {
            return moved;
        }
        NetTimer t = n->timers[first];
        n->timers[first] = n->timers[--n->n_timers];
        moved = true;
        if (!t.post) {
            complete_piece(n, t.slot, 0);
            continue;
        }
        PsNetOut o = {.m = t.m,
                      .local = t.local,
                      .id = t.m.kind == PS_SERVE_PUSH ? (uint64_t)t.slot : NET_NO_ID};
        if (!ps_net_send(&n->net, 0, &o)) {
            sim_fail(sim, "instance '%s': more messages queued than the transport holds",
                     n->c.name);
            return false;
        }
    }
}

/* The earliest step of the CPU, or NO_TIME. */
static SimTime net_next(const PsNode *n)
{
    SimTime next = NO_TIME;
    for (uint32_t k = 0; k < n->n_timers; k++) {
        if (n->timers[k].at < next) {
            next = n->timers[k].at;
        }
    }
    return next;
}

/* Starts the job at the head of the queue in a free slot; pushes its first request. */
static bool start_job(PsNode *n)
{
    uint32_t s = 0;
    while (n->slots[s].used) {
        s++;
    }
    Job j = n->jobs[sim_ring_pop(&n->jobr)];
    Slot *sl = &n->slots[s];
    *sl = (Slot){
        .used = true, .kind = j.kind, .grp = j.grp, .size = j.size, .mb = j.mb, .host = j.host};
    n->n_used++;
    if (n->ib) {
        return net_job(n, s, &j); /* only pulls and pushes: checked before the run */
    }
    if (j.kind == J_LD || j.kind == J_ST) {
        bool st = j.kind == J_ST;
        SimPacket *pkt =
            host_dma_request(&n->dma, st ? MEM_WRITE : MEM_READ, n->p.window_base + j.mb, 8, s);
        if (pkt == NULL) {
            return false;
        }
        if (st) {
            SimPayload *pl = host_dma_payload(&n->dma, 8);
            if (pl == NULL) {
                sim_packet_free(n->c.sim, pkt);
                return false;
            }
            for (int b = 0; b < 8; b++) {
                pl->data[b] = (uint8_t)(j.value >> (8 * b));
            }
            pkt->payload = pl;
            n->st.flag_stores++;
        } else {
            n->st.flag_loads++;
        }
        sl->left = 1;
        sim_port_push(n->req, pkt);
        return true;
    }
    sl->issuing = true;
    host_dma_begin(&n->dma, (int32_t)s, engine_of(j.kind), j.host, j.mb, j.size);
    return describe(n);
}

/* ---- phases on the timeline (sim/core/observe.h) ---- */

/* The workload's phases as the timeline names them; NULL: not a phase of its own. Worker phases
 * follow each other on the node's track; the aggregator's are slices beside them. */
static const char *const wphase_name[W_PHASE_MAX] = {
    [W_PULL] = "pull",
    [W_FWD] = "forward",
    [W_BWD] = "backward + push",
    [W_ARRIVE] = "barrier",
    [W_WAIT] = "barrier",
    [W_SH_RD] = "update (shard read)",
    [W_SH_WR] = "update (shard write)",
    [W_SH_DONE] = "barrier",
    [W_WAIT_REL] = "barrier",
};
static const char *const aphase_name[A_PHASE_MAX] = {
    [A_READ] = "aggregator: read",
    [A_COMPUTE] = "aggregator: update",
    [A_WRITE] = "aggregator: write",
    [A_RELEASE] = "aggregator: release",
};

static void worker_phase(PsNode *n, int phase)
{
    SimTime now = n->c.sim->now;
    if (n->c.track && wphase_name[n->wphase] != wphase_name[phase]) {
        if (wphase_name[n->wphase] != NULL && now > n->wphase_since) {
            sim_track_slice(n->c.track, wphase_name[n->wphase], n->wphase_since, now, n->iter);
        }
        n->wphase_since = now;
    }
    n->wphase = phase;
}

static void agg_phase(PsNode *n, int phase)
{
    SimTime now = n->c.sim->now;
    if (n->c.track && aphase_name[n->aphase] != aphase_name[phase]) {
        if (aphase_name[n->aphase] != NULL && now > n->aphase_since) {
            sim_track_async(n->c.track, aphase_name[n->aphase], n->a_updates, n->aphase_since, now,
                            n->a_iter);
        }
        n->aphase_since = now;
    }
    n->aphase = phase;
}

/* ---- the worker ---- */

static void log_issue(PsNode *n, bool push, uint32_t t, uint64_t out)
{
    if (n->iter == 0 && n->n_issued < 2 * n->n_tensors) {
        n->issued[n->n_issued++] =
            (HostPsIssue){.push = push, .tensor = t, .in_flight = (uint32_t)out};
    }
}

/* Queues the pulls whose recorded predecessors have completed (all of them unless recorded). */
static bool issue_pulls(PsNode *n)
{
    bool moved = false;
    while (n->next_pull < n->n_pull && n->pulls_done >= n->pull_need[n->next_pull]) {
        uint32_t t = n->pull_list[n->next_pull++];
        job_add(n, J_RD, G_PULL, params_addr(n) + n->offset[t], n->p.buffer_base + n->offset[t],
                n->bytes[t], 0);
        n->st.pulls++;
        n->st.pulled_bytes += n->bytes[t];
        uint64_t out = n->next_pull - n->pulls_done;
        n->st.max_pulls_out = out > n->st.max_pulls_out ? out : n->st.max_pulls_out;
        log_issue(n, false, t, out);
        moved = true;
    }
    return moved;
}

/* aggregation: self: the update of the variable read back first, one at a time on the worker's
 * device; then its write. */
static bool self_step(PsNode *n)
{
    SimTime now = n->c.sim->now;
    bool moved = false;
    if (n->self_cur != UINT32_MAX && now >= n->self_done_at) {
        uint32_t t = n->self_cur;
        if (n->p.functional) {
            self_apply(n, t);
        }
        job_add(n, J_WR, G_SELF_WR, params_addr(n) + n->offset[t], n->p.buffer_base + n->offset[t],
                n->bytes[t], 0);
        n->self_cur = UINT32_MAX;
        moved = true;
    }
    if (n->self_cur == UINT32_MAX && n->self_head < n->self_tail) {
        uint32_t t = n->self_q[n->self_head++];
        n->self_cur = t;
        SimTime u =
            n->push_bytes > 0
                ? (SimTime)llround((double)n->upd * (double)n->bytes[t] / (double)n->push_bytes)
                : 0;
        n->self_done_at = now + u;
        n->st.self_update += u;
        moved = true;
    }
    return moved;
}

/* The worker's next instant of its own (compute ending, a gradient ready, an update done), or
 * NO_TIME; completions wake it by themselves. */
static SimTime worker_next(const PsNode *n)
{
    SimTime next = NO_TIME;
    if (n->wphase == W_FWD) {
        next = n->t_fwd_end;
    } else if (n->wphase == W_BWD) {
        if (n->next_push < n->n_push && n->pushes_done >= n->push_need[n->next_push]) {
            next = n->t_bwd_start + n->ready[n->next_push];
        } else if (n->next_push == n->n_push) {
            next = n->t_bwd_start + n->bwd;
        }
        if (n->self_cur != UINT32_MAX && n->self_done_at < next) {
            next = n->self_done_at;
        }
    }
    return next;
}

static void worker_start_iter(PsNode *n)
{
    SimTime now = n->c.sim->now;
    if (n->iter >= n->iters) {
        worker_phase(n, W_DONE);
        return;
    }
    if (!load_worker_iter(n, n->iter)) {
        return;
    }
    n->t_start = now;
    if (n->st.iterations == 0) {
        n->st.first_start = now;
    }
    n->w_left = n->n_pull;
    issue_pulls(n);
    n->got_reduce = false;
    n->got_release = false;
    n->self_head = 0;
    n->self_tail = 0;
    n->self_cur = UINT32_MAX;
    worker_phase(n, W_PULL);
}

static void worker_released(PsNode *n)
{
    SimTime now = n->c.sim->now;
    SimTime it = now - n->t_start;
    sim_hist_record(&n->st.iteration, it);
    uint32_t h = n->st.iterations < n->iters / 2 ? 0 : 1;
    n->st.sum_half[h] += it;
    n->st.n_half[h]++;
    sim_hist_record(&n->st.barrier_wait, now - n->t_arrive);
    n->st.sum_iter += it;
    n->st.sum_compute += n->fwd + n->bwd;
    n->st.iterations++;
    n->st.last_done = now;
    n->iter++;
    worker_phase(n, W_START);
}

/* Advances the worker as far as it can go at this instant; true if anything changed. */
static bool worker_step(PsNode *n)
{
    SimTime now = n->c.sim->now;
    uint32_t me = (uint32_t)n->p.worker;
    bool polling = n->p.barrier == BAR_POLLING;
    switch (n->wphase) {
    case W_START:
        if (n->ib && now < n->p.net_start) {
            return false; /* the connections are being set up: docs/models/ps-server.md */
        }
        worker_start_iter(n);
        return true;
    case W_PULL:
        if (n->w_left > 0) {
            return issue_pulls(n);
        }
        n->t_fwd_end = now + n->fwd;
        worker_phase(n, W_FWD);
        return true;
    case W_FWD:
        if (now < n->t_fwd_end) {
            return false;
        }
        n->t_bwd_start = n->t_fwd_end;
        n->w_left = n->n_push;
        worker_phase(n, W_BWD);
        return true;
    case W_BWD: {
        bool moved = n->self && self_step(n);
        while (n->next_push < n->n_push && n->t_bwd_start + n->ready[n->next_push] <= now &&
               n->pushes_done >= n->push_need[n->next_push]) {
            uint32_t t = n->push_list[n->next_push++];
            if (n->p.functional) {
                write_gradient(n, n->iter, t);
            }
            if (n->self) {
                /* read the variable back into the worker's copy: updated there, written back */
                job_add(n, J_RD, G_SELF_RD, params_addr(n) + n->offset[t],
                        n->p.buffer_base + n->offset[t], n->bytes[t], 0);
            } else {
                job_add(n, J_WR, G_PUSH, slot_addr(n, me) + n->offset[t],
                        n->p.buffer_base + n->S + n->offset[t], n->bytes[t], 0);
            }
            n->st.pushes++;
            n->st.pushed_bytes += n->bytes[t];
            uint64_t out = n->next_push - n->pushes_done;
            n->st.max_pushes_out = out > n->st.max_pushes_out ? out : n->st.max_pushes_out;
            log_issue(n, true, t, out);
            moved = true;
        }
        if (n->next_push < n->n_push || now < n->t_bwd_start + n->bwd || n->w_left > 0) {
            return moved;
        }
        worker_phase(n, W_ARRIVE);
        return true;
    }
    case W_ARRIVE:
        n->t_arrive = now;
        if (n->self && n->p.sync == SYNC_ASYNC) {
            worker_released(n); /* nothing to wait for: the worker wrote its own updates */
            return true;
        }
        if (polling && n->self) {
            job_add(n, J_ST, G_FLAG, n->p.ps_base + PS_FLAG_ARRIVE + 64u * me, 0, 8, n->iter + 1);
            poll_start(n, &n->wpoll, n->p.ps_base + PS_FLAG_ARRIVE, n->workers, false);
        } else if (polling) {
            job_add(n, J_ST, G_FLAG, n->p.ps_base + PS_FLAG_ARRIVE + 64u * me, 0, 8, n->iter + 1);
            if (n->p.aggregation == AGG_SHARDED) {
                poll_start(n, &n->wpoll, n->p.ps_base + PS_FLAG_ARRIVE, n->workers, false);
            } else {
                poll_start(n, &n->wpoll, n->p.ps_base + PS_FLAG_RELEASE + 64u * me, 1, false);
            }
        } else if (n->ib) {
            net_arrive(n);
        } else {
            out_msg(n, PS_MSG_ARRIVE, (uint16_t)me, n->iter);
        }
        worker_phase(n, W_WAIT);
        return true;
    case W_WAIT:
        if (n->p.aggregation == AGG_SHARDED) {
            bool go = polling ? !n->wpoll.active : n->got_reduce;
            if (!go) {
                return false;
            }
            uint64_t lo, hi;
            shard(n, me, &lo, &hi);
            n->w_left = n->workers;
            for (uint32_t w = 0; w < n->workers; w++) {
                job_add(n, J_RD, G_SH_RD, slot_addr(n, w) + lo, host_agg_slot(n, w) + lo, hi - lo,
                        0);
            }
            worker_phase(n, W_SH_RD);
            return true;
        }
        if (polling ? n->wpoll.active : !n->got_release) {
            return false;
        }
        worker_released(n);
        return true;
    case W_SH_RD: {
        if (n->w_left > 0) {
            return false;
        }
        uint64_t lo, hi;
        shard(n, me, &lo, &hi);
        if (n->p.functional) {
            apply_update(n, n->p.buffer_base, lo, hi, PS_NO_WORKER);
        }
        n->w_left = 1;
        job_add(n, J_WR, G_SH_WR, params_addr(n) + lo, n->p.buffer_base + lo, hi - lo, 0);
        worker_phase(n, W_SH_WR);
        return true;
    }
    case W_SH_WR:
        if (n->w_left > 0) {
            return false;
        }
        worker_phase(n, W_SH_DONE);
        return true;
    case W_SH_DONE:
        if (polling) {
            job_add(n, J_ST, G_FLAG, n->p.ps_base + PS_FLAG_REDUCED + 64u * me, 0, 8, n->iter + 1);
            poll_start(n, &n->wpoll, n->p.ps_base + PS_FLAG_REDUCED, n->workers, false);
        } else {
            out_msg(n, PS_MSG_REDUCED, (uint16_t)me, n->iter);
        }
        worker_phase(n, W_WAIT_REL);
        return true;
    case W_WAIT_REL:
        if (polling ? n->wpoll.active : !n->got_release) {
            return false;
        }
        worker_released(n);
        return true;
    default:
        return false;
    }
}

/* ---- the aggregator ---- */

static void agg_begin(PsNode *n, uint32_t iter, uint32_t worker)
{
    n->a_iter = iter;
    n->a_worker = worker;
    n->a_t0 = n->c.sim->now;
    SimTime ut = 0;
    if (!load_update_time(n, iter, &ut)) {
        return;
    }
    if (worker != PS_NO_WORKER) {
        ut /= n->workers; /* async: one worker's share of the recorded update */
    }
    n->a_done_at = ut; /* the duration for now; made a time when the reads are done */
    n->a_left = 1;
    job_add(n, J_RD, G_AGG_RD, params_addr(n), n->p.buffer_base + 2 * n->S, n->S, 0);
    for (uint32_t w = 0; w < n->workers; w++) {
        if (worker != PS_NO_WORKER && w != worker) {
            continue;
        }
        n->a_left++;
        job_add(n, J_RD, G_AGG_RD, slot_addr(n, w), host_agg_slot(n, w), n->S, 0);
        n->st.agg_read_bytes += n->S;
    }
    n->st.agg_read_bytes += n->S;
    agg_phase(n, A_READ);
}

static bool agg_step(PsNode *n)
{
    Sim *sim = n->c.sim;
    SimTime now = sim->now;
    bool polling = n->p.barrier == BAR_POLLING;
    bool async = n->p.sync == SYNC_ASYNC;
    switch (n->aphase) {
    case A_IDLE: {
        if (n->a_updates >= n->a_total) {
            agg_phase(n, A_DONE);
            return true;
        }
        if (polling) {
            if (!n->apoll.active) {
                poll_start(n, &n->apoll, n->p.ps_base + PS_FLAG_ARRIVE, n->workers, async);
                return true;
            }
            if (n->apoll.k < n->apoll.count && !(async && n->apoll.hit >= 0)) {
                return false;
            }
            uint32_t w = async ? (uint32_t)n->apoll.hit : PS_NO_WORKER;
            n->apoll.active = false;
            agg_begin(n, async ? n->a_next[w] : n->a_iter, w);
            return true;
        }
        SimPacket *pkt = n->sync_in != NULL ? sim_port_peek(n->sync_in) : NULL;
        if (pkt == NULL || pkt->type != PS_MSG_UPDATE) {
            return false;
        }
        uint32_t iter = (uint32_t)pkt->addr;
        uint32_t w = pkt->src;
        sim_port_pop(n->sync_in);
        sim_packet_free(sim, pkt);
        agg_begin(n, iter, w);
        return true;
    }
    case A_READ:
        if (n->a_left > 0) {
            return false;
        }
        n->a_done_at = now + n->a_done_at;
        agg_phase(n, A_COMPUTE);
        return true;
    case A_COMPUTE:
        if (now < n->a_done_at) {
            return false;
        }
        if (n->p.functional) {
            apply_update(n, n->p.buffer_base + 2 * n->S, 0, n->S, n->a_worker);
        }
        n->a_left = 1;
        job_add(n, J_WR, G_AGG_WR, params_addr(n), n->p.buffer_base + 2 * n->S, n->S, 0);
        n->st.agg_write_bytes += n->S;
        agg_phase(n, A_WRITE);
        return true;
    case A_WRITE:
        if (n->a_left > 0) {
            return false;
        }
        sim_hist_record(&n->st.update, now - n->a_t0);
        n->st.updates++;
        n->a_updates++;
        if (polling) {
            for (uint32_t w = 0; w < n->workers; w++) {
                if (n->a_worker != PS_NO_WORKER && w != n->a_worker) {
                    continue;
                }
                job_add(n, J_ST, G_FLAG, n->p.ps_base + PS_FLAG_RELEASE + 64u * w, 0, 8,
                        n->a_iter + 1);
            }
            if (async) {
                n->a_next[n->a_worker]++;
            }
        } else {
            out_msg(n, PS_MSG_UPDATED, (uint16_t)n->a_worker, n->a_iter);
        }
        if (!async) {
            n->a_iter++;
        }
        agg_phase(n, A_IDLE);
        return true;
    default:
        return false;
    }
}

/* ---- completions, pollers, messages ---- */

static void job_done(PsNode *n, int grp, uint64_t value, uint64_t mb)
{
    switch (grp) {
    case G_PULL:
        n->pulls_done++;
        n->w_left--;
        break;
    case G_PUSH:
    case G_SELF_WR:
        n->pushes_done++;
        n->w_left--;
        break;
    case G_SELF_RD:
        n->self_q[n->self_tail++] = tensor_at(n, mb - params_addr(n));
        break;
    case G_SH_RD:
    case G_SH_WR:
        n->w_left--;
        break;
    case G_AGG_RD:
    case G_AGG_WR:
        n->a_left--;
        break;
    case G_WPOLL:
    case G_APOLL: {
        Poller *pl = grp == G_WPOLL ? &n->wpoll : &n->apoll;
        pl->inflight = false;
        uint64_t need;
        if (grp == G_WPOLL) {
            need = n->iter + 1;
        } else if (pl->any) {
            need = n->a_next[pl->k] + 1;
        } else {
            need = n->a_iter + 1;
        }
        bool ok = value >= need;
        if (pl->any) {
            if (ok && n->a_next[pl->k] < n->iters) {
                pl->hit = (int32_t)pl->k;
                pl->k = pl->count; /* stop polling */
                return;
            }
            pl->k = (pl->k + 1) % pl->count;
            pl->at = n->c.sim->now + n->p.poll_interval;
            return;
        }
        if (ok) {
            pl->k++;
            pl->at = n->c.sim->now;
            if (pl->k == pl->count) {
                pl->active = grp == G_APOLL; /* the aggregator's step clears its own */
            }
        } else {
            pl->at = n->c.sim->now + n->p.poll_interval;
        }
        break;
    }
    default:
        break;
    }
}

/* Queues the poller's next load when it is due. */
static bool poll_step(PsNode *n, Poller *pl, int grp)
{
    if (!pl->active || pl->inflight || pl->k >= pl->count || (pl->any && pl->hit >= 0) ||
        n->c.sim->now < pl->at) {
        return false;
    }
    pl->inflight = true;
    job_add(n, J_LD, grp, pl->base + 64u * pl->k, 0, 8, 0);
    return true;
}

static void take_messages(PsNode *n)
{
    Sim *sim = n->c.sim;
    SimPacket *pkt;
    while (n->sync_in != NULL && (pkt = sim_port_peek(n->sync_in)) != NULL) {
        if (pkt->type == PS_MSG_UPDATE) {
            return; /* the aggregator takes it when it is idle */
        }
        if (pkt->type == PS_MSG_REDUCE) {
            n->got_reduce = true;
        } else if (pkt->type == PS_MSG_RELEASE) {
            n->got_release = true;
        }
        sim_port_pop(n->sync_in);
        sim_packet_free(sim, pkt);
    }
}

static SimCycle ps_tick(SimComponent *c, SimCycle now)
{
    PsNode *n = (PsNode *)c;
    Sim *sim = c->sim;
    if (!n->hello_sent && n->p.barrier == BAR_IDEAL && !n->ib &&
        (n->sync_out != NULL || !(n->self && n->p.sync == SYNC_ASYNC))) {
        n->hello_sent = true;
        out_msg(n, PS_MSG_HELLO, n->p.worker >= 0 ? (uint16_t)n->p.worker : PS_NO_WORKER, 0);
    }
    SimPacket *pkt;
    while ((pkt = sim_port_peek(n->resp)) != NULL) {
        sim_port_pop(n->resp);
        uint32_t tag = pkt->tag;
        uint64_t value = 0;
        if (pkt->payload != NULL) {
            for (int b = 0; b < 8 && b < (int)pkt->payload->size; b++) {
                value |= (uint64_t)pkt->payload->data[b] << (8 * b);
            }
            sim_payload_unref(&sim->pool, pkt->payload);
            pkt->payload = NULL;
        }
        sim_packet_free(sim, pkt);
        /* Slot tags are below `outstanding`; the drivers' own writes carry their flags. */
        if ((tag & (HOST_DMA_CTRL_TAG | HOST_VERBS_CTRL_TAG)) == 0) {
            if (tag >= n->p.outstanding || !n->slots[tag].used) {
                sim_fail(sim, "instance '%s': response for no request (tag %u)", c->name, tag);
                return SIM_SLEEP;
            }
            complete_piece(n, tag, value);
        }
    }
    while ((pkt = sim_port_peek(n->notify)) != NULL) {
        sim_port_pop(n->notify);
        uint64_t addr = pkt->addr;
        if (pkt->payload != NULL) {
            sim_payload_unref(&sim->pool, pkt->payload);
            pkt->payload = NULL;
        }
        sim_packet_free(sim, pkt);
        if (n->ib) {
            if (ps_net_completion(&n->net, addr) < 0) {
                return SIM_SLEEP;
            }
            continue;
        }
        int32_t s = host_dma_status(&n->dma, addr);
        if (s == -2) {
            return SIM_SLEEP;
        }
        if (s >= 0) {
            complete_piece(n, (uint32_t)s, 0);
        }
    }
    /* Every state machine goes as far as it can at this instant. */
    bool moved = true;
    while (moved && !sim->failed) {
        moved = false;
        take_messages(n);
        if (n->ib) {
            /* Message jobs issue nothing on req themselves: start all the slots allow. */
            while (!sim_ring_empty(&n->jobr) && n->n_used < n->slot_cap && !sim->failed) {
                start_job(n);
                moved = true;
            }
            moved = net_poll(n) || moved;
        }
        if (n->p.worker >= 0) {
            moved = worker_step(n) || moved;
            moved = poll_step(n, &n->wpoll, G_WPOLL) || moved;
        }
        if (n->p.aggregator) {
            moved = agg_step(n) || moved;
            moved = poll_step(n, &n->apoll, G_APOLL) || moved;
        }
    }
    if (sim->failed) {
        return SIM_SLEEP;
    }
    if (n->ib) {
        if (!ps_net_step(&n->net)) {
            return SIM_SLEEP;
        }
        if (host_verbs_ready(&n->verbs) && sim_port_can_push(n->req) &&
            host_verbs_step(&n->verbs) == HOST_VERBS_STEP_FAILED) {
            return SIM_SLEEP;
        }
        if (sim->failed) {
            return SIM_SLEEP;
        }
        if (host_verbs_ready(&n->verbs) && sim_port_can_push(n->req)) {
            return now + 1;
        }
        SimTime next = net_next(n);
        if (n->wphase == W_START && sim->now < n->p.net_start && n->p.net_start < next) {
            next = n->p.net_start;
        }
        SimTime b = worker_next(n);
        next = b < next ? b : next;
        if (next == NO_TIME) {
            return SIM_SLEEP;
        }
        SimCycle at = sim_domain_cycle_at_or_after(c->domain, next);
        return at > now ? at : now + 1;
    }
    /* One request a cycle towards the root complex, one message a cycle to the barrier. */
    if (sim_port_can_push(n->req)) {
        if (n->dma.cur >= 0) {
            describe(n);
        } else if (!sim_ring_empty(&n->jobr) && n->n_used < n->slot_cap) {
            start_job(n);
        }
    }
    if (!sim_ring_empty(&n->outr) && n->sync_out != NULL && sim_port_can_push(n->sync_out)) {
        SimPacket *m = sim_packet_new(sim);
        if (m != NULL) {
            uint32_t k = sim_ring_pop(&n->outr);
            m->type = n->outq[k].type;
            m->src = n->outq[k].worker;
            m->addr = n->outq[k].iter;
            m->len = n->workers;
            m->flags =
                (uint16_t)((n->p.aggregator ? PS_F_AGGREGATOR : 0) |
                           (n->p.aggregation == AGG_SHARDED ? PS_F_SHARDED : 0) |
                           (n->p.sync == SYNC_ASYNC ? PS_F_ASYNC : 0) | (n->self ? PS_F_SELF : 0));
            m->stamp[SIM_STAMP_CREATE] = sim->now;
            m->stamp[SIM_STAMP_INJECT] = sim->now;
            sim_port_push(n->sync_out, m);
        }
    } else if (!sim_ring_empty(&n->outr) && n->sync_out == NULL) {
        sim_fail(sim,
                 "instance '%s': barrier: ideal needs sync_out and sync_in connected to a "
                 "ps.barrier",
                 c->name);
        return SIM_SLEEP;
    }
    if (sim->failed) {
        return SIM_SLEEP;
    }
    /* Next: another push, or the earliest timer; inputs wake us by themselves. */
    SimTime next = NO_TIME;
    bool req_work = !sim_ring_empty(&n->jobr) && n->n_used < n->slot_cap;
    if (n->dma.cur >= 0) {
        req_work = host_dma_ready(&n->dma); /* else a notify frees a descriptor ID and wakes us */
    }
    if ((req_work && sim_port_can_push(n->req)) ||
        (!sim_ring_empty(&n->outr) && n->sync_out != NULL && sim_port_can_push(n->sync_out))) {
        return now + 1;
    }
    if (n->p.worker >= 0) {
        next = worker_next(n);
        if (n->wpoll.active && !n->wpoll.inflight && n->wpoll.k < n->wpoll.count &&
            n->wpoll.at < next) {
            next = n->wpoll.at;
        }
    }
    if (n->p.aggregator) {
        if (n->aphase == A_COMPUTE && n->a_done_at < next) {
            next = n->a_done_at;
        }
        const Poller *pl = &n->apoll;
        if (pl->active && !pl->inflight && pl->k < pl->count && !(pl->any && pl->hit >= 0) &&
            pl->at < next) {
            next = pl->at;
        }
    }
    if (next == NO_TIME) {
        return SIM_SLEEP;
    }
    SimCycle at = sim_domain_cycle_at_or_after(c->domain, next);
    return at > now ? at : now + 1;
}

/* Holding work means memory transfers or messages under way. A node that computes (it is on a
 * timer, so the run goes on) or waits at the barrier holds none: a compute phase far longer than
 * sim.watchdog is no hang. The price: a topology missing a worker ends quietly with fewer
 * `iterations` than the trace has, instead of a watchdog report. */
static bool ps_busy(const SimComponent *c)
{
    const PsNode *n = (const PsNode *)c;
    return n->n_used > 0 || !sim_ring_empty(&n->jobr) || !sim_ring_empty(&n->outr) ||
           (n->ib && (n->n_timers > 0 || !ps_net_idle(&n->net)));
}

static void ps_dump(const SimComponent *c, SimError *report)
{
    const PsNode *n = (const PsNode *)c;
    sim_error_append(report,
                     " (worker phase %d, iteration %u; aggregator phase %d, %llu of %llu updates;"
                     " %u jobs queued, %u in flight)",
                     n->wphase, n->iter, n->aphase, (unsigned long long)n->a_updates,
                     (unsigned long long)n->a_total, n->jobr.count, n->n_used);
}

static void ps_finish(SimComponent *c, SimTime end)
{
    PsNode *n = (PsNode *)c;
    (void)end;
    PsStats *st = &n->st;
    st->comm_share =
        st->sum_iter > 0 ? (double)(st->sum_iter - st->sum_compute) / (double)st->sum_iter : 0.0;
    st->compute_ns = (double)st->sum_compute / 1000.0;
    st->first_start_ns = (double)st->first_start / 1000.0;
    st->train_ns = st->iterations > 0 ? (double)(st->last_done - st->first_start) / 1000.0 : 0.0;
    st->iter_mean_ns =
        st->iterations > 0 ? (double)st->sum_iter / 1000.0 / (double)st->iterations : 0.0;
    for (int h = 0; h < 2; h++) {
        st->half_ns[h] =
            st->n_half[h] > 0 ? (double)st->sum_half[h] / 1000.0 / (double)st->n_half[h] : 0.0;
    }
    st->self_update_ns = (double)st->self_update / 1000.0;
    st->last_done_ns = (double)st->last_done / 1000.0;
}

static void ps_destroy(SimComponent *c)
{
    PsNode *n = (PsNode *)c;
    pstrace_close(n->tw);
    pstrace_close(n->ta);
    free(n->path);
    free(n->offset);
    free(n->bytes);
    free(n->pull_list);
    free(n->push_list);
    free(n->ready);
    free(n->pull_need);
    free(n->push_need);
    free(n->rec_start);
    free(n->rec_end);
    free(n->self_q);
    free(n->issued);
    free(n->a_next);
    free(n->jobs);
    free(n->slots);
    free(n->scratch);
    ps_net_destroy(&n->net); /* zeroed when the node has no transport: nothing to free */
    free(n->cpu_free);
    free(n->timers);
    free(n->slot_tensor);
    sim_hist_destroy(&n->st.iteration);
    sim_hist_destroy(&n->st.barrier_wait);
    sim_hist_destroy(&n->st.update);
}

static const SimComponentOps ps_ops = {
    .tick = ps_tick,
    .finish = ps_finish,
    .busy = ps_busy,
    .dump = ps_dump,
    .destroy = ps_destroy,
};

bool host_ps_map(const SimComponent *c, HostPsMap *map)
{
    if (c == NULL || c->ops != &ps_ops) {
        return false;
    }
    const PsNode *n = (const PsNode *)c;
    *map = (HostPsMap){.ps_base = n->p.ps_base,
                       .params = params_addr(n),
                       .slot_bytes = n->S,
                       .workers = n->workers,
                       .n_tensors = n->n_tensors,
                       .offset = n->offset,
                       .bytes = n->bytes,
                       .buffer_base = n->p.buffer_base};
    return true;
}

int64_t host_ps_issued(const SimComponent *c, HostPsIssue *out, size_t max)
{
    if (c == NULL || c->ops != &ps_ops) {
        return -1;
    }
    const PsNode *n = (const PsNode *)c;
    for (size_t k = 0; k < n->n_issued && k < max; k++) {
        out[k] = n->issued[k];
    }
    return n->n_issued;
}

/* ---- parameters ---- */

#define P(f) offsetof(PsParams, f)

static const char *const memory_kind[] = {"memory", NULL};

static const SimParamDesc ps_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "pcie", NULL, NULL, NULL,
     "clock the node issues requests in"},
    {"trace", SIM_PARAM_PATH, P(trace), NULL, NULL, NULL, NULL,
     "parameter-server trace, text or binary, plain or gzip (traces/FORMAT.md)"},
    {"worker", SIM_PARAM_INT, P(worker), "-1", "-1", "63", NULL,
     "the trace's worker this node replays; -1: none (an aggregator only)"},
    {"aggregator", SIM_PARAM_BOOL, P(aggregator), "false", NULL, NULL, NULL,
     "this node holds the MemBox and applies the updates (aggregation: membox_host)"},
    {"sync", SIM_PARAM_ENUM, P(sync), "async", NULL, NULL, sync_names,
     "async (TensorFlow's default): each worker goes on once its own updates are applied; "
     "bsp: every worker waits for the updates of all"},
    {"aggregation", SIM_PARAM_ENUM, P(aggregation), "self", NULL, NULL, agg_names,
     "who applies the updates: self: each worker reads the variable, updates it and writes it "
     "back (the paper's MemBox, no server software); membox_host: the MemBox host; sharded: "
     "each worker its slice"},
    {"barrier", SIM_PARAM_ENUM, P(barrier), "ideal", NULL, NULL, bar_names,
     "ideal: messages through a ps.barrier; polling: flag stores and PIO polling"},
    {"compute", SIM_PARAM_ENUM, P(compute), "recorded", NULL, NULL, compute_names,
     "compute time: as recorded, scaled by compute_scale, or fixed at compute_time"},
    {"compute_scale", SIM_PARAM_REAL, P(compute_scale), "1", "0", "1000000", NULL,
     "compute: scaled: factor on the recorded compute and update times"},
    {"compute_time", SIM_PARAM_TIME, P(compute_time), "0", "0", NULL, NULL,
     "compute: fixed: forward + backward per iteration"},
    {"update_time", SIM_PARAM_TIME, P(update_time), "0", "0", NULL, NULL,
     "compute: fixed: the aggregator's update per iteration"},
    {"iterations", SIM_PARAM_UINT, P(iterations), "0", "0", "4294967295", NULL,
     "iterations per node (the fixed work measured); 0: the trace's (but its warm-up ones, when "
     "skipped); more than the trace has replays its measured iterations in a cycle"},
    {"warmup", SIM_PARAM_STRING, P(warmup), "skip", NULL, NULL, NULL,
     "the trace's iterations left out of the replay: skip: those a version 2 trace marks as "
     "warm-up; replay: none; N: the first N (a version 1 recording's cold first iteration)"},
    {"compute_clock", SIM_PARAM_ENUM, P(compute_clock), "auto", NULL, NULL, clock_names,
     "compute and update times: auto: the CPU time a version 2 trace gives, else the wall "
     "time; wall: always the wall time"},
    {"concurrency", SIM_PARAM_STRING, P(concurrency), "recorded", NULL, NULL, NULL,
     "recorded: pulls and pushes in the trace's order with as many in flight as recorded; "
     "1..127: pulls all at the iteration's start, pushes at grad_ready, at most this many in "
     "flight"},
    {"compute_factor", SIM_PARAM_REAL, P(compute_factor), "1", "0", "1000000", NULL,
     "factor on the recorded compute and update times (the target device's speed against the "
     "recording's: 0.05 makes a CPU recording 20 times faster)"},
    {"workers", SIM_PARAM_UINT, P(workers), "0", "0", "64", NULL,
     "workers of the job (gradient slots, the barrier's count); 0: the trace's; node k replays "
     "the trace's worker k mod its workers"},
    {"functional", SIM_PARAM_BOOL, P(functional), "true", NULL, NULL, NULL,
     "write real gradient bytes and compute the update on them"},
    {"ps_base", SIM_PARAM_UINT, P(ps_base), "0", NULL, NULL, NULL,
     "MemBox address of the parameter-server region (4 KiB aligned)"},
    {"poll_interval", SIM_PARAM_TIME, P(poll_interval), "1us", "0", NULL, NULL,
     "barrier: polling: from a flag load that did not match to the next"},
    {"outstanding", SIM_PARAM_UINT, P(outstanding), "16", "1", "127", NULL,
     "transfers in flight at once"},
    {"window", SIM_PARAM_BYTES, P(window), "4GiB", "4KiB", "1TiB", NULL,
     "size of the MemBox memory: the region must fit"},
    HOST_DMA_ADDRESS_PARAMS(P),
    {"buffer_base", SIM_PARAM_UINT, P(buffer_base), "0x100000", NULL, NULL, NULL,
     "host buffer: parameters, gradients, the aggregator's copies"},
    {"buffer_size", SIM_PARAM_BYTES, P(buffer_size), "48MiB", "4KiB", "64GiB", NULL,
     "size of the host buffer (inside the host memory)"},
    {"desc_max", SIM_PARAM_BYTES, P(desc_max), "512KiB", "4B", "1048572B", NULL,
     "bytes per DMA descriptor at most"},
    {"src", SIM_PARAM_UINT, P(src), "0", "0", "65535", NULL, "node id written into each request"},
    {"memory", SIM_PARAM_OBJECT, P(memory), "", NULL, NULL, memory_kind,
     "the node's host memory (its host.memory instance, as its pcie.rc's); functional needs it"},
    {"transport", SIM_PARAM_ENUM, P(transport), "membox", NULL, NULL, transport_names,
     "membox: DMA to MemBox memory; grpc, verbs: messages to a ps.server over the node's HCA"},
    {"cores", SIM_PARAM_UINT, P(cores), "8", "1", "256", NULL,
     "grpc, verbs: CPU cores handling the node's messages"},
    {"grpc_msg", SIM_PARAM_TIME, P(grpc_msg), "20us", "0", "1s", NULL,
     "grpc: CPU time per message"},
    {"grpc_rate", SIM_PARAM_BITRATE, P(grpc_rate), "5.744Gbps", "1Mbps", "10Tbps", NULL,
     "grpc: bytes a core moves through the stack per second (718 MB/s)"},
    {"verbs_msg", SIM_PARAM_TIME, P(verbs_msg), "3us", "0", "1s", NULL,
     "verbs: CPU time per message"},
    {"header", SIM_PARAM_BYTES, P(header), "128B", "40B", "4KiB", NULL,
     "grpc, verbs: bytes of a message's header (as the server's)"},
    {"seg", SIM_PARAM_BYTES, P(seg), "65520B", "256B", "65520B", NULL,
     "grpc: bytes of a TCP segment on IPoIB at most (connected-mode MTU)"},
    {"net_window", SIM_PARAM_UINT, P(net_window), "8", "1", "128", NULL,
     "grpc, verbs: segments or headers in flight (as the server's)"},
    {"net_area", SIM_PARAM_UINT, P(net_area), "0x200000", NULL, NULL, NULL,
     "grpc, verbs: host address of the transport's send and receive slots"},
    {"net_start", SIM_PARAM_TIME, P(net_start), "10us", "0", "1s", NULL,
     "grpc, verbs: when the first iteration may start (connections set up)"},
    HOST_VERBS_ADDRESS_PARAMS(P),
};

#undef P

static const SimPortDesc ps_ports[] = {
    {"req", SIM_PORT_OUT, false, "mem.h requests to the root complex (cpu_req)"},
    {"resp", SIM_PORT_IN, false, "mem.h responses (cpu_resp)"},
    {"notify", SIM_PORT_IN, false, "status writes reported by the root complex"},
    {"sync_out", SIM_PORT_OUT, true, "barrier: ideal: messages to a ps.barrier"},
    {"sync_in", SIM_PORT_IN, true, "barrier: ideal: messages from the ps.barrier"},
};

/* The warmup key (skip | replay | N) as *out: -1 for the trace's marks, else the iterations to
 * leave out. False with msg. Shared with ps.server (ps_model.h). */
bool host_ps_warmup(const char *v, int64_t *out, char *msg, size_t size)
{
    if (v != NULL && strcmp(v, "skip") == 0) {
        *out = -1;
        return true;
    }
    if (v != NULL && strcmp(v, "replay") == 0) {
        *out = 0;
        return true;
    }
    char *end = NULL;
    unsigned long long k = v != NULL && v[0] >= '0' && v[0] <= '9' ? strtoull(v, &end, 10) : 0;
    if (end == NULL || *end != '\0' || k > UINT32_MAX) {
        snprintf(msg, size,
                 "'%s' is none of skip (the trace's warm-up marks), replay (none) and a number "
                 "of the trace's first iterations to leave out",
                 v != NULL ? v : "");
        return false;
    }
    *out = (int64_t)k;
    return true;
}

/* Reads the header: W, the iterations to replay and the first of them (warm-up left out as
 * host_ps_warmup reads it), the tensors' offsets and S. False with msg. Shared with ps.server
 * (ps_model.h): one reading of the trace's model for both ends. */
bool host_ps_read_model(const char *trace, int64_t warmup, char *msg, size_t size,
                        uint32_t *workers, uint32_t *iters, uint32_t *first, uint32_t *n_tensors,
                        uint64_t *S, uint64_t *offset, uint64_t *bytes)
{
    SimError err;
    sim_error_clear(&err);
    PsTrace *t = pstrace_open(trace, &err);
    if (t == NULL) {
        /* A message longer than msg is cut; its start names the file and the problem. */
        size_t n = strlen(err.msg);
        if (n >= size) {
            n = size - 1;
        }
        memcpy(msg, err.msg, n);
        msg[n] = '\0';
        return false;
    }
    const PsTraceHeader *h = pstrace_header(t);
    *workers = h->workers;
    /* The reader guarantees the marks leave at least one iteration; a number must too. */
    if (warmup >= (int64_t)h->iterations) {
        snprintf(msg, size, "warmup %lld leaves none of the trace's %u iterations",
                 (long long)warmup, h->iterations);
        pstrace_close(t);
        return false;
    }
    *first = warmup < 0 ? h->warmup : (uint32_t)warmup;
    *iters = h->iterations - *first;
    *n_tensors = h->n_tensors;
    uint64_t off = 0;
    for (uint32_t i = 0; i < h->n_tensors; i++) {
        if (offset != NULL) {
            offset[i] = off;
            bytes[i] = h->tensors[i].bytes;
        }
        off += round_up(h->tensors[i].bytes, PS_ALIGN);
    }
    *S = round_up(off, 4096);
    pstrace_close(t);
    return true;
}

/* [a, a + al) and [b, b + bl) overlap */
static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
    return a < b + bl && b < a + al;
}

/* transport: grpc | verbs: the roles and the host memory the transport takes. */
static const char *ps_check_net(const PsParams *p, uint32_t w, uint64_t S, char *msg, size_t size)
{
    if (p->aggregator || p->aggregation == AGG_SHARDED) {
        snprintf(msg, size,
                 "with transport: %s the ps.server applies the updates: no node is the "
                 "aggregator and aggregation is not sharded",
                 transport_names[p->transport]);
        return p->aggregator ? "aggregator" : "aggregation";
    }
    if (p->worker < 0) {
        snprintf(msg, size, "with transport: %s the node is a worker: give worker: N",
                 transport_names[p->transport]);
        return "worker";
    }
    if (p->barrier != BAR_IDEAL) {
        snprintf(msg, size,
                 "with transport: %s the ps.server releases the workers: leave the "
                 "barrier ideal",
                 transport_names[p->transport]);
        return "barrier";
    }
    if (p->seg < p->header + PS_NET_TCPIP + 1) {
        snprintf(msg, size,
                 "%llu bytes cannot carry a %llu-byte header and 44 bytes of TCP/IP and IPoIB "
                 "headers",
                 (unsigned long long)p->seg, (unsigned long long)p->header);
        return "seg";
    }
    (void)w;
    PsNetParams np = {.transport =
                          p->transport == TRANSPORT_GRPC ? PS_TRANSPORT_GRPC : PS_TRANSPORT_VERBS,
                      .window = (uint32_t)p->net_window,
                      .header = (uint32_t)p->header,
                      .seg = (uint32_t)p->seg};
    uint64_t net = ps_net_qp_bytes(&np);
    uint64_t buf = 2 * S;
    if (overlap(p->buffer_base, buf, p->net_area, net) ||
        overlap(p->buffer_base, buf, p->verbs_queues, VERBS_QP_BYTES) ||
        overlap(p->buffer_base, buf, p->verbs_cq, VERBS_CQ_BYTES) ||
        overlap(p->net_area, net, p->verbs_queues, VERBS_QP_BYTES) ||
        overlap(p->net_area, net, p->verbs_cq, VERBS_CQ_BYTES)) {
        snprintf(msg, size,
                 "the host buffer's parameters and gradients [0x%llx, +%llu), the transport's "
                 "slots [0x%llx, +%llu), the verbs rings [0x%llx, +%u) and the CQ [0x%llx, +%u) "
                 "must not overlap",
                 (unsigned long long)p->buffer_base, (unsigned long long)buf,
                 (unsigned long long)p->net_area, (unsigned long long)net,
                 (unsigned long long)p->verbs_queues, VERBS_QP_BYTES,
                 (unsigned long long)p->verbs_cq, VERBS_CQ_BYTES);
        return "net_area";
    }
    return NULL;
}

/* concurrency: "recorded" (0) or a number 1..127. */
static bool host_ps_concurrency(const char *v, uint32_t *out, char *msg, size_t size)
{
    if (v != NULL && strcmp(v, "recorded") == 0) {
        *out = 0;
        return true;
    }
    char *end = NULL;
    unsigned long k = v != NULL && v[0] >= '0' && v[0] <= '9' ? strtoul(v, &end, 10) : 0;
    if (end == NULL || *end != '\0' || k < 1 || k > 127) {
        snprintf(msg, size, "'%s' is neither 'recorded' nor a number of transfers in flight 1..127",
                 v != NULL ? v : "");
        return false;
    }
    *out = (uint32_t)k;
    return true;
}

static const char *ps_check(const void *params, char *msg, size_t size)
{
    const PsParams *p = params;
    if (p->trace == NULL || p->trace[0] == '\0') {
        snprintf(msg, size, "is empty: name a parameter-server trace");
        return "trace";
    }
    if (p->worker < 0 && !p->aggregator) {
        snprintf(msg, size,
                 "the node is neither a worker nor the aggregator: give worker: N "
                 "or aggregator: true");
        return "worker";
    }
    uint32_t conc = 0;
    if (!host_ps_concurrency(p->concurrency, &conc, msg, size)) {
        return "concurrency";
    }
    if (p->compute_factor <= 0.0) {
        snprintf(msg, size, "%g is no speed factor: give one above 0", p->compute_factor);
        return "compute_factor";
    }
    if (p->aggregator && p->aggregation != AGG_MEMBOX_HOST) {
        snprintf(msg, size, "aggregator: true needs aggregation: membox_host (with %s %s)",
                 agg_names[p->aggregation],
                 p->aggregation == AGG_SELF ? "every worker applies its own updates"
                                            : "the workers reduce");
        return "aggregator";
    }
    if (p->sync == SYNC_ASYNC && p->aggregation == AGG_SHARDED) {
        snprintf(msg, size,
                 "sharded aggregation needs sync: bsp (a slice is reduced once "
                 "every worker has pushed)");
        return "aggregation";
    }
    if (p->compute == COMPUTE_SCALED && p->compute_scale <= 0.0) {
        snprintf(msg, size, "compute: scaled needs a factor above 0");
        return "compute_scale";
    }
    if (p->ps_base % 4096 != 0) {
        snprintf(msg, size, "0x%llx is not 4 KiB aligned", (unsigned long long)p->ps_base);
        return "ps_base";
    }
    if (p->desc_max % 4 != 0) {
        snprintf(msg, size, "%llu bytes is not a multiple of 4 (descriptors count DWORDs)",
                 (unsigned long long)p->desc_max);
        return "desc_max";
    }
    uint32_t w, it, first, nt;
    uint64_t S;
    int64_t warm = 0;
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
    uint32_t job = p->workers > 0 ? (uint32_t)p->workers : w;
    if (p->worker >= (int64_t)job) {
        if (p->workers > 0) {
            snprintf(msg, size, "worker %lld is not in the job (workers: %u, so 0..%u)",
                     (long long)p->worker, job, job - 1);
        } else {
            snprintf(msg, size,
                     "worker %lld is not in the trace (workers 0..%u); give workers: N to "
                     "replay the trace's workers on more nodes",
                     (long long)p->worker, w - 1);
        }
        return "worker";
    }
    w = job;
    if (w > PS_MAX_WORKERS) {
        snprintf(msg, size, "the trace has %u workers; at most %u are replayed", w, PS_MAX_WORKERS);
        return "trace";
    }
    if (p->transport != TRANSPORT_MEMBOX) {
        const char *k = ps_check_net(p, w, S, msg, size);
        if (k != NULL) {
            return k;
        }
    }
    uint64_t need = p->ps_base + PS_PARAMS + (uint64_t)(1 + w) * S;
    if (p->transport == TRANSPORT_MEMBOX && need > p->window) {
        snprintf(msg, size,
                 "the parameters and %u gradient slots of %llu bytes need the MemBox memory up "
                 "to 0x%llx, beyond the window (%llu bytes)",
                 w, (unsigned long long)S, (unsigned long long)need, (unsigned long long)p->window);
        return "window";
    }
    bool copies = p->aggregator || p->aggregation == AGG_SHARDED;
    uint64_t host = (copies ? (p->functional ? 3u + w : 4u) : 2u) * S;
    if (host > p->buffer_size) {
        snprintf(msg, size, "%llu bytes is too small: this node needs %llu (docs/workloads.md)",
                 (unsigned long long)p->buffer_size, (unsigned long long)host);
        return "buffer_size";
    }
    return NULL;
}

#define PS_ROW(name_, kind_, field_, unit_, scale_, doc_)                                          \
    SIM_STAT_ROW(name_, kind_, PsNode, st.field_, unit_, scale_, doc_)

static const SimStatDesc ps_stat_rows[] = {
    PS_ROW("iterations", SIM_STAT_COUNTER, iterations, "iterations", 1,
           "iterations completed by the worker"),
    PS_ROW("iteration_ns", SIM_STAT_HIST, iteration, "ns", 1000,
           "iteration time: first pull issued to release"),
    PS_ROW("barrier_wait_ns", SIM_STAT_HIST, barrier_wait, "ns", 1000,
           "arrival at the barrier to release"),
    PS_ROW("comm_share", SIM_STAT_REAL, comm_share, NULL, 1,
           "share of the iteration time not spent computing"),
    PS_ROW("compute_ns", SIM_STAT_REAL, compute_ns, "ns", 1,
           "forward and backward compute replayed"),
    PS_ROW("pushed_bytes", SIM_STAT_COUNTER, pushed_bytes, "B", 1, "gradient bytes pushed"),
    PS_ROW("pulled_bytes", SIM_STAT_COUNTER, pulled_bytes, "B", 1, "parameter bytes pulled"),
    PS_ROW("pushes", SIM_STAT_COUNTER, pushes, "tensors", 1, "gradient tensors pushed"),
    PS_ROW("pulls", SIM_STAT_COUNTER, pulls, "tensors", 1, "parameter tensors pulled"),
    PS_ROW("updates", SIM_STAT_COUNTER, updates, "updates", 1, "updates applied by the aggregator"),
    PS_ROW("update_ns", SIM_STAT_HIST, update, "ns", 1000,
           "aggregator: update request to parameters written"),
    PS_ROW("agg_read_bytes", SIM_STAT_COUNTER, agg_read_bytes, "B", 1,
           "aggregator: bytes read (parameters and slots)"),
    PS_ROW("agg_write_bytes", SIM_STAT_COUNTER, agg_write_bytes, "B", 1,
           "aggregator: parameter bytes written"),
    PS_ROW("flag_stores", SIM_STAT_COUNTER, flag_stores, "stores", 1,
           "barrier: polling: flag stores"),
    PS_ROW("flag_loads", SIM_STAT_COUNTER, flag_loads, "loads", 1, "barrier: polling: flag loads"),
    HOST_DMA_STAT_ROWS(PsNode),
    PS_ROW("train_ns", SIM_STAT_REAL, train_ns, "ns", 1,
           "time for the node's fixed work: first iteration's start to last release"),
    PS_ROW("iter_mean_ns", SIM_STAT_REAL, iter_mean_ns, "ns", 1, "mean iteration time"),
    PS_ROW("half1_iter_ns", SIM_STAT_REAL, half_ns[0], "ns", 1,
           "mean iteration time over the first half of the iterations (steady-state check)"),
    PS_ROW("half2_iter_ns", SIM_STAT_REAL, half_ns[1], "ns", 1,
           "mean iteration time over the second half of the iterations"),
    PS_ROW("warmup", SIM_STAT_COUNTER, warmup, "iterations", 1,
           "the trace's warm-up iterations left out of the replay"),
    PS_ROW("trace_worker", SIM_STAT_COUNTER, trace_worker, "worker", 1,
           "the trace's worker this node replays (its worker mod the trace's workers)"),
    PS_ROW("compute_factor", SIM_STAT_REAL, compute_factor, NULL, 1,
           "factor applied to the recorded compute (the target device's assumption)"),
    PS_ROW("max_pulls_out", SIM_STAT_COUNTER, max_pulls_out, "tensors", 1,
           "most pulls in flight at once"),
    PS_ROW("max_pushes_out", SIM_STAT_COUNTER, max_pushes_out, "tensors", 1,
           "most pushes (self: read, update, write of a variable) in flight at once"),
    PS_ROW("self_update_ns", SIM_STAT_REAL, self_update_ns, "ns", 1,
           "aggregation: self: the worker's update compute"),
    PS_ROW("first_start_ns", SIM_STAT_REAL, first_start_ns, "ns", 1,
           "when the first iteration started"),
    PS_ROW("last_done_ns", SIM_STAT_REAL, last_done_ns, "ns", 1,
           "when the last iteration was released"),
};

#undef PS_ROW

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow ps_stat_roles[] = {
    {"iterations", SIM_STAT_ROLE_WORKLOAD},   {"iteration_ns", SIM_STAT_ROLE_WORKLOAD},
    {"comm_share", SIM_STAT_ROLE_WORKLOAD},   {"train_ns", SIM_STAT_ROLE_WORKLOAD},
    {"trace_worker", SIM_STAT_ROLE_WORKLOAD}, {"compute_factor", SIM_STAT_ROLE_WORKLOAD},
};
static const SimStatTable ps_stats = {ps_stat_rows,  N_OF(ps_stat_rows), NULL, 0,
                                      ps_stat_roles, N_OF(ps_stat_roles)};

/* transport: grpc | verbs: the verbs driver (one QP, to the server), the transport and the
 * node's CPU. */
static bool ps_build_net(PsNode *n, const char *name, SimError *err)
{
    if (n->mem == NULL) {
        return sim_error_set(err, SIM_ERR_INPUT,
                             "instance '%s': key 'memory': transport: %s needs the node's host "
                             "memory (the host.memory instance its pcie.rc uses)",
                             name, transport_names[n->p.transport]);
    }
    int tr = n->p.transport == TRANSPORT_GRPC ? PS_TRANSPORT_GRPC : PS_TRANSPORT_VERBS;
    PsNetParams np = {.transport = tr,
                      .qps = 1,
                      .header = (uint32_t)n->p.header,
                      .seg = (uint32_t)n->p.seg,
                      .window = (uint32_t)n->p.net_window,
                      .msgs = 2 * n->n_tensors + 4,
                      .area = n->p.net_area,
                      .functional = n->p.functional};
    if (!sim_mem_contains(n->mem, n->p.net_area, ps_net_qp_bytes(&np)) ||
        !sim_mem_contains(n->mem, n->p.verbs_queues, VERBS_QP_BYTES) ||
        !sim_mem_contains(n->mem, n->p.verbs_cq, VERBS_CQ_BYTES)) {
        return sim_error_set(err, SIM_ERR_INPUT,
                             "instance '%s': key 'memory': the host memory [0x%llx, +%llu) must "
                             "hold the transport's slots at 0x%llx, the verbs rings at 0x%llx "
                             "and the CQ at 0x%llx",
                             name, (unsigned long long)n->mem->base,
                             (unsigned long long)n->mem->size, (unsigned long long)n->p.net_area,
                             (unsigned long long)n->p.verbs_queues,
                             (unsigned long long)n->p.verbs_cq);
    }
    if (sim_mem_contains(n->mem, n->p.hca_bar, VERBS_BAR_SIZE)) {
        return sim_error_set(err, SIM_ERR_INPUT,
                             "instance '%s': key 'hca_bar': the HCA's doorbell page at 0x%llx lies "
                             "inside the host memory [0x%llx, +%llu): doorbells would land in "
                             "memory",
                             name, (unsigned long long)n->p.hca_bar,
                             (unsigned long long)n->mem->base, (unsigned long long)n->mem->size);
    }
    n->cost = (PsTransportCost){.transport = tr,
                                .grpc_msg = n->p.grpc_msg,
                                .grpc_rate = n->p.grpc_rate / 8.0,
                                .verbs_msg = n->p.verbs_msg};
    n->timer_cap = 2 * (uint32_t)n->p.outstanding + 8;
    n->cpu_free = calloc(n->p.cores, sizeof(*n->cpu_free));
    n->timers = calloc(n->timer_cap, sizeof(*n->timers));
    n->slot_tensor = malloc(n->p.outstanding * sizeof(*n->slot_tensor));
    if (n->cpu_free == NULL || n->timers == NULL || n->slot_tensor == NULL) {
        return sim_error_oom(err, name);
    }
    for (uint64_t s = 0; s < n->p.outstanding; s++) {
        n->slot_tensor[s] = UINT32_MAX;
    }
    host_verbs_init(&n->verbs, &n->c, &n->req, n->mem, n->p.hca_bar, n->p.verbs_queues,
                    n->p.verbs_cq, 1, (uint16_t)n->p.src);
    if (!ps_net_init(&n->net, &np, &n->verbs, n->mem)) {
        return sim_error_oom(err, name);
    }
    n->ib = true;
    return true;
}

static bool ps_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const PsParams *pp = params;
    char msg[1024];
    /* Functional data live in the node's host memory, which the buffer must fit in. */
    if (pp->functional && pp->memory == NULL) {
        return sim_error_set(err, SIM_ERR_INPUT,
                             "instance '%s': key 'memory': functional: true needs the node's host "
                             "memory (the host.memory instance its pcie.rc uses)",
                             name);
    }
    if (pp->functional && !sim_mem_contains(pp->memory, pp->buffer_base, pp->buffer_size)) {
        return sim_error_set(
            err, SIM_ERR_INPUT,
            "instance '%s': key 'buffer_size': the host buffer [0x%llx, +%llu) is "
            "not inside the host memory [0x%llx, +%llu)",
            name, (unsigned long long)pp->buffer_base, (unsigned long long)pp->buffer_size,
            (unsigned long long)pp->memory->base, (unsigned long long)pp->memory->size);
    }
    PsNode *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        return sim_error_oom(err, name);
    }
    n->p = *pp;
    n->mem = pp->memory;
    n->path = strdup(pp->trace);
    if (!host_ps_warmup(pp->warmup, &n->warm, msg, sizeof(msg))) {
        sim_error_set(err, SIM_ERR_INPUT, "instance '%s': key 'warmup': %s", name, msg);
        free(n->path);
        free(n);
        return false;
    }
    if (n->path == NULL) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    n->p.trace = n->path;
    uint32_t nt = 0;
    if (!host_ps_read_model(n->p.trace, n->warm, msg, sizeof(msg), &n->workers, &n->iters,
                            &n->first, &nt, &n->S, NULL, NULL)) {
        sim_error_set(err, SIM_ERR_INPUT, "instance '%s': key 'trace': %s", name, msg);
        goto fail_parts;
    }
    n->n_tensors = nt;
    n->t_workers = n->workers;
    if (n->p.workers > 0) {
        n->workers = (uint32_t)n->p.workers;
    }
    n->me_t = n->p.worker >= 0 ? (uint32_t)n->p.worker % n->t_workers : 0;
    n->m_iters = n->iters;
    if (n->p.iterations > 0) {
        n->iters = n->p.iterations > UINT32_MAX ? UINT32_MAX : (uint32_t)n->p.iterations;
    }
    if (!host_ps_concurrency(n->p.concurrency, &n->conc, msg, sizeof(msg))) {
        sim_error_set(err, SIM_ERR_INPUT, "instance '%s': key 'concurrency': %s", name, msg);
        goto fail_parts;
    }
    n->slot_cap = (uint32_t)n->p.outstanding;
    if (n->conc > 0 && n->conc < n->slot_cap) {
        n->slot_cap = n->conc;
    }
    n->self = n->p.aggregation == AGG_SELF && n->p.transport == TRANSPORT_MEMBOX;
    n->self_cur = UINT32_MAX;
    n->st.warmup = n->first;
    n->st.trace_worker = n->me_t;
    n->st.compute_factor = n->p.compute_factor;
    sim_ring_init(&n->jobr, 2 * nt + 4 * n->workers + 16);
    sim_ring_init(&n->outr, OUTQ);
    n->offset = calloc(nt, sizeof(*n->offset));
    n->bytes = calloc(nt, sizeof(*n->bytes));
    n->pull_list = calloc(nt, sizeof(*n->pull_list));
    n->push_list = calloc(nt, sizeof(*n->push_list));
    n->ready = calloc(nt, sizeof(*n->ready));
    n->pull_need = calloc(nt, sizeof(*n->pull_need));
    n->push_need = calloc(nt, sizeof(*n->push_need));
    n->rec_start = calloc(2 * (size_t)nt, sizeof(*n->rec_start));
    n->rec_end = calloc(2 * (size_t)nt, sizeof(*n->rec_end));
    n->self_q = calloc(nt, sizeof(*n->self_q));
    n->issued = calloc(2 * (size_t)nt, sizeof(*n->issued));
    n->a_next = calloc(n->workers, sizeof(*n->a_next));
    n->jobs = calloc(n->jobr.cap, sizeof(*n->jobs));
    n->slots = calloc(n->p.outstanding, sizeof(*n->slots));
    n->scratch = malloc(2 * SCRATCH);
    bool ok = n->offset && n->bytes && n->pull_list && n->push_list && n->ready && n->a_next &&
              n->pull_need && n->push_need && n->rec_start && n->rec_end && n->self_q &&
              n->issued && n->jobs && n->slots && n->scratch && sim_hist_init(&n->st.iteration) &&
              sim_hist_init(&n->st.barrier_wait) && sim_hist_init(&n->st.update);
    if (!ok) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    uint32_t tw = 0, ti = 0;
    host_ps_read_model(n->p.trace, n->warm, msg, sizeof(msg), &tw, &ti, &n->first, &nt, &n->S,
                       n->offset, n->bytes);
    /* The streams are opened now, so that zlib's buffers exist before the run. */
    if (n->p.worker >= 0 && (n->tw = pstrace_open(n->path, err)) == NULL) {
        goto fail_parts;
    }
    if (n->p.aggregator && (n->ta = pstrace_open(n->path, err)) == NULL) {
        goto fail_parts;
    }
    n->a_total = n->p.sync == SYNC_ASYNC ? (uint64_t)n->iters * n->workers : n->iters;
    host_dma_init(&n->dma, &n->c, &n->req, n->p.regs_base, n->p.rd_table, n->p.wr_table,
                  n->p.desc_max, (uint16_t)n->p.src);
    if (n->p.transport != TRANSPORT_MEMBOX && !ps_build_net(n, name, err)) {
        goto fail_parts;
    }
    n->wphase = W_START;
    n->aphase = A_IDLE;
    n->c.requester = true; /* the watchdog waits on its outstanding requests */
    if (!sim_add_component(sim, &n->c, name, n->p.domain, &ps_ops, err)) {
        goto fail_parts;
    }
    /* --progress: a worker is done after its iterations (the aggregator follows them). */
    if (n->p.worker >= 0 && !sim_add_work(sim, &n->st.iterations, n->iters)) {
        return sim_error_oom(err, name);
    }
    sim_build_port(bld, "req", &n->c, &n->req);
    sim_build_port(bld, "resp", &n->c, &n->resp);
    sim_build_port(bld, "notify", &n->c, &n->notify);
    sim_build_port(bld, "sync_out", &n->c, &n->sync_out);
    sim_build_port(bld, "sync_in", &n->c, &n->sync_in);
    sim_build_stats(bld, &(SimStatBinding){.block = {n}});
    return true;

fail_parts:
    ps_destroy(&n->c); /* whatever was made so far: the rest is NULL */
    free(n);
    return false;
}

/* Requests leave on req (fabric checks, docs/config.md). */
static const SimPortFlow ps_flows[] = {{"req", SIM_FLOW_REQUEST, NULL}};

const SimModelType host_ps_type = {
    .name = "host.ps",
    .doc = "Parameter-server training node replaying a logical trace on MemBox memory through a "
           "root complex (pcie.rc): pulls, compute, pushes as gradients become ready, barrier, "
           "update; a worker, the MemBox-host aggregator, or both.",
    .params = ps_params,
    .n_params = N_OF(ps_params),
    .params_size = sizeof(PsParams),
    .ports = ps_ports,
    .n_ports = N_OF(ps_ports),
    .check = ps_check,
    .build = ps_build,
    .role = SIM_ROLE_REQUESTER,
    .flows = ps_flows,
    .n_flows = 1,
    .stats = &ps_stats,
};
