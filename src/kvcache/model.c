/* KV-cache models: the reference's nine built-in shapes, the YAML's model_configs merged over
 * them, and the per-token and per-entry sizes every other part of the benchmark derives from
 * them (see model.h). */
#include "kvcache/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mlps_kv_model builtin_models[] = {
    {"tiny-1b", "Tiny 1B", 12, 1024, 8, 4, 0, "float16", MLPS_KV_ATTN_GQA, 0, 0},
    {"mistral-7b", "Mistral 7B", 32, 4096, 32, 8, 0, "float16", MLPS_KV_ATTN_GQA, 0, 0},
    {"llama2-7b", "Llama 2 7B", 32, 4096, 32, 32, 0, "float16", MLPS_KV_ATTN_MHA, 0, 0},
    {"llama3.1-8b", "Llama 3.1 8B", 32, 4096, 32, 8, 0, "float16", MLPS_KV_ATTN_GQA, 0, 0},
    {"llama3.1-70b-instruct", "Llama 3.1 70B Instruct", 80, 8192, 64, 8, 0, "float16",
     MLPS_KV_ATTN_GQA, 0, 0},
    {"deepseek-v3", "DeepSeek V3", 61, 7168, 128, 128, 0, "float16", MLPS_KV_ATTN_MLA, 512, 64},
    {"qwen3-32b", "Qwen3 32B", 64, 5120, 64, 8, 128, "float16", MLPS_KV_ATTN_GQA, 0, 0},
    {"gpt-oss-120b", "GPT OSS 120B (MoE)", 36, 2880, 64, 8, 64, "float16", MLPS_KV_ATTN_GQA, 0, 0},
    {"gpt-oss-20b", "GPT OSS 20B (MoE)", 24, 2880, 64, 8, 64, "float16", MLPS_KV_ATTN_GQA, 0, 0},
};
#define BUILTIN_COUNT (sizeof builtin_models / sizeof builtin_models[0])

/* What a model defined only in YAML starts from (the reference's fallbacks). */
static const mlps_kv_model new_model_defaults = {
    "", "", 32, 4096, 32, 8, 0, "float16", MLPS_KV_ATTN_MHA, 0, 0,
};

size_t mlps_kv_builtin_model_count(void) { return BUILTIN_COUNT; }

static const char *const model_field_names =
    "name, num_layers, hidden_dim, num_heads, kv_heads, dtype, kv_dim_per_head, attention_type, "
    "kv_lora_rank, qk_rope_head_dim";

static int field_error(mlps_error *err, const char *key, const char *field, const char *what)
{
    return mlps_fail_usage(err, -EINVAL, "model_configs.%s.%s: %s", key, field, what);
}

static int read_string_field(const json_t *value, char *out, size_t size, const char *key,
                             const char *field, mlps_error *err)
{
    if (!json_is_string(value))
        return field_error(err, key, field, "must be a string");
    if (json_string_length(value) == 0 || json_string_length(value) >= size)
        return field_error(err, key, field, "must be a non-empty string of reasonable length");
    snprintf(out, size, "%s", json_string_value(value));
    return 0;
}

/* Integers in [min, 2^31); a YAML float with an integral value is accepted too. */
static int read_int_field(const json_t *value, int min, int *out, const char *key,
                          const char *field, mlps_error *err)
{
    double number;
    if (json_is_integer(value))
        number = (double)json_integer_value(value);
    else if (json_is_real(value) && floor(json_real_value(value)) == json_real_value(value))
        number = json_real_value(value);
    else
        return field_error(err, key, field, "must be an integer");
    if (number < min || number > 2147483647.0) {
        char what[64];
        snprintf(what, sizeof what, "must be an integer >= %d", min);
        return field_error(err, key, field, what);
    }
    *out = (int)number;
    return 0;
}

static int read_attention_field(const json_t *value, mlps_kv_attention *out, const char *key,
                                mlps_error *err)
{
    static const char *const names[] = {"mha", "gqa", "mla"};
    if (json_is_string(value))
        for (int i = 0; i < 3; i++)
            if (strcmp(json_string_value(value), names[i]) == 0) {
                *out = (mlps_kv_attention)i;
                return 0;
            }
    return field_error(err, key, "attention_type", "must be one of mha, gqa, mla");
}

