/* A KV-cache benchmark run (see run.h): sets the cache and the workload source up, runs the
 * generator, the workers and (when on) the RAG ingest while the monitor (run_monitor.c) shows
 * progress, autoscales and decides when the window ends (--duration, --max-requests, the end of
 * a trace replay or a failure), and reports over the window it really ran. */
#include "kvcache/run.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mkdirs.h"
#include "core/procfs.h"
#include "core/progress.h"
#include "kvcache/run_internal.h"

#define MAX_WORKERS 500
#define WORKER_POLL_NS 100000000ull     /* 0.1 s */
#define GIB 1073741824.0

void mlps_kv_run_stop(mlps_kv_run_state *run)
{
    pthread_mutex_lock(&run->stop_lock);
    atomic_store(&run->stop, true);
    pthread_cond_broadcast(&run->stop_changed);
    pthread_mutex_unlock(&run->stop_lock);
}

void mlps_kv_run_fail(mlps_kv_run_state *run, const mlps_error *err)
{
    pthread_mutex_lock(&run->stop_lock);
    if (!atomic_load(&run->failed)) {
        run->first_error = *err;
        atomic_store(&run->failed, true);
    }
    pthread_mutex_unlock(&run->stop_lock);
    mlps_kv_run_stop(run);
}

bool mlps_kv_run_sleep_until(mlps_kv_run_state *run, uint64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000u),
                          .tv_nsec = (long)(deadline_ns % 1000000000u)};
    pthread_mutex_lock(&run->stop_lock);
    while (!atomic_load(&run->stop) && mlps_monotonic_ns() < deadline_ns)
        if (pthread_cond_timedwait(&run->stop_changed, &run->stop_lock, &ts) == ETIMEDOUT)
            break;
    bool stopped = atomic_load(&run->stop);
    pthread_mutex_unlock(&run->stop_lock);
    return !stopped;
}

/* ---- threads ---- */

static void *generator_thread(void *arg)
{
    mlps_kv_run_state *run = arg;
    while (!atomic_load(&run->stop)) {
        mlps_kv_request request;
        uint64_t due = 0;
        mlps_error err = {0};
        pthread_mutex_lock(&run->source_lock);
        int rc = mlps_kv_source_next(run->source, mlps_monotonic_ns(), &request, &due, &err);
        pthread_mutex_unlock(&run->source_lock);
        if (rc < 0) {
            mlps_kv_run_fail(run, &err);
            break;
        }
        if (rc == MLPS_KV_NEXT_END) {
            atomic_store(&run->source_done, true);
            break;
        }
        if (due > mlps_monotonic_ns() && !mlps_kv_run_sleep_until(run, due))
            break;
        request.submit_ns = mlps_monotonic_ns();
        if (mlps_kv_queue_push(&run->queue, &request) < 0) {
            mlps_error oom = {0};
            mlps_fail(&oom, -ENOMEM, "kvcache: out of memory queueing requests");
            mlps_kv_run_fail(run, &oom);
            break;
        }
    }
    return NULL;
}

typedef struct worker_arg {
    mlps_kv_run_state *run;
    uint64_t index;
} worker_arg;

static void *worker_thread(void *arg)
{
    worker_arg *w = arg;
    mlps_kv_run_state *run = w->run;
    mlps_rng rng;
    mlps_rng_stream(&rng, (uint64_t)run->options->seed ^ 0x6b76776f726b6572ull, w->index);
    while (!atomic_load(&run->stop)) {
        mlps_kv_request request;
        if (!mlps_kv_queue_pop(&run->queue, &request, WORKER_POLL_NS))
            continue;
        if (atomic_load(&run->stop))
            break; /* as the reference: no new I/O after the stop */
        atomic_fetch_add(&run->in_flight, 1);
        mlps_kv_run_request(run, &request, &rng);
        atomic_fetch_sub(&run->in_flight, 1);
    }
    return NULL;
}

/* ---- set-up and tear-down ---- */

