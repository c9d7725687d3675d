/*
 * Parameter-server traces: the checks that reader and writer share, and the set of tensor names
 * (pstrace_internal.h). The messages are part of the tested contract.
 */
#include "pstrace_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const pstrace_kind_names[PSTRACE_KIND_MAX + 1] = {
    [PSTRACE_FORWARD] = "forward",
    [PSTRACE_BACKWARD] = "backward",
    [PSTRACE_GRAD_READY] = "grad_ready",
    [PSTRACE_PUSH] = "push",
    [PSTRACE_PULL] = "pull",
    [PSTRACE_UPDATE] = "update",
    [PSTRACE_BARRIER] = "barrier",
    [PSTRACE_RECV] = "recv",
    [PSTRACE_APPLY] = "apply",
    [PSTRACE_SEND] = "send",
    [PSTRACE_KIND_MAX] = NULL,
};

const char *const pstrace_dtype_names[PSTRACE_DTYPE_MAX + 1] = {
    [PSTRACE_FLOAT32] = "float32", [PSTRACE_FLOAT16] = "float16", [PSTRACE_BFLOAT16] = "bfloat16",
    [PSTRACE_FLOAT64] = "float64", [PSTRACE_INT8] = "int8",       [PSTRACE_DTYPE_MAX] = NULL,
};

const uint8_t pstrace_dtype_size[PSTRACE_DTYPE_MAX] = {
    [PSTRACE_FLOAT32] = 4, [PSTRACE_FLOAT16] = 2, [PSTRACE_BFLOAT16] = 2,
    [PSTRACE_FLOAT64] = 8, [PSTRACE_INT8] = 1,
};

const uint64_t pstrace_size_bucket_limit[PSTRACE_SIZE_BUCKET_MAX - 1] = {
    1ull << 10, 1ull << 14, 1ull << 18, 1ull << 22, 1ull << 26,
};

/* ---- shared checks ---- */

void pstrace_fmt_time(char *buf, size_t size, uint64_t ns)
{
    snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 " us", ns / 1000u, ns % 1000u);
}

void pstrace_fmt_shape(char *buf, size_t size, const PsTraceTensor *ts)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t d = 0; d < ts->rank && used < size; d++) {
        int n = snprintf(buf + used, size - used, d == 0 ? "%" PRIu64 : "x%" PRIu64, ts->dims[d]);
        if (n < 0) {
            return;
        }
        used += (size_t)n;
    }
}

/* Names are one token of the text form: printable, no spaces or control characters. */
bool pstrace_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PSTRACE_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

/* The origin is the rest of a text line: no control characters (tab allowed). */
bool pstrace_origin_ok(const char *s)
{
    size_t n = strlen(s);
    if (n > PSTRACE_ORIGIN_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return false;
        }
    }
    return n == 0 || (s[0] != ' ' && s[0] != '\t' && s[n - 1] != ' ' && s[n - 1] != '\t');
}

/* Tensor i of h: rank, dimensions, bytes against the shape and dtype. */
bool pstrace_check_tensor(const PsTraceHeader *h, uint32_t i, char *why, size_t size)
{
    const PsTraceTensor *ts = &h->tensors[i];
    if (ts->name == NULL || !pstrace_name_ok(ts->name)) {
        snprintf(why, size,
                 "tensor %" PRIu32 ": bad name: 1 to %u characters, no spaces or "
                 "control characters",
                 i, PSTRACE_NAME_MAX);
        return false;
    }
    if (ts->rank < 1 || ts->rank > PSTRACE_MAX_RANK) {
        snprintf(why, size, "tensor %" PRIu32 " '%s': rank %" PRIu32 " is outside 1..%u", i,
                 ts->name, ts->rank, PSTRACE_MAX_RANK);
        return false;
    }
    uint64_t elems = 1;
    bool overflow = false;
    for (uint32_t d = 0; d < ts->rank; d++) {
        if (ts->dims[d] == 0) {
            snprintf(why, size, "tensor %" PRIu32 " '%s': dimension %" PRIu32 " is 0", i, ts->name,
                     d);
            return false;
        }
        if (elems > UINT64_MAX / ts->dims[d]) {
            overflow = true;
        } else {
            elems *= ts->dims[d];
        }
    }
    uint64_t esize = pstrace_dtype_size[h->dtype];
    if (overflow || elems > UINT64_MAX / esize) {
        snprintf(why, size, "tensor %" PRIu32 " '%s': its shape is too large", i, ts->name);
        return false;
    }
    if (ts->bytes != elems * esize) {
        char shape[256];
        pstrace_fmt_shape(shape, sizeof(shape), ts);
        snprintf(why, size,
                 "tensor %" PRIu32 " '%s' has %" PRIu64 " bytes, but its shape %s "
                 "of %s makes %" PRIu64,
                 i, ts->name, ts->bytes, shape, pstrace_dtype_names[h->dtype], elems * esize);
        return false;
    }
    return true;
}

