#include "error.h"

#include <stdio.h>
#include <string.h>

bool sim_error_setv(SimError *err, SimErrorKind kind, const char *fmt, va_list ap)
{
    if (err == NULL) {
        return false;
    }
    err->kind = kind;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return false;
}

bool sim_error_set(SimError *err, SimErrorKind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sim_error_setv(err, kind, fmt, ap);
    va_end(ap);
    return false;
}

void sim_error_append(SimError *err, const char *fmt, ...)
{
    if (err == NULL) {
        return;
    }
    size_t used = strlen(err->msg);
    if (used + 1 >= sizeof(err->msg)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + used, sizeof(err->msg) - used, fmt, ap);
    va_end(ap);
}

void sim_error_clear(SimError *err)
{
    if (err != NULL) {
        err->kind = SIM_ERR_NONE;
        err->msg[0] = '\0';
    }
}

bool sim_error_oom(SimError *err, const char *name)
{
    return sim_error_set(err, SIM_ERR_NOMEM, "out of memory while building '%s'", name);
}
