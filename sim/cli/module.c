/* Loading the command's optional parts (module.h). */
#define _GNU_SOURCE
#include "sim/cli/module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef MEMBOX_MODULE_DIR
#define MEMBOX_MODULE_DIR "/usr/local/lib/membox-sim"
#endif

/* The directory of the running executable into dir, without a trailing slash; false if the
 * system does not say. */
static bool exe_dir(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0) {
        return false;
    }
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        return false;
    }
    *slash = '\0';
    return true;
}

MemboxModuleFn membox_module_symbol(const char *name, const char *symbol, bool global, char *why,
                                    size_t why_size)
{
    char dir[PATH_MAX];
    char path[2][PATH_MAX + 64];
    size_t n_paths = 0;
    if (exe_dir(dir, sizeof(dir))) {
        snprintf(path[n_paths++], sizeof(path[0]), "%s/%s", dir, name);
    }
    snprintf(path[n_paths++], sizeof(path[0]), "%s/%s", MEMBOX_MODULE_DIR, name);
    const int mode = RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL);
    for (size_t i = 0; i < n_paths; i++) {
        if (access(path[i], F_OK) != 0) {
            continue;
        }
        /* Found: a copy that does not load is reported, not passed over for an older one. */
        void *h = dlopen(path[i], mode);
        if (h == NULL) {
            const char *e = dlerror();
            snprintf(why, why_size, "%s", e != NULL ? e : path[i]);
            return NULL;
        }
        void *sym = dlsym(h, symbol);
        if (sym == NULL) {
            snprintf(why, why_size, "%s has no symbol %s", path[i], symbol);
            return NULL;
        }
        MemboxModuleFn fn; /* POSIX: a function's address from dlsym converts so */
        memcpy(&fn, &sym, sizeof(fn));
        return fn;
    }
    if (n_paths > 1) {
        snprintf(why, why_size, "%s is neither beside the executable (%s) nor in %s", name, dir,
                 MEMBOX_MODULE_DIR);
    } else {
        snprintf(why, why_size, "%s is not in %s", name, MEMBOX_MODULE_DIR);
    }
    return NULL;
}
