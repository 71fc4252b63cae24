#!/usr/bin/env bash
# `mlps storage roundtrip` end to end with small files: the results tree it writes (run directory,
# metadata, summary, logs) and the numbers in it, every storage scheme, two processes started by
# mlps itself and by an outside mpirun, --loops, --keep-files, and a data directory that cannot
# be created.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FILE_SIZE=8388608 # 8M
BLOCK_SIZE=262144 # 256K
BLOCKS=$((FILE_SIZE / BLOCK_SIZE))
SIZES=(--file-size 8M --block-size 256K --iodepth 8)
MPI_RUN=(timeout 120 mpirun --allow-run-as-root --oversubscribe)
DATETIME_RE='^[0-9]{8}_[0-9]{6}$'

# expect_phase_counts SUMMARY PROCESSES: both phases moved PROCESSES files' bytes in one
# request per block.
expect_phase_counts() {
    local phase
    for phase in write read; do
        expect_json "$1" "$phase.bytes" $(($2 * FILE_SIZE))
        expect_json "$1" "$phase.latency.count" $(($2 * BLOCKS))
        expect_positive "$(json_get "$1" "$phase.seconds")" "$phase.seconds"
    done
}

# expect_verified SUMMARY PROCESSES
expect_verified() {
    expect_json "$1" verified true
    expect_json "$1" verified_bytes $(($2 * FILE_SIZE))
}

case_begin "file:// (a bare path), one process"
data="$SCRATCH/data-file"
results="$SCRATCH/results-file"
expect_exit 0 mlps storage roundtrip -u "$data" -rd "$results" "${SIZES[@]}"
run_dir=$(the_run_dir "$results")
dt=$(basename "$run_dir")
expect_match "$dt" "$DATETIME_RE" "run directory name <YYYYMMDD_HHMMSS>"
metadata="$run_dir/storage_${dt}_metadata.json"
summary="$run_dir/summary.json"
for file in "$metadata" "$summary" "$run_dir/storage_roundtrip.stdout.log" \
    "$run_dir/storage_roundtrip.stderr.log"; do
    expect_file "$file"
done
expect_eq "$(find "$run_dir" -type f | wc -l)" 4 "number of files in the run directory"

expect_json "$summary" workload storage_roundtrip
expect_json "$summary" uri "$data"
expect_json "$summary" num_processes 1
expect_json "$summary" file_size_bytes "$FILE_SIZE"
expect_json "$summary" block_size_bytes "$BLOCK_SIZE"
expect_json "$summary" iodepth 8
expect_json "$summary" seed 42
expect_phase_counts "$summary" 1
expect_verified "$summary" 1

expect_json "$metadata" benchmark_type storage
expect_json "$metadata" command roundtrip
expect_json "$metadata" run_datetime "$dt"
expect_json "$metadata" result_dir "$run_dir"
expect_json "$metadata" num_processes 1
expect_json "$metadata" parameters.storage.uri "$data"
expect_json "$metadata" parameters.workload.file_size "$FILE_SIZE"
expect_json "$metadata" parameters.workload.block_size "$BLOCK_SIZE"
expect_json "$metadata" parameters.workload.verify true
expect_json "$metadata" override_parameters.workload.file_size "$FILE_SIZE"
expect_json "$metadata" override_parameters.workload.block_size "$BLOCK_SIZE"
expect_json "$metadata" system_info.num_hosts 1
expect_positive "$(json_get "$metadata" runtime)" runtime
expect_json "$metadata" args.uri "$data"
expect_json "$metadata" args.results_dir "$results"
expect_json "$metadata" args.file_size "$FILE_SIZE"
executed=$(json_get "$metadata" executed_command)
expect_match "$executed" "storage roundtrip -u $data " "executed_command"
expect_json "$metadata" command_output_files.0.stdout "$run_dir/storage_roundtrip.stdout.log"

expect_stdout_contains "verified 8.00 MiB read back: identical to what was written"
expect_stdout_contains "results: $run_dir"
cmp -s "$OUT" "$run_dir/storage_roundtrip.stdout.log" ||
    fail "the stdout log holds what was printed" "$(cat "$OUT")" \
        "$(cat "$run_dir/storage_roundtrip.stdout.log")"
