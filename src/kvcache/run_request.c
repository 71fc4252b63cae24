/* One KV-cache request on a worker (spec 30 §4.1 steps 1–7): the prefix-cache read (written
 * once on its first miss, so later requests can hit: the reference never writes it), the
 * multi-turn history reads, the prefill write, a RAG retrieval, the decode reads (1 + ⌈g/32⌉ on
 * a hit, an allocation on a miss), the emulated generation, and the per-request records. */
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "kvcache/run_internal.h"

static const char *const system_prompts[MLPS_KV_SYSTEM_PROMPTS] = {
    "You are a helpful assistant.",
    "You are an AI assistant helping with coding tasks.",
    "You are a professional writing assistant.",
};

static int count_words(const char *text)
{
    int words = 0;
    bool in_word = false;
    for (const char *p = text; *p; p++) {
        bool space = *p == ' ' || *p == '\t' || *p == '\n';
        if (!space && !in_word)
            words++;
        in_word = !space;
    }
    return words;
}

/* "kv_system_" + the first 16 hex digits of SHA-256("<text[:500]>_<words>"): the reference's keys. */
void mlps_kv_run_prepare_prefixes(mlps_kv_run_state *run)
{
    for (int i = 0; i < MLPS_KV_SYSTEM_PROMPTS; i++) {
        int words = count_words(system_prompts[i]);
        char content[600];
        int len = snprintf(content, sizeof content, "%.500s_%d", system_prompts[i], words);
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int digest_len = 0;
        EVP_Digest(content, (size_t)len, digest, &digest_len, EVP_sha256(), NULL);
        char hex[17];
        for (int b = 0; b < 8; b++)
            snprintf(hex + 2 * b, 3, "%02x", digest[b]);
        snprintf(run->system_prompt_keys[i], sizeof run->system_prompt_keys[i], "kv_system_%s", hex);
        run->system_prompt_tokens[i] = words;
    }
}

static const double generation_seconds_per_token[] = {
    [MLPS_KV_GEN_NONE] = 0.0,
    [MLPS_KV_GEN_FAST] = 0.002,
    [MLPS_KV_GEN_REALISTIC] = 0.030,
};

/* What one request did, gathered before it is recorded under the result lock. */
typedef struct request_tally {
    double storage_s;
    uint64_t reads, hits;
    uint64_t mt_hits, mt_misses;
    bool prefix_detected, prefix_hit;
    uint64_t prefix_bytes_saved;
    bool prefix_written;
    bool prefilled;
    double prefill_s;
    bool decoded;
    double decode_s;
} request_tally;

/* Each operation checks first whether the run has stopped: a request in flight at the end of the
 * window gives up between operations (it is not counted as completed), so the run ends within
 * one operation of its duration instead of finishing every request's remaining reads. */
static bool cache_read(mlps_kv_run_state *run, const char *key, mlps_kv_phase phase,
                       mlps_kv_read_type type, request_tally *t, mlps_kv_op_result *res)
{
    if (atomic_load(&run->stop))
        return false;
    mlps_error err = {0};
    if (mlps_kv_cache_access(run->cache, key, phase, type, res, &err) < 0) {
        mlps_kv_run_fail(run, &err);
        return false;
    }
    t->reads++;
    if (res->ok) {
        t->hits++;
        t->storage_s += res->seconds;
    }
    return true;
}

static bool cache_write(mlps_kv_run_state *run, const char *key, uint64_t tokens, mlps_kv_phase phase,
                        request_tally *t, mlps_kv_op_result *res)
{
    if (atomic_load(&run->stop))
        return false;
    mlps_error err = {0};
    if (mlps_kv_cache_allocate(run->cache, key, tokens, phase, res, &err) < 0) {
        mlps_kv_run_fail(run, &err);
        return false;
    }
    t->storage_s += res->seconds;
    return true;
}

static mlps_kv_phase cache_phase_of(mlps_kv_request_phase phase)
{
    return phase == MLPS_KV_REQ_PREFILL ? MLPS_KV_PHASE_PREFILL : MLPS_KV_PHASE_DECODE;
}

