/*
 * Statistics, the writers: JSON, CSV and the summary table (docs/stats.md), every value from
 * stats_value() (stats_internal.h).
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

/* ---- output helpers ---- */

#define STAT_NUM_BUF 48
/* a human-readable number: '~' and a STAT_NUM_BUF number */
#define STAT_HUMAN_BUF (STAT_NUM_BUF + 1)

/*
 * The shortest of %.15g, %.16g and %.17g that reads back to the same double (%.17g always
 * does), with ".0" added when the result would otherwise read as an integer, so that a real
 * stays a real in every run. The value must be finite.
 */
static void stats_fmt_real(char *buf, double d)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, STAT_NUM_BUF, "%.*g", prec, d);
        if (prec == 17 || strtod(buf, NULL) == d) {
            break;
        }
    }
    if (strpbrk(buf, ".eE") == NULL) {
        strcat(buf, ".0");
    }
}

/* Formats a number exactly as JSON and CSV write it; false for NaN and infinities. */
static bool stats_fmt_num(char *buf, StatNum n)
{
    if (n.is_int) {
        snprintf(buf, STAT_NUM_BUF, "%" PRIu64, n.u);
        return true;
    }
    if (!isfinite(n.d)) {
        buf[0] = '\0';
        return false;
    }
    stats_fmt_real(buf, n.d);
    return true;
}

/* A stream and whether every write to it has succeeded so far; the first failure sticks. */
typedef struct StatsOut {
    FILE *f;
    bool ok;
    int err; /* errno of the first failure */
} StatsOut;

static void stats_out_fail(StatsOut *o, int err)
{
    if (o->ok) {
        o->ok = false;
        o->err = err != 0 ? err : EIO;
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
stats_out(StatsOut *o, const char *fmt, ...)
{
    if (!o->ok) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    int r = vfprintf(o->f, fmt, ap);
    va_end(ap);
    if (r < 0) {
        stats_out_fail(o, errno);
    }
}

static void stats_out_char(StatsOut *o, char c)
{
    if (!o->ok) {
        return;
    }
    errno = 0;
    if (fputc((unsigned char)c, o->f) == EOF) {
        stats_out_fail(o, errno);
    }
}

static void stats_out_bytes(StatsOut *o, const char *p, size_t n)
{
    if (!o->ok || n == 0) {
        return;
    }
    errno = 0;
    if (fwrite(p, 1, n, o->f) != n) {
        stats_out_fail(o, errno);
    }
}

/* Flushes, so that an error of a buffered stream (a full disk) is reported here. */
static bool stats_out_finish(StatsOut *o)
{
    if (o->ok) {
        errno = 0;
        if (fflush(o->f) != 0) {
            stats_out_fail(o, errno);
        } else if (ferror(o->f)) {
            stats_out_fail(o, EIO);
        }
    }
    if (!o->ok) {
        errno = o->err;
    }
    return o->ok;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), or 0 if it is not one. */
static size_t stats_utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/*
 * A JSON string: quotes, backslashes and control characters escaped, well-formed UTF-8 copied,
 * and every byte that is not part of well-formed UTF-8 replaced by U+FFFD, so that the output
 * is valid JSON whatever bytes a path holds. NULL is written as null.
 */
static void stats_json_string(StatsOut *o, const char *s)
{
    if (s == NULL) {
        stats_out(o, "null");
        return;
    }
    stats_out_char(o, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            stats_out_char(o, '\\');
            stats_out_char(o, (char)c);
            p++;
        } else if (c == '\n') {
            stats_out(o, "\\n");
            p++;
        } else if (c == '\t') {
            stats_out(o, "\\t");
            p++;
        } else if (c == '\r') {
            stats_out(o, "\\r");
            p++;
        } else if (c < 0x20) {
            stats_out(o, "\\u%04x", (unsigned)c);
            p++;
        } else if (c < 0x80) {
            stats_out_char(o, (char)c);
            p++;
        } else {
            size_t n = stats_utf8_len(p);
            if (n == 0) {
                stats_out(o, "\\ufffd");
                p++;
            } else {
                stats_out_bytes(o, (const char *)p, n);
                p += n;
            }
        }
    }
    stats_out_char(o, '"');
}

static void stats_json_num(StatsOut *o, StatNum n)
{
    char buf[STAT_NUM_BUF];
    if (stats_fmt_num(buf, n)) {
        stats_out(o, "%s", buf);
    } else {
        stats_out(o, "null");
    }
}

/* RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled. */
static void stats_csv_field(StatsOut *o, const char *s)
{
    if (s == NULL) {
        return;
    }
    if (strpbrk(s, ",\"\r\n") == NULL) {
        stats_out(o, "%s", s);
        return;
    }
    stats_out_char(o, '"');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"') {
            stats_out_char(o, '"');
        }
        stats_out_char(o, *p);
    }
    stats_out_char(o, '"');
}

