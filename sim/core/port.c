#include "kernel.h"

#include <string.h>

uint32_t sim_port_visible_count(const SimPort *p)
{
    uint32_t n = 0;
    uint32_t k = p->head;
    SimTime now = *p->now;
    for (uint32_t i = 0; i < p->count; i++) {
        if (p->ring[k].visible > now) {
            break;
        }
        n++;
        if (++k == p->capacity) {
            k = 0;
        }
    }
    return n;
}

SimPort *sim_find_port(const Sim *sim, const char *stats_key)
{
    for (uint32_t i = 0; i < sim->n_ports; i++) {
        if (strcmp(sim->ports[i]->stats_key, stats_key) == 0) {
            return sim->ports[i];
        }
    }
    return NULL;
}

void sim_port_set_tap(SimPort *p, SimPortTapFn fn, void *ctx)
{
    p->tap = fn;
    p->tap_ctx = ctx;
}

SimTime sim_port_crossing_time(const SimPort *p, SimTime now)
{
    SimTime target = now + (p->latency ? p->latency_ps : 1);
    if (target <= p->phase) {
        return p->phase;
    }
    return p->phase + (target - p->phase + p->period - 1) / p->period * p->period;
}
