/* Tests of the argument parser (args.c) and of --config-file option files (config_file.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/config_file.h"

static const char *const formats[] = {"npz", "tfrecord", NULL};

static const mlps_arg test_flags[] = {
    {.name = "results-dir", .short_name = "rd", .kind = MLPS_ARG_STRING, .metavar = "DIR"},
    {.name = "num-accelerators", .short_name = "na", .kind = MLPS_ARG_INT, .required = true},
    {.name = "client-host-memory-in-gb", .short_name = "cm", .kind = MLPS_ARG_DOUBLE},
    {.name = "block-size", .kind = MLPS_ARG_BYTES, .default_value = "1M"},
    {.name = "format", .kind = MLPS_ARG_STRING, .choices = formats, .default_value = "npz"},
    {.name = "params", .short_name = "p", .kind = MLPS_ARG_LIST},
    {.name = "hosts", .short_name = "s", .kind = MLPS_ARG_LIST, .default_value = "127.0.0.1"},
    {.name = "mpi-params", .kind = MLPS_ARG_LIST},
    {.name = "what-if", .kind = MLPS_ARG_FLAG},
};
static const mlps_arg_table test_table = MLPS_ARG_TABLE("Options", test_flags);
static const mlps_arg_table *const tables[] = {&test_table, NULL};

static int parse(mlps_args *args, mlps_error *err, int argc, char **argv)
{
    bool help = false;
    int rc = mlps_args_parse(tables, "mlps test run", argc, argv, args, &help, err);
    return rc;
}

static void parses_long_short_and_inline_forms(void **state)
{
    (void)state;
    char *argv[] = {"-rd", "/r", "--num-accelerators=8", "-cm", "128.5", "--block-size", "4K",
                    "--what-if"};
    mlps_args args;
    mlps_error err = {0};
    assert_int_equal(parse(&args, &err, 8, argv), 0);
    assert_string_equal(mlps_args_string(&args, "results_dir"), "/r");
    assert_int_equal(mlps_args_int(&args, "num_accelerators"), 8);
    assert_true(mlps_args_double(&args, "client_host_memory_in_gb") == 128.5);
    assert_int_equal(mlps_args_int(&args, "block_size"), 4096);
    assert_true(mlps_args_flag(&args, "what_if"));
    assert_true(mlps_args_given(&args, "results_dir"));
    assert_false(mlps_args_given(&args, "format"));
    assert_string_equal(mlps_args_string(&args, "format"), "npz");
    mlps_args_free(&args);
}

static void lists_take_several_values_and_repeats_append(void **state)
{
    (void)state;
    char *argv[] = {"-p", "a.b=1", "c=d=e", "--hosts", "h1,h2", "h3", "-p", "x=2",
                    "--mpi-params", "--mca btl tcp,self", "-na", "1"};
    mlps_args args;
    mlps_error err = {0};
    assert_int_equal(parse(&args, &err, 12, argv), 0);
    json_t *params = mlps_args_list(&args, "params");
    assert_int_equal(json_array_size(params), 3);
    assert_string_equal(json_string_value(json_array_get(params, 1)), "c=d=e");
    assert_string_equal(json_string_value(json_array_get(params, 2)), "x=2");
    json_t *hosts = mlps_args_list(&args, "hosts");
    assert_int_equal(json_array_size(hosts), 2); /* the default is replaced, not extended */
    assert_string_equal(json_string_value(json_array_get(hosts, 0)), "h1,h2");
    json_t *mpi = mlps_args_list(&args, "mpi_params");
    assert_string_equal(json_string_value(json_array_get(mpi, 0)), "--mca btl tcp,self");
    mlps_args_free(&args);
}

static void default_list_is_present_when_not_given(void **state)
{
    (void)state;
    mlps_args args;
    mlps_error err = {0};
    assert_int_equal(parse(&args, &err, 0, NULL), 0);
    json_t *hosts = mlps_args_list(&args, "hosts");
    assert_int_equal(json_array_size(hosts), 1);
    assert_string_equal(json_string_value(json_array_get(hosts, 0)), "127.0.0.1");
    mlps_args_free(&args);
}

static void expect_usage_error(int argc, char **argv, const char *message)
{
    mlps_args args;
    mlps_error err = {0};
    assert_int_not_equal(parse(&args, &err, argc, argv), 0);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, message))
        fail_msg("message '%s' lacks '%s'", err.message, message);
    mlps_args_free(&args);
}

