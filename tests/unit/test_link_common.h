// Shared helpers of the link tests (test_link_*.cc): a topology of a link.tester driving an MPP,
// a cable, an SPP and a link.memory, built from YAML through the shim; the clock-crossing rule
// of the kernel's ports; and a run under either kernel.
#ifndef MEMBOX_TESTS_UNIT_TEST_LINK_COMMON_H
#define MEMBOX_TESTS_UNIT_TEST_LINK_COMMON_H

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/kernel.h"
#include "tests/shim/shim.h"

namespace linktest
{

constexpr uint64_t kPcie = 4000; // ps
constexpr uint64_t kLane = 6400;
constexpr uint64_t kMem = 5000;

// The pieces of the standard topology; each string holds extra "key: value" pairs.
struct Topo {
    std::string sim = "seed: 1";
    std::string host = "count: 1";
    std::string mpp;
    std::string cable;
    std::string spp;
    std::string mem = "latency: 10";
    bool with_cable = true;

    std::string yaml() const
    {
        auto inst = [](const std::string &name, const std::string &type, const std::string &kv) {
            return "  " + name + ": {type: " + type + (kv.empty() ? "" : ", " + kv) + "}\n";
        };
        std::string y = "sim: {allow_cycles: true" + (sim.empty() ? "" : ", " + sim) + "}\n";
        y += "instances:\n";
        y += inst("host", "link.tester", host);
        y += inst("mpp", "link.mpp", mpp);
        if (with_cable) {
            y += inst("cable", "link.cable", cable);
        }
        y += inst("spp", "link.spp", spp);
        y += inst("mem", "link.memory", mem);
        y += "links:\n"
             "  - {from: host:req, to: mpp:req}\n"
             "  - {from: mpp:resp, to: host:resp}\n"
             "  - {from: spp:mem_req, to: mem:req}\n"
             "  - {from: mem:resp, to: spp:mem_resp}\n";
        if (with_cable) {
            y += "  - {from: mpp:tx, to: cable:a_in}\n"
                 "  - {from: cable:b_out, to: spp:rx}\n"
                 "  - {from: spp:tx, to: cable:b_in}\n"
                 "  - {from: cable:a_out, to: mpp:rx}\n";
        } else {
            y += "  - {from: mpp:tx, to: spp:rx}\n"
                 "  - {from: spp:tx, to: mpp:rx}\n";
        }
        return y;
    }
};

struct RunDeleter {
    void operator()(ShimRun *r) const
    {
        shim_free(r);
    }
};
using LinkRun = std::unique_ptr<ShimRun, RunDeleter>;

inline LinkRun build(const std::string &yaml)
{
    SimError err;
    ShimRun *r = shim_build(yaml.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg << "\n" << yaml;
    return LinkRun(r);
}

// Build, capture the named ports, run; nullptr on a build failure (already reported).
inline LinkRun run(const std::string &yaml, SimKernelKind k,
                   const std::vector<std::string> &capture = {}, uint64_t order_seed = 0,
                   SimTime until = SIM_TIME_NEVER)
{
    LinkRun r = build(yaml);
    if (!r) {
        return r;
    }
    for (const std::string &p : capture) {
        EXPECT_TRUE(shim_capture(r.get(), p.c_str())) << "no port " << p;
    }
    SimError err;
    EXPECT_TRUE(shim_run(r.get(), k, until, order_seed, &err)) << err.msg;
    return r;
}

inline double stat(const LinkRun &r, const std::string &key)
{
    double v = shim_stat(r.get(), key.c_str());
    EXPECT_FALSE(std::isnan(v)) << "no statistic " << key;
    return v;
}

inline std::string stats_json(const LinkRun &r)
{
    char *j = shim_stats_json(r.get());
    std::string s = j ? j : "";
    free(j);
    return s;
}

// Pushes (SIM_TAP_PUSH events) captured, in order (capture one port per run).
inline std::vector<ShimEvent> pushes(const LinkRun &r)
{
    std::vector<ShimEvent> out;
    for (size_t i = 0; i < shim_event_count(r.get()); i++) {
        const ShimEvent *e = shim_event(r.get(), i);
        if (e->ev == SIM_TAP_PUSH) {
            out.push_back(*e);
        }
    }
    return out;
}

// The kernel's clock-crossing rule (docs/kernel.md): an entry pushed at t with L cycles of the
// consumer's period T (L >= 1) is visible at the consumer's first edge at or after t + L x T.
inline uint64_t cross(uint64_t t, uint64_t T, uint64_t L)
{
    return (t + L * T + T - 1) / T;
}

inline uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

inline uint64_t beats(uint64_t bytes)
{
    return ceil_div(bytes, 64);
}

// Lane cycles of a frame with 4 lanes, reference header placement (docs/models/link.md).
inline uint64_t frame_mwp(uint64_t n)
{
    return 2 + 2 * beats(n) + 1;
}
inline uint64_t frame_mrd()
{
    return 3;
}
inline uint64_t frame_mrrp(uint64_t n)
{
    return 1 + 2 * beats(n) + 1;
}
constexpr uint64_t kCtrl = 2; // Ack, Nak, flow-control update

// P: lane cycles from a frame's last word at the sender to its analysis at the receiver, with a
// cable of F cycles and YAML links of latency 1 into and out of the cable.
inline uint64_t pipe(uint64_t phy_tx, uint64_t flight, uint64_t phy_rx)
{
    return phy_tx + 1 + flight + 1 + phy_rx;
}

class Both : public ::testing::TestWithParam<SimKernelKind>
{
};

inline std::string kernel_name(const ::testing::TestParamInfo<SimKernelKind> &info)
{
    return info.param == SIM_KERNEL_FAST ? "fast" : "every_cycle";
}

} // namespace linktest

#endif
