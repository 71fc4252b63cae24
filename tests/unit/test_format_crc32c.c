/* Tests for formats/crc32c: the published check values (CRC catalogue, iSCSI vectors), the
 * TFRecord mask, incremental updates, and the hardware and table paths agreeing on every
 * length and alignment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/fill.h"
#include "formats/crc32c.h"

static void check_value(const void *data, size_t len, uint32_t expected)
{
    assert_int_equal(mlps_crc32c(data, len), expected);
    assert_int_equal(mlps_crc32c_update_portable(0, data, len), expected);
}

static void known_answers(void **state)
{
    (void)state;
    unsigned char zeros[32] = {0}, ones[32], up[32], down[32];
    memset(ones, 0xff, sizeof ones);
    for (int i = 0; i < 32; i++) {
        up[i] = (unsigned char)i;
        down[i] = (unsigned char)(31 - i);
    }
    check_value("123456789", 9, UINT32_C(0xE3069283));
    check_value(zeros, 32, UINT32_C(0x8A9136AA));
    check_value(ones, 32, UINT32_C(0x62A8AB43));
    check_value(up, 32, UINT32_C(0x46DD794E));
    check_value(down, 32, UINT32_C(0x113FDB5C));
    check_value("", 0, 0);
}

static void tfrecord_mask(void **state)
{
    (void)state;
    unsigned char length_zero[8] = {0};
    unsigned char length_35[8] = {35};
    assert_int_equal(mlps_crc32c_mask(0), UINT32_C(0xa282ead8));
    assert_int_equal(mlps_crc32c_mask(mlps_crc32c(length_zero, 8)), UINT32_C(0x07980329));
    assert_int_equal(mlps_crc32c_mask(mlps_crc32c(length_35, 8)), UINT32_C(0x43779fb0));
    const uint32_t samples[] = {0, 1, 0x80000000u, 0xffffffffu, 0xE3069283u, 0x12345678u};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        assert_int_not_equal(mlps_crc32c_mask(samples[i]), samples[i]);
        assert_int_equal(mlps_crc32c_unmask(mlps_crc32c_mask(samples[i])), samples[i]);
    }
}

static void incremental_equals_whole(void **state)
{
    (void)state;
    unsigned char data[300];
    mlps_fill_random(data, sizeof data, 7, 0);
    uint32_t whole = mlps_crc32c(data, sizeof data);
    for (size_t split = 0; split <= sizeof data; split++) {
        uint32_t crc = mlps_crc32c_update(0, data, split);
        assert_int_equal(mlps_crc32c_update(crc, data + split, sizeof data - split), whole);
        crc = mlps_crc32c_update_portable(0, data, split);
        assert_int_equal(mlps_crc32c_update_portable(crc, data + split, sizeof data - split),
                         whole);
    }
}

static void paths_agree_on_lengths_and_alignments(void **state)
{
    (void)state;
    static unsigned char data[5000];
    mlps_fill_random(data, sizeof data, 11, 3);
    for (size_t offset = 0; offset < 9; offset++)
        for (size_t len = 0; len + offset <= sizeof data; len += len < 80 ? 1 : 97)
            assert_int_equal(mlps_crc32c(data + offset, len),
                             mlps_crc32c_update_portable(0, data + offset, len));
    /* A single flipped bit always changes the value. */
    uint32_t before = mlps_crc32c(data, sizeof data);
    data[2500] ^= 0x10;
    assert_int_not_equal(mlps_crc32c(data, sizeof data), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answers),
        cmocka_unit_test(tfrecord_mask),
        cmocka_unit_test(incremental_equals_whole),
        cmocka_unit_test(paths_agree_on_lengths_and_alignments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
