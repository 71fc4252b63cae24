/* Tests of the KV-cache settings (kvcache/settings.c): the reference's code defaults, its
 * config.yaml loading to the exact values, and the strict checks (unknown keys at any level,
 * wrong types, malformed [min, max] lists, out-of-range values, model_configs kept as JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvcache/settings.h"
#include "scratch_dir.h"

/* tests/fixtures/kvcache/config.yaml, found from this file's own path. */
static void fixture_path(char *out)
{
    char here[PATH_MAX];
    snprintf(here, sizeof here, "%s", __FILE__);
    char *unit_dir = dirname(here);
    char tests_dir[PATH_MAX];
    snprintf(tests_dir, sizeof tests_dir, "%s", unit_dir);
    snprintf(out, PATH_MAX, "%s/fixtures/kvcache/config.yaml", dirname(tests_dir));
}

/* Writes text to <scratch>/name and returns its path in out. */
static void write_yaml(char *out, const char *name, const char *text)
{
    in_scratch(out, name);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads text as config.yaml over the defaults; returns the loader's code. */
static int load_text(const char *text, mlps_kv_settings *s, mlps_error *err)
{
    char path[PATH_MAX];
    write_yaml(path, "config.yaml", text);
    mlps_kv_settings_defaults(s);
    return mlps_kv_settings_load(s, path, err);
}

static void expect_usage_error(const char *text, const char *const *fragments)
{
    mlps_kv_settings s;
    mlps_error err = {0};
    assert_int_equal(load_text(text, &s, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    for (; *fragments; fragments++) {
        if (!strstr(err.message, *fragments))
            fail_msg("'%s' not in: %s", *fragments, err.message);
    }
    assert_null(strchr(err.message, '\n'));
    mlps_kv_settings_free(&s);
}

static void assert_template(const mlps_kv_user_template *t, int64_t c0, int64_t c1, int64_t g0,
                            int64_t g1, double t0, double t1)
{
    assert_int_equal(t->context_min, c0);
    assert_int_equal(t->context_max, c1);
    assert_int_equal(t->generation_min, g0);
    assert_int_equal(t->generation_max, g1);
    assert_true(t->think_min_s == t0);
    assert_true(t->think_max_s == t1);
}

static void assert_qos(const mlps_kv_qos_profile *q, double p95, double p99, double p999,
                       double p9999, int priority)
{
    assert_true(q->target_p95_ms == p95);
    assert_true(q->target_p99_ms == p99);
    assert_true(q->target_p999_ms == p999);
    assert_true(q->target_p9999_ms == p9999);
    assert_int_equal(q->priority, priority);
}

/* The values the reference's code and its config.yaml agree on. */
static void assert_reference_values(const mlps_kv_settings *s)
{
    assert_template(&s->templates[MLPS_KV_USER_CHATBOT], 512, 4096, 50, 200, 0.1, 0.5);
    assert_template(&s->templates[MLPS_KV_USER_CODING], 4096, 25000, 100, 500, 0.2, 1.0);
    assert_template(&s->templates[MLPS_KV_USER_DOCUMENT], 4096, 16384, 200, 800, 0.3, 1.5);
    assert_qos(&s->qos[MLPS_KV_QOS_INTERACTIVE], 50, 100, 150, 200, 3);
    assert_qos(&s->qos[MLPS_KV_QOS_RESPONSIVE], 100, 200, 350, 500, 2);
    assert_qos(&s->qos[MLPS_KV_QOS_BATCH], 1000, 5000, 7500, 10000, 1);
    assert_true(s->interactive_probability == 0.15);
    assert_true(s->responsive_threshold == 0.50);
    assert_int_equal(s->max_recursion_depth, 10);
    assert_true(s->target_usage_ratio == 0.8);
    assert_true(s->large_entry_limit_ratio == 0.95);
    assert_int_equal(s->max_evictions_hard_cap, 5000);
    assert_int_equal(s->max_evictions_min, 1000);
    assert_true(s->system_prompt_hit_probability == 0.2);
    assert_int_equal(s->rag_chunk_size_tokens, 512);
    assert_int_equal(s->rag_top_k_chunks, 5);
    assert_int_equal(s->rag_max_chunk_bytes, 268435456);
    assert_true(s->rag_request_probability == 0.1);
    assert_int_equal(s->rag_retrieval, MLPS_KV_RETRIEVAL_ZIPFIAN);
    assert_int_equal(s->rag_max_documents, 0);
    assert_int_equal(s->rag_large_model_doc_tokens_min, 1024);
    assert_int_equal(s->rag_large_model_doc_tokens_max, 4096);
    assert_int_equal(s->rag_small_model_doc_tokens_min, 4000);
    assert_int_equal(s->rag_small_model_doc_tokens_max, 12000);
    assert_int_equal(s->max_conversations, 1000);
    assert_int_equal(s->max_turns_per_conv, 50);
    assert_true(s->end_conversation_probability == 0.2);
    assert_int_equal(s->autoscaler_min_users, 1);
    assert_int_equal(s->autoscaler_max_users, 10000);
    assert_int_equal(s->decode_batch_size, 32);
    assert_true(s->read_latency_p95_threshold_ms == 100);
    assert_true(s->write_latency_p95_threshold_ms == 50);
    assert_int_equal(s->queue_depth_threshold, 100);
}

static void defaults_are_the_reference_code_defaults(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    assert_reference_values(&s);
    assert_null(s.model_configs);
    mlps_kv_settings_free(&s);
}

/* The schema's defaults (what a config without the key reads) and the struct's agree. */
static void an_empty_config_reads_as_the_defaults(void **state)
{
    (void)state;
    mlps_config *cfg = mlps_config_new(mlps_kv_settings_schema());
    assert_non_null(cfg);
    mlps_kv_settings read, defaults;
    mlps_kv_settings_defaults(&read);
    mlps_kv_settings_defaults(&defaults);
    read.decode_batch_size = 7; /* replaced */
    mlps_error err = {0};
    assert_int_equal(mlps_kv_settings_from_config(&read, cfg, "test", &err), 0);
    assert_memory_equal(&read, &defaults, sizeof read);
    mlps_config_free(cfg);
}

static void the_reference_config_loads_with_its_values(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture_path(path);
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    mlps_error err = {0};
    int rc = mlps_kv_settings_load(&s, path, &err);
    if (rc)
        fail_msg("%s", err.message);
    assert_reference_values(&s);
    /* model_configs is kept whole for the model registry. */
    assert_true(json_is_object(s.model_configs));
    assert_int_equal(json_object_size(s.model_configs), 9);
    json_t *llama = json_object_get(s.model_configs, "llama3.1-8b");
    assert_int_equal(json_integer_value(json_object_get(llama, "num_layers")), 32);
    assert_int_equal(json_integer_value(json_object_get(llama, "kv_heads")), 8);
    assert_string_equal(json_string_value(json_object_get(llama, "name")), "Llama 3.1 8B");
    json_t *deepseek = json_object_get(s.model_configs, "deepseek-v3");
    assert_string_equal(json_string_value(json_object_get(deepseek, "attention_type")), "mla");
    assert_int_equal(json_integer_value(json_object_get(deepseek, "kv_lora_rank")), 512);
    json_t *qwen = json_object_get(s.model_configs, "qwen3-32b");
    assert_int_equal(json_integer_value(json_object_get(qwen, "kv_dim_per_head")), 128);
    mlps_kv_settings_free(&s);
}

static void values_in_the_file_replace_the_defaults(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_error err = {0};
    assert_int_equal(load_text("user_templates:\n  coding:\n    context_range: [100, 200]\n"
                               "    think_time_range: [0, 2]\n"
                               "eviction:\n  target_usage_ratio: 0.5\n"
                               "rag:\n  retrieval_distribution: uniform\n"
                               "  max_chunk_bytes: 1048576\n"
                               "conversation:\n  end_conversation_probability: 0.5\n"
                               "model_configs:\n  my-model:\n    num_layers: 2\n",
                               &s, &err),
                     0);
    assert_int_equal(s.templates[MLPS_KV_USER_CODING].context_min, 100);
    assert_int_equal(s.templates[MLPS_KV_USER_CODING].context_max, 200);
    assert_true(s.templates[MLPS_KV_USER_CODING].think_max_s == 2.0);
    assert_int_equal(s.templates[MLPS_KV_USER_CODING].generation_max, 500); /* default */
    assert_true(s.target_usage_ratio == 0.5);
    assert_int_equal(s.rag_retrieval, MLPS_KV_RETRIEVAL_UNIFORM);
    assert_int_equal(s.rag_max_chunk_bytes, 1048576);
    assert_true(s.end_conversation_probability == 0.5);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(s.model_configs, "my-model"), "num_layers")),
                     2);
    mlps_kv_settings_free(&s);
}

