/*
 * `membox-sim compare BASE NEW`: the statistics of two runs key by key, with tolerances, for
 * regression checks (docs/stats.md, "Comparing runs").
 */
#ifndef MEMBOX_SIM_CLI_CMD_COMPARE_H
#define MEMBOX_SIM_CLI_CMD_COMPARE_H

#ifdef __cplusplus
extern "C" {
#endif

/* The help of `membox-sim compare`. */
extern const char cmd_compare_help[];

/* argv: the arguments after `compare`. Returns the exit code: 0 every key within tolerance,
 * 1 some key beyond it, 2 bad input or usage (the message names the file:line:column or flag). */
int cmd_compare(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
