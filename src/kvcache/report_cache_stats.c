/* summary.cache_stats of spec 30 §6.2 with the reference's key names: hits, tier occupancy,
 * per-tier bytes (GiB) and bandwidths over the measured window, per-type hits, totals, and the
 * per-tier operation percentiles, present only for tiers and directions that have samples. The
 * storage tier's bytes and latencies include spill (demotion) traffic. */
#include "kvcache/report_internal.h"

#include <stdio.h>

static int put_tier_bytes_and_bandwidth(json_t *stats, const mlps_kv_run_result *r)
{
    const mlps_kv_cache_counters *c = &r->counters;
    int failed = 0;
    char key[96];
    for (int dir = 0; dir < 2; dir++) {
        const char *op = dir == 0 ? "written" : "read";
        for (int t = 0; t < MLPS_KV_TIER_COUNT; t++) {
            uint64_t bytes = dir == 0 ? c->tier_bytes_written[t] : c->tier_bytes_read[t];
            snprintf(key, sizeof key, "tier_%s_kv_bytes_%s_gb", mlps_kv_report_tier_names[t], op);
            failed |= mlps_kv_put_real(stats, key, mlps_kv_gib(bytes));
        }
    }
    for (int t = 0; t < MLPS_KV_TIER_COUNT; t++) {
        for (int dir = 0; dir < 2; dir++) {
            uint64_t bytes = dir == 0 ? c->tier_bytes_read[t] : c->tier_bytes_written[t];
            snprintf(key, sizeof key, "tier_%s_%s_bandwidth_gbps", mlps_kv_report_tier_names[t],
                     dir == 0 ? "read" : "write");
            failed |= mlps_kv_put_real(stats, key, mlps_kv_rate(mlps_kv_gib(bytes), r->elapsed_s));
        }
    }
    return failed;
}

static int put_percentiles(json_t *stats, const mlps_kv_cache_latencies *lat)
{
    int failed = 0;
    char prefix[64];
    for (int t = 0; t < MLPS_KV_TIER_COUNT; t++) {
        snprintf(prefix, sizeof prefix, "%s_read", mlps_kv_report_tier_names[t]);
        failed |= mlps_kv_put_percentile_keys(stats, prefix, &lat->read[t]);
        snprintf(prefix, sizeof prefix, "%s_write", mlps_kv_report_tier_names[t]);
        failed |= mlps_kv_put_percentile_keys(stats, prefix, &lat->write[t]);
    }
    failed |= mlps_kv_put_percentile_keys(stats, "storage_read_device", &lat->storage_read_device);
    failed |= mlps_kv_put_percentile_keys(stats, "storage_read_host", &lat->storage_read_host);
    failed |= mlps_kv_put_percentile_keys(stats, "storage_write_device",
                                          &lat->storage_write_device);
    failed |= mlps_kv_put_percentile_keys(stats, "storage_write_host", &lat->storage_write_host);
    return failed;
}

static int put_counts(json_t *stats, const mlps_kv_cache_counters *c)
{
    uint64_t accesses = c->cache_hits + c->cache_misses;
    int failed = 0;
    failed |= mlps_kv_put_real(stats, "cache_hit_rate",
                               accesses ? (double)c->cache_hits / (double)accesses : 0.0);
    failed |= mlps_kv_put_uint(stats, "cache_hits", c->cache_hits);
    failed |= mlps_kv_put_uint(stats, "cache_misses", c->cache_misses);
    failed |= mlps_kv_put_uint(stats, "gpu_entries", c->tier_entries[MLPS_KV_TIER_GPU]);
    failed |= mlps_kv_put_uint(stats, "cpu_entries", c->tier_entries[MLPS_KV_TIER_CPU]);
    failed |= mlps_kv_put_uint(stats, "storage_entries", c->tier_entries[MLPS_KV_TIER_STORAGE]);
    failed |= mlps_kv_put_real(stats, "gpu_memory_used_gb",
                               mlps_kv_gib(c->tier_used_bytes[MLPS_KV_TIER_GPU]));
    failed |= mlps_kv_put_real(stats, "cpu_memory_used_gb",
                               mlps_kv_gib(c->tier_used_bytes[MLPS_KV_TIER_CPU]));
    failed |= mlps_kv_put_uint(stats, "offloads_cpu", c->offloads_cpu);
    failed |= mlps_kv_put_uint(stats, "offloads_storage", c->offloads_storage);
    return failed;
}

static int put_totals(json_t *stats, const mlps_kv_cache_counters *c)
{
    int failed = 0;
    failed |= mlps_kv_put_uint(stats, "system_prompt_hits", c->system_prompt_hits);
    failed |= mlps_kv_put_uint(stats, "common_phrase_hits", c->common_phrase_hits);
    failed |= mlps_kv_put_uint(stats, "user_cache_hits", c->user_cache_hits);
    failed |= mlps_kv_put_uint(stats, "multi_turn_hits", c->multi_turn_hits);
    failed |= mlps_kv_put_uint(stats, "total_read_bytes", c->total_read_bytes);
    failed |= mlps_kv_put_uint(stats, "total_write_bytes", c->total_write_bytes);
    failed |= mlps_kv_put_real(stats, "total_read_gb", mlps_kv_gib(c->total_read_bytes));
    failed |= mlps_kv_put_real(stats, "total_write_gb", mlps_kv_gib(c->total_write_bytes));
    uint64_t write_divisor = c->total_write_bytes ? c->total_write_bytes : 1;
    failed |= mlps_kv_put_real(stats, "read_write_ratio",
                               (double)c->total_read_bytes / (double)write_divisor);
    /* counts, as in the reference, not rates */
    failed |= mlps_kv_put_uint(stats, "read_iops", c->read_operations);
    failed |= mlps_kv_put_uint(stats, "write_iops", c->write_operations);
    failed |= mlps_kv_put_uint(stats, "storage_tokens_processed", c->storage_tokens_processed);
    return failed;
}

json_t *mlps_kv_cache_stats_json(const mlps_kv_run_result *r)
{
    json_t *stats = json_object();
    if (!stats)
        return NULL;
    const mlps_kv_cache_counters *c = &r->counters;
    int failed = put_counts(stats, c);
    failed |= mlps_kv_put(stats, "storage_health", mlps_kv_storage_health(r));
    failed |= mlps_kv_put_uint(stats, "prefill_writes", c->prefill_writes);
    failed |= mlps_kv_put_uint(stats, "decode_reads", c->decode_reads);
    failed |= put_tier_bytes_and_bandwidth(stats, r);
    failed |= put_totals(stats, c);
    if (r->latencies)
        failed |= put_percentiles(stats, r->latencies);
    if (failed) {
        json_decref(stats);
        return NULL;
    }
    return stats;
}
