#!/bin/sh
# Regenerate the regression suite's expected reports (tests/regress/sweep.yaml)
# after a deliberate change of results; review the diff before committing.
# Usage: sh tests/regress/update.sh [path/to/einsim]
set -e
cd "$(dirname "$0")/../.."
E=${1:-build/bin/einsim}
rm -rf tests/regress/expected
EINSIM_REPRODUCIBLE=1 "$E" sweep tests/regress/sweep.yaml --out tests/regress/expected -j 2
rm -f tests/regress/expected/results.csv tests/regress/expected/sweep.yaml
