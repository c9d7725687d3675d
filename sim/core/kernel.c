/*
 * The scheduler (ARCHITECTURE.md section 5).
 *
 * State of a component:
 *   AWAKE  its bit in domain->awake is set: it ticks at the domain's next edge;
 *   TIMED  its timer is queued (sim/core/wheel.h): it is moved to AWAKE when simulated time
 *          reaches it;
 *   ASLEEP neither: only a port (a delivery, or a freed slot it was blocked on) wakes it.
 * `live` counts the non-daemon components that are AWAKE or TIMED; the run may end when it is 0
 * and nothing is left in any buffer.
 *
 * One instant of the run loop, in this order:
 *   1. t = the earliest of the timers and every domain's `due` edge;
 *   2. every timer due at t moves its component to AWAKE (its domain then has an edge at t);
 *   3. every domain with an edge at t, in domain order, ticks its AWAKE components in slot
 *      order (the every-cycle kernel ticks all of them, but keeps the same books);
 *   4. end-of-run, deadlock, failure, watchdog and progress checks.
 * Nothing done at t becomes visible at t (ports deliver strictly later), so the order inside
 * step 3 cannot change a result; tests shuffle it to prove that.
 */
#include "kernel.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_DEFAULT_PACKETS       65536u
#define POOL_DEFAULT_PAYLOADS      1024u
#define POOL_DEFAULT_PAYLOAD_BYTES 4096u

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

/* An object of sim_add_object(). */
struct SimObject {
    char *name;
    const char *kind;
    void *obj;
    void (*destroy)(void *obj);
};

struct SimWork {
    const uint64_t *done;
    uint64_t total;
};

static inline SimComponent *component_of(SimTimer *n)
{
    return (SimComponent *)((char *)n - offsetof(SimComponent, wake));
}

const char *sim_kernel_name(SimKernelKind k)
{
    static const char *const names[SIM_KERNEL_MAX] = {
        [SIM_KERNEL_FAST] = "fast",
        [SIM_KERNEL_EVERY_CYCLE] = "every-cycle",
    };
    return k < SIM_KERNEL_MAX ? names[k] : "?";
}

bool sim_kernel_parse(const char *name, SimKernelKind *out)
{
    for (int k = 0; k < SIM_KERNEL_MAX; k++) {
        if (strcmp(name, sim_kernel_name((SimKernelKind)k)) == 0) {
            *out = (SimKernelKind)k;
            return true;
        }
    }
    return false;
}

void sim_run_options_default(SimRunOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->kernel = SIM_KERNEL_FAST;
    o->seed = 1;
    o->until = SIM_TIME_NEVER;
    o->watchdog = SIM_PS_PER_MS;
}

Sim *sim_new(void)
{
    Sim *sim = calloc(1, sizeof(*sim));
    if (sim == NULL) {
        goto fail_sim;
    }
    sim->stats = sim_stats_new();
    if (sim->stats == NULL) {
        goto fail_stats;
    }
    if (!sim_wheel_init(&sim->timers)) {
        goto fail_heap;
    }
    sim->pool_options.packets = POOL_DEFAULT_PACKETS;
    sim->pool_options.payload_blocks = POOL_DEFAULT_PAYLOADS;
    sim->pool_options.payload_block_size = POOL_DEFAULT_PAYLOAD_BYTES;
    return sim;

fail_heap:
    sim_stats_free(sim->stats);
fail_stats:
    free(sim);
fail_sim:
    return NULL;
}

void sim_free(Sim *sim)
{
    if (sim == NULL) {
        return;
    }
    for (uint32_t i = 0; i < sim->n_components; i++) {
        SimComponent *c = sim->components[i];
        if (c->ops->destroy != NULL) {
            c->ops->destroy(c);
        }
        free(c->in);
        free(c->out);
        free(c->name);
        free(c);
    }
    free(sim->components);
    for (uint32_t i = sim->n_objects; i-- > 0;) {
        if (sim->objects[i].destroy != NULL) {
            sim->objects[i].destroy(sim->objects[i].obj);
        }
        free(sim->objects[i].name);
    }
    free(sim->objects);
    free(sim->work);
    for (uint32_t i = 0; i < sim->n_ports; i++) {
        SimPort *p = sim->ports[i];
        free(p->ring);
        free(p->name);
        free(p->stats_key);
        free(p);
    }
    free(sim->ports);
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        SimDomain *d = sim->domains[i];
        free(d->members);
        free(d->awake);
        free(d->pending);
        free(d->cal);
        free(d->name);
        free(d);
    }
    free(sim->domains);
    sim_wheel_destroy(&sim->timers);
    sim_packet_pool_destroy(&sim->pool);
    sim_stats_free(sim->stats);
    sim_signals_free(sim);
    free(sim);
}

SimDomain *sim_find_domain(const Sim *sim, const char *name)
{
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        if (strcmp(sim->domains[i]->name, name) == 0) {
            return sim->domains[i];
        }
    }
    return NULL;
}

