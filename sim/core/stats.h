/*
 * Statistics: plain struct fields that models update on the tick path, and a registry, filled
 * once at build time, that names them for the writers. Nothing here looks up a string or
 * allocates while the simulation runs: names appear only when the results are written.
 *
 *   uint64_t counter            ++c->reads;                       -> "mb0.ddr3.reads"
 *   SimTimeAvg occupancy        sim_timeavg_set(&q->occ, now, n); -> ".avg" ".max"
 *   SimHist latency             sim_hist_record(&h, ps);          -> ".count" ".min" ".avg"
 *                                                                    ".p50" ".p90" ".p99"
 *                                                                    ".p999" ".max"
 *   double derived              computed in the model's finish()  -> "mb0.ddr3.bandwidth_gbps"
 *
 * Keys are dotted by instance name. The JSON schema is documented in docs/stats.md.
 */
#ifndef MEMBOX_SIM_STATS_H
#define MEMBOX_SIM_STATS_H

#include <stdio.h>

#include "sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- time-weighted average (buffer occupancy, link utilisation) ---- */

/*
 * The integral of value over time, kept exactly in 128 bits, so that the result depends only
 * on when the value changed, never on how often it was set: setting the value it already has
 * is a no-op. This is what makes the fast and the every-cycle kernel agree to the byte.
 */
typedef struct SimTimeAvg {
    uint64_t value;   /* current value */
    uint64_t max;     /* largest value ever set */
    SimTime since;    /* time of the last change */
    uint64_t area_lo; /* integral of value dt, in value x ps, low 64 bits */
    uint64_t area_hi; /* high 64 bits */
} SimTimeAvg;

void sim_timeavg_init(SimTimeAvg *a, SimTime start, uint64_t value);

static inline void sim_timeavg_set(SimTimeAvg *a, SimTime now, uint64_t value)
{
    if (value == a->value) {
        return;
    }
    __extension__ typedef unsigned __int128 u128;
    u128 area = ((u128)a->area_hi << 64) | a->area_lo;
    area += (u128)a->value * (u128)(now - a->since);
    a->area_lo = (uint64_t)area;
    a->area_hi = (uint64_t)(area >> 64);
    a->value = value;
    a->since = now;
    if (value > a->max) {
        a->max = value;
    }
}

/* Average over [start, end]; 0 when end == start. */
double sim_timeavg_mean(const SimTimeAvg *a, SimTime start, SimTime end);

/* ---- histogram: exact samples, then log-linear buckets ---- */

/*
 * A histogram keeps its first SIM_HIST_EXACT samples verbatim in a store allocated by
 * sim_hist_init() (build time; recording never allocates), so that while it holds no more
 * samples than that, every percentile is a recorded sample (nearest rank). Every sample also
 * lands in a log-linear bucket: values below 2^(SIM_HIST_SUB_BITS + 1) have a bucket each;
 * above, every power of two is cut into 2^SIM_HIST_SUB_BITS equal buckets (1/128 wide). Past
 * SIM_HIST_EXACT samples a percentile comes from the buckets: still exact when the bucket
 * holding the rank pins one value (a bucket of width 1, the rank of min or max), else an
 * estimate interpolated inside the bucket, flagged as such (docs/stats.md).
 * count, sum, min and max are exact.
 */
#define SIM_HIST_EXACT    1024
#define SIM_HIST_SUB_BITS 7
#define SIM_HIST_SUB      (1u << SIM_HIST_SUB_BITS)
/*
 * Buckets 0 .. 2 * SIM_HIST_SUB - 1 hold the small values one each; then each of the
 * 64 - (SIM_HIST_SUB_BITS + 1) powers of two above has SIM_HIST_SUB buckets, so UINT64_MAX lands
 * in the last one, SIM_HIST_BUCKETS - 1.
 */
#define SIM_HIST_BUCKETS ((65u - SIM_HIST_SUB_BITS) * SIM_HIST_SUB)

typedef struct SimHist {
    uint64_t count;
    uint64_t sum_lo; /* 128-bit exact sum */
    uint64_t sum_hi;
    uint64_t min;
    uint64_t max;
    uint64_t *buckets; /* SIM_HIST_BUCKETS counters, allocated by sim_hist_init */
    uint64_t *samples; /* the first SIM_HIST_EXACT samples (any order), idem */
} SimHist;

