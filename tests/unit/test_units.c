/* Tests of byte-count parsing and formatting, and of nearest-name suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/suggest.h"
#include "core/units.h"

static void parses_binary_and_decimal_suffixes(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(mlps_parse_bytes("4096", "--bs", &v, NULL), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(mlps_parse_bytes("1M", "--bs", &v, NULL), 0);
    assert_int_equal(v, 1048576);
    assert_int_equal(mlps_parse_bytes("2GiB", "--bs", &v, NULL), 0);
    assert_int_equal(v, 2147483648ull);
    assert_int_equal(mlps_parse_bytes("3kb", "--bs", &v, NULL), 0);
    assert_int_equal(v, 3000);
    assert_int_equal(mlps_parse_bytes("5GB", "--bs", &v, NULL), 0);
    assert_int_equal(v, 5000000000ull);
    assert_int_equal(mlps_parse_bytes("1t", "--bs", &v, NULL), 0);
    assert_int_equal(v, 1099511627776ull);
}

static void rejects_bad_byte_counts_naming_the_flag(void **state)
{
    (void)state;
    uint64_t v = 0;
    mlps_error err = {0};
    assert_int_equal(mlps_parse_bytes("12Q", "--block-size", &v, &err), -22);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "--block-size: '12Q' is not a byte count"));
    assert_int_not_equal(mlps_parse_bytes("-1", "--size", &v, NULL), 0);
    assert_int_not_equal(mlps_parse_bytes("", "--size", &v, NULL), 0);
    assert_int_not_equal(mlps_parse_bytes("99999999999P", "--size", &v, NULL), 0);
}

static void formats_bytes_rates_and_durations(void **state)
{
    (void)state;
    char buf[64];
    mlps_format_bytes(17, buf, sizeof buf);
    assert_string_equal(buf, "17 B");
    mlps_format_bytes(1536, buf, sizeof buf);
    assert_string_equal(buf, "1.50 KiB");
    mlps_format_bytes(3ull << 30, buf, sizeof buf);
    assert_string_equal(buf, "3.00 GiB");
    mlps_format_rate(1048576.0 * 250, buf, sizeof buf);
    assert_string_equal(buf, "250.00 MiB/s");
    mlps_format_duration(125, buf, sizeof buf);
    assert_string_equal(buf, "2:05");
    mlps_format_duration(3723, buf, sizeof buf);
    assert_string_equal(buf, "1:02:03");
}

static void edit_distance_counts_transpositions_once(void **state)
{
    (void)state;
    assert_int_equal(mlps_edit_distance("", ""), 0);
    assert_int_equal(mlps_edit_distance("abc", "abc"), 0);
    assert_int_equal(mlps_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(mlps_edit_distance("reader", "raeder"), 1);
    assert_int_equal(mlps_edit_distance("", "abc"), 3);
}

static void nearest_name_suggests_only_plausible_names(void **state)
{
    (void)state;
    const char *const flags[] = {"--results-dir", "--params", "--hosts", "--loops"};
    assert_string_equal(mlps_nearest_name("--resuls-dir", flags, 4), "--results-dir");
    assert_string_equal(mlps_nearest_name("--host", flags, 4), "--hosts");
    assert_null(mlps_nearest_name("--completely-different", flags, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_binary_and_decimal_suffixes),
        cmocka_unit_test(rejects_bad_byte_counts_naming_the_flag),
        cmocka_unit_test(formats_bytes_rates_and_durations),
        cmocka_unit_test(edit_distance_counts_transpositions_once),
        cmocka_unit_test(nearest_name_suggests_only_plausible_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
