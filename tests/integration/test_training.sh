#!/usr/bin/env bash
# `mlps training` end to end at a small scale: datasize's numbers and record; datagen then run
# with two self-launched processes for unet3d (npz), resnet50 and cosmoflow (tfrecord), checking
# the files written and the DLIO outputs against the arithmetic of the run (steps, samples read,
# compute per step, AU bounds and verdict); datagen resuming a partly written dataset; datagen
# failing at a file's publication (a directory in the way) and on a full disk, with one line
# naming the file and no temporary, half file or summary left; and the inputs a run must refuse
# with one line (exit 2) or fail on (a truncated file), leaving no summary behind.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"


MPI=(--allow-run-as-root --oversubscribe)
DATA="$SCRATCH/data"
RESULTS="$SCRATCH/results"
DATETIME_RE='^[0-9]{8}_[0-9]{6}$'
PYTHON_WITH_NUMPY=/usr/bin/python3

# training_dirs RESULTS_ROOT MODEL COMMAND: the run directories of one command, oldest first.
training_dirs() {
    find "$1/training/$2/$3" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort || true
}

# the_newest_training_dir RESULTS_ROOT MODEL COMMAND
the_newest_training_dir() {
    local dir
    dir=$(training_dirs "$@" | tail -n 1)
    [[ -n "$dir" ]] || fail "a run directory under $1/training/$2/$3" "one" "(none)"
    printf '%s\n' "$dir"
}

# expect_no_summary RESULTS_ROOT: nothing there looks like a result.
expect_no_summary() {
    local found
    found=$(find "$1" -name summary.json 2>/dev/null | head -3) || true
    [[ -z "$found" ]] || fail "no summary.json under $1" "(none)" "$found"
}

# expect_file_names DIR PREFIX COUNT EXT: DIR holds exactly PREFIX_<i>_of_<COUNT>.EXT for every
# i < COUNT, i zero-padded to the digits of COUNT.
expect_file_names() {
    local dir=$1 count=$3 ext=$4 width i expected actual
    width=${#count}
    expected=$(for ((i = 0; i < count; i++)); do printf "%s_%0${width}d_of_%d.%s\n" "$2" "$i" \
        "$count" "$ext"; done | sort)
    actual=$(ls -A "$dir" | sort)
    [[ "$actual" == "$expected" ]] ||
        fail "the files in $dir" "$(echo $expected | head -c 300)" "$(echo $actual | head -c 300)"
}

# refuses_o_direct DIR: DIR exists and its filesystem refuses O_DIRECT.
refuses_o_direct() {
    [[ -d "$1" ]] && python3 - "$1/.mlps-odirect-probe-$$" <<'PY'
import os, sys

path = sys.argv[1]
try:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_DIRECT))
    refused = False
except OSError:
    refused = True
if os.path.exists(path):
    os.unlink(path)
sys.exit(0 if refused else 1)
PY
}

# --- datasize ---

case_begin "datasize unet3d h100, 8 accelerators, 128 GiB: the 500-step bound"
expect_exit 0 mlps training datasize -m unet3d -g h100 -ma 8 -cm 128 -rd "$RESULTS"
expect_stdout_contains "28000 files"
expect_stdout_contains "4104817584000 B"
expect_stdout_contains "mlps training datagen -m unet3d -np 8 -dd <DATA_DIR> -p dataset.num_files_train=28000"
run_dir=$(the_newest_training_dir "$RESULTS" unet3d datasize)
expect_match "$(basename "$run_dir")" "$DATETIME_RE" "the run directory's name"
expect_json "$run_dir/summary.json" num_files_train 28000
expect_json "$run_dir/summary.json" total_disk_bytes 4104817584000
expect_json "$run_dir/summary.json" num_files_by_memory 4687
expect_json "$run_dir/summary.json" steps_per_epoch 500

case_begin "datasize retinanet b200, 16 accelerators, 256 GiB: the memory bound"
expect_exit 0 mlps training datasize -m retinanet -g b200 -ma 16 -cm 256 -rd "$RESULTS"
expect_stdout_contains "4255642 files"
expect_stdout_contains "mlps training datagen -m retinanet -np 16"
run_dir=$(the_newest_training_dir "$RESULTS" retinanet datasize)
expect_json "$run_dir/summary.json" num_files_train 4255642
expect_json "$run_dir/summary.json" bound memory

# --- datagen and run ---