bool sim_hist_init(SimHist *h);
void sim_hist_destroy(SimHist *h);

static inline uint32_t sim_hist_bucket(uint64_t v)
{
    if (v < 2 * SIM_HIST_SUB) {
        return (uint32_t)v;
    }
    uint32_t msb = 63u - (uint32_t)__builtin_clzll(v);
    uint32_t shift = msb - SIM_HIST_SUB_BITS;
    return shift * SIM_HIST_SUB + (uint32_t)(v >> shift);
}

/* Smallest and largest value that fall in bucket b. */
uint64_t sim_hist_bucket_low(uint32_t b);
uint64_t sim_hist_bucket_high(uint32_t b);

static inline void sim_hist_record(SimHist *h, uint64_t v)
{
    h->buckets[sim_hist_bucket(v)]++;
    if (h->count < SIM_HIST_EXACT) {
        h->samples[h->count] = v;
    }
    if (h->count == 0 || v < h->min) {
        h->min = v;
    }
    if (v > h->max) {
        h->max = v;
    }
    h->count++;
    uint64_t lo = h->sum_lo + v;
    h->sum_hi += lo < h->sum_lo;
    h->sum_lo = lo;
}

/* A percentile as it is known: a recorded sample, or an estimate from the buckets. */
typedef struct SimHistPct {
    bool exact;      /* `sample` is the nearest-rank sample */
    uint64_t sample; /* when exact */
    double estimate; /* when not: interpolated inside the bucket holding the rank */
} SimHistPct;

/*
 * Nearest-rank percentile, p in (0, 100]: rank ceil(p / 100 x count), at least 1. Exact (the
 * sample of that rank) when count <= SIM_HIST_EXACT or when the rank's bucket, narrowed to
 * [min, max], holds one value; else an estimate (docs/stats.md, "Histograms"). An empty
 * histogram gives an exact 0. Not for the tick path: it sorts the sample store in place.
 */
SimHistPct sim_hist_percentile_at(const SimHist *h, double p);
/* The same as one integer: the sample when exact, else the estimate rounded to nearest. */
uint64_t sim_hist_percentile(const SimHist *h, double p);
double sim_hist_mean(const SimHist *h);

/* ---- the registry the writers read ---- */

typedef enum SimStatKind {
    SIM_STAT_COUNTER = 0, /* const uint64_t * */
    SIM_STAT_REAL,        /* const double * */
    SIM_STAT_TIMEAVG,     /* const SimTimeAvg * */
    SIM_STAT_HIST,        /* const SimHist * */
    SIM_STAT_KIND_MAX
} SimStatKind;

typedef struct SimStats SimStats;

SimStats *sim_stats_new(void);
void sim_stats_free(SimStats *s);

/*
 * Register a field under "<prefix>.<name>" (prefix is usually the instance name and may be
 * NULL or ""). `scale` divides values when they are written: a histogram recorded in
 * picoseconds and registered as "latency_ns" uses scale 1000. Build phase only; the field must
 * outlive the registry. Returns false on a duplicate key or out of memory.
 */
bool sim_stats_add(SimStats *s, SimStatKind kind, const char *prefix, const char *name,
                   const void *field, double scale, const char *doc);

/* ---- statistics tables ---- */

/*
 * A model declares every statistic it can produce in a static const table, one row each, as it
 * declares its parameters (STYLE.md): the builder registers an instance's statistics from the
 * table in one call, and `membox-sim describe TYPE` lists them, units and all, without building
 * anything. Only the table names a statistic, so what describe prints is what a run writes.
 *
 *   static const SimStatDesc delay_stat_rows[] = {
 *       {.name = "forwarded", .kind = SIM_STAT_COUNTER, .offset = offsetof(Delay, forwarded),
 *        .unit = "packets", .doc = "packets forwarded"},
 *       {.name = "occupancy", .kind = SIM_STAT_TIMEAVG, .offset = offsetof(Delay, occupancy),
 *        .unit = "packets", .doc = "packets held, time-weighted"},
 *   };
 *
 * Blocks. A row reads the field at `offset` in one of a few blocks, whose addresses the instance
 * gives when it is built (SimStatBinding.block): block 0 is usually the component's struct,
 * others parts kept elsewhere (the counters of a sub-object). A block given as NULL leaves its
 * rows out: that is how a statistic that only some parameters produce is declared (a checker's
 * violation count exists only with the checker on).
 *
 * Groups. A row of group g > 0 is repeated once per index of the group (per lane, per
 * requester), each time with the index's label in place of the group's placeholder in its name,
 * and its field `stride` bytes further per index:
 *
 *   rows  {"lane<n>_busy_cycles", group 1, offset of busy[0], stride 8}
 *         {"lane<n>_util",        group 1, offset of util[0], stride 8}
 *   group {"<n>", "0 .. lanes - 1"}, 2 indices   ->   lane0_busy_cycles, lane0_util,
 *                                                      lane1_busy_cycles, lane1_util
 *
 * Consecutive rows of one group are registered index by index, as above; the number of indices
 * (and, if not 0 .. count - 1, which ones) come from the instance, the labels from the group
 * (decimal when it has none).
 */
