/*
 * Topology loader: YAML tree -> checked graph (docs/config.md describes the format). The top of
 * sim/config: it drives the diagnostics, values, graph, system expansion and fabric checks,
 * none of which calls back into it.
 *
 * Validation order, which fixes which error is reported when there are several (only the first
 * is): the text (NUL bytes, UTF-8), YAML syntax, anchors, tags and duplicate keys, all in file
 * order; then the top-level keys in file order; then the sections in the order sim, domains,
 * defaults, the system sections in file order (each its own structure, checked by its expander,
 * which then stands expanded in instances and links), instances, links (each in file order, keys
 * of one entry in file order, then its missing required keys, then the type's check); then the
 * objects instances name (instance order, then table order); then ports left open (instance
 * order, then port table order); then cycles; then the fabric checks (fabric_check.c).
 */
#include "config_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#include "../core/util.h"

/* ---- the fixed tables: sim section, domains ---- */

static const SimParamDesc sim_section_params[] = {
    {"seed", SIM_PARAM_UINT, offsetof(CfgSimSection, seed), "1", NULL, NULL, NULL,
     "run seed; every component's random stream derives from it and its name"},
    {"until", SIM_PARAM_TIME, offsetof(CfgSimSection, until), "0", NULL, NULL, NULL,
     "stop at this simulated time (default: run until drained)"},
    {"watchdog", SIM_PARAM_TIME, offsetof(CfgSimSection, watchdog), "1ms", "1ps", NULL, NULL,
     "fail when no work is delivered for this long while requests are outstanding"},
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
    {"max_adapters", SIM_PARAM_UINT, offsetof(CfgSimSection, max_adapters), "256", "1", "256", NULL,
     "fabric checks: adapters whose requests reach one memory (src is 8 bits)"},
};

/* For the schema (schema.c). */
const SimParamDesc *const cfg_sim_section_params = sim_section_params;
const size_t cfg_sim_section_n_params = N_OF(sim_section_params);

enum {
    SIM_KEY_SEED = 0,
    SIM_KEY_UNTIL = 1
};

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

const SimParamDesc *const cfg_domain_params = domain_params;
const size_t cfg_domain_n_params = N_OF(domain_params);

enum {
    DOMAIN_KEY_FREQ = 0,
    DOMAIN_KEY_PHASE = 1
};

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

/* The top-level keys of the loader's own; the registry's system sections stand between defaults
 * and instances in messages. */
static const char *const top_keys[] = {"sim", "domains", "defaults", "instances", "links"};

/* The registry's type names, sorted. */
static void type_list(const SimConfig *c, CfgList *li)
{
    const SimRegistry *reg = c->reg;
    const char **names = malloc((reg->n_types ? reg->n_types : 1) * sizeof(*names));
    li->used = 0;
    li->buf[0] = '\0';
    if (names == NULL) {
        return;
    }
    for (size_t i = 0; i < reg->n_types; i++) {
        names[i] = reg->types[i]->name;
    }
    qsort(names, reg->n_types, sizeof(*names), cfg_compare_strings);
    for (size_t i = 0; i < reg->n_types; i++) {
        cfg_list_add(li, names[i]);
    }
    free(names);
}

