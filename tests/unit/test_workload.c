/* Tests of the training workload: every shipped config loads and gives the spec's numbers
 * (spec 10 §1), overrides apply, bad values are usage errors naming their key, parquet columns
 * are checked, and the configs folder and the file of a (model, accelerator) pair are found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/storage_config.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "training/workload.h"

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

/* Loads the shipped workload of (model, accelerator) with overrides; fails the test on error. */
static void load_with(const char *model, const char *accelerator, const char *const *overrides,
                      size_t count, mlps_workload *w)
{
    mlps_error err = {0};
    mlps_workload_source source = {.model = model, .accelerator = accelerator,
                                   .configs_dir = configs_dir, .overrides = overrides,
                                   .override_count = count};
    if (mlps_workload_load(&source, w, &err) != 0)
        fail_msg("%s_%s: %s", model, accelerator ? accelerator : "datagen", err.message);
}

static void load(const char *model, const char *accelerator, mlps_workload *w)
{
    load_with(model, accelerator, NULL, 0, w);
}

/* Loads unet3d_h100 with one override that must be refused; checks the message. */
static void expect_refused(const char *override, const char *fragment)
{
    mlps_error err = {0};
    mlps_workload w;
    mlps_workload_source source = {.model = "unet3d", .accelerator = "h100",
                                   .configs_dir = configs_dir, .overrides = &override,
                                   .override_count = 1};
    assert_int_equal(mlps_workload_load(&source, &w, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, fragment))
        fail_msg("override '%s': message '%s' lacks '%s'", override, err.message, fragment);
    assert_null(w.config);
}

/* ---- every shipped config ---- */

static void test_every_shipped_config_loads(void **state)
{
    (void)state;
    size_t count;
    const mlps_workload_model *models = mlps_workload_models(&count);
    assert_int_equal(count, 6);
    for (size_t i = 0; i < count; i++) {
        const char *runs[3] = {models[i].accelerators[0], models[i].accelerators[1], NULL};
        for (size_t j = 0; j < 3; j++) {
            mlps_workload w;
            load(models[i].name, runs[j], &w);
            assert_string_equal(w.model, models[i].name);
            assert_true(w.workflow.train == (runs[j] != NULL));
            assert_true(w.workflow.generate_data == (runs[j] == NULL));
            assert_false(w.workflow.checkpoint);
            char folder[64];
            snprintf(folder, sizeof folder, "data/%s", models[i].name);
            assert_string_equal(w.dataset.data_folder, folder);
            assert_int_equal(w.reader.prefetch_size, 2);
            assert_int_equal(w.train.seed, 123);
            assert_true(w.train.seed_change_epoch);
            assert_int_equal(w.metric.exclude_start_steps, 1);
            assert_int_equal(w.metric.exclude_end_steps, 0);
            assert_string_equal(w.dataset.file_prefix, "img");
            assert_int_equal(w.dataset.element_bytes, 1);
            assert_true(w.reader.data_loader == w.framework);
            mlps_workload_free(&w);
        }
    }
}

