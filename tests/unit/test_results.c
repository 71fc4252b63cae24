/* Tests for the results tree: run directory paths per benchmark type, creation with suffixes
 * and clean failure, log file names, the metadata file's name, keys, order and JSON types,
 * summary.json, and the default results root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/results.h"

#define DT "20250131_235959"

#include "scratch_dir.h"

static int make_scratch(void **state)
{
    (void)state;
    return scratch_create("results");
}

static void assert_is_directory(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

static void type_names_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"training", "checkpointing", "vector_database", "kv_cache",
                           "storage"};
    for (int i = 0; i < MLPS_BENCHMARK_TYPE_COUNT; i++) {
        assert_string_equal(mlps_benchmark_type_name((mlps_benchmark_type)i), names[i]);
        mlps_benchmark_type type;
        assert_int_equal(mlps_benchmark_type_from_name(names[i], &type, NULL), 0);
        assert_int_equal(type, i);
    }
    assert_null(mlps_benchmark_type_name(MLPS_BENCHMARK_TYPE_COUNT));
    mlps_error err;
    mlps_error_clear(&err);
    mlps_benchmark_type type;
    assert_int_equal(mlps_benchmark_type_from_name("trainig", &type, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "'trainig'"));
    assert_non_null(strstr(err.message, "vector_database"));
}

static void run_dir_paths_follow_the_layout_of_each_type(void **state)
{
    (void)state;
    char path[PATH_MAX];
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_TRAINING, "unet3d", "run",
                                               DT, path, sizeof path, NULL),
                     0);
    assert_string_equal(path, "/r/training/unet3d/run/" DT);
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_CHECKPOINTING, "llama3-8b",
                                               "run", DT, path, sizeof path, NULL),
                     0);
    assert_string_equal(path, "/r/checkpointing/llama3-8b/" DT);
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_VECTOR_DATABASE, NULL,
                                               "run-search", DT, path, sizeof path, NULL),
                     0);
    assert_string_equal(path, "/r/vector_database/run-search/" DT);
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_KV_CACHE, NULL, "run", DT,
                                               path, sizeof path, NULL),
                     0);
    assert_string_equal(path, "/r/kv_cache/run/" DT);
    /* A type without a model level accepts an empty model. */
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_KV_CACHE, "", "run", DT,
                                               path, sizeof path, NULL),
                     0);
    assert_string_equal(path, "/r/kv_cache/run/" DT);
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_STORAGE, NULL, "roundtrip",
                                               DT, path, sizeof path, NULL),
                     0);
    assert_string_equal(path, "/r/storage/roundtrip/" DT);
}

static void run_dir_names_are_checked(void **state)
{
    (void)state;
    char path[PATH_MAX];
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_TRAINING, NULL, "run", DT,
                                               path, sizeof path, &err),
                     -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "--model"));

    mlps_error_clear(&err);
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_TRAINING, "../x", "run",
                                               DT, path, sizeof path, &err),
                     -EINVAL);
    assert_non_null(strstr(err.message, "'../x'"));

    mlps_error_clear(&err);
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_KV_CACHE, NULL, "run",
                                               "2025-01-31", path, sizeof path, &err),
                     -EINVAL);
    assert_non_null(strstr(err.message, "YYYYMMDD_HHMMSS"));

    mlps_error_clear(&err);
    assert_int_equal(mlps_results_run_dir_path("", MLPS_BENCHMARK_KV_CACHE, NULL, "run", DT,
                                               path, sizeof path, &err),
                     -EINVAL);
    assert_non_null(strstr(err.message, "--results-dir"));
}

static void creating_twice_in_one_second_adds_a_suffix(void **state)
{
    (void)state;
    mlps_run_info first, second, third;
    assert_int_equal(mlps_results_create_run_dir(scratch, MLPS_BENCHMARK_TRAINING, "resnet50",
                                                 "run", DT, &first, NULL),
                     0);
    assert_int_equal(mlps_results_create_run_dir(scratch, MLPS_BENCHMARK_TRAINING, "resnet50",
                                                 "run", DT, &second, NULL),
                     0);
    assert_int_equal(mlps_results_create_run_dir(scratch, MLPS_BENCHMARK_TRAINING, "resnet50",
                                                 "run", DT, &third, NULL),
                     0);
    char expected[PATH_MAX];
    in_scratch(expected, "training/resnet50/run/" DT);
    assert_string_equal(first.run_dir, expected);
    in_scratch(expected, "training/resnet50/run/" DT "_1");
    assert_string_equal(second.run_dir, expected);
    in_scratch(expected, "training/resnet50/run/" DT "_2");
    assert_string_equal(third.run_dir, expected);
    assert_is_directory(first.run_dir);
    assert_is_directory(third.run_dir);
    assert_string_equal(second.run_datetime, DT);
    assert_string_equal(second.model, "resnet50");
    assert_string_equal(second.command, "run");
    assert_int_equal(second.type, MLPS_BENCHMARK_TRAINING);
}

