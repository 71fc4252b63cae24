/* Shared state of one KV-cache run, for the files that make up the run (run.c orchestration,
 * run_queue.c the priority queue, run_request.c one request's cache operations, run_fill.c
 * preconditioning / pre-population / RAG ingest, run_output.c the files written at the end). */
#ifndef MLPS_KVCACHE_RUN_INTERNAL_H
#define MLPS_KVCACHE_RUN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/rng.h"
#include "kvcache/autoscale.h"
#include "kvcache/cache.h"
#include "kvcache/rag.h"
#include "kvcache/report.h"
#include "kvcache/run.h"
#include "kvcache/trace.h"
#include "kvcache/validation.h"
#include "kvcache/workload.h"

/* Requests waiting for a worker, highest QoS priority first, then in enqueue order. */
typedef struct mlps_kv_queue_item {
    mlps_kv_request request;
    uint64_t sequence;
} mlps_kv_queue_item;

typedef struct mlps_kv_queue {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    mlps_kv_queue_item *heap;
    size_t count, capacity;
    uint64_t next_sequence;
    bool closed;
} mlps_kv_queue;

int mlps_kv_queue_init(mlps_kv_queue *q);
void mlps_kv_queue_destroy(mlps_kv_queue *q);
int mlps_kv_queue_push(mlps_kv_queue *q, const mlps_kv_request *request);
/* Waits up to timeout_ns; false when nothing came or the queue is closed. */
bool mlps_kv_queue_pop(mlps_kv_queue *q, mlps_kv_request *out, uint64_t timeout_ns);
void mlps_kv_queue_close(mlps_kv_queue *q);
size_t mlps_kv_queue_length(mlps_kv_queue *q);

#define MLPS_KV_SYSTEM_PROMPTS 3

typedef struct mlps_kv_run {
    const mlps_kv_options *options;
    const mlps_kv_settings *settings;
    const mlps_kv_model *model;
    uint64_t bytes_per_token;
    mlps_kv_cache *cache;
    mlps_kv_trace *trace;
    mlps_kv_source *source;
    pthread_mutex_t source_lock; /* the generator's next and the autoscaler's user changes */
    bool reloads_history; /* multi-turn requests read their earlier turns (not in ShareGPT replay) */
    mlps_kv_rag_corpus rag;
    bool rag_on;
    mlps_kv_queue queue;
    mlps_kv_run_result *result;
    pthread_mutex_t result_lock;

    /* stopping: a flag plus a condition that interruptible sleeps wait on */
    atomic_bool stop;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_changed;
    atomic_bool source_done;
    atomic_bool failed;
    mlps_error first_error;

    uint64_t start_ns;
    atomic_uint_least64_t completed, tokens, in_flight;

    char **prepopulated_keys; /* --decode-only */
    size_t prepopulated_count;

    bool validating; /* --validation-trace */
    mlps_kv_trace_stats validation_trace;

    char system_prompt_keys[MLPS_KV_SYSTEM_PROMPTS][40];
    int system_prompt_tokens[MLPS_KV_SYSTEM_PROMPTS];
} mlps_kv_run_state;

/* Stops the run (idempotent) and wakes every interruptible sleep. */
void mlps_kv_run_stop(mlps_kv_run_state *run);
/* Records the first failure and stops. */
void mlps_kv_run_fail(mlps_kv_run_state *run, const mlps_error *err);
/* Sleeps until the monotonic deadline; false when the run stopped first. */
bool mlps_kv_run_sleep_until(mlps_kv_run_state *run, uint64_t deadline_ns);

/* Executes one request's cache operations on a worker with its own RNG. */
void mlps_kv_run_request(mlps_kv_run_state *run, mlps_kv_request *request, mlps_rng *rng);

/* The system prompt keys of the prefix cache (the reference's names). */
void mlps_kv_run_prepare_prefixes(mlps_kv_run_state *run);

/* Before the window: --precondition writes, --decode-only pre-population. Both reset the
 * cache's statistics afterwards. RAG ingest runs in its own thread during the window. */
int mlps_kv_run_precondition(mlps_kv_run_state *run, mlps_error *err);
int mlps_kv_run_prepopulate(mlps_kv_run_state *run, mlps_error *err);
int mlps_kv_run_start_rag_ingest(mlps_kv_run_state *run, pthread_t *thread, mlps_error *err);

/* The monitor (run_monitor.c): progress, the autoscaler, the end of the window. */
typedef struct mlps_kv_monitor {
    mlps_kv_run_state *run;
    mlps_progress progress;
    mlps_kv_autoscaler scaler;
    uint64_t next_scale_ns;
    size_t storage_reads_seen;
    size_t events_capacity, timeline_capacity;
} mlps_kv_monitor;

void mlps_kv_monitor_start(mlps_kv_monitor *m, mlps_kv_run_state *run, int max_workers);
/* Returns when the window ends; the run is stopped and its queue closed by then. */
void mlps_kv_monitor_watch(mlps_kv_monitor *m);
/* After the threads are joined: the final progress line and user count. */
void mlps_kv_monitor_finish(mlps_kv_monitor *m);

/* The report and every file of the run's end. */
int mlps_kv_run_write_outputs(mlps_kv_run_state *run, const mlps_kv_run_params *params,
                              mlps_error *err);

#endif
