/*
 * `membox-sim schema [-o FILE] [--preset TYPE]`: the JSON Schema of topology files (or of a
 * preset file of one type), from the parameter tables (sim/config/schema.h).
 */
#ifndef MEMBOX_SIM_CLI_CMD_SCHEMA_H
#define MEMBOX_SIM_CLI_CMD_SCHEMA_H

extern const char cmd_schema_help[];

/* argv holds the arguments after `schema`; returns the exit code. */
int cmd_schema(int argc, char **argv);

#endif
