/*
 * host.ps and ps.barrier (docs/workloads.md): the replay of a parameter-server trace on MemBox
 * memory. Every pushed byte lands in its gradient slot and every pulled byte is what the update
 * wrote (functional memory: mem.ideal read back directly, and the DDR3 of configs/ps-2node.yaml
 * through the traffic); the iteration time against compute plus the PCIe-bound transfer time
 * of docs/models/pcie.md; every mode runs to completion; the same trace and seed give the same
 * statistics twice, under both kernels and in shuffled tick orders.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "models/host/host.h"
#include "models/proto/mem.h"
#include "sim/trace/pstrace.h"
#include "sim/core/region.h"
#include "tests/shim/shim.h"

namespace
{

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r != nullptr ? r : ".";
}

std::string tiny_trace(unsigned workers)
{
    return source_root() + "/traces/ps/tiny-w" + std::to_string(workers) + "-i2.pstrace";
}

/* One worker, one iteration, one tensor of `bytes`, no compute and no update time. */
std::string big_trace(uint64_t bytes)
{
    std::string path = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                       std::string("/test_ps_big.pstrace");
    std::ofstream f(path);
    f << "membox-pstrace 1\nmodel big\nworkers 1\niterations 1\nbatch 1\ndtype int8\n"
         "origin test_ps.cc\ntensors 1\n"
      << "tensor 0 big.weight " << bytes << " " << bytes << "\nevents\n"
      << "0 0 pull 0 " << bytes << " 0.000 1.000\n"
      << "0 0 forward - - 1.000 1.000\n0 0 backward - - 1.000 1.000\n"
      << "0 0 grad_ready 0 - 1.000 1.000\n"
      << "0 0 push 0 " << bytes << " 1.000 2.000\n"
      << "- 0 update - - 2.000 2.000\n0 0 barrier - - 2.000 3.000\nend 7\n";
    return path;
}

/* Reads out->size() bytes at addr of the host memory (host.memory) called name. */
void host_read(Sim *sim, const char *name, uint64_t addr, std::vector<uint8_t> *out)
{
    auto *m = static_cast<SimMem *>(sim_find_object(sim, name, "memory"));
    ASSERT_NE(m, nullptr) << name;
    ASSERT_TRUE(sim_mem_contains(m, addr, out->size()));
    sim_mem_read(m, addr, out->data(), out->size());
}

/* The semantics before issue 12 (a MemBox-host aggregator, BSP, up to 16 transfers at once,
 * pushes at grad_ready), for the tests written for them: added to opts where it sets none. */
std::string legacy_opts(const std::string &opts)
{
    std::string o = opts;
    if (o.find("aggregation:") == std::string::npos) {
        o += ", aggregation: membox_host";
    }
    if (o.find("sync:") == std::string::npos) {
        o += ", sync: bsp";
    }
    if (o.find("concurrency:") == std::string::npos) {
        o += ", concurrency: 16";
    }
    return o;
}

/*
 * W nodes (1 or 2) on mem.ideal: node0 holds the MemBox (worker 0 and, with `aggregator`, the
 * aggregator) and reaches it over its own PCIe; node1 (worker 1) over its adapter. Both through
 * a dram.arbiter into one mem.ideal, so the memory can be read back directly. `opts` go to
 * every node; `legacy` adds legacy_opts() to them.
 */
std::string ideal_topology(const std::string &trace, unsigned nodes, const std::string &opts_in,
                           bool aggregator = true, bool legacy = true)
{
    std::string opts = legacy ? legacy_opts(opts_in) : opts_in;
    std::string y = "sim: {allow_cycles: true, payload_blocks: 8192}\ninstances:\n";
    for (unsigned i = 0; i < nodes; i++) {
        std::string s = std::to_string(i);
        y += "  node" + s + ": {type: host.ps, trace: " + trace + ", worker: " + s +
             (i == 0 && aggregator ? ", aggregator: true" : "") + ", src: " + s + ", memory: hmem" +
             s + opts + "}\n";
        y += "  hmem" + s + ": {type: host.memory}\n";
        y += "  rc" + s + ": {type: pcie.rc, memory: hmem" + s + "}\n  pcie" + s +
             ": {type: pcie.link}\n";
        y += "  ad" + s + ": {type: pcie.adapter, src: " + s + "}\n";
    }
    y += "  arb: {type: dram.arbiter, ports: 2}\n"
         "  mem: {type: mem.ideal, size: 64MiB}\n"
         "  bar: {type: ps.barrier}\nlinks:\n";
    for (unsigned i = 0; i < nodes; i++) {
        std::string s = std::to_string(i);
        std::string n = "node" + s, rc = "rc" + s, pc = "pcie" + s, ad = "ad" + s;
        y += "  - {from: " + n + ":req, to: " + rc + ":cpu_req}\n";
        y += "  - {from: " + rc + ":cpu_resp, to: " + n + ":resp}\n";
        y += "  - {from: " + rc + ":notify, to: " + n + ":notify}\n";
        y += "  - {from: " + rc + ":tx, to: " + pc + ":rc_tx}\n";
        y += "  - {from: " + pc + ":rc_rx, to: " + rc + ":rx}\n";
        y += "  - {from: " + ad + ":tx, to: " + pc + ":ep_tx}\n";
        y += "  - {from: " + pc + ":ep_rx, to: " + ad + ":rx}\n";
        y += "  - {from: " + ad + ":mem_req, to: arb:req" + s + ", depth: 8}\n";
        y += "  - {from: arb:resp" + s + ", to: " + ad + ":mem_resp, depth: 8}\n";
        y += "  - {from: " + n + ":sync_out, to: bar:in" + s + "}\n";
        y += "  - {from: bar:out" + s + ", to: " + n + ":sync_in}\n";
    }
    y += "  - {from: arb:mem_req, to: mem:req}\n  - {from: mem:resp, to: arb:mem_resp}\n";
    return y;
}

