/* Tests for core/launch: --hosts parsing, the exact mpirun/mpiexec command lines, the
 * object-storage settings forwarded to every rank (names on the command line, values never),
 * shell rendering, and running a launcher (with ordinary programs standing in for mpirun, so no MPI
 * job starts here). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/comm.h"
#include "core/launch.h"

/* Variables that make a process count as launched; cleared so the tests see a plain start. */
static const char *const launcher_variables[] = {
    "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMI_RANK",        "PMI_SIZE",
    "PMIX_RANK",            "MV2_COMM_WORLD_SIZE",  "MPI_LOCALNRANKS", "MLPS_LAUNCHED",
    "SLURM_PROCID",         "MPI_RUN_BIN",          "MPI_EXEC_BIN",
};

static int clear_environment(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof launcher_variables / sizeof launcher_variables[0]; i++)
        unsetenv(launcher_variables[i]);
    return 0;
}

static void parse_hosts(mlps_host_list *hosts, size_t count, char **tokens)
{
    mlps_error err = {0};
    int status = mlps_hosts_parse(hosts, tokens, count, &err);
    if (status != 0)
        fail_msg("parse failed: %s", err.message);
}

static void assert_hosts(const mlps_host_list *hosts, const char *expected)
{
    char text[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < hosts->count; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s:%u", i ? " " : "",
                                 hosts->items[i].name, hosts->items[i].slots);
    assert_string_equal(text, expected);
}

static void test_hosts_from_separate_tokens(void **state)
{
    (void)state;
    mlps_host_list hosts;
    parse_hosts(&hosts, 2, (char *[]){"a", "b"});
    assert_hosts(&hosts, "a:0 b:0");
    mlps_hosts_free(&hosts);
}

static void test_hosts_from_commas_spaces_and_mixed_tokens(void **state)
{
    (void)state;
    mlps_host_list hosts;
    parse_hosts(&hosts, 1, (char *[]){"a,b"});
    assert_hosts(&hosts, "a:0 b:0");
    mlps_hosts_free(&hosts);
    parse_hosts(&hosts, 1, (char *[]){"a b"});
    assert_hosts(&hosts, "a:0 b:0");
    mlps_hosts_free(&hosts);
    parse_hosts(&hosts, 2, (char *[]){"a,b", "c"});
    assert_hosts(&hosts, "a:0 b:0 c:0");
    mlps_hosts_free(&hosts);
    parse_hosts(&hosts, 2, (char *[]){" ,a,,\tb , ", "\n"});
    assert_hosts(&hosts, "a:0 b:0");
    mlps_hosts_free(&hosts);
}

static void test_hosts_default_when_none_given(void **state)
{
    (void)state;
    mlps_host_list hosts;
    parse_hosts(&hosts, 0, NULL);
    assert_hosts(&hosts, "127.0.0.1:0");
    mlps_hosts_free(&hosts);
}

static void test_hosts_with_slots(void **state)
{
    (void)state;
    mlps_host_list hosts;
    parse_hosts(&hosts, 1, (char *[]){"node1:4,10.0.0.2:16"});
    assert_hosts(&hosts, "node1:4 10.0.0.2:16");
    mlps_hosts_free(&hosts);
}

static void assert_hosts_rejected(size_t count, char **tokens, const char *expected_in_message)
{
    mlps_host_list hosts;
    mlps_error err = {0};
    assert_int_equal(mlps_hosts_parse(&hosts, tokens, count, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, expected_in_message))
        fail_msg("message '%s' lacks '%s'", err.message, expected_in_message);
}

static void test_hosts_rejects_empty_lists_and_bad_slots(void **state)
{
    (void)state;
    assert_hosts_rejected(1, (char *[]){""}, "--hosts: no host names given");
    assert_hosts_rejected(2, (char *[]){" , ", ","}, "--hosts: no host names given");
    assert_hosts_rejected(1, (char *[]){"a,b:0"}, "'b:0' has an invalid slot count");
    assert_hosts_rejected(1, (char *[]){"a:x"}, "'a:x' has an invalid slot count");
    assert_hosts_rejected(1, (char *[]){"a:"}, "'a:' has an invalid slot count");
    assert_hosts_rejected(1, (char *[]){"a:-1"}, "'a:-1' has an invalid slot count");
    assert_hosts_rejected(1, (char *[]){"a:99999999999"}, "'a:99999999999' has an invalid");
    assert_hosts_rejected(1, (char *[]){":4"}, "':4' has no host name");
}

