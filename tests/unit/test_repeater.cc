// repeater.switch (docs/models/repeater.md): per-hop latency to the cycle in both modes, a
// 16-node fabric saturating the MemBox (no deadlock, no loss, fair shares), bit errors on a
// middle hop, and identical statistics under both kernels on the shipped fabric configs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/proto/link.h"
#include "sim/core/kernel.h"
#include "tests/shim/shim.h"

namespace
{

constexpr uint64_t kT = 4000; // ps: the switch's default domain, pcie 250 MHz

struct RepRun {
    ShimRun *r = nullptr;
    explicit RepRun(const std::string &yaml)
    {
        SimError err = {};
        r = shim_build(yaml.c_str(), &err);
        EXPECT_NE(r, nullptr) << err.msg;
    }
    ~RepRun()
    {
        shim_free(r);
    }
};

// A chain: generic.source -> h switches (local_req -> up_req) -> generic.sink, all at 250 MHz,
// every link latency 1 (the next edge: propagation 0 cycles beyond the register).
std::string chain_yaml(int hops, uint64_t bytes, const char *mode, uint64_t processing,
                       uint64_t switching, uint64_t count = 1, const std::string &extra = "")
{
    std::string y = "sim: {allow_cycles: true}\ninstances:\n";
    y += "  src: {type: generic.source, count: " + std::to_string(count) +
         ", size: " + std::to_string(bytes) + "B}\n";
    // The source emits at cycle 0; a stage holding it 100 cycles gives its beats room before.
    y += "  pre: {type: generic.delay, delay: 100}\n";
    y += "  sink: {type: generic.sink}\n";
    for (int i = 0; i < hops; i++) {
        std::string n = "r" + std::to_string(i);
        y += "  " + n + ": {type: repeater.switch, mode: " + mode +
             ", downs: 1, local: false, processing: " + std::to_string(processing) +
             ", switching: " + std::to_string(switching) + extra + "}\n";
        // An idle requester closes the unused response path (up_resp in, resp0 out).
        y += "  " + n + "_nil: {type: link.tester, count: 0}\n";
    }
    y += "links:\n";
    y += "  - {from: src:out, to: pre:in}\n";
    std::string prev = "pre:out";
    for (int i = 0; i < hops; i++) {
        std::string n = "r" + std::to_string(i);
        y += "  - {from: " + prev + ", to: " + n + ":req0}\n";
        y += "  - {from: " + n + "_nil:req, to: " + n + ":up_resp}\n";
        y += "  - {from: " + n + ":resp0, to: " + n + "_nil:resp}\n";
        prev = n + ":up_req";
    }
    y += "  - {from: " + prev + ", to: sink:in}\n";
    return y;
}

// The formulas of docs/models/repeater.md, in cycles, from the packet's first beat at the
// source to its being visible at the sink: k = transmission (beats), tp = 0 (propagation beyond
// the one-cycle register of a latency-1 link), h switches, h + 1 links.
uint64_t saf_cycles(int h, uint64_t k, uint64_t p)
{
    const uint64_t tp = 0;
    return (uint64_t)(h + 1) * (k + tp) + (uint64_t)h * p;
}

uint64_t ct_cycles(int h, uint64_t k, uint64_t sw)
{
    const uint64_t tp = 0;
    return k + (uint64_t)(h + 1) * tp + (uint64_t)h * (sw + 1);
}

void check_chain(SimKernelKind kernel, const char *mode, bool ct, uint64_t p, uint64_t sw)
{
    for (int h = 1; h <= 3; h++) {
        for (uint64_t bytes = 64; bytes <= 4096; bytes *= 2) {
            RepRun run(chain_yaml(h, bytes, mode, p, sw));
            ASSERT_NE(run.r, nullptr);
            ASSERT_TRUE(shim_capture(run.r, "pre.out"));
            std::string last = "r" + std::to_string(h - 1) + ".up_req";
            ASSERT_TRUE(shim_capture(run.r, last.c_str()));
            SimError err = {};
            ASSERT_TRUE(shim_run(run.r, kernel, SIM_TIME_NEVER, 0, &err)) << err.msg;
            SimTime pushed = 0;
            SimTime visible = 0;
            int seen = 0;
            for (size_t i = 0; i < shim_event_count(run.r); i++) {
                const ShimEvent *e = shim_event(run.r, i);
                if (e->ev != SIM_TAP_PUSH) {
                    continue;
                }
                if (seen == 0) {
                    pushed = e->now;
                } else {
                    visible = e->visible;
                }
                seen++;
            }
            ASSERT_EQ(seen, 2);
            uint64_t k = (bytes + 63) / 64;
            SimTime first_beat = pushed - (k - 1) * kT;
            uint64_t want = ct ? ct_cycles(h, k, sw) : saf_cycles(h, k, p);
            EXPECT_EQ(visible - first_beat, want * kT)
                << mode << " hops " << h << " bytes " << bytes;
            EXPECT_EQ(shim_stat(run.r, "r0.forwarded_up"), 1.0);
        }
    }
}

TEST(Repeater, StoreAndForwardPerHopLatencyEqualsTheFormula)
{
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        check_chain(k, "store_and_forward", false, 2, 1);
        check_chain(k, "store_and_forward", false, 0, 1);
        check_chain(k, "store_and_forward", false, 7, 1);
    }
}

