#!/bin/sh
# Command-level DRAM benchmark (figures printed, nothing asserted):
# simulated channel-cycles per wall second of `einsim dram` (checker off,
# as the reference simulators were timed) on streaming and random reads, and
# on a sparse trace (one request every 2000 cycles) where the event-driven
# controller skips the idle cycles.
# Anchor (measured on a 2-vCPU AMD EPYC VM, gcc 12.2, release builds, one
# run each, about +-15 %): DRAMsim3 and Ramulator 2.0 simulate 0.7-1.6 M
# channel-cycles/s (DRAMsim3: DDR4-3200 1 ch 0.73 random / 1.08 stream;
# GDDR6 1 ch 0.71 / 1.57; HBM2 8 ch 1.10 / 1.59; Ramulator 2.0 DDR3 0.85-1.12).
EINSIM=${EINSIM:-build/bin/einsim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "anchor: DRAMsim3 / Ramulator 2.0, 0.7-1.6 M channel-cycles/s (2-vCPU AMD EPYC, measured)"
for spec in ddr4 gddr6 hbm2; do
  for traffic in stream random; do
    "$EINSIM" dram --spec $spec --traffic $traffic --requests 500000 --no-check --json "$T/d.json" >/dev/null
    jq -r --arg s $spec --arg t $traffic '"\($s) \($t): \(.cycles) cycles x \(.dram.channels) ch in \(.simulation.wall_s * 1000 | floor) ms wall, \(.simulation.cpu_s * 1000 | floor) ms CPU = \(.simulation.channel_cycles_per_s / 1e6 * 100 | floor / 100) M channel-cycles/s (\(.simulation.channel_cycles_per_cpu_s / 1e6 * 100 | floor / 100) M per CPU second), \(.simulation.commands_per_s / 1e6 * 100 | floor / 100) M commands/s"' "$T/d.json"
  done
done
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "%d R %d\n", i * 2000, (i * 7919) * 64 }' >"$T/sparse.trace"
"$EINSIM" dram --spec ddr4 --traffic "$T/sparse.trace" --no-check --json "$T/s.json" >/dev/null
jq -r '"ddr4 sparse trace (one read per 2000 cycles): \(.cycles) cycles in \(.simulation.wall_s * 1000 | floor) ms = \(.simulation.channel_cycles_per_s / 1e6 | floor) M channel-cycles/s (idle cycles skipped)"' "$T/s.json"
