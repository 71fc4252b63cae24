/* Tests of the checkpoint size report: ranks grouped into spans of one role and groups of
 * identical files (405B on 512 ranks: DP rank 0 at 11.8 GiB on average, DP rank 1 at 8.86 GiB),
 * the totals in bytes, GiB and GB, the rules' page-cache condition with its commands, and the
 * JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/datasize.h"

#define GiB (1ull << 30)

static mlps_checkpoint_model_params llama_8b(void)
{
    return (mlps_checkpoint_model_params){
        .num_layers = 32, .hidden_size = 4096, .ffn_hidden_size = 14336,
        .num_attention_heads = 32, .num_kv_heads = 8, .vocab_size = 128256, .tensor = 1,
        .pipeline = 1, .zero_stage = 3, .model_dtype_bytes = 2, .optimizer_dtype_bytes = 4};
}

static mlps_checkpoint_model_params llama_405b(void)
{
    return (mlps_checkpoint_model_params){
        .num_layers = 126, .hidden_size = 16384, .ffn_hidden_size = 53248,
        .num_attention_heads = 128, .num_kv_heads = 8, .vocab_size = 128256, .tensor = 8,
        .pipeline = 32, .zero_stage = 1, .model_dtype_bytes = 2, .optimizer_dtype_bytes = 4};
}

static mlps_checkpoint_datasize report(mlps_checkpoint_model_params params, uint64_t procs,
                                       const char *model, uint64_t hosts, uint64_t memory)
{
    mlps_checkpoint_layout layout;
    mlps_error err = {0};
    if (mlps_checkpoint_layout_init(&layout, &params, procs, &err) != 0)
        fail_msg("%s", err.message);
    mlps_checkpoint_datasize_request request = {.model = model, .hosts = hosts,
                                                .host_memory_bytes = memory};
    mlps_checkpoint_datasize d;
    if (mlps_checkpoint_datasize_compute(&layout, &request, &d, &err) != 0)
        fail_msg("%s", err.message);
    return d;
}

static char *text_of(const mlps_checkpoint_datasize *d)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    assert_non_null(out);
    assert_int_equal(mlps_checkpoint_datasize_write_text(d, out), 0);
    assert_int_equal(fclose(out), 0);
    return text;
}

static void assert_contains(const char *text, const char *fragment)
{
    if (!strstr(text, fragment))
        fail_msg("'%s' not in:\n%s", fragment, text);
}

static void assert_group(const mlps_checkpoint_rank_group *g, uint64_t first, uint64_t last,
                         uint64_t bytes, uint64_t files)
{
    assert_int_equal(g->first_rank, first);
    assert_int_equal(g->last_rank, last);
    assert_int_equal(g->bytes, bytes);
    assert_int_equal(g->files, files);
}

static void test_405b_groups_the_replicas(void **state)
{
    (void)state;
    mlps_checkpoint_datasize d = report(llama_405b(), 512, "llama3-405b", 0, 0);
    assert_int_equal(d.span_count, 2);
    const mlps_checkpoint_rank_span *first = &d.spans[0], *second = &d.spans[1];
    assert_int_equal(first->role, MLPS_CHECKPOINT_ROLE_MODEL_AND_OPTIMIZER);
    assert_int_equal(first->first_rank, 0);
    assert_int_equal(first->last_rank, 255);
    double mean = (double)first->total_bytes / 256 / GiB;
    assert_true(mean >= 11.80 && mean < 11.90);
    assert_int_equal(first->min_files, 4);
    assert_int_equal(first->max_files, 6);
    assert_int_equal(second->role, MLPS_CHECKPOINT_ROLE_OPTIMIZER_ONLY);
    assert_int_equal(second->first_rank, 256);
    assert_int_equal(second->last_rank, 511);
    assert_int_equal(second->min_bytes, 9513171840ull);
    assert_int_equal(second->max_bytes, 9513171840ull);

    /* stage 0 (embedding), stages 1-29 (4 layers), stage 30 (3), stage 31 (3 + head + norm) */
    assert_int_equal(first->group_count, 4);
    assert_int_equal(second->group_count, 1);
    assert_int_equal(d.group_count, 5);
    assert_group(&d.groups[0], 0, 7, 525336576ull + 4 * 796983296ull + 9513171840ull, 6);
    assert_group(&d.groups[1], 8, 239, 4 * 796983296ull + 9513171840ull, 5);
    assert_group(&d.groups[2], 240, 247, 3 * 796983296ull + 9513171840ull, 4);
    assert_group(&d.groups[3], 248, 255,
                 3 * 796983296ull + 525336576ull + 32768ull + 9513171840ull, 6);
    assert_group(&d.groups[4], 256, 511, 9513171840ull, 1);
    assert_int_equal(d.groups[1].first_stage, 1);
    assert_int_equal(d.groups[1].last_stage, 29);
    assert_int_equal(d.groups[1].layers_each, 4);

    assert_int_equal(d.totals.bytes, 5682508791808ull);
    assert_int_equal(d.totals.files, 1544);
    assert_false(d.memory_known);

    char *text = text_of(&d);
    assert_contains(text, "Checkpoint of llama3-405b on 512 processes: TP 8 x PP 32 x DP 2, "
                          "ZeRO stage 1, 405,853,388,800 parameters\n");
    assert_contains(text, "  ranks 0–255: 11.81 GiB each on average (11.09 to 12.32 GiB) in 4 "
                          "to 6 files: model and optimizer\n");
    assert_contains(text, "    ranks 0–7: 12.32 GiB each (13,226,441,600 B) in 6 files, "
                          "stage 0: layers 0–4\n");
    assert_contains(text, "    ranks 8–239: 11.83 GiB each (12,701,105,024 B) in 5 files, "
                          "stages 1–29: 4 layers each\n");
    assert_contains(text, "  ranks 256–511: 8.86 GiB each (9,513,171,840 B) in 1 file: "
                          "optimizer only\n");
    assert_contains(text, "Per checkpoint: 5,682,508,791,808 B = 5,292.2487 GiB = 5,682.51 GB "
                          "in 1,544 files (model 756.0149 GiB, optimizer 4,536.2338 GiB)\n");
    assert_null(strstr(text, "Page cache"));
    assert_null(strstr(text, "as the reference reports it"));
    free(text);
    mlps_checkpoint_datasize_free(&d);
    assert_null(d.groups);
}

