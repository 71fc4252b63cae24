/* The checkpoint model's checks and shared derived values: datatype sizes, the parameter count,
 * the reference's parallelism checks with its exact messages, and the layout every rank's files
 * are computed from (model_layers.c, model_files.c, model_totals.c). */
#include "checkpoint/model.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned bytes;
} datatypes[] = {
    {"int8", 1}, {"uint8", 1}, {"fp16", 2}, {"bf16", 2}, {"fp32", 4}, {"fp64", 8},
};

unsigned mlps_checkpoint_datatype_bytes(const char *name)
{
    for (size_t i = 0; name && i < sizeof datatypes / sizeof datatypes[0]; i++)
        if (strcmp(datatypes[i].name, name) == 0)
            return datatypes[i].bytes;
    return 0;
}

const char *mlps_checkpoint_datatype_names(void) { return "int8, uint8, fp16, bf16, fp32, fp64"; }

const char *mlps_checkpoint_mode_name(mlps_checkpoint_mode mode)
{
    return mode == MLPS_CHECKPOINT_MODE_SUBSET ? "subset" : "default";
}

/* ---- the parameter count, checked against 64-bit overflow ---- */

/* a * b + c, false when it does not fit. */
static bool mul_add(uint64_t a, uint64_t b, uint64_t c, uint64_t *out)
{
    uint64_t product;
    return !__builtin_mul_overflow(a, b, &product) && !__builtin_add_overflow(product, c, out);
}

/* Elements of one full (unsharded) transformer layer: 2h + h(h + 2dkv) + h^2 + 3hf. */
static bool full_layer_elements(const mlps_checkpoint_model_params *p, uint64_t kv_dim,
                                uint64_t *out)
{
    uint64_t qkv_width, attention, squares, mlp;
    return mul_add(kv_dim, 2, p->hidden_size, &qkv_width) &&
           mul_add(p->hidden_size, qkv_width, 0, &attention) &&
           mul_add(p->hidden_size, p->hidden_size, attention, &squares) &&
           mul_add(p->hidden_size, p->ffn_hidden_size, 0, &mlp) &&
           mul_add(mlp, 3, squares, &mlp) && mul_add(p->hidden_size, 2, mlp, out);
}

uint64_t mlps_checkpoint_parameter_count(const mlps_checkpoint_model_params *p)
{
    if (!p->hidden_size || !p->num_attention_heads || !p->vocab_size || !p->num_layers)
        return 0;
    uint64_t kv_dim, layer, layers, embeddings, total;
    if (!mul_add(p->hidden_size / p->num_attention_heads, p->num_kv_heads, 0, &kv_dim) ||
        !full_layer_elements(p, kv_dim, &layer) || !mul_add(layer, p->num_layers, 0, &layers) ||
        !mul_add(p->vocab_size, p->hidden_size, 0, &embeddings) ||
        !mul_add(embeddings, 2, layers, &total) || !mul_add(total, 1, p->hidden_size, &total))
        return 0;
    return total;
}

/* ---- checks ---- */

typedef struct shape_key {
    const char *key;
    uint64_t value;
} shape_key;

static int check_shape(const mlps_checkpoint_model_params *p, mlps_error *err)
{
    const shape_key keys[] = {
        {"model.num_layers", p->num_layers},
        {"model.transformer.hidden_size", p->hidden_size},
        {"model.transformer.ffn_hidden_size", p->ffn_hidden_size},
        {"model.transformer.num_attention_heads", p->num_attention_heads},
        {"model.transformer.num_kv_heads", p->num_kv_heads},
        {"model.transformer.vocab_size", p->vocab_size},
        {"model.parallelism.tensor", p->tensor},
        {"model.parallelism.pipeline", p->pipeline},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].value == 0)
            return mlps_fail_usage(err, -EINVAL, "config key '%s' must be at least 1, got 0",
                                   keys[i].key);
    if (p->zero_stage > 3)
        return mlps_fail_usage(err, -EINVAL, "config key 'model.parallelism.zero_stage' must be "
                               "0, 1, 2 or 3, got %u", p->zero_stage);
    return 0;
}

static bool is_datatype_size(unsigned bytes)
{
    return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8;
}

static int check_datatypes(const mlps_checkpoint_model_params *p, mlps_error *err)
{
    if (!is_datatype_size(p->model_dtype_bytes))
        return mlps_fail_usage(err, -EINVAL, "model.model_datatype: %u-byte elements are not a "
                               "datatype; valid: %s", p->model_dtype_bytes,
                               mlps_checkpoint_datatype_names());
    if (!is_datatype_size(p->optimizer_dtype_bytes))
        return mlps_fail_usage(err, -EINVAL, "model.optimizer_datatype: %u-byte elements are "
                               "not a datatype; valid: %s", p->optimizer_dtype_bytes,
                               mlps_checkpoint_datatype_names());
    return 0;
}

