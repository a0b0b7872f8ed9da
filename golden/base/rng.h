/* base/rng.h: deterministic random numbers (xoshiro256**, seeded through
 * splitmix64).  The same seed gives the same stream on every machine, which
 * is what synthetic weights and randomized tests rely on. */
#ifndef ES_RNG_H
#define ES_RNG_H

#include <stdint.h>

typedef struct es_rng {
    uint64_t s[4];
} es_rng;

void es_rng_seed(es_rng *r, uint64_t seed);
uint64_t es_rng_u64(es_rng *r);
/* Uniform in [0, 1) with 24 bits (float) or 53 bits (double). */
float es_rng_float(es_rng *r);
double es_rng_double(es_rng *r);
/* Uniform in [lo, hi). */
float es_rng_uniform(es_rng *r, float lo, float hi);
/* Standard normal (Box-Muller; deterministic). */
double es_rng_normal(es_rng *r);
/* Standard normals by Marsaglia's polar method on es_rng doubles: two values
 * per accepted pair and no trigonometry, about 3x faster than Box-Muller
 * (es_rng_normal), which matters for a billion synthetic weights.  Start with
 * have = 0 and r seeded with es_rng_seed. */
typedef struct es_normal_gen {
    es_rng r;
    int have;
    double next;
} es_normal_gen;

double es_rng_normal_polar(es_normal_gen *g);
/* Uniform integer in [0, n). */
uint64_t es_rng_below(es_rng *r, uint64_t n);

#endif
