/*
 * YAML events -> CfgNode tree (see yaml_tree.h).
 *
 * libyaml counts lines and columns from 0 and columns in characters; messages print both plus
 * one. Before libyaml sees the text, one pass rejects NUL bytes and invalid UTF-8 at their
 * position, so that a binary file gets a clear message instead of whatever token libyaml trips
 * over first.
 */
#include "yaml_tree.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Deeper nesting than any topology needs; it also bounds the recursion below. */
#define TREE_MAX_DEPTH 64

typedef struct Reader {
    const char *file;
    const unsigned char *buf;
    size_t len;
    yaml_parser_t parser;
    SimError *err;
} Reader;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static bool
tree_error(Reader *r, size_t line, size_t col, const char *fmt, ...)
{
    char msg[SIM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sim_error_set(r->err, SIM_ERR_INPUT, "%s:%zu:%zu: %s", r->file, line, col, msg);
}

static bool has_bom(const Reader *r)
{
    return r->len >= 3 && r->buf[0] == 0xEF && r->buf[1] == 0xBB && r->buf[2] == 0xBF;
}

/* Length of the UTF-8 sequence at p (1..4), or 0 if it is not valid UTF-8. */
static size_t utf8_length(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return n;
}

/*
 * Walks the text like libyaml counts positions: a line break is "\n", "\r\n" or a lone "\r";
 * a column is one character. Stops at the byte offset `stop`, or at line/col (1-based) when
 * stop is SIZE_MAX, and reports the position and the offset reached.
 */
typedef struct TextPos {
    size_t offset;
    size_t line;
    size_t col;
} TextPos;

static TextPos walk_text(const Reader *r, size_t stop, size_t line, size_t col)
{
    TextPos pos = {has_bom(r) ? 3 : 0, 1, 1};
    while (pos.offset < r->len) {
        if (stop != SIZE_MAX ? pos.offset >= stop : (pos.line == line && pos.col == col)) {
            break;
        }
        const unsigned char *p = r->buf + pos.offset;
        size_t n = utf8_length(p, r->len - pos.offset);
        if (n == 0) {
            break;
        }
        if (*p == '\n' || (*p == '\r' && (pos.offset + 1 >= r->len || p[1] != '\n'))) {
            if (stop == SIZE_MAX && pos.line == line) {
                break; /* the column is past the end of the line */
            }
            pos.line++;
            pos.col = 1;
        } else if (*p != '\r') {
            pos.col++;
        }
        pos.offset += n;
    }
    return pos;
}

static bool check_text(Reader *r)
{
    size_t line = 1, col = 1;
    size_t i = has_bom(r) ? 3 : 0;
    while (i < r->len) {
        const unsigned char *p = r->buf + i;
        if (*p == 0) {
            return tree_error(r, line, col,
                              "NUL byte: this is not a text file (a topology is UTF-8 YAML)");
        }
        size_t n = utf8_length(p, r->len - i);
        if (n == 0) {
            return tree_error(r, line, col,
                              "invalid UTF-8 (byte 0x%02X): a topology must be UTF-8 text", *p);
        }
        if (*p == '\n' || (*p == '\r' && (i + 1 >= r->len || p[1] != '\n'))) {
            line++;
            col = 1;
        } else if (*p != '\r') {
            col++;
        }
        i += n;
    }
    return true;
}

/*
 * The line of the first byte-order mark that starts a line before offset stop, other than
 * the one that may open the file; 0 if there is none. libyaml skips such a mark but counts it
 * as a column, so the line's indentation looks one deeper than it is, and the error it then
 * reports says nothing about the mark. YAML allows a mark only at the start of the stream and
 * of a document prefix (before "---" or comments after "..."); where it is harmless, libyaml
 * takes it and so do we: this is asked only once libyaml has failed.
 */
static size_t inner_bom_line(const Reader *r, size_t stop)
{
    size_t line = 1;
    bool line_start = true;
    for (size_t i = has_bom(r) ? 3 : 0; i < r->len && i < stop;) {
        const unsigned char *p = r->buf + i;
        size_t n = utf8_length(p, r->len - i);
        if (n == 0) {
            return 0;
        }
        if (line_start && n == 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
            return line;
        }
        line_start = *p == '\n' || (*p == '\r' && (i + 1 >= r->len || p[1] != '\n'));
        if (line_start) {
            line++;
        }
        i += n;
    }
    return 0;
}

static bool parser_error(Reader *r)
{
    const yaml_parser_t *p = &r->parser;
    const char *problem = p->problem != NULL ? p->problem : "unknown error";
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return tree_error(r, 1, 1, "out of memory while reading YAML");
    case YAML_READER_ERROR: {
        /* Reader errors carry a byte offset instead of a mark. */
        TextPos pos = walk_text(r, p->problem_offset, 0, 0);
        if (p->problem_value >= 0) {
            return tree_error(r, pos.line, pos.col, "%s (character 0x%02X)", problem,
                              (unsigned)p->problem_value);
        }
        return tree_error(r, pos.line, pos.col, "%s", problem);
    }
    default:
        break;
    }
    size_t line = p->problem_mark.line + 1;
    size_t col = p->problem_mark.column + 1;
    TextPos at = walk_text(r, SIZE_MAX, line, col);
    size_t bom_line = inner_bom_line(r, at.offset + 1);
    if (bom_line != 0) {
        return tree_error(r, bom_line, 1,
                          "byte-order mark (U+FEFF) at the start of a line: YAML allows one only "
                          "at the start of the file (were files joined together?)");
    }
    bool tab = strstr(problem, "tab") != NULL || (at.line == line && at.col == col &&
                                                  at.offset < r->len && r->buf[at.offset] == '\t');
    if (tab) {
        return tree_error(r, line, col, "tabs are not allowed for indentation: use spaces");
    }
    if (p->context != NULL) {
        return tree_error(r, line, col, "YAML syntax error: %s (%s at line %zu, column %zu)",
                          problem, p->context, (size_t)p->context_mark.line + 1,
                          (size_t)p->context_mark.column + 1);
    }
    return tree_error(r, line, col, "YAML syntax error: %s", problem);
}

