// The InfiniBand link (models/ib, docs/models/ib.md): packet sizes, symbol times, the pipe,
// flow-control credits and skip ordered sets, each to the cycle from the doc's formulas, under
// both built-in kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "models/proto/ib.h"
#include "sim/core/kernel.h"
#include "tests/shim/shim.h"

namespace
{

struct RunDeleter {
    void operator()(ShimRun *r) const
    {
        shim_free(r);
    }
};
using IbRun = std::unique_ptr<ShimRun, RunDeleter>;

std::string root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r ? r : ".";
}

// Two ib.testers joined by an ib.cable: a sends, b receives (and b's extra keys may make it
// send too). `rate` is "fdr" or "qdr" (the shipped presets).
struct Topo {
    std::string rate = "fdr";
    std::string a = "count: 1";
    std::string b;
    std::string both; // keys for both ports
    std::string cable;

    std::string yaml() const
    {
        std::string dom = rate == "fdr" ? "213.068182MHz" : "1GHz";
        std::string preset = root() + "/configs/ib/" + rate + ".yaml";
        auto port = [&](const std::string &name, const std::string &kv, const std::string &lids) {
            std::string s =
                "  " + name + ": {type: ib.tester, preset: " + preset + ", domain: ib, " + lids;
            if (!both.empty()) {
                s += ", " + both;
            }
            if (!kv.empty()) {
                s += ", " + kv;
            }
            return s + "}\n";
        };
        std::string y = "sim: {allow_cycles: true}\ndomains: {ib: " + dom + "}\ninstances:\n";
        y += port("a", a, "lid: 1, dlid: 2");
        y += "  c: {type: ib.cable, domain: ib" + (cable.empty() ? "" : ", " + cable) + "}\n";
        y += port("b", b, "lid: 2, dlid: 1");
        y += "links:\n"
             "  - {from: a:tx, to: c:a_in}\n"
             "  - {from: c:b_out, to: b:rx}\n"
             "  - {from: b:tx, to: c:b_in}\n"
             "  - {from: c:a_out, to: a:rx}\n";
        return y;
    }
};

IbRun run(const Topo &t, SimKernelKind k, const std::vector<std::string> &capture = {})
{
    SimError err;
    std::string y = t.yaml();
    IbRun r(shim_build(y.c_str(), &err));
    EXPECT_NE(r, nullptr) << err.msg << "\n" << y;
    if (!r) {
        return r;
    }
    for (const std::string &p : capture) {
        EXPECT_TRUE(shim_capture(r.get(), p.c_str())) << p;
    }
    EXPECT_TRUE(shim_run(r.get(), k, SIM_TIME_NEVER, 0, &err)) << err.msg;
    return r;
}

double stat(const IbRun &r, const std::string &key)
{
    double v = shim_stat(r.get(), key.c_str());
    EXPECT_FALSE(std::isnan(v)) << "no statistic " << key;
    return v;
}

// Push times (in cycles of `period`) of the captured port, data packets only or all. A port
// pushes a data packet to the cable at its header (the cable takes tails), docs/models/ib.md 2.2.
std::vector<uint64_t> push_cycles(const IbRun &r, uint64_t period, bool data_only = true)
{
    std::vector<uint64_t> out;
    for (size_t i = 0; i < shim_event_count(r.get()); i++) {
        const ShimEvent *e = shim_event(r.get(), i);
        if (e->ev == SIM_TAP_PUSH && (!data_only || e->type != IB_FC)) {
            EXPECT_EQ(e->now % period, 0u);
            out.push_back(e->now / period);
        }
    }
    return out;
}

constexpr uint64_t kFdr = 4693; // ps, one 66-bit block at 14.0625 Gb/s, rounded
constexpr uint64_t kQdr = 1000; // ps, one 10-bit symbol at 10 Gb/s
// Symbol times of a data packet's start delimiter and LRH on QDR 4x: ceil(9 / 4).
constexpr uint64_t kH4 = 3;

uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

