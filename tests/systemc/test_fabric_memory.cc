/*
 * membox::Fabric with the MemBox's memory an external TLM-2.0 target (tlm.memory,
 * docs/systemc.md "A TLM memory behind the MemBox"). tests/systemc/tlm-extmem.yaml, twice in one
 * elaboration: behind one fabric a memory answering in 100 ns, behind the other in 200 ns (a
 * loosely timed target: b_transport adds its latency to the delay; simple_target_socket turns
 * the fabric's nb_transport into it). Through node0's socket: a 4 KiB DMA write, its read back,
 * a 64 B PIO store and its load, far enough apart that each runs alone. The memory takes one
 * request at a time: simple_target_socket's conversion sends no END_REQ, so the BEGIN_RESP
 * (which implies it) lets the next request go.
 *   - the bytes are in the external memory (its own array) and come back;
 *   - debug transport on the node's socket reaches the external memory;
 *   - each Avalon request of the adapter reaches the target once (the arbiter unchanged):
 *     tlm.memory's reads and writes equal the adapter's Avalon reads and writes;
 *   - a PIO load is one read at the target: its latency grows by exactly the 100 ns the
 *     second memory adds (every clock on its path divides 100 ns, so the whole schedule shifts).
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "membox_fabric.h"
#include "tlm_traffic.h"

extern "C" {
#include "sim/core/stats.h"
}

namespace
{

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r != nullptr ? r : ".";
}

/* A loosely timed memory: latency added to the delay, bytes in an array. */
class LtMemory : public sc_core::sc_module
{
  public:
    tlm_utils::simple_target_socket<LtMemory> socket;
    std::vector<unsigned char> bytes;
    sc_core::sc_time latency;
    unsigned long requests = 0;

    LtMemory(sc_core::sc_module_name n, size_t size, sc_core::sc_time lat)
        : sc_core::sc_module(n), socket("socket"), bytes(size, 0), latency(lat)
    {
        socket.register_b_transport(this, &LtMemory::b_transport);
        socket.register_transport_dbg(this, &LtMemory::transport_dbg);
    }

  private:
    void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay)
    {
        requests++;
        if (gp.get_address() + gp.get_data_length() > bytes.size()) {
            gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        copy(gp);
        delay += latency;
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }

    unsigned int transport_dbg(tlm::tlm_generic_payload &gp)
    {
        if (gp.get_address() + gp.get_data_length() > bytes.size()) {
            return 0;
        }
        copy(gp);
        return gp.get_data_length();
    }

    void copy(tlm::tlm_generic_payload &gp)
    {
        unsigned char *p = bytes.data() + gp.get_address();
        if (gp.is_write()) {
            std::memcpy(p, gp.get_data_ptr(), gp.get_data_length());
        } else if (gp.is_read()) {
            std::memcpy(gp.get_data_ptr(), p, gp.get_data_length());
        }
    }
};

class Stopper : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(Stopper);
    Stopper(sc_core::sc_module_name n, std::vector<TrafficInitiator *> ini,
            std::vector<membox::Fabric *> fab)
        : sc_core::sc_module(n), ini_(ini), fab_(fab)
    {
        SC_THREAD(run);
    }

  private:
    void run()
    {
        for (TrafficInitiator *i : ini_) {
            while (!i->finished()) {
                sc_core::wait(i->finished_event());
            }
        }
        for (membox::Fabric *f : fab_) {
            while (!f->drained()) {
                sc_core::wait(f->drained_event());
            }
            f->finish();
        }
        sc_core::sc_stop();
    }
    std::vector<TrafficInitiator *> ini_;
    std::vector<membox::Fabric *> fab_;
};

std::vector<TrafficItem> items()
{
    using K = membox::AccessExtension;
    const uint64_t us = 1000000;
    return {
        {1 * us, true, 0x1000, 4096, K::DMA},
        {8 * us, false, 0x1000, 4096, K::DMA},
        {20 * us, true, 0x20040, 64, K::PIO},
        {21 * us, false, 0x20040, 64, K::PIO},
    };
}

double stat(const membox::Fabric &f, const char *key)
{
    double v = -1;
    EXPECT_TRUE(sim_stats_get(f.sim()->stats, key, &v)) << key;
    return v;
}

TEST(FabricMemory, AnExternalTargetBehindTheArbiter)
{
    const std::string topo = source_root() + "/tests/systemc/tlm-extmem.yaml";
    membox::Fabric fa("fa", topo);
    membox::Fabric fb("fb", topo);
    ASSERT_EQ(fa.memory_sockets(), 1u);
    EXPECT_EQ(fa.memory_name(0), "mb_ddr3");
    LtMemory ma("ma", 4u << 20, sc_core::sc_time(100, sc_core::SC_NS));
    LtMemory mb("mb", 4u << 20, sc_core::sc_time(200, sc_core::SC_NS));
    fa.memory_socket("mb_ddr3").bind(ma.socket);
    fb.memory_socket(0).bind(mb.socket);
    std::vector<TrafficItem> ia = items(), ib = items();
    TrafficInitiator ta("ta", &ia, true);
    TrafficInitiator tb("tb", &ib, false);
    ta.socket.bind(fa.socket("node0"));
    tb.socket.bind(fb.socket("node0"));
    Stopper stop("stop", {&ta, &tb}, {&fa, &fb});
    sc_core::sc_start();

    for (auto *v : {&ia, &ib}) {
        for (const TrafficItem &it : *v) {
            EXPECT_EQ(it.status, tlm::TLM_OK_RESPONSE);
        }
        EXPECT_EQ((*v)[1].data, (*v)[0].data);
        EXPECT_EQ((*v)[3].data, (*v)[2].data);
    }
    for (const LtMemory *m : {&ma, &mb}) {
        for (uint32_t b = 0; b < 4096; b++) {
            ASSERT_EQ(m->bytes[0x1000 + b], traffic_byte(0x1000 + b, 7)) << b;
        }
        for (uint32_t b = 0; b < 64; b++) {
            ASSERT_EQ(m->bytes[0x20040 + b], traffic_byte(0x20040 + b, 7)) << b;
        }
    }

    /* Debug transport through the node's socket reaches the external memory. */
    std::vector<unsigned char> buf(16, 0);
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(0x1000);
    gp.set_data_ptr(buf.data());
    gp.set_data_length(16);
    gp.set_streaming_width(16);
    EXPECT_EQ(ta.socket->transport_dbg(gp), 16u);
    EXPECT_EQ(buf[5], traffic_byte(0x1005, 7));

    for (const membox::Fabric *f : {&fa, &fb}) {
        EXPECT_EQ(stat(*f, "mb_ddr3.reads"), stat(*f, "node0_ad.avalon_reads"));
        EXPECT_EQ(stat(*f, "mb_ddr3.writes"), stat(*f, "node0_ad.avalon_writes"));
        EXPECT_EQ(stat(*f, "mb_arb.grants"),
                  stat(*f, "mb_ddr3.reads") + stat(*f, "mb_ddr3.writes"));
    }
    EXPECT_EQ(static_cast<double>(ma.requests),
              stat(fa, "mb_ddr3.reads") + stat(fa, "mb_ddr3.writes"));
    uint64_t la = ia[3].done_ps - ia[3].time_ps;
    uint64_t lb = ib[3].done_ps - ib[3].time_ps;
    EXPECT_EQ(lb - la, 100000u) << la << " " << lb;
}

} // namespace

int sc_main(int argc, char *argv[])
{
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
