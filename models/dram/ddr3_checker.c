#include "ddr3_checker.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Never happened": far enough in the past that every gap test passes. */
#define KNEVER (-(INT64_C(1) << 60))

#define KMAX_BANKS 64

typedef struct KBank {
    bool open;
    uint32_t row;
    int64_t act; /* last ACT */
    int64_t pre; /* start of the last precharge (PRE, PREA or auto-precharge) */
    int64_t rd;  /* last RD or RDA */
    int64_t wr;  /* last WR or WRA */
} KBank;

typedef struct KRank {
    int64_t acts[4];   /* last four ACT cycles, acts[0] the newest */
    int64_t ref;       /* last REF */
    int64_t ref_start; /* last REF, or 0: the refresh interval is measured from here */
    int64_t rd;        /* last RD/RDA to any bank */
    int64_t wr;        /* last WR/WRA to any bank */
} KRank;

struct Ddr3Checker {
    Ddr3TimingParams p;
    bool check_refresh;
    KBank bank[KMAX_BANKS];
    KRank rank[KMAX_BANKS];
    int64_t last_cmd;
    int64_t data_end; /* end of the last data burst on the bus */
    uint32_t data_rank;
    uint64_t violations;
    uint64_t commands;
    char first[512];
};

Ddr3Checker *ddr3_checker_new(const Ddr3TimingParams *p, bool check_refresh)
{
    if (p->ranks == 0 || p->banks == 0 || p->ranks * p->banks > KMAX_BANKS) {
        return NULL;
    }
    Ddr3Checker *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        return NULL;
    }
    k->p = *p;
    k->check_refresh = check_refresh;
    for (uint32_t i = 0; i < KMAX_BANKS; i++) {
        k->bank[i] =
            (KBank){.open = false, .act = KNEVER, .pre = KNEVER, .rd = KNEVER, .wr = KNEVER};
        k->rank[i] = (KRank){.acts = {KNEVER, KNEVER, KNEVER, KNEVER},
                             .ref = KNEVER,
                             .ref_start = 0,
                             .rd = KNEVER,
                             .wr = KNEVER};
    }
    k->last_cmd = KNEVER;
    k->data_end = KNEVER;
    return k;
}

