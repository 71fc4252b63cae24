/* The KV-cache tunables (settings.h) and the strict reader of the reference's config.yaml. One
 * table below names every key the reference accepts, with its type, its code default, its bounds
 * and the field it fills; the schema given to the core config reader (which rejects unknown keys
 * and wrong types, suggesting the nearest key), the defaults and the checks all come from it, so
 * they cannot disagree. Keys the reference validates but never reads are accepted and ignored in
 * the same way. The user templates' [min, max] lists and model_configs are YAML subtrees checked
 * here; model_configs is kept as JSON for the model registry to merge. */
#include "kvcache/settings.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value kinds: I int field, U uint64_t field, D double field, S the retrieval choice; XI and XD
 * are keys the reference validates as integer or number and then ignores (no field). */
#define CFG_TYPE_I MLPS_CFG_INT
#define CFG_TYPE_U MLPS_CFG_INT
#define CFG_TYPE_D MLPS_CFG_DOUBLE
#define CFG_TYPE_S MLPS_CFG_STRING
#define CFG_TYPE_XI MLPS_CFG_INT
#define CFG_TYPE_XD MLPS_CFG_DOUBLE
#define CHOICES_I NULL
#define CHOICES_U NULL
#define CHOICES_D NULL
#define CHOICES_S retrieval_names
#define CHOICES_XI NULL
#define CHOICES_XD NULL

#define QI qos[MLPS_KV_QOS_INTERACTIVE]
#define QR qos[MLPS_KV_QOS_RESPONSIVE]
#define QB qos[MLPS_KV_QOS_BATCH]
#define BIG 1e15 /* "no upper bound" for counts and milliseconds */

