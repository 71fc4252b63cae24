#!/usr/bin/env bash
# `mlps kvcache run` with its storage tier on object storage (--cache-dir s3://bucket/prefix)
# against s3rver (started by s3rver.sh), with the micro model of test_kvcache_run.sh (512 bytes
# per token) and 5 MiB multipart parts, so the larger entries go up in several parts: a run whose
# small capacity forces deletions moves bytes both ways, sweeps a previous run's .npy object but
# not a foreign one, names its s3:// location and leaves no .npy object behind, sweeping and
# cleaning up with DeleteObjects while a deletion during the run is one DeleteObject; entries are the
# file tier's .npy bytes; the retries a server that asks to slow down causes are the ones the run
# reports; and the inputs an object store cache must refuse.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3rver.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3_test.sh"

PY=/usr/bin/python3
NPM_PREFIX="$MLPS_BUILD_DIR/npm-s3rver"
BUCKET=kvbench
SERVER_DIR="$SCRATCH/s3rver"
RESULTS="$SCRATCH/results"
CONFIG="$MLPS_SOURCE_DIR/tests/fixtures/kvcache/micro-model.yaml" # 512 bytes per token
export MLPS_S3_PART_SIZE=$((5 << 20))

trap 'status=$?; s3_proxy_stop; s3rver_stop; (exit $status); finish' EXIT

s3_install_or_skip "$NPM_PREFIX" "$SCRATCH/npm.log"
export S3RVER_LOG_REQUESTS=1 # the requests a run makes are counted in the server's log
case_begin "s3rver $S3RVER_VERSION installs and starts"
s3rver_start "$NPM_PREFIX" "$SERVER_DIR" "$SCRATCH/s3rver.log" "$BUCKET" ||
    fail "s3rver exited" "running" "$(cat "$SCRATCH/s3rver.log")"

