// sim/sc/harness.h: what the RTL harnesses' top levels share (array_tb,
// softmax_tb, pim_tb): the value type of a Verilated port, the bench line,
// and writing the coverage file at the end of a run.
#ifndef SIM_SC_HARNESS_H
#define SIM_SC_HARNESS_H

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#if VM_SC
#include <systemc.h>
#endif
#include "verilated.h"
#if VM_COVERAGE
#include "verilated_cov.h"
#endif

// The C++ type a port carries: --sc ports are sc_in/sc_out of data_type,
// --cc ports are the value itself.
#if VM_SC
#define PORT_T(p) typename std::remove_reference<decltype(p)>::type::data_type
#else
#define PORT_T(p) typename std::remove_reference<decltype(p)>::type
#endif

// One clock edge, the inputs already written and settled (the ports'
// combinational logic evaluated with the clock low).  --sc: the rising edge,
// 5 ns high, 4 ns low (a 10 ns cycle with the 1 ns settle before it);
// --cc: eval on the rising edge, one time unit.
#if VM_SC
inline void harness_edge(sc_signal<bool> &clk)
{
    clk = true;
    sc_start(5, SC_NS);
    clk = false;
    sc_start(4, SC_NS);
}
#else
template <class Model> inline void harness_edge(Model &m, VerilatedContext &ctx)
{
    m.clk = 1;
    m.eval();
    ctx.timeInc(1);
}
#endif

// The harness's entry point: sc_main under SystemC, main with --cc.
#if VM_SC
#define HARNESS_MAIN int sc_main(int argc, char **argv)
#else
#define HARNESS_MAIN int main(int argc, char **argv)
#endif

inline std::chrono::steady_clock::time_point harness_now() { return std::chrono::steady_clock::now(); }
inline double harness_seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// "UNIT --sc|--cc: WHAT: N cycles, S s = R cycles/s (incl. golden checks)"
inline void harness_bench_line(const char *unit, const char *what, uint64_t cycles, double s)
{
    printf("%s %s: %s: %" PRIu64 " cycles, %.3f s = %.3g cycles/s (incl. golden checks)\n", unit,
           VM_SC ? "--sc" : "--cc", what, cycles, s, (double)cycles / s);
}

// Coverage counts of this run ($EINSIM_COVERAGE_FILE, default coverage.dat)
// when built with --coverage; nothing otherwise.
inline void harness_write_coverage()
{
#if VM_COVERAGE
    const char *f = getenv("EINSIM_COVERAGE_FILE");
    Verilated::threadContextp()->coveragep()->write(f ? f : "coverage.dat");
#endif
}

#endif
