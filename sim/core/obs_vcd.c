/*
 * The VCD writer (docs/outputs.md): timescale 1 ps, one scope per dotted part of a signal's key
 * (an instance, then its parts), values sampled at the end of every instant the kernel visits
 * inside the window [from, until]. Only changes are written, so an instant at which nothing
 * changed writes nothing, and the fast and the every-cycle kernel write the same file.
 */
#include "observe_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static uint64_t sig_value(const VcdSig *s, SimTime t)
{
    switch (s->src) {
    case VCD_FIELD64:
        return *(const uint64_t *)s->field;
    case VCD_FIELD32:
        return *(const uint32_t *)s->field;
    case VCD_BOOL:
        return *(const bool *)s->field ? 1 : 0;
    case VCD_UNTIL: {
        SimCycle c = *(const SimCycle *)s->field;
        return t < sim_domain_time(s->domain, c) ? 1 : 0;
    }
    case VCD_FN:
        return s->get(s->field);
    case VCD_TIMEAVG:
        return ((const SimTimeAvg *)s->field)->value;
    case VCD_PORT:
        return ((const SimPort *)s->field)->count;
    }
    return 0;
}

static void write_value(FILE *f, const VcdSig *s, uint64_t v)
{
    if (s->width == 1) {
        fprintf(f, "%c%s\n", v ? '1' : '0', s->id);
        return;
    }
    char bits[66];
    int n = 0;
    if (v == 0) {
        bits[n++] = '0';
    } else {
        for (int b = 63 - __builtin_clzll(v); b >= 0; b--) {
            bits[n++] = (char)('0' + ((v >> b) & 1));
        }
    }
    bits[n] = '\0';
    fprintf(f, "b%s %s\n", bits, s->id);
}

static void write_time(ObsVcd *v, SimTime t)
{
    if (v->last_written != t) {
        fprintf(v->file.f, "#%" PRIu64 "\n", t);
        v->last_written = t;
    }
}

static bool sig_add(ObsVcd *v, uint32_t *cap, const char *key, VcdSrc src, const void *field,
                    uint64_t (*get)(const void *), const SimDomain *d, uint8_t width)
{
    if (v->n_sigs == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 256;
        VcdSig *s = realloc(v->sigs, nc * sizeof(*s));
        if (s == NULL) {
            return false;
        }
        v->sigs = s;
        *cap = nc;
    }
    v->sigs[v->n_sigs++] =
        (VcdSig){.key = key, .src = src, .field = field, .get = get, .domain = d, .width = width};
    return true;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const VcdSig *)a)->key, ((const VcdSig *)b)->key);
}

/* Identifier of signal i: printable characters '!' .. '~', base 94. */
static void make_id(char id[6], uint32_t i)
{
    int n = 0;
    do {
        id[n++] = (char)('!' + i % 94);
        i /= 94;
    } while (i != 0 && n < 5);
    id[n] = '\0';
}

/* Number of dot-separated parts of key before its last one that equal those of path. */
static size_t common_scopes(const char *a, const char *b)
{
    size_t depth = 0;
    for (size_t i = 0;; i++) {
        if (a[i] != b[i]) {
            return depth;
        }
        if (a[i] == '\0') {
            return depth;
        }
        if (a[i] == '.') {
            depth++;
        }
    }
}

static bool write_header(ObsVcd *v, const SimObserveOptions *o)
{
    FILE *f = v->file.f;
    fprintf(f, "$date membox-sim $end\n$version membox-sim --vcd $end\n$timescale 1ps $end\n");
    fprintf(f, "$comment window %" PRIu64 " ps", o->vcd_from);
    if (o->vcd_until != SIM_TIME_NEVER) {
        fprintf(f, " .. %" PRIu64 " ps", o->vcd_until);
    }
    fprintf(f, " $end\n");
    const char *prev = "";
    size_t open = 0;
    for (uint32_t i = 0; i < v->n_sigs; i++) {
        const VcdSig *s = &v->sigs[i];
        size_t keep = common_scopes(prev, s->key);
        if (keep > open) {
            keep = open;
        }
        for (; open > keep; open--) {
            fprintf(f, "$upscope $end\n");
        }
        /* Open the scopes of key after the kept ones. */
        size_t depth = 0;
        const char *p = s->key;
        const char *seg = p;
        for (; *p; p++) {
            if (*p == '.') {
                if (depth >= keep) {
                    fprintf(f, "$scope module %.*s $end\n", (int)(p - seg), seg);
                    open++;
                }
                depth++;
                seg = p + 1;
            }
        }
        fprintf(f, "$var wire %u %s %s $end\n", s->width, s->id, seg);
        prev = s->key;
    }
    for (; open > 0; open--) {
        fprintf(f, "$upscope $end\n");
    }
    fprintf(f, "$enddefinitions $end\n");
    return !ferror(f);
}

