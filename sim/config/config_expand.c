/*
 * System sections (system.h): each top-level key a system expander of the registry owns is
 * handed to it, in file order, and what it makes is spliced into the tree's `instances` and
 * `links` before the loader reads them. Uses config_diag.c only; knows no system by name.
 */
#include "config_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct SimExpansion {
    SimConfig *c;
    SimError *err;
    const SimSystemType *sys;
    const CfgNode *key;
    CfgNode *inst;  /* made instances */
    CfgNode *links; /* made links */
};

const CfgNode *sim_expansion_key(const SimExpansion *x)
{
    return x->key;
}

const CfgNode *sim_expansion_defaults(const SimExpansion *x)
{
    const CfgNode *v = cfg_map_get(x->c->root, "defaults");
    return v != NULL && v->kind == CFG_NODE_MAP ? v : NULL;
}

const CfgNode *sim_expansion_written(const SimExpansion *x)
{
    const CfgNode *v = cfg_map_get(x->c->root, "instances");
    return v != NULL && v->kind == CFG_NODE_MAP ? v : NULL;
}

const SimModelType *sim_expansion_find_type(const SimExpansion *x, const char *name)
{
    return sim_config_find_type(x->c->reg, name);
}

CfgNode *sim_expansion_instances(SimExpansion *x)
{
    return x->inst;
}

CfgNode *sim_expansion_links(SimExpansion *x)
{
    return x->links;
}

bool sim_expansion_fail(SimExpansion *x, const CfgNode *at, const char *fmt, ...)
{
    char msg[SIM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return cfg_error_at(x->c, x->err, at != NULL ? at : x->key, "%s: %s", x->sys->key, msg);
}

bool sim_expansion_oom(SimExpansion *x)
{
    char what[300];
    snprintf(what, sizeof(what), "the %s section", x->sys->key);
    return sim_error_oom(x->err, what);
}

bool sim_expansion_unknown_key(SimExpansion *x, const char *ctx, const CfgNode *key,
                               const SimParamDesc *tab, size_t n, const char *const *extra,
                               const char *what)
{
    char full[SIM_ERROR_MSG_MAX];
    snprintf(full, sizeof(full), "%s: %s", x->sys->key, ctx);
    return cfg_unknown_key(x->c, x->err, full, key, tab, n, extra, what);
}

const SimSystemType *cfg_find_system(const SimConfig *c, const char *key)
{
    for (size_t i = 0; i < c->reg->n_systems; i++) {
        if (strcmp(c->reg->systems[i]->key, key) == 0) {
            return c->reg->systems[i];
        }
    }
    return NULL;
}

static size_t pair_index(const CfgNode *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->pairs[i].key->text, key) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* Where the made entries of the sections expanded so far went, per target section. */
typedef struct SpliceState {
    bool written;  /* the file wrote the target section itself */
    size_t before; /* made entries put before the written ones so far */
} SpliceState;

/*
 * The made entries go where the section's key stands relative to `instances` (and `links`):
 * before the written ones if it comes first (after those of earlier sections), else after them.
 * A target section that is absent or empty is made; one of the wrong kind is left for the
 * loader to report.
 */
static bool splice(SimExpansion *x, const char *section, CfgNode **made, SpliceState *st)
{
    CfgNode *root = x->c->root;
    if ((*made)->n == 0) {
        return true;
    }
    size_t ki = pair_index(root, x->key->text);
    size_t si = pair_index(root, section);
    if (si == SIZE_MAX) {
        CfgNode *key = cfg_scalar_new(x->key, x->key->file, section);
        const CfgNode *dup;
        if (key == NULL || !cfg_map_add(root, key, *made, &dup)) {
            cfg_tree_free(key);
            return sim_expansion_oom(x);
        }
        *made = NULL;
        return true;
    }
    CfgNode *w = root->pairs[si].value;
    size_t n = (*made)->n;
    bool front = st->written && ki < si;
    if (cfg_node_is_null(w)) {
        cfg_tree_free(w);
        root->pairs[si].value = *made;
        st->before += front ? n : 0;
        *made = NULL;
        return true;
    }
    if (w->kind != (*made)->kind) {
        return true;
    }
    for (size_t i = 0; w->kind == CFG_NODE_MAP && i < (*made)->n; i++) {
        const CfgNode *made_key = (*made)->pairs[i].key;
        const CfgNode *there = cfg_map_find(w, made_key->text);
        if (there != NULL) {
            return sim_expansion_fail(x, made_key,
                                      "makes '%s', which is also in '%s' (line %u, column %u)",
                                      made_key->text, section, there->line, there->col);
        }
    }
    if (!cfg_node_splice(w, front ? st->before : w->n, *made)) {
        return sim_expansion_oom(x);
    }
    st->before += front ? n : 0;
    *made = NULL;
    return true;
}

static bool expand_one(SimConfig *c, SimError *err, const SimSystemType *sys, size_t at,
                       SpliceState st[2])
{
    const CfgNode *key = c->root->pairs[at].key;
    const CfgNode *section = c->root->pairs[at].value;
    if (cfg_node_is_null(section)) {
        return true; /* an empty section makes nothing */
    }
    SimExpansion x = {.c = c, .err = err, .sys = sys, .key = key};
    x.inst = cfg_node_new(CFG_NODE_MAP, key->file, key->line, key->col);
    x.links = cfg_node_new(CFG_NODE_SEQ, key->file, key->line, key->col);
    bool ok = x.inst != NULL && x.links != NULL ? sys->expand(&x, section) : sim_expansion_oom(&x);
    ok = ok && splice(&x, "instances", &x.inst, &st[0]) && splice(&x, "links", &x.links, &st[1]);
    cfg_tree_free(x.inst);
    cfg_tree_free(x.links);
    return ok;
}

bool cfg_expand_systems(SimConfig *c, SimError *err)
{
    CfgNode *root = c->root;
    if (root == NULL || root->kind != CFG_NODE_MAP) {
        return true;
    }
    /* Splicing adds keys at the end of the root (instances, links) but never before a section,
     * so the sections still ahead keep their index. */
    size_t n = root->n;
    SpliceState st[2] = {{pair_index(root, "instances") != SIZE_MAX, 0},
                         {pair_index(root, "links") != SIZE_MAX, 0}};
    for (size_t i = 0; i < n; i++) {
        const SimSystemType *sys = cfg_find_system(c, root->pairs[i].key->text);
        if (sys != NULL && !expand_one(c, err, sys, i, st)) {
            return false;
        }
    }
    return true;
}
