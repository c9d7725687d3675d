#include "wheel.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#define SLOT_MASK  (SIM_WHEEL_SLOTS - 1u)
#define USED_WORDS (SIM_WHEEL_SLOTS / 64u)

static inline SimTimer *timer_of(SimHeapNode *n)
{
    return (SimTimer *)((char *)n - offsetof(SimTimer, far));
}

bool sim_wheel_init(SimWheel *w)
{
    *w = (SimWheel){0};
    w->min = SIM_TIME_NEVER;
    w->slot = calloc(SIM_WHEEL_SLOTS, sizeof(*w->slot));
    w->slot_min = calloc(SIM_WHEEL_SLOTS, sizeof(*w->slot_min));
    if (w->slot == NULL || w->slot_min == NULL || !sim_heap_init(&w->far, 16)) {
        sim_wheel_destroy(w);
        return false;
    }
    return true;
}

void sim_wheel_destroy(SimWheel *w)
{
    free(w->slot);
    free(w->slot_min);
    w->slot = NULL;
    w->slot_min = NULL;
    sim_heap_destroy(&w->far);
}

bool sim_wheel_reserve(SimWheel *w, uint32_t timers)
{
    return sim_heap_reserve(&w->far, timers);
}

void sim_timer_init(SimTimer *n)
{
    n->time = SIM_TIME_NEVER;
    n->next = n->prev = NULL;
    sim_heap_node_init(&n->far);
    n->where = SIM_TIMER_IDLE;
}

/* The first non-empty slot at or after s (circularly); the wheel is not empty. */
static uint32_t first_used(const SimWheel *w, uint32_t s)
{
    uint32_t word = s >> 6;
    uint64_t bits = w->used[word] & (~0ULL << (s & 63));
    if (bits) {
        return (word << 6) | (uint32_t)__builtin_ctzll(bits);
    }
    /* Whole words after this one, then from the start up to and including it. */
    uint64_t after = word + 1 < USED_WORDS ? w->summary & (~0ULL << (word + 1)) : 0;
    uint32_t next =
        after ? (uint32_t)__builtin_ctzll(after) : (uint32_t)__builtin_ctzll(w->summary);
    return (next << 6) | (uint32_t)__builtin_ctzll(w->used[next]);
}

SimTime sim_wheel_find_min(SimWheel *w)
{
    /* Every timer on the wheel lies within SIM_WHEEL_SLOTS slots from the cursor, so the first
     * non-empty slot from the cursor's holds the earliest. */
    SimTime m = SIM_TIME_NEVER;
    if (w->count != 0) {
        m = w->slot_min[first_used(w, (uint32_t)w->cursor & SLOT_MASK)];
    }
    w->min = m;
    w->min_stale = false;
    return m;
}

/* The earliest time in slot s, not empty, found again. */
static void slot_min_again(SimWheel *w, uint32_t s)
{
    SimTime m = SIM_TIME_NEVER;
    for (const SimTimer *n = w->slot[s]; n != NULL; n = n->next) {
        if (n->time < m) {
            m = n->time;
        }
    }
    w->slot_min[s] = m;
}

/* Takes n, queued on the wheel, off its slot s; the slot's earliest time is found again when n
 * held it, unless `batch` (the caller does it once for several). */
static inline void unlink_timer(SimWheel *w, SimTimer *n, uint32_t s, bool batch)
{
    if (n->prev != NULL) {
        n->prev->next = n->next;
    } else {
        w->slot[s] = n->next;
        if (n->next == NULL) {
            w->used[s >> 6] &= ~(1ULL << (s & 63));
            if (w->used[s >> 6] == 0) {
                w->summary &= ~(1ULL << (s >> 6));
            }
        }
    }
    if (n->next != NULL) {
        n->next->prev = n->prev;
    }
    n->where = SIM_TIMER_IDLE;
    w->count--;
    if (n->time == w->min) {
        w->min_stale = true;
    }
    if (!batch && w->slot[s] != NULL && n->time == w->slot_min[s]) {
        slot_min_again(w, s);
    }
}

void sim_wheel_remove(SimWheel *w, SimTimer *n)
{
    if (n->where == SIM_TIMER_FAR) {
        sim_heap_remove(&w->far, &n->far);
    } else if (n->where == SIM_TIMER_WHEEL) {
        unlink_timer(w, n, (uint32_t)(n->time >> SIM_WHEEL_GRAIN_BITS) & SLOT_MASK, false);
        return;
    }
    n->where = SIM_TIMER_IDLE;
}

void sim_wheel_schedule(SimWheel *w, SimTimer *n, SimTime t)
{
    sim_wheel_remove(w, n);
    n->time = t;
    uint64_t abs = t >> SIM_WHEEL_GRAIN_BITS;
    assert(abs >= w->cursor && "a timer in the past");
    if (abs - w->cursor >= SIM_WHEEL_SLOTS) {
        n->where = SIM_TIMER_FAR;
        sim_heap_schedule(&w->far, &n->far, t);
        return;
    }
    uint32_t s = (uint32_t)abs & SLOT_MASK;
    n->where = SIM_TIMER_WHEEL;
    n->prev = NULL;
    n->next = w->slot[s];
    if (n->next != NULL) {
        n->next->prev = n;
        if (t < w->slot_min[s]) {
            w->slot_min[s] = t;
        }
    } else {
        w->used[s >> 6] |= 1ULL << (s & 63);
        w->summary |= 1ULL << (s >> 6);
        w->slot_min[s] = t;
    }
    w->slot[s] = n;
    if (w->count++ == 0) {
        w->min = t;
        w->min_stale = false;
    } else if (!w->min_stale && t < w->min) {
        w->min = t;
    }
}

SimTimer *sim_wheel_take_due(SimWheel *w, SimTime t)
{
    SimTimer *due = NULL;
    while (sim_heap_top_time(&w->far) == t) {
        SimTimer *n = timer_of(sim_heap_pop(&w->far));
        n->where = SIM_TIMER_IDLE;
        n->next = due;
        due = n;
    }
    if (w->count == 0 || (t >> SIM_WHEEL_GRAIN_BITS) - w->cursor >= SIM_WHEEL_SLOTS) {
        return due;
    }
    uint32_t s = (uint32_t)(t >> SIM_WHEEL_GRAIN_BITS) & SLOT_MASK;
    if (w->slot[s] == NULL || w->slot_min[s] != t) {
        return due; /* nothing in the slot is due at t */
    }
    SimTime left = SIM_TIME_NEVER; /* earliest of those staying */
    SimTimer *n = w->slot[s];
    while (n != NULL) {
        SimTimer *next = n->next;
        if (n->time == t) {
            unlink_timer(w, n, s, true);
            n->next = due;
            due = n;
        } else if (n->time < left) {
            left = n->time;
        }
        n = next;
    }
    w->slot_min[s] = left;
    return due;
}
