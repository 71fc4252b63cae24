/* Tests for the synthetic format: the file holds its index in decimal, its size is exact, and
 * locating accepts only a short run of digits, naming the offending offset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "formats/format.h"
#include "format_test_util.h"

static const mlps_format_params params = {.samples_per_file = 2, .compression = "none"};

static void file_holds_its_index(void **state)
{
    (void)state;
    const uint64_t indices[] = {0, 7, 12345, UINT64_MAX};
    const char *texts[] = {"0", "7", "12345", "18446744073709551615"};
    for (size_t i = 0; i < 4; i++) {
        mlps_format_file f = {.index = indices[i], .d1 = 9, .d2 = 9};
        mlps_memory_sink memory;
        format_test_write("synthetic", &params, &f, &memory);
        assert_int_equal(memory.size, strlen(texts[i]));
        assert_memory_equal(memory.data, texts[i], memory.size);
        mlps_sample_extent extents[2];
        mlps_error err = {0};
        assert_int_equal(
            format_test_locate("synthetic", &params, memory.data, memory.size, extents, &err), 0);
        assert_int_equal(extents[1].offset, 0);
        assert_int_equal(extents[1].length, memory.size);
        mlps_memory_sink_free(&memory);
    }
}

static void other_content_is_rejected(void **state)
{
    (void)state;
    mlps_sample_extent extents[2];
    mlps_error err = {0};
    int rc = format_test_locate("synthetic", &params, "12a4", 4, extents, &err);
    format_test_assert_error_at(&err, rc, 2);
    rc = format_test_locate("synthetic", &params, "", 0, extents, &err);
    assert_true(rc < 0);
    assert_non_null(strstr(err.message, FORMAT_TEST_FILE_NAME));
    rc = format_test_locate("synthetic", &params, "123456789012345678901", 21, extents, &err);
    assert_true(rc < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_holds_its_index),
        cmocka_unit_test(other_content_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
