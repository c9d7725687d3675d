/*
 * A strict recursive-descent JSON reader (json_read.h). Nesting deeper than JSON_MAX_DEPTH is
 * an error rather than a deep recursion.
 */
#include "json_read.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 256

typedef struct Reader {
    const char *p;
    const char *end;
    const char *start;
    char *why;
    size_t why_size;
    bool failed;
} Reader;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
fail(Reader *r, const char *fmt, ...)
{
    if (r->failed) {
        return;
    }
    r->failed = true;
    unsigned line = 1, col = 1;
    for (const char *q = r->start; q < r->p; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            col++;
        }
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(r->why, r->why_size, "%u:%u: %s", line, col, msg);
}

static void skip_ws(Reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) {
        r->p++;
    }
}

static JsonValue *new_value(Reader *r, JsonKind kind)
{
    JsonValue *v = calloc(1, sizeof(*v));
    if (v == NULL) {
        fail(r, "out of memory");
        return NULL;
    }
    v->kind = kind;
    return v;
}

void json_free(JsonValue *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys != NULL) {
            free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    free(v);
}

/* A growing byte buffer for a string's decoded text. */
typedef struct Buf {
    char *b;
    size_t n;
    size_t cap;
} Buf;

static bool buf_put(Buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        while (cap < b->n + n + 1) {
            cap *= 2;
        }
        char *nb = realloc(b->b, cap);
        if (nb == NULL) {
            return false;
        }
        b->b = nb;
        b->cap = cap;
    }
    memcpy(b->b + b->n, s, n);
    b->n += n;
    b->b[b->n] = '\0';
    return true;
}

static bool put_utf8(Buf *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    return buf_put(b, u, n);
}

static bool hex4(Reader *r, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (r->p >= r->end) {
            return false;
        }
        char c = *r->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (uint32_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (uint32_t)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (uint32_t)(c - 'A' + 10);
        } else {
            return false;
        }
    }
    *out = v;
    return true;
}

/* At the opening quote; the decoded text into *text (malloc'd). */
static bool parse_string(Reader *r, char **text, size_t *len)
{
    Buf b = {0};
    r->p++;
    if (!buf_put(&b, "", 0)) {
        fail(r, "out of memory");
        return false;
    }
    for (;;) {
        if (r->p >= r->end) {
            fail(r, "unterminated string");
            break;
        }
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') {
            r->p++;
            *text = b.b;
            *len = b.n;
            return true;
        }
        if (c < 0x20) {
            fail(r, "control character in a string");
            break;
        }
        if (c != '\\') {
            const char *s = r->p;
            while (r->p < r->end && *r->p != '"' && *r->p != '\\' && (unsigned char)*r->p >= 0x20) {
                r->p++;
            }
            if (!buf_put(&b, s, (size_t)(r->p - s))) {
                fail(r, "out of memory");
                break;
            }
            continue;
        }
        r->p++;
        if (r->p >= r->end) {
            fail(r, "unterminated string");
            break;
        }
        char e = *r->p++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (simple != NULL && e != '\0') {
            static const char map[] = "\"\\/\b\f\n\r\t";
            if (!buf_put(&b, &map[simple - "\"\\/bfnrt"], 1)) {
                fail(r, "out of memory");
                break;
            }
            continue;
        }
        if (e != 'u') {
            r->p--;
            fail(r, "bad escape '\\%c'", e);
            break;
        }
        uint32_t u;
        if (!hex4(r, &u)) {
            fail(r, "bad \\u escape");
            break;
        }
        if (u >= 0xD800 && u < 0xDC00) {
            uint32_t lo;
            if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u') {
                fail(r, "unpaired surrogate in a \\u escape");
                break;
            }
            r->p += 2;
            if (!hex4(r, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                fail(r, "unpaired surrogate in a \\u escape");
                break;
            }
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        } else if (u >= 0xDC00 && u < 0xE000) {
            fail(r, "unpaired surrogate in a \\u escape");
            break;
        }
        if (!put_utf8(&b, u)) {
            fail(r, "out of memory");
            break;
        }
    }
    free(b.b);
    return false;
}

