/* KV-cache entry bytes: the per-key seed, determinism, the anti-dedup stamp, duplicate 4 KiB
 * blocks across keys and within one large entry, and the .npy header (checked byte by byte
 * and by numpy itself). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "core/fill.h"
#include "kvcache/entry.h"
#include "kvcache/model.h"
#include "scratch_dir.h"

#define BLOCK 4096u

static void test_seed_is_sha256_head_xor_global(void **state)
{
    (void)state;
    /* SHA-256("abc") starts ba 78 16 bf 8f 01 cf ea; read little-endian. */
    assert_int_equal(mlps_kv_entry_seed(0, "abc"), UINT64_C(0xeacf018fbf1678ba));
    assert_int_equal(mlps_kv_entry_seed(42, "abc"), UINT64_C(0xeacf018fbf1678ba) ^ 42u);
}

static uint8_t *generate(uint64_t seed, const char *key, size_t len)
{
    mlps_kv_entry_gen gen;
    mlps_kv_entry_gen_init(&gen, seed, key, len);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    mlps_kv_entry_fill(&gen, buf, len, 0);
    return buf;
}

static void test_same_seed_and_key_give_identical_bytes(void **state)
{
    (void)state;
    size_t len = 3 * BLOCK * 41 + 1234; /* a partial last block */
    uint8_t *a = generate(7, "user_0001_req_000001", len);
    uint8_t *b = generate(7, "user_0001_req_000001", len);
    assert_memory_equal(a, b, len);

    /* Generated in uneven pieces, the bytes are the same. */
    mlps_kv_entry_gen gen;
    mlps_kv_entry_gen_init(&gen, 7, "user_0001_req_000001", len);
    memset(b, 0, len);
    size_t pieces[] = {1, 7, 4089, 70000, 3, 100000};
    size_t off = 0;
    for (size_t i = 0; off < len; i++) {
        size_t n = i < 6 ? pieces[i] : len - off;
        n = n < len - off ? n : len - off;
        mlps_kv_entry_fill(&gen, b + off, n, off);
        off += n;
    }
    assert_memory_equal(a, b, len);

    uint8_t *other_key = generate(7, "user_0001_req_000002", len);
    uint8_t *other_seed = generate(8, "user_0001_req_000001", len);
    assert_memory_not_equal(a, other_key, BLOCK);
    assert_memory_not_equal(a, other_seed, BLOCK);
    free(a);
    free(b);
    free(other_key);
    free(other_seed);
}

/* The bytes are the random fill of the key's seed XOR the stamp at offset mod 4096, with the
 * index of each full block XORed into its first 8 bytes; the partial last block has no index. */
static void test_anti_dedup_stamp_layout(void **state)
{
    (void)state;
    size_t len = 3 * BLOCK + 100;
    mlps_kv_entry_gen gen;
    mlps_kv_entry_gen_init(&gen, 5, "k", len);
    uint8_t *bytes = generate(5, "k", len);
    uint8_t *raw = malloc(len);
    mlps_fill_random(raw, len, gen.seed, 0);
    for (size_t p = 0; p < len; p++) {
        uint8_t expected = raw[p] ^ gen.stamp[p % BLOCK];
        uint64_t block = p / BLOCK;
        if (p % BLOCK < 8 && (block + 1) * BLOCK <= len)
            expected ^= (uint8_t)(block >> (8 * (p % BLOCK)));
        if (bytes[p] != expected)
            fail_msg("byte %zu", p);
    }
    /* Block 1's first byte carries index 1; block 0's carries 0. */
    assert_int_equal(bytes[BLOCK] ^ raw[BLOCK] ^ gen.stamp[0], 1);
    free(raw);
    free(bytes);
}

static int compare_blocks(const void *a, const void *b)
{
    return memcmp(*(uint8_t *const *)a, *(uint8_t *const *)b, BLOCK);
}

/* Blocks equal to an earlier block, over `count` blocks at the given addresses. */
static size_t duplicate_blocks(uint8_t **blocks, size_t count)
{
    qsort(blocks, count, sizeof *blocks, compare_blocks);
    size_t dups = 0;
    for (size_t i = 1; i < count; i++)
        dups += memcmp(blocks[i - 1], blocks[i], BLOCK) == 0;
    return dups;
}

static void test_no_duplicate_blocks_across_50_keys(void **state)
{
    (void)state;
    enum { KEYS = 50, BLOCKS_PER_KEY = 240 }; /* 40 tokens of tiny-1b: 983,040 bytes */
    uint8_t *entries[KEYS];
    uint8_t **blocks = malloc(KEYS * BLOCKS_PER_KEY * sizeof *blocks);
    for (int k = 0; k < KEYS; k++) {
        char key[32];
        snprintf(key, sizeof key, "conv_user_%04d_turn_1", k);
        entries[k] = generate(42, key, BLOCKS_PER_KEY * BLOCK);
        for (int b = 0; b < BLOCKS_PER_KEY; b++)
            blocks[k * BLOCKS_PER_KEY + b] = entries[k] + (size_t)b * BLOCK;
    }
    size_t dups = duplicate_blocks(blocks, KEYS * BLOCKS_PER_KEY);
    assert_true(dups * 100 < KEYS * BLOCKS_PER_KEY); /* the requirement: < 1 % */
    assert_int_equal(dups, 0);                       /* what this generator gives */
    for (int k = 0; k < KEYS; k++)
        free(entries[k]);
    free(blocks);
}

