/* Tests of per-file sample dimensions: the derived dimension and spread for the MLPerf
 * workloads, determinism per (seed, file), and the distribution of the draws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "training/plan.h"

static void dimension_is_the_floor_of_the_root(void **state)
{
    (void)state;
    mlps_sample_dims dims;
    mlps_sample_dims_init(&dims, 146600628, 68341808, 123); /* unet3d */
    assert_int_equal(dims.dimension, 12107);
    assert_float_equal(dims.dimension_stdev, 68341808 / (2 * sqrt(146600628.0)), 1e-9);
    assert_float_equal(dims.dimension_stdev, 2822.2, 0.05);
    mlps_sample_dims_init(&dims, 2828486, 71311, 123); /* cosmoflow */
    assert_int_equal(dims.dimension, 1681);
    assert_float_equal(dims.dimension_stdev, 21.2, 0.05);
    mlps_sample_dims_init(&dims, 114660.07, 0, 123); /* resnet50 */
    assert_int_equal(dims.dimension, 338);
    assert_float_equal(dims.dimension_stdev, 0, 0);
    mlps_sample_dims_init(&dims, 322957, 0, 123); /* retinanet */
    assert_int_equal(dims.dimension, 568);
}

static void without_spread_every_file_has_the_dimension(void **state)
{
    (void)state;
    mlps_sample_dims dims;
    mlps_sample_dims_init(&dims, 114660.07, 0, 123);
    for (uint64_t i = 0; i < 100; i++) {
        uint64_t d1 = 0, d2 = 0;
        mlps_sample_dims_of_file(&dims, i, &d1, &d2);
        assert_int_equal(d1, 338);
        assert_int_equal(d2, 338);
    }
}

static void draws_depend_only_on_seed_and_file(void **state)
{
    (void)state;
    mlps_sample_dims a, b, other_seed;
    mlps_sample_dims_init(&a, 146600628, 68341808, 123);
    mlps_sample_dims_init(&b, 146600628, 68341808, 123);
    mlps_sample_dims_init(&other_seed, 146600628, 68341808, 124);
    uint64_t differing_files = 0, differing_seeds = 0, differing_pair = 0;
    for (uint64_t i = 0; i < 200; i++) {
        uint64_t a1, a2, b1, b2, c1, c2, n1, n2;
        /* Asking in another order, or asking twice, changes nothing. */
        mlps_sample_dims_of_file(&b, 199 - i, &b1, &b2);
        mlps_sample_dims_of_file(&a, i, &a1, &a2);
        mlps_sample_dims_of_file(&b, i, &b1, &b2);
        assert_int_equal(a1, b1);
        assert_int_equal(a2, b2);
        mlps_sample_dims_of_file(&other_seed, i, &c1, &c2);
        differing_seeds += a1 != c1;
        mlps_sample_dims_of_file(&a, i + 1, &n1, &n2);
        differing_files += a1 != n1;
        differing_pair += a1 != a2;
    }
    assert_true(differing_seeds > 190);
    assert_true(differing_files > 190);
    assert_true(differing_pair > 190);
}

/* unet3d: 20,000 files, 40,000 draws of N(12107, 2822.2): the standard error of the mean is
 * 14, so 60 is over four of them; the sample stdev is within 1 % of sigma. */
static void unet3d_draws_have_the_configured_mean_and_spread(void **state)
{
    (void)state;
    mlps_sample_dims dims;
    mlps_sample_dims_init(&dims, 146600628, 68341808, 123);
    double sum = 0, sum_squares = 0, bytes = 0;
    const uint64_t files = 20000;
    for (uint64_t i = 0; i < files; i++) {
        uint64_t d1, d2;
        mlps_sample_dims_of_file(&dims, i, &d1, &d2);
        sum += (double)d1 + (double)d2;
        sum_squares += (double)d1 * (double)d1 + (double)d2 * (double)d2;
        bytes += (double)d1 * (double)d2;
    }
    double n = 2.0 * (double)files, mean = sum / n;
    double stdev = sqrt(sum_squares / n - mean * mean);
    assert_true(fabs(mean - 12107) < 60);
    assert_true(fabs(stdev - dims.dimension_stdev) < 60);
    /* Mean file size near dimension^2 (146.58 MB), as the spec's sizing says. */
    assert_true(fabs(bytes / (double)files - 146.58e6) < 2.5e6);
}

static void draws_below_one_become_one(void **state)
{
    (void)state;
    mlps_sample_dims dims;
    mlps_sample_dims_init(&dims, 4, 400, 7); /* dimension 2, stdev 100 */
    assert_int_equal(dims.dimension, 2);
    uint64_t ones = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t d1, d2;
        mlps_sample_dims_of_file(&dims, i, &d1, &d2);
        assert_true(d1 >= 1 && d2 >= 1);
        ones += (d1 == 1) + (d2 == 1);
    }
    /* About half the draws are below 1 (and values in [1, 2) truncate to 1 too). */
    assert_true(ones > 900 && ones < 1100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dimension_is_the_floor_of_the_root),
        cmocka_unit_test(without_spread_every_file_has_the_dimension),
        cmocka_unit_test(draws_depend_only_on_seed_and_file),
        cmocka_unit_test(unet3d_draws_have_the_configured_mean_and_spread),
        cmocka_unit_test(draws_below_one_become_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
