/* Tests of the training metrics arithmetic: the spec's AU timeline, exclusion windows, empty
 * windows, step-weighted epochs, the mean over ranks / sum over ranks / mean and population
 * stdev over epochs, MiB/s, bytes read per second and the AU verdict at its exact threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "core/comm.h"
#include "training/metrics.h"

#define NS 1000000000ull
#define EPS 1e-9

static const mlps_metric_window default_window = {
    .steps = 10, .exclude_start_steps = 1, .exclude_end_steps = 0, .batch_size = 7};

/* The spec's timeline (section 7.4): 10 steps, C = 1 s each, L_1 = 5 s, the other L = 0.1 s,
 * no barrier wait, so the block lasts 6 + 9 x 1.1 = 15.9 s. Each step reads 1000 bytes. */
static void record_spec_timeline(mlps_block_record *block, uint64_t start_ns)
{
    assert_int_equal(mlps_block_record_init(block, 4, start_ns, 5 * NS, NULL), 0);
    for (int i = 0; i < 10; i++) {
        double load = i == 0 ? 5.0 : 0.1;
        assert_int_equal(mlps_block_record_add_step(block, load, 1.0, load + 1.0, 1000, NULL), 0);
    }
    mlps_block_record_end(block, start_ns + 15900000000ull, 5 * NS + 15900000000ull);
}

static void spec_timeline_gives_ninety_point_nine_percent(void **state)
{
    (void)state;
    mlps_block_record block;
    record_spec_timeline(&block, 100 * NS);
    assert_int_equal(block.steps, 10);
    mlps_block_metrics m;
    mlps_block_metrics_compute(&default_window, &block, &m);
    assert_int_equal(m.steps, 10);
    assert_int_equal(m.window_steps, 9);
    assert_float_equal(m.compute_seconds, 9.0, EPS);
    assert_float_equal(m.total_time, 9.9, EPS);
    assert_float_equal(m.au_percent, 100.0 * 9 / 9.9, EPS);
    assert_float_equal(m.au_percent, 90.909090909, 1e-8);
    assert_float_equal(m.throughput, 9.0 * 7 / 9.9, EPS);
    assert_float_equal(m.reference_throughput, 8.0 * 7 / 9.9, EPS);
    assert_int_equal(m.window_bytes, 9000);
    assert_float_equal(m.bytes_per_second, 9000 / 9.9, EPS);
    mlps_block_record_free(&block);
}

static void excluded_end_steps_leave_the_denominator(void **state)
{
    (void)state;
    mlps_block_record block;
    record_spec_timeline(&block, 0);
    mlps_metric_window window = default_window;
    window.exclude_end_steps = 2; /* window 1..7 */
    mlps_block_metrics m;
    mlps_block_metrics_compute(&window, &block, &m);
    assert_int_equal(m.window_steps, 7);
    assert_float_equal(m.total_time, 15.9 - 6 - 2.2, EPS);
    assert_float_equal(m.au_percent, 100.0 * 7 / 7.7, EPS);
    assert_float_equal(m.throughput, 7.0 * 7 / 7.7, EPS);
    assert_float_equal(m.reference_throughput, 8.0 * 7 / 7.7, EPS);

    window.exclude_start_steps = 0;
    window.exclude_end_steps = 0; /* every step counts */
    mlps_block_metrics_compute(&window, &block, &m);
    assert_int_equal(m.window_steps, 10);
    assert_float_equal(m.total_time, 15.9, EPS);
    assert_float_equal(m.au_percent, 100.0 * 10 / 15.9, EPS);

    /* The window is fixed by the epoch's steps: a block that stopped after 4 steps counts
     * steps 1..3 and excludes nothing at the end. */
    window = default_window;
    block.steps = 4;
    mlps_block_record_end(&block, 6 * NS + 3300000000ull, 0);
    mlps_block_metrics_compute(&window, &block, &m);
    assert_int_equal(m.window_steps, 3);
    assert_float_equal(m.total_time, 3.3, EPS);
    assert_float_equal(m.au_percent, 100.0 * 3 / 3.3, EPS);
    assert_float_equal(m.reference_throughput, 2.0 * 7 / 3.3, EPS);
    mlps_block_record_free(&block);
}