static void test_unet3d(void **state)
{
    (void)state;
    mlps_workload w;
    load("unet3d", "h100", &w);
    assert_string_equal(w.dataset.format_name, "npz");
    assert_int_equal(w.framework, MLPS_FRAMEWORK_PYTORCH);
    assert_int_equal(w.reader.data_loader, MLPS_FRAMEWORK_PYTORCH);
    assert_int_equal(w.dataset.num_files_train, 168);
    assert_int_equal(w.dataset.num_files_eval, 0);
    assert_int_equal(w.dataset.num_samples_per_file, 1);
    assert_true(w.dataset.record_length_bytes == 146600628.0);
    assert_true(w.dataset.record_length_bytes_stdev == 68341808.0);
    assert_true(w.dataset.record_length_bytes_resize == 2097152.0);
    assert_true(mlps_workload_record_bytes(&w) == 146600628.0);
    assert_int_equal(w.dataset.dimension, 12107);
    assert_true(fabs(w.dataset.dimension_stdev - 2822.2) < 0.05);
    assert_int_equal(w.dataset.max_dimension, 1448);
    assert_int_equal(w.reader.batch_size, 7);
    assert_int_equal(w.reader.read_threads, 4);
    assert_int_equal(w.reader.computation_threads, 1);
    assert_int_equal(w.reader.file_shuffle, MLPS_SHUFFLE_SEED);
    assert_int_equal(w.reader.sample_shuffle, MLPS_SHUFFLE_SEED);
    assert_int_equal(w.train.epochs, 5);
    assert_int_equal(w.train.computation_time.kind, MLPS_DELAY_CONSTANT);
    assert_true(w.train.computation_time.mean == 0.323);
    assert_true(w.metric.au == 0.90);
    assert_string_equal(w.checkpoint.folder, "checkpoints/unet3d");
    assert_int_equal(w.checkpoint.after_epoch, 5);
    assert_int_equal(w.checkpoint.epochs_between, 2);
    assert_int_equal(w.checkpoint.steps_between, -1);
    /* model_size is carried but unread: the checkpoint keeps DLIO's default size */
    assert_int_equal(w.model_size_bytes, 10240);
    assert_int_equal(mlps_config_get_int(w.config, "model.model_size"), 499153191);
    mlps_workload_free(&w);

    load("unet3d", "a100", &w);
    assert_true(w.train.computation_time.mean == 0.636);
    mlps_workload_free(&w);
}

static void test_resnet50(void **state)
{
    (void)state;
    mlps_workload w;
    load("resnet50", "h100", &w);
    assert_string_equal(w.dataset.format_name, "tfrecord");
    assert_int_equal(w.framework, MLPS_FRAMEWORK_TENSORFLOW);
    assert_int_equal(w.dataset.num_files_train, 1024);
    assert_int_equal(w.dataset.num_samples_per_file, 1251);
    assert_true(w.dataset.record_length_bytes == 114660.07);
    assert_true(mlps_workload_record_bytes(&w) == 114660.07);
    assert_int_equal(w.dataset.dimension, 338);
    assert_int_equal(w.reader.batch_size, 400);
    assert_int_equal(w.reader.read_threads, 8);
    assert_int_equal(w.reader.computation_threads, 8);
    assert_int_equal(w.reader.file_shuffle, MLPS_SHUFFLE_OFF);
    assert_int_equal(w.reader.sample_shuffle, MLPS_SHUFFLE_OFF);
    assert_true(w.train.computation_time.mean == 0.224);
    assert_false(w.reader.dont_use_mmap);
    mlps_workload_free(&w);

    load("resnet50", "a100", &w);
    assert_true(w.train.computation_time.mean == 0.435);
    assert_true(w.reader.dont_use_mmap);
    mlps_workload_free(&w);
}

static void test_cosmoflow(void **state)
{
    (void)state;
    mlps_workload w;
    load("cosmoflow", "h100", &w);
    assert_int_equal(w.dataset.num_files_train, 524288);
    assert_true(w.dataset.record_length_bytes == 2828486.0);
    assert_true(w.dataset.record_length_bytes_stdev == 71311.0);
    assert_int_equal(w.dataset.dimension, 1681);
    assert_int_equal(w.reader.batch_size, 1);
    assert_int_equal(w.reader.read_threads, 4);
    assert_int_equal(w.reader.shuffle_size, 2);
    assert_int_equal(w.reader.sample_shuffle, MLPS_SHUFFLE_SEED);
    assert_true(w.train.computation_time.mean == 0.0035);
    assert_true(w.metric.au == 0.70);
    mlps_workload_free(&w);

    load("cosmoflow", "a100", &w);
    assert_true(w.train.computation_time.mean == 0.00551);
    mlps_workload_free(&w);
}

static size_t count_dtype(const mlps_workload *w, const char *dtype)
{
    size_t n = 0;
    for (size_t i = 0; i < w->dataset.parquet_column_count; i++)
        n += strcmp(w->dataset.parquet_columns[i].dtype, dtype) == 0;
    return n;
}

