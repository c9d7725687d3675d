/*
 * Statistics, the recording side: time-weighted averages, log-linear histograms and the registry
 * that names the fields models update. The writers (JSON, CSV, summary table) are in
 * stats_write.c; the schema is documented in docs/stats.md.
 *
 * Every value a writer prints and sim_stats_get() returns comes from one function,
 * stats_value(), so the JSON, the CSV and the look-up can never disagree. The registry keeps a
 * hash table of the flattened keys ("mb0.ddr3.read_latency_ns.p99"), which both rejects
 * duplicates at build time (including a clash between a counter named "x.p99" and the ".p99"
 * of a histogram "x") and answers look-ups.
 *
 * Numbers are formatted without reference to the locale's digit grouping, but printf and strtod
 * follow LC_NUMERIC: the process must run in the "C" numeric locale (the default; the CLI never
 * calls setlocale), or the decimal point may come out as a comma.
 */
#include "stats_internal.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 StatsU128;

/* ---- time-weighted average ---- */

void sim_timeavg_init(SimTimeAvg *a, SimTime start, uint64_t value)
{
    a->value = value;
    a->max = value;
    a->since = start;
    a->area_lo = 0;
    a->area_hi = 0;
}

/*
 * Exact quotient of a 128-bit numerator by a 64-bit denominator, rounded to double as
 * q + r / d: deterministic, and exact whenever the mean is an integer below 2^53.
 */
static double stats_u128_div(StatsU128 num, uint64_t den)
{
    StatsU128 q = num / den;
    uint64_t r = (uint64_t)(num % den);
    return (double)q + (double)r / (double)den;
}

/*
 * The integral runs from the time given to sim_timeavg_init(); `start` only sets the length of
 * the window divided by, so callers initialise the average at the window start (the run start).
 * Nothing may have been set after `end`.
 */
double sim_timeavg_mean(const SimTimeAvg *a, SimTime start, SimTime end)
{
    assert(start <= end);
    assert(end >= a->since);
    if (end == start) {
        return 0.0;
    }
    StatsU128 area = ((StatsU128)a->area_hi << 64) | a->area_lo;
    area += (StatsU128)a->value * (StatsU128)(end - a->since);
    return stats_u128_div(area, end - start);
}

/* ---- log-linear histogram ---- */

bool sim_hist_init(SimHist *h)
{
    h->count = 0;
    h->sum_lo = 0;
    h->sum_hi = 0;
    h->min = 0;
    h->max = 0;
    h->buckets = calloc(SIM_HIST_BUCKETS, sizeof(*h->buckets));
    h->samples = malloc(SIM_HIST_EXACT * sizeof(*h->samples));
    if (h->buckets == NULL || h->samples == NULL) {
        free(h->buckets);
        free(h->samples);
        h->buckets = NULL;
        h->samples = NULL;
        return false;
    }
    return true;
}

void sim_hist_destroy(SimHist *h)
{
    if (h == NULL) {
        return;
    }
    free(h->buckets);
    free(h->samples);
    h->buckets = NULL;
    h->samples = NULL;
    h->count = 0;
    h->sum_lo = 0;
    h->sum_hi = 0;
    h->min = 0;
    h->max = 0;
}

/*
 * Bucket b >= 2 * SIM_HIST_SUB holds the values whose top SIM_HIST_SUB_BITS + 1 bits are
 * k = b - shift * SIM_HIST_SUB (so SIM_HIST_SUB <= k < 2 * SIM_HIST_SUB), shift = b / SUB - 1:
 * [k << shift, ((k + 1) << shift) - 1]. This is the exact inverse of sim_hist_bucket().
 */
uint64_t sim_hist_bucket_low(uint32_t b)
{
    assert(b < SIM_HIST_BUCKETS);
    if (b < 2 * SIM_HIST_SUB) {
        return b;
    }
    uint32_t shift = b / SIM_HIST_SUB - 1;
    uint64_t k = b - shift * SIM_HIST_SUB;
    return k << shift;
}