/* The header's scalar fields (not the tensors). */
bool pstrace_check_header_fields(const PsTraceHeader *h, char *why, size_t size)
{
    if (h->model == NULL || !pstrace_name_ok(h->model)) {
        snprintf(why, size,
                 "bad model name: 1 to %u characters, no spaces or control "
                 "characters",
                 PSTRACE_NAME_MAX);
        return false;
    }
    if (h->workers < 1 || h->workers > PSTRACE_MAX_WORKERS) {
        snprintf(why, size, "workers %" PRIu32 " is outside 1..%u", h->workers,
                 PSTRACE_MAX_WORKERS);
        return false;
    }
    if (h->iterations < 1) {
        snprintf(why, size, "iterations must be at least 1");
        return false;
    }
    if (h->batch < 1) {
        snprintf(why, size, "batch must be at least 1");
        return false;
    }
    if (h->version != 2 && h->warmup != 0) {
        snprintf(why, size, "warmup needs version 2 (this trace is version 1)");
        return false;
    }
    if (h->warmup >= h->iterations) {
        snprintf(why, size,
                 "warmup %" PRIu32 " leaves no measured iteration (the header says iterations "
                 "%" PRIu32 ")",
                 h->warmup, h->iterations);
        return false;
    }
    if ((unsigned)h->dtype >= PSTRACE_DTYPE_MAX) {
        snprintf(why, size, "unknown dtype code %u", (unsigned)h->dtype);
        return false;
    }
    if (h->origin == NULL || !pstrace_origin_ok(h->origin)) {
        snprintf(why, size,
                 "bad origin: at most %u characters, no control characters, no "
                 "leading or trailing blanks",
                 PSTRACE_ORIGIN_MAX);
        return false;
    }
    if (h->n_tensors < 1 || h->n_tensors > PSTRACE_MAX_TENSORS) {
        snprintf(why, size, "tensor count %" PRIu32 " is outside 1..%u", h->n_tensors,
                 PSTRACE_MAX_TENSORS);
        return false;
    }
    return true;
}

static bool kind_needs_tensor(PsTraceKind k)
{
    return k == PSTRACE_GRAD_READY || k == PSTRACE_PUSH || k == PSTRACE_PULL || k == PSTRACE_RECV ||
           k == PSTRACE_SEND;
}

static bool kind_takes_tensor(PsTraceKind k)
{
    return kind_needs_tensor(k) || k == PSTRACE_UPDATE || k == PSTRACE_APPLY;
}

bool pstrace_kind_has_bytes(PsTraceKind k)
{
    return k == PSTRACE_PUSH || k == PSTRACE_PULL || k == PSTRACE_RECV || k == PSTRACE_SEND;
}

bool pstrace_kind_takes_cpu(PsTraceKind k)
{
    return k == PSTRACE_FORWARD || k == PSTRACE_BACKWARD || k == PSTRACE_UPDATE ||
           k == PSTRACE_APPLY;
}

bool pstrace_kind_on_server(PsTraceKind k)
{
    return k == PSTRACE_UPDATE || k == PSTRACE_RECV || k == PSTRACE_APPLY || k == PSTRACE_SEND;
}

