#!/bin/sh
# Reproduce FuseMax's evaluation with the cycle-level simulator: the four
# models x 1K..1M tokens at batch 64, for unfused, flat, fusemax-cascade
# (+Cascade), fusemax-arch (+Architecture) and fusemax (+Binding), scope
# attention and layer (attention + the layer's linear layers, the paper's
# "end-to-end"); and FLAT without its row-granularity bound (attention).  Writes out/results.csv (one row per run, from the JSON
# reports) and table.md (per-point figures, averages vs the paper's
# headlines, per-point latency vs the artifact's published CSVs).
#
# usage: sh experiments/fusemax-sim/run.sh [path/to/einsim]   (needs jq)
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
EINSIM=${1:-${EINSIM:-$HERE/../../build/bin/einsim}}
OUT=$HERE/out
mkdir -p "$OUT/json"
ARCHS="unfused flat fusemax-cascade fusemax-arch fusemax"
MODELS="bert-base trxl-wt103 t5-small xlm"
SEQS="1024 4096 16384 65536 262144 1048576"
RES=$OUT/results.csv
echo "scope,arch,model,seq,cycles,latency_s,energy_pj,util_2d,util_1d,dram_read,dram_written,wall_s,simulated_cycles,ff_cycles,rf2d_pj,rf1d_pj,gb_pj,sln_prm_ops" >"$RES.tmp"
# run_point LABEL SCOPE MODEL SEQ [einsim run options...]: one row of results.csv
run_point() {
  label=$1 scope=$2 model=$3 seq=$4; shift 4
  j=$OUT/json/$label-$model-$seq-$scope.json
  "$EINSIM" run --model "$model" --seq "$seq" --batch 64 --scope "$scope" --json "$j" "$@" >/dev/null
  jq -r --arg s "$scope" --arg a "$label" '[$s, $a, .model, .seq, .cycles, .latency_s, .energy_pj,
      (.units.array2d.utilization // 0), (.units.array1d.utilization // 0),
      .dram.bytes_read, .dram.bytes_written, .simulation.wall_s,
      .simulation.simulated_cycles, .simulation.fast_forwarded_cycles,
      (.energy_breakdown_pj.rf2d // 0), (.energy_breakdown_pj.rf1d // 0), (.energy_breakdown_pj.gb // 0),
      ([.einsums[]? | select(.name == "SLN" or .name == "PRM") | .ops] | add // 0)] | @csv' "$j" | tr -d '"' >>"$RES.tmp"
}
# FLAT without the bound on its row granularity (docs/validation.md "FLAT"):
# the bundled mapping less its max_rows line, attention only.
sed '/^ *max_rows:/d' "$HERE/../../mapper/mappings/flat.yaml" >"$OUT/flat-unbounded.yaml"
t0=$(date +%s.%N)
for scope in attention layer; do
  for arch in $ARCHS; do
    for model in $MODELS; do
      for seq in $SEQS; do
        run_point "$arch" "$scope" "$model" "$seq" --arch "$arch"
      done
    done
  done
done
for model in $MODELS; do
  for seq in $SEQS; do
    run_point flat-unbounded attention "$model" "$seq" --arch flat --mapping "$OUT/flat-unbounded.yaml"
  done
done
t1=$(date +%s.%N)
mv "$RES.tmp" "$RES"
awk -v t0="$t0" -v t1="$t1" -F, -f "$HERE/table.awk" "$HERE/reference.csv" "$HERE/flat-reference.csv" "$RES" >"$HERE/table.md.tmp"
mv "$HERE/table.md.tmp" "$HERE/table.md"
awk -F, -f "$HERE/ratios.awk" "$RES" >"$OUT/ratios.dat"
if command -v gnuplot >/dev/null 2>&1; then
  gnuplot -e "dat='$OUT/ratios.dat'; png='$HERE/speedup-energy.png.tmp'" "$HERE/plot.gp" &&
    mv "$HERE/speedup-energy.png.tmp" "$HERE/speedup-energy.png"
fi
cat "$HERE/table.md"
