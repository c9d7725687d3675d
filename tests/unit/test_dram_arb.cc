// The arbiter's grant policies (models/dram/dram_arb.c), without the kernel.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "models/dram/dram_arb.h"

namespace
{

// Grant `rounds` times with every port in `mask` requesting bursts of beats[i]; returns the
// beats each port received.
std::array<uint64_t, DRAM_ARB_MAX_PORTS> saturate(DramArb *a, uint32_t mask, const uint32_t *beats,
                                                  int rounds)
{
    std::array<uint64_t, DRAM_ARB_MAX_PORTS> got = {};
    for (int i = 0; i < rounds; i++) {
        int g = dram_arb_grant(a, mask, beats);
        EXPECT_GE(g, 0);
        EXPECT_TRUE((mask >> g) & 1u);
        got[g] += beats != nullptr ? beats[g] : 1;
    }
    return got;
}

TEST(DramArb, RoundRobinRotates)
{
    DramArb a;
    dram_arb_init(&a, DRAM_ARB_ROUND_ROBIN, 4, nullptr);
    EXPECT_EQ(dram_arb_grant(&a, 0xf, nullptr), 0);
    EXPECT_EQ(dram_arb_grant(&a, 0xf, nullptr), 1);
    EXPECT_EQ(dram_arb_grant(&a, 0xd, nullptr), 2);
    EXPECT_EQ(dram_arb_grant(&a, 0xd, nullptr), 3);
    EXPECT_EQ(dram_arb_grant(&a, 0x2, nullptr), 1);
    EXPECT_EQ(dram_arb_grant(&a, 0x0, nullptr), -1);
    auto got = saturate(&a, 0xf, nullptr, 4000);
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(got[i], 1000u);
    }
}

TEST(DramArb, FixedPriorityTakesTheLowestPort)
{
    DramArb a;
    dram_arb_init(&a, DRAM_ARB_FIXED, 17, nullptr);
    EXPECT_EQ(dram_arb_grant(&a, 0x1fffe, nullptr), 1);
    EXPECT_EQ(dram_arb_grant(&a, 0x1fffe, nullptr), 1);
    EXPECT_EQ(dram_arb_grant(&a, 0x10000, nullptr), 16);
}

TEST(DramArb, WeightedSharesFollowWeightsInBeats)
{
    const uint32_t w[4] = {4, 2, 1, 1};
    DramArb a;
    dram_arb_init(&a, DRAM_ARB_WEIGHTED, 4, w);
    const uint32_t beats[4] = {1, 1, 1, 1};
    auto got = saturate(&a, 0xf, beats, 8000);
    EXPECT_EQ(got[0], 4000u);
    EXPECT_EQ(got[1], 2000u);
    EXPECT_EQ(got[2], 1000u);
    EXPECT_EQ(got[3], 1000u);
    // Bursts of different lengths: shares are counted in beats, not grants.
    DramArb b;
    const uint32_t eq[2] = {1, 1};
    dram_arb_init(&b, DRAM_ARB_WEIGHTED, 2, eq);
    const uint32_t mixed[2] = {4, 1};
    auto g2 = saturate(&b, 0x3, mixed, 5000);
    EXPECT_NEAR((double)g2[0] / (double)(g2[0] + g2[1]), 0.5, 0.01);
}

TEST(DramArb, IdlePortsEarnNoCredit)
{
    const uint32_t w[2] = {1, 1};
    DramArb a;
    dram_arb_init(&a, DRAM_ARB_WEIGHTED, 2, w);
    saturate(&a, 0x1, nullptr, 1000); // port 1 idle for a long time
    auto got = saturate(&a, 0x3, nullptr, 100);
    EXPECT_NEAR((double)got[1], 50.0, 1.0); // it does not get 1000 grants in a row
}

TEST(DramArb, WeightLists)
{
    uint32_t w[17];
    const char *why = nullptr;
    EXPECT_TRUE(dram_arb_parse_weights("", w, 17, &why));
    EXPECT_EQ(w[16], 1u);
    EXPECT_TRUE(dram_arb_parse_weights(" 4, 2,1 ,1", w, 17, &why));
    EXPECT_EQ(w[0], 4u);
    EXPECT_EQ(w[1], 2u);
    EXPECT_EQ(w[3], 1u);
    EXPECT_EQ(w[4], 1u);
    const char *bad[] = {"4,,1", "a", "0,1", "256", "1,2,", "1;2", "-1"};
    for (const char *b : bad) {
        EXPECT_FALSE(dram_arb_parse_weights(b, w, 17, &why)) << b;
    }
    EXPECT_FALSE(dram_arb_parse_weights("1,1,1", w, 2, &why));
    EXPECT_STREQ(why, "more weights than ports");
}

} // namespace
