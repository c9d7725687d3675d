/*
 * A small strict JSON reader for the command line's own files (the statistics JSON of
 * docs/stats.md, read back by `membox-sim sweep`): RFC 8259 into a tree. Numbers are kept as
 * the text written, so a value copied from JSON into CSV is the same text. Members keep their
 * order; duplicate keys are kept too (json_get returns the first).
 */
#ifndef MEMBOX_SIM_CLI_JSON_READ_H
#define MEMBOX_SIM_CLI_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

typedef enum JsonKind {
    JSON_NULL = 0,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} JsonKind;

typedef struct JsonValue JsonValue;

struct JsonValue {
    JsonKind kind;
    char *text;        /* number: as written; string: decoded UTF-8 (NUL-terminated) */
    size_t len;        /* of text (a string may hold \u0000: len counts it) */
    char **keys;       /* object: member names, in order */
    JsonValue **items; /* array items or object member values, in order */
    size_t n;
};

/*
 * Parses buf (len bytes) as one JSON text. NULL on error, with why ("3:14: expected ':'")
 * filled (line:column, 1-based) or "out of memory".
 */
JsonValue *json_parse(const char *buf, size_t len, char *why, size_t why_size);

void json_free(JsonValue *v);

/* The first member called key of an object, or NULL (also when v is NULL or not an object). */
const JsonValue *json_get(const JsonValue *v, const char *key);

#endif
