/* Tests of the metric outputs: summary.json's "metric" object (every DLIO key and ours, exact
 * values), <rank>_per_epoch_stats.json, the epochs of <rank>_output.json and the [METRIC] log
 * block, with timestamps in UTC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "training/metrics.h"

#define NS 1000000000ull
#define EPS 1e-9
/* 2023-11-14T22:13:20 UTC */
#define BASE_WALL_NS (1700000000ull * NS)

static double au_values[] = {90, 80};
static double throughput_values[] = {100, 300};
static double reference_values[] = {90, 270};
static double bytes_values[] = {1048576, 3145728};

static mlps_run_metrics sample_metrics(void)
{
    return (mlps_run_metrics){
        .epochs = 2, .ranks = 8,
        .au_percent = {au_values, 85, 5},
        .throughput = {throughput_values, 200, 100},
        .reference_throughput = {reference_values, 180, 90},
        .bytes_per_second = {bytes_values, 2097152, 1048576},
        .io_mean_mib_per_second = 12.5, .io_stdev_mib_per_second = 6.25,
        .au_expectation_percent = 90, .meets_expectation = false,
    };
}

static double real_at(const json_t *object, const char *key)
{
    json_t *value = json_object_get(object, key);
    assert_non_null(value);
    assert_true(json_is_real(value));
    return json_real_value(value);
}

static void assert_real_list(const json_t *object, const char *key, const double *expected,
                             size_t n)
{
    json_t *list = json_object_get(object, key);
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), n);
    for (size_t i = 0; i < n; i++)
        assert_float_equal(json_real_value(json_array_get(list, i)), expected[i], 0);
}

static void summary_metric_has_every_key_with_its_value(void **state)
{
    (void)state;
    mlps_run_metrics m = sample_metrics();
    json_t *metric = mlps_metrics_summary_json(&m);
    assert_non_null(metric);
    const char *keys[] = {
        "train_au_percentage", "train_au_mean_percentage", "train_au_meet_expectation",
        "train_au_stdev_percentage", "train_throughput_samples_per_second",
        "train_throughput_mean_samples_per_second", "train_throughput_stdev_samples_per_second",
        "train_io_mean_MB_per_second", "train_io_stdev_MB_per_second",
        "train_au_expectation_percentage",
        "train_throughput_reference_formula_samples_per_second",
        "train_throughput_reference_formula_mean_samples_per_second",
        "train_throughput_reference_formula_stdev_samples_per_second",
        "train_io_bytes_per_second", "train_io_mean_bytes_per_second",
        "train_io_stdev_bytes_per_second",
    };
    assert_int_equal(json_object_size(metric), sizeof keys / sizeof keys[0]);
    /* DLIO's keys come first, in DLIO's order. */
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(metric, key, value) {
        assert_string_equal(key, keys[i]);
        i++;
    }
    assert_real_list(metric, "train_au_percentage", au_values, 2);
    assert_float_equal(real_at(metric, "train_au_mean_percentage"), 85, 0);
    assert_float_equal(real_at(metric, "train_au_stdev_percentage"), 5, 0);
    assert_string_equal(json_string_value(json_object_get(metric, "train_au_meet_expectation")),
                        "fail");
    assert_real_list(metric, "train_throughput_samples_per_second", throughput_values, 2);
    assert_float_equal(real_at(metric, "train_throughput_mean_samples_per_second"), 200, 0);
    assert_float_equal(real_at(metric, "train_throughput_stdev_samples_per_second"), 100, 0);
    assert_float_equal(real_at(metric, "train_io_mean_MB_per_second"), 12.5, 0);
    assert_float_equal(real_at(metric, "train_io_stdev_MB_per_second"), 6.25, 0);
    assert_float_equal(real_at(metric, "train_au_expectation_percentage"), 90, 0);
    assert_real_list(metric, "train_throughput_reference_formula_samples_per_second",
                     reference_values, 2);
    assert_float_equal(
        real_at(metric, "train_throughput_reference_formula_mean_samples_per_second"), 180, 0);
    assert_float_equal(
        real_at(metric, "train_throughput_reference_formula_stdev_samples_per_second"), 90, 0);
    assert_real_list(metric, "train_io_bytes_per_second", bytes_values, 2);
    assert_float_equal(real_at(metric, "train_io_mean_bytes_per_second"), 2097152, 0);
    assert_float_equal(real_at(metric, "train_io_stdev_bytes_per_second"), 1048576, 0);
    json_decref(metric);

    m.meets_expectation = true;
    metric = mlps_metrics_summary_json(&m);
    assert_string_equal(json_string_value(json_object_get(metric, "train_au_meet_expectation")),
                        "success");
    json_decref(metric);
}

/* Epoch 1 from 0.123456789 s to 125.623456789 s after BASE, block 1 within it; epoch 2 split
 * into two blocks by a checkpoint. Block 1 of epoch 1 is the spec's 10-step timeline. */
static void record_two_epochs(mlps_epoch_record epochs[2])
{
    mlps_block_record *block;
    mlps_epoch_record_init(&epochs[0], 1, BASE_WALL_NS + 123456789);
    assert_int_equal(mlps_epoch_record_start_block(&epochs[0], 10, 0, BASE_WALL_NS + 1 * NS,
                                                   &block, NULL), 0);
    for (int i = 0; i < 10; i++) {
        double load = i == 0 ? 5.0 : 0.1;
        assert_int_equal(mlps_block_record_add_step(block, load, 1.0, load + 1.0, 2048, NULL), 0);
    }
    mlps_block_record_end(block, 15900000000ull, BASE_WALL_NS + 1 * NS + 15900000000ull);
    epochs[0].end_wall_ns = BASE_WALL_NS + 125623456789ull;

    mlps_epoch_record_init(&epochs[1], 2, BASE_WALL_NS + 200 * NS);
    for (int b = 0; b < 2; b++) {
        uint64_t start = BASE_WALL_NS + (201 + 10 * (uint64_t)b) * NS;
        assert_int_equal(mlps_epoch_record_start_block(&epochs[1], 1, 0, start, &block, NULL),
                         0);
        for (int i = 0; i < 3; i++)
            assert_int_equal(mlps_block_record_add_step(block, 0.5, 1.5, 2.0, 0, NULL), 0);
        mlps_block_record_end(block, 6 * NS, start + 6 * NS);
    }
    epochs[1].end_wall_ns = BASE_WALL_NS + 230 * NS + 7000000;
}

