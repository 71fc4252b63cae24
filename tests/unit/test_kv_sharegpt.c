/* Tests of ShareGPT replay (spec 30 §4.4): human→gpt pairs and their turn numbers, tokens as
 * code points / 4 with the 16384 / 2048 caps, the first --max-conversations entries, seeded
 * reshuffles per cycle, --request-rate spacing, replay cycles, usage errors for a file of the
 * wrong shape, and the fall back to synthetic users for a dataset without pairs. */
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
#include "kvcache/sharegpt.h"
#include "kvcache/workload.h"
#include "kv_workload_test_util.h"
#include "scratch_dir.h"

static char small_dataset[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    kv_fixture(small_dataset, "sharegpt_small.json");
    (void)count_entries; /* part of the shared scratch helpers, not needed here */
    return scratch_create("kv_sharegpt");
}

typedef struct expected_pair {
    const char *key;
    int64_t context, generation;
    int turn;
    const char *conversation;
} expected_pair;

/* The fixture's pairs, counted as len(text) // 4 by the reference. */
static const expected_pair small_pairs[] = {
    {"alpha_turn_1", 10, 17, 1, "alpha"},
    {"alpha_turn_2", 1, 1, 2, "alpha"},
    {"beta_2_turn_2", 4, 5, 2, "beta_2"},
    {"conv_3_turn_1", 5, 7, 1, "conv_3"},
};

static const expected_pair *find_pair(const char *key)
{
    for (size_t i = 0; i < sizeof small_pairs / sizeof *small_pairs; i++)
        if (strcmp(small_pairs[i].key, key) == 0)
            return &small_pairs[i];
    fail_msg("unexpected key %s", key);
    return NULL;
}

static void dataset_setup(kv_setup *k, const char *path, uint64_t seed)
{
    kv_setup_defaults(k, seed);
    k->options.dataset_path = path;
    k->options.num_users = 3;
    k->options.use_burst_trace = true; /* the dataset wins */
}

static int next_or_end(mlps_kv_source *src, mlps_kv_request *r, uint64_t *due)
{
    mlps_error err = {0};
    int rc = mlps_kv_source_next(src, KV_START_NS, r, due, &err);
    assert_true(rc == MLPS_KV_NEXT_REQUEST || rc == MLPS_KV_NEXT_END);
    return rc;
}

/* Checks one cycle of 4 requests: every pair once, a conversation's turns in order. */
static void check_cycle(mlps_kv_source *src, uint64_t first_id, uint64_t rate_gap_ns)
{
    int seen[4] = {0};
    const expected_pair *previous = NULL;
    for (int i = 0; i < 4; i++) {
        mlps_kv_request r;
        uint64_t due;
        assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
        const expected_pair *p = find_pair(r.key);
        seen[p - small_pairs]++;
        assert_int_equal(r.context_tokens, p->context);
        assert_int_equal(r.generate_tokens, p->generation);
        assert_int_equal(r.turn_number, p->turn);
        assert_string_equal(r.conversation_id, p->conversation);
        assert_int_equal(r.id, first_id + (uint64_t)i);
        char user[48];
        snprintf(user, sizeof user, "dataset_user_%d", (int)(r.id % 3));
        assert_string_equal(r.user_id, user);
        assert_int_equal(r.phase, MLPS_KV_REQ_PREFILL_DECODE);
        assert_int_equal(due, KV_START_NS + r.id * rate_gap_ns);
        if (p == &small_pairs[1])
            assert_ptr_equal(previous, &small_pairs[0]);
        previous = p;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(seen[i], 1);
}

static void test_pairs_turns_and_cycles(void **state)
{
    (void)state;
    kv_setup k;
    dataset_setup(&k, small_dataset, 5);
    k.options.replay_cycles = 2;
    mlps_kv_source *src = kv_open(&k);
    assert_string_equal(mlps_kv_source_mode(src), "sharegpt");
    check_cycle(src, 0, 0);
    check_cycle(src, 4, 0);
    mlps_kv_request r;
    uint64_t due;
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_END);
    json_t *d = mlps_kv_source_describe(src);
    assert_int_equal(json_integer_value(json_object_get(d, "entries_read")), 4);
    assert_int_equal(json_integer_value(json_object_get(d, "conversations_loaded")), 3);
    assert_int_equal(json_integer_value(json_object_get(d, "pairs")), 4);
    assert_int_equal(json_integer_value(json_object_get(d, "cycles_done")), 2);
    assert_string_equal(json_string_value(json_object_get(d, "token_counting")), "characters/4");
    mlps_kv_source_free(src);
}