TEST(Repeater, CutThroughPerHopLatencyEqualsTheFormula)
{
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        check_chain(k, "cut_through", true, 2, 1);
        check_chain(k, "cut_through", true, 2, 0);
        check_chain(k, "cut_through", true, 2, 5);
    }
}

TEST(Repeater, StoreAndForwardAddsAWholeSerialisationPerHop)
{
    // SAF - CT = h (k + p - sw - 1): with p = 2, sw = 1, h whole serialisations.
    for (uint64_t k = 1; k <= 64; k *= 2) {
        for (int h = 1; h <= 3; h++) {
            uint64_t d = saf_cycles(h, k, 2) - ct_cycles(h, k, 1);
            EXPECT_EQ(d, (uint64_t)h * k);
            EXPECT_GE(d, (uint64_t)h * (k - 1));
        }
    }
}

// ---- serial store-and-forward (docs/models/repeater.md section 3, "Serial") ----

// The wire time of a packet of `bytes` at the defaults (40 Gb/s, 96 B of frame), in the
// switch's 4 ns cycles, rounded up: w = ceil((bytes + 96) x 8 / 40e9 / 4 ns).
uint64_t wire_cycles(uint64_t bytes)
{
    uint64_t ps = (bytes + 96) * 200; // 8 bits / 40 Gb/s = 200 ps per byte
    return (ps + kT - 1) / kT;
}

// Times of the pushes into one port of a one-switch chain of `count` packets.
std::vector<SimTime> chain_pushes(SimKernelKind kernel, uint64_t bytes, uint64_t count,
                                  const std::string &extra, const char *port, bool visible)
{
    RepRun run(chain_yaml(1, bytes, "store_and_forward", 2, 1, count, extra));
    std::vector<SimTime> out;
    if (run.r == nullptr || !shim_capture(run.r, port)) {
        ADD_FAILURE() << "cannot build or capture " << port;
        return out;
    }
    SimError err = {};
    if (!shim_run(run.r, kernel, SIM_TIME_NEVER, 0, &err)) {
        ADD_FAILURE() << err.msg;
        return out;
    }
    for (size_t i = 0; i < shim_event_count(run.r); i++) {
        const ShimEvent *e = shim_event(run.r, i);
        if (e->ev == SIM_TAP_PUSH) {
            out.push_back(visible ? e->visible : e->now);
        }
    }
    return out;
}

// The doc's recursion, in cycles: start_j = max(v_j + p, push_{j-1} + 1, R_{j-D}),
// push_j = start_j + k - 1, R_j = push_j + w + 1 (serial); without serial the R term is absent.
std::vector<uint64_t> serial_formula(const std::vector<uint64_t> &v, uint64_t k, uint64_t p,
                                     uint64_t w, uint64_t d, bool serial)
{
    std::vector<uint64_t> push;
    std::vector<uint64_t> rel;
    for (size_t j = 0; j < v.size(); j++) {
        uint64_t start = v[j] + p;
        if (j > 0) {
            start = std::max(start, push[j - 1] + 1);
        }
        if (serial && j >= d) {
            start = std::max(start, rel[j - d]);
        }
        push.push_back(start + k - 1);
        rel.push_back(push.back() + w + 1);
    }
    return push;
}

void check_serial(SimKernelKind kernel, uint64_t bytes, uint64_t count, uint64_t d, bool serial)
{
    std::string extra = serial ? ", serial: true, buffers: " + std::to_string(d) : "";
    std::vector<SimTime> vis = chain_pushes(kernel, bytes, count, extra, "pre.out", true);
    std::vector<SimTime> out = chain_pushes(kernel, bytes, count, extra, "r0.up_req", false);
    ASSERT_EQ(vis.size(), count);
    ASSERT_EQ(out.size(), count);
    std::vector<uint64_t> v;
    for (SimTime t : vis) {
        v.push_back(t / kT);
    }
    uint64_t k = (bytes + 63) / 64;
    std::vector<uint64_t> want = serial_formula(v, k, 2, wire_cycles(bytes), d, serial);
    for (size_t j = 0; j < count; j++) {
        EXPECT_EQ(out[j], want[j] * kT)
            << "bytes " << bytes << " D " << d << " serial " << serial << " packet " << j;
    }
}

