/* Tests of evaluation during training (training/eval.h, metrics_eval.c): the schedule of
 * evaluations, the floor formula of their steps and its usage errors, the metrics of one
 * evaluation on a synthetic timeline (AU over the window, throughput over every step and the
 * whole wall time), their aggregation across ranks and over the run, and the outputs that
 * carry them (summary.json keys, per-epoch stats, rank output, [METRIC] lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "training/eval.h"
#include "training/metrics.h"

#define NS 1000000000ull
#define EPS 1e-9
/* 2023-11-14T22:13:20 UTC */
#define BASE_WALL_NS (1700000000ull * NS)

static mlps_workload workload_with(uint64_t samples_per_file, uint64_t files_eval,
                                   uint64_t batch_size_eval)
{
    return (mlps_workload){
        .workflow = {.evaluation = true},
        .dataset = {.num_files_train = 100, .num_files_eval = files_eval,
                    .num_samples_per_file = samples_per_file},
        .reader = {.batch_size = 1, .batch_size_eval = batch_size_eval, .shuffle_size = 1},
        .evaluation = {.eval_after_epoch = 1, .epochs_between_evals = 1},
        .train = {.epochs = 1, .seed = 123},
    };
}

/* --- steps --- */

static void steps_are_the_floor_of_samples_over_batch_and_ranks(void **state)
{
    (void)state;
    struct { uint64_t nspf, files, batch; uint32_t ranks; uint64_t steps; } cases[] = {
        {1, 10, 2, 2, 2},  /* 10 / 4 = 2.5 */
        {1, 10, 2, 1, 5},
        {3, 10, 4, 3, 2},  /* 30 / 12 = 2.5 */
        {1, 8, 2, 2, 2},
        {4, 1, 1, 4, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mlps_workload w = workload_with(cases[i].nspf, cases[i].files, cases[i].batch);
        mlps_plan plan;
        mlps_error err = {0};
        assert_int_equal(mlps_eval_plan(&w, cases[i].ranks, &plan, &err), 0);
        assert_int_equal(plan.steps_per_epoch, cases[i].steps);
        assert_int_equal(plan.samples_per_rank, cases[i].steps * cases[i].batch);
        assert_int_equal(plan.params.num_files, cases[i].files);
    }
}

static void each_rank_reads_its_own_valid_samples(void **state)
{
    (void)state;
    mlps_workload w = workload_with(1, 10, 2);
    mlps_plan plan;
    mlps_error err = {0};
    assert_int_equal(mlps_eval_plan(&w, 2, &plan, &err), 0);
    /* Unshuffled, rank r reads from r x ceil(10 / 2) on: files 0..3 and 5..8. */
    for (uint64_t k = 0; k < plan.samples_per_rank; k++) {
        assert_int_equal(mlps_plan_sample(&plan, 1, 0, k).file, k);
        assert_int_equal(mlps_plan_sample(&plan, 1, 1, k).file, 5 + k);
    }
}

static void no_step_is_a_usage_error_naming_the_eval_keys(void **state)
{
    (void)state;
    mlps_plan plan;
    mlps_error err = {0};
    mlps_workload none = workload_with(1, 0, 1);
    assert_int_equal(mlps_eval_plan(&none, 1, &plan, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "dataset.num_files_eval"));

    mlps_workload few = workload_with(1, 3, 2);
    err = (mlps_error){0};
    assert_int_equal(mlps_eval_plan(&few, 2, &plan, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "3 samples is fewer than one evaluation step needs "
                                        "(reader.batch_size_eval 2 x 2 accelerators)"));
}

/* --- schedule --- */

static void evaluations_follow_epochs_2_and_4_of_5(void **state)
{
    (void)state;
    mlps_workload w = workload_with(1, 1, 1);
    w.evaluation = (mlps_workload_evaluation){.eval_after_epoch = 2, .epochs_between_evals = 2};
    mlps_eval_schedule schedule;
    mlps_eval_schedule_init(&schedule, &w);
    assert_int_equal(mlps_eval_count(&schedule, 5), 2);
    const bool expected[] = {false, false, true, false, true, false};
    for (uint64_t epoch = 1; epoch <= 5; epoch++)
        assert_int_equal(mlps_eval_due_after_epoch(&schedule, epoch), expected[epoch]);
}

static void schedule_catches_up_as_dlio_does_and_is_off_without_the_flag(void **state)
{
    (void)state;
    mlps_workload w = workload_with(1, 1, 1);
    /* DLIO compares epoch >= next: after epoch 0 means after every epoch from the first. */
    w.evaluation = (mlps_workload_evaluation){.eval_after_epoch = 0, .epochs_between_evals = 1};
    mlps_eval_schedule schedule;
    mlps_eval_schedule_init(&schedule, &w);
    assert_int_equal(mlps_eval_count(&schedule, 3), 3);
    /* Every 3 epochs from epoch 1: 1, 4. */
    w.evaluation = (mlps_workload_evaluation){.eval_after_epoch = 1, .epochs_between_evals = 3};
    mlps_eval_schedule_init(&schedule, &w);
    assert_int_equal(mlps_eval_count(&schedule, 6), 2);
    assert_true(mlps_eval_due_after_epoch(&schedule, 1));
    assert_false(mlps_eval_due_after_epoch(&schedule, 2));
    assert_false(mlps_eval_due_after_epoch(&schedule, 3));
    assert_true(mlps_eval_due_after_epoch(&schedule, 4));
    w.workflow.evaluation = false;
    mlps_eval_schedule_init(&schedule, &w);
    assert_int_equal(mlps_eval_count(&schedule, 5), 0);
    assert_false(mlps_eval_due_after_epoch(&schedule, 1));
}

/* --- metrics of one evaluation --- */

/* Four steps over 10 s of wall time: P = 3, 2, 2, 2; C = 1, 1.5, 1.5, 1.5; 100 bytes each. */
static void record_eval_timeline(mlps_epoch_record *record, uint64_t epoch)
{
    mlps_epoch_record_init(record, epoch, BASE_WALL_NS);
    mlps_block_record *eval = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_epoch_record_start_eval(record, 4, 5 * NS, BASE_WALL_NS + NS, &eval,
                                                  &err), 0);
    const double processed[] = {3, 2, 2, 2}, compute[] = {1, 1.5, 1.5, 1.5};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(mlps_block_record_add_step(eval, processed[i] - compute[i],
                                                    compute[i], processed[i], 100, &err), 0);
    mlps_block_record_end(eval, 15 * NS, BASE_WALL_NS + 11 * NS + NS / 2);
    record->end_wall_ns = BASE_WALL_NS + 12 * NS;
}

