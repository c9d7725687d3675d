/*
 * Fabric checks: the tree that carries requests from nodes to memories (docs/config.md, "Fabric
 * checks"). A MemBox fabric's request and response paths form directed cycles, so it sets
 * sim.allow_cycles and the plain cycle check is off; what must still hold is a property of the
 * request direction alone, which the model types declare (SimModelType.role and .flows, model.h).
 *
 * The graph has one node per port of every instance. Its edges: a link, from its output to its
 * input; inside an instance that is not a memory, from each SIM_FLOW_REQUEST input to each
 * SIM_FLOW_REQUEST output; and from a SIM_FLOW_THROUGH input to its `to` output. In that graph,
 * in this order (the first failure is reported):
 *
 *   1. no loop reachable from any request output (instances in file order, ports in table
 *      order; links in a loop are listed with both endpoints);
 *   2. every requester and adapter (file order) reaches a memory on every path;
 *   3. on the way, at most sim.max_depth switch instances;
 *   4. no memory is reached by more than sim.max_adapters adapters (file order).
 *
 * Nothing is checked while no instance has a role, so generic topologies are unaffected; 2-4
 * only when some instance is a memory: a topology without any is a bench of parts (the chain of
 * switches between a generic source and sink in tests/unit/test_repeater.cc, with idle testers
 * closing response ports), not a fabric.
 */
#include "config_internal.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How the request path from a node ends. */
typedef enum FabEnd {
    FAB_END_MEMORY = 0,  /* a memory's request input, on every path */
    FAB_END_DANGLING,    /* an output connected to nothing */
    FAB_END_NOT_MEMORY,  /* an input of an instance that neither ends nor forwards requests */
    FAB_END_NO_REQUESTS, /* an input that takes no requests */
} FabEnd;

typedef struct Fab {
    const SimConfig *c;
    SimError *err;
    size_t n;            /* nodes: one per port of every instance */
    size_t *inst;        /* per node: its instance */
    size_t *port;        /* per node: its port index in the type's table */
    unsigned char *flow; /* per node: SimFlow */
    size_t *thru;        /* per node: SIM_FLOW_THROUGH target node */
    /* Per node, once finished (the graph is acyclic by then): where its request path ends. */
    unsigned char *end;
    size_t *end_at;  /* the node the path ends at (not FAB_END_MEMORY) */
    uint32_t *depth; /* switch levels from here to the memory, deepest path */
    size_t *next;    /* successor on that path, SIZE_MAX at the end */
    size_t *memory;  /* the memory instance at the end of that path */
    unsigned char *color;
    size_t *stack;
    size_t *iter;
    size_t *pos; /* stack position of a node on the stack */
} Fab;

static size_t node_of(const Fab *f, size_t inst, size_t port)
{
    return f->c->instances[inst].first_binding + port;
}

static bool is_out(const Fab *f, size_t v)
{
    return f->c->instances[f->inst[v]].type->ports[f->port[v]].dir == SIM_PORT_OUT;
}

static SimRole role_of(const Fab *f, size_t inst)
{
    return f->c->instances[inst].type->role;
}

static size_t port_index(const SimModelType *t, const char *name)
{
    for (size_t p = 0; p < t->n_ports; p++) {
        if (strcmp(t->ports[p].name, name) == 0) {
            return p;
        }
    }
    return SIZE_MAX;
}

/* Fills the per-node tables; a flow naming a port the type lacks is a programming error. */
static void resolve_flows(Fab *f)
{
    const SimConfig *c = f->c;
    for (size_t i = 0; i < c->n_instances; i++) {
        const CfgInstance *in = &c->instances[i];
        const SimModelType *t = in->type;
        for (size_t p = 0; p < t->n_ports; p++) {
            size_t v = node_of(f, i, p);
            f->inst[v] = i;
            f->port[v] = p;
            f->flow[v] = SIM_FLOW_NONE;
            f->thru[v] = SIZE_MAX;
        }
        for (size_t k = 0; k < t->n_flows; k++) {
            const SimPortFlow *fl = &t->flows[k];
            size_t p = port_index(t, fl->port);
            assert(p != SIZE_MAX && "a flow names a port its type does not have");
            size_t v = node_of(f, i, p);
            f->flow[v] = (unsigned char)fl->flow;
            if (fl->flow == SIM_FLOW_THROUGH) {
                size_t q = fl->to != NULL ? port_index(t, fl->to) : SIZE_MAX;
                assert(q != SIZE_MAX && t->ports[p].dir == SIM_PORT_IN &&
                       t->ports[q].dir == SIM_PORT_OUT && "a through flow goes from in to out");
                f->thru[v] = node_of(f, i, q);
            }
        }
    }
}

