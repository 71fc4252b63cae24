#!/usr/bin/env bash
# The mlps command line as a new user meets it: help and version, the exit statuses (0 success,
# 1 the run failed, 2 a usage or configuration error), and that every mistake is reported as one
# line naming the flag, key or file with a suggestion, before anything is created or launched.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA="$SCRATCH/data"        # --uri of the cases that must not create it
RESULTS="$SCRATCH/results"  # --results-dir of the cases that must not create it
SMALL=(--file-size 1M --block-size 256K --iodepth 4)

# expect_usage_error TEXT... -- ARGS...: `mlps storage roundtrip ARGS` exits 2 with one error
# line holding every TEXT, prints nothing on stdout, and creates neither the results directory
# nor the data directory.
expect_usage_error() {
    local texts=()
    while [[ "$1" != "--" ]]; do texts+=("$1"); shift; done
    shift
    expect_exit 2 mlps storage roundtrip "$@"
    expect_one_error "${texts[@]}"
    expect_stdout_empty
    expect_absent "$RESULTS"
    expect_absent "$DATA"
}

case_begin "no arguments: usage on stderr, exit 1"
expect_exit 1 mlps
expect_stdout_empty
expect_stderr_contains "usage: mlps <program> <command> [options]"
expect_stderr_contains "storage"

case_begin "--help and -h: the programs and their commands on stdout, exit 0"
for help in --help -h; do
    expect_exit 0 mlps "$help"
    expect_stderr_empty
    expect_stdout_contains "usage: mlps <program> <command> [options]"
    expect_stdout_contains "storage    exercise a storage target directly"
    expect_stdout_contains "roundtrip      write, read back and verify files"
    expect_stdout_contains "Exit status: 0 success, 1 the run failed, 2 a usage or configuration error."
done

case_begin "--version prints the project version"
expect_exit 0 mlps --version
project_version=$(sed -n 's/^project(mlps VERSION \([0-9.]*\).*/\1/p' "$MLPS_SOURCE_DIR/CMakeLists.txt")
expect_match "$project_version" '^[0-9]+\.[0-9]+\.[0-9]+$' "version in CMakeLists.txt"
expect_eq "$(cat "$OUT")" "mlps $project_version" "--version output"
expect_stderr_empty

case_begin "unknown program: exit 2 with a suggestion"
expect_exit 2 mlps stroage
expect_one_error "unknown program 'stroage'" "did you mean 'storage'?" "(valid: training, checkpointing, kvcache, storage)"
expect_stdout_empty

case_begin "a program without a command: its help on stderr, exit 1"
expect_exit 1 mlps storage
expect_stdout_empty
expect_stderr_contains "usage: mlps storage <command> [options]"
expect_stderr_contains "roundtrip"
expect_exit 0 mlps storage --help
expect_stdout_contains "usage: mlps storage <command> [options]"
expect_stderr_empty

case_begin "unknown command: exit 2"
expect_exit 2 mlps storage roundtirp
expect_one_error "mlps storage: unknown command 'roundtirp'" "did you mean 'roundtrip'?" \
    "(valid: roundtrip)"
expect_exit 2 mlps storage frobnicate
expect_one_error "unknown command 'frobnicate'" "(valid: roundtrip)"

case_begin "roundtrip --help lists its options and the shared and MPI ones"
expect_exit 0 mlps storage roundtrip --help
expect_stderr_empty
for spelled in "usage: mlps storage roundtrip [options]" "-h, --help" "-u, --uri URI|DIR" \
    "-np, --num-processes N" "--file-size BYTES" "-bs, --block-size BYTES" "-qd, --iodepth N" \
    "--seed N" "--no-verify" "--keep-files" \
    "-rd, --results-dir DIR" "-p, --params KEY=VALUE ..." "-c, --config-file YAML" \
    "--loops N" "--what-if" "--debug" "--verbose" \
    "-s, --hosts HOST[:SLOTS] ..." "--mpi-bin VALUE" "{mpirun,mpiexec}" "--oversubscribe" \
    "--allow-run-as-root" "--mpi-params ARGS ..."; do
    expect_stdout_contains "$spelled"
