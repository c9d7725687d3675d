/*
 * Parameter-server traces: text and binary reader, writer, summary. traces/FORMAT.md is the
 * specification; this file follows it and its error messages are part of the tested contract.
 *
 * One set of checks serves the reader of both forms and the writer (check_tensor and
 * check_event), so a trace the writer accepts is one the reader accepts, and converting
 * between the forms can never fail on the second half.
 */
#include "pstrace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

const char *const pstrace_kind_names[PSTRACE_KIND_MAX + 1] = {
    [PSTRACE_FORWARD] = "forward",
    [PSTRACE_BACKWARD] = "backward",
    [PSTRACE_GRAD_READY] = "grad_ready",
    [PSTRACE_PUSH] = "push",
    [PSTRACE_PULL] = "pull",
    [PSTRACE_UPDATE] = "update",
    [PSTRACE_BARRIER] = "barrier",
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

/* Times must convert to the simulator's picoseconds without overflow. */
#define PSTRACE_TIME_MAX_NS (UINT64_MAX / 1000u)

/* Binary layout (FORMAT.md): fixed parts of the records, in bytes. */
#define BIN_HEADER_FIXED 32u
#define BIN_TENSOR_FIXED 14u
#define BIN_END_KIND     0xffu
#define BIN_NO_WORKER    0xffffu

typedef char ErrBuf[512];

/* ---- shared checks ---- */

static void fmt_time(char *buf, size_t size, uint64_t ns)
{
    snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 " us", ns / 1000u, ns % 1000u);
}

static void fmt_shape(char *buf, size_t size, const PsTraceTensor *ts)
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
static bool name_ok(const char *s)
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
static bool origin_ok(const char *s)
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
static bool check_tensor(const PsTraceHeader *h, uint32_t i, char *why, size_t size)
{
    const PsTraceTensor *ts = &h->tensors[i];
    if (ts->name == NULL || !name_ok(ts->name)) {
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
        fmt_shape(shape, sizeof(shape), ts);
        snprintf(why, size,
                 "tensor %" PRIu32 " '%s' has %" PRIu64 " bytes, but its shape %s "
                 "of %s makes %" PRIu64,
                 i, ts->name, ts->bytes, shape, pstrace_dtype_names[h->dtype], elems * esize);
        return false;
    }
    return true;
}

