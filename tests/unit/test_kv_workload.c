/* Tests of the synthetic KV-cache workload (spec 30 §4.2–4.3): conversation keys and turns,
 * request sizes within the user templates, the QoS mix, the phase rule, reproducibility, the
 * open-loop schedule of think times, autoscaling of the active users, RAG requests, and the
 * conversation manager and due-time heap underneath. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kvcache/conversation.h"
#include "kvcache/due_heap.h"
#include "kvcache/workload.h"
#include "kv_workload_test_util.h"

/* "user_%04d" → its index */
static int user_index(const mlps_kv_request *r)
{
    assert_int_equal(strncmp(r->user_id, "user_", 5), 0);
    return atoi(r->user_id + 5);
}

static void test_phase_rule_and_qos_roll(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    assert_int_equal(mlps_kv_phase_for_context(9999), MLPS_KV_REQ_PREFILL_DECODE);
    assert_int_equal(mlps_kv_phase_for_context(10000), MLPS_KV_REQ_PREFILL);
    assert_int_equal(mlps_kv_phase_for_context(1), MLPS_KV_REQ_PREFILL_DECODE);
    assert_int_equal(mlps_kv_qos_for_roll(0.0, &s), MLPS_KV_QOS_INTERACTIVE);
    assert_int_equal(mlps_kv_qos_for_roll(0.1499, &s), MLPS_KV_QOS_INTERACTIVE);
    assert_int_equal(mlps_kv_qos_for_roll(0.15, &s), MLPS_KV_QOS_RESPONSIVE);
    assert_int_equal(mlps_kv_qos_for_roll(0.4999, &s), MLPS_KV_QOS_RESPONSIVE);
    assert_int_equal(mlps_kv_qos_for_roll(0.5, &s), MLPS_KV_QOS_BATCH);
}

/* One user with conversations of exactly 4 turns: keys conv_user_0000_<n>_turn_<t>. */
static void test_conversation_keys_and_turns(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 7);
    k.options.num_users = 1;
    k.settings.end_conversation_probability = 0;
    k.settings.max_turns_per_conv = 4;
    mlps_kv_source *src = kv_open(&k);
    assert_string_equal(mlps_kv_source_mode(src), "synthetic");
    char expected[MLPS_KV_KEY_MAX];
    for (int i = 0; i < 10; i++) {
        mlps_kv_request r;
        uint64_t due;
        kv_next(src, KV_START_NS, &r, &due);
        int conversation = i / 4 + 1, turn = i % 4 + 1;
        snprintf(expected, sizeof expected, "conv_user_0000_%d", conversation);
        assert_string_equal(r.conversation_id, expected);
        snprintf(expected, sizeof expected, "conv_user_0000_%d_turn_%d", conversation, turn);
        assert_string_equal(r.key, expected);
        assert_int_equal(r.turn_number, turn);
        assert_string_equal(r.user_id, "user_0000");
        assert_int_equal(r.id, (uint64_t)i);
        assert_false(r.is_rag);
    }
    mlps_kv_source_free(src);
}

/* With the default end probability (0.2), turn n of a conversation always follows its n−1
 * earlier turns, so its history is exactly n−1 keys. */
static void test_turn_history_is_previous_turns(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 11);
    k.options.num_users = 5;
    mlps_kv_source *src = kv_open(&k);
    enum { N = 400 };
    static mlps_kv_request seen[N];
    int max_turn = 0, new_conversations = 0;
    for (int i = 0; i < N; i++) {
        uint64_t due;
        kv_next(src, KV_START_NS, &seen[i], &due);
        int earlier = 0;
        for (int j = 0; j < i; j++)
            earlier += strcmp(seen[j].conversation_id, seen[i].conversation_id) == 0;
        assert_int_equal(seen[i].turn_number, earlier + 1);
        char key[MLPS_KV_KEY_MAX];
        mlps_kv_conversation_turn_key(key, sizeof key, seen[i].conversation_id,
                                      seen[i].turn_number);
        assert_string_equal(seen[i].key, key);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "conv_%s_", seen[i].user_id);
        assert_int_equal(strncmp(seen[i].conversation_id, prefix, strlen(prefix)), 0);
        max_turn = seen[i].turn_number > max_turn ? seen[i].turn_number : max_turn;
        new_conversations += seen[i].turn_number == 1;
    }
    /* Ends with probability 0.2 per request: about 400 × 0.2 new conversations, some long. */
    assert_in_range(new_conversations, 50, 110);
    assert_true(max_turn >= 8);
    mlps_kv_source_free(src);
}