static void test_8b_is_one_group(void **state)
{
    (void)state;
    mlps_checkpoint_datasize d = report(llama_8b(), 8, "llama3-8b", 0, 0);
    assert_int_equal(d.span_count, 1);
    assert_int_equal(d.group_count, 1);
    assert_group(&d.groups[0], 0, 7, 14053202944ull, 2);
    assert_false(d.groups[0].model_by_layer);
    char *text = text_of(&d);
    assert_contains(text, "  ranks 0–7: 13.09 GiB each (14,053,202,944 B) in 2 files: model "
                          "and optimizer\n");
    assert_contains(text, "Per checkpoint: 112,425,623,552 B = 104.7045 GiB = 112.43 GB in 16 "
                          "files");
    free(text);
    mlps_checkpoint_datasize_free(&d);
}

static void test_small_host_memory_asks_for_a_cache_drop(void **state)
{
    (void)state;
    /* 104.70 GiB on one host of 64 GiB: under 3 x 64 = 192 GiB */
    mlps_checkpoint_datasize d = report(llama_8b(), 8, "llama3-8b", 1, 64 * GiB);
    assert_true(d.memory_known);
    assert_true(d.drop_caches_needed);
    assert_true(d.bytes_per_host == 112425623552.0);
    assert_true(d.cache_limit_bytes == 192.0 * GiB);
    char *text = text_of(&d);
    assert_contains(text, "Page cache: 104.70 GiB of checkpoint per client host (1 host) is less "
                          "than 3 x 64.00 GiB of host memory");
    assert_contains(text, "write only: run with -ncr 0");
    assert_contains(text, "echo 3 > /proc/sys/vm/drop_caches");
    assert_contains(text, "read only: run with -ncw 0");
    free(text);
    json_t *json = mlps_checkpoint_datasize_to_json(&d);
    assert_non_null(json);
    assert_true(json_is_true(json_object_get(json_object_get(json, "page_cache"),
                                             "drop_caches_needed")));
    json_decref(json);
    mlps_checkpoint_datasize_free(&d);
}

static void test_large_checkpoint_needs_no_cache_drop(void **state)
{
    (void)state;
    /* 104.70 GiB on one host of 32 GiB: at least 3 x 32 = 96 GiB */
    mlps_checkpoint_datasize d = report(llama_8b(), 8, "llama3-8b", 1, 32 * GiB);
    assert_false(d.drop_caches_needed);
    char *text = text_of(&d);
    assert_contains(text, "is at least 3 x 32.00 GiB of host memory: writes and reads may run in "
                          "one go.\n");
    assert_null(strstr(text, "drop_caches"));
    free(text);
    mlps_checkpoint_datasize_free(&d);

    /* the same on two hosts: 52.35 GiB each, under 96 */
    d = report(llama_8b(), 8, "llama3-8b", 2, 32 * GiB);
    assert_true(d.drop_caches_needed);
    assert_true(d.bytes_per_host == 112425623552.0 / 2);
    mlps_checkpoint_datasize_free(&d);
}

