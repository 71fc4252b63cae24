/* More helpers for the dataset format tests, on top of format_test_util.h: locating samples of
 * a file with a chosen name, sinks that fail on purpose, sources that fail part way, and the
 * file's expected random bytes. */
#ifndef MLPS_TESTS_FORMAT_WRITE_UTIL_H
#define MLPS_TESTS_FORMAT_WRITE_UTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/fill.h"
#include "format_test_util.h"
#include "formats/format.h"

/* A whole file written by a format. */
typedef struct written_file {
    mlps_memory_sink memory;
    uint64_t written; /* the sink's own count */
} written_file;

static inline const mlps_format *format_named(const char *name)
{
    const mlps_format *format = mlps_format_find(name);
    assert_non_null(format);
    assert_string_equal(format->name, name);
    return format;
}

/* Writes the file, asserting success and a file_size() that is 0 or exact. */
static inline void write_file(const char *format_name, const mlps_format_params *params,
                              const mlps_format_file *file, written_file *out)
{
    format_named(format_name);
    format_test_write(format_name, params, file, &out->memory);
    out->written = out->memory.size;
}

/* Writes the file expecting failure; returns the code and leaves the message in err. */
static inline int write_file_fails(const char *format_name, const mlps_format_params *params,
                                   const mlps_format_file *file, mlps_error *err)
{
    mlps_sink sink;
    mlps_memory_sink memory;
    mlps_memory_sink_init(&sink, &memory);
    int rc = format_named(format_name)->write(params, file, &sink, err);
    mlps_memory_sink_free(&memory);
    assert_true(rc < 0);
    assert_int_equal(err->code, rc);
    return rc;
}

static inline void written_file_free(written_file *file)
{
    mlps_memory_sink_free(&file->memory);
}

/* Locates the samples of bytes[0..size) as file `name`; extents must hold samples_per_file. */
static inline int locate_bytes(const char *format_name, const mlps_format_params *params,
                               const void *bytes, size_t size, const char *name,
                               mlps_sample_extent *extents, mlps_error *err)
{
    mlps_source source;
    mlps_memory_source_init(&source, bytes, size, name);
    return format_named(format_name)->locate_samples(params, &source, extents, err);
}

/* Asserts that message contains every one of the NULL-terminated fragments. */
static inline void assert_message_has(const char *message, ...)
{
    va_list ap;
    va_start(ap, message);
    for (const char *part; (part = va_arg(ap, const char *));)
        if (!strstr(message, part))
            fail_msg("message \"%s\" lacks \"%s\"", message, part);
    va_end(ap);
}

/* A sink that accepts `limit` bytes and then fails like a full disk. */
typedef struct failing_sink {
    uint64_t limit;
    uint64_t taken;
} failing_sink;

static inline int failing_write(void *ctx, const void *data, size_t len, mlps_error *err)
{
    (void)data;
    failing_sink *state = ctx;
    if (state->taken + len > state->limit)
        return mlps_fail(err, -ENOSPC, "test sink: no space left after %llu bytes",
                         (unsigned long long)state->taken);
    state->taken += len;
    return 0;
}

static inline mlps_sink failing_sink_make(failing_sink *state, uint64_t limit)
{
    *state = (failing_sink){.limit = limit};
    return (mlps_sink){.write = failing_write, .ctx = state};
}

/* A source over bytes in memory whose reads fail once they reach `fail_from`. */
typedef struct failing_source {
    const unsigned char *data;
    uint64_t fail_from;
} failing_source;

static inline int failing_read_at(const mlps_source *source, void *buf, size_t len,
                                  uint64_t offset, mlps_error *err)
{
    const failing_source *state = source->ctx;
    if (offset + len > state->fail_from)
        return mlps_fail(err, -EIO, "%s: test source: read error at offset %llu", source->name,
                         (unsigned long long)offset);
    memcpy(buf, state->data + offset, len);
    return 0;
}

static inline mlps_source failing_source_make(failing_source *state, const void *data,
                                              size_t size, uint64_t fail_from, const char *name)
{
    *state = (failing_source){.data = data, .fail_from = fail_from};
    return (mlps_source){.read_at = failing_read_at, .ctx = state, .size = size, .name = name};
}

/* Asserts that bytes equal mlps_fill_random_at(seed, stream, offset) for len bytes. */
static inline void assert_random_bytes(const unsigned char *bytes, size_t len, uint64_t seed,
                                       uint64_t stream, uint64_t offset)
{
    unsigned char *expected = malloc(len ? len : 1);
    assert_non_null(expected);
    mlps_fill_random_at(expected, len, seed, stream, offset);
    assert_memory_equal(bytes, expected, len);
    free(expected);
}

#endif