uint64_t sim_hist_bucket_high(uint32_t b)
{
    assert(b < SIM_HIST_BUCKETS);
    if (b < 2 * SIM_HIST_SUB) {
        return b;
    }
    uint32_t shift = b / SIM_HIST_SUB - 1;
    /* low + (2^shift - 1): the last bucket ends at UINT64_MAX without overflow. */
    return sim_hist_bucket_low(b) + ((UINT64_C(1) << shift) - 1);
}

/*
 * Nearest rank: ceil(p / 100 * count), at least 1. p is usually a short decimal (99.9) that a
 * double cannot hold exactly, so p * count may land a hair above the integer it stands for
 * (999.0000000000001 for p = 99.9, count = 1000) and ceil would then skip a rank. A product
 * within 1e-12 relative of an integer is therefore taken as that integer: far above the
 * rounding error of the two operations, far below 1 / count for any count below 10^12.
 * p <= 0 (or NaN) is taken as the smallest rank and p >= 100 as the largest.
 */
static uint64_t stats_hist_rank(uint64_t count, double p)
{
    if (!(p > 0.0)) {
        return 1;
    }
    if (p >= 100.0) {
        return count;
    }
    double x = p * (double)count / 100.0;
    double nearest = floor(x + 0.5);
    double rank = fabs(x - nearest) <= x * 1e-12 ? nearest : ceil(x);
    if (rank < 1.0) {
        return 1;
    }
    if (rank >= (double)count) {
        return count;
    }
    return (uint64_t)rank;
}

static int stats_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/*
 * While the store holds every sample, the rank's sample itself (the store is sorted in place:
 * its order does not matter to anything else). Past it, the bucket holding the rank, narrowed
 * to [min, max]: if that leaves one value, it is the sample; else the k-th of the bucket's c
 * samples is estimated as if they were spread evenly over [lo, hi]: lo + (hi - lo) x (k - 1/2)
 * / c. The estimate stays inside the bucket, so it is off by less than the bucket's width.
 */
SimHistPct sim_hist_percentile_at(const SimHist *h, double p)
{
    if (h->count == 0) {
        return (SimHistPct){.exact = true, .sample = 0};
    }
    uint64_t rank = stats_hist_rank(h->count, p);
    if (rank == 1) {
        return (SimHistPct){.exact = true, .sample = h->min};
    }
    if (rank == h->count) {
        return (SimHistPct){.exact = true, .sample = h->max};
    }
    if (h->count <= SIM_HIST_EXACT) {
        qsort(h->samples, (size_t)h->count, sizeof(*h->samples), stats_cmp_u64);
        return (SimHistPct){.exact = true, .sample = h->samples[rank - 1]};
    }
    uint32_t first = sim_hist_bucket(h->min);
    uint32_t last = sim_hist_bucket(h->max);
    uint64_t seen = 0;
    for (uint32_t b = first; b <= last; b++) {
        uint64_t c = h->buckets[b];
        if (seen + c < rank) {
            seen += c;
            continue;
        }
        uint64_t lo = sim_hist_bucket_low(b);
        uint64_t hi = sim_hist_bucket_high(b);
        lo = lo < h->min ? h->min : lo;
        hi = hi > h->max ? h->max : hi;
        if (lo == hi) {
            return (SimHistPct){.exact = true, .sample = lo};
        }
        double k = (double)(rank - seen);
        double est = (double)lo + (double)(hi - lo) * (k - 0.5) / (double)c;
        return (SimHistPct){.exact = false, .estimate = est};
    }
    /* The buckets between min and max hold every recorded value. */
    assert(!"histogram buckets disagree with its count");
    return (SimHistPct){.exact = true, .sample = h->max};
}

uint64_t sim_hist_percentile(const SimHist *h, double p)
{
    SimHistPct v = sim_hist_percentile_at(h, p);
    if (v.exact) {
        return v.sample;
    }
    double r = floor(v.estimate + 0.5);
    return r >= (double)h->max ? h->max : (uint64_t)r;
}