static void test_cache_check_needs_hosts_and_memory(void **state)
{
    (void)state;
    mlps_checkpoint_model_params params = llama_8b();
    mlps_checkpoint_layout layout;
    mlps_error err = {0};
    assert_int_equal(mlps_checkpoint_layout_init(&layout, &params, 8, &err), 0);
    mlps_checkpoint_datasize_request request = {.model = "llama3-8b", .hosts = 2};
    mlps_checkpoint_datasize d;
    assert_int_equal(mlps_checkpoint_datasize_compute(&layout, &request, &d, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "memory of one host"));
    assert_null(d.spans);
}

static void test_json_record(void **state)
{
    (void)state;
    mlps_checkpoint_datasize d = report(llama_405b(), 512, "llama3-405b", 4, 256 * GiB);
    json_t *json = mlps_checkpoint_datasize_to_json(&d);
    assert_non_null(json);
    assert_string_equal(json_string_value(json_object_get(json, "model")), "llama3-405b");
    assert_string_equal(json_string_value(json_object_get(json, "mode")), "default");
    assert_int_equal(json_integer_value(json_object_get(json, "num_processes")), 512);
    assert_int_equal(json_integer_value(json_object_get(json, "data_parallelism")), 2);
    assert_int_equal(json_integer_value(json_object_get(json, "num_parameters")),
                     405853388800ll);
    assert_int_equal(json_integer_value(json_object_get(json, "total_bytes")), 5682508791808ll);
    assert_int_equal(json_integer_value(json_object_get(json, "files_per_checkpoint")), 1544);
    assert_true(fabs(json_real_value(json_object_get(json, "checkpoint_size_GB")) - 5292.2487) <
                5e-5);
    assert_true(fabs(json_real_value(json_object_get(json, "total_GB")) - 5682.508791808) < 1e-6);
    json_t *ranks = json_object_get(json, "ranks");
    assert_int_equal(json_array_size(ranks), 2);
    json_t *first = json_array_get(ranks, 0);
    assert_string_equal(json_string_value(json_object_get(first, "role")),
                        "model and optimizer");
    assert_int_equal(json_array_size(json_object_get(first, "groups")), 4);
    json_t *stage0 = json_array_get(json_object_get(first, "groups"), 0);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(stage0,
                                                                       "first_stage_layers"), 1)),
                     4);
    json_t *second_group = json_array_get(json_object_get(json_array_get(ranks, 1), "groups"), 0);
    assert_null(json_object_get(second_group, "first_stage")); /* no model files there */
    json_t *cache = json_object_get(json, "page_cache");
    assert_int_equal(json_integer_value(json_object_get(cache, "num_client_hosts")), 4);
    assert_false(json_is_true(json_object_get(cache, "drop_caches_needed")));
    json_decref(json);
    mlps_checkpoint_datasize_free(&d);
}

static void test_zero_0_and_zero_2_spans(void **state)
{
    (void)state;
    mlps_checkpoint_model_params p = llama_8b();
    p.zero_stage = 0;
    p.tensor = 2;
    mlps_checkpoint_datasize d = report(p, 6, "zero0", 0, 0);
    assert_int_equal(d.span_count, 2);
    assert_int_equal(d.spans[1].role, MLPS_CHECKPOINT_ROLE_NOTHING);
    assert_int_equal(d.spans[1].first_rank, 2);
    char *text = text_of(&d);
    assert_contains(text, "  ranks 2–5: nothing (ZeRO stage 0 keeps one copy, on the first TP x "
                          "PP ranks)\n");
    free(text);
    mlps_checkpoint_datasize_free(&d);

    p = llama_8b();
    p.zero_stage = 2;
    d = report(p, 4, "zero2", 0, 0);
    assert_true(d.totals.reported_bytes > d.totals.bytes);
    text = text_of(&d);
    assert_contains(text, "  rank 0: ");
    assert_contains(text, "checkpoint_size_GB as the reference reports it: ");
    free(text);
    mlps_checkpoint_datasize_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_405b_groups_the_replicas),
        cmocka_unit_test(test_8b_is_one_group),
        cmocka_unit_test(test_small_host_memory_asks_for_a_cache_drop),
        cmocka_unit_test(test_large_checkpoint_needs_no_cache_drop),
        cmocka_unit_test(test_cache_check_needs_hosts_and_memory),
        cmocka_unit_test(test_json_record),
        cmocka_unit_test(test_zero_0_and_zero_2_spans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
