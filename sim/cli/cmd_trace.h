/*
 * `membox-sim trace`: convert a parameter-server trace between its text and binary forms, or
 * check one and print a summary (traces/FORMAT.md, "Parameter-server traces").
 */
#ifndef MEMBOX_SIM_CLI_CMD_TRACE_H
#define MEMBOX_SIM_CLI_CMD_TRACE_H

#ifdef __cplusplus
extern "C" {
#endif

/* The help of `membox-sim trace`, for `membox-sim help trace`. */
extern const char cmd_trace_help[];

/* argv[0] is the subcommand (convert, info, help). Returns the exit code: 0 ok, 2 bad input
 * or usage. Messages go to stderr, each naming the file and line or record. */
int cmd_trace(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
