/* KV-cache models: the nine built-ins and their exact bytes per token, entry shapes (5-D, MLA
 * 3-D, 1-D under tensor parallel), and model_configs from YAML merged over the built-ins. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/config_internal.h"
#include "kvcache/model.h"

static mlps_kv_model_set builtins(void)
{
    mlps_kv_model_set set;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_models_init(&set, NULL, &err), 0);
    return set;
}

static uint64_t bpt_of(const mlps_kv_model_set *set, const char *key)
{
    const mlps_kv_model *m = mlps_kv_models_find(set, key);
    assert_non_null(m);
    return mlps_kv_model_bytes_per_token(m);
}

static void test_builtin_bytes_per_token(void **state)
{
    (void)state;
    mlps_kv_model_set set = builtins();
    assert_int_equal(set.count, 9);
    assert_int_equal(mlps_kv_builtin_model_count(), 9);
    assert_int_equal(bpt_of(&set, "tiny-1b"), 24576);
    assert_int_equal(bpt_of(&set, "mistral-7b"), 131072);
    assert_int_equal(bpt_of(&set, "llama2-7b"), 524288);
    assert_int_equal(bpt_of(&set, "llama3.1-8b"), 131072);
    assert_int_equal(bpt_of(&set, "llama3.1-70b-instruct"), 327680);
    assert_int_equal(bpt_of(&set, "deepseek-v3"), 70272);
    assert_int_equal(bpt_of(&set, "qwen3-32b"), 262144);
    assert_int_equal(bpt_of(&set, "gpt-oss-120b"), 73728);
    assert_int_equal(bpt_of(&set, "gpt-oss-20b"), 49152);
    const mlps_kv_model *deepseek = mlps_kv_models_find(&set, "deepseek-v3");
    assert_int_equal(deepseek->attention, MLPS_KV_ATTN_MLA);
    assert_int_equal(mlps_kv_model_head_dim(deepseek), 56);
    assert_string_equal(mlps_kv_models_find(&set, "llama3.1-8b")->name, "Llama 3.1 8B");
    assert_null(mlps_kv_models_find(&set, "llama4"));
    mlps_kv_models_free(&set);
}

static void test_dtype_and_element_bytes(void **state)
{
    (void)state;
    mlps_kv_model m = {.dtype = "float16"};
    assert_int_equal(mlps_kv_model_dtype_bytes(&m), 2);
    assert_int_equal(mlps_kv_model_element_bytes(&m), 2);
    strcpy(m.dtype, "bfloat16"); /* "float16" is in "bfloat16": stored as float16 too */
    assert_int_equal(mlps_kv_model_dtype_bytes(&m), 2);
    assert_int_equal(mlps_kv_model_element_bytes(&m), 2);
    strcpy(m.dtype, "float32");
    assert_int_equal(mlps_kv_model_dtype_bytes(&m), 4);
    assert_int_equal(mlps_kv_model_element_bytes(&m), 4);
    strcpy(m.dtype, "int8");
    assert_int_equal(mlps_kv_model_dtype_bytes(&m), 1);
    strcpy(m.dtype, "fp8");
    assert_int_equal(mlps_kv_model_dtype_bytes(&m), 2);
}

static void test_entry_shapes(void **state)
{
    (void)state;
    mlps_kv_model_set set = builtins();
    mlps_kv_entry_shape s = mlps_kv_model_entry_shape(mlps_kv_models_find(&set, "tiny-1b"), 10, 1);
    assert_int_equal(s.ndims, 5);
    uint64_t want[5] = {12, 2, 10, 4, 128};
    assert_memory_equal(s.dims, want, sizeof want);
    assert_int_equal(s.elements, 122880);
    assert_int_equal(s.bytes, 245760);

    s = mlps_kv_model_entry_shape(mlps_kv_models_find(&set, "deepseek-v3"), 100, 1);
    assert_int_equal(s.ndims, 3);
    assert_int_equal(s.dims[0], 61);
    assert_int_equal(s.dims[1], 100);
    assert_int_equal(s.dims[2], 576);
    assert_int_equal(s.bytes, 100 * 70272);

    /* TP: the first ⌊elements/TP⌋ elements, flattened. 12·2·7·4·128 = 86016; /5 = 17203. */
    s = mlps_kv_model_entry_shape(mlps_kv_models_find(&set, "tiny-1b"), 7, 5);
    assert_int_equal(s.ndims, 1);
    assert_int_equal(s.dims[0], 17203);
    assert_int_equal(s.bytes, 34406);
    mlps_kv_models_free(&set);
}