SimDomain *sim_add_domain(Sim *sim, const char *name, SimTime period, SimTime phase, SimError *err)
{
    assert(!sim->running);
    if (period == 0) {
        sim_error_set(err, SIM_ERR_INPUT, "clock domain '%s': period must be positive", name);
        return NULL;
    }
    if (sim_find_domain(sim, name) != NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "clock domain '%s' defined twice", name);
        return NULL;
    }
    SimDomain **arr = realloc(sim->domains, (sim->n_domains + 1) * sizeof(*arr));
    if (arr == NULL) {
        goto fail_oom;
    }
    sim->domains = arr;
    SimDomain *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        goto fail_oom;
    }
    d->name = dup_string(name);
    if (d->name == NULL) {
        goto fail_domain;
    }
    d->period = period;
    d->phase = phase;
    d->index = sim->n_domains;
    d->due = SIM_TIME_NEVER;
    sim->domains[sim->n_domains++] = d;
    return d;

fail_domain:
    free(d);
fail_oom:
    sim_error_oom(err, name);
    return NULL;
}

SimComponent *sim_find_component(const Sim *sim, const char *name)
{
    for (uint32_t i = 0; i < sim->n_components; i++) {
        if (strcmp(sim->components[i]->name, name) == 0) {
            return sim->components[i];
        }
    }
    return NULL;
}

bool sim_add_work(Sim *sim, const uint64_t *done, uint64_t total)
{
    assert(!sim->running);
    if (total == 0) {
        return true;
    }
    struct SimWork *w = realloc(sim->work, (sim->n_work + 1) * sizeof(*w));
    if (w == NULL) {
        return false;
    }
    sim->work = w;
    sim->work[sim->n_work++] = (struct SimWork){done, total};
    return true;
}

double sim_work_fraction(const Sim *sim)
{
    double least = -1.0;
    for (uint32_t i = 0; i < sim->n_work; i++) {
        uint64_t d = *sim->work[i].done;
        double f = d >= sim->work[i].total ? 1.0 : (double)d / (double)sim->work[i].total;
        if (least < 0.0 || f < least) {
            least = f;
        }
    }
    return least;
}

bool sim_add_object(Sim *sim, const char *name, const char *kind, void *obj,
                    void (*destroy)(void *obj), SimError *err)
{
    assert(!sim->running && "objects are made while building");
    if (sim_find_object(sim, name, NULL) != NULL) {
        return sim_error_set(err, SIM_ERR_INPUT, "object '%s' made twice", name);
    }
    struct SimObject *arr = realloc(sim->objects, (sim->n_objects + 1) * sizeof(*arr));
    char *copy = dup_string(name);
    if (arr == NULL || copy == NULL) {
        free(copy);
        if (arr != NULL) {
            sim->objects = arr;
        }
        return sim_error_oom(err, name);
    }
    sim->objects = arr;
    sim->objects[sim->n_objects++] = (struct SimObject){copy, kind, obj, destroy};
    return true;
}

void *sim_find_object(const Sim *sim, const char *name, const char *kind)
{
    for (uint32_t i = 0; i < sim->n_objects; i++) {
        const struct SimObject *o = &sim->objects[i];
        if (strcmp(o->name, name) == 0) {
            return kind == NULL || strcmp(o->kind, kind) == 0 ? o->obj : NULL;
        }
    }
    return NULL;
}

bool sim_add_component(Sim *sim, SimComponent *c, const char *name, SimDomain *d,
                       const SimComponentOps *ops, SimError *err)
{
    assert(!sim->running);
    assert(ops != NULL && ops->tick != NULL && d != NULL);
    if (sim_find_component(sim, name) != NULL) {
        return sim_error_set(err, SIM_ERR_INPUT, "component '%s' defined twice", name);
    }
    if (sim->n_components == sim->components_cap) {
        uint32_t cap = sim->components_cap ? 2 * sim->components_cap : 16;
        SimComponent **arr = realloc(sim->components, cap * sizeof(*arr));
        if (arr == NULL) {
            goto fail_oom;
        }
        sim->components = arr;
        sim->components_cap = cap;
    }
    if (d->n_members == d->members_cap) {
        uint32_t cap = d->members_cap ? 2 * d->members_cap : 16;
        SimComponent **arr = realloc(d->members, cap * sizeof(*arr));
        if (arr == NULL) {
            goto fail_oom;
        }
        d->members = arr;
        d->members_cap = cap;
    }
    c->name = dup_string(name);
    if (c->name == NULL) {
        goto fail_oom;
    }
    c->ops = ops;
    c->sim = sim;
    c->domain = d;
    c->index = sim->n_components;
    c->slot = d->n_members;
    c->awake = false;
    c->freed_at = SIM_TIME_NEVER;
    sim_timer_init(&c->wake);
    sim->components[sim->n_components++] = c;
    d->members[d->n_members++] = c;
    return true;

fail_oom:
    return sim_error_oom(err, name);
}

static bool port_list_add(SimPort ***list, uint16_t *n, uint16_t *cap, SimPort *p)
{
    if (*n == *cap) {
        uint16_t ncap = *cap ? (uint16_t)(2 * *cap) : 4;
        SimPort **arr = realloc(*list, ncap * sizeof(*arr));
        if (arr == NULL) {
            return false;
        }
        *list = arr;
        *cap = ncap;
    }
    (*list)[(*n)++] = p;
    return true;
}

/* "a:out -> b:in" gives "a.out"; a name without an arrow is used as it is. */
static char *port_stats_key(const char *name)
{
    const char *arrow = strstr(name, " -> ");
    size_t n = arrow ? (size_t)(arrow - name) : strlen(name);
    char *key = malloc(n + 1);
    if (key == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        key[i] = name[i] == ':' ? '.' : name[i];
    }
    key[n] = '\0';
    return key;
}

