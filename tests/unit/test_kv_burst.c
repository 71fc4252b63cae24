/* Tests of BurstGPT trace replay (spec 30 §4.5, the reference's trace tests): a directory of two
 * CSVs (5 + 3 rows) gives 8 requests a cycle in file order, the first (ts 0.0, 100, 20, 120),
 * Σ total tokens 2700; replay cycles end the run; pacing by timestamp / speedup; bad rows are
 * skipped and counted; a glob and a single file work; missing or useless paths are usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "kvcache/workload.h"
#include "kv_workload_test_util.h"
#include "scratch_dir.h"

static const int64_t fixture_context[8] = {100, 200, 300, 150, 250, 400, 350, 500};
static const int64_t fixture_generation[8] = {20, 40, 60, 30, 50, 100, 0, 150};
static const double fixture_seconds[8] = {0, 1, 2, 3, 4, 5, 6, 7.5};

static char trace_dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    kv_fixture(trace_dir, "burstgpt");
    return scratch_create("kv_burst");
}

static void burst_setup(kv_setup *k, const char *path, double speedup, int64_t cycles)
{
    kv_setup_defaults(k, 1);
    k->options.use_burst_trace = true;
    k->options.burst_trace_path = path;
    k->options.trace_speedup = speedup;
    k->options.replay_cycles = cycles;
}

static int next_or_end(mlps_kv_source *src, mlps_kv_request *r, uint64_t *due)
{
    mlps_error err = {0};
    int rc = mlps_kv_source_next(src, KV_START_NS, r, due, &err);
    assert_true(rc == MLPS_KV_NEXT_REQUEST || rc == MLPS_KV_NEXT_END);
    return rc;
}

static void test_directory_one_cycle(void **state)
{
    (void)state;
    kv_setup k;
    burst_setup(&k, trace_dir, 1.0, 1);
    mlps_kv_source *src = kv_open(&k);
    assert_string_equal(mlps_kv_source_mode(src), "burstgpt");
    for (int i = 0; i < 8; i++) {
        mlps_kv_request r;
        uint64_t due;
        assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
        assert_int_equal(r.context_tokens, fixture_context[i]);
        assert_int_equal(r.generate_tokens, fixture_generation[i]);
        assert_int_equal(due, KV_START_NS + (uint64_t)(fixture_seconds[i] * 1e9));
        char expected[MLPS_KV_KEY_MAX];
        snprintf(expected, sizeof expected, "trace_user_%d", i);
        assert_string_equal(r.user_id, expected);
        snprintf(expected, sizeof expected, "trace_user_%d_req_%04d", i, i);
        assert_string_equal(r.key, expected);
        assert_int_equal(r.phase, MLPS_KV_REQ_PREFILL_DECODE);
        assert_int_equal(r.turn_number, 1);
        assert_string_equal(r.conversation_id, "");
        assert_int_equal(r.priority, 3 - (int)r.qos);
    }
    mlps_kv_request r;
    uint64_t due;
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_END);
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_END);
    json_t *d = mlps_kv_source_describe(src);
    assert_int_equal(json_integer_value(json_object_get(d, "trace_total_tokens")), 2700);
    assert_int_equal(json_integer_value(json_object_get(d, "rows_read")), 8);
    assert_int_equal(json_integer_value(json_object_get(d, "rows_skipped")), 0);
    assert_int_equal(json_integer_value(json_object_get(d, "cycles_done")), 1);
    assert_int_equal(json_array_size(json_object_get(d, "trace_files")), 2);
    const char *first = json_string_value(json_array_get(json_object_get(d, "trace_files"), 0));
    assert_non_null(strstr(first, "BurstGPT_1.csv"));
    mlps_kv_source_free(src);
}

/* Two cycles: 16 requests, then the end; the second pass starts right after the first ends,
 * and its pacing restarts from its own first timestamp. Speedup 2 halves the gaps. */
