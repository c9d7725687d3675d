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
                       uint64_t switching)
{
    std::string y = "sim: {allow_cycles: true}\ninstances:\n";
    y += "  src: {type: generic.source, count: 1, size: " + std::to_string(bytes) + "B}\n";
    // The source emits at cycle 0; a stage holding it 100 cycles gives its beats room before.
    y += "  pre: {type: generic.delay, delay: 100}\n";
    y += "  sink: {type: generic.sink}\n";
    for (int i = 0; i < hops; i++) {
        std::string n = "r" + std::to_string(i);
        y += "  " + n + ": {type: repeater.switch, mode: " + mode +
             ", downs: 1, local: false, processing: " + std::to_string(processing) +
             ", switching: " + std::to_string(switching) + "}\n";
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
    for (const char *f : {"membox-1node.yaml", "membox-4node.yaml", "membox-8node-saf.yaml",
                          "membox-8node-ct.yaml"}) {
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
