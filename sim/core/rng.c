#include "rng.h"

#include <math.h>

uint64_t sim_hash_name(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sim_rng_seed(SimRng *r, uint64_t run_seed, const char *instance_name)
{
    uint64_t x = run_seed ^ sim_rng_rotl(sim_hash_name(instance_name), 17);
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix64(&x);
    }
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) {
        r->s[0] = 1; /* xoshiro must not start from the all-zero state */
    }
}

uint64_t sim_rng_below(SimRng *r, uint64_t n)
{
    /* Lemire's nearly-divisionless method on the high 64 bits of a 128-bit product. */
    __extension__ typedef unsigned __int128 u128;
    uint64_t x = sim_rng_next(r);
    u128 m = (u128)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n;
        while (l < t) {
            x = sim_rng_next(r);
            m = (u128)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double sim_rng_exponential(SimRng *r, double mean)
{
    /* 1 - u is in (0, 1], so the logarithm is finite. */
    return -mean * log(1.0 - sim_rng_uniform(r));
}
