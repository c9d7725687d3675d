/*
 * SimHeap: an intrusive binary min-heap of timed wake-ups, ordered by (time, sequence). The
 * sequence is a global insertion counter, so entries with equal times come out in the order
 * they were scheduled. Nodes are embedded in their owners (one per component); the heap array
 * is sized when the topology is built, so scheduling never allocates.
 */
#ifndef MEMBOX_SIM_HEAP_H
#define MEMBOX_SIM_HEAP_H

#include "sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIM_HEAP_NOT_QUEUED UINT32_MAX

typedef struct SimHeapNode {
    SimTime time;
    uint64_t seq;
    uint32_t index; /* position in the heap array, SIM_HEAP_NOT_QUEUED when not queued */
} SimHeapNode;

typedef struct SimHeap {
    SimHeapNode **nodes;
    uint32_t count;
    uint32_t capacity;
    uint64_t next_seq;
} SimHeap;

bool sim_heap_init(SimHeap *h, uint32_t capacity);
void sim_heap_destroy(SimHeap *h);
/* Grows the array (build phase only). */
bool sim_heap_reserve(SimHeap *h, uint32_t capacity);

void sim_heap_node_init(SimHeapNode *n);

static inline bool sim_heap_node_queued(const SimHeapNode *n)
{
    return n->index != SIM_HEAP_NOT_QUEUED;
}

/* Queues n at time t with a fresh sequence number; if n is queued already it is moved. */
void sim_heap_schedule(SimHeap *h, SimHeapNode *n, SimTime t);
void sim_heap_remove(SimHeap *h, SimHeapNode *n);

static inline SimHeapNode *sim_heap_top(const SimHeap *h)
{
    return h->count ? h->nodes[0] : NULL;
}

static inline SimTime sim_heap_top_time(const SimHeap *h)
{
    return h->count ? h->nodes[0]->time : SIM_TIME_NEVER;
}

SimHeapNode *sim_heap_pop(SimHeap *h);

#ifdef __cplusplus
}
#endif

#endif
