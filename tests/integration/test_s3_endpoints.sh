#!/usr/bin/env bash
# Object-storage configuration as the reference takes it, against two s3rver servers: settings
# from a .env file (found above the working directory; the shell's variables win), --object
# with BUCKET, and two endpoints in S3_ENDPOINT_URIS spread over the ranks of a 2-process
# job (rank r to endpoint r mod 2). Training datagen + run go through two servers sharing one
# directory (the reference's endpoints front one storage), each rank's objects through its own
# server and each rank's endpoint in summary.json; a checkpoint save + load goes through two
# servers on separate directories, so each holds exactly its rank's objects. The secret key
# never appears in what a run prints or leaves in its results, --what-if included. Malformed
# endpoint settings and a missing BUCKET are one-line usage errors naming the variable.
source "$MLPS_SOURCE_DIR/tests/integration/lib.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3rver.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3_test.sh"

NPM_PREFIX="$MLPS_BUILD_DIR/npm-s3rver"
RESULTS="$SCRATCH/results"
MPI=(--allow-run-as-root --oversubscribe)
trap 'status=$?; s3rver_stop; (exit $status); finish' EXIT

s3_install_or_skip "$NPM_PREFIX" "$SCRATCH/npm.log"

case_begin "two s3rver servers on one directory"
export S3RVER_LOG_REQUESTS=1
s3rver_start "$NPM_PREFIX" "$SCRATCH/shared" "$SCRATCH/a.log" bench ||
    fail "s3rver exited" "running" "$(cat "$SCRATCH/a.log")"
PORT_A=$S3RVER_PORT
s3rver_start_another "$NPM_PREFIX" "$SCRATCH/shared" "$SCRATCH/b.log" bench ||
    fail "the second s3rver exited" "running" "$(cat "$SCRATCH/b.log")"
PORT_B=$S3RVER_OTHER_PORT
A="http://127.0.0.1:$PORT_A"
B="http://127.0.0.1:$PORT_B"
# Everything from the .env file: nothing S3 in the shell.
unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION BUCKET
mkdir -p "$SCRATCH/work/sub"
cat >"$SCRATCH/work/.env" <<ENV
# object storage of the tests
BUCKET=bench
export AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY="S3RVER"   # s3rver's fixed pair
AWS_REGION='us-east-1'
S3_ENDPOINT_URIS=$A,$B
ENV
cd "$SCRATCH/work/sub" # the .env lies one directory up

# stored_objects LOG: how many objects a server stored (its log says so once per PUT).
stored_objects() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -c 'Stored object' || true; }
newest_dir() { find "$1" -mindepth 1 -maxdepth 1 -type d | sort | tail -n 1; }

DATA=(-p dataset.num_files_train=8 dataset.num_samples_per_file=1
    dataset.record_length_bytes=65536 dataset.record_length_bytes_stdev=0)

case_begin "datagen --object with two endpoints: each rank writes through its own server"
expect_exit 0 mlps training datagen -m unet3d -np 2 --object -dd data "${DATA[@]}" \
    -rd "$RESULTS" "${MPI[@]}"
expect_stdout_contains "8 files written"
expect_stdout_contains "in s3://bench/data/unet3d"
expect_eq "$(stored_objects "$SCRATCH/a.log")" 4 "objects stored through endpoint 0 (rank 0's)"
expect_eq "$(stored_objects "$SCRATCH/b.log")" 4 "objects stored through endpoint 1 (rank 1's)"
expect_file "$SCRATCH/shared/bench/data/unet3d/train/img_1_of_8.npz._S3rver_object"
cp "$OUT" "$SCRATCH/all.stdout"
cp "$ERR" "$SCRATCH/all.stderr"

case_begin "run --object with two endpoints: the summary names each rank's endpoint"
expect_exit 0 mlps training run -m unet3d -g h100 -na 2 -cm 16 --object -dd data "${DATA[@]}" \
    reader.batch_size=2 train.epochs=1 train.computation_time=0.001 -rd "$RESULTS" "${MPI[@]}"
SUMMARY="$(newest_dir "$RESULTS/training/unet3d/run")/summary.json"
expect_eq "$(json_get "$SUMMARY" io.samples_read)" 8 "io.samples_read"
expect_eq "$(json_get "$SUMMARY" io.s3_endpoints)" "[\"$A\",\"$B\"]" "io.s3_endpoints"
expect_eq "$(json_get "$SUMMARY" io.s3_retries)" 0 "io.s3_retries"
cat "$OUT" >>"$SCRATCH/all.stdout"
cat "$ERR" >>"$SCRATCH/all.stderr"

case_begin "a variable set in the shell wins over the .env file"
S3_ENDPOINT_URIS="$B" expect_exit 0 mlps training run -m unet3d -g h100 -na 2 -cm 16 --object \
    -dd data "${DATA[@]}" reader.batch_size=2 train.epochs=1 train.computation_time=0.001 \
    -rd "$RESULTS" "${MPI[@]}"
SUMMARY="$(newest_dir "$RESULTS/training/unet3d/run")/summary.json"
expect_eq "$(json_get "$SUMMARY" io.s3_endpoints)" "[\"$B\",\"$B\"]" "io.s3_endpoints"

case_begin "storage keys instead of --object: storage_type, storage_root and endpoint_url"
expect_exit 0 mlps training run -m unet3d -g h100 -na 1 -cm 16 -dd data "${DATA[@]}" \
    storage.storage_type=s3 storage.storage_root=bench storage.storage_options.endpoint_url="$A" \
    storage.storage_options.s3_max_attempts=3 reader.batch_size=2 train.epochs=1 \
    train.computation_time=0.001 -rd "$RESULTS"