SimPort *sim_connect(Sim *sim, SimComponent *producer, SimPort **prod_slot, SimComponent *consumer,
                     SimPort **cons_slot, uint32_t depth, uint32_t latency, uint32_t sync_depth,
                     const char *name, SimError *err)
{
    assert(!sim->running);
    if (depth == 0) {
        sim_error_set(err, SIM_ERR_INPUT, "port '%s': depth must be at least 1", name);
        return NULL;
    }
    if (sim->n_ports == sim->ports_cap) {
        uint32_t cap = sim->ports_cap ? 2 * sim->ports_cap : 16;
        SimPort **arr = realloc(sim->ports, cap * sizeof(*arr));
        if (arr == NULL) {
            goto fail_oom;
        }
        sim->ports = arr;
        sim->ports_cap = cap;
    }
    SimPort *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        goto fail_oom;
    }
    p->ring = calloc(depth, sizeof(*p->ring));
    p->name = dup_string(name);
    p->stats_key = port_stats_key(name);
    if (p->ring == NULL || p->name == NULL || p->stats_key == NULL) {
        goto fail_port;
    }
    if (!port_list_add(&producer->out, &producer->n_out, &producer->out_cap, p)) {
        goto fail_port;
    }
    if (!port_list_add(&consumer->in, &consumer->n_in, &consumer->in_cap, p)) {
        goto fail_producer;
    }
    const SimDomain *pd = producer->domain;
    const SimDomain *cd = consumer->domain;
    p->sim = sim;
    p->now = &sim->now;
    p->last_progress = &sim->last_progress;
    p->producer = producer;
    p->consumer = consumer;
    p->capacity = depth;
    p->same_clock = pd->period == cd->period && pd->phase == cd->phase;
    p->latency = latency + (p->same_clock ? 0 : sync_depth);
    p->period = cd->period;
    p->phase = cd->phase;
    p->latency_ps = (SimTime)p->latency * cd->period;
    p->same_clock_delay = p->latency ? p->latency_ps : cd->period;
    p->pop_time = SIM_TIME_NEVER;
    sim->ports[sim->n_ports++] = p;
    if (prod_slot != NULL) {
        *prod_slot = p;
    }
    if (cons_slot != NULL) {
        *cons_slot = p;
    }
    return p;

fail_producer:
    producer->n_out--; /* it was the last one added */
fail_port:
    free(p->ring);
    free(p->name);
    free(p->stats_key);
    free(p);
fail_oom:
    sim_error_oom(err, name);
    return NULL;
}

/* ---- scheduling state transitions ---- */

static inline void set_awake_bit(SimComponent *c)
{
    SimDomain *d = c->domain;
    d->awake[c->slot >> 6] |= 1ULL << (c->slot & 63);
    c->awake = true;
}

static inline void set_pending_bit(SimComponent *c)
{
    SimDomain *d = c->domain;
    d->pending[c->slot >> 6] |= 1ULL << (c->slot & 63);
    c->awake = true;
}

static inline void clear_awake_bit(SimComponent *c)
{
    SimDomain *d = c->domain;
    d->awake[c->slot >> 6] &= ~(1ULL << (c->slot & 63));
    c->awake = false;
}

/* ---- timed wake-ups: the domain's calendar of near edges, else the wheel ---- */

/* c (asleep, no timer queued) is timed for cycle n of its domain, at time t (that edge), n
 * within the calendar's reach of the domain's current cycle. */
static inline void calendar_insert(SimComponent *c, SimCycle n, SimTime t)
{
    SimDomain *d = c->domain;
    uint32_t s = (uint32_t)n & (SIM_CALENDAR_SLOTS - 1);
    d->cal[s * d->n_words + (c->slot >> 6)] |= 1ULL << (c->slot & 63);
    d->cal_used |= 1ULL << s;
    c->wake.time = t;
    c->wake.cal = (uint8_t)s;
    c->wake.where = SIM_TIMER_CALENDAR;
}

static inline void calendar_cancel(SimComponent *c)
{
    SimDomain *d = c->domain;
    uint32_t s = c->wake.cal;
    uint64_t *slot = d->cal + (size_t)s * d->n_words;
    slot[c->slot >> 6] &= ~(1ULL << (c->slot & 63));
    uint64_t any = 0;
    for (uint32_t w = 0; w < d->n_words; w++) {
        any |= slot[w];
    }
    if (any == 0) {
        d->cal_used &= ~(1ULL << s);
    }
    c->wake.where = SIM_TIMER_IDLE;
}

static inline void timer_cancel(Sim *sim, SimComponent *c)
{
    if (c->wake.where == SIM_TIMER_CALENDAR) {
        calendar_cancel(c);
    } else {
        sim_wheel_remove(&sim->timers, &c->wake);
    }
}

/* c, asleep with no timer queued, wakes at t, an edge of its domain later than the next one:
 * the calendar when t is within its reach of the domain's current cycle, else the wheel. The
 * domain's due edge is not moved here. */
