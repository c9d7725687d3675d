/*
 * Memory traces: the physical level of ARCHITECTURE.md section 8. A record is one read or write
 * of the MemBox's memory by a node, with an address, a size and when it starts: at an absolute
 * time, or a delay after the previous record completed. traces/FORMAT.md ("Memory traces")
 * defines the two encodings this reads and writes:
 *
 *   text     membox-memtrace 1            header line (version 1)
 *            @250ns W 0x1000 4KiB dma     WHEN OP ADDRESS SIZE [ACCESS]
 *            +0 R 0x1000 8 pio
 *   binary   "MBMEMTRC", u32 version, u32 record size, then 24-byte little-endian records
 *
 * Both are read through zlib (plain or gzip, told apart by content, never by the file name);
 * the reader tells text from binary by the first eight bytes. Every error names where it is:
 * "t.trace:7: unknown op 'X' (R or W)" for text, "t.btrace: record 3: ..." for binary.
 */
#ifndef MEMBOX_SIM_TRACE_MEMTRACE_H
#define MEMBOX_SIM_TRACE_MEMTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/core/error.h"
#include "sim/core/sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MEMTRACE_VERSION     1u
#define MEMTRACE_TEXT_HEADER "membox-memtrace"
#define MEMTRACE_MAGIC       "MBMEMTRC"
#define MEMTRACE_RECORD_SIZE 24u
/* Largest size one record may name (a node splits it into DMA descriptors). */
#define MEMTRACE_MAX_SIZE (1u << 30)
#define MEMTRACE_LINE_MAX 4096u

typedef enum MemTraceOp {
    MEMTRACE_READ = 0, /* the node reads the MemBox's memory (R) */
    MEMTRACE_WRITE,    /* the node writes it (W) */
    MEMTRACE_OP_MAX
} MemTraceOp;

typedef enum MemTraceWhen {
    MEMTRACE_AT = 0, /* '@': start at `time` (or as soon after as the node can) */
    MEMTRACE_AFTER,  /* '+': start `time` after the previous record completed */
    MEMTRACE_WHEN_MAX
} MemTraceWhen;

typedef enum MemTraceAccess {
    MEMTRACE_ACCESS_DEFAULT = 0, /* the node's `access` parameter decides */
    MEMTRACE_ACCESS_DMA,
    MEMTRACE_ACCESS_PIO,
    MEMTRACE_ACCESS_MAX
} MemTraceAccess;

typedef enum MemTraceFormat {
    MEMTRACE_TEXT = 0,
    MEMTRACE_BINARY,
    MEMTRACE_FORMAT_MAX
} MemTraceFormat;

typedef struct MemTraceRecord {
    SimTime time;  /* ps: absolute (AT) or delay (AFTER) */
    uint64_t addr; /* byte address in the MemBox's memory */
    uint32_t size; /* bytes, 1 .. MEMTRACE_MAX_SIZE */
    MemTraceOp op;
    MemTraceWhen when;
    MemTraceAccess access;
} MemTraceRecord;

typedef struct MemTrace MemTrace;

/* NULL with err (SIM_ERR_INPUT) filled when the file cannot be opened or its header is bad. */
MemTrace *memtrace_open(const char *path, SimError *err);

/*
 * 1: *rec filled; 0: end of the trace; -1: err filled ("path:line: ..." or
 * "path: record n: ..."), and every later call returns -1 too.
 */
int memtrace_next(MemTrace *t, MemTraceRecord *rec, SimError *err);

/* Start again from the first record (the header is checked again). False with err on error. */
bool memtrace_rewind(MemTrace *t, SimError *err);

MemTraceFormat memtrace_format(const MemTrace *t);
const char *memtrace_path(const MemTrace *t);

/* Line (text) or record number (binary), 1-based, of the record last returned. */
uint64_t memtrace_position(const MemTrace *t);

/* Where the record last returned came from, as an error prefix without the colon:
 * "path:12" (text) or "path: record 12" (binary). Returns what snprintf returns. */
int memtrace_where(const MemTrace *t, char *buf, size_t size);

/* NULL ok. */
void memtrace_close(MemTrace *t);

/* ---- writer (tools, tests, and the sample traces) ---- */

typedef struct MemTraceWriter MemTraceWriter;

/* gzip selects compressed output; NULL with err on failure. */
MemTraceWriter *memtrace_writer_open(const char *path, MemTraceFormat format, bool gzip,
                                     SimError *err);
/* False if the record cannot be represented (size 0 or too large, bad enum) or a write failed. */
bool memtrace_writer_put(MemTraceWriter *w, const MemTraceRecord *rec);
/* Flushes and closes; false if any write failed. NULL ok (returns true). */
bool memtrace_writer_close(MemTraceWriter *w);

/* "R"/"W", "dma"/"pio"/"" : the text spellings. */
const char *memtrace_op_name(MemTraceOp op);
const char *memtrace_access_name(MemTraceAccess a);

#ifdef __cplusplus
}
#endif

#endif
