/*
 * Parameter-server traces: the writer of both forms (pstrace.h). It checks the header and
 * every event with the reader's own checks (pstrace_check.c) before writing them.
 */
#include "pstrace_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct PsTraceWriter {
    TraceFile f;
    PsTraceForm form;
    PsTraceHeader h; /* a deep copy: the caller's may go away */
    uint64_t events;
    uint64_t last_start;
    bool ok;
};

static bool wbad(PsTraceWriter *w, SimError *err)
{
    int errnum = Z_OK;
    const char *msg = gzerror(w->f.gz, &errnum);
    w->ok = false;
    return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: %s", w->f.path,
                         errnum == Z_ERRNO ? strerror(errno) : msg);
}

static bool wwrite(PsTraceWriter *w, const void *buf, unsigned n)
{
    if (w->ok && n > 0 && gzwrite(w->f.gz, buf, n) != (int)n) {
        w->ok = false;
    }
    return w->ok;
}

/* Copies h into w->h, checking it as the reader would. */
static bool copy_header(PsTraceWriter *w, const PsTraceHeader *h, char *why, size_t size)
{
    PsTraceHeader *c = &w->h;
    PsTraceHeader fields = *h;
    fields.version = h->version == 2 ? 2u : 1u;
    if (!pstrace_check_header_fields(&fields, why, size)) {
        return false;
    }
    c->version = h->version == 2 ? 2u : 1u;
    c->warmup = h->warmup;
    c->workers = h->workers;
    c->iterations = h->iterations;
    c->batch = h->batch;
    c->dtype = h->dtype;
    c->model = strdup(h->model);
    c->origin = strdup(h->origin);
    c->tensors = calloc(h->n_tensors, sizeof(*c->tensors));
    if (c->model == NULL || c->origin == NULL || c->tensors == NULL) {
        snprintf(why, size, "out of memory");
        return false;
    }
    c->n_tensors = h->n_tensors;
    PsTraceNames names;
    pstrace_names_init(&names);
    bool ok = true;
    for (uint32_t i = 0; i < c->n_tensors && ok; i++) {
        c->tensors[i] = h->tensors[i];
        c->tensors[i].name = h->tensors[i].name != NULL ? strdup(h->tensors[i].name) : NULL;
        if (h->tensors[i].name != NULL && c->tensors[i].name == NULL) {
            snprintf(why, size, "out of memory");
            ok = false;
        } else if (!pstrace_check_tensor(c, i, why, size)) {
            ok = false;
        } else {
            uint32_t dup = 0;
            int added = pstrace_names_add(&names, c->tensors, i, &dup);
            if (added < 0) {
                snprintf(why, size, "out of memory");
                ok = false;
            } else if (added == 0) {
                snprintf(why, size,
                         "duplicate tensor name '%s' (tensors %" PRIu32 " and %" PRIu32 ")",
                         c->tensors[i].name, dup, i);
                ok = false;
            }
        }
    }
    pstrace_names_destroy(&names);
    return ok;
}

static bool write_text_header(PsTraceWriter *w)
{
    const PsTraceHeader *h = &w->h;
    if (gzprintf(w->f.gz,
                 "%s %" PRIu32 "\nmodel %s\nworkers %" PRIu32 "\niterations %" PRIu32
                 "\nbatch %" PRIu32 "\n",
                 PSTRACE_TEXT_MAGIC, h->version, h->model, h->workers, h->iterations,
                 h->batch) <= 0 ||
        (h->version == 2 && gzprintf(w->f.gz, "warmup %" PRIu32 "\n", h->warmup) <= 0) ||
        gzprintf(w->f.gz, "dtype %s\norigin%s%s\ntensors %" PRIu32 "\n",
                 pstrace_dtype_names[h->dtype], h->origin[0] != '\0' ? " " : "", h->origin,
                 h->n_tensors) <= 0) {
        return false;
    }
    for (uint32_t i = 0; i < h->n_tensors; i++) {
        const PsTraceTensor *ts = &h->tensors[i];
        char shape[8 * 21 + 8];
        pstrace_fmt_shape(shape, sizeof(shape), ts);
        if (gzprintf(w->f.gz, "tensor %" PRIu32 " %s %s %" PRIu64 "\n", i, ts->name, shape,
                     ts->bytes) <= 0) {
            return false;
        }
    }
    return gzputs(w->f.gz, h->version == 2
                               ? "events\n# worker iteration kind tensor bytes start_us end_us "
                                 "cpu_us\n"
                               : "events\n# worker iteration kind tensor bytes start_us end_us\n") >
           0;
}

