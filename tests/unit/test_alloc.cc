/*
 * Nothing allocates on the tick path: this binary is linked with --wrap for malloc, calloc,
 * realloc and free, so every call from the simulator's own code goes through the counters
 * below. Building and sim_prepare() may allocate; sim_run() must not, under either kernel.
 */
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "tests/shim/shim.h"

extern "C" {
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static std::atomic<bool> armed{false};
static std::atomic<long> allocations{0};

void *__wrap_malloc(size_t n)
{
    if (armed) {
        allocations++;
    }
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    if (armed) {
        allocations++;
    }
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (armed) {
        allocations++;
    }
    return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
    if (armed && p != nullptr) {
        allocations++;
    }
    __real_free(p);
}
}

namespace {

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

} // namespace
