#!/usr/bin/env bash
# s3:// against a real S3 server: s3rver (npm, pinned version, installed into the build
# directory) on 127.0.0.1 with a scratch directory. Runs the test_io_s3 driver's server checks
# (round trips, ranged reads, paged listings, remove, DeleteObjects, abort, errors), then the storage round trip
# command end to end, and the error of an endpoint that refuses connections.
source "$MLPS_SOURCE_DIR/tests/integration/lib.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3rver.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3_test.sh"

NPM_PREFIX="$MLPS_BUILD_DIR/npm-s3rver"
DRIVER="$MLPS_BUILD_DIR/test_io_s3"
BUCKET=mlps-test
trap 'status=$?; s3_proxy_stop; s3rver_stop; (exit $status); finish' EXIT

case_begin "s3rver $S3RVER_VERSION is installed"
s3_install_or_skip "$NPM_PREFIX" "$SCRATCH/npm.log"

case_begin "s3rver starts"
s3rver_start "$NPM_PREFIX" "$SCRATCH/s3rver" "$SCRATCH/s3rver.log" "$BUCKET" ||
    fail "s3rver exited" "running" "$(cat "$SCRATCH/s3rver.log")"

export MLPS_S3_PART_SIZE=$((5 * 1024 * 1024)) MLPS_TEST_S3_BUCKET="$BUCKET"

# s3rver does not verify signatures: its requests go through the tests' proxy in "sigv4" mode,
# which recomputes every request's AWS Signature V4 with the secret (s3_sigv4.py) and refuses a
# wrong one as S3 does.
s3_proxy_start 1 sigv4
SIGNED_ENDPOINT="http://127.0.0.1:$(cat "$SCRATCH/proxy.port")"

case_begin "the storage layer's checks against s3rver, every signature verified"
AWS_ENDPOINT_URL="$SIGNED_ENDPOINT" run "$DRIVER"
[[ "$LAST_STATUS" == 0 ]] || fail "test_io_s3 passes" 0 "$LAST_STATUS"
expect_stderr_contains "[  PASSED  ] 13 test(s)."
if grep -q SKIPPED "$OUT" "$ERR"; then
    fail "no check skipped with a server" "(none)" "$(grep -h SKIPPED "$OUT" "$ERR")"
fi
expect_eq "$(cat "$SCRATCH/proxy.failed")" 0 "requests whose signature did not verify"

case_begin "a wrong secret where the signature is checked: one error, no retries"
AWS_ENDPOINT_URL="$SIGNED_ENDPOINT" AWS_SECRET_ACCESS_KEY=wrong-never-printed expect_exit 1 \
    mlps storage roundtrip -u "s3://$BUCKET/wrong-secret" --file-size 1M \
    -rd "$SCRATCH/results-wrong-secret"
expect_stderr_contains "SignatureDoesNotMatch: The request signature we calculated does not match"
expect_stderr_contains "(HTTP 403)"
expect_stderr_lacks "wrong-never-printed"
expect_eq "$(grep -c '^refused PUT ' "$SCRATCH/proxy.log")" 1 "PUTs refused (the first, not retried)"

case_begin "temporary credentials: AWS_SESSION_TOKEN travels as a signed x-amz-security-token"
AWS_ENDPOINT_URL="$SIGNED_ENDPOINT" AWS_SESSION_TOKEN=never-printed-token expect_exit 0 \
    mlps storage roundtrip -u "s3://$BUCKET/token" --file-size 1M -rd "$SCRATCH/results-token"
expect_stdout_contains "identical to what was written"
grep -q "^request PUT [^ ]* /$BUCKET/token/roundtrip_[^ ]* security-token signed$" \
    "$SCRATCH/proxy.log" ||
    fail "the PUT carries the token, signed" "request PUT ... security-token signed" \
        "$(grep '^request PUT' "$SCRATCH/proxy.log" | tail -2)"
expect_eq "$(grep -c '^refused .* /'"$BUCKET"'/token/' "$SCRATCH/proxy.log" || true)" 0 \
    "token requests whose signature did not verify"
expect_eq "$(grep -c 'never-printed-token' "$SCRATCH/proxy.log" || true)" 0 "token in the proxy log"

case_begin "virtual-host addressing: the bucket in the host name, signed as such"
PROXY_PORT=$(cat "$SCRATCH/proxy.port")
AWS_ENDPOINT_URL="http://s3.localhost:$PROXY_PORT" MLPS_S3_ADDRESSING=virtual expect_exit 0 \
    mlps storage roundtrip -u "s3://$BUCKET/virtual" --file-size 11M -bs 1M -qd 4 \
    -rd "$SCRATCH/results-virtual"
expect_stdout_contains "identical to what was written"
grep -q "^request PUT $BUCKET.s3.localhost:$PROXY_PORT /virtual/roundtrip_" "$SCRATCH/proxy.log" ||
    fail "requests name the bucket in the host" "PUT $BUCKET.s3.localhost:$PROXY_PORT /virtual/..." \
        "$(grep '^request' "$SCRATCH/proxy.log" | tail -3)"
expect_eq "$(grep -c '^refused .* /virtual/' "$SCRATCH/proxy.log" || true)" 0 \
    "virtual-host requests whose signature did not verify"
s3_proxy_stop

case_begin "mlps storage roundtrip on s3:// (two parts and a tail)"
AWS_SESSION_TOKEN=never-printed-token expect_exit 0 mlps storage roundtrip -u "s3://$BUCKET/roundtrip" --file-size 11M -bs 1M -qd 4 \
    -rd "$SCRATCH/results"
expect_stdout_contains "identical to what was written"
left=$(find "$SCRATCH/s3rver/$BUCKET/roundtrip" -name '*_S3rver_object' 2>/dev/null | head -3 || true)
[[ -z "$left" ]] || fail "the round trip removed its object" "(none)" "$left"
if grep -rq "$AWS_SECRET_ACCESS_KEY" "$SCRATCH/results" "$ERR"; then
    fail "the secret appears in no output" "(absent)" "found"
fi
if grep -rq "never-printed-token" "$SCRATCH/results" "$OUT" "$ERR"; then
    fail "the session token appears in no output" "(absent)" "found"
fi

case_begin "an endpoint that refuses connections"
REFUSED=$(s3rver_free_port)
AWS_ENDPOINT_URL="http://127.0.0.1:$REFUSED" AWS_SECRET_ACCESS_KEY=never-printed-secret \
    MLPS_S3_MAX_ATTEMPTS=2 expect_exit 1 mlps storage roundtrip -u "s3://$BUCKET/refused" \
    --file-size 1M -rd "$SCRATCH/results-refused"
expect_stderr_contains "cannot reach the endpoint http://127.0.0.1:$REFUSED"
expect_stderr_contains "after 2 attempts"
expect_stderr_contains "s3://$BUCKET/refused/"
expect_stderr_lacks "never-printed-secret"
