/*
 * Temporary files and checks shared by the fuzz targets (fuzz.h).
 */
#include "fuzz.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_paths[FUZZ_FILE_MAX][4096];
static bool fuzz_made;

static void fuzz_remove_files(void)
{
    for (int i = 0; i < FUZZ_FILE_MAX; i++) {
        if (fuzz_paths[i][0] != '\0') {
            unlink(fuzz_paths[i]);
        }
    }
}

/* Makes the files once: mkstemp names them after the process, so parallel jobs do not meet. */
static void fuzz_make_files(void)
{
    if (fuzz_made) {
        return;
    }
    /* Memory, not a disk: truncating and rewriting a file on ext4 flushes it, which made an
     * execution wait for milliseconds. */
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0') {
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    }
    for (int i = 0; i < FUZZ_FILE_MAX; i++) {
        int n = snprintf(fuzz_paths[i], sizeof(fuzz_paths[i]), "%s/membox-fuzz-%d-XXXXXX", dir, i);
        if (n < 0 || (size_t)n >= sizeof(fuzz_paths[i])) {
            fuzz_fail("TMPDIR '%s' is too long", dir);
        }
        int fd = mkstemp(fuzz_paths[i]);
        if (fd < 0) {
            fuzz_fail("cannot create a file in '%s': %s", dir, strerror(errno));
        }
        close(fd);
    }
    fuzz_made = true;
    atexit(fuzz_remove_files);
}

const char *fuzz_file_path(int slot)
{
    fuzz_make_files();
    return fuzz_paths[slot];
}

const char *fuzz_file_write(int slot, const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(slot);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        fuzz_fail("cannot write '%s': %s", path, strerror(errno));
    }
    return path;
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void fuzz_check_error(const SimError *err, const char *prefix)
{
    size_t n = strlen(prefix);
    if (err->kind != SIM_ERR_INPUT) {
        fuzz_fail("error of kind %d, not bad input: %s", (int)err->kind, err->msg);
    }
    if (strncmp(err->msg, prefix, n) != 0 || err->msg[n] != ':') {
        fuzz_fail("the message does not start with '%s:': %s", prefix, err->msg);
    }
}
