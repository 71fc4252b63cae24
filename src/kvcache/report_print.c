/* The end-of-run console summary of a KV-cache run: the pass/fail assessment with each
 * criterion, requests and token rates, latencies, storage-tier traffic (spill included, and
 * shown on its own), hit rates per read call and per request, tier occupancy, QoS and
 * autoscaling. Values come from the report document so the console and --output agree. */
#include "kvcache/report_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"

#define RULE "================================================================================"

static double num(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

static const char *mark(bool passed)
{
    return passed ? "[OK]" : "[X]";
}

static void print_header(const mlps_kv_run_result *r, FILE *out)
{
    fprintf(out, "\n%s\nKV-CACHE BENCHMARK RESULTS\n", RULE);
    if (r->model_key)
        fprintf(out, "Model: %s (%llu bytes of KV cache per token)\n", r->model_key,
                (unsigned long long)r->bytes_per_token);
    fprintf(out, "Measured window: %.2f s", r->elapsed_s);
    if (r->options)
        fprintf(out, " (--duration %.0f s)", r->options->duration_s);
    fprintf(out, "; every rate below is over the measured window\n");
    if (r->source_mode)
        fprintf(out, "Workload: %s\n", r->source_mode);
    if (r->trace_mode)
        fprintf(out, "I/O TRACE MODE: no bytes were moved; latencies and bandwidths are 0\n");
    const mlps_kv_cache_counters *c = &r->counters;
    const char *location = r->options ? r->options->cache_dir : NULL;
    if (location && !r->trace_mode && mlps_kv_cache_dir_is_object_store(location))
        fprintf(out, "Storage tier: %s (object store, one .npy object per entry; %llu retried "
                "requests)\n", location, (unsigned long long)c->storage_retries);
    else if (location && !r->trace_mode)
        fprintf(out, "Storage tier: %s\n", location);
    if (c->tier_present[MLPS_KV_TIER_GPU] && c->gpu_simulated)
        fprintf(out, "GPU tier: SIMULATED (no GPU; latency = bytes / %.1f GiB/s)\n",
                r->options ? r->options->gpu_bandwidth_gbs : 0.0);
    fprintf(out, "%s\n", RULE);
}

static void print_criterion(const json_t *c, FILE *out)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *unit = json_string_value(json_object_get(c, "unit"));
    const json_t *actual = json_object_get(c, "actual"), *target = json_object_get(c, "target");
    bool passed = json_is_true(json_object_get(c, "passed"));
    if (unit && strcmp(unit, "ratio") == 0)
        fprintf(out, "  %s %s: %.1f%% (target: %.1f%%)\n", mark(passed), name,
                json_number_value(actual) * 100, json_number_value(target) * 100);
    else if (json_is_string(actual))
        fprintf(out, "  %s %s: %s %s (target: %s)\n", mark(passed), name,
                json_string_value(actual), unit ? unit : "", json_string_value(target));
    else
        fprintf(out, "  %s %s: %.2f %s (target: %.2f %s)\n", mark(passed), name,
                json_number_value(actual), unit ? unit : "", json_number_value(target),
                unit ? unit : "");
}

static void print_health(const json_t *health, FILE *out)
{
    const char *status = json_string_value(json_object_get(health, "overall_status"));
    bool pass = status && strcmp(status, "PASS") == 0;
    fprintf(out, "\n### STORAGE PERFORMANCE ASSESSMENT: %s %s (informational) ###\n",
            status ? status : "?", mark(pass));
    fprintf(out, "  Criteria passed: %lld/%lld\n",
            (long long)json_integer_value(json_object_get(health, "passed_count")),
            (long long)json_integer_value(json_object_get(health, "total_count")));
    const json_t *criteria = json_object_get(health, "criteria");
    for (size_t i = 0; i < json_array_size(criteria); i++)
        print_criterion(json_array_get(criteria, i), out);
}

