# einsim golden kernel NAME: every algorithm of a kernel on seeded inputs,
# against each other and an exact reference, within the bounds of
# docs/golden-kernels.md (exit 0), plus bad input (one line, exit 2).
. "$(dirname "$0")/lib.sh"
K="$EINSIM golden kernel"

# within NAME ARGS...: exit 0 and the "within its stated bound" verdict.
within() {
    n=$1; shift
    $K "$@" >"$TMPD/out" 2>"$TMPD/err"; rc=$?
    if [ "$rc" -ne 0 ]; then fail "$n" "exit $rc: $(head -c 300 "$TMPD/err")"
    elif ! grep -q "every difference within its stated bound" "$TMPD/out"; then fail "$n" "$(tail -1 "$TMPD/out")"
    else pass "$n"; fi
}
within gk_gemm gemm --m 40 --n 50 --k 300
within gk_gemm_big_k gemm --m 8 --n 8 --k 8192 --seed 2
within gk_softmax softmax --rows 8 --n 300 --seed 3
within gk_softmax_wide softmax --rows 2 --n 4096 --spread 100
within gk_attention attention --nq 33 --nk 100 --d 8 --dv 12 --block 7
within gk_attention_causal_gqa attention --nq 17 --nk 129 --d 64 --dv 64 --heads 4 --kv-heads 2 --causal --block 32
within gk_attention_varlen attention --seqs 5,37,64,1 --causal --heads 2 --block 16
within gk_layernorm layernorm --rows 3 --n 768
within gk_rmsnorm rmsnorm --rows 3 --n 4096 --eps 1e-6
for f in fp16 bf16 e4m3 e5m2 int8 int4; do
    for r in nearest-even nearest-away toward-zero; do
        within "gk_cast_${f}_$r" cast --format $f --round $r --n 2000 --seed 5
    done
done
within gk_cast_subnormal cast --format fp16 --spread 1e-4 --n 2000
within gk_cast_overflow_inf cast --format e5m2 --spread 1e6 --overflow inf --n 2000

# The bit-for-bit claims show as zeros; the softmax pairs report ULPs.
$K attention --seqs 3,9 --heads 2 >"$TMPD/a.out"
if grep -Eq '^  varlen naive vs naive +0 +0 +0 ' "$TMPD/a.out" && grep -Eq '^  varlen tiled vs tiled +0 +0 +0 ' "$TMPD/a.out"
then pass gk_varlen_bitexact; else fail gk_varlen_bitexact "$(cat "$TMPD/a.out")"; fi
$K softmax --rows 2 --n 500 >"$TMPD/s.out"
if [ "$(grep -cE '^  (2pass vs 3pass|online vs 3pass|online vs 2pass) ' "$TMPD/s.out")" -eq 3 ]; then pass gk_softmax_pairs
else fail gk_softmax_pairs "$(cat "$TMPD/s.out")"; fi
# cast: nearest-even and nearest-away differ only on ties (at most one step)
$K cast --format bf16 --n 5000 >"$TMPD/c.out"
if grep -Eq '^  vs nearest-away +[0-9.e+-]+ +[0-9.e+-]+ +(0|1) ' "$TMPD/c.out"; then pass gk_cast_ties
else fail gk_cast_ties "$(cat "$TMPD/c.out")"; fi

