#include "ddr3_ctrl.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct Ddr3Ctrl {
    Ddr3CtrlConfig cfg;
    Ddr3Timing timing;
    Ddr3Channel ch;
    DramAddrMap map;
    Ddr3SchedFn sched;
    Ddr3Queue rq;
    Ddr3Queue wq;
    uint64_t seq;    /* arrival counter: the age of requests */
    bool drain;      /* write queue crossed write_high and has not fallen to write_low */
    bool write_mode; /* the scheduler looks at the write queue */
    SimCycle ref_due[DDR3_MAX_RANKS];
    SimCycle ref_min; /* the earliest of ref_due[] */
    Ddr3SchedBankFn sched_bank;
    SimCycle wake; /* nothing can happen before this cycle unless a burst is enqueued */
    Ddr3DoneFn done;
    Ddr3CmdFn on_cmd;
    void *ctx;
    Ddr3CtrlStats st;
};

/* What select_cmd() found to send. */
typedef struct Ddr3Sel {
    bool refresh; /* a PREA or REF of rank `rank` */
    uint32_t rank;
    int32_t slot; /* request slot in the active queue otherwise */
    DramCmd cmd;
} Ddr3Sel;

static void update_ref_min(Ddr3Ctrl *c)
{
    c->ref_min = SIM_CYCLE_NEVER;
    for (uint32_t r = 0; r < DDR3_MAX_RANKS; r++) {
        if (c->ref_due[r] < c->ref_min) {
            c->ref_min = c->ref_due[r];
        }
    }
}

void ddr3_ctrl_config_default(Ddr3CtrlConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    ddr3_timing_params_default(&cfg->timing);
    cfg->geometry = (DramGeometry){
        .channels = 1,
        .ranks = 1,
        .banks = 8,
        .rows = 65536,
        .columns = 1024,
        .bus_bytes = 8,
        .burst_len = 8,
    };
    cfg->mapping = DRAM_MAP_ROBARACOCH;
    cfg->hash = DRAM_HASH_NONE;
    cfg->read_queue = 32;
    cfg->write_queue = 32;
    cfg->write_high = 24;
    cfg->write_low = 8;
    cfg->sched = DRAM_SCHED_FRFCFS;
    cfg->page = DRAM_PAGE_OPEN;
    cfg->row_hit_cap = 16;
    cfg->refresh = true;
    cfg->frontend = 1;
}

const char ddr3_ctrl_out_of_memory[] = "out of memory";

Ddr3Ctrl *ddr3_ctrl_new(const Ddr3CtrlConfig *cfg, const char **why)
{
    const char *msg = ddr3_timing_params_check(&cfg->timing);
    if (msg != NULL) {
        *why = msg;
        return NULL;
    }
    if (cfg->timing.ranks != cfg->geometry.ranks || cfg->timing.banks != cfg->geometry.banks ||
        cfg->timing.bl != cfg->geometry.burst_len) {
        *why = "timing and geometry disagree on ranks, banks or burst length";
        return NULL;
    }
    if (cfg->geometry.ranks > DDR3_MAX_RANKS || cfg->geometry.banks > DDR3_MAX_BANKS) {
        *why = "at most 4 ranks of 16 banks";
        return NULL;
    }
    if (cfg->read_queue == 0 || cfg->write_queue == 0 || cfg->read_queue > DDR3_MAX_QUEUE ||
        cfg->write_queue > DDR3_MAX_QUEUE) {
        *why = "queue sizes must be between 1 and 256";
        return NULL;
    }
    if (cfg->write_low >= cfg->write_high || cfg->write_high > cfg->write_queue) {
        *why = "write watermarks need write_low < write_high <= write_queue";
        return NULL;
    }
    if ((unsigned)cfg->sched >= DRAM_SCHED_MAX || (unsigned)cfg->page >= DRAM_PAGE_MAX) {
        *why = "unknown scheduler or page policy";
        return NULL;
    }
    if (cfg->row_hit_cap == 0 || cfg->frontend == 0) {
        *why = "row_hit_cap and the front-end delay must be at least 1";
        return NULL;
    }
    Ddr3Ctrl *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        *why = ddr3_ctrl_out_of_memory;
        goto fail_alloc;
    }
    c->cfg = *cfg;
    if (!dram_addr_map_init(&c->map, &cfg->geometry, cfg->mapping, cfg->hash, why)) {
        goto fail_map;
    }
    if (!ddr3_queue_init(&c->rq, cfg->read_queue) || !ddr3_queue_init(&c->wq, cfg->write_queue)) {
        *why = ddr3_ctrl_out_of_memory;
        goto fail_queues;
    }
    ddr3_timing_init(&c->timing, &cfg->timing);
    ddr3_channel_init(&c->ch, &c->timing);
    c->sched = ddr3_sched_table[cfg->sched];
    c->sched_bank = ddr3_sched_bank_table[cfg->sched];
    for (uint32_t r = 0; r < DDR3_MAX_RANKS; r++) {
        c->ref_due[r] = SIM_CYCLE_NEVER;
    }
    if (cfg->refresh) {
        const uint64_t trefi = cfg->timing.trefi;
        for (uint32_t r = 0; r < cfg->geometry.ranks; r++) {
            c->ref_due[r] = trefi + r * trefi / cfg->geometry.ranks;
        }
    }
    update_ref_min(c);
    c->wake = 0;
    return c;

