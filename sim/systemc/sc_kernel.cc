/*
 * The SystemC kernel: sim_run()'s instant steps (kernel.h, "the run in steps") driven by the
 * SystemC 2.3.4 scheduler. docs/systemc.md has the full story; in short:
 *
 *   - Each clock domain with members gets one sc_clock (period and first posedge at the domain's
 *     period and phase, in ps) and one SC_METHOD sensitive to its posedge. Domains without
 *     members get neither: sim_run() never visits their edges either.
 *   - At time t, the first domain process to run opens the instant (sim_instant_begin) and
 *     delta-notifies the end-of-instant event; every domain process ticks all its members
 *     (sim_domain_edge with all = true: every-cycle semantics).
 *   - One delta cycle after the domain processes, the end-of-instant SC_METHOD runs
 *     sim_instant_end once; on DONE or FAILED it records the outcome and calls sc_stop().
 *
 * Delta cycles of one instant at time t:
 *
 *   delta 0   the sc_clocks' own posedge processes write their signals
 *   delta 1   every domain process with an edge at t (in an order SystemC leaves open)
 *   delta 2   the end-of-instant process
 *
 * SystemC gives no order among the processes of delta 1. The tick contract (kernel.h) makes the
 * result independent of that order, which is what makes this kernel worth having: it runs the
 * same models under a scheduler we do not control and must give byte-identical statistics.
 */
#include <systemc>

#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "sc_kernel.h"

namespace
{

/*
 * SystemC elaborates once per process (a second sc_start after sc_stop is an error, and modules
 * cannot be added after the first sc_start), so the wrapper runs once per process.
 */
bool systemc_used = false;

/* Time resolution is SystemC's default, 1 ps, so an sc_time's value is a SimTime. */
sc_core::sc_time sc_ps(SimTime ps)
{
    return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(ps));
}

class ScRun;

/* One clock domain: its clock and the process that ticks its members at each posedge. */
class ScDomain : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(ScDomain);

    ScDomain(sc_core::sc_module_name name, ScRun *run, SimDomain *d)
        : sc_core::sc_module(name), run_(run), domain_(d),
          clock_("clock", sc_ps(d->period), 0.5, sc_ps(d->phase), true)
    {
        SC_METHOD(edge);
        sensitive << clock_.posedge_event();
        dont_initialize();
    }

  private:
    void edge();

    ScRun *run_;
    SimDomain *domain_;
    sc_core::sc_clock clock_;
};

/* The top module: the books of the instant in progress and the end-of-instant process. */
class ScRun : public sc_core::sc_module
{
  public:
    SC_HAS_PROCESS(ScRun);

    ScRun(sc_core::sc_module_name name, Sim *sim, SimError *err)
        : sc_core::sc_module(name), sim_(sim), err_(err), end_of_instant_("end_of_instant")
    {
        for (uint32_t i = 0; i < sim->n_domains; i++) {
            SimDomain *d = sim->domains[i];
            if (d->n_members == 0) {
                continue;
            }
            /* Generated names: a domain's own name may hold characters SystemC rejects. */
            std::string dname = "domain" + std::to_string(d->index);
            domains_.emplace_back(new ScDomain(dname.c_str(), this, d));
        }
        SC_METHOD(instant_end);
        sensitive << end_of_instant_;
        dont_initialize();
    }

    /* Called by each domain process at its posedge. */
    void domain_edge(SimDomain *d)
    {
        /* sc_stop() is only called from instant_end, alone in its delta cycle: nothing after. */
        assert(outcome_ == SIM_STEP_CONTINUE);
        const SimTime t = sc_core::sc_time_stamp().value();
        assert(t <= sim_->options.until);
        if (instant_ != t) {
            /* The first process of this instant; the previous instant has been closed. */
            assert(instant_ == SIM_TIME_NEVER);
            sim_instant_begin(sim_, t);
            instant_ = t;
            end_of_instant_.notify(sc_core::SC_ZERO_TIME);
        }
        sim_domain_edge(sim_, d, t, true);
    }

    SimStep outcome() const
    {
        return outcome_;
    }

    bool instant_open() const
    {
        return instant_ != SIM_TIME_NEVER;
    }

  private:
    void instant_end()
    {
        SimStep step = sim_instant_end(sim_, err_);
        instant_ = SIM_TIME_NEVER;
        if (step != SIM_STEP_CONTINUE) {
            outcome_ = step;
            sc_core::sc_stop();
        }
    }

