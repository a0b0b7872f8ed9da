#!/bin/sh
# H100 measurements (gpu-h100.json: measured on one H100 on 2026-12-06, the
# method of every figure inside it) beside einsim's FuseMax results and, for
# decode, its PIM-GPT results (experiments/pimgpt/decode.sh) for the same
# workloads: what a user would run instead, per workload.  Writes out/
# (sweeps, table.md); the tracked table.md here changes only with --update.
# usage: sh experiments/gpu-baseline/run.sh [--update] [path/to/einsim]
set -e
. "$(dirname "$0")/../lib.sh"
exp_args "$@"
rm -rf "$OUT"
J=${JOBS:-$(nproc 2>/dev/null || echo 2)}
"$EINSIM" sweep "$HERE/sweep-attention.yaml" --out "$OUT/attention" -j "$J"
"$EINSIM" sweep "$HERE/sweep-decode.yaml" --out "$OUT/decode" -j "$J"
sh "$HERE/../pimgpt/decode.sh" "$EINSIM" "$OUT/pimgpt" p128 128
python3 "$HERE/table.py" "$OUT" >"$OUT/table.md"
[ "$UPDATE" = 1 ] && cp "$OUT/table.md" "$HERE/table.md"
cat "$OUT/table.md"
