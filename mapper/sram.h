/* mapper/sram.h: how an on-chip SRAM's energy per access and area scale with
 * its geometry (capacity, banks, row width), CACTI-style, for arch buffers
 * that differ from the one an energy table's figures were measured for.
 *
 * Rule (docs/spec-arch.md, "Buffer energy and area"):
 *   - one access reads or writes one row of one bank; its energy is linear
 *     in the row width w (Accelergy's smartbuffer scales width linearly) and
 *     grows with the rows per bank d as d^beta (bitline and wordline
 *     lengths; CACTI's classic square-array estimate gives beta = 1/2):
 *         E = k * w * d^beta,   d = capacity bits / (banks * w)
 *   - every bank is an array of its own: area = banks * a * (bits/bank)^gamma.
 * beta (read and write) and gamma are fitted, by least squares on logs with
 * GSL (gsl_fit_linear), to the bundled 45 nm figures of the FuseMax
 * artifact's Accelergy tables: three register files (4, 16 and 32 entries of
 * 16 b) and the one stored global-buffer access (64-bit rows, 2^20 rows per
 * bank, 4 banks).  mp_sram_fit reports the exponents and the fit's largest
 * relative error over those points. */
#ifndef MP_SRAM_H
#define MP_SRAM_H

#include <stdint.h>

typedef struct mp_sram_geom {
    int64_t capacity_bytes;
    int banks;      /* >= 1 */
    int width_bits; /* bits per row (one access) */
} mp_sram_geom;

typedef struct mp_sram_fit {
    int n;                             /* points fitted */
    double beta_read, beta_write;      /* energy exponent of rows per bank */
    double gamma;                      /* area exponent of bits per bank */
    double k_read, k_write, a_area;    /* E = k w d^beta (pJ), area per bank = a bits^gamma (um^2) */
    double err_read, err_write, err_area; /* largest |fitted / table - 1| over the points */
} mp_sram_fit;

/* The fit (deterministic; computed on each call, a handful of points). */
void mp_sram_fit_get(mp_sram_fit *f);
/* Factor on a per-access read (write: 0 / 1) energy figure measured for
 * `from` that gives the figure for `to`: (w_to / w_from) (d_to / d_from)^beta.
 * Exactly 1 when the geometries are equal. */
double mp_sram_energy_factor(const mp_sram_geom *from, const mp_sram_geom *to, int write);
/* Area (um^2) by the fitted rule. */
double mp_sram_area_um2(const mp_sram_geom *g);

#endif
