/* The waterfall (spec 30 §3.4): making room in a tier by moving its least recently used
 * entries one tier down, the terminal storage tier deleting its oldest files instead. Entries
 * only ever move down; nothing is promoted. Unlike the reference, a demotion is counted: its
 * read in the tier it leaves, its write (bytes and latency) in the tier it enters, both also
 * as spill, and its time in the caller's operation. */
#include <errno.h>
#include <string.h>

#include "kvcache/cache_internal.h"

mlps_kv_tier kv_next_tier(const mlps_kv_cache *c, mlps_kv_tier tier)
{
    for (int t = (int)tier + 1; t < MLPS_KV_TIER_COUNT; t++)
        if (c->tiers[t].backend)
            return (mlps_kv_tier)t;
    return MLPS_KV_TIER_NONE;
}

static void reserve(kv_tier_state *t, uint64_t bytes, bool *placed)
{
    t->used += bytes;
    *placed = true;
}

/* A demotion's or deletion's view of an entry. */
static mlps_kv_tier_op entry_op(const kv_entry *e, void **data, const mlps_kv_entry_shape *shape,
                                const mlps_kv_entry_gen *gen)
{
    return (mlps_kv_tier_op){
        .key = e->key, .shape = shape, .data = data, .phase = MLPS_KV_PHASE_EVICT, .gen = gen};
}

/* Deletes a stored entry (lock held on entry and on return; released around the unlink). */
static void delete_stored_locked(mlps_kv_cache *c, kv_entry *victim)
{
    kv_tier_state *storage = &c->tiers[MLPS_KV_TIER_STORAGE];
    kv_tier_list_remove(storage, victim);
    storage->used -= victim->bytes;
    victim->state = KV_ENTRY_DELETING;
    c->counters.evictions++;
    c->counters.storage_deletions++;
    pthread_mutex_unlock(&c->lock);

    mlps_kv_entry_shape shape = mlps_kv_model_entry_shape(c->model, victim->tokens,
                                                          c->tensor_parallel);
    mlps_kv_tier_op op = entry_op(victim, &victim->data, &shape, NULL);
    storage->backend->ops->remove(storage->backend, &op);

    pthread_mutex_lock(&c->lock);
    kv_table_remove(c, victim);
    kv_entry_free(victim);
    pthread_cond_broadcast(&c->changed);
}

/* Puts a demotion that could not happen back where it was (lock held). */
static void restore_locked(mlps_kv_cache *c, kv_entry *e, mlps_kv_tier from)
{
    c->tiers[from].used += e->bytes;
    e->state = KV_ENTRY_READY;
    kv_tier_list_insert(&c->tiers[from], e);
    pthread_cond_broadcast(&c->changed);
}

static void count_demotion_locked(mlps_kv_cache *c, const kv_entry *e, mlps_kv_tier from,
                                  mlps_kv_tier to)
{
    mlps_kv_cache_counters *k = &c->counters;
    k->evictions++;
    k->spill_operations++;
    k->tier_bytes_read[from] += e->bytes;
    k->spill_bytes_read[from] += e->bytes;
    k->tier_bytes_written[to] += e->bytes;
    k->spill_bytes_written[to] += e->bytes;
    if (to == MLPS_KV_TIER_CPU)
        k->offloads_cpu++;
    if (to == MLPS_KV_TIER_STORAGE) {
        k->offloads_storage++;
        k->storage_tokens_processed += e->tokens;
    }
}

/* Moves the bytes of a MOVING entry from one tier's backend to the next's (no lock held). */
static int move_bytes(mlps_kv_cache *c, kv_entry *e, mlps_kv_tier from, mlps_kv_tier to,
                      void **moved, double *seconds, mlps_error *err)
{
    mlps_kv_entry_shape shape = mlps_kv_model_entry_shape(c->model, e->tokens, c->tensor_parallel);
    mlps_kv_entry_gen gen;
    mlps_kv_entry_gen_init(&gen, c->seed, e->key, shape.bytes);
    mlps_kv_backend *src = c->tiers[from].backend;
    mlps_kv_tier_op src_op = entry_op(e, &e->data, &shape, &gen);
    mlps_kv_tier_op dst_op = entry_op(e, moved, &shape, &gen);
    mlps_kv_source source = src->ops->source(src, &src_op);
    mlps_kv_io_time time = {0};
    double source_seconds = 0;
    int rc = kv_write_with_room(c, to, &dst_op, &source, &time, &source_seconds, err);
    if (rc)
        return rc;
    src->ops->remove(src, &src_op);
    kv_record_write(c, to, &time, true);
    *seconds += time.total + source_seconds;
    return 0;
}

/* Demotes victim from `from` to the next tier. Lock held on entry and on return. Returns 1
 * when moved, 0 when the next tier cannot take it, negative on an I/O error. */