static void creation_failure_names_the_path_and_leaves_nothing(void **state)
{
    (void)state;
    char root[PATH_MAX], blocker[PATH_MAX];
    in_scratch(blocker, "plain");
    assert_int_equal(mlps_write_file_atomic(blocker, "x", 1, NULL), 0);
    in_scratch(root, "plain/results");
    mlps_run_info run;
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_results_create_run_dir(root, MLPS_BENCHMARK_KV_CACHE, NULL, "run", DT,
                                                 &run, &err),
                     -ENOTDIR);
    assert_non_null(strstr(err.message, blocker));
    assert_non_null(strstr(err.message, "not a directory"));
    assert_string_equal(run.run_dir, "");
    assert_int_equal(count_entries(scratch), 1);
}

static void log_paths_and_files_are_named_after_type_and_command(void **state)
{
    (void)state;
    mlps_run_info run;
    assert_int_equal(mlps_results_create_run_dir(scratch, MLPS_BENCHMARK_VECTOR_DATABASE, NULL,
                                                 "run-search", DT, &run, NULL),
                     0);
    char out_path[PATH_MAX], err_path[PATH_MAX], expected[PATH_MAX];
    assert_int_equal(mlps_results_log_paths(&run, out_path, sizeof out_path, err_path,
                                            sizeof err_path, NULL),
                     0);
    in_scratch(expected, "vector_database/run-search/" DT "/vector_database_run-search.stdout.log");
    assert_string_equal(out_path, expected);
    in_scratch(expected, "vector_database/run-search/" DT "/vector_database_run-search.stderr.log");
    assert_string_equal(err_path, expected);

    FILE *out, *errors;
    assert_int_equal(mlps_results_open_logs(&run, &out, &errors, NULL), 0);
    fputs("console line\n", out);
    fclose(out);
    fclose(errors);
    struct stat st;
    assert_int_equal(stat(out_path, &st), 0);
    assert_int_equal(st.st_size, 13);
    assert_int_equal(stat(err_path, &st), 0);
    assert_int_equal(st.st_size, 0);
}

static json_t *load_json(const char *path)
{
    json_error_t error;
    json_t *value = json_load_file(path, 0, &error);
    assert_non_null(value);
    return value;
}

static const char *const metadata_keys[] = {
    "benchmark_type", "model", "command", "run_datetime", "num_processes", "accelerator",
    "result_dir", "parameters", "override_parameters", "system_info", "runtime",
    "verification", "executed_command", "command_output_files", "args",
};
#define METADATA_KEY_COUNT (sizeof metadata_keys / sizeof metadata_keys[0])

static void assert_keys_in_order(json_t *object, size_t extra)
{
    assert_int_equal(json_object_size(object), METADATA_KEY_COUNT + extra);
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value) {
        if (i < METADATA_KEY_COUNT)
            assert_string_equal(key, metadata_keys[i]);
        i++;
    }
}

