#!/usr/bin/env bash
# The style checks of .ci/run and .pre-commit-config.yaml: flake8 over the tree, isort and yapf
# over the Python code (configs excepted, see setup.cfg). Exits non-zero and prints the diff
# when a file is not formatted; `tools/lint.sh --fix` formats in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
code=(vkd_mm tools benchmarks tests setup.py)
if [ "${1:-}" = "--fix" ]; then
    "$python" -m isort "${code[@]}"
    "$python" -m yapf -i -r "${code[@]}"
fi
"$python" -m flake8 vkd_mm tools benchmarks tests configs setup.py
"$python" -m isort --check-only --diff "${code[@]}"
"$python" -m yapf --diff -r "${code[@]}"
echo "[lint] flake8, isort and yapf: clean"