/* X(kind, key, code default, field, lowest, highest, help), in the order of the reference's file. */
#define KV_SCALAR_SETTINGS(X)                                                                     \
    X(XD, "generation_timing.none", "0.0", _, 0, 0, "ignored: seconds per token are fixed at 0")  \
    X(XD, "generation_timing.fast", "0.002", _, 0, 0, "ignored: seconds per token are fixed at 0.002") \
    X(XD, "generation_timing.realistic", "0.030", _, 0, 0,                                        \
      "ignored: seconds per token are fixed at 0.030")                                            \
    X(D, "qos_profiles.interactive.target_latency_p95_ms", "50", QI.target_p95_ms, 0, BIG,        \
      "interactive SLA: end-to-end P95 target in ms")                                             \
    X(D, "qos_profiles.interactive.target_latency_p99_ms", "100", QI.target_p99_ms, 0, BIG,       \
      "interactive P99 target in ms")                                                             \
    X(D, "qos_profiles.interactive.target_latency_p999_ms", "150", QI.target_p999_ms, 0, BIG,     \
      "interactive P99.9 target in ms")                                                           \
    X(D, "qos_profiles.interactive.target_latency_p9999_ms", "200", QI.target_p9999_ms, 0, BIG,   \
      "interactive P99.99 target in ms")                                                          \
    X(I, "qos_profiles.interactive.priority", "3", QI.priority, 0, 1000,                          \
      "queue priority of interactive requests (higher first)")                                    \
    X(D, "qos_profiles.responsive.target_latency_p95_ms", "100", QR.target_p95_ms, 0, BIG,        \
      "responsive SLA: end-to-end P95 target in ms")                                              \
    X(D, "qos_profiles.responsive.target_latency_p99_ms", "200", QR.target_p99_ms, 0, BIG,        \
      "responsive P99 target in ms")                                                              \
    X(D, "qos_profiles.responsive.target_latency_p999_ms", "350", QR.target_p999_ms, 0, BIG,      \
      "responsive P99.9 target in ms")                                                            \
    X(D, "qos_profiles.responsive.target_latency_p9999_ms", "500", QR.target_p9999_ms, 0, BIG,    \
      "responsive P99.99 target in ms")                                                           \
    X(I, "qos_profiles.responsive.priority", "2", QR.priority, 0, 1000,                           \
      "queue priority of responsive requests")                                                    \
    X(D, "qos_profiles.batch.target_latency_p95_ms", "1000", QB.target_p95_ms, 0, BIG,            \
      "batch SLA: end-to-end P95 target in ms")                                                   \
    X(D, "qos_profiles.batch.target_latency_p99_ms", "5000", QB.target_p99_ms, 0, BIG,            \
      "batch P99 target in ms")                                                                   \
    X(D, "qos_profiles.batch.target_latency_p999_ms", "7500", QB.target_p999_ms, 0, BIG,          \
      "batch P99.9 target in ms")                                                                 \
    X(D, "qos_profiles.batch.target_latency_p9999_ms", "10000", QB.target_p9999_ms, 0, BIG,       \
      "batch P99.99 target in ms")                                                                \
    X(I, "qos_profiles.batch.priority", "1", QB.priority, 0, 1000, "queue priority of batch requests") \
    X(D, "qos_distribution.interactive_probability", "0.15", interactive_probability, 0, 1,       \
      "share of users that are interactive")                                                      \
    X(D, "qos_distribution.responsive_threshold", "0.50", responsive_threshold, 0, 1,             \
      "cumulative share of interactive plus responsive users")                                    \
    X(I, "eviction.max_recursion_depth", "10", max_recursion_depth, 1, 1000,                      \
      "deepest cascade of demotions one allocation may cause")                                    \
    X(D, "eviction.target_usage_ratio", "0.8", target_usage_ratio, 0.01, 1,                       \
      "an upper tier is evicted down to this share of its capacity")                              \
    X(D, "eviction.large_entry_limit_ratio", "0.95", large_entry_limit_ratio, 0.01, 1,            \
      "entries above this share of a tier's capacity skip that tier")                             \
    X(I, "eviction.max_evictions_hard_cap", "5000", max_evictions_hard_cap, 1, 1e9,               \
      "most evictions one allocation may perform")                                                \
    X(I, "eviction.max_evictions_min", "1000", max_evictions_min, 1, 1e9,                         \
      "eviction budget floor per allocation")                                                     \
    X(XD, "gpu_backend.memory_fraction", "0.8", _, 0, 0,                                          \
      "ignored: no CUDA backend (the simulated GPU tier has no allocator)")                       \
    X(XI, "gpu_backend.max_eviction_attempts", "100", _, 0, 0, "ignored: no CUDA backend")        \
    X(XD, "gpu_backend.free_memory_threshold", "0.1", _, 0, 0, "ignored: no CUDA backend")        \
    X(XI, "prefix_cache.min_prefix_length", "50", _, 0, 0, "ignored, as in the reference")        \
    X(XI, "prefix_cache.max_prefix_entries", "1000", _, 0, 0, "ignored, as in the reference")     \
    X(D, "prefix_cache.system_prompt_hit_probability", "0.2", system_prompt_hit_probability, 0, 1, \
      "share of requests that start with a shared system prompt")                                 \
    X(I, "rag.chunk_size_tokens", "512", rag_chunk_size_tokens, 1, 1e9, "tokens per document chunk") \
    X(I, "rag.top_k_chunks", "5", rag_top_k_chunks, 1, 1e6, "chunks read per retrieval")          \
    X(U, "rag.max_chunk_bytes", "268435456", rag_max_chunk_bytes, 1, 1e15,                        \
      "a chunk holds at most this many bytes of KV cache")                                        \
    X(D, "rag.request_probability", "0.1", rag_request_probability, 0, 1,                         \
      "chance that a user request also triggers a RAG retrieval")                                 \
    X(S, "rag.retrieval_distribution", "zipfian", _, 0, 0,                                        \
      "which chunks a retrieval reads (random is uniform)")                                       \
    X(I, "rag.max_documents", "0", rag_max_documents, 0, 1e9,                                     \
      "documents kept before the oldest is dropped (0: unlimited)")                               \
    X(I, "rag.large_model_doc_tokens_min", "1024", rag_large_model_doc_tokens_min, 1, 1e9,        \
      "document size range for large models, lowest")                                             \
    X(I, "rag.large_model_doc_tokens_max", "4096", rag_large_model_doc_tokens_max, 1, 1e9,        \
      "document size range for large models, highest")                                            \
    X(I, "rag.small_model_doc_tokens_min", "4000", rag_small_model_doc_tokens_min, 1, 1e9,        \
      "document size range for other models, lowest")                                             \
    X(I, "rag.small_model_doc_tokens_max", "12000", rag_small_model_doc_tokens_max, 1, 1e9,       \
      "document size range for other models, highest")                                            \
    X(I, "conversation.max_conversations", "1000", max_conversations, 1, 1e9,                     \
      "conversations tracked before the least recently used is forgotten")                        \
    X(I, "conversation.max_turns_per_conv", "50", max_turns_per_conv, 1, 1e9,                     \
      "a conversation ends after this many turns")                                                \
    X(D, "conversation.end_conversation_probability", "0.2", end_conversation_probability, 0, 1,  \
      "chance that a conversation ends before each new request")                                  \
    X(I, "autoscaler.min_users", "1", autoscaler_min_users, 1, 1e9, "fewest users the autoscaler keeps") \
    X(I, "autoscaler.max_users", "10000", autoscaler_max_users, 1, 1e9,                           \
      "most users the autoscaler reaches")                                                        \
    X(XD, "autoscaler.scale_up_factor", "1.2", _, 0, 0, "ignored: the factor is fixed at 1.2")    \
    X(XD, "autoscaler.scale_down_factor", "0.8", _, 0, 0, "ignored: the factor is fixed at 0.8")  \
    X(XI, "autoscaler.consecutive_samples_required", "2", _, 0, 0,                                \
      "ignored: two samples are always required")                                                 \
    X(I, "decode.batch_size", "32", decode_batch_size, 1, 1e9,                                    \
      "generated tokens per decode read after a hit")                                             \
    X(XI, "sharegpt.max_context_tokens", "16384", _, 0, 0, "ignored: the cap is fixed at 16384")  \
    X(XI, "sharegpt.max_generation_tokens", "2048", _, 0, 0, "ignored: the cap is fixed at 2048") \
    X(XI, "sharegpt.chars_per_token_estimate", "4", _, 0, 0, "ignored: fixed at 4")               \
    X(D, "saturation_detection.read_latency_p95_threshold_ms", "100",                             \
      read_latency_p95_threshold_ms, 0, BIG, "read P95 at which storage counts as saturated")     \
    X(D, "saturation_detection.write_latency_p95_threshold_ms", "50",                             \
      write_latency_p95_threshold_ms, 0, BIG, "write P95 at which storage counts as saturated")   \
    X(I, "saturation_detection.queue_depth_threshold", "100", queue_depth_threshold, 0, 1e9,      \
      "queue depth at which storage counts as saturated")                                         \
    X(XI, "saturation_detection.history_window_size", "10", _, 0, 0, "ignored: fixed at 10")      \
    X(XI, "validation_limits.max_users", "100000", _, 0, 0, "ignored: --num-users stops at 100000") \
    X(XI, "validation_limits.max_duration_seconds", "86400", _, 0, 0,                             \
      "ignored: --duration stops at 86400")                                                       \
    X(XI, "validation_limits.max_gpu_memory_gb", "65536", _, 0, 0,                                \
      "ignored: --gpu-mem-gb stops at 65536")                                                     \
    X(XI, "validation_limits.max_cpu_memory_gb", "131072", _, 0, 0,                               \
      "ignored: --cpu-mem-gb stops at 131072")

