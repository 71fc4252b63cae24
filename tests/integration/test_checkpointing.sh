#!/usr/bin/env bash
# `mlps checkpointing` end to end at a small scale: datasize's exact numbers for the CLOSED
# layouts; a scaled-down llama3-8b saved and restored by two and by four self-launched processes,
# checking every file's name and size against the layout worked out here from the model's formulas,
# the completion markers, the data (incompressible, different per file) and the DLIO outputs
# against the run's own arithmetic; a write-only run then a read-only one; direct://; the inputs
# a run must refuse with one line and a non-zero exit; and a disk that fills up mid-write. Saves
# use write-behind (at most 128 MiB of a file cached) except one with plain buffered writes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MPI=(--allow-run-as-root --oversubscribe)
RESULTS="$SCRATCH/results"
BAD="$SCRATCH/bad-results" # runs that must fail leave no result here
DATETIME_RE='^[0-9]{8}_[0-9]{6}$'
PYTHON_WITH_NUMPY=/usr/bin/python3

# llama3-8b shrunk so that a checkpoint is about 80 MiB: files are not multiples of the 32 MiB
# write chunk or of a page, so partial chunks and tails are exercised.
LAYERS=2 HIDDEN=256 FFN=1024 VOCAB=8192
SMALL=("model.num_layers=$LAYERS" "model.transformer.hidden_size=$HIDDEN"
    "model.transformer.ffn_hidden_size=$FFN" "model.transformer.vocab_size=$VOCAB"
    checkpoint.time_between_checkpoints=0.1)


# checkpoint_run ARGS...: the command with the scaled model, results in $RESULTS.
ckpt_run() {
    mlps checkpointing run -m llama3-8b -cm 8 -rd "$RESULTS" "$@" "${MPI[@]}"
}