static void test_single_turn_keys(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 3);
    k.options.num_users = 3;
    k.options.disable_multi_turn = true;
    mlps_kv_source *src = kv_open(&k);
    for (int i = 0; i < 30; i++) {
        mlps_kv_request r;
        uint64_t due;
        kv_next(src, KV_START_NS, &r, &due);
        char expected[MLPS_KV_KEY_MAX];
        snprintf(expected, sizeof expected, "%s_req_%06d", r.user_id, i);
        assert_string_equal(r.key, expected);
        assert_string_equal(r.conversation_id, "");
        assert_int_equal(r.turn_number, 1);
    }
    mlps_kv_source_free(src);
}

/* Every request's sizes are within [max(1, min/4), max] of its user's template, and the phase
 * follows the context. */
static void test_sizes_within_templates_and_phase(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 5);
    k.options.num_users = 300;
    mlps_kv_source *src = kv_open(&k);
    int prefill = 0, seen_type[MLPS_KV_USER_TYPE_COUNT] = {0};
    for (int i = 0; i < 3000; i++) {
        mlps_kv_request r;
        uint64_t due;
        kv_next(src, KV_START_NS, &r, &due);
        const mlps_kv_user_template *t = &k.settings.templates[r.user_type];
        assert_in_range(r.context_tokens, t->context_min / 4, t->context_max);
        assert_in_range(r.generate_tokens, t->generation_min / 4, t->generation_max);
        assert_int_equal(r.phase, r.context_tokens >= 10000 ? MLPS_KV_REQ_PREFILL
                                                            : MLPS_KV_REQ_PREFILL_DECODE);
        prefill += r.phase == MLPS_KV_REQ_PREFILL;
        seen_type[r.user_type]++;
    }
    assert_true(prefill > 0);
    for (int t = 0; t < MLPS_KV_USER_TYPE_COUNT; t++)
        assert_true(seen_type[t] > 300);
    mlps_kv_source_free(src);
}

/* 1000 users: about 15 % interactive (the reference's test accepts 75..225), 35 % responsive,
 * priorities from the QoS profiles; a user keeps its class. */
static void test_qos_mix_of_1000_users(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 42);
    k.options.num_users = 1000;
    mlps_kv_source *src = kv_open(&k);
    static int qos_of[1000];
    for (int i = 0; i < 1000; i++)
        qos_of[i] = -1;
    int users_seen = 0, counts[MLPS_KV_QOS_COUNT] = {0};
    while (users_seen < 1000) {
        mlps_kv_request r;
        uint64_t due;
        kv_next(src, KV_START_NS, &r, &due);
        int u = user_index(&r);
        assert_int_equal(r.priority, 3 - (int)r.qos);
        if (qos_of[u] >= 0) {
            assert_int_equal(qos_of[u], r.qos);
            continue;
        }
        qos_of[u] = r.qos;
        counts[r.qos]++;
        users_seen++;
    }
    assert_in_range(counts[MLPS_KV_QOS_INTERACTIVE], 75, 225);
    assert_in_range(counts[MLPS_KV_QOS_RESPONSIVE], 280, 420);
    assert_in_range(counts[MLPS_KV_QOS_BATCH], 430, 570);
    mlps_kv_source_free(src);
}

static void collect(uint64_t seed, mlps_kv_request *out, uint64_t *due, int n)
{
    kv_setup k;
    kv_setup_defaults(&k, seed);
    k.options.num_users = 20;
    mlps_kv_source *src = kv_open(&k);
    for (int i = 0; i < n; i++)
        kv_next(src, KV_START_NS, &out[i], &due[i]);
    mlps_kv_source_free(src);
}

static void test_same_seed_same_requests(void **state)
{
    (void)state;
    enum { N = 200 };
    static mlps_kv_request a[N], b[N], c[N];
    static uint64_t due_a[N], due_b[N], due_c[N];
    collect(99, a, due_a, N);
    collect(99, b, due_b, N);
    collect(100, c, due_c, N);
    int differ = 0;
    for (int i = 0; i < N; i++) {
        assert_string_equal(a[i].key, b[i].key);
        assert_string_equal(a[i].user_id, b[i].user_id);
        assert_int_equal(a[i].context_tokens, b[i].context_tokens);
        assert_int_equal(a[i].generate_tokens, b[i].generate_tokens);
        assert_int_equal(a[i].qos, b[i].qos);
        assert_int_equal(due_a[i], due_b[i]);
        differ += a[i].context_tokens != c[i].context_tokens || due_a[i] != due_c[i];
    }
    assert_true(differ > N / 2);
}

