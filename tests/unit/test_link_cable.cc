// The optical cable: line bits per packet, bit errors at the rate the BER gives, drops, forced
// faults, and the seeded random stream (same seed, same errors).
#include "test_link_common.h"

using namespace linktest;

namespace
{

// Probability that a packet of `words` 64-bit words (66 line bits each) has a bit error.
double p_hit(double ber, double words)
{
    return -std::expm1(words * 66.0 * std::log1p(-ber));
}

TEST(LinkCable, CountsTheLineBitsOfEveryPacket)
{
    Topo t;
    t.host = "count: 1, size: 64B, start: 1us";
    LinkRun r = run(t.yaml(), SIM_KERNEL_FAST);
    ASSERT_TRUE(r);
    // a -> b: the MPP's initial update (2 words) and the MWP (5 + 3 x 4 words).
    EXPECT_EQ(stat(r, "cable.ab_packets"), 2);
    EXPECT_EQ(stat(r, "cable.ab_bits"), 66 * (2 + 17));
    // b -> a: the SPP's initial update and its Ack.
    EXPECT_EQ(stat(r, "cable.ba_packets"), 2);
    EXPECT_EQ(stat(r, "cable.ba_bits"), 66 * 4);
    EXPECT_EQ(stat(r, "mpp.tx_wire_bytes"), 8 * (2 + 17));
}

TEST(LinkCable, BitErrorsHitPacketsAtTheRateTheBerGives)
{
    Topo t;
    t.sim = "seed: 11";
    t.host = "count: 20000, size: 64B, verify: false, range: 4MiB";
    t.cable = "ber: 1e-4";
    t.mem = "latency: 10, capacity: 4MiB";
    LinkRun r = run(t.yaml(), SIM_KERNEL_FAST);
    ASSERT_TRUE(r);
    // Every packet the MPP sent crossed a -> b once.
    double mwp = stat(r, "mpp.tx_mwp");
    double ctrl = stat(r, "mpp.tx_fc") + stat(r, "mpp.tx_ack") + stat(r, "mpp.tx_nak");
    ASSERT_EQ(mwp + ctrl, stat(r, "cable.ab_packets"));
    double expect = mwp * p_hit(1e-4, 17) + ctrl * p_hit(1e-4, 2);
    double sigma = std::sqrt(expect);
    EXPECT_NEAR(stat(r, "cable.ab_corrupted"), expect, 5 * sigma);
    EXPECT_EQ(stat(r, "spp.crc_errors"), stat(r, "cable.ab_corrupted"));
    EXPECT_EQ(stat(r, "mpp.crc_errors"), stat(r, "cable.ba_corrupted"));
    EXPECT_EQ(stat(r, "mem.writes"), 20000);
}

TEST(LinkCable, DropRateLosesThatShareOfPackets)
{
    Topo t;
    t.sim = "seed: 12";
    t.host = "count: 10000, size: 64B, verify: false";
    t.cable = "drop_rate: 0.05";
    LinkRun r = run(t.yaml(), SIM_KERNEL_FAST);
    ASSERT_TRUE(r);
    double n = stat(r, "cable.ab_packets");
    double d = stat(r, "cable.ab_dropped");
    EXPECT_NEAR(d / n, 0.05, 5 * std::sqrt(0.05 * 0.95 / n));
    EXPECT_EQ(stat(r, "mem.writes"), 10000);
    EXPECT_EQ(stat(r, "cable.ab_corrupted"), 0);
}

TEST(LinkCable, ForcedFaultsHitTheChosenPackets)
{
    Topo t;
    t.host = "count: 10, size: 64B, start: 1us, interval: 200";
    t.cable = "fault_ab: corrupt, fault_ab_type: mwp, fault_ab_nth: 2, fault_ab_count: 3";
    LinkRun r = run(t.yaml(), SIM_KERNEL_FAST);
    ASSERT_TRUE(r);
    // MWPs on the wire 2, 3 and 4: the second write, its resend after the Nak, and the third
    // write. The SPP sent one Nak and no more until progress, so the MPP's replay timer
    // resent writes 2 to 6 (go-back-N): 6 resends in all.
    EXPECT_EQ(stat(r, "cable.ab_corrupted"), 3);
    EXPECT_EQ(stat(r, "spp.crc_errors"), 3);
    EXPECT_EQ(stat(r, "spp.naks_sent"), 1);
    EXPECT_EQ(stat(r, "mpp.timeouts"), 1);
    EXPECT_EQ(stat(r, "mpp.retransmits"), 6);
    EXPECT_EQ(stat(r, "mem.writes"), 10);
}

TEST(LinkCable, TheSeedChoosesTheErrors)
{
    Topo t;
    t.host = "count: 3000, size: 256B, read_ratio: 0.5, pattern: random, range: 64KiB";
    t.cable = "ber: 1e-5";
    auto corrupted = [&](const std::string &seed) {
        Topo u = t;
        u.sim = "seed: " + seed;
        LinkRun r = run(u.yaml(), SIM_KERNEL_FAST);
        return r ? stat(r, "cable.ab_corrupted") * 1e6 + stat(r, "cable.ba_corrupted") : -1.0;
    };
    EXPECT_EQ(corrupted("1"), corrupted("1"));
    EXPECT_NE(corrupted("1"), corrupted("2"));
}

} // namespace
