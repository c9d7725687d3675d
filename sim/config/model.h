/*
 * What a model declares so that the configuration layer can parse, check, describe and build
 * it without knowing it: a `static const SimModelType` with a parameter table and a port table.
 * The parser, the validation, `membox-sim describe TYPE` and docs/models/ pages all come from
 * these tables (ARCHITECTURE.md section 7).
 *
 *   static const SimParamDesc src_params[] = {
 *       {"rate", SIM_PARAM_REAL, offsetof(SrcParams, rate), "1", "0", "1", NULL,
 *        "packets offered per cycle"},
 *       ...
 *   };
 */
#ifndef MEMBOX_SIM_CONFIG_MODEL_H
#define MEMBOX_SIM_CONFIG_MODEL_H

#include <stddef.h>

#include "../core/kernel.h"
#include "../core/util.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum SimParamType {
    SIM_PARAM_BOOL = 0, /* bool: true/false */
    SIM_PARAM_INT,      /* int64_t, plain number */
    SIM_PARAM_UINT,     /* uint64_t, plain number */
    SIM_PARAM_REAL,     /* double, plain number */
    SIM_PARAM_TIME,     /* SimTime in ps: "6.4ns", "3us", "1250ps", "0" */
    SIM_PARAM_FREQ,     /* uint64_t Hz: "156.25MHz", "800MHz", "1GHz" */
    SIM_PARAM_BYTES,    /* uint64_t bytes: "64B", "4KiB", "4GiB", "1kB" */
    SIM_PARAM_BITRATE,  /* double bit/s: "10.3125Gbps", "56Gbps" */
    SIM_PARAM_LENGTH,   /* double metres: "3m", "50cm" */
    SIM_PARAM_ENUM,     /* int index into choices */
    SIM_PARAM_STRING,   /* char *, owned by the configuration */
    SIM_PARAM_DOMAIN,   /* SimDomain *, given as a domain name */
    SIM_PARAM_PATH,     /* const char *: a file name, resolved relative to the file it is
                           written in (a command-line value: relative to the working folder) */
    SIM_PARAM_OBJECT,   /* void *: an object another instance makes (sim_add_object), given as
                           that instance's name; choices[0] is the kind it must provide
                           (SimModelType.provides). Default "": none (NULL) */
    SIM_PARAM_TYPE_MAX
} SimParamType;

typedef struct SimParamDesc {
    const char *key;
    SimParamType type;
    size_t offset;   /* into the model's parameter struct */
    const char *def; /* default, written as in YAML; NULL: the key is required */
    const char *min; /* inclusive bounds written with units; NULL: unbounded */
    const char *max;
    const char *const *choices; /* SIM_PARAM_ENUM: NULL-terminated names */
    const char *doc;            /* one line */
} SimParamDesc;

typedef enum SimPortDir {
    SIM_PORT_IN = 0,
    SIM_PORT_OUT,
    SIM_PORT_DIR_MAX
} SimPortDir;

typedef struct SimPortDesc {
    const char *name;
    SimPortDir dir;
    bool optional; /* may be left unconnected */
    const char *doc;
} SimPortDesc;

/*
 * Fabric checks (docs/config.md, "Fabric checks"). Request and response paths of a MemBox fabric
 * form directed cycles, so such a topology sets sim.allow_cycles and the plain cycle check is
 * off; these declarations let the loader check the tree that carries requests instead: no loop
 * of requests, every requester's requests reach a memory, at most sim.max_depth switch levels on
 * the way, at most sim.max_adapters adapters per memory. They live in SimModelType (designated
 * initialisers), not in SimPortDesc, so that the positional port tables of every model keep
 * compiling without -Wmissing-field-initializers warnings. Zero everywhere (the default) means
 * "not part of the checks"; while no instance of a topology has a role, nothing is checked.
 */
