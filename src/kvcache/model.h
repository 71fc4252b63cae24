/* KV-cache models: the nine built-in LLM shapes of the reference, models defined in YAML merged
 * over them, and the bytes of KV cache one token costs (MHA/GQA: layers × kv_heads × head_dim ×
 * 2 × dtype bytes; MLA: layers × (kv_lora_rank + qk_rope_head_dim) × dtype bytes). */
#ifndef MLPS_KVCACHE_MODEL_H
#define MLPS_KVCACHE_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define MLPS_KV_MODEL_KEY_MAX 64

typedef enum mlps_kv_attention { MLPS_KV_ATTN_MHA, MLPS_KV_ATTN_GQA, MLPS_KV_ATTN_MLA } mlps_kv_attention;

typedef struct mlps_kv_model {
    char key[MLPS_KV_MODEL_KEY_MAX];  /* "llama3.1-8b" */
    char name[96];                    /* "Llama 3.1 8B" */
    int num_layers, hidden_dim, num_heads, kv_heads;
    int kv_dim_per_head; /* head_dim override when > 0, else hidden_dim / num_heads */
    char dtype[16];      /* "float16", "bfloat16", "float32", "int8" */
    mlps_kv_attention attention;
    int kv_lora_rank, qk_rope_head_dim; /* MLA only */
} mlps_kv_model;

typedef struct mlps_kv_model_set {
    mlps_kv_model *models;
    size_t count;
} mlps_kv_model_set;

/* The built-ins (exactly 9) with the YAML's model_configs (NULL or an object of key → fields)
 * merged over them: fields override a built-in's, new keys add models. A bad field is a usage
 * error naming model_configs.<key>.<field>. */
int mlps_kv_models_init(mlps_kv_model_set *set, const json_t *model_configs, mlps_error *err);
void mlps_kv_models_free(mlps_kv_model_set *set);
size_t mlps_kv_builtin_model_count(void);

/* NULL when absent; mlps_kv_models_unknown then writes the usage error listing valid keys. */
const mlps_kv_model *mlps_kv_models_find(const mlps_kv_model_set *set, const char *key);
int mlps_kv_models_unknown(const mlps_kv_model_set *set, const char *key, mlps_error *err);

int mlps_kv_model_head_dim(const mlps_kv_model *m);
int mlps_kv_model_dtype_bytes(const mlps_kv_model *m);   /* float32 4, float16/bfloat16 2, int8 1, else 2 */
int mlps_kv_model_element_bytes(const mlps_kv_model *m); /* stored: 2 if dtype contains "float16", else 4 */
uint64_t mlps_kv_model_bytes_per_token(const mlps_kv_model *m);

/* The stored array for an entry of `tokens` tokens split `tensor_parallel` ways: its shape
 * (5-D (L,2,T,kvh,hd) or 3-D MLA (L,T,r); 1-D of ⌊elements/TP⌋ when TP > 1) and its bytes. */
typedef struct mlps_kv_entry_shape {
    int ndims;
    uint64_t dims[5];
    uint64_t elements;
    int element_bytes;
    uint64_t bytes;
} mlps_kv_entry_shape;
mlps_kv_entry_shape mlps_kv_model_entry_shape(const mlps_kv_model *m, uint64_t tokens,
                                              int tensor_parallel);

#endif