done
expect_stdout_contains "(required)"

case_begin "unknown flags: exit 2 naming the flag with a suggestion"
expect_usage_error "unknown option '--resuls-dir'" "did you mean '--results-dir'?" -- \
    -u "$DATA" --resuls-dir "$RESULTS"
expect_usage_error "unknown option '-resuls-dir'" "did you mean '--results-dir'?" -- \
    -u "$DATA" -resuls-dir "$RESULTS"
expect_usage_error "unknown option '--iodepht'" "did you mean '--iodepth'?" -- \
    -u "$DATA" -rd "$RESULTS" --iodepht 4
expect_usage_error "unexpected argument 'extra'" -- -u "$DATA" -rd "$RESULTS" extra
expect_usage_error "--seed expects a value" -- -u "$DATA" -rd "$RESULTS" --seed

case_begin "the required --uri is missing: exit 2"
expect_usage_error "the option --uri/-u is required" -- -rd "$RESULTS" "${SMALL[@]}"

case_begin "-p overrides: the form, the key and the type are checked"
expect_usage_error "'foo'" "expected the form key=value" -- -u "$DATA" -rd "$RESULTS" -p foo
expect_usage_error "unknown config key 'workload.iodepht'" "did you mean 'workload.iodepth'?" -- \
    -u "$DATA" -rd "$RESULTS" -p workload.iodepht=4
expect_usage_error "config key 'workload.iodepth' must be an integer, got 'four'" -- \
    -u "$DATA" -rd "$RESULTS" -p workload.iodepth=four

case_begin "byte counts, counts and process numbers are checked"
expect_usage_error "--block-size/-bs: '1X' is not a byte count" "K, M, G, T" -- \
    -u "$DATA" -rd "$RESULTS" --block-size 1X
expect_usage_error "--iodepth/-qd: 'many' is not an integer" -- \
    -u "$DATA" -rd "$RESULTS" --iodepth many
expect_usage_error "workload.iodepth (--iodepth) must be at least 1, got 0" -- -u "$DATA" -rd "$RESULTS" --iodepth 0
expect_usage_error "--block-size must be between 1 byte and 1 GiB" -- \
    -u "$DATA" -rd "$RESULTS" --block-size 2G
expect_usage_error "--num-processes/-np must be between 1 and 65536, got 0" -- \
    -u "$DATA" -rd "$RESULTS" -np 0
expect_usage_error "--loops must be at least 1, got 0" -- -u "$DATA" -rd "$RESULTS" --loops 0
expect_usage_error "--mpi-bin: invalid choice 'mpirn'" "did you mean 'mpirun'?" -- \
    -u "$DATA" -rd "$RESULTS" --mpi-bin mpirn

case_begin "an unknown URI scheme is a usage error before the run starts"
expect_usage_error "unknown storage URI scheme 'gs'" "valid: file://, direct://, null://, s3://" -- \
    -u gs://bucket/x -rd "$RESULTS" "${SMALL[@]}"

case_begin "usage errors with -np 2 are found before mpirun is launched: one line, exit 2"
expect_usage_error "unknown config key 'workload.iodepht'" -- -u "$DATA" -rd "$RESULTS" \
    -np 2 --allow-run-as-root --oversubscribe -p workload.iodepht=4
expect_usage_error "'1X' is not a byte count" -- -u "$DATA" -rd "$RESULTS" \
    -np 2 --allow-run-as-root --oversubscribe --block-size 1X --what-if
expect_usage_error "--loops must be at least 1" -- -u "$DATA" -rd "$RESULTS" \
    -np 2 --allow-run-as-root --oversubscribe --loops 0

case_begin "--config-file: unknown keys, bad values, missing files and bad YAML"
config="$SCRATCH/typo.yaml"
printf 'uri: %s\nfile_sise: 8M\n' "$DATA" >"$config"
expect_usage_error "$config" "unknown option 'file_sise'" "did you mean 'file_size'?" -- \
    -c "$config" -rd "$RESULTS"