static json_t *yaml(const char *text)
{
    json_t *tree = NULL;
    mlps_cfg_yaml_problem problem;
    assert_int_equal(mlps_cfg_yaml_text_to_json(text, &tree, &problem), 0);
    return tree;
}

static void test_yaml_models_merge_over_builtins(void **state)
{
    (void)state;
    json_t *configs = yaml("tiny-1b:\n"
                           "  num_layers: 24\n"
                           "  name: Tiny 1B deep\n"
                           "my-mla:\n"
                           "  num_layers: 4\n"
                           "  attention_type: mla\n"
                           "  kv_lora_rank: 256\n"
                           "  qk_rope_head_dim: 32\n"
                           "  dtype: float32\n"
                           "my-gqa:\n"
                           "  hidden_dim: 256\n"
                           "  num_heads: 4\n"
                           "  kv_heads: 2\n"
                           "  num_layers: 3\n"
                           "  kv_dim_per_head: 16\n");
    mlps_kv_model_set set;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_models_init(&set, configs, &err), 0);
    assert_int_equal(set.count, 11);
    assert_int_equal(bpt_of(&set, "tiny-1b"), 49152); /* layers doubled, the rest kept */
    assert_string_equal(mlps_kv_models_find(&set, "tiny-1b")->name, "Tiny 1B deep");
    assert_int_equal(bpt_of(&set, "my-mla"), 4 * (256 + 32) * 4);
    assert_int_equal(bpt_of(&set, "my-gqa"), 3 * 2 * 16 * 2 * 2);
    assert_string_equal(mlps_kv_models_find(&set, "my-gqa")->name, "my-gqa");
    assert_int_equal(bpt_of(&set, "llama3.1-8b"), 131072);
    mlps_kv_models_free(&set);
    json_decref(configs);
}

static void expect_usage_error(const char *text, const char *fragment)
{
    json_t *configs = yaml(text);
    mlps_kv_model_set set = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_kv_models_init(&set, configs, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, fragment))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, fragment);
    assert_null(set.models);
    json_decref(configs);
}

static void test_bad_model_fields_name_the_key(void **state)
{
    (void)state;
    expect_usage_error("tiny-1b:\n  num_layers: many\n", "model_configs.tiny-1b.num_layers");
    expect_usage_error("tiny-1b:\n  dtype: 16\n", "model_configs.tiny-1b.dtype");
    expect_usage_error("x:\n  attention_type: sparse\n", "model_configs.x.attention_type");
    expect_usage_error("x:\n  kv_heads: 0\n", "model_configs.x.kv_heads");
    expect_usage_error("x:\n  num_layer: 3\n", "model_configs.x.num_layer: unknown field");
    expect_usage_error("x: 3\n", "model_configs.x");
}

static void test_unknown_model_lists_valid_keys(void **state)
{
    (void)state;
    mlps_kv_model_set set = builtins();
    mlps_error err = {0};
    assert_int_equal(mlps_kv_models_unknown(&set, "llama4", &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "llama4"));
    assert_non_null(strstr(err.message, "tiny-1b"));
    assert_non_null(strstr(err.message, "gpt-oss-20b"));
    mlps_kv_models_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_bytes_per_token),
        cmocka_unit_test(test_dtype_and_element_bytes),
        cmocka_unit_test(test_entry_shapes),
        cmocka_unit_test(test_yaml_models_merge_over_builtins),
        cmocka_unit_test(test_bad_model_fields_name_the_key),
        cmocka_unit_test(test_unknown_model_lists_valid_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
