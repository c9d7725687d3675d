/*
 * membox::Fabric, approximately timed: END_REQ is the node starting the record, so it is held
 * back while the node cannot start it (docs/systemc.md, "Back-pressure"). tests/systemc/
 * tlm-bp.yaml: node0 with `outstanding: 2`, node1 with the default 16.
 *
 *   - node0, eight 4 KiB DMA reads all due at 0: never more than two between END_REQ and
 *     BEGIN_RESP, and the END_REQ of read k (k >= 2) not before the BEGIN_RESP of read k - 2
 *     (its slot frees when that one completes);
 *   - node1, 48 PIO stores of 64 B all due at 0 (posted: each completes when the root complex
 *     took it): the node could start one per 4 ns cycle, but the root complex's MMIO queue
 *     towards the adapter fills, so some END_REQ comes more than a cycle after the one before
 *     while fewer than 16 are in flight: that hold is the PCIe path's, not the slot limit's.
 *   - node0's initiator completes each BEGIN_RESP at once (TLM_COMPLETED); node1's answers
 *     TLM_ACCEPTED and sends END_RESP 1 ns later, and the next BEGIN_RESP of its socket waits
 *     for it (so its initiator may see more than 16 between END_REQ and BEGIN_RESP: those
 *     completed in the model and wait for their BEGIN_RESP).
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "membox_fabric.h"
#include "tlm_traffic.h"

namespace
{

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r != nullptr ? r : ".";
}

class Stopper : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(Stopper);
    Stopper(sc_core::sc_module_name n, TrafficInitiator *a, TrafficInitiator *b, membox::Fabric *f)
        : sc_core::sc_module(n), a_(a), b_(b), f_(f)
    {
        SC_THREAD(run);
    }

  private:
    void run()
    {
        while (!a_->finished()) {
            sc_core::wait(a_->finished_event());
        }
        while (!b_->finished()) {
            sc_core::wait(b_->finished_event());
        }
        while (!f_->drained()) {
            sc_core::wait(f_->drained_event());
        }
        f_->finish();
        sc_core::sc_stop();
    }
    TrafficInitiator *a_;
    TrafficInitiator *b_;
    membox::Fabric *f_;
};

TEST(FabricBackPressure, EndReqWaitsForTheNodeAndTheAdapter)
{
    membox::Fabric f("fabric", source_root() + "/tests/systemc/tlm-bp.yaml");
    ASSERT_EQ(f.sockets(), 2u);
    using K = membox::AccessExtension;
    std::vector<TrafficItem> reads;
    for (uint64_t k = 0; k < 8; k++) {
        reads.push_back({0, false, 0x1000 * k, 4096, K::DMA});
    }
    std::vector<TrafficItem> stores;
    for (uint64_t k = 0; k < 48; k++) {
        stores.push_back({0, true, 0x200000 + 64 * k, 64, K::PIO});
    }
    TrafficInitiator i0("i0", &reads, false, false);
    TrafficInitiator i1("i1", &stores, false, true);
    i0.socket.bind(f.socket("node0"));
    i1.socket.bind(f.socket("node1"));
    Stopper stop("stop", &i0, &i1, &f);
    sc_core::sc_start();

    EXPECT_LE(i0.max_in_flight, 2u);
    EXPECT_EQ(i0.max_in_flight, 2u);
    for (size_t k = 0; k < reads.size(); k++) {
        SCOPED_TRACE("read " + std::to_string(k));
        EXPECT_EQ(reads[k].status, tlm::TLM_OK_RESPONSE);
        EXPECT_LT(reads[k].end_req_ps, reads[k].done_ps);
        if (k >= 2) {
            EXPECT_GE(reads[k].end_req_ps, reads[k - 2].done_ps);
        }
        if (k >= 1) {
            EXPECT_GT(reads[k].done_ps, reads[k - 1].done_ps) << "BEGIN_RESPs one at a time";
        }
    }

    const uint64_t cycle = 4000; /* the node's 250 MHz clock */
    size_t held = 0;
    for (size_t k = 0; k < stores.size(); k++) {
        SCOPED_TRACE("store " + std::to_string(k));
        EXPECT_EQ(stores[k].status, tlm::TLM_OK_RESPONSE);
        if (k >= 1 && stores[k].end_req_ps - stores[k - 1].end_req_ps > cycle &&
            stores[k].in_flight_before < 16) {
            held++;
        }
    }
    EXPECT_GT(held, 0u) << "no END_REQ was held back by the PCIe path";
    EXPECT_GT(stores.back().end_req_ps - stores.front().end_req_ps, cycle * (stores.size() - 1));
}

} // namespace

int sc_main(int argc, char *argv[])
{
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
