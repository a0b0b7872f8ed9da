#!/bin/bash
# RTL verification (docs/rtl.md): lint of every module, co-simulation of the
# Verilated units against golden values and the C timing model, the mixed
# run (einsim gemm --rtl array2d) against the all-C report, and bad input to
# the RTL flow.  The harnesses are built by `make rtl` (part of make test).
. "$(dirname "$0")/lib.sh"
case "$BUILD" in /*) RTLD=$BUILD/rtl ;; *) RTLD=$PWD/$BUILD/rtl ;; esac
export EINSIM_RTL_DIR=$RTLD SC_COPYRIGHT_MESSAGE=DISABLE

# 1. lint: verilator --lint-only -Wall, one line per module
make --no-print-directory -s rtl-lint BUILD="$BUILD" >"$TMPD/lint" 2>&1
while read -r w st mod; do
    [ "$w" = lint ] || continue
    if [ "$st" = ok ]; then pass "rtl lint $mod"; else fail "rtl lint $mod" "see make rtl-lint"; fi
done <"$TMPD/lint"
grep -q "^lint ok   pim_mac" "$TMPD/lint" || fail "rtl lint" "$(tail -5 "$TMPD/lint")"

# 2. co-simulation sweeps: one PASS/FAIL line per shape x dataflow x format
for u in array2d softmax pim_mac; do
    h=$RTLD/$u/harness
    if [ ! -x "$h" ]; then fail "rtl $u harness" "$h not built (make rtl)"; continue; fi
    "$h" sweep >"$TMPD/sweep" 2>&1; rc=$?
    sed -n "s/^PASS /PASS rtl $u /p; s/^FAIL /FAIL rtl $u /p" "$TMPD/sweep"
    n=$(grep -c '^PASS ' "$TMPD/sweep")
    if [ "$rc" -ne 0 ] || [ "$n" -lt 1 ]; then fail "rtl $u sweep" "exit $rc, $n sweeps passed"; fi
done

# 3. mixed run: the RTL array gives the same report as the C model
for args in "os --m 37 --n 23 --k 11" "ws --m 37 --n 23 --k 11" "os --m 8 --n 12 --k 40 --full" \
            "ws --m 5 --n 1 --k 9 --full"; do
    set -- $args
    EINSIM_REPRODUCIBLE=1 "$EINSIM" gemm --rows 4 --cols 6 --dataflow $args --json "$TMPD/c.json" >/dev/null 2>&1
    if EINSIM_REPRODUCIBLE=1 "$EINSIM" gemm --rows 4 --cols 6 --dataflow $args --rtl array2d \
           --json "$TMPD/rtl.json" >/dev/null 2>"$TMPD/err" && cmp -s "$TMPD/c.json" "$TMPD/rtl.json"; then
        pass "rtl mixed gemm $args: report equals the all-C run"
    else
        fail "rtl mixed gemm $args" "$(head -c 300 "$TMPD/err"; diff "$TMPD/c.json" "$TMPD/rtl.json" | head -5)"
    fi
done

# 4. bad input: one line, status 2, never a hang
G="gemm --rows 4 --cols 6 --m 9 --n 9 --k 9"
expect_err "rtl unknown unit" 2 "unknown unit 'array3d'; expected one of: array2d" $EINSIM $G --dataflow os --rtl array3d
expect_err "rtl shape not built" 2 "built for a 4x6 array; got --rows 8 --cols 6" \
    $EINSIM gemm --rows 8 --cols 6 --m 9 --n 9 --k 9 --dataflow os --rtl array2d
expect_err "rtl is dataflow" 2 "expected --dataflow os or ws, got is" $EINSIM $G --dataflow is --rtl array2d
expect_err "rtl scalesim timing" 2 "--rtl replaces the native timing model" \
    $EINSIM $G --dataflow os --timing scalesim --rtl array2d
expect_err "rtl fold too long" 2 "does not fit the 4x6 RTL array" \
    $EINSIM gemm --rows 4 --cols 6 --m 4 --n 6 --k 2000000 --dataflow os --rtl array2d
EINSIM_RTL_DIR=$TMPD/none expect_err "rtl harness missing" 2 "no harness at .*/none/array2d/harness" \
    $EINSIM $G --dataflow os --rtl array2d
mkdir -p "$TMPD/hang/array2d" "$TMPD/liar/array2d"
printf '#!/bin/sh\necho "einsim-rtl array2d 4 6"\nexec sleep 30\n' >"$TMPD/hang/array2d/harness"
printf '#!/bin/sh\necho hello\n' >"$TMPD/liar/array2d/harness"
chmod +x "$TMPD/hang/array2d/harness" "$TMPD/liar/array2d/harness"
EINSIM_RTL_DIR=$TMPD/hang EINSIM_RTL_TIMEOUT_S=1 expect_err "rtl stuck harness times out" 2 "no answer within 1 s" \
    timeout 20 $EINSIM $G --dataflow os --rtl array2d
EINSIM_RTL_DIR=$TMPD/liar expect_err "rtl not a harness" 2 "is not an einsim RTL harness" \
    timeout 20 $EINSIM $G --dataflow os --rtl array2d

