#!/usr/bin/env bash
# s3:// against a real S3 server: s3rver (npm, pinned version, installed into the build
# directory) on 127.0.0.1 with a scratch directory. Runs the test_io_s3 driver's server checks
# (round trips, ranged reads, paged listings, remove, abort, errors), then the storage round trip
# command end to end, and the error of an endpoint that refuses connections.
source "$MLPS_SOURCE_DIR/tests/integration/lib.sh"

S3RVER_VERSION=3.7.1
NPM_PREFIX="$MLPS_BUILD_DIR/npm-s3rver"
S3RVER="$NPM_PREFIX/node_modules/.bin/s3rver"
DRIVER="$MLPS_BUILD_DIR/test_io_s3"
BUCKET=mlps-test
SERVER_PID=""

stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap 'status=$?; stop_server; (exit $status); finish' EXIT

installed_version() {
    node -e "console.log(require('$NPM_PREFIX/node_modules/s3rver/package.json').version)" \
        2>/dev/null || true
}

case_begin "s3rver $S3RVER_VERSION is installed"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    fail "node and npm are needed for the S3 server (scripts/install-deps.sh)"
if [[ "$(installed_version)" != "$S3RVER_VERSION" ]]; then
    if ! npm install --prefix "$NPM_PREFIX" --no-audit --no-fund "s3rver@$S3RVER_VERSION" \
        >"$SCRATCH/npm.log" 2>&1; then
        if ! npm ping >/dev/null 2>&1; then
            echo "SKIPPED: the npm registry is unreachable (npm install s3rver@$S3RVER_VERSION)"
            exit 0
        fi
        cat "$SCRATCH/npm.log" >&2
        fail "npm install s3rver@$S3RVER_VERSION"
    fi
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case_begin "s3rver starts"
PORT=$(free_port)
mkdir -p "$SCRATCH/s3rver"
# s3rver makes its continuation tokens with DES, which Node's OpenSSL 3 keeps in the legacy
# provider: without it every truncated listing page is a 500.
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" --directory "$SCRATCH/s3rver" --port "$PORT" \
    --address 127.0.0.1 --silent --configure-bucket "$BUCKET" >"$SCRATCH/s3rver.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; then
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "s3rver exited" "running" "$(cat "$SCRATCH/s3rver.log")"
    sleep 0.1
done

# s3rver checks signatures against its own fixed key pair.
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export MLPS_S3_PART_SIZE=$((5 * 1024 * 1024)) MLPS_TEST_S3_BUCKET="$BUCKET"

case_begin "the storage layer's checks against s3rver"
run "$DRIVER"
[[ "$LAST_STATUS" == 0 ]] || fail "test_io_s3 passes" 0 "$LAST_STATUS"
expect_stderr_contains "[  PASSED  ] 8 test(s)."
if grep -q SKIPPED "$OUT" "$ERR"; then
    fail "no check skipped with a server" "(none)" "$(grep -h SKIPPED "$OUT" "$ERR")"
fi

case_begin "mlps storage roundtrip on s3:// (two parts and a tail)"
expect_exit 0 mlps storage roundtrip -u "s3://$BUCKET/roundtrip" --file-size 11M -bs 1M -qd 4 \
    -rd "$SCRATCH/results"
expect_stdout_contains "identical to what was written"
left=$(find "$SCRATCH/s3rver/$BUCKET/roundtrip" -name '*_S3rver_object' 2>/dev/null | head -3 || true)
[[ -z "$left" ]] || fail "the round trip removed its object" "(none)" "$left"
if grep -rq "$AWS_SECRET_ACCESS_KEY" "$SCRATCH/results" "$ERR"; then
    fail "the secret appears in no output" "(absent)" "found"
fi

case_begin "an endpoint that refuses connections"
REFUSED=$(free_port)
AWS_ENDPOINT_URL="http://127.0.0.1:$REFUSED" AWS_SECRET_ACCESS_KEY=never-printed-secret \
    MLPS_S3_MAX_ATTEMPTS=2 expect_exit 1 mlps storage roundtrip -u "s3://$BUCKET/refused" \
    --file-size 1M -rd "$SCRATCH/results-refused"
expect_stderr_contains "cannot reach the endpoint http://127.0.0.1:$REFUSED"
expect_stderr_contains "after 2 attempts"
expect_stderr_contains "s3://$BUCKET/refused/"
expect_stderr_lacks "never-printed-secret"
