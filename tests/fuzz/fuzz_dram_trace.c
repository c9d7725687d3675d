/*
 * Fuzz target: the DRAM trace reader (sim/trace/dram_trace.h) in each of its three formats,
 * plain or gzip (the input is the file, so a gzip seed stays gzip). Every error must be bad
 * input naming the file; the reader must stay failed after an error; and a native trace it
 * accepts must read back the same after the writer has written it out again.
 */
#include <string.h>

#include "fuzz.h"
#include "sim/trace/dram_trace.h"

/* Records compared between a read and the read of its rewrite; more are read, not kept. */
enum {
    KEEP = 4096
};

static DramTraceRecord kept[KEEP];

/* Reads path in format f: the number of records, or -1 after an error (checked). Keeps the
 * first KEEP records in out when out is not NULL. */
static long read_trace(const char *path, DramTraceFormat f, DramTraceRecord *out)
{
    SimError err;
    sim_error_clear(&err);
    DramTrace *t = dram_trace_open(path, f, &err);
    if (t == NULL) {
        fuzz_check_error(&err, path);
        return -1;
    }
    long n = 0;
    int r;
    DramTraceRecord rec;
    while ((r = dram_trace_next(t, &rec, &err)) > 0) {
        if (rec.len == 0 || rec.len > DRAM_TRACE_MAX_LEN) {
            fuzz_fail("record %ld has length %u", n + 1, rec.len);
        }
        if (out != NULL && n < KEEP) {
            out[n] = rec;
        }
        n++;
    }
    if (r < 0) {
        fuzz_check_error(&err, path);
        if (dram_trace_next(t, &rec, &err) >= 0) {
            fuzz_fail("%s: a reader went on after its error", path);
        }
        n = -1;
    }
    dram_trace_close(t);
    return n;
}

static void rewrite_native(const char *path, long n)
{
    const char *out = fuzz_file_path(1);
    SimError err;
    sim_error_clear(&err);
    DramTraceWriter *w = dram_trace_writer_open(out, n % 2 == 0, &err);
    if (w == NULL) {
        fuzz_fail("cannot write '%s': %s", out, err.msg);
    }
    DramTrace *t = dram_trace_open(path, DRAM_TRACE_NATIVE, &err);
    DramTraceRecord rec;
    while (t != NULL && dram_trace_next(t, &rec, &err) > 0) {
        dram_trace_writer_put(w, &rec);
    }
    dram_trace_close(t);
    if (!dram_trace_writer_close(w)) {
        fuzz_fail("writing '%s' failed", out);
    }
    static DramTraceRecord again[KEEP];
    long m = read_trace(out, DRAM_TRACE_NATIVE, again);
    if (m != n) {
        fuzz_fail("%ld records, but %ld after the writer", n, m);
    }
    for (long i = 0; i < n && i < KEEP; i++) {
        if (kept[i].addr != again[i].addr || kept[i].cycle != again[i].cycle ||
            kept[i].len != again[i].len || kept[i].write != again[i].write) {
            fuzz_fail("record %ld differs after the writer", i + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_write(0, data, size);
    for (int f = 0; f < DRAM_TRACE_FORMAT_MAX; f++) {
        long n = read_trace(path, (DramTraceFormat)f, f == DRAM_TRACE_NATIVE ? kept : NULL);
        if (f == DRAM_TRACE_NATIVE && n >= 0) {
            rewrite_native(path, n);
        }
    }
    return 0;
}
