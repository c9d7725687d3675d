/*
 * Seeing a run over time (docs/outputs.md): a VCD of signals, a timeline of slices in the Chrome
 * trace event format, and statistics per interval. All three hang off one pointer,
 * Sim.observe, NULL when every output is off; then nothing is installed (no port tap, no track)
 * and the kernel pays one pointer test per instant, the ports and models nothing more than the
 * tests they already make (SimPort.tap, SimComponent.track).
 *
 * Signals. What a VCD shows is declared at build time, like statistics (stats.h), in static
 * const tables; nothing is looked up by name while the run goes:
 *   - every registered counter (its running value) and time-weighted average (its current
 *     value) is a signal under its statistics key, and every port's entries in use
 *     ("<port key>.occupancy");
 *   - a model adds signals that no statistic holds (a lane group busy, credits left, a bank
 *     open) with sim_add_signals(): rows read a field of a block, as statistics rows do.
 * Signals are sampled at the end of every instant the kernel visits; a model whose state
 * changes without a tick (a frame that ends at a known cycle) declares that field as
 * SIM_SIG_UNTIL, whose falling edge the writer places at its exact time.
 *
 * Events. A component that has a track (c->track, set only when a timeline is written and the
 * component is selected) reports slices and instants on it: a DMA transfer, a DRAM burst, a
 * workload phase, a retry. Names are static strings; the call is one test when off:
 *
 *   if (c->track) sim_track_async(c->track, "dma write", id, start, sim->now, bytes);
 *
 * Ports need no code: with a timeline, every selected port's hops (push to pop) are slices.
 */
#ifndef MEMBOX_SIM_OBSERVE_H
#define MEMBOX_SIM_OBSERVE_H

#include <stddef.h>

#include "error.h"
#include "sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct SimRunOptions;

/* ---- signal tables ---- */

typedef enum SimSignalKind {
    SIM_SIG_U64 = 0, /* uint64_t field */
    SIM_SIG_U32,     /* uint32_t field */
    SIM_SIG_BOOL,    /* bool field: a 1-bit signal */
    SIM_SIG_UNTIL,   /* SimCycle field of the binding's domain: 1 while the current cycle is
                        before it (busy until), a 1-bit signal whose fall needs no tick */
    SIM_SIG_FN,      /* get(field) of the row: a value computed from the block's state */
    SIM_SIG_KIND_MAX
} SimSignalKind;

#define SIM_SIGNAL_BLOCKS 4

typedef struct SimSignalDesc {
    const char *name; /* under the prefix; "<n>" is replaced by the index in a group row */
    SimSignalKind kind;
    size_t offset; /* of the field in its block (of index 0's field in a group) */
    uint8_t width; /* bits written (1 .. 64); 1-bit kinds ignore it */
    uint8_t block; /* < SIM_SIGNAL_BLOCKS */
    bool group;    /* repeated binding.count times, the field `stride` bytes further each */
    size_t stride;
    uint64_t (*get)(const void *field); /* SIM_SIG_FN */
    const char *doc;
} SimSignalDesc;

typedef struct SimSignalTable {
    const SimSignalDesc *rows;
    size_t n_rows;
} SimSignalTable;

typedef struct SimSignalBinding {
    const void *block[SIM_SIGNAL_BLOCKS]; /* NULL: that block's rows are left out */
    uint32_t count;                       /* indices of the group rows */
    const SimDomain *domain;              /* of SIM_SIG_UNTIL fields */
} SimSignalBinding;

/* Registers the rows under prefix ("mb_p0.lanes"). Build phase only; false on out of memory. */
bool sim_add_signals(Sim *sim, const char *prefix, const SimSignalTable *t,
                     const SimSignalBinding *b, SimError *err);

/* ---- tracks: events of one component on the timeline ---- */

typedef struct SimTrack SimTrack;

/* A slice [start, end] on the component's own track; slices of one track must nest. */
void sim_track_slice(SimTrack *tr, const char *name, SimTime start, SimTime end, uint64_t arg);
/* A slice that may overlap others (several transfers in flight): its own row as needed. */
void sim_track_async(SimTrack *tr, const char *name, uint64_t id, SimTime start, SimTime end,
                     uint64_t arg);
/* A point in time (a Nak, a replay, a refresh). */
void sim_track_instant(SimTrack *tr, const char *name, SimTime t, uint64_t arg);

/* ---- the outputs, as the command line asks for them ---- */

typedef struct SimObserveOptions {
    const char *vcd;             /* --vcd FILE */
    const char *vcd_select;      /* --vcd-select GLOB[,GLOB...] on signal keys; NULL: all */
    SimTime vcd_from;            /* --vcd-from */
    SimTime vcd_until;           /* --vcd-until; SIM_TIME_NEVER: the end */
    const char *timeline;        /* --timeline FILE */
    const char *timeline_select; /* --timeline-select GLOB[,...] on instance and port names */
    SimTime timeline_from;
    SimTime timeline_until;
    uint64_t timeline_sample;  /* --timeline-sample N: one packet hop in N per port (>= 1) */
    SimTime interval;          /* --stats-interval; 0: off */
    const char *interval_json; /* --interval-out FILE.jsonl */
    const char *interval_csv;  /* --interval-out FILE.csv */
} SimObserveOptions;

void sim_observe_options_default(SimObserveOptions *o);

/* Any output asked for. */
bool sim_observe_options_any(const SimObserveOptions *o);

typedef struct SimObserve SimObserve;

/*
 * After the build: prepares the run (sim_prepare with opt), opens every output under a
 * temporary name (FILE.tmp.PID), writes the headers and installs what the outputs need.
 * NULL with err filled (kind SIM_ERR_INPUT naming the file) on a bad path; nothing is left.
 */
SimObserve *sim_observe_open(Sim *sim, const SimObserveOptions *o, const struct SimRunOptions *opt,
                             SimError *err);
/* After a complete run: closes the files and renames them. false (err filled) on I/O error,
 * every temporary file removed. */
bool sim_observe_commit(SimObserve *ob, SimError *err);
/* Removes the temporary files of outputs not committed, uninstalls and frees. NULL ok. */
void sim_observe_free(SimObserve *ob);

/* Kernel hooks (kernel.c), called only when Sim.observe is set. */
void sim_observe_instant_begin(SimObserve *ob, SimTime t);
void sim_observe_instant_end(SimObserve *ob, SimTime t);
void sim_observe_finish(SimObserve *ob, SimTime end);

/* The signal registry's memory (kernel.c, sim_free). */
void sim_signals_free(Sim *sim);

#ifdef __cplusplus
}
#endif

#endif
