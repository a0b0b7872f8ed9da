# Mapper speed (issue 4): mappings evaluated per second on one core (the
# search's own count over its wall time; aim >= 100k/s) and the wall time of
# `einsim map` (searched, default budget) over the 24 FuseMax points (aim
# < 10 s).  Figures are printed, never asserted.
: "${EINSIM:?EINSIM must be set}"
# einsim links OpenBLAS, whose idle threads spin in sched_yield; the mapper
# itself is single-threaded, so measure it on one core.
export OPENBLAS_NUM_THREADS=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
start=$(date +%s.%N)
for m in bert-base trxl-wt103 t5-small xlm; do
    for n in 1024 4096 16384 65536 262144 1048576; do
        "$EINSIM" map --arch fusemax --model $m --seq $n --batch 64 --json "$T/$m-$n.json" >/dev/null || echo "map failed: $m $n"
    done
done
end=$(date +%s.%N)
python3 - "$T" "$start" "$end" <<'PY'
import glob, json, sys
d, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ev = wall = pr = 0.0
for f in glob.glob(d + "/*.json"):
    j = json.load(open(f))["search"]
    ev += j["evaluated"]
    pr += j["pruned"]
    wall += j["wall_s"]
print("mapper: %d points, %.0f mappings costed in %.3f s of search: %.0f mappings/s (one core; aim >= 100000)"
      % (len(glob.glob(d + "/*.json")), ev, wall, ev / wall if wall else 0))
print("mapper: %.0f more candidates pruned before costing (buffer overflow, no distinct point): %.0f candidates/s in all"
      % (pr, (ev + pr) / wall if wall else 0))
print("mapper: einsim map over the 24 FuseMax points (attention, budget 20000 each): %.2f s wall (aim < 10 s)"
      % (end - start))
PY
