#!/usr/bin/env bash
# `make run`: the main job on a local directory. Until the training benchmark lands, this is a
# storage round trip that proves the build end to end: write, fsync, evict, read back, verify.
# Usage: run-demo.sh MLPS_BINARY DATA_DIR RESULTS_DIR
set -euo pipefail
mlps=${1:?usage: run-demo.sh MLPS_BINARY DATA_DIR RESULTS_DIR}
data_dir=${2:-mlps-data}
results_dir=${3:-mlps-results}
size=${MLPS_DEMO_FILE_SIZE:-256M}

echo "mlps storage roundtrip: $size to $data_dir, results in $results_dir"
"$mlps" storage roundtrip --uri "$data_dir" --results-dir "$results_dir" --file-size "$size" \
    --block-size 1M --iodepth 16
