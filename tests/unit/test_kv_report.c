/* Tests for the KV-cache report, on a run result built by hand with known samples and
 * counters: exact percentiles (linear interpolation), every key of spec 30 §6.2 and nothing
 * named nvme_*, rates over the measured window, pass/fail thresholds on both sides of each
 * boundary, device samples preferred over totals, the throughput profile's rules, QoS
 * compliance, no summary without a completed request, the mlps additions (spill, simulated
 * GPU), and the console summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvcache/report.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

typedef struct fixture {
    mlps_kv_options options;
    mlps_kv_settings settings;
    mlps_kv_cache_latencies latencies;
    mlps_kv_run_result r;
} fixture;

/* Every sample set of the cache's latencies; sets must hold 16. */
static size_t all_latency_sets(mlps_kv_cache_latencies *l, mlps_kv_samples **sets)
{
    size_t k = 0;
    for (int t = 0; t < MLPS_KV_TIER_COUNT; t++) {
        sets[k++] = &l->read[t];
        sets[k++] = &l->write[t];
    }
    sets[k++] = &l->storage_read_device;
    sets[k++] = &l->storage_read_host;
    sets[k++] = &l->storage_write_device;
    sets[k++] = &l->storage_write_host;
    sets[k++] = &l->spill_write;
    return k;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->options.model = "llama3.1-8b";
    f->options.num_users = 10;
    f->options.duration_s = 60;
    f->options.num_gpus = 1;
    f->options.tensor_parallel = 1;
    f->options.cpu_mem_gb = 4;
    f->options.gpu_bandwidth_gbs = 64;
    f->settings.qos[MLPS_KV_QOS_INTERACTIVE].target_p95_ms = 50;
    f->settings.qos[MLPS_KV_QOS_RESPONSIVE].target_p95_ms = 62.5;
    f->settings.qos[MLPS_KV_QOS_BATCH].target_p95_ms = 1000;
    mlps_kv_samples *sets[16];
    size_t n = all_latency_sets(&f->latencies, sets);
    for (size_t i = 0; i < n; i++)
        mlps_kv_samples_init(sets[i]);
    mlps_kv_run_result_init(&f->r);
    f->r.options = &f->options;
    f->r.settings = &f->settings;
    f->r.latencies = &f->latencies;
    f->r.model_key = "llama3.1-8b";
    f->r.bytes_per_token = 131072;
    f->r.source_mode = "synthetic";
    f->r.elapsed_s = 4.0;
    f->r.counters.tier_present[MLPS_KV_TIER_CPU] = true;
    f->r.counters.tier_present[MLPS_KV_TIER_STORAGE] = true;
    f->r.counters.tier_limit_bytes[MLPS_KV_TIER_CPU] = 4ull << 30;
    f->r.counters.tier_limit_bytes[MLPS_KV_TIER_STORAGE] = UINT64_MAX;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mlps_kv_samples *sets[16];
    size_t n = all_latency_sets(&f->latencies, sets);
    for (size_t i = 0; i < n; i++)
        mlps_kv_samples_destroy(sets[i]);
    mlps_kv_run_result_destroy(&f->r);
    free(f);
    return 0;
}

/* values first..last (step 1) in ms, added as seconds */
static void add_ms_range(mlps_kv_samples *s, int first, int last)
{
    for (int v = first; v <= last; v++)
        assert_int_equal(mlps_kv_samples_add(s, v / 1000.0), 0);
}

static void add_repeated(mlps_kv_samples *s, double seconds, int times)
{
    for (int i = 0; i < times; i++)
        assert_int_equal(mlps_kv_samples_add(s, seconds), 0);
}

/* A completed run: 10 requests, 1000 tokens, e2e 1..100 ms. */
static void complete_requests(fixture *f)
{
    f->r.requests_completed = 10;
    f->r.total_tokens_generated = 1000;
    add_ms_range(&f->r.e2e, 1, 100);
    add_repeated(&f->r.storage, 0.5, 10);   /* 5 s of storage time in total */
    add_repeated(&f->r.generation, 0.25, 10);
}

static const json_t *get_path(const json_t *doc, const char *a, const char *b, const char *c)
{
    const json_t *node = json_object_get(doc, a);
    if (b)
        node = json_object_get(node, b);
    if (c)
        node = json_object_get(node, c);
    return node;
}

static void assert_near(double actual, double expected)
{
    if (fabs(actual - expected) > 1e-9 * fmax(1.0, fabs(expected)))
        fail_msg("%.12g != %.12g", actual, expected);
}

