#!/usr/bin/env bash
# The KV-cache benchmark beside the reference kv-cache.py, on the same machine, the same
# filesystem and the same configuration: llama3.1-8b, USERS_LIST users (8 and 32), DURATION
# seconds, no GPU tier, a CPU tier of each of CPU_LIST GiB (1 and 0), seed 42, generation mode
# none, the storage tier bounded to STORAGE_GIB so both fill and evict alike. The reference runs
# with Debian's python3-numpy and python3-yaml; REF_DIR is a local copy of its
# kv_cache_benchmark folder (the one holding kv-cache.py), never part of this project.
#
# Rates are recomputed for both from the counts in each JSON over the process's wall-clock time
# (/usr/bin/time): the reference's elapsed_time stops at --duration although its workers go on
# finishing requests (and counting their bytes) for a long while after, so its own rates and its
# elapsed_time overstate it; the wall time is the same yardstick for both. Storage bytes written
# are the tier counters: mlps's include the CPU→storage demotions, which the reference does not
# count, so mlps's demotion bytes are also printed on their own. CPU seconds (user + system) and
# peak RSS come from /usr/bin/time. Prints one line per case and the ratios mlps / reference
# (target: requests/s ≥ 3× where storage is not the limit, storage bandwidth at least equal).
# Storage is the limit in all of those cases (entries of hundreds of MiB, fsynced); a last pair
# of runs takes storage away (--io-trace-log: every operation is logged, none is performed) with
# CEILING_USERS users, so that what is left is each client's own cost per request.
#
#   bench/kvcache_vs_reference.sh REF_DIR [build-dir (build)] [data-dir (bench/out)]
#   env: USERS_LIST ("8 32"; empty: none) CPU_LIST ("1 0") DURATION (30) STORAGE_GIB (16) MODEL (llama3.1-8b)
#        CEILING_USERS (5000, so that the offered load is far above what a client serves; 0 skips)
set -euo pipefail

REF_DIR=${1:?usage: kvcache_vs_reference.sh REF_DIR [build-dir] [data-dir]}
BUILD=${2:-build}
DATA=${3:-bench/out}
USERS_LIST=${USERS_LIST-8 32}
CPU_LIST=${CPU_LIST-1 0}
DURATION=${DURATION:-30}
STORAGE_GIB=${STORAGE_GIB:-16}
MODEL=${MODEL:-llama3.1-8b}
CEILING_USERS=${CEILING_USERS:-5000}
MLPS="$BUILD/mlps"
PY=/usr/bin/python3

die() { echo "kvcache_vs_reference: $*" >&2; exit 1; }
[[ -f $REF_DIR/kv-cache.py ]] || die "$REF_DIR/kv-cache.py not found (REF_DIR is the reference's kv_cache_benchmark folder)"
[[ -x $MLPS ]] || die "$MLPS not found; build first"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is not installed"
$PY -c 'import numpy, yaml' 2>/dev/null || die "the reference needs python3-numpy and python3-yaml"
REF_DIR=$(cd "$REF_DIR" && pwd)
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)/kvcache_vs_reference.$$
mkdir -p "$DATA"
trap '[[ ${KEEP:-0} == 1 ]] || rm -rf "$DATA"' EXIT

common=(--model "$MODEL" --duration "$DURATION" --gpu-mem-gb 0 --seed 42 --generation-mode none
        --storage-capacity-gb "$STORAGE_GIB")

