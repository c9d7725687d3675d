/*
 * DDR3 device timing: the JEDEC parameters of one channel in DRAM clock cycles (tCK), the
 * command set, and the constraint tables derived from them once at build.
 *
 * A table entry delay[scope][issued][next] says: after `issued` was sent at cycle t, a `next`
 * command within `scope` of it may not be sent before t + delay. Scopes are the bank the
 * command addressed, the whole rank (every bank of it, the addressed one included) and every
 * other rank of the channel. The bank state (ddr3_bank.h) folds these tables into per-bank and
 * per-rank earliest-issue cycles, so asking "may ACT go to bank 3 now?" is one comparison, and
 * the scheduler never evaluates a timing formula on the tick path (DRAMsim3 timing.cc does the
 * same; this is our own code).
 *
 * Only tFAW does not fit a pairwise table (it limits a window of four ACTs): the bank state
 * keeps a ring of the last four ACT cycles per rank for it.
 */
#ifndef MEMBOX_DRAM_DDR3_TIMING_H
#define MEMBOX_DRAM_DDR3_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum DramCmd {
    DRAM_CMD_ACT = 0, /* activate: open a row of one bank */
    DRAM_CMD_PRE,     /* precharge one bank */
    DRAM_CMD_PREA,    /* precharge all banks of a rank */
    DRAM_CMD_RD,      /* read burst, row stays open */
    DRAM_CMD_RDA,     /* read burst with auto-precharge */
    DRAM_CMD_WR,      /* write burst, row stays open */
    DRAM_CMD_WRA,     /* write burst with auto-precharge */
    DRAM_CMD_REF,     /* all-bank refresh of a rank */
    DRAM_CMD_MAX
} DramCmd;

typedef enum DramScope {
    DRAM_SCOPE_BANK = 0, /* the bank the command addressed */
    DRAM_SCOPE_RANK,     /* every bank of the same rank */
    DRAM_SCOPE_OTHER,    /* every bank of every other rank */
    DRAM_SCOPE_MAX
} DramScope;

const char *dram_cmd_name(DramCmd c);

static inline bool dram_cmd_is_read(DramCmd c)
{
    return c == DRAM_CMD_RD || c == DRAM_CMD_RDA;
}

static inline bool dram_cmd_is_write(DramCmd c)
{
    return c == DRAM_CMD_WR || c == DRAM_CMD_WRA;
}

static inline bool dram_cmd_is_column(DramCmd c)
{
    return dram_cmd_is_read(c) || dram_cmd_is_write(c);
}

/* One command as it appears on the command bus: what the checker and traces watch. */
typedef struct Ddr3CmdRecord {
    uint64_t cycle;
    DramCmd cmd;
    uint32_t rank;
    uint32_t bank; /* 0 for PREA and REF */
    uint32_t row;  /* ACT: row opened; column commands: the open row; else 0 */
    uint32_t col;  /* column commands: burst column; else 0 */
} Ddr3CmdRecord;

/* The JEDEC values, all in tCK cycles (AL = 0: no additive latency). */
typedef struct Ddr3TimingParams {
    uint32_t cl;    /* CAS (read) latency: RD to first data */
    uint32_t cwl;   /* CAS write latency: WR to first data */
    uint32_t trcd;  /* ACT to RD/WR, same bank */
    uint32_t trp;   /* PRE to ACT, same bank */
    uint32_t tras;  /* ACT to PRE, same bank */
    uint32_t trc;   /* ACT to ACT, same bank */
    uint32_t twr;   /* end of write data to PRE */
    uint32_t twtr;  /* end of write data to RD, same rank */
    uint32_t trtp;  /* RD to PRE */
    uint32_t tccd;  /* column command to column command */
    uint32_t trrd;  /* ACT to ACT, different banks of a rank */
    uint32_t tfaw;  /* window holding at most four ACTs per rank */
    uint32_t trfc;  /* REF to the next ACT or REF */
    uint32_t trefi; /* average refresh interval */
    uint32_t trtrs; /* rank-to-rank data bus switch */
    uint32_t bl;    /* burst length in beats (8) */
    uint32_t ranks;
    uint32_t banks; /* per rank */
} Ddr3TimingParams;

/* The DDR3-1600K 4Gb x8 values of the issue (JESD79-3F), for tests and tools. */
void ddr3_timing_params_default(Ddr3TimingParams *p);

/* Cross checks JEDEC implies (tRC >= tRAS + tRP, CL >= CWL, ...). Returns NULL when the set
 * is consistent, else a static description of the first violated rule. */
const char *ddr3_timing_params_check(const Ddr3TimingParams *p);

typedef struct Ddr3Timing {
    Ddr3TimingParams p;
    /* delay[scope][issued][next]: 0 means "no constraint beyond one command per cycle" */
    uint32_t delay[DRAM_SCOPE_MAX][DRAM_CMD_MAX][DRAM_CMD_MAX];
    /* The same tables as short lists, so that an issue updates only the real constraints. */
    struct {
        uint8_t n;
        uint8_t next[DRAM_CMD_MAX];
        uint32_t delay[DRAM_CMD_MAX];
    } list[DRAM_SCOPE_MAX][DRAM_CMD_MAX];
    /* Derived values the controller needs besides the tables. */
    uint32_t read_done;  /* RD to the end of its last data beat: CL + BL/2 */
    uint32_t write_done; /* WR to the end of its last data beat: CWL + BL/2 */
} Ddr3Timing;

void ddr3_timing_init(Ddr3Timing *t, const Ddr3TimingParams *p);

/*
 * Change one table entry (and its list twin). Meant for tests that must show the independent
 * checker catches a scheduler working from a broken table.
 */
void ddr3_timing_override(Ddr3Timing *t, DramScope scope, DramCmd issued, DramCmd next,
                          uint32_t delay);

#ifdef __cplusplus
}
#endif

#endif
