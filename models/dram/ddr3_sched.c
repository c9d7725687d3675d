#include "ddr3_sched.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- the queue ---- */

bool ddr3_queue_init(Ddr3Queue *q, uint32_t cap)
{
    memset(q, 0, sizeof(*q));
    if (cap == 0 || cap > DDR3_MAX_QUEUE) {
        return false;
    }
    q->slot = calloc(cap, sizeof(Ddr3Req));
    if (q->slot == NULL) {
        return false;
    }
    q->cap = cap;
    for (uint32_t i = 0; i < cap; i++) {
        q->slot[i].next = i + 1 < cap ? (int16_t)(i + 1) : DDR3_NO_SLOT;
    }
    q->free_head = 0;
    for (uint32_t b = 0; b < DDR3_MAX_RANKS * DDR3_MAX_BANKS; b++) {
        q->bank[b] = (Ddr3BankQueue){DDR3_NO_SLOT, DDR3_NO_SLOT, DDR3_NO_SLOT, DDR3_NO_SLOT,
                                     true};
    }
    return true;
}

void ddr3_queue_destroy(Ddr3Queue *q)
{
    free(q->slot);
    q->slot = NULL;
}

int ddr3_queue_push(Ddr3Queue *q, const Ddr3Channel *ch, const Ddr3Req *r)
{
    assert(q->n < q->cap && q->free_head != DDR3_NO_SLOT);
    const int16_t s = q->free_head;
    Ddr3Req *e = &q->slot[s];
    q->free_head = e->next;
    *e = *r;
    e->used = true;
    Ddr3BankQueue *bq = &q->bank[r->bidx];
    e->prev = bq->tail;
    e->next = DDR3_NO_SLOT;
    if (bq->tail == DDR3_NO_SLOT) {
        bq->head = s;
        bq->first_hit = bq->first_conf = DDR3_NO_SLOT;
        bq->valid = true;
    } else {
        q->slot[bq->tail].next = s;
    }
    bq->tail = s;
    q->present |= 1ULL << r->bidx;
    q->n++;
    /* Appending the youngest request can only fill an empty cache field. */
    const Ddr3Bank *b = &ch->bank[r->bidx];
    if (bq->valid && b->open) {
        if (b->row == r->row) {
            if (bq->first_hit == DDR3_NO_SLOT) {
                bq->first_hit = s;
            }
        } else if (bq->first_conf == DDR3_NO_SLOT) {
            bq->first_conf = s;
        }
    }
    return s;
}

void ddr3_queue_remove(Ddr3Queue *q, int slot)
{
    Ddr3Req *e = &q->slot[slot];
    assert(e->used);
    Ddr3BankQueue *bq = &q->bank[e->bidx];
    if (e->prev != DDR3_NO_SLOT) {
        q->slot[e->prev].next = e->next;
    } else {
        bq->head = e->next;
    }
    if (e->next != DDR3_NO_SLOT) {
        q->slot[e->next].prev = e->prev;
    } else {
        bq->tail = e->prev;
    }
    if (bq->first_hit == slot || bq->first_conf == slot) {
        bq->valid = false;
    }
    if (bq->head == DDR3_NO_SLOT) {
        q->present &= ~(1ULL << e->bidx);
    }
    e->used = false;
    e->next = q->free_head;
    q->free_head = (int16_t)slot;
    q->n--;
}

int ddr3_queue_find(const Ddr3Queue *q, uint64_t addr)
{
    for (uint32_t i = 0; i < q->cap; i++) {
        if (q->slot[i].used && q->slot[i].addr == addr) {
            return (int)i;
        }
    }
    return DDR3_NO_SLOT;
}

/* Bring the cached oldest hit and oldest conflict of a bank up to date. */
static void refresh_bank(Ddr3Queue *q, const Ddr3Channel *ch, uint32_t bi)
{
    Ddr3BankQueue *bq = &q->bank[bi];
    const Ddr3Bank *b = &ch->bank[bi];
    int16_t hit = DDR3_NO_SLOT;
    int16_t conf = DDR3_NO_SLOT;
    if (b->open) {
        for (int16_t s = bq->head; s != DDR3_NO_SLOT; s = q->slot[s].next) {
            if (q->slot[s].row == b->row) {
                if (hit == DDR3_NO_SLOT) {
                    hit = s;
                }
            } else if (conf == DDR3_NO_SLOT) {
                conf = s;
            }
            if (hit != DDR3_NO_SLOT && conf != DDR3_NO_SLOT) {
                break;
            }
        }
    }
    bq->first_hit = hit;
    bq->first_conf = conf;
    bq->valid = true;
}

/* Banks of the ranks a refresh blocks. */
static uint64_t blocked_banks(const Ddr3SchedIn *in)
{
    uint64_t m = 0;
    const uint32_t nb = in->ch->banks;
    for (uint32_t r = 0; r < in->ch->ranks; r++) {
        if ((in->blocked >> r) & 1u) {
            m |= (nb >= 64 ? UINT64_MAX : ((1ULL << nb) - 1)) << (r * nb);
        }
    }
    return m;
}

