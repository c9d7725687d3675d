/*
 * membox::Fabric (membox_fabric.h; docs/systemc.md, "The Fabric module").
 *
 * Time: as sc_kernel.cc does for `--kernel systemc`, each clock domain with members gets an
 * sc_clock and an SC_METHOD on its posedge that ticks every member (every-cycle semantics); the
 * first of them at an instant opens it (sim_instant_begin) and delta-notifies the end-of-instant
 * method, which closes it (sim_instant_end) one delta later. Unlike the kernel, the fabric does
 * not stop when it drains: the user's initiators may send more later. It remembers the instant
 * it drained at (the end time `membox-sim run` would give) and notifies drained_event().
 *
 * Transactions: a host.tlm node (models/host) takes records handed over from outside; the
 * sockets make one record per transaction and the node's hooks report, from inside its tick,
 * when a record started (its first request went to the root complex) and when it completed
 * (its data moved). The hooks only queue these; the deliver method, one delta later, calls the
 * initiators' backward paths and wakes the blocked b_transport calls, so no initiator code runs
 * inside a tick.
 */
#include "membox_fabric.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

extern "C" {
#include "models/dram/dram.h"
#include "models/host/host.h"
#include "models/tlm/tlm.h"
#include "sim/config/config.h"
#include "systems/registry.h"
}

namespace membox
{

namespace
{

const char *const MSG_TYPE = "/membox/fabric";

sc_core::sc_time sc_ps(SimTime ps)
{
    return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(ps));
}

/* A name SystemC accepts for a node's socket (letters, digits, '_'). */
std::string sc_safe(const std::string &s)
{
    std::string r = s;
    for (char &ch : r) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_';
        if (!ok) {
            ch = '_';
        }
    }
    return r;
}

} // namespace

/* One transaction in the cycle model. */
struct Txn {
    tlm::tlm_generic_payload *gp;
    size_t port;
    bool lt;               /* b_transport: a thread waits on `done` */
    bool finished = false; /* LT: completed */
    bool no_resp = false;  /* AT: the initiator completed it at END_REQ */
    sc_core::sc_event *done_ev = nullptr;
};

struct PortState {
    SimComponent *node;
    std::string name;
    std::deque<Txn *> waiting;   /* AT BEGIN_REQs not yet handed over (the node's queue full) */
    std::deque<Txn *> responses; /* AT: completed, BEGIN_RESP not yet sent */
    Txn *resp_open = nullptr;    /* AT: BEGIN_RESP sent, END_RESP awaited */
    sc_core::sc_time resp_after; /* AT: no BEGIN_RESP before (an initiator's END_RESP delay) */
    sc_core::sc_event room;      /* LT: the node's queue has room again */
};

/* A tlm.memory and its initiator socket's payloads, one per id. */
struct MemPort {
    Fabric::Impl *impl;
    Fabric *self;
    size_t index;
    SimComponent *mem;
    std::string name;
    std::vector<std::unique_ptr<tlm::tlm_generic_payload>> gps;
};

struct HookEvent {
    Txn *txn;
    bool done; /* else started */
};

class FabricDomain : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(FabricDomain);

    FabricDomain(sc_core::sc_module_name name, Fabric::Impl *impl, SimDomain *d)
        : sc_core::sc_module(name), impl_(impl), domain_(d),
          clock_("clock", sc_ps(d->period), 0.5, sc_ps(d->phase), true)
    {
        SC_METHOD(edge);
        sensitive << clock_.posedge_event();
        dont_initialize();
    }

  private:
    void edge();

    Fabric::Impl *impl_;
    SimDomain *domain_;
    sc_core::sc_clock clock_;
};

