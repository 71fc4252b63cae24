#!/usr/bin/env bash
# The client's cost of s3://: CPU seconds (user + system) that the mlps process spends per GiB
# moved, for PUT (a write through the storage layer: single PUT or multipart upload) and GET
# (ranged reads), against s3rver on 127.0.0.1; then the same through null://, which moves no
# bytes, as mlps's own ceiling. This measures the client (HTTP, signing, copies), not the
# server's throughput: only the io_driver process is timed (/usr/bin/time), never the server.
#
#   bench/s3_cost.sh [build-dir (build)]
#   env: SIZE (1G) BS (8M) IODEPTH (4) REPS (3)
#
# Each case runs REPS times and the median CPU time is printed with the wall rate beside it
# (s3rver's rate is the server's, not the client's). The process's fixed start-up cost is in
# every number; null:// shows how much of it that is.
set -euo pipefail

BUILD=${1:-build}
SIZE=${SIZE:-1G}
BS=${BS:-8M}
IODEPTH=${IODEPTH:-4}
REPS=${REPS:-3}
here=$(cd "$(dirname "$0")" && pwd)
DRIVER="$BUILD/io_driver"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlps-s3-cost.XXXXXX")
BUCKET=cost

die() { echo "s3_cost: $*" >&2; exit 1; }

[[ -x "$DRIVER" ]] || die "$DRIVER is missing (build the project first)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is needed (package 'time')"
source "$here/../tests/integration/s3rver.sh"
trap 's3rver_stop; rm -rf "$WORK"' EXIT
s3rver_install "$BUILD/npm-s3rver" "$WORK/npm.log" ||
    die "cannot install s3rver $S3RVER_VERSION: $(tail -n 5 "$WORK/npm.log")"
s3rver_start "$BUILD/npm-s3rver" "$WORK/s3rver" "$WORK/s3rver.log" "$BUCKET" ||
    die "s3rver did not start: $(cat "$WORK/s3rver.log")"

bytes=$(numfmt --from=iec "$SIZE")
declare -A CPU

# run_once URI RW: prints "cpu_seconds wall_MiBps" of one io_driver run.
run_once() {
    local out
    out=$(/usr/bin/time -f "cpu=%U+%S" "$DRIVER" --uri "$1" --rw "$2" --size "$SIZE" --bs "$BS" \
        --iodepth "$IODEPTH" 2>&1) || die "io_driver $1 $2 failed: $out"
    local cpu rate
    cpu=$(grep -o 'cpu=[0-9.+]*' <<<"$out" | tail -n 1 | cut -d= -f2)
    rate=$(grep -o 'MiBps=[0-9.]*' <<<"$out" | cut -d= -f2)
    echo "$(bc -l <<<"$cpu") $rate"
}

# measure LABEL URI RW: REPS runs, the median by CPU time, per GiB.
measure() {
    local label=$1 uri=$2 rw=$3 i
    local runs=()
    for ((i = 0; i < REPS; i++)); do runs+=("$(run_once "$uri" "$rw")"); done
    local median
    median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(((REPS + 1) / 2))p")
    read -r cpu rate <<<"$median"
    printf '     %-8s %8.3f CPU s/GiB   (wall %8.1f MiB/s)\n' "$label" \
        "$(bc -l <<<"$cpu * 1073741824 / $bytes")" "$rate"
    CPU[$label.$rw]=$cpu
}

echo "s3_cost: CPU seconds of the mlps process per GiB, SIZE=$SIZE BS=$BS IODEPTH=$IODEPTH," \
    "median of $REPS (s3rver $S3RVER_VERSION on 127.0.0.1)"
for rw in write read; do
    name=$([[ $rw == write ]] && echo PUT || echo GET)
    echo "-- $name"
    measure s3:// "s3://$BUCKET/cost/object" "$rw"
    measure null:// "null://cost/object" "$rw"
    null_cpu=${CPU[null://.$rw]}
    if [[ $(bc -l <<<"$null_cpu > 0") == 1 ]]; then
        printf '     s3:// over null://: %.1fx\n' "$(bc -l <<<"${CPU[s3://.$rw]} / $null_cpu")"
    fi
done
