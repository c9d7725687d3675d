// The Ddr3Ctrl core (models/dram/ddr3_ctrl.c, ddr3_sched.c) driven cycle by cycle without the
// kernel: exact latencies, the refresh-limited peak, tFAW, refresh, write drain, forwarding,
// the schedulers, and that sleeping until the returned cycle gives the same command stream as
// ticking every cycle.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "models/dram/ddr3_checker.h"
#include "models/dram/ddr3_ctrl.h"

namespace
{

struct Req {
    SimCycle cycle; // earliest cycle it is offered
    uint64_t addr;
    bool write;
};

struct CoreRun {
    Ddr3CtrlConfig cfg;
    Ddr3Ctrl *c = nullptr;
    Ddr3Checker *k = nullptr;
    std::vector<Ddr3CmdRecord> cmds;
    std::vector<SimCycle> arrive; // by cookie
    std::vector<SimCycle> done;   // by cookie
    uint64_t n_done = 0;
    SimCycle last_done = 0;
    uint64_t ticks = 0;
    bool keep_cmds = true;

    explicit CoreRun(const Ddr3CtrlConfig &config) : cfg(config)
    {
        const char *why = nullptr;
        c = ddr3_ctrl_new(&cfg, &why);
        EXPECT_NE(c, nullptr) << (why ? why : "");
        k = ddr3_checker_new(&cfg.timing, cfg.refresh);
        ddr3_ctrl_set_callbacks(c, on_done, on_cmd, this);
    }
    ~CoreRun()
    {
        ddr3_ctrl_free(c);
        ddr3_checker_free(k);
    }
    static void on_done(void *ctx, uint64_t cookie, bool, SimCycle d)
    {
        CoreRun *r = static_cast<CoreRun *>(ctx);
        r->done[cookie] = d;
        r->n_done++;
        r->last_done = std::max(r->last_done, d);
    }
    static void on_cmd(void *ctx, const Ddr3CmdRecord *rec)
    {
        CoreRun *r = static_cast<CoreRun *>(ctx);
        ddr3_checker_command(r->k, rec);
        if (r->keep_cmds) {
            r->cmds.push_back(*rec);
        }
    }