# run_one TOOL USERS CPU [EXTRA...]: runs one side and prints "rps tok/s read_GiB/s write_GiB/s spill_GiB/s cpu_s rss_MiB status"
run_one() {
    local tool=$1 users=$2 cpu=$3
    shift 3
    local extra=("$@")
    local out="$DATA/$tool-$users-$cpu.json" cache="$DATA/cache-$tool" times="$DATA/$tool-$users-$cpu.time"
    rm -rf "$cache"
    mkdir -p "$cache"
    sync
    local status=0
    if [[ $tool == mlps ]]; then
        /usr/bin/time -f "%e %U %S %M" -o "$times" "$MLPS" kvcache run "${common[@]}" --num-users "$users" \
            --cpu-mem-gb "$cpu" --cache-dir "$cache" --output "$out" --results-dir "$DATA/results" "${extra[@]}" \
            >"$DATA/$tool-$users-$cpu.log" 2>&1 || status=$?
    else
        (cd "$REF_DIR" && /usr/bin/time -f "%e %U %S %M" -o "$times" $PY kv-cache.py "${common[@]}" \
            --num-users "$users" --cpu-mem-gb "$cpu" --cache-dir "$cache" --output "$out" "${extra[@]}") \
            >"$DATA/$tool-$users-$cpu.log" 2>&1 || status=$?
    fi
    rm -rf "$cache"
    if [[ $status -ne 0 || ! -s $out ]]; then
        echo "0 0 0 0 0 0 0 failed($status)"
        return
    fi
    $PY - "$out" "$times" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
s = doc["summary"]; c = s["cache_stats"]
wall, user, system, rss_kib = open(sys.argv[2]).read().split()[-4:]
t = float(wall)
spill = 0.0
if "mlps" in doc:
    spill = doc["mlps"].get("spill", {}).get("bytes_written_gib", {}).get("storage", 0.0)
print("%.2f %.1f %.3f %.3f %.3f %.1f %.0f ok" % (
    s["total_requests"] / t, s["total_tokens"] / t,
    c["tier_storage_kv_bytes_read_gb"] / t, c["tier_storage_kv_bytes_written_gb"] / t, spill / t,
    float(user) + float(system), int(rss_kib) / 1024))
EOF
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# print_case USERS CPU LABEL MLPS_LINE REFERENCE_LINE
print_case() {
    local users=$1 cpu=$2 label=$3
    read -r m_rps m_tok m_rd m_wr m_spill m_cpu m_rss m_status <<<"$4"
    read -r r_rps r_tok r_rd r_wr r_spill r_cpu r_rss r_status <<<"$5"
    printf '%-6s %-4s %-9s %8s %8s %9s %9s %9s %8s %8s %s\n' "$users" "$cpu" "mlps$label" "$m_rps" "$m_tok" \
        "$m_rd" "$m_wr" "$m_spill" "$m_cpu" "$m_rss" "$m_status"
    printf '%-6s %-4s %-9s %8s %8s %9s %9s %9s %8s %8s %s\n' "$users" "$cpu" "ref$label" "$r_rps" "$r_tok" \
        "$r_rd" "$r_wr" "-" "$r_cpu" "$r_rss" "$r_status"
    printf '%-6s %-4s %-9s %8s %8s %9s %9s %9s %8s %8s\n' "$users" "$cpu" "ratio$label" "$(ratio "$m_rps" "$r_rps")" \
        "$(ratio "$m_tok" "$r_tok")" "$(ratio "$m_rd" "$r_rd")" "$(ratio "$m_wr" "$r_wr")" "" \
        "$(ratio "$m_cpu" "$r_cpu")" "$(ratio "$m_rss" "$r_rss")"
}

printf '%-6s %-4s %-9s %8s %8s %9s %9s %9s %8s %8s %s\n' users cpu tool "req/s" "tok/s" \
    "rd GiB/s" "wr GiB/s" "spill/s" "cpu s" "RSS MiB" status
for users in $USERS_LIST; do
    for cpu in $CPU_LIST; do
        print_case "$users" "$cpu" "" "$(run_one mlps "$users" "$cpu")" "$(run_one reference "$users" "$cpu")"
    done
done
if [[ $CEILING_USERS -gt 0 ]]; then
    print_case "$CEILING_USERS" 0 "-noio" \
        "$(run_one mlps "$CEILING_USERS" 0 --io-trace-log "$DATA/mlps-trace.csv")" \
        "$(run_one reference "$CEILING_USERS" 0 --io-trace-log "$DATA/reference-trace.csv")"
fi
