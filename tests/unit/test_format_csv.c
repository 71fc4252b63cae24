/* Tests for the csv format: pandas' to_csv text (header of column numbers, row numbers,
 * identical rows of values 0..254) built independently here from the random stream, exact
 * sizes across digit-count boundaries, row extents, and errors naming the file and offset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/fill.h"
#include "formats/format.h"
#include "format_test_util.h"

static const mlps_format_params params = {
    .samples_per_file = 12, .element_bytes = 1, .element_type = "uint8",
    .compression = "none", .seed = 3};
static const mlps_format_file file = {.index = 2, .d1 = 3, .d2 = 4}; /* 12 columns */

/* The text the file must hold, with sprintf; row_starts[k] gets row k's offset. */
static char *expected_text(const mlps_format_params *p, const mlps_format_file *f,
                           size_t *len, uint64_t *row_starts)
{
    uint64_t columns = f->d1 * f->d2;
    size_t cap = 64 + (size_t)((columns * 5 + 24) * (p->samples_per_file + 1));
    char *text = malloc(cap);
    unsigned char *bytes = malloc(columns);
    assert_non_null(text);
    assert_non_null(bytes);
    mlps_fill_random_at(bytes, columns, p->seed, f->index, 0);
    size_t n = 0;
    for (uint64_t c = 0; c < columns; c++)
        n += (size_t)sprintf(text + n, ",%llu", (unsigned long long)c);
    text[n++] = '\n';
    for (uint64_t k = 0; k < p->samples_per_file; k++) {
        row_starts[k] = n;
        n += (size_t)sprintf(text + n, "%llu", (unsigned long long)k);
        for (uint64_t c = 0; c < columns; c++)
            n += (size_t)sprintf(text + n, ",%u", (unsigned)(bytes[c] * 255u / 256u));
        text[n++] = '\n';
    }
    free(bytes);
    *len = n;
    return text;
}

static void text_is_pandas_to_csv(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("csv", &params, &file, &memory);
    uint64_t starts[12];
    size_t len;
    char *want = expected_text(&params, &file, &len, starts);
    assert_int_equal(memory.size, len);
    assert_memory_equal(memory.data, want, len);
    assert_memory_equal(memory.data, ",0,1,2,3,4,5,6,7,8,9,10,11\n0,", 29);
    assert_int_equal(mlps_format_find("csv")->file_size(&params, &file), len);

    mlps_sample_extent extents[12];
    mlps_error err = {0};
    assert_int_equal(format_test_locate("csv", &params, memory.data, memory.size, extents, &err),
                     0);
    for (int k = 0; k < 12; k++) {
        assert_int_equal(extents[k].offset, starts[k]);
        uint64_t end = k < 11 ? starts[k + 1] : len;
        assert_int_equal(extents[k].length, end - starts[k]);
    }
    free(want);
    mlps_memory_sink_free(&memory);
}

/* Rows longer than the internal chunks, and more than one write buffer in all. */
static void long_rows(void **state)
{
    (void)state;
    mlps_format_params p = params;
    p.samples_per_file = 4;
    mlps_format_file f = {.index = 9, .d1 = 300, .d2 = 301};
    mlps_memory_sink memory;
    format_test_write("csv", &p, &f, &memory);
    uint64_t starts[4];
    size_t len;
    char *want = expected_text(&p, &f, &len, starts);
    assert_int_equal(memory.size, len);
    assert_memory_equal(memory.data, want, len);
    free(want);
    mlps_memory_sink_free(&memory);
}

static void broken_files_name_the_offset(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("csv", &params, &file, &memory);
    uint64_t starts[12];
    size_t len;
    char *want = expected_text(&params, &file, &len, starts);
    mlps_sample_extent extents[12];
    mlps_error err = {0};
    int rc = format_test_locate("csv", &params, memory.data, memory.size - 1, extents, &err);
    format_test_assert_error_at(&err, rc, starts[11]);
    assert_non_null(strstr(err.message, "no newline"));

    rc = format_test_locate("csv", &params, memory.data, starts[10], extents, &err);
    format_test_assert_error_at(&err, rc, starts[10]);
    assert_non_null(strstr(err.message, "10 rows"));

    memory.data[starts[5]] = '6'; /* row 5 claims to be row 6 */
    rc = format_test_locate("csv", &params, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, starts[5]);
    memory.data[starts[5]] = '5';

    memory.data[0] = 'x';
    rc = format_test_locate("csv", &params, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, 0);
    memory.data[0] = ',';

    mlps_format_params fewer = params;
    fewer.samples_per_file = 11;
    rc = format_test_locate("csv", &fewer, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, starts[11]);
    free(want);
    mlps_memory_sink_free(&memory);

    mlps_format_params p = params;
    p.compression = "gzip";
    mlps_sink sink;
    mlps_memory_sink_init(&sink, &memory);
    rc = mlps_format_find("csv")->write(&p, &file, &sink, &err);
    format_test_assert_usage_error(&err, rc, "dataset.compression 'gzip'");
    assert_int_equal(mlps_format_find("csv")->file_size(&p, &file), 0);
    mlps_memory_sink_free(&memory);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_is_pandas_to_csv),
        cmocka_unit_test(long_rows),
        cmocka_unit_test(broken_files_name_the_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
