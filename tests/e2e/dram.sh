# einsim dram: the memory system alone through the CLI (sim/dram, docs/dram.md).
. "$(dirname "$0")/lib.sh"
E=$EINSIM
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export EINSIM_REPRODUCIBLE=1

# jget FILE KEY.PATH: one number from a JSON report
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): j=j[k]
print(j)" "$1" "$2"; }

# Streaming reads reach >= 90 % of peak; the checker finds nothing.
for s in gddr6 hbm2 ddr4; do
    if "$E" dram --spec $s --traffic stream --requests 50000 --json "$TMPD/$s.json" >/dev/null 2>"$TMPD/err"; then
        f=$(python3 -c "import json; j=json.load(open('$TMPD/$s.json'))['dram']; print(j['achieved_bytes_per_s']/j['peak_bytes_per_s'])")
        v=$(jget "$TMPD/$s.json" dram.timing_violations)
        if python3 -c "import sys; sys.exit(0 if $f >= 0.90 and $v == 0 else 1)"; then pass "stream-peak-$s ($f)"
        else fail "stream-peak-$s" "fraction of peak $f, violations $v"; fi
    else fail "stream-peak-$s" "$(head -c 300 "$TMPD/err")"; fi
done

# Random reads, one in flight, closed row, no refresh: the mean latency is the
# closed form tRCD + CL + nBL + max(0, X - (tRCD + CL + nBL)) / B, X =
# max(tRC, tRAS + tRP, tRCD + tRTP + tRP), B = channels x ranks x banks
# (the chance that a request hits the previous one's bank); docs/dram.md.
for s in gddr6 hbm2 ddr4; do
    sed -e 's/row_policy: open/row_policy: closed/' -e 's/refresh: allbank/refresh: none/' \
        "$ROOT/sim/dram/$s.yaml" >"$TMPD/$s-closed.yaml"
    if "$E" dram --spec "$TMPD/$s-closed.yaml" --traffic random --requests 40000 --outstanding 1 --seed 3 \
        --json "$TMPD/r.json" >/dev/null 2>"$TMPD/err"; then
        got=$(jget "$TMPD/r.json" dram.read_latency_mean_cycles)
        want=$(python3 - "$TMPD/$s-closed.yaml" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def v(k): return int(re.search(r'^\s+%s:\s*(-?\d+)' % k, t, re.M).group(1))
base = v('tRCD') + v('CL') + v('nBL')
X = max(v('tRC'), v('tRAS') + v('tRP'), v('tRCD') + v('tRTP') + v('tRP'))
B = v('channels') * v('ranks') * v('bankgroups') * v('banks_per_group')
print(base + max(0, X - base) / B)
PY
)
        if python3 -c "import sys; sys.exit(0 if abs($got - $want) <= 0.01 * $want else 1)"; then
            pass "random-latency-closed-form-$s ($got vs $want cycles)"
        else fail "random-latency-closed-form-$s" "mean $got cycles, closed form $want"; fi
    else fail "random-latency-closed-form-$s" "$(head -c 300 "$TMPD/err")"; fi
done

# Mixed random traffic on every bundled set: no violation, fields present.
for s in gddr6 gddr6-aim hbm2 hbm3 ddr4; do
    if "$E" dram --spec $s --traffic random --requests 20000 --read-ratio 0.6 --json "$TMPD/m.json" >/dev/null 2>"$TMPD/err" &&
        python3 - "$TMPD/m.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
d = j['dram']
assert d['timing_violations'] == 0
for k in ('cycles', 'latency_s', 'energy_pj'): assert j[k] > 0, k
for k in ('bytes_read', 'bytes_written', 'peak_bytes_per_s', 'achieved_bytes_per_s'): assert d[k] > 0, k
assert 0 <= d['row_hit_rate'] <= 1
assert d['commands']['ACT'] > 0 and d['commands']['RD'] + d['commands']['WR'] == 20000
assert d['energy_form'] in ('idd', 'pjbit')
assert 'wall_s' in j['simulation']
PY
    then pass "random-mixed-$s"; else fail "random-mixed-$s" "$(head -c 300 "$TMPD/err")"; fi
