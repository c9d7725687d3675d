/*
 * membox-sim compare BASE NEW: the regression check of two `--stats` files (docs/stats.md,
 * "Comparing runs"). Only the `stats` sections are compared, key by key; `run`, `host` and
 * `meta` (wall time, host name, version) are ignored. A key's relative change is
 * |new - base| / |base| in percent (0 when both are equal, unbounded when base is 0 and new is
 * not); it is within tolerance when it is at most the percentage of the last tolerance rule
 * whose glob matches the key (rules from --tolerances FILE first, then --tolerance flags in
 * order; no rule: 0, exact). A key present in one file only is beyond tolerance.
 *
 * The reader is a strict JSON parser (RFC 8259) that reports the first error as
 * FILE:LINE:COLUMN; files may be gzip-compressed (the golden files are).
 */
#include "cmd_compare.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
    CMP_EXIT_SAME = 0,
    CMP_EXIT_DIFFERENT = 1,
    CMP_EXIT_INPUT = 2
};

const char cmd_compare_help[] =
    "usage: membox-sim compare BASE.json NEW.json [--tolerance GLOB=PCT ...]\n"
    "                          [--tolerances FILE] [--all]\n"
    "\n"
    "Compare the statistics of two runs (`run --stats` files, plain or gzip): every key of\n"
    "their `stats` sections, its relative change |new - base| / |base| in percent, and the keys\n"
    "found in one file only. The report lists the keys that changed, largest change first,\n"
    "then a count. The run, host and meta sections (wall time, host, version) are ignored.\n"
    "\n"
    "options:\n"
    "  --tolerance GLOB=PCT  keys matching GLOB (shell pattern, e.g. '*.p99=2' or\n"
    "                        'mb0.ddr3.*=0.5%') may change by up to PCT percent (repeatable)\n"
    "  --tolerances FILE     tolerance rules from FILE: one 'GLOB PCT' per line, '#' starts a\n"
    "                        comment (docs/stats.md, \"Comparing runs\")\n"
    "  --all                 list unchanged keys too\n"
    "\n"
    "The last rule that matches a key decides (FILE's rules first, then the flags); a key no\n"
    "rule matches must be equal (0 %). A key in one file only is beyond tolerance.\n"
    "\n"
    "exit codes: 0 every key within tolerance; 1 some key beyond it; 2 bad input or usage\n"
    "            (the message names the file, line and column, or the flag)\n";

/* ---- reading a file whole, plain or gzip ---- */

