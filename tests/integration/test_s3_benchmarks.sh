#!/usr/bin/env bash
# The benchmarks on s3:// against s3rver (started by s3rver.sh): training datagen then run for
# unet3d (npz) and resnet50 (tfrecord with its .idx companions), checking the objects written
# against the same dataset on local files and the samples read and retries in summary.json; a
# run on an empty prefix refused with the count of missing files; and a checkpointing run whose
# objects have the sizes `mlps checkpointing datasize` plans. A proxy that answers every third
# ranged GET with 503 SlowDown checks that the retries a run made are the ones it reports.
source "$MLPS_SOURCE_DIR/tests/integration/lib.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3rver.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3_test.sh"

NPM_PREFIX="$MLPS_BUILD_DIR/npm-s3rver"
BUCKET=bench
SERVER_DIR="$SCRATCH/s3rver"
RESULTS="$SCRATCH/results"
MPI=(--allow-run-as-root --oversubscribe)
trap 'status=$?; s3_proxy_stop; s3rver_stop; (exit $status); finish' EXIT

s3_install_or_skip "$NPM_PREFIX" "$SCRATCH/npm.log"
case_begin "s3rver $S3RVER_VERSION installs and starts"
s3rver_start "$NPM_PREFIX" "$SERVER_DIR" "$SCRATCH/s3rver.log" "$BUCKET" ||
    fail "s3rver exited" "running" "$(cat "$SCRATCH/s3rver.log")"

# object_size KEY: the size of an object as s3rver keeps it (the body in <key>._S3rver_object).
object_size() {
    local body="$SERVER_DIR/$BUCKET/$1._S3rver_object"
    [[ -f "$body" ]] || fail "object s3://$BUCKET/$1 exists" "present" "(missing)"
    stat -c %s "$body"
}

# object_keys PREFIX: the keys under a prefix, sorted.
object_keys() {
    (cd "$SERVER_DIR/$BUCKET" && find "$1" -name '*._S3rver_object' | sed 's/\._S3rver_object$//' |
        sort)
}

newest_dir() {
    find "$1" -mindepth 1 -maxdepth 1 -type d | sort | tail -n 1
}

# expect_objects_match_files MODEL: datagen on s3:// wrote the same keys and sizes as on files.
expect_objects_match_files() {
    local model=$1 key
    local local_keys
    local_keys=$(cd "$SCRATCH/local" && find "$model" -type f | sort)
    [[ -n "$local_keys" ]] || fail "datagen wrote local files for $model" "some" "(none)"
    expect_eq "$(object_keys "data/$model" | sed 's|^data/||')" "$local_keys" \
        "the objects of $model are the files datagen writes locally"
    for key in $local_keys; do
        expect_eq "$(object_size "data/$key")" "$(stat -c %s "$SCRATCH/local/$key")" \
            "size of s3://$BUCKET/data/$key"
    done
}

