/*
 * Internal to sim/config: the checked topology graph shared by the loader (config.c), the
 * builder (config_build.c) and describe (describe.c).
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

/*
 * Where a built instance keeps one of its declared ports: the component that owns it and the
 * field (SimPort *) the kernel stores the connected port in.
 */
typedef struct SimPortBinding {
    SimComponent *component;
    SimPort **slot;
} SimPortBinding;

typedef struct CfgInstance {
    const char *name;    /* text of the tree */
    const CfgNode *node; /* the name key under `instances` */
    const SimModelType *type;
    void *params;          /* type->params_size bytes; domain fields are NULL until build */
    const CfgNode **given; /* per parameter: the value node, NULL for the table default */
    const char **domain;   /* per parameter: the domain name of SIM_PARAM_DOMAIN ones */
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
    const SimModelType *const *types;
    size_t n_types;
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

/* "file:line:col: " + message, for the builder. n may be NULL (1:1). */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
bool cfg_error_at(const SimConfig *c, SimError *err, const CfgNode *n, const char *fmt, ...);

/* Instance and domain names: [A-Za-z_][A-Za-z0-9_]*. */
bool cfg_valid_name(const char *s);

/*
 * "ctx unknown key 'x' (did you mean 'y'?)", else "...; <what> keys are: <extra>, <table keys>",
 * at key. extra is NULL-terminated or NULL. Returns false.
 */
bool cfg_unknown_key(const SimConfig *c, SimError *err, const char *ctx, const CfgNode *key,
                     const SimParamDesc *tab, size_t n, const char *const *extra, const char *what);

/* The closest of n words to word for a "did you mean" (edit distance 2 at most), or NULL. */
const char *cfg_closest(const char *word, const char *const *words, size_t n);

/*
 * The `fabric:` section (fabric_section.c, docs/config.md "Fabric section"): expands the root's
 * `fabric` entry into plain entries of its `instances` map and `links` sequence (made if absent),
 * every node made carrying the mark of the fabric entry it came from. Called once the
 * `defaults` section is loaded and before the instances are; true, doing nothing, without a
 * `fabric` key. On error err is "file:line:col: fabric: ...".
 */
bool cfg_fabric_expand(SimConfig *c, SimError *err);

/*
 * The fabric checks (fabric_check.c, docs/config.md "Fabric checks") over the loaded graph, once
 * ports and plain cycles are checked; true, doing nothing, while no instance has a role.
 */
bool cfg_check_fabric(const SimConfig *c, SimError *err);

#ifdef __cplusplus
}
#endif

#endif