struct Fabric::Impl {
    Fabric *self;
    SimConfig *config = nullptr;
    Sim *sim = nullptr;
    SimError err;
    std::string path;
    std::vector<std::unique_ptr<PortState>> ports;
    std::vector<std::unique_ptr<FabricDomain>> domains;
    std::vector<std::unique_ptr<MemPort>> mems;
    std::vector<HookEvent> events;
    SimComponent *store = nullptr; /* the one dram.ctrl, for debug transport; else none */
    SimTime instant = SIM_TIME_NEVER;
    bool running = false;  /* sim_begin() done, finish() not yet */
    bool finished = false; /* finish() done */
    bool drained = false;
    SimTime drained_at = 0;

    ~Impl()
    {
        sim_free(sim);
        sim_config_free(config);
    }

    void domain_edge(SimDomain *d)
    {
        if (!running) {
            return;
        }
        const SimTime t = sc_core::sc_time_stamp().value();
        if (instant != t) {
            assert(instant == SIM_TIME_NEVER);
            sim_instant_begin(sim, t);
            instant = t;
            self->end_of_instant_.notify(sc_core::SC_ZERO_TIME);
        }
        sim_domain_edge(sim, d, t, true);
    }

    static void mem_done(MemPort *mp, uint32_t id, SimTime t, SimTime now)
    {
        tlm::tlm_generic_payload &gp = *mp->gps[id];
        if (!gp.is_response_ok()) {
            tlm_memory_fail(mp->mem, id, gp.get_response_string().c_str());
            return;
        }
        tlm_memory_complete(mp->mem, id, t, now);
    }

