/*
 * SimRing: the one bounded ring of the project. It keeps only the bookkeeping (which slots hold
 * entries); the entries live in an array of the owner's own type, sized at build, so that a push
 * or a pop is an index computation and a plain typed store or load: no element size, no memcpy,
 * no allocation, nothing the compiler cannot see through.
 *
 *              head                           head + count ("tail": the next push goes here)
 *               v                              v
 *   slots: [ .. | e0 | e1 | e2 | .. | e(n-1) | free .. ]    indices mod cap
 *               oldest                  newest
 *
 *   Foo *buf = calloc(cap, sizeof(*buf));  SimRing r;  sim_ring_init(&r, cap);
 *   buf[sim_ring_push(&r)] = x;            (requires !sim_ring_full(&r))
 *   Foo *oldest = &buf[sim_ring_head(&r)]; (requires !sim_ring_empty(&r))
 *   Foo y = buf[sim_ring_pop(&r)];         (the slot keeps its value until pushed again)
 *   Foo *i_th = &buf[sim_ring_slot(&r, i)] (i < count: entry i, 0 being the oldest)
 *
 * The capacity need not be a power of two: wrapping is one compare, not a division.
 *
 * SimTimedFifo, below, is the common case on top of it: packets that each become ready at a
 * cycle of the owner's clock (a pipeline stage, a delay line, a completion queue).
 */
#ifndef MEMBOX_SIM_RING_H
#define MEMBOX_SIM_RING_H

#include <assert.h>
#include <stdlib.h>

#include "sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct SimRing {
    uint32_t head;  /* slot of the oldest entry */
    uint32_t count; /* entries held, <= cap */
    uint32_t cap;   /* slots of the owner's array, > 0 */
} SimRing;

static inline void sim_ring_init(SimRing *r, uint32_t cap)
{
    assert(cap > 0);
    r->head = 0;
    r->count = 0;
    r->cap = cap;
}

static inline bool sim_ring_empty(const SimRing *r)
{
    return r->count == 0;
}

static inline bool sim_ring_full(const SimRing *r)
{
    return r->count == r->cap;
}

/* Slot of entry i (0: the oldest); i may go up to cap - 1, so i == count is the next push's. */
static inline uint32_t sim_ring_slot(const SimRing *r, uint32_t i)
{
    assert(i < r->cap);
    uint32_t k = r->head + i;
    return k >= r->cap ? k - r->cap : k;
}

/* Slot of the oldest entry. */
static inline uint32_t sim_ring_head(const SimRing *r)
{
    assert(r->count > 0);
    return r->head;
}

/* Slot of the newest entry. */
static inline uint32_t sim_ring_newest(const SimRing *r)
{
    assert(r->count > 0);
    return sim_ring_slot(r, r->count - 1);
}

/* Takes the slot after the newest entry and returns it; the caller fills it. */
static inline uint32_t sim_ring_push(SimRing *r)
{
    assert(r->count < r->cap && "sized at build for the most it can hold");
    uint32_t k = r->head + r->count;
    r->count++;
    return k >= r->cap ? k - r->cap : k;
}

/* Releases the oldest entry and returns its slot, whose value stays until a push reuses it. */
static inline uint32_t sim_ring_pop(SimRing *r)
{
    assert(r->count > 0);
    uint32_t k = r->head;
    r->head = k + 1 == r->cap ? 0 : k + 1;
    r->count--;
    return k;
}

/* ---- timed packet FIFO ---- */

/*
 * Packets that each become ready at a cycle of the owner's clock. The owner pushes every entry
 * of one FIFO with the same delay after the event that made it (or at least never earlier than
 * the entry before), so FIFO order is ready order and only the head needs looking at:
 *
 *   head                         tail
 *    v                            v
 *   [ e0 | e1 | .. | e(n-1) | free .. ]   ready(e0) <= ready(e1) <= ... <= ready(e(n-1))
 *
 * The entries are allocated by sim_timed_fifo_init (build); push and pop never allocate.
 */
typedef struct SimTimedEntry {
    SimCycle ready;
    SimPacket *pkt;
} SimTimedEntry;

typedef struct SimTimedFifo {
    SimRing r;
    SimTimedEntry *e;
} SimTimedFifo;

/* Allocates cap entries (at least one); false when out of memory (e is then NULL). */
static inline bool sim_timed_fifo_init(SimTimedFifo *f, uint32_t cap)
{
    sim_ring_init(&f->r, cap ? cap : 1);
    f->e = (SimTimedEntry *)calloc(f->r.cap, sizeof(*f->e));
    return f->e != NULL;
}

/* Frees the entries (not the packets they hold); safe on a zeroed or destroyed FIFO. */
static inline void sim_timed_fifo_destroy(SimTimedFifo *f)
{
    free(f->e);
    f->e = NULL;
}

static inline uint32_t sim_timed_fifo_count(const SimTimedFifo *f)
{
    return f->r.count;
}

/* Entries that can still be pushed. */
static inline uint32_t sim_timed_fifo_space(const SimTimedFifo *f)
{
    return f->r.cap - f->r.count;
}

static inline bool sim_timed_fifo_full(const SimTimedFifo *f)
{
    return sim_ring_full(&f->r);
}

/* Requires !sim_timed_fifo_full(f). Entries leave in push order whatever their ready cycles: a
 * ready entry behind one that is not waits for it. */
static inline void sim_timed_fifo_push(SimTimedFifo *f, SimCycle ready, SimPacket *pkt)
{
    SimTimedEntry *t = &f->e[sim_ring_push(&f->r)];
    t->ready = ready;
    t->pkt = pkt;
}

/* The oldest packet, ready or not; NULL when empty. */
static inline SimPacket *sim_timed_fifo_head(const SimTimedFifo *f)
{
    return f->r.count ? f->e[f->r.head].pkt : NULL;
}

/* Cycle the oldest packet is ready at, SIM_CYCLE_NEVER when empty. */
static inline SimCycle sim_timed_fifo_head_ready(const SimTimedFifo *f)
{
    return f->r.count ? f->e[f->r.head].ready : SIM_CYCLE_NEVER;
}

/* The oldest packet if it is ready at `now`, else NULL. */
static inline SimPacket *sim_timed_fifo_ready(const SimTimedFifo *f, SimCycle now)
{
    if (f->r.count == 0 || f->e[f->r.head].ready > now) {
        return NULL;
    }
    return f->e[f->r.head].pkt;
}

/* Removes and returns the oldest packet. Requires a non-empty FIFO. */
static inline SimPacket *sim_timed_fifo_pop(SimTimedFifo *f)
{
    return f->e[sim_ring_pop(&f->r)].pkt;
}

/* The wake-up the FIFO asks for at `now`: its head's ready cycle, never before now + 1;
 * SIM_CYCLE_NEVER when empty. */
static inline SimCycle sim_timed_fifo_wake(const SimTimedFifo *f, SimCycle now)
{
    SimCycle r = sim_timed_fifo_head_ready(f);
    if (r == SIM_CYCLE_NEVER) {
        return SIM_CYCLE_NEVER;
    }
    return r > now ? r : now + 1;
}

#ifdef __cplusplus
}
#endif

#endif