/* Writers accept run == NULL: empty run facts, and time averages as sim_stats_get() takes them. */
static const SimRunInfo stats_no_run = {0};

/* ---- JSON ---- */

bool sim_stats_write_json(const SimStats *s, const SimRunInfo *run, FILE *f)
{
    StatsOut o = {.f = f, .ok = true};
    StatWindow w = stats_window(s, run);
    if (run == NULL) {
        run = &stats_no_run;
    }

    stats_out(&o, "{\n  \"schema\": \"membox-sim-stats/1\",\n  \"run\": {\n    \"config\": ");
    stats_json_string(&o, run->config);
    stats_out(&o, ",\n    \"seed\": %" PRIu64 ",\n    \"end_time_ps\": %" PRIu64 ",\n", run->seed,
              run->end_time);
    stats_out(&o, "    \"end_time_ns\": ");
    stats_json_num(&o, stats_num_scaled(run->end_time, (double)SIM_PS_PER_NS));
    if (run->n_overrides > 0) {
        stats_out(&o, ",\n    \"overrides\": [");
        for (size_t i = 0; i < run->n_overrides; i++) {
            stats_out(&o, i ? ", " : "");
            stats_json_string(&o, run->overrides[i]);
        }
        stats_out(&o, "]");
    }
    stats_out(&o, "\n  },\n  \"stats\": {");

    bool first = true;
    for (size_t i = 0; i < s->n_entries; i++) {
        const SimStatEntry *e = &s->entries[i];
        for (uint32_t k = 0; k < stat_kind_suffixes[e->kind].n; k++) {
            StatSuffix suf = (StatSuffix)stat_kind_suffixes[e->kind].list[k];
            stats_out(&o, first ? "\n    " : ",\n    ");
            first = false;
            /* The key is escaped as one string with its suffix. */
            char *flat = stats_concat(e->key, "", stat_suffix_name[suf]);
            if (flat == NULL) {
                stats_out_fail(&o, ENOMEM);
                break;
            }
            stats_json_string(&o, flat);
            free(flat);
            stats_out(&o, ": ");
            stats_json_num(&o, stats_value(e, suf, w));
        }
    }
    stats_out(&o, first ? "},\n" : "\n  },\n");

    /* The flat keys whose value is an estimate rather than a recorded sample. */
    stats_out(&o, "  \"estimated\": [");
    first = true;
    for (size_t i = 0; i < s->n_entries; i++) {
        const SimStatEntry *e = &s->entries[i];
        if (e->kind != SIM_STAT_HIST) {
            continue;
        }
        for (uint32_t k = 0; k < stat_kind_suffixes[e->kind].n; k++) {
            StatSuffix suf = (StatSuffix)stat_kind_suffixes[e->kind].list[k];
            if (!stats_value(e, suf, w).estimate) {
                continue;
            }
            stats_out(&o, first ? "\n    " : ",\n    ");
            first = false;
            char *flat = stats_concat(e->key, "", stat_suffix_name[suf]);
            if (flat == NULL) {
                stats_out_fail(&o, ENOMEM);
                break;
            }
            stats_json_string(&o, flat);
            free(flat);
        }
    }
    stats_out(&o, first ? "],\n" : "\n  ],\n");

    stats_out(&o, "  \"host\": {\n    \"kernel\": ");
    stats_json_string(&o, run->kernel);
    stats_out(&o, ",\n    \"wall_seconds\": ");
    stats_json_num(&o, stats_num_real(run->wall_seconds, 1.0));
    stats_out(&o, ",\n    \"activations\": %" PRIu64 ",\n    \"activations_per_second\": ",
              run->activations);
    /* Zero or negative wall time has no meaningful speed: null, like any non-finite value. */
    double speed = run->wall_seconds > 0.0 ? (double)run->activations / run->wall_seconds : NAN;
    stats_json_num(&o, stats_num_real(speed, 1.0));
    if (run->speed_name != NULL) {
        stats_out(&o, ",\n    ");
        stats_json_string(&o, run->speed_name);
        stats_out(&o, ": ");
        stats_json_num(&o, stats_num_real(run->speed_value, 1.0));
    }
    stats_out(&o, "\n  },\n  \"meta\": {\n    \"version\": ");
    stats_json_string(&o, run->version);
    stats_out(&o, ",\n    \"git_describe\": ");
    stats_json_string(&o, run->git_describe);
    stats_out(&o, ",\n    \"config\": ");
    stats_json_string(&o, run->config);
    stats_out(&o, ",\n    \"config_hash\": ");
    stats_json_string(&o, run->config_hash);
    stats_out(&o, ",\n    \"seed\": %" PRIu64 ",\n    \"kernel\": ", run->seed);
    stats_json_string(&o, run->kernel);
    stats_out(&o, ",\n    \"overrides\": [");
    for (size_t i = 0; i < run->n_overrides; i++) {
        stats_out(&o, i ? ", " : "");
        stats_json_string(&o, run->overrides[i]);
    }
    stats_out(&o, "],\n    \"host\": ");
    stats_json_string(&o, run->hostname);
    stats_out(&o, ",\n    \"started_utc\": ");
    stats_json_string(&o, run->started_utc);
    stats_out(&o, ",\n    \"wall_seconds\": ");
    stats_json_num(&o, stats_num_real(run->wall_seconds, 1.0));
    stats_out(&o, "\n  }\n}\n");
    return stats_out_finish(&o);
}