# Given input: raw fp32 little-endian.
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<6f', 1, 2, 3, -1e30, 0.5, 7))" >"$TMPD/x.f32"
within gk_input_softmax softmax --input "$TMPD/x.f32"
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<6f', 1, 2, 3, -4e3, 0.5, 7))" >"$TMPD/y.f32"
within gk_input_rows_layernorm layernorm --input "$TMPD/y.f32" --rows 2 --n 3
within gk_input_rows_rmsnorm rmsnorm --input "$TMPD/y.f32" --rows 3 --n 2
# The norms' fp32 sums of squares overflow when x^2 does (|x| > ~1.8e19):
# the stated bound does not hold there, and the check says so (exit 1).
$K layernorm --input "$TMPD/x.f32" --rows 2 --n 3 >"$TMPD/ln.out" 2>&1; rc=$?
if [ "$rc" -eq 1 ] && grep -q "A BOUND IS EXCEEDED" "$TMPD/ln.out"; then pass gk_layernorm_overflow_detected
else fail gk_layernorm_overflow_detected "exit $rc: $(tail -1 "$TMPD/ln.out")"; fi
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<3f', 1, float('nan'), 2))" >"$TMPD/nan.f32"
printf 'abc' >"$TMPD/odd.f32"

# JSON, and help.
expect_ok gk_json $K softmax --rows 2 --n 100 --json "$TMPD/k.json"
if python3 -c "import json; d=json.load(open('$TMPD/k.json')); assert d['within_bounds'] and len(d['comparisons']) == 6"
then pass gk_json_schema; else fail gk_json_schema "$(head -c 300 "$TMPD/k.json")"; fi
$K --help >"$TMPD/h.out"
if grep -q gemm "$TMPD/h.out" && grep -q attention "$TMPD/h.out" && grep -q -- --round "$TMPD/h.out"; then pass gk_help
else fail gk_help "$(head -3 "$TMPD/h.out")"; fi

expect_err gk_err_no_name 2 "expected a kernel name" $K
expect_err gk_err_unknown 2 "unknown kernel 'fft'; expected one of: gemm, softmax" $K fft
expect_err gk_err_wrong_option 2 "softmax: --k applies only to: gemm" $K softmax --k 4
expect_err gk_err_format 2 "format: expected fp16, bf16" $K cast --format fp64
expect_err gk_err_round 2 "round: expected nearest-even" $K cast --round up
expect_err gk_err_overflow 2 "overflow: expected saturate or inf" $K cast --overflow wrap
expect_err gk_err_zero 2 "n: expected an integer in" $K softmax --n 0
expect_err gk_err_neg 2 "rows: expected an integer in" $K softmax --rows -3
expect_err gk_err_gemm_big 2 "expected at most 2\\^31" $K gemm --m 4096 --n 4096 --k 4096
expect_err gk_err_attn_big 2 "expected at most" $K attention --nq 65536 --nk 65536
expect_err gk_err_heads 2 "not a multiple of --kv-heads" $K attention --heads 3 --kv-heads 2
expect_err gk_err_seqs_and_nq 2 "give --seqs or --nq" $K attention --seqs 3,4 --nq 5
expect_err gk_err_spread 2 "spread: expected a number" $K softmax --spread -1
expect_err gk_err_spread_nan 2 "spread: expected a finite number" $K softmax --spread nan
expect_err gk_err_eps 2 "eps: expected a finite number" $K layernorm --eps -1
expect_err gk_err_input_count 2 "x.f32: 6 values; expected rows x n = 4 x 2" $K softmax --input "$TMPD/x.f32" --rows 4 --n 2
expect_err gk_err_input_nan 2 "input value 1 .* is nan; expected finite" $K softmax --input "$TMPD/nan.f32"
expect_err gk_err_input_odd 2 "odd.f32: 3 bytes; expected a non-empty multiple of 4" $K softmax --input "$TMPD/odd.f32"
expect_err gk_err_input_missing 2 "nope.f32: cannot open" $K softmax --input "$TMPD/nope.f32"
expect_err gk_err_input_dir 2 "is a directory" $K softmax --input "$TMPD"
expect_err gk_err_input_seed 2 "input replaces --seed" $K softmax --input "$TMPD/x.f32" --seed 3
expect_err gk_err_input_gemm 2 "input applies only to" $K gemm --input "$TMPD/x.f32"
expect_err gk_err_json_path 2 "cannot open for writing|folder .* does not exist" $K softmax --json "$TMPD/no/dir/k.json"