/* The [min, max] lists of the user templates: X(key, code default, user type, member, integers). */
#define KV_RANGE_SETTINGS(X)                                                                      \
    X("user_templates.chatbot.context_range", "[512, 4096]", CHATBOT, context, true)             \
    X("user_templates.chatbot.generation_range", "[50, 200]", CHATBOT, generation, true)         \
    X("user_templates.chatbot.think_time_range", "[0.1, 0.5]", CHATBOT, think, false)            \
    X("user_templates.coding.context_range", "[4096, 25000]", CODING, context, true)             \
    X("user_templates.coding.generation_range", "[100, 500]", CODING, generation, true)         \
    X("user_templates.coding.think_time_range", "[0.2, 1.0]", CODING, think, false)              \
    X("user_templates.document.context_range", "[4096, 16384]", DOCUMENT, context, true)         \
    X("user_templates.document.generation_range", "[200, 800]", DOCUMENT, generation, true)      \
    X("user_templates.document.think_time_range", "[0.3, 1.5]", DOCUMENT, think, false)

static const char *const retrieval_names[] = {"zipfian", "uniform", "random", NULL};

#define AS_RANGE_KEY(key_, def, user, member, integers)                                           \
    {.key = key_, .type = MLPS_CFG_SUBTREE, .default_value = def,                                 \
     .help = integers ? "[min, max] tokens" : "[min, max] seconds of think time"},