static inline SimCycle ready_at(const Ddr3SchedIn *in, const Ddr3Req *r, DramCmd cmd)
{
    SimCycle e = ddr3_channel_earliest(in->ch, cmd, r->rank, r->bank);
    return e > r->ready ? e : r->ready;
}

/* ---- the schedulers ---- */

void ddr3_sched_frfcfs(const Ddr3SchedIn *in, Ddr3Pick *out)
{
    Ddr3Queue *q = in->q;
    const Ddr3Req *hit_r = NULL; /* oldest ready eligible hit */
    const Ddr3Req *any_r = NULL; /* oldest ready command of any kind */
    DramCmd hit_cmd = DRAM_CMD_MAX;
    DramCmd any_cmd = DRAM_CMD_MAX;
    SimCycle next = SIM_CYCLE_NEVER;
    for (uint64_t m = q->present & ~blocked_banks(in); m != 0; m &= m - 1) {
        const uint32_t bi = (uint32_t)__builtin_ctzll(m);
        Ddr3BankQueue *bq = &q->bank[bi];
        const Ddr3Bank *b = &in->ch->bank[bi];
        /* Candidates of this bank: at most one hit and one row command (PRE or ACT). */
        int16_t cand[2] = {DDR3_NO_SLOT, DDR3_NO_SLOT};
        if (!b->open) {
            cand[1] = bq->head; /* ACT for the oldest request */
        } else {
            if (!bq->valid) {
                refresh_bank(q, in->ch, bi);
            }
            const bool capped = b->hits >= in->row_hit_cap;
            const bool has_hit = bq->first_hit != DDR3_NO_SLOT;
            const bool has_conf = bq->first_conf != DDR3_NO_SLOT;
            if (has_hit) {
                /* Once the streak reached the cap, hits younger than a waiting conflict are
                 * not eligible, so that conflict's PRE goes next: merely dropping their
                 * priority would not do, as ready hits would keep pushing the PRE back. */
                if (!capped || !has_conf ||
                    q->slot[bq->first_hit].seq < q->slot[bq->first_conf].seq) {
                    cand[0] = bq->first_hit;
                }
            }
            if (has_conf && (!has_hit || capped)) {
                cand[1] = bq->first_conf; /* PRE, unless queued hits still want the row */
            }
        }
        for (int k = 0; k < 2; k++) {
            if (cand[k] == DDR3_NO_SLOT) {
                continue;
            }
            const Ddr3Req *r = &q->slot[cand[k]];
            const DramCmd cmd = ddr3_sched_next_cmd(in->ch, r, in->page);
            const SimCycle e = ready_at(in, r, cmd);
            if (e > in->now) {
                if (e < next) {
                    next = e;
                }
                continue;
            }
            if (k == 0 && (hit_r == NULL || r->seq < hit_r->seq)) {
                hit_r = r;
                hit_cmd = cmd;
            }
            if (any_r == NULL || r->seq < any_r->seq) {
                any_r = r;
                any_cmd = cmd;
            }
        }
    }
    if (hit_r != NULL) {
        out->slot = (int32_t)(hit_r - q->slot);
        out->cmd = hit_cmd;
        out->next = in->now;
    } else if (any_r != NULL) {
        out->slot = (int32_t)(any_r - q->slot);
        out->cmd = any_cmd;
        out->next = in->now;
    } else {
        out->slot = DDR3_NO_SLOT;
        out->cmd = DRAM_CMD_MAX;
        out->next = next;
    }
}

void ddr3_sched_fcfs(const Ddr3SchedIn *in, Ddr3Pick *out)
{
    Ddr3Queue *q = in->q;
    const Ddr3Req *best = NULL;
    DramCmd best_cmd = DRAM_CMD_MAX;
    SimCycle next = SIM_CYCLE_NEVER;
    /* In order within a bank: only the oldest request of each bank may send a command. */
    for (uint64_t m = q->present & ~blocked_banks(in); m != 0; m &= m - 1) {
        const uint32_t bi = (uint32_t)__builtin_ctzll(m);
        const Ddr3Req *r = &q->slot[q->bank[bi].head];
        const DramCmd cmd = ddr3_sched_next_cmd(in->ch, r, in->page);
        const SimCycle e = ready_at(in, r, cmd);
        if (e > in->now) {
            if (e < next) {
                next = e;
            }
        } else if (best == NULL || r->seq < best->seq) {
            best = r;
            best_cmd = cmd;
        }
    }
    out->slot = best != NULL ? (int32_t)(best - q->slot) : DDR3_NO_SLOT;
    out->cmd = best_cmd;
    out->next = best != NULL ? in->now : next;
}
