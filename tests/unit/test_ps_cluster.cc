/*
 * The parameter-server baseline end to end (docs/models/ps-server.md, docs/config.md
 * "Parameter-server cluster section"): host.ps workers over InfiniBand to a ps.server, made by a
 * ps_cluster section, under both transports. Every pushed byte lands in its gradient slot in
 * the server's memory, the server's parameters are the sum of the updates, each worker pulls
 * what the previous iteration's update wrote; the messages, segments and bytes on the wire are
 * those of sections 1 and 6; a gRPC iteration is never shorter than its compute plus the CPU
 * costs of section 3 along its longest pull.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/host/host.h"
#include "models/proto/mem.h"
#include "sim/config/config.h"
#include "sim/core/region.h"
#include "systems/registry.h"
#include "tests/shim/shim.h"

namespace
{

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r != nullptr ? r : ".";
}

std::string cluster(unsigned workers, const char *transport)
{
    std::string root = source_root();
    return "sim: {allow_cycles: true, payload_blocks: 8192}\n"
           "domains: {ib: 213.068182MHz}\n"
           "ps_cluster:\n  workers: " +
           std::to_string(workers) + "\n  trace: " + root + "/traces/ps/tiny-w" +
           std::to_string(workers) + "-i2.pstrace\n  transport: " + transport +
           "\n  link: " + root + "/configs/ib/fdr.yaml\n";
}

/* The cluster as the HCA tests below were written for: synchronous training (bsp) and pulls up
 * to 16 at once (host.ps and ps.server before the faithful-replay defaults, docs/models/host.md),
 * so many messages meet at the server's HCA; the figures they check are those of this load. */
std::string cluster_bsp16(unsigned workers, const char *transport)
{
    return cluster(workers, transport) +
           "  worker: {sync: bsp, concurrency: 16}\n  server: {sync: bsp}\n";
}

