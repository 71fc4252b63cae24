/* Tests for core/rng: published known answers for splitmix64 and xoshiro256++, the jump
 * checked against an independent GF(2) matrix power, streams, and the distributions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rng.h"

static void test_xoshiro256pp_known_answers(void **state)
{
    (void)state;
    mlps_rng rng = {.s = {1, 2, 3, 4}};
    const uint64_t expected[] = {
        UINT64_C(41943041), UINT64_C(58720359), UINT64_C(3588806011781223),
        UINT64_C(3591011842654386), UINT64_C(9228616714210784205),
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_int_equal(mlps_rng_next(&rng), expected[i]);
}

static void test_splitmix64_known_answers(void **state)
{
    (void)state;
    uint64_t sm = 1234567;
    const uint64_t expected[] = {
        UINT64_C(6457827717110365317), UINT64_C(3203168211198807973),
        UINT64_C(9817491932198370423), UINT64_C(4593380528125082431),
        UINT64_C(16408922859458223821),
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_int_equal(mlps_splitmix64_next(&sm), expected[i]);
}

static void test_seed_expands_through_splitmix64(void **state)
{
    (void)state;
    mlps_rng rng;
    mlps_rng_seed(&rng, 1234567);
    assert_int_equal(rng.s[0], UINT64_C(6457827717110365317));
    assert_int_equal(rng.s[3], UINT64_C(4593380528125082431));

    mlps_rng a, b, c;
    mlps_rng_seed(&a, 99);
    mlps_rng_seed(&b, 99);
    mlps_rng_seed(&c, 100);
    int same_as_b = 0, same_as_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = mlps_rng_next(&a);
        same_as_b += x == mlps_rng_next(&b);
        same_as_c += x == mlps_rng_next(&c);
    }
    assert_int_equal(same_as_b, 1000);
    assert_int_equal(same_as_c, 0);
}

/* A 256x256 matrix over GF(2) as 256 columns of 256-bit state vectors. */
typedef struct gf2_matrix {
    uint64_t col[256][4];
} gf2_matrix;

static void gf2_apply(const gf2_matrix *m, const uint64_t v[4], uint64_t out[4])
{
    uint64_t acc[4] = {0, 0, 0, 0};
    for (int j = 0; j < 256; j++) {
        if (v[j / 64] >> (j % 64) & 1) {
            for (int w = 0; w < 4; w++)
                acc[w] ^= m->col[j][w];
        }
    }
    memcpy(out, acc, sizeof acc);
}

static void gf2_square(const gf2_matrix *m, gf2_matrix *out)
{
    for (int j = 0; j < 256; j++)
        gf2_apply(m, m->col[j], out->col[j]);
}

static void test_jump_equals_two_to_the_128_steps(void **state)
{
    (void)state;
    /* The state update is linear over GF(2); its matrix raised to 2^128 by 128 squarings
     * must act on a state exactly as the jump polynomial does. */
    gf2_matrix *m = malloc(sizeof *m), *tmp = malloc(sizeof *tmp);
    assert_non_null(m);
    assert_non_null(tmp);
    for (int j = 0; j < 256; j++) {
        mlps_rng unit = {.s = {0, 0, 0, 0}};
        unit.s[j / 64] = UINT64_C(1) << (j % 64);
        (void)mlps_rng_next(&unit);
        memcpy(m->col[j], unit.s, sizeof unit.s);
    }
    for (int i = 0; i < 128; i++) {
        gf2_square(m, tmp);
        gf2_matrix *swap = m;
        m = tmp;
        tmp = swap;
    }
    for (uint64_t seed = 0; seed < 3; seed++) {
        mlps_rng rng;
        mlps_rng_seed(&rng, seed);
        uint64_t expected[4];
        gf2_apply(m, rng.s, expected);
        mlps_rng_jump(&rng);
        assert_memory_equal(rng.s, expected, sizeof expected);
    }
    free(m);
    free(tmp);
}

static void test_streams_are_seed_plus_jumps(void **state)
{
    (void)state;
    mlps_rng expected, stream;
    mlps_rng_seed(&expected, 5);
    mlps_rng_stream(&stream, 5, 0);
    assert_memory_equal(stream.s, expected.s, sizeof expected.s);
    for (uint64_t k = 1; k <= 4; k++) {
        mlps_rng_jump(&expected);
        mlps_rng_stream(&stream, 5, k);
        assert_memory_equal(stream.s, expected.s, sizeof expected.s);
    }
    mlps_rng s1, s2;
    mlps_rng_stream(&s1, 5, 1);
    mlps_rng_stream(&s2, 5, 2);
    int equal = 0;
    for (int i = 0; i < 1000; i++)
        equal += mlps_rng_next(&s1) == mlps_rng_next(&s2);
    assert_int_equal(equal, 0);
}

