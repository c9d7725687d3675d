/*
 * SimWheel: the kernel's timed wake-ups (one SimTimer per component). A timing wheel of
 * SIM_WHEEL_SLOTS slots of 2^SIM_WHEEL_GRAIN_BITS ps each holds the timers due within its reach
 * (4096 x 512 ps from now, about 2.1 us): a slot is an unordered doubly linked list, so scheduling,
 * moving and cancelling are O(1) with no heap sift (cancelling was the costliest part of the old
 * binary heap: a component sleeping on a distant timer is woken by a port far more often than its
 * timer fires). Timers further away wait in a SimHeap until they are due; the earliest time of all
 * is the earlier of the wheel's and the heap's.
 *
 * Timers of equal time come out in no particular order: the kernel only sets awake bits from
 * them, which commute. Everything is allocated by sim_wheel_init() and sim_wheel_reserve() at
 * build time; nothing allocates while the run goes.
 */
#ifndef MEMBOX_SIM_WHEEL_H
#define MEMBOX_SIM_WHEEL_H

#include "heap.h"
#include "sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIM_WHEEL_SLOT_BITS  12u
#define SIM_WHEEL_SLOTS      (1u << SIM_WHEEL_SLOT_BITS)
#define SIM_WHEEL_GRAIN_BITS 9u /* 512 ps a slot */

typedef enum SimTimerWhere {
    SIM_TIMER_IDLE = 0,
    SIM_TIMER_WHEEL,
    SIM_TIMER_FAR,
    SIM_TIMER_CALENDAR /* not on the wheel: in its domain's calendar of near edges (kernel.c) */
} SimTimerWhere;

typedef struct SimTimer {
    SimTime time;
    struct SimTimer *next; /* in its slot */
    struct SimTimer *prev;
    SimHeapNode far; /* in the heap, beyond the wheel's reach */
    uint8_t where;   /* SimTimerWhere */
    uint8_t cal;     /* SIM_TIMER_CALENDAR: the calendar slot */
} SimTimer;

typedef struct SimWheel {
    SimTimer **slot;                     /* SIM_WHEEL_SLOTS list heads */
    SimTime *slot_min;                   /* earliest time of each non-empty slot */
    uint64_t used[SIM_WHEEL_SLOTS / 64]; /* bit per non-empty slot */
    uint64_t summary;                    /* bit w: used[w] != 0 */
    uint64_t cursor;                     /* absolute slot of the current time */
    SimTime min;    /* earliest time on the wheel (SIM_TIME_NEVER: empty) unless min_stale */
    bool min_stale; /* the earliest was taken off: found again when next asked for */
    uint32_t count; /* timers on the wheel */
    SimHeap far;
} SimWheel;

bool sim_wheel_init(SimWheel *w);
void sim_wheel_destroy(SimWheel *w);
/* Room for `timers` far timers (build phase only). */
bool sim_wheel_reserve(SimWheel *w, uint32_t timers);

void sim_timer_init(SimTimer *n);

static inline bool sim_timer_queued(const SimTimer *n)
{
    return n->where != SIM_TIMER_IDLE;
}

/* Time moves on to now (never back): the wheel's reach starts there. */
static inline void sim_wheel_advance(SimWheel *w, SimTime now)
{
    w->cursor = now >> SIM_WHEEL_GRAIN_BITS;
}

/* Queues n at t (not before the time last given to sim_wheel_advance); moves it if queued. */
void sim_wheel_schedule(SimWheel *w, SimTimer *n, SimTime t);
void sim_wheel_remove(SimWheel *w, SimTimer *n);

SimTime sim_wheel_find_min(SimWheel *w);

/* The earliest queued time, SIM_TIME_NEVER when none. */
static inline SimTime sim_wheel_top_time(SimWheel *w)
{
    SimTime m = w->min_stale ? sim_wheel_find_min(w) : w->min;
    SimTime f = sim_heap_top_time(&w->far);
    return f < m ? f : m;
}

/* Every timer queued at exactly t, taken off and chained through `next` (NULL: none). */
SimTimer *sim_wheel_take_due(SimWheel *w, SimTime t);

#ifdef __cplusplus
}
#endif

#endif
