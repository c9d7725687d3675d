/*
 * The command-line options of the observation outputs (sim/core/observe.h, docs/outputs.md):
 * parsed here so that main.c only forwards what it does not know.
 */
#ifndef MEMBOX_SIM_CLI_OBS_ARGS_H
#define MEMBOX_SIM_CLI_OBS_ARGS_H

#include <stddef.h>

#include "sim/core/observe.h"

/* Help lines of the options, for `run --help` and `dram --help`. */
#define OBS_ARGS_HELP                                                                              \
    "  --vcd FILE        write a VCD waveform (GTKWave) of the run's signals (docs/outputs.md)\n"  \
    "  --vcd-select GLOB[,GLOB...]  only signals whose key matches, e.g. 'mb0.*,mb_p0.lanes.*'\n"  \
    "  --vcd-from TIME, --vcd-until TIME  the VCD's window (default: the whole run)\n"             \
    "  --timeline FILE   write a timeline in the Chrome trace event format (ui.perfetto.dev)\n"    \
    "  --timeline-select GLOB[,GLOB...]  only instances, components and ports that match\n"        \
    "  --timeline-from TIME, --timeline-until TIME  the timeline's window\n"                       \
    "  --timeline-sample N  keep the port hops of one packet in N (by packet id; default 1)\n"     \
    "  --stats-interval TIME  statistics per interval of TIME, written by --interval-out\n"        \
    "  --interval-out FILE  FILE.csv: CSV, else JSON lines (repeatable: one of each)\n"

/*
 * If argv[*i] is an observation option, takes it and its value (advancing *i) and returns 1;
 * returns 0 when it is none; -1 on a missing or bad value, with the message (naming the option
 * and the value) in why.
 */
int obs_args_parse(SimObserveOptions *o, int argc, char **argv, int *i, char *why, size_t why_size);

/* Checks that need every option: false with the message in why. */
bool obs_args_check(const SimObserveOptions *o, char *why, size_t why_size);

#endif