fail_queues:
    ddr3_queue_destroy(&c->rq);
    ddr3_queue_destroy(&c->wq);
fail_map:
    free(c);
fail_alloc:
    return NULL;
}

void ddr3_ctrl_free(Ddr3Ctrl *c)
{
    if (c == NULL) {
        return;
    }
    ddr3_queue_destroy(&c->rq);
    ddr3_queue_destroy(&c->wq);
    free(c);
}

void ddr3_ctrl_set_callbacks(Ddr3Ctrl *c, Ddr3DoneFn done, Ddr3CmdFn cmd, void *ctx)
{
    c->done = done;
    c->on_cmd = cmd;
    c->ctx = ctx;
}

uint32_t ddr3_ctrl_space(const Ddr3Ctrl *c, bool write)
{
    return write ? c->wq.cap - c->wq.n : c->rq.cap - c->rq.n;
}

uint32_t ddr3_ctrl_queued(const Ddr3Ctrl *c, bool write)
{
    return write ? c->wq.n : c->rq.n;
}

/* Re-evaluate the write-drain hysteresis; true if the active queue changed. */
static bool update_mode(Ddr3Ctrl *c)
{
    if (c->wq.n >= c->cfg.write_high) {
        if (!c->drain) {
            c->st.write_drains++;
        }
        c->drain = true;
    } else if (c->wq.n <= c->cfg.write_low) {
        c->drain = false;
    }
    bool mode = c->drain || (c->rq.n == 0 && c->wq.n > 0);
    bool changed = mode != c->write_mode;
    c->write_mode = mode;
    return changed;
}

/* The refresh part of select_cmd() at cycle `at`: at most `at` if a PREA or REF could go then,
 * else the earliest cycle one could; *blocked gets the ranks a refresh is due in. */
static inline SimCycle probe_refresh(const Ddr3Ctrl *c, SimCycle at, uint32_t *blocked)
{
    *blocked = 0;
    if (at < c->ref_min) {
        return c->ref_min;
    }
    SimCycle nx = SIM_CYCLE_NEVER;
    for (uint32_t r = 0; r < c->ch.ranks; r++) {
        if (at < c->ref_due[r]) {
            if (c->ref_due[r] < nx) {
                nx = c->ref_due[r];
            }
            continue;
        }
        *blocked |= 1u << r;
        DramCmd cmd = c->ch.rank[r].open_banks > 0 ? DRAM_CMD_PREA : DRAM_CMD_REF;
        SimCycle e = ddr3_channel_earliest(&c->ch, cmd, r, 0);
        if (e <= at) {
            return at;
        }
        if (e < nx) {
            nx = e;
        }
    }
    return nx;
}

/*
 * What select_cmd(c, at, banks, ...) tells, as one cycle: at most `at` if it would find a
 * command to send at `at`, else the *next it would give. Cheaper, as it needs no choice.
 */
