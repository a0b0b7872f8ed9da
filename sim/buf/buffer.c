/* sim/buf/buffer.c: port time of a banked buffer (see buffer.h). */
#include "sim/buf/buffer.h"

#include <math.h>

uint64_t sim_buf_port_cycles(const mp_store *gb, double read_rows, double write_rows)
{
    if (!gb)
        return 0;
    double banks = gb->banks > 0 ? gb->banks : 1;
    double rp = banks * (gb->read_ports > 0 ? gb->read_ports : 1);
    double wp = banks * (gb->write_ports > 0 ? gb->write_ports : 1);
    double r = ceil(read_rows / rp - 1e-9), w = ceil(write_rows / wp - 1e-9);
    double c = r > w ? r : w;
    return c > 0 ? (uint64_t)c : 0;
}
