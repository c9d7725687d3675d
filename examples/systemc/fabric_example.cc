/*
 * A SystemC platform with a MemBox in it (examples/systemc/README.md): membox::Fabric built
 * from membox-tlm.yaml, one traffic initiator per compute node, and the platform's own memory
 * model behind the MemBox. Each initiator writes a 4 KiB block of its own into MemBox memory
 * by DMA (b_transport, loosely timed), reads it back, checks the bytes, then does a 64-byte PIO
 * store and load (AT: nb_transport, four phases), and prints the latencies.
 * Usage: fabric_example [TOPOLOGY.yaml]
 */
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "membox_fabric.h"

namespace
{

/* The platform's memory: a loosely timed target, 50 ns per access (it could be a DRAMSys). */
class Memory : public sc_core::sc_module
{
  public:
    tlm_utils::simple_target_socket<Memory> socket;

    Memory(sc_core::sc_module_name name, size_t size)
        : sc_core::sc_module(name), socket("socket"), bytes_(size, 0)
    {
        socket.register_b_transport(this, &Memory::b_transport);
        socket.register_transport_dbg(this, &Memory::transport_dbg);
    }

  private:
    void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay)
    {
        delay += sc_core::sc_time(50, sc_core::SC_NS);
        gp.set_response_status(transport_dbg(gp) == gp.get_data_length()
                                   ? tlm::TLM_OK_RESPONSE
                                   : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }

    unsigned int transport_dbg(tlm::tlm_generic_payload &gp)
    {
        if (gp.get_address() + gp.get_data_length() > bytes_.size()) {
            return 0;
        }
        unsigned char *p = bytes_.data() + gp.get_address();
        if (gp.is_write()) {
            std::memcpy(p, gp.get_data_ptr(), gp.get_data_length());
        } else if (gp.is_read()) {
            std::memcpy(gp.get_data_ptr(), p, gp.get_data_length());
        }
        return gp.get_data_length();
    }

    std::vector<unsigned char> bytes_;
};

class Initiator : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(Initiator);
    tlm_utils::simple_initiator_socket<Initiator> socket;

    Initiator(sc_core::sc_module_name name, unsigned id)
        : sc_core::sc_module(name), socket("socket"), id_(id)
    {
        socket.register_nb_transport_bw(this, &Initiator::nb_transport_bw);
        SC_THREAD(run);
    }

    bool ok = false;
    bool done = false;
    sc_core::sc_event done_ev;

  private:
    /* One loosely timed transfer: returns its latency. */
    sc_core::sc_time lt(tlm::tlm_command cmd, uint64_t addr, std::vector<unsigned char> &buf,
                        membox::AccessExtension::Kind kind)
    {
        tlm::tlm_generic_payload gp;
        membox::AccessExtension ext(kind);
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(buf.data());
        gp.set_data_length(static_cast<unsigned>(buf.size()));
        gp.set_streaming_width(static_cast<unsigned>(buf.size()));
        gp.set_extension(&ext);
        sc_core::sc_time start = sc_core::sc_time_stamp();
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        socket->b_transport(gp, delay);
        sc_core::wait(delay);
        gp.clear_extension(&ext);
        ok = ok && gp.is_response_ok();
        return sc_core::sc_time_stamp() - start;
    }

