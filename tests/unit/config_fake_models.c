/*
 * Fake model types for tests/unit/test_config.cc. fake_generic_types mirrors the parameters and
 * ports of models/generic that the negative cases in tests/config_errors use (so the same
 * expected messages hold for both registries); fake_extra_types adds what the generic models do
 * not have: every parameter type, a required key, a cross-parameter check, optional ports, and a
 * build that fails. Builds record what they were given in fake_last_* for the tests to inspect.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/config/model.h"

/* ---- shared component ---- */

typedef struct FakeComponent {
    SimComponent c;
    SimPort *in;
    SimPort *out;
    uint64_t sent;
    uint64_t lane_words[2];
    SimTimeAvg held;
} FakeComponent;

static SimCycle fake_tick(SimComponent *self, SimCycle now)
{
    (void)self;
    (void)now;
    return SIM_SLEEP;
}

static const SimComponentOps fake_ops = {
    .tick = fake_tick,
};

/*
 * Adds one component; binds ports[i] of a type whose ports are named "in" and "out" to the
 * component's fields of that name.
 */
static bool fake_add(Sim *sim, const char *name, SimDomain *d, const SimPortDesc *ports,
                     size_t n_ports, SimBuild *bld, SimError *err)
{
    FakeComponent *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return sim_error_set(err, SIM_ERR_INPUT, "out of memory");
    }
    if (!sim_add_component(sim, &f->c, name, d, &fake_ops, err)) {
        free(f);
        return false;
    }
    for (size_t i = 0; i < n_ports; i++) {
        sim_build_port(bld, ports[i].name, &f->c,
                       strcmp(ports[i].name, "in") == 0 ? &f->in : &f->out);
    }
    return true;
}

/* ---- generic.source / sink / delay (the keys the negative cases use) ---- */

typedef struct FakeSourceParams {
    SimDomain *domain;
    double rate;
    uint64_t size;
    uint64_t count;
} FakeSourceParams;

typedef struct FakeDomainOnly {
    SimDomain *domain;
} FakeDomainOnly;

typedef struct FakeDelayParams {
    SimDomain *domain;
    uint64_t delay;
    uint64_t depth;
} FakeDelayParams;

FakeSourceParams fake_last_source;

static const SimParamDesc source_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(FakeSourceParams, domain), "pcie", NULL, NULL, NULL,
     "clock domain"},
    {"rate", SIM_PARAM_REAL, offsetof(FakeSourceParams, rate), "1", "0.000001", "1", NULL,
     "packets offered per cycle"},
    {"size", SIM_PARAM_BYTES, offsetof(FakeSourceParams, size), "64B", "1B", "1MiB", NULL,
     "bytes per packet"},
    {"count", SIM_PARAM_UINT, offsetof(FakeSourceParams, count), "1000", "0", "1000000000000", NULL,
     "packets to send"},
};

static const SimPortDesc source_ports[] = {
    {"out", SIM_PORT_OUT, false, "packets offered"},
};

static bool source_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                         SimError *err)
{
    fake_last_source = *(const FakeSourceParams *)params;
    if (!fake_add(sim, name, fake_last_source.domain, source_ports, 1, bld, err)) {
        return false;
    }
    SimComponent *c = sim_find_component(sim, name);
    sim_build_stats(bld, &(SimStatBinding){.block = {c}, .count = {2}});
    return true;
}

/* The fake source's statistics: every kind of row the describe test prints. */
static const SimStatDesc source_stat_rows[] = {
    {.name = "sent",
     .kind = SIM_STAT_COUNTER,
     .offset = offsetof(FakeComponent, sent),
     .unit = "packets",
     .doc = "packets sent"},
    {.name = "lane<n>_words",
     .kind = SIM_STAT_COUNTER,
     .offset = offsetof(FakeComponent, lane_words),
     .unit = "words",
     .doc = "words on one lane",
     .group = 1,
     .stride = sizeof(uint64_t)},
    {.name = "held",
     .kind = SIM_STAT_TIMEAVG,
     .offset = offsetof(FakeComponent, held),
     .doc = "packets held, time-weighted"},
};

static const SimStatGroup source_stat_groups[] = {
    {"<n>", "0, 1: the lanes", NULL},
};

static const SimStatTable source_stats = {source_stat_rows, 3, source_stat_groups, 1, NULL, 0};

static const SimModelType fake_source = {
    .name = "generic.source",
    .doc = "Fake source. Second sentence.",
    .params = source_params,
    .n_params = sizeof(source_params) / sizeof(source_params[0]),
    .params_size = sizeof(FakeSourceParams),
    .ports = source_ports,
    .n_ports = 1,
    .build = source_build,
    .stats = &source_stats,
};