/* Builds the prefix for the given --hosts tokens and process count and compares its rendering
 * with expected. */
static void assert_prefix(mlps_launch_spec *spec, size_t count, char **tokens, unsigned nprocs,
                          const char *expected)
{
    parse_hosts(&spec->hosts, count, tokens);
    spec->nprocs = nprocs;
    mlps_argv argv = {0};
    mlps_error err = {0};
    int status = mlps_launch_build_prefix(spec, &argv, &err);
    if (status != 0)
        fail_msg("prefix failed: %s", err.message);
    char *line = mlps_argv_render(argv.items);
    assert_string_equal(line, expected);
    free(line);
    mlps_argv_free(&argv);
    mlps_hosts_free(&spec->hosts);
}

static void assert_prefix_rejected(mlps_launch_spec *spec, size_t count, char **tokens,
                                   unsigned nprocs, const char *expected_message)
{
    parse_hosts(&spec->hosts, count, tokens);
    spec->nprocs = nprocs;
    mlps_argv argv = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_launch_build_prefix(spec, &argv, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, expected_message))
        fail_msg("message '%s' lacks '%s'", err.message, expected_message);
    mlps_argv_free(&argv);
    mlps_hosts_free(&spec->hosts);
}

static void test_prefix_spreads_processes_over_hosts(void **state)
{
    (void)state;
    mlps_launch_spec spec = {0};
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 5,
                  "mpirun -n 5 -host a:3,b:2 --bind-to none --map-by node");
    assert_prefix(&spec, 1, (char *[]){"a b c"}, 7,
                  "mpirun -n 7 -host a:3,b:2,c:2 --bind-to none --map-by node");
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 4,
                  "mpirun -n 4 -host a:2,b:2 --bind-to none --map-by node");
}

static void test_prefix_for_the_default_single_host(void **state)
{
    (void)state;
    mlps_launch_spec spec = {0};
    assert_prefix(&spec, 0, NULL, 8,
                  "mpirun -n 8 -host 127.0.0.1:8 --bind-to none --map-by socket --mca btl ^vader");
}

static void test_prefix_omits_hosts_left_without_processes(void **state)
{
    (void)state;
    mlps_launch_spec spec = {0};
    assert_prefix(&spec, 1, (char *[]){"a,b,c"}, 2,
                  "mpirun -n 2 -host a:1,b:1 --bind-to none --map-by node");
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 1,
                  "mpirun -n 1 -host a:1 --bind-to none --map-by socket --mca btl ^vader");
}

static void test_prefix_with_explicit_slots(void **state)
{
    (void)state;
    mlps_launch_spec spec = {0};
    assert_prefix(&spec, 1, (char *[]){"a:4,b:4"}, 8,
                  "mpirun -n 8 -host a:4,b:4 --bind-to none --map-by node");
    assert_prefix(&spec, 2, (char *[]){"a:4", "b:4"}, 3,
                  "mpirun -n 3 -host a:4,b:4 --bind-to none --map-by node");
}

static void test_prefix_rejects_too_few_or_missing_slots(void **state)
{
    (void)state;
    mlps_launch_spec spec = {0};
    assert_prefix_rejected(&spec, 1, (char *[]){"a:2,b:2"}, 8,
                           "--hosts: hosts a:2,b:2 provide 4 slots but 8 processes were "
                           "requested");
    assert_prefix_rejected(&spec, 1, (char *[]){"a:2,b"}, 2,
                           "--hosts: host 'b' has no slot count but 'a:2' has one");
    assert_prefix_rejected(&spec, 1, (char *[]){"a,b:3"}, 2, "host 'a' has no slot count");
    assert_prefix_rejected(&spec, 0, NULL, 0, "number of processes must be at least 1");
    assert_prefix_rejected(&spec, 1, (char *[]){"a:2147483647,b:1,a:1"}, 2,
                           "--hosts: host 'a' is given more than 2147483647 slots in total");
}

