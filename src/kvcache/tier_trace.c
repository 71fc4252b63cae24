/* The trace-mode backend of every tier: no byte is moved and no time passes; each write and
 * read becomes one row of the I/O trace. A demotion logs the read of the tier it leaves (when
 * its source is taken) and the write into the next tier, both with the phase the cache gives
 * (Evict). */
#include <errno.h>
#include <stdlib.h>

#include "kvcache/tier.h"
#include "kvcache/trace.h"

typedef struct trace_backend {
    mlps_kv_backend base;
    mlps_kv_trace *trace;
} trace_backend;

static int trace_write(mlps_kv_backend *b, const mlps_kv_tier_op *op, const mlps_kv_source *src,
                       mlps_kv_io_time *time, double *source_seconds, mlps_error *err)
{
    (void)src, (void)err;
    mlps_kv_trace_op(((trace_backend *)b)->trace, true, op->shape->bytes, b->tier, op->key,
                     op->phase);
    *source_seconds = 0;
    *time = (mlps_kv_io_time){0};
    return 0;
}

static int trace_read(mlps_kv_backend *b, const mlps_kv_tier_op *op, mlps_kv_io_time *time,
                      mlps_error *err)
{
    (void)err;
    mlps_kv_trace_op(((trace_backend *)b)->trace, false, op->shape->bytes, b->tier, op->key,
                     op->phase);
    *time = (mlps_kv_io_time){0};
    return 0;
}

static double nothing_at(const mlps_kv_source *src, void *buf, size_t len, uint64_t offset)
{
    (void)src, (void)buf, (void)len, (void)offset;
    return 0.0;
}

static mlps_kv_source trace_source(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    mlps_kv_trace_op(((trace_backend *)b)->trace, false, op->shape->bytes, b->tier, op->key,
                     op->phase);
    return (mlps_kv_source){.read_at = nothing_at};
}

static void trace_remove(mlps_kv_backend *b, const mlps_kv_tier_op *op) { (void)b, (void)op; }

static void trace_destroy(mlps_kv_backend *b) { free(b); }

static const mlps_kv_backend_ops trace_ops = {
    .write = trace_write,
    .read = trace_read,
    .source = trace_source,
    .remove = trace_remove,
    .destroy = trace_destroy,
};

int mlps_kv_backend_trace_new(mlps_kv_trace *trace, mlps_kv_tier tier, mlps_kv_backend **out,
                              mlps_error *err)
{
    trace_backend *t = calloc(1, sizeof *t);
    if (!t)
        return mlps_fail(err, -ENOMEM, "trace tier: out of memory");
    t->base.ops = &trace_ops;
    t->base.tier = tier;
    t->trace = trace;
    *out = &t->base;
    return 0;
}
