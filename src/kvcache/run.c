/* A KV-cache benchmark run (see run.h): sets the cache and the workload source up, runs the
 * generator, the workers and (when on) the RAG ingest and the autoscaler, shows progress, stops
 * on --duration, --max-requests, the end of a trace replay or a failure, and reports over the
 * window it really ran. */
#include "kvcache/run.h"

#include <errno.h>
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
#define MONITOR_TICK_NS 100000000ull    /* 0.1 s */
#define AUTOSCALE_INTERVAL_NS 10000000000ull /* 10 s, as the reference */
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

/* ---- the monitor: progress, autoscaling, the end conditions ---- */

typedef struct monitor {
    mlps_kv_run_state *run;
    mlps_progress progress;
    mlps_kv_autoscaler scaler;
    uint64_t next_scale_ns;
    size_t storage_reads_seen;
    size_t events_capacity, timeline_capacity;
} monitor;

static void progress_detail(void *ctx, char *out, size_t size)
{
    mlps_kv_run_state *run = ctx;
    double elapsed = (double)(mlps_monotonic_ns() - run->start_ns) / 1e9;
    if (elapsed <= 0)
        elapsed = 1e-9;
    mlps_kv_cache_counters c;
    mlps_kv_cache_counters_get(run->cache, &c);
    int users = 0;
    pthread_mutex_lock(&run->source_lock);
    users = mlps_kv_source_active_users(run->source);
    pthread_mutex_unlock(&run->source_lock);
    snprintf(out, size,
             "%.0f tok/s, storage read %.2f GiB/s write %.2f GiB/s, cpu %.2f GiB, storage %.2f GiB "
             "(%llu entries), users %d, queued %zu",
             (double)atomic_load(&run->tokens) / elapsed,
             (double)c.tier_bytes_read[MLPS_KV_TIER_STORAGE] / GIB / elapsed,
             (double)c.tier_bytes_written[MLPS_KV_TIER_STORAGE] / GIB / elapsed,
             (double)c.tier_used_bytes[MLPS_KV_TIER_CPU] / GIB,
             (double)c.tier_used_bytes[MLPS_KV_TIER_STORAGE] / GIB,
             (unsigned long long)c.tier_entries[MLPS_KV_TIER_STORAGE], users,
             mlps_kv_queue_length(&run->queue));
}

/* P95 (ms) of the storage reads since the last interval. */
static double interval_read_p95_ms(monitor *m)
{
    mlps_kv_cache_latencies *lat = mlps_kv_cache_latencies_of(m->run->cache);
    double *values;
    size_t count;
    if (mlps_kv_samples_copy(&lat->read[MLPS_KV_TIER_STORAGE], &values, &count) < 0)
        return 0;
    size_t from = m->storage_reads_seen <= count ? m->storage_reads_seen : 0;
    m->storage_reads_seen = count;
    size_t n = count - from;
    double *fresh = malloc((n ? n : 1) * sizeof *fresh);
    double p95 = 0;
    if (fresh) {
        memcpy(fresh, values + from, n * sizeof *fresh);
        mlps_kv_sorted sorted;
        mlps_kv_sorted_take(&sorted, fresh, n);
        p95 = mlps_kv_percentile(&sorted, 95) * 1000.0;
        mlps_kv_sorted_free(&sorted);
    }
    free(values);
    return p95;
}

static void *grow(void *array, size_t *capacity, size_t count, size_t item)
{
    if (count < *capacity)
        return array;
    size_t grown = *capacity ? *capacity * 2 : 16;
    void *bigger = realloc(array, grown * item);
    if (bigger)
        *capacity = grown;
    return bigger;
}

