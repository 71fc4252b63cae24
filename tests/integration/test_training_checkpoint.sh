#!/usr/bin/env bash
# `mlps training run` with checkpoints during training (workflow.checkpoint=true), two
# self-launched processes on a small unet3d dataset (8 files, batch 1: 4 steps per epoch):
# checkpoints by epochs (after epochs 1 and 3 of 3) and by steps (every 3 steps: two blocks per
# epoch; every 2 steps: the last one ends the epoch), rank_zero and all_ranks file counts, files
# of exactly model.model_size_bytes, the save_ckpt<k> entries between blocks (checkpoint time
# lies outside every block, so AU does not see it), DLIO's summary keys; and the keys and folders
# a run refuses with one line.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MPI=(--allow-run-as-root --oversubscribe)
DATA="$SCRATCH/data"
RESULTS="$SCRATCH/results"
CKPT="$SCRATCH/checkpoints"
MODEL_BYTES=20000
DATA_PARAMS=(dataset.num_files_train=8 dataset.num_samples_per_file=1
    dataset.record_length_bytes=65536 dataset.record_length_bytes_stdev=0)
RUN_PARAMS=(reader.batch_size=1 train.computation_time=0.01 workflow.checkpoint=true
    model.model_size_bytes=$MODEL_BYTES)

# train_with_checkpoints FOLDER EPOCHS PARAMS...: a two-process run; prints its run directory.
train_with_checkpoints() {
    local folder=$1 epochs=$2
    shift 2
    expect_exit 0 mlps training run -m unet3d -g h100 -na 2 -cm 1 -dd "$DATA" -rd "$RESULTS" \
        -p "${DATA_PARAMS[@]}" "${RUN_PARAMS[@]}" train.epochs="$epochs" \
        checkpoint.checkpoint_folder="$folder" "$@" "${MPI[@]}"
    find "$RESULTS/training/unet3d/run" -mindepth 1 -maxdepth 1 -type d | sort | tail -n 1
}

# expect_checkpoint_metric_lines: the [METRIC] block has DLIO's checkpoint lines.
expect_checkpoint_metric_lines() {
    expect_stdout_contains "[METRIC] Checkpoint save duration (seconds): "
    expect_stdout_contains "[METRIC] Checkpoint save I/O Throughput (GB/second): "
}

# expect_checkpoint_files FOLDER FILE...: FOLDER holds exactly these files (sorted relative
# paths), each of MODEL_BYTES bytes.
expect_checkpoint_files() {
    local folder=$1 actual expected f
    shift
    expected=$(printf '%s\n' "$@" | sort)
    actual=$(cd "$folder" && find . -type f | sed 's|^\./||' | sort)
    [[ "$actual" == "$expected" ]] ||
        fail "the files in $folder" "$(echo $expected)" "$(echo $actual)"
    for f in "$@"; do
        expect_file_size "$folder/$f" "$MODEL_BYTES"
    done
}

