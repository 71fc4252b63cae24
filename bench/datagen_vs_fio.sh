#!/usr/bin/env bash
# Dataset generation beside fio sequential writes to the same filesystem: `mlps training datagen`
# writing FILES unet3d-like npz files of RECORD bytes with PROCS processes, against fio writing
# the same number of files of the same size with PROCS jobs, 1 MiB blocks, fsync at the end of
# each file. Prints both rates and the ratio (target >= 0.9).
#
#   bench/datagen_vs_fio.sh [build-dir (build)] [data-dir (bench/out)]
#   env: FILES (16) RECORD (134217728) PROCS (2) REPS (3)
set -euo pipefail

BUILD=${1:-build}
DATA=${2:-bench/out}
FILES=${FILES:-16}
RECORD=${RECORD:-134217728}
PROCS=${PROCS:-2}
REPS=${REPS:-3}
MLPS="$BUILD/mlps"

command -v fio >/dev/null || { echo "datagen_vs_fio: fio is not installed" >&2; exit 1; }
[[ -x $MLPS ]] || { echo "datagen_vs_fio: $MLPS not found; build first" >&2; exit 1; }
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)/datagen_vs_fio.$$
trap 'rm -rf "$DATA"' EXIT
mpi=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

mlps_rate() {
    rm -rf "$DATA/mlps"
    sync -f "$DATA" 2>/dev/null || sync
    "$MLPS" training datagen -m unet3d -np "$PROCS" -dd "$DATA/mlps" -rd "$DATA/results" \
        "${mpi[@]}" -p dataset.num_files_train="$FILES" dataset.record_length_bytes="$RECORD" \
        dataset.record_length_bytes_stdev=0 >/dev/null 2>&1
    /usr/bin/python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["bytes_written"] / json.load(open(sys.argv[1]))["seconds"] / 2**20))' \
        "$(ls -t "$DATA"/results/training/unet3d/datagen/*/summary.json | head -1)"
}

fio_rate() {
    rm -rf "$DATA/fio"
    mkdir -p "$DATA/fio"
    sync -f "$DATA" 2>/dev/null || sync
    fio --name=datagen --directory="$DATA/fio" --ioengine=io_uring --rw=write --bs=1M \
        --iodepth=4 --numjobs="$PROCS" --nrfiles=$((FILES / PROCS)) \
        --filesize="$RECORD" --size=$((RECORD * (FILES / PROCS))) --fsync_on_close=1 \
        --fallocate=none --group_reporting --output-format=json |
        /usr/bin/python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["jobs"][0]["write"]["bw_bytes"] / 2**20))'
}

m_rates=() f_rates=()
for ((r = 0; r < REPS; r++)); do
    m_rates+=("$(mlps_rate)")
    f_rates+=("$(fio_rate)")
done
m=$(printf '%s\n' "${m_rates[@]}" | median)
f=$(printf '%s\n' "${f_rates[@]}" | median)
ratio=$(awk -v m="$m" -v f="$f" 'BEGIN { printf "%.2f", (f > 0 ? m / f : 0) }')
echo "datagen ($FILES npz files, $PROCS processes): mlps $m MiB/s, fio $f MiB/s, ratio $ratio (target >= 0.90)"
