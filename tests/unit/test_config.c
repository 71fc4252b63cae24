/* Tests of the workload config: YAML loading against a schema, typed getters and defaults,
 * command-line overrides, the messages for bad input, and writing the config back out. */
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

#include "core/config.h"

static const char *const frameworks[] = {"pytorch", "tensorflow", NULL};

static const mlps_cfg_key test_keys[] = {
    {"model.name", MLPS_CFG_STRING, "default", NULL, "model name"},
    {"model.layers", MLPS_CFG_SUBTREE, "[64, 128]", NULL, "layer widths"},
    {"framework", MLPS_CFG_STRING, "pytorch", frameworks, "framework"},
    {"workflow.generate_data", MLPS_CFG_BOOL, "false", NULL, "generate data"},
    {"workflow.train", MLPS_CFG_BOOL, "true", NULL, "train"},
    {"dataset.data_folder", MLPS_CFG_STRING, NULL, NULL, "data folder"},
    {"dataset.format", MLPS_CFG_STRING, "npz", NULL, "file format"},
    {"dataset.num_files_train", MLPS_CFG_INT, "1", NULL, "training files"},
    {"dataset.record_length_bytes", MLPS_CFG_INT, "65536", NULL, "record length"},
    {"dataset.record_length_bytes_stdev", MLPS_CFG_INT, "0", NULL, "record length spread"},
    {"dataset.parquet.columns", MLPS_CFG_SUBTREE, NULL, NULL, "parquet columns"},
    {"reader.read_threads", MLPS_CFG_INT, "1", NULL, "reader threads"},
    {"reader.computation_time", MLPS_CFG_DOUBLE, "0.0", NULL, "compute per step"},
    {"reader.odirect", MLPS_CFG_BOOL, "false", NULL, "O_DIRECT"},
    {"reader.batch_size", MLPS_CFG_INT, NULL, NULL, "batch size"},
    {"metric.au", MLPS_CFG_DOUBLE, "0.9", NULL, "AU target"},
    {"storage.options.*", MLPS_CFG_STRING, NULL, NULL, "backend options"},
};

static const mlps_cfg_schema test_schema = {
    .name = "test",
    .keys = test_keys,
    .count = sizeof test_keys / sizeof test_keys[0],
};

static const char unet3d_yaml[] = "model:\n"
                                  "  name: unet3d\n"
                                  "framework: pytorch\n"
                                  "workflow:\n"
                                  "  generate_data: False\n"
                                  "  train: True\n"
                                  "dataset:\n"
                                  "  data_folder: data/unet3d/\n"
                                  "  format: npz\n"
                                  "  num_files_train: 168\n"
                                  "  record_length_bytes: 146600628\n"
                                  "  record_length_bytes_stdev: 68341808\n"
                                  "  parquet:\n"
                                  "    columns:\n"
                                  "      - {name: feature_000, dtype: float32, size: 1}\n"
                                  "      - name: label\n"
                                  "        dtype: \"int64\"\n"
                                  "        size: 2\n"
                                  "        scale: 0.5\n"
                                  "reader:\n"
                                  "  read_threads: 4\n"
                                  "  computation_time: 0.323\n"
                                  "  odirect: false\n"
                                  "metric:\n"
                                  "  au: 0.90\n";

