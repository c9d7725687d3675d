#include "ddr3_bank.h"

#include <assert.h>
#include <string.h>

#include "sim/core/util.h"

void ddr3_channel_init(Ddr3Channel *ch, const Ddr3Timing *t)
{
    assert(t->p.ranks >= 1 && t->p.ranks <= DDR3_MAX_RANKS);
    assert(t->p.banks >= 1 && t->p.banks <= DDR3_MAX_BANKS);
    memset(ch, 0, sizeof(*ch));
    ch->t = t;
    ch->ranks = t->p.ranks;
    ch->banks = t->p.banks;
    for (uint32_t r = 0; r < DDR3_MAX_RANKS; r++) {
        sim_ring_init(&ch->rank[r].faw_r, N_OF(ch->rank[r].faw));
    }
}

static inline void bump(SimCycle *slot, SimCycle v)
{
    if (v > *slot) {
        *slot = v;
    }
}

void ddr3_channel_issue(Ddr3Channel *ch, DramCmd cmd, uint32_t rank, uint32_t bank, uint32_t row,
                        SimCycle now)
{
    const Ddr3Timing *t = ch->t;
    Ddr3Rank *r = &ch->rank[rank];
    assert(ddr3_channel_earliest(ch, cmd, rank, bank) <= now);

    /* Fold the three scopes of the table into the earliest-issue cycles. */
    if (cmd != DRAM_CMD_PREA && cmd != DRAM_CMD_REF) {
        Ddr3Bank *b = ddr3_channel_bank(ch, rank, bank);
        for (uint32_t i = 0; i < t->list[DRAM_SCOPE_BANK][cmd].n; i++) {
            bump(&b->next[t->list[DRAM_SCOPE_BANK][cmd].next[i]],
                 now + t->list[DRAM_SCOPE_BANK][cmd].delay[i]);
        }
    }
    for (uint32_t i = 0; i < t->list[DRAM_SCOPE_RANK][cmd].n; i++) {
        bump(&r->next[t->list[DRAM_SCOPE_RANK][cmd].next[i]],
             now + t->list[DRAM_SCOPE_RANK][cmd].delay[i]);
    }
    if (t->list[DRAM_SCOPE_OTHER][cmd].n > 0) {
        for (uint32_t k = 0; k < ch->ranks; k++) {
            if (k == rank) {
                continue;
            }
            for (uint32_t i = 0; i < t->list[DRAM_SCOPE_OTHER][cmd].n; i++) {
                bump(&ch->rank[k].next[t->list[DRAM_SCOPE_OTHER][cmd].next[i]],
                     now + t->list[DRAM_SCOPE_OTHER][cmd].delay[i]);
            }
        }
    }
    ch->cmd_free = now + 1;

    /* Then the state. */
    Ddr3Bank *b = ddr3_channel_bank(ch, rank, bank);
    switch (cmd) {
    case DRAM_CMD_ACT:
        assert(!b->open);
        b->open = true;
        b->row = row;
        b->hits = 0;
        r->open_banks++;
        if (sim_ring_full(&r->faw_r)) {
            sim_ring_pop(&r->faw_r); /* the window slides: the oldest ACT leaves it */
        }
        r->faw[sim_ring_push(&r->faw_r)] = now;
        if (sim_ring_full(&r->faw_r)) {
            /* The window only moves at an ACT, so tFAW folds into the rank's earliest ACT
             * like any pairwise constraint: the fifth ACT waits for the oldest of four. */
            bump(&r->next[DRAM_CMD_ACT], r->faw[sim_ring_head(&r->faw_r)] + t->p.tfaw);
        }
        break;
    case DRAM_CMD_PRE:
        assert(b->open);
        b->open = false;
        r->open_banks--;
        break;
    case DRAM_CMD_PREA: {
        Ddr3Bank *first = ddr3_channel_bank(ch, rank, 0);
        for (uint32_t i = 0; i < ch->banks; i++) {
            first[i].open = false;
        }
        r->open_banks = 0;
        break;
    }
    case DRAM_CMD_RD:
    case DRAM_CMD_WR:
        assert(b->open);
        b->hits++;
        break;
    case DRAM_CMD_RDA:
    case DRAM_CMD_WRA:
        assert(b->open);
        b->hits++;
        b->open = false;
        r->open_banks--;
        break;
    case DRAM_CMD_REF:
        assert(r->open_banks == 0);
        break;
    case DRAM_CMD_MAX:
        assert(0);
        break;
    }
}
