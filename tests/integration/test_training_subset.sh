#!/usr/bin/env bash
# `mlps training run` on a subset of a bigger dataset, as DLIO allows: the run lists the train
# folder, sorts it (by full path, or by file name across subfolders; string order, so
# img_0_of_4 < img_0_of_8 < img_1_of_4) and reads the first dataset.num_files_train files,
# whatever count they were generated with. Checked through what the summary says it read
# (samples and their bytes, which differ between files generated with different record
# lengths), the files it names, and files outside the subset made unreadable; fewer files than
# asked is one line (exit 2) naming how many are missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MPI=(--allow-run-as-root --oversubscribe)
RESULTS="$SCRATCH/results"
SMALL=4096  # 64 x 64 bytes per sample
LARGE=16384 # 128 x 128 bytes per sample
RUN_KEYS=(dataset.num_samples_per_file=1 reader.batch_size=1 train.epochs=1
    train.computation_time=0.01)

# datagen DATA FILES RECORD [PARAMS...]: unet3d npz files of one sample of RECORD bytes (one
# sample per file, so a sample's bytes are the whole array, read as one extent).
datagen() {
    local data=$1 files=$2 record=$3
    shift 3
    expect_exit 0 mlps training datagen -m unet3d -np 2 -dd "$data" -rd "$RESULTS" \
        -p dataset.num_files_train="$files" dataset.num_samples_per_file=1 \
        dataset.record_length_bytes="$record" dataset.record_length_bytes_stdev=0 "$@" "${MPI[@]}"
}

# run_four DATA [PARAMS...]: a run of 4 files on 2 accelerators; prints its summary's path.
run_four() {
    local data=$1
    shift
    expect_exit 0 mlps training run -m unet3d -g h100 -na 2 -cm 1 -dd "$data" -rd "$RESULTS" \
        -p dataset.num_files_train=4 dataset.record_length_bytes=$SMALL "${RUN_KEYS[@]}" "$@" \
        "${MPI[@]}"
}

the_summary() {
    local dir
    dir=$(find "$RESULTS/training/unet3d/run" -mindepth 1 -maxdepth 1 -type d | sort | tail -n 1)
    printf '%s/summary.json\n' "$dir"
}

# expect_read SUMMARY AVAILABLE FIRST LAST SAMPLE_BYTES: 4 files of 1 sample read once each.
expect_read() {
    expect_json "$1" dataset.files_available "$2"
    expect_json "$1" dataset.files_used 4
    expect_json "$1" dataset.first_file "$3"
    expect_json "$1" dataset.last_file "$4"
    expect_json "$1" num_files_train 4
    expect_json "$1" steps_per_epoch 2
    expect_json "$1" io.samples_read 4
    expect_json "$1" io.sample_bytes_read "$5"
}

case_begin "datagen 8 files, run 4: the first 4 in sorted order, the other 4 never opened"
FLAT="$SCRATCH/flat"
datagen "$FLAT" 8 $SMALL
for i in 4 5 6 7; do echo "not an npz file" >"$FLAT/unet3d/train/img_${i}_of_8.npz"; done
run_four "$FLAT"
expect_stderr_contains "using the first 4 of 8 files in train/ in sorted order: \
train/img_0_of_8.npz .. train/img_3_of_8.npz"
summary=$(the_summary)
expect_read "$summary" 8 train/img_0_of_8.npz train/img_3_of_8.npz $((4 * SMALL))
expect_json "$summary" dataset.subfolders 0

case_begin "files of two counts in one folder: string order mixes them"
MIXED="$SCRATCH/mixed"
datagen "$MIXED" 8 $SMALL
datagen "$MIXED" 4 $LARGE
# Sorted: img_0_of_4 (large), img_0_of_8 (small), img_1_of_4 (large), img_1_of_8 (small), ...
run_four "$MIXED"
expect_stderr_contains "using the first 4 of 12 files in train/"
expect_read "$(the_summary)" 12 train/img_0_of_4.npz train/img_1_of_8.npz \
    $((2 * LARGE + 2 * SMALL))

case_begin "subfolders: files from every subfolder, sorted by file name"
NESTED="$SCRATCH/nested"
datagen "$NESTED" 8 $SMALL dataset.num_subfolders_train=2
datagen "$NESTED" 4 $LARGE dataset.num_subfolders_train=2
expect_file "$NESTED/unet3d/train/1/img_1_of_8.npz"
expect_file "$NESTED/unet3d/train/0/img_2_of_4.npz"
# By file name: img_0_of_4, img_0_of_8 (in 0/), img_1_of_4, img_1_of_8 (in 1/); by full path
# the run would read 0/img_0_of_4, 0/img_0_of_8, 0/img_2_of_4, 0/img_2_of_8 instead.
run_four "$NESTED" dataset.num_subfolders_train=2
expect_stderr_contains "using the first 4 of 12 files in train/ in sorted order (2 subfolders"
summary=$(the_summary)
expect_read "$summary" 12 train/0/img_0_of_4.npz train/1/img_1_of_8.npz \
    $((2 * LARGE + 2 * SMALL))
expect_json "$summary" dataset.subfolders 2

case_begin "subfolders must match dataset.num_subfolders_train, as DLIO asserts"
expect_exit 2 mlps training run -m unet3d -g h100 -na 2 -cm 1 -dd "$NESTED" -rd "$SCRATCH/bad" \
    -p dataset.num_files_train=4 dataset.record_length_bytes=$SMALL "${RUN_KEYS[@]}" "${MPI[@]}"
expect_one_error "nested/unet3d/train holds 2 subfolders but dataset.num_subfolders_train is 0" \
    "dataset.num_subfolders_train=2"
expect_exit 2 mlps training run -m unet3d -g h100 -na 2 -cm 1 -dd "$MIXED" -rd "$SCRATCH/bad" \
    -p dataset.num_files_train=4 dataset.record_length_bytes=$SMALL dataset.num_subfolders_train=3 \
    "${RUN_KEYS[@]}" "${MPI[@]}"
expect_one_error "mixed/unet3d/train holds 0 subfolders but dataset.num_subfolders_train is 3"

case_begin "more files than the folder holds: how many are missing, and how to write them"
expect_exit 2 mlps training run -m unet3d -g h100 -na 2 -cm 1 -dd "$MIXED" -rd "$SCRATCH/bad" \
    -p dataset.num_files_train=13 dataset.record_length_bytes=$SMALL "${RUN_KEYS[@]}" "${MPI[@]}"
expect_one_error "mixed/unet3d holds 12 of the 13 files the run reads (missing 1: train/ has 12 \
.npz files)" \
    "mlps training datagen -m unet3d" "dataset.num_files_train=13"
[[ -z "$(find "$SCRATCH/bad" -name summary.json 2>/dev/null)" ]] ||
    fail "no summary.json after a refused run" "(none)" "$(find "$SCRATCH/bad" -name summary.json)"
