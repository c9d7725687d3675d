// The InfiniBand switch (models/ib/ib_switch.c, docs/models/ib.md section 5): cut-through and
// store-and-forward latency, round-robin output arbitration, input credits given back when a
// packet has left, routing errors; to the cycle from the doc's formulas under both kernels.
#include <gtest/gtest.h>

#include <algorithm>
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
using SwRun = std::unique_ptr<ShimRun, RunDeleter>;

std::string root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r ? r : ".";
}

// Testers a (LID 1, switch port 0), a2 (LID 2, port 1) and b (LID 3, port 2), each on its own
// 3 m cable; a and a2 send to b.
struct Topo {
    std::string rate = "fdr";
    std::string a = "count: 1";
    std::string a2; // empty: a2 is not there
    std::string b;
    std::string sw;

    std::string yaml() const
    {
        std::string dom = rate == "fdr" ? "213.068182MHz" : "1GHz";
        std::string preset = "preset: " + root() + "/configs/ib/" + rate + ".yaml, domain: ib";
        std::string y = "sim: {allow_cycles: true}\ndomains: {ib: " + dom + "}\ninstances:\n";
        y += "  a: {type: ib.tester, " + preset + ", lid: 1, dlid: 3, " + a + "}\n";
        if (!a2.empty()) {
            y += "  a2: {type: ib.tester, " + preset + ", lid: 2, dlid: 3, " + a2 + "}\n";
        }
        y += "  b: {type: ib.tester, " + preset + ", lid: 3, dlid: 1" +
             (b.empty() ? "" : ", " + b) + "}\n";
        y += "  sw: {type: ib.switch, " + preset + ", ports: 4" + (sw.empty() ? "" : ", " + sw) +
             "}\n";
        y += "  ca: {type: ib.cable, domain: ib}\n  ca2: {type: ib.cable, domain: ib}\n"
             "  cb: {type: ib.cable, domain: ib}\n";
        y += "links:\n"
             "  - {from: a:tx, to: ca:a_in}\n  - {from: ca:b_out, to: sw:p0_rx}\n"
             "  - {from: sw:p0_tx, to: ca:b_in}\n  - {from: ca:a_out, to: a:rx}\n"
             "  - {from: sw:p2_tx, to: cb:a_in}\n  - {from: cb:b_out, to: b:rx}\n"
             "  - {from: b:tx, to: cb:b_in}\n  - {from: cb:a_out, to: sw:p2_rx}\n";
        if (!a2.empty()) {
            y += "  - {from: a2:tx, to: ca2:a_in}\n  - {from: ca2:b_out, to: sw:p1_rx}\n"
                 "  - {from: sw:p1_tx, to: ca2:b_in}\n  - {from: ca2:a_out, to: a2:rx}\n";
        } else {
            y.replace(y.find("  ca2: {type: ib.cable, domain: ib}\n"), 36, "");
        }
        return y;
    }
};

SwRun run(const Topo &t, SimKernelKind k, const std::vector<std::string> &capture = {})
{
    SimError err;
    std::string y = t.yaml();
    SwRun r(shim_build(y.c_str(), &err));
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

double stat(const SwRun &r, const std::string &key)
{
    double v = shim_stat(r.get(), key.c_str());
    EXPECT_FALSE(std::isnan(v)) << "no statistic " << key;
    return v;
}

uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

// docs/models/ib.md: a write middle packet of N bytes, its symbol times and header symbols on a
// 4x port moving b bytes per symbol time; the pipe of a 3 m cable with PHYs of 0.
struct Rate {
    uint64_t period; // ps
    uint64_t b;      // bytes per symbol time, 4x
    uint64_t d(uint64_t payload) const
    {
        return ceil_div(20 + ceil_div(payload, 4) * 4 + 6 + 2, b);
    }
    uint64_t h() const
    {
        return ceil_div(9, b);
    }
    uint64_t dfc() const
    {
        return ceil_div(8, b);
    }
    uint64_t p() const
    {
        return 1 + ceil_div(15000, period) + 1;
    }
    uint64_t lat(uint64_t ps) const
    {
        return ceil_div(ps, period);
    }
};
const Rate kFdr{4693, 32};
const Rate kQdr{1000, 4};

class Both : public ::testing::TestWithParam<SimKernelKind>
{
};

std::string kernel_name(const ::testing::TestParamInfo<SimKernelKind> &info)
{
    return info.param == SIM_KERNEL_FAST ? "fast" : "every_cycle";
}

} // namespace

