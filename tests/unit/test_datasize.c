/* Tests of the dataset size rule (spec 10 §5.3, acceptance checks §7.1): both bounds, which one
 * wins, the disk size, the subfolder hint, the fractional resnet50 record, the JSON and text
 * renderings and the datagen command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "training/datasize.h"

static char configs_dir[PATH_MAX];

static int find_configs(void **state)
{
    (void)state;
    mlps_error err = {0};
    if (mlps_workload_configs_dir(configs_dir, sizeof configs_dir, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    return 0;
}

/* The dataset size of the shipped (model, accelerator) for n accelerators on hosts hosts of
 * gib GiB each. */
static mlps_datasize size_for(const char *model, const char *accelerator, uint64_t n,
                              uint64_t hosts, uint64_t gib)
{
    mlps_workload w;
    mlps_error err = {0};
    mlps_workload_source source = {.model = model, .accelerator = accelerator,
                                   .configs_dir = configs_dir};
    if (mlps_workload_load(&source, &w, &err) != 0)
        fail_msg("%s", err.message);
    mlps_datasize_request request = {.accelerators = n, .hosts = hosts,
                                     .host_memory_bytes = gib * MLPS_GiB};
    mlps_datasize d;
    if (mlps_datasize_compute(&w, &request, &d, &err) != 0)
        fail_msg("%s", err.message);
    mlps_workload_free(&w);
    return d;
}

static void test_unet3d_step_bound_wins(void **state)
{
    (void)state;
    mlps_datasize d = size_for("unet3d", "h100", 8, 1, 128);
    assert_string_equal(d.model, "unet3d");
    assert_int_equal(d.total_memory_bytes, 128 * MLPS_GiB);
    assert_int_equal(d.min_dataset_bytes, 640 * MLPS_GiB);
    assert_int_equal(d.files_by_memory, 4687);
    assert_int_equal(d.files_by_steps, 28000);
    assert_int_equal(d.num_files_train, 28000);
    assert_int_equal(d.bound, MLPS_DATASIZE_BOUND_STEPS);
    assert_int_equal(d.total_disk_bytes, 4104817584000ull);
    assert_int_equal(d.steps_per_epoch, 500);
    assert_int_equal(d.suggested_subfolders, 2);
}

static void test_retinanet_memory_bound_wins(void **state)
{
    (void)state;
    mlps_datasize d = size_for("retinanet", "b200", 16, 1, 256);
    assert_int_equal(d.files_by_memory, 4255642);
    assert_int_equal(d.files_by_steps, 192000);
    assert_int_equal(d.num_files_train, 4255642);
    assert_int_equal(d.bound, MLPS_DATASIZE_BOUND_MEMORY);
    assert_int_equal(d.total_disk_bytes, 4255642ull * 322957ull);
    assert_true(fabs((double)d.total_disk_bytes / (double)MLPS_GiB - 1280.00) < 0.005);
    assert_int_equal(d.steps_per_epoch, 11082);
    assert_int_equal(d.suggested_subfolders, 425);
}

static void test_hosts_multiply_memory(void **state)
{
    (void)state;
    mlps_datasize one = size_for("cosmoflow", "h100", 64, 1, 1024);
    mlps_datasize four = size_for("cosmoflow", "h100", 64, 4, 1024);
    assert_int_equal(four.total_memory_bytes, 4 * one.total_memory_bytes);
    assert_int_equal(four.files_by_memory, 7774559);
    assert_int_equal(four.total_disk_bytes, 7774559ull * 2828486ull);
    assert_int_equal(four.files_by_steps, 32000);
}

/* resnet50's record length is the float 114660.07: carried in double precision exactly as the
 * reference computes 5 mem // (1251 x 114660.07) and int(files x file bytes). */
static void test_fractional_record(void **state)
{
    (void)state;
    mlps_datasize d = size_for("resnet50", "h100", 8, 1, 64);
    assert_true(d.record_bytes == 114660.07);
    assert_true(d.file_bytes == 1251.0 * 114660.07);
    assert_int_equal(d.files_by_memory, 2395);
    assert_int_equal(d.files_by_steps, 1278);
    assert_int_equal(d.total_disk_bytes, 343538195430ull);
    assert_int_equal(d.steps_per_epoch, 936);
    assert_int_equal(d.suggested_subfolders, 0);
}