printf 'uri: %s\nblock_size: 1X\n' "$DATA" >"$config"
expect_usage_error "$config" "'1X' is not a byte count" -- -c "$config" -rd "$RESULTS"
expect_usage_error "--config-file $SCRATCH/missing.yaml: No such file or directory" -- \
    -c "$SCRATCH/missing.yaml" -rd "$RESULTS"
printf 'uri: [%s\n' "$DATA" >"$config"
expect_usage_error "--config-file $config: not valid YAML at line 2" -- -c "$config" -rd "$RESULTS"
printf -- '- uri\n' >"$config"
expect_usage_error "expected a mapping of option names to values" -- -c "$config" -rd "$RESULTS"

case_begin "--config-file sets the options; the command line wins over it"
config="$SCRATCH/options.yaml"
printf 'uri: %s\nfile_size: 2M\nblock-size: 256K\nresults_dir: %s\nparams:\n  workload.iodepth: 4\n' \
    "$DATA" "$RESULTS" >"$config"
expect_exit 0 mlps storage roundtrip -c "$config" --what-if
expect_stdout_contains "uri: $DATA"
expect_stdout_contains "file_size: 2097152"
expect_stdout_contains "block_size: 262144"
expect_stdout_contains "iodepth: 4"
expect_exit 0 mlps storage roundtrip -c "$config" --file-size 1M
run_dir=$(the_run_dir "$RESULTS")
expect_json "$run_dir/summary.json" file_size_bytes 1048576
expect_json "$run_dir/summary.json" block_size_bytes 262144
expect_json "$run_dir/summary.json" iodepth 4
expect_json "$run_dir/summary.json" verified true
expect_no_files_under "$DATA"
rm -rf "$RESULTS" "$DATA"

case_begin "--what-if prints the configuration and creates nothing"
expect_exit 0 mlps storage roundtrip -u "$DATA" -rd "$RESULTS" --what-if "${SMALL[@]}" \
    -p workload.seed=7
expect_stderr_empty
expect_stdout_contains "# mlps storage roundtrip would run 1 process(es) with this configuration:"
expect_stdout_contains "uri: $DATA"
expect_stdout_contains "file_size: 1048576"
expect_stdout_contains "block_size: 262144"
expect_stdout_contains "iodepth: 4"
expect_stdout_contains "seed: 7"
expect_absent "$RESULTS"
expect_absent "$DATA"

case_begin "--what-if with -np 2 prints the mpirun command instead of running it"
expect_exit 0 mlps storage roundtrip -u "$DATA" -rd "$RESULTS" --what-if -np 2 \
    --allow-run-as-root "${SMALL[@]}"
expect_stderr_empty
expect_eq "$(wc -l <"$OUT")" 1 "number of lines printed"
launch=$(cat "$OUT")
expect_match "$launch" '^mpirun ' "the launch command starts with mpirun"
expect_match "$launch" ' -n 2 ' "the launch command asks for 2 processes"
expect_match "$launch" ' --allow-run-as-root ' "the launch command lets mpirun run as root"
expect_match "$launch" " $(realpath "$MLPS_BIN") storage roundtrip " \
    "the launch command runs this mlps with the same command"
expect_match "$launch" ' --what-if( |$)' "the launch command keeps the flags"
expect_absent "$RESULTS"
expect_absent "$DATA"

case_begin "a results directory that cannot be created: exit 1, one line naming it, nothing written"
expect_exit 1 mlps storage roundtrip -u "$DATA" -rd /proc/mlps-results "${SMALL[@]}"
expect_one_error "cannot create directory /proc/mlps-results/storage/roundtrip"
expect_stdout_empty
expect_absent /proc/mlps-results
expect_absent "$DATA"
touch "$SCRATCH/a-file"
expect_exit 1 mlps storage roundtrip -u "$DATA" -rd "$SCRATCH/a-file/results" "${SMALL[@]}"
expect_one_error "$SCRATCH/a-file/results/storage/roundtrip" \
    "$SCRATCH/a-file exists and is not a directory"
expect_stdout_empty
expect_absent "$DATA"