#define AS_SCALAR_KEY(kind, key_, def, field, lo, hi, help_)                                      \
    {.key = key_, .type = CFG_TYPE_##kind, .default_value = def, .choices = CHOICES_##kind,       \
     .help = help_},

static const mlps_cfg_key settings_keys[] = {
    KV_RANGE_SETTINGS(AS_RANGE_KEY) KV_SCALAR_SETTINGS(AS_SCALAR_KEY)
    {.key = "model_configs", .type = MLPS_CFG_SUBTREE,
     .help = "models by key: {name, num_layers, hidden_dim, num_heads, kv_heads, dtype, ...}"},
};

static const mlps_cfg_schema settings_schema = {
    .name = "kvcache", .keys = settings_keys, .count = sizeof settings_keys / sizeof settings_keys[0]};

const mlps_cfg_schema *mlps_kv_settings_schema(void) { return &settings_schema; }

/* ---- the fields behind the keys ---- */

typedef enum field_kind { FIELD_INT, FIELD_U64, FIELD_DOUBLE } field_kind;

typedef struct scalar_field {
    const char *key;
    const char *default_text;
    field_kind kind;
    size_t offset;
    double lowest, highest;
} scalar_field;

#define BIND_I(key, def, field, lo, hi) {key, def, FIELD_INT, offsetof(mlps_kv_settings, field), lo, hi},
#define BIND_U(key, def, field, lo, hi) {key, def, FIELD_U64, offsetof(mlps_kv_settings, field), lo, hi},
#define BIND_D(key, def, field, lo, hi)                                                           \
    {key, def, FIELD_DOUBLE, offsetof(mlps_kv_settings, field), lo, hi},
#define BIND_S(key, def, field, lo, hi)
#define BIND_XI(key, def, field, lo, hi)
#define BIND_XD(key, def, field, lo, hi)
#define AS_FIELD(kind, key, def, field, lo, hi, help) BIND_##kind(key, def, field, lo, hi)

static const scalar_field scalar_fields[] = {KV_SCALAR_SETTINGS(AS_FIELD)};

typedef enum range_member { RANGE_CONTEXT, RANGE_GENERATION, RANGE_THINK } range_member;

typedef struct range_field {
    const char *key;
    const char *default_text;
    mlps_kv_user_type type;
    range_member member;
    bool integers;
} range_field;