/* The header's scalar fields (not the tensors). */
static bool check_header_fields(const PsTraceHeader *h, char *why, size_t size)
{
    if (h->model == NULL || !name_ok(h->model)) {
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
    if ((unsigned)h->dtype >= PSTRACE_DTYPE_MAX) {
        snprintf(why, size, "unknown dtype code %u", (unsigned)h->dtype);
        return false;
    }
    if (h->origin == NULL || !origin_ok(h->origin)) {
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
    return k == PSTRACE_GRAD_READY || k == PSTRACE_PUSH || k == PSTRACE_PULL;
}

static bool kind_takes_tensor(PsTraceKind k)
{
    return kind_needs_tensor(k) || k == PSTRACE_UPDATE;
}

static bool kind_has_bytes(PsTraceKind k)
{
    return k == PSTRACE_PUSH || k == PSTRACE_PULL;
}

/* Everything about one event that does not depend on how it was spelled. */
static bool check_event(const PsTraceHeader *h, const PsTraceEvent *ev, uint64_t prev_start,
                        uint64_t n_before, char *why, size_t size)
{
    if ((unsigned)ev->kind >= PSTRACE_KIND_MAX) {
        snprintf(why, size, "unknown event kind code %u", (unsigned)ev->kind);
        return false;
    }
    const char *kind = pstrace_kind_names[ev->kind];
    if (ev->worker == PSTRACE_SERVER) {
        if (ev->kind != PSTRACE_UPDATE) {
            snprintf(why, size, "only an update may run on the server (worker '-'), not a %s",
                     kind);
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
    if (kind_has_bytes(ev->kind)) {
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
    char a[48], b[48];
    if (ev->start_ns > PSTRACE_TIME_MAX_NS || ev->end_ns > PSTRACE_TIME_MAX_NS) {
        fmt_time(a, sizeof(a), PSTRACE_TIME_MAX_NS);
        snprintf(why, size, "time beyond the largest, %s", a);
        return false;
    }
    if (ev->end_ns < ev->start_ns) {
        fmt_time(a, sizeof(a), ev->end_ns);
        fmt_time(b, sizeof(b), ev->start_ns);
        snprintf(why, size, "end time %s is before start time %s", a, b);
        return false;
    }
    if (ev->kind == PSTRACE_GRAD_READY && ev->end_ns != ev->start_ns) {
        snprintf(why, size, "a grad_ready is an instant: its end must equal its start");
        return false;
    }
    if (n_before > 0 && ev->start_ns < prev_start) {
        fmt_time(a, sizeof(a), ev->start_ns);
        fmt_time(b, sizeof(b), prev_start);
        snprintf(why, size,
                 "start time %s is before the previous event's start %s (events "
                 "must be in order of start time)",
                 a, b);
        return false;
    }
    return true;
}

/* ---- a small set of names, to find duplicate tensor names in one pass ---- */

typedef struct NameSet {
    uint32_t *slot; /* tensor index + 1; 0 is empty */
    uint32_t mask;
} NameSet;

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

static bool name_set_init(NameSet *ns, uint32_t n)
{
    uint32_t cap = 16;
    while (cap < 2 * n) {
        cap *= 2;
    }
    ns->slot = calloc(cap, sizeof(*ns->slot));
    ns->mask = cap - 1;
    return ns->slot != NULL;
}

static void name_set_destroy(NameSet *ns)
{
    free(ns->slot);
    ns->slot = NULL;
}

/* Adds tensor i; returns the index of an earlier tensor of the same name, or UINT32_MAX. */
static uint32_t name_set_add(NameSet *ns, const PsTraceTensor *tensors, uint32_t i)
{
    uint32_t s = (uint32_t)name_hash(tensors[i].name) & ns->mask;
    while (ns->slot[s] != 0) {
        uint32_t j = ns->slot[s] - 1;
        if (strcmp(tensors[j].name, tensors[i].name) == 0) {
            return j;
        }
        s = (s + 1) & ns->mask;
    }
    ns->slot[s] = i + 1;
    return UINT32_MAX;
}

static void header_free(PsTraceHeader *h)
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

/* ---- reader ---- */

struct PsTrace {
    gzFile gz;
    char *path;
    PsTraceForm form;
    bool gzip;
    PsTraceHeader h;
    uint64_t pos;        /* line or record last read */
    uint64_t events;     /* events handed out */
    uint64_t last_start; /* start of the last event */
    bool done;
    bool failed;
    char buf[PSTRACE_LINE_MAX + 2];
    char rest[PSTRACE_LINE_MAX + 2];
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
bad(PsTrace *t, SimError *err, const char *fmt, ...)
{
    ErrBuf msg;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (t->form == PSTRACE_BINARY) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: record %" PRIu64 ": %s", t->path, t->pos, msg);
    } else {
        sim_error_set(err, SIM_ERR_INPUT, "%s:%" PRIu64 ": %s", t->path, t->pos, msg);
    }
    t->failed = true;
    return -1;
}

/* A zlib read error, or 0 if the stream merely ended. */
static int stream_error(PsTrace *t, SimError *err)
{
    int errnum = Z_OK;
    const char *msg = gzerror(t->gz, &errnum);
    if (errnum == Z_OK || errnum == Z_STREAM_END) {
        return 0;
    }
    /* zlib prefixes its message with the path, which ours already starts with. */
    size_t n = strlen(t->path);
    if (strncmp(msg, t->path, n) == 0 && strncmp(msg + n, ": ", 2) == 0) {
        msg += n + 2;
    }
    if (errnum == Z_BUF_ERROR) {
        return bad(t, err, "truncated gzip stream: %s", msg);
    }
    if (errnum == Z_DATA_ERROR) {
        return bad(t, err, "corrupt gzip stream: %s", msg);
    }
    return bad(t, err, "read error: %s", errnum == Z_ERRNO ? strerror(errno) : msg);
}

/* ---- text form ---- */

/* The next line that is neither blank nor a comment, split into at most max tokens. Returns
 * the number of tokens (possibly more than max), 0 at the end of the file, -1 on error. The
 * text after the first token, blanks trimmed, is kept whole in t->rest (the origin line is
 * free text). */
static int text_line(PsTrace *t, SimError *err, char **tok, int max)
{
    for (;;) {
        if (gzgets(t->gz, t->buf, (int)sizeof(t->buf)) == NULL) {
            t->pos++;
            if (stream_error(t, err) < 0) {
                return -1;
            }
            t->pos--;
            return 0;
        }
        t->pos++;
        size_t n = strlen(t->buf);
        if (n > 0 && t->buf[n - 1] != '\n') {
            /* No newline: the last line, a truncated stream or an overlong line. */
            if (stream_error(t, err) < 0) {
                return -1;
            }
            if (n > PSTRACE_LINE_MAX) {
                return bad(t, err, "line longer than %u characters", PSTRACE_LINE_MAX);
            }
        }
        while (n > 0 && (t->buf[n - 1] == '\n' || t->buf[n - 1] == '\r' || t->buf[n - 1] == ' ' ||
                         t->buf[n - 1] == '\t')) {
            t->buf[--n] = '\0';
        }
        char *s = t->buf;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '\0' || *s == '#') {
            continue;
        }
        const char *after = s;
        while (*after != '\0' && *after != ' ' && *after != '\t') {
            after++;
        }
        while (*after == ' ' || *after == '\t') {
            after++;
        }
        memcpy(t->rest, after, strlen(after) + 1);
        int count = 0;
        for (;;) {
            while (*s == ' ' || *s == '\t') {
                s++;
            }
            if (*s == '\0') {
                return count;
            }
            if (count < max) {
                tok[count] = s;
            }
            count++;
            while (*s != '\0' && *s != ' ' && *s != '\t') {
                s++;
            }
            if (*s != '\0') {
                *s++ = '\0';
            }
        }
    }
}

/* A decimal number; -1 with the message on error. */
static int parse_u64(PsTrace *t, SimError *err, const char *s, const char *what, uint64_t max,
                     uint64_t *out)
{
    if (s[0] == '-' && s[1] != '\0') {
        return bad(t, err, "negative %s '%s'", what, s);
    }
    if (*s < '0' || *s > '9') {
        return bad(t, err, "bad %s '%s': expected a decimal number", what, s);
    }
    uint64_t v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return bad(t, err, "bad %s '%s': expected a decimal number", what, s);
        }
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return bad(t, err, "%s '%s' is too large (at most %" PRIu64 ")", what, s, max);
        }
        v = v * 10 + d;
    }
    if (v > max) {
        return bad(t, err, "%s '%s' is too large (at most %" PRIu64 ")", what, s, max);
    }
    *out = v;
    return 0;
}

/* Microseconds with at most three decimals, to nanoseconds. */
static int parse_time(PsTrace *t, SimError *err, const char *s, const char *what, uint64_t *out)
{
    if (s[0] == '-') {
        return bad(t, err, "negative %s time '%s'", what, s);
    }
    uint64_t us = 0, frac = 0;
    int int_digits = 0, frac_digits = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (us > (PSTRACE_TIME_MAX_NS / 1000u - d) / 10) {
            return bad(t, err, "%s time '%s' is too large", what, s);
        }
        us = us * 10 + d;
        int_digits++;
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++frac_digits > 3) {
                return bad(t, err,
                           "%s time '%s' has more than 3 decimals (the resolution is "
                           "1 ns)",
                           what, s);
            }
            frac = frac * 10 + (uint64_t)(*p - '0');
        }
        if (frac_digits == 0) {
            int_digits = 0; /* "12." is not a number here */
        }
    }
    if (*p != '\0' || int_digits == 0) {
        return bad(t, err, "bad %s time '%s': expected microseconds, e.g. 12.345", what, s);
    }
    for (int i = frac_digits; i < 3; i++) {
        frac *= 10;
    }
    *out = us * 1000u + frac;
    return 0;
}