// docs/models/ib.md 1: LRH + BTH + extended headers + payload padded to 4 + ICRC + VCRC.
uint64_t packet_bytes(uint64_t ext, uint64_t payload)
{
    return 8 + 12 + ext + ceil_div(payload, 4) * 4 + 4 + 2;
}

// docs/models/ib.md 2.1: D = ceil((L + 2) / (width x bytes per lane per symbol)).
uint64_t symbols(uint64_t bytes, uint64_t width, uint64_t lane_bytes)
{
    return ceil_div(bytes + 2, width * lane_bytes);
}

// docs/models/ib.md 2.2: P = phy_tx + 1 + F + 1 + phy_rx.
uint64_t pipe(uint64_t phy_tx, uint64_t flight, uint64_t phy_rx)
{
    return phy_tx + 1 + flight + 1 + phy_rx;
}

class Both : public ::testing::TestWithParam<SimKernelKind>
{
};

std::string kernel_name(const ::testing::TestParamInfo<SimKernelKind> &info)
{
    return info.param == SIM_KERNEL_FAST ? "fast" : "every_cycle";
}

} // namespace

TEST(IbProto, PacketBytesFollowTheHeadersOfEachType)
{
    SimPacket p{};
    struct Case {
        IbPacketType type;
        uint32_t len;
        uint32_t bytes;
    } cases[] = {
        {IB_SEND_ONLY, 0, 26},
        {IB_SEND_MIDDLE, 2048, 2074},
        {IB_WRITE_FIRST, 2048, 2090},
        {IB_WRITE_MIDDLE, 4096, 4122},
        {IB_WRITE_ONLY, 1, 46},
        {IB_READ_REQ, 65536, 42},
        {IB_READ_RESP_FIRST, 256, 286},
        {IB_READ_RESP_MIDDLE, 256, 282},
        {IB_ACK, 0, 30},
        {IB_FC, 0, 6},
    };
    for (const Case &c : cases) {
        p.type = c.type;
        p.len = c.len;
        EXPECT_EQ(ib_packet_bytes(&p), c.bytes) << c.type;
        EXPECT_EQ(ib_packet_blocks(&p), (c.bytes + 63) / 64) << c.type;
    }
    EXPECT_TRUE(ib_is_data(IB_ACK));
    EXPECT_FALSE(ib_is_data(IB_FC));
    ib_set_vl(&p, 7);
    EXPECT_EQ(ib_vl(&p), 7u);
}

// The first packet: both ports send VL0's flow-control packet at cycle 0 (D_fc symbol times);
// b's reaches a at D_fc - 1 + P, and a's first data packet starts then; its last symbol is at
// s + D - 1 and it is in b's buffer (taken by b's sink) P later.
TEST_P(Both, FirstPacketArrivesAtTheDocumentedCycle)
{
    struct Case {
        const char *rate;
        const char *op;
        uint64_t ext;
        uint64_t payload;
        uint64_t width;
    } cases[] = {
        {"fdr", "write_middle", 0, 2048, 4},
        {"fdr", "write_only", 16, 4096, 4},
        {"fdr", "send_only", 0, 1, 4},
        {"fdr", "read_resp_first", 4, 256, 1},
        {"qdr", "write_middle", 0, 2048, 4},
        {"qdr", "write_first", 16, 64, 4},
        {"qdr", "ack", 4, 0, 4},
        {"qdr", "send_last", 0, 1000, 12},
        {"qdr", "read_resp_only", 4, 512, 8},
        {"fdr", "write_middle", 0, 1024, 12},
    };
    for (const Case &c : cases) {
        bool fdr = std::string(c.rate) == "fdr";
        uint64_t lane_bytes = fdr ? 8 : 1;
        uint64_t period = fdr ? kFdr : kQdr;
        Topo t;
        t.rate = c.rate;
        t.a = std::string("count: 1, op: ") + c.op + ", payload: " + std::to_string(c.payload) +
              "B, mtu: 4KiB, vl_buffer: 8KiB";
        t.both = "width: " + std::to_string(c.width);
        t.b = "mtu: 4KiB, vl_buffer: 8KiB";
        IbRun r = run(t, GetParam(), {"a.tx"});
        ASSERT_TRUE(r);
        uint64_t flight = ceil_div(3 * 5000, period); // 3 m x 5 ns/m
        uint64_t p = pipe(0, flight, 0);
        uint64_t dfc = symbols(6, c.width, lane_bytes);
        uint64_t d = symbols(packet_bytes(c.ext, c.payload), c.width, lane_bytes);
        uint64_t s = std::max(dfc, dfc - 1 + p);
        std::vector<uint64_t> pushes = push_cycles(r, period);
        ASSERT_EQ(pushes.size(), 1u) << c.rate << " " << c.op;
        // Pushed at its header (SDP and LRH: H symbols), the cable taking tails.
        uint64_t h = symbols(8 - 1, c.width, lane_bytes);
        EXPECT_EQ(pushes[0], s + h - 1) << c.rate << " " << c.op << " width " << c.width;
        EXPECT_EQ(stat(r, "b.first_rx_cycle"), double(s + d - 1 + p))
            << c.rate << " " << c.op << " width " << c.width;
        EXPECT_EQ(stat(r, "a.busy_cycles"), double(dfc + d));
    }
}