static SimCycle probe_banks(Ddr3Ctrl *c, SimCycle at, uint64_t banks)
{
    uint32_t blocked;
    SimCycle nx = probe_refresh(c, at, &blocked);
    Ddr3Queue *q = c->write_mode ? &c->wq : &c->rq;
    if (nx > at && q->n > 0) {
        Ddr3SchedIn in = {
            .ch = &c->ch,
            .q = q,
            .now = at,
            .page = c->cfg.page,
            .row_hit_cap = c->cfg.row_hit_cap,
            .blocked = blocked,
            .banks = banks,
        };
        for (uint64_t m = banks & q->present; m != 0; m &= m - 1) {
            const SimCycle e = c->sched_bank(&in, (uint32_t)__builtin_ctzll(m));
            if (e < nx) {
                nx = e;
            }
        }
    }
    return nx;
}

/* probe_banks(c, at, 1ULL << bidx), written out: it runs after every command and at every
 * enqueue, and calling probe_banks() instead costs 0.4% to 1% more instructions on ResNet-50
 * and on the random trace (callgrind, even with probe_banks() inline). */
static inline SimCycle probe_bank(Ddr3Ctrl *c, SimCycle at, uint32_t bidx)
{
    uint32_t blocked;
    SimCycle nx = probe_refresh(c, at, &blocked);
    Ddr3Queue *q = c->write_mode ? &c->wq : &c->rq;
    if (nx > at && q->n > 0) {
        Ddr3SchedIn in = {
            .ch = &c->ch,
            .q = q,
            .now = at,
            .page = c->cfg.page,
            .row_hit_cap = c->cfg.row_hit_cap,
            .blocked = blocked,
            .banks = 1ULL << bidx,
        };
        const SimCycle e = c->sched_bank(&in, bidx);
        if (e < nx) {
            nx = e;
        }
    }
    return nx;
}

/* At most three bits set. */
static inline bool few_banks(uint64_t m)
{
    m &= m - 1;
    m &= m - 1;
    return (m & (m - 1)) == 0;
}

void ddr3_ctrl_enqueue(Ddr3Ctrl *c, SimCycle now, uint64_t addr, bool write, uint64_t cookie)
{
    assert(ddr3_ctrl_space(c, write) > 0);
    addr &= c->map.capacity - 1;
    addr &= ~(uint64_t)(c->map.burst_bytes - 1);
    SimCycle ready = now + c->cfg.frontend;
    if (!write) {
        /* A read of a burst that still waits in the write queue gets the queued data: the
         * DRAM holds stale bytes until the write is sent. */
        if (ddr3_queue_find(&c->wq, addr) != DDR3_NO_SLOT) {
            c->st.read_forwards++;
            if (c->done != NULL) {
                c->done(c->ctx, cookie, false, ready);
            }
            return;
        }
    }
    DramLoc loc;
    dram_addr_decode(&c->map, addr, &loc);
    Ddr3Req r = {
        .cookie = cookie,
        .addr = addr,
        .seq = c->seq++,
        .arrive = now,
        .ready = ready,
        .row = loc.row,
        .col = (uint16_t)loc.col,
        .rank = (uint8_t)loc.rank,
        .bank = (uint8_t)loc.bank,
        .bidx = (uint8_t)(loc.rank * c->ch.banks + loc.bank),
        .first = DRAM_CMD_MAX,
        .ccmd = (uint8_t)(c->cfg.page == DRAM_PAGE_CLOSED ? (write ? DRAM_CMD_WRA : DRAM_CMD_RDA)
                                                          : (write ? DRAM_CMD_WR : DRAM_CMD_RD)),
        .write = write,
    };
    ddr3_queue_push(write ? &c->wq : &c->rq, &c->ch, &r);
    if (update_mode(c)) {
        /* The other queue became active: its requests may be ready at once. */
        if (now + 1 < c->wake) {
            c->wake = now + 1;
        }
        return;
    }
    if (write != c->write_mode || ready >= c->wake) {
        return; /* not looked at before a switch (which an enqueue or a command makes) */
    }
    /* Only the request's bank has new candidates: the earliest of them, as tick() after a
     * command finds it, not before the request is ready. */
    SimCycle e = probe_bank(c, ready, r.bidx);
    if (e < ready) {
        e = ready;
    }
    if (e < c->wake) {
        c->wake = e;
    }
}