static void test_uniform_uses_top_53_bits(void **state)
{
    (void)state;
    mlps_rng rng = {.s = {1, 2, 3, 4}};
    assert_true(mlps_rng_uniform(&rng) == (double)(UINT64_C(41943041) >> 11) * 0x1.0p-53);
    mlps_rng_seed(&rng, 11);
    double sum = 0.0;
    for (int i = 0; i < 100000; i++) {
        double u = mlps_rng_uniform(&rng);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    assert_true(fabs(sum / 100000 - 0.5) < 0.005);
}

static void test_below_is_in_range_and_uniform(void **state)
{
    (void)state;
    mlps_rng rng;
    mlps_rng_seed(&rng, 2024);
    assert_int_equal(mlps_rng_below(&rng, 0), 0);
    assert_int_equal(mlps_rng_below(&rng, 1), 0);

    enum { DRAWS = 100000, BUCKETS = 10 };
    uint64_t counts[BUCKETS] = {0};
    for (int i = 0; i < DRAWS; i++) {
        uint64_t x = mlps_rng_below(&rng, BUCKETS);
        assert_true(x < BUCKETS);
        counts[x]++;
    }
    double expected = (double)DRAWS / BUCKETS, chi2 = 0.0;
    for (int b = 0; b < BUCKETS; b++)
        chi2 += ((double)counts[b] - expected) * ((double)counts[b] - expected) / expected;
    /* 21.67 is the 1 % critical value of chi-square with 9 degrees of freedom. */
    if (chi2 >= 21.67)
        fail_msg("chi-square %.2f over 10 buckets", chi2);
}

static void test_below_has_no_bias_for_huge_bounds(void **state)
{
    (void)state;
    /* Bound 3 * 2^62 exposes both classic biases. x % bound lands below 2^62 half the
     * time; multiplying without rejecting, floor(x * 3/4) hits multiples of 3 half the
     * time. Unbiased draws do each a third of the time. */
    mlps_rng rng;
    mlps_rng_seed(&rng, 77);
    uint64_t bound = UINT64_C(3) << 62, low = 0, multiple_of_three = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = mlps_rng_below(&rng, bound);
        assert_true(x < bound);
        low += x < (UINT64_C(1) << 62);
        multiple_of_three += x % 3 == 0;
    }
    assert_true(fabs((double)low / 100000 - 1.0 / 3.0) < 0.01);
    assert_true(fabs((double)multiple_of_three / 100000 - 1.0 / 3.0) < 0.01);
}

static void test_normal_has_requested_mean_and_stdev(void **state)
{
    (void)state;
    mlps_rng rng;
    mlps_rng_seed(&rng, 31337);
    enum { N = 100000 };
    double sum = 0.0, sum_sq = 0.0;
    int within_one_sigma = 0;
    for (int i = 0; i < N; i++) {
        double x = mlps_rng_normal(&rng, 10.0, 2.0);
        sum += x;
        sum_sq += x * x;
        within_one_sigma += fabs(x - 10.0) < 2.0;
    }
    double mean = sum / N, stdev = sqrt(sum_sq / N - mean * mean);
    assert_true(fabs(mean - 10.0) < 0.03);
    assert_true(fabs(stdev - 2.0) < 0.03);
    /* 68.27 % of a normal distribution lies within one standard deviation. */
    assert_true(fabs((double)within_one_sigma / N - 0.6827) < 0.01);
}

static void test_shuffle_is_a_uniform_permutation(void **state)
{
    (void)state;
    mlps_rng rng;
    mlps_rng_seed(&rng, 8);
    uint64_t items[1000];
    for (uint64_t i = 0; i < 1000; i++)
        items[i] = i;
    mlps_rng_shuffle_u64(&rng, items, 1000);
    int fixed_points = 0;
    uint8_t seen[1000] = {0};
    for (uint64_t i = 0; i < 1000; i++) {
        assert_true(items[i] < 1000 && !seen[items[i]]);
        seen[items[i]] = 1;
        fixed_points += items[i] == i;
    }
    assert_true(fixed_points < 10);
    mlps_rng_shuffle_u64(&rng, items, 0);
    mlps_rng_shuffle_u64(&rng, items, 1);

    /* All 6 orders of three items, equally often. */
    enum { SHUFFLES = 60000 };
    uint64_t counts[6] = {0};
    for (int i = 0; i < SHUFFLES; i++) {
        uint64_t three[3] = {0, 1, 2};
        mlps_rng_shuffle_u64(&rng, three, 3);
        counts[three[0] * 2 + (three[1] > three[2])]++;
    }
    double expected = SHUFFLES / 6.0, chi2 = 0.0;
    for (int k = 0; k < 6; k++)
        chi2 += ((double)counts[k] - expected) * ((double)counts[k] - expected) / expected;
    /* 15.09 is the 1 % critical value of chi-square with 5 degrees of freedom. */
    if (chi2 >= 15.09)
        fail_msg("chi-square %.2f over the 6 orders of three items", chi2);

    mlps_rng r1, r2;
    mlps_rng_seed(&r1, 3);
    mlps_rng_seed(&r2, 3);
    uint64_t x[50], y[50];
    for (uint64_t i = 0; i < 50; i++)
        x[i] = y[i] = i;
    mlps_rng_shuffle_u64(&r1, x, 50);
    mlps_rng_shuffle_u64(&r2, y, 50);
    assert_memory_equal(x, y, sizeof x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xoshiro256pp_known_answers),
        cmocka_unit_test(test_splitmix64_known_answers),
        cmocka_unit_test(test_seed_expands_through_splitmix64),
        cmocka_unit_test(test_jump_equals_two_to_the_128_steps),
        cmocka_unit_test(test_streams_are_seed_plus_jumps),
        cmocka_unit_test(test_uniform_uses_top_53_bits),
        cmocka_unit_test(test_below_is_in_range_and_uniform),
        cmocka_unit_test(test_below_has_no_bias_for_huge_bounds),
        cmocka_unit_test(test_normal_has_requested_mean_and_stdev),
        cmocka_unit_test(test_shuffle_is_a_uniform_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