/* Step 1. Returns false when the run failed. */
static bool prefix_step(mlps_kv_run_state *run, mlps_kv_request *rq, mlps_rng *rng, request_tally *t,
                        mlps_kv_read_type *decode_type)
{
    if (run->options->disable_prefix_caching)
        return true;
    if (mlps_rng_uniform(rng) >= run->settings->system_prompt_hit_probability)
        return true;
    int which = (int)mlps_rng_below(rng, MLPS_KV_SYSTEM_PROMPTS);
    const char *key = run->system_prompt_keys[which];
    uint64_t tokens = (uint64_t)run->system_prompt_tokens[which];
    t->prefix_detected = true;
    *decode_type = MLPS_KV_READ_SYSTEM;
    mlps_kv_op_result res;
    if (!cache_read(run, key, cache_phase_of(rq->phase), MLPS_KV_READ_SYSTEM, t, &res))
        return false;
    if (res.ok) {
        t->prefix_hit = true;
        t->prefix_bytes_saved = tokens * run->bytes_per_token;
    } else {
        /* the first request to see this prompt computes and stores its KV cache */
        if (!cache_write(run, key, tokens, MLPS_KV_PHASE_PREFILL, t, &res))
            return false;
        t->prefix_written = res.ok && res.seconds > 0;
    }
    rq->context_tokens = rq->context_tokens > (int64_t)tokens ? rq->context_tokens - (int64_t)tokens : 0;
    return true;
}

/* Step 2: every earlier turn of the conversation is read again. As in the reference, replayed
 * ShareGPT conversations do not reload their history (it keeps no conversation state for them). */
static bool history_step(mlps_kv_run_state *run, const mlps_kv_request *rq, request_tally *t)
{
    if (rq->turn_number <= 1 || rq->conversation_id[0] == '\0' || !run->reloads_history)
        return true;
    char key[MLPS_KV_KEY_MAX];
    for (int turn = 1; turn < rq->turn_number; turn++) {
        snprintf(key, sizeof key, "%s_turn_%d", rq->conversation_id, turn);
        mlps_kv_op_result res;
        if (!cache_read(run, key, MLPS_KV_PHASE_DECODE, MLPS_KV_READ_MULTI_TURN, t, &res))
            return false;
        if (res.ok)
            t->mt_hits++;
        else
            t->mt_misses++;
    }
    return true;
}

/* Step 4: with the configured probability, read the top-k chunks of a random document. */
static bool rag_step(mlps_kv_run_state *run, mlps_rng *rng, request_tally *t)
{
    if (!run->rag_on || run->rag.doc_count == 0)
        return true;
    if (mlps_rng_uniform(rng) >= run->settings->rag_request_probability)
        return true;
    int doc = (int)mlps_rng_below(rng, (uint64_t)run->rag.doc_count);
    int chunks[64];
    int n = mlps_kv_rag_pick_chunks(&run->rag, doc, rng, chunks, 64);
    char key[MLPS_KV_KEY_MAX];
    for (int i = 0; i < n; i++) {
        mlps_kv_rag_chunk_key(key, sizeof key, doc, chunks[i]);
        mlps_kv_op_result res;
        if (!cache_read(run, key, MLPS_KV_PHASE_DECODE, MLPS_KV_READ_USER, t, &res))
            return false;
    }
    return true;
}

/* Step 5: decode reads (a hit costs 1 + ⌈g/batch⌉ reads; a miss allocates the entry). */
static bool decode_step(mlps_kv_run_state *run, const mlps_kv_request *rq, mlps_rng *rng,
                        mlps_kv_read_type type, request_tally *t)
{
    const char *key = rq->key;
    if (run->options->decode_only && run->prepopulated_count > 0)
        key = run->prepopulated_keys[mlps_rng_below(rng, run->prepopulated_count)];
    mlps_kv_op_result res;
    double before = t->storage_s;
    if (!cache_read(run, key, MLPS_KV_PHASE_DECODE, type, t, &res))
        return false;
    if (!res.ok) {
        if (!run->options->decode_only &&
            !cache_write(run, rq->key, (uint64_t)rq->context_tokens, MLPS_KV_PHASE_PREFILL, t, &res))
            return false;
    } else {
        int64_t batch = run->settings->decode_batch_size > 0 ? run->settings->decode_batch_size : 32;
        int64_t batched = (rq->generate_tokens + batch - 1) / batch;
        if (batched < 1)
            batched = 1;
        for (int64_t i = 0; i < batched; i++)
            if (!cache_read(run, key, MLPS_KV_PHASE_DECODE, type, t, &res))
                return false;
    }
    t->decoded = true;
    t->decode_s = t->storage_s - before;
    return true;
}

