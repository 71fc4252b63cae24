/* Writes that happen around the KV-cache run's window: --precondition fills the storage tier with
 * 2048-token entries "precond_i" (to --precondition-size-gb, or twice the storage limit) and
 * --decode-only pre-populates users × 10 entries "prepop_i" for the decode reads; both use every
 * CPU (or --precondition-threads) and reset the statistics afterwards, keeping the entries. The
 * RAG ingest writes the documents' chunks during the window, on its own thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "kvcache/run_internal.h"

#define FILL_ENTRY_TOKENS 2048
#define PRECONDITION_MAX_CONSECUTIVE_FAILURES 50

typedef struct fill_job {
    mlps_kv_run_state *run;
    const char *prefix;     /* "precond" or "prepop" */
    uint64_t count;         /* entries to write; UINT64_MAX: until bytes reach target */
    uint64_t target_bytes;
    atomic_uint_least64_t next_index;
    atomic_uint_least64_t bytes_written;
    atomic_int consecutive_failures;
    atomic_bool gave_up;
    char **keys; /* prepop: the keys written, by index */
} fill_job;

static bool fill_has_more(fill_job *job, uint64_t index)
{
    if (atomic_load(&job->gave_up) || atomic_load(&job->run->failed))
        return false;
    if (job->count != UINT64_MAX)
        return index < job->count;
    return atomic_load(&job->bytes_written) < job->target_bytes;
}

static void *fill_thread(void *arg)
{
    fill_job *job = arg;
    for (;;) {
        uint64_t index = atomic_fetch_add(&job->next_index, 1);
        if (!fill_has_more(job, index))
            return NULL;
        char key[MLPS_KV_KEY_MAX];
        snprintf(key, sizeof key, "%s_%llu", job->prefix, (unsigned long long)index);
        mlps_kv_op_result res;
        mlps_error err = {0};
        if (mlps_kv_cache_allocate(job->run->cache, key, FILL_ENTRY_TOKENS, MLPS_KV_PHASE_PREFILL,
                                   &res, &err) < 0) {
            mlps_kv_run_fail(job->run, &err);
            return NULL;
        }
        if (!res.ok) {
            if (atomic_fetch_add(&job->consecutive_failures, 1) + 1 > PRECONDITION_MAX_CONSECUTIVE_FAILURES)
                atomic_store(&job->gave_up, true);
            continue;
        }
        atomic_store(&job->consecutive_failures, 0);
        atomic_fetch_add(&job->bytes_written, res.bytes);
        if (job->keys && index < job->count)
            job->keys[index] = strdup(key);
    }
}

static int fill_threads(int64_t requested)
{
    if (requested > 0)
        return (int)requested;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (int)cpus : 1;
}

static int run_fill(fill_job *job, int threads, mlps_error *err)
{
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (!ids)
        return mlps_fail(err, -ENOMEM, "kvcache: out of memory starting %d fill threads", threads);
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&ids[started], NULL, fill_thread, job) != 0)
            break;
    for (int i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
    free(ids);
    if (started == 0)
        return mlps_fail(err, -EAGAIN, "kvcache: cannot start fill threads");
    if (atomic_load(&job->run->failed)) {
        *err = job->run->first_error;
        return err->code ? err->code : -EIO;
    }
    return 0;
}

int mlps_kv_run_precondition(mlps_kv_run_state *run, mlps_error *err)
{
    const mlps_kv_options *o = run->options;
    if (!o->precondition)
        return 0;
    mlps_kv_cache_counters c;
    mlps_kv_cache_counters_get(run->cache, &c);
    uint64_t target = (uint64_t)(o->precondition_size_gb * 1073741824.0);
    if (target == 0) {
        if (c.tier_limit_bytes[MLPS_KV_TIER_STORAGE] == UINT64_MAX) {
            mlps_warn("kvcache: --precondition skipped: the storage tier has no limit "
                      "(give --storage-capacity-gb or --precondition-size-gb)");
            return 0;
        }
        target = 2 * c.tier_limit_bytes[MLPS_KV_TIER_STORAGE];
    }
    fill_job job = {.run = run, .prefix = "precond", .count = UINT64_MAX, .target_bytes = target};
    int threads = fill_threads(o->precondition_threads);
    mlps_info("kvcache: preconditioning: writing %.2f GiB of %d-token entries with %d threads",
              (double)target / 1073741824.0, FILL_ENTRY_TOKENS, threads);
    int rc = run_fill(&job, threads, err);
    if (rc)
        return rc;
    if (atomic_load(&job.gave_up))
        mlps_warn("kvcache: preconditioning gave up after %d consecutive failed writes",
                  PRECONDITION_MAX_CONSECUTIVE_FAILURES);
    mlps_info("kvcache: preconditioning wrote %.2f GiB",
              (double)atomic_load(&job.bytes_written) / 1073741824.0);
    mlps_kv_cache_reset_stats(run->cache);
    return 0;
}

int mlps_kv_run_prepopulate(mlps_kv_run_state *run, mlps_error *err)
{
    const mlps_kv_options *o = run->options;
    if (!o->decode_only)
        return 0;
    uint64_t count = (uint64_t)o->num_users * 10;
    char **keys = calloc(count, sizeof *keys);
    if (!keys)
        return mlps_fail(err, -ENOMEM, "kvcache: out of memory for %llu pre-populated keys",
                         (unsigned long long)count);
    fill_job job = {.run = run, .prefix = "prepop", .count = count, .keys = keys};
    int threads = fill_threads(0);
    mlps_info("kvcache: decode-only: pre-populating %llu entries of %d tokens with %d threads",
              (unsigned long long)count, FILL_ENTRY_TOKENS, threads);
    int rc = run_fill(&job, threads, err);
    /* keep the keys that were written, in index order */
    size_t kept = 0;
    for (uint64_t i = 0; i < count; i++)
        if (keys[i])
            keys[kept++] = keys[i];
    run->prepopulated_keys = keys;
    run->prepopulated_count = kept;
    if (rc)
        return rc;
    mlps_kv_cache_reset_stats(run->cache);
    return 0;
}

static void *rag_ingest_thread(void *arg)
{
    mlps_kv_run_state *run = arg;
    char key[MLPS_KV_KEY_MAX];
    for (int doc = 0; doc < run->rag.doc_count && !atomic_load(&run->stop); doc++) {
        for (int chunk = 0; chunk < run->rag.docs[doc].chunk_count && !atomic_load(&run->stop); chunk++) {
            mlps_kv_rag_chunk_key(key, sizeof key, doc, chunk);
            mlps_kv_op_result res;
            mlps_error err = {0};
            if (mlps_kv_cache_allocate(run->cache, key,
                                       (uint64_t)mlps_kv_rag_chunk_tokens(&run->rag, doc, chunk),
                                       MLPS_KV_PHASE_PREFILL, &res, &err) < 0) {
                mlps_kv_run_fail(run, &err);
                return NULL;
            }
        }
    }
    return NULL;
}

int mlps_kv_run_start_rag_ingest(mlps_kv_run_state *run, pthread_t *thread, mlps_error *err)
{
    if (pthread_create(thread, NULL, rag_ingest_thread, run) != 0)
        return mlps_fail(err, -EAGAIN, "kvcache: cannot start the RAG ingest thread");
    return 0;
}
