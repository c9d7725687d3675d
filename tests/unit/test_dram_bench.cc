// Speed of the standalone DRAM mode: 1e6 sequential and 1e6 random (2 reads : 1 write, uniform
// over 4 GiB) 64 B requests replayed in saturation through configs/dram-standalone.yaml's
// topology. Prints simulated DRAM cycles per wall-clock second (docs/models/dram.md records
// the figures). MEMBOX_DRAM_BENCH_REQUESTS overrides the count.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>

#include <unistd.h>

#include "models/dram/dram.h"
#include "sim/config/config.h"
#include "sim/trace/dram_trace.h"

namespace
{

const SimModelType *const kTypes[] = {&dram_ctrl_type, &dram_arbiter_type, &dram_trace_type,
                                      &dram_gen_type};
const SimRegistry kRegistry = {kTypes, 4, nullptr, 0};

uint64_t requests()
{
    const char *n = getenv("MEMBOX_DRAM_BENCH_REQUESTS");
    return n != nullptr ? strtoull(n, nullptr, 10) : 1000000;
}

std::string make_trace(const char *name, bool random)
{
    std::string path = ::testing::TempDir() + "membox_dram_bench_" + std::to_string(getpid()) +
                       "_" + name + ".trc.gz";
    SimError err;
    DramTraceWriter *w = dram_trace_writer_open(path.c_str(), true, &err);
    EXPECT_NE(w, nullptr) << err.msg;
    std::mt19937_64 rng(1);
    const uint64_t n = requests();
    for (uint64_t i = 0; i < n; i++) {
        DramTraceRecord r = {i * 64, 0, 64, false};
        if (random) {
            r.addr = (rng() % (4ULL << 30)) & ~63ULL;
            r.write = rng() % 3 == 0;
        }
        dram_trace_writer_put(w, &r);
    }
    EXPECT_TRUE(dram_trace_writer_close(w));
    return path;
}

struct Result {
    double cycles;
    double seconds; /* wall */
    double cpu;     /* process CPU time: steadier on a shared machine */
    double bandwidth;
    double activations;
};

Result replay(const std::string &trace, const char *ctrl_extra)
{
    std::string yaml = std::string("sim: {allow_cycles: true}\n"
                                   "instances:\n"
                                   "  dram: {type: dram.ctrl") +
                       ctrl_extra +
                       "}\n"
                       "  trace: {type: dram.trace, file: '" +
                       trace +
                       "'}\n"
                       "links:\n"
                       "  - {from: trace:req, to: dram:req, depth: 4}\n"
                       "  - {from: dram:resp, to: trace:resp, depth: 8}\n";
    SimError err;
    SimConfig *cfg = sim_config_load_string("<bench>", yaml.data(), yaml.size(), &kRegistry, &err);
    EXPECT_NE(cfg, nullptr) << err.msg;
    Sim *sim = sim_new();
    EXPECT_TRUE(sim_config_build(cfg, sim, &err)) << err.msg;
    SimRunOptions o;
    sim_run_options_default(&o);
    sim_config_run_options(cfg, &o);
    EXPECT_TRUE(sim_prepare(sim, &o, &err)) << err.msg;
    auto t0 = std::chrono::steady_clock::now();
    std::clock_t c0 = std::clock();
    EXPECT_TRUE(sim_run(sim, &o, &err)) << err.msg;
    double cpu = (double)(std::clock() - c0) / CLOCKS_PER_SEC;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Result r = {NAN, s, cpu, NAN, (double)sim->activations};
    sim_stats_get(sim->stats, "dram.cycles", &r.cycles);
    sim_stats_get(sim->stats, "dram.bandwidth_gbps", &r.bandwidth);
    sim_free(sim);
    sim_config_free(cfg);
    return r;
}

void report(const char *what, const Result &r)
{
    printf("[ bench    ] %-34s %9.0f DRAM cycles, %5.2f GB/s: wall %6.3f s = %5.2f M cycles/s, "
           "CPU %6.3f s = %5.2f M cycles/s; %.2f ticks per DRAM cycle\n",
           what, r.cycles, r.bandwidth, r.seconds, r.cycles / r.seconds / 1e6, r.cpu,
           r.cycles / r.cpu / 1e6, r.activations / r.cycles);
}

struct DramBench : ::testing::Test {
    static std::string seq;
    static std::string rnd;
    static void SetUpTestSuite()
    {
        seq = make_trace("seq", false);
        rnd = make_trace("rnd", true);
    }
    static void TearDownTestSuite()
    {
        remove(seq.c_str());
        remove(rnd.c_str());
    }
};

std::string DramBench::seq;
std::string DramBench::rnd;

TEST_F(DramBench, Sequential)
{
    report("sequential reads", replay(seq, ""));
}

TEST_F(DramBench, Random)
{
    report("random 2:1 read:write", replay(rnd, ""));
}

TEST_F(DramBench, RandomWithoutFunctionalStore)
{
    report("random 2:1, no functional store", replay(rnd, ", functional: false"));
}

TEST_F(DramBench, RandomWithTimingChecker)
{
    report("random 2:1, with timing checker", replay(rnd, ", check: true"));
}

} // namespace
