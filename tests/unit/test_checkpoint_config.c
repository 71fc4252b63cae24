/* Tests of the checkpointing workload: the four shipped configs load with the spec's parameters
 * (spec 20 §1.1), the configs folder and each model's file are found, unknown models and keys are
 * refused with suggestions, overrides apply, bad values and counts are usage errors naming their
 * key, and the process-count checks give the reference's messages (§2.2, §2.3). */
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
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/config.h"
#include "core/configs_dir.h"

static char configs_dir[PATH_MAX];

static int find_configs(void **state)
{
    (void)state;
    mlps_error err = {0};
    if (mlps_configs_dir(MLPS_CHECKPOINT_CONFIGS_SUBFOLDER, configs_dir, sizeof configs_dir,
                         &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    return 0;
}

static void load_with(const char *model, const char *const *overrides, size_t count,
                      mlps_checkpoint_workload *w)
{
    mlps_error err = {0};
    mlps_checkpoint_source source = {.model = model, .configs_dir = configs_dir,
                                     .overrides = overrides, .override_count = count};
    if (mlps_checkpoint_workload_load(&source, w, &err) != 0)
        fail_msg("%s: %s", model, err.message);
}

/* Loads model with one override that must be refused; checks the message holds fragment. */
static void expect_refused(const char *model, const char *override, const char *fragment)
{
    mlps_error err = {0};
    mlps_checkpoint_workload w;
    mlps_checkpoint_source source = {.model = model, .configs_dir = configs_dir,
                                     .overrides = &override, .override_count = 1};
    assert_int_equal(mlps_checkpoint_workload_load(&source, &w, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, fragment))
        fail_msg("override '%s': message '%s' lacks '%s'", override, err.message, fragment);
    assert_null(w.config);
}

/* Loads model with overrides and checks it for procs processes: 0, or the exact message. */
static void expect_validation(const char *model, const char *const *overrides, size_t count,
                              uint64_t procs, const char *message)
{
    mlps_checkpoint_workload w;
    load_with(model, overrides, count, &w);
    mlps_error err = {0};
    int rc = mlps_checkpoint_workload_validate(&w, procs, &err);
    mlps_checkpoint_workload_free(&w);
    if (!message) {
        if (rc != 0)
            fail_msg("%s on %llu processes: %s", model, (unsigned long long)procs, err.message);
        return;
    }
    assert_int_equal(rc, -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message, message);
}

/* ---- the shipped configs (§1.1) ---- */

typedef struct expected_model {
    const char *model, *name, *folder;
    uint64_t layers, hidden, ffn, heads, kv_heads, tp, pp;
    unsigned zero;
    uint64_t closed_processes, files;
    double gib;
} expected_model;

static const expected_model expected[] = {
    {"llama3-8b", "llama_8b", "checkpoints/llama_8b", 32, 4096, 14336, 32, 8, 1, 1, 3, 8, 16,
     104.7045},
    {"llama3-70b", "llama_70b", "checkpoints/llama_70b", 80, 8192, 28672, 128, 8, 8, 1, 3, 64, 128,
     911.2121},
    {"llama3-405b", "llama_405b", "checkpoints/llama_405b", 126, 16384, 53248, 128, 8, 8, 32, 1,
     512, 1544, 5292.2487},
    {"llama3-1t", "llama_1t", "checkpoints/llama_1t", 128, 25872, 98304, 192, 32, 8, 64, 1, 1024,
     2072, 15426.5893},
};

static void check_shape(const mlps_checkpoint_workload *w, const expected_model *e)
{
    const mlps_checkpoint_model_params *p = &w->params;
    assert_string_equal(w->model_name, e->name);
    assert_int_equal(p->num_layers, e->layers);
    assert_int_equal(p->hidden_size, e->hidden);
    assert_int_equal(p->ffn_hidden_size, e->ffn);
    assert_int_equal(p->num_attention_heads, e->heads);
    assert_int_equal(p->num_kv_heads, e->kv_heads);
    assert_int_equal(p->vocab_size, 128256);
    assert_int_equal(p->tensor, e->tp);
    assert_int_equal(p->pipeline, e->pp);
    assert_int_equal(p->zero_stage, e->zero);
    assert_int_equal(p->data, 0);
    assert_int_equal(p->mode, MLPS_CHECKPOINT_MODE_DEFAULT);
    assert_string_equal(w->model_datatype, "fp16");
    assert_string_equal(w->optimizer_datatype, "fp32");
    assert_int_equal(p->model_dtype_bytes, 2);
    assert_int_equal(p->optimizer_dtype_bytes, 4);
}

static void check_settings(const mlps_checkpoint_workload *w, const expected_model *e)
{
    assert_string_equal(w->framework, "pytorch");
    assert_false(w->workflow.train);
    assert_false(w->workflow.generate_data);
    assert_true(w->workflow.checkpoint);
    assert_string_equal(w->checkpoint.folder, e->folder);
    assert_int_equal(w->checkpoint.num_write, 10);
    assert_int_equal(w->checkpoint.num_read, 10);
    assert_true(w->checkpoint.time_between_seconds == 5.0);
    assert_true(w->checkpoint.fsync);
    assert_false(w->checkpoint.rank_sync);
    assert_false(w->checkpoint.recovery_rank_shift);
    assert_string_equal(w->checkpoint.type, "rank_zero");
    assert_string_equal(w->storage.type_name, "local_fs");
    assert_null(w->storage.library);
    assert_null(w->output_folder);
}

static void test_every_shipped_config_loads(void **state)
{
    (void)state;
    size_t count;
    const char *const *models = mlps_checkpoint_models(&count);
    assert_int_equal(count, 4);
    for (size_t i = 0; i < count; i++) {
        const expected_model *e = &expected[i];
        assert_string_equal(models[i], e->model);
        mlps_checkpoint_workload w;
        load_with(e->model, NULL, 0, &w);
        check_shape(&w, e);
        check_settings(&w, e);

        mlps_error err = {0};
        assert_int_equal(mlps_checkpoint_workload_validate(&w, e->closed_processes, &err), 0);
        mlps_checkpoint_layout layout;
        assert_int_equal(mlps_checkpoint_layout_init(&layout, &w.params, e->closed_processes,
                                                     &err), 0);
        mlps_checkpoint_totals t;
        mlps_checkpoint_totals_compute(&layout, &t);
        assert_int_equal(t.files, e->files);
        assert_true(fabs(mlps_checkpoint_size_gib(&t) - e->gib) < 5e-5);
        mlps_checkpoint_workload_free(&w);
        assert_null(w.config);
    }
}

static void test_rules_of_each_model(void **state)
{
    (void)state;
    size_t count;
    const char *const *models = mlps_checkpoint_models(&count);
    for (size_t i = 0; i < count; i++) {
        const mlps_checkpoint_model_rules *r = mlps_checkpoint_rules_of(models[i]);
        assert_non_null(r);
        assert_string_equal(r->model, models[i]);
        assert_int_equal(r->closed_processes, expected[i].closed_processes);
        assert_int_equal(r->subset_data, r->closed_processes / r->open_multiple);
    }
    assert_int_equal(mlps_checkpoint_rules_of("llama3-8b")->subset_processes, 0);
    assert_int_equal(mlps_checkpoint_rules_of("llama3-8b")->open_multiple, 8);
    assert_int_equal(mlps_checkpoint_rules_of("llama3-405b")->open_multiple, 256);
    assert_int_equal(mlps_checkpoint_rules_of("llama3-1t")->subset_data, 2);
    assert_int_equal(mlps_checkpoint_rules_of("llama3-70b")->subset_data, 8);
    assert_null(mlps_checkpoint_rules_of("llama3-7b"));
    assert_null(mlps_checkpoint_rules_of(NULL));
}

/* ---- finding the files ---- */

static void test_config_path_of_each_model(void **state)
{
    (void)state;
    char path[PATH_MAX], expected_path[PATH_MAX + 64];
    mlps_error err = {0};
    assert_int_equal(mlps_checkpoint_config_path("llama3-405b", configs_dir, path, sizeof path,
                                                 &err), 0);
    snprintf(expected_path, sizeof expected_path, "%s/checkpointing/llama3_405b.yaml",
             configs_dir);
    assert_string_equal(path, expected_path);
    assert_int_equal(mlps_checkpoint_config_path("llama3-1t", "/c", path, sizeof path, &err), 0);
    assert_string_equal(path, "/c/checkpointing/llama3_1t.yaml");
    assert_int_equal(mlps_checkpoint_config_path("llama3-1t", "/c", path, 10, &err),
                     -ENAMETOOLONG);
}

static void test_unknown_model_is_refused_with_a_suggestion(void **state)
{
    (void)state;
    char path[PATH_MAX];
    mlps_error err = {0};
    assert_int_equal(mlps_checkpoint_config_path("llama3_8b", configs_dir, path, sizeof path,
                                                 &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message, "unknown model 'llama3_8b' (did you mean 'llama3-8b'?); "
                                     "valid: llama3-8b, llama3-70b, llama3-405b, llama3-1t");
    assert_int_equal(mlps_checkpoint_config_path("llama3-7b", configs_dir, path, sizeof path,
                                                 &err), -EINVAL);
    assert_non_null(strstr(err.message, "did you mean 'llama3-8b'?"));
    assert_int_equal(mlps_checkpoint_config_path("resnet50", configs_dir, path, sizeof path,
                                                 &err), -EINVAL);
    assert_null(strstr(err.message, "did you mean"));
    assert_non_null(strstr(err.message, "valid: llama3-8b, llama3-70b, llama3-405b, llama3-1t"));

    mlps_checkpoint_workload w;
    mlps_checkpoint_source source = {.model = "llama3-4t", .configs_dir = configs_dir};
    assert_int_equal(mlps_checkpoint_workload_load(&source, &w, &err), -EINVAL);
    assert_non_null(strstr(err.message, "unknown model 'llama3-4t'"));
    source = (mlps_checkpoint_source){.configs_dir = configs_dir};
    assert_int_equal(mlps_checkpoint_workload_load(&source, &w, &err), -EINVAL);
    assert_non_null(strstr(err.message, "no workload given"));
}

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

static void test_configs_folder_must_hold_checkpointing(void **state)
{
    (void)state;
    const char *tmp = getenv("MLPS_TEST_TMP");
    char root[1024], program[PATH_MAX], out[PATH_MAX], only_training[PATH_MAX];
    snprintf(root, sizeof root, "%s/checkpoint-configs-search", tmp ? tmp : "/tmp");
    mlps_error err = {0};

    /* a configs folder beside the program that lacks checkpointing/ is passed over */
    make_dirs(root, "tree/configs/training");
    char leftover[PATH_MAX];
    snprintf(leftover, sizeof leftover, "%s/tree/configs/checkpointing", root);
    rmdir(leftover); /* made by an earlier run of this test */
    make_dirs(root, "tree/build");
    snprintf(program, sizeof program, "%s/tree/build/mlps", root);
    assert_int_equal(mlps_configs_dir_from("checkpointing", NULL, program, out, sizeof out, &err),
                     0);
    assert_string_equal(out, configs_dir); /* the source tree's, which has it */
    assert_int_equal(mlps_configs_dir_from("training", NULL, program, out, sizeof out, &err), 0);
    assert_non_null(strstr(out, "/tree/configs"));

    /* the environment must name a folder that holds it */
    snprintf(only_training, sizeof only_training, "%s/tree/configs", root);
    assert_int_equal(mlps_configs_dir_from("checkpointing", only_training, program, out,
                                           sizeof out, &err), -ENOENT);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "MLPS_CONFIG_DIR="));
    assert_non_null(strstr(err.message, "checkpointing/"));
    make_dirs(root, "tree/configs/checkpointing");
    assert_int_equal(mlps_configs_dir_from("checkpointing", only_training, program, out,
                                           sizeof out, &err), 0);
    assert_non_null(strstr(out, "/tree/configs"));
}

static void test_own_workload_file(void **state)
{
    (void)state;
    const char *tmp = getenv("MLPS_TEST_TMP");
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s", tmp ? tmp : "/tmp");
    make_dirs(dir, "");
    snprintf(path, sizeof path, "%s/tiny_checkpoint.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("model:\n  name: tiny\n  num_layers: 4\n  parallelism:\n    tensor: 2\n"
          "    pipeline: 2\n    zero_stage: 1\n  transformer:\n    hidden_size: 64\n"
          "    ffn_hidden_size: 256\n    num_attention_heads: 4\n    num_kv_heads: 2\n"
          "    vocab_size: 1000\nworkflow:\n  train: False\n  checkpoint: True\n"
          "checkpoint:\n  checkpoint_folder: /mnt/ckpt///\n  num_checkpoints_write: 2\n", f);
    assert_int_equal(fclose(f), 0);

    mlps_checkpoint_workload w;
    mlps_error err = {0};
    mlps_checkpoint_source source = {.file = path};
    assert_int_equal(mlps_checkpoint_workload_load(&source, &w, &err), 0);
    assert_string_equal(w.model_name, "tiny");
    assert_int_equal(w.params.num_layers, 4);
    assert_int_equal(w.params.vocab_size, 1000);
    assert_string_equal(w.checkpoint.folder, "/mnt/ckpt");
    assert_int_equal(w.checkpoint.num_write, 2);
    assert_int_equal(w.checkpoint.num_read, 0); /* unset: none */
    assert_true(w.checkpoint.time_between_seconds == 0.0);
    assert_false(w.checkpoint.fsync);               /* DLIO's default */
    assert_int_equal(w.checkpoint.write_behind_bytes, 128 << 20);
    assert_string_equal(w.framework, "tensorflow"); /* DLIO's default */
    assert_int_equal(mlps_checkpoint_workload_validate(&w, 8, &err), 0);
    mlps_checkpoint_workload_free(&w);
}

/* ---- overrides ---- */

static void test_overrides_apply(void **state)
{
    (void)state;
    const char *overrides[] = {"model.num_layers=24", "checkpoint.num_checkpoints_write=3",
                               "checkpoint.num_checkpoints_read=0", "checkpoint.rank_sync=true",
                               "checkpoint.checkpoint_folder=/data/ckpt/llama3-8b/",
                               "storage.storage_type=s3", "storage.storage_library=s3dlio",
                               "storage.storage_root=bench",
                               "storage.storage_options.endpoint_url=http://h:9000",
                               "model.model_datatype=bf16", "model.optimizer_datatype=fp64"};
    mlps_checkpoint_workload w;
    load_with("llama3-8b", overrides, sizeof overrides / sizeof overrides[0], &w);
    assert_int_equal(w.params.num_layers, 24);
    assert_int_equal(w.checkpoint.num_write, 3);
    assert_int_equal(w.checkpoint.num_read, 0);
    assert_true(w.checkpoint.rank_sync);
    /* storage_type s3: the folder is a key prefix in the bucket storage_root names */
    assert_string_equal(w.checkpoint.folder, "s3://bench/data/ckpt/llama3-8b");
    assert_string_equal(w.storage.type_name, "s3");
    assert_string_equal(w.storage.library, "s3dlio");
    assert_string_equal(mlps_config_get_string(w.config, "storage.storage_options.endpoint_url"),
                        "http://h:9000");
    assert_int_equal(w.params.model_dtype_bytes, 2);
    assert_int_equal(w.params.optimizer_dtype_bytes, 8);
    mlps_checkpoint_workload_free(&w);

    /* 8B with 24 layers on 8 ranks: 81.95 GiB, as the fork's test logs say */
    const char *layers = "model.num_layers=24";
    load_with("llama3-8b", &layers, 1, &w);
    mlps_checkpoint_layout layout;
    mlps_error err = {0};
    assert_int_equal(mlps_checkpoint_layout_init(&layout, &w.params, 8, &err), 0);
    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_true(fabs(mlps_checkpoint_size_gib(&t) - 81.95) < 0.005);
    mlps_checkpoint_workload_free(&w);
}

/* DLIO's direct_fs storage type is O_DIRECT: a plain folder becomes a direct:// URI (made
 * absolute), a URI stays as given, and local_fs leaves the folder a plain path. */
static void test_direct_fs_means_direct_uri(void **state)
{
    (void)state;
    char cwd[PATH_MAX], expected[PATH_MAX + 64];
    assert_non_null(getcwd(cwd, sizeof cwd));
    struct {
        const char *type, *folder, *expected;
    } cases[] = {
        {"direct_fs", "/mnt/ckpt/", "direct:///mnt/ckpt"},
        {"direct_fs", "file:///mnt/ckpt", "file:///mnt/ckpt"},
        {"direct_fs", "ckpt/llama3-8b", NULL}, /* relative: below the working directory */
        {"local_fs", "/mnt/ckpt", "/mnt/ckpt"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char type[64], folder[128];
        snprintf(type, sizeof type, "storage.storage_type=%s", cases[i].type);
        snprintf(folder, sizeof folder, "checkpoint.checkpoint_folder=%s", cases[i].folder);
        const char *overrides[] = {type, folder};
        mlps_checkpoint_workload w;
        load_with("llama3-8b", overrides, 2, &w);
        snprintf(expected, sizeof expected, "direct://%s/ckpt/llama3-8b", cwd);
        assert_string_equal(w.checkpoint.folder, cases[i].expected ? cases[i].expected : expected);
        mlps_checkpoint_workload_free(&w);
    }
}

static void test_subset_mode_by_override(void **state)
{
    (void)state;
    const char *overrides[] = {"checkpoint.mode=subset", "model.parallelism.data=8"};
    mlps_checkpoint_workload w;
    load_with("llama3-70b", overrides, 2, &w);
    assert_int_equal(w.params.mode, MLPS_CHECKPOINT_MODE_SUBSET);
    assert_int_equal(w.checkpoint.mode, MLPS_CHECKPOINT_MODE_SUBSET);
    assert_int_equal(w.params.data, 8);
    mlps_error err = {0};
    mlps_checkpoint_layout layout;
    assert_int_equal(mlps_checkpoint_layout_init(&layout, &w.params, 8, &err), 0);
    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_int_equal(t.files, 16);
    assert_true(fabs(mlps_checkpoint_size_gib(&t) - 113.9015) < 5e-5);
    mlps_checkpoint_workload_free(&w);
}

static void test_unknown_keys_are_refused_with_suggestions(void **state)
{
    (void)state;
    expect_refused("llama3-8b", "model.num_layer=24", "did you mean 'model.num_layers'?");
    expect_refused("llama3-8b", "checkpoint.num_checkpoint_write=1",
                   "did you mean 'checkpoint.num_checkpoints_write'?");
    expect_refused("llama3-8b", "model.parallelism.zero=1",
                   "valid keys under 'model.parallelism' are: tensor, pipeline, data, zero_stage");
    expect_refused("llama3-8b", "checkpoint.ranksync=true", "did you mean 'checkpoint.rank_sync'?");
    /* a training key is not a checkpointing key */
    expect_refused("llama3-8b", "reader.batch_size=4", "unknown config key 'reader.batch_size'");
}

static void test_bad_values_name_their_key(void **state)
{
    (void)state;
    expect_refused("llama3-8b", "model.parallelism.zero_stage=4",
                   "config key 'model.parallelism.zero_stage' must be 0, 1, 2 or 3, got 4");
    expect_refused("llama3-8b", "model.transformer.hidden_size=0",
                   "config key 'model.transformer.hidden_size' must be at least 1, got 0");
    expect_refused("llama3-8b", "model.num_layers=-1",
                   "config key 'model.num_layers' must be at least 1, got -1");
    expect_refused("llama3-8b", "model.parallelism.tensor=0", "model.parallelism.tensor");
    expect_refused("llama3-8b", "model.model_datatype=fp8", "fp16");
    expect_refused("llama3-8b", "checkpoint.mode=partial", "subset");
    expect_refused("llama3-8b", "checkpoint.type=every_rank", "all_ranks");
    expect_refused("llama3-8b", "checkpoint.fsync=maybe", "checkpoint.fsync");
    expect_refused("llama3-8b", "checkpoint.time_between_checkpoints=-1",
                   "config key 'checkpoint.time_between_checkpoints' must be at least 0 "
                   "seconds, got -1");
    expect_refused("llama3-8b", "checkpoint.write_behind_mib=-1",
                   "config key 'checkpoint.write_behind_mib' must be 0 (off) or a number of MiB, "
                   "got -1");
    expect_refused("llama3-8b", "storage.storage_type=s3",
                   "storage.storage_type is s3, so storage.storage_root must name the bucket");
    expect_refused("llama3-8b", "storage.storage_options.secret_access_key=hunter2",
                   "config key 'storage.storage_options.secret_access_key' is not accepted: "
                   "credentials come only from AWS_SECRET_ACCESS_KEY");
    expect_refused("llama3-8b", "storage.storage_options.s3_max_attempts=0",
                   "'storage.storage_options.s3_max_attempts' must be a whole number in 1..100");
    expect_refused("llama3-8b", "storage.storage_options.s3_force_path_style=maybe",
                   "'storage.storage_options.s3_force_path_style' must be true or false");
}

static void test_checkpoint_counts(void **state)
{
    (void)state;
    expect_refused("llama3-8b", "checkpoint.num_checkpoints_write=-1",
                   "Number of checkpoints read and write must be non-negative: "
                   "checkpoint.num_checkpoints_write is -1");
    expect_refused("llama3-8b", "checkpoint.num_checkpoints_read=-3",
                   "Number of checkpoints read and write must be non-negative: "
                   "checkpoint.num_checkpoints_read is -3");
    expect_refused("llama3-8b", "checkpoint.num_checkpoints_read=11",
                   "Number of checkpoints to read 11 cannot be larger than number of "
                   "checkpoints to write 10");
    /* a read-only run writes nothing and reads what an earlier run wrote */
    const char *read_only[] = {"checkpoint.num_checkpoints_write=0",
                               "checkpoint.num_checkpoints_read=10"};
    mlps_checkpoint_workload w;
    load_with("llama3-8b", read_only, 2, &w);
    assert_int_equal(w.checkpoint.num_write, 0);
    assert_int_equal(w.checkpoint.num_read, 10);
    mlps_checkpoint_workload_free(&w);
}

static void test_write_behind_window(void **state)
{
    (void)state;
    const char *off[] = {"checkpoint.write_behind_mib=0"};
    const char *wide[] = {"checkpoint.write_behind_mib=1024"};
    mlps_checkpoint_workload w;
    load_with("llama3-8b", off, 1, &w);
    assert_int_equal(w.checkpoint.write_behind_bytes, 0);
    mlps_checkpoint_workload_free(&w);
    load_with("llama3-8b", wide, 1, &w);
    assert_int_equal(w.checkpoint.write_behind_bytes, UINT64_C(1) << 30);
    mlps_checkpoint_workload_free(&w);
}

static void test_workflow_must_be_checkpoint_only(void **state)
{
    (void)state;
    expect_refused("llama3-8b", "workflow.train=true", "config key 'workflow.train' is true");
    expect_refused("llama3-8b", "workflow.checkpoint=false",
                   "config key 'workflow.checkpoint' is false");
    expect_refused("llama3-8b", "workflow.generate_data=true",
                   "config key 'workflow.generate_data' is true");
}

/* ---- the checks that need the process count (§2.2, §2.3) ---- */

static void test_reference_checks_through_the_workload(void **state)
{
    (void)state;
    expect_validation("llama3-8b", NULL, 0, 8, NULL);
    expect_validation("llama3-8b", NULL, 0, 4, NULL); /* direct, default mode: fine */
    const char *subset_8b[] = {"checkpoint.mode=subset", "model.parallelism.data=1"};
    expect_validation("llama3-8b", subset_8b, 2, 4,
                      "Comm size: 4 is larger than 3D parallelism size: 1");
    expect_validation("llama3-70b", NULL, 0, 12,
                      "Number of processes 12 is not a multiple of model parallelism size: 8");
    const char *data_in_default = "model.parallelism.data=2";
    expect_validation("llama3-405b", &data_in_default, 1, 512,
                      "workload.parallelism.data should not be set in default Checkpoint Mode; "
                      "it will be determined internally.");
    const char *subset_without_data = "checkpoint.mode=subset";
    expect_validation("llama3-1t", &subset_without_data, 1, 8,
                      "To perform subset Checkpointing, please set a target data parallelism: "
                      "workload.parallelism.data.");
    const char *few_layers = "model.num_layers=16";
    expect_validation("llama3-405b", &few_layers, 1, 512,
                      "Expected model.num_layers 16 should be larger than "
                      "model.parallelism.pipeline 32.");
    const char *zero3 = "model.parallelism.zero_stage=3";
    expect_validation("llama3-1t", &zero3, 1, 1024,
                      "ZeRO stage 3 is not compatible with pipeline parallelism.");
    const char *subset_1t[] = {"checkpoint.mode=subset", "model.parallelism.data=2"};
    expect_validation("llama3-1t", subset_1t, 2, 8, NULL);
    expect_validation("llama3-1t", subset_1t, 2, 1025,
                      "Comm size: 1025 is larger than 3D parallelism size: 1024");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_config_loads),
        cmocka_unit_test(test_rules_of_each_model),
        cmocka_unit_test(test_config_path_of_each_model),
        cmocka_unit_test(test_unknown_model_is_refused_with_a_suggestion),
        cmocka_unit_test(test_configs_folder_must_hold_checkpointing),
        cmocka_unit_test(test_own_workload_file),
        cmocka_unit_test(test_overrides_apply),
        cmocka_unit_test(test_direct_fs_means_direct_uri),
        cmocka_unit_test(test_subset_mode_by_override),
        cmocka_unit_test(test_unknown_keys_are_refused_with_suggestions),
        cmocka_unit_test(test_bad_values_name_their_key),
        cmocka_unit_test(test_checkpoint_counts),
        cmocka_unit_test(test_write_behind_window),
        cmocka_unit_test(test_workflow_must_be_checkpoint_only),
        cmocka_unit_test(test_reference_checks_through_the_workload),
    };
    return cmocka_run_group_tests(tests, find_configs, NULL);
}