/*
 * Find the command to send at cycle `at`, looking at the banks in `banks` only. Returns true
 * with *s filled and *other the earliest cycle any other candidate could go (<= at if another
 * was ready too; a refresh pick reports `at`, as it does not look further). Returns false with
 * *next the earliest cycle (> at) at which a command could be sent.
 */
static bool select_cmd(Ddr3Ctrl *c, SimCycle at, uint64_t banks, Ddr3Sel *s, SimCycle *next,
                       SimCycle *other)
{
    SimCycle nx = SIM_CYCLE_NEVER;
    uint32_t blocked = 0;
    if (at < c->ref_min) {
        nx = c->ref_min; /* no rank is due */
    } else {
        for (uint32_t r = 0; r < c->ch.ranks; r++) {
            if (at < c->ref_due[r]) {
                if (c->ref_due[r] < nx) {
                    nx = c->ref_due[r];
                }
                continue;
            }
            blocked |= 1u << r;
            DramCmd cmd = c->ch.rank[r].open_banks > 0 ? DRAM_CMD_PREA : DRAM_CMD_REF;
            SimCycle e = ddr3_channel_earliest(&c->ch, cmd, r, 0);
            if (e <= at) {
                /* Refresh goes first; the caller probes everything again afterwards. */
                *s = (Ddr3Sel){.refresh = true, .rank = r, .slot = DDR3_NO_SLOT, .cmd = cmd};
                *other = at;
                return true;
            }
            if (e < nx) {
                nx = e;
            }
        }
    }
    Ddr3Queue *q = c->write_mode ? &c->wq : &c->rq;
    if (q->n > 0) {
        Ddr3SchedIn in = {
            .ch = &c->ch,
            .q = q,
            .now = at,
            .page = c->cfg.page,
            .row_hit_cap = c->cfg.row_hit_cap,
            .blocked = blocked,
            .banks = banks,
        };
        Ddr3Pick pick;
        c->sched(&in, &pick);
        if (pick.slot != DDR3_NO_SLOT) {
            *s = (Ddr3Sel){.refresh = false, .rank = 0, .slot = pick.slot, .cmd = pick.cmd};
            *other = pick.other < nx ? pick.other : nx;
            return true;
        }
        if (pick.next < nx) {
            nx = pick.next;
        }
    }
    *next = nx;
    return false;
}

static void notify_cmd(Ddr3Ctrl *c, SimCycle now, DramCmd cmd, uint32_t rank, uint32_t bank,
                       uint32_t row, uint32_t col)
{
    c->st.cmds[cmd]++;
    if (c->on_cmd != NULL) {
        Ddr3CmdRecord rec = {
            .cycle = now, .cmd = cmd, .rank = rank, .bank = bank, .row = row, .col = col};
        c->on_cmd(c->ctx, &rec);
    }
}

/* The open row of a bank changed: both queues' caches of it are stale. */
static void bank_changed(Ddr3Ctrl *c, uint32_t bidx)
{
    ddr3_queue_bank_changed(&c->rq, bidx);
    ddr3_queue_bank_changed(&c->wq, bidx);
}

