// Credit flow control: a sender without credits stalls and resumes on the receiver's update, to
// the cycle; a lost update is repeated by the refresh timer; small buffers everywhere back-
// pressure without overflow or deadlock (the watchdog stays silent).
#include "test_link_common.h"

using namespace linktest;

namespace
{

constexpr uint64_t kP = 15;

// Two 64-byte writes into an SPP whose RHB holds one packet: the second waits for the update
// the SPP sends when its consumer has taken the first.
struct TwoWrites {
    uint64_t e1;     // last word of the first MWP
    uint64_t x1;     // its analysis at the SPP
    uint64_t update; // lane cycle the SPP starts its flow-control update
};

TwoWrites two_writes()
{
    TwoWrites w;
    uint64_t s1 = cross(251 * kPcie, kLane, 2); // first write taken by the PPP at pcie 251
    w.e1 = s1 + frame_mwp(64) - 1;
    w.x1 = w.e1 + kP;
    uint64_t m = cross(w.x1 * kLane, kMem, 2); // the SPP's consumer takes it
    w.update = cross(m * kMem, kLane, 2);      // its read-pointer token reaches the lanes
    return w;
}

TEST_P(Both, ASenderWithoutCreditsWaitsForTheUpdate)
{
    Topo t;
    t.host = "count: 2, size: 64B, start: 1us";
    t.spp = "rhb_depth: 1, rplb_depth: 1, fc_hdr_threshold: 1";
    LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
    ASSERT_TRUE(r);
    std::vector<ShimEvent> ev = pushes(r);
    ASSERT_EQ(ev.size(), 2u);
    TwoWrites w = two_writes();
    ASSERT_LT(w.update, w.x1 + 16); // the update goes before the Ack (due 16 cycles after x1)
    uint64_t s2 = w.update + (kCtrl - 1) + kP; // update analysed at the MPP: credits
    uint64_t e2 = s2 + frame_mwp(64) - 1;
    EXPECT_EQ(ev[1].visible, (cross((e2 + kP) * kLane, kMem, 2) + 1) * kMem);
    // The MPP's lanes were free from e1 + 1 with the second write ready and no credits.
    EXPECT_EQ(stat(r, "mpp.credit_stall_cycles"), (double)(s2 - (w.e1 + 1)));
    EXPECT_EQ(stat(r, "spp.rhb.max"), 1);
    EXPECT_EQ(stat(r, "spp.tx_fc"), 3); // the initial one and one per write consumed
}

TEST_P(Both, ALostUpdateIsRepeatedByTheRefreshTimer)
{
    Topo t;
    t.host = "count: 2, size: 64B, start: 1us";
    t.spp = "rhb_depth: 1, rplb_depth: 1, fc_hdr_threshold: 1, fc_refresh: 2us";
    t.cable = "fault_ba: drop, fault_ba_type: fc, fault_ba_nth: 2";
    LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
    ASSERT_TRUE(r);
    std::vector<ShimEvent> ev = pushes(r);
    ASSERT_EQ(ev.size(), 2u);
    TwoWrites w = two_writes();
    // Nothing sent and nothing received for 313 cycles (2 us) after the lost update: again.
    uint64_t refresh = w.update + ceil_div(2000000, kLane);
    uint64_t s2 = refresh + (kCtrl - 1) + kP;
    uint64_t e2 = s2 + frame_mwp(64) - 1;
    EXPECT_EQ(ev[1].visible, (cross((e2 + kP) * kLane, kMem, 2) + 1) * kMem);
    EXPECT_EQ(stat(r, "cable.ba_dropped"), 1);
    EXPECT_EQ(stat(r, "spp.tx_fc"), 4); // initial, lost, repeated, after the second write
    EXPECT_EQ(stat(r, "mpp.rx_fc"), 3);
    EXPECT_EQ(stat(r, "mpp.credit_stall_cycles"), (double)(s2 - (w.e1 + 1)));
    EXPECT_EQ(stat(r, "mpp.timeouts"), 0);
}

// A slow memory behind a small request buffer: the link runs at the memory's pace, the sender
// stalls for credits, the buffer never holds more than it has.
TEST_P(Both, ASmallReceiveBufferThrottlesTheSenderToTheMemory)
{
    Topo t;
    t.host = "count: 300, size: 64B, start: 1us, read_ratio: 0.2, pattern: random, "
             "range: 16KiB";
    t.spp = "rhb_depth: 2, rplb_depth: 2, rpb_size: 1KiB, fc_hdr_threshold: 1, "
            "fc_data_threshold: 64B";
    t.mem = "latency: 10, accept_every: 40, order_check: true";
    LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
    ASSERT_TRUE(r);
    std::vector<ShimEvent> ev = pushes(r);
    ASSERT_EQ(ev.size(), 300u);
    EXPECT_EQ(stat(r, "host.responses"), 300);
    EXPECT_EQ(stat(r, "host.mismatches"), 0);
    EXPECT_EQ(stat(r, "mem.order_errors"), 0);
    EXPECT_EQ(stat(r, "spp.rhb.max"), 2);
    EXPECT_GT(stat(r, "mpp.credit_stall_cycles"), 5000);
    // One request every 40 memory cycles (200 ns) once the pipeline is full.
    double span = (double)(ev.back().visible - ev[10].visible);
    EXPECT_NEAR(span / (289.0 * 40 * kMem), 1.0, 0.01);
}

// Completion credits: an MPP with room for one response lets the SPP send one MRRP at a time.
TEST_P(Both, CompletionCreditsLimitResponsesInFlight)
{
    Topo t;
    t.host = "count: 100, size: 256B, read_ratio: 1, pattern: random, range: 64KiB";
    t.mpp = "clb_depth: 1, cpb_size: 1KiB, fc_hdr_threshold: 1, fc_data_threshold: 256B";
    LinkRun r = run(t.yaml(), GetParam());
    ASSERT_TRUE(r);
    EXPECT_EQ(stat(r, "host.responses"), 100);
    EXPECT_EQ(stat(r, "host.mismatches"), 0);
    EXPECT_EQ(stat(r, "mpp.clb.max"), 1);
    EXPECT_GT(stat(r, "spp.credit_stall_cycles"), 0);
    EXPECT_EQ(stat(r, "mpp.tx_fc"), 101); // the initial update and one per response freed
}

// Every buffer at its smallest, errors on the wire, mixed traffic: no overflow (the models
// fail the run if a credited buffer is full), no deadlock, the watchdog silent.
TEST(LinkFlow, TinyBuffersEverywhereNeitherOverflowNorDeadlock)
{
    Topo t;
    t.sim = "seed: 5, watchdog: 50us";
    t.host = "count: 3000, size: 4KiB, read_ratio: 0.5, pattern: random, range: 1MiB, "
             "outstanding: 16";
    t.cable = "ber: 1e-6, drop_rate: 0.001";
    const std::string tiny = "rthb_depth: 1, rtlb_depth: 1, rtab_depth: 1, rtpb_size: 1KiB, "
                             "cpb_size: 1KiB, clb_depth: 1, rpb_size: 1KiB, "
                             "fc_hdr_threshold: 1, fc_data_threshold: 64B, sync_depth: 3";
    t.mpp = tiny + ", rhb_depth: 1, rplb_depth: 1, tags: 1";
    t.spp = tiny + ", rhb_depth: 1, rplb_depth: 1, max_reads: 1";
    t.mem = "latency: 30, order_check: true";
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        LinkRun r = run(t.yaml(), k);
        ASSERT_TRUE(r);
        EXPECT_EQ(stat(r, "host.responses"), 3000);
        EXPECT_EQ(stat(r, "host.mismatches"), 0);
        EXPECT_EQ(stat(r, "mem.order_errors"), 0);
        EXPECT_LE(stat(r, "spp.rhb.max"), 1);
        EXPECT_LE(stat(r, "mpp.clb.max"), 1);
        EXPECT_LE(stat(r, "mpp.rthb.max"), 1);
        EXPECT_LE(stat(r, "mpp.tags.max"), 1);
    }
}

