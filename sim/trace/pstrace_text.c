/*
 * Parameter-server traces, the text form (traces/FORMAT.md): the header, one "key value" a
 * line after the magic line; the tensor table; then one event a line and the trailer.
 */
#include "pstrace_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the fields of any line the text form has: events have 7 (version 1) or 8, so 9
 * finds one too many. */
#define TEXT_MAX_FIELDS 9

/*
 * The next line that is neither blank nor a comment, split into at most max tokens. Returns
 * the number of tokens (possibly more than max), 0 at the end of the file, -1 on error. The
 * text after the first token, blanks trimmed, is kept whole in t->rest (the origin line is
 * free text). Unlike the other trace formats, '#' starts a comment only as a line's first
 * character, so that an origin may hold one.
 */
static int text_line(PsTrace *t, SimError *err, char **tok, int max)
{
    for (;;) {
        switch (trace_file_line(&t->f, t->buf, sizeof(t->buf), TRACE_CHECK_AT_END, &t->pos)) {
        case TRACE_LINE_END:
            return 0;
        case TRACE_LINE_ERROR:
            return pstrace_stream_error(t, err);
        case TRACE_LINE_NUL:
            return pstrace_bad(t, err, "NUL byte at column %zu: this is not a text trace",
                               strlen(t->buf) + 1);
        case TRACE_LINE_LONG:
            return pstrace_bad(t, err, "line longer than %u characters", PSTRACE_LINE_MAX);
        default:
            break;
        }
        size_t n = strlen(t->buf);
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

/* ---- numbers ---- */

/* A decimal number; -1 with the message on error. */
static int parse_u64(PsTrace *t, SimError *err, const char *s, const char *what, uint64_t max,
                     uint64_t *out)
{
    if (s[0] == '-' && s[1] != '\0') {
        return pstrace_bad(t, err, "negative %s '%s'", what, s);
    }
    if (*s < '0' || *s > '9') {
        return pstrace_bad(t, err, "bad %s '%s': expected a decimal number", what, s);
    }
    uint64_t v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return pstrace_bad(t, err, "bad %s '%s': expected a decimal number", what, s);
        }
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return pstrace_bad(t, err, "%s '%s' is too large (at most %" PRIu64 ")", what, s, max);
        }
        v = v * 10 + d;
    }
    if (v > max) {
        return pstrace_bad(t, err, "%s '%s' is too large (at most %" PRIu64 ")", what, s, max);
    }
    *out = v;
    return 0;
}

/* Microseconds with at most three decimals, to nanoseconds. */
static int parse_time(PsTrace *t, SimError *err, const char *s, const char *what, uint64_t *out)
{
    if (s[0] == '-') {
        return pstrace_bad(t, err, "negative %s time '%s'", what, s);
    }
    uint64_t us = 0, frac = 0;
    int int_digits = 0, frac_digits = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (us > (PSTRACE_TIME_MAX_NS / 1000u - d) / 10) {
            return pstrace_bad(t, err, "%s time '%s' is too large", what, s);
        }
        us = us * 10 + d;
        int_digits++;
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++frac_digits > 3) {
                return pstrace_bad(t, err,
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
        return pstrace_bad(t, err, "bad %s time '%s': expected microseconds, e.g. 12.345", what, s);
    }
    for (int i = frac_digits; i < 3; i++) {
        frac *= 10;
    }
    *out = us * 1000u + frac;
    return 0;
}

/* ---- header ---- */