// The pipe under other PHY latencies and cable lengths.
TEST_P(Both, PipeFollowsPhyLatenciesAndCableLength)
{
    struct Case {
        uint64_t phy_tx, phy_rx;
        const char *length;
        uint64_t metres_ps;
    } cases[] = {{0, 0, "0m", 0},
                 {3, 5, "3m", 15000},
                 {10, 0, "17m", 85000},
                 {0, 7, "100m", 500000},
                 {1, 1, "1.5m", 7500}};
    for (const Case &c : cases) {
        Topo t;
        t.rate = "qdr";
        t.a = "count: 1, payload: 2KiB";
        t.both = "phy_tx_cycles: " + std::to_string(c.phy_tx) +
                 ", phy_rx_cycles: " + std::to_string(c.phy_rx);
        t.cable = std::string("length: ") + c.length;
        IbRun r = run(t, GetParam(), {"a.tx"});
        ASSERT_TRUE(r);
        uint64_t p = pipe(c.phy_tx, ceil_div(c.metres_ps, kQdr), c.phy_rx);
        uint64_t dfc = symbols(6, 4, 1);
        uint64_t d = symbols(packet_bytes(0, 2048), 4, 1);
        uint64_t s = std::max(dfc, dfc - 1 + p);
        std::vector<uint64_t> pushes = push_cycles(r, kQdr);
        ASSERT_EQ(pushes.size(), 1u);
        EXPECT_EQ(pushes[0], s + kH4 - 1 + c.phy_tx) << c.length;
        EXPECT_EQ(stat(r, "b.first_rx_cycle"), double(s + d - 1 + p)) << c.length;
    }
}

// Back to back on FDR (no skips): packet k starts at s0 + kD and arrives at s0 + (k+1)D - 1 + P;
// the link's data rate is payload / (D x 4693 ps).
TEST_P(Both, BackToBackPacketsLeaveEveryPacketTime)
{
    Topo t;
    t.a = "count: 50, payload: 2KiB";
    IbRun r = run(t, GetParam(), {"a.tx"});
    ASSERT_TRUE(r);
    uint64_t p = pipe(0, ceil_div(15000, kFdr), 0);
    uint64_t d = symbols(packet_bytes(0, 2048), 4, 8);
    ASSERT_EQ(d, 65u);
    uint64_t s0 = p; // dfc = 1
    std::vector<uint64_t> pushes = push_cycles(r, kFdr);
    ASSERT_EQ(pushes.size(), 50u);
    for (uint64_t k = 0; k < 50; k++) {
        EXPECT_EQ(pushes[k], s0 + k * d) << k; // H = 1 on FDR 4x
    }
    EXPECT_EQ(stat(r, "b.last_rx_cycle"), double(s0 + 50 * d - 1 + p));
    EXPECT_EQ(stat(r, "b.received_bytes"), 50.0 * 2048);
    EXPECT_EQ(stat(r, "a.vl0_credit_stall_cycles"), double(s0 - 1));
    // 2048 B per 65 x 4693 ps: 6.714 GB/s of payload.
    double gbps = 2048.0 / (65.0 * 4693.0) * 1000.0;
    EXPECT_NEAR(gbps, 6.714, 0.001);
}

