/*
 * The simulation kernel: clock domains, components, ports and the scheduler.
 *
 * Lifecycle (one for everything): parse -> check -> build -> connect -> run -> finish -> free.
 * Domains, components and ports are added during build; sim_run() runs; after it the
 * components' finish ops have closed their statistics. Adding anything after sim_run() started,
 * or pushing on or popping from a port outside the run (between sim_begin() and the end of
 * sim_end(): the components' ticks), is a programming error (assert), as SST's Link::send
 * refuses outside RUN: a packet pushed at build time would have no time to become visible at.
 *
 * The tick contract (ARCHITECTURE.md section 3):
 *  - tick(self, now) runs at an edge of the component's domain. It reads only what its input
 *    ports made visible at this instant and writes outputs that become visible strictly later,
 *    so the order in which components of one instant tick never changes a result.
 *  - It returns the next cycle it must run at (now + 1 to keep ticking), or SIM_SLEEP to wait
 *    for a port to deliver a packet or free a slot. A component may be ticked earlier than it
 *    asked (a delivery wakes it; the every-cycle kernel ticks it at every edge): a tick at which
 *    nothing is due must change nothing and return the same answer.
 *
 * Port timing (section 4): an entry pushed at time t becomes visible to the consumer at its
 * first edge at or after t + latency x consumer period that is strictly later than t; latency
 * counts consumer cycles and, between different clocks, includes the synchroniser depth. A slot
 * freed by a pop at time t is usable by the producer from its first edge strictly after t.
 */
#ifndef MEMBOX_SIM_KERNEL_H
#define MEMBOX_SIM_KERNEL_H

#include <assert.h>
#include <signal.h>

#include "error.h"
#include "heap.h"
#include "observe.h"
#include "packet.h"
#include "rng.h"
#include "sim_types.h"
#include "stats.h"
#include "wheel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- clock domains ---- */

struct SimDomain {
    char *name;
    SimTime period; /* ps, > 0 */
    SimTime phase;  /* ps: time of cycle 0 */
    uint32_t index; /* order of creation: domains with an edge at the same instant run in it */
    /* kernel-private scheduling state */
    SimComponent **members; /* by slot */
    uint32_t n_members;
    uint32_t members_cap;
    uint64_t *awake;   /* bit per slot: ticks at the due edge */
    uint64_t *pending; /* bit per slot: woken during an instant for the domain's next edge;
                          merged into awake when that edge is processed */
    uint32_t n_words;
    SimTime due; /* next edge with awake, pending or calendar members, SIM_TIME_NEVER if none */
    /* Calendar of the next SIM_CALENDAR_SLOTS - 1 edges: a member timed for cycle n of this
     * domain (within that reach) has its bit in cal[(n % SIM_CALENDAR_SLOTS) * n_words ...];
     * bit s of cal_used: slot s holds a member. Merged into awake at that edge. */
    uint64_t *cal;
    uint64_t cal_used;
};

#define SIM_CALENDAR_SLOTS 64u

static inline SimTime sim_domain_time(const SimDomain *d, SimCycle n)
{
    return d->phase + n * d->period;
}

/* First cycle of d whose edge is at or after t. */
static inline SimCycle sim_domain_cycle_at_or_after(const SimDomain *d, SimTime t)
{
    if (t <= d->phase) {
        return 0;
    }
    return (t - d->phase + d->period - 1) / d->period;
}

/* First cycle of d whose edge is strictly after t. */
static inline SimCycle sim_domain_cycle_after(const SimDomain *d, SimTime t)
{
    if (t < d->phase) {
        return 0;
    }
    return (t - d->phase) / d->period + 1;
}

/* ---- components ---- */

struct SimComponentOps {
    /* Required. See the tick contract above. */
    SimCycle (*tick)(SimComponent *self, SimCycle now);
    /* Optional: close statistics at the end of the run (time-weighted averages, derived
     * values). `end` is the simulated time the run ended at. */
    void (*finish)(SimComponent *self, SimTime end);
    /* Optional: true while the component holds work the run must not end with (a queued
     * request, a packet waiting for its Ack). Used by the end-of-run and watchdog checks only. */
    bool (*busy)(const SimComponent *self);
    /* Optional: append what the component's internal buffers hold to a watchdog report. */
    void (*dump)(const SimComponent *self, SimError *report);
    /* Optional: release what the component allocated (not the component itself). */
    void (*destroy)(SimComponent *self);
};