static void test_prefix_merges_duplicate_hosts(void **state)
{
    (void)state;
    mlps_launch_spec spec = {0};
    assert_prefix(&spec, 1, (char *[]){"a,a"}, 5,
                  "mpirun -n 5 -host a:5 --bind-to none --map-by socket --mca btl ^vader");
    assert_prefix(&spec, 1, (char *[]){"a,b,a"}, 5,
                  "mpirun -n 5 -host a:3,b:2 --bind-to none --map-by node");
    assert_prefix(&spec, 1, (char *[]){"a:2,b:1,a:2"}, 5,
                  "mpirun -n 5 -host a:4,b:1 --bind-to none --map-by node");
    assert_prefix(&spec, 1, (char *[]){"a:2,a:2"}, 4,
                  "mpirun -n 4 -host a:4 --bind-to none --map-by socket --mca btl ^vader");
}

static void test_prefix_launcher_program_choices(void **state)
{
    (void)state;
    mlps_launch_spec spec = {.mpi_bin = "mpiexec"};
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 2,
                  "mpiexec -n 2 -host a:1,b:1 --bind-to none --map-by node");
    setenv("MPI_EXEC_BIN", "/opt/mpi/bin/mpiexec", 1);
    setenv("MPI_RUN_BIN", "/opt/ompi/bin/mpirun", 1);
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 2,
                  "/opt/mpi/bin/mpiexec -n 2 -host a:1,b:1 --bind-to none --map-by node");
    spec.mpi_bin = "mpirun";
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 2,
                  "/opt/ompi/bin/mpirun -n 2 -host a:1,b:1 --bind-to none --map-by node");
    spec.mpi_bin = NULL;
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 2,
                  "/opt/ompi/bin/mpirun -n 2 -host a:1,b:1 --bind-to none --map-by node");
    spec.mpi_bin = "srun";
    assert_prefix_rejected(&spec, 1, (char *[]){"a"}, 2,
                           "--mpi-bin: 'srun' is not valid; use mpirun or mpiexec");
}

static void test_prefix_appends_options_in_order(void **state)
{
    (void)state;
    mlps_launch_spec spec = {
        .oversubscribe = true,
        .allow_run_as_root = true,
        .mpi_params = (char *[]){"--mca pml ob1", "-x 'FOO=a b'  --tag-output"},
        .mpi_param_count = 2,
    };
    assert_prefix(&spec, 0, NULL, 2,
                  "mpirun -n 2 -host 127.0.0.1:2 --bind-to none --map-by socket --mca btl ^vader"
                  " --oversubscribe --allow-run-as-root --mca pml ob1 -x 'FOO=a b' --tag-output");
    spec.allow_run_as_root = false;
    spec.mpi_param_count = 0;
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 2,
                  "mpirun -n 2 -host a:1,b:1 --bind-to none --map-by node --oversubscribe");
}

static void test_prefix_lets_the_user_choose_btl(void **state)
{
    (void)state;
    mlps_launch_spec spec = {.mpi_params = (char *[]){"--mca btl self,vader,tcp"},
                             .mpi_param_count = 1};
    assert_prefix(&spec, 0, NULL, 2,
                  "mpirun -n 2 -host 127.0.0.1:2 --bind-to none --map-by socket"
                  " --mca btl self,vader,tcp");
    spec.mpi_params = (char *[]){"-mca btl_tcp_if_include eth0"};
    assert_prefix(&spec, 0, NULL, 2,
                  "mpirun -n 2 -host 127.0.0.1:2 --bind-to none --map-by socket --mca btl ^vader"
                  " -mca btl_tcp_if_include eth0");
}

