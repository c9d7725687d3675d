/*
 * SimError: how configuration, I/O and simulation errors travel up to the CLI, the only code
 * that prints. A function that fails fills the error and returns false (or NULL, or a negative
 * errno); on success it never touches it. The message is complete and printable as is, e.g.
 * "topo.yaml:12:9: instance 'src0': key 'rate': value 2 is above the maximum 1".
 */
#ifndef MEMBOX_SIM_ERROR_H
#define MEMBOX_SIM_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum SimErrorKind {
    SIM_ERR_NONE = 0,
    SIM_ERR_INPUT,       /* bad configuration, trace or command line: exit code 2 */
    SIM_ERR_SIMULATION,  /* deadlock, watchdog, exhausted pool, trace error at run time: exit 1 */
    SIM_ERR_NOMEM,       /* out of memory (a build, the pools): not the input's fault, exit 1 */
    SIM_ERR_INTERRUPTED, /* the run was stopped from outside (SimRunOptions.stop: a signal) */
    SIM_ERR_MAX
} SimErrorKind;

#define SIM_ERROR_MSG_MAX 4096

typedef struct SimError {
    SimErrorKind kind;
    char msg[SIM_ERROR_MSG_MAX];
} SimError;

/* Fills err (which may be NULL) and returns false, so callers can write
 * `return sim_error_set(err, SIM_ERR_INPUT, "...")`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
bool sim_error_set(SimError *err, SimErrorKind kind, const char *fmt, ...);
#if defined(__GNUC__)
__attribute__((format(printf, 3, 0)))
#endif
bool sim_error_setv(SimError *err, SimErrorKind kind, const char *fmt, va_list ap);

/* Appends text to an error already set (used by the watchdog to list buffers). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sim_error_append(SimError *err, const char *fmt, ...);

void sim_error_clear(SimError *err);

/* Out of memory while building `name` (an instance, a domain, a link): fills err (which may be
 * NULL) with kind SIM_ERR_NOMEM and the message "out of memory while building 'NAME'", and
 * returns false. Out of memory is never bad input (STYLE.md). */
bool sim_error_oom(SimError *err, const char *name);

#ifdef __cplusplus
}
#endif

#endif
