/*
 * The scheduler: both kernels agree to the byte, tick order does not matter, the run ends when
 * the fabric drains, and a stuck fabric becomes an error listing what each buffer holds.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <dirent.h>
#include <string>
#include <vector>

#include "sim/core/kernel.h"
#include "tests/shim/shim.h"

namespace
{

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r ? r : ".";
}

/* Top-level topologies in configs/ (presets in subfolders are not topologies). */
std::vector<std::string> shipped_configs()
{
    std::vector<std::string> out;
    std::string dir = source_root() + "/configs";
    DIR *d = opendir(dir.c_str());
    if (d == nullptr) {
        return out;
    }
    while (dirent *e = readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".yaml") == 0) {
            out.push_back(dir + "/" + n);
        }
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::string run_file(const std::string &path, SimKernelKind k, uint64_t order_seed)
{
    SimError err;
    ShimRun *r = shim_build_file(path.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg;
    if (r == nullptr) {
        return "";
    }
    EXPECT_TRUE(shim_run(r, k, SIM_TIME_NEVER, order_seed, &err)) << path << ": " << err.msg;
    char *json = shim_stats_json(r);
    std::string s = json ? json : "";
    free(json);
    shim_free(r);
    return s;
}

std::string run_yaml(const std::string &yaml, SimKernelKind k, uint64_t order_seed = 0)
{
    SimError err;
    ShimRun *r = shim_build(yaml.c_str(), &err);
    EXPECT_NE(r, nullptr) << err.msg;
    if (r == nullptr) {
        return "";
    }
    EXPECT_TRUE(shim_run(r, k, SIM_TIME_NEVER, order_seed, &err)) << err.msg;
    char *json = shim_stats_json(r);
    std::string s = json ? json : "";
    free(json);
    shim_free(r);
    return s;
}

/* configs/ps-2node.yaml, for one, keeps both DRAM arbiter ports busy with write DMA: it caught
 * pcie.adapter missing the wake-up for write-DMA data that room in its PCIe transmit path let
 * move, a cycle after the every-cycle kernel moved it. */
TEST(Kernel, FastAndEveryCycleAreByteIdenticalOnEveryShippedConfig)
{
    std::vector<std::string> configs = shipped_configs();
    ASSERT_GE(configs.size(), 3u);
    for (const std::string &c : configs) {
        std::string fast = run_file(c, SIM_KERNEL_FAST, 0);
        std::string every = run_file(c, SIM_KERNEL_EVERY_CYCLE, 0);
        EXPECT_FALSE(fast.empty()) << c;
        EXPECT_EQ(fast, every) << c;
    }
}

TEST(Kernel, ShuffledTickOrderGivesByteIdenticalStatistics)
{
    for (const std::string &c : shipped_configs()) {
        std::string base = run_file(c, SIM_KERNEL_FAST, 0);
        for (uint64_t seed : {1u, 2u, 3u}) {
            EXPECT_EQ(run_file(c, SIM_KERNEL_FAST, seed), base) << c << " order seed " << seed;
        }
        EXPECT_EQ(run_file(c, SIM_KERNEL_EVERY_CYCLE, 5), base) << c;
    }
}

/* A denser topology: many sources into one sink through a chain, different clocks. */
std::string fan_in_yaml()
{
    std::string y = "sim: {seed: 3}\ninstances:\n";
    const char *doms[] = {"pcie", "lane", "mem", "ddr"};
    for (int i = 0; i < 8; i++) {
        y += "  s" + std::to_string(i) + ": {type: generic.source, domain: " + doms[i % 4] +
             ", rate: 0.3, count: 400, pattern: poisson, size: " + std::to_string(64 * (i + 1)) +
             "B}\n";
        y += "  q" + std::to_string(i) + ": {type: generic.delay, domain: " + doms[(i + 1) % 4] +
             ", delay: " + std::to_string(i) + ", depth: 3}\n";
        y += "  k" + std::to_string(i) + ": {type: generic.sink, domain: " + doms[(i + 2) % 4] +
             ", accept_every: " + std::to_string(1 + i % 3) + "}\n";
    }
    y += "links:\n";
    for (int i = 0; i < 8; i++) {
        std::string n = std::to_string(i);
        y += "  - {from: s" + n + ":out, to: q" + n + ":in, depth: " + std::to_string(1 + i % 2) +
             "}\n";
        y += "  - {from: q" + n + ":out, to: k" + n + ":in, latency: " + std::to_string(i % 3) +
             "}\n";
    }
    return y;
}

TEST(Kernel, MixedClocksAndBackPressureAgreeAcrossKernelsAndOrders)
{
    std::string y = fan_in_yaml();
    std::string base = run_yaml(y, SIM_KERNEL_FAST);
    ASSERT_FALSE(base.empty());
    EXPECT_EQ(run_yaml(y, SIM_KERNEL_EVERY_CYCLE), base);
    for (uint64_t seed : {11u, 12u}) {
        EXPECT_EQ(run_yaml(y, SIM_KERNEL_FAST, seed), base);
        EXPECT_EQ(run_yaml(y, SIM_KERNEL_EVERY_CYCLE, seed), base);
    }
}

class KernelBoth : public ::testing::TestWithParam<SimKernelKind>
{
};

/*
 * Source -> delay stage -> sink, all at 250 MHz (4000 ps), link latency 1: a packet pushed at
 * cycle c is taken by the stage at c + 1, forwarded at c + 1 + d, taken by the sink at c + 2 + d.
 */
TEST_P(KernelBoth, PipelineLatencyIsTwoLinksPlusTheStageDelay)
{
    for (int d : {0, 1, 5}) {
        std::string y = "instances:\n"
                        "  src: {type: generic.source, rate: 0.25, count: 50}\n"
                        "  q: {type: generic.delay, delay: " +
                        std::to_string(d) +
                        "}\n"
                        "  snk: {type: generic.sink}\n"
                        "links:\n  - {from: src:out, to: q:in}\n  - {from: q:out, to: snk:in}\n";
        SimError err;
        ShimRun *r = shim_build(y.c_str(), &err);
        ASSERT_NE(r, nullptr) << err.msg;
        ASSERT_TRUE(shim_run(r, GetParam(), SIM_TIME_NEVER, 0, &err)) << err.msg;
        double expect_ns = (2 + d) * 4.0;
        EXPECT_EQ(shim_stat(r, "snk.received"), 50);
        EXPECT_EQ(shim_stat(r, "snk.latency_ns.min"), expect_ns);
        EXPECT_EQ(shim_stat(r, "snk.latency_ns.max"), expect_ns);
        /* Emission k at cycle 4k; the last (k = 49) reaches the sink at 4 * 49 + 2 + d. */
        EXPECT_EQ(r != nullptr ? shim_sim(r)->end_time : 0, (4u * 49 + 2 + d) * 4000u);
        shim_free(r);
    }
}

TEST_P(KernelBoth, UntilStopsTheRunAtThatTime)
{
    std::string y = "sim: {allow_cycles: true}\ninstances:\n"
                    "  a: {type: generic.delay, tokens: 1}\n"
                    "  b: {type: generic.delay, domain: lane, tokens: 1}\n"
                    "links:\n  - {from: a:out, to: b:in}\n  - {from: b:out, to: a:in}\n";
    SimError err;
    ShimRun *r = shim_build(y.c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    ASSERT_TRUE(shim_run(r, GetParam(), 1234567, 0, &err)) << err.msg;
    EXPECT_EQ(shim_sim(r)->end_time, 1234567u);
    EXPECT_GT(shim_stat(r, "a.forwarded"), 50);
    shim_free(r);
}

/*
 * A sink that takes one packet every million cycles (4 ms) holds the fabric full for
 * milliseconds: slow, not stuck, so no watchdog error while the watchdog is longer than that
 * (5 ms: each packet taken is work delivered), and both kernels agree. This once failed under
 * every-cycle: a same-instant wake-up made a non-due tick count as due.
 */
TEST_P(KernelBoth, ASlowConsumerOnATimerIsNotAWatchdogError)
{
    std::string y = "sim: {watchdog: 5ms}\ninstances:\n"
                    "  src: {type: generic.source, count: 12}\n"
                    "  q: {type: generic.delay, depth: 4}\n"
                    "  snk: {type: generic.sink, accept_every: 1000000}\n"
                    "links:\n  - {from: src:out, to: q:in}\n  - {from: q:out, to: snk:in}\n";
    SimError err;
    ShimRun *r = shim_build(y.c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    ASSERT_TRUE(shim_run(r, GetParam(), SIM_TIME_NEVER, 0, &err)) << err.msg;
    EXPECT_EQ(shim_stat(r, "snk.received"), 12);
    /* The first packet is taken at cycle 2, then one every 10^6 cycles of 4 ns. */
    EXPECT_EQ(shim_sim(r)->end_time, (2ull + 11ull * 1000000ull) * 4000ull);
    shim_free(r);
    EXPECT_EQ(run_yaml(y, SIM_KERNEL_FAST), run_yaml(y, SIM_KERNEL_EVERY_CYCLE));
}

TEST_P(KernelBoth, ExhaustedPacketPoolIsASimulationError)
{
    std::string y = "sim: {packets: 8}\ninstances:\n"
                    "  src: {type: generic.source, count: 100}\n"
                    "  q: {type: generic.delay, depth: 100}\n"
                    "  snk: {type: generic.sink, accept_every: 1000}\n"
                    "links:\n  - {from: src:out, to: q:in}\n  - {from: q:out, to: snk:in}\n";
    SimError err;
    ShimRun *r = shim_build(y.c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    EXPECT_FALSE(shim_run(r, GetParam(), SIM_TIME_NEVER, 0, &err));
    EXPECT_EQ(err.kind, SIM_ERR_SIMULATION);
    EXPECT_NE(std::string(err.msg).find("packet pool exhausted"), std::string::npos) << err.msg;
    EXPECT_NE(std::string(err.msg).find("sim.packets"), std::string::npos) << err.msg;
    shim_free(r);
}

/* ---- hand-made components for the failure paths ---- */

struct Hoarder { /* takes nothing: whatever reaches it stays in the port */
    SimComponent c;
    SimPort *in;
    bool spin; /* ticks every cycle instead of sleeping */
};

SimCycle hoarder_tick(SimComponent *c, SimCycle now)
{
    return reinterpret_cast<Hoarder *>(c)->spin ? now + 1 : SIM_SLEEP;
}

const SimComponentOps hoarder_ops = {hoarder_tick, nullptr, nullptr, nullptr, nullptr};

struct Feeder {
    SimComponent c;
    SimPort *out;
    int left;
};

SimCycle feeder_tick(SimComponent *c, SimCycle now)
{
    auto *f = reinterpret_cast<Feeder *>(c);
    if (f->left > 0 && !sim_port_can_push(f->out)) {
        return SIM_SLEEP; /* the port wakes it when a slot frees */
    }
    if (f->left > 0) {
        SimPacket *p = sim_packet_new(c->sim);
        p->addr = 0x1000u + static_cast<uint64_t>(f->left);
        sim_port_push(f->out, p);
        f->left--;
    }
    return f->left > 0 ? now + 1 : SIM_SLEEP;
}

bool feeder_busy(const SimComponent *c)
{
    return reinterpret_cast<const Feeder *>(c)->left > 0;
}

void feeder_dump(const SimComponent *c, SimError *report)
{
    sim_error_append(report, " (%d packets left to send)",
                     reinterpret_cast<const Feeder *>(c)->left);
}

const SimComponentOps feeder_ops = {feeder_tick, nullptr, feeder_busy, feeder_dump, nullptr};

struct Ticker { /* a daemon that wakes every 10 cycles forever, like a refresh timer */
    SimComponent c;
    uint64_t ticks;
};

SimCycle ticker_tick(SimComponent *c, SimCycle now)
{
    auto *t = reinterpret_cast<Ticker *>(c);
    if (now % 10 == 0) {
        t->ticks++;
    }
    return (now / 10 + 1) * 10;
}

const SimComponentOps ticker_ops = {ticker_tick, nullptr, nullptr, nullptr, nullptr};

struct Failure {
    bool ok;
    SimError err;
    SimTime end;
    uint64_t ticker;
};

Failure run_feeder_hoarder(SimKernelKind k, bool spin, int packets, bool with_daemon,
                           uint32_t depth)
{
    Failure f{};
    Sim *sim = sim_new();
    SimDomain *d = sim_add_domain(sim, "pcie", 4000, 0, &f.err);
    auto *feeder = static_cast<Feeder *>(calloc(1, sizeof(Feeder)));
    auto *hoarder = static_cast<Hoarder *>(calloc(1, sizeof(Hoarder)));
    feeder->left = packets;
    feeder->c.requester = true; /* its packets left are requests outstanding */
    hoarder->spin = spin;
    EXPECT_TRUE(sim_add_component(sim, &feeder->c, "feeder", d, &feeder_ops, &f.err));
    EXPECT_TRUE(sim_add_component(sim, &hoarder->c, "hoarder", d, &hoarder_ops, &f.err));
    Ticker *ticker = nullptr;
    if (with_daemon) {
        ticker = static_cast<Ticker *>(calloc(1, sizeof(Ticker)));
        ticker->c.daemon = true;
        EXPECT_TRUE(sim_add_component(sim, &ticker->c, "ticker", d, &ticker_ops, &f.err));
    }
    EXPECT_NE(sim_connect(sim, &feeder->c, &feeder->out, &hoarder->c, &hoarder->in, depth, 1, 2,
                          "feeder:out -> hoarder:in", &f.err),
              nullptr);
    SimRunOptions o;
    sim_run_options_default(&o);
    o.kernel = k;
    o.watchdog = 100 * SIM_PS_PER_NS;
    f.ok = sim_run(sim, &o, &f.err);
    f.end = sim->end_time;
    f.ticker = ticker ? ticker->ticks : 0;
    sim_free(sim);
    return f;
}

TEST_P(KernelBoth, DeadlockIsAnErrorListingTheBuffers)
{
    Failure f = run_feeder_hoarder(GetParam(), false, 5, false, 2);
    ASSERT_FALSE(f.ok);
    EXPECT_EQ(f.err.kind, SIM_ERR_SIMULATION);
    std::string m = f.err.msg;
    EXPECT_EQ(m.rfind("deadlock at 8.000 ns", 0), 0u) << m;
    EXPECT_NE(m.find("port feeder:out -> hoarder:in: 2 of 2 entries"), std::string::npos) << m;
    EXPECT_NE(m.find("component feeder: busy (3 packets left to send)"), std::string::npos) << m;
}

TEST_P(KernelBoth, WatchdogCatchesAFabricThatTicksButNeverMoves)
{
    Failure f = run_feeder_hoarder(GetParam(), true, 5, false, 2);
    ASSERT_FALSE(f.ok);
    std::string m = f.err.msg;
    /* No work is ever delivered: the watchdog's own deadline, 100 ns after the start. */
    EXPECT_EQ(m.rfind("watchdog at 100.000 ns: no work delivered for 100.000 ns", 0), 0u) << m;
    EXPECT_NE(m.find("port feeder:out -> hoarder:in: 2 of 2 entries"), std::string::npos) << m;
    EXPECT_EQ(f.end, 100000u);
}

TEST_P(KernelBoth, DaemonTimersDoNotKeepADrainedRunAlive)
{
    /* Nothing sent: the feeder sleeps at once; only the daemon's timer is left. */
    Failure f = run_feeder_hoarder(GetParam(), false, 0, true, 2);
    EXPECT_TRUE(f.ok) << f.err.msg;
    EXPECT_EQ(f.end, 0u);
    EXPECT_EQ(f.ticker, 1u);
}

TEST_P(KernelBoth, DaemonTimersDoNotHideADeadlock)
{
    Failure f = run_feeder_hoarder(GetParam(), false, 5, true, 2);
    ASSERT_FALSE(f.ok);
    /* The daemon keeps ticking, so the deadlock shows up as a watchdog expiry. */
    EXPECT_EQ(std::string(f.err.msg).rfind("watchdog at ", 0), 0u) << f.err.msg;
}

/* A daemon that takes packets and works on them 100 cycles without touching a port: like a
 * DRAM controller committing posted writes, its work ends without a port moving. */
struct Absorber {
    SimComponent c;
    SimPort *in;
    uint32_t held;
    SimCycle done;
    bool note;
};

SimCycle absorber_tick(SimComponent *c, SimCycle now)
{
    auto *a = reinterpret_cast<Absorber *>(c);
    while (SimPacket *p = sim_port_peek(a->in)) {
        sim_port_pop(a->in);
        sim_packet_free(c->sim, p);
        a->held++;
        a->done = now + 100;
    }
    if (a->held > 0 && now >= a->done) {
        a->held = 0;
        if (a->note) {
            sim_note_idle(c->sim);
        }
    }
    if (a->held > 0) {
        return a->done;
    }
    return (now / 1000 + 1) * 1000; /* a refresh-like timer, forever */
}

bool absorber_busy(const SimComponent *c)
{
    return reinterpret_cast<const Absorber *>(c)->held > 0;
}

const SimComponentOps absorber_ops = {absorber_tick, nullptr, absorber_busy, nullptr, nullptr};

SimTime run_absorber(SimKernelKind k, bool note)
{
    SimError err;
    Sim *sim = sim_new();
    SimDomain *d = sim_add_domain(sim, "pcie", 4000, 0, &err);
    auto *feeder = static_cast<Feeder *>(calloc(1, sizeof(Feeder)));
    auto *abs = static_cast<Absorber *>(calloc(1, sizeof(Absorber)));
    feeder->left = 1;
    abs->c.daemon = true;
    abs->note = note;
    EXPECT_TRUE(sim_add_component(sim, &feeder->c, "feeder", d, &feeder_ops, &err));
    EXPECT_TRUE(sim_add_component(sim, &abs->c, "absorber", d, &absorber_ops, &err));
    sim_connect(sim, &feeder->c, &feeder->out, &abs->c, &abs->in, 2, 1, 2, "f:out -> a:in", &err);
    SimRunOptions o;
    sim_run_options_default(&o);
    o.kernel = k;
    EXPECT_TRUE(sim_run(sim, &o, &err)) << err.msg;
    SimTime end = sim->end_time;
    sim_free(sim);
    return end;
}

TEST_P(KernelBoth, AComponentThatFallsIdleWithoutAPortMoveEndsTheRunAtOnce)
{
    /* Taken at cycle 1, done at 101: with sim_note_idle the run ends there. */
    EXPECT_EQ(run_absorber(GetParam(), true), 101u * 4000u);
    /* Without it, only the watchdog's look (1 ms later) notices, at a refresh tick. */
    EXPECT_GT(run_absorber(GetParam(), false), 1000000000u);
}

/*
 * Timed wake-ups on either side of the calendar's reach (docs/kernel.md: 63 edges of the
 * component's own domain in its calendar, further ones on the wheel), and a port delivery that
 * comes before either kind of timer.
 */
struct Sleeper {
    SimComponent c;
    SimPort *in;
    const SimCycle *gaps;
    size_t n_gaps;
    size_t i;
    SimCycle next;
    std::vector<SimCycle> *ticks; /* cycles at which it was due */
    std::vector<SimCycle> *got;   /* cycles at which a packet was taken */
};

SimCycle sleeper_tick(SimComponent *c, SimCycle now)
{
    auto *s = reinterpret_cast<Sleeper *>(c);
    while (SimPacket *p = sim_port_peek(s->in)) {
        sim_port_pop(s->in);
        sim_packet_free(c->sim, p);
        s->got->push_back(now);
    }
    if (s->next != SIM_SLEEP && now >= s->next) {
        s->ticks->push_back(now);
        s->next = s->i < s->n_gaps ? now + s->gaps[s->i++] : SIM_SLEEP;
    }
    return s->next;
}

const SimComponentOps sleeper_ops = {sleeper_tick, nullptr, nullptr, nullptr, nullptr};

struct Poker { /* pushes one packet at each of its cycles 30 and 150 */
    SimComponent c;
    SimPort *out;
    SimCycle next;
};

SimCycle poker_tick(SimComponent *c, SimCycle now)
{
    auto *k = reinterpret_cast<Poker *>(c);
    if (k->next != SIM_SLEEP && now >= k->next) {
        if (now > 0) {
            sim_port_push(k->out, sim_packet_new(c->sim));
        }
        k->next = now == 0 ? 30 : now == 30 ? 150 : SIM_SLEEP;
    }
    return k->next;
}

const SimComponentOps poker_ops = {poker_tick, nullptr, nullptr, nullptr, nullptr};

TEST_P(KernelBoth, TimedWakeUpsOnEitherSideOfTheCalendarsReachTickAtTheirCycle)
{
    static const SimCycle gaps[] = {2, 63, 64, 65, 200, 3};
    std::vector<SimCycle> ticks, got;
    SimError err;
    Sim *sim = sim_new();
    SimDomain *pcie = sim_add_domain(sim, "pcie", 4000, 0, &err);
    SimDomain *lane = sim_add_domain(sim, "lane", 6400, 0, &err);
    auto *s = static_cast<Sleeper *>(calloc(1, sizeof(Sleeper)));
    auto *k = static_cast<Poker *>(calloc(1, sizeof(Poker)));
    s->gaps = gaps;
    s->n_gaps = sizeof(gaps) / sizeof(gaps[0]);
    s->ticks = &ticks;
    s->got = &got;
    ASSERT_TRUE(sim_add_component(sim, &s->c, "sleeper", pcie, &sleeper_ops, &err));
    ASSERT_TRUE(sim_add_component(sim, &k->c, "poker", lane, &poker_ops, &err));
    ASSERT_NE(sim_connect(sim, &k->c, &k->out, &s->c, &s->in, 2, 1, 2, "k:out -> s:in", &err),
              nullptr);
    SimRunOptions o;
    sim_run_options_default(&o);
    o.kernel = GetParam();
    ASSERT_TRUE(sim_run(sim, &o, &err)) << err.msg;
    /* 0, then + 2 (pending bit), + 63 (the calendar's last edge), + 64 and + 65 (the wheel), +
     * 200 (the wheel), + 3 (the calendar). */
    EXPECT_EQ(ticks, (std::vector<SimCycle>{0, 2, 65, 129, 194, 394, 397}));
    /* Pushed at lane cycles 30 (192 ns) and 150 (960 ns), latency 1 + sync 2 = 3 pcie periods:
     * visible at pcie cycles 51 and 243, while the sleeper waits for cycle 65 (in the calendar)
     * and 394 (on the wheel); each delivery wakes it early, and it still ticks at 65 and 394. */
    EXPECT_EQ(got, (std::vector<SimCycle>{51, 243}));
    EXPECT_EQ(sim->end_time, 397u * 4000u);
    sim_free(sim);
}

INSTANTIATE_TEST_SUITE_P(BothKernels, KernelBoth,
                         ::testing::Values(SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE),
                         [](const auto &info) {
                             return std::string(info.param == SIM_KERNEL_FAST ? "fast"
                                                                              : "every_cycle");
                         });

} // namespace