static int text_header(PsTrace *t, SimError *err)
{
    enum { K_MODEL, K_WORKERS, K_ITERATIONS, K_BATCH, K_DTYPE, K_ORIGIN, K_MAX };
    static const char *const keys[K_MAX] = {"model", "workers", "iterations",
                                            "batch", "dtype",   "origin"};
    uint64_t key_line[K_MAX] = {0};
    PsTraceHeader *h = &t->h;
    char *tok[8];

    /* Line 1 is the magic line itself: no comment may come before it. */
    int n = text_line(t, err, tok, 8);
    if (n < 0) {
        return -1;
    }
    if (t->pos != 1 || n != 2 || strcmp(tok[0], PSTRACE_TEXT_MAGIC) != 0) {
        t->pos = 1;
        return bad(t, err,
                   "not a parameter-server trace: expected the header line '%s %u' "
                   "or the binary magic",
                   PSTRACE_TEXT_MAGIC, PSTRACE_VERSION);
    }
    if (strcmp(tok[1], "1") != 0) {
        return bad(t, err, "unsupported pstrace version '%s' (this reader knows %u)", tok[1],
                   PSTRACE_VERSION);
    }
    h->version = PSTRACE_VERSION;

    for (;;) {
        n = text_line(t, err, tok, 8);
        const char *rest = t->rest;
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            t->pos++;
            return bad(t, err,
                       "the file ends in the header: expected 'tensors N' and the "
                       "tensor table");
        }
        if (strcmp(tok[0], "tensors") == 0) {
            break;
        }
        int k = 0;
        while (k < K_MAX && strcmp(tok[0], keys[k]) != 0) {
            k++;
        }
        if (k == K_MAX) {
            return bad(t, err,
                       "unknown header key '%s' (expected model, workers, iterations, "
                       "batch, dtype, origin or tensors)",
                       tok[0]);
        }
        if (key_line[k] != 0) {
            return bad(t, err, "duplicate header key '%s' (first on line %" PRIu64 ")", keys[k],
                       key_line[k]);
        }
        key_line[k] = t->pos;
        if (k == K_ORIGIN) {
            if (strlen(rest) > PSTRACE_ORIGIN_MAX) {
                return bad(t, err, "origin longer than %u characters", PSTRACE_ORIGIN_MAX);
            }
            h->origin = strdup(rest);
            if (h->origin == NULL) {
                return bad(t, err, "out of memory");
            }
            if (!origin_ok(h->origin)) {
                return bad(t, err, "bad origin: no control characters");
            }
            continue;
        }
        if (n != 2) {
            return bad(t, err, "header key '%s' takes one value, found %d", keys[k], n - 1);
        }
        uint64_t v = 0;
        switch (k) {
        case K_MODEL:
            if (!name_ok(rest)) {
                return bad(t, err,
                           "bad model name '%s': 1 to %u characters, no spaces or "
                           "control characters",
                           rest, PSTRACE_NAME_MAX);
            }
            h->model = strdup(rest);
            if (h->model == NULL) {
                return bad(t, err, "out of memory");
            }
            break;
        case K_WORKERS:
            if (parse_u64(t, err, rest, "workers", PSTRACE_MAX_WORKERS, &v) < 0) {
                return -1;
            }
            if (v < 1) {
                return bad(t, err, "workers must be at least 1");
            }
            h->workers = (uint32_t)v;
            break;
        case K_ITERATIONS:
            if (parse_u64(t, err, rest, "iterations", UINT32_MAX, &v) < 0) {
                return -1;
            }
            if (v < 1) {
                return bad(t, err, "iterations must be at least 1");
            }
            h->iterations = (uint32_t)v;
            break;
        case K_BATCH:
            if (parse_u64(t, err, rest, "batch", UINT32_MAX, &v) < 0) {
                return -1;
            }
            if (v < 1) {
                return bad(t, err, "batch must be at least 1");
            }
            h->batch = (uint32_t)v;
            break;
        case K_DTYPE: {
            int d = 0;
            while (d < PSTRACE_DTYPE_MAX && strcmp(rest, pstrace_dtype_names[d]) != 0) {
                d++;
            }
            if (d == PSTRACE_DTYPE_MAX) {
                return bad(t, err,
                           "unknown dtype '%s' (expected float32, float16, bfloat16, "
                           "float64 or int8)",
                           rest);
            }
            h->dtype = (PsTraceDtype)d;
            break;
        }
        default:
            break;
        }
    }
    for (int k = 0; k < K_MAX; k++) {
        if (key_line[k] == 0) {
            return bad(t, err,
                       "header key '%s' is missing (the header must give it before "
                       "'tensors')",
                       keys[k]);
        }
    }
    uint64_t count = 0;
    if (n != 2) {
        return bad(t, err, "expected 'tensors N'");
    }
    if (parse_u64(t, err, tok[1], "tensor count", PSTRACE_MAX_TENSORS, &count) < 0) {
        return -1;
    }
    if (count < 1) {
        return bad(t, err, "the tensor table must hold at least one tensor");
    }
    h->tensors = calloc((size_t)count, sizeof(*h->tensors));
    if (h->tensors == NULL) {
        return bad(t, err, "out of memory");
    }
    h->n_tensors = (uint32_t)count;
    uint64_t count_line = t->pos;

    NameSet names;
    if (!name_set_init(&names, h->n_tensors)) {
        return bad(t, err, "out of memory");
    }
    int rc = 0;
    for (uint32_t i = 0; i < h->n_tensors && rc == 0; i++) {
        PsTraceTensor *ts = &h->tensors[i];
        n = text_line(t, err, tok, 8);
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n == 0) {
            t->pos++;
            rc = bad(t, err,
                     "the file ends in the tensor table: tensor %" PRIu32 " of the %" PRIu32
                     " announced on line %" PRIu64 " is missing",
                     i, h->n_tensors, count_line);
            break;
        }
        if (n != 5 || strcmp(tok[0], "tensor") != 0) {
            rc = bad(t, err,
                     "expected 'tensor ID NAME SHAPE BYTES' (tensor %" PRIu32 " of %" PRIu32 ")", i,
                     h->n_tensors);
            break;
        }
        uint64_t id = 0;
        if (parse_u64(t, err, tok[1], "tensor id", UINT32_MAX, &id) < 0) {
            rc = -1;
            break;
        }
        if (id != i) {
            rc = bad(t, err,
                     "tensor id %" PRIu64 " where %" PRIu32 " was expected (ids run "
                     "from 0 in order)",
                     id, i);
            break;
        }
        if (!name_ok(tok[2])) {
            rc = bad(t, err,
                     "bad tensor name '%s': 1 to %u characters, no spaces or control "
                     "characters",
                     tok[2], PSTRACE_NAME_MAX);
            break;
        }
        ts->name = strdup(tok[2]);
        if (ts->name == NULL) {
            rc = bad(t, err, "out of memory");
            break;
        }
        uint32_t dup = name_set_add(&names, h->tensors, i);
        if (dup != UINT32_MAX) {
            rc = bad(t, err, "duplicate tensor name '%s' (also tensor %" PRIu32 ")", tok[2], dup);
            break;
        }
        /* SHAPE: D1xD2x...; each a positive decimal. */
        const char *p = tok[3];
        ts->rank = 0;
        bool shape_ok = true;
        while (shape_ok) {
            if (ts->rank == PSTRACE_MAX_RANK || *p < '1' || *p > '9') {
                shape_ok = false;
                break;
            }
            uint64_t d = 0;
            for (; *p >= '0' && *p <= '9'; p++) {
                if (d > UINT64_MAX / 10 - 9) {
                    shape_ok = false;
                    break;
                }
                d = d * 10 + (uint64_t)(*p - '0');
            }
            ts->dims[ts->rank++] = d;
            if (*p == '\0') {
                break;
            }
            if (*p != 'x') {
                shape_ok = false;
                break;
            }
            p++;
        }
        if (!shape_ok) {
            rc = bad(t, err,
                     "bad shape '%s': expected 1 to %u positive dimensions joined by "
                     "'x', e.g. 64x3x7x7",
                     tok[3], PSTRACE_MAX_RANK);
            break;
        }
        if (parse_u64(t, err, tok[4], "byte count", UINT64_MAX, &ts->bytes) < 0) {
            rc = -1;
            break;
        }
        ErrBuf why;
        if (!check_tensor(h, i, why, sizeof(why))) {
            rc = bad(t, err, "%s", why);
            break;
        }
    }
    name_set_destroy(&names);
    if (rc < 0) {
        return -1;
    }
    n = text_line(t, err, tok, 8);
    if (n < 0) {
        return -1;
    }
    if (n == 0) {
        t->pos++;
        return bad(t, err, "the file ends after the tensor table: expected 'events'");
    }
    if (n != 1 || strcmp(tok[0], "events") != 0) {
        return bad(t, err,
                   "expected 'events' after the %" PRIu32 " tensors announced on line %" PRIu64
                   ", found '%s'",
                   h->n_tensors, count_line, tok[0]);
    }
    return 0;
}

