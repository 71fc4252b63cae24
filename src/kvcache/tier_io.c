/* What every tier backend shares: the generator as a write's byte source, and the aligned
 * scratch buffers bytes move through. */
#include <stdlib.h>

#include "kvcache/tier.h"

static double generate_at(const mlps_kv_source *src, void *buf, size_t len, uint64_t offset)
{
    mlps_kv_entry_fill(src->gen, buf, len, offset);
    return 0.0;
}

mlps_kv_source mlps_kv_generator_source(const mlps_kv_entry_gen *gen)
{
    return (mlps_kv_source){.read_at = generate_at, .gen = gen};
}

void *mlps_kv_io_buffer(uint64_t bytes, size_t *size)
{
    uint64_t want = bytes < MLPS_KV_IO_CHUNK_BYTES ? bytes : MLPS_KV_IO_CHUNK_BYTES;
    want = (want + MLPS_KV_IO_ALIGN - 1) / MLPS_KV_IO_ALIGN * MLPS_KV_IO_ALIGN;
    if (want == 0)
        want = MLPS_KV_IO_ALIGN;
    void *buf = NULL;
    if (posix_memalign(&buf, MLPS_KV_IO_ALIGN, (size_t)want) != 0)
        return NULL;
    *size = (size_t)want;
    return buf;
}