static void test_split_params_quotes(void **state)
{
    (void)state;
    mlps_argv argv = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_launch_split_params("  -x \"A=1 2\" 'b'c ''  d ", &argv, &err), 0);
    assert_int_equal(argv.count, 5);
    assert_string_equal(argv.items[0], "-x");
    assert_string_equal(argv.items[1], "A=1 2");
    assert_string_equal(argv.items[2], "bc");
    assert_string_equal(argv.items[3], "");
    assert_string_equal(argv.items[4], "d");
    assert_null(argv.items[5]);
    mlps_argv_free(&argv);

    assert_int_equal(mlps_launch_split_params("--mca 'btl ^vader", &argv, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message, "--mpi-params: unterminated ' quote in '--mca 'btl ^vader'; "
                                     "close it or drop it");
    mlps_argv_free(&argv);
}

static void test_render_quotes_only_what_needs_it(void **state)
{
    (void)state;
    char *line = mlps_argv_render((char *[]){"run", "a b", "it's", "", "x/y-1.0:2,3^=@%+_",
                                             "$HOME", "*", "a;b", NULL});
    assert_string_equal(line, "run 'a b' 'it'\\''s' '' x/y-1.0:2,3^=@%+_ '$HOME' '*' 'a;b'");
    free(line);
    line = mlps_argv_render((char *[]){NULL});
    assert_string_equal(line, "");
    free(line);
}

static void test_self_command_ends_with_exe_and_original_args(void **state)
{
    (void)state;
    mlps_launch_spec spec = {.allow_run_as_root = true};
    parse_hosts(&spec.hosts, 0, NULL);
    spec.nprocs = 2;
    char *args[] = {"mlps", "training", "run", "--param", "a b", NULL};
    mlps_argv argv = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_launch_build_self(&spec, "/usr/local/bin/mlps", 5, args, &argv, &err),
                     0);
    assert_string_equal(argv.items[argv.count - 5], "/usr/local/bin/mlps");
    assert_string_equal(argv.items[argv.count - 1], "a b");
    char *line = mlps_argv_render(argv.items);
    assert_string_equal(line, "mpirun -n 2 -host 127.0.0.1:2 --bind-to none --map-by socket "
                              "--mca btl ^vader --allow-run-as-root /usr/local/bin/mlps training "
                              "run --param 'a b'");
    free(line);
    mlps_argv_free(&argv);
    mlps_hosts_free(&spec.hosts);
}

static void test_self_launch_needed_only_outside_a_launcher(void **state)
{
    (void)state;
    mlps_launch_spec spec = {.nprocs = 2};
    assert_false(mlps_comm_under_launcher());
    assert_true(mlps_launch_self_needed(&spec));
    spec.nprocs = 1;
    assert_false(mlps_launch_self_needed(&spec));
    spec.nprocs = 2;

    /* A batch script has SLURM_PROCID too, and must still launch its ranks. */
    setenv("SLURM_PROCID", "0", 1);
    assert_true(mlps_launch_self_needed(&spec));
    const char *launched[] = {"MLPS_LAUNCHED", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"};
    for (size_t i = 0; i < sizeof launched / sizeof launched[0]; i++) {
        setenv(launched[i], "1", 1);
        assert_true(mlps_comm_under_launcher());
        assert_false(mlps_launch_self_needed(&spec));
        unsetenv(launched[i]);
    }
    setenv("OMPI_COMM_WORLD_SIZE", "", 1);
    assert_false(mlps_comm_under_launcher());
}

static void assert_run_status(char **argv, int expected_status, const char *expected_message)
{
    mlps_error err = {0};
    int status = mlps_launch_run(argv, &err);
    if (status != expected_status)
        fail_msg("%s: status %d, expected %d (%s)", argv[0], status,
                 expected_status, err.message);
    assert_string_equal(err.message, expected_message);
    if (expected_status != 0)
        assert_int_equal(err.exit_status, expected_status);
}

static void test_run_returns_the_exit_status(void **state)
{
    (void)state;
    assert_run_status((char *[]){"true", NULL}, 0, "");
    assert_run_status((char *[]){"false", NULL}, 1, "false exited with status 1");
    assert_run_status((char *[]){"sh", "-c", "exit 3", NULL}, 3, "sh exited with status 3");
    assert_run_status((char *[]){"sh", "-c", "kill -KILL $$", NULL}, 137,
                      "sh exited with status 137");
}

static void test_run_marks_the_child_as_launched(void **state)
{
    (void)state;
    setenv("MLPS_LAUNCHED", "0", 1);
    assert_run_status((char *[]){"sh", "-c", "test \"$MLPS_LAUNCHED\" = 1", NULL}, 0, "");
    assert_string_equal(getenv("MLPS_LAUNCHED"), "0");
}

static void test_run_reports_a_missing_launcher(void **state)
{
    (void)state;
    assert_run_status((char *[]){"/nonexistent/mpirun", NULL}, 127,
                      "/nonexistent/mpirun not found: install openmpi-bin or pass --mpi-bin "
                      "(or set MPI_RUN_BIN / MPI_EXEC_BIN)");
    assert_run_status((char *[]){"/", NULL}, 126, "cannot run /: Permission denied");
}

/* The child asks this process to terminate; the signal must reach the child, whose trap
 * turns it into status 42, and this process must go on. */
static void test_run_forwards_termination_to_the_child(void **state)
{
    (void)state;
    assert_run_status(
        (char *[]){"sh", "-c",
                   "trap 'exit 42' TERM; kill -TERM $PPID; for i in 1 2 3 4 5; do sleep 0.2; done",
                   NULL},
        42, "sh exited with status 42");
}

/* Runs mlps_launch_self with stdout sent to a file and returns what it printed. */
static char *launch_self_output(const mlps_launch_spec *spec, int argc, char **argv,
                                bool what_if, int *status, mlps_error *err)
{
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(capture), STDOUT_FILENO);
    *status = mlps_launch_self(spec, argc, argv, what_if, err);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    static char text[4096];
    rewind(capture);
    size_t got = fread(text, 1, sizeof text - 1, capture);
    text[got] = '\0';
    fclose(capture);
    return text;
}

