/*
 * Internal to sim/config: the checked topology graph and the helpers its parts share. The parts,
 * each calling only those above it in this list (a DAG):
 *
 *   config_diag.c    errors at file:line:col, name rules, "did you mean"
 *   config_values.c  typed parameter values, a mapping into a parameter struct
 *   config_graph.c   links, open ports, cycles
 *   config_expand.c  system sections (system.h) spliced into instances and links
 *   fabric_check.c   the request-tree checks from the types' roles
 *   config_load.c    the loader that drives them all, and the public accessors
 *   config_build.c   checked graph -> Sim
 *   describe.c       `membox-sim describe`
 *
 * Every value keeps the tree node it came from, so that an error found later (a type's check, a
 * failed build) can still name file:line:col. The tree is kept alive with the configuration, and
 * string parameters point into it.
 */
#ifndef MEMBOX_SIM_CONFIG_INTERNAL_H
#define MEMBOX_SIM_CONFIG_INTERNAL_H

#include "config.h"
#include "yaml_tree.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CfgDomain {
    const char *name; /* built-in literal, or text of the tree */
    uint64_t hz;
    SimTime period;
    SimTime phase;
    const CfgNode *node; /* its key under `domains`; NULL for a built-in the file leaves alone */
} CfgDomain;

#include "model_build.h"

typedef struct CfgInstance {
    const char *name;    /* text of the tree */
    const CfgNode *node; /* the name key under `instances` */
    const SimModelType *type;
    void *params;          /* type->params_size bytes; domain fields are NULL until build */
    const CfgNode **given; /* per parameter: the value node, NULL for the table default */
    const char **domain;   /* per parameter: the name a SIM_PARAM_DOMAIN or SIM_PARAM_OBJECT
                              value refers to (a domain, an instance) */
    size_t *port_link;     /* per port: index of its link + 1, or 0 while unconnected */
    size_t first_binding;  /* where its ports start in the builder's binding array */
} CfgInstance;

typedef struct CfgLink {
    size_t from;      /* instance index */
    size_t from_port; /* port index in its type's table */
    size_t to;
    size_t to_port;
    uint32_t depth;
    uint32_t latency;
    uint32_t sync;
    const CfgNode *node; /* the sequence item */
    const CfgNode *from_node;
    const CfgNode *to_node;
    char *name; /* "src0:out -> sink0:in" */
} CfgLink;

typedef struct CfgSimSection {
    uint64_t seed;
    SimTime until;
    SimTime watchdog;
    uint64_t packets;
    uint64_t payload_blocks;
    uint64_t payload_block_size;
    bool allow_cycles;
    uint64_t max_depth;    /* fabric checks: switch levels on a request path */
    uint64_t max_adapters; /* fabric checks: adapters whose requests reach one memory */
} CfgSimSection;

struct SimConfig {
    char *path;
    CfgNode *root;
    const SimRegistry *reg;
    CfgSimSection sim;
    bool has_seed;
    bool has_until;
    CfgDomain *domains;
    size_t n_domains;
    CfgInstance *instances;
    size_t n_instances;
    CfgLink *links;
    size_t n_links;
    size_t n_bindings; /* ports of all instances */
    /* Trees and paths of preset files, and nodes made for command-line overrides: kept alive
     * because parameters and error positions point into them. */
    CfgNode **extra_roots;
    char **extra_paths;
    size_t n_extra;
};

/* Instance names sorted, for the link endpoints. */
typedef struct CfgNameIndex {
    const char *name;
    size_t index;
} CfgNameIndex;

/* The loader's working state (config_load.c), shared with the values and the graph. */
typedef struct CfgLoader {
    SimConfig *c;
    SimError *err;
    /* defaults section, per type of the registry */
    void **def_params;
    const CfgNode ***def_given;
    const char ***def_domain;
    /* instances sorted by name, for the link endpoints */
    CfgNameIndex *by_name;
    /* values given outside the file (config_override.c) */
    const SimConfigOverride *overrides;
    size_t n_overrides;
} CfgLoader;

/* ---- diagnostics (config_diag.c) ---- */

/* "file:line:col: " + message (the file's path when n is NULL: 1:1), kind SIM_ERR_INPUT. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
bool cfg_error_at(const SimConfig *c, SimError *err, const CfgNode *n, const char *fmt, ...);

/* cfg_error_at() into the loader's error. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
bool cfg_fail(CfgLoader *l, const CfgNode *n, const char *fmt, ...);

/*
 * "ctx unknown key 'x' (did you mean 'y'?)", else "...; <what> keys are: <extra>, <table keys>",
 * at key. extra is NULL-terminated or NULL. Returns false.
 */
bool cfg_unknown_key(const SimConfig *c, SimError *err, const char *ctx, const CfgNode *key,
                     const SimParamDesc *tab, size_t n, const char *const *extra, const char *what);

