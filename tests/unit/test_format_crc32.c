/* Tests for formats/crc32: the published check value, zlib's crc32_z values on every length
 * and alignment around the folding path's block sizes, with nonzero incoming CRCs, and
 * incremental updates split anywhere giving the one-shot value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "core/fill.h"
#include "formats/crc32.h"

#define LONG_BYTES (1u << 20)

static void known_answers(void **state)
{
    (void)state;
    assert_int_equal(mlps_crc32_update(0, "123456789", 9), UINT32_C(0xCBF43926));
    assert_int_equal(mlps_crc32_update(0, "", 0), 0);
    assert_int_equal(mlps_crc32_update(UINT32_C(0x12345678), "", 0), UINT32_C(0x12345678));
    unsigned char ones[4096];
    memset(ones, 0xff, sizeof ones);
    assert_int_equal(mlps_crc32_update(0, ones, sizeof ones),
                     (uint32_t)crc32_z(0, ones, sizeof ones));
}

static void equals_zlib_on_every_length_and_alignment(void **state)
{
    (void)state;
    enum { MAX_LEN = 1200, MAX_SHIFT = 7 };
    unsigned char *data = malloc(MAX_LEN + MAX_SHIFT);
    assert_non_null(data);
    mlps_fill_random(data, MAX_LEN + MAX_SHIFT, 11, 2);
    for (size_t shift = 0; shift <= MAX_SHIFT; shift++)
        for (size_t len = 0; len <= MAX_LEN; len++) {
            uint32_t incoming = (uint32_t)(len * UINT32_C(2654435761)) ^ (uint32_t)shift;
            uint32_t expected = (uint32_t)crc32_z(incoming, data + shift, len);
            if (mlps_crc32_update(incoming, data + shift, len) != expected)
                fail_msg("length %zu at shift %zu: 0x%08x, zlib 0x%08x", len, shift,
                         mlps_crc32_update(incoming, data + shift, len), expected);
        }
    free(data);
}

static void long_inputs_split_anywhere_equal_one_pass(void **state)
{
    (void)state;
    unsigned char *data = malloc(LONG_BYTES);
    assert_non_null(data);
    mlps_fill_random(data, LONG_BYTES, 3, 9);
    uint32_t whole = (uint32_t)crc32_z(0, data, LONG_BYTES);
    assert_int_equal(mlps_crc32_update(0, data, LONG_BYTES), whole);
    static const size_t splits[] = {1, 15, 64, 255, 256, 4097, 65536, LONG_BYTES - 3};
    for (size_t i = 0; i < sizeof splits / sizeof splits[0]; i++) {
        uint32_t crc = mlps_crc32_update(0, data, splits[i]);
        crc = mlps_crc32_update(crc, data + splits[i], LONG_BYTES - splits[i]);
        assert_int_equal(crc, whole);
    }
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answers),
        cmocka_unit_test(equals_zlib_on_every_length_and_alignment),
        cmocka_unit_test(long_inputs_split_anywhere_equal_one_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
