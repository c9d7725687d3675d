/*
 * Internal to sim/trace: what the parts of the parameter-server trace code share.
 *
 *   pstrace_check.c    the checks of a header, a tensor and an event, for reader and writer
 *                      alike, and the set of tensor names that finds duplicates
 *   pstrace.c          the reader: open, tell the form, hand out events, summarise
 *   pstrace_text.c     the text form's header, tensor table and events
 *   pstrace_binary.c   the binary form's header, tensor table and events
 *   pstrace_writer.c   the writer of both forms
 *
 * One set of checks serves the reader of both forms and the writer, so a trace the writer
 * accepts is one the reader accepts, and converting between the forms can never fail on the
 * second half. traces/FORMAT.md is the specification; the messages are part of the tested
 * contract.
 */
#ifndef MEMBOX_SIM_TRACE_PSTRACE_INTERNAL_H
#define MEMBOX_SIM_TRACE_PSTRACE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pstrace.h"
#include "trace_file.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Times must convert to the simulator's picoseconds without overflow. */
#define PSTRACE_TIME_MAX_NS (UINT64_MAX / 1000u)

/* Binary layout (FORMAT.md): fixed parts of the records, in bytes. */
#define PSTRACE_BIN_HEADER_FIXED  32u
#define PSTRACE_BIN_HEADER_FIXED2 36u /* version 2: and warmup */
#define PSTRACE_BIN_TENSOR_FIXED  14u
#define PSTRACE_BIN_END_KIND      0xffu
#define PSTRACE_BIN_NO_WORKER     0xffffu
#define PSTRACE_BIN_NO_CPU        UINT64_MAX /* version 2: an event without its CPU time */

/* zlib's buffer for reading and writing, bytes. */
#define PSTRACE_ZBUFFER (1u << 17)

/* Room for the reason a check gives. */
typedef char PsTraceWhy[512];

/* ---- checks (pstrace_check.c) ---- */

/* "12.345 us" */
void pstrace_fmt_time(char *buf, size_t size, uint64_t ns);
/* "64x3x7x7" */
void pstrace_fmt_shape(char *buf, size_t size, const PsTraceTensor *ts);
/* A model or tensor name: one token of the text form, 1 to PSTRACE_NAME_MAX bytes. */
bool pstrace_name_ok(const char *s);
/* The origin: the rest of a text line, no control characters but tab, not blank-padded. */
bool pstrace_origin_ok(const char *s);

bool pstrace_kind_has_bytes(PsTraceKind k);
/* Kinds that may give a CPU time (version 2): forward, backward, update, apply. */
bool pstrace_kind_takes_cpu(PsTraceKind k);
/* Kinds the server runs: update, and version 2's recv, apply and send. */
bool pstrace_kind_on_server(PsTraceKind k);

/* Each check fills why (size bytes) with the reason, without position, when it fails. */
/* The header's scalar fields and tensor count (not the tensors). */
bool pstrace_check_header_fields(const PsTraceHeader *h, char *why, size_t size);
/* Tensor i of h: name, rank, dimensions, bytes against the shape and dtype. */
bool pstrace_check_tensor(const PsTraceHeader *h, uint32_t i, char *why, size_t size);
/* Everything about one event that does not depend on how it was spelled; n_before events
 * came before it, the last of them starting at prev_start. */
bool pstrace_check_event(const PsTraceHeader *h, const PsTraceEvent *ev, uint64_t prev_start,
                         uint64_t n_before, char *why, size_t size);

/* Frees what h owns and zeroes it; h->tensors[0 .. h->n_tensors - 1] may hold NULL names. */
void pstrace_header_free(PsTraceHeader *h);

/*
 * Makes room for tensor i of a table announced with count tensors (i < count <=
 * PSTRACE_MAX_TENSORS). A header's count is a claim, not a budget: the table grows with the
 * tensors actually read, doubling but never past count, so that a few bytes announcing a
 * million tensors cost a few bytes of memory before their error. h->n_tensors counts the
 * entries allocated (zeroed until read, freed by pstrace_header_free()); it reaches count with
 * the last tensor. False when out of memory.
 */
bool pstrace_table_reserve(PsTraceHeader *h, uint32_t i, uint32_t count);

/* The names of a tensor table, to find a duplicate in one pass. It grows as names are added,
 * like the table. */
typedef struct PsTraceNames {
    uint32_t *slot; /* tensor index + 1; 0 is empty */
    uint32_t mask;  /* slots - 1 */
    uint32_t used;
} PsTraceNames;

void pstrace_names_init(PsTraceNames *ns);
void pstrace_names_destroy(PsTraceNames *ns);
/* Adds the name of tensors[i]: 1 if it is new; 0 with *dup set to the index of an earlier
 * tensor of the same name; -1 when out of memory. */
int pstrace_names_add(PsTraceNames *ns, const PsTraceTensor *tensors, uint32_t i, uint32_t *dup);

/* ---- the reader (pstrace.c), and its two forms ---- */

struct PsTrace {
    TraceFile f;
    PsTraceForm form;
    bool gzip;
    PsTraceHeader h;
    uint64_t pos;        /* line or record last read */
    uint64_t events;     /* events handed out */
    uint64_t last_start; /* start of the last event */
    bool done;
    bool failed;
    z_off_t events_at;   /* the stream's offset of the first event (pstrace_rewind) */
    uint64_t events_pos; /* t->pos there */
    char buf[PSTRACE_LINE_MAX + 2];
    char rest[PSTRACE_LINE_MAX + 2];
};

/* Fills err with "PATH:LINE: MESSAGE" (text) or "PATH: record N: MESSAGE" (binary) at t->pos,
 * marks t failed and returns -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int pstrace_bad(PsTrace *t, SimError *err, const char *fmt, ...);

/* A zlib read error reported like pstrace_bad (-1), or 0 if the stream merely ended. */
int pstrace_stream_error(PsTrace *t, SimError *err);

/* Read the header and tensor table into t->h; 0, or -1 with err filled. */
int pstrace_text_header(PsTrace *t, SimError *err);
int pstrace_bin_header(PsTrace *t, SimError *err);

/* The next event: 1 with *ev filled, 0 after the trailer, -1 with err filled. */
int pstrace_text_next(PsTrace *t, PsTraceEvent *ev, SimError *err);
int pstrace_bin_next(PsTrace *t, PsTraceEvent *ev, SimError *err);

#ifdef __cplusplus
}
#endif

#endif