TEST(RepeaterSerial, BackToBackPacketsLeaveAsTheRecursionSays)
{
    for (SimKernelKind kern : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        for (uint64_t bytes : {64, 256, 1024, 4096}) {
            check_serial(kern, bytes, 6, 1, false);
            for (uint64_t d : {1, 2, 3, 16}) {
                check_serial(kern, bytes, 6, d, true);
            }
        }
    }
}

TEST(RepeaterSerial, ClosedFormsOfTheDocument)
{
    // One packet alone: serial costs nothing more than store-and-forward (push v + p + k - 1),
    // on a chain of h hops too (the chain formula of section 3).
    for (SimKernelKind kern : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        for (uint64_t bytes : {64, 4096}) {
            std::vector<SimTime> v =
                chain_pushes(kern, bytes, 1, ", serial: true", "pre.out", true);
            std::vector<SimTime> o =
                chain_pushes(kern, bytes, 1, ", serial: true", "r0.up_req", false);
            ASSERT_EQ(v.size(), 1u);
            ASSERT_EQ(o.size(), 1u);
            uint64_t k = (bytes + 63) / 64;
            EXPECT_EQ(o[0], v[0] + (2 + k - 1) * kT) << bytes;
        }
        // A burst, buffers 1: one packet per k + w cycles (receive and forward never overlap);
        // plain store-and-forward: one per k. 4 KiB: k = 64, w = 210.
        std::vector<SimTime> s1 = chain_pushes(kern, 4096, 6, ", serial: true", "r0.up_req", false);
        std::vector<SimTime> saf = chain_pushes(kern, 4096, 6, "", "r0.up_req", false);
        ASSERT_EQ(s1.size(), 6u);
        ASSERT_EQ(saf.size(), 6u);
        EXPECT_EQ(wire_cycles(4096), 210u);
        EXPECT_EQ(wire_cycles(64), 8u);
        for (size_t j = 1; j < 6; j++) {
            EXPECT_EQ(s1[j] - s1[j - 1], (64 + 210) * kT) << j;
            EXPECT_EQ(saf[j] - saf[j - 1], 64 * kT) << j;
        }
        // (D - 1) k >= w: D = 5 slots are never the limit, serial = store-and-forward; D = 4
        // falls short (3 x 64 < 210).
        std::vector<SimTime> s5 =
            chain_pushes(kern, 4096, 6, ", serial: true, buffers: 5", "r0.up_req", false);
        std::vector<SimTime> s4 =
            chain_pushes(kern, 4096, 6, ", serial: true, buffers: 4", "r0.up_req", false);
        EXPECT_EQ(s5, saf);
        EXPECT_NE(s4, saf);
    }
}

