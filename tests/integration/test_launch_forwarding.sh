#!/usr/bin/env bash
# The object-storage settings a job of several processes forwards to its ranks: --what-if shows
# them by name, for mpirun (-x NAME) and mpiexec (-genvlist), whether they come from the
# environment or only from a .env file, and never shows a value; a job really started with them
# runs (mpirun accepts the names, the .env's values reach it through its environment).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORK="$SCRATCH/work" # the working directory, holding the .env
mkdir -p "$WORK"
cat >"$WORK/.env" <<'ENV'
AWS_SECRET_ACCESS_KEY="dotenv-secret-value"
AWS_SESSION_TOKEN=dotenv-token-value
MLPS_S3_MAX_ATTEMPTS=7
NOT_A_SETTING=plain
ENV
cd "$WORK" || fail "cd $WORK" "entered" "failed"
unset AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN MLPS_S3_MAX_ATTEMPTS
export AWS_ACCESS_KEY_ID=env-key-id AWS_REGION=us-east-1
MPI=(--allow-run-as-root --oversubscribe)

# expect_no_secret: the last command printed no value of a secret, wherever it came from.
expect_no_secret() {
    local value
    for value in dotenv-secret-value dotenv-token-value env-key-id; do
        if grep -q -- "$value" "$OUT" "$ERR"; then
            fail "no secret value printed" "(absent)" "$value"
        fi
    done
}

case_begin "--what-if with mpirun: -x NAME for the environment's and the .env's settings"
expect_exit 0 mlps storage roundtrip -u "$SCRATCH/data" -rd "$SCRATCH/results" -np 2 \
    --hosts node1,node2 --what-if
expect_stdout_contains "-x AWS_ACCESS_KEY_ID"
expect_stdout_contains "-x AWS_REGION"
expect_stdout_contains "-x AWS_SECRET_ACCESS_KEY"
expect_stdout_contains "-x AWS_SESSION_TOKEN"
expect_stdout_contains "-x MLPS_S3_MAX_ATTEMPTS"
if grep -q NOT_A_SETTING "$OUT"; then fail "only settings are forwarded" "(absent)" "NOT_A_SETTING"; fi
expect_no_secret

case_begin "--what-if with mpiexec: one -genvlist of the names"
expect_exit 0 mlps storage roundtrip -u "$SCRATCH/data" -rd "$SCRATCH/results" -np 2 \
    --hosts node1,node2 --mpi-bin mpiexec --what-if
expect_match "$(cat "$OUT")" "-genvlist [A-Z0-9_,]*AWS_SECRET_ACCESS_KEY" "the -genvlist argument"
if grep -q -- " -x " "$OUT"; then fail "mpiexec gets no -x" "(absent)" "-x"; fi
expect_no_secret

case_begin "a job started with the forwarded names runs"
expect_exit 0 mlps storage roundtrip -u "$SCRATCH/data" -rd "$SCRATCH/results" -np 2 \
    --file-size 1M --block-size 256K "${MPI[@]}"
expect_stdout_contains "identical to what was written"
expect_no_secret
