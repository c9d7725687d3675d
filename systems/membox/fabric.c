/*
 * The `fabric:` section (docs/config.md, "Fabric section"), the MemBox fabric's system expander
 * (sim/config/system.h): MemBoxes, repeaters, nodes and the optical cables between them,
 * expanded into plain entries of `instances` and `links` before the loader reads those. After the
 * expansion nothing tells the made entries from written ones, so every check of the loader
 * applies to them unchanged.
 *
 * This is a macro over the tree, not a model: it names model types and ports as text
 * (dram.arbiter, link.spp, req16, ...), and everything it makes is checked afterwards against
 * the registry like a written entry. It
 * checks itself only what the plain form cannot say: the shape of the section, what each
 * endpoint names, ports within `ports` / `downs`, a port or a node used twice, and names made
 * twice. Every node it makes carries the mark of the fabric entry it came from, and values copied
 * from the section keep their own, so a later error (an unknown key, a value out of range, a loop
 * of requests) points into the section.
 *
 * What is made, and in which order: the tree order of gen-fabric.py, so that a fabric section
 * and the generated file it stands for build the same instances in the same order and their
 * statistics read the same. Per MemBox (section order): its host node, its arbiter and DDR3
 * controller, then per port in use, in index order, the port's SPP and what hangs below it: a
 * node (workload, root complex, PCIe link, adapter, MPP, then the cable) or a repeater (switch,
 * up MPP, up cable, its host node, then its used down ports the same way). Repeaters that no
 * MemBox reaches (a loop) come last, in section order, so that the fabric checks can report
 * them. Cables are named by their position in `optical`, whatever the order they are made in.
 */
#include "membox.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/config/config.h"
#include "sim/config/schema.h"
#include "sim/config/units.h"
#include "sim/core/util.h"

/* The longest element name: the names made from it must stay short enough for an endpoint. */
#define FAB_NAME_MAX 200
/* Room for a made name: element name, '_', a part name and a port number. */
#define FAB_MADE_MAX (FAB_NAME_MAX + 32)
/* p<i> of a MemBox: the arbiter has 17 ports at most; d<i> of a repeater: downs is 8 at most. */
#define FAB_PORTS_MAX    17
#define FAB_MEMBOX_PORTS "4"

typedef enum FabKind {
    FAB_MEMBOX = 0,
    FAB_REPEATER,
    FAB_NODE,
    FAB_KIND_MAX
} FabKind;

static const char *const kind_name[FAB_KIND_MAX] = {"MemBox", "repeater", "node"};
static const char *const kind_section[FAB_KIND_MAX] = {"memboxes", "repeaters", "nodes"};
static const char *const fabric_keys[] = {"defaults", "memboxes", "repeaters",
                                          "nodes",    "optical",  "workload"};
static const char *const default_kinds[] = {"node", "repeater", "optical"};

/*
 * Parts: sub-maps of an element, each handed to one of the instances it makes, whose type the
 * fabric section sets (so a part has no `type`; NULL: the workload, which names its own).
 */
#define PART_MAX 7
typedef struct FabPart {
    const char *key;
    const char *type;
    bool lanes_on_link; /* an end of an optical link: lanes are the link's */
} FabPart;

static const FabPart kind_parts[FAB_KIND_MAX][PART_MAX] = {
    {{"dram", "dram.ctrl", false}, {"arbiter", "dram.arbiter", false}, {"port", "link.spp", true}},
    {{"up", "link.mpp", true}, {"down", "link.spp", true}},
    {{"workload", NULL, false},
     {"adapter", "pcie.adapter", false},
     {"mpp", "link.mpp", true},
     {"rc", "pcie.rc", false},
     {"pcie", "pcie.link", false},
     {"memory", "host.memory", false},
     {"expether", "expether.link", false}},
};

static const size_t kind_n_parts[FAB_KIND_MAX] = {3, 2, 7};

enum {
    MB_DRAM = 0,
    MB_ARBITER,
    MB_PORT
};
enum {
    REP_UP = 0,
    REP_DOWN
};
enum {
    NODE_WORKLOAD = 0,
    NODE_ADAPTER,
    NODE_MPP,
    NODE_RC,
    NODE_PCIE,
    NODE_MEMORY,
    NODE_EXPETHER
};

/* Keys of an element: its own, its parts, then (repeater) the switch's parameters. */
static const char *const membox_keys[] = {"ports", "host", "dram", "arbiter", "port", NULL};
static const char *const repeater_keys[] = {"host", "up", "down", NULL};
static const char *const node_keys[] = {"workload", "adapter", "mpp",      "rc",
                                        "pcie",     "memory",  "expether", NULL};
static const char *const optical_keys[] = {"from", "to", "lanes", NULL};
static const char *const repeater_default_keys[] = {"up", "down", NULL};
static const char *const optical_default_keys[] = {"lanes", NULL};

typedef struct FabElem {
    FabKind kind;
    const CfgNode *key; /* its name in its section */
    const CfgNode *map; /* its mapping; NULL when written empty */
    const CfgNode *part[PART_MAX];
    size_t index;          /* node: its position in `nodes`, the default src */
    const CfgNode *host_v; /* MemBox, repeater: the `host` value; NULL without */
    size_t host;           /* that node; SIZE_MAX without */
    size_t host_of;        /* node: the MemBox or repeater it is the host of; SIZE_MAX */
    size_t link;           /* node: its optical link; repeater: the one from its up port */
    uint64_t n_ports;      /* MemBox: ports; repeater: downs; the bound of p<i> / d<i> */
    uint64_t arb_ports;    /* MemBox: the arbiter's ports; the host is on the last */
    bool cut_through;      /* repeater: its mode is cut_through */
    bool downs_known;      /* repeater: n_ports is its downs (not a stand-in for a bad value) */
    size_t port_link[FAB_PORTS_MAX]; /* p<i> / d<i>: the optical link on it; SIZE_MAX */
    size_t worker;                   /* node: its position among the workload's nodes; SIZE_MAX */
    bool emitted;
} FabElem;

typedef struct FabLink {
    const CfgNode *item;
    const CfgNode *from_v;
    const CfgNode *to_v;
    const CfgNode *lanes; /* its own or the defaults' lanes value; NULL */
    size_t from;          /* a node, or the repeater whose up port it names */
    size_t to;            /* the MemBox or repeater of the SPP end */
    size_t port;          /* p<i> / d<i> of `to` */
} FabLink;

typedef struct FabName {
    const char *name;
    size_t index;
} FabName;

typedef struct Fx {
    SimExpansion *xp;
    const char *file;
    const CfgNode *fabric_key;
    const CfgNode *top_defaults; /* the root's `defaults` mapping; NULL */
    const CfgNode *def_node;     /* fabric defaults, each a mapping or NULL */
    const CfgNode *def_rep;
    const CfgNode *def_rep_part[2]; /* up, down */
    const CfgNode *def_opt;
    const CfgNode *workload; /* the section's `workload` mapping; NULL */
    const CfgNode *wl_type;  /* its `type` */
    size_t n_workers;        /* nodes replaying it */
    size_t *workers;         /* those nodes, in worker order */
    FabElem *el;
    size_t n_el;
    FabName *by_name; /* the elements sorted by name */
    FabLink *ln;
    size_t n_ln;
    const CfgNode *written; /* the written `instances` mapping; NULL */
    CfgNode *inst;          /* made instances and links (the expansion's), spliced into the tree
                               by the loader */
    CfgNode *links;
    size_t *owner; /* per made instance: element index, or n_el + link index */
    size_t owner_cap;
} Fx;

/* ---- small helpers ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
fail(Fx *x, const CfgNode *at, const char *fmt, ...)
{
    char msg[SIM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sim_expansion_fail(x->xp, at, "%s", msg);
}

static bool oom(Fx *x, const CfgNode *at)
{
    (void)at;
    return sim_expansion_oom(x->xp);
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

/* The value of key in map, where map may be NULL or not a mapping. */
static const CfgNode *get(const CfgNode *map, const char *key)
{
    return map != NULL && map->kind == CFG_NODE_MAP ? cfg_map_get(map, key) : NULL;
}

static bool is_text(const CfgNode *v)
{
    return v != NULL && v->kind == CFG_NODE_SCALAR && !cfg_node_is_null(v);
}

/* "MemBox 'mb'" */
static void elem_what(const Fx *x, size_t e, char *buf, size_t size)
{
    snprintf(buf, size, "%s '%s'", kind_name[x->el[e].kind], x->el[e].key->text);
}

/* "MemBox 'mb': " */
static void elem_ctx(const Fx *x, size_t e, char *buf, size_t size)
{
    snprintf(buf, size, "%s '%s': ", kind_name[x->el[e].kind], x->el[e].key->text);
}

/* "cable3 'rep0:up -> mb:p3'", with '?' for an end not written (yet). */
static void link_what(const Fx *x, size_t k, char *buf, size_t size)
{
    const FabLink *l = &x->ln[k];
    snprintf(buf, size, "cable%zu '%s -> %s'", k, is_text(l->from_v) ? l->from_v->text : "?",
             is_text(l->to_v) ? l->to_v->text : "?");
}

/* The owner of what the workload makes (the barrier). */
#define FAB_OWNER_WORKLOAD SIZE_MAX

/* Who made an instance: an element, an optical link or the workload, for the name-collision
 * message. */
