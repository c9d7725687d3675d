/*
 * Values given outside the file (`--set PATH=VALUE`, `--trace`): edits of the YAML tree, made
 * before the loader reads what they change, so that they are checked exactly like written
 * values and their errors name the flag. A PATH is one of
 *
 *   SECTION.KEY...      a key under a top-level section or a system section: sim.seed,
 *                       domains.lane.freq, fabric.defaults.optical.length, fabric.optical.2.ber
 *                       (a number indexes a sequence); made where missing
 *   TYPE.KEY            the `defaults` of a model type: link.mpp.rtpb_size
 *   INSTANCE.KEY        a key of an instance, written or made by a system section: mb_p0.lanes
 *
 * in that order of precedence. Paths into sections and type defaults are applied before the
 * sections are read; instance keys after the system sections have expanded, so they reach made
 * instances too. Uses config_diag.c only.
 */
#include "config_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const plain_sections[] = {"sim", "domains", "defaults", "links"};

/* A scalar (or a key) from the command line: file is the origin, line 0. */
static CfgNode *origin_scalar(SimConfig *c, const char *origin, const char *text, size_t len)
{
    CfgNode *n = cfg_node_new(CFG_NODE_SCALAR, origin, 0, 0);
    char *t = malloc(len + 1);
    if (n == NULL || t == NULL) {
        free(n);
        free(t);
        return NULL;
    }
    memcpy(t, text, len);
    t[len] = '\0';
    n->text = t;
    n->len = len;
    n->plain = true;
    (void)c;
    return n;
}

/* The path's segments (at most 16), each a NUL-terminated copy in buf. */
typedef struct Segments {
    char buf[1024];
    const char *seg[16];
    size_t n;
} Segments;

static bool split(const char *path, Segments *s)
{
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(s->buf)) {
        return false;
    }
    memcpy(s->buf, path, len + 1);
    s->n = 0;
    for (char *p = s->buf;;) {
        char *dot = strchr(p, '.');
        if (dot != NULL) {
            *dot = '\0';
        }
        if (*p == '\0' || s->n == 16) {
            return false;
        }
        s->seg[s->n++] = p;
        if (dot == NULL) {
            return true;
        }
        p = dot + 1;
    }
}

/* "ORIGIN: message" into the loader's error; returns false. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
bad(CfgLoader *l, const SimConfigOverride *ov, const char *fmt, ...)
{
    char msg[SIM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sim_error_set(l->err, SIM_ERR_INPUT, "%s: %s", ov->origin, msg);
}

/* Sets map[key] (map a mapping) to value, replacing what is there; takes value. */
static bool set_in_map(CfgLoader *l, CfgNode *map, const SimConfigOverride *ov, const char *key,
                       CfgNode *value)
{
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->pairs[i].key->text, key) == 0) {
            cfg_tree_free(map->pairs[i].value);
            map->pairs[i].value = value;
            return true;
        }
    }
    CfgNode *k = origin_scalar(l->c, ov->origin, key, strlen(key));
    const CfgNode *dup;
    if (k == NULL || !cfg_map_add(map, k, value, &dup)) {
        cfg_tree_free(k);
        cfg_tree_free(value);
        return bad(l, ov, "out of memory");
    }
    return true;
}

/* Follows seg[from..n-1] from node (a mapping), making mappings where keys are missing or
 * empty, and sets the last one to the value. */
static bool set_path(CfgLoader *l, CfgNode *node, const SimConfigOverride *ov, const Segments *s,
                     size_t from)
{
    CfgNode *value = origin_scalar(l->c, ov->origin, ov->value, strlen(ov->value));
    if (value == NULL) {
        return bad(l, ov, "out of memory");
    }
    for (size_t i = from; i < s->n; i++) {
        const char *seg = s->seg[i];
        bool last = i + 1 == s->n;
        if (node->kind == CFG_NODE_SEQ) {
            char *end;
            unsigned long k = strtoul(seg, &end, 10);
            if (*end != '\0' || seg[0] < '0' || seg[0] > '9' || k >= node->n) {
                cfg_tree_free(value);
                return bad(l, ov, "'%s' is not an index of that sequence", seg);
            }
            if (last) {
                cfg_tree_free(node->items[k]);
                node->items[k] = value;
                return true;
            }
            node = node->items[k];
            continue;
        }
        if (node->kind != CFG_NODE_MAP) {
            cfg_tree_free(value);
            return bad(l, ov, "'%s' is under a single value, not a mapping", seg);
        }
        if (last) {
            return set_in_map(l, node, ov, seg, value);
        }
        CfgNode *child = NULL;
        for (size_t j = 0; j < node->n && child == NULL; j++) {
            if (strcmp(node->pairs[j].key->text, seg) == 0) {
                if (cfg_node_is_null(node->pairs[j].value)) {
                    CfgNode *m = cfg_node_new(CFG_NODE_MAP, ov->origin, 0, 0);
                    if (m == NULL) {
                        cfg_tree_free(value);
                        return bad(l, ov, "out of memory");
                    }
                    cfg_tree_free(node->pairs[j].value);
                    node->pairs[j].value = m;
                }
                child = node->pairs[j].value;
            }
        }
        if (child == NULL) {
            CfgNode *m = cfg_node_new(CFG_NODE_MAP, ov->origin, 0, 0);
            if (m == NULL || !set_in_map(l, node, ov, seg, m)) {
                cfg_tree_free(value);
                return m == NULL ? bad(l, ov, "out of memory") : false;
            }
            child = m;
        }
        node = child;
    }
    cfg_tree_free(value);
    return bad(l, ov, "the path names no key");
}

