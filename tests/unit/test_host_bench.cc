/*
 * Benchmark (suite host-bench, not part of `--suite host`): one node replays 1 GiB of 4 KiB DMA
 * writes (traces/mem/dma-4k-writes.trace, 256 records, `repeat: 1024`) through the root complex,
 * the PCIe link and the adapter into an ideal memory, under the fast kernel, and prints the
 * simulated time per wall-clock second. docs/models/host.md records the figure.
 *
 *   meson test -C build --suite host-bench -v
 */
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "test_pcie_topo.h"

namespace
{

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r ? r : ".";
}

TEST(HostBench, OneGibibyteOfFourKibibyteDmaWrites)
{
    pcie_topo::Topo t;
    t.trace = source_root() + "/traces/mem/dma-4k-writes.trace";
    t.node = ", repeat: 1024, outstanding: 16";
    t.host = ", size: 32MiB";
    t.mem = ", functional: false";
    std::string y = pcie_topo::yaml(t);
    SimError err;
    ShimRun *r = shim_build(y.c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(shim_run(r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double sim_s = (double)shim_sim(r)->end_time / 1e12;
    EXPECT_EQ(pcie_topo::stat(r, "node.bytes"), 1024.0 * 1024 * 1024);
    EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 262144.0);
    std::printf("host-bench: 1 GiB of 4 KiB DMA writes: %.3f ms simulated in %.2f s wall: "
                "%.2f ms simulated per wall second, %.2f M activations/s, node %.3f GB/s\n",
                sim_s * 1e3, wall, sim_s * 1e3 / wall,
                (double)shim_sim(r)->activations / wall / 1e6,
                pcie_topo::stat(r, "node.throughput_gbps"));
    shim_free(r);
}

} // namespace