static int text_next(PsTrace *t, PsTraceEvent *out, SimError *err)
{
    char *tok[8];
    int n = text_line(t, err, tok, 8);
    if (n < 0) {
        return -1;
    }
    if (n == 0) {
        t->pos++;
        return bad(t, err, "the file ends without the trailer 'end %" PRIu64 "' (truncated?)",
                   t->events);
    }
    if (strcmp(tok[0], "end") == 0) {
        uint64_t count = 0;
        if (n != 2) {
            return bad(t, err, "expected the trailer 'end N'");
        }
        if (parse_u64(t, err, tok[1], "event count", UINT64_MAX, &count) < 0) {
            return -1;
        }
        if (count != t->events) {
            return bad(t, err, "the trailer says %" PRIu64 " events, but the file has %" PRIu64,
                       count, t->events);
        }
        n = text_line(t, err, tok, 8);
        if (n < 0) {
            return -1;
        }
        if (n > 0) {
            return bad(t, err, "text after the trailer");
        }
        t->done = true;
        return 0;
    }
    if (n != 7) {
        return bad(t, err,
                   "expected 'WORKER ITERATION KIND TENSOR BYTES START END', found %d "
                   "fields",
                   n);
    }
    PsTraceEvent ev = {.kind = PSTRACE_KIND_MAX};
    uint64_t v = 0;
    if (strcmp(tok[0], "-") == 0) {
        ev.worker = PSTRACE_SERVER;
    } else if (parse_u64(t, err, tok[0], "worker", PSTRACE_MAX_WORKERS - 1, &v) < 0) {
        return -1;
    } else {
        ev.worker = (uint32_t)v;
    }
    if (parse_u64(t, err, tok[1], "iteration", UINT32_MAX - 1, &v) < 0) {
        return -1;
    }
    ev.iteration = (uint32_t)v;
    for (int k = 0; k < PSTRACE_KIND_MAX; k++) {
        if (strcmp(tok[2], pstrace_kind_names[k]) == 0) {
            ev.kind = (PsTraceKind)k;
        }
    }
    if (ev.kind == PSTRACE_KIND_MAX) {
        return bad(t, err,
                   "unknown event kind '%s' (expected forward, backward, grad_ready, "
                   "push, pull, update or barrier)",
                   tok[2]);
    }
    ev.tensor = PSTRACE_NO_TENSOR;
    if (strcmp(tok[3], "-") != 0) {
        if (parse_u64(t, err, tok[3], "tensor id", UINT32_MAX - 1, &v) < 0) {
            return -1;
        }
        ev.tensor = (uint32_t)v;
    }
    ev.bytes = 0;
    if (strcmp(tok[4], "-") != 0) {
        if (parse_u64(t, err, tok[4], "byte count", UINT64_MAX, &ev.bytes) < 0) {
            return -1;
        }
        if (!kind_has_bytes(ev.kind)) {
            return bad(t, err, "a %s carries no bytes: write '-', not '%s'",
                       pstrace_kind_names[ev.kind], tok[4]);
        }
    } else if (kind_has_bytes(ev.kind)) {
        return bad(t, err, "a %s needs its byte count", pstrace_kind_names[ev.kind]);
    }
    if (parse_time(t, err, tok[5], "start", &ev.start_ns) < 0 ||
        parse_time(t, err, tok[6], "end", &ev.end_ns) < 0) {
        return -1;
    }
    ErrBuf why;
    if (!check_event(&t->h, &ev, t->last_start, t->events, why, sizeof(why))) {
        return bad(t, err, "%s", why);
    }
    *out = ev;
    return 1;
}