static void test_parquet_records(void **state)
{
    (void)state;
    mlps_datasize dlrm = size_for("dlrm", "b200", 8, 1, 512);
    assert_true(dlrm.record_bytes == 761.0);
    assert_int_equal(dlrm.files_by_memory, 765);
    assert_int_equal(dlrm.files_by_steps, 10);
    assert_int_equal(dlrm.total_disk_bytes, 765ull * 4718592ull * 761ull);
    mlps_datasize flux = size_for("flux", "b200", 8, 2, 512);
    assert_true(flux.record_bytes == 2164832.0);
    assert_int_equal(flux.files_by_memory, 8817);
    assert_int_equal(flux.files_by_steps, 666);
    assert_int_equal(flux.total_disk_bytes, 5497149238272ull);
}

static void test_subfolder_hint_threshold(void **state)
{
    (void)state;
    /* unet3d: files_by_steps = 500 x N x 7; N = 2 gives 7000, N = 3 gives 10500 */
    assert_int_equal(size_for("unet3d", "h100", 2, 1, 1).suggested_subfolders, 0);
    mlps_datasize d = size_for("unet3d", "h100", 3, 1, 1);
    assert_int_equal(d.num_files_train, 10500);
    assert_int_equal(d.suggested_subfolders, 1);
    /* exactly 10,000 files needs no subfolders: cosmoflow's 500 x 20 x batch 1 */
    d = size_for("cosmoflow", "h100", 20, 1, 1);
    assert_int_equal(d.num_files_train, 10000);
    assert_int_equal(d.suggested_subfolders, 0);
}

static void test_bad_requests(void **state)
{
    (void)state;
    mlps_workload w;
    mlps_error err = {0};
    mlps_workload_source source = {.model = "unet3d", .accelerator = "h100",
                                   .configs_dir = configs_dir};
    assert_int_equal(mlps_workload_load(&source, &w, &err), 0);
    mlps_datasize d;
    static const struct {
        mlps_datasize_request request;
        int code;
        const char *fragment;
    } bad[] = {
        {{0, 1, MLPS_GiB}, -EINVAL, "number of accelerators must be at least 1"},
        {{8, 0, MLPS_GiB}, -EINVAL, "number of client hosts must be at least 1"},
        {{8, 1, 0}, -EINVAL, "client host memory must be greater than 0"},
        {{8, 8, UINT64_C(1) << 62}, -EOVERFLOW, "total host memory does not fit"},
        {{UINT64_C(1) << 60, 1, MLPS_GiB}, -EOVERFLOW, "sample count does not fit"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mlps_datasize_compute(&w, &bad[i].request, &d, &err), bad[i].code);
        assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
        if (!strstr(err.message, bad[i].fragment))
            fail_msg("message '%s' lacks '%s'", err.message, bad[i].fragment);
    }
    mlps_workload_free(&w);
}

static void test_json(void **state)
{
    (void)state;
    mlps_datasize d = size_for("unet3d", "h100", 8, 1, 128);
    json_t *json = mlps_datasize_to_json(&d);
    assert_non_null(json);
    assert_string_equal(json_string_value(json_object_get(json, "model")), "unet3d");
    assert_int_equal(json_integer_value(json_object_get(json, "num_accelerators")), 8);
    assert_int_equal(json_integer_value(json_object_get(json, "num_client_hosts")), 1);
    assert_true(json_real_value(json_object_get(json, "client_host_memory_GiB")) == 128.0);
    assert_int_equal(json_integer_value(json_object_get(json, "record_length_bytes")), 146600628);
    assert_int_equal(json_integer_value(json_object_get(json, "num_files_by_memory")), 4687);
    assert_int_equal(json_integer_value(json_object_get(json, "num_files_by_steps")), 28000);
    assert_string_equal(json_string_value(json_object_get(json, "bound")), "steps");
    assert_int_equal(json_integer_value(json_object_get(json, "num_files_train")), 28000);
    assert_int_equal(json_integer_value(json_object_get(json, "num_subfolders_train")), 0);
    assert_int_equal(json_integer_value(json_object_get(json, "suggested_num_subfolders_train")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(json, "total_disk_bytes")),
                     4104817584000ll);
    double gib = json_real_value(json_object_get(json, "total_disk_GiB"));
    assert_true(fabs(gib - 3822.9092806577682) < 1e-9);
    assert_true(json_real_value(json_object_get(json, "total_disk_GB")) == 4104.817584);
    assert_int_equal(json_integer_value(json_object_get(json, "steps_per_epoch")), 500);
    json_decref(json);

    d = size_for("resnet50", "h100", 8, 1, 64);
    json = mlps_datasize_to_json(&d);
    assert_true(json_is_real(json_object_get(json, "record_length_bytes")));
    assert_true(json_real_value(json_object_get(json, "record_length_bytes")) == 114660.07);
    assert_string_equal(json_string_value(json_object_get(json, "bound")), "memory");
    json_decref(json);
}