    Sim *sim_;
    SimError *err_;
    SimTime instant_ = SIM_TIME_NEVER; /* instant begun and not yet ended, NEVER if none */
    SimStep outcome_ = SIM_STEP_CONTINUE;
    sc_core::sc_event end_of_instant_;
    std::vector<std::unique_ptr<ScDomain>> domains_;
};

void ScDomain::edge()
{
    run_->domain_edge(domain_);
}

/* Report actions for the run: the library never prints (STYLE.md). */
struct ScReportActions {
    sc_core::sc_actions info;
    sc_core::sc_actions warning;
};

ScReportActions quiet_reports()
{
    ScReportActions old;
    /* sc_stop() reports "Simulation stopped by user." as an info on stdout: drop infos. */
    old.info = sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    /* No warning is expected from the way this file uses SystemC; if one comes, it should end
     * the run as an error the CLI prints, not as text on stdout in the middle of the summary. */
    old.warning = sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_THROW);
    return old;
}

void restore_reports(const ScReportActions &old)
{
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, old.info);
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, old.warning);
}

} // namespace

bool sim_systemc_run(Sim *sim, const SimRunOptions *opt, SimError *err)
{
    if (systemc_used) {
        return sim_error_set(err, SIM_ERR_INPUT,
                             "the SystemC kernel runs one simulation per process (SystemC "
                             "elaborates once); start a new process for the next run");
    }
    systemc_used = true;
    for (uint32_t i = 0; i < sim->n_domains; i++) {
        const SimDomain *d = sim->domains[i];
        /* sc_clock splits the period into high and low halves at 1 ps resolution; with a 1 ps
         * period one of them is zero, which SystemC rejects. */
        if (d->n_members != 0 && d->period < 2) {
            return sim_error_set(err, SIM_ERR_INPUT,
                                 "clock domain '%s': a period of %llu ps is too short for a "
                                 "SystemC clock (2 ps at least)",
                                 d->name, static_cast<unsigned long long>(d->period));
        }
    }
    /* Before anything SystemC: the banner would go to stdout, which only the CLI writes. A value
     * the user set is kept. */
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1.0, sc_core::SC_PS)) {
        /* Nothing in membox-sim sets it; a host program that did cannot use this kernel. */
        return sim_error_set(err, SIM_ERR_INPUT,
                             "SystemC: the time resolution is not 1 ps, which the kernel needs");
    }

    SimRunOptions o = *opt;
    o.kernel = SIM_KERNEL_EVERY_CYCLE; /* the semantics this kernel has; see the header */
    if (!sim_begin(sim, &o, err)) {
        return false;
    }
    if (sim_next_due(sim) == SIM_TIME_NEVER) {
        sim_end(sim, 0); /* no components: as sim_run(), nothing to elaborate */
        return true;
    }

    ScReportActions old = quiet_reports();
    SimStep step = SIM_STEP_CONTINUE;
    bool sc_failed = false;
    try {
        std::unique_ptr<ScRun> top(new ScRun("membox", sim, err));
        if (o.until == SIM_TIME_NEVER) {
            sc_core::sc_start(); /* sc_stop() from instant_end ends it: the clocks never starve */
        } else {
            /*
             * sc_start(d) runs the processes of every instant strictly before now + d: events at
             * exactly now + d are triggered but their processes are held for the next sc_start
             * (sc_simcontext::simulate(), "hold off on the delta for the until_t time"). Edges
             * at `until` itself must run, as in sim_run(), so the bound is until + 1 ps.
             * until + 1 <= UINT64_MAX = sc_max_time() since until < SIM_TIME_NEVER.
             */
            sc_core::sc_start(sc_ps(o.until + 1));
        }
        step = top->outcome();
        assert(step != SIM_STEP_CONTINUE || !top->instant_open());
    } catch (const sc_core::sc_report &r) {
        sim_error_set(err, SIM_ERR_SIMULATION, "SystemC: %s: %s", r.get_msg_type(), r.get_msg());
        sc_failed = true;
    } catch (const std::exception &e) {
        sim_error_set(err, SIM_ERR_SIMULATION, "SystemC kernel: %s", e.what());
        sc_failed = true;
    }
    restore_reports(old);

    if (sc_failed) {
        sim_end(sim, sim->now);
        return false;
    }
    /* Stopped by opt->until when no step said otherwise: the run ends at until, as sim_run(). */
    sim_end(sim, step == SIM_STEP_CONTINUE ? o.until : sim->end_time);
    return step != SIM_STEP_FAILED;
}
