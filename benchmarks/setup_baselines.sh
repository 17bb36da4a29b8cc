#!/usr/bin/env bash
# A separate environment with fink-client, the baseline of benchmarks/ingest.py and
# benchmarks/inspect_latency.py.
# fink-client is not an AlertView dependency; it only runs beside it, for comparison.
set -euo pipefail
venv="${1:-.bench-venv}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q fink-client
echo "fink-client ready: --fink-python $venv/bin/python"