/* Writes text to a file named name in the test scratch directory; returns its path. */
static char *write_temp(const char *name, const char *text)
{
    const char *dir = getenv("MLPS_TEST_TMP");
    if (!dir)
        dir = "/tmp";
    mkdir(dir, 0755);
    char *path = NULL;
    assert_true(asprintf(&path, "%s/config-%s.yaml", dir, name) > 0);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static mlps_config *new_config(void)
{
    mlps_config *cfg = mlps_config_new(&test_schema);
    assert_non_null(cfg);
    return cfg;
}

/* Loads text as a file and expects failure with exactly the message expected_fmt, in which
 * %s stands for the file's path. */
static void expect_file_error(const char *name, const char *text, int code,
                              const char *expected_fmt)
{
    char *path = write_temp(name, text);
    mlps_config *cfg = new_config();
    mlps_error err = {0};
    assert_int_equal(mlps_config_load_file(cfg, path, &err), code);
    assert_int_equal(err.code, code);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    char expected[MLPS_ERROR_MESSAGE_MAX];
    snprintf(expected, sizeof expected, expected_fmt, path, path);
    assert_string_equal(err.message, expected);
    mlps_config_free(cfg);
    free(path);
}

static void expect_override_error(mlps_config *cfg, const char *assignment, const char *expected)
{
    mlps_error err = {0};
    assert_int_equal(mlps_config_apply_override(cfg, assignment, &err), -EINVAL);
    assert_int_equal(err.code, -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message, expected);
}

static void override_ok(mlps_config *cfg, const char *assignment)
{
    mlps_error err = {0};
    assert_int_equal(mlps_config_apply_override(cfg, assignment, &err), 0);
    assert_string_equal(err.message, "");
}

static mlps_config *load_unet3d(void)
{
    char *path = write_temp("unet3d", unet3d_yaml);
    mlps_config *cfg = new_config();
    mlps_error err = {0};
    assert_int_equal(mlps_config_load_file(cfg, path, &err), 0);
    assert_string_equal(err.message, "");
    free(path);
    return cfg;
}

static char *dump_compact(json_t *json)
{
    assert_non_null(json);
    char *text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    assert_non_null(text);
    return text;
}

static void loads_a_nested_file_into_typed_values(void **state)
{
    (void)state;
    mlps_config *cfg = load_unet3d();
    assert_string_equal(mlps_config_get_string(cfg, "model.name"), "unet3d");
    assert_string_equal(mlps_config_get_string(cfg, "framework"), "pytorch");
    assert_false(mlps_config_get_bool(cfg, "workflow.generate_data"));
    assert_true(mlps_config_get_bool(cfg, "workflow.train"));
    assert_string_equal(mlps_config_get_string(cfg, "dataset.data_folder"), "data/unet3d/");
    assert_int_equal(mlps_config_get_int(cfg, "dataset.num_files_train"), 168);
    assert_int_equal(mlps_config_get_int(cfg, "dataset.record_length_bytes"), 146600628);
    assert_int_equal(mlps_config_get_int(cfg, "dataset.record_length_bytes_stdev"), 68341808);
    assert_int_equal(mlps_config_get_int(cfg, "reader.read_threads"), 4);
    assert_true(mlps_config_get_double(cfg, "reader.computation_time") == 0.323);
    assert_false(mlps_config_get_bool(cfg, "reader.odirect"));
    assert_true(mlps_config_get_double(cfg, "metric.au") == 0.90);
    /* An INT key reads as a double too; any scalar reads as written. */
    assert_true(mlps_config_get_double(cfg, "reader.read_threads") == 4.0);
    assert_string_equal(mlps_config_get_string(cfg, "metric.au"), "0.90");
    assert_true(mlps_config_has(cfg, "reader.read_threads"));
    assert_false(mlps_config_has(cfg, "reader.batch_size"));
    mlps_config_free(cfg);
}

static void absent_keys_read_their_defaults(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    assert_int_equal(mlps_config_get_int(cfg, "reader.read_threads"), 1);
    assert_true(mlps_config_get_double(cfg, "reader.computation_time") == 0.0);
    assert_true(mlps_config_get_double(cfg, "metric.au") == 0.9);
    assert_true(mlps_config_get_bool(cfg, "workflow.train"));
    assert_string_equal(mlps_config_get_string(cfg, "dataset.format"), "npz");
    assert_string_equal(mlps_config_get_string(cfg, "framework"), "pytorch");
    /* No value and no default. */
    assert_null(mlps_config_get_string(cfg, "dataset.data_folder"));
    assert_int_equal(mlps_config_get_int(cfg, "reader.batch_size"), 0);
    assert_null(mlps_config_get_json(cfg, "dataset.parquet.columns"));
    char *layers = dump_compact(json_incref(mlps_config_get_json(cfg, "model.layers")));
    assert_string_equal(layers, "[64,128]");
    free(layers);
    assert_int_equal(mlps_config_get_int(cfg, "storage.options.anything"), 0);
    assert_false(mlps_config_has(cfg, "reader.read_threads"));
    mlps_config_free(cfg);
}

static void null_values_in_the_file_leave_the_default(void **state)
{
    (void)state;
    char *path = write_temp("nulls", "reader:\n  read_threads:\n  batch_size: ~\nmetric:\n");
    mlps_config *cfg = new_config();
    assert_int_equal(mlps_config_load_file(cfg, path, NULL), 0);
    assert_int_equal(mlps_config_get_int(cfg, "reader.read_threads"), 1);
    assert_false(mlps_config_has(cfg, "reader.read_threads"));
    assert_false(mlps_config_has(cfg, "reader.batch_size"));
    mlps_config_free(cfg);
    free(path);

    path = write_temp("empty", "# nothing set\n");
    cfg = new_config();
    assert_int_equal(mlps_config_load_file(cfg, path, NULL), 0);
    assert_int_equal(mlps_config_get_int(cfg, "dataset.num_files_train"), 1);
    mlps_config_free(cfg);
    free(path);
}

static void an_override_beats_the_file_in_either_order(void **state)
{
    (void)state;
    mlps_config *cfg = load_unet3d();
    override_ok(cfg, "reader.read_threads=8");
    assert_int_equal(mlps_config_get_int(cfg, "reader.read_threads"), 8);
    mlps_config_free(cfg);

    cfg = new_config();
    override_ok(cfg, "reader.read_threads=16");
    char *path = write_temp("unet3d-late", unet3d_yaml);
    assert_int_equal(mlps_config_load_file(cfg, path, NULL), 0);
    assert_int_equal(mlps_config_get_int(cfg, "reader.read_threads"), 16);
    assert_int_equal(mlps_config_get_int(cfg, "dataset.num_files_train"), 168);
    mlps_config_free(cfg);
    free(path);
}

static void an_override_value_may_contain_equals_signs(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    override_ok(cfg, "dataset.data_folder=s3://bucket/a=b=c");
    assert_string_equal(mlps_config_get_string(cfg, "dataset.data_folder"), "s3://bucket/a=b=c");
    override_ok(cfg, "dataset.data_folder=");
    assert_string_equal(mlps_config_get_string(cfg, "dataset.data_folder"), "");
    mlps_error err = {0};
    assert_int_equal(mlps_config_set(cfg, "reader.read_threads", "12", "-p", &err), 0);
    assert_int_equal(mlps_config_get_int(cfg, "reader.read_threads"), 12);
    mlps_config_free(cfg);
}

static void a_malformed_override_is_a_usage_error_naming_it(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    expect_override_error(cfg, "reader.read_threads",
                          "invalid override 'reader.read_threads': expected the form key=value");
    expect_override_error(cfg, "=8",
                          "invalid override '=8': the key is empty; expected the form key=value");
    mlps_config_free(cfg);
}

static void an_unknown_key_in_the_file_names_it_and_the_nearest_key(void **state)
{
    (void)state;
    expect_file_error("typo", "reader:\n  read_threads: 4\n  read_thread: 4\n", -EINVAL,
                      "unknown config key 'reader.read_thread' (in %s line 3); did you mean "
                      "'reader.read_threads'?");
    expect_file_error("misplaced", "model:\n  name: x\nread_threads: 8\n", -EINVAL,
                      "unknown config key 'read_threads' (in %s line 3); did you mean "
                      "'reader.read_threads'?");
    expect_file_error("far", "reader:\n  prefetch: 2\n", -EINVAL,
                      "unknown config key 'reader.prefetch' (in %s line 2); valid keys under "
                      "'reader' are: read_threads, computation_time, odirect, batch_size");
}

static void an_unknown_key_in_an_override_names_it_and_the_nearest_key(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    expect_override_error(cfg, "dataset.num_file_train=5",
                          "unknown config key 'dataset.num_file_train' (from override); did you "
                          "mean 'dataset.num_files_train'?");
    expect_override_error(cfg, "read_threads=8",
                          "unknown config key 'read_threads' (from override); did you mean "
                          "'reader.read_threads'?");
    expect_override_error(cfg, "checkpointing.folder=x",
                          "unknown config key 'checkpointing.folder' (from override); valid "
                          "top-level keys are: model, framework, workflow, dataset, reader, "
                          "metric, storage");
    expect_override_error(cfg, "dataset.parquet.column=[]",
                          "unknown config key 'dataset.parquet.column' (from override); did you "
                          "mean 'dataset.parquet.columns'?");
    mlps_config_free(cfg);
}

static void a_value_of_the_wrong_type_names_the_key(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    expect_override_error(cfg, "reader.read_threads=eight",
                          "config key 'reader.read_threads' must be an integer, got 'eight' "
                          "(from override)");
    expect_override_error(cfg, "reader.read_threads=4.5",
                          "config key 'reader.read_threads' must be an integer, got '4.5' "
                          "(from override)");
    expect_override_error(cfg, "reader.read_threads=1e3",
                          "config key 'reader.read_threads' must be an integer, got '1e3' "
                          "(from override)");
    expect_override_error(cfg, "reader.read_threads=99999999999999999999",
                          "config key 'reader.read_threads' must be an integer that fits in 64 "
                          "bits, got '99999999999999999999' (from override)");
    expect_override_error(cfg, "metric.au=high",
                          "config key 'metric.au' must be a number, got 'high' (from override)");
    expect_override_error(cfg, "metric.au=1e999",
                          "config key 'metric.au' must be a finite number, got '1e999' (from "
                          "override)");
    expect_override_error(cfg, "reader.odirect=maybe",
                          "config key 'reader.odirect' must be a boolean (true/false, yes/no, "
                          "on/off), got 'maybe' (from override)");
    expect_override_error(cfg, "reader=5",
                          "config key 'reader' is a section, not a value, got '5' (from "
                          "override); set a key inside it such as 'reader.read_threads'");
    /* Rejected values leave the config as it was. */
    assert_int_equal(mlps_config_get_int(cfg, "reader.read_threads"), 1);
    assert_false(mlps_config_has(cfg, "reader.read_threads"));
    mlps_config_free(cfg);

    expect_file_error("map-for-int", "reader:\n  read_threads:\n    count: 4\n", -EINVAL,
                      "config key 'reader.read_threads' must be an integer, got a mapping "
                      "(in %s line 2)");
    expect_file_error("list-for-string", "model:\n  name: [a, b]\n", -EINVAL,
                      "config key 'model.name' must be a string, got a sequence (in %s line 2)");
    expect_file_error("scalar-for-section", "model: unet3d\n", -EINVAL,
                      "config key 'model' is a section, not a value, got 'unet3d' (in %s line "
                      "1); set a key inside it such as 'model.name'");
    expect_file_error("top-level-list", "- model\n", -EINVAL,
                      "config file '%s' must hold a mapping of keys at the top, got a sequence");
}

static void a_value_outside_the_choices_lists_the_valid_ones(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    expect_override_error(cfg, "framework=jax",
                          "config key 'framework' must be one of pytorch, tensorflow, got 'jax' "
                          "(from override)");
    override_ok(cfg, "framework=tensorflow");
    assert_string_equal(mlps_config_get_string(cfg, "framework"), "tensorflow");
    mlps_config_free(cfg);
    expect_file_error("choice", "model:\n  name: a\nframework: PyTorch\n", -EINVAL,
                      "config key 'framework' must be one of pytorch, tensorflow, got 'PyTorch' "
                      "(in %s line 3)");
}

static void booleans_take_the_yaml_1_1_spellings(void **state)
{
    (void)state;
    static const char *const truths[] = {"true", "True", "TRUE", "yes", "Yes", "on", "ON"};
    static const char *const falsehoods[] = {"false", "False", "FALSE", "no", "No", "off", "OFF"};
    mlps_config *cfg = new_config();
    char assignment[64];
    for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
        override_ok(cfg, "reader.odirect=false");
        snprintf(assignment, sizeof assignment, "reader.odirect=%s", truths[i]);
        override_ok(cfg, assignment);
        assert_true(mlps_config_get_bool(cfg, "reader.odirect"));
    }
    for (size_t i = 0; i < sizeof falsehoods / sizeof falsehoods[0]; i++) {
        override_ok(cfg, "reader.odirect=true");
        snprintf(assignment, sizeof assignment, "reader.odirect=%s", falsehoods[i]);
        override_ok(cfg, assignment);
        assert_false(mlps_config_get_bool(cfg, "reader.odirect"));
    }
    expect_override_error(cfg, "reader.odirect=1",
                          "config key 'reader.odirect' must be a boolean (true/false, yes/no, "
                          "on/off), got '1' (from override)");
    mlps_config_free(cfg);
}