SUMMARY="$(newest_dir "$RESULTS/training/unet3d/run")/summary.json"
expect_eq "$(json_get "$SUMMARY" io.samples_read)" 8 "io.samples_read"
expect_eq "$(json_get "$SUMMARY" io.s3_endpoints)" "[\"$A\"]" "io.s3_endpoints"

case_begin "the secret key is nowhere in the output or the results"
# s3rver's secret and key id are both "S3RVER"; nothing else says it.
if grep -rl S3RVER "$RESULTS" "$SCRATCH/all.stdout" "$SCRATCH/all.stderr" >"$SCRATCH/leaks"; then
    fail "no file holds the secret" "(none)" "$(cat "$SCRATCH/leaks")"
fi
AWS_SECRET_ACCESS_KEY=what-if-secret-7c1e expect_exit 0 mlps training run -m unet3d -g h100 \
    -na 2 -cm 16 --object -dd data "${DATA[@]}" reader.batch_size=2 -rd "$RESULTS/what-if" \
    --what-if "${MPI[@]}"
cp "$OUT" "$SCRATCH/what-if.stdout"
cp "$ERR" "$SCRATCH/what-if.stderr"
AWS_SECRET_ACCESS_KEY=what-if-secret-7c1e expect_exit 0 mlps checkpointing run -m llama3-8b \
    -np 2 -cm 8 -cf ckpt --object -rd "$RESULTS/what-if" --what-if "${MPI[@]}"
if grep -rl what-if-secret-7c1e "$RESULTS" "$SCRATCH"/what-if.* "$OUT" "$ERR" >"$SCRATCH/leaks"; then
    fail "no file holds the secret" "(none)" "$(cat "$SCRATCH/leaks")"
fi

case_begin "a secret in the workload is refused"
expect_exit 2 mlps training run -m unet3d -g h100 -na 1 -cm 16 --object -dd data \
    -p storage.storage_options.secret_access_key=workload-secret-91 -rd "$RESULTS/refused"
expect_one_error "storage.storage_options.secret_access_key" "AWS_SECRET_ACCESS_KEY"
expect_stderr_lacks workload-secret-91

case_begin "malformed endpoint settings and a missing BUCKET are usage errors"
# From a directory without a .env (which would name S3_ENDPOINT_URIS, first in precedence).
cd "$SCRATCH"
BUCKET=bench AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s \
    S3_ENDPOINT_TEMPLATE="http://h{8...1}:9000" expect_exit 2 mlps training datagen -m unet3d -np 1 --object -dd data "${DATA[@]}" \
    -rd "$RESULTS/bad"
expect_one_error "S3_ENDPOINT_TEMPLATE='http://h{8...1}:9000'" "{N...M}"
BUCKET=bench AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s S3_ENDPOINT_URIS="$A" \
    S3_LOAD_BALANCE_STRATEGY=fastest expect_exit 2 mlps training datagen -m unet3d -np 1 \
    --object -dd data "${DATA[@]}" -rd "$RESULTS/bad"
expect_one_error "S3_LOAD_BALANCE_STRATEGY='fastest'"
expect_exit 2 mlps training datagen -m unet3d -np 1 --object -dd data -rd "$RESULTS/bad"
expect_one_error "--object needs the bucket's name in BUCKET"
cd "$SCRATCH/work/sub"

case_begin "checkpoint save and load through two servers on separate directories"
s3rver_stop
unset S3RVER_LOG_REQUESTS
s3rver_start "$NPM_PREFIX" "$SCRATCH/one" "$SCRATCH/one.log" bench ||
    fail "s3rver exited" "running" "$(cat "$SCRATCH/one.log")"
s3rver_start_another "$NPM_PREFIX" "$SCRATCH/two" "$SCRATCH/two.log" bench ||
    fail "the second s3rver exited" "running" "$(cat "$SCRATCH/two.log")"
unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
ONE="http://127.0.0.1:$S3RVER_PORT"
TWO="http://127.0.0.1:$S3RVER_OTHER_PORT"
S3_ENDPOINT_URIS="$ONE,$TWO" expect_exit 0 mlps checkpointing run -m llama3-8b -np 2 -cm 8 \
    -cf ckpt --object -ncw 1 -ncr 1 -p model.num_layers=2 model.transformer.hidden_size=256 \
    model.transformer.vocab_size=1024 model.transformer.ffn_hidden_size=512 \
    checkpoint.time_between_checkpoints=0 -rd "$RESULTS" "${MPI[@]}"
STEP=ckpt/llama3-8b/global_epoch1_step1
# keys DIR: the checkpoint's keys behind the server keeping DIR, on one line.
keys() {
    (cd "$1/bench/$STEP" && find . -name '*._S3rver_object' |
        sed 's|^\./||; s/\._S3rver_object$//' | sort | tr '\n' ' ')
}
expect_eq "$(keys "$SCRATCH/one")" \
    "mlps_checkpoint_complete.json zero_pp_rank_0_mp_rank_0_model_states.pt zero_pp_rank_0_mp_rank_0_optim_states.pt " \
    "the objects behind endpoint 0 (rank 0's)"
expect_eq "$(keys "$SCRATCH/two")" \
    "zero_pp_rank_1_mp_rank_0_model_states.pt zero_pp_rank_1_mp_rank_0_optim_states.pt " \
    "the objects behind endpoint 1 (rank 1's)"
SUMMARY="$(newest_dir "$RESULTS/checkpointing/llama3-8b")/summary.json"
expect_eq "$(json_get "$SUMMARY" metric.s3_endpoints)" "[\"$ONE\",\"$TWO\"]" "metric.s3_endpoints"
expect_eq "$(json_get "$SUMMARY" metric.load_checkpoint_duration_seconds | tr -d '[]' | wc -w)" 1 \
    "one load timed"