    /* tlm.memory's bridge: one request out on the initiator socket (from its tick). */
    static void mem_request(void *ctx, const TlmMemRequest *r)
    {
        MemPort *mp = static_cast<MemPort *>(ctx);
        tlm::tlm_generic_payload &gp = *mp->gps[r->id];
        gp.set_command(r->write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(r->addr);
        gp.set_data_ptr(r->data);
        gp.set_data_length(r->len);
        gp.set_streaming_width(r->len);
        gp.set_byte_enable_ptr(nullptr);
        gp.set_byte_enable_length(0);
        gp.set_dmi_allowed(false);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        tlm::tlm_phase phase = tlm::BEGIN_REQ;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        const SimTime now = sc_core::sc_time_stamp().value();
        initiator_socket_type &s = *mp->self->mem_sockets_[mp->index];
        tlm::tlm_sync_enum st = s->nb_transport_fw(gp, phase, delay);
        const SimTime t = now + delay.value();
        if (st == tlm::TLM_COMPLETED) {
            mem_done(mp, r->id, t, now);
        } else if (st == tlm::TLM_UPDATED && phase == tlm::END_REQ) {
            tlm_memory_accepted(mp->mem, t);
        } else if (st == tlm::TLM_UPDATED && phase == tlm::BEGIN_RESP) {
            mem_done(mp, r->id, t, now);
            tlm::tlm_phase end = tlm::END_RESP;
            sc_core::sc_time d = sc_core::SC_ZERO_TIME;
            s->nb_transport_fw(gp, end, d);
        }
    }

    static void hook_started(void *ctx, void *rec, SimTime now)
    {
        Impl *impl = static_cast<Impl *>(ctx);
        impl->events.push_back(HookEvent{static_cast<Txn *>(rec), false});
        impl->self->deliver_ev_.notify(sc_core::SC_ZERO_TIME);
    }

    static void hook_done(void *ctx, void *rec, SimTime now)
    {
        Impl *impl = static_cast<Impl *>(ctx);
        impl->events.push_back(HookEvent{static_cast<Txn *>(rec), true});
        impl->self->deliver_ev_.notify(sc_core::SC_ZERO_TIME);
    }

    /* Why gp cannot go (a TLM response status other than OK, and r filled if it can). */
    tlm::tlm_response_status record_of(size_t port, tlm::tlm_generic_payload &gp,
                                       const sc_core::sc_time &delay, Txn *txn, HostTlmRecord *r)
    {
        if (!running) {
            return tlm::TLM_GENERIC_ERROR_RESPONSE;
        }
        if (gp.get_byte_enable_ptr() != nullptr) {
            return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
        }
        if (gp.get_streaming_width() < gp.get_data_length()) {
            return tlm::TLM_BURST_ERROR_RESPONSE;
        }
        AccessExtension *ext = nullptr;
        gp.get_extension(ext);
        const SimTime now = sc_core::sc_time_stamp().value();
        *r = HostTlmRecord{};
        r->addr = gp.get_address();
        r->size = gp.get_data_length();
        r->write = gp.is_write() ? 1 : 0;
        r->access = ext == nullptr                      ? HOST_TLM_DEFAULT
                    : ext->kind == AccessExtension::DMA ? HOST_TLM_DMA
                    : ext->kind == AccessExtension::PIO ? HOST_TLM_PIO
                                                        : HOST_TLM_DEFAULT;
        r->time = now + delay.value();
        r->arrival = now;
        r->data = gp.get_data_ptr();
        r->ctx = txn;
        if (gp.get_data_length() != r->size) {
            return tlm::TLM_BURST_ERROR_RESPONSE; /* longer than 4 GiB */
        }
        char why[256];
        switch (host_tlm_problem(ports[port]->node, r, why, sizeof(why))) {
        case HOST_TLM_OK:
            return tlm::TLM_OK_RESPONSE;
        case HOST_TLM_BAD_ADDRESS:
            return tlm::TLM_ADDRESS_ERROR_RESPONSE;
        default:
            return tlm::TLM_BURST_ERROR_RESPONSE;
        }
    }

    bool has_room(size_t port) const
    {
        const SimComponent *n = ports[port]->node;
        return host_tlm_waiting(n) < host_tlm_queue_size(n);
    }

    void submit(size_t port, const HostTlmRecord &r)
    {
        drained = false;
        host_tlm_submit(ports[port]->node, &r);
    }

    /* AT: the BEGIN_REQs that wait for room in the node's queue, in order. */
    void submit_waiting(size_t port)
    {
        PortState &ps = *ports[port];
        while (!ps.waiting.empty() && has_room(port)) {
            Txn *t = ps.waiting.front();
            ps.waiting.pop_front();
            HostTlmRecord r;
            /* Checked at BEGIN_REQ; handed over now: it may start after now. */
            tlm::tlm_response_status st = record_of(port, *t->gp, sc_core::SC_ZERO_TIME, t, &r);
            assert(st == tlm::TLM_OK_RESPONSE);
            (void)st;
            submit(port, r);
        }
    }

    void release(Txn *t)
    {
        if (t->gp->has_mm()) {
            t->gp->release();
        }
        delete t;
    }

    /* AT: sends the ready BEGIN_RESPs of a port, one open at a time. */
    void respond(size_t port)
    {
        PortState &ps = *ports[port];
        while (ps.resp_open == nullptr && !ps.responses.empty()) {
            if (sc_core::sc_time_stamp() < ps.resp_after) {
                self->deliver_ev_.notify(ps.resp_after - sc_core::sc_time_stamp());
                return;
            }
            Txn *t = ps.responses.front();
            ps.responses.pop_front();
            tlm::tlm_phase phase = tlm::BEGIN_RESP;
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            t->gp->set_response_status(tlm::TLM_OK_RESPONSE);
            ps.resp_open = t;
            tlm::tlm_sync_enum s = (*self->sockets_[port])->nb_transport_bw(*t->gp, phase, delay);
            if (s == tlm::TLM_COMPLETED || (s == tlm::TLM_UPDATED && phase == tlm::END_RESP)) {
                ps.resp_open = nullptr;
                ps.resp_after = sc_core::sc_time_stamp() + delay;
                release(t);
            }
        }
    }
};

void FabricDomain::edge()
{
    impl_->domain_edge(domain_);
}

Fabric::Fabric(sc_core::sc_module_name name, const std::string &topology)
    : sc_core::sc_module(name), impl_(new Impl)
{
    Impl &m = *impl_;
    m.self = this;
    m.path = topology;
    sim_error_clear(&m.err);
    if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1.0, sc_core::SC_PS)) {
        SC_REPORT_ERROR(MSG_TYPE, "the SystemC time resolution must be 1 ps");
        return;
    }
    m.config = sim_config_load_file(topology.c_str(), &membox_registry, &m.err);
    if (m.config == nullptr || (m.sim = sim_new()) == nullptr ||
        !sim_config_build(m.config, m.sim, &m.err)) {
        SC_REPORT_ERROR(MSG_TYPE,
                        m.sim == nullptr && m.config != nullptr ? "out of memory" : m.err.msg);
        return;
    }
    Sim *sim = m.sim;
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        const SimDomain *d = sim->domains[i];
        if (d->n_members != 0 && d->period < 2) {
            std::string msg = std::string("clock domain '") + d->name +
                              "': a period below 2 ps is too short for a SystemC clock";
            SC_REPORT_ERROR(MSG_TYPE, msg.c_str());
            return;
        }
    }
    HostTlmHooks hooks = {&Impl::hook_started, &Impl::hook_done, &m};
    size_t n_stores = 0;
    for (uint32_t i = 0; i < sim->n_components; i++) {
        SimComponent *c = sim->components[i];
        uint8_t probe;
        if (dram_ctrl_debug_read(c, 0, &probe, 0)) {
            m.store = c;
            n_stores++;
        }
        if (tlm_memory_is(c)) {
            m.mems.emplace_back(new MemPort);
            MemPort &mp = *m.mems.back();
            mp.impl = &m;
            mp.self = this;
            mp.index = m.mems.size() - 1;
            mp.mem = c;
            mp.name = c->name;
            for (uint32_t k = 0; k < tlm_memory_slots(c); k++) {
                mp.gps.emplace_back(new tlm::tlm_generic_payload);
            }
            TlmMemBridge b = {&Impl::mem_request, &mp};
            tlm_memory_bind(c, &b);
            continue;
        }
        if (!host_tlm_is(c)) {
            continue;
        }
        host_tlm_set_hooks(c, &hooks);
        m.ports.emplace_back(new PortState);
        m.ports.back()->node = c;
        m.ports.back()->name = c->name;
    }
    if (n_stores != 1) {
        m.store = nullptr; /* several MemBoxes (or none): which one would be ambiguous */
    }
    /* Every record of a run may be started and done in one instant at most once each. */
    size_t most = 0;
    for (const auto &ps : m.ports) {
        most += host_tlm_queue_size(ps->node) + 128;
    }
    m.events.reserve(2 * most);
    for (size_t i = 0; i < m.ports.size(); i++) {
        std::string sname = sc_safe(m.ports[i]->name);
        sockets_.emplace_back(new target_socket_type(sname.c_str()));
        target_socket_type &s = *sockets_.back();
        s.register_b_transport(this, &Fabric::b_transport, static_cast<int>(i));
        s.register_nb_transport_fw(this, &Fabric::nb_transport_fw, static_cast<int>(i));
        s.register_transport_dbg(this, &Fabric::transport_dbg, static_cast<int>(i));
        s.register_get_direct_mem_ptr(this, &Fabric::get_direct_mem_ptr, static_cast<int>(i));
    }
    for (size_t i = 0; i < m.mems.size(); i++) {
        std::string sname = sc_safe(m.mems[i]->name);
        mem_sockets_.emplace_back(new initiator_socket_type(sname.c_str()));
        mem_sockets_.back()->register_nb_transport_bw(this, &Fabric::mem_transport_bw,
                                                      static_cast<int>(i));
    }
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        SimDomain *d = sim->domains[i];
        if (d->n_members == 0) {
            continue;
        }
        std::string dname = "domain" + std::to_string(d->index);
        m.domains.emplace_back(new FabricDomain(dname.c_str(), &m, d));
    }
    SC_METHOD(instant_end);
    sensitive << end_of_instant_;
    dont_initialize();
    SC_METHOD(deliver);
    sensitive << deliver_ev_;
    dont_initialize();

    SimRunOptions o;
    sim_run_options_default(&o);
    sim_config_run_options(m.config, &o);
    o.kernel = SIM_KERNEL_EVERY_CYCLE;
    o.until = SIM_TIME_NEVER;
    if (!sim_begin(sim, &o, &m.err)) {
        SC_REPORT_ERROR(MSG_TYPE, m.err.msg);
        return;
    }
    m.running = true;
}

