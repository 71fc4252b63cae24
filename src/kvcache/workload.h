/* Where KV-cache requests come from (spec 30 §4): synthetic users (three profiles, QoS mix,
 * think times, multi-turn conversations), ShareGPT replay, BurstGPT trace replay, and the RAG
 * document requests. A source is pulled by the run's one generator thread: `next` hands out the
 * next request and the monotonic time it is due; the generator sleeps until then and enqueues
 * it. Sources are deterministic for a seed (one RNG stream each, no wall-clock in keys). */
#ifndef MLPS_KVCACHE_WORKLOAD_H
#define MLPS_KVCACHE_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "kvcache/options.h"
#include "kvcache/rag.h"
#include "kvcache/settings.h"

#define MLPS_KV_KEY_MAX 160

typedef enum mlps_kv_request_phase {
    MLPS_KV_REQ_PREFILL,        /* write only (context ≥ 10000 tokens) */
    MLPS_KV_REQ_DECODE,         /* read only (RAG requests) */
    MLPS_KV_REQ_PREFILL_DECODE, /* write, then decode reads */
} mlps_kv_request_phase;

typedef struct mlps_kv_request {
    uint64_t id;
    char user_id[48];
    char key[MLPS_KV_KEY_MAX];             /* the entry written / decoded */
    char conversation_id[64];              /* "" when not part of a conversation */
    int turn_number;                       /* 1-based; history reads = turns 1..turn−1 */
    int64_t context_tokens, generate_tokens;
    mlps_kv_qos qos;
    int priority;                          /* 3, 2, 1 */
    mlps_kv_request_phase phase;
    mlps_kv_user_type user_type;
    bool is_rag;                           /* a RAG document request: reads the doc's chunks */
    int rag_doc;                           /* document index when is_rag */
    uint64_t submit_ns;                    /* set by the generator when enqueued */
} mlps_kv_request;

/* Phase rule of every mode: PREFILL when context ≥ 10000 tokens, else PREFILL_DECODE. */
mlps_kv_request_phase mlps_kv_phase_for_context(int64_t context_tokens);
/* QoS class from a uniform roll in [0,1) and the configured mix. */
mlps_kv_qos mlps_kv_qos_for_roll(double roll, const mlps_kv_settings *s);

typedef struct mlps_kv_source mlps_kv_source;

typedef enum mlps_kv_next {
    MLPS_KV_NEXT_REQUEST, /* *out and *due_ns are set */
    MLPS_KV_NEXT_END,     /* the trace's replay cycles are done: the run stops */
} mlps_kv_next;

typedef struct mlps_kv_source_params {
    const mlps_kv_options *options;
    const mlps_kv_settings *settings;
    uint64_t seed;
    uint64_t start_ns;     /* monotonic start of the run */
    const mlps_kv_rag_corpus *rag; /* synthetic with --enable-rag: RAG requests on these docs */
} mlps_kv_source_params;

/* Chooses the source the options ask for: ShareGPT (--dataset-path) before BurstGPT
 * (--use-burst-trace) before synthetic users. Input errors name the file and the problem
 * (exit 2); a ShareGPT file that yields no conversation falls back to synthetic with a warning. */
int mlps_kv_source_open(const mlps_kv_source_params *params, mlps_kv_source **out, mlps_error *err);
void mlps_kv_source_free(mlps_kv_source *src);

/* The next request due at or after now. Returns MLPS_KV_NEXT_* or a negative error. */
int mlps_kv_source_next(mlps_kv_source *src, uint64_t now_ns, mlps_kv_request *out,
                        uint64_t *due_ns, mlps_error *err);

/* Synthetic users: changes how many users generate load from now on (autoscaling). Users
 * beyond the count stop issuing; new ones start with a think time. Other sources ignore it. */
void mlps_kv_source_set_active_users(mlps_kv_source *src, int users);
int mlps_kv_source_active_users(const mlps_kv_source *src);

/* What the source reports in the output: its mode name ("synthetic", "sharegpt", "burstgpt"),
 * how tokens were counted, rows skipped, cycles done. Borrowed JSON object. */
const char *mlps_kv_source_mode(const mlps_kv_source *src);
struct json_t;
struct json_t *mlps_kv_source_describe(mlps_kv_source *src);

#endif