static void bad_input_names_the_flag(void **state)
{
    (void)state;
    expect_usage_error(2, (char *[]){"--resuls-dir", "/x"},
                       "unknown option '--resuls-dir'; did you mean '--results-dir'?");
    expect_usage_error(1, (char *[]){"--bogus"}, "unknown option '--bogus'");
    expect_usage_error(2, (char *[]){"-na", "eight"}, "--num-accelerators/-na: 'eight' is not an integer");
    expect_usage_error(1, (char *[]){"-rd"}, "--results-dir/-rd expects a value DIR");
    expect_usage_error(2, (char *[]){"-rd", "--what-if"}, "--results-dir/-rd expects a value");
    expect_usage_error(1, (char *[]){"-p"}, "--params/-p expects one or more values");
    expect_usage_error(2, (char *[]){"--format", "npzz"},
                       "invalid choice 'npzz'; did you mean 'npz'? (valid: npz, tfrecord)");
    expect_usage_error(2, (char *[]){"--block-size", "1X"}, "'1X' is not a byte count");
    expect_usage_error(1, (char *[]){"stray"}, "unexpected argument 'stray'");
}

static void required_flags_are_checked(void **state)
{
    (void)state;
    mlps_args args;
    mlps_error err = {0};
    assert_int_equal(parse(&args, &err, 0, NULL), 0);
    assert_int_not_equal(mlps_args_check_required(tables, "mlps test run", &args, &err), 0);
    assert_non_null(strstr(err.message, "--num-accelerators/-na is required"));
    mlps_args_free(&args);
}

static char *write_temp_yaml(const char *content)
{
    static char path[256];
    const char *dir = getenv("MLPS_TEST_TMP");
    snprintf(path, sizeof path, "%s/args-XXXXXX", dir ? dir : "/tmp");
    if (dir) {
        char mkdir_cmd[300];
        snprintf(mkdir_cmd, sizeof mkdir_cmd, "mkdir -p '%s'", dir);
        assert_int_equal(system(mkdir_cmd), 0);
    }
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

static void config_file_fills_what_the_command_line_did_not_give(void **state)
{
    (void)state;
    char *path = write_temp_yaml("results_dir: /from-file\n"
                                 "num-accelerators: 4\n"
                                 "hosts: a,b\n"
                                 "what_if: yes\n"
                                 "params:\n  reader.read_threads: 8\n  dataset.format: npz\n");
    char *argv[] = {"-rd", "/from-cli"};
    mlps_args args;
    mlps_error err = {0};
    assert_int_equal(parse(&args, &err, 2, argv), 0);
    assert_int_equal(mlps_apply_config_file(tables, "mlps test run", path, &args, &err), 0);
    assert_string_equal(mlps_args_string(&args, "results_dir"), "/from-cli");
    assert_int_equal(mlps_args_int(&args, "num_accelerators"), 4);
    assert_true(mlps_args_flag(&args, "what_if"));
    json_t *hosts = mlps_args_list(&args, "hosts");
    assert_int_equal(json_array_size(hosts), 2);
    assert_string_equal(json_string_value(json_array_get(hosts, 1)), "b");
    json_t *params = mlps_args_list(&args, "params");
    assert_string_equal(json_string_value(json_array_get(params, 0)), "reader.read_threads=8");
    assert_string_equal(json_string_value(json_array_get(params, 1)), "dataset.format=npz");
    mlps_args_free(&args);
    unlink(path);
}

static void config_file_errors_name_file_and_key(void **state)
{
    (void)state;
    char *path = write_temp_yaml("num_accelerator: 4\n");
    mlps_args args;
    mlps_error err = {0};
    assert_int_equal(parse(&args, &err, 0, NULL), 0);
    assert_int_not_equal(mlps_apply_config_file(tables, "mlps test run", path, &args, &err), 0);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "unknown option 'num_accelerator'; did you mean 'num_accelerators'?"));
    unlink(path);

    path = write_temp_yaml("num_accelerators: many\n");
    assert_int_not_equal(mlps_apply_config_file(tables, "mlps test run", path, &args, &err), 0);
    assert_non_null(strstr(err.message, "'many' is not an integer"));
    unlink(path);

    assert_int_not_equal(
        mlps_apply_config_file(tables, "mlps test run", "/nonexistent/opts.yaml", &args, &err), 0);
    assert_non_null(strstr(err.message, "/nonexistent/opts.yaml: No such file or directory"));
    mlps_args_free(&args);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_long_short_and_inline_forms),
        cmocka_unit_test(lists_take_several_values_and_repeats_append),
        cmocka_unit_test(default_list_is_present_when_not_given),
        cmocka_unit_test(bad_input_names_the_flag),
        cmocka_unit_test(required_flags_are_checked),
        cmocka_unit_test(config_file_fills_what_the_command_line_did_not_give),
        cmocka_unit_test(config_file_errors_name_file_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
