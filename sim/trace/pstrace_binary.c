/*
 * Parameter-server traces, the binary form (traces/FORMAT.md): a 32-byte header (36 in version
 * 2) with the model name and origin after it (record 1), one record per tensor, then 28-byte
 * event records (36 in version 2) and a trailer record of the same size. All numbers are
 * little-endian.
 */
#include "pstrace_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Reads n bytes of the current record, of which `done` were read already and which has `total`
 * in all (for the message). 1: read; 0: nothing at all was left (the caller decides whether
 * that is fine); -1: error.
 */
static int bin_read(PsTrace *t, SimError *err, void *buf, unsigned n, unsigned done, unsigned total)
{
    int got = gzread(t->f.gz, buf, n);
    if (got == (int)n) {
        return 1;
    }
    if (pstrace_stream_error(t, err) < 0) {
        return -1;
    }
    if (got <= 0 && done == 0) {
        return 0;
    }
    return pstrace_bad(t, err, "cut short: %u of %u bytes (truncated file?)",
                       done + (got > 0 ? (unsigned)got : 0u), total);
}

/* A string of len bytes at byte `done` of the current record, which has `total` in all. */
static char *bin_string(PsTrace *t, SimError *err, unsigned len, unsigned done, unsigned total)
{
    char *s = malloc((size_t)len + 1);
    if (s == NULL) {
        pstrace_bad(t, err, "out of memory");
        return NULL;
    }
    if (len > 0 && bin_read(t, err, s, len, done, total) <= 0) {
        if (!t->failed) {
            pstrace_bad(t, err, "cut short: %u of %u bytes (truncated file?)", done, total);
        }
        free(s);
        return NULL;
    }
    s[len] = '\0';
    if (strlen(s) != len) {
        pstrace_bad(t, err, "a NUL byte inside a string");
        free(s);
        return NULL;
    }
    return s;
}

/* ---- header ---- */

/* Record 1: magic and version first, so that a wrong file is told as such, then the rest of
 * the fixed part, the model name and the origin. The tensor count is left in h->n_tensors. */
static int bin_header_record(PsTrace *t, SimError *err)
{
    PsTraceHeader *h = &t->h;
    unsigned char b[PSTRACE_BIN_HEADER_FIXED2];
    t->pos = 1;
    int r = bin_read(t, err, b, 12, 0, PSTRACE_BIN_HEADER_FIXED);
    if (r == 0) {
        return pstrace_bad(t, err, "cut short: 0 of %u bytes (truncated file?)",
                           PSTRACE_BIN_HEADER_FIXED);
    }
    if (r < 0) {
        return -1;
    }
    if (memcmp(b, PSTRACE_BINARY_MAGIC, 8) != 0) {
        return pstrace_bad(t, err,
                           "not a parameter-server trace: expected the header line '%s %u' "
                           "or the binary magic",
                           PSTRACE_TEXT_MAGIC, PSTRACE_VERSION);
    }
    uint32_t version = trace_get_le32(b + 8);
    if (version != 1 && version != 2) {
        return pstrace_bad(t, err,
                           "unsupported pstrace version %" PRIu32 " (this reader knows %u and %u)",
                           version, PSTRACE_VERSION_MIN, PSTRACE_VERSION);
    }
    h->version = version;
    unsigned fixed = version == 2 ? PSTRACE_BIN_HEADER_FIXED2 : PSTRACE_BIN_HEADER_FIXED;
    if (bin_read(t, err, b + 12, fixed - 12, 12, fixed) <= 0) {
        return t->failed
                   ? -1
                   : pstrace_bad(t, err, "cut short: 12 of %u bytes (truncated file?)", fixed);
    }
    h->workers = trace_get_le32(b + 12);
    h->iterations = trace_get_le32(b + 16);
    h->batch = trace_get_le32(b + 20);
    h->n_tensors = trace_get_le32(b + 24);
    unsigned model_len = b[29];
    unsigned origin_len = trace_get_le16(b + 30);
    if (b[28] >= PSTRACE_DTYPE_MAX) {
        return pstrace_bad(t, err, "unknown dtype code %u", b[28]);
    }
    h->dtype = (PsTraceDtype)b[28];
    h->warmup = version == 2 ? trace_get_le32(b + 32) : 0;
    if (origin_len > PSTRACE_ORIGIN_MAX) {
        return pstrace_bad(t, err, "origin longer than %u bytes", PSTRACE_ORIGIN_MAX);
    }
    unsigned total = fixed + model_len + origin_len;
    h->model = bin_string(t, err, model_len, fixed, total);
    if (h->model == NULL) {
        return -1;
    }
    h->origin = bin_string(t, err, origin_len, fixed + model_len, total);
    if (h->origin == NULL) {
        return -1;
    }
    return 0;
}