ShimRun *build_and_run(const std::string &yaml, SimKernelKind k, uint64_t order = 0)
{
    SimError err;
    sim_error_clear(&err);
    ShimRun *r = shim_build(yaml.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg;
    if (r == nullptr) {
        return nullptr;
    }
    bool ok = shim_run(r, k, SIM_TIME_NEVER, order, &err);
    EXPECT_TRUE(ok) << err.msg;
    if (!ok) {
        shim_free(r);
        return nullptr;
    }
    return r;
}

std::vector<uint8_t> gradient(uint64_t slot_addr, uint64_t bytes, uint32_t iteration)
{
    std::vector<uint8_t> g(bytes);
    mem_pattern_fill(g.data(), slot_addr, (uint32_t)bytes, iteration + 1);
    return g;
}

uint64_t slot_of(const HostPsMap &m, uint32_t w)
{
    return m.params + (uint64_t)(1 + w) * m.slot_bytes;
}

/* sum over workers of their gradients of one iteration, bytewise: the update's increment */
std::vector<uint8_t> increment(const HostPsMap &m, uint32_t t, uint32_t iteration)
{
    std::vector<uint8_t> sum(m.bytes[t], 0);
    for (uint32_t w = 0; w < m.workers; w++) {
        std::vector<uint8_t> g = gradient(slot_of(m, w) + m.offset[t], m.bytes[t], iteration);
        for (size_t j = 0; j < sum.size(); j++) {
            sum[j] = (uint8_t)(sum[j] + g[j]);
        }
    }
    return sum;
}

TEST(PsReplay, PushesLandInTheirSlotsAndPullsSeeTheUpdateOnIdealMemory)
{
    /* Two iterations: iteration 1 pulls what iteration 0's update wrote. */
    std::string y = ideal_topology(tiny_trace(2), 2, "");
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        ShimRun *r = build_and_run(y, k);
        ASSERT_NE(r, nullptr);
        Sim *sim = shim_sim(r);
        HostPsMap m;
        ASSERT_TRUE(host_ps_map(sim_find_component(sim, "node0"), &m));
        ASSERT_EQ(m.workers, 2u);
        ASSERT_EQ(m.n_tensors, 3u);
        EXPECT_EQ(m.params, 0x4000u);
        EXPECT_EQ(m.slot_bytes, 69632u); /* 3456 + 64000 + 64 (40 rounded), to 4 KiB */
        SimComponent *mem = sim_find_component(sim, "mem");
        for (uint32_t t = 0; t < m.n_tensors; t++) {
            std::vector<uint8_t> got(m.bytes[t]);
            /* every slot holds its worker's last (iteration 1) gradient */
            for (uint32_t w = 0; w < 2; w++) {
                uint64_t a = slot_of(m, w) + m.offset[t];
                ASSERT_TRUE(mem_ideal_read(mem, a, got.data(), got.size()));
                EXPECT_EQ(got, gradient(a, m.bytes[t], 1)) << "slot " << w << " tensor " << t;
            }
            /* the parameters: 0 + both iterations' increments */
            std::vector<uint8_t> i0 = increment(m, t, 0), i1 = increment(m, t, 1);
            std::vector<uint8_t> want(m.bytes[t]);
            for (size_t j = 0; j < want.size(); j++) {
                want[j] = (uint8_t)(i0[j] + i1[j]);
            }
            ASSERT_TRUE(mem_ideal_read(mem, m.params + m.offset[t], got.data(), got.size()));
            EXPECT_EQ(got, want) << "parameters, tensor " << t;
            /* each worker pulled, in iteration 1, what iteration 0's update wrote */
            for (const char *host : {"hmem0", "hmem1"}) {
                host_read(sim, host, m.buffer_base + m.offset[t], &got);
                EXPECT_EQ(got, i0) << host << " pulled tensor " << t;
            }
        }
        EXPECT_EQ(shim_stat(r, "node0.pushed_bytes"), 2.0 * 67496);
        EXPECT_EQ(shim_stat(r, "node1.pulled_bytes"), 2.0 * 67496);
        EXPECT_EQ(shim_stat(r, "node0.updates"), 2.0);
        EXPECT_EQ(shim_stat(r, "bar.releases"), 4.0);
        shim_free(r);
    }
}