bool obs_vcd_open(ObsVcd *v, Sim *sim, const SimObserveOptions *o, SimError *err)
{
    v->from = o->vcd_from;
    v->until = o->vcd_until;
    v->last_written = SIM_TIME_NEVER;
    uint32_t cap = 0;
    const char *sel = o->vcd_select;
    /* Ports: entries in use, under their occupancy statistic's key (which is closed at the
     * end of the run only). */
    SimStats *st = sim->stats;
    for (size_t i = 0; i < st->n_entries; i++) {
        const SimStatEntry *e = &st->entries[i];
        if ((e->kind != SIM_STAT_COUNTER && e->kind != SIM_STAT_TIMEAVG) ||
            !obs_select(sel, e->key)) {
            continue;
        }
        VcdSrc src = e->kind == SIM_STAT_COUNTER ? VCD_FIELD64 : VCD_TIMEAVG;
        const void *field = e->field;
        size_t kl = strlen(e->key);
        if (e->kind == SIM_STAT_TIMEAVG && kl > 10 && strcmp(e->key + kl - 10, ".occupancy") == 0) {
            for (uint32_t k = 0; k < sim->n_ports; k++) {
                if (field == &sim->ports[k]->occupancy) {
                    src = VCD_PORT;
                    field = sim->ports[k];
                    break;
                }
            }
        }
        if (!sig_add(v, &cap, e->key, src, field, NULL, NULL, 64)) {
            return sim_error_oom(err, o->vcd);
        }
    }
    static const VcdSrc of_kind[SIM_SIG_KIND_MAX] = {VCD_FIELD64, VCD_FIELD32, VCD_BOOL, VCD_UNTIL,
                                                     VCD_FN};
    for (uint32_t i = 0; i < sim->n_signals; i++) {
        const struct SimSignalEntry *e = &sim->signals[i];
        if (!obs_select(sel, e->key)) {
            continue;
        }
        if (!sig_add(v, &cap, e->key, of_kind[e->kind], e->field, e->get, e->domain, e->width)) {
            return sim_error_oom(err, o->vcd);
        }
    }
    qsort(v->sigs, v->n_sigs, sizeof(*v->sigs), by_key);
    for (uint32_t i = 0; i < v->n_sigs; i++) {
        make_id(v->sigs[i].id, i);
        v->n_untils += v->sigs[i].src == VCD_UNTIL;
    }
    v->untils = calloc(v->n_untils + 1, sizeof(*v->untils));
    v->scratch = calloc(v->n_untils + 1, sizeof(*v->scratch));
    if (v->untils == NULL || v->scratch == NULL) {
        return sim_error_oom(err, o->vcd);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->n_sigs; i++) {
        if (v->sigs[i].src == VCD_UNTIL) {
            v->untils[n++] = i;
        }
    }
    if (!obs_file_open(&v->file, o->vcd, err)) {
        return false;
    }
    if (!write_header(v, o)) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write", o->vcd);
    }
    return true;
}

/* Every value at time at (the start of the window). */
static void dump_all(ObsVcd *v, SimTime at)
{
    write_time(v, at);
    fprintf(v->file.f, "$dumpvars\n");
    for (uint32_t i = 0; i < v->n_sigs; i++) {
        VcdSig *s = &v->sigs[i];
        s->cur = sig_value(s, at);
        if (s->src == VCD_UNTIL && s->cur) {
            s->fall = sim_domain_time(s->domain, *(const SimCycle *)s->field);
        }
        write_value(v->file.f, s, s->cur);
    }
    fprintf(v->file.f, "$end\n");
    v->dumped = true;
}

/* Falls of busy-until signals strictly before t (and not after the window), in time order. */
static void write_falls(ObsVcd *v, SimTime t)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < v->n_untils; k++) {
        const VcdSig *s = &v->sigs[v->untils[k]];
        if (s->cur && s->fall < t && s->fall <= v->until) {
            /* insertion by fall time, then index: a deterministic order */
            uint32_t j = n++;
            while (j > 0 && v->sigs[v->scratch[j - 1]].fall > s->fall) {
                v->scratch[j] = v->scratch[j - 1];
                j--;
            }
            v->scratch[j] = v->untils[k];
        }
    }
    for (uint32_t j = 0; j < n; j++) {
        VcdSig *s = &v->sigs[v->scratch[j]];
        write_time(v, s->fall);
        s->cur = 0;
        write_value(v->file.f, s, 0);
    }
}

static void close_window(ObsVcd *v, SimTime end)
{
    if (!v->dumped) {
        dump_all(v, v->from);
    }
    write_falls(v, end + 1);
    write_time(v, end);
    v->done = true;
}

void obs_vcd_begin(ObsVcd *v, SimTime t)
{
    if (v->done) {
        return;
    }
    if (t > v->until) {
        close_window(v, v->until);
        return;
    }
    if (!v->dumped && t >= v->from) {
        dump_all(v, v->from);
    }
}

void obs_vcd_end(ObsVcd *v, SimTime t)
{
    if (!v->dumped || v->done) {
        return;
    }
    write_falls(v, t);
    bool stamped = false;
    for (uint32_t i = 0; i < v->n_sigs; i++) {
        VcdSig *s = &v->sigs[i];
        uint64_t val = sig_value(s, t);
        if (s->src == VCD_UNTIL && val) {
            s->fall = sim_domain_time(s->domain, *(const SimCycle *)s->field);
        }
        if (val != s->cur) {
            if (!stamped) {
                write_time(v, t);
                stamped = true;
            }
            s->cur = val;
            write_value(v->file.f, s, val);
        }
    }
}

void obs_vcd_finish(ObsVcd *v, SimTime end)
{
    if (v->done) {
        return;
    }
    if (end < v->from) {
        /* The run ended before the window: a file with the definitions and no values. */
        v->done = true;
        return;
    }
    close_window(v, end < v->until ? end : v->until);
}

void obs_vcd_free(ObsVcd *v)
{
    obs_file_abort(&v->file);
    free(v->sigs);
    free(v->untils);
    free(v->scratch);
}