/* Record 2 + i: tensor i of count. */
static int bin_tensor(PsTrace *t, SimError *err, uint32_t i, uint32_t count, PsTraceNames *names)
{
    PsTraceHeader *h = &t->h;
    unsigned char tb[PSTRACE_BIN_TENSOR_FIXED + 8 * PSTRACE_MAX_RANK];
    t->pos++;
    int r = bin_read(t, err, tb, PSTRACE_BIN_TENSOR_FIXED, 0, PSTRACE_BIN_TENSOR_FIXED);
    if (r <= 0) {
        return r < 0 ? -1
                     : pstrace_bad(t, err,
                                   "the file ends in the tensor table: tensor %" PRIu32
                                   " of %" PRIu32 " is missing",
                                   i, count);
    }
    if (!pstrace_table_reserve(h, i, count)) {
        return pstrace_bad(t, err, "out of memory");
    }
    PsTraceTensor *ts = &h->tensors[i];
    uint32_t id = trace_get_le32(tb);
    ts->bytes = trace_get_le64(tb + 4);
    ts->rank = tb[12];
    unsigned name_len = tb[13];
    if (id != i) {
        return pstrace_bad(t, err,
                           "tensor id %" PRIu32 " where %" PRIu32 " was expected (ids run "
                           "from 0 in order)",
                           id, i);
    }
    if (ts->rank < 1 || ts->rank > PSTRACE_MAX_RANK) {
        return pstrace_bad(t, err, "tensor %" PRIu32 ": rank %" PRIu32 " is outside 1..%u", i,
                           ts->rank, PSTRACE_MAX_RANK);
    }
    unsigned dims_at = PSTRACE_BIN_TENSOR_FIXED, name_at = dims_at + 8 * ts->rank;
    unsigned total = name_at + name_len;
    if (bin_read(t, err, tb + dims_at, 8 * ts->rank, dims_at, total) <= 0) {
        return t->failed ? -1
                         : pstrace_bad(t, err, "cut short: %u of %u bytes (truncated file?)",
                                       dims_at, total);
    }
    for (uint32_t d = 0; d < ts->rank; d++) {
        ts->dims[d] = trace_get_le64(tb + dims_at + 8 * d);
    }
    ts->name = bin_string(t, err, name_len, name_at, total);
    if (ts->name == NULL) {
        return -1;
    }
    PsTraceWhy why;
    if (!pstrace_check_tensor(h, i, why, sizeof(why))) {
        return pstrace_bad(t, err, "%s", why);
    }
    uint32_t dup = 0;
    int added = pstrace_names_add(names, h->tensors, i, &dup);
    if (added < 0) {
        return pstrace_bad(t, err, "out of memory");
    }
    if (added == 0) {
        return pstrace_bad(t, err, "duplicate tensor name '%s' (also tensor %" PRIu32 ")", ts->name,
                           dup);
    }
    return 0;
}

