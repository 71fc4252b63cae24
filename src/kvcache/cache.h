/* The multi-tier KV cache: GPU → CPU → storage tiers with the reference's one-way waterfall
 * LRU (spec 30 §3). An allocation generates the entry's bytes, places it in the first tier with
 * room (making room by demoting that tier's least recently used entries one tier down, the
 * terminal storage tier deleting its oldest files instead), and writes it there; a read serves
 * the entry from wherever it is, never promoting it. Everything is counted exactly under any
 * number of threads, and demotion traffic ("spill") is counted in the destination tier's bytes
 * and latencies as well as on its own (the reference counts none of it).
 *
 * Tiers: gpu is either absent or simulated (sizes only; latency = bytes / bandwidth, labelled as
 * simulated in every output); cpu holds real copies in process memory; storage writes one NumPy
 * .npy file per entry in cache_dir (fsync on write; page cache dropped before each read, or
 * O_DIRECT with direct_io), or, when cache_dir is an s3:// URI, one .npy object per entry. With a trace writer every tier moves no bytes and costs no time:
 * each operation becomes a trace row instead. */
#ifndef MLPS_KVCACHE_CACHE_H
#define MLPS_KVCACHE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "kvcache/model.h"
#include "kvcache/samples.h"
#include "kvcache/settings.h"

typedef enum mlps_kv_tier {
    MLPS_KV_TIER_GPU,
    MLPS_KV_TIER_CPU,
    MLPS_KV_TIER_STORAGE,
    MLPS_KV_TIER_COUNT,
    MLPS_KV_TIER_NONE = -1,
} mlps_kv_tier;

const char *mlps_kv_tier_name(mlps_kv_tier tier); /* "gpu", "cpu", "storage" */

typedef enum mlps_kv_phase { MLPS_KV_PHASE_PREFILL, MLPS_KV_PHASE_DECODE, MLPS_KV_PHASE_EVICT } mlps_kv_phase;

/* Which counter a hit lands in. */
typedef enum mlps_kv_read_type {
    MLPS_KV_READ_USER,
    MLPS_KV_READ_SYSTEM,
    MLPS_KV_READ_COMMON,
    MLPS_KV_READ_MULTI_TURN,
} mlps_kv_read_type;

typedef struct mlps_kv_trace mlps_kv_trace; /* trace.h */

typedef struct mlps_kv_cache_params {
    const mlps_kv_model *model;
    int tensor_parallel;             /* ≥ 1 */
    uint64_t seed;                   /* generator seed (0 when --seed is absent) */
    uint64_t gpu_limit_bytes;        /* 0 = no gpu tier */
    bool gpu_simulated;              /* true: a simulated gpu tier of gpu_limit_bytes */
    double gpu_bandwidth_gib_s;      /* simulated gpu tier: 64 */
    uint64_t cpu_limit_bytes;        /* 0 = no cpu tier */
    uint64_t storage_limit_bytes;    /* 0 = auto: 0.95 × statvfs free of cache_dir (∞ in trace
                                        mode); required (> 0) for an object store */
    const char *cache_dir;           /* storage tier directory (must exist) or s3:// URI */
    bool direct_io;                  /* storage tier with O_DIRECT instead of fsync + fadvise;
                                        files only */
    int max_concurrent_allocs;       /* 0 = no limit */
    const mlps_kv_settings *settings; /* eviction ratios and limits */
    mlps_kv_trace *trace;            /* non-NULL: trace mode (no real I/O) */
} mlps_kv_cache_params;

typedef struct mlps_kv_cache mlps_kv_cache;

/* Whether a cache directory names an object store prefix (s3://bucket/prefix) rather than a
 * directory. */
bool mlps_kv_cache_dir_is_object_store(const char *cache_dir);

/* Removes mlps's own *.npy files (or objects) from cache_dir (nothing else) and sets the tiers
 * up. Errors: a cache_dir that cannot be listed or written (exit 1); an object store without a
 * storage limit, or with direct_io (exit 2). */