#define AS_RANGE_FIELD(key, def, user, member, integers)                                          \
    {key, def, MLPS_KV_USER_##user, RANGE_##member, integers},
#define RANGE_context RANGE_CONTEXT
#define RANGE_generation RANGE_GENERATION
#define RANGE_think RANGE_THINK

static const range_field range_fields[] = {KV_RANGE_SETTINGS(AS_RANGE_FIELD)};

static void store_scalar(mlps_kv_settings *s, const scalar_field *f, double value)
{
    char *at = (char *)s + f->offset;
    if (f->kind == FIELD_INT)
        *(int *)at = (int)value;
    else if (f->kind == FIELD_U64)
        *(uint64_t *)at = (uint64_t)value;
    else
        *(double *)at = value;
}

static void store_range(mlps_kv_settings *s, const range_field *f, double lo, double hi)
{
    mlps_kv_user_template *t = &s->templates[f->type];
    if (f->member == RANGE_CONTEXT) {
        t->context_min = (int64_t)lo;
        t->context_max = (int64_t)hi;
    } else if (f->member == RANGE_GENERATION) {
        t->generation_min = (int64_t)lo;
        t->generation_max = (int64_t)hi;
    } else {
        t->think_min_s = lo;
        t->think_max_s = hi;
    }
}

static mlps_kv_retrieval retrieval_of(const char *name)
{
    for (size_t i = 0; retrieval_names[i]; i++)
        if (name && strcmp(name, retrieval_names[i]) == 0)
            return (mlps_kv_retrieval)i;
    return MLPS_KV_RETRIEVAL_ZIPFIAN;
}

void mlps_kv_settings_defaults(mlps_kv_settings *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < sizeof scalar_fields / sizeof scalar_fields[0]; i++)
        store_scalar(s, &scalar_fields[i], strtod(scalar_fields[i].default_text, NULL));
    for (size_t i = 0; i < sizeof range_fields / sizeof range_fields[0]; i++) {
        double lo = 0, hi = 0;
        sscanf(range_fields[i].default_text, "[%lf , %lf]", &lo, &hi);
        store_range(s, &range_fields[i], lo, hi);
    }
    s->rag_retrieval = MLPS_KV_RETRIEVAL_ZIPFIAN;
    s->model_configs = NULL;
}

/* ---- reading a config ---- */

static int read_scalar(mlps_kv_settings *s, const mlps_config *cfg, const scalar_field *f,
                       const char *origin, mlps_error *err)
{
    double value = f->kind == FIELD_DOUBLE ? mlps_config_get_double(cfg, f->key)
                                           : (double)mlps_config_get_int(cfg, f->key);
    if (!(value >= f->lowest && value <= f->highest))
        return mlps_fail_usage(err, -EINVAL,
                               "config key '%s' must be between %.15g and %.15g, got %.15g (%s)",
                               f->key, f->lowest, f->highest, value, origin);
    store_scalar(s, f, value);
    return 0;
}

static bool is_whole(double v) { return floor(v) == v && fabs(v) < 1e15; }

/* A [min, max] list: two numbers (integers for token counts, at least 1; seconds at least 0),
 * min not above max. */