static bool next_event(Reader *r, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&r->parser, ev)) {
        return parser_error(r);
    }
    return true;
}

static bool event_error(Reader *r, const yaml_event_t *ev, const char *what)
{
    return tree_error(r, ev->start_mark.line + 1, ev->start_mark.column + 1, "%s", what);
}

/* Anchors, aliases and tags: rejected, so that every value is written where it is used. */
static bool check_properties(Reader *r, const yaml_event_t *ev, const yaml_char_t *anchor,
                             const yaml_char_t *tag)
{
    size_t line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
    if (anchor != NULL) {
        return tree_error(r, line, col,
                          "YAML anchors ('&%s') are not supported: write the value out, or use "
                          "the 'defaults' section",
                          (const char *)anchor);
    }
    if (tag != NULL) {
        const char *t = (const char *)tag;
        const char *std = "tag:yaml.org,2002:";
        if (strncmp(t, std, strlen(std)) == 0) {
            return tree_error(r, line, col, "YAML tags ('!!%s') are not supported",
                              t + strlen(std));
        }
        return tree_error(r, line, col, "YAML tags ('%s') are not supported", t);
    }
    return true;
}

static CfgNode *node_new(const Reader *r, CfgNodeKind kind, const yaml_event_t *ev)
{
    CfgNode *n = calloc(1, sizeof(*n));
    if (n != NULL) {
        n->kind = kind;
        n->file = r->file;
        n->line = (unsigned)ev->start_mark.line + 1;
        n->col = (unsigned)ev->start_mark.column + 1;
    }
    return n;
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) {
        return true;
    }
    size_t ncap = *cap ? 2 * *cap : 8;
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL) {
        return false;
    }
    *arr = p;
    *cap = ncap;
    return true;
}

