#!/bin/sh
# Run every test and print one closing line "N passed, N failed".
#  - cmocka binaries build/tests/<room>/test_*: counts from cmocka's summary
#    (on stderr); a binary that dies without a summary counts as one failure.
#  - end-to-end scripts tests/e2e/*.sh: each prints "PASS name"/"FAIL name"
#    lines (tests/e2e/lib.sh); a script that exits non-zero without printing
#    a FAIL counts as one failure.
# Logs go to BUILD/test-logs/.
BUILD=${1:-build}
EINSIM=$(pwd)/$BUILD/bin/einsim
export EINSIM BUILD
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
pass=0; fail=0
for t in $(find "$BUILD/tests" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
    name=$(echo "$t" | sed "s|^$BUILD/tests/||")
    log="$LOGS/$(echo "$name" | tr / _).log"
    timeout 900 "$t" >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -1)
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ]; then
        echo "FAIL $name ($f failed, see $log)"; grep -E '^\[  (ERROR|FAILED|  LINE) ' "$log" | head -20
    else
        echo "ok   $name ($p)"
    fi
    pass=$((pass + p)); fail=$((fail + f))
done
# A test source whose binary did not build is one failure.
for src in tests/*/test_*.c; do
    [ -f "$src" ] || continue
    bin=$BUILD/tests/$(echo "$src" | sed 's|^tests/||; s|\.c$||')
    if [ ! -x "$bin" ]; then echo "FAIL $src did not build"; fail=$((fail + 1)); fi
done
if [ ! -x "$EINSIM" ]; then echo "FAIL $BUILD/bin/einsim did not build"; fail=$((fail + 1)); fi
# A failed build may leave an older binary of a test in place: count it.
if [ -f "$BUILD/build-failed" ]; then echo "FAIL the build of the tests failed (an older binary may have run)"; fail=$((fail + 1)); fi
for s in tests/e2e/*.sh; do
    [ -f "$s" ] || continue
    case "$s" in */lib.sh) continue ;; esac
    name=$(basename "$s" .sh)
    log="$LOGS/e2e_$name.log"
    timeout 900 bash "$s" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL e2e/$name exited $rc"; tail -5 "$log"; fi
    if [ "$f" -ne 0 ]; then echo "FAIL e2e/$name ($f failed, see $log)"; grep '^FAIL ' "$log" | head -20;
    else echo "ok   e2e/$name ($p)"; fi
    pass=$((pass + p)); fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
