/*
 * System expanders: the composition layer's contract with the configuration layer
 * (docs/architecture.md). A system expander owns one top-level section of a topology file
 * (`fabric:` for a MemBox fabric, say) that describes a whole system in a few lines, and turns
 * it into plain instances and links before the loader reads those. From then on the made
 * entries are checked, built and reported exactly like written ones.
 *
 * It is registered the way a model type is (SimRegistry in config.h), so sim/config knows no
 * system and no model by name: the expanders live above it (systems/), know model types, ports
 * and keys as text, and are checked by the loader like anything written by hand.
 *
 * An expander works on the YAML tree (yaml_tree.h): it reads its section and adds made entries
 * to the two containers the expansion hands it, giving every made node the position (file,
 * line, column) of the section entry it came from, so that a later error about a made instance
 * points into the section. The loader then splices the made instances and links into the
 * file's `instances` and `links` where the section's key stands: before the written ones if
 * the section comes first in the file, else after them. Sections are expanded in file order.
 */
#ifndef MEMBOX_SIM_CONFIG_SYSTEM_H
#define MEMBOX_SIM_CONFIG_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model.h"
#include "yaml_tree.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct SimExpansion SimExpansion;
struct SimRegistry; /* config.h */

typedef struct SimSystemType {
    const char *key; /* its top-level key, e.g. "fabric" */
    const char *doc; /* one paragraph, for `membox-sim describe` */
    /*
     * Expands `section` (the value under the key; the key node is sim_expansion_key(x)) by
     * adding to sim_expansion_instances(x) and sim_expansion_links(x). On error it returns the
     * result of sim_expansion_fail() (or sim_expansion_oom()), which fills the caller's error.
     */
    bool (*expand)(SimExpansion *x, const CfgNode *section);
    /*
     * Optional: writes the JSON Schema (draft-07) of the section's value to out, for
     * `membox-sim schema` (schema.h has the helpers: model types' parameters as properties,
     * and the schema's definitions it may refer to). NULL: the section is any mapping.
     */
    void (*schema)(FILE *out, const struct SimRegistry *reg);
} SimSystemType;

/* The section's key node (its position is the section's). */
const CfgNode *sim_expansion_key(const SimExpansion *x);

/* The file's top-level `defaults` mapping, or NULL (absent or not a mapping). */
const CfgNode *sim_expansion_defaults(const SimExpansion *x);

/* The written `instances` mapping, or NULL: names a made instance must not take. */
const CfgNode *sim_expansion_written(const SimExpansion *x);

/* The model type called name in the registry, or NULL. */
const SimModelType *sim_expansion_find_type(const SimExpansion *x, const char *name);

/* Where made entries go: a mapping of instances (name -> {type: ..., key: value}) and a
 * sequence of links ({from: "a:p", to: "b:q", ...}), both empty at the start. */
CfgNode *sim_expansion_instances(SimExpansion *x);
CfgNode *sim_expansion_links(SimExpansion *x);

/*
 * Fills the loader's error with "file:line:col: <key>: <message>" at `at` (the section's key
 * when at is NULL) and returns false: `return sim_expansion_fail(x, v, "...", ...);`.
 */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
bool sim_expansion_fail(SimExpansion *x, const CfgNode *at, const char *fmt, ...);

/* Out of memory while expanding: fills the error (SIM_ERR_NOMEM) and returns false. */
bool sim_expansion_oom(SimExpansion *x);

/*
 * "<key>: <ctx>unknown key 'k' (did you mean 'j'?)", else "...; <what> keys are: <extra>, <tab
 * keys>", at key; extra is NULL-terminated or NULL, tab may be NULL with n 0. Returns false.
 */
bool sim_expansion_unknown_key(SimExpansion *x, const char *ctx, const CfgNode *key,
                               const SimParamDesc *tab, size_t n, const char *const *extra,
                               const char *what);

/* The closest of n words to word for a "did you mean" (edit distance 2 at most), or NULL. */
const char *sim_closest_word(const char *word, const char *const *words, size_t n);

/* Instance names: [A-Za-z_][A-Za-z0-9_]*. */
bool sim_valid_name(const char *s);

#ifdef __cplusplus
}
#endif

#endif
