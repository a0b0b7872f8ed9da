#!/bin/sh
# Distance of the analytical cost model (einsim map --budget 0) from the
# simulator (einsim run) on the bundled mappings: cycles, energy and DRAM
# bytes, model / simulator.  Energy of both goes through one function
# (mapper/account.h), so where the counts agree the ratio is 1 exactly.
# usage: sh experiments/fusemax-sim/model_vs_sim.sh [path/to/einsim] [scope]   (needs jq)
set -e
EINSIM=${1:-build/bin/einsim}
SCOPE=${2:-attention}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "| arch | point | cycles model/sim | energy model/sim | DRAM model/sim |"
echo "|---|---|---|---|---|"
for arch in fusemax flat unfused fusemax-cascade fusemax-arch; do
  for pt in "bert-base 4096" "xlm 65536"; do
    set -- $pt
    "$EINSIM" map --arch "$arch" --model "$1" --seq "$2" --batch 64 --scope "$SCOPE" --budget 0 --json "$TMP/m.json" >/dev/null
    "$EINSIM" run --arch "$arch" --model "$1" --seq "$2" --batch 64 --scope "$SCOPE" --json "$TMP/r.json" >/dev/null
    jq -r -n --slurpfile m "$TMP/m.json" --slurpfile r "$TMP/r.json" --arg a "$arch" --arg p "$1 $2" \
      '"| \($a) | \($p) | \($m[0].cycles / $r[0].cycles * 100000 | round / 100000) | \($m[0].energy_pj / $r[0].energy_pj * 1000000 | round / 1000000) | \(($m[0].dram_read_bytes + $m[0].dram_write_bytes) / ($r[0].dram.bytes_read + $r[0].dram.bytes_written) * 10000 | round / 10000) |"'
  done
done
