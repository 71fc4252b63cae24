/* summary.qos_metrics: per QoS class, its requests' end-to-end latency (ms) and SLA compliance.
 * A request violates its class's SLA when its e2e time exceeds the class's target P95;
 * compliance = 1 − violations / requests, met at ≥ 0.95 (the reference's rule). The throughput
 * profile hides SLA results in the console and workbook, not in the JSON. */
#include "kvcache/report_internal.h"

#include <stdlib.h>

static int put_sla(json_t *metrics, const mlps_kv_sorted *ms, double target_p95_ms)
{
    size_t violations = 0;
    for (size_t i = 0; i < ms->count; i++)
        violations += ms->values[i] > target_p95_ms;
    double compliance = 1.0 - (double)violations / (double)ms->count;
    json_t *sla = json_object();
    if (!sla)
        return -1;
    int failed = mlps_kv_put_real(sla, "target_p95_ms", target_p95_ms);
    failed |= mlps_kv_put_real(sla, "actual_p95_ms", mlps_kv_percentile(ms, 95));
    failed |= mlps_kv_put_real(sla, "compliance", compliance);
    failed |= mlps_kv_put_bool(sla, "met", compliance >= 0.95);
    failed |= mlps_kv_put_uint(sla, "violations", violations);
    return failed | mlps_kv_put(metrics, "sla", sla);
}

static json_t *latency_object(const mlps_kv_sorted *ms)
{
    json_t *latency = json_object();
    if (!latency)
        return NULL;
    int failed = mlps_kv_put_real(latency, "mean", mlps_kv_mean(ms));
    failed |= mlps_kv_put_real(latency, "p50", mlps_kv_percentile(ms, 50));
    failed |= mlps_kv_put_real(latency, "p95", mlps_kv_percentile(ms, 95));
    failed |= mlps_kv_put_real(latency, "p99", mlps_kv_percentile(ms, 99));
    failed |= mlps_kv_put_real(latency, "max", ms->values[ms->count - 1]);
    if (failed) {
        json_decref(latency);
        return NULL;
    }
    return latency;
}

static json_t *class_metrics(const mlps_kv_run_result *r, mlps_kv_qos qos)
{
    double *values;
    size_t count;
    if (mlps_kv_samples_copy(mlps_kv_samples_of(&r->qos_e2e[qos]), &values, &count) != 0)
        return NULL;
    json_t *metrics = json_object();
    if (!metrics || count == 0) {
        free(values);
        if (metrics && mlps_kv_put_bool(metrics, "no_data", true) != 0) {
            json_decref(metrics);
            return NULL;
        }
        return metrics;
    }
    for (size_t i = 0; i < count; i++)
        values[i] *= 1000.0;
    mlps_kv_sorted ms;
    mlps_kv_sorted_take(&ms, values, count);
    int failed = mlps_kv_put_uint(metrics, "total_requests", count);
    failed |= mlps_kv_put(metrics, "latency_ms", latency_object(&ms));
    if (r->settings)
        failed |= put_sla(metrics, &ms, r->settings->qos[qos].target_p95_ms);
    mlps_kv_sorted_free(&ms);
    if (failed) {
        json_decref(metrics);
        return NULL;
    }
    return metrics;
}

json_t *mlps_kv_qos_metrics_json(const mlps_kv_run_result *r)
{
    json_t *all = json_object();
    if (!all)
        return NULL;
    int failed = 0;
    for (int q = 0; q < MLPS_KV_QOS_COUNT; q++)
        failed |= mlps_kv_put(all, mlps_kv_report_qos_names[q], class_metrics(r, (mlps_kv_qos)q));
    if (failed) {
        json_decref(all);
        return NULL;
    }
    return all;
}