struct SimComponent {
    const SimComponentOps *ops;
    char *name; /* instance name, owned by the kernel */
    Sim *sim;
    SimDomain *domain;
    SimRng rng;       /* seeded from the run seed and the name when the run starts */
    uint32_t index;   /* instance order */
    uint32_t slot;    /* bit in domain->awake */
    bool awake;       /* its awake or pending bit is set: it ticks at the domain's next
                         due edge, so ports need not wake it */
    bool daemon;      /* its own timers do not keep the run alive (refresh, polling) */
    bool takes_tails; /* its inputs accept packets whose tail is still coming
                         (SimPacket.tail); others are only ever pushed whole packets */
    bool requester;   /* a traffic source whose busy() means requests outstanding that only
                         delivered work (sim_work_done) can end: the watchdog fires only
                         while such a component is busy, so link maintenance (flow-control
                         refreshes, Acks in flight) around an idle fabric is no error */
    SimTimer wake;    /* its timed wake-up */
    SimTime freed_at; /* latest instant at which one of its outputs, full, had a slot freed by
                         a pop (usable at its next edge): it does not go to sleep then */
    SimTrack *track;  /* its timeline track (observe.h); NULL when no timeline is written */
    SimPort **in;
    SimPort **out;
    uint16_t n_in;
    uint16_t n_out;
    uint16_t in_cap;
    uint16_t out_cap;
};

/* ---- ports ---- */

/*
 * A port tap sees every push (event SIM_TAP_PUSH, with the time the entry becomes visible) and
 * every pop (SIM_TAP_POP). It costs one predictable branch when unset. Tests capture what
 * crosses a port with it; waveform and timeline writers hang off it too.
 */
typedef enum SimTapEvent {
    SIM_TAP_PUSH = 0,
    SIM_TAP_POP,
    SIM_TAP_EVENT_MAX
} SimTapEvent;

typedef void (*SimPortTapFn)(void *ctx, const SimPort *port, SimTapEvent ev, const SimPacket *pkt,
                             SimTime now, SimTime visible);

typedef struct SimPortEntry {
    SimPacket *pkt;
    SimTime visible;
} SimPortEntry;

/*
 * A port is a ring of `capacity` entries:
 *
 *        head                      head + count (tail)
 *         v                         v
 *   [ .. e0 | e1 | e2 | .. | e(n-1) | free .. ] (mod capacity)
 *
 * Each entry remembers when it becomes visible. Occupancy over time is kept without touching a
 * statistic on every push and pop: the integral of occupancy dt equals the sum of the pop times
 * minus the sum of the push times (plus, at the end, the entries still inside times the end).
 */
struct SimPort {
    /* What peek, push and pop touch comes first: two cache lines on the hot path. */
    SimPortEntry *ring;
    const SimTime *now; /* the kernel's clock */
    uint32_t capacity;
    uint32_t head;
    uint32_t count;
    uint32_t pops_at_pop_time;
    SimTime pop_time;         /* time of the latest pop */
    SimTime same_clock_delay; /* same clock: visible = push time + this (latency, at least 1
                                 cycle, in ps) */
    bool same_clock;          /* producer and consumer share period and phase */
    uint32_t max_count;
    SimComponent *producer;
    SimComponent *consumer;
    SimTime *last_progress; /* the kernel's watchdog clock */
    SimPortTapFn tap;
    /* statistics */
    uint64_t pushes;
    uint64_t push_time_sum; /* modulo 2^64; see above */
    uint64_t pop_time_sum;
    SimTime period;     /* consumer period */
    SimTime phase;      /* consumer phase */
    SimTime latency_ps; /* latency x consumer period */
    uint32_t latency;   /* consumer cycles, synchroniser included */
    void *tap_ctx;
    char *name;      /* "src0:out -> sink0:in" */
    char *stats_key; /* "src0.out" */
    Sim *sim;
    SimTimeAvg occupancy; /* filled from the sums when the run ends */
};

/* Find a port by its stats key ("src0.out"), for taps and tests. */
SimPort *sim_find_port(const Sim *sim, const char *stats_key);
void sim_port_set_tap(SimPort *p, SimPortTapFn fn, void *ctx);

