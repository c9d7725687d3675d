#include "ddr3_timing.h"

#include <assert.h>
#include <string.h>

static const char *const dram_cmd_names[DRAM_CMD_MAX] = {
    [DRAM_CMD_ACT] = "ACT", [DRAM_CMD_PRE] = "PRE", [DRAM_CMD_PREA] = "PREA",
    [DRAM_CMD_RD] = "RD",   [DRAM_CMD_RDA] = "RDA", [DRAM_CMD_WR] = "WR",
    [DRAM_CMD_WRA] = "WRA", [DRAM_CMD_REF] = "REF",
};

const char *dram_cmd_name(DramCmd c)
{
    return (unsigned)c < DRAM_CMD_MAX ? dram_cmd_names[c] : "?";
}

void ddr3_timing_params_default(Ddr3TimingParams *p)
{
    /* DDR3-1600K (11-11-11), 4Gb x8, 1 KiB page: JESD79-3F tables 68 and 69 in tCK = 1.25 ns. */
    *p = (Ddr3TimingParams){
        .cl = 11,
        .cwl = 8,
        .trcd = 11,
        .trp = 11,
        .tras = 28,
        .trc = 39,
        .twr = 12,
        .twtr = 6,
        .trtp = 6,
        .tccd = 4,
        .trrd = 5,
        .tfaw = 24,
        .trfc = 208,
        .trefi = 6240,
        .trtrs = 2,
        .bl = 8,
        .ranks = 1,
        .banks = 8,
    };
}