static void owner_what(const Fx *x, size_t owner, char *buf, size_t size)
{
    if (owner == FAB_OWNER_WORKLOAD) {
        snprintf(buf, size, "the workload");
    } else if (owner < x->n_el) {
        elem_what(x, owner, buf, size);
    } else {
        link_what(x, owner - x->n_el, buf, size);
    }
}

static const CfgNode *owner_at(const Fx *x, size_t owner)
{
    if (owner == FAB_OWNER_WORKLOAD) {
        return x->wl_type;
    }
    return owner < x->n_el ? x->el[owner].key : x->ln[owner - x->n_el].item;
}

/* The parameter table of a type of the registry, for keys passed on to its instances. */
static const SimModelType *find_type(const Fx *x, const char *name)
{
    return sim_expansion_find_type(x->xp, name);
}

/*
 * The text an instance of `type` will have for key, from the first of: its own keys, the
 * fabric defaults, the top-level defaults of the type, the type's table default. NULL if none
 * is a plain value (an error the loader reports later at that value).
 */
static const char *effective(const Fx *x, const CfgNode *own, const CfgNode *fabric_default,
                             const char *type, const char *key)
{
    const CfgNode *v = get(own, key);
    if (v == NULL) {
        v = get(fabric_default, key);
    }
    if (v == NULL) {
        v = get(get(x->top_defaults, type), key);
    }
    if (v != NULL) {
        return v->kind == CFG_NODE_SCALAR ? v->text : NULL;
    }
    const SimModelType *t = find_type(x, type);
    for (size_t i = 0; t != NULL && i < t->n_params; i++) {
        if (strcmp(t->params[i].key, key) == 0) {
            return t->params[i].def;
        }
    }
    return NULL;
}

/* A uint written as the loader reads it; false (no error) if it does not parse. */
static bool uint_of(const char *text, uint64_t *out)
{
    char why[256];
    return text != NULL && sim_parse_uint(text, out, why, sizeof(why));
}

/* ---- reading the section ---- */

/*
 * Every key of map: one of `own` (read by the fabric section) or a parameter of `type` (passed
 * on to its instance); anything else is an unknown key, listed with both.
 */
static bool check_keys(Fx *x, const char *ctx, const CfgNode *map, const char *const *own,
                       const char *type, const char *what)
{
    const SimModelType *t = type != NULL ? find_type(x, type) : NULL;
    for (size_t i = 0; map != NULL && i < map->n; i++) {
        const CfgNode *key = map->pairs[i].key;
        bool known = in_list(own, key->text);
        for (size_t p = 0; t != NULL && p < t->n_params && !known; p++) {
            known = strcmp(t->params[p].key, key->text) == 0;
        }
        if (!known) {
            return sim_expansion_unknown_key(x->xp, ctx, key, t ? t->params : NULL,
                                             t ? t->n_params : 0, own, what);
        }
    }
    return true;
}

/* A mapping, or NULL for an empty value; anything else is an error. */
static bool map_or_empty(Fx *x, const char *ctx, const CfgNode *v, const char *expected,
                         const CfgNode **out)
{
    *out = NULL;
    if (v == NULL || cfg_node_is_null(v)) {
        return true;
    }
    if (v->kind != CFG_NODE_MAP) {
        return fail(x, v, "%sexpected %s, found %s", ctx, expected, cfg_node_what(v));
    }
    *out = v;
    return true;
}

/* A part: a mapping (or empty) without `type` and, on an optical link's end, without `lanes`. */
static bool read_part(Fx *x, const char *ctx, const CfgNode *map, const FabPart *part,
                      const CfgNode **out)
{
    *out = NULL;
    const CfgNode *v = get(map, part->key);
    if (v == NULL) {
        return true;
    }
    char pctx[FAB_MADE_MAX + 64];
    snprintf(pctx, sizeof(pctx), "%skey '%s': ", ctx, part->key);
    char expected[96];
    snprintf(expected, sizeof(expected), "a mapping of %s parameters",
             part->type != NULL ? part->type : "the workload's");
    if (!map_or_empty(x, pctx, v, expected, out)) {
        return false;
    }
    const CfgNode *t = cfg_map_find(v, "type");
    /* The MemBox's memory may instead be an external TLM-2.0 target (docs/systemc.md). */
    const CfgNode *tv = cfg_map_get(v, "type");
    bool alt = tv != NULL && tv->kind == CFG_NODE_SCALAR && tv->text != NULL &&
               part->type != NULL && strcmp(part->type, "dram.ctrl") == 0 &&
               strcmp(tv->text, "tlm.memory") == 0;
    if (part->type != NULL && *out != NULL && t != NULL && !alt) {
        if (strcmp(part->type, "dram.ctrl") == 0) {
            return fail(x, t,
                        "%skey 'type': the MemBox's memory is a dram.ctrl (leave 'type' out) "
                        "or an external TLM-2.0 target (type: tlm.memory)",
                        pctx);
        }
        return fail(x, t, "%skey 'type': the fabric section makes this a %s; leave 'type' out",
                    pctx, part->type);
    }
    const CfgNode *lanes = cfg_map_find(v, "lanes");
    if (part->lanes_on_link && *out != NULL && lanes != NULL) {
        return fail(x, lanes,
                    "%skey 'lanes': lanes belong to the optical link, whose two ends must "
                    "match: set 'lanes' on the link in 'optical' (or in defaults: optical)",
                    pctx);
    }
    return true;
}

static bool read_defaults(Fx *x, const CfgNode *v)
{
    const CfgNode *map;
    if (!map_or_empty(x, "defaults: ", v, "a mapping of node, repeater and optical defaults",
                      &map)) {
        return false;
    }
    for (size_t i = 0; map != NULL && i < map->n; i++) {
        const CfgNode *key = map->pairs[i].key;
        const CfgNode *val = map->pairs[i].value;
        char ctx[64];
        snprintf(ctx, sizeof(ctx), "defaults: key '%s': ", key->text);
        if (strcmp(key->text, "node") == 0) {
            if (!map_or_empty(x, ctx, val, "a mapping of the workload's parameters",
                              &x->def_node)) {
                return false;
            }
        } else if (strcmp(key->text, "repeater") == 0) {
            if (!map_or_empty(x, ctx, val, "a mapping of repeater.switch parameters",
                              &x->def_rep) ||
                !check_keys(x, ctx, x->def_rep, repeater_default_keys, "repeater.switch",
                            "a repeater's defaults") ||
                !read_part(x, ctx, x->def_rep, &kind_parts[FAB_REPEATER][REP_UP],
                           &x->def_rep_part[REP_UP]) ||
                !read_part(x, ctx, x->def_rep, &kind_parts[FAB_REPEATER][REP_DOWN],
                           &x->def_rep_part[REP_DOWN])) {
                return false;
            }
        } else if (strcmp(key->text, "optical") == 0) {
            if (!map_or_empty(x, ctx, val, "a mapping of link.cable parameters and lanes",
                              &x->def_opt) ||
                !check_keys(x, ctx, x->def_opt, optical_default_keys, "link.cable",
                            "an optical link's defaults")) {
                return false;
            }
        } else {
            const char *best = sim_closest_word(key->text, default_kinds, N_OF(default_kinds));
            if (best != NULL) {
                return fail(x, key, "defaults: unknown element kind '%s' (did you mean '%s'?)",
                            key->text, best);
            }
            return fail(x, key,
                        "defaults: unknown element kind '%s'; defaults are for node, repeater "
                        "and optical",
                        key->text);
        }
    }
    return true;
}

/* Collects the elements of one section (memboxes, repeaters or nodes). */
static bool collect(Fx *x, FabKind kind, const CfgNode *v, size_t *n_nodes)
{
    char ctx[64];
    snprintf(ctx, sizeof(ctx), "key '%s': ", kind_section[kind]);
    char expected[96];
    snprintf(expected, sizeof(expected), "a mapping from %s names to their keys", kind_name[kind]);
    const CfgNode *map;
    if (!map_or_empty(x, ctx, v, expected, &map)) {
        return false;
    }
    for (size_t i = 0; map != NULL && i < map->n; i++) {
        const CfgNode *key = map->pairs[i].key;
        const CfgNode *val = map->pairs[i].value;
        if (!sim_valid_name(key->text)) {
            return fail(x, key,
                        "%s name '%s' is not valid: use letters, digits and '_', not starting "
                        "with a digit",
                        kind_name[kind], key->text);
        }
        if (key->len > FAB_NAME_MAX) {
            return fail(x, key, "%s name '%.40s...' is too long (at most %d characters)",
                        kind_name[kind], key->text, FAB_NAME_MAX);
        }
        FabElem *e = &x->el[x->n_el];
        memset(e, 0, sizeof(*e));
        e->kind = kind;
        e->key = key;
        e->host = SIZE_MAX;
        e->host_of = SIZE_MAX;
        e->link = SIZE_MAX;
        e->worker = SIZE_MAX;
        for (size_t p = 0; p < FAB_PORTS_MAX; p++) {
            e->port_link[p] = SIZE_MAX;
        }
        if (kind == FAB_NODE) {
            e->index = (*n_nodes)++;
        }
        char ectx[FAB_MADE_MAX + 64];
        snprintf(ectx, sizeof(ectx), "%s '%s': ", kind_name[kind], key->text);
        snprintf(expected, sizeof(expected), "a mapping of the %s's keys", kind_name[kind]);
        if (!map_or_empty(x, ectx, val, expected, &e->map)) {
            return false;
        }
        x->n_el++;
    }
    return true;
}

