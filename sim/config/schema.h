/*
 * `membox-sim schema`: the JSON Schema (draft-07, what YAML language servers support fully) of
 * topology files, generated from the same tables that the loader checks with: the `sim`,
 * domain and link tables, every model type's parameter table (types, units as patterns,
 * numeric ranges, enums, defaults, docs) and each system section's own schema op (system.h).
 * docs/config.md, "Editor support", says what it checks and what only the loader does.
 */
#ifndef MEMBOX_SIM_CONFIG_SCHEMA_H
#define MEMBOX_SIM_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema of topology files, indented JSON. False with errno set on a write error. */
bool sim_config_write_schema(const SimRegistry *reg, FILE *out);

/*
 * The schema of a preset file of the type called type_name (a mapping of that type's keys,
 * docs/config.md "Presets"). False with errno ENOENT for no such type, or on a write error.
 */
bool sim_config_write_preset_schema(const SimRegistry *reg, const char *type_name, FILE *out);

/*
 * For system sections' schema ops, which write compact JSON (the caller indents it). Their
 * schemas may refer to "#/definitions/params.TYPE" (a mapping of TYPE's keys, `preset` and
 * `type`), "#/definitions/instance" (an instance: `type` and its keys) and
 * "#/definitions/workload" (the same with `type` optional).
 */

/* s as a JSON string. */
void sim_schema_string(FILE *out, const char *s);

/* The schema of one parameter's value: type, pattern or enum, numeric range, default, doc. */
void sim_schema_param(FILE *out, const SimParamDesc *p);

/*
 * `"key":{schema}` members, comma-separated, for t's parameters but those named in skip
 * (NULL-terminated, or NULL). A comma comes first unless *first, which is then cleared.
 */
void sim_schema_params(FILE *out, const SimModelType *t, const char *const *skip, bool *first);

#ifdef __cplusplus
}
#endif

#endif