static void metadata_of_an_unknown_run_has_every_key_as_null(void **state)
{
    (void)state;
    mlps_run_info run;
    assert_int_equal(mlps_results_create_run_dir(scratch, MLPS_BENCHMARK_KV_CACHE, NULL, "run",
                                                 DT, &run, NULL),
                     0);
    mlps_run_metadata metadata;
    mlps_run_metadata_init(&metadata);
    assert_int_equal(mlps_results_write_metadata(&run, &metadata, NULL), 0);

    char path[PATH_MAX];
    in_scratch(path, "kv_cache/run/" DT "/kv_cache_" DT "_metadata.json");
    json_t *object = load_json(path);
    assert_keys_in_order(object, 0);
    assert_string_equal(json_string_value(json_object_get(object, "benchmark_type")),
                        "kv_cache");
    assert_true(json_is_null(json_object_get(object, "model")));
    assert_string_equal(json_string_value(json_object_get(object, "command")), "run");
    assert_string_equal(json_string_value(json_object_get(object, "run_datetime")), DT);
    assert_string_equal(json_string_value(json_object_get(object, "result_dir")), run.run_dir);
    const char *nulls[] = {"num_processes", "accelerator", "parameters", "override_parameters",
                           "system_info", "runtime", "verification", "executed_command",
                           "args"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        assert_true(json_is_null(json_object_get(object, nulls[i])));
    json_t *outputs = json_object_get(object, "command_output_files");
    assert_int_equal(json_array_size(outputs), 1);
    assert_true(json_is_null(json_object_get(json_array_get(outputs, 0), "command")));
    json_decref(object);
    assert_int_equal(count_entries(run.run_dir), 1);
}

static void metadata_records_every_field_with_its_json_type(void **state)
{
    (void)state;
    mlps_run_info run;
    assert_int_equal(mlps_results_create_run_dir(scratch, MLPS_BENCHMARK_TRAINING, "unet3d",
                                                 "run", DT, &run, NULL),
                     0);
    mlps_run_metadata metadata;
    mlps_run_metadata_init(&metadata);
    metadata.num_processes = 8;
    metadata.accelerator = "h100";
    metadata.parameters = json_pack("{s:{s:i}}", "reader", "batch_size", 7);
    metadata.override_parameters = json_pack("{s:i}", "reader.batch_size", 7);
    metadata.system_info = json_pack("{s:I}", "total_memory_bytes", (json_int_t)1 << 40);
    metadata.runtime_seconds = 12.5;
    metadata.verification = MLPS_VERIFICATION_CLOSED;
    metadata.executed_command = "mlps training run --model unet3d";
    metadata.args = json_pack("{s:s, s:i}", "model", "unet3d", "num_accelerators", 8);
    metadata.extra = json_pack("{s:s}", "mlps_version", "0.1.0");
    assert_int_equal(mlps_results_write_metadata(&run, &metadata, NULL), 0);

    char path[PATH_MAX];
    in_scratch(path, "training/unet3d/run/" DT "/training_" DT "_metadata.json");
    json_t *object = load_json(path);
    assert_keys_in_order(object, 1);
    assert_string_equal(json_string_value(json_object_get(object, "benchmark_type")),
                        "training");
    assert_string_equal(json_string_value(json_object_get(object, "model")), "unet3d");
    assert_int_equal(json_integer_value(json_object_get(object, "num_processes")), 8);
    assert_string_equal(json_string_value(json_object_get(object, "accelerator")), "h100");
    assert_true(json_equal(json_object_get(object, "parameters"), metadata.parameters));
    assert_true(json_equal(json_object_get(object, "override_parameters"),
                           metadata.override_parameters));
    assert_true(json_equal(json_object_get(object, "system_info"), metadata.system_info));
    assert_true(json_is_real(json_object_get(object, "runtime")));
    assert_true(json_real_value(json_object_get(object, "runtime")) == 12.5);
    assert_string_equal(json_string_value(json_object_get(object, "verification")), "CLOSED");
    assert_string_equal(json_string_value(json_object_get(object, "executed_command")),
                        metadata.executed_command);
    assert_true(json_equal(json_object_get(object, "args"), metadata.args));
    assert_string_equal(json_string_value(json_object_get(object, "mlps_version")), "0.1.0");

    json_t *entry = json_array_get(json_object_get(object, "command_output_files"), 0);
    char expected[PATH_MAX];
    assert_string_equal(json_string_value(json_object_get(entry, "command")),
                        metadata.executed_command);
    in_scratch(expected, "training/unet3d/run/" DT "/training_run.stdout.log");
    assert_string_equal(json_string_value(json_object_get(entry, "stdout")), expected);
    in_scratch(expected, "training/unet3d/run/" DT "/training_run.stderr.log");
    assert_string_equal(json_string_value(json_object_get(entry, "stderr")), expected);
    json_decref(object);

    /* The writer took its own references: the caller's values are untouched. */
    assert_int_equal(metadata.parameters->refcount, 1);
    json_decref(metadata.parameters);
    json_decref(metadata.override_parameters);
    json_decref(metadata.system_info);
    json_decref(metadata.args);
    json_decref(metadata.extra);
}

static void extra_keys_may_not_replace_standard_ones(void **state)
{
    (void)state;
    mlps_run_info run;
    assert_int_equal(mlps_results_create_run_dir(scratch, MLPS_BENCHMARK_CHECKPOINTING,
                                                 "llama3-8b", "run", DT, &run, NULL),
                     0);
    mlps_run_metadata metadata;
    mlps_run_metadata_init(&metadata);
    metadata.extra = json_pack("{s:s}", "runtime", "fast");
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_results_write_metadata(&run, &metadata, &err), -EINVAL);
    assert_non_null(strstr(err.message, "'runtime'"));
    assert_int_equal(count_entries(run.run_dir), 0);
    json_decref(metadata.extra);
}

