/* --validation-trace: loading the trace's statistics and comparing the run's hit rate with them
 * (see validation.h). */
#include "kvcache/validation.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

#define VALIDATION_TOLERANCE_PCT 5.0

static int entry_number(const json_t *entry, const char *field, double *out)
{
    const json_t *value = json_object_get(entry, field);
    if (json_is_boolean(value)) {
        *out = json_is_true(value) ? 1.0 : 0.0;
        return 0;
    }
    if (!json_is_number(value))
        return -EINVAL;
    *out = json_number_value(value);
    return 0;
}

int mlps_kv_validation_load(const char *path, mlps_kv_trace_stats *out, mlps_error *err)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc)
        return mlps_fail_usage(err, -EINVAL, "--validation-trace %s: not readable JSON: %s (line %d)",
                               path, jerr.text, jerr.line);
    int rc = 0;
    size_t n = json_is_array(doc) ? json_array_size(doc) : 0;
    if (n == 0)
        rc = mlps_fail_usage(err, -EINVAL, "--validation-trace %s: expected a non-empty JSON list of "
                             "trace entries", path);
    static const char *const fields[] = {"cache_hit", "read_bytes", "write_bytes", "context_tokens",
                                         "generation_tokens"};
    double sums[5] = {0};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const json_t *entry = json_array_get(doc, i);
        for (int f = 0; f < 5 && rc == 0; f++) {
            double v;
            if (!json_is_object(entry) || entry_number(entry, fields[f], &v) != 0)
                rc = mlps_fail_usage(err, -EINVAL, "--validation-trace %s: entry %zu has no numeric '%s'",
                                     path, i, fields[f]);
            else
                sums[f] += v;
        }
    }
    json_decref(doc);
    if (rc)
        return rc;
    *out = (mlps_kv_trace_stats){
        .total_requests = n,
        .cache_hit_rate = sums[0] / (double)n,
        .read_write_ratio = sums[1] / fmax(sums[2], 1.0),
        .context_tokens_mean = sums[3] / (double)n,
        .generation_tokens_mean = sums[4] / (double)n,
    };
    return 0;
}

json_t *mlps_kv_validation_compare(const mlps_kv_trace_stats *trace, double benchmark_hit_rate)
{
    double diff = fabs(benchmark_hit_rate - trace->cache_hit_rate);
    double error_pct = trace->cache_hit_rate > 0 ? diff / trace->cache_hit_rate * 100.0 : diff * 100.0;
    bool within = error_pct <= VALIDATION_TOLERANCE_PCT;
    return json_pack("{s:b, s:f, s:{s:{s:f, s:f, s:f, s:b}}, s:{s:I, s:f, s:f, s:f, s:f}}",
                     "passed", within, "avg_error_pct", error_pct,
                     "comparison", "cache_hit_rate", "benchmark", benchmark_hit_rate, "trace",
                     trace->cache_hit_rate, "error_pct", error_pct, "within_5pct", within,
                     "trace_stats", "total_requests", (json_int_t)trace->total_requests,
                     "cache_hit_rate", trace->cache_hit_rate, "read_write_ratio", trace->read_write_ratio,
                     "context_tokens_mean", trace->context_tokens_mean,
                     "generation_tokens_mean", trace->generation_tokens_mean);
}
