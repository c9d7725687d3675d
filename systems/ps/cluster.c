/*
 * The `ps_cluster:` section (docs/config.md, "Parameter-server cluster section"): the baseline of
 * the MemBox paper, a TensorFlow parameter server and its workers on one InfiniBand switch,
 * expanded into plain entries of `instances` and `links` (sim/config/system.h), as the `fabric:`
 * section is for MemBox (systems/membox/fabric.c).
 *
 *   ps_cluster:
 *     workers: 4                  # host.ps workers 0 .. N-1 (1 .. 63)
 *     trace: ../traces/ps/x.pstrace
 *     transport: grpc             # grpc (TCP over IPoIB) or verbs (RDMA), both ends
 *     link: ib/fdr.yaml           # preset of every InfiniBand port (HCAs and switch)
 *     domain: ib                  # the ports' symbol clock (declare it under `domains`)
 *     worker: {...}  server: {...}  hca: {...}  switch: {...}  cable: {...}
 *     rc: {...}  pcie: {...}  memory: {...}  server_memory: {...}
 *
 * What is made, in this order: per worker k, `node<k>` (host.ps), `node<k>_mem` (host.memory),
 * `node<k>_rc` (pcie.rc), `node<k>_pcie` (pcie.link), `node<k>_hca` (ib.hca) and `cable<k>`
 * (ib.cable) to switch port k; then the server `ps` (ps.server) with `ps_mem`, `ps_rc`,
 * `ps_pcie`, `ps_hca` and `cable<N>` to port N; then the switch `ibsw` (ib.switch). Port i of
 * the switch serves LID lid_base + i, so its linear table routes: worker k's HCA has LID
 * lid_base + k, the server's lid_base + N. Worker k's one QP goes to the server's QP k; the
 * server's QP k to worker k's QP 0.
 *
 * Values the two ends of something must agree on are written once and copied: the trace and
 * the transport (section keys), the server's ps_base, header, seg and net_window (its part, or
 * ps.server's defaults) onto every worker, each node's verbs addresses onto its HCA. Everything
 * made is checked afterwards by the loader like a written entry; a made node carries the mark of
 * the section key it came from.
 */
#include "ps.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/config/config.h"
#include "sim/config/schema.h"
#include "sim/config/units.h"
#include "sim/core/util.h"

#define PSC_WORKERS_MAX 63 /* the switch's 64 ports, one for the server */
#define PSC_NAME_MAX    64

typedef struct PsPart {
    const char *key;
    const char *type;
} PsPart;

enum {
    PART_WORKER = 0,
    PART_SERVER,
    PART_HCA,
    PART_SWITCH,
    PART_CABLE,
    PART_RC,
    PART_PCIE,
    PART_MEMORY,
    PART_SERVER_MEMORY,
    PART_MAX
};

static const PsPart parts[PART_MAX] = {
    {"worker", "host.ps"},   {"server", "ps.server"},   {"hca", "ib.hca"},
    {"switch", "ib.switch"}, {"cable", "ib.cable"},     {"rc", "pcie.rc"},
    {"pcie", "pcie.link"},   {"memory", "host.memory"}, {"server_memory", "host.memory"},
};

static const char *const section_keys[] = {
    "workers", "trace", "transport", "link", "domain", "worker",        "server", "hca",
    "switch",  "cable", "rc",        "pcie", "memory", "server_memory", NULL};

/* Keys the section sets itself on the made instances: written in a part, they would disagree
 * with the other end. */
static const char *const worker_owned[] = {"type",   "trace",      "worker",  "transport", "src",
                                           "memory", "aggregator", "workers", NULL};
static const char *const server_owned[] = {"type", "trace", "transport", "memory", "workers", NULL};
static const char *const hca_owned[] = {
    "type",           "lid", "qps",    "dlid", "dlid_step", "remote_qp",
    "remote_qp_step", "bar", "queues", "cq",   "src",       NULL};
static const char *const switch_owned[] = {"type", NULL};
static const char *const other_owned[] = {"type", NULL};

