/* The KV-cache run's monitor, on the thread that started the run: the live progress line
 * (requests, tokens/s, storage GiB/s read and written, tier occupancy, active users), the
 * autoscaler's interval (its decision applied to the workload source, its events and the
 * throughput timeline recorded), and the end of the window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "kvcache/run_internal.h"

#define MONITOR_TICK_NS 100000000ull        /* 0.1 s */
#define AUTOSCALE_INTERVAL_NS 10000000000ull /* 10 s, as the reference */
#define GIB 1073741824.0



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
static double interval_read_p95_ms(mlps_kv_monitor *m)
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

static void autoscale_tick(mlps_kv_monitor *m, uint64_t now)
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

void mlps_kv_monitor_watch(mlps_kv_monitor *m)
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

void mlps_kv_monitor_start(mlps_kv_monitor *m, mlps_kv_run_state *run, int max_workers)
{
    const mlps_kv_options *o = run->options;
    const mlps_kv_settings *s = run->settings;
    memset(m, 0, sizeof *m);
    m->run = run;
    int max_users = s->autoscaler_max_users < max_workers ? s->autoscaler_max_users : max_workers;
    mlps_kv_autoscaler_init(&m->scaler, o->autoscaler_mode, o->target_saturation,
                            s->read_latency_p95_threshold_ms, s->autoscaler_min_users, max_users,
                            (int)o->num_users);
    run->result->initial_users = run->result->peak_users = (int)o->num_users;
    run->result->wall_start_epoch_s = (double)mlps_wall_ns() / 1e9;
    m->next_scale_ns = run->start_ns + AUTOSCALE_INTERVAL_NS;
    mlps_progress_start(&m->progress, "kvcache", MLPS_PROGRESS_ITEMS, "requests",
                        o->max_requests > 0 ? (uint64_t)o->max_requests : 0, true, -1);
    m->progress.detail = progress_detail;
    m->progress.detail_ctx = run;
}

void mlps_kv_monitor_finish(mlps_kv_monitor *m)
{
    mlps_progress_add(&m->progress, atomic_load(&m->run->completed) - atomic_load(&m->progress.done));
    mlps_progress_finish(&m->progress);
    m->run->result->final_users = m->scaler.users;
}
