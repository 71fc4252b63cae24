/* The workload source seen from the run: picks the kind the options ask for (ShareGPT, then
 * BurstGPT, then synthetic users, spec 30 §4), forwards the calls to it, and holds the rules
 * every kind shares: the phase of a request from its context length and the QoS mix. */
#include "kvcache/workload.h"

#include <string.h>

#include "core/log.h"
#include "kvcache/workload_source.h"

/* Contexts this long are written only: the reference skips their decode reads. */
#define MLPS_KV_PREFILL_ONLY_CONTEXT 10000

mlps_kv_request_phase mlps_kv_phase_for_context(int64_t context_tokens)
{
    return context_tokens >= MLPS_KV_PREFILL_ONLY_CONTEXT ? MLPS_KV_REQ_PREFILL
                                                          : MLPS_KV_REQ_PREFILL_DECODE;
}

mlps_kv_qos mlps_kv_qos_for_roll(double roll, const mlps_kv_settings *s)
{
    if (roll < s->interactive_probability)
        return MLPS_KV_QOS_INTERACTIVE;
    if (roll < s->responsive_threshold)
        return MLPS_KV_QOS_RESPONSIVE;
    return MLPS_KV_QOS_BATCH;
}

int mlps_kv_qos_priority(mlps_kv_qos qos, const mlps_kv_settings *s)
{
    return s->qos[qos].priority;
}

void mlps_kv_request_begin(mlps_kv_request *r, uint64_t id)
{
    memset(r, 0, sizeof *r);
    r->id = id;
    r->turn_number = 1;
}

void mlps_kv_request_roll_qos(mlps_kv_request *r, mlps_rng *rng, const mlps_kv_settings *s)
{
    r->qos = mlps_kv_qos_for_roll(mlps_rng_uniform(rng), s);
    r->priority = mlps_kv_qos_priority(r->qos, s);
}

static bool has_dataset(const mlps_kv_options *o)
{
    return o->dataset_path && o->dataset_path[0];
}

/* ShareGPT, or synthetic users with a warning when the dataset holds no usable pair. */
static int open_dataset_or_fallback(const mlps_kv_source_params *params, mlps_kv_source **out,
                                    mlps_error *err)
{
    int rc = mlps_kv_sharegpt_open(params, out, err);
    if (rc != 0 || *out)
        return rc;
    mlps_warn("--dataset-path %s: no human→gpt turn pair in its entries (up to "
              "--max-conversations %lld); falling back to synthetic users",
              params->options->dataset_path, (long long)params->options->max_conversations);
    rc = mlps_kv_synthetic_open(params, out, err);
    if (rc == 0)
        (*out)->fallback_from = "sharegpt";
    return rc;
}

int mlps_kv_source_open(const mlps_kv_source_params *params, mlps_kv_source **out, mlps_error *err)
{
    *out = NULL;
    if (has_dataset(params->options))
        return open_dataset_or_fallback(params, out, err);
    if (params->options->use_burst_trace)
        return mlps_kv_burst_open(params, out, err);
    return mlps_kv_synthetic_open(params, out, err);
}

void mlps_kv_source_free(mlps_kv_source *src)
{
    if (!src)
        return;
    json_decref(src->description);
    src->ops->free(src);
}

int mlps_kv_source_next(mlps_kv_source *src, uint64_t now_ns, mlps_kv_request *out,
                        uint64_t *due_ns, mlps_error *err)
{
    int rc = src->ops->next(src, now_ns, out, due_ns, err);
    if (rc == MLPS_KV_NEXT_REQUEST)
        src->requests_issued++;
    return rc;
}

void mlps_kv_source_set_active_users(mlps_kv_source *src, int users)
{
    if (src->ops->set_active_users)
        src->ops->set_active_users(src, users);
}

int mlps_kv_source_active_users(const mlps_kv_source *src)
{
    return src->ops->active_users(src);
}

const char *mlps_kv_source_mode(const mlps_kv_source *src)
{
    return src->mode;
}

struct json_t *mlps_kv_source_describe(mlps_kv_source *src)
{
    json_t *d = json_object();
    if (!d)
        return src->description;
    json_object_set_new(d, "mode", json_string(src->mode));
    if (src->fallback_from)
        json_object_set_new(d, "fallback_from", json_string(src->fallback_from));
    json_object_set_new(d, "requests_issued", json_integer((json_int_t)src->requests_issued));
    src->ops->describe(src, d);
    json_decref(src->description);
    src->description = d;
    return d;
}
