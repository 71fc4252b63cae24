/* The flat rows of the --xlsx-output workbook (spec 30 §6.4), with the reference's column
 * labels: the run parameters, the metrics taken from the report's summary (an empty cell for a
 * key the run did not produce, e.g. a tier without samples), mlps's own columns after them, and
 * one row per QoS class that has requests. */
#include "kvcache/report_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *generation_mode_name(mlps_kv_generation_mode mode)
{
    return mode == MLPS_KV_GEN_NONE ? "none" : mode == MLPS_KV_GEN_FAST ? "fast" : "realistic";
}

static int64_t precondition_threads(const mlps_kv_options *o)
{
    if (o->precondition_threads > 0)
        return o->precondition_threads;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? cpus : 4;
}

static void timestamp_now(char *out, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static int put_workload_parameters(json_t *row, const mlps_kv_options *o)
{
    int failed =
        mlps_kv_put_string(row, "Generation Mode", generation_mode_name(o->generation_mode));
    failed |= mlps_kv_put_string(row, "Performance Profile",
                                 o->performance_profile == MLPS_KV_PROFILE_THROUGHPUT ? "throughput"
                                                                                      : "latency");
    failed |= mlps_kv_put_bool(row, "Multi-turn", !o->disable_multi_turn);
    failed |= mlps_kv_put_bool(row, "Prefix Caching", !o->disable_prefix_caching);
    failed |= mlps_kv_put_bool(row, "RAG Enabled", o->enable_rag);
    failed |= mlps_kv_put_bool(row, "Autoscaling", o->enable_autoscaling);
    failed |= o->seed_given ? mlps_kv_put_int(row, "Seed", o->seed)
                            : mlps_kv_put(row, "Seed", json_null());
    failed |= mlps_kv_put_int(row, "Max Concurrent Allocs", o->max_concurrent_allocs);
    failed |= mlps_kv_put_real(row, "Request Rate", o->request_rate);
    failed |= mlps_kv_put_int(row, "Max Requests", o->max_requests);
    failed |= mlps_kv_put_string(row, "Dataset Path", o->dataset_path ? o->dataset_path : "N/A");
    failed |= mlps_kv_put_string(row, "Cache Dir", o->cache_dir ? o->cache_dir : "temp");
    failed |= mlps_kv_put_real(row, "Storage Capacity (GiB)", o->storage_capacity_gb);
    failed |= mlps_kv_put_bool(row, "Precondition", o->precondition);
    failed |= mlps_kv_put_real(row, "Precondition Size (GiB)", o->precondition_size_gb);
    failed |= mlps_kv_put_int(row, "Precondition Threads", precondition_threads(o));
    failed |= mlps_kv_put_real(row, "Trace Speedup", o->trace_speedup);
    failed |= mlps_kv_put_int(row, "Replay Cycles", o->replay_cycles);
    failed |= mlps_kv_put_bool(row, "Simulated GPU", o->simulate_gpu);
    failed |= o->simulate_gpu ? mlps_kv_put_real(row, "Simulated GPU Bandwidth (GiB/s)",
                                                 o->gpu_bandwidth_gbs)
                              : mlps_kv_put(row, "Simulated GPU Bandwidth (GiB/s)", json_null());
    failed |= mlps_kv_put_bool(row, "Direct I/O", o->direct_io);
    return failed;
}

json_t *mlps_kv_run_parameters_row(const mlps_kv_run_result *r)
{
    json_t *row = json_object();
    const mlps_kv_options *o = r->options;
    if (!row || !o)
        return row;
    char now[32];
    timestamp_now(now, sizeof now);
    int failed = mlps_kv_put_string(row, "Timestamp", now);
    failed |= mlps_kv_put_string(row, "Model", o->model);
    failed |= mlps_kv_put_int(row, "Num Users", o->num_users);
    failed |= mlps_kv_put_real(row, "Duration (s)", o->duration_s);
    failed |= mlps_kv_put_real(row, "GPU Memory per Card (GiB)", o->gpu_mem_gb);
    failed |= mlps_kv_put_int(row, "Num GPUs", o->num_gpus);
    failed |= mlps_kv_put_int(row, "Tensor Parallel", o->tensor_parallel);
    failed |= mlps_kv_put_real(row, "Total GPU Memory (GiB)", o->gpu_mem_gb * (double)o->num_gpus);
    failed |= mlps_kv_put_real(row, "CPU Memory (GiB)", o->cpu_mem_gb);
    failed |= put_workload_parameters(row, o);
    if (failed) {
        json_decref(row);
        return NULL;
    }
    return row;
}

/* A metric column: its label and where its value sits in the report ("a.b.c" under summary,
 * or under the top-level "mlps" object when it starts with "mlps."). */
typedef struct metric_column {
    const char *label, *path;
} metric_column;

static const metric_column metric_columns[] = {
    {"Total Requests", "total_requests"},
    {"Total Tokens", "total_tokens"},
    {"Elapsed Time (s)", "elapsed_time"},
    {"Avg Throughput (tok/s)", "avg_throughput_tokens_per_sec"},
    {"Storage Throughput (tok/s)", "storage_throughput_tokens_per_sec"},
    {"Requests/sec", "requests_per_second"},
    {"E2E Latency Mean (ms)", "end_to_end_latency_ms.mean"},
    {"E2E Latency P50 (ms)", "end_to_end_latency_ms.p50"},
    {"E2E Latency P95 (ms)", "end_to_end_latency_ms.p95"},
    {"E2E Latency P99 (ms)", "end_to_end_latency_ms.p99"},
    {"E2E Latency P99.9 (ms)", "end_to_end_latency_ms.p999"},
    {"E2E Latency P99.99 (ms)", "end_to_end_latency_ms.p9999"},
    {"Storage Latency Mean (ms)", "storage_io_latency_ms.mean"},
    {"Storage Latency P50 (ms)", "storage_io_latency_ms.p50"},
    {"Storage Latency P95 (ms)", "storage_io_latency_ms.p95"},
    {"Storage Latency P99 (ms)", "storage_io_latency_ms.p99"},
    {"Storage Latency P99.9 (ms)", "storage_io_latency_ms.p999"},
    {"Storage Latency P99.99 (ms)", "storage_io_latency_ms.p9999"},
    {"Gen Latency Mean (ms)", "generation_latency_ms.mean"},
    {"Gen Latency P50 (ms)", "generation_latency_ms.p50"},
    {"Gen Latency P95 (ms)", "generation_latency_ms.p95"},
    {"Gen Latency P99 (ms)", "generation_latency_ms.p99"},
};

/* The storage tier's percentile columns: Storage Tier {Read,Write} {Total,Device,Host} P.. */
static const char *const storage_bases[][2] = {
    {"Total", ""}, {"Device", "_device"}, {"Host", "_host"}};
static const char *const percentile_labels[][2] = {
    {"P50", "p50"}, {"P95", "p95"}, {"P99", "p99"}, {"P99.9", "p999"}, {"P99.99", "p9999"}};

static const metric_column cache_columns[] = {
    {"Cache Hit Rate", "cache_stats.cache_hit_rate"},
    {"Read/Write Ratio", "cache_stats.read_write_ratio"},
    {"Total Read (GiB)", "cache_stats.total_read_gb"},
    {"Total Write (GiB)", "cache_stats.total_write_gb"},
    {"Tier GPU KV Bytes Written (GiB)", "cache_stats.tier_gpu_kv_bytes_written_gb"},
    {"Tier CPU KV Bytes Written (GiB)", "cache_stats.tier_cpu_kv_bytes_written_gb"},
    {"Tier Storage KV Bytes Written (GiB)", "cache_stats.tier_storage_kv_bytes_written_gb"},
    {"Tier GPU KV Bytes Read (GiB)", "cache_stats.tier_gpu_kv_bytes_read_gb"},
    {"Tier CPU KV Bytes Read (GiB)", "cache_stats.tier_cpu_kv_bytes_read_gb"},
    {"Tier Storage KV Bytes Read (GiB)", "cache_stats.tier_storage_kv_bytes_read_gb"},
    {"Tier GPU Read Bandwidth (GiB/s)", "cache_stats.tier_gpu_read_bandwidth_gbps"},
    {"Tier GPU Write Bandwidth (GiB/s)", "cache_stats.tier_gpu_write_bandwidth_gbps"},
    {"Tier CPU Read Bandwidth (GiB/s)", "cache_stats.tier_cpu_read_bandwidth_gbps"},
    {"Tier CPU Write Bandwidth (GiB/s)", "cache_stats.tier_cpu_write_bandwidth_gbps"},
    {"Tier Storage Read Bandwidth (GiB/s)", "cache_stats.tier_storage_read_bandwidth_gbps"},
    {"Tier Storage Write Bandwidth (GiB/s)", "cache_stats.tier_storage_write_bandwidth_gbps"},
    {"GPU Entries", "cache_stats.gpu_entries"},
    {"CPU Entries", "cache_stats.cpu_entries"},
    {"Storage Entries", "cache_stats.storage_entries"},
    {"Multi-turn Hit Rate", "multi_turn_stats.hit_rate"},
    /* mlps's own columns */
    {"Storage Health", "cache_stats.storage_health.overall_status"},
    {"Per-Request Hit Rate", "mlps.per_request_hit_rate"},
    {"Spill Operations", "mlps.spill.operations"},
    {"Spill Bytes Written to Storage (GiB)", "mlps.spill.bytes_written_gib.storage"},
    {"Storage Tier Write Spill P95 (ms)", "mlps.spill.storage_write_p95_ms"},
    {"Forced Placements", "mlps.forced_placements"},
    {"Evictions", "mlps.evictions"},
    {"Measured Window (s)", "mlps.window.elapsed_s"},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const json_t *lookup(const json_t *report, const char *path)
{
    const json_t *node = json_object_get(report, "summary");
    if (strncmp(path, "mlps.", 5) == 0) {
        node = json_object_get(report, "mlps");
        path += 5;
    }
    char key[128];
    while (node && *path) {
        size_t len = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)len, path);
        node = json_object_get(node, key);
        path += len + (path[len] == '.');
    }
    return node;
}

