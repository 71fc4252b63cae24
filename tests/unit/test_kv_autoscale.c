/* Tests for kvcache/autoscale: saturation needs 10 samples, the qos mode's scale-up, two-in-a-row
 * scale-down and cooldown, the capacity mode's growth steps and its stop, and the user bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvcache/autoscale.h"

static void saturation_is_zero_until_ten_samples(void **state)
{
    (void)state;
    mlps_kv_autoscaler a;
    mlps_kv_autoscaler_init(&a, MLPS_KV_AUTOSCALE_QOS, 0.8, 100, 1, 500, 10);
    for (int i = 0; i < 9; i++)
        mlps_kv_autoscaler_step(&a, 500, 100);
    assert_true(mlps_kv_autoscaler_saturation(&a) == 0.0);
    mlps_kv_autoscaler_step(&a, 500, 100);
    /* latency far above the threshold caps at 1; flat latency (no rising trend) halves it */
    assert_true(mlps_kv_autoscaler_saturation(&a) == 0.5);
}

static void rising_latency_at_steady_throughput_counts_fully(void **state)
{
    (void)state;
    mlps_kv_autoscaler a;
    mlps_kv_autoscaler_init(&a, MLPS_KV_AUTOSCALE_QOS, 0.8, 100, 1, 500, 10);
    for (int i = 0; i < 10; i++)
        mlps_kv_autoscaler_step(&a, 10.0 + i, 1000);
    /* max P95 19 ms of 100 ms, steady throughput, rising trend: 0.19 × 1.0 */
    assert_true(mlps_kv_autoscaler_saturation(&a) > 0.1899 && mlps_kv_autoscaler_saturation(&a) < 0.1901);
}

static void qos_mode_scales_up_below_target_and_down_after_two_highs(void **state)
{
    (void)state;
    mlps_kv_autoscaler a;
    mlps_kv_autoscaler_init(&a, MLPS_KV_AUTOSCALE_QOS, 0.8, 100, 1, 500, 10);
    /* saturation 0 (< 0.72): scale up by 1.2, rounded up */
    assert_int_equal(mlps_kv_autoscaler_step(&a, 1, 100), MLPS_KV_SCALE_UP);
    assert_int_equal(a.users, 12);
    /* fill the window with rising latencies over the threshold: saturation 1.0 > 0.88 */
    mlps_kv_autoscaler_init(&a, MLPS_KV_AUTOSCALE_QOS, 0.8, 100, 1, 500, 10);
    for (int i = 0; i < 9; i++)
        a.read_p95_ms[i] = 200 + i, a.throughput[i] = 1000;
    a.samples = 9;
    assert_int_equal(mlps_kv_autoscaler_step(&a, 300, 1000), MLPS_KV_SCALE_HOLD); /* first high */
    assert_int_equal(mlps_kv_autoscaler_step(&a, 310, 1000), MLPS_KV_SCALE_DOWN); /* second */
    assert_int_equal(a.users, 8);
    /* three intervals of cooldown hold whatever happens */
    for (int i = 0; i < 3; i++)
        assert_int_equal(mlps_kv_autoscaler_step(&a, 400 + i, 1000), MLPS_KV_SCALE_HOLD);
    assert_int_equal(a.users, 8);
}

static void capacity_mode_grows_then_stops_at_the_peak(void **state)
{
    (void)state;
    mlps_kv_autoscaler a;
    mlps_kv_autoscaler_init(&a, MLPS_KV_AUTOSCALE_CAPACITY, 0.8, 100, 1, 500, 50);
    assert_int_equal(mlps_kv_autoscaler_step(&a, 0, 1000), MLPS_KV_SCALE_UP);
    assert_int_equal(a.users, 70); /* first step: 50 × 0.4 = 20 */
    assert_int_equal(mlps_kv_autoscaler_step(&a, 0, 2000), MLPS_KV_SCALE_UP);
    assert_int_equal(a.users, 84); /* then × 0.2 = 14 */
    assert_int_equal(mlps_kv_autoscaler_step(&a, 0, 2010), MLPS_KV_SCALE_HOLD); /* < 1 % better */
    assert_int_equal(mlps_kv_autoscaler_step(&a, 0, 1500), MLPS_KV_SCALE_STOP);
    assert_int_equal(a.peak_users, 70); /* the users that produced the peak */
    assert_true(a.peak_throughput == 2000);
}

static void steps_are_clamped_and_users_bounded(void **state)
{
    (void)state;
    mlps_kv_autoscaler a;
    mlps_kv_autoscaler_init(&a, MLPS_KV_AUTOSCALE_CAPACITY, 0.8, 100, 1, 500, 2);
    mlps_kv_autoscaler_step(&a, 0, 10);
    assert_int_equal(a.users, 7); /* at least 5 */
    mlps_kv_autoscaler_init(&a, MLPS_KV_AUTOSCALE_CAPACITY, 0.8, 100, 1, 500, 480);
    mlps_kv_autoscaler_step(&a, 0, 10);
    assert_int_equal(a.users, 500); /* at most 100, and never above the maximum */
    mlps_kv_autoscaler_init(&a, MLPS_KV_AUTOSCALE_QOS, 0.8, 100, 1, 500, 1);
    mlps_kv_autoscaler_step(&a, 0, 10);
    assert_int_equal(a.users, 2); /* one user can grow */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(saturation_is_zero_until_ten_samples),
        cmocka_unit_test(rising_latency_at_steady_throughput_counts_fully),
        cmocka_unit_test(qos_mode_scales_up_below_target_and_down_after_two_highs),
        cmocka_unit_test(capacity_mode_grows_then_stops_at_the_peak),
        cmocka_unit_test(steps_are_clamped_and_users_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