static int apply_field(mlps_kv_model *m, const char *key, const char *field, const json_t *value,
                       mlps_error *err)
{
    struct int_field {
        const char *name;
        int *target;
        int min;
    } ints[] = {
        {"num_layers", &m->num_layers, 1},         {"hidden_dim", &m->hidden_dim, 1},
        {"num_heads", &m->num_heads, 1},           {"kv_heads", &m->kv_heads, 1},
        {"kv_dim_per_head", &m->kv_dim_per_head, 0}, {"kv_lora_rank", &m->kv_lora_rank, 0},
        {"qk_rope_head_dim", &m->qk_rope_head_dim, 0},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (strcmp(field, ints[i].name) == 0)
            return read_int_field(value, ints[i].min, ints[i].target, key, field, err);
    if (strcmp(field, "name") == 0)
        return read_string_field(value, m->name, sizeof m->name, key, field, err);
    if (strcmp(field, "dtype") == 0)
        return read_string_field(value, m->dtype, sizeof m->dtype, key, field, err);
    if (strcmp(field, "attention_type") == 0)
        return read_attention_field(value, &m->attention, key, err);
    return mlps_fail_usage(err, -EINVAL, "model_configs.%s.%s: unknown field (valid: %s)", key,
                           field, model_field_names);
}

/* A model whose entries would have no bytes cannot be benchmarked. */
static int check_model(const mlps_kv_model *m, mlps_error *err)
{
    if (m->attention == MLPS_KV_ATTN_MLA && m->kv_lora_rank + (int64_t)m->qk_rope_head_dim <= 0)
        return field_error(err, m->key, "kv_lora_rank",
                           "an mla model needs kv_lora_rank + qk_rope_head_dim > 0");
    if (m->attention != MLPS_KV_ATTN_MLA && mlps_kv_model_head_dim(m) <= 0)
        return field_error(err, m->key, "hidden_dim",
                           "hidden_dim / num_heads must be at least 1 (or set kv_dim_per_head)");
    return 0;
}

static mlps_kv_model *find_or_add(mlps_kv_model_set *set, const char *key, mlps_error *err)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->models[i].key, key) == 0)
            return &set->models[i];
    if (strlen(key) == 0 || strlen(key) >= MLPS_KV_MODEL_KEY_MAX) {
        mlps_fail_usage(err, -EINVAL, "model_configs.%s: a model key must have 1 to %d characters",
                        key, MLPS_KV_MODEL_KEY_MAX - 1);
        return NULL;
    }
    mlps_kv_model *grown = realloc(set->models, (set->count + 1) * sizeof *grown);
    if (!grown) {
        mlps_fail(err, -ENOMEM, "model_configs.%s: out of memory", key);
        return NULL;
    }
    set->models = grown;
    mlps_kv_model *m = &set->models[set->count++];
    *m = new_model_defaults;
    snprintf(m->key, sizeof m->key, "%s", key);
    snprintf(m->name, sizeof m->name, "%s", key);
    return m;
}

static int merge_model(mlps_kv_model_set *set, const char *key, const json_t *fields,
                       mlps_error *err)
{
    if (!json_is_object(fields))
        return mlps_fail_usage(err, -EINVAL, "model_configs.%s: must be a mapping of %s", key,
                               model_field_names);
    mlps_kv_model *m = find_or_add(set, key, err);
    if (!m)
        return err ? err->code : -EINVAL;
    const char *field;
    json_t *value;
    json_object_foreach((json_t *)fields, field, value) {
        int rc = apply_field(m, key, field, value, err);
        if (rc)
            return rc;
    }
    return check_model(m, err);
}

