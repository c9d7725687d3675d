// The reliability protocol: CRC errors answered by a Nak and a resend, lost packets by the
// replay timer, lost Acks by duplicates that are dropped, go-back-N against selective resend,
// and end-to-end data integrity under bit errors; every timing to the cycle of
// docs/models/link.md, under both kernels.
#include "test_link_common.h"

using namespace linktest;

namespace
{

constexpr uint64_t kP = 15;        // pipe(4, 3, 6): default PHYs and a 3 m cable
constexpr uint64_t kTimeout = 469; // ceil(3 us / 6.4 ns)

// Lane cycle of the last word of a lone MWP of n bytes started by the tester at pcie cycle 250.
uint64_t first_last_word(uint64_t n)
{
    uint64_t a = 250 + beats(n) - 1;
    return cross((a + 1) * kPcie, kLane, 2) + frame_mwp(n) - 1;
}

// Memory-side arrival (mem cycle, visible) of an MWP of n bytes whose good copy's last word
// left at lane cycle e.
uint64_t arrival(uint64_t e, uint64_t n)
{
    return cross((e + kP) * kLane, kMem, 2) + beats(n);
}

TEST_P(Both, ACorruptedWriteIsNakedAndResentWithExactExtraCycles)
{
    for (uint64_t n : {64u, 1024u}) {
        Topo t;
        t.host = "count: 1, size: " + std::to_string(n) + "B, start: 1us";
        t.cable = "fault_ab: corrupt, fault_ab_type: mwp";
        LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
        ASSERT_TRUE(r);
        std::vector<ShimEvent> ev = pushes(r);
        ASSERT_EQ(ev.size(), 1u);
        uint64_t e = first_last_word(n);
        // Bad copy analysed at e + P, Nak there (2 cycles), analysed at the MPP P later, resend.
        uint64_t good = e + kP + (kCtrl - 1) + kP + frame_mwp(n) - 1;
        EXPECT_EQ(good - e, 2 * kP + frame_mwp(n)) << "the doc's extra cycles";
        EXPECT_EQ(ev[0].visible, arrival(good, n) * kMem) << n;
        EXPECT_EQ(stat(r, "cable.ab_corrupted"), 1);
        EXPECT_EQ(stat(r, "spp.crc_errors"), 1);
        EXPECT_EQ(stat(r, "spp.naks_sent"), 1);
        EXPECT_EQ(stat(r, "mpp.rx_nak"), 1);
        EXPECT_EQ(stat(r, "mpp.retransmits"), 1);
        EXPECT_EQ(stat(r, "mpp.replays"), 1);
        EXPECT_EQ(stat(r, "mpp.timeouts"), 0);
        EXPECT_EQ(stat(r, "mem.writes"), 1);
        EXPECT_EQ(stat(r, "spp.delivered"), 1);
    }
}

TEST_P(Both, ADroppedWriteIsResentWhenTheReplayTimerExpires)
{
    for (std::string timeout : {"", "replay_timeout: 1us"}) {
        uint64_t T = timeout.empty() ? kTimeout : 157; // ceil(1 us / 6.4 ns)
        Topo t;
        t.host = "count: 1, size: 256B, start: 1us";
        t.cable = "fault_ab: drop, fault_ab_type: mwp";
        t.mpp = timeout;
        LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
        ASSERT_TRUE(r);
        std::vector<ShimEvent> ev = pushes(r);
        ASSERT_EQ(ev.size(), 1u);
        uint64_t e = first_last_word(256);
        // The timer runs from the last word; the resend starts when it expires.
        uint64_t good = e + T + frame_mwp(256) - 1;
        EXPECT_EQ(ev[0].visible, arrival(good, 256) * kMem) << timeout;
        EXPECT_EQ(stat(r, "cable.ab_dropped"), 1);
        EXPECT_EQ(stat(r, "mpp.timeouts"), 1);
        EXPECT_EQ(stat(r, "mpp.retransmits"), 1);
        EXPECT_EQ(stat(r, "spp.naks_sent"), 0);
        EXPECT_EQ(stat(r, "mem.writes"), 1);
    }
}

TEST_P(Both, ALostAckMakesADuplicateThatIsDroppedAndAckedAgain)
{
    Topo t;
    t.host = "count: 1, size: 64B, start: 1us";
    t.cable = "fault_ba: drop, fault_ba_type: ack";
    t.mem = "latency: 10, order_check: true";
    LinkRun r = run(t.yaml(), GetParam());
    ASSERT_TRUE(r);
    EXPECT_EQ(stat(r, "cable.ba_dropped"), 1);
    EXPECT_EQ(stat(r, "mpp.timeouts"), 1);
    EXPECT_EQ(stat(r, "mpp.retransmits"), 1);
    EXPECT_EQ(stat(r, "spp.duplicates"), 1);
    EXPECT_EQ(stat(r, "spp.delivered"), 1);
    EXPECT_EQ(stat(r, "spp.tx_ack"), 2);
    EXPECT_EQ(stat(r, "mpp.rx_ack"), 1);
    EXPECT_EQ(stat(r, "mem.writes"), 1); // applied exactly once
    EXPECT_EQ(stat(r, "mem.order_errors"), 0);
    // In the retry buffer from the first start to the second Ack: timer from the last word,
    // resend, duplicate analysed P after its last word, Ack at once (2 cycles), P back.
    uint64_t s = first_last_word(64) - frame_mwp(64) + 1;
    uint64_t e2 = s + frame_mwp(64) - 1 + kTimeout + frame_mwp(64) - 1;
    uint64_t acked = e2 + kP + (kCtrl - 1) + kP;
    EXPECT_EQ(stat(r, "mpp.retry_residency_ns.max"), (double)((acked - s) * kLane) / 1000.0);
}

// Stream m MWPs of 256 B (11 cycles each, back to back) and corrupt the third. The SPP's
// transmitter is kept silent (no Acks, no updates) until then, so its Nak leaves at once.
struct StreamResult {
    double retransmits, out_of_order, duplicates, writes, order_errors, naks;
};

StreamResult stream_with_error(SimKernelKind k, const std::string &mode, uint64_t m)
{
    Topo t;
    t.host = "count: " + std::to_string(m) + ", size: 256B, start: 1us";
    t.cable = "fault_ab: corrupt, fault_ab_type: mwp, fault_ab_nth: 3";
    t.mpp = "retry: " + mode + ", replay_timeout: 2ms";
    t.spp = "retry: " + mode +
            ", ack_every: 4096, ack_delay: 1ms, fc_hdr_threshold: 64, "
            "fc_data_threshold: 32KiB";
    t.mem = "latency: 10, order_check: true";
    LinkRun r = run(t.yaml(), k);
    EXPECT_TRUE(r);
    if (!r) {
        return {};
    }
    return {stat(r, "mpp.retransmits"), stat(r, "spp.out_of_order"), stat(r, "spp.duplicates"),
            stat(r, "mem.writes"),      stat(r, "mem.order_errors"), stat(r, "spp.naks_sent")};
}

TEST_P(Both, GoBackNResendsFromTheErrorSelectiveOnlyTheMissingPacket)
{
    const uint64_t m = 40, C = frame_mwp(256);
    // First MWP: pushed by the tester at pcie 253, taken at 254, in the lanes at 161.
    const uint64_t s1 = cross(254 * kPcie, kLane, 2);
    ASSERT_EQ(s1, 161u);
    uint64_t e3 = s1 + 3 * C - 1;
    uint64_t nak_seen = e3 + kP + (kCtrl - 1) + kP; // Nak analysed at the MPP
    uint64_t i0 = ceil_div(nak_seen - s1, C);       // first packet boundary at or after it
    uint64_t k = std::min(i0, m) - 2;               // packets 3 .. i0 were on their way
    ASSERT_GE(k, 3u);

    StreamResult g = stream_with_error(GetParam(), "go_back_n", m);
    EXPECT_EQ(g.retransmits, (double)k);
    EXPECT_EQ(g.out_of_order, (double)(k - 1));
    EXPECT_EQ(g.duplicates, 0);
    EXPECT_EQ(g.naks, 1);
    EXPECT_EQ(g.writes, (double)m);
    EXPECT_EQ(g.order_errors, 0);

    StreamResult s = stream_with_error(GetParam(), "selective", m);
    EXPECT_EQ(s.retransmits, 1);
    EXPECT_EQ(s.out_of_order, (double)(k - 1)); // held, then delivered behind the resend
    EXPECT_EQ(s.duplicates, 0);
    EXPECT_EQ(s.naks, 1);
    EXPECT_EQ(s.writes, (double)m);
    EXPECT_EQ(s.order_errors, 0);
}

// Bit errors on a busy link in both directions: every write applied once and in order, every
// read returns what was written, errors and resends counted, nothing lost.
struct Integrity {
    double packets, corrupted, retransmits, timeouts, mismatches, writes, mem_writes, responses,
        order_errors, crc_errors;
};

Integrity integrity(SimKernelKind k, const std::string &ber, const std::string &mode,
                    uint64_t count, const std::string &cable_extra = "")
{
    Topo t;
    t.sim = "seed: 7, packets: 65536";
    t.host = "count: " + std::to_string(count) +
             ", size: 64B, read_ratio: 0.5, pattern: random, range: 256KiB, outstanding: 64";
    t.cable = "ber: " + ber + cable_extra;
    t.mpp = "retry: " + mode;
    t.spp = "retry: " + mode;
    t.mem = "latency: 4, order_check: true";
    LinkRun r = run(t.yaml(), k);
    EXPECT_TRUE(r);
    if (!r) {
        return {};
    }
    return {stat(r, "cable.ab_packets") + stat(r, "cable.ba_packets"),
            stat(r, "cable.ab_corrupted") + stat(r, "cable.ba_corrupted"),
            stat(r, "mpp.retransmits") + stat(r, "spp.retransmits"),
            stat(r, "mpp.timeouts") + stat(r, "spp.timeouts"),
            stat(r, "host.mismatches"),
            stat(r, "host.writes"),
            stat(r, "mem.writes"),
            stat(r, "host.responses"),
            stat(r, "mem.order_errors"),
            stat(r, "mpp.crc_errors") + stat(r, "spp.crc_errors")};
}

void expect_intact(const Integrity &i, uint64_t count, const std::string &what)
{
    EXPECT_EQ(i.responses, (double)count) << what;
    EXPECT_EQ(i.mismatches, 0) << what;
    EXPECT_EQ(i.mem_writes, i.writes) << what;
    EXPECT_EQ(i.order_errors, 0) << what;
    EXPECT_EQ(i.crc_errors, i.corrupted) << what; // every corrupted packet caught
}

TEST(LinkRetry, BitErrorRateOneInHundredThousandLosesNothing)
{
    const uint64_t count = 500000; // about 1.4 million packets on the wire
    for (std::string mode : {"go_back_n", "selective"}) {
        Integrity i = integrity(SIM_KERNEL_FAST, "1e-5", mode, count);
        expect_intact(i, count, mode);
        EXPECT_GE(i.packets, 1e6) << mode;
        // About 1 % of the packets (64-byte reads and writes: 600 to 1100 line bits) are hit.
        EXPECT_GT(i.corrupted, i.packets * 0.004) << mode;
        EXPECT_LT(i.corrupted, i.packets * 0.02) << mode;
        EXPECT_GE(i.retransmits, i.corrupted * 0.5) << mode;
        std::printf("[          ] BER 1e-5 %s: %.0f packets, %.0f corrupted, %.0f resent, "
                    "%.0f timeouts\n",
                    mode.c_str(), i.packets, i.corrupted, i.retransmits, i.timeouts);
    }
}

TEST(LinkRetry, BitErrorRateOneInTenMillionLosesNothing)
{
    const uint64_t count = 500000;
    Integrity i = integrity(SIM_KERNEL_FAST, "1e-7", "go_back_n", count);
    expect_intact(i, count, "1e-7");
    EXPECT_GE(i.packets, 1e6);
    EXPECT_GT(i.corrupted, 20);
    EXPECT_LT(i.corrupted, i.packets * 2e-4);
    std::printf("[          ] BER 1e-7: %.0f packets, %.0f corrupted, %.0f resent\n", i.packets,
                i.corrupted, i.retransmits);
}

TEST(LinkRetry, DroppedPacketsAndAcksAreRecovered)
{
    // A drop inside a burst shows as a gap (Nak); one at the end of a burst, or a lost Nak, as
    // a timeout.
    const uint64_t count = 20000;
    for (std::string mode : {"go_back_n", "selective"}) {
        Integrity i = integrity(SIM_KERNEL_FAST, "1e-6", mode, count, ", drop_rate: 0.01");
        expect_intact(i, count, "drops");
        EXPECT_GT(i.retransmits, 100) << mode;
        EXPECT_GT(i.timeouts, 0) << mode;
        std::printf("[          ] 1%% drops, %s: %.0f packets, %.0f resent, %.0f timeouts\n",
                    mode.c_str(), i.packets, i.retransmits, i.timeouts);
    }
}

TEST_P(Both, ErrorsAndDropsAgreeAcrossKernels)
{
    // The same run under the other kernel gives the same counts (the JSON comparison of
    // test_link_lane covers every statistic).
    Integrity a = integrity(GetParam(), "1e-4", "selective", 3000, ", drop_rate: 0.005");
    Integrity b = integrity(SIM_KERNEL_FAST, "1e-4", "selective", 3000, ", drop_rate: 0.005");
    expect_intact(a, 3000, "selective");
    EXPECT_EQ(a.retransmits, b.retransmits);
    EXPECT_EQ(a.timeouts, b.timeouts);
    EXPECT_EQ(a.corrupted, b.corrupted);
}

TEST(LinkRetry, TinyRetryBuffersBackPressureWithoutDeadlock)
{
    Topo t;
    t.sim = "seed: 3, watchdog: 20us";
    t.host = "count: 4000, size: 256B, read_ratio: 0.5, pattern: random, range: 64KiB";
    t.cable = "ber: 1e-5";
    const std::string tiny = "rthb_depth: 1, rtlb_depth: 1, rtab_depth: 1, rtpb_size: 1KiB";
    t.mpp = tiny;
    t.spp = tiny;
    t.mem = "latency: 10, order_check: true";
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        LinkRun r = run(t.yaml(), k);
        ASSERT_TRUE(r);
        EXPECT_EQ(stat(r, "host.responses"), 4000);
        EXPECT_EQ(stat(r, "host.mismatches"), 0);
        EXPECT_EQ(stat(r, "mem.order_errors"), 0);
        EXPECT_GT(stat(r, "mpp.retry_stall_cycles"), 1000);
        EXPECT_GT(stat(r, "spp.retry_stall_cycles"), 0);
        EXPECT_EQ(stat(r, "mpp.rthb.max"), 1);
        EXPECT_EQ(stat(r, "mpp.rtpb.max"), 256 / 4); // bytes per lane of one 256-byte packet
    }
}

// write_ack: link answers a write only once the MemBox has acknowledged its MWP.
TEST_P(Both, LinkAcknowledgedWritesAnswerAfterTheAck)
{
    Topo t;
    t.host = "count: 1, size: 64B, start: 1us";
    t.mpp = "write_ack: link";
    LinkRun r = run(t.yaml(), GetParam(), {"mpp.resp"});
    ASSERT_TRUE(r);
    std::vector<ShimEvent> ev = pushes(r);
    ASSERT_EQ(ev.size(), 1u);
    uint64_t e = first_last_word(64);
    uint64_t ack_seen = e + kP + 16 + (kCtrl - 1) + kP; // Ack after the 16-cycle delay
    uint64_t c = cross(ack_seen * kLane, kPcie, 2);     // through the `done` crossing
    EXPECT_EQ(ev[0].now, c * kPcie);
    EXPECT_EQ(ev[0].visible, (c + 1) * kPcie);
    EXPECT_EQ(stat(r, "mpp.write_latency_ns.max"), (double)((c - 251) * kPcie) / 1000.0);
}

INSTANTIATE_TEST_SUITE_P(Link, Both, ::testing::Values(SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE),
                         kernel_name);

} // namespace