static void test_dlrm(void **state)
{
    (void)state;
    mlps_workload w;
    load("dlrm", "b200", &w);
    assert_string_equal(w.dataset.format_name, "parquet");
    assert_int_equal(w.dataset.num_files_train, 1024);
    assert_int_equal(w.dataset.num_samples_per_file, 4718592);
    assert_int_equal(w.dataset.parquet_column_count, 200);
    assert_int_equal(count_dtype(&w, "float32"), 56);
    assert_int_equal(count_dtype(&w, "float16"), 50);
    assert_int_equal(count_dtype(&w, "float64"), 49);
    assert_int_equal(count_dtype(&w, "int8"), 45);
    assert_string_equal(w.dataset.parquet_columns[0].name, "feature_000");
    assert_string_equal(w.dataset.parquet_columns[0].dtype, "float16");
    assert_string_equal(w.dataset.parquet_columns[4].dtype, "float32");
    assert_string_equal(w.dataset.parquet_columns[199].name, "feature_199");
    assert_int_equal(w.dataset.parquet_columns[7].element_bytes, 1);
    assert_int_equal(w.dataset.parquet_columns[2].element_bytes, 8);
    assert_true(mlps_workload_record_bytes(&w) == 761.0);
    assert_int_equal(w.dataset.parquet_row_group_size, 6144);
    assert_int_equal(w.reader.batch_size, 12288);
    assert_int_equal(w.reader.read_threads, 4);
    assert_int_equal(w.reader.file_shuffle, MLPS_SHUFFLE_SEED);
    assert_int_equal(w.reader.sample_shuffle, MLPS_SHUFFLE_OFF);
    assert_int_equal(w.train.epochs, 1);
    assert_true(w.train.computation_time.mean == 0.000375);
    assert_true(w.metric.au == 0.70);
    /* the format layer gets a normalised column list */
    assert_int_equal(json_array_size(w.dataset.parquet_columns_json), 200);
    json_t *first = json_array_get(w.dataset.parquet_columns_json, 0);
    assert_int_equal(json_integer_value(json_object_get(first, "size")), 1);
    assert_null(json_object_get(first, "read"));
    mlps_workload_free(&w);

    load("dlrm", NULL, &w);
    assert_int_equal(w.dataset.parquet_row_group_size, 8192);
    assert_true(mlps_workload_record_bytes(&w) == 761.0);
    mlps_workload_free(&w);
}

static void test_flux(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint64_t size;
    } columns[] = {{"t5_encodings", 524328}, {"clip_encodings", 409}, {"mean", 8232},
                   {"logvar", 8232},         {"timestamp", 7}};
    mlps_workload w;
    load("flux", "b200", &w);
    assert_int_equal(w.dataset.num_files_train, 4296);
    assert_int_equal(w.dataset.num_samples_per_file, 288);
    assert_int_equal(w.dataset.parquet_column_count, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(w.dataset.parquet_columns[i].name, columns[i].name);
        assert_string_equal(w.dataset.parquet_columns[i].dtype, "float32");
        assert_int_equal(w.dataset.parquet_columns[i].size, columns[i].size);
    }
    /* 541,208 float32 per row */
    assert_true(mlps_workload_record_bytes(&w) == 2164832.0);
    assert_int_equal(w.dataset.parquet_row_group_size, 1024);
    assert_int_equal(w.reader.batch_size, 48);
    assert_int_equal(w.reader.read_threads, 8);
    assert_true(w.train.computation_time.mean == 1.35);
    assert_true(w.metric.au == 0.90);
    mlps_workload_free(&w);

    /* record_length is accepted and ignored, as DLIO does */
    const char *ignored[] = {"dataset.record_length=5"};
    load_with("flux", "b200", ignored, 1, &w);
    assert_true(mlps_workload_record_bytes(&w) == 2164832.0);
    mlps_workload_free(&w);
}

