# einsim sweep (docs/sweep.md): points on threads, atomic per-point reports,
# results.csv, resume after a kill, seeded samples, located errors for
# malformed sweep files; einsim compare --diff with tolerance and direction
# rules; sweep --check.
. "$(dirname "$0")/lib.sh"
E=$EINSIM
D=$TMPD
export EINSIM_REPRODUCIBLE=1

cat >"$D/s.yaml" <<'YAML'
name: small
run: {arch: fusemax, model: bert-base, batch: 16, scope: attention}
grid:
  seq: [1024, 4096, 16384]
  set.units.array2d.rows: [64, 128, 256, 512]
  set.units.array2d.cols: [64, 128, 256, 512]
  set.storage.gb.capacity_bytes: [4194304, 67108864]
zip: [[set.units.array2d.rows, set.units.array2d.cols]]
mapping: search
budget: 3000
YAML

# -j 2 and -j 1 give the same files, one row per point
expect_ok sweep_j2 $E sweep "$D/s.yaml" --out "$D/a" -j 2
expect_ok sweep_j1 $E sweep "$D/s.yaml" --out "$D/b" -j1
if [ "$(ls "$D/a/points" | wc -l)" = 24 ] && [ "$(wc -l <"$D/a/results.csv")" = 25 ]; then pass sweep_counts
else fail sweep_counts "$(ls "$D/a/points" | wc -l) points, $(wc -l <"$D/a/results.csv") csv lines"; fi
if diff -r "$D/a/points" "$D/b/points" >/dev/null && cmp -s "$D/a/results.csv" "$D/b/results.csv"; then pass sweep_threads_same
else fail sweep_threads_same "-j 2 and -j 1 differ"; fi
# a point's report is exactly what einsim run gives for it
id=$(awk -F, '$2==4096 && $3==128 && $5==4194304 {print $1}' "$D/a/results.csv")
$E run --arch fusemax --model bert-base --batch 16 --seq 4096 --set units.array2d.rows=128 --set units.array2d.cols=128 \
    --set storage.gb.capacity_bytes=4194304 --json "$D/one.json" >/dev/null 2>&1
if [ -n "$id" ] && [ "$(jq .arch "$D/a/points/$id.json")" = "$(jq .arch "$D/one.json")" ]; then pass sweep_point_is_run
else fail sweep_point_is_run "id '$id'"; fi
# progress only on a terminal: none in a pipe
if ! grep -q "ETA" "$TMPD/err"; then pass sweep_quiet_in_pipe; else fail sweep_quiet_in_pipe "progress in a pipe"; fi

# resume: a rerun runs nothing; a removed point is rerun alone
$E sweep "$D/s.yaml" --out "$D/a" -j 2 2>"$D/re.err"
if grep -q " 0 points ran .* 24 were already done" "$D/re.err"; then pass sweep_rerun_skips
else fail sweep_rerun_skips "$(cat "$D/re.err")"; fi

# kill -9 at some moment, then rerun: every point exactly once, identical to
# the uninterrupted sweep
for attempt in 1 2 3; do
    rm -rf "$D/k"
    $E sweep "$D/s.yaml" --out "$D/k" -j 2 >/dev/null 2>&1 &
    pid=$!
    n=0
    for _ in $(seq 400); do
        n=$(ls "$D/k/points" 2>/dev/null | grep -c '\.json$')
        [ "$n" -ge $((attempt * 4)) ] && break
        sleep 0.01
    done
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    done_before=$(ls "$D/k/points" | grep -c '\.json$')
    [ "$done_before" -lt 24 ] && break
done
$E sweep "$D/s.yaml" --out "$D/k" -j 2 >/dev/null 2>&1
if [ "$done_before" -lt 24 ] && diff -r "$D/a/points" "$D/k/points" >/dev/null && cmp -s "$D/a/results.csv" "$D/k/results.csv"; then
    pass sweep_kill_resume
else fail sweep_kill_resume "killed with $done_before points done; resumed run differs from the uninterrupted one"; fi

# a damaged point file (not a whole report) does not count as finished
id1=$(ls "$D/a/points" | head -1)
head -c 100 "$D/a/points/$id1" >"$D/a/points/$id1.cut" && mv "$D/a/points/$id1.cut" "$D/a/points/$id1"
$E sweep "$D/s.yaml" --out "$D/a" -j 2 2>"$D/re.err"
if grep -q " 1 points ran" "$D/re.err" && cmp -s "$D/a/points/$id1" "$D/b/points/$id1"; then pass sweep_partial_rerun
else fail sweep_partial_rerun "$(cat "$D/re.err")"; fi

