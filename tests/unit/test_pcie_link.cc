/*
 * pcie.link (docs/models/pcie.md): posted-write bandwidth of a large write DMA equals the
 * analytic figure from 128b/130b, SKP ordered sets and TLP framing for MPS 128, 256 and 512,
 * below the 7.88 GB/s raw rate; the DLLPs (Acks, UpdateFCs) ride the other direction at the
 * spec's timer cadence; credits and the replay buffer stall the transmitter when short; both
 * kernels and any tick order give byte-identical statistics.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "models/pcie/pcie.h"
#include "test_pcie_topo.h"

namespace
{

using pcie_topo::Topo;

/* Data-stream bytes per ns of a Gen3 x8 link after 128b/130b and one SKP block per 370. */
double data_rate_gbs()
{
    PciePhy p{8, 370, 0};
    return pcie_phy_data_rate(&p) / 1e9;
}

/* A topology whose host memory (buffers, descriptor and status tables) sits at host_base. */
Topo at_base(uint64_t base, const std::string &trace)
{
    char b[64];
    Topo t;
    t.trace = trace;
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)base);
    std::string hb = b;
    auto plus = [&](uint64_t off) {
        snprintf(b, sizeof(b), "0x%llx", (unsigned long long)(base + off));
        return std::string(b);
    };
    t.host = ", base: " + hb;
    t.rc = ", notify_base: " + plus(0x10000);
    t.node = ", buffer_base: " + plus(0x100000) + ", rd_table: " + plus(0x10000) +
             ", wr_table: " + plus(0x20000);
    t.ad = ", rd_table: " + plus(0x10000) + ", wr_table: " + plus(0x20000);
    return t;
}

void posted_write_bandwidth(uint32_t mps, bool addr64)
{
    SCOPED_TRACE("mps " + std::to_string(mps) + (addr64 ? " 4DW" : " 3DW"));
    std::string m = std::to_string(mps) + "B";
    /* A 4 MiB read of the MemBox: the write DMA sends it to host memory as posted MWrs. */
    Topo t = at_base(addr64 ? 0x100000000ull : 0,
                     pcie_topo::write_trace("bw" + m + ".trace", "@0 R 0x0 4MiB\n"));
    t.rc += ", mps: " + m + ", cpl_max: " + m;
    t.link += ", mps: " + m;
    t.ad += ", mps: " + m;
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    uint32_t header = addr64 ? 16 : 12;
    double analytic = data_rate_gbs() * mps / (mps + PCIE_TLP_FRAMING + header);
    double got = pcie_topo::stat(r, "pcie.up.payload_gbps");
    EXPECT_NEAR(got / analytic, 1.0, 0.005) << "got " << got << " GB/s, analytic " << analytic;
    EXPECT_LT(got, 7.88);
    EXPECT_EQ(pcie_topo::stat(r, "pcie.up.mwr"), 4.0 * 1024 * 1024 / mps + 8 /* status */);
    EXPECT_EQ(pcie_topo::stat(r, "pcie.up.credit_stalls"), 0.0);
    EXPECT_EQ(pcie_topo::stat(r, "pcie.up.replay_stalls"), 0.0);
    /* The Acks and UpdateFCs for the MWrs go down, at most one of each per timer interval
     * (the spec's table for x8 and this MPS) and at least one per interval plus the gap to the
     * next TLP; the up direction carries only start-up DLLPs (doorbell, descriptors). */
    double span =
        pcie_topo::stat(r, "pcie.up.data_end_ns") - pcie_topo::stat(r, "pcie.up.data_start_ns");
    double ack = pcie_spec_ack_symbols(8, mps);
    double tlp_ns = (mps + PCIE_TLP_FRAMING + header) / data_rate_gbs();
    double acks = pcie_topo::stat(r, "pcie.down.acks");
    EXPECT_LE(acks, span / ack + 3);
    EXPECT_GE(acks, span / (ack + tlp_ns + 4) - 3);
    double fcs = pcie_topo::stat(r, "pcie.down.updatefcs");
    EXPECT_LE(fcs, span / ack + 3);
    EXPECT_GE(fcs, span / (ack + tlp_ns + 4) - 3);
    EXPECT_LE(pcie_topo::stat(r, "pcie.up.dllps"), 4.0);
    /* The reference kernel gives the same statistics to the byte. */
    ShimRun *e = pcie_topo::run(t, SIM_KERNEL_EVERY_CYCLE);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(pcie_topo::stats_json(e), pcie_topo::stats_json(r));
    shim_free(e);
    shim_free(r);
}

TEST(PcieLink, PostedWriteBandwidthIsTheAnalyticFigureForMps128)
{
    posted_write_bandwidth(128, false);
    posted_write_bandwidth(128, true);
}

TEST(PcieLink, PostedWriteBandwidthIsTheAnalyticFigureForMps256)
{
    posted_write_bandwidth(256, false);
    posted_write_bandwidth(256, true);
}

TEST(PcieLink, PostedWriteBandwidthIsTheAnalyticFigureForMps512)
{
    posted_write_bandwidth(512, false);
    posted_write_bandwidth(512, true);
}