Fabric::~Fabric() = default;

size_t Fabric::sockets() const
{
    return sockets_.size();
}

Fabric::target_socket_type &Fabric::socket(size_t i)
{
    return *sockets_.at(i);
}

Fabric::target_socket_type &Fabric::socket(const std::string &node)
{
    for (size_t i = 0; i < impl_->ports.size(); i++) {
        if (impl_->ports[i]->name == node) {
            return *sockets_[i];
        }
    }
    std::string msg = "no host.tlm node '" + node + "' in " + impl_->path;
    SC_REPORT_ERROR(MSG_TYPE, msg.c_str());
    return *sockets_.at(impl_->ports.size()); /* not reached: the report throws */
}

const std::string &Fabric::node_name(size_t i) const
{
    return impl_->ports.at(i)->name;
}

size_t Fabric::memory_sockets() const
{
    return mem_sockets_.size();
}

Fabric::initiator_socket_type &Fabric::memory_socket(size_t i)
{
    return *mem_sockets_.at(i);
}

Fabric::initiator_socket_type &Fabric::memory_socket(const std::string &instance)
{
    for (size_t i = 0; i < impl_->mems.size(); i++) {
        if (impl_->mems[i]->name == instance) {
            return *mem_sockets_[i];
        }
    }
    std::string msg = "no tlm.memory instance '" + instance + "' in " + impl_->path;
    SC_REPORT_ERROR(MSG_TYPE, msg.c_str());
    return *mem_sockets_.at(impl_->mems.size()); /* not reached: the report throws */
}

