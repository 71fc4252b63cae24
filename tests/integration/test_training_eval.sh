#!/usr/bin/env bash
# `mlps training run` with workflow.evaluation=true, as DLIO evaluates: after the training of
# epochs eval_after_epoch, eval_after_epoch + epochs_between_evals, ... every rank reads its
# share of the valid/ files in batches of reader.batch_size_eval. Checked through what the run
# wrote: every eval_* key of summary.json with one value per evaluation, the "eval" span of
# the evaluated epochs in <rank>_per_epoch_stats.json, the eval step lists of
# <rank>_output.json, the four Eval lines of the [METRIC] block, and the samples and bytes
# read (the valid files' included). valid/ is listed like train/: the first num_files_eval
# files in sorted order are read, fewer is one line (exit 2) naming how many are missing; with
# evaluation off valid/ is never read.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MPI=(--allow-run-as-root --oversubscribe)
RESULTS="$SCRATCH/results"
DATA="$SCRATCH/data"
SAMPLE=4096 # 64 x 64 bytes, one sample per file
KEYS=(dataset.num_files_train=4 dataset.num_samples_per_file=1 dataset.record_length_bytes=$SAMPLE
    dataset.record_length_bytes_stdev=0 reader.batch_size=1 reader.batch_size_eval=1
    train.computation_time=0.005 evaluation.eval_time=0.002)

expect_exit 0 mlps training datagen -m unet3d -np 2 -dd "$DATA" -rd "$RESULTS" \
    -p "${KEYS[@]}" dataset.num_files_eval=6 "${MPI[@]}"
expect_file "$DATA/unet3d/valid/img_5_of_6.npz"

# train RESULTS_DIR [PARAMS...]: a run on 2 accelerators.
train() {
    local results=$1
    shift
    run mlps training run -m unet3d -g h100 -na 2 -cm 1 -dd "$DATA" -rd "$results" \
        -p "${KEYS[@]}" "$@" "${MPI[@]}"
}

the_run_dir_of() {
    find "$1/training/unet3d/run" -mindepth 1 -maxdepth 1 -type d | sort | tail -n 1
}

case_begin "3 epochs, evaluations after epochs 1 and 3: every eval key, span and line"
train "$SCRATCH/r1" dataset.num_files_eval=6 train.epochs=3 workflow.evaluation=true \
    evaluation.eval_after_epoch=1 evaluation.epochs_between_evals=2
[[ "$LAST_STATUS" == 0 ]] || fail "exit status" 0 "$LAST_STATUS"
expect_stderr_contains "using all 6 files in valid/"
expect_stderr_contains "2 evaluations of 3 steps = 1 samples per file x 6 files / batch_size_eval 1 / 2 accelerators"
expect_stdout_contains "[METRIC] Eval Accelerator Utilization [AU] (%): "
expect_stdout_contains "[METRIC] Eval Throughput (samples/second): "
expect_stdout_contains "[METRIC] Eval Throughput (MiB/second): "
expect_stdout_contains "[METRIC] eval_au_meet_expectation: "
dir=$(the_run_dir_of "$SCRATCH/r1")
summary="$dir/summary.json"
for key in eval_au_percentage eval_throughput_samples_per_second; do
    got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["metric"][sys.argv[2]]))' \
        "$summary" "$key")
    expect_eq "$got" 2 "entries of metric.$key"
done
for key in eval_au_mean_percentage eval_au_stdev_percentage \
    eval_throughput_mean_samples_per_second eval_throughput_stdev_samples_per_second \
    eval_io_mean_MB_per_second eval_io_stdev_MB_per_second; do
    got=$(json_get "$summary" "metric.$key") || true
    expect_match "$got" '^[0-9.e+-]+$' "metric.$key"
done
expect_positive "$(json_get "$summary" metric.eval_throughput_mean_samples_per_second)" \
    "eval throughput"
expect_match "$(json_get "$summary" metric.eval_au_meet_expectation)" '^(success|fail)$' \
    "metric.eval_au_meet_expectation"
