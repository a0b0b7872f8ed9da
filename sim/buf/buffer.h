/* sim/buf/buffer.h: the banked global buffer's timing and capacity.
 *
 * Ports: every bank has read_ports + write_ports, one row (width_bits) per
 * port per cycle, and accesses are spread over the banks without conflicts
 * (the bundled layouts put consecutive rows in consecutive banks).  A tile
 * op that moves R rows in and W rows out of the buffer cannot finish sooner
 * than its port time, max(ceil(R / (banks x read_ports)), ceil(W / (banks x
 * write_ports))); the lowering stretches the op to that (operands stream
 * while the array computes, so the two overlap rather than add).
 * Capacity: checked per group by the lowering (mp_group_footprint). */
#ifndef SIM_BUF_BUFFER_H
#define SIM_BUF_BUFFER_H

#include <stdint.h>

#include "mapper/arch.h"

/* Cycles the buffer's ports need for one tile op moving these rows. */
uint64_t sim_buf_port_cycles(const mp_store *gb, double read_rows, double write_rows);

#endif