static void test_request_rate_spacing(void **state)
{
    (void)state;
    kv_setup k;
    dataset_setup(&k, small_dataset, 6);
    k.options.request_rate = 4;
    mlps_kv_source *src = kv_open(&k);
    for (int cycle = 0; cycle < 3; cycle++)
        check_cycle(src, 4 * (uint64_t)cycle, 250000000);
    mlps_kv_source_free(src);
}

/* The conversation order is reshuffled each cycle, reproducibly for a seed. */
static void order_of(uint64_t seed, char order[40][MLPS_KV_KEY_MAX])
{
    kv_setup k;
    dataset_setup(&k, small_dataset, seed);
    mlps_kv_source *src = kv_open(&k);
    for (int i = 0; i < 40; i++) {
        mlps_kv_request r;
        uint64_t due;
        assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
        memcpy(order[i], r.key, MLPS_KV_KEY_MAX);
    }
    mlps_kv_source_free(src);
}

static void test_shuffle_is_seeded(void **state)
{
    (void)state;
    static char a[40][MLPS_KV_KEY_MAX], b[40][MLPS_KV_KEY_MAX], c[40][MLPS_KV_KEY_MAX];
    order_of(1, a);
    order_of(1, b);
    order_of(2, c);
    int same_as_other_seed = 0, first_differs_across_cycles = 0;
    for (int i = 0; i < 40; i++) {
        assert_string_equal(a[i], b[i]);
        same_as_other_seed += strcmp(a[i], c[i]) == 0;
        if (i % 4 == 0)
            first_differs_across_cycles += strcmp(a[i], a[0]) != 0;
    }
    assert_true(same_as_other_seed < 40);
    assert_true(first_differs_across_cycles > 0);
}

static void write_file(const char *relative, const char *text, char *path)
{
    in_scratch(path, relative);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_token_counts_and_caps(void **state)
{
    (void)state;
    assert_int_equal(mlps_kv_sharegpt_count_tokens("", 0), 1);
    assert_int_equal(mlps_kv_sharegpt_count_tokens("abc", 3), 1);
    assert_int_equal(mlps_kv_sharegpt_count_tokens("abcdefgh", 8), 2);
    /* 8 code points in 16 bytes: Python's len() counts 8 → 2 tokens */
    const char *accents = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    assert_int_equal(mlps_kv_sharegpt_count_tokens(accents, strlen(accents)), 2);

    size_t big = 70000, mid = 9000;
    char *json = malloc(big + mid + 256);
    assert_non_null(json);
    char *p = json + sprintf(json, "[{\"id\": \"long\", \"conversations\": ["
                                   "{\"from\": \"human\", \"value\": \"");
    memset(p, 'a', big);
    p += big;
    p += sprintf(p, "\"}, {\"from\": \"gpt\", \"value\": \"");
    memset(p, 'b', mid);
    p += mid;
    sprintf(p, "\"}, {\"from\": \"human\", \"value\": \"%s\"}, {\"from\": \"gpt\"}]}]", accents);
    char path[PATH_MAX];
    write_file("long.json", json, path);
    free(json);

    mlps_kv_sharegpt_dataset d;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_sharegpt_load(path, 500, &d, &err), 0);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.pairs, 2);
    assert_string_equal(d.conversations[0].id, "long");
    assert_int_equal(d.conversations[0].turns[0].context_tokens, 16384);
    assert_int_equal(d.conversations[0].turns[0].generate_tokens, 2048);
    assert_int_equal(d.conversations[0].turns[1].context_tokens, 2);
    assert_int_equal(d.conversations[0].turns[1].generate_tokens, 1);
    assert_int_equal(d.conversations[0].turns[1].turn_number, 2);
    mlps_kv_sharegpt_dataset_free(&d);

    kv_setup k;
    dataset_setup(&k, path, 1);
    mlps_kv_source *src = kv_open(&k);
    mlps_kv_request r;
    uint64_t due;
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
    assert_int_equal(r.phase, MLPS_KV_REQ_PREFILL);
    mlps_kv_source_free(src);
}

static void test_max_conversations_and_single_turn(void **state)
{
    (void)state;
    kv_setup k;
    dataset_setup(&k, small_dataset, 1);
    k.options.max_conversations = 1;
    k.options.disable_multi_turn = true;
    k.options.replay_cycles = 1;
    mlps_kv_source *src = kv_open(&k);
    const char *keys[] = {"alpha_turn_1", "alpha_turn_2"};
    for (int i = 0; i < 2; i++) {
        mlps_kv_request r;
        uint64_t due;
        assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
        assert_string_equal(r.key, keys[i]);
        assert_string_equal(r.conversation_id, "");
        assert_int_equal(r.turn_number, 1);
    }
    mlps_kv_request r;
    uint64_t due;
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_END);
    mlps_kv_source_free(src);
}

