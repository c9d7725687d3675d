// The DRAM models under the kernel (models/dram/*_model.c, dram_traffic.c): exact end-to-end
// latencies as docs/models/dram.md sums them, under both kernels; the refresh-limited peak;
// byte-identical statistics across kernels and tick orders; read-after-write through every
// mapping; arbiter shares; the standalone configuration and the presets; input errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "models/dram/dram.h"
#include "models/proto/mem.h"
#include "sim/config/config.h"
#include "sim/trace/dram_trace.h"

namespace
{

const SimModelType *const kTypes[] = {&dram_ctrl_type, &dram_arbiter_type, &dram_trace_type,
                                      &dram_gen_type};
const SimRegistry kRegistry = {kTypes, 4, nullptr, 0};

std::string source_root()
{
    const char *r = getenv("MEMBOX_SOURCE_ROOT");
    return r != nullptr ? r : ".";
}

std::string temp_path(const std::string &name)
{
    return ::testing::TempDir() + "membox_dram_model_" + std::to_string(getpid()) + "_" + name;
}

struct TapEvent {
    SimTapEvent ev;
    uint64_t id;
    SimTime now;
    SimTime visible;
    uint16_t type;
    std::vector<uint8_t> data;
};

struct Topo {
    SimConfig *cfg = nullptr;
    Sim *sim = nullptr;
    SimError err;
    SimRunInfo info = {};
    std::map<std::string, std::vector<TapEvent>> taps;