static void eval_au_uses_the_window_and_throughput_every_step(void **state)
{
    (void)state;
    mlps_epoch_record record;
    record_eval_timeline(&record, 1);
    assert_true(record.evaluated);
    mlps_metric_window window = {.steps = 4, .exclude_start_steps = 1, .batch_size = 2};
    mlps_epoch_metrics m;
    mlps_eval_metrics_compute(&window, &record.eval, &m);
    /* total_time = 10 - 3; compute in the window 4.5. */
    assert_float_equal(m.au_percent, 100.0 * 4.5 / 7, EPS);
    /* DLIO: len(compute) / (end - start) * batch_size_eval, no exclusion. */
    assert_float_equal(m.throughput, 4 * 2 / 10.0, EPS);
    assert_float_equal(m.bytes_per_second, 400 / 10.0, EPS);
    assert_int_equal(m.steps, 4);

    window.exclude_end_steps = 1; /* window 1..2: total 10 - 3 - 2, compute 3 */
    mlps_eval_metrics_compute(&window, &record.eval, &m);
    assert_float_equal(m.au_percent, 60, EPS);
    assert_float_equal(m.throughput, 0.8, EPS);
    /* Training never sees the evaluation. */
    mlps_epoch_metrics train;
    mlps_epoch_metrics_compute(&window, &record, &train);
    assert_int_equal(train.steps, 0);
    mlps_epoch_record_free(&record);
}