    // Offer reqs in order, at most one a cycle, each when its cycle has come and its queue has
    // room; the core is ticked first at every visited cycle, as the dram.ctrl component does.
    // every_cycle visits every cycle; otherwise only the cycles the core and the source need.
    void drive(const std::vector<Req> &reqs, bool every_cycle, SimCycle until = 0)
    {
        arrive.assign(reqs.size(), 0);
        done.assign(reqs.size(), SIM_CYCLE_NEVER);
        size_t next = 0;
        SimCycle now = 0;
        for (;;) {
            SimCycle wake = ddr3_ctrl_tick(c, now);
            ticks++;
            if (next < reqs.size() && reqs[next].cycle <= now &&
                ddr3_ctrl_space(c, reqs[next].write) > 0) {
                arrive[next] = now;
                ddr3_ctrl_enqueue(c, now, reqs[next].addr, reqs[next].write, next);
                next++;
                wake = ddr3_ctrl_wake(c);
            }
            bool drained = next == reqs.size() && n_done == reqs.size();
            if (drained && now >= last_done && now >= until) {
                break;
            }
            SimCycle to = wake;
            if (next < reqs.size()) {
                SimCycle want = std::max(reqs[next].cycle, now + 1);
                if (reqs[next].cycle > now || ddr3_ctrl_space(c, reqs[next].write) > 0) {
                    to = std::min(to, want);
                }
            }
            if (drained) {
                to = std::min(to, std::max(last_done, until));
            }
            if (every_cycle || to == SIM_CYCLE_NEVER) {
                to = now + 1;
            }
            EXPECT_GT(to, now);
            now = to;
        }
    }
};

Ddr3CtrlConfig defaults()
{
    Ddr3CtrlConfig c;
    ddr3_ctrl_config_default(&c);
    return c;
}

// Address of (bank, row, column) under the default RoBaRaCoCh mapping.
uint64_t at(uint32_t bank, uint32_t row, uint32_t col = 0)
{
    return ((uint64_t)row << 16) | ((uint64_t)bank << 13) | ((uint64_t)col << 6);
}

class Ddr3CtrlBoth : public ::testing::TestWithParam<bool>
{
};

TEST_P(Ddr3CtrlBoth, NoLoadLatenciesAreExact)
{
    CoreRun r(defaults());
    const SimCycle f = r.cfg.frontend;
    const Ddr3TimingParams &t = r.cfg.timing;
    std::vector<Req> reqs = {
        {0, at(0, 5), false},       // bank closed: miss
        {1000, at(0, 5, 3), false}, // row hit
        {2000, at(0, 9), false},    // row conflict
        {3000, at(1, 2), true},     // write, bank closed
        {4000, at(1, 2, 1), true},  // write, row hit
    };
    r.drive(reqs, GetParam());
    EXPECT_EQ(r.done[0] - r.arrive[0], f + t.trcd + t.cl + t.bl / 2);         // 27
    EXPECT_EQ(r.done[1] - r.arrive[1], f + t.cl + t.bl / 2);                  // 16
    EXPECT_EQ(r.done[2] - r.arrive[2], f + t.trp + t.trcd + t.cl + t.bl / 2); // 38
    EXPECT_EQ(r.done[3] - r.arrive[3], f + t.trcd + t.cwl + t.bl / 2);        // 24
    EXPECT_EQ(r.done[4] - r.arrive[4], f + t.cwl + t.bl / 2);                 // 13
    EXPECT_EQ(r.done[1] - r.arrive[1], 16u);
    EXPECT_EQ(r.done[2] - r.arrive[2], 38u);
    const Ddr3CtrlStats *st = ddr3_ctrl_stats(r.c);
    EXPECT_EQ(st->row_hits, 2u);
    EXPECT_EQ(st->row_misses, 2u);
    EXPECT_EQ(st->row_conflicts, 1u);
    EXPECT_EQ(ddr3_checker_violations(r.k), 0u) << ddr3_checker_first_error(r.k);
}

TEST_P(Ddr3CtrlBoth, SleepingGivesTheSameCommandsAsTickingEveryCycle)
{
    std::mt19937_64 rng(7);
    std::vector<Req> reqs;
    SimCycle cyc = 0;
    for (int i = 0; i < 4000; i++) {
        cyc += rng() % 6;
        reqs.push_back({cyc, (rng() % (1ULL << 24)) & ~63ULL, rng() % 3 == 0});
    }
    Ddr3CtrlConfig cfg = defaults();
    cfg.timing.trefi = 1000; // several refreshes in the run
    CoreRun a(cfg), b(cfg);
    a.drive(reqs, false);
    b.drive(reqs, true);
    ASSERT_EQ(a.cmds.size(), b.cmds.size());
    for (size_t i = 0; i < a.cmds.size(); i++) {
        ASSERT_EQ(a.cmds[i].cycle, b.cmds[i].cycle) << i;
        ASSERT_EQ(a.cmds[i].cmd, b.cmds[i].cmd) << i;
        ASSERT_EQ(a.cmds[i].bank, b.cmds[i].bank) << i;
    }
    EXPECT_EQ(a.done, b.done);
    EXPECT_LT(a.ticks * 2, b.ticks); // the sleeping driver skips most cycles
    EXPECT_EQ(ddr3_checker_violations(a.k), 0u) << ddr3_checker_first_error(a.k);
}

// The same in bursts, with the requests spread over few banks (the core probes the other banks
// again after a command when they are few), over two ranks, and under FCFS and the closed-page
// policy.
TEST(Ddr3Ctrl, SleepingMatchesEveryCycleOnFewBanksRanksAndPolicies)
{
    for (int variant = 0; variant < 6; variant++) {
        Ddr3CtrlConfig cfg = defaults();
        cfg.timing.trefi = 1500;
        if (variant >= 2) {
            cfg.geometry.ranks = cfg.timing.ranks = 2;
        }
        if (variant == 3) {
            cfg.sched = DRAM_SCHED_FCFS;
        }
        if (variant == 4) {
            cfg.page = DRAM_PAGE_CLOSED;
        }
        if (variant == 5) {
            cfg.row_hit_cap = 2;
        }
        std::mt19937_64 rng(11 + variant);
        std::vector<Req> reqs;
        SimCycle cyc = 0;
        const uint32_t banks = variant == 1 ? 2 : 3;
        for (int i = 0; i < 3000; i++) {
            // Bursts and pauses: in a pause only the core's own wake-ups tick it.
            cyc += i % 8 == 0 ? 1500 : rng() % 2;
            // With two ranks the lowest bank bit of at() is the rank bit.
            const uint64_t a =
                at((uint32_t)(rng() % banks), (uint32_t)(rng() % 4), (uint32_t)(rng() % 16));
            reqs.push_back({cyc, a, rng() % 3 == 0});
        }
        CoreRun a(cfg), b(cfg);
        a.drive(reqs, false);
        b.drive(reqs, true);
        ASSERT_EQ(a.cmds.size(), b.cmds.size()) << "variant " << variant;
        for (size_t i = 0; i < a.cmds.size(); i++) {
            ASSERT_EQ(a.cmds[i].cycle, b.cmds[i].cycle) << "variant " << variant << " cmd " << i;
            ASSERT_EQ(a.cmds[i].cmd, b.cmds[i].cmd) << "variant " << variant << " cmd " << i;
            ASSERT_EQ(a.cmds[i].rank, b.cmds[i].rank) << "variant " << variant << " cmd " << i;
            ASSERT_EQ(a.cmds[i].bank, b.cmds[i].bank) << "variant " << variant << " cmd " << i;
        }
        EXPECT_EQ(a.done, b.done) << "variant " << variant;
        EXPECT_LT(a.ticks * 2, b.ticks) << "variant " << variant;
        EXPECT_EQ(ddr3_checker_violations(a.k), 0u) << ddr3_checker_first_error(a.k);
    }
}

INSTANTIATE_TEST_SUITE_P(Drivers, Ddr3CtrlBoth, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool> &i) {
                             return i.param ? std::string("EveryCycle") : std::string("Sleeping");
                         });

