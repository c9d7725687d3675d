/*
 * The YAML tree of sim/config, also what system expanders (system.h) read and make: a YAML
 * document read through libyaml's event API into a small tree whose every node keeps its
 * 1-based line and column. The reader is strict where libyaml is
 * lenient: duplicate keys, non-scalar keys, anchors, aliases, tags, several documents, NUL bytes
 * and invalid UTF-8 are errors, each reported at its position.
 */
#ifndef MEMBOX_SIM_CONFIG_YAML_TREE_H
#define MEMBOX_SIM_CONFIG_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum CfgNodeKind {
    CFG_NODE_SCALAR = 0,
    CFG_NODE_MAP,
    CFG_NODE_SEQ,
    CFG_NODE_KIND_MAX
} CfgNodeKind;

typedef struct CfgNode CfgNode;

typedef struct CfgPair {
    CfgNode *key; /* always a scalar */
    CfgNode *value;
} CfgPair;

struct CfgNode {
    CfgNodeKind kind;
    const char *file; /* the file it was read from (outlives the tree), or the origin of a value
                         given on the command line, with line 0 */
    unsigned line;    /* 1-based; 0 for a value from the command line */
    unsigned col;     /* 1-based, in characters */
    char *text;       /* scalar: the value, NUL-terminated (and free of NUL bytes) */
    size_t len;
    bool plain;      /* scalar written without quotes or block indicator */
    CfgPair *pairs;  /* map, in file order */
    CfgNode **items; /* sequence, in file order */
    size_t n;
    size_t cap;
    size_t *index; /* map with many keys: open-addressing table of pair index + 1 */
    size_t index_cap;
};

/*
 * Parse buf (len bytes, need not end in NUL) as one YAML document. `file` is kept in every node
 * and must outlive the tree. *root is NULL for a stream
 * without a document (empty file, only comments). On error returns false with err set to
 * "file:line:col: reason".
 */
bool cfg_tree_parse(const char *file, const char *buf, size_t len, CfgNode **root, SimError *err);

void cfg_tree_free(CfgNode *n);

/* An empty plain scalar or "~": a key written with no value. */
bool cfg_node_is_null(const CfgNode *n);

/* "a scalar", "a mapping", "a sequence", "an empty value" for messages. */
const char *cfg_node_what(const CfgNode *n);

/* The value of key in map, or NULL. */
const CfgNode *cfg_map_get(const CfgNode *map, const char *key);

/* The key node equal to text in map, or NULL; hashed for big maps. */
const CfgNode *cfg_map_find(const CfgNode *map, const char *text);

/*
 * Trees made by hand (a system section's expansion, system.h). A node made here
 * carries the mark given, so that a message about it points where it came from; `file` must
 * outlive the tree. NULL when out of memory.
 */
CfgNode *cfg_node_new(CfgNodeKind kind, const char *file, unsigned line, unsigned col);
/* A plain scalar holding a copy of text, with the mark of `at` (which may be NULL: 1:1). */
CfgNode *cfg_scalar_new(const CfgNode *at, const char *file, const char *text);
/* A deep copy: every node keeps its file, line and column. */
CfgNode *cfg_node_copy(const CfgNode *n);

/*
 * Appends key -> value to map and takes both. If the key is there already, returns false with
 * *dup set to the key present (NULL when out of memory) and takes neither.
 */
bool cfg_map_add(CfgNode *map, CfgNode *key, CfgNode *value, const CfgNode **dup);
/* Appends item to seq and takes it; false (taking nothing) when out of memory. */
bool cfg_seq_add(CfgNode *seq, CfgNode *item);
/* Frees a map or sequence whose pairs or items were moved elsewhere: the node alone. */
void cfg_node_free_shallow(CfgNode *n);
/*
 * Moves every pair (item) of src, a map (sequence) like dst, into dst before its pair (item)
 * `at` (0: in front; dst->n: at the end) and frees src's node. The caller makes sure no key is
 * in both maps. All or nothing: false, changing nothing, when out of memory.
 */
bool cfg_node_splice(CfgNode *dst, size_t at, CfgNode *src);

#ifdef __cplusplus
}
#endif

#endif
