/* The tier backends behind the KV cache (internal to the cache): each stores, reads and
 * deletes whole entries and reports how long that took, split into device and host time.
 * cpu keeps real copies in process memory; storage writes one .npy file per entry, or one .npy
 * object per entry when the cache directory is an s3:// URI (tier_object.c); the simulated gpu keeps sizes only and charges bytes / bandwidth; the trace backend moves no
 * bytes, costs nothing and turns every operation into a trace row. The cache decides where
 * entries go; a backend never looks at other entries. */
#ifndef MLPS_KVCACHE_TIER_H
#define MLPS_KVCACHE_TIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "kvcache/cache.h"
#include "kvcache/entry.h"

/* Moves go through buffers of this size (4 KiB-aligned, for O_DIRECT): nothing ever holds a
 * second copy of a whole entry. */
#define MLPS_KV_IO_CHUNK_BYTES (4u << 20)
#define MLPS_KV_IO_ALIGN 4096u

typedef struct mlps_kv_io_time {
    double total, device, host; /* seconds; total = device + host */
} mlps_kv_io_time;

/* Where a write's bytes come from: the generator (an allocation) or another tier's copy (a
 * demotion). read_at puts bytes [offset, offset + len) of the entry's data in buf and returns
 * the seconds spent reading them out of a tier (0 for the generator). A plain value: the
 * fields are whatever its read_at needs. */
typedef struct mlps_kv_source mlps_kv_source;
struct mlps_kv_source {
    double (*read_at)(const mlps_kv_source *src, void *buf, size_t len, uint64_t offset);
    const void *data;             /* a cpu copy */
    const mlps_kv_entry_gen *gen; /* the generator */
    double bytes_per_second;      /* the simulated gpu */
};

/* One entry as a backend sees it during one operation. */
typedef struct mlps_kv_tier_op {
    const char *key;
    const mlps_kv_entry_shape *shape; /* shape->bytes = the entry's data bytes */
    void **data;                      /* the backend's per-entry state (the cpu copy) */
    mlps_kv_phase phase;              /* for trace rows */
    const mlps_kv_entry_gen *gen;     /* the entry's generator (the simulated gpu re-creates bytes) */
} mlps_kv_tier_op;

typedef struct mlps_kv_backend mlps_kv_backend;

typedef struct mlps_kv_backend_ops {
    /* Stores the entry's bytes pulled from src. *source_seconds gets what src charged. On
     * failure nothing stays stored; -ENOSPC means the device is full (the cache makes room and
     * retries). */
    int (*write)(mlps_kv_backend *b, const mlps_kv_tier_op *op, const mlps_kv_source *src,
                 mlps_kv_io_time *time, double *source_seconds, mlps_error *err);
    /* Reads the whole entry back (into a scratch buffer) and checks its framing. */
    int (*read)(mlps_kv_backend *b, const mlps_kv_tier_op *op, mlps_kv_io_time *time,
                mlps_error *err);
    /* A source that reads this tier's copy, for demoting the entry one tier down. */
    mlps_kv_source (*source)(mlps_kv_backend *b, const mlps_kv_tier_op *op);
    void (*remove)(mlps_kv_backend *b, const mlps_kv_tier_op *op);
    /* Optional, for the end of a run: from now on remove may hold entries back and delete them
     * together (an object store's multi-object delete); destroy deletes what is held. */
    void (*defer_removals)(mlps_kv_backend *b);
    void (*destroy)(mlps_kv_backend *b);
    /* Requests the backend had to send again (an object store's retries); NULL: none. */
    uint64_t (*retries)(const mlps_kv_backend *b);
} mlps_kv_backend_ops;

struct mlps_kv_backend {
    const mlps_kv_backend_ops *ops;
    mlps_kv_tier tier;
};

int mlps_kv_backend_cpu_new(mlps_kv_backend **out, mlps_error *err);
int mlps_kv_backend_gpu_sim_new(double bandwidth_gib_s, mlps_kv_backend **out, mlps_error *err);
/* dir must exist; direct_io: O_DIRECT with aligned buffers (checked here: an error when the
 * filesystem refuses it). */
int mlps_kv_backend_storage_new(const char *dir, bool direct_io, mlps_kv_backend **out,
                                mlps_error *err);
/* The storage tier on an object store: uri is s3://bucket/prefix, entries are the objects
 * <prefix>/<key>.npy. Removes the .npy objects directly under the prefix first (a previous run's
 * entries; nothing else). */
int mlps_kv_backend_object_new(const char *uri, mlps_kv_backend **out, mlps_error *err);
int mlps_kv_backend_trace_new(mlps_kv_trace *trace, mlps_kv_tier tier, mlps_kv_backend **out,
                              mlps_error *err);

/* A source that generates the entry's bytes. */
mlps_kv_source mlps_kv_generator_source(const mlps_kv_entry_gen *gen);

/* Puts bytes [pos, pos + n) of a .npy entry (header, then data from src) in buf; returns what
 * src charged. */
double mlps_kv_compose_npy(const char *header, size_t header_len, const mlps_kv_source *src,
                           uint8_t *buf, size_t n, uint64_t pos);

/* 4 KiB-aligned scratch for moving bytes, at most MLPS_KV_IO_CHUNK_BYTES (fewer for a small
 * entry: `bytes`, rounded up). NULL when out of memory. */
void *mlps_kv_io_buffer(uint64_t bytes, size_t *size);

#endif