int pstrace_bin_header(PsTrace *t, SimError *err)
{
    PsTraceHeader *h = &t->h;
    if (bin_header_record(t, err) < 0) {
        return -1;
    }
    /* The fields are checked before the tensor table is read; the checks look at the count
     * only. Then the table starts empty and grows as its records come. */
    PsTraceWhy why;
    uint32_t count = h->n_tensors;
    bool fields_ok = pstrace_check_header_fields(h, why, sizeof(why));
    h->n_tensors = 0;
    if (!fields_ok) {
        return pstrace_bad(t, err, "%s", why);
    }
    PsTraceNames names;
    pstrace_names_init(&names);
    int r = 0;
    for (uint32_t i = 0; i < count && r == 0; i++) {
        r = bin_tensor(t, err, i, count, &names);
    }
    pstrace_names_destroy(&names);
    return r;
}

/* ---- events ---- */

/* The trailer record b: reserved fields zero, the event count right, nothing after it. */
static int bin_trailer(PsTrace *t, SimError *err, const unsigned char *b)
{
    uint64_t count = trace_get_le64(b + 12);
    if (b[1] != 0 || trace_get_le16(b + 2) != 0 || trace_get_le32(b + 4) != 0 ||
        trace_get_le32(b + 8) != 0 || trace_get_le64(b + 20) != 0 ||
        (t->h.version == 2 && trace_get_le64(b + 28) != 0)) {
        return pstrace_bad(t, err, "bad trailer record: its reserved fields must be zero");
    }
    if (count != t->events) {
        return pstrace_bad(t, err, "the trailer says %" PRIu64 " events, but the file has %" PRIu64,
                           count, t->events);
    }
    unsigned char extra;
    if (gzread(t->f.gz, &extra, 1) == 1) {
        t->pos++;
        return pstrace_bad(t, err, "data after the trailer record");
    }
    if (pstrace_stream_error(t, err) < 0) {
        return -1;
    }
    t->done = true;
    return 0;
}

int pstrace_bin_next(PsTrace *t, PsTraceEvent *out, SimError *err)
{
    unsigned char b[PSTRACE_EVENT_BYTES2];
    unsigned size = t->h.version == 2 ? PSTRACE_EVENT_BYTES2 : PSTRACE_EVENT_BYTES;
    t->pos++;
    int r = bin_read(t, err, b, size, 0, size);
    if (r < 0) {
        return -1;
    }
    if (r == 0) {
        return pstrace_bad(t, err, "the file ends without the trailer record (truncated?)");
    }
    if (b[0] == PSTRACE_BIN_END_KIND) {
        return bin_trailer(t, err, b);
    }
    if (b[1] != 0) {
        return pstrace_bad(t, err, "reserved byte 1 of an event record must be zero");
    }
    PsTraceEvent ev = {.has_cpu = false};
    if (b[0] >= PSTRACE_KIND_MAX) {
        return pstrace_bad(t, err, "unknown event kind code %u", b[0]);
    }
    ev.kind = (PsTraceKind)b[0];
    uint16_t w = trace_get_le16(b + 2);
    ev.worker = w == PSTRACE_BIN_NO_WORKER ? PSTRACE_SERVER : w;
    ev.iteration = trace_get_le32(b + 4);
    ev.tensor = trace_get_le32(b + 8);
    ev.start_ns = trace_get_le64(b + 12);
    ev.end_ns = trace_get_le64(b + 20);
    if (t->h.version == 2 && trace_get_le64(b + 28) != PSTRACE_BIN_NO_CPU) {
        ev.has_cpu = true;
        ev.cpu_ns = trace_get_le64(b + 28);
    }
    /* The binary form does not repeat the size: a push or pull moves the whole tensor. */
    ev.bytes = pstrace_kind_has_bytes(ev.kind) && ev.tensor < t->h.n_tensors
                   ? t->h.tensors[ev.tensor].bytes
                   : 0;
    PsTraceWhy why;
    if (!pstrace_check_event(&t->h, &ev, t->last_start, t->events, why, sizeof(why))) {
        return pstrace_bad(t, err, "%s", why);
    }
    *out = ev;
    return 1;
}
