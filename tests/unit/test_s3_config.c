/* Configuration of s3:// without a server: the .env file (its lines, the search for it, the
 * environment winning over it), the endpoint lists of S3_ENDPOINT_URIS, S3_ENDPOINT_TEMPLATE and
 * S3_ENDPOINT_FILE with their precedence and usage errors, the endpoint of each rank, and the
 * spreading of requests by round_robin and least_connections. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/dotenv.h"
#include "io/s3.h"
#include "io/s3_internal.h"
#include "io/store.h"

static const char *const managed[] = {
    "S3_ENDPOINT_URIS", "S3_ENDPOINT_TEMPLATE", "S3_ENDPOINT_FILE", "AWS_ENDPOINT_URL",
    "S3_LOAD_BALANCE_STRATEGY", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK",
    "SLURM_PROCID", "MLPS_TEST_DOTENV_A", "MLPS_TEST_DOTENV_B", "AWS_REGION", "AWS_DEFAULT_REGION",
    "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_NTASKS",
    "MLPS_S3_PARTS_IN_FLIGHT", "MLPS_S3_MAX_CONCURRENCY", "MLPS_S3_ENGINE", "AWS_SESSION_TOKEN",
};

static int clean_environment(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof managed / sizeof managed[0]; i++)
        unsetenv(managed[i]);
    setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-test", 1);
    return 0;
}

static void parse(const char *text, mlps_dotenv *env)
{
    mlps_error err = {0};
    memset(env, 0, sizeof *env);
    if (mlps_dotenv_parse(text, "test.env", env, &err) != 0)
        fail_msg("%s", err.message);
}

static void dotenv_lines_quotes_comments_and_export(void **state)
{
    (void)state;
    mlps_dotenv env;
    parse("# a comment\n"
          "\n"
          "PLAIN=value\n"
          "  SPACED  =  two words   # trailing comment\n"
          "export EXPORTED=yes\n"
          "DOUBLE=\"has # hash and \\\"quotes\\\"\"  # comment\n"
          "SINGLE='literal \\n'\n"
          "EMPTY=\n"
          "URL=http://h:9000/#frag\r\n"
          "PLAIN=later wins\n",
          &env);
    assert_int_equal(env.count, 7);
    assert_string_equal(mlps_dotenv_get(&env, "PLAIN"), "later wins");
    assert_string_equal(mlps_dotenv_get(&env, "SPACED"), "two words");
    assert_string_equal(mlps_dotenv_get(&env, "EXPORTED"), "yes");
    assert_string_equal(mlps_dotenv_get(&env, "DOUBLE"), "has # hash and \"quotes\"");
    assert_string_equal(mlps_dotenv_get(&env, "SINGLE"), "literal \\n");
    assert_string_equal(mlps_dotenv_get(&env, "EMPTY"), "");
    assert_string_equal(mlps_dotenv_get(&env, "URL"), "http://h:9000/#frag");
    assert_null(mlps_dotenv_get(&env, "ABSENT_FROM_BOTH"));
    mlps_dotenv_free(&env);
}

static void dotenv_environment_wins(void **state)
{
    (void)state;
    mlps_dotenv env;
    parse("MLPS_TEST_DOTENV_A=from-file\nMLPS_TEST_DOTENV_B=from-file\n", &env);
    setenv("MLPS_TEST_DOTENV_A", "from-shell", 1);
    setenv("MLPS_TEST_DOTENV_B", "", 1); /* empty counts as unset, as for every AWS_* variable */
    assert_string_equal(mlps_dotenv_get(&env, "MLPS_TEST_DOTENV_A"), "from-shell");
    assert_string_equal(mlps_dotenv_get(&env, "MLPS_TEST_DOTENV_B"), "from-file");
    assert_string_equal(mlps_dotenv_get(NULL, "MLPS_TEST_DOTENV_A"), "from-shell");
    mlps_dotenv_free(&env);
}

