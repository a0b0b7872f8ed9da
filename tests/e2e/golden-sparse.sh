# einsim golden forward/generate --sparsity: every form runs on a tiny
# synthetic GPT-2 and reports its error against the dense fp32 model and its
# weight bytes; a budget or k that covers the context gives exactly the dense
# logits; Keyformer is reproducible from the seed; bad values give one-line
# errors with status 2.
. "$(dirname "$0")/lib.sh"

tiny_gpt2 "$TMPD/sp-gpt2.yaml" sp-gpt2 64 2 4 128 300
G="$EINSIM golden"
M="--model $TMPD/sp-gpt2.yaml --seed 3"
TOK="17 31 2 200 5 9 100 7 40 41 42 43 44 45 46 47"
ERR='error vs fp32: max \|diff\| [0-9.e+-]+, relative [0-9.e+-]+, top-1 agreement [0-9]+/16'

# weight sparsity: 8 block matrices of GPT-2 (c_attn 64x192, c_proj 64x64,
# c_fc 64x128, mlp c_proj 128x64 per layer): 65536 weights
for s in 2:4 block4x1:0.8 block1x4:0.7 unstructured:0.5; do
    if $G forward $M --tokens "$TOK" --sparsity $s >"$TMPD/o" 2>"$TMPD/e" &&
        grep -Eq "^sparsity $s: 8 block matrices, 65536 weights, [0-9]+ non-zero" "$TMPD/o" &&
        grep -Eq "^$ERR" "$TMPD/o" && ! grep -q "max |diff| 0," "$TMPD/o"; then
        pass "forward-$s"
    else fail "forward-$s" "$(cat "$TMPD/e" "$TMPD/o" | head -c 400)"; fi
done
# 2:4 keeps half the weights; stored bytes = 4 per kept value + 2 bits per index
if grep -q "^sparsity 2:4: .* 32768 non-zero (50.00 % zero): 139264 bytes" <<EOF3
$($G forward $M --tokens "$TOK" --sparsity 2:4)
EOF3
then pass "2:4-bytes"; else fail "2:4-bytes" "$($G forward $M --tokens "$TOK" --sparsity 2:4 | grep ^sparsity)"; fi
# block4x1:0.8 keeps nb - floor(0.8 nb) 4x1 blocks of each matrix: per layer
# c_attn 3072 blocks -> 615, c_proj 1024 -> 205, c_fc and mlp c_proj 2048 -> 410:
# 2 x 4 x (615 + 205 + 410 + 410) = 13120 weights
if $G forward $M --tokens "$TOK" --sparsity block4x1:0.8 | grep -q "^sparsity block4x1:0.8: .* 13120 non-zero (79.98 % zero)"; then
    pass "block-level"
else fail "block-level" "$($G forward $M --tokens "$TOK" --sparsity block4x1:0.8 | grep ^sparsity)"; fi

# attention sparsity: small k / budget changes the logits, a large one is dense bit for bit
for s in topk-attn:3 kv-h2o:5 kv-keyformer:5; do
    if $G forward $M --tokens "$TOK" --sparsity $s >"$TMPD/o" 2>"$TMPD/e" && grep -Eq "^$ERR" "$TMPD/o" &&
        ! grep -q "max |diff| 0," "$TMPD/o"; then
        pass "forward-$s"
    else fail "forward-$s" "$(cat "$TMPD/e" "$TMPD/o" | head -c 400)"; fi
done
for s in topk-attn:16 kv-h2o:16 kv-keyformer:40; do
    if $G forward $M --tokens "$TOK" --sparsity $s | grep -q "^error vs fp32: max |diff| 0, relative 0, top-1 agreement 16/16"; then
        pass "dense-equal-$s"
    else fail "dense-equal-$s" "$($G forward $M --tokens "$TOK" --sparsity $s 2>&1 | tail -3)"; fi
done
if $G forward $M --tokens "$TOK" --sparsity kv-h2o:5 | grep -q "^kv cache: 5..5 of 16 tokens kept per head (budget 5, recent window 1)"; then
    pass "kv-budget-held"
else fail "kv-budget-held" "$($G forward $M --tokens "$TOK" --sparsity kv-h2o:5 | grep '^kv')"; fi

# generate: per-step error, kept cache, reproducible Keyformer
for s in 2:4 topk-attn:3 kv-h2o:6 kv-keyformer:6; do
    if $G generate $M --tokens "$TOK" --gen 6 --sparsity $s >"$TMPD/g1" 2>"$TMPD/e" &&
        grep -Eq "^generation steps error vs fp32: .* top-1 agreement [0-6]/6" "$TMPD/g1" &&
        grep -Eq "^generated tokens equal to dense fp32's: first [0-6] of 6" "$TMPD/g1"; then
        pass "generate-$s"
    else fail "generate-$s" "$(cat "$TMPD/e" "$TMPD/g1" | head -c 400)"; fi
done
$G generate $M --tokens "$TOK" --gen 6 --sparsity kv-keyformer:6 >"$TMPD/k1"
$G generate $M --tokens "$TOK" --gen 6 --sparsity kv-keyformer:6 >"$TMPD/k2"
if cmp -s "$TMPD/k1" "$TMPD/k2" && grep -q "^kv cache: 6..6 of 21 tokens" "$TMPD/k1"; then pass "keyformer-repeatable"
else fail "keyformer-repeatable" "$(diff "$TMPD/k1" "$TMPD/k2" | head -5)"; fi

# bad values: one line, status 2
for s in 3:4 block4x1:1.0 block0x1:0.5 topk-attn:0 kv-h2o: kv-h2o:x block3x1:0.5 nonsense; do
    $G forward $M --tokens "1 2" --sparsity "$s" >/dev/null 2>"$TMPD/e"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$TMPD/e")" -eq 1 ] && grep -Eq "sparsity|tensor" "$TMPD/e"; then pass "bad-$s"
    else fail "bad-$s" "rc $rc: $(cat "$TMPD/e")"; fi
done
$G forward $M --tokens "1 2" --sparsity 2:4 --quant int8 >/dev/null 2>"$TMPD/e"
[ $? -eq 2 ] && pass "sparsity-and-quant" || fail "sparsity-and-quant" "$(cat "$TMPD/e")"
tiny_gpt2 "$TMPD/odd.yaml" odd 66 1 2 132 300
$G forward --model "$TMPD/odd.yaml" --seed 1 --tokens "1 2" --sparsity 2:4 >/dev/null 2>"$TMPD/e"
rc=$?
if [ $rc -eq 2 ] && grep -q "tensor h.0.attn.c_attn.weight (198 outputs x 66 inputs): 2:4 pruning: 66 columns is not a multiple of 4" "$TMPD/e"; then
    pass "2:4-width"
else fail "2:4-width" "rc $rc: $(cat "$TMPD/e")"; fi
