/*
 * membox::Fabric: a MemBox fabric as a SystemC module with TLM-2.0 target sockets
 * (docs/systemc.md, "The Fabric module").
 *
 * The module is built from a YAML topology (docs/config.md); every model of it runs unchanged,
 * advanced in SystemC time as under `membox-sim run --kernel systemc` (one sc_clock and one
 * SC_METHOD per clock domain, every member ticking at every edge). Each compute node of type
 * host.tlm gets one target socket, named after the node:
 *
 *   - b_transport (loosely timed): the transaction becomes one record of the node, which issues
 *     it through its root complex and PCIe adapter as a DMA transfer or a PIO access. The call
 *     blocks (wait) until the cycle model completes it and returns with the delay 0, so that
 *     sc_time_stamp() on return is the completion time. The incoming delay is the issue time:
 *     the record starts at the node's first edge at or after sc_time_stamp() + delay.
 *   - nb_transport_fw / nb_transport_bw (approximately timed, the base protocol's four phases):
 *     BEGIN_REQ hands the record over (TLM_ACCEPTED); END_REQ comes back on the backward path
 *     when the node starts it, that is when its first request enters the root complex: a full
 *     adapter holds END_REQ back. BEGIN_RESP comes when the record completes; the initiator
 *     answers END_RESP (or TLM_COMPLETED / TLM_UPDATED with END_RESP).
 *   - transport_dbg: reads or writes the MemBox's functional store at once, no timing.
 *   - get_direct_mem_ptr: always refused (false): every access must go through the cycle model.
 *
 * DMA or PIO: an AccessExtension on the payload decides; without one, the node's `access`
 * parameter (default dma). Addresses are byte offsets in the MemBox window (0 .. window - 1).
 *
 * Each tlm.memory instance (models/tlm: a MemBox whose memory is `dram: {type: tlm.memory}`)
 * gets one initiator socket, named after the instance, to be bound to the platform's memory
 * model (a DRAMSys, a simple memory): the arbiter's requests go out on it approximately timed
 * (nb_transport_fw BEGIN_REQ; the target's END_REQ lets the next one go; BEGIN_RESP completes
 * it, answered TLM_COMPLETED). A target that only implements b_transport works through
 * tlm_utils::simple_target_socket's own conversion. Debug transport on a node's socket is
 * then forwarded to that memory.
 */
#ifndef MEMBOX_SIM_FABRIC_H
#define MEMBOX_SIM_FABRIC_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/kernel.h"

namespace membox
{

/* Chooses how a transaction crosses the adapter: a DMA transfer or a PIO access. */
class AccessExtension : public tlm::tlm_extension<AccessExtension>
{
  public:
    enum Kind {
        DEFAULT = 0, /* the node's `access` parameter */
        DMA,
        PIO
    };

    explicit AccessExtension(Kind k = DEFAULT) : kind(k)
    {
    }

    tlm::tlm_extension_base *clone() const override
    {
        return new AccessExtension(kind);
    }

    void copy_from(const tlm::tlm_extension_base &e) override
    {
        kind = static_cast<const AccessExtension &>(e).kind;
    }

    Kind kind;
};

class Fabric : public sc_core::sc_module
{
  public:
    typedef tlm_utils::simple_target_socket_tagged<Fabric> target_socket_type;
    typedef tlm_utils::simple_initiator_socket_tagged<Fabric> initiator_socket_type;
    SC_HAS_PROCESS(Fabric);

    /*
     * Loads and builds the topology (a path; relative trace paths are relative to it). Errors
     * (the file, a model's build) are reported as SystemC errors (SC_REPORT_ERROR, message type
     * "/membox/fabric"), with the loader's file:line:col message.
     */
    Fabric(sc_core::sc_module_name name, const std::string &topology);
    ~Fabric() override;

    /* One socket per host.tlm node, in the topology's instance order. */
    size_t sockets() const;
    target_socket_type &socket(size_t i);
    /* The socket of the node of that instance name; SC_REPORT_ERROR if there is none. */
    target_socket_type &socket(const std::string &node);
    const std::string &node_name(size_t i) const;

    /* One initiator socket per tlm.memory instance, in instance order. */
    size_t memory_sockets() const;
    initiator_socket_type &memory_socket(size_t i);
    initiator_socket_type &memory_socket(const std::string &instance);
    const std::string &memory_name(size_t i) const;

    /* The cycle model (statistics, ports), for tools and tests. */
    Sim *sim() const;

    /* Whether the fabric holds no work, and the event notified when it becomes so. */
    bool drained() const;
    const sc_core::sc_event &drained_event() const;

    /*
     * Ends the cycle model and closes its statistics, once: at the instant it last drained when
     * it is drained now (as `membox-sim run` ends a run), else at the last instant. Called by
     * end_of_simulation() too. Transactions after it get TLM_GENERIC_ERROR_RESPONSE.
     */
    void finish();
    /* The statistics as `membox-sim run --stats` writes them (JSON); finish() first. */
    bool write_stats_json(std::FILE *f) const;

    struct Impl; /* fabric.cc */

  private:
    void b_transport(int id, tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
    tlm::tlm_sync_enum nb_transport_fw(int id, tlm::tlm_generic_payload &gp, tlm::tlm_phase &phase,
                                       sc_core::sc_time &delay);
    unsigned int transport_dbg(int id, tlm::tlm_generic_payload &gp);
    bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload &gp, tlm::tlm_dmi &dmi);
    tlm::tlm_sync_enum mem_transport_bw(int id, tlm::tlm_generic_payload &gp, tlm::tlm_phase &phase,
                                        sc_core::sc_time &delay);
    void end_of_simulation() override;
    void deliver();
    void instant_end();

    std::unique_ptr<Impl> impl_;
    std::vector<std::unique_ptr<target_socket_type>> sockets_;
    std::vector<std::unique_ptr<initiator_socket_type>> mem_sockets_;
    sc_core::sc_event deliver_ev_;
    sc_core::sc_event end_of_instant_;
    sc_core::sc_event drained_ev_;
};

} // namespace membox

#endif
