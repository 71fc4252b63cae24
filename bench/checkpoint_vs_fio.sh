#!/usr/bin/env bash
# Checkpoint save and restore beside fio on the same filesystem: `mlps checkpointing run` with a
# scaled llama3-8b (vocabulary 8192, hidden size 512, as many layers as make about RANK_GIB per
# rank) on PROCS processes, one checkpoint written and read back, against fio with PROCS jobs
# each writing then reading one file of the same per-rank size: sequential writes of 32 MiB
# blocks with --end_fsync=1 (mlps fsyncs every file inside its timed window) and sequential reads
# of 128 MiB blocks, 4 in flight, after fio's own cache invalidation (mlps evicts every file
# after writing and before reading); for both, the load is a run of its own after the page cache
# is dropped, as the rules ask for checkpoints that fit in memory. Three pairs:
#   buffered        mlps as it runs by default (write-behind: each range handed to writeback as
#                   soon as it is written, 128 MiB behind dropped from the cache) against fio's
#                   plain buffered writes, which fill the page cache and flush it all at the end;
#   O_DIRECT        mlps on direct:// against fio --direct=1: both without a page cache;
#   plain buffered  mlps with checkpoint.write_behind_mib=0 against the same plain fio: like
#                   for like (PLAIN=0 leaves it out).
# Loads are compared twice: on the same files (fio's jobs read the checkpoint mlps has just
# written, each job one rank's files in mlps's order, so layout and whatever the storage still
# holds of fresh writes are the same for both), and each tool on its own files (what fio reads
# right after writing its one file per job).
# Prints both rates in GiB/s and the ratio (target >= 0.95), medians of REPS runs, the pairwise
# ratios, and their means by which tool went first. Each measurement starts from the same state — both tools' earlier files
# deleted, sync, the page cache dropped when permitted, a SETTLE-second pause — and the two
# tools take turns going first: on a virtual disk, writing right after another run's data was
# deleted (and discarded) or written can be much slower, and that must not count against one
# side.
#
# Then whether data generation keeps ahead (one core's fill rate, from the fill_bench driver of
# the same build, against one rank's save rate), and the memory bound: peak RSS of a one-process
# run (/usr/bin/time %M) for a checkpoint of RSS_SMALL_GIB and one of RSS_LARGE_GIB, save only
# and save + load. Streams are bounded (4 x 32 MiB write buffers, then one 128 MiB read buffer on
# file://), so the two sizes should be within one write buffer of each other (a buffer is
# touched only once the disk lags far enough behind to need it) and both within 256 MiB.
#
#   bench/checkpoint_vs_fio.sh [build-dir (build)] [data-dir (bench/out)]
#   env: RANK_GIB (1.5) PROCS (2) REPS (4: even, so that each tool goes first as often)
#        SETTLE (2) PLAIN (1) RSS_SMALL_GIB (1) RSS_LARGE_GIB (16)
set -euo pipefail

BUILD=${1:-build}
DATA=${2:-bench/out}
RANK_GIB=${RANK_GIB:-1.5}
PROCS=${PROCS:-2}
REPS=${REPS:-4}
SETTLE=${SETTLE:-2}
RSS_SMALL_GIB=${RSS_SMALL_GIB:-1}
RSS_LARGE_GIB=${RSS_LARGE_GIB:-16}
MLPS="$BUILD/mlps"

die() { echo "checkpoint_vs_fio: $*" >&2; exit 1; }
command -v fio >/dev/null || die "fio is not installed"
[[ -x $MLPS ]] || die "$MLPS not found; build first"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is not installed"
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)/checkpoint_vs_fio.$$
RESULTS="$DATA/results"
trap '[[ ${KEEP:-0} == 1 ]] || rm -rf "$DATA"' EXIT
mpi=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# layers_for GIB PROCS: the layer count that brings a rank's share of the scaled model nearest
# GIB (spec 20 section 1.2: ZeRO 3, DP = PROCS; about 14 bytes per parameter over DP).
layers_for() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys

