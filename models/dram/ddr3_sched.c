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

/*
 * Earliest-issue cycles per bank, computed at most once per scan: every request of one bank
 * needs the same command kind in the same state (its column command if it hits the open row,
 * else PRE or ACT), so the bank state is consulted once per bank, not once per request.
 */
typedef struct EarliestCache {
    uint64_t have[3];           /* bit per bank index: entry computed */
    SimCycle e[3][DDR3_MAX_RANKS * DDR3_MAX_BANKS];
} EarliestCache;

enum { KIND_READ = 0, KIND_WRITE, KIND_ROW };

static inline SimCycle cached_earliest(const Ddr3SchedIn *in, EarliestCache *c, const Ddr3Req *r,
                                       uint32_t bi, DramCmd cmd)
{
    int kind = dram_cmd_is_column(cmd) ? (r->write ? KIND_WRITE : KIND_READ) : KIND_ROW;
    uint64_t bit = 1ULL << bi;
    if (!(c->have[kind] & bit)) {
        c->have[kind] |= bit;
        c->e[kind][bi] = ddr3_channel_earliest(in->ch, cmd, r->rank, r->bank);
    }
    SimCycle e = c->e[kind][bi];
    return e > r->ready ? e : r->ready;
}

void ddr3_sched_frfcfs(const Ddr3SchedIn *in, Ddr3Pick *out)
{
    const Ddr3Channel *ch = in->ch;
    const uint32_t nbanks = ch->banks;
    EarliestCache cache;
    cache.have[0] = cache.have[1] = cache.have[2] = 0;

    /* Pass 1: which banks have a queued request for their open row. */
    uint64_t hit_pending = 0;
    for (uint32_t i = 0; i < in->n; i++) {
        const Ddr3Req *r = &in->q[i];
        const uint32_t bi = r->rank * nbanks + r->bank;
        const Ddr3Bank *b = &ch->bank[bi];
        if (b->open && b->row == r->row) {
            hit_pending |= 1ULL << bi;
        }
    }

    /* Pass 2, oldest first: the first ready hit wins at once; otherwise the first ready
     * command of any kind. */
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
                continue; /* held back: queued hits still want this row */
            }
        } else if (cmd != DRAM_CMD_ACT) {
            if (b->hits >= in->row_hit_cap && (conflict_seen & bit)) {
                /* The streak is over: the older request's PRE goes next. Merely dropping
                 * the priority would not do: younger hits that are ready while the PRE waits
                 * for tRTP would keep pushing the PRE back. */
                continue;
            }
            prio = true;
        }
        const SimCycle e = cached_earliest(in, &cache, r, bi, cmd);
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
    EarliestCache cache;
    cache.have[0] = cache.have[1] = cache.have[2] = 0;
    SimCycle next = SIM_CYCLE_NEVER;
    uint64_t bank_seen = 0; /* banks with an older request still waiting */
    for (uint32_t i = 0; i < in->n; i++) {
        const Ddr3Req *r = &in->q[i];
        if ((in->blocked >> r->rank) & 1u) {
            continue;
        }
        const uint32_t bi = r->rank * ch->banks + r->bank;
        const uint64_t bit = 1ULL << bi;
        if (bank_seen & bit) {
            continue; /* in order within a bank */
        }
        bank_seen |= bit;
        const DramCmd cmd = ddr3_sched_next_cmd(ch, r, in->page);
        const SimCycle e = cached_earliest(in, &cache, r, bi, cmd);
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