# train MODEL FILES SAMPLES_PER_FILE RECORD_BYTES SAMPLE_BYTES BATCH: datagen to s3:// and to
# local files, then one epoch read from s3://, each sample SAMPLE_BYTES as stored (the record and
# its format's framing); leaves the run's summary in $SUMMARY.
train() {
    local model=$1 files=$2 per_file=$3 record=$4 sample=$5 batch=$6
    local params=(dataset.num_files_train="$files" dataset.num_samples_per_file="$per_file"
        dataset.record_length_bytes="$record" dataset.record_length_bytes_stdev=0)
    case_begin "training datagen $model to s3://"
    expect_exit 0 mlps training datagen -m "$model" -np 2 -dd "s3://$BUCKET/data" \
        -p "${params[@]}" -rd "$RESULTS" "${MPI[@]}"
    expect_stdout_contains "$files files written"
    expect_stdout_contains "in s3://$BUCKET/data/$model"
    expect_exit 0 mlps training datagen -m "$model" -np 1 -dd "$SCRATCH/local" \
        -p "${params[@]}" -rd "$RESULTS"
    expect_objects_match_files "$model"

    case_begin "training run $model from s3://"
    expect_exit 0 mlps training run -m "$model" -g h100 -na 2 -cm 1 -dd "s3://$BUCKET/data" \
        -p "${params[@]}" reader.batch_size="$batch" train.epochs=1 train.computation_time=0.01 \
        --drop-caches -rd "$RESULTS" "${MPI[@]}"
    expect_stderr_contains "--drop-caches: s3://$BUCKET/data/$model is not read through the page cache"
    expect_stderr_lacks "reads may come from the page cache"
    SUMMARY="$(newest_dir "$RESULTS/training/$model/run")/summary.json"
    expect_file "$SUMMARY"
    local samples=$((files * per_file))
    expect_eq "$(json_get "$SUMMARY" io.samples_read)" "$samples" "io.samples_read"
    expect_eq "$(json_get "$SUMMARY" io.sample_bytes_read)" "$((samples * sample))" \
        "io.sample_bytes_read"
    expect_eq "$(json_get "$SUMMARY" io.s3_retries)" 0 "io.s3_retries"
    expect_eq "$(json_get "$SUMMARY" steps_per_epoch)" "$((samples / batch / 2))" "steps_per_epoch"
    expect_positive "$(json_get "$SUMMARY" io.s3_requests.GetObject.count)" \
        "io.s3_requests.GetObject.count"
    expect_eq "$(json_get "$SUMMARY" io.s3_requests.GetObject.failed)" 0 \
        "io.s3_requests.GetObject.failed"
    expect_positive "$(json_get "$SUMMARY" io.s3_requests.GetObject.p99_ms)" \
        "io.s3_requests.GetObject.p99_ms"
    expect_eq "$(json_get "$SUMMARY" io.s3_requests | grep -c PutObject)" 0 \
        "io.s3_requests of a run that only reads: no PutObject"
}

train unet3d 8 1 1048576 1048576 2
case_begin "no HEAD at all: the listing gives every object's size, the check and the reads use it"
expect_eq "$(json_get "$SUMMARY" io.s3_requests | grep -c HeadObject)" 0 \
    "io.s3_requests of a run whose listing knows every size: no HeadObject"
expect_positive "$(json_get "$SUMMARY" io.s3_requests.ListObjectsV2.count)" \
    "io.s3_requests.ListObjectsV2.count (the listing the sizes come from)"
case_begin "training run through a server that asks to slow down: the retries are reported"
s3_proxy_start 3
AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$SCRATCH/proxy.port")" MLPS_S3_MAX_ATTEMPTS=12 expect_exit 0 mlps training run \
    -m unet3d -g h100 -na 2 -cm 1 -dd "s3://$BUCKET/data" -p dataset.num_files_train=8 \
    dataset.record_length_bytes=1048576 dataset.record_length_bytes_stdev=0 reader.batch_size=2 \
    train.epochs=1 train.computation_time=0 reader.odirect=true -rd "$RESULTS" "${MPI[@]}"
s3_proxy_stop
expect_stderr_contains "reader.odirect=true: s3://$BUCKET/data/unet3d is not read through the page cache; nothing to bypass"
SUMMARY="$(newest_dir "$RESULTS/training/unet3d/run")/summary.json"
expect_positive "$(cat "$SCRATCH/proxy.failed")" "ranged GETs answered with SlowDown"
expect_eq "$(json_get "$SUMMARY" io.s3_retries)" "$(cat "$SCRATCH/proxy.failed")" \
    "io.s3_retries (the SlowDown answers the proxy gave)"
expect_eq "$(json_get "$SUMMARY" io.samples_read)" 8 "io.samples_read despite the retries"

train resnet50 4 8 65536 $((65536 + 60)) 4 # a tf.Example in a TFRecord frame
case_begin "resnet50's index files are objects"
expect_eq "$(object_keys data/resnet50/index | wc -l)" 4 "number of .idx objects"

case_begin "training run on a prefix without data"
expect_exit 2 mlps training run -m unet3d -g h100 -na 1 -cm 1 -dd "s3://$BUCKET/nothing" \
    -p dataset.num_files_train=8 -rd "$RESULTS"
expect_stderr_contains "s3://$BUCKET/nothing/unet3d holds 0 of the 8 files the run reads"

