/* The reader side of a training rank: `read_threads` threads read the samples of upcoming
 * batches (whole, or in parts, see parts_per_batch) through the storage layer while the step
 * loop computes, and hand complete batches to it in order. At most read_threads * ceil(prefetch_size / read_threads) batches are being read
 * or wait unconsumed (DLIO's PyTorch bound). Each thread keeps `queue_depth` requests of
 * `transfer_size` bytes in flight; the bytes read are counted and then dropped (as DLIO drops
 * them: compute is emulated). Memory: read_threads * queue_depth * transfer_size, whatever the
 * dataset. */
#ifndef MLPS_TRAINING_LOADER_H
#define MLPS_TRAINING_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hist.h"
#include "io/store.h"
#include "training/layout.h"

/* Sample k (0-based, within this rank's share of epoch `epoch`) is sample `sample` of file
 * `file`. */
typedef int (*mlps_sample_order)(void *ctx, uint64_t epoch, uint64_t k, uint64_t *file,
                                 uint64_t *sample, mlps_error *err);

typedef struct mlps_loader_config {
    mlps_store *store;
    mlps_layout_cache *layouts;
    mlps_sample_order order;
    void *order_ctx;
    uint64_t batch_size;
    uint64_t batches_per_epoch;
    unsigned read_threads;
    unsigned prefetch_size;
    unsigned queue_depth;  /* requests in flight per reader thread */
    size_t transfer_size;  /* bytes per request (rounded up to the store's alignment) */
    /* 0 or 1: each batch is read whole by one thread (DLIO's PyTorch workers: batch k to one
     * worker). n > 1: each batch is cut into n runs of consecutive samples that free threads
     * take in order, so every thread works on the oldest batch first (TensorFlow's loaders:
     * read_threads readers feed the batch being built). Read-ahead is bounded in batches
     * either way. */
    unsigned parts_per_batch;
} mlps_loader_config;

typedef struct mlps_loader_stats {
    uint64_t bytes_read;    /* bytes transferred, including alignment padding */
    uint64_t sample_bytes;  /* bytes of the samples themselves (consecutive samples of a batch
                               that share one extent, an npy array, count and are read once) */
    uint64_t samples;
    uint64_t requests;
    mlps_hist read_latency_ns;
} mlps_loader_stats;

typedef struct mlps_loader mlps_loader;

int mlps_loader_create(const mlps_loader_config *config, mlps_loader **out, mlps_error *err);
/* Stops and joins the threads. */
void mlps_loader_destroy(mlps_loader *loader);

/* Begins reading batch 0 of `epoch` onwards. */
int mlps_loader_start_epoch(mlps_loader *loader, uint64_t epoch, mlps_error *err);
/* Waits for the next batch of the epoch; *sample_bytes receives the bytes its samples hold
 * (counted as in mlps_loader_stats). A batch that could not be read returns its error, naming
 * the file (and the offset, for a file shorter than its structure says); later batches go on. */
int mlps_loader_next_batch(mlps_loader *loader, uint64_t *sample_bytes, mlps_error *err);
/* Ends the epoch: batches still being read are finished and dropped. */
void mlps_loader_end_epoch(mlps_loader *loader);

/* The threads' counters, merged (call between epochs or after the last). */
void mlps_loader_stats_merged(mlps_loader *loader, mlps_loader_stats *out);
/* Adds more's counters and latencies to into's. */
void mlps_loader_stats_add(mlps_loader_stats *into, const mlps_loader_stats *more);
/* Bytes of memory the loader's buffers take. */
uint64_t mlps_loader_buffer_bytes(const mlps_loader_config *config, size_t alignment);

#endif
