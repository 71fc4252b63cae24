/* Tests for --validation-trace: the trace's statistics, the 5 % rule on the hit rate, and the
 * errors for a missing file, a file that is not a list, and an entry without a needed field. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kvcache/validation.h"
#include "scratch_dir.h"

static const char *write_file(const char *name, const char *text)
{
    static char path[PATH_MAX];
    in_scratch(path, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define ENTRY(hit, rd, wr, ctx, gen)                                                                  \
    "{\"timestamp\": 1.0, \"request_id\": \"r\", \"user_id\": \"u\", \"context_tokens\": " #ctx      \
    ", \"generation_tokens\": " #gen ", \"phase\": \"decode\", \"cache_hit\": " #hit                \
    ", \"cache_tier\": \"cpu\", \"read_bytes\": " #rd ", \"write_bytes\": " #wr                      \
    ", \"read_latency_ms\": 1.0, \"write_latency_ms\": 2.0, \"model_name\": \"m\"}"

static void trace_statistics_and_the_five_percent_rule(void **state)
{
    (void)state;
    const char *path = write_file("trace.json", "[" ENTRY(true, 300, 100, 1000, 100) ","
                                  ENTRY(true, 300, 0, 2000, 200) "," ENTRY(true, 0, 100, 3000, 300) ","
                                  ENTRY(false, 0, 0, 4000, 400) "]");
    mlps_kv_trace_stats stats;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_validation_load(path, &stats, &err), 0);
    assert_int_equal(stats.total_requests, 4);
    assert_true(stats.cache_hit_rate == 0.75);
    assert_true(stats.read_write_ratio == 3.0);
    assert_true(stats.context_tokens_mean == 2500.0);
    assert_true(stats.generation_tokens_mean == 250.0);

    json_t *v = mlps_kv_validation_compare(&stats, 0.78); /* 4 % off */
    assert_true(json_is_true(json_object_get(v, "passed")));
    double error = json_real_value(json_object_get(v, "avg_error_pct"));
    assert_true(error > 3.9999 && error < 4.0001);
    assert_true(json_is_true(json_object_get(json_object_get(json_object_get(v, "comparison"),
                                                             "cache_hit_rate"), "within_5pct")));
    json_decref(v);
    v = mlps_kv_validation_compare(&stats, 0.80); /* 6.67 % off */
    assert_true(json_is_false(json_object_get(v, "passed")));
    json_decref(v);
    stats.cache_hit_rate = 0.0; /* no division by zero: percentage points instead */
    v = mlps_kv_validation_compare(&stats, 0.03);
    error = json_real_value(json_object_get(v, "avg_error_pct"));
    assert_true(error > 2.9999 && error < 3.0001);
    json_decref(v);
}

static void bad_traces_are_usage_errors_naming_the_file(void **state)
{
    (void)state;
    mlps_kv_trace_stats stats;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_validation_load("/nonexistent/trace.json", &stats, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "/nonexistent/trace.json"));
    mlps_error_clear(&err);
    const char *path = write_file("object.json", "{\"a\": 1}");
    assert_int_equal(mlps_kv_validation_load(path, &stats, &err), -EINVAL);
    assert_non_null(strstr(err.message, "non-empty JSON list"));
    mlps_error_clear(&err);
    path = write_file("missing.json", "[" ENTRY(true, 1, 1, 1, 1) ", {\"cache_hit\": true}]");
    assert_int_equal(mlps_kv_validation_load(path, &stats, &err), -EINVAL);
    assert_non_null(strstr(err.message, "entry 1 has no numeric 'read_bytes'"));
}

static int create_scratch(void **state)
{
    (void)state;
    return scratch_create("test_kv_validation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trace_statistics_and_the_five_percent_rule),
        cmocka_unit_test(bad_traces_are_usage_errors_naming_the_file),
    };
    return cmocka_run_group_tests(tests, create_scratch, remove_scratch);
}