static inline void timer_set(Sim *sim, SimComponent *c, SimTime t)
{
    const SimDomain *d = c->domain;
    if (sim->now >= d->phase) {
        SimCycle cur = (sim->now - d->phase) / d->period;
        SimCycle n = (t - d->phase) / d->period;
        if (n - cur < SIM_CALENDAR_SLOTS) {
            calendar_insert(c, n, t);
            return;
        }
    }
    sim_wheel_schedule(&sim->timers, &c->wake, t);
}

/* Wake-ups the inline fast path does not take: later than the next edge, or a component whose
 * timer is queued. */
void sim_kernel_wake_later(SimComponent *c, SimTime t)
{
    Sim *sim = c->sim;
    assert(sim->running && t > sim->now && !c->awake);
    SimDomain *d = c->domain;
    bool queued = sim_timer_queued(&c->wake);
    if (queued && c->wake.time <= t) {
        return;
    }
    if (queued) {
        timer_cancel(sim, c);
    }
    if (d->due > t) {
        d->due = t; /* a domain still due at this instant keeps that; its close looks again */
    }
    if (t - sim->now <= d->period) {
        /* Next edge, and the component was queued for later: the pending bit instead. */
        set_pending_bit(c);
        return;
    }
    if (!queued && !c->daemon) {
        sim->live++;
    }
    timer_set(sim, c, t);
}

/* go_to_sleep's timed end: c, out of the awake set at `cycle`, wakes at `wake`, an edge of its
 * domain. The domain's due edge is set when this edge closes (close_edge). */
static inline void sleep_timed(Sim *sim, SimComponent *c, SimCycle cycle, SimTime wake)
{
    SimCycle wake_cycle = cycle + (wake - sim->now) / c->domain->period;
    if (wake_cycle - cycle < SIM_CALENDAR_SLOTS) {
        calendar_insert(c, wake_cycle, wake);
    } else {
        sim_wheel_schedule(&sim->timers, &c->wake, wake);
    }
}

/*
 * After a tick that did not ask for the next cycle: drop out of the awake set and sleep until
 * the cycle asked for, or until a port wakes the component. Deliveries and freed slots that
 * happened while it was awake did not wake it (it was going to tick anyway), so they are
 * looked at here: the head of each input that becomes visible later, and each output a
 * same-instant pop will free at the next edge.
 */
static inline __attribute__((always_inline)) void go_to_sleep(Sim *sim, SimComponent *c,
                                                              SimCycle cycle, SimCycle next)
{
    SimDomain *d = c->domain;
    const SimTime now = sim->now; /* an edge of d: the component ticks at its own edges */
    const SimTime next_edge = now + d->period;
    SimTime wake = SIM_TIME_NEVER;
    if (next != SIM_SLEEP) {
        assert(next > cycle && "a component asked to run at a cycle that has passed");
        wake = now + (next - cycle) * d->period;
    }
    for (uint16_t i = 0; i < c->n_in; i++) {
        SimTime h = sim_port_head_time(c->in[i]);
        if (h == next_edge) {
            return; /* an input arrives next cycle: stay awake */
        }
        if (h > now && h < wake) {
            wake = h; /* an edge of d: the consumer's */
        }
    }
    if (c->freed_at == now) {
        /* An output is full and a pop at this instant frees a slot at the next edge (the port
         * marks its producer, sim_port_pop and sim_port_push): stay awake. */
        return;
    }
    clear_awake_bit(c);
    if (wake == SIM_TIME_NEVER) {
        if (!c->daemon) {
            sim->live--;
        }
        return;
    }
    sleep_timed(sim, c, cycle, wake);
}

/* ---- failures and reports ---- */

void sim_fail(Sim *sim, const char *fmt, ...)
{
    if (sim->failed) {
        return; /* the first failure is the one reported */
    }
    sim->failed = true;
    sim->check_at = 0; /* sim_run's inline end of an instant must see it */
    va_list ap;
    va_start(ap, fmt);
    sim_error_setv(&sim->failure, SIM_ERR_SIMULATION, fmt, ap);
    va_end(ap);
}

SimPacket *sim_packet_new(Sim *sim)
{
    SimPacket *pkt = sim_packet_pool_get(&sim->pool);
    if (pkt == NULL) {
        sim_fail(sim,
                 "packet pool exhausted at %.3f ns: all %u packets are in use; raise "
                 "sim.packets in the topology",
                 (double)sim->now / 1000.0, sim->pool.capacity);
    }
    return pkt;
}

void sim_packet_free(Sim *sim, SimPacket *pkt)
{
    sim_packet_pool_put(&sim->pool, pkt);
}

/* Everything delivered and consumed, and no component holding work. */
static bool drained(const Sim *sim)
{
    for (uint32_t i = 0; i < sim->n_ports; i++) {
        if (sim->ports[i]->count != 0) {
            return false;
        }
    }
    for (uint32_t i = 0; i < sim->n_components; i++) {
        const SimComponent *c = sim->components[i];
        if (c->ops->busy != NULL && c->ops->busy(c)) {
            return false;
        }
    }
    return true;
}

/* Requests outstanding: a requester (SimComponent.requester) waits for work to be delivered. */
static bool requests_outstanding(const Sim *sim)
{
    for (uint32_t i = 0; i < sim->n_components; i++) {
        const SimComponent *c = sim->components[i];
        if (c->requester && c->ops->busy != NULL && c->ops->busy(c)) {
            return true;
        }
    }
    return false;
}

