# Shared helpers for the integration tests, sourced by every tests/integration/test_*.sh. They run
# the mlps program as a user would (MLPS_BIN, set by ctest), keep what each command printed in
# files, and fail with what was expected next to what came out. Every test gets its own scratch
# directory, $SCRATCH = $MLPS_BUILD_DIR/test-tmp/<test name>, removed when the test passes and
# kept for inspection when it fails.
set -euo pipefail

: "${MLPS_BIN:?MLPS_BIN must name the mlps program to test}"
: "${MLPS_BUILD_DIR:?MLPS_BUILD_DIR must name the build directory}"
: "${MLPS_SOURCE_DIR:?MLPS_SOURCE_DIR must name the source directory}"
[[ -x "$MLPS_BIN" ]] || { echo "FAIL: MLPS_BIN=$MLPS_BIN is not an executable" >&2; exit 1; }

# In a sanitizer build, the MPI runtime's own leaks at exit are not ours: unless the caller chose
# otherwise, suppress them (the full unwinder gives the stacks the suppressions match). Other
# builds ignore these variables.
export ASAN_OPTIONS="${ASAN_OPTIONS:-fast_unwind_on_malloc=0}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$MLPS_SOURCE_DIR/tests/lsan.supp}"

TEST_NAME=$(basename "${BASH_SOURCE[1]}" .sh)
SCRATCH="$MLPS_BUILD_DIR/test-tmp/$TEST_NAME"
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
OUT="$SCRATCH/stdout" # what the last command printed
ERR="$SCRATCH/stderr"
: >"$OUT"
: >"$ERR"
LAST_COMMAND="(none yet)"
LAST_STATUS=""
CASE="(set-up)"

# A test that mounts a small filesystem (the ENOSPC cases) names its mount point here; it is
# unmounted on exit whatever happens.
SMALL_FS=""

# A failing test keeps its scratch directory; a passing one leaves nothing behind.
finish() {
    local status=$?
    if [[ -n "$SMALL_FS" ]] && mountpoint -q "$SMALL_FS"; then umount "$SMALL_FS" || true; fi
    if [[ $status -eq 0 ]]; then
        rm -rf "$SCRATCH"
        echo "PASS: $TEST_NAME"
    else
        echo "scratch directory kept: $SCRATCH" >&2
    fi
}
trap finish EXIT

# Names the case that the following checks belong to; it starts every failure message.
case_begin() {
    CASE="$*"
    echo "== $CASE"
}