    explicit Topo(const std::string &yaml)
    {
        sim_error_clear(&err);
        cfg = sim_config_load_string("<dram-test>", yaml.data(), yaml.size(), &kRegistry, &err);
        build();
    }
    // From a file, with command-line style overrides (instance, key, value).
    Topo(const std::string &path, const std::vector<SimConfigOverride> &over)
    {
        sim_error_clear(&err);
        cfg = sim_config_load_file_ex(path.c_str(), &kRegistry, over.data(), over.size(), &err);
        build();
    }
    void build()
    {
        if (cfg == nullptr) {
            return;
        }
        sim = sim_new();
        if (!sim_config_build(cfg, sim, &err)) {
            sim_free(sim);
            sim = nullptr;
        }
    }
    ~Topo()
    {
        sim_free(sim);
        sim_config_free(cfg);
    }
    bool ok() const
    {
        return sim != nullptr;
    }
    static void on_tap(void *ctx, const SimPort *port, SimTapEvent ev, const SimPacket *pkt,
                       SimTime now, SimTime visible)
    {
        auto *v = static_cast<std::vector<TapEvent> *>(ctx);
        TapEvent e = {ev, pkt->id, now, visible, pkt->type, {}};
        if (pkt->payload != nullptr) {
            e.data.assign(pkt->payload->data, pkt->payload->data + pkt->payload->size);
        }
        v->push_back(e);
        (void)port;
    }
    void tap(const std::string &key)
    {
        SimPort *p = sim_find_port(sim, key.c_str());
        ASSERT_NE(p, nullptr) << key;
        sim_port_set_tap(p, on_tap, &taps[key]);
    }
    bool run(SimKernelKind k, SimTime until = SIM_TIME_NEVER, uint64_t order_seed = 0)
    {
        SimRunOptions o;
        sim_run_options_default(&o);
        sim_config_run_options(cfg, &o);
        o.kernel = k;
        o.order_seed = order_seed;
        if (until != SIM_TIME_NEVER) {
            o.until = until;
        }
        bool r = sim_run(sim, &o, &err);
        info = SimRunInfo{};
        info.config = "<dram-test>";
        info.seed = o.seed;
        info.kernel = sim_kernel_name(k);
        info.end_time = sim->end_time;
        info.activations = sim->activations;
        return r;
    }
    double stat(const std::string &key) const
    {
        double v = NAN;
        sim_stats_get(sim->stats, key.c_str(), &v);
        return v;
    }
    std::string json() const
    {
        char *buf = nullptr;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        sim_stats_write_json(sim->stats, &info, f);
        fclose(f);
        std::string s(buf, len);
        free(buf);
        return s.substr(0, s.find("\"host\""));
    }
};

std::string write_trace(const std::string &name, const std::vector<DramTraceRecord> &recs)
{
    std::string p = temp_path(name);
    SimError err;
    DramTraceWriter *w = dram_trace_writer_open(p.c_str(), false, &err);
    EXPECT_NE(w, nullptr) << err.msg;
    for (const auto &r : recs) {
        dram_trace_writer_put(w, &r);
    }
    EXPECT_TRUE(dram_trace_writer_close(w));
    return p;
}

const char *kernel_name(SimKernelKind k)
{
    return k == SIM_KERNEL_FAST ? "Fast" : "EveryCycle";
}

// ---- exact latencies ----

class DramModelKernel : public ::testing::TestWithParam<SimKernelKind>
{
};

TEST_P(DramModelKernel, NoLoadLatencyIsTheDocumentedSum)
{
    // A row miss, a row hit and a row conflict in bank 0, far apart (arrival in DRAM cycles).
    std::string trace = write_trace("lat.trc", {{0x0, 0, 64, false},
                                                {0x40, 800, 64, false},
                                                {0x10000, 1600, 64, false},
                                                {0x2000, 2400, 64, true}});
    Topo t("sim: {allow_cycles: true}\n"
           "instances:\n"
           "  dram: {type: dram.ctrl, write_ack: complete}\n"
           "  trace: {type: dram.trace, file: '" +
           trace +
           "'}\n"
           "links:\n"
           "  - {from: trace:req, to: dram:req, latency: 1, sync: 2}\n"
           "  - {from: dram:resp, to: trace:resp, latency: 1, sync: 2, depth: 8}\n");
    ASSERT_TRUE(t.ok()) << t.err.msg;
    t.tap("trace.req");
    t.tap("dram.resp");
    ASSERT_TRUE(t.run(GetParam())) << t.err.msg;

    // docs/models/dram.md: the request crosses mem -> ddr in latency + sync = 3 DRAM cycles;
    // the controller answers L DRAM cycles after it took the request; the response crosses
    // back in 3 mem cycles and is seen at the first mem edge at or after that.
    //   L(read)  = frontend (1) + [tRP (11)] + [tRCD (11)] + CL (11) + BL/2 (4)
    //   L(write) = frontend (1) + [tRCD] + CWL (8) + BL/2 (4)           (write_ack: complete)
    const SimTime tck = 1250, tmem = 5000;
    const SimCycle want_l[] = {27, 16, 38, 24};
    const auto &req = t.taps["trace.req"];
    const auto &rsp = t.taps["dram.resp"];
    std::map<uint64_t, TapEvent> push, pop, rpush;
    for (const auto &e : req) {
        (e.ev == SIM_TAP_PUSH ? push : pop)[e.id] = e;
    }
    for (const auto &e : rsp) {
        if (e.ev == SIM_TAP_PUSH) {
            rpush[e.id] = e;
        }
    }
    ASSERT_EQ(push.size(), 4u);
    ASSERT_EQ(rpush.size(), 4u);
    int i = 0;
    for (const auto &kv : push) {
        const TapEvent &p = kv.second;
        const TapEvent &taken = pop.at(kv.first);
        const TapEvent &r = rpush.at(kv.first);
        EXPECT_EQ(p.now % tmem, 0u);
        EXPECT_EQ(taken.now, p.now + 3 * tck) << i;         // taken when it becomes visible
        EXPECT_EQ(r.now - taken.now, want_l[i] * tck) << i; // the controller's L
        SimTime seen = r.now + 3 * tmem;
        seen = (seen + tmem - 1) / tmem * tmem;
        EXPECT_EQ(r.visible, seen) << i;
        i++;
    }
    EXPECT_EQ(rpush.begin()->second.visible - push.begin()->second.now, 55000u); // 27: 55 ns
    EXPECT_DOUBLE_EQ(t.stat("dram.read_latency_avg_cycles"), (27.0 + 16.0 + 38.0) / 3.0);
    EXPECT_DOUBLE_EQ(t.stat("dram.read_latency_avg_ns"), 27.0 * 1.25);
    EXPECT_DOUBLE_EQ(t.stat("dram.read_latency_ns.max"), 47.5);
    EXPECT_DOUBLE_EQ(t.stat("dram.read_latency_ns.min"), 20.0);
    EXPECT_EQ(t.stat("dram.reads"), 3.0);
    EXPECT_EQ(t.stat("dram.writes"), 1.0);
    EXPECT_DOUBLE_EQ(t.stat("dram.row_hit_rate"), 1.0 / 4.0);
    EXPECT_EQ(t.stat("trace.responses"), 4.0);
    remove(trace.c_str());
}

TEST_P(DramModelKernel, SequentialReadsReachTheRefreshLimitedPeak)
{
    Topo t("sim: {allow_cycles: true}\n"
           "instances:\n"
           "  dram: {type: dram.ctrl}\n"
           "  gen: {type: dram.gen, count: 200000, outstanding: 256}\n"
           "links:\n"
           "  - {from: gen:req, to: dram:req}\n"
           "  - {from: dram:resp, to: gen:resp, depth: 8}\n");
    ASSERT_TRUE(t.ok()) << t.err.msg;
    ASSERT_TRUE(t.run(GetParam())) << t.err.msg;
    const double peak = 12.8 * (1.0 - (6.0 + 11.0 + 208.0 + 11.0) / 6240.0);
    const double bw = t.stat("dram.bandwidth_gbps");
    EXPECT_NEAR(bw / peak, 1.0, 0.005) << bw << " GB/s against " << peak;
    EXPECT_EQ(t.stat("dram.reads"), 200000.0);
    EXPECT_GT(t.stat("dram.row_hit_rate"), 0.95);
    EXPECT_NEAR(t.stat("dram.refreshes"), t.stat("dram.cycles") / 6240.0, 1.0);
}

INSTANTIATE_TEST_SUITE_P(Kernels, DramModelKernel,
                         ::testing::Values(SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE),
                         [](const ::testing::TestParamInfo<SimKernelKind> &i) {
                             return std::string(kernel_name(i.param));
                         });

// ---- determinism ----

std::string mixed_topology(const char *ctrl_extra)
{
    return std::string("sim: {allow_cycles: true, seed: 5}\n"
                       "instances:\n"
                       "  dram: {type: dram.ctrl, check: true") +
           ctrl_extra +
           "}\n"
           "  arb: {type: dram.arbiter, ports: 3}\n"
           "  g0: {type: dram.gen, count: 3000, pattern: random, read_ratio: 0.67, range: 1MiB,"
           " verify: true}\n"
           "  g1: {type: dram.gen, count: 3000, pattern: sequential, size: 256B, base: 1MiB,"
           " range: 1MiB, read_ratio: 0.5, verify: true, rate: 0.3}\n"
           "  g2: {type: dram.gen, count: 2000, pattern: random, size: 128B, base: 2MiB,"
           " range: 4MiB, read_ratio: 0.8}\n"
           "links:\n"
           "  - {from: g0:req, to: arb:req0}\n"
           "  - {from: arb:resp0, to: g0:resp}\n"
           "  - {from: g1:req, to: arb:req1}\n"
           "  - {from: arb:resp1, to: g1:resp}\n"
           "  - {from: g2:req, to: arb:req2}\n"
           "  - {from: arb:resp2, to: g2:resp}\n"
           "  - {from: arb:mem_req, to: dram:req}\n"
           "  - {from: dram:resp, to: arb:mem_resp, depth: 8}\n";
}

TEST(DramModel, KernelsAndTickOrdersAgreeByteForByte)
{
    for (const char *extra : {"", ", page_policy: closed, scheduler: fcfs, write_ack: complete",
                              ", tREFI: 800, mapping: RoCoRaBaCh, bank_hash: xor"}) {
        std::string yaml = mixed_topology(extra);
        Topo a(yaml), b(yaml), c(yaml);
        ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.err.msg;
        ASSERT_TRUE(a.run(SIM_KERNEL_FAST)) << a.err.msg;
        ASSERT_TRUE(b.run(SIM_KERNEL_EVERY_CYCLE)) << b.err.msg;
        ASSERT_TRUE(c.run(SIM_KERNEL_FAST, SIM_TIME_NEVER, 12345)) << c.err.msg;
        EXPECT_EQ(a.json(), b.json()) << extra;
        EXPECT_EQ(a.json(), c.json()) << extra;
        EXPECT_EQ(a.stat("dram.checker_violations"), 0.0) << extra;
        EXPECT_EQ(a.stat("g0.verify_errors"), 0.0) << extra;
        EXPECT_EQ(a.stat("g1.verify_errors"), 0.0) << extra;
        EXPECT_GT(a.stat("g0.verified"), 1000.0) << extra;
        EXPECT_EQ(a.stat("g2.responses"), 2000.0) << extra;
        EXPECT_LT(a.sim->activations, b.sim->activations / 2) << extra;
    }
}

// ---- functional memory ----

struct MapCase {
    const char *mapping;
    const char *hash;
};

class DramModelMapping : public ::testing::TestWithParam<MapCase>
{
};

TEST_P(DramModelMapping, ReadAfterWriteReturnsTheWrittenBytes)
{
    const MapCase m = GetParam();
    std::ostringstream y;
    y << "sim: {allow_cycles: true}\n"
         "instances:\n"
         "  dram: {type: dram.ctrl, check: true, mapping: "
      << m.mapping << ", bank_hash: " << m.hash
      << "}\n"
         "  g: {type: dram.gen, count: 20000, pattern: random, read_ratio: 0.5, range: 256KiB,"
         " base: 4095MiB, size: 64B, verify: true}\n"
         "  h: {type: dram.gen, count: 5000, pattern: random, read_ratio: 0.5, range: 8MiB,"
         " size: 192B, verify: true}\n"
         "  arb: {type: dram.arbiter, ports: 2}\n"
         "links:\n"
         "  - {from: g:req, to: arb:req0}\n"
         "  - {from: arb:resp0, to: g:resp}\n"
         "  - {from: h:req, to: arb:req1}\n"
         "  - {from: arb:resp1, to: h:resp}\n"
         "  - {from: arb:mem_req, to: dram:req}\n"
         "  - {from: dram:resp, to: arb:mem_resp, depth: 8}\n";
    Topo t(y.str());
    ASSERT_TRUE(t.ok()) << t.err.msg;
    ASSERT_TRUE(t.run(SIM_KERNEL_FAST)) << t.err.msg;
    EXPECT_EQ(t.stat("g.verify_errors"), 0.0);
    EXPECT_EQ(t.stat("h.verify_errors"), 0.0);
    EXPECT_GT(t.stat("g.verified"), 8000.0);
    EXPECT_GT(t.stat("h.verified"), 2000.0);
    EXPECT_GT(t.stat("dram.read_forwards"), 0.0); // reads that found their write queued
    EXPECT_EQ(t.stat("dram.checker_violations"), 0.0);
}

INSTANTIATE_TEST_SUITE_P(
    AllMappings, DramModelMapping,
    ::testing::Values(MapCase{"RoBaRaCoCh", "none"}, MapCase{"RoRaBaChCo", "none"},
                      MapCase{"RoCoRaBaCh", "none"}, MapCase{"ChRaBaRoCo", "none"},
                      MapCase{"RoBaRaCoCh", "xor"}, MapCase{"RoCoRaBaCh", "xor"}),
    [](const ::testing::TestParamInfo<MapCase> &i) {
        return std::string(i.param.mapping) + "_" + i.param.hash;
    });

TEST(DramModel, TraceWritesStoreTheVersionedPattern)
{
    std::string trace = write_trace("pat.trc", {{0x1000, 0, 64, true},
                                                {0x1000, 0, 64, false},
                                                {0x1000, 0, 64, true},
                                                {0x1008, 0, 16, false}});
    Topo t("sim: {allow_cycles: true}\n"
           "instances:\n"
           "  dram: {type: dram.ctrl}\n"
           "  trace: {type: dram.trace, file: '" +
           trace +
           "', outstanding: 1}\n"
           "links:\n"
           "  - {from: trace:req, to: dram:req}\n"
           "  - {from: dram:resp, to: trace:resp}\n");
    ASSERT_TRUE(t.ok()) << t.err.msg;
    t.tap("dram.resp");
    ASSERT_TRUE(t.run(SIM_KERNEL_FAST)) << t.err.msg;
    std::vector<std::vector<uint8_t>> reads;
    for (const auto &e : t.taps["dram.resp"]) {
        if (e.ev == SIM_TAP_PUSH && e.type == MEM_READ_RESP) {
            reads.push_back(e.data);
        }
    }
    ASSERT_EQ(reads.size(), 2u);
    std::vector<uint8_t> want(64);
    mem_pattern_fill(want.data(), 0x1000, 64, 1);
    EXPECT_EQ(reads[0], want);
    want.resize(16);
    mem_pattern_fill(want.data(), 0x1008, 16, 2);
    EXPECT_EQ(reads[1], want);
    remove(trace.c_str());
}

// ---- the arbiter ----

std::string arbiter_topology(const char *policy)
{
    std::ostringstream y;
    y << "sim: {allow_cycles: true}\n"
         "instances:\n"
         "  dram: {type: dram.ctrl}\n"
         "  arb: {type: dram.arbiter, ports: 4, "
      << policy << "}\n";
    for (int i = 0; i < 4; i++) {
        y << "  g" << i << ": {type: dram.gen, count: 0, pattern: random, read_ratio: 0.5, "
          << "size: 128B, base: " << i << "GiB, range: 1GiB}\n";
    }
    y << "links:\n";
    for (int i = 0; i < 4; i++) {
        y << "  - {from: g" << i << ":req, to: arb:req" << i << "}\n"
          << "  - {from: arb:resp" << i << ", to: g" << i << ":resp}\n";
    }
    y << "  - {from: arb:mem_req, to: dram:req}\n"
         "  - {from: dram:resp, to: arb:mem_resp, depth: 8}\n";
    return y.str();
}

TEST(DramArbiterModel, RoundRobinSharesSaturatingPortsEqually)
{
    Topo t(arbiter_topology("policy: round_robin"));
    ASSERT_TRUE(t.ok()) << t.err.msg;
    ASSERT_TRUE(t.run(SIM_KERNEL_FAST, 200 * SIM_PS_PER_US)) << t.err.msg;
    for (int i = 0; i < 4; i++) {
        EXPECT_NEAR(t.stat("arb.p" + std::to_string(i) + ".share"), 0.25, 0.01) << i;
    }
    EXPECT_GT(t.stat("arb.grants"), 10000.0);
}

TEST(DramArbiterModel, WeightedSharesFollowTheWeights)
{
    Topo t(arbiter_topology("policy: weighted, weights: '4,2,1,1'"));
    ASSERT_TRUE(t.ok()) << t.err.msg;
    ASSERT_TRUE(t.run(SIM_KERNEL_FAST, 200 * SIM_PS_PER_US)) << t.err.msg;
    const double want[] = {0.5, 0.25, 0.125, 0.125};
    for (int i = 0; i < 4; i++) {
        EXPECT_NEAR(t.stat("arb.p" + std::to_string(i) + ".share"), want[i], 0.01) << i;
    }
}

TEST(DramArbiterModel, FixedPriorityFavoursPortZero)
{
    Topo t(arbiter_topology("policy: fixed"));
    ASSERT_TRUE(t.ok()) << t.err.msg;
    ASSERT_TRUE(t.run(SIM_KERNEL_FAST, 100 * SIM_PS_PER_US)) << t.err.msg;
    // Port 0 always has a request waiting: the lower ports get what is left, in order.
    EXPECT_GT(t.stat("arb.p0.share"), 0.5);
    EXPECT_GE(t.stat("arb.p0.share"), t.stat("arb.p1.share"));
    EXPECT_GE(t.stat("arb.p1.share"), t.stat("arb.p2.share"));
    EXPECT_GE(t.stat("arb.p2.share"), t.stat("arb.p3.share"));
}

TEST(DramArbiterModel, KernelsAgreeUnderWeightedArbitration)
{
    std::string yaml = arbiter_topology("policy: weighted, weights: '3,1,2,1'");
    Topo a(yaml), b(yaml);
    ASSERT_TRUE(a.ok() && b.ok()) << a.err.msg;
    ASSERT_TRUE(a.run(SIM_KERNEL_FAST, 20 * SIM_PS_PER_US)) << a.err.msg;
    ASSERT_TRUE(b.run(SIM_KERNEL_EVERY_CYCLE, 20 * SIM_PS_PER_US)) << b.err.msg;
    EXPECT_EQ(a.json(), b.json());
}

// ---- the standalone configuration, presets and traces ----

struct Chdir {
    std::string old;
    explicit Chdir(const std::string &to)
    {
        char buf[4096];
        old = getcwd(buf, sizeof(buf)) != nullptr ? buf : ".";
        EXPECT_EQ(chdir(to.c_str()), 0) << to;
    }
    ~Chdir()
    {
        EXPECT_EQ(chdir(old.c_str()), 0);
    }
};

std::string read_text(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(DramStandalone, ShippedConfigRunsAndReportsTheKeys)
{
    Topo t(source_root() + "/configs/dram-standalone.yaml", {});
    ASSERT_TRUE(t.ok()) << t.err.msg;
    ASSERT_TRUE(t.run(SIM_KERNEL_FAST)) << t.err.msg;
    for (const char *k : {"dram.cycles", "dram.bandwidth_gbps", "dram.read_latency_avg_cycles",
                          "dram.read_latency_avg_ns", "dram.read_latency_ns.p99",
                          "dram.row_hit_rate", "dram.reads", "dram.writes", "dram.refreshes"}) {
        EXPECT_FALSE(std::isnan(t.stat(k))) << k;
    }
    EXPECT_EQ(t.stat("dram.reads"), 1024.0);
    EXPECT_EQ(t.stat("dram.writes"), 1024.0); // 512 writes of 128 B
    EXPECT_EQ(t.stat("trace.requests"), t.stat("trace.records"));
}

TEST(DramStandalone, CommandLineOverridesPickTraceAndFormat)
{
    // What `membox-sim dram CONFIG --trace FILE --format F` does: override two keys.
    Chdir cd(source_root());
    const std::pair<const char *, const char *> traces[] = {
        {"traces/dram/stream.trc", "native"},
        {"traces/dram/random.trc.gz", "native"},
        {"traces/dram/sample-dramsim3.trc", "dramsim3"},
        {"traces/dram/sample-ramulator.trc", "ramulator"},
    };
    for (const auto &tr : traces) {
        std::vector<SimConfigOverride> over = {{"trace.file", tr.first, "--trace"},
                                               {"trace.format", tr.second, "--format"}};
        Topo t("configs/dram-standalone.yaml", over);
        ASSERT_TRUE(t.ok()) << tr.first << ": " << t.err.msg;
        ASSERT_TRUE(t.run(SIM_KERNEL_FAST)) << tr.first << ": " << t.err.msg;
        EXPECT_GT(t.stat("trace.records"), 100.0) << tr.first;
        EXPECT_EQ(t.stat("trace.responses"), t.stat("trace.records")) << tr.first;
    }
    std::vector<SimConfigOverride> bad = {{"trace.format", "drampower", "--format"}};
    Topo t("configs/dram-standalone.yaml", bad);
    EXPECT_FALSE(t.ok());
    EXPECT_NE(std::string(t.err.msg).find("--format"), std::string::npos) << t.err.msg;
}

TEST(DramStandalone, SampleTracesOfEveryFormatReplay)
{
    Chdir cd(source_root());
    const std::pair<const char *, const char *> traces[] = {
        {"traces/dram/stream.trc", "native"},
        {"traces/dram/random.trc.gz", "native"},
        {"traces/dram/sample-dramsim3.trc", "dramsim3"},
        {"traces/dram/sample-ramulator.trc", "ramulator"},
    };
    for (const auto &tr : traces) {
        Topo t("sim: {allow_cycles: true}\n"
               "instances:\n"
               "  dram: {type: dram.ctrl, check: true}\n"
               "  trace: {type: dram.trace, file: " +
               std::string(tr.first) + ", format: " + tr.second +
               "}\n"
               "links:\n"
               "  - {from: trace:req, to: dram:req}\n"
               "  - {from: dram:resp, to: trace:resp, depth: 8}\n");
        ASSERT_TRUE(t.ok()) << tr.first << ": " << t.err.msg;
        ASSERT_TRUE(t.run(SIM_KERNEL_FAST)) << tr.first << ": " << t.err.msg;
        EXPECT_GT(t.stat("trace.records"), 100.0) << tr.first;
        EXPECT_EQ(t.stat("trace.responses"), t.stat("trace.records")) << tr.first;
        EXPECT_EQ(t.stat("dram.checker_violations"), 0.0) << tr.first;
    }
}

// The instance `dram` built from a preset file's keys, with its clocks.
std::string preset_topology(const std::string &preset, const char *ddr, const char *mem)
{
    std::string text = read_text(source_root() + "/configs/dram/" + preset);
    EXPECT_FALSE(text.empty()) << preset;
    std::string indented;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        indented += "    " + line + "\n";
    }
    return std::string("sim: {allow_cycles: true}\n"
                       "domains: {ddr: ") +
           ddr + ", mem: " + mem +
           "}\n"
           "instances:\n"
           "  dram:\n"
           "    type: dram.ctrl\n"
           "    check: true\n" +
           indented +
           "  gen: {type: dram.gen, count: 20000, pattern: random, read_ratio: 0.67}\n"
           "links:\n"
           "  - {from: gen:req, to: dram:req}\n"
           "  - {from: dram:resp, to: gen:resp, depth: 8}\n";
}

TEST(DramPresets, EveryPresetBuildsAndRunsClean)
{
    const char *cases[][3] = {
        {"ddr3-1600k.yaml", "800MHz", "200MHz"},
        {"ddr3-1333.yaml", "666.667MHz", "166.667MHz"},
        {"ddr3-1866.yaml", "933.333MHz", "233.333MHz"},
    };
    for (const auto &c : cases) {
        Topo t(preset_topology(c[0], c[1], c[2]));
        ASSERT_TRUE(t.ok()) << c[0] << ": " << t.err.msg;
        ASSERT_TRUE(t.run(SIM_KERNEL_FAST)) << c[0] << ": " << t.err.msg;
        EXPECT_EQ(t.stat("dram.checker_violations"), 0.0) << c[0];
        EXPECT_EQ(t.stat("gen.responses"), 20000.0) << c[0];
    }
}

TEST(DramPresets, PresetKeyLoadsASpeedGrade)
{
    std::string p = temp_path("preset.yaml");
    std::ofstream(p) << "sim: {allow_cycles: true}\n"
                        "domains: {ddr: 666.667MHz, mem: 166.667MHz}\n"
                        "instances:\n"
                        "  dram: {type: dram.ctrl, check: true, preset: '"
                     << source_root()
                     << "/configs/dram/ddr3-1333.yaml', row_hit_cap: 8}\n"
                        "  gen: {type: dram.gen, count: 2000, pattern: random}\n"
                        "links:\n"
                        "  - {from: gen:req, to: dram:req}\n"
                        "  - {from: dram:resp, to: gen:resp, depth: 8}\n";
    Topo t(p, {});
    ASSERT_TRUE(t.ok()) << t.err.msg;
    ASSERT_TRUE(t.run(SIM_KERNEL_FAST)) << t.err.msg;
    EXPECT_EQ(t.stat("dram.checker_violations"), 0.0);
    // 1.5 ns cycles: a row miss (F + tRCD + CL + BL/2 = 1 + 9 + 9 + 4) is 34.5 ns.
    EXPECT_DOUBLE_EQ(t.stat("dram.read_latency_ns.min"), 34.5);
    remove(p.c_str());
}

TEST(DramPresets, AnInconsistentOverrideBlamesThePresetLine)
{
    std::string p = temp_path("preset_bad.yaml");
    std::ofstream(p) << "sim: {allow_cycles: true}\n"
                        "domains: {ddr: 666.667MHz}\n"
                        "instances:\n"
                        "  dram: {type: dram.ctrl, preset: '"
                     << source_root()
                     << "/configs/dram/ddr3-1333.yaml', tRP: 10}\n"
                        "  gen: {type: dram.gen}\n"
                        "links:\n"
                        "  - {from: gen:req, to: dram:req}\n"
                        "  - {from: dram:resp, to: gen:resp}\n";
    Topo t(p, {});
    EXPECT_FALSE(t.ok());
    EXPECT_NE(std::string(t.err.msg).find("ddr3-1333.yaml:"), std::string::npos) << t.err.msg;
    EXPECT_NE(std::string(t.err.msg).find("key 'tRC': tRC (33) must be at least tRAS + tRP (34)"),
              std::string::npos)
        << t.err.msg;
    remove(p.c_str());
}

TEST(DramPresets, DefaultsEqualTheDdr3_1600kPreset)
{
    std::string bare = "sim: {allow_cycles: true}\n"
                       "instances:\n"
                       "  dram: {type: dram.ctrl, check: true}\n"
                       "  gen: {type: dram.gen, count: 20000, pattern: random, read_ratio: 0.67}\n"
                       "links:\n"
                       "  - {from: gen:req, to: dram:req}\n"
                       "  - {from: dram:resp, to: gen:resp, depth: 8}\n";
    Topo a(bare), b(preset_topology("ddr3-1600k.yaml", "800MHz", "200MHz"));
    ASSERT_TRUE(a.ok() && b.ok()) << a.err.msg << b.err.msg;
    ASSERT_TRUE(a.run(SIM_KERNEL_FAST));
    ASSERT_TRUE(b.run(SIM_KERNEL_FAST));
    EXPECT_EQ(a.json(), b.json());
}

// ---- input errors ----

struct BadConfig {
    const char *instance; // the mapping of instance `dram`
    const char *want;     // substring of the message
};

TEST(DramModel, BadParametersAreConfigurationErrors)
{
    const BadConfig cases[] = {
        {"{type: dram.ctrl, tRC: 30}", "key 'tRC': tRC (30) must be at least tRAS + tRP (39)"},
        {"{type: dram.ctrl, CL: 30}", "key 'CL'"},
        {"{type: dram.ctrl, CWL: 12}", "key 'CWL': CWL (12) must not exceed CL (11)"},
        {"{type: dram.ctrl, banks: 6}", "key 'banks': banks must be a power of two"},
        {"{type: dram.ctrl, write_low: 30}", "key 'write_low'"},
        {"{type: dram.ctrl, write_high: 40}", "key 'write_high'"},
        {"{type: dram.ctrl, scheduler: random}", "key 'scheduler'"},
        {"{type: dram.ctrl, mapping: RoBaCo}", "key 'mapping'"},
        {"{type: dram.ctrl, tCK: 1.5ns}", "tCK 1500 ps does not match the period 1250 ps"},
        {"{type: dram.ctrl, tREFI: 200}", "key 'tREFI': tREFI (200) must exceed tRFC + tRP (219)"},
    };
    for (const BadConfig &c : cases) {
        Topo t(std::string("sim: {allow_cycles: true}\ninstances:\n  dram: ") + c.instance +
               "\n  gen: {type: dram.gen}\nlinks:\n  - {from: gen:req, to: dram:req}\n"
               "  - {from: dram:resp, to: gen:resp}\n");
        EXPECT_FALSE(t.ok()) << c.instance;
        EXPECT_EQ(t.err.kind, SIM_ERR_INPUT) << c.instance;
        EXPECT_NE(std::string(t.err.msg).find(c.want), std::string::npos)
            << c.instance << ": " << t.err.msg;
    }
}

TEST(DramModel, MalformedTraceIsAnInputErrorNamingFileAndLine)
{
    std::string p = temp_path("bad.trc");
    std::ofstream(p) << "0x40 READ 1\n0xZZ READ 2\n";
    Topo t("sim: {allow_cycles: true}\n"
           "instances:\n"
           "  dram: {type: dram.ctrl}\n"
           "  trace: {type: dram.trace, format: dramsim3, file: '" +
           p +
           "'}\n"
           "links:\n"
           "  - {from: trace:req, to: dram:req}\n"
           "  - {from: dram:resp, to: trace:resp}\n");
    EXPECT_FALSE(t.ok());
    EXPECT_EQ(t.err.kind, SIM_ERR_INPUT); // the CLI exits 2
    EXPECT_NE(std::string(t.err.msg).find(p + ":2: bad hex address '0xZZ'"), std::string::npos)
        << t.err.msg;
    remove(p.c_str());
    Topo u("sim: {allow_cycles: true}\n"
           "instances:\n"
           "  dram: {type: dram.ctrl}\n"
           "  trace: {type: dram.trace}\n"
           "links:\n"
           "  - {from: trace:req, to: dram:req}\n"
           "  - {from: dram:resp, to: trace:resp}\n");
    EXPECT_FALSE(u.ok());
    EXPECT_NE(std::string(u.err.msg).find("key 'file' is empty"), std::string::npos) << u.err.msg;
}

TEST(DramModel, IdleControllerSleepsBetweenRefreshes)
{
    // 2 ms idle: longer than the 1 ms watchdog, which must not mistake it for a hang.
    std::string trace = write_trace("idle.trc", {{0x40, 0, 64, false}, {0x80, 1600000, 64, false}});
    Topo t("sim: {allow_cycles: true}\n"
           "instances:\n"
           "  dram: {type: dram.ctrl, check: true}\n"
           "  trace: {type: dram.trace, file: '" +
           trace +
           "'}\n"
           "links:\n"
           "  - {from: trace:req, to: dram:req}\n"
           "  - {from: dram:resp, to: trace:resp}\n");
    ASSERT_TRUE(t.ok()) << t.err.msg;
    ASSERT_TRUE(t.run(SIM_KERNEL_FAST)) << t.err.msg;
    // 2 ms of simulated time, 256 refreshes, a few hundred activations, not 1.6e6 cycles' worth.
    EXPECT_EQ(t.stat("dram.refreshes"), 256.0);
    EXPECT_LT(t.sim->activations, 1000u);
    EXPECT_EQ(t.stat("dram.checker_violations"), 0.0);
    remove(trace.c_str());
}

} // namespace