static void summary_is_written_whole(void **state)
{
    (void)state;
    mlps_run_info run;
    assert_int_equal(mlps_results_create_run_dir(scratch, MLPS_BENCHMARK_STORAGE, NULL,
                                                 "roundtrip", DT, &run, NULL),
                     0);
    json_t *summary = json_pack("{s:f}", "throughput_mib_s", 123.25);
    assert_int_equal(mlps_results_write_summary(run.run_dir, summary, NULL), 0);
    char path[PATH_MAX];
    in_scratch(path, "storage/roundtrip/" DT "/summary.json");
    json_t *loaded = load_json(path);
    assert_true(json_equal(loaded, summary));
    json_decref(loaded);
    json_decref(summary);
    assert_int_equal(count_entries(run.run_dir), 1);
}

static void default_root_honours_the_environment(void **state)
{
    (void)state;
    char buffer[PATH_MAX];
    bool is_temp = true;
    setenv("MLPERF_RESULTS_DIR", "/srv/mlperf-results", 1);
    assert_ptr_equal(mlps_default_results_root(buffer, sizeof buffer, &is_temp), buffer);
    assert_string_equal(buffer, "/srv/mlperf-results");
    assert_false(is_temp);

    unsetenv("MLPERF_RESULTS_DIR");
    setenv("TMPDIR", "/scratch/tmp", 1);
    assert_ptr_equal(mlps_default_results_root(buffer, sizeof buffer, &is_temp), buffer);
    assert_string_equal(buffer, "/scratch/tmp/mlperf_storage_results");
    assert_true(is_temp);

    setenv("MLPERF_RESULTS_DIR", "", 1);
    unsetenv("TMPDIR");
    assert_ptr_equal(mlps_default_results_root(buffer, sizeof buffer, &is_temp), buffer);
    assert_string_equal(buffer, "/tmp/mlperf_storage_results");
    assert_true(is_temp);

    char tiny[8];
    assert_null(mlps_default_results_root(tiny, sizeof tiny, NULL));
    unsetenv("MLPERF_RESULTS_DIR");
}

static void current_datetime_has_the_run_name_format(void **state)
{
    (void)state;
    char text[MLPS_RUN_DATETIME_MAX];
    mlps_results_current_datetime(text, sizeof text);
    char path[PATH_MAX];
    assert_int_equal(mlps_results_run_dir_path("/r", MLPS_BENCHMARK_KV_CACHE, NULL, "run", text,
                                               path, sizeof path, NULL),
                     0);
}

#define SCRATCH_TEST(name) cmocka_unit_test_setup_teardown(name, make_scratch, remove_scratch)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_names_round_trip),
        cmocka_unit_test(run_dir_paths_follow_the_layout_of_each_type),
        cmocka_unit_test(run_dir_names_are_checked),
        SCRATCH_TEST(creating_twice_in_one_second_adds_a_suffix),
        SCRATCH_TEST(creation_failure_names_the_path_and_leaves_nothing),
        SCRATCH_TEST(log_paths_and_files_are_named_after_type_and_command),
        SCRATCH_TEST(metadata_of_an_unknown_run_has_every_key_as_null),
        SCRATCH_TEST(metadata_records_every_field_with_its_json_type),
        SCRATCH_TEST(extra_keys_may_not_replace_standard_ones),
        SCRATCH_TEST(summary_is_written_whole),
        cmocka_unit_test(default_root_honours_the_environment),
        cmocka_unit_test(current_datetime_has_the_run_name_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
