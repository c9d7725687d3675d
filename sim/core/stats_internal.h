/*
 * Internal to sim/core's statistics: the registry's layout and the one function that turns an
 * entry into a written value, shared by the recording side (stats.c) and the writers
 * (stats_write.c), so that the JSON, the CSV, the summary and sim_stats_get() cannot disagree.
 */
#ifndef MEMBOX_SIM_STATS_INTERNAL_H
#define MEMBOX_SIM_STATS_INTERNAL_H

#include "stats.h"

/* What follows a registered key in the flat key space; one value each. */
typedef enum StatSuffix {
    STAT_SUF_PLAIN = 0, /* the key itself: counters and reals */
    STAT_SUF_COUNT,
    STAT_SUF_MIN,
    STAT_SUF_AVG,
    STAT_SUF_P50,
    STAT_SUF_P90,
    STAT_SUF_P99,
    STAT_SUF_P999,
    STAT_SUF_LARGEST, /* ".max" */
    STAT_SUF_MAX
} StatSuffix;

typedef struct StatSuffixList {
    const uint8_t *list;
    uint32_t n;
} StatSuffixList;

extern const char *const stat_suffix_name[STAT_SUF_MAX];
extern const double stat_suffix_pct[STAT_SUF_MAX];
extern const StatSuffixList stat_kind_suffixes[SIM_STAT_KIND_MAX];

#define STAT_MAX_SUFFIXES 8

typedef struct SimStatEntry {
    char *key; /* "prefix.name", or "name" without a prefix */
    SimStatKind kind;
    const void *field;
    double scale;
    char *doc;              /* NULL when none was given */
    const char *unit;       /* from its table row (static), NULL when none */
    SimStatRole role;       /* from its table's roles; SIM_STAT_ROLE_NONE for sim_stats_add */
    const SimStatDesc *row; /* its table row (static); NULL for sim_stats_add */
} SimStatEntry;

/* A slot of the open-addressing table of flat keys; key == NULL marks a free slot. */
typedef struct SimStatSlot {
    char *key;
    uint64_t hash;
    uint32_t entry;
    uint32_t suffix;
} SimStatSlot;

struct SimStats {
    SimStatEntry *entries; /* in registration order */
    size_t n_entries;
    size_t cap_entries;
    SimStatSlot *slots; /* power-of-two size, at most half full */
    size_t n_slots;
    size_t n_flat;
    SimTime window_start;
    SimTime window_end;
    bool window_set;
};

/* One written value: an integer, or a double (which may be NaN or infinite). */
typedef struct StatNum {
    bool is_int;
    uint64_t u;
    double d;
    bool estimate; /* a percentile estimated from histogram buckets, not a recorded sample */
} StatNum;

/* The time-average window (stats_window()). */
typedef struct StatWindow {
    bool known;
    SimTime start;
    SimTime end;
} StatWindow;

/* An integer quantity divided by the scale: it stays an integer only when the scale is 1. */
StatNum stats_num_scaled(uint64_t v, double scale);
StatNum stats_num_real(double d, double scale);
double stats_num_double(StatNum n);
/* The window set by sim_stats_set_window(), else [0, run->end_time]; unknown without both. */
StatWindow stats_window(const SimStats *s, const SimRunInfo *run);
/* The value of entry e with suffix suf (".p99", ...). */
StatNum stats_value(const SimStatEntry *e, StatSuffix suf, StatWindow w);

/* a + sep + b, malloc'd; NULL when out of memory. */
char *stats_concat(const char *a, const char *sep, const char *b);

#endif
