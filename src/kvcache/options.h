/* The options of `mlps kvcache run`: every flag of the reference's kv-cache.py with its name,
 * default and validation rule (spec 30 §5.1), plus mlps's own (--simulate-gpu,
 * --gpu-bandwidth-gbs, --direct-io). Validation collects every broken rule and reports them
 * together in one usage error, with the reference's wording. */
#ifndef MLPS_KVCACHE_OPTIONS_H
#define MLPS_KVCACHE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "kvcache/settings.h"

typedef enum mlps_kv_generation_mode { MLPS_KV_GEN_NONE, MLPS_KV_GEN_FAST, MLPS_KV_GEN_REALISTIC } mlps_kv_generation_mode;
typedef enum mlps_kv_profile { MLPS_KV_PROFILE_LATENCY, MLPS_KV_PROFILE_THROUGHPUT } mlps_kv_profile;
typedef enum mlps_kv_autoscaler_mode { MLPS_KV_AUTOSCALE_QOS, MLPS_KV_AUTOSCALE_CAPACITY } mlps_kv_autoscaler_mode;

typedef struct mlps_kv_options {
    const char *model;         /* "llama3.1-8b" */
    int64_t num_users;         /* 100; 1..100000 */
    double duration_s;         /* 60; 1..86400 */
    double gpu_mem_gb;         /* 16 per GPU; 0..65536 (GiB) */
    int64_t num_gpus;          /* 1; ≥ 1 */
    int64_t tensor_parallel;   /* 1; 1..num_gpus */
    double cpu_mem_gb;         /* 32; 0..131072 (GiB) */
    const char *cache_dir;     /* NULL: a temporary kv_cache_* directory removed at exit */
    mlps_kv_generation_mode generation_mode; /* realistic */
    mlps_kv_profile performance_profile;     /* latency */
    bool disable_multi_turn, disable_prefix_caching, enable_rag;
    int64_t rag_num_docs;      /* 10; ≥ 0 */
    bool enable_autoscaling;
    mlps_kv_autoscaler_mode autoscaler_mode; /* qos */
    double target_saturation;  /* 0.8; [0,1] */
    bool use_burst_trace;
    const char *burst_trace_path; /* "BurstGPT/data/BurstGPT_1.csv": file, directory or glob */
    const char *validation_trace; /* NULL */
    const char *dataset_path;     /* NULL; ShareGPT JSON, wins over the burst trace */
    int64_t max_conversations;    /* 500; > 0 */
    const char *output;           /* NULL: benchmark_results_<YYYYmmdd_HHMMSS>.json */
    bool seed_given;
    int64_t seed;
    int64_t max_concurrent_allocs; /* 0; ≥ 0 */
    double request_rate;           /* 0; ≥ 0 */
    int64_t max_requests;          /* 0; ≥ 0 */
    const char *xlsx_output;       /* NULL */
    const char *config;            /* NULL */
    double storage_capacity_gb;    /* 0 = auto; ≥ 0 */
    bool precondition;
    double precondition_size_gb;   /* 0 → 2 × storage limit */
    int64_t precondition_threads;  /* 0 → CPU count */
    double trace_speedup;          /* 1.0; ≥ 0; 0 = no pacing */
    int64_t replay_cycles;         /* 0 = infinite */
    bool prefill_only, decode_only;
    const char *io_trace_log;      /* NULL */
    bool enable_latency_tracing;   /* accepted; reported as unsupported */
    const char *log_level;         /* "INFO" */
    /* mlps additions */
    bool simulate_gpu;             /* a simulated GPU tier of gpu_mem_gb × num_gpus */
    double gpu_bandwidth_gbs;      /* 64 (GiB/s) */
    bool direct_io;                /* storage tier with O_DIRECT */
} mlps_kv_options;

void mlps_kv_options_defaults(mlps_kv_options *o);

/* Every rule of spec 30 §5.1; all broken rules in one usage error, one line per rule in the
 * reference's words ("--num-users must be positive, got 0\n--duration exceeds 24 hours ...").
 * s is accepted for rules that depend on config.yaml; there are none today. */
int mlps_kv_options_validate(const mlps_kv_options *o, const mlps_kv_settings *s, mlps_error *err);

#endif
