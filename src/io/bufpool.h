/* A fixed pool of aligned I/O buffers: count buffers of one size, allocated once (count is
 * typically queue depth x threads), handed out and returned through a free list. Nothing grows
 * with the dataset; mlps_bufpool_total_bytes tells a run what the pool costs. Thread-safe. */
#ifndef MLPS_IO_BUFPOOL_H
#define MLPS_IO_BUFPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct mlps_bufpool mlps_bufpool;

/* alignment 0 or 1 means 4096; otherwise a power of two (pass mlps_store_alignment(store)). Each buffer is buffer_size rounded up to the alignment, so a last block padded for
 * O_DIRECT always fits. */
int mlps_bufpool_create(size_t buffer_size, unsigned count, size_t alignment, mlps_bufpool **out,
                        mlps_error *err);
/* Every buffer must have been put back. */
void mlps_bufpool_destroy(mlps_bufpool *pool);

/* Blocks until a buffer is free. */
void *mlps_bufpool_get(mlps_bufpool *pool);
/* NULL when every buffer is in use. */
void *mlps_bufpool_try_get(mlps_bufpool *pool);
/* Returns a buffer from this pool; anything else is a programming error and aborts. */
void mlps_bufpool_put(mlps_bufpool *pool, void *buf);

size_t mlps_bufpool_buffer_size(const mlps_bufpool *pool); /* as requested */
size_t mlps_bufpool_alignment(const mlps_bufpool *pool);
unsigned mlps_bufpool_count(const mlps_bufpool *pool);
unsigned mlps_bufpool_available(mlps_bufpool *pool);
/* Bytes the pool holds (count x rounded buffer size). */
uint64_t mlps_bufpool_total_bytes(const mlps_bufpool *pool);

#endif