/* configs/ps-2node.yaml with the semantics before issue 12 (node0 the aggregator, BSP, 16). */
std::string legacy_ps2node()
{
    std::ifstream f(source_root() + "/configs/ps-2node.yaml");
    std::string y((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::string o = legacy_opts("");
    auto sub = [&y](const std::string &a, const std::string &b) {
        size_t at = y.find(a);
        EXPECT_NE(at, std::string::npos) << a;
        if (at != std::string::npos) {
            y.replace(at, a.size(), b);
        }
    };
    sub("worker: 0,", "worker: 0, aggregator: true" + o + ",");
    sub("worker: 1,", "worker: 1" + o + ",");
    for (size_t at; (at = y.find("../traces/")) != std::string::npos;) {
        y.replace(at, 10, source_root() + "/traces/");
    }
    return y;
}

TEST(PsReplay, PushesAndPullsThroughTheDdr3OfPs2Node)
{
    /* The DDR3 store has no test accessor: the traffic reads it back. The aggregator's copies
     * (read from the DDR3 at iteration 1's update) hold each slot's iteration-1 gradient and
     * the parameters iteration 0's update wrote, which is also what both workers pulled. */
    SimError err;
    sim_error_clear(&err);
    std::string y = legacy_ps2node();
    ShimRun *r = shim_build(y.c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    ASSERT_TRUE(shim_run(r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    Sim *sim = shim_sim(r);
    HostPsMap m;
    ASSERT_TRUE(host_ps_map(sim_find_component(sim, "node0"), &m));
    uint64_t S = m.slot_bytes;
    for (uint32_t t = 0; t < m.n_tensors; t++) {
        std::vector<uint8_t> got(m.bytes[t]), params(m.bytes[t]);
        for (uint32_t w = 0; w < 2; w++) {
            host_read(sim, "mem0", m.buffer_base + (3 + w) * S + m.offset[t], &got);
            EXPECT_EQ(got, gradient(slot_of(m, w) + m.offset[t], m.bytes[t], 1))
                << "slot " << w << " tensor " << t;
        }
        /* the aggregator's copy now holds the final parameters; before its last update it held
         * what iteration 0 wrote: final - increment(1) */
        host_read(sim, "mem0", m.buffer_base + 2 * S + m.offset[t], &params);
        std::vector<uint8_t> i1 = increment(m, t, 1);
        for (size_t j = 0; j < params.size(); j++) {
            params[j] = (uint8_t)(params[j] - i1[j]);
        }
        for (const char *host : {"mem0", "mem1"}) {
            host_read(sim, host, m.buffer_base + m.offset[t], &got);
            EXPECT_EQ(got, params) << host << " pulled tensor " << t;
        }
    }
    shim_free(r);
}

/* Payload rate of the data stream, x8 Gen3, bytes per ps (docs/models/pcie.md section 1). */
double data_rate()
{
    return 8.0 * 16.0 / 16250.0 * 370.0 / 371.0;
}

TEST(PsReplay, IterationTimeIsComputePlusTransferAndExactAloneWithoutCompute)
{
    /* One worker alone on the MemBox host (also the aggregator), zero compute, one tensor of
     * n = 4 MiB, mem.ideal behind its own PCIe: the iteration is the pull (write DMA: MWrs of
     * 256 + 20 bytes UP), the push (read DMA: CplDs of 276 bytes DOWN, which also carry the
     * Acks and UpdateFC(NP) DLLPs of the MRds: 16 bytes per 203 ns), the aggregator's reads of
     * the parameters and the slot (2n, MWrs) and its write of the parameters (n, CplDs), one
     * after the other. docs/models/pcie.md section 3 gives the rates. */
    const uint64_t n = 4u << 20;
    std::string y = ideal_topology(big_trace(n), 1, ", buffer_size: 32MiB");
    ShimRun *r = build_and_run(y, SIM_KERNEL_FAST);
    ASSERT_NE(r, nullptr);
    double R = data_rate();
    double mwr = R;
    double cpld = R * (1.0 - 16.0 / (203000.0 * R));
    double tlps = (double)n / 256.0 * 276.0;
    double expect_ns = (3.0 * tlps / mwr + 2.0 * tlps / cpld) / 1000.0;
    double it = shim_stat(r, "node0.iteration_ns.max");
    EXPECT_GE(it, expect_ns);
    EXPECT_LT(it, expect_ns * 1.01) << "iteration " << it << " ns, transfer " << expect_ns;
    EXPECT_EQ(shim_stat(r, "node0.compute_ns"), 0.0);
    shim_free(r);

    /* With the recorded compute of the tiny trace (50 us a worker and iteration) and both
     * workers: never below compute plus the pull at the raw data-stream rate. */
    ShimRun *r2 = build_and_run(ideal_topology(tiny_trace(2), 2, ""), SIM_KERNEL_FAST);
    ASSERT_NE(r2, nullptr);
    double pull_ns = 67496.0 / R / 1000.0;
    for (const char *node : {"node0", "node1"}) {
        double min = shim_stat(r2, (std::string(node) + ".iteration_ns.min").c_str());
        EXPECT_GE(min, 50000.0 + pull_ns) << node;
        EXPECT_GT(shim_stat(r2, (std::string(node) + ".comm_share").c_str()), 0.0);
    }
    shim_free(r2);
}

TEST(PsReplay, EveryModeRunsToCompletionOnIdealMemory)
{
    struct Case {
        const char *opts;
        bool aggregator;
        double flag_loads_min;
    };
    const Case cases[] = {
        {", barrier: polling", true, 1},
        {", sync: async", true, 0},
        {", sync: async, barrier: polling", true, 1},
        {", aggregation: sharded", false, 0},
        {", aggregation: sharded, barrier: polling", false, 1},
        {", compute: scaled, compute_scale: 0.5", true, 0},
        {", compute: fixed, compute_time: 10us, update_time: 2us", true, 0},
    };
    for (const Case &c : cases) {
        std::string y = ideal_topology(tiny_trace(2), 2, c.opts, c.aggregator);
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            ShimRun *r = build_and_run(y, k);
            ASSERT_NE(r, nullptr) << c.opts;
            for (const char *node : {"node0", "node1"}) {
                std::string p = node;
                EXPECT_EQ(shim_stat(r, (p + ".iterations").c_str()), 2.0) << c.opts;
                EXPECT_EQ(shim_stat(r, (p + ".pushed_bytes").c_str()), 2.0 * 67496) << c.opts;
                EXPECT_GE(shim_stat(r, (p + ".flag_loads").c_str()), c.flag_loads_min) << c.opts;
            }
            if (c.aggregator) {
                bool async = std::strstr(c.opts, "async") != nullptr;
                EXPECT_EQ(shim_stat(r, "node0.updates"), async ? 4.0 : 2.0) << c.opts;
            }
            shim_free(r);
        }
    }
    /* compute: fixed replaces the recorded 50 us by 10 us */
    ShimRun *r = build_and_run(
        ideal_topology(tiny_trace(2), 2, ", compute: fixed, compute_time: 10us"), SIM_KERNEL_FAST);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(shim_stat(r, "node1.compute_ns"), 20000.0);
    shim_free(r);
}

std::string stats_of(const std::string &path_or_yaml, bool file, SimKernelKind k, uint64_t order)
{
    SimError err;
    sim_error_clear(&err);
    ShimRun *r =
        file ? shim_build_file(path_or_yaml.c_str(), &err) : shim_build(path_or_yaml.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg;
    if (r == nullptr) {
        return "";
    }
    EXPECT_TRUE(shim_run(r, k, SIM_TIME_NEVER, order, &err)) << err.msg;
    char *j = shim_stats_json(r);
    std::string s = j != nullptr ? j : "";
    free(j);
    shim_free(r);
    return s;
}

/* The JSON lines of host.ps and ps.barrier statistics (keys "node*" and "bar.*"). */
std::string own_lines(const std::string &json)
{
    std::string out;
    size_t pos = 0;
    while (pos < json.size()) {
        size_t end = json.find('\n', pos);
        end = end == std::string::npos ? json.size() : end;
        std::string line = json.substr(pos, end - pos);
        if (line.find("\"node") != std::string::npos || line.find("\"bar.") != std::string::npos) {
            out += line + "\n";
        }
        pos = end + 1;
    }
    return out;
}

TEST(PsReplay, SameTraceAndSeedGiveIdenticalStatisticsTwiceAndUnderBothKernels)
{
    /* Everything, twice and in shuffled tick orders; host.ps and ps.barrier statistics under
     * the every-cycle kernel too. The DDR3 side of a two-node fabric does not yet give the same
     * arb.p16.wait_cycles and ddr3 read latencies under both kernels even when replaying
     * host.memtrace alone (traces/ps/kernel-divergence/README.md), so the whole file is
     * compared across kernels on one node, where it does. */
    std::string cfg = source_root() + "/configs/ps-2node.yaml";
    std::string ref = stats_of(cfg, true, SIM_KERNEL_FAST, 0);
    ASSERT_FALSE(ref.empty());
    EXPECT_NE(ref.find("node1.iteration_ns.max"), std::string::npos);
    EXPECT_EQ(stats_of(cfg, true, SIM_KERNEL_FAST, 0), ref) << "second run";
    for (uint64_t order : {1u, 7u}) {
        EXPECT_EQ(stats_of(cfg, true, SIM_KERNEL_FAST, order), ref) << "tick order " << order;
    }
    EXPECT_EQ(own_lines(stats_of(cfg, true, SIM_KERNEL_EVERY_CYCLE, 0)), own_lines(ref))
        << "every-cycle";
    for (const char *opts : {"", ", barrier: polling", ", sync: async"}) {
        std::string one = ideal_topology(tiny_trace(1), 1, opts);
        std::string a = stats_of(one, false, SIM_KERNEL_FAST, 0);
        EXPECT_EQ(stats_of(one, false, SIM_KERNEL_EVERY_CYCLE, 0), a) << "one node" << opts;
        EXPECT_EQ(stats_of(one, false, SIM_KERNEL_EVERY_CYCLE, 5), a) << "one node" << opts;
    }
    /* Every mode with two workers on mem.ideal: twice and shuffled under the fast kernel; the
     * nodes' statistics under every-cycle where the barrier is ideal (with polling the flag
     * loads meet the arbiter divergence above and their timing moves). */
    for (const char *opts : {", barrier: polling", ", sync: async", ", aggregation: sharded",
                             ", aggregation: sharded, barrier: polling"}) {
        bool agg = std::strstr(opts, "sharded") == nullptr;
        std::string y = ideal_topology(tiny_trace(2), 2, opts, agg);
        std::string a = stats_of(y, false, SIM_KERNEL_FAST, 0);
        EXPECT_EQ(stats_of(y, false, SIM_KERNEL_FAST, 0), a) << opts;
        EXPECT_EQ(stats_of(y, false, SIM_KERNEL_FAST, 3), a) << opts;
        if (std::strstr(opts, "polling") == nullptr) {
            EXPECT_EQ(own_lines(stats_of(y, false, SIM_KERNEL_EVERY_CYCLE, 0)), own_lines(a))
                << opts;
        }
    }
    /* The defaults (self, async, recorded concurrency) and self with either barrier. */
    for (const char *opts : {"", ", sync: bsp", ", sync: bsp, barrier: polling"}) {
        std::string y = ideal_topology(tiny_trace(2), 2, opts, false, false);
        std::string a = stats_of(y, false, SIM_KERNEL_FAST, 0);
        EXPECT_NE(a.find("\"node1.iterations\": 2"), std::string::npos) << opts;
        EXPECT_EQ(stats_of(y, false, SIM_KERNEL_FAST, 0), a) << opts;
        EXPECT_EQ(stats_of(y, false, SIM_KERNEL_FAST, 3), a) << opts;
        if (std::strstr(opts, "polling") == nullptr) {
            EXPECT_EQ(own_lines(stats_of(y, false, SIM_KERNEL_EVERY_CYCLE, 0)), own_lines(a))
                << opts;
        }
    }
}

} // namespace

TEST(PsReplay, Version2TracesSkipWarmupAndReplayCpuTime)
{
    /* traces/ps/tiny-w1-i3-v2.pstrace: 3 iterations, iteration 0 warm-up (500 + 1000 us of
     * wall time, 400 + 900 us of CPU); iteration 1 forward 20 us wall / 15 us CPU, backward
     * 40 / 30; iteration 2 forward 20 us wall (no CPU time), backward 30 / 25. */
    const std::string trace = source_root() + "/traces/ps/tiny-w1-i3-v2.pstrace";
    struct Case {
        const char *opts;
        double iterations, compute_ns;
    } cases[] = {
        {"", 2, (15 + 30) * 1000.0 + (20 + 25) * 1000.0},
        {", warmup: replay", 3, (400 + 900 + 15 + 30 + 20 + 25) * 1000.0},
        {", compute_clock: wall", 2, (20 + 40 + 20 + 30) * 1000.0},
        {", warmup: replay, compute_clock: wall", 3, (500 + 1000 + 20 + 40 + 20 + 30) * 1000.0},
    };
    for (const Case &c : cases) {
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            ShimRun *r = build_and_run(ideal_topology(trace, 1, c.opts), k);
            ASSERT_NE(r, nullptr) << c.opts;
            EXPECT_EQ(shim_stat(r, "node0.iterations"), c.iterations) << c.opts;
            EXPECT_EQ(shim_stat(r, "node0.compute_ns"), c.compute_ns) << c.opts;
            EXPECT_EQ(shim_stat(r, "node0.updates"), c.iterations) << c.opts;
            /* Each iteration is at least its compute. */
            EXPECT_GE(shim_stat(r, "node0.iteration_ns.min"), 45000.0) << c.opts;
            shim_free(r);
        }
    }
}

namespace
{

std::string tmp_path(const char *name)
{
    return (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + std::string("/") + name;
}

/* One worker, one iteration: pulls of tensors 2, 0, 1 (the first two overlapping), pushes of
 * 1, 2 (overlapping, in another order than their gradients became ready) and 0. */
std::string order_trace()
{
    std::string path = tmp_path("test_ps_order.pstrace");
    std::ofstream f(path);
    f << "membox-pstrace 1\nmodel order\nworkers 1\niterations 1\nbatch 1\ndtype int8\n"
         "origin test_ps.cc\ntensors 3\n"
         "tensor 0 a 4096 4096\ntensor 1 b 65536 65536\ntensor 2 c 64 64\nevents\n"
         "0 0 pull 2 64 0.000 10.000\n"
         "0 0 pull 0 4096 2.000 12.000\n"
         "0 0 pull 1 65536 12.000 20.000\n"
         "0 0 forward - - 20.000 40.000\n"
         "0 0 backward - - 40.000 70.000\n"
         "0 0 grad_ready 2 - 45.000 45.000\n"
         "0 0 grad_ready 1 - 46.000 46.000\n"
         "0 0 push 1 65536 46.000 60.000\n"
         "0 0 push 2 64 47.000 50.000\n"
         "0 0 grad_ready 0 - 70.000 70.000\n"
         "0 0 push 0 4096 70.000 75.000\n"
         "- 0 update - - 75.000 80.000\n"
         "0 0 barrier - - 75.000 85.000\nend 13\n";
    return path;
}

/* The trace's pulls and pushes of a worker in iteration 0, in recorded order, each with the
 * number of its kind in flight when it started (itself included), read with the C reader. */
std::vector<HostPsIssue> recorded_messages(const std::string &path, uint32_t worker = 0)
{
    std::vector<HostPsIssue> out;
    std::vector<uint64_t> start, end;
    SimError err;
    sim_error_clear(&err);
    PsTrace *t = pstrace_open(path.c_str(), &err);
    EXPECT_NE(t, nullptr) << err.msg;
    if (t == nullptr) {
        return out;
    }
    PsTraceEvent e;
    while (pstrace_next(t, &e, &err) > 0) {
        if (e.worker != worker || e.iteration != 0 ||
            (e.kind != PSTRACE_PULL && e.kind != PSTRACE_PUSH)) {
            continue;
        }
        HostPsIssue m = {e.kind == PSTRACE_PUSH, e.tensor, 1};
        for (size_t j = 0; j < out.size(); j++) {
            m.in_flight += out[j].push == m.push && end[j] > e.start_ns;
        }
        out.push_back(m);
        start.push_back(e.start_ns);
        end.push_back(e.end_ns);
    }
    pstrace_close(t);
    /* the replay issues the iteration's pulls before its pushes */
    std::stable_partition(out.begin(), out.end(), [](const HostPsIssue &m) { return !m.push; });
    return out;
}

std::vector<HostPsIssue> replayed_messages(ShimRun *r, const char *node)
{
    std::vector<HostPsIssue> v(64);
    int64_t n = host_ps_issued(sim_find_component(shim_sim(r), node), v.data(), v.size());
    EXPECT_GE(n, 0);
    v.resize(n < 0 ? 0 : (size_t)n);
    return v;
}

std::string describe(const std::vector<HostPsIssue> &v)
{
    std::string s;
    for (const HostPsIssue &m : v) {
        s += std::string(m.push ? "push " : "pull ") + std::to_string(m.tensor) + "/" +
             std::to_string(m.in_flight) + " ";
    }
    return s;
}

} // namespace

TEST(PsReplay, ReplayKeepsTheRecordedOrderAndConcurrencyOfMessages)
{
    /* concurrency: recorded (the default): the pulls and pushes of the replay go out in the
     * trace's order with as many in flight as the recording had, under both kernels, whoever
     * applies the updates. The trace's own files too (two workers, pulls one after another). */
    std::string trace = order_trace();
    std::vector<HostPsIssue> want = recorded_messages(trace);
    ASSERT_EQ(want.size(), 6u);
    EXPECT_EQ(describe(want), "pull 2/1 pull 0/2 pull 1/1 push 1/1 push 2/2 push 0/1 ");
    struct Case {
        const char *opts;
        bool aggregator;
    } cases[] = {{"", false}, {", aggregation: membox_host, sync: bsp", true}};
    for (const Case &c : cases) {
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            ShimRun *r = build_and_run(ideal_topology(trace, 1, c.opts, c.aggregator, false), k);
            ASSERT_NE(r, nullptr) << c.opts;
            EXPECT_EQ(describe(replayed_messages(r, "node0")), describe(want)) << c.opts;
            EXPECT_EQ(shim_stat(r, "node0.max_pulls_out"), 2.0);
            EXPECT_EQ(shim_stat(r, "node0.max_pushes_out"), 2.0);
            shim_free(r);
        }
    }
    /* concurrency: 16, the replay before issue 12: every pull at once, pushes at grad_ready
     * (2, 1, 0): not the recorded pattern, which this test would catch. */
    ShimRun *r =
        build_and_run(ideal_topology(trace, 1, ", concurrency: 16", false, false), SIM_KERNEL_FAST);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(describe(replayed_messages(r, "node0")),
              "pull 2/1 pull 0/2 pull 1/3 push 2/1 push 1/2 push 0/2 ");
    shim_free(r);
    /* A real recording (scripts/record-ps-trace, PyTorch MNIST, two workers): the replay's
     * first iteration against the trace's, both workers' messages. */
    {
        std::string rec = source_root() + "/traces/recorded/mnist-pytorch-w2-i5.pstrace.gz";
        ShimRun *r3 = build_and_run(ideal_topology(rec, 2, ", functional: false", false, false),
                                    SIM_KERNEL_FAST);
        ASSERT_NE(r3, nullptr);
        for (uint32_t w = 0; w < 2; w++) {
            std::string node = "node" + std::to_string(w);
            std::string want3 = describe(recorded_messages(rec, w));
            EXPECT_EQ(describe(replayed_messages(r3, node.c_str())), want3) << node;
            EXPECT_NE(want3.find("push"), std::string::npos);
        }
        shim_free(r3);
    }
    /* A shipped trace: both workers of tiny-w2-i2 pull and push one tensor at a time. */
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        ShimRun *r2 = build_and_run(ideal_topology(tiny_trace(2), 2, "", false, false), k);
        ASSERT_NE(r2, nullptr);
        EXPECT_EQ(describe(replayed_messages(r2, "node0")),
                  describe(recorded_messages(tiny_trace(2))));
        for (const char *s : {"node0.max_pulls_out", "node1.max_pushes_out"}) {
            EXPECT_EQ(shim_stat(r2, s), 1.0) << s;
        }
        shim_free(r2);
    }
}

TEST(PsReplay, SelfAppliesEachGradientInMemboxMemoryAndRunsAFixedNumberOfIterations)
{
    /* aggregation: self, sync: async (the defaults), one worker on mem.ideal: after N
     * iterations the parameters are the sum of the N gradients, the gradient slots were never
     * written, and nobody aggregated. iterations: 5 replays the trace's two iterations in a
     * cycle: compute 5 x 50 us (forward 20 us, backward 30 us). */
    for (uint64_t iters : {2u, 5u}) {
        std::string opts = ", iterations: " + std::to_string(iters);
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            ShimRun *r = build_and_run(ideal_topology(tiny_trace(1), 1, opts, false, false), k);
            ASSERT_NE(r, nullptr);
            Sim *sim = shim_sim(r);
            HostPsMap m;
            ASSERT_TRUE(host_ps_map(sim_find_component(sim, "node0"), &m));
            SimComponent *mem = sim_find_component(sim, "mem");
            for (uint32_t t = 0; t < m.n_tensors; t++) {
                std::vector<uint8_t> want(m.bytes[t], 0), got(m.bytes[t]);
                uint64_t a = slot_of(m, 0) + m.offset[t];
                for (uint32_t i = 0; i < iters; i++) {
                    std::vector<uint8_t> g = gradient(a, m.bytes[t], i);
                    for (size_t j = 0; j < want.size(); j++) {
                        want[j] = (uint8_t)(want[j] + g[j]);
                    }
                }
                ASSERT_TRUE(mem_ideal_read(mem, m.params + m.offset[t], got.data(), got.size()));
                EXPECT_EQ(got, want) << "parameters, tensor " << t;
                ASSERT_TRUE(mem_ideal_read(mem, a, got.data(), got.size()));
                EXPECT_EQ(got, std::vector<uint8_t>(m.bytes[t], 0)) << "slot, tensor " << t;
            }
            double n = (double)iters;
            EXPECT_EQ(shim_stat(r, "node0.iterations"), n);
            EXPECT_EQ(shim_stat(r, "node0.compute_ns"), n * 50000.0);
            EXPECT_EQ(shim_stat(r, "node0.updates"), 0.0);
            EXPECT_EQ(shim_stat(r, "node0.pushes"), 3.0 * n);
            /* the update of the trace's server (20 us an iteration) is this worker's own */
            /* each tensor's share rounded to the picosecond */
            EXPECT_NEAR(shim_stat(r, "node0.self_update_ns"), n * 20000.0, n * 0.002);
            double mean = shim_stat(r, "node0.iter_mean_ns");
            EXPECT_DOUBLE_EQ(shim_stat(r, "node0.train_ns"),
                             shim_stat(r, "node0.last_done_ns") -
                                 shim_stat(r, "node0.first_start_ns"));
            EXPECT_DOUBLE_EQ(mean * n, shim_stat(r, "node0.train_ns"));
            double h1 = std::floor(n / 2.0), h2 = n - h1;
            EXPECT_NEAR(shim_stat(r, "node0.half1_iter_ns") * h1 +
                            shim_stat(r, "node0.half2_iter_ns") * h2,
                        mean * n, 1e-6);
            EXPECT_GE(mean, 50000.0 + 20000.0);
            shim_free(r);
        }
    }
}

TEST(PsReplay, SelfAloneWithoutComputeIsPullReadBackAndWriteBack)
{
    /* One worker, zero compute and update, one tensor of n = 4 MiB through its own PCIe: the
     * iteration is the pull (n, MWrs), the read-back of the variable (n, MWrs) and its write
     * (n, CplDs), one after the other (docs/workloads.md section 4):
     * T = 2 n 276/256 / R + n 276/256 / (R (1 - 16 / (203 ns R))). */
    const uint64_t n = 4u << 20;
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        ShimRun *r =
            build_and_run(ideal_topology(big_trace(n), 1, ", buffer_size: 32MiB", false, false), k);
        ASSERT_NE(r, nullptr);
        double R = data_rate();
        double cpld = R * (1.0 - 16.0 / (203000.0 * R));
        double tlps = (double)n / 256.0 * 276.0;
        double expect_ns = (2.0 * tlps / R + tlps / cpld) / 1000.0;
        double it = shim_stat(r, "node0.iteration_ns.max");
        EXPECT_GE(it, expect_ns);
        EXPECT_LT(it, expect_ns * 1.01) << "iteration " << it << " ns, transfer " << expect_ns;
        EXPECT_EQ(shim_stat(r, "node0.barrier_wait_ns.max"), 0.0); /* async: no barrier */
        shim_free(r);
    }
}

