#!/usr/bin/env bash
# Runs the training-metrics reduction test as real MPI jobs: the test_metrics_reduce binary that
# passes as a single process must pass on 2 and 3 ranks, where AU becomes a mean over ranks and
# throughput a sum, and ranks that disagree on the epoch count all fail cleanly.
set -euo pipefail

binary="$MLPS_BUILD_DIR/test_metrics_reduce"
[[ -x "$binary" ]] || { echo "missing $binary" >&2; exit 1; }

for ranks in 2 3; do
    echo "== $ranks ranks"
    if ! timeout 60 mpirun --allow-run-as-root --oversubscribe -n "$ranks" "$binary"; then
        echo "FAILED: test_metrics_reduce on $ranks ranks" >&2
        exit 1
    fi
done
echo "all MPI runs of test_metrics_reduce passed"