void ddr3_checker_free(Ddr3Checker *k)
{
    free(k);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
fail(Ddr3Checker *k, const Ddr3CmdRecord *rec, const char *fmt, ...)
{
    if (k->violations++ > 0) {
        return;
    }
    int n = snprintf(k->first, sizeof(k->first),
                     "cycle %" PRIu64 ": %s rank %u bank %u row %u: ", rec->cycle,
                     dram_cmd_name(rec->cmd), rec->rank, rec->bank, rec->row);
    if (n < 0 || (size_t)n >= sizeof(k->first)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->first + n, sizeof(k->first) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* The command at `t` must come at least `gap` cycles after the event at `since`. */
static bool need(Ddr3Checker *k, const Ddr3CmdRecord *rec, int64_t since, int64_t gap,
                 const char *rule, const char *event)
{
    int64_t t = (int64_t)rec->cycle;
    if (since == KNEVER || t >= since + gap) {
        return true;
    }
    fail(k, rec, "%s violated: %s at cycle %" PRId64 " needs %" PRId64 " cycles, %" PRId64 " given",
         rule, event, since, gap, t - since);
    return false;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* The earliest ACT a bank allows after its last precharge started. */
static void check_idle_since(Ddr3Checker *k, const Ddr3CmdRecord *rec, const KBank *b,
                             const char *what)
{
    need(k, rec, b->pre, k->p.trp, "tRP", what);
}

static void check_data(Ddr3Checker *k, const Ddr3CmdRecord *rec, int64_t start)
{
    int64_t gap = 0;
    if (k->data_end != KNEVER && k->data_rank != rec->rank) {
        gap = k->p.trtrs;
    }
    if (k->data_end != KNEVER && start < k->data_end + gap) {
        fail(k, rec,
             "data bus conflict: burst starts at cycle %" PRId64 ", the previous one (rank %u) "
             "ends at %" PRId64 " and needs %" PRId64 " idle cycles",
             start, k->data_rank, k->data_end, gap);
    }
    k->data_end = start + k->p.bl / 2;
    k->data_rank = rec->rank;
}

static void precharge_bank_checks(Ddr3Checker *k, const Ddr3CmdRecord *rec, const KBank *b)
{
    const int64_t rd_to_pre = k->p.bl / 2 + max64(k->p.trtp, 4) - 4;
    need(k, rec, b->act, k->p.tras, "tRAS", "ACT");
    need(k, rec, b->rd, rd_to_pre, "tRTP", "RD");
    need(k, rec, b->wr, (int64_t)k->p.cwl + k->p.bl / 2 + k->p.twr, "tWR", "WR");
}

bool ddr3_checker_command(Ddr3Checker *k, const Ddr3CmdRecord *rec)
{
    const uint64_t before = k->violations;
    const Ddr3TimingParams *p = &k->p;
    const int64_t t = (int64_t)rec->cycle;
    k->commands++;
    if (rec->rank >= p->ranks || rec->bank >= p->banks || rec->cmd >= DRAM_CMD_MAX) {
        fail(k, rec, "no such rank, bank or command");
        return false;
    }
    if (k->last_cmd != KNEVER && t <= k->last_cmd) {
        fail(k, rec, "command bus: previous command at cycle %" PRId64 ", one per cycle in order",
             k->last_cmd);
    }
    k->last_cmd = t;
    KRank *r = &k->rank[rec->rank];
    KBank *banks = &k->bank[rec->rank * p->banks];
    KBank *b = &banks[rec->bank];
    const int64_t bl2 = p->bl / 2;

    switch (rec->cmd) {
    case DRAM_CMD_ACT:
        if (b->open) {
            fail(k, rec, "ACT to a bank that has row %u open", b->row);
        }
        need(k, rec, b->act, p->trc, "tRC", "ACT to the same bank");
        check_idle_since(k, rec, b, "precharge");
        need(k, rec, r->acts[0], p->trrd, "tRRD", "ACT in the same rank");
        need(k, rec, r->acts[3], p->tfaw, "tFAW", "the fourth previous ACT in the rank");
        need(k, rec, r->ref, p->trfc, "tRFC", "REF");
        b->open = true;
        b->row = rec->row;
        b->act = t;
        memmove(&r->acts[1], &r->acts[0], 3 * sizeof(r->acts[0]));
        r->acts[0] = t;
        break;

    case DRAM_CMD_PRE:
        /* JEDEC allows PRE to an idle bank (a no-op); only an open bank has timing to keep. */
        if (b->open) {
            precharge_bank_checks(k, rec, b);
            b->open = false;
            b->pre = t;
        }
        break;

    case DRAM_CMD_PREA:
        for (uint32_t i = 0; i < p->banks; i++) {
            if (banks[i].open) {
                precharge_bank_checks(k, rec, &banks[i]);
                banks[i].open = false;
                banks[i].pre = t;
            }
        }
        break;

    case DRAM_CMD_RD:
    case DRAM_CMD_RDA:
    case DRAM_CMD_WR:
    case DRAM_CMD_WRA: {
        const bool write = rec->cmd == DRAM_CMD_WR || rec->cmd == DRAM_CMD_WRA;
        if (!b->open) {
            fail(k, rec, "column command to an idle bank");
        } else if (b->row != rec->row) {
            fail(k, rec, "column command for row %u while row %u is open", rec->row, b->row);
        }
        need(k, rec, b->act, p->trcd, "tRCD", "ACT");
        if (write) {
            need(k, rec, r->wr, max64(p->tccd, bl2), "tCCD", "WR in the same rank");
            need(k, rec, r->rd, (int64_t)p->cl + max64(p->tccd, bl2) + 2 - p->cwl,
                 "read-to-write turnaround", "RD in the same rank");
            check_data(k, rec, t + p->cwl);
            b->wr = t;
            r->wr = t;
        } else {
            need(k, rec, r->rd, max64(p->tccd, bl2), "tCCD", "RD in the same rank");
            need(k, rec, r->wr, (int64_t)p->cwl + bl2 + p->twtr, "tWTR", "WR in the same rank");
            check_data(k, rec, t + p->cl);
            b->rd = t;
            r->rd = t;
        }
        if (rec->cmd == DRAM_CMD_RDA || rec->cmd == DRAM_CMD_WRA) {
            /* The auto-precharge starts when a PRE would be allowed, and not before tRAS. */
            int64_t start = write ? t + p->cwl + bl2 + p->twr : t + bl2 + max64(p->trtp, 4) - 4;
            if (b->act != KNEVER) {
                start = max64(start, b->act + p->tras);
            }
            b->open = false;
            b->pre = start;
        }
        break;
    }

    case DRAM_CMD_REF:
        for (uint32_t i = 0; i < p->banks; i++) {
            if (banks[i].open) {
                fail(k, rec, "REF while bank %u holds row %u open", i, banks[i].row);
                break;
            }
            check_idle_since(k, rec, &banks[i], "precharge of a bank of the rank");
        }
        need(k, rec, r->ref, p->trfc, "tRFC", "REF");
        if (k->check_refresh && t - r->ref_start > (int64_t)9 * p->trefi) {
            fail(k, rec, "refresh interval: %" PRId64 " cycles since the last REF, above 9 tREFI",
                 t - r->ref_start);
        }
        r->ref = t;
        r->ref_start = t;
        break;

    case DRAM_CMD_MAX:
        break;
    }
    return k->violations == before;
}

bool ddr3_checker_finish(Ddr3Checker *k, uint64_t end)
{
    if (!k->check_refresh) {
        return true;
    }
    bool ok = true;
    for (uint32_t i = 0; i < k->p.ranks; i++) {
        if ((int64_t)end - k->rank[i].ref_start > (int64_t)9 * k->p.trefi) {
            Ddr3CmdRecord rec = {.cycle = end, .cmd = DRAM_CMD_REF, .rank = i};
            fail(k, &rec, "refresh interval: no REF for %" PRId64 " cycles at the end of the run",
                 (int64_t)end - k->rank[i].ref_start);
            ok = false;
        }
    }
    return ok;
}

uint64_t ddr3_checker_violations(const Ddr3Checker *k)
{
    return k->violations;
}

uint64_t ddr3_checker_commands(const Ddr3Checker *k)
{
    return k->commands;
}

const char *ddr3_checker_first_error(const Ddr3Checker *k)
{
    return k->first;
}