TEST(Ddr3Ctrl, SequentialReadsReachTheRefreshLimitedPeak)
{
    CoreRun r(defaults());
    r.keep_cmds = false;
    std::vector<Req> reqs;
    const uint64_t n = 400000;
    for (uint64_t i = 0; i < n; i++) {
        reqs.push_back({0, i * 64, false});
    }
    r.drive(reqs, false);
    const Ddr3TimingParams &t = r.cfg.timing;
    double gbps = (double)n * 64.0 / ((double)r.last_done * 1.25);
    double peak = 12.8 * (1.0 - (double)(t.trtp + t.trp + t.trfc + t.trcd) / (double)t.trefi);
    EXPECT_NEAR(gbps / peak, 1.0, 0.005) << gbps << " GB/s against " << peak;
    EXPECT_EQ(ddr3_checker_violations(r.k), 0u) << ddr3_checker_first_error(r.k);
    const Ddr3CtrlStats *st = ddr3_ctrl_stats(r.c);
    EXPECT_EQ(st->cmds[DRAM_CMD_REF], r.last_done / t.trefi);
}

TEST(Ddr3Ctrl, RandomTrafficNeverExceedsFourActivatesPerTfaw)
{
    CoreRun r(defaults());
    std::mt19937_64 rng(3);
    std::vector<Req> reqs;
    for (int i = 0; i < 100000; i++) {
        reqs.push_back({0, (rng() % (4ULL << 30)) & ~63ULL, false});
    }
    r.drive(reqs, false);
    std::vector<SimCycle> acts;
    for (const auto &c : r.cmds) {
        if (c.cmd == DRAM_CMD_ACT) {
            acts.push_back(c.cycle);
        }
    }
    ASSERT_GT(acts.size(), 90000u);
    const SimCycle tfaw = r.cfg.timing.tfaw;
    for (size_t i = 0; i + 4 < acts.size(); i++) {
        ASSERT_GE(acts[i + 4] - acts[i], tfaw) << "five ACTs within tFAW at " << acts[i];
        ASSERT_GE(acts[i + 1] - acts[i], (SimCycle)r.cfg.timing.trrd);
    }
    // The achieved rate is bounded by 4 per tFAW, and random traffic gets close to it.
    double rate = (double)acts.size() / (double)(acts.back() - acts.front());
    EXPECT_LE(rate, 4.0 / (double)tfaw);
    EXPECT_GT(rate, 0.8 * 4.0 / (double)tfaw);
    EXPECT_EQ(ddr3_checker_violations(r.k), 0u) << ddr3_checker_first_error(r.k);
}

