/* Tests of the RAG corpus (spec 30 §4.3): document sizes by model class, chunks of
 * min(chunk_size, 256 MiB / bytes per token) tokens with a shorter last one, chunk keys, top-k
 * picks that are distinct, Zipf picks that favour the first chunks (uniform ones that do not),
 * and the documents left live under rag.max_documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "core/error.h"
#include "kvcache/rag.h"

/* 32 layers × 8 kv heads × 128 × 2 × 2 bytes = 131072 B/token */
static const mlps_kv_model llama8b = {.key = "llama3.1-8b", .num_layers = 32, .hidden_dim = 4096,
                                      .num_heads = 32, .kv_heads = 8, .dtype = "float16"};
/* 80 layers, hidden 8192: a large model. 327680 B/token */
static const mlps_kv_model llama70b = {.key = "llama3.1-70b-instruct", .num_layers = 80,
                                       .hidden_dim = 8192, .num_heads = 64, .kv_heads = 8,
                                       .dtype = "float16"};
/* 64 layers × 64 kv heads × 64 × 2 × 2 = 1 MiB per token: 256 MiB holds 256 tokens */
static const mlps_kv_model wide = {.key = "wide", .num_layers = 64, .hidden_dim = 4096,
                                   .num_heads = 64, .kv_heads = 64, .dtype = "float16"};

static void corpus(mlps_kv_rag_corpus *c, const mlps_kv_model *m, const mlps_kv_settings *s,
                   int docs, uint64_t seed)
{
    mlps_rng rng;
    mlps_rng_seed(&rng, seed);
    mlps_error err = {0};
    assert_int_equal(mlps_kv_rag_corpus_init(c, docs, m, s, &rng, &err), 0);
    assert_int_equal(c->doc_count, docs);
}

/* Every document's chunks add up to its tokens; all but the last have chunk_tokens. */
static void check_chunks(const mlps_kv_rag_corpus *c, int64_t chunk, int64_t lo, int64_t hi)
{
    for (int d = 0; d < c->doc_count; d++) {
        const mlps_kv_rag_doc *doc = &c->docs[d];
        assert_in_range(doc->tokens, lo, hi);
        assert_int_equal(doc->chunk_tokens, chunk);
        assert_int_equal(doc->chunk_count, (doc->tokens + chunk - 1) / chunk);
        int64_t sum = 0;
        for (int i = 0; i < doc->chunk_count; i++) {
            int64_t t = mlps_kv_rag_chunk_tokens(c, d, i);
            if (i < doc->chunk_count - 1)
                assert_int_equal(t, chunk);
            else
                assert_in_range(t, 1, chunk);
            sum += t;
        }
        assert_int_equal(sum, doc->tokens);
        assert_int_equal(mlps_kv_rag_chunk_tokens(c, d, doc->chunk_count), 0);
    }
}

static void test_chunk_sizes_by_model(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    mlps_kv_rag_corpus c;
    corpus(&c, &llama8b, &s, 20, 1);
    check_chunks(&c, 512, 4000, 12000); /* min(512, 256 MiB / 131072 = 2048) */
    mlps_kv_rag_corpus_free(&c);

    corpus(&c, &llama70b, &s, 20, 1);
    check_chunks(&c, 512, 1024, 4096); /* hidden 8192: the large model's sizes */
    mlps_kv_rag_corpus_free(&c);

    corpus(&c, &wide, &s, 20, 1);
    check_chunks(&c, 256, 1024, 4096); /* 64 layers: large; 256 MiB / 1 MiB = 256 tokens */
    mlps_kv_rag_corpus_free(&c);

    s.rag_chunk_size_tokens = 100;
    s.rag_small_model_doc_tokens_min = 250;
    s.rag_small_model_doc_tokens_max = 250;
    corpus(&c, &llama8b, &s, 3, 1);
    check_chunks(&c, 100, 250, 250);
    assert_int_equal(c.docs[0].chunk_count, 3);
    assert_int_equal(mlps_kv_rag_chunk_tokens(&c, 0, 2), 50);
    assert_int_equal(mlps_kv_rag_chunk_tokens(&c, 3, 0), 0);
    mlps_kv_rag_corpus_free(&c);
}

static void test_sizes_reproduce_and_errors(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    mlps_kv_rag_corpus a, b;
    corpus(&a, &llama8b, &s, 10, 77);
    corpus(&b, &llama8b, &s, 10, 77);
    int distinct = 0;
    for (int d = 0; d < 10; d++) {
        assert_int_equal(a.docs[d].tokens, b.docs[d].tokens);
        distinct += a.docs[d].tokens != a.docs[0].tokens;
    }
    assert_true(distinct > 5);
    mlps_kv_rag_corpus_free(&a);
    mlps_kv_rag_corpus_free(&b);

    corpus(&a, &llama8b, &s, 0, 1);
    assert_null(a.docs);
    mlps_kv_rag_corpus_free(&a);

    mlps_rng rng;
    mlps_rng_seed(&rng, 1);
    mlps_error err = {0};
    assert_int_equal(mlps_kv_rag_corpus_init(&a, -1, &llama8b, &s, &rng, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "--rag-num-docs"));
}

