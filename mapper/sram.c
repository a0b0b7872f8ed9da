/* mapper/sram.c: SRAM geometry scaling (see sram.h). */
#include <gsl/gsl_fit.h>
#include <math.h>

#include "mapper/sram.h"

/* The fitted points: 45 nm Accelergy figures of the FuseMax artifact
 * (github.com/FPSG-UIUC/micro24-fusemax-artifact, workspace/inputs/yamls/
 * area_energy/outputs-{2d,1d}-{flat,fusemax}/ERT*.yaml and ART*.yaml), as
 * bundled in sim/energy/flat-45nm.yaml (rf, rf1d) and fusemax-45nm.yaml
 * (rf1d; and the gb_* comment: the stale 32 MiB, 64-bit, 4-bank buffer).
 * The artifact's later 32-entry table (2.194 / 1.906 pJ, pregenerated-check)
 * comes from another component library and is left out; the FuseMax 12-entry
 * figure is itself computed by a rule, not measured, and is left out too. */
static const struct {
    double rows_per_bank, width_bits, banks, read_pj, write_pj, area_um2;
} POINTS[] = {
    {4, 16, 1, 0.2915, 0.2253, 1838},                    /* FLAT 2D PE RF, 4 x 16 b */
    {16, 16, 1, 0.385, 0.336, 2145},                     /* FLAT 1D PE RF, 16 x 16 b */
    {32, 16, 1, 0.653431, 0.569570, 4256},               /* FuseMax 1D PE RF, 32 x 16 b (older table) */
    {1048576, 64, 4, 484.97, 451.30, 94.18e6},           /* global buffer, 32 MiB, 64-bit rows, 4 banks */
};
#define NPOINTS ((int)(sizeof POINTS / sizeof POINTS[0]))

static double rows_per_bank(const mp_sram_geom *g)
{
    int b = g->banks > 0 ? g->banks : 1;
    return (double)g->capacity_bytes * 8.0 / ((double)b * g->width_bits);
}

/* ln(y) = c0 + c1 ln(x) by least squares; *err = max |fit / y - 1|. */
static void fit_log(const double *x, const double *y, int n, double *c0, double *c1, double *err)
{
    double lx[8] = {0}, ly[8] = {0}, cov00, cov01, cov11, ss;
    if (n > 8)
        n = 8;
    for (int i = 0; i < n; i++)
        lx[i] = log(x[i]), ly[i] = log(y[i]);
    gsl_fit_linear(lx, 1, ly, 1, (size_t)n, c0, c1, &cov00, &cov01, &cov11, &ss);
    *err = 0;
    for (int i = 0; i < n; i++) {
        double r = fabs(exp(*c0 + *c1 * lx[i]) / y[i] - 1);
        if (r > *err)
            *err = r;
    }
}

void mp_sram_fit_get(mp_sram_fit *f)
{
    double d[NPOINTS], er[NPOINTS], ew[NPOINTS], bits[NPOINTS], ab[NPOINTS], c0;
    for (int i = 0; i < NPOINTS; i++) {
        d[i] = POINTS[i].rows_per_bank;
        er[i] = POINTS[i].read_pj / POINTS[i].width_bits; /* energy per bit of the row */
        ew[i] = POINTS[i].write_pj / POINTS[i].width_bits;
        bits[i] = POINTS[i].rows_per_bank * POINTS[i].width_bits;
        ab[i] = POINTS[i].area_um2 / POINTS[i].banks;
    }
    f->n = NPOINTS;
    fit_log(d, er, NPOINTS, &c0, &f->beta_read, &f->err_read);
    f->k_read = exp(c0);
    fit_log(d, ew, NPOINTS, &c0, &f->beta_write, &f->err_write);
    f->k_write = exp(c0);
    fit_log(bits, ab, NPOINTS, &c0, &f->gamma, &f->err_area);
    f->a_area = exp(c0);
}

double mp_sram_energy_factor(const mp_sram_geom *from, const mp_sram_geom *to, int write)
{
    if (from->capacity_bytes == to->capacity_bytes && from->width_bits == to->width_bits &&
        (from->banks > 0 ? from->banks : 1) == (to->banks > 0 ? to->banks : 1))
        return 1.0;
    mp_sram_fit f;
    mp_sram_fit_get(&f);
    double beta = write ? f.beta_write : f.beta_read;
    return (double)to->width_bits / from->width_bits * pow(rows_per_bank(to) / rows_per_bank(from), beta);
}

double mp_sram_area_um2(const mp_sram_geom *g)
{
    mp_sram_fit f;
    mp_sram_fit_get(&f);
    int b = g->banks > 0 ? g->banks : 1;
    return b * f.a_area * pow((double)g->capacity_bytes * 8.0 / b, f.gamma);
}