TEST(Ddr3Ctrl, IdleControllerOnlyRefreshes)
{
    CoreRun r(defaults());
    const SimCycle trefi = r.cfg.timing.trefi;
    r.drive({}, false, 10 * trefi);
    const Ddr3CtrlStats *st = ddr3_ctrl_stats(r.c);
    EXPECT_EQ(st->cmds[DRAM_CMD_REF], 10u);
    EXPECT_EQ(st->cmds[DRAM_CMD_PREA], 0u); // nothing was open
    EXPECT_LE(r.ticks, 25u);                // about one tick per refresh, not 62400
    for (size_t i = 0; i < r.cmds.size(); i++) {
        EXPECT_EQ(r.cmds[i].cycle, (i + 1) * trefi);
    }
    EXPECT_TRUE(ddr3_checker_finish(r.k, 10 * trefi));
}

TEST(Ddr3Ctrl, RefreshClosesOpenRowsFirst)
{
    CoreRun r(defaults());
    const SimCycle trefi = r.cfg.timing.trefi;
    r.drive({{trefi - 100, at(3, 1), false}}, false, trefi + 300);
    ASSERT_GE(r.cmds.size(), 4u);
    EXPECT_EQ(r.cmds[2].cmd, DRAM_CMD_PREA);
    EXPECT_EQ(r.cmds[3].cmd, DRAM_CMD_REF);
    EXPECT_EQ(r.cmds[3].cycle, r.cmds[2].cycle + r.cfg.timing.trp);
    EXPECT_EQ(ddr3_checker_violations(r.k), 0u) << ddr3_checker_first_error(r.k);
}

TEST(Ddr3Ctrl, ReadIsForwardedFromTheWriteQueue)
{
    Ddr3CtrlConfig cfg = defaults();
    CoreRun r(cfg);
    // Reads keep the scheduler in read mode, so the write waits in its queue.
    std::vector<Req> reqs = {{0, at(0, 1), false}, {0, at(2, 7), true}, {0, at(2, 7), false}};
    r.drive(reqs, false);
    EXPECT_EQ(ddr3_ctrl_stats(r.c)->read_forwards, 1u);
    EXPECT_EQ(r.done[2], r.arrive[2] + cfg.frontend);
}

// The write queue counts its requests by bucket of addresses (256 buckets of 64 B bursts, so
// bursts 16 KiB apart share one): a read whose bucket holds other writes only is not forwarded,
// a read of a queued write is, whatever else shares its bucket.
TEST(Ddr3Ctrl, ForwardingLooksPastOtherWritesOfTheSameBucket)
{
    Ddr3CtrlConfig cfg = defaults();
    CoreRun r(cfg);
    const uint64_t a = at(2, 7);
    const uint64_t apart = 256 * 64;
    std::vector<Req> reqs = {{0, at(0, 1), false},      {0, a, true},
                             {0, a + apart, true},      {0, a + 2 * apart, true},
                             {0, a + 3 * apart, false}, {0, a + apart, false},
                             {0, a + 5 * apart, false}, {0, a + 2 * apart, false}};
    r.drive(reqs, false);
    EXPECT_EQ(ddr3_ctrl_stats(r.c)->read_forwards, 2u);
    EXPECT_EQ(r.done[5], r.arrive[5] + cfg.frontend);
    EXPECT_EQ(r.done[7], r.arrive[7] + cfg.frontend);
    EXPECT_GT(r.done[4], r.arrive[4] + cfg.frontend + cfg.timing.cl); /* from the DRAM */
    EXPECT_GT(r.done[6], r.arrive[6] + cfg.frontend + cfg.timing.cl);
    EXPECT_EQ(ddr3_ctrl_stats(r.c)->writes, 3u);
}

TEST(Ddr3Ctrl, WritesDrainBetweenTheWatermarks)
{
    Ddr3CtrlConfig cfg = defaults();
    CoreRun r(cfg);
    std::vector<Req> reqs;
    // A steady read stream with writes mixed in: writes pile up to write_high, then drain.
    for (int i = 0; i < 3000; i++) {
        reqs.push_back({0, at(i % 8, 100 + i / 8), (i % 3) == 2});
    }
    r.drive(reqs, false);
    const Ddr3CtrlStats *st = ddr3_ctrl_stats(r.c);
    EXPECT_GT(st->write_drains, 10u);
    EXPECT_EQ(st->writes, 1000u);
    EXPECT_EQ(st->reads, 2000u);
    EXPECT_EQ(ddr3_checker_violations(r.k), 0u) << ddr3_checker_first_error(r.k);
}

