#!/usr/bin/env bash
# Writer throughput of the jpeg, png, hdf5 and parquet dataset formats into memory, next to
# generating the same number of random bytes (the least any writer must do) as the peer.
# Builds nothing: runs the format_b_bench driver of an existing build.
#
# Usage: bench/format_b.sh [build-dir]        (default: build; use a RelWithDebInfo build)
# Environment: FORMAT_BENCH_SECONDS (1, time per case)
# MB/s means 10^6 bytes per second of file written.
set -euo pipefail

BUILD=${1:-build}
BIN="$BUILD/format_b_bench"
if [[ ! -x "$BIN" ]]; then
    echo "format_b.sh: $BIN not found; build it first (cmake --build $BUILD --target format_b_bench)" >&2
    exit 2
fi

printf '%-28s %14s %8s %12s %12s %8s\n' case bytes/file files "writer MB/s" "fill MB/s" ratio
"$BIN" --seconds "${FORMAT_BENCH_SECONDS:-1}" | awk '
    $1 == "result" {
        delete kv
        for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
        printf "%-28s %14s %8s %12s %12s %8s\n", kv["name"], kv["bytes_per_file"], kv["files"],
               kv["writer_mbps"], kv["fill_mbps"], kv["ratio"]
    }'
