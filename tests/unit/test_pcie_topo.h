/*
 * Topologies for the PCIe and host tests (test_pcie_*.cc, test_host_*.cc): a node replaying a
 * memory trace through a root complex, a PCIe link and an adapter, into one of several memory
 * back ends. Header-only, C++17.
 */
#ifndef MEMBOX_TESTS_PCIE_TOPO_H
#define MEMBOX_TESTS_PCIE_TOPO_H

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <unistd.h>

#include "tests/shim/shim.h"

namespace pcie_topo
{

enum class Back {
    IDEAL,         /* adapter -> mem.ideal directly */
    DDR3,          /* MemBox host path: adapter -> (clock crossing) dram.arbiter -> dram.ctrl */
    OPTICAL_IDEAL, /* adapter -> link.mpp -> link.cable -> link.spp -> mem.ideal */
    OPTICAL_DDR3,  /* the same into dram.arbiter -> dram.ctrl */
};

struct Topo {
    std::string trace; /* path of the node's trace */
    Back back = Back::IDEAL;
    std::string sim = "";  /* extra keys of `sim:` */
    std::string node = ""; /* extra parameters, ", key: value" */
    std::string host = ""; /* the node's host memory (host.memory `hmem`) */
    std::string rc = "";
    std::string link = "";
    std::string ad = "";
    std::string mem = ""; /* mem.ideal's */
    std::string mem_domain = "pcie";
    uint32_t mem_latency = 10;
};

inline std::string yaml(const Topo &t)
{
    std::string y = "sim: {allow_cycles: true, payload_blocks: 4096" + t.sim + "}\n";
    y += "instances:\n";
    y += "  node: {type: host.memtrace, trace: '" + t.trace + "'" + t.node + "}\n";
    y += "  hmem: {type: host.memory" + t.host + "}\n";
    y += "  rc: {type: pcie.rc, memory: hmem" + t.rc + "}\n";
    y += "  pcie: {type: pcie.link" + t.link + "}\n";
    y += "  ad: {type: pcie.adapter" + t.ad + "}\n";
    bool optical = t.back == Back::OPTICAL_IDEAL || t.back == Back::OPTICAL_DDR3;
    bool ddr = t.back == Back::DDR3 || t.back == Back::OPTICAL_DDR3;
    if (optical) {
        y += "  mpp: {type: link.mpp}\n  cable: {type: link.cable}\n  spp: {type: link.spp}\n";
    }
    if (ddr) {
        y += "  arb: {type: dram.arbiter, ports: 17}\n  ddr: {type: dram.ctrl}\n";
    } else {
        y += "  mem: {type: mem.ideal, domain: " + t.mem_domain +
             ", latency: " + std::to_string(t.mem_latency) + t.mem + "}\n";
    }
    y += "links:\n"
         "  - {from: node:req, to: rc:cpu_req}\n"
         "  - {from: rc:cpu_resp, to: node:resp}\n"
         "  - {from: rc:notify, to: node:notify}\n"
         "  - {from: rc:tx, to: pcie:rc_tx}\n"
         "  - {from: pcie:rc_rx, to: rc:rx}\n"
         "  - {from: ad:tx, to: pcie:ep_tx}\n"
         "  - {from: pcie:ep_rx, to: ad:rx}\n";
    std::string req = "ad:mem_req", resp = "ad:mem_resp";
    if (optical) {
        y += "  - {from: ad:mem_req, to: mpp:req}\n"
             "  - {from: mpp:resp, to: ad:mem_resp}\n"
             "  - {from: mpp:tx, to: cable:a_in}\n"
             "  - {from: cable:b_out, to: spp:rx}\n"
             "  - {from: spp:tx, to: cable:b_in}\n"
             "  - {from: cable:a_out, to: mpp:rx}\n";
        req = "spp:mem_req";
        resp = "spp:mem_resp";
    }
    if (ddr) {
        /* The MemBox's own PCIe port is the arbiter's last requester (req16). */
        std::string port = optical ? "0" : "16";
        y += "  - {from: " + req + ", to: arb:req" + port +
             "}\n"
             "  - {from: arb:resp" +
             port + ", to: " + resp +
             "}\n"
             "  - {from: arb:mem_req, to: ddr:req}\n"
             "  - {from: ddr:resp, to: arb:mem_resp}\n";
    } else {
        y += "  - {from: " + req +
             ", to: mem:req}\n"
             "  - {from: mem:resp, to: " +
             resp + "}\n";
    }
    return y;
}

inline std::string temp_path(const std::string &name)
{
    return ::testing::TempDir() + "membox_pcie_" + std::to_string(getpid()) + "_" + name;
}

inline std::string write_trace(const std::string &name, const std::string &body)
{
    std::string path = temp_path(name);
    std::ofstream(path) << "membox-memtrace 1\n" << body;
    return path;
}

/* Builds and runs; the run is kept for inspection. NULL (and a test failure) on error. */
inline ShimRun *run(const Topo &t, SimKernelKind k = SIM_KERNEL_FAST, uint64_t order = 0,
                    const char *capture1 = nullptr, const char *capture2 = nullptr)
{
    SimError err;
    sim_error_clear(&err);
    std::string y = yaml(t);
    ShimRun *r = shim_build(y.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg << "\n" << y;
    if (r == nullptr) {
        return nullptr;
    }
    if (capture1 != nullptr) {
        EXPECT_TRUE(shim_capture(r, capture1)) << capture1;
    }
    if (capture2 != nullptr) {
        EXPECT_TRUE(shim_capture(r, capture2)) << capture2;
    }
    bool ok = shim_run(r, k, SIM_TIME_NEVER, order, &err);
    EXPECT_TRUE(ok) << err.msg;
    if (!ok) {
        shim_free(r);
        return nullptr;
    }
    return r;
}

inline double stat(ShimRun *r, const std::string &key)
{
    double v = shim_stat(r, key.c_str());
    EXPECT_FALSE(std::isnan(v)) << "no statistic " << key;
    return v;
}

/* The statistics JSON (no host section): what must match between kernels. */
inline std::string stats_json(ShimRun *r)
{
    char *j = shim_stats_json(r);
    std::string s = j ? j : "";
    free(j);
    return s;
}

} // namespace pcie_topo

#endif