static void test_retinanet(void **state)
{
    (void)state;
    mlps_workload w;
    load("retinanet", "b200", &w);
    assert_string_equal(w.dataset.format_name, "jpeg");
    assert_int_equal(w.dataset.num_files_train, 1170301);
    assert_true(mlps_workload_record_bytes(&w) == 322957.0);
    assert_int_equal(w.dataset.dimension, 568);
    assert_int_equal(w.reader.batch_size, 24);
    assert_int_equal(w.train.epochs, 8);
    assert_true(w.train.computation_time.mean == 0.04755);
    assert_true(w.metric.au == 0.85);
    mlps_workload_free(&w);

    load("retinanet", "mi355", &w);
    assert_int_equal(w.reader.batch_size, 36);
    assert_true(w.train.computation_time.mean == 0.071325);
    mlps_workload_free(&w);
}

/* The mi355 configs scale batch and compute by 1.5 from b200: the same demand per accelerator. */
static void test_mi355_is_one_and_a_half_b200(void **state)
{
    (void)state;
    static const char *const models[] = {"dlrm", "flux", "retinanet"};
    for (size_t i = 0; i < 3; i++) {
        mlps_workload b200, mi355;
        load(models[i], "b200", &b200);
        load(models[i], "mi355", &mi355);
        assert_int_equal(2 * mi355.reader.batch_size, 3 * b200.reader.batch_size);
        double ratio = mi355.train.computation_time.mean / b200.train.computation_time.mean;
        assert_true(fabs(ratio - 1.5) < 1e-12);
        mlps_workload_free(&b200);
        mlps_workload_free(&mi355);
    }
}

/* ---- overrides and checks ---- */

static void test_overrides_apply(void **state)
{
    (void)state;
    const char *overrides[] = {"dataset.num_files_train=28000",
                               "reader.read_threads=16",
                               "dataset.data_folder=/mnt/bench///",
                               "train.computation_time_stdev=0.05",
                               "reader.transfer_size=262144",
                               "reader.odirect=true"};
    mlps_workload w;
    load_with("unet3d", "h100", overrides, 6, &w);
    assert_int_equal(w.dataset.num_files_train, 28000);
    assert_int_equal(w.reader.read_threads, 16);
    assert_string_equal(w.dataset.data_folder, "/mnt/bench");
    assert_int_equal(w.train.computation_time.kind, MLPS_DELAY_NORMAL);
    assert_true(w.train.computation_time.mean == 0.323);
    assert_true(w.train.computation_time.stdev == 0.05);
    assert_int_equal(w.reader.transfer_size, 262144);
    assert_true(w.reader.odirect);
    json_t *applied = mlps_config_overrides_to_json(w.config);
    assert_int_equal(json_object_size(applied), 6);
    json_decref(applied);
    mlps_workload_free(&w);

    const char *typed[] = {"train.computation_time={type: gamma, shape: 2, scale: 0.1}"};
    load_with("unet3d", "h100", typed, 1, &w);
    assert_int_equal(w.train.computation_time.kind, MLPS_DELAY_GAMMA);
    assert_true(w.train.computation_time.shape == 2.0);
    mlps_workload_free(&w);
}

/* storage.storage_type=s3: folders given as paths become key prefixes in the bucket that
 * storage.storage_root names; storage_options reach the store's options. */
