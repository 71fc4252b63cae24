#!/usr/bin/env bash
# The training reader beside fio on the same files: `mlps training run` with no compute time
# (so the step loop only waits for data) against fio reading the same files with the same block
# size and thread count, with the page cache warm and with O_DIRECT. Also records the client's
# cost: CPU seconds per GiB read and peak RSS per rank. Prints one line per case with the ratio
# mlps/fio (target >= 0.95).
#
#   bench/training_vs_fio.sh [build-dir (build)] [data-dir (bench/out)]
#   env: UNET_FILES (16) UNET_RECORD (134217728)  RESNET_FILES (24)  THREADS (4)  REPS (3)
#
# Datasets (generated once by mlps training datagen, removed at the end unless KEEP=1):
#   unet3d-like:   UNET_FILES npz files of one UNET_RECORD-byte sample, read in 1 MiB requests;
#   resnet50-like: RESNET_FILES tfrecord files of 1251 records of 114,660 B, read record by record
#                  (fio: 128 KiB blocks over the same files).
# mlps's rate is bytes read / wall time of the run (one epoch, one rank, THREADS reader threads,
# 4 requests in flight each); fio runs THREADS jobs over disjoint thirds of the same file list
# with the same depth. Warm: both read once untimed first; O_DIRECT: fio --direct=1 against
# reader.odirect=true (the page cache plays no part).
set -euo pipefail

BUILD=${1:-build}
DATA=${2:-bench/out}
UNET_FILES=${UNET_FILES:-16}
UNET_RECORD=${UNET_RECORD:-134217728}
RESNET_FILES=${RESNET_FILES:-24}
THREADS=${THREADS:-4}
REPS=${REPS:-3}
MLPS="$BUILD/mlps"

die() { echo "training_vs_fio: $*" >&2; exit 1; }
command -v fio >/dev/null || die "fio is not installed"
[[ -x $MLPS ]] || die "$MLPS not found; build first"
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)/training_vs_fio.$$
RESULTS="$DATA/results"
trap '[[ ${KEEP:-0} == 1 ]] || rm -rf "$DATA"' EXIT
mpi=()
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

generate() { # model files params...
    local model=$1 files=$2
    shift 2
    "$MLPS" training datagen -m "$model" -np 2 -dd "$DATA" -rd "$RESULTS" --oversubscribe \
        "${mpi[@]}" -p dataset.num_files_train="$files" "$@" >/dev/null 2>&1 ||
        die "datagen of $model failed"
}

# mlps: MiB/s, CPU seconds per GiB and peak RSS (KiB) of one run.
mlps_run() { # model accelerator files odirect transfer params...
    local model=$1 accel=$2 files=$3 odirect=$4 transfer=$5
    shift 5
    local timing="$DATA/time.txt"
    /usr/bin/time -f "%e %U %S %M" -o "$timing" "$MLPS" training run -m "$model" -g "$accel" \
        -na 1 -cm 1 -dd "$DATA" -rd "$RESULTS" -p dataset.num_files_train="$files" \
        train.computation_time=0 train.epochs=1 reader.read_threads="$THREADS" \
        reader.odirect="$odirect" reader.transfer_size="$transfer" "$@" >/dev/null 2>&1 ||
        die "mlps training run of $model failed"
    local summary
    summary=$(ls -t "$RESULTS"/training/"$model"/run/*/summary.json | head -1)
    /usr/bin/python3 - "$summary" "$timing" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
elapsed, user, system, rss = open(sys.argv[2]).read().split()[-4:]
io = s["io"]
gib = io["bytes_read"] / 2**30
print("%.1f %.3f %s" % (io["bytes_read_per_second_whole_run"] / 2**20,
                        (float(user) + float(system)) / gib if gib else 0, rss))
PY
}

fio_run() { # dir bs direct
    local dir=$1 bs=$2 direct=$3 jobs=() i=0
    local -a lists
    for f in "$dir"/*; do
        lists[i % THREADS]+="${lists[i % THREADS]:+:}$f"
        i=$((i + 1))
    done
    for ((j = 0; j < THREADS; j++)); do
        [[ -n ${lists[j]:-} ]] && jobs+=(--name="reader$j" --filename="${lists[j]}")
    done
    fio --ioengine=io_uring --rw=read --bs="$bs" --iodepth=4 --direct="$direct" \
        --file_service_type=sequential --invalidate=0 --group_reporting --output-format=json "${jobs[@]}" |
        /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]["read"]; print("%.1f" % (j["bw_bytes"]/2**20))'
}

compare() { # label model accel files dir fio_bs odirect transfer params...
    local label=$1 model=$2 accel=$3 files=$4 dir=$5 bs=$6 odirect=$7 transfer=$8
    shift 8
    local direct=0
    [[ $odirect == true ]] && direct=1
    mlps_run "$model" "$accel" "$files" "$odirect" "$transfer" "$@" >/dev/null # warm-up
    fio_run "$dir" "$bs" "$direct" >/dev/null
    local m_rates=() f_rates=() cost="" rss=""
    for ((r = 0; r < REPS; r++)); do
        read -r rate cost rss < <(mlps_run "$model" "$accel" "$files" "$odirect" "$transfer" "$@")
        m_rates+=("$rate")
        f_rates+=("$(fio_run "$dir" "$bs" "$direct")")
    done
    local m f
    m=$(printf '%s\n' "${m_rates[@]}" | median)
    f=$(printf '%s\n' "${f_rates[@]}" | median)
    local ratio
    ratio=$(awk -v m="$m" -v f="$f" 'BEGIN { printf "%.2f", (f > 0 ? m / f : 0) }')
    printf '%-18s mlps %8.1f MiB/s, fio %8.1f MiB/s, ratio %s (target >= 0.95); mlps %s CPU s/GiB, peak RSS %d MiB\n' \
        "$label" "$m" "$f" "$ratio" "$cost" "$((rss / 1024))"
}

echo "training_vs_fio: $THREADS reader threads, medians of $REPS runs"
generate unet3d "$UNET_FILES" dataset.record_length_bytes="$UNET_RECORD" \
    dataset.record_length_bytes_stdev=0
unet=(unet3d h100 "$UNET_FILES" "$DATA/unet3d/train" 1M)
unet_params=(dataset.record_length_bytes="$UNET_RECORD" dataset.record_length_bytes_stdev=0
             reader.batch_size=1)
compare "unet3d warm" "${unet[@]}" false 1048576 "${unet_params[@]}"
compare "unet3d O_DIRECT" "${unet[@]}" true 1048576 "${unet_params[@]}"

generate resnet50 "$RESNET_FILES"
resnet=(resnet50 h100 "$RESNET_FILES" "$DATA/resnet50/train" 128k)
compare "resnet50 warm" "${resnet[@]}" false 131072
compare "resnet50 O_DIRECT" "${resnet[@]}" true 131072
