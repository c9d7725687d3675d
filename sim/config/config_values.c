/*
 * Typed values of the configuration layer: a parameter table row and the text written for it
 * become a field of a parameter struct (type, unit, range and, for a domain, existence checked),
 * and a mapping becomes a parameter struct key by key. Uses config_diag.c only.
 */
#include "config_internal.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

size_t cfg_param_index(const SimParamDesc *tab, size_t n, const char *key)
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

size_t cfg_param_size(SimParamType t)
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
    case SIM_PARAM_OBJECT:
        return sizeof(void *);
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

/* Parses text as a value of d's type into field (cfg_param_size(d->type) bytes). */
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
        CfgList li = {.used = 0};
        li.buf[0] = '\0';
        for (int i = 0; d->choices[i] != NULL; i++) {
            cfg_list_add(&li, d->choices[i]);
        }
        /* A long list is cut at the end of `why`: the value and the first choices remain. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
        snprintf(why, ws, "'%.200s' is not one of %.700s", text, li.buf);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
        return false;
    }
    case SIM_PARAM_STRING:
    case SIM_PARAM_PATH: {
        /* Points into the tree or the table, both of which outlive the configuration's use; a
         * path is resolved by cfg_set_param, which knows the file the value was written in. */
        char *v = (char *)text;
        memcpy(field, &v, sizeof(v));
        return true;
    }
    case SIM_PARAM_DOMAIN:
    case SIM_PARAM_OBJECT: {
        void *v = NULL; /* resolved at build, from the name kept beside (CfgInstance.names) */
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
void cfg_apply_default(const SimParamDesc *d, void *blob, const char **domain)
{
    char why[256];
    Num num;
    assert(d->def != NULL);
    bool ok = parse_value(d, d->def, (char *)blob + d->offset, &num, why, sizeof(why)) &&
              check_range(d, d->def, &num, why, sizeof(why));
    assert(ok && "a parameter table default does not parse or is out of range");
    (void)ok;
    if ((d->type == SIM_PARAM_DOMAIN || d->type == SIM_PARAM_OBJECT) && domain != NULL) {
        *domain = d->def;
    }
}

/* Keeps a tree (or a lone node) and the path its nodes name, for the configuration's life. */
bool cfg_keep_extra(SimConfig *c, CfgNode *root, char *path)
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
char *cfg_path_beside(const char *from_file, const char *name)
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
 * Sets parameter d of blob from the value node v, checking type, unit, range and, for a domain,
 * that it exists. ctx prefixes the message ("instance 'src0': ").
 */
bool cfg_set_param(CfgLoader *l, const char *ctx, const SimParamDesc *d, const CfgNode *v,
                   void *blob, const char **domain)
{
    if (v->kind != CFG_NODE_SCALAR) {
        return cfg_fail(l, v, "%skey '%s': expected a single value, found %s", ctx, d->key,
                        cfg_node_what(v));
    }
    if (cfg_node_is_null(v)) {
        return cfg_fail(l, v, "%skey '%s': missing value", ctx, d->key);
    }
    char why[1024];
    Num num;
    if (!parse_value(d, v->text, (char *)blob + d->offset, &num, why, sizeof(why)) ||
        !check_range(d, v->text, &num, why, sizeof(why))) {
        return cfg_fail(l, v, "%skey '%s': %s", ctx, d->key, why);
    }
    if (d->type == SIM_PARAM_PATH && v->line != 0 && v->text[0] != '/') {
        /* Relative to the file the value is written in, like a preset. */
        char *resolved = cfg_path_beside(v->file ? v->file : l->c->path, v->text);
        if (resolved == NULL || !cfg_keep_extra(l->c, NULL, resolved)) {
            return cfg_fail(l, v, "out of memory");
        }
        memcpy((char *)blob + d->offset, &resolved, sizeof(resolved));
    }
    if (d->type == SIM_PARAM_DOMAIN) {
        if (find_domain(l->c, v->text) == NULL) {
            CfgList li = {.used = 0};
            li.buf[0] = '\0';
            CfgSuggest s;
            cfg_suggest_init(&s, v->text);
            for (size_t i = 0; i < l->c->n_domains; i++) {
                cfg_list_add(&li, l->c->domains[i].name);
                cfg_suggest_try(&s, l->c->domains[i].name);
            }
            char hint[128];
            cfg_suggest_text(&s, hint, sizeof(hint));
            return cfg_fail(l, v, "%skey '%s': unknown domain '%s'%s; known domains: %s", ctx,
                            d->key, v->text, hint, li.buf);
        }
        if (domain != NULL) {
            *domain = v->text;
        }
    }
    if (d->type == SIM_PARAM_OBJECT && domain != NULL) {
        *domain = v->text; /* an instance's name, checked once every instance is read */
    }
    return true;
}

bool cfg_in_list(const char *const *list, const char *word)
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
bool cfg_parse_keys(CfgLoader *l, const char *ctx, const CfgNode *map, const SimParamDesc *tab,
                    size_t n, void *blob, const CfgNode **given, const char **domain,
                    const char *const *skip, const char *what)
{
    for (size_t k = 0; k < map->n; k++) {
        const CfgNode *key = map->pairs[k].key;
        const CfgNode *value = map->pairs[k].value;
        if (cfg_in_list(skip, key->text)) {
            continue;
        }
        size_t i = cfg_param_index(tab, n, key->text);
        if (i == SIZE_MAX) {
            return cfg_unknown_key(l->c, l->err, ctx, key, tab, n, skip, what);
        }
        if (!cfg_set_param(l, ctx, &tab[i], value, blob, domain ? &domain[i] : NULL)) {
            return false;
        }
        given[i] = value;
    }
    return true;
}

bool cfg_expect_map(CfgLoader *l, const CfgNode *v, const char *ctx, const char *expected)
{
    if (v->kind != CFG_NODE_MAP) {
        return cfg_fail(l, v, "%sexpected %s, found %s", ctx, expected, cfg_node_what(v));
    }
    return true;
}
