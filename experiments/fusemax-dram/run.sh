#!/bin/sh
# FuseMax on command-level DRAM (docs/validation.md "FuseMax on command-level
# DRAM"): the 24 prefill-attention points (4 models x 1K..1M, batch 64) and
# two decode points (GPT-2 small, bound by the KV-cache stream; Llama-3.2-1B
# with grouped-query attention, bound by the 2D array), on
#   fusemax       the paper's 400 GiB/s bandwidth figure,
#   fusemax-512   the same bandwidth model at 512 GB/s (the device's peak),
#   fusemax-hbm2  two HBM2 stacks (16 channels, 512 GB/s peak), memory.kind: device.
# Writes out/table.md; with --update also table.md beside this script (tracked
# files change only then).  Usage: sh run.sh [--update] [path/to/einsim]
. "$(dirname "$0")/../lib.sh"
exp_args "$@"
E=$EINSIM
mkdir -p "$OUT"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# the 512 GB/s copy keeps the name fusemax, so the bundled fusemax mapping applies
sed -e 's/^  bandwidth_Bps: .*/  bandwidth_Bps: 512e9/' "$ROOT/sim/arch/fusemax.yaml" >"$T/fusemax-512.yaml"
point() { # ARGS... -> "cycles dram_util"
    "$E" run "$@" --json "$T/r.json" >/dev/null || { echo "einsim run $* failed" >&2; exit 1; }
    jq -r '"\(.cycles) \(.units.dram.utilization)"' "$T/r.json"
}
{
echo "| workload | cycles fusemax (400 GiB/s) | cycles fusemax-512 | cycles fusemax-hbm2 | hbm2 vs 512 | hbm2 vs 400 GiB/s | DRAM busy 400 GiB/s | 512 | hbm2 |"
echo "|---|---|---|---|---|---|---|---|---|"
row() { # LABEL ARGS...
    l=$1; shift
    set -- "$@"
    a=$(point --arch fusemax "$@"); b=$(point --arch "$T/fusemax-512.yaml" "$@"); c=$(point --arch fusemax-hbm2 "$@")
    echo "$l $a $b $c" | awk '{printf "| %s | %.0f | %.0f | %.0f | %+.2e | %+.2e | %.1f%% | %.1f%% | %.1f%% |\n", $1, $2, $4, $6, $6/$4-1, $6/$2-1, 100*$3, 100*$5, 100*$7}'
}
for model in bert-base trxl-wt103 t5-small xlm; do
  for seq in 1024 4096 16384 65536 262144 1048576; do
    row "$model-$seq" --model $model --seq $seq --batch 64 --scope attention
  done
done
row "gpt2-small-decode-1024+64-b64" --model gpt2-small --phase decode --prompt 1024 --gen 64 --batch 64 --scope attention
row "llama-1b-decode-2048+128-b8" --model llama-1b --phase decode --prompt 2048 --gen 128 --batch 8 --scope attention
} >"$HERE/out/table.md"
cat "$HERE/out/table.md"
[ "$UPDATE" = 1 ] && cp "$HERE/out/table.md" "$HERE/table.md"
exit 0