// QDR sends a skip ordered set (4 symbol times) at the first packet boundary at or after every
// 4608 symbol times since the previous one ended.
TEST_P(Both, SkipOrderedSetsGoAtPacketBoundaries)
{
    Topo t;
    t.rate = "qdr";
    t.a = "count: 30, payload: 2KiB";
    IbRun r = run(t, GetParam(), {"a.tx"});
    ASSERT_TRUE(r);
    uint64_t p = pipe(0, 15, 0);
    uint64_t d = symbols(packet_bytes(0, 2048), 4, 1);
    ASSERT_EQ(d, 519u);
    uint64_t dfc = 2;
    // Expected starts by the rule of docs/models/ib.md 2.4.
    std::vector<uint64_t> want;
    uint64_t s = dfc - 1 + p, due = 4608, skips = 0;
    for (int k = 0; k < 30; k++) {
        if (s >= due) {
            s += 4; // the skip goes first
            due = s + 4608;
            skips++;
        }
        want.push_back(s + kH4 - 1);
        s += d;
    }
    std::vector<uint64_t> pushes = push_cycles(r, kQdr);
    ASSERT_EQ(pushes.size(), want.size());
    for (size_t k = 0; k < want.size(); k++) {
        EXPECT_EQ(pushes[k], want[k]) << k;
    }
    EXPECT_EQ(stat(r, "a.skips"), double(skips));
    EXPECT_EQ(stat(r, "a.busy_cycles"), double(dfc + 30 * d + 4 * skips));
}

// An idle link's skips are settled lazily: after a long gap the next packet starts at once
// unless it falls into a skip, which it then follows.
TEST_P(Both, SkipsOnAnIdleLinkFollowEachOther)
{
    for (uint64_t start : {4607u, 4608u, 4610u, 4612u, 9220u, 9221u, 9224u, 20000u}) {
        Topo t;
        t.rate = "qdr";
        t.a = "count: 1, payload: 256B, start: " + std::to_string(start);
        IbRun r = run(t, GetParam(), {"a.tx"});
        ASSERT_TRUE(r);
        // Skips at 4608 + j x 4612 for 4 cycles each.
        uint64_t s = start;
        uint64_t j = start >= 4608 ? (start - 4608) / 4612 : 0;
        uint64_t skip = 4608 + j * 4612;
        if (start >= 4608 && s < skip + 4) {
            s = skip + 4;
        }
        uint64_t d = symbols(packet_bytes(0, 256), 4, 1);
        std::vector<uint64_t> pushes = push_cycles(r, kQdr);
        ASSERT_EQ(pushes.size(), 1u);
        EXPECT_EQ(pushes[0], s + kH4 - 1) << "start " << start;
        EXPECT_EQ(stat(r, "b.first_rx_cycle"), double(s + d - 1 + pipe(0, 15, 0))) << start;
        EXPECT_EQ(stat(r, "a.skips"), start >= 4608 ? double(j + 1) : 0.0) << start;
    }
}