# check_checkpoint_outputs RUN_DIR EPOCHS CHECKPOINTS WRITERS LAYOUT: every rank's per-epoch
# stats hold exactly the keys LAYOUT gives per epoch, blocks with their steps
# ("1=block1:3,save_ckpt1,block2:1;2=block1:4"), as <rank>_output.json's step lists do; every
# save_ckpt lies between the block it ends and the next block (or the epoch's end); and the
# summary's checkpoint keys agree with rank 0's entries.
check_checkpoint_outputs() {
    local problem
    problem=$(python3 - "$@" "$MODEL_BYTES" <<'PY'
import json, sys
from datetime import datetime

run_dir, epochs, count, writers, layout, model_bytes = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
expected = {}
block_steps = {}
for part in layout.split(";"):
    epoch, keys = part.split("=")
    expected[epoch] = [k.split(":")[0] for k in keys.split(",")]
    block_steps[epoch] = {k.split(":")[0]: int(k.split(":")[1]) for k in keys.split(",")
                          if k.startswith("block")}

def when(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f")

for rank in (0, 1):
    stats = json.load(open(f"{run_dir}/{rank}_per_epoch_stats.json"))
    output = json.load(open(f"{run_dir}/{rank}_output.json"))
    if sorted(stats) != [str(e) for e in range(1, epochs + 1)]:
        sys.exit(f"rank {rank}: epochs {sorted(stats)}")
    for epoch, keys in expected.items():
        got = [k for k in stats[epoch] if k not in ("start", "end", "duration")]
        if got != keys:
            sys.exit(f"rank {rank} epoch {epoch}: keys {got}, expected {keys}")
        entries = [stats[epoch][k] for k in keys]
        times = [when(stats[epoch]["start"])]
        for key, entry in zip(keys, entries):
            times += [when(entry["start"]), when(entry["end"])]
            if key.startswith("save_ckpt"):
                if not isinstance(entry["duration"], float) or entry["duration"] <= 0:
                    sys.exit(f"rank {rank} epoch {epoch} {key}: duration {entry['duration']}")
                rate = writers * model_bytes / 2**30 / entry["duration"]
                if abs(entry["throughput"] - rate) > 1e-9 * rate:
                    sys.exit(f"rank {rank} epoch {epoch} {key}: throughput "
                             f"{entry['throughput']}, not {rate}")
        times.append(when(stats[epoch]["end"]))
        # Blocks and checkpoints follow one another without overlap: no checkpoint time is
        # inside a block, so AU (compute over block time) cannot see it.
        if times != sorted(times):
            sys.exit(f"rank {rank} epoch {epoch}: entries overlap or are out of order: "
                     f"{[str(t) for t in times]}")
        steps = {b: len(v) for b, v in output[epoch]["compute"].items()}
        if steps != block_steps[epoch]:
            sys.exit(f"rank {rank} epoch {epoch}: steps per block {steps}, expected "
                     f"{block_steps[epoch]}")
m = json.load(open(f"{run_dir}/summary.json"))["metric"]
if m["save_checkpoint_count"] != count:
    sys.exit(f"save_checkpoint_count {m['save_checkpoint_count']}, expected {count}")
if m["checkpoint_size_bytes"] != writers * model_bytes:
    sys.exit(f"checkpoint_size_bytes {m['checkpoint_size_bytes']}")
if abs(m["checkpoint_size_GB"] - writers * model_bytes / 2**30) > 1e-15:
    sys.exit(f"checkpoint_size_GB {m['checkpoint_size_GB']}")
stats = json.load(open(f"{run_dir}/0_per_epoch_stats.json"))
saves = [v for e in sorted(stats, key=int) for k, v in stats[e].items() if k.startswith("save_ckpt")]
durations = [s["duration"] for s in saves]
rates = [s["throughput"] for s in saves]
def mean(x): return sum(x) / len(x)
def stdev(x): return (sum((v - mean(x)) ** 2 for v in x) / len(x)) ** 0.5
for key, value in (("save_checkpoint_duration_mean_seconds", mean(durations)),
                   ("save_checkpoint_duration_stdev_seconds", stdev(durations)),
                   ("save_checkpoint_io_mean_GB_per_second", mean(rates)),
                   ("save_checkpoint_io_stdev_GB_per_second", stdev(rates))):
    if abs(m[key] - value) > 1e-9 * max(1.0, abs(value)):
        sys.exit(f"{key} {m[key]} is not {value} over rank 0's save_ckpt entries")
if not all(0 <= a <= 100 for a in m["train_au_percentage"]):
    sys.exit(f"train_au_percentage {m['train_au_percentage']}")
PY
    ) || fail "the checkpoint outputs of $1 agree with the run" "(consistent)" "$problem"
}

# --- set-up ---

expect_exit 0 mlps training datagen -m unet3d -np 2 -dd "$DATA" -rd "$RESULTS" \
    -p "${DATA_PARAMS[@]}" "${MPI[@]}"

# --- by epochs ---

case_begin "by epochs, rank_zero: 3 epochs, after epoch 1 every 2 -> epochs 1 and 3"
run_dir=$(train_with_checkpoints "$CKPT/epochs" 3 checkpoint.checkpoint_after_epoch=1 \
    checkpoint.epochs_between_checkpoints=2 checkpoint.type=rank_zero)
expect_checkpoint_metric_lines
expect_checkpoint_files "$CKPT/epochs" global_epoch1_step4/model_states-0.pt \
    global_epoch3_step4/model_states-0.pt
check_checkpoint_outputs "$run_dir" 3 2 1 \
    "1=block1:4,save_ckpt1;2=block1:4;3=block1:4,save_ckpt1"
expect_json "$run_dir/summary.json" steps_per_epoch 4
expect_json "$run_dir/summary.json" io.samples_read 24

# --- by steps ---

case_begin "by steps, all_ranks: every 3 of 4 steps -> one checkpoint and two blocks per epoch"
run_dir=$(train_with_checkpoints "$CKPT/steps3" 2 checkpoint.steps_between_checkpoints=3 \
    checkpoint.type=all_ranks)
expect_checkpoint_metric_lines
expect_checkpoint_files "$CKPT/steps3" global_epoch1_step3/model_states-0.pt \
    global_epoch1_step3/model_states-1.pt global_epoch2_step3/model_states-0.pt \
    global_epoch2_step3/model_states-1.pt
check_checkpoint_outputs "$run_dir" 2 2 2 \
    "1=block1:3,save_ckpt1,block2:1;2=block1:3,save_ckpt1,block2:1"
expect_json "$run_dir/summary.json" io.samples_read 16

case_begin "by steps, rank_zero: every 2 of 4 steps -> the second checkpoint ends the epoch"
run_dir=$(train_with_checkpoints "$CKPT/steps2" 1 checkpoint.steps_between_checkpoints=2)
expect_checkpoint_metric_lines
expect_checkpoint_files "$CKPT/steps2" global_epoch1_step2/model_states-0.pt \
    global_epoch1_step4/model_states-0.pt
check_checkpoint_outputs "$run_dir" 1 2 1 "1=block1:2,save_ckpt1,block2:2,save_ckpt2"

case_begin "checkpoint keys that write nothing: a warning, the keys with null means"
run_dir=$(train_with_checkpoints "$CKPT/none" 1 checkpoint.checkpoint_after_epoch=5)
expect_stderr_contains "writes no checkpoint in 1 epochs"
expect_stderr_contains "checkpoint.checkpoint_after_epoch=5"
grep -q "Checkpoint save" "$OUT" && fail "no checkpoint lines in the [METRIC] block" "(none)" \
    "$(grep "Checkpoint save" "$OUT")"
expect_json "$run_dir/summary.json" metric.save_checkpoint_count 0
expect_json "$run_dir/summary.json" metric.save_checkpoint_io_mean_GB_per_second null
expect_no_files_under "$CKPT/none"

# --- refused ---

BAD="$SCRATCH/results-bad"

# refused TEXT... -- PARAMS...: exit 2, one error line naming every TEXT, no summary.
refused() {
    local texts=()
    while [[ $1 != -- ]]; do
        texts+=("$1")
        shift
    done
    shift
    expect_exit 2 mlps training run -m unet3d -g h100 -na 2 -cm 1 -dd "$DATA" -rd "$BAD" \
        -p "${DATA_PARAMS[@]}" "${RUN_PARAMS[@]}" train.epochs=1 "$@" "${MPI[@]}"
    expect_one_error "${texts[@]}"
    [[ -z $(find "$BAD" -name summary.json 2>/dev/null) ]] ||
        fail "no summary.json under $BAD" "(none)" "$(find "$BAD" -name summary.json)"
}

case_begin "steps_between_checkpoints 0: refused, naming the key"
refused "checkpoint.steps_between_checkpoints" "at least 1" -- \
    checkpoint.checkpoint_folder="$CKPT/bad" checkpoint.steps_between_checkpoints=0

case_begin "checkpoint_after_epoch 0: refused, naming the key"
refused "checkpoint.checkpoint_after_epoch" "at least 1" -- \
    checkpoint.checkpoint_folder="$CKPT/bad" checkpoint.checkpoint_after_epoch=0

case_begin "epochs_between_checkpoints 0: refused, naming the key"
refused "checkpoint.epochs_between_checkpoints" "at least 1" -- \
    checkpoint.checkpoint_folder="$CKPT/bad" checkpoint.epochs_between_checkpoints=0

case_begin "a checkpoint folder that cannot be created: refused, naming the key and folder"
: >"$SCRATCH/a-file"
refused "checkpoint.checkpoint_folder" "$SCRATCH/a-file/checkpoints" -- \
    checkpoint.checkpoint_folder="$SCRATCH/a-file/checkpoints"