grep -qF "verified 8.00 MiB read back" "$run_dir/storage_roundtrip.stdout.log" ||
    fail "the stdout log has the verified line" "verified 8.00 MiB read back" "(missing)"
grep -qF "results go to $run_dir" "$run_dir/storage_roundtrip.stderr.log" ||
    fail "the stderr log has the log lines" "results go to $run_dir" "(missing)"
expect_stderr_lacks "mlps:"
[[ -d "$data" ]] || fail "the data directory was created" "$data" "(missing)"
expect_no_files_under "$data"

case_begin "file:// URI with --keep-files: the file stays, with its size"
data="$SCRATCH/data-keep"
results="$SCRATCH/results-keep"
expect_exit 0 mlps storage roundtrip -u "file://$data" -rd "$results" "${SIZES[@]}" --keep-files
dt=$(basename "$(the_run_dir "$results")")
expect_file_size "$data/roundtrip_${dt}_rank0.dat" "$FILE_SIZE"
expect_eq "$(find "$data" -type f | wc -l)" 1 "number of files kept"
expect_json "$(the_run_dir "$results")/summary.json" uri "file://$data"

case_begin "direct:// with aligned sizes"
data="$SCRATCH/data-direct"
results="$SCRATCH/results-direct"
expect_exit 0 mlps storage roundtrip -u "direct://$data" -rd "$results" "${SIZES[@]}"
summary="$(the_run_dir "$results")/summary.json"
expect_phase_counts "$summary" 1
expect_verified "$summary" 1
expect_no_files_under "$data"

case_begin "direct:// with a block size that is not aligned: a usage error, nothing created"
data="$SCRATCH/data-misaligned"
results="$SCRATCH/results-misaligned"
expect_exit 2 mlps storage roundtrip -u "direct://$data" -rd "$results" --file-size 8M \
    --block-size 1000
expect_one_error "direct://$data needs --block-size and --file-size in multiples of" \
    "(got 1000 and $FILE_SIZE)"
expect_absent "$results"
expect_absent "$data"

case_begin "null:// moves no bytes: counted, not verified"
results="$SCRATCH/results-null"
expect_exit 0 mlps storage roundtrip -u null:// -rd "$results" "${SIZES[@]}"
summary="$(the_run_dir "$results")/summary.json"
expect_phase_counts "$summary" 1
expect_json "$summary" verified false
expect_json "$summary" verified_bytes 0
expect_stdout_contains "data read back was not verified"

case_begin "--no-verify: read back, not compared"
data="$SCRATCH/data-noverify"
results="$SCRATCH/results-noverify"
expect_exit 0 mlps storage roundtrip -u "$data" -rd "$results" "${SIZES[@]}" --no-verify
summary="$(the_run_dir "$results")/summary.json"
expect_phase_counts "$summary" 1
expect_json "$summary" verified false
expect_json "$summary" verified_bytes 0
expect_json "$(find "$results" -name '*_metadata.json')" parameters.workload.verify false
expect_no_files_under "$data"

case_begin "two processes, mlps launching itself under mpirun"
data="$SCRATCH/data-np2"
results="$SCRATCH/results-np2"
expect_exit 0 timeout 120 "$MLPS_BIN" storage roundtrip -u "$data" -rd "$results" "${SIZES[@]}" \
    -np 2 --allow-run-as-root --oversubscribe
run_dir=$(the_run_dir "$results")
summary="$run_dir/summary.json"
expect_json "$summary" num_processes 2
expect_phase_counts "$summary" 2
expect_verified "$summary" 2
metadata="$run_dir/storage_$(basename "$run_dir")_metadata.json"
expect_json "$metadata" num_processes 2
expect_json "$metadata" system_info.num_hosts 1
expect_json "$metadata" args.num_processes 2
expect_eq "$(grep -c '^results: ' "$OUT")" 1 "result lines printed (rank 0 only)"
expect_stdout_contains "verified 16.00 MiB read back"
expect_no_files_under "$data"