double sim_hist_mean(const SimHist *h)
{
    if (h->count == 0) {
        return 0.0;
    }
    StatsU128 sum = ((StatsU128)h->sum_hi << 64) | h->sum_lo;
    return stats_u128_div(sum, h->count);
}

/* ---- registry ---- */

const char *const stat_suffix_name[STAT_SUF_MAX] = {
    [STAT_SUF_PLAIN] = "",   [STAT_SUF_COUNT] = ".count", [STAT_SUF_MIN] = ".min",
    [STAT_SUF_AVG] = ".avg", [STAT_SUF_P50] = ".p50",     [STAT_SUF_P90] = ".p90",
    [STAT_SUF_P99] = ".p99", [STAT_SUF_P999] = ".p999",   [STAT_SUF_LARGEST] = ".max",
};

const double stat_suffix_pct[STAT_SUF_MAX] = {
    [STAT_SUF_P50] = 50.0,
    [STAT_SUF_P90] = 90.0,
    [STAT_SUF_P99] = 99.0,
    [STAT_SUF_P999] = 99.9,
};

static const uint8_t stat_suffixes_scalar[] = {STAT_SUF_PLAIN};
static const uint8_t stat_suffixes_timeavg[] = {STAT_SUF_AVG, STAT_SUF_LARGEST};
static const uint8_t stat_suffixes_hist[] = {
    STAT_SUF_COUNT, STAT_SUF_MIN, STAT_SUF_AVG,  STAT_SUF_P50,
    STAT_SUF_P90,   STAT_SUF_P99, STAT_SUF_P999, STAT_SUF_LARGEST,
};

const StatSuffixList stat_kind_suffixes[SIM_STAT_KIND_MAX] = {
    [SIM_STAT_COUNTER] = {stat_suffixes_scalar, 1},
    [SIM_STAT_REAL] = {stat_suffixes_scalar, 1},
    [SIM_STAT_TIMEAVG] = {stat_suffixes_timeavg, 2},
    [SIM_STAT_HIST] = {stat_suffixes_hist, 8},
};

SimStats *sim_stats_new(void)
{
    return calloc(1, sizeof(SimStats));
}

void sim_stats_free(SimStats *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_entries; i++) {
        free(s->entries[i].key);
        free(s->entries[i].doc);
    }
    for (size_t i = 0; i < s->n_slots; i++) {
        free(s->slots[i].key);
    }
    free(s->entries);
    free(s->slots);
    free(s);
}

/* FNV-1a, 64 bits. */
static uint64_t stats_hash(const char *key)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        h ^= *p;
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static const SimStatSlot *stats_find(const SimStats *s, const char *key, uint64_t hash)
{
    if (s->n_slots == 0) {
        return NULL;
    }
    size_t mask = s->n_slots - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        const SimStatSlot *slot = &s->slots[i];
        if (slot->key == NULL) {
            return NULL;
        }
        if (slot->hash == hash && strcmp(slot->key, key) == 0) {
            return slot;
        }
    }
}

/* Places a slot whose key is known to be absent; the table has a free slot. */
static void stats_place(SimStatSlot *slots, size_t n_slots, SimStatSlot slot)
{
    size_t mask = n_slots - 1;
    size_t i = (size_t)slot.hash & mask;
    while (slots[i].key != NULL) {
        i = (i + 1) & mask;
    }
    slots[i] = slot;
}

/* Makes room for `more` flat keys while keeping the table at most half full. */
static bool stats_reserve_slots(SimStats *s, size_t more)
{
    size_t need = (s->n_flat + more) * 2;
    if (need <= s->n_slots) {
        return true;
    }
    size_t n = s->n_slots != 0 ? s->n_slots : 64;
    while (n < need) {
        n *= 2;
    }
    SimStatSlot *slots = calloc(n, sizeof(*slots));
    if (slots == NULL) {
        return false;
    }
    for (size_t i = 0; i < s->n_slots; i++) {
        if (s->slots[i].key != NULL) {
            stats_place(slots, n, s->slots[i]);
        }
    }
    free(s->slots);
    s->slots = slots;
    s->n_slots = n;
    return true;
}

