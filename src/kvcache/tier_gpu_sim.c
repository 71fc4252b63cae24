/* The simulated gpu tier: no memory, no sleeping. An entry is only a size, and moving it in or
 * out costs bytes / (bandwidth GiB/s) of simulated time. Demoting an entry re-creates its bytes
 * from its generator, which is exactly what was "written". */
#include <errno.h>
#include <stdlib.h>

#include "kvcache/tier.h"

typedef struct gpu_sim {
    mlps_kv_backend base;
    double bytes_per_second; /* bandwidth GiB/s × 2^30 */
} gpu_sim;

static mlps_kv_io_time simulated(const gpu_sim *g, uint64_t bytes)
{
    double seconds = (double)bytes / g->bytes_per_second;
    return (mlps_kv_io_time){.total = seconds, .device = seconds, .host = seconds};
}

static int gpu_write(mlps_kv_backend *b, const mlps_kv_tier_op *op, const mlps_kv_source *src,
                     mlps_kv_io_time *time, double *source_seconds, mlps_error *err)
{
    (void)src, (void)err;
    *source_seconds = 0;
    *time = simulated((gpu_sim *)b, op->shape->bytes);
    return 0;
}

static int gpu_read(mlps_kv_backend *b, const mlps_kv_tier_op *op, mlps_kv_io_time *time,
                    mlps_error *err)
{
    (void)err;
    *time = simulated((gpu_sim *)b, op->shape->bytes);
    return 0;
}

static double regenerate_at(const mlps_kv_source *src, void *buf, size_t len, uint64_t offset)
{
    mlps_kv_entry_fill(src->gen, buf, len, offset);
    return (double)len / src->bytes_per_second;
}

static mlps_kv_source gpu_source(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    return (mlps_kv_source){.read_at = regenerate_at,
                            .gen = op->gen,
                            .bytes_per_second = ((gpu_sim *)b)->bytes_per_second};
}

static void gpu_remove(mlps_kv_backend *b, const mlps_kv_tier_op *op) { (void)b, (void)op; }

static void gpu_destroy(mlps_kv_backend *b) { free(b); }

static const mlps_kv_backend_ops gpu_ops = {
    .write = gpu_write,
    .read = gpu_read,
    .source = gpu_source,
    .remove = gpu_remove,
    .destroy = gpu_destroy,
};

int mlps_kv_backend_gpu_sim_new(double bandwidth_gib_s, mlps_kv_backend **out, mlps_error *err)
{
    if (!(bandwidth_gib_s > 0))
        return mlps_fail_usage(err, -EINVAL,
                               "--gpu-bandwidth-gbs %g: the simulated gpu needs a bandwidth > 0",
                               bandwidth_gib_s);
    gpu_sim *g = calloc(1, sizeof *g);
    if (!g)
        return mlps_fail(err, -ENOMEM, "gpu tier: out of memory");
    g->base.ops = &gpu_ops;
    g->base.tier = MLPS_KV_TIER_GPU;
    g->bytes_per_second = bandwidth_gib_s * 1073741824.0;
    *out = &g->base;
    return 0;
}