static void report_buffers(const Sim *sim, SimError *err)
{
    for (uint32_t i = 0; i < sim->n_ports; i++) {
        const SimPort *p = sim->ports[i];
        if (p->count == 0) {
            continue;
        }
        const SimPacket *h = p->ring[p->head].pkt;
        sim_error_append(err,
                         "\n  port %s: %u of %u entries; head: packet %llu type %u addr 0x%llx "
                         "len %u seq %u, visible at %.3f ns",
                         p->name, p->count, p->capacity, (unsigned long long)h->id, h->type,
                         (unsigned long long)h->addr, h->len, h->seq,
                         (double)p->ring[p->head].visible / 1000.0);
    }
    for (uint32_t i = 0; i < sim->n_components; i++) {
        const SimComponent *c = sim->components[i];
        if (c->ops->busy != NULL && c->ops->busy(c)) {
            sim_error_append(err, "\n  component %s: busy", c->name);
            if (c->ops->dump != NULL) {
                c->ops->dump(c, err);
            }
        }
    }
    sim_error_append(err, "\n  packets in use: %u of %u", sim->pool.in_use, sim->pool.capacity);
}

/* ---- the run ---- */

bool sim_prepare(Sim *sim, const SimRunOptions *opt, SimError *err)
{
    assert(!sim->running && !sim->prepared);
    const SimPoolOptions *po = &sim->pool_options;
    if (!sim_packet_pool_init(&sim->pool, po->packets, po->payload_blocks,
                              po->payload_block_size)) {
        return sim_error_set(err, SIM_ERR_NOMEM,
                             "out of memory making the packet pool (%u packets, %u payload "
                             "blocks of %u B)",
                             po->packets, po->payload_blocks, po->payload_block_size);
    }
    if (!sim_wheel_reserve(&sim->timers, sim->n_components + 1)) {
        return sim_error_set(err, SIM_ERR_NOMEM, "out of memory sizing the timers");
    }
    SimRng order;
    sim_rng_seed(&order, opt->order_seed, "tick-order");
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        SimDomain *d = sim->domains[i];
        d->n_words = (d->n_members + 63) / 64;
        d->awake = calloc(d->n_words ? d->n_words : 1, sizeof(uint64_t));
        d->pending = calloc(d->n_words ? d->n_words : 1, sizeof(uint64_t));
        d->cal =
            calloc((size_t)SIM_CALENDAR_SLOTS * (d->n_words ? d->n_words : 1), sizeof(uint64_t));
        d->cal_used = 0;
        if (d->awake == NULL || d->pending == NULL || d->cal == NULL) {
            return sim_error_set(err, SIM_ERR_NOMEM, "out of memory sizing domain '%s'", d->name);
        }
        if (opt->order_seed != 0) {
            for (uint32_t k = d->n_members; k > 1; k--) {
                uint32_t j = (uint32_t)sim_rng_below(&order, k);
                SimComponent *tmp = d->members[k - 1];
                d->members[k - 1] = d->members[j];
                d->members[j] = tmp;
            }
        }
        for (uint32_t k = 0; k < d->n_members; k++) {
            d->members[k]->slot = k;
        }
    }
    for (uint32_t i = 0; i < sim->n_ports; i++) {
        SimPort *p = sim->ports[i];
        if (!sim_stats_add(sim->stats, SIM_STAT_COUNTER, p->stats_key, "pushes", &p->pushes, 1.0,
                           "entries pushed") ||
            !sim_stats_add(sim->stats, SIM_STAT_TIMEAVG, p->stats_key, "occupancy", &p->occupancy,
                           1.0, "entries held, time-weighted")) {
            if (errno != EEXIST) {
                return sim_error_oom(err, p->name);
            }
            return sim_error_set(err, SIM_ERR_INPUT, "port '%s': statistics key '%s' is used twice",
                                 p->name, p->stats_key);
        }
    }
    /* Every component ticks at cycle 0 of its domain to set itself up. */
    sim->live = 0;
    for (uint32_t i = 0; i < sim->n_components; i++) {
        SimComponent *c = sim->components[i];
        sim_rng_seed(&c->rng, opt->seed, c->name);
        set_awake_bit(c);
        if (!c->daemon) {
            sim->live++;
        }
        c->domain->due = c->domain->phase;
    }
    sim->now = 0;
    sim->last_progress = 0;
    sim->last_work = 0;
    sim->last_due = 0;
    sim->activations = 0;
    sim->failed = false;
    sim->kernel = opt->kernel;
    sim->prepared = true;
    return true;
}

/* Step 2 of an instant: timed wake-ups due at t join their domain's awake set. */
static void release_timers(Sim *sim, SimTime t)
{
    SimTimer *next;
    for (SimTimer *n = sim_wheel_take_due(&sim->timers, t); n != NULL; n = next) {
        next = n->next;
        SimComponent *c = component_of(n);
        SimDomain *d = c->domain;
        assert(d->due >= t); /* later when only its calendar holds members */
        set_awake_bit(c);
        d->due = t;
    }
}

static inline void after_tick(Sim *sim, SimComponent *c, SimCycle cycle, SimCycle next)
{
    if (next != cycle + 1) {
        go_to_sleep(sim, c, cycle, next);
    }
}

