# einsim map: the FuseMax mapping's properties (paper §V Mapping 1), round trip of
# mapping files, determinism, and located errors for bad specs.
. "$(dirname "$0")/lib.sh"
TMP=$TMPD  # per-run scratch folder (lib.sh); was unset, so runs shared /f.json

jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# P1 (the gb-level p factor) and DRAM traffic = (Q + AV + (K+V) * P2) * 2 B
for pt in "bert-base 1024 4" "bert-base 4096 16" "bert-base 16384 64" "trxl-wt103 65536 128" "xlm 65536 64"; do
    set -- $pt
    m=$1 n=$2 want=$3
    if "$EINSIM" map --arch fusemax --model "$m" --seq "$n" --batch 64 --budget 0 --json "$TMPD/f.json" >/dev/null 2>"$TMPD/err"; then
        got=$(jget "$TMPD/f.json" "[l for l in d['mapping']['cascades'][0]['groups'][0]['nest'] if l['level']=='gb'][0]['loops'][0]['factor']")
        if [ "$got" = "$want" ]; then pass "map_p1_${m}_$n"; else fail "map_p1_${m}_$n" "P1 $got, expected $want"; fi
        ok=$(jget "$TMPD/f.json" "(lambda r,h: d['dram_bytes'] == 64*h*(r['p']*r['e']+r['p']*r['f']+(r['m']*r['e']+r['m']*r['f'])*(r['p']//256//$want))*2)(d['mapping']['cascades'][0]['ranks'], d['mapping']['cascades'][0]['repeat']//64)")
        if [ "$ok" = "True" ]; then pass "map_traffic_${m}_$n"; else fail "map_traffic_${m}_$n" "dram_bytes does not follow Q + AV + (K+V) P2"; fi
    else
        fail "map_p1_${m}_$n" "$(head -c 300 "$TMPD/err")"
    fi
done

# searched mapping: within 2% of the bundled one, deterministic, round trip
expect_ok map_search "$EINSIM" map --arch fusemax --model bert-base --seq 4096 --batch 64 --budget 4000 --seed 3 -o "$TMPD/a.yaml" --json "$TMPD/s.json"
r=$(jget "$TMPD/s.json" "d['cycles'] <= 1.02 * d['bundled']['cycles']")
if [ "$r" = "True" ]; then pass map_search_vs_bundled; else fail map_search_vs_bundled "searched latency above 1.02x bundled"; fi
"$EINSIM" map --arch fusemax --model bert-base --seq 4096 --batch 64 --budget 4000 --seed 3 -o "$TMPD/b.yaml" >/dev/null 2>&1
if cmp -s "$TMPD/a.yaml" "$TMPD/b.yaml"; then pass map_deterministic; else fail map_deterministic "same seed, different mapping"; fi
expect_ok map_read_back "$EINSIM" map --arch fusemax --model bert-base --seq 4096 --batch 64 --mapping "$TMPD/a.yaml" -o "$TMPD/c.yaml" --json "$TMPD/c.json"
if cmp -s "$TMPD/a.yaml" "$TMPD/c.yaml"; then pass map_round_trip; else fail map_round_trip "written mapping changed on read-back"; fi
r=$(python3 -c "import json; a=json.load(open('$TMPD/s.json')); c=json.load(open('$TMPD/c.json')); print(a['cycles']==c['cycles'] and a['energy_pj']==c['energy_pj'])")
if [ "$r" = "True" ]; then pass map_round_trip_cost; else fail map_round_trip_cost "re-read mapping costs differently"; fi
expect_ok map_json_stdout sh -c "\"$EINSIM\" map --arch flat --model t5-small --seq 1024 --batch 64 --scope layer --budget 0 --json - 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"utilization\"][\"array1d\"] > 0 and \"lower_bounds\" in d'"

# bad input: one located line, status 2
expect_err map_unknown_arch 2 "arch.*nope" "$EINSIM" map --arch nope --model bert-base --seq 1024
expect_err map_wrong_seq 2 "made for seq 4096" "$EINSIM" map --arch fusemax --model bert-base --seq 1024 --batch 64 --mapping "$TMPD/a.yaml"
sed 's/granularity:/granulrity:/' "$TMPD/a.yaml" >"$TMPD/bad1.yaml"
expect_err map_misspelled_key 2 "bad1.yaml:[0-9]+:[0-9]+: .*did you mean" "$EINSIM" map --arch fusemax --model bert-base --seq 4096 --batch 64 --mapping "$TMPD/bad1.yaml"
sed 's/arch: fusemax/arch: flat/' "$TMPD/a.yaml" >"$TMPD/bad2.yaml"
expect_err map_unsupported_op 2 "needs op '(max|exp)', which unit 'array2d' does not support" "$EINSIM" map --arch flat --model bert-base --seq 4096 --batch 64 --mapping "$TMPD/bad2.yaml"
sed 's/BQK: array2d/BQK: array7d/' "$TMPD/a.yaml" >"$TMPD/bad3.yaml"
expect_err map_unknown_unit 2 "unknown unit 'array7d'" "$EINSIM" map --arch fusemax --model bert-base --seq 4096 --batch 64 --mapping "$TMPD/bad3.yaml"
python3 - "$TMPD/a.yaml" "$TMPD/bad4.yaml" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
# keep every row of a head on chip at once: P1 = P/256, P2 = 1
t = re.sub(r"\[p, \d+\], \[m1", "[p, 1], [m1", t, count=1)
t = re.sub(r"level: gb\n            loops: \[\[p, \d+\]", "level: gb\n            loops: [[p, 16]", t, count=1)
t = t.replace("[rep, 768]", "[rep, 1]").replace("level: gb\n            loops: [[p, 16]", "level: gb\n            loops: [[rep, 768], [p, 16]", 1)
open(sys.argv[2], "w").write(t)
PY
expect_err map_buffer_overflow 2 "infeasible: .*needs [0-9]+ bytes of buffer 'gb'" "$EINSIM" map --arch fusemax --model bert-base --seq 4096 --batch 64 --mapping "$TMPD/bad4.yaml"
