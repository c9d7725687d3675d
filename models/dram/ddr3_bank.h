/*
 * Bank and rank state of one DDR3 channel: which row each bank holds open, and the earliest
 * cycle at which each command may be sent to each bank. Issuing a command folds the constraint
 * tables of ddr3_timing.h into these earliest-issue cycles; asking whether a command may go now
 * is then a few max() operations, never a formula.
 *
 *   earliest(cmd, rank r, bank b) = max(bank[r][b].next[cmd],   bank-scope constraints
 *                                       rank[r].next[cmd],      rank- and other-rank scope,
 *                                                               and tFAW for ACT
 *                                       cmd_free)               one command per cycle
 *
 * tFAW limits a window of four ACTs rather than a pair; the window only moves when an ACT is
 * sent, so at that moment the rank's earliest ACT is raised to (oldest of the last four) + tFAW.
 *
 * PREA and REF address a whole rank: their earliest cycle also takes the maximum of the
 * bank-scope entries over the banks of the rank (a PREA must respect tRAS, tRTP and tWR of
 * every open bank).
 */
#ifndef MEMBOX_DRAM_DDR3_BANK_H
#define MEMBOX_DRAM_DDR3_BANK_H

#include "ddr3_timing.h"
#include "sim/core/ring.h"
#include "sim/core/sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rank x bank counts are bounded so that per-bank flags fit one 64-bit word. */
#define DDR3_MAX_RANKS 4
#define DDR3_MAX_BANKS 16

typedef struct Ddr3Bank {
    SimCycle next[DRAM_CMD_MAX]; /* bank-scope earliest issue */
    uint32_t row;                /* open row, valid when open */
    uint32_t hits;               /* column commands since the row was opened */
    bool open;
} Ddr3Bank;

typedef struct Ddr3Rank {
    SimCycle next[DRAM_CMD_MAX]; /* rank-scope earliest issue */
    SimCycle faw[4];             /* cycles of the last four ACTs */
    SimRing faw_r;               /* over faw, oldest first; full once four ACTs were sent */
    uint32_t open_banks;
} Ddr3Rank;

typedef struct Ddr3Channel {
    const Ddr3Timing *t;
    uint32_t ranks;
    uint32_t banks;
    Ddr3Rank rank[DDR3_MAX_RANKS];
    Ddr3Bank bank[DDR3_MAX_RANKS * DDR3_MAX_BANKS]; /* rank * banks + bank */
    SimCycle cmd_free;                              /* first cycle the command bus is free */
} Ddr3Channel;

/* The timing must outlive the channel. ranks and banks are taken from t->p. */
void ddr3_channel_init(Ddr3Channel *ch, const Ddr3Timing *t);

static inline Ddr3Bank *ddr3_channel_bank(Ddr3Channel *ch, uint32_t rank, uint32_t bank)
{
    return &ch->bank[rank * ch->banks + bank];
}

static inline const Ddr3Bank *ddr3_channel_bank_c(const Ddr3Channel *ch, uint32_t rank,
                                                  uint32_t bank)
{
    return &ch->bank[rank * ch->banks + bank];
}

static inline SimCycle ddr3_max_cycle(SimCycle a, SimCycle b)
{
    return a > b ? a : b;
}

/* Earliest cycle cmd may be sent to (rank, bank); bank is ignored for PREA and REF. Timing
 * only: the caller checks that the command makes sense in the bank's state. */
static inline SimCycle ddr3_channel_earliest(const Ddr3Channel *ch, DramCmd cmd, uint32_t rank,
                                             uint32_t bank)
{
    const Ddr3Rank *r = &ch->rank[rank];
    SimCycle e = ddr3_max_cycle(r->next[cmd], ch->cmd_free);
    if (cmd == DRAM_CMD_PREA || cmd == DRAM_CMD_REF) {
        const Ddr3Bank *b = &ch->bank[rank * ch->banks];
        for (uint32_t i = 0; i < ch->banks; i++) {
            e = ddr3_max_cycle(e, b[i].next[cmd]);
        }
        return e;
    }
    return ddr3_max_cycle(e, ch->bank[rank * ch->banks + bank].next[cmd]);
}

/*
 * Send cmd at cycle now, which must be at or after its earliest cycle and legal in the bank's
 * state (asserted): ACT to a closed bank, column commands to the open row, REF with every bank
 * of the rank closed. row is used by ACT only.
 */
void ddr3_channel_issue(Ddr3Channel *ch, DramCmd cmd, uint32_t rank, uint32_t bank, uint32_t row,
                        SimCycle now);

#ifdef __cplusplus
}
#endif

#endif
