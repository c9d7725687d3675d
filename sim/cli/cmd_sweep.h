/*
 * `membox-sim sweep SPEC.yaml`: many runs of one topology with values over it (docs/sweeps.md).
 */
#ifndef MEMBOX_SIM_CLI_CMD_SWEEP_H
#define MEMBOX_SIM_CLI_CMD_SWEEP_H

extern const char cmd_sweep_help[];

/* argv holds the arguments after `sweep`; returns the exit code. */
int cmd_sweep(int argc, char **argv);

#endif