# check_run_outputs RUN_DIR MODEL FILES NSPF RECORD BATCH EPOCHS COMPUTE AU: the DLIO outputs of
# a two-process run agree with its arithmetic.
check_run_outputs() {
    local run_dir=$1 model=$2 files=$3 nspf=$4 record=$5 batch=$6 epochs=$7 compute=$8 au=$9
    local steps=$((files * nspf / (batch * 2))) dt rank name
    dt=$(basename "$run_dir")
    for name in summary.json 0_output.json 1_output.json 0_per_epoch_stats.json \
        1_per_epoch_stats.json dlio_config/config.yaml "training_${dt}_metadata.json"; do
        expect_file "$run_dir/$name"
    done
    local summary="$run_dir/summary.json" metadata="$run_dir/training_${dt}_metadata.json"
    expect_json "$summary" num_accelerators 2
    expect_json "$summary" epochs "$epochs"
    expect_json "$summary" steps_per_epoch "$steps"
    expect_json "$summary" num_files_train "$files"
    expect_json "$summary" io.samples_read $((epochs * steps * batch * 2))
    expect_json "$metadata" benchmark_type training
    expect_json "$metadata" model "$model"
    expect_json "$metadata" command run
    expect_json "$metadata" accelerator h100
    expect_json "$metadata" num_processes 2
    local problem
    problem=$(python3 - "$run_dir" "$epochs" "$steps" "$compute" "$au" "$record" <<'PY'
import json, sys

run_dir, epochs, steps, compute, au, record = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
s = json.load(open(f"{run_dir}/summary.json"))
m = s["metric"]
aus = m["train_au_percentage"]
if len(aus) != epochs:
    sys.exit(f"train_au_percentage has {len(aus)} values, not one per epoch ({epochs})")
if not all(0 <= a <= 100 for a in aus):
    sys.exit(f"train_au_percentage {aus} not within [0, 100]")
mean = sum(aus) / len(aus)
if abs(m["train_au_mean_percentage"] - mean) > 1e-6 * max(1, mean):
    sys.exit(f"train_au_mean_percentage {m['train_au_mean_percentage']} is not the mean of {aus}")
if abs(m["train_au_expectation_percentage"] - 100 * au) > 1e-9:
    sys.exit(f"train_au_expectation_percentage {m['train_au_expectation_percentage']} != {100 * au}")
verdict = "success" if m["train_au_mean_percentage"] >= 100 * au else "fail"
if m["train_au_meet_expectation"] != verdict:
    sys.exit(f"train_au_meet_expectation {m['train_au_meet_expectation']} with mean AU "
             f"{m['train_au_mean_percentage']} against {100 * au}: expected {verdict}")
io = s["io"]
samples = io["samples_read"]
# Every sample once per epoch; each is its record plus the format's framing, never read twice.
if not samples * record <= io["sample_bytes_read"] <= samples * (record + 4096):
    sys.exit(f"sample_bytes_read {io['sample_bytes_read']} for {samples} samples of {record} B")
if io["bytes_read"] < io["sample_bytes_read"] or io["read_requests"] <= 0:
    sys.exit(f"bytes_read {io['bytes_read']}, read_requests {io['read_requests']}")
if io["read_latency"]["count"] != io["read_requests"]:
    sys.exit(f"read_latency.count {io['read_latency']['count']} != {io['read_requests']}")
for rank in (0, 1):
    out = json.load(open(f"{run_dir}/{rank}_output.json"))
    for epoch in range(1, epochs + 1):
        blocks = out[str(epoch)]["compute"]
        values = [c for block in blocks.values() for c in block]
        if len(values) != steps:
            sys.exit(f"rank {rank} epoch {epoch}: {len(values)} compute values, not {steps}")
        # Emulated compute sleeps to a deadline, so it never ends early; how late it ends depends
        # on the machine's load, which is not this test's business.
        if sum(values) < steps * compute * (1 - 1e-6):
            sys.exit(f"rank {rank} epoch {epoch}: compute {sum(values):.4f} s, "
                     f"less than {steps} x {compute} s")
    stats = json.load(open(f"{run_dir}/{rank}_per_epoch_stats.json"))
    if sorted(stats) != [str(e) for e in range(1, epochs + 1)]:
        sys.exit(f"rank {rank} per_epoch_stats epochs {sorted(stats)}")
PY
    ) || fail "the outputs of $run_dir agree with the run" "(consistent)" "$problem"
}

