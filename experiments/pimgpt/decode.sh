#!/bin/sh
# PIM-GPT decode of the 8 GPT models at one prompt length, 32 generated
# tokens (as the H100 was measured): OUT/<model>-TAG.json per model.
# Shared by experiments/pimgpt/run.sh and experiments/gpu-baseline/run.sh.
# usage: sh experiments/pimgpt/decode.sh EINSIM OUT TAG PROMPT
set -e
EINSIM=$1 OUT=$2 TAG=$3 PROMPT=$4
mkdir -p "$OUT"
export EINSIM_REPRODUCIBLE=1
for m in gpt2-small gpt2-medium gpt2-large gpt2-xl gpt3-small gpt3-medium gpt3-large gpt3-xl; do
    "$EINSIM" run --arch pimgpt --model $m --phase decode --prompt "$PROMPT" --gen 32 --json "$OUT/$m-$TAG.json" >/dev/null
done
