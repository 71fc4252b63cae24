#!/usr/bin/env bash
# s3:// over HTTPS: s3rver behind a TLS front (s3_tls_proxy.py, a byte relay with a self-signed
# certificate made here by openssl for 127.0.0.1). The certificate is refused unless the client
# trusts it: AWS_CA_BUNDLE naming it, or the explicit MLPS_S3_INSECURE=1 switch; a refusal is one
# clear error naming the endpoint and both ways out; a CA bundle that does not exist is a usage
# error naming the variable.
source "$MLPS_SOURCE_DIR/tests/integration/lib.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3rver.sh"
source "$MLPS_SOURCE_DIR/tests/integration/s3_test.sh"

NPM_PREFIX="$MLPS_BUILD_DIR/npm-s3rver"
BUCKET=mlps-tls
TLS_PID=""
stop_tls() { [[ -z "$TLS_PID" ]] || { kill "$TLS_PID" 2>/dev/null; wait "$TLS_PID" 2>/dev/null || true; }; }
trap 'status=$?; stop_tls; s3rver_stop; (exit $status); finish' EXIT

case_begin "s3rver $S3RVER_VERSION is installed"
s3_install_or_skip "$NPM_PREFIX" "$SCRATCH/npm.log"
command -v openssl >/dev/null || fail "openssl is installed" "openssl" "(none)"

case_begin "s3rver starts behind a TLS front with a self-signed certificate"
s3rver_start "$NPM_PREFIX" "$SCRATCH/s3rver" "$SCRATCH/s3rver.log" "$BUCKET" ||
    fail "s3rver exited" "running" "$(cat "$SCRATCH/s3rver.log")"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$SCRATCH/key.pem" -out "$SCRATCH/cert.pem" \
    2>"$SCRATCH/openssl.log" || fail "openssl makes a certificate" 0 "$(cat "$SCRATCH/openssl.log")"
python3 "$MLPS_SOURCE_DIR/tests/integration/s3_tls_proxy.py" "$S3RVER_PORT" "$SCRATCH/cert.pem" \
    "$SCRATCH/key.pem" "$SCRATCH/tls.port" 2>"$SCRATCH/tls.log" &
TLS_PID=$!
await_port_file "$SCRATCH/tls.port" "$SCRATCH/tls.log" "the TLS front"
export AWS_ENDPOINT_URL="https://127.0.0.1:$(cat "$SCRATCH/tls.port")"
unset AWS_CA_BUNDLE MLPS_S3_INSECURE

roundtrip() { # NAME: an 11 MiB object through the TLS front (multipart: two parts and a tail)
    mlps storage roundtrip -u "s3://$BUCKET/$1" --file-size 11M -bs 1M -qd 4 \
        -rd "$SCRATCH/results-$1"
}
export MLPS_S3_PART_SIZE=$((5 * 1024 * 1024))

case_begin "the self-signed certificate is refused by default: one error naming the ways out"
MLPS_S3_MAX_ATTEMPTS=2 expect_exit 1 roundtrip untrusted
for text in "cannot reach the endpoint $AWS_ENDPOINT_URL" "certificate is not trusted" \
    "AWS_CA_BUNDLE" "MLPS_S3_INSECURE=1" "(after 1 attempt)"; do
    expect_stderr_contains "$text"
done
expect_eq "$(grep -c '^mlps:' "$ERR")" 1 "error lines"
[[ -z "$(find "$SCRATCH/s3rver/$BUCKET" -path '*untrusted*' 2>/dev/null)" ]] ||
    fail "nothing was written through an untrusted endpoint" "(none)" \
        "$(find "$SCRATCH/s3rver/$BUCKET" -path '*untrusted*')"

case_begin "AWS_CA_BUNDLE naming the certificate: the round trip succeeds over HTTPS"
AWS_CA_BUNDLE="$SCRATCH/cert.pem" expect_exit 0 roundtrip trusted
expect_stdout_contains "identical to what was written"

case_begin "MLPS_S3_INSECURE=1: no certificate check, and a warning saying so"
MLPS_S3_INSECURE=1 expect_exit 0 roundtrip insecure
expect_stdout_contains "identical to what was written"
expect_stderr_contains "MLPS_S3_INSECURE"

case_begin "a CA bundle that does not exist is a usage error naming the variable"
AWS_CA_BUNDLE="$SCRATCH/missing.pem" expect_exit 2 roundtrip missing-bundle
expect_one_error "AWS_CA_BUNDLE" "$SCRATCH/missing.pem"