/* ---- the simulation ---- */

typedef enum SimKernelKind {
    SIM_KERNEL_FAST = 0,    /* skips idle components and idle cycles (default) */
    SIM_KERNEL_EVERY_CYCLE, /* ticks every component at every edge: the reference */
    SIM_KERNEL_MAX
} SimKernelKind;

const char *sim_kernel_name(SimKernelKind k);
bool sim_kernel_parse(const char *name, SimKernelKind *out);

typedef struct SimRunOptions {
    SimKernelKind kernel;
    uint64_t seed;
    SimTime until;       /* SIM_TIME_NEVER: run until drained */
    SimTime watchdog;    /* no work delivered (sim_work_done) for this long while buffers
                            hold work: a livelock or deadlock, reported as an error */
    uint64_t order_seed; /* 0: instance order; else tick order within a domain is shuffled */
    /* Optional progress report, called about every `progress_every` of simulated time. */
    void (*progress)(void *ctx, SimTime now, SimTime until);
    void *progress_ctx;
    SimTime progress_every;
    /* Optional: set non-zero from outside (a signal handler) to stop the run at the end of the
     * current instant with an error of kind SIM_ERR_INTERRUPTED; statistics are closed at that
     * instant as at any other end. */
    const volatile sig_atomic_t *stop;
} SimRunOptions;

void sim_run_options_default(SimRunOptions *o);

/* Sizes of the packet and payload pools; set before sim_run. */
typedef struct SimPoolOptions {
    uint32_t packets;
    uint32_t payload_blocks;
    uint32_t payload_block_size;
} SimPoolOptions;

struct Sim {
    SimTime now; /* models may read it; only the kernel writes it */
    SimPacketPool pool;
    SimStats *stats;
    /* kernel-private */
    SimDomain **domains;
    uint32_t n_domains;
    SimComponent **components;
    uint32_t n_components;
    uint32_t components_cap;
    SimPort **ports;
    uint32_t n_ports;
    uint32_t ports_cap;
    SimWheel timers;
    struct SimObject *objects; /* sim_add_object */
    uint32_t n_objects;
    struct SimWork *work; /* sim_add_work */
    uint32_t n_work;
    SimPoolOptions pool_options;
    bool prepared; /* sim_prepare() done: everything the run needs is allocated */
    bool running;
    bool failed; /* a model reported a fatal condition */
    SimError failure;
    uint32_t live;         /* scheduled non-daemon components */
    SimTime last_progress; /* latest push or pop */
    SimTime last_work;     /* latest sim_work_done(): the watchdog's clock */
    SimTime last_due;      /* latest instant at which a component was due */
    SimTime end_time;
    uint64_t activations;
    SimKernelKind kernel;
    SimRunOptions options; /* of the run in progress */
    SimTime next_progress;
    SimTime checked_progress; /* last_progress when drained() last said no */
    bool instant_due;         /* the current instant is one at which a component is due */
    SimTime check_at;         /* sim_run: before this instant instant_end()'s progress and watchdog
                                 checks have nothing to do (0: every instant needs them) */
    bool idle_noted;          /* a component said its busy() may have turned false */
    /* Observation outputs (observe.h): NULL when every output is off, the kernel's one test per
     * instant; the signals models declared at build time. */
    struct SimObserve *observe;
    struct SimSignalEntry *signals;
    uint32_t n_signals;
    uint32_t cap_signals;
};

/* The slow path of a wake-up (the timer wheel); see sim_kernel_wake_at. */
void sim_kernel_wake_later(SimComponent *c, SimTime t);

/*
 * A port delivers to, or frees a slot for, component c at time t (an edge of c's domain,
 * strictly later than now). If c is awake nothing is needed. A wake-up for c's domain's very
 * next edge (t no more than a period away) sets a pending bit, merged when that edge is
 * processed, so the component cannot tick again in the current instant; later ones go to the
 * timer wheel.
 */
static inline void sim_kernel_wake_at(SimComponent *c, SimTime t)
{
    if (c->awake) {
        return;
    }
    Sim *sim = c->sim;
    SimDomain *d = c->domain;
    if (t - sim->now > d->period || sim_timer_queued(&c->wake)) {
        sim_kernel_wake_later(c, t);
        return;
    }
    if (!c->daemon) {
        sim->live++;
    }
    d->pending[c->slot >> 6] |= 1ULL << (c->slot & 63);
    c->awake = true;
    if (d->due > t) {
        d->due = t; /* a domain still due at this instant keeps that; its close sets t */
    }
}

