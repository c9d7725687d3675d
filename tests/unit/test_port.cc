/*
 * Port timing (ARCHITECTURE.md section 4): an entry pushed at t is visible at the consumer's
 * first edge at or after t + latency x period that is strictly later than t, the latency
 * including the synchroniser depth between different clocks; a slot freed at t is usable from
 * the producer's first edge strictly after t. Checked against a brute-force walk over the
 * consumer's edges, for every pair of the default clock domains, under both kernels.
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "sim/core/kernel.h"

namespace
{

struct Pusher {
    SimComponent c;
    SimPort *out;
    std::vector<SimCycle> *push_cycles; /* cycles to push at, ascending */
    size_t next;
    std::vector<SimTime> *pushed_at;
};

SimCycle pusher_tick(SimComponent *c, SimCycle now)
{
    auto *p = reinterpret_cast<Pusher *>(c);
    while (p->next < p->push_cycles->size() && (*p->push_cycles)[p->next] <= now) {
        if (!sim_port_can_push(p->out)) {
            return SIM_SLEEP;
        }
        SimPacket *pkt = sim_packet_new(c->sim);
        sim_port_push(p->out, pkt);
        p->pushed_at->push_back(c->sim->now);
        p->next++;
    }
    return p->next < p->push_cycles->size() ? std::max(now + 1, (*p->push_cycles)[p->next])
                                            : SIM_SLEEP;
}

const SimComponentOps pusher_ops = {pusher_tick, nullptr, nullptr, nullptr, nullptr};

struct Watcher {
    SimComponent c;
    SimPort *in;
    SimCycle take_from; /* does not pop before this cycle */
    std::vector<SimTime> *seen_at;
};

SimCycle watcher_tick(SimComponent *c, SimCycle now)
{
    auto *w = reinterpret_cast<Watcher *>(c);
    SimPacket *pkt = sim_port_peek(w->in);
    if (pkt == nullptr) {
        return SIM_SLEEP;
    }
    if (now < w->take_from) {
        return w->take_from;
    }
    sim_port_pop(w->in);
    w->seen_at->push_back(c->sim->now);
    sim_packet_free(c->sim, pkt);
    return now + 1;
}

const SimComponentOps watcher_ops = {watcher_tick, nullptr, nullptr, nullptr, nullptr};

struct Dom {
    const char *name;
    SimTime period;
    SimTime phase;
};

const Dom kDomains[] = {
    {"pcie", 4000, 0}, {"lane", 6400, 0}, {"mem", 5000, 0}, {"ddr", 1250, 0}, {"skew", 5000, 1700},
};

/* Brute force: walk the consumer's edges. */
SimTime expected_visible(SimTime t, const Dom &cons, bool same_clock, uint32_t latency,
                         uint32_t sync)
{
    uint32_t l = latency + (same_clock ? 0 : sync);
    for (SimTime e = cons.phase;; e += cons.period) {
        if (e >= t + l * cons.period && e > t) {
            return e;
        }
    }
}

struct Result {
    std::vector<SimTime> pushed;
    std::vector<SimTime> seen;
};

Result run_pair(const Dom &pd, const Dom &cd, uint32_t latency, uint32_t sync, uint32_t depth,
                std::vector<SimCycle> push_cycles, SimCycle take_from, SimKernelKind kernel)
{
    Result r;
    SimError err;
    Sim *sim = sim_new();
    SimDomain *dp = sim_add_domain(sim, "p", pd.period, pd.phase, &err);
    SimDomain *dc = sim_add_domain(sim, "c", cd.period, cd.phase, &err);
    auto *p = static_cast<Pusher *>(calloc(1, sizeof(Pusher)));
    auto *w = static_cast<Watcher *>(calloc(1, sizeof(Watcher)));
    p->push_cycles = &push_cycles;
    p->pushed_at = &r.pushed;
    w->seen_at = &r.seen;
    w->take_from = take_from;
    EXPECT_TRUE(sim_add_component(sim, &p->c, "pusher", dp, &pusher_ops, &err));
    EXPECT_TRUE(sim_add_component(sim, &w->c, "watcher", dc, &watcher_ops, &err));
    EXPECT_NE(sim_connect(sim, &p->c, &p->out, &w->c, &w->in, depth, latency, sync,
                          "pusher:out -> watcher:in", &err),
              nullptr);
    SimRunOptions o;
    sim_run_options_default(&o);
    o.kernel = kernel;
    EXPECT_TRUE(sim_run(sim, &o, &err)) << err.msg;
    sim_free(sim);
    return r;
}

