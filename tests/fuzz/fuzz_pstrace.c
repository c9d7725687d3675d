/*
 * Fuzz target: the parameter-server trace reader (sim/trace/pstrace.h), text or binary, plain
 * or gzip, as `membox-sim trace info` reads it (open, then the summary, which reads every
 * event). Every error must be bad input naming the file; a trace it accepts must convert to
 * the other form, which must read back with the same header, tensors and events: the writer
 * and the reader share their checks, so a conversion can never fail halfway.
 */
#include <string.h>

#include "fuzz.h"
#include "sim/trace/pstrace.h"

/* Events compared between reads; more are read, not kept. */
enum {
    KEEP = 4096
};

static PsTraceEvent kept[KEEP];

static bool same_event(const PsTraceEvent *a, const PsTraceEvent *b)
{
    return a->kind == b->kind && a->worker == b->worker && a->iteration == b->iteration &&
           a->tensor == b->tensor && a->bytes == b->bytes && a->start_ns == b->start_ns &&
           a->end_ns == b->end_ns;
}

static void same_header(const PsTraceHeader *a, const PsTraceHeader *b)
{
    if (strcmp(a->model, b->model) != 0 || strcmp(a->origin, b->origin) != 0 ||
        a->workers != b->workers || a->iterations != b->iterations || a->batch != b->batch ||
        a->dtype != b->dtype || a->n_tensors != b->n_tensors) {
        fuzz_fail("the header differs after a conversion");
    }
    for (uint32_t i = 0; i < a->n_tensors; i++) {
        const PsTraceTensor *x = &a->tensors[i], *y = &b->tensors[i];
        if (strcmp(x->name, y->name) != 0 || x->rank != y->rank || x->bytes != y->bytes ||
            memcmp(x->dims, y->dims, x->rank * sizeof(x->dims[0])) != 0) {
            fuzz_fail("tensor %u differs after a conversion", i);
        }
    }
}

/* Converts the good trace at path to the other form and reads the result back. */
static void convert(const char *path, bool gzip)
{
    SimError err;
    sim_error_clear(&err);
    PsTrace *in = pstrace_open(path, &err);
    if (in == NULL) {
        fuzz_fail("a good trace does not open again: %s", err.msg);
    }
    PsTraceForm to = pstrace_form(in) == PSTRACE_TEXT ? PSTRACE_BINARY : PSTRACE_TEXT;
    const char *out = fuzz_file_path(1);
    PsTraceWriter *w = pstrace_writer_open(out, to, gzip, pstrace_header(in), &err);
    if (w == NULL) {
        fuzz_fail("the writer refused the header the reader accepted: %s", err.msg);
    }
    PsTraceEvent ev;
    long n = 0;
    int r;
    while ((r = pstrace_next(in, &ev, &err)) > 0) {
        if (!pstrace_writer_put(w, &ev, &err)) {
            fuzz_fail("the writer refused event %ld the reader accepted: %s", n + 1, err.msg);
        }
        if (n < KEEP) {
            kept[n] = ev;
        }
        n++;
    }
    if (r < 0) {
        fuzz_fail("a good trace failed when read again: %s", err.msg);
    }
    if (!pstrace_writer_close(w, &err)) {
        fuzz_fail("writing '%s' failed: %s", out, err.msg);
    }
    PsTrace *back = pstrace_open(out, &err);
    if (back == NULL) {
        fuzz_fail("the converted trace does not open: %s", err.msg);
    }
    same_header(pstrace_header(in), pstrace_header(back));
    long m = 0;
    while ((r = pstrace_next(back, &ev, &err)) > 0) {
        if (m < KEEP && m < n && !same_event(&kept[m], &ev)) {
            fuzz_fail("event %ld differs after a conversion", m + 1);
        }
        m++;
    }
    if (r < 0 || m != n) {
        fuzz_fail("%ld events, but %ld after a conversion (%s)", n, m, r < 0 ? err.msg : "");
    }
    pstrace_close(back);
    pstrace_close(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_write(0, data, size);
    SimError err;
    sim_error_clear(&err);
    PsTrace *t = pstrace_open(path, &err);
    if (t == NULL) {
        fuzz_check_error(&err, path);
        return 0;
    }
    PsTraceSummary s;
    bool ok = pstrace_summarize(t, &s, &err);
    if (!ok) {
        fuzz_check_error(&err, path);
        PsTraceEvent ev;
        if (pstrace_next(t, &ev, &err) >= 0) {
            fuzz_fail("%s: a reader went on after its error", path);
        }
    }
    pstrace_close(t);
    if (ok) {
        convert(path, size % 2 == 1);
    }
    return 0;
}