static char *cmp_read_file(const char *path, size_t *len)
{
    gzFile g = gzopen(path, "rb");
    if (g == NULL) {
        fprintf(stderr, "%s: cannot read: %s\n", path,
                errno != 0 ? strerror(errno) : "out of memory");
        return NULL;
    }
    size_t cap = 65536;
    size_t n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (buf == NULL) {
            gzclose(g);
            fprintf(stderr, "%s: out of memory\n", path);
            return NULL;
        }
        if (n == cap) {
            cap *= 2;
            char *more = realloc(buf, cap + 1);
            if (more == NULL) {
                free(buf);
            }
            buf = more;
            continue;
        }
        int r = gzread(g, buf + n, (unsigned)(cap - n > 1u << 30 ? 1u << 30 : cap - n));
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(g, &zerr);
            fprintf(stderr, "%s: cannot read: %s\n", path, zerr == Z_ERRNO ? strerror(errno) : msg);
            free(buf);
            gzclose(g);
            return NULL;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    gzclose(g);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- a strict JSON reader that keeps the `stats` object ---- */

typedef struct CmpValue {
    char *key;
    bool is_null;
    long double num;
    char *text; /* the number as written */
} CmpValue;

typedef struct CmpDoc {
    CmpValue *v;
    size_t n;
    size_t cap;
    bool has_stats;
} CmpDoc;

typedef struct JsonIn {
    const char *path;
    const char *s;
    size_t len;
    size_t pos;
    unsigned line;
    unsigned col;
    bool failed;
    int depth;
} JsonIn;

#define JSON_MAX_DEPTH 64

__attribute__((format(printf, 2, 3))) static void json_fail(JsonIn *in, const char *fmt, ...)
{
    if (in->failed) {
        return;
    }
    in->failed = true;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%u:%u: bad JSON: ", in->path, in->line, in->col);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static int json_peek(const JsonIn *in)
{
    return in->pos < in->len ? (unsigned char)in->s[in->pos] : -1;
}

static void json_advance(JsonIn *in)
{
    if (in->pos >= in->len) {
        return;
    }
    if (in->s[in->pos] == '\n') {
        in->line++;
        in->col = 1;
    } else if (((unsigned char)in->s[in->pos] & 0xc0) != 0x80) {
        in->col++; /* columns count characters, not UTF-8 continuation bytes */
    }
    in->pos++;
}

static void json_ws(JsonIn *in)
{
    for (;;) {
        int c = json_peek(in);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return;
        }
        json_advance(in);
    }
}

static const char *json_what(const JsonIn *in)
{
    return in->pos >= in->len ? "the end of the file" : "this character";
}

static bool json_expect(JsonIn *in, char c)
{
    if (json_peek(in) != (unsigned char)c) {
        json_fail(in, "expected '%c', found %s", c, json_what(in));
        return false;
    }
    json_advance(in);
    return true;
}

/* A string; its text (escapes kept undecoded except \" and \\, enough for keys) if out != NULL. */
static bool json_string(JsonIn *in, char **out)
{
    if (!json_expect(in, '"')) {
        return false;
    }
    size_t start = in->pos;
    for (;;) {
        int c = json_peek(in);
        if (c < 0) {
            json_fail(in, "unterminated string");
            return false;
        }
        if (c < 0x20) {
            json_fail(in, "control character in a string");
            return false;
        }
        if (c == '"') {
            break;
        }
        if (c == '\\') {
            json_advance(in);
            c = json_peek(in);
            if (c < 0 || strchr("\"\\/bfnrtu", c) == NULL) {
                json_fail(in, "bad escape in a string");
                return false;
            }
            if (c == 'u') {
                for (int i = 0; i < 4; i++) {
                    json_advance(in);
                    int h = json_peek(in);
                    if (h < 0 || strchr("0123456789abcdefABCDEF", h) == NULL) {
                        json_fail(in, "bad \\u escape in a string");
                        return false;
                    }
                }
            }
        }
        json_advance(in);
    }
    size_t end = in->pos;
    json_advance(in);
    if (out != NULL) {
        char *t = malloc(end - start + 1);
        if (t == NULL) {
            json_fail(in, "out of memory");
            return false;
        }
        size_t k = 0;
        for (size_t i = start; i < end; i++) {
            if (in->s[i] == '\\' && (in->s[i + 1] == '"' || in->s[i + 1] == '\\')) {
                i++;
            }
            t[k++] = in->s[i];
        }
        t[k] = '\0';
        *out = t;
    }
    return true;
}

static bool json_digits(JsonIn *in)
{
    int c = json_peek(in);
    if (c < '0' || c > '9') {
        json_fail(in, "expected a digit, found %s", json_what(in));
        return false;
    }
    while ((c = json_peek(in)) >= '0' && c <= '9') {
        json_advance(in);
    }
    return true;
}

/* A number, checked against the JSON grammar; [*start, in->pos) is its text. */
static bool json_number(JsonIn *in, size_t *start)
{
    *start = in->pos;
    if (json_peek(in) == '-') {
        json_advance(in);
    }
    if (json_peek(in) == '0') {
        json_advance(in);
    } else if (!json_digits(in)) {
        return false;
    }
    if (json_peek(in) == '.') {
        json_advance(in);
        if (!json_digits(in)) {
            return false;
        }
    }
    if (json_peek(in) == 'e' || json_peek(in) == 'E') {
        json_advance(in);
        if (json_peek(in) == '+' || json_peek(in) == '-') {
            json_advance(in);
        }
        if (!json_digits(in)) {
            return false;
        }
    }
    return true;
}

static bool json_word(JsonIn *in, const char *w)
{
    for (const char *p = w; *p != '\0'; p++) {
        if (json_peek(in) != (unsigned char)*p) {
            json_fail(in, "expected a value, found %s", json_what(in));
            return false;
        }
        json_advance(in);
    }
    return true;
}

static bool json_value(JsonIn *in, CmpDoc *doc, bool top);

static bool cmp_doc_add(JsonIn *in, CmpDoc *doc, CmpValue v)
{
    if (doc->n == doc->cap) {
        size_t cap = doc->cap != 0 ? doc->cap * 2 : 1024;
        CmpValue *more = realloc(doc->v, cap * sizeof(*more));
        if (more == NULL) {
            json_fail(in, "out of memory");
            return false;
        }
        doc->v = more;
        doc->cap = cap;
    }
    doc->v[doc->n++] = v;
    return true;
}

/* The `stats` object: keys to numbers or null. */
static bool json_stats(JsonIn *in, CmpDoc *doc)
{
    if (!json_expect(in, '{')) {
        return false;
    }
    doc->has_stats = true;
    json_ws(in);
    if (json_peek(in) == '}') {
        json_advance(in);
        return true;
    }
    for (;;) {
        json_ws(in);
        CmpValue v = {0};
        if (!json_string(in, &v.key)) {
            return false;
        }
        json_ws(in);
        if (!json_expect(in, ':')) {
            free(v.key);
            return false;
        }
        json_ws(in);
        int c = json_peek(in);
        if (c == 'n') {
            v.is_null = true;
            if (!json_word(in, "null")) {
                free(v.key);
                return false;
            }
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start;
            if (!json_number(in, &start)) {
                free(v.key);
                return false;
            }
            size_t n = in->pos - start;
            v.text = malloc(n + 1);
            if (v.text == NULL) {
                free(v.key);
                json_fail(in, "out of memory");
                return false;
            }
            memcpy(v.text, in->s + start, n);
            v.text[n] = '\0';
            v.num = strtold(v.text, NULL);
        } else {
            json_fail(in, "statistic '%s': expected a number or null", v.key);
            free(v.key);
            return false;
        }
        if (!cmp_doc_add(in, doc, v)) {
            free(v.key);
            free(v.text);
            return false;
        }
        json_ws(in);
        if (json_peek(in) == ',') {
            json_advance(in);
            continue;
        }
        return json_expect(in, '}');
    }
}

static bool json_object(JsonIn *in, CmpDoc *doc, bool top)
{
    if (!json_expect(in, '{')) {
        return false;
    }
    json_ws(in);
    if (json_peek(in) == '}') {
        json_advance(in);
        return true;
    }
    for (;;) {
        json_ws(in);
        char *key = NULL;
        if (!json_string(in, top ? &key : NULL)) {
            return false;
        }
        json_ws(in);
        if (!json_expect(in, ':')) {
            free(key);
            return false;
        }
        json_ws(in);
        bool ok;
        if (top && strcmp(key, "stats") == 0) {
            if (doc->has_stats) {
                json_fail(in, "a second \"stats\" object");
                ok = false;
            } else {
                ok = json_stats(in, doc);
            }
        } else {
            ok = json_value(in, doc, false);
        }
        free(key);
        if (!ok) {
            return false;
        }
        json_ws(in);
        if (json_peek(in) == ',') {
            json_advance(in);
            continue;
        }
        return json_expect(in, '}');
    }
}

static bool json_array(JsonIn *in, CmpDoc *doc)
{
    if (!json_expect(in, '[')) {
        return false;
    }
    json_ws(in);
    if (json_peek(in) == ']') {
        json_advance(in);
        return true;
    }
    for (;;) {
        json_ws(in);
        if (!json_value(in, doc, false)) {
            return false;
        }
        json_ws(in);
        if (json_peek(in) == ',') {
            json_advance(in);
            continue;
        }
        return json_expect(in, ']');
    }
}

static bool json_value(JsonIn *in, CmpDoc *doc, bool top)
{
    if (++in->depth > JSON_MAX_DEPTH) {
        json_fail(in, "nested deeper than %d levels", JSON_MAX_DEPTH);
        return false;
    }
    bool ok;
    int c = json_peek(in);
    size_t start;
    if (c == '{') {
        ok = json_object(in, doc, top);
    } else if (top) {
        json_fail(in, "expected '{' (a membox-sim --stats file), found %s", json_what(in));
        ok = false;
    } else if (c == '[') {
        ok = json_array(in, doc);
    } else if (c == '"') {
        ok = json_string(in, NULL);
    } else if (c == 't') {
        ok = json_word(in, "true");
    } else if (c == 'f') {
        ok = json_word(in, "false");
    } else if (c == 'n') {
        ok = json_word(in, "null");
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        ok = json_number(in, &start);
    } else {
        json_fail(in, "expected a value, found %s", json_what(in));
        ok = false;
    }
    in->depth--;
    return ok;
}

static void cmp_doc_free(CmpDoc *doc)
{
    for (size_t i = 0; i < doc->n; i++) {
        free(doc->v[i].key);
        free(doc->v[i].text);
    }
    free(doc->v);
}

static int cmp_key_order(const void *a, const void *b)
{
    return strcmp(((const CmpValue *)a)->key, ((const CmpValue *)b)->key);
}

/* Reads a --stats file; false after a message naming the file (and line and column). */
static bool cmp_load(const char *path, CmpDoc *doc)
{
    memset(doc, 0, sizeof(*doc));
    size_t len;
    char *text = cmp_read_file(path, &len);
    if (text == NULL) {
        return false;
    }
    JsonIn in = {.path = path, .s = text, .len = len, .line = 1, .col = 1};
    json_ws(&in);
    bool ok = json_value(&in, doc, true);
    if (ok) {
        json_ws(&in);
        if (in.pos < in.len) {
            json_fail(&in, "text after the end of the document");
            ok = false;
        }
    }
    free(text);
    if (ok && !doc->has_stats) {
        fprintf(stderr, "%s: no \"stats\" object: not a membox-sim --stats file\n", path);
        ok = false;
    }
    if (ok) {
        qsort(doc->v, doc->n, sizeof(*doc->v), cmp_key_order);
        for (size_t i = 1; i < doc->n; i++) {
            if (strcmp(doc->v[i - 1].key, doc->v[i].key) == 0) {
                fprintf(stderr, "%s: statistic '%s' appears twice\n", path, doc->v[i].key);
                ok = false;
                break;
            }
        }
    }
    if (!ok) {
        cmp_doc_free(doc);
    }
    return ok;
}

/* ---- tolerance rules ---- */

typedef struct CmpRule {
    char *glob;
    double pct;
} CmpRule;

typedef struct CmpRules {
    CmpRule *r;
    size_t n;
    size_t cap;
} CmpRules;

/* "2", "0.5", "2%": a finite percentage >= 0; false otherwise. */
static bool cmp_parse_pct(const char *s, double *pct)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(v) || v < 0.0) {
        return false;
    }
    if (*end == '%') {
        end++;
    }
    if (*end != '\0') {
        return false;
    }
    *pct = v;
    return true;
}

