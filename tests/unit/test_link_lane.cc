// The lanes and the protocol processors' pipelines: a write's arrival at the memory side and a
// read's round trip equal, to the cycle, the formulas of docs/models/link.md; streaming writes
// reach the analytic throughput; both kernels and any tick order give identical statistics.
#include "test_link_common.h"

#include <chrono>
#include <cstdio>

using namespace linktest;

namespace
{

struct Pipe {
    uint64_t phy_tx = 4, phy_rx = 6, flight = 3, sync = 2;
    uint64_t links = 2; // YAML links of latency 1 on the way: into and out of the cable
    uint64_t P() const
    {
        return phy_tx + links + flight + phy_rx;
    }
};

// Cycle (of the memory's clock) at which a single MWP of n bytes, the tester's only request,
// started at pcie cycle s0, becomes visible at the memory (docs/models/link.md, "One write").
uint64_t write_arrival(uint64_t s0, uint64_t n, uint64_t lane_cycles, const Pipe &p)
{
    uint64_t k = beats(n);                                 // Avalon beats (address 0: aligned)
    uint64_t a = s0 + k - 1;                               // tester pushes at its last beat
    uint64_t r = cross((a + 1) * kPcie, kLane, p.sync);    // PPP takes it at a + 1: RHB -> lanes
    uint64_t e = r + lane_cycles - 1;                      // last word on the lanes
    uint64_t m = cross((e + p.P()) * kLane, kMem, p.sync); // analysed at e + P: RHB -> core
    return m + k; // k-beat Avalon write, pushed at its last beat
}

TEST_P(Both, OneWriteReachesTheMemoryAtTheDocumentedCycle)
{
    for (uint64_t n : {64u, 128u, 256u, 1024u, 4096u}) {
        Topo t;
        t.host = "count: 1, size: " + std::to_string(n) + "B, start: 1us";
        LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
        ASSERT_TRUE(r);
        std::vector<ShimEvent> ev = pushes(r);
        ASSERT_EQ(ev.size(), 1u) << n;
        uint64_t want = write_arrival(250, n, frame_mwp(n), Pipe{});
        EXPECT_EQ(ev[0].visible, want * kMem) << n << " B";
        EXPECT_EQ(ev[0].len, n);
        EXPECT_EQ(stat(r, "mem.writes"), 1);
        EXPECT_EQ(stat(r, "mem.write_bytes"), n);
        EXPECT_EQ(stat(r, "host.mismatches"), 0);
    }
}

// The same under other parameters: PHY latencies, synchroniser depth, cable length, lanes,
// header placement. lane_cycles is the frame length the doc gives for each.
TEST_P(Both, OneWriteFollowsTheFormulaUnderOtherParameters)
{
    struct Case {
        std::string lane; // parameters of both MPP and SPP
        std::string cable;
        uint64_t n;
        uint64_t lane_cycles;
        Pipe p;
    };
    const std::vector<Case> cases = {
        {"phy_tx_cycles: 0, phy_rx_cycles: 0", "", 256, 11, {0, 0, 3, 2, 2}},
        {"sync_depth: 3", "", 64, 5, {4, 6, 3, 3}},
        {"sync_depth: 0", "", 64, 5, {4, 6, 3, 0}},
        {"", "length: 10m", 512, 19, {4, 6, 8, 2}},
        {"", "length: 0", 64, 5, {4, 6, 0, 2}},
        {"", "length: 100m, delay_per_m: 4.9ns", 64, 5, {4, 6, 77, 2}},
        {"header_placement: striped", "", 64, 4, {4, 6, 3, 2}},
        {"header_placement: striped", "", 4096, 130, {4, 6, 3, 2}},
        {"lanes: 1, rtpb_size: 8KiB, rpb_size: 8KiB, cpb_size: 8KiB", "", 64, 11, {4, 6, 3, 2}},
        {"lanes: 2", "", 256, 2 + 16 + 1, {4, 6, 3, 2}},
        {"lanes: 8, rtpb_size: 1KiB, rpb_size: 1KiB, cpb_size: 1KiB",
         "",
         256,
         2 + 4 + 1,
         {4, 6, 3, 2}},
        {"lanes: 8, header_placement: striped, rtpb_size: 1KiB, rpb_size: 1KiB, "
         "cpb_size: 1KiB",
         "",
         256,
         1 + 4 + 1,
         {4, 6, 3, 2}},
    };
    for (const Case &c : cases) {
        Topo t;
        t.host = "count: 1, size: " + std::to_string(c.n) + "B, start: 1us";
        t.mpp = c.lane;
        t.spp = c.lane;
        t.cable = c.cable;
        LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
        ASSERT_TRUE(r) << c.lane;
        std::vector<ShimEvent> ev = pushes(r);
        ASSERT_EQ(ev.size(), 1u) << c.lane << " " << c.cable;
        EXPECT_EQ(ev[0].visible, write_arrival(250, c.n, c.lane_cycles, c.p) * kMem)
            << c.lane << " / " << c.cable;
    }
}

// Without a cable: mpp:tx -> spp:rx with the YAML link's latency 1 stands for a zero-length one.
TEST_P(Both, ADirectLinkIsACableOfNoLength)
{
    Topo t;
    t.with_cable = false;
    t.host = "count: 1, size: 64B, start: 1us";
    LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
    ASSERT_TRUE(r);
    std::vector<ShimEvent> ev = pushes(r);
    ASSERT_EQ(ev.size(), 1u);
    // One link of latency 1 instead of two: P is one cycle shorter than with a 0 m cable.
    Pipe p;
    p.flight = 0;
    p.links = 1;
    uint64_t want = write_arrival(250, 64, 5, p);
    EXPECT_EQ(ev[0].visible, want * kMem);
}

// A write issued at time 0 waits for the SPP's first flow-control update (sent at cycle 0,
// 2 cycles long, analysed at the MPP at 1 + P): credits come from the receiver.
TEST_P(Both, TheFirstPacketWaitsForTheInitialCredits)
{
    Topo t;
    t.host = "count: 1, size: 64B";
    LinkRun r = run(t.yaml(), GetParam(), {"spp.mem_req"});
    ASSERT_TRUE(r);
    std::vector<ShimEvent> ev = pushes(r);
    ASSERT_EQ(ev.size(), 1u);
    Pipe p;
    uint64_t r0 = cross(1 * kPcie, kLane, 2); // the RHB entry is visible at lane cycle 3
    uint64_t start = std::max(r0, 1 + p.P()); // but credits arrive at 1 + P = 16
    EXPECT_EQ(r0, 3u);
    uint64_t e = start + 5 - 1;
    uint64_t m = cross((e + p.P()) * kLane, kMem, 2);
    EXPECT_EQ(ev[0].visible, (m + 1) * kMem);
    EXPECT_EQ(stat(r, "mpp.tx_fc"), 1);
    EXPECT_EQ(stat(r, "spp.rx_fc"), 1);
}

// A read round trip of `n` bytes through an ideal memory of `lat` cycles (docs/models/link.md,
// "One read"): the time from the tester's MEM_READ push to the response being visible to it.
uint64_t read_round_trip_ps(uint64_t n, uint64_t lat, uint64_t ack_delay, const Pipe &p)
{
    const uint64_t s0 = 250;
    uint64_t r = cross((s0 + 1) * kPcie, kLane, p.sync); // MRD in the lanes
    uint64_t e = r + frame_mrd() - 1;
    uint64_t x = e + p.P();                                  // analysed at the SPP
    uint64_t m1 = cross(x * kLane, kMem, p.sync);            // MEM_READ pushed
    uint64_t q = m1 + 1 + lat + 1;                           // response taken by the SPP core
    uint64_t r2 = cross(q * kMem, kLane, p.sync);            // MRRP in the SPP's lanes
    uint64_t ack = x + ack_delay;                            // the SPP's Ack for the MRD
    uint64_t s2 = r2 < ack ? r2 : std::max(r2, ack + kCtrl); // an Ack started first goes first
    uint64_t e2 = s2 + frame_mrrp(n) - 1;
    uint64_t c = cross((e2 + p.P()) * kLane, kPcie, p.sync); // CPB/CLB -> core
    uint64_t k = beats(n);
    uint64_t pushed = c + k - 1; // k-beat read response to the host
    return (pushed + 1 - s0) * kPcie;
}

TEST_P(Both, ReadRoundTripEqualsThePipelineSum)
{
    struct Case {
        uint64_t n, lat;
        std::string extra;
        uint64_t ack_delay;
    };
    for (const Case &c : std::vector<Case>{{64, 10, "", 16},
                                           {64, 0, "", 16},
                                           {64, 40, "", 16},
                                           {64, 10, "ack_delay: 0", 0},
                                           {64, 10, "ack_delay: 70.4ns", 11},
                                           {256, 10, "", 16},
                                           {4096, 25, "", 16}}) {
        Topo t;
        t.host = "count: 1, size: " + std::to_string(c.n) + "B, read_ratio: 1, start: 1us";
        t.mem = "latency: " + std::to_string(c.lat);
        t.spp = c.extra;
        LinkRun r = run(t.yaml(), GetParam(), {"mpp.resp"});
        ASSERT_TRUE(r);
        std::vector<ShimEvent> ev = pushes(r);
        ASSERT_EQ(ev.size(), 1u);
        uint64_t want = read_round_trip_ps(c.n, c.lat, c.ack_delay, Pipe{});
        EXPECT_EQ(ev[0].visible - 250 * kPcie, want)
            << c.n << " B, latency " << c.lat << ", " << c.extra;
        EXPECT_EQ(stat(r, "host.read_latency_ns.max"), want / 1000.0);
        EXPECT_EQ(stat(r, "host.mismatches"), 0);
    }
}

// The 64-byte read of the doc's worked example, spelled out.
TEST(LinkLane, WorkedExampleOfA64ByteRead)
{
    // Read pushed at pcie cycle 250, taken by the PPP at 251 (1004 ns); MRD on the lanes at
    // lane cycles 159..161, analysed at the SPP at 176; MEM_READ at mem cycle 228, taken by
    // the memory at 229, answered at 239, taken by the SPP at 240; MRRP on the lanes at
    // 190..193 (the SPP's Ack for the MRD, due at 192, follows at 194); analysed at the MPP at
    // 208; response pushed at pcie cycle 335, visible to the host at 336: 344 ns.
    EXPECT_EQ(read_round_trip_ps(64, 10, 16, Pipe{}), (336 - 250) * kPcie);
}

// Steady-state throughput of back-to-back MWPs of n bytes: n / (C x 6.4 ns), less the MPP's
// flow-control refresh (2 cycles every 30 us: the MPP receives no data packets).
TEST(LinkLane, StreamingWritesReachTheAnalyticThroughput)
{
    for (uint64_t n : {64u, 256u, 4096u}) {
        uint64_t count = n == 4096 ? 400 : 3000;
        Topo t;
        t.host = "count: " + std::to_string(count) + ", size: " + std::to_string(n) +
                 "B, start: 1us, verify: false, range: 64MiB";
        t.mem = "latency: 10, capacity: 64MiB";
        LinkRun r = run(t.yaml(), SIM_KERNEL_FAST, {"spp.mem_req"});
        ASSERT_TRUE(r);
        std::vector<ShimEvent> ev = pushes(r);
        ASSERT_EQ(ev.size(), count);
        double span_ns = (double)(ev.back().visible - ev.front().visible) / 1000.0;
        double gbps = (double)(count - 1) * (double)n / span_ns; // GB/s
        double c = (double)frame_mwp(n);
        double refresh = 2.0 / ceil_div(30000000, kLane);
        double want = (double)n / (c * 6.4) * (1.0 - refresh);
        EXPECT_NEAR(gbps, want, want * 0.005) << n << " B";
        EXPECT_LT(gbps, 5.0);
        EXPECT_EQ(stat(r, "mpp.credit_stall_cycles"), 0) << n;
        EXPECT_EQ(stat(r, "mpp.retry_stall_cycles"), 0) << n;
        EXPECT_EQ(stat(r, "mpp.retransmits"), 0) << n;
        // Lane words: lane 0 carries header, data and trailer; lanes 1-3 a start word instead
        // of the header.
        EXPECT_EQ(stat(r, "mpp.lane0_busy_cycles"),
                  (double)(count * c) + 2 * stat(r, "mpp.tx_fc") + 2 * stat(r, "mpp.tx_ack"));
        EXPECT_EQ(stat(r, "mpp.lane1_busy_cycles"), (double)(count * (c - 1)));
        EXPECT_EQ(stat(r, "mpp.lane3_busy_cycles"), (double)(count * (c - 1)));
        std::printf("[          ] %4llu B writes: %.4f GB/s (analytic %.4f)\n",
                    (unsigned long long)n, gbps, want);
    }
}

// Back-to-back 4 KiB reads: the MRRPs share the SPP's lanes with the Acks of the MRDs (at most
// one per MRD) and the updates of the RHB (one per fc_hdr_threshold MRDs consumed).
TEST(LinkLane, StreamingReadsShareTheLanesWithAcksAndUpdates)
{
    Topo t;
    t.host = "count: 400, size: 4KiB, read_ratio: 1, verify: false, range: 4MiB, start: 1us";
    t.mem = "latency: 10, capacity: 4MiB";
    LinkRun r = run(t.yaml(), SIM_KERNEL_FAST, {"mpp.resp"});
    ASSERT_TRUE(r);
    std::vector<ShimEvent> ev = pushes(r);
    ASSERT_EQ(ev.size(), 400u);
    double gbps = 300.0 * 4096 / ((double)(ev.back().visible - ev[99].visible) / 1000.0);
    EXPECT_GT(gbps, 4096 / (132.25 * 6.4));
    EXPECT_LT(gbps, 4096 / (130.25 * 6.4));
    // Every lane-0 word of the SPP is an MRRP's or a 2-word control packet's.
    EXPECT_EQ(stat(r, "spp.lane0_busy_cycles"),
              400 * frame_mrrp(4096) +
                  2 * (stat(r, "spp.tx_ack") + stat(r, "spp.tx_fc") + stat(r, "spp.tx_nak")));
    EXPECT_LE(stat(r, "spp.tx_fc"), 1 + 400 / 8); // one per 8 freed, or fewer when freed together
    EXPECT_GE(stat(r, "spp.tx_fc"), 1 + 400 / 16);
    EXPECT_LE(stat(r, "spp.tx_ack"), 400);
}

// The benchmark of the issue: 4 KiB writes over one link for 10 ms of simulated time.
TEST(LinkLane, TenMillisecondsOfFourKiBWrites)
{
    Topo t;
    // Pattern data and a memory without a store: the time measured is the link's.
    t.host = "count: 100000000, size: 4KiB, data: pattern, verify: false, range: 64MiB";
    t.mem = "latency: 10, functional: false";
    LinkRun r = build(t.yaml());
    ASSERT_TRUE(r);
    SimError err;
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(shim_run(r.get(), SIM_KERNEL_FAST, 10 * SIM_PS_PER_MS, 0, &err)) << err.msg;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double bytes = stat(r, "mem.write_bytes");
    double gbps = bytes / 1e7; // bytes per ns over 10 ms
    EXPECT_NEAR(gbps, 4096.0 / (131 * 6.4), 0.01);
    std::printf("[          ] %.0f MWPs\n", stat(r, "mem.writes"));
    uint64_t acts = shim_sim(r.get())->activations;
    std::printf("[          ] 10 ms of 4 KiB writes: %.3f GB/s, %.3f s wall, %.0f simulated ns "
                "per wall s, %.2f M activations per wall s\n",
                gbps, wall, 1e7 / wall, (double)acts / wall / 1e6);
}

// Fast and every-cycle kernels, and shuffled tick orders, agree to the byte on busy mixed
// traffic with errors, drops and both retry modes.
TEST(LinkLane, KernelsAndTickOrdersGiveByteIdenticalStatistics)
{
    std::vector<Topo> topos;
    {
        Topo t;
        t.host = "count: 600, size: 256B, read_ratio: 0.5, pattern: random, range: 64KiB";
        topos.push_back(t);
    }
    {
        Topo t;
        t.host = "count: 600, size: 64B, read_ratio: 0.3, pattern: random, range: 16KiB, "
                 "outstanding: 8";
        t.cable = "ber: 1e-4, drop_rate: 0.01";
        t.mpp = "retry: selective, ack_every: 3";
        t.spp =
            "retry: selective, ack_every: 3, rhb_depth: 4, rpb_size: 1KiB, fc_hdr_threshold: 2, "
            "fc_data_threshold: 512B";
        topos.push_back(t);
    }
    {
        Topo t;
        t.host = "count: 300, size: 1KiB, read_ratio: 0.5";
        t.cable = "ber: 1e-5";
        t.mpp = "rthb_depth: 2, rtpb_size: 1KiB, write_ack: link, tags: 4, cpb_size: 1KiB";
        t.spp = "max_reads: 1, header_placement: reference, ipg_cycles: 1";
        t.mpp += ", ipg_cycles: 1";
        topos.push_back(t);
    }
    for (const Topo &t : topos) {
        LinkRun f = run(t.yaml(), SIM_KERNEL_FAST);
        ASSERT_TRUE(f);
        std::string base = stats_json(f);
        ASSERT_FALSE(base.empty());
        EXPECT_EQ(stat(f, "host.mismatches"), 0);
        EXPECT_EQ(stats_json(run(t.yaml(), SIM_KERNEL_EVERY_CYCLE)), base) << t.yaml();
        for (uint64_t seed : {1u, 7u}) {
            EXPECT_EQ(stats_json(run(t.yaml(), SIM_KERNEL_FAST, {}, seed)), base) << seed;
            EXPECT_EQ(stats_json(run(t.yaml(), SIM_KERNEL_EVERY_CYCLE, {}, seed)), base) << seed;
        }
    }
}

TEST(LinkLane, ALaneRateThatDoesNotMatchTheLaneClockIsABuildError)
{
    Topo t;
    t.mpp = "lane_rate: 10Gbps";
    SimError err;
    ShimRun *r = shim_build(t.yaml().c_str(), &err);
    ASSERT_EQ(r, nullptr);
    EXPECT_NE(std::string(err.msg).find("key 'lane_rate': 10 Gbps does not carry 64 bits per "
                                        "cycle of domain 'lane' (156.25 MHz)"),
              std::string::npos)
        << err.msg;
    // A 25G lane: 25.78125 Gbps with a 390.625 MHz lane clock.
    Topo u;
    u.sim = "seed: 1}\ndomains: {fast_lane: 390.625MHz";
    u.mpp = "lane_domain: fast_lane, lane_rate: 25.78125Gbps";
    u.spp = u.mpp;
    u.cable = "domain: fast_lane";
    u.host = "count: 10, size: 256B, read_ratio: 0.5";
    LinkRun ok = run(u.yaml(), SIM_KERNEL_FAST);
    ASSERT_TRUE(ok);
    EXPECT_EQ(stat(ok, "host.responses"), 10);
}

TEST(LinkLane, EndsThatFrameDifferentlyStopTheRun)
{
    Topo t;
    t.host = "count: 1, start: 1us";
    t.mpp = "header_placement: striped";
    LinkRun r = build(t.yaml());
    ASSERT_TRUE(r);
    SimError err;
    EXPECT_FALSE(shim_run(r.get(), SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err));
    EXPECT_NE(std::string(err.msg).find("give both the same lanes and header_placement"),
              std::string::npos)
        << err.msg;
}

INSTANTIATE_TEST_SUITE_P(Link, Both, ::testing::Values(SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE),
                         kernel_name);

} // namespace