/* ---- CSV ---- */

bool sim_stats_write_csv_header(const SimStats *s, FILE *f)
{
    StatsOut o = {.f = f, .ok = true};
    stats_out(&o, "config,seed,end_time_ns");
    for (size_t i = 0; i < s->n_entries && o.ok; i++) {
        const SimStatEntry *e = &s->entries[i];
        for (uint32_t k = 0; k < stat_kind_suffixes[e->kind].n; k++) {
            StatSuffix suf = (StatSuffix)stat_kind_suffixes[e->kind].list[k];
            char *flat = stats_concat(e->key, "", stat_suffix_name[suf]);
            if (flat == NULL) {
                stats_out_fail(&o, ENOMEM);
                break;
            }
            stats_out_char(&o, ',');
            stats_csv_field(&o, flat);
            free(flat);
        }
    }
    stats_out_char(&o, '\n');
    return stats_out_finish(&o);
}

bool sim_stats_write_csv_row(const SimStats *s, const SimRunInfo *run, FILE *f)
{
    StatsOut o = {.f = f, .ok = true};
    char buf[STAT_NUM_BUF];
    StatWindow w = stats_window(s, run);
    if (run == NULL) {
        run = &stats_no_run;
    }

    stats_csv_field(&o, run->config);
    stats_out(&o, ",%" PRIu64 ",", run->seed);
    stats_fmt_num(buf, stats_num_scaled(run->end_time, (double)SIM_PS_PER_NS));
    stats_out(&o, "%s", buf);
    for (size_t i = 0; i < s->n_entries; i++) {
        const SimStatEntry *e = &s->entries[i];
        for (uint32_t k = 0; k < stat_kind_suffixes[e->kind].n; k++) {
            StatSuffix suf = (StatSuffix)stat_kind_suffixes[e->kind].list[k];
            /* NaN and infinities leave the field empty, as JSON writes null. */
            stats_fmt_num(buf, stats_value(e, suf, w));
            stats_out(&o, ",%s", buf);
        }
    }
    stats_out_char(&o, '\n');
    return stats_out_finish(&o);
}

/* ---- summary ---- */

/*
 * A number for a person to read: integers in full; reals with three decimals, trailing zeros
 * dropped, or in exponent form when very large or very small.
 */
static void stats_fmt_human_plain(char *buf, StatNum n);

/* As stats_fmt_human_plain, with a leading '~' for an estimate (a percentile from buckets). */
static void stats_fmt_human(char *buf, StatNum n)
{
    if (!n.estimate) {
        stats_fmt_human_plain(buf, n);
        return;
    }
    buf[0] = '~';
    stats_fmt_human_plain(buf + 1, n);
}

