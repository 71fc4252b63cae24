#!/usr/bin/env bash
# Runs the core/comm, histogram-merge and failure-agreement unit tests as real MPI jobs: the same test_comm binary that passes as a
# single process must pass on 2 and 3 ranks, and with the exact single-host command line the
# launcher builds (which turns off shared-memory transport with --mca btl ^vader).
set -euo pipefail

test_comm="$MLPS_BUILD_DIR/test_comm"
test_hist_reduce="$MLPS_BUILD_DIR/test_hist_reduce"
test_comm_agree="$MLPS_BUILD_DIR/test_comm_agree"
for binary in "$test_comm" "$test_hist_reduce" "$test_comm_agree"; do
    [[ -x "$binary" ]] || { echo "missing $binary" >&2; exit 1; }
done

run_job() {
    echo "== $*"
    if ! timeout 60 "$@"; then
        echo "FAILED: $*" >&2
        exit 1
    fi
}

run_job mpirun --allow-run-as-root --oversubscribe -n 2 "$test_comm"
run_job mpirun --allow-run-as-root --oversubscribe -n 3 "$test_comm"
run_job mpirun -n 2 -host 127.0.0.1:2 --bind-to none --map-by socket --mca btl ^vader \
    --oversubscribe --allow-run-as-root "$test_comm"
run_job mpirun --allow-run-as-root --oversubscribe -n 3 "$test_hist_reduce"
run_job mpirun --allow-run-as-root --oversubscribe -n 3 "$test_comm_agree"
echo "all MPI runs of test_comm, test_hist_reduce and test_comm_agree passed"
