/*
 * A timed FIFO of packets, private to models/pcie: each entry becomes ready at a cycle of the
 * owner's clock. Entries of one FIFO are always pushed with a constant delay after the event
 * that made them, so FIFO order is ready order and only the head needs looking at.
 *
 *   head                 head + count
 *    v                    v
 *   [ e0 | e1 | .. | en-1 | free ... ]  (mod cap), ready(e0) <= ready(e1) <= ...
 *
 * Storage is allocated at build (pcie_fifo_init); push and pop never allocate.
 */
#ifndef MEMBOX_MODELS_PCIE_FIFO_H
#define MEMBOX_MODELS_PCIE_FIFO_H

#include <stdlib.h>

#include "sim/core/kernel.h"

typedef struct PcieFifoEntry {
    SimCycle ready;
    SimPacket *pkt;
} PcieFifoEntry;

typedef struct PcieFifo {
    PcieFifoEntry *e;
    uint32_t cap;
    uint32_t head;
    uint32_t count;
} PcieFifo;

static inline bool pcie_fifo_init(PcieFifo *f, uint32_t cap)
{
    f->e = calloc(cap ? cap : 1, sizeof(*f->e));
    f->cap = cap ? cap : 1;
    f->head = 0;
    f->count = 0;
    return f->e != NULL;
}

static inline void pcie_fifo_destroy(PcieFifo *f)
{
    free(f->e);
    f->e = NULL;
}

static inline bool pcie_fifo_full(const PcieFifo *f)
{
    return f->count == f->cap;
}

static inline void pcie_fifo_push(PcieFifo *f, SimCycle ready, SimPacket *pkt)
{
    uint32_t tail = f->head + f->count;
    if (tail >= f->cap) {
        tail -= f->cap;
    }
    f->e[tail].ready = ready;
    f->e[tail].pkt = pkt;
    f->count++;
}

/* The head if it is ready at `now`, else NULL. */
static inline SimPacket *pcie_fifo_ready(const PcieFifo *f, SimCycle now)
{
    if (f->count == 0 || f->e[f->head].ready > now) {
        return NULL;
    }
    return f->e[f->head].pkt;
}

static inline SimPacket *pcie_fifo_head(const PcieFifo *f)
{
    return f->count ? f->e[f->head].pkt : NULL;
}

/* Cycle the head is ready at, SIM_CYCLE_NEVER when empty. */
static inline SimCycle pcie_fifo_head_ready(const PcieFifo *f)
{
    return f->count ? f->e[f->head].ready : SIM_CYCLE_NEVER;
}

static inline SimPacket *pcie_fifo_pop(PcieFifo *f)
{
    SimPacket *pkt = f->e[f->head].pkt;
    if (++f->head == f->cap) {
        f->head = 0;
    }
    f->count--;
    return pkt;
}

/* The wake-up a FIFO asks for: its head's ready cycle, but never before now + 1. */
static inline SimCycle pcie_fifo_wake(const PcieFifo *f, SimCycle now)
{
    SimCycle r = pcie_fifo_head_ready(f);
    if (r == SIM_CYCLE_NEVER) {
        return SIM_CYCLE_NEVER;
    }
    return r > now ? r : now + 1;
}

#endif
