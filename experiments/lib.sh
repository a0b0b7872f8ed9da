# experiments/lib.sh: sourced by each experiment's run.sh.
# exp_args [--update] [path/to/einsim] sets UPDATE (1 with --update: the
# script may rewrite its tracked files), HERE (the script's folder), ROOT
# (the repository), EINSIM (the argument, else $EINSIM, else the build's
# binary) and OUT ($HERE/out).
exp_args() {
    UPDATE=0
    if [ "${1:-}" = "--update" ]; then UPDATE=1; shift; fi
    HERE=$(cd "$(dirname "$0")" && pwd)
    ROOT=$(cd "$HERE/../.." && pwd)
    EINSIM=${1:-${EINSIM:-$ROOT/build/bin/einsim}}
    OUT=$HERE/out
}