static void test_chunk_keys(void **state)
{
    (void)state;
    char key[64];
    mlps_kv_rag_chunk_key(key, sizeof key, 3, 7);
    assert_string_equal(key, "rag_doc_0003_chunk_7");
    mlps_kv_rag_chunk_key(key, sizeof key, 12345, 0);
    assert_string_equal(key, "rag_doc_12345_chunk_0");
}

static void check_distinct(const int *chunks, int n, int count)
{
    for (int i = 0; i < n; i++) {
        assert_in_range(chunks[i], 0, count - 1);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(chunks[i], chunks[j]);
    }
}

static void test_top_k_distinct(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    mlps_kv_rag_corpus c;
    corpus(&c, &llama8b, &s, 4, 3);
    mlps_rng rng;
    mlps_rng_seed(&rng, 9);
    int chunks[16];
    for (int retrieval = 0; retrieval < 2; retrieval++) {
        s.rag_retrieval = retrieval ? MLPS_KV_RETRIEVAL_UNIFORM : MLPS_KV_RETRIEVAL_ZIPFIAN;
        for (int i = 0; i < 500; i++) {
            int doc = i % 4;
            int n = mlps_kv_rag_pick_chunks(&c, doc, &rng, chunks, 16);
            assert_int_equal(n, 5);
            check_distinct(chunks, n, c.docs[doc].chunk_count);
        }
        assert_int_equal(mlps_kv_rag_pick_chunks(&c, 0, &rng, chunks, 3), 3);
        check_distinct(chunks, 3, c.docs[0].chunk_count);
        assert_int_equal(mlps_kv_rag_pick_chunks(&c, 4, &rng, chunks, 16), 0);
    }
    mlps_kv_rag_corpus_free(&c);

    /* a document of 2 chunks gives both */
    s.rag_small_model_doc_tokens_min = s.rag_small_model_doc_tokens_max = 600;
    corpus(&c, &llama8b, &s, 1, 3);
    for (int retrieval = 0; retrieval < 2; retrieval++) {
        s.rag_retrieval = retrieval ? MLPS_KV_RETRIEVAL_RANDOM : MLPS_KV_RETRIEVAL_ZIPFIAN;
        assert_int_equal(mlps_kv_rag_pick_chunks(&c, 0, &rng, chunks, 16), 2);
        assert_int_equal(chunks[0] + chunks[1], 1);
    }
    mlps_kv_rag_corpus_free(&c);
}

/* One pick from 20 chunks, 20000 times: Zipf gives chunk i about 1/((i+1)·H20) of them
 * (27.8 % to chunk 0, 1.4 % to chunk 19); uniform gives each about 5 %. */
static void pick_counts(mlps_kv_retrieval retrieval, int *counts)
{
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    s.rag_retrieval = retrieval;
    s.rag_top_k_chunks = 1;
    s.rag_chunk_size_tokens = 100;
    s.rag_small_model_doc_tokens_min = s.rag_small_model_doc_tokens_max = 2000;
    mlps_kv_rag_corpus c;
    corpus(&c, &llama8b, &s, 1, 1);
    assert_int_equal(c.docs[0].chunk_count, 20);
    mlps_rng rng;
    mlps_rng_seed(&rng, 2);
    memset(counts, 0, 20 * sizeof *counts);
    for (int i = 0; i < 20000; i++) {
        int chunk;
        assert_int_equal(mlps_kv_rag_pick_chunks(&c, 0, &rng, &chunk, 1), 1);
        counts[chunk]++;
    }
    mlps_kv_rag_corpus_free(&c);
}

static void test_zipf_favours_low_indexes(void **state)
{
    (void)state;
    int zipf[20], uniform[20];
    pick_counts(MLPS_KV_RETRIEVAL_ZIPFIAN, zipf);
    pick_counts(MLPS_KV_RETRIEVAL_UNIFORM, uniform);
    assert_in_range(zipf[0], 5250, 5850);
    assert_in_range(zipf[1], 2600, 2980);
    assert_in_range(zipf[19], 200, 360);
    for (int i = 1; i < 20; i++)
        assert_true(zipf[i] <= zipf[0]);
    for (int i = 0; i < 20; i++)
        assert_in_range(uniform[i], 850, 1150);
}

static void test_first_live_doc(void **state)
{
    (void)state;
    mlps_kv_settings s;
    mlps_kv_settings_defaults(&s);
    mlps_kv_rag_corpus c;
    corpus(&c, &llama8b, &s, 10, 1);
    assert_int_equal(mlps_kv_rag_first_live_doc(&c), 0);
    s.rag_max_documents = 3;
    assert_int_equal(mlps_kv_rag_first_live_doc(&c), 7);
    s.rag_max_documents = 10;
    assert_int_equal(mlps_kv_rag_first_live_doc(&c), 0);
    s.rag_max_documents = 20;
    assert_int_equal(mlps_kv_rag_first_live_doc(&c), 0);
    mlps_kv_rag_corpus_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_sizes_by_model),
        cmocka_unit_test(test_sizes_reproduce_and_errors),
        cmocka_unit_test(test_chunk_keys),
        cmocka_unit_test(test_top_k_distinct),
        cmocka_unit_test(test_zipf_favours_low_indexes),
        cmocka_unit_test(test_first_live_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
