#!/bin/sh
# RTL simulation speed (figures printed, nothing asserted): cycles per
# second of each Verilated unit, built --sc (SystemC top) and --cc (plain
# C++ top), on the same stimulus as its co-simulation harness; the array's
# line also gives the C timing model's speed on the same fold stream.  The
# harnesses check values as they run, so the figures include golden's cost.
make --no-print-directory -s rtl-bench 2>&1 | grep -v 'jobserver'