static bool write_bin_header(PsTraceWriter *w)
{
    const PsTraceHeader *h = &w->h;
    unsigned char b[PSTRACE_BIN_HEADER_FIXED2];
    unsigned fixed = h->version == 2 ? PSTRACE_BIN_HEADER_FIXED2 : PSTRACE_BIN_HEADER_FIXED;
    memset(b, 0, sizeof(b));
    memcpy(b, PSTRACE_BINARY_MAGIC, 8);
    trace_put_le32(b + 8, h->version);
    trace_put_le32(b + 32, h->warmup);
    trace_put_le32(b + 12, h->workers);
    trace_put_le32(b + 16, h->iterations);
    trace_put_le32(b + 20, h->batch);
    trace_put_le32(b + 24, h->n_tensors);
    b[28] = (unsigned char)h->dtype;
    b[29] = (unsigned char)strlen(h->model);
    trace_put_le16(b + 30, (uint16_t)strlen(h->origin));
    if (!wwrite(w, b, fixed) || !wwrite(w, h->model, b[29]) ||
        !wwrite(w, h->origin, trace_get_le16(b + 30))) {
        return false;
    }
    for (uint32_t i = 0; i < h->n_tensors; i++) {
        const PsTraceTensor *ts = &h->tensors[i];
        unsigned char tb[PSTRACE_BIN_TENSOR_FIXED + 8 * PSTRACE_MAX_RANK];
        trace_put_le32(tb, i);
        trace_put_le64(tb + 4, ts->bytes);
        tb[12] = (unsigned char)ts->rank;
        tb[13] = (unsigned char)strlen(ts->name);
        for (uint32_t d = 0; d < ts->rank; d++) {
            trace_put_le64(tb + PSTRACE_BIN_TENSOR_FIXED + 8 * d, ts->dims[d]);
        }
        if (!wwrite(w, tb, PSTRACE_BIN_TENSOR_FIXED + 8 * ts->rank) ||
            !wwrite(w, ts->name, tb[13])) {
            return false;
        }
    }
    return true;
}

PsTraceWriter *pstrace_writer_open(const char *path, PsTraceForm form, bool gzip,
                                   const PsTraceHeader *h, SimError *err)
{
    PsTraceWriter *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        return NULL;
    }
    w->form = form;
    w->ok = true;
    PsTraceWhy why;
    if ((unsigned)form >= PSTRACE_FORM_MAX) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: unknown trace form %u", path, (unsigned)form);
        goto fail_header;
    }
    if (!copy_header(w, h, why, sizeof(why))) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: %s", path, why);
        goto fail_header;
    }
    if (!trace_file_create(&w->f, path, gzip, PSTRACE_ZBUFFER, err)) {
        goto fail_header;
    }
    if (!(form == PSTRACE_BINARY ? write_bin_header(w) : write_text_header(w))) {
        wbad(w, err);
        goto fail_write;
    }
    return w;

fail_write:
    trace_file_destroy(&w->f);
fail_header:
    pstrace_header_free(&w->h);
    free(w);
    return NULL;
}

