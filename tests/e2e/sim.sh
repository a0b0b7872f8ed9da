# The simulator end to end: einsim gemm, run, compare; reports written
# atomically; bad inputs exit 2 with one line.
. "$(dirname "$0")/lib.sh"
if ! command -v jq >/dev/null 2>&1; then
    fail sim_needs_jq "jq is not installed (Debian package jq; .ci/deps.sh should install it)"
    exit 0
fi
D=$TMPD/sim
mkdir -p "$D"

# check NAME CONDITION-COMMAND...: PASS when the command succeeds
check() { n=$1; shift; if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "check failed: $*"; fi; }

# ---- gemm -------------------------------------------------------------------
expect_ok gemm_scalesim "$EINSIM" gemm --rows 32 --cols 32 --dataflow os --m 100 --n 70 --k 50 --timing scalesim --json "$D/g.json"
check gemm_scalesim_cycles jq -e '.cycles == 1343 and .gemm.folds == 12' "$D/g.json"
"$EINSIM" gemm --rows 16 --cols 8 --dataflow ws --m 300 --n 20 --k 40 --timing scalesim --json - >"$D/gws.json" 2>"$D/gws.txt"
check gemm_json_stdout jq -e '.cycles == 3*3*(2*16+8+300-2)-1' "$D/gws.json"
check gemm_summary_stderr grep -q "einsim gemm" "$D/gws.txt"
expect_ok gemm_full "$EINSIM" gemm --rows 8 --cols 8 --dataflow is --m 5000 --n 33 --k 20 --full --json "$D/gf.json"
expect_ok gemm_ff "$EINSIM" gemm --rows 8 --cols 8 --dataflow is --m 5000 --n 33 --k 20 --json "$D/gff.json"
check gemm_ff_equals_full sh -c "[ \"\$(jq .cycles $D/gf.json)\" = \"\$(jq .cycles $D/gff.json)\" ] && jq -e '.simulation.fast_forwarded_cycles > 0' $D/gff.json"
expect_ok gemm_trace "$EINSIM" gemm --rows 4 --cols 4 --dataflow os --m 9 --n 9 --k 9 --trace "$D/g.trace"
check gemm_trace_json jq -e '.traceEvents | length == 9 + 1' "$D/g.trace"
expect_err gemm_bad_dataflow 2 "dataflow: expected os, ws or is" "$EINSIM" gemm --rows 4 --cols 4 --dataflow xs --m 1 --n 1 --k 1
expect_err gemm_missing 2 "missing --k" "$EINSIM" gemm --rows 4 --cols 4 --dataflow os --m 1 --n 1
expect_err gemm_zero 2 "rows: expected an integer" "$EINSIM" gemm --rows 0 --cols 4 --dataflow os --m 1 --n 1 --k 1
expect_err gemm_timing 2 "timing: expected native or scalesim" "$EINSIM" gemm --rows 4 --cols 4 --dataflow os --m 1 --n 1 --k 1 --timing rtl

# ---- run --------------------------------------------------------------------
expect_ok run_fusemax "$EINSIM" run --arch fusemax --model bert-base --seq 1024 --batch 64 --json "$D/f.json" --csv "$D/f.csv"
check run_schema jq -e 'has("arch") and has("model") and has("phase") and has("batch") and has("seq") and has("scope")
  and has("cycles") and has("latency_s") and has("energy_pj") and (.units.array2d.utilization > 0.8)
  and (.units.array1d | has("busy_cycles")) and (.dram.bytes_read > 0) and has("energy_breakdown_pj")
  and (.einsums | length == 12) and (.einsums[0] | has("name") and has("unit") and has("cycles") and has("ops"))
  and (.simulation | has("wall_s") and has("simulated_cycles") and has("fast_forwarded_cycles"))' "$D/f.json"