# seeded samples: the same subset for the same seed, another for another
printf 'run: {arch: fusemax, model: bert-base, batch: 4}\ngrid:\n  seq: [512, 1024, 2048, 4096]\n  set.units.array2d.rows: [64, 128, 256]\nsamples: 5\nseed: %s\n' 1 >"$D/p1.yaml"
printf 'run: {arch: fusemax, model: bert-base, batch: 4}\ngrid:\n  seq: [512, 1024, 2048, 4096]\n  set.units.array2d.rows: [64, 128, 256]\nsamples: 5\nseed: %s\n' 2 >"$D/p2.yaml"
$E sweep "$D/p1.yaml" --out "$D/p1" 2>/dev/null; $E sweep "$D/p1.yaml" --out "$D/p1b" 2>/dev/null; $E sweep "$D/p2.yaml" --out "$D/p2" 2>/dev/null
if [ "$(ls "$D/p1/points" | wc -l)" = 5 ] && [ "$(ls "$D/p1/points")" = "$(ls "$D/p1b/points")" ] &&
   [ "$(ls "$D/p1/points")" != "$(ls "$D/p2/points")" ]; then pass sweep_samples_seeded
else fail sweep_samples_seeded "$(ls "$D/p1/points" | wc -l) points"; fi

# malformed sweep files: located one-line errors, status 2, no point runs
bad() { # NAME REGEX YAML
    printf '%s\n' "$3" >"$D/$1.yaml"
    expect_err "sweep_bad_$1" 2 "$2" $E sweep "$D/$1.yaml" --out "$D/bad_$1"
    if [ -e "$D/bad_$1" ]; then fail "sweep_bad_$1_nothing_ran" "output folder created"; fi
}
R='run: {arch: fusemax, model: bert-base}'
bad unknown_key "$D/unknown_key.yaml:3:1: key 'gird': unknown key 'gird' \(did you mean 'grid'\?\)" "$R
grid: {seq: [1]}
gird: {seq: [2]}"
bad unknown_opt "$D/unknown_opt.yaml:3:3: key 'grid.sq': unknown key 'sq'" "$R
grid:
  sq: [1024]"
bad empty_grid "$D/empty_grid.yaml:2:7: key 'grid': empty grid" "$R
grid: {}"
bad empty_list "$D/empty_list.yaml:3:8: key 'grid.seq': empty list" "$R
grid:
  seq: []"
bad zip_unequal "$D/zip_unequal.yaml:5:7: key 'zip\[0\]': zipped keys must have lists of equal length" "$R
grid:
  set.units.array2d.rows: [64, 128]
  set.units.array2d.cols: [64]
zip: [[set.units.array2d.rows, set.units.array2d.cols]]"
bad wrong_type "$D/wrong_type.yaml:3:15: key 'grid.seq\[1\]': expected an integer" "$R
grid:
  seq: [1024, many]"
bad bad_set "$D/bad_set.yaml:3:32: .*--set units.array2d.rows=0: key 'units.array2d.rows': expected an integer" "$R
grid:
  set.units.array2d.rows: [64, 0]"
bad bad_path "$D/bad_path.yaml:3:28: .*has no key 'array3d'" "$R
grid:
  set.units.array3d.rows: [64]"
bad bad_arch "$D/bad_arch.yaml:1:13: key 'run.arch'" "run: {arch: fusemx, model: bert-base}
grid: {seq: [1]}"
bad bad_mapping "$D/bad_mapping.yaml:3:10: key 'mapping': expected bundled, search or a mapping file" "$R
grid: {seq: [1]}
mapping: best"
bad scalar_grid "$D/scalar_grid.yaml:3:8: key 'grid.seq': expected a list" "$R
grid:
  seq: 1024"
bad dup_point "two points have the same settings" "$R
grid:
  seq: [1024, 1024]"

# compare --diff: direction rules and tolerance
$E run --arch fusemax --model bert-base --seq 4096 --json "$D/base.json" >/dev/null 2>&1
$E run --arch fusemax --model bert-base --seq 4096 --set memory.bandwidth_Bps=100e9 --json "$D/slow.json" >/dev/null 2>&1
$E compare --diff "$D/base.json" "$D/slow.json" >"$D/d.out"; rc=$?
if [ $rc = 1 ] && grep -q "^  regressed latency_s" "$D/d.out" && grep -q "^  label     arch" "$D/d.out" &&
   grep -q "^  improved  units.dram.utilization" "$D/d.out"; then pass compare_regression
