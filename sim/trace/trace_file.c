/*
 * The shared trace opener and line reader (trace_file.h).
 *
 * gzgets() and gzread() return what was decompressed before a damaged or truncated part of a
 * gzip stream, and zlib keeps the error in the stream's state; so the state is looked at after
 * reads, and a damaged stream is told as an error, never as a quiet end of the trace.
 */
#include "trace_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* zlib's own buffer size, which a reader asking for a bigger one gets for a smaller file. */
#define TRACE_ZLIB_DEFAULT_BUFFER 8192u

static bool trace_file_gzopen(TraceFile *f, const char *path, const char *mode, unsigned buffer,
                              const char *verb, SimError *err)
{
    f->gz = NULL;
    f->path = strdup(path);
    if (f->path == NULL) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
    }
    errno = 0;
    f->gz = gzopen(path, mode);
    if (f->gz == NULL) {
        /* gzopen leaves errno at 0 when its own allocation failed. */
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot %s: %s", path, verb,
                      errno ? strerror(errno) : "out of memory");
        free(f->path);
        f->path = NULL;
        return false;
    }
    if (buffer != 0) {
        gzbuffer(f->gz, buffer);
    }
    return true;
}

bool trace_file_init(TraceFile *f, const char *path, unsigned buffer, SimError *err)
{
    /*
     * A buffer larger than the file only costs memory (zlib allocates it, and twice as much
     * again for inflated data, at the first read): every node of a fabric opens its trace,
     * and the traces of tests and examples are small. A file that grows while it is read (a
     * pipe, a trace being written) keeps the buffer asked for.
     */
    struct stat st;
    if (buffer > TRACE_ZLIB_DEFAULT_BUFFER && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size < (off_t)buffer) {
        buffer = st.st_size > (off_t)TRACE_ZLIB_DEFAULT_BUFFER ? (unsigned)st.st_size : 0;
    }
    return trace_file_gzopen(f, path, "rb", buffer, "open", err);
}

bool trace_file_create(TraceFile *f, const char *path, bool gzip, unsigned buffer, SimError *err)
{
    return trace_file_gzopen(f, path, gzip ? "wb6" : "wbT", buffer, "create", err);
}

int trace_file_close(TraceFile *f)
{
    int r = Z_OK;
    if (f->gz != NULL) {
        r = gzclose(f->gz);
        f->gz = NULL;
    }
    return r;
}

void trace_file_destroy(TraceFile *f)
{
    trace_file_close(f);
    free(f->path);
    f->path = NULL;
}

TraceFileError trace_file_error(const TraceFile *f, const char **detail)
{
    int errnum = Z_OK;
    const char *msg = gzerror(f->gz, &errnum);
    TraceFileError e;
    switch (errnum) {
    case Z_OK:
    case Z_STREAM_END:
        e = TRACE_FILE_OK;
        break;
    case Z_BUF_ERROR:
        e = TRACE_FILE_TRUNCATED;
        break;
    case Z_DATA_ERROR:
        e = TRACE_FILE_CORRUPT;
        break;
    case Z_ERRNO:
        e = TRACE_FILE_IO;
        msg = strerror(errno);
        break;
    default:
        e = TRACE_FILE_OTHER;
        break;
    }
    /* zlib prefixes its message with the path, which every message of ours starts with. */
    size_t n = strlen(f->path);
    if (strncmp(msg, f->path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') {
        msg += n + 2;
    }
    if (detail != NULL) {
        *detail = msg;
    }
    return e;
}

int trace_file_describe(const TraceFile *f, char *buf, size_t size)
{
    const char *detail = "";
    switch (trace_file_error(f, &detail)) {
    case TRACE_FILE_TRUNCATED:
        return snprintf(buf, size, "truncated gzip stream: %s", detail);
    case TRACE_FILE_CORRUPT:
        return snprintf(buf, size, "corrupt gzip stream: %s", detail);
    default:
        return snprintf(buf, size, "read error: %s", detail);
    }
}

TraceLine trace_file_line(TraceFile *f, char *buf, size_t size, TraceCheck check, uint64_t *line)
{
    z_off_t before = gztell(f->gz);
    if (gzgets(f->gz, buf, (int)size) == NULL) {
        if (trace_file_error(f, NULL) != TRACE_FILE_OK) {
            ++*line; /* the error is at the first line that could not be read */
            return TRACE_LINE_ERROR;
        }
        return TRACE_LINE_END;
    }
    ++*line;
    /* No newline: the last line of the file, a line cut by damage, or an overlong one. */
    size_t n = strlen(buf);
    bool unterminated = n > 0 && buf[n - 1] != '\n';
    if ((check == TRACE_CHECK_EACH_LINE || unterminated) &&
        trace_file_error(f, NULL) != TRACE_FILE_OK) {
        return TRACE_LINE_ERROR;
    }
    /* gzgets() reads up to the newline whatever bytes come before it; a NUL among them would
     * end the line early for every parser, which would read less than the file holds (and
     * /dev/zero as a trace would be an endless stream of empty lines). */
    z_off_t after = gztell(f->gz);
    if (before >= 0 && after >= before && (uint64_t)(after - before) != n) {
        return TRACE_LINE_NUL;
    }
    if (unterminated && n == size - 1) {
        return TRACE_LINE_LONG;
    }
    return TRACE_LINE_OK;
}

int trace_split(char *s, char **tok, int max)
{
    int n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
            s++;
        }
        if (*s == '\0') {
            return n;
        }
        if (n < max) {
            tok[n] = s;
        }
        n++;
        while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            s++;
        }
        if (*s != '\0') {
            *s++ = '\0';
        }
    }
}
