/* Tests for kvcache/samples: percentiles by linear interpolation as the reference computes them,
 * the mean, insertion-order copies, clearing, and appends from several threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <pthread.h>

#include "kvcache/samples.h"

static void assert_close(double actual, double expected)
{
    double tolerance = 1e-12 * (expected < 0 ? -expected : expected) + 1e-12;
    if (!(actual >= expected - tolerance && actual <= expected + tolerance))
        fail_msg("got %.17g, expected %.17g", actual, expected);
}

static void percentiles_interpolate_linearly(void **state)
{
    (void)state;
    mlps_kv_samples s;
    mlps_kv_samples_init(&s);
    for (int v = 100; v >= 1; v--) /* out of order on purpose */
        assert_int_equal(mlps_kv_samples_add(&s, v), 0);
    mlps_kv_sorted sorted;
    assert_int_equal(mlps_kv_samples_sorted(&s, &sorted), 0);
    assert_close(mlps_kv_percentile(&sorted, 50), 50.5);
    assert_close(mlps_kv_percentile(&sorted, 95), 95.05);
    assert_close(mlps_kv_percentile(&sorted, 99), 99.01);
    assert_close(mlps_kv_percentile(&sorted, 99.9), 99.901);
    assert_close(mlps_kv_percentile(&sorted, 99.99), 99.9901);
    assert_close(mlps_kv_percentile(&sorted, 0), 1);
    assert_close(mlps_kv_percentile(&sorted, 100), 100);
    assert_close(mlps_kv_mean(&sorted), 50.5);
    mlps_kv_sorted_free(&sorted);
    mlps_kv_samples_destroy(&s);
}

static void small_and_empty_sets(void **state)
{
    (void)state;
    mlps_kv_samples s;
    mlps_kv_samples_init(&s);
    mlps_kv_sorted sorted;
    assert_int_equal(mlps_kv_samples_sorted(&s, &sorted), 0);
    assert_close(mlps_kv_percentile(&sorted, 95), 0);
    assert_close(mlps_kv_mean(&sorted), 0);
    mlps_kv_sorted_free(&sorted);
    mlps_kv_samples_add(&s, 0.25);
    assert_int_equal(mlps_kv_samples_sorted(&s, &sorted), 0);
    assert_close(mlps_kv_percentile(&sorted, 99.99), 0.25);
    mlps_kv_sorted_free(&sorted);
    mlps_kv_samples_add(&s, 0.75);
    assert_int_equal(mlps_kv_samples_sorted(&s, &sorted), 0);
    assert_close(mlps_kv_percentile(&sorted, 95), 0.725); /* 0.25 + 0.95 × 0.5 */
    mlps_kv_sorted_free(&sorted);
    mlps_kv_samples_clear(&s);
    assert_int_equal(mlps_kv_samples_count(&s), 0);
    mlps_kv_samples_destroy(&s);
}

static void copies_keep_insertion_order(void **state)
{
    (void)state;
    mlps_kv_samples s;
    mlps_kv_samples_init(&s);
    const double values[] = {3, 1, 2};
    for (int i = 0; i < 3; i++)
        mlps_kv_samples_add(&s, values[i]);
    double *copy;
    size_t count;
    assert_int_equal(mlps_kv_samples_copy(&s, &copy, &count), 0);
    assert_int_equal(count, 3);
    for (int i = 0; i < 3; i++)
        assert_close(copy[i], values[i]);
    free(copy);
    mlps_kv_samples_destroy(&s);
}

static void *add_many(void *arg)
{
    for (int i = 0; i < 10000; i++)
        mlps_kv_samples_add(arg, 1.0);
    return NULL;
}

static void appends_from_threads_are_all_kept(void **state)
{
    (void)state;
    mlps_kv_samples s;
    mlps_kv_samples_init(&s);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, add_many, &s);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(mlps_kv_samples_count(&s), 40000);
    mlps_kv_samples_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_interpolate_linearly),
        cmocka_unit_test(small_and_empty_sets),
        cmocka_unit_test(copies_keep_insertion_order),
        cmocka_unit_test(appends_from_threads_are_all_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