/* A pusher and a watcher joined by one port, built but not run. */
struct Pair {
    Sim *sim = sim_new();
    std::vector<SimCycle> push_cycles{0};
    std::vector<SimTime> pushed;
    std::vector<SimTime> seen;
    Pusher *p = static_cast<Pusher *>(calloc(1, sizeof(Pusher)));
    Watcher *w = static_cast<Watcher *>(calloc(1, sizeof(Watcher)));
    SimPort *port = nullptr;
    Pair()
    {
        SimError err;
        SimDomain *d = sim_add_domain(sim, "d", 4000, 0, &err);
        p->push_cycles = &push_cycles;
        p->pushed_at = &pushed;
        w->seen_at = &seen;
        EXPECT_TRUE(sim_add_component(sim, &p->c, "pusher", d, &pusher_ops, &err));
        EXPECT_TRUE(sim_add_component(sim, &w->c, "watcher", d, &watcher_ops, &err));
        port = sim_connect(sim, &p->c, &p->out, &w->c, &w->in, 2, 1, 0, "pusher:out -> watcher:in",
                           &err);
        EXPECT_NE(port, nullptr);
    }
    ~Pair()
    {
        sim_free(sim);
    }
};

/* As SST's Link::send outside RUN: a port moves only while the simulation runs, from ticks. */
TEST(SimPortDeathTest, PushOrPopOutsideTheRunAsserts)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    SimPacket pkt{};
    {
        Pair before;
        EXPECT_DEATH(sim_port_push(before.port, &pkt), "a port moves only during the run");
        EXPECT_DEATH(sim_port_pop(before.port), "a port moves only during the run");
    }
    Pair after;
    SimError err;
    SimRunOptions o;
    sim_run_options_default(&o);
    ASSERT_TRUE(sim_run(after.sim, &o, &err)) << err.msg;
    EXPECT_EQ(after.seen.size(), 1u); /* the same pair moves a packet during the run */
    EXPECT_DEATH(sim_port_push(after.port, &pkt), "a port moves only during the run");
    EXPECT_DEATH(sim_port_pop(after.port), "a port moves only during the run");
}

class PortTiming : public ::testing::TestWithParam<SimKernelKind>
{
};

TEST_P(PortTiming, VisibilityCycleAcrossEveryPairOfDefaultDomains)
{
    for (const Dom &pd : kDomains) {
        for (const Dom &cd : kDomains) {
            bool same = pd.period == cd.period && pd.phase == cd.phase;
            for (uint32_t latency : {0u, 1u, 3u}) {
                for (SimCycle at : {0u, 1u, 2u, 5u, 7u, 13u}) {
                    Result r = run_pair(pd, cd, latency, 2, 4, {at}, 0, GetParam());
                    ASSERT_EQ(r.pushed.size(), 1u);
                    ASSERT_EQ(r.seen.size(), 1u);
                    SimTime t = pd.phase + at * pd.period;
                    EXPECT_EQ(r.pushed[0], t);
                    EXPECT_EQ(r.seen[0], expected_visible(t, cd, same, latency, 2))
                        << pd.name << " -> " << cd.name << " latency " << latency << " push at "
                        << at;
                }
            }
        }
    }
}

TEST_P(PortTiming, FreedSlotIsUsableFromTheProducersNextEdge)
{
    /* Depth 1: the second push waits for the pop of the first, and happens at the producer's
     * first edge strictly after the pop. */
    for (const Dom &pd : kDomains) {
        for (const Dom &cd : kDomains) {
            for (SimCycle take_from : {0u, 4u, 9u}) {
                Result r = run_pair(pd, cd, 1, 2, 1, {0, 0}, take_from, GetParam());
                ASSERT_EQ(r.pushed.size(), 2u);
                ASSERT_EQ(r.seen.size(), 2u);
                SimTime pop = r.seen[0];
                SimTime next_edge = pd.phase;
                while (next_edge <= pop) {
                    next_edge += pd.period;
                }
                EXPECT_EQ(r.pushed[1], next_edge) << pd.name << " -> " << cd.name;
            }
        }
    }
}

TEST_P(PortTiming, AFullPortHoldsTheProducerBack)
{
    /* Eight pushes wanted at cycle 0 into a port of depth 2 whose consumer starts taking at
     * cycle 10: two go in at once, the rest one per freed slot. */
    const Dom d = kDomains[0];
    Result r = run_pair(d, d, 1, 2, 2, std::vector<SimCycle>(8, 0), 10, GetParam());
    ASSERT_EQ(r.pushed.size(), 8u);
    EXPECT_EQ(r.pushed[0], 0u);
    EXPECT_EQ(r.pushed[1], 0u);
    for (size_t i = 2; i < 8; i++) {
        /* Pop i-2 at cycle 10 + (i-2); the slot is usable one cycle later. */
        EXPECT_EQ(r.pushed[i], (10 + (i - 2) + 1) * d.period) << i;
    }
    for (size_t i = 0; i < 8; i++) {
        EXPECT_EQ(r.seen[i], (10 + i) * d.period);
    }
}

INSTANTIATE_TEST_SUITE_P(BothKernels, PortTiming,
                         ::testing::Values(SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE),
                         [](const auto &info) {
                             return std::string(info.param == SIM_KERNEL_FAST ? "fast"
                                                                              : "every_cycle");
                         });

} // namespace