static void issue(Ddr3Ctrl *c, SimCycle now, const Ddr3Sel *s)
{
    if (s->refresh) {
        ddr3_channel_issue(&c->ch, s->cmd, s->rank, 0, 0, now);
        notify_cmd(c, now, s->cmd, s->rank, 0, 0, 0);
        if (s->cmd == DRAM_CMD_PREA) {
            for (uint32_t b = 0; b < c->ch.banks; b++) {
                bank_changed(c, s->rank * c->ch.banks + b);
            }
        } else {
            /* Due times advance by tREFI from the schedule, not from the late REF, so the
             * average interval stays tREFI. */
            c->ref_due[s->rank] += c->cfg.timing.trefi;
            update_ref_min(c);
        }
        return;
    }
    Ddr3Queue *q = c->write_mode ? &c->wq : &c->rq;
    Ddr3Req *r = &q->slot[s->slot];
    if (r->first == DRAM_CMD_MAX) {
        r->first = (uint8_t)s->cmd;
        if (s->cmd == DRAM_CMD_ACT) {
            c->st.row_misses++;
        } else if (s->cmd == DRAM_CMD_PRE) {
            c->st.row_conflicts++;
        } else {
            c->st.row_hits++;
        }
    }
    ddr3_channel_issue(&c->ch, s->cmd, r->rank, r->bank, r->row, now);
    bool column = dram_cmd_is_column(s->cmd);
    notify_cmd(c, now, s->cmd, r->rank, r->bank, s->cmd == DRAM_CMD_PRE ? 0 : r->row,
               column ? r->col : 0);
    if (s->cmd != DRAM_CMD_RD && s->cmd != DRAM_CMD_WR) {
        bank_changed(c, r->bidx);
    }
    if (!column) {
        return;
    }
    SimCycle done;
    if (r->write) {
        c->st.writes++;
        done = now + c->timing.write_done;
    } else {
        c->st.reads++;
        done = now + c->timing.read_done;
    }
    if (done > c->st.last_data) {
        c->st.last_data = done;
    }
    uint64_t cookie = r->cookie;
    bool write = r->write;
    ddr3_queue_remove(q, s->slot);
    update_mode(c);
    if (c->done != NULL) {
        c->done(c->ctx, cookie, write, done);
    }
}

SimCycle ddr3_ctrl_tick(Ddr3Ctrl *c, SimCycle now)
{
    if (now < c->wake) {
        return c->wake;
    }
    Ddr3Sel s;
    SimCycle next = SIM_CYCLE_NEVER;
    SimCycle other = SIM_CYCLE_NEVER;
    if (select_cmd(c, now, UINT64_MAX, &s, &next, &other)) {
        const bool mode = c->write_mode;
        const uint32_t bidx = s.refresh ? 0 : (c->write_mode ? &c->wq : &c->rq)->slot[s.slot].bidx;
        issue(c, now, &s);
        Ddr3Sel s2;
        SimCycle other2;
        if (s.refresh || mode != c->write_mode) {
            /* Refresh or a switch of queue: probe everything at the next cycle. */
            if (select_cmd(c, now + 1, UINT64_MAX, &s2, &next, &other2)) {
                next = now + 1;
            }
        } else {
            /*
             * Only the bank the command addressed can have new candidates, and it is probed
             * afresh. The command only delays the other banks' candidates (constraints only
             * add), so their earliest cycle seen before it (`other`) bounds them from below:
             * when it comes first, they are probed again too.
             */
            next = probe_bank(c, now + 1, bidx);
            const uint64_t rest_banks = (mode ? &c->wq : &c->rq)->present & ~(1ULL << bidx);
            if (other < next) {
                if (!few_banks(rest_banks)) {
                    next = other;
                } else {
                    /* `other` would wake us first, maybe for nothing: the other banks'
                     * earliest cycle as it is after the command, if they are few (else a
                     * tick for nothing costs less than asking them all). */
                    const SimCycle rest = probe_banks(c, now + 1, rest_banks);
                    if (rest < next) {
                        next = rest;
                    }
                }
            }
            if (next <= now) {
                next = now + 1;
            }
        }
    }
    assert(next > now);
    c->wake = next;
    return next;
}

SimCycle ddr3_ctrl_wake(const Ddr3Ctrl *c)
{
    return c->wake;
}

const Ddr3CtrlStats *ddr3_ctrl_stats(const Ddr3Ctrl *c)
{
    return &c->st;
}

const DramAddrMap *ddr3_ctrl_map(const Ddr3Ctrl *c)
{
    return &c->map;
}

const Ddr3Channel *ddr3_ctrl_channel(const Ddr3Ctrl *c)
{
    return &c->ch;
}

Ddr3Timing *ddr3_ctrl_timing(Ddr3Ctrl *c)
{
    return &c->timing;
}
