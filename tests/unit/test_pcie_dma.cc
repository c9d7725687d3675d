/*
 * The adapter's DMA engines end to end (docs/models/pcie.md, "DMA"): 1 MiB each way arrives
 * intact and in order; the transfer time of a large DMA is its start-up latency (that of a
 * one-TLP DMA) plus the rest at the PCIe stage's rate (the slowest stage in front of an ideal
 * memory), within 0.5%; descriptors wrap the 128-entry ring; the ring and the outstanding limit
 * hold many small DMAs.
 */
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "models/host/host.h"
#include "models/pcie/pcie.h"
#include "models/proto/mem.h"
#include "sim/core/region.h"
#include "test_pcie_topo.h"

namespace
{

using pcie_topo::Topo;

constexpr uint64_t BUF = 0x100000; /* the node's default buffer_base */
constexpr uint32_t MIB = 1u << 20;

double data_rate_gbs()
{
    PciePhy p{8, 370, 0};
    return pcie_phy_data_rate(&p) / 1e9;
}

TEST(PcieDma, OneMebibyteEachWayArrivesIntactAndInOrder)
{
    /* Host memory and the MemBox both start with the mem.h pattern of version 0 of their own
     * addresses; W copies host buffer -> MemBox 0, R copies MemBox 1 MiB -> host buffer + 1 MiB
     * (the node's buffer mapping: buffer_base + address mod buffer_size). */
    Topo t;
    t.trace = pcie_topo::write_trace("dma1m.trace", "@0 W 0x0 1MiB\n+0 R 0x100000 1MiB\n");
    t.host = ", init: pattern";
    t.mem = ", init: pattern, size: 16MiB";
    t.mem_domain = "mem";
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        ShimRun *r = pcie_topo::run(t, k, 0, "ad.mem_req", "ad.tx");
        ASSERT_NE(r, nullptr);
        Sim *sim = shim_sim(r);
        auto *host = static_cast<SimMem *>(sim_find_object(sim, "hmem", "memory"));
        SimComponent *mem = sim_find_component(sim, "mem");
        ASSERT_NE(host, nullptr);
        ASSERT_NE(mem, nullptr);
        std::vector<uint8_t> got(MIB), want(MIB);
        /* host -> MemBox */
        ASSERT_TRUE(mem_ideal_read(mem, 0, got.data(), MIB));
        mem_pattern_fill(want.data(), BUF, MIB, 0);
        EXPECT_EQ(memcmp(got.data(), want.data(), MIB), 0) << "read DMA data differ";
        /* MemBox -> host */
        sim_mem_read(host, BUF + MIB, got.data(), MIB);
        mem_pattern_fill(want.data(), MIB, MIB, 0);
        EXPECT_EQ(memcmp(got.data(), want.data(), MIB), 0) << "write DMA data differ";
        /* In order: the Avalon writes of the read DMA and the MWrs of the write DMA each walk
         * their range upwards, every byte once. */
        uint64_t next_w = 0, next_mwr = BUF + MIB;
        for (size_t i = 0; i < shim_event_count(r); i++) {
            const ShimEvent *e = shim_event(r, i);
            if (e->ev != SIM_TAP_PUSH) {
                continue;
            }
            if (e->type == MEM_WRITE) {
                EXPECT_EQ(e->addr, next_w);
                next_w = e->addr + e->len;
            } else if (e->type == PCIE_TLP_MWR && e->addr >= BUF) {
                EXPECT_EQ(e->addr, next_mwr);
                next_mwr = e->addr + e->len;
            }
        }
        EXPECT_EQ(next_w, MIB);
        EXPECT_EQ(next_mwr, BUF + 2 * MIB);
        EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 2.0);
        EXPECT_EQ(pcie_topo::stat(r, "ad.rd_descriptors"), 2.0); /* 512 KiB each (desc_max) */
        EXPECT_EQ(pcie_topo::stat(r, "ad.wr_descriptors"), 2.0);
        shim_free(r);
    }
}

/* The node's latency of a single DMA record. */
double dma_latency(const std::string &name, const std::string &rec)
{
    Topo t;
    t.trace = pcie_topo::write_trace(name, rec);
    ShimRun *r = pcie_topo::run(t);
    EXPECT_NE(r, nullptr);
    if (r == nullptr) {
        return 0;
    }
    double v = pcie_topo::stat(r, "node.latency_ns.max");
    shim_free(r);
    return v;
}

