/*
 * Traffic initiators for the membox::Fabric tests: a list of transactions (as trace records
 * '@T'), sent through one socket loosely timed (b_transport) or approximately timed
 * (nb_transport, the four phases), with the times each phase came back.
 */
#ifndef MEMBOX_TESTS_TLM_TRAFFIC_H
#define MEMBOX_TESTS_TLM_TRAFFIC_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "membox_fabric.h"

struct TrafficItem {
    TrafficItem(uint64_t t, bool w, uint64_t a, uint32_t n, membox::AccessExtension::Kind k)
        : time_ps(t), write(w), addr(a), size(n), access(k)
    {
    }
    uint64_t time_ps; /* the issue time: the record's '@' */
    bool write;
    uint64_t addr;
    uint32_t size;
    membox::AccessExtension::Kind access;
    /* filled by the run */
    std::vector<unsigned char> data; /* write: sent; read: received */
    uint64_t end_req_ps = 0;         /* AT: END_REQ came back */
    size_t in_flight_before = 0;     /* AT: others between END_REQ and BEGIN_RESP then */
    uint64_t done_ps = 0;            /* LT: b_transport returned; AT: BEGIN_RESP came */
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
};

/* The bytes a test writes at addr: distinct per address and per seed. */
inline unsigned char traffic_byte(uint64_t addr, unsigned seed)
{
    uint64_t z = (addr + 1) * 0x9e3779b97f4a7c15ULL + seed;
    return static_cast<unsigned char>(z >> 56);
}