static int put_looked_up(json_t *row, const json_t *report, const char *label, const char *path)
{
    const json_t *value = lookup(report, path);
    return mlps_kv_put(row, label, value ? json_deep_copy(value) : json_null());
}

static int put_storage_percentile_columns(json_t *row, const json_t *report)
{
    int failed = 0;
    char label[96], path[128];
    for (size_t b = 0; b < COUNT_OF(storage_bases); b++)
        for (int w = 0; w < 2; w++)
            for (size_t p = 0; p < COUNT_OF(percentile_labels); p++) {
                const char *op = w ? "write" : "read";
                snprintf(label, sizeof label, "Storage Tier %s %s %s (ms)", w ? "Write" : "Read",
                         storage_bases[b][0], percentile_labels[p][0]);
                snprintf(path, sizeof path, "cache_stats.storage_%s%s_%s_ms", op,
                         storage_bases[b][1], percentile_labels[p][1]);
                failed |= put_looked_up(row, report, label, path);
            }
    return failed;
}

json_t *mlps_kv_metrics_row(const json_t *report)
{
    json_t *row = json_object();
    if (!row)
        return NULL;
    int failed = 0;
    for (size_t i = 0; i < COUNT_OF(metric_columns); i++)
        failed |= put_looked_up(row, report, metric_columns[i].label, metric_columns[i].path);
    failed |= put_storage_percentile_columns(row, report);
    for (size_t i = 0; i < COUNT_OF(cache_columns); i++)
        failed |= put_looked_up(row, report, cache_columns[i].label, cache_columns[i].path);
    if (failed) {
        json_decref(row);
        return NULL;
    }
    return row;
}

