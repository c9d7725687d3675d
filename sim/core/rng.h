/*
 * SimRng: one random stream per component (xoshiro256**), seeded from the run seed and the
 * instance name through splitmix64, so adding or reordering components never shifts another
 * component's numbers, and the same seed gives the same run under every kernel.
 */
#ifndef MEMBOX_SIM_RNG_H
#define MEMBOX_SIM_RNG_H

#include "sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct SimRng {
    uint64_t s[4];
} SimRng;

/* FNV-1a 64-bit of a NUL-terminated string: the name part of a stream's seed. */
uint64_t sim_hash_name(const char *name);
void sim_rng_seed(SimRng *r, uint64_t run_seed, const char *instance_name);

static inline uint64_t sim_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t sim_rng_next(SimRng *r)
{
    uint64_t *s = r->s;
    uint64_t result = sim_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double sim_rng_uniform(SimRng *r)
{
    return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n), n > 0, without modulo bias (Lemire's method). */
uint64_t sim_rng_below(SimRng *r, uint64_t n);

/* True with probability p (p in [0, 1]). */
static inline bool sim_rng_chance(SimRng *r, double p)
{
    return sim_rng_uniform(r) < p;
}

/* Exponentially distributed with the given mean (> 0). */
double sim_rng_exponential(SimRng *r, double mean);

#ifdef __cplusplus
}
#endif

#endif
