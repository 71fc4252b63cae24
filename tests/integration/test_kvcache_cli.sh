#!/usr/bin/env bash
# `mlps kvcache` as a user of the reference's kv-cache.py meets it: --help lists every flag of
# kv-cache.py under its own name and marks mlps's additions; broken option rules exit 2 with the
# reference's wording, every rule on its own line, before a results directory exists; an unknown
# model lists the valid keys; the reference's config.yaml loads (and a wrong key in it is named
# with the file); datasize prints sizes from the models' real bytes per token.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RESULTS="$SCRATCH/results" # runs that must fail create nothing here
FIXTURE="$MLPS_SOURCE_DIR/tests/fixtures/kvcache/config.yaml"

# expect_refused TEXT... -- ARGS...: `mlps kvcache run ARGS` exits 2, prints every TEXT on stderr
# with every line naming the command, prints nothing on stdout and creates no results.
expect_refused() {
    local texts=() text
    while [[ "$1" != "--" ]]; do texts+=("$1"); shift; done
    shift
    expect_exit 2 mlps kvcache run -rd "$RESULTS" "$@"
    for text in "${texts[@]}"; do expect_stderr_contains "$text"; done
    if grep -qv '^mlps kvcache run: ' "$ERR"; then
        fail "every stderr line starts with the command" "mlps kvcache run: ..." "$(cat "$ERR")"
    fi
    expect_stdout_empty
    expect_absent "$RESULTS"
}

case_begin "the program and its commands are listed"
expect_exit 0 mlps --help
expect_stdout_contains "kvcache"
expect_exit 0 mlps kvcache --help
expect_stdout_contains "datasize"
expect_stdout_contains "run"

case_begin "run --help lists every kv-cache.py flag and marks the mlps additions"
expect_exit 0 mlps kvcache run --help
expect_stderr_empty
for flag in model num-users duration gpu-mem-gb num-gpus tensor-parallel cpu-mem-gb cache-dir \
    generation-mode performance-profile disable-multi-turn disable-prefix-caching enable-rag \
    rag-num-docs enable-autoscaling autoscaler-mode target-saturation use-burst-trace \
    burst-trace-path validation-trace dataset-path max-conversations output seed \
    max-concurrent-allocs request-rate max-requests xlsx-output config storage-capacity-gb \
    precondition precondition-size-gb precondition-threads trace-speedup replay-cycles \
    prefill-only decode-only io-trace-log enable-latency-tracing log-level; do
    grep -qE -- "(^|[ ,])--$flag( |$)" "$OUT" || fail "--help lists --$flag" "--$flag" "(missing)"
done
expect_stdout_contains "mlps additions (not in kv-cache.py):"
for flag in simulate-gpu gpu-bandwidth-gbs direct-io results-dir config-file; do
    expect_stdout_contains "--$flag"
done
# the reference's defaults, as printed
expect_stdout_contains "(default: llama3.1-8b)"
expect_stdout_contains "{none,fast,realistic} (default: realistic)"
expect_stdout_contains "{qos,capacity} (default: qos)"
expect_stdout_contains "(default: BurstGPT/data/BurstGPT_1.csv)"

case_begin "datasize --help"
expect_exit 0 mlps kvcache datasize --help
expect_stdout_contains "--context-tokens"
expect_stdout_contains "--json"

case_begin "three broken rules: three lines in the reference's words, exit 2"
expect_refused "--num-users must be positive, got 0" "--gpu-mem-gb cannot be negative, got -1" \
    "--target-saturation must be between 0.0 and 1.0, got 2" -- \
    --num-users 0 --gpu-mem-gb -1 --target-saturation 2
expect_stderr_lines 3

case_begin "limits of the reference"
expect_refused "--num-users exceeds limit (100000), got 100001" -- -nu 100001
expect_refused "--duration exceeds 24 hours (86400s), got 90000" -- --duration 90000
expect_refused "--max-conversations must be positive, got 0" -- --max-conversations 0
expect_refused "--tensor-parallel (2) cannot exceed --num-gpus (1)" -- --tensor-parallel 2
expect_refused "--replay-cycles cannot be negative, got -1" -- --replay-cycles -1
expect_refused "--prefill-only and --decode-only are mutually exclusive" -- \
    --prefill-only --decode-only
expect_stderr_lines 1

case_begin "a cache directory in a system directory is refused"
expect_refused "--cache-dir cannot be a system directory: /etc/x" -- --cache-dir /etc/x
expect_stderr_lines 1

case_begin "autoscaler modes are qos and capacity only"
expect_refused "invalid choice 'predictive'" "(valid: qos, capacity)" -- --autoscaler-mode predictive

case_begin "an unknown model lists the valid keys"
expect_refused "nope" "llama3.1-8b" "llama3.1-70b-instruct" "tiny-1b" "deepseek-v3" -- -m nope
expect_stderr_lines 1

case_begin "the reference's config.yaml loads: --what-if shows its values"
expect_exit 0 mlps kvcache run --config "$FIXTURE" --what-if -rd "$RESULTS"
expect_stdout_contains "llama3.1-8b (131072 bytes per token)"
expect_stdout_contains "memory_fraction: 0.9" # the file's value, not the code default 0.8
expect_stdout_contains "context_range:"
expect_absent "$RESULTS"

case_begin "a wrong key in config.yaml is named with the file and the nearest key"
sed 's/^  target_usage_ratio:/  target_usage_ration:/' "$FIXTURE" >"$SCRATCH/typo.yaml"
expect_refused "unknown config key 'eviction.target_usage_ration'" "typo.yaml line" \
    "did you mean 'eviction.target_usage_ratio'?" -- --config "$SCRATCH/typo.yaml"
expect_stderr_lines 1
expect_refused "config key 'decode.batch_size' must be an integer" -- -p decode.batch_size=1.5

case_begin "datasize for llama3.1-8b: 131072 bytes per token"
expect_exit 0 mlps kvcache datasize -m llama3.1-8b -nu 10 --context-tokens 2048
expect_stdout_contains "131072"
expect_stdout_contains "256.00 MiB"
expect_stdout_contains "2.50 GiB"
expect_exit 0 mlps kvcache datasize -m llama3.1-8b -nu 10 --context-tokens 2048 --json
cp "$OUT" "$SCRATCH/datasize.json"
expect_json "$SCRATCH/datasize.json" models.0.bytes_per_token 131072
expect_json "$SCRATCH/datasize.json" models.0.entry_bytes_8192 1073741824
expect_json "$SCRATCH/datasize.json" models.0.working_set_bytes 2684354560
expect_json "$SCRATCH/datasize.json" models.0.suggested.storage_capacity_gb 5.0

case_begin "datasize without a model covers every model, with the mix's mean context"
expect_exit 0 mlps kvcache datasize --json
cp "$OUT" "$SCRATCH/all.json"
expect_json "$SCRATCH/all.json" context_tokens 5644
count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["models"]))' \
    "$SCRATCH/all.json")
expect_eq "$count" 9 "models in datasize"
expect_exit 2 mlps kvcache datasize -m nope
expect_one_error "nope" "llama3.1-8b"