static void test_s3_storage_keys(void **state)
{
    (void)state;
    const char *overrides[] = {"storage.storage_type=s3", "storage.storage_root=s3://bench/run1/",
                               "dataset.data_folder=./data/unet3d/",
                               "checkpoint.checkpoint_folder=/ckpt",
                               "storage.storage_options.endpoint_url=http://h1:9000,http://h2:9000",
                               "storage.storage_options.region=eu-west-1",
                               "storage.storage_options.s3_force_path_style=false",
                               "storage.storage_options.s3_max_attempts=7"};
    mlps_workload w;
    load_with("unet3d", "h100", overrides, sizeof overrides / sizeof overrides[0], &w);
    assert_int_equal(w.storage.type, MLPS_STORAGE_S3);
    assert_string_equal(w.dataset.data_folder, "s3://bench/run1/data/unet3d");
    assert_string_equal(w.checkpoint.folder, "s3://bench/run1/ckpt");
    mlps_store_options options;
    mlps_error err = {0};
    assert_int_equal(mlps_storage_options_read(w.config, 3, &options, &err), 0);
    assert_string_equal(options.s3_endpoint_url, "http://h1:9000,http://h2:9000");
    assert_string_equal(options.s3_region, "eu-west-1");
    assert_int_equal(options.s3_force_path_style, -1);
    assert_int_equal(options.s3_max_attempts, 7);
    assert_true(options.has_rank);
    assert_int_equal(options.rank, 3);
    mlps_workload_free(&w);

    /* a URI stays what it is; other storage types leave paths alone */
    const char *uri[] = {"storage.storage_type=s3", "storage.storage_root=bench",
                         "dataset.data_folder=s3://other/x"};
    load_with("unet3d", "h100", uri, 3, &w);
    assert_string_equal(w.dataset.data_folder, "s3://other/x");
    mlps_workload_free(&w);
    const char *local[] = {"storage.storage_root=bench", "dataset.data_folder=data/unet3d"};
    load_with("unet3d", "h100", local, 2, &w);
    assert_string_equal(w.dataset.data_folder, "data/unet3d");
    mlps_workload_free(&w);

    expect_refused("storage.storage_type=s3", "storage.storage_root must name the bucket");
    expect_refused("storage.storage_options.access_key_id=AKID",
                   "credentials come only from AWS_ACCESS_KEY_ID");
}

static void test_typo_key_suggests(void **state)
{
    (void)state;
    expect_refused("reader.batch_sise=8", "did you mean 'reader.batch_size'?");
    expect_refused("dataset.num_file_train=8", "did you mean 'dataset.num_files_train'?");
}

static void test_values_out_of_range(void **state)
{
    (void)state;
    expect_refused("reader.batch_size=0", "'reader.batch_size' must be at least 1, got 0");
    expect_refused("reader.read_threads=0", "'reader.read_threads' must be at least 1, got 0");
    expect_refused("dataset.num_files_train=0", "'dataset.num_files_train' must be at least 1");
    expect_refused("dataset.num_samples_per_file=-3",
                   "'dataset.num_samples_per_file' must be at least 1, got -3");
    expect_refused("reader.prefetch_size=0", "'reader.prefetch_size' must be at least 1");
    expect_refused("train.epochs=0", "'train.epochs' must be at least 1");
    expect_refused("train.computation_time=-0.1", "'train.computation_time' must not be negative");
    expect_refused("train.computation_time={type: uniform, min: 2, max: 1}", "min <= max");
    expect_refused("dataset.record_length_bytes=0",
                   "'dataset.record_length_bytes' must be greater than 0");
    expect_refused("dataset.record_length_bytes_stdev=-1",
                   "'dataset.record_length_bytes_stdev' must not be negative");
    expect_refused("metric.au=90", "'metric.au' must be a fraction between 0 and 1");
    expect_refused("checkpoint.steps_between_checkpoints=0",
                   "'checkpoint.steps_between_checkpoints' must be at least 1");
    expect_refused("reader.transfer_size=0", "'reader.transfer_size' must be at least 1");
    expect_refused("dataset.data_folder=", "'dataset.data_folder' must not be empty");
    expect_refused("reader.file_shuffle=yes", "must be one of off, seed, random");
    expect_refused("reader.batch_size=seven", "'reader.batch_size' must be an integer");
}

static void test_keys_that_must_agree(void **state)
{
    (void)state;
    expect_refused("framework=tensorflow",
                   "'reader.data_loader' is 'pytorch' but 'framework' is 'tensorflow'");
    expect_refused("dataset.format=tfrecord", "the pytorch loader cannot read");
}

static void test_unknown_format(void **state)
{
    (void)state;
    expect_refused("dataset.format=npzz", "'dataset.format' must be one of npz, npy, tfrecord");

    /* A DLIO format needs an implementation before datagen or run can use it. */
    mlps_workload w;
    load("unet3d", "h100", &w);
    const mlps_format *format = (const mlps_format *)&w;
    mlps_error err = {0};
    int rc = mlps_workload_require_format(&w, &format, &err);
    if (mlps_format_find("npz")) {
        assert_int_equal(rc, 0);
        assert_ptr_equal(format, mlps_format_find("npz"));
    } else {
        assert_int_equal(rc, -EINVAL);
        assert_null(format);
        assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
        assert_non_null(strstr(err.message, "unknown dataset.format 'npz'"));
    }
    mlps_workload_free(&w);
}

