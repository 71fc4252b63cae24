#!/usr/bin/env bash
# `mlps kvcache run` end to end at a small scale, with a micro model defined in the config file
# (512 bytes per token) so that runs of a few seconds move megabytes: the output holds every key
# of the reference's JSON and agrees with itself; the storage tier's files are real .npy files
# that only exist while the run needs them (foreign files survive, stale .npy files go); CPU→storage
# spill is counted; the prefix cache hits; trace mode does no I/O and writes a zstd CSV; a BurstGPT
# replay ends after its cycles; --max-requests, --prefill-only, --decode-only, --simulate-gpu,
# --xlsx-output and --direct-io; a disk that fills mid-run; and the inputs a run must refuse.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
FIXTURES="$MLPS_SOURCE_DIR/tests/fixtures/kvcache"
RESULTS="$SCRATCH/results"
CONFIG="$FIXTURES/micro-model.yaml" # 512 bytes per token


# kv ARGS...: a short storage-only run of the micro model (override any flag by repeating it).
kv() {
    mlps kvcache run --config "$CONFIG" --model micro-test --num-users 4 --duration 2 \
        --gpu-mem-gb 0 --cpu-mem-gb 0 --generation-mode none --seed 42 -rd "$RESULTS" "$@"
}

# jq_py FILE EXPR: evaluates a Python expression over the JSON document `d`.
jq_py() {
    $PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

case_begin "a storage-only run: every reference key, consistent numbers, files only while needed"
CACHE="$SCRATCH/cache"
mkdir -p "$CACHE/keep-dir"
echo "not ours" >"$CACHE/notes.txt"
echo "stale" >"$CACHE/stale_entry.npy"
expect_exit 0 kv --cache-dir "$CACHE" --output "$SCRATCH/run.json"
missing=$($PY - "$SCRATCH/run.json" "$FIXTURES/reference_output_keys.txt" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
missing = []
for line in open(sys.argv[2]):
    path = line.strip()
    if not path or path.startswith("#"):
        continue
    node = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            missing.append(path)
            break
        node = node[part]
print(" ".join(missing))
EOF
)
expect_eq "$missing" "" "reference keys missing from the output"
expect_positive "$(json_get "$SCRATCH/run.json" requests_completed)" "requests completed"
expect_eq "$(jq_py "$SCRATCH/run.json" 'd["summary"]["total_requests"] == d["requests_completed"] == len(d["end_to_end_latencies"])')" True "request counts agree"
expect_eq "$(jq_py "$SCRATCH/run.json" 'd["summary"]["total_tokens"] == d["total_tokens_generated"]')" True "token counts agree"
expect_eq "$(jq_py "$SCRATCH/run.json" 'abs(d["summary"]["requests_per_second"] * d["summary"]["elapsed_time"] - d["requests_completed"]) < 1e-6')" True "rate over the measured window"
expect_positive "$(json_get "$SCRATCH/run.json" summary.cache_stats.tier_storage_kv_bytes_written_gb)" "storage bytes written"
expect_eq "$(json_get "$SCRATCH/run.json" summary.cache_stats.gpu_entries)" 0 "no gpu tier without --simulate-gpu"
expect_eq "$(json_get "$SCRATCH/run.json" mlps.gpu_tier.present)" false "gpu tier absent"
expect_eq "$(jq_py "$SCRATCH/run.json" 'd["summary"]["cache_stats"]["storage_health"]["overall_status"] in ("PASS", "FAIL")')" True "pass/fail present"
expect_file "$CACHE/notes.txt"
expect_eq "$(cat "$CACHE/notes.txt")" "not ours" "a foreign file is untouched"
[[ -d "$CACHE/keep-dir" ]] || fail "a foreign directory survives" "present" "absent"
expect_no_file "$CACHE/stale_entry.npy"
expect_eq "$(find "$CACHE" -name '*.npy' | wc -l)" 0 ".npy files left after the run"
run_dir=$(dirname "$(find "$RESULTS/kv_cache/run" -name kvcache_results.json | head -1)")
expect_file "$run_dir/kvcache_results.json"
expect_eq "$(jq_py "$run_dir/kvcache_results.json" 'd["requests_completed"]')" \
    "$(json_get "$SCRATCH/run.json" requests_completed)" "the results tree holds the same document"
expect_eq "$(find "$run_dir" -name '*_metadata.json' | wc -l)" 1 "metadata file in the run directory"

case_begin "the storage tier writes .npy files numpy reads, sized 128 + tokens x 512"
CACHE2="$SCRATCH/cache-npy"
# A trace of a run with I/O is not available, so look at the files while a run is going.
kv --cache-dir "$CACHE2" --duration 4 --output "$SCRATCH/npy.json" >"$SCRATCH/npy.log" 2>&1 &
pid=$!
files=""
for _ in $(seq 1 60); do
    files=$(find "$CACHE2" -name '*_turn_1.npy' 2>/dev/null | head -1 || true)
    [[ -n "$files" ]] && break
    sleep 0.05
done
checked=$($PY - "$CACHE2" <<'EOF' 2>&1 || true
import glob, os, sys
import numpy as np
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*_turn_*.npy")))[:3]:
    try:
        size = os.path.getsize(path)
        a = np.load(path)
    except (OSError, ValueError):
        continue  # evicted or being written while we looked
    assert a.dtype == np.float16, a.dtype
    assert a.ndim == 5 and a.shape[0] == 2 and a.shape[1] == 2 and a.shape[3] == 1 and a.shape[4] == 64, a.shape
    assert size == 128 + a.shape[2] * 512, (size, a.shape)
    print("ok")
    break
EOF
)
wait $pid || fail "run with files inspected" "exit 0" "exit $?"
expect_eq "$checked" ok "an entry file loads in numpy with the model's shape and size"

case_begin "spill from a small CPU tier is counted in the storage tier and on its own"
expect_exit 0 kv --cpu-mem-gb 0.004 --cache-dir "$SCRATCH/cache-spill" --output "$SCRATCH/spill.json"
expect_positive "$(json_get "$SCRATCH/spill.json" mlps.spill.operations)" "spill operations"
expect_eq "$(jq_py "$SCRATCH/spill.json" 'd["mlps"]["spill"]["bytes_written_gib"]["storage"] > 0 and d["summary"]["cache_stats"]["tier_storage_kv_bytes_written_gb"] >= d["mlps"]["spill"]["bytes_written_gib"]["storage"]')" True "spill bytes within the storage tier's bytes written"
expect_positive "$(json_get "$SCRATCH/spill.json" summary.cache_stats.offloads_storage)" "offloads to storage"

case_begin "the prefix cache is written once and then hit"
expect_exit 0 kv --num-users 8 --duration 3 --cache-dir "$SCRATCH/cache-prefix" --output "$SCRATCH/prefix.json"
expect_positive "$(json_get "$SCRATCH/prefix.json" summary.prefix_cache_stats.prefix_hits)" "prefix hits"
expect_positive "$(json_get "$SCRATCH/prefix.json" summary.cache_stats.system_prompt_hits)" "system prompt hits"
expect_eq "$(jq_py "$SCRATCH/prefix.json" 'd["mlps"]["prefix_writes"] <= 3')" True "each system prompt written at most once"

case_begin "trace mode: no I/O, a zstd CSV of every operation"
expect_exit 0 kv --io-trace-log "$SCRATCH/ops.csv.zst" --cache-dir "$SCRATCH/cache-trace" --output "$SCRATCH/trace.json"
expect_file "$SCRATCH/ops.csv.zst"
zstd -dc "$SCRATCH/ops.csv.zst" >"$SCRATCH/ops.csv"
expect_eq "$(head -1 "$SCRATCH/ops.csv")" "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase" "trace header"
expect_positive "$(($(wc -l <"$SCRATCH/ops.csv") - 1))" "trace rows"
expect_eq "$(tail -n +2 "$SCRATCH/ops.csv" | cut -d, -f2 | sort -u | tr '\n' ' ')" "Read Write " "operations"
expect_eq "$(find "$SCRATCH/cache-trace" -type f | wc -l)" 0 "files written in trace mode"
expect_eq "$(json_get "$SCRATCH/trace.json" mlps.trace_mode)" true "trace mode reported"

case_begin "a BurstGPT replay of 2 cycles ends after its 16 requests"
expect_exit 0 kv --use-burst-trace --burst-trace-path "$FIXTURES/burstgpt" --trace-speedup 0 \
    --replay-cycles 2 --duration 120 --cache-dir "$SCRATCH/cache-burst" --output "$SCRATCH/burst.json"
expect_eq "$(json_get "$SCRATCH/burst.json" requests_completed)" 16 "requests of 2 cycles of 8 rows"
expect_eq "$(json_get "$SCRATCH/burst.json" mlps.source.mode)" burstgpt "source"

case_begin "--max-requests stops the run"
expect_exit 0 kv --max-requests 5 --num-users 8 --duration 120 --cache-dir "$SCRATCH/cache-max" --output "$SCRATCH/max.json"
expect_eq "$(jq_py "$SCRATCH/max.json" '5 <= d["requests_completed"] <= 13')" True "at least 5 requests (plus those in flight)"

case_begin "--prefill-only writes and never decodes; --decode-only reads pre-populated entries"
expect_exit 0 kv --prefill-only --disable-prefix-caching --disable-multi-turn --cache-dir "$SCRATCH/cache-pf" --output "$SCRATCH/pf.json"
expect_eq "$(json_get "$SCRATCH/pf.json" summary.cache_stats.decode_reads)" 0 "decode reads in prefill-only"
expect_positive "$(json_get "$SCRATCH/pf.json" summary.cache_stats.prefill_writes)" "prefill writes"
expect_exit 0 kv --decode-only --disable-prefix-caching --num-users 2 --cache-dir "$SCRATCH/cache-do" --output "$SCRATCH/do.json"
expect_eq "$(json_get "$SCRATCH/do.json" summary.cache_stats.prefill_writes)" 0 "prefill writes in decode-only"
expect_positive "$(json_get "$SCRATCH/do.json" summary.cache_stats.decode_reads)" "decode reads"
expect_eq "$(json_get "$SCRATCH/do.json" summary.cache_stats.cache_misses)" 0 "every decode read hits a pre-populated entry"

case_begin "--precondition fills twice the storage tier with 2048-token entries before the window"
expect_exit 0 kv --precondition --storage-capacity-gb 0.01 --cache-dir "$SCRATCH/cache-pre" --output "$SCRATCH/pre.json"
expect_stderr_contains "preconditioning wrote 0.02 GiB"
expect_positive "$(json_get "$SCRATCH/pre.json" requests_completed)" "requests after preconditioning"

case_begin "--simulate-gpu: a labelled simulated tier takes the first entries"
expect_exit 0 kv --simulate-gpu --gpu-mem-gb 0.01 --cache-dir "$SCRATCH/cache-gpu" --output "$SCRATCH/gpu.json"
expect_eq "$(json_get "$SCRATCH/gpu.json" mlps.gpu_tier.simulated)" true "gpu tier simulated"
expect_positive "$(json_get "$SCRATCH/gpu.json" summary.cache_stats.tier_gpu_kv_bytes_written_gb)" "bytes written to the gpu tier"
expect_stdout_contains "simulated"

case_begin "--xlsx-output writes a workbook openpyxl reads"
expect_exit 0 kv --cache-dir "$SCRATCH/cache-xlsx" --output "$SCRATCH/x.json" --xlsx-output "$SCRATCH/x.xlsx"
sheets=$($PY -c 'import openpyxl, sys; print(",".join(openpyxl.load_workbook(sys.argv[1]).sheetnames))' "$SCRATCH/x.xlsx")
expect_match "$sheets" '^Summary,Run Parameters,Performance Metrics' "workbook sheets"

case_begin "--direct-io"
expect_exit 0 kv --direct-io --cache-dir "$SCRATCH/cache-direct" --output "$SCRATCH/direct.json"
expect_positive "$(json_get "$SCRATCH/direct.json" summary.cache_stats.tier_storage_kv_bytes_read_gb)" "bytes read with O_DIRECT"

case_begin "a disk that fills before the storage limit: the tier evicts, the run completes, nothing is left"
SMALL_FS="$SCRATCH/small-fs"
mkdir -p "$SMALL_FS"
# Entries of at most 1 MiB, so that the 6 users' writes in flight fit beside what is stored.
SMALL_ENTRIES="$SCRATCH/small-entries.yaml"
cp "$CONFIG" "$SMALL_ENTRIES"
cat >>"$SMALL_ENTRIES" <<'EOF'
user_templates:
  chatbot:
    context_range: [512, 2048]
  coding:
    context_range: [512, 2048]
  document:
    context_range: [512, 2048]
EOF
if mount -t tmpfs -o size=12m tmpfs "$SMALL_FS" 2>/dev/null; then
    expect_exit 0 kv --config "$SMALL_ENTRIES" --storage-capacity-gb 1 --num-users 6 --duration 3 \
        --cache-dir "$SMALL_FS/cache" --output "$SCRATCH/full.json"
    expect_positive "$(json_get "$SCRATCH/full.json" mlps.storage_deletions)" "storage deletions on a full disk"
    expect_eq "$(find "$SMALL_FS/cache" -type f | wc -l)" 0 "files left on the small disk"
    umount "$SMALL_FS"
else
    echo "note: cannot mount a tmpfs here; the full-disk case is skipped" >&2
fi

case_begin "--validation-trace compares the run's hit rate with the trace's"
$PY - "$SCRATCH/valtrace.json" <<'EOF'
import json, sys
entry = dict(timestamp=0.0, request_id="r", user_id="u", context_tokens=1000, generation_tokens=100,
             phase="decode", cache_hit=True, cache_tier="cpu", read_bytes=10, write_bytes=1,
             read_latency_ms=1.0, write_latency_ms=1.0, model_name="m")
json.dump([entry] * 9 + [dict(entry, cache_hit=False)], open(sys.argv[1], "w"))
EOF
expect_exit 0 kv --validation-trace "$SCRATCH/valtrace.json" --cache-dir "$SCRATCH/cache-val" --output "$SCRATCH/val.json"
expect_eq "$(json_get "$SCRATCH/val.json" validation.trace_stats.cache_hit_rate)" 0.9 "the trace's hit rate"
expect_eq "$(jq_py "$SCRATCH/val.json" 'd["validation"]["comparison"]["cache_hit_rate"]["benchmark"] == d["summary"]["cache_stats"]["cache_hit_rate"]')" True "compared with the run's hit rate"
expect_stdout_contains "Validation against"

case_begin "a cache directory on a read-only filesystem is refused before the run"
RO_FS="$SCRATCH/ro-fs"
mkdir -p "$RO_FS"
if mount -t tmpfs -o size=1m,ro tmpfs "$RO_FS" 2>/dev/null; then
    SMALL_FS="$RO_FS" # unmounted by the trap if a check fails
    expect_exit 2 kv --cache-dir "$RO_FS/cache" --output "$SCRATCH/ro.json"
    expect_stderr_contains "cache-dir"
    expect_no_file "$SCRATCH/ro.json"
    umount "$RO_FS"
    SMALL_FS=""
else
    echo "note: cannot mount a read-only tmpfs here; the read-only case is skipped" >&2
fi

case_begin "inputs a run refuses"
expect_exit 2 kv --validation-trace "$SCRATCH/no-such-validation.json" --cache-dir "$SCRATCH/cache-bad"
expect_stderr_contains "no-such-validation.json"
echo "not json" >"$SCRATCH/bad.json"
expect_exit 2 kv --dataset-path "$SCRATCH/bad.json" --cache-dir "$SCRATCH/cache-bad"
expect_stderr_contains "$SCRATCH/bad.json"
expect_exit 2 kv --use-burst-trace --burst-trace-path "$SCRATCH/no-such-trace.csv" --cache-dir "$SCRATCH/cache-bad"
expect_stderr_contains "no-such-trace.csv"
touch "$SCRATCH/a-file"
expect_exit 2 kv --cache-dir "$SCRATCH/a-file/cache"
expect_stderr_contains "cache-dir"
expect_exit 2 kv --cpu-mem-gb 100000 --cache-dir "$SCRATCH/cache-bad"
expect_stderr_contains "--cpu-mem-gb 100000"
expect_stderr_contains "available"
expect_exit 2 kv --model no-such-model --cache-dir "$SCRATCH/cache-bad"
expect_stderr_contains "micro-test"