static const SimParamDesc sink_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(FakeDomainOnly, domain), "pcie", NULL, NULL, NULL,
     "clock domain"},
};

static const SimPortDesc sink_ports[] = {
    {"in", SIM_PORT_IN, false, "packets consumed"},
};

static bool sink_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const FakeDomainOnly *p = params;
    return fake_add(sim, name, p->domain, sink_ports, 1, bld, err);
}

static const SimModelType fake_sink = {
    .name = "generic.sink",
    .doc = "Fake sink.",
    .params = sink_params,
    .n_params = 1,
    .params_size = sizeof(FakeDomainOnly),
    .ports = sink_ports,
    .n_ports = 1,
    .build = sink_build,
};

static const SimParamDesc delay_params[] = {
    {"domain", SIM_PARAM_DOMAIN, offsetof(FakeDelayParams, domain), "pcie", NULL, NULL, NULL,
     "clock domain"},
    {"delay", SIM_PARAM_UINT, offsetof(FakeDelayParams, delay), "0", "0", "1000000000", NULL,
     "cycles each packet is held"},
    {"depth", SIM_PARAM_UINT, offsetof(FakeDelayParams, depth), "2", "1", "1048576", NULL,
     "packets held"},
};

static const SimPortDesc delay_ports[] = {
    {"in", SIM_PORT_IN, false, "packets taken"},
    {"out", SIM_PORT_OUT, false, "packets forwarded"},
};

static bool delay_build(Sim *sim, const char *name, const void *params, SimBuild *bld,
                        SimError *err)
{
    const FakeDelayParams *p = params;
    return fake_add(sim, name, p->domain, delay_ports, 2, bld, err);
}

static const SimModelType fake_delay = {
    .name = "generic.delay",
    .doc = "Fake delay stage.",
    .params = delay_params,
    .n_params = sizeof(delay_params) / sizeof(delay_params[0]),
    .params_size = sizeof(FakeDelayParams),
    .ports = delay_ports,
    .n_ports = 2,
    .build = delay_build,
};

/* ---- test.all: one parameter of every type ---- */

typedef struct FakeAllParams {
    bool flag;
    int64_t offset;
    uint64_t need; /* required */
    double ratio;
    SimTime wait;
    uint64_t clock;
    uint64_t buffer;
    double speed;
    double cable;
    int mode;
    char *label;
    SimDomain *domain;
    uint64_t lo;
    uint64_t hi;
} FakeAllParams;

FakeAllParams fake_last_all;
char fake_last_all_label[64];
char fake_last_all_domain[64];
int fake_all_builds;

static const char *const mode_names[] = {"fast", "slow", "off", NULL};

static const SimParamDesc all_params[] = {
    {"flag", SIM_PARAM_BOOL, offsetof(FakeAllParams, flag), "false", NULL, NULL, NULL, "a boolean"},
    {"offset", SIM_PARAM_INT, offsetof(FakeAllParams, offset), "-1", "-100", "100", NULL,
     "a signed integer"},
    {"need", SIM_PARAM_UINT, offsetof(FakeAllParams, need), NULL, "1", NULL, NULL,
     "a required count"},
    {"ratio", SIM_PARAM_REAL, offsetof(FakeAllParams, ratio), "0.5", "0", "1", NULL, "a ratio"},
    {"wait", SIM_PARAM_TIME, offsetof(FakeAllParams, wait), "6.4ns", "0", "1ms", NULL, "a time"},
    {"clock", SIM_PARAM_FREQ, offsetof(FakeAllParams, clock), "156.25MHz", "1MHz", "10GHz", NULL,
     "a frequency"},
    {"buffer", SIM_PARAM_BYTES, offsetof(FakeAllParams, buffer), "4KiB", "64B", "4GiB", NULL,
     "a size"},
    {"speed", SIM_PARAM_BITRATE, offsetof(FakeAllParams, speed), "10.3125Gbps", "1Mbps", "1Tbps",
     NULL, "a bit rate"},
    {"cable", SIM_PARAM_LENGTH, offsetof(FakeAllParams, cable), "3m", "0", "10km", NULL,
     "a length"},
    {"mode", SIM_PARAM_ENUM, offsetof(FakeAllParams, mode), "slow", NULL, NULL, mode_names,
     "a choice"},
    {"label", SIM_PARAM_STRING, offsetof(FakeAllParams, label), "none", NULL, NULL, NULL,
     "a string"},
    {"domain", SIM_PARAM_DOMAIN, offsetof(FakeAllParams, domain), "mem", NULL, NULL, NULL,
     "clock domain"},
    {"lo", SIM_PARAM_UINT, offsetof(FakeAllParams, lo), "0", NULL, NULL, NULL, "lower bound"},
    {"hi", SIM_PARAM_UINT, offsetof(FakeAllParams, hi), "10", NULL, NULL, NULL,
     "upper bound, at least lo"},
};