// One packet through an idle switch: a starts at s_a = D_fc - 1 + P (the switch port's credits);
// its header is in the switch's buffer at s_a + H - 1 + P (cut-through) and its tail at
// s_a + D - 1 + P; the output starts L later and b has the packet D - 1 + P after that.
TEST_P(Both, OnePacketCrossesTheSwitchAtTheDocumentedCycle)
{
    for (const char *rate : {"fdr", "qdr"}) {
        const Rate &q = std::string(rate) == "fdr" ? kFdr : kQdr;
        for (const char *mode : {"cut_through", "store_and_forward"}) {
            for (uint64_t payload : {0u, 256u, 2048u}) {
                for (uint64_t lat_ps : {0u, 100000u, 170000u}) {
                    Topo t;
                    t.rate = rate;
                    t.a = "count: 1, payload: " + std::to_string(payload) + "B";
                    t.sw = std::string("mode: ") + mode + ", latency: " + std::to_string(lat_ps) +
                           "ps";
                    SwRun r = run(t, GetParam());
                    ASSERT_TRUE(r);
                    uint64_t d = q.d(payload);
                    uint64_t s_a = std::max(q.dfc(), q.dfc() - 1 + q.p());
                    bool ct = std::string(mode) == "cut_through";
                    uint64_t in = s_a + (ct ? q.h() : d) - 1 + q.p();
                    uint64_t s_out = in + q.lat(lat_ps);
                    EXPECT_EQ(stat(r, "b.first_rx_cycle"), double(s_out + d - 1 + q.p()))
                        << rate << " " << mode << " " << payload << " B, " << lat_ps << " ps";
                    EXPECT_EQ(stat(r, "sw.forwarded"), 1.0);
                    EXPECT_EQ(stat(r, "sw.wait_cycles"), 0.0);
                }
            }
        }
    }
}

// Two inputs, one output: the output takes them in turn (a first) and never idles, so b has
// packet j of 2k at s_out + sum of the packet times before it + D_j - 1 + P.
TEST_P(Both, TwoInputsShareAnOutputRoundRobin)
{
    const Rate &q = kFdr;
    const uint64_t k = 12;
    Topo t;
    t.a = "count: " + std::to_string(k) + ", payload: 2KiB";
    t.a2 = "count: " + std::to_string(k) + ", payload: 1KiB";
    SwRun r = run(t, GetParam(), {"sw.p2_tx"});
    ASSERT_TRUE(r);
    uint64_t d1 = q.d(2048), d2 = q.d(1024);
    uint64_t s_a = q.dfc() - 1 + q.p();
    uint64_t s_out = s_a + q.h() - 1 + q.p() + q.lat(170000);
    std::vector<uint32_t> lens;
    std::vector<uint64_t> at;
    for (size_t i = 0; i < shim_event_count(r.get()); i++) {
        const ShimEvent *e = shim_event(r.get(), i);
        if (e->ev == SIM_TAP_PUSH && e->type != IB_FC) {
            lens.push_back(e->len);
            at.push_back(e->now / q.period);
        }
    }
    ASSERT_EQ(lens.size(), 2 * k);
    uint64_t s = s_out;
    for (size_t j = 0; j < 2 * k; j++) {
        EXPECT_EQ(lens[j], j % 2 == 0 ? 2048u : 1024u) << j;
        EXPECT_EQ(at[j], s + q.h() - 1) << j; // pushed at its header (the cable takes tails)
        s += j % 2 == 0 ? d1 : d2;
    }
    EXPECT_EQ(stat(r, "b.last_rx_cycle"), double(s - 1 + q.p()));
    EXPECT_EQ(stat(r, "sw.p2_busy_cycles"), double(q.dfc() + k * (d1 + d2)));
    EXPECT_EQ(stat(r, "sw.p2_tx_packets"), double(2 * k));
}

// Input credits come back when a packet has left the output (s_out + D): with room for one
// packet in the switch's input buffer, a's next packet starts when the update the switch's
// port sends then is in: s_a(k + 1) = s_out(k) + D + D_fc - 1 + P.
TEST_P(Both, InputCreditsReturnWhenThePacketHasLeft)
{
    for (const char *mode : {"cut_through", "store_and_forward"}) {
        const Rate &q = kQdr;
        const uint64_t n = 5;
        Topo t;
        t.rate = "qdr";
        t.a = "count: " + std::to_string(n) + ", payload: 2KiB";
        t.sw = std::string("mode: ") + mode + ", vl_buffer: 4KiB";
        SwRun r = run(t, GetParam(), {"a.tx"});
        ASSERT_TRUE(r);
        bool ct = std::string(mode) == "cut_through";
        uint64_t d = q.d(2048);
        uint64_t s_a = q.dfc() - 1 + q.p();
        uint64_t s_out = 0;
        std::vector<uint64_t> starts;
        for (uint64_t j = 0; j < n; j++) {
            starts.push_back(s_a);
            s_out = s_a + (ct ? q.h() : d) - 1 + q.p() + q.lat(170000);
            s_a = s_out + d + q.dfc() - 1 + q.p();
        }
        std::vector<uint64_t> pushes;
        for (size_t i = 0; i < shim_event_count(r.get()); i++) {
            const ShimEvent *e = shim_event(r.get(), i);
            if (e->ev == SIM_TAP_PUSH && e->type != IB_FC) {
                pushes.push_back(e->now / q.period);
            }
        }
        ASSERT_EQ(pushes.size(), n);
        for (uint64_t j = 0; j < n; j++) {
            EXPECT_EQ(pushes[j], starts[j] + q.h() - 1) << mode << " packet " << j;
        }
        EXPECT_EQ(stat(r, "b.last_rx_cycle"), double(s_out + d - 1 + q.p())) << mode;
        EXPECT_GT(stat(r, "a.vl0_credit_stall_cycles"), 0.0);
    }
}