static void test_parquet_column_checks(void **state)
{
    (void)state;
    mlps_workload w;
    const char *ok[] = {"dataset.format=parquet",
                        "dataset.parquet.columns=[{name: a, dtype: float16, size: 3}, "
                        "{name: b}, {name: c, dtype: bool, read: true}]"};
    load_with("unet3d", "h100", ok, 2, &w);
    assert_int_equal(w.dataset.parquet_column_count, 3);
    assert_string_equal(w.dataset.parquet_columns[1].dtype, "float32"); /* DLIO's default */
    assert_true(mlps_workload_record_bytes(&w) == 3 * 2 + 4 + 1);
    mlps_workload_free(&w);

    /* Columns matter only for parquet: elsewhere the record length stands. */
    const char *elsewhere[] = {"dataset.parquet.columns=[{name: a, dtype: float16}]"};
    load_with("unet3d", "h100", elsewhere, 1, &w);
    assert_int_equal(w.dataset.parquet_column_count, 0);
    assert_true(mlps_workload_record_bytes(&w) == 146600628.0);
    mlps_workload_free(&w);

    static const struct {
        const char *columns;
        const char *fragment;
    } bad[] = {
        {"dataset.parquet.columns={name: a}", "must be a list of columns"},
        {"dataset.parquet.columns=[a, b]", "entry 0 must be a mapping"},
        {"dataset.parquet.columns=[{dtype: int8}]", "entry 0 needs a 'name'"},
        {"dataset.parquet.columns=[{name: a, dtype: complex64}]", "column 'a': dtype must be"},
        {"dataset.parquet.columns=[{name: a, size: 0}]", "column 'a': size must be an integer"},
        {"dataset.parquet.columns=[{name: a, width: 3}]", "entry 0 has no field 'width'"},
        {"dataset.parquet.columns=[{name: a, read: maybe}]", "'read' must be true or false"},
        {"dataset.parquet.columns=[{name: a}, {name: a}]", "names column 'a' twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *overrides[] = {"dataset.format=parquet", bad[i].columns};
        mlps_error err = {0};
        mlps_workload_source source = {.model = "unet3d", .accelerator = "h100",
                                       .configs_dir = configs_dir, .overrides = overrides,
                                       .override_count = 2};
        assert_int_equal(mlps_workload_load(&source, &w, &err), -EINVAL);
        assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
        if (!strstr(err.message, bad[i].fragment) || !strstr(err.message, "dataset.parquet"))
            fail_msg("%s: message '%s' lacks '%s'", bad[i].columns, err.message,
                     bad[i].fragment);
    }
}

static void test_defaults_of_a_bare_file(void **state)
{
    (void)state;
    const char *tmp = getenv("MLPS_TEST_TMP");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/bare_workload.yaml", tmp ? tmp : "/tmp");
    mkdir(tmp ? tmp : "/tmp", 0755);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("model:\n  name: tiny\ndataset:\n  format: npz\n", file);
    fclose(file);

    mlps_workload w;
    mlps_error err = {0};
    mlps_workload_source source = {.file = path};
    assert_int_equal(mlps_workload_load(&source, &w, &err), 0);
    /* DLIO's defaults for unset keys */
    assert_string_equal(w.model, "tiny");
    assert_int_equal(w.framework, MLPS_FRAMEWORK_TENSORFLOW);
    assert_int_equal(w.dataset.num_files_train, 8);
    assert_true(w.dataset.record_length_bytes == 65536.0);
    assert_int_equal(w.reader.read_threads, 1);
    assert_int_equal(w.reader.computation_threads, 1);
    assert_int_equal(w.reader.prefetch_size, 2);
    assert_int_equal(w.reader.shuffle_size, 1024);
    assert_int_equal(w.reader.transfer_size, 0);
    assert_int_equal(w.reader.read_type, MLPS_READ_ON_DEMAND);
    assert_true(w.reader.pin_memory);
    assert_true(w.metric.au == 0.90);
    assert_int_equal(w.train.total_training_steps, -1);
    assert_int_equal(w.checkpoint.steps_between, -1);
    assert_int_equal(w.checkpoint.type, MLPS_CHECKPOINT_RANK_ZERO);
    assert_true(w.dataset.keep_files);
    assert_string_equal(w.dataset.record_element_type, "uint8");
    assert_int_equal(w.dataset.generation_buffer_size, 2147483648ull);
    assert_int_equal(w.train.computation_time.kind, MLPS_DELAY_NONE);
    assert_int_equal(w.storage.type, MLPS_STORAGE_LOCAL_FS);
    assert_string_equal(w.storage.root, "./");
    assert_string_equal(w.dataset.data_folder, "./data");
    assert_string_equal(w.log_file, "dlio.log");
    mlps_workload_free(&w);

    source.file = "/nonexistent/workload.yaml";
    assert_int_equal(mlps_workload_load(&source, &w, &err), -ENOENT);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "/nonexistent/workload.yaml"));
}