typedef struct Px {
    SimExpansion *xp;
    const char *file;
    const CfgNode *key; /* the section's key: every made node's mark */
    const CfgNode *top_defaults;
    const CfgNode *part[PART_MAX];
    const CfgNode *trace;
    const CfgNode *link;
    const char *transport;
    const char *domain;
    uint64_t workers;
    uint64_t lid_base;
    CfgNode *inst;
    CfgNode *links;
    const CfgNode *written;
} Px;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
fail(Px *x, const CfgNode *at, const char *fmt, ...)
{
    char msg[SIM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sim_expansion_fail(x->xp, at, "%s", msg);
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

static bool is_text(const CfgNode *v)
{
    return v != NULL && v->kind == CFG_NODE_SCALAR && !cfg_node_is_null(v);
}

/* The text an instance of `type` will have for key: its part's, the file's defaults for the
 * type, the type's own default; NULL if none is a plain value. */
static const char *effective(const Px *x, const CfgNode *part, const char *type, const char *key)
{
    const CfgNode *v = part != NULL ? cfg_map_get(part, key) : NULL;
    if (v == NULL && x->top_defaults != NULL) {
        const CfgNode *d = cfg_map_get(x->top_defaults, type);
        v = d != NULL && d->kind == CFG_NODE_MAP ? cfg_map_get(d, key) : NULL;
    }
    if (v != NULL) {
        return v->kind == CFG_NODE_SCALAR ? v->text : NULL;
    }
    const SimModelType *t = sim_expansion_find_type(x->xp, type);
    for (size_t i = 0; t != NULL && i < t->n_params; i++) {
        if (strcmp(t->params[i].key, key) == 0) {
            return t->params[i].def;
        }
    }
    return NULL;
}

static const char *const *owned_keys(int k)
{
    switch (k) {
    case PART_WORKER:
        return worker_owned;
    case PART_SERVER:
        return server_owned;
    case PART_HCA:
        return hca_owned;
    case PART_SWITCH:
        return switch_owned;
    default:
        return other_owned;
    }
}

/* A part: a mapping (or empty) of its type's keys, none of them a key the section sets. */
static bool read_part(Px *x, const CfgNode *section, int k)
{
    const CfgNode *v = cfg_map_get(section, parts[k].key);
    x->part[k] = NULL;
    if (v == NULL || cfg_node_is_null(v)) {
        return true;
    }
    if (v->kind != CFG_NODE_MAP) {
        return fail(x, v, "key '%s': expected a mapping of %s parameters, found %s", parts[k].key,
                    parts[k].type, cfg_node_what(v));
    }
    const SimModelType *t = sim_expansion_find_type(x->xp, parts[k].type);
    char ctx[64];
    snprintf(ctx, sizeof(ctx), "key '%s': ", parts[k].key);
    for (size_t i = 0; i < v->n; i++) {
        const CfgNode *key = v->pairs[i].key;
        if (in_list(owned_keys(k), key->text)) {
            return fail(x, key,
                        "key '%s': key '%s': the ps_cluster section sets it (docs/config.md, "
                        "\"Parameter-server cluster section\"); leave it out",
                        parts[k].key, key->text);
        }
        bool known = strcmp(key->text, "preset") == 0;
        for (size_t j = 0; t != NULL && j < t->n_params && !known; j++) {
            known = strcmp(t->params[j].key, key->text) == 0;
        }
        if (!known) {
            return sim_expansion_unknown_key(x->xp, ctx, key, t ? t->params : NULL,
                                             t ? t->n_params : 0, NULL, parts[k].type);
        }
    }
    x->part[k] = v;
    return true;
}

/* A new instance `name` of `type`, its part's keys copied in (NULL: none); NULL on error. */
static CfgNode *add_instance(Px *x, const char *name, const char *type, int part)
{
    if (x->written != NULL && cfg_map_find(x->written, name) != NULL) {
        const CfgNode *w = cfg_map_find(x->written, name);
        fail(x, x->key,
             "the instance '%s' it makes is also written in 'instances' (line %u, column %u)", name,
             w->line, w->col);
        return NULL;
    }
    CfgNode *key = cfg_scalar_new(x->key, x->file, name);
    CfgNode *map = cfg_node_new(CFG_NODE_MAP, x->file, x->key->line, x->key->col);
    CfgNode *tkey = cfg_scalar_new(x->key, x->file, "type");
    CfgNode *tval = cfg_scalar_new(x->key, x->file, type);
    const CfgNode *dup = NULL;
    if (key == NULL || map == NULL || tkey == NULL || tval == NULL ||
        !cfg_map_add(map, tkey, tval, &dup)) {
        cfg_tree_free(key);
        cfg_tree_free(map);
        cfg_tree_free(tkey);
        cfg_tree_free(tval);
        sim_expansion_oom(x->xp);
        return NULL;
    }
    if (!cfg_map_add(x->inst, key, map, &dup)) {
        cfg_tree_free(key);
        cfg_tree_free(map);
        if (dup != NULL) {
            fail(x, x->key, "the instance '%s' is made twice", name);
        } else {
            sim_expansion_oom(x->xp);
        }
        return NULL;
    }
    const CfgNode *src = part >= 0 ? x->part[part] : NULL;
    for (size_t i = 0; src != NULL && i < src->n; i++) {
        CfgNode *k = cfg_node_copy(src->pairs[i].key);
        CfgNode *v = k != NULL ? cfg_node_copy(src->pairs[i].value) : NULL;
        if (v == NULL || !cfg_map_add(map, k, v, &dup)) {
            cfg_tree_free(k);
            cfg_tree_free(v);
            sim_expansion_oom(x->xp);
            return NULL;
        }
    }
    return map;
}

/* key: text unless m has the key. */
static bool put(Px *x, CfgNode *m, const char *key, const char *text)
{
    if (m == NULL) {
        return false;
    }
    if (cfg_map_find(m, key) != NULL) {
        return true;
    }
    CfgNode *k = cfg_scalar_new(x->key, x->file, key);
    CfgNode *v = cfg_scalar_new(x->key, x->file, text);
    const CfgNode *dup;
    if (k == NULL || v == NULL || !cfg_map_add(m, k, v, &dup)) {
        cfg_tree_free(k);
        cfg_tree_free(v);
        return sim_expansion_oom(x->xp);
    }
    return true;
}

/* key: a copy of the value v (keeping its mark) unless m has the key; v may be NULL. */
static bool put_copy(Px *x, CfgNode *m, const char *key, const CfgNode *v)
{
    if (m == NULL) {
        return false;
    }
    if (v == NULL || cfg_map_find(m, key) != NULL) {
        return true;
    }
    CfgNode *k = cfg_scalar_new(v, v->file, key);
    CfgNode *c = cfg_node_copy(v);
    const CfgNode *dup;
    if (k == NULL || c == NULL || !cfg_map_add(m, k, c, &dup)) {
        cfg_tree_free(k);
        cfg_tree_free(c);
        return sim_expansion_oom(x->xp);
    }
    return true;
}

static bool put_uint(Px *x, CfgNode *m, const char *key, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
    return put(x, m, key, b);
}

/* put(key, the effective value of key in `part` of `type`), when there is one. */
static bool put_same(Px *x, CfgNode *m, const char *key, int part, const char *from_key)
{
    const char *v = effective(x, x->part[part], parts[part].type, from_key);
    return v == NULL || put(x, m, key, v);
}

static bool add_link(Px *x, const char *a, const char *ap, const char *b, const char *bp)
{
    char from[2 * PSC_NAME_MAX], to[2 * PSC_NAME_MAX];
    snprintf(from, sizeof(from), "%s:%s", a, ap);
    snprintf(to, sizeof(to), "%s:%s", b, bp);
    CfgNode *m = cfg_node_new(CFG_NODE_MAP, x->file, x->key->line, x->key->col);
    if (m == NULL || !put(x, m, "from", from) || !put(x, m, "to", to) ||
        !cfg_seq_add(x->links, m)) {
        cfg_tree_free(m);
        return sim_expansion_oom(x->xp);
    }
    return true;
}

/* One host: its software `n` (already made), host memory, root complex, PCIe link, HCA and the
 * cable to switch port `port`. `lid`, `qps`, `dlid` ... are the HCA's QP wiring. */
static bool emit_host(Px *x, const char *n, int sw_part, int mem_part, uint64_t port, uint64_t qps,
                      uint64_t dlid, uint64_t dlid_step, uint64_t rqp, uint64_t rqp_step)
{
    char mem[PSC_NAME_MAX], rc[PSC_NAME_MAX], pcie[PSC_NAME_MAX], hca[PSC_NAME_MAX],
        cable[PSC_NAME_MAX], p_rx[16], p_tx[16];
    snprintf(mem, sizeof(mem), "%.32s_mem", n);
    snprintf(rc, sizeof(rc), "%.32s_rc", n);
    snprintf(pcie, sizeof(pcie), "%.32s_pcie", n);
    snprintf(hca, sizeof(hca), "%.32s_hca", n);
    snprintf(cable, sizeof(cable), "cable%llu", (unsigned long long)port);
    snprintf(p_rx, sizeof(p_rx), "p%llu_rx", (unsigned long long)port);
    snprintf(p_tx, sizeof(p_tx), "p%llu_tx", (unsigned long long)port);
    CfgNode *m;
    if ((m = add_instance(x, mem, "host.memory", mem_part)) == NULL ||
        (mem_part == PART_SERVER_MEMORY && !put(x, m, "size", "3GiB"))) {
        return false;
    }
    if ((m = add_instance(x, rc, "pcie.rc", PART_RC)) == NULL || !put(x, m, "memory", mem) ||
        add_instance(x, pcie, "pcie.link", PART_PCIE) == NULL) {
        return false;
    }
    if ((m = add_instance(x, hca, "ib.hca", PART_HCA)) == NULL ||
        !put_copy(x, m, "preset", x->link) || !put(x, m, "domain", x->domain) ||
        !put_uint(x, m, "lid", x->lid_base + port) || !put_uint(x, m, "qps", qps) ||
        !put_uint(x, m, "dlid", dlid) || !put_uint(x, m, "dlid_step", dlid_step) ||
        !put_uint(x, m, "remote_qp", rqp) || !put_uint(x, m, "remote_qp_step", rqp_step) ||
        !put_same(x, m, "bar", sw_part, "hca_bar") ||
        !put_same(x, m, "queues", sw_part, "verbs_queues") ||
        !put_same(x, m, "cq", sw_part, "verbs_cq") || !put_uint(x, m, "src", port)) {
        return false;
    }
    if ((m = add_instance(x, cable, "ib.cable", PART_CABLE)) == NULL ||
        !put(x, m, "domain", x->domain)) {
        return false;
    }
    return add_link(x, n, "req", rc, "cpu_req") && add_link(x, rc, "cpu_resp", n, "resp") &&
           add_link(x, rc, "notify", n, "notify") && add_link(x, rc, "tx", pcie, "rc_tx") &&
           add_link(x, pcie, "rc_rx", rc, "rx") && add_link(x, hca, "tx", pcie, "ep_tx") &&
           add_link(x, pcie, "ep_rx", hca, "rx") && add_link(x, hca, "ib_tx", cable, "a_in") &&
           add_link(x, cable, "b_out", "ibsw", p_rx) && add_link(x, "ibsw", p_tx, cable, "b_in") &&
           add_link(x, cable, "a_out", hca, "ib_rx");
}

static bool read_section(Px *x, const CfgNode *section)
{
    for (size_t i = 0; i < section->n; i++) {
        const CfgNode *key = section->pairs[i].key;
        if (!in_list(section_keys, key->text)) {
            const char *best = sim_closest_word(key->text, section_keys, N_OF(section_keys) - 1);
            if (best != NULL) {
                return fail(x, key, "unknown key '%s' (did you mean '%s'?)", key->text, best);
            }
            return fail(x, key,
                        "unknown key '%s'; the ps_cluster section has workers, trace, transport, "
                        "link, domain and the parts worker, server, hca, switch, cable, rc, pcie, "
                        "memory and server_memory",
                        key->text);
        }
    }
    const CfgNode *w = cfg_map_get(section, "workers");
    if (w == NULL) {
        return fail(x, NULL, "key 'workers' is missing: how many host.ps workers (1 .. %d)",
                    PSC_WORKERS_MAX);
    }
    char why[256];
    if (!is_text(w) || !sim_parse_uint(w->text, &x->workers, why, sizeof(why)) || x->workers < 1 ||
        x->workers > PSC_WORKERS_MAX) {
        return fail(x, w, "key 'workers': expected a number of workers 1 .. %d, found '%s'",
                    PSC_WORKERS_MAX, is_text(w) ? w->text : cfg_node_what(w));
    }
    x->trace = cfg_map_get(section, "trace");
    if (x->trace == NULL || !is_text(x->trace)) {
        return fail(x, x->trace,
                    "key 'trace': name the parameter-server trace the workers replay "
                    "(traces/FORMAT.md)");
    }
    x->link = cfg_map_get(section, "link");
    if (x->link == NULL || !is_text(x->link)) {
        return fail(x, x->link,
                    "key 'link': name the preset of the InfiniBand ports (configs/ib/fdr.yaml, "
                    "configs/ib/qdr.yaml), relative to this file");
    }
    const CfgNode *tr = cfg_map_get(section, "transport");
    x->transport = "grpc";
    if (tr != NULL) {
        if (!is_text(tr) || (strcmp(tr->text, "grpc") != 0 && strcmp(tr->text, "verbs") != 0)) {
            return fail(x, tr, "key 'transport': expected grpc or verbs, found '%s'",
                        is_text(tr) ? tr->text : cfg_node_what(tr));
        }
        x->transport = tr->text;
    }
    const CfgNode *d = cfg_map_get(section, "domain");
    x->domain = "ib";
    if (d != NULL) {
        if (!is_text(d) || !sim_valid_name(d->text)) {
            return fail(x, d, "key 'domain': expected the name of a clock domain, found '%s'",
                        is_text(d) ? d->text : cfg_node_what(d));
        }
        x->domain = d->text;
    }
    for (int k = 0; k < PART_MAX; k++) {
        if (!read_part(x, section, k)) {
            return false;
        }
    }
    const char *lb = effective(x, x->part[PART_SWITCH], "ib.switch", "lid_base");
    if (lb == NULL || !sim_parse_uint(lb, &x->lid_base, why, sizeof(why))) {
        x->lid_base = 1; /* the loader reports the bad value at its place */
    }
    return true;
}

static bool expand(Px *x, const CfgNode *section)
{
    if (!read_section(x, section)) {
        return false;
    }
    uint64_t n = x->workers;
    for (uint64_t k = 0; k < n; k++) {
        char name[32], mem[PSC_NAME_MAX];
        snprintf(name, sizeof(name), "node%llu", (unsigned long long)k);
        snprintf(mem, sizeof(mem), "%.32s_mem", name);
        CfgNode *m = add_instance(x, name, "host.ps", PART_WORKER);
        if (m == NULL || !put_copy(x, m, "trace", x->trace) || !put_uint(x, m, "worker", k) ||
            !put_uint(x, m, "workers", n) || !put(x, m, "transport", x->transport) ||
            !put_uint(x, m, "src", k) || !put(x, m, "memory", mem) ||
            !put(x, m, "buffer_base", "0x1000000") ||
            !put_same(x, m, "ps_base", PART_SERVER, "ps_base") ||
            !put_same(x, m, "header", PART_SERVER, "header") ||
            !put_same(x, m, "seg", PART_SERVER, "seg") ||
            !put_same(x, m, "net_window", PART_SERVER, "net_window") ||
            !emit_host(x, name, PART_WORKER, PART_MEMORY, k, 1, x->lid_base + n, 0, k, 0)) {
            return false;
        }
    }
    CfgNode *m = add_instance(x, "ps", "ps.server", PART_SERVER);
    if (m == NULL || !put_copy(x, m, "trace", x->trace) || !put(x, m, "transport", x->transport) ||
        !put_uint(x, m, "workers", n) || !put(x, m, "memory", "ps_mem") ||
        !put_same(x, m, "sync", PART_WORKER, "sync") ||
        !put_same(x, m, "functional", PART_WORKER, "functional") || !put_uint(x, m, "src", n) ||
        !emit_host(x, "ps", PART_SERVER, PART_SERVER_MEMORY, n, n, x->lid_base, 1, 0, 0)) {
        return false;
    }
    m = add_instance(x, "ibsw", "ib.switch", PART_SWITCH);
    return m != NULL && put_copy(x, m, "preset", x->link) && put(x, m, "domain", x->domain) &&
           put_uint(x, m, "ports", n + 1);
}

static bool cluster_expand(SimExpansion *xp, const CfgNode *section)
{
    const CfgNode *key = sim_expansion_key(xp);
    Px x = {.xp = xp,
            .file = key->file,
            .key = key,
            .top_defaults = sim_expansion_defaults(xp),
            .inst = sim_expansion_instances(xp),
            .links = sim_expansion_links(xp),
            .written = sim_expansion_written(xp)};
    if (section->kind != CFG_NODE_MAP) {
        return fail(&x, section,
                    "expected a mapping with workers, trace, transport, link and the parts, "
                    "found %s",
                    cfg_node_what(section));
    }
    return expand(&x, section);
}

/* ---- the section's JSON Schema (`membox-sim schema`, sim/config/schema.h) ---- */

/* A part: the keys of its type but those the section sets, and `preset`. */
static void schema_part(FILE *o, const SimRegistry *reg, int k)
{
    const SimModelType *t = sim_config_find_type(reg, parts[k].type);
    fprintf(o,
            ",\"%s\":{\"type\":[\"object\",\"null\"],\"additionalProperties\":false,"
            "\"description\":\"%s keys\",\"properties\":{",
            parts[k].key, parts[k].type);
    bool first = true;
    if (t != NULL) {
        sim_schema_params(o, t, owned_keys(k), &first);
    }
    fprintf(o, "%s\"preset\":{\"type\":\"string\",\"description\":\"a preset file of %s keys\"}}}",
            first ? "" : ",", parts[k].type);
}

static void cluster_schema(FILE *o, const struct SimRegistry *reg)
{
    fputs("{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"workers\","
          "\"trace\",\"link\"],\"description\":",
          o);
    sim_schema_string(o, ps_cluster_system.doc);
    fprintf(o,
            ",\"properties\":{\"workers\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":%d,"
            "\"description\":\"host.ps workers node0 .. node<N-1>\"},"
            "\"trace\":{\"type\":\"string\",\"description\":\"the parameter-server trace the "
            "workers replay, relative to this file\"},"
            "\"transport\":{\"enum\":[\"grpc\",\"verbs\"],\"default\":\"grpc\","
            "\"description\":\"grpc: TCP over IPoIB; verbs: RDMA\"},"
            "\"link\":{\"type\":\"string\",\"description\":\"preset of every InfiniBand port "
            "(ib/fdr.yaml, ib/qdr.yaml), relative to this file\"},"
            "\"domain\":{\"type\":\"string\",\"default\":\"ib\",\"description\":\"the ports' "
            "clock domain\"}",
            PSC_WORKERS_MAX);
    for (int k = 0; k < PART_MAX; k++) {
        schema_part(o, reg, k);
    }
    fputs("}}", o);
}

const SimSystemType ps_cluster_system = {
    .key = "ps_cluster",
    .doc = "The parameter-server baseline: host.ps workers and a ps.server, each with its root "
           "complex, PCIe link and InfiniBand HCA, cabled to one ib.switch (docs/config.md, "
           "\"Parameter-server cluster section\").",
    .expand = cluster_expand,
    .schema = cluster_schema,
};
