# Helpers for end-to-end tests.  Each check prints one "PASS name" or
# "FAIL name: why" line; tests/run.sh counts them.
# $EINSIM is the binary under test (absolute path).
: "${EINSIM:?EINSIM must be set (run through make test)}"
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# expect_ok NAME CMD...: command exits 0
expect_ok() {
    n=$1; shift
    if "$@" >"$TMPD/out" 2>"$TMPD/err"; then pass "$n"; else fail "$n" "exit $? : $(head -c 300 "$TMPD/err")"; fi
}

# expect_err NAME STATUS REGEX CMD...: command exits STATUS, stderr is one
# line matching REGEX (grep -E), and it did not crash.
expect_err() {
    n=$1; st=$2; re=$3; shift 3
    "$@" >"$TMPD/out" 2>"$TMPD/err"; rc=$?
    lines=$(wc -l <"$TMPD/err")
    if [ "$rc" -ne "$st" ]; then fail "$n" "exit $rc, expected $st: $(head -c 300 "$TMPD/err")"
    elif [ "$lines" -ne 1 ]; then fail "$n" "stderr has $lines lines, expected one: $(head -c 300 "$TMPD/err")"
    elif ! grep -Eq -- "$re" "$TMPD/err"; then fail "$n" "stderr '$(cat "$TMPD/err")' does not match /$re/"
    else pass "$n"; fi
}

# tiny_gpt2 FILE NAME D_MODEL N_LAYERS N_HEADS FFN_DIM VOCAB: a small GPT-2
# model spec (pre-norm, learned positions, tied head) for seeded synthetic
# weights.
tiny_gpt2() {
    cat >"$1" <<EOF_TINY
name: $2
family: gpt2
arch: decoder
d_model: $3
n_layers: $4
n_heads: $5
ffn_dim: $6
ffn_act: gelu_tanh
vocab: $7
max_seq: 64
norm: layernorm
norm_pos: pre
norm_eps: 1.0e-5
bias: true
pos: learned
head: lm
tied_embeddings: true
EOF_TINY
}
