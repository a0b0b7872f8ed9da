#!/bin/sh
# `make bench`: run every benchmark; each prints its figures (and the anchor
# measured in the same run, where one exists).  Nothing is asserted.
BUILD=${1:-build}
export EINSIM=$(pwd)/$BUILD/bin/einsim
for b in $(find "$BUILD/tests/bench" -type f -name 'bench_*' -perm -u+x 2>/dev/null | sort); do
    echo "== $(basename "$b")"
    "$b" || echo "(benchmark $(basename "$b") exited $?)"
done
for s in tests/bench/*.sh; do
    [ -f "$s" ] || continue
    case "$s" in */run.sh) continue ;; esac
    echo "== $(basename "$s" .sh)"
    sh "$s" || echo "(benchmark $s exited $?)"
done