static char *text_of(const mlps_datasize *d, const char *command)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    assert_non_null(out);
    assert_int_equal(mlps_datasize_write_text(d, command, out), 0);
    fclose(out);
    return text;
}

static void expect_in(const char *text, const char *fragment)
{
    if (!strstr(text, fragment))
        fail_msg("text lacks '%s':\n%s", fragment, text);
}

static void test_text(void **state)
{
    (void)state;
    mlps_datasize d = size_for("unet3d", "h100", 8, 1, 128);
    char *text = text_of(&d, "mlps training datagen -m unet3d");
    expect_in(text, "Training data size for unet3d: 8 accelerators, 1 client host of 128.00 GiB");
    expect_in(text, "by memory: 4687 files");
    expect_in(text, "by steps:  28000 files (500 steps x 8 accelerators x batch 7 / 1 samples");
    expect_in(text, "required:  28000 files, set by the 500-step rule; 500 steps per epoch");
    expect_in(text, "4104817584000 B = 3822.91 GiB = 4104.82 GB");
    expect_in(text, "-p dataset.num_subfolders_train=2");
    expect_in(text, "Generate it with:\n  mlps training datagen -m unet3d\n");
    free(text);

    d = size_for("retinanet", "b200", 16, 1, 256);
    text = text_of(&d, NULL);
    expect_in(text, "set by the 5x memory rule");
    expect_in(text, "= 1280.00 GiB = 1374.39 GB");
    assert_null(strstr(text, "Generate it with"));
    free(text);

    d = size_for("resnet50", "h100", 8, 1, 64);
    text = text_of(&d, NULL);
    assert_null(strstr(text, "hint"));
    free(text);
}

static void test_datagen_command(void **state)
{
    (void)state;
    mlps_datasize d = size_for("unet3d", "h100", 8, 1, 128);
    char *command = mlps_datasize_datagen_command(&d, NULL);
    assert_string_equal(command, "mlps training datagen -m unet3d -np 8 -dd <DATA_DIR> "
                                 "-p dataset.num_files_train=28000");
    free(command);

    const char *params[] = {"reader.read_threads=8"};
    mlps_datagen_command_options options = {.data_dir = "/mnt/data", .hosts = "h1,h2",
                                            .use_subfolders = true, .params = params,
                                            .param_count = 1};
    command = mlps_datasize_datagen_command(&d, &options);
    assert_string_equal(command, "mlps training datagen -m unet3d -np 8 --hosts h1,h2 "
                                 "-dd /mnt/data -p dataset.num_files_train=28000 "
                                 "-p dataset.num_subfolders_train=2 -p reader.read_threads=8");
    free(command);

    /* words the shell would split are quoted */
    options = (mlps_datagen_command_options){.program = "./build/mlps",
                                             .data_dir = "/mnt/my data",
                                             .hosts = "h1 h2", .use_subfolders = true};
    d = size_for("resnet50", "h100", 8, 1, 64);
    command = mlps_datasize_datagen_command(&d, &options);
    assert_string_equal(command, "./build/mlps training datagen -m resnet50 -np 8 "
                                 "--hosts 'h1 h2' -dd '/mnt/my data' "
                                 "-p dataset.num_files_train=2395");
    free(command);

    options = (mlps_datagen_command_options){.data_dir = "/it's"};
    command = mlps_datasize_datagen_command(&d, &options);
    assert_non_null(strstr(command, "-dd '/it'\\''s' "));
    free(command);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unet3d_step_bound_wins),
        cmocka_unit_test(test_retinanet_memory_bound_wins),
        cmocka_unit_test(test_hosts_multiply_memory),
        cmocka_unit_test(test_fractional_record),
        cmocka_unit_test(test_parquet_records),
        cmocka_unit_test(test_subfolder_hint_threshold),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_datagen_command),
    };
    return cmocka_run_group_tests(tests, find_configs, NULL);
}
