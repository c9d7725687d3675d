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

struct DramTrace {
    TraceFile f;
    DramTraceFormat format;
    uint64_t line;
    uint64_t last_cycle;
    bool header_seen;
    bool failed;
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
    return t;
}

void dram_trace_close(DramTrace *t)
{
    if (t == NULL) {
        return;
    }
    trace_file_destroy(&t->f);
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

/* The next line with its comment stripped; 1, 0 at the end, -1 on error. */
static int read_line(DramTrace *t, SimError *err)
{
    char why[256];
    switch (trace_file_line(&t->f, t->buf, sizeof(t->buf), TRACE_CHECK_AT_END, &t->line)) {
    case TRACE_LINE_END:
        return 0;
    case TRACE_LINE_ERROR:
        trace_file_describe(&t->f, why, sizeof(why));
        return bad(t, err, "%s", why);
    case TRACE_LINE_NUL:
        return bad(t, err, "NUL byte at column %zu: this is not a text trace", strlen(t->buf) + 1);
    case TRACE_LINE_LONG:
        return bad(t, err, "line longer than %u characters", DRAM_TRACE_LINE_MAX);
    default:
        break;
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
        int r = read_line(t, err);
        if (r <= 0) {
            if (r == 0 && t->format == DRAM_TRACE_NATIVE && !t->header_seen) {
                t->line++;
                return bad(t, err, "missing header line '%s'", DRAM_TRACE_HEADER);
            }
            return r;
        }
        char *tok[5];
        int n = trace_split(t->buf, tok, 5);
        if (n == 0) {
            continue;
        }
        DramTraceRecord out = {
            .addr = 0, .cycle = 0, .len = DRAM_TRACE_DEFAULT_LEN, .write = false};
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
                continue;
            }
            if (n < 3 || n > 4) {
                return bad(t, err, "expected 'CYCLE R|W ADDRESS [LEN]', found %d fields", n);
            }
            if (parse_dec(t, err, tok[0], "cycle", &out.cycle) < 0 ||
                parse_op(t, err, tok[1], "R", "W", &out.write) < 0 ||
                parse_hex(t, err, tok[2], &out.addr) < 0) {
                return -1;
            }
            if (n == 4) {
                uint64_t len;
                if (parse_dec(t, err, tok[3], "length", &len) < 0) {
                    return -1;
                }
                if (len == 0 || len > DRAM_TRACE_MAX_LEN) {
                    return bad(t, err, "length %" PRIu64 " is outside 1..%u", len,
                               DRAM_TRACE_MAX_LEN);
                }
                out.len = (uint32_t)len;
            }
            break;
        case DRAM_TRACE_DRAMSIM3:
            if (n < 2 || n > 3) {
                return bad(t, err, "expected 'ADDRESS READ|WRITE [CYCLE]', found %d fields", n);
            }
            if (parse_hex(t, err, tok[0], &out.addr) < 0 ||
                parse_op(t, err, tok[1], "READ", "WRITE", &out.write) < 0) {
                return -1;
            }
            if (n == 3 && parse_dec(t, err, tok[2], "cycle", &out.cycle) < 0) {
                return -1;
            }
            break;
        case DRAM_TRACE_RAMULATOR:
            if (n != 2) {
                return bad(t, err, "expected 'ADDRESS R|W', found %d fields", n);
            }
            if (parse_hex(t, err, tok[0], &out.addr) < 0 ||
                parse_op(t, err, tok[1], "R", "W", &out.write) < 0) {
                return -1;
            }
            break;
        case DRAM_TRACE_FORMAT_MAX:
            return bad(t, err, "unknown trace format");
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