/* ---- binary form ---- */

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

/* Reads n bytes of the current record, of which `done` were read already (for the message).
 * 1: read; 0: nothing at all was left (the caller decides whether that is fine); -1: error. */
static int bin_read(PsTrace *t, SimError *err, void *buf, unsigned n, unsigned done, unsigned total)
{
    int got = gzread(t->gz, buf, n);
    if (got == (int)n) {
        return 1;
    }
    if (stream_error(t, err) < 0) {
        return -1;
    }
    if (got <= 0 && done == 0) {
        return 0;
    }
    return bad(t, err, "cut short: %u of %u bytes (truncated file?)",
               done + (got > 0 ? (unsigned)got : 0u), total);
}

static char *bin_string(PsTrace *t, SimError *err, unsigned len, unsigned done, unsigned total)
{
    char *s = malloc((size_t)len + 1);
    if (s == NULL) {
        bad(t, err, "out of memory");
        return NULL;
    }
    if (len > 0 && bin_read(t, err, s, len, done, total) <= 0) {
        if (!t->failed) {
            bad(t, err, "cut short: %u of %u bytes (truncated file?)", done, total);
        }
        free(s);
        return NULL;
    }
    s[len] = '\0';
    if (strlen(s) != len) {
        bad(t, err, "a NUL byte inside a string");
        free(s);
        return NULL;
    }
    return s;
}