#define SIM_STAT_BLOCKS 6
#define SIM_STAT_GROUPS 4

typedef struct SimStatDesc {
    const char *name; /* key under the instance; in a group, holding the group's placeholder */
    SimStatKind kind;
    size_t offset;    /* of the field in its block (of index 0's field in a group) */
    const char *unit; /* of the written values ("packets", "B", "ns", "GB/s"); NULL: a number */
    double scale;     /* written value = recorded value / scale; 0 means 1 (sim_stats_add) */
    const char *doc;  /* one line */
    uint8_t block;    /* < SIM_STAT_BLOCKS */
    uint8_t group;    /* 0: once; g: once per index of the table's groups[g - 1] */
    size_t stride;    /* group rows: bytes from one index's field to the next one's */
    bool scale_arg;   /* divide by the instance's SimStatBinding.scale instead of `scale` (a
                         scale that depends on parameters, such as bytes per lane) */
} SimStatDesc;

/*
 * Row makers, as QEMU's DEFINE_PROP_*: a row for the field `field` of struct `type` in block 0
 * (SIM_STAT_ROW) or in block `blk` (SIM_STAT_ROW_IN); a row of group `grp` whose index 0 is
 * the member `field0` (an element such as busy[0] or port[0].reads) and the next `stride` bytes
 * further (SIM_STAT_GROUP_ROW). Rows with scale_arg are written out with designated
 * initialisers.
 */
#define SIM_STAT_ROW(name_, kind_, type_, field_, unit_, scale_, doc_)                             \
    {                                                                                              \
        .name = (name_), .kind = (kind_), .offset = offsetof(type_, field_), .unit = (unit_),      \
        .scale = (scale_), .doc = (doc_)                                                           \
    }
#define SIM_STAT_ROW_IN(blk_, name_, kind_, type_, field_, unit_, scale_, doc_)                    \
    {                                                                                              \
        .name = (name_), .kind = (kind_), .offset = offsetof(type_, field_), .unit = (unit_),      \
        .scale = (scale_), .doc = (doc_), .block = (blk_)                                          \
    }
#define SIM_STAT_GROUP_ROW(blk_, grp_, name_, kind_, type_, field0_, stride_, unit_, scale_, doc_) \
    {                                                                                              \
        .name = (name_), .kind = (kind_), .offset = offsetof(type_, field0_), .unit = (unit_),     \
        .scale = (scale_), .doc = (doc_), .block = (blk_), .group = (grp_), .stride = (stride_)    \
    }

typedef struct SimStatGroup {
    const char *placeholder;   /* as written in its rows' names, e.g. "<n>" or "<type>" */
    const char *doc;           /* what it runs over, e.g. "0 .. lanes - 1" */
    const char *const *labels; /* label of index i; NULL: i in decimal */
} SimStatGroup;

/*
 * Roles: which statistics make the short summary a run prints (docs/stats.md, "Summary"). A
 * type names, beside its rows, the few that tell a person how the system did, each with the
 * section of the summary it belongs to; every other statistic appears only in the full dump
 * (`run --verbose`) and the files. The summary is built from these roles alone, never from
 * instance or type names.
 */
typedef enum SimStatRole {
    SIM_STAT_ROLE_NONE = 0,
    SIM_STAT_ROLE_THROUGHPUT,  /* data moved per time by a requester or a memory */
    SIM_STAT_ROLE_LATENCY,     /* a request's latency as its requester sees it (a histogram) */
    SIM_STAT_ROLE_UTILISATION, /* share of a link's or memory's capacity in use */
    SIM_STAT_ROLE_RETRIES,     /* resends and errors: summed over the instances */
    SIM_STAT_ROLE_WORKLOAD,    /* the workload's own figures (iterations, iteration time) */
    SIM_STAT_ROLE_MAX
} SimStatRole;

