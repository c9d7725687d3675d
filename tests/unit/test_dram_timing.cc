// DDR3 timing tables (models/dram/ddr3_timing.c) and the bank state that folds them into
// earliest-issue cycles (models/dram/ddr3_bank.c). Values are DDR3-1600K in tCK.
#include <gtest/gtest.h>

#include "models/dram/ddr3_bank.h"
#include "models/dram/ddr3_timing.h"

namespace
{

struct Ddr3 : ::testing::Test {
    Ddr3TimingParams p;
    Ddr3Timing t;
    Ddr3Channel ch;
    void SetUp() override
    {
        ddr3_timing_params_default(&p);
        ddr3_timing_init(&t, &p);
        ddr3_channel_init(&ch, &t);
    }
    SimCycle earliest(DramCmd c, uint32_t bank, uint32_t rank = 0)
    {
        return ddr3_channel_earliest(&ch, c, rank, bank);
    }
};

TEST_F(Ddr3, DefaultsAreDdr3_1600K)
{
    EXPECT_EQ(p.cl, 11u);
    EXPECT_EQ(p.cwl, 8u);
    EXPECT_EQ(p.trcd, 11u);
    EXPECT_EQ(p.trp, 11u);
    EXPECT_EQ(p.tras, 28u);
    EXPECT_EQ(p.trc, 39u);
    EXPECT_EQ(p.twr, 12u);
    EXPECT_EQ(p.twtr, 6u);
    EXPECT_EQ(p.trtp, 6u);
    EXPECT_EQ(p.tccd, 4u);
    EXPECT_EQ(p.trrd, 5u);
    EXPECT_EQ(p.tfaw, 24u);
    EXPECT_EQ(p.trfc, 208u);
    EXPECT_EQ(p.trefi, 6240u);
    EXPECT_EQ(p.bl, 8u);
    EXPECT_EQ(ddr3_timing_params_check(&p), nullptr);
}

TEST_F(Ddr3, TablesHoldTheJedecPairs)
{
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_ACT][DRAM_CMD_RD], 11u);  // tRCD
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_ACT][DRAM_CMD_WRA], 11u); // tRCD
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_ACT][DRAM_CMD_ACT], 39u); // tRC
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_ACT][DRAM_CMD_PRE], 28u); // tRAS
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_PRE][DRAM_CMD_ACT], 11u); // tRP
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_RD][DRAM_CMD_PRE], 6u);   // tRTP
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_WR][DRAM_CMD_PRE], 24u);  // CWL + 4 + tWR
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_RDA][DRAM_CMD_ACT], 17u); // tRTP + tRP
    EXPECT_EQ(t.delay[DRAM_SCOPE_BANK][DRAM_CMD_WRA][DRAM_CMD_ACT], 35u); // 24 + tRP
    EXPECT_EQ(t.delay[DRAM_SCOPE_RANK][DRAM_CMD_ACT][DRAM_CMD_ACT], 5u);  // tRRD
    EXPECT_EQ(t.delay[DRAM_SCOPE_RANK][DRAM_CMD_RD][DRAM_CMD_RD], 4u);    // tCCD
    EXPECT_EQ(t.delay[DRAM_SCOPE_RANK][DRAM_CMD_RD][DRAM_CMD_WR], 9u);    // CL + tCCD + 2 - CWL
    EXPECT_EQ(t.delay[DRAM_SCOPE_RANK][DRAM_CMD_WR][DRAM_CMD_RD], 18u);   // CWL + 4 + tWTR
    EXPECT_EQ(t.delay[DRAM_SCOPE_RANK][DRAM_CMD_WR][DRAM_CMD_WR], 4u);
    EXPECT_EQ(t.delay[DRAM_SCOPE_RANK][DRAM_CMD_REF][DRAM_CMD_ACT], 208u); // tRFC
    EXPECT_EQ(t.delay[DRAM_SCOPE_RANK][DRAM_CMD_PREA][DRAM_CMD_REF], 11u); // tRP
    EXPECT_EQ(t.delay[DRAM_SCOPE_OTHER][DRAM_CMD_RD][DRAM_CMD_RD], 6u);    // BL/2 + tRTRS
    EXPECT_EQ(t.delay[DRAM_SCOPE_OTHER][DRAM_CMD_RD][DRAM_CMD_WR], 9u);    // CL + 4 + 2 - CWL
    EXPECT_EQ(t.delay[DRAM_SCOPE_OTHER][DRAM_CMD_WR][DRAM_CMD_RD], 3u);    // CWL + 4 + 2 - CL
    EXPECT_EQ(t.read_done, 15u);
    EXPECT_EQ(t.write_done, 12u);
}

TEST_F(Ddr3, InconsistentParametersAreRejected)
{
    Ddr3TimingParams q = p;
    q.trc = q.tras + q.trp - 1;
    EXPECT_NE(ddr3_timing_params_check(&q), nullptr);
    q = p;
    q.cwl = q.cl + 1;
    EXPECT_NE(ddr3_timing_params_check(&q), nullptr);
    q = p;
    q.tfaw = q.trrd - 1;
    EXPECT_NE(ddr3_timing_params_check(&q), nullptr);
    q = p;
    q.trefi = q.trfc;
    EXPECT_NE(ddr3_timing_params_check(&q), nullptr);
    q = p;
    q.bl = 4;
    EXPECT_NE(ddr3_timing_params_check(&q), nullptr);
}

