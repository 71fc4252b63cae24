/* Tests for the indexed_binary format: raw samples from the random stream, exact size, the
 * offset and size companions (DLIO's names beside the data file, little-endian u64), sample
 * extents, and the error for a file that does not divide into its samples. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/fill.h"
#include "formats/format.h"
#include "format_test_util.h"

static const mlps_format_params params = {
    .samples_per_file = 5, .element_bytes = 2, .element_type = "uint16", .compression = "none",
    .seed = 12};
static const mlps_format_file file = {.index = 7, .d1 = 3, .d2 = 10}; /* 60-byte samples */

static void data_is_the_random_stream(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("indexed_binary", &params, &file, &memory);
    assert_int_equal(memory.size, 300);
    unsigned char want[300];
    mlps_fill_random_at(want, sizeof want, params.seed, file.index, 0);
    assert_memory_equal(memory.data, want, sizeof want);
    mlps_sample_extent extents[5];
    mlps_error err = {0};
    assert_int_equal(
        format_test_locate("indexed_binary", &params, memory.data, memory.size, extents, &err),
        0);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(extents[k].offset, 60 * k);
        assert_int_equal(extents[k].length, 60);
    }
    int rc =
        format_test_locate("indexed_binary", &params, memory.data, memory.size - 1, extents, &err);
    assert_true(rc < 0);
    assert_non_null(strstr(err.message, FORMAT_TEST_FILE_NAME));
    assert_non_null(strstr(err.message, "299 bytes"));
    mlps_memory_sink_free(&memory);
}

static void companions(void **state)
{
    (void)state;
    const mlps_format *format = mlps_format_find("indexed_binary");
    char path[128];
    mlps_error err = {0};
    assert_int_equal(format->companion_count, 2);
    assert_int_equal(format->companion_path(0, "train", "train/2/img_7_of_9.indexed_binary",
                                            path, sizeof path, &err),
                     0);
    assert_string_equal(path, "train/2/img_7_of_9.indexed_binary.off.idx");
    assert_int_equal(format->companion_path(1, "train", "train/2/img_7_of_9.indexed_binary",
                                            path, sizeof path, &err),
                     0);
    assert_string_equal(path, "train/2/img_7_of_9.indexed_binary.sz.idx");
    assert_int_equal(format->companion_path(2, "train", "x", path, sizeof path, &err), -EINVAL);

    for (unsigned which = 0; which < 2; which++) {
        mlps_memory_sink memory;
        mlps_sink sink;
        mlps_memory_sink_init(&sink, &memory);
        assert_int_equal(format->write_companion(&params, &file, which, &sink, &err), 0);
        assert_int_equal(memory.size, 40);
        for (unsigned k = 0; k < 5; k++) {
            unsigned char want[8] = {0};
            want[0] = (unsigned char)(which == 0 ? 60 * k : 60);
            want[1] = (unsigned char)(which == 0 ? (60 * k) >> 8 : 0);
            assert_memory_equal(memory.data + 8 * k, want, 8);
        }
        mlps_memory_sink_free(&memory);
    }
}

/* Offsets past 2^32 keep their high bytes. */
static void large_offsets_are_little_endian_u64(void **state)
{
    (void)state;
    mlps_format_params p = params;
    p.samples_per_file = 3;
    p.element_bytes = 1;
    mlps_format_file f = {.index = 0, .d1 = 100000, .d2 = 50000}; /* 5e9-byte samples */
    assert_int_equal(mlps_format_find("indexed_binary")->file_size(&p, &f), UINT64_C(15000000000));
    mlps_memory_sink memory;
    mlps_sink sink;
    mlps_error err = {0};
    mlps_memory_sink_init(&sink, &memory);
    assert_int_equal(mlps_format_find("indexed_binary")->write_companion(&p, &f, 0, &sink, &err),
                     0);
    static const unsigned char want[24] = {0, 0, 0, 0, 0, 0, 0, 0,
                                           0x00, 0xf2, 0x05, 0x2a, 0x01, 0, 0, 0,
                                           0x00, 0xe4, 0x0b, 0x54, 0x02, 0, 0, 0};
    assert_int_equal(memory.size, 24);
    assert_memory_equal(memory.data, want, 24);
    mlps_memory_sink_free(&memory);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(data_is_the_random_stream),
        cmocka_unit_test(companions),
        cmocka_unit_test(large_offsets_are_little_endian_u64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
