/* The whole --output document of spec 30 §6.2: the reference's top-level counts and
 * per-request latency arrays (seconds), the throughput timeline, the seed, "summary" (only
 * when at least one request completed, as in the reference) and mlps's own "mlps" object. */
#include "kvcache/report_internal.h"

static json_t *timeline_json(const mlps_kv_run_result *r)
{
    json_t *timeline = json_array();
    int failed = timeline ? 0 : -1;
    for (size_t i = 0; !failed && i < r->timeline_count; i++) {
        json_t *point = json_object();
        if (point) {
            failed |= mlps_kv_put_real(point, "timestamp", r->timeline[i].timestamp);
            failed |= mlps_kv_put_real(point, "throughput_tokens_per_sec",
                                       r->timeline[i].tokens_per_sec);
        }
        failed |= mlps_kv_append(timeline, point);
    }
    if (failed) {
        json_decref(timeline);
        return NULL;
    }
    return timeline;
}

static json_t *seed_json(const mlps_kv_run_result *r)
{
    if (r->options && r->options->seed_given)
        return json_integer((json_int_t)r->options->seed);
    return json_null();
}

json_t *mlps_kv_report_json(const mlps_kv_run_result *r)
{
    json_t *doc = json_object();
    if (!doc)
        return NULL;
    int failed = mlps_kv_put_uint(doc, "requests_completed", r->requests_completed);
    failed |= mlps_kv_put_uint(doc, "total_tokens_generated", r->total_tokens_generated);
    failed |= mlps_kv_put_real(doc, "total_storage_io_latency", mlps_kv_samples_sum(&r->storage));
    failed |= mlps_kv_put_real(doc, "total_generation_latency",
                               mlps_kv_samples_sum(&r->generation));
    failed |= mlps_kv_put(doc, "end_to_end_latencies", mlps_kv_seconds_array(&r->e2e));
    failed |= mlps_kv_put(doc, "storage_latencies", mlps_kv_seconds_array(&r->storage));
    failed |= mlps_kv_put(doc, "generation_latencies", mlps_kv_seconds_array(&r->generation));
    failed |= mlps_kv_put(doc, "throughput_timeline", timeline_json(r));
    failed |= mlps_kv_put(doc, "prefill_latencies", mlps_kv_seconds_array(&r->prefill));
    failed |= mlps_kv_put(doc, "decode_latencies", mlps_kv_seconds_array(&r->decode));
    failed |= mlps_kv_put_uint(doc, "multi_turn_cache_hits", r->multi_turn_hits);
    failed |= mlps_kv_put_uint(doc, "multi_turn_cache_misses", r->multi_turn_misses);
    failed |= mlps_kv_put(doc, "seed", seed_json(r));
    if (r->requests_completed > 0)
        failed |= mlps_kv_put(doc, "summary", mlps_kv_summary_json(r));
    failed |= mlps_kv_put(doc, "mlps", mlps_kv_mlps_json(r));
    if (failed) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}