static void test_self_launch_what_if_prints_the_command(void **state)
{
    (void)state;
    mlps_launch_spec spec = {.nprocs = 2, .oversubscribe = true};
    parse_hosts(&spec.hosts, 0, NULL);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(len > 0);
    exe[len] = '\0';
    char expected[PATH_MAX + 256];
    snprintf(expected, sizeof expected,
             "mpirun -n 2 -host 127.0.0.1:2 --bind-to none --map-by socket --mca btl ^vader "
             "--oversubscribe %s datagen --num-files 'a b'\n",
             exe);

    mlps_error err = {0};
    int status = -1;
    char *printed = launch_self_output(&spec, 4, (char *[]){"mlps", "datagen", "--num-files",
                                                            "a b", NULL},
                                       true, &status, &err);
    assert_int_equal(status, 0);
    assert_string_equal(printed, expected);
    mlps_hosts_free(&spec.hosts);
}

static void test_self_launch_runs_the_launcher(void **state)
{
    (void)state;
    mlps_launch_spec spec = {.nprocs = 2};
    parse_hosts(&spec.hosts, 0, NULL);
    char *argv[] = {"mlps", "run", NULL};
    mlps_error err = {0};
    int status = -1;

    setenv("MPI_RUN_BIN", "true", 1);
    assert_string_equal(launch_self_output(&spec, 2, argv, false, &status, &err), "");
    assert_int_equal(status, 0);

    setenv("MPI_RUN_BIN", "/nonexistent/mpirun", 1);
    launch_self_output(&spec, 2, argv, false, &status, &err);
    assert_int_equal(status, 127);
    assert_int_equal(err.exit_status, 127);
    assert_non_null(strstr(err.message, "/nonexistent/mpirun not found: install openmpi-bin"));

    mlps_error_clear(&err);
    spec.mpi_bin = "orterun";
    launch_self_output(&spec, 2, argv, true, &status, &err);
    assert_int_equal(status, MLPS_EXIT_USAGE);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    mlps_hosts_free(&spec.hosts);
}

/* --- object-storage settings forwarded to every rank --- */

/* Unsets every forwarded setting, so a test sees only the ones it sets. */
static void clear_forwarded_settings(void)
{
    for (bool found = true; found;) {
        found = false;
        for (char **entry = environ; *entry && !found; entry++) {
            char name[256];
            size_t len = strcspn(*entry, "=");
            if (len >= sizeof name)
                continue;
            memcpy(name, *entry, len);
            name[len] = '\0';
            if (mlps_launch_is_forwarded(name)) {
                unsetenv(name);
                found = true;
            }
        }
    }
}

