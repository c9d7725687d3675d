/*
 * Topology loader: YAML tree -> checked graph (docs/config.md describes the format).
 *
 * Validation order, which fixes which error is reported when there are several (only the first
 * is): the text (NUL bytes, UTF-8), YAML syntax, anchors, tags and duplicate keys, all in file
 * order; then the top-level keys in file order; then the sections in the order sim, domains,
 * defaults, fabric (its own structure, fabric_section.c, which then stands expanded in
 * instances and links), instances, links (each in file order, keys of one entry in file order,
 * then its missing required keys, then the type's check); then ports left open (instance order,
 * then port table order); then cycles; then the fabric checks (fabric_check.c).
 */
#include "config_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "units.h"

/* ---- the fixed tables: sim section, domains, links ---- */

static const SimParamDesc sim_section_params[] = {
    {"seed", SIM_PARAM_UINT, offsetof(CfgSimSection, seed), "1", NULL, NULL, NULL,
     "run seed; every component's random stream derives from it and its name"},
    {"until", SIM_PARAM_TIME, offsetof(CfgSimSection, until), "0", NULL, NULL, NULL,
     "stop at this simulated time (default: run until drained)"},
    {"watchdog", SIM_PARAM_TIME, offsetof(CfgSimSection, watchdog), "1ms", "1ps", NULL, NULL,
     "fail when no port makes progress for this long while work is outstanding"},
    {"packets", SIM_PARAM_UINT, offsetof(CfgSimSection, packets), "65536", "1", "16777216", NULL,
     "size of the packet pool"},
    {"payload_blocks", SIM_PARAM_UINT, offsetof(CfgSimSection, payload_blocks), "1024", "0",
     "1048576", NULL, "number of payload blocks"},
    {"payload_block_size", SIM_PARAM_BYTES, offsetof(CfgSimSection, payload_block_size), "4KiB",
     "64B", "1MiB", NULL, "bytes per payload block"},
    {"allow_cycles", SIM_PARAM_BOOL, offsetof(CfgSimSection, allow_cycles), "false", NULL, NULL,
     NULL, "accept directed cycles of links"},
    {"max_depth", SIM_PARAM_UINT, offsetof(CfgSimSection, max_depth), "7", "0", "7", NULL,
     "fabric checks: switch levels on a request path (the return route holds 7)"},
    {"max_adapters", SIM_PARAM_UINT, offsetof(CfgSimSection, max_adapters), "256", "1", "256",
     NULL, "fabric checks: adapters whose requests reach one memory (src is 8 bits)"},
};

enum { SIM_KEY_SEED = 0, SIM_KEY_UNTIL = 1 };

typedef struct DomainParams {
    uint64_t freq;
    SimTime phase;
} DomainParams;

static const SimParamDesc domain_params[] = {
    {"freq", SIM_PARAM_FREQ, offsetof(DomainParams, freq), NULL, "1Hz", "1000GHz", NULL,
     "clock frequency"},
    {"phase", SIM_PARAM_TIME, offsetof(DomainParams, phase), "0", NULL, NULL, NULL,
     "time of cycle 0"},
};

enum { DOMAIN_KEY_FREQ = 0, DOMAIN_KEY_PHASE = 1 };

typedef struct LinkParams {
    char *from;
    char *to;
    uint64_t depth;
    uint64_t latency;
    uint64_t sync;
} LinkParams;

static const SimParamDesc link_params[] = {
    {"from", SIM_PARAM_STRING, offsetof(LinkParams, from), NULL, NULL, NULL, NULL,
     "producer endpoint instance:port (an output port)"},
    {"to", SIM_PARAM_STRING, offsetof(LinkParams, to), NULL, NULL, NULL, NULL,
     "consumer endpoint instance:port (an input port)"},
    {"depth", SIM_PARAM_UINT, offsetof(LinkParams, depth), "4", "1", "65536", NULL, "FIFO entries"},
    {"latency", SIM_PARAM_UINT, offsetof(LinkParams, latency), "1", "0", "1000000", NULL,
     "consumer cycles from push to visibility"},
    {"sync", SIM_PARAM_UINT, offsetof(LinkParams, sync), "2", "0", "16", NULL,
     "synchroniser cycles added when the two clocks differ"},
};

enum { LINK_KEY_FROM = 0, LINK_KEY_TO = 1 };

typedef struct BuiltinDomain {
    const char *name;
    const char *freq;
} BuiltinDomain;

static const BuiltinDomain builtin_domains[] = {
    {"pcie", "250MHz"},
    {"lane", "156.25MHz"},
    {"mem", "200MHz"},
    {"ddr", "800MHz"},
};

static const char *const top_keys[] = {"sim",    "domains",   "defaults",
                                       "fabric", "instances", "links"};

/* ---- errors ---- */

typedef struct NameIndex {
    const char *name;
    size_t index;
} NameIndex;

typedef struct Loader {
    SimConfig *c;
    SimError *err;
    /* defaults section, per type of the registry */
    void **def_params;
    const CfgNode ***def_given;
    const char ***def_domain;
    /* instances sorted by name, for the link endpoints */
    NameIndex *by_name;
    /* command-line overrides and whether each named an instance */
    const SimConfigOverride *overrides;
    size_t n_overrides;
    bool *override_used;
} Loader;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 0)))
#endif
static bool
error_v(const SimConfig *c, SimError *err, const CfgNode *n, const char *fmt, va_list ap)
{
    char msg[SIM_ERROR_MSG_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    const char *file = n != NULL && n->file != NULL ? n->file : c->path;
    if (n != NULL && n->line == 0) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: %s", file, msg); /* a command-line value */
    }
    return sim_error_set(err, SIM_ERR_INPUT, "%s:%u:%u: %s", file, n ? n->line : 1u,
                         n ? n->col : 1u, msg);
}