static double real_at(const json_t *doc, const char *a, const char *b, const char *c)
{
    const json_t *v = get_path(doc, a, b, c);
    if (!json_is_number(v))
        fail_msg("%s.%s.%s is not a number", a, b ? b : "", c ? c : "");
    return json_number_value(v);
}

static void percentiles_use_linear_interpolation(void **state)
{
    fixture *f = *state;
    complete_requests(f);
    json_t *doc = mlps_kv_report_json(&f->r);
    assert_non_null(doc);
    assert_near(real_at(doc, "summary", "end_to_end_latency_ms", "mean"), 50.5);
    assert_near(real_at(doc, "summary", "end_to_end_latency_ms", "p50"), 50.5);
    assert_near(real_at(doc, "summary", "end_to_end_latency_ms", "p95"), 95.05);
    assert_near(real_at(doc, "summary", "end_to_end_latency_ms", "p99"), 99.01);
    assert_near(real_at(doc, "summary", "end_to_end_latency_ms", "p999"), 99.901);
    assert_near(real_at(doc, "summary", "end_to_end_latency_ms", "p9999"), 99.9901);
    assert_near(real_at(doc, "summary", "storage_io_latency_ms", "p95"), 500);
    assert_near(real_at(doc, "summary", "generation_latency_ms", "mean"), 250);
    json_decref(doc);
}

static void rates_use_the_measured_window_and_gib(void **state)
{
    fixture *f = *state;
    complete_requests(f);
    f->r.counters.tier_bytes_read[MLPS_KV_TIER_STORAGE] = 8ull << 30;
    f->r.counters.tier_bytes_written[MLPS_KV_TIER_STORAGE] = 3ull << 30;
    f->r.counters.tier_used_bytes[MLPS_KV_TIER_CPU] = 1ull << 29;
    f->r.counters.total_read_bytes = 6ull << 30;
    f->r.counters.total_write_bytes = 2ull << 30;
    json_t *doc = mlps_kv_report_json(&f->r);
    assert_near(real_at(doc, "summary", "elapsed_time", NULL), 4.0);
    assert_near(real_at(doc, "summary", "avg_throughput_tokens_per_sec", NULL), 250);
    assert_near(real_at(doc, "summary", "requests_per_second", NULL), 2.5);
    assert_near(real_at(doc, "summary", "total_storage_io_time", NULL), 5.0);
    assert_near(real_at(doc, "summary", "storage_throughput_tokens_per_sec", NULL), 200);
    assert_near(real_at(doc, "total_storage_io_latency", NULL, NULL), 5.0);
    assert_near(real_at(doc, "total_generation_latency", NULL, NULL), 2.5);
    assert_near(real_at(doc, "summary", "cache_stats", "tier_storage_read_bandwidth_gbps"), 2.0);
    assert_near(real_at(doc, "summary", "cache_stats", "tier_storage_write_bandwidth_gbps"), 0.75);
    assert_near(real_at(doc, "summary", "cache_stats", "tier_storage_kv_bytes_written_gb"), 3.0);
    assert_near(real_at(doc, "summary", "cache_stats", "cpu_memory_used_gb"), 0.5);
    assert_near(real_at(doc, "summary", "cache_stats", "total_read_gb"), 6.0);
    assert_near(real_at(doc, "summary", "cache_stats", "read_write_ratio"), 3.0);
    assert_near(real_at(doc, "mlps", "window", "elapsed_s"), 4.0);
    assert_near(real_at(doc, "mlps", "window", "requested_duration_s"), 60.0);
    assert_int_equal(json_array_size(json_object_get(doc, "end_to_end_latencies")), 100);
    assert_near(json_real_value(json_array_get(json_object_get(doc, "end_to_end_latencies"), 1)),
                0.002);
    json_decref(doc);
}

static const char *const top_level_keys[] = {
    "requests_completed", "total_tokens_generated", "total_storage_io_latency",
    "total_generation_latency", "end_to_end_latencies", "storage_latencies",
    "generation_latencies", "throughput_timeline", "prefill_latencies", "decode_latencies",
    "multi_turn_cache_hits", "multi_turn_cache_misses", "seed", "summary", "mlps",
};

static const char *const summary_keys[] = {
    "total_requests", "total_tokens", "elapsed_time", "avg_throughput_tokens_per_sec",
    "total_storage_io_time", "storage_throughput_tokens_per_sec", "requests_per_second",
    "end_to_end_latency_ms", "storage_io_latency_ms", "generation_latency_ms", "cache_stats",
    "qos_metrics", "prefix_cache_stats", "autoscaling_stats", "autoscaling_summary",
    "multi_turn_stats",
};