static void print_latency(const char *title, const json_t *ms, FILE *out)
{
    fprintf(out, "\n### %s ###\n", title);
    fprintf(out, "  Mean: %.2f ms  P50: %.2f ms  P95: %.2f ms  P99: %.2f ms\n", num(ms, "mean"),
            num(ms, "p50"), num(ms, "p95"), num(ms, "p99"));
}

static void print_overall(const json_t *summary, FILE *out)
{
    fprintf(out, "\n### OVERALL PERFORMANCE ###\n");
    fprintf(out, "  Requests completed: %lld\n",
            (long long)json_integer_value(json_object_get(summary, "total_requests")));
    fprintf(out, "  Requests/sec: %.2f\n", num(summary, "requests_per_second"));
    fprintf(out, "  Tokens generated: %lld\n",
            (long long)json_integer_value(json_object_get(summary, "total_tokens")));
    fprintf(out, "  Throughput (wall-clock): %.2f tokens/sec\n",
            num(summary, "avg_throughput_tokens_per_sec"));
    fprintf(out, "  Throughput (storage I/O): %.2f tokens/sec\n",
            num(summary, "storage_throughput_tokens_per_sec"));
}

static void print_storage(const mlps_kv_run_result *r, const json_t *stats, FILE *out)
{
    const mlps_kv_cache_counters *c = &r->counters;
    int s = MLPS_KV_TIER_STORAGE;
    fprintf(out, "\n### STORAGE TIER (spill included) ###\n");
    fprintf(out, "  Read:    %.2f GiB at %.3f GiB/s\n", mlps_kv_gib(c->tier_bytes_read[s]),
            num(stats, "tier_storage_read_bandwidth_gbps"));
    fprintf(out,
            "  Written: %.2f GiB at %.3f GiB/s (spill from upper tiers: %.2f GiB in %llu "
            "demotions)\n",
            mlps_kv_gib(c->tier_bytes_written[s]), num(stats, "tier_storage_write_bandwidth_gbps"),
            mlps_kv_gib(c->spill_bytes_written[s]), (unsigned long long)c->spill_operations);
    const char *ops[] = {"read", "write"};
    for (int i = 0; i < 2; i++) {
        char key[64];
        snprintf(key, sizeof key, "storage_%s_p95_ms", ops[i]);
        const json_t *total = json_object_get(stats, key);
        snprintf(key, sizeof key, "storage_%s_device_p95_ms", ops[i]);
        const json_t *device = json_object_get(stats, key);
        if (total)
            fprintf(out, "  %s P95: %.2f ms total", i ? "Write" : "Read", json_number_value(total));
        if (total && device)
            fprintf(out, ", %.2f ms device", json_number_value(device));
        if (total)
            fputc('\n', out);
    }
}

static void print_hit_rates(const json_t *report, const json_t *stats, FILE *out)
{
    const json_t *mlps = json_object_get(report, "mlps");
    const json_t *mt = json_object_get(json_object_get(report, "summary"), "multi_turn_stats");
    fprintf(out, "\n### CACHE HIT RATES ###\n");
    fprintf(out, "  Per read call (cache_hit_rate): %.1f%% (%lld hits, %lld misses)\n",
            num(stats, "cache_hit_rate") * 100,
            (long long)json_integer_value(json_object_get(stats, "cache_hits")),
            (long long)json_integer_value(json_object_get(stats, "cache_misses")));
    fprintf(out, "  Per request (every read hit):   %.1f%% (%lld of %lld requests with reads)\n",
            num(mlps, "per_request_hit_rate") * 100,
            (long long)json_integer_value(json_object_get(mlps, "requests_all_hit")),
            (long long)json_integer_value(json_object_get(mlps, "requests_with_reads")));
    if (json_integer_value(json_object_get(mt, "cache_hits")) +
            json_integer_value(json_object_get(mt, "cache_misses")) > 0)
        fprintf(out, "  Multi-turn history reads:       %.1f%%\n", num(mt, "hit_rate") * 100);
}