    /* One approximately timed transfer: BEGIN_REQ, then wait for BEGIN_RESP. */
    sc_core::sc_time at(tlm::tlm_command cmd, uint64_t addr, std::vector<unsigned char> &buf)
    {
        tlm::tlm_generic_payload gp;
        membox::AccessExtension ext(membox::AccessExtension::PIO);
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(buf.data());
        gp.set_data_length(static_cast<unsigned>(buf.size()));
        gp.set_streaming_width(static_cast<unsigned>(buf.size()));
        gp.set_extension(&ext);
        sc_core::sc_time start = sc_core::sc_time_stamp();
        tlm::tlm_phase phase = tlm::BEGIN_REQ;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        resp_ = false;
        if (socket->nb_transport_fw(gp, phase, delay) != tlm::TLM_COMPLETED) {
            while (!resp_) {
                sc_core::wait(resp_ev_);
            }
        }
        gp.clear_extension(&ext);
        ok = ok && gp.is_response_ok();
        return sc_core::sc_time_stamp() - start;
    }

    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload &gp, tlm::tlm_phase &phase,
                                       sc_core::sc_time &delay)
    {
        if (phase == tlm::BEGIN_RESP) {
            resp_ = true;
            resp_ev_.notify(delay);
            return tlm::TLM_COMPLETED; /* END_RESP implied */
        }
        return tlm::TLM_ACCEPTED; /* END_REQ */
    }

    void run()
    {
        ok = true;
        const uint64_t base = 0x100000ULL * id_;
        std::vector<unsigned char> out(4096), in(4096, 0);
        for (size_t i = 0; i < out.size(); i++) {
            out[i] = static_cast<unsigned char>(i * 7 + id_);
        }
        sc_core::wait(sc_core::sc_time(1, sc_core::SC_US));
        sc_core::sc_time w = lt(tlm::TLM_WRITE_COMMAND, base, out, membox::AccessExtension::DMA);
        sc_core::sc_time r = lt(tlm::TLM_READ_COMMAND, base, in, membox::AccessExtension::DMA);
        ok = ok && in == out;
        std::vector<unsigned char> word(64, static_cast<unsigned char>(0xa0 + id_)), back(64, 0);
        sc_core::sc_time ps = at(tlm::TLM_WRITE_COMMAND, base + 0x10000, word);
        sc_core::sc_time pl = at(tlm::TLM_READ_COMMAND, base + 0x10000, back);
        ok = ok && back == word;
        std::printf("node%u: DMA write 4 KiB %.0f ns, DMA read 4 KiB %.0f ns, PIO store %.0f ns, "
                    "PIO load %.0f ns: %s\n",
                    id_, w.to_seconds() * 1e9, r.to_seconds() * 1e9, ps.to_seconds() * 1e9,
                    pl.to_seconds() * 1e9, ok ? "data ok" : "DATA WRONG");
        done = true;
        done_ev.notify(sc_core::SC_ZERO_TIME);
    }

    unsigned id_;
    bool resp_ = false;
    sc_core::sc_event resp_ev_;
};

class Stop : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(Stop);
    Stop(sc_core::sc_module_name n, std::vector<std::unique_ptr<Initiator>> *inis,
         membox::Fabric *fabric)
        : sc_core::sc_module(n), inis_(inis), fabric_(fabric)
    {
        SC_THREAD(run);
    }

  private:
    void run()
    {
        for (auto &i : *inis_) {
            while (!i->done) {
                sc_core::wait(i->done_ev);
            }
        }
        while (!fabric_->drained()) {
            sc_core::wait(fabric_->drained_event());
        }
        fabric_->finish();
        sc_core::sc_stop();
    }
    std::vector<std::unique_ptr<Initiator>> *inis_;
    membox::Fabric *fabric_;
};

} // namespace

int sc_main(int argc, char *argv[])
{
    std::string topo = argc > 1 ? argv[1] : "membox-tlm.yaml";
    membox::Fabric fabric("membox", topo);
    std::vector<std::unique_ptr<Initiator>> inis;
    for (size_t i = 0; i < fabric.sockets(); i++) {
        std::string name = "cpu_" + fabric.node_name(i);
        inis.emplace_back(new Initiator(name.c_str(), static_cast<unsigned>(i)));
        inis.back()->socket.bind(fabric.socket(i));
    }
    /* Behind the MemBox: the platform's memory on the fabric's initiator socket. */
    std::unique_ptr<Memory> memory;
    if (fabric.memory_sockets() > 0) {
        memory.reset(new Memory("memory", 16u << 20));
        fabric.memory_socket(0).bind(memory->socket);
    }
    Stop stop("stop", &inis, &fabric);
    sc_core::sc_start();
    bool ok = true;
    for (auto &i : inis) {
        ok = ok && i->ok;
    }
    std::printf("fabric drained at %.3f us\n", static_cast<double>(fabric.sim()->end_time) / 1e6);
    return ok ? 0 : 1;
}