static void expect_shape_error(const char *name, const char *text, const char *fragment)
{
    char path[PATH_MAX], expected[PATH_MAX + 256];
    write_file(name, text, path);
    kv_setup k;
    dataset_setup(&k, path, 1);
    mlps_error err = {0};
    mlps_kv_source *src = NULL;
    assert_true(mlps_kv_source_open(&k.params, &src, &err) < 0);
    assert_null(src);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    snprintf(expected, sizeof expected, "--dataset-path %s: %s", path, fragment);
    if (!strstr(err.message, expected))
        fail_msg("'%s' lacks '%s'", err.message, expected);
}

static void test_wrong_shapes_are_usage_errors(void **state)
{
    (void)state;
    expect_shape_error("not.json", "[{\"id\": ", "not a readable JSON file (line 1");
    expect_shape_error("object.json", "{\"conversations\": []}",
                       "the top level is an object; expected a JSON array");
    expect_shape_error("entry.json", "[{\"conversations\": []}, 7]", "entry 1 is a number");
    expect_shape_error("no_list.json",
                       "[{\"conversations\": []}, {\"conversations\": []}, {\"id\": \"x\", "
                       "\"conversations\": []}, {\"id\": \"y\", \"conversation\": []}]",
                       "entry 3 has no 'conversations' list");
    expect_shape_error("message.json", "[{\"conversations\": [\"hi\", \"there\"]}]",
                       "entry 0 conversations[0] is a string; expected an object");
    expect_shape_error("value.json",
                       "[{\"conversations\": [{\"from\": \"human\", \"value\": 3}, "
                       "{\"from\": \"gpt\", \"value\": \"x\"}]}]",
                       "entry 0 conversations[0] has a 'value' that is a number");
    expect_shape_error("id.json", "[{\"id\": [1], \"conversations\": []}]",
                       "entry 0 has an 'id' that is an array");
    char missing[PATH_MAX];
    in_scratch(missing, "missing.json");
    kv_setup k;
    dataset_setup(&k, missing, 1);
    mlps_error err = {0};
    mlps_kv_source *src = NULL;
    assert_true(mlps_kv_source_open(&k.params, &src, &err) < 0);
    assert_non_null(strstr(err.message, missing));
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
}

/* Entries past --max-conversations are not read, so their shape does not matter. */
static void test_entries_past_the_limit_are_ignored(void **state)
{
    (void)state;
    char path[PATH_MAX];
    write_file("tail.json",
               "[{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"12345678\"}, "
               "{\"from\": \"gpt\", \"value\": \"1234\"}]}, 42]",
               path);
    kv_setup k;
    dataset_setup(&k, path, 1);
    k.options.max_conversations = 1;
    mlps_kv_source *src = kv_open(&k);
    mlps_kv_request r;
    uint64_t due;
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
    assert_string_equal(r.key, "a_turn_1");
    assert_int_equal(r.context_tokens, 2);
    mlps_kv_source_free(src);
}

static void test_no_pairs_falls_back_to_synthetic(void **state)
{
    (void)state;
    char path[PATH_MAX];
    write_file("no_pairs.json",
               "[{\"id\": \"g\", \"conversations\": [{\"from\": \"gpt\", \"value\": \"x\"}, "
               "{\"from\": \"human\", \"value\": \"y\"}]}, {\"id\": \"h\", \"conversations\": []}]",
               path);
    kv_setup k;
    dataset_setup(&k, path, 1);
    k.options.use_burst_trace = false;
    mlps_kv_source *src = kv_open(&k);
    assert_string_equal(mlps_kv_source_mode(src), "synthetic");
    mlps_kv_request r;
    uint64_t due;
    assert_int_equal(next_or_end(src, &r, &due), MLPS_KV_NEXT_REQUEST);
    assert_int_equal(strncmp(r.user_id, "user_", 5), 0);
    json_t *d = mlps_kv_source_describe(src);
    assert_string_equal(json_string_value(json_object_get(d, "fallback_from")), "sharegpt");
    assert_int_equal(json_integer_value(json_object_get(d, "users")), 3);
    mlps_kv_source_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs_turns_and_cycles),
        cmocka_unit_test(test_request_rate_spacing),
        cmocka_unit_test(test_shuffle_is_seeded),
        cmocka_unit_test(test_token_counts_and_caps),
        cmocka_unit_test(test_max_conversations_and_single_turn),
        cmocka_unit_test(test_wrong_shapes_are_usage_errors),
        cmocka_unit_test(test_entries_past_the_limit_are_ignored),
        cmocka_unit_test(test_no_pairs_falls_back_to_synthetic),
    };
    return cmocka_run_group_tests(tests, setup, remove_scratch);
}
