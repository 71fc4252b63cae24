/* The KV cache's counters and latency samples: a consistent snapshot of the counters (taken
 * under the cache lock, with each tier's entries, usage and limit), resetting them after
 * preconditioning, and recording each operation's latency in the right sample sets. */
#include <string.h>

#include "kvcache/cache_internal.h"

const char *mlps_kv_tier_name(mlps_kv_tier tier)
{
    switch (tier) {
    case MLPS_KV_TIER_GPU:
        return "gpu";
    case MLPS_KV_TIER_CPU:
        return "cpu";
    case MLPS_KV_TIER_STORAGE:
        return "storage";
    default:
        return "none";
    }
}

static mlps_kv_samples *all_samples(mlps_kv_cache_latencies *l, size_t *count)
{
    /* The struct is nothing but sample sets, in order. */
    *count = sizeof *l / sizeof(mlps_kv_samples);
    return (mlps_kv_samples *)l;
}

void kv_latencies_init(mlps_kv_cache_latencies *l)
{
    size_t n;
    mlps_kv_samples *s = all_samples(l, &n);
    for (size_t i = 0; i < n; i++)
        mlps_kv_samples_init(&s[i]);
}

void kv_latencies_destroy(mlps_kv_cache_latencies *l)
{
    size_t n;
    mlps_kv_samples *s = all_samples(l, &n);
    for (size_t i = 0; i < n; i++)
        mlps_kv_samples_destroy(&s[i]);
}

void kv_record_write(mlps_kv_cache *c, mlps_kv_tier tier, const mlps_kv_io_time *time, bool spill)
{
    mlps_kv_cache_latencies *l = &c->latencies;
    mlps_kv_samples_add(&l->write[tier], time->total);
    if (tier != MLPS_KV_TIER_STORAGE)
        return;
    mlps_kv_samples_add(&l->storage_write_device, time->device);
    mlps_kv_samples_add(&l->storage_write_host, time->host);
    if (spill)
        mlps_kv_samples_add(&l->spill_write, time->total);
}

void kv_record_read(mlps_kv_cache *c, mlps_kv_tier tier, const mlps_kv_io_time *time)
{
    mlps_kv_cache_latencies *l = &c->latencies;
    mlps_kv_samples_add(&l->read[tier], time->total);
    if (tier != MLPS_KV_TIER_STORAGE)
        return;
    mlps_kv_samples_add(&l->storage_read_device, time->device);
    mlps_kv_samples_add(&l->storage_read_host, time->host);
}

/* The store counts from its opening; the run counts from the last reset, like every counter. */
static uint64_t storage_retries_so_far(const mlps_kv_cache *c)
{
    const mlps_kv_backend *storage = c->tiers[MLPS_KV_TIER_STORAGE].backend;
    return storage && storage->ops->retries ? storage->ops->retries(storage) : 0;
}

void mlps_kv_cache_counters_get(mlps_kv_cache *c, mlps_kv_cache_counters *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->counters;
    for (int t = 0; t < MLPS_KV_TIER_COUNT; t++) {
        const kv_tier_state *ts = &c->tiers[t];
        out->tier_present[t] = ts->backend != NULL;
        out->tier_entries[t] = ts->entries;
        out->tier_used_bytes[t] = ts->used;
        out->tier_limit_bytes[t] = ts->backend ? ts->limit : 0;
    }
    out->gpu_simulated = c->gpu_simulated;
    out->storage_retries = storage_retries_so_far(c) - c->storage_retries_before;
    pthread_mutex_unlock(&c->lock);
}

void mlps_kv_cache_reset_stats(mlps_kv_cache *c)
{
    pthread_mutex_lock(&c->lock);
    memset(&c->counters, 0, sizeof c->counters);
    c->storage_retries_before = storage_retries_so_far(c);
    pthread_mutex_unlock(&c->lock);
    size_t n;
    mlps_kv_samples *s = all_samples(&c->latencies, &n);
    for (size_t i = 0; i < n; i++)
        mlps_kv_samples_clear(&s[i]);
}

mlps_kv_cache_latencies *mlps_kv_cache_latencies_of(mlps_kv_cache *c) { return &c->latencies; }
