/* Tests of the arithmetic of `mlps kvcache datasize` (cli/kvcache_datasize.c): the mean request
 * context of the synthetic user mix against a direct enumeration, and the sizes derived from a
 * model's bytes per token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "cli/kvcache_datasize.h"

/* E[(max(1, ⌊C/4⌋) + C) / 2] over C uniform on [lo, hi], by enumeration. */
static double enumerated_mean(int64_t lo, int64_t hi)
{
    double sum = 0;
    for (int64_t c = lo; c <= hi; c++) {
        int64_t low = c / 4 > 1 ? c / 4 : 1;
        sum += ((double)low + (double)c) / 2;
    }
    return sum / (double)(hi - lo + 1);
}

static void mean_context_matches_enumeration(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    double expected = (enumerated_mean(512, 4096) + enumerated_mean(4096, 25000) +
                       enumerated_mean(4096, 16384)) / 3;
    assert_true(fabs(mlps_kv_mean_context_tokens(&s) - expected) < 1e-9);
    assert_int_equal(llround(expected), 5644);
    /* small ranges, where max(1, ...) matters */
    s.templates[0].context_min = 1, s.templates[0].context_max = 6;
    s.templates[1].context_min = 3, s.templates[1].context_max = 3;
    s.templates[2].context_min = 2, s.templates[2].context_max = 9;
    expected = (enumerated_mean(1, 6) + enumerated_mean(3, 3) + enumerated_mean(2, 9)) / 3;
    assert_true(fabs(mlps_kv_mean_context_tokens(&s) - expected) < 1e-12);
}

static void sizes_follow_bytes_per_token(void **state)
{
    (void)state;
    mlps_kv_datasize_row r = mlps_kv_datasize_of("llama3.1-8b", 131072, 10, 2048);
    assert_string_equal(r.model, "llama3.1-8b");
    assert_int_equal(r.bytes_per_token, 131072);
    assert_int_equal(r.entry_bytes_2048, 268435456);
    assert_int_equal(r.entry_bytes_8192, 1073741824);
    assert_int_equal(r.working_set_bytes, 2684354560ULL); /* 10 × 256 MiB = 2.5 GiB */
    assert_true(r.gpu_mem_gb == 0.5);
    assert_true(r.cpu_mem_gb == 1.25);
    assert_true(r.storage_capacity_gb == 5.0);
    r = mlps_kv_datasize_of("deepseek-v3", 70272, 1, 1);
    assert_int_equal(r.entry_bytes_2048, 143917056); /* 137.25 MiB */
}

static void json_lists_every_row(void **state)
{
    (void)state;
    mlps_kv_datasize_row rows[2] = {mlps_kv_datasize_of("a", 100, 2, 10),
                                    mlps_kv_datasize_of("b", 200, 2, 10)};
    json_t *j = mlps_kv_datasize_to_json(rows, 2, 2, 10, "--context-tokens");
    assert_int_equal(json_integer_value(json_object_get(j, "num_users")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "context_tokens")), 10);
    json_t *models = json_object_get(j, "models");
    assert_int_equal(json_array_size(models), 2);
    json_t *b = json_array_get(models, 1);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "b");
    assert_int_equal(json_integer_value(json_object_get(b, "working_set_bytes")), 4000);
    assert_int_equal(json_integer_value(json_object_get(b, "entry_bytes_8192")), 1638400);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mean_context_matches_enumeration),
        cmocka_unit_test(sizes_follow_bytes_per_token),
        cmocka_unit_test(json_lists_every_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
