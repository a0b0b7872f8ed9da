#!/bin/bash
# --quant through einsim run / map: the format name is checked (one located
# line, status 2), linear weights move fewer bytes, activations the same.
. "$(dirname "$0")/lib.sh"
export EINSIM_REPRODUCIBLE=1
L="--model gpt2-small --phase decode --prompt 128 --scope layer"
expect_err quant-run-unknown 2 "^einsim: run: --quant 'int7': unknown format; expected fp32, fp16.*mxfp4" \
    "$EINSIM" run --arch fusemax $L --quant int7
expect_err quant-map-unknown 2 "^einsim: map: --quant 'int7': unknown format" "$EINSIM" map --arch fusemax $L --quant int7
rd() { python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['dram']['bytes_read']))" "$1"; }
"$EINSIM" run --arch fusemax $L --json "$TMPD/d.json" >/dev/null 2>&1
"$EINSIM" run --arch fusemax $L --quant fp16 --json "$TMPD/h.json" >/dev/null 2>&1
"$EINSIM" run --arch fusemax $L --quant q4_k --json "$TMPD/q.json" >/dev/null 2>&1
d=$(rd "$TMPD/d.json"); h=$(rd "$TMPD/h.json"); q=$(rd "$TMPD/q.json")
if [ -n "$d" ] && [ "$d" = "$h" ]; then pass quant-fp16-same; else fail quant-fp16-same "default $d, fp16 $h"; fi
if [ -n "$q" ] && [ "$q" -lt "$((d / 3))" ]; then pass quant-q4k-fewer; else fail quant-q4k-fewer "default $d, q4_k $q"; fi
# a sweep file takes quant like any run option, checked with its location
printf 'run: {arch: fusemax, model: gpt2-small, phase: decode, prompt: 128, scope: layer}\ngrid:\n  quant: [fp16, int8]\n' >"$TMPD/s.yaml"
expect_ok quant-sweep "$EINSIM" sweep "$TMPD/s.yaml" --out "$TMPD/sw"
n=$(grep -c . "$TMPD/sw/results.csv" 2>/dev/null)
if [ "$n" = 3 ]; then pass quant-sweep-rows; else fail quant-sweep-rows "$n csv lines"; fi
printf 'run: {arch: fusemax, model: gpt2-small}\ngrid:\n  quant: [fp16, int7]\n' >"$TMPD/b.yaml"
expect_err quant-sweep-unknown 2 "b.yaml:3:[0-9]+: .*--quant 'int7': unknown format" "$EINSIM" sweep "$TMPD/b.yaml" --out "$TMPD/sb"
# --sparsity: attention/KV forms are refused on the path (weight forms: sparse-path.sh);
# an arch's sparse key is checked where it stands
expect_err sparsity-unknown 2 "^einsim: run: --sparsity 'topk-attn:8': attention and KV-cache sparsity are not modelled on the path" \
    "$EINSIM" run --arch fusemax-sparse --model gpt2-small --seq 64 --sparsity topk-attn:8
sed 's/"2:4": 2.0/"2:8": 2.0/' "$(dirname "$0")/../../sim/arch/fusemax-sparse.yaml" >"$TMPD/sp.yaml"
expect_err sparsity-arch-pattern 2 "sp.yaml:[0-9]+:[0-9]+: .*unknown sparse format '2:8'; expected 2:4" \
    "$EINSIM" run --arch "$TMPD/sp.yaml" --model gpt2-small --seq 64
expect_err sparsity-arch-factor 2 "units.array2d.sparse.2:4.*expected a MAC-throughput factor in \[1, 2\]" \
    "$EINSIM" run --arch fusemax-sparse --set 'units.array2d.sparse.2:4=3' --model gpt2-small --seq 64
expect_err quant-functional 2 "^einsim: functional mode: --quant fp8-e4m3 is not computed functionally \(supported, bit-exact against golden.s linear: int8" \
    "$EINSIM" run --arch fusemax --model gpt2-small --seq 64 --scope layer --functional --quant fp8-e4m3
