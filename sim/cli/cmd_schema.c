/*
 * `membox-sim schema`: writes sim_config_write_schema() to stdout or, under a temporary name
 * renamed when complete, to a file.
 */
#include "cmd_schema.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/config/schema.h"
#include "systems/registry.h"

const char cmd_schema_help[] =
    "usage: membox-sim schema [-o FILE] [--preset TYPE]\n"
    "\n"
    "Print the JSON Schema (draft-07) of topology files, generated from the parameter tables:\n"
    "every section, model type and key, with types, units (as patterns), numeric ranges,\n"
    "enums, defaults and docs, and the fabric section's keys. configs/membox-sim.schema.json\n"
    "is its output; a YAML file names it on its first line for an editor's YAML language\n"
    "server (completion and checks as you type):\n"
    "  # yaml-language-server: $schema=membox-sim.schema.json\n"
    "The loader checks more (cross-key rules, ports, links); docs/config.md, \"Editor support\".\n"
    "\n"
    "options:\n"
    "  -o FILE, --output FILE   write to FILE (under a temporary name, renamed when complete)\n"
    "  --preset TYPE            the schema of a preset file of TYPE (a mapping of its keys)\n"
    "\n"
    "exit codes: 0 ok; 2 usage, unknown type or output file\n";

/* "membox-sim: WHAT 'ARG'; see ...": a usage error, exit code 2. */
static int schema_usage(const char *what, const char *arg)
{
    fprintf(stderr, "membox-sim: %s '%s'; see 'membox-sim schema --help'\n", what, arg);
    return 2;
}

static bool write_to(FILE *f, const char *preset)
{
    return preset != NULL ? sim_config_write_preset_schema(&membox_registry, preset, f)
                          : sim_config_write_schema(&membox_registry, f);
}

int cmd_schema(int argc, char **argv)
{
    const char *out = NULL, *preset = NULL;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(cmd_schema_help, stdout);
            return 0;
        }
        bool o = strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0;
        if (o || strcmp(arg, "--preset") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr,
                        "membox-sim: option '%s' needs a value; see 'membox-sim schema "
                        "--help'\n",
                        arg);
                return 2;
            }
            *(o ? &out : &preset) = argv[++i];
            continue;
        }
        return schema_usage(arg[0] == '-' ? "unknown option" : "'schema' takes no argument, got",
                            arg);
    }
    if (preset != NULL && sim_config_find_type(&membox_registry, preset) == NULL) {
        fprintf(stderr,
                "membox-sim: --preset: unknown model type '%s'; 'membox-sim describe' "
                "lists them\n",
                preset);
        return 2;
    }
    if (out == NULL) {
        if (!write_to(stdout, preset)) {
            fprintf(stderr, "membox-sim: cannot write the schema: %s\n", strerror(errno));
            return 2;
        }
        return 0;
    }
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out, (long)getpid());
    FILE *f = n > 0 && (size_t)n < sizeof(tmp) ? fopen(tmp, "w") : NULL;
    if (f == NULL) {
        fprintf(stderr, "%s: cannot write: %s\n", out, strerror(n > 0 ? errno : ENAMETOOLONG));
        return 2;
    }
    bool ok = write_to(f, preset);
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && rename(tmp, out) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        remove(tmp);
        fprintf(stderr, "%s: cannot write: %s\n", out, strerror(e));
        return 2;
    }
    return 0;
}