// Credits: b's buffer holds n = floor(C / B) packets; its sink takes one every `drain` cycles,
// the first at its arrival x0. The credits freed at x0 reach a at x0 + D_fc - 1 + P, before a
// has finished packet n - 1, so packets 0 .. n go back to back; packet n + i (i >= 1) waits for
// the update b sends when its sink takes packet i, at x0 + i x drain: it starts at
// x0 + i x drain + D_fc - 1 + P.
TEST_P(Both, ASenderWaitsForCreditsFreedByTheReceiver)
{
    for (uint64_t drain : {2000u, 5000u}) {
        Topo t;
        t.rate = "qdr";
        t.a = "count: 8, payload: 2KiB";
        t.b = "vl_buffer: 8KiB, drain: " + std::to_string(drain);
        IbRun r = run(t, GetParam(), {"a.tx"});
        ASSERT_TRUE(r);
        uint64_t p = pipe(0, 15, 0);
        uint64_t d = symbols(packet_bytes(0, 2048), 4, 1);
        uint64_t dfc = 2;
        uint64_t blocks = ceil_div(packet_bytes(0, 2048), 64);
        uint64_t n = 8192 / 64 / blocks;
        ASSERT_EQ(n, 3u);
        uint64_t s0 = dfc - 1 + p;
        uint64_t x0 = s0 + d - 1 + p;
        ASSERT_LT(x0 + dfc - 1 + p, s0 + n * d); // the first update is in time for packet n
        std::vector<uint64_t> pushes = push_cycles(r, kQdr);
        ASSERT_EQ(pushes.size(), 8u);
        for (uint64_t k = 0; k <= n; k++) {
            EXPECT_EQ(pushes[k], s0 + k * d + kH4 - 1) << k;
        }
        for (uint64_t i = 1; n + i < 8; i++) {
            uint64_t start = x0 + i * drain + dfc - 1 + p;
            EXPECT_EQ(pushes[n + i], start + kH4 - 1) << "drain " << drain << " packet " << n + i;
        }
        EXPECT_EQ(stat(r, "b.vl0_rx_max_blocks"), double(n * blocks));
        EXPECT_EQ(stat(r, "b.received"), 8.0);
    }
}

// Flow-control packets coalesce: with a threshold of T credits b sends one when T were freed
// (or when a's unused credits fall below one MTU packet).
TEST_P(Both, FlowControlThresholdCoalescesUpdates)
{
    for (uint64_t threshold : {1u, 33u, 66u, 2048u}) {
        Topo t;
        t.a = "count: 40, payload: 2KiB";
        t.b = "vl_buffer: 128KiB, fc_threshold: " + std::to_string(threshold);
        IbRun r = run(t, GetParam());
        ASSERT_TRUE(r);
        // Each packet frees 33 credits; 2048 credits advertised first, minus 33 per packet; the
        // stall rule fires once fewer than 33 + ... remain unused, which 40 packets never reach.
        uint64_t per = threshold <= 33 ? 1 : (threshold <= 66 ? 2 : 0);
        uint64_t updates = per == 0 ? 0 : 40 / per;
        EXPECT_EQ(stat(r, "b.vl0_fc_sent"), double(1 + updates)) << threshold;
        EXPECT_EQ(stat(r, "b.received"), 40.0);
    }
}

// Both directions at once: each port's flow-control packets go between its own data packets.
TEST_P(Both, BothDirectionsCarryDataAndCredits)
{
    Topo t;
    t.a = "count: 20, payload: 4KiB, mtu: 4KiB, vl_buffer: 12KiB";
    t.b = "count: 20, payload: 4KiB, mtu: 4KiB, vl_buffer: 12KiB";
    IbRun r = run(t, GetParam());
    ASSERT_TRUE(r);
    EXPECT_EQ(stat(r, "a.received"), 20.0);
    EXPECT_EQ(stat(r, "b.received"), 20.0);
    EXPECT_EQ(stat(r, "a.fc_received"), stat(r, "b.fc_sent"));
}

// A wrong clock is refused when the topology is built, with the frequency to declare.
TEST(IbLink, AClockThatIsNotTheSymbolTimeIsRefused)
{
    Topo t;
    std::string y = t.yaml();
    y.replace(y.find("213.068182MHz"), 13, "200MHz");
    SimError err;
    IbRun r(shim_build(y.c_str(), &err));
    ASSERT_EQ(r, nullptr);
    EXPECT_NE(std::string(err.msg).find("declare the domain at 213.068182MHz"), std::string::npos)
        << err.msg;
}

