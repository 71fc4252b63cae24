/* A sequential writer: writes one file front to back through its own I/O queue, so the storage
 * works on earlier blocks while the caller produces the next ones. Bytes are gathered into
 * block_size buffers from a pool of `depth` (aligned to the store); a full buffer is submitted at
 * once, and only when every buffer is in flight does a write wait for one to come back. Memory is
 * depth x block_size whatever the file's size, so a many-GiB checkpoint or dataset file costs
 * the same as a small one.
 *
 * Writes land at increasing offsets without overlap, the portable contract of store.h, so object
 * stores can take the same calls later. Closing flushes the partial last buffer (on direct://
 * padded to the alignment, then truncated back to the true size), waits for everything, and
 * closes the file: fsync, and publication under its name with MLPS_OPEN_ATOMIC.
 *
 * One writer belongs to one thread. After any failure the writer only repeats that failure;
 * close (which then discards the file) or abort it. */
#ifndef MLPS_IO_SEQWRITER_H
#define MLPS_IO_SEQWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/hist.h"
#include "io/bufpool.h"
#include "io/store.h"

typedef struct mlps_seqwriter mlps_seqwriter;

/* Creates or truncates path (MLPS_OPEN_WRITE | CREATE | TRUNCATE, plus extra_flags such as
 * MLPS_OPEN_ATOMIC). block_size must be a multiple of mlps_store_alignment(store); depth is the
 * number of buffers, and of requests in flight at most (1..4096). */
int mlps_seqwriter_open(mlps_store *store, const char *path, int extra_flags, size_t block_size,
                        unsigned depth, mlps_seqwriter **out, mlps_error *err);

/* As mlps_seqwriter_open with the buffers of the caller's pool (its buffer size is the block
 * size, its count the depth; every buffer must be free): a run that writes many files keeps one
 * pool, so their memory is allocated and first touched once rather than once per file. The
 * buffers go back to the pool when the writer is freed; the pool outlives the writer. */
int mlps_seqwriter_open_pooled(mlps_store *store, const char *path, int extra_flags,
                               mlps_bufpool *pool, mlps_seqwriter **out, mlps_error *err);
/* Records every request's latency (submission to completion, nanoseconds) into hist from now on;
 * set it before the first write to see them all. NULL stops recording. */
void mlps_seqwriter_record_latency(mlps_seqwriter *w, mlps_hist *hist);
/* Write-behind (mlps_file_write_behind) after every completed write, keeping about `window`
 * bytes of the file in the page cache; 0 (the default) leaves the page cache alone until the
 * file is closed. Stores without a page cache ignore it. */
void mlps_seqwriter_write_behind(mlps_seqwriter *w, uint64_t window);
/* The window of the checkpoints written during training: four 32 MiB writes, as the default of
 * checkpointing's checkpoint.write_behind_mib. */
#define MLPS_WRITE_BEHIND_DEFAULT ((uint64_t)128 << 20)

/* Appends len bytes, copied into the writer's buffers. */
int mlps_seqwriter_write(mlps_seqwriter *w, const void *data, size_t len, mlps_error *err);

/* Appends len bytes of mlps_fill_random_at(seed, stream, offset) output, generated straight into
 * the writer's buffers. */
int mlps_seqwriter_write_random(mlps_seqwriter *w, uint64_t len, uint64_t seed, uint64_t stream,
                                uint64_t offset, mlps_error *err);

/* Writes what remains, waits for every request and closes the file; the file then holds exactly
 * mlps_seqwriter_bytes() bytes. Frees the writer whatever the outcome; on failure the file is
 * discarded as by mlps_file_abort. */
int mlps_seqwriter_close(mlps_seqwriter *w, mlps_error *err);

/* Writes what remains and waits for every request like mlps_seqwriter_close, then hands the file
 * over still open (*file), holding exactly mlps_seqwriter_bytes() bytes, instead of closing it:
 * the caller closes it (mlps_file_close: fsync, publication) or aborts it, on any thread, e.g.
 * through a closer (closer.h) while the next file is being written. Frees the writer and its
 * buffers whatever the outcome; on failure the file is discarded and *file is NULL. */
int mlps_seqwriter_release(mlps_seqwriter *w, mlps_file **file, mlps_error *err);

/* Waits for requests in flight, discards the file (mlps_file_abort) and frees the writer. */
void mlps_seqwriter_abort(mlps_seqwriter *w);

/* Bytes appended so far. */
uint64_t mlps_seqwriter_bytes(const mlps_seqwriter *w);

/* The queue's engine: "io_uring" or "sync". */
const char *mlps_seqwriter_engine(const mlps_seqwriter *w);

#endif