/* Keys the reference validates and then ignores are accepted, with their types checked. */
static void ignored_keys_are_accepted_and_type_checked(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_error err = {0};
    assert_int_equal(load_text("generation_timing:\n  fast: 0.5\nsharegpt:\n  max_context_tokens: 99\n"
                               "validation_limits:\n  max_users: 5\n",
                               &s, &err),
                     0);
    mlps_kv_settings defaults;
    mlps_kv_settings_defaults(&defaults);
    assert_memory_equal(&s, &defaults, sizeof s);
    mlps_kv_settings_free(&s);
    expect_usage_error("sharegpt:\n  max_context_tokens: many\n",
                       (const char *[]){"sharegpt.max_context_tokens", "integer", NULL});
}

static void an_unknown_top_level_key_is_named_with_the_file(void **state)
{
    (void)state;
    expect_usage_error("evictionz:\n  max_recursion_depth: 3\n",
                       (const char *[]){"unknown config key 'evictionz", "config.yaml", NULL});
    expect_usage_error("decode_batch: 3\n",
                       (const char *[]){"unknown config key 'decode_batch'", "config.yaml",
                                        "valid top-level keys are", "user_templates", NULL});
}

static void an_unknown_nested_key_is_named_with_the_nearest(void **state)
{
    (void)state;
    expect_usage_error("eviction:\n  target_usage_ration: 0.5\n",
                       (const char *[]){"unknown config key 'eviction.target_usage_ration'",
                                        "config.yaml line 2",
                                        "did you mean 'eviction.target_usage_ratio'?", NULL});
    expect_usage_error("user_templates:\n  chatbot:\n    context_rang: [1, 2]\n",
                       (const char *[]){"user_templates.chatbot.context_rang",
                                        "did you mean 'user_templates.chatbot.context_range'?",
                                        NULL});
    expect_usage_error("qos_profiles:\n  premium:\n    priority: 4\n",
                       (const char *[]){"unknown config key 'qos_profiles.premium'",
                                        "valid keys under 'qos_profiles' are: interactive, "
                                        "responsive, batch",
                                        NULL});
}