// Statistics do not depend on the kernel or the tick order.
TEST(IbLink, StatisticsAreTheSameUnderBothKernelsAndAnyOrder)
{
    Topo t;
    t.rate = "qdr";
    t.b = "count: 30, payload: 4KiB, drain: 900, vl: 1, vl_buffer: 16KiB";
    t.both = "vls: 2, mtu: 4KiB";
    t.a = "count: 60, payload: 1KiB, gap: 100";
    std::string ref;
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        for (uint64_t seed : {0u, 7u}) {
            SimError err;
            std::string y = t.yaml();
            IbRun r(shim_build(y.c_str(), &err));
            ASSERT_NE(r, nullptr) << err.msg;
            ASSERT_TRUE(shim_run(r.get(), k, SIM_TIME_NEVER, seed, &err)) << err.msg;
            char *j = shim_stats_json(r.get());
            std::string s = j;
            free(j);
            if (ref.empty()) {
                ref = s;
            }
            EXPECT_EQ(s, ref) << "kernel " << k << " seed " << seed;
        }
    }
}

// With v VLs each port first sends v flow-control packets back to back; the first data packet
// starts at max(v D_fc, D_fc - 1 + P) (docs/models/ib.md 2.3).
TEST_P(Both, FirstPacketWaitsForEveryVlsFirstUpdate)
{
    for (uint64_t v : {1u, 2u, 9u, 15u}) {
        for (const char *len : {"3m", "0m"}) {
            Topo t;
            t.rate = "qdr";
            t.a = "count: 1, payload: 256B";
            t.both = "vls: " + std::to_string(v);
            t.cable = std::string("length: ") + len;
            IbRun r = run(t, GetParam(), {"a.tx"});
            ASSERT_TRUE(r);
            uint64_t p = pipe(0, std::string(len) == "3m" ? 15 : 0, 0);
            uint64_t dfc = 2;
            uint64_t s0 = std::max(v * dfc, dfc - 1 + p);
            uint64_t d = symbols(packet_bytes(0, 256), 4, 1);
            std::vector<uint64_t> pushes = push_cycles(r, kQdr);
            ASSERT_EQ(pushes.size(), 1u);
            EXPECT_EQ(pushes[0], s0 + kH4 - 1) << v << " VLs, " << len;
            EXPECT_EQ(stat(r, "b.first_rx_cycle"), double(s0 + d - 1 + p)) << v << " VLs";
            EXPECT_EQ(stat(r, "a.fc_sent"), double(v));
        }
    }
}

// Several VLs with credits share the transmitter round-robin: packet i (on VL i mod v, all
// queued at cycle 0) leaves in generation order, back to back; lowest-VL-first would send every
// VL0 packet first.
TEST_P(Both, VirtualLanesShareTheLinkRoundRobin)
{
    for (uint64_t v : {2u, 3u}) {
        Topo t;
        t.a = "count: 12, payload: 1KiB, spread: " + std::to_string(v);
        t.both = "vls: " + std::to_string(v);
        IbRun r = run(t, GetParam(), {"a.tx"});
        ASSERT_TRUE(r);
        std::vector<uint32_t> seq;
        for (size_t i = 0; i < shim_event_count(r.get()); i++) {
            const ShimEvent *e = shim_event(r.get(), i);
            if (e->ev == SIM_TAP_PUSH && e->type != IB_FC) {
                seq.push_back(e->seq);
            }
        }
        ASSERT_EQ(seq.size(), 12u);
        for (uint32_t i = 0; i < 12; i++) {
            EXPECT_EQ(seq[i], i) << v << " VLs";
        }
        for (uint64_t vl = 0; vl < v; vl++) {
            EXPECT_EQ(stat(r, "a.vl" + std::to_string(vl) + "_tx_packets"), double(12 / v));
            EXPECT_EQ(stat(r, "b.vl" + std::to_string(vl) + "_rx_packets"), double(12 / v));
        }
        // Every VL's first update is in before the first packet of the last VL goes (FDR 4x:
        // D_fc = 1), so the packets go back to back from s0 = max(v, P).
        uint64_t p = pipe(0, ceil_div(15000, kFdr), 0);
        uint64_t d = symbols(packet_bytes(0, 1024), 4, 8);
        EXPECT_EQ(stat(r, "b.last_rx_cycle"), double(std::max(v, p) + 12 * d - 1 + p));
    }
}

INSTANTIATE_TEST_SUITE_P(Kernels, Both, ::testing::Values(SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE),
                         kernel_name);
