/*
 * membox::Fabric, loosely and approximately timed, against the native trace player
 * (docs/systemc.md, "The Fabric module"). One elaboration (SystemC elaborates once per process):
 * two fabrics of tests/systemc/tlm-2node.yaml side by side, one driven through b_transport,
 * the other through nb_transport, with the same transactions; then, in the same process, the
 * trace player (host.memtrace, tests/systemc/trace-2node.yaml, the same records as traces) run
 * by the built-in kernel.
 *
 * What must hold, from the documented mapping (a transaction is one record '@T' of its node,
 * T = sc_time_stamp() + delay at the call):
 *   - every transaction completes with TLM_OK_RESPONSE, LT at the same time as AT (b_transport
 *     returns at the instant the model completes the record; BEGIN_RESP comes then too);
 *   - reads return what the writes before them stored; LT reads equal AT reads;
 *   - the statistics of both fabrics equal the trace player's byte for byte (the "stats"
 *     section: every latency histogram, every port, the DRAM), so every latency is the one the
 *     models document;
 *   - debug transport reads the written bytes back without timing; DMI is refused.
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "membox_fabric.h"
#include "tlm_traffic.h"

extern "C" {
#include "tests/shim/shim.h"
}

namespace
{

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r != nullptr ? r : ".";
}

std::vector<TrafficItem> node_items(uint64_t base)
{
    using K = membox::AccessExtension;
    const uint64_t us = 1000000;
    return {
        {1 * us, true, base + 0x0, 4096, K::DMA},
        {4 * us, false, base + 0x0, 4096, K::DMA},
        {5 * us, true, base + 0x10040, 64, K::PIO},
        {6 * us, false, base + 0x10040, 64, K::PIO},
        {7 * us, true, base + 0x20000, 1024, K::DMA},
        {7100000, false, base + 0x30000, 1024, K::DMA},
    };
}

/* The "stats" object of a JSON statistics text (braces matched; no key holds one). */
std::string stats_section(const std::string &json)
{
    size_t a = json.find("\"stats\"");
    a = a == std::string::npos ? a : json.find('{', a);
    if (a == std::string::npos) {
        return std::string();
    }
    int depth = 0;
    for (size_t i = a; i < json.size(); i++) {
        depth += json[i] == '{' ? 1 : json[i] == '}' ? -1 : 0;
        if (depth == 0) {
            return json.substr(a, i + 1 - a);
        }
    }
    return std::string();
}

std::string fabric_stats(const membox::Fabric &f)
{
    char *buf = nullptr;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    bool ok = m != nullptr && f.write_stats_json(m);
    if (m != nullptr) {
        fclose(m);
    }
    std::string s = ok ? std::string(buf, len) : std::string();
    free(buf);
    return stats_section(s);
}

/* Stops the run once every initiator is done and both fabrics drained. */
class Controller : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(Controller);
    Controller(sc_core::sc_module_name n, std::vector<TrafficInitiator *> ini,
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

TEST(Fabric, LtAndAtMatchEachOtherAndTheTracePlayer)
{
    const std::string topo = source_root() + "/tests/systemc/tlm-2node.yaml";
    membox::Fabric lt("lt", topo);
    membox::Fabric at("at", topo);
    ASSERT_EQ(lt.sockets(), 2u);
    EXPECT_EQ(lt.node_name(0), "node0");
    EXPECT_EQ(lt.node_name(1), "node1");

    std::vector<TrafficItem> items[2][2]; /* [lt/at][node] */
    std::vector<std::unique_ptr<TrafficInitiator>> inis;
    for (int mode = 0; mode < 2; mode++) {
        membox::Fabric &f = mode == 0 ? lt : at;
        for (int n = 0; n < 2; n++) {
            items[mode][n] = node_items(n == 0 ? 0 : 0x100000);
            std::string name = std::string(mode == 0 ? "lt" : "at") + "_ini" + std::to_string(n);
            inis.emplace_back(new TrafficInitiator(name.c_str(), &items[mode][n], mode == 0));
            inis.back()->socket.bind(f.socket(n));
        }
    }
    std::vector<TrafficInitiator *> ip;
    for (auto &i : inis) {
        ip.push_back(i.get());
    }
    Controller ctl("ctl", ip, {&lt, &at});
    sc_core::sc_start();

    for (int n = 0; n < 2; n++) {
        for (size_t k = 0; k < items[0][n].size(); k++) {
            const TrafficItem &a = items[0][n][k];
            const TrafficItem &b = items[1][n][k];
            SCOPED_TRACE("node" + std::to_string(n) + " item " + std::to_string(k));
            EXPECT_EQ(a.status, tlm::TLM_OK_RESPONSE);
            EXPECT_EQ(b.status, tlm::TLM_OK_RESPONSE);
            EXPECT_EQ(a.done_ps, b.done_ps) << "LT and AT complete at the same instant";
            EXPECT_GT(a.done_ps, a.time_ps);
            EXPECT_GE(b.end_req_ps, b.time_ps) << "END_REQ when the record starts";
            EXPECT_LT(b.end_req_ps, b.done_ps);
            EXPECT_EQ(a.data, b.data) << "LT and AT read the same bytes";
        }
        /* Reads of what was written before (items 1 and 3 read items 0 and 2). */
        for (int mode = 0; mode < 2; mode++) {
            EXPECT_EQ(items[mode][n][1].data, items[mode][n][0].data);
            EXPECT_EQ(items[mode][n][3].data, items[mode][n][2].data);
        }
    }

    /* Debug transport: the bytes node1 wrote at 0x100000, without timing; DMI refused. */
    {
        std::vector<unsigned char> buf(64, 0);
        tlm::tlm_generic_payload gp;
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address(0x100000);
        gp.set_data_ptr(buf.data());
        gp.set_data_length(64);
        gp.set_streaming_width(64);
        EXPECT_EQ(inis[1]->socket->transport_dbg(gp), 64u);
        for (uint32_t b = 0; b < 64; b++) {
            EXPECT_EQ(buf[b], traffic_byte(0x100000 + b, 7));
        }
        tlm::tlm_dmi dmi;
        EXPECT_FALSE(inis[1]->socket->get_direct_mem_ptr(gp, dmi));
        EXPECT_FALSE(dmi.is_read_allowed());
    }

    /* The native trace player on the same records. */
    SimError err;
    sim_error_clear(&err);
    ShimRun *r = shim_build_file((source_root() + "/tests/systemc/trace-2node.yaml").c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    ASSERT_TRUE(shim_run(r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    char *js = shim_stats_json(r);
    std::string native = stats_section(js);
    free(js);
    EXPECT_EQ(lt.sim()->end_time, shim_sim(r)->end_time);
    EXPECT_EQ(at.sim()->end_time, shim_sim(r)->end_time);
    shim_free(r);
    ASSERT_FALSE(native.empty());
    EXPECT_EQ(fabric_stats(lt), native);
    EXPECT_EQ(fabric_stats(at), native);
}

} // namespace

int sc_main(int argc, char *argv[])
{
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
