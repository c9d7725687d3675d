/*
 * Run metadata for the JSON "meta" section (docs/stats.md): what made a run, as opposed to what
 * it computed. Filled once before the run; nothing here is on the tick path.
 */
#ifndef MEMBOX_SIM_CLI_RUN_META_H
#define MEMBOX_SIM_CLI_RUN_META_H

#include "sim/config/config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct RunMeta {
    const char *version;      /* meson project version */
    const char *git_describe; /* `git describe --always --dirty` at build time, or "unknown" */
    char config_hash[32];     /* "fnv1a64:" + 16 hex digits of the expanded config */
    char hostname[256];
    char started_utc[32]; /* ISO 8601, seconds, "Z" */
} RunMeta;

/*
 * Fills m for the loaded configuration c (its file at config_path). The hash is taken over the
 * flat YAML `membox-sim expand` prints, with file paths relative to the config's folder, so it
 * identifies the topology and every value (overrides applied) wherever the run starts; it does
 * not cover the contents of trace files. A failure to compute a field leaves "unknown".
 */
void run_meta_fill(RunMeta *m, const SimConfig *c, const char *config_path);

#ifdef __cplusplus
}
#endif

#endif
