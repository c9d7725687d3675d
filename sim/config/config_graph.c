/*
 * The graph of the configuration layer: links between instance ports (endpoints resolved and
 * checked, each port linked at most once), ports left open, and directed cycles. Uses
 * config_diag.c and config_values.c.
 */
#include "config_internal.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

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

/* For the schema (schema.c). */
const SimParamDesc *const cfg_link_params = link_params;
const size_t cfg_link_n_params = N_OF(link_params);

enum {
    LINK_KEY_FROM = 0,
    LINK_KEY_TO = 1
};

static size_t find_instance(const CfgLoader *l, const char *name)
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
static bool resolve_endpoint(CfgLoader *l, size_t k, const char *key, const CfgNode *v,
                             SimPortDir want, size_t *inst_out, size_t *port_out)
{
    SimConfig *c = l->c;
    char ctx[64];
    snprintf(ctx, sizeof(ctx), "link %zu: key '%s': ", k, key);
    const char *text = v->text;
    const char *colon = strchr(text, ':');
    if (colon == NULL || colon == text || colon[1] == '\0' || strchr(colon + 1, ':') != NULL ||
        (size_t)(colon - text) >= 256) {
        return cfg_fail(l, v, "%s'%s' is not an endpoint: write 'instance:port'", ctx, text);
    }
    char name[256];
    memcpy(name, text, (size_t)(colon - text));
    name[colon - text] = '\0';
    const char *port = colon + 1;
    size_t inst = find_instance(l, name);
    if (inst == SIZE_MAX) {
        CfgSuggest s;
        cfg_suggest_init(&s, name);
        for (size_t i = 0; i < c->n_instances; i++) {
            cfg_suggest_try(&s, c->instances[i].name);
        }
        char hint[300];
        cfg_suggest_text(&s, hint, sizeof(hint));
        return cfg_fail(l, v, "%sunknown instance '%s'%s", ctx, name, hint);
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
        CfgList li = {.used = 0};
        li.buf[0] = '\0';
        CfgSuggest s;
        cfg_suggest_init(&s, port);
        for (size_t i = 0; i < type->n_ports; i++) {
            cfg_list_add(&li, type->ports[i].name);
            cfg_suggest_try(&s, type->ports[i].name);
        }
        char hint[300];
        cfg_suggest_text(&s, hint, sizeof(hint));
        return cfg_fail(l, v, "%sinstance '%s' (%s) has no port '%s'%s; its ports are: %s", ctx,
                        name, type->name, port, hint, type->n_ports ? li.buf : "none");
    }
    if (type->ports[p].dir != want) {
        if (want == SIM_PORT_OUT) {
            return cfg_fail(l, v, "%s'%s' is an input port; 'from' must name an output port", ctx,
                            text);
        }
        return cfg_fail(l, v, "%s'%s' is an output port; 'to' must name an input port", ctx, text);
    }
    if (in->port_link[p] != 0) {
        const CfgLink *prev = &c->links[in->port_link[p] - 1];
        const CfgNode *pn = want == SIM_PORT_OUT ? prev->from_node : prev->to_node;
        return cfg_fail(l, v,
                        "%sport '%s' is already connected by link %zu '%s' (line %u, column %u)",
                        ctx, text, in->port_link[p], prev->name, pn->line, pn->col);
    }
    *inst_out = inst;
    *port_out = p;
    return true;
}

