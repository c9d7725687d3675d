/*
 * Small helpers every layer shares, defined once: a second copy of any of these in sim/ or
 * models/ is a bug waiting (STYLE.md, "one definition").
 */
#ifndef MEMBOX_SIM_UTIL_H
#define MEMBOX_SIM_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of elements of an array (not of a pointer: sizeof would silently give 1 or 2). */
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* v is a power of two (1, 2, 4, ...); 0 is not. */
static inline bool is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

#ifdef __cplusplus
}
#endif

#endif
