/* The report's "mlps" object: what mlps measures beyond the reference's keys, and how it counts
 * differently — the per-request hit rate, spill (demotion) traffic on its own, forced
 * placements and deletions, the tiers' limits and occupancy, whether the GPU tier is simulated,
 * the workload source, the measured window the rates are divided by, and where the storage tier
 * lives with the requests its object store had to retry. */
#include "kvcache/report_internal.h"

static const char *const fixes_over_reference[] = {
    "spill: demotion writes into the storage tier are counted in its bytes, bandwidth and "
    "latency percentiles, and reported on their own under mlps.spill",
    "prefix cache: each system prompt is written once, so later prefix reads can hit",
    "hit rate: cache_hit_rate is per read call (the reference's number); "
    "mlps.per_request_hit_rate counts requests whose every read hit",
    "autoscaling: a scaling decision changes the number of active users",
    "rates: throughput and bandwidth are divided by the measured window (mlps.window.elapsed_s), "
    "not by --duration",
    "tier accounting: entry and byte counts are exact under any number of threads",
};

static json_t *tier_bytes_json(const uint64_t bytes[MLPS_KV_TIER_COUNT])
{
    json_t *obj = json_object();
    int failed = obj ? 0 : -1;
    for (int t = 0; obj && t < MLPS_KV_TIER_COUNT; t++)
        failed |= mlps_kv_put_real(obj, mlps_kv_report_tier_names[t], mlps_kv_gib(bytes[t]));
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int put_optional_percentile(json_t *obj, const char *key, const mlps_kv_samples *s,
                                   double p)
{
    double ms;
    if (s && mlps_kv_percentile_ms(s, p, &ms))
        return mlps_kv_put_real(obj, key, ms);
    return mlps_kv_put(obj, key, json_null());
}

static json_t *spill_json(const mlps_kv_run_result *r)
{
    json_t *spill = json_object();
    if (!spill)
        return NULL;
    const mlps_kv_samples *writes = r->latencies ? &r->latencies->spill_write : NULL;
    int failed = mlps_kv_put(spill, "bytes_written_gib",
                             tier_bytes_json(r->counters.spill_bytes_written));
    failed |= mlps_kv_put(spill, "bytes_read_gib", tier_bytes_json(r->counters.spill_bytes_read));
    failed |= mlps_kv_put_uint(spill, "operations", r->counters.spill_operations);
    failed |= put_optional_percentile(spill, "storage_write_p50_ms", writes, 50);
    failed |= put_optional_percentile(spill, "storage_write_p95_ms", writes, 95);
    failed |= put_optional_percentile(spill, "storage_write_p99_ms", writes, 99);
    if (failed) {
        json_decref(spill);
        return NULL;
    }
    return spill;
}

static int put_gpu_tier(json_t *mlps, const mlps_kv_run_result *r)
{
    const mlps_kv_cache_counters *c = &r->counters;
    bool simulated = c->tier_present[MLPS_KV_TIER_GPU] && c->gpu_simulated;
    json_t *gpu = json_object();
    if (!gpu)
        return -1;
    int failed = mlps_kv_put_bool(gpu, "present", c->tier_present[MLPS_KV_TIER_GPU]);
    failed |= mlps_kv_put_bool(gpu, "simulated", simulated);
    if (simulated && r->options)
        failed |= mlps_kv_put_real(gpu, "bandwidth_gib_s", r->options->gpu_bandwidth_gbs);
    else
        failed |= mlps_kv_put(gpu, "bandwidth_gib_s", json_null());
    failed |= mlps_kv_put(mlps, "gpu_tier", gpu);
    if (simulated)
        failed |= mlps_kv_put_string(mlps, "gpu_tier_note",
                                     "simulated: no GPU; latency = bytes / bandwidth");
    return failed;
}

static json_t *tier_json(const mlps_kv_cache_counters *c, int t)
{
    json_t *tier = json_object();
    if (!tier)
        return NULL;
    bool bounded = c->tier_limit_bytes[t] != UINT64_MAX;
    int failed = mlps_kv_put_bool(tier, "present", c->tier_present[t]);
    failed |= bounded ? mlps_kv_put_uint(tier, "limit_bytes", c->tier_limit_bytes[t])
                      : mlps_kv_put(tier, "limit_bytes", json_null());
    failed |= bounded ? mlps_kv_put_real(tier, "limit_gib", mlps_kv_gib(c->tier_limit_bytes[t]))
                      : mlps_kv_put(tier, "limit_gib", json_null());
    failed |= mlps_kv_put_uint(tier, "used_bytes", c->tier_used_bytes[t]);
    failed |= mlps_kv_put_real(tier, "used_gib", mlps_kv_gib(c->tier_used_bytes[t]));
    failed |= mlps_kv_put_uint(tier, "entries", c->tier_entries[t]);
    if (failed) {
        json_decref(tier);
        return NULL;
    }
    return tier;
}

static json_t *tiers_json(const mlps_kv_cache_counters *c)
{
    json_t *tiers = json_object();
    int failed = tiers ? 0 : -1;
    for (int t = 0; tiers && t < MLPS_KV_TIER_COUNT; t++)
        failed |= mlps_kv_put(tiers, mlps_kv_report_tier_names[t], tier_json(c, t));
    if (failed) {
        json_decref(tiers);
        return NULL;
    }
    return tiers;
}

static json_t *source_json(const mlps_kv_run_result *r)
{
    json_t *source = json_object();
    if (!source)
        return NULL;
    int failed = mlps_kv_put_string(source, "mode", r->source_mode);
    failed |= mlps_kv_put(source, "description",
                          r->source_description ? json_incref(r->source_description) : json_null());
    if (failed) {
        json_decref(source);
        return NULL;
    }
    return source;
}

static json_t *window_json(const mlps_kv_run_result *r)
{
    json_t *window = json_object();
    if (!window)
        return NULL;
    int failed = mlps_kv_put_real(window, "elapsed_s", r->elapsed_s);
    failed |= r->options ? mlps_kv_put_real(window, "requested_duration_s", r->options->duration_s)
                         : mlps_kv_put(window, "requested_duration_s", json_null());
    failed |= mlps_kv_put_real(window, "start_epoch_s", r->wall_start_epoch_s);
    if (failed) {
        json_decref(window);
        return NULL;
    }
    return window;
}

static json_t *fixes_json(void)
{
    json_t *fixes = json_array();
    int failed = fixes ? 0 : -1;
    size_t n = sizeof fixes_over_reference / sizeof fixes_over_reference[0];
    for (size_t i = 0; fixes && i < n; i++)
        failed |= mlps_kv_append(fixes, json_string(fixes_over_reference[i]));
    if (failed) {
        json_decref(fixes);
        return NULL;
    }
    return fixes;
}

static int put_requests(json_t *mlps, const mlps_kv_run_result *r)
{
    int failed = mlps_kv_put_real(mlps, "per_request_hit_rate",
                                  r->requests_with_reads ? (double)r->requests_all_hit /
                                                               (double)r->requests_with_reads
                                                         : 0.0);
    failed |= mlps_kv_put_uint(mlps, "requests_all_hit", r->requests_all_hit);
    failed |= mlps_kv_put_uint(mlps, "requests_with_reads", r->requests_with_reads);
    failed |= mlps_kv_put_uint(mlps, "total_context_tokens", r->total_context_tokens);
    failed |= mlps_kv_put_uint(mlps, "rag_requests", r->rag_requests);
    failed |= mlps_kv_put_uint(mlps, "prefix_writes", r->prefix_writes);
    return failed;
}

/* storage_location: the --cache-dir given (a directory or an s3:// URI), null for the temporary
 * directory of a run without one; storage_retries: the object store's retried requests (0 on
 * files, which never retry). */
static int put_storage(json_t *mlps, const mlps_kv_run_result *r)
{
    const char *location = r->options ? r->options->cache_dir : NULL;
    int failed = location ? mlps_kv_put_string(mlps, "storage_location", location)
                          : mlps_kv_put(mlps, "storage_location", json_null());
    failed |= mlps_kv_put_uint(mlps, "storage_retries", r->counters.storage_retries);
    return failed;
}

json_t *mlps_kv_mlps_json(const mlps_kv_run_result *r)
{
    json_t *mlps = json_object();
    if (!mlps)
        return NULL;
    const mlps_kv_cache_counters *c = &r->counters;
    int failed = mlps_kv_put_string(mlps, "model", r->model_key);
    failed |= mlps_kv_put_uint(mlps, "bytes_per_token", r->bytes_per_token);
    failed |= put_requests(mlps, r);
    failed |= mlps_kv_put(mlps, "spill", spill_json(r));
    failed |= mlps_kv_put_uint(mlps, "forced_placements", c->forced_placements);
    failed |= mlps_kv_put_uint(mlps, "storage_deletions", c->storage_deletions);
    failed |= mlps_kv_put_uint(mlps, "evictions", c->evictions);
    failed |= put_storage(mlps, r);
    failed |= put_gpu_tier(mlps, r);
    failed |= mlps_kv_put(mlps, "tiers", tiers_json(c));
    failed |= mlps_kv_put(mlps, "source", source_json(r));
    failed |= mlps_kv_put_bool(mlps, "trace_mode", r->trace_mode);
    failed |= mlps_kv_put(mlps, "window", window_json(r));
    failed |= mlps_kv_put(mlps, "fixes_over_reference", fixes_json());
    if (failed) {
        json_decref(mlps);
        return NULL;
    }
    return mlps;
}