static void a_wrong_type_is_rejected(void **state)
{
    (void)state;
    expect_usage_error("eviction:\n  max_recursion_depth: 10.5\n",
                       (const char *[]){"eviction.max_recursion_depth", "integer", NULL});
    expect_usage_error("qos_profiles:\n  batch:\n    target_latency_p95_ms: fast\n",
                       (const char *[]){"qos_profiles.batch.target_latency_p95_ms", "number", NULL});
    expect_usage_error("eviction: 5\n", (const char *[]){"'eviction' is a section", NULL});
    expect_usage_error("decode:\n  batch_size: [32]\n",
                       (const char *[]){"decode.batch_size", "integer", NULL});
    expect_usage_error("rag:\n  retrieval_distribution: gaussian\n",
                       (const char *[]){"rag.retrieval_distribution", "zipfian, uniform, random",
                                        NULL});
}

static void ranges_must_be_two_ordered_numbers(void **state)
{
    (void)state;
    const char *names[] = {"user_templates.chatbot.context_range", "[min, max]", NULL};
    expect_usage_error("user_templates:\n  chatbot:\n    context_range: [512]\n", names);
    expect_usage_error("user_templates:\n  chatbot:\n    context_range: 512\n", names);
    expect_usage_error("user_templates:\n  chatbot:\n    context_range: [4096, 512]\n", names);
    expect_usage_error("user_templates:\n  chatbot:\n    context_range: [0, 512]\n", names);
    expect_usage_error("user_templates:\n  chatbot:\n    context_range: [1.5, 512]\n", names);
    expect_usage_error("user_templates:\n  document:\n    think_time_range: [0.1, x]\n",
                       (const char *[]){"user_templates.document.think_time_range", NULL});
    expect_usage_error("user_templates:\n  document:\n    think_time_range: [-1, 1]\n",
                       (const char *[]){"user_templates.document.think_time_range", NULL});
}