static bool cmp_rules_add(CmpRules *rules, const char *glob, size_t glob_len, double pct)
{
    if (rules->n == rules->cap) {
        size_t cap = rules->cap != 0 ? rules->cap * 2 : 16;
        CmpRule *more = realloc(rules->r, cap * sizeof(*more));
        if (more == NULL) {
            return false;
        }
        rules->r = more;
        rules->cap = cap;
    }
    char *g = malloc(glob_len + 1);
    if (g == NULL) {
        return false;
    }
    memcpy(g, glob, glob_len);
    g[glob_len] = '\0';
    rules->r[rules->n++] = (CmpRule){g, pct};
    return true;
}

static void cmp_rules_free(CmpRules *rules)
{
    for (size_t i = 0; i < rules->n; i++) {
        free(rules->r[i].glob);
    }
    free(rules->r);
}

/*
 * A tolerance file: per line, a glob and a percentage separated by blanks; '#' to the end of
 * the line is a comment; blank lines are skipped.
 */
static bool cmp_load_rules(const char *path, CmpRules *rules)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        return false;
    }
    char line[4096];
    unsigned lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f)) {
            fprintf(stderr, "%s:%u:1: the line is longer than %zu characters\n", path, lineno,
                    sizeof(line) - 2);
            ok = false;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL) {
            *hash = '\0';
        }
        char *p = line;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        char *end = p + strcspn(p, "\r\n");
        *end = '\0';
        if (*p == '\0') {
            continue;
        }
        char *glob = p;
        size_t glob_len = strcspn(p, " \t");
        char *q = p + glob_len;
        while (*q == ' ' || *q == '\t') {
            q++;
        }
        unsigned col = (unsigned)(q - line) + 1;
        char *pct_text = q;
        size_t pct_len = strcspn(q, " \t");
        char *rest = q + pct_len;
        while (*rest == ' ' || *rest == '\t') {
            rest++;
        }
        if (pct_len == 0) {
            fprintf(stderr, "%s:%u:%u: expected 'GLOB PCT' (a percentage after the glob)\n", path,
                    lineno, col);
            ok = false;
            break;
        }
        if (*rest != '\0') {
            fprintf(stderr, "%s:%u:%u: unexpected text after the percentage: '%s'\n", path, lineno,
                    (unsigned)(rest - line) + 1, rest);
            ok = false;
            break;
        }
        pct_text[pct_len] = '\0';
        double pct;
        if (!cmp_parse_pct(pct_text, &pct)) {
            fprintf(stderr, "%s:%u:%u: '%s' is not a percentage (a number >= 0, e.g. 0.5 or 2%%)\n",
                    path, lineno, col, pct_text);
            ok = false;
            break;
        }
        if (!cmp_rules_add(rules, glob, glob_len, pct)) {
            fprintf(stderr, "%s: out of memory\n", path);
            ok = false;
        }
    }
    if (ok && ferror(f)) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        ok = false;
    }
    fclose(f);
    return ok;
}