typedef struct SimStatRoleRow {
    const char *name; /* a row's name, as in the table (placeholder included) */
    SimStatRole role;
} SimStatRoleRow;

typedef struct SimStatTable {
    const SimStatDesc *rows;
    size_t n_rows;
    const SimStatGroup *groups; /* groups[g - 1] is group g */
    size_t n_groups;
    const SimStatRoleRow *roles; /* the rows in the summary; NULL: none */
    size_t n_roles;
} SimStatTable;

/* "throughput", "latency", ...; "" for SIM_STAT_ROLE_NONE. */
const char *sim_stat_role_name(SimStatRole role);

/* What one instance gives for its type's table. */
typedef struct SimStatBinding {
    const void *block[SIM_STAT_BLOCKS];    /* NULL: that block's rows are not made */
    uint32_t count[SIM_STAT_GROUPS];       /* indices of group g + 1 */
    const uint32_t *pick[SIM_STAT_GROUPS]; /* NULL: indices 0 .. count - 1; else these */
    double scale;                          /* for the rows with scale_arg */
} SimStatBinding;

/*
 * Registers the rows of t under prefix (the instance name), in table order, as sim_stats_add
 * would one by one. Build phase only. Returns false on the first key that cannot be registered,
 * errno EEXIST (a duplicate) or ENOMEM; the rows before it stay registered.
 */
bool sim_stats_add_table(SimStats *s, const char *prefix, const SimStatTable *t,
                         const SimStatBinding *b);

/* "counter", "real", "time-avg", "histogram". */
const char *sim_stat_kind_name(SimStatKind kind);

/* Closes the measurement window [start, end] that time-weighted averages are taken over. */
void sim_stats_set_window(SimStats *s, SimTime start, SimTime end);

/* Run facts written beside the statistics (config path, seed, kernel, wall-clock time). */
typedef struct SimRunInfo {
    const char *config; /* path of the topology */
    uint64_t seed;
    const char *kernel;   /* "fast", "every-cycle" */
    SimTime end_time;     /* simulated time at the end of the run */
    double wall_seconds;  /* host time of the run phase */
    uint64_t activations; /* component ticks executed */
    /* Optional speed in a unit of the command's own, e.g. "dram_cycles_per_second" for the
     * standalone DRAM mode (simulated DRAM cycles per wall second); NULL when none. */
    const char *speed_name;
    double speed_value;
    /* Values given on the command line ("mb_p0.lanes=2"), written in the run section. */
    const char *const *overrides;
    size_t n_overrides;
    /* Run metadata, written in the JSON "meta" section (NULL strings as null): the program's
     * version and `git describe` at build time ("unknown" outside git), a hash of the expanded
     * configuration, the host's name and the wall-clock start (UTC, ISO 8601). */
    const char *version;
    const char *git_describe;
    const char *config_hash;
    const char *hostname;
    const char *started_utc;
} SimRunInfo;

/*
 * Writers. JSON is one object: {"schema": ..., "run": {...}, "stats": {...}, "estimated": [...],
 * "host": {...}, "meta": {...}}; "run", "stats" and "estimated" depend only on topology, traces,
 * overrides and seed (byte-identical across kernels), "host" and "meta" hold what does not
 * (kernel, wall time, activations, speed; version, config hash, host name). CSV is a header line
 * and one row per run (sweeps append rows). The summary is a readable table for stdout. Return
 * false with errno set on an I/O error.
 */
bool sim_stats_write_json(const SimStats *s, const SimRunInfo *run, FILE *f);
bool sim_stats_write_csv_header(const SimStats *s, FILE *f);
bool sim_stats_write_csv_row(const SimStats *s, const SimRunInfo *run, FILE *f);
bool sim_stats_write_summary(const SimStats *s, const SimRunInfo *run, FILE *f);
/* Every statistic, instance by instance (`run --verbose`). */
bool sim_stats_write_full(const SimStats *s, const SimRunInfo *run, FILE *f);

/* Look-up for tests and tools (not for the tick path): the written value of a flat key such as
 * "sink0.latency_ns.p99"; false if no such key. */
bool sim_stats_get(const SimStats *s, const char *key, double *value);

#ifdef __cplusplus
}
#endif

#endif