# datagen_and_run MODEL EXT FILES NSPF RECORD BATCH EPOCHS COMPUTE AU [RUN PARAMS...]
datagen_and_run() {
    local model=$1 ext=$2 files=$3 nspf=$4 record=$5 batch=$6 epochs=$7 compute=$8 au=$9
    shift 9
    local data_params=(dataset.num_files_train="$files" dataset.num_samples_per_file="$nspf"
        dataset.record_length_bytes="$record" dataset.record_length_bytes_stdev=0)
    expect_exit 0 mlps training datagen -m "$model" -np 2 -dd "$DATA" -rd "$RESULTS" \
        -p "${data_params[@]}" "${MPI[@]}"
    expect_stdout_contains "datagen $model: $files files written"
    expect_stdout_contains "), 0 already present"
    expect_file_names "$DATA/$model/train" img "$files" "$ext"
    expect_exit 0 mlps training run -m "$model" -g h100 -na 2 -cm 1 -dd "$DATA" -rd "$RESULTS" \
        -p "${data_params[@]}" reader.batch_size="$batch" train.epochs="$epochs" \
        train.computation_time="$compute" "$@" "${MPI[@]}"
    expect_stdout_contains "[METRIC] Number of Simulated Accelerators: 2"
    local run_dir
    run_dir=$(the_newest_training_dir "$RESULTS" "$model" run)
    expect_stdout_contains "results: $run_dir"
    check_run_outputs "$run_dir" "$model" "$files" "$nspf" "$record" "$batch" "$epochs" \
        "$compute" "$au"
}

case_begin "unet3d (npz): datagen -np 2, run -na 2"
datagen_and_run unet3d npz 16 1 1048576 2 2 0.05 0.9
expect_no_files_under "$DATA/unet3d/valid"
problem=$("$PYTHON_WITH_NUMPY" - "$DATA/unet3d/train/img_07_of_16.npz" <<'PY'
import sys
import numpy as np

z = np.load(sys.argv[1])
if sorted(z.files) != ["x", "y"]:
    sys.exit(f"members {z.files}")
x = z["x"]
if x.shape != (1024, 1024, 1) or x.dtype != np.uint8:
    sys.exit(f"x has shape {x.shape} and dtype {x.dtype}, not (1024, 1024, 1) uint8")
if z["y"].shape != (1,):
    sys.exit(f"y has shape {z['y'].shape}")
PY
) || fail "numpy loads the npz with x of (1024, 1024, 1) uint8" "(loaded)" "$problem"

case_begin "resnet50 (tfrecord, 4 samples per file): datagen -np 2, run -na 2"
datagen_and_run resnet50 tfrecord 8 4 65536 4 2 0.05 0.9
expect_file_names "$DATA/resnet50/index/train" img 8 tfrecord.idx

case_begin "cosmoflow (tfrecord, shuffle window 2): datagen -np 2, run -na 2"
datagen_and_run cosmoflow tfrecord 16 1 262144 2 2 0.05 0.7 reader.read_threads=2

# --- datagen resumes ---

case_begin "datagen again after a lost file and a crashed write: only that file is written"
train="$DATA/unet3d/train"
before=$(md5sum <"$train/img_05_of_16.npz")
rm "$train/img_05_of_16.npz"
echo "half a file" >"$train/.img_05_of_16.npz.mlps-partial.1.0"
expect_exit 0 mlps training datagen -m unet3d -np 2 -dd "$DATA" -rd "$RESULTS" \
    -p dataset.num_files_train=16 dataset.record_length_bytes=1048576 \
    dataset.record_length_bytes_stdev=0 "${MPI[@]}"
expect_stdout_contains "datagen unet3d: 1 files written"
expect_stdout_contains "), 15 already present"
expect_file_names "$train" img 16 npz
expect_eq "$(md5sum <"$train/img_05_of_16.npz")" "$before" "the rewritten file's content"

# --- inputs a run refuses ---

BAD="$SCRATCH/results-bad"
UNET3D_DATA=(dataset.num_files_train=16 dataset.record_length_bytes=1048576
    dataset.record_length_bytes_stdev=0)
SMALL_RUN=(reader.batch_size=2 train.epochs=1 train.computation_time=0.01)

# refused TEXT... -- RUN ARGS: exit 2, the one line naming every TEXT, no summary written.
refused() {
    local texts=()
    while [[ $1 != -- ]]; do
        texts+=("$1")
        shift
    done
    shift
    expect_exit 2 mlps training run "$@" -rd "$BAD" "${MPI[@]}"
    expect_one_error "${texts[@]}"
    expect_no_summary "$BAD"
}

