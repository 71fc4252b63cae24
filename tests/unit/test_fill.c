/* Tests for core/fill: determinism per (seed, stream), independence of streams,
 * incompressibility under zstd and zlib, compression ratios of the compressible fill, and
 * identical bytes whatever the thread count, piece sizes, offsets or buffer alignment. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "core/fill.h"
#include "core/rng.h"

#define MIB ((size_t)1 << 20)

static uint8_t *alloc_bytes(size_t len)
{
    uint8_t *p = malloc(len);
    assert_non_null(p);
    return p;
}

static size_t zstd_size(const void *data, size_t len, int level)
{
    size_t cap = ZSTD_compressBound(len);
    void *out = alloc_bytes(cap);
    size_t n = ZSTD_compress(out, cap, data, len, level);
    assert_false(ZSTD_isError(n));
    free(out);
    return n;
}

static size_t zlib_size(const void *data, size_t len, int level)
{
    uLongf cap = compressBound((uLong)len);
    Bytef *out = alloc_bytes(cap);
    assert_int_equal(compress2(out, &cap, data, (uLong)len, level), Z_OK);
    free(out);
    return (size_t)cap;
}

/* The splitmix64 finalizer, for the reference model below. */
static uint64_t reference_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A scalar model of the documented layout: block b is four xoshiro256++ lanes (the scalar
 * mlps_rng), lane l's words at bytes 32 j + 8 l. The vector code must match it exactly. */
static void reference_block(uint64_t seed, uint64_t stream, uint64_t block,
                            uint8_t out[MLPS_FILL_BLOCK_BYTES])
{
    uint64_t sm = reference_mix64(reference_mix64(seed ^ UINT64_C(0x6a09e667f3bcc908)) ^ stream);
    mlps_rng lanes[4];
    for (int l = 0; l < 4; l++) {
        lanes[l].s[0] = mlps_splitmix64_next(&sm);
        lanes[l].s[1] = mlps_splitmix64_next(&sm);
    }
    uint64_t key2 = mlps_splitmix64_next(&sm), key3 = mlps_splitmix64_next(&sm);
    for (uint64_t l = 0; l < 4; l++) {
        uint64_t counter = (block * 4 + l) * UINT64_C(0x9e3779b97f4a7c15);
        lanes[l].s[2] = reference_mix64(counter + key2);
        lanes[l].s[3] = reference_mix64(counter + key3);
    }
    for (size_t group = 0; group < MLPS_FILL_BLOCK_BYTES / 32; group++) {
        for (int l = 0; l < 4; l++) {
            uint64_t word = mlps_rng_next(&lanes[l]);
            memcpy(out + group * 32 + (size_t)l * 8, &word, 8);
        }
    }
}

static void test_bytes_follow_the_documented_layout(void **state)
{
    (void)state;
    size_t len = 64 * MLPS_FILL_BLOCK_BYTES + 100;
    uint8_t *data = alloc_bytes(len), expected[MLPS_FILL_BLOCK_BYTES];
    mlps_fill_random(data, len, 2718, 28);
    for (uint64_t block = 0; block * MLPS_FILL_BLOCK_BYTES < len; block++) {
        reference_block(2718, 28, block, expected);
        size_t start = block * MLPS_FILL_BLOCK_BYTES;
        size_t n = len - start < MLPS_FILL_BLOCK_BYTES ? len - start : MLPS_FILL_BLOCK_BYTES;
        assert_memory_equal(data + start, expected, n);
    }
    uint64_t far_block = (UINT64_C(1) << 40) / MLPS_FILL_BLOCK_BYTES + 3;
    mlps_fill_random_at(data, 3 * MLPS_FILL_BLOCK_BYTES, 2718, 28,
                        far_block * MLPS_FILL_BLOCK_BYTES);
    for (uint64_t i = 0; i < 3; i++) {
        reference_block(2718, 28, far_block + i, expected);
        assert_memory_equal(data + i * MLPS_FILL_BLOCK_BYTES, expected, MLPS_FILL_BLOCK_BYTES);
    }
    free(data);
}

static void test_same_seed_same_bytes_other_seed_other_bytes(void **state)
{
    (void)state;
    size_t len = MIB + 100;
    uint8_t *a = alloc_bytes(len), *b = alloc_bytes(len), *c = alloc_bytes(len);
    mlps_fill_random(a, len, 1, 0);
    mlps_fill_random(b, len, 1, 0);
    mlps_fill_random(c, len, 2, 0);
    assert_memory_equal(a, b, len);
    size_t equal_words = 0;
    for (size_t i = 0; i + 8 <= len; i += 8)
        equal_words += memcmp(a + i, c + i, 8) == 0;
    assert_int_equal(equal_words, 0);
    free(a);
    free(b);
    free(c);
}

static int compare_blocks(const void *x, const void *y)
{
    return memcmp(*(const uint8_t *const *)x, *(const uint8_t *const *)y,
                  MLPS_FILL_BLOCK_BYTES);
}