static int make_cache_dir(const mlps_kv_options *o, char *path, size_t size, bool *temporary,
                          mlps_error *err)
{
    *temporary = false;
    if (o->cache_dir) {
        snprintf(path, size, "%s", o->cache_dir);
        /* a prefix exists once an object is under it */
        return mlps_kv_cache_dir_is_object_store(path) ? 0 : mlps_mkdirs(path, 0755, err);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(path, size, "%s/kv_cache_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(path))
        return mlps_fail(err, -errno, "kvcache: cannot create a temporary cache directory %s: %s",
                         path, strerror(errno));
    *temporary = true;
    return 0;
}

static int worker_count(const mlps_kv_options *o, const mlps_kv_settings *s)
{
    int64_t users = o->num_users;
    if (o->enable_autoscaling && s->autoscaler_max_users > users)
        users = s->autoscaler_max_users;
    return users < MAX_WORKERS ? (int)users : MAX_WORKERS;
}

/* States the run's memory bound and refuses one the host cannot hold: the CPU tier keeps real
 * copies, so --cpu-mem-gb beyond what is available would end in the kernel's OOM killer. */
static int check_memory(const mlps_kv_options *o, const mlps_kv_settings *s, mlps_error *err)
{
    uint64_t cpu_tier = o->io_trace_log ? 0 : (uint64_t)(o->cpu_mem_gb * GIB);
    /* each worker moves an entry through one buffer of at most 4 MiB at a time */
    uint64_t buffers = (uint64_t)worker_count(o, s) * (4u << 20);
    mlps_info("kvcache: memory: at most %.2f GiB (CPU tier %.2f GiB, I/O buffers %.0f MiB)",
              (double)(cpu_tier + buffers) / GIB, (double)cpu_tier / GIB, (double)buffers / 1048576.0);
    mlps_meminfo mem;
    mlps_error ignored = {0};
    if (mlps_read_meminfo(&mem, &ignored) != 0 || mem.available == 0)
        return 0;
    if (cpu_tier + buffers > mem.available)
        return mlps_fail_usage(err, -ENOMEM,
                               "--cpu-mem-gb %g: the CPU tier (%.2f GiB) and I/O buffers need more "
                               "memory than this host has available (%.2f GiB); give a smaller "
                               "--cpu-mem-gb",
                               o->cpu_mem_gb, (double)cpu_tier / GIB, (double)mem.available / GIB);
    return 0;
}

static bool uses_synthetic_users(const mlps_kv_options *o)
{
    return !o->dataset_path && !o->use_burst_trace;
}

static int open_cache(mlps_kv_run_state *run, const char *cache_dir, mlps_error *err)
{
    const mlps_kv_options *o = run->options;
    bool trace = run->trace != NULL;
    uint64_t gpu_bytes = (uint64_t)(o->gpu_mem_gb * (double)o->num_gpus * GIB);
    if (gpu_bytes > 0 && !trace && !o->simulate_gpu)
        mlps_info("kvcache: no GPU tier (this build has no GPU backend); --simulate-gpu models one "
                  "of %.1f GiB at %.0f GiB/s", (double)gpu_bytes / GIB, o->gpu_bandwidth_gbs);
    mlps_kv_cache_params params = {
        .model = run->model,
        .tensor_parallel = (int)o->tensor_parallel,
        .seed = o->seed_given ? (uint64_t)o->seed : 0,
        .gpu_limit_bytes = (trace || o->simulate_gpu) ? gpu_bytes : 0,
        .gpu_simulated = !trace && o->simulate_gpu,
        .gpu_bandwidth_gib_s = o->gpu_bandwidth_gbs,
        .cpu_limit_bytes = (uint64_t)(o->cpu_mem_gb * GIB),
        .storage_limit_bytes = (uint64_t)(o->storage_capacity_gb * GIB),
        .cache_dir = cache_dir,
        .direct_io = o->direct_io,
        .max_concurrent_allocs = (int)o->max_concurrent_allocs,
        .settings = run->settings,
        .trace = run->trace,
    };
    return mlps_kv_cache_new(&params, &run->cache, err);
}

static int open_source(mlps_kv_run_state *run, mlps_error *err)
{
    const mlps_kv_options *o = run->options;
    uint64_t seed = o->seed_given ? (uint64_t)o->seed : 0;
    if (o->enable_rag && uses_synthetic_users(o) && o->rag_num_docs > 0) {
        mlps_rng rng;
        mlps_rng_stream(&rng, seed ^ 0x7261672d646f6373ull, 0);
        int rc = mlps_kv_rag_corpus_init(&run->rag, (int)o->rag_num_docs, run->model, run->settings,
                                         &rng, err);
        if (rc)
            return rc;
        run->rag_on = true;
    }
    mlps_kv_source_params params = {
        .options = o,
        .settings = run->settings,
        .seed = seed,
        .start_ns = run->start_ns,
        .rag = run->rag_on ? &run->rag : NULL,
    };
    int rc = mlps_kv_source_open(&params, &run->source, err);
    if (rc == 0)
        run->reloads_history = !o->disable_multi_turn &&
                               strcmp(mlps_kv_source_mode(run->source), "sharegpt") != 0;
    return rc;
}

static void run_init(mlps_kv_run_state *run, const mlps_kv_run_params *params, mlps_kv_run_result *result)
{
    memset(run, 0, sizeof *run);
    run->options = params->options;
    run->settings = params->settings;
    run->model = params->model;
    run->bytes_per_token = mlps_kv_model_bytes_per_token(params->model);
    run->result = result;
    pthread_mutex_init(&run->source_lock, NULL);
    pthread_mutex_init(&run->result_lock, NULL);
    pthread_mutex_init(&run->stop_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&run->stop_changed, &attr);
    pthread_condattr_destroy(&attr);
    mlps_kv_queue_init(&run->queue);
    mlps_kv_run_prepare_prefixes(run);
}

static void run_destroy(mlps_kv_run_state *run)
{
    if (run->source)
        mlps_kv_source_free(run->source);
    if (run->rag_on)
        mlps_kv_rag_corpus_free(&run->rag);
    for (size_t i = 0; i < run->prepopulated_count; i++)
        free(run->prepopulated_keys[i]);
    free(run->prepopulated_keys);
    mlps_kv_queue_destroy(&run->queue);
    pthread_cond_destroy(&run->stop_changed);
    pthread_mutex_destroy(&run->stop_lock);
    pthread_mutex_destroy(&run->result_lock);
    pthread_mutex_destroy(&run->source_lock);
}

/* The window itself: every thread started, watched, stopped and joined. */
static int run_window(mlps_kv_run_state *run, mlps_error *err)
{
    const mlps_kv_options *o = run->options;
    int workers = worker_count(o, run->settings);
    pthread_t *worker_ids = calloc((size_t)workers, sizeof *worker_ids);
    worker_arg *worker_args = calloc((size_t)workers, sizeof *worker_args);
    if (!worker_ids || !worker_args) {
        free(worker_ids);
        free(worker_args);
        return mlps_fail(err, -ENOMEM, "kvcache: out of memory for %d workers", workers);
    }
    mlps_kv_monitor m;
    mlps_kv_monitor_start(&m, run, MAX_WORKERS);

    int started = 0;
    for (; started < workers; started++) {
        worker_args[started] = (worker_arg){.run = run, .index = (uint64_t)started};
        if (pthread_create(&worker_ids[started], NULL, worker_thread, &worker_args[started]) != 0)
            break;
    }
    pthread_t generator, rag_ingest;
    bool generator_started = started > 0 && pthread_create(&generator, NULL, generator_thread, run) == 0;
    bool rag_started = generator_started && run->rag_on &&
                       mlps_kv_run_start_rag_ingest(run, &rag_ingest, err) == 0;
    if (generator_started)
        mlps_kv_monitor_watch(&m);
    else
        mlps_kv_run_stop(run);
    mlps_kv_queue_close(&run->queue);
    if (generator_started)
        pthread_join(generator, NULL);
    if (rag_started)
        pthread_join(rag_ingest, NULL);
    for (int i = 0; i < started; i++)
        pthread_join(worker_ids[i], NULL);
    run->result->elapsed_s = (double)(mlps_monotonic_ns() - run->start_ns) / 1e9;
    mlps_kv_monitor_finish(&m);
    free(worker_ids);
    free(worker_args);
    if (!generator_started)
        return err->code ? err->code : mlps_fail(err, -EAGAIN, "kvcache: cannot start the run's threads");
    if (atomic_load(&run->failed)) {
        *err = run->first_error;
        return err->code ? err->code : -EIO;
    }
    return 0;
}

static void remove_temporary_dir(const char *path)
{
    if (rmdir(path) != 0)
        mlps_warn("kvcache: cannot remove the temporary cache directory %s: %s", path, strerror(errno));
}

int mlps_kv_run(const mlps_kv_run_params *params, mlps_error *err)
{
    /* CPU-tier copies and I/O buffers are megabytes each and come and go on many threads: kept
     * in mmap'd blocks they return to the system when freed, instead of piling up in per-thread
     * heaps (which once doubled the resident size over the CPU tier's limit). */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    const mlps_kv_options *o = params->options;
    mlps_kv_run_result result;
    mlps_kv_run_result_init(&result);
    result.options = o;
    result.settings = params->settings;
    result.model_key = params->model->key;
    result.bytes_per_token = mlps_kv_model_bytes_per_token(params->model);
    result.trace_mode = o->io_trace_log != NULL;

    mlps_kv_run_state run;
    run_init(&run, params, &result);
    char cache_dir[4096];
    bool temporary_dir = false;
    int rc = 0;
    if (o->validation_trace) {
        rc = mlps_kv_validation_load(o->validation_trace, &run.validation_trace, err);
        run.validating = rc == 0;
    }
    if (o->enable_latency_tracing)
        mlps_warn("kvcache: --enable-latency-tracing (block-layer tracing with bpftrace) is not part of "
                  "mlps; the storage latencies and their percentiles are reported as usual");
    if (rc == 0)
        rc = check_memory(o, params->settings, err);
    if (rc == 0)
        rc = make_cache_dir(o, cache_dir, sizeof cache_dir, &temporary_dir, err);
    if (rc == 0 && o->io_trace_log)
        rc = mlps_kv_trace_open(o->io_trace_log, &run.trace, err);
    if (rc == 0)
        rc = open_cache(&run, cache_dir, err);
    if (rc == 0)
        rc = mlps_kv_run_precondition(&run, err);
    if (rc == 0)
        rc = mlps_kv_run_prepopulate(&run, err);
    if (rc == 0) {
        /* the window starts now: the source's due times count from here */
        run.start_ns = mlps_monotonic_ns();
        rc = open_source(&run, err);
    }
    if (rc == 0) {
        result.source_mode = mlps_kv_source_mode(run.source);
        mlps_info("kvcache: %s, %lld users, %s workload, %.0f s, cache dir %s",
                  params->model->key, (long long)o->num_users, result.source_mode, o->duration_s,
                  run.trace ? "(trace mode: no I/O)" : cache_dir);
        rc = run_window(&run, err);
    }
    if (run.source)
        result.source_description = mlps_kv_source_describe(run.source); /* what it issued */
    if (run.cache) {
        mlps_kv_cache_counters_get(run.cache, &result.counters);
        result.latencies = mlps_kv_cache_latencies_of(run.cache);
    }
    if (rc == 0)
        rc = mlps_kv_run_write_outputs(&run, params, err);
    if (run.trace) {
        if (rc == 0)
            rc = mlps_kv_trace_close(run.trace, err);
        else
            mlps_kv_trace_abandon(run.trace);
    }
    if (run.cache)
        mlps_kv_cache_free(run.cache);
    result.latencies = NULL;
    if (temporary_dir)
        remove_temporary_dir(cache_dir);
    run_destroy(&run);
    mlps_kv_run_result_destroy(&result);
    return rc;
}
