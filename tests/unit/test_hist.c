/* Tests for core/hist: bucket layout, exact percentiles on small data, interpolation error
 * on large values, merging as set union, extremes, and the JSON summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hist.h"
#include "core/rng.h"

/* Equal up to rounding of the last bits of a double. */
static void assert_close(double actual, double expected)
{
    double tolerance = 1e-12 * (expected < 0 ? -expected : expected) + 1e-12;
    if (!(actual >= expected - tolerance && actual <= expected + tolerance))
        fail_msg("got %.17g, expected %.17g", actual, expected);
}

static mlps_hist *new_hist(void)
{
    mlps_hist *h = malloc(sizeof *h);
    assert_non_null(h);
    mlps_hist_init(h);
    return h;
}

/* numpy's default percentile of a sorted array. */
static double exact_percentile(const uint64_t *sorted, size_t n, double p)
{
    double pos = p * (double)(n - 1) / 100.0;
    size_t lo = (size_t)pos;
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double fraction = pos - (double)lo;
    return (double)sorted[lo] + fraction * ((double)sorted[hi] - (double)sorted[lo]);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_bucket_layout_covers_all_values_with_narrow_buckets(void **state)
{
    (void)state;
    assert_int_equal(mlps_hist_bucket_count(), 256 + 56 * 128);
    assert_int_equal(mlps_hist_bucket_lowest(0), 0);
    assert_int_equal(mlps_hist_bucket_highest(mlps_hist_bucket_count() - 1), UINT64_MAX);
    for (size_t i = 0; i < mlps_hist_bucket_count(); i++) {
        uint64_t lowest = mlps_hist_bucket_lowest(i), highest = mlps_hist_bucket_highest(i);
        assert_int_equal(mlps_hist_bucket_index(lowest), i);
        assert_int_equal(mlps_hist_bucket_index(highest), i);
        if (i < 256)
            assert_int_equal(lowest, highest);
        else
            assert_true((highest - lowest + 1) * 128 <= lowest);
        if (i + 1 < mlps_hist_bucket_count())
            assert_int_equal(mlps_hist_bucket_lowest(i + 1), highest + 1);
    }
    assert_int_equal(mlps_hist_bucket_index(255), 255);
    assert_int_equal(mlps_hist_bucket_index(256), 256);
    assert_int_equal(mlps_hist_bucket_index(257), 256);
    assert_int_equal(mlps_hist_bucket_index(258), 257);
    assert_int_equal(mlps_hist_bucket_index(UINT64_MAX), mlps_hist_bucket_count() - 1);
}

static void test_percentiles_of_one_to_hundred_interpolate_exactly(void **state)
{
    (void)state;
    mlps_hist *h = new_hist();
    for (uint64_t v = 1; v <= 100; v++)
        mlps_hist_record(h, v);
    assert_close(mlps_hist_percentile(h, 0), 1);
    assert_close(mlps_hist_percentile(h, 50), 50.5);
    assert_close(mlps_hist_percentile(h, 90), 90.1);
    assert_close(mlps_hist_percentile(h, 95), 95.05);
    assert_close(mlps_hist_percentile(h, 99), 99.01);
    assert_close(mlps_hist_percentile(h, 99.9), 99.901);
    assert_close(mlps_hist_percentile(h, 99.99), 99.9901);
    assert_close(mlps_hist_percentile(h, 100), 100);
    assert_close(mlps_hist_percentile(h, -5), 1);
    assert_close(mlps_hist_percentile(h, 250), 100);
    assert_close(mlps_hist_mean(h), 50.5);
    assert_int_equal(mlps_hist_count(h), 100);
    assert_int_equal(mlps_hist_min(h), 1);
    assert_int_equal(mlps_hist_max(h), 100);
    free(h);
}

static void test_empty_histogram_reports_zeros(void **state)
{
    (void)state;
    mlps_hist *h = new_hist();
    assert_int_equal(mlps_hist_count(h), 0);
    assert_int_equal(mlps_hist_min(h), 0);
    assert_int_equal(mlps_hist_max(h), 0);
    assert_true(mlps_hist_mean(h) == 0.0);
    assert_true(mlps_hist_percentile(h, 0) == 0.0);
    assert_true(mlps_hist_percentile(h, 50) == 0.0);
    assert_true(mlps_hist_percentile(h, 100) == 0.0);
    mlps_hist_summary s;
    mlps_hist_summarize(h, &s);
    assert_int_equal(s.count, 0);
    assert_true(s.min == 0 && s.max == 0 && s.mean == 0 && s.p50 == 0 && s.p99_99 == 0);
    /* The raw fields are the identities of their reductions. */
    assert_int_equal(h->min, UINT64_MAX);
    assert_int_equal(h->max, 0);
    mlps_hist_record_n(h, 77, 0);
    assert_int_equal(mlps_hist_count(h), 0);
    assert_int_equal(h->min, UINT64_MAX);
    free(h);
}

static void test_single_value_is_every_statistic(void **state)
{
    (void)state;
    mlps_hist *h = new_hist();
    mlps_hist_record(h, 123457);
    const double ps[] = {0, 1, 50, 90, 99.99, 100};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        assert_true(mlps_hist_percentile(h, ps[i]) == 123457.0);
    assert_true(mlps_hist_mean(h) == 123457.0);
    assert_int_equal(mlps_hist_min(h), 123457);
    assert_int_equal(mlps_hist_max(h), 123457);
    free(h);
}

static void test_min_and_max_are_exact_not_bucketed(void **state)
{
    (void)state;
    mlps_hist *h = new_hist();
    mlps_hist_record(h, 1000003);
    mlps_hist_record(h, 1000001);
    mlps_hist_record(h, 5000017);
    assert_int_equal(mlps_hist_min(h), 1000001);
    assert_int_equal(mlps_hist_max(h), 5000017);
    assert_true(mlps_hist_percentile(h, 0) == 1000001.0);
    assert_true(mlps_hist_percentile(h, 100) == 5000017.0);
    /* The middle sample stands for its bucket's midpoint: within half a bucket. */
    double p50 = mlps_hist_percentile(h, 50);
    assert_true(p50 >= 1000001.0 && p50 <= 1000003.0 + 1000003.0 / 256);
    free(h);
}

static void record_spread(mlps_hist *h, uint64_t *values, size_t n, uint64_t seed,
                          uint64_t low, uint64_t high)
{
    mlps_rng rng;
    mlps_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = low + mlps_rng_below(&rng, high - low + 1);
        if (values)
            values[i] = v;
        mlps_hist_record(h, v);
    }
}