static void test_streams_share_no_blocks(void **state)
{
    (void)state;
    /* 1 MiB of stream 0 and of stream 1: all 512 blocks pairwise distinct, so no stream
     * repeats itself or another (which would let a deduplicating store cheat). */
    size_t blocks_per_stream = MIB / MLPS_FILL_BLOCK_BYTES;
    uint8_t *data = alloc_bytes(2 * MIB);
    mlps_fill_random(data, MIB, 9, 0);
    mlps_fill_random(data + MIB, MIB, 9, 1);
    const uint8_t **blocks = malloc(2 * blocks_per_stream * sizeof *blocks);
    assert_non_null(blocks);
    for (size_t i = 0; i < 2 * blocks_per_stream; i++)
        blocks[i] = data + i * MLPS_FILL_BLOCK_BYTES;
    qsort(blocks, 2 * blocks_per_stream, sizeof *blocks, compare_blocks);
    for (size_t i = 1; i < 2 * blocks_per_stream; i++)
        assert_int_not_equal(compare_blocks(&blocks[i - 1], &blocks[i]), 0);
    /* Even the first 8 bytes of corresponding blocks differ. */
    for (size_t i = 0; i < blocks_per_stream; i++)
        assert_memory_not_equal(data + i * MLPS_FILL_BLOCK_BYTES,
                                data + MIB + i * MLPS_FILL_BLOCK_BYTES, 8);
    free(blocks);
    free(data);
}

static void test_random_fill_is_incompressible(void **state)
{
    (void)state;
    size_t len = 8 * MIB;
    uint8_t *data = alloc_bytes(len);
    mlps_fill_random(data, len, 12345, 0);
    size_t zstd3 = zstd_size(data, len, 3);
    size_t zstd19 = zstd_size(data, MIB, 19);
    size_t zlib9 = zlib_size(data, len, 9);
    if (zstd3 < len - len / 1000 || zstd19 < MIB - MIB / 1000 || zlib9 < len - len / 1000)
        fail_msg("compressed: zstd -3 %zu of %zu, zstd -19 %zu of %zu, zlib -9 %zu of %zu",
                 zstd3, len, zstd19, MIB, zlib9, len);
    free(data);
}

static void assert_ratio_near(double ratio)
{
    size_t len = 8 * MIB;
    uint8_t *data = alloc_bytes(len);
    mlps_fill_compressible(data, len, ratio, 4, 0);
    double achieved = (double)len / (double)zstd_size(data, len, 3);
    if (fabs(achieved - ratio) > 0.15 * ratio)
        fail_msg("asked for compression ratio %.2f, zstd -3 achieved %.3f", ratio, achieved);
    free(data);
}

static void test_compressible_fill_reaches_ratio_two(void **state)
{
    (void)state;
    assert_ratio_near(2.0);
}

static void test_compressible_fill_reaches_ratio_four(void **state)
{
    (void)state;
    assert_ratio_near(4.0);
}

static void test_compressible_blocks_are_random_prefix_then_zeros(void **state)
{
    (void)state;
    assert_int_equal(mlps_fill_random_bytes_per_block(2.0), 2048);
    assert_int_equal(mlps_fill_random_bytes_per_block(4.0), 1024);
    assert_int_equal(mlps_fill_random_bytes_per_block(3.0), 1365);
    assert_int_equal(mlps_fill_random_bytes_per_block(1.0), 4096);
    assert_int_equal(mlps_fill_random_bytes_per_block(0.25), 4096);
    assert_int_equal(mlps_fill_random_bytes_per_block(NAN), 4096);
    assert_int_equal(mlps_fill_random_bytes_per_block(1e9), 1);

    size_t len = 3 * MLPS_FILL_BLOCK_BYTES + 500;
    uint8_t *random = alloc_bytes(len), *half = alloc_bytes(len), *zeros = alloc_bytes(len);
    memset(zeros, 0, len);
    mlps_fill_random(random, len, 5, 2);
    mlps_fill_compressible(half, len, 2.0, 5, 2);
    for (size_t block = 0; block * MLPS_FILL_BLOCK_BYTES < len; block++) {
        size_t start = block * MLPS_FILL_BLOCK_BYTES;
        size_t rest = len - start;
        size_t random_part = rest < 2048 ? rest : 2048;
        assert_memory_equal(half + start, random + start, random_part);
        if (rest > 2048) {
            size_t zero_part = rest < MLPS_FILL_BLOCK_BYTES ? rest - 2048 : 2048;
            assert_memory_equal(half + start + 2048, zeros, zero_part);
        }
    }
    mlps_fill_compressible(half, len, 1.0, 5, 2);
    assert_memory_equal(half, random, len);
    free(random);
    free(half);
    free(zeros);
}

