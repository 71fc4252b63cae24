/* Shared pieces of the KV-cache report (report*.c): JSON building that remembers a failed
 * allocation instead of silently dropping a key, GiB and rate arithmetic, and latency sets
 * turned into the reference's millisecond percentile keys. Not part of the public contract. */
#ifndef MLPS_KVCACHE_REPORT_INTERNAL_H
#define MLPS_KVCACHE_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvcache/report.h"

/* Each put adds key → value and returns 0, or -1 when value is NULL or could not be added (the
 * value is released either way), so a caller ORs the results and fails once at the end. */
int mlps_kv_put(json_t *obj, const char *key, json_t *value);
int mlps_kv_put_real(json_t *obj, const char *key, double value); /* non-finite → null */
int mlps_kv_put_uint(json_t *obj, const char *key, uint64_t value);
int mlps_kv_put_int(json_t *obj, const char *key, int64_t value);
int mlps_kv_put_bool(json_t *obj, const char *key, bool value);
int mlps_kv_put_string(json_t *obj, const char *key, const char *value); /* NULL → null */
int mlps_kv_append(json_t *array, json_t *value);
json_t *mlps_kv_real(double value);

double mlps_kv_gib(uint64_t bytes);
/* amount / seconds, 0 when the window is empty. */
double mlps_kv_rate(double amount, double seconds);

/* The samples are read under their own lock, which is why a const result still hands out a
 * writable pointer to them. */
static inline mlps_kv_samples *mlps_kv_samples_of(const mlps_kv_samples *s)
{
    return (mlps_kv_samples *)s;
}

/* {mean, p50, p95, p99, p999, p9999} in ms; zeros for an empty set. */
json_t *mlps_kv_latency_ms(const mlps_kv_samples *s);
/* <prefix>_p50_ms … <prefix>_p9999_ms, added only when s has samples. */
int mlps_kv_put_percentile_keys(json_t *obj, const char *prefix, const mlps_kv_samples *s);
/* P<p> of s in ms; false when s is empty. */
bool mlps_kv_percentile_ms(const mlps_kv_samples *s, double p, double *out_ms);
/* The values in insertion order, in seconds. */
json_t *mlps_kv_seconds_array(const mlps_kv_samples *s);
double mlps_kv_samples_sum(const mlps_kv_samples *s);

extern const char *const mlps_kv_report_tier_names[MLPS_KV_TIER_COUNT]; /* gpu, cpu, storage */
extern const char *const mlps_kv_report_qos_names[MLPS_KV_QOS_COUNT];   /* interactive, ... */

bool mlps_kv_report_throughput_profile(const mlps_kv_run_result *r);

/* Parts of the summary. */
json_t *mlps_kv_cache_stats_json(const mlps_kv_run_result *r);
json_t *mlps_kv_qos_metrics_json(const mlps_kv_run_result *r);
json_t *mlps_kv_summary_json(const mlps_kv_run_result *r);
json_t *mlps_kv_mlps_json(const mlps_kv_run_result *r);

/* The flattened rows of the workbook's Summary sheet: label → value, in column order. */
json_t *mlps_kv_run_parameters_row(const mlps_kv_run_result *r);
json_t *mlps_kv_metrics_row(const json_t *report);
json_t *mlps_kv_qos_rows(const mlps_kv_run_result *r, const json_t *report);
int mlps_kv_report_csv(const json_t *params, const json_t *metrics, const char *path,
                       mlps_error *err);

#endif
