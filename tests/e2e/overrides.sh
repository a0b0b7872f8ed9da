# --set KEY.PATH=VALUE on run and map (docs/sweep.md "Overrides"), and
# mappings that follow the architecture (`unit` spatial factors, m0 = rows,
# PE utilization against the arch's real size).
. "$(dirname "$0")/lib.sh"
E=$EINSIM
W="--model bert-base --seq 4096 --batch 64"

# an override is recorded and labels the report; the bundled mapping is found
expect_ok set_run $E run --arch fusemax $W --set units.array2d.rows=128 --set storage.gb.capacity_bytes=4194304 --json "$TMPD/s.json"
if [ "$(jq -r .arch "$TMPD/s.json")" = "fusemax[units.array2d.rows=128;storage.gb.capacity_bytes=4194304]" ] &&
   [ "$(jq -r '.overrides["units.array2d.rows"]' "$TMPD/s.json")" = 128 ]; then pass set_label
else fail set_label "arch '$(jq -r .arch "$TMPD/s.json")'"; fi

# checked as if written in the YAML: located one-line errors, status 2
expect_err set_bad_value 2 "^einsim: --set units.array2d.rows=0: key 'units.array2d.rows': expected an integer" \
    $E run --arch fusemax $W --set units.array2d.rows=0
expect_err set_bad_type 2 "^einsim: --set clock_hz=fast: key 'clock_hz'" $E run --arch fusemax $W --set clock_hz=fast
expect_err set_unknown_mid 2 "has no key 'array3d' \(it has: array2d, array1d\)" \
    $E run --arch fusemax $W --set units.array3d.rows=1
expect_err set_unknown_last 2 "unknown key 'rowz' \(did you mean 'rows'\?\)" $E run --arch fusemax $W --set units.array2d.rowz=1
expect_err set_not_scalar 2 "is a mapping; --set changes one scalar field" $E run --arch fusemax $W --set units.array2d=1
expect_err set_no_equals 2 "expected PATH=VALUE" $E run --arch fusemax $W --set units.array2d.rows
expect_err set_map_bad 2 "^einsim: --set storage.gb.capacity_bytes=-1" $E map --arch fusemax $W --set storage.gb.capacity_bytes=-1

# same design twice: byte-identical reports; different designs: different labels
EINSIM_REPRODUCIBLE=1 $E run --arch fusemax $W --set units.array2d.rows=512 --set units.array2d.cols=512 \
    --set units.array1d.cols=512 --json "$TMPD/512.json" >/dev/null 2>&1
EINSIM_REPRODUCIBLE=1 $E run --arch fusemax $W --json "$TMPD/256.json" >/dev/null 2>&1
c512=$(jq .cycles "$TMPD/512.json"); c256=$(jq .cycles "$TMPD/256.json")
# the template follows the array: a 512x512 array (and 512-wide 1D array)
# runs 512-wide tiles, so attention takes well under half the cycles
if [ -n "$c512" ] && awk -v a="$c512" -v b="$c256" 'BEGIN{exit !(a < 0.5 * b)}'; then pass unit_factor_follows_arch
else fail unit_factor_follows_arch "512: $c512 cycles, 256: $c256"; fi
# a 512-wide 2D array beside a 256-wide 1D array: p tiles of 256, half the
# 2D array's PEs idle, which PE utilization shows and busy time does not
$E run --arch fusemax $W --set units.array2d.rows=512 --set units.array2d.cols=512 --json "$TMPD/half.json" >/dev/null 2>&1
pu=$(jq '.units.array2d.pe_utilization' "$TMPD/half.json"); bu=$(jq '.units.array2d.utilization' "$TMPD/half.json")
if awk -v p="$pu" -v b="$bu" 'BEGIN{exit !(p < 0.55 * b && p > 0.4)}'; then pass pe_utilization_real_size
else fail pe_utilization_real_size "pe $pu busy $bu"; fi

# a template with a fixed spatial factor larger than the arch's array is rejected
sed 's/\[p, unit, cols\]/[p, 256, cols]/' "$(dirname "$0")/../../mapper/mappings/fusemax.yaml" >"$TMPD/fixed.yaml"
expect_err fixed_factor_too_big 2 "spatial factor 256 of rank p exceeds the 128 cols of arch 'fusemax' \(write 'unit'" \
    $E run --arch fusemax $W --set units.array2d.cols=128 --mapping "$TMPD/fixed.yaml"

# einsim map never returns a mapping slower than the bundled one
for seq in 4096 65536; do
    $E map --arch fusemax --model bert-base --seq $seq --batch 64 --set units.array2d.rows=128 \
        --set units.array2d.cols=128 --set storage.gb.capacity_bytes=4194304 --budget 300 --json "$TMPD/m.json" >/dev/null 2>&1
    if jq -e '.latency_s != null and (.bundled == null or .latency_s <= .bundled.latency_s * (1 + 1e-12))' "$TMPD/m.json" >/dev/null; then
        pass "map_not_slower_$seq"
    else fail "map_not_slower_$seq" "searched $(jq .latency_s "$TMPD/m.json") bundled $(jq .bundled.latency_s "$TMPD/m.json")"; fi
done