/* The k-th request output of instance i (k from 0), or SIZE_MAX. */
static size_t request_out(const Fab *f, size_t i, size_t k)
{
    const SimModelType *t = f->c->instances[i].type;
    for (size_t p = 0; p < t->n_ports; p++) {
        size_t v = node_of(f, i, p);
        if (t->ports[p].dir == SIM_PORT_OUT && f->flow[v] == SIM_FLOW_REQUEST) {
            if (k == 0) {
                return v;
            }
            k--;
        }
    }
    return SIZE_MAX;
}

/* The k-th successor of node v, or SIZE_MAX. */
static size_t successor(const Fab *f, size_t v, size_t k)
{
    const CfgInstance *in = &f->c->instances[f->inst[v]];
    if (is_out(f, v)) {
        size_t link = in->port_link[f->port[v]];
        if (k > 0 || link == 0) {
            return SIZE_MAX;
        }
        const CfgLink *ln = &f->c->links[link - 1];
        return node_of(f, ln->to, ln->to_port);
    }
    if (f->flow[v] == SIM_FLOW_THROUGH) {
        return k == 0 ? f->thru[v] : SIZE_MAX;
    }
    if (f->flow[v] == SIM_FLOW_REQUEST && in->type->role != SIM_ROLE_MEMORY) {
        return request_out(f, f->inst[v], k);
    }
    return SIZE_MAX;
}

static void copy_result(Fab *f, size_t v, size_t w)
{
    f->end[v] = f->end[w];
    f->end_at[v] = f->end_at[w];
    f->depth[v] = f->depth[w];
    f->memory[v] = f->memory[w];
    f->next[v] = w;
}

static void set_end(Fab *f, size_t v, FabEnd e)
{
    f->end[v] = (unsigned char)e;
    f->end_at[v] = v;
    f->depth[v] = 0;
    f->memory[v] = SIZE_MAX;
    f->next[v] = SIZE_MAX;
}

/*
 * The request outputs of instance i, all finished, seen from a request input or from the
 * instance as a source: the first bad path in port order, else the deepest. Into slot v.
 */
static void combine_outputs(Fab *f, size_t v, size_t i)
{
    size_t best = SIZE_MAX;
    for (size_t k = 0;; k++) {
        size_t w = request_out(f, i, k);
        if (w == SIZE_MAX) {
            break;
        }
        if (f->end[w] != FAB_END_MEMORY) {
            best = w;
            break;
        }
        if (best == SIZE_MAX || f->depth[w] > f->depth[best]) {
            best = w;
        }
    }
    if (best == SIZE_MAX) {
        set_end(f, v, FAB_END_NOT_MEMORY);
        return;
    }
    copy_result(f, v, best);
}

/* Called once every successor of v is finished. */
static void finish(Fab *f, size_t v)
{
    size_t i = f->inst[v];
    if (is_out(f, v)) {
        size_t w = successor(f, v, 0);
        if (w == SIZE_MAX) {
            set_end(f, v, FAB_END_DANGLING);
        } else {
            copy_result(f, v, w);
        }
    } else if (f->flow[v] == SIM_FLOW_REQUEST && role_of(f, i) == SIM_ROLE_MEMORY) {
        set_end(f, v, FAB_END_MEMORY);
        f->memory[v] = i;
    } else if (f->flow[v] == SIM_FLOW_REQUEST) {
        combine_outputs(f, v, i);
        if (f->end[v] == FAB_END_MEMORY && role_of(f, i) == SIM_ROLE_SWITCH) {
            f->depth[v]++;
        }
    } else if (f->flow[v] == SIM_FLOW_THROUGH) {
        copy_result(f, v, f->thru[v]);
    } else if (role_of(f, i) == SIM_ROLE_NONE && f->c->instances[i].type->n_flows == 0) {
        /* A type outside the checks (a generic sink, say): name what it is not. */
        set_end(f, v, FAB_END_NOT_MEMORY);
    } else {
        set_end(f, v, FAB_END_NO_REQUESTS);
    }
}

/* "a -> b, c -> d": the links on the stack from position `from` to the top, then v's. */
static size_t loop_links(const Fab *f, size_t from, size_t top, char *buf, size_t size)
{
    size_t used = 0;
    size_t last = SIZE_MAX;
    buf[0] = '\0';
    for (size_t j = from; j <= top; j++) {
        size_t u = f->stack[j];
        if (!is_out(f, u)) {
            continue;
        }
        size_t link = f->c->instances[f->inst[u]].port_link[f->port[u]] - 1;
        last = link;
        int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", f->c->links[link].name);
        if (w < 0 || (size_t)w >= size - used) {
            break;
        }
        used += (size_t)w;
    }
    return last;
}