bool cfg_error_at(const SimConfig *c, SimError *err, const CfgNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(c, err, n, fmt, ap);
    va_end(ap);
    return false;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
fail_at(Loader *l, const CfgNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(l->c, l->err, n, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- small helpers ---- */

bool cfg_valid_name(const char *s)
{
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
        return false;
    }
    for (const char *p = s + 1; *p != '\0'; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_')) {
            return false;
        }
    }
    return true;
}

/* Levenshtein distance, or a large number for long words (no suggestion is made for them). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) {
        return SIZE_MAX;
    }
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Picks the closest candidate within distance 2 (and shorter than the candidate); first wins. */
typedef struct Suggest {
    const char *word;
    const char *best;
    size_t dist;
} Suggest;

static void suggest_init(Suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->dist = 3;
}

static void suggest_try(Suggest *s, const char *cand)
{
    size_t d = edit_distance(s->word, cand);
    if (d < s->dist && d < strlen(cand)) {
        s->best = cand;
        s->dist = d;
    }
}

/* " (did you mean 'x'?)" or "" */
static void suggest_text(const Suggest *s, char *buf, size_t size)
{
    if (s->best != NULL) {
        snprintf(buf, size, " (did you mean '%s'?)", s->best);
    } else {
        buf[0] = '\0';
    }
}

/* Appends ", "-separated words to a fixed buffer. */
typedef struct List {
    char buf[1024];
    size_t used;
} List;

static void list_add(List *li, const char *word)
{
    if (li->used >= sizeof(li->buf)) {
        return;
    }
    int k = snprintf(li->buf + li->used, sizeof(li->buf) - li->used, "%s%s", li->used ? ", " : "",
                     word);
    if (k > 0) {
        li->used += (size_t)k;
    }
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The registry's type names, sorted. */
static void type_list(const SimConfig *c, List *li)
{
    const char **names = malloc((c->n_types ? c->n_types : 1) * sizeof(*names));
    li->used = 0;
    li->buf[0] = '\0';
    if (names == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n_types; i++) {
        names[i] = c->types[i]->name;
    }
    qsort(names, c->n_types, sizeof(*names), compare_strings);
    for (size_t i = 0; i < c->n_types; i++) {
        list_add(li, names[i]);
    }
    free(names);
}

static size_t type_index(const SimConfig *c, const char *name)
{
    for (size_t i = 0; i < c->n_types; i++) {
        if (strcmp(c->types[i]->name, name) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

static size_t param_index(const SimParamDesc *tab, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tab[i].key, key) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

static const CfgDomain *find_domain(const SimConfig *c, const char *name)
{
    for (size_t i = 0; i < c->n_domains; i++) {
        if (strcmp(c->domains[i].name, name) == 0) {
            return &c->domains[i];
        }
    }
    return NULL;
}

/* ---- typed values ---- */

static size_t param_size(SimParamType t)
{
    switch (t) {
    case SIM_PARAM_BOOL:
        return sizeof(bool);
    case SIM_PARAM_INT:
        return sizeof(int64_t);
    case SIM_PARAM_UINT:
    case SIM_PARAM_FREQ:
    case SIM_PARAM_BYTES:
        return sizeof(uint64_t);
    case SIM_PARAM_TIME:
        return sizeof(SimTime);
    case SIM_PARAM_REAL:
    case SIM_PARAM_BITRATE:
    case SIM_PARAM_LENGTH:
        return sizeof(double);
    case SIM_PARAM_ENUM:
        return sizeof(int);
    case SIM_PARAM_STRING:
    case SIM_PARAM_PATH:
        return sizeof(char *);
    case SIM_PARAM_DOMAIN:
        return sizeof(SimDomain *);
    default:
        assert(0 && "unknown parameter type");
        return 0;
    }
}

/* A parsed value of any numeric type, for range checks. */
typedef struct Num {
    int kind; /* 0 signed, 1 unsigned, 2 real */
    int64_t i;
    uint64_t u;
    double r;
} Num;

/* Parses text as a value of d's type into field (param_size(d->type) bytes). */
static bool parse_value(const SimParamDesc *d, const char *text, void *field, Num *num, char *why,
                        size_t ws)
{
    num->kind = -1;
    switch (d->type) {
    case SIM_PARAM_BOOL: {
        bool v;
        if (!sim_parse_bool(text, &v, why, ws)) {
            return false;
        }
        memcpy(field, &v, sizeof(v));
        return true;
    }
    case SIM_PARAM_INT:
        num->kind = 0;
        if (!sim_parse_int(text, &num->i, why, ws)) {
            return false;
        }
        memcpy(field, &num->i, sizeof(num->i));
        return true;
    case SIM_PARAM_UINT:
    case SIM_PARAM_TIME:
    case SIM_PARAM_FREQ:
    case SIM_PARAM_BYTES: {
        bool ok = d->type == SIM_PARAM_UINT   ? sim_parse_uint(text, &num->u, why, ws)
                  : d->type == SIM_PARAM_TIME ? sim_parse_time(text, &num->u, why, ws)
                  : d->type == SIM_PARAM_FREQ ? sim_parse_freq(text, &num->u, why, ws)
                                              : sim_parse_bytes(text, &num->u, why, ws);
        if (!ok) {
            return false;
        }
        num->kind = 1;
        memcpy(field, &num->u, sizeof(num->u));
        return true;
    }
    case SIM_PARAM_REAL:
    case SIM_PARAM_BITRATE:
    case SIM_PARAM_LENGTH: {
        bool ok = d->type == SIM_PARAM_REAL      ? sim_parse_real(text, &num->r, why, ws)
                  : d->type == SIM_PARAM_BITRATE ? sim_parse_bitrate(text, &num->r, why, ws)
                                                 : sim_parse_length(text, &num->r, why, ws);
        if (!ok) {
            return false;
        }
        num->kind = 2;
        memcpy(field, &num->r, sizeof(num->r));
        return true;
    }
    case SIM_PARAM_ENUM: {
        assert(d->choices != NULL);
        for (int i = 0; d->choices[i] != NULL; i++) {
            if (strcmp(d->choices[i], text) == 0) {
                memcpy(field, &i, sizeof(i));
                return true;
            }
        }
        List li = {.used = 0};
        li.buf[0] = '\0';
        for (int i = 0; d->choices[i] != NULL; i++) {
            list_add(&li, d->choices[i]);
        }
        /* A long list is cut at the end of `why`: the value and the first choices remain. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
        snprintf(why, ws, "'%.200s' is not one of %.700s", text, li.buf);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
        return false;
    }
    case SIM_PARAM_STRING:
    case SIM_PARAM_PATH: {
        /* Points into the tree or the table, both of which outlive the configuration's use; a
         * path is resolved by set_param, which knows the file the value was written in. */
        char *v = (char *)text;
        memcpy(field, &v, sizeof(v));
        return true;
    }
    case SIM_PARAM_DOMAIN: {
        SimDomain *v = NULL; /* resolved at build */
        memcpy(field, &v, sizeof(v));
        return true;
    }
    default:
        assert(0 && "unknown parameter type");
        return false;
    }
}

/* -1, 0, 1 */
static int num_compare(const Num *a, const Num *b)
{
    assert(a->kind == b->kind);
    switch (a->kind) {
    case 0:
        return a->i < b->i ? -1 : a->i > b->i;
    case 1:
        return a->u < b->u ? -1 : a->u > b->u;
    default:
        return a->r < b->r ? -1 : a->r > b->r;
    }
}

static bool check_range(const SimParamDesc *d, const char *text, const Num *v, char *why, size_t ws)
{
    if (v->kind < 0) {
        return true;
    }
    union {
        uint64_t u;
        int64_t i;
        double r;
        char c[16];
    } scratch;
    char bwhy[256];
    Num bound;
    if (d->min != NULL) {
        bool ok = parse_value(d, d->min, &scratch, &bound, bwhy, sizeof(bwhy));
        assert(ok && "a parameter table minimum does not parse");
        (void)ok;
        if (num_compare(v, &bound) < 0) {
            snprintf(why, ws, "%s is below the minimum %s", text, d->min);
            return false;
        }
    }
    if (d->max != NULL) {
        bool ok = parse_value(d, d->max, &scratch, &bound, bwhy, sizeof(bwhy));
        assert(ok && "a parameter table maximum does not parse");
        (void)ok;
        if (num_compare(v, &bound) > 0) {
            snprintf(why, ws, "%s is above the maximum %s", text, d->max);
            return false;
        }
    }
    return true;
}

/* Writes the table default of d; a default that does not parse or fit is a programming error. */
static void apply_default(const SimParamDesc *d, void *blob, const char **domain)
{
    char why[256];
    Num num;
    assert(d->def != NULL);
    bool ok = parse_value(d, d->def, (char *)blob + d->offset, &num, why, sizeof(why)) &&
              check_range(d, d->def, &num, why, sizeof(why));
    assert(ok && "a parameter table default does not parse or is out of range");
    (void)ok;
    if (d->type == SIM_PARAM_DOMAIN && domain != NULL) {
        *domain = d->def;
    }
}

/*
 * Sets parameter d of blob from the value node v, checking type, unit, range and, for a domain,
 * that it exists. ctx prefixes the message ("instance 'src0': ").
 */
static bool keep_extra(SimConfig *c, CfgNode *root, char *path);
static char *preset_path(const char *from_file, const char *name);

static bool set_param(Loader *l, const char *ctx, const SimParamDesc *d, const CfgNode *v,
                      void *blob, const char **domain)
{
    if (v->kind != CFG_NODE_SCALAR) {
        return fail_at(l, v, "%skey '%s': expected a single value, found %s", ctx, d->key,
                       cfg_node_what(v));
    }
    if (cfg_node_is_null(v)) {
        return fail_at(l, v, "%skey '%s': missing value", ctx, d->key);
    }
    char why[1024];
    Num num;
    if (!parse_value(d, v->text, (char *)blob + d->offset, &num, why, sizeof(why)) ||
        !check_range(d, v->text, &num, why, sizeof(why))) {
        return fail_at(l, v, "%skey '%s': %s", ctx, d->key, why);
    }
    if (d->type == SIM_PARAM_PATH && v->line != 0 && v->text[0] != '/') {
        /* Relative to the file the value is written in, like a preset. */
        char *resolved = preset_path(v->file ? v->file : l->c->path, v->text);
        if (resolved == NULL || !keep_extra(l->c, NULL, resolved)) {
            return fail_at(l, v, "out of memory");
        }
        memcpy((char *)blob + d->offset, &resolved, sizeof(resolved));
    }
    if (d->type == SIM_PARAM_DOMAIN) {
        if (find_domain(l->c, v->text) == NULL) {
            List li = {.used = 0};
            li.buf[0] = '\0';
            Suggest s;
            suggest_init(&s, v->text);
            for (size_t i = 0; i < l->c->n_domains; i++) {
                list_add(&li, l->c->domains[i].name);
                suggest_try(&s, l->c->domains[i].name);
            }
            char hint[128];
            suggest_text(&s, hint, sizeof(hint));
            return fail_at(l, v, "%skey '%s': unknown domain '%s'%s; known domains: %s", ctx,
                           d->key, v->text, hint, li.buf);
        }
        if (domain != NULL) {
            *domain = v->text;
        }
    }
    return true;
}

/* "unknown key 'x' (did you mean 'y'?)" or "unknown key 'x'; <what> keys are: a, b". extra
 * lists keys the caller handles itself ("type", "preset"), NULL-terminated, or NULL. */
static bool unknown_key(Loader *l, const char *ctx, const CfgNode *key, const SimParamDesc *tab,
                        size_t n, const char *const *extra, const char *what)
{
    return cfg_unknown_key(l->c, l->err, ctx, key, tab, n, extra, what);
}

bool cfg_unknown_key(const SimConfig *c, SimError *err, const char *ctx, const CfgNode *key,
                     const SimParamDesc *tab, size_t n, const char *const *extra, const char *what)
{
    Suggest s;
    suggest_init(&s, key->text);
    List li = {.used = 0};
    li.buf[0] = '\0';
    size_t n_extra = 0;
    for (; extra != NULL && extra[n_extra] != NULL; n_extra++) {
        suggest_try(&s, extra[n_extra]);
        list_add(&li, extra[n_extra]);
    }
    for (size_t i = 0; i < n; i++) {
        suggest_try(&s, tab[i].key);
        list_add(&li, tab[i].key);
    }
    if (s.best != NULL) {
        return cfg_error_at(c, err, key, "%sunknown key '%s' (did you mean '%s'?)", ctx, key->text,
                            s.best);
    }
    if (n == 0 && n_extra == 0) {
        return cfg_error_at(c, err, key, "%sunknown key '%s'; %s has no keys", ctx, key->text,
                            what);
    }
    return cfg_error_at(c, err, key, "%sunknown key '%s'; %s keys are: %s", ctx, key->text, what,
                        li.buf);
}

const char *cfg_closest(const char *word, const char *const *words, size_t n)
{
    Suggest s;
    suggest_init(&s, word);
    for (size_t i = 0; i < n; i++) {
        suggest_try(&s, words[i]);
    }
    return s.best;
}

static bool in_list(const char *const *list, const char *word)
{
    for (; list != NULL && *list != NULL; list++) {
        if (strcmp(*list, word) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Reads the keys of map against a table in file order. given[i] receives the value node of
 * parameter i; skip lists keys handled by the caller ("type", "preset"), NULL-terminated.
 */
static bool parse_keys(Loader *l, const char *ctx, const CfgNode *map, const SimParamDesc *tab,
                       size_t n, void *blob, const CfgNode **given, const char **domain,
                       const char *const *skip, const char *what)
{
    for (size_t k = 0; k < map->n; k++) {
        const CfgNode *key = map->pairs[k].key;
        const CfgNode *value = map->pairs[k].value;
        if (in_list(skip, key->text)) {
            continue;
        }
        size_t i = param_index(tab, n, key->text);
        if (i == SIZE_MAX) {
            return unknown_key(l, ctx, key, tab, n, skip, what);
        }
        if (!set_param(l, ctx, &tab[i], value, blob, domain ? &domain[i] : NULL)) {
            return false;
        }
        given[i] = value;
    }
    return true;
}

static bool expect_map(Loader *l, const CfgNode *v, const char *ctx, const char *expected)
{
    if (v->kind != CFG_NODE_MAP) {
        return fail_at(l, v, "%sexpected %s, found %s", ctx, expected, cfg_node_what(v));
    }
    return true;
}

/* ---- sections ---- */

static bool load_sim(Loader *l, const CfgNode *v)
{
    SimConfig *c = l->c;
    const size_t n = N_OF(sim_section_params);
    const CfgNode *given[N_OF(sim_section_params)] = {NULL};
    if (v != NULL && !cfg_node_is_null(v)) {
        if (!expect_map(l, v, "key 'sim': ", "a mapping of run options")) {
            return false;
        }
        if (!parse_keys(l, "sim: ", v, sim_section_params, n, &c->sim, given, NULL, NULL,
                        "the sim section")) {
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (given[i] == NULL) {
            apply_default(&sim_section_params[i], &c->sim, NULL);
        }
    }
    c->has_seed = given[SIM_KEY_SEED] != NULL;
    c->has_until = given[SIM_KEY_UNTIL] != NULL;
    return true;
}

static bool add_builtin_domains(SimConfig *c)
{
    c->domains = calloc(N_OF(builtin_domains), sizeof(*c->domains));
    if (c->domains == NULL) {
        return false;
    }
    for (size_t i = 0; i < N_OF(builtin_domains); i++) {
        CfgDomain *d = &c->domains[c->n_domains++];
        bool ok = sim_parse_freq(builtin_domains[i].freq, &d->hz, NULL, 0);
        assert(ok);
        (void)ok;
        d->name = builtin_domains[i].name;
        d->period = sim_period_from_freq(d->hz);
        d->phase = 0;
    }
    return true;
}

static bool load_domain(Loader *l, const CfgNode *key, const CfgNode *v)
{
    SimConfig *c = l->c;
    char ctx[256];
    snprintf(ctx, sizeof(ctx), "domain '%s': ", key->text);
    if (!cfg_valid_name(key->text)) {
        return fail_at(l, key,
                       "domain name '%s' is not valid: use letters, digits and '_', not "
                       "starting with a digit",
                       key->text);
    }
    CfgDomain *d = NULL;
    for (size_t i = 0; i < c->n_domains; i++) {
        if (strcmp(c->domains[i].name, key->text) == 0) {
            d = &c->domains[i];
        }
    }
    DomainParams p = {0, 0};
    const CfgNode *given[N_OF(domain_params)] = {NULL};
    if (v->kind == CFG_NODE_SCALAR && !cfg_node_is_null(v)) {
        /* Shorthand: `name: 100MHz` is the frequency. */
        if (!set_param(l, ctx, &domain_params[DOMAIN_KEY_FREQ], v, &p, NULL)) {
            return false;
        }
        given[DOMAIN_KEY_FREQ] = v;
    } else if (v->kind == CFG_NODE_MAP) {
        if (!parse_keys(l, ctx, v, domain_params, N_OF(domain_params), &p, given, NULL, NULL,
                        "a domain")) {
            return false;
        }
    } else {
        return fail_at(l, v,
                       "%sexpected a frequency or a mapping with 'freq' and 'phase', "
                       "found %s",
                       ctx, cfg_node_what(v));
    }
    if (given[DOMAIN_KEY_FREQ] == NULL) {
        if (d == NULL) {
            return fail_at(l, key, "%skey 'freq' is missing", ctx);
        }
        p.freq = d->hz;
    }
    SimTime period = sim_period_from_freq(p.freq);
    if (given[DOMAIN_KEY_PHASE] != NULL && p.phase >= period) {
        return fail_at(l, given[DOMAIN_KEY_PHASE],
                       "%skey 'phase': %s is not below the clock period (%llu ps)", ctx,
                       given[DOMAIN_KEY_PHASE]->text, (unsigned long long)period);
    }
    if (d == NULL) {
        CfgDomain *arr = realloc(c->domains, (c->n_domains + 1) * sizeof(*arr));
        if (arr == NULL) {
            return fail_at(l, key, "out of memory");
        }
        c->domains = arr;
        d = &c->domains[c->n_domains++];
    }
    d->name = key->text;
    d->hz = p.freq;
    d->period = period;
    d->phase = p.phase;
    d->node = key;
    return true;
}

static bool load_domains(Loader *l, const CfgNode *v)
{
    if (cfg_node_is_null(v)) {
        return true;
    }
    if (!expect_map(l, v, "key 'domains': ", "a mapping of clock domains")) {
        return false;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (!load_domain(l, v->pairs[i].key, v->pairs[i].value)) {
            return false;
        }
    }
    return true;
}

/* With a near miss the suggestion alone; else the list of types. */
static bool unknown_type(Loader *l, const char *ctx, const CfgNode *v)
{
    Suggest s;
    suggest_init(&s, v->text);
    for (size_t i = 0; i < l->c->n_types; i++) {
        suggest_try(&s, l->c->types[i]->name);
    }
    if (s.best != NULL) {
        return fail_at(l, v, "%sunknown type '%s' (did you mean '%s'?)", ctx, v->text, s.best);
    }
    List li;
    type_list(l->c, &li);
    return fail_at(l, v, "%sunknown type '%s'; known types: %s", ctx, v->text, li.buf);
}

static bool load_defaults(Loader *l, const CfgNode *v)
{
    SimConfig *c = l->c;
    if (cfg_node_is_null(v)) {
        return true;
    }
    if (!expect_map(l, v, "key 'defaults': ", "a mapping from type names to parameters")) {
        return false;
    }
    for (size_t k = 0; k < v->n; k++) {
        const CfgNode *key = v->pairs[k].key;
        const CfgNode *map = v->pairs[k].value;
        size_t t = type_index(c, key->text);
        if (t == SIZE_MAX) {
            return unknown_type(l, "defaults: ", key);
        }
        const SimModelType *type = c->types[t];
        char ctx[256];
        snprintf(ctx, sizeof(ctx), "defaults for '%s': ", type->name);
        if (cfg_node_is_null(map)) {
            continue;
        }
        if (!expect_map(l, map, ctx, "a mapping of parameters")) {
            return false;
        }
        l->def_params[t] = calloc(1, type->params_size ? type->params_size : 1);
        l->def_given[t] = calloc(type->n_params + 1, sizeof(**l->def_given));
        l->def_domain[t] = calloc(type->n_params + 1, sizeof(**l->def_domain));
        if (l->def_params[t] == NULL || l->def_given[t] == NULL || l->def_domain[t] == NULL) {
            return fail_at(l, key, "out of memory");
        }
        char what[160];
        snprintf(what, sizeof(what), "type '%s'", type->name);
        if (!parse_keys(l, ctx, map, type->params, type->n_params, l->def_params[t],
                        l->def_given[t], l->def_domain[t], NULL, what)) {
            return false;
        }
    }
    return true;
}

/* Reads a whole file of at most SIM_CONFIG_MAX_FILE_SIZE bytes into *out (malloc'd). */
static bool read_file(const char *path, char **out, size_t *out_len, SimError *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = false;
    for (;;) {
        if (len == cap) {
            if (cap >= SIM_CONFIG_MAX_FILE_SIZE) {
                sim_error_set(err, SIM_ERR_INPUT, "%s: file is too large (more than %u MiB)", path,
                              SIM_CONFIG_MAX_FILE_SIZE >> 20);
                goto done;
            }
            size_t ncap = cap ? 2 * cap : 65536;
            char *nbuf = realloc(buf, ncap + 1);
            if (nbuf == NULL) {
                sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
                goto done;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                sim_error_set(err, SIM_ERR_INPUT, "%s: cannot read: %s", path,
                              strerror(errno ? errno : EIO));
                goto done;
            }
            break;
        }
    }
    ok = true;

done:
    fclose(f);
    if (!ok) {
        free(buf);
        buf = NULL;
    }
    *out = buf;
    *out_len = len;
    return ok;
}

/* Keeps a tree (or a lone node) and the path its nodes name, for the configuration's life. */
static bool keep_extra(SimConfig *c, CfgNode *root, char *path)
{
    CfgNode **roots = realloc(c->extra_roots, (c->n_extra + 1) * sizeof(*roots));
    if (roots != NULL) {
        c->extra_roots = roots;
    }
    char **paths = realloc(c->extra_paths, (c->n_extra + 1) * sizeof(*paths));
    if (paths != NULL) {
        c->extra_paths = paths;
    }
    if (roots == NULL || paths == NULL) {
        cfg_tree_free(root);
        free(path);
        return false;
    }
    c->extra_roots[c->n_extra] = root;
    c->extra_paths[c->n_extra] = path;
    c->n_extra++;
    return true;
}

/* A preset named in `from_file` is looked up beside it (unless the name is absolute). */
static char *preset_path(const char *from_file, const char *name)
{
    const char *slash = strrchr(from_file, '/');
    size_t dir = name[0] == '/' || slash == NULL ? 0 : (size_t)(slash - from_file) + 1;
    size_t n = strlen(name);
    char *p = malloc(dir + n + 1);
    if (p != NULL) {
        memcpy(p, from_file, dir);
        memcpy(p + dir, name, n + 1);
    }
    return p;
}

/*
 * `preset: FILE`: a YAML mapping of the type's parameters (a DRAM speed grade, say), applied
 * after the defaults section and before the instance's own keys, so the instance overrides it.
 * Errors inside it name the preset file's line and column.
 */
static bool load_preset(Loader *l, const char *ctx, CfgInstance *in, const CfgNode *pv,
                        const char *what)
{
    SimConfig *c = l->c;
    if (pv->kind != CFG_NODE_SCALAR || cfg_node_is_null(pv)) {
        return fail_at(l, pv, "%skey 'preset': expected a file name, found %s", ctx,
                       cfg_node_what(pv));
    }
    char *path = preset_path(pv->file ? pv->file : c->path, pv->text);
    if (path == NULL) {
        return fail_at(l, pv, "out of memory");
    }
    char *buf = NULL;
    size_t len = 0;
    SimError ferr;
    if (!read_file(path, &buf, &len, &ferr)) {
        free(path);
        return fail_at(l, pv, "%skey 'preset': %s", ctx, ferr.msg);
    }
    CfgNode *root = NULL;
    bool parsed = cfg_tree_parse(path, buf, len, &root, l->err);
    free(buf);
    if (!keep_extra(c, root, path)) {
        return parsed ? fail_at(l, pv, "out of memory") : false;
    }
    if (!parsed) {
        return false;
    }
    if (root == NULL) {
        return fail_at(l, pv, "%skey 'preset': '%s' is empty", ctx, path);
    }
    if (root->kind != CFG_NODE_MAP) {
        return fail_at(l, root, "%spreset '%s': expected a mapping of parameters, found %s", ctx,
                       pv->text, cfg_node_what(root));
    }
    return parse_keys(l, ctx, root, in->type->params, in->type->n_params, in->params, in->given,
                      in->domain, NULL, what);
}

static CfgNode *origin_node(SimConfig *c, const char *origin, const char *text)
{
    CfgNode *n = calloc(1, sizeof(*n));
    size_t len = strlen(text);
    char *t = malloc(len + 1);
    if (n == NULL || t == NULL) {
        free(n);
        free(t);
        return NULL;
    }
    n->text = t; /* freed with the node */
    if (!keep_extra(c, n, NULL)) {
        return NULL;
    }
    memcpy(t, text, len + 1);
    n->kind = CFG_NODE_SCALAR;
    n->file = origin;
    n->line = 0;
    n->text = t;
    n->len = len;
    n->plain = true;
    return n;
}

/* Command-line overrides of this instance's parameters, after its own keys. */
static bool apply_overrides(Loader *l, const char *ctx, CfgInstance *in, const char *what)
{
    const SimModelType *type = in->type;
    for (size_t k = 0; k < l->n_overrides; k++) {
        const SimConfigOverride *ov = &l->overrides[k];
        if (strcmp(ov->instance, in->name) != 0) {
            continue;
        }
        l->override_used[k] = true;
        CfgNode *key = origin_node(l->c, ov->origin, ov->key);
        CfgNode *value = origin_node(l->c, ov->origin, ov->value);
        if (key == NULL || value == NULL) {
            return fail_at(l, in->node, "out of memory");
        }
        size_t i = param_index(type->params, type->n_params, ov->key);
        if (i == SIZE_MAX) {
            return unknown_key(l, ctx, key, type->params, type->n_params, NULL, what);
        }
        if (!set_param(l, ctx, &type->params[i], value, in->params, &in->domain[i])) {
            return false;
        }
        in->given[i] = value;
    }
    return true;
}

static bool load_instance(Loader *l, CfgInstance *in, const CfgNode *key, const CfgNode *v)
{
    SimConfig *c = l->c;
    char ctx[256];
    snprintf(ctx, sizeof(ctx), "instance '%s': ", key->text);
    in->name = key->text;
    in->node = key;
    if (!cfg_valid_name(key->text)) {
        return fail_at(l, key,
                       "instance name '%s' is not valid: use letters, digits and '_', not "
                       "starting with a digit (dots separate statistics keys)",
                       key->text);
    }
    if (!expect_map(l, v, ctx, "a mapping with 'type' and parameters")) {
        return false;
    }
    const CfgNode *tv = cfg_map_get(v, "type");
    if (tv == NULL) {
        return fail_at(l, key, "%skey 'type' is missing", ctx);
    }
    if (tv->kind != CFG_NODE_SCALAR || cfg_node_is_null(tv)) {
        return fail_at(l, tv, "%skey 'type': expected a type name, found %s", ctx,
                       cfg_node_what(tv));
    }
    size_t t = type_index(c, tv->text);
    if (t == SIZE_MAX) {
        char tctx[300];
        snprintf(tctx, sizeof(tctx), "%skey 'type': ", ctx);
        return unknown_type(l, tctx, tv);
    }
    const SimModelType *type = c->types[t];
    in->type = type;
    in->params = calloc(1, type->params_size ? type->params_size : 1);
    in->given = calloc(type->n_params + 1, sizeof(*in->given));
    in->domain = calloc(type->n_params + 1, sizeof(*in->domain));
    in->port_link = calloc(type->n_ports + 1, sizeof(*in->port_link));
    if (in->params == NULL || in->given == NULL || in->domain == NULL || in->port_link == NULL) {
        return fail_at(l, key, "out of memory");
    }
    /* Start from the defaults section, else the table default. */
    for (size_t i = 0; i < type->n_params; i++) {
        const SimParamDesc *d = &type->params[i];
        if (l->def_given[t] != NULL && l->def_given[t][i] != NULL) {
            memcpy((char *)in->params + d->offset, (char *)l->def_params[t] + d->offset,
                   param_size(d->type));
            in->given[i] = l->def_given[t][i];
            in->domain[i] = l->def_domain[t][i];
        } else if (d->def != NULL) {
            apply_default(d, in->params, &in->domain[i]);
        }
    }
    static const char *const instance_keys[] = {"type", "preset", NULL};
    char what[160];
    snprintf(what, sizeof(what), "type '%s'", type->name);
    const CfgNode *pv = cfg_map_get(v, "preset");
    if (pv != NULL && !load_preset(l, ctx, in, pv, what)) {
        return false;
    }
    if (!parse_keys(l, ctx, v, type->params, type->n_params, in->params, in->given, in->domain,
                    instance_keys, what) ||
        !apply_overrides(l, ctx, in, what)) {
        return false;
    }
    for (size_t i = 0; i < type->n_params; i++) {
        if (type->params[i].def == NULL && in->given[i] == NULL) {
            return fail_at(l, key, "%skey '%s' is required (%s)", ctx, type->params[i].key,
                           type->params[i].doc ? type->params[i].doc : "no default");
        }
    }
    if (type->check != NULL) {
        char msg[1024];
        msg[0] = '\0';
        const char *bad = type->check(in->params, msg, sizeof(msg));
        if (bad != NULL) {
            size_t i = param_index(type->params, type->n_params, bad);
            if (i == SIZE_MAX) {
                return fail_at(l, key, "%s%s", ctx, msg);
            }
            return fail_at(l, in->given[i] ? in->given[i] : key, "%skey '%s': %s", ctx, bad, msg);
        }
    }
    in->first_binding = c->n_bindings;
    c->n_bindings += type->n_ports;
    return true;
}

static int compare_by_name(const void *a, const void *b)
{
    const NameIndex *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static bool load_instances(Loader *l, const CfgNode *top, const CfgNode *v)
{
    SimConfig *c = l->c;
    if (v == NULL) {
        return fail_at(l, top,
                       "key 'instances' is missing: a topology needs at least one "
                       "instance");
    }
    if (cfg_node_is_null(v) || (v->kind == CFG_NODE_MAP && v->n == 0)) {
        return fail_at(l, v, "key 'instances' is empty: a topology needs at least one instance");
    }
    if (!expect_map(l, v, "key 'instances': ", "a mapping from instance names to parameters")) {
        return false;
    }
    c->instances = calloc(v->n, sizeof(*c->instances));
    l->by_name = calloc(v->n, sizeof(*l->by_name));
    if (c->instances == NULL || l->by_name == NULL) {
        return fail_at(l, v, "out of memory");
    }
    for (size_t i = 0; i < v->n; i++) {
        c->n_instances++;
        if (!load_instance(l, &c->instances[i], v->pairs[i].key, v->pairs[i].value)) {
            return false;
        }
        l->by_name[i].name = c->instances[i].name;
        l->by_name[i].index = i;
    }
    qsort(l->by_name, c->n_instances, sizeof(*l->by_name), compare_by_name);
    return true;
}

static size_t find_instance(const Loader *l, const char *name)
{
    size_t lo = 0, hi = l->c->n_instances;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int k = strcmp(l->by_name[mid].name, name);
        if (k == 0) {
            return l->by_name[mid].index;
        }
        if (k < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return SIZE_MAX;
}

/* Resolves "instance:port" of link k (1-based) for key ("from" or "to"). */
static bool resolve_endpoint(Loader *l, size_t k, const char *key, const CfgNode *v,
                             SimPortDir want, size_t *inst_out, size_t *port_out)
{
    SimConfig *c = l->c;
    char ctx[64];
    snprintf(ctx, sizeof(ctx), "link %zu: key '%s': ", k, key);
    const char *text = v->text;
    const char *colon = strchr(text, ':');
    if (colon == NULL || colon == text || colon[1] == '\0' || strchr(colon + 1, ':') != NULL ||
        (size_t)(colon - text) >= 256) {
        return fail_at(l, v, "%s'%s' is not an endpoint: write 'instance:port'", ctx, text);
    }
    char name[256];
    memcpy(name, text, (size_t)(colon - text));
    name[colon - text] = '\0';
    const char *port = colon + 1;
    size_t inst = find_instance(l, name);
    if (inst == SIZE_MAX) {
        Suggest s;
        suggest_init(&s, name);
        for (size_t i = 0; i < c->n_instances; i++) {
            suggest_try(&s, c->instances[i].name);
        }
        char hint[300];
        suggest_text(&s, hint, sizeof(hint));
        return fail_at(l, v, "%sunknown instance '%s'%s", ctx, name, hint);
    }
    const CfgInstance *in = &c->instances[inst];
    const SimModelType *type = in->type;
    size_t p = SIZE_MAX;
    for (size_t i = 0; i < type->n_ports; i++) {
        if (strcmp(type->ports[i].name, port) == 0) {
            p = i;
        }
    }
    if (p == SIZE_MAX) {
        List li = {.used = 0};
        li.buf[0] = '\0';
        Suggest s;
        suggest_init(&s, port);
        for (size_t i = 0; i < type->n_ports; i++) {
            list_add(&li, type->ports[i].name);
            suggest_try(&s, type->ports[i].name);
        }
        char hint[300];
        suggest_text(&s, hint, sizeof(hint));
        return fail_at(l, v, "%sinstance '%s' (%s) has no port '%s'%s; its ports are: %s", ctx,
                       name, type->name, port, hint, type->n_ports ? li.buf : "none");
    }
    if (type->ports[p].dir != want) {
        if (want == SIM_PORT_OUT) {
            return fail_at(l, v, "%s'%s' is an input port; 'from' must name an output port", ctx,
                           text);
        }
        return fail_at(l, v, "%s'%s' is an output port; 'to' must name an input port", ctx, text);
    }
    if (in->port_link[p] != 0) {
        const CfgLink *prev = &c->links[in->port_link[p] - 1];
        const CfgNode *pn = want == SIM_PORT_OUT ? prev->from_node : prev->to_node;
        return fail_at(l, v,
                       "%sport '%s' is already connected by link %zu '%s' (line %u, column %u)",
                       ctx, text, in->port_link[p], prev->name, pn->line, pn->col);
    }
    *inst_out = inst;
    *port_out = p;
    return true;
}

static bool load_link(Loader *l, size_t k, const CfgNode *item)
{
    SimConfig *c = l->c;
    CfgLink *ln = &c->links[k - 1];
    char ctx[64];
    snprintf(ctx, sizeof(ctx), "link %zu: ", k);
    ln->node = item;
    if (!expect_map(l, item, ctx, "a mapping with 'from' and 'to'")) {
        return false;
    }
    LinkParams p;
    memset(&p, 0, sizeof(p));
    const CfgNode *given[N_OF(link_params)] = {NULL};
    if (!parse_keys(l, ctx, item, link_params, N_OF(link_params), &p, given, NULL, NULL,
                    "a link")) {
        return false;
    }
    for (size_t i = 0; i < N_OF(link_params); i++) {
        if (given[i] != NULL) {
            continue;
        }
        if (link_params[i].def == NULL) {
            return fail_at(l, item, "%skey '%s' is missing", ctx, link_params[i].key);
        }
        apply_default(&link_params[i], &p, NULL);
    }
    ln->from_node = given[LINK_KEY_FROM];
    ln->to_node = given[LINK_KEY_TO];
    if (!resolve_endpoint(l, k, "from", ln->from_node, SIM_PORT_OUT, &ln->from, &ln->from_port)) {
        return false;
    }
    c->instances[ln->from].port_link[ln->from_port] = k;
    if (!resolve_endpoint(l, k, "to", ln->to_node, SIM_PORT_IN, &ln->to, &ln->to_port)) {
        return false;
    }
    c->instances[ln->to].port_link[ln->to_port] = k;
    ln->depth = (uint32_t)p.depth;
    ln->latency = (uint32_t)p.latency;
    ln->sync = (uint32_t)p.sync;
    size_t size = strlen(p.from) + strlen(p.to) + 5;
    ln->name = malloc(size);
    if (ln->name == NULL) {
        return fail_at(l, item, "out of memory");
    }
    snprintf(ln->name, size, "%s -> %s", p.from, p.to);
    return true;
}

static bool load_links(Loader *l, const CfgNode *v)
{
    SimConfig *c = l->c;
    if (v == NULL || cfg_node_is_null(v)) {
        return true;
    }
    if (v->kind != CFG_NODE_SEQ) {
        return fail_at(l, v, "key 'links': expected a sequence of links, found %s",
                       cfg_node_what(v));
    }
    c->links = calloc(v->n + 1, sizeof(*c->links));
    if (c->links == NULL) {
        return fail_at(l, v, "out of memory");
    }
    for (size_t i = 0; i < v->n; i++) {
        c->n_links++;
        if (!load_link(l, i + 1, v->items[i])) {
            return false;
        }
    }
    return true;
}

static bool check_open_ports(Loader *l)
{
    const SimConfig *c = l->c;
    for (size_t i = 0; i < c->n_instances; i++) {
        const CfgInstance *in = &c->instances[i];
        for (size_t p = 0; p < in->type->n_ports; p++) {
            if (!in->type->ports[p].optional && in->port_link[p] == 0) {
                return fail_at(l, in->node, "instance '%s': port '%s' is not connected", in->name,
                               in->type->ports[p].name);
            }
        }
    }
    return true;
}

/*
 * Depth-first search over instances (file order) and their outgoing links (file order); the
 * first link that reaches an instance still on the stack closes the reported cycle.
 */
static bool check_cycles(Loader *l)
{
    const SimConfig *c = l->c;
    size_t n = c->n_instances;
    bool ok = true;
    size_t *start = calloc(n + 1, sizeof(*start));
    size_t *edges = calloc(c->n_links + 1, sizeof(*edges));
    size_t *fill = calloc(n + 1, sizeof(*fill));
    unsigned char *color = calloc(n + 1, 1);
    size_t *stack = calloc(n + 1, sizeof(*stack));
    size_t *next = calloc(n + 1, sizeof(*next));
    size_t *via = calloc(n + 1, sizeof(*via));
    size_t *depth_of = calloc(n + 1, sizeof(*depth_of));
    if (!start || !edges || !fill || !color || !stack || !next || !via || !depth_of) {
        ok = fail_at(l, NULL, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < c->n_links; k++) {
        start[c->links[k].from + 1]++;
    }
    for (size_t i = 0; i < n; i++) {
        start[i + 1] += start[i];
    }
    for (size_t k = 0; k < c->n_links; k++) {
        size_t u = c->links[k].from;
        edges[start[u] + fill[u]++] = k;
    }
    for (size_t s = 0; s < n && ok; s++) {
        if (color[s] != 0) {
            continue;
        }
        size_t top = 0;
        stack[0] = s;
        next[0] = start[s];
        depth_of[s] = 0;
        color[s] = 1;
        while (ok) {
            size_t u = stack[top];
            if (next[top] == start[u + 1]) {
                color[u] = 2;
                if (top == 0) {
                    break;
                }
                top--;
                continue;
            }
            size_t k = edges[next[top]++];
            size_t v = c->links[k].to;
            if (color[v] == 0) {
                top++;
                stack[top] = v;
                next[top] = start[v];
                via[top] = k;
                depth_of[v] = top;
                color[v] = 1;
            } else if (color[v] == 1) {
                char list[SIM_ERROR_MSG_MAX];
                size_t used = 0;
                list[0] = '\0';
                for (size_t d = depth_of[v] + 1; d <= top + 1; d++) {
                    size_t e = d <= top ? via[d] : k;
                    int w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
                                     c->links[e].name);
                    if (w < 0 || (size_t)w >= sizeof(list) - used) {
                        break;
                    }
                    used += (size_t)w;
                }
                ok = fail_at(l, c->links[k].node,
                             "link %zu closes a cycle: %s; a ring of bounded FIFOs can fill up "
                             "and deadlock (set sim.allow_cycles: true if this is intended)",
                             k + 1, list);
            }
        }
    }
out:
    free(start);
    free(edges);
    free(fill);
    free(color);
    free(stack);
    free(next);
    free(via);
    free(depth_of);
    return ok;
}

static bool load_top(Loader *l)
{
    SimConfig *c = l->c;
    const CfgNode *root = c->root;
    if (root == NULL || cfg_node_is_null(root)) {
        return fail_at(l, NULL, "file is empty: expected a mapping with 'instances'");
    }
    if (root->kind != CFG_NODE_MAP) {
        return fail_at(l, root, "expected a mapping with 'instances' at the top level, found %s",
                       cfg_node_what(root));
    }
    for (size_t i = 0; i < root->n; i++) {
        const CfgNode *key = root->pairs[i].key;
        bool known = false;
        Suggest s;
        suggest_init(&s, key->text);
        for (size_t j = 0; j < N_OF(top_keys); j++) {
            known = known || strcmp(key->text, top_keys[j]) == 0;
            suggest_try(&s, top_keys[j]);
        }
        if (!known) {
            char hint[64];
            suggest_text(&s, hint, sizeof(hint));
            return fail_at(l, key,
                           "unknown top-level key '%s'%s; expected sim, domains, defaults, "
                           "fabric, instances or links",
                           key->text, hint);
        }
    }
    const CfgNode *v;
    if (!load_sim(l, cfg_map_get(root, "sim"))) {
        return false;
    }
    if (!add_builtin_domains(c)) {
        return fail_at(l, NULL, "out of memory");
    }
    if ((v = cfg_map_get(root, "domains")) != NULL && !load_domains(l, v)) {
        return false;
    }
    if ((v = cfg_map_get(root, "defaults")) != NULL && !load_defaults(l, v)) {
        return false;
    }
    /* The fabric section becomes plain instances and links (fabric_section.c). */
    if (!cfg_fabric_expand(c, l->err)) {
        return false;
    }
    root = c->root;
    if (!load_instances(l, root, cfg_map_get(root, "instances"))) {
        return false;
    }
    for (size_t k = 0; k < l->n_overrides; k++) {
        if (!l->override_used[k]) {
            return sim_error_set(l->err, SIM_ERR_INPUT, "%s: %s has no instance '%s'",
                                 l->overrides[k].origin, c->path, l->overrides[k].instance);
        }
    }
    if (!load_links(l, cfg_map_get(root, "links"))) {
        return false;
    }
    if (!check_open_ports(l)) {
        return false;
    }
    if (!c->sim.allow_cycles && !check_cycles(l)) {
        return false;
    }
    return cfg_check_fabric(c, l->err);
}

/* ---- public ---- */

static SimConfig *load(const char *display_name, const char *yaml, size_t len,
                       const SimModelType *const *types, size_t n_types,
                       const SimConfigOverride *overrides, size_t n_overrides, SimError *err)
{
    SimConfig *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", display_name);
        return NULL;
    }
    c->types = types;
    c->n_types = n_types;
    size_t nlen = strlen(display_name);
    c->path = malloc(nlen + 1);
    if (c->path == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", display_name);
        goto fail_config;
    }
    memcpy(c->path, display_name, nlen + 1);
    if (!cfg_tree_parse(c->path, yaml, len, &c->root, err)) {
        goto fail_config;
    }
    Loader l = {.c = c, .err = err, .overrides = overrides, .n_overrides = n_overrides};
    l.def_params = calloc(n_types + 1, sizeof(*l.def_params));
    l.def_given = calloc(n_types + 1, sizeof(*l.def_given));
    l.def_domain = calloc(n_types + 1, sizeof(*l.def_domain));
    l.override_used = calloc(n_overrides + 1, sizeof(*l.override_used));
    bool ok = l.def_params != NULL && l.def_given != NULL && l.def_domain != NULL &&
              l.override_used != NULL;
    if (!ok) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", display_name);
    } else {
        ok = load_top(&l);
    }
    for (size_t i = 0;
         i < n_types && l.def_params != NULL && l.def_given != NULL && l.def_domain != NULL; i++) {
        free(l.def_params[i]);
        free((void *)l.def_given[i]);
        free((void *)l.def_domain[i]);
    }
    free(l.def_params);
    free((void *)l.def_given);
    free((void *)l.def_domain);
    free(l.by_name);
    free(l.override_used);
    if (!ok) {
        goto fail_config;
    }
    return c;

fail_config:
    sim_config_free(c);
    return NULL;
}

SimConfig *sim_config_load_string(const char *display_name, const char *yaml, size_t len,
                                  const SimModelType *const *types, size_t n_types, SimError *err)
{
    return load(display_name, yaml, len, types, n_types, NULL, 0, err);
}

SimConfig *sim_config_load_file_ex(const char *path, const SimModelType *const *types,
                                   size_t n_types, const SimConfigOverride *overrides,
                                   size_t n_overrides, SimError *err)
{
    char *buf = NULL;
    size_t len = 0;
    if (!read_file(path, &buf, &len, err)) {
        return NULL;
    }
    SimConfig *c = load(path, buf, len, types, n_types, overrides, n_overrides, err);
    free(buf);
    return c;
}

SimConfig *sim_config_load_file(const char *path, const SimModelType *const *types, size_t n_types,
                                SimError *err)
{
    return sim_config_load_file_ex(path, types, n_types, NULL, 0, err);
}

void sim_config_free(SimConfig *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n_instances; i++) {
        free(c->instances[i].params);
        free((void *)c->instances[i].given);
        free((void *)c->instances[i].domain);
        free(c->instances[i].port_link);
    }
    free(c->instances);
    for (size_t i = 0; i < c->n_links; i++) {
        free(c->links[i].name);
    }
    free(c->links);
    free(c->domains);
    cfg_tree_free(c->root);
    for (size_t i = 0; i < c->n_extra; i++) {
        cfg_tree_free(c->extra_roots[i]);
        free(c->extra_paths[i]);
    }
    free(c->extra_roots);
    free(c->extra_paths);
    free(c->path);
    free(c);
}

void sim_config_run_options(const SimConfig *c, SimRunOptions *o)
{
    if (c->has_seed) {
        o->seed = c->sim.seed;
    }
    if (c->has_until) {
        o->until = c->sim.until;
    }
    o->watchdog = c->sim.watchdog;
}

void sim_config_pool_options(const SimConfig *c, SimPoolOptions *o)
{
    o->packets = (uint32_t)c->sim.packets;
    o->payload_blocks = (uint32_t)c->sim.payload_blocks;
    o->payload_block_size = (uint32_t)c->sim.payload_block_size;
}

const char *sim_config_path(const SimConfig *c)
{
    return c->path;
}

size_t sim_config_instance_count(const SimConfig *c)
{
    return c->n_instances;
}

bool sim_config_allows_cycles(const SimConfig *c)
{
    return c->sim.allow_cycles;
}

const SimModelType *sim_config_find_type(const SimModelType *const *types, size_t n_types,
                                         const char *name)
{
    for (size_t i = 0; i < n_types; i++) {
        if (strcmp(types[i]->name, name) == 0) {
            return types[i];
        }
    }
    return NULL;
}

const char *sim_config_instance_name(const SimConfig *c, size_t i)
{
    assert(i < c->n_instances);
    return c->instances[i].name;
}

const SimModelType *sim_config_instance_type(const SimConfig *c, size_t i)
{
    assert(i < c->n_instances);
    return c->instances[i].type;
}

const char *sim_config_instance_value(const SimConfig *c, size_t i, const char *key)
{
    assert(i < c->n_instances);
    const CfgInstance *in = &c->instances[i];
    size_t k = param_index(in->type->params, in->type->n_params, key);
    return k != SIZE_MAX && in->given[k] != NULL ? in->given[k]->text : NULL;
}

const char *sim_config_instance_where(const SimConfig *c, size_t i, unsigned *line, unsigned *col)
{
    assert(i < c->n_instances);
    const CfgNode *n = c->instances[i].node;
    *line = n->line;
    *col = n->col;
    return n->file != NULL ? n->file : c->path;
}

size_t sim_config_link_count(const SimConfig *c)
{
    return c->n_links;
}

void sim_config_link_info(const SimConfig *c, size_t i, SimConfigLinkInfo *out)
{
    assert(i < c->n_links);
    const CfgLink *ln = &c->links[i];
    out->from = ln->from;
    out->from_port = c->instances[ln->from].type->ports[ln->from_port].name;
    out->to = ln->to;
    out->to_port = c->instances[ln->to].type->ports[ln->to_port].name;
    out->depth = ln->depth;
    out->latency = ln->latency;
    out->sync = ln->sync;
    out->file = ln->node->file != NULL ? ln->node->file : c->path;
    out->line = ln->node->line;
    out->col = ln->node->col;
}
