#include "ddr3_sched.h"

#include <assert.h>

const char *const dram_sched_names[DRAM_SCHED_MAX + 1] = {
    [DRAM_SCHED_FRFCFS] = "frfcfs",
    [DRAM_SCHED_FCFS] = "fcfs",
    [DRAM_SCHED_MAX] = NULL,
};

const char *const dram_page_names[DRAM_PAGE_MAX + 1] = {
    [DRAM_PAGE_OPEN] = "open",
    [DRAM_PAGE_CLOSED] = "closed",
    [DRAM_PAGE_MAX] = NULL,
};

const Ddr3SchedFn ddr3_sched_table[DRAM_SCHED_MAX] = {
    [DRAM_SCHED_FRFCFS] = ddr3_sched_frfcfs,
    [DRAM_SCHED_FCFS] = ddr3_sched_fcfs,
};

static inline SimCycle ready_at(const Ddr3SchedIn *in, const Ddr3Req *r, DramCmd cmd)
{
    SimCycle e = ddr3_channel_earliest(in->ch, cmd, r->rank, r->bank);
    return e > r->ready ? e : r->ready;
}

void ddr3_sched_frfcfs(const Ddr3SchedIn *in, Ddr3Pick *out)
{
    const Ddr3Channel *ch = in->ch;
    const uint32_t nbanks = ch->banks;

    /* Pass 1: which banks have a queued request for their open row. */
    uint64_t hit_pending = 0;
    for (uint32_t i = 0; i < in->n; i++) {
        const Ddr3Req *r = &in->q[i];
        const Ddr3Bank *b = ddr3_channel_bank_c(ch, r->rank, r->bank);
        if (b->open && b->row == r->row) {
            hit_pending |= 1ULL << (r->rank * nbanks + r->bank);
        }
    }

    /* Pass 2, oldest first: the first ready prioritised hit wins at once; otherwise the first
     * ready command of any kind. */
    int32_t first = -1;
    DramCmd first_cmd = DRAM_CMD_MAX;
    SimCycle next = SIM_CYCLE_NEVER;
    uint64_t conflict_seen = 0; /* banks where an older request waits for another row */
    for (uint32_t i = 0; i < in->n; i++) {
        const Ddr3Req *r = &in->q[i];
        if ((in->blocked >> r->rank) & 1u) {
            continue;
        }
        const uint32_t bi = r->rank * nbanks + r->bank;
        const uint64_t bit = 1ULL << bi;
        const Ddr3Bank *b = &ch->bank[bi];
        const DramCmd cmd = ddr3_sched_next_cmd(ch, r, in->page);
        bool prio = false;
        if (cmd == DRAM_CMD_PRE) {
            conflict_seen |= bit;
            if ((hit_pending & bit) && b->hits < in->row_hit_cap) {
                continue; /* held back: younger or older hits still want this row */
            }
        } else if (cmd != DRAM_CMD_ACT) {
            prio = !(b->hits >= in->row_hit_cap && (conflict_seen & bit));
        }
        const SimCycle e = ready_at(in, r, cmd);
        if (e <= in->now) {
            if (prio) {
                out->index = (int32_t)i;
                out->cmd = cmd;
                out->next = in->now;
                return;
            }
            if (first < 0) {
                first = (int32_t)i;
                first_cmd = cmd;
            }
        } else if (e < next) {
            next = e;
        }
    }
    out->index = first;
    out->cmd = first_cmd;
    out->next = first >= 0 ? in->now : next;
}

void ddr3_sched_fcfs(const Ddr3SchedIn *in, Ddr3Pick *out)
{
    const Ddr3Channel *ch = in->ch;
    SimCycle next = SIM_CYCLE_NEVER;
    uint64_t hit_seen = 0; /* banks whose open row an older request hits */
    for (uint32_t i = 0; i < in->n; i++) {
        const Ddr3Req *r = &in->q[i];
        if ((in->blocked >> r->rank) & 1u) {
            continue;
        }
        const uint64_t bit = 1ULL << (r->rank * ch->banks + r->bank);
        const DramCmd cmd = ddr3_sched_next_cmd(ch, r, in->page);
        if (cmd == DRAM_CMD_PRE) {
            if (hit_seen & bit) {
                continue;
            }
        } else if (cmd != DRAM_CMD_ACT) {
            hit_seen |= bit;
        }
        const SimCycle e = ready_at(in, r, cmd);
        if (e <= in->now) {
            out->index = (int32_t)i;
            out->cmd = cmd;
            out->next = in->now;
            return;
        }
        if (e < next) {
            next = e;
        }
    }
    out->index = -1;
    out->cmd = DRAM_CMD_MAX;
    out->next = next;
}
