/* Tests of checkpoints during training: which epochs and steps checkpoint for given keys, the
 * keys a run refuses, the metric arithmetic (GiB/s, mean and population stdev over checkpoints),
 * their JSON (summary keys, save_ckpt<k> after its block) and the writer's files (names, exact
 * sizes, nothing left half-written, a folder that cannot be created). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scratch_dir.h"
#include "training/train_ckpt.h"

#define GIB 1073741824ull
#define NS 1000000000ull
#define BASE_WALL_NS (1700000000ull * NS)

/* A workload whose checkpoint keys are the arguments and the rest defaults. */
static mlps_workload workload_with(bool enabled, int64_t steps_between, uint64_t after_epoch,
                                   uint64_t epochs_between)
{
    return (mlps_workload){
        .model_size_bytes = 10240,
        .framework = MLPS_FRAMEWORK_PYTORCH,
        .workflow = {.checkpoint = enabled},
        .checkpoint = {.folder = "./checkpoints", .after_epoch = after_epoch,
                       .epochs_between = epochs_between, .steps_between = steps_between,
                       .type = MLPS_CHECKPOINT_RANK_ZERO},
        .train = {.seed = 123},
    };
}

static mlps_train_ckpt_schedule schedule_of(mlps_workload w)
{
    mlps_train_ckpt_schedule s;
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_schedule_init(&w, &s, &err), 0);
    return s;
}

/* --- when --- */

static void by_epochs_after_1_every_2_checkpoints_epochs_1_and_3(void **state)
{
    (void)state;
    mlps_train_ckpt_schedule s = schedule_of(workload_with(true, -1, 1, 2));
    assert_true(mlps_train_ckpt_due_after_epoch(&s, 1));
    assert_false(mlps_train_ckpt_due_after_epoch(&s, 2));
    assert_true(mlps_train_ckpt_due_after_epoch(&s, 3));
    assert_false(mlps_train_ckpt_due_after_epoch(&s, 4));
    assert_true(mlps_train_ckpt_due_after_epoch(&s, 5));
    for (uint64_t step = 1; step <= 10; step++)
        assert_false(mlps_train_ckpt_due_after_step(&s, step));
    assert_int_equal(mlps_train_ckpt_count(&s, 3, 4), 2);
    assert_int_equal(mlps_train_ckpt_count(&s, 4, 4), 2);
    assert_int_equal(mlps_train_ckpt_blocks_per_epoch(&s, 4), 1);
}

/* The v2.0 unet3d keys: one checkpoint after epoch 5 of 5; none in a shorter run. */
static void by_epochs_after_5_every_2_is_unet3d_v2(void **state)
{
    (void)state;
    mlps_train_ckpt_schedule s = schedule_of(workload_with(true, -1, 5, 2));
    for (uint64_t e = 1; e <= 4; e++)
        assert_false(mlps_train_ckpt_due_after_epoch(&s, e));
    assert_true(mlps_train_ckpt_due_after_epoch(&s, 5));
    assert_false(mlps_train_ckpt_due_after_epoch(&s, 6));
    assert_true(mlps_train_ckpt_due_after_epoch(&s, 7));
    assert_int_equal(mlps_train_ckpt_count(&s, 5, 100), 1);
    assert_int_equal(mlps_train_ckpt_count(&s, 9, 100), 3);
    assert_int_equal(mlps_train_ckpt_count(&s, 4, 100), 0);
}

static void by_steps_every_3_of_10_makes_3_checkpoints_and_4_blocks(void **state)
{
    (void)state;
    /* The epoch keys do not matter when steps_between is set. */
    mlps_train_ckpt_schedule s = schedule_of(workload_with(true, 3, 5, 2));
    uint64_t due[10] = {0}, expected[10] = {0, 0, 1, 0, 0, 1, 0, 0, 1, 0};
    for (uint64_t step = 1; step <= 10; step++)
        due[step - 1] = mlps_train_ckpt_due_after_step(&s, step);
    assert_memory_equal(due, expected, sizeof due);
    for (uint64_t e = 1; e <= 6; e++)
        assert_false(mlps_train_ckpt_due_after_epoch(&s, e));
    assert_int_equal(mlps_train_ckpt_count(&s, 2, 10), 6);
    assert_int_equal(mlps_train_ckpt_blocks_per_epoch(&s, 10), 4);
}

/* A checkpoint after the last step starts no block; more steps between than an epoch has means
 * no checkpoint and one block. */