static void only_evaluated_epochs_are_collected_in_order(void **state)
{
    (void)state;
    mlps_epoch_record epochs[3];
    record_eval_timeline(&epochs[0], 1);
    mlps_epoch_record_init(&epochs[1], 2, BASE_WALL_NS);
    record_eval_timeline(&epochs[2], 3);
    epochs[2].eval.end_ns = 25 * NS; /* 20 s */
    mlps_metric_window window = {.steps = 4, .exclude_start_steps = 1, .batch_size = 2};
    mlps_epoch_metrics *collected = NULL;
    size_t n = 0;
    mlps_error err = {0};
    assert_int_equal(mlps_eval_metrics_collect(&window, epochs, 3, &collected, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_float_equal(collected[0].throughput, 0.8, EPS);
    assert_float_equal(collected[1].throughput, 0.4, EPS);
    assert_float_equal(collected[1].au_percent, 100.0 * 4.5 / 17, EPS);
    free(collected);
    for (size_t e = 0; e < 3; e++)
        mlps_epoch_record_free(&epochs[e]);
}

/* --- across ranks, over the run, and the outputs --- */

/* Two ranks, two evaluations: rank 0 AU 80, 90 and 10, 20 samples/s; rank 1 AU 100, 70 and
 * 30, 40 samples/s. Over ranks: AU 90, 80 (mean), throughput 40, 60 (sum). */
static mlps_run_metrics *two_rank_evaluations(void)
{
    mlps_epoch_metrics rank0[] = {{.steps = 4, .au_percent = 80, .throughput = 10},
                                  {.steps = 4, .au_percent = 90, .throughput = 20}};
    mlps_epoch_metrics rank1[] = {{.steps = 4, .au_percent = 100, .throughput = 30},
                                  {.steps = 4, .au_percent = 70, .throughput = 40}};
    double packed0[2 * MLPS_METRICS_VALUES_PER_EPOCH], packed1[2 * MLPS_METRICS_VALUES_PER_EPOCH];
    mlps_metrics_pack(rank0, 2, packed0);
    mlps_metrics_pack(rank1, 2, packed1);
    for (size_t i = 0; i < 2 * MLPS_METRICS_VALUES_PER_EPOCH; i++)
        packed0[i] += packed1[i];
    mlps_run_metrics *eval = calloc(1, sizeof *eval);
    assert_non_null(eval);
    /* 1 MiB records; AU expectation 85 %. */
    mlps_run_metric_params params = {.record_size = 1048576, .au_expectation = 0.85};
    mlps_error err = {0};
    assert_int_equal(mlps_run_metrics_from_sums(packed0, 2, 2, &params, eval, &err), 0);
    return eval;
}

static void evaluations_aggregate_as_epochs_do(void **state)
{
    (void)state;
    mlps_run_metrics *eval = two_rank_evaluations();
    assert_int_equal(eval->epochs, 2);
    assert_float_equal(eval->au_percent.per_epoch[0], 90, EPS);
    assert_float_equal(eval->au_percent.per_epoch[1], 80, EPS);
    assert_float_equal(eval->au_percent.mean, 85, EPS);
    assert_float_equal(eval->au_percent.stdev, 5, EPS);
    assert_float_equal(eval->throughput.per_epoch[0], 40, EPS);
    assert_float_equal(eval->throughput.per_epoch[1], 60, EPS);
    assert_float_equal(eval->io_mean_mib_per_second, 50, EPS);
    assert_float_equal(eval->io_stdev_mib_per_second, 10, EPS);
    assert_true(eval->meets_expectation); /* 85 >= 85: exactly at the expectation */
    mlps_run_metrics_free(eval);
    free(eval);
}

static mlps_run_metrics train_metrics_with(mlps_run_metrics *eval)
{
    static double au[] = {95}, throughput[] = {100}, zero[] = {0};
    return (mlps_run_metrics){
        .epochs = 1, .ranks = 2,
        .au_percent = {au, 95, 0}, .throughput = {throughput, 100, 0},
        .reference_throughput = {zero, 0, 0}, .bytes_per_second = {zero, 0, 0},
        .au_expectation_percent = 85, .meets_expectation = true,
        .evaluation = eval,
    };
}

/* The train series above are static: only the evaluation is the test's to free. */
static void free_evaluation(mlps_run_metrics *m)
{
    mlps_run_metrics_free(m->evaluation);
    free(m->evaluation);
    m->evaluation = NULL;
}

static const char *const eval_keys[] = {
    "eval_au_percentage", "eval_au_mean_percentage", "eval_au_meet_expectation",
    "eval_au_stdev_percentage", "eval_throughput_samples_per_second",
    "eval_throughput_mean_samples_per_second", "eval_throughput_stdev_samples_per_second",
    "eval_io_mean_MB_per_second", "eval_io_stdev_MB_per_second",
};
#define EVAL_KEY_COUNT (sizeof eval_keys / sizeof eval_keys[0])

static void summary_has_every_eval_key_after_the_train_keys(void **state)
{
    (void)state;
    mlps_run_metrics m = train_metrics_with(two_rank_evaluations());
    json_t *metric = mlps_metrics_summary_json(&m);
    assert_non_null(metric);
    /* Right after DLIO's nine train keys, in DLIO's order. */
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(metric, key, value) {
        if (i >= 9 && i < 9 + EVAL_KEY_COUNT)
            assert_string_equal(key, eval_keys[i - 9]);
        i++;
    }
    json_t *au = json_object_get(metric, "eval_au_percentage");
    assert_int_equal(json_array_size(au), 2);
    assert_float_equal(json_real_value(json_array_get(au, 1)), 80, EPS);
    assert_int_equal(json_array_size(json_object_get(metric,
                                                     "eval_throughput_samples_per_second")), 2);
    assert_float_equal(json_real_value(json_object_get(metric, "eval_au_mean_percentage")),
                       85, EPS);
    assert_string_equal(json_string_value(json_object_get(metric, "eval_au_meet_expectation")),
                        "success");
    assert_float_equal(
        json_real_value(json_object_get(metric, "eval_throughput_mean_samples_per_second")), 50,
        EPS);
    assert_float_equal(json_real_value(json_object_get(metric, "eval_io_stdev_MB_per_second")),
                       10, EPS);
    json_decref(metric);

    mlps_run_metrics without = train_metrics_with(NULL);
    metric = mlps_metrics_summary_json(&without);
    for (size_t k = 0; k < EVAL_KEY_COUNT; k++)
        assert_null(json_object_get(metric, eval_keys[k]));
    json_decref(metric);
    free_evaluation(&m);
}

static void metric_block_gains_the_four_eval_lines(void **state)
{
    (void)state;
    mlps_run_metrics m = train_metrics_with(two_rank_evaluations());
    char *text = mlps_metrics_report_text(&m);
    assert_non_null(text);
    assert_non_null(strstr(text,
        "[METRIC] train_au_meet_expectation: success\n"
        "[METRIC] Eval Accelerator Utilization [AU] (%): 85.0000 (5.0000)\n"
        "[METRIC] Eval Throughput (samples/second): 50.000000 (10.000000)\n"
        "[METRIC] Eval Throughput (MiB/second): 50.000000 (10.000000)\n"
        "[METRIC] eval_au_meet_expectation: success\n"
        "[METRIC] Training Throughput by the (n-2)"));
    free(text);
    free_evaluation(&m);
    mlps_run_metrics without = train_metrics_with(NULL);
    text = mlps_metrics_report_text(&without);
    assert_null(strstr(text, "Eval"));
    free(text);
}

static void per_epoch_stats_and_rank_output_carry_the_evaluation(void **state)
{
    (void)state;
    mlps_epoch_record epochs[2];
    record_eval_timeline(&epochs[0], 1);
    mlps_epoch_record_init(&epochs[1], 2, BASE_WALL_NS + 12 * NS);
    epochs[1].end_wall_ns = BASE_WALL_NS + 13 * NS;

    json_t *stats = mlps_per_epoch_stats_json(epochs, 2);
    json_t *eval = json_object_get(json_object_get(stats, "1"), "eval");
    assert_non_null(eval);
    assert_string_equal(json_string_value(json_object_get(eval, "start")),
                        "2023-11-14T22:13:21.000000");
    assert_string_equal(json_string_value(json_object_get(eval, "end")),
                        "2023-11-14T22:13:31.500000");
    assert_string_equal(json_string_value(json_object_get(eval, "duration")), "10.50");
    /* The epoch's duration includes its evaluation. */
    assert_string_equal(json_string_value(json_object_get(json_object_get(stats, "1"),
                                                          "duration")), "12.00");
    assert_null(json_object_get(json_object_get(stats, "2"), "eval"));
    json_decref(stats);

    mlps_metric_window window = {.steps = 1, .batch_size = 1};
    mlps_metric_window eval_window = {.steps = 4, .exclude_start_steps = 1, .batch_size = 2};
    json_t *output = mlps_rank_output_json(epochs, 2, &window, &eval_window);
    json_t *first = json_object_get(output, "1");
    json_t *loads = json_object_get(json_object_get(first, "load"), "eval");
    assert_int_equal(json_array_size(loads), 4);
    assert_float_equal(json_real_value(json_array_get(loads, 0)), 2, EPS);
    assert_int_equal(json_array_size(json_object_get(json_object_get(first, "proc"), "eval")),
                     4);
    json_t *computes = json_object_get(json_object_get(first, "compute"), "eval");
    assert_float_equal(json_real_value(json_array_get(computes, 3)), 1.5, EPS);
    assert_float_equal(json_real_value(json_object_get(json_object_get(first, "au"), "eval")),
                       100.0 * 4.5 / 7, EPS);
    assert_float_equal(
        json_real_value(json_object_get(json_object_get(first, "throughput"), "eval")), 0.8,
        EPS);
    assert_null(json_object_get(json_object_get(json_object_get(output, "2"), "au"), "eval"));
    json_decref(output);
    mlps_epoch_record_free(&epochs[0]);
    mlps_epoch_record_free(&epochs[1]);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(steps_are_the_floor_of_samples_over_batch_and_ranks),
        cmocka_unit_test(each_rank_reads_its_own_valid_samples),
        cmocka_unit_test(no_step_is_a_usage_error_naming_the_eval_keys),
        cmocka_unit_test(evaluations_follow_epochs_2_and_4_of_5),
        cmocka_unit_test(schedule_catches_up_as_dlio_does_and_is_off_without_the_flag),
        cmocka_unit_test(eval_au_uses_the_window_and_throughput_every_step),
        cmocka_unit_test(only_evaluated_epochs_are_collected_in_order),
        cmocka_unit_test(evaluations_aggregate_as_epochs_do),
        cmocka_unit_test(summary_has_every_eval_key_after_the_train_keys),
        cmocka_unit_test(metric_block_gains_the_four_eval_lines),
        cmocka_unit_test(per_epoch_stats_and_rank_output_carry_the_evaluation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
