/* The KV cache's private state, shared by its files: cache.c (setup, allocate, access),
 * cache_table.c (the key table and per-tier LRU lists), cache_evict.c (the waterfall) and
 * cache_stats.c (counters and samples).
 *
 * Concurrency: one mutex guards every entry's metadata, the tables and all counters; no I/O is
 * ever done under it. Space is reserved in a tier before its bytes are written. An entry's state
 * keeps the I/O outside the lock safe: a WRITING entry is invisible to reads and never a victim;
 * an entry with readers is never a victim; a MOVING or DELETING entry has left its tier's LRU
 * list (its bytes already count as gone from that tier) and a reader of it waits for `changed`. */
#ifndef MLPS_KVCACHE_CACHE_INTERNAL_H
#define MLPS_KVCACHE_CACHE_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvcache/cache.h"
#include "kvcache/tier.h"

typedef enum kv_entry_state {
    KV_ENTRY_WRITING,  /* key claimed, bytes being written */
    KV_ENTRY_READY,    /* in its tier's LRU list */
    KV_ENTRY_MOVING,   /* being demoted to the next tier */
    KV_ENTRY_DELETING, /* evicted from storage, file being unlinked */
} kv_entry_state;

typedef struct kv_entry kv_entry;
struct kv_entry {
    char *key;
    uint64_t tokens, bytes;
    mlps_kv_tier tier;
    kv_entry_state state;
    unsigned readers;
    uint64_t last_access; /* the cache's logical clock: strictly increasing */
    uint64_t access_count;
    void *data;           /* the backend's per-entry state (the cpu copy) */
    kv_entry *hash_next;
    kv_entry *lru_prev, *lru_next;
};

typedef struct kv_tier_state {
    mlps_kv_backend *backend; /* NULL: the tier is absent */
    uint64_t limit;           /* UINT64_MAX: unbounded */
    uint64_t used;            /* bytes of its entries plus reservations */
    uint64_t entries;         /* READY entries */
    uint64_t listed_bytes;    /* bytes of the READY entries */
    kv_entry *oldest, *newest;
} kv_tier_state;

typedef struct kv_eviction_rules {
    int max_recursion_depth;
    double target_usage_ratio, large_entry_limit_ratio;
    uint64_t max_evictions_hard_cap, max_evictions_min;
} kv_eviction_rules;

struct mlps_kv_cache {
    const mlps_kv_model *model;
    int tensor_parallel;
    uint64_t seed;
    char *cache_dir; /* NULL in trace mode */
    bool trace_mode;
    bool gpu_simulated;
    kv_eviction_rules rules;

    pthread_mutex_t lock;
    pthread_cond_t changed; /* an entry left MOVING/DELETING or lost its last reader */
    kv_entry **buckets;
    size_t bucket_count, entry_count;
    kv_tier_state tiers[MLPS_KV_TIER_COUNT];
    uint64_t clock;
    mlps_kv_cache_counters counters; /* event counters; the tier snapshot is filled on read */
    uint64_t storage_retries_before;  /* the store's retry count when the counters were zeroed */

    bool limit_allocs;
    sem_t allocs;

    mlps_kv_cache_latencies latencies;
};

/* cache_table.c (all under the lock) */
kv_entry *kv_table_find(mlps_kv_cache *c, const char *key);
int kv_table_insert(mlps_kv_cache *c, kv_entry *e); /* -ENOMEM when it cannot grow */
void kv_table_remove(mlps_kv_cache *c, kv_entry *e);
void kv_entry_free(kv_entry *e);
/* Puts a READY entry in its tier's list, ordered by last_access (a fresh one goes last). */
void kv_tier_list_insert(kv_tier_state *t, kv_entry *e);
void kv_tier_list_remove(kv_tier_state *t, kv_entry *e);
/* The least recently used entry of the tier nobody is reading; NULL if none. */
kv_entry *kv_tier_oldest_idle(kv_tier_state *t);

/* cache_evict.c (called without the lock) */
/* Reserves `need` bytes in `tier`, making room by the waterfall; *placed false when the tier
 * cannot take it. Demotion time is added to *seconds. Negative: an I/O error (err set). */
int kv_ensure_space(mlps_kv_cache *c, mlps_kv_tier tier, uint64_t need, int depth,
                    double *seconds, bool *placed, mlps_error *err);
/* Writes through the tier's backend; on a full storage device deletes the least recently used
 * stored entries and retries, failing (-ENOSPC, err naming cache_dir and the bytes) when none
 * is left. */
int kv_write_with_room(mlps_kv_cache *c, mlps_kv_tier tier, const mlps_kv_tier_op *op,
                       const mlps_kv_source *src, mlps_kv_io_time *time, double *source_seconds,
                       mlps_error *err);
/* The present tier after `tier`, or MLPS_KV_TIER_NONE. */
mlps_kv_tier kv_next_tier(const mlps_kv_cache *c, mlps_kv_tier tier);

/* cache_stats.c */
void kv_latencies_init(mlps_kv_cache_latencies *l);
void kv_latencies_destroy(mlps_kv_cache_latencies *l);
/* Records one write's latency into the tier's samples (and, when spill, the spill samples). */
void kv_record_write(mlps_kv_cache *c, mlps_kv_tier tier, const mlps_kv_io_time *time, bool spill);
void kv_record_read(mlps_kv_cache *c, mlps_kv_tier tier, const mlps_kv_io_time *time);

#endif
