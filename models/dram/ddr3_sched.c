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

const Ddr3SchedBankFn ddr3_sched_bank_table[DRAM_SCHED_MAX] = {
    [DRAM_SCHED_FRFCFS] = ddr3_sched_frfcfs_bank,
    [DRAM_SCHED_FCFS] = ddr3_sched_fcfs_bank,
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
        q->bank[b] = (Ddr3BankQueue){DDR3_NO_SLOT, DDR3_NO_SLOT, DDR3_NO_SLOT, DDR3_NO_SLOT, 0,
                                     false,        false};
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
    const Ddr3Bank *b = &ch->bank[r->bidx];
    if (bq->tail == DDR3_NO_SLOT) {
        bq->head = s;
        bq->first_hit = bq->first_conf = DDR3_NO_SLOT;
        bq->row = b->row;
        bq->open = b->open;
        bq->valid = true;
    } else {
        q->slot[bq->tail].next = s;
    }
    bq->tail = s;
    q->present |= 1ULL << r->bidx;
    q->bucket[DDR3_QUEUE_BUCKET(r->addr)]++;
    q->n++;
    /* Appending the youngest request can only fill an empty cache field. */
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
    if (bq->valid && bq->open) {
        /* The next oldest of the same kind can only come after the removed one. */
        const bool was_hit = bq->first_hit == slot;
        if (was_hit || bq->first_conf == slot) {
            int16_t s = e->next;
            while (s != DDR3_NO_SLOT && (q->slot[s].row == bq->row) != was_hit) {
                s = q->slot[s].next;
            }
            if (was_hit) {
                bq->first_hit = s;
            } else {
                bq->first_conf = s;
            }
        }
    }
    if (bq->head == DDR3_NO_SLOT) {
        q->present &= ~(1ULL << e->bidx);
    }
    q->bucket[DDR3_QUEUE_BUCKET(e->addr)]--;
    e->used = false;
    e->next = q->free_head;
    q->free_head = (int16_t)slot;
    q->n--;
}

int ddr3_queue_find(const Ddr3Queue *q, uint64_t addr)
{
    if (q->bucket[DDR3_QUEUE_BUCKET(addr)] == 0) {
        return DDR3_NO_SLOT;
    }
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
    bq->row = b->row;
    bq->open = b->open;
    bq->valid = true;
}

/* Banks of the ranks a refresh blocks. */
static uint64_t blocked_banks(const Ddr3SchedIn *in)
{
    if (in->blocked == 0) {
        return 0;
    }
    uint64_t m = 0;
    const uint32_t nb = in->ch->banks;
    for (uint32_t r = 0; r < in->ch->ranks; r++) {
        if ((in->blocked >> r) & 1u) {
            m |= (nb >= 64 ? UINT64_MAX : ((1ULL << nb) - 1)) << (r * nb);
        }
    }
    return m;
}

/* ddr3_channel_earliest() for a bank command, with the request's own ready cycle. */
static inline SimCycle cand_ready_cf(const Ddr3Channel *ch, SimCycle cmd_free, const Ddr3Bank *b,
                                     const Ddr3Req *r, DramCmd cmd)
{
    const Ddr3Rank *rk = &ch->rank[r->rank];
    SimCycle e = rk->next[cmd];
    if (cmd_free > e) {
        e = cmd_free;
    }
    if (b->next[cmd] > e) {
        e = b->next[cmd];
    }
    return r->ready > e ? r->ready : e;
}

static inline SimCycle cand_ready(const Ddr3Channel *ch, const Ddr3Bank *b, const Ddr3Req *r,
                                  DramCmd cmd)
{
    return cand_ready_cf(ch, ch->cmd_free, b, r, cmd);
}

/* The request's column command (set at enqueue from the page policy, which stays). */
static inline DramCmd column_cmd(const Ddr3Req *r, DramPagePolicy page)
{
    (void)page;
    return (DramCmd)r->ccmd;
}

/* What the scan found so far: the best ready candidates and the earliest of the others. */
typedef struct Scan {
    const Ddr3Req *hit_r; /* oldest ready eligible hit */
    const Ddr3Req *any_r; /* oldest ready command of any kind */
    DramCmd hit_cmd;
    DramCmd any_cmd;
    SimCycle next;   /* earliest not-ready candidate */
    SimCycle ready2; /* a second ready candidate exists: now, else SIM_CYCLE_NEVER */
} Scan;

static inline void scan_add(Scan *sc, const Ddr3Req *r, DramCmd cmd, SimCycle e, SimCycle now,
                            bool hit)
{
    if (e > now) {
        if (e < sc->next) {
            sc->next = e;
        }
        return;
    }
    if (sc->any_r != NULL) {
        sc->ready2 = now;
    }
    if (hit && (sc->hit_r == NULL || r->seq < sc->hit_r->seq)) {
        sc->hit_r = r;
        sc->hit_cmd = cmd;
    }
    if (sc->any_r == NULL || r->seq < sc->any_r->seq) {
        sc->any_r = r;
        sc->any_cmd = cmd;
    }
}

static void scan_result(const Scan *sc, const Ddr3Queue *q, SimCycle now, Ddr3Pick *out)
{
    const Ddr3Req *r = sc->hit_r != NULL ? sc->hit_r : sc->any_r;
    if (r == NULL) {
        out->slot = DDR3_NO_SLOT;
        out->cmd = DRAM_CMD_MAX;
        out->next = sc->next;
        out->other = sc->next;
        return;
    }
    out->slot = (int32_t)(r - q->slot);
    out->cmd = sc->hit_r != NULL ? sc->hit_cmd : sc->any_cmd;
    out->next = now;
    out->other = sc->ready2 < sc->next ? sc->ready2 : sc->next;
}