static void test_percentile_relative_error_within_one_percent(void **state)
{
    (void)state;
    enum { N = 20000 };
    mlps_hist *h = new_hist();
    uint64_t *values = malloc(N * sizeof *values);
    assert_non_null(values);
    /* Log-uniform-ish over 1e6..1e9 ns: spread over three decades, as latencies are. */
    mlps_rng rng;
    mlps_rng_seed(&rng, 7);
    for (size_t i = 0; i < N; i++) {
        double exponent = 6.0 + 3.0 * mlps_rng_uniform(&rng);
        double v = 1.0;
        for (int d = 0; d < (int)exponent; d++)
            v *= 10.0;
        v *= 1.0 + 9.0 * (exponent - (int)exponent);
        values[i] = (uint64_t)v;
        mlps_hist_record(h, values[i]);
    }
    qsort(values, N, sizeof *values, compare_u64);
    const double ps[] = {0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double exact = exact_percentile(values, N, ps[i]);
        double got = mlps_hist_percentile(h, ps[i]);
        double err = (got > exact ? got - exact : exact - got) / exact;
        if (err > 0.01)
            fail_msg("p%g: got %.1f, exact %.1f, relative error %.4f", ps[i], got, exact, err);
        /* The bucket midpoint is at most half a bucket (1/256) away. */
        assert_true(err <= 1.0 / 256 + 1e-9);
    }
    free(values);
    free(h);
}

static void test_merge_equals_recording_the_union(void **state)
{
    (void)state;
    mlps_hist *a = new_hist(), *b = new_hist(), *both = new_hist();
    record_spread(a, NULL, 5000, 1, 0, 300);
    record_spread(both, NULL, 5000, 1, 0, 300);
    record_spread(b, NULL, 7000, 2, 1000, 1000000000);
    record_spread(both, NULL, 7000, 2, 1000, 1000000000);
    mlps_hist_record_n(b, UINT64_MAX, 3);
    mlps_hist_record_n(both, UINT64_MAX, 3);

    mlps_hist_merge(a, b);
    for (size_t i = 0; i < mlps_hist_bucket_count(); i++)
        assert_int_equal(a->counts[i], both->counts[i]);
    assert_int_equal(a->count, both->count);
    assert_int_equal(a->count, 12003);
    assert_int_equal(a->min, both->min);
    assert_int_equal(a->max, UINT64_MAX);
    assert_true(a->sum == both->sum);
    const double ps[] = {0, 10, 33.3, 50, 90, 99, 99.99, 100};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        assert_true(mlps_hist_percentile(a, ps[i]) == mlps_hist_percentile(both, ps[i]));
    assert_true(mlps_hist_mean(a) == mlps_hist_mean(both));

    /* An empty histogram is the identity on either side. */
    mlps_hist *empty = new_hist();
    mlps_hist_merge(both, empty);
    assert_int_equal(both->min, a->min);
    mlps_hist_merge(empty, a);
    assert_memory_equal(empty, a, sizeof *a);
    free(a);
    free(b);
    free(both);
    free(empty);
}