// Row 1 of bank 0 is opened for request 0; request 1 wants row 2 of the same bank and arrives
// before 20 younger hits to row 1. tRAS keeps its PRE back long enough for the hits to queue.
std::vector<Req> hit_then_conflict()
{
    std::vector<Req> reqs = {{0, at(0, 1), false}, {0, at(0, 2), false}};
    for (uint32_t i = 0; i < 20; i++) {
        reqs.push_back({0, at(0, 1, i + 1), false});
    }
    return reqs;
}

// Reads of row 1 sent before the first PRE.
size_t hits_before_precharge(const CoreRun &r)
{
    size_t hits = 0;
    for (const auto &c : r.cmds) {
        if (c.cmd == DRAM_CMD_PRE) {
            return hits;
        }
        hits += c.cmd == DRAM_CMD_RD && c.row == 1;
    }
    return hits;
}

TEST(Ddr3Sched, FrFcfsServesRowHitsUpToTheCap)
{
    Ddr3CtrlConfig cfg = defaults();
    cfg.row_hit_cap = 4;
    CoreRun r(cfg);
    r.drive(hit_then_conflict(), false);
    // Request 0 and three hits make the streak of four; then the older conflict goes.
    EXPECT_EQ(hits_before_precharge(r), 4u);
    EXPECT_EQ(ddr3_checker_violations(r.k), 0u) << ddr3_checker_first_error(r.k);
    cfg.row_hit_cap = 64;
    CoreRun u(cfg);
    u.drive(hit_then_conflict(), false);
    EXPECT_EQ(hits_before_precharge(u), 21u);
}

TEST(Ddr3Sched, FcfsServesTheOlderConflictFirst)
{
    Ddr3CtrlConfig cfg = defaults();
    cfg.sched = DRAM_SCHED_FCFS;
    CoreRun r(cfg);
    r.drive(hit_then_conflict(), false);
    // Only request 0 is older than the conflict.
    EXPECT_EQ(hits_before_precharge(r), 1u);
    EXPECT_EQ(ddr3_checker_violations(r.k), 0u) << ddr3_checker_first_error(r.k);
}

TEST(Ddr3Sched, ClosedPageAutoPrecharges)
{
    Ddr3CtrlConfig cfg = defaults();
    cfg.page = DRAM_PAGE_CLOSED;
    CoreRun r(cfg);
    r.drive(hit_then_conflict(), false);
    size_t rda = 0, pre = 0, acts = 0;
    for (const auto &c : r.cmds) {
        rda += c.cmd == DRAM_CMD_RDA;
        pre += c.cmd == DRAM_CMD_PRE;
        acts += c.cmd == DRAM_CMD_ACT;
    }
    EXPECT_EQ(rda, 22u);
    EXPECT_EQ(pre, 0u);
    EXPECT_EQ(acts, 22u);
    EXPECT_EQ(ddr3_ctrl_stats(r.c)->row_hits, 0u);
    EXPECT_EQ(ddr3_checker_violations(r.k), 0u) << ddr3_checker_first_error(r.k);
}

TEST(Ddr3Ctrl, BadConfigurationsAreRefused)
{
    const char *why = nullptr;
    Ddr3CtrlConfig cfg = defaults();
    cfg.write_low = cfg.write_high;
    EXPECT_EQ(ddr3_ctrl_new(&cfg, &why), nullptr);
    EXPECT_NE(why, nullptr);
    cfg = defaults();
    cfg.timing.trc = 10;
    EXPECT_EQ(ddr3_ctrl_new(&cfg, &why), nullptr);
    EXPECT_STREQ(why, "tRC must be at least tRAS + tRP");
    cfg = defaults();
    cfg.geometry.rows = 1000;
    EXPECT_EQ(ddr3_ctrl_new(&cfg, &why), nullptr);
    EXPECT_STREQ(why, "rows must be a power of two");
}

} // namespace