static const SimPortDesc all_ports[] = {
    {"in", SIM_PORT_IN, true, "optional input"},
    {"out", SIM_PORT_OUT, true, "optional output"},
};

static const char *all_check(const void *params, char *msg, size_t msg_size)
{
    const FakeAllParams *p = params;
    if (p->hi < p->lo) {
        snprintf(msg, msg_size, "%llu is below lo (%llu)", (unsigned long long)p->hi,
                 (unsigned long long)p->lo);
        return "hi";
    }
    if (p->lo == 7) {
        snprintf(msg, msg_size, "lo must not be 7");
        return "no_such_key";
    }
    return NULL;
}

static bool all_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    fake_last_all = *(const FakeAllParams *)params;
    /* The parameter struct dies with the call: copy strings out. */
    snprintf(fake_last_all_label, sizeof(fake_last_all_label), "%s", fake_last_all.label);
    snprintf(fake_last_all_domain, sizeof(fake_last_all_domain), "%s",
             fake_last_all.domain ? fake_last_all.domain->name : "(null)");
    fake_last_all.label = NULL;
    fake_all_builds++;
    return fake_add(sim, name, fake_last_all.domain, all_ports, 2, bld, err);
}

static const SimModelType fake_all = {
    .name = "test.all",
    .doc = "Every parameter type.",
    .params = all_params,
    .n_params = sizeof(all_params) / sizeof(all_params[0]),
    .params_size = sizeof(FakeAllParams),
    .ports = all_ports,
    .n_ports = 2,
    .check = all_check,
    .build = all_build,
};

/* ---- test.fail: a build that refuses ---- */

static const SimPortDesc fail_ports[] = {
    {"in", SIM_PORT_IN, true, NULL},
};

static bool fail_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    (void)sim;
    (void)params;
    (void)bld;
    return sim_error_set(err, SIM_ERR_INPUT, "refusing to build '%s'", name);
}

static const SimModelType fake_fail = {
    .name = "test.fail",
    .doc = NULL,
    .params = NULL,
    .n_params = 0,
    .params_size = 0,
    .ports = fail_ports,
    .n_ports = 1,
    .build = fail_build,
};

/* ---- test.oom: a build that runs out of memory in a part it names itself ---- */

static bool oom_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    (void)sim;
    (void)params;
    (void)bld;
    char part[256];
    snprintf(part, sizeof(part), "%s.part", name);
    return sim_error_oom(err, part);
}

static const SimModelType fake_oom = {
    .name = "test.oom",
    .doc = "A build that runs out of memory.",
    .build = oom_build,
};

/* ---- test.bind: a model that gets its port bindings wrong, as `mistake` says ---- */

typedef struct FakeBindParams {
    int mistake;
} FakeBindParams;

enum {
    BIND_NONE = 0,
    BIND_MISSPELT,
    BIND_TWICE,
    BIND_UNBOUND
};

static const char *const bind_mistakes[] = {"none", "misspelt", "twice", "unbound", NULL};

static const SimParamDesc bind_params[] = {
    {"mistake", SIM_PARAM_ENUM, offsetof(FakeBindParams, mistake), "none", NULL, NULL,
     bind_mistakes, "what the build gets wrong"},
};

static const SimPortDesc bind_ports[] = {
    {"in", SIM_PORT_IN, true, "optional input"},
    {"out", SIM_PORT_OUT, true, "optional output"},
};

static bool bind_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const FakeBindParams *p = params;
    FakeComponent *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return sim_error_oom(err, name);
    }
    if (!sim_add_component(sim, &f->c, name, sim_find_domain(sim, "mem"), &fake_ops, err)) {
        free(f);
        return false;
    }
    sim_build_port(bld, p->mistake == BIND_MISSPELT ? "inn" : "in", &f->c, &f->in);
    if (p->mistake == BIND_TWICE) {
        sim_build_port(bld, "in", &f->c, &f->in);
    }
    if (p->mistake != BIND_UNBOUND) {
        sim_build_port(bld, "out", &f->c, &f->out);
    }
    return true;
}

static const SimModelType fake_bind = {
    .name = "test.bind",
    .doc = "Port bindings gone wrong.",
    .params = bind_params,
    .n_params = 1,
    .params_size = sizeof(FakeBindParams),
    .ports = bind_ports,
    .n_ports = 2,
    .build = bind_build,
};

const SimModelType *const fake_generic_types[] = {&fake_source, &fake_sink, &fake_delay};
const size_t fake_generic_type_count = 3;

const SimModelType *const fake_all_types[] = {&fake_source, &fake_sink, &fake_delay, &fake_all,
                                              &fake_fail,   &fake_oom,  &fake_bind};
const size_t fake_all_type_count = 7;