static const char *const cache_stats_keys[] = {
    "cache_hit_rate", "cache_hits", "cache_misses", "gpu_entries", "cpu_entries",
    "storage_entries", "gpu_memory_used_gb", "cpu_memory_used_gb", "offloads_cpu",
    "offloads_storage", "storage_health", "prefill_writes", "decode_reads",
    "tier_gpu_kv_bytes_written_gb", "tier_cpu_kv_bytes_written_gb",
    "tier_storage_kv_bytes_written_gb", "tier_gpu_kv_bytes_read_gb", "tier_cpu_kv_bytes_read_gb",
    "tier_storage_kv_bytes_read_gb", "tier_gpu_read_bandwidth_gbps",
    "tier_gpu_write_bandwidth_gbps", "tier_cpu_read_bandwidth_gbps",
    "tier_cpu_write_bandwidth_gbps", "tier_storage_read_bandwidth_gbps",
    "tier_storage_write_bandwidth_gbps", "system_prompt_hits", "common_phrase_hits",
    "user_cache_hits", "multi_turn_hits", "total_read_bytes", "total_write_bytes",
    "total_read_gb", "total_write_gb", "read_write_ratio", "read_iops", "write_iops",
    "storage_tokens_processed",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static void assert_keys(const json_t *obj, const char *const *keys, size_t n)
{
    assert_true(json_is_object(obj));
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(obj, keys[i]))
            fail_msg("missing key %s", keys[i]);
}

static void assert_no_nvme_anywhere(const json_t *node)
{
    const char *key;
    json_t *value;
    size_t i;
    if (json_is_object(node)) {
        json_object_foreach((json_t *)node, key, value) {
            if (strstr(key, "nvme"))
                fail_msg("key %s", key);
            assert_no_nvme_anywhere(value);
        }
    } else if (json_is_array(node)) {
        json_array_foreach(node, i, value)
            assert_no_nvme_anywhere(value);
    }
}

static void every_reference_key_is_present(void **state)
{
    fixture *f = *state;
    complete_requests(f);
    add_ms_range(&f->latencies.read[MLPS_KV_TIER_STORAGE], 1, 10);
    add_ms_range(&f->latencies.write[MLPS_KV_TIER_STORAGE], 1, 10);
    add_ms_range(&f->latencies.storage_read_device, 1, 10);
    add_ms_range(&f->latencies.storage_read_host, 1, 10);
    add_ms_range(&f->latencies.storage_write_device, 1, 10);
    add_ms_range(&f->latencies.storage_write_host, 1, 10);
    add_ms_range(&f->latencies.read[MLPS_KV_TIER_CPU], 1, 10);
    json_t *doc = mlps_kv_report_json(&f->r);
    assert_keys(doc, top_level_keys, COUNT_OF(top_level_keys));
    const json_t *summary = json_object_get(doc, "summary");
    assert_keys(summary, summary_keys, COUNT_OF(summary_keys));
    const json_t *stats = json_object_get(summary, "cache_stats");
    assert_keys(stats, cache_stats_keys, COUNT_OF(cache_stats_keys));
    static const char *const with_samples[] = {
        "storage_read", "storage_write", "storage_read_device", "storage_read_host",
        "storage_write_device", "storage_write_host", "cpu_read"};
    static const char *const suffixes[] = {"p50", "p95", "p99", "p999", "p9999"};
    char key[96];
    for (size_t i = 0; i < COUNT_OF(with_samples); i++)
        for (size_t p = 0; p < COUNT_OF(suffixes); p++) {
            snprintf(key, sizeof key, "%s_%s_ms", with_samples[i], suffixes[p]);
            if (!json_object_get(stats, key))
                fail_msg("missing %s", key);
        }
    /* no samples, no keys */
    assert_null(json_object_get(stats, "cpu_write_p95_ms"));
    assert_null(json_object_get(stats, "gpu_read_p50_ms"));
    assert_null(json_object_get(stats, "gpu_write_p9999_ms"));
    assert_near(real_at(stats, "storage_read_device_p95_ms", NULL, NULL), 9.55);
    assert_no_nvme_anywhere(doc);
    /* other summary parts */
    assert_true(json_is_null(get_path(doc, "summary", "autoscaling_summary", NULL)));
    assert_int_equal(json_array_size(get_path(doc, "summary", "autoscaling_stats", NULL)), 0);
    assert_keys(get_path(doc, "summary", "multi_turn_stats", NULL),
                (const char *const[]){"cache_hits", "cache_misses", "hit_rate"}, 3);
    assert_keys(get_path(doc, "summary", "prefix_cache_stats", NULL),
                (const char *const[]){"prefix_hits", "prefix_misses", "system_prompt_reuse",
                                      "common_phrase_reuse", "bytes_saved"},
                5);
    assert_true(json_is_null(json_object_get(doc, "seed")));
    char *text = json_dumps(doc, 0);
    assert_non_null(text); /* serialisable: no NaN or infinity */
    free(text);
    json_decref(doc);
}

