/* Timed wake-ups: the timing wheel (sim/core/wheel.h) against a plain reference. */
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "sim/core/wheel.h"

namespace
{

struct Item {
    SimTimer timer;
    int id;
};

Item *item_of(SimTimer *n)
{
    return reinterpret_cast<Item *>(reinterpret_cast<char *>(n) - offsetof(Item, timer));
}

/* The ids of the timers due at t, sorted. */
std::vector<int> take(SimWheel *w, SimTime t)
{
    std::vector<int> ids;
    for (SimTimer *n = sim_wheel_take_due(w, t); n != NULL; n = n->next) {
        EXPECT_FALSE(sim_timer_queued(n));
        ids.push_back(item_of(n)->id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

TEST(SimWheel, NearAndFarTimersComeOutAtTheirTimes)
{
    SimWheel w;
    ASSERT_TRUE(sim_wheel_init(&w));
    ASSERT_TRUE(sim_wheel_reserve(&w, 8));
    std::vector<Item> items(4);
    const SimTime reach = static_cast<SimTime>(SIM_WHEEL_SLOTS) << SIM_WHEEL_GRAIN_BITS;
    /* 1 ps, one slot on, the wheel's last slot, and beyond its reach (the heap). */
    const SimTime at[4] = {1, 1u << SIM_WHEEL_GRAIN_BITS, reach - 1, 5 * reach + 7};
    for (int i = 0; i < 4; i++) {
        items[i].id = i;
        sim_timer_init(&items[i].timer);
        sim_wheel_schedule(&w, &items[i].timer, at[i]);
    }
    EXPECT_EQ(items[3].timer.where, SIM_TIMER_FAR);
    EXPECT_EQ(items[2].timer.where, SIM_TIMER_WHEEL);
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(sim_wheel_top_time(&w), at[i]);
        sim_wheel_advance(&w, at[i]);
        EXPECT_EQ(take(&w, at[i]), std::vector<int>{i});
    }
    EXPECT_EQ(sim_wheel_top_time(&w), SIM_TIME_NEVER);
    sim_wheel_destroy(&w);
}

TEST(SimWheel, CancellingTheEarliestFindsTheNext)
{
    SimWheel w;
    ASSERT_TRUE(sim_wheel_init(&w));
    ASSERT_TRUE(sim_wheel_reserve(&w, 4));
    Item a{}, b{}, c{};
    a.id = 1;
    b.id = 2;
    c.id = 3;
    sim_timer_init(&a.timer);
    sim_timer_init(&b.timer);
    sim_timer_init(&c.timer);
    sim_wheel_schedule(&w, &a.timer, 5000);
    sim_wheel_schedule(&w, &b.timer, 5001); /* the same slot */
    sim_wheel_schedule(&w, &c.timer, 90000);
    EXPECT_EQ(sim_wheel_top_time(&w), 5000u);
    sim_wheel_remove(&w, &a.timer);
    EXPECT_FALSE(sim_timer_queued(&a.timer));
    EXPECT_EQ(sim_wheel_top_time(&w), 5001u);
    sim_wheel_schedule(&w, &b.timer, 100000); /* moved */
    EXPECT_EQ(sim_wheel_top_time(&w), 90000u);
    sim_wheel_remove(&w, &a.timer); /* not queued: nothing happens */
    EXPECT_EQ(sim_wheel_top_time(&w), 90000u);
    sim_wheel_destroy(&w);
}

/* Random schedules, moves and cancellations over many wheel turns, time advancing as the kernel
 * advances it (to the earliest timer), against a multimap: the same timers at the same times. */
TEST(SimWheel, RandomAgainstAReference)
{
    SimWheel w;
    ASSERT_TRUE(sim_wheel_init(&w));
    const int n = 300;
    ASSERT_TRUE(sim_wheel_reserve(&w, n));
    std::vector<Item> items(n);
    std::map<int, SimTime> ref; /* id -> time of the queued ones */
    for (int i = 0; i < n; i++) {
        items[i].id = i;
        sim_timer_init(&items[i].timer);
    }
    std::mt19937_64 rng(7);
    const SimTime reach = static_cast<SimTime>(SIM_WHEEL_SLOTS) << SIM_WHEEL_GRAIN_BITS;
    SimTime now = 0;
    for (int step = 0; step < 20000; step++) {
        int i = static_cast<int>(rng() % n);
        uint64_t r = rng() % 10;
        if (r < 6) {
            /* Near (a few cycles), far (beyond the reach) or on an edge of 6400 ps. */
            SimTime d = r < 3 ? 1 + rng() % 20000 : r < 5 ? rng() % (3 * reach) + 1 : 6400;
            sim_wheel_schedule(&w, &items[i].timer, now + d);
            ref[i] = now + d;
        } else if (r < 8) {
            sim_wheel_remove(&w, &items[i].timer);
            ref.erase(i);
        } else {
            SimTime top = SIM_TIME_NEVER;
            for (auto &kv : ref) {
                top = std::min(top, kv.second);
            }
            ASSERT_EQ(sim_wheel_top_time(&w), top) << "step " << step;
            if (top == SIM_TIME_NEVER) {
                continue;
            }
            now = top;
            sim_wheel_advance(&w, now);
            std::vector<int> want;
            for (auto it = ref.begin(); it != ref.end();) {
                if (it->second == now) {
                    want.push_back(it->first);
                    it = ref.erase(it);
                } else {
                    ++it;
                }
            }
            ASSERT_EQ(take(&w, now), want) << "step " << step;
        }
        for (auto &kv : ref) {
            ASSERT_TRUE(sim_timer_queued(&items[kv.first].timer));
        }
    }
    sim_wheel_destroy(&w);
}

} // namespace