/* By name, then section order, so that of two equal names the later one is reported. */
static int compare_names(const void *a, const void *b)
{
    const FabName *x = a, *y = b;
    int k = strcmp(x->name, y->name);
    return k != 0 ? k : (x->index > y->index) - (x->index < y->index);
}

static void sort_names(Fx *x)
{
    for (size_t i = 0; i < x->n_el; i++) {
        x->by_name[i].name = x->el[i].key->text;
        x->by_name[i].index = i;
    }
    qsort(x->by_name, x->n_el, sizeof(*x->by_name), compare_names);
}

/* The element called name, or SIZE_MAX. */
static size_t find_elem(const Fx *x, const char *name)
{
    size_t lo = 0, hi = x->n_el;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int k = strcmp(x->by_name[mid].name, name);
        if (k == 0) {
            return x->by_name[mid].index;
        }
        if (k < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return SIZE_MAX;
}

/* Two elements of one name in different sections: the later one is wrong. */
static bool check_unique(Fx *x)
{
    for (size_t i = 1; i < x->n_el; i++) {
        const FabElem *a = &x->el[x->by_name[i - 1].index];
        const FabElem *b = &x->el[x->by_name[i].index];
        if (strcmp(a->key->text, b->key->text) == 0) {
            return fail(x, b->key, "%s '%s': the name is also a %s's (line %u, column %u)",
                        kind_name[b->kind], b->key->text, kind_name[a->kind], a->key->line,
                        a->key->col);
        }
    }
    return true;
}

/* "'x' names nothing in the fabric section (did you mean 'y'?)" and the like. */
static bool unknown_name(Fx *x, const CfgNode *at, const char *ctx, const char *name,
                         const char *wanted)
{
    const CfgNode *w = x->written != NULL ? cfg_map_find(x->written, name) : NULL;
    if (w != NULL) {
        return fail(x, at,
                    "%s'%s' is an entry of 'instances' (line %u, column %u), not %s of the "
                    "fabric section",
                    ctx, name, w->line, w->col, wanted);
    }
    const char **names = malloc((x->n_el ? x->n_el : 1) * sizeof(*names));
    if (names == NULL) {
        return oom(x, at);
    }
    for (size_t i = 0; i < x->n_el; i++) {
        names[i] = x->el[i].key->text;
    }
    const char *best = sim_closest_word(name, names, x->n_el);
    char hint[FAB_MADE_MAX + 32] = "";
    if (best != NULL) {
        snprintf(hint, sizeof(hint), " (did you mean '%s'?)", best);
    }
    free(names);
    return fail(x, at, "%s'%s' names nothing in the fabric section%s; it must name %s", ctx, name,
                hint, wanted);
}

static bool read_host(Fx *x, size_t e, const char *ctx)
{
    FabElem *el = &x->el[e];
    const CfgNode *v = get(el->map, "host");
    if (v == NULL) {
        return true;
    }
    if (!is_text(v)) {
        return fail(x, v, "%skey 'host': expected a node's name, found %s", ctx, cfg_node_what(v));
    }
    char hctx[FAB_MADE_MAX + 64];
    snprintf(hctx, sizeof(hctx), "%skey 'host': ", ctx);
    size_t h = find_elem(x, v->text);
    if (h == SIZE_MAX) {
        return unknown_name(x, v, hctx, v->text, "a node");
    }
    if (x->el[h].kind != FAB_NODE) {
        return fail(x, v, "%s'%s' is a %s, not a node", hctx, v->text, kind_name[x->el[h].kind]);
    }
    if (x->el[h].host_of != SIZE_MAX) {
        const FabElem *o = &x->el[x->el[h].host_of];
        return fail(x, v, "%snode '%s' is already the host of %s '%s' (line %u, column %u)", hctx,
                    v->text, kind_name[o->kind], o->key->text, o->host_v->line, o->host_v->col);
    }
    el->host_v = v;
    el->host = h;
    x->el[h].host_of = e;
    return true;
}

static bool read_membox(Fx *x, size_t e)
{
    FabElem *el = &x->el[e];
    char ctx[FAB_MADE_MAX + 64];
    elem_ctx(x, e, ctx, sizeof(ctx));
    if (!check_keys(x, ctx, el->map, membox_keys, NULL, "a MemBox's")) {
        return false;
    }
    for (size_t p = 0; p < kind_n_parts[FAB_MEMBOX]; p++) {
        if (!read_part(x, ctx, el->map, &kind_parts[FAB_MEMBOX][p], &el->part[p])) {
            return false;
        }
    }
    if (!read_host(x, e, ctx)) {
        return false;
    }
    const CfgNode *pv = get(el->map, "ports");
    const char *ports = FAB_MEMBOX_PORTS;
    if (pv != NULL) {
        if (!is_text(pv)) {
            return fail(x, pv, "%skey 'ports': expected a number of optical ports, found %s", ctx,
                        cfg_node_what(pv));
        }
        ports = pv->text;
    }
    char why[256];
    if (!sim_parse_uint(ports, &el->n_ports, why, sizeof(why))) {
        return fail(x, pv, "%skey 'ports': %s", ctx, why);
    }
    if (el->n_ports < 1 || el->n_ports > FAB_PORTS_MAX) {
        return fail(x, pv, "%skey 'ports': %s is %s %d", ctx, ports,
                    el->n_ports < 1 ? "below the minimum" : "above the maximum",
                    el->n_ports < 1 ? 1 : FAB_PORTS_MAX);
    }
    /* The arbiter's port count as its instance will have it; unreadable: the loader says so. */
    if (!uint_of(effective(x, el->part[MB_ARBITER], NULL, "dram.arbiter", "ports"),
                 &el->arb_ports) ||
        el->arb_ports < 1 || el->arb_ports > FAB_PORTS_MAX) {
        el->arb_ports = FAB_PORTS_MAX;
        return true;
    }
    uint64_t need = el->n_ports + (el->host != SIZE_MAX);
    if (need > el->arb_ports) {
        return fail(x, pv != NULL ? pv : el->key,
                    "%s%llu optical port%s%s need %llu arbiter ports, and '%s_arb' has %llu "
                    "(its 'ports')",
                    ctx, (unsigned long long)el->n_ports, el->n_ports == 1 ? "" : "s",
                    el->host != SIZE_MAX ? " and the host" : "", (unsigned long long)need,
                    el->key->text, (unsigned long long)el->arb_ports);
    }
    return true;
}

static bool read_repeater(Fx *x, size_t e)
{
    FabElem *el = &x->el[e];
    char ctx[FAB_MADE_MAX + 64];
    elem_ctx(x, e, ctx, sizeof(ctx));
    if (!check_keys(x, ctx, el->map, repeater_keys, "repeater.switch", "a repeater's")) {
        return false;
    }
    for (size_t p = 0; p < kind_n_parts[FAB_REPEATER]; p++) {
        if (!read_part(x, ctx, el->map, &kind_parts[FAB_REPEATER][p], &el->part[p])) {
            return false;
        }
    }
    if (!read_host(x, e, ctx)) {
        return false;
    }
    /* downs bounds d<i>; a value that does not parse is left to the loader (8: no bound). */
    el->downs_known =
        uint_of(effective(x, el->map, x->def_rep, "repeater.switch", "downs"), &el->n_ports) &&
        el->n_ports >= 1 && el->n_ports <= 8;
    if (!el->downs_known) {
        el->n_ports = 8;
    }
    const char *mode = effective(x, el->map, x->def_rep, "repeater.switch", "mode");
    el->cut_through = mode != NULL && strcmp(mode, "cut_through") == 0;
    /* local_req/local_resp carry the host's requests: `local` follows from `host`. */
    const CfgNode *local = get(el->map, "local");
    if (local == NULL) {
        local = get(x->def_rep, "local");
    }
    if (is_text(local) && el->host != SIZE_MAX && strcmp(local->text, "false") == 0) {
        return fail(x, local,
                    "%skey 'local': false, but node '%s' is its host (line %u, column %u)", ctx,
                    el->host_v->text, el->host_v->line, el->host_v->col);
    }
    if (is_text(local) && el->host == SIZE_MAX && strcmp(local->text, "true") == 0) {
        return fail(x, local,
                    "%skey 'local': true, but the repeater has no host: name it with 'host'", ctx);
    }
    return true;
}

static bool read_node(Fx *x, size_t e)
{
    FabElem *el = &x->el[e];
    char ctx[FAB_MADE_MAX + 64];
    elem_ctx(x, e, ctx, sizeof(ctx));
    if (!check_keys(x, ctx, el->map, node_keys, NULL, "a node's")) {
        return false;
    }
    for (size_t p = 0; p < kind_n_parts[FAB_NODE]; p++) {
        if (!read_part(x, ctx, el->map, &kind_parts[FAB_NODE][p], &el->part[p])) {
            return false;
        }
    }
    return true;
}

/* "p3" -> 3 (no sign, no leading zero); false if text is not prefix + a number. */
static bool port_number(const char *text, char prefix, uint64_t *out)
{
    if (text[0] != prefix || text[1] < '0' || text[1] > '9' || (text[1] == '0' && text[2])) {
        return false;
    }
    uint64_t v = 0;
    for (const char *p = text + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > 1000) {
            return false;
        }
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return true;
}

/*
 * One end of link k: `from` names a node or a repeater's up port (the MPP end), `to` a MemBox's
 * port p<i> or a repeater's down port d<i> (the SPP end).
 */
static bool read_end(Fx *x, size_t k, bool from)
{
    FabLink *l = &x->ln[k];
    const char *key = from ? "from" : "to";
    const CfgNode *v = from ? l->from_v : l->to_v;
    char what[2 * FAB_MADE_MAX];
    link_what(x, k, what, sizeof(what));
    char ctx[3 * FAB_MADE_MAX];
    snprintf(ctx, sizeof(ctx), "%s: key '%s': ", what, key);
    const char *wanted = from ? "a node, or a repeater's up port 'rep:up'"
                              : "a MemBox's port 'mb:p<i>' or a repeater's down port 'rep:d<i>'";
    const char *text = v->text;
    const char *colon = strchr(text, ':');
    char name[FAB_MADE_MAX];
    size_t nlen = colon != NULL ? (size_t)(colon - text) : strlen(text);
    if (nlen == 0 || nlen >= sizeof(name) || (colon != NULL && strchr(colon + 1, ':'))) {
        return fail(x, v, "%s'%s' is not an endpoint: write 'name' or 'name:port'", ctx, text);
    }
    memcpy(name, text, nlen);
    name[nlen] = '\0';
    const char *port = colon != NULL ? colon + 1 : NULL;
    size_t e = find_elem(x, name);
    if (e == SIZE_MAX) {
        return unknown_name(x, v, ctx, name, wanted);
    }
    FabElem *el = &x->el[e];
    /* The wrong way round: an SPP end in `from`, an MPP end in `to`. */
    bool up = el->kind == FAB_REPEATER && port != NULL && strcmp(port, "up") == 0;
    bool mpp_end = el->kind == FAB_NODE || up;
    uint64_t i = 0;
    bool spp_end = el->kind == FAB_MEMBOX ||
                   (el->kind == FAB_REPEATER && port != NULL && port_number(port, 'd', &i));
    if (from && spp_end) {
        return fail(x, v,
                    "%s'%s' is %s, an SPP end: it belongs in 'to'; 'from' names the MPP end: %s",
                    ctx, text,
                    el->kind == FAB_REPEATER ? "a repeater's down port"
                    : port != NULL           ? "a MemBox's port"
                                             : "a MemBox",
                    wanted);
    }
    if (!from && mpp_end) {
        return fail(x, v,
                    "%s'%s' is %s, an MPP end: it belongs in 'from'; 'to' names the SPP end: %s",
                    ctx, text, up ? "a repeater's up port" : "a node", wanted);
    }
    if (el->kind == FAB_NODE) {
        if (port != NULL) {
            return fail(x, v, "%sa node is an end by itself: write '%s', not '%s'", ctx, name,
                        text);
        }
        if (el->host_of != SIZE_MAX) {
            const FabElem *h = &x->el[el->host_of];
            return fail(x, v,
                        "%snode '%s' is the host of %s '%s' (line %u, column %u): a host "
                        "reaches it over PCIe, not an optical link",
                        ctx, name, kind_name[h->kind], h->key->text, h->host_v->line,
                        h->host_v->col);
        }
        if (el->link != SIZE_MAX) {
            char first[2 * FAB_MADE_MAX];
            link_what(x, el->link, first, sizeof(first));
            const CfgNode *fv = x->ln[el->link].from_v;
            return fail(x, v,
                        "%snode '%s' is already on %s (line %u, column %u): a node has one "
                        "adapter, on one optical link",
                        ctx, name, first, fv->line, fv->col);
        }
        el->link = k;
        l->from = e;
        return true;
    }
    if (el->kind == FAB_REPEATER && up) {
        if (el->link != SIZE_MAX) {
            char first[2 * FAB_MADE_MAX];
            link_what(x, el->link, first, sizeof(first));
            const CfgNode *fv = x->ln[el->link].from_v;
            return fail(x, v, "%sport '%s' is already used by %s (line %u, column %u)", ctx, text,
                        first, fv->line, fv->col);
        }
        el->link = k;
        l->from = e;
        return true;
    }
    if (el->kind == FAB_REPEATER) {
        if (port == NULL && from) {
            return fail(x, v, "%sname the repeater's up port: '%s:up'", ctx, name);
        }
        if (port == NULL) {
            return fail(x, v, "%sname the repeater's down port: '%s:d<i>'", ctx, name);
        }
        if (!port_number(port, 'd', &i)) {
            return fail(x, v, "%srepeater '%s' has no port '%s': its ports are up and d0..d%llu",
                        ctx, name, port, (unsigned long long)el->n_ports - 1);
        }
        if (i >= el->n_ports) {
            return fail(x, v,
                        "%sport '%s' is beyond the repeater's down ports d0..d%llu (downs: "
                        "%llu)",
                        ctx, text, (unsigned long long)el->n_ports - 1,
                        (unsigned long long)el->n_ports);
        }
    } else {
        if (port == NULL) {
            return fail(x, v, "%sname the MemBox's port: '%s:p<i>'", ctx, name);
        }
        if (!port_number(port, 'p', &i)) {
            return fail(x, v, "%sMemBox '%s' has no port '%s': its ports are p0..p%llu", ctx, name,
                        port, (unsigned long long)el->n_ports - 1);
        }
        if (i >= el->n_ports) {
            return fail(x, v, "%sport '%s' is beyond the MemBox's ports p0..p%llu (ports: %llu)",
                        ctx, text, (unsigned long long)el->n_ports - 1,
                        (unsigned long long)el->n_ports);
        }
    }
    if (el->port_link[i] != SIZE_MAX) {
        char first[2 * FAB_MADE_MAX];
        link_what(x, el->port_link[i], first, sizeof(first));
        const CfgNode *tv = x->ln[el->port_link[i]].to_v;
        return fail(x, v, "%sport '%s' is already used by %s (line %u, column %u)", ctx, text,
                    first, tv->line, tv->col);
    }
    el->port_link[i] = k;
    l->to = e;
    l->port = (size_t)i;
    return true;
}

static bool read_link(Fx *x, size_t k, const CfgNode *item)
{
    FabLink *l = &x->ln[k];
    memset(l, 0, sizeof(*l));
    l->item = item;
    char ctx[64];
    snprintf(ctx, sizeof(ctx), "cable%zu: ", k);
    if (item->kind != CFG_NODE_MAP) {
        return fail(x, item, "%sexpected a mapping with 'from' and 'to', found %s", ctx,
                    cfg_node_what(item));
    }
    l->from_v = cfg_map_get(item, "from");
    l->to_v = cfg_map_get(item, "to");
    char what[2 * FAB_MADE_MAX];
    link_what(x, k, what, sizeof(what));
    char lctx[2 * FAB_MADE_MAX + 4];
    snprintf(lctx, sizeof(lctx), "%s: ", what);
    if (!check_keys(x, lctx, item, optical_keys, "link.cable", "an optical link's")) {
        return false;
    }
    const char *const ends[] = {"from", "to"};
    for (size_t i = 0; i < 2; i++) {
        const CfgNode *v = i == 0 ? l->from_v : l->to_v;
        if (v == NULL) {
            return fail(x, item, "%skey '%s' is missing", lctx, ends[i]);
        }
        if (!is_text(v)) {
            return fail(x, v, "%skey '%s': expected an endpoint, found %s", lctx, ends[i],
                        cfg_node_what(v));
        }
    }
    l->lanes = cfg_map_get(item, "lanes");
    if (l->lanes == NULL) {
        l->lanes = get(x->def_opt, "lanes");
    }
    return read_end(x, k, true) && read_end(x, k, false);
}

/*
 * Every node is a host or on one link; every repeater's up port and each of its `downs` down
 * ports is on a link (repeater.switch fails its run on a down port in use but unconnected).
 */
/*
 * The section's `workload`: a model type and its keys, replayed by the nodes listed in `nodes`
 * (default: every node, in section order), each as its position in that list. For host.ps the
 * expansion also numbers the workers, makes a MemBox's host that replays the workload its
 * aggregator (aggregation membox_host), and, with the ideal barrier, makes the ps.barrier
 * `ps_bar` every worker meets at (docs/config.md, "Fabric section").
 */
static const char *const workload_keys[] = {"type", "nodes", NULL};

static bool read_workload(Fx *x, const CfgNode *v)
{
    if (!map_or_empty(x, "workload: ", v, "a mapping with the workload's type and keys",
                      &x->workload) ||
        x->workload == NULL) {
        return true;
    }
    const CfgNode *type = cfg_map_get(x->workload, "type");
    if (type == NULL) {
        return fail(x, v,
                    "workload: key 'type' is missing: name the model type every node "
                    "replays (host.memtrace, host.ps, ...)");
    }
    if (!is_text(type)) {
        return fail(x, type, "workload: key 'type': expected a model type, found %s",
                    cfg_node_what(type));
    }
    if (find_type(x, type->text) == NULL) {
        return fail(x, type, "workload: key 'type': unknown model type '%s'", type->text);
    }
    x->wl_type = type;
    if (!check_keys(x, "workload: ", x->workload, workload_keys, type->text, "the workload's")) {
        return false;
    }
    x->workers = calloc(x->n_el + 1, sizeof(*x->workers));
    if (x->workers == NULL) {
        return oom(x, v);
    }
    const CfgNode *nodes = cfg_map_get(x->workload, "nodes");
    if (nodes == NULL || (is_text(nodes) && strcmp(nodes->text, "all") == 0)) {
        for (size_t e = 0; e < x->n_el; e++) {
            if (x->el[e].kind == FAB_NODE) {
                x->el[e].worker = x->n_workers;
                x->workers[x->n_workers++] = e;
            }
        }
        return true;
    }
    if (nodes->kind != CFG_NODE_SEQ) {
        return fail(x, nodes,
                    "workload: key 'nodes': expected 'all' or a sequence of node "
                    "names, found %s",
                    cfg_node_what(nodes));
    }
    for (size_t i = 0; i < nodes->n; i++) {
        const CfgNode *n = nodes->items[i];
        size_t e = is_text(n) ? find_elem(x, n->text) : SIZE_MAX;
        if (e == SIZE_MAX || x->el[e].kind != FAB_NODE) {
            return fail(x, n, "workload: key 'nodes': '%s' is not a node of the section",
                        is_text(n) ? n->text : cfg_node_what(n));
        }
        if (x->el[e].worker != SIZE_MAX) {
            return fail(x, n, "workload: key 'nodes': node '%s' is listed twice", n->text);
        }
        x->el[e].worker = x->n_workers;
        x->workers[x->n_workers++] = e;
    }
    return true;
}

static bool check_attached(Fx *x)
{
    for (size_t e = 0; e < x->n_el; e++) {
        const FabElem *el = &x->el[e];
        if (el->kind == FAB_NODE && el->host_of == SIZE_MAX && el->link == SIZE_MAX) {
            return fail(x, el->key,
                        "node '%s' is on no optical link and hosts nothing: a node is a "
                        "MemBox's or repeater's host, or the 'from' end of one optical link",
                        el->key->text);
        }
        if (el->kind == FAB_REPEATER && el->link == SIZE_MAX) {
            return fail(x, el->key,
                        "repeater '%s': its up port is on no optical link: add one from "
                        "'%s:up' to a MemBox's or repeater's port",
                        el->key->text, el->key->text);
        }
        for (size_t i = 0; el->kind == FAB_REPEATER && el->downs_known && i < el->n_ports; i++) {
            if (el->port_link[i] == SIZE_MAX) {
                const CfgNode *downs = get(el->map, "downs");
                return fail(x, downs != NULL ? downs : el->key,
                            "repeater '%s': its down port d%zu is on no optical link, but downs "
                            "is %llu: link every down port d0..d%llu, or set downs to the ports "
                            "in use",
                            el->key->text, i, (unsigned long long)el->n_ports,
                            (unsigned long long)el->n_ports - 1);
            }
        }
    }
    return true;
}

/* ---- making the instances and links ---- */

/*
 * A new instance `name` made by `owner`, marked at `at`, with `type` (NULL: the keys copied in
 * name it). Its mapping, to fill; NULL on error (a name made twice or written in `instances`).
 */
static CfgNode *add_instance(Fx *x, size_t owner, const CfgNode *at, const char *name,
                             const char *type)
{
    char what[2 * FAB_MADE_MAX];
    const CfgNode *w = x->written != NULL ? cfg_map_find(x->written, name) : NULL;
    if (w != NULL) {
        owner_what(x, owner, what, sizeof(what));
        fail(x, owner_at(x, owner),
             "%s: the instance '%s' it makes is also written in 'instances' (line %u, column %u)",
             what, name, w->line, w->col);
        return NULL;
    }
    if (x->inst->n == x->owner_cap) {
        size_t cap = x->owner_cap ? 2 * x->owner_cap : 64;
        size_t *o = realloc(x->owner, cap * sizeof(*o));
        if (o == NULL) {
            oom(x, at);
            return NULL;
        }
        x->owner = o;
        x->owner_cap = cap;
    }
    CfgNode *key = cfg_scalar_new(at, x->file, name);
    CfgNode *map = cfg_node_new(CFG_NODE_MAP, x->file, at->line, at->col);
    CfgNode *tkey = type != NULL ? cfg_scalar_new(at, x->file, "type") : NULL;
    CfgNode *tval = type != NULL ? cfg_scalar_new(at, x->file, type) : NULL;
    const CfgNode *dup = NULL;
    bool ok = key != NULL && map != NULL && (type == NULL || (tkey != NULL && tval != NULL));
    if (ok && type != NULL) {
        ok = cfg_map_add(map, tkey, tval, &dup);
        if (ok) {
            tkey = tval = NULL;
        }
    }
    if (ok && !cfg_map_add(x->inst, key, map, &dup)) {
        ok = false;
        if (dup != NULL) {
            size_t first = SIZE_MAX;
            for (size_t i = 0; i < x->inst->n && first == SIZE_MAX; i++) {
                first = x->inst->pairs[i].key == dup ? x->owner[i] : SIZE_MAX;
            }
            assert(first != SIZE_MAX);
            char other[2 * FAB_MADE_MAX];
            owner_what(x, owner, what, sizeof(what));
            owner_what(x, first, other, sizeof(other));
            const CfgNode *fat = owner_at(x, first);
            fail(x, owner_at(x, owner),
                 "%s: the instance '%s' it makes is also made by %s (line %u, column %u)", what,
                 name, other, fat->line, fat->col);
        } else {
            oom(x, at);
        }
    } else if (!ok) {
        oom(x, at);
    }
    if (!ok) {
        cfg_tree_free(key);
        cfg_tree_free(map);
        cfg_tree_free(tkey);
        cfg_tree_free(tval);
        return NULL;
    }
    x->owner[x->inst->n - 1] = owner;
    return map;
}

/* Copies the pairs of src (NULL: none) into m, but for keys m has (an earlier source wins)
 * and those in skip. */
static bool merge(Fx *x, CfgNode *m, const CfgNode *src, const char *const *skip)
{
    for (size_t i = 0; src != NULL && i < src->n; i++) {
        const CfgNode *key = src->pairs[i].key;
        if (in_list(skip, key->text) || cfg_map_find(m, key->text) != NULL) {
            continue;
        }
        CfgNode *k = cfg_node_copy(key);
        CfgNode *v = k != NULL ? cfg_node_copy(src->pairs[i].value) : NULL;
        const CfgNode *dup;
        if (v == NULL || !cfg_map_add(m, k, v, &dup)) {
            cfg_tree_free(k);
            cfg_tree_free(v);
            return oom(x, key);
        }
    }
    return true;
}

/* key: text (marked at `at`) unless m has the key. */
static bool put(Fx *x, CfgNode *m, const CfgNode *at, const char *key, const char *text)
{
    if (cfg_map_find(m, key) != NULL) {
        return true;
    }
    CfgNode *k = cfg_scalar_new(at, x->file, key);
    CfgNode *v = cfg_scalar_new(at, x->file, text);
    const CfgNode *dup;
    if (k == NULL || v == NULL || !cfg_map_add(m, k, v, &dup)) {
        cfg_tree_free(k);
        cfg_tree_free(v);
        return oom(x, at);
    }
    return true;
}

/* key: a copy of the value node v (keeping its mark) unless m has the key; v may be NULL. */
static bool put_copy(Fx *x, CfgNode *m, const char *key, const CfgNode *v)
{
    if (v == NULL || cfg_map_find(m, key) != NULL) {
        return true;
    }
    CfgNode *k = cfg_scalar_new(v, v->file, key);
    CfgNode *c = cfg_node_copy(v);
    const CfgNode *dup;
    if (k == NULL || c == NULL || !cfg_map_add(m, k, c, &dup)) {
        cfg_tree_free(k);
        cfg_tree_free(c);
        return oom(x, v);
    }
    return true;
}

/* A link {from: FROM:FPORT, to: TO:TPORT[, depth: 8]} marked at `at`. */
static bool add_link(Fx *x, const CfgNode *at, const char *from, const char *fport, const char *to,
                     const char *tport, bool deep)
{
    char a[FAB_MADE_MAX + 32], b[FAB_MADE_MAX + 32];
    snprintf(a, sizeof(a), "%s:%s", from, fport);
    snprintf(b, sizeof(b), "%s:%s", to, tport);
    CfgNode *m = cfg_node_new(CFG_NODE_MAP, x->file, at->line, at->col);
    if (m == NULL || !put(x, m, at, "from", a) || !put(x, m, at, "to", b) ||
        (deep && !put(x, m, at, "depth", "8")) || !cfg_seq_add(x->links, m)) {
        cfg_tree_free(m);
        return oom(x, at);
    }
    return true;
}

/* Two links, there (a:ap -> b:bp) and back (b:bq -> a:aq). */
static bool add_pair(Fx *x, const CfgNode *at, const char *a, const char *ap, const char *b,
                     const char *bp, const char *bq, const char *aq, bool deep)
{
    return add_link(x, at, a, ap, b, bp, deep) && add_link(x, at, b, bq, a, aq, deep);
}

/* The name of link k's SPP end: "mb_p3", "rep0_d1". */
static void spp_name(const Fx *x, size_t k, char *buf, size_t size)
{
    const FabLink *l = &x->ln[k];
    const FabElem *to = &x->el[l->to];
    snprintf(buf, size, "%s_%c%zu", to->key->text, to->kind == FAB_MEMBOX ? 'p' : 'd', l->port);
}

/* The workload's value of key for node instance w (own, then the workload's, then the type's
 * defaults), as effective() reads it. */
static const char *workload_value(const Fx *x, const CfgNode *w, const char *key)
{
    return effective(x, w, x->workload, x->wl_type->text, key);
}

/* host.ps: the worker number and, on a MemBox's host, the aggregator role. */
static bool emit_worker(Fx *x, size_t e, CfgNode *w)
{
    const FabElem *el = &x->el[e];
    const CfgNode *type = cfg_map_get(w, "type");
    if (!is_text(type) || strcmp(type->text, "host.ps") != 0) {
        return true;
    }
    char idx[32];
    snprintf(idx, sizeof(idx), "%zu", el->worker);
    if (!put(x, w, el->key, "worker", idx)) {
        return false;
    }
    /* The job has a worker per node that replays it: node k replays the trace's worker k mod
     * the trace's workers (docs/workloads.md). */
    snprintf(idx, sizeof(idx), "%zu", x->n_workers);
    if (!put(x, w, el->key, "workers", idx)) {
        return false;
    }
    const char *agg = workload_value(x, w, "aggregation");
    bool membox_host = el->host_of != SIZE_MAX && x->el[el->host_of].kind == FAB_MEMBOX;
    return !(membox_host && agg != NULL && strcmp(agg, "membox_host") == 0) ||
           put(x, w, el->key, "aggregator", "true");
}

/* host.ps with the ideal barrier: the ps.barrier `ps_bar`, port pair i for worker i. */
static bool emit_barrier(Fx *x)
{
    if (x->wl_type == NULL || strcmp(x->wl_type->text, "host.ps") != 0 || x->n_workers == 0) {
        return true;
    }
    const char *barrier = effective(x, NULL, x->workload, "host.ps", "barrier");
    if (barrier == NULL || strcmp(barrier, "ideal") != 0) {
        return true;
    }
    const CfgNode *at = sim_expansion_key(x->xp);
    /* ps.barrier has 17 port pairs (its port table). */
    const SimModelType *t = find_type(x, "ps.barrier");
    size_t pairs = t != NULL ? t->n_ports / 2 : 0;
    if (x->n_workers > pairs) {
        return fail(x, x->wl_type,
                    "workload: %zu nodes replay host.ps with the ideal barrier, whose ps.barrier "
                    "meets %zu: set barrier: polling, or list fewer nodes",
                    x->n_workers, pairs);
    }
    if (add_instance(x, FAB_OWNER_WORKLOAD, x->wl_type, "ps_bar", "ps.barrier") == NULL) {
        return false;
    }
    for (size_t i = 0; i < x->n_workers; i++) {
        const char *n = x->el[x->workers[i]].key->text;
        char in[32], out[32];
        snprintf(in, sizeof(in), "in%zu", i);
        snprintf(out, sizeof(out), "out%zu", i);
        if (!add_link(x, at, n, "sync_out", "ps_bar", in, false) ||
            !add_link(x, at, "ps_bar", out, n, "sync_in", false)) {
            return false;
        }
    }
    return true;
}

/* gen-fabric.py Gen.host(): the workload, its root complex, PCIe link and adapter. */
static bool emit_host(Fx *x, size_t e)
{
    FabElem *el = &x->el[e];
    const char *n = el->key->text;
    const CfgNode *at = el->key;
    char mem[FAB_MADE_MAX], rc[FAB_MADE_MAX], pcie[FAB_MADE_MAX], ad[FAB_MADE_MAX], idx[32];
    snprintf(mem, sizeof(mem), "%s_mem", n);
    snprintf(rc, sizeof(rc), "%s_rc", n);
    snprintf(pcie, sizeof(pcie), "%s_pcie", n);
    snprintf(ad, sizeof(ad), "%s_ad", n);
    snprintf(idx, sizeof(idx), "%zu", el->index);
    el->emitted = true;
    CfgNode *w = add_instance(x, e, at, n, NULL);
    bool replays = el->worker != SIZE_MAX;
    if (w == NULL || !merge(x, w, el->part[NODE_WORKLOAD], NULL) ||
        !(replays ? merge(x, w, x->workload, workload_keys + 1) : merge(x, w, x->def_node, NULL))) {
        return false;
    }
    if (replays && !emit_worker(x, e, w)) {
        return false;
    }
    /* The node id: the workload's src if it takes one, and the adapter's, unless given. */
    const CfgNode *type = cfg_map_get(w, "type");
    if (is_text(type) &&
        (strcmp(type->text, "host.memtrace") == 0 || strcmp(type->text, "host.ps") == 0 ||
         strcmp(type->text, "host.tlm") == 0) &&
        !put(x, w, at, "src", idx)) {
        return false;
    }
    /* The node's host memory, handed to the workload when its type takes one. */
    const SimModelType *wt = is_text(type) ? find_type(x, type->text) : NULL;
    for (size_t i = 0; wt != NULL && i < wt->n_params; i++) {
        if (wt->params[i].type == SIM_PARAM_OBJECT && strcmp(wt->params[i].key, "memory") == 0 &&
            !put(x, w, at, "memory", mem)) {
            return false;
        }
    }
    const CfgNode *src = cfg_map_get(w, "src");
    CfgNode *m;
    if ((m = add_instance(x, e, at, mem, "host.memory")) == NULL ||
        !merge(x, m, el->part[NODE_MEMORY], NULL) ||
        (m = add_instance(x, e, at, rc, "pcie.rc")) == NULL ||
        !merge(x, m, el->part[NODE_RC], NULL) || !put(x, m, at, "memory", mem) ||
        (m = add_instance(x, e, at, pcie, "pcie.link")) == NULL ||
        !merge(x, m, el->part[NODE_PCIE], NULL) ||
        (m = add_instance(x, e, at, ad, "pcie.adapter")) == NULL ||
        !merge(x, m, el->part[NODE_ADAPTER], NULL) ||
        !(src != NULL ? put_copy(x, m, "src", src) : put(x, m, at, "src", idx))) {
        return false;
    }
    if (!(add_link(x, at, n, "req", rc, "cpu_req", false) &&
          add_link(x, at, rc, "cpu_resp", n, "resp", false) &&
          add_link(x, at, rc, "notify", n, "notify", false) &&
          add_link(x, at, rc, "tx", pcie, "rc_tx", false) &&
          add_link(x, at, pcie, "rc_rx", rc, "rx", false))) {
        return false;
    }
    if (el->part[NODE_EXPETHER] == NULL) {
        return add_link(x, at, ad, "tx", pcie, "ep_tx", false) &&
               add_link(x, at, pcie, "ep_rx", ad, "rx", false);
    }
    /* ExpEther (docs/models/expether.md section 6): the adapter sits in an I/O unit, behind the
     * bridge pair N_ee and the unit's PCIe link N_ee_pcie, which takes the `pcie` keys too. */
    char ee[FAB_MADE_MAX], eep[FAB_MADE_MAX];
    snprintf(ee, sizeof(ee), "%s_ee", n);
    snprintf(eep, sizeof(eep), "%s_ee_pcie", n);
    return (m = add_instance(x, e, at, ee, "expether.link")) != NULL &&
           merge(x, m, el->part[NODE_EXPETHER], NULL) &&
           (m = add_instance(x, e, at, eep, "pcie.link")) != NULL &&
           merge(x, m, el->part[NODE_PCIE], NULL) &&
           add_link(x, at, pcie, "ep_rx", ee, "host_in", false) &&
           add_link(x, at, ee, "host_out", pcie, "ep_tx", false) &&
           add_link(x, at, ee, "dev_out", eep, "rc_tx", false) &&
           add_link(x, at, eep, "rc_rx", ee, "dev_in", false) &&
           add_link(x, at, ad, "tx", eep, "ep_tx", false) &&
           add_link(x, at, eep, "ep_rx", ad, "rx", false);
}

/* gen-fabric.py Gen.cable(): link k's cable between the MPP `mpp` and the SPP `spp`. */
static bool emit_cable(Fx *x, size_t k, const char *mpp, const char *spp)
{
    const FabLink *l = &x->ln[k];
    char c[32];
    snprintf(c, sizeof(c), "cable%zu", k);
    static const char *const not_cable[] = {"from", "to", "lanes", NULL};
    CfgNode *m = add_instance(x, x->n_el + k, l->item, c, "link.cable");
    return m != NULL && merge(x, m, l->item, not_cable) && merge(x, m, x->def_opt, not_cable) &&
           add_link(x, l->item, mpp, "tx", c, "a_in", false) &&
           add_link(x, l->item, c, "b_out", spp, "rx", false) &&
           add_link(x, l->item, spp, "tx", c, "b_in", false) &&
           add_link(x, l->item, c, "a_out", mpp, "rx", false);
}

/* An optical end's port instance (link.mpp or link.spp): its part, the defaults, the link's
 * lanes and, on a cut-through repeater, cut_through. */
static bool fill_end(Fx *x, CfgNode *m, const CfgNode *part, const CfgNode *def, size_t k,
                     bool cut_through, const CfgNode *at)
{
    return merge(x, m, part, NULL) && merge(x, m, def, NULL) &&
           (k == SIZE_MAX || put_copy(x, m, "lanes", x->ln[k].lanes)) &&
           (!cut_through || put(x, m, at, "cut_through", "true"));
}

static bool emit_repeater(Fx *x, size_t e);

/* gen-fabric.py Gen.child(): what hangs below link k's SPP end `spp`. */
static bool emit_below(Fx *x, size_t k, const char *spp)
{
    size_t e = x->ln[k].from;
    FabElem *el = &x->el[e];
    if (el->kind == FAB_REPEATER) {
        return el->emitted || emit_repeater(x, e);
    }
    const char *n = el->key->text;
    char mpp[FAB_MADE_MAX], ad[FAB_MADE_MAX];
    snprintf(mpp, sizeof(mpp), "%s_mpp", n);
    snprintf(ad, sizeof(ad), "%s_ad", n);
    if (!emit_host(x, e)) {
        return false;
    }
    CfgNode *m = add_instance(x, e, el->key, mpp, "link.mpp");
    return m != NULL && fill_end(x, m, el->part[NODE_MPP], NULL, k, false, el->key) &&
           add_pair(x, el->key, ad, "mem_req", mpp, "req", "resp", "mem_resp", false) &&
           emit_cable(x, k, mpp, spp);
}

static bool emit_repeater(Fx *x, size_t e)
{
    FabElem *el = &x->el[e];
    const char *r = el->key->text;
    const CfgNode *at = el->key;
    char up[FAB_MADE_MAX], d[FAB_MADE_MAX], req[32], resp[32];
    snprintf(up, sizeof(up), "%s_up", r);
    el->emitted = true;
    static const char *const not_switch[] = {"host", "up", "down", NULL};
    CfgNode *m = add_instance(x, e, at, r, "repeater.switch");
    if (m == NULL || !merge(x, m, el->map, not_switch) || !merge(x, m, x->def_rep, not_switch) ||
        (el->host == SIZE_MAX && !put(x, m, at, "local", "false"))) {
        return false;
    }
    m = add_instance(x, e, at, up, "link.mpp");
    if (m == NULL ||
        !fill_end(x, m, el->part[REP_UP], x->def_rep_part[REP_UP], el->link, el->cut_through, at) ||
        !add_pair(x, at, r, "up_req", up, "req", "resp", "up_resp", false)) {
        return false;
    }
    char spp[FAB_MADE_MAX];
    spp_name(x, el->link, spp, sizeof(spp));
    if (!emit_cable(x, el->link, up, spp)) {
        return false;
    }
    if (el->host != SIZE_MAX) {
        char ad[FAB_MADE_MAX];
        snprintf(ad, sizeof(ad), "%s_ad", x->el[el->host].key->text);
        if (!emit_host(x, el->host) || !add_pair(x, el->host_v, ad, "mem_req", r, "local_req",
                                                 "local_resp", "mem_resp", false)) {
            return false;
        }
    }
    for (size_t i = 0; i < el->n_ports; i++) {
        size_t k = el->port_link[i];
        if (k == SIZE_MAX) {
            continue;
        }
        const CfgNode *to = x->ln[k].to_v;
        snprintf(d, sizeof(d), "%s_d%zu", r, i);
        snprintf(req, sizeof(req), "req%zu", i);
        snprintf(resp, sizeof(resp), "resp%zu", i);
        m = add_instance(x, e, to, d, "link.spp");
        if (m == NULL ||
            !fill_end(x, m, el->part[REP_DOWN], x->def_rep_part[REP_DOWN], k, el->cut_through,
                      to) ||
            !add_pair(x, to, d, "mem_req", r, req, resp, "mem_resp", false) ||
            !emit_below(x, k, d)) {
            return false;
        }
    }
    return true;
}

/* gen-fabric.py Gen.build(): a MemBox and everything below it. */
static const char *const type_key[] = {"type", NULL};

/* The memory of a MemBox: dram.ctrl, or tlm.memory when its part says so (read_part). */
static const char *dram_type(const CfgNode *part)
{
    const CfgNode *t = part != NULL ? cfg_map_get(part, "type") : NULL;
    return t != NULL && t->kind == CFG_NODE_SCALAR && t->text != NULL ? t->text : "dram.ctrl";
}

static bool emit_membox(Fx *x, size_t e)
{
    FabElem *el = &x->el[e];
    const char *mb = el->key->text;
    const CfgNode *at = el->key;
    char arb[FAB_MADE_MAX], ddr[FAB_MADE_MAX], p[FAB_MADE_MAX], req[32], resp[32];
    snprintf(arb, sizeof(arb), "%s_arb", mb);
    snprintf(ddr, sizeof(ddr), "%s_ddr3", mb);
    el->emitted = true;
    if (el->host != SIZE_MAX && !emit_host(x, el->host)) {
        return false;
    }
    CfgNode *m;
    if ((m = add_instance(x, e, at, arb, "dram.arbiter")) == NULL ||
        !merge(x, m, el->part[MB_ARBITER], NULL) ||
        (m = add_instance(x, e, at, ddr, dram_type(el->part[MB_DRAM]))) == NULL ||
        !merge(x, m, el->part[MB_DRAM], type_key)) {
        return false;
    }
    if (el->host != SIZE_MAX) {
        /* The host's own PCIe slot: the arbiter's last port, with deeper FIFOs (gen-fabric). */
        char ad[FAB_MADE_MAX];
        snprintf(ad, sizeof(ad), "%s_ad", x->el[el->host].key->text);
        snprintf(req, sizeof(req), "req%llu", (unsigned long long)el->arb_ports - 1);
        snprintf(resp, sizeof(resp), "resp%llu", (unsigned long long)el->arb_ports - 1);
        if (!add_pair(x, el->host_v, ad, "mem_req", arb, req, resp, "mem_resp", true)) {
            return false;
        }
    }
    if (!add_pair(x, at, arb, "mem_req", ddr, "req", "resp", "mem_resp", false)) {
        return false;
    }
    for (size_t i = 0; i < el->n_ports; i++) {
        size_t k = el->port_link[i];
        if (k == SIZE_MAX) {
            continue;
        }
        const CfgNode *to = x->ln[k].to_v;
        snprintf(p, sizeof(p), "%s_p%zu", mb, i);
        snprintf(req, sizeof(req), "req%zu", i);
        snprintf(resp, sizeof(resp), "resp%zu", i);
        m = add_instance(x, e, to, p, "link.spp");
        if (m == NULL || !fill_end(x, m, el->part[MB_PORT], NULL, k, false, to) ||
            !add_pair(x, to, p, "mem_req", arb, req, resp, "mem_resp", false) ||
            !emit_below(x, k, p)) {
            return false;
        }
    }
    return true;
}

static bool expand(Fx *x, const CfgNode *fabric)
{
    for (size_t i = 0; i < fabric->n; i++) {
        const CfgNode *key = fabric->pairs[i].key;
        bool known = false;
        for (size_t j = 0; j < N_OF(fabric_keys); j++) {
            known = known || strcmp(key->text, fabric_keys[j]) == 0;
        }
        if (!known) {
            const char *best = sim_closest_word(key->text, fabric_keys, N_OF(fabric_keys));
            if (best != NULL) {
                return fail(x, key, "unknown element kind '%s' (did you mean '%s'?)", key->text,
                            best);
            }
            return fail(x, key,
                        "unknown element kind '%s'; the fabric section has defaults, memboxes, "
                        "repeaters, nodes, optical and workload",
                        key->text);
        }
    }
    if (!read_defaults(x, cfg_map_get(fabric, "defaults"))) {
        return false;
    }
    size_t total = 0;
    for (FabKind k = 0; k < FAB_KIND_MAX; k++) {
        const CfgNode *v = cfg_map_get(fabric, kind_section[k]);
        total += v != NULL && v->kind == CFG_NODE_MAP ? v->n : 0;
    }
    const CfgNode *optical = cfg_map_get(fabric, "optical");
    size_t n_links = optical != NULL && optical->kind == CFG_NODE_SEQ ? optical->n : 0;
    x->el = calloc(total + 1, sizeof(*x->el));
    x->by_name = calloc(total + 1, sizeof(*x->by_name));
    x->ln = calloc(n_links + 1, sizeof(*x->ln));
    if (x->el == NULL || x->by_name == NULL || x->ln == NULL) {
        return oom(x, x->fabric_key);
    }
    size_t n_nodes = 0;
    for (FabKind k = 0; k < FAB_KIND_MAX; k++) {
        if (!collect(x, k, cfg_map_get(fabric, kind_section[k]), &n_nodes)) {
            return false;
        }
    }
    sort_names(x);
    if (!check_unique(x)) {
        return false;
    }
    for (size_t e = 0; e < x->n_el; e++) {
        bool ok = x->el[e].kind == FAB_MEMBOX     ? read_membox(x, e)
                  : x->el[e].kind == FAB_REPEATER ? read_repeater(x, e)
                                                  : read_node(x, e);
        if (!ok) {
            return false;
        }
    }
    if (optical != NULL && !cfg_node_is_null(optical) && optical->kind != CFG_NODE_SEQ) {
        return fail(x, optical, "key 'optical': expected a sequence of optical links, found %s",
                    cfg_node_what(optical));
    }
    for (size_t k = 0; k < n_links; k++) {
        x->n_ln++;
        if (!read_link(x, k, optical->items[k])) {
            return false;
        }
    }
    if (!check_attached(x) || !read_workload(x, cfg_map_get(fabric, "workload"))) {
        return false;
    }
    for (size_t e = 0; e < x->n_el; e++) {
        if (x->el[e].kind == FAB_MEMBOX && !emit_membox(x, e)) {
            return false;
        }
    }
    for (size_t e = 0; e < x->n_el; e++) {
        if (x->el[e].kind == FAB_REPEATER && !x->el[e].emitted && !emit_repeater(x, e)) {
            return false;
        }
    }
    for (size_t e = 0; e < x->n_el; e++) {
        assert(x->el[e].emitted && "every node is a host or on a link, every repeater emitted");
    }
    return emit_barrier(x);
}

static bool fabric_expand(SimExpansion *xp, const CfgNode *fabric)
{
    const CfgNode *key = sim_expansion_key(xp);
    Fx x = {
        .xp = xp,
        .file = key->file,
        .fabric_key = key,
        .top_defaults = sim_expansion_defaults(xp),
        .written = sim_expansion_written(xp),
        .inst = sim_expansion_instances(xp),
        .links = sim_expansion_links(xp),
    };
    bool ok;
    if (fabric->kind != CFG_NODE_MAP) {
        ok = fail(&x, fabric,
                  "expected a mapping of defaults, memboxes, repeaters, nodes and optical, "
                  "found %s",
                  cfg_node_what(fabric));
    } else {
        ok = expand(&x, fabric);
    }
    free(x.el);
    free(x.by_name);
    free(x.ln);
    free(x.owner);
    free(x.workers);
    return ok;
}

/* ---- the section's JSON Schema (`membox-sim schema`, sim/config/schema.h) ---- */

static const char *const no_lanes[] = {"lanes", NULL};

/* A part's mapping: the keys of its type (not `lanes` on a link's end) and `preset`. */
static void schema_part(FILE *o, const SimRegistry *reg, const char *key, const char *type,
                        bool lanes_on_link, bool *first)
{
    const SimModelType *t = sim_config_find_type(reg, type);
    fprintf(o,
            "%s\"%s\":{\"type\":[\"object\",\"null\"],\"additionalProperties\":false,"
            "\"description\":\"%s keys\",\"properties\":{",
            *first ? "" : ",", key, type);
    bool f = true;
    if (t != NULL) {
        sim_schema_params(o, t, lanes_on_link ? no_lanes : NULL, &f);
    }
    fprintf(o, "%s\"preset\":{\"type\":\"string\",\"description\":\"a preset file of %s keys\"}}}",
            f ? "" : ",", type);
    *first = false;
}

/* The parts of an element of kind k, as members. */
static void schema_parts(FILE *o, const SimRegistry *reg, FabKind k, bool *first)
{
    for (size_t i = 0; i < kind_n_parts[k]; i++) {
        const FabPart *pt = &kind_parts[k][i];
        if (pt->type == NULL) {
            fprintf(o, "%s\"%s\":{\"$ref\":\"#/definitions/workload\"}", *first ? "" : ",",
                    pt->key);
            *first = false;
        } else {
            schema_part(o, reg, pt->key, pt->type, pt->lanes_on_link, first);
        }
    }
}

static void schema_string_member(FILE *o, const char *key, const char *doc, bool *first)
{
    fprintf(o, "%s\"%s\":{\"type\":\"string\",\"description\":", *first ? "" : ",", key);
    sim_schema_string(o, doc);
    fputc('}', o);
    *first = false;
}

/* `lanes` of an optical link: the lane groups' own parameter. */
static void schema_lanes(FILE *o, const SimRegistry *reg, bool *first)
{
    const SimModelType *mpp = sim_config_find_type(reg, "link.mpp");
    for (size_t i = 0; mpp != NULL && i < mpp->n_params; i++) {
        if (strcmp(mpp->params[i].key, "lanes") == 0) {
            fprintf(o, "%s\"lanes\":", *first ? "" : ",");
            sim_schema_param(o, &mpp->params[i]);
            *first = false;
        }
    }
}

/* The keys of the repeater's switch: repeater.switch's. */
static void schema_switch(FILE *o, const SimRegistry *reg, bool *first)
{
    const SimModelType *sw = sim_config_find_type(reg, "repeater.switch");
    if (sw != NULL) {
        sim_schema_params(o, sw, NULL, first);
    }
}

static void schema_cable(FILE *o, const SimRegistry *reg, bool *first)
{
    const SimModelType *cable = sim_config_find_type(reg, "link.cable");
    if (cable != NULL) {
        sim_schema_params(o, cable, NULL, first);
    }
    schema_lanes(o, reg, first);
}

/* A mapping of elements by name (an element may be written empty). */
static void schema_elements_open(FILE *o, const char *key, const char *doc)
{
    fprintf(o,
            ",\"%s\":{\"type\":\"object\",\"description\":\"%s\",\"propertyNames\":"
            "{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\",\"maxLength\":%d},"
            "\"additionalProperties\":{\"type\":[\"object\",\"null\"],"
            "\"additionalProperties\":false,\"properties\":{",
            key, doc, FAB_NAME_MAX);
}

static void fabric_schema(FILE *o, const struct SimRegistry *reg)
{
    bool first;
    fputs("{\"type\":\"object\",\"additionalProperties\":false,\"description\":", o);
    sim_schema_string(o, membox_fabric_system.doc);
    fputs(",\"properties\":{\"defaults\":{\"type\":\"object\",\"additionalProperties\":false,"
          "\"description\":\"keys for every element of a kind\",\"properties\":{"
          "\"node\":{\"$ref\":\"#/definitions/workload\"},"
          "\"repeater\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{",
          o);
    first = true;
    schema_switch(o, reg, &first);
    for (size_t i = 0; i < kind_n_parts[FAB_REPEATER]; i++) {
        const FabPart *pt = &kind_parts[FAB_REPEATER][i];
        schema_part(o, reg, pt->key, pt->type, pt->lanes_on_link, &first);
    }
    fputs("}},\"optical\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{", o);
    first = true;
    schema_cable(o, reg, &first);
    fputs("}}}}", o);

    schema_elements_open(o, "memboxes", "MemBoxes by name");
    fprintf(o,
            "\"ports\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":%d,\"default\":%s,"
            "\"description\":\"optical ports p0 .. p<ports-1>; with the host they must fit "
            "the arbiter's ports\"}",
            FAB_PORTS_MAX, FAB_MEMBOX_PORTS);
    first = false;
    schema_string_member(o, "host", "a node whose adapter is on the arbiter's last port", &first);
    schema_parts(o, reg, FAB_MEMBOX, &first);
    fputs("}}}", o);

    schema_elements_open(o, "repeaters", "repeaters by name");
    first = true;
    schema_switch(o, reg, &first);
    schema_string_member(o, "host", "a node whose adapter is on the switch's local ports", &first);
    schema_parts(o, reg, FAB_REPEATER, &first);
    fputs("}}}", o);

    schema_elements_open(o, "nodes", "compute nodes by name; a node's position is its node id");
    first = true;
    schema_parts(o, reg, FAB_NODE, &first);
    fputs("}}}", o);

    fputs(",\"optical\":{\"type\":\"array\",\"description\":\"the optical links (cables), "
          "numbered from 0\",\"items\":{\"type\":\"object\",\"additionalProperties\":false,"
          "\"required\":[\"from\",\"to\"],\"properties\":{",
          o);
    first = true;
    schema_string_member(o, "from",
                         "the MPP end: a node (node1) or a repeater's up port "
                         "(rep0:up)",
                         &first);
    schema_string_member(o, "to",
                         "the SPP end: a MemBox's port (mb:p0) or a repeater's down "
                         "port (rep0:d2)",
                         &first);
    schema_cable(o, reg, &first);
    fputs("}}}", o);

    /* The workload: a requester type, its keys and `nodes`. */
    fputs(",\"workload\":{\"type\":\"object\",\"required\":[\"type\"],\"description\":\"a "
          "workload every listed node replays\",\"properties\":{\"type\":{\"enum\":[",
          o);
    first = true;
    for (size_t i = 0; i < reg->n_types; i++) {
        if (reg->types[i]->role == SIM_ROLE_REQUESTER) {
            fputs(first ? "" : ",", o);
            sim_schema_string(o, reg->types[i]->name);
            first = false;
        }
    }
    fputs("]}},\"allOf\":[", o);
    bool first_type = true;
    for (size_t i = 0; i < reg->n_types; i++) {
        const SimModelType *t = reg->types[i];
        if (t->role != SIM_ROLE_REQUESTER) {
            continue;
        }
        fprintf(o,
                "%s{\"if\":{\"properties\":{\"type\":{\"const\":\"%s\"}}},\"then\":"
                "{\"additionalProperties\":false,\"properties\":{",
                first_type ? "" : ",", t->name);
        first_type = false;
        first = true;
        sim_schema_params(o, t, NULL, &first);
        fputs(",\"type\":{},\"preset\":{\"type\":\"string\"},\"nodes\":{\"anyOf\":[{\"const\":"
              "\"all\"},{\"type\":\"array\",\"items\":{\"type\":\"string\"}}],\"description\":"
              "\"the nodes that replay it: all (every node) or a list of names\"}}}}",
              o);
    }
    fputs("]}}}", o);
}

const SimSystemType membox_fabric_system = {
    .key = "fabric",
    .doc = "A MemBox fabric by its elements: MemBoxes (DDR3 behind a 17-port arbiter and their "
           "optical ports), repeaters, compute nodes with their adapter cards, and the 40G "
           "optical links between them (docs/config.md, \"Fabric section\").",
    .expand = fabric_expand,
    .schema = fabric_schema,
};