expect_json "$summary" epochs 3
expect_json "$summary" dataset.eval_files_used 6
# Training 3 x 4 samples, evaluation 2 x 6: 24 samples of 4096 bytes.
expect_json "$summary" io.samples_read 24
expect_json "$summary" io.sample_bytes_read $((24 * SAMPLE))
for rank in 0 1; do
    stats="$dir/${rank}_per_epoch_stats.json"
    expect_match "$(json_get "$stats" 1.eval.duration)" '^[0-9]+\.[0-9]{2}$' "epoch 1 eval span"
    expect_match "$(json_get "$stats" 3.eval.start)" '^[0-9]{4}-' "epoch 3 eval start"
    [[ "$(json_get "$stats" 2.eval || true)" == "<missing"* ]] ||
        fail "epoch 2 has no evaluation" "(no 2.eval)" "$(json_get "$stats" 2.eval)"
    output="$dir/${rank}_output.json"
    for group in load proc compute; do
        got=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' \
            "$(json_get "$output" "3.$group.eval")")
        expect_eq "$got" 3 "steps in $group.eval of epoch 3, rank $rank"
    done
    expect_match "$(json_get "$output" 1.au.eval)" '^[0-9.e+-]+$' "au.eval of rank $rank"
    expect_positive "$(json_get "$output" 1.throughput.eval)" "throughput.eval of rank $rank"
    expect_json "$output" io.samples_read 12
done

case_begin "more valid files than num_files_eval: the first in sorted order, the rest never read"
for i in 4 5; do echo "not an npz file" >"$DATA/unet3d/valid/img_${i}_of_6.npz"; done
train "$SCRATCH/r2" dataset.num_files_eval=4 train.epochs=1 workflow.evaluation=true
[[ "$LAST_STATUS" == 0 ]] || fail "exit status" 0 "$LAST_STATUS"
expect_stderr_contains "using the first 4 of 6 files in valid/ in sorted order: \
valid/img_0_of_6.npz .. valid/img_3_of_6.npz"
summary="$(the_run_dir_of "$SCRATCH/r2")/summary.json"
expect_json "$summary" dataset.eval_files_available 6
expect_json "$summary" dataset.eval_files_used 4
# One evaluation of 2 steps per rank: 4 training and 4 evaluation samples.
expect_json "$summary" io.samples_read 8

case_begin "fewer valid files than num_files_eval: how many are missing, and how to write them"
train "$SCRATCH/bad" dataset.num_files_eval=8 workflow.evaluation=true
[[ "$LAST_STATUS" == 2 ]] || fail "exit status" 2 "$LAST_STATUS"
expect_one_error "data/unet3d holds 6 of the 8 evaluation files the run reads (missing 2: \
valid/ has 6 .npz files)" "mlps training datagen -m unet3d" "dataset.num_files_eval=8"
[[ -z "$(find "$SCRATCH/bad" -name summary.json 2>/dev/null)" ]] ||
    fail "no summary.json after a refused run" "(none)" "$(find "$SCRATCH/bad" -name summary.json)"

case_begin "evaluation with no step is refused before a job starts"
train "$SCRATCH/bad" dataset.num_files_eval=1 reader.batch_size_eval=1 workflow.evaluation=true
[[ "$LAST_STATUS" == 2 ]] || fail "exit status" 2 "$LAST_STATUS"
expect_one_error "fewer than one evaluation step needs (reader.batch_size_eval 1 x 2 accelerators)"

case_begin "evaluation off: no eval key, no eval span, valid/ never read"
for i in 0 1 2 3 4 5; do echo "not an npz file" >"$DATA/unet3d/valid/img_${i}_of_6.npz"; done
train "$SCRATCH/r3" dataset.num_files_eval=6 train.epochs=2 workflow.evaluation=false
[[ "$LAST_STATUS" == 0 ]] || fail "exit status" 0 "$LAST_STATUS"
expect_stderr_lacks "valid/"
dir=$(the_run_dir_of "$SCRATCH/r3")
got=$(python3 -c 'import json,sys; print(sorted(k for k in json.load(open(sys.argv[1]))["metric"] if k.startswith("eval")))' \
    "$dir/summary.json")
expect_eq "$got" "[]" "eval keys in summary.json"
if grep -q '"eval"' "$dir/0_per_epoch_stats.json" "$dir/0_output.json"; then
    fail "no eval entry in the rank files" "(none)" "found"
fi
if grep -qF "Eval" "$OUT"; then fail "no Eval line in the [METRIC] block" "(none)" "found"; fi
expect_json "$dir/summary.json" io.samples_read 8
