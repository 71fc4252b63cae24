#!/usr/bin/env bash
# `make bench`: every side-by-side measurement in bench/, each printing mlps, its peer and the ratio.
# Usage: run-all.sh [BUILD_DIR]   (sizes are set per script through their environment variables)
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/fill.sh" "$build"
bash "$here/io_vs_fio.sh" "$build"
bash "$here/format_b.sh" "$build"
bash "$here/training_vs_fio.sh" "$build"
bash "$here/datagen_vs_fio.sh" "$build"
bash "$here/training_capacity.sh" "$build"
bash "$here/s3_cost.sh" "$build"
bash "$here/checkpoint_vs_fio.sh" "$build"
