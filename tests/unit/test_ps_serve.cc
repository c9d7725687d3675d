/*
 * PsServe (models/host/ps_serve.h, docs/models/ps-server.md section 2): the parameter server's
 * software as a timed stage. Every job's time against the doc's formulas, to the picosecond:
 * pulls and pushes under both transports, the FIFO over the cores, the memory bandwidth shared
 * by the busy cores, and the barrier (BSP: all workers; async: each on its own). And the
 * arithmetic of PsNet (ps_net.h, the doc's section 6): segments and wire bytes of a gRPC message,
 * the host memory of a QP's slots.
 */
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "models/host/ps_net.h"
#include "models/host/ps_serve.h"

namespace
{

constexpr SimTime NS = 1000;
constexpr SimTime US = 1000 * NS;

/* 1 GB/s: 1 ns per byte, so every byte time is exact. */
constexpr double GBS = 1e9;

struct Server {
    std::vector<uint64_t> bytes;
    PsServeParams p{};
    PsServe s{};

    Server(int transport, uint32_t cores, uint32_t workers, bool async = false)
        : bytes{4096, 1000, 64}
    {
        p.cores = cores;
        p.workers = workers;
        p.async = async;
        p.cost.transport = transport;
        p.cost.grpc_msg = 20 * US;
        p.cost.grpc_rate = GBS;
        p.cost.verbs_msg = 3 * US;
        p.apply_tensor = 5 * US;
        p.apply_rate = 2 * GBS; /* 0.5 ns per byte */
        p.mem_bw = 0;
        p.ctrl_bytes = 64;
        p.n_tensors = static_cast<uint32_t>(bytes.size());
        p.bytes = bytes.data();
    }
    void init()
    {
        ASSERT_TRUE(ps_serve_init(&s, &p));
    }
    ~Server()
    {
        ps_serve_destroy(&s);
    }
    void recv(uint8_t kind, uint16_t w, uint32_t t, uint64_t b, SimTime now, uint32_t count = 0)
    {
        PsServeMsg m{};
        m.kind = kind;
        m.worker = w;
        m.tensor = t;
        m.iter = 0;
        m.count = count;
        m.bytes = b;
        ASSERT_TRUE(ps_serve_receive(&s, &m, now));
        ASSERT_TRUE(ps_serve_step(&s, now));
    }
    /* Runs to the end; every message made, with the instant it was made. */
    std::vector<std::pair<SimTime, PsServeMsg>> run()
    {
        std::vector<std::pair<SimTime, PsServeMsg>> out;
        SimTime now = 0;
        for (;;) {
            const PsServeMsg *m;
            while ((m = ps_serve_peek(&s)) != nullptr) {
                out.emplace_back(now, *m);
                ps_serve_pop(&s);
            }
            SimTime next = ps_serve_next(&s);
            if (next == SIM_TIME_NEVER) {
                return out;
            }
            now = next;
            EXPECT_TRUE(ps_serve_step(&s, now));
        }
    }
};

TEST(PsServe, GrpcPullIsTwoMessagesAndBothPayloadsAtTheCopyRate)
{
    Server sv(PS_TRANSPORT_GRPC, 1, 1);
    sv.init();
    sv.recv(PS_SERVE_PULL, 0, 0, 64, 0);
    auto out = sv.run();
    ASSERT_EQ(out.size(), 1u);
    /* recv(64) + send(4096) = 2 x 20 us + (64 + 4096) ns */
    EXPECT_EQ(out[0].first, 40 * US + 4160 * NS);
    EXPECT_EQ(out[0].second.kind, PS_SERVE_TENSOR);
    EXPECT_EQ(out[0].second.bytes, 4096u);
    EXPECT_EQ(sv.s.st.busy, out[0].first);
    EXPECT_EQ(sv.s.st.bytes_out, 4096u);
}

TEST(PsServe, GrpcPushIsReceiveThenApply)
{
    Server sv(PS_TRANSPORT_GRPC, 1, 1);
    sv.init();
    sv.recv(PS_SERVE_PUSH, 0, 1, 1000, 7 * NS);
    sv.recv(PS_SERVE_ARRIVE, 0, 0, 64, 7 * NS, 1);
    auto out = sv.run();
    /* push: 20 us + 1000 ns + 5 us + 500 ns; then the arrival 20 us + 64 ns; then the release
     * 20 us + 64 ns */
    SimTime push = 20 * US + 1000 * NS + 5 * US + 500 * NS;
    SimTime arrive = 20 * US + 64 * NS;
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].second.kind, PS_SERVE_RELEASE);
    EXPECT_EQ(out[0].first, 7 * NS + push + arrive + arrive);
    EXPECT_EQ(sv.s.st.applied_bytes, 1000u);
    EXPECT_EQ(sv.s.st.wait, push); /* the arrival waited for the push; the release for none */
}

TEST(PsServe, VerbsCostsOnlyPerMessageAndTheApply)
{
    Server sv(PS_TRANSPORT_VERBS, 1, 1);
    sv.init();
    sv.recv(PS_SERVE_PULL, 0, 0, 64, 0);
    sv.recv(PS_SERVE_PUSH, 0, 0, 4096, 0);
    auto out = sv.run();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first, 6 * US);
    /* the push after it: 3 us + 5 us + 2048 ns */
    EXPECT_EQ(sv.s.st.busy, 6 * US + 8 * US + 2048 * NS);
}