static void stats_fmt_human_plain(char *buf, StatNum n)
{
    if (n.is_int) {
        snprintf(buf, STAT_NUM_BUF, "%" PRIu64, n.u);
        return;
    }
    double d = n.d;
    if (!isfinite(d)) {
        snprintf(buf, STAT_NUM_BUF, "n/a");
        return;
    }
    double mag = fabs(d);
    if (mag != 0.0 && (mag < 1e-3 || mag >= 1e15)) {
        snprintf(buf, STAT_NUM_BUF, "%.4e", d);
        return;
    }
    snprintf(buf, STAT_NUM_BUF, "%.3f", d);
    char *dot = strchr(buf, '.');
    if (dot != NULL) {
        char *end = buf + strlen(buf);
        while (end > dot + 1 && end[-1] == '0') {
            *--end = '\0';
        }
        if (end == dot + 1) {
            *dot = '\0';
        }
    }
    if (strcmp(buf, "-0") == 0) {
        strcpy(buf, "0");
    }
}

/* Length of the instance prefix of a key: up to the first dot, 0 when there is none. */
static size_t stats_group_len(const char *key)
{
    const char *dot = strchr(key, '.');
    return dot != NULL ? (size_t)(dot - key) : 0;
}

static const char *stats_row_label(const char *key)
{
    size_t g = stats_group_len(key);
    return g != 0 ? key + g + 1 : key;
}

static void stats_summary_value(StatsOut *o, const SimStatEntry *e, StatWindow w)
{
    char a[STAT_HUMAN_BUF];
    char b[STAT_HUMAN_BUF];
    switch (e->kind) {
    case SIM_STAT_COUNTER:
    case SIM_STAT_REAL:
        stats_fmt_human(a, stats_value(e, STAT_SUF_PLAIN, w));
        stats_out(o, "%s", a);
        break;
    case SIM_STAT_TIMEAVG:
        stats_fmt_human(a, stats_value(e, STAT_SUF_AVG, w));
        stats_fmt_human(b, stats_value(e, STAT_SUF_LARGEST, w));
        stats_out(o, "avg=%s max=%s", a, b);
        break;
    case SIM_STAT_HIST: {
        const SimHist *h = e->field;
        stats_out(o, "n=%" PRIu64, h->count);
        if (h->count == 0) {
            break;
        }
        static const uint8_t shown[] = {STAT_SUF_AVG, STAT_SUF_P50, STAT_SUF_P99, STAT_SUF_LARGEST};
        for (size_t k = 0; k < sizeof(shown); k++) {
            stats_fmt_human(a, stats_value(e, (StatSuffix)shown[k], w));
            stats_out(o, " %s=%s", stat_suffix_name[shown[k]] + 1, a);
        }
        break;
    }
    default:
        assert(!"unknown statistic kind");
        break;
    }
}

/*
 * Layout: the run facts, then one block per instance (the key up to its first dot) in the order
 * instances first registered a statistic, each row in registration order, then the host facts.
 * Keys without a dot form a block of their own. Every value starts in the same column.
 *
 *   config      topo.yaml
 *   seed        42
 *   simulated   1234.567 ns
 *
 *   mb0
 *     ddr3.reads            120
 *     ddr3.read_latency_ns  n=120 avg=45.2 p50=44 p99=60 max=61
 */