static void test_thread_count_does_not_change_bytes(void **state)
{
    (void)state;
    size_t len = 5 * MIB + 12345;
    uint8_t *one = alloc_bytes(len), *four = alloc_bytes(len), *serial = alloc_bytes(len);
    mlps_error err = {0};
    const double ratios[] = {1.0, 2.0};
    for (size_t r = 0; r < 2; r++) {
        memset(one, 0xaa, len);
        memset(four, 0x55, len);
        assert_int_equal(mlps_fill_parallel(one, len, 77, 1, ratios[r], &err), 0);
        assert_int_equal(mlps_fill_parallel(four, len, 77, 4, ratios[r], &err), 0);
        mlps_fill_compressible(serial, len, ratios[r], 77, 0);
        assert_memory_equal(one, four, len);
        assert_memory_equal(one, serial, len);
    }
    /* More threads than chunks, and an empty buffer. */
    assert_int_equal(mlps_fill_parallel(four, 1000, 77, 8, 0.0, &err), 0);
    assert_memory_equal(four, serial, 1000);
    assert_int_equal(mlps_fill_parallel(four, 0, 77, 3, 0.0, &err), 0);
    free(one);
    free(four);
    free(serial);
}

static void test_parallel_fill_rejects_bad_arguments(void **state)
{
    (void)state;
    uint8_t buf[16];
    mlps_error err = {0};
    assert_int_equal(mlps_fill_parallel(buf, sizeof buf, 1, 0, 1.0, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "thread count 0"));
    mlps_error_clear(&err);
    assert_int_equal(mlps_fill_parallel(buf, sizeof buf, 1, MLPS_FILL_MAX_THREADS + 1, 1.0, &err),
                     -EINVAL);
    mlps_error_clear(&err);
    assert_int_equal(mlps_fill_parallel(buf, sizeof buf, 1, 2, NAN, &err), -EINVAL);
    assert_non_null(strstr(err.message, "NaN"));
}

static void test_pieces_at_offsets_equal_one_whole_fill(void **state)
{
    (void)state;
    size_t len = 3 * MIB + 777;
    uint8_t *whole = alloc_bytes(len), *pieces = alloc_bytes(len + 8);
    mlps_fill_random(whole, len, 42, 3);
    /* Odd sizes so that pieces start and end inside 32-byte groups and 4 KiB blocks. */
    const size_t sizes[] = {1, 7, 31, 33, 4095, 4097, 100000, 3, 65536, 12289};
    uint8_t *dst = pieces + 3; /* unaligned destination */
    size_t offset = 0;
    for (size_t i = 0; offset < len; i++) {
        size_t n = sizes[i % (sizeof sizes / sizeof sizes[0])];
        if (n > len - offset)
            n = len - offset;
        mlps_fill_random_at(dst + offset, n, 42, 3, offset);
        offset += n;
    }
    assert_memory_equal(dst, whole, len);

    /* The same for the compressible fill, whose pieces cross the random/zero boundary. */
    mlps_fill_compressible(whole, len, 3.0, 42, 3);
    for (offset = 0; offset < len;) {
        size_t n = len - offset < 1500 ? len - offset : 1500;
        mlps_fill_compressible_at(dst + offset, n, 3.0, 42, 3, offset);
        offset += n;
    }
    assert_memory_equal(dst, whole, len);
    free(whole);
    free(pieces);
}

static void test_alignment_and_far_offsets(void **state)
{
    (void)state;
    size_t len = 10000;
    uint8_t *aligned = alloc_bytes(len), *shifted = alloc_bytes(len + 8);
    mlps_fill_random(aligned, len, 6, 0);
    for (size_t shift = 1; shift < 8; shift++) {
        memset(shifted, 0, len + 8);
        mlps_fill_random(shifted + shift, len, 6, 0);
        assert_memory_equal(shifted + shift, aligned, len);
        for (size_t i = 0; i < shift; i++)
            assert_int_equal(shifted[i], 0);
        for (size_t i = shift + len; i < len + 8; i++)
            assert_int_equal(shifted[i], 0);
    }
    /* A terabyte into a file, a piece starting 6 bytes later (and crossing into the next
     * block) matches the tail of one starting earlier. */
    uint64_t far = (UINT64_C(1) << 40) + 4090;
    mlps_fill_random_at(aligned, 100, 6, 0, far);
    mlps_fill_random_at(shifted, 94, 6, 0, far + 6);
    assert_memory_equal(aligned + 6, shifted, 94);
    mlps_fill_random(aligned, 0, 6, 0);
    free(aligned);
    free(shifted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_follow_the_documented_layout),
        cmocka_unit_test(test_same_seed_same_bytes_other_seed_other_bytes),
        cmocka_unit_test(test_streams_share_no_blocks),
        cmocka_unit_test(test_random_fill_is_incompressible),
        cmocka_unit_test(test_compressible_fill_reaches_ratio_two),
        cmocka_unit_test(test_compressible_fill_reaches_ratio_four),
        cmocka_unit_test(test_compressible_blocks_are_random_prefix_then_zeros),
        cmocka_unit_test(test_thread_count_does_not_change_bytes),
        cmocka_unit_test(test_parallel_fill_rejects_bad_arguments),
        cmocka_unit_test(test_pieces_at_offsets_equal_one_whole_fill),
        cmocka_unit_test(test_alignment_and_far_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