const std::string &Fabric::memory_name(size_t i) const
{
    return impl_->mems.at(i)->name;
}

tlm::tlm_sync_enum Fabric::mem_transport_bw(int id, tlm::tlm_generic_payload &gp,
                                            tlm::tlm_phase &phase, sc_core::sc_time &delay)
{
    MemPort &mp = *impl_->mems.at(static_cast<size_t>(id));
    size_t slot = 0;
    while (slot < mp.gps.size() && mp.gps[slot].get() != &gp) {
        slot++;
    }
    if (slot == mp.gps.size()) {
        SC_REPORT_ERROR(MSG_TYPE, "nb_transport_bw: a payload the fabric did not send");
        return tlm::TLM_COMPLETED;
    }
    const SimTime now = sc_core::sc_time_stamp().value();
    const SimTime t = now + delay.value();
    if (!impl_->running) {
        return tlm::TLM_COMPLETED;
    }
    if (phase == tlm::END_REQ) {
        tlm_memory_accepted(mp.mem, t);
        return tlm::TLM_ACCEPTED;
    }
    if (phase == tlm::BEGIN_RESP) {
        Impl::mem_done(&mp, static_cast<uint32_t>(slot), t, now);
        return tlm::TLM_COMPLETED; /* END_RESP */
    }
    SC_REPORT_ERROR(MSG_TYPE, "nb_transport_bw: only END_REQ and BEGIN_RESP come back");
    return tlm::TLM_COMPLETED;
}

Sim *Fabric::sim() const
{
    return impl_->sim;
}

bool Fabric::drained() const
{
    return impl_->drained;
}