bool sim_stats_write_full(const SimStats *s, const SimRunInfo *run, FILE *f)
{
    StatsOut o = {.f = f, .ok = true};
    StatWindow w = stats_window(s, run);
    if (run == NULL) {
        run = &stats_no_run;
    }
    size_t n = s->n_entries;

    /*
     * Group the entries by instance: groups in order of first appearance, a stable counting
     * sort by group number. This costs O(entries x instances), once, when the run is over.
     */
    size_t *group = malloc((n + 1) * sizeof(*group));
    size_t *first_of = malloc((n + 1) * sizeof(*first_of));
    size_t *start = calloc(n + 2, sizeof(*start));
    size_t *order = malloc((n + 1) * sizeof(*order));
    if (group == NULL || first_of == NULL || start == NULL || order == NULL) {
        stats_out_fail(&o, ENOMEM);
        goto out;
    }
    size_t n_groups = 0;
    size_t width = 12; /* wide enough for the host labels */
    for (size_t i = 0; i < n; i++) {
        const char *key = s->entries[i].key;
        size_t gl = stats_group_len(key);
        size_t g = 0;
        while (g < n_groups) {
            const char *other = s->entries[first_of[g]].key;
            if (stats_group_len(other) == gl && strncmp(other, key, gl) == 0) {
                break;
            }
            g++;
        }
        if (g == n_groups) {
            first_of[n_groups++] = i;
        }
        group[i] = g;
        start[g + 1]++;
        size_t lw = strlen(stats_row_label(key));
        if (lw > width && lw <= 60) {
            width = lw;
        }
    }
    for (size_t g = 0; g < n_groups; g++) {
        start[g + 1] += start[g];
    }
    for (size_t i = 0; i < n; i++) {
        order[start[group[i]]++] = i;
    }
    /* Row labels are indented by two; the run and host facts line up with their values. */
    int col = (int)width + 4;

    char buf[STAT_HUMAN_BUF];
    stats_out(&o, "%-*s%s\n", col, "config", run->config != NULL ? run->config : "-");
    stats_out(&o, "%-*s%" PRIu64 "\n", col, "seed", run->seed);
    uint64_t end_ns = run->end_time / SIM_PS_PER_NS;
    unsigned end_frac = (unsigned)(run->end_time % SIM_PS_PER_NS);
    stats_out(&o, "%-*s%" PRIu64 ".%03u ns\n", col, "simulated", end_ns, end_frac);

    size_t prev = SIZE_MAX;
    for (size_t j = 0; j < n; j++) {
        const SimStatEntry *e = &s->entries[order[j]];
        if (group[order[j]] != prev) {
            prev = group[order[j]];
            size_t gl = stats_group_len(e->key);
            stats_out(&o, "\n");
            if (gl != 0) {
                stats_out(&o, "%.*s\n", (int)gl, e->key);
            } else {
                stats_out(&o, "(no instance)\n");
            }
        }
        stats_out(&o, "  %-*s  ", (int)width, stats_row_label(e->key));
        stats_summary_value(&o, e, w);
        stats_out_char(&o, '\n');
    }

    stats_out(&o, "\nhost\n");
    stats_out(&o, "  %-*s  %s\n", (int)width, "kernel", run->kernel != NULL ? run->kernel : "-");
    stats_fmt_human(buf, stats_num_real(run->wall_seconds, 1.0));
    stats_out(&o, "  %-*s  %s s\n", (int)width, "wall time", buf);
    stats_out(&o, "  %-*s  %" PRIu64, (int)width, "activations", run->activations);
    if (run->wall_seconds > 0.0) {
        double m = (double)run->activations / run->wall_seconds / 1e6;
        stats_out(&o, " (%.2f M activations/s)", m);
    }
    stats_out_char(&o, '\n');
    if (run->speed_name != NULL) {
        stats_fmt_human(buf, stats_num_real(run->speed_value, 1.0));
        stats_out(&o, "  %-*s  %s\n", (int)width, run->speed_name, buf);
    }

out:
    free(group);
    free(first_of);
    free(start);
    free(order);
    return stats_out_finish(&o);
}

/* ---- the short summary: statistics with a role ---- */

/* A role's rows of one table row (one statistic of one type) spread over many instances are
 * shown as one line over all of them past this many. */
#define SUMMARY_EACH_MAX 8

/* The instance part of a key (up to its first dot; the whole key when it has none). */
static size_t stats_prefix_len(const char *key)
{
    size_t g = stats_group_len(key);
    return g != 0 ? g : strlen(key);
}

/* Whether two keys are the same statistic of two instances: equal after the instance part. */
static bool stats_same_name(const SimStatEntry *a, const SimStatEntry *b)
{
    return strcmp(a->key + stats_prefix_len(a->key), b->key + stats_prefix_len(b->key)) == 0;
}

/* "mb_l0..mb_l15.retransmits": the first and last instance of a group and the statistic. */
static void stats_group_label(char *buf, size_t n, const SimStatEntry *first,
                              const SimStatEntry *last, size_t count)
{
    int pf = (int)stats_prefix_len(first->key);
    int pl = (int)stats_prefix_len(last->key);
    if (count == 1) {
        snprintf(buf, n, "%s", first->key);
    } else {
        snprintf(buf, n, "%.*s..%.*s%s", pf, first->key, pl, last->key, first->key + pf);
    }
}