static void counts_and_seed_are_copied(void **state)
{
    fixture *f = *state;
    complete_requests(f);
    f->options.seed_given = true;
    f->options.seed = 42;
    f->r.multi_turn_hits = 3;
    f->r.multi_turn_misses = 1;
    f->r.prefix_hits = 4;
    f->r.prefix_misses = 16;
    f->r.prefix_bytes_saved = 1234;
    f->r.counters.cache_hits = 75;
    f->r.counters.cache_misses = 25;
    f->r.counters.read_operations = 90;
    f->r.counters.write_operations = 12;
    json_t *doc = mlps_kv_report_json(&f->r);
    assert_int_equal(json_integer_value(json_object_get(doc, "seed")), 42);
    assert_int_equal(json_integer_value(json_object_get(doc, "multi_turn_cache_hits")), 3);
    assert_near(real_at(doc, "summary", "multi_turn_stats", "hit_rate"), 0.75);
    assert_near(real_at(doc, "summary", "cache_stats", "cache_hit_rate"), 0.75);
    assert_int_equal(json_integer_value(get_path(doc, "summary", "cache_stats", "read_iops")), 90);
    assert_int_equal(json_integer_value(get_path(doc, "summary", "cache_stats", "write_iops")), 12);
    const json_t *prefix = get_path(doc, "summary", "prefix_cache_stats", NULL);
    assert_int_equal(json_integer_value(json_object_get(prefix, "system_prompt_reuse")), 4);
    assert_int_equal(json_integer_value(json_object_get(prefix, "bytes_saved")), 1234);
    json_decref(doc);
    f->options.disable_prefix_caching = true;
    doc = mlps_kv_report_json(&f->r);
    assert_int_equal(json_object_size(get_path(doc, "summary", "prefix_cache_stats", NULL)), 0);
    json_decref(doc);
}

static void no_completed_request_means_no_summary(void **state)
{
    fixture *f = *state;
    json_t *doc = mlps_kv_report_json(&f->r);
    assert_non_null(doc);
    assert_null(json_object_get(doc, "summary"));
    assert_int_equal(json_integer_value(json_object_get(doc, "requests_completed")), 0);
    assert_non_null(json_object_get(doc, "mlps"));
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    mlps_kv_report_print(&f->r, doc, out);
    fclose(out);
    assert_non_null(strstr(text, "No request completed"));
    assert_null(strstr(text, "ASSESSMENT"));
    free(text);
    json_decref(doc);
}

/* --- storage_health --- */

static const json_t *criterion_named(const json_t *health, const char *prefix)
{
    const json_t *criteria = json_object_get(health, "criteria");
    for (size_t i = 0; i < json_array_size(criteria); i++) {
        const json_t *c = json_array_get(criteria, i);
        if (strncmp(json_string_value(json_object_get(c, "name")), prefix, strlen(prefix)) == 0)
            return c;
    }
    return NULL;
}

static bool passed(const json_t *c)
{
    assert_non_null(c);
    return json_is_true(json_object_get(c, "passed"));
}

static void reset_latencies(fixture *f)
{
    mlps_kv_samples *sets[16];
    size_t n = all_latency_sets(&f->latencies, sets);
    for (size_t i = 0; i < n; i++)
        mlps_kv_samples_clear(sets[i]);
}

/* One set of constant samples, so its P95 is the value itself. */
static bool passes_with(fixture *f, mlps_kv_samples *s, double seconds, const char *name)
{
    reset_latencies(f);
    add_repeated(s, seconds, 20);
    json_t *h = mlps_kv_storage_health(&f->r);
    const json_t *c = criterion_named(h, name);
    if (!c)
        fail_msg("no criterion %s", name);
    bool ok = passed(c);
    assert_int_equal(json_integer_value(json_object_get(h, "total_count")), 1);
    assert_string_equal(json_string_value(json_object_get(h, "overall_status")), ok ? "PASS" : "FAIL");
    json_decref(h);
    return ok;
}