static int bin_header(PsTrace *t, SimError *err)
{
    PsTraceHeader *h = &t->h;
    unsigned char b[BIN_HEADER_FIXED];
    t->pos = 1;
    int r = bin_read(t, err, b, 12, 0, BIN_HEADER_FIXED);
    if (r == 0) {
        return bad(t, err, "cut short: 0 of %u bytes (truncated file?)", BIN_HEADER_FIXED);
    }
    if (r < 0) {
        return -1;
    }
    if (memcmp(b, PSTRACE_BINARY_MAGIC, 8) != 0) {
        return bad(t, err,
                   "not a parameter-server trace: expected the header line '%s %u' "
                   "or the binary magic",
                   PSTRACE_TEXT_MAGIC, PSTRACE_VERSION);
    }
    uint32_t version = get32(b + 8);
    if (version != PSTRACE_VERSION) {
        return bad(t, err, "unsupported pstrace version %" PRIu32 " (this reader knows %u)",
                   version, PSTRACE_VERSION);
    }
    h->version = version;
    if (bin_read(t, err, b + 12, BIN_HEADER_FIXED - 12, 12, BIN_HEADER_FIXED) <= 0) {
        return t->failed
                   ? -1
                   : bad(t, err, "cut short: 12 of %u bytes (truncated file?)", BIN_HEADER_FIXED);
    }
    h->workers = get32(b + 12);
    h->iterations = get32(b + 16);
    h->batch = get32(b + 20);
    h->n_tensors = get32(b + 24);
    unsigned model_len = b[29];
    unsigned origin_len = get16(b + 30);
    if (b[28] >= PSTRACE_DTYPE_MAX) {
        return bad(t, err, "unknown dtype code %u", b[28]);
    }
    h->dtype = (PsTraceDtype)b[28];
    if (origin_len > PSTRACE_ORIGIN_MAX) {
        return bad(t, err, "origin longer than %u bytes", PSTRACE_ORIGIN_MAX);
    }
    unsigned total = BIN_HEADER_FIXED + model_len + origin_len;
    h->model = bin_string(t, err, model_len, BIN_HEADER_FIXED, total);
    if (h->model == NULL) {
        return -1;
    }
    h->origin = bin_string(t, err, origin_len, BIN_HEADER_FIXED + model_len, total);
    if (h->origin == NULL) {
        return -1;
    }
    /* The tensor array must exist before the checks, which look at the count only. */
    ErrBuf why;
    uint32_t n_tensors = h->n_tensors;
    if (!check_header_fields(h, why, sizeof(why))) {
        h->n_tensors = 0;
        return bad(t, err, "%s", why);
    }
    h->tensors = calloc(n_tensors, sizeof(*h->tensors));
    if (h->tensors == NULL) {
        h->n_tensors = 0;
        return bad(t, err, "out of memory");
    }

    NameSet names;
    if (!name_set_init(&names, n_tensors)) {
        return bad(t, err, "out of memory");
    }
    int rc = 0;
    for (uint32_t i = 0; i < n_tensors && rc == 0; i++) {
        PsTraceTensor *ts = &h->tensors[i];
        unsigned char tb[BIN_TENSOR_FIXED + 8 * PSTRACE_MAX_RANK];
        t->pos++;
        r = bin_read(t, err, tb, BIN_TENSOR_FIXED, 0, BIN_TENSOR_FIXED);
        if (r <= 0) {
            rc = r < 0 ? -1
                       : bad(t, err,
                             "the file ends in the tensor table: tensor %" PRIu32 " of %" PRIu32
                             " is missing",
                             i, n_tensors);
            break;
        }
        uint32_t id = get32(tb);
        ts->bytes = get64(tb + 4);
        ts->rank = tb[12];
        unsigned name_len = tb[13];
        if (id != i) {
            rc = bad(t, err,
                     "tensor id %" PRIu32 " where %" PRIu32 " was expected (ids run "
                     "from 0 in order)",
                     id, i);
            break;
        }
        if (ts->rank < 1 || ts->rank > PSTRACE_MAX_RANK) {
            rc = bad(t, err, "tensor %" PRIu32 ": rank %" PRIu32 " is outside 1..%u", i, ts->rank,
                     PSTRACE_MAX_RANK);
            break;
        }
        unsigned total_t = BIN_TENSOR_FIXED + 8 * ts->rank + name_len;
        if (bin_read(t, err, tb + BIN_TENSOR_FIXED, 8 * ts->rank, BIN_TENSOR_FIXED, total_t) <= 0) {
            rc = t->failed ? -1
                           : bad(t, err, "cut short: %u of %u bytes (truncated file?)",
                                 BIN_TENSOR_FIXED, total_t);
            break;
        }
        for (uint32_t d = 0; d < ts->rank; d++) {
            ts->dims[d] = get64(tb + BIN_TENSOR_FIXED + 8 * d);
        }
        ts->name = bin_string(t, err, name_len, BIN_TENSOR_FIXED + 8 * ts->rank, total_t);
        if (ts->name == NULL) {
            rc = -1;
            break;
        }
        if (!check_tensor(h, i, why, sizeof(why))) {
            rc = bad(t, err, "%s", why);
            break;
        }
        uint32_t dup = name_set_add(&names, h->tensors, i);
        if (dup != UINT32_MAX) {
            rc = bad(t, err, "duplicate tensor name '%s' (also tensor %" PRIu32 ")", ts->name, dup);
            break;
        }
    }
    name_set_destroy(&names);
    return rc;
}

static int bin_next(PsTrace *t, PsTraceEvent *out, SimError *err)
{
    unsigned char b[PSTRACE_EVENT_BYTES];
    t->pos++;
    int r = bin_read(t, err, b, PSTRACE_EVENT_BYTES, 0, PSTRACE_EVENT_BYTES);
    if (r < 0) {
        return -1;
    }
    if (r == 0) {
        return bad(t, err, "the file ends without the trailer record (truncated?)");
    }
    if (b[0] == BIN_END_KIND) {
        uint64_t count = get64(b + 12);
        if (b[1] != 0 || get16(b + 2) != 0 || get32(b + 4) != 0 || get32(b + 8) != 0 ||
            get64(b + 20) != 0) {
            return bad(t, err, "bad trailer record: its reserved fields must be zero");
        }
        if (count != t->events) {
            return bad(t, err, "the trailer says %" PRIu64 " events, but the file has %" PRIu64,
                       count, t->events);
        }
        unsigned char extra;
        if (gzread(t->gz, &extra, 1) == 1) {
            t->pos++;
            return bad(t, err, "data after the trailer record");
        }
        if (stream_error(t, err) < 0) {
            return -1;
        }
        t->done = true;
        return 0;
    }
    if (b[1] != 0) {
        return bad(t, err, "reserved byte 1 of an event record must be zero");
    }
    PsTraceEvent ev;
    if (b[0] >= PSTRACE_KIND_MAX) {
        return bad(t, err, "unknown event kind code %u", b[0]);
    }
    ev.kind = (PsTraceKind)b[0];
    uint16_t w = get16(b + 2);
    ev.worker = w == BIN_NO_WORKER ? PSTRACE_SERVER : w;
    ev.iteration = get32(b + 4);
    ev.tensor = get32(b + 8);
    ev.start_ns = get64(b + 12);
    ev.end_ns = get64(b + 20);
    /* The binary form does not repeat the size: a push or pull moves the whole tensor. */
    ev.bytes =
        kind_has_bytes(ev.kind) && ev.tensor < t->h.n_tensors ? t->h.tensors[ev.tensor].bytes : 0;
    ErrBuf why;
    if (!check_event(&t->h, &ev, t->last_start, t->events, why, sizeof(why))) {
        return bad(t, err, "%s", why);
    }
    *out = ev;
    return 1;
}