/* Builds and runs yaml under kernel k (tick order seed `order`) up to `until`; NULL on failure. */
ShimRun *build_and_run(const std::string &yaml, SimKernelKind k, SimTime until = SIM_TIME_NEVER,
                       uint64_t order = 0)
{
    SimError err;
    sim_error_clear(&err);
    ShimRun *r = shim_build(yaml.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg;
    if (r == nullptr) {
        return nullptr;
    }
    bool ok = shim_run(r, k, until, order, &err);
    EXPECT_TRUE(ok) << err.msg;
    if (!ok) {
        shim_free(r);
        return nullptr;
    }
    return r;
}

std::vector<uint8_t> mem_read(Sim *sim, const char *name, uint64_t addr, uint64_t len)
{
    std::vector<uint8_t> out(len);
    auto *m = static_cast<SimMem *>(sim_find_object(sim, name, "memory"));
    EXPECT_NE(m, nullptr) << name;
    if (m != nullptr && sim_mem_contains(m, addr, len)) {
        sim_mem_read(m, addr, out.data(), len);
    }
    return out;
}

/* Gradient of worker w, iteration i, tensor t: the mem.h pattern of its slot's addresses at
 * version i + 1 (docs/workloads.md section 2). */
std::vector<uint8_t> gradient(const HostPsMap &m, uint32_t w, uint32_t t, uint32_t i)
{
    std::vector<uint8_t> g(m.bytes[t]);
    uint64_t a = m.params + (uint64_t)(1 + w) * m.slot_bytes + m.offset[t];
    mem_pattern_fill(g.data(), a, (uint32_t)g.size(), i + 1);
    return g;
}

std::vector<uint8_t> increment(const HostPsMap &m, uint32_t t, uint32_t i)
{
    std::vector<uint8_t> sum(m.bytes[t], 0);
    for (uint32_t w = 0; w < m.workers; w++) {
        std::vector<uint8_t> g = gradient(m, w, t, i);
        for (size_t j = 0; j < sum.size(); j++) {
            sum[j] = (uint8_t)(sum[j] + g[j]);
        }
    }
    return sum;
}

/* The value of key on the made instance name; "<default>" when not set, "<none>" without it. */
std::string value(SimConfig *c, const std::string &name, const char *key)
{
    for (size_t i = 0; i < sim_config_instance_count(c); i++) {
        if (name == sim_config_instance_name(c, i)) {
            const char *v = sim_config_instance_value(c, i, key);
            return v != nullptr ? v : "<default>";
        }
    }
    return "<none>";
}

TEST(PsCluster, TheSectionWiresLidsAndQueuePairsInPortOrder)
{
    std::string y = cluster(4, "verbs") + "  server: {ps_base: 0x8000000, net_window: 4}\n";
    SimError err;
    sim_error_clear(&err);
    SimConfig *c = sim_config_load_string("t.yaml", y.data(), y.size(), &membox_registry, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    /* 4 x 6 per worker, 6 for the server, the switch */
    EXPECT_EQ(sim_config_instance_count(c), 31u);
    for (unsigned k = 0; k < 4; k++) {
        std::string n = "node" + std::to_string(k);
        EXPECT_EQ(value(c, n, "worker"), std::to_string(k));
        EXPECT_EQ(value(c, n, "transport"), "verbs");
        EXPECT_EQ(value(c, n, "ps_base"), "0x8000000"); /* the server's, copied */
        EXPECT_EQ(value(c, n, "net_window"), "4");
        EXPECT_EQ(value(c, n + "_hca", "lid"), std::to_string(1 + k));
        EXPECT_EQ(value(c, n + "_hca", "dlid"), "5");
        EXPECT_EQ(value(c, n + "_hca", "remote_qp"), std::to_string(k));
        EXPECT_EQ(value(c, n + "_hca", "qps"), "1");
        EXPECT_EQ(value(c, n + "_hca", "bar"), "0xf8000000");
        EXPECT_EQ(value(c, "cable" + std::to_string(k), "domain"), "ib");
    }
    EXPECT_EQ(value(c, "ps_hca", "lid"), "5");
    EXPECT_EQ(value(c, "ps_hca", "qps"), "4");
    EXPECT_EQ(value(c, "ps_hca", "dlid"), "1");
    EXPECT_EQ(value(c, "ps_hca", "dlid_step"), "1");
    EXPECT_EQ(value(c, "ps_hca", "remote_qp_step"), "0");
    EXPECT_EQ(value(c, "ps", "sync"), "async"); /* host.ps's default, TensorFlow's */
    EXPECT_EQ(value(c, "ps", "workers"), "4");
    EXPECT_EQ(value(c, "node3", "workers"), "4");
    EXPECT_EQ(value(c, "ps_mem", "size"), "3GiB");
    EXPECT_EQ(value(c, "ibsw", "ports"), "5");
    sim_config_free(c);
}

TEST(PsCluster, BothTransportsMoveTheRealBytes)
{
    for (const char *tr : {"grpc", "verbs"}) {
        SCOPED_TRACE(tr);
        ShimRun *r = build_and_run(cluster(2, tr), SIM_KERNEL_FAST);
        ASSERT_NE(r, nullptr);
        Sim *sim = shim_sim(r);
        HostPsMap m;
        ASSERT_TRUE(host_ps_map(sim_find_component(sim, "node1"), &m));
        EXPECT_EQ(m.params, 0x4000000u + 0x4000u); /* the server's ps_base, copied */
        EXPECT_EQ(m.buffer_base, 0x1000000u);
        for (uint32_t t = 0; t < m.n_tensors; t++) {
            for (uint32_t w = 0; w < 2; w++) {
                uint64_t a = m.params + (uint64_t)(1 + w) * m.slot_bytes + m.offset[t];
                EXPECT_EQ(mem_read(sim, "ps_mem", a, m.bytes[t]), gradient(m, w, t, 1))
                    << "slot " << w << " tensor " << t;
            }
            std::vector<uint8_t> i0 = increment(m, t, 0), i1 = increment(m, t, 1), want(i0);
            for (size_t j = 0; j < want.size(); j++) {
                want[j] = (uint8_t)(i0[j] + i1[j]);
            }
            EXPECT_EQ(mem_read(sim, "ps_mem", m.params + m.offset[t], m.bytes[t]), want)
                << "parameters, tensor " << t;
            for (const char *host : {"node0_mem", "node1_mem"}) {
                EXPECT_EQ(mem_read(sim, host, m.buffer_base + m.offset[t], m.bytes[t]), i0)
                    << host << " pulled tensor " << t;
            }
        }
        EXPECT_EQ(shim_stat(r, "node0.iterations"), 2.0);
        EXPECT_EQ(shim_stat(r, "node1.iterations"), 2.0);
        shim_free(r);
    }
}

TEST(PsCluster, MessagesSegmentsAndWireBytesAreThoseOfTheDoc)
{
    /* 2 workers x 2 iterations: 3 pulls, 3 pushes and an arrival each; a release each. */
    const double tensors = 3456 + 64000 + 40;
    for (const char *tr : {"grpc", "verbs"}) {
        SCOPED_TRACE(tr);
        ShimRun *r = build_and_run(cluster(2, tr), SIM_KERNEL_FAST);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(shim_stat(r, "ps.pulls"), 12.0);
        EXPECT_EQ(shim_stat(r, "ps.pushes"), 12.0);
        EXPECT_EQ(shim_stat(r, "ps.arrivals"), 4.0);
        EXPECT_EQ(shim_stat(r, "ps.releases"), 4.0);
        EXPECT_EQ(shim_stat(r, "ps.applied_bytes"), 4 * tensors);
        /* the server sends 12 tensors and 4 releases, each one segment (grpc: every message
         * fits 65476 bytes of stream) or one header send (verbs) */
        EXPECT_EQ(shim_stat(r, "ps.segments"), 16.0);
        if (std::string(tr) == "grpc") {
            /* header + data + 44 bytes of TCP/IP and IPoIB headers per segment */
            EXPECT_EQ(shim_stat(r, "ps.wire_bytes"), 4 * tensors + 16 * (128 + 44));
            EXPECT_EQ(shim_stat(r, "ps.rdma_writes"), 0.0);
        } else {
            EXPECT_EQ(shim_stat(r, "ps.wire_bytes"), 4 * tensors + 16 * 128);
            EXPECT_EQ(shim_stat(r, "ps.rdma_writes"), 12.0);
        }
        shim_free(r);
    }
}

TEST(PsCluster, GrpcIterationCoversComputeAndTheCpuCostsOfItsLongestPull)
{
    ShimRun *g = build_and_run(cluster(1, "grpc"), SIM_KERNEL_FAST);
    ShimRun *v = build_and_run(cluster(1, "verbs"), SIM_KERNEL_FAST);
    ASSERT_NE(g, nullptr);
    ASSERT_NE(v, nullptr);
    /* c(b) = 20 us + b / 718 MB/s at each end (section 3): the 64000-byte tensor's pull costs
     * the worker c(128) and c(64000), the server c(128) + c(64000); forward and backward take
     * 20 + 30 us in the trace. */
    auto c = [](double b) { return 20000.0 + b / 0.718; }; /* ns */
    double bound = 2 * (c(128) + c(64000)) + 50000.0;
    EXPECT_GE(shim_stat(g, "node0.iteration_ns.min"), bound);
    /* verbs pays 3 us per message and no copies: far shorter */
    EXPECT_LT(shim_stat(v, "node0.iteration_ns.max"), shim_stat(g, "node0.iteration_ns.min"));
    EXPECT_GT(shim_stat(g, "ps.utilisation"), 0.0);
    shim_free(g);
    shim_free(v);
}

/* Every HCA's stall counters under kernel k (order seed `order`), stopped at `until`. */
std::vector<double> stalls(const std::string &yaml, unsigned workers, SimKernelKind k,
                           uint64_t order = 0, SimTime until = SIM_TIME_NEVER)
{
    std::vector<double> out;
    ShimRun *r = build_and_run(yaml, k, until, order);
    if (r == nullptr) {
        return out;
    }
    for (unsigned w = 0; w <= workers; w++) {
        std::string h = w < workers ? "node" + std::to_string(w) + "_hca" : "ps_hca";
        out.push_back(shim_stat(r, (h + ".tag_stall_cycles").c_str()));
        out.push_back(shim_stat(r, (h + ".window_stall_cycles").c_str()));
    }
    shim_free(r);
    return out;
}

/* ib.hca's tag_stall_cycles and window_stall_cycles (docs/models/ib.md section 7) are kept from
 * the HCA's state, not from the ticks that see it: the fast kernel, which does not tick the HCA
 * at the cycle a stall begins, counts what the every-cycle kernel counts, and a run stopped
 * mid-stall counts the stall up to its end. Before, the fast kernel counted 18023 cycles of the
 * server's 18186 here, and 8554 of its 8975 window cycles with write_window 16. The figures
 * are the every-cycle kernel's, which sees every cycle. */
TEST(PsCluster, StallCountersAreTheSameUnderEveryKernel)
{
    std::string verbs = cluster_bsp16(4, "verbs");
    std::vector<double> every = stalls(verbs, 4, SIM_KERNEL_EVERY_CYCLE);
    ASSERT_EQ(every.size(), 10u);
    EXPECT_EQ(every[8], 18186.0); /* ps_hca.tag_stall_cycles */
    EXPECT_EQ(stalls(verbs, 4, SIM_KERNEL_FAST), every);
    EXPECT_EQ(stalls(verbs, 4, SIM_KERNEL_FAST, 2), every);

    /* a window of half a 64000-byte tensor's 32 packets of 2 KiB: every HCA waits for
     * ACKs too */
    std::string window = verbs + "  hca: {write_window: 16}\n";
    every = stalls(window, 4, SIM_KERNEL_EVERY_CYCLE);
    ASSERT_EQ(every.size(), 10u);
    EXPECT_EQ(every[8], 17651.0);
    EXPECT_EQ(every[9], 8975.0);  /* ps_hca.window_stall_cycles */
    EXPECT_EQ(every[1], 12015.0); /* node0_hca.window_stall_cycles */
    EXPECT_EQ(stalls(window, 4, SIM_KERNEL_FAST), every);

    /* stopped at 53 us, while the server's HCA waits for tags: the open stall counts up to the
     * end (7448 cycles before, under both kernels) */
    const SimTime until = 53000000;
    every = stalls(verbs, 4, SIM_KERNEL_EVERY_CYCLE, 0, until);
    ASSERT_EQ(every.size(), 10u);
    EXPECT_EQ(every[8], 7456.0);
    EXPECT_EQ(stalls(verbs, 4, SIM_KERNEL_FAST, 0, until), every);
}

/* 8 workers over gRPC (configs/ps-ib-8node.yaml): the server's HCA stalls for tags at cycles the
 * fast kernel skips; every statistic agrees (it differed by 30 cycles of tag_stall_cycles). */
TEST(PsCluster, EightWorkersGiveTheSameStatisticsUnderBothKernels)
{
    auto json = [](const std::string &yaml, SimKernelKind k) {
        ShimRun *r = build_and_run(yaml, k);
        if (r == nullptr) {
            return std::string();
        }
        EXPECT_EQ(shim_stat(r, "ps_hca.tag_stall_cycles"), 35332.0);
        char *j = shim_stats_json(r);
        std::string s = j != nullptr ? j : "";
        free(j);
        shim_free(r);
        return s;
    };
    std::string y = cluster_bsp16(8, "grpc");
    std::string fast = json(y, SIM_KERNEL_FAST);
    EXPECT_FALSE(fast.empty());
    EXPECT_EQ(fast, json(y, SIM_KERNEL_EVERY_CYCLE));
}

/* One run capturing one port: the events of that port, pushes or pops. */
std::vector<ShimEvent> port_events(const std::string &yaml, SimKernelKind k, const char *port,
                                   SimTapEvent ev)
{
    std::vector<ShimEvent> out;
    SimError err;
    sim_error_clear(&err);
    ShimRun *r = shim_build(yaml.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg;
    if (r == nullptr) {
        return out;
    }
    EXPECT_TRUE(shim_capture(r, port)) << port;
    EXPECT_TRUE(shim_run(r, k, SIM_TIME_NEVER, 0, &err)) << err.msg;
    for (size_t i = 0; i < shim_event_count(r); i++) {
        if (shim_event(r, i)->ev == ev) {
            out.push_back(*shim_event(r, i));
        }
    }
    shim_free(r);
    return out;
}

/* The server's turnaround of a pull inside the cluster (sections 2, 3 and 5): the PULL's
 * completion reaches ps.server at t_n (the root complex's notify), a core starts the job then
 * and ends it d later, d = c(header's data: none) + c(bytes(t)); the answer's first WQE store
 * leaves on `req` at the first cycle at or after t_n + d. gRPC: c(b) = 20 us + b / 718 MB/s
 * (rounded to the picosecond); verbs: c(b) = 3 us. One worker's first three messages are its
 * pulls of tensors 0, 1, 2 (3456, 64000 and 40 bytes); the answers leave in the order their
 * jobs end. */
TEST(PsCluster, TheServerAnswersAPullItsStageTimeAfterTheCompletion)
{
    const SimTime T = 4000; /* the pcie clock */
    const uint64_t bytes[] = {3456, 64000, 40};
    for (const char *tr : {"grpc", "verbs"}) {
        bool grpc = std::string(tr) == "grpc";
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            SCOPED_TRACE(std::string(tr) + ", kernel " + sim_kernel_name(k));
            std::string y = cluster_bsp16(1, tr);
            auto notify = port_events(y, k, "ps_rc.notify", SIM_TAP_POP);
            auto req = port_events(y, k, "ps.req", SIM_TAP_PUSH);
            ASSERT_GE(notify.size(), 3u);
            std::vector<SimTime> want, got;
            for (int t = 0; t < 3; t++) {
                SimTime d =
                    grpc ? 2 * 20000000 + (SimTime)llround(bytes[t] * 1e12 / 718e6) : 2 * 3000000;
                want.push_back((notify[t].now + d + T - 1) / T * T);
            }
            std::sort(want.begin(), want.end());
            /* the answers' first stores: the send ring (0x100000 .. 0x104000), not the
             * receive WQEs posted again (0x104000 on) nor the doorbells */
            bool prev = false;
            for (const ShimEvent &e : req) {
                bool sq = e.addr >= 0x100000 && e.addr < 0x104000;
                if (sq && !prev && e.now > notify[0].now) {
                    got.push_back(e.now);
                }
                prev = sq;
            }
            ASSERT_GE(got.size(), 3u);
            got.resize(3);
            EXPECT_EQ(got, want);
        }
    }
}

TEST(PsCluster, TheServerReplaysTheTracesRecordedAppliesAndModelsTheRest)
{
    /* traces/ps/tiny-w1-i3-apply-v2.pstrace: iteration 0 warm-up; in each iteration the server
     * applies tensor 0 for 7 us and tensor 1 for 40 us of CPU time (9 and 45 us of wall time);
     * tensor 2 has no apply. apply_time: recorded (the default) replays those two and models
     * the third, so the server's busy time does not depend on apply_tensor but for the third
     * tensor's pushes; apply_time: model depends on it for every push. */
    std::string base = "sim: {allow_cycles: true, payload_blocks: 8192}\n"
                       "domains: {ib: 213.068182MHz}\n"
                       "ps_cluster:\n  workers: 1\n  trace: " +
                       source_root() +
                       "/traces/ps/tiny-w1-i3-apply-v2.pstrace\n  link: " + source_root() +
                       "/configs/ib/fdr.yaml\n";
    struct Case {
        const char *server, *worker;
        double pushes, recorded;
    } cases[] = {{"{}", "{}", 6, 4},
                 {"{warmup: replay}", "{warmup: replay}", 9, 6},
                 {"{apply_time: model}", "{}", 6, 0}};
    for (const Case &c : cases) {
        double busy[2];
        for (int k = 0; k < 2; k++) {
            std::string srv = c.server;
            srv.insert(1, std::string(k ? "apply_tensor: 505us" : "apply_tensor: 5us") +
                              (srv.size() > 2 ? ", " : ""));
            ShimRun *r = build_and_run(base + "  server: " + srv + "\n  worker: " + c.worker + "\n",
                                       SIM_KERNEL_FAST);
            ASSERT_NE(r, nullptr) << c.server;
            EXPECT_EQ(shim_stat(r, "ps.pushes"), c.pushes) << c.server;
            EXPECT_EQ(shim_stat(r, "ps.applies_recorded"), c.recorded) << c.server;
            EXPECT_EQ(shim_stat(r, "ps.applies_modelled"), c.pushes - c.recorded) << c.server;
            busy[k] = shim_stat(r, "ps.busy_ns");
            shim_free(r);
        }
        /* 500 us more per modelled apply, nothing more per recorded one */
        EXPECT_NEAR(busy[1] - busy[0], 500000.0 * (c.pushes - c.recorded), 1e-3) << c.server;
    }
}

} // namespace