static void latency_thresholds_at_their_boundaries(void **state)
{
    fixture *f = *state;
    mlps_kv_cache_latencies *l = &f->latencies;
    const char *write = "Storage Tier Write Device P95 < 500ms";
    const char *read = "Storage Tier Read Device P95 < 200ms";
    assert_true(passes_with(f, &l->storage_write_device, 0.4999, write));
    assert_false(passes_with(f, &l->storage_write_device, 0.5, write));
    assert_true(passes_with(f, &l->storage_read_device, 0.1999, read));
    assert_false(passes_with(f, &l->storage_read_device, 0.2, read));
    assert_true(passes_with(f, &l->read[MLPS_KV_TIER_CPU], 0.1499, "CPU RAM P95 < 150ms"));
    assert_false(passes_with(f, &l->read[MLPS_KV_TIER_CPU], 0.15, "CPU RAM P95 < 150ms"));
    assert_false(passes_with(f, &l->write[MLPS_KV_TIER_CPU], 0.15, "CPU RAM P95 < 150ms"));
    /* no data at all: no criterion, PASS */
    reset_latencies(f);
    json_t *h = mlps_kv_storage_health(&f->r);
    assert_int_equal(json_integer_value(json_object_get(h, "total_count")), 0);
    assert_string_equal(json_string_value(json_object_get(h, "overall_status")), "PASS");
    json_decref(h);
}

static void write_criterion_fields_are_the_references(void **state)
{
    fixture *f = *state;
    add_repeated(&f->latencies.storage_write_device, 0.25, 4);
    json_t *h = mlps_kv_storage_health(&f->r);
    const json_t *c = criterion_named(h, "Storage Tier Write Device P95 < 500ms");
    assert_int_equal(json_integer_value(json_object_get(c, "target")), 500);
    assert_near(json_real_value(json_object_get(c, "actual")), 250);
    assert_string_equal(json_string_value(json_object_get(c, "unit")), "ms");
    json_decref(h);
}

static void hit_rate_threshold_is_strictly_above_thirty_percent(void **state)
{
    fixture *f = *state;
    f->r.counters.cache_hits = 30;
    f->r.counters.cache_misses = 70;
    json_t *h = mlps_kv_storage_health(&f->r);
    const json_t *c = criterion_named(h, "Cache Hit Rate > 30%");
    assert_false(passed(c));
    assert_near(json_real_value(json_object_get(c, "actual")), 0.3);
    assert_near(json_real_value(json_object_get(c, "target")), 0.3);
    assert_string_equal(json_string_value(json_object_get(c, "unit")), "ratio");
    json_decref(h);
    f->r.counters.cache_hits = 3001;
    f->r.counters.cache_misses = 6999;
    h = mlps_kv_storage_health(&f->r);
    assert_true(passed(criterion_named(h, "Cache Hit Rate > 30%")));
    json_decref(h);
}

static void device_samples_are_preferred_over_totals(void **state)
{
    fixture *f = *state;
    add_repeated(&f->latencies.write[MLPS_KV_TIER_STORAGE], 0.6, 10);
    add_repeated(&f->latencies.read[MLPS_KV_TIER_STORAGE], 0.3, 10);
    json_t *h = mlps_kv_storage_health(&f->r);
    /* totals only: both fail under their "Total" names */
    assert_false(passed(criterion_named(h, "Storage Tier Write Total P95 < 500ms")));
    assert_false(passed(criterion_named(h, "Storage Tier Read Total P95 < 200ms")));
    assert_string_equal(json_string_value(json_object_get(h, "overall_status")), "FAIL");
    json_decref(h);
    add_repeated(&f->latencies.storage_write_device, 0.1, 10);
    add_repeated(&f->latencies.storage_read_device, 0.05, 10);
    h = mlps_kv_storage_health(&f->r);
    const json_t *w = criterion_named(h, "Storage Tier Write Device P95 < 500ms");
    assert_true(passed(w));
    assert_near(json_real_value(json_object_get(w, "actual")), 100);
    assert_true(passed(criterion_named(h, "Storage Tier Read Device P95 < 200ms")));
    assert_null(criterion_named(h, "Storage Tier Write Total"));
    assert_string_equal(json_string_value(json_object_get(h, "overall_status")), "PASS");
    assert_int_equal(json_integer_value(json_object_get(h, "passed_count")), 2);
    json_decref(h);
}

/* Reads and writes are pooled: 19 fast reads and one slow write give P95 = 50.95 ms, neither
 * set's own P95. */
static void cpu_p95_pools_reads_and_writes(void **state)
{
    fixture *f = *state;
    add_repeated(&f->latencies.read[MLPS_KV_TIER_CPU], 0.001, 19);
    add_repeated(&f->latencies.write[MLPS_KV_TIER_CPU], 1.0, 1);
    json_t *h = mlps_kv_storage_health(&f->r);
    const json_t *c = criterion_named(h, "CPU RAM P95 < 150ms");
    assert_near(json_real_value(json_object_get(c, "actual")), 50.95);
    assert_true(passed(c));
    json_decref(h);
}