/* Slots the producer may fill now (same-instant pops are not usable yet). */
static inline uint32_t sim_port_space(const SimPort *p)
{
    uint32_t used = p->count + (p->pop_time == *p->now ? p->pops_at_pop_time : 0);
    return p->capacity - used;
}

static inline bool sim_port_can_push(const SimPort *p)
{
    return sim_port_space(p) > 0;
}

/* Between different clocks: the consumer's first edge at or after now + latency, > now. */
SimTime sim_port_crossing_time(const SimPort *p, SimTime now);

/* Time at which an entry pushed now becomes visible to the consumer. */
static inline SimTime sim_port_visible_time(const SimPort *p)
{
    SimTime now = *p->now;
    return p->same_clock ? now + p->same_clock_delay : sim_port_crossing_time(p, now);
}

/* Producer side, during the run only. Requires sim_port_can_push(p). */
static inline void sim_port_push(SimPort *p, SimPacket *pkt)
{
    assert(p->sim->running && "a port moves only during the run (kernel.h)");
    const SimTime now = *p->now;
    uint32_t count = p->count;
    uint32_t tail = p->head + count;
    if (tail >= p->capacity) {
        tail -= p->capacity;
    }
    SimTime visible = p->same_clock ? now + p->same_clock_delay : sim_port_crossing_time(p, now);
    uint32_t used = count + 1 + (p->pop_time == now ? p->pops_at_pop_time : 0);
    p->ring[tail].pkt = pkt;
    p->ring[tail].visible = visible;
    p->count = count + 1;
    /* Slots in use as the producer sees them (an entry popped at this instant still holds its
     * slot): unlike the bare count, this does not depend on whether the consumer ticked first. */
    if (used > p->max_count) {
        p->max_count = used;
    }
    if (used == p->capacity && p->pop_time == now) {
        p->producer->freed_at = now; /* full, and a slot frees at the next edge */
    }
    p->pushes++;
    p->push_time_sum += now;
    *p->last_progress = now;
    if (p->tap) {
        p->tap(p->tap_ctx, p, SIM_TAP_PUSH, pkt, now, visible);
    }
    if (!p->consumer->awake) {
        sim_kernel_wake_at(p->consumer, visible);
    }
}

/* Consumer side: the oldest entry if it is visible now, else NULL. */
static inline SimPacket *sim_port_peek(const SimPort *p)
{
    if (p->count == 0 || p->ring[p->head].visible > *p->now) {
        return NULL;
    }
    return p->ring[p->head].pkt;
}

/* The i-th entry (0 = head) if it is visible now, else NULL. */
static inline SimPacket *sim_port_peek_at(const SimPort *p, uint32_t i)
{
    if (i >= p->count) {
        return NULL;
    }
    uint32_t k = p->head + i;
    if (k >= p->capacity) {
        k -= p->capacity;
    }
    return p->ring[k].visible <= *p->now ? p->ring[k].pkt : NULL;
}

/* Number of entries visible to the consumer now. */
uint32_t sim_port_visible_count(const SimPort *p);

/* Consumer side, during the run only. Requires sim_port_peek(p) != NULL; returns that packet. */
static inline SimPacket *sim_port_pop(SimPort *p)
{
    assert(p->sim->running && "a port moves only during the run (kernel.h)");
    const SimTime now = *p->now;
    SimPacket *pkt = p->ring[p->head].pkt;
    /* Full as the producer sees it: the slot this pop frees is usable at its next edge. */
    bool was_full = p->count + (p->pop_time == now ? p->pops_at_pop_time : 0) == p->capacity;
    if (++p->head == p->capacity) {
        p->head = 0;
    }
    p->count--;
    if (p->pop_time == now) {
        p->pops_at_pop_time++;
    } else {
        p->pop_time = now;
        p->pops_at_pop_time = 1;
    }
    p->pop_time_sum += now;
    *p->last_progress = now;
    if (p->tap) {
        p->tap(p->tap_ctx, p, SIM_TAP_POP, pkt, now, now);
    }
    if (was_full) {
        SimComponent *prod = p->producer;
        prod->freed_at = now; /* an awake producer stays awake (go_to_sleep) */
        if (!prod->awake) {
            /* Only a sleeping producer needs a wake-up: its first edge strictly after now, one
             * period on when the clocks match (now is then an edge of both), else a division. */
            const SimDomain *pd = prod->domain;
            sim_kernel_wake_at(prod, p->same_clock
                                         ? now + p->period
                                         : sim_domain_time(pd, sim_domain_cycle_after(pd, now)));
        }
    }
    return pkt;
}