static void stats_out_unit(StatsOut *o, const SimStatEntry *e)
{
    if (e->unit != NULL && e->unit[0] != '\0') {
        stats_out(o, " %s", e->unit);
    }
}

/* One line over the `count` entries ent[0..count): totals, ranges. */
static void stats_group_value(StatsOut *o, const SimStatEntry *const *ent, size_t count,
                              SimStatRole role, StatWindow w)
{
    char a[STAT_HUMAN_BUF];
    char b[STAT_HUMAN_BUF];
    const SimStatEntry *e0 = ent[0];
    if (e0->kind == SIM_STAT_HIST) {
        /* n and avg over every sample; the instances' p50 and p99 as ranges; the largest max. */
        uint64_t n = 0;
        double sum = 0.0;
        double lo[2] = {INFINITY, INFINITY};
        double hi[2] = {-INFINITY, -INFINITY};
        bool est[2] = {false, false};
        double max = 0.0;
        static const StatSuffix pct[2] = {STAT_SUF_P50, STAT_SUF_P99};
        for (size_t i = 0; i < count; i++) {
            const SimHist *h = ent[i]->field;
            if (h->count == 0) {
                continue;
            }
            n += h->count;
            sum += stats_num_double(stats_value(ent[i], STAT_SUF_AVG, w)) * (double)h->count;
            for (int k = 0; k < 2; k++) {
                StatNum v = stats_value(ent[i], pct[k], w);
                double d = stats_num_double(v);
                lo[k] = d < lo[k] ? d : lo[k];
                hi[k] = d > hi[k] ? d : hi[k];
                est[k] = est[k] || v.estimate;
            }
            double m = stats_num_double(stats_value(ent[i], STAT_SUF_LARGEST, w));
            max = m > max ? m : max;
        }
        stats_out(o, "n=%" PRIu64, n);
        if (n == 0) {
            return;
        }
        stats_fmt_human(a, stats_num_real(sum / (double)n, 1.0));
        stats_out(o, " avg=%s", a);
        for (int k = 0; k < 2; k++) {
            stats_fmt_human(a, (StatNum){.d = lo[k], .estimate = est[k]});
            stats_fmt_human_plain(b, (StatNum){.d = hi[k]});
            stats_out(o, " %s=%s..%s", stat_suffix_name[pct[k]] + 1, a, b);
        }
        stats_fmt_human(a, stats_num_real(max, 1.0));
        stats_out(o, " max=%s", a);
        stats_out_unit(o, e0);
        return;
    }
    /* Scalars (a time average by its mean): counters summed, reals averaged; min and max. */
    StatSuffix suf = e0->kind == SIM_STAT_TIMEAVG ? STAT_SUF_AVG : STAT_SUF_PLAIN;
    double total = 0.0;
    size_t lo = 0;
    size_t hi = 0;
    size_t nonzero = 0;
    for (size_t i = 0; i < count; i++) {
        double d = stats_num_double(stats_value(ent[i], suf, w));
        total += d;
        nonzero += d != 0.0;
        if (d < stats_num_double(stats_value(ent[lo], suf, w))) {
            lo = i;
        }
        if (d > stats_num_double(stats_value(ent[hi], suf, w))) {
            hi = i;
        }
    }
    bool counter = e0->kind == SIM_STAT_COUNTER;
    if (counter) {
        stats_fmt_human(a, stats_num_real(total, 1.0));
        stats_out(o, "total=%s", a);
    } else {
        stats_fmt_human(a, stats_num_real(total / (double)count, 1.0));
        stats_out(o, "mean=%s", a);
    }
    stats_out_unit(o, e0);
    if (role == SIM_STAT_ROLE_RETRIES && nonzero == 0) {
        stats_out(o, " (0 in every instance)");
        return;
    }
    stats_fmt_human(a, stats_value(ent[lo], suf, w));
    stats_fmt_human(b, stats_value(ent[hi], suf, w));
    stats_out(o, " min=%s (%.*s) max=%s (%.*s)", a, (int)stats_prefix_len(ent[lo]->key),
              ent[lo]->key, b, (int)stats_prefix_len(ent[hi]->key), ent[hi]->key);
}