static void a_key_set_twice_in_a_file_is_an_error(void **state)
{
    (void)state;
    expect_file_error("duplicate", "reader:\n  read_threads: 1\n  read_threads: 2\n", -EINVAL,
                      "config file '%s' is not valid YAML: line 3 column 3: duplicate key");
    expect_file_error("duplicate-dotted", "reader.read_threads: 1\nreader:\n  read_threads: 2\n",
                      -EINVAL,
                      "config key 'reader.read_threads' is set twice in %s (line 1 and line 3)");
}

static void a_later_file_replaces_an_earlier_one(void **state)
{
    (void)state;
    char *first = write_temp("layer-1", "reader:\n  read_threads: 2\n  odirect: true\n");
    char *second = write_temp("layer-2", "reader:\n  read_threads: 3\n");
    mlps_config *cfg = new_config();
    assert_int_equal(mlps_config_load_file(cfg, first, NULL), 0);
    assert_int_equal(mlps_config_load_file(cfg, second, NULL), 0);
    assert_int_equal(mlps_config_get_int(cfg, "reader.read_threads"), 3);
    assert_true(mlps_config_get_bool(cfg, "reader.odirect"));
    mlps_config_free(cfg);
    free(first);
    free(second);
}

static void an_override_names_its_origin(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    mlps_error err = {0};
    assert_int_equal(mlps_config_set(cfg, "reader.read_threads", "many", "-p", &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message, "config key 'reader.read_threads' must be an integer, got "
                                     "'many' (from -p)");
    mlps_config_free(cfg);
}

static void a_file_must_hold_one_mapping_document(void **state)
{
    (void)state;
    expect_file_error("two-documents", "reader:\n  read_threads: 1\n---\nmetric:\n  au: 1\n",
                      -EINVAL,
                      "config file '%s' is not valid YAML: more than one document ('---'); "
                      "expected one");
    expect_file_error("complex-key", "reader:\n  ? [a, b]\n  : 1\n", -EINVAL,
                      "config file '%s' has a key that is not a plain name under 'reader'");
    const char *dir = getenv("MLPS_TEST_TMP") ? getenv("MLPS_TEST_TMP") : "/tmp";
    mlps_config *cfg = new_config();
    mlps_error err = {0};
    assert_int_equal(mlps_config_load_file(cfg, dir, &err), -EISDIR);
    char expected[600];
    snprintf(expected, sizeof expected, "cannot read config file '%s': Is a directory", dir);
    assert_string_equal(err.message, expected);
    mlps_config_free(cfg);
}

static void a_missing_file_names_the_path(void **state)
{
    (void)state;
    const char *dir = getenv("MLPS_TEST_TMP") ? getenv("MLPS_TEST_TMP") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/no-such-workload.yaml", dir);
    mlps_config *cfg = new_config();
    mlps_error err = {0};
    assert_int_equal(mlps_config_load_file(cfg, path, &err), -ENOENT);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    char expected[600];
    snprintf(expected, sizeof expected,
             "cannot read config file '%s': No such file or directory", path);
    assert_string_equal(err.message, expected);
    mlps_config_free(cfg);
}

static void bad_yaml_names_the_file_and_the_line(void **state)
{
    (void)state;
    expect_file_error("syntax", "reader:\n  read_threads: [1, 2\n", -EINVAL,
                      "config file '%s' is not valid YAML: line 3 column 1: flow sequence "
                      "without a closing bracket");
}

static void a_subtree_is_handed_out_as_json(void **state)
{
    (void)state;
    mlps_config *cfg = load_unet3d();
    json_t *columns = mlps_config_get_json(cfg, "dataset.parquet.columns");
    assert_true(json_is_array(columns));
    assert_int_equal(json_array_size(columns), 2);
    json_t *first = json_array_get(columns, 0);
    assert_string_equal(json_string_value(json_object_get(first, "name")), "feature_000");
    assert_string_equal(json_string_value(json_object_get(first, "dtype")), "float32");
    assert_true(json_is_integer(json_object_get(first, "size")));
    assert_int_equal(json_integer_value(json_object_get(first, "size")), 1);
    json_t *second = json_array_get(columns, 1);
    assert_string_equal(json_string_value(json_object_get(second, "name")), "label");
    assert_string_equal(json_string_value(json_object_get(second, "dtype")), "int64");
    assert_int_equal(json_integer_value(json_object_get(second, "size")), 2);
    assert_true(json_real_value(json_object_get(second, "scale")) == 0.5);

    /* An override replaces the whole subtree, parsed as YAML. */
    override_ok(cfg, "dataset.parquet.columns=[{name: x, size: 3}, true, \"7\"]");
    char *text = dump_compact(json_incref(mlps_config_get_json(cfg, "dataset.parquet.columns")));
    assert_string_equal(text, "[{\"name\":\"x\",\"size\":3},true,\"7\"]");
    free(text);
    expect_override_error(cfg, "dataset.parquet.columns=[1, 2",
                          "config key 'dataset.parquet.columns' must be a YAML value, got '[1, 2' "
                          "(from override): flow sequence without a closing bracket");
    mlps_config_free(cfg);
}

static void keys_below_a_wildcard_take_any_scalar(void **state)
{
    (void)state;
    char *path = write_temp("wildcard", "storage:\n"
                                        "  options:\n"
                                        "    region: us-east-1\n"
                                        "    retries: 5\n"
                                        "    timeout: \"30\"\n"
                                        "    tls:\n"
                                        "      verify: no\n");
    mlps_config *cfg = new_config();
    mlps_error err = {0};
    assert_int_equal(mlps_config_load_file(cfg, path, &err), 0);
    assert_string_equal(mlps_config_get_string(cfg, "storage.options.region"), "us-east-1");
    assert_int_equal(mlps_config_get_int(cfg, "storage.options.retries"), 5);
    assert_int_equal(mlps_config_get_int(cfg, "storage.options.timeout"), 30);
    assert_false(mlps_config_get_bool(cfg, "storage.options.tls.verify"));
    assert_int_equal(mlps_config_get_int(cfg, "storage.options.region"), 0);
    assert_true(mlps_config_has(cfg, "storage.options.tls.verify"));
    char *text = dump_compact(mlps_config_to_json(cfg, false));
    assert_string_equal(text, "{\"storage\":{\"options\":{\"region\":\"us-east-1\",\"retries\":5,"
                              "\"timeout\":\"30\",\"tls\":{\"verify\":false}}}}");
    free(text);
    expect_override_error(cfg, "storage.options.tls=off",
                          "config key 'storage.options.tls' (from override) conflicts with "
                          "'storage.options.tls.verify': a key cannot hold both a value and keys "
                          "below it");
    mlps_config_free(cfg);
    free(path);
}

static void the_written_yaml_reads_back_to_an_equal_config(void **state)
{
    (void)state;
    mlps_config *cfg = load_unet3d();
    override_ok(cfg, "model.name=yes");
    override_ok(cfg, "dataset.data_folder=./data dir: #1");
    override_ok(cfg, "dataset.format=0.5");
    override_ok(cfg, "reader.computation_time=0.30000000000000004");
    override_ok(cfg, "storage.options.flag=on");
    override_ok(cfg, "storage.options.quote=say \"hi\"\n");
    char *path = write_temp("written", "");
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    assert_int_equal(mlps_config_write_yaml(cfg, out, true), 0);
    assert_int_equal(fclose(out), 0);

    mlps_config *again = new_config();
    mlps_error err = {0};
    assert_int_equal(mlps_config_load_file(again, path, &err), 0);
    assert_string_equal(err.message, "");
    json_t *before = mlps_config_to_json(cfg, true), *after = mlps_config_to_json(again, true);
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);
    assert_string_equal(mlps_config_get_string(again, "model.name"), "yes");
    assert_string_equal(mlps_config_get_string(again, "dataset.data_folder"), "./data dir: #1");
    assert_true(mlps_config_get_double(again, "reader.computation_time") ==
                0.30000000000000004);
    mlps_config_free(again);
    mlps_config_free(cfg);
    free(path);
}

