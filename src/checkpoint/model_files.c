/* The files of one rank in write order, with the reference's names (no zero padding, ".pt") and
 * exact sizes: the model files first (one per owned layer, or one for all of them), then the
 * optimizer shard. Each file is computed on demand from the rank's description, so a caller
 * walking 1,000 ranks of 100 layers needs no list in memory. */
#include "checkpoint/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

static int name_file(mlps_checkpoint_file *file, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int name_file(mlps_checkpoint_file *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(file->name, sizeof file->name, fmt, ap);
    va_end(ap);
    return n > 0 && (size_t)n < sizeof file->name ? 0 : -ENAMETOOLONG;
}

static int layer_file(const mlps_checkpoint_layout *l, const mlps_checkpoint_rank *r,
                      uint64_t layer, mlps_checkpoint_file *out)
{
    out->kind = MLPS_CHECKPOINT_FILE_LAYER;
    out->layer = layer;
    out->bytes = mlps_checkpoint_layer_elements(l, layer) * l->params.model_dtype_bytes;
    return name_file(out, "layer_%" PRIu64 "-model_%" PRIu64 "_model_states.pt", layer, r->mp);
}

/* All of the rank's layers in one file: "model_{mp}" under ZeRO 1/2 (whole replica on DP rank
 * 0), "zero_pp_rank_{dp}_mp_rank_{mp}" under ZeRO 0/3. */
static int whole_model_file(const mlps_checkpoint_layout *l, const mlps_checkpoint_rank *r,
                            mlps_checkpoint_file *out)
{
    out->kind = MLPS_CHECKPOINT_FILE_MODEL;
    out->bytes = r->model_bytes;
    if (l->params.zero_stage == 1 || l->params.zero_stage == 2)
        return name_file(out, "model_%" PRIu64 "_model_states.pt", r->mp);
    return name_file(out, "zero_pp_rank_%" PRIu64 "_mp_rank_%" PRIu64 "_model_states.pt", r->dp,
                     r->mp);
}

static int optimizer_file(const mlps_checkpoint_rank *r, mlps_checkpoint_file *out)
{
    out->kind = MLPS_CHECKPOINT_FILE_OPTIMIZER;
    out->bytes = r->optimizer_bytes;
    return name_file(out, "zero_pp_rank_%" PRIu64 "_mp_rank_%" PRIu64 "_optim_states.pt", r->dp,
                     r->mp);
}

static int file_of(const mlps_checkpoint_layout *l, const mlps_checkpoint_rank *r, uint64_t index,
                   mlps_checkpoint_file *out)
{
    *out = (mlps_checkpoint_file){0};
    if (index >= r->file_count)
        return -ERANGE;
    if (index == r->model_file_count)
        return optimizer_file(r, out);
    if (r->model_by_layer)
        return layer_file(l, r, r->first_layer + index, out);
    return whole_model_file(l, r, out);
}

uint64_t mlps_checkpoint_rank_file_count(const mlps_checkpoint_layout *layout, uint64_t rank)
{
    mlps_checkpoint_rank r;
    return mlps_checkpoint_rank_describe(layout, rank, &r) == 0 ? r.file_count : 0;
}

int mlps_checkpoint_rank_file(const mlps_checkpoint_layout *layout, uint64_t rank, uint64_t index,
                              mlps_checkpoint_file *out)
{
    mlps_checkpoint_rank r;
    int rc = mlps_checkpoint_rank_describe(layout, rank, &r);
    if (rc != 0) {
        *out = (mlps_checkpoint_file){0};
        return rc;
    }
    return file_of(layout, &r, index, out);
}

int mlps_checkpoint_rank_files(const mlps_checkpoint_layout *layout, uint64_t rank,
                               mlps_checkpoint_file_visitor visit, void *context)
{
    mlps_checkpoint_rank r;
    if (mlps_checkpoint_rank_describe(layout, rank, &r) != 0)
        return 0;
    for (uint64_t i = 0; i < r.file_count; i++) {
        mlps_checkpoint_file file;
        int rc = file_of(layout, &r, i, &file);
        if (rc == 0)
            rc = visit(&file, context);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int mlps_checkpoint_step_name(uint64_t step, char *out, size_t size)
{
    int n = snprintf(out, size, "global_epoch1_step%" PRIu64, step);
    return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}