const sc_core::sc_event &Fabric::drained_event() const
{
    return drained_ev_;
}

void Fabric::instant_end()
{
    Impl &m = *impl_;
    if (!m.running) {
        return;
    }
    SimStep step = sim_instant_end(m.sim, &m.err);
    m.instant = SIM_TIME_NEVER;
    if (step == SIM_STEP_FAILED) {
        m.running = false;
        sim_end(m.sim, m.sim->now);
        m.finished = true;
        SC_REPORT_ERROR(MSG_TYPE, m.err.msg);
        return;
    }
    /* A fabric with transactions still waiting to be handed over is not drained either. */
    bool waiting = false;
    for (const auto &ps : m.ports) {
        waiting = waiting || !ps->waiting.empty();
    }
    if (step == SIM_STEP_DONE && !m.drained && !waiting) {
        m.drained = true;
        m.drained_at = m.sim->end_time;
        drained_ev_.notify(sc_core::SC_ZERO_TIME);
    }
}

void Fabric::deliver()
{
    Impl &m = *impl_;
    /* In the order the hooks reported them; a backward call may hand over more (re-entry
     * appends, which is why this indexes instead of iterating). */
    for (size_t k = 0; k < m.events.size(); k++) {
        HookEvent e = m.events[k];
        Txn *t = e.txn;
        PortState &ps = *m.ports[t->port];
        if (!e.done) {
            ps.room.notify(sc_core::SC_ZERO_TIME);
            m.submit_waiting(t->port);
            if (!t->lt) {
                tlm::tlm_phase phase = tlm::END_REQ;
                sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
                tlm::tlm_sync_enum s = (*sockets_[t->port])->nb_transport_bw(*t->gp, phase, delay);
                if (s == tlm::TLM_COMPLETED) {
                    t->no_resp = true;
                }
            }
            continue;
        }
        if (t->lt) {
            t->finished = true;
            t->done_ev->notify(sc_core::SC_ZERO_TIME);
        } else if (t->no_resp) {
            m.release(t);
        } else {
            ps.responses.push_back(t);
            m.respond(t->port); /* before a later END_REQ of this delta: the model's order */
        }
    }
    m.events.clear();
    for (size_t i = 0; i < m.ports.size(); i++) {
        m.respond(i);
    }
}

