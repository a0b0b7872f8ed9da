/* sim/comp/comp.c: helpers shared by the component models. */
#include "sim/comp/comp.h"

#include <math.h>

#include "golden/base/err.h"

void sim_sig_push(sim_sig *s, int64_t x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = es_xrealloc(s->v, (size_t)s->cap * sizeof *s->v);
    }
    s->v[s->n++] = x;
}

uint64_t sim_xfer_cycles(double bytes, double bpc)
{
    if (bytes <= 0)
        return 1;
    double c = ceil(bytes / bpc - 1e-9);
    return c < 1 ? 1 : (uint64_t)c;
}