done

# Determinism: same seed, byte-identical report.
"$E" dram --spec hbm2 --traffic random --requests 5000 --read-ratio 0.5 --seed 7 --json "$TMPD/d1.json" >/dev/null 2>&1
"$E" dram --spec hbm2 --traffic random --requests 5000 --read-ratio 0.5 --seed 7 --json "$TMPD/d2.json" >/dev/null 2>&1
if cmp -s "$TMPD/d1.json" "$TMPD/d2.json"; then pass "deterministic"; else fail "deterministic" "reports differ"; fi

# A trace file.
printf '# cycle R|W address\n0 R 0x0\n0 R 0x40\n10 W 4096\n500 R 0x1000  # same row as the write\n' >"$TMPD/t.trace"
expect_ok trace-file "$E" dram --spec ddr4 --traffic "$TMPD/t.trace" --json "$TMPD/t.json"
[ "$(jget "$TMPD/t.json" dram.bytes_written)" = 64 ] && pass trace-bytes || fail trace-bytes "$(cat "$TMPD/t.json" | head -c 300)"

# Bad input: located one-line errors, status 2.
printf '0 R 0x0\n3 Q 0x40\n' >"$TMPD/bad.trace"
expect_err bad-trace-op 2 'bad.trace:2:3: expected R or W' "$E" dram --spec ddr4 --traffic "$TMPD/bad.trace"
printf '5 R 0x0\n3 R 0x40\n' >"$TMPD/bad2.trace"
expect_err bad-trace-order 2 'bad2.trace:2:1: .*non-decreasing' "$E" dram --spec ddr4 --traffic "$TMPD/bad2.trace"
bad_spec() { # NAME SED REGEX
    sed -e "$2" "$ROOT/sim/dram/gddr6.yaml" >"$TMPD/$1.yaml"
    expect_err "spec-$1" 2 "$3" "$E" dram --spec "$TMPD/$1.yaml" --traffic stream --requests 10
}
bad_spec negative 's/  tRP: 27/  tRP: -1/' "negative.yaml:[0-9]+:[0-9]+: key 'timing.tRP'"
bad_spec trc 's/  tRC: 80 /  tRC: 60 /' "trc.yaml:[0-9]+:[0-9]+: key 'timing.tRC'.*tRAS \\+ tRP"
bad_spec zerobanks 's/  banks_per_group: 4/  banks_per_group: 0/' "zerobanks.yaml:[0-9]+:[0-9]+: key 'organization.banks_per_group'"
bad_spec rowburst 's/  row_bytes: 2048/  row_bytes: 2000/' "rowburst.yaml:[0-9]+:[0-9]+: key 'organization.row_bytes'.*multiple of the burst"
expect_err unknown-spec 2 'ddr4.*gddr6' "$E" dram --spec nosuch --traffic stream
expect_err bad-traffic 2 'nofile' "$E" dram --spec ddr4 --traffic nofile
expect_err bad-ratio 2 'read-ratio' "$E" dram --spec ddr4 --traffic random --read-ratio 2

# memory.kind: device on a spatial array: FuseMax decode (bound by the KV-cache
# stream) on two HBM2 stacks is never faster than a bandwidth model at the
# same 512 GB/s peak, and within its refresh share plus row overheads of it.
sed -e 's/^name: fusemax$/name: fusemax-512\nmapping: fusemax/' -e 's/^  bandwidth_Bps: .*/  bandwidth_Bps: 512e9/' \
    "$ROOT/sim/arch/fusemax.yaml" >"$TMPD/fusemax-512.yaml"