// Occupancy is time-weighted from the writer's events: one 4 KiB write held in the MPP's RPB
// from the PPP's write to the token of the formatter's read.
TEST_P(Both, BufferOccupancyIsTheWritersView)
{
    Topo t;
    t.host = "count: 1, size: 4KiB, start: 1us";
    LinkRun r = run(t.yaml(), GetParam());
    ASSERT_TRUE(r);
    EXPECT_EQ(stat(r, "mpp.rhb.max"), 1);
    EXPECT_EQ(stat(r, "mpp.rpb.max"), 1024); // bytes per lane
    EXPECT_EQ(stat(r, "mpp.rplb.max"), 1);
    EXPECT_EQ(stat(r, "mpp.rtpb.max"), 1024);
    EXPECT_EQ(stat(r, "spp.rpb.max"), 1024);
    // Held from pcie cycle 314 (taken) until the token the formatter pushed when it read the
    // packet (lane cycle 199) crosses back: pcie cycle 321.
    uint64_t taken = 250 + 64; // the tester's 64-beat write is pushed at 313, taken at 314
    uint64_t read = cross(taken * kPcie, kLane, 2);
    uint64_t back = cross(read * kLane, kPcie, 2);
    EXPECT_EQ(read, 199u);
    EXPECT_EQ(back, 321u);
    double held_ps = (double)((back - taken) * kPcie);
    double end = (double)shim_sim(r.get())->end_time;
    EXPECT_NEAR(stat(r, "mpp.rhb.avg"), held_ps / end, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Link, Both, ::testing::Values(SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE),
                         kernel_name);

} // namespace
