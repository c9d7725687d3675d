/*
 * Memory-trace reader and writer (memtrace.h, traces/FORMAT.md "Memory traces").
 *
 * Both encodings go through zlib's gz* functions, which read plain and gzip files alike. A
 * truncated or corrupt gzip stream is reported at the line or record being read when zlib
 * noticed it, never as a silent end of the trace: gzgets() and gzread() return what was
 * decompressed before the damage, so the error state is checked after every read.
 */
#include "memtrace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "trace_file.h"

struct MemTrace {
    TraceFile f;
    MemTraceFormat format;
    uint64_t pos;     /* line (text) or record (binary) last read */
    uint64_t rec_pos; /* position of the record last returned */
    SimTime last_at;  /* latest '@' time, to refuse time going backwards */
    bool failed;
    char buf[MEMTRACE_LINE_MAX + 2];
};

const char *memtrace_op_name(MemTraceOp op)
{
    return op == MEMTRACE_WRITE ? "W" : "R";
}

const char *memtrace_access_name(MemTraceAccess a)
{
    switch (a) {
    case MEMTRACE_ACCESS_DMA:
        return "dma";
    case MEMTRACE_ACCESS_PIO:
        return "pio";
    default:
        return "";
    }
}

/* ---- errors ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
bad(MemTrace *t, SimError *err, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (t->format == MEMTRACE_BINARY && t->pos == 0) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: header: %s", t->f.path, msg);
    } else if (t->format == MEMTRACE_BINARY) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: record %" PRIu64 ": %s", t->f.path, t->pos, msg);
    } else {
        sim_error_set(err, SIM_ERR_INPUT, "%s:%" PRIu64 ": %s", t->f.path, t->pos, msg);
    }
    t->failed = true;
    return -1;
}

/* The zlib error state after a read: non-zero (and err filled) if the stream is damaged. */
static int check_gz(MemTrace *t, SimError *err)
{
    const char *what = "";
    switch (trace_file_error(&t->f, &what)) {
    case TRACE_FILE_OK:
        return 0;
    case TRACE_FILE_IO:
        return bad(t, err, "read error: %s", what);
    default:
        return bad(t, err, "truncated or corrupt gzip data (zlib: %s)", what);
    }
}

/* ---- number parsers: exact, no floating point ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * digits[.digits] followed by a unit from `units` (value multipliers as powers of ten or two
 * given in mult[]); a bare "0" needs no unit; `bare_ok` accepts a number without unit as a
 * multiplier of 1. The result must be a whole number of the base unit and fit in 64 bits.
 * Returns false on any problem.
 */