static void empty_windows_and_no_compute_give_zero(void **state)
{
    (void)state;
    mlps_block_record block;
    mlps_block_metrics m;
    /* One step, excluded as the first: nothing left to measure. */
    assert_int_equal(mlps_block_record_init(&block, 1, 0, 0, NULL), 0);
    assert_int_equal(mlps_block_record_add_step(&block, 0.5, 1.0, 1.5, 10, NULL), 0);
    mlps_block_record_end(&block, 2 * NS, 2 * NS);
    mlps_block_metrics_compute(&default_window, &block, &m);
    assert_int_equal(m.window_steps, 0);
    assert_float_equal(m.au_percent, 0, 0);
    assert_float_equal(m.throughput, 0, 0);
    assert_float_equal(m.reference_throughput, 0, 0);
    mlps_block_record_free(&block);

    /* Exclusions that cover every step of the epoch. */
    mlps_metric_window covered = {.steps = 3, .exclude_start_steps = 2, .exclude_end_steps = 2,
                                  .batch_size = 1};
    record_spec_timeline(&block, 0);
    mlps_block_metrics_compute(&covered, &block, &m);
    assert_int_equal(m.window_steps, 0);
    assert_float_equal(m.au_percent, 0, 0);
    assert_float_equal(m.throughput, 0, 0);

    /* No compute in the window: AU 0, throughput still counted. */
    for (size_t i = 0; i < block.steps; i++)
        block.compute[i] = 0;
    mlps_block_metrics_compute(&default_window, &block, &m);
    assert_float_equal(m.au_percent, 0, 0);
    assert_float_equal(m.throughput, 9.0 * 7 / 9.9, EPS);

    /* No time left once the excluded steps are removed. */
    mlps_block_record_end(&block, 6 * NS, 0);
    mlps_block_metrics_compute(&default_window, &block, &m);
    assert_float_equal(m.total_time, 0, EPS);
    assert_float_equal(m.au_percent, 0, 0);
    assert_float_equal(m.throughput, 0, 0);
    assert_float_equal(m.bytes_per_second, 0, 0);
    mlps_block_record_free(&block);
}

static void blocks_combine_weighted_by_their_steps(void **state)
{
    (void)state;
    const mlps_block_metrics blocks[2] = {
        {.steps = 3, .au_percent = 60, .throughput = 30, .reference_throughput = 10,
         .bytes_per_second = 100},
        {.steps = 1, .au_percent = 100, .throughput = 50, .reference_throughput = 20,
         .bytes_per_second = 300},
    };
    mlps_epoch_metrics epoch;
    mlps_epoch_metrics_combine(blocks, 2, &epoch);
    assert_int_equal(epoch.steps, 4);
    assert_float_equal(epoch.au_percent, 70, EPS);
    assert_float_equal(epoch.throughput, 35, EPS);
    assert_float_equal(epoch.reference_throughput, 12.5, EPS);
    assert_float_equal(epoch.bytes_per_second, 150, EPS);

    mlps_epoch_metrics_combine(blocks, 0, &epoch);
    assert_int_equal(epoch.steps, 0);
    assert_float_equal(epoch.au_percent, 0, 0);
}

/* An epoch split by a checkpoint: block 1 is the spec timeline, block 2 has 3 steps of
 * L = 0.5, C = 1.5 over 6 s. */
static void epoch_records_compute_every_block(void **state)
{
    (void)state;
    mlps_epoch_record epoch;
    mlps_epoch_record_init(&epoch, 1, 0);
    mlps_block_record *block;
    assert_int_equal(mlps_epoch_record_start_block(&epoch, 2, 0, 0, &block, NULL), 0);
    for (int i = 0; i < 10; i++) {
        double load = i == 0 ? 5.0 : 0.1;
        assert_int_equal(mlps_block_record_add_step(block, load, 1.0, load + 1.0, 0, NULL), 0);
    }
    mlps_block_record_end(block, 15900000000ull, 0);
    assert_int_equal(mlps_epoch_record_start_block(&epoch, 2, 20 * NS, 0, &block, NULL), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mlps_block_record_add_step(block, 0.5, 1.5, 2.0, 0, NULL), 0);
    mlps_block_record_end(block, 26 * NS, 0);
    assert_int_equal(epoch.block_count, 2);

    mlps_block_metrics second;
    mlps_block_metrics_compute(&default_window, &epoch.blocks[1], &second);
    assert_float_equal(second.total_time, 4.0, EPS); /* 6 s minus step 0's 2 s */
    assert_float_equal(second.au_percent, 75.0, EPS);

    mlps_epoch_metrics m;
    mlps_epoch_metrics_compute(&default_window, &epoch, &m);
    assert_int_equal(m.steps, 13);
    assert_float_equal(m.au_percent, (100.0 * 9 / 9.9 * 10 + 75.0 * 3) / 13, EPS);
    assert_float_equal(m.throughput, (9.0 * 7 / 9.9 * 10 + 2.0 * 7 / 4.0 * 3) / 13, EPS);
    assert_float_equal(m.reference_throughput, (8.0 * 7 / 9.9 * 10 + 1.0 * 7 / 4.0 * 3) / 13,
                       EPS);
    mlps_epoch_record_free(&epoch);
}