static void test_format_params(void **state)
{
    (void)state;
    mlps_workload w;
    const char *overrides[] = {"dataset.record_element_type=float16"};
    load_with("dlrm", "b200", overrides, 1, &w);
    mlps_format_params params;
    mlps_workload_format_params(&w, &params);
    assert_int_equal(params.samples_per_file, 4718592);
    assert_int_equal(params.element_bytes, 2);
    assert_string_equal(params.element_type, "float16");
    assert_string_equal(params.compression, "none");
    assert_ptr_equal(params.parquet_columns, w.dataset.parquet_columns_json);
    assert_int_equal(params.parquet_row_group_size, 6144);
    assert_int_equal(params.seed, 123);
    mlps_workload_free(&w);
}

static void test_element_bytes(void **state)
{
    (void)state;
    assert_int_equal(mlps_element_bytes("uint8"), 1);
    assert_int_equal(mlps_element_bytes("bool"), 1);
    assert_int_equal(mlps_element_bytes("float16"), 2);
    assert_int_equal(mlps_element_bytes("int32"), 4);
    assert_int_equal(mlps_element_bytes("float64"), 8);
    assert_int_equal(mlps_element_bytes("uint64"), 8);
    assert_int_equal(mlps_element_bytes("complex64"), 0);
    assert_int_equal(mlps_element_bytes(NULL), 0);
}

/* ---- where workloads live ---- */

static void test_config_path_of_pairs(void **state)
{
    (void)state;
    char path[PATH_MAX];
    mlps_error err = {0};
    assert_int_equal(mlps_workload_config_path("unet3d", "h100", "/c", path, sizeof path, &err),
                     0);
    assert_string_equal(path, "/c/training/unet3d_h100.yaml");
    assert_int_equal(mlps_workload_config_path("dlrm", NULL, "/c", path, sizeof path, &err), 0);
    assert_string_equal(path, "/c/training/dlrm_datagen.yaml");
    assert_int_equal(mlps_workload_config_path("flux", "datagen", "/c", path, sizeof path, &err),
                     0);
    assert_string_equal(path, "/c/training/flux_datagen.yaml");
}

static void test_unknown_pair_lists_pairs(void **state)
{
    (void)state;
    char path[PATH_MAX];
    mlps_error err = {0};
    assert_int_equal(mlps_workload_config_path("unet3d", "b200", "/c", path, sizeof path, &err),
                     -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message,
                        "no workload for unet3d on b200; valid: unet3d with a100, h100; "
                        "resnet50 with a100, h100; cosmoflow with a100, h100; dlrm with b200, "
                        "mi355; flux with b200, mi355; retinanet with b200, mi355");
    assert_int_equal(mlps_workload_config_path("unet", "h100", "/c", path, sizeof path, &err),
                     -EINVAL);
    assert_non_null(strstr(err.message, "unknown model 'unet' (did you mean 'unet3d'?); valid: "
                                        "unet3d with a100, h100;"));
    assert_int_equal(mlps_workload_config_path("bert", "h100", "/c", path, sizeof path, &err),
                     -EINVAL);
    assert_non_null(strstr(err.message, "unknown model 'bert'; valid:"));
}