TEST(RepeaterSerial, HopStatisticsOfABurst)
{
    // Six 4 KiB packets through a serial switch with one buffer: each waits for the slot of the
    // one before; the buffer holds one packet from grant to release, the last released at
    // push_5 + w + 1; the wire load is 6 w' / run time (w' the exact wire time, 838.4 ns).
    for (SimKernelKind kern : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        RepRun run(
            chain_yaml(1, 4096, "store_and_forward", 2, 1, 6, ", serial: true, hop_stats: true"));
        ASSERT_NE(run.r, nullptr);
        SimError err = {};
        ASSERT_TRUE(shim_run(run.r, kern, SIM_TIME_NEVER, 0, &err)) << err.msg;
        EXPECT_EQ(shim_stat(run.r, "r0.forwarded_up"), 6.0);
        EXPECT_EQ(shim_stat(run.r, "r0.up_buffer.max"), 1.0);
        // Each slot is taken again the cycle it is released (start_j = R_(j-1)): from the first
        // copy to the run's end the buffer is never empty, so its mean is just below 1.
        EXPECT_GT(shim_stat(run.r, "r0.up_buffer.avg"), 0.9);
        EXPECT_LT(shim_stat(run.r, "r0.up_buffer.avg"), 1.0);
        EXPECT_EQ(shim_stat(run.r, "r0.req_wait_ns.count"), 6.0);
        // Granted as soon as the bus is free (the hold), so the first waits 0; the wait is for
        // the bus, the slot shows in the residency: k - 1 + p + (k + w) x j for packet j.
        EXPECT_EQ(shim_stat(run.r, "r0.req_wait_ns.min"), 0.0);
        EXPECT_EQ(shim_stat(run.r, "r0.req_residency_ns.min"), (64.0 - 1 + 2) * 4);
        EXPECT_GT(shim_stat(run.r, "r0.up_wire_load"), 0.0);
        EXPECT_LE(shim_stat(run.r, "r0.up_wire_load"), 1.0);
        EXPECT_GT(shim_stat(run.r, "r0.up_bus_util"), 0.0);
    }
    // D slots: with w = 210 > 2 k the burst fills all of them (a release and the next copy in
    // the same cycle count as one); without serial the buffer is the bus, one packet.
    for (SimKernelKind kern : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        for (uint64_t d : {1, 2, 3}) {
            RepRun run(
                chain_yaml(1, 4096, "store_and_forward", 2, 1, 6,
                           ", serial: true, hop_stats: true, buffers: " + std::to_string(d)));
            ASSERT_NE(run.r, nullptr);
            SimError err = {};
            ASSERT_TRUE(shim_run(run.r, kern, SIM_TIME_NEVER, 0, &err)) << err.msg;
            EXPECT_EQ(shim_stat(run.r, "r0.up_buffer.max"), (double)d) << d;
        }
        RepRun saf(chain_yaml(1, 4096, "store_and_forward", 2, 1, 6, ", hop_stats: true"));
        ASSERT_NE(saf.r, nullptr);
        SimError err = {};
        ASSERT_TRUE(shim_run(saf.r, kern, SIM_TIME_NEVER, 0, &err)) << err.msg;
        EXPECT_EQ(shim_stat(saf.r, "r0.up_buffer.max"), 1.0);
    }
    // Without hop_stats the rows are not there (the shipped configs' golden statistics).
    RepRun plain(chain_yaml(1, 4096, "store_and_forward", 2, 1, 1, ", serial: true"));
    ASSERT_NE(plain.r, nullptr);
    SimError err = {};
    ASSERT_TRUE(shim_run(plain.r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    EXPECT_TRUE(std::isnan(shim_stat(plain.r, "r0.up_buffer.max")));
}

// ---- the 16-node fabric: testers straight on the MPPs (no PCIe), four repeaters ----

std::string fabric16_yaml(const char *mode, uint64_t count, const char *mid_cable,
                          const char *n5_cable = "")
{
    // Four repeaters on the MemBox's four ports, four adapters below each (downs: 4, no own
    // host): every node has the same path, so the arbiter's promise is exactly 1/16 each.
    // Deep queues (1024 outstanding, 1024 MPP tags) keep every arbiter input backlogged.
    std::string y = "sim: {allow_cycles: true, seed: 3, payload_blocks: 65536, "
                    "payload_block_size: 256B, packets: 262144}\n";
    y += "defaults:\n";
    y += "  link.tester: {count: " + std::to_string(count) +
         ", size: 256B, read_ratio: 0.5, pattern: random, range: 16KiB, outstanding: 1024}\n";
    y += "  link.mpp: {tags: 1024}\n";
    y += "  repeater.switch: {mode: " + std::string(mode) + ", downs: 4, local: false}\n";
    // A cut-through repeater's ports cut through too (as in the shipped configs).
    std::string cut = std::string(mode) == "cut_through" ? ", cut_through: true" : "";
    y += "instances:\n  arb: {type: dram.arbiter, ports: 4}\n  ddr3: {type: dram.ctrl}\n";
    std::string l = "links:\n  - {from: arb:mem_req, to: ddr3:req}\n"
                    "  - {from: ddr3:resp, to: arb:mem_resp}\n";
    int node = 0;
    auto cable = [&](const std::string &mpp, const std::string &spp, const std::string &extra) {
        std::string c = "c_" + mpp;
        y += "  " + c + ": {type: link.cable" + extra + "}\n";
        l += "  - {from: " + mpp + ":tx, to: " + c + ":a_in}\n";
        l += "  - {from: " + c + ":b_out, to: " + spp + ":rx}\n";
        l += "  - {from: " + spp + ":tx, to: " + c + ":b_in}\n";
        l += "  - {from: " + c + ":a_out, to: " + mpp + ":rx}\n";
    };
    for (int p = 0; p < 4; p++) {
        std::string s = "mb" + std::to_string(p);
        std::string r = "rep" + std::to_string(p);
        y += "  " + s + ": {type: link.spp}\n  " + r + ": {type: repeater.switch}\n";
        y += "  " + r + "_up: {type: link.mpp" + cut + "}\n";
        l += "  - {from: " + s + ":mem_req, to: arb:req" + std::to_string(p) + "}\n";
        l += "  - {from: arb:resp" + std::to_string(p) + ", to: " + s + ":mem_resp}\n";
        l += "  - {from: " + r + ":up_req, to: " + r + "_up:req}\n";
        l += "  - {from: " + r + "_up:resp, to: " + r + ":up_resp}\n";
        // The cable between rep1 and the MemBox is the middle hop of rep1's nodes' paths.
        cable(r + "_up", s, p == 1 ? std::string(mid_cable) : std::string());
        for (int d = 0; d < 4; d++) {
            std::string sd = r + "_d" + std::to_string(d);
            std::string n = "n" + std::to_string(node);
            // Each node its own 16 KiB window: its reads verify against its own writes.
            y += "  " + n + ": {type: link.tester, src: " + std::to_string(node) +
                 ", base: " + std::to_string(node * 16) + "KiB}\n";
            node++;
            y += "  " + sd + ": {type: link.spp" + cut + "}\n  " + n + "_mpp: {type: link.mpp}\n";
            l += "  - {from: " + sd + ":mem_req, to: " + r + ":req" + std::to_string(d) + "}\n";
            l += "  - {from: " + r + ":resp" + std::to_string(d) + ", to: " + sd + ":mem_resp}\n";
            l += "  - {from: " + n + ":req, to: " + n + "_mpp:req}\n";
            l += "  - {from: " + n + "_mpp:resp, to: " + n + ":resp}\n";
            cable(n + "_mpp", sd, node == 6 ? std::string(n5_cable) : std::string());
        }
    }
    return y + l;
}

double stat(ShimRun *r, const std::string &k)
{
    return shim_stat(r, k.c_str());
}

void saturate(SimKernelKind kernel, const char *mode)
{
    // Every node always has requests waiting: the run stops at `until`, long before any node
    // runs out. Round robin per request at the arbiter (4 repeaters) and at each repeater (4
    // inputs) promises each node 1/16 of the requests; within 2% of that.
    RepRun run(fabric16_yaml(mode, 1000000, ""));
    ASSERT_NE(run.r, nullptr);
    SimError err = {};
    ASSERT_TRUE(shim_run(run.r, kernel, 100000000, 0, &err)) << err.msg; // 100 us
    double total = 0;
    std::vector<double> issued;
    for (int n = 0; n < 16; n++) {
        std::string p = "n" + std::to_string(n);
        double d = stat(run.r, p + ".reads") + stat(run.r, p + ".writes");
        EXPECT_EQ(stat(run.r, p + ".mismatches"), 0.0) << p;
        issued.push_back(d);
        total += d;
    }
    ASSERT_GT(total, 5000.0); // saturated: about 12 GB/s of 256 B requests
    for (int n = 0; n < 16; n++) {
        EXPECT_NEAR(issued[(size_t)n] / total * 16.0, 1.0, 0.02) << "node " << n << " " << mode;
    }
    for (int r = 0; r < 4; r++) {
        double g = 0;
        for (int i = 0; i < 4; i++) {
            g += stat(run.r, "rep" + std::to_string(r) + ".in" + std::to_string(i) + ".requests");
        }
        for (int i = 0; i < 4; i++) {
            std::string k = "rep" + std::to_string(r) + ".in" + std::to_string(i) + ".requests";
            EXPECT_NEAR(stat(run.r, k) / g * 4.0, 1.0, 0.02) << k << " " << mode;
        }
    }
}

TEST(RepeaterFabric, SixteenNodesSaturateFairlyStoreAndForward)
{
    saturate(SIM_KERNEL_FAST, "store_and_forward");
    saturate(SIM_KERNEL_EVERY_CYCLE, "store_and_forward");
}

TEST(RepeaterFabric, SixteenNodesSaturateFairlyCutThrough)
{
    saturate(SIM_KERNEL_FAST, "cut_through");
    saturate(SIM_KERNEL_EVERY_CYCLE, "cut_through");
}

TEST(RepeaterFabric, SixteenNodesDrainWithoutLoss)
{
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        RepRun run(fabric16_yaml("cut_through", 60, ""));
        ASSERT_NE(run.r, nullptr);
        SimError err = {};
        ASSERT_TRUE(shim_run(run.r, k, SIM_TIME_NEVER, 0, &err)) << err.msg;
        for (int n = 0; n < 16; n++) {
            std::string p = "n" + std::to_string(n);
            EXPECT_EQ(stat(run.r, p + ".responses"), 60.0) << p;
            EXPECT_EQ(stat(run.r, p + ".unverified"), 0.0) << p;
            EXPECT_EQ(stat(run.r, p + ".mismatches"), 0.0) << p;
        }
    }
}

TEST(RepeaterFabric, BitErrorsOnAMiddleHopAreRecoveredUnderCutThrough)
{
    // Bit errors on two hops that cut-through repeater ports forward from before their CRC:
    // the cable between rep1 and the MemBox (responses going down: rep1_up hands them on at
    // their header) and node n5's cable below rep1 (requests going up: rep1_d1 hands them on).
    // A packet found corrupt at its tail is marked bad on the way out (the next sender stomps
    // its CRC), discarded silently by the next receiver, and resent by the sender of the hop
    // where it was corrupted, whose receiver Naks it. Every read returns its data.
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        RepRun run(fabric16_yaml("cut_through", 80, ", ber: 1e-5", ", ber: 5e-5"));
        ASSERT_NE(run.r, nullptr);
        SimError err = {};
        ASSERT_TRUE(shim_run(run.r, k, SIM_TIME_NEVER, 0, &err)) << err.msg;
        // Down: corrupted between mb1 and rep1_up, Naked by rep1_up, resent by mb1, stomped by
        // the down port that was already sending it, dropped by the node's MPP.
        EXPECT_GT(stat(run.r, "c_rep1_up.ba_corrupted"), 0.0);
        EXPECT_GT(stat(run.r, "rep1_up.crc_errors"), 0.0);
        EXPECT_GT(stat(run.r, "mb1.retransmits"), 0.0);
        double stomped_down = 0, dropped_down = 0;
        for (int d = 0; d < 4; d++) {
            std::string n = "n" + std::to_string(4 + d);
            stomped_down += stat(run.r, "rep1_d" + std::to_string(d) + ".stomped_tx");
            dropped_down += stat(run.r, n + "_mpp.stomped_rx");
            EXPECT_EQ(stat(run.r, n + "_mpp.crc_errors") > 0,
                      stat(run.r, "c_" + n + "_mpp.ba_corrupted") > 0)
                << n;
        }
        EXPECT_GT(stomped_down, 0.0);
        EXPECT_EQ(stomped_down, dropped_down);
        // Up: corrupted on n5's cable, Naked by rep1_d1, resent by n5_mpp, stomped by rep1_up,
        // dropped by the MemBox's port without a Nak of its own.
        EXPECT_GT(stat(run.r, "c_n5_mpp.ab_corrupted"), 0.0);
        EXPECT_GT(stat(run.r, "rep1_d1.crc_errors"), 0.0);
        EXPECT_GT(stat(run.r, "n5_mpp.retransmits"), 0.0);
        // Upward the tail often catches up before rep1_up's lanes start (its frame is short
        // against the pipeline): then the switch or the lanes drop it instead of stomping it.
        EXPECT_GT(stat(run.r, "rep1_up.stomped_tx") + stat(run.r, "rep1_up.discarded") +
                      stat(run.r, "rep1.discarded"),
                  0.0);
        EXPECT_EQ(stat(run.r, "rep1_up.stomped_tx"), stat(run.r, "mb1.stomped_rx"));
        EXPECT_EQ(stat(run.r, "mb1.crc_errors") > 0, stat(run.r, "c_rep1_up.ab_corrupted") > 0);
        for (int n = 0; n < 16; n++) {
            std::string p = "n" + std::to_string(n);
            EXPECT_EQ(stat(run.r, p + ".responses"), 80.0) << p;
            EXPECT_EQ(stat(run.r, p + ".mismatches"), 0.0) << p;
            EXPECT_EQ(stat(run.r, p + ".unverified"), 0.0) << p;
        }
    }
}

