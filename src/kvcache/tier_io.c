/* What every tier backend shares: the generator as a write's byte source, the aligned scratch
 * buffers bytes move through, and the pieces of a .npy entry (header, then data) the file and
 * object tiers stream out. */
#include <stdlib.h>
#include <string.h>

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

double mlps_kv_compose_npy(const char *header, size_t header_len, const mlps_kv_source *src,
                           uint8_t *buf, size_t n, uint64_t pos)
{
    size_t done = 0;
    if (pos < header_len) {
        done = header_len - (size_t)pos < n ? header_len - (size_t)pos : n;
        memcpy(buf, header + pos, done);
    }
    if (done == n)
        return 0.0;
    return src->read_at(src, buf + done, n - done, pos + done - header_len);
}