case_begin "more files than the data folder holds: how many are missing and how to make them"
refused "holds 16 of the 20 files" "missing 4: train/ has 16 .npz files" \
    "mlps training datagen -m unet3d" \
    "dataset.num_files_train=20" -- \
    -m unet3d -g h100 -na 2 -cm 1 -dd "$DATA" -p "${UNET3D_DATA[@]}" \
    dataset.num_files_train=20 "${SMALL_RUN[@]}"

case_begin "a misspelt -p key: the suggestion"
refused "reader.bach_size" "did you mean 'reader.batch_size'" -- \
    -m unet3d -g h100 -na 2 -cm 1 -dd "$DATA" -p "${UNET3D_DATA[@]}" reader.bach_size=2

case_begin "unet3d on b200: the valid model and accelerator pairs"
refused "unet3d on b200" "unet3d with a100, h100" "retinanet with b200, mi355" -- \
    -m unet3d -g b200 -na 2 -cm 1 -dd "$DATA" -p "${UNET3D_DATA[@]}"

case_begin "more accelerators than the data have batches for: no step, refused before a job"
refused "fewer than one step needs" "reader.batch_size 4 x 8 accelerators" -- \
    -m unet3d -g h100 -na 8 -cm 1 -dd "$DATA" -p "${UNET3D_DATA[@]}" reader.batch_size=4

case_begin "an unknown dataset.format: the formats there are"
refused "dataset.format" "npzz" "npz, npy, tfrecord" -- \
    -m unet3d -g h100 -na 2 -cm 1 -dd "$DATA" -p "${UNET3D_DATA[@]}" dataset.format=npzz

case_begin "reader.odirect=true on a filesystem without O_DIRECT"
# tmpfs refused O_DIRECT before Linux 6.6; where it takes it, there is nothing to test here.
if ! refuses_o_direct /dev/shm; then
    echo "skipped: /dev/shm is not there or takes O_DIRECT"
else
    shm_data=$(mktemp -d /dev/shm/mlps-training-XXXXXX)
    expect_exit 0 mlps training datagen -m unet3d -np 1 -dd "$shm_data" -rd "$RESULTS" \
        -p "${UNET3D_DATA[@]}" dataset.num_files_train=4
    refused "reader.odirect=true" "does not support O_DIRECT" "reader.odirect=false" -- \
        -m unet3d -g h100 -na 2 -cm 1 -dd "$shm_data" -p "${UNET3D_DATA[@]}" \
        dataset.num_files_train=4 reader.odirect=true "${SMALL_RUN[@]}"
    rm -rf "$shm_data"
fi

# The b200 workloads: parquet column mode (dlrm, flux) and encoded images (retinanet), scaled
# down; each sample is read once per epoch across the two ranks.
# b200_run MODEL FILES EPOCHS BATCH DATA_PARAMS...
b200_run() {
    local model=$1 files=$2 epochs=$3 batch=$4
    shift 4
    local params=(dataset.num_files_train="$files" "$@")
    expect_exit 0 mlps training datagen -m "$model" -np 2 -dd "$DATA" -rd "$RESULTS" \
        -p "${params[@]}" "${MPI[@]}"
    expect_exit 0 mlps training run -m "$model" -g b200 -na 2 -cm 1 -dd "$DATA" -rd "$RESULTS" \
        -p "${params[@]}" reader.batch_size="$batch" train.epochs="$epochs" \
        train.computation_time=0.01 "${MPI[@]}"
    local run_dir nspf steps
    run_dir=$(the_newest_training_dir "$RESULTS" "$model" run)
    nspf=$(json_get "$run_dir/summary.json" num_samples_per_file)
    steps=$((files * nspf / (batch * 2)))
    expect_json "$run_dir/summary.json" steps_per_epoch "$steps"
    expect_json "$run_dir/summary.json" io.samples_read $((epochs * steps * batch * 2))
    expect_json "$run_dir/training_$(basename "$run_dir" | cut -c1-15)_metadata.json" \
        accelerator b200
}

case_begin "dlrm (parquet, 200 columns): datagen -np 2, run -na 2"
b200_run dlrm 4 2 4096 dataset.num_samples_per_file=8192 dataset.parquet.row_group_size=2048
expect_file_names "$DATA/dlrm/train" img 4 parquet

case_begin "flux (parquet, list columns): datagen -np 2, run -na 2"
b200_run flux 4 1 2 dataset.num_samples_per_file=4

case_begin "retinanet (jpeg): datagen -np 2, run -na 2"
b200_run retinanet 16 2 4 dataset.record_length_bytes=65536 dataset.record_length_bytes_stdev=0
expect_file_names "$DATA/retinanet/train" img 16 jpeg