else fail compare_regression "exit $rc: $(head -c 300 "$D/d.out")"; fi
jq '.cycles = .cycles / 2 | .latency_s = .latency_s / 2' "$D/base.json" >"$D/fast.json"
$E compare --diff "$D/base.json" "$D/fast.json" >"$D/d.out"; rc=$?
if [ $rc = 0 ] && grep -q "improved  latency_s" "$D/d.out" && grep -q "0 regressed, 0 changed, 2 improved" "$D/d.out"; then pass compare_improvement_exit0
else fail compare_improvement_exit0 "exit $rc: $(head -c 300 "$D/d.out")"; fi
expect_ok compare_tolerance $E compare --diff "$D/base.json" "$D/slow.json" --tolerance 3
# per-Einsum fields by name; simulation.* only when asked
$E run --arch fusemax --model bert-base --seq 8192 --json "$D/long.json" >/dev/null 2>&1
$E compare --diff "$D/base.json" "$D/long.json" --csv "$D/d.csv" >"$D/d.out"
if grep -q "einsums.BQK.cycles" "$D/d.out" && ! grep -q "^  .* simulation\." "$D/d.out" &&
   head -1 "$D/d.csv" | grep -q "^report,field,a,b,relative_change,verdict$"; then pass compare_einsum_names_csv
else fail compare_einsum_names_csv "$(head -c 300 "$D/d.out")"; fi
$E compare --diff "$D/base.json" "$D/long.json" --simulation >"$D/d.out"
if grep -q "simulation.simulated_cycles" "$D/d.out" && ! grep -q "wall_s" "$D/d.out"; then pass compare_simulation_asked
else fail compare_simulation_asked "$(head -c 300 "$D/d.out")"; fi
expect_err compare_bad_tolerance 2 "tolerance" $E compare --diff "$D/base.json" "$D/long.json" --tolerance -1

# sweep --check: same points pass; an expected report that was faster fails
expect_ok sweep_check_same $E sweep "$D/s.yaml" --out "$D/b" --check "$D/a"
cp -r "$D/a" "$D/exp"
jq '.cycles = .cycles / 2' "$D/exp/points/$id.json" >"$D/x" && mv "$D/x" "$D/exp/points/$id.json"
$E sweep "$D/s.yaml" --out "$D/b" --check "$D/exp" >"$D/c.out" 2>/dev/null; rc=$?
if [ $rc = 1 ] && grep -q "point $id .*1 regressed" "$D/c.out" && grep -q "REGRESSED" "$D/c.out"; then pass sweep_check_regression
else fail sweep_check_regression "exit $rc: $(head -c 300 "$D/c.out")"; fi
expect_ok sweep_check_tolerance $E sweep "$D/s.yaml" --out "$D/b" --check "$D/exp" --tolerance 1.01

# --pareto: the column matches an independent computation of the fronts
# (per workload, lower latency and energy), and the plot is a PNG
expect_ok sweep_pareto $E sweep --pareto latency_s,energy_pj "$D/a"
r=$(python3 - "$D/a/results.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
key = lambda r: (r['model'], r['phase'], r['scope'], r['batch'], r['seq'])
ok = len(rows) == 24
for r in rows:
    x, y = float(r['latency_s']), float(r['energy_pj'])
    dom = any(key(o) == key(r) and float(o['latency_s']) <= x and float(o['energy_pj']) <= y and
              (float(o['latency_s']) < x or float(o['energy_pj']) < y) for o in rows)
    ok &= r['pareto'] == ('0' if dom else '1')
print(ok and sum(r['pareto'] == '1' for r in rows) >= 3)
PY
)
if [ "$r" = True ] && head -c 4 "$D/a/pareto.png" | grep -q PNG; then pass sweep_pareto_front
else fail sweep_pareto_front "front differs from the definition or no PNG"; fi
expect_err sweep_pareto_bad_col 2 "has no column 'latency'" $E sweep --pareto latency,energy_pj "$D/a"

# --hosts: GNU parallel over an ssh login file (':' is this machine, 2 jobs)
echo "2/:" >"$D/hosts"
$E sweep "$D/s.yaml" --out "$D/h" --hosts "$D/hosts" --chunks 5 >/dev/null 2>&1; rc=$?
if [ $rc = 0 ] && diff -r "$D/b/points" "$D/h/points" >/dev/null && cmp -s "$D/b/results.csv" "$D/h/results.csv"; then
    pass sweep_hosts_parallel
else fail sweep_hosts_parallel "exit $rc, results differ from the in-process sweep"; fi

# --set on the sweep command line: every point, checked before any runs
$E sweep "$D/p1.yaml" --out "$D/cs" --set storage.gb.capacity_bytes=4194304 2>/dev/null
if [ "$(ls "$D/cs/points" | wc -l)" = 5 ] && grep -q "storage.gb.capacity_bytes=4194304\]" "$D/cs/results.csv"; then pass sweep_cli_set
else fail sweep_cli_set "$(head -2 "$D/cs/results.csv" 2>/dev/null)"; fi
expect_err sweep_cli_set_bad 2 "^einsim: --set storage.gb.capacity_bytes=0: key 'storage.gb.capacity_bytes'" \
    $E sweep "$D/p1.yaml" --out "$D/cs2" --set storage.gb.capacity_bytes=0