static void throughput_profile_needs_bandwidth_in_each_used_direction(void **state)
{
    fixture *f = *state;
    f->options.performance_profile = MLPS_KV_PROFILE_THROUGHPUT;
    add_repeated(&f->latencies.storage_write_device, 0.9, 10); /* ignored in this profile */
    f->r.counters.tier_bytes_read[MLPS_KV_TIER_STORAGE] = 1ull << 30;
    json_t *h = mlps_kv_storage_health(&f->r);
    assert_int_equal(json_integer_value(json_object_get(h, "total_count")), 1);
    const json_t *c = criterion_named(h, "Storage KV Read Bandwidth");
    assert_true(passed(c));
    assert_string_equal(json_string_value(json_object_get(c, "actual")), "0.25");
    assert_string_equal(json_string_value(json_object_get(c, "target")), ">0");
    assert_string_equal(json_string_value(json_object_get(c, "unit")), "GiB/s");
    assert_null(criterion_named(h, "Storage KV Write Bandwidth"));
    json_decref(h);

    f->r.counters.tier_bytes_read[MLPS_KV_TIER_STORAGE] = 0;
    f->r.counters.tier_bytes_written[MLPS_KV_TIER_STORAGE] = 2ull << 30;
    h = mlps_kv_storage_health(&f->r);
    assert_int_equal(json_integer_value(json_object_get(h, "total_count")), 1);
    assert_true(passed(criterion_named(h, "Storage KV Write Bandwidth")));
    json_decref(h);

    /* no storage traffic: both checked, both fail */
    f->r.counters.tier_bytes_written[MLPS_KV_TIER_STORAGE] = 0;
    h = mlps_kv_storage_health(&f->r);
    assert_int_equal(json_integer_value(json_object_get(h, "total_count")), 2);
    assert_int_equal(json_integer_value(json_object_get(h, "passed_count")), 0);
    assert_string_equal(json_string_value(json_object_get(h, "overall_status")), "FAIL");
    json_decref(h);
}

/* --- QoS --- */

static void qos_compliance_counts_requests_over_target(void **state)
{
    fixture *f = *state;
    complete_requests(f);
    for (int v = 10; v <= 100; v += 10) /* 60..100 exceed 50 ms: 5 of 10 */
        mlps_kv_samples_add(&f->r.qos_e2e[MLPS_KV_QOS_INTERACTIVE], v / 1000.0);
    add_repeated(&f->r.qos_e2e[MLPS_KV_QOS_RESPONSIVE], 0.0625, 19); /* = target: no violation */
    add_repeated(&f->r.qos_e2e[MLPS_KV_QOS_RESPONSIVE], 0.07, 1);
    json_t *doc = mlps_kv_report_json(&f->r);
    const json_t *qos = get_path(doc, "summary", "qos_metrics", NULL);
    const json_t *interactive = json_object_get(qos, "interactive");
    assert_int_equal(json_integer_value(json_object_get(interactive, "total_requests")), 10);
    assert_near(real_at(interactive, "latency_ms", "max", NULL), 100);
    assert_near(real_at(interactive, "latency_ms", "mean", NULL), 55);
    assert_near(real_at(interactive, "latency_ms", "p95", NULL), 95.5);
    assert_near(real_at(interactive, "sla", "compliance", NULL), 0.5);
    assert_near(real_at(interactive, "sla", "target_p95_ms", NULL), 50);
    assert_near(real_at(interactive, "sla", "actual_p95_ms", NULL), 95.5);
    assert_false(json_is_true(get_path(interactive, "sla", "met", NULL)));
    const json_t *responsive = json_object_get(qos, "responsive");
    assert_near(real_at(responsive, "sla", "compliance", NULL), 0.95);
    assert_true(json_is_true(get_path(responsive, "sla", "met", NULL)));
    assert_true(json_is_true(get_path(qos, "batch", "no_data", NULL)));
    assert_int_equal(json_object_size(json_object_get(qos, "batch")), 1);
    json_decref(doc);
}

/* --- mlps additions --- */