# expected_files NP: "name bytes" of every file of one checkpoint of the scaled llama3-8b on NP
# ranks, in default mode (TP = PP = 1, ZeRO 3, so DP = S = NP), from spec 20 section 1.2.
expected_files() {
    python3 - "$1" "$LAYERS" "$HIDDEN" "$FFN" "$VOCAB" <<'PY'
import sys

np_, L, h, f, V = map(int, sys.argv[1:])
heads, kv = 32, 8
dkv = (h // heads) * kv
P = 2 * V * h + L * (2 * h + h * (h + 2 * dkv) + h * h + 3 * h * f) + h
S = DP = np_
layer = [h // S, h * (h + 2 * dkv) // S, h * h // S, h // S, 2 * h * f // S, h * f // S]
model = 2 * (h * V // S) + L * sum(layer) + h // S
n = P // DP
optim = (3 * n + 15 * h) * 4
for dp in range(np_):
    print(f"zero_pp_rank_{dp}_mp_rank_0_model_states.pt {model * 2}")
    print(f"zero_pp_rank_{dp}_mp_rank_0_optim_states.pt {optim}")
PY
}

# expected_total NP: bytes of one checkpoint.
expected_total() {
    expected_files "$1" | awk '{ s += $2 } END { printf "%d\n", s }'
}

# expect_checkpoint FOLDER NP STEPS: the steps hold exactly the planned files with their sizes
# plus the completion marker, and no temporaries.
expect_checkpoint() {
    local folder=$1 np=$2 steps=$3 k name bytes listed planned
    planned=$( (expected_files "$np" | cut -d' ' -f1; echo mlps_checkpoint_complete.json) | sort)
    for ((k = 1; k <= steps; k++)); do
        local dir="$folder/global_epoch1_step$k"
        listed=$(ls -A "$dir" | sort)
        [[ "$listed" == "$planned" ]] ||
            fail "the files of $dir" "$(echo $planned)" "$(echo $listed)"
        while read -r name bytes; do
            expect_file_size "$dir/$name" "$bytes"
        done < <(expected_files "$np")
        expect_json "$dir/mlps_checkpoint_complete.json" processes "$np"
        expect_json "$dir/mlps_checkpoint_complete.json" bytes "$(expected_total "$np")"
    done
    [[ ! -d "$folder/global_epoch1_step$k" ]] || fail "no step beyond $steps" "none" "step$k"
}

# expect_incompressible FILE: zstd -3 gains less than 1 %.
expect_incompressible() {
    local size packed
    size=$(stat -c %s "$1")
    packed=$(zstd -3 -q -c "$1" | wc -c)
    awk -v s="$size" -v p="$packed" 'BEGIN { exit !(p >= 0.99 * s) }' ||
        fail "zstd -3 cannot compress $(basename "$1")" "ratio about 1.00" \
            "$size -> $packed bytes"
}

# expect_differ A B: two files with different contents.
expect_differ() {
    if cmp -s "$1" "$2"; then fail "the files differ" "$1 != $2" "identical"; fi
}

# checkpointing_dirs: run directories, oldest first.
checkpointing_dirs() {
    find "$RESULTS/checkpointing/llama3-8b" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort ||
        true
}

newest_run_dir() {
    local dir
    dir=$(checkpointing_dirs | tail -n 1)
    [[ -n "$dir" ]] || fail "a run directory under $RESULTS/checkpointing/llama3-8b" "one" "(none)"
    printf '%s\n' "$dir"
}

# expect_outputs RUN_DIR NP W R: summary.json, metadata and every rank's stats agree with the run.
expect_outputs() {
    local dir=$1 np=$2 w=$3 r=$4 dt
    dt=$(basename "$dir")
    expect_match "$dt" "$DATETIME_RE" "the run directory's name"
    local meta="$dir/checkpointing_${dt}_metadata.json"
    expect_json "$meta" benchmark_type checkpointing
    expect_json "$meta" model llama3-8b
    expect_json "$meta" num_processes "$np"
    expect_json "$meta" result_dir "$dir"
    expect_file "$dir/dlio_config/config.yaml"
    expect_json "$dir/summary.json" num_accelerators "$np"
    expect_json "$dir/summary.json" metric.checkpoint_size_bytes "$(expected_total "$np")"
    expect_json "$dir/summary.json" metric.checkpoint_files $((2 * np))
    "$PYTHON_WITH_NUMPY" - "$dir" "$np" "$w" "$r" "$(expected_total "$np")" <<'PY' ||
import json, math, sys

import numpy as np

run_dir, nproc, w, r, total = sys.argv[1], *map(int, sys.argv[2:])
s = json.load(open(f"{run_dir}/summary.json"))
m = s["metric"]
gib = total / 2**30
assert math.isclose(m["checkpoint_size_GB"], gib, rel_tol=1e-12), (m["checkpoint_size_GB"], gib)
for phase, count in (("save", w), ("load", r)):
    keys = [f"{phase}_checkpoint_io_mean_GB_per_second", f"{phase}_checkpoint_io_stdev_GB_per_second",
            f"{phase}_checkpoint_duration_mean_seconds", f"{phase}_checkpoint_duration_stdev_seconds"]
    if count == 0:
        assert not any(k in m for k in keys), f"{phase} metrics without a {phase} phase"
        continue
    durations = m[f"{phase}_checkpoint_duration_seconds"]
    rates = m[f"{phase}_checkpoint_io_GB_per_second"]
    assert len(durations) == count and len(rates) == count, (durations, rates)
    assert all(d > 0 for d in durations), durations
    for d, rate in zip(durations, rates):
        assert math.isclose(rate, gib / d, rel_tol=1e-9), (rate, gib, d)
    for key, values in ((keys[0], rates), (keys[2], durations)):
        assert math.isclose(m[key], np.mean(values), rel_tol=1e-9), (key, m[key])
    for key, values in ((keys[1], rates), (keys[3], durations)):
        assert math.isclose(m[key], np.std(values), rel_tol=1e-9, abs_tol=1e-12), (key, m[key])
for rank in range(nproc):
    stats = json.load(open(f"{run_dir}/{rank}_per_epoch_stats.json"))["1"]
    expected = {"start", "end"} | {f"save_ckpt{k}" for k in range(1, w + 1)} | \
        {f"load_ckpt{k}" for k in range(1, r + 1)}
    assert set(stats) == expected, (rank, sorted(stats))
    for phase, count in (("save", w), ("load", r)):
        for k in range(1, count + 1):
            entry = stats[f"{phase}_ckpt{k}"]
            slowest = entry["seconds_until_slowest_rank"]
            # A rank's own time (rounded to 10 ms, as DLIO writes it) never exceeds the time
            # until the slowest rank finished, which is the run's time on rank 0.
            assert 0 < float(entry["duration"]) <= slowest + 0.005, (rank, phase, k, entry)
            assert entry["throughput"] > 0, entry
            if rank == 0:
                summary_time = m[f"{phase}_checkpoint_duration_seconds"][k - 1]
                assert math.isclose(slowest, summary_time, rel_tol=1e-9), (slowest, summary_time)
try:
    open(f"{run_dir}/{nproc}_per_epoch_stats.json")
    sys.exit(f"a stats file for rank {nproc}, which does not exist")
except FileNotFoundError:
    pass
PY
        fail "summary.json and the per-rank stats agree with the run" "consistent" \
            "see the Python assertion above"
}

# --- datasize ---

case_begin "datasize llama3-8b, 8 processes: the CLOSED checkpoint, bytes exact"
expect_exit 0 mlps checkpointing datasize -m llama3-8b -np 8 -cm 512
expect_stdout_contains "8,030,261,248 parameters"
expect_stdout_contains "ranks 0–7: 13.09 GiB each (14,053,202,944 B) in 2 files"
expect_stdout_contains "112,425,623,552 B = 104.7045 GiB"
expect_stdout_contains "in 16 files"
expect_stdout_contains "model 14.9575 GiB, optimizer 89.7470 GiB"
# 104.7 GiB on one host of 512 GiB: under 3x memory, so the caches must be dropped in between.
expect_stdout_contains "is less than 3 x 512.00 GiB"
expect_stdout_contains "echo 3 > /proc/sys/vm/drop_caches"
expect_stdout_contains "-ncr 0"
expect_stdout_contains "-ncw 0"

case_begin "datasize llama3-8b with 8 GiB of host memory: more than 3x memory, one go"
expect_exit 0 mlps checkpointing datasize -m llama3-8b -np 8 -cm 8
expect_stdout_contains "is at least 3 x 8.00 GiB of host memory"
grep -qF drop_caches "$OUT" && fail "no cache-drop advice" "(none)" "$(grep drop_caches "$OUT")"

case_begin "datasize llama3-405b, 512 processes: rank groups by pipeline stage"
expect_exit 0 mlps checkpointing datasize -m llama3-405b -np 512 -cm 512
expect_stdout_contains "TP 8 x PP 32 x DP 2, ZeRO stage 1, 405,853,388,800 parameters"
expect_stdout_contains "ranks 0–7: 12.32 GiB each (13,226,441,600 B) in 6 files, stage 0: layers 0–4"
expect_stdout_contains "ranks 8–239: 11.83 GiB each (12,701,105,024 B) in 5 files, stages 1–29: 4 layers each"
expect_stdout_contains "ranks 240–247: 11.09 GiB each (11,904,121,728 B) in 4 files, stage 30: layers 121–123"
expect_stdout_contains "ranks 248–255: 11.58 GiB each (12,429,491,072 B) in 6 files, stage 31: layers 124–128"
expect_stdout_contains "ranks 256–511: 8.86 GiB each (9,513,171,840 B) in 1 file: optimizer only"
expect_stdout_contains "5,682,508,791,808 B = 5,292.2487 GiB"
expect_stdout_contains "in 1,544 files"

case_begin "datasize of the scaled model agrees with the layout worked out here"
expect_exit 0 mlps checkpointing datasize -m llama3-8b -np 2 -cm 8 -p "${SMALL[@]}"
expect_stdout_contains "$(python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$(expected_total 2)") B"
expect_stdout_contains "in 4 files"

# --- the scaled run ---

case_begin "--what-if prints the merged config (one process) or the job's command line (two)"
expect_exit 0 mlps checkpointing run -m llama3-8b -np 1 -cm 8 -cf "$SCRATCH/ck-whatif" \
    -rd "$RESULTS" --what-if -p "${SMALL[@]}"
expect_stdout_contains "hidden_size: $HIDDEN"
expect_stdout_contains "ffn_hidden_size: $FFN"
expect_stdout_contains "num_layers: $LAYERS"
expect_stdout_contains "checkpoint_folder: $SCRATCH/ck-whatif/llama3-8b"
expect_exit 0 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$SCRATCH/ck-whatif" \
    -rd "$RESULTS" --what-if -p "${SMALL[@]}" "${MPI[@]}"
expect_stdout_contains "mpirun -n 2"
expect_absent "$SCRATCH/ck-whatif"
expect_absent "$RESULTS"

for np in 2 4; do
    case_begin "run -np $np: 2 checkpoints saved and 2 loaded"
    CK="$SCRATCH/ck$np"
    expect_exit 0 timeout 120 "$MLPS_BIN" checkpointing run -m llama3-8b -np "$np" -cm 8 \
        -cf "$CK" -ncw 2 -ncr 2 -rd "$RESULTS" -p "${SMALL[@]}" "${MPI[@]}"
    expect_stdout_contains "[METRIC] Number of Simulated Accelerators: $np"
    expect_stdout_contains "[METRIC] Checkpoint save I/O Throughput (GiB/second):"
    expect_stdout_contains "[METRIC] Checkpoint load I/O Throughput (GiB/second):"
    expect_stdout_contains "2 saved, 2 loaded"
    expect_stderr_contains "write-behind: each file goes to storage as it is written, at most 128.00 MiB of it in the page cache"
    expect_checkpoint "$CK/llama3-8b" "$np" 2
    expect_outputs "$(newest_run_dir)" "$np" 2 2
    expect_eq "$(dirname "$(newest_run_dir)")" "$RESULTS/checkpointing/llama3-8b" \
        "the run directory's parent (no command level)"
done

if command -v fincore >/dev/null; then
    case_begin "no checkpoint file is left in the page cache (evicted after writing and reading)"
    resident=$(fincore --bytes --noheadings --output RES,FILE "$SCRATCH"/ck4/llama3-8b/*/*.pt |
        awk '$1 != 0')
    [[ -z "$resident" ]] || fail "no cached pages" "0 bytes resident" "$resident"
fi

case_begin "the data: incompressible, different in every file and every checkpoint"
STEP1="$SCRATCH/ck2/llama3-8b/global_epoch1_step1"
STEP2="$SCRATCH/ck2/llama3-8b/global_epoch1_step2"
expect_incompressible "$STEP1/zero_pp_rank_0_mp_rank_0_model_states.pt"
expect_incompressible "$STEP1/zero_pp_rank_1_mp_rank_0_optim_states.pt"
expect_differ "$STEP1/zero_pp_rank_0_mp_rank_0_model_states.pt" \
    "$STEP1/zero_pp_rank_1_mp_rank_0_model_states.pt"
expect_differ "$STEP1/zero_pp_rank_0_mp_rank_0_model_states.pt" \
    "$STEP2/zero_pp_rank_0_mp_rank_0_model_states.pt"

case_begin "write only (-ncr 0, plain buffered writes), then read only (-ncw 0)"
CK="$SCRATCH/ck-split"
expect_exit 0 timeout 120 "$MLPS_BIN" checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$CK" \
    -ncw 2 -ncr 0 -rd "$RESULTS" -p "${SMALL[@]}" checkpoint.write_behind_mib=0 "${MPI[@]}"
expect_stdout_contains "2 saved, 0 loaded"
expect_stderr_contains "plain buffered writes (checkpoint.write_behind_mib=0)"
expect_checkpoint "$CK/llama3-8b" 2 2
expect_outputs "$(newest_run_dir)" 2 2 0
expect_exit 0 timeout 120 "$MLPS_BIN" checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$CK" \
    -ncw 0 -ncr 2 -rd "$RESULTS" -p "${SMALL[@]}" "${MPI[@]}"
expect_stdout_contains "0 saved, 2 loaded"
expect_outputs "$(newest_run_dir)" 2 0 2

# O_DIRECT: the same folder through direct://, when its filesystem takes O_DIRECT.
if python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT))' \
    "$CK/llama3-8b/global_epoch1_step1/zero_pp_rank_0_mp_rank_0_model_states.pt" 2>/dev/null; then
    case_begin "direct://: read the buffered checkpoint, write and read one with O_DIRECT, read it with storage_type direct_fs"
    expect_exit 0 timeout 120 "$MLPS_BIN" checkpointing run -m llama3-8b -np 2 -cm 8 \
        -cf "direct://$CK" -ncw 0 -ncr 1 -rd "$RESULTS" -p "${SMALL[@]}" "${MPI[@]}"
    expect_stdout_contains "0 saved, 1 loaded"
    expect_exit 0 timeout 120 "$MLPS_BIN" checkpointing run -m llama3-8b -np 2 -cm 8 \
        -cf "direct://$SCRATCH/ck-direct" -ncw 1 -ncr 1 -rd "$RESULTS" -p "${SMALL[@]}" "${MPI[@]}"
    expect_checkpoint "$SCRATCH/ck-direct/llama3-8b" 2 1
    expect_stderr_contains "files in direct://$SCRATCH/ck-direct/llama3-8b;"
    # DLIO's way of asking for O_DIRECT: storage.storage_type direct_fs with a plain folder.
    expect_exit 0 timeout 120 "$MLPS_BIN" checkpointing run -m llama3-8b -np 2 -cm 8 \
        -cf "$SCRATCH/ck-direct" -ncw 0 -ncr 1 -rd "$RESULTS" \
        -p "${SMALL[@]}" storage.storage_type=direct_fs "${MPI[@]}"
    expect_stderr_contains "files in direct://$SCRATCH/ck-direct/llama3-8b;"
    expect_incompressible "$SCRATCH/ck-direct/llama3-8b/global_epoch1_step1/zero_pp_rank_1_mp_rank_0_model_states.pt"
else
    echo "skipped: the scratch filesystem refuses O_DIRECT"
fi

# --- refused inputs: one line, non-zero exit, no result ---

case_begin "an unknown model: exit 2 with the choices"
expect_exit 2 mlps checkpointing run -m llama3-9b -np 2 -cm 8 -cf "$SCRATCH/ck-bad" -rd "$BAD"
expect_one_error "--model/-m" "llama3-9b" "llama3-8b, llama3-70b, llama3-405b, llama3-1t"

case_begin "llama3-70b on 3 processes in default mode: not a multiple of TP x PP"
expect_exit 2 mlps checkpointing run -m llama3-70b -np 3 -cm 8 -cf "$SCRATCH/ck-bad" -rd "$BAD" \
    -p checkpoint.mode=default "${MPI[@]}"
expect_one_error "Number of processes 3 is not a multiple of model parallelism size: 8"

case_begin "more checkpoints to read than to write"
expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$SCRATCH/ck-bad" -rd "$BAD" \
    -ncw 2 -ncr 3 -p "${SMALL[@]}" "${MPI[@]}"
expect_one_error "Number of checkpoints to read 3 cannot be larger than number of checkpoints to write 2"

case_begin "read only from a folder that does not exist"
expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$SCRATCH/ck-none" -rd "$BAD" \
    -ncw 0 -ncr 2 -p "${SMALL[@]}" "${MPI[@]}"
expect_one_error "ck-none/llama3-8b does not exist" "-ncw 2"

case_begin "read only more checkpoints than were written"
expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$SCRATCH/ck-split" -rd "$BAD" \
    -ncw 0 -ncr 3 -p "${SMALL[@]}" "${MPI[@]}"
expect_one_error "global_epoch1_step3 is not a complete checkpoint" "mlps_checkpoint_complete.json"

case_begin "read only with another process count than the checkpoint's"
expect_exit 2 mlps checkpointing run -m llama3-8b -np 4 -cm 8 -cf "$SCRATCH/ck-split" -rd "$BAD" \
    -ncw 0 -ncr 1 -p "${SMALL[@]}" "${MPI[@]}"
expect_one_error "zero_pp_rank_0_mp_rank_0_model_states.pt has" "of this model and process count"

case_begin "read only a step without its completion marker"
rm "$SCRATCH/ck-split/llama3-8b/global_epoch1_step2/mlps_checkpoint_complete.json"
expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$SCRATCH/ck-split" -rd "$BAD" \
    -ncw 0 -ncr 2 -p "${SMALL[@]}" "${MPI[@]}"
expect_one_error "global_epoch1_step2 is not a complete checkpoint"

case_begin "read only a checkpoint with a truncated file"
TRUNCATED="$SCRATCH/ck-split/llama3-8b/global_epoch1_step1/zero_pp_rank_1_mp_rank_0_optim_states.pt"
FULL=$(stat -c %s "$TRUNCATED")
truncate -s 1000 "$TRUNCATED"
expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$SCRATCH/ck-split" -rd "$BAD" \
    -ncw 0 -ncr 1 -p "${SMALL[@]}" "${MPI[@]}"
expect_one_error "zero_pp_rank_1_mp_rank_0_optim_states.pt has 1000 bytes, not the $FULL"

case_begin "a checkpoint folder that cannot be created (below a regular file, in /proc)"
touch "$SCRATCH/a-file"
expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$SCRATCH/a-file/ck" -rd "$BAD" \
    -ncw 1 -ncr 0 -p "${SMALL[@]}" "${MPI[@]}"
expect_one_error "--checkpoint-folder/-cf" "a-file/ck/llama3-8b" "Not a directory"
expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf /proc/mlps-no-such-dir \
    -rd "$BAD" -ncw 1 -ncr 0 -p "${SMALL[@]}" "${MPI[@]}"
expect_one_error "--checkpoint-folder/-cf" "/proc/mlps-no-such-dir/llama3-8b"

case_begin "a checkpoint folder inside the results directory, existing or not, or holding it"
mkdir -p "$BAD"
for cf in "$BAD" "$BAD/ck" "$BAD/not/yet/there" "direct://$BAD/ck" "$SCRATCH"; do
    expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$cf" -rd "$BAD" \
        -ncw 1 -ncr 0 -p "${SMALL[@]}" "${MPI[@]}"
    expect_one_error "overlap" "--results-dir $BAD"
done
expect_no_files_under "$BAD"

# --- a disk that fills up ---

SMALL_FS="$SCRATCH/small-fs"
mkdir -p "$SMALL_FS"
if mount -t tmpfs -o size=64m tmpfs "$SMALL_FS" 2>/dev/null; then
    case_begin "a 64 MiB filesystem and an 81 MiB checkpoint: No space left on device"
    expect_exit 1 timeout 120 "$MLPS_BIN" checkpointing run -m llama3-8b -np 2 -cm 8 \
        -cf "$SMALL_FS" -ncw 2 -ncr 2 -rd "$BAD" -p "${SMALL[@]}" "${MPI[@]}"
    expect_eq "$(grep -c '^mlps' "$ERR")" 1 "error lines"
    grep '^mlps' "$ERR" | grep -q "No space left on device" ||
        fail "the error says the disk is full" "No space left on device" "$(grep '^mlps' "$ERR")"
    grep '^mlps' "$ERR" | grep -q "global_epoch1_step1/zero_pp_rank_[01]_mp_rank_0_.*\.pt" ||
        fail "the error names the file" "…/global_epoch1_step1/<file>.pt" "$(grep '^mlps' "$ERR")"
    grep '^mlps' "$ERR" | grep -q "incomplete" ||
        fail "the error says the checkpoint is incomplete" "incomplete" "$(grep '^mlps' "$ERR")"
    if grep -q '^\[METRIC\]' "$OUT"; then fail "no [METRIC] lines" "(none)" "$(grep METRIC "$OUT")"; fi
    found=$(find "$BAD" -name summary.json | head -3)
    [[ -z "$found" ]] || fail "no summary.json" "(none)" "$found"
    STEP="$SMALL_FS/llama3-8b/global_epoch1_step1"
    expect_no_file "$STEP/mlps_checkpoint_complete.json"
    [[ ! -e "$SMALL_FS/llama3-8b/global_epoch1_step2" ]] || fail "step 2 never started" "no step2" "exists"
    leftovers=$(find "$SMALL_FS" -name '*mlps-partial*')
    [[ -z "$leftovers" ]] || fail "no temporaries left" "(none)" "$leftovers"
    # Whatever is under a final name is whole: a rank that finished its file before the disk
    # filled up published it; the file that failed is not there.
    while read -r name bytes; do
        [[ ! -e "$STEP/$name" ]] || expect_file_size "$STEP/$name" "$bytes"
    done < <(expected_files 2)

    case_begin "reading the checkpoint the full disk cut short is refused"
    expect_exit 2 mlps checkpointing run -m llama3-8b -np 2 -cm 8 -cf "$SMALL_FS" -rd "$BAD" \
        -ncw 0 -ncr 1 -p "${SMALL[@]}" "${MPI[@]}"
    expect_one_error "global_epoch1_step1 is not a complete checkpoint"
    umount "$SMALL_FS"
else
    echo "skipped: cannot mount a small tmpfs here (not root?), no ENOSPC case"
fi
