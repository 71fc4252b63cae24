/* RAG documents (spec 30 §4.3): a corpus of --rag-num-docs documents "doc_%04d", each split
 * into chunks of min(chunk_size_tokens, max_chunk_bytes / bytes_per_token) tokens stored under
 * "rag_doc_%04d_chunk_%d". The run's ingest writes the chunks through the cache; a RAG request
 * reads top_k of a document's chunks, picked without replacement with Zipf weights 1/(i+1) (or
 * uniformly). Document sizes: randint[large min,max] for large models (hidden ≥ 8192 or ≥ 64
 * layers), else randint[small min,max]. */
#ifndef MLPS_KVCACHE_RAG_H
#define MLPS_KVCACHE_RAG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "kvcache/model.h"
#include "kvcache/settings.h"

typedef struct mlps_kv_rag_doc {
    int64_t tokens;
    int chunk_count;
    int64_t chunk_tokens; /* every chunk but the last; the last holds the rest */
} mlps_kv_rag_doc;

typedef struct mlps_kv_rag_corpus {
    mlps_kv_rag_doc *docs;
    int doc_count;
    const mlps_kv_settings *settings;
} mlps_kv_rag_corpus;

int mlps_kv_rag_corpus_init(mlps_kv_rag_corpus *c, int doc_count, const mlps_kv_model *model,
                            const mlps_kv_settings *s, mlps_rng *rng, mlps_error *err);
void mlps_kv_rag_corpus_free(mlps_kv_rag_corpus *c);

/* Writes "rag_doc_%04d_chunk_%d" into key. */
void mlps_kv_rag_chunk_key(char *key, size_t size, int doc, int chunk);
int64_t mlps_kv_rag_chunk_tokens(const mlps_kv_rag_corpus *c, int doc, int chunk);
/* Picks min(top_k, chunk_count) distinct chunk indexes of doc into chunks[]; returns how many. */
int mlps_kv_rag_pick_chunks(const mlps_kv_rag_corpus *c, int doc, mlps_rng *rng, int *chunks,
                            int capacity);

/* The first document RAG requests may pick: with rag.max_documents > 0 the reference keeps only
 * the last max_documents ingested (the older ones are evicted), else 0. */
int mlps_kv_rag_first_live_doc(const mlps_kv_rag_corpus *c);

#endif
