/* Tests for one KV-cache request's cache operations (kvcache/run_request.c) against a real cache
 * with a CPU tier: the reads and writes of each step counted exactly per request and turn
 * (history reads of turns 1..N−1, one prefill write, 1 + ⌈g/32⌉ decode reads on a hit, none for
 * a context of 10000 tokens or more), an allocation on a decode miss, --prefill-only and
 * --decode-only, the prefix cache written once then hit under the reference's key names, and
 * the per-request records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "kvcache/run_internal.h"
#include "scratch_dir.h"

typedef struct fixture {
    mlps_kv_options options;
    mlps_kv_settings settings;
    mlps_kv_model_set models;
    mlps_kv_run_result result;
    mlps_kv_run_state run;
    mlps_rng rng;
    char cache_dir[PATH_MAX];
} fixture;

static int create_scratch(void **state)
{
    (void)state;
    return scratch_create("test_kv_run_request");
}

static int setup(void **state)
{
    static fixture f;
    static int test_number;
    memset(&f, 0, sizeof f);
    char name[32];
    snprintf(name, sizeof name, "cache%d", test_number++);
    in_scratch(f.cache_dir, name);
    assert_int_equal(mkdir(f.cache_dir, 0755), 0);
    mlps_kv_options_defaults(&f.options);
    f.options.generation_mode = MLPS_KV_GEN_NONE;
    f.options.disable_prefix_caching = true;
    mlps_kv_settings_defaults(&f.settings);
    mlps_error err = {0};
    assert_int_equal(mlps_kv_models_init(&f.models, NULL, &err), 0);
    const mlps_kv_model *tiny = mlps_kv_models_find(&f.models, "tiny-1b");
    assert_non_null(tiny);
    mlps_kv_run_result_init(&f.result);

    mlps_kv_run_state *run = &f.run;
    run->options = &f.options;
    run->settings = &f.settings;
    run->model = tiny;
    run->bytes_per_token = mlps_kv_model_bytes_per_token(tiny);
    run->result = &f.result;
    run->reloads_history = true;
    pthread_mutex_init(&run->source_lock, NULL);
    pthread_mutex_init(&run->result_lock, NULL);
    pthread_mutex_init(&run->stop_lock, NULL);
    pthread_cond_init(&run->stop_changed, NULL);
    mlps_kv_run_prepare_prefixes(run);

    mlps_kv_cache_params params = {
        .model = tiny,
        .tensor_parallel = 1,
        .seed = 42,
        .cpu_limit_bytes = 1ull << 30, /* everything fits in the CPU tier */
        .cache_dir = f.cache_dir,
        .settings = &f.settings,
    };
    assert_int_equal(mlps_kv_cache_new(&params, &run->cache, &err), 0);
    mlps_rng_seed(&f.rng, 7);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mlps_kv_cache_free(f->run.cache);
    pthread_cond_destroy(&f->run.stop_changed);
    pthread_mutex_destroy(&f->run.stop_lock);
    pthread_mutex_destroy(&f->run.result_lock);
    pthread_mutex_destroy(&f->run.source_lock);
    mlps_kv_run_result_destroy(&f->result);
    mlps_kv_models_free(&f->models);
    mlps_kv_settings_free(&f->settings);
    return 0;
}

static mlps_kv_request turn_request(const char *conversation, int turn, int64_t context, int64_t generate)
{
    mlps_kv_request r = {.turn_number = turn, .context_tokens = context, .generate_tokens = generate,
                         .qos = MLPS_KV_QOS_BATCH, .priority = 1,
                         .phase = mlps_kv_phase_for_context(context)};
    snprintf(r.conversation_id, sizeof r.conversation_id, "%s", conversation);
    snprintf(r.key, sizeof r.key, "%s_turn_%d", conversation, turn);
    snprintf(r.user_id, sizeof r.user_id, "user_0000");
    return r;
}

static mlps_kv_cache_counters counters(fixture *f)
{
    mlps_kv_cache_counters c;
    mlps_kv_cache_counters_get(f->run.cache, &c);
    return c;
}

static void turns_cost_history_write_and_decode_reads(void **state)
{
    fixture *f = *state;
    /* turn 1: write, then 1 + ⌈64/32⌉ = 3 decode reads */
    mlps_kv_request r = turn_request("conv_a", 1, 100, 64);
    mlps_kv_run_request(&f->run, &r, &f->rng);
    mlps_kv_cache_counters c = counters(f);
    assert_int_equal(c.write_operations, 1);
    assert_int_equal(c.prefill_writes, 1);
    assert_int_equal(c.read_operations, 3);
    assert_int_equal(c.decode_reads, 3);
    /* turn 2: 1 history read, write, 1 + ⌈65/32⌉ = 4 decode reads */
    r = turn_request("conv_a", 2, 100, 65);
    mlps_kv_run_request(&f->run, &r, &f->rng);
    c = counters(f);
    assert_int_equal(c.write_operations, 2);
    assert_int_equal(c.read_operations, 3 + 5);
    assert_int_equal(c.multi_turn_hits, 1);
    /* turn 3 with 10000 context tokens: prefill only, 2 history reads and no decode */
    r = turn_request("conv_a", 3, 10000, 500);
    assert_int_equal(r.phase, MLPS_KV_REQ_PREFILL);
    mlps_kv_run_request(&f->run, &r, &f->rng);
    c = counters(f);
    assert_int_equal(c.write_operations, 3);
    assert_int_equal(c.prefill_writes, 3);
    assert_int_equal(c.read_operations, 3 + 5 + 2);
    assert_int_equal(c.decode_reads, 10); /* history reads are decode-phase reads, as upstream */
    assert_int_equal(c.multi_turn_hits, 3);
    assert_int_equal(c.cache_hits, 10);
    assert_int_equal(c.cache_misses, 0);
    assert_int_equal(c.total_write_bytes, (100 + 100 + 10000) * 24576ull);

    assert_int_equal(f->result.requests_completed, 3);
    assert_int_equal(f->result.total_tokens_generated, 64 + 65 + 500);
    assert_int_equal(f->result.multi_turn_hits, 3);
    assert_int_equal(f->result.multi_turn_misses, 0);
    assert_int_equal(f->result.requests_with_reads, 3);
    assert_int_equal(f->result.requests_all_hit, 3);
    assert_int_equal(mlps_kv_samples_count(&f->result.e2e), 3);
    assert_int_equal(mlps_kv_samples_count(&f->result.prefill), 3);
    assert_int_equal(mlps_kv_samples_count(&f->result.decode), 2);
    assert_int_equal(mlps_kv_samples_count(&f->result.qos_e2e[MLPS_KV_QOS_BATCH]), 3);
    assert_int_equal(c.tier_entries[MLPS_KV_TIER_CPU], 3);
    assert_int_equal(count_entries(f->cache_dir), 0); /* the CPU tier held them: no file */
}