case_begin "two processes under an outside mpirun: mlps joins its job, no second launch"
data="$SCRATCH/data-mpirun"
results="$SCRATCH/results-mpirun"
expect_exit 0 "${MPI_RUN[@]}" -n 2 "$MLPS_BIN" storage roundtrip -u "$data" -rd "$results" \
    "${SIZES[@]}" -np 2
run_dir=$(the_run_dir "$results")
summary="$run_dir/summary.json"
expect_json "$summary" num_processes 2
expect_phase_counts "$summary" 2
expect_verified "$summary" 2
expect_json "$run_dir/storage_$(basename "$run_dir")_metadata.json" num_processes 2
expect_eq "$(grep -c '^results: ' "$OUT")" 1 "result lines printed (one job, rank 0 only)"
expect_no_files_under "$data"

case_begin "--loops 2: two run directories, each complete"
data="$SCRATCH/data-loops"
results="$SCRATCH/results-loops"
expect_exit 0 mlps storage roundtrip -u "$data" -rd "$results" "${SIZES[@]}" --loops 2 --keep-files
mapfile -t loop_dirs < <(run_dirs_of "$results")
expect_eq "${#loop_dirs[@]}" 2 "number of run directories"
expect_eq "$(grep -c '^results: ' "$OUT")" 2 "result lines printed"
for run_dir in "${loop_dirs[@]}"; do
    expect_match "$(basename "$run_dir")" '^[0-9]{8}_[0-9]{6}(_[0-9]+)?$' "run directory name"
    expect_verified "$run_dir/summary.json" 1
    expect_eq "$(find "$run_dir" -name '*_metadata.json' | wc -l)" 1 "metadata files in $run_dir"
    # Each run's files are named after its own directory, so the loops do not share a file.
    expect_file_size "$data/roundtrip_$(basename "$run_dir")_rank0.dat" "$FILE_SIZE"
done

case_begin "a data directory that cannot be created: exit 1, one error naming it, metadata kept"
results="$SCRATCH/results-baduri"
expect_exit 1 mlps storage roundtrip -u /proc/mlps-x -rd "$results" "${SIZES[@]}"
expect_eq "$(grep -c '^mlps' "$ERR")" 1 "error lines"
expect_stderr_contains "mlps: create directory file:///proc/mlps-x: No such file or directory"
expect_stdout_empty
expect_absent /proc/mlps-x
run_dir=$(the_run_dir "$results")
dt=$(basename "$run_dir")
expect_no_file "$run_dir/summary.json"
metadata="$run_dir/storage_${dt}_metadata.json"
expect_json "$metadata" run_datetime "$dt"
expect_json "$metadata" args.uri /proc/mlps-x
grep -qF "mlps: create directory file:///proc/mlps-x" "$run_dir/storage_roundtrip.stderr.log" ||
    fail "the run's stderr log says why it failed" "mlps: create directory file:///proc/mlps-x" \
        "$(cat "$run_dir/storage_roundtrip.stderr.log")"

case_begin "the same failure with two processes: the error is printed once"
results="$SCRATCH/results-baduri-np2"
expect_exit 1 timeout 120 "$MLPS_BIN" storage roundtrip -u /proc/mlps-x -rd "$results" \
    "${SIZES[@]}" -np 2 --allow-run-as-root --oversubscribe
expect_eq "$(grep -c '^mlps: create directory file:///proc/mlps-x' "$ERR")" 1 \
    "error lines from the job"
expect_file "$(the_run_dir "$results")/storage_$(basename "$(the_run_dir "$results")")_metadata.json"

case_begin "a results directory that cannot be created, with two processes: printed once"
expect_exit 1 timeout 120 "$MLPS_BIN" storage roundtrip -u "$SCRATCH/data-badroot" \
    -rd /proc/mlps-results "${SIZES[@]}" -np 2 --allow-run-as-root --oversubscribe
expect_eq "$(grep -c '^mlps: cannot create directory /proc/mlps-results' "$ERR")" 1 \
    "error lines from the job"
expect_absent "$SCRATCH/data-badroot"