static void values_out_of_bounds_are_rejected(void **state)
{
    (void)state;
    expect_usage_error("qos_distribution:\n  interactive_probability: 1.5\n",
                       (const char *[]){"qos_distribution.interactive_probability",
                                        "between 0 and 1", "got 1.5", "config.yaml", NULL});
    expect_usage_error("decode:\n  batch_size: 0\n",
                       (const char *[]){"decode.batch_size", "between 1", NULL});
    expect_usage_error("qos_distribution:\n  interactive_probability: 0.6\n",
                       (const char *[]){"qos_distribution.interactive_probability",
                                        "must not exceed 'qos_distribution.responsive_threshold'",
                                        NULL});
    expect_usage_error("autoscaler:\n  min_users: 50\n  max_users: 10\n",
                       (const char *[]){"autoscaler.min_users", NULL});
}

static void model_configs_must_map_keys_to_fields(void **state)
{
    (void)state;
    expect_usage_error("model_configs: [a, b]\n", (const char *[]){"'model_configs'", NULL});
    expect_usage_error("model_configs:\n  m1: 5\n", (const char *[]){"'model_configs.m1'", NULL});
}

static void a_failed_load_leaves_the_settings_unchanged(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_error err = {0};
    assert_int_equal(load_text("decode:\n  batch_size: 8\nmodel_configs:\n  m:\n    num_layers: 1\n",
                               &s, &err),
                     0);
    char path[PATH_MAX];
    write_yaml(path, "bad.yaml", "decode:\n  batch_size: 16\neviction:\n  nope: 1\n");
    assert_int_equal(mlps_kv_settings_load(&s, path, &err), -EINVAL);
    assert_int_equal(s.decode_batch_size, 8);
    assert_non_null(json_object_get(s.model_configs, "m"));
    in_scratch(path, "missing.yaml");
    assert_int_equal(mlps_kv_settings_load(&s, path, &err), -ENOENT);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "missing.yaml"));
    assert_int_equal(s.decode_batch_size, 8);
    mlps_kv_settings_free(&s);
}

/* -p overrides go through the same schema and checks. */
static void overrides_are_read_like_the_file(void **state)
{
    (void)state;
    mlps_config *cfg = mlps_config_new(mlps_kv_settings_schema());
    mlps_error err = {0};
    assert_int_equal(mlps_config_apply_override(cfg, "user_templates.chatbot.generation_range=[10, 20]",
                                                &err),
                     0);
    assert_int_equal(mlps_config_apply_override(cfg, "decode.batch_size=64", &err), 0);
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    assert_int_equal(mlps_kv_settings_from_config(&s, cfg, "from -p", &err), 0);
    assert_int_equal(s.templates[MLPS_KV_USER_CHATBOT].generation_min, 10);
    assert_int_equal(s.templates[MLPS_KV_USER_CHATBOT].generation_max, 20);
    assert_int_equal(s.decode_batch_size, 64);
    assert_int_equal(mlps_config_apply_override(cfg, "decode.batch_size=0", &err), 0);
    assert_int_equal(mlps_kv_settings_from_config(&s, cfg, "from -p", &err), -EINVAL);
    assert_non_null(strstr(err.message, "(from -p)"));
    assert_int_equal(s.decode_batch_size, 64);
    assert_int_equal(mlps_config_apply_override(cfg, "decode.batchsize=1", &err), -EINVAL);
    assert_non_null(strstr(err.message, "did you mean 'decode.batch_size'?"));
    mlps_kv_settings_free(&s);
    mlps_config_free(cfg);
}

static int setup(void **state)
{
    (void)state;
    return scratch_create("kv_settings");
}

int main(void)
{
    (void)count_entries; /* scratch_dir.h's helper for tests that count files */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_reference_code_defaults),
        cmocka_unit_test(an_empty_config_reads_as_the_defaults),
        cmocka_unit_test(the_reference_config_loads_with_its_values),
        cmocka_unit_test(values_in_the_file_replace_the_defaults),
        cmocka_unit_test(ignored_keys_are_accepted_and_type_checked),
        cmocka_unit_test(an_unknown_top_level_key_is_named_with_the_file),
        cmocka_unit_test(an_unknown_nested_key_is_named_with_the_nearest),
        cmocka_unit_test(a_wrong_type_is_rejected),
        cmocka_unit_test(ranges_must_be_two_ordered_numbers),
        cmocka_unit_test(values_out_of_bounds_are_rejected),
        cmocka_unit_test(model_configs_must_map_keys_to_fields),
        cmocka_unit_test(a_failed_load_leaves_the_settings_unchanged),
        cmocka_unit_test(overrides_are_read_like_the_file),
    };
    return cmocka_run_group_tests(tests, setup, remove_scratch);
}