/* Makes the folder <root>/<sub> and its parents. */
static void make_dirs(const char *root, const char *sub)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, sub);
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    mkdir(path, 0755);
}

static void test_configs_dir_search(void **state)
{
    (void)state;
    const char *tmp = getenv("MLPS_TEST_TMP");
    char root[1024], program[PATH_MAX], out[PATH_MAX], expected[PATH_MAX];
    snprintf(root, sizeof root, "%s/configs-search", tmp ? tmp : "/tmp");
    mlps_error err = {0};

    /* a build tree inside the source tree: <root>/build/mlps finds <root>/configs */
    make_dirs(root, "tree/configs/training");
    make_dirs(root, "tree/build");
    snprintf(program, sizeof program, "%s/tree/build/mlps", root);
    assert_int_equal(mlps_workload_configs_dir_from(NULL, program, out, sizeof out, &err), 0);
    snprintf(expected, sizeof expected, "%s/tree/configs", root);
    char resolved[PATH_MAX];
    assert_non_null(realpath(expected, resolved));
    assert_string_equal(out, resolved);

    /* an installed program: <prefix>/bin/mlps finds <prefix>/share/mlps/configs */
    make_dirs(root, "prefix/share/mlps/configs/training");
    make_dirs(root, "prefix/bin");
    snprintf(program, sizeof program, "%s/prefix/bin/mlps", root);
    assert_int_equal(mlps_workload_configs_dir_from(NULL, program, out, sizeof out, &err), 0);
    snprintf(expected, sizeof expected, "%s/prefix/share/mlps/configs", root);
    assert_non_null(realpath(expected, resolved));
    assert_string_equal(out, resolved);

    /* the environment wins, and must name a real configs folder */
    snprintf(expected, sizeof expected, "%s/tree/configs", root);
    assert_int_equal(mlps_workload_configs_dir_from(expected, program, out, sizeof out, &err), 0);
    assert_true(strstr(out, "/tree/configs") != NULL);
    assert_int_equal(mlps_workload_configs_dir_from(root, program, out, sizeof out, &err),
                     -ENOENT);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "MLPS_CONFIG_DIR="));

    /* elsewhere: the source tree this was built from */
    assert_int_equal(mlps_workload_configs_dir_from(NULL, "/nowhere/bin/mlps", out, sizeof out,
                                                    &err), 0);
    char unet3d[PATH_MAX + 64];
    snprintf(unet3d, sizeof unet3d, "%s/training/unet3d_h100.yaml", out);
    struct stat st;
    assert_int_equal(stat(unet3d, &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_config_loads),
        cmocka_unit_test(test_unet3d),
        cmocka_unit_test(test_resnet50),
        cmocka_unit_test(test_cosmoflow),
        cmocka_unit_test(test_dlrm),
        cmocka_unit_test(test_flux),
        cmocka_unit_test(test_retinanet),
        cmocka_unit_test(test_mi355_is_one_and_a_half_b200),
        cmocka_unit_test(test_overrides_apply),
        cmocka_unit_test(test_typo_key_suggests),
        cmocka_unit_test(test_values_out_of_range),
        cmocka_unit_test(test_keys_that_must_agree),
        cmocka_unit_test(test_unknown_format),
        cmocka_unit_test(test_parquet_column_checks),
        cmocka_unit_test(test_defaults_of_a_bare_file),
        cmocka_unit_test(test_format_params),
        cmocka_unit_test(test_element_bytes),
        cmocka_unit_test(test_config_path_of_pairs),
        cmocka_unit_test(test_unknown_pair_lists_pairs),
        cmocka_unit_test(test_configs_dir_search),
        cmocka_unit_test(test_s3_storage_keys),
    };
    return cmocka_run_group_tests(tests, find_configs, NULL);
}
