#!/bin/sh
# Simulator benchmark (figures printed, nothing asserted):
#  1. wall time to simulate the FuseMax evaluation: 24 points (4 models x
#     1K..1M tokens, batch 64) x 5 architectures, scope attention, one
#     `einsim run` process per point (process start-up included);
#  2. events per second of the engine on a run with fast-forward off;
#  3. `einsim gemm --full` (every fold simulated) simulated cycles per wall
#     second, beside SCALE-Sim's 4-8 thousand cycles/s (peers.md §4).
EINSIM=${EINSIM:-build/bin/einsim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
t0=$(now)
n=0
for arch in unfused flat fusemax-cascade fusemax-arch fusemax; do
  for model in bert-base trxl-wt103 t5-small xlm; do
    for seq in 1024 4096 16384 65536 262144 1048576; do
      "$EINSIM" run --arch $arch --model $model --seq $seq --batch 64 --json "$T/r.json" >/dev/null || echo "run failed: $arch $model $seq"
      n=$((n + 1))
    done
  done
done
t1=$(now)
echo "fusemax evaluation: $n points in $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s wall (aim < 60 s; the published artifact needs ~9 h)"
jq -r '"  last point (fusemax xlm 1M): simulated \(.simulation.simulated_cycles) cycles, fast-forwarded \(.simulation.fast_forwarded_cycles), wall \(.simulation.wall_s) s"' "$T/r.json"

"$EINSIM" run --arch fusemax --model bert-base --seq 16384 --batch 4 --full --json "$T/full.json" >/dev/null
jq -r '"engine, full simulation (fusemax bert-base 16K x 4 heads x 12): \(.simulation.events) events in \(.simulation.wall_s) s = \(.simulation.events / .simulation.wall_s | floor) events/s; \(.cycles / .simulation.wall_s | floor) simulated cycles/s"' "$T/full.json"

"$EINSIM" gemm --rows 32 --cols 32 --dataflow ws --m 200000 --n 1024 --k 1024 --full --json "$T/g.json" >/dev/null
jq -r '"einsim gemm --full 32x32 ws, M=200000 N=K=1024: \(.cycles) cycles, \(.gemm.folds) folds in \(.simulation.wall_s) s = \(.cycles / .simulation.wall_s | floor) simulated cycles/s (SCALE-Sim v2/v3: 4-8 thousand cycles/s, peers.md §4)"' "$T/g.json"
"$EINSIM" gemm --rows 32 --cols 32 --dataflow ws --m 200000 --n 1024 --k 1024 --json "$T/gf.json" >/dev/null
jq -r '"  same with fast-forward: \(.simulation.wall_s) s, \(.simulation.fast_forwarded_cycles) of \(.cycles) cycles fast-forwarded"' "$T/gf.json"