/* Picks the closest candidate within distance 2 (and shorter than the candidate); first wins. */
typedef struct CfgSuggest {
    const char *word;
    const char *best;
    size_t dist;
} CfgSuggest;

void cfg_suggest_init(CfgSuggest *s, const char *word);
void cfg_suggest_try(CfgSuggest *s, const char *cand);
/* " (did you mean 'x'?)" or "" */
void cfg_suggest_text(const CfgSuggest *s, char *buf, size_t size);

/* Appends ", "-separated words to a fixed buffer (cut when full). */
typedef struct CfgList {
    char buf[1024];
    size_t used;
} CfgList;

void cfg_list_add(CfgList *li, const char *word);

/* strcmp over two `const char *` array elements, for qsort. */
int cfg_compare_strings(const void *a, const void *b);

/* ---- typed values (config_values.c) ---- */

/* Index of key in a parameter table, SIZE_MAX if absent. */
size_t cfg_param_index(const SimParamDesc *tab, size_t n, const char *key);

/* Bytes of a parameter struct field of type t. */
size_t cfg_param_size(SimParamType t);

/* Writes the table default of d; a default that does not parse or fit is a programming error. */
void cfg_apply_default(const SimParamDesc *d, void *blob, const char **domain);

/*
 * Sets parameter d of blob from the value node v, checking type, unit, range and, for a domain,
 * that it exists (domain receives its name). ctx prefixes the message ("instance 'src0': ").
 */
bool cfg_set_param(CfgLoader *l, const char *ctx, const SimParamDesc *d, const CfgNode *v,
                   void *blob, const char **domain);

/*
 * Reads the keys of map against a table in file order. given[i] receives the value node of
 * parameter i; skip lists keys handled by the caller ("type", "preset"), NULL-terminated.
 */
bool cfg_parse_keys(CfgLoader *l, const char *ctx, const CfgNode *map, const SimParamDesc *tab,
                    size_t n, void *blob, const CfgNode **given, const char **domain,
                    const char *const *skip, const char *what);

/* An error unless v is a mapping: "<ctx>expected <expected>, found <what v is>". */
bool cfg_expect_map(CfgLoader *l, const CfgNode *v, const char *ctx, const char *expected);

bool cfg_in_list(const char *const *list, const char *word);

/* Keeps a tree (or a lone node) and the path its nodes name, for the configuration's life. */
bool cfg_keep_extra(SimConfig *c, CfgNode *root, char *path);

/* name looked up beside from_file (unless absolute), malloc'd; NULL when out of memory. */
char *cfg_path_beside(const char *from_file, const char *name);

/* ---- the graph (config_graph.c) ---- */

/* The `links` section, once every instance is loaded. */
bool cfg_load_links(CfgLoader *l, const CfgNode *v);

/* Every port a type does not declare optional is linked. */
bool cfg_check_open_ports(CfgLoader *l);

/* Every SIM_PARAM_OBJECT value names an instance whose type provides that kind of object. */
bool cfg_check_objects(CfgLoader *l);

/* No directed cycle of links (unless sim.allow_cycles). */
bool cfg_check_cycles(CfgLoader *l);

/* ---- values given outside the file (config_override.c) ---- */

/*
 * Applies the loader's overrides as edits of the tree: with instances false the paths into
 * sections and type defaults (before any section is read), with instances true the instance
 * keys (after the system sections expanded).
 */
bool cfg_apply_overrides(CfgLoader *l, bool instances);

/* The tables of the `sim` section, of a domain (config_load.c) and of a link (config_graph.c),
 * for the schema (schema.c). */
extern const SimParamDesc *const cfg_sim_section_params;
extern const size_t cfg_sim_section_n_params;
extern const SimParamDesc *const cfg_domain_params;
extern const size_t cfg_domain_n_params;
extern const SimParamDesc *const cfg_link_params;
extern const size_t cfg_link_n_params;

/* ---- system sections (config_expand.c) ---- */

/*
 * Expands every top-level key a system expander of the registry owns (system.h), in file order,
 * splicing what each makes into the tree's `instances` and `links`. Called once the `defaults`
 * section is loaded and before the instances are.
 */
bool cfg_expand_systems(SimConfig *c, SimError *err);

/* The system expander owning top-level key, or NULL. */
const SimSystemType *cfg_find_system(const SimConfig *c, const char *key);

/*
 * The fabric checks (fabric_check.c, docs/config.md "Fabric checks") over the loaded graph, once
 * ports and plain cycles are checked; true, doing nothing, while no instance has a role.
 */
bool cfg_check_fabric(const SimConfig *c, SimError *err);

#ifdef __cplusplus
}
#endif

#endif
