#!/bin/bash
# Tables in docs/ that the experiments measure must equal what
# experiments/doc_tables.py generates from the experiments' committed result
# files (docs/mapper.md's cost-model reproduction, docs/validation.md's
# +Cascade averages): a doc cannot keep a figure the scripts no longer give.
. "$(dirname "$0")/lib.sh"
python3 "$(dirname "$0")/../../experiments/doc_tables.py" --check