/* Time at which an entry pushed at time t (>= now) becomes visible to the consumer. */
static inline SimTime sim_port_visible_time_at(const SimPort *p, SimTime t)
{
    return p->same_clock ? t + p->same_clock_delay : sim_port_crossing_time(p, t);
}

/*
 * Cut-through: the time the tail of pkt, the head entry of p, becomes visible to the consumer
 * (an edge of its clock): pushed at pkt->tail into the same port, never before the head. For a
 * whole packet, the head's time.
 */
static inline SimTime sim_port_tail_time(const SimPort *p, const SimPacket *pkt)
{
    SimTime head = p->count ? p->ring[p->head].visible : *p->now;
    if (pkt->tail == 0) {
        return head;
    }
    SimTime t = sim_port_visible_time_at(p, pkt->tail);
    return t > head ? t : head;
}

/* The same as a cycle of the consumer's clock. */
static inline SimCycle sim_port_tail_cycle(const SimPort *p, const SimPacket *pkt)
{
    return sim_domain_cycle_at_or_after(p->consumer->domain, sim_port_tail_time(p, pkt));
}

/* Mark pkt, about to be pushed now, as whole (tail <= now) or with its tail entering at tail. */
static inline void sim_packet_set_tail(SimPacket *pkt, SimTime tail, SimTime now)
{
    pkt->tail = tail > now ? tail : 0;
}

/*
 * The same for a push planned at cycle `planned` of d with the tail at cycle `tail` (0: whole),
 * made at cycle `now`: a late push (a full port) delays the whole packet.
 */
static inline void sim_packet_set_tail_planned(SimPacket *pkt, const SimDomain *d, SimCycle tail,
                                               SimCycle planned, SimCycle now)
{
    sim_packet_set_tail(pkt, tail != 0 ? sim_domain_time(d, tail + (now - planned)) : 0,
                        sim_domain_time(d, now));
}

/* Time the head entry becomes visible, SIM_TIME_NEVER if empty. */
static inline SimTime sim_port_head_time(const SimPort *p)
{
    return p->count ? p->ring[p->head].visible : SIM_TIME_NEVER;
}

Sim *sim_new(void);
/* Frees components (calling their destroy op, then free()), ports, domains, pools. NULL ok. */
void sim_free(Sim *sim);

SimDomain *sim_add_domain(Sim *sim, const char *name, SimTime period, SimTime phase, SimError *err);
SimDomain *sim_find_domain(const Sim *sim, const char *name);

/*
 * Register a component the model allocated with malloc/calloc (it embeds SimComponent as its
 * first member; the kernel frees it). Names are unique.
 */
bool sim_add_component(Sim *sim, SimComponent *c, const char *name, SimDomain *d,
                       const SimComponentOps *ops, SimError *err);
SimComponent *sim_find_component(const Sim *sim, const char *name);

/*
 * Objects that are not components, made while building and handed to the models that use them
 * by name (a node's host memory: ARCHITECTURE.md section 1, "objects the builder declares").
 * `kind` says what the object is ("memory": a SimMem, sim/core/region.h); the Sim owns the
 * object and calls destroy(obj) in sim_free, after every component is destroyed. Names are
 * unique among objects. Build phase only.
 */
bool sim_add_object(Sim *sim, const char *name, const char *kind, void *obj,
                    void (*destroy)(void *obj), SimError *err);
/* The object called name of that kind, or NULL. */
void *sim_find_object(const Sim *sim, const char *name, const char *kind);

/*
 * Workload progress, for `--progress` (docs/kernel.md, "Progress"): a component that knows
 * how much work it has (a trace's records, a worker's iterations) declares, at build time, a
 * counter it keeps anyway and the value that counter reaches when its work is done. Nothing is
 * called on the tick path: sim_work_fraction() reads the counters when progress is reported.
 * total 0 declares nothing. Build phase only; false when out of memory.
 *
 *   sim_add_work(sim, &n->st.completed, n->records);
 */
