/*
 * Fuzz target: the configuration loader with the real registry of model types and system
 * expanders, as `membox-sim check` runs it (parse, expand system sections such as the MemBox
 * fabric, check every value, port and link; nothing is built). Every rejected input must be
 * bad input with a message that starts with the file's name, or with the position in a file
 * it includes (a preset).
 *
 * The input stands for the file named by $FUZZ_CONFIG_NAME (default "fuzz.yaml"); paths in it
 * (presets, traces) resolve relative to that name's folder. scripts/fuzz names a file in
 * tests/config_errors, so that the presets and traces the error cases use are there to read.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/config/config.h"
#include "systems/registry.h"

/* True if msg starts with "PATH:LINE:COL: ", as a message about a file the input includes (a
 * preset) does. */
static bool names_a_position(const char *msg)
{
    const char *p = strchr(msg, ':');
    for (int field = 0; field < 2 && p != NULL; field++) {
        const char *digits = p + 1;
        p = digits;
        while (*p >= '0' && *p <= '9') {
            p++;
        }
        if (p == digits || *p != ':') {
            return false;
        }
    }
    return p != NULL && p[1] == ' ';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *name = getenv("FUZZ_CONFIG_NAME");
    if (name == NULL || name[0] == '\0') {
        name = "fuzz.yaml";
    }
    SimError err;
    sim_error_clear(&err);
    SimConfig *c = sim_config_load_string(name, (const char *)data, size, &membox_registry, &err);
    if (c == NULL) {
        bool included = strncmp(err.msg, name, strlen(name)) != 0 && names_a_position(err.msg);
        if (!included) {
            fuzz_check_error(&err, name);
        } else if (err.kind != SIM_ERR_INPUT) {
            fuzz_fail("error of kind %d, not bad input: %s", (int)err.kind, err.msg);
        }
    } else if (err.kind != SIM_ERR_NONE) {
        fuzz_fail("a loaded configuration left an error set: %s", err.msg);
    }
    sim_config_free(c);
    return 0;
}