typedef enum SimRole {
    SIM_ROLE_NONE = 0,  /* not part of the checks */
    SIM_ROLE_REQUESTER, /* a node's traffic source: its requests must reach a memory */
    SIM_ROLE_ADAPTER,   /* a node's adapter card (pcie.adapter): what a memory must tell apart
                           by source, counted against sim.max_adapters; checked like a requester */
    SIM_ROLE_SWITCH,    /* one switch level (repeater.switch), counted against sim.max_depth */
    SIM_ROLE_MEMORY,    /* terminates the requests entering on its SIM_FLOW_REQUEST inputs */
    SIM_ROLE_MAX
} SimRole;

typedef enum SimFlow {
    SIM_FLOW_NONE = 0, /* takes or gives no requests: responses, status, unlisted ports */
    SIM_FLOW_REQUEST,  /* carries requests towards memory; a request taken on any REQUEST input
                          of a non-memory instance may leave on every REQUEST output of it */
    SIM_FLOW_THROUGH,  /* an input that hands whatever it takes, requests or not, to one output
                          (`to`): a cable or delay, whose direction depends on its wiring */
    SIM_FLOW_MAX
} SimFlow;

/* One port of the type's port table that takes part in the fabric checks. */
typedef struct SimPortFlow {
    const char *port; /* a name of the port table */
    SimFlow flow;
    const char *to; /* SIM_FLOW_THROUGH: the output it forwards to; NULL otherwise */
} SimPortFlow;

/*
 * What a build op is given to say where its declared ports live: made by the builder
 * (sim/config/config_build.c) for one instance, valid during the build op only.
 */
typedef struct SimBuild SimBuild;

typedef struct SimModelType {
    const char *name; /* "folder.block": the model folder, then the block */
    const char *doc;  /* one paragraph */
    const SimParamDesc *params;
    size_t n_params;
    size_t params_size; /* sizeof the parameter struct */
    const SimPortDesc *ports;
    size_t n_ports;
    /*
     * Optional cross-parameter check after every value parsed and range-checked. On error it
     * returns the key to blame (its mark is used) and writes the reason into msg.
     */
    const char *(*check)(const void *params, char *msg, size_t msg_size);
    /*
     * Build the instance `name` into sim: add its components (one or several, in any domains
     * the parameters name) and internal ports, and bind every port of the table by its name
     * (sim_build_port), connected or not. The parameter struct is only valid during the call:
     * copy what is needed.
     */
    bool (*build)(Sim *sim, const char *name, const void *params, SimBuild *b, SimError *err);
    /* Fabric checks: the type's role and its ports that carry requests (NULL, 0: none). */
    SimRole role;
    const SimPortFlow *flows;
    size_t n_flows;
    /*
     * Every statistic an instance can produce (sim/core/stats.h, "statistics tables"); NULL:
     * none. The build op gives its blocks (sim_build_stats) and the builder registers the rows
     * under the instance's name once the build op returned; describe prints the table.
     */
    const SimStatTable *stats;
    /*
     * The kind of object an instance of this type makes for others (its build calls
     * sim_add_object() with the instance's name), e.g. "memory"; NULL: none. Such instances are
     * built before all others, so that SIM_PARAM_OBJECT values can be handed to their users.
     */
    const char *provides;
} SimModelType;

/*
 * Binds the declared port `port` of the instance being built to the field *slot of component c,
 * where the kernel stores the port a link connects to it. Every port of the type's table is
 * bound exactly once: after the build op the builder fails the build, naming the port and the
 * type, if a port was left unbound, bound twice or bound by a name the table does not have
 * (the model's mistake, not the topology's: kind SIM_ERR_SIMULATION). Returns false on such a
 * mistake, so a model may stop at once; it need not.
 *
 *   sim_build_port(b, "in", &d->c, &d->in);
 */
bool sim_build_port(SimBuild *b, const char *port, SimComponent *c, SimPort **slot);

/*
 * Gives the blocks (and group counts, scale) the type's statistics table reads for the instance
 * being built; copied. A type with a table must call it once; the builder registers the rows
 * after the build op, in table order, under the instance's name.
 *
 *   sim_build_stats(b, &(SimStatBinding){.block = {[0] = d}});
 */
void sim_build_stats(SimBuild *b, const SimStatBinding *stats);

#ifdef __cplusplus
}
#endif

#endif
