/* The cpu tier: every entry is a real copy in process memory. A write copies the incoming bytes
 * in and a read copies them all out (through a scratch buffer), so both cost what moving the
 * bytes through memory costs; device, host and total time are the same number. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "kvcache/tier.h"

static double seconds_since(uint64_t start_ns)
{
    return mlps_ns_to_seconds(mlps_monotonic_ns() - start_ns);
}

static mlps_kv_io_time same_time(double seconds)
{
    return (mlps_kv_io_time){.total = seconds, .device = seconds, .host = seconds};
}

static int cpu_write(mlps_kv_backend *b, const mlps_kv_tier_op *op, const mlps_kv_source *src,
                     mlps_kv_io_time *time, double *source_seconds, mlps_error *err)
{
    (void)b;
    uint64_t bytes = op->shape->bytes;
    size_t chunk;
    uint8_t *scratch = mlps_kv_io_buffer(bytes, &chunk);
    uint64_t start = mlps_monotonic_ns();
    uint8_t *copy = malloc(bytes ? (size_t)bytes : 1);
    double seconds = seconds_since(start);
    if (!copy || !scratch) {
        free(copy);
        free(scratch);
        return mlps_fail(err, -ENOMEM, "cpu tier: no memory for entry %s (%llu bytes)", op->key,
                         (unsigned long long)bytes);
    }
    *source_seconds = 0;
    for (uint64_t off = 0; off < bytes; off += chunk) {
        size_t n = bytes - off < chunk ? (size_t)(bytes - off) : chunk;
        *source_seconds += src->read_at(src, scratch, n, off);
        start = mlps_monotonic_ns();
        memcpy(copy + off, scratch, n);
        seconds += seconds_since(start);
    }
    free(scratch);
    *op->data = copy;
    *time = same_time(seconds);
    return 0;
}

static int cpu_read(mlps_kv_backend *b, const mlps_kv_tier_op *op, mlps_kv_io_time *time,
                    mlps_error *err)
{
    (void)b;
    uint64_t bytes = op->shape->bytes;
    const uint8_t *copy = *op->data;
    size_t chunk;
    uint8_t *scratch = mlps_kv_io_buffer(bytes, &chunk);
    if (!scratch || (!copy && bytes))
        return mlps_fail(err, -ENOMEM, "cpu tier: cannot read entry %s", op->key);
    double seconds = 0;
    for (uint64_t off = 0; off < bytes; off += chunk) {
        size_t n = bytes - off < chunk ? (size_t)(bytes - off) : chunk;
        uint64_t start = mlps_monotonic_ns();
        memcpy(scratch, copy + off, n);
        seconds += seconds_since(start);
    }
    free(scratch);
    *time = same_time(seconds);
    return 0;
}

static double copy_out_at(const mlps_kv_source *src, void *buf, size_t len, uint64_t offset)
{
    uint64_t start = mlps_monotonic_ns();
    memcpy(buf, (const uint8_t *)src->data + offset, len);
    return seconds_since(start);
}

static mlps_kv_source cpu_source(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    (void)b;
    return (mlps_kv_source){.read_at = copy_out_at, .data = *op->data};
}

static void cpu_remove(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    (void)b;
    free(*op->data);
    *op->data = NULL;
}

static void cpu_destroy(mlps_kv_backend *b) { free(b); }

static const mlps_kv_backend_ops cpu_ops = {
    .write = cpu_write,
    .read = cpu_read,
    .source = cpu_source,
    .remove = cpu_remove,
    .destroy = cpu_destroy,
};

int mlps_kv_backend_cpu_new(mlps_kv_backend **out, mlps_error *err)
{
    mlps_kv_backend *b = calloc(1, sizeof *b);
    if (!b)
        return mlps_fail(err, -ENOMEM, "cpu tier: out of memory");
    b->ops = &cpu_ops;
    b->tier = MLPS_KV_TIER_CPU;
    *out = b;
    return 0;
}
