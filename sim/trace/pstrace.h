/*
 * Parameter-server traces (traces/FORMAT.md, "Parameter-server traces"): the logical level of
 * a data-parallel training job. A header (model, workers, iterations, batch, dtype, origin), a
 * tensor table (id, name, shape, bytes), then events: per worker and iteration, forward and
 * backward compute, the instant each gradient is ready, the push of a gradient and the pull of
 * a parameter tensor, the server's update step and the barrier, each with a start and an end.
 *
 * Two forms hold the same content: text (one event a line) and a compact binary form. Both are
 * read and written through zlib, so each may be plain or gzip; the reader tells the forms
 * apart by their first bytes. The reader streams: it keeps the header and the tensor table in
 * memory and hands out one event at a time, so replaying a long trace takes bounded memory.
 *
 * Every error names the file and the line (text) or the record (binary):
 *   "t.pstrace:12: unknown tensor id 99 (the tensor table has 0..61)"
 *   "t.pstb: record 70: cut short: 11 of 28 bytes (truncated file?)"
 * The library never prints.
 */
#ifndef MEMBOX_SIM_TRACE_PSTRACE_H
#define MEMBOX_SIM_TRACE_PSTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSTRACE_VERSION      2u /* the newest version this code reads and writes */
#define PSTRACE_VERSION_MIN  1u /* the oldest it reads and writes */
#define PSTRACE_TEXT_MAGIC   "membox-pstrace"
#define PSTRACE_BINARY_MAGIC "MBPSTRC" /* followed by one NUL byte: 8 bytes */
#define PSTRACE_MAX_RANK     8u
#define PSTRACE_NAME_MAX     255u   /* model and tensor names, bytes */
#define PSTRACE_ORIGIN_MAX   1024u  /* the free-text origin line, bytes */
#define PSTRACE_MAX_WORKERS  65535u /* worker ids 0..65534; 0xffff is the server */
#define PSTRACE_MAX_TENSORS  1000000u
#define PSTRACE_LINE_MAX     4096u
#define PSTRACE_EVENT_BYTES  28u /* size of one binary event record, version 1 */
#define PSTRACE_EVENT_BYTES2 36u /* version 2: and the CPU time */

/* Worker of an event run by the server (text '-'); tensor of an event about no tensor. */
#define PSTRACE_SERVER    UINT32_MAX
#define PSTRACE_NO_TENSOR UINT32_MAX

typedef enum PsTraceKind {
    PSTRACE_FORWARD = 0, /* forward compute of one batch */
    PSTRACE_BACKWARD,    /* backward compute */
    PSTRACE_GRAD_READY,  /* a tensor's gradient is complete (an instant: start == end) */
    PSTRACE_PUSH,        /* a gradient sent to the server */
    PSTRACE_PULL,        /* a parameter tensor fetched from the server */
    PSTRACE_UPDATE,      /* the server's update step (worker PSTRACE_SERVER) */
    PSTRACE_BARRIER,     /* a worker waits until every worker's gradients are applied */
    /* Version 2: the server's side of the messages. The event's worker is the peer: the
     * worker a message came from or goes to (for an apply, the worker whose gradient is
     * applied, or PSTRACE_SERVER for the aggregate of all). */
    PSTRACE_RECV,  /* the server receives a worker's push of a tensor */
    PSTRACE_APPLY, /* the server applies a gradient (optionally of one tensor) */
    PSTRACE_SEND,  /* the server sends a parameter tensor to a worker (its pull) */
    PSTRACE_KIND_MAX
} PsTraceKind;

/* "forward", "backward", "grad_ready", "push", "pull", "update", "barrier", "recv", "apply",
 * "send", NULL. */
extern const char *const pstrace_kind_names[PSTRACE_KIND_MAX + 1];

typedef enum PsTraceDtype {
    PSTRACE_FLOAT32 = 0,
    PSTRACE_FLOAT16,
    PSTRACE_BFLOAT16,
    PSTRACE_FLOAT64,
    PSTRACE_INT8,
    PSTRACE_DTYPE_MAX
} PsTraceDtype;

/* "float32", "float16", "bfloat16", "float64", "int8", NULL. */
extern const char *const pstrace_dtype_names[PSTRACE_DTYPE_MAX + 1];
/* Bytes per element of each dtype. */
extern const uint8_t pstrace_dtype_size[PSTRACE_DTYPE_MAX];

typedef enum PsTraceForm {
    PSTRACE_TEXT = 0,
    PSTRACE_BINARY,
    PSTRACE_FORM_MAX
} PsTraceForm;

typedef struct PsTraceTensor {
    char *name;
    uint32_t rank; /* 1..PSTRACE_MAX_RANK */
    uint64_t dims[PSTRACE_MAX_RANK];
    uint64_t bytes; /* product of dims times the dtype's size */
} PsTraceTensor;