static bool parse_scaled(const char *s, const char *const *units, const uint64_t *mult,
                         bool bare_ok, uint64_t *out)
{
    const char *p = s;
    if (!is_digit(*p)) {
        return false;
    }
    uint64_t num = 0; /* the digits without the point */
    uint64_t den = 1; /* 10^(digits after the point) */
    for (; is_digit(*p); p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (num > (UINT64_MAX - d) / 10) {
            return false;
        }
        num = num * 10 + d;
    }
    if (*p == '.') {
        p++;
        if (!is_digit(*p)) {
            return false;
        }
        for (; is_digit(*p); p++) {
            uint64_t d = (uint64_t)(*p - '0');
            if (num > (UINT64_MAX - d) / 10 || den > UINT64_MAX / 10) {
                return false;
            }
            num = num * 10 + d;
            den *= 10;
        }
    }
    uint64_t m = 0;
    if (*p == '\0') {
        if (num == 0 && den == 1) {
            *out = 0;
            return true;
        }
        if (!bare_ok) {
            return false;
        }
        m = 1;
    } else {
        for (size_t i = 0; units[i] != NULL; i++) {
            if (strcmp(p, units[i]) == 0) {
                m = mult[i];
                break;
            }
        }
        if (m == 0) {
            return false;
        }
    }
    /* value = num * m / den, exactly. */
    __extension__ typedef unsigned __int128 u128;
    u128 v = (u128)num * m;
    if (v % den != 0) {
        return false;
    }
    v /= den;
    if (v > UINT64_MAX) {
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

static const char *const time_units[] = {"ps", "ns", "us", "ms", "s", NULL};
static const uint64_t time_mult[] = {1ULL, 1000ULL, 1000000ULL, 1000000000ULL, 1000000000000ULL};

static const char *const size_units[] = {"B", "KiB", "MiB", "GiB", "kB", "MB", "GB", NULL};
static const uint64_t size_mult[] = {1ULL,    1ULL << 10, 1ULL << 20,   1ULL << 30,
                                     1000ULL, 1000000ULL, 1000000000ULL};

static bool parse_addr(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        const char *p = s + 2;
        if (*p == '\0') {
            return false;
        }
        int digits = 0;
        for (; *p != '\0'; p++) {
            int d;
            if (*p >= '0' && *p <= '9') {
                d = *p - '0';
            } else if (*p >= 'a' && *p <= 'f') {
                d = *p - 'a' + 10;
            } else if (*p >= 'A' && *p <= 'F') {
                d = *p - 'A' + 10;
            } else {
                return false;
            }
            if ((v != 0 || d != 0) && ++digits > 16) {
                return false;
            }
            v = (v << 4) | (uint64_t)d;
        }
        *out = v;
        return true;
    }
    if (!is_digit(*s)) {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (!is_digit(*p)) {
            return false;
        }
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* ---- open / close ---- */

MemTrace *memtrace_open(const char *path, SimError *err)
{
    MemTrace *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        return NULL;
    }
    if (!trace_file_init(&t->f, path, 0, err)) {
        goto fail_open;
    }
    if (!memtrace_rewind(t, err)) {
        goto fail_header;
    }
    return t;

fail_header:
    trace_file_destroy(&t->f);
fail_open:
    free(t);
    return NULL;
}

void memtrace_close(MemTrace *t)
{
    if (t == NULL) {
        return;
    }
    trace_file_destroy(&t->f);
    free(t);
}

MemTraceFormat memtrace_format(const MemTrace *t)
{
    return t->format;
}

const char *memtrace_path(const MemTrace *t)
{
    return t->f.path;
}

uint64_t memtrace_position(const MemTrace *t)
{
    return t->rec_pos;
}

int memtrace_where(const MemTrace *t, char *buf, size_t size)
{
    if (t->format == MEMTRACE_BINARY) {
        return snprintf(buf, size, "%s: record %" PRIu64, t->f.path, t->rec_pos);
    }
    return snprintf(buf, size, "%s:%" PRIu64, t->f.path, t->rec_pos);
}

/* Reads the binary header after the magic; false with err filled. */
static bool binary_header(MemTrace *t, SimError *err)
{
    unsigned char h[8];
    int n = gzread(t->f.gz, h, sizeof(h));
    if (check_gz(t, err) != 0) {
        return false;
    }
    if (n != (int)sizeof(h)) {
        bad(t, err, "truncated (%d of 16 bytes)", n < 0 ? 8 : 8 + n);
        return false;
    }
    uint32_t version = trace_get_le32(h);
    uint32_t rsize = trace_get_le32(h + 4);
    if (version != MEMTRACE_VERSION) {
        bad(t, err, "unsupported memory-trace version %" PRIu32 " (this reader knows version %u)",
            version, MEMTRACE_VERSION);
        return false;
    }
    if (rsize != MEMTRACE_RECORD_SIZE) {
        bad(t, err, "record size %" PRIu32 " in the header, version 1 has %u", rsize,
            MEMTRACE_RECORD_SIZE);
        return false;
    }
    return true;
}

/*
 * The next meaningful line of a text trace in t->buf, comments and blanks removed: 1, or 0 at
 * the end, or -1 with err filled.
 */
static int next_line(MemTrace *t, SimError *err)
{
    for (;;) {
        switch (trace_file_line(&t->f, t->buf, sizeof(t->buf), TRACE_CHECK_EACH_LINE, &t->pos)) {
        case TRACE_LINE_END:
            return 0;
        case TRACE_LINE_ERROR:
            return check_gz(t, err);
        case TRACE_LINE_NUL:
            return bad(t, err, "NUL byte at column %zu: this is not a text trace",
                       strlen(t->buf) + 1);
        case TRACE_LINE_LONG:
            return bad(t, err, "line longer than %u characters", MEMTRACE_LINE_MAX);
        default:
            break;
        }
        char *hash = strchr(t->buf, '#');
        if (hash != NULL) {
            *hash = '\0';
        }
        for (char *p = t->buf; *p != '\0'; p++) {
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
                return 1;
            }
        }
    }
}

bool memtrace_rewind(MemTrace *t, SimError *err)
{
    if (gzrewind(t->f.gz) != 0) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot rewind", t->f.path);
        return false;
    }
    t->pos = 0;
    t->rec_pos = 0;
    t->last_at = 0;
    t->failed = false;
    unsigned char magic[8];
    int n = gzread(t->f.gz, magic, sizeof(magic));
    if (n == (int)sizeof(magic) && memcmp(magic, MEMTRACE_MAGIC, sizeof(magic)) == 0) {
        t->format = MEMTRACE_BINARY;
        return binary_header(t, err);
    }
    t->format = MEMTRACE_TEXT;
    if (gzrewind(t->f.gz) != 0) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot rewind", t->f.path);
        return false;
    }
    int r = next_line(t, err);
    if (r < 0) {
        return false;
    }
    if (r == 0) {
        t->pos = t->pos ? t->pos : 1;
        bad(t, err, "empty trace: expected the header '%s %u'", MEMTRACE_TEXT_HEADER,
            MEMTRACE_VERSION);
        return false;
    }
    char *tok[3];
    int nt = trace_split(t->buf, tok, 3);
    if (nt < 1 || strcmp(tok[0], MEMTRACE_TEXT_HEADER) != 0) {
        bad(t, err, "expected the header '%s %u' before any record", MEMTRACE_TEXT_HEADER,
            MEMTRACE_VERSION);
        return false;
    }
    uint64_t version = 0;
    if (nt != 2 || !parse_addr(tok[1], &version) || tok[1][0] == '0') {
        bad(t, err, "bad header: expected '%s %u'", MEMTRACE_TEXT_HEADER, MEMTRACE_VERSION);
        return false;
    }
    if (version != MEMTRACE_VERSION) {
        bad(t, err, "unsupported memory-trace version %" PRIu64 " (this reader knows version %u)",
            version, MEMTRACE_VERSION);
        return false;
    }
    return true;
}