/* ---- reader entry points ---- */

PsTrace *pstrace_open(const char *path, SimError *err)
{
    PsTrace *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        return NULL;
    }
    t->path = strdup(path);
    if (t->path == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        goto fail_path;
    }
    errno = 0;
    t->gz = gzopen(path, "rb");
    if (t->gz == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot open: %s", path,
                      errno ? strerror(errno) : "out of memory");
        goto fail_open;
    }
    gzbuffer(t->gz, 1u << 17);
    /* The first byte tells the forms apart: 'm' of "membox-pstrace", 'M' of "MBPSTRC". */
    int c = gzgetc(t->gz);
    if (c < 0) {
        t->pos = 1;
        if (stream_error(t, err) == 0) {
            bad(t, err, "empty file: expected the header line '%s %u' or the binary magic",
                PSTRACE_TEXT_MAGIC, PSTRACE_VERSION);
        }
        goto fail_header;
    }
    t->gzip = !gzdirect(t->gz);
    t->form = c == PSTRACE_BINARY_MAGIC[0] ? PSTRACE_BINARY : PSTRACE_TEXT;
    if (gzungetc(c, t->gz) < 0) {
        t->pos = 1;
        bad(t, err, "read error: cannot push back the first byte");
        goto fail_header;
    }
    if ((t->form == PSTRACE_BINARY ? bin_header(t, err) : text_header(t, err)) < 0) {
        goto fail_header;
    }
    return t;

fail_header:
    header_free(&t->h);
    gzclose(t->gz);
fail_open:
    free(t->path);
fail_path:
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
                          t->path, t->pos);
        } else {
            sim_error_set(err, SIM_ERR_INPUT, "%s:%" PRIu64 ": trace already failed", t->path,
                          t->pos);
        }
        return -1;
    }
    if (t->done) {
        return 0;
    }
    int r = t->form == PSTRACE_BINARY ? bin_next(t, ev, err) : text_next(t, ev, err);
    if (r > 0) {
        t->events++;
        t->last_start = ev->start_ns;
    }
    return r;
}

void pstrace_close(PsTrace *t)
{
    if (t == NULL) {
        return;
    }
    gzclose(t->gz);
    header_free(&t->h);
    free(t->path);
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
        return sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", t->path);
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
        }
        if (ev.worker != PSTRACE_SERVER) {
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

/* ---- writer ---- */

struct PsTraceWriter {
    gzFile gz;
    char *path;
    PsTraceForm form;
    PsTraceHeader h; /* a deep copy: the caller's may go away */
    uint64_t events;
    uint64_t last_start;
    bool ok;
};

static bool wbad(PsTraceWriter *w, SimError *err)
{
    int errnum = Z_OK;
    const char *msg = gzerror(w->gz, &errnum);
    w->ok = false;
    return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: %s", w->path,
                         errnum == Z_ERRNO ? strerror(errno) : msg);
}

static bool wwrite(PsTraceWriter *w, const void *buf, unsigned n)
{
    if (w->ok && n > 0 && gzwrite(w->gz, buf, n) != (int)n) {
        w->ok = false;
    }
    return w->ok;
}

/* Copies h into w->h, checking it as the reader would. */
static bool copy_header(PsTraceWriter *w, const PsTraceHeader *h, char *why, size_t size)
{
    PsTraceHeader *c = &w->h;
    if (!check_header_fields(h, why, size)) {
        return false;
    }
    c->version = PSTRACE_VERSION;
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
    NameSet names;
    if (!name_set_init(&names, c->n_tensors)) {
        snprintf(why, size, "out of memory");
        return false;
    }
    bool ok = true;
    for (uint32_t i = 0; i < c->n_tensors && ok; i++) {
        c->tensors[i] = h->tensors[i];
        c->tensors[i].name = h->tensors[i].name != NULL ? strdup(h->tensors[i].name) : NULL;
        if (h->tensors[i].name != NULL && c->tensors[i].name == NULL) {
            snprintf(why, size, "out of memory");
            ok = false;
        } else if (!check_tensor(c, i, why, size)) {
            ok = false;
        } else {
            uint32_t dup = name_set_add(&names, c->tensors, i);
            if (dup != UINT32_MAX) {
                snprintf(why, size,
                         "duplicate tensor name '%s' (tensors %" PRIu32 " and %" PRIu32 ")",
                         c->tensors[i].name, dup, i);
                ok = false;
            }
        }
    }
    name_set_destroy(&names);
    return ok;
}

static bool write_text_header(PsTraceWriter *w)
{
    const PsTraceHeader *h = &w->h;
    if (gzprintf(w->gz,
                 "%s %u\nmodel %s\nworkers %" PRIu32 "\niterations %" PRIu32 "\nbatch %" PRIu32
                 "\ndtype %s\norigin%s%s\ntensors %" PRIu32 "\n",
                 PSTRACE_TEXT_MAGIC, PSTRACE_VERSION, h->model, h->workers, h->iterations, h->batch,
                 pstrace_dtype_names[h->dtype], h->origin[0] != '\0' ? " " : "", h->origin,
                 h->n_tensors) <= 0) {
        return false;
    }
    for (uint32_t i = 0; i < h->n_tensors; i++) {
        const PsTraceTensor *ts = &h->tensors[i];
        char shape[8 * 21 + 8];
        fmt_shape(shape, sizeof(shape), ts);
        if (gzprintf(w->gz, "tensor %" PRIu32 " %s %s %" PRIu64 "\n", i, ts->name, shape,
                     ts->bytes) <= 0) {
            return false;
        }
    }
    return gzputs(w->gz, "events\n# worker iteration kind tensor bytes start_us end_us\n") > 0;
}