static void spill_and_gpu_tier_are_reported_on_their_own(void **state)
{
    fixture *f = *state;
    complete_requests(f);
    mlps_kv_cache_counters *c = &f->r.counters;
    c->spill_bytes_written[MLPS_KV_TIER_STORAGE] = 2ull << 30;
    c->spill_bytes_read[MLPS_KV_TIER_CPU] = 2ull << 30;
    c->spill_operations = 5;
    c->forced_placements = 2;
    c->storage_deletions = 7;
    c->evictions = 12;
    c->tier_present[MLPS_KV_TIER_GPU] = true;
    c->gpu_simulated = true;
    c->tier_limit_bytes[MLPS_KV_TIER_GPU] = 16ull << 30;
    f->r.requests_all_hit = 3;
    f->r.requests_with_reads = 4;
    add_ms_range(&f->latencies.spill_write, 1, 100);
    json_t *doc = mlps_kv_report_json(&f->r);
    const json_t *mlps = json_object_get(doc, "mlps");
    assert_near(real_at(mlps, "per_request_hit_rate", NULL, NULL), 0.75);
    assert_near(real_at(mlps, "spill", "bytes_written_gib", "storage"), 2.0);
    assert_near(real_at(mlps, "spill", "bytes_written_gib", "cpu"), 0.0);
    assert_near(real_at(mlps, "spill", "bytes_read_gib", "cpu"), 2.0);
    assert_int_equal(json_integer_value(get_path(mlps, "spill", "operations", NULL)), 5);
    assert_near(real_at(mlps, "spill", "storage_write_p50_ms", NULL), 50.5);
    assert_near(real_at(mlps, "spill", "storage_write_p95_ms", NULL), 95.05);
    assert_near(real_at(mlps, "spill", "storage_write_p99_ms", NULL), 99.01);
    assert_int_equal(json_integer_value(json_object_get(mlps, "forced_placements")), 2);
    assert_int_equal(json_integer_value(json_object_get(mlps, "storage_deletions")), 7);
    assert_int_equal(json_integer_value(json_object_get(mlps, "evictions")), 12);
    assert_true(json_is_true(get_path(mlps, "gpu_tier", "simulated", NULL)));
    assert_near(real_at(mlps, "gpu_tier", "bandwidth_gib_s", NULL), 64);
    assert_string_equal(json_string_value(json_object_get(mlps, "gpu_tier_note")),
                        "simulated: no GPU; latency = bytes / bandwidth");
    assert_near(real_at(mlps, "tiers", "gpu", "limit_gib"), 16);
    assert_true(json_is_null(get_path(mlps, "tiers", "storage", "limit_bytes")));
    assert_true(json_array_size(json_object_get(mlps, "fixes_over_reference")) >= 5);
    assert_string_equal(json_string_value(get_path(mlps, "source", "mode", NULL)), "synthetic");
    json_decref(doc);

    /* no spill samples: the percentiles are null, not 0 */
    mlps_kv_samples_clear(&f->latencies.spill_write);
    c->gpu_simulated = false;
    c->tier_present[MLPS_KV_TIER_GPU] = false;
    doc = mlps_kv_report_json(&f->r);
    mlps = json_object_get(doc, "mlps");
    assert_true(json_is_null(get_path(mlps, "spill", "storage_write_p95_ms", NULL)));
    assert_false(json_is_true(get_path(mlps, "gpu_tier", "simulated", NULL)));
    assert_null(json_object_get(mlps, "gpu_tier_note"));
    json_decref(doc);
}

static void autoscaling_summary_and_events(void **state)
{
    fixture *f = *state;
    complete_requests(f);
    f->options.enable_autoscaling = true;
    f->options.autoscaler_mode = MLPS_KV_AUTOSCALE_CAPACITY;
    f->r.initial_users = 10;
    f->r.final_users = 14;
    f->r.peak_users = 14;
    f->r.peak_throughput_tokens_per_sec = 321.5;
    f->r.autoscale_events = calloc(2, sizeof *f->r.autoscale_events);
    f->r.autoscale_events[0] = (mlps_kv_autoscale_event){1700000000.0, "scale_up", 10, 14, 0.2, 300};
    f->r.autoscale_events[1] = (mlps_kv_autoscale_event){1700000010.0, "stop", 14, 14, 0.3, 290};
    f->r.autoscale_event_count = 2;
    f->r.timeline = calloc(1, sizeof *f->r.timeline);
    f->r.timeline[0].timestamp = 10;
    f->r.timeline[0].tokens_per_sec = 300;
    f->r.timeline_count = 1;
    json_t *doc = mlps_kv_report_json(&f->r);
    const json_t *s = get_path(doc, "summary", "autoscaling_summary", NULL);
    assert_int_equal(json_integer_value(json_object_get(s, "initial_users")), 10);
    assert_int_equal(json_integer_value(json_object_get(s, "final_users")), 14);
    assert_int_equal(json_integer_value(json_object_get(s, "total_scale_events")), 2);
    assert_int_equal(json_integer_value(json_object_get(s, "peak_user_count")), 14);
    assert_near(real_at(s, "peak_throughput_tokens_per_sec", NULL, NULL), 321.5);
    const json_t *events = get_path(doc, "summary", "autoscaling_stats", NULL);
    assert_int_equal(json_array_size(events), 2);
    const json_t *e0 = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(e0, "action")), "scale_up");
    assert_string_equal(json_string_value(json_object_get(e0, "mode")), "capacity");
    assert_int_equal(json_integer_value(json_object_get(e0, "users")), 14);
    assert_int_equal(strlen(json_string_value(json_object_get(e0, "timestamp"))), 26);
    assert_near(real_at(json_array_get(events, 1), "peak_throughput_tokens_per_sec", NULL, NULL),
                321.5);
    const json_t *point = json_array_get(json_object_get(doc, "throughput_timeline"), 0);
    assert_near(real_at(point, "timestamp", NULL, NULL), 10);
    assert_near(real_at(point, "throughput_tokens_per_sec", NULL, NULL), 300);
    json_decref(doc);
    /* qos mode: no peak keys */
    f->options.autoscaler_mode = MLPS_KV_AUTOSCALE_QOS;
    doc = mlps_kv_report_json(&f->r);
    assert_null(get_path(doc, "summary", "autoscaling_summary", "peak_user_count"));
    json_decref(doc);
}