static void the_written_yaml_nests_keys_in_schema_order(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    override_ok(cfg, "reader.computation_time=1");
    override_ok(cfg, "reader.read_threads=8");
    override_ok(cfg, "dataset.parquet.columns=[{name: feature_000, dtype: float32, size: 1}]");
    override_ok(cfg, "model.name=unet3d");
    override_ok(cfg, "metric.au=0.1");
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(mlps_config_write_yaml(cfg, out, false), 0);
    fclose(out);
    assert_string_equal(text, "model:\n"
                              "  name: unet3d\n"
                              "dataset:\n"
                              "  parquet:\n"
                              "    columns: [{name: feature_000, dtype: float32, size: 1}]\n"
                              "reader:\n"
                              "  read_threads: 8\n"
                              "  computation_time: 1.0\n"
                              "metric:\n"
                              "  au: 0.1\n");
    free(text);
    mlps_config_free(cfg);
}

static void the_json_view_keeps_the_types(void **state)
{
    (void)state;
    mlps_config *cfg = new_config();
    override_ok(cfg, "reader.read_threads=8");
    override_ok(cfg, "reader.odirect=yes");
    override_ok(cfg, "metric.au=0.5");
    override_ok(cfg, "model.name=007");
    char *text = dump_compact(mlps_config_to_json(cfg, false));
    assert_string_equal(text, "{\"model\":{\"name\":\"007\"},\"reader\":{\"read_threads\":8,"
                              "\"odirect\":true},\"metric\":{\"au\":0.5}}");
    free(text);
    json_t *all = mlps_config_to_json(cfg, true);
    assert_non_null(all);
    json_t *dataset = json_object_get(all, "dataset");
    assert_true(json_is_integer(json_object_get(dataset, "record_length_bytes")));
    assert_int_equal(json_integer_value(json_object_get(dataset, "record_length_bytes")), 65536);
    assert_null(json_object_get(dataset, "data_folder"));
    json_t *computation = json_object_get(json_object_get(all, "reader"), "computation_time");
    assert_true(json_is_real(computation));
    assert_true(json_real_value(computation) == 0.0);
    assert_true(json_is_false(json_object_get(json_object_get(all, "workflow"), "generate_data")));
    json_decref(all);
    mlps_config_free(cfg);
}

