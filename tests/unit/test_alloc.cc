/*
 * Allocation: this binary is linked with --wrap for malloc, calloc, realloc and free, so every
 * call from the simulator's own code goes through the hooks below.
 *  - Nothing allocates on the tick path: building and sim_prepare() may allocate; sim_run()
 *    must not, under either kernel (the counters).
 *  - A build that runs out of memory says so and leaks nothing: the hooks can fail the n-th
 *    allocation and keep the set of blocks made while they track, which sim_free() must empty.
 */
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <unordered_set>

#include "systems/registry.h"
#include "sim/config/config.h"
#include "tests/shim/shim.h"

extern "C" {
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static std::atomic<bool> armed{false};
static std::atomic<long> allocations{0};

/* Failure injection and tracking (one thread: the tests run the simulator on theirs). */
static bool tracking;
static long fail_at; /* fail the fail_at-th allocation while tracking; 0: none */
static long seen;    /* allocations while tracking */
static bool in_hook; /* the set's own allocations are not tracked */
static std::unordered_set<void *> *live;

static bool inject_failure()
{
    return tracking && !in_hook && ++seen == fail_at;
}

static void track(void *old, void *p)
{
    if (!tracking || in_hook) {
        return;
    }
    in_hook = true;
    if (old != nullptr) {
        live->erase(old);
    }
    if (p != nullptr) {
        live->insert(p);
    }
    in_hook = false;
}

void *__wrap_malloc(size_t n)
{
    if (armed) {
        allocations++;
    }
    if (inject_failure()) {
        return nullptr;
    }
    void *p = __real_malloc(n);
    track(nullptr, p);
    return p;
}

void *__wrap_calloc(size_t n, size_t m)
{
    if (armed) {
        allocations++;
    }
    if (inject_failure()) {
        return nullptr;
    }
    void *p = __real_calloc(n, m);
    track(nullptr, p);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (armed) {
        allocations++;
    }
    if (inject_failure()) {
        return nullptr;
    }
    void *q = __real_realloc(p, n);
    if (q != nullptr) {
        track(p, q);
    }
    return q;
}

void __wrap_free(void *p)
{
    if (armed && p != nullptr) {
        allocations++;
    }
    track(p, nullptr);
    __real_free(p);
}
}

namespace
{

long allocations_during_run(const std::string &yaml, SimKernelKind kernel, SimTime until)
{
    SimError err;
    ShimRun *r = shim_build(yaml.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg;
    if (r == nullptr) {
        return -1;
    }
    SimRunOptions o;
    sim_run_options_default(&o);
    o.kernel = kernel;
    o.until = until;
    EXPECT_TRUE(sim_prepare(shim_sim(r), &o, &err)) << err.msg;
    allocations = 0;
    armed = true;
    bool ok = sim_run(shim_sim(r), &o, &err);
    armed = false;
    EXPECT_TRUE(ok) << err.msg;
    EXPECT_GT(shim_sim(r)->activations, 1000u);
    shim_free(r);
    return allocations;
}

TEST(NoAllocation, TheWrapperSeesTheSimulatorsAllocations)
{
    /* sim_new() allocates inside the static libraries: the counters must see it, or a zero
     * below would prove nothing. */
    allocations = 0;
    armed = true;
    Sim *sim = sim_new();
    sim_free(sim);
    armed = false;
    EXPECT_GE(allocations, 4);
}

TEST(NoAllocation, BenchmarkRingsRunWithoutAllocating)
{
    for (unsigned n : {64u, 512u}) {
        char *y = shim_ring_yaml(n);
        ASSERT_NE(y, nullptr);
        std::string yaml = y;
        std::free(y);
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            EXPECT_EQ(allocations_during_run(yaml, k, 20 * SIM_PS_PER_US), 0)
                << n << " stages, " << sim_kernel_name(k);
        }
    }
}

TEST(NoAllocation, SourcesSinksAndBackPressureRunWithoutAllocating)
{
    const std::string yaml = "instances:\n"
                             "  a: {type: generic.source, rate: 1, count: 2000, pattern: poisson}\n"
                             "  q: {type: generic.delay, domain: lane, delay: 3, depth: 4}\n"
                             "  k: {type: generic.sink, domain: mem, accept_every: 2}\n"
                             "links:\n  - {from: a:out, to: q:in}\n  - {from: q:out, to: k:in}\n";
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        EXPECT_EQ(allocations_during_run(yaml, k, SIM_TIME_NEVER), 0) << sim_kernel_name(k);
    }
}

