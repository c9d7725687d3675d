/*
 * Internal to sim/core's observation outputs (observe.h): the state the VCD, timeline and
 * interval writers share, made once by sim_observe_open() and never grown during the run.
 */
#ifndef MEMBOX_SIM_OBSERVE_INTERNAL_H
#define MEMBOX_SIM_OBSERVE_INTERNAL_H

#include <stdio.h>

#include "kernel.h"
#include "observe.h"
#include "stats_internal.h"

/* A registered model signal (sim_add_signals), kept in Sim.signals. */
struct SimSignalEntry {
    char *key;
    SimSignalKind kind;
    const void *field;
    uint8_t width;
    uint64_t (*get)(const void *field);
    const SimDomain *domain;
};

/* An output written under a temporary name and renamed when complete. */
typedef struct ObsFile {
    const char *path;
    char *tmp;
    FILE *f;
} ObsFile;

bool obs_file_open(ObsFile *o, const char *path, SimError *err);
bool obs_file_commit(ObsFile *o, SimError *err);
void obs_file_abort(ObsFile *o);

/* "a*,b?" against s: true if any glob matches; NULL globs match everything. */
bool obs_select(const char *globs, const char *s);

/* ---- VCD ---- */

typedef enum VcdSrc {
    VCD_FIELD64 = 0,
    VCD_FIELD32,
    VCD_BOOL,
    VCD_UNTIL,
    VCD_FN,
    VCD_TIMEAVG,
    VCD_PORT
} VcdSrc;

typedef struct VcdSig {
    const char *key; /* owned by the registry it came from */
    VcdSrc src;
    const void *field;
    uint64_t (*get)(const void *field);
    const SimDomain *domain;
    uint8_t width;
    uint64_t cur;
    SimTime fall; /* VCD_UNTIL at 1: when it falls */
    char id[6];
} VcdSig;

typedef struct ObsVcd {
    ObsFile file;
    VcdSig *sigs;
    uint32_t n_sigs;
    uint32_t *untils; /* indices of VCD_UNTIL signals */
    uint32_t n_untils;
    uint32_t *scratch; /* n_untils */
    SimTime from;
    SimTime until;
    SimTime last_written; /* SIM_TIME_NEVER: no time written yet */
    bool dumped;
    bool done;
} ObsVcd;

bool obs_vcd_open(ObsVcd *v, Sim *sim, const SimObserveOptions *o, SimError *err);
void obs_vcd_begin(ObsVcd *v, SimTime t);
void obs_vcd_end(ObsVcd *v, SimTime t);
void obs_vcd_finish(ObsVcd *v, SimTime end);
void obs_vcd_free(ObsVcd *v);

/* ---- timeline ---- */

struct SimTrack {
    struct ObsTimeline *tl;
    uint32_t pid;
    uint32_t tid;
};

typedef struct ObsHop {
    struct ObsTimeline *tl;
    SimPort *port;
    SimTime *pushed; /* push times of the entries in the port, a ring like the port's */
    uint32_t head;
    uint32_t count;
    uint32_t pid;
} ObsHop;

typedef struct ObsTimeline {
    ObsFile file;
    Sim *sim;
    SimTrack *tracks; /* by component index; tid 0: not selected */
    ObsHop *hops;
    uint32_t n_hops;
    SimTime from;
    SimTime until;
    uint64_t sample;
    uint64_t next_id;
    uint64_t events;
    bool first;
} ObsTimeline;

bool obs_timeline_open(ObsTimeline *tl, Sim *sim, const SimObserveOptions *o, SimError *err);
bool obs_timeline_close(ObsTimeline *tl);
void obs_timeline_free(ObsTimeline *tl);

/* ---- statistics per interval ---- */

typedef enum IvKind {
    IV_COUNTER = 0,
    IV_TIMEAVG,
    IV_PORT,
    IV_HIST
} IvKind;

typedef struct IvCol {
    const SimStatEntry *e;
    IvKind kind;
    const SimPort *port;
    uint64_t prev;    /* counter, histogram count, or area at the previous boundary (low) */
    uint64_t prev_hi; /* area high word; histogram sum low word */
    uint64_t prev_x;  /* histogram sum high word */
} IvCol;

typedef struct ObsInterval {
    ObsFile json;
    ObsFile csv;
    IvCol *cols;
    uint32_t n_cols;
    SimTime period;
    SimTime start; /* of the interval in progress */
    SimTime next;  /* its end */
    uint64_t index;
} ObsInterval;

bool obs_interval_open(ObsInterval *iv, Sim *sim, const SimObserveOptions *o, SimError *err);
void obs_interval_flush(ObsInterval *iv, SimTime t);
void obs_interval_finish(ObsInterval *iv, SimTime end);
void obs_interval_free(ObsInterval *iv);

struct SimObserve {
    Sim *sim;
    ObsVcd *vcd;
    ObsTimeline *tl;
    ObsInterval *iv;
    bool finished;
};

#endif
