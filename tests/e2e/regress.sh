# The regression suite over the bundled architectures: einsim sweep --check
# against the reports kept in tests/regress/expected (tolerance 0).  A
# deliberate change of results is recorded with sh tests/regress/update.sh.
. "$(dirname "$0")/lib.sh"
R=$(dirname "$0")/../regress
EINSIM_REPRODUCIBLE=1 "$EINSIM" sweep "$R/sweep.yaml" --out "$TMPD/out" -j 2 --check "$R/expected" >"$TMPD/check" 2>"$TMPD/err"
rc=$?
n=$(ls "$R/expected/points" | wc -l)
if [ $rc = 0 ] && [ "$n" -ge 24 ] && grep -q "^check against .*: ok" "$TMPD/check"; then pass "regress_bundled_archs ($n points)"
else fail regress_bundled_archs "exit $rc: $(grep -v '^  ' "$TMPD/check" | head -5 | tr '\n' ' ') $(head -c 300 "$TMPD/err")"; fi
