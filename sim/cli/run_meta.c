/*
 * Run metadata (run_meta.h): version, build-time git describe, a hash of the expanded config,
 * the host's name and the start time.
 */
#include "run_meta.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "membox_git.h"
#include "membox_version.h"

/* FNV-1a, 64 bits: an identity for a configuration, not a cryptographic digest. */
static uint64_t meta_fnv1a(const char *p, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static char *meta_folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 1 : (slash == path ? 1 : (size_t)(slash - path));
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, slash == NULL ? "." : path, n);
        d[n] = '\0';
    }
    return d;
}

void run_meta_fill(RunMeta *m, const SimConfig *c, const char *config_path)
{
    m->version = MEMBOX_SIM_VERSION;
    m->git_describe = MEMBOX_GIT_DESCRIBE[0] != '\0' ? MEMBOX_GIT_DESCRIBE : "unknown";

    snprintf(m->config_hash, sizeof(m->config_hash), "unknown");
    char *text = NULL;
    size_t len = 0;
    char *dir = meta_folder_of(config_path);
    FILE *mem = dir != NULL ? open_memstream(&text, &len) : NULL;
    if (mem != NULL) {
        SimError err;
        sim_error_clear(&err);
        bool ok = sim_config_write_flat(c, dir, mem, &err) && !ferror(mem);
        if (fclose(mem) == 0 && ok) {
            /* Without the first line, a comment naming the file it was expanded from: the
             * same config given by another path hashes the same. */
            const char *body = memchr(text, '\n', len);
            body = body != NULL ? body + 1 : text;
            snprintf(m->config_hash, sizeof(m->config_hash), "fnv1a64:%016" PRIx64,
                     meta_fnv1a(body, len - (size_t)(body - text)));
        }
    }
    free(text);
    free(dir);

    if (gethostname(m->hostname, sizeof(m->hostname)) != 0) {
        snprintf(m->hostname, sizeof(m->hostname), "unknown");
    }
    m->hostname[sizeof(m->hostname) - 1] = '\0';

    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(m->started_utc, sizeof(m->started_utc), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(m->started_utc, sizeof(m->started_utc), "unknown");
    }
}