static int demote_locked(mlps_kv_cache *c, kv_entry *victim, mlps_kv_tier from, int depth,
                         double *seconds, mlps_error *err)
{
    mlps_kv_tier to = kv_next_tier(c, from);
    kv_tier_list_remove(&c->tiers[from], victim);
    c->tiers[from].used -= victim->bytes;
    victim->state = KV_ENTRY_MOVING;
    pthread_mutex_unlock(&c->lock);

    bool placed = false;
    int rc = kv_ensure_space(c, to, victim->bytes, depth + 1, seconds, &placed, err);
    void *moved = NULL;
    if (rc == 0 && placed)
        rc = move_bytes(c, victim, from, to, &moved, seconds, err);

    pthread_mutex_lock(&c->lock);
    if (rc != 0 || !placed) {
        if (rc != 0 && placed)
            c->tiers[to].used -= victim->bytes;
        restore_locked(c, victim, from);
        return rc;
    }
    victim->data = moved;
    victim->tier = to;
    victim->state = KV_ENTRY_READY;
    kv_tier_list_insert(&c->tiers[to], victim);
    count_demotion_locked(c, victim, from, to);
    pthread_cond_broadcast(&c->changed);
    return 1;
}

static uint64_t eviction_budget(const mlps_kv_cache *c, uint64_t entries)
{
    uint64_t wanted = entries + 100 > c->rules.max_evictions_min ? entries + 100
                                                                  : c->rules.max_evictions_min;
    return wanted < c->rules.max_evictions_hard_cap ? wanted : c->rules.max_evictions_hard_cap;
}

/* The eviction loop of kv_ensure_space (lock held). */
static int make_room_locked(mlps_kv_cache *c, mlps_kv_tier tier, uint64_t need, int depth,
                            double *seconds, bool *placed, mlps_error *err)
{
    kv_tier_state *t = &c->tiers[tier];
    bool last = kv_next_tier(c, tier) == MLPS_KV_TIER_NONE;
    double limit = (double)t->limit;
    double target = limit * c->rules.target_usage_ratio;
    if (!last && (double)need > limit * c->rules.large_entry_limit_ratio)
        return 0;
    double effective = last ? limit : target;
    uint64_t budget = eviction_budget(c, t->entries), evicted = 0;
    for (bool first = true;; first = false) {
        if ((double)(t->used + need) <= effective || (double)t->used < 0.05 * limit) {
            reserve(t, need, placed);
            return 0;
        }
        /* A nearly empty tier cannot free enough for a large entry: skip it at once. */
        if (first && !last && (double)t->listed_bytes < 0.2 * limit && (double)need > 0.5 * target)
            return 0;
        kv_entry *victim = evicted < budget ? kv_tier_oldest_idle(t) : NULL;
        if (!victim) {
            if (last)
                reserve(t, need, placed); /* the terminal tier takes it over its limit */
            return 0;
        }
        evicted++;
        if (last) {
            delete_stored_locked(c, victim);
            continue;
        }
        int rc = demote_locked(c, victim, tier, depth, seconds, err);
        if (rc <= 0)
            return rc;
    }
}

int kv_ensure_space(mlps_kv_cache *c, mlps_kv_tier tier, uint64_t need, int depth,
                    double *seconds, bool *placed, mlps_error *err)
{
    kv_tier_state *t = &c->tiers[tier];
    *placed = false;
    int rc = 0;
    pthread_mutex_lock(&c->lock);
    if (t->limit == UINT64_MAX)
        reserve(t, need, placed);
    else if (depth <= c->rules.max_recursion_depth)
        rc = make_room_locked(c, tier, need, depth, seconds, placed, err);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int kv_write_with_room(mlps_kv_cache *c, mlps_kv_tier tier, const mlps_kv_tier_op *op,
                       const mlps_kv_source *src, mlps_kv_io_time *time, double *source_seconds,
                       mlps_error *err)
{
    mlps_kv_backend *b = c->tiers[tier].backend;
    for (;;) {
        int rc = b->ops->write(b, op, src, time, source_seconds, err);
        if (rc != -ENOSPC || tier != MLPS_KV_TIER_STORAGE)
            return rc;
        pthread_mutex_lock(&c->lock);
        kv_entry *victim = kv_tier_oldest_idle(&c->tiers[MLPS_KV_TIER_STORAGE]);
        if (victim)
            delete_stored_locked(c, victim);
        pthread_mutex_unlock(&c->lock);
        if (!victim)
            return mlps_fail(err, -ENOSPC,
                             "--cache-dir %s is full: entry %s needs %llu bytes and no stored "
                             "entry is left to delete",
                             c->cache_dir ? c->cache_dir : "", op->key,
                             (unsigned long long)op->shape->bytes);
        if (err)
            mlps_error_clear(err);
    }
}