/* 1: depth-first from every request output; also finishes every node it reaches. */
static bool check_loops(Fab *f)
{
    const SimConfig *c = f->c;
    for (size_t s = 0; s < f->n; s++) {
        if (f->color[s] != 0 || !is_out(f, s) || f->flow[s] != SIM_FLOW_REQUEST) {
            continue;
        }
        size_t top = 0;
        f->stack[0] = s;
        f->iter[0] = 0;
        f->pos[s] = 0;
        f->color[s] = 1;
        for (;;) {
            size_t u = f->stack[top];
            size_t w = successor(f, u, f->iter[top]++);
            if (w == SIZE_MAX) {
                finish(f, u);
                f->color[u] = 2;
                if (top == 0) {
                    break;
                }
                top--;
            } else if (f->color[w] == 0) {
                top++;
                f->stack[top] = w;
                f->iter[top] = 0;
                f->pos[w] = top;
                f->color[w] = 1;
            } else if (f->color[w] == 1) {
                char list[SIM_ERROR_MSG_MAX];
                size_t last = loop_links(f, f->pos[w], top, list, sizeof(list));
                assert(last != SIZE_MAX && "a loop without a link");
                return cfg_error_at(c, f->err, c->links[last].node,
                                    "link %zu closes a loop of requests: %s; requests must go "
                                    "up a tree to a memory (sim.allow_cycles does not allow this)",
                                    last + 1, list);
            }
        }
    }
    return true;
}

static bool is_source(const Fab *f, size_t i)
{
    SimRole r = role_of(f, i);
    return r == SIM_ROLE_REQUESTER || r == SIM_ROLE_ADAPTER;
}

/* 2: every source's request path ends at a memory. Slot `scratch` holds the source's result. */
static bool check_reach(Fab *f, size_t i, size_t scratch)
{
    const SimConfig *c = f->c;
    const CfgInstance *in = &c->instances[i];
    assert(request_out(f, i, 0) != SIZE_MAX && "a requester or adapter without a request port");
    combine_outputs(f, scratch, i);
    if (f->end[scratch] == FAB_END_MEMORY) {
        return true;
    }
    size_t v = f->end_at[scratch];
    const CfgInstance *at = &c->instances[f->inst[v]];
    const char *port = at->type->ports[f->port[v]].name;
    if (f->end[scratch] == FAB_END_DANGLING) {
        return cfg_error_at(c, f->err, in->node,
                            "instance '%s': no path from its requests to a memory: its request "
                            "path ends at '%s:%s', which is connected to nothing",
                            in->name, at->name, port);
    }
    size_t link = at->port_link[f->port[v]] - 1;
    if (f->end[scratch] == FAB_END_NOT_MEMORY) {
        return cfg_error_at(c, f->err, in->node,
                            "instance '%s': no path from its requests to a memory: its request "
                            "path ends in link %zu (%s) at '%s', a %s, which is not a memory",
                            in->name, link + 1, c->links[link].name, at->name, at->type->name);
    }
    return cfg_error_at(c, f->err, in->node,
                        "instance '%s': no path from its requests to a memory: its request path "
                        "ends in link %zu (%s) at '%s:%s', a port of %s that takes no requests",
                        in->name, link + 1, c->links[link].name, at->name, port, at->type->name);
}

/* 3: switch levels on the deepest path of a source (its result in slot `scratch`). */
static bool check_depth(Fab *f, size_t i, size_t scratch)
{
    const SimConfig *c = f->c;
    if (f->depth[scratch] <= c->sim.max_depth) {
        return true;
    }
    char list[SIM_ERROR_MSG_MAX];
    size_t used = 0;
    list[0] = '\0';
    for (size_t v = f->next[scratch]; v != SIZE_MAX; v = f->next[v]) {
        size_t j = f->inst[v];
        if (is_out(f, v) || f->flow[v] != SIM_FLOW_REQUEST || role_of(f, j) != SIM_ROLE_SWITCH) {
            continue;
        }
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
                         c->instances[j].name);
        if (w < 0 || (size_t)w >= sizeof(list) - used) {
            break;
        }
        used += (size_t)w;
    }
    return cfg_error_at(c, f->err, c->instances[i].node,
                        "instance '%s': its requests pass %u switch level%s on their way to "
                        "memory '%s' (%s), above sim.max_depth %llu",
                        c->instances[i].name, (unsigned)f->depth[scratch],
                        f->depth[scratch] == 1 ? "" : "s", c->instances[f->memory[scratch]].name,
                        list, (unsigned long long)c->sim.max_depth);
}