TEST(NoAllocation, InfinibandLinksRunWithoutAllocating)
{
    const std::string yaml =
        "sim: {allow_cycles: true}\n"
        "domains: {ib: 1GHz}\n"
        "instances:\n"
        "  a: {type: ib.tester, domain: ib, lane_rate: 10Gbps, encoding: 8b10b, count: 200, "
        "vls: 2, skip_interval: 4608, phy_tx_cycles: 2, phy_rx_cycles: 3}\n"
        "  c: {type: ib.cable, domain: ib}\n"
        "  b: {type: ib.tester, domain: ib, lane_rate: 10Gbps, encoding: 8b10b, count: 100, "
        "vls: 2, vl: 1, dlid: 1, drain: 700, vl_buffer: 8KiB, phy_tx_cycles: 2, phy_rx_cycles: 3}\n"
        "links:\n  - {from: a:tx, to: c:a_in}\n  - {from: c:b_out, to: b:rx}\n"
        "  - {from: b:tx, to: c:b_in}\n  - {from: c:a_out, to: a:rx}\n";
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        EXPECT_EQ(allocations_during_run(yaml, k, SIM_TIME_NEVER), 0) << sim_kernel_name(k);
    }
    /* The same through a store-and-forward switch: a on port 0 (LID 1), b on port 1 (LID 2). */
    std::string sw = yaml;
    auto swap = [&sw](const std::string &from, const std::string &to) {
        size_t at = sw.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        sw.replace(at, from.size(), to);
    };
    swap("  c: {type: ib.cable, domain: ib}\n",
         "  c: {type: ib.cable, domain: ib}\n  c2: {type: ib.cable, domain: ib}\n"
         "  s: {type: ib.switch, domain: ib, lane_rate: 10Gbps, encoding: 8b10b, ports: 2, "
         "vls: 2, mode: store_and_forward}\n");
    swap("  - {from: c:b_out, to: b:rx}\n",
         "  - {from: c:b_out, to: s:p0_rx}\n  - {from: s:p0_tx, to: c:b_in}\n"
         "  - {from: s:p1_tx, to: c2:a_in}\n  - {from: c2:b_out, to: b:rx}\n");
    swap("  - {from: b:tx, to: c:b_in}\n", "  - {from: b:tx, to: c2:b_in}\n");
    swap("  - {from: c:a_out, to: a:rx}\n",
         "  - {from: c:a_out, to: a:rx}\n  - {from: c2:a_out, to: s:p1_rx}\n");
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        EXPECT_EQ(allocations_during_run(sw, k, SIM_TIME_NEVER), 0)
            << "through a switch, " << sim_kernel_name(k);
    }
}

/* Every model type that reads no trace file (trace readers report their own errors), wired so
 * that the topology checks pass; only built, never run. */
const char *const every_model_yaml = R"(sim:
  allow_cycles: true
domains: {ib: 1GHz}
instances:
  cpu:   {type: generic.source, count: 10}
  cpuin: {type: generic.sink}
  hmem:  {type: host.memory}
  rc0:   {type: pcie.rc, memory: hmem}
  pcie0: {type: pcie.link}
  ad0:   {type: pcie.adapter}
  mem0:  {type: mem.ideal, functional: true}
  src2:  {type: generic.source, count: 10}
  d2:    {type: generic.delay, depth: 4}
  sink2: {type: generic.sink}
  rep:   {type: repeater.switch, downs: 1, local: false}
  mem1:  {type: mem.ideal}
  gen:   {type: dram.gen, count: 10, verify: true}
  ddr3:  {type: dram.ctrl, check: true, functional: true}
  bar:   {type: ps.barrier}
  lk:    {type: link.tester}
  mpp:   {type: link.mpp, retry: selective}
  cab:   {type: link.cable}
  spp:   {type: link.spp, retry: selective}
  arb:   {type: dram.arbiter, ports: 1}
  lmem:  {type: link.memory}
  iba:   {type: ib.tester, domain: ib, lane_rate: 10Gbps, encoding: 8b10b, count: 3, vls: 2}
  ibc:   {type: ib.cable, domain: ib}
  ibb:   {type: ib.tester, domain: ib, lane_rate: 10Gbps, encoding: 8b10b, phy_rx_cycles: 3}
  ibs:   {type: ib.switch, domain: ib, lane_rate: 10Gbps, encoding: 8b10b, ports: 3, vls: 2}