bool sim_add_work(Sim *sim, const uint64_t *done, uint64_t total);
/* The least advanced declared workload's done / total in [0, 1]; negative when none declared. */
double sim_work_fraction(const Sim *sim);

/*
 * Make a port from producer to consumer and store it in *prod_slot and *cons_slot (fields of the
 * two models). depth >= 1 entries; latency in consumer cycles; sync_depth is added when the two
 * domains differ (period or phase). The name is used in reports.
 */
SimPort *sim_connect(Sim *sim, SimComponent *producer, SimPort **prod_slot, SimComponent *consumer,
                     SimPort **cons_slot, uint32_t depth, uint32_t latency, uint32_t sync_depth,
                     const char *name, SimError *err);

/*
 * The last step of the build phase: make the pools, size the scheduler, register port
 * statistics, seed every component's random stream. sim_run() calls it when it was not called;
 * calling it first separates every allocation from the run (the allocation test does).
 * opt must be the options later given to sim_run().
 */
bool sim_prepare(Sim *sim, const SimRunOptions *opt, SimError *err);

/*
 * Run. Returns true when the run ended normally (drained, or --until reached); false with err
 * filled (kind SIM_ERR_SIMULATION) on a deadlock, a watchdog expiry or a model failure. Either
 * way the statistics are closed at sim->end_time and can be written.
 */
bool sim_run(Sim *sim, const SimRunOptions *opt, SimError *err);

/*
 * The run in steps, for a scheduler outside this file (the SystemC wrapper drives the same
 * books with its own clocks). sim_run() is exactly:
 *
 *   sim_begin(opt)
 *   repeat: t = next instant (every edge for every-cycle, sim_next_due() for fast), stop past
 *           opt->until; sim_instant_begin(t); sim_domain_edge(d, t, all) for each domain with
 *           an edge at t, in any order; step = sim_instant_end() until it is not CONTINUE
 *   sim_end(end time: opt->until when stopped by it, else sim->end_time)
 */
typedef enum SimStep {
    SIM_STEP_CONTINUE = 0,
    SIM_STEP_DONE,   /* drained: sim->end_time is the last due instant */
    SIM_STEP_FAILED, /* err filled: deadlock, watchdog, model failure */
    SIM_STEP_MAX
} SimStep;

bool sim_begin(Sim *sim, const SimRunOptions *opt, SimError *err);
/* The next instant at which a component is due, SIM_TIME_NEVER if none. */
SimTime sim_next_due(Sim *sim);
void sim_instant_begin(Sim *sim, SimTime t);
bool sim_domain_has_edge(const SimDomain *d, SimTime t);
/* all: tick every member (every-cycle semantics); else only the due ones. */
void sim_domain_edge(Sim *sim, SimDomain *d, SimTime t, bool all);
SimStep sim_instant_end(Sim *sim, SimError *err);
void sim_end(Sim *sim, SimTime end);

/*
 * Forward progress, for the watchdog: a model calls this where the simulated system delivers
 * work, not where packets merely move: a memory completing an access, a requester receiving a
 * response or completing a transfer, a sink taking a packet, a workload finishing an event. A
 * cable that drops every flow-control update keeps packets moving (refreshes, resends) and
 * delivers nothing; the watchdog ends such a run after `watchdog` of simulated time without work.
 */
static inline void sim_work_done(Sim *sim)
{
    sim->last_work = sim->now;
}

/*
 * A component whose busy() may have turned false without a port moving (a controller whose last
 * posted write just reached the DRAM) says so, so that a run with only daemons left ends at
 * once instead of at the next port move or watchdog check. Cheap: it sets a flag.
 */
static inline void sim_note_idle(Sim *sim)
{
    sim->idle_noted = true;
}

/* A model reports a fatal condition (exhausted pool, impossible protocol state); the run stops
 * at the end of the current instant with this message. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sim_fail(Sim *sim, const char *fmt, ...);

/* Packets from the run's pool; NULL (and the run marked failed) when it is exhausted. */
SimPacket *sim_packet_new(Sim *sim);
void sim_packet_free(Sim *sim, SimPacket *pkt);

#ifdef __cplusplus
}
#endif

#endif
