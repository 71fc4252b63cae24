/* The KV-cache run's results: what the run measured (mlps_kv_run_result, filled by run.c), and
 * how it is reported: the reference's JSON (spec 30 §6.2, same key names so its tools read it,
 * plus explicit mlps additions), the pass/fail criteria (§6.3), QoS compliance, and the
 * --xlsx-output workbook (libxlsxwriter; CSV when the name does not end in .xlsx). */
#ifndef MLPS_KVCACHE_REPORT_H
#define MLPS_KVCACHE_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "kvcache/cache.h"
#include "kvcache/options.h"
#include "kvcache/samples.h"
#include "kvcache/settings.h"

typedef struct mlps_kv_autoscale_event {
    double timestamp; /* wall-clock epoch seconds */
    const char *action; /* "scale_up", "scale_down", "hold", "stop" */
    int users_before, users_after;
    double saturation;
    double throughput_tokens_per_sec;
} mlps_kv_autoscale_event;

typedef struct mlps_kv_run_result {
    /* what ran */
    const mlps_kv_options *options;
    const mlps_kv_settings *settings;
    const char *model_key;
    uint64_t bytes_per_token;
    const char *source_mode;     /* "synthetic", "sharegpt", "burstgpt" */
    json_t *source_description;  /* borrowed; may be NULL */
    bool trace_mode;
    /* the measured window: from the first request's release to the last completion */
    double elapsed_s;
    double wall_start_epoch_s;
    /* requests */
    uint64_t requests_completed;
    uint64_t total_tokens_generated;     /* generated tokens of completed requests */
    uint64_t total_context_tokens;
    mlps_kv_samples e2e;                 /* per request, seconds (queue wait included) */
    mlps_kv_samples storage;             /* per request: sum of its cache op latencies */
    mlps_kv_samples generation;          /* per request: emulated generation sleep */
    mlps_kv_samples prefill;             /* per prefill allocation */
    mlps_kv_samples decode;              /* per decode read */
    mlps_kv_samples qos_e2e[MLPS_KV_QOS_COUNT];
    uint64_t qos_requests[MLPS_KV_QOS_COUNT];
    /* benchmark-level counts */
    uint64_t multi_turn_hits, multi_turn_misses;
    uint64_t requests_all_hit;       /* per-request hit rate: every read of the request hit */
    uint64_t requests_with_reads;
    uint64_t prefix_hits, prefix_misses, prefix_writes, prefix_bytes_saved;
    uint64_t rag_requests;
    /* autoscaling */
    mlps_kv_autoscale_event *autoscale_events;
    size_t autoscale_event_count;
    int initial_users, final_users, peak_users;
    double peak_throughput_tokens_per_sec;
    struct { double timestamp, tokens_per_sec; } *timeline;
    size_t timeline_count;
    /* the cache at the end */
    mlps_kv_cache_counters counters;
    mlps_kv_cache_latencies *latencies; /* borrowed from the cache */
} mlps_kv_run_result;

void mlps_kv_run_result_init(mlps_kv_run_result *r);
void mlps_kv_run_result_destroy(mlps_kv_run_result *r);

/* storage_health of §6.3: {overall_status, criteria[], passed_count, total_count}. */
json_t *mlps_kv_storage_health(const mlps_kv_run_result *r);

/* The whole output document of §6.2 (top-level arrays, summary, cache_stats ...). NULL on ENOMEM. */
json_t *mlps_kv_report_json(const mlps_kv_run_result *r);

/* Writes the workbook (.xlsx) or CSV (any other name) of §6.4 atomically. */
int mlps_kv_report_xlsx(const mlps_kv_run_result *r, const json_t *report, const char *path,
                        mlps_error *err);

/* The end-of-run text summary on stdout. */
void mlps_kv_report_print(const mlps_kv_run_result *r, const json_t *report, FILE *out);

#endif