static void missing_history_counts_as_multi_turn_misses(void **state)
{
    fixture *f = *state;
    mlps_kv_request r = turn_request("conv_gone", 4, 100, 10);
    mlps_kv_run_request(&f->run, &r, &f->rng);
    mlps_kv_cache_counters c = counters(f);
    assert_int_equal(c.cache_misses, 3);
    assert_int_equal(f->result.multi_turn_misses, 3);
    assert_int_equal(f->result.requests_all_hit, 0); /* one request, its reads did not all hit */
    assert_int_equal(f->result.requests_with_reads, 1);
}

static void a_decode_miss_allocates_the_entry(void **state)
{
    fixture *f = *state;
    mlps_kv_request r = {.key = "rag_doc_0001", .context_tokens = 300, .generate_tokens = 50,
                         .phase = MLPS_KV_REQ_DECODE, .is_rag = true, .qos = MLPS_KV_QOS_RESPONSIVE};
    mlps_kv_run_request(&f->run, &r, &f->rng);
    mlps_kv_cache_counters c = counters(f);
    assert_int_equal(c.cache_misses, 1);
    assert_int_equal(c.write_operations, 1);
    assert_int_equal(c.prefill_writes, 1);
    assert_true(mlps_kv_cache_contains(f->run.cache, "rag_doc_0001"));
    assert_int_equal(f->result.rag_requests, 1);
}

static void prefill_only_skips_decode_and_decode_only_skips_writes(void **state)
{
    fixture *f = *state;
    f->options.prefill_only = true;
    mlps_kv_request r = turn_request("conv_p", 1, 100, 64);
    mlps_kv_run_request(&f->run, &r, &f->rng);
    mlps_kv_cache_counters c = counters(f);
    assert_int_equal(c.write_operations, 1);
    assert_int_equal(c.read_operations, 0);
    f->options.prefill_only = false;

    f->options.decode_only = true;
    static char key[] = "conv_p_turn_1";
    char *keys[] = {key};
    f->run.prepopulated_keys = keys;
    f->run.prepopulated_count = 1;
    r = turn_request("conv_q", 2, 100, 64);
    mlps_kv_run_request(&f->run, &r, &f->rng);
    c = counters(f);
    assert_int_equal(c.write_operations, 1); /* no prefill, no history */
    assert_int_equal(c.read_operations, 3);  /* 1 + ⌈64/32⌉ of the pre-populated key */
    assert_int_equal(c.cache_hits, 3);
    f->run.prepopulated_keys = NULL;
    f->run.prepopulated_count = 0;
    f->options.decode_only = false;
}

static void the_prefix_cache_is_written_once_then_hit(void **state)
{
    fixture *f = *state;
    static const char *const reference_keys[] = {
        "kv_system_0b7588a77cb9c73b", "kv_system_ea8ffc489f80c165", "kv_system_2ed87f49657692a2"};
    static const int reference_words[] = {5, 9, 6};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(f->run.system_prompt_keys[i], reference_keys[i]);
        assert_int_equal(f->run.system_prompt_tokens[i], reference_words[i]);
    }
    f->options.disable_prefix_caching = false;
    f->settings.system_prompt_hit_probability = 1.0;
    for (int i = 0; i < 40; i++) {
        char conversation[32];
        snprintf(conversation, sizeof conversation, "conv_s%d", i);
        mlps_kv_request r = turn_request(conversation, 1, 100, 10);
        mlps_kv_run_request(&f->run, &r, &f->rng);
    }
    /* 40 prefix reads over 3 prompts: each prompt misses once and is written once */
    int prompts_used = 0;
    for (int i = 0; i < 3; i++)
        prompts_used += mlps_kv_cache_contains(f->run.cache, reference_keys[i]);
    assert_true(prompts_used >= 2);
    assert_int_equal(f->result.prefix_misses, (uint64_t)prompts_used);
    assert_int_equal(f->result.prefix_writes, (uint64_t)prompts_used);
    assert_int_equal(f->result.prefix_hits, 40 - (uint64_t)prompts_used);
    mlps_kv_cache_counters c = counters(f);
    /* prefix hits and the decode reads of a request whose prompt matched count as system hits */
    assert_true(c.system_prompt_hits >= f->result.prefix_hits);
    assert_int_equal(f->result.prefix_bytes_saved % 24576, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(turns_cost_history_write_and_decode_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_history_counts_as_multi_turn_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(a_decode_miss_allocates_the_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(prefill_only_skips_decode_and_decode_only_skips_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(the_prefix_cache_is_written_once_then_hit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, create_scratch, remove_scratch);
}