TEST(PcieLink, CompletionStreamCarriesTheAcksAndUpdateFcsOfTheReadRequests)
{
    /* A read DMA: CplDs go down, MRds go up; the Acks and UpdateFC(NP) for the MRds share the
     * down direction with the completions. The completion payload rate is the TLP figure less
     * the DLLP bytes actually sent. */
    Topo t;
    t.trace = pcie_topo::write_trace("cpl.trace", "@0 W 0x0 4MiB\n");
    t.ad = ", tags: 32";
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    double span =
        pcie_topo::stat(r, "pcie.down.data_end_ns") - pcie_topo::stat(r, "pcie.down.data_start_ns");
    double dllp_share = pcie_topo::stat(r, "pcie.down.dllp_bytes") / (span * data_rate_gbs());
    double analytic = data_rate_gbs() * 256.0 / (256 + 8 + 12) * (1.0 - dllp_share);
    double got = pcie_topo::stat(r, "pcie.down.payload_gbps");
    EXPECT_NEAR(got / analytic, 1.0, 0.005) << got << " vs " << analytic;
    EXPECT_GT(dllp_share, 0.005);
    EXPECT_GT(pcie_topo::stat(r, "pcie.down.acks"), 1000.0);
    EXPECT_GT(pcie_topo::stat(r, "pcie.down.updatefcs"), 1000.0);
    EXPECT_EQ(pcie_topo::stat(r, "pcie.down.cpld"), 4.0 * 1024 * 1024 / 256 + 1 /* fetch */);
    shim_free(r);
}

TEST(PcieLink, ShortPostedCreditsStallTheWriter)
{
    /* The root port advertises room for one 256 B MWr: each one waits for the UpdateFC of the
     * one before. Everything still arrives. */
    Topo t;
    t.trace = pcie_topo::write_trace("cr.trace", "@0 R 0x0 64KiB\n");
    t.link = ", rc_pd: 16, rc_ph: 1";
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    EXPECT_GT(pcie_topo::stat(r, "pcie.up.credit_stalls"), 200.0);
    EXPECT_GT(pcie_topo::stat(r, "pcie.up.credit_stall_ns"), 200.0 * 200);
    EXPECT_LT(pcie_topo::stat(r, "pcie.up.payload_gbps"), 1.0);
    EXPECT_EQ(pcie_topo::stat(r, "rc.dma_write_bytes"), 65536.0 + 4);
    EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 1.0);
    /* The fast kernel wakes the link for an UpdateFC only because a TLP waits for it: the
     * reference kernel, which ticks it at every edge, sends each MWr at the same edge. */
    ShimRun *e = pcie_topo::run(t, SIM_KERNEL_EVERY_CYCLE);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(pcie_topo::stats_json(e), pcie_topo::stats_json(r));
    shim_free(e);
    shim_free(r);
}

TEST(PcieLink, SmallReplayBufferStallsUntilAcked)
{
    Topo t;
    t.trace = pcie_topo::write_trace("rp.trace", "@0 R 0x0 64KiB\n");
    t.link = ", replay_buffer: 600B";
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    EXPECT_GT(pcie_topo::stat(r, "pcie.up.replay_stalls"), 100.0);
    EXPECT_GT(pcie_topo::stat(r, "pcie.up.replay_stall_ns"), 0.0);
    EXPECT_EQ(pcie_topo::stat(r, "pcie.up.credit_stalls"), 0.0);
    EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 1.0);
    /* ... and for an Ack only because a TLP waits for replay room (see above). */
    ShimRun *e = pcie_topo::run(t, SIM_KERNEL_EVERY_CYCLE);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(pcie_topo::stats_json(e), pcie_topo::stats_json(r));
    shim_free(e);
    shim_free(r);
}

TEST(PcieLink, KernelsAndTickOrdersAgreeToTheByte)
{
    Topo t;
    t.trace = pcie_topo::write_trace("mix.trace", "@0 W 0x0 64KiB\n"
                                                  "@0 R 0x100000 32KiB\n"
                                                  "@100ns R 0x40 8 pio\n"
                                                  "+0 W 0x80 64 pio\n"
                                                  "@2us W 0x10000 4KiB\n"
                                                  "+50ns R 0x10000 4KiB\n");
    t.link = ", rc_pd: 64, replay_buffer: 2KiB";
    t.mem_domain = "mem";
    ShimRun *r = pcie_topo::run(t, SIM_KERNEL_FAST, 0);
    ASSERT_NE(r, nullptr);
    std::string base = pcie_topo::stats_json(r);
    EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 6.0);
    shim_free(r);
    struct {
        SimKernelKind k;
        uint64_t order;
    } const runs[] = {{SIM_KERNEL_EVERY_CYCLE, 0},
                      {SIM_KERNEL_FAST, 1},
                      {SIM_KERNEL_FAST, 2},
                      {SIM_KERNEL_EVERY_CYCLE, 3}};
    for (const auto &run : runs) {
        ShimRun *x = pcie_topo::run(t, run.k, run.order);
        ASSERT_NE(x, nullptr);
        EXPECT_EQ(pcie_topo::stats_json(x), base)
            << sim_kernel_name(run.k) << " order " << run.order;
        shim_free(x);
    }
}

TEST(PcieLink, TlpAboveMpsFailsTheRun)
{
    /* The adapter told mps 512B, the link 256B: a clear failure, not a silent wrong figure. */
    Topo t;
    t.trace = pcie_topo::write_trace("mps.trace", "@0 R 0x0 4KiB\n");
    t.ad = ", mps: 512B";
    std::string y = pcie_topo::yaml(t);
    SimError err;
    ShimRun *r = shim_build(y.c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    EXPECT_FALSE(shim_run(r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err));
    EXPECT_NE(std::string(err.msg).find("instance 'pcie': a up TLP carries 512 bytes, above mps "
                                        "256: give every PCIe model the same mps"),
              std::string::npos)
        << err.msg;
    shim_free(r);
}

} // namespace
