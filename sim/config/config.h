/*
 * The configuration layer: a YAML topology is parsed into a graph of instances and links,
 * checked completely (types, keys, units, ranges, ports, directions, cycles) before anything is
 * built, then built into a Sim. Every error message starts with `file:line:col: ` (1-based) and
 * names the instance and the key, e.g.
 *
 *   topo.yaml:12:9: instance 'src0': key 'rate': 2 is above the maximum 1
 *
 * Only the first error is reported, in a fixed order (docs/config.md, "Validation order"). The
 * format itself is documented in docs/config.md.
 *
 * Lifecycle: sim_config_load_file() (parse + check) -> sim_config_build() into a fresh Sim ->
 * sim_config_run_options() -> sim_run() -> sim_free() -> sim_config_free().
 */
#ifndef MEMBOX_SIM_CONFIG_CONFIG_H
#define MEMBOX_SIM_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../core/error.h"
#include "../core/kernel.h"
#include "model.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct SimConfig SimConfig;

/*
 * What the configuration layer may instantiate: the model types and the system expanders
 * (system.h). The arrays must outlive every configuration loaded with them.
 */
typedef struct SimRegistry {
    const SimModelType *const *types;
    size_t n_types;
    const SimSystemType *const *systems;
    size_t n_systems;
} SimRegistry;

/* Files larger than this are rejected before parsing. */
#define SIM_CONFIG_MAX_FILE_SIZE (64u << 20)

/*
 * Parse, expand (system sections) and fully validate a topology; nothing is built. Returns NULL
 * with err filled (kind SIM_ERR_INPUT) on any error. A file that cannot be read gives
 * "PATH: cannot open: No such file or directory" (no line and column).
 */
SimConfig *sim_config_load_file(const char *path, const SimRegistry *reg, SimError *err);

/* Same from memory; display_name stands for the path in messages. yaml need not end in NUL. */
SimConfig *sim_config_load_string(const char *display_name, const char *yaml, size_t len,
                                  const SimRegistry *reg, SimError *err);

/*
 * A value given outside the file (`--set PATH=VALUE`, `--trace`), applied as an edit of the
 * YAML and checked like a written value; errors start "ORIGIN: ". PATH is SECTION.KEY...
 * (sim.seed, fabric.defaults.optical.length, fabric.optical.2.ber), TYPE.KEY (the type's
 * defaults: link.mpp.rtpb_size) or INSTANCE.KEY (a written or made instance: mb_p0.lanes), in
 * that order of precedence (docs/config.md, "Values from the command line").
 */
typedef struct SimConfigOverride {
    const char *path;
    const char *value;  /* as it would be written in YAML */
    const char *origin; /* "--set mb_p0.lanes=2", for messages */
} SimConfigOverride;

/* sim_config_load_file with overrides; one naming no instance, section key or type is an error. */
SimConfig *sim_config_load_file_ex(const char *path, const SimRegistry *reg,
                                   const SimConfigOverride *overrides, size_t n_overrides,
                                   SimError *err);

/* NULL ok. */
void sim_config_free(SimConfig *c);

/*
 * Build into sim (normally fresh from sim_new()): the clock domains (built-ins pcie, lane, mem,
 * ddr first, then the user's, in file order), every instance in file order through its type's
 * build op, every link in file order through sim_connect(), and sim->pool_options. On failure
 * err names the file:line:col of the instance or link that failed and sim is left partly built:
 * the caller frees it.
 */
bool sim_config_build(const SimConfig *c, Sim *sim, SimError *err);

/*
 * The `sim:` section as run options. Writes o->watchdog (the file's value, else 1 ms), and
 * o->seed and o->until only when the file gives them; every other field is left alone, so the
 * caller starts from sim_run_options_default() and applies its command line afterwards.
 */
void sim_config_run_options(const SimConfig *c, SimRunOptions *o);

/* The `sim:` section as pool sizes: always writes all three (defaults 65536, 1024, 4 KiB). */
void sim_config_pool_options(const SimConfig *c, SimPoolOptions *o);

/* The path or display name the configuration was loaded from. */
const char *sim_config_path(const SimConfig *c);

size_t sim_config_instance_count(const SimConfig *c);

/* Instance i (file order, i < sim_config_instance_count): its name and type. */
const char *sim_config_instance_name(const SimConfig *c, size_t i);
const SimModelType *sim_config_instance_type(const SimConfig *c, size_t i);

/*
 * Parameter `key` of instance i as given (in the file, a preset, the `defaults` or `fabric`
 * section, or a command-line override): the text as written, or NULL when the type's table
 * default applies or the type has no such key.
 */
const char *sim_config_instance_value(const SimConfig *c, size_t i, const char *key);

/*
 * Where instance i is written: its name's file (returned), 1-based line and column. For an
 * instance the fabric section made, that of the fabric entry it came from.
 */
const char *sim_config_instance_where(const SimConfig *c, size_t i, unsigned *line, unsigned *col);

/* Links in file order (the fabric section's where it stands, docs/config.md). */
size_t sim_config_link_count(const SimConfig *c);

typedef struct SimConfigLinkInfo {
    size_t from; /* instance index */
    const char *from_port;
    size_t to;
    const char *to_port;
    uint32_t depth;
    uint32_t latency;
    uint32_t sync;
    const char *file; /* where the link is written (or the fabric entry that made it) */
    unsigned line;
    unsigned col;
} SimConfigLinkInfo;

/* Link i (i < sim_config_link_count). */
void sim_config_link_info(const SimConfig *c, size_t i, SimConfigLinkInfo *out);

/*
 * The flat form of c (`membox-sim expand`, config_write.c): YAML with the file's `sim` and
 * `domains` sections and every instance and link as built (system sections expanded, defaults
 * and presets applied), which loads and runs to the same statistics. Paths are written relative
 * to the folder out_dir (NULL or "": the working folder), where the flat file is meant to go.
 * False with err set when out of memory; a write error shows in ferror(f).
 */
bool sim_config_write_flat(const SimConfig *c, const char *out_dir, FILE *f, SimError *err);

/* Whether `sim.allow_cycles: true` was given. */
bool sim_config_allows_cycles(const SimConfig *c);

/*
 * For `membox-sim describe`: with type_name NULL, the list of all types (name and first sentence
 * of the doc, sorted by name) and of the system sections; else the parameter table (key, type
 * and unit, default, range, doc) and the port table of that type, or the doc of the system
 * section of that key. Returns false (writing nothing) if there is no such type or section.
 */
bool sim_config_describe(const SimRegistry *reg, const char *type_name, FILE *out);

/* The type called name, or NULL. */
const SimModelType *sim_config_find_type(const SimRegistry *reg, const char *name);

/* "time", "frequency", "bytes", ... as shown by describe. */
const char *sim_param_type_name(SimParamType t);

#ifdef __cplusplus
}
#endif

#endif
