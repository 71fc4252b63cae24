# What the s3:// integration tests share on top of lib.sh and s3rver.sh (source both first): the
# pinned server installed or the test skipped when the npm registry cannot be reached, and the
# named fault-injecting proxy (s3_flaky_proxy.py) in front of the server.
#   s3_install_or_skip PREFIX LOG   installs s3rver; registry unreachable: prints SKIPPED, exits 0
#   s3_proxy_start EVERY [parts]    starts the proxy answering every EVERY-th ranged GET (with
#                                   "parts", every EVERY-th UploadPart) with SlowDown; its port
#                                   in $SCRATCH/proxy.port, its count of failures in
#                                   $SCRATCH/proxy.failed
#   s3_proxy_stop                   stops it (safe to call twice or when none started)

S3_PROXY_PID=""

s3_install_or_skip() {
    local status=0
    s3rver_install "$1" "$2" || status=$?
    if [[ $status == 2 ]]; then
        echo "SKIPPED: the npm registry is unreachable (npm install s3rver@$S3RVER_VERSION)"
        exit 0
    fi
    [[ $status == 0 ]] || fail "s3rver $S3RVER_VERSION installs" "installed" "$(cat "$2")"
}

# await_port_file FILE LOG WHAT: waits up to 10 s for a helper to write the port it listens on
# into FILE; fails naming WHAT with the helper's LOG otherwise.
await_port_file() {
    local _
    for _ in $(seq 1 100); do [[ -s "$1" ]] && break; sleep 0.1; done
    [[ -s "$1" ]] || fail "$3 listens" "a port" "$(cat "$2")"
}

s3_proxy_start() {
    rm -f "$SCRATCH/proxy.port"
    python3 "$MLPS_SOURCE_DIR/tests/integration/s3_flaky_proxy.py" "$S3RVER_PORT" "$1" \
        "$SCRATCH/proxy.port" "$SCRATCH/proxy.failed" "${2:-gets}" 2>"$SCRATCH/proxy.log" &
    S3_PROXY_PID=$!
    await_port_file "$SCRATCH/proxy.port" "$SCRATCH/proxy.log" "the proxy"
}

s3_proxy_stop() {
    if [[ -n "$S3_PROXY_PID" ]]; then
        kill "$S3_PROXY_PID" 2>/dev/null || true
        wait "$S3_PROXY_PID" 2>/dev/null || true
        S3_PROXY_PID=""
    fi
}