# DRAM traffic = Q + AV + (K+V) x P2 (fusemax.md §6): 64 x 12 x 1024 x 64 x 2 B each, P2 = 1
check run_dram_rule jq -e '.dram.bytes_read == 3 * 100663296 and .dram.bytes_written == 100663296' "$D/f.json"
check run_csv sh -c "[ \$(wc -l <$D/f.csv) -eq 2 ] && head -1 $D/f.csv | grep -q '^arch,model,phase,batch,seq,scope'"
check run_no_temp_files sh -c "[ -z \"\$(ls -A $D | grep -v -E '^(g|gws|gf|gff|f)\\.(json|txt|csv|trace)\$')\" ]"
expect_ok run_full "$EINSIM" run --arch fusemax --model bert-base --seq 2048 --batch 1 --full --json "$D/full.json"
expect_ok run_ff "$EINSIM" run --arch fusemax --model bert-base --seq 2048 --batch 1 --json "$D/ff.json"
check run_ff_equals_full sh -c "[ \"\$(jq '[.cycles,.energy_pj,.dram]' $D/full.json)\" = \"\$(jq '[.cycles,.energy_pj,.dram]' $D/ff.json)\" ]"
for a in unfused flat fusemax-cascade fusemax-arch; do
    expect_ok "run_$a" "$EINSIM" run --arch $a --model t5-small --seq 4096 --batch 64 --json "$D/$a.json"
done
expect_ok run_layer "$EINSIM" run --arch fusemax --model xlm --seq 1048576 --batch 64 --scope layer --json "$D/l.json"
check run_layer_linear jq -e '[.einsums[].name] | index("ffn_up.Y") != null' "$D/l.json"
expect_ok run_functional "$EINSIM" run --arch fusemax --model bert-base --heads 2 --batch 1 --seq 256 --functional --json "$D/fn.json"
check run_functional_match jq -e '.functional.match == true and .functional.max_rel_err < 1e-4' "$D/fn.json"
expect_ok run_trace "$EINSIM" run --arch fusemax --model bert-base --seq 1024 --batch 1 --trace "$D/r.trace"
check run_trace_json jq -e '(.traceEvents | map(select(.ph == "X")) | length) > 10 and .otherData.cap > 0' "$D/r.trace"
"$EINSIM" run --arch fusemax --model bert-base --seq 1024 --batch 2 --json - >"$D/so.json" 2>"$D/so.txt"
check run_json_stdout jq -e '.batch == 2' "$D/so.json"
check run_summary_stderr grep -q "einsim run: arch fusemax" "$D/so.txt"

# ---- compare -----------------------------------------------------------------
expect_ok compare_ok "$EINSIM" compare "$D/flat.json" "$D/fusemax-arch.json" "$D/unfused.json"
check compare_ratio sh -c "\"$EINSIM\" compare $D/flat.json $D/unfused.json | grep -E '^cycles .*x\$'"
echo '{"x": 1' >"$D/bad.json"
expect_err compare_bad_json 2 "bad.json:[0-9]+:[0-9]+: .*JSON" "$EINSIM" compare "$D/bad.json"
expect_err compare_missing 2 "nope.json" "$EINSIM" compare "$D/nope.json"

# ---- bad inputs and invalid mappings ---------------------------------------
expect_err run_no_arch 2 "arch and --model are required" "$EINSIM" run --model bert-base
expect_err run_unknown_arch 2 "nosuch" "$EINSIM" run --arch nosuch --model bert-base --json "$D/x.json"
check run_no_report_on_error sh -c "[ ! -e $D/x.json ]"
expect_err run_unknown_model 2 "nomodel" "$EINSIM" run --arch fusemax --model nomodel
expect_err run_bad_scope 2 "scope" "$EINSIM" run --arch fusemax --model bert-base --scope everything
M=$(dirname "$0")/../../mapper/mappings/fusemax.yaml
sed 's/AV: array1d/AV: array2d/' "$M" >"$D/noop.yaml"
expect_err run_unit_lacks_op 2 "noop.yaml:[0-9]+:[0-9]+: .*einsum AV needs op .div., which unit .array2d. does not support|Einsum AV .*array2d.*lacks op div" "$EINSIM" run --arch fusemax --model bert-base --mapping "$D/noop.yaml"
sed 's/lag: {RD: 1, RNV: 1}/lag: {RD: 0, RNV: 0}/' "$M" >"$D/dep.yaml"
expect_err run_dependency 2 "dep.yaml:[0-9]+:[0-9]+: .*einsum (RD|RNV) .*runs before its producer|dependency violation.*Einsum (RD|RNV)" "$EINSIM" run --arch fusemax --model bert-base --mapping "$D/dep.yaml"
expect_err run_functional_too_large 2 "functional mode: the interpreter would hold" "$EINSIM" run --arch flat --model bert-base --batch 8 --seq 8192 --functional