/* Pending wake-ups for this edge, and members the calendar holds for it, join the awake set
 * (step 3 starts with this). */
static inline void merge_pending(SimDomain *d, SimCycle cycle)
{
    if (d->n_words == 1) { /* at most 64 members: most domains */
        d->awake[0] |= d->pending[0];
        d->pending[0] = 0;
    } else {
        for (uint32_t w = 0; w < d->n_words; w++) {
            d->awake[w] |= d->pending[w];
            d->pending[w] = 0;
        }
    }
    uint32_t s = (uint32_t)cycle & (SIM_CALENDAR_SLOTS - 1);
    if (d->cal_used >> s & 1u) {
        uint64_t *slot = d->cal + (size_t)s * d->n_words;
        for (uint32_t w = 0; w < d->n_words; w++) {
            uint64_t bits = slot[w];
            slot[w] = 0;
            d->awake[w] |= bits;
            while (bits) {
                SimComponent *c = d->members[(w << 6) | (uint32_t)__builtin_ctzll(bits)];
                bits &= bits - 1;
                c->awake = true;
                c->wake.where = SIM_TIMER_IDLE;
            }
        }
        d->cal_used &= ~(1ULL << s);
    }
}

/* After the edge of cycle `cycle` at t: the next one is due if anything is awake or was woken
 * for it, else the calendar's earliest edge, if any. */
static inline void close_edge(SimDomain *d, SimTime t, SimCycle cycle)
{
    uint64_t any = 0;
    if (d->n_words == 1) {
        any = d->awake[0] | d->pending[0];
    } else {
        for (uint32_t w = 0; w < d->n_words; w++) {
            any |= d->awake[w] | d->pending[w];
        }
    }
    if (any) {
        d->due = t + d->period;
    } else if (d->cal_used != 0) {
        /* Slots hold cycles cycle + 1 .. cycle + SIM_CALENDAR_SLOTS - 1: rotate cycle + 1's
         * slot to bit 0. */
        uint32_t r = (uint32_t)(cycle + 1) & (SIM_CALENDAR_SLOTS - 1);
        uint64_t u = d->cal_used;
        uint64_t rot = r ? (u >> r) | (u << (64 - r)) : u;
        d->due = t + (SimTime)(1 + __builtin_ctzll(rot)) * d->period;
    } else {
        d->due = SIM_TIME_NEVER;
    }
}

static void tick_domain_fast(Sim *sim, SimDomain *d, SimTime t)
{
    SimCycle cycle = (t - d->phase) / d->period;
    merge_pending(d, cycle);
    for (uint32_t w = 0; w < d->n_words; w++) {
        uint64_t bits = d->awake[w];
        while (bits) {
            uint32_t b = (uint32_t)__builtin_ctzll(bits);
            bits &= bits - 1;
            SimComponent *c = d->members[(w << 6) | b];
            SimCycle next = c->ops->tick(c, cycle);
            sim->activations++;
            after_tick(sim, c, cycle, next);
        }
    }
    close_edge(d, t, cycle);
}

/* The reference: every member ticks; only the due ones' answers steer the books. */
static void tick_domain_all(Sim *sim, SimDomain *d, SimTime t)
{
    SimCycle cycle = (t - d->phase) / d->period;
    bool edge_due = d->due == t;
    if (edge_due) {
        merge_pending(d, cycle);
    }
    for (uint32_t k = 0; k < d->n_members; k++) {
        SimComponent *c = d->members[k];
        /* Due means in the awake set at this edge. Not c->awake: a delivery earlier in this
         * instant may have set it (a pending bit, for the next edge), and this tick's answer
         * must not be taken for that one. */
        bool due = edge_due && (d->awake[k >> 6] >> (k & 63) & 1u);
        SimCycle next = c->ops->tick(c, cycle);
        sim->activations++;
        if (due) {
            after_tick(sim, c, cycle, next);
        }
    }
    if (edge_due) {
        close_edge(d, t, cycle);
    }
}

static SimTime next_due(Sim *sim)
{
    SimTime t = sim_wheel_top_time(&sim->timers);
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        if (sim->domains[i]->due < t) {
            t = sim->domains[i]->due;
        }
    }
    return t;
}

/*
 * next_due() for the fast kernel's loop, with the domains whose edge is due then (bit i: domain
 * i; only when there are at most 64 domains, else all bits). A domain not due at t cannot become
 * due at t while t's domains tick (ports deliver strictly later), so the mask stays exact.
 */
static inline SimTime next_due_mask(Sim *sim, uint64_t *mask, bool *timers_due)
{
    const SimTime top = sim_wheel_top_time(&sim->timers);
    SimTime t = top;
    uint64_t m = 0;
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        SimTime d = sim->domains[i]->due;
        if (d < t) {
            t = d;
            m = 0;
        }
        if (d == t) {
            m |= 1ULL << (i & 63);
        }
    }
    /* Timers due at t add their domains when released; those have an edge at t. */
    *timers_due = top == t;
    *mask = sim->n_domains > 64 || top == t ? ~0ULL : m;
    return t;
}

/* The instant at which the watchdog must look even if nothing is due then: `watchdog` of
 * simulated time after the last work. Such an instant ticks nothing (it is not due) and changes
 * no statistic; it only ends a run that delivers no work on time. */