/* Line 1: the magic line itself; no comment may come before it. */
static int text_magic(PsTrace *t, SimError *err)
{
    char *tok[TEXT_MAX_FIELDS];
    int n = text_line(t, err, tok, TEXT_MAX_FIELDS);
    if (n < 0) {
        return -1;
    }
    if (t->pos != 1 || n != 2 || strcmp(tok[0], PSTRACE_TEXT_MAGIC) != 0) {
        t->pos = 1;
        return pstrace_bad(t, err,
                           "not a parameter-server trace: expected the header line '%s %u' "
                           "or the binary magic",
                           PSTRACE_TEXT_MAGIC, PSTRACE_VERSION);
    }
    if (strcmp(tok[1], "1") != 0 && strcmp(tok[1], "2") != 0) {
        return pstrace_bad(t, err, "unsupported pstrace version '%s' (this reader knows %u and %u)",
                           tok[1], PSTRACE_VERSION_MIN, PSTRACE_VERSION);
    }
    t->h.version = tok[1][0] == '2' ? 2u : 1u;
    return 0;
}

typedef enum TextKey {
    TEXT_KEY_MODEL = 0,
    TEXT_KEY_WORKERS,
    TEXT_KEY_ITERATIONS,
    TEXT_KEY_BATCH,
    TEXT_KEY_DTYPE,
    TEXT_KEY_ORIGIN,
    TEXT_KEY_WARMUP, /* version 2, optional */
    TEXT_KEY_MAX
} TextKey;

static const char *const text_key_names[TEXT_KEY_MAX] = {
    [TEXT_KEY_MODEL] = "model",           [TEXT_KEY_WORKERS] = "workers",
    [TEXT_KEY_ITERATIONS] = "iterations", [TEXT_KEY_BATCH] = "batch",
    [TEXT_KEY_DTYPE] = "dtype",           [TEXT_KEY_ORIGIN] = "origin",
    [TEXT_KEY_WARMUP] = "warmup",
};

/* The origin: the rest of its line, free text. */
static int text_origin(PsTrace *t, SimError *err, const char *rest)
{
    if (strlen(rest) > PSTRACE_ORIGIN_MAX) {
        return pstrace_bad(t, err, "origin longer than %u characters", PSTRACE_ORIGIN_MAX);
    }
    t->h.origin = strdup(rest);
    if (t->h.origin == NULL) {
        return pstrace_bad(t, err, "out of memory");
    }
    if (!pstrace_origin_ok(t->h.origin)) {
        return pstrace_bad(t, err, "bad origin: no control characters");
    }
    return 0;
}

/* A positive count that fits in 32 bits (at most max). */
static int text_count(PsTrace *t, SimError *err, const char *s, const char *what, uint64_t max,
                      uint32_t *out)
{
    uint64_t v = 0;
    if (parse_u64(t, err, s, what, max, &v) < 0) {
        return -1;
    }
    if (v < 1) {
        return pstrace_bad(t, err, "%s must be at least 1", what);
    }
    *out = (uint32_t)v;
    return 0;
}

/* The value of one header key but the origin: a single token. */
static int text_header_value(PsTrace *t, SimError *err, TextKey k, const char *value)
{
    PsTraceHeader *h = &t->h;
    switch (k) {
    case TEXT_KEY_MODEL:
        if (!pstrace_name_ok(value)) {
            return pstrace_bad(t, err,
                               "bad model name '%s': 1 to %u characters, no spaces or "
                               "control characters",
                               value, PSTRACE_NAME_MAX);
        }
        h->model = strdup(value);
        if (h->model == NULL) {
            return pstrace_bad(t, err, "out of memory");
        }
        return 0;
    case TEXT_KEY_WORKERS:
        return text_count(t, err, value, "workers", PSTRACE_MAX_WORKERS, &h->workers);
    case TEXT_KEY_ITERATIONS:
        return text_count(t, err, value, "iterations", UINT32_MAX, &h->iterations);
    case TEXT_KEY_BATCH:
        return text_count(t, err, value, "batch", UINT32_MAX, &h->batch);
    case TEXT_KEY_WARMUP: {
        uint64_t v = 0;
        if (h->version != 2) {
            return pstrace_bad(t, err, "header key 'warmup' needs version 2 (line 1 says 1)");
        }
        if (parse_u64(t, err, value, "warmup", UINT32_MAX, &v) < 0) {
            return -1;
        }
        h->warmup = (uint32_t)v;
        return 0;
    }
    case TEXT_KEY_DTYPE:
        for (int d = 0; d < PSTRACE_DTYPE_MAX; d++) {
            if (strcmp(value, pstrace_dtype_names[d]) == 0) {
                h->dtype = (PsTraceDtype)d;
                return 0;
            }
        }
        return pstrace_bad(t, err,
                           "unknown dtype '%s' (expected float32, float16, bfloat16, "
                           "float64 or int8)",
                           value);
    default:
        return 0;
    }
}

