/* mapper room: the SRAM rule (mapper/sram.h) that scales a global buffer's
 * energy per access and area with its capacity, banks and row width, fitted
 * with GSL to the bundled figures; the bundled archs keep their figures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "mapper/arch.h"
#include "mapper/energy.h"
#include "mapper/sram.h"
#include "arch_kinds.h"

/* The fit: exponents near CACTI's square-array 1/2, and the errors that
 * docs/spec-arch.md states (to their printed digits). */
static void test_fit(void **state)
{
    (void)state;
    mp_sram_fit f;
    mp_sram_fit_get(&f);
    assert_int_equal(f.n, 4);
    assert_true(fabs(f.beta_read - 0.4975) < 5e-5);
    assert_true(fabs(f.beta_write - 0.5080) < 5e-5);
    assert_true(fabs(f.gamma - 0.7117) < 5e-5);
    assert_true(fabs(f.err_read - 0.231) < 5e-4);
    assert_true(fabs(f.err_write - 0.180) < 5e-4);
    assert_true(fabs(f.err_area - 0.436) < 5e-4);
}

/* Equal geometry: exactly 1 (byte-identical figures); more rows per bank
 * cost more, more banks of the same capacity less, wider rows linearly. */
static void test_factor(void **state)
{
    (void)state;
    mp_sram_geom a = {33554432, 4, 4096}, b = a;
    assert_true(mp_sram_energy_factor(&a, &b, 0) == 1.0);
    mp_sram_fit f;
    mp_sram_fit_get(&f);
    b.capacity_bytes = 4 * a.capacity_bytes;
    assert_true(fabs(mp_sram_energy_factor(&a, &b, 0) - pow(4, f.beta_read)) < 1e-12);
    b = a, b.banks = 16;
    assert_true(fabs(mp_sram_energy_factor(&a, &b, 1) - pow(0.25, f.beta_write)) < 1e-12);
    b = a, b.width_bits = 2048; /* half the row, twice the rows per bank */
    assert_true(fabs(mp_sram_energy_factor(&a, &b, 0) - 0.5 * pow(2, f.beta_read)) < 1e-12);
    mp_sram_geom c = {a.capacity_bytes * 2, 4, 4096};
    assert_true(mp_sram_area_um2(&c) > mp_sram_area_um2(&a));
}

static mp_arch *flat_with(const char *from, const char *to)
{
    char path[512], *txt;
    size_t n;
    es_err e;
    snprintf(path, sizeof path, "%s/sim/arch/flat.yaml", EINSIM_SRCDIR);
    assert_int_equal(es_read_file(path, &txt, &n, &e), 0);
    char *p = strstr(txt, from);
    assert_non_null(p);
    char *out = malloc(n + 64);
    snprintf(out, n + 64, "%.*s%s%s", (int)(p - txt), txt, to, p + strlen(from));
    mp_arch *a = mp_arch_parse("flat.yaml", out, &fx_kinds, &e);
    if (!a)
        fail_msg("%s", e.msg);
    free(txt);
    free(out);
    return a;
}

/* A 4 MiB and a 64 MiB FLAT buffer no longer cost the same per access; the
 * bundled 32 MiB one keeps the table's figure exactly. */
static void test_arch_buffer(void **state)
{
    (void)state;
    es_err e;
    mp_arch *own = mp_arch_load("flat", &fx_kinds, &e), *small, *big;
    assert_non_null(own);
    const mp_store *g = mp_arch_buffer(own);
    assert_true(g->read_pj == mp_energy_of(&own->energy, "gb_read"));
    assert_true(g->read_pj == 31038.08 && g->write_pj == 28883.2);
    small = flat_with("capacity_bytes: 33554432", "capacity_bytes: 4194304");
    big = flat_with("capacity_bytes: 33554432", "capacity_bytes: 67108864");
    double rs = mp_arch_buffer(small)->read_pj, rb = mp_arch_buffer(big)->read_pj;
    mp_sram_fit f;
    mp_sram_fit_get(&f);
    assert_true(fabs(rb / rs - pow(16, f.beta_read)) < 1e-9);
    assert_true(rs < g->read_pj && g->read_pj < rb);
    assert_true(mp_arch_buffer(big)->area_um2 > g->area_um2 && g->area_um2 > mp_arch_buffer(small)->area_um2);
    /* the table's area.gb at its own geometry, scaled by the area rule elsewhere */
    assert_true(g->area_um2 == mp_area_of(&own->energy, "gb"));
    assert_true(fabs(mp_arch_buffer(big)->area_um2 / g->area_um2 - pow(2, f.gamma)) < 1e-9);
    mp_arch_free(own);
    mp_arch_free(small);
    mp_arch_free(big);
}

static void test_bad_geometry(void **state)
{
    (void)state;
    mp_energy t;
    es_err e;
    assert_int_equal(mp_energy_parse("t.yaml",
                                     "name: t\nbuffer_geometry: {capacity_bytes: 0, banks: 1, width_bits: 64}\n"
                                     "actions:\n  gb_read: {energy_pj: 1}\n",
                                     &t, &e),
                     -1);
    assert_non_null(strstr(e.msg, "t.yaml:2"));
    assert_int_equal(mp_energy_parse("t.yaml", "name: t\nbuffer_geometry: {banks: 1}\nactions:\n  x: {energy_pj: 1}\n",
                                     &t, &e),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_factor),
        cmocka_unit_test(test_arch_buffer),
        cmocka_unit_test(test_bad_geometry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
