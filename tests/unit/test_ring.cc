/* The bounded ring (SimRing) and the timed packet FIFO built on it (SimTimedFifo). */
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

#include "sim/core/packet.h"
#include "sim/core/ring.h"

namespace
{

TEST(SimRing, StartsEmptyWithItsCapacity)
{
    SimRing r;
    sim_ring_init(&r, 5);
    EXPECT_TRUE(sim_ring_empty(&r));
    EXPECT_FALSE(sim_ring_full(&r));
    EXPECT_EQ(r.count, 0u);
    EXPECT_EQ(r.cap, 5u);
}

TEST(SimRing, PushAndPopGiveSlotsInFifoOrderAcrossTheWrap)
{
    /* A capacity that is not a power of two, filled and drained past the end of the array. */
    SimRing r;
    sim_ring_init(&r, 3);
    int buf[3] = {0, 0, 0};
    buf[sim_ring_push(&r)] = 1;
    buf[sim_ring_push(&r)] = 2;
    EXPECT_EQ(buf[sim_ring_pop(&r)], 1);
    buf[sim_ring_push(&r)] = 3;
    buf[sim_ring_push(&r)] = 4; /* wraps to slot 0 */
    EXPECT_TRUE(sim_ring_full(&r));
    EXPECT_EQ(r.head, 1u);
    EXPECT_EQ(sim_ring_newest(&r), 0u);
    EXPECT_EQ(buf[sim_ring_head(&r)], 2);
    EXPECT_EQ(buf[sim_ring_slot(&r, 1)], 3);
    EXPECT_EQ(buf[sim_ring_slot(&r, 2)], 4);
    EXPECT_EQ(buf[sim_ring_pop(&r)], 2);
    EXPECT_EQ(buf[sim_ring_pop(&r)], 3);
    EXPECT_EQ(buf[sim_ring_pop(&r)], 4);
    EXPECT_TRUE(sim_ring_empty(&r));
    EXPECT_EQ(r.head, 1u); /* the next push goes where the head is */
    EXPECT_EQ(sim_ring_push(&r), 1u);
}

TEST(SimRing, SlotOfCountIsWhereTheNextPushGoes)
{
    SimRing r;
    sim_ring_init(&r, 4);
    for (int i = 0; i < 3; i++) {
        sim_ring_push(&r);
        sim_ring_pop(&r);
    }
    sim_ring_push(&r);
    uint32_t next = sim_ring_slot(&r, r.count);
    EXPECT_EQ(sim_ring_push(&r), next);
}

TEST(SimRing, OneSlotRingAlternates)
{
    SimRing r;
    sim_ring_init(&r, 1);
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(sim_ring_push(&r), 0u);
        EXPECT_TRUE(sim_ring_full(&r));
        EXPECT_EQ(sim_ring_pop(&r), 0u);
        EXPECT_TRUE(sim_ring_empty(&r));
    }
}

TEST(SimRing, MatchesADequeOverARandomSequence)
{
    std::mt19937 rng(7);
    for (uint32_t cap : {1u, 2u, 5u, 8u, 13u}) {
        SimRing r;
        sim_ring_init(&r, cap);
        std::vector<int> buf(cap);
        std::deque<int> ref;
        for (int step = 0; step < 5000; step++) {
            bool push = rng() % 2 == 0;
            if (push && !sim_ring_full(&r)) {
                buf[sim_ring_push(&r)] = step;
                ref.push_back(step);
            } else if (!sim_ring_empty(&r)) {
                ASSERT_EQ(buf[sim_ring_pop(&r)], ref.front());
                ref.pop_front();
            }
            ASSERT_EQ(r.count, ref.size());
            for (uint32_t i = 0; i < r.count; i++) {
                ASSERT_EQ(buf[sim_ring_slot(&r, i)], ref[i]) << "cap " << cap << " step " << step;
            }
        }
    }
}

TEST(SimRingDeathTest, PushOnAFullRingAsserts)
{
    SimRing r;
    sim_ring_init(&r, 2);
    sim_ring_push(&r);
    sim_ring_push(&r);
    EXPECT_DEATH(sim_ring_push(&r), "sized at build");
}

TEST(SimRingDeathTest, PopOnAnEmptyRingAsserts)
{
    SimRing r;
    sim_ring_init(&r, 2);
    EXPECT_DEATH(sim_ring_pop(&r), "count > 0");
}

TEST(SimTimedFifo, HeadIsReadyOnlyFromItsCycle)
{
    SimTimedFifo f;
    ASSERT_TRUE(sim_timed_fifo_init(&f, 4));
    SimPacket a{}, b{};
    EXPECT_EQ(sim_timed_fifo_head(&f), nullptr);
    EXPECT_EQ(sim_timed_fifo_head_ready(&f), SIM_CYCLE_NEVER);
    EXPECT_EQ(sim_timed_fifo_wake(&f, 3), SIM_CYCLE_NEVER);
    sim_timed_fifo_push(&f, 10, &a);
    sim_timed_fifo_push(&f, 12, &b);
    EXPECT_EQ(sim_timed_fifo_count(&f), 2u);
    EXPECT_EQ(sim_timed_fifo_head(&f), &a);
    EXPECT_EQ(sim_timed_fifo_ready(&f, 9), nullptr);
    EXPECT_EQ(sim_timed_fifo_wake(&f, 9), 10u);
    EXPECT_EQ(sim_timed_fifo_ready(&f, 10), &a);
    EXPECT_EQ(sim_timed_fifo_wake(&f, 10), 11u); /* never now: the owner ticks again later */
    EXPECT_EQ(sim_timed_fifo_pop(&f), &a);
    EXPECT_EQ(sim_timed_fifo_head_ready(&f), 12u);
    EXPECT_EQ(sim_timed_fifo_ready(&f, 11), nullptr);
    EXPECT_EQ(sim_timed_fifo_ready(&f, 20), &b);
    EXPECT_EQ(sim_timed_fifo_pop(&f), &b);
    EXPECT_EQ(sim_timed_fifo_count(&f), 0u);
    sim_timed_fifo_destroy(&f);
    EXPECT_EQ(f.e, nullptr);
    sim_timed_fifo_destroy(&f); /* twice is harmless */
}

TEST(SimTimedFifo, KeepsPushOrderWhenALaterEntryIsReadyFirst)
{
    SimTimedFifo f;
    ASSERT_TRUE(sim_timed_fifo_init(&f, 2));
    SimPacket a{}, b{};
    sim_timed_fifo_push(&f, 8, &a);
    sim_timed_fifo_push(&f, 5, &b);
    EXPECT_TRUE(sim_timed_fifo_full(&f));
    EXPECT_EQ(sim_timed_fifo_ready(&f, 6), nullptr);
    EXPECT_EQ(sim_timed_fifo_ready(&f, 8), &a);
    sim_timed_fifo_destroy(&f);
}

TEST(SimTimedFifo, ZeroCapacityHoldsOne)
{
    SimTimedFifo f;
    ASSERT_TRUE(sim_timed_fifo_init(&f, 0));
    SimPacket a{};
    EXPECT_FALSE(sim_timed_fifo_full(&f));
    sim_timed_fifo_push(&f, 1, &a);
    EXPECT_TRUE(sim_timed_fifo_full(&f));
    sim_timed_fifo_destroy(&f);
}

} // namespace