/*
 * The "key value" lines after the magic line, up to and including the line that starts with
 * 'tensors', whose tokens are left in tok (*n of them). Every key must come exactly once.
 */
static int text_header_keys(PsTrace *t, SimError *err, char **tok, int *n)
{
    uint64_t key_line[TEXT_KEY_MAX] = {0};
    for (;;) {
        *n = text_line(t, err, tok, TEXT_MAX_FIELDS);
        if (*n < 0) {
            return -1;
        }
        if (*n == 0) {
            t->pos++;
            return pstrace_bad(t, err,
                               "the file ends in the header: expected 'tensors N' and the "
                               "tensor table");
        }
        if (strcmp(tok[0], "tensors") == 0) {
            break;
        }
        int k = 0;
        while (k < TEXT_KEY_MAX && strcmp(tok[0], text_key_names[k]) != 0) {
            k++;
        }
        if (k == TEXT_KEY_MAX) {
            return pstrace_bad(t, err,
                               "unknown header key '%s' (expected model, workers, iterations, "
                               "batch, dtype, origin%s tensors)",
                               tok[0], t->h.version == 2 ? ", warmup or" : " or");
        }
        if (key_line[k] != 0) {
            return pstrace_bad(t, err, "duplicate header key '%s' (first on line %" PRIu64 ")",
                               text_key_names[k], key_line[k]);
        }
        key_line[k] = t->pos;
        int r;
        if (k == TEXT_KEY_ORIGIN) {
            r = text_origin(t, err, t->rest);
        } else if (*n != 2) {
            r = pstrace_bad(t, err, "header key '%s' takes one value, found %d", text_key_names[k],
                            *n - 1);
        } else {
            r = text_header_value(t, err, (TextKey)k, t->rest);
        }
        if (r < 0) {
            return -1;
        }
    }
    for (int k = 0; k < TEXT_KEY_MAX; k++) {
        if (key_line[k] == 0 && k != TEXT_KEY_WARMUP) {
            return pstrace_bad(t, err,
                               "header key '%s' is missing (the header must give it before "
                               "'tensors')",
                               text_key_names[k]);
        }
    }
    if (key_line[TEXT_KEY_WARMUP] != 0 && t->h.warmup >= t->h.iterations) {
        t->pos = key_line[TEXT_KEY_WARMUP]; /* the message names the warmup line */
        return pstrace_bad(t, err,
                           "warmup %" PRIu32 " leaves no measured iteration (the header says "
                           "iterations %" PRIu32 ")",
                           t->h.warmup, t->h.iterations);
    }
    return 0;
}

/* ---- tensor table ---- */

/* SHAPE: D1xD2x...; 1 to PSTRACE_MAX_RANK positive decimals. False if it is not one. */
static bool parse_shape(const char *s, PsTraceTensor *ts)
{
    const char *p = s;
    ts->rank = 0;
    for (;;) {
        if (ts->rank == PSTRACE_MAX_RANK || *p < '1' || *p > '9') {
            return false;
        }
        uint64_t d = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (d > UINT64_MAX / 10 - 9) {
                return false;
            }
            d = d * 10 + (uint64_t)(*p - '0');
        }
        ts->dims[ts->rank++] = d;
        if (*p == '\0') {
            return true;
        }
        if (*p != 'x') {
            return false;
        }
        p++;
    }
}