dec="--model gpt2-small --phase decode --prompt 512 --gen 8 --batch 16 --scope attention"
if "$E" run --arch fusemax-hbm2 $dec --json "$TMPD/dev.json" >/dev/null 2>"$TMPD/err" &&
    "$E" run --arch "$TMPD/fusemax-512.yaml" $dec --json "$TMPD/bw.json" >/dev/null 2>>"$TMPD/err"; then
    r=$(python3 -c "import json; print(json.load(open('$TMPD/dev.json'))['cycles'] / json.load(open('$TMPD/bw.json'))['cycles'])")
    u=$(jget "$TMPD/bw.json" units.dram.utilization)
    if python3 -c "import sys; sys.exit(0 if 1.0 <= $r <= 1.25 and $u > 0.95 else 1)"; then pass "device-vs-bandwidth-decode ($r, memory-bound: DRAM busy $u)"
    else fail "device-vs-bandwidth-decode" "device / bandwidth cycles = $r, DRAM busy $u"; fi
else fail "device-vs-bandwidth-decode" "$(head -c 300 "$TMPD/err")"; fi
sed 's/spec: hbm2 /spec: hbm9 /' "$ROOT/sim/arch/fusemax-hbm2.yaml" >"$TMPD/badarch.yaml"
expect_err device-bad-spec 2 "badarch.yaml:[0-9]+:[0-9]+: key 'memory.spec'" \
    "$E" run --arch "$TMPD/badarch.yaml" --model bert-base --seq 1024

# Mutated timing sets and traces: exit 0 or 2, at most one stderr line, no
# crash or hang (seeded, bounded).
python3 - "$ROOT/sim/dram/gddr6.yaml" "$TMPD" <<'PY'
import random, sys
src = open(sys.argv[1]).read()
r = random.Random(5)
for i in range(40):
    s = list(src)
    for _ in range(r.randint(1, 3)):
        k = r.randrange(len(s))
        op = r.randrange(4)
        if op == 0: del s[k]
        elif op == 1: s[k] = r.choice('0123456789-:x ]\n')
        elif op == 2: s.insert(k, r.choice('9' * 5 + '-'))
        else: s[k:k] = list('999999999999')
    open('%s/mut%02d.yaml' % (sys.argv[2], i), 'w').write(''.join(s))
lines = ['0 R 0x0', '1 W 64', '2 R 4096', '3 W 0x100000']
for i in range(20):
    t = '\n'.join(lines)
    t = list(t)
    k = r.randrange(len(t))
    t[k:k] = list(r.choice(['Z', '-', '0x', '99999999999999999999999', ' ', '\n', '#', 'W']))
    open('%s/mut%02d.trace' % (sys.argv[2], i), 'w').write(''.join(t))
PY
bad=0
for f in "$TMPD"/mut*.yaml; do
    timeout 20 "$E" dram --spec "$f" --traffic random --requests 200 >/dev/null 2>"$TMPD/err"; rc=$?
    if { [ $rc -ne 0 ] && [ $rc -ne 2 ]; } || [ "$(wc -l <"$TMPD/err")" -gt 1 ]; then bad=$((bad + 1)); echo "  $f: exit $rc $(head -c 200 "$TMPD/err")"; fi
done
for f in "$TMPD"/mut*.trace; do
    timeout 20 "$E" dram --spec ddr4 --traffic "$f" >/dev/null 2>"$TMPD/err"; rc=$?
    if { [ $rc -ne 0 ] && [ $rc -ne 2 ]; } || [ "$(wc -l <"$TMPD/err")" -gt 1 ]; then bad=$((bad + 1)); echo "  $f: exit $rc $(head -c 200 "$TMPD/err")"; fi
done
[ $bad -eq 0 ] && pass "mutated-specs-and-traces" || fail "mutated-specs-and-traces" "$bad cases crashed, hung or printed more than one line"

# fusemax-hbm2 names fusemax's template (arch key `mapping:`): no copy to keep in step.
if "$E" map --arch fusemax-hbm2 --model bert-base --seq 1024 --batch 64 --budget 0 --json "$TMPD/hm.json" >/dev/null 2>"$TMPD/err" &&
    [ "$(jq -r '.mapping.arch // empty' "$TMPD/hm.json")" != "" ]; then pass "fusemax-hbm2-runs-fusemax-template"
else fail "fusemax-hbm2-runs-fusemax-template" "$(head -c 300 "$TMPD/err")"; fi
