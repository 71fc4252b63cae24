/* The RAG document corpus (spec 30 §4.3): document sizes by model class, chunking under the
 * per-chunk byte limit, chunk keys, and the top-k chunk pick of a retrieval (Zipf weights
 * 1/(i+1) without replacement, as numpy's weighted choice draws them, or uniform). */
#include "kvcache/rag.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvcache/workload_source.h"

/* The reference's "large model" class: it gets smaller documents. */
static bool is_large_model(const mlps_kv_model *m)
{
    return m->hidden_dim >= 8192 || m->num_layers >= 64;
}

/* min(chunk_size_tokens, max_chunk_bytes / bytes_per_token), at least 1. */
static int64_t chunk_tokens_for(const mlps_kv_model *model, const mlps_kv_settings *s)
{
    uint64_t bpt = mlps_kv_model_bytes_per_token(model);
    if (bpt == 0)
        bpt = 1;
    int64_t by_bytes = (int64_t)(s->rag_max_chunk_bytes / bpt);
    int64_t chunk = s->rag_chunk_size_tokens < by_bytes ? s->rag_chunk_size_tokens : by_bytes;
    return chunk < 1 ? 1 : chunk;
}

int mlps_kv_rag_corpus_init(mlps_kv_rag_corpus *c, int doc_count, const mlps_kv_model *model,
                            const mlps_kv_settings *s, mlps_rng *rng, mlps_error *err)
{
    c->docs = NULL;
    c->doc_count = 0;
    c->settings = s;
    if (doc_count < 0)
        return mlps_fail_usage(err, -EINVAL, "--rag-num-docs cannot be negative, got %d",
                               doc_count);
    if (doc_count == 0)
        return 0;
    c->docs = calloc((size_t)doc_count, sizeof *c->docs);
    if (!c->docs)
        return mlps_fail(err, -ENOMEM, "RAG corpus: no memory for %d documents", doc_count);
    bool large = is_large_model(model);
    int64_t lo = large ? s->rag_large_model_doc_tokens_min : s->rag_small_model_doc_tokens_min;
    int64_t hi = large ? s->rag_large_model_doc_tokens_max : s->rag_small_model_doc_tokens_max;
    int64_t chunk = chunk_tokens_for(model, s);
    for (int i = 0; i < doc_count; i++) {
        mlps_kv_rag_doc *d = &c->docs[i];
        d->tokens = mlps_kv_randint(rng, lo, hi);
        if (d->tokens < 1)
            d->tokens = 1;
        d->chunk_tokens = chunk;
        d->chunk_count = (int)((d->tokens + chunk - 1) / chunk);
    }
    c->doc_count = doc_count;
    return 0;
}

void mlps_kv_rag_corpus_free(mlps_kv_rag_corpus *c)
{
    free(c->docs);
    c->docs = NULL;
    c->doc_count = 0;
}

void mlps_kv_rag_chunk_key(char *key, size_t size, int doc, int chunk)
{
    snprintf(key, size, "rag_doc_%04d_chunk_%d", doc, chunk);
}

int64_t mlps_kv_rag_chunk_tokens(const mlps_kv_rag_corpus *c, int doc, int chunk)
{
    if (doc < 0 || doc >= c->doc_count)
        return 0;
    const mlps_kv_rag_doc *d = &c->docs[doc];
    if (chunk < 0 || chunk >= d->chunk_count)
        return 0;
    if (chunk < d->chunk_count - 1)
        return d->chunk_tokens;
    return d->tokens - (int64_t)(d->chunk_count - 1) * d->chunk_tokens;
}

static bool already_picked(const int *chunks, int picked, int index)
{
    for (int i = 0; i < picked; i++)
        if (chunks[i] == index)
            return true;
    return false;
}

/* One weighted draw among the chunks not yet picked, weights 1/(i+1) renormalised over them. */
static int draw_zipf(mlps_rng *rng, int count, const int *chunks, int picked, double remaining)
{
    double target = mlps_rng_uniform(rng) * remaining;
    int last = -1;
    for (int i = 0; i < count; i++) {
        if (already_picked(chunks, picked, i))
            continue;
        last = i;
        target -= 1.0 / (i + 1);
        if (target < 0)
            return i;
    }
    return last; /* rounding left a sliver: the last eligible chunk */
}

static int pick_zipf(mlps_rng *rng, int count, int *chunks, int want)
{
    double remaining = 0;
    for (int i = 0; i < count; i++)
        remaining += 1.0 / (i + 1);
    for (int picked = 0; picked < want; picked++) {
        chunks[picked] = draw_zipf(rng, count, chunks, picked, remaining);
        remaining -= 1.0 / (chunks[picked] + 1);
    }
    return want;
}

static int pick_uniform(mlps_rng *rng, int count, int *chunks, int want)
{
    for (int picked = 0; picked < want; picked++) {
        int index;
        do
            index = (int)mlps_rng_below(rng, (uint64_t)count);
        while (already_picked(chunks, picked, index));
        chunks[picked] = index;
    }
    return want;
}

int mlps_kv_rag_pick_chunks(const mlps_kv_rag_corpus *c, int doc, mlps_rng *rng, int *chunks,
                            int capacity)
{
    if (doc < 0 || doc >= c->doc_count)
        return 0;
    int count = c->docs[doc].chunk_count;
    int want = c->settings->rag_top_k_chunks;
    if (want > count)
        want = count;
    if (want > capacity)
        want = capacity;
    if (want <= 0)
        return 0;
    if (c->settings->rag_retrieval == MLPS_KV_RETRIEVAL_ZIPFIAN)
        return pick_zipf(rng, count, chunks, want);
    return pick_uniform(rng, count, chunks, want);
}

int mlps_kv_rag_first_live_doc(const mlps_kv_rag_corpus *c)
{
    int keep = c->settings ? c->settings->rag_max_documents : 0;
    if (keep <= 0 || keep >= c->doc_count)
        return 0;
    return c->doc_count - keep;
}
