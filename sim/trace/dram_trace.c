#include "dram_trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "trace_file.h"

const char *const dram_trace_format_names[DRAM_TRACE_FORMAT_MAX + 1] = {
    [DRAM_TRACE_NATIVE] = "native",
    [DRAM_TRACE_DRAMSIM3] = "dramsim3",
    [DRAM_TRACE_RAMULATOR] = "ramulator",
    [DRAM_TRACE_FORMAT_MAX] = NULL,
};

bool dram_trace_format_parse(const char *name, DramTraceFormat *out)
{
    for (int i = 0; i < DRAM_TRACE_FORMAT_MAX; i++) {
        if (strcmp(name, dram_trace_format_names[i]) == 0) {
            *out = (DramTraceFormat)i;
            return true;
        }
    }
    return false;
}

/*
 * A plain (not gzip) trace is read in blocks of this many bytes and parsed where it lies: most
 * lines are split and converted in one pass over their bytes, and only a line that is not of
 * the simple shape (a header, a comment, a '+' sign, too many digits, anything wrong) is copied
 * out and goes through the general parser below, which gives every message. The outcome of
 * each line is the one reading it through trace_file_line() gives; a gzip trace is read that
 * way, as zlib tells the lines before damage apart from the damage only line by line.
 */
#define DRAM_TRACE_BLOCK (16u * 1024u)

struct DramTrace {
    TraceFile f;
    DramTraceFormat format;
    uint64_t line;
    uint64_t last_cycle;
    bool header_seen;
    bool failed;
    bool direct;  /* a plain file: read in blocks (blk) */
    bool blk_eof; /* the file has no more bytes than blk[pos, end) */
    char *blk;
    size_t pos;
    size_t end;
    size_t nul_col; /* column of the NUL byte of the last TRACE_LINE_NUL */
    char buf[DRAM_TRACE_LINE_MAX + 2];
};

DramTrace *dram_trace_open(const char *path, DramTraceFormat format, SimError *err)
{
    if ((unsigned)format >= DRAM_TRACE_FORMAT_MAX) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: unknown trace format", path);
        return NULL;
    }
    DramTrace *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        return NULL;
    }
    if (!trace_file_init(&t->f, path, 0, err)) {
        free(t);
        return NULL;
    }
    t->format = format;
    if (gzdirect(t->f.gz)) {
        t->blk = malloc(DRAM_TRACE_BLOCK);
        if (t->blk == NULL) {
            trace_file_destroy(&t->f);
            free(t);
            sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
            return NULL;
        }
        t->direct = true;
    }
    return t;
}

void dram_trace_close(DramTrace *t)
{
    if (t == NULL) {
        return;
    }
    trace_file_destroy(&t->f);
    free(t->blk);
    free(t);
}

uint64_t dram_trace_line(const DramTrace *t)
{
    return t->line;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
bad(DramTrace *t, SimError *err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sim_error_set(err, SIM_ERR_INPUT, "%s:%" PRIu64 ": %s", t->f.path, t->line, msg);
    t->failed = true;
    return -1;
}

static int parse_hex(DramTrace *t, SimError *err, const char *s, uint64_t *out)
{
    const char *p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
    }
    if (*p == '\0') {
        return bad(t, err, "bad hex address '%s'", s);
    }
    uint64_t v = 0;
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
            return bad(t, err, "bad hex address '%s'", s);
        }
        if (v != 0 || d != 0) {
            if (++digits > 16) {
                return bad(t, err, "address '%s' does not fit in 64 bits", s);
            }
        }
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 0;
}

