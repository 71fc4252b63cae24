/* Streaming checkpoint files with bounded memory: a file of any size is written from a pool of
 * `depth` buffers of `chunk` bytes (filled with incompressible data that differs per file, then
 * written while the next chunks are generated) and read back by `depth` requests of `piece` bytes
 * in flight, the data discarded (into one sink where the CPU moves it). Buffered files are
 * evicted from the page cache after writing and before reading, so reads measure the storage;
 * direct:// never uses the cache. */
#ifndef MLPS_CHECKPOINT_STREAM_H
#define MLPS_CHECKPOINT_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hist.h"
#include "io/store.h"

typedef struct mlps_stream_options {
    size_t write_chunk;  /* bytes per write request; 0: 32 MiB */
    unsigned write_depth; /* write buffers (and requests in flight); 0: 4 */
    size_t read_piece;   /* bytes per read request; 0: 128 MiB */
    unsigned read_depth; /* read requests in flight; 0: 4 */
    uint64_t seed;       /* data seed; each file's stream is derived from its name */
    uint64_t write_behind; /* file://: page cache per file being written, bytes (see
                              mlps_file_write_behind); 0: off, each file cached until its fsync */
} mlps_stream_options;

/* Memory a rank's streams use: write_depth x write_chunk for writing; for reading one read_piece
 * (the data read is discarded: where the CPU moves it, one sink serves every request), or
 * read_depth x read_piece on stores whose reads are DMA into aligned buffers (direct://). */
uint64_t mlps_stream_write_memory(const mlps_stream_options *options);
uint64_t mlps_stream_read_memory(const mlps_stream_options *options, const mlps_store *store);

/* A rank's writer: its write buffers (write_depth x write_chunk), allocated and first touched
 * once and reused for every file it writes. */
typedef struct mlps_stream_writer mlps_stream_writer;

int mlps_stream_writer_create(mlps_store *store, const mlps_stream_options *options,
                              mlps_stream_writer **out, mlps_error *err);
void mlps_stream_writer_destroy(mlps_stream_writer *writer);

/* Writes `bytes` bytes to path and hands the file to the writer's closer, which fsyncs and
 * publishes it (atomically) while the next file is written. Each request's latency goes into
 * latency when given. On failure the partial file is removed; a failed close of an earlier file
 * is returned here or by the flush. */
int mlps_stream_writer_write(mlps_stream_writer *writer, const char *path, uint64_t bytes,
                             mlps_hist *latency, mlps_error *err);
/* Waits until every file written is durable and published; returns the first failure, which
 * names the file. A checkpoint is written when this returns 0. */
int mlps_stream_writer_flush(mlps_stream_writer *writer, mlps_error *err);
/* Drops the files written since the last eviction from the page cache (file:// stores), so that
 * reading them back comes from storage. Kept apart from the flush so that a timed save does not
 * pay for it: fio's writes and the reference's do not. Destroy evicts too. */
void mlps_stream_writer_evict(mlps_stream_writer *writer);
/* Drops one file from the page cache (file:// stores; others have nothing cached). */
void mlps_stream_evict(mlps_store *store, const char *path);

/* mlps_stream_writer_write with a writer of its own. */
int mlps_stream_write_file(mlps_store *store, const char *path, uint64_t bytes,
                           const mlps_stream_options *options, mlps_hist *latency,
                           mlps_error *err);

/* A rank's reader: its queue and read buffers (mlps_stream_read_memory), allocated once and
 * reused for every file it reads. */
typedef struct mlps_stream_reader mlps_stream_reader;

int mlps_stream_reader_create(mlps_store *store, const mlps_stream_options *options,
                              mlps_stream_reader **out, mlps_error *err);
void mlps_stream_reader_destroy(mlps_stream_reader *reader);
/* The bytes of read buffer the reader holds (mlps_stream_read_memory of its options and store). */
uint64_t mlps_stream_reader_memory(const mlps_stream_reader *reader);

/* The files a reader reads in one go, in order, described on demand. */
typedef struct mlps_stream_file_list {
    size_t count;
    /* File `index`: its path (relative to the store) into path, and the bytes it must hold. */
    int (*file)(void *ctx, size_t index, char *path, size_t path_size, uint64_t *bytes,
                mlps_error *err);
    /* Optional: file `index` has been read whole, `ns` after it was opened. */
    void (*done)(void *ctx, size_t index, uint64_t ns);
    void *ctx;
} mlps_stream_file_list;

/* Reads every file of the list, each of which must hold exactly its bytes (else an error naming
 * the file, its size and the expected size), keeping read_depth requests in flight across file
 * ends. Each request's latency goes into latency when given. Buffered reads: evict the files
 * first (mlps_stream_evict) for them to come from storage. After a failed file the reader reads
 * the next list; after a failure of its queue itself, it refuses to. */
int mlps_stream_reader_read_list(mlps_stream_reader *reader, const mlps_stream_file_list *list,
                                 mlps_hist *latency, mlps_error *err);
/* A list of one file. */
int mlps_stream_reader_read(mlps_stream_reader *reader, const char *path,
                            uint64_t expected_bytes, mlps_hist *latency, mlps_error *err);

/* mlps_stream_reader_read with a reader of its own, the file evicted before and after. */
int mlps_stream_read_file(mlps_store *store, const char *path, uint64_t expected_bytes,
                          const mlps_stream_options *options, mlps_hist *latency,
                          mlps_error *err);

#endif