static void record_request(mlps_kv_run_state *run, const mlps_kv_request *rq, const request_tally *t,
                           double generation_s, uint64_t done_ns)
{
    mlps_kv_run_result *r = run->result;
    double e2e = (double)(done_ns - rq->submit_ns) / 1e9;
    mlps_kv_samples_add(&r->e2e, e2e);
    mlps_kv_samples_add(&r->storage, t->storage_s);
    mlps_kv_samples_add(&r->generation, generation_s);
    mlps_kv_samples_add(&r->qos_e2e[rq->qos], e2e);
    if (t->prefilled)
        mlps_kv_samples_add(&r->prefill, t->prefill_s);
    if (t->decoded)
        mlps_kv_samples_add(&r->decode, t->decode_s);

    pthread_mutex_lock(&run->result_lock);
    r->requests_completed++;
    r->total_tokens_generated += (uint64_t)rq->generate_tokens;
    r->total_context_tokens += (uint64_t)rq->context_tokens;
    r->qos_requests[rq->qos]++;
    r->multi_turn_hits += t->mt_hits;
    r->multi_turn_misses += t->mt_misses;
    if (t->reads > 0) {
        r->requests_with_reads++;
        if (t->hits == t->reads)
            r->requests_all_hit++;
    }
    if (t->prefix_detected) {
        if (t->prefix_hit)
            r->prefix_hits++;
        else
            r->prefix_misses++;
    }
    r->prefix_writes += t->prefix_written;
    r->prefix_bytes_saved += t->prefix_bytes_saved;
    r->rag_requests += rq->is_rag;
    pthread_mutex_unlock(&run->result_lock);

    atomic_fetch_add(&run->tokens, (uint64_t)rq->generate_tokens);
    uint64_t completed = atomic_fetch_add(&run->completed, 1) + 1;
    if (run->options->max_requests > 0 && completed >= (uint64_t)run->options->max_requests)
        mlps_kv_run_stop(run);
}

void mlps_kv_run_request(mlps_kv_run_state *run, mlps_kv_request *rq, mlps_rng *rng)
{
    const mlps_kv_options *o = run->options;
    request_tally t = {0};
    mlps_kv_read_type decode_type = MLPS_KV_READ_USER;

    if (!prefix_step(run, rq, rng, &t, &decode_type))
        return;
    if (!o->decode_only) {
        if (!history_step(run, rq, &t))
            return;
        if (rq->phase == MLPS_KV_REQ_PREFILL || rq->phase == MLPS_KV_REQ_PREFILL_DECODE) {
            mlps_kv_op_result res;
            double before = t.storage_s;
            if (!cache_write(run, rq->key, (uint64_t)rq->context_tokens, MLPS_KV_PHASE_PREFILL, &t, &res))
                return;
            t.prefilled = true;
            t.prefill_s = t.storage_s - before;
        }
    }
    if (!rag_step(run, rng, &t))
        return;
    if (!o->prefill_only &&
        (rq->phase == MLPS_KV_REQ_DECODE || rq->phase == MLPS_KV_REQ_PREFILL_DECODE) &&
        !decode_step(run, rq, rng, decode_type, &t))
        return;

    if (atomic_load(&run->stop))
        return; /* stopped after its last operation: not completed */
    double generation_s = (double)rq->generate_tokens * generation_seconds_per_token[o->generation_mode];
    if (generation_s > 0 &&
        !mlps_kv_run_sleep_until(run, mlps_monotonic_ns() + (uint64_t)llround(generation_s * 1e9)))
        return; /* stopped while generating: the request did not complete */
    record_request(run, rq, &t, generation_s, mlps_monotonic_ns());
}