int mlps_kv_models_init(mlps_kv_model_set *set, const json_t *model_configs, mlps_error *err)
{
    set->count = BUILTIN_COUNT;
    set->models = malloc(sizeof builtin_models);
    if (!set->models)
        return mlps_fail(err, -ENOMEM, "model table: out of memory");
    memcpy(set->models, builtin_models, sizeof builtin_models);
    if (!model_configs || json_is_null(model_configs))
        return 0;
    int rc = 0;
    if (!json_is_object(model_configs)) {
        rc = mlps_fail_usage(err, -EINVAL,
                             "model_configs: must be a mapping of model key to fields (%s)",
                             model_field_names);
    } else {
        const char *key;
        json_t *fields;
        json_object_foreach((json_t *)model_configs, key, fields) {
            if ((rc = merge_model(set, key, fields, err)) != 0)
                break;
        }
    }
    if (rc)
        mlps_kv_models_free(set);
    return rc;
}

void mlps_kv_models_free(mlps_kv_model_set *set)
{
    free(set->models);
    set->models = NULL;
    set->count = 0;
}

const mlps_kv_model *mlps_kv_models_find(const mlps_kv_model_set *set, const char *key)
{
    for (size_t i = 0; key && i < set->count; i++)
        if (strcmp(set->models[i].key, key) == 0)
            return &set->models[i];
    return NULL;
}

int mlps_kv_models_unknown(const mlps_kv_model_set *set, const char *key, mlps_error *err)
{
    char valid[MLPS_ERROR_MESSAGE_MAX / 2] = "";
    size_t used = 0;
    for (size_t i = 0; i < set->count && used < sizeof valid; i++) {
        int n = snprintf(valid + used, sizeof valid - used, "%s%s", i ? ", " : "",
                         set->models[i].key);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return mlps_fail_usage(err, -EINVAL, "--model %s: unknown model (valid: %s)", key ? key : "",
                           valid);
}

int mlps_kv_model_head_dim(const mlps_kv_model *m)
{
    if (m->kv_dim_per_head > 0)
        return m->kv_dim_per_head;
    return m->num_heads > 0 ? m->hidden_dim / m->num_heads : 0;
}

int mlps_kv_model_dtype_bytes(const mlps_kv_model *m)
{
    if (strcmp(m->dtype, "float32") == 0)
        return 4;
    if (strcmp(m->dtype, "int8") == 0)
        return 1;
    return 2; /* float16, bfloat16 and anything unknown */
}

int mlps_kv_model_element_bytes(const mlps_kv_model *m)
{
    return strstr(m->dtype, "float16") ? 2 : 4;
}

uint64_t mlps_kv_model_bytes_per_token(const mlps_kv_model *m)
{
    uint64_t dtype = (uint64_t)mlps_kv_model_dtype_bytes(m);
    if (m->attention == MLPS_KV_ATTN_MLA)
        return (uint64_t)m->num_layers * (uint64_t)(m->kv_lora_rank + m->qk_rope_head_dim) * dtype;
    return (uint64_t)m->num_layers * (uint64_t)m->kv_heads * (uint64_t)mlps_kv_model_head_dim(m) *
           2u * dtype;
}

mlps_kv_entry_shape mlps_kv_model_entry_shape(const mlps_kv_model *m, uint64_t tokens,
                                              int tensor_parallel)
{
    mlps_kv_entry_shape s = {0};
    if (m->attention == MLPS_KV_ATTN_MLA) {
        s.ndims = 3;
        s.dims[0] = (uint64_t)m->num_layers;
        s.dims[1] = tokens;
        s.dims[2] = (uint64_t)(m->kv_lora_rank + m->qk_rope_head_dim);
    } else {
        s.ndims = 5;
        s.dims[0] = (uint64_t)m->num_layers;
        s.dims[1] = 2;
        s.dims[2] = tokens;
        s.dims[3] = (uint64_t)m->kv_heads;
        s.dims[4] = (uint64_t)mlps_kv_model_head_dim(m);
    }
    s.elements = 1;
    for (int i = 0; i < s.ndims; i++)
        s.elements *= s.dims[i];
    if (tensor_parallel > 1) {
        s.elements /= (uint64_t)tensor_parallel;
        s.ndims = 1;
        memset(s.dims, 0, sizeof s.dims);
        s.dims[0] = s.elements;
    }
    s.element_bytes = mlps_kv_model_element_bytes(m);
    s.bytes = s.elements * (uint64_t)s.element_bytes;
    return s;
}