/* 64 MiB stands in for the reference's ≥ 384 MiB test: that size mattered there because its
 * entries were cut from one 256 MiB noise buffer that wraps around; here every 4 KiB block is
 * generated from its own key (seed, block index), so no size wraps and 16384 blocks probe the
 * same property. */
static void test_no_duplicate_blocks_within_a_large_entry(void **state)
{
    (void)state;
    size_t len = 64u << 20, count = len / BLOCK;
    uint8_t *entry = generate(0, "precond_0", len);
    uint8_t **blocks = malloc(count * sizeof *blocks);
    for (size_t b = 0; b < count; b++)
        blocks[b] = entry + b * BLOCK;
    assert_int_equal(duplicate_blocks(blocks, count), 0);
    free(blocks);
    free(entry);
}

static mlps_kv_model tiny(void)
{
    mlps_kv_model_set set;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_models_init(&set, NULL, &err), 0);
    mlps_kv_model m = *mlps_kv_models_find(&set, "tiny-1b");
    mlps_kv_models_free(&set);
    return m;
}

static void test_npy_header_layout(void **state)
{
    (void)state;
    mlps_kv_model m = tiny();
    mlps_kv_entry_shape shape = mlps_kv_model_entry_shape(&m, 10, 1);
    char header[MLPS_KV_NPY_HEADER_MAX];
    size_t n = mlps_kv_npy_header(&shape, header, sizeof header);
    assert_int_equal(n, 128);
    assert_memory_equal(header, "\x93NUMPY\x01\x00", 8);
    assert_int_equal((uint8_t)header[8] | (uint8_t)header[9] << 8, 118);
    const char dict[] = "{'descr': '<f2', 'fortran_order': False, 'shape': (12, 2, 10, 4, 128), }";
    assert_memory_equal(header + 10, dict, strlen(dict));
    for (size_t i = 10 + strlen(dict); i < 127; i++)
        assert_int_equal(header[i], ' ');
    assert_int_equal(header[127], '\n');

    shape = mlps_kv_model_entry_shape(&m, 7, 5);
    n = mlps_kv_npy_header(&shape, header, sizeof header);
    assert_int_equal(n % 64, 0);
    header[n - 1] = '\0';
    assert_non_null(strstr(header + 10, "'shape': (17203,), }"));

    strcpy(m.dtype, "float32");
    shape = mlps_kv_model_entry_shape(&m, 10, 1);
    n = mlps_kv_npy_header(&shape, header, sizeof header);
    header[n - 1] = '\0';
    assert_non_null(strstr(header + 10, "'descr': '<f4'"));
    assert_int_equal(mlps_kv_npy_header(&shape, header, 64), 0); /* too small */
}

static void sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    assert_int_equal(EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL), 1);
    for (unsigned i = 0; i < md_len; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
}

/* numpy reads the framing: shape, dtype and the very bytes generated. */
static void test_numpy_loads_an_entry(void **state)
{
    (void)state;
    mlps_kv_model m = tiny();
    mlps_kv_entry_shape shape = mlps_kv_model_entry_shape(&m, 3, 1);
    char header[MLPS_KV_NPY_HEADER_MAX], path[PATH_MAX], cmd[PATH_MAX + 256], hex[65];
    size_t header_len = mlps_kv_npy_header(&shape, header, sizeof header);
    uint8_t *data = generate(1, "numpy_check", shape.bytes);
    in_scratch(path, "numpy_check.npy");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(header, 1, header_len, f), header_len);
    assert_int_equal(fwrite(data, 1, shape.bytes, f), shape.bytes);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(count_entries(scratch), 1);
    sha256_hex(data, shape.bytes, hex);

    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy, hashlib, sys; a = numpy.load(sys.argv[1]); "
             "print(a.shape, a.dtype, hashlib.sha256(a.tobytes()).hexdigest())\" '%s'",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    char expected[256];
    snprintf(expected, sizeof expected, "(12, 2, 3, 4, 128) float16 %s\n", hex);
    assert_string_equal(line, expected);
    free(data);
}

static int setup(void **state)
{
    (void)state;
    return scratch_create("test_kv_entry");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_is_sha256_head_xor_global),
        cmocka_unit_test(test_same_seed_and_key_give_identical_bytes),
        cmocka_unit_test(test_anti_dedup_stamp_layout),
        cmocka_unit_test(test_no_duplicate_blocks_across_50_keys),
        cmocka_unit_test(test_no_duplicate_blocks_within_a_large_entry),
        cmocka_unit_test(test_npy_header_layout),
        cmocka_unit_test(test_numpy_loads_an_entry),
    };
    return cmocka_run_group_tests(tests, setup, remove_scratch);
}