/* ---- records ---- */

static int check_record(MemTrace *t, SimError *err, MemTraceRecord *rec)
{
    if (rec->size == 0) {
        return bad(t, err, "size 0: a record moves at least one byte");
    }
    if (rec->size > MEMTRACE_MAX_SIZE) {
        return bad(t, err, "size %" PRIu32 " is above the maximum 1GiB", rec->size);
    }
    if (rec->addr > UINT64_MAX - rec->size + 1) {
        return bad(t, err, "address 0x%" PRIx64 " + size %" PRIu32 " passes 2^64", rec->addr,
                   rec->size);
    }
    if (rec->when == MEMTRACE_AT) {
        if (rec->time < t->last_at) {
            return bad(t, err,
                       "time %" PRIu64 "ps is before the previous '@' time %" PRIu64
                       "ps: '@' times must not decrease",
                       rec->time, t->last_at);
        }
        t->last_at = rec->time;
    }
    t->rec_pos = t->pos;
    return 1;
}

static int next_text(MemTrace *t, MemTraceRecord *rec, SimError *err)
{
    int r = next_line(t, err);
    if (r <= 0) {
        return r;
    }
    char *tok[6];
    int n = trace_split(t->buf, tok, 6);
    if (n < 4) {
        return bad(t, err, "expected 'WHEN OP ADDRESS SIZE [ACCESS]', found %d field%s", n,
                   n == 1 ? "" : "s");
    }
    if (n > 5) {
        return bad(t, err, "unexpected '%s' after the record", tok[5]);
    }
    memset(rec, 0, sizeof(*rec));
    const char *w = tok[0];
    if (w[0] == '@') {
        rec->when = MEMTRACE_AT;
    } else if (w[0] == '+') {
        rec->when = MEMTRACE_AFTER;
    } else {
        return bad(t, err,
                   "bad time '%s': write '@TIME' (at a time) or '+TIME' (after the "
                   "previous record completes), e.g. '@250ns' or '+0'",
                   w);
    }
    uint64_t v;
    if (!parse_scaled(w + 1, time_units, time_mult, false, &v)) {
        return bad(t, err,
                   "bad time '%s': a number with a unit (ps, ns, us, ms, s), e.g. "
                   "'%c1.5us'",
                   w, w[0]);
    }
    rec->time = v;
    if (strcmp(tok[1], "R") == 0) {
        rec->op = MEMTRACE_READ;
    } else if (strcmp(tok[1], "W") == 0) {
        rec->op = MEMTRACE_WRITE;
    } else {
        return bad(t, err, "unknown op '%s' (R or W)", tok[1]);
    }
    if (!parse_addr(tok[2], &rec->addr)) {
        return bad(t, err, "bad address '%s': hexadecimal with 0x, or decimal, below 2^64", tok[2]);
    }
    if (!parse_scaled(tok[3], size_units, size_mult, true, &v) || v > UINT32_MAX) {
        return bad(t, err, "bad size '%s': whole bytes, e.g. '64', '4KiB' or '1MiB'", tok[3]);
    }
    rec->size = (uint32_t)v;
    rec->access = MEMTRACE_ACCESS_DEFAULT;
    if (n == 5) {
        if (strcmp(tok[4], "dma") == 0) {
            rec->access = MEMTRACE_ACCESS_DMA;
        } else if (strcmp(tok[4], "pio") == 0) {
            rec->access = MEMTRACE_ACCESS_PIO;
        } else {
            return bad(t, err, "unknown access '%s' (dma or pio)", tok[4]);
        }
    }
    return check_record(t, err, rec);
}

