/*
 * DRAM memory traces: readers of three text formats, plain or gzip (zlib's gzopen reads both),
 * and a writer of the native one. Every error names the file and line: "t.trc:7: ...".
 *
 *   dramsim3    ADDRESS OP [CYCLE]      0x2000D5C0 READ 30       OP: READ or WRITE
 *   ramulator   ADDRESS OP              0x12345680 R             OP: R or W
 *   native      CYCLE OP ADDRESS [LEN]  30 R 0x2000d5c0 64       OP: R or W; LEN bytes (64)
 *
 * ADDRESS is hexadecimal, with or without 0x, at most 16 digits. CYCLE is a decimal arrival
 * cycle of the DRAM clock; 0 or absent means "as soon as the controller accepts it". Cycles
 * must not decrease from one record to the next. Blank lines and text from '#' to the end of a
 * line are ignored. The native format starts with the header line `membox-dram-trace 1`
 * (docs/models/dram.md).
 */
#ifndef MEMBOX_SIM_TRACE_DRAM_TRACE_H
#define MEMBOX_SIM_TRACE_DRAM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum DramTraceFormat {
    DRAM_TRACE_NATIVE = 0,
    DRAM_TRACE_DRAMSIM3,
    DRAM_TRACE_RAMULATOR,
    DRAM_TRACE_FORMAT_MAX
} DramTraceFormat;

/* "native", "dramsim3", "ramulator", NULL: usable as an enum parameter's choices. */
extern const char *const dram_trace_format_names[DRAM_TRACE_FORMAT_MAX + 1];

bool dram_trace_format_parse(const char *name, DramTraceFormat *out);

#define DRAM_TRACE_HEADER      "membox-dram-trace 1"
#define DRAM_TRACE_DEFAULT_LEN 64u
#define DRAM_TRACE_MAX_LEN     4096u
#define DRAM_TRACE_LINE_MAX    1024u

typedef struct DramTraceRecord {
    uint64_t addr;
    uint64_t cycle; /* arrival cycle of the DRAM clock; 0: as soon as possible */
    uint32_t len;   /* bytes, 1 .. DRAM_TRACE_MAX_LEN (DRAM_TRACE_DEFAULT_LEN unless given) */
    bool write;
} DramTraceRecord;

typedef struct DramTrace DramTrace;

/* NULL with err (SIM_ERR_INPUT) filled if the file cannot be opened. */
DramTrace *dram_trace_open(const char *path, DramTraceFormat format, SimError *err);

/* 1: *rec filled; 0: end of trace; -1: err filled ("path:line: ..."), and every later call
 * returns -1 too. */
int dram_trace_next(DramTrace *t, DramTraceRecord *rec, SimError *err);

/* Number of the line last read (1-based). */
uint64_t dram_trace_line(const DramTrace *t);

/* NULL ok. */
void dram_trace_close(DramTrace *t);

/* ---- native writer (tests and tools) ---- */

typedef struct DramTraceWriter DramTraceWriter;

/* gzip selects compressed output ("wb6"); NULL with err on failure. */
DramTraceWriter *dram_trace_writer_open(const char *path, bool gzip, SimError *err);
bool dram_trace_writer_put(DramTraceWriter *w, const DramTraceRecord *rec);
/* Flushes and closes; false if any write failed. NULL ok (returns true). */
bool dram_trace_writer_close(DramTraceWriter *w);

#ifdef __cplusplus
}
#endif

#endif