static void print_tiers(const mlps_kv_run_result *r, FILE *out)
{
    const mlps_kv_cache_counters *c = &r->counters;
    static const char *const labels[] = {"GPU", "CPU", "Storage"};
    fprintf(out, "\n### TIER OCCUPANCY ###\n");
    for (int t = 0; t < MLPS_KV_TIER_COUNT; t++) {
        if (!c->tier_present[t]) {
            fprintf(out, "  %-8s absent\n", labels[t]);
            continue;
        }
        fprintf(out, "  %-8s %llu entries, %.2f GiB used", labels[t],
                (unsigned long long)c->tier_entries[t], mlps_kv_gib(c->tier_used_bytes[t]));
        if (c->tier_limit_bytes[t] == UINT64_MAX)
            fprintf(out, " (unbounded)");
        else
            fprintf(out, " of %.2f GiB", mlps_kv_gib(c->tier_limit_bytes[t]));
        fprintf(out, "%s\n", t == MLPS_KV_TIER_GPU && c->gpu_simulated ? " [simulated]" : "");
    }
    fprintf(out, "  Evictions: %llu (storage deletions %llu), forced placements: %llu\n",
            (unsigned long long)c->evictions, (unsigned long long)c->storage_deletions,
            (unsigned long long)c->forced_placements);
}

static void print_qos(const json_t *summary, FILE *out)
{
    const json_t *qos = json_object_get(summary, "qos_metrics");
    fprintf(out, "\n### QOS LATENCY (informational; includes emulated generation) ###\n");
    const char *level;
    const json_t *m;
    json_object_foreach((json_t *)qos, level, m) {
        if (json_is_true(json_object_get(m, "no_data")))
            continue;
        const json_t *lat = json_object_get(m, "latency_ms"), *sla = json_object_get(m, "sla");
        fprintf(out, "  %-12s %lld requests, P95 %.2f ms, P99 %.2f ms", level,
                (long long)json_integer_value(json_object_get(m, "total_requests")),
                num(lat, "p95"), num(lat, "p99"));
        if (sla)
            fprintf(out, ", SLA %s (compliance %.1f%% against %.0f ms)",
                    mark(json_is_true(json_object_get(sla, "met"))), num(sla, "compliance") * 100,
                    num(sla, "target_p95_ms"));
        fputc('\n', out);
    }
}

static void print_autoscaling(const mlps_kv_run_result *r, FILE *out)
{
    if (!r->options || !r->options->enable_autoscaling)
        return;
    fprintf(out, "\n### AUTOSCALING ###\n");
    fprintf(out, "  Scaling events: %zu; users %d -> %d (peak %d)\n", r->autoscale_event_count,
            r->initial_users, r->final_users, r->peak_users);
    if (r->options->autoscaler_mode == MLPS_KV_AUTOSCALE_CAPACITY)
        fprintf(out, "  Peak capacity: %.2f tok/s\n", r->peak_throughput_tokens_per_sec);
}

void mlps_kv_report_print(const mlps_kv_run_result *r, const json_t *report, FILE *out)
{
    if (!out)
        out = stdout;
    const json_t *summary = json_object_get(report, "summary");
    if (!summary) {
        mlps_warn("No requests completed during benchmark!");
        fprintf(out, "\nNo request completed in %.2f s: no summary, rates or pass/fail.\n",
                r->elapsed_s);
        return;
    }
    const json_t *stats = json_object_get(summary, "cache_stats");
    print_header(r, out);
    print_health(json_object_get(stats, "storage_health"), out);
    print_overall(summary, out);
    print_latency("END-TO-END LATENCY (queue wait + storage I/O + generation)",
                  json_object_get(summary, "end_to_end_latency_ms"), out);
    print_latency("PER-REQUEST STORAGE LATENCY (all cache operations of one request)",
                  json_object_get(summary, "storage_io_latency_ms"), out);
    print_storage(r, stats, out);
    print_hit_rates(report, stats, out);
    print_tiers(r, out);
    if (!mlps_kv_report_throughput_profile(r))
        print_qos(summary, out);
    print_autoscaling(r, out);
    fprintf(out, "%s\n", RULE);
}