/* The longest model type name T with path = "T.KEY" (KEY one segment), or NULL. */
static const SimModelType *type_prefix(const SimConfig *c, const char *path)
{
    const SimModelType *best = NULL;
    for (size_t i = 0; i < c->reg->n_types; i++) {
        const char *name = c->reg->types[i]->name;
        size_t n = strlen(name);
        if (strncmp(path, name, n) == 0 && path[n] == '.' && path[n + 1] != '\0' &&
            strchr(path + n + 1, '.') == NULL && (best == NULL || n > strlen(best->name))) {
            best = c->reg->types[i];
        }
    }
    return best;
}

static bool is_section(const SimConfig *c, const char *seg)
{
    for (size_t i = 0; i < sizeof(plain_sections) / sizeof(plain_sections[0]); i++) {
        if (strcmp(seg, plain_sections[i]) == 0) {
            return true;
        }
    }
    return cfg_find_system(c, seg) != NULL;
}

bool cfg_apply_overrides(CfgLoader *l, bool instances)
{
    SimConfig *c = l->c;
    for (size_t k = 0; k < l->n_overrides; k++) {
        const SimConfigOverride *ov = &l->overrides[k];
        Segments s;
        if (!split(ov->path, &s) || s.n < 2) {
            if (!instances) {
                return bad(l, ov, "'%s' is not a path: write SECTION.KEY, TYPE.KEY or INSTANCE.KEY",
                           ov->path);
            }
            continue;
        }
        if (c->root == NULL || c->root->kind != CFG_NODE_MAP) {
            return true; /* the loader reports the file */
        }
        const SimModelType *type = NULL;
        bool instance_key = false;
        if (strcmp(s.seg[0], "instances") == 0) {
            instance_key = true;
        } else if (!is_section(c, s.seg[0]) && (type = type_prefix(c, ov->path)) == NULL) {
            instance_key = true;
            if (s.n != 2) {
                if (!instances) {
                    return bad(l, ov,
                               "'%s' names no section or model type, and an instance key is "
                               "INSTANCE.KEY",
                               ov->path);
                }
                continue;
            }
        }
        if (instance_key != instances) {
            continue;
        }
        if (instance_key) {
            /* INSTANCE.KEY, or instances.INSTANCE.KEY... */
            bool spelt = strcmp(s.seg[0], "instances") == 0;
            if (spelt && s.n < 3) {
                return bad(l, ov, "'%s' names no key of an instance", ov->path);
            }
            const char *name = spelt ? s.seg[1] : s.seg[0];
            size_t from = spelt ? 2 : 1;
            CfgNode *inst = NULL;
            for (size_t i = 0; i < c->root->n && inst == NULL; i++) {
                if (strcmp(c->root->pairs[i].key->text, "instances") == 0 &&
                    c->root->pairs[i].value->kind == CFG_NODE_MAP) {
                    CfgNode *map = c->root->pairs[i].value;
                    for (size_t j = 0; j < map->n && inst == NULL; j++) {
                        inst =
                            strcmp(map->pairs[j].key->text, name) == 0 ? map->pairs[j].value : NULL;
                    }
                }
            }
            if (inst == NULL) {
                return sim_error_set(l->err, SIM_ERR_INPUT, "%s: %s has no instance '%s'",
                                     ov->origin, c->path, name);
            }
            if (!set_path(l, inst, ov, &s, from)) {
                return false;
            }
            continue;
        }
        if (type != NULL) {
            /* defaults.TYPE.KEY: TYPE has dots of its own. */
            Segments t = {.n = 3};
            snprintf(t.buf, sizeof(t.buf), "%s", type->name);
            t.seg[0] = "defaults";
            t.seg[1] = t.buf;
            t.seg[2] = s.seg[s.n - 1];
            if (!set_path(l, c->root, ov, &t, 0)) {
                return false;
            }
            continue;
        }
        if (!set_path(l, c->root, ov, &s, 0)) {
            return false;
        }
    }
    return true;
}
