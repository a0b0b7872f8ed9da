#include <math.h>

#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void es_rng_seed(es_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t es_rng_u64(es_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float es_rng_float(es_rng *r) { return (float)(es_rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

double es_rng_double(es_rng *r) { return (double)(es_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }

float es_rng_uniform(es_rng *r, float lo, float hi) { return lo + (hi - lo) * es_rng_float(r); }

double es_rng_normal(es_rng *r)
{
    double u1 = es_rng_double(r), u2 = es_rng_double(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double es_rng_normal_polar(es_normal_gen *g)
{
    if (g->have) {
        g->have = 0;
        return g->next;
    }
    double u, v, s;
    do {
        u = 2.0 * es_rng_double(&g->r) - 1.0;
        v = 2.0 * es_rng_double(&g->r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    g->next = v * f;
    g->have = 1;
    return u * f;
}

uint64_t es_rng_below(es_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Rejection to avoid modulo bias. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = es_rng_u64(r);
    while (x >= lim);
    return x % n;
}
