/* sim/pim/report.c: a PIM decode result as a simulation report
 * (sim/report/report.h; fields in docs/reports.md and docs/pim.md). */
#include <stdio.h>
#include <string.h>

#include "sim/pim/pim.h"
#include "sim/report/report.h"

void pim_fill_report(const pim_arch *a, const pim_result *x, sim_report *r)
{
    double tck = a->dram.tck_ns * 1e-9;
    r->clock_hz = 1.0 / tck;
    r->cycles = x->cycles;
    sim_rep_unit *u = sim_report_unit(r, "pim_mac"); /* 2 of SIM_REP_UNITS: never NULL here */
    if (u)
        u->busy_cycles = (uint64_t)(x->mac_busy * (double)x->cycles);
    if ((u = sim_report_unit(r, "asic")))
        u->busy_cycles = x->asic_busy_cycles;
    r->dram_bytes_read = (double)(x->cmds[DR_RD] + x->cmds[DR_RDA] + x->cmds[DR_RDMAC16]) * a->dram.org.burst_bytes;
    r->dram_bytes_written = (double)(x->cmds[DR_WR] + x->cmds[DR_WRA] + x->cmds[DR_WRGB]) * a->dram.org.burst_bytes;
    sim_report_energy_add(r, "dram", x->energy_dram_pj);
    sim_report_energy_add(r, "pim_mac", x->energy_mac_pj);
    sim_report_energy_add(r, "asic", x->energy_asic_pj);
    sim_report_finish(r);
    r->has_device = 1;
    r->dram_row_hit_rate = x->row_hit_rate;
    for (int k = 0; k < DR_NCMD; k++)
        if (x->cmds[k])
            sim_report_command(r, dr_cmd_name((dr_cmd_kind)k), (double)x->cmds[k]);
    for (int c = 0; c < PIM_T_N; c++)
        sim_report_time(r, pim_time_class_name((pim_time_class)c), (double)x->time_cycles[c] * tck);
    sim_report_decode(r, 1, (double)x->tokens);
    sim_report_extra(r, "mac_utilization", x->mac_utilization);
    sim_report_extra(r, "mac_busy", x->mac_busy);
    sim_report_extra(r, "weight_bytes_per_token", (double)x->weight_bytes);
    sim_report_extra(r, "bound_s_per_token", x->bound_s_per_token);
    sim_report_extra(r, "bound_ratio", x->bound_s_per_token > 0 ? r->decode_s_per_token / x->bound_s_per_token : 0);
    sim_report_extra(r, "asic_busy_s", (double)x->asic_busy_cycles * tck);
    sim_report_extra(r, "energy_dram_idd_pj", x->energy_dram_idd_pj);
    sim_report_extra(r, "energy_dram_pj_per_bit_pj", x->energy_dram_pjbit_pj);
    sim_report_extra(r, "energy_form_idd", !strcmp(x->energy_form, "idd"));
    sim_report_extra(r, "simulated_commands", (double)x->simulated_cmds);
    sim_report_extra(r, "fast_forwarded_commands", (double)x->fast_forwarded_cmds);
    if (x->check_violations >= 0)
        sim_report_extra(r, "timing_violations", x->check_violations);
    r->simulated_cycles = x->simulated_cycles;
    r->fast_forwarded_cycles = x->fast_forwarded_cycles;
    r->events = x->simulated_cmds;
}
