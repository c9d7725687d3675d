/*
 * Parameter-server traces: the reader's front (pstrace.h). It opens the file, tells the form
 * by the first byte, has the form's part read the header and tensor table, hands out events,
 * and summarises a trace for `membox-sim trace info`. The forms are read by pstrace_text.c and
 * pstrace_binary.c, the checks they share are in pstrace_check.c (see pstrace_internal.h).
 */
#include "pstrace_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pstrace_bad(PsTrace *t, SimError *err, const char *fmt, ...)
{
    PsTraceWhy msg;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (t->form == PSTRACE_BINARY) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: record %" PRIu64 ": %s", t->f.path, t->pos, msg);
    } else {
        sim_error_set(err, SIM_ERR_INPUT, "%s:%" PRIu64 ": %s", t->f.path, t->pos, msg);
    }
    t->failed = true;
    return -1;
}

int pstrace_stream_error(PsTrace *t, SimError *err)
{
    if (trace_file_error(&t->f, NULL) == TRACE_FILE_OK) {
        return 0;
    }
    PsTraceWhy why;
    trace_file_describe(&t->f, why, sizeof(why));
    return pstrace_bad(t, err, "%s", why);
}

/* ---- reader entry points ---- */

PsTrace *pstrace_open(const char *path, SimError *err)
{
    PsTrace *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        return NULL;
    }
    if (!trace_file_init(&t->f, path, PSTRACE_ZBUFFER, err)) {
        goto fail_open;
    }
    /* The first byte tells the forms apart: 'm' of "membox-pstrace", 'M' of "MBPSTRC". */
    int c = gzgetc(t->f.gz);
    if (c < 0) {
        t->pos = 1;
        if (pstrace_stream_error(t, err) == 0) {
            pstrace_bad(t, err, "empty file: expected the header line '%s %u' or the binary magic",
                        PSTRACE_TEXT_MAGIC, PSTRACE_VERSION);
        }
        goto fail_header;
    }
    t->gzip = !gzdirect(t->f.gz);
    t->form = c == PSTRACE_BINARY_MAGIC[0] ? PSTRACE_BINARY : PSTRACE_TEXT;
    if (gzungetc(c, t->f.gz) < 0) {
        t->pos = 1;
        pstrace_bad(t, err, "read error: cannot push back the first byte");
        goto fail_header;
    }
    int r = t->form == PSTRACE_BINARY ? pstrace_bin_header(t, err) : pstrace_text_header(t, err);
    if (r < 0) {
        goto fail_header;
    }
    t->events_at = gztell(t->f.gz);
    t->events_pos = t->pos;
    return t;

fail_header:
    pstrace_header_free(&t->h);
    trace_file_destroy(&t->f);
fail_open:
    free(t);
    return NULL;
}

PsTraceForm pstrace_form(const PsTrace *t)
{
    return t->form;
}

const PsTraceHeader *pstrace_header(const PsTrace *t)
{
    return &t->h;
}

uint64_t pstrace_position(const PsTrace *t)
{
    return t->pos;
}

bool pstrace_is_gzip(const PsTrace *t)
{
    return t->gzip;
}

int pstrace_next(PsTrace *t, PsTraceEvent *ev, SimError *err)
{
    if (t->failed) {
        if (t->form == PSTRACE_BINARY) {
            sim_error_set(err, SIM_ERR_INPUT, "%s: record %" PRIu64 ": trace already failed",
                          t->f.path, t->pos);
        } else {
            sim_error_set(err, SIM_ERR_INPUT, "%s:%" PRIu64 ": trace already failed", t->f.path,
                          t->pos);
        }
        return -1;
    }
    if (t->done) {
        return 0;
    }
    int r =
        t->form == PSTRACE_BINARY ? pstrace_bin_next(t, ev, err) : pstrace_text_next(t, ev, err);
    if (r > 0) {
        t->events++;
        t->last_start = ev->start_ns;
    }
    return r;
}

bool pstrace_rewind(PsTrace *t, SimError *err)
{
    if (t->events_at < 0 || gzseek(t->f.gz, t->events_at, SEEK_SET) != t->events_at) {
        t->pos = t->events_pos;
        pstrace_bad(t, err, "cannot seek back to the first event");
        return false;
    }
    t->pos = t->events_pos;
    t->events = 0;
    t->last_start = 0;
    t->done = false;
    t->failed = false;
    return true;
}

void pstrace_close(PsTrace *t)
{
    if (t == NULL) {
        return;
    }
    trace_file_destroy(&t->f);
    pstrace_header_free(&t->h);
    free(t);
}

/* ---- summary ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

bool pstrace_summarize(PsTrace *t, PsTraceSummary *s, SimError *err)
{
    const PsTraceHeader *h = &t->h;
    memset(s, 0, sizeof(*s));
    uint64_t *sizes = malloc(h->n_tensors * sizeof(*sizes));
    /* Per worker: first start and last end, to know how long each was busy. */
    uint64_t *first = malloc(h->workers * sizeof(*first));
    uint64_t *last = calloc(h->workers, sizeof(*last));
    if (sizes == NULL || first == NULL || last == NULL) {
        free(sizes);
        free(first);
        free(last);
        return sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", t->f.path);
    }
    for (uint32_t w = 0; w < h->workers; w++) {
        first[w] = UINT64_MAX;
    }
    for (uint32_t i = 0; i < h->n_tensors; i++) {
        uint64_t b = h->tensors[i].bytes;
        sizes[i] = b;
        s->table_bytes += b;
        int k = 0;
        while (k < PSTRACE_SIZE_BUCKET_MAX - 1 && b >= pstrace_size_bucket_limit[k]) {
            k++;
        }
        s->bucket_count[k]++;
        s->bucket_bytes[k] += b;
    }
    qsort(sizes, h->n_tensors, sizeof(*sizes), cmp_u64);
    s->tensor_min = sizes[0];
    s->tensor_max = sizes[h->n_tensors - 1];
    s->tensor_median = sizes[(h->n_tensors - 1) / 2];
    free(sizes);

    s->first_ns = UINT64_MAX;
    PsTraceEvent ev;
    int r;
    while ((r = pstrace_next(t, &ev, err)) > 0) {
        s->events++;
        s->by_kind[ev.kind]++;
        if (ev.start_ns < s->first_ns) {
            s->first_ns = ev.start_ns;
        }
        if (ev.end_ns > s->last_ns) {
            s->last_ns = ev.end_ns;
        }
        if (ev.kind == PSTRACE_PUSH) {
            s->push_bytes += ev.bytes;
        } else if (ev.kind == PSTRACE_PULL) {
            s->pull_bytes += ev.bytes;
        } else if (ev.kind == PSTRACE_FORWARD || ev.kind == PSTRACE_BACKWARD) {
            s->compute_ns += ev.end_ns - ev.start_ns;
            if (ev.has_cpu) {
                s->cpu_events++;
                s->compute_cpu_ns += ev.cpu_ns;
            }
        }
        /* Server-side events name their peer worker: they are not that worker's time. */
        if (ev.worker != PSTRACE_SERVER && !pstrace_kind_on_server(ev.kind)) {
            if (ev.start_ns < first[ev.worker]) {
                first[ev.worker] = ev.start_ns;
            }
            if (ev.end_ns > last[ev.worker]) {
                last[ev.worker] = ev.end_ns;
            }
        }
    }
    if (s->events == 0) {
        s->first_ns = 0;
    }
    for (uint32_t w = 0; w < h->workers; w++) {
        if (first[w] != UINT64_MAX) {
            s->busy_ns += last[w] - first[w];
        }
    }
    free(first);
    free(last);
    return r == 0;
}