/* One entry on its own line. */
static void stats_entry_value(StatsOut *o, const SimStatEntry *e, StatWindow w)
{
    stats_summary_value(o, e, w);
    stats_out_unit(o, e);
}

/*
 * The statistics whose table gives them a role, section by section in role order; within a
 * section in registration order, one line per statistic, or, for a statistic of one type
 * spread over more than SUMMARY_EACH_MAX instances (and always for retries and errors), one
 * line over all of them. The run and host facts frame it. docs/stats.md, "Summary".
 */
bool sim_stats_write_summary(const SimStats *s, const SimRunInfo *run, FILE *f)
{
    StatsOut o = {.f = f, .ok = true};
    StatWindow w = stats_window(s, run);
    if (run == NULL) {
        run = &stats_no_run;
    }
    size_t n = s->n_entries;
    const SimStatEntry **ent = malloc((n + 1) * sizeof(*ent));
    bool *done = calloc(n + 1, sizeof(*done));
    if (ent == NULL || done == NULL) {
        stats_out_fail(&o, ENOMEM);
        goto out;
    }
    char buf[STAT_HUMAN_BUF];
    const int col = 12;
    stats_out(&o, "%-*s%s\n", col, "config", run->config != NULL ? run->config : "-");
    stats_out(&o, "%-*s%" PRIu64 "\n", col, "seed", run->seed);
    stats_out(&o, "%-*s%" PRIu64 ".%03u ns\n", col, "simulated",
              (uint64_t)(run->end_time / SIM_PS_PER_NS), (unsigned)(run->end_time % SIM_PS_PER_NS));
    stats_fmt_human(buf, stats_num_real(run->wall_seconds, 1.0));
    stats_out(&o, "%-*s%s, %s s wall", col, "kernel", run->kernel != NULL ? run->kernel : "-", buf);
    if (run->wall_seconds > 0.0) {
        stats_out(&o, " (%.2f M activations/s)",
                  (double)run->activations / run->wall_seconds / 1e6);
    }
    stats_out_char(&o, '\n');
    if (run->speed_name != NULL) {
        stats_fmt_human(buf, stats_num_real(run->speed_value, 1.0));
        stats_out(&o, "%-*s%s\n", col, run->speed_name, buf);
    }

    /* Labels first, for one value column over all sections. */
    size_t width = 20;
    char label[256];
    for (int pass = 0; pass < 2; pass++) {
        memset(done, 0, n * sizeof(*done));
        for (int role = SIM_STAT_ROLE_NONE + 1; role < SIM_STAT_ROLE_MAX; role++) {
            bool header = false;
            for (size_t i = 0; i < n; i++) {
                const SimStatEntry *e = &s->entries[i];
                if (done[i] || (int)e->role != role) {
                    continue;
                }
                size_t count = 0;
                for (size_t j = i; j < n; j++) {
                    if (!done[j] && s->entries[j].row == e->row &&
                        (int)s->entries[j].role == role && stats_same_name(&s->entries[j], e)) {
                        ent[count++] = &s->entries[j];
                        done[j] = true;
                    }
                }
                bool group =
                    count > SUMMARY_EACH_MAX || (role == SIM_STAT_ROLE_RETRIES && count > 1);
                size_t lines = group ? 1 : count;
                for (size_t k = 0; k < lines; k++) {
                    if (group) {
                        stats_group_label(label, sizeof(label), ent[0], ent[count - 1], count);
                    } else {
                        snprintf(label, sizeof(label), "%s", ent[k]->key);
                    }
                    if (pass == 0) {
                        size_t l = strlen(label);
                        width = l > width && l <= 60 ? l : width;
                        continue;
                    }
                    if (!header) {
                        stats_out(&o, "\n%s\n", sim_stat_role_name((SimStatRole)role));
                        header = true;
                    }
                    stats_out(&o, "  %-*s  ", (int)width, label);
                    if (group) {
                        stats_group_value(&o, ent, count, (SimStatRole)role, w);
                        stats_out(&o, "  [%zu instances]", count);
                    } else {
                        stats_entry_value(&o, ent[k], w);
                    }
                    stats_out_char(&o, '\n');
                }
            }
        }
    }
    stats_out(&o, "\nall %zu statistics: --verbose (by instance), --stats FILE (JSON)\n",
              s->n_flat);

out:
    free(ent);
    free(done);
    return stats_out_finish(&o);
}
