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
    SIM_PARAM_TYPE_MAX
} SimParamType;

typedef struct SimParamDesc {
    const char *key;
    SimParamType type;
    size_t offset;               /* into the model's parameter struct */
    const char *def;             /* default, written as in YAML; NULL: the key is required */
    const char *min;             /* inclusive bounds written with units; NULL: unbounded */
    const char *max;
    const char *const *choices;  /* SIM_PARAM_ENUM: NULL-terminated names */
    const char *doc;             /* one line */
} SimParamDesc;

typedef enum SimPortDir {
    SIM_PORT_IN = 0,
    SIM_PORT_OUT,
    SIM_PORT_DIR_MAX
} SimPortDir;

typedef struct SimPortDesc {
    const char *name;
    SimPortDir dir;
    bool optional;               /* may be left unconnected */
    const char *doc;
} SimPortDesc;

/*
 * Where a built instance keeps one of its declared ports: the component that owns it and the
 * field (SimPort *) the kernel stores the connected port in.
 */
typedef struct SimPortBinding {
    SimComponent *component;
    SimPort **slot;
} SimPortBinding;

typedef struct SimModelType {
    const char *name;            /* "generic.source", "ddr3" */
    const char *doc;             /* one paragraph */
    const SimParamDesc *params;
    size_t n_params;
    size_t params_size;          /* sizeof the parameter struct */
    const SimPortDesc *ports;
    size_t n_ports;
    /*
     * Optional cross-parameter check after every value parsed and range-checked. On error it
     * returns the key to blame (its mark is used) and writes the reason into msg.
     */
    const char *(*check)(const void *params, char *msg, size_t msg_size);
    /*
     * Build the instance `name` into sim: add its components (one or several, in any domains
     * the parameters name) and internal ports, and fill bindings[i] for ports[i] of the table.
     * The parameter struct is only valid during the call: copy what is needed.
     */
    bool (*build)(Sim *sim, const char *name, const void *params, SimPortBinding *bindings,
                  SimError *err);
} SimModelType;

#ifdef __cplusplus
}
#endif

#endif