# s3 CURL-ARGS...: a request signed with s3rver's key pair (the payload left unsigned).
s3() {
    curl -sS -f --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# put_object KEY TEXT
put_object() {
    s3 -X PUT --data-binary "$2" "$AWS_ENDPOINT_URL/$BUCKET/$1" >/dev/null ||
        fail "PUT s3://$BUCKET/$1" "stored" "curl failed"
}

# list_keys PREFIX: every key under the prefix (recursively), sorted, one a line.
list_keys() {
    s3 "$AWS_ENDPOINT_URL/$BUCKET?list-type=2&prefix=$1" | $PY -c '
import re, sys
print("\n".join(sorted(re.findall(r"<Key>([^<]*)</Key>", sys.stdin.read()))))'
}

# kv ARGS...: a short storage-only run of the micro model on s3://$BUCKET/kv.
kv() {
    mlps kvcache run --config "$CONFIG" --model micro-test --num-users 4 --duration 2 \
        --gpu-mem-gb 0 --cpu-mem-gb 0 --generation-mode none --seed 42 -rd "$RESULTS" \
        --cache-dir "s3://$BUCKET/kv" "$@"
}

# requests_since LINE PATTERN: how many answers logged after line LINE of the server's log match
# the extended regular expression PATTERN. s3rver logs an answer as "<path tail> <status> ..."
# (the method cut off): a DeleteObjects is "?delete= 200", a DeleteObject's status is 204.
requests_since() {
    tail -n "+$(($1 + 1))" "$SCRATCH/s3rver.log" | sed 's/\x1b\[[0-9;]*m//g' | grep -cE -- "$2" || true
}

# jq_py FILE EXPR: evaluates a Python expression over the JSON document `d`.
jq_py() {
    $PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

case_begin "a run on s3:// with deletions: bytes both ways, the prefix swept, nothing left behind"
put_object kv/notes.txt "not ours"
put_object kv/x.npy "stale"
put_object kv/deeper/y.npy "below the prefix"
put_object other/z.npy "another prefix"
logged=$(wc -l <"$SCRATCH/s3rver.log")
expect_exit 0 kv --storage-capacity-gb 0.005 --output "$SCRATCH/run.json"
expect_eq "$(requests_since "$logged" '\?delete= 200 ')" 2 \
    "DeleteObjects requests: one sweeping x.npy, one deleting every entry left at the end"
expect_eq "$(requests_since "$logged" ' 204 ')" \
    "$(json_get "$SCRATCH/run.json" mlps.storage_deletions)" \
    "DeleteObject requests: one per entry deleted during the run (mlps.storage_deletions)"
expect_positive "$(json_get "$SCRATCH/run.json" requests_completed)" "requests completed"
expect_positive "$(json_get "$SCRATCH/run.json" summary.cache_stats.tier_storage_kv_bytes_written_gb)" \
    "storage bytes written"
expect_positive "$(json_get "$SCRATCH/run.json" summary.cache_stats.tier_storage_kv_bytes_read_gb)" \
    "storage bytes read"
expect_positive "$(json_get "$SCRATCH/run.json" mlps.storage_deletions)" \
    "entries deleted to stay within --storage-capacity-gb 0.005"
expect_positive "$(json_get "$SCRATCH/run.json" summary.cache_stats.storage_read_device_p50_ms)" \
    "the storage tier's read latency (the object requests')"
expect_positive "$(json_get "$SCRATCH/run.json" summary.cache_stats.storage_write_device_p50_ms)" \
    "the storage tier's write latency (the object requests')"
expect_eq "$(json_get "$SCRATCH/run.json" summary.cache_stats.storage_write_host_p95_ms)" 0.0 \
    "no host time: every second is spent in requests"
expect_eq "$(json_get "$SCRATCH/run.json" mlps.storage_location)" "s3://$BUCKET/kv" \
    "mlps.storage_location"
expect_eq "$(json_get "$SCRATCH/run.json" mlps.storage_retries)" 0 "mlps.storage_retries"
expect_stdout_contains "Storage tier: s3://$BUCKET/kv (object store"
expect_stderr_contains "removed 1 .npy objects of a previous run"
expect_eq "$(list_keys "")" "$(printf '%s\n' kv/deeper/y.npy kv/notes.txt other/z.npy)" \
    "the bucket after the run: the foreign objects only (x.npy swept, every entry deleted)"
expect_eq "$(s3 "$AWS_ENDPOINT_URL/$BUCKET/kv/notes.txt")" "not ours" "a foreign object is untouched"

case_begin "an entry is the file tier's .npy: numpy loads it, 128 + tokens x 512 bytes"
kv --storage-capacity-gb 1 --duration 4 --output "$SCRATCH/npy.json" >"$SCRATCH/npy.log" 2>&1 &
pid=$!
checked=""
for _ in $(seq 1 80); do
    for key in $(list_keys kv/ | grep '_turn_.*\.npy$' | head -3 || true); do
        s3 -o "$SCRATCH/entry.npy" "$AWS_ENDPOINT_URL/$BUCKET/$key" 2>/dev/null || continue
        checked=$($PY - "$SCRATCH/entry.npy" <<'EOF' 2>&1 || true
import os, sys
import numpy as np
a = np.load(sys.argv[1])
assert a.dtype == np.float16, a.dtype
assert a.ndim == 5 and a.shape[0] == 2 and a.shape[1] == 2 and a.shape[3] == 1 and a.shape[4] == 64, a.shape
assert os.path.getsize(sys.argv[1]) == 128 + a.shape[2] * 512, (os.path.getsize(sys.argv[1]), a.shape)
print("ok")
EOF
)
        [[ "$checked" == ok ]] && break 2
    done
    sleep 0.05
done
wait $pid || fail "run with objects inspected" "exit 0" "exit $? ($(tail -3 "$SCRATCH/npy.log"))"
expect_eq "$checked" ok "an entry object loads in numpy with the model's shape and size"
expect_eq "$(list_keys kv/ | grep -c '\.npy$' || true)" 1 \
    ".npy objects under the prefix after the run (kv/deeper/y.npy only)"

case_begin "through a server that asks to slow down: the run's retries are the ones reported"
s3_proxy_start 3
# Readers share the proxy's count, so one request may draw several failures in a row: enough
# attempts that none runs out.
AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$SCRATCH/proxy.port")" MLPS_S3_MAX_ATTEMPTS=12 \
    expect_exit 0 kv --storage-capacity-gb 0.005 --output "$SCRATCH/retry.json"
s3_proxy_stop
expect_positive "$(cat "$SCRATCH/proxy.failed")" "ranged GETs answered with SlowDown"
expect_eq "$(json_get "$SCRATCH/retry.json" mlps.storage_retries)" "$(cat "$SCRATCH/proxy.failed")" \
    "mlps.storage_retries (the SlowDown answers the proxy gave)"
expect_positive "$(json_get "$SCRATCH/retry.json" summary.cache_stats.tier_storage_kv_bytes_read_gb)" \
    "storage bytes read despite the retries"

case_begin "what an object store cache refuses"
expect_exit 2 kv --output "$SCRATCH/no-capacity.json"
expect_stderr_contains "--storage-capacity-gb"
expect_stderr_contains "s3://$BUCKET/kv"
expect_exit 2 kv --storage-capacity-gb 0.005 --direct-io
expect_stderr_contains "--direct-io"
expect_stderr_contains "s3://$BUCKET/kv"
expect_exit 1 mlps kvcache run --config "$CONFIG" --model micro-test --num-users 2 --duration 1 \
    --gpu-mem-gb 0 --cpu-mem-gb 0 --generation-mode none -rd "$RESULTS" \
    --cache-dir s3://no-such-bucket/kv --storage-capacity-gb 0.005
expect_stderr_contains "no-such-bucket"
expect_eq "$(list_keys kv/)" "$(printf '%s\n' kv/deeper/y.npy kv/notes.txt)" \
    "the prefix after everything: the foreign objects only"