static bool stats_reserve_entries(SimStats *s)
{
    if (s->n_entries < s->cap_entries) {
        return true;
    }
    size_t cap = s->cap_entries != 0 ? s->cap_entries * 2 : 32;
    SimStatEntry *e = realloc(s->entries, cap * sizeof(*e));
    if (e == NULL) {
        return false;
    }
    s->entries = e;
    s->cap_entries = cap;
    return true;
}

char *stats_concat(const char *a, const char *sep, const char *b)
{
    size_t la = strlen(a);
    size_t ls = strlen(sep);
    size_t lb = strlen(b);
    char *r = malloc(la + ls + lb + 1);
    if (r == NULL) {
        return NULL;
    }
    memcpy(r, a, la);
    memcpy(r + la, sep, ls);
    memcpy(r + la + ls, b, lb + 1);
    return r;
}

/*
 * All allocations happen before the registry is touched, so a failure leaves it as it was.
 * errno is EEXIST for a duplicate key and ENOMEM when memory runs out.
 */
bool sim_stats_add(SimStats *s, SimStatKind kind, const char *prefix, const char *name,
                   const void *field, double scale, const char *doc)
{
    assert(s != NULL);
    assert((unsigned)kind < SIM_STAT_KIND_MAX);
    assert(name != NULL && name[0] != '\0');
    assert(field != NULL);
    assert(isfinite(scale) && scale > 0.0);

    uint32_t n_suf = stat_kind_suffixes[kind].n;
    const uint8_t *suf = stat_kind_suffixes[kind].list;
    char *flat[STAT_MAX_SUFFIXES] = {NULL};
    uint64_t hash[STAT_MAX_SUFFIXES] = {0};
    char *doc_copy = NULL;
    uint32_t made = 0;

    bool has_prefix = prefix != NULL && prefix[0] != '\0';
    char *key = has_prefix ? stats_concat(prefix, ".", name) : stats_concat("", "", name);
    if (key == NULL) {
        goto fail_key;
    }
    for (made = 0; made < n_suf; made++) {
        flat[made] = stats_concat(key, "", stat_suffix_name[suf[made]]);
        if (flat[made] == NULL) {
            goto fail_flat;
        }
        hash[made] = stats_hash(flat[made]);
        if (stats_find(s, flat[made], hash[made]) != NULL) {
            made++;
            errno = EEXIST;
            goto fail_flat;
        }
    }
    if (doc != NULL) {
        doc_copy = stats_concat("", "", doc);
        if (doc_copy == NULL) {
            goto fail_flat;
        }
    }
    if (!stats_reserve_entries(s) || !stats_reserve_slots(s, n_suf)) {
        errno = ENOMEM;
        goto fail_reserve;
    }

    uint32_t index = (uint32_t)s->n_entries;
    for (uint32_t i = 0; i < n_suf; i++) {
        SimStatSlot slot = {.key = flat[i], .hash = hash[i], .entry = index, .suffix = suf[i]};
        stats_place(s->slots, s->n_slots, slot);
    }
    s->n_flat += n_suf;
    s->entries[s->n_entries++] =
        (SimStatEntry){.key = key, .kind = kind, .field = field, .scale = scale, .doc = doc_copy};
    return true;

fail_reserve:
    free(doc_copy);
fail_flat:
    for (uint32_t i = 0; i < made; i++) {
        free(flat[i]);
    }
    free(key);
fail_key:
    return false;
}