/* The reference's checks, in its order and with its words. */
static int check_parallelism(const mlps_checkpoint_model_params *p, uint64_t comm_size,
                             mlps_error *err)
{
    uint64_t mp = p->tensor * p->pipeline;
    if (p->num_layers < p->pipeline)
        return mlps_fail_usage(err, -EINVAL, "Expected model.num_layers %llu should be larger "
                               "than model.parallelism.pipeline %llu.",
                               (unsigned long long)p->num_layers,
                               (unsigned long long)p->pipeline);
    if (p->pipeline > 1 && p->zero_stage == 3)
        return mlps_fail_usage(err, -EINVAL, "ZeRO stage 3 is not compatible with pipeline "
                               "parallelism.");
    if (p->mode == MLPS_CHECKPOINT_MODE_DEFAULT && p->data > 0)
        return mlps_fail_usage(err, -EINVAL, "workload.parallelism.data should not be set in "
                               "default Checkpoint Mode; it will be determined internally.");
    if (p->mode == MLPS_CHECKPOINT_MODE_SUBSET && p->data == 0)
        return mlps_fail_usage(err, -EINVAL, "To perform subset Checkpointing, please set a "
                               "target data parallelism: workload.parallelism.data.");
    if (p->mode == MLPS_CHECKPOINT_MODE_SUBSET &&
        (p->data > UINT64_MAX / mp || p->data * mp < comm_size))
        return mlps_fail_usage(err, -EINVAL, "Comm size: %llu is larger than 3D parallelism "
                               "size: %llu", (unsigned long long)comm_size,
                               (unsigned long long)(p->data * mp));
    if (p->mode == MLPS_CHECKPOINT_MODE_DEFAULT && comm_size % mp != 0)
        return mlps_fail_usage(err, -EINVAL, "Number of processes %llu is not a multiple of "
                               "model parallelism size: %llu", (unsigned long long)comm_size,
                               (unsigned long long)mp);
    return 0;
}

/* Every byte count is bounded by comm_size x 8 (4P + 15h): no rank holds more than P model
 * elements or 3P + 15h optimizer elements, each of at most 8 bytes. Checking that bound once
 * keeps the rest of the arithmetic free of overflow checks. */
static int check_magnitude(const mlps_checkpoint_model_params *p, uint64_t comm_size,
                           mlps_error *err)
{
    uint64_t parameters = mlps_checkpoint_parameter_count(p);
    uint64_t hidden_terms, bound;
    if (parameters == 0 || !mul_add(p->hidden_size, 15, 0, &hidden_terms) ||
        !mul_add(parameters, 4, hidden_terms, &bound) || !mul_add(bound, 8, 0, &bound) ||
        !mul_add(bound, comm_size, 0, &bound))
        return mlps_fail_usage(err, -EINVAL, "the checkpoint of this model.transformer shape "
                               "and %llu processes is too large to count in 64-bit bytes",
                               (unsigned long long)comm_size);
    return 0;
}

int mlps_checkpoint_params_check(const mlps_checkpoint_model_params *params, uint64_t comm_size,
                                 mlps_error *err)
{
    if (comm_size == 0)
        return mlps_fail_usage(err, -EINVAL, "the number of processes must be at least 1, got 0");
    if (params->mode != MLPS_CHECKPOINT_MODE_DEFAULT &&
        params->mode != MLPS_CHECKPOINT_MODE_SUBSET)
        return mlps_fail_usage(err, -EINVAL, "checkpoint.mode must be default or subset");
    int rc = check_shape(params, err);
    if (rc == 0)
        rc = check_datatypes(params, err);
    if (rc == 0 && params->tensor > UINT64_MAX / params->pipeline)
        rc = mlps_fail_usage(err, -EINVAL, "model.parallelism.tensor x pipeline does not fit in "
                             "64 bits");
    if (rc == 0)
        rc = check_parallelism(params, comm_size, err);
    if (rc == 0)
        rc = check_magnitude(params, comm_size, err);
    return rc;
}

/* ---- the layout ---- */

/* Elements of one transformer layer held by one rank: each term floored on its own. */
static uint64_t transformer_elements(const mlps_checkpoint_layout *l)
{
    const mlps_checkpoint_model_params *p = &l->params;
    uint64_t h = p->hidden_size, tp = p->tensor, s = l->sharding;
    uint64_t norms = 2 * (h / s);
    uint64_t qkv = h * (h + 2 * l->kv_dim) / tp / s;
    uint64_t dense = h * h / tp / s;
    uint64_t mlp_in = h * 2 * p->ffn_hidden_size / tp / s;
    uint64_t mlp_out = h * p->ffn_hidden_size / tp / s;
    return norms + qkv + dense + mlp_in + mlp_out;
}

static uint64_t optimizer_elements(const mlps_checkpoint_layout *l)
{
    uint64_t holders = l->params.zero_stage > 0 ? l->data_parallel * l->model_parallel
                                                : l->model_parallel;
    return l->parameters / holders;
}

int mlps_checkpoint_layout_init(mlps_checkpoint_layout *layout,
                                const mlps_checkpoint_model_params *params, uint64_t comm_size,
                                mlps_error *err)
{
    *layout = (mlps_checkpoint_layout){0};
    int rc = mlps_checkpoint_params_check(params, comm_size, err);
    if (rc != 0)
        return rc;
    mlps_checkpoint_layout *l = layout;
    l->params = *params;
    l->comm_size = comm_size;
    l->model_parallel = params->tensor * params->pipeline;
    l->data_parallel = params->mode == MLPS_CHECKPOINT_MODE_SUBSET
                           ? params->data
                           : comm_size / l->model_parallel;
    l->sharding = params->zero_stage >= 3 ? l->data_parallel : 1;
    l->head_size = params->hidden_size / params->num_attention_heads;
    l->kv_dim = l->head_size * params->num_kv_heads;
    l->parameters = mlps_checkpoint_parameter_count(params);
    l->optimizer_elements = optimizer_elements(l);
    l->embedding_elements = params->hidden_size * params->vocab_size / params->tensor / l->sharding;
    l->transformer_elements = transformer_elements(l);
    l->final_norm_elements = params->hidden_size / l->sharding;
    return 0;
}