static bool parse_node(Reader *r, const yaml_event_t *ev, int depth, CfgNode **out);

static bool parse_scalar(Reader *r, const yaml_event_t *ev, CfgNode **out)
{
    const yaml_char_t *value = ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, 0, len) != NULL) {
        return event_error(r, ev, "a NUL character is not allowed in a value");
    }
    CfgNode *n = node_new(r, CFG_NODE_SCALAR, ev);
    if (n == NULL || (n->text = malloc(len + 1)) == NULL) {
        free(n);
        return event_error(r, ev, "out of memory");
    }
    memcpy(n->text, value, len);
    n->text[len] = '\0';
    n->len = len;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    *out = n;
    return true;
}

static bool parse_sequence(Reader *r, const yaml_event_t *start, int depth, CfgNode **out)
{
    CfgNode *seq = node_new(r, CFG_NODE_SEQ, start);
    if (seq == NULL) {
        return event_error(r, start, "out of memory");
    }
    for (;;) {
        yaml_event_t ev;
        if (!next_event(r, &ev)) {
            goto fail_seq;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        CfgNode *item = NULL;
        bool ok = parse_node(r, &ev, depth + 1, &item);
        if (ok && !grow((void **)&seq->items, &seq->cap, seq->n, sizeof(*seq->items))) {
            ok = event_error(r, &ev, "out of memory");
            cfg_tree_free(item);
        }
        yaml_event_delete(&ev);
        if (!ok) {
            goto fail_seq;
        }
        seq->items[seq->n++] = item;
    }
    *out = seq;
    return true;

fail_seq:
    cfg_tree_free(seq);
    return false;
}

static size_t hash_text(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    }
    return (size_t)h;
}

/* The key equal to text (len bytes), or NULL. Small maps are scanned; big ones hashed. */
static const CfgNode *find_text(const CfgNode *map, const char *text, size_t len)
{
    if (map->index == NULL) {
        for (size_t i = 0; i < map->n; i++) {
            const CfgNode *k = map->pairs[i].key;
            if (k->len == len && memcmp(k->text, text, len) == 0) {
                return k;
            }
        }
        return NULL;
    }
    size_t mask = map->index_cap - 1;
    for (size_t h = hash_text(text, len) & mask; map->index[h] != 0; h = (h + 1) & mask) {
        const CfgNode *k = map->pairs[map->index[h] - 1].key;
        if (k->len == len && memcmp(k->text, text, len) == 0) {
            return k;
        }
    }
    return NULL;
}

static const CfgNode *find_key(const CfgNode *map, const CfgNode *key)
{
    return find_text(map, key->text, key->len);
}

static void index_insert(CfgNode *map, size_t i)
{
    size_t mask = map->index_cap - 1;
    const CfgNode *k = map->pairs[i].key;
    size_t h = hash_text(k->text, k->len) & mask;
    while (map->index[h] != 0) {
        h = (h + 1) & mask;
    }
    map->index[h] = i + 1;
}

/* Keeps the table at most half full; built once a map has 16 keys. */
static bool index_grow(CfgNode *map)
{
    if (map->n + 1 < 16 || 2 * (map->n + 1) <= map->index_cap) {
        return true;
    }
    size_t cap = map->index_cap ? 2 * map->index_cap : 64;
    size_t *index = calloc(cap, sizeof(*index));
    if (index == NULL) {
        return false;
    }
    free(map->index);
    map->index = index;
    map->index_cap = cap;
    for (size_t i = 0; i < map->n; i++) {
        index_insert(map, i);
    }
    return true;
}

static bool add_pair(Reader *r, CfgNode *map, CfgNode *key)
{
    const CfgNode *k = find_key(map, key);
    if (k != NULL) {
        return tree_error(r, key->line, key->col,
                          "duplicate key '%s' (first given at line %u, column %u)", key->text,
                          k->line, k->col);
    }
    if (!grow((void **)&map->pairs, &map->cap, map->n, sizeof(*map->pairs)) || !index_grow(map)) {
        return tree_error(r, key->line, key->col, "out of memory");
    }
    map->pairs[map->n].key = key;
    map->pairs[map->n].value = NULL;
    map->n++;
    if (map->index != NULL) {
        index_insert(map, map->n - 1);
    }
    return true;
}

