/* mapper/energy.h: energy/area tables (sim/energy/NAME.yaml), Accelergy
 * style: energy per action in pJ, area per component in um^2.  Each action
 * is "one event" as the arch spec defines it (a point-op's action list, a
 * buffer row read, an 8-byte DRAM access, ...).  Sources of every figure
 * are comments in the YAML. */
#ifndef MP_ENERGY_H
#define MP_ENERGY_H

#include "golden/base/err.h"

#define MP_MAX_ENERGY 48

typedef struct mp_energy_entry {
    char name[48];
    double pj;        /* per action */
    double leak_pj;   /* per cycle per instance (0 if not given) */
} mp_energy_entry;

typedef struct mp_area_entry {
    char name[48];
    double um2;       /* per instance */
} mp_area_entry;

typedef struct mp_energy {
    char name[48];
    char technology[16]; /* e.g. "45nm" */
    /* `buffer_geometry`: the global buffer its buffer-action figures were
     * measured for (capacity_bytes 0 = not given: figures used unscaled).
     * An arch whose buffer differs gets them scaled by the rule of
     * mapper/sram.h (mp_energy_fit_buffer). */
    int64_t buf_capacity_bytes;
    int buf_banks, buf_width_bits;
    int n;
    mp_energy_entry e[MP_MAX_ENERGY];
    int n_area;
    mp_area_entry area[MP_MAX_ENERGY];
} mp_energy;

/* Load a bundled table name or a path into *out.  Returns 0 or -1. */
int mp_energy_load(const char *name_or_path, mp_energy *out, es_err *e);
int mp_energy_parse(const char *fname, const char *text, mp_energy *out, es_err *e);
/* pJ per action, -1 when the table lacks it. */
double mp_energy_of(const mp_energy *t, const char *action);
double mp_area_of(const mp_energy *t, const char *component);
/* Scale the table's read and write actions of a buffer of the given
 * geometry from the table's buffer_geometry (mapper/sram.h); no change when
 * the table gives none or the geometries are equal.  Returns the factor on
 * the read figure (1 when unchanged). */
double mp_energy_fit_buffer(mp_energy *t, const char *read_action, const char *write_action, int64_t capacity_bytes,
                            int banks, int width_bits);
/* Area in um^2 of the arch's global buffer, of the given geometry: the
 * table's `area.gb` (the buffer of its buffer_geometry, whatever the arch
 * names its buffer level) scaled by the area rule of mapper/sram.h
 * (unscaled when the table gives no geometry).  0 when the table gives no
 * area.gb. */
double mp_energy_buffer_area(const mp_energy *t, int64_t capacity_bytes, int banks, int width_bits);

/* Area of an RTL unit synthesized by `make rtl-area`
 * (sim/energy/rtl-area.yaml: units.NAME.area_um2 at the table's node_nm).
 * Returns 0, or -1 with e naming the unit and the units the table has. */
int mp_rtl_area(const char *unit, double *um2, double *node_nm, es_err *e);
/* Ideal-scaling area factor from node `from_nm` to `to_nm`: (to / from)^2
 * (area goes with the square of the feature size; docs/rtl.md). */
double mp_area_scale(double from_nm, double to_nm);
/* Feature size in nm of a technology string such as "45nm"; 0 if none. */
double mp_technology_nm(const char *technology);

#endif