static const char *string_at(const json_t *object, const char *key)
{
    json_t *value = json_object_get(object, key);
    assert_true(json_is_string(value));
    return json_string_value(value);
}

static void per_epoch_stats_have_dlio_timestamps_and_durations(void **state)
{
    (void)state;
    mlps_epoch_record epochs[2];
    record_two_epochs(epochs);
    json_t *stats = mlps_per_epoch_stats_json(epochs, 2);
    assert_non_null(stats);
    assert_int_equal(json_object_size(stats), 2);

    json_t *first = json_object_get(stats, "1");
    assert_non_null(first);
    assert_string_equal(string_at(first, "start"), "2023-11-14T22:13:20.123456");
    assert_string_equal(string_at(first, "end"), "2023-11-14T22:15:25.623456");
    assert_string_equal(string_at(first, "duration"), "125.50");
    json_t *block = json_object_get(first, "block1");
    assert_string_equal(string_at(block, "start"), "2023-11-14T22:13:21.000000");
    assert_string_equal(string_at(block, "end"), "2023-11-14T22:13:36.900000");
    assert_string_equal(string_at(block, "duration"), "15.90");
    assert_null(json_object_get(first, "block2"));

    json_t *second = json_object_get(stats, "2");
    assert_string_equal(string_at(second, "duration"), "30.01");
    assert_string_equal(string_at(json_object_get(second, "block2"), "start"),
                        "2023-11-14T22:16:51.000000");
    assert_string_equal(string_at(json_object_get(second, "block2"), "duration"), "6.00");
    /* DLIO's order: start, the blocks, then end and duration. */
    const char *order[] = {"start", "block1", "block2", "end", "duration"};
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(second, key, value) {
        assert_string_equal(key, order[i]);
        i++;
    }
    json_decref(stats);
    mlps_epoch_record_free(&epochs[0]);
    mlps_epoch_record_free(&epochs[1]);
}

static void rank_output_lists_step_times_and_block_metrics(void **state)
{
    (void)state;
    mlps_epoch_record epochs[2];
    record_two_epochs(epochs);
    mlps_metric_window window = {.steps = 10, .exclude_start_steps = 1, .batch_size = 7};
    json_t *output = mlps_rank_output_json(epochs, 2, &window, NULL);
    assert_non_null(output);

    json_t *first = json_object_get(output, "1");
    const double loads[] = {5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    const double procs[] = {6, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1};
    const double computes[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_real_list(json_object_get(first, "load"), "block1", loads, 10);
    assert_real_list(json_object_get(first, "proc"), "block1", procs, 10);
    assert_real_list(json_object_get(first, "compute"), "block1", computes, 10);
    assert_float_equal(real_at(json_object_get(first, "au"), "block1"), 100.0 * 9 / 9.9, EPS);
    assert_float_equal(real_at(json_object_get(first, "throughput"), "block1"), 63 / 9.9, EPS);
    assert_float_equal(real_at(json_object_get(first, "read_bytes_per_second"), "block1"),
                       9 * 2048 / 9.9, EPS);
    assert_string_equal(string_at(first, "end"), "2023-11-14T22:15:25.623456");

    json_t *second = json_object_get(output, "2");
    assert_int_equal(json_object_size(json_object_get(second, "au")), 2);
    assert_float_equal(real_at(json_object_get(second, "au"), "block2"), 75, EPS);
    assert_float_equal(real_at(json_object_get(second, "throughput"), "block2"), 14 / 4.0, EPS);
    json_decref(output);
    mlps_epoch_record_free(&epochs[0]);
    mlps_epoch_record_free(&epochs[1]);
}

static void metric_block_uses_dlio_wording(void **state)
{
    (void)state;
    mlps_run_metrics m = sample_metrics();
    m.au_percent.mean = 100.0 * 9 / 9.9;
    m.meets_expectation = true;
    char *text = mlps_metrics_report_text(&m);
    assert_non_null(text);
    assert_string_equal(
        text,
        "Averaged metric over all epochs\n"
        "[METRIC] ==========================================================\n"
        "[METRIC] Number of Simulated Accelerators: 8 \n"
        "[METRIC] Training Accelerator Utilization [AU] (%): 90.9091 (5.0000)\n"
        "[METRIC] Training Throughput (samples/second): 200.0000 (100.0000)\n"
        "[METRIC] Training I/O Throughput (MB/second): 12.5000 (6.2500)\n"
        "[METRIC] train_au_meet_expectation: success\n"
        "[METRIC] Training Throughput by the (n-2) reference formula (samples/second): "
        "180.0000 (90.0000)\n"
        "[METRIC] Training bytes read (MiB/second): 2.0000 (1.0000)\n"
        "[METRIC] ==========================================================\n");
    free(text);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summary_metric_has_every_key_with_its_value),
        cmocka_unit_test(per_epoch_stats_have_dlio_timestamps_and_durations),
        cmocka_unit_test(rank_output_lists_step_times_and_block_metrics),
        cmocka_unit_test(metric_block_uses_dlio_wording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
