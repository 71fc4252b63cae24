#!/usr/bin/env bash
# `make run`: the training benchmark on a local directory, scaled down to about a minute:
# datagen + run of unet3d (npz, large samples) and resnet50 (tfrecord, small records) on two
# simulated accelerators each, printing AU, samples/s and MB/s.
# Usage: run-demo.sh MLPS_BINARY DATA_DIR RESULTS_DIR
set -euo pipefail
mlps=${1:?usage: run-demo.sh MLPS_BINARY DATA_DIR RESULTS_DIR}
data_dir=${2:-mlps-data}
results_dir=${3:-mlps-results}
accelerators=${MLPS_DEMO_ACCELERATORS:-2}

mpi_flags=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi_flags+=(--allow-run-as-root)
common=(--data-dir "$data_dir" --results-dir "$results_dir" "${mpi_flags[@]}")

demo() {
    local model=$1 accelerator=$2 files=$3
    shift 3
    echo "== $model on $accelerators simulated $accelerator accelerators ($files files)"
    "$mlps" training datagen -m "$model" -np "$accelerators" "${common[@]}" \
        -p dataset.num_files_train="$files"
    "$mlps" training run -m "$model" -g "$accelerator" -na "$accelerators" \
        --client-host-memory-in-gb 16 "${common[@]}" -p dataset.num_files_train="$files" "$@"
}

demo unet3d h100 24 reader.batch_size=2
demo resnet50 h100 16 train.epochs=2