static void test_two_cycles_with_speedup(void **state)
{
    (void)state;
    kv_setup k;
    burst_setup(&k, trace_dir, 2.0, 2);
    mlps_kv_source *src = kv_open(&k);
    int64_t total = 0;
    for (int i = 0; i < 16; i++) {
        mlps_kv_request r;
        uint64_t due;
        assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
        assert_int_equal(r.context_tokens, fixture_context[i % 8]);
        assert_int_equal(r.id, (uint64_t)i);
        double seconds = fixture_seconds[i % 8] / 2 + (i >= 8 ? 7.5 / 2 : 0);
        assert_int_equal(due, KV_START_NS + (uint64_t)(seconds * 1e9));
        total += r.context_tokens + r.generate_tokens;
    }
    assert_int_equal(total, 2 * 2700);
    mlps_kv_request r;
    uint64_t due;
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_END);
    json_t *d = mlps_kv_source_describe(src);
    assert_int_equal(json_integer_value(json_object_get(d, "cycles_done")), 2);
    assert_int_equal(json_integer_value(json_object_get(d, "trace_total_tokens")), 5400);
    assert_int_equal(json_integer_value(json_object_get(d, "rows_read")), 8);
    mlps_kv_source_free(src);
}

static void test_speedup_zero_all_due_at_start_and_infinite_cycles(void **state)
{
    (void)state;
    kv_setup k;
    burst_setup(&k, trace_dir, 0.0, 0);
    mlps_kv_source *src = kv_open(&k);
    for (int i = 0; i < 8 * 5; i++) {
        mlps_kv_request r;
        uint64_t due;
        assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
        assert_int_equal(due, KV_START_NS);
        assert_int_equal(r.generate_tokens, fixture_generation[i % 8]);
    }
    json_t *d = mlps_kv_source_describe(src);
    assert_int_equal(json_integer_value(json_object_get(d, "cycles_done")), 4);
    mlps_kv_source_free(src);
}

static void write_file(const char *relative, const char *text)
{
    char path[PATH_MAX];
    in_scratch(path, relative);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Rows the reference cannot parse are skipped and counted; zero responses, quoted fields,
 * CRLF ends, blank lines and a missing Total tokens column are fine. */
static void test_bad_rows_skipped_and_counted(void **state)
{
    (void)state;
    write_file("messy.csv",
               "Timestamp,Model,Request tokens,Response tokens,Log Type\r\n"
               "0.5,ChatGPT,10,0,Conversation log\r\n"
               "abc,ChatGPT,11,1,Conversation log\r\n"
               "1.5,\"GPT-4, large\",12,2,\"API \"\"log\"\"\"\r\n"
               "\r\n"
               "2.5,ChatGPT,12.5,3,Conversation log\r\n"
               "3.5,ChatGPT,13\r\n"
               "4.5,ChatGPT,-1,3,Conversation log\r\n"
               "5.5,ChatGPT, 14 ,4,Conversation log\r\n");
    char path[PATH_MAX];
    in_scratch(path, "messy.csv");
    kv_setup k;
    burst_setup(&k, path, 1.0, 1);
    mlps_kv_source *src = kv_open(&k);
    const int64_t context[] = {10, 12, 14};
    const int64_t generation[] = {0, 2, 4};
    const double seconds[] = {0, 1, 5};
    for (int i = 0; i < 3; i++) {
        mlps_kv_request r;
        uint64_t due;
        assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
        assert_int_equal(r.context_tokens, context[i]);
        assert_int_equal(r.generate_tokens, generation[i]);
        assert_int_equal(due, KV_START_NS + (uint64_t)(seconds[i] * 1e9));
    }
    mlps_kv_request r;
    uint64_t due;
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_END);
    json_t *d = mlps_kv_source_describe(src);
    assert_int_equal(json_integer_value(json_object_get(d, "rows_read")), 7);
    assert_int_equal(json_integer_value(json_object_get(d, "rows_skipped")), 4);
    assert_int_equal(json_integer_value(json_object_get(d, "trace_total_tokens")), 10 + 14 + 18);
    mlps_kv_source_free(src);
}