static char *printed(fixture *f, const json_t *doc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    mlps_kv_report_print(&f->r, doc, out);
    fclose(out);
    return text;
}

static void console_summary_names_rates_hit_rates_and_verdicts(void **state)
{
    fixture *f = *state;
    complete_requests(f);
    f->r.counters.cache_hits = 40;
    f->r.counters.cache_misses = 60;
    f->r.requests_all_hit = 1;
    f->r.requests_with_reads = 4;
    f->r.counters.tier_bytes_written[MLPS_KV_TIER_STORAGE] = 8ull << 30;
    f->r.counters.spill_bytes_written[MLPS_KV_TIER_STORAGE] = 2ull << 30;
    f->r.counters.tier_present[MLPS_KV_TIER_GPU] = true;
    f->r.counters.gpu_simulated = true;
    add_repeated(&f->latencies.storage_write_device, 0.6, 5);
    add_repeated(&f->r.qos_e2e[MLPS_KV_QOS_BATCH], 0.5, 5);
    json_t *doc = mlps_kv_report_json(&f->r);
    char *text = printed(f, doc);
    assert_non_null(strstr(text, "ASSESSMENT: FAIL"));
    assert_non_null(strstr(text, "[X] Storage Tier Write Device P95 < 500ms: 600.00 ms"));
    assert_non_null(strstr(text, "[OK] Cache Hit Rate > 30%: 40.0%"));
    assert_non_null(strstr(text, "Requests/sec: 2.50"));
    assert_non_null(strstr(text, "250.00 tokens/sec"));
    assert_non_null(strstr(text, "Written: 8.00 GiB at 2.000 GiB/s (spill from upper tiers: 2.00 GiB"));
    assert_non_null(strstr(text, "Per read call (cache_hit_rate): 40.0%"));
    assert_non_null(strstr(text, "Per request (every read hit):   25.0%"));
    assert_non_null(strstr(text, "GPU tier: SIMULATED (no GPU; latency = bytes / 64.0 GiB/s)"));
    assert_non_null(strstr(text, "batch"));
    assert_non_null(strstr(text, "SLA [OK] (compliance 100.0% against 1000 ms)"));
    free(text);
    json_decref(doc);
    /* the throughput profile hides QoS */
    f->options.performance_profile = MLPS_KV_PROFILE_THROUGHPUT;
    doc = mlps_kv_report_json(&f->r);
    text = printed(f, doc);
    assert_null(strstr(text, "QOS"));
    assert_non_null(strstr(text, "Storage KV Write Bandwidth: 2.00 GiB/s (target: >0)"));
    free(text);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(percentiles_use_linear_interpolation, setup, teardown),
        cmocka_unit_test_setup_teardown(rates_use_the_measured_window_and_gib, setup, teardown),
        cmocka_unit_test_setup_teardown(every_reference_key_is_present, setup, teardown),
        cmocka_unit_test_setup_teardown(counts_and_seed_are_copied, setup, teardown),
        cmocka_unit_test_setup_teardown(no_completed_request_means_no_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(latency_thresholds_at_their_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(write_criterion_fields_are_the_references, setup, teardown),
        cmocka_unit_test_setup_teardown(hit_rate_threshold_is_strictly_above_thirty_percent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(device_samples_are_preferred_over_totals, setup, teardown),
        cmocka_unit_test_setup_teardown(cpu_p95_pools_reads_and_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(throughput_profile_needs_bandwidth_in_each_used_direction,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(qos_compliance_counts_requests_over_target, setup, teardown),
        cmocka_unit_test_setup_teardown(spill_and_gpu_tier_are_reported_on_their_own, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(autoscaling_summary_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(console_summary_names_rates_hit_rates_and_verdicts, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