gib, procs = float(sys.argv[1]), int(sys.argv[2])
V, h, f, heads, kv = 8192, 512, 14336, 32, 8
dkv = h // heads * kv
def rank_bytes(L):
    P = 2 * V * h + L * (2 * h + h * (h + 2 * dkv) + h * h + 3 * h * f) + h
    layer = [h // procs, h * (h + 2 * dkv) // procs, h * h // procs, h // procs,
             2 * h * f // procs, h * f // procs]
    model = 2 * (h * V // procs) + L * sum(layer) + h // procs
    return model * 2 + (3 * (P // procs) + 15 * h) * 4
print(min(range(1, 4096), key=lambda L: abs(rank_bytes(L) - gib * 2**30)))
PY
}

# params LAYERS: the -p values of the scaled model.
params() {
    echo model.num_layers="$1" model.transformer.vocab_size=8192 model.transformer.hidden_size=512 \
        checkpoint.time_between_checkpoints=0
}

# rank_bytes LAYERS PROCS: what rank 0 writes, as datasize reports it.
rank_bytes() {
    # shellcheck disable=SC2046
    "$MLPS" checkpointing datasize -m llama3-8b -np "$2" -cm 1 -p $(params "$1") |
        sed -n 's/.*each (\([0-9,]*\) B).*/\1/p' | head -1 | tr -d ,
}

LAYERS=$(layers_for "$RANK_GIB" "$PROCS")
RANK_BYTES=$(rank_bytes "$LAYERS" "$PROCS")
[[ -n $RANK_BYTES ]] || die "datasize did not report the per-rank size"

# settle: the same starting point for every measurement.
# The host's page cache is dropped too when that is permitted (root): what the previous run left
# cached (fio's read leaves its file in the cache, mlps evicts its checkpoint) otherwise changes
# how fast the next run's writes go, by as much as 30 % on a virtual disk.
settle() {
    rm -rf "$DATA/ck" "$DATA/fio"
    quiesce
}

# quiesce: the same, keeping the files (between a save and the load of what it wrote).
quiesce() {
    sync -f "$DATA" 2>/dev/null || sync
    { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null || true
    sleep "$SETTLE"
}

# mlps_rate WRITES READS FOLDER-PREFIX [-p VALUES...]: GiB/s of one run writing WRITES and reading
# READS checkpoints (one of them 1, the other 0) in ${FOLDER-PREFIX}$DATA/ck.
mlps_rate() {
    local writes=$1 reads=$2 prefix=$3 key=save
    shift 3
    ((reads == 0)) || key=load
    # shellcheck disable=SC2046
    "$MLPS" checkpointing run -m llama3-8b -np "$PROCS" -cm 1 -cf "$prefix$DATA/ck" \
        -ncw "$writes" -ncr "$reads" -rd "$RESULTS" "${mpi[@]}" -p $(params "$LAYERS") "$@" \
        >/dev/null 2>&1 || die "mlps checkpointing run failed"
    /usr/bin/python3 -c 'import json, sys
print("%.3f" % json.load(open(sys.argv[1]))["metric"][sys.argv[2] + "_checkpoint_io_mean_GB_per_second"])' \
        "$(ls -td "$RESULTS"/checkpointing/llama3-8b/*/ | head -1)summary.json" "$key"
}

# mlps_rates FIRST FOLDER-PREFIX FIO-OPTIONS [-p VALUES...]: "save load fio_load" in GiB/s: a
# write-only run, then, after the page cache is dropped, a read-only run (the rules' procedure for
# checkpoints that fit in memory) in ${FOLDER-PREFIX}$DATA/ck, and fio reading the same files
# with FIO-OPTIONS (space-separated), FIRST (mlps or fio) reading first.
mlps_rates() {
    local first=$1 prefix=$2 options=$3 save load fio_load
    shift 3
    settle
    save=$(mlps_rate 1 0 "$prefix" "$@")
    quiesce
    # shellcheck disable=SC2086
    if [[ $first == mlps ]]; then
        load=$(mlps_rate 0 1 "$prefix" "$@")
        quiesce
        fio_load=$(fio_read_checkpoint $options)
    else
        fio_load=$(fio_read_checkpoint $options)
        quiesce
        load=$(mlps_rate 0 1 "$prefix" "$@")
    fi
    echo "$save $load $fio_load"
}

# fio_json_rate RW: GiB/s from fio's JSON report (after the job lines fio prints first when it
# runs more than one job section).
fio_json_rate() {
    /usr/bin/python3 -c 'import json, sys
text = sys.stdin.read()
j = json.loads(text[text.index("{"):])["jobs"][0]
print("%.3f" % (j[sys.argv[1]]["bw_bytes"] / 2**30))' "$1"
}

# fio_read_checkpoint [OPTIONS...]: GiB/s of fio reading the checkpoint in $DATA/ck as mlps does:
# one job per rank, through that rank's files in write order, 128 MiB blocks, 4 in flight. fio
# reads whole blocks only: the tail of a file shorter than a block is left out (here about 10 %
# of the bytes), which its rate, bytes over time, does not favour either way.
fio_read_checkpoint() {
    local step="$DATA/ck/llama3-8b/global_epoch1_step1" jobs=() r files
    for ((r = 0; r < PROCS; r++)); do
        files=("$step/zero_pp_rank_${r}_mp_rank_"*_model_states.pt
            "$step/zero_pp_rank_${r}_mp_rank_"*_optim_states.pt)
        files=("${files[@]//:/\\:}") # ':' separates fio's file names
        jobs+=(--name="rank$r" --filename="$(IFS=:; echo "${files[*]}")")
    done
    # Options before the first --name apply to every job; --group_reporting there sums them.
    fio --ioengine=io_uring --rw=read --bs=128M --iodepth=4 --invalidate=1 \
        --file_service_type=sequential --group_reporting "$@" "${jobs[@]}" \
        --output-format=json | fio_json_rate read
}

# fio_rate RW BLOCK [OPTIONS...]: GiB/s of PROCS jobs over one file of RANK_BYTES each.
fio_rate() {
    local rw=$1 block=$2 extra=()
    shift 2
    [[ $rw == write ]] && extra=(--end_fsync=1 --fallocate=none)
    fio --name=checkpoint --directory="$DATA/fio" --ioengine=io_uring --rw="$rw" --bs="$block" \
        --iodepth=4 --numjobs="$PROCS" --size="$RANK_BYTES" --invalidate=1 "${extra[@]}" "$@" \
        --group_reporting --output-format=json | fio_json_rate "$rw"
}

# fio_rates [OPTIONS...]: "save_GiB/s load_GiB/s", as mlps_rates.
fio_rates() {
    local save
    settle
    mkdir -p "$DATA/fio"
    save=$(fio_rate write 32M "$@")
    quiesce
    echo "$save $(fio_rate read 128M "$@")"
}

# The pairs measured, each "label|mlps folder prefix|mlps -p values|fio options".
PAIRS=("buffered|||" "O_DIRECT|direct://||--direct=1")
# mlps with plain buffered writes (no write-behind) against the same fio: like for like.
[[ ${PLAIN:-1} == 1 ]] && PAIRS+=("plain buffered||checkpoint.write_behind_mib=0|")

declare -A saves loads fio_saves fio_loads fio_same_loads
# measure_pair INDEX FIRST: one run of each side of pair INDEX, FIRST (mlps or fio) going first.
measure_pair() {
    local label prefix values options s l fs fl fsl
    IFS='|' read -r label prefix values options <<<"${PAIRS[$1]}"
    # shellcheck disable=SC2086
    if [[ $2 == mlps ]]; then
        read -r s l fsl < <(mlps_rates "$2" "$prefix" "$options" $values)
        read -r fs fl < <(fio_rates $options)
    else
        read -r fs fl < <(fio_rates $options)
        read -r s l fsl < <(mlps_rates "$2" "$prefix" "$options" $values)
    fi
    saves[$1]+="$s " loads[$1]+="$l " fio_saves[$1]+="$fs " fio_loads[$1]+="$fl "
    fio_same_loads[$1]+="$fsl "
}

for ((r = 0; r < REPS; r++)); do
    for ((p = 0; p < ${#PAIRS[@]}; p++)); do
        if (((r + p) % 2 == 0)); then measure_pair "$p" mlps; else measure_pair "$p" fio; fi
    done
done
settle

report() { # what mlps-values fio-values pair-index
    local m f
    m=$(tr ' ' '\n' <<<"$2" | grep . | median)
    f=$(tr ' ' '\n' <<<"$3" | grep . | median)
    awk -v what="$1" -v m="$m" -v f="$f" 'BEGIN {
        printf "%s: mlps %.3f GiB/s, fio %.3f GiB/s, ratio %.2f (target >= 0.95)\n",
            what, m, f, (f > 0 ? m / f : 0) }'
    echo "    runs: mlps ${2% }; fio ${3% }"
    # Each pair ran back to back, so its ratio is less exposed to the disk's drift between pairs.
    paste -d' ' <(tr ' ' '\n' <<<"$2" | grep .) <(tr ' ' '\n' <<<"$3" | grep .) |
        awk '{ printf "%.2f\n", ($2 > 0 ? $1 / $2 : 0) }' | sort -n |
        awk '{ r[NR] = $1 } END { printf "    pairwise ratios:"; for (i = 1; i <= NR; i++)
            printf " %s", r[i]; printf "; median %s\n", r[int((NR + 1) / 2)] }'
    # On a virtual disk whatever runs first after a write can be much faster: the pairwise ratios
    # by which tool went first (run r of pair p: mlps when r + p is even), and their mean, which
    # weighs both orders alike.
    paste -d' ' <(tr ' ' '\n' <<<"$2" | grep .) <(tr ' ' '\n' <<<"$3" | grep .) |
        awk -v p="$4" '$2 > 0 { k = ((NR - 1 + p) % 2 == 0) ? "m" : "f"; s[k] += $1 / $2; n[k]++ }
            END { printf "    by who went first: mlps first %s (%d), fio first %s (%d)",
                (n["m"] ? sprintf("%.2f", s["m"] / n["m"]) : "-"), n["m"],
                (n["f"] ? sprintf("%.2f", s["f"] / n["f"]) : "-"), n["f"]
                if (n["m"] && n["f"]) printf "; both orders alike %.2f",
                    (s["m"] / n["m"] + s["f"] / n["f"]) / 2
                printf "\n" }'
}
size=$(awk -v b="$RANK_BYTES" 'BEGIN { printf "%.2f GiB", b / 2^30 }')
echo "checkpoint of $PROCS ranks x $size (llama3-8b, $LAYERS layers, hidden 512), median of $REPS:"
for ((p = 0; p < ${#PAIRS[@]}; p++)); do
    IFS='|' read -r label _ <<<"${PAIRS[$p]}"
    report "  $label save (32 MiB writes, fsync)" "${saves[$p]}" "${fio_saves[$p]}" "$p"
    report "  $label load, the same files (128 MiB reads)" "${loads[$p]}" \
        "${fio_same_loads[$p]}" "$p"
    report "  $label load, each its own files" "${loads[$p]}" "${fio_loads[$p]}" "$p"
done

# The generator must not be the limit: one core's fill rate (fill_bench, the same generator)
# against the rate at which one rank saved in the first pair.
if [[ -x $BUILD/fill_bench ]]; then
    fill_gbps=$("$BUILD/fill_bench" --buffer-mib 32 --total-mib 1024 --threads 1 |
        awk '$1 == "result" && $2 == "name=fill_random" {
            for (i = 2; i <= NF; i++) if ($i ~ /^gbps=/) { sub(/^gbps=/, "", $i); print $i } }')
    save_median=$(tr ' ' '\n' <<<"${saves[0]}" | grep . | median)
    awk -v g="$fill_gbps" -v s="$save_median" -v n="$PROCS" 'BEGIN {
        fill = g * 1e9 / 2^30; rank = s / n
        printf "generation: %.2f GiB/s on one core, a rank saved %.2f GiB/s: %s (%.1fx)\n",
            fill, rank, (fill > rank ? "the storage is the limit" : "THE GENERATOR IS THE LIMIT"),
            (rank > 0 ? fill / rank : 0) }'
fi

# peak_rss_mib GIB READS: peak RSS (MiB) of a one-process run of about GIB, READS checkpoints read.
peak_rss_mib() {
    local layers timing="$DATA/time.txt"
    layers=$(layers_for "$1" 1)
    rm -rf "$DATA/ck"
    # shellcheck disable=SC2046
    /usr/bin/time -f %M -o "$timing" "$MLPS" checkpointing run -m llama3-8b -np 1 -cm 1 \
        -cf "$DATA/ck" -ncw 1 -ncr "$2" -rd "$RESULTS" -p $(params "$layers") >/dev/null 2>&1 ||
        die "mlps checkpointing run -np 1 failed"
    rm -rf "$DATA/ck"
    awk '{ printf "%.1f\n", $1 / 1024 }' "$timing"
}

rss_line() { # what reads bound_mib
    local small large
    small=$(peak_rss_mib "$RSS_SMALL_GIB" "$2")
    large=$(peak_rss_mib "$RSS_LARGE_GIB" "$2")
    awk -v what="$1" -v s="$small" -v l="$large" -v sg="$RSS_SMALL_GIB" -v lg="$RSS_LARGE_GIB" \
        -v bound="$3" 'BEGIN {
        d = l - s; if (d < 0) d = -d
        printf "  %s: %.1f MiB (%s GiB), %.1f MiB (%s GiB): %s (%.1f MiB apart), %s %d MiB\n",
            what, s, sg, l, lg, (d <= 32 ? "independent of size" : "GROWS WITH SIZE"), d,
            (s <= bound && l <= bound ? "within" : "ABOVE"), bound }'
}
echo "peak RSS of one rank (-np 1):"
rss_line "save only" 0 256
rss_line "save + load" 1 256