/* Tensor i of the count announced on line count_line: "tensor ID NAME SHAPE BYTES". */
static int text_tensor(PsTrace *t, SimError *err, uint32_t i, uint32_t count, uint64_t count_line,
                       PsTraceNames *names)
{
    PsTraceHeader *h = &t->h;
    char *tok[TEXT_MAX_FIELDS];
    int n = text_line(t, err, tok, TEXT_MAX_FIELDS);
    if (n < 0) {
        return -1;
    }
    if (n == 0) {
        t->pos++;
        return pstrace_bad(t, err,
                           "the file ends in the tensor table: tensor %" PRIu32 " of the %" PRIu32
                           " announced on line %" PRIu64 " is missing",
                           i, count, count_line);
    }
    if (n != 5 || strcmp(tok[0], "tensor") != 0) {
        return pstrace_bad(
            t, err, "expected 'tensor ID NAME SHAPE BYTES' (tensor %" PRIu32 " of %" PRIu32 ")", i,
            count);
    }
    uint64_t id = 0;
    if (parse_u64(t, err, tok[1], "tensor id", UINT32_MAX, &id) < 0) {
        return -1;
    }
    if (id != i) {
        return pstrace_bad(t, err,
                           "tensor id %" PRIu64 " where %" PRIu32 " was expected (ids run "
                           "from 0 in order)",
                           id, i);
    }
    if (!pstrace_name_ok(tok[2])) {
        return pstrace_bad(t, err,
                           "bad tensor name '%s': 1 to %u characters, no spaces or control "
                           "characters",
                           tok[2], PSTRACE_NAME_MAX);
    }
    if (!pstrace_table_reserve(h, i, count)) {
        return pstrace_bad(t, err, "out of memory");
    }
    PsTraceTensor *ts = &h->tensors[i];
    ts->name = strdup(tok[2]);
    if (ts->name == NULL) {
        return pstrace_bad(t, err, "out of memory");
    }
    uint32_t dup = 0;
    int added = pstrace_names_add(names, h->tensors, i, &dup);
    if (added < 0) {
        return pstrace_bad(t, err, "out of memory");
    }
    if (added == 0) {
        return pstrace_bad(t, err, "duplicate tensor name '%s' (also tensor %" PRIu32 ")", tok[2],
                           dup);
    }
    if (!parse_shape(tok[3], ts)) {
        return pstrace_bad(t, err,
                           "bad shape '%s': expected 1 to %u positive dimensions joined by "
                           "'x', e.g. 64x3x7x7",
                           tok[3], PSTRACE_MAX_RANK);
    }
    if (parse_u64(t, err, tok[4], "byte count", UINT64_MAX, &ts->bytes) < 0) {
        return -1;
    }
    PsTraceWhy why;
    if (!pstrace_check_tensor(h, i, why, sizeof(why))) {
        return pstrace_bad(t, err, "%s", why);
    }
    return 0;
}

/* "tensors N" (its tokens in tok), then the N tensor lines: the table grows as they come. */
static int text_tensor_table(PsTrace *t, SimError *err, char **tok, int n, uint64_t *count_line)
{
    if (n != 2) {
        return pstrace_bad(t, err, "expected 'tensors N'");
    }
    uint64_t count = 0;
    if (parse_u64(t, err, tok[1], "tensor count", PSTRACE_MAX_TENSORS, &count) < 0) {
        return -1;
    }
    if (count < 1) {
        return pstrace_bad(t, err, "the tensor table must hold at least one tensor");
    }
    *count_line = t->pos;
    PsTraceNames names;
    pstrace_names_init(&names);
    int r = 0;
    for (uint32_t i = 0; i < (uint32_t)count && r == 0; i++) {
        r = text_tensor(t, err, i, (uint32_t)count, *count_line, &names);
    }
    pstrace_names_destroy(&names);
    return r;
}

