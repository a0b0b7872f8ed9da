#!/bin/sh
# `make run`: the main job on bundled defaults.
set -eu
EINSIM=$1
"$EINSIM" --help