case_begin "checkpointing run on s3://"
MODEL_PARAMS=(model.num_layers=2 model.transformer.hidden_size=256
    model.transformer.vocab_size=1024 model.transformer.ffn_hidden_size=512)
expect_exit 0 mlps checkpointing datasize -m llama3-8b -np 2 -cm 8 -p "${MODEL_PARAMS[@]}"
expect_stdout_contains "ranks 0–1: 0.01 GiB each (11,493,120 B) in 2 files"
expect_stdout_contains "Per checkpoint: 22,986,240 B"
expect_exit 0 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "s3://$BUCKET/ckpt" -ncw 1 \
    -ncr 1 -p "${MODEL_PARAMS[@]}" checkpoint.time_between_checkpoints=0 -rd "$RESULTS" "${MPI[@]}"
STEP=ckpt/llama3-8b/global_epoch1_step1
expect_eq "$(object_keys "$STEP" | sed "s|^$STEP/||" | tr '\n' ' ')" \
    "mlps_checkpoint_complete.json zero_pp_rank_0_mp_rank_0_model_states.pt zero_pp_rank_0_mp_rank_0_optim_states.pt zero_pp_rank_1_mp_rank_0_model_states.pt zero_pp_rank_1_mp_rank_0_optim_states.pt " \
    "the checkpoint's objects"
for rank in 0 1; do
    model=$(object_size "$STEP/zero_pp_rank_${rank}_mp_rank_0_model_states.pt")
    optim=$(object_size "$STEP/zero_pp_rank_${rank}_mp_rank_0_optim_states.pt")
    expect_eq "$((model + optim))" 11493120 "bytes of rank $rank's two objects"
done
SUMMARY="$(newest_dir "$RESULTS/checkpointing/llama3-8b")/summary.json"
expect_eq "$(json_get "$SUMMARY" metric.checkpoint_size_bytes)" 22986240 "checkpoint_size_bytes"
expect_eq "$(json_get "$SUMMARY" metric.checkpoint_files)" 4 "checkpoint_files"
expect_eq "$(json_get "$SUMMARY" metric.s3_retries)" 0 "metric.s3_retries"
# four objects and the completion marker, each below the 32 MiB part size: one PUT each
expect_eq "$(json_get "$SUMMARY" metric.s3_requests.PutObject.count)" 5 \
    "metric.s3_requests.PutObject.count"
expect_eq "$(json_get "$SUMMARY" metric.s3_requests | grep -c UploadPart)" 0 \
    "metric.s3_requests of objects below the part size: no UploadPart"
expect_positive "$(json_get "$SUMMARY" metric.s3_requests.PutObject.mean_ms)" \
    "metric.s3_requests.PutObject.mean_ms"
expect_eq "$(json_get "$SUMMARY" metric.load_checkpoint_duration_seconds | tr -d '[]' | wc -w)" 1 \
    "one load timed"

case_begin "checkpointing load through a server that asks to slow down: the retries are reported"
s3_proxy_start 3
AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$SCRATCH/proxy.port")" MLPS_S3_MAX_ATTEMPTS=12 expect_exit 0 mlps checkpointing \
    run -m llama3-8b -np 2 -cm 8 -cf "s3://$BUCKET/ckpt" -ncw 0 -ncr 1 -p "${MODEL_PARAMS[@]}" \
    checkpoint.time_between_checkpoints=0 -rd "$RESULTS" "${MPI[@]}"
s3_proxy_stop
SUMMARY="$(newest_dir "$RESULTS/checkpointing/llama3-8b")/summary.json"
expect_positive "$(cat "$SCRATCH/proxy.failed")" "ranged GETs answered with SlowDown"
expect_eq "$(json_get "$SUMMARY" metric.s3_retries)" "$(cat "$SCRATCH/proxy.failed")" \
    "metric.s3_retries (the SlowDown answers the proxy gave)"
expect_eq "$(json_get "$SUMMARY" metric.s3_requests.GetObject.count)" 4 \
    "metric.s3_requests.GetObject.count (one per object: each fits in one read)"
expect_eq "$(json_get "$SUMMARY" metric.s3_requests.GetObject.failed)" 0 \
    "metric.s3_requests.GetObject.failed (the SlowDown answers were retried)"
