#include "heap.h"

#include <assert.h>
#include <stdlib.h>

static inline bool node_less(const SimHeapNode *a, const SimHeapNode *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

bool sim_heap_init(SimHeap *h, uint32_t capacity)
{
    h->nodes = NULL;
    h->count = 0;
    h->capacity = 0;
    h->next_seq = 0;
    return sim_heap_reserve(h, capacity);
}

void sim_heap_destroy(SimHeap *h)
{
    free(h->nodes);
    h->nodes = NULL;
    h->count = h->capacity = 0;
}

bool sim_heap_reserve(SimHeap *h, uint32_t capacity)
{
    if (capacity <= h->capacity) {
        return true;
    }
    SimHeapNode **n = realloc(h->nodes, (size_t)capacity * sizeof(*n));
    if (n == NULL) {
        return false;
    }
    h->nodes = n;
    h->capacity = capacity;
    return true;
}

void sim_heap_node_init(SimHeapNode *n)
{
    n->time = SIM_TIME_NEVER;
    n->seq = 0;
    n->index = SIM_HEAP_NOT_QUEUED;
}

static void sift_up(SimHeap *h, uint32_t i)
{
    SimHeapNode *n = h->nodes[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!node_less(n, h->nodes[parent])) {
            break;
        }
        h->nodes[i] = h->nodes[parent];
        h->nodes[i]->index = i;
        i = parent;
    }
    h->nodes[i] = n;
    n->index = i;
}

static void sift_down(SimHeap *h, uint32_t i)
{
    SimHeapNode *n = h->nodes[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= h->count) {
            break;
        }
        if (child + 1 < h->count && node_less(h->nodes[child + 1], h->nodes[child])) {
            child++;
        }
        if (!node_less(h->nodes[child], n)) {
            break;
        }
        h->nodes[i] = h->nodes[child];
        h->nodes[i]->index = i;
        i = child;
    }
    h->nodes[i] = n;
    n->index = i;
}

void sim_heap_remove(SimHeap *h, SimHeapNode *n)
{
    if (!sim_heap_node_queued(n)) {
        return;
    }
    uint32_t i = n->index;
    assert(i < h->count && h->nodes[i] == n);
    n->index = SIM_HEAP_NOT_QUEUED;
    h->count--;
    if (i == h->count) {
        return;
    }
    h->nodes[i] = h->nodes[h->count];
    h->nodes[i]->index = i;
    sift_down(h, i);
    sift_up(h, h->nodes[i]->index);
}

void sim_heap_schedule(SimHeap *h, SimHeapNode *n, SimTime t)
{
    sim_heap_remove(h, n);
    assert(h->count < h->capacity);
    n->time = t;
    n->seq = h->next_seq++;
    h->nodes[h->count] = n;
    n->index = h->count;
    h->count++;
    sift_up(h, n->index);
}

SimHeapNode *sim_heap_pop(SimHeap *h)
{
    SimHeapNode *top = sim_heap_top(h);
    if (top != NULL) {
        sim_heap_remove(h, top);
    }
    return top;
}