links:
  - {from: cpu:out, to: rc0:cpu_req}
  - {from: rc0:cpu_resp, to: cpuin:in}
  - {from: rc0:tx, to: pcie0:rc_tx}
  - {from: pcie0:rc_rx, to: rc0:rx}
  - {from: ad0:tx, to: pcie0:ep_tx}
  - {from: pcie0:ep_rx, to: ad0:rx}
  - {from: ad0:mem_req, to: mem0:req}
  - {from: mem0:resp, to: ad0:mem_resp}
  - {from: src2:out, to: d2:in}
  - {from: d2:out, to: rep:req0}
  - {from: rep:resp0, to: sink2:in}
  - {from: rep:up_req, to: mem1:req}
  - {from: mem1:resp, to: rep:up_resp}
  - {from: gen:req, to: arb:req0}
  - {from: arb:resp0, to: gen:resp}
  - {from: arb:mem_req, to: ddr3:req}
  - {from: ddr3:resp, to: arb:mem_resp}
  - {from: lk:req, to: mpp:req}
  - {from: mpp:resp, to: lk:resp}
  - {from: mpp:tx, to: cab:a_in}
  - {from: cab:b_out, to: spp:rx}
  - {from: spp:tx, to: cab:b_in}
  - {from: cab:a_out, to: mpp:rx}
  - {from: spp:mem_req, to: lmem:req}
  - {from: lmem:resp, to: spp:mem_resp}
  - {from: iba:tx, to: ibc:a_in}
  - {from: ibc:b_out, to: ibb:rx}
  - {from: ibb:tx, to: ibc:b_in}
  - {from: ibc:a_out, to: iba:rx}
)";

TEST(OutOfMemory, TheHooksFailTheAllocationAskedForAndSeeWhatIsLeft)
{
    /* Through volatile pointers: the compiler may not see them as the builtins and elide them. */
    void *(*volatile do_malloc)(size_t) = std::malloc;
    void *(*volatile do_calloc)(size_t, size_t) = std::calloc;
    void *(*volatile do_realloc)(void *, size_t) = std::realloc;
    void (*volatile do_free)(void *) = std::free;
    std::unordered_set<void *> blocks;
    live = &blocks;
    seen = 0;
    fail_at = 2;
    tracking = true;
    void *a = do_malloc(16);
    void *b = do_calloc(2, 8); /* the second: fails */
    void *c = do_realloc(nullptr, 8);
    do_free(a);
    tracking = false;
    fail_at = 0;
    EXPECT_NE(a, nullptr);
    EXPECT_EQ(b, nullptr);
    EXPECT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks.count(c), 1u);
    do_free(c);
    live = nullptr;
}

TEST(OutOfMemory, EveryFailedAllocationOfABuildIsReportedAsSuchAndLeaksNothing)
{
    SimError err;
    sim_error_clear(&err);
    SimConfig *c = sim_config_load_string("every.yaml", every_model_yaml,
                                          std::strlen(every_model_yaml), &membox_registry, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    std::unordered_set<void *> blocks;
    live = &blocks;
    const std::regex message("out of memory while building '[^']+'");
    long n = 1;
    for (;; n++) {
        Sim *sim = sim_new();
        ASSERT_NE(sim, nullptr);
        sim_error_clear(&err);
        seen = 0;
        fail_at = n;
        tracking = true;
        bool ok = sim_config_build(c, sim, &err);
        fail_at = 0;
        sim_free(sim);
        tracking = false;
        EXPECT_TRUE(blocks.empty())
            << blocks.size() << " blocks leaked when allocation " << n << " failed";
        blocks.clear();
        if (ok) {
            /* Only a build that saw no failure may succeed: none is swallowed. */
            EXPECT_LT(seen, n) << "allocation " << n << " failed and the build went on";
            break;
        }
        EXPECT_EQ(err.kind, SIM_ERR_NOMEM) << "allocation " << n << ": " << err.msg;
        EXPECT_TRUE(std::regex_match(err.msg, message)) << "allocation " << n << ": " << err.msg;
        if (::testing::Test::HasFailure()) {
            break; /* one case is enough to read */
        }
    }
    live = nullptr;
    sim_config_free(c);
    EXPECT_GT(n, 200) << "the build should allocate far more than this";
}

} // namespace