static void autoscale_tick(monitor *m, uint64_t now)
{
    mlps_kv_run_state *run = m->run;
    mlps_kv_run_result *r = run->result;
    double elapsed = (double)(now - run->start_ns) / 1e9;
    double throughput = elapsed > 0 ? (double)atomic_load(&run->tokens) / elapsed : 0;
    double wall = (double)mlps_wall_ns() / 1e9;
    int before = m->scaler.users;
    mlps_kv_autoscale_action action = mlps_kv_autoscaler_step(&m->scaler, interval_read_p95_ms(m), throughput);
    if (action == MLPS_KV_SCALE_UP || action == MLPS_KV_SCALE_DOWN) {
        pthread_mutex_lock(&run->source_lock);
        mlps_kv_source_set_active_users(run->source, m->scaler.users);
        pthread_mutex_unlock(&run->source_lock);
        mlps_info("kvcache: autoscaler (%s): %s from %d to %d users (saturation %.2f)",
                  run->options->autoscaler_mode == MLPS_KV_AUTOSCALE_QOS ? "qos" : "capacity",
                  mlps_kv_autoscale_action_name(action), before, m->scaler.users,
                  m->scaler.last_saturation);
    }
    if (action == MLPS_KV_SCALE_STOP) {
        mlps_info("kvcache: autoscaler (capacity): no gain in 2 intervals; peak %.0f tok/s at %d users",
                  m->scaler.peak_throughput, m->scaler.peak_users);
        mlps_kv_run_stop(run);
    }
    pthread_mutex_lock(&run->result_lock);
    void *events = grow(r->autoscale_events, &m->events_capacity, r->autoscale_event_count,
                        sizeof *r->autoscale_events);
    if (events) {
        r->autoscale_events = events;
        r->autoscale_events[r->autoscale_event_count++] = (mlps_kv_autoscale_event){
            .timestamp = wall,
            .action = mlps_kv_autoscale_action_name(action),
            .users_before = before,
            .users_after = m->scaler.users,
            .saturation = m->scaler.last_saturation,
            .throughput_tokens_per_sec = throughput,
        };
    }
    void *timeline = grow(r->timeline, &m->timeline_capacity, r->timeline_count, sizeof *r->timeline);
    if (timeline) {
        r->timeline = timeline;
        r->timeline[r->timeline_count].timestamp = wall;
        r->timeline[r->timeline_count++].tokens_per_sec = throughput;
    }
    if (m->scaler.users > r->peak_users)
        r->peak_users = m->scaler.users;
    r->peak_throughput_tokens_per_sec = m->scaler.peak_throughput > throughput ? m->scaler.peak_throughput
                                        : (throughput > r->peak_throughput_tokens_per_sec ? throughput
                                           : r->peak_throughput_tokens_per_sec);
    pthread_mutex_unlock(&run->result_lock);
}

static bool run_should_end(mlps_kv_run_state *run, uint64_t now)
{
    if (atomic_load(&run->stop))
        return true;
    if ((double)(now - run->start_ns) / 1e9 >= run->options->duration_s)
        return true;
    /* a finished trace replay ends when its last request is done */
    return atomic_load(&run->source_done) && mlps_kv_queue_length(&run->queue) == 0 &&
           atomic_load(&run->in_flight) == 0;
}

static void monitor_loop(monitor *m)
{
    mlps_kv_run_state *run = m->run;
    const mlps_kv_options *o = run->options;
    for (;;) {
        uint64_t now = mlps_monotonic_ns();
        if (run_should_end(run, now))
            break;
        mlps_progress_add(&m->progress, atomic_load(&run->completed) - atomic_load(&m->progress.done));
        mlps_progress_tick(&m->progress);
        if (o->enable_autoscaling && now >= m->next_scale_ns) {
            autoscale_tick(m, now);
            m->next_scale_ns += AUTOSCALE_INTERVAL_NS;
        }
        mlps_kv_run_sleep_until(run, now + MONITOR_TICK_NS);
    }
    mlps_kv_run_stop(run);
    mlps_kv_queue_close(&run->queue);
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
    monitor m = {.run = run};
    mlps_kv_autoscaler_init(&m.scaler, o->autoscaler_mode, o->target_saturation,
                            run->settings->read_latency_p95_threshold_ms,
                            run->settings->autoscaler_min_users,
                            run->settings->autoscaler_max_users < MAX_WORKERS ? run->settings->autoscaler_max_users
                                                                              : MAX_WORKERS,
                            (int)o->num_users);
    run->result->initial_users = run->result->peak_users = (int)o->num_users;

    run->result->wall_start_epoch_s = (double)mlps_wall_ns() / 1e9;
    m.next_scale_ns = run->start_ns + AUTOSCALE_INTERVAL_NS;
    mlps_progress_start(&m.progress, "kvcache", MLPS_PROGRESS_ITEMS, "requests",
                        o->max_requests > 0 ? (uint64_t)o->max_requests : 0, true, -1);
    m.progress.detail = progress_detail;
    m.progress.detail_ctx = run;

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
        monitor_loop(&m);
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
    mlps_progress_add(&m.progress, atomic_load(&run->completed) - atomic_load(&m.progress.done));
    mlps_progress_finish(&m.progress);
    run->result->final_users = m.scaler.users;
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
