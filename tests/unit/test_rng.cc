/* Per-component random streams. */
#include <gtest/gtest.h>

#include <set>

#include "sim/core/rng.h"

TEST(SimRng, SameSeedAndNameGiveTheSameStream)
{
    SimRng a, b;
    sim_rng_seed(&a, 42, "mb0.ddr3");
    sim_rng_seed(&b, 42, "mb0.ddr3");
    for (int i = 0; i < 1000; i++) {
        ASSERT_EQ(sim_rng_next(&a), sim_rng_next(&b));
    }
}

TEST(SimRng, NamesAndSeedsSeparateStreams)
{
    SimRng a, b, c;
    sim_rng_seed(&a, 42, "node0");
    sim_rng_seed(&b, 42, "node1");
    sim_rng_seed(&c, 43, "node0");
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sim_rng_next(&a);
        same_ab += x == sim_rng_next(&b);
        same_ac += x == sim_rng_next(&c);
    }
    EXPECT_EQ(same_ab, 0);
    EXPECT_EQ(same_ac, 0);
}

TEST(SimRng, BelowStaysInRangeAndCoversIt)
{
    SimRng r;
    sim_rng_seed(&r, 1, "x");
    std::set<uint64_t> seen;
    for (int i = 0; i < 10000; i++) {
        uint64_t v = sim_rng_below(&r, 10);
        ASSERT_LT(v, 10u);
        seen.insert(v);
    }
    EXPECT_EQ(seen.size(), 10u);
}

TEST(SimRng, UniformMeanIsAboutOneHalf)
{
    SimRng r;
    sim_rng_seed(&r, 9, "u");
    double sum = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = sim_rng_uniform(&r);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sum += u;
    }
    EXPECT_NEAR(sum / n, 0.5, 0.005);
}