static bool parse_mapping(Reader *r, const yaml_event_t *start, int depth, CfgNode **out)
{
    CfgNode *map = node_new(r, CFG_NODE_MAP, start);
    if (map == NULL) {
        return event_error(r, start, "out of memory");
    }
    for (;;) {
        yaml_event_t ev;
        if (!next_event(r, &ev)) {
            goto fail_map;
        }
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        CfgNode *key = NULL;
        bool ok;
        if (ev.type == YAML_SCALAR_EVENT) {
            ok = check_properties(r, &ev, ev.data.scalar.anchor, ev.data.scalar.tag) &&
                 parse_scalar(r, &ev, &key);
        } else if (ev.type == YAML_ALIAS_EVENT) {
            ok = parse_node(r, &ev, depth + 1, &key); /* reports the alias */
        } else {
            ok = event_error(r, &ev,
                             "a mapping key must be a plain name, not a mapping or "
                             "a sequence");
        }
        if (ok && key->plain && key->len == 0) {
            ok = event_error(r, &ev, "empty mapping key");
            cfg_tree_free(key);
        } else if (ok && !add_pair(r, map, key)) {
            ok = false;
            cfg_tree_free(key);
        }
        yaml_event_delete(&ev);
        if (!ok) {
            goto fail_map;
        }
        if (!next_event(r, &ev)) {
            goto fail_map;
        }
        CfgNode *value = NULL;
        ok = parse_node(r, &ev, depth + 1, &value);
        yaml_event_delete(&ev);
        if (!ok) {
            goto fail_map;
        }
        map->pairs[map->n - 1].value = value;
    }
    *out = map;
    return true;

fail_map:
    cfg_tree_free(map);
    return false;
}

static bool parse_node(Reader *r, const yaml_event_t *ev, int depth, CfgNode **out)
{
    if (depth > TREE_MAX_DEPTH) {
        return event_error(r, ev, "the document is nested too deeply");
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return check_properties(r, ev, ev->data.scalar.anchor, ev->data.scalar.tag) &&
               parse_scalar(r, ev, out);
    case YAML_SEQUENCE_START_EVENT:
        return check_properties(r, ev, ev->data.sequence_start.anchor,
                                ev->data.sequence_start.tag) &&
               parse_sequence(r, ev, depth, out);
    case YAML_MAPPING_START_EVENT:
        return check_properties(r, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag) &&
               parse_mapping(r, ev, depth, out);
    case YAML_ALIAS_EVENT:
        return tree_error(r, ev->start_mark.line + 1, ev->start_mark.column + 1,
                          "YAML aliases ('*%s') are not supported: write the value out, or use "
                          "the 'defaults' section",
                          (const char *)ev->data.alias.anchor);
    default:
        return event_error(r, ev, "unexpected YAML event");
    }
}

/* STREAM-START, then either STREAM-END or one document and STREAM-END. */
static bool parse_stream(Reader *r, CfgNode **root)
{
    yaml_event_t ev;
    if (!next_event(r, &ev)) {
        return false;
    }
    yaml_event_delete(&ev); /* stream start */
    if (!next_event(r, &ev)) {
        return false;
    }
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return true;
    }
    yaml_event_delete(&ev); /* document start */
    if (!next_event(r, &ev)) {
        return false;
    }
    CfgNode *node = NULL;
    bool ok = parse_node(r, &ev, 0, &node);
    yaml_event_delete(&ev);
    if (!ok) {
        return false;
    }
    if (!next_event(r, &ev)) {
        goto fail_node;
    }
    yaml_event_delete(&ev); /* document end */
    if (!next_event(r, &ev)) {
        goto fail_node;
    }
    if (ev.type != YAML_STREAM_END_EVENT) {
        event_error(r, &ev, "only one YAML document is allowed in a topology");
        yaml_event_delete(&ev);
        goto fail_node;
    }
    yaml_event_delete(&ev);
    *root = node;
    return true;