TEST(PsReplay, WorkersBeyondTheTracesReplayWorkerKModWAndBspWaitsForAll)
{
    /* A one-worker trace on two nodes with workers: 2: node1 replays the trace's worker 0
     * (1 mod 1), the map has two slots, and with sync: bsp the barrier releases both twice. */
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        ShimRun *r = build_and_run(
            ideal_topology(tiny_trace(1), 2, ", workers: 2, sync: bsp", false, false), k);
        ASSERT_NE(r, nullptr);
        HostPsMap m;
        ASSERT_TRUE(host_ps_map(sim_find_component(shim_sim(r), "node1"), &m));
        EXPECT_EQ(m.workers, 2u);
        EXPECT_EQ(shim_stat(r, "node1.trace_worker"), 0.0);
        EXPECT_EQ(shim_stat(r, "node1.iterations"), 2.0);
        EXPECT_EQ(shim_stat(r, "bar.releases"), 4.0);
        EXPECT_EQ(shim_stat(r, "bar.arrivals"), 4.0);
        EXPECT_EQ(shim_stat(r, "bar.updates"), 0.0);
        shim_free(r);
    }
}

TEST(PsReplay, ComputeFactorScalesTheRecordedComputeAndWarmupIsReported)
{
    /* compute_factor 0.25: a quarter of forward + backward (50 us) and of the update (20 us). */
    ShimRun *r = build_and_run(
        ideal_topology(tiny_trace(1), 1, ", compute_factor: 0.25", false, false), SIM_KERNEL_FAST);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(shim_stat(r, "node0.compute_ns"), 2 * 12500.0);
    EXPECT_EQ(shim_stat(r, "node0.self_update_ns"), 2 * 5000.0);
    EXPECT_EQ(shim_stat(r, "node0.compute_factor"), 0.25);
    EXPECT_EQ(shim_stat(r, "node0.warmup"), 0.0);
    shim_free(r);
    /* warmup: N leaves out a version 1 trace's first N iterations (tiny-w1-i2 has two). */
    ShimRun *r1 = build_and_run(ideal_topology(tiny_trace(1), 1, ", warmup: 1", false, false),
                                SIM_KERNEL_FAST);
    ASSERT_NE(r1, nullptr);
    EXPECT_EQ(shim_stat(r1, "node0.warmup"), 1.0);
    EXPECT_EQ(shim_stat(r1, "node0.iterations"), 1.0);
    EXPECT_EQ(shim_stat(r1, "node0.compute_ns"), 50000.0);
    shim_free(r1);
    /* tiny-w1-i3-v2 marks one warm-up iteration: skipped by default, replayed on request. */
    const std::string v2 = source_root() + "/traces/ps/tiny-w1-i3-v2.pstrace";
    for (const char *o : {"", ", warmup: replay"}) {
        ShimRun *r2 = build_and_run(ideal_topology(v2, 1, o, false, false), SIM_KERNEL_FAST);
        ASSERT_NE(r2, nullptr);
        EXPECT_EQ(shim_stat(r2, "node0.warmup"), *o ? 0.0 : 1.0) << o;
        EXPECT_EQ(shim_stat(r2, "node0.iterations"), *o ? 3.0 : 2.0) << o;
        shim_free(r2);
    }
}