/* 4: adapters per memory. Reuses color (as a stamp per adapter) and stack. */
static bool check_adapters(Fab *f)
{
    const SimConfig *c = f->c;
    size_t ni = c->n_instances;
    bool ok = true;
    size_t *stamp = calloc(f->n + 1, sizeof(*stamp));
    size_t *mem_stamp = calloc(ni + 1, sizeof(*mem_stamp));
    size_t *count = calloc(ni + 1, sizeof(*count));
    size_t *first = calloc(ni + 1, sizeof(*first));
    if (stamp == NULL || mem_stamp == NULL || count == NULL || first == NULL) {
        ok = cfg_error_at(c, f->err, NULL, "out of memory");
        goto out;
    }
    for (size_t a = 0; a < ni && ok; a++) {
        if (role_of(f, a) != SIM_ROLE_ADAPTER) {
            continue;
        }
        size_t top = 0;
        for (size_t k = 0;; k++) {
            size_t v = request_out(f, a, k);
            if (v == SIZE_MAX) {
                break;
            }
            stamp[v] = a + 1;
            f->stack[top++] = v;
        }
        while (top > 0 && ok) {
            size_t u = f->stack[--top];
            size_t m = f->inst[u];
            if (!is_out(f, u) && f->flow[u] == SIM_FLOW_REQUEST &&
                role_of(f, m) == SIM_ROLE_MEMORY && mem_stamp[m] != a + 1) {
                mem_stamp[m] = a + 1;
                if (count[m]++ == 0) {
                    first[m] = a;
                }
                if (count[m] > c->sim.max_adapters) {
                    ok = cfg_error_at(c, f->err, c->instances[a].node,
                                      "instance '%s': %zu adapters send requests to memory '%s' "
                                      "('%s' first, this one last), above sim.max_adapters %llu",
                                      c->instances[a].name, count[m], c->instances[m].name,
                                      c->instances[first[m]].name,
                                      (unsigned long long)c->sim.max_adapters);
                }
            }
            for (size_t k = 0;; k++) {
                size_t w = successor(f, u, k);
                if (w == SIZE_MAX) {
                    break;
                }
                if (stamp[w] != a + 1) {
                    stamp[w] = a + 1;
                    f->stack[top++] = w;
                }
            }
        }
    }
out:
    free(stamp);
    free(mem_stamp);
    free(count);
    free(first);
    return ok;
}

bool cfg_check_fabric(const SimConfig *c, SimError *err)
{
    bool any = false;
    bool memory = false;
    for (size_t i = 0; i < c->n_instances; i++) {
        any = any || c->instances[i].type->role != SIM_ROLE_NONE;
        memory = memory || c->instances[i].type->role == SIM_ROLE_MEMORY;
    }
    if (!any) {
        return true;
    }
    /* One more slot than the ports: the scratch result of a source instance. */
    size_t n = c->n_bindings;
    Fab f = {.c = c, .err = err, .n = n};
    f.inst = calloc(n + 1, sizeof(*f.inst));
    f.port = calloc(n + 1, sizeof(*f.port));
    f.flow = calloc(n + 1, 1);
    f.thru = calloc(n + 1, sizeof(*f.thru));
    f.end = calloc(n + 1, 1);
    f.end_at = calloc(n + 1, sizeof(*f.end_at));
    f.depth = calloc(n + 1, sizeof(*f.depth));
    f.next = calloc(n + 1, sizeof(*f.next));
    f.memory = calloc(n + 1, sizeof(*f.memory));
    f.color = calloc(n + 1, 1);
    f.stack = calloc(n + 1, sizeof(*f.stack));
    f.iter = calloc(n + 1, sizeof(*f.iter));
    f.pos = calloc(n + 1, sizeof(*f.pos));
    bool ok = f.inst && f.port && f.flow && f.thru && f.end && f.end_at && f.depth && f.next &&
              f.memory && f.color && f.stack && f.iter && f.pos;
    if (!ok) {
        cfg_error_at(c, err, NULL, "out of memory");
        goto out;
    }
    resolve_flows(&f);
    ok = check_loops(&f);
    if (!memory) {
        goto out;
    }
    for (size_t i = 0; i < c->n_instances && ok; i++) {
        ok = !is_source(&f, i) || check_reach(&f, i, n);
    }
    for (size_t i = 0; i < c->n_instances && ok; i++) {
        if (is_source(&f, i)) {
            combine_outputs(&f, n, i);
            ok = check_depth(&f, i, n);
        }
    }
    if (ok) {
        ok = check_adapters(&f);
    }
out:
    free(f.inst);
    free(f.port);
    free(f.flow);
    free(f.thru);
    free(f.end);
    free(f.end_at);
    free(f.depth);
    free(f.next);
    free(f.memory);
    free(f.color);
    free(f.stack);
    free(f.iter);
    free(f.pos);
    return ok;
}