/* A glob picks the matching files sorted; one file alone is one pass. */
static void test_glob_and_single_file(void **state)
{
    (void)state;
    char pattern[PATH_MAX + 16];
    snprintf(pattern, sizeof pattern, "%s/BurstGPT_*.csv", trace_dir);
    kv_setup k;
    burst_setup(&k, pattern, 0, 1);
    mlps_kv_source *src = kv_open(&k);
    int n = 0;
    mlps_kv_request r;
    uint64_t due;
    while (next_or_end(src, &r, &due) == MLPS_KV_NEXT_REQUEST)
        assert_int_equal(r.context_tokens, fixture_context[n++]);
    assert_int_equal(n, 8);
    mlps_kv_source_free(src);

    char file[PATH_MAX + 16];
    snprintf(file, sizeof file, "%s/BurstGPT_2.csv", trace_dir);
    burst_setup(&k, file, 0, 1);
    src = kv_open(&k);
    n = 0;
    while (next_or_end(src, &r, &due) == MLPS_KV_NEXT_REQUEST)
        assert_int_equal(r.context_tokens, fixture_context[5 + n++]);
    assert_int_equal(n, 3);
    mlps_kv_source_free(src);
}

/* Out-of-order timestamps never move a request earlier than the one before it. */
static void test_backwards_timestamps_do_not_go_back(void **state)
{
    (void)state;
    write_file("backwards.csv",
               "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
               "10,m,1,1,2,l\n"
               "12,m,1,1,2,l\n"
               "11,m,1,1,2,l\n"
               "13,m,1,1,2,l\n");
    char path[PATH_MAX];
    in_scratch(path, "backwards.csv");
    kv_setup k;
    burst_setup(&k, path, 1.0, 1);
    mlps_kv_source *src = kv_open(&k);
    const double seconds[] = {0, 2, 2, 4};
    for (int i = 0; i < 4; i++) {
        mlps_kv_request r;
        uint64_t due;
        assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
        assert_int_equal(due, KV_START_NS + (uint64_t)(seconds[i] * 1e9));
    }
    mlps_kv_source_free(src);
}

static void expect_usage_error(const char *path, const char *fragment)
{
    kv_setup k;
    burst_setup(&k, path, 1.0, 1);
    mlps_error err = {0};
    mlps_kv_source *src = (mlps_kv_source *)&k;
    assert_true(mlps_kv_source_open(&k.params, &src, &err) < 0);
    assert_null(src);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, fragment))
        fail_msg("'%s' lacks '%s'", err.message, fragment);
}

static void test_bad_paths_are_usage_errors(void **state)
{
    (void)state;
    char path[PATH_MAX], message[PATH_MAX + 64];
    in_scratch(path, "nowhere.csv");
    snprintf(message, sizeof message, "%s: no such file or directory", path);
    expect_usage_error(path, message);

    in_scratch(path, "empty_dir");
    mkdir(path, 0755);
    write_file("empty_dir/notes.txt", "not a trace\n");
    assert_int_equal(count_entries(path), 1);
    snprintf(message, sizeof message, "--burst-trace-path %s: no CSV files matched", path);
    expect_usage_error(path, message);

    in_scratch(path, "nomatch_*.csv");
    expect_usage_error(path, "no CSV files matched");

    write_file("useless.csv", "Timestamp,Model,Request tokens,Response tokens\nx,m,y,z\n");
    in_scratch(path, "useless.csv");
    expect_usage_error(path, "no usable row in 1 file(s) (1 rows skipped)");

    write_file("wrong_header.csv", "time,model,prompt,completion\n1,m,2,3\n");
    in_scratch(path, "wrong_header.csv");
    expect_usage_error(path, "the header has no 'Request tokens' column");

    expect_usage_error("", "--use-burst-trace needs --burst-trace-path");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory_one_cycle),
        cmocka_unit_test(test_two_cycles_with_speedup),
        cmocka_unit_test(test_speedup_zero_all_due_at_start_and_infinite_cycles),
        cmocka_unit_test(test_bad_rows_skipped_and_counted),
        cmocka_unit_test(test_glob_and_single_file),
        cmocka_unit_test(test_backwards_timestamps_do_not_go_back),
        cmocka_unit_test(test_bad_paths_are_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, remove_scratch);
}