static void the_overrides_list_is_flat_and_in_order(void **state)
{
    (void)state;
    mlps_config *cfg = load_unet3d();
    override_ok(cfg, "reader.read_threads=8");
    override_ok(cfg, "metric.au=0.5");
    override_ok(cfg, "reader.read_threads=6");
    override_ok(cfg, "storage.options.region=eu");
    char *text = dump_compact(mlps_config_overrides_to_json(cfg));
    assert_string_equal(text, "{\"reader.read_threads\":6,\"metric.au\":0.5,"
                              "\"storage.options.region\":\"eu\"}");
    free(text);
    mlps_config_free(cfg);

    cfg = load_unet3d();
    text = dump_compact(mlps_config_overrides_to_json(cfg));
    assert_string_equal(text, "{}");
    free(text);
    mlps_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_a_nested_file_into_typed_values),
        cmocka_unit_test(absent_keys_read_their_defaults),
        cmocka_unit_test(null_values_in_the_file_leave_the_default),
        cmocka_unit_test(an_override_beats_the_file_in_either_order),
        cmocka_unit_test(an_override_value_may_contain_equals_signs),
        cmocka_unit_test(a_malformed_override_is_a_usage_error_naming_it),
        cmocka_unit_test(an_unknown_key_in_the_file_names_it_and_the_nearest_key),
        cmocka_unit_test(an_unknown_key_in_an_override_names_it_and_the_nearest_key),
        cmocka_unit_test(a_value_of_the_wrong_type_names_the_key),
        cmocka_unit_test(a_value_outside_the_choices_lists_the_valid_ones),
        cmocka_unit_test(booleans_take_the_yaml_1_1_spellings),
        cmocka_unit_test(a_key_set_twice_in_a_file_is_an_error),
        cmocka_unit_test(a_later_file_replaces_an_earlier_one),
        cmocka_unit_test(an_override_names_its_origin),
        cmocka_unit_test(a_file_must_hold_one_mapping_document),
        cmocka_unit_test(a_missing_file_names_the_path),
        cmocka_unit_test(bad_yaml_names_the_file_and_the_line),
        cmocka_unit_test(a_subtree_is_handed_out_as_json),
        cmocka_unit_test(keys_below_a_wildcard_take_any_scalar),
        cmocka_unit_test(the_written_yaml_reads_back_to_an_equal_config),
        cmocka_unit_test(the_written_yaml_nests_keys_in_schema_order),
        cmocka_unit_test(the_json_view_keeps_the_types),
        cmocka_unit_test(the_overrides_list_is_flat_and_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