static void by_steps_at_the_epoch_end_and_beyond_it(void **state)
{
    (void)state;
    mlps_train_ckpt_schedule s = schedule_of(workload_with(true, 5, 1, 1));
    assert_true(mlps_train_ckpt_due_after_step(&s, 10));
    assert_int_equal(mlps_train_ckpt_count(&s, 3, 10), 6);
    assert_int_equal(mlps_train_ckpt_blocks_per_epoch(&s, 10), 2);
    s = schedule_of(workload_with(true, 11, 1, 1));
    assert_int_equal(mlps_train_ckpt_count(&s, 3, 10), 0);
    assert_int_equal(mlps_train_ckpt_blocks_per_epoch(&s, 10), 1);
    s = schedule_of(workload_with(true, 1, 1, 1));
    assert_int_equal(mlps_train_ckpt_count(&s, 2, 4), 8);
    assert_int_equal(mlps_train_ckpt_blocks_per_epoch(&s, 4), 4);
}

static void checkpoints_off_never_checkpoint(void **state)
{
    (void)state;
    /* Keys that would be refused with checkpoints on are ignored with them off. */
    mlps_train_ckpt_schedule s = schedule_of(workload_with(false, 2, 0, 1));
    assert_false(mlps_train_ckpt_due_after_step(&s, 2));
    assert_false(mlps_train_ckpt_due_after_epoch(&s, 1));
    assert_int_equal(mlps_train_ckpt_count(&s, 3, 10), 0);
    assert_int_equal(mlps_train_ckpt_blocks_per_epoch(&s, 10), 1);
}

static void assert_refused(mlps_workload w, const char *key)
{
    mlps_train_ckpt_schedule s;
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_schedule_init(&w, &s, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, key));
}

static void impossible_keys_are_usage_errors_naming_the_key(void **state)
{
    (void)state;
    assert_refused(workload_with(true, 0, 1, 1), "checkpoint.steps_between_checkpoints");
    assert_refused(workload_with(true, -1, 0, 1), "checkpoint.checkpoint_after_epoch");
    assert_refused(workload_with(true, -1, 1, 0), "checkpoint.epochs_between_checkpoints");
    mlps_workload w = workload_with(true, -1, 1, 1);
    w.model_size_bytes = 0;
    assert_refused(w, "model.model_size_bytes");
    w = workload_with(true, -1, 1, 1);
    w.checkpoint.folder = "";
    assert_refused(w, "checkpoint.checkpoint_folder");
    /* By steps, checkpoint_after_epoch is not read. */
    mlps_train_ckpt_schedule s = schedule_of(workload_with(true, 2, 0, 1));
    assert_int_equal(s.steps_between, 2);
}

/* --- metric arithmetic and JSON --- */

static mlps_train_ckpt_record checkpoint_of(uint64_t epoch, uint64_t step, size_t after_block,
                                            double seconds, uint64_t bytes)
{
    uint64_t start = BASE_WALL_NS + epoch * 100 * NS + step * NS;
    return (mlps_train_ckpt_record){.epoch = epoch, .step = step, .after_block = after_block,
                                    .start_wall_ns = start,
                                    .end_wall_ns = start + (uint64_t)(seconds * 1e9),
                                    .seconds = seconds, .bytes = bytes};
}

/* Epoch 1: blocks 1 and 2, a checkpoint after each; epoch 2: one block, no checkpoint. */
static void make_epochs(mlps_epoch_record epochs[2])
{
    mlps_error err = {0};
    for (uint64_t e = 0; e < 2; e++) {
        mlps_epoch_record_init(&epochs[e], e + 1, BASE_WALL_NS + (e + 1) * 100 * NS);
        mlps_block_record *block;
        assert_int_equal(mlps_epoch_record_start_block(&epochs[e], 2,
                                                       (e + 1) * 100 * NS,
                                                       BASE_WALL_NS + (e + 1) * 100 * NS,
                                                       &block, &err), 0);
        mlps_block_record_end(block, (e + 1) * 100 * NS + NS, BASE_WALL_NS + (e + 1) * 100 * NS +
                                                                  NS);
    }
    mlps_block_record *second;
    assert_int_equal(mlps_epoch_record_start_block(&epochs[0], 2, 110 * NS,
                                                   BASE_WALL_NS + 110 * NS, &second, &err), 0);
    mlps_block_record_end(second, 111 * NS, BASE_WALL_NS + 111 * NS);
    mlps_train_ckpt_record first = checkpoint_of(1, 2, 0, 1.0, 2 * GIB);
    mlps_train_ckpt_record last = checkpoint_of(1, 4, 1, 4.0, 2 * GIB);
    assert_int_equal(mlps_epoch_record_add_checkpoint(&epochs[0], &first, &err), 0);
    assert_int_equal(mlps_epoch_record_add_checkpoint(&epochs[0], &last, &err), 0);
}