static int next_binary(MemTrace *t, MemTraceRecord *rec, SimError *err)
{
    unsigned char b[MEMTRACE_RECORD_SIZE];
    t->pos++;
    int n = gzread(t->f.gz, b, sizeof(b));
    if (check_gz(t, err) != 0) {
        return -1;
    }
    if (n == 0) {
        t->pos--;
        return 0;
    }
    if (n != (int)sizeof(b)) {
        return bad(t, err, "truncated (%d of %u bytes)", n < 0 ? 0 : n, MEMTRACE_RECORD_SIZE);
    }
    memset(rec, 0, sizeof(*rec));
    rec->time = trace_get_le64(b);
    rec->addr = trace_get_le64(b + 8);
    rec->size = trace_get_le32(b + 16);
    if (b[20] >= MEMTRACE_OP_MAX) {
        return bad(t, err, "unknown op %u (0: read, 1: write)", b[20]);
    }
    if (b[21] >= MEMTRACE_WHEN_MAX) {
        return bad(t, err, "unknown timing %u (0: at a time, 1: after the previous)", b[21]);
    }
    if (b[22] >= MEMTRACE_ACCESS_MAX) {
        return bad(t, err, "unknown access %u (0: node default, 1: dma, 2: pio)", b[22]);
    }
    if (b[23] != 0) {
        return bad(t, err, "reserved byte is %u, must be 0", b[23]);
    }
    rec->op = (MemTraceOp)b[20];
    rec->when = (MemTraceWhen)b[21];
    rec->access = (MemTraceAccess)b[22];
    return check_record(t, err, rec);
}

