/* KV-cache tunables: everything the reference's config.yaml can set (the user templates, QoS
 * profiles and mix, eviction ratios, RAG, conversation and autoscaler limits, decode batch, and
 * models defined in YAML), held as plain values with the reference's code defaults. The
 * strict YAML loader (settings.c) fills this; every other part of the benchmark only reads it. */
#ifndef MLPS_KVCACHE_SETTINGS_H
#define MLPS_KVCACHE_SETTINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"

typedef enum mlps_kv_user_type {
    MLPS_KV_USER_CHATBOT,
    MLPS_KV_USER_CODING,
    MLPS_KV_USER_DOCUMENT,
    MLPS_KV_USER_TYPE_COUNT,
} mlps_kv_user_type;

typedef enum mlps_kv_qos {
    MLPS_KV_QOS_INTERACTIVE, /* priority 3 */
    MLPS_KV_QOS_RESPONSIVE,  /* priority 2 */
    MLPS_KV_QOS_BATCH,       /* priority 1 */
    MLPS_KV_QOS_COUNT,
} mlps_kv_qos;

typedef enum mlps_kv_retrieval {
    MLPS_KV_RETRIEVAL_ZIPFIAN,
    MLPS_KV_RETRIEVAL_UNIFORM,
    MLPS_KV_RETRIEVAL_RANDOM, /* the reference treats it as uniform */
} mlps_kv_retrieval;

typedef struct mlps_kv_user_template {
    int64_t context_min, context_max;       /* tokens, inclusive */
    int64_t generation_min, generation_max; /* tokens, inclusive */
    double think_min_s, think_max_s;
} mlps_kv_user_template;

typedef struct mlps_kv_qos_profile {
    double target_p95_ms, target_p99_ms, target_p999_ms, target_p9999_ms;
    int priority;
} mlps_kv_qos_profile;

typedef struct mlps_kv_settings {
    mlps_kv_user_template templates[MLPS_KV_USER_TYPE_COUNT]; /* chatbot, coding, document */
    mlps_kv_qos_profile qos[MLPS_KV_QOS_COUNT];              /* interactive, responsive, batch */
    double interactive_probability; /* 0.15: roll < this → interactive */
    double responsive_threshold;    /* 0.50: roll < this → responsive, else batch */

    int max_recursion_depth;        /* 10 */
    double target_usage_ratio;      /* 0.8 */
    double large_entry_limit_ratio; /* 0.95 */
    int max_evictions_hard_cap;     /* 5000 */
    int max_evictions_min;          /* 1000 */

    double system_prompt_hit_probability; /* 0.2 */

    int rag_chunk_size_tokens;   /* 512 */
    int rag_top_k_chunks;        /* 5 */
    uint64_t rag_max_chunk_bytes; /* 256 MiB */
    double rag_request_probability; /* 0.1 */
    mlps_kv_retrieval rag_retrieval;
    int rag_max_documents;       /* 0 = unlimited */
    int rag_large_model_doc_tokens_min, rag_large_model_doc_tokens_max; /* 1024, 4096 */
    int rag_small_model_doc_tokens_min, rag_small_model_doc_tokens_max; /* 4000, 12000 */

    int max_conversations;  /* 1000 */
    int max_turns_per_conv; /* 50 */
    double end_conversation_probability; /* 0.2 (the reference hard-codes it; we honour the key) */

    int autoscaler_min_users; /* 1 */
    int autoscaler_max_users; /* 10000 */

    int decode_batch_size; /* 32 */

    double read_latency_p95_threshold_ms;  /* 100 */
    double write_latency_p95_threshold_ms; /* 50 */
    int queue_depth_threshold;             /* 100 */

    json_t *model_configs; /* owned; NULL or an object key → {num_layers, ...} from the YAML */
} mlps_kv_settings;

/* The reference's code defaults. */
void mlps_kv_settings_defaults(mlps_kv_settings *s);

/* Reads the reference's config.yaml strictly over the defaults: an unknown key at any level or
 * a value of the wrong type is a usage error naming the key (path:key) and the nearest valid one.
 * s must hold settings already (from mlps_kv_settings_defaults or an earlier load); every field
 * is replaced by the file's value or the default, and s is unchanged on error. */
int mlps_kv_settings_load(mlps_kv_settings *s, const char *path, mlps_error *err);

/* The schema of config.yaml (every key, its type and code default), for a config that also takes
 * -p overrides and is recorded in the run's metadata. */
const mlps_cfg_schema *mlps_kv_settings_schema(void);

/* Fills s from cfg (a config over mlps_kv_settings_schema()), checking bounds, the [min, max]
 * lists and model_configs; origin ("in config.yaml") ends every message. Same contract on s as
 * mlps_kv_settings_load. */
int mlps_kv_settings_from_config(mlps_kv_settings *s, const mlps_config *cfg, const char *origin,
                                 mlps_error *err);

void mlps_kv_settings_free(mlps_kv_settings *s);

#endif
