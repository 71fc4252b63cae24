#!/usr/bin/env bash
# Buffer-fill throughput (core/fill) against memset and memcpy of the same buffer as peers.
# Builds nothing: runs the fill_bench driver of an existing build.
#
# Usage: bench/fill.sh [build-dir]            (default: build; use a RelWithDebInfo build)
# Environment: FILL_BUFFER_MIB (64), FILL_TOTAL_MIB (1024, bytes written per measurement),
#              FILL_THREADS (2, for the parallel fill), FILL_RATIO (2, compressible fill)
# GB/s means 10^9 bytes per second.
set -euo pipefail

BUILD=${1:-build}
BIN="$BUILD/fill_bench"
TARGET_GBPS=4.00
if [[ ! -x "$BIN" ]]; then
    echo "fill.sh: $BIN not found; build it first (cmake --build $BUILD --target fill_bench)" >&2
    exit 2
fi

out=$("$BIN" --buffer-mib "${FILL_BUFFER_MIB:-64}" --total-mib "${FILL_TOTAL_MIB:-1024}" \
             --threads "${FILL_THREADS:-2}" --ratio "${FILL_RATIO:-2}")

# field NAME KEY: the value of KEY on the driver's result line for NAME.
field() {
    awk -v name="$1" -v key="$2" '
        $1 == "result" {
            delete kv
            for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
            if (kv["name"] == name) { print kv[key]; exit }
        }' <<<"$out"
}
config() { awk -v key="$1" '$1 == "config" { for (i = 2; i <= NF; i++) { split($i, p, "="); if (p[1] == key) print p[2] } }' <<<"$out"; }
verdict() { awk -v v="$1" -v t="$TARGET_GBPS" 'BEGIN { print (v + 0 >= t + 0) ? "ok" : "BELOW TARGET" }'; }

fill1=$(field fill_random gbps_per_core)
fillc=$(field fill_compressible gbps_per_core)
fillp_total=$(field fill_parallel gbps)
fillp_core=$(field fill_parallel gbps_per_core)
threads=$(field fill_parallel threads)
memset_gbps=$(field memset gbps)
memcpy_gbps=$(field memcpy gbps)

echo "fill: buffer $(( $(config buffer_bytes) >> 20 )) MiB, $(( $(config total_bytes) >> 20 )) MiB written per measurement"
printf 'fill: 1 thread %.2f GB/s per core (target >= %s) %s\n' "$fill1" "$TARGET_GBPS" "$(verdict "$fill1")"
printf 'fill: %s thread(s) %.2f GB/s total, %.2f GB/s per core (target >= %s) %s\n' \
    "$threads" "$fillp_total" "$fillp_core" "$TARGET_GBPS" "$(verdict "$fillp_core")"
printf 'fill (compressible %g:1): 1 thread %.2f GB/s per core\n' "$(config ratio)" "$fillc"
awk -v f="$fill1" -v m="$memset_gbps" -v c="$memcpy_gbps" 'BEGIN {
    printf "peer memset: 1 thread %.2f GB/s; fill/memset ratio %.2f\n", m, f / m
    printf "peer memcpy: 1 thread %.2f GB/s; fill/memcpy ratio %.2f\n", c, f / c
}'