static bool is_digit(const Reader *r)
{
    return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

static JsonValue *parse_number(Reader *r)
{
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-') {
        r->p++;
    }
    if (!is_digit(r)) {
        fail(r, "expected a value");
        return NULL;
    }
    if (*r->p == '0') {
        r->p++;
    } else {
        while (is_digit(r)) {
            r->p++;
        }
    }
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!is_digit(r)) {
            fail(r, "expected a digit after '.'");
            return NULL;
        }
        while (is_digit(r)) {
            r->p++;
        }
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) {
            r->p++;
        }
        if (!is_digit(r)) {
            fail(r, "expected a digit in the exponent");
            return NULL;
        }
        while (is_digit(r)) {
            r->p++;
        }
    }
    JsonValue *v = new_value(r, JSON_NUMBER);
    if (v == NULL) {
        return NULL;
    }
    v->len = (size_t)(r->p - s);
    v->text = malloc(v->len + 1);
    if (v->text == NULL) {
        free(v);
        fail(r, "out of memory");
        return NULL;
    }
    memcpy(v->text, s, v->len);
    v->text[v->len] = '\0';
    return v;
}

static bool append(Reader *r, JsonValue *v, char *key, JsonValue *item)
{
    JsonValue **items = realloc(v->items, (v->n + 1) * sizeof(*items));
    if (items == NULL) {
        fail(r, "out of memory");
        return false;
    }
    v->items = items;
    if (v->kind == JSON_OBJECT) {
        char **keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));
        if (keys == NULL) {
            fail(r, "out of memory");
            return false;
        }
        v->keys = keys;
        keys[v->n] = key;
    }
    items[v->n++] = item;
    return true;
}

static bool literal(Reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) >= n && memcmp(r->p, word, n) == 0) {
        r->p += n;
        return true;
    }
    return false;
}

static JsonValue *parse_value(Reader *r, int depth)
{
    skip_ws(r);
    if (r->p >= r->end) {
        fail(r, "expected a value, found the end");
        return NULL;
    }
    if (depth > JSON_MAX_DEPTH) {
        fail(r, "nested deeper than %d", JSON_MAX_DEPTH);
        return NULL;
    }
    char c = *r->p;
    if (c == '"') {
        JsonValue *v = new_value(r, JSON_STRING);
        if (v != NULL && !parse_string(r, &v->text, &v->len)) {
            free(v);
            return NULL;
        }
        return v;
    }
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        char close = obj ? '}' : ']';
        JsonValue *v = new_value(r, obj ? JSON_OBJECT : JSON_ARRAY);
        if (v == NULL) {
            return NULL;
        }
        r->p++;
        skip_ws(r);
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return v;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                skip_ws(r);
                size_t klen;
                if (r->p >= r->end || *r->p != '"') {
                    fail(r, "expected a member name in quotes");
                    break;
                }
                if (!parse_string(r, &key, &klen)) {
                    break;
                }
                skip_ws(r);
                if (r->p >= r->end || *r->p != ':') {
                    free(key);
                    fail(r, "expected ':'");
                    break;
                }
                r->p++;
            }
            JsonValue *item = parse_value(r, depth + 1);
            if (item == NULL || !append(r, v, key, item)) {
                free(key);
                json_free(item);
                break;
            }
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == close) {
                r->p++;
                return v;
            }
            fail(r, "expected ',' or '%c'", close);
            break;
        }
        json_free(v);
        return NULL;
    }
    if (literal(r, "null")) {
        return new_value(r, JSON_NULL);
    }
    if (literal(r, "true")) {
        return new_value(r, JSON_TRUE);
    }
    if (literal(r, "false")) {
        return new_value(r, JSON_FALSE);
    }
    return parse_number(r);
}

JsonValue *json_parse(const char *buf, size_t len, char *why, size_t why_size)
{
    Reader r = {buf, buf + len, buf, why, why_size, false};
    JsonValue *v = parse_value(&r, 0);
    if (v != NULL) {
        skip_ws(&r);
        if (r.p != r.end) {
            fail(&r, "text after the JSON value");
            json_free(v);
            return NULL;
        }
    }
    return v;
}

const JsonValue *json_get(const JsonValue *v, const char *key)
{
    if (v == NULL || v->kind != JSON_OBJECT) {
        return NULL;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->keys[i], key) == 0) {
            return v->items[i];
        }
    }
    return NULL;
}