const char *sim_stat_kind_name(SimStatKind kind)
{
    static const char *const names[SIM_STAT_KIND_MAX] = {
        [SIM_STAT_COUNTER] = "counter",
        [SIM_STAT_REAL] = "real",
        [SIM_STAT_TIMEAVG] = "time-avg",
        [SIM_STAT_HIST] = "histogram",
    };
    return (unsigned)kind < SIM_STAT_KIND_MAX ? names[kind] : "?";
}

/* One row for one index: its name with the label in place of the placeholder, its field. */
static bool stats_add_row(SimStats *s, const char *prefix, const SimStatDesc *r,
                          const SimStatGroup *g, const SimStatBinding *b, uint32_t index,
                          SimStatRole role)
{
    const char *base = b->block[r->block];
    if (base == NULL) {
        return true; /* a block the instance does not have */
    }
    char name[256];
    const char *key = r->name;
    if (g != NULL) {
        const char *at = strstr(r->name, g->placeholder);
        assert(at != NULL && "a group row names its placeholder");
        char number[16];
        const char *label = number;
        if (g->labels != NULL) {
            label = g->labels[index];
        } else {
            snprintf(number, sizeof(number), "%u", index);
        }
        int n = snprintf(name, sizeof(name), "%.*s%s%s", (int)(at - r->name), r->name, label,
                         at + strlen(g->placeholder));
        assert(n > 0 && (size_t)n < sizeof(name));
        (void)n;
        key = name;
    }
    double scale = r->scale_arg ? b->scale : r->scale != 0.0 ? r->scale : 1.0;
    if (!sim_stats_add(s, r->kind, prefix, key, base + r->offset + (size_t)index * r->stride, scale,
                       r->doc)) {
        return false;
    }
    SimStatEntry *e = &s->entries[s->n_entries - 1];
    e->unit = r->unit;
    e->row = r;
    e->role = role;
    return true;
}

const char *sim_stat_role_name(SimStatRole role)
{
    static const char *const names[SIM_STAT_ROLE_MAX] = {
        [SIM_STAT_ROLE_NONE] = "",
        [SIM_STAT_ROLE_THROUGHPUT] = "throughput",
        [SIM_STAT_ROLE_LATENCY] = "latency",
        [SIM_STAT_ROLE_UTILISATION] = "utilisation",
        [SIM_STAT_ROLE_RETRIES] = "retries and errors",
        [SIM_STAT_ROLE_WORKLOAD] = "workload",
    };
    return (unsigned)role < SIM_STAT_ROLE_MAX ? names[role] : "?";
}

/* The role a table gives a row (build time: a few string compares per row). */
static SimStatRole stats_row_role(const SimStatTable *t, const SimStatDesc *r)
{
    for (size_t i = 0; i < t->n_roles; i++) {
        if (strcmp(t->roles[i].name, r->name) == 0) {
            return t->roles[i].role;
        }
    }
    return SIM_STAT_ROLE_NONE;
}

bool sim_stats_add_table(SimStats *s, const char *prefix, const SimStatTable *t,
                         const SimStatBinding *b)
{
#ifndef NDEBUG
    for (size_t k = 0; k < t->n_roles; k++) {
        size_t r = 0;
        while (r < t->n_rows && strcmp(t->rows[r].name, t->roles[k].name) != 0) {
            r++;
        }
        assert(r < t->n_rows && "a role names a row of its table");
    }
#endif
    size_t i = 0;
    while (i < t->n_rows) {
        const SimStatDesc *r = &t->rows[i];
        assert(r->block < SIM_STAT_BLOCKS && r->group <= t->n_groups &&
               r->group <= SIM_STAT_GROUPS);
        if (r->group == 0) {
            if (!stats_add_row(s, prefix, r, NULL, b, 0, stats_row_role(t, r))) {
                return false;
            }
            i++;
            continue;
        }
        /* The run of rows of this group, registered index by index. */
        size_t end = i + 1;
        while (end < t->n_rows && t->rows[end].group == r->group) {
            end++;
        }
        const SimStatGroup *g = &t->groups[r->group - 1];
        uint32_t count = b->count[r->group - 1];
        const uint32_t *pick = b->pick[r->group - 1];
        for (uint32_t k = 0; k < count; k++) {
            uint32_t index = pick != NULL ? pick[k] : k;
            for (size_t j = i; j < end; j++) {
                if (!stats_add_row(s, prefix, &t->rows[j], g, b, index,
                                   stats_row_role(t, &t->rows[j]))) {
                    return false;
                }
            }
        }
        i = end;
    }
    return true;
}