/* Due times never go back, and each user's gaps (including the first, from the start) are
 * think × [0.8, 1.2] for one think time within its template's range. */
static void test_open_loop_schedule(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 2024);
    k.options.num_users = 30;
    mlps_kv_source *src = kv_open(&k);
    uint64_t last_due[30], min_gap[30], max_gap[30], previous = 0;
    int type_of[30];
    for (int u = 0; u < 30; u++)
        last_due[u] = KV_START_NS, min_gap[u] = UINT64_MAX, max_gap[u] = 0;
    for (int i = 0; i < 3000; i++) {
        mlps_kv_request r;
        uint64_t due;
        kv_next(src, KV_START_NS, &r, &due);
        assert_true(due >= previous);
        previous = due;
        int u = user_index(&r);
        uint64_t gap = due - last_due[u];
        last_due[u] = due;
        min_gap[u] = gap < min_gap[u] ? gap : min_gap[u];
        max_gap[u] = gap > max_gap[u] ? gap : max_gap[u];
        type_of[u] = r.user_type;
    }
    for (int u = 0; u < 30; u++) {
        const mlps_kv_user_template *t = &k.settings.templates[type_of[u]];
        assert_true(max_gap[u] > 0);
        assert_true((double)min_gap[u] >= 0.8 * t->think_min_s * 1e9 - 1);
        assert_true((double)max_gap[u] <= 1.2 * t->think_max_s * 1e9 + 1);
        /* one think time: max / min ≤ 1.2 / 0.8, and the jitter really spreads the gaps */
        assert_true((double)max_gap[u] <= 1.5 * (double)min_gap[u] + 2);
        assert_true((double)max_gap[u] > 1.2 * (double)min_gap[u]);
    }
    mlps_kv_source_free(src);
}

static void test_active_users_change(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 8);
    k.options.num_users = 10;
    mlps_kv_source *src = kv_open(&k);
    assert_int_equal(mlps_kv_source_active_users(src), 10);
    mlps_kv_request r;
    uint64_t due = 0;
    for (int i = 0; i < 50; i++)
        kv_next(src, KV_START_NS, &r, &due);

    mlps_kv_source_set_active_users(src, 3);
    assert_int_equal(mlps_kv_source_active_users(src), 3);
    int seen_low[3] = {0};
    for (int i = 0; i < 60; i++) {
        kv_next(src, due, &r, &due);
        assert_true(user_index(&r) < 3);
        seen_low[user_index(&r)]++;
    }
    for (int u = 0; u < 3; u++)
        assert_true(seen_low[u] > 0);

    uint64_t raised_at = due + UINT64_C(5000000000);
    mlps_kv_source_set_active_users(src, 6);
    assert_int_equal(mlps_kv_source_active_users(src), 6);
    uint64_t first_new[6] = {0};
    for (int i = 0; i < 200; i++) {
        kv_next(src, raised_at, &r, &due);
        int u = user_index(&r);
        assert_true(u < 6);
        if (u >= 3 && first_new[u] == 0)
            first_new[u] = due;
    }
    for (int u = 3; u < 6; u++) {
        assert_true(first_new[u] >= raised_at + (uint64_t)(0.8 * 0.1e9));
        assert_true(first_new[u] <= raised_at + (uint64_t)(1.2 * 1.5e9));
    }
    mlps_kv_source_set_active_users(src, 5000000);
    assert_int_equal(mlps_kv_source_active_users(src), 100000);
    mlps_kv_source_set_active_users(src, 0);
    assert_int_equal(mlps_kv_source_active_users(src), 1);
    for (int i = 0; i < 20; i++) {
        kv_next(src, due, &r, &due);
        assert_int_equal(user_index(&r), 0);
    }
    json_t *d = mlps_kv_source_describe(src);
    assert_string_equal(json_string_value(json_object_get(d, "mode")), "synthetic");
    assert_int_equal(json_integer_value(json_object_get(d, "users")), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "requests_issued")), 50 + 60 + 200 + 20);
    mlps_kv_source_free(src);
}