void Fabric::b_transport(int id, tlm::tlm_generic_payload &gp, sc_core::sc_time &delay)
{
    Impl &m = *impl_;
    size_t port = static_cast<size_t>(id);
    if (gp.get_command() == tlm::TLM_IGNORE_COMMAND) {
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    sc_core::sc_event done;
    Txn t{&gp, port, true};
    t.done_ev = &done;
    HostTlmRecord r;
    /* The issue time is the initiator's local time: now + delay. */
    while (m.running && !m.has_room(port)) {
        sc_core::wait(m.ports[port]->room);
    }
    tlm::tlm_response_status st = m.record_of(port, gp, delay, &t, &r);
    if (st != tlm::TLM_OK_RESPONSE) {
        gp.set_response_status(st);
        return;
    }
    m.submit(port, r);
    while (!t.finished) {
        sc_core::wait(done);
    }
    delay = sc_core::SC_ZERO_TIME; /* now is the completion time */
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

tlm::tlm_sync_enum Fabric::nb_transport_fw(int id, tlm::tlm_generic_payload &gp,
                                           tlm::tlm_phase &phase, sc_core::sc_time &delay)
{
    Impl &m = *impl_;
    size_t port = static_cast<size_t>(id);
    PortState &ps = *m.ports[port];
    if (phase == tlm::BEGIN_REQ) {
        if (gp.get_command() == tlm::TLM_IGNORE_COMMAND) {
            gp.set_response_status(tlm::TLM_OK_RESPONSE);
            phase = tlm::BEGIN_RESP;
            return tlm::TLM_COMPLETED;
        }
        Txn *t = new Txn{&gp, port, false};
        HostTlmRecord r;
        tlm::tlm_response_status st = m.record_of(port, gp, delay, t, &r);
        if (st != tlm::TLM_OK_RESPONSE) {
            delete t;
            gp.set_response_status(st);
            phase = tlm::BEGIN_RESP;
            return tlm::TLM_COMPLETED;
        }
        if (gp.has_mm()) {
            gp.acquire();
        }
        if (ps.waiting.empty() && m.has_room(port)) {
            m.submit(port, r);
        } else {
            ps.waiting.push_back(t); /* END_REQ waits until the node has room and starts it */
        }
        return tlm::TLM_ACCEPTED;
    }
    if (phase == tlm::END_RESP) {
        if (ps.resp_open == nullptr || ps.resp_open->gp != &gp) {
            SC_REPORT_ERROR(MSG_TYPE, "END_RESP for a transaction with no BEGIN_RESP open");
            return tlm::TLM_COMPLETED;
        }
        m.release(ps.resp_open);
        ps.resp_open = nullptr;
        ps.resp_after = sc_core::sc_time_stamp() + delay;
        deliver_ev_.notify(sc_core::SC_ZERO_TIME); /* the next BEGIN_RESP, if any */
        return tlm::TLM_COMPLETED;
    }
    SC_REPORT_ERROR(MSG_TYPE, "nb_transport_fw: only BEGIN_REQ and END_RESP go forward");
    return tlm::TLM_COMPLETED;
}

unsigned int Fabric::transport_dbg(int id, tlm::tlm_generic_payload &gp)
{
    Impl &m = *impl_;
    uint64_t addr = gp.get_address();
    unsigned int len = gp.get_data_length();
    HostTlmRecord r{};
    r.addr = addr;
    r.size = len;
    r.access = HOST_TLM_PIO; /* only the window matters here */
    char why[256];
    if (len == 0 || host_tlm_problem(m.ports[static_cast<size_t>(id)]->node, &r, why,
                                     sizeof(why)) == HOST_TLM_BAD_ADDRESS) {
        return 0;
    }
    if (m.store == nullptr && m.mems.size() == 1) {
        return (*mem_sockets_[0])->transport_dbg(gp); /* the external memory's own */
    }
    if (m.store == nullptr) {
        return 0;
    }
    bool ok = false;
    if (gp.is_read()) {
        ok = dram_ctrl_debug_read(m.store, addr, gp.get_data_ptr(), len);
    } else if (gp.is_write()) {
        ok = dram_ctrl_debug_write(m.store, addr, gp.get_data_ptr(), len);
    }
    gp.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
    return ok ? len : 0;
}

bool Fabric::get_direct_mem_ptr(int id, tlm::tlm_generic_payload &gp, tlm::tlm_dmi &dmi)
{
    /* Refused for the whole address space: every access goes through the cycle model. */
    dmi.allow_none();
    dmi.set_start_address(0);
    dmi.set_end_address(~static_cast<sc_dt::uint64>(0));
    return false;
}

void Fabric::finish()
{
    Impl &m = *impl_;
    if (m.finished || m.sim == nullptr) {
        return;
    }
    m.finished = true;
    if (m.running) {
        m.running = false;
        sim_end(m.sim, m.drained ? m.drained_at : m.sim->now);
    }
}

void Fabric::end_of_simulation()
{
    finish();
}

bool Fabric::write_stats_json(std::FILE *f) const
{
    const Impl &m = *impl_;
    if (!m.finished) {
        return false;
    }
    SimRunInfo info{};
    info.config = m.path.c_str();
    info.seed = m.sim->options.seed;
    info.kernel = "systemc";
    info.end_time = m.sim->end_time;
    info.activations = m.sim->activations;
    return sim_stats_write_json(m.sim->stats, &info, f);
}

} // namespace membox