static SimTime watchdog_deadline(const Sim *sim)
{
    SimTime w = sim->options.watchdog;
    return w == 0 || sim->last_work > SIM_TIME_NEVER - w ? SIM_TIME_NEVER : sim->last_work + w;
}

/* sim->check_at after instant_end() looked: the next progress report or the watchdog's
 * deadline, whichever is first. The deadline moves only later (sim_work_done), so until check_at
 * neither check can fire; 0 when every instant needs instant_end() (outputs observed, a
 * failure). */
static void set_check_at(Sim *sim)
{
    SimTime c = sim->next_progress;
    SimTime wd = watchdog_deadline(sim);
    if (wd < c) {
        c = wd;
    }
    sim->check_at = sim->observe != NULL || sim->failed ? 0 : c;
}

static SimTime next_edge_any(const Sim *sim, SimTime after_or_at)
{
    SimTime t = SIM_TIME_NEVER;
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        const SimDomain *d = sim->domains[i];
        if (d->n_members == 0) {
            continue;
        }
        SimTime e = sim_domain_time(d, sim_domain_cycle_at_or_after(d, after_or_at));
        if (e < t) {
            t = e;
        }
    }
    return t;
}

static void finish(Sim *sim, SimTime end)
{
    sim->end_time = end;
    sim->now = end;
    for (uint32_t i = 0; i < sim->n_ports; i++) {
        SimPort *p = sim->ports[i];
        /* Integral of occupancy: sum of pop times - sum of push times + entries left x end. */
        uint64_t area = p->pop_time_sum - p->push_time_sum + (uint64_t)p->count * end;
        sim_timeavg_init(&p->occupancy, 0, 0);
        p->occupancy.area_lo = area;
        p->occupancy.area_hi = 0;
        p->occupancy.value = 0;
        p->occupancy.since = end;
        p->occupancy.max = p->max_count;
    }
    for (uint32_t i = 0; i < sim->n_components; i++) {
        SimComponent *c = sim->components[i];
        if (c->ops->finish != NULL) {
            c->ops->finish(c, end);
        }
    }
    sim_stats_set_window(sim->stats, 0, end);
    if (sim->observe != NULL) {
        sim_observe_finish(sim->observe, end);
    }
    sim->running = false;
}

bool sim_begin(Sim *sim, const SimRunOptions *opt, SimError *err)
{
    assert(!sim->running && "a topology runs once");
    if (!sim->prepared && !sim_prepare(sim, opt, err)) {
        return false;
    }
    sim->running = true;
    sim->options = *opt;
    sim->next_progress = opt->progress ? opt->progress_every : SIM_TIME_NEVER;
    sim->checked_progress = SIM_TIME_NEVER;
    sim->instant_due = false;
    return true;
}

SimTime sim_next_due(Sim *sim)
{
    return next_due(sim);
}

/* sim_instant_begin, given next_due(sim) (nothing can have changed it since) and whether the
 * wheel's earliest timer is at it. */
static inline void instant_begin(Sim *sim, SimTime t, SimTime due, bool timers_due)
{
    assert(sim->running && (t > sim->now || sim->activations == 0));
    assert(due == next_due(sim));
    sim->now = t;
    sim_wheel_advance(&sim->timers, t);
    if (sim->observe != NULL) {
        sim_observe_instant_begin(sim->observe, t);
    }
    sim->instant_due = due == t;
    if (sim->instant_due) {
        if (timers_due) {
            release_timers(sim, t);
        }
        sim->last_due = t;
    }
}

void sim_instant_begin(Sim *sim, SimTime t)
{
    SimTime due = next_due(sim);
    instant_begin(sim, t, due, sim_wheel_top_time(&sim->timers) == due);
}

bool sim_domain_has_edge(const SimDomain *d, SimTime t)
{
    return d->n_members && t >= d->phase && (t - d->phase) % d->period == 0;
}

void sim_domain_edge(Sim *sim, SimDomain *d, SimTime t, bool all)
{
    assert(t == sim->now);
    if (all) {
        tick_domain_all(sim, d, t);
    } else if (d->due == t) {
        tick_domain_fast(sim, d, t);
    }
}