static void records_grow_past_their_expected_size(void **state)
{
    (void)state;
    mlps_block_record block;
    assert_int_equal(mlps_block_record_init(&block, 0, 0, 0, NULL), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(mlps_block_record_add_step(&block, i, 2.0 * i, 3.0 * i, (uint64_t)i,
                                                    NULL), 0);
    assert_int_equal(block.steps, 1000);
    assert_true(block.capacity >= 1000);
    assert_float_equal(block.load[999], 999, 0);
    assert_float_equal(block.compute[500], 1000, 0);
    assert_float_equal(block.processed[3], 9, 0);
    assert_int_equal(block.bytes[77], 77);
    mlps_block_record_free(&block);
}

static void population_stats_use_ddof_zero(void **state)
{
    (void)state;
    const double values[] = {2, 4, 4, 4, 5, 5, 7, 9};
    double mean, stdev;
    mlps_population_stats(values, 8, &mean, &stdev);
    assert_float_equal(mean, 5, 0);
    assert_float_equal(stdev, 2, 0);
    mlps_population_stats(values, 0, &mean, &stdev);
    assert_float_equal(mean, 0, 0);
    assert_float_equal(stdev, 0, 0);
    const double same[] = {0.1, 0.1, 0.1};
    mlps_population_stats(same, 3, &mean, &stdev);
    assert_true(stdev < 1e-16); /* NumPy: 1.39e-17, from the rounded mean */
}

/* Two ranks, three epochs: AU is the mean over ranks, throughput and bytes the sum; then mean
 * and population stdev over epochs. */
static void ranks_and_epochs_aggregate_as_dlio_does(void **state)
{
    (void)state;
    const mlps_epoch_metrics rank0[3] = {
        {.steps = 9, .au_percent = 80, .throughput = 10, .reference_throughput = 8,
         .bytes_per_second = 1000},
        {.steps = 9, .au_percent = 90, .throughput = 20, .reference_throughput = 16,
         .bytes_per_second = 2000},
        {.steps = 9, .au_percent = 100, .throughput = 30, .reference_throughput = 24,
         .bytes_per_second = 3000},
    };
    const mlps_epoch_metrics rank1[3] = {
        {.steps = 9, .au_percent = 60, .throughput = 12, .reference_throughput = 10,
         .bytes_per_second = 1000},
        {.steps = 9, .au_percent = 70, .throughput = 22, .reference_throughput = 20,
         .bytes_per_second = 1000},
        {.steps = 9, .au_percent = 80, .throughput = 32, .reference_throughput = 30,
         .bytes_per_second = 1000},
    };
    double packed0[12], packed1[12], summed[12];
    mlps_metrics_pack(rank0, 3, packed0);
    mlps_metrics_pack(rank1, 3, packed1);
    for (int i = 0; i < 12; i++)
        summed[i] = packed0[i] + packed1[i];

    mlps_run_metric_params params = {.record_size = 1.5 * 1048576, .au_expectation = 0.80};
    mlps_run_metrics m;
    assert_int_equal(mlps_run_metrics_from_sums(summed, 3, 2, &params, &m, NULL), 0);
    assert_int_equal(m.epochs, 3);
    assert_int_equal(m.ranks, 2);
    assert_float_equal(m.au_percent.per_epoch[0], 70, EPS);
    assert_float_equal(m.au_percent.per_epoch[1], 80, EPS);
    assert_float_equal(m.au_percent.per_epoch[2], 90, EPS);
    assert_float_equal(m.au_percent.mean, 80, EPS);
    assert_float_equal(m.au_percent.stdev, sqrt(200.0 / 3), EPS);
    assert_float_equal(m.throughput.per_epoch[0], 22, EPS);
    assert_float_equal(m.throughput.per_epoch[2], 62, EPS);
    assert_float_equal(m.throughput.mean, 42, EPS);
    assert_float_equal(m.throughput.stdev, sqrt(800.0 / 3), EPS);
    assert_float_equal(m.reference_throughput.mean, (18 + 36 + 54) / 3.0, EPS);
    assert_float_equal(m.bytes_per_second.per_epoch[1], 3000, EPS);
    assert_float_equal(m.bytes_per_second.mean, 3000, EPS);
    assert_float_equal(m.bytes_per_second.stdev, sqrt(2000000.0 / 3), EPS);
    /* MiB/s from the configured record size: 42 samples/s x 1.5 MiB. */
    assert_float_equal(m.io_mean_mib_per_second, 63, EPS);
    assert_float_equal(m.io_stdev_mib_per_second, 1.5 * sqrt(800.0 / 3), EPS);
    assert_float_equal(m.au_expectation_percent, 80, 0);
    assert_true(m.meets_expectation); /* 80 >= 80 */
    mlps_run_metrics_free(&m);

    params.au_expectation = 0.81;
    assert_int_equal(mlps_run_metrics_from_sums(summed, 3, 2, &params, &m, NULL), 0);
    assert_false(m.meets_expectation);
    mlps_run_metrics_free(&m);
}

static bool verdict_for(double au_percent, double au_expectation)
{
    mlps_epoch_metrics epoch = {.steps = 1, .au_percent = au_percent};
    double packed[MLPS_METRICS_VALUES_PER_EPOCH];
    mlps_metrics_pack(&epoch, 1, packed);
    mlps_run_metric_params params = {.record_size = 1, .au_expectation = au_expectation};
    mlps_run_metrics m;
    assert_int_equal(mlps_run_metrics_from_sums(packed, 1, 1, &params, &m, NULL), 0);
    bool meets = m.meets_expectation;
    mlps_run_metrics_free(&m);
    return meets;
}

/* "success" iff mean AU >= 100 x metric.au, at the thresholds of the MLPerf workloads. */
static void verdict_switches_exactly_at_the_threshold(void **state)
{
    (void)state;
    const double thresholds[] = {0.90, 0.70, 0.85};
    for (size_t i = 0; i < 3; i++) {
        double percent = 100 * thresholds[i];
        assert_true(verdict_for(percent, thresholds[i]));
        assert_false(verdict_for(nextafter(percent, 0), thresholds[i]));
        assert_true(verdict_for(nextafter(percent, 200), thresholds[i]));
    }
    assert_true(verdict_for(90.0, 0.9));
    assert_false(verdict_for(89.9999, 0.9));
}

static void solo_reduction_keeps_the_rank_values(void **state)
{
    (void)state;
    mlps_comm comm;
    mlps_comm_init_solo(&comm);
    const mlps_epoch_metrics epochs[2] = {
        {.steps = 5, .au_percent = 91, .throughput = 100, .reference_throughput = 80,
         .bytes_per_second = 4096},
        {.steps = 5, .au_percent = 89, .throughput = 300, .reference_throughput = 240,
         .bytes_per_second = 8192},
    };
    mlps_run_metric_params params = {.record_size = 1048576, .au_expectation = 0.9};
    mlps_run_metrics m;
    mlps_error err = {0};
    assert_int_equal(mlps_metrics_reduce(&comm, epochs, 2, &params, &m, &err), 0);
    assert_int_equal(m.ranks, 1);
    assert_float_equal(m.au_percent.per_epoch[0], 91, 0);
    assert_float_equal(m.au_percent.mean, 90, EPS);
    assert_float_equal(m.au_percent.stdev, 1, EPS);
    assert_float_equal(m.throughput.mean, 200, EPS);
    assert_float_equal(m.throughput.stdev, 100, EPS);
    assert_float_equal(m.io_mean_mib_per_second, 200, EPS);
    assert_float_equal(m.bytes_per_second.mean, 6144, EPS);
    assert_true(m.meets_expectation);
    mlps_run_metrics_free(&m);

    /* No epochs at all: zeros, and a fail. */
    assert_int_equal(mlps_metrics_reduce(&comm, NULL, 0, &params, &m, &err), 0);
    assert_int_equal(m.epochs, 0);
    assert_float_equal(m.au_percent.mean, 0, 0);
    assert_false(m.meets_expectation);
    mlps_run_metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_timeline_gives_ninety_point_nine_percent),
        cmocka_unit_test(excluded_end_steps_leave_the_denominator),
        cmocka_unit_test(empty_windows_and_no_compute_give_zero),
        cmocka_unit_test(blocks_combine_weighted_by_their_steps),
        cmocka_unit_test(epoch_records_compute_every_block),
        cmocka_unit_test(records_grow_past_their_expected_size),
        cmocka_unit_test(population_stats_use_ddof_zero),
        cmocka_unit_test(ranks_and_epochs_aggregate_as_dlio_does),
        cmocka_unit_test(verdict_switches_exactly_at_the_threshold),
        cmocka_unit_test(solo_reduction_keeps_the_rank_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