TEST(PsServe, JobsTakeTheCoresInArrivalOrder)
{
    Server sv(PS_TRANSPORT_VERBS, 2, 1);
    sv.init();
    for (int k = 0; k < 5; k++) {
        sv.recv(PS_SERVE_PULL, 0, static_cast<uint32_t>(k % 3), 64, 0);
    }
    auto out = sv.run();
    ASSERT_EQ(out.size(), 5u);
    /* two at a time, 6 us each: ends 6, 6, 12, 12, 18 us, in arrival order */
    SimTime want[5] = {6 * US, 6 * US, 12 * US, 12 * US, 18 * US};
    for (int k = 0; k < 5; k++) {
        EXPECT_EQ(out[k].first, want[k]) << k;
        EXPECT_EQ(out[k].second.tensor, static_cast<uint32_t>(k % 3)) << k;
    }
    EXPECT_EQ(sv.s.st.max_queue, 3u); /* the fifth found three waiting, itself included */
}

TEST(PsServe, MemoryBandwidthIsSharedByTheBusyCores)
{
    Server sv(PS_TRANSPORT_GRPC, 2, 1);
    sv.p.mem_bw = 2 * GBS; /* one copying core: min(1, 2 / 2) = 1 GB/s; two: 0.5 GB/s */
    sv.init();
    EXPECT_DOUBLE_EQ(ps_serve_rate(&sv.s, GBS, PS_SERVE_COPY_TRAFFIC, 1), GBS);
    EXPECT_DOUBLE_EQ(ps_serve_rate(&sv.s, GBS, PS_SERVE_COPY_TRAFFIC, 2), GBS / 2);
    EXPECT_DOUBLE_EQ(ps_serve_rate(&sv.s, 2 * GBS, PS_SERVE_APPLY_TRAFFIC, 1), 2 * GBS / 3);
    sv.recv(PS_SERVE_PULL, 0, 0, 64, 0);
    sv.recv(PS_SERVE_PULL, 0, 0, 64, 0);
    auto out = sv.run();
    ASSERT_EQ(out.size(), 2u);
    /* The first started alone (1 GB/s), the second with two busy (0.5 GB/s): the rate is fixed
     * when a job starts. */
    EXPECT_EQ(out[0].first, 40 * US + 4160 * NS);
    EXPECT_EQ(out[1].first, 40 * US + 8320 * NS);
}

TEST(PsServe, BspReleasesEveryWorkerWhenTheLastArrivesAndItsPushesAreApplied)
{
    Server sv(PS_TRANSPORT_VERBS, 4, 2);
    sv.init();
    sv.recv(PS_SERVE_PUSH, 0, 2, 64, 0);
    sv.recv(PS_SERVE_ARRIVE, 0, 0, 64, 0, 1);
    /* worker 1 arrives first, counting a push that comes later */
    sv.recv(PS_SERVE_ARRIVE, 1, 0, 64, 0, 1);
    auto out = sv.run();
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(sv.s.st.arrivals, 2u);
    sv.recv(PS_SERVE_PUSH, 1, 2, 64, 100 * US);
    out = sv.run();
    /* the push: 3 + 5 us + 32 ns; then both releases in parallel, 3 us */
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].first, 100 * US + 11 * US + 32 * NS);
    EXPECT_EQ(out[0].second.worker, 0u);
    EXPECT_EQ(out[1].second.worker, 1u);
    EXPECT_EQ(out[1].first, out[0].first);
    EXPECT_EQ(sv.s.st.releases, 2u);
    EXPECT_FALSE(ps_serve_busy(&sv.s));
}

TEST(PsServe, AsyncReleasesEachWorkerOnItsOwn)
{
    Server sv(PS_TRANSPORT_VERBS, 1, 2, true);
    sv.init();
    sv.recv(PS_SERVE_ARRIVE, 1, 0, 64, 0, 0);
    auto out = sv.run();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].second.kind, PS_SERVE_RELEASE);
    EXPECT_EQ(out[0].second.worker, 1u);
    EXPECT_EQ(out[0].first, 6 * US);
}

TEST(PsNet, GrpcMessagesAreSegmentsOfTheIpoibMtuWithTheirTcpIpHeaders)
{
    PsNetParams p{};
    p.transport = PS_TRANSPORT_GRPC;
    p.header = 128;
    p.seg = 65520;
    p.window = 8;
    /* 65476 bytes of stream per segment */
    EXPECT_EQ(ps_net_grpc_segments(&p, 0), 1u);
    EXPECT_EQ(ps_net_grpc_wire(&p, 0), 128u + 44u);
    EXPECT_EQ(ps_net_grpc_segments(&p, 65476 - 128), 1u);
    EXPECT_EQ(ps_net_grpc_segments(&p, 65476 - 127), 2u);
    /* ResNet-50's largest tensor, 9437184 bytes: 145 segments */
    EXPECT_EQ(ps_net_grpc_segments(&p, 9437184), 145u);
    EXPECT_EQ(ps_net_grpc_wire(&p, 9437184), 128u + 9437184u + 44u * 145u);
    EXPECT_EQ(ps_net_qp_bytes(&p), 3u * 8u * 65520u);
    p.transport = PS_TRANSPORT_VERBS;
    EXPECT_EQ(ps_net_qp_bytes(&p), 3u * 8u * 128u);
}

} // namespace
