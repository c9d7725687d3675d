/*
 * Checked topology -> Sim: domains, then instances through their type's build op, then links
 * through sim_connect(), then the pool sizes. Everything that can be wrong with the file was
 * found by the loader; what fails here is the kernel or a model refusing (out of memory, a
 * model-specific limit), and the message is prefixed with the position of what failed.
 *
 * Kept apart from config.c so that a program that only loads and checks a topology does not
 * link the kernel's build functions.
 */
#include "config_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Prefixes a kernel or model message with the position, and the instance unless it is named.
 * Out of memory is not about the file: it keeps its kind and reads "out of memory while building
 * 'NAME'", NAME being the instance, domain or link that was being built.
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
        return cfg_error_at(c, err, n, "%s: %s", who, msg); /* a name too long to compare */
    }
    if (strncmp(msg, prefix, (size_t)len) == 0) {
        return cfg_error_at(c, err, n, "%s", msg);
    }
    return cfg_error_at(c, err, n, "%s%s", prefix, msg);
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
        if (type->params[i].type != SIM_PARAM_DOMAIN) {
            continue;
        }
        SimDomain *d = sim_find_domain(sim, in->domain[i]);
        assert(d != NULL && "domains were checked and built");
        memcpy((char *)params + type->params[i].offset, &d, sizeof(d));
    }
    SimError inner;
    sim_error_clear(&inner);
    bool ok = type->build(sim, in->name, params, bindings, &inner);
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
    bool ok = true;
    for (size_t i = 0; i < c->n_instances && ok; i++) {
        const CfgInstance *in = &c->instances[i];
        ok = build_instance(c, in, sim, bindings + in->first_binding, err);
    }
    for (size_t k = 0; k < c->n_links && ok; k++) {
        const CfgLink *ln = &c->links[k];
        const CfgInstance *from = &c->instances[ln->from];
        const CfgInstance *to = &c->instances[ln->to];
        const SimPortBinding *pb = &bindings[from->first_binding + ln->from_port];
        const SimPortBinding *cb = &bindings[to->first_binding + ln->to_port];
        /* A model that declares a port must say where it lives (model.h). */
        assert(pb->component != NULL && pb->slot != NULL && "model left a port unbound");
        assert(cb->component != NULL && cb->slot != NULL && "model left a port unbound");
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
