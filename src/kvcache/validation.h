/* --validation-trace: a JSON list of requests observed on a real inference server (the
 * reference's RealTraceEntry: timestamp, request_id, user_id, context_tokens, generation_tokens,
 * phase, cache_hit, cache_tier, read_bytes, write_bytes, read_latency_ms, write_latency_ms,
 * model_name). The run's cache hit rate is compared with the trace's; the run "validates" when
 * the relative error is at most 5 %. Unlike the reference, a missing or malformed file is an
 * error naming it, not a silent set of made-up statistics. */
#ifndef MLPS_KVCACHE_VALIDATION_H
#define MLPS_KVCACHE_VALIDATION_H

#include <jansson.h>
#include <stdint.h>

#include "core/error.h"

typedef struct mlps_kv_trace_stats {
    uint64_t total_requests;
    double cache_hit_rate;
    double read_write_ratio;
    double context_tokens_mean;
    double generation_tokens_mean;
} mlps_kv_trace_stats;

/* Usage error (exit 2) naming the file and the entry for anything unreadable. */
int mlps_kv_validation_load(const char *path, mlps_kv_trace_stats *out, mlps_error *err);

/* {passed, avg_error_pct, comparison{cache_hit_rate{benchmark, trace, error_pct, within_5pct}},
 * trace_stats{...}}: the reference's "validation" object. A trace hit rate of 0 compares by
 * absolute difference (in percentage points) instead of dividing by zero. New reference. */
json_t *mlps_kv_validation_compare(const mlps_kv_trace_stats *trace, double benchmark_hit_rate);

#endif