static void make_corpus(mlps_kv_rag_corpus *c, const mlps_kv_settings *s, int docs)
{
    mlps_kv_model m = {.key = "llama3.1-8b", .num_layers = 32, .hidden_dim = 4096,
                       .num_heads = 32, .kv_heads = 8, .dtype = "float16"};
    mlps_rng rng;
    mlps_rng_seed(&rng, 1);
    mlps_error err = {0};
    assert_int_equal(mlps_kv_rag_corpus_init(c, docs, &m, s, &rng, &err), 0);
}

/* With probability 1 every user request is followed by a RAG request on a live document, due
 * at the same time, sized by the chunks a retrieval picks. */
static void test_rag_requests_follow_user_requests(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 13);
    k.options.num_users = 4;
    k.settings.rag_request_probability = 1.0;
    k.settings.rag_max_documents = 3;
    mlps_kv_rag_corpus corpus;
    make_corpus(&corpus, &k.settings, 5);
    k.params.rag = &corpus;
    mlps_kv_source *src = kv_open(&k);
    int docs_seen[5] = {0};
    for (int i = 0; i < 100; i++) {
        mlps_kv_request user, rag;
        uint64_t due_user, due_rag;
        kv_next(src, KV_START_NS, &user, &due_user);
        kv_next(src, KV_START_NS, &rag, &due_rag);
        assert_false(user.is_rag);
        assert_true(rag.is_rag);
        assert_int_equal(due_rag, due_user);
        assert_int_equal(rag.id, user.id + 1);
        assert_int_equal(rag.phase, MLPS_KV_REQ_DECODE);
        assert_string_equal(rag.user_id, user.user_id);
        assert_int_equal(rag.qos, user.qos);
        assert_in_range(rag.rag_doc, 2, 4);
        char key[32];
        snprintf(key, sizeof key, "rag_doc_%04d", rag.rag_doc);
        assert_string_equal(rag.key, key);
        /* 5 of the document's 512-token chunks, one of which may be its shorter last one */
        assert_in_range(rag.context_tokens, 4 * 512 + 1, 5 * 512);
        assert_in_range(rag.generate_tokens, 50, 200);
        docs_seen[rag.rag_doc]++;
    }
    assert_true(docs_seen[2] > 0 && docs_seen[3] > 0 && docs_seen[4] > 0);
    mlps_kv_source_free(src);
    mlps_kv_rag_corpus_free(&corpus);
}

static void test_rag_probability_mix(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 17);
    k.options.num_users = 10;
    mlps_kv_rag_corpus corpus;
    make_corpus(&corpus, &k.settings, 10);
    k.params.rag = &corpus;
    mlps_kv_source *src = kv_open(&k);
    int rag = 0;
    for (int i = 0; i < 2000; i++) {
        mlps_kv_request r;
        uint64_t due;
        kv_next(src, KV_START_NS, &r, &due);
        rag += r.is_rag;
    }
    /* 0.1 per user request: rag / (2000 − rag) ≈ 0.1 → about 182 */
    assert_in_range(rag, 130, 235);
    json_t *d = mlps_kv_source_describe(src);
    assert_int_equal(json_integer_value(json_object_get(d, "rag_requests")), rag);
    mlps_kv_source_free(src);
    mlps_kv_rag_corpus_free(&corpus);
}

/* The reference's ConversationManager test: prefix, turns, cumulative tokens, previous keys,
 * and the cap on live conversations (least recently used forgotten first). */
