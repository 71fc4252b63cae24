/* The pass/fail assessment of spec 30 §6.3 (cache_stats.storage_health). The latency profile
 * checks, each only when it has data: storage write P95 < 500 ms and read P95 < 200 ms (device
 * time when the tier measured it, total time otherwise), CPU P95 over reads and writes together
 * < 150 ms, and a cache hit rate > 0.30. The throughput profile only asks for a storage bandwidth
 * above zero in each direction that saw traffic. The status is informational. */
#include "kvcache/report_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct health {
    json_t *criteria;
    bool all_passed;
    int failed; /* allocation */
} health;

static void add_criterion(health *h, const char *name, json_t *target, json_t *actual,
                          const char *unit, bool passed)
{
    json_t *c = json_object();
    if (!c) {
        json_decref(target);
        json_decref(actual);
        h->failed = -1;
        return;
    }
    h->failed |= mlps_kv_put_string(c, "name", name);
    h->failed |= mlps_kv_put(c, "target", target);
    h->failed |= mlps_kv_put(c, "actual", actual);
    h->failed |= mlps_kv_put_string(c, "unit", unit);
    h->failed |= mlps_kv_put_bool(c, "passed", passed);
    h->failed |= mlps_kv_append(h->criteria, c);
    h->all_passed = h->all_passed && passed;
}

/* P95 in ms of device samples when there are any, else of total samples. */
static bool storage_p95_ms(const mlps_kv_samples *device, const mlps_kv_samples *total,
                           double *p95_ms, const char **basis)
{
    *basis = "Device";
    if (mlps_kv_percentile_ms(device, 95, p95_ms))
        return true;
    *basis = "Total";
    return mlps_kv_percentile_ms(total, 95, p95_ms);
}

static void check_storage_latency(health *h, const char *op, const mlps_kv_samples *device,
                                  const mlps_kv_samples *total, double limit_ms)
{
    double p95;
    const char *basis;
    if (!storage_p95_ms(device, total, &p95, &basis))
        return;
    char name[96];
    snprintf(name, sizeof name, "Storage Tier %s %s P95 < %.0fms", op, basis, limit_ms);
    add_criterion(h, name, json_integer((json_int_t)limit_ms), mlps_kv_real(p95), "ms",
                  p95 < limit_ms);
}

/* The reference pools CPU reads and writes into one set before taking P95. */
static void check_cpu_latency(health *h, const mlps_kv_cache_latencies *lat)
{
    double *reads, *writes;
    size_t read_count, write_count;
    if (mlps_kv_samples_copy(mlps_kv_samples_of(&lat->read[MLPS_KV_TIER_CPU]), &reads,
                             &read_count) != 0) {
        h->failed = -1;
        return;
    }
    if (mlps_kv_samples_copy(mlps_kv_samples_of(&lat->write[MLPS_KV_TIER_CPU]), &writes,
                             &write_count) != 0) {
        free(reads);
        h->failed = -1;
        return;
    }
    double *all = realloc(reads, (read_count + write_count + 1) * sizeof *all);
    if (!all) {
        free(reads);
        free(writes);
        h->failed = -1;
        return;
    }
    if (write_count)
        memcpy(all + read_count, writes, write_count * sizeof *all);
    free(writes);
    mlps_kv_sorted pooled;
    mlps_kv_sorted_take(&pooled, all, read_count + write_count);
    if (pooled.count > 0) {
        double p95 = mlps_kv_percentile(&pooled, 95) * 1000.0;
        add_criterion(h, "CPU RAM P95 < 150ms", json_integer(150), mlps_kv_real(p95), "ms",
                      p95 < 150.0);
    }
    mlps_kv_sorted_free(&pooled);
}

static void check_hit_rate(health *h, const mlps_kv_cache_counters *c)
{
    uint64_t accesses = c->cache_hits + c->cache_misses;
    if (accesses == 0)
        return;
    double rate = (double)c->cache_hits / (double)accesses;
    add_criterion(h, "Cache Hit Rate > 30%", json_real(0.3), json_real(rate), "ratio", rate > 0.3);
}

static void check_latency_profile(health *h, const mlps_kv_run_result *r)
{
    const mlps_kv_cache_latencies *lat = r->latencies;
    if (lat) {
        check_storage_latency(h, "Write", &lat->storage_write_device,
                              &lat->write[MLPS_KV_TIER_STORAGE], 500);
        check_storage_latency(h, "Read", &lat->storage_read_device,
                              &lat->read[MLPS_KV_TIER_STORAGE], 200);
        check_cpu_latency(h, lat);
    }
    check_hit_rate(h, &r->counters);
}

/* The reference quotes the bandwidth as a 2-decimal string here, unlike the latency profile. */
static void check_bandwidth(health *h, const char *name, uint64_t bytes, double elapsed_s)
{
    double gib_s = mlps_kv_rate(mlps_kv_gib(bytes), elapsed_s);
    char actual[64];
    snprintf(actual, sizeof actual, "%.2f", gib_s);
    add_criterion(h, name, json_string(">0"), json_string(actual), "GiB/s", gib_s > 0);
}

static void check_throughput_profile(health *h, const mlps_kv_run_result *r)
{
    uint64_t read = r->counters.tier_bytes_read[MLPS_KV_TIER_STORAGE];
    uint64_t written = r->counters.tier_bytes_written[MLPS_KV_TIER_STORAGE];
    if (read > 0 || written == 0)
        check_bandwidth(h, "Storage KV Read Bandwidth", read, r->elapsed_s);
    if (written > 0 || read == 0)
        check_bandwidth(h, "Storage KV Write Bandwidth", written, r->elapsed_s);
}

json_t *mlps_kv_storage_health(const mlps_kv_run_result *r)
{
    health h = {.criteria = json_array(), .all_passed = true};
    if (!h.criteria)
        return NULL;
    if (mlps_kv_report_throughput_profile(r))
        check_throughput_profile(&h, r);
    else
        check_latency_profile(&h, r);

    size_t passed = 0, total = json_array_size(h.criteria);
    for (size_t i = 0; i < total; i++)
        passed += json_is_true(json_object_get(json_array_get(h.criteria, i), "passed"));
    json_t *out = json_object();
    int failed = h.failed | (out ? 0 : -1);
    if (out) {
        failed |= mlps_kv_put_string(out, "overall_status", h.all_passed ? "PASS" : "FAIL");
        failed |= mlps_kv_put(out, "criteria", h.criteria);
        failed |= mlps_kv_put_uint(out, "passed_count", passed);
        failed |= mlps_kv_put_uint(out, "total_count", total);
    } else {
        json_decref(h.criteria);
    }
    if (failed) {
        json_decref(out);
        return NULL;
    }
    return out;
}
