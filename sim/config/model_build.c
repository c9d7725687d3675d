/*
 * What a model's build op calls (model.h): its ports bound by name, its statistics blocks. The
 * builder (config_build.c) checks the result once the build op returns.
 */
#include "model_build.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void sim_build_stats(SimBuild *b, const SimStatBinding *stats)
{
    if (b->stats_bound && b->mistake[0] == '\0') {
        snprintf(b->mistake, sizeof(b->mistake), "gives its statistics blocks twice");
    }
    b->stats = *stats;
    b->stats_bound = true;
}

bool sim_build_port(SimBuild *b, const char *port, SimComponent *c, SimPort **slot)
{
    assert(c != NULL && slot != NULL);
    const SimModelType *t = b->type;
    for (size_t i = 0; i < t->n_ports; i++) {
        if (strcmp(t->ports[i].name, port) != 0) {
            continue;
        }
        if (b->bindings[i].slot != NULL) {
            if (b->mistake[0] == '\0') {
                snprintf(b->mistake, sizeof(b->mistake), "binds port '%s' twice", port);
            }
            return false;
        }
        b->bindings[i] = (SimPortBinding){c, slot};
        return true;
    }
    if (b->mistake[0] == '\0') {
        snprintf(b->mistake, sizeof(b->mistake), "binds port '%s', which its type does not declare",
                 port);
    }
    return false;
}
