#!/usr/bin/env bash
# s3:// when the server dies in the middle of a multipart upload: a checkpointing run writing
# objects in parts of 5 MiB to s3rver (started by s3rver.sh, logging every request) loses the
# server (kill -9) as soon as the first UploadPart arrives. The run must stop with exit 1 within
# bounded time (MLPS_S3_MAX_ATTEMPTS retries, then a failure naming the object's URI and the
# endpoint), and a server restarted on the same directory must hold no object of that checkpoint:
# a multipart upload never completed is not an object. Last, a server that asks to slow down
# during multipart uploads with three parts in flight: the run succeeds and reports exactly the
# retries the proxy caused.
source "$MLPS_SOURCE_DIR/tests/integration/lib.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3rver.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3_test.sh"

NPM_PREFIX="$MLPS_BUILD_DIR/npm-s3rver"
BUCKET=faults
SERVER_DIR="$SCRATCH/s3rver"
RESULTS="$SCRATCH/results"
RUN_PID=""
stop_run() {
    if [[ -n "$RUN_PID" ]]; then
        kill "$RUN_PID" 2>/dev/null || true
        wait "$RUN_PID" 2>/dev/null || true
        RUN_PID=""
    fi
}
trap 'status=$?; stop_run; s3_proxy_stop; s3rver_stop; (exit $status); finish' EXIT

s3_install_or_skip "$NPM_PREFIX" "$SCRATCH/npm.log"
case_begin "s3rver $S3RVER_VERSION installs and starts, logging requests"
export S3RVER_LOG_REQUESTS=1
s3rver_start "$NPM_PREFIX" "$SERVER_DIR" "$SCRATCH/s3rver.log" "$BUCKET" ||
    fail "s3rver exited" "running" "$(cat "$SCRATCH/s3rver.log")"

# One rank, two objects of 40 MB and 240 MB: both go up in parts of 5 MiB.
MODEL_PARAMS=(model.num_layers=2 model.transformer.hidden_size=1024
    model.transformer.vocab_size=1024 model.transformer.ffn_hidden_size=2048)
STEP=ckpt/llama3-8b/global_epoch1_step1

case_begin "the server dies during an UploadPart: exit 1 in bounded time, naming the object"
# One part in flight: the server's log shows a part only once it is stored, and with many in
# flight all 8 parts of the 40 MB object could be stored, and its CompleteMultipartUpload under
# way, by the time the first shows. s3rver writes a completed object in place, so a kill in the
# middle of that leaves a partial object file behind (a server artefact, not an object mlps
# completed). With one part at a time, the kill comes 7 parts before any completion.
export MLPS_S3_PART_SIZE=$((5 * 1024 * 1024)) MLPS_S3_MAX_ATTEMPTS=3 MLPS_S3_PARTS_IN_FLIGHT=1
started=$(date +%s)
"$MLPS_BIN" checkpointing run -m llama3-8b -np 1 -cm 8 -cf "s3://$BUCKET/ckpt" -ncw 1 -ncr 0 \
    -p "${MODEL_PARAMS[@]}" checkpoint.time_between_checkpoints=0 -rd "$RESULTS" \
    >"$OUT" 2>"$ERR" &
RUN_PID=$!
for _ in $(seq 1 300); do
    grep -q "partNumber=" "$SCRATCH/s3rver.log" 2>/dev/null && break
    kill -0 "$RUN_PID" 2>/dev/null || break
    sleep 0.05
done
grep -q "partNumber=" "$SCRATCH/s3rver.log" ||
    fail "an UploadPart reaches the server" "a request with partNumber= in the log" \
        "$(tail -n 20 "$SCRATCH/s3rver.log")"
kill -9 "$S3RVER_PID"
wait "$S3RVER_PID" 2>/dev/null || true
S3RVER_PID=""
status=0
for _ in $(seq 1 600); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$RUN_PID" 2>/dev/null; then
    fail "the run ends within 60 s of losing the server" "ended" "still running: $(tail -n 5 "$ERR")"
fi
wait "$RUN_PID" || status=$?
RUN_PID=""
elapsed=$(($(date +%s) - started))
expect_eq "$status" 1 "exit status of the run that lost its server"
expect_stderr_contains "s3://$BUCKET/$STEP/zero_pp_rank_0_mp_rank_0_"
expect_stderr_contains "write (UploadPart) s3://$BUCKET/$STEP/"
expect_stderr_contains "cannot reach the endpoint $AWS_ENDPOINT_URL"
expect_stderr_contains "after 3 attempts"
echo "the run ended ${elapsed} s after it started; it said:"
cat "$ERR"

case_begin "a server restarted on the same directory holds no object of that checkpoint"
s3rver_start "$NPM_PREFIX" "$SERVER_DIR" "$SCRATCH/s3rver-again.log" "$BUCKET" ||
    fail "s3rver restarts" "running" "$(cat "$SCRATCH/s3rver-again.log")"
expect_eq "$(cd "$SERVER_DIR/$BUCKET" && find . -name '*._S3rver_object' | grep -c "$STEP")" 0 \
    "objects under s3://$BUCKET/$STEP on disk"
# and a run that loads it finds nothing to load
expect_exit 2 "$MLPS_BIN" checkpointing run -m llama3-8b -np 1 -cm 8 -cf "s3://$BUCKET/ckpt" \
    -ncw 0 -ncr 1 -p "${MODEL_PARAMS[@]}" checkpoint.time_between_checkpoints=0 -rd "$RESULTS"
expect_stderr_contains "checkpoint folder s3://$BUCKET/ckpt/llama3-8b does not exist"

case_begin "parts in flight through a server that asks to slow down: the retries are reported"
s3_proxy_start 4 parts
AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$SCRATCH/proxy.port")" MLPS_S3_MAX_ATTEMPTS=12 \
    MLPS_S3_PART_SIZE=$((5 * 1024 * 1024)) MLPS_S3_PARTS_IN_FLIGHT=3 expect_exit 0 \
    "$MLPS_BIN" checkpointing run -m llama3-8b -np 1 -cm 8 -cf "s3://$BUCKET/slow" -ncw 1 \
    -ncr 1 -p "${MODEL_PARAMS[@]}" checkpoint.time_between_checkpoints=0 -rd "$SCRATCH/slow"
s3_proxy_stop
SUMMARY="$(ls -d "$SCRATCH/slow/checkpointing/llama3-8b"/*/ | tail -n 1)/summary.json"
expect_positive "$(cat "$SCRATCH/proxy.failed")" "UploadParts answered with SlowDown"
expect_eq "$(json_get "$SUMMARY" metric.s3_retries)" "$(cat "$SCRATCH/proxy.failed")" \
    "metric.s3_retries (the SlowDown answers the proxy gave)"
expect_eq "$(json_get "$SUMMARY" metric.s3_requests.UploadPart.failed)" 0 \
    "metric.s3_requests.UploadPart.failed"