static void dotenv_malformed_line_names_file_and_line_not_value(void **state)
{
    (void)state;
    const char *bad[] = {"A=1\nno equals sign here\n", "A=1\n\nB=\"unclosed secret\n",
                         "A=1\n=value\n", "A=1\nB='x' trailing-secret\n"};
    const char *where[] = {"test.env:2:", "test.env:3:", "test.env:2:", "test.env:2:"};
    for (size_t i = 0; i < 4; i++) {
        mlps_dotenv env = {0};
        mlps_error err = {0};
        assert_int_equal(mlps_dotenv_parse(bad[i], "test.env", &env, &err), -EINVAL);
        assert_int_equal(err.exit_status, 2);
        assert_non_null(strstr(err.message, where[i]));
        assert_null(strstr(err.message, "secret"));
        mlps_dotenv_free(&env);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void dotenv_search_goes_to_cwd_then_program_then_parents(void **state)
{
    (void)state;
    const char *tmp = getenv("MLPS_TEST_TMP");
    char root[512], deep[600], bin[600], path[700];
    snprintf(root, sizeof root, "%s/dotenv-%ld", tmp ? tmp : "/tmp", (long)getpid());
    snprintf(deep, sizeof deep, "%s/a/b", root);
    snprintf(bin, sizeof bin, "%s/tool/bin", root);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' '%s'", root, deep, bin);
    assert_int_equal(system(cmd), 0);

    snprintf(path, sizeof path, "%s/a/.env", root); /* a parent of deep */
    write_file(path, "X=parent\n");
    char *found = mlps_dotenv_find(deep, bin);
    assert_non_null(found);
    assert_string_equal(found, path);
    free(found);

    snprintf(path, sizeof path, "%s/tool/.env", root); /* next to the program: before parents */
    write_file(path, "X=program\n");
    found = mlps_dotenv_find(deep, bin);
    assert_string_equal(found, path);
    free(found);

    snprintf(path, sizeof path, "%s/.env", deep); /* the working directory: first */
    write_file(path, "X=cwd\n");
    found = mlps_dotenv_find(deep, bin);
    assert_string_equal(found, path);
    free(found);

    /* mlps_dotenv_load reads the working directory's */
    char saved[1024];
    assert_non_null(getcwd(saved, sizeof saved));
    assert_int_equal(chdir(deep), 0);
    mlps_dotenv env;
    mlps_error err = {0};
    assert_int_equal(mlps_dotenv_load(&env, &err), 0);
    assert_string_equal(env.path, path);
    assert_string_equal(mlps_dotenv_get(&env, "X"), "cwd");
    mlps_dotenv_free(&env);
    assert_int_equal(chdir(saved), 0);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void expect_endpoints(const mlps_s3_config *config, const char *const *want, size_t n)
{
    assert_int_equal(config->endpoint_count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(config->endpoints[i], want[i]);
}

static void template_expands_first_range_inclusively(void **state)
{
    (void)state;
    mlps_s3_config config = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_s3_endpoints_from_template(&config, "http://h{1...8}:9000",
                                                     "S3_ENDPOINT_TEMPLATE", &err), 0);
    const char *const eight[] = {"http://h1:9000", "http://h2:9000", "http://h3:9000",
                                 "http://h4:9000", "http://h5:9000", "http://h6:9000",
                                 "http://h7:9000", "http://h8:9000"};
    expect_endpoints(&config, eight, 8);
    mlps_s3_config_free(&config);

    assert_int_equal(mlps_s3_endpoints_from_template(&config, "https://n{09...11}.x{1...2}/",
                                                     "S3_ENDPOINT_TEMPLATE", &err), 0);
    const char *const padded[] = {"https://n09.x{1...2}", "https://n10.x{1...2}",
                                  "https://n11.x{1...2}"};
    expect_endpoints(&config, padded, 3);
    mlps_s3_config_free(&config);
}

static void malformed_templates_are_usage_errors(void **state)
{
    (void)state;
    const char *bad[] = {"http://h:9000", "http://h{1..8}:9000", "http://h{8...1}:9000",
                         "http://h{1...8:9000", "http://h{a...b}", "h{1...2}:9000",
                         "http://h{1...99999}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mlps_s3_config config = {0};
        mlps_error err = {0};
        assert_int_equal(mlps_s3_endpoints_from_template(&config, bad[i], "S3_ENDPOINT_TEMPLATE",
                                                         &err), -EINVAL);
        assert_int_equal(err.exit_status, 2);
        assert_non_null(strstr(err.message, "S3_ENDPOINT_TEMPLATE"));
        mlps_s3_config_free(&config);
    }
}

static void list_and_file_endpoints(void **state)
{
    (void)state;
    mlps_s3_config config = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_s3_endpoints_from_list(&config, " http://a:1/, https://b:2 ,",
                                                 "S3_ENDPOINT_URIS", &err), 0);
    const char *const two[] = {"http://a:1", "https://b:2"};
    expect_endpoints(&config, two, 2);
    mlps_s3_config_free(&config);

    assert_int_equal(mlps_s3_endpoints_from_list(&config, "http://a:1,ftp://b",
                                                 "S3_ENDPOINT_URIS", &err), -EINVAL);
    assert_non_null(strstr(err.message, "S3_ENDPOINT_URIS: endpoint 'ftp://b'"));
    mlps_s3_config_free(&config);

    char path[512];
    const char *tmp = getenv("MLPS_TEST_TMP");
    snprintf(path, sizeof path, "%s/endpoints-%ld.txt", tmp ? tmp : "/tmp", (long)getpid());
    write_file(path, "# gateways\nhttp://g1:80\n\n  http://g2:80  # second\n");
    assert_int_equal(mlps_s3_endpoints_from_file(&config, path, "S3_ENDPOINT_FILE", &err), 0);
    const char *const file[] = {"http://g1:80", "http://g2:80"};
    expect_endpoints(&config, file, 2);
    mlps_s3_config_free(&config);
    write_file(path, "# none\n");
    assert_int_equal(mlps_s3_endpoints_from_file(&config, path, "S3_ENDPOINT_FILE", &err),
                     -EINVAL);
    assert_non_null(strstr(err.message, "names no endpoint"));
    mlps_s3_config_free(&config);
    unlink(path);
}

static mlps_store *open_store(const mlps_store_options *opts)
{
    mlps_store *store = NULL;
    mlps_error err = {0};
    if (mlps_store_open("s3://bucket/prefix", opts, &store, &err) != 0)
        fail_msg("%s", err.message);
    return store;
}

static void precedence_of_the_endpoint_sources(void **state)
{
    (void)state;
    setenv("AWS_ENDPOINT_URL", "http://single:1", 1);
    setenv("S3_ENDPOINT_FILE", "/nonexistent/endpoints", 1);
    setenv("S3_ENDPOINT_TEMPLATE", "http://t{1...2}:1", 1);
    setenv("S3_ENDPOINT_URIS", "http://u1:1,http://u2:1,http://u3:1", 1);
    mlps_store *store = open_store(NULL);
    assert_int_equal(mlps_store_s3_endpoint_count(store), 3);
    mlps_store_close(store);
    unsetenv("S3_ENDPOINT_URIS");
    store = open_store(NULL);
    assert_int_equal(mlps_store_s3_endpoint_count(store), 2);
    assert_string_equal(mlps_store_s3_endpoint(store), "http://t1:1");
    mlps_store_close(store);
    unsetenv("S3_ENDPOINT_TEMPLATE");
    mlps_store *none = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("s3://bucket/p", NULL, &none, &err), -ENOENT);
    assert_non_null(strstr(err.message, "S3_ENDPOINT_FILE=/nonexistent/endpoints"));
    unsetenv("S3_ENDPOINT_FILE");
    store = open_store(NULL);
    assert_string_equal(mlps_store_s3_endpoint(store), "http://single:1");
    assert_string_equal(mlps_store_s3_balance(store), "rank");
    mlps_store_close(store);
    /* the workload's endpoint_url beats every variable */
    setenv("S3_ENDPOINT_URIS", "http://u1:1,http://u2:1", 1);
    mlps_store_options opts = {.s3_endpoint_url = "http://option:2"};
    store = open_store(&opts);
    assert_int_equal(mlps_store_s3_endpoint_count(store), 1);
    assert_string_equal(mlps_store_s3_endpoint(store), "http://option:2");
    mlps_store_close(store);
    unsetenv("AWS_ENDPOINT_URL");
    store = open_store(NULL);
    mlps_store_close(store);
    unsetenv("S3_ENDPOINT_URIS");
    setenv("AWS_REGION", "eu-west-3", 1);
    store = open_store(NULL);
    assert_string_equal(mlps_store_s3_endpoint(store), "https://s3.eu-west-3.amazonaws.com");
    mlps_store_close(store);
}

/* Temporary credentials: the token travels as the signed x-amz-security-token header; none
 * without the variable. */
static void session_token_becomes_the_security_token_header(void **state)
{
    (void)state;
    mlps_store *store = open_store(NULL);
    assert_null(mlps_s3_of(store)->config.session_token_header);
    mlps_store_close(store);
    setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEtoken", 1);
    store = open_store(NULL);
    assert_string_equal(mlps_s3_of(store)->config.session_token_header,
                        "x-amz-security-token: FQoGZXIvYXdzEtoken");
    mlps_store_close(store);
}

static void each_rank_gets_endpoint_rank_mod_n(void **state)
{
    (void)state;
    setenv("S3_ENDPOINT_URIS", "http://e0:1,http://e1:1,http://e2:1", 1);
    const char *const want[] = {"http://e0:1", "http://e1:1", "http://e2:1"};
    for (uint32_t rank = 0; rank < 7; rank++) {
        mlps_store_options opts = {.has_rank = true, .rank = rank};
        mlps_store *store = open_store(&opts);
        assert_string_equal(mlps_store_s3_endpoint(store), want[rank % 3]);
        /* every request of the rank goes there */
        mlps_s3_store *s3 = mlps_s3_of(store);
        for (int i = 0; i < 4; i++) {
            size_t chosen = mlps_s3_endpoint_pick(s3);
            assert_int_equal(chosen, rank % 3);
            mlps_s3_endpoint_done(s3, chosen);
        }
        mlps_store_close(store);
    }
    /* without a rank in the options: the launcher's variables, in the reference's order */
    setenv("SLURM_PROCID", "2", 1);
    mlps_store *store = open_store(NULL);
    assert_string_equal(mlps_store_s3_endpoint(store), "http://e2:1");
    mlps_store_close(store);
    setenv("PMI_RANK", "4", 1);
    store = open_store(NULL);
    assert_string_equal(mlps_store_s3_endpoint(store), "http://e1:1");
    mlps_store_close(store);
    setenv("OMPI_COMM_WORLD_RANK", "6", 1);
    store = open_store(NULL);
    assert_string_equal(mlps_store_s3_endpoint(store), "http://e0:1");
    mlps_store_close(store);
}

static unsigned parts_in_flight_of(const mlps_store_options *opts)
{
    mlps_store *store = open_store(opts);
    unsigned parts = mlps_s3_of(store)->config.parts_in_flight;
    mlps_store_close(store);
    return parts;
}

static void parts_in_flight_and_concurrency_defaults_and_overrides(void **state)
{
    (void)state;
    setenv("AWS_ENDPOINT_URL", "http://e0:1", 1);
    /* max(2, ceil(16 / ranks)), the ranks from the options, else the launcher, else 1 */
    const uint32_t ranks[] = {1, 3, 8, 9, 16, 100};
    const unsigned want[] = {16, 6, 2, 2, 2, 2};
    for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++) {
        mlps_store_options opts = {.ranks = ranks[i]};
        assert_int_equal(parts_in_flight_of(&opts), want[i]);
    }
    assert_int_equal(parts_in_flight_of(NULL), 16);
    setenv("SLURM_NTASKS", "5", 1);
    assert_int_equal(parts_in_flight_of(NULL), 4);
    setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
    assert_int_equal(parts_in_flight_of(NULL), 4);
    setenv("OMPI_COMM_WORLD_SIZE", "32", 1);
    assert_int_equal(parts_in_flight_of(NULL), 2);
    setenv("MLPS_S3_PARTS_IN_FLIGHT", "7", 1);
    assert_int_equal(parts_in_flight_of(NULL), 7);
    mlps_store_options opts = {.s3_parts_in_flight = 3, .s3_max_concurrency = 5};
    assert_int_equal(parts_in_flight_of(&opts), 3);

    mlps_store *store = open_store(NULL);
    assert_int_equal(mlps_s3_of(store)->config.max_concurrency, MLPS_S3_DEFAULT_MAX_CONCURRENCY);
    mlps_store_close(store);
    store = open_store(&opts);
    assert_int_equal(mlps_s3_of(store)->config.max_concurrency, 5);
    /* the bound: admitted up to 5, then refused until one leaves; unbounded always admitted */
    mlps_s3_store *s3 = mlps_s3_of(store);
    for (int i = 0; i < 5; i++)
        assert_true(mlps_s3_admit(s3, true));
    assert_false(mlps_s3_admit(s3, true));
    assert_true(mlps_s3_admit(s3, false));
    assert_int_equal(mlps_store_s3_peak_in_flight(store), 6);
    mlps_s3_leave(s3);
    mlps_s3_leave(s3);
    assert_true(mlps_s3_admit(s3, true));
    for (int i = 0; i < 5; i++)
        mlps_s3_leave(s3);
    assert_int_equal(mlps_store_s3_peak_in_flight(store), 6);
    mlps_store_close(store);

    mlps_error err = {0};
    const char *bad[][2] = {{"MLPS_S3_PARTS_IN_FLIGHT", "0"},
                            {"MLPS_S3_PARTS_IN_FLIGHT", "257"},
                            {"MLPS_S3_MAX_CONCURRENCY", "0"},
                            {"MLPS_S3_ENGINE", "threads"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv(bad[i][0], bad[i][1], 1);
        assert_int_equal(mlps_store_open("s3://bucket/p", NULL, &store, &err), -EINVAL);
        assert_non_null(strstr(err.message, bad[i][0]));
        assert_non_null(strstr(err.message, bad[i][1]));
        assert_int_equal(err.exit_status, 2);
        unsetenv(bad[i][0]);
    }
    opts = (mlps_store_options){.s3_max_concurrency = 5000};
    assert_int_equal(mlps_store_open("s3://bucket/p", &opts, &store, &err), -EINVAL);
    assert_non_null(strstr(err.message, "storage.storage_options.s3_max_concurrency=5000"));
}

static void round_robin_and_least_connections_spread_requests(void **state)
{
    (void)state;
    setenv("S3_ENDPOINT_TEMPLATE", "http://e{0...2}:1", 1);
    setenv("S3_LOAD_BALANCE_STRATEGY", "round_robin", 1);
    mlps_store_options opts = {.has_rank = true, .rank = 1};
    mlps_store *store = open_store(&opts);
    assert_string_equal(mlps_store_s3_balance(store), "round_robin");
    mlps_s3_store *s3 = mlps_s3_of(store);
    const size_t want[] = {0, 1, 2, 0, 1, 2, 0};
    for (size_t i = 0; i < 7; i++) {
        size_t chosen = mlps_s3_endpoint_pick(s3);
        assert_int_equal(chosen, want[i]);
        mlps_s3_endpoint_done(s3, chosen);
    }
    mlps_store_close(store);

    setenv("S3_LOAD_BALANCE_STRATEGY", "least_connections", 1);
    store = open_store(&opts);
    s3 = mlps_s3_of(store);
    /* three requests held open spread from the rank's endpoint on; a finished one frees its slot */
    size_t a = mlps_s3_endpoint_pick(s3), b = mlps_s3_endpoint_pick(s3);
    size_t c = mlps_s3_endpoint_pick(s3);
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    assert_int_equal(c, 0);
    mlps_s3_endpoint_done(s3, b);
    size_t d = mlps_s3_endpoint_pick(s3);
    assert_int_equal(d, 2);
    mlps_s3_endpoint_done(s3, a), mlps_s3_endpoint_done(s3, c), mlps_s3_endpoint_done(s3, d);
    mlps_store_close(store);

    setenv("S3_LOAD_BALANCE_STRATEGY", "fastest", 1);
    mlps_store *bad = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("s3://bucket/p", NULL, &bad, &err), -EINVAL);
    assert_non_null(strstr(err.message, "S3_LOAD_BALANCE_STRATEGY='fastest'"));
    assert_int_equal(err.exit_status, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(dotenv_lines_quotes_comments_and_export, clean_environment),
        cmocka_unit_test_setup(dotenv_environment_wins, clean_environment),
        cmocka_unit_test_setup(dotenv_malformed_line_names_file_and_line_not_value,
                               clean_environment),
        cmocka_unit_test_setup(dotenv_search_goes_to_cwd_then_program_then_parents,
                               clean_environment),
        cmocka_unit_test_setup(template_expands_first_range_inclusively, clean_environment),
        cmocka_unit_test_setup(malformed_templates_are_usage_errors, clean_environment),
        cmocka_unit_test_setup(list_and_file_endpoints, clean_environment),
        cmocka_unit_test_setup(precedence_of_the_endpoint_sources, clean_environment),
        cmocka_unit_test_setup(session_token_becomes_the_security_token_header, clean_environment),
        cmocka_unit_test_setup(each_rank_gets_endpoint_rank_mod_n, clean_environment),
        cmocka_unit_test_setup(parts_in_flight_and_concurrency_defaults_and_overrides,
                               clean_environment),
        cmocka_unit_test_setup(round_robin_and_least_connections_spread_requests,
                               clean_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
