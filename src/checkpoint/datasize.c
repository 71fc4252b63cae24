/* Computing the checkpoint size report: one pass over the ranks that starts a new span when the
 * role changes and a new group when a rank's files differ from its predecessor's, then the
 * page-cache condition. The lists grow geometrically; they hold a handful of entries for every
 * shipped workload. */
#include "checkpoint/datasize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mlps_checkpoint_role_name(mlps_checkpoint_role role)
{
    switch (role) {
    case MLPS_CHECKPOINT_ROLE_MODEL_AND_OPTIMIZER: return "model and optimizer";
    case MLPS_CHECKPOINT_ROLE_OPTIMIZER_ONLY: return "optimizer only";
    case MLPS_CHECKPOINT_ROLE_MODEL_ONLY: return "model only";
    case MLPS_CHECKPOINT_ROLE_NOTHING: return "nothing";
    }
    return "nothing";
}

static mlps_checkpoint_role role_of(const mlps_checkpoint_rank *r)
{
    bool optimizer = r->file_count > r->model_file_count;
    if (r->writes_model)
        return optimizer ? MLPS_CHECKPOINT_ROLE_MODEL_AND_OPTIMIZER
                         : MLPS_CHECKPOINT_ROLE_MODEL_ONLY;
    return optimizer ? MLPS_CHECKPOINT_ROLE_OPTIMIZER_ONLY : MLPS_CHECKPOINT_ROLE_NOTHING;
}

/* Grows *items (of item_size bytes, *count used of *capacity) by one zeroed entry. */
static void *append(void **items, size_t item_size, size_t *count, size_t *capacity)
{
    if (*count == *capacity) {
        size_t grown = *capacity ? 2 * *capacity : 8;
        void *larger = realloc(*items, grown * item_size);
        if (!larger)
            return NULL;
        *items = larger;
        *capacity = grown;
    }
    void *item = (char *)*items + (*count)++ * item_size;
    memset(item, 0, item_size);
    return item;
}

typedef struct grouping {
    mlps_checkpoint_datasize *out;
    size_t span_capacity, group_capacity;
} grouping;

static bool same_files(const mlps_checkpoint_rank_group *g, const mlps_checkpoint_rank *r)
{
    return g->model_bytes == r->model_bytes && g->optimizer_bytes == r->optimizer_bytes &&
           g->files == r->file_count;
}

static mlps_checkpoint_rank_span *open_span(grouping *g, const mlps_checkpoint_rank *r)
{
    mlps_checkpoint_datasize *d = g->out;
    mlps_checkpoint_rank_span *span = append((void **)&d->spans, sizeof *span, &d->span_count,
                                             &g->span_capacity);
    if (span) {
        span->role = role_of(r);
        span->first_rank = r->rank;
        span->min_bytes = span->max_bytes = r->bytes;
        span->min_files = span->max_files = r->file_count;
        span->first_group = d->group_count;
    }
    return span;
}

static mlps_checkpoint_rank_group *open_group(grouping *g, const mlps_checkpoint_rank *r)
{
    mlps_checkpoint_datasize *d = g->out;
    mlps_checkpoint_rank_group *group = append((void **)&d->groups, sizeof *group,
                                               &d->group_count, &g->group_capacity);
    if (group) {
        *group = (mlps_checkpoint_rank_group){
            .first_rank = r->rank, .model_bytes = r->model_bytes,
            .optimizer_bytes = r->optimizer_bytes, .bytes = r->bytes, .files = r->file_count,
            .model_by_layer = r->model_by_layer, .first_stage = r->pp,
            .first_layer = r->first_layer, .last_layer = r->last_layer,
            .layers_each = r->model_by_layer ? r->model_file_count : 0};
        d->spans[d->span_count - 1].group_count++;
    }
    return group;
}

static void count_rank(mlps_checkpoint_rank_span *span, mlps_checkpoint_rank_group *group,
                       const mlps_checkpoint_rank *r)
{
    group->last_rank = span->last_rank = r->rank;
    group->last_stage = r->pp;
    span->total_bytes += r->bytes;
    span->total_files += r->file_count;
    if (r->bytes < span->min_bytes)
        span->min_bytes = r->bytes;
    if (r->bytes > span->max_bytes)
        span->max_bytes = r->bytes;
    if (r->file_count < span->min_files)
        span->min_files = r->file_count;
    if (r->file_count > span->max_files)
        span->max_files = r->file_count;
}

static int group_ranks(grouping *g, mlps_error *err)
{
    mlps_checkpoint_datasize *d = g->out;
    mlps_checkpoint_rank_span *span = NULL;
    mlps_checkpoint_rank_group *group = NULL;
    for (uint64_t rank = 0; rank < d->layout.comm_size; rank++) {
        mlps_checkpoint_rank r;
        mlps_checkpoint_rank_describe(&d->layout, rank, &r);
        bool new_span = !span || span->role != role_of(&r);
        if (new_span && !(span = open_span(g, &r)))
            return mlps_fail(err, -ENOMEM, "out of memory grouping checkpoint ranks");
        if ((new_span || !same_files(group, &r)) && !(group = open_group(g, &r)))
            return mlps_fail(err, -ENOMEM, "out of memory grouping checkpoint ranks");
        count_rank(span, group, &r);
    }
    return 0;
}

static int check_cache(const mlps_checkpoint_datasize_request *request,
                       mlps_checkpoint_datasize *d, mlps_error *err)
{
    if (!request->hosts && !request->host_memory_bytes)
        return 0;
    if (!request->hosts || !request->host_memory_bytes)
        return mlps_fail_usage(err, -EINVAL, "the page-cache check needs both the number of "
                               "client hosts and the memory of one host (got %llu hosts of "
                               "%llu B)", (unsigned long long)request->hosts,
                               (unsigned long long)request->host_memory_bytes);
    d->memory_known = true;
    d->hosts = request->hosts;
    d->host_memory_bytes = request->host_memory_bytes;
    d->bytes_per_host = (double)d->totals.bytes / (double)d->hosts;
    d->cache_limit_bytes = MLPS_CHECKPOINT_MEMORY_MULTIPLE * (double)d->host_memory_bytes;
    d->drop_caches_needed = d->bytes_per_host < d->cache_limit_bytes;
    return 0;
}

int mlps_checkpoint_datasize_compute(const mlps_checkpoint_layout *layout,
                                     const mlps_checkpoint_datasize_request *request,
                                     mlps_checkpoint_datasize *out, mlps_error *err)
{
    *out = (mlps_checkpoint_datasize){.layout = *layout};
    snprintf(out->model, sizeof out->model, "%s", request->model ? request->model : "");
    mlps_checkpoint_totals_compute(layout, &out->totals);
    out->checkpoint_size_gib = mlps_checkpoint_size_gib(&out->totals);
    grouping g = {.out = out};
    int rc = group_ranks(&g, err);
    if (rc == 0)
        rc = check_cache(request, out, err);
    if (rc != 0)
        mlps_checkpoint_datasize_free(out);
    return rc;
}

void mlps_checkpoint_datasize_free(mlps_checkpoint_datasize *datasize)
{
    free(datasize->spans);
    free(datasize->groups);
    datasize->spans = NULL;
    datasize->groups = NULL;
    datasize->span_count = datasize->group_count = 0;
}
