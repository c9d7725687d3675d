/*
 * Fuzz target: the memory-trace reader (sim/trace/memtrace.h), text or binary, plain or gzip.
 * Every error must be bad input naming the file; a trace it accepts must read the same after
 * a rewind, and after the writer has written it in the other form.
 */
#include <string.h>

#include "fuzz.h"
#include "sim/trace/memtrace.h"

/* Records compared between reads; more are read, not kept. */
enum {
    KEEP = 4096
};

static bool same(const MemTraceRecord *a, const MemTraceRecord *b)
{
    return a->time == b->time && a->addr == b->addr && a->size == b->size && a->op == b->op &&
           a->when == b->when && a->access == b->access;
}

/* Reads every record of an open trace: their number, or -1 after an error (checked). Keeps
 * the first KEEP in out, or compares them with out when compare is true. */
static long read_records(MemTrace *t, const char *path, MemTraceRecord *out, bool compare)
{
    SimError err;
    sim_error_clear(&err);
    MemTraceRecord rec;
    long n = 0;
    int r;
    while ((r = memtrace_next(t, &rec, &err)) > 0) {
        if (rec.size == 0 || rec.size > MEMTRACE_MAX_SIZE) {
            fuzz_fail("record %ld has size %u", n + 1, rec.size);
        }
        if (n < KEEP) {
            if (compare && !same(&out[n], &rec)) {
                fuzz_fail("record %ld differs when read again", n + 1);
            } else if (!compare) {
                out[n] = rec;
            }
        }
        n++;
    }
    if (r < 0) {
        fuzz_check_error(&err, path);
        if (memtrace_next(t, &rec, &err) >= 0) {
            fuzz_fail("%s: a reader went on after its error", path);
        }
        return -1;
    }
    return n;
}

static MemTraceRecord kept[KEEP];

/* Writes the trace at path in the other form, plain or gzip, and reads it back. */
static void rewrite(const char *path, MemTraceFormat form, long n, bool gzip)
{
    const char *out = fuzz_file_path(1);
    MemTraceFormat other = form == MEMTRACE_TEXT ? MEMTRACE_BINARY : MEMTRACE_TEXT;
    SimError err;
    sim_error_clear(&err);
    MemTraceWriter *w = memtrace_writer_open(out, other, gzip, &err);
    if (w == NULL) {
        fuzz_fail("cannot write '%s': %s", out, err.msg);
    }
    MemTrace *t = memtrace_open(path, &err);
    MemTraceRecord rec;
    while (t != NULL && memtrace_next(t, &rec, &err) > 0) {
        if (!memtrace_writer_put(w, &rec)) {
            fuzz_fail("the writer refused a record the reader accepted");
        }
    }
    memtrace_close(t);
    if (!memtrace_writer_close(w)) {
        fuzz_fail("writing '%s' failed", out);
    }
    t = memtrace_open(out, &err);
    if (t == NULL) {
        fuzz_fail("the rewritten trace does not open: %s", err.msg);
    }
    long m = read_records(t, out, kept, true);
    if (m != n) {
        fuzz_fail("%ld records, but %ld after the writer", n, m);
    }
    memtrace_close(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_write(0, data, size);
    SimError err;
    sim_error_clear(&err);
    MemTrace *t = memtrace_open(path, &err);
    if (t == NULL) {
        fuzz_check_error(&err, path);
        return 0;
    }
    MemTraceFormat form = memtrace_format(t);
    long n = read_records(t, path, kept, false);
    if (n >= 0) {
        if (!memtrace_rewind(t, &err)) {
            fuzz_fail("rewinding a good trace failed: %s", err.msg);
        }
        if (read_records(t, path, kept, true) != n) {
            fuzz_fail("another number of records after a rewind");
        }
    }
    memtrace_close(t);
    if (n >= 0) {
        rewrite(path, form, n, size % 2 == 1);
    }
    return 0;
}
