#include "shim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "systems/registry.h"
#include "sim/config/config.h"

struct ShimRun {
    SimConfig *config;
    Sim *sim;
    ShimEvent *events;
    size_t n_events;
    size_t cap_events;
    bool ran;
    SimRunInfo info;
};

/* Takes the loaded configuration (NULL: loading failed, err says why) and builds it. */
static ShimRun *build(SimConfig *config, SimError *err)
{
    ShimRun *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        sim_config_free(config);
        sim_error_set(err, SIM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    r->config = config;
    if (r->config == NULL) {
        goto fail;
    }
    r->sim = sim_new();
    if (r->sim == NULL || !sim_config_build(r->config, r->sim, err)) {
        goto fail;
    }
    return r;

fail:
    shim_free(r);
    return NULL;
}

ShimRun *shim_build(const char *yaml, SimError *err)
{
    return build(sim_config_load_string("<test>", yaml, strlen(yaml), &membox_registry, err), err);
}

ShimRun *shim_build_named(const char *display_name, const char *yaml, SimError *err)
{
    return build(sim_config_load_string(display_name, yaml, strlen(yaml), &membox_registry, err),
                 err);
}

ShimRun *shim_build_file(const char *path, SimError *err)
{
    return build(sim_config_load_file(path, &membox_registry, err), err);
}

void shim_free(ShimRun *r)
{
    if (r == NULL) {
        return;
    }
    sim_free(r->sim);
    sim_config_free(r->config);
    free(r->events);
    free(r);
}

Sim *shim_sim(ShimRun *r)
{
    return r->sim;
}

static void tap(void *ctx, const SimPort *port, SimTapEvent ev, const SimPacket *pkt, SimTime now,
                SimTime visible)
{
    ShimRun *r = ctx;
    if (r->n_events == r->cap_events) {
        /* Tests only: the tap may allocate, the kernel never does. */
        size_t cap = r->cap_events ? 2 * r->cap_events : 256;
        ShimEvent *e = realloc(r->events, cap * sizeof(*e));
        if (e == NULL) {
            abort();
        }
        r->events = e;
        r->cap_events = cap;
    }
    r->events[r->n_events++] = (ShimEvent){
        .ev = ev,
        .pkt_id = pkt->id,
        .now = now,
        .visible = visible,
        .addr = pkt->addr,
        .len = pkt->len,
        .type = pkt->type,
        .seq = pkt->seq,
    };
    (void)port;
}

bool shim_capture(ShimRun *r, const char *port_key)
{
    SimPort *p = sim_find_port(r->sim, port_key);
    if (p == NULL) {
        return false;
    }
    sim_port_set_tap(p, tap, r);
    return true;
}

bool shim_run(ShimRun *r, SimKernelKind kernel, SimTime until, uint64_t order_seed, SimError *err)
{
    SimRunOptions o;
    sim_run_options_default(&o);
    sim_config_run_options(r->config, &o);
    o.kernel = kernel;
    if (until != SIM_TIME_NEVER) {
        o.until = until;
    }
    o.order_seed = order_seed;
    bool ok = sim_run(r->sim, &o, err);
    r->ran = true;
    r->info = (SimRunInfo){
        .config = "<test>",
        .seed = o.seed,
        .kernel = sim_kernel_name(kernel),
        .end_time = r->sim->end_time,
        .wall_seconds = 0.0,
        .activations = r->sim->activations,
    };
    return ok;
}

bool shim_run_cycles(ShimRun *r, const char *domain, uint64_t n, SimKernelKind kernel,
                     SimError *err)
{
    SimDomain *d = sim_find_domain(r->sim, domain);
    if (d == NULL) {
        return sim_error_set(err, SIM_ERR_INPUT, "no clock domain '%s'", domain);
    }
    return shim_run(r, kernel, sim_domain_time(d, n), 0, err);
}

size_t shim_event_count(const ShimRun *r)
{
    return r->n_events;
}

const ShimEvent *shim_event(const ShimRun *r, size_t i)
{
    return i < r->n_events ? &r->events[i] : NULL;
}

double shim_stat(const ShimRun *r, const char *key)
{
    double v;
    return sim_stats_get(r->sim->stats, key, &v) ? v : NAN;
}

char *shim_stats_json(const ShimRun *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return NULL;
    }
    bool ok = sim_stats_write_json(r->sim->stats, &r->info, f);
    if (fclose(f) != 0 || !ok) {
        free(buf);
        return NULL;
    }
    /* Cut the "host" section: it holds the kernel name, wall time and activation count. */
    char *host = strstr(buf, "\"host\"");
    if (host != NULL) {
        *host = '\0';
    }
    return buf;
}

char *shim_ring_yaml(unsigned n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return NULL;
    }
    fprintf(f, "sim: {allow_cycles: true}\ninstances:\n");
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "  s%u: {type: generic.delay, domain: %s, depth: 2, tokens: 1}\n", i,
                i < n / 2 ? "pcie" : "lane");
    }
    fprintf(f, "links:\n");
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "  - {from: s%u:out, to: s%u:in, depth: 2, latency: 1}\n", i, (i + 1) % n);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