static int read_range(mlps_kv_settings *s, const mlps_config *cfg, const range_field *f,
                      const char *origin, mlps_error *err)
{
    json_t *list = mlps_config_get_json(cfg, f->key);
    json_t *a = json_array_get(list, 0), *b = json_array_get(list, 1);
    double lo = json_number_value(a), hi = json_number_value(b);
    bool numbers = json_is_array(list) && json_array_size(list) == 2 && json_is_number(a) &&
                   json_is_number(b);
    bool fits = f->integers ? (json_is_integer(a) && json_is_integer(b) && lo >= 1 && is_whole(hi))
                            : (lo >= 0 && isfinite(hi));
    if (!numbers || !fits || lo > hi) {
        char *got = list ? json_dumps(list, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        int rc = mlps_fail_usage(err, -EINVAL,
                                 "config key '%s' must be a list [min, max] of two %s with "
                                 "%s <= min <= max, got %.200s (%s)",
                                 f->key, f->integers ? "integers" : "numbers",
                                 f->integers ? "1" : "0", got ? got : "nothing", origin);
        free(got);
        return rc;
    }
    store_range(s, f, lo, hi);
    return 0;
}

/* model_configs: an object of model key → object of fields; the fields themselves are checked
 * by the model registry, which knows them. */
static int read_model_configs(mlps_kv_settings *s, const mlps_config *cfg, const char *origin,
                              mlps_error *err)
{
    json_t *models = mlps_config_get_json(cfg, "model_configs");
    if (!models || json_is_null(models))
        return 0;
    if (!json_is_object(models))
        return mlps_fail_usage(err, -EINVAL,
                               "config key 'model_configs' must be a mapping of model key to its "
                               "fields (%s)", origin);
    const char *key;
    json_t *fields;
    json_object_foreach(models, key, fields) {
        if (!json_is_object(fields))
            return mlps_fail_usage(err, -EINVAL,
                                   "config key 'model_configs.%s' must be a mapping of fields "
                                   "such as num_layers, hidden_dim, num_heads, kv_heads (%s)",
                                   key, origin);
    }
    s->model_configs = json_deep_copy(models);
    return s->model_configs ? 0 : mlps_fail(err, -ENOMEM, "out of memory reading model_configs");
}

/* Pairs of settings whose first must not exceed the second. */
static int check_order(const char *low_key, double low, const char *high_key, double high,
                       const char *origin, mlps_error *err)
{
    if (low <= high)
        return 0;
    return mlps_fail_usage(err, -EINVAL, "config key '%s' (%.15g) must not exceed '%s' (%.15g) (%s)",
                           low_key, low, high_key, high, origin);
}

static int check_orders(const mlps_kv_settings *s, const char *origin, mlps_error *err)
{
    int rc = check_order("qos_distribution.interactive_probability", s->interactive_probability,
                         "qos_distribution.responsive_threshold", s->responsive_threshold,
                         origin, err);
    if (!rc)
        rc = check_order("rag.large_model_doc_tokens_min", s->rag_large_model_doc_tokens_min,
                         "rag.large_model_doc_tokens_max", s->rag_large_model_doc_tokens_max,
                         origin, err);
    if (!rc)
        rc = check_order("rag.small_model_doc_tokens_min", s->rag_small_model_doc_tokens_min,
                         "rag.small_model_doc_tokens_max", s->rag_small_model_doc_tokens_max,
                         origin, err);
    if (!rc)
        rc = check_order("autoscaler.min_users", s->autoscaler_min_users, "autoscaler.max_users",
                         s->autoscaler_max_users, origin, err);
    return rc;
}

int mlps_kv_settings_from_config(mlps_kv_settings *s, const mlps_config *cfg, const char *origin,
                                 mlps_error *err)
{
    char where[600];
    snprintf(where, sizeof where, "%s", origin ? origin : "defaults");
    mlps_kv_settings read;
    mlps_kv_settings_defaults(&read);
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof scalar_fields / sizeof scalar_fields[0]; i++)
        rc = read_scalar(&read, cfg, &scalar_fields[i], where, err);
    for (size_t i = 0; !rc && i < sizeof range_fields / sizeof range_fields[0]; i++)
        rc = read_range(&read, cfg, &range_fields[i], where, err);
    if (!rc) {
        read.rag_retrieval = retrieval_of(mlps_config_get_string(cfg, "rag.retrieval_distribution"));
        rc = check_orders(&read, where, err);
    }
    if (!rc)
        rc = read_model_configs(&read, cfg, where, err);
    if (rc) {
        mlps_kv_settings_free(&read);
        return rc;
    }
    mlps_kv_settings_free(s);
    *s = read;
    return 0;
}

int mlps_kv_settings_load(mlps_kv_settings *s, const char *path, mlps_error *err)
{
    mlps_config *cfg = mlps_config_new(&settings_schema);
    if (!cfg)
        return mlps_fail(err, -ENOMEM, "out of memory reading %s", path);
    int rc = mlps_config_load_file(cfg, path, err);
    if (!rc) {
        char origin[600];
        snprintf(origin, sizeof origin, "in %s", path);
        rc = mlps_kv_settings_from_config(s, cfg, origin, err);
    }
    mlps_config_free(cfg);
    return rc;
}

void mlps_kv_settings_free(mlps_kv_settings *s)
{
    json_decref(s->model_configs);
    s->model_configs = NULL;
}