/* Who runs the event and when in the job: worker (or the server) and iteration. */
static bool check_event_owner(const PsTraceHeader *h, const PsTraceEvent *ev, char *why,
                              size_t size)
{
    if (ev->kind >= PSTRACE_RECV && h->version != 2) {
        snprintf(why, size, "a %s event needs version 2 (this trace is version 1)",
                 pstrace_kind_names[ev->kind]);
        return false;
    }
    if (ev->worker == PSTRACE_SERVER) {
        if (ev->kind != PSTRACE_UPDATE && ev->kind != PSTRACE_APPLY) {
            snprintf(why, size,
                     "only an update or an apply may name no worker (worker '-'), not a %s",
                     pstrace_kind_names[ev->kind]);
            return false;
        }
    } else if (ev->worker >= h->workers) {
        snprintf(why, size,
                 "worker %" PRIu32 " is outside 0..%" PRIu32 " (the header says "
                 "workers %" PRIu32 ")",
                 ev->worker, h->workers - 1, h->workers);
        return false;
    }
    if (ev->iteration >= h->iterations) {
        snprintf(why, size,
                 "iteration %" PRIu32 " is outside 0..%" PRIu32 " (the header says "
                 "iterations %" PRIu32 ")",
                 ev->iteration, h->iterations - 1, h->iterations);
        return false;
    }
    return true;
}

/* The tensor the event is about, if its kind takes one, and the bytes it moves. */
static bool check_event_tensor(const PsTraceHeader *h, const PsTraceEvent *ev, char *why,
                               size_t size)
{
    const char *kind = pstrace_kind_names[ev->kind];
    if (ev->tensor == PSTRACE_NO_TENSOR) {
        if (kind_needs_tensor(ev->kind)) {
            snprintf(why, size, "a %s needs a tensor id", kind);
            return false;
        }
    } else if (!kind_takes_tensor(ev->kind)) {
        snprintf(why, size, "a %s takes no tensor id, found %" PRIu32, kind, ev->tensor);
        return false;
    } else if (ev->tensor >= h->n_tensors) {
        snprintf(why, size, "unknown tensor id %" PRIu32 " (the tensor table has 0..%" PRIu32 ")",
                 ev->tensor, h->n_tensors - 1);
        return false;
    }
    if (pstrace_kind_has_bytes(ev->kind)) {
        const PsTraceTensor *ts = &h->tensors[ev->tensor];
        if (ev->bytes != ts->bytes) {
            snprintf(why, size,
                     "%s of tensor %" PRIu32 " '%s' carries %" PRIu64 " bytes, but "
                     "the tensor table says %" PRIu64,
                     kind, ev->tensor, ts->name, ev->bytes, ts->bytes);
            return false;
        }
    } else if (ev->bytes != 0) {
        snprintf(why, size, "a %s carries no bytes, found %" PRIu64, kind, ev->bytes);
        return false;
    }
    return true;
}

/* The CPU time: version 2, compute kinds only, in range. */
static bool check_event_cpu(const PsTraceHeader *h, const PsTraceEvent *ev, char *why, size_t size)
{
    if (!ev->has_cpu) {
        return true;
    }
    if (h->version != 2) {
        snprintf(why, size, "a CPU time needs version 2 (this trace is version 1)");
        return false;
    }
    if (!pstrace_kind_takes_cpu(ev->kind)) {
        snprintf(why, size,
                 "a %s takes no CPU time (only forward, backward, update and apply do): "
                 "write '-'",
                 pstrace_kind_names[ev->kind]);
        return false;
    }
    if (ev->cpu_ns > PSTRACE_TIME_MAX_NS) {
        char a[48];
        pstrace_fmt_time(a, sizeof(a), PSTRACE_TIME_MAX_NS);
        snprintf(why, size, "CPU time beyond the largest, %s", a);
        return false;
    }
    return true;
}

/* Start and end: in range, in order, an instant for grad_ready, not before the last start. */
static bool check_event_times(const PsTraceEvent *ev, uint64_t prev_start, uint64_t n_before,
                              char *why, size_t size)
{
    char a[48], b[48];
    if (ev->start_ns > PSTRACE_TIME_MAX_NS || ev->end_ns > PSTRACE_TIME_MAX_NS) {
        pstrace_fmt_time(a, sizeof(a), PSTRACE_TIME_MAX_NS);
        snprintf(why, size, "time beyond the largest, %s", a);
        return false;
    }
    if (ev->end_ns < ev->start_ns) {
        pstrace_fmt_time(a, sizeof(a), ev->end_ns);
        pstrace_fmt_time(b, sizeof(b), ev->start_ns);
        snprintf(why, size, "end time %s is before start time %s", a, b);
        return false;
    }
    if (ev->kind == PSTRACE_GRAD_READY && ev->end_ns != ev->start_ns) {
        snprintf(why, size, "a grad_ready is an instant: its end must equal its start");
        return false;
    }
    if (n_before > 0 && ev->start_ns < prev_start) {
        pstrace_fmt_time(a, sizeof(a), ev->start_ns);
        pstrace_fmt_time(b, sizeof(b), prev_start);
        snprintf(why, size,
                 "start time %s is before the previous event's start %s (events "
                 "must be in order of start time)",
                 a, b);
        return false;
    }
    return true;
}

