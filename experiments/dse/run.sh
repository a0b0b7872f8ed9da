#!/bin/sh
# The worked DSE example (README.md): sweep.yaml on every core, then the
# Pareto fronts of latency vs energy per workload.  Writes out/ (points,
# results.csv with its 'pareto' column, pareto.png, front.md); the tracked
# pareto.png and front.md beside this script change only with --update.
# usage: sh experiments/dse/run.sh [--update] [path/to/einsim]
set -e
. "$(dirname "$0")/../lib.sh"
exp_args "$@"
rm -rf "$OUT"
"$EINSIM" sweep "$HERE/sweep.yaml" --out "$OUT" -j "${JOBS:-$(nproc 2>/dev/null || echo 2)}"
"$EINSIM" sweep --pareto latency_s,energy_pj "$OUT"
# the fronts as a table: the designs no other design beats in both
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$c["pareto"] == 1 {
  printf "| %s %s | %s | %.0f MiB | %.0f GB/s | %.4g ms | %.4g mJ | %.1f%% |\n", $c["model"], $c["phase"],
    $c["set.units.array2d.rows"], $c["set.storage.gb.capacity_bytes"] / 1048576, $c["set.memory.bandwidth_Bps"] / 1e9,
    1e3 * $c["latency_s"], $c["energy_pj"] / 1e9, 100 * $c["units.array2d.pe_utilization"] }' "$OUT/results.csv" |
  sort -t'|' -k2,2 -k3n -k4n >"$OUT/front.body"
{ echo "| workload | array side | buffer | bandwidth | latency | energy | 2D PE utilization |"
  echo "|---|---|---|---|---|---|---|"
  cat "$OUT/front.body"; } >"$OUT/front.md"
rm -f "$OUT/front.body"
if [ "$UPDATE" = 1 ]; then cp "$OUT/pareto.png" "$OUT/front.md" "$HERE/"; fi
cat "$OUT/front.md"
