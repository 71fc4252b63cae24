#!/usr/bin/env bash
# Runs the unit tests that take MPI as real MPI jobs: the binaries that pass as a single process
# must pass on 2 and 3 ranks. test_metrics_reduce: AU becomes a mean over ranks and throughput a
# sum, and ranks that disagree on the epoch count all fail cleanly. test_dataset_files: rank 0's
# listing, sizes included, reaches every rank.
set -euo pipefail

for name in test_metrics_reduce test_dataset_files; do
    binary="$MLPS_BUILD_DIR/$name"
    [[ -x "$binary" ]] || { echo "missing $binary" >&2; exit 1; }
    for ranks in 2 3; do
        echo "== $name on $ranks ranks"
        if ! timeout 60 mpirun --allow-run-as-root --oversubscribe -n "$ranks" "$binary"; then
            echo "FAILED: $name on $ranks ranks" >&2
            exit 1
        fi
    done
done
echo "all MPI runs passed"
