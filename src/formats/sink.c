/* Sinks and sources: the byte ends of the format writers and sample locators; see format.h. */
#include "formats/format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fill.h"

enum { SCRATCH_BYTES = 1 << 20 };

int mlps_sink_write(mlps_sink *sink, const void *data, size_t len, mlps_error *err)
{
    int rc = sink->write(sink->ctx, data, len, err);
    if (!rc)
        sink->written += len;
    return rc;
}

/* Generates into a scratch buffer, chunk by chunk, and writes each chunk. */
static int write_generated(mlps_sink *sink, uint64_t len, uint64_t seed, uint64_t stream,
                           uint64_t offset, bool random, mlps_error *err)
{
    size_t scratch_size = len < SCRATCH_BYTES ? (size_t)len : SCRATCH_BYTES;
    unsigned char *scratch = random ? malloc(scratch_size ? scratch_size : 1)
                                    : calloc(1, scratch_size ? scratch_size : 1);
    if (!scratch)
        return mlps_fail(err, -ENOMEM, "out of memory for a %zu-byte data buffer", scratch_size);
    int rc = 0;
    for (uint64_t done = 0; done < len && !rc;) {
        size_t chunk = len - done < scratch_size ? (size_t)(len - done) : scratch_size;
        if (random)
            mlps_fill_random_at(scratch, chunk, seed, stream, offset + done);
        rc = mlps_sink_write(sink, scratch, chunk, err);
        done += chunk;
    }
    free(scratch);
    return rc;
}

int mlps_sink_write_random(mlps_sink *sink, uint64_t len, uint64_t seed, uint64_t stream,
                           uint64_t offset, mlps_error *err)
{
    if (!sink->write_random)
        return write_generated(sink, len, seed, stream, offset, true, err);
    int rc = sink->write_random(sink->ctx, len, seed, stream, offset, err);
    if (!rc)
        sink->written += len;
    return rc;
}

int mlps_sink_write_zeros(mlps_sink *sink, uint64_t len, mlps_error *err)
{
    return write_generated(sink, len, 0, 0, 0, false, err);
}

static int memory_write(void *ctx, const void *data, size_t len, mlps_error *err)
{
    mlps_memory_sink *memory = ctx;
    if (memory->size + len > memory->capacity) {
        size_t capacity = memory->capacity ? memory->capacity : 4096;
        while (capacity < memory->size + len)
            capacity *= 2;
        unsigned char *grown = realloc(memory->data, capacity);
        if (!grown)
            return mlps_fail(err, -ENOMEM, "out of memory growing a %zu-byte buffer", capacity);
        memory->data = grown;
        memory->capacity = capacity;
    }
    memcpy(memory->data + memory->size, data, len);
    memory->size += len;
    return 0;
}

void mlps_memory_sink_init(mlps_sink *sink, mlps_memory_sink *memory)
{
    memset(memory, 0, sizeof *memory);
    *sink = (mlps_sink){.write = memory_write, .ctx = memory};
}

void mlps_memory_sink_free(mlps_memory_sink *memory)
{
    free(memory->data);
    memset(memory, 0, sizeof *memory);
}

int mlps_source_read(const mlps_source *source, void *buf, size_t len, uint64_t offset,
                     mlps_error *err)
{
    if (offset > source->size || len > source->size - offset)
        return mlps_fail(err, -ENODATA,
                         "%s: truncated: needed %zu bytes at offset %llu but the file has %llu",
                         source->name, len, (unsigned long long)offset,
                         (unsigned long long)source->size);
    return source->read_at(source, buf, len, offset, err);
}

static int memory_read_at(const mlps_source *source, void *buf, size_t len, uint64_t offset,
                          mlps_error *err)
{
    (void)err;
    memcpy(buf, (const unsigned char *)source->ctx + offset, len);
    return 0;
}

void mlps_memory_source_init(mlps_source *source, const void *data, size_t size, const char *name)
{
    *source = (mlps_source){.read_at = memory_read_at, .ctx = (void *)data, .size = size,
                            .name = name};
}