fail_node:
    cfg_tree_free(node);
    return false;
}

bool cfg_tree_parse(const char *file, const char *buf, size_t len, CfgNode **root, SimError *err)
{
    Reader r = {.file = file, .buf = (const unsigned char *)buf, .len = len, .err = err};
    *root = NULL;
    if (!check_text(&r)) {
        return false;
    }
    if (!yaml_parser_initialize(&r.parser)) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", file);
    }
    /*
     * check_text() has made sure the text is UTF-8; the encoding is left for libyaml to find
     * all the same, because that is what makes its reader take a byte-order mark at the start
     * as one and count the first line's columns after it. Told the encoding, libyaml keeps the
     * mark as a character, its scanner skips it at column 0 but counts it, and the first key
     * of a file sits one column right of the next: "did not find expected <document start>".
     * Reader errors still give byte offsets from the start of the buffer, mark included, which
     * is how walk_text() counts.
     */
    yaml_parser_set_input_string(&r.parser, r.buf, len);
    bool ok = parse_stream(&r, root);
    yaml_parser_delete(&r.parser);
    return ok;
}

void cfg_tree_free(CfgNode *n)
{
    if (n == NULL) {
        return;
    }
    for (size_t i = 0; n->kind == CFG_NODE_MAP && i < n->n; i++) {
        cfg_tree_free(n->pairs[i].key);
        cfg_tree_free(n->pairs[i].value);
    }
    for (size_t i = 0; n->kind == CFG_NODE_SEQ && i < n->n; i++) {
        cfg_tree_free(n->items[i]);
    }
    free(n->pairs);
    free(n->index);
    free(n->items);
    free(n->text);
    free(n);
}

bool cfg_node_is_null(const CfgNode *n)
{
    return n->kind == CFG_NODE_SCALAR && n->plain &&
           (n->len == 0 || (n->len == 1 && n->text[0] == '~'));
}

const char *cfg_node_what(const CfgNode *n)
{
    switch (n->kind) {
    case CFG_NODE_SCALAR:
        return cfg_node_is_null(n) ? "an empty value" : "a scalar";
    case CFG_NODE_MAP:
        return "a mapping";
    case CFG_NODE_SEQ:
        return "a sequence";
    default:
        return "?";
    }
}

const CfgNode *cfg_map_get(const CfgNode *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->pairs[i].key->text, key) == 0) {
            return map->pairs[i].value;
        }
    }
    return NULL;
}

const CfgNode *cfg_map_find(const CfgNode *map, const char *text)
{
    return find_text(map, text, strlen(text));
}

CfgNode *cfg_node_new(CfgNodeKind kind, const char *file, unsigned line, unsigned col)
{
    CfgNode *n = calloc(1, sizeof(*n));
    if (n != NULL) {
        n->kind = kind;
        n->file = file;
        n->line = line;
        n->col = col;
    }
    return n;
}

CfgNode *cfg_scalar_new(const CfgNode *at, const char *file, const char *text)
{
    CfgNode *n = cfg_node_new(CFG_NODE_SCALAR, file, at ? at->line : 1u, at ? at->col : 1u);
    size_t len = strlen(text);
    if (n == NULL || (n->text = malloc(len + 1)) == NULL) {
        free(n);
        return NULL;
    }
    memcpy(n->text, text, len + 1);
    n->len = len;
    n->plain = true;
    return n;
}