const char *ddr3_timing_params_check(const Ddr3TimingParams *p)
{
    if (p->bl != 8) {
        return "only BL8 bursts are modelled (one 64 B burst per 512-bit Avalon beat)";
    }
    if (p->trc < p->tras + p->trp) {
        return "tRC must be at least tRAS + tRP";
    }
    if (p->tras < p->trcd) {
        return "tRAS must be at least tRCD";
    }
    if (p->tccd < p->bl / 2) {
        return "tCCD must be at least BL/2, or bursts would overlap on the data bus";
    }
    if (p->cwl > p->cl) {
        return "CWL must not exceed CL";
    }
    if (p->tfaw < p->trrd) {
        return "tFAW must be at least tRRD";
    }
    if (p->trefi <= p->trfc + p->trp) {
        return "tREFI must exceed tRFC + tRP, or refresh would take all the time";
    }
    return NULL;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

static void set(Ddr3Timing *t, DramScope s, DramCmd issued, DramCmd next, uint32_t delay)
{
    t->delay[s][issued][next] = max_u32(t->delay[s][issued][next], delay);
}

static void build_lists(Ddr3Timing *t)
{
    for (int s = 0; s < DRAM_SCOPE_MAX; s++) {
        for (int a = 0; a < DRAM_CMD_MAX; a++) {
            t->list[s][a].n = 0;
            for (int b = 0; b < DRAM_CMD_MAX; b++) {
                uint32_t d = t->delay[s][a][b];
                if (d > 1) {
                    /* A delay of 1 is already implied by one command per cycle. */
                    uint8_t i = t->list[s][a].n++;
                    t->list[s][a].next[i] = (uint8_t)b;
                    t->list[s][a].delay[i] = d;
                }
            }
        }
    }
}

void ddr3_timing_init(Ddr3Timing *t, const Ddr3TimingParams *p)
{
    memset(t, 0, sizeof(*t));
    t->p = *p;
    const uint32_t bl2 = p->bl / 2; /* data bus cycles of one burst */
    const uint32_t ccd = max_u32(p->tccd, bl2);
    /* RD to PRE: AL + BL/2 + max(tRTP, 4) - 4 with AL = 0 (JESD79-3F 4.17.4). */
    const uint32_t rd_to_pre = bl2 + max_u32(p->trtp, 4) - 4;
    /* WR to PRE: the write recovery time counts from the end of the data. */
    const uint32_t wr_to_pre = p->cwl + bl2 + p->twr;
    /* RD to WR, same rank: RL + tCCD + 2 tCK - WL (bus turnaround, JESD79-3F 4.17.2). */
    const uint32_t rd_to_wr = p->cl + ccd + 2 - p->cwl;
    /* WR to RD, same rank: WL + BL/2 + tWTR. */
    const uint32_t wr_to_rd = p->cwl + bl2 + p->twtr;
    /* Between ranks the data bus needs tRTRS idle cycles between the two bursts. */
    const uint32_t rank_rd_rd = bl2 + p->trtrs;
    const uint32_t rank_wr_wr = bl2 + p->trtrs;
    const uint32_t rank_rd_wr = p->cl + bl2 + p->trtrs - p->cwl;
    const uint32_t rank_wr_rd =
        p->cwl + bl2 + p->trtrs > p->cl ? p->cwl + bl2 + p->trtrs - p->cl : 1;

    static const DramCmd reads[] = {DRAM_CMD_RD, DRAM_CMD_RDA};
    static const DramCmd writes[] = {DRAM_CMD_WR, DRAM_CMD_WRA};
    static const DramCmd columns[] = {DRAM_CMD_RD, DRAM_CMD_RDA, DRAM_CMD_WR, DRAM_CMD_WRA};

    /* ACT */
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_ACT, DRAM_CMD_ACT, p->trc);
    for (size_t i = 0; i < 4; i++) {
        set(t, DRAM_SCOPE_BANK, DRAM_CMD_ACT, columns[i], p->trcd);
    }
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_ACT, DRAM_CMD_PRE, p->tras);
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_ACT, DRAM_CMD_PREA, p->tras);
    /* An auto-precharge cannot start before tRAS either (JESD79-3F "tRAS lockout"), so a REF
     * after ACT + RDA must wait for ACT + tRAS + tRP <= ACT + tRC. */
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_ACT, DRAM_CMD_REF, p->trc);
    set(t, DRAM_SCOPE_RANK, DRAM_CMD_ACT, DRAM_CMD_ACT, p->trrd);

    /* PRE and PREA: the bank (all banks for PREA) is idle after tRP. */
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_PRE, DRAM_CMD_ACT, p->trp);
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_PRE, DRAM_CMD_REF, p->trp);
    set(t, DRAM_SCOPE_RANK, DRAM_CMD_PREA, DRAM_CMD_ACT, p->trp);
    set(t, DRAM_SCOPE_RANK, DRAM_CMD_PREA, DRAM_CMD_REF, p->trp);

    /* Column commands. */
    for (size_t i = 0; i < 2; i++) {
        DramCmd rd = reads[i];
        DramCmd wr = writes[i];
        for (size_t j = 0; j < 2; j++) {
            set(t, DRAM_SCOPE_RANK, rd, reads[j], ccd);
            set(t, DRAM_SCOPE_RANK, rd, writes[j], rd_to_wr);
            set(t, DRAM_SCOPE_RANK, wr, reads[j], wr_to_rd);
            set(t, DRAM_SCOPE_RANK, wr, writes[j], ccd);
            set(t, DRAM_SCOPE_OTHER, rd, reads[j], rank_rd_rd);
            set(t, DRAM_SCOPE_OTHER, rd, writes[j], rank_rd_wr);
            set(t, DRAM_SCOPE_OTHER, wr, reads[j], rank_wr_rd);
            set(t, DRAM_SCOPE_OTHER, wr, writes[j], rank_wr_wr);
        }
    }
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_RD, DRAM_CMD_PRE, rd_to_pre);
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_RD, DRAM_CMD_PREA, rd_to_pre);
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_WR, DRAM_CMD_PRE, wr_to_pre);
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_WR, DRAM_CMD_PREA, wr_to_pre);
    /* With auto-precharge the bank precharges itself at the moment a PRE would be allowed,
     * and is idle tRP later (tRAS is covered: tRC >= tRAS + tRP and ACT->ACT is tRC). */
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_RDA, DRAM_CMD_ACT, rd_to_pre + p->trp);
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_RDA, DRAM_CMD_REF, rd_to_pre + p->trp);
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_WRA, DRAM_CMD_ACT, wr_to_pre + p->trp);
    set(t, DRAM_SCOPE_BANK, DRAM_CMD_WRA, DRAM_CMD_REF, wr_to_pre + p->trp);

    /* REF: the whole rank is busy for tRFC. */
    set(t, DRAM_SCOPE_RANK, DRAM_CMD_REF, DRAM_CMD_ACT, p->trfc);
    set(t, DRAM_SCOPE_RANK, DRAM_CMD_REF, DRAM_CMD_REF, p->trfc);

    t->read_done = p->cl + bl2;
    t->write_done = p->cwl + bl2;
    build_lists(t);
}

void ddr3_timing_override(Ddr3Timing *t, DramScope scope, DramCmd issued, DramCmd next,
                          uint32_t delay)
{
    assert(scope < DRAM_SCOPE_MAX && issued < DRAM_CMD_MAX && next < DRAM_CMD_MAX);
    t->delay[scope][issued][next] = delay;
    build_lists(t);
}
