/* Shared helpers for the format tests: write a file into memory, locate its samples from
 * memory, and check that an error names the file and the offset it is about. */
#ifndef MLPS_TESTS_FORMAT_TEST_UTIL_H
#define MLPS_TESTS_FORMAT_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "formats/format.h"

#define FORMAT_TEST_FILE_NAME "mem://dataset/train/img_1_of_4"

/* Writes the file with format `name` into memory (freed by the caller with
 * mlps_memory_sink_free) and checks that file_size() announced its exact size (unless the
 * format said 0). */
static inline void format_test_write(const char *name, const mlps_format_params *params,
                                     const mlps_format_file *file, mlps_memory_sink *memory)
{
    const mlps_format *format = mlps_format_find(name);
    assert_non_null(format);
    mlps_sink sink;
    mlps_error err = {0};
    mlps_memory_sink_init(&sink, memory);
    int rc = format->write(params, file, &sink, &err);
    if (rc)
        fail_msg("%s write: %s", name, err.message);
    assert_int_equal(sink.written, memory->size);
    uint64_t announced = format->file_size(params, file);
    if (announced)
        assert_int_equal(announced, memory->size);
}

static inline int format_test_locate(const char *name, const mlps_format_params *params,
                                     const void *data, size_t size, mlps_sample_extent *extents,
                                     mlps_error *err)
{
    mlps_source source;
    mlps_memory_source_init(&source, data, size, FORMAT_TEST_FILE_NAME);
    mlps_error_clear(err);
    return mlps_format_find(name)->locate_samples(params, &source, extents, err);
}

/* The error is a run failure that names the test file and says "offset <offset>". */
static inline void format_test_assert_error_at(const mlps_error *err, int rc,
                                               unsigned long long offset)
{
    char needle[64];
    snprintf(needle, sizeof needle, "offset %llu", offset);
    assert_true(rc < 0);
    if (!strstr(err->message, FORMAT_TEST_FILE_NAME) || !strstr(err->message, needle))
        fail_msg("error does not name the file and '%s': %s", needle, err->message);
    assert_int_equal(err->exit_status, MLPS_EXIT_RUN_FAILED);
}

/* A usage error (exit status 2) whose message contains `needle`. */
static inline void format_test_assert_usage_error(const mlps_error *err, int rc,
                                                  const char *needle)
{
    assert_true(rc < 0);
    assert_int_equal(err->exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err->message, needle))
        fail_msg("usage error lacks '%s': %s", needle, err->message);
}

#endif
