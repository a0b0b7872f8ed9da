#!/bin/bash
# --sparsity weight forms through einsim run / map (2:4, blockRxC:S,
# unstructured:S, alone or with --quant): bad forms and levels are one
# located line (status 2); the report names each Einsum's format and
# sparsity; a block-skipping arch runs the linear layers faster, others
# dense, both reading the compressed bytes; docs/reports.md's measured
# table is what the simulator gives.
. "$(dirname "$0")/lib.sh"
export EINSIM_REPRODUCIBLE=1
rd() { python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['dram']['bytes_read']))" "$1"; }
# bad levels, forms, a block that does not divide a weight, a block factor
# below 1 (attention forms and the 2:4 key: tests/e2e/quant-path.sh)
S="--model gpt2-small --seq 64 --scope layer"
expect_err sparsity-level 2 "^einsim: run: --sparsity 'block4x1:1.0': sparsity '1.0'; expected a fraction in \[0, 1\)" \
    "$EINSIM" run --arch fusemax-sparse $S --sparsity block4x1:1.0
expect_err sparsity-malformed 2 "^einsim: map: --sparsity 'block4x:0.5': unknown form" \
    "$EINSIM" map --arch fusemax-sparse $S --sparsity block4x:0.5
expect_err sparsity-divide 2 "^einsim: .*--sparsity 'block5x1:0.5': linear q_proj's weight is 768 x 768 \(outputs x inputs\); block 5x1 does not divide it" \
    "$EINSIM" run --arch fusemax-sparse $S --sparsity block5x1:0.5
expect_err sparsity-arch-block-factor 2 "units.array2d.sparse.block4x1.*expected a MAC-throughput factor of at least 1" \
    "$EINSIM" run --arch fusemax-sparse --set 'units.array2d.sparse.block4x1=0.5' --model gpt2-small --seq 64
# int8 + block4x1:0.8: the report names the run's and each Einsum's format and
# sparsity; fusemax-sparse runs the linear layers on its block-skipping array,
# fusemax (no sparse key) runs them dense; both read the same bytes
js() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); l=[x for x in r['einsums'] if x['name'].endswith('.Y')]; print(r['quant'], r['sparsity'], int(r['dram']['bytes_read']), sorted(set(x['format']+'/'+x['sparsity'] for x in l)), sum(x['cycles'] for x in l))" "$1"; }
"$EINSIM" run --arch fusemax-sparse $S --quant int8 --sparsity block4x1:0.8 --json "$TMPD/bs.json" >/dev/null 2>&1
"$EINSIM" run --arch fusemax $S --quant int8 --sparsity block4x1:0.8 --json "$TMPD/bd.json" >/dev/null 2>&1
"$EINSIM" run --arch fusemax $S --quant int8 --json "$TMPD/q8.json" >/dev/null 2>&1
read -r q s rd f c <<<"$(js "$TMPD/bs.json" | tr -d "[]',")"
read -r q2 s2 rd2 f2 c2 <<<"$(js "$TMPD/bd.json" | tr -d "[]',")"
read -r _ _ rd3 _ c3 <<<"$(js "$TMPD/q8.json" | tr -d "[]',")"
if [ "$q/$s/$f" = "int8/block4x1:0.8/int8/block4x1:0.8" ] && [ "$f2" = "int8/dense" ]; then pass sparsity-report-fields
else fail sparsity-report-fields "sparse arch: $q $s $f; dense arch: $f2"; fi
if [ -n "$rd" ] && [ "$rd" = "$rd2" ] && [ "$rd" -lt "$rd3" ] && [ "$c2" = "$c3" ] && [ "$((c * 4))" -le "$c2" ]; then
    pass sparsity-block-bytes-cycles
else fail sparsity-block-bytes-cycles "bytes $rd / $rd2 / int8 dense $rd3, linear cycles $c / $c2 / $c3"; fi
# map costs the same combination and says so per Einsum
"$EINSIM" map --arch fusemax-sparse $S --quant int8 --sparsity 2:4 --json "$TMPD/m.json" >/dev/null 2>&1
m=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['sparsity'], sorted(set(x['sparsity'] for x in r['einsums'] if x['name']=='Y')))" "$TMPD/m.json" 2>&1)
if [ "$m" = "2:4 ['2:4']" ]; then pass sparsity-map-einsums; else fail sparsity-map-einsums "$m"; fi
# a mapping file written by map -o runs with the workload's storage: run
# --mapping F reads the bytes map costed for it (the file holds no format)
"$EINSIM" map --arch fusemax-sparse $S --quant int8 --sparsity block4x1:0.8 -o "$TMPD/mf.yaml" --json "$TMPD/mf.json" >/dev/null 2>&1
"$EINSIM" run --arch fusemax-sparse $S --quant int8 --sparsity block4x1:0.8 --mapping "$TMPD/mf.yaml" --json "$TMPD/rf.json" >/dev/null 2>&1
mb=$(python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['dram_read_bytes']))" "$TMPD/mf.json" 2>&1)
rb=$(rd "$TMPD/rf.json" 2>&1)
if [ -n "$mb" ] && [ "$mb" = "$rb" ] && [ "$rb" -lt "$rd3" ]; then pass sparsity-mapping-file
else fail sparsity-mapping-file "map costed $mb, run --mapping read $rb (int8 dense $rd3)"; fi
# docs/reports.md's measured table of quant + sparsity runs is what the
# simulator gives now (a doc cannot keep a figure the code no longer gives)
doc=$(dirname "$0")/../../docs/reports.md
python3 - "$doc" "$EINSIM" >"$TMPD/doc" 2>&1 <<'PY'
import json, re, shlex, subprocess, sys
text = open(sys.argv[1]).read()
block = text[text.index("Measured (`einsim run --model gpt2-small --scope layer`"):]
rows = [l for l in block.split("\n\n")[1].splitlines() if l.startswith("| `")]
bad = 0
for l in rows:
    cells = [c.strip() for c in l.strip("|").split("|")]
    run, opts = cells[0].strip("`"), "" if cells[1] == "none" else cells[1].strip("`")
    cmd = [sys.argv[2], "run", "--arch", "fusemax-sparse", "--model", "gpt2-small", "--scope", "layer",
           *shlex.split(run), *shlex.split(opts), "--json", "-"]
    r = json.loads(subprocess.run(cmd, capture_output=True, text=True).stdout)
    lin = sum(x["cycles"] for x in r["einsums"] if x["name"].endswith(".Y"))
    got = [str(r["cycles"]), str(int(r["dram"]["bytes_read"])), str(lin)]
    if got != cells[2:5]:
        bad += 1
        print("row", run, opts, "doc", cells[2:5], "now", got)
print(len(rows), "rows,", bad, "differ")
PY
if grep -q "^7 rows, 0 differ" "$TMPD/doc"; then pass sparsity-doc-table; else fail sparsity-doc-table "$(tr '\n' ' ' <"$TMPD/doc" | head -c 400)"; fi
