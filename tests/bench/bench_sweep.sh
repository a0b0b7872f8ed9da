#!/bin/sh
# The 264-point FuseMax evaluation (experiments/fusemax-sim/sweep*.yaml) as
# one in-process `einsim sweep -j 2` beside the same points as a serial loop
# of `einsim run` processes (the way experiments ran before), measured in the
# same run; and a sweep with mapping search.  Figures only, nothing asserted.
E=${EINSIM:-build/bin/einsim}
X=experiments/fusemax-sim
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sed '/^ *max_rows:/d' mapper/mappings/flat.yaml >"$T/flat-unbounded.yaml"
mkdir -p "$T/out" && cp "$T/flat-unbounded.yaml" "$T/out/"
cp "$X/sweep.yaml" "$X/sweep-flat-unbounded.yaml" "$T/"
now() { date +%s.%N; }
t0=$(now)
"$E" sweep "$T/sweep.yaml" --out "$T/s1" -j 2 2>/dev/null
"$E" sweep "$T/sweep-flat-unbounded.yaml" --out "$T/s2" -j 2 2>/dev/null
t1=$(now)
n=0
for scope in attention layer; do
  for arch in unfused flat fusemax-cascade fusemax-arch fusemax; do
    for model in bert-base trxl-wt103 t5-small xlm; do
      for seq in 1024 4096 16384 65536 262144 1048576; do
        "$E" run --arch $arch --model $model --seq $seq --batch 64 --scope $scope >/dev/null; n=$((n + 1))
      done
    done
  done
done
for model in bert-base trxl-wt103 t5-small xlm; do
  for seq in 1024 4096 16384 65536 262144 1048576; do
    "$E" run --arch flat --mapping "$T/flat-unbounded.yaml" --model $model --seq $seq --batch 64 >/dev/null; n=$((n + 1))
  done
done
t2=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$n" 'BEGIN {
  printf "fusemax evaluation, %d points: einsim sweep -j 2 %.2f s; serial einsim run processes %.2f s (%.2fx)\n", n, b - a, c - b, (c - b) / (b - a) }'
# 1000 points with mapping search (budget 2000 per instance)
cat >"$T/search.yaml" <<'YAML'
name: search-1000
run: {arch: fusemax, batch: 16}
grid:
  model: [bert-base, gpt2-small, gpt2-medium, xlm, t5-small]
  seq: [512, 1024, 2048, 4096, 8192]
  set.units.array2d.rows: [64, 128, 256, 512]
  set.storage.gb.capacity_bytes: [4194304, 8388608, 16777216, 33554432, 67108864]
  set.memory.bandwidth_Bps: [200e9, 400e9]
mapping: search
budget: 2000
YAML
t0=$(now)
"$E" sweep "$T/search.yaml" --out "$T/s3" -j 2 2>/dev/null
t1=$(now)
awk -v a="$t0" -v b="$t1" -v n="$(ls "$T/s3/points" | wc -l)" 'BEGIN { printf "sweep with mapping search, %d points: einsim sweep -j 2 %.2f s\n", n, b - a }'