static double cmp_tolerance(const CmpRules *rules, const char *key)
{
    for (size_t i = rules->n; i-- > 0;) {
        if (fnmatch(rules->r[i].glob, key, 0) == 0) {
            return rules->r[i].pct;
        }
    }
    return 0.0;
}

/* ---- the comparison ---- */

typedef enum CmpKind {
    CMP_SAME = 0,
    CMP_WITHIN,
    CMP_BEYOND,
    CMP_ONLY_BASE,
    CMP_ONLY_NEW
} CmpKind;

typedef struct CmpRow {
    const char *key;
    const CmpValue *base;
    const CmpValue *now;
    double change; /* percent; INFINITY for a change from 0 or to/from null */
    double tol;
    CmpKind kind;
} CmpRow;

static double cmp_change(const CmpValue *a, const CmpValue *b)
{
    if (a->is_null || b->is_null) {
        return a->is_null && b->is_null ? 0.0 : INFINITY;
    }
    if (a->num == b->num) {
        return 0.0;
    }
    if (a->num == 0.0L) {
        return INFINITY;
    }
    return (double)(fabsl(b->num - a->num) / fabsl(a->num) * 100.0L);
}

/* Largest change first; keys in one file only before all; then by key. */
static int cmp_row_order(const void *x, const void *y)
{
    const CmpRow *a = x;
    const CmpRow *b = y;
    bool ma = a->kind == CMP_ONLY_BASE || a->kind == CMP_ONLY_NEW;
    bool mb = b->kind == CMP_ONLY_BASE || b->kind == CMP_ONLY_NEW;
    if (ma != mb) {
        return ma ? -1 : 1;
    }
    if (a->change != b->change) {
        return a->change > b->change ? -1 : 1;
    }
    return strcmp(a->key, b->key);
}

