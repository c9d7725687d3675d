/* Timed wake-ups: the (time, sequence) heap. */
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "sim/core/heap.h"

namespace
{

struct Item {
    SimHeapNode node;
    int id;
};

Item *item_of(SimHeapNode *n)
{
    return reinterpret_cast<Item *>(reinterpret_cast<char *>(n) - offsetof(Item, node));
}

TEST(SimHeap, EqualTimesFireInInsertionOrder)
{
    SimHeap h;
    ASSERT_TRUE(sim_heap_init(&h, 64));
    std::vector<Item> items(50);
    /* Insert with a few distinct times, interleaved, so ties are spread over the heap. */
    for (int i = 0; i < 50; i++) {
        items[i].id = i;
        sim_heap_node_init(&items[i].node);
        sim_heap_schedule(&h, &items[i].node, static_cast<SimTime>((i % 3) * 1000));
    }
    std::vector<int> order;
    while (SimHeapNode *n = sim_heap_pop(&h)) {
        order.push_back(item_of(n)->id);
    }
    std::vector<int> expected;
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < 50; i++) {
            if (i % 3 == t) {
                expected.push_back(i);
            }
        }
    }
    EXPECT_EQ(order, expected);
    sim_heap_destroy(&h);
}

TEST(SimHeap, RescheduleTakesANewSequenceNumber)
{
    SimHeap h;
    ASSERT_TRUE(sim_heap_init(&h, 4));
    Item a{}, b{};
    a.id = 1;
    b.id = 2;
    sim_heap_node_init(&a.node);
    sim_heap_node_init(&b.node);
    sim_heap_schedule(&h, &a.node, 100);
    sim_heap_schedule(&h, &b.node, 100);
    sim_heap_schedule(&h, &a.node, 100); /* moved: now after b */
    EXPECT_EQ(item_of(sim_heap_pop(&h))->id, 2);
    EXPECT_EQ(item_of(sim_heap_pop(&h))->id, 1);
    EXPECT_EQ(sim_heap_pop(&h), nullptr);
    sim_heap_destroy(&h);
}

TEST(SimHeap, RandomOperationsMatchASortedReference)
{
    SimHeap h;
    const int n = 500;
    ASSERT_TRUE(sim_heap_init(&h, n));
    std::vector<Item> items(n);
    for (int i = 0; i < n; i++) {
        items[i].id = i;
        sim_heap_node_init(&items[i].node);
    }
    std::mt19937_64 rng(7);
    /* Reference: (time, seq, id) of queued items. */
    for (int round = 0; round < 20000; round++) {
        int i = static_cast<int>(rng() % n);
        switch (rng() % 3) {
        case 0:
        case 1:
            sim_heap_schedule(&h, &items[i].node, rng() % 64);
            break;
        default:
            sim_heap_remove(&h, &items[i].node);
            break;
        }
    }
    std::vector<std::pair<std::pair<SimTime, uint64_t>, int>> ref;
    for (int i = 0; i < n; i++) {
        if (sim_heap_node_queued(&items[i].node)) {
            ref.push_back({{items[i].node.time, items[i].node.seq}, i});
        }
    }
    std::sort(ref.begin(), ref.end());
    ASSERT_EQ(ref.size(), h.count);
    for (const auto &r : ref) {
        SimHeapNode *top = sim_heap_pop(&h);
        ASSERT_NE(top, nullptr);
        EXPECT_EQ(item_of(top)->id, r.second);
        EXPECT_FALSE(sim_heap_node_queued(top));
    }
    EXPECT_EQ(sim_heap_top_time(&h), SIM_TIME_NEVER);
    sim_heap_destroy(&h);
}

} // namespace