typedef struct PsTraceHeader {
    uint32_t version; /* 1 or 2; a writer given anything but 2 writes version 1 */
    char *model;
    uint32_t workers;    /* 1..PSTRACE_MAX_WORKERS */
    uint32_t iterations; /* >= 1 */
    uint32_t batch;      /* samples per worker and iteration, >= 1 */
    uint32_t warmup;     /* version 2: the first `warmup` iterations are warm-up (< iterations) */
    PsTraceDtype dtype;
    char *origin; /* how the trace was made (recorder, generator, command line) */
    uint32_t n_tensors;
    PsTraceTensor *tensors; /* id i is tensors[i] */
} PsTraceHeader;

typedef struct PsTraceEvent {
    PsTraceKind kind;
    uint32_t worker;    /* 0..workers-1, or PSTRACE_SERVER (update only) */
    uint32_t iteration; /* 0..iterations-1 */
    uint32_t tensor;    /* a tensor id, or PSTRACE_NO_TENSOR */
    uint64_t bytes;     /* push and pull: the tensor's bytes; otherwise 0 */
    uint64_t start_ns;  /* nanoseconds since the trace's time origin */
    uint64_t end_ns;    /* >= start_ns */
    bool has_cpu;       /* version 2: the CPU time of a compute event is known */
    uint64_t cpu_ns;    /* that CPU time (forward, backward, update, apply only) */
} PsTraceEvent;

/* ---- reader ---- */

typedef struct PsTrace PsTrace;

/* Opens a trace of either form, plain or gzip, and reads its header and tensor table. NULL
 * with err (SIM_ERR_INPUT) filled if the file cannot be opened or its header is bad. */
PsTrace *pstrace_open(const char *path, SimError *err);

PsTraceForm pstrace_form(const PsTrace *t);
/* True if the file is gzip-compressed (false: plain). */
bool pstrace_is_gzip(const PsTrace *t);
const PsTraceHeader *pstrace_header(const PsTrace *t);

/* 1: *ev filled; 0: the trailer was read and the file ends there; -1: err filled
 * ("path:line: ..." or "path: record N: ..."), and every later call returns -1 too. Events
 * come in order of start time. */
int pstrace_next(PsTrace *t, PsTraceEvent *ev, SimError *err);

/* The line (text) or record (binary) last read, 1-based. */
uint64_t pstrace_position(const PsTrace *t);

/* Back to the first event, as if just opened (the header and tensor table stay), without
 * allocating: zlib seeks back in the stream it has. False with err filled if it cannot. */
bool pstrace_rewind(PsTrace *t, SimError *err);

/* NULL ok. */
void pstrace_close(PsTrace *t);

/* ---- summary (membox-sim trace info) ---- */

/* Tensor sizes in bytes: below 1 KiB, 16 KiB, 256 KiB, 4 MiB, 64 MiB, and from 64 MiB. */
enum {
    PSTRACE_SIZE_BUCKET_MAX = 6
};
/* Upper bounds (exclusive) of the buckets but the last. */
extern const uint64_t pstrace_size_bucket_limit[PSTRACE_SIZE_BUCKET_MAX - 1];

typedef struct PsTraceSummary {
    uint64_t events;
    uint64_t by_kind[PSTRACE_KIND_MAX];
    uint64_t push_bytes; /* all workers, all iterations */
    uint64_t pull_bytes;
    uint64_t table_bytes;    /* sum of the tensor table: one model's parameters */
    uint64_t compute_ns;     /* forward and backward durations, all workers */
    uint64_t cpu_events;     /* forward and backward events that give their CPU time */
    uint64_t compute_cpu_ns; /* their CPU time */
    uint64_t busy_ns;        /* per worker, last end minus first start, summed over workers */
    uint64_t first_ns;       /* earliest start, latest end of any event */
    uint64_t last_ns;
    uint64_t tensor_min, tensor_median, tensor_max; /* bytes */
    uint64_t bucket_count[PSTRACE_SIZE_BUCKET_MAX];
    uint64_t bucket_bytes[PSTRACE_SIZE_BUCKET_MAX];
} PsTraceSummary;

/* Reads every remaining event of t (so it also checks the whole file) and fills *s. The
 * compute share of the trace is compute_ns / busy_ns. False with err filled on a bad event. */
bool pstrace_summarize(PsTrace *t, PsTraceSummary *s, SimError *err);

/* ---- writer ---- */

typedef struct PsTraceWriter PsTraceWriter;

/* Writes the header and tensor table of h (checked like the reader checks them) in the given
 * form, gzip ("wb6") or plain. NULL with err filled on failure. The file is written in place:
 * callers that must never leave a half-written file write a temporary name and rename it. */
PsTraceWriter *pstrace_writer_open(const char *path, PsTraceForm form, bool gzip,
                                   const PsTraceHeader *h, SimError *err);

/* Checks ev as the reader would (ranges, tensor sizes, start-time order) and writes it. False
 * with err filled ("path: event N: ...") if it is invalid or the write failed. */
bool pstrace_writer_put(PsTraceWriter *w, const PsTraceEvent *ev, SimError *err);

/* Writes the trailer, flushes and closes. False with err filled if any write failed. NULL ok
 * (returns true). The writer is freed either way. */
bool pstrace_writer_close(PsTraceWriter *w, SimError *err);

#ifdef __cplusplus
}
#endif

#endif