static void test_forwarded_names(void **state)
{
    (void)state;
    const char *yes[] = {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                         "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_CA_BUNDLE", "S3_ENDPOINT_URIS",
                         "S3_ENDPOINT_TEMPLATE", "S3_ENDPOINT_FILE", "S3_LOAD_BALANCE_STRATEGY",
                         "MLPS_S3_PART_SIZE", "MLPS_S3_INSECURE"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!mlps_launch_is_forwarded(yes[i]))
            fail_msg("%s is not forwarded", yes[i]);
    const char *no[] = {"MLPS_S3_", "MLPS_LAUNCHED", "HOME", "AWS_PROFILE", "S3_ENDPOINT", ""};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (mlps_launch_is_forwarded(no[i]))
            fail_msg("'%s' is forwarded", no[i]);
}

static const mlps_launch_variable *forwarded(const mlps_launch_spec *spec, const char *name)
{
    for (size_t i = 0; i < spec->forward_count; i++)
        if (strcmp(spec->forward[i].name, name) == 0)
            return &spec->forward[i];
    return NULL;
}

static void test_forward_takes_the_environment_then_the_file(void **state)
{
    (void)state;
    clear_forwarded_settings();
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    setenv("MLPS_S3_MAX_ATTEMPTS", "3", 1);
    setenv("AWS_REGION", "", 1); /* empty: as if unset, the file's applies */
    char *names[] = {"AWS_SECRET_ACCESS_KEY", "AWS_REGION", "HOME_OF_DATA", "S3_ENDPOINT_URIS",
                     "S3_ENDPOINT_URIS", "AWS_CA_BUNDLE"};
    char *values[] = {"file-secret", "eu-west-1", "x", "http://a:1", "http://b:2", ""};
    mlps_launch_spec spec = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_launch_forward_settings(&spec, names, values, 6, &err), 0);
    assert_int_equal(spec.forward_count, 4);
    assert_non_null(forwarded(&spec, "AWS_SECRET_ACCESS_KEY"));
    assert_null(forwarded(&spec, "AWS_SECRET_ACCESS_KEY")->value); /* the environment's */
    assert_non_null(forwarded(&spec, "MLPS_S3_MAX_ATTEMPTS"));
    assert_null(forwarded(&spec, "MLPS_S3_MAX_ATTEMPTS")->value);
    assert_string_equal(forwarded(&spec, "AWS_REGION")->value, "eu-west-1");
    assert_string_equal(forwarded(&spec, "S3_ENDPOINT_URIS")->value, "http://b:2");
    assert_null(forwarded(&spec, "HOME_OF_DATA"));
    assert_null(forwarded(&spec, "AWS_CA_BUNDLE"));
    mlps_launch_forward_free(&spec);
    assert_int_equal(spec.forward_count, 0);
    clear_forwarded_settings();
}

static void test_prefix_forwards_names_never_values(void **state)
{
    (void)state;
    mlps_launch_variable settings[] = {{.name = "AWS_SECRET_ACCESS_KEY", .value = "file-secret"},
                                       {.name = "MLPS_S3_PART_SIZE"}};
    mlps_launch_spec spec = {.allow_run_as_root = true, .forward = settings, .forward_count = 2,
                             .mpi_params = (char *[]){"--tag-output"}, .mpi_param_count = 1};
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 2,
                  "mpirun -n 2 -host a:1,b:1 --bind-to none --map-by node --allow-run-as-root "
                  "-x AWS_SECRET_ACCESS_KEY -x MLPS_S3_PART_SIZE --tag-output");
    spec.mpi_bin = "mpiexec";
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 2,
                  "mpiexec -n 2 -host a:1,b:1 --bind-to none --map-by node --allow-run-as-root "
                  "-genvlist AWS_SECRET_ACCESS_KEY,MLPS_S3_PART_SIZE --tag-output");
    spec.forward_count = 0;
    assert_prefix(&spec, 1, (char *[]){"a,b"}, 2,
                  "mpiexec -n 2 -host a:1,b:1 --bind-to none --map-by node --allow-run-as-root "
                  "--tag-output");
}