TEST_F(Ddr3, ActivateOpensARowAndSetsItsEarliestCycles)
{
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 2, 77, 100);
    const Ddr3Bank *b = ddr3_channel_bank_c(&ch, 0, 2);
    EXPECT_TRUE(b->open);
    EXPECT_EQ(b->row, 77u);
    EXPECT_EQ(earliest(DRAM_CMD_RD, 2), 111u);
    EXPECT_EQ(earliest(DRAM_CMD_WR, 2), 111u);
    EXPECT_EQ(earliest(DRAM_CMD_PRE, 2), 128u);
    EXPECT_EQ(earliest(DRAM_CMD_PREA, 0), 128u);
    EXPECT_EQ(earliest(DRAM_CMD_ACT, 3), 105u); // tRRD
    EXPECT_EQ(earliest(DRAM_CMD_RD, 3), 101u);  // only the command bus
}

TEST_F(Ddr3, FourActivateWindow)
{
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 0, 1, 0);
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 1, 1, 5);
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 2, 1, 10);
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 3, 1, 15);
    // tRRD alone would allow 20; tFAW holds the fifth ACT to 0 + 24.
    EXPECT_EQ(earliest(DRAM_CMD_ACT, 4), 24u);
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 4, 1, 24);
    EXPECT_EQ(earliest(DRAM_CMD_ACT, 5), 29u); // 5 + 24, and tRRD 24 + 5
}

TEST_F(Ddr3, ReadWriteTurnarounds)
{
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 0, 1, 0);
    ddr3_channel_issue(&ch, DRAM_CMD_RD, 0, 0, 1, 11);
    EXPECT_EQ(earliest(DRAM_CMD_RD, 0), 15u);
    EXPECT_EQ(earliest(DRAM_CMD_WR, 0), 20u);
    ddr3_channel_issue(&ch, DRAM_CMD_WR, 0, 0, 1, 20);
    EXPECT_EQ(earliest(DRAM_CMD_RD, 0), 38u);  // 20 + 8 + 4 + 6
    EXPECT_EQ(earliest(DRAM_CMD_PRE, 0), 44u); // 20 + 8 + 4 + 12
}

TEST_F(Ddr3, AutoPrechargeClosesTheBank)
{
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 0, 9, 0);
    ddr3_channel_issue(&ch, DRAM_CMD_RDA, 0, 0, 9, 11);
    EXPECT_FALSE(ddr3_channel_bank_c(&ch, 0, 0)->open);
    // tRC from the ACT dominates RDA + tRTP + tRP = 28 here (the tRAS lockout).
    EXPECT_EQ(earliest(DRAM_CMD_ACT, 0), 39u);
    EXPECT_EQ(earliest(DRAM_CMD_REF, 0), 39u);
}

TEST_F(Ddr3, RefreshBlocksTheRankForTrfc)
{
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 0, 9, 0);
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 5, 9, 5);
    EXPECT_EQ(earliest(DRAM_CMD_PREA, 0), 33u); // tRAS of the later ACT
    ddr3_channel_issue(&ch, DRAM_CMD_PREA, 0, 0, 0, 33);
    EXPECT_EQ(ch.rank[0].open_banks, 0u);
    EXPECT_EQ(earliest(DRAM_CMD_REF, 0), 44u);
    ddr3_channel_issue(&ch, DRAM_CMD_REF, 0, 0, 0, 44);
    EXPECT_EQ(earliest(DRAM_CMD_ACT, 3), 44u + 208u);
    EXPECT_EQ(earliest(DRAM_CMD_REF, 0), 44u + 208u);
}

TEST_F(Ddr3, RanksShareTheDataBus)
{
    p.ranks = 2;
    ddr3_timing_init(&t, &p);
    ddr3_channel_init(&ch, &t);
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 0, 1, 0);
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 1, 0, 1, 1); // no tRRD across ranks
    ddr3_channel_issue(&ch, DRAM_CMD_RD, 0, 0, 1, 12);
    EXPECT_EQ(earliest(DRAM_CMD_RD, 0, 1), 18u); // 12 + 4 + tRTRS
    EXPECT_EQ(earliest(DRAM_CMD_RD, 1, 0), 16u); // same rank: tCCD
}

TEST_F(Ddr3, OverrideChangesTableAndList)
{
    ddr3_timing_override(&t, DRAM_SCOPE_BANK, DRAM_CMD_ACT, DRAM_CMD_RD, 7);
    ddr3_channel_issue(&ch, DRAM_CMD_ACT, 0, 0, 1, 0);
    EXPECT_EQ(earliest(DRAM_CMD_RD, 0), 7u);
}

TEST(DramCmd, Names)
{
    EXPECT_STREQ(dram_cmd_name(DRAM_CMD_ACT), "ACT");
    EXPECT_STREQ(dram_cmd_name(DRAM_CMD_PREA), "PREA");
    EXPECT_STREQ(dram_cmd_name(DRAM_CMD_REF), "REF");
    EXPECT_STREQ(dram_cmd_name(DRAM_CMD_MAX), "?");
}

} // namespace
