/* The checkpoint size report as JSON, for tools: every size in bytes, with GiB (the reference's
 * "GB", kept under its key checkpoint_size_GB) and GB (10^9) beside the totals. */
#include "checkpoint/datasize.h"

static double in_gib(double bytes) { return bytes / (double)(1ull << 30); }
static json_t *json_u64(uint64_t value) { return json_integer((json_int_t)value); }

static json_t *group_to_json(const mlps_checkpoint_rank_group *g)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = json_object_set_new(o, "first_rank", json_u64(g->first_rank));
    rc |= json_object_set_new(o, "last_rank", json_u64(g->last_rank));
    rc |= json_object_set_new(o, "model_bytes", json_u64(g->model_bytes));
    rc |= json_object_set_new(o, "optimizer_bytes", json_u64(g->optimizer_bytes));
    rc |= json_object_set_new(o, "bytes", json_u64(g->bytes));
    rc |= json_object_set_new(o, "GiB", json_real(in_gib((double)g->bytes)));
    rc |= json_object_set_new(o, "files", json_u64(g->files));
    if (g->model_by_layer) {
        rc |= json_object_set_new(o, "first_stage", json_u64(g->first_stage));
        rc |= json_object_set_new(o, "last_stage", json_u64(g->last_stage));
        rc |= json_object_set_new(o, "first_stage_layers",
                                  json_pack("[II]", (json_int_t)g->first_layer,
                                            (json_int_t)g->last_layer));
        rc |= json_object_set_new(o, "layer_files_each", json_u64(g->layers_each));
    }
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *groups_to_json(const mlps_checkpoint_datasize *d, const mlps_checkpoint_rank_span *s)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < s->group_count; i++)
        if (json_array_append_new(list, group_to_json(&d->groups[s->first_group + i])) != 0) {
            json_decref(list);
            return NULL;
        }
    return list;
}

static json_t *span_to_json(const mlps_checkpoint_datasize *d, const mlps_checkpoint_rank_span *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    uint64_t ranks = s->last_rank - s->first_rank + 1;
    int rc = json_object_set_new(o, "first_rank", json_u64(s->first_rank));
    rc |= json_object_set_new(o, "last_rank", json_u64(s->last_rank));
    rc |= json_object_set_new(o, "role", json_string(mlps_checkpoint_role_name(s->role)));
    rc |= json_object_set_new(o, "min_bytes", json_u64(s->min_bytes));
    rc |= json_object_set_new(o, "max_bytes", json_u64(s->max_bytes));
    rc |= json_object_set_new(o, "mean_GiB", json_real(in_gib((double)s->total_bytes / ranks)));
    rc |= json_object_set_new(o, "total_bytes", json_u64(s->total_bytes));
    rc |= json_object_set_new(o, "min_files", json_u64(s->min_files));
    rc |= json_object_set_new(o, "max_files", json_u64(s->max_files));
    rc |= json_object_set_new(o, "total_files", json_u64(s->total_files));
    rc |= json_object_set_new(o, "groups", groups_to_json(d, s));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *spans_to_json(const mlps_checkpoint_datasize *d)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < d->span_count; i++)
        if (json_array_append_new(list, span_to_json(d, &d->spans[i])) != 0) {
            json_decref(list);
            return NULL;
        }
    return list;
}

static int set_parallelism(json_t *o, const mlps_checkpoint_layout *l)
{
    int rc = json_object_set_new(o, "mode", json_string(mlps_checkpoint_mode_name(l->params.mode)));
    rc |= json_object_set_new(o, "num_processes", json_u64(l->comm_size));
    rc |= json_object_set_new(o, "tensor_parallelism", json_u64(l->params.tensor));
    rc |= json_object_set_new(o, "pipeline_parallelism", json_u64(l->params.pipeline));
    rc |= json_object_set_new(o, "data_parallelism", json_u64(l->data_parallel));
    rc |= json_object_set_new(o, "zero_stage", json_integer(l->params.zero_stage));
    rc |= json_object_set_new(o, "num_parameters", json_u64(l->parameters));
    return rc;
}

static int set_totals(json_t *o, const mlps_checkpoint_datasize *d)
{
    const mlps_checkpoint_totals *t = &d->totals;
    int rc = json_object_set_new(o, "model_bytes", json_u64(t->model_bytes));
    rc |= json_object_set_new(o, "optimizer_bytes", json_u64(t->optimizer_bytes));
    rc |= json_object_set_new(o, "total_bytes", json_u64(t->bytes));
    rc |= json_object_set_new(o, "total_GiB", json_real(in_gib((double)t->bytes)));
    rc |= json_object_set_new(o, "total_GB", json_real((double)t->bytes / 1e9));
    rc |= json_object_set_new(o, "files_per_checkpoint", json_u64(t->files));
    rc |= json_object_set_new(o, "writing_ranks", json_u64(t->writing_ranks));
    rc |= json_object_set_new(o, "checkpoint_size_GB", json_real(d->checkpoint_size_gib));
    return rc;
}

static json_t *cache_to_json(const mlps_checkpoint_datasize *d)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = json_object_set_new(o, "num_client_hosts", json_u64(d->hosts));
    rc |= json_object_set_new(o, "client_host_memory_bytes", json_u64(d->host_memory_bytes));
    rc |= json_object_set_new(o, "checkpoint_bytes_per_host", json_real(d->bytes_per_host));
    rc |= json_object_set_new(o, "checkpoint_GiB_per_host", json_real(in_gib(d->bytes_per_host)));
    rc |= json_object_set_new(o, "memory_multiple", json_integer(MLPS_CHECKPOINT_MEMORY_MULTIPLE));
    rc |= json_object_set_new(o, "drop_caches_needed", json_boolean(d->drop_caches_needed));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *mlps_checkpoint_datasize_to_json(const mlps_checkpoint_datasize *d)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = json_object_set_new(o, "model", json_string(d->model));
    rc |= set_parallelism(o, &d->layout);
    rc |= json_object_set_new(o, "ranks", spans_to_json(d));
    rc |= set_totals(o, d);
    if (d->memory_known)
        rc |= json_object_set_new(o, "page_cache", cache_to_json(d));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}
