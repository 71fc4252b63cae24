#!/usr/bin/env bash
# Sets mlps's storage layer beside fio on the same file: sequential write and read, buffered
# (file://, fio --direct=0) and O_DIRECT (direct://, fio --direct=1), BS blocks at depth IODEPTH,
# both through io_uring. Prints one line per case with the ratio mlps/fio (target >= 0.95).
#
#   bench/io_vs_fio.sh [build-dir (build)] [data-dir (bench/out)]
#   env: SIZE (2G) BS (1M) IODEPTH (16) REPS (5) WRITES (overwrite | fresh)
#        SEQWRITER (unset | copy | random): mlps writes through its sequential writer (the way
#        the benchmarks write files), appending a prepared block (copy) or generating the data
#        (random); only the two write cases run, and WRITES must be fresh (the writer always
#        starts a new file)
#
# Fairness: both tools run alternately on the same file, REPS times each after one untimed
# warm-up run, and the medians are compared; the order flips every repetition. Before every run
# the filesystem is synced (sync -f), so no earlier writeback or discard is still in progress.
#   - writes: fio runs with --end_fsync=1 (its runtime includes the fsync) and mlps's close
#     fsyncs inside its timing. WRITES=overwrite (default) rewrites the existing full-size file
#     in place, as fio does with an existing file (mlps with --overwrite): this measures the I/O
#     path, not block allocation, which on thin-provisioned virtual disks swings several-fold from
#     run to run. WRITES=fresh removes the file before every run instead (fio with
#     --fallocate=none, since mlps does not preallocate).
#   - reads: the file's pages are evicted before every run with posix_fadvise(DONTNEED) through
#     `dd iflag=nocache count=0` (the pages are clean: both tools fsync their writes), so buffered
#     reads come from the disk for both tools, not from the page cache. fio's own --invalidate=1
#     does the same. Writing /proc/sys/vm/drop_caches is neither needed nor done.
# The data directory must be on the disk under test (not tmpfs); the file is removed at the end.
set -euo pipefail

BUILD=${1:-build}
DATA=${2:-bench/out}
SIZE=${SIZE:-2G}
BS=${BS:-1M}
IODEPTH=${IODEPTH:-16}
REPS=${REPS:-5}
WRITES=${WRITES:-overwrite}
SEQWRITER=${SEQWRITER:-}
DRIVER="$BUILD/io_driver"

die() { echo "io_vs_fio: $*" >&2; exit 1; }

command -v fio >/dev/null || die "fio is not installed"
[[ -x $DRIVER ]] || die "$DRIVER not found; build first (cmake --build $BUILD)"
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
[[ $(stat -f -c %T "$DATA") != tmpfs ]] || die "$DATA is tmpfs; give a directory on a disk"

size_bytes=$(numfmt --from=iec "$SIZE") || die "SIZE '$SIZE' is not a size such as 2G"
avail=$(df --output=avail -B1 "$DATA" | tail -1)
(( avail > size_bytes + (1 << 30) )) || die "$DATA has $avail bytes free; SIZE=$SIZE needs more"

FILE="$DATA/io_vs_fio.$$.dat"
trap 'rm -f "$FILE"' EXIT

evict_cached_pages() { [[ -e $FILE ]] && dd if="$FILE" iflag=nocache count=0 status=none; true; }

ensure_full_file() {
    [[ -e $FILE && $(stat -c %s "$FILE") -ge $size_bytes ]] ||
        "$DRIVER" --uri "direct://$FILE" --rw write --bs "$BS" --size "$SIZE" >/dev/null
}

prepare() { # rw: the file in the state the case starts from, its pages not cached
    if [[ $1 == write && $WRITES == fresh ]]; then
        rm -f "$FILE"
    else
        ensure_full_file
    fi
    sync -f "$DATA"
    evict_cached_pages
}

fio_mibps() { # rw direct
    local extra=()
    [[ $1 == write ]] && extra=(--end_fsync=1 --fallocate=none)
    fio --name=io_vs_fio --filename="$FILE" --ioengine=io_uring --rw="$1" --bs="$BS" \
        --iodepth="$IODEPTH" --size="$SIZE" --direct="$2" --invalidate=1 \
        --output-format=terse --terse-version=3 "${extra[@]}" |
        awk -F';' -v rw="$1" '{ kb = rw == "read" ? $6 : $47; ms = rw == "read" ? $9 : $50;
                                if (ms > 0) printf "%.1f\n", kb / 1024 / (ms / 1000) }'
}

mlps_mibps() { # rw scheme
    local extra=()
    [[ $1 == write && $WRITES == overwrite ]] && extra=(--overwrite)
    [[ $1 == write && -n $SEQWRITER ]] && extra=(--seqwriter "$SEQWRITER")
    "$DRIVER" --uri "$2://$FILE" --rw "$1" --bs "$BS" --iodepth "$IODEPTH" --size "$SIZE" \
        "${extra[@]}" |
        sed -n 's/.*MiBps=\([0-9.]*\).*/\1/p'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

compare() { # label rw scheme direct
    local label=$1 rw=$2 scheme=$3 direct=$4 fio_runs="" mlps_runs="" rep tool value
    prepare "$rw"
    mlps_mibps "$rw" "$scheme" >/dev/null # warm-up, untimed
    for ((rep = 1; rep <= REPS; rep++)); do
        for tool in $( ((rep % 2)) && echo "fio mlps" || echo "mlps fio"); do
            prepare "$rw"
            if [[ $tool == fio ]]; then
                value=$(fio_mibps "$rw" "$direct")
                fio_runs+="$value"$'\n'
            else
                value=$(mlps_mibps "$rw" "$scheme")
                mlps_runs+="$value"$'\n'
            fi
            [[ -n $value ]] || die "$label: $tool produced no result"
            echo "  $label run $rep: $tool $value MiB/s" >&2
        done
    done
    local fio_median mlps_median
    fio_median=$(printf '%s' "$fio_runs" | median)
    mlps_median=$(printf '%s' "$mlps_runs" | median)
    awk -v l="$label" -v m="$mlps_median" -v f="$fio_median" 'BEGIN {
        printf "%s: mlps %d MiB/s, fio %d MiB/s, ratio %.2f (target >= 0.95)\n", l, m, f, m / f }'
}

[[ $WRITES == overwrite || $WRITES == fresh ]] || die "WRITES='$WRITES': expected overwrite or fresh"
[[ -z $SEQWRITER || $SEQWRITER == copy || $SEQWRITER == random ]] ||
    die "SEQWRITER='$SEQWRITER': expected copy or random (or unset)"
[[ -z $SEQWRITER || $WRITES == fresh ]] ||
    die "SEQWRITER=$SEQWRITER writes fresh files; set WRITES=fresh"
echo "io_vs_fio: $FILE, size $SIZE, bs $BS, iodepth $IODEPTH, $REPS runs each, $WRITES writes${SEQWRITER:+, sequential writer ($SEQWRITER)}" >&2
if [[ -n $SEQWRITER ]]; then
    compare "direct write (seqwriter $SEQWRITER)" write direct 1
    compare "buffered write (seqwriter $SEQWRITER)" write file 0
    exit 0
fi
compare "direct write" write direct 1
compare "direct read" read direct 1
compare "buffered write" write file 0
compare "buffered read" read file 0