/* ---- the start-up chain of docs/models/pcie.md ("DMA start-up"), with every default ---- */

constexpr SimTime NS = 1000;
constexpr SimTime P = 4 * NS;

SimTime edge(SimTime t)
{
    return (t + P - 1) / P * P;
}

/* One direction's data stream, idle at first: a TLP pushed to the link at t (the link takes
 * it at t + P) goes back to back behind the previous one or at the first symbol time after
 * t + P + tx; returns when the receiving end takes it from its port. */
struct Stream {
    SimTime tx, rx;
    uint64_t free_b = 0;
    SimTime hop(SimTime t, uint32_t bytes)
    {
        PciePhy phy{8, 370, 0};
        uint64_t b = pcie_phy_place(&phy, free_b, t + P + tx);
        free_b = b + bytes;
        return edge(pcie_phy_packet_end(&phy, b, bytes) + 2 * NS + rx) + P;
    }
};

/* Node starts at 0: descriptor write at 0 and doorbell at P; returns when the data mover may
 * start on the descriptor. */
SimTime descriptor_ready(Stream &dn, Stream &upw)
{
    SimTime rc_db = 2 * P;                              /* the rc takes the doorbell */
    SimTime ad_db = dn.hop(edge(rc_db + 300 * NS), 24); /* MWr 3DW + 4 B */
    SimTime fetch = ad_db + 4 * P;                      /* desc_cycles: fetch MRd pushed */
    SimTime rc_rd = upw.hop(fetch, 20);                 /* MRd 3DW */
    SimTime ad_cpl = dn.hop(edge(rc_rd + 200 * NS), 12 + 32 + 8); /* CplD of the descriptor */
    return ad_cpl + 4 * P;                                        /* desc_cycles */
}

TEST(PcieDma, StartUpOfOneTlpDmasIsTheDocumentedChain)
{
    /* The chain of docs/models/pcie.md with every default, except Ack and UpdateFC timers long
     * enough that no DLLP takes the stream during the chain (with the defaults one may, and
     * shift a step by a symbol time). */
    Topo t;
    t.link = ", ack_latency: 50us, fc_interval: 50us";
    {
        /* Write DMA (R, MemBox -> host), 256 B: Avalon read into mem.ideal (latency 10, same
         * clock), one MWr and the status MWr right behind it, write_latency to the poll. */
        Stream dn{50 * NS, 120 * NS}, upw{100 * NS, 70 * NS};
        SimTime d = descriptor_ready(dn, upw);
        SimTime vis = d + P + 10 * P + P;            /* read pushed, taken, answered, visible */
        upw.hop(vis, 12 + 256 + 8);                  /* the data MWr */
        SimTime status_at_rc = upw.hop(vis + P, 24); /* the status MWr (3DW + 4 B) */
        SimTime want = edge(status_at_rc + 100 * NS) + P;
        t.trace = pcie_topo::write_trace("chain-r.trace", "@0 R 0x0 256\n");
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            ShimRun *r = pcie_topo::run(t, k);
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(pcie_topo::stat(r, "node.latency_ns.max") * NS, (double)want);
            shim_free(r);
        }
    }
    {
        /* Read DMA (W, host -> MemBox), 256 B: data MRd up, read_latency, CplD down, the
         * Avalon write (4 beats: pushed at its last), its acknowledgement, the status MWr. */
        Stream dn{50 * NS, 120 * NS}, upw{100 * NS, 70 * NS};
        SimTime d = descriptor_ready(dn, upw);
        SimTime rc_rd = upw.hop(d, 20);
        SimTime ad_cpl = dn.hop(edge(rc_rd + 200 * NS), 12 + 256 + 8);
        SimTime ack_vis = ad_cpl + 3 * P + P + 10 * P + P;
        SimTime want = edge(upw.hop(ack_vis, 24) + 100 * NS) + P;
        t.trace = pcie_topo::write_trace("chain-w.trace", "@0 W 0x0 256\n");
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            ShimRun *r = pcie_topo::run(t, k);
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(pcie_topo::stat(r, "node.latency_ns.max") * NS, (double)want);
            shim_free(r);
        }
    }
    /* The worked example of the document, with every default: */
    EXPECT_EQ(dma_latency("ex-r.trace", "@0 R 0x0 256\n"), 1468.0);
    EXPECT_EQ(dma_latency("ex-w.trace", "@0 W 0x0 256\n"), 2048.0);
}

