/*
 * Checked topology -> Sim: domains, then instances through their type's build op (those that
 * make objects for others first), then links
 * through sim_connect(), then the pool sizes. Everything that can be wrong with the file was
 * found by the loader; what fails here is the kernel or a model refusing (out of memory, a
 * model-specific limit), and the message is prefixed with the position of what failed.
 *
 * Kept apart from the loader so that a program that only loads and checks a topology does not
 * link the kernel's build functions.
 */
#include "config_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Prefixes a kernel or model message with the position, and the instance unless it is named;
 * the kind is the inner one (bad input, or a model's own mistake). Out of memory is not about the
 * file: it reads "out of memory while building 'NAME'", NAME being the instance, domain or link
 * that was being built.
 */
static bool build_error(const SimConfig *c, SimError *err, const CfgNode *n, const char *who,
                        const char *name, const SimError *inner)
{
    if (inner->kind == SIM_ERR_NOMEM) {
        return sim_error_oom(err, name);
    }
    char prefix[300];
    const char *msg = inner->msg[0] != '\0' ? inner->msg : "build failed";
    int len = snprintf(prefix, sizeof(prefix), "%s: ", who);
    if (len < 0 || (size_t)len >= sizeof(prefix)) {
        cfg_error_at(c, err, n, "%s: %s", who, msg); /* a name too long to compare */
    } else if (strncmp(msg, prefix, (size_t)len) == 0) {
        cfg_error_at(c, err, n, "%s", msg);
    } else {
        cfg_error_at(c, err, n, "%s%s", prefix, msg);
    }
    if (err != NULL && inner->kind != SIM_ERR_NONE) {
        err->kind = inner->kind;
    }
    return false;
}

static bool build_domains(const SimConfig *c, Sim *sim, SimError *err)
{
    for (size_t i = 0; i < c->n_domains; i++) {
        const CfgDomain *d = &c->domains[i];
        SimDomain *sd = sim_find_domain(sim, d->name);
        if (sd != NULL) {
            /* Made by the caller before the build: the topology's clock wins. */
            sd->period = d->period;
            sd->phase = d->phase;
            continue;
        }
        SimError inner;
        sim_error_clear(&inner);
        if (sim_add_domain(sim, d->name, d->period, d->phase, &inner) == NULL) {
            char who[300];
            snprintf(who, sizeof(who), "domain '%s'", d->name);
            return build_error(c, err, d->node, who, d->name, &inner);
        }
    }
    return true;
}

/* After a build op: every declared port bound once, by a declared name (model.h). A mistake
 * is the model's, not the topology's: kind SIM_ERR_SIMULATION, as a model failing at run time. */
static bool check_bindings(const SimBuild *b, SimError *inner)
{
    const SimModelType *t = b->type;
    if (b->mistake[0] != '\0') {
        return sim_error_set(inner, SIM_ERR_SIMULATION, "model '%s' %s", t->name, b->mistake);
    }
    for (size_t i = 0; i < t->n_ports; i++) {
        if (b->bindings[i].slot == NULL) {
            return sim_error_set(inner, SIM_ERR_SIMULATION, "model '%s' leaves port '%s' unbound",
                                 t->name, t->ports[i].name);
        }
    }
    if ((t->stats != NULL) != b->stats_bound) {
        return sim_error_set(inner, SIM_ERR_SIMULATION,
                             t->stats != NULL ? "model '%s' gives no blocks for its statistics"
                                              : "model '%s' gives statistics blocks but has no "
                                                "statistics table",
                             t->name);
    }
    return true;
}

/* The instance's statistics, from its type's table (model.h). */
static bool register_stats(const SimBuild *b, Sim *sim, const char *name, SimError *inner)
{
    if (b->type->stats == NULL ||
        sim_stats_add_table(sim->stats, name, b->type->stats, &b->stats)) {
        return true;
    }
    if (errno == EEXIST) {
        /* Instance names hold no dot, so only the type's own table can repeat a key. */
        return sim_error_set(inner, SIM_ERR_SIMULATION,
                             "model '%s' makes a statistic key twice (its table or its group "
                             "labels repeat one)",
                             b->type->name);
    }
    return sim_error_oom(inner, name);
}

static bool build_instance(const SimConfig *c, const CfgInstance *in, Sim *sim,
                           SimPortBinding *bindings, SimError *err)
{
    const SimModelType *type = in->type;
    char who[300];
    snprintf(who, sizeof(who), "instance '%s'", in->name);
    void *params = malloc(type->params_size ? type->params_size : 1);
    if (params == NULL) {
        return sim_error_oom(err, in->name);
    }
    memcpy(params, in->params, type->params_size);
    for (size_t i = 0; i < type->n_params; i++) {
        const SimParamDesc *pd = &type->params[i];
        if (pd->type == SIM_PARAM_DOMAIN) {
            SimDomain *d = sim_find_domain(sim, in->domain[i]);
            assert(d != NULL && "domains were checked and built");
            memcpy((char *)params + pd->offset, &d, sizeof(d));
        } else if (pd->type == SIM_PARAM_OBJECT && in->domain[i] != NULL &&
                   in->domain[i][0] != '\0') {
            /* Made by its instance, built before this one (sim_config_build). */
            void *o = sim_find_object(sim, in->domain[i], pd->choices[0]);
            if (o == NULL) {
                free(params);
                return cfg_error_at(c, err, in->node, "%s: key '%s': instance '%s' made no %s", who,
                                    pd->key, in->domain[i], pd->choices[0]);
            }
            memcpy((char *)params + pd->offset, &o, sizeof(o));
        }
    }
    SimError inner;
    sim_error_clear(&inner);
    SimBuild b = {.type = type, .bindings = bindings, .stats_bound = false};
    b.mistake[0] = '\0';
    bool ok = type->build(sim, in->name, params, &b, &inner) && check_bindings(&b, &inner) &&
              register_stats(&b, sim, in->name, &inner);
    free(params);
    if (!ok) {
        return build_error(c, err, in->node, who, in->name, &inner);
    }
    return true;
}

bool sim_config_build(const SimConfig *c, Sim *sim, SimError *err)
{
    if (!build_domains(c, sim, err)) {
        return false;
    }
    SimPortBinding *bindings = calloc(c->n_bindings + 1, sizeof(*bindings));
    if (bindings == NULL) {
        return sim_error_oom(err, sim_config_path(c) ? sim_config_path(c) : "the topology");
    }
    /* Instances that make objects for others first (SimModelType.provides), then the rest,
     * each group in file order. */
    bool ok = true;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < c->n_instances && ok; i++) {
            const CfgInstance *in = &c->instances[i];
            if ((in->type->provides != NULL) == (pass == 0)) {
                ok = build_instance(c, in, sim, bindings + in->first_binding, err);
            }
        }
    }
    for (size_t k = 0; k < c->n_links && ok; k++) {
        const CfgLink *ln = &c->links[k];
        const CfgInstance *from = &c->instances[ln->from];
        const CfgInstance *to = &c->instances[ln->to];
        const SimPortBinding *pb = &bindings[from->first_binding + ln->from_port];
        const SimPortBinding *cb = &bindings[to->first_binding + ln->to_port];
        assert(pb->slot != NULL && cb->slot != NULL && "checked after each build");
        SimError inner;
        sim_error_clear(&inner);
        if (sim_connect(sim, pb->component, pb->slot, cb->component, cb->slot, ln->depth,
                        ln->latency, ln->sync, ln->name, &inner) == NULL) {
            char who[300];
            snprintf(who, sizeof(who), "link %zu", k + 1);
            ok = build_error(c, err, ln->node, who, ln->name, &inner);
        }
    }
    free(bindings);
    if (ok) {
        sim_config_pool_options(c, &sim->pool_options);
    }
    return ok;
}
