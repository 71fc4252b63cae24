#!/usr/bin/env bash
# How many simulated accelerators this client keeps busy: runs `mlps training run` for
# resnet50 on h100 with N = 1, 2, 4, ... accelerators (one process each) until the mean AU falls
# below the workload's 90 %, and prints each N's AU, samples/s and MiB/s, then the largest N
# that passed. The dataset is generated once (FILES tfrecord files of 1251 records).
#
#   bench/training_capacity.sh [build-dir (build)] [data-dir (bench/out)]
#   env: FILES (48) MAX (64) DROP (1: drop the page cache before every epoch, needs root;
#        0: leave it warm) EPOCHS (1)
set -euo pipefail

BUILD=${1:-build}
DATA=${2:-bench/out}
FILES=${FILES:-48}
MAX=${MAX:-64}
DROP=${DROP:-1}
EPOCHS=${EPOCHS:-1}
MLPS="$BUILD/mlps"

[[ -x $MLPS ]] || { echo "training_capacity: $MLPS not found; build first" >&2; exit 1; }
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)/training_capacity.$$
RESULTS="$DATA/results"
trap '[[ ${KEEP:-0} == 1 ]] || rm -rf "$DATA"' EXIT
mpi=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)
drop=()
[[ $DROP == 1 ]] && drop=(--drop-caches)

"$MLPS" training datagen -m resnet50 -np 2 -dd "$DATA" -rd "$RESULTS" "${mpi[@]}" \
    -p dataset.num_files_train="$FILES" >/dev/null 2>&1

best=0
for ((n = 1; n <= MAX; n *= 2)); do
    if ! "$MLPS" training run -m resnet50 -g h100 -na "$n" -cm 1 -dd "$DATA" -rd "$RESULTS" \
        "${mpi[@]}" "${drop[@]}" -p dataset.num_files_train="$FILES" train.epochs="$EPOCHS" \
        >/dev/null 2>&1; then
        echo "resnet50_h100 x $n: the run failed (too few files for this many accelerators?)"
        break
    fi
    summary=$(ls -t "$RESULTS"/training/resnet50/run/*/summary.json | head -1)
    read -r au tp mib < <(/usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["metric"]; print(m["train_au_mean_percentage"], m["train_throughput_mean_samples_per_second"], m["train_io_mean_MB_per_second"])' "$summary")
    printf 'resnet50_h100 x %-3d AU %6.2f %%, %9.1f samples/s, %8.1f MiB/s\n' "$n" "$au" "$tp" "$mib"
    awk -v au="$au" 'BEGIN { exit !(au >= 90) }' || break
    best=$n
done
echo "capacity: $best simulated resnet50_h100 accelerators at AU >= 90 % (page cache $( [[ $DROP == 1 ]] && echo dropped || echo warm ))"