static size_t type_index(const SimConfig *c, const char *name)
{
    for (size_t i = 0; i < c->reg->n_types; i++) {
        if (strcmp(c->reg->types[i]->name, name) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* ---- sections ---- */

static bool load_sim(CfgLoader *l, const CfgNode *v)
{
    SimConfig *c = l->c;
    const size_t n = N_OF(sim_section_params);
    const CfgNode *given[N_OF(sim_section_params)] = {NULL};
    if (v != NULL && !cfg_node_is_null(v)) {
        if (!cfg_expect_map(l, v, "key 'sim': ", "a mapping of run options")) {
            return false;
        }
        if (!cfg_parse_keys(l, "sim: ", v, sim_section_params, n, &c->sim, given, NULL, NULL,
                            "the sim section")) {
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (given[i] == NULL) {
            cfg_apply_default(&sim_section_params[i], &c->sim, NULL);
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

static bool load_domain(CfgLoader *l, const CfgNode *key, const CfgNode *v)
{
    SimConfig *c = l->c;
    char ctx[256];
    snprintf(ctx, sizeof(ctx), "domain '%s': ", key->text);
    if (!sim_valid_name(key->text)) {
        return cfg_fail(l, key,
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
        if (!cfg_set_param(l, ctx, &domain_params[DOMAIN_KEY_FREQ], v, &p, NULL)) {
            return false;
        }
        given[DOMAIN_KEY_FREQ] = v;
    } else if (v->kind == CFG_NODE_MAP) {
        if (!cfg_parse_keys(l, ctx, v, domain_params, N_OF(domain_params), &p, given, NULL, NULL,
                            "a domain")) {
            return false;
        }
    } else {
        return cfg_fail(l, v,
                        "%sexpected a frequency or a mapping with 'freq' and 'phase', "
                        "found %s",
                        ctx, cfg_node_what(v));
    }
    if (given[DOMAIN_KEY_FREQ] == NULL) {
        if (d == NULL) {
            return cfg_fail(l, key, "%skey 'freq' is missing", ctx);
        }
        p.freq = d->hz;
    }
    SimTime period = sim_period_from_freq(p.freq);
    if (given[DOMAIN_KEY_PHASE] != NULL && p.phase >= period) {
        return cfg_fail(l, given[DOMAIN_KEY_PHASE],
                        "%skey 'phase': %s is not below the clock period (%llu ps)", ctx,
                        given[DOMAIN_KEY_PHASE]->text, (unsigned long long)period);
    }
    if (d == NULL) {
        CfgDomain *arr = realloc(c->domains, (c->n_domains + 1) * sizeof(*arr));
        if (arr == NULL) {
            return cfg_fail(l, key, "out of memory");
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

static bool load_domains(CfgLoader *l, const CfgNode *v)
{
    if (cfg_node_is_null(v)) {
        return true;
    }
    if (!cfg_expect_map(l, v, "key 'domains': ", "a mapping of clock domains")) {
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
static bool unknown_type(CfgLoader *l, const char *ctx, const CfgNode *v)
{
    CfgSuggest s;
    cfg_suggest_init(&s, v->text);
    for (size_t i = 0; i < l->c->reg->n_types; i++) {
        cfg_suggest_try(&s, l->c->reg->types[i]->name);
    }
    if (s.best != NULL) {
        return cfg_fail(l, v, "%sunknown type '%s' (did you mean '%s'?)", ctx, v->text, s.best);
    }
    CfgList li;
    type_list(l->c, &li);
    return cfg_fail(l, v, "%sunknown type '%s'; known types: %s", ctx, v->text, li.buf);
}

static bool load_defaults(CfgLoader *l, const CfgNode *v)
{
    SimConfig *c = l->c;
    if (cfg_node_is_null(v)) {
        return true;
    }
    if (!cfg_expect_map(l, v, "key 'defaults': ", "a mapping from type names to parameters")) {
        return false;
    }
    for (size_t k = 0; k < v->n; k++) {
        const CfgNode *key = v->pairs[k].key;
        const CfgNode *map = v->pairs[k].value;
        size_t t = type_index(c, key->text);
        if (t == SIZE_MAX) {
            return unknown_type(l, "defaults: ", key);
        }
        const SimModelType *type = c->reg->types[t];
        char ctx[256];
        snprintf(ctx, sizeof(ctx), "defaults for '%s': ", type->name);
        if (cfg_node_is_null(map)) {
            continue;
        }
        if (!cfg_expect_map(l, map, ctx, "a mapping of parameters")) {
            return false;
        }
        l->def_params[t] = calloc(1, type->params_size ? type->params_size : 1);
        l->def_given[t] = calloc(type->n_params + 1, sizeof(**l->def_given));
        l->def_domain[t] = calloc(type->n_params + 1, sizeof(**l->def_domain));
        if (l->def_params[t] == NULL || l->def_given[t] == NULL || l->def_domain[t] == NULL) {
            return cfg_fail(l, key, "out of memory");
        }
        char what[160];
        snprintf(what, sizeof(what), "type '%s'", type->name);
        if (!cfg_parse_keys(l, ctx, map, type->params, type->n_params, l->def_params[t],
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

/*
 * `preset: FILE`: a YAML mapping of the type's parameters (a DRAM speed grade, say), applied
 * after the defaults section and before the instance's own keys, so the instance overrides it.
 * Errors inside it name the preset file's line and column.
 */
static bool load_preset(CfgLoader *l, const char *ctx, CfgInstance *in, const CfgNode *pv,
                        const char *what)
{
    SimConfig *c = l->c;
    if (pv->kind != CFG_NODE_SCALAR || cfg_node_is_null(pv)) {
        return cfg_fail(l, pv, "%skey 'preset': expected a file name, found %s", ctx,
                        cfg_node_what(pv));
    }
    char *path = cfg_path_beside(pv->file ? pv->file : c->path, pv->text);
    if (path == NULL) {
        return cfg_fail(l, pv, "out of memory");
    }
    char *buf = NULL;
    size_t len = 0;
    SimError ferr;
    if (!read_file(path, &buf, &len, &ferr)) {
        free(path);
        return cfg_fail(l, pv, "%skey 'preset': %s", ctx, ferr.msg);
    }
    CfgNode *root = NULL;
    bool parsed = cfg_tree_parse(path, buf, len, &root, l->err);
    free(buf);
    if (!cfg_keep_extra(c, root, path)) {
        return parsed ? cfg_fail(l, pv, "out of memory") : false;
    }
    if (!parsed) {
        return false;
    }
    if (root == NULL) {
        return cfg_fail(l, pv, "%skey 'preset': '%s' is empty", ctx, path);
    }
    if (root->kind != CFG_NODE_MAP) {
        return cfg_fail(l, root, "%spreset '%s': expected a mapping of parameters, found %s", ctx,
                        pv->text, cfg_node_what(root));
    }
    return cfg_parse_keys(l, ctx, root, in->type->params, in->type->n_params, in->params, in->given,
                          in->domain, NULL, what);
}

static bool load_instance(CfgLoader *l, CfgInstance *in, const CfgNode *key, const CfgNode *v)
{
    SimConfig *c = l->c;
    char ctx[256];
    snprintf(ctx, sizeof(ctx), "instance '%s': ", key->text);
    in->name = key->text;
    in->node = key;
    if (!sim_valid_name(key->text)) {
        return cfg_fail(l, key,
                        "instance name '%s' is not valid: use letters, digits and '_', not "
                        "starting with a digit (dots separate statistics keys)",
                        key->text);
    }
    if (!cfg_expect_map(l, v, ctx, "a mapping with 'type' and parameters")) {
        return false;
    }
    const CfgNode *tv = cfg_map_get(v, "type");
    if (tv == NULL) {
        return cfg_fail(l, key, "%skey 'type' is missing", ctx);
    }
    if (tv->kind != CFG_NODE_SCALAR || cfg_node_is_null(tv)) {
        return cfg_fail(l, tv, "%skey 'type': expected a type name, found %s", ctx,
                        cfg_node_what(tv));
    }
    size_t t = type_index(c, tv->text);
    if (t == SIZE_MAX) {
        char tctx[300];
        snprintf(tctx, sizeof(tctx), "%skey 'type': ", ctx);
        return unknown_type(l, tctx, tv);
    }
    const SimModelType *type = c->reg->types[t];
    in->type = type;
    in->params = calloc(1, type->params_size ? type->params_size : 1);
    in->given = calloc(type->n_params + 1, sizeof(*in->given));
    in->domain = calloc(type->n_params + 1, sizeof(*in->domain));
    in->port_link = calloc(type->n_ports + 1, sizeof(*in->port_link));
    if (in->params == NULL || in->given == NULL || in->domain == NULL || in->port_link == NULL) {
        return cfg_fail(l, key, "out of memory");
    }
    /* Start from the defaults section, else the table default. */
    for (size_t i = 0; i < type->n_params; i++) {
        const SimParamDesc *d = &type->params[i];
        if (l->def_given[t] != NULL && l->def_given[t][i] != NULL) {
            memcpy((char *)in->params + d->offset, (char *)l->def_params[t] + d->offset,
                   cfg_param_size(d->type));
            in->given[i] = l->def_given[t][i];
            in->domain[i] = l->def_domain[t][i];
        } else if (d->def != NULL) {
            cfg_apply_default(d, in->params, &in->domain[i]);
        }
    }
    static const char *const instance_keys[] = {"type", "preset", NULL};
    char what[160];
    snprintf(what, sizeof(what), "type '%s'", type->name);
    const CfgNode *pv = cfg_map_get(v, "preset");
    if (pv != NULL && !load_preset(l, ctx, in, pv, what)) {
        return false;
    }
    if (!cfg_parse_keys(l, ctx, v, type->params, type->n_params, in->params, in->given, in->domain,
                        instance_keys, what)) {
        return false;
    }
    for (size_t i = 0; i < type->n_params; i++) {
        if (type->params[i].def == NULL && in->given[i] == NULL) {
            return cfg_fail(l, key, "%skey '%s' is required (%s)", ctx, type->params[i].key,
                            type->params[i].doc ? type->params[i].doc : "no default");
        }
    }
    if (type->check != NULL) {
        char msg[1024];
        msg[0] = '\0';
        const char *bad = type->check(in->params, msg, sizeof(msg));
        if (bad != NULL) {
            size_t i = cfg_param_index(type->params, type->n_params, bad);
            if (i == SIZE_MAX) {
                return cfg_fail(l, key, "%s%s", ctx, msg);
            }
            return cfg_fail(l, in->given[i] ? in->given[i] : key, "%skey '%s': %s", ctx, bad, msg);
        }
    }
    in->first_binding = c->n_bindings;
    c->n_bindings += type->n_ports;
    return true;
}

static int compare_by_name(const void *a, const void *b)
{
    const CfgNameIndex *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static bool load_instances(CfgLoader *l, const CfgNode *top, const CfgNode *v)
{
    SimConfig *c = l->c;
    if (v == NULL) {
        return cfg_fail(l, top,
                        "key 'instances' is missing: a topology needs at least one "
                        "instance");
    }
    if (cfg_node_is_null(v) || (v->kind == CFG_NODE_MAP && v->n == 0)) {
        return cfg_fail(l, v, "key 'instances' is empty: a topology needs at least one instance");
    }
    if (!cfg_expect_map(l, v, "key 'instances': ", "a mapping from instance names to parameters")) {
        return false;
    }
    c->instances = calloc(v->n, sizeof(*c->instances));
    l->by_name = calloc(v->n, sizeof(*l->by_name));
    if (c->instances == NULL || l->by_name == NULL) {
        return cfg_fail(l, v, "out of memory");
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

static bool load_top(CfgLoader *l)
{
    SimConfig *c = l->c;
    const CfgNode *root = c->root;
    if (root == NULL || cfg_node_is_null(root)) {
        return cfg_fail(l, NULL, "file is empty: expected a mapping with 'instances'");
    }
    if (root->kind != CFG_NODE_MAP) {
        return cfg_fail(l, root, "expected a mapping with 'instances' at the top level, found %s",
                        cfg_node_what(root));
    }
    for (size_t i = 0; i < root->n; i++) {
        const CfgNode *key = root->pairs[i].key;
        bool known = false;
        CfgSuggest s;
        cfg_suggest_init(&s, key->text);
        /* sim, domains, defaults, the system sections, instances or links */
        CfgList li = {.used = 0};
        li.buf[0] = '\0';
        for (size_t j = 0; j < N_OF(top_keys); j++) {
            known = known || strcmp(key->text, top_keys[j]) == 0;
            cfg_suggest_try(&s, top_keys[j]);
            if (j == 3) {
                for (size_t k = 0; k < c->reg->n_systems; k++) {
                    const char *sk = c->reg->systems[k]->key;
                    known = known || strcmp(key->text, sk) == 0;
                    cfg_suggest_try(&s, sk);
                    cfg_list_add(&li, sk);
                }
            }
            if (j + 1 < N_OF(top_keys)) {
                cfg_list_add(&li, top_keys[j]);
            }
        }
        if (!known) {
            char hint[64];
            cfg_suggest_text(&s, hint, sizeof(hint));
            return cfg_fail(l, key, "unknown top-level key '%s'%s; expected %s or %s", key->text,
                            hint, li.buf, top_keys[N_OF(top_keys) - 1]);
        }
    }
    /* Values given outside the file for sections and type defaults (config_override.c). */
    if (!cfg_apply_overrides(l, false)) {
        return false;
    }
    const CfgNode *v;
    if (!load_sim(l, cfg_map_get(root, "sim"))) {
        return false;
    }
    if (!add_builtin_domains(c)) {
        return cfg_fail(l, NULL, "out of memory");
    }
    if ((v = cfg_map_get(root, "domains")) != NULL && !load_domains(l, v)) {
        return false;
    }
    if ((v = cfg_map_get(root, "defaults")) != NULL && !load_defaults(l, v)) {
        return false;
    }
    /* System sections become plain instances and links (config_expand.c); then the values
     * given for instances outside the file (config_override.c). */
    if (!cfg_expand_systems(c, l->err) || !cfg_apply_overrides(l, true)) {
        return false;
    }
    root = c->root;
    if (!load_instances(l, root, cfg_map_get(root, "instances"))) {
        return false;
    }
    if (!cfg_load_links(l, cfg_map_get(root, "links"))) {
        return false;
    }
    if (!cfg_check_objects(l) || !cfg_check_open_ports(l)) {
        return false;
    }
    if (!c->sim.allow_cycles && !cfg_check_cycles(l)) {
        return false;
    }
    return cfg_check_fabric(c, l->err);
}

/* ---- public ---- */

static SimConfig *load(const char *display_name, const char *yaml, size_t len,
                       const SimRegistry *reg, const SimConfigOverride *overrides,
                       size_t n_overrides, SimError *err)
{
    SimConfig *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", display_name);
        return NULL;
    }
    c->reg = reg;
    const size_t n_types = reg->n_types;
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
    CfgLoader l = {.c = c, .err = err, .overrides = overrides, .n_overrides = n_overrides};
    l.def_params = calloc(n_types + 1, sizeof(*l.def_params));
    l.def_given = calloc(n_types + 1, sizeof(*l.def_given));
    l.def_domain = calloc(n_types + 1, sizeof(*l.def_domain));
    bool ok = l.def_params != NULL && l.def_given != NULL && l.def_domain != NULL;
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
    if (!ok) {
        goto fail_config;
    }
    return c;

fail_config:
    sim_config_free(c);
    return NULL;
}

SimConfig *sim_config_load_string(const char *display_name, const char *yaml, size_t len,
                                  const SimRegistry *reg, SimError *err)
{
    return load(display_name, yaml, len, reg, NULL, 0, err);
}

SimConfig *sim_config_load_file_ex(const char *path, const SimRegistry *reg,
                                   const SimConfigOverride *overrides, size_t n_overrides,
                                   SimError *err)
{
    char *buf = NULL;
    size_t len = 0;
    if (!read_file(path, &buf, &len, err)) {
        return NULL;
    }
    SimConfig *c = load(path, buf, len, reg, overrides, n_overrides, err);
    free(buf);
    return c;
}

SimConfig *sim_config_load_file(const char *path, const SimRegistry *reg, SimError *err)
{
    return sim_config_load_file_ex(path, reg, NULL, 0, err);
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

const SimModelType *sim_config_find_type(const SimRegistry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n_types; i++) {
        if (strcmp(reg->types[i]->name, name) == 0) {
            return reg->types[i];
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
    size_t k = cfg_param_index(in->type->params, in->type->n_params, key);
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