int memtrace_next(MemTrace *t, MemTraceRecord *rec, SimError *err)
{
    if (t->failed) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: reading past an earlier error", t->f.path);
        return -1;
    }
    return t->format == MEMTRACE_BINARY ? next_binary(t, rec, err) : next_text(t, rec, err);
}

/* ---- writer ---- */

struct MemTraceWriter {
    TraceFile f;
    MemTraceFormat format;
    bool ok;
};

MemTraceWriter *memtrace_writer_open(const char *path, MemTraceFormat format, bool gzip,
                                     SimError *err)
{
    if ((unsigned)format >= MEMTRACE_FORMAT_MAX) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: unknown memory-trace format", path);
        return NULL;
    }
    MemTraceWriter *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        return NULL;
    }
    if (!trace_file_create(&w->f, path, gzip, 0, err)) {
        free(w);
        return NULL;
    }
    w->format = format;
    w->ok = true;
    if (format == MEMTRACE_BINARY) {
        unsigned char h[16];
        memcpy(h, MEMTRACE_MAGIC, 8);
        trace_put_le32(h + 8, MEMTRACE_VERSION);
        trace_put_le32(h + 12, MEMTRACE_RECORD_SIZE);
        w->ok = gzwrite(w->f.gz, h, sizeof(h)) == (int)sizeof(h);
    } else {
        w->ok = gzprintf(w->f.gz, "%s %u\n", MEMTRACE_TEXT_HEADER, MEMTRACE_VERSION) > 0;
    }
    return w;
}

/* The exact time in the largest unit that divides it: "0", "250ns", "1500ps", "2us". */
static void format_time(char *buf, size_t n, SimTime ps)
{
    static const char *const names[] = {"s", "ms", "us", "ns"};
    static const uint64_t mult[] = {1000000000000ULL, 1000000000ULL, 1000000ULL, 1000ULL};
    if (ps == 0) {
        snprintf(buf, n, "0");
        return;
    }
    for (size_t i = 0; i < 4; i++) {
        if (ps % mult[i] == 0) {
            snprintf(buf, n, "%" PRIu64 "%s", ps / mult[i], names[i]);
            return;
        }
    }
    snprintf(buf, n, "%" PRIu64 "ps", ps);
}

bool memtrace_writer_put(MemTraceWriter *w, const MemTraceRecord *rec)
{
    if (rec->size == 0 || rec->size > MEMTRACE_MAX_SIZE || (unsigned)rec->op >= MEMTRACE_OP_MAX ||
        (unsigned)rec->when >= MEMTRACE_WHEN_MAX || (unsigned)rec->access >= MEMTRACE_ACCESS_MAX) {
        w->ok = false;
        return false;
    }
    if (w->format == MEMTRACE_BINARY) {
        unsigned char b[MEMTRACE_RECORD_SIZE];
        trace_put_le64(b, rec->time);
        trace_put_le64(b + 8, rec->addr);
        trace_put_le32(b + 16, rec->size);
        b[20] = (unsigned char)rec->op;
        b[21] = (unsigned char)rec->when;
        b[22] = (unsigned char)rec->access;
        b[23] = 0;
        if (gzwrite(w->f.gz, b, sizeof(b)) != (int)sizeof(b)) {
            w->ok = false;
        }
        return w->ok;
    }
    char when[32];
    format_time(when, sizeof(when), rec->time);
    const char *acc = memtrace_access_name(rec->access);
    if (gzprintf(w->f.gz, "%c%s %s 0x%" PRIx64 " %" PRIu32 "%s%s\n",
                 rec->when == MEMTRACE_AT ? '@' : '+', when, memtrace_op_name(rec->op), rec->addr,
                 rec->size, acc[0] ? " " : "", acc) <= 0) {
        w->ok = false;
    }
    return w->ok;
}

bool memtrace_writer_close(MemTraceWriter *w)
{
    if (w == NULL) {
        return true;
    }
    bool ok = w->ok;
    if (trace_file_close(&w->f) != Z_OK) {
        ok = false;
    }
    trace_file_destroy(&w->f);
    free(w);
    return ok;
}