# 3b. mixed run of a whole model: einsim run --rtl array2d on the fold-timed
#     4x6 MXU of rtl-array equals the all-C run (JSON and text reports)
for args in "--model gpt2-small --scope layer --seq 50" "--model bert-base --seq 37 --full" \
            "--model gpt2-small --phase decode --seq 30 --gen 2 --scope layer"; do
    EINSIM_REPRODUCIBLE=1 "$EINSIM" run --arch rtl-array $args --json "$TMPD/c.json" >"$TMPD/c.txt" 2>&1
    if EINSIM_REPRODUCIBLE=1 "$EINSIM" run --arch rtl-array $args --rtl array2d --json "$TMPD/rtl.json" \
           >"$TMPD/rtl.txt" 2>"$TMPD/err" && cmp -s "$TMPD/c.json" "$TMPD/rtl.json" && cmp -s "$TMPD/c.txt" "$TMPD/rtl.txt" &&
           grep -q "^rtl: [1-9][0-9]* distinct folds ran on the Verilated array2d" "$TMPD/err"; then
        pass "rtl mixed run $args: report equals the all-C run ($(sed -n 's/^rtl: \([0-9]*\) distinct.*/\1/p' "$TMPD/err") RTL folds)"
    else
        fail "rtl mixed run $args" "$(head -c 300 "$TMPD/err"; diff "$TMPD/c.json" "$TMPD/rtl.json" | head -5)"
    fi
done
R="run --arch rtl-array --model bert-base --seq 16"
expect_err "rtl run unknown unit" 2 "unknown unit 'array3d'; expected one of: array2d" $EINSIM $R --rtl array3d
expect_err "rtl run arch without fold timing" 2 "arch tpu has no array2d unit with fold timing \\(timing: systolic\\)" \
    $EINSIM run --arch tpu --model bert-base --seq 16 --rtl array2d
expect_err "rtl run size not built" 2 \
    "the RTL was built for a 4x6 array; arch rtl-array's unit mxu is 8x6 \\(rebuild it: make rtl RTL_ARRAY_R=8 RTL_ARRAY_C=6\\)" \
    $EINSIM $R --set units.mxu.rows=8 --rtl array2d
expect_err "rtl run with functional" 2 "does not combine with --functional" $EINSIM $R --functional --rtl array2d
expect_err "rtl run on a PIM arch" 2 "arch pimgpt is a PIM system" \
    $EINSIM run --arch pimgpt --model gpt2-small --phase decode --prompt 8 --gen 1 --rtl array2d
expect_err "rtl run fill_cycles with fold timing" 2 "units.mxu.fill_cycles': a unit with timing: systolic pays its fill" \
    $EINSIM $R --set units.mxu.fill_cycles=4
EINSIM_RTL_DIR=$TMPD/none expect_err "rtl run harness missing" 2 "no harness at .*/none/array2d/harness \\(build it with 'make rtl'" \
    $EINSIM $R --rtl array2d
EINSIM_RTL_DIR=$TMPD/hang EINSIM_RTL_TIMEOUT_S=1 expect_err "rtl run stuck harness times out" 2 "no answer within 1 s" \
    timeout 20 $EINSIM $R --rtl array2d

# 5. area from synthesis: a unit with rtl_area reports area_mm2, scaled
#    from the RTL library's node to the arch's (45 nm for tpu's energy table)
sed 's/^    spatial_reduce: true$/    spatial_reduce: true\n    rtl_area: pe/' sim/arch/tpu.yaml >"$TMPD/tpu-area.yaml"
pe_um2=$(sed -n 's/^  pe: {.*area_um2: \([0-9.]*\)}.*/\1/p' sim/energy/rtl-area.yaml)
lib_nm=$(sed -n 's/^node_nm: //p' sim/energy/rtl-area.yaml)
if "$EINSIM" run --arch "$TMPD/tpu-area.yaml" --model bert-base --seq 128 --json "$TMPD/a.json" >/dev/null 2>"$TMPD/err"; then
    want=$(awk -v a="$pe_um2" -v n="$lib_nm" 'BEGIN {printf "%.6f", a * 128 * 128 * (45 / n) ^ 2 * 1e-6}')
    # the total also holds the buffer's area (vmem; flat-45nm gives area.gb)
    got=$(python3 -c 'import json,sys; x=json.load(open(sys.argv[1]))["run"]; print("%.6f %.6f" % (x["area_mm2"] - x["area_mm2.vmem"], x["area_mm2.mxu"]))' "$TMPD/a.json" 2>&1)
    if [ "$got" = "$want $want" ]; then pass "rtl area_mm2 of tpu's mxu from rtl-area.yaml ($want mm2 at 45 nm)"
    else fail "rtl area_mm2" "got '$got', expected '$want $want'"; fi
else
    fail "rtl area_mm2" "$(head -c 300 "$TMPD/err")"
fi
sed 's/^    spatial_reduce: true$/    spatial_reduce: true\n    rtl_area: tensor_core/' sim/arch/tpu.yaml >"$TMPD/tpu-bad.yaml"
expect_err "rtl area unknown unit" 2 "units.mxu.rtl_area.*no RTL unit 'tensor_core' in rtl-area.yaml" \
    $EINSIM run --arch "$TMPD/tpu-bad.yaml" --model bert-base --seq 128