TEST(PcieDma, WriteDmaTimeIsStartupPlusPostedWriteRate)
{
    /* MemBox -> host: MWrs of 256 B (3-DW header: 276 wire bytes) back to back; nothing else
     * rides the up direction once data flow. */
    double small = dma_latency("wsmall.trace", "@0 R 0x0 256\n");
    double big = dma_latency("wbig.trace", "@0 R 0x0 1MiB\n");
    double per_tlp = 276.0 / data_rate_gbs();
    double want = small + (MIB / 256 - 1) * per_tlp;
    EXPECT_NEAR(big / want, 1.0, 0.005) << big << " ns, bound " << want << " ns";
}

TEST(PcieDma, ReadDmaTimeIsStartupPlusCompletionRate)
{
    /* host -> MemBox: CplDs of 256 B come down, sharing the direction with one Ack and one
     * UpdateFC(NP) per spec interval (203 ns at x8 and MPS 256) for the MRds going up; the
     * analytic figure counts those DLLPs at that interval plus half the MRd spacing. */
    double small = dma_latency("rsmall.trace", "@0 W 0x0 256\n");
    double big = dma_latency("rbig.trace", "@0 W 0x0 1MiB\n");
    double rate = data_rate_gbs();
    double per_tlp = 276.0 / rate;
    double mrd_gap = 2 * per_tlp; /* one 512 B MRd per two completions */
    double dllp_share = 2.0 * PCIE_DLLP_BYTES / rate / (203.0 + mrd_gap / 2);
    double want = small + (MIB / 256 - 1) * per_tlp / (1.0 - dllp_share);
    EXPECT_NEAR(big / want, 1.0, 0.005) << big << " ns, bound " << want << " ns";
}

TEST(PcieDma, ManySmallDmasWrapTheDescriptorRing)
{
    /* 600 DMAs of 4 KiB each way, 64 in flight: the 128-entry rings wrap several times. */
    std::string body;
    for (int i = 0; i < 300; i++) {
        char line[96];
        snprintf(line, sizeof(line), "@0 W 0x%x 4KiB\n@0 R 0x%x 4KiB\n", i * 4096,
                 0x800000 + i * 4096);
        body += line;
    }
    Topo t;
    t.trace = pcie_topo::write_trace("ring.trace", body);
    t.node = ", outstanding: 64";
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 600.0);
    EXPECT_EQ(pcie_topo::stat(r, "ad.rd_descriptors"), 300.0);
    EXPECT_EQ(pcie_topo::stat(r, "ad.wr_descriptors"), 300.0);
    EXPECT_EQ(pcie_topo::stat(r, "ad.rd_bytes"), 300.0 * 4096);
    EXPECT_EQ(pcie_topo::stat(r, "ad.wr_bytes"), 300.0 * 4096);
    /* Both directions busy at once: more than one link's worth in total. */
    EXPECT_GT(pcie_topo::stat(r, "node.throughput_gbps"), 8.0);
    EXPECT_LE(pcie_topo::stat(r, "ad.tags_busy.max"), 16.0);
    shim_free(r);
}

TEST(PcieDma, LargeRecordUsesManyDescriptorsAndAllTags)
{
    /* 5 MiB in 64 KiB descriptors: 80 descriptors in one record, fetched 16 per MRd (mrrs
     * 512 B / 32 B). */
    Topo t;
    t.trace = pcie_topo::write_trace("many.trace", "@0 W 0x0 5MiB\n");
    t.node = ", desc_max: 64KiB";
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(pcie_topo::stat(r, "node.descriptors"), 80.0);
    EXPECT_EQ(pcie_topo::stat(r, "ad.rd_descriptors"), 80.0);
    EXPECT_EQ(pcie_topo::stat(r, "ad.fetch_reads"), 5.0);
    EXPECT_EQ(pcie_topo::stat(r, "ad.tags_busy.max"), 16.0);
    EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 1.0);
    shim_free(r);
}

} // namespace