bool pstrace_check_event(const PsTraceHeader *h, const PsTraceEvent *ev, uint64_t prev_start,
                         uint64_t n_before, char *why, size_t size)
{
    if ((unsigned)ev->kind >= PSTRACE_KIND_MAX) {
        snprintf(why, size, "unknown event kind code %u", (unsigned)ev->kind);
        return false;
    }
    return check_event_owner(h, ev, why, size) && check_event_tensor(h, ev, why, size) &&
           check_event_cpu(h, ev, why, size) &&
           check_event_times(ev, prev_start, n_before, why, size);
}

/* ---- the tensor table as it is read ---- */

bool pstrace_table_reserve(PsTraceHeader *h, uint32_t i, uint32_t count)
{
    if (i < h->n_tensors) {
        return true;
    }
    /* count <= PSTRACE_MAX_TENSORS, so neither the doubling nor the size can overflow. */
    uint32_t cap = h->n_tensors < 64 ? 64 : 2 * h->n_tensors;
    if (cap > count) {
        cap = count;
    }
    PsTraceTensor *p = realloc(h->tensors, (size_t)cap * sizeof(*p));
    if (p == NULL) {
        return false;
    }
    memset(p + h->n_tensors, 0, (size_t)(cap - h->n_tensors) * sizeof(*p));
    h->tensors = p;
    h->n_tensors = cap;
    return true;
}

/* ---- a set of names, to find duplicate tensor names in one pass ---- */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

#define NAMES_FIRST_CAP 64u

void pstrace_names_init(PsTraceNames *ns)
{
    ns->slot = NULL;
    ns->mask = 0;
    ns->used = 0;
}

void pstrace_names_destroy(PsTraceNames *ns)
{
    free(ns->slot);
    ns->slot = NULL;
    ns->mask = 0;
    ns->used = 0;
}

/* The slot of name: where it is, or the empty slot where it would go. */
static uint32_t names_find(const PsTraceNames *ns, const PsTraceTensor *tensors, const char *name)
{
    uint32_t s = (uint32_t)name_hash(name) & ns->mask;
    while (ns->slot[s] != 0 && strcmp(tensors[ns->slot[s] - 1].name, name) != 0) {
        s = (s + 1) & ns->mask;
    }
    return s;
}

/* Doubles the table (or makes the first), moving every name over. */
static bool names_grow(PsTraceNames *ns, const PsTraceTensor *tensors)
{
    uint32_t old_cap = ns->slot != NULL ? ns->mask + 1 : 0;
    uint32_t cap = old_cap != 0 ? 2 * old_cap : NAMES_FIRST_CAP;
    PsTraceNames bigger = {.slot = calloc(cap, sizeof(uint32_t)), .mask = cap - 1, .used = 0};
    if (bigger.slot == NULL) {
        return false;
    }
    for (uint32_t s = 0; s < old_cap; s++) {
        uint32_t v = ns->slot[s];
        if (v != 0) {
            bigger.slot[names_find(&bigger, tensors, tensors[v - 1].name)] = v;
        }
    }
    bigger.used = ns->used;
    free(ns->slot);
    *ns = bigger;
    return true;
}

int pstrace_names_add(PsTraceNames *ns, const PsTraceTensor *tensors, uint32_t i, uint32_t *dup)
{
    /* At most half full, so that probes stay short. */
    if (ns->slot == NULL || 2 * (ns->used + 1) > ns->mask + 1) {
        if (!names_grow(ns, tensors)) {
            return -1;
        }
    }
    uint32_t s = names_find(ns, tensors, tensors[i].name);
    if (ns->slot[s] != 0) {
        *dup = ns->slot[s] - 1;
        return 0;
    }
    ns->slot[s] = i + 1;
    ns->used++;
    return 1;
}

void pstrace_header_free(PsTraceHeader *h)
{
    if (h->tensors != NULL) {
        for (uint32_t i = 0; i < h->n_tensors; i++) {
            free(h->tensors[i].name);
        }
    }
    free(h->tensors);
    free(h->model);
    free(h->origin);
    memset(h, 0, sizeof(*h));
}