static const char *cmp_text(const CmpValue *v)
{
    return v == NULL ? "-" : v->is_null ? "null" : v->text;
}

static void cmp_fmt_change(char *buf, size_t n, const CmpRow *r)
{
    if (r->kind == CMP_ONLY_BASE) {
        snprintf(buf, n, "only in BASE");
    } else if (r->kind == CMP_ONLY_NEW) {
        snprintf(buf, n, "only in NEW");
    } else if (isinf(r->change)) {
        snprintf(buf, n, "new (base 0)");
        if (r->base->is_null || r->now->is_null) {
            snprintf(buf, n, "null changed");
        }
    } else {
        double signed_change = r->now->num >= r->base->num ? r->change : -r->change;
        snprintf(buf, n, "%+.4g%%", signed_change);
    }
}

static int cmp_report(const char *base_path, const CmpDoc *a, const char *new_path, const CmpDoc *b,
                      const CmpRules *rules, bool all)
{
    CmpRow *rows = malloc((a->n + b->n + 1) * sizeof(*rows));
    if (rows == NULL) {
        fprintf(stderr, "membox-sim: out of memory\n");
        return CMP_EXIT_INPUT;
    }
    size_t n = 0;
    size_t i = 0;
    size_t j = 0;
    size_t counts[CMP_ONLY_NEW + 1] = {0};
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].key, b->v[j].key);
        CmpRow r = {0};
        if (c < 0) {
            r = (CmpRow){a->v[i].key, &a->v[i], NULL, INFINITY, 0.0, CMP_ONLY_BASE};
            i++;
        } else if (c > 0) {
            r = (CmpRow){b->v[j].key, NULL, &b->v[j], INFINITY, 0.0, CMP_ONLY_NEW};
            j++;
        } else {
            r.key = a->v[i].key;
            r.base = &a->v[i];
            r.now = &b->v[j];
            r.change = cmp_change(r.base, r.now);
            r.tol = cmp_tolerance(rules, r.key);
            r.kind = r.change == 0.0 ? CMP_SAME : r.change <= r.tol ? CMP_WITHIN : CMP_BEYOND;
            i++;
            j++;
        }
        counts[r.kind]++;
        rows[n++] = r;
    }
    qsort(rows, n, sizeof(*rows), cmp_row_order);

    size_t width = 3;
    size_t vw = 4;
    for (size_t k = 0; k < n; k++) {
        if (rows[k].kind == CMP_SAME && !all) {
            continue;
        }
        size_t l = strlen(rows[k].key);
        width = l > width && l <= 70 ? l : width;
        size_t lb = strlen(cmp_text(rows[k].base));
        size_t ln = strlen(cmp_text(rows[k].now));
        vw = lb > vw && lb <= 24 ? lb : vw;
        vw = ln > vw && ln <= 24 ? ln : vw;
    }
    printf("base  %s\nnew   %s\n\n", base_path, new_path);
    bool header = false;
    for (size_t k = 0; k < n; k++) {
        const CmpRow *r = &rows[k];
        if (r->kind == CMP_SAME && !all) {
            continue;
        }
        if (!header) {
            printf("%-*s  %*s  %*s  %14s  %s\n", (int)width, "key", (int)vw, "base", (int)vw, "new",
                   "change", "tolerance");
            header = true;
        }
        char change[32];
        cmp_fmt_change(change, sizeof(change), r);
        char tol[32] = "-";
        if (r->kind != CMP_ONLY_BASE && r->kind != CMP_ONLY_NEW) {
            snprintf(tol, sizeof(tol), "%g%%", r->tol);
        }
        const char *verdict =
            r->kind == CMP_BEYOND || r->kind == CMP_ONLY_BASE || r->kind == CMP_ONLY_NEW
                ? "  BEYOND"
                : "";
        printf("%-*s  %*s  %*s  %14s  %s%s\n", (int)width, r->key, (int)vw, cmp_text(r->base),
               (int)vw, cmp_text(r->now), change, tol, verdict);
    }
    if (header) {
        printf("\n");
    }
    size_t beyond = counts[CMP_BEYOND] + counts[CMP_ONLY_BASE] + counts[CMP_ONLY_NEW];
    printf("%zu keys compared: %zu equal, %zu within tolerance, %zu beyond; %zu only in BASE, "
           "%zu only in NEW\n",
           counts[CMP_SAME] + counts[CMP_WITHIN] + counts[CMP_BEYOND], counts[CMP_SAME],
           counts[CMP_WITHIN], counts[CMP_BEYOND], counts[CMP_ONLY_BASE], counts[CMP_ONLY_NEW]);
    printf("%s\n", beyond == 0 ? "result: within tolerance" : "result: BEYOND tolerance");
    free(rows);
    fflush(stdout);
    return beyond == 0 ? CMP_EXIT_SAME : CMP_EXIT_DIFFERENT;
}