static void test_extreme_values_do_not_overflow(void **state)
{
    (void)state;
    mlps_hist *h = new_hist();
    mlps_hist_record(h, 0);
    mlps_hist_record(h, UINT64_MAX);
    assert_int_equal(mlps_hist_count(h), 2);
    assert_int_equal(mlps_hist_min(h), 0);
    assert_int_equal(mlps_hist_max(h), UINT64_MAX);
    assert_true(mlps_hist_sum(h) == (unsigned __int128)UINT64_MAX);
    assert_true(mlps_hist_percentile(h, 0) == 0.0);
    assert_true(mlps_hist_percentile(h, 100) == 18446744073709551615.0);
    assert_close(mlps_hist_percentile(h, 50), 9223372036854775807.5);
    assert_close(mlps_hist_mean(h), 9223372036854775807.5);

    mlps_hist_record_n(h, UINT64_MAX, 1000);
    assert_true(mlps_hist_sum(h) == (unsigned __int128)UINT64_MAX * 1001);
    assert_close(mlps_hist_mean(h), 18446744073709551615.0 * 1001.0 / 1002.0);
    assert_int_equal(h->counts[0], 1);
    assert_int_equal(h->counts[mlps_hist_bucket_count() - 1], 1001);
    free(h);
}

static void test_mean_is_exact_where_double_sums_are_not(void **state)
{
    (void)state;
    mlps_hist *h = new_hist();
    /* 10^12 + k for k < 10^6: the sum exceeds 2^53 many times over, so summing in double
     * would round; the exact mean 10^12 + 499999.5 is representable. */
    for (uint64_t k = 0; k < 1000000; k++)
        mlps_hist_record(h, UINT64_C(1000000000000) + k);
    assert_true(mlps_hist_sum(h) ==
                (unsigned __int128)UINT64_C(1000000000000) * 1000000 + UINT64_C(499999500000));
    assert_true(mlps_hist_mean(h) == 1000000499999.5);
    free(h);
}

static void test_summary_and_json_use_scale_and_suffix(void **state)
{
    (void)state;
    mlps_hist *h = new_hist();
    for (uint64_t v = 1; v <= 100; v++)
        mlps_hist_record(h, v * 1000); /* 1..100 us in ns: every value within 1/256 */
    mlps_hist_summary s;
    mlps_hist_summarize(h, &s);
    assert_int_equal(s.count, 100);
    assert_true(s.min == 1000 && s.max == 100000);
    assert_close(s.mean, 50500);
    assert_true(s.p50 > 50500 * 0.996 && s.p50 < 50500 * 1.004);

    json_t *j = mlps_hist_to_json(h, 1e-3, "_us");
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 100);
    assert_close(json_real_value(json_object_get(j, "min_us")), 1.0);
    assert_close(json_real_value(json_object_get(j, "max_us")), 100.0);
    assert_close(json_real_value(json_object_get(j, "mean_us")), 50.5);
    const char *keys[] = {"p50_us", "p90_us", "p95_us", "p99_us", "p99_9_us", "p99_99_us"};
    const double values[] = {s.p50, s.p90, s.p95, s.p99, s.p99_9, s.p99_99};
    for (size_t i = 0; i < 6; i++) {
        json_t *v = json_object_get(j, keys[i]);
        assert_non_null(v);
        assert_close(json_real_value(v), values[i] * 1e-3);
    }
    assert_int_equal(json_object_size(j), 10);
    json_decref(j);

    char long_suffix[100];
    memset(long_suffix, 'x', sizeof long_suffix - 1);
    long_suffix[sizeof long_suffix - 1] = '\0';
    assert_null(mlps_hist_to_json(h, 1.0, long_suffix));
    free(h);
}

static void test_json_of_empty_histogram_is_zeros(void **state)
{
    (void)state;
    mlps_hist *h = new_hist();
    json_t *j = mlps_hist_to_json(h, 1e-6, "_ms");
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 0);
    assert_true(json_real_value(json_object_get(j, "p99_ms")) == 0.0);
    assert_true(json_real_value(json_object_get(j, "min_ms")) == 0.0);
    json_decref(j);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_layout_covers_all_values_with_narrow_buckets),
        cmocka_unit_test(test_percentiles_of_one_to_hundred_interpolate_exactly),
        cmocka_unit_test(test_empty_histogram_reports_zeros),
        cmocka_unit_test(test_single_value_is_every_statistic),
        cmocka_unit_test(test_min_and_max_are_exact_not_bucketed),
        cmocka_unit_test(test_percentile_relative_error_within_one_percent),
        cmocka_unit_test(test_merge_equals_recording_the_union),
        cmocka_unit_test(test_extreme_values_do_not_overflow),
        cmocka_unit_test(test_mean_is_exact_where_double_sums_are_not),
        cmocka_unit_test(test_summary_and_json_use_scale_and_suffix),
        cmocka_unit_test(test_json_of_empty_histogram_is_zeros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
