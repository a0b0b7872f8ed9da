#!/bin/sh
# PIM-GPT decode on the 8 GPT models, against the measured H100.
#   sh experiments/pimgpt/run.sh [--update] [build/bin/einsim]
# Runs `einsim run --arch pimgpt --phase decode` for each model at a 128-token
# prompt (32 generated tokens, as the GPU was measured) and at 1024 context
# (prompt 992, 32 tokens: contexts 993..1024), writes out/*.json and
# out/table.md (table.py); with --update also table.md beside this script and
# the table in docs/validation.md between its pimgpt-table markers (tracked
# files change only then).  Needs jq-free python3 only.
set -e
. "$(dirname "$0")/../lib.sh"
exp_args "$@"
sh "$HERE/decode.sh" "$EINSIM" "$OUT" p128 128
sh "$HERE/decode.sh" "$EINSIM" "$OUT" c1024 992
python3 "$HERE/table.py" "$OUT" "$HERE/gpu-h100.json" >"$OUT/table.md"
if [ "$UPDATE" != 1 ]; then
    echo "wrote $OUT/table.md (--update also rewrites table.md and docs/validation.md)"
    exit 0
fi
cp "$OUT/table.md" "$HERE/table.md"
python3 - "$HERE/table.md" "$ROOT/docs/validation.md" <<'PY'
import sys
table = open(sys.argv[1]).read()
doc = open(sys.argv[2]).read()
b, e = "<!-- pimgpt-table begin (experiments/pimgpt/run.sh) -->\n", "<!-- pimgpt-table end -->\n"
i, j = doc.index(b) + len(b), doc.index(e)
open(sys.argv[2], "w").write(doc[:i] + table + doc[j:])
PY
echo "wrote $HERE/table.md and the table in docs/validation.md"