static void metrics_are_gib_per_second_with_mean_and_population_stdev(void **state)
{
    (void)state;
    mlps_epoch_record epochs[2];
    make_epochs(epochs);
    mlps_train_ckpt_metrics m;
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_metrics_compute(epochs, 2, true, 2 * GIB, &m, &err), 0);
    assert_int_equal(m.count, 2);
    assert_int_equal(m.bytes, 2 * GIB);
    assert_float_equal(m.size_gib, 2.0, 0);
    /* 2 GiB in 1 s and in 4 s. */
    assert_float_equal(m.io_gib_per_second.per_epoch[0], 2.0, 0);
    assert_float_equal(m.io_gib_per_second.per_epoch[1], 0.5, 0);
    assert_float_equal(m.io_gib_per_second.mean, 1.25, 1e-12);
    assert_float_equal(m.io_gib_per_second.stdev, 0.75, 1e-12);
    assert_float_equal(m.duration_seconds.mean, 2.5, 1e-12);
    assert_float_equal(m.duration_seconds.stdev, 1.5, 1e-12);
    mlps_train_ckpt_metrics_free(&m);
    for (int e = 0; e < 2; e++)
        mlps_epoch_record_free(&epochs[e]);
}

static void rate_of_an_instant_checkpoint_is_zero(void **state)
{
    (void)state;
    mlps_train_ckpt_record instant = checkpoint_of(1, 1, 0, 0.0, GIB);
    assert_float_equal(mlps_train_ckpt_gib_per_second(&instant), 0.0, 0);
    mlps_train_ckpt_record half = checkpoint_of(1, 1, 0, 2.0, GIB);
    assert_float_equal(mlps_train_ckpt_gib_per_second(&half), 0.5, 0);
}

static void summary_has_dlio_checkpoint_keys_when_enabled(void **state)
{
    (void)state;
    mlps_epoch_record epochs[2];
    make_epochs(epochs);
    mlps_run_metrics m = {.epochs = 0, .ranks = 2};
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_metrics_compute(epochs, 2, true, 2 * GIB, &m.checkpoints,
                                                     &err), 0);
    json_t *metric = mlps_metrics_summary_json(&m);
    assert_non_null(metric);
    assert_float_equal(json_real_value(json_object_get(metric,
                                                       "save_checkpoint_io_mean_GB_per_second")),
                       1.25, 1e-12);
    assert_float_equal(json_real_value(json_object_get(
                           metric, "save_checkpoint_io_stdev_GB_per_second")), 0.75, 1e-12);
    assert_float_equal(json_real_value(json_object_get(metric,
                                                       "save_checkpoint_duration_mean_seconds")),
                       2.5, 1e-12);
    assert_float_equal(json_real_value(json_object_get(
                           metric, "save_checkpoint_duration_stdev_seconds")), 1.5, 1e-12);
    assert_float_equal(json_real_value(json_object_get(metric, "checkpoint_size_GB")), 2.0, 0);
    assert_int_equal(json_integer_value(json_object_get(metric, "save_checkpoint_count")), 2);
    assert_int_equal(json_integer_value(json_object_get(metric, "checkpoint_size_bytes")),
                     2 * GIB);
    assert_int_equal(json_array_size(json_object_get(metric, "save_checkpoint_duration_seconds")),
                     2);
    json_decref(metric);
    mlps_run_metrics_free(&m);
    assert_null(m.checkpoints.io_gib_per_second.per_epoch);
    for (int e = 0; e < 2; e++)
        mlps_epoch_record_free(&epochs[e]);
}

static void summary_means_are_null_without_checkpoints_and_absent_when_off(void **state)
{
    (void)state;
    mlps_run_metrics m = {.ranks = 1};
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_metrics_compute(NULL, 0, true, 10240, &m.checkpoints, &err),
                     0);
    json_t *metric = mlps_metrics_summary_json(&m);
    assert_true(json_is_null(json_object_get(metric, "save_checkpoint_io_mean_GB_per_second")));
    assert_true(json_is_null(json_object_get(metric, "save_checkpoint_duration_mean_seconds")));
    assert_int_equal(json_integer_value(json_object_get(metric, "save_checkpoint_count")), 0);
    assert_float_equal(json_real_value(json_object_get(metric, "checkpoint_size_GB")),
                       10240.0 / GIB, 0);
    json_decref(metric);
    mlps_run_metrics_free(&m);
    m.checkpoints.enabled = false;
    metric = mlps_metrics_summary_json(&m);
    assert_null(json_object_get(metric, "checkpoint_size_GB"));
    assert_null(json_object_get(metric, "save_checkpoint_io_mean_GB_per_second"));
    json_decref(metric);
}