static void test_conversation_manager(void **state)
{
    (void)state;
    mlps_kv_conversations m;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_conversations_init(&m, 5, 3, &err), 0);
    mlps_kv_conversation_ref a = mlps_kv_conversation_start(&m, "user_1", 1);
    assert_string_equal(mlps_kv_conversation_id(&m, a), "conv_user_1_1");
    char key[MLPS_KV_KEY_MAX];
    assert_int_equal(mlps_kv_conversation_add_turn(&m, a, 100, 50, key, sizeof key), 1);
    assert_string_equal(key, "conv_user_1_1_turn_1");
    assert_false(mlps_kv_conversation_full(&m, a));
    assert_int_equal(mlps_kv_conversation_add_turn(&m, a, 200, 100, key, sizeof key), 2);
    assert_string_equal(key, "conv_user_1_1_turn_2");
    assert_int_equal(mlps_kv_conversation_tokens(&m, a), 450);
    assert_int_equal(mlps_kv_conversation_turns(&m, a), 2);
    assert_int_equal(mlps_kv_conversation_add_turn(&m, a, 1, 1, key, sizeof key), 3);
    assert_true(mlps_kv_conversation_full(&m, a));

    mlps_kv_conversation_ref refs[5];
    refs[0] = a;
    for (int i = 1; i < 5; i++)
        refs[i] = mlps_kv_conversation_start(&m, "user_2", (uint64_t)i);
    for (int i = 0; i < 5; i++)
        assert_true(mlps_kv_conversation_live(&m, refs[i]));
    /* Recency, oldest first: a, refs[1..4]; a turn of refs[1] moves it to the young end. */
    assert_int_equal(mlps_kv_conversation_add_turn(&m, refs[1], 1, 1, key, sizeof key), 1);
    mlps_kv_conversation_ref f = mlps_kv_conversation_start(&m, "user_3", 1);
    assert_true(mlps_kv_conversation_live(&m, f));
    assert_false(mlps_kv_conversation_live(&m, a));
    assert_true(mlps_kv_conversation_live(&m, refs[1]));
    assert_int_equal(m.count, 5);
    assert_int_equal(m.forgotten, 1);
    assert_int_equal(mlps_kv_conversation_add_turn(&m, a, 1, 1, key, sizeof key), -ENOENT);
    assert_null(mlps_kv_conversation_id(&m, a));
    mlps_kv_conversation_ref g = mlps_kv_conversation_start(&m, "user_3", 2);
    assert_false(mlps_kv_conversation_live(&m, refs[2]));
    assert_true(mlps_kv_conversation_live(&m, g));
    assert_false(mlps_kv_conversation_live(&m, (mlps_kv_conversation_ref){0}));
    mlps_kv_conversations_free(&m);
}

/* With more users than conversations allowed, forgotten conversations restart cleanly. */
static void test_conversation_cap_in_source(void **state)
{
    (void)state;
    kv_setup k;
    kv_setup_defaults(&k, 21);
    k.options.num_users = 8;
    k.settings.max_conversations = 3;
    k.settings.end_conversation_probability = 0;
    mlps_kv_source *src = kv_open(&k);
    for (int i = 0; i < 200; i++) {
        mlps_kv_request r;
        uint64_t due;
        kv_next(src, KV_START_NS, &r, &due);
        char key[MLPS_KV_KEY_MAX];
        mlps_kv_conversation_turn_key(key, sizeof key, r.conversation_id, r.turn_number);
        assert_string_equal(r.key, key);
    }
    json_t *d = mlps_kv_source_describe(src);
    assert_true(json_integer_value(json_object_get(d, "conversations_forgotten")) > 0);
    mlps_kv_source_free(src);
}

static void test_due_heap_order(void **state)
{
    (void)state;
    mlps_kv_due_heap h;
    mlps_kv_due_heap_init(&h);
    const uint64_t due[] = {50, 10, 30, 10, 70, 20, 30, 5};
    for (int i = 0; i < 8; i++)
        assert_int_equal(mlps_kv_due_heap_push(&h, due[i], i), 0);
    const int order[] = {7, 1, 3, 5, 2, 6, 0, 4};
    mlps_kv_due d;
    for (int i = 0; i < 8; i++) {
        assert_true(mlps_kv_due_heap_pop(&h, &d));
        assert_int_equal(d.user, order[i]);
    }
    assert_false(mlps_kv_due_heap_pop(&h, &d));
    for (int i = 0; i < 1000; i++)
        assert_int_equal(mlps_kv_due_heap_push(&h, (uint64_t)((i * 7919) % 1000), i), 0);
    uint64_t last = 0;
    for (int i = 0; i < 1000; i++) {
        assert_true(mlps_kv_due_heap_pop(&h, &d));
        assert_true(d.due_ns >= last);
        last = d.due_ns;
    }
    mlps_kv_due_heap_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phase_rule_and_qos_roll),
        cmocka_unit_test(test_conversation_keys_and_turns),
        cmocka_unit_test(test_turn_history_is_previous_turns),
        cmocka_unit_test(test_single_turn_keys),
        cmocka_unit_test(test_sizes_within_templates_and_phase),
        cmocka_unit_test(test_qos_mix_of_1000_users),
        cmocka_unit_test(test_same_seed_same_requests),
        cmocka_unit_test(test_open_loop_schedule),
        cmocka_unit_test(test_active_users_change),
        cmocka_unit_test(test_rag_requests_follow_user_requests),
        cmocka_unit_test(test_rag_probability_mix),
        cmocka_unit_test(test_conversation_manager),
        cmocka_unit_test(test_conversation_cap_in_source),
        cmocka_unit_test(test_due_heap_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