static json_t *qos_row(const char *level, const json_t *data, bool throughput)
{
    json_t *row = json_object();
    if (!row)
        return NULL;
    const json_t *latency = json_object_get(data, "latency_ms");
    const json_t *sla = json_object_get(data, "sla");
    const char *hidden = "N/A (throughput mode)";
    int failed = mlps_kv_put_string(row, "QoS Level", level);
    failed |= mlps_kv_put(row, "Total Requests",
                          json_deep_copy(json_object_get(data, "total_requests")));
    failed |= mlps_kv_put(row, "Latency P95 (ms)", json_deep_copy(json_object_get(latency, "p95")));
    failed |= mlps_kv_put(row, "Latency P99 (ms)", json_deep_copy(json_object_get(latency, "p99")));
    const json_t *met = json_object_get(sla, "met");
    const json_t *compliance = json_object_get(sla, "compliance");
    failed |= mlps_kv_put(row, "SLA Met",
                          throughput ? json_string(hidden)
                                     : met ? json_deep_copy(met) : json_null());
    failed |= mlps_kv_put(row, "SLA Compliance",
                          throughput ? json_string(hidden)
                                     : compliance ? json_deep_copy(compliance) : json_null());
    if (failed) {
        json_decref(row);
        return NULL;
    }
    return row;
}

json_t *mlps_kv_qos_rows(const mlps_kv_run_result *r, const json_t *report)
{
    json_t *rows = json_array();
    if (!rows)
        return NULL;
    const json_t *qos = lookup(report, "qos_metrics");
    bool throughput = mlps_kv_report_throughput_profile(r);
    int failed = 0;
    const char *level;
    const json_t *data;
    json_object_foreach((json_t *)qos, level, data)
        if (json_is_object(data) && !json_is_true(json_object_get(data, "no_data")))
            failed |= mlps_kv_append(rows, qos_row(level, data, throughput));
    if (failed) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}