static bool write_bin_header(PsTraceWriter *w)
{
    const PsTraceHeader *h = &w->h;
    unsigned char b[BIN_HEADER_FIXED];
    memset(b, 0, sizeof(b));
    memcpy(b, PSTRACE_BINARY_MAGIC, 8);
    put32(b + 8, PSTRACE_VERSION);
    put32(b + 12, h->workers);
    put32(b + 16, h->iterations);
    put32(b + 20, h->batch);
    put32(b + 24, h->n_tensors);
    b[28] = (unsigned char)h->dtype;
    b[29] = (unsigned char)strlen(h->model);
    put16(b + 30, (uint16_t)strlen(h->origin));
    if (!wwrite(w, b, sizeof(b)) || !wwrite(w, h->model, b[29]) ||
        !wwrite(w, h->origin, get16(b + 30))) {
        return false;
    }
    for (uint32_t i = 0; i < h->n_tensors; i++) {
        const PsTraceTensor *ts = &h->tensors[i];
        unsigned char tb[BIN_TENSOR_FIXED + 8 * PSTRACE_MAX_RANK];
        put32(tb, i);
        put64(tb + 4, ts->bytes);
        tb[12] = (unsigned char)ts->rank;
        tb[13] = (unsigned char)strlen(ts->name);
        for (uint32_t d = 0; d < ts->rank; d++) {
            put64(tb + BIN_TENSOR_FIXED + 8 * d, ts->dims[d]);
        }
        if (!wwrite(w, tb, BIN_TENSOR_FIXED + 8 * ts->rank) || !wwrite(w, ts->name, tb[13])) {
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
    w->path = strdup(path);
    if (w->path == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        goto fail_path;
    }
    ErrBuf why;
    if ((unsigned)form >= PSTRACE_FORM_MAX) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: unknown trace form %u", path, (unsigned)form);
        goto fail_header;
    }
    if (!copy_header(w, h, why, sizeof(why))) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: %s", path, why);
        goto fail_header;
    }
    errno = 0;
    w->gz = gzopen(path, gzip ? "wb6" : "wbT");
    if (w->gz == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot create: %s", path,
                      errno ? strerror(errno) : "out of memory");
        goto fail_header;
    }
    gzbuffer(w->gz, 1u << 17);
    if (!(form == PSTRACE_BINARY ? write_bin_header(w) : write_text_header(w))) {
        wbad(w, err);
        goto fail_write;
    }
    return w;

fail_write:
    gzclose(w->gz);
fail_header:
    header_free(&w->h);
    free(w->path);
fail_path:
    free(w);
    return NULL;
}

bool pstrace_writer_put(PsTraceWriter *w, const PsTraceEvent *ev, SimError *err)
{
    if (!w->ok) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: an earlier write failed",
                             w->path);
    }
    ErrBuf why;
    if (!check_event(&w->h, ev, w->last_start, w->events, why, sizeof(why))) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: event %" PRIu64 ": %s", w->path,
                             w->events + 1, why);
    }
    if (w->form == PSTRACE_BINARY) {
        unsigned char b[PSTRACE_EVENT_BYTES];
        b[0] = (unsigned char)ev->kind;
        b[1] = 0;
        put16(b + 2, ev->worker == PSTRACE_SERVER ? BIN_NO_WORKER : (uint16_t)ev->worker);
        put32(b + 4, ev->iteration);
        put32(b + 8, ev->tensor);
        put64(b + 12, ev->start_ns);
        put64(b + 20, ev->end_ns);
        if (!wwrite(w, b, sizeof(b))) {
            return wbad(w, err);
        }
    } else {
        char worker[16], tensor[16], bytes[24];
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
        if (kind_has_bytes(ev->kind)) {
            snprintf(bytes, sizeof(bytes), "%" PRIu64, ev->bytes);
        } else {
            snprintf(bytes, sizeof(bytes), "-");
        }
        if (gzprintf(w->gz,
                     "%s %" PRIu32 " %s %s %s %" PRIu64 ".%03" PRIu64 " %" PRIu64 ".%03" PRIu64
                     "\n",
                     worker, ev->iteration, pstrace_kind_names[ev->kind], tensor, bytes,
                     ev->start_ns / 1000u, ev->start_ns % 1000u, ev->end_ns / 1000u,
                     ev->end_ns % 1000u) <= 0) {
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
            unsigned char b[PSTRACE_EVENT_BYTES];
            memset(b, 0, sizeof(b));
            b[0] = BIN_END_KIND;
            put64(b + 12, w->events);
            ok = wwrite(w, b, sizeof(b));
        } else {
            ok = gzprintf(w->gz, "end %" PRIu64 "\n", w->events) > 0;
        }
        if (!ok) {
            wbad(w, err);
        }
    } else {
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: an earlier write failed", w->path);
    }
    int zr = gzclose(w->gz);
    if (ok && zr != Z_OK) {
        ok = false;
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: %s", w->path,
                      zr == Z_ERRNO ? strerror(errno) : "zlib error");
    }
    header_free(&w->h);
    free(w->path);
    free(w);
    return ok;
}
