#!/bin/sh
# einsim run reports the global buffer's area (area_mm2.gb, in area_mm2)
# where the arch's energy table gives it (flat-45nm: area.gb), scaled to the
# buffer's capacity by the SRAM area rule (docs/spec-arch.md).
. "$(dirname "$0")/lib.sh"

# area_of CAPACITY: "area_mm2.gb area_mm2" of flat at that buffer capacity
area_of() {
    "$EINSIM" run --arch flat --model bert-base --seq 128 --set storage.gb.capacity_bytes=$1 \
        --json "$TMPD/a$1.json" >/dev/null 2>"$TMPD/err" || { echo "exit: $(head -c 200 "$TMPD/err")"; return; }
    python3 -c 'import json,sys; x=json.load(open(sys.argv[1]))["run"]; print("%.6f %.6f" % (x.get("area_mm2.gb", -1), x.get("area_mm2", -1)))' "$TMPD/a$1.json"
}
small=$(area_of 4194304)
bundled=$(area_of 33554432)
big=$(area_of 67108864)
# the table's figure for the bundled 32 MiB buffer, read from the table itself
want=$(awk '/^  gb: / {printf "%.6f", $2 * 1e-6}' sim/energy/flat-45nm.yaml)
if [ -n "$want" ] && [ "$bundled" = "$want $want" ]; then pass "buffer area: bundled 32 MiB gb reports the table's $want mm2"
else fail "buffer area bundled" "got '$bundled', expected '$want $want'"; fi
if awk -v s="${small% *}" -v b="${big% *}" -v m="$want" 'BEGIN {exit !(s > 0 && s < m && m < b)}'; then
    pass "buffer area: 4 MiB ${small% *} < 32 MiB < 64 MiB ${big% *} mm2"
else fail "buffer area scales" "4 MiB '$small', 64 MiB '$big', 32 MiB '$want'"; fi
# an energy table without a buffer area reports none
"$EINSIM" run --arch fusemax --model bert-base --seq 128 --json "$TMPD/f.json" >/dev/null 2>&1
if python3 -c 'import json,sys; x=json.load(open(sys.argv[1]))["run"]; sys.exit(any(k.startswith("area_mm2") for k in x))' "$TMPD/f.json"; then
    pass "buffer area: fusemax-45nm gives none, none reported"
else fail "buffer area fusemax" "area_mm2 reported without a table figure"; fi