static void per_epoch_stats_put_save_ckpt_after_its_block(void **state)
{
    (void)state;
    mlps_epoch_record epochs[2];
    make_epochs(epochs);
    json_t *stats = mlps_per_epoch_stats_json(epochs, 2);
    assert_non_null(stats);
    const char *order[] = {"start", "block1", "save_ckpt1", "block2", "save_ckpt2", "end",
                           "duration"};
    json_t *first = json_object_get(stats, "1");
    assert_int_equal(json_object_size(first), 7);
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(first, key, value) assert_string_equal(key, order[i++]);
    json_t *save = json_object_get(first, "save_ckpt2");
    assert_string_equal(json_string_value(json_object_get(save, "start")),
                        "2023-11-14T22:15:04.000000");
    assert_string_equal(json_string_value(json_object_get(save, "end")),
                        "2023-11-14T22:15:08.000000");
    assert_float_equal(json_real_value(json_object_get(save, "duration")), 4.0, 0);
    assert_float_equal(json_real_value(json_object_get(save, "throughput")), 0.5, 0);
    json_t *second = json_object_get(stats, "2");
    assert_int_equal(json_object_size(second), 4);
    assert_null(json_object_get(second, "save_ckpt1"));
    json_decref(stats);
    for (int e = 0; e < 2; e++)
        mlps_epoch_record_free(&epochs[e]);
}

/* --- the writer --- */

static mlps_comm solo_comm(void)
{
    mlps_comm comm;
    mlps_comm_init_solo(&comm);
    return comm;
}

static void open_writer(mlps_workload *w, const mlps_comm *comm, mlps_train_ckpt_writer *writer)
{
    mlps_train_ckpt_schedule s = schedule_of(*w);
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_writer_open(comm, w, &s, writer, &err), 0);
}

static void assert_file_size(const char *relative, uint64_t bytes)
{
    char path[PATH_MAX];
    in_scratch(path, relative);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((uint64_t)st.st_size, bytes);
}

static void writer_saves_model_size_bytes_under_dlio_names(void **state)
{
    (void)state;
    char folder[PATH_MAX];
    in_scratch(folder, "ckpt/nested");
    mlps_workload w = workload_with(true, -1, 1, 1);
    w.checkpoint.folder = folder;
    w.model_size_bytes = (8u << 20) + 4097; /* more than one write request */
    mlps_comm comm = solo_comm();
    mlps_train_ckpt_writer writer;
    open_writer(&w, &comm, &writer);
    assert_true(writer.this_rank_writes);
    assert_int_equal(writer.writing_ranks, 1);
    assert_int_equal(mlps_train_ckpt_bytes(&writer), (8u << 20) + 4097);
    mlps_train_ckpt_record record = {.after_block = 3};
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_save(&writer, 2, 7, &record, &err), 0);
    assert_int_equal(record.epoch, 2);
    assert_int_equal(record.step, 7);
    assert_int_equal(record.after_block, 3);
    assert_int_equal(record.bytes, (8u << 20) + 4097);
    assert_true(record.end_wall_ns >= record.start_wall_ns);
    assert_file_size("ckpt/nested/global_epoch2_step7/model_states-0.pt", (8u << 20) + 4097);
    char dir[PATH_MAX];
    in_scratch(dir, "ckpt/nested/global_epoch2_step7");
    assert_int_equal(count_entries(dir), 1); /* no temporary left behind */
    mlps_train_ckpt_writer_close(&writer);
}

