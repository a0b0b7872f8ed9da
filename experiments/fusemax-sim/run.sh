#!/bin/sh
# Reproduce FuseMax's evaluation with the cycle-level simulator: sweep.yaml
# (240 points) and sweep-flat-unbounded.yaml (24), each one `einsim sweep`
# on every core.  Writes out/results.csv (one row per run, from the points'
# JSON reports), out/table.md (per-point figures, averages vs the paper's
# headlines, per-point latency vs the artifact's published CSVs),
# out/ratios.dat, out/speedup-energy.png and out/util-energy.png.  Tracked files are rewritten
# only with --update (table.md and speedup-energy.png beside this script).
#
# usage: sh experiments/fusemax-sim/run.sh [--update] [path/to/einsim]   (needs jq; gnuplot for the plot)
set -e
. "$(dirname "$0")/../lib.sh"
exp_args "$@"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$OUT"
# fresh results: a finished point of an earlier build would be kept otherwise
rm -rf "$OUT/sweep" "$OUT/sweep-flat-unbounded"
sed '/^ *max_rows:/d' "$HERE/../../mapper/mappings/flat.yaml" >"$OUT/flat-unbounded.yaml"
t0=$(date +%s.%N)
"$EINSIM" sweep "$HERE/sweep.yaml" --out "$OUT/sweep" -j "$JOBS"
"$EINSIM" sweep "$HERE/sweep-flat-unbounded.yaml" --out "$OUT/sweep-flat-unbounded" -j "$JOBS"
t1=$(date +%s.%N)
RES=$OUT/results.csv
# the points in sweep order (results.csv's id column), one jq over all of them
pts() { tail -n +2 "$1/results.csv" | cut -d, -f1 | sed "s|^|$1/points/|; s|$|.json|"; }
{
  echo "scope,arch,model,seq,cycles,latency_s,energy_pj,util_2d,util_1d,dram_read,dram_written,wall_s,simulated_cycles,ff_cycles,rf2d_pj,rf1d_pj,gb_pj,sln_prm_ops"
  # shellcheck disable=SC2046
  jq -r '[.scope, (if (.schedule | endswith("flat-unbounded.yaml")) then "flat-unbounded" else .arch end),
      .model, .seq, .cycles, .latency_s, .energy_pj,
      (.units.array2d.utilization // 0), (.units.array1d.utilization // 0),
      .dram.bytes_read, .dram.bytes_written, .simulation.wall_s,
      .simulation.simulated_cycles, .simulation.fast_forwarded_cycles,
      (.energy_breakdown_pj.rf2d // 0), (.energy_breakdown_pj.rf1d // 0), (.energy_breakdown_pj.gb // 0),
      ([.einsums[]? | select(.name == "SLN" or .name == "PRM") | .ops] | add // 0)] | @csv' \
      $(pts "$OUT/sweep") $(pts "$OUT/sweep-flat-unbounded") | tr -d '"'
} >"$RES.tmp"
mv "$RES.tmp" "$RES"
awk -v t0="$t0" -v t1="$t1" -F, -f "$HERE/table.awk" "$HERE/reference.csv" "$HERE/flat-reference.csv" "$RES" >"$OUT/table.md.tmp"
mv "$OUT/table.md.tmp" "$OUT/table.md"
awk -F, -f "$HERE/ratios.awk" "$RES" >"$OUT/ratios.dat"
# fusemax's utilizations per model (blocks in plot order) and the energy
# breakdown of each arch at bert-base 64K, attention
awk -F, '$1 == "attention" && $2 == "fusemax" { u[$3] = u[$3] $4 " " $8 " " $9 "\n" }
END { n = split("bert-base trxl-wt103 t5-small xlm", M, " "); for (i = 1; i <= n; i++) printf "# %s\n%s\n\n", M[i], u[M[i]] }' \
  "$RES" >"$OUT/util.dat"
{
  echo "arch array2d rf2d gb array1d rf1d dram"
  for a in unfused flat fusemax-cascade fusemax-arch fusemax; do
    f=$(tail -n +2 "$OUT/sweep/results.csv" | awk -F, -v a="$a" '$2 == "attention" && $3 == a && $4 == "bert-base" && $5 == 65536 { print $1 }')
    jq -r --arg a "$a" '[$a] + ([.energy_breakdown_pj | .array2d, .rf2d, .gb, .array1d, .rf1d, .dram] | map(. // 0)) | join(" ")' "$OUT/sweep/points/$f.json"
  done
} >"$OUT/energy.dat"
if command -v gnuplot >/dev/null 2>&1; then
  gnuplot -e "dat='$OUT/ratios.dat'; png='$OUT/speedup-energy.png.tmp'" "$HERE/plot.gp" &&
    mv "$OUT/speedup-energy.png.tmp" "$OUT/speedup-energy.png"
  gnuplot -e "util='$OUT/util.dat'; energy='$OUT/energy.dat'; png='$OUT/util-energy.png.tmp'" "$HERE/plot-util-energy.gp" &&
    mv "$OUT/util-energy.png.tmp" "$OUT/util-energy.png"
fi
if [ "$UPDATE" = 1 ]; then
  cp "$OUT/table.md" "$HERE/table.md"
  [ -f "$OUT/speedup-energy.png" ] && cp "$OUT/speedup-energy.png" "$HERE/speedup-energy.png"
  [ -f "$OUT/util-energy.png" ] && cp "$OUT/util-energy.png" "$HERE/util-energy.png"
fi
cat "$OUT/table.md"
