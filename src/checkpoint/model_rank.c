/* One rank's part of a checkpoint: its coordinates in the TP x PP x DP grid, whether it writes
 * at all, whether it holds and writes model state, and its byte and file counts. The file list
 * itself (model_files.c) is derived from this description. */
#include "checkpoint/model.h"

#include <errno.h>

/* Transformer layers (1..L) within [first, last]. */
static uint64_t transformer_layers_within(uint64_t first, uint64_t last, uint64_t layers)
{
    uint64_t low = first < 1 ? 1 : first;
    uint64_t high = last > layers ? layers : last;
    return high >= low ? high - low + 1 : 0;
}

/* Elements one rank of the stage holds over all the stage's layers. */
static uint64_t stage_elements(const mlps_checkpoint_layout *l, uint64_t first, uint64_t last)
{
    uint64_t layers = l->params.num_layers;
    uint64_t elements = transformer_layers_within(first, last, layers) * l->transformer_elements;
    if (first == 0)
        elements += l->embedding_elements;
    if (last == layers + 2)
        elements += l->embedding_elements + l->final_norm_elements;
    return elements;
}

/* Model files: one per owned layer under ZeRO 1/2 with pipeline stages, else one. */
static void count_model_files(const mlps_checkpoint_layout *l, mlps_checkpoint_rank *r)
{
    unsigned zero = l->params.zero_stage;
    r->model_by_layer = r->writes_model && (zero == 1 || zero == 2) && l->params.pipeline > 1;
    if (r->writes_model)
        r->model_file_count = r->model_by_layer ? r->last_layer - r->first_layer + 1 : 1;
}

static void place(const mlps_checkpoint_layout *l, uint64_t rank, mlps_checkpoint_rank *r)
{
    uint64_t tp = l->params.tensor;
    r->rank = rank;
    r->tp = rank % tp;
    r->pp = rank / tp % l->params.pipeline;
    r->dp = rank / l->model_parallel;
    r->mp = rank % l->model_parallel;
    mlps_checkpoint_stage_layers(l, r->pp, &r->first_layer, &r->last_layer);
}

/* ZeRO 0 keeps a single copy (ranks below TP PP); ZeRO 1 keeps model weights on DP rank 0 only;
 * ZeRO 2 holds them everywhere but writes them from DP rank 0 only; ZeRO 3 shards them. */
static void assign_roles(const mlps_checkpoint_layout *l, mlps_checkpoint_rank *r)
{
    unsigned zero = l->params.zero_stage;
    r->writes = zero != 0 || r->rank < l->model_parallel;
    r->holds_model = r->writes && !(zero == 1 && r->dp != 0);
    r->writes_model = r->holds_model && !(zero == 2 && r->dp != 0);
}

int mlps_checkpoint_rank_describe(const mlps_checkpoint_layout *layout, uint64_t rank,
                                  mlps_checkpoint_rank *out)
{
    *out = (mlps_checkpoint_rank){0};
    if (rank >= layout->comm_size)
        return -ERANGE;
    const mlps_checkpoint_layout *l = layout;
    place(l, rank, out);
    assign_roles(l, out);
    uint64_t stage_bytes =
        stage_elements(l, out->first_layer, out->last_layer) * l->params.model_dtype_bytes;
    out->held_model_bytes = out->holds_model ? stage_bytes : 0;
    out->model_bytes = out->writes_model ? stage_bytes : 0;
    bool has_optimizer = out->writes && l->optimizer_elements > 0;
    if (has_optimizer)
        out->optimizer_bytes = (3 * l->optimizer_elements + 15 * l->params.hidden_size) *
                               l->params.optimizer_dtype_bytes;
    out->bytes = out->model_bytes + out->optimizer_bytes;
    count_model_files(l, out);
    out->file_count = out->model_file_count + (has_optimizer ? 1 : 0);
    return 0;
}