int mlps_kv_cache_new(const mlps_kv_cache_params *params, mlps_kv_cache **out, mlps_error *err);
/* Deletes every file the cache wrote and frees it. */
void mlps_kv_cache_free(mlps_kv_cache *cache);

typedef struct mlps_kv_op_result {
    bool ok;            /* allocate: placed; access: hit */
    mlps_kv_tier tier;  /* where the entry is (NONE on a miss or failure) */
    double seconds;     /* time the caller waited for I/O, demotions included */
    uint64_t bytes;
} mlps_kv_op_result;

/* Allocates key with `tokens` tokens (size from the model and tensor parallel). An existing key
 * returns ok with 0 seconds and no I/O. A storage failure (disk full that eviction cannot fix,
 * an I/O error) returns a negative code with err set: the run must stop. */
int mlps_kv_cache_allocate(mlps_kv_cache *cache, const char *key, uint64_t tokens,
                           mlps_kv_phase phase, mlps_kv_op_result *out, mlps_error *err);

/* Reads key. A miss is ok=false with 0 seconds. Same error rule as allocate. */
int mlps_kv_cache_access(mlps_kv_cache *cache, const char *key, mlps_kv_phase phase,
                         mlps_kv_read_type type, mlps_kv_op_result *out, mlps_error *err);

bool mlps_kv_cache_contains(mlps_kv_cache *cache, const char *key);

/* Zeroes the counters and latency samples; entries stay (after preconditioning/pre-population). */
void mlps_kv_cache_reset_stats(mlps_kv_cache *cache);

/* A consistent copy of the counters. */
typedef struct mlps_kv_cache_counters {
    uint64_t cache_hits, cache_misses;
    uint64_t system_prompt_hits, common_phrase_hits, user_cache_hits, multi_turn_hits;
    uint64_t prefill_writes, decode_reads;
    uint64_t read_operations, write_operations;
    uint64_t total_read_bytes, total_write_bytes;
    uint64_t tier_bytes_written[MLPS_KV_TIER_COUNT]; /* including spill into the tier */
    uint64_t tier_bytes_read[MLPS_KV_TIER_COUNT];    /* including spill out of the tier */
    uint64_t spill_bytes_written[MLPS_KV_TIER_COUNT]; /* demotion writes into the tier */
    uint64_t spill_bytes_read[MLPS_KV_TIER_COUNT];    /* demotion reads out of the tier */
    uint64_t spill_operations;
    uint64_t offloads_cpu, offloads_storage, evictions; /* evictions: demotions + deletions */
    uint64_t storage_deletions;
    uint64_t storage_tokens_processed;
    uint64_t tier_entries[MLPS_KV_TIER_COUNT];
    uint64_t tier_used_bytes[MLPS_KV_TIER_COUNT];
    uint64_t tier_limit_bytes[MLPS_KV_TIER_COUNT]; /* UINT64_MAX = unbounded */
    bool tier_present[MLPS_KV_TIER_COUNT];
    bool gpu_simulated;
    uint64_t forced_placements; /* no tier had room: forced onto storage */
    uint64_t storage_retries;   /* requests the storage tier's object store sent again */
} mlps_kv_cache_counters;
void mlps_kv_cache_counters_get(mlps_kv_cache *cache, mlps_kv_cache_counters *out);

/* The per-operation latency samples (seconds), owned by the cache. Storage writes include the
 * spill writes; spill_* hold those alone. */
typedef struct mlps_kv_cache_latencies {
    mlps_kv_samples read[MLPS_KV_TIER_COUNT];
    mlps_kv_samples write[MLPS_KV_TIER_COUNT];
    mlps_kv_samples storage_read_device, storage_read_host;
    mlps_kv_samples storage_write_device, storage_write_host;
    mlps_kv_samples spill_write; /* demotion writes into storage */
} mlps_kv_cache_latencies;
mlps_kv_cache_latencies *mlps_kv_cache_latencies_of(mlps_kv_cache *cache);

#endif