/* ---- the schedulers ---- */

void ddr3_sched_frfcfs(const Ddr3SchedIn *in, Ddr3Pick *out)
{
    Ddr3Queue *q = in->q;
    const Ddr3Channel *ch = in->ch;
    const SimCycle now = in->now;
    const SimCycle cf = ch->cmd_free;
    Scan sc = {NULL, NULL, DRAM_CMD_MAX, DRAM_CMD_MAX, SIM_CYCLE_NEVER, SIM_CYCLE_NEVER};
    for (uint64_t m = q->present & in->banks & ~blocked_banks(in); m != 0; m &= m - 1) {
        const uint32_t bi = (uint32_t)__builtin_ctzll(m);
        Ddr3BankQueue *bq = &q->bank[bi];
        const Ddr3Bank *b = &ch->bank[bi];
        if (!b->open) {
            /* ACT for the oldest request. */
            const Ddr3Req *r = &q->slot[bq->head];
            scan_add(&sc, r, DRAM_CMD_ACT, cand_ready_cf(ch, cf, b, r, DRAM_CMD_ACT), now, false);
            continue;
        }
        if (!bq->valid) {
            refresh_bank(q, ch, bi);
        }
        const bool capped = b->hits >= in->row_hit_cap;
        const bool has_hit = bq->first_hit != DDR3_NO_SLOT;
        const bool has_conf = bq->first_conf != DDR3_NO_SLOT;
        if (has_hit) {
            /* Once the streak reached the cap, hits younger than a waiting conflict are not
             * eligible, so that conflict's PRE goes next: merely dropping their priority
             * would not do, as ready hits would keep pushing the PRE back. */
            const Ddr3Req *r = &q->slot[bq->first_hit];
            if (!capped || !has_conf || r->seq < q->slot[bq->first_conf].seq) {
                const DramCmd cmd = column_cmd(r, in->page);
                scan_add(&sc, r, cmd, cand_ready_cf(ch, cf, b, r, cmd), now, true);
            }
        }
        if (has_conf && (!has_hit || capped)) {
            /* PRE, unless queued hits still want the row. */
            const Ddr3Req *r = &q->slot[bq->first_conf];
            scan_add(&sc, r, DRAM_CMD_PRE, cand_ready_cf(ch, cf, b, r, DRAM_CMD_PRE), now, false);
        }
    }
    scan_result(&sc, q, now, out);
}

void ddr3_sched_fcfs(const Ddr3SchedIn *in, Ddr3Pick *out)
{
    Ddr3Queue *q = in->q;
    const Ddr3Channel *ch = in->ch;
    Scan sc = {NULL, NULL, DRAM_CMD_MAX, DRAM_CMD_MAX, SIM_CYCLE_NEVER, SIM_CYCLE_NEVER};
    /* In order within a bank: only the oldest request of each bank may send a command. */
    for (uint64_t m = q->present & in->banks & ~blocked_banks(in); m != 0; m &= m - 1) {
        const uint32_t bi = (uint32_t)__builtin_ctzll(m);
        const Ddr3Req *r = &q->slot[q->bank[bi].head];
        const DramCmd cmd = ddr3_sched_next_cmd(ch, r, in->page);
        scan_add(&sc, r, cmd, cand_ready(ch, &ch->bank[bi], r, cmd), in->now, false);
    }
    scan_result(&sc, q, in->now, out);
}

/* Bank bi has requests and its rank is not blocked. */
static inline bool bank_eligible(const Ddr3SchedIn *in, uint32_t bi)
{
    return ((in->q->present >> bi) & 1u) != 0 && ((in->blocked >> (bi / in->ch->banks)) & 1u) == 0;
}

static inline SimCycle min_cycle(SimCycle a, SimCycle b)
{
    return a < b ? a : b;
}

SimCycle ddr3_sched_frfcfs_bank(const Ddr3SchedIn *in, uint32_t bi)
{
    if (!bank_eligible(in, bi)) {
        return SIM_CYCLE_NEVER;
    }
    Ddr3Queue *q = in->q;
    const Ddr3Channel *ch = in->ch;
    Ddr3BankQueue *bq = &q->bank[bi];
    const Ddr3Bank *b = &ch->bank[bi];
    /* The candidates of ddr3_sched_frfcfs(), as there. */
    if (!b->open) {
        const Ddr3Req *r = &q->slot[bq->head];
        return cand_ready(ch, b, r, DRAM_CMD_ACT);
    }
    if (!bq->valid) {
        refresh_bank(q, ch, bi);
    }
    const bool capped = b->hits >= in->row_hit_cap;
    const bool has_hit = bq->first_hit != DDR3_NO_SLOT;
    const bool has_conf = bq->first_conf != DDR3_NO_SLOT;
    SimCycle e = SIM_CYCLE_NEVER;
    if (has_hit) {
        const Ddr3Req *r = &q->slot[bq->first_hit];
        if (!capped || !has_conf || r->seq < q->slot[bq->first_conf].seq) {
            e = cand_ready(ch, b, r, column_cmd(r, in->page));
        }
    }
    if (has_conf && (!has_hit || capped)) {
        e = min_cycle(e, cand_ready(ch, b, &q->slot[bq->first_conf], DRAM_CMD_PRE));
    }
    return e;
}

SimCycle ddr3_sched_fcfs_bank(const Ddr3SchedIn *in, uint32_t bi)
{
    if (!bank_eligible(in, bi)) {
        return SIM_CYCLE_NEVER;
    }
    const Ddr3Req *r = &in->q->slot[in->q->bank[bi].head];
    const DramCmd cmd = ddr3_sched_next_cmd(in->ch, r, in->page);
    return cand_ready(in->ch, &in->ch->bank[bi], r, cmd);
}