CfgNode *cfg_node_copy(const CfgNode *n)
{
    CfgNode *c = cfg_node_new(n->kind, n->file, n->line, n->col);
    if (c == NULL) {
        return NULL;
    }
    c->plain = n->plain;
    if (n->kind == CFG_NODE_SCALAR) {
        if ((c->text = malloc(n->len + 1)) == NULL) {
            goto fail_copy;
        }
        memcpy(c->text, n->text, n->len + 1);
        c->len = n->len;
        return c;
    }
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == CFG_NODE_MAP) {
            CfgNode *k = cfg_node_copy(n->pairs[i].key);
            CfgNode *v = k != NULL ? cfg_node_copy(n->pairs[i].value) : NULL;
            const CfgNode *dup = NULL;
            if (v == NULL || !cfg_map_add(c, k, v, &dup)) {
                cfg_tree_free(k);
                cfg_tree_free(v);
                goto fail_copy;
            }
        } else {
            CfgNode *item = cfg_node_copy(n->items[i]);
            if (item == NULL || !cfg_seq_add(c, item)) {
                cfg_tree_free(item);
                goto fail_copy;
            }
        }
    }
    return c;

fail_copy:
    cfg_tree_free(c);
    return NULL;
}

bool cfg_map_add(CfgNode *map, CfgNode *key, CfgNode *value, const CfgNode **dup)
{
    assert(map->kind == CFG_NODE_MAP && key->kind == CFG_NODE_SCALAR);
    *dup = find_key(map, key);
    if (*dup != NULL) {
        return false;
    }
    if (!grow((void **)&map->pairs, &map->cap, map->n, sizeof(*map->pairs)) || !index_grow(map)) {
        return false;
    }
    map->pairs[map->n].key = key;
    map->pairs[map->n].value = value;
    map->n++;
    if (map->index != NULL) {
        index_insert(map, map->n - 1);
    }
    return true;
}

bool cfg_seq_add(CfgNode *seq, CfgNode *item)
{
    assert(seq->kind == CFG_NODE_SEQ);
    if (!grow((void **)&seq->items, &seq->cap, seq->n, sizeof(*seq->items))) {
        return false;
    }
    seq->items[seq->n++] = item;
    return true;
}

void cfg_node_free_shallow(CfgNode *n)
{
    if (n == NULL) {
        return;
    }
    free(n->pairs);
    free(n->index);
    free(n->items);
    free(n->text);
    free(n);
}

bool cfg_node_splice(CfgNode *dst, size_t at, CfgNode *src)
{
    assert(dst->kind == src->kind && dst->kind != CFG_NODE_SCALAR && at <= dst->n);
    size_t n = dst->n + src->n;
    if (dst->kind == CFG_NODE_SEQ) {
        CfgNode **items = malloc((n ? n : 1) * sizeof(*items));
        if (items == NULL) {
            return false;
        }
        memcpy(items, dst->items, at * sizeof(*items));
        memcpy(items + at, src->items, src->n * sizeof(*items));
        memcpy(items + at + src->n, dst->items + at, (dst->n - at) * sizeof(*items));
        free(dst->items);
        dst->items = items;
        dst->n = dst->cap = n;
        cfg_node_free_shallow(src);
        return true;
    }
    CfgPair *pairs = malloc((n ? n : 1) * sizeof(*pairs));
    size_t cap = 0;
    size_t *index = NULL;
    if (n >= 16) {
        for (cap = 64; cap < 2 * n; cap *= 2) {
        }
        index = calloc(cap, sizeof(*index));
    }
    if (pairs == NULL || (n >= 16 && index == NULL)) {
        free(pairs);
        free(index);
        return false;
    }
    memcpy(pairs, dst->pairs, at * sizeof(*pairs));
    memcpy(pairs + at, src->pairs, src->n * sizeof(*pairs));
    memcpy(pairs + at + src->n, dst->pairs + at, (dst->n - at) * sizeof(*pairs));
    free(dst->pairs);
    free(dst->index);
    dst->pairs = pairs;
    dst->n = dst->cap = n;
    dst->index = index;
    dst->index_cap = cap;
    for (size_t i = 0; index != NULL && i < n; i++) {
        index_insert(dst, i);
    }
    cfg_node_free_shallow(src);
    return true;
}