// ---- the shipped configs: both kernels give byte-identical statistics ----

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r != nullptr ? r : ".";
}

std::string stats_of(const std::string &path, SimKernelKind k)
{
    SimError err = {};
    ShimRun *r = shim_build_file(path.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg;
    if (r == nullptr) {
        return "";
    }
    EXPECT_TRUE(shim_run(r, k, SIM_TIME_NEVER, 0, &err)) << err.msg;
    char *j = shim_stats_json(r);
    std::string s = j != nullptr ? j : "";
    free(j);
    shim_free(r);
    return s;
}

TEST(RepeaterConfigs, FastEqualsEveryCycleOnThe1And4And8NodeFabrics)
{
    for (const char *f :
         {"membox-1node.yaml", "membox-4node.yaml", "membox-8node-saf.yaml", "membox-8node-ct.yaml",
          "membox-8node-serial.yaml", "membox-8node-text-saf.yaml"}) {
        std::string p = source_root() + "/configs/" + f;
        std::string a = stats_of(p, SIM_KERNEL_FAST);
        std::string b = stats_of(p, SIM_KERNEL_EVERY_CYCLE);
        EXPECT_FALSE(a.empty()) << f;
        EXPECT_EQ(a, b) << f;
    }
}

TEST(RepeaterConfigs, CutThroughIsFasterThanStoreAndForwardPerRepeater)
{
    std::string root = source_root() + "/configs/";
    SimError err = {};
    ShimRun *saf = shim_build_file((root + "membox-16node-saf.yaml").c_str(), &err);
    ShimRun *ct = shim_build_file((root + "membox-16node-ct.yaml").c_str(), &err);
    ASSERT_NE(saf, nullptr);
    ASSERT_NE(ct, nullptr);
    ASSERT_TRUE(shim_run(saf, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    ASSERT_TRUE(shim_run(ct, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    for (int r = 0; r < 4; r++) {
        std::string k = "rep" + std::to_string(r) + ".resp_residency_ns.avg";
        EXPECT_LT(shim_stat(ct, k.c_str()), shim_stat(saf, k.c_str())) << k;
    }
    shim_free(saf);
    shim_free(ct);
}

} // namespace

namespace
{

// A write through h repeaters over real links: tester -> MPP ==cable== [SPP -> switch -> MPP
// ==cable==] x h -> the MemBox's SPP -> link.memory. In cut_through mode the repeater's SPP and
// MPP cut through too (cut_through: true), as the shipped configs do.
std::string real_chain_yaml(int h, const char *mode, uint64_t bytes)
{
    bool ct = std::string(mode) == "cut_through";
    std::string y =
        "sim: {allow_cycles: true}\ndefaults:\n  repeater.switch: {mode: " + std::string(mode) +
        ", downs: 1, local: false}\n";
    y += "instances:\n  host: {type: link.tester, count: 1, size: " + std::to_string(bytes) +
         "B}\n  mpp: {type: link.mpp}\n  mem: {type: link.memory}\n  mb: {type: link.spp}\n"
         "  ctop: {type: link.cable}\n";
    std::string l =
        "links:\n  - {from: host:req, to: mpp:req}\n  - {from: mpp:resp, to: host:resp}\n"
        "  - {from: mb:mem_req, to: mem:req}\n  - {from: mem:resp, to: mb:mem_resp}\n";
    std::string prev = "mpp";
    auto cable = [&](const std::string &c, const std::string &m, const std::string &s) {
        l += "  - {from: " + m + ":tx, to: " + c + ":a_in}\n  - {from: " + c + ":b_out, to: " + s +
             ":rx}\n  - {from: " + s + ":tx, to: " + c + ":b_in}\n  - {from: " + c +
             ":a_out, to: " + m + ":rx}\n";
    };
    std::string cut = ct ? ", cut_through: true" : "";
    for (int i = 0; i < h; i++) {
        std::string r = "r" + std::to_string(i);
        y += "  " + r + "_d0: {type: link.spp" + cut + "}\n  " + r +
             ": {type: repeater.switch}\n  " + r + "_up: {type: link.mpp" + cut + "}\n  c" +
             std::to_string(i) + ": {type: link.cable}\n";
        cable("c" + std::to_string(i), prev, r + "_d0");
        l += "  - {from: " + r + "_d0:mem_req, to: " + r + ":req0}\n  - {from: " + r +
             ":resp0, to: " + r + "_d0:mem_resp}\n  - {from: " + r + ":up_req, to: " + r +
             "_up:req}\n  - {from: " + r + "_up:resp, to: " + r + ":up_resp}\n";
        prev = r + "_up";
    }
    cable("ctop", prev, "mb");
    return y + l;
}

// The first push of a data packet on `port` (push time), or of anything (visible time).
SimTime first_push(int h, const char *mode, uint64_t bytes, SimKernelKind k, const char *port,
                   bool visible)
{
    RepRun run(real_chain_yaml(h, mode, bytes));
    EXPECT_NE(run.r, nullptr);
    if (run.r == nullptr || !shim_capture(run.r, port)) {
        ADD_FAILURE() << "no port " << port;
        return 0;
    }
    SimError err = {};
    EXPECT_TRUE(shim_run(run.r, k, SIM_TIME_NEVER, 0, &err)) << err.msg;
    for (size_t i = 0; i < shim_event_count(run.r); i++) {
        const ShimEvent *e = shim_event(run.r, i);
        if (e->ev == SIM_TAP_PUSH && (visible || e->type == LINK_MWP)) {
            return visible ? e->visible : e->now;
        }
    }
    ADD_FAILURE() << "nothing pushed on " << port;
    return 0;
}

// docs/models/repeater.md section 3, "Through real links": the cycle (of period T) at which an
// entry pushed at t over a port of latency L (consumer cycles, synchroniser included) is seen.
uint64_t cross(SimTime t, uint64_t L, SimTime T)
{
    SimTime target = t + (L ? L * T : 1);
    return (target + T - 1) / T;
}

// The formula: the write visible at the memory (ps), from the lane cycle s0 at which the
// adapter's MPP starts the MWP, through h repeaters. Defaults: T_P 4 ns, T_L 6.4 ns, T_M 5 ns,
// S = 2, P = 15, H = 2 header cycles, C = 3 + 2k, switch p = 2, s = 1.
SimTime formula(uint64_t s0, int h, bool ct, uint64_t k)
{
    const SimTime TP = 4000, TL = 6400, TM = 5000;
    const uint64_t S = 2, P = 15, H = 2, C = 3 + 2 * k, p = 2, sw = 1;
    uint64_t s = s0, e = s0 + C - 1;
    for (int i = 0; i < h; i++) {
        uint64_t a, tail_p; // MPP core: request written into RHB/RPB (pcie), its tail (pcie)
        if (ct) {
            uint64_t hdr = s + H - 1 + P, tl = e + P; // lane: header, tail analysed
            uint64_t m = cross(hdr * TL, S, TM);      // SPP core takes it, header on
            uint64_t mt = std::max(m + k - 1, cross(tl * TL, S, TM)); // its tail on mem_req
            uint64_t v = cross(m * TM, 1 + S, TP), tv = cross(mt * TM, 1 + S, TP); // switch
            uint64_t start = v + sw;
            uint64_t last = std::max(start + k - 1, tv + sw);
            a = start + 1;
            tail_p = last + 1;
        } else {
            uint64_t m = cross((e + P) * TL, S, TM);         // SPP core takes the whole packet
            uint64_t v = cross((m + k - 1) * TM, 1 + S, TP); // switch: visible at last beat
            uint64_t push = v + p + k - 1;
            a = push + 1;
            tail_p = a;
        }
        s = cross(a * TP, S, TL);                           // up MPP's lanes start it
        e = std::max(s + C - 1, cross(tail_p * TP, S, TL)); // trailer once the tail is in
    }
    uint64_t m = cross((e + P) * TL, S, TM); // the MemBox's SPP, store-and-forward
    return (m + k) * TM;
}

TEST(RepeaterFabric, ThroughRealLinksBothModesEqualTheEndToEndFormula)
{
    // Exact to the picosecond from the adapter's first word to the memory, for 0..3 repeaters,
    // 64 B .. 4 KiB, store-and-forward and cut-through (switch and links), both kernels. A
    // store-and-forward hop costs at least the MWP's frame on the lanes plus its k beats; a
    // cut-through hop costs the same for every packet size (within the rounding of four clock
    // crossings), as INET's formulas have it.
    for (SimKernelKind kern : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        for (uint64_t bytes : {64u, 256u, 1024u, 4096u}) {
            uint64_t k = (bytes + 63) / 64;
            uint64_t frame = (3 + 2 * k) * 6400;
            SimTime got[2][4];
            for (int ct = 0; ct < 2; ct++) {
                const char *mode = ct ? "cut_through" : "store_and_forward";
                for (int h = 0; h <= 3; h++) {
                    // The MPP pushes the MWP's header at s0 + H - 1 + phy_tx (lane cycles).
                    SimTime x0 = first_push(h, mode, bytes, kern, "mpp.tx", false);
                    uint64_t s0 = x0 / 6400 - 1 - 4;
                    got[ct][h] = first_push(h, mode, bytes, kern, "mb.mem_req", true);
                    EXPECT_EQ(got[ct][h], formula(s0, h, ct, k))
                        << mode << " " << bytes << " B, " << h << " hops, kernel " << kern;
                }
            }
            EXPECT_EQ(got[0][0], got[1][0]) << bytes;
            for (int h = 1; h <= 3; h++) {
                EXPECT_GE(got[0][h] - got[0][h - 1], frame + k * kT) << bytes << " hop " << h;
                SimTime ct_hop = got[1][h] - got[1][h - 1];
                // H - 1 + P lane cycles on the wire, three clock crossings, two switch cycles.
                EXPECT_NEAR((double)ct_hop, 150000.0, 6400.0) << bytes << " hop " << h;
            }
        }
    }
}

} // namespace

namespace
{

TEST(RepeaterSerial, OnePacketThroughRealLinksCostsWhatStoreAndForwardCosts)
{
    // docs/models/repeater.md section 3, "Serial": a packet alone never waits for a slot, so
    // its end-to-end time through 1..3 serial repeaters on real links is store-and-forward's
    // to the picosecond (the formula of "Through real links").
    for (SimKernelKind kern : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        for (uint64_t bytes : {64u, 4096u}) {
            for (int h = 1; h <= 3; h++) {
                SimTime saf = first_push(h, "store_and_forward", bytes, kern, "mb.mem_req", true);
                SimTime ser = first_push(h, "store_and_forward, serial: true", bytes, kern,
                                         "mb.mem_req", true);
                EXPECT_EQ(ser, saf) << bytes << " B, " << h << " hops, kernel " << kern;
                EXPECT_GT(saf, 0u);
            }
        }
    }
}

} // namespace