# fail WHAT EXPECTED ACTUAL: prints the case, the check, and the last command with its output.
fail() {
    {
        echo "FAIL [$CASE]: $1"
        [[ $# -ge 2 ]] && echo "  expected: $2"
        [[ $# -ge 3 ]] && echo "  got:      $3"
        echo "  last command: $LAST_COMMAND"
        echo "  its exit status: $LAST_STATUS"
        echo "  --- its stdout (first 60 lines)"
        head -n 60 "$OUT"
        echo "  --- its stderr (first 60 lines)"
        head -n 60 "$ERR"
    } >&2
    exit 1
}

# run CMD...: runs a command, its stdout in $OUT and stderr in $ERR, its status in LAST_STATUS.
run() {
    LAST_COMMAND="$*"
    set +e
    "$@" >"$OUT" 2>"$ERR"
    LAST_STATUS=$?
    set -e
}

# expect_exit CODE CMD...: runs the command and checks its exit status.
expect_exit() {
    local code=$1
    shift
    run "$@"
    [[ "$LAST_STATUS" == "$code" ]] || fail "exit status" "$code" "$LAST_STATUS"
}

# mlps ARGS...: the program under test, in the form the expect_ functions take.
mlps() { "$MLPS_BIN" "$@"; }

expect_stdout_contains() {
    grep -qF -- "$1" "$OUT" || fail "stdout contains the text" "$1" "(not found)"
}

expect_stderr_contains() {
    grep -qF -- "$1" "$ERR" || fail "stderr contains the text" "$1" "(not found)"
}

expect_stderr_lacks() {
    if grep -qF -- "$1" "$ERR"; then fail "stderr does not contain the text" "no '$1'" "found"; fi
}

expect_stdout_empty() {
    [[ ! -s "$OUT" ]] || fail "stdout is empty" "(nothing)" "$(head -c 300 "$OUT")"
}

expect_stderr_empty() {
    [[ ! -s "$ERR" ]] || fail "stderr is empty" "(nothing)" "$(head -c 300 "$ERR")"
}

# expect_stderr_lines N: stderr has exactly N lines.
expect_stderr_lines() {
    local lines
    lines=$(wc -l <"$ERR")
    [[ "$lines" -eq "$1" ]] || fail "number of stderr lines" "$1" "$lines"
}

# expect_one_error TEXT...: stderr is exactly one line, "mlps...", containing every TEXT.
# That is what every usage error must look like.
expect_one_error() {
    expect_stderr_lines 1
    grep -q '^mlps' "$ERR" || fail "the error line starts with 'mlps'" "mlps..." "$(cat "$ERR")"
    local text
    for text in "$@"; do expect_stderr_contains "$text"; done
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    [[ "$1" == "$2" ]] || fail "$3" "$2" "$1"
}

# expect_match ACTUAL REGEX WHAT (extended regular expression)
expect_match() {
    [[ "$1" =~ $2 ]] || fail "$3" "matches /$2/" "$1"
}

# expect_positive NUMBER WHAT: a number greater than zero (integers or decimals).
expect_positive() {
    awk -v n="$1" 'BEGIN { exit !(n + 0 > 0) }' || fail "$2 is greater than 0" "> 0" "$1"
}

expect_file() {
    [[ -f "$1" ]] || fail "file exists" "$1" "(missing)"
}

expect_no_file() {
    [[ ! -f "$1" ]] || fail "file does not exist" "no $1" "(exists)"
}

# expect_absent PATH: nothing at all exists there (no file, no directory).
expect_absent() {
    [[ ! -e "$1" ]] || fail "nothing was created" "no $1" "$(ls -la "$1" 2>&1 | head -5)"
}

# expect_file_size FILE BYTES
expect_file_size() {
    expect_file "$1"
    local size
    size=$(stat -c %s "$1")
    [[ "$size" == "$2" ]] || fail "size of $1" "$2" "$size"
}

# expect_no_files_under DIR: DIR holds no regular files (directories may remain).
expect_no_files_under() {
    local left
    left=$(find "$1" -type f 2>/dev/null | head -5)
    [[ -z "$left" ]] || fail "no files left under $1" "(none)" "$left"
}

# json_get FILE KEY.PATH: prints the value at the dotted path (list items by index; a key that
# itself holds dots, like "workload.file_size", is matched whole). Strings print bare, booleans
# as true/false, null as null, objects and lists as compact JSON. A missing key prints
# "<missing ...>" and returns 1, so a comparison shows what was not there.
json_get() {
    python3 - "$1" "$2" <<'PY'
import json, sys

path, key = sys.argv[1], sys.argv[2]

def walk(value, parts):
    if not parts:
        return value
    if isinstance(value, list):
        return walk(value[int(parts[0])], parts[1:])
    if isinstance(value, dict):
        for n in range(len(parts), 0, -1):  # the longest run of parts that is one key
            joined = ".".join(parts[:n])
            if joined in value:
                return walk(value[joined], parts[n:])
    raise KeyError(".".join(parts))

try:
    with open(path) as f:
        value = walk(json.load(f), key.split("."))
except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
    print(f"<missing {key} in {path}: {e!r}>")
    sys.exit(1)
if isinstance(value, bool):
    print("true" if value else "false")
elif value is None:
    print("null")
elif isinstance(value, (dict, list)):
    print(json.dumps(value, sort_keys=True, separators=(",", ":")))
else:
    print(value)
PY
}

# expect_json FILE KEY.PATH EXPECTED
expect_json() {
    local got
    got=$(json_get "$1" "$2") || true
    [[ "$got" == "$3" ]] || fail "$2 in $(basename "$1")" "$3" "$got"
}

# run_dirs_of RESULTS_ROOT: the storage round trip's run directories under a results root.
run_dirs_of() {
    find "$1/storage/roundtrip" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort
}

# the_run_dir RESULTS_ROOT: the one run directory under the root; fails unless exactly one.
the_run_dir() {
    local dirs count
    dirs=$(run_dirs_of "$1")
    count=$(printf '%s' "$dirs" | grep -c . || true)
    [[ "$count" -eq 1 ]] || fail "exactly one run directory under $1/storage/roundtrip" 1 \
        "$count: $dirs"
    printf '%s\n' "$dirs"
}