class TrafficInitiator : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(TrafficInitiator);
    tlm_utils::simple_initiator_socket<TrafficInitiator> socket;

    /* lt: each item in its own thread, started in list order 1 ps apart, calling b_transport
     * with the delay up to its time; else one thread sending BEGIN_REQs, the next one after
     * the previous END_REQ. end_resp_by_call: answer BEGIN_RESP with TLM_ACCEPTED and send
     * END_RESP `end_resp_delay` later through nb_transport_fw, else complete at once. */
    TrafficInitiator(sc_core::sc_module_name name, std::vector<TrafficItem> *items, bool lt,
                     bool end_resp_by_call = false)
        : sc_core::sc_module(name), socket("socket"), items_(items), lt_(lt),
          end_resp_by_call_(end_resp_by_call)
    {
        socket.register_nb_transport_bw(this, &TrafficInitiator::nb_transport_bw);
        gps_.resize(items->size());
        exts_.resize(items->size());
        for (size_t i = 0; i < items->size(); i++) {
            TrafficItem &it = (*items)[i];
            it.data.resize(it.size);
            for (uint32_t b = 0; b < it.size; b++) {
                it.data[b] = it.write ? traffic_byte(it.addr + b, 7) : 0;
            }
            gps_[i].reset(new tlm::tlm_generic_payload);
            tlm::tlm_generic_payload &gp = *gps_[i];
            gp.set_command(it.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
            gp.set_address(it.addr);
            gp.set_data_ptr(it.data.data());
            gp.set_data_length(it.size);
            gp.set_streaming_width(it.size);
            gp.set_byte_enable_ptr(nullptr);
            gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            exts_[i].reset(new membox::AccessExtension(it.access));
            gp.set_extension(exts_[i].get());
        }
        if (lt) {
            for (size_t i = 0; i < items->size(); i++) {
                sc_core::sc_spawn(sc_bind(&TrafficInitiator::lt_one, this, i));
            }
        } else {
            SC_THREAD(at_run);
        }
    }

    ~TrafficInitiator() override
    {
        for (auto &gp : gps_) {
            gp->clear_extension<membox::AccessExtension>();
        }
    }

    bool finished() const
    {
        return done_ == items_->size();
    }

    const sc_core::sc_event &finished_event() const
    {
        return finished_ev_;
    }

    /* AT: most transactions between END_REQ and BEGIN_RESP at once. */
    size_t max_in_flight = 0;

  private:
    void lt_one(size_t i)
    {
        TrafficItem &it = (*items_)[i];
        sc_core::wait(sc_core::sc_time::from_value(i + 1));
        sc_core::sc_time delay =
            sc_core::sc_time::from_value(it.time_ps) - sc_core::sc_time_stamp();
        socket->b_transport(*gps_[i], delay);
        it.done_ps = (sc_core::sc_time_stamp() + delay).value();
        it.status = gps_[i]->get_response_status();
        finish_one();
    }

    void at_run()
    {
        for (size_t i = 0; i < items_->size(); i++) {
            TrafficItem &it = (*items_)[i];
            sc_core::sc_time now = sc_core::sc_time_stamp();
            sc_core::sc_time at = sc_core::sc_time::from_value(it.time_ps);
            sc_core::sc_time delay = at > now ? at - now : sc_core::SC_ZERO_TIME;
            tlm::tlm_phase phase = tlm::BEGIN_REQ;
            current_ = i;
            req_open_ = true;
            tlm::tlm_sync_enum s = socket->nb_transport_fw(*gps_[i], phase, delay);
            if (s == tlm::TLM_COMPLETED) {
                /* refused (an error status) or done at once */
                it.status = gps_[i]->get_response_status();
                it.done_ps = (sc_core::sc_time_stamp() + delay).value();
                req_open_ = false;
                finish_one();
                continue;
            }
            while (req_open_) {
                sc_core::wait(end_req_ev_);
            }
        }
    }

    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload &gp, tlm::tlm_phase &phase,
                                       sc_core::sc_time &delay)
    {
        size_t i = index_of(gp);
        TrafficItem &it = (*items_)[i];
        const uint64_t now = (sc_core::sc_time_stamp() + delay).value();
        if (phase == tlm::END_REQ) {
            it.end_req_ps = now;
            it.in_flight_before = in_flight_;
            req_open_ = false;
            in_flight_++;
            if (in_flight_ > max_in_flight) {
                max_in_flight = in_flight_;
            }
            end_req_ev_.notify(sc_core::SC_ZERO_TIME);
            return tlm::TLM_ACCEPTED;
        }
        if (phase == tlm::BEGIN_RESP) {
            if (i == current_ && req_open_) { /* BEGIN_RESP implies END_REQ */
                req_open_ = false;
                end_req_ev_.notify(sc_core::SC_ZERO_TIME);
            } else {
                in_flight_--;
            }
            it.done_ps = now;
            it.status = gp.get_response_status();
            finish_one();
            if (end_resp_by_call_) {
                pending_end_resp_.push_back(i);
                end_resp_ev_.notify(sc_core::sc_time(1, sc_core::SC_NS));
                if (!end_resp_thread_) {
                    end_resp_thread_ = true;
                    sc_core::sc_spawn(sc_bind(&TrafficInitiator::end_resp_run, this));
                }
                return tlm::TLM_ACCEPTED;
            }
            return tlm::TLM_COMPLETED;
        }
        return tlm::TLM_ACCEPTED;
    }

    void end_resp_run()
    {
        for (;;) {
            sc_core::wait(end_resp_ev_);
            while (!pending_end_resp_.empty()) {
                size_t i = pending_end_resp_.front();
                pending_end_resp_.erase(pending_end_resp_.begin());
                tlm::tlm_phase phase = tlm::END_RESP;
                sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
                socket->nb_transport_fw(*gps_[i], phase, delay);
            }
        }
    }

    size_t index_of(const tlm::tlm_generic_payload &gp) const
    {
        for (size_t i = 0; i < gps_.size(); i++) {
            if (gps_[i].get() == &gp) {
                return i;
            }
        }
        return gps_.size();
    }

    void finish_one()
    {
        if (++done_ == items_->size()) {
            finished_ev_.notify(sc_core::SC_ZERO_TIME);
        }
    }

    std::vector<TrafficItem> *items_;
    bool lt_;
    bool end_resp_by_call_;
    bool end_resp_thread_ = false;
    std::vector<std::unique_ptr<tlm::tlm_generic_payload>> gps_;
    std::vector<std::unique_ptr<membox::AccessExtension>> exts_;
    size_t done_ = 0;
    size_t current_ = 0;
    bool req_open_ = false;
    size_t in_flight_ = 0;
    std::vector<size_t> pending_end_resp_;
    sc_core::sc_event end_req_ev_;
    sc_core::sc_event end_resp_ev_;
    sc_core::sc_event finished_ev_;
};

#endif
