/* The KV-cache report's JSON and arithmetic helpers (report_internal.h): failure-remembering
 * puts, GiB, rates over the measured window, and latency sets as millisecond percentiles with
 * the reference's linear interpolation (samples.h). */
#include "kvcache/report_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *const mlps_kv_report_tier_names[MLPS_KV_TIER_COUNT] = {"gpu", "cpu", "storage"};
const char *const mlps_kv_report_qos_names[MLPS_KV_QOS_COUNT] = {"interactive", "responsive",
                                                                  "batch"};

int mlps_kv_put(json_t *obj, const char *key, json_t *value)
{
    if (!value)
        return -1;
    return json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

json_t *mlps_kv_real(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

int mlps_kv_put_real(json_t *obj, const char *key, double value)
{
    return mlps_kv_put(obj, key, mlps_kv_real(value));
}

int mlps_kv_put_uint(json_t *obj, const char *key, uint64_t value)
{
    if (value > (uint64_t)INT64_MAX)
        return mlps_kv_put(obj, key, json_real((double)value));
    return mlps_kv_put(obj, key, json_integer((json_int_t)value));
}

int mlps_kv_put_int(json_t *obj, const char *key, int64_t value)
{
    return mlps_kv_put(obj, key, json_integer((json_int_t)value));
}

int mlps_kv_put_bool(json_t *obj, const char *key, bool value)
{
    return mlps_kv_put(obj, key, json_boolean(value));
}

int mlps_kv_put_string(json_t *obj, const char *key, const char *value)
{
    return mlps_kv_put(obj, key, value ? json_string(value) : json_null());
}

int mlps_kv_append(json_t *array, json_t *value)
{
    if (!value)
        return -1;
    return json_array_append_new(array, value) == 0 ? 0 : -1;
}

double mlps_kv_gib(uint64_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0 * 1024.0);
}

double mlps_kv_rate(double amount, double seconds)
{
    return seconds > 0 ? amount / seconds : 0.0;
}

bool mlps_kv_report_throughput_profile(const mlps_kv_run_result *r)
{
    return r->options && r->options->performance_profile == MLPS_KV_PROFILE_THROUGHPUT;
}

/* The percentiles every latency set is quoted at, with their key suffixes. */
static const struct {
    double p;
    const char *suffix;
} quoted_percentiles[] = {
    {50, "p50"}, {95, "p95"}, {99, "p99"}, {99.9, "p999"}, {99.99, "p9999"},
};
#define QUOTED_PERCENTILE_COUNT (sizeof quoted_percentiles / sizeof quoted_percentiles[0])

json_t *mlps_kv_latency_ms(const mlps_kv_samples *s)
{
    mlps_kv_sorted sorted;
    if (mlps_kv_samples_sorted(mlps_kv_samples_of(s), &sorted) != 0)
        return NULL;
    json_t *obj = json_object();
    int failed = obj ? 0 : -1;
    if (obj) {
        failed |= mlps_kv_put_real(obj, "mean", mlps_kv_mean(&sorted) * 1000.0);
        for (size_t i = 0; i < QUOTED_PERCENTILE_COUNT; i++) {
            double ms = mlps_kv_percentile(&sorted, quoted_percentiles[i].p) * 1000.0;
            failed |= mlps_kv_put_real(obj, quoted_percentiles[i].suffix, ms);
        }
    }
    mlps_kv_sorted_free(&sorted);
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

int mlps_kv_put_percentile_keys(json_t *obj, const char *prefix, const mlps_kv_samples *s)
{
    mlps_kv_sorted sorted;
    if (mlps_kv_samples_sorted(mlps_kv_samples_of(s), &sorted) != 0)
        return -1;
    int failed = 0;
    for (size_t i = 0; sorted.count > 0 && i < QUOTED_PERCENTILE_COUNT; i++) {
        char key[96];
        snprintf(key, sizeof key, "%s_%s_ms", prefix, quoted_percentiles[i].suffix);
        failed |= mlps_kv_put_real(obj, key,
                                   mlps_kv_percentile(&sorted, quoted_percentiles[i].p) * 1000.0);
    }
    mlps_kv_sorted_free(&sorted);
    return failed;
}

bool mlps_kv_percentile_ms(const mlps_kv_samples *s, double p, double *out_ms)
{
    mlps_kv_sorted sorted;
    if (mlps_kv_samples_sorted(mlps_kv_samples_of(s), &sorted) != 0)
        return false;
    bool present = sorted.count > 0;
    if (present)
        *out_ms = mlps_kv_percentile(&sorted, p) * 1000.0;
    mlps_kv_sorted_free(&sorted);
    return present;
}

json_t *mlps_kv_seconds_array(const mlps_kv_samples *s)
{
    double *values;
    size_t count;
    if (mlps_kv_samples_copy(mlps_kv_samples_of(s), &values, &count) != 0)
        return NULL;
    json_t *array = json_array();
    int failed = array ? 0 : -1;
    for (size_t i = 0; !failed && i < count; i++)
        failed |= mlps_kv_append(array, mlps_kv_real(values[i]));
    free(values);
    if (failed) {
        json_decref(array);
        return NULL;
    }
    return array;
}

double mlps_kv_samples_sum(const mlps_kv_samples *s)
{
    double *values;
    size_t count;
    if (mlps_kv_samples_copy(mlps_kv_samples_of(s), &values, &count) != 0)
        return 0.0;
    double sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += values[i];
    free(values);
    return sum;
}