__attribute__((format(printf, 1, 2))) static int cmp_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "membox-sim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; see 'membox-sim compare --help'\n");
    va_end(ap);
    return CMP_EXIT_INPUT;
}

int cmd_compare(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL};
    size_t n_files = 0;
    const char *rules_file = NULL;
    bool all = false;
    /* The flags' rules, applied after the file's: kept as given until the file is read. */
    const char **flag_rules = calloc((size_t)argc + 1, sizeof(*flag_rules));
    size_t n_flag_rules = 0;
    if (flag_rules == NULL) {
        fprintf(stderr, "membox-sim: out of memory\n");
        return CMP_EXIT_INPUT;
    }
    int rc = CMP_EXIT_INPUT;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(cmd_compare_help, stdout);
            free(flag_rules);
            return CMP_EXIT_SAME;
        }
        if (strcmp(arg, "--tolerance") == 0 || strcmp(arg, "--tolerances") == 0) {
            if (i + 1 >= argc) {
                rc = cmp_usage("option '%s' needs a value", arg);
                goto out_args;
            }
            if (strcmp(arg, "--tolerances") == 0) {
                if (rules_file != NULL) {
                    rc =
                        cmp_usage("--tolerances given twice ('%s', '%s')", rules_file, argv[i + 1]);
                    goto out_args;
                }
                rules_file = argv[++i];
            } else {
                flag_rules[n_flag_rules++] = argv[++i];
            }
        } else if (strcmp(arg, "--all") == 0) {
            all = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            rc = cmp_usage("unknown option '%s' for 'compare'", arg);
            goto out_args;
        } else if (n_files == 2) {
            rc = cmp_usage("'compare' takes two files, BASE and NEW; got also '%s'", arg);
            goto out_args;
        } else {
            files[n_files++] = arg;
        }
    }
    if (n_files != 2) {
        rc = cmp_usage("'compare' needs two --stats files, BASE and NEW");
        goto out_args;
    }

    CmpRules rules = {0};
    if (rules_file != NULL && !cmp_load_rules(rules_file, &rules)) {
        goto out_rules;
    }
    for (size_t k = 0; k < n_flag_rules; k++) {
        const char *t = flag_rules[k];
        const char *eq = strrchr(t, '=');
        double pct;
        if (eq == NULL || eq == t || !cmp_parse_pct(eq + 1, &pct)) {
            rc = cmp_usage("--tolerance '%s': expected GLOB=PCT, PCT a number >= 0 (e.g. "
                           "'*.p99=2')",
                           t);
            goto out_rules;
        }
        if (!cmp_rules_add(&rules, t, (size_t)(eq - t), pct)) {
            fprintf(stderr, "membox-sim: out of memory\n");
            goto out_rules;
        }
    }
    CmpDoc a;
    CmpDoc b;
    if (!cmp_load(files[0], &a)) {
        goto out_rules;
    }
    if (!cmp_load(files[1], &b)) {
        cmp_doc_free(&a);
        goto out_rules;
    }
    rc = cmp_report(files[0], &a, files[1], &b, &rules, all);
    cmp_doc_free(&a);
    cmp_doc_free(&b);
out_rules:
    cmp_rules_free(&rules);
out_args:
    free(flag_rules);
    return rc;
}