# --- datagen failures: one error line naming the file, nothing half-written under a real name ---

NPZ_BYTES=$(stat -c %s "$DATA/unet3d/train/img_05_of_16.npz")

# expect_only_whole_files DIR: no temporary anywhere under DIR, and every npz directly in it
# has the size of a complete one.
expect_only_whole_files() {
    local leftovers name
    leftovers=$(find "$1" -name '*mlps-partial*' | head -5)
    [[ -z "$leftovers" ]] || fail "no temporaries left under $1" "(none)" "$leftovers"
    for name in "$1"/*.npz; do
        [[ ! -f "$name" ]] || expect_file_size "$name" "$NPZ_BYTES"
    done
}

# datagen_unet3d DATA_DIR EXIT: the 16-file unet3d dataset the run cases use; a failed
# generation leaves no summary.
DATAGEN_FAILED="$SCRATCH/results-datagen-failed"
datagen_unet3d() {
    local results=$RESULTS
    [[ $2 == 0 ]] || results=$DATAGEN_FAILED
    expect_exit "$2" timeout 120 "$MLPS_BIN" training datagen -m unet3d -np 2 -dd "$1" \
        -rd "$results" -p "${UNET3D_DATA[@]}" "${MPI[@]}"
    [[ $2 == 0 ]] || expect_no_summary "$DATAGEN_FAILED"
}

case_begin "datagen where a directory holds a file's name: the publication fails naming it"
TAKEN="$SCRATCH/data-taken"
mkdir -p "$TAKEN/unet3d/train/img_03_of_16.npz"
touch "$TAKEN/unet3d/train/img_03_of_16.npz/keep"
datagen_unet3d "$TAKEN" 1
expect_eq "$(grep -c '^mlps' "$ERR")" 1 "error lines"
TAKEN_URI="file://$TAKEN/unet3d/train/img_03_of_16.npz"
grep '^mlps' "$ERR" | grep -q "close $TAKEN_URI: rename .*: Is a directory" ||
    fail "the error names the file and the rename" \
        "close file://…/img_03_of_16.npz: rename …: Is a directory" "$(grep '^mlps' "$ERR")"
expect_only_whole_files "$TAKEN/unet3d/train"
expect_file "$TAKEN/unet3d/train/img_03_of_16.npz/keep"

case_begin "datagen again once the directory is gone: the missing files are written"
rm -r "$TAKEN/unet3d/train/img_03_of_16.npz"
datagen_unet3d "$TAKEN" 0
expect_file_names "$TAKEN/unet3d/train" img 16 npz
expect_only_whole_files "$TAKEN/unet3d/train"
rm -rf "$TAKEN"

SMALL_FS="$SCRATCH/small-fs"
mkdir -p "$SMALL_FS"
if mount -t tmpfs -o size=6m tmpfs "$SMALL_FS" 2>/dev/null; then
    case_begin "datagen onto a 6 MiB filesystem: No space left on device, naming the file"
    datagen_unet3d "$SMALL_FS" 1
    expect_eq "$(grep -c '^mlps' "$ERR")" 1 "error lines"
    FULL_RE="file://$SMALL_FS/unet3d/train/img_[0-9]*_of_16.npz.*No space left on device"
    grep '^mlps' "$ERR" | grep -q "$FULL_RE" ||
        fail "the error names the file and the full disk" \
            "…/img_<i>_of_16.npz … No space left on device" "$(grep '^mlps' "$ERR")"
    expect_only_whole_files "$SMALL_FS/unet3d/train"
    umount "$SMALL_FS"
else
    echo "skipped: cannot mount a small tmpfs here (not root?), no ENOSPC case"
fi

case_begin "a truncated npz in the data folder: the run fails naming the file and the offset"
truncate -s 1000 "$DATA/unet3d/train/img_06_of_16.npz"
expect_exit 1 timeout 120 "$MLPS_BIN" training run -m unet3d -g h100 -na 2 -cm 1 -dd "$DATA" \
    -rd "$BAD" -p "${UNET3D_DATA[@]}" "${SMALL_RUN[@]}" "${MPI[@]}"
expect_eq "$(grep -c '^mlps' "$ERR")" 1 "error lines"
expect_stderr_contains "img_06_of_16.npz"
grep '^mlps' "$ERR" | grep -q "offset" ||
    fail "the error names the offset" "offset" "$(grep '^mlps' "$ERR")"
expect_no_summary "$BAD"
