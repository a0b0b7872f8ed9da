# The einsim front door: help, unknown commands and options.
. "$(dirname "$0")/lib.sh"
expect_ok cli_help "$EINSIM" --help
if out=$("$EINSIM" --version) && echo "$out" | grep -Eq "^einsim [0-9]+\.[0-9]+\.[0-9]+$"; then pass cli_version; else fail cli_version "got: $out"; fi
if "$EINSIM" --help | grep -q "^  2  bad input"; then pass cli_help_exit_codes; else fail cli_help_exit_codes "no exit-status section in --help"; fi
expect_err cli_unknown_command 2 "unknown command 'frobnicate'" "$EINSIM" frobnicate
expect_err cli_no_command 2 "" sh -c "\"$EINSIM\" 2>&1 >/dev/null | head -1 >&2; exit 2"