/* A stand-in launcher that succeeds only when the .env's value reached its environment. */
static void write_checking_launcher(char *path, size_t size)
{
    const char *dir = getenv("MLPS_TEST_TMP") ? getenv("MLPS_TEST_TMP") : "/tmp";
    mkdir(dir, 0755);
    snprintf(path, size, "%s/launcher-check-%ld.sh", dir, (long)getpid());
    FILE *script = fopen(path, "w");
    assert_non_null(script);
    fputs("#!/bin/sh\n"
          "test \"$AWS_SECRET_ACCESS_KEY\" = file-secret || exit 3\n"
          "test \"$MLPS_S3_PART_SIZE\" = 5242880 || exit 4\n"
          "case \"$*\" in *file-secret*) exit 5;; esac\n",
          script);
    fclose(script);
    chmod(path, 0755);
}

static void test_self_launch_gives_file_values_to_the_launcher_only(void **state)
{
    (void)state;
    clear_forwarded_settings();
    setenv("MLPS_S3_PART_SIZE", "5242880", 1);
    mlps_launch_variable settings[] = {{.name = "AWS_SECRET_ACCESS_KEY", .value = "file-secret"},
                                       {.name = "MLPS_S3_PART_SIZE"}};
    mlps_launch_spec spec = {.nprocs = 2, .forward = settings, .forward_count = 2};
    parse_hosts(&spec.hosts, 0, NULL);
    char *argv[] = {"mlps", "run", NULL};
    mlps_error err = {0};
    int status = -1;
    char *printed = launch_self_output(&spec, 2, argv, true, &status, &err);
    assert_int_equal(status, 0);
    assert_non_null(strstr(printed, " -x AWS_SECRET_ACCESS_KEY -x MLPS_S3_PART_SIZE "));
    assert_null(strstr(printed, "file-secret"));

    char launcher[PATH_MAX];
    write_checking_launcher(launcher, sizeof launcher);
    setenv("MPI_RUN_BIN", launcher, 1);
    launch_self_output(&spec, 2, argv, false, &status, &err);
    assert_int_equal(status, 0);
    assert_null(getenv("AWS_SECRET_ACCESS_KEY")); /* this process's environment is untouched */
    unlink(launcher);
    mlps_hosts_free(&spec.hosts);
    clear_forwarded_settings();
}

#define TEST(name) cmocka_unit_test_setup(name, clear_environment)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_hosts_from_separate_tokens),
        TEST(test_hosts_from_commas_spaces_and_mixed_tokens),
        TEST(test_hosts_default_when_none_given),
        TEST(test_hosts_with_slots),
        TEST(test_hosts_rejects_empty_lists_and_bad_slots),
        TEST(test_prefix_spreads_processes_over_hosts),
        TEST(test_prefix_for_the_default_single_host),
        TEST(test_prefix_omits_hosts_left_without_processes),
        TEST(test_prefix_with_explicit_slots),
        TEST(test_prefix_rejects_too_few_or_missing_slots),
        TEST(test_prefix_merges_duplicate_hosts),
        TEST(test_prefix_launcher_program_choices),
        TEST(test_prefix_appends_options_in_order),
        TEST(test_prefix_lets_the_user_choose_btl),
        TEST(test_forwarded_names),
        TEST(test_forward_takes_the_environment_then_the_file),
        TEST(test_prefix_forwards_names_never_values),
        TEST(test_self_launch_gives_file_values_to_the_launcher_only),
        TEST(test_split_params_quotes),
        TEST(test_render_quotes_only_what_needs_it),
        TEST(test_self_command_ends_with_exe_and_original_args),
        TEST(test_self_launch_needed_only_outside_a_launcher),
        TEST(test_run_returns_the_exit_status),
        TEST(test_run_marks_the_child_as_launched),
        TEST(test_run_reports_a_missing_launcher),
        TEST(test_run_forwards_termination_to_the_child),
        TEST(test_self_launch_what_if_prints_the_command),
        TEST(test_self_launch_runs_the_launcher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