static int parse_dec(DramTrace *t, SimError *err, const char *s, const char *what, uint64_t *out)
{
    if (*s == '-') {
        return bad(t, err, "negative %s '%s'", what, s);
    }
    if (*s == '+') {
        s++;
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
            return bad(t, err, "%s '%s' is too large", what, s);
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_op(DramTrace *t, SimError *err, const char *s, const char *rd, const char *wr,
                    bool *write)
{
    if (strcmp(s, rd) == 0) {
        *write = false;
        return 0;
    }
    if (strcmp(s, wr) == 0) {
        *write = true;
        return 0;
    }
    return bad(t, err, "unknown operation '%s': expected %s or %s", s, rd, wr);
}

/* The fields of one line (n > 0 of them, tok[] holding the first 5): 1 with *out filled, 0 for
 * the native header, -1 with err filled. */
static int parse_fields(DramTrace *t, SimError *err, char **tok, int n, DramTraceRecord *out)
{
    switch (t->format) {
    case DRAM_TRACE_NATIVE:
        if (!t->header_seen) {
            if (n != 2 || strcmp(tok[0], "membox-dram-trace") != 0) {
                return bad(t, err, "expected the header line '%s'", DRAM_TRACE_HEADER);
            }
            if (strcmp(tok[1], "1") != 0) {
                return bad(t, err,
                           "unsupported native trace version '%s' (this reader "
                           "knows 1)",
                           tok[1]);
            }
            t->header_seen = true;
            return 0;
        }
        if (n < 3 || n > 4) {
            return bad(t, err, "expected 'CYCLE R|W ADDRESS [LEN]', found %d fields", n);
        }
        if (parse_dec(t, err, tok[0], "cycle", &out->cycle) < 0 ||
            parse_op(t, err, tok[1], "R", "W", &out->write) < 0 ||
            parse_hex(t, err, tok[2], &out->addr) < 0) {
            return -1;
        }
        if (n == 4) {
            uint64_t len;
            if (parse_dec(t, err, tok[3], "length", &len) < 0) {
                return -1;
            }
            if (len == 0 || len > DRAM_TRACE_MAX_LEN) {
                return bad(t, err, "length %" PRIu64 " is outside 1..%u", len, DRAM_TRACE_MAX_LEN);
            }
            out->len = (uint32_t)len;
        }
        return 1;
    case DRAM_TRACE_DRAMSIM3:
        if (n < 2 || n > 3) {
            return bad(t, err, "expected 'ADDRESS READ|WRITE [CYCLE]', found %d fields", n);
        }
        if (parse_hex(t, err, tok[0], &out->addr) < 0 ||
            parse_op(t, err, tok[1], "READ", "WRITE", &out->write) < 0) {
            return -1;
        }
        if (n == 3 && parse_dec(t, err, tok[2], "cycle", &out->cycle) < 0) {
            return -1;
        }
        return 1;
    case DRAM_TRACE_RAMULATOR:
        if (n != 2) {
            return bad(t, err, "expected 'ADDRESS R|W', found %d fields", n);
        }
        if (parse_hex(t, err, tok[0], &out->addr) < 0 ||
            parse_op(t, err, tok[1], "R", "W", &out->write) < 0) {
            return -1;
        }
        return 1;
    default:
        return bad(t, err, "unknown trace format");
    }
}

/*
 * The next physical line of a plain trace, as [*s, *s + *n) in the block with its '\n' if it
 * had one: the outcome trace_file_line() gives for the same bytes (a line of at most
 * DRAM_TRACE_LINE_MAX characters and its newline fits; a NUL byte among the bytes read is
 * told before an overlong line; an unterminated last line is a line).
 */
static TraceLine block_line(DramTrace *t, const char **s, size_t *n)
{
    const size_t most = DRAM_TRACE_LINE_MAX + 1;
    for (;;) {
        const char *p = t->blk + t->pos;
        const size_t have = t->end - t->pos;
        const size_t look = have < most ? have : most;
        const char *nl = memchr(p, '\n', look);
        if (nl != NULL || have >= most || t->blk_eof) {
            const size_t len = nl != NULL ? (size_t)(nl - p) + 1 : look;
            if (len == 0) {
                return TRACE_LINE_END;
            }
            t->line++;
            t->pos += len;
            *s = p;
            *n = len;
            const char *z = memchr(p, '\0', len);
            if (z != NULL) {
                t->nul_col = (size_t)(z - p) + 1;
                return TRACE_LINE_NUL;
            }
            return nl == NULL && len == most ? TRACE_LINE_LONG : TRACE_LINE_OK;
        }
        /* A partial line (shorter than `most`) moves to the front, and the block fills up. */
        memmove(t->blk, p, have);
        t->pos = 0;
        t->end = have;
        int got = gzread(t->f.gz, t->blk + have, (unsigned)(DRAM_TRACE_BLOCK - have));
        if (got < 0 || (got == 0 && trace_file_error(&t->f, NULL) != TRACE_FILE_OK)) {
            t->line++; /* the error is at the first line that could not be read */
            return TRACE_LINE_ERROR;
        }
        if (got == 0) {
            t->blk_eof = true;
        }
        t->end += (size_t)got;
    }
}

/* The next line in t->buf with its comment stripped; 1, 0 at the end, -1 on error. A simple
 * line of a plain trace is parsed in place instead: 2 with *rec filled. */
static int read_line(DramTrace *t, SimError *err, DramTraceRecord *rec);

/* Bytes as quick_parse() sees them: part of a field, a blank, or the end of what it reads. */
enum {
    QC_FIELD = 0,
    QC_BLANK,
    QC_STOP /* '#' (a comment: the general parser strips it) */
};
static const uint8_t quick_class[256] = {
    [' '] = QC_BLANK, ['\t'] = QC_BLANK, ['\r'] = QC_BLANK, ['\n'] = QC_BLANK, ['#'] = QC_STOP,
};

/* Hexadecimal digits' values plus one; 0 for other bytes. */
static const uint8_t quick_hexval[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The decimal number of s[0, n): true if it is 1 to 19 digits (which cannot overflow). */
static inline bool quick_dec(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* The hexadecimal number of s[0, n), 0x optional: true if it has 1 to 16 digits. */
static inline bool quick_hex(const char *s, size_t n, uint64_t *out)
{
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n == 0 || n > 16) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned d = quick_hexval[(unsigned char)s[i]];
        if (d == 0) {
            return false;
        }
        v = (v << 4) | (d - 1);
    }
    *out = v;
    return true;
}

static inline bool quick_op(const char *s, size_t n, const char *rd, const char *wr, bool *write)
{
    const size_t nr = strlen(rd);
    const size_t nw = strlen(wr);
    if (n == nr && memcmp(s, rd, n) == 0) {
        *write = false;
        return true;
    }
    if (n == nw && memcmp(s, wr, n) == 0) {
        *write = true;
        return true;
    }
    return false;
}

/* p past the spaces and tabs it points at. */
static inline const char *quick_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/*
 * A native record line ending in '\n' in one pass over its bytes, fields separated by spaces or
 * tabs: 1 with *out filled, -1 for anything else (the caller tries the general way).
 */
static int quick_native(const char *p, DramTraceRecord *out)
{
    p = quick_blanks(p);
    uint64_t v = 0;
    const char *f = p;
    while ((unsigned)(unsigned char)*p - '0' <= 9u) {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (p == f || p - f > 19 || (*p != ' ' && *p != '\t')) {
        return -1;
    }
    out->cycle = v;
    p = quick_blanks(p);
    if ((*p != 'R' && *p != 'W') || (p[1] != ' ' && p[1] != '\t')) {
        return -1;
    }
    out->write = *p == 'W';
    p = quick_blanks(p + 1);
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
    }
    v = 0;
    f = p;
    for (unsigned d; (d = quick_hexval[(unsigned char)*p]) != 0; p++) {
        v = (v << 4) | (d - 1);
    }
    if (p == f || p - f > 16) {
        return -1;
    }
    out->addr = v;
    p = quick_blanks(p);
    if ((unsigned)(unsigned char)*p - '0' <= 9u) {
        if (p[-1] != ' ' && p[-1] != '\t') {
            return -1;
        }
        v = 0;
        f = p;
        while ((unsigned)(unsigned char)*p - '0' <= 9u) {
            v = v * 10 + (uint64_t)(*p - '0');
            p++;
        }
        if (p - f > 4 || v == 0 || v > DRAM_TRACE_MAX_LEN) {
            return -1;
        }
        out->len = (uint32_t)v;
        p = quick_blanks(p);
    }
    if (*p == '\r') {
        p++;
    }
    return *p == '\n' ? 1 : -1;
}

/*
 * A line of a plain trace in one pass: 1 with *out filled if it is a record whose every field
 * is of the simple shape, 0 if it holds no field, -1 for the general parser (which accepts
 * everything accepted here, with the same values, and tells what is wrong with the rest).
 */
static int quick_parse(const DramTrace *t, const char *s, size_t n, DramTraceRecord *out)
{
    if (t->format == DRAM_TRACE_NATIVE) {
        if (!t->header_seen || s[n - 1] != '\n') {
            return -1;
        }
        return quick_native(s, out);
    }
    const char *tok[4];
    size_t len[4];
    int k = 0;
    const char *e = s + n;
    while (s < e) {
        const uint8_t c = quick_class[(unsigned char)*s];
        if (c == QC_BLANK) {
            s++;
            continue;
        }
        if (c == QC_STOP || k == 4) {
            return -1;
        }
        tok[k] = s;
        while (s < e && quick_class[(unsigned char)*s] == QC_FIELD) {
            s++;
        }
        len[k] = (size_t)(s - tok[k]);
        k++;
    }
    if (k == 0) {
        return 0;
    }
    switch (t->format) {
    case DRAM_TRACE_NATIVE:
        if (k < 3 || !quick_dec(tok[0], len[0], &out->cycle) ||
            !quick_op(tok[1], len[1], "R", "W", &out->write) ||
            !quick_hex(tok[2], len[2], &out->addr)) {
            return -1;
        }
        if (k == 4) {
            uint64_t l;
            if (len[3] > 4 || !quick_dec(tok[3], len[3], &l) || l == 0 || l > DRAM_TRACE_MAX_LEN) {
                return -1;
            }
            out->len = (uint32_t)l;
        }
        return 1;
    case DRAM_TRACE_DRAMSIM3:
        if (k < 2 || k > 3 || !quick_hex(tok[0], len[0], &out->addr) ||
            !quick_op(tok[1], len[1], "READ", "WRITE", &out->write) ||
            (k == 3 && !quick_dec(tok[2], len[2], &out->cycle))) {
            return -1;
        }
        return 1;
    case DRAM_TRACE_RAMULATOR:
        if (k != 2 || !quick_hex(tok[0], len[0], &out->addr) ||
            !quick_op(tok[1], len[1], "R", "W", &out->write)) {
            return -1;
        }
        return 1;
    default:
        return -1;
    }
}

static int read_line(DramTrace *t, SimError *err, DramTraceRecord *rec)
{
    char why[256];
    TraceLine got;
    const char *s = NULL;
    size_t n = 0;
    if (t->direct) {
        got = block_line(t, &s, &n);
    } else {
        got = trace_file_line(&t->f, t->buf, sizeof(t->buf), TRACE_CHECK_AT_END, &t->line);
    }
    switch (got) {
    case TRACE_LINE_END:
        return 0;
    case TRACE_LINE_ERROR:
        trace_file_describe(&t->f, why, sizeof(why));
        return bad(t, err, "%s", why);
    case TRACE_LINE_NUL:
        return bad(t, err, "NUL byte at column %zu: this is not a text trace",
                   t->direct ? t->nul_col : strlen(t->buf) + 1);
    case TRACE_LINE_LONG:
        return bad(t, err, "line longer than %u characters", DRAM_TRACE_LINE_MAX);
    default:
        break;
    }
    if (t->direct) {
        const int q = quick_parse(t, s, n, rec);
        if (q >= 0) {
            return q == 1 ? 2 : 1; /* an empty line in t->buf is skipped */
        }
        memcpy(t->buf, s, n);
        t->buf[n] = '\0';
    }
    char *hash = strchr(t->buf, '#');
    if (hash != NULL) {
        *hash = '\0';
    }
    return 1;
}

int dram_trace_next(DramTrace *t, DramTraceRecord *rec, SimError *err)
{
    if (t->failed) {
        sim_error_set(err, SIM_ERR_INPUT, "%s:%" PRIu64 ": trace already failed", t->f.path,
                      t->line);
        return -1;
    }
    for (;;) {
        DramTraceRecord out = {
            .addr = 0, .cycle = 0, .len = DRAM_TRACE_DEFAULT_LEN, .write = false};
        t->buf[0] = '\0';
        int r = read_line(t, err, &out);
        if (r <= 0) {
            if (r == 0 && t->format == DRAM_TRACE_NATIVE && !t->header_seen) {
                t->line++;
                return bad(t, err, "missing header line '%s'", DRAM_TRACE_HEADER);
            }
            return r;
        }
        if (r == 1) {
            char *tok[5];
            int n = trace_split(t->buf, tok, 5);
            if (n == 0) {
                continue;
            }
            const int f = parse_fields(t, err, tok, n, &out);
            if (f <= 0) {
                if (f < 0) {
                    return -1;
                }
                continue; /* the header */
            }
        }
        if (out.cycle != 0) {
            if (out.cycle < t->last_cycle) {
                return bad(t, err,
                           "cycle %" PRIu64 " is before the previous record's cycle %" PRIu64
                           " (records must be in time order)",
                           out.cycle, t->last_cycle);
            }
            t->last_cycle = out.cycle;
        }
        *rec = out;
        return 1;
    }
}

/* ---- writer ---- */

struct DramTraceWriter {
    TraceFile f;
    bool ok;
};

DramTraceWriter *dram_trace_writer_open(const char *path, bool gzip, SimError *err)
{
    DramTraceWriter *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", path);
        return NULL;
    }
    if (!trace_file_create(&w->f, path, gzip, 0, err)) {
        free(w);
        return NULL;
    }
    w->ok = gzprintf(w->f.gz, "%s\n", DRAM_TRACE_HEADER) > 0;
    return w;
}

bool dram_trace_writer_put(DramTraceWriter *w, const DramTraceRecord *rec)
{
    int n = gzprintf(w->f.gz, "%" PRIu64 " %c 0x%" PRIx64 " %u\n", rec->cycle,
                     rec->write ? 'W' : 'R', rec->addr, rec->len);
    if (n <= 0) {
        w->ok = false;
    }
    return w->ok;
}

bool dram_trace_writer_close(DramTraceWriter *w)
{
    if (w == NULL) {
        return true;
    }
    bool ok = trace_file_close(&w->f) == Z_OK && w->ok;
    trace_file_destroy(&w->f);
    free(w);
    return ok;
}
