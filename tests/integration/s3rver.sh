# An S3 server for the tests and benches of s3://: s3rver (npm, pinned version, installed into a
# prefix of the build directory) on 127.0.0.1, a free port and a scratch directory. Sourced; it
# needs node and npm, nothing of lib.sh, so bench scripts can use it too.
#   s3rver_install PREFIX LOG        0 installed, 1 install failed, 2 npm registry unreachable
#   s3rver_start PREFIX DIR LOG BUCKET...
#                                    starts the server, waits for its port, sets S3RVER_PID and
#                                    S3RVER_PORT and exports the AWS_* variables mlps reads
#   s3rver_start_another PREFIX DIR LOG BUCKET...
#                                    starts one more server (after s3rver_start), sets
#                                    S3RVER_OTHER_PORT, leaves the AWS_* variables alone; several
#                                    servers may share DIR (they keep no state in memory)
#   s3rver_stop                      stops them all (safe to call twice or when none started)
#   s3rver_free_port                 prints a TCP port nobody listens on
# With S3RVER_LOG_REQUESTS=1 the servers log every request to LOG instead of staying silent.

S3RVER_VERSION=3.7.1
S3RVER_PID=""
S3RVER_PORT=""
S3RVER_OTHER_PIDS=()
S3RVER_OTHER_PORT=""

s3rver_installed_version() {
    local manifest
    manifest=$(realpath -m "$1/node_modules/s3rver/package.json") # require() needs it absolute
    node -e "console.log(require('$manifest').version)" 2>/dev/null || true
}

s3rver_install() {
    local prefix=$1 log=$2
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
        echo "node and npm are needed for the S3 server (scripts/install-deps.sh)" >"$log"
        return 1
    }
    # Scripts that ctest runs side by side share the prefix: one looks and installs at a time,
    # so a second npm install never rewrites node_modules under a server that is starting.
    mkdir -p "$prefix"
    (
        flock 9
        [[ "$(s3rver_installed_version "$prefix")" == "$S3RVER_VERSION" ]] && exit 0
        npm install --prefix "$prefix" --no-audit --no-fund "s3rver@$S3RVER_VERSION" >"$log" 2>&1
    ) 9>"$prefix/.install-lock" && return 0
    npm ping >/dev/null 2>&1 || return 2
    return 1
}

s3rver_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# s3rver_launch PREFIX DIR LOG PORT BUCKET...: starts a server, sets S3RVER_LAUNCHED_PID and waits
# for its port.
s3rver_launch() {
    local prefix=$1 dir=$2 log=$3 port=$4
    shift 4
    local buckets=() bucket quiet=(--silent)
    for bucket in "$@"; do buckets+=(--configure-bucket "$bucket"); done
    [[ "${S3RVER_LOG_REQUESTS:-}" == 1 ]] && quiet=()
    mkdir -p "$dir"
    # s3rver makes its continuation tokens with DES, which Node's OpenSSL 3 keeps in the legacy
    # provider: without it every truncated listing page is a 500.
    # --service-endpoint localhost: virtual-host requests to <bucket>.s3.localhost name their
    # bucket by the host (curl resolves *.localhost to the loopback itself).
    NODE_OPTIONS=--openssl-legacy-provider "$prefix/node_modules/.bin/s3rver" --directory "$dir" \
        --port "$port" --address 127.0.0.1 --service-endpoint localhost "${quiet[@]}" \
        "${buckets[@]}" >"$log" 2>&1 &
    S3RVER_LAUNCHED_PID=$!
    local _
    for _ in $(seq 1 100); do
        if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" \
            2>/dev/null; then
            break
        fi
        kill -0 "$S3RVER_LAUNCHED_PID" 2>/dev/null || return 1
        sleep 0.1
    done
}

s3rver_start() {
    local prefix=$1 dir=$2 log=$3
    shift 3
    S3RVER_PORT=$(s3rver_free_port)
    s3rver_launch "$prefix" "$dir" "$log" "$S3RVER_PORT" "$@" || {
        S3RVER_PID=$S3RVER_LAUNCHED_PID
        return 1
    }
    S3RVER_PID=$S3RVER_LAUNCHED_PID
    # s3rver checks signatures against its own fixed key pair.
    export AWS_ENDPOINT_URL="http://127.0.0.1:$S3RVER_PORT"
    export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
}

s3rver_start_another() {
    local prefix=$1 dir=$2 log=$3
    shift 3
    S3RVER_OTHER_PORT=$(s3rver_free_port)
    s3rver_launch "$prefix" "$dir" "$log" "$S3RVER_OTHER_PORT" "$@"
    local status=$?
    S3RVER_OTHER_PIDS+=("$S3RVER_LAUNCHED_PID")
    return $status
}

s3rver_stop() {
    local pid
    for pid in "$S3RVER_PID" "${S3RVER_OTHER_PIDS[@]}"; do
        [[ -n "$pid" ]] || continue
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    S3RVER_PID=""
    S3RVER_OTHER_PIDS=()
}