// A packet for a LID no linked port serves ends the run with a message.
TEST(IbSwitch, AnUnroutedPacketFailsTheRun)
{
    Topo t;
    std::string y = t.yaml();
    y.replace(y.find("dlid: 3"), 7, "dlid: 4");
    SimError err;
    SwRun r(shim_build(y.c_str(), &err));
    ASSERT_NE(r, nullptr) << err.msg;
    EXPECT_FALSE(shim_run(r.get(), SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err));
    EXPECT_NE(std::string(err.msg).find("sw: no route for DLID 4"), std::string::npos) << err.msg;
}

// A port linked beyond `ports` ends the run with a message.
TEST(IbSwitch, APortBeyondTheCountFailsTheRun)
{
    Topo t;
    t.sw = "ports: 2";
    std::string y = t.yaml();
    y.replace(y.find(", ports: 4"), 10, "");
    SimError err;
    SwRun r(shim_build(y.c_str(), &err));
    ASSERT_NE(r, nullptr) << err.msg;
    EXPECT_FALSE(shim_run(r.get(), SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err));
    EXPECT_NE(std::string(err.msg).find("port p2 is linked, but the switch has 2 ports"),
              std::string::npos)
        << err.msg;
}

// Two switches in a row (a -> sw1 p0, sw1 p2 -> sw2 p0, sw2 p2 -> b; port 2 serves LID 3 in
// both): each hop adds (H or D) - 1 + P + L, so store-and-forward costs D - H more per switch.
TEST_P(Both, EachSwitchHopAddsItsLatency)
{
    const Rate &q = kFdr;
    for (const char *mode : {"cut_through", "store_and_forward"}) {
        std::string preset = "preset: " + root() + "/configs/ib/fdr.yaml, domain: ib";
        std::string sw = "{type: ib.switch, " + preset + ", ports: 3, mode: " + mode + "}";
        std::string y = "sim: {allow_cycles: true}\ndomains: {ib: 213.068182MHz}\ninstances:\n"
                        "  a: {type: ib.tester, " +
                        preset + ", lid: 1, dlid: 3, count: 1}\n  b: {type: ib.tester, " + preset +
                        ", lid: 3, dlid: 1}\n  sw1: " + sw + "\n  sw2: " + sw +
                        "\n  c1: {type: ib.cable, domain: ib}\n  c2: {type: ib.cable, domain: ib}\n"
                        "  c3: {type: ib.cable, domain: ib}\n"
                        "links:\n"
                        "  - {from: a:tx, to: c1:a_in}\n  - {from: c1:b_out, to: sw1:p0_rx}\n"
                        "  - {from: sw1:p0_tx, to: c1:b_in}\n  - {from: c1:a_out, to: a:rx}\n"
                        "  - {from: sw1:p2_tx, to: c2:a_in}\n  - {from: c2:b_out, to: sw2:p0_rx}\n"
                        "  - {from: sw2:p0_tx, to: c2:b_in}\n  - {from: c2:a_out, to: sw1:p2_rx}\n"
                        "  - {from: sw2:p2_tx, to: c3:a_in}\n  - {from: c3:b_out, to: b:rx}\n"
                        "  - {from: b:tx, to: c3:b_in}\n  - {from: c3:a_out, to: sw2:p2_rx}\n";
        SimError err;
        SwRun r(shim_build(y.c_str(), &err));
        ASSERT_NE(r, nullptr) << err.msg << "\n" << y;
        ASSERT_TRUE(shim_run(r.get(), GetParam(), SIM_TIME_NEVER, 0, &err)) << err.msg;
        bool ct = std::string(mode) == "cut_through";
        uint64_t d = q.d(2048);
        uint64_t hop = (ct ? q.h() : d) - 1 + q.p() + q.lat(170000);
        uint64_t s_a = q.dfc() - 1 + q.p();
        EXPECT_EQ(stat(r, "b.first_rx_cycle"), double(s_a + 2 * hop + d - 1 + q.p())) << mode;
        EXPECT_EQ(stat(r, "sw1.forwarded"), 1.0);
        EXPECT_EQ(stat(r, "sw2.forwarded"), 1.0);
    }
}

INSTANTIATE_TEST_SUITE_P(Kernels, Both, ::testing::Values(SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE),
                         kernel_name);