int pstrace_text_header(PsTrace *t, SimError *err)
{
    char *tok[TEXT_MAX_FIELDS];
    int n = 0;
    uint64_t count_line = 0;
    if (text_magic(t, err) < 0 || text_header_keys(t, err, tok, &n) < 0 ||
        text_tensor_table(t, err, tok, n, &count_line) < 0) {
        return -1;
    }
    n = text_line(t, err, tok, TEXT_MAX_FIELDS);
    if (n < 0) {
        return -1;
    }
    if (n == 0) {
        t->pos++;
        return pstrace_bad(t, err, "the file ends after the tensor table: expected 'events'");
    }
    if (n != 1 || strcmp(tok[0], "events") != 0) {
        return pstrace_bad(t, err,
                           "expected 'events' after the %" PRIu32
                           " tensors announced on line %" PRIu64 ", found '%s'",
                           t->h.n_tensors, count_line, tok[0]);
    }
    return 0;
}

/* ---- events ---- */

/* "end N", the last line: N must be the number of events, and nothing may follow. */
static int text_trailer(PsTrace *t, SimError *err, char **tok, int n)
{
    uint64_t count = 0;
    if (n != 2) {
        return pstrace_bad(t, err, "expected the trailer 'end N'");
    }
    if (parse_u64(t, err, tok[1], "event count", UINT64_MAX, &count) < 0) {
        return -1;
    }
    if (count != t->events) {
        return pstrace_bad(t, err, "the trailer says %" PRIu64 " events, but the file has %" PRIu64,
                           count, t->events);
    }
    n = text_line(t, err, tok, TEXT_MAX_FIELDS);
    if (n < 0) {
        return -1;
    }
    if (n > 0) {
        return pstrace_bad(t, err, "text after the trailer");
    }
    t->done = true;
    return 0;
}

/* "WORKER ITERATION KIND TENSOR BYTES START END" and, in version 2, "CPU"; its fields in tok;
 * checked as an event. */
static int text_event(PsTrace *t, SimError *err, char **tok, PsTraceEvent *out)
{
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
        return pstrace_bad(t, err,
                           "unknown event kind '%s' (expected forward, backward, grad_ready, "
                           "push, pull, update%s)",
                           tok[2],
                           t->h.version == 2 ? ", barrier, recv, apply or send" : " or barrier");
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
        if (!pstrace_kind_has_bytes(ev.kind)) {
            return pstrace_bad(t, err, "a %s carries no bytes: write '-', not '%s'",
                               pstrace_kind_names[ev.kind], tok[4]);
        }
    } else if (pstrace_kind_has_bytes(ev.kind)) {
        return pstrace_bad(t, err, "a %s needs its byte count", pstrace_kind_names[ev.kind]);
    }
    if (parse_time(t, err, tok[5], "start", &ev.start_ns) < 0 ||
        parse_time(t, err, tok[6], "end", &ev.end_ns) < 0) {
        return -1;
    }
    if (t->h.version == 2 && strcmp(tok[7], "-") != 0) {
        if (parse_time(t, err, tok[7], "CPU", &ev.cpu_ns) < 0) {
            return -1;
        }
        ev.has_cpu = true;
    }
    PsTraceWhy why;
    if (!pstrace_check_event(&t->h, &ev, t->last_start, t->events, why, sizeof(why))) {
        return pstrace_bad(t, err, "%s", why);
    }
    *out = ev;
    return 1;
}

int pstrace_text_next(PsTrace *t, PsTraceEvent *out, SimError *err)
{
    char *tok[TEXT_MAX_FIELDS];
    int n = text_line(t, err, tok, TEXT_MAX_FIELDS);
    if (n < 0) {
        return -1;
    }
    if (n == 0) {
        t->pos++;
        return pstrace_bad(
            t, err, "the file ends without the trailer 'end %" PRIu64 "' (truncated?)", t->events);
    }
    if (strcmp(tok[0], "end") == 0) {
        return text_trailer(t, err, tok, n);
    }
    int fields = t->h.version == 2 ? 8 : 7;
    if (n != fields) {
        return pstrace_bad(
            t, err, "expected 'WORKER ITERATION KIND TENSOR BYTES START END%s', found %d fields",
            fields == 8 ? " CPU" : "", n);
    }
    return text_event(t, err, tok, out);
}
