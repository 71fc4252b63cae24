/* Tests for the npy format and the NPY header shared with npz: NumPy's exact header bytes
 * (padding to 64, growth-axis room, one-axis tuples), dtype names, exact sizes, the data span
 * as every sample's extent, header parsing of other key orders and versions, and errors naming
 * the file and offset. */
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
#include "formats/npy_header.h"
#include "format_test_util.h"

static const mlps_format_params params = {
    .samples_per_file = 3, .element_bytes = 1, .element_type = "uint8", .compression = "none",
    .seed = 8};
static const mlps_format_file file = {.index = 4, .d1 = 7, .d2 = 5};

/* The header NumPy writes: dict, spaces, newline, all padded to a multiple of 64. */
static void expected_header(const char *dict, size_t total, unsigned char *out)
{
    size_t len = strlen(dict);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (unsigned char)(total - 10);
    out[9] = (unsigned char)((total - 10) >> 8);
    memcpy(out + 10, dict, len);
    memset(out + 10 + len, ' ', total - 11 - len);
    out[total - 1] = '\n';
}

static void header_bytes_match_numpy(void **state)
{
    (void)state;
    unsigned char got[MLPS_NPY_HEADER_MAX], want[256];
    uint64_t shape3[3] = {7, 5, 3};
    size_t len = mlps_npy_header_format("|u1", shape3, 3, got);
    expected_header("{'descr': '|u1', 'fortran_order': False, 'shape': (7, 5, 3), }", 128, want);
    assert_int_equal(len, 128);
    assert_memory_equal(got, want, 128);
    /* 20 spaces of growth room for a one-digit first axis, then padding. */
    assert_memory_equal(got + 10 + 64, "                    ", 20);

    uint64_t shape1[1] = {3};
    len = mlps_npy_header_format("<i8", shape1, 1, got);
    expected_header("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 128, want);
    assert_int_equal(len, 128);
    assert_memory_equal(got, want, 128);

    /* Long axes push the header to the next 64-byte boundary. */
    uint64_t long_shape[3] = {UINT64_C(12345678901234567890), UINT64_C(12345678901234567890),
                              UINT64_C(12345678901234567890)};
    len = mlps_npy_header_format("<f8", long_shape, 3, got);
    assert_int_equal(len % 64, 0);
    assert_int_equal(len, 192);
    assert_int_equal(got[len - 1], '\n');
}

static void dtype_names(void **state)
{
    (void)state;
    assert_string_equal(mlps_npy_descr_of("uint8"), "|u1");
    assert_string_equal(mlps_npy_descr_of("int8"), "|i1");
    assert_string_equal(mlps_npy_descr_of("float16"), "<f2");
    assert_string_equal(mlps_npy_descr_of("float32"), "<f4");
    assert_string_equal(mlps_npy_descr_of("float64"), "<f8");
    assert_string_equal(mlps_npy_descr_of("int64"), "<i8");
    assert_null(mlps_npy_descr_of("float128"));
    mlps_format_params p = {.element_type = NULL};
    const char *descr;
    unsigned bytes;
    mlps_error err = {0};
    assert_int_equal(mlps_npy_descr_for(&p, &descr, &bytes, &err), 0);
    assert_string_equal(descr, "|u1");
    assert_int_equal(bytes, 1);
    p.element_type = "float128";
    int rc = mlps_npy_descr_for(&p, &descr, &bytes, &err);
    format_test_assert_usage_error(&err, rc, "dataset.record_element_type 'float128'");
    assert_non_null(strstr(err.message, "float32"));
}

static void header_text_parsing(void **state)
{
    (void)state;
    mlps_npy_array a;
    const char *reordered = "{ \"shape\" : (2,3) , 'fortran_order': True, 'descr': '>u2' }   ";
    assert_true(mlps_npy_header_parse_text(reordered, strlen(reordered), &a));
    assert_string_equal(a.descr, ">u2");
    assert_true(a.fortran_order);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[1], 3);
    assert_int_equal(a.element_bytes, 2);
    assert_int_equal(a.data_bytes, 12);
    const char *scalar = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }";
    assert_true(mlps_npy_header_parse_text(scalar, strlen(scalar), &a));
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.data_bytes, 4);
    const char *bad[] = {
        "{'descr': '<f4', 'shape': (1,), }",                                /* no order */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", /* extra key */
        "{'descr': 'O', 'fortran_order': False, 'shape': (1,), }",          /* objects */
        "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, "
        "99999999999), }", /* overflows */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(mlps_npy_header_parse_text(bad[i], strlen(bad[i]), &a));
}

static void file_is_header_then_random_data(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("npy", &params, &file, &memory);
    assert_int_equal(memory.size, 128 + 105);
    unsigned char want[128], data[105];
    expected_header("{'descr': '|u1', 'fortran_order': False, 'shape': (7, 5, 3), }", 128, want);
    assert_memory_equal(memory.data, want, 128);
    mlps_fill_random_at(data, sizeof data, params.seed, file.index, 0);
    assert_memory_equal(memory.data + 128, data, sizeof data);

    mlps_sample_extent extents[3];
    mlps_error err = {0};
    assert_int_equal(format_test_locate("npy", &params, memory.data, memory.size, extents, &err),
                     0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(extents[k].offset, 128);
        assert_int_equal(extents[k].length, 105);
    }
    mlps_memory_sink_free(&memory);

    mlps_format_params p = params;
    p.element_type = "float64";
    p.element_bytes = 8;
    format_test_write("npy", &p, &file, &memory);
    assert_int_equal(memory.size, 128 + 8 * 105);
    mlps_memory_sink_free(&memory);
}

static void broken_files_name_the_offset(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("npy", &params, &file, &memory);
    mlps_sample_extent extents[3];
    mlps_error err = {0};
    int rc = format_test_locate("npy", &params, memory.data, memory.size - 1, extents, &err);
    format_test_assert_error_at(&err, rc, 0);
    assert_non_null(strstr(err.message, "105 data bytes"));
    rc = format_test_locate("npy", &params, memory.data, 100, extents, &err);
    format_test_assert_error_at(&err, rc, 8);
    memory.data[1] = 'X';
    rc = format_test_locate("npy", &params, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, 0);
    memory.data[1] = 'N';
    memory.data[20] = '!';
    rc = format_test_locate("npy", &params, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, 10);
    mlps_memory_sink_free(&memory);

    mlps_format_params p = params;
    p.compression = "zip";
    mlps_sink sink;
    mlps_memory_sink_init(&sink, &memory);
    rc = mlps_format_find("npy")->write(&p, &file, &sink, &err);
    format_test_assert_usage_error(&err, rc, "dataset.compression 'zip'");
    mlps_format_file huge = {.index = 9, .d1 = UINT64_C(1) << 32, .d2 = UINT64_C(1) << 31};
    rc = mlps_format_find("npy")->write(&params, &huge, &sink, &err);
    format_test_assert_usage_error(&err, rc, "npy file 9");
    assert_int_equal(mlps_format_find("npy")->file_size(&params, &huge), 0);
    assert_int_equal(memory.size, 0);
    mlps_memory_sink_free(&memory);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_bytes_match_numpy),
        cmocka_unit_test(dtype_names),
        cmocka_unit_test(header_text_parsing),
        cmocka_unit_test(file_is_header_then_random_data),
        cmocka_unit_test(broken_files_name_the_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
