// The independent JEDEC checker (models/dram/ddr3_checker.c): it catches each rule broken on
// purpose, it passes the controller's command stream over 1e6 random requests for every
// scheduler, page policy and mapping, and it fails when the scheduler's table is broken.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "models/dram/ddr3_checker.h"
#include "models/dram/ddr3_ctrl.h"

namespace
{

// ---- hand-made command streams ----

struct Stream {
    Ddr3TimingParams p;
    Ddr3Checker *k;
    explicit Stream(uint32_t ranks = 1)
    {
        ddr3_timing_params_default(&p);
        p.ranks = ranks;
        k = ddr3_checker_new(&p, true);
    }
    ~Stream()
    {
        ddr3_checker_free(k);
    }
    bool cmd(uint64_t cycle, DramCmd c, uint32_t bank = 0, uint32_t row = 1, uint32_t rank = 0)
    {
        Ddr3CmdRecord r = {cycle, c, rank, bank, row, 0};
        return ddr3_checker_command(k, &r);
    }
    std::string error() const
    {
        return ddr3_checker_first_error(k);
    }
};

TEST(Ddr3Checker, LegalSequencePasses)
{
    Stream s;
    EXPECT_TRUE(s.cmd(0, DRAM_CMD_ACT, 0));
    EXPECT_TRUE(s.cmd(5, DRAM_CMD_ACT, 1));
    EXPECT_TRUE(s.cmd(11, DRAM_CMD_RD, 0));
    EXPECT_TRUE(s.cmd(15, DRAM_CMD_RD, 0));
    EXPECT_TRUE(s.cmd(19, DRAM_CMD_RD, 1));     // tCCD after 15
    EXPECT_TRUE(s.cmd(28, DRAM_CMD_WR, 1));     // 19 + 9 read-to-write turnaround
    EXPECT_TRUE(s.cmd(46, DRAM_CMD_RD, 0));     // 28 + CWL + 4 + tWTR
    EXPECT_TRUE(s.cmd(52, DRAM_CMD_PRE, 0));    // 46 + tRTP
    EXPECT_TRUE(s.cmd(63, DRAM_CMD_ACT, 0, 2)); // 52 + tRP
    EXPECT_EQ(ddr3_checker_violations(s.k), 0u) << s.error();
    EXPECT_EQ(ddr3_checker_commands(s.k), 9u);
}

struct Case {
    const char *name;
    const char *rule; // substring the message must hold
    std::vector<Ddr3CmdRecord> cmds;
};

Ddr3CmdRecord C(uint64_t cycle, DramCmd c, uint32_t bank = 0, uint32_t row = 1, uint32_t rank = 0)
{
    return Ddr3CmdRecord{cycle, c, rank, bank, row, 0};
}

TEST(Ddr3Checker, CatchesEachBrokenRule)
{
    const std::vector<Case> cases = {
        {"tRCD", "tRCD violated", {C(0, DRAM_CMD_ACT), C(10, DRAM_CMD_RD)}},
        {"tRAS", "tRAS violated", {C(0, DRAM_CMD_ACT), C(27, DRAM_CMD_PRE)}},
        {"tRP", "tRP violated", {C(0, DRAM_CMD_ACT), C(30, DRAM_CMD_PRE), C(40, DRAM_CMD_ACT)}},
        {"tRC",
         "tRC violated",
         {C(0, DRAM_CMD_ACT), C(28, DRAM_CMD_PRE), C(38, DRAM_CMD_ACT, 0, 2)}},
        {"tRRD", "tRRD violated", {C(0, DRAM_CMD_ACT, 0), C(4, DRAM_CMD_ACT, 1)}},
        {"tFAW",
         "tFAW violated",
         {C(0, DRAM_CMD_ACT, 0), C(5, DRAM_CMD_ACT, 1), C(10, DRAM_CMD_ACT, 2),
          C(15, DRAM_CMD_ACT, 3), C(20, DRAM_CMD_ACT, 4)}},
        {"tCCD", "tCCD violated", {C(0, DRAM_CMD_ACT), C(11, DRAM_CMD_RD), C(14, DRAM_CMD_RD)}},
        {"tWTR", "tWTR violated", {C(0, DRAM_CMD_ACT), C(11, DRAM_CMD_WR), C(28, DRAM_CMD_RD)}},
        {"rd-wr", "read-to-write", {C(0, DRAM_CMD_ACT), C(11, DRAM_CMD_RD), C(19, DRAM_CMD_WR)}},
        {"tRTP", "tRTP violated", {C(0, DRAM_CMD_ACT), C(30, DRAM_CMD_RD), C(35, DRAM_CMD_PRE)}},
        {"tWR", "tWR violated", {C(0, DRAM_CMD_ACT), C(11, DRAM_CMD_WR), C(34, DRAM_CMD_PRE)}},
        {"tRFC", "tRFC violated", {C(0, DRAM_CMD_REF), C(207, DRAM_CMD_ACT)}},
        {"REF open", "REF while bank 2", {C(0, DRAM_CMD_ACT, 2), C(50, DRAM_CMD_REF)}},
        {"REF early",
         "tRP violated",
         {C(0, DRAM_CMD_ACT), C(30, DRAM_CMD_PRE), C(40, DRAM_CMD_REF)}},
        {"RDA lockout",
         "tRP violated",
         {C(0, DRAM_CMD_ACT), C(11, DRAM_CMD_RDA), C(30, DRAM_CMD_REF)}},
        {"WRA",
         "tRP violated",
         {C(0, DRAM_CMD_ACT), C(11, DRAM_CMD_WRA), C(40, DRAM_CMD_ACT, 0, 3)}},
        {"PREA",
         "tRAS violated",
         {C(0, DRAM_CMD_ACT, 0), C(20, DRAM_CMD_ACT, 5), C(30, DRAM_CMD_PREA)}},
        {"closed", "column command to an idle bank", {C(0, DRAM_CMD_RD)}},
        {"row", "while row 1 is open", {C(0, DRAM_CMD_ACT), C(20, DRAM_CMD_RD, 0, 2)}},
        {"ACT open",
         "ACT to a bank that has row 1 open",
         {C(0, DRAM_CMD_ACT), C(50, DRAM_CMD_ACT, 0, 2)}},
        {"order", "one per cycle", {C(5, DRAM_CMD_ACT, 0), C(5, DRAM_CMD_ACT, 7)}},
        {"refresh", "refresh interval", {C(0, DRAM_CMD_REF), C(9 * 6240 + 1, DRAM_CMD_REF)}},
    };
    for (const Case &c : cases) {
        Stream s;
        bool ok = true;
        for (const auto &r : c.cmds) {
            ok = ddr3_checker_command(s.k, &r) && ok;
        }
        EXPECT_FALSE(ok) << c.name;
        EXPECT_GE(ddr3_checker_violations(s.k), 1u) << c.name << ": " << s.error();
        EXPECT_NE(s.error().find(c.rule), std::string::npos) << c.name << ": " << s.error();
    }
}

TEST(Ddr3Checker, DataBusBetweenRanks)
{
    Stream s(2);
    EXPECT_TRUE(s.cmd(0, DRAM_CMD_ACT, 0, 1, 0));
    EXPECT_TRUE(s.cmd(1, DRAM_CMD_ACT, 0, 1, 1));
    EXPECT_TRUE(s.cmd(12, DRAM_CMD_RD, 0, 1, 0));
    EXPECT_FALSE(s.cmd(17, DRAM_CMD_RD, 0, 1, 1)); // needs 12 + 4 + tRTRS = 18
    EXPECT_NE(s.error().find("data bus conflict"), std::string::npos) << s.error();
}

TEST(Ddr3Checker, RefreshIntervalAtTheEnd)
{
    Stream s;
    EXPECT_TRUE(ddr3_checker_finish(s.k, 9 * 6240));
    EXPECT_FALSE(ddr3_checker_finish(s.k, 9 * 6240 + 1));
    EXPECT_NE(s.error().find("no REF"), std::string::npos) << s.error();
}

// ---- the controller under long random traffic ----

struct Driven {
    Ddr3Ctrl *c;
    Ddr3Checker *k;
    uint64_t done = 0;
    static void on_done(void *ctx, uint64_t, bool, SimCycle)
    {
        static_cast<Driven *>(ctx)->done++;
    }
    static void on_cmd(void *ctx, const Ddr3CmdRecord *rec)
    {
        ddr3_checker_command(static_cast<Driven *>(ctx)->k, rec);
    }
};

// Random 64 B requests (2 reads : 1 write) over the whole module, offered as fast as the
// queues take them; returns the checker's verdict.
uint64_t run_random(const Ddr3CtrlConfig &cfg, uint64_t n, uint64_t seed, std::string *first,
                    void (*breakit)(Ddr3Timing *) = nullptr)
{
    const char *why = nullptr;
    Driven d;
    d.c = ddr3_ctrl_new(&cfg, &why);
    EXPECT_NE(d.c, nullptr) << (why ? why : "");
    d.k = ddr3_checker_new(&cfg.timing, cfg.refresh);
    ddr3_ctrl_set_callbacks(d.c, Driven::on_done, Driven::on_cmd, &d);
    if (breakit != nullptr) {
        breakit(ddr3_ctrl_timing(d.c));
    }
    const uint64_t cap = ddr3_ctrl_map(d.c)->capacity;
    std::mt19937_64 rng(seed);
    uint64_t sent = 0;
    SimCycle now = 0;
    uint64_t addr = (rng() % cap) & ~63ULL;
    bool write = rng() % 3 == 0;
    while (d.done < n) {
        SimCycle wake = ddr3_ctrl_tick(d.c, now);
        if (sent < n && ddr3_ctrl_space(d.c, write) > 0) {
            ddr3_ctrl_enqueue(d.c, now, addr, write, sent++);
            addr = (rng() % cap) & ~63ULL;
            write = rng() % 3 == 0;
            wake = ddr3_ctrl_wake(d.c);
            if (ddr3_ctrl_space(d.c, write) > 0) {
                wake = now + 1;
            }
        }
        now = wake == SIM_CYCLE_NEVER ? now + 1 : wake;
    }
    ddr3_checker_finish(d.k, now);
    uint64_t v = ddr3_checker_violations(d.k);
    *first = ddr3_checker_first_error(d.k);
    EXPECT_GT(ddr3_checker_commands(d.k), n);
    ddr3_ctrl_free(d.c);
    ddr3_checker_free(d.k);
    return v;
}

struct Variant {
    DramSchedKind sched;
    DramPagePolicy page;
    DramMapping mapping;
    DramBankHash hash;
    uint32_t ranks;
};

class Ddr3CheckerRandom : public ::testing::TestWithParam<Variant>
{
};

TEST_P(Ddr3CheckerRandom, MillionRandomRequestsBreakNoRule)
{
    const Variant v = GetParam();
    Ddr3CtrlConfig cfg;
    ddr3_ctrl_config_default(&cfg);
    cfg.sched = v.sched;
    cfg.page = v.page;
    cfg.mapping = v.mapping;
    cfg.hash = v.hash;
    cfg.timing.ranks = cfg.geometry.ranks = v.ranks;
    if (v.ranks > 1) {
        cfg.geometry.rows /= v.ranks; // keep the module at 4 GiB
    }
    std::string first;
    // 1e6 requests for every scheduler, page policy and mapping; the extra variants (XOR hash,
    // two ranks) with fewer, to keep the binary well inside its time budget.
    const uint64_t n = v.hash == DRAM_HASH_NONE && v.ranks == 1 ? 1000000 : 200000;
    EXPECT_EQ(run_random(cfg, n, 11, &first), 0u) << first;
}

std::vector<Variant> variants()
{
    std::vector<Variant> out;
    for (int s = 0; s < DRAM_SCHED_MAX; s++) {
        for (int p = 0; p < DRAM_PAGE_MAX; p++) {
            for (int m = 0; m < DRAM_MAP_MAX; m++) {
                out.push_back(
                    {(DramSchedKind)s, (DramPagePolicy)p, (DramMapping)m, DRAM_HASH_NONE, 1});
            }
            out.push_back(
                {(DramSchedKind)s, (DramPagePolicy)p, DRAM_MAP_ROBARACOCH, DRAM_HASH_XOR, 1});
            out.push_back(
                {(DramSchedKind)s, (DramPagePolicy)p, DRAM_MAP_RORABACHCO, DRAM_HASH_NONE, 2});
        }
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(AllConfigurations, Ddr3CheckerRandom, ::testing::ValuesIn(variants()),
                         [](const ::testing::TestParamInfo<Variant> &i) {
                             const Variant &v = i.param;
                             std::string n = std::string(dram_sched_names[v.sched]) + "_" +
                                             dram_page_names[v.page] + "_" +
                                             dram_mapping_names[v.mapping];
                             if (v.hash == DRAM_HASH_XOR) {
                                 n += "_xor";
                             }
                             if (v.ranks > 1) {
                                 n += "_" + std::to_string(v.ranks) + "ranks";
                             }
                             return n;
                         });

// The scheduler works from a table with one entry made too small: the checker must notice.
struct Broken {
    const char *name;
    void (*breakit)(Ddr3Timing *);
    const char *rule;
};

TEST(Ddr3Checker, BrokenSchedulerTablesAreCaught)
{
    const Broken cases[] = {
        {"tRCD",
         [](Ddr3Timing *t) {
             for (DramCmd c : {DRAM_CMD_RD, DRAM_CMD_WR}) {
                 ddr3_timing_override(t, DRAM_SCOPE_BANK, DRAM_CMD_ACT, c, 10);
             }
         },
         "tRCD"},
        {"tRP",
         [](Ddr3Timing *t) {
             ddr3_timing_override(t, DRAM_SCOPE_BANK, DRAM_CMD_PRE, DRAM_CMD_ACT, 9);
         },
         "tRP"},
        {"tRRD",
         [](Ddr3Timing *t) {
             ddr3_timing_override(t, DRAM_SCOPE_RANK, DRAM_CMD_ACT, DRAM_CMD_ACT, 2);
         },
         "tRRD"},
        {"tWTR",
         [](Ddr3Timing *t) {
             ddr3_timing_override(t, DRAM_SCOPE_RANK, DRAM_CMD_WR, DRAM_CMD_RD, 12);
         },
         "tWTR"},
        {"tRFC",
         [](Ddr3Timing *t) {
             ddr3_timing_override(t, DRAM_SCOPE_RANK, DRAM_CMD_REF, DRAM_CMD_ACT, 100);
         },
         "tRFC"},
    };
    Ddr3CtrlConfig cfg;
    ddr3_ctrl_config_default(&cfg);
    for (const Broken &b : cases) {
        std::string first;
        uint64_t v = run_random(cfg, 50000, 5, &first, b.breakit);
        EXPECT_GT(v, 0u) << b.name;
        EXPECT_NE(first.find(b.rule), std::string::npos) << b.name << ": " << first;
    }
}

} // namespace