static bool load_link(CfgLoader *l, size_t k, const CfgNode *item)
{
    SimConfig *c = l->c;
    CfgLink *ln = &c->links[k - 1];
    char ctx[64];
    snprintf(ctx, sizeof(ctx), "link %zu: ", k);
    ln->node = item;
    if (!cfg_expect_map(l, item, ctx, "a mapping with 'from' and 'to'")) {
        return false;
    }
    LinkParams p;
    memset(&p, 0, sizeof(p));
    const CfgNode *given[N_OF(link_params)] = {NULL};
    if (!cfg_parse_keys(l, ctx, item, link_params, N_OF(link_params), &p, given, NULL, NULL,
                        "a link")) {
        return false;
    }
    for (size_t i = 0; i < N_OF(link_params); i++) {
        if (given[i] != NULL) {
            continue;
        }
        if (link_params[i].def == NULL) {
            return cfg_fail(l, item, "%skey '%s' is missing", ctx, link_params[i].key);
        }
        cfg_apply_default(&link_params[i], &p, NULL);
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
        return cfg_fail(l, item, "out of memory");
    }
    snprintf(ln->name, size, "%s -> %s", p.from, p.to);
    return true;
}

bool cfg_load_links(CfgLoader *l, const CfgNode *v)
{
    SimConfig *c = l->c;
    if (v == NULL || cfg_node_is_null(v)) {
        return true;
    }
    if (v->kind != CFG_NODE_SEQ) {
        return cfg_fail(l, v, "key 'links': expected a sequence of links, found %s",
                        cfg_node_what(v));
    }
    c->links = calloc(v->n + 1, sizeof(*c->links));
    if (c->links == NULL) {
        return cfg_fail(l, v, "out of memory");
    }
    for (size_t i = 0; i < v->n; i++) {
        c->n_links++;
        if (!load_link(l, i + 1, v->items[i])) {
            return false;
        }
    }
    return true;
}

bool cfg_check_open_ports(CfgLoader *l)
{
    const SimConfig *c = l->c;
    for (size_t i = 0; i < c->n_instances; i++) {
        const CfgInstance *in = &c->instances[i];
        for (size_t p = 0; p < in->type->n_ports; p++) {
            if (!in->type->ports[p].optional && in->port_link[p] == 0) {
                return cfg_fail(l, in->node, "instance '%s': port '%s' is not connected", in->name,
                                in->type->ports[p].name);
            }
        }
    }
    return true;
}

bool cfg_check_objects(CfgLoader *l)
{
    const SimConfig *c = l->c;
    for (size_t i = 0; i < c->n_instances; i++) {
        const CfgInstance *in = &c->instances[i];
        const SimModelType *t = in->type;
        for (size_t p = 0; p < t->n_params; p++) {
            const SimParamDesc *d = &t->params[p];
            const char *name = in->domain[p];
            if (d->type != SIM_PARAM_OBJECT || name == NULL || name[0] == '\0') {
                continue;
            }
            const CfgNode *at = in->given[p] != NULL ? in->given[p] : in->node;
            const char *kind = d->choices[0];
            size_t o = find_instance(l, name);
            if (o == SIZE_MAX) {
                /* Suggest the instances that make this kind of object. */
                CfgSuggest s;
                cfg_suggest_init(&s, name);
                for (size_t k = 0; k < c->n_instances; k++) {
                    const char *prov = c->instances[k].type->provides;
                    if (prov != NULL && strcmp(prov, kind) == 0) {
                        cfg_suggest_try(&s, c->instances[k].name);
                    }
                }
                char hint[300];
                cfg_suggest_text(&s, hint, sizeof(hint));
                return cfg_fail(l, at, "instance '%s': key '%s': no instance '%s'%s", in->name,
                                d->key, name, hint);
            }
            const SimModelType *ot = c->instances[o].type;
            if (ot->provides == NULL || strcmp(ot->provides, kind) != 0) {
                return cfg_fail(l, at, "instance '%s': key '%s': instance '%s' (%s) makes no %s",
                                in->name, d->key, name, ot->name, kind);
            }
        }
    }
    return true;
}

/*
 * Depth-first search over instances (file order) and their outgoing links (file order); the
 * first link that reaches an instance still on the stack closes the reported cycle.
 */
bool cfg_check_cycles(CfgLoader *l)
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
        ok = cfg_fail(l, NULL, "out of memory");
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
                ok = cfg_fail(l, c->links[k].node,
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
