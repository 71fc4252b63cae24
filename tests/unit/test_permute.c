/* Tests of the keyed Feistel permutations: bijections of [0, size) for awkward sizes, exact
 * inverses, key dependence, and lookups far into huge ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "training/permute.h"

static void assert_bijection(uint64_t size, uint64_t key)
{
    unsigned char *seen = calloc(size ? size : 1, 1);
    assert_non_null(seen);
    mlps_permutation permutation;
    mlps_permutation_init(&permutation, size, key);
    for (uint64_t i = 0; i < size; i++) {
        uint64_t image = mlps_permutation_apply(&permutation, i);
        assert_true(image < size);
        assert_int_equal(seen[image], 0);
        seen[image] = 1;
        assert_int_equal(mlps_permutation_invert(&permutation, image), i);
    }
    free(seen);
}

static void is_a_bijection_for_small_primes_and_powers_of_two(void **state)
{
    (void)state;
    const uint64_t sizes[] = {1,  2,  3,  4,  5,   7,   8,   13,  16,  17,   31,   32,  33,
                              64, 97, 127, 128, 129, 255, 256, 257, 1000, 1024, 4093, 4096,
                              4097, 65521, 65536};
    const uint64_t keys[] = {0, 1, 123, UINT64_C(0xdeadbeefcafef00d)};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            assert_bijection(sizes[s], keys[k]);
}

static void is_a_bijection_for_every_size_up_to_300(void **state)
{
    (void)state;
    for (uint64_t size = 1; size <= 300; size++)
        assert_bijection(size, size * 7919);
}

static void size_one_and_zero_map_to_themselves(void **state)
{
    (void)state;
    mlps_permutation permutation;
    mlps_permutation_init(&permutation, 1, 42);
    assert_int_equal(permutation.bits, 0);
    assert_int_equal(mlps_permutation_apply(&permutation, 0), 0);
    mlps_permutation_init(&permutation, 0, 42);
    assert_int_equal(permutation.bits, 0);
}

/* The domain is the smallest power of two covering the size (at least 4), so cycle walking
 * takes fewer than two passes on average. */
static void domain_is_the_smallest_covering_power_of_two(void **state)
{
    (void)state;
    const struct {
        uint64_t size;
        unsigned bits;
    } cases[] = {{2, 2}, {3, 2}, {4, 2}, {5, 3}, {8, 3}, {9, 4}, {65536, 16}, {65537, 17},
                 {UINT64_C(1) << 40, 40}, {UINT64_MAX, 64}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mlps_permutation permutation;
        mlps_permutation_init(&permutation, cases[i].size, 0);
        assert_int_equal(permutation.bits, cases[i].bits);
    }
}

/* Both orders of two items occur, so even the smallest domain is really shuffled. */
static void two_items_are_swapped_by_some_keys(void **state)
{
    (void)state;
    int swapped = 0;
    for (uint64_t key = 0; key < 64; key++) {
        mlps_permutation permutation;
        mlps_permutation_init(&permutation, 2, key);
        swapped += mlps_permutation_apply(&permutation, 0) == 1;
    }
    assert_true(swapped > 10 && swapped < 54);
}

static uint64_t count_same_images(uint64_t size, uint64_t key_a, uint64_t key_b)
{
    mlps_permutation a, b;
    mlps_permutation_init(&a, size, key_a);
    mlps_permutation_init(&b, size, key_b);
    uint64_t same = 0;
    for (uint64_t i = 0; i < size; i++)
        same += mlps_permutation_apply(&a, i) == mlps_permutation_apply(&b, i);
    return same;
}

/* A random permutation has one fixed point on average and two independent ones agree at one
 * place on average; the bounds are loose but an identity-like or key-blind network fails them. */
static void keys_choose_unrelated_orders(void **state)
{
    (void)state;
    assert_int_equal(count_same_images(1000, 5, 5), 1000);
    assert_true(count_same_images(1000, 5, 6) < 10);
    assert_true(count_same_images(1000, 123, 124) < 10);

    mlps_permutation permutation;
    mlps_permutation_init(&permutation, 1000, 77);
    uint64_t fixed = 0, ascending_neighbours = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t image = mlps_permutation_apply(&permutation, i);
        fixed += image == i;
        if (i > 0)
            ascending_neighbours += image == mlps_permutation_apply(&permutation, i - 1) + 1;
    }
    assert_true(fixed < 10);
    assert_true(ascending_neighbours < 10);
}

static void huge_ranges_round_trip(void **state)
{
    (void)state;
    const uint64_t sizes[] = {UINT64_C(4831838208), UINT64_C(1) << 40, UINT64_MAX};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        mlps_permutation permutation;
        mlps_permutation_init(&permutation, sizes[s], 99);
        for (uint64_t i = 0; i < 2000; i++) {
            uint64_t index = sizes[s] - 1 - i * 1000003;
            uint64_t image = mlps_permutation_apply(&permutation, index);
            assert_true(image < sizes[s]);
            assert_int_equal(mlps_permutation_invert(&permutation, image), index);
        }
    }
}

static void key_mix_is_deterministic_and_spreads(void **state)
{
    (void)state;
    assert_int_equal(mlps_key_mix(1, 2), mlps_key_mix(1, 2));
    assert_int_not_equal(mlps_key_mix(1, 2), mlps_key_mix(2, 1));
    assert_int_not_equal(mlps_key_mix(1, 2), mlps_key_mix(1, 3));
    assert_int_not_equal(mlps_key_mix(0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(is_a_bijection_for_small_primes_and_powers_of_two),
        cmocka_unit_test(is_a_bijection_for_every_size_up_to_300),
        cmocka_unit_test(size_one_and_zero_map_to_themselves),
        cmocka_unit_test(domain_is_the_smallest_covering_power_of_two),
        cmocka_unit_test(two_items_are_swapped_by_some_keys),
        cmocka_unit_test(keys_choose_unrelated_orders),
        cmocka_unit_test(huge_ranges_round_trip),
        cmocka_unit_test(key_mix_is_deterministic_and_spreads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