void sim_stats_set_window(SimStats *s, SimTime start, SimTime end)
{
    assert(start <= end);
    s->window_start = start;
    s->window_end = end;
    s->window_set = true;
}

/* ---- values ---- */

StatNum stats_num_scaled(uint64_t v, double scale)
{
    if (scale == 1.0) {
        return (StatNum){.is_int = true, .u = v};
    }
    return (StatNum){.is_int = false, .d = (double)v / scale};
}

StatNum stats_num_real(double d, double scale)
{
    return (StatNum){.is_int = false, .d = scale == 1.0 ? d : d / scale};
}

double stats_num_double(StatNum n)
{
    return n.is_int ? (double)n.u : n.d;
}

/*
 * The time-average window: the one set by sim_stats_set_window(), else [0, end] where end is the
 * run's end time for the writers. sim_stats_get() has no run, so without a window it averages
 * each time average up to its last change.
 */

StatWindow stats_window(const SimStats *s, const SimRunInfo *run)
{
    if (s->window_set) {
        return (StatWindow){true, s->window_start, s->window_end};
    }
    if (run != NULL) {
        return (StatWindow){true, 0, run->end_time};
    }
    return (StatWindow){false, 0, 0};
}

StatNum stats_value(const SimStatEntry *e, StatSuffix suf, StatWindow w)
{
    switch (e->kind) {
    case SIM_STAT_COUNTER:
        return stats_num_scaled(*(const uint64_t *)e->field, e->scale);
    case SIM_STAT_REAL:
        return stats_num_real(*(const double *)e->field, e->scale);
    case SIM_STAT_TIMEAVG: {
        const SimTimeAvg *a = e->field;
        if (suf == STAT_SUF_LARGEST) {
            return stats_num_scaled(a->max, e->scale);
        }
        SimTime end = w.known ? w.end : a->since;
        SimTime start = w.known ? w.start : 0;
        return stats_num_real(sim_timeavg_mean(a, start, end), e->scale);
    }
    case SIM_STAT_HIST: {
        const SimHist *h = e->field;
        switch (suf) {
        case STAT_SUF_COUNT:
            return (StatNum){.is_int = true, .u = h->count};
        case STAT_SUF_MIN:
            return stats_num_scaled(h->count != 0 ? h->min : 0, e->scale);
        case STAT_SUF_AVG:
            return stats_num_real(sim_hist_mean(h), e->scale);
        case STAT_SUF_LARGEST:
            return stats_num_scaled(h->count != 0 ? h->max : 0, e->scale);
        default: {
            SimHistPct v = sim_hist_percentile_at(h, stat_suffix_pct[suf]);
            if (v.exact) {
                return stats_num_scaled(v.sample, e->scale);
            }
            StatNum n = stats_num_real(v.estimate, e->scale);
            n.estimate = true;
            return n;
        }
        }
    }
    default:
        assert(!"unknown statistic kind");
        return (StatNum){.is_int = true, .u = 0};
    }
}

bool sim_stats_get(const SimStats *s, const char *key, double *value)
{
    if (key == NULL) {
        return false;
    }
    const SimStatSlot *slot = stats_find(s, key, stats_hash(key));
    if (slot == NULL) {
        return false;
    }
    StatNum n =
        stats_value(&s->entries[slot->entry], (StatSuffix)slot->suffix, stats_window(s, NULL));
    *value = stats_num_double(n);
    return true;
}