bool pstrace_writer_put(PsTraceWriter *w, const PsTraceEvent *ev, SimError *err)
{
    if (!w->ok) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: an earlier write failed",
                             w->f.path);
    }
    PsTraceWhy why;
    if (!pstrace_check_event(&w->h, ev, w->last_start, w->events, why, sizeof(why))) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: event %" PRIu64 ": %s", w->f.path,
                             w->events + 1, why);
    }
    bool v2 = w->h.version == 2;
    if (w->form == PSTRACE_BINARY) {
        unsigned char b[PSTRACE_EVENT_BYTES2];
        b[0] = (unsigned char)ev->kind;
        b[1] = 0;
        trace_put_le16(b + 2,
                       ev->worker == PSTRACE_SERVER ? PSTRACE_BIN_NO_WORKER : (uint16_t)ev->worker);
        trace_put_le32(b + 4, ev->iteration);
        trace_put_le32(b + 8, ev->tensor);
        trace_put_le64(b + 12, ev->start_ns);
        trace_put_le64(b + 20, ev->end_ns);
        trace_put_le64(b + 28, ev->has_cpu ? ev->cpu_ns : PSTRACE_BIN_NO_CPU);
        if (!wwrite(w, b, v2 ? PSTRACE_EVENT_BYTES2 : PSTRACE_EVENT_BYTES)) {
            return wbad(w, err);
        }
    } else {
        char worker[16], tensor[16], bytes[24], cpu[32] = "";
        if (ev->worker == PSTRACE_SERVER) {
            snprintf(worker, sizeof(worker), "-");
        } else {
            snprintf(worker, sizeof(worker), "%" PRIu32, ev->worker);
        }
        if (ev->tensor == PSTRACE_NO_TENSOR) {
            snprintf(tensor, sizeof(tensor), "-");
        } else {
            snprintf(tensor, sizeof(tensor), "%" PRIu32, ev->tensor);
        }
        if (pstrace_kind_has_bytes(ev->kind)) {
            snprintf(bytes, sizeof(bytes), "%" PRIu64, ev->bytes);
        } else {
            snprintf(bytes, sizeof(bytes), "-");
        }
        if (v2 && ev->has_cpu) {
            snprintf(cpu, sizeof(cpu), " %" PRIu64 ".%03" PRIu64, ev->cpu_ns / 1000u,
                     ev->cpu_ns % 1000u);
        } else if (v2) {
            snprintf(cpu, sizeof(cpu), " -");
        }
        if (gzprintf(w->f.gz,
                     "%s %" PRIu32 " %s %s %s %" PRIu64 ".%03" PRIu64 " %" PRIu64 ".%03" PRIu64
                     "%s\n",
                     worker, ev->iteration, pstrace_kind_names[ev->kind], tensor, bytes,
                     ev->start_ns / 1000u, ev->start_ns % 1000u, ev->end_ns / 1000u,
                     ev->end_ns % 1000u, cpu) <= 0) {
            return wbad(w, err);
        }
    }
    w->events++;
    w->last_start = ev->start_ns;
    return true;
}

bool pstrace_writer_close(PsTraceWriter *w, SimError *err)
{
    if (w == NULL) {
        return true;
    }
    bool ok = w->ok;
    if (ok) {
        if (w->form == PSTRACE_BINARY) {
            unsigned char b[PSTRACE_EVENT_BYTES2];
            memset(b, 0, sizeof(b));
            b[0] = PSTRACE_BIN_END_KIND;
            trace_put_le64(b + 12, w->events);
            ok = wwrite(w, b, w->h.version == 2 ? PSTRACE_EVENT_BYTES2 : PSTRACE_EVENT_BYTES);
        } else {
            ok = gzprintf(w->f.gz, "end %" PRIu64 "\n", w->events) > 0;
        }
        if (!ok) {
            wbad(w, err);
        }
    } else {
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: an earlier write failed", w->f.path);
    }
    int zr = trace_file_close(&w->f);
    if (ok && zr != Z_OK) {
        ok = false;
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: %s", w->f.path,
                      zr == Z_ERRNO ? strerror(errno) : "zlib error");
    }
    trace_file_destroy(&w->f);
    pstrace_header_free(&w->h);
    free(w);
    return ok;
}
