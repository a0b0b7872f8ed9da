# The einsim front door: help, unknown commands and options.
. "$(dirname "$0")/lib.sh"
expect_ok cli_help "$EINSIM" --help
expect_err cli_unknown_command 2 "unknown command 'frobnicate'" "$EINSIM" frobnicate
expect_err cli_no_command 2 "" sh -c "\"$EINSIM\" 2>&1 >/dev/null | head -1 >&2; exit 2"
