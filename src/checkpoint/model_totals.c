/* A whole checkpoint: bytes and files summed over every rank that exists, and the size the
 * reference reports as checkpoint_size_GB. Each rank is described in constant time, so summing
 * is linear in the process count only. */
#include "checkpoint/model.h"

void mlps_checkpoint_totals_compute(const mlps_checkpoint_layout *layout,
                                    mlps_checkpoint_totals *out)
{
    *out = (mlps_checkpoint_totals){0};
    for (uint64_t rank = 0; rank < layout->comm_size; rank++) {
        mlps_checkpoint_rank r;
        mlps_checkpoint_rank_describe(layout, rank, &r);
        out->model_bytes += r.model_bytes;
        out->optimizer_bytes += r.optimizer_bytes;
        out->reported_bytes += r.held_model_bytes + r.optimizer_bytes;
        out->files += r.file_count;
        out->writing_ranks += r.file_count > 0;
        if (r.bytes > out->max_rank_bytes)
            out->max_rank_bytes = r.bytes;
    }
    out->bytes = out->model_bytes + out->optimizer_bytes;
}

double mlps_checkpoint_size_gib(const mlps_checkpoint_totals *totals)
{
    return (double)totals->reported_bytes / (double)(1ull << 30);
}
