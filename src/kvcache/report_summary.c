/* The "summary" object of spec 30 §6.2: rates over the measured window, the three per-request
 * latency sets, cache_stats, qos_metrics, prefix-cache and multi-turn counts, and the
 * autoscaler's events and summary, with the reference's key names and order. */
#include "kvcache/report_internal.h"

#include <string.h>

#include "core/clock.h"

static const char *autoscaler_mode_name(const mlps_kv_run_result *r)
{
    return r->options && r->options->autoscaler_mode == MLPS_KV_AUTOSCALE_CAPACITY ? "capacity"
                                                                                   : "qos";
}

static bool autoscaling_enabled(const mlps_kv_run_result *r)
{
    return r->options && r->options->enable_autoscaling;
}

static json_t *autoscale_event_json(const mlps_kv_run_result *r, const mlps_kv_autoscale_event *e)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    char when[64];
    mlps_format_iso_local((uint64_t)(e->timestamp * 1e9), when, sizeof when);
    int failed = mlps_kv_put_string(obj, "timestamp", when);
    failed |= mlps_kv_put_string(obj, "mode", autoscaler_mode_name(r));
    failed |= mlps_kv_put_string(obj, "action", e->action);
    failed |= mlps_kv_put_int(obj, "users", e->users_after);
    failed |= mlps_kv_put_int(obj, "users_before", e->users_before);
    failed |= mlps_kv_put_real(obj, "saturation_level", e->saturation);
    failed |= mlps_kv_put_real(obj, "throughput_tokens_per_sec", e->throughput_tokens_per_sec);
    if (e->action && strcmp(e->action, "stop") == 0)
        failed |= mlps_kv_put_real(obj, "peak_throughput_tokens_per_sec",
                                   r->peak_throughput_tokens_per_sec);
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *autoscaling_stats_json(const mlps_kv_run_result *r)
{
    json_t *events = json_array();
    int failed = events ? 0 : -1;
    for (size_t i = 0; !failed && i < r->autoscale_event_count; i++)
        failed |= mlps_kv_append(events, autoscale_event_json(r, &r->autoscale_events[i]));
    if (failed) {
        json_decref(events);
        return NULL;
    }
    return events;
}

static json_t *autoscaling_summary_json(const mlps_kv_run_result *r)
{
    if (!autoscaling_enabled(r))
        return json_null();
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    int failed = mlps_kv_put_int(obj, "initial_users", r->initial_users);
    failed |= mlps_kv_put_int(obj, "final_users", r->final_users);
    failed |= mlps_kv_put_uint(obj, "total_scale_events", r->autoscale_event_count);
    if (r->options->autoscaler_mode == MLPS_KV_AUTOSCALE_CAPACITY) {
        failed |= mlps_kv_put_int(obj, "peak_user_count", r->peak_users);
        failed |= mlps_kv_put_real(obj, "peak_throughput_tokens_per_sec",
                                   r->peak_throughput_tokens_per_sec);
    }
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The reference reports {} when prefix caching is off. Every detected prefix is a system
 * prompt, so system_prompt_reuse equals prefix_hits; common phrases are never detected. */
static json_t *prefix_cache_stats_json(const mlps_kv_run_result *r)
{
    json_t *obj = json_object();
    if (!obj || (r->options && r->options->disable_prefix_caching))
        return obj;
    int failed = mlps_kv_put_uint(obj, "prefix_hits", r->prefix_hits);
    failed |= mlps_kv_put_uint(obj, "prefix_misses", r->prefix_misses);
    failed |= mlps_kv_put_uint(obj, "system_prompt_reuse", r->prefix_hits);
    failed |= mlps_kv_put_uint(obj, "common_phrase_reuse", 0);
    failed |= mlps_kv_put_uint(obj, "bytes_saved", r->prefix_bytes_saved);
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *multi_turn_stats_json(const mlps_kv_run_result *r)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    uint64_t lookups = r->multi_turn_hits + r->multi_turn_misses;
    int failed = mlps_kv_put_uint(obj, "cache_hits", r->multi_turn_hits);
    failed |= mlps_kv_put_uint(obj, "cache_misses", r->multi_turn_misses);
    failed |= mlps_kv_put_real(obj, "hit_rate",
                               (double)r->multi_turn_hits / (double)(lookups ? lookups : 1));
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int put_rates(json_t *summary, const mlps_kv_run_result *r)
{
    double storage_s = mlps_kv_samples_sum(&r->storage);
    double tokens = (double)r->total_tokens_generated;
    int failed = mlps_kv_put_uint(summary, "total_requests", r->requests_completed);
    failed |= mlps_kv_put_uint(summary, "total_tokens", r->total_tokens_generated);
    failed |= mlps_kv_put_real(summary, "elapsed_time", r->elapsed_s);
    failed |= mlps_kv_put_real(summary, "avg_throughput_tokens_per_sec",
                               mlps_kv_rate(tokens, r->elapsed_s));
    failed |= mlps_kv_put_real(summary, "total_storage_io_time", storage_s);
    failed |= mlps_kv_put_real(summary, "storage_throughput_tokens_per_sec",
                               mlps_kv_rate(tokens, storage_s));
    failed |= mlps_kv_put_real(summary, "requests_per_second",
                               mlps_kv_rate((double)r->requests_completed, r->elapsed_s));
    return failed;
}

json_t *mlps_kv_summary_json(const mlps_kv_run_result *r)
{
    json_t *summary = json_object();
    if (!summary)
        return NULL;
    int failed = put_rates(summary, r);
    failed |= mlps_kv_put(summary, "end_to_end_latency_ms", mlps_kv_latency_ms(&r->e2e));
    failed |= mlps_kv_put(summary, "storage_io_latency_ms", mlps_kv_latency_ms(&r->storage));
    failed |= mlps_kv_put(summary, "generation_latency_ms", mlps_kv_latency_ms(&r->generation));
    failed |= mlps_kv_put(summary, "cache_stats", mlps_kv_cache_stats_json(r));
    failed |= mlps_kv_put(summary, "qos_metrics", mlps_kv_qos_metrics_json(r));
    failed |= mlps_kv_put(summary, "prefix_cache_stats", prefix_cache_stats_json(r));
    failed |= mlps_kv_put(summary, "autoscaling_stats", autoscaling_stats_json(r));
    failed |= mlps_kv_put(summary, "autoscaling_summary", autoscaling_summary_json(r));
    failed |= mlps_kv_put(summary, "multi_turn_stats", multi_turn_stats_json(r));
    if (failed) {
        json_decref(summary);
        return NULL;
    }
    return summary;
}