/* sim_instant_end; *due is next_due(sim) after it when it returns SIM_STEP_CONTINUE. */
static SimStep instant_end(Sim *sim, SimError *err, SimTime *due)
{
    const SimTime t = sim->now;
    const SimRunOptions *opt = &sim->options;
    if (sim->observe != NULL) {
        sim_observe_instant_end(sim->observe, t);
    }
    if (sim->failed) {
        *err = sim->failure;
        sim->end_time = t;
        return SIM_STEP_FAILED;
    }
    if (sim->instant_due) {
        /* These checks run at due instants only, so every kernel makes them at the same times. */
        if (sim->live == 0 && (sim->checked_progress != sim->last_progress || sim->idle_noted)) {
            sim->idle_noted = false;
            /* Only daemons (refresh timers) are left: stop once nothing holds work. */
            if (drained(sim)) {
                sim->end_time = sim->last_due;
                return SIM_STEP_DONE;
            }
            sim->checked_progress = sim->last_progress;
        }
        if (t >= sim->next_progress) {
            opt->progress(opt->progress_ctx, t, opt->until);
            while (sim->next_progress <= t) {
                sim->next_progress += opt->progress_every;
            }
        }
    }
    if (opt->stop != NULL && *opt->stop) {
        sim_error_set(err, SIM_ERR_INTERRUPTED, "interrupted at %.3f ns of simulated time",
                      (double)t / 1000.0);
        sim->end_time = t;
        return SIM_STEP_FAILED;
    }
    /* The watchdog, at any instant (its own deadline is one: watchdog_deadline()). */
    if (opt->watchdog && t - sim->last_work >= opt->watchdog) {
        if (requests_outstanding(sim)) {
            sim_error_set(err, SIM_ERR_SIMULATION,
                          "watchdog at %.3f ns: no work delivered for %.3f ns (sim.watchdog "
                          "%.3f ns: a memory access, a response, a finished transfer) while "
                          "requests are outstanding; these buffers hold work:",
                          (double)t / 1000.0, (double)(t - sim->last_work) / 1000.0,
                          (double)opt->watchdog / 1000.0);
            report_buffers(sim, err);
            sim->end_time = t;
            return SIM_STEP_FAILED;
        }
        /* No request was outstanding (a compute phase, a fabric that only refreshes its
         * links): the clock starts again, and the next due instant looks whether only daemons
         * are left (a component may have fallen idle unnoticed). */
        sim->last_work = t;
        sim->idle_noted = true;
    }
    *due = next_due(sim);
    if (*due == SIM_TIME_NEVER) {
        sim->end_time = sim->last_due;
        if (!drained(sim)) {
            sim_error_set(err, SIM_ERR_SIMULATION,
                          "deadlock at %.3f ns: every component waits and these buffers still "
                          "hold work:",
                          (double)sim->now / 1000.0);
            report_buffers(sim, err);
            return SIM_STEP_FAILED;
        }
        return SIM_STEP_DONE;
    }
    return SIM_STEP_CONTINUE;
}

SimStep sim_instant_end(Sim *sim, SimError *err)
{
    SimTime due;
    return instant_end(sim, err, &due);
}

void sim_end(Sim *sim, SimTime end)
{
    finish(sim, end);
}

/*
 * The loop both built-in kernels share. The fast kernel visits due instants only; the
 * every-cycle kernel visits every edge of every domain, up to the same last due instant.
 */
bool sim_run(Sim *sim, const SimRunOptions *opt, SimError *err)
{
    if (!sim_begin(sim, opt, err)) {
        return false;
    }
    const bool every = opt->kernel == SIM_KERNEL_EVERY_CYCLE;
    SimTime from = 0; /* the every-cycle kernel visits every edge from here on */
    SimStep step = SIM_STEP_CONTINUE;
    SimTime end = 0;
    uint64_t due_mask = 0;   /* fast kernel: domains that may be due at `due` */
    bool timers_due = false; /* a wheel timer is due at `due` */
    SimTime due = next_due_mask(sim, &due_mask, &timers_due);
    if (due == SIM_TIME_NEVER) {
        step = SIM_STEP_DONE; /* no components */
    }
    set_check_at(sim);
    while (step == SIM_STEP_CONTINUE) {
        SimTime t = every ? next_edge_any(sim, from) : due;
        if (t > due) {
            t = due; /* a due instant is always a domain edge; never skip one */
        }
        if (t >= sim->check_at) { /* else the watchdog's deadline is later than t */
            SimTime wd = watchdog_deadline(sim);
            if (wd < t && due != SIM_TIME_NEVER) {
                t = wd;
            }
        }
        from = t + 1;
        if (t > opt->until) {
            end = opt->until;
            break;
        }
        instant_begin(sim, t, due, timers_due);
        if (!every) {
            if (sim->n_domains <= 64) {
                for (uint64_t m = due_mask; m != 0; m &= m - 1) {
                    uint32_t i = (uint32_t)__builtin_ctzll(m);
                    if (i >= sim->n_domains) {
                        break; /* the mask was all ones: timers were due */
                    }
                    SimDomain *d = sim->domains[i];
                    if (d->due == t) {
                        tick_domain_fast(sim, d, t);
                    }
                }
            } else {
                for (uint32_t i = 0; i < sim->n_domains; i++) {
                    SimDomain *d = sim->domains[i];
                    if (d->due == t) {
                        tick_domain_fast(sim, d, t);
                    }
                }
            }
            /* The end of an ordinary instant, inline: nothing observed, failed, interrupted or
             * late for the watchdog, and no end-of-run or progress check due (instant_end()'s
             * conditions, each false; check_at folds the first two and the last two). */
            if (t < sim->check_at && (sim->live != 0 || !sim->instant_due) &&
                (opt->stop == NULL || !*opt->stop)) {
                due = next_due_mask(sim, &due_mask, &timers_due);
                if (due != SIM_TIME_NEVER) {
                    continue;
                }
            }
        } else {
            for (uint32_t i = 0; i < sim->n_domains; i++) {
                SimDomain *d = sim->domains[i];
                if (sim_domain_has_edge(d, t)) {
                    tick_domain_all(sim, d, t);
                }
            }
        }
        step = instant_end(sim, err, &due);
        if (step == SIM_STEP_CONTINUE) {
            due = next_due_mask(sim, &due_mask, &timers_due);
        }
        set_check_at(sim);
        end = sim->end_time;
    }
    finish(sim, end);
    return step != SIM_STEP_FAILED;
}
