#!/bin/sh
# `make run`: the main job on bundled defaults.  Attention of one BERT-base
# layer (batch 64, 4096 tokens) on FuseMax and its four baselines of the
# FuseMax paper (unfused, FLAT, +Cascade, +Architecture), each simulated with
# its bundled hand mapping; then a side-by-side table relative to FLAT.
# Reports land in build/run/ (JSON), one per architecture.
set -eu
EINSIM=$1
OUT=build/run
mkdir -p "$OUT"
MODEL=${MODEL:-bert-base}
SEQ=${SEQ:-4096}
BATCH=${BATCH:-64}
for arch in flat unfused fusemax-cascade fusemax-arch fusemax; do
    "$EINSIM" run --arch "$arch" --model "$MODEL" --seq "$SEQ" --batch "$BATCH" --scope attention \
        --json "$OUT/$arch.json" >"$OUT/$arch.txt"
    printf '%-16s %s\n' "$arch" "$(sed -n 2p "$OUT/$arch.txt" | sed 's/^ *//')"
done
echo
"$EINSIM" compare "$OUT/flat.json" "$OUT/unfused.json" "$OUT/fusemax-cascade.json" \
    "$OUT/fusemax-arch.json" "$OUT/fusemax.json"
echo
echo "reports: $OUT/<arch>.json and $OUT/<arch>.txt (one per architecture; compare them with 'build/bin/einsim compare')"