static void writer_names_tensorflow_files_pb_and_differs_per_file(void **state)
{
    (void)state;
    char folder[PATH_MAX];
    in_scratch(folder, "tf");
    mlps_workload w = workload_with(true, 2, 1, 1);
    w.checkpoint.folder = folder;
    w.framework = MLPS_FRAMEWORK_TENSORFLOW;
    w.checkpoint.type = MLPS_CHECKPOINT_ALL_RANKS;
    w.model_size_bytes = 4096;
    mlps_comm comm = solo_comm();
    mlps_train_ckpt_writer writer;
    open_writer(&w, &comm, &writer);
    mlps_train_ckpt_record a = {0}, b = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_save(&writer, 1, 2, &a, &err), 0);
    assert_int_equal(mlps_train_ckpt_save(&writer, 1, 4, &b, &err), 0);
    assert_file_size("tf/global_epoch1_step2/model_states-0.pb", 4096);
    assert_file_size("tf/global_epoch1_step4/model_states-0.pb", 4096);
    char first[PATH_MAX], second[PATH_MAX];
    in_scratch(first, "tf/global_epoch1_step2/model_states-0.pb");
    in_scratch(second, "tf/global_epoch1_step4/model_states-0.pb");
    unsigned char x[4096], y[4096];
    FILE *fx = fopen(first, "rb"), *fy = fopen(second, "rb");
    assert_int_equal(fread(x, 1, sizeof x, fx), sizeof x);
    assert_int_equal(fread(y, 1, sizeof y, fy), sizeof y);
    fclose(fx);
    fclose(fy);
    assert_true(memcmp(x, y, sizeof x) != 0);
    mlps_train_ckpt_writer_close(&writer);
}

static void writer_with_checkpoints_off_writes_nothing(void **state)
{
    (void)state;
    mlps_workload w = workload_with(false, -1, 1, 1);
    mlps_comm comm = solo_comm();
    mlps_train_ckpt_writer writer;
    open_writer(&w, &comm, &writer);
    assert_null(writer.store);
    assert_int_equal(mlps_train_ckpt_bytes(&writer), 0);
    mlps_train_ckpt_writer_close(&writer);
}

static void a_folder_that_cannot_be_created_is_a_usage_error(void **state)
{
    (void)state;
    char file[PATH_MAX], folder[PATH_MAX];
    in_scratch(file, "plain-file");
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    in_scratch(folder, "plain-file/checkpoints");
    mlps_workload w = workload_with(true, -1, 1, 1);
    w.checkpoint.folder = folder;
    mlps_train_ckpt_schedule s = schedule_of(w);
    mlps_comm comm = solo_comm();
    mlps_train_ckpt_writer writer;
    mlps_error err = {0};
    assert_true(mlps_train_ckpt_writer_open(&comm, &w, &s, &writer, &err) < 0);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "checkpoint.checkpoint_folder"));
    assert_non_null(strstr(err.message, "plain-file/checkpoints"));
    assert_null(writer.store);
}

static void file_path_is_global_epoch_step_model_states_rank(void **state)
{
    (void)state;
    mlps_train_ckpt_writer writer = {.extension = "pt"};
    char path[128];
    mlps_error err = {0};
    assert_int_equal(mlps_train_ckpt_file_path(&writer, 5, 1000, 3, path, sizeof path, &err), 0);
    assert_string_equal(path, "global_epoch5_step1000/model_states-3.pt");
    assert_int_equal(mlps_train_ckpt_file_path(&writer, 5, 1000, 3, path, 10, &err),
                     -ENAMETOOLONG);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    if (scratch_create("train_ckpt") != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(by_epochs_after_1_every_2_checkpoints_epochs_1_and_3),
        cmocka_unit_test(by_epochs_after_5_every_2_is_unet3d_v2),
        cmocka_unit_test(by_steps_every_3_of_10_makes_3_checkpoints_and_4_blocks),
        cmocka_unit_test(by_steps_at_the_epoch_end_and_beyond_it),
        cmocka_unit_test(checkpoints_off_never_checkpoint),
        cmocka_unit_test(impossible_keys_are_usage_errors_naming_the_key),
        cmocka_unit_test(metrics_are_gib_per_second_with_mean_and_population_stdev),
        cmocka_unit_test(rate_of_an_instant_checkpoint_is_zero),
        cmocka_unit_test(summary_has_dlio_checkpoint_keys_when_enabled),
        cmocka_unit_test(summary_means_are_null_without_checkpoints_and_absent_when_off),
        cmocka_unit_test(per_epoch_stats_put_save_ckpt_after_its_block),
        cmocka_unit_test(writer_saves_model_size_bytes_under_dlio_names),
        cmocka_unit_test(writer_names_tensorflow_files_pb_and_differs_per_file),
        cmocka_unit_test(writer_with_checkpoints_off_writes_nothing),
        cmocka_unit_test(a_folder_that_cannot_be_created_is_a_usage_error),
        cmocka_unit_test(file_path_is_global_epoch_step_model_states_rank),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    remove_scratch(NULL);
    return failed;
}
