/* Checkpoint file streams; see stream.h. Writes go through the sequential writer over the
 * writer's pool, kept from one file to the next (a chunk is generated into a free buffer while
 * earlier ones are in flight); reads keep `read_depth` piece-sized requests in flight through
 * one queue, kept with its buffers from one file to the next. */
#include "checkpoint/stream.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/pagecache.h"
#include "io/bufpool.h"
#include "io/closer.h"
#include "io/seqwriter.h"

#define DEFAULT_WRITE_CHUNK ((size_t)32 << 20)
#define DEFAULT_READ_PIECE ((size_t)128 << 20)
#define DEFAULT_DEPTH 4u

static size_t write_chunk(const mlps_stream_options *o)
{
    return o && o->write_chunk ? o->write_chunk : DEFAULT_WRITE_CHUNK;
}
static unsigned write_depth(const mlps_stream_options *o)
{
    return o && o->write_depth ? o->write_depth : DEFAULT_DEPTH;
}
static size_t read_piece(const mlps_stream_options *o)
{
    return o && o->read_piece ? o->read_piece : DEFAULT_READ_PIECE;
}
static unsigned read_depth(const mlps_stream_options *o)
{
    return o && o->read_depth ? o->read_depth : DEFAULT_DEPTH;
}

uint64_t mlps_stream_write_memory(const mlps_stream_options *options)
{
    return (uint64_t)write_chunk(options) * write_depth(options);
}

/* Read bytes are discarded, as the reference's reader discards them. Where the CPU moves them (the
 * page cache's copy on file://, the queue's own thread on s3://) one piece-sized sink takes every
 * read in flight. Where a device writes them by DMA (direct://: the stores that want aligned
 * buffers) each read in flight has a buffer of its own: a file system that verifies checksums in
 * the buffer once the transfer is done must find there what it read. */
static unsigned read_buffers(const mlps_stream_options *o, const mlps_store *store)
{
    return mlps_store_alignment(store) > 1 ? read_depth(o) : 1;
}

uint64_t mlps_stream_read_memory(const mlps_stream_options *options, const mlps_store *store)
{
    return (uint64_t)read_piece(options) * read_buffers(options, store);
}

/* Every file gets its own data: the stream is a hash of its path (FNV-1a). */
static uint64_t stream_of(const char *path)
{
    uint64_t hash = 1469598103934665603ull;
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        hash = (hash ^ *c) * 1099511628211ull;
    return hash;
}

/* For file:// stores: the local path, so the page cache can be told to let go of it. */
static void drop_cached_pages(mlps_store *store, const char *path)
{
    if (strcmp(mlps_store_scheme(store), "file") != 0)
        return;
    char local[PATH_MAX * 2];
    snprintf(local, sizeof local, "%s/%s", mlps_store_uri(store) + strlen("file://"), path);
    mlps_drop_file_cache(local, NULL);
}

struct mlps_stream_writer {
    mlps_store *store;
    mlps_bufpool *pool;
    uint64_t seed;
    uint64_t write_behind; /* page-cache window per file; 0: off */
    mlps_closer *closer; /* closes (fsync, publication) each file while the next is written */
    char **pending;      /* files handed to the closer since the last flush */
    size_t pending_count, pending_capacity;
};

#define FILES_BEING_CLOSED 1

static int remember_pending(mlps_stream_writer *w, const char *path, mlps_error *err)
{
    if (w->pending_count == w->pending_capacity) {
        size_t grown = w->pending_capacity ? 2 * w->pending_capacity : 16;
        char **bigger = realloc(w->pending, grown * sizeof *bigger);
        if (!bigger)
            return mlps_fail(err, -ENOMEM, "out of memory");
        w->pending = bigger;
        w->pending_capacity = grown;
    }
    if (!(w->pending[w->pending_count] = strdup(path)))
        return mlps_fail(err, -ENOMEM, "out of memory");
    w->pending_count++;
    return 0;
}

/* Hands a finished file to the closer, starting it with the first file. */
static int hand_over(mlps_stream_writer *w, const char *path, mlps_file *file, mlps_error *err)
{
    int rc = w->closer ? 0 : mlps_closer_start(FILES_BEING_CLOSED, &w->closer, err);
    if (!rc)
        rc = remember_pending(w, path, err);
    if (rc) {
        mlps_file_abort(file);
        return rc;
    }
    return mlps_closer_close(w->closer, file, err);
}

int mlps_stream_writer_flush(mlps_stream_writer *w, mlps_error *err)
{
    int rc = mlps_closer_finish(w->closer, err);
    w->closer = NULL;
    return rc;
}

void mlps_stream_writer_evict(mlps_stream_writer *w)
{
    for (size_t i = 0; i < w->pending_count; i++) {
        drop_cached_pages(w->store, w->pending[i]);
        free(w->pending[i]);
    }
    w->pending_count = 0;
}

void mlps_stream_evict(mlps_store *store, const char *path)
{
    drop_cached_pages(store, path);
}

int mlps_stream_writer_create(mlps_store *store, const mlps_stream_options *options,
                              mlps_stream_writer **out, mlps_error *err)
{
    mlps_stream_writer *w = calloc(1, sizeof *w);
    if (!w)
        return mlps_fail(err, -ENOMEM, "out of memory");
    *w = (mlps_stream_writer){.store = store, .seed = options ? options->seed : 0,
                              .write_behind = options ? options->write_behind : 0};
    int rc = mlps_bufpool_create(write_chunk(options), write_depth(options),
                                 mlps_store_alignment(store), &w->pool, err);
    /* Touched now, so that no timed write pays for the pages' first use. */
    for (unsigned i = 0; !rc && i < write_depth(options); i++) {
        void *buf = mlps_bufpool_get(w->pool);
        memset(buf, 0, write_chunk(options));
        mlps_bufpool_put(w->pool, buf);
    }
    if (rc) {
        mlps_stream_writer_destroy(w);
        return rc;
    }
    *out = w;
    return 0;
}

void mlps_stream_writer_destroy(mlps_stream_writer *w)
{
    if (!w)
        return;
    (void)mlps_stream_writer_flush(w, NULL);
    mlps_stream_writer_evict(w);
    free(w->pending);
    if (w->pool)
        mlps_bufpool_destroy(w->pool);
    free(w);
}

int mlps_stream_writer_write(mlps_stream_writer *w, const char *path, uint64_t bytes,
                             mlps_hist *latency, mlps_error *err)
{
    mlps_seqwriter *writer = NULL;
    int rc = mlps_seqwriter_open_pooled(w->store, path, MLPS_OPEN_ATOMIC, w->pool, &writer, err);
    if (rc)
        return rc;
    if (latency)
        mlps_seqwriter_record_latency(writer, latency);
    mlps_seqwriter_write_behind(writer, w->write_behind);
    uint64_t stream = stream_of(path);
    size_t chunk = mlps_bufpool_buffer_size(w->pool);
    for (uint64_t offset = 0; offset < bytes && !rc; offset += chunk) {
        uint64_t len = bytes - offset < chunk ? bytes - offset : chunk;
        rc = mlps_seqwriter_write_random(writer, len, w->seed, stream, offset, err);
    }
    if (rc) {
        mlps_seqwriter_abort(writer);
        return rc;
    }
    mlps_file *file = NULL;
    rc = mlps_seqwriter_release(writer, &file, err);
    return rc ? rc : hand_over(w, path, file, err);
}

int mlps_stream_write_file(mlps_store *store, const char *path, uint64_t bytes,
                           const mlps_stream_options *options, mlps_hist *latency,
                           mlps_error *err)
{
    mlps_stream_writer *writer = NULL;
    int rc = mlps_stream_writer_create(store, options, &writer, err);
    if (!rc)
        rc = mlps_stream_writer_write(writer, path, bytes, latency, err);
    if (!rc)
        rc = mlps_stream_writer_flush(writer, err);
    mlps_stream_writer_destroy(writer);
    return rc;
}

/* What a rank keeps from one file to the next: the queue and the read buffers, so their memory is
 * allocated and first touched once per run rather than once per file. */
struct mlps_stream_reader {
    mlps_store *store;
    mlps_ioq *queue;
    mlps_bufpool *pool;
    mlps_io_req *requests;
    unsigned depth;
    unsigned buffers; /* 1: every request reads into the same sink (see read_buffers) */
    size_t piece;
    size_t alignment; /* direct://: the last piece is rounded up and comes back short */
};

/* One file being read. */
typedef struct reading {
    mlps_stream_reader *r;
    mlps_file *file;
    uint64_t size, next_offset, done_bytes;
    mlps_hist *latency;
} reading;

static int check_size(mlps_file *file, uint64_t expected, mlps_error *err)
{
    uint64_t size = mlps_file_size(file);
    if (size != expected)
        return mlps_fail(err, -EINVAL,
                         "%s has %" PRIu64 " bytes, not the %" PRIu64 " this checkpoint wrote: "
                         "incomplete or from another configuration",
                         mlps_file_uri(file), size, expected);
    return 0;
}

static int submit_piece(reading *f, mlps_io_req *req, mlps_error *err)
{
    const mlps_stream_reader *r = f->r;
    uint64_t left = f->size - f->next_offset;
    size_t len = left < r->piece ? (size_t)left : r->piece;
    if (r->alignment > 1)
        len = (len + r->alignment - 1) / r->alignment * r->alignment;
    *req = (mlps_io_req){.file = f->file, .op = MLPS_IO_READ, .offset = f->next_offset,
                         .buf = req->buf, .len = len};
    f->next_offset += left < len ? left : len;
    mlps_io_req *batch[1] = {req};
    return mlps_ioq_submit(r->queue, batch, 1, err);
}

static int complete_piece(reading *f, mlps_io_req *req, mlps_error *err)
{
    if (req->result < 0)
        return mlps_io_req_fail(req, err);
    uint64_t wanted = f->size - req->offset < req->len ? f->size - req->offset : req->len;
    if ((uint64_t)req->result != wanted)
        return mlps_fail(err, -EIO, "%s: short read at offset %" PRIu64 " (%" PRId64 " of %"
                         PRIu64 " bytes): the file shrank?", mlps_file_uri(f->file), req->offset,
                         req->result, wanted);
    f->done_bytes += wanted;
    if (f->latency)
        mlps_hist_record(f->latency, req->complete_ns - req->submit_ns);
    mlps_file_read_behind(f->file, req->offset, wanted);
    return 0;
}

static int pump_reads(reading *f, mlps_error *err)
{
    mlps_stream_reader *r = f->r;
    int rc = 0;
    for (unsigned i = 0; i < r->depth && f->next_offset < f->size && !rc; i++)
        rc = submit_piece(f, &r->requests[i], err);
    while (!rc && f->done_bytes < f->size) {
        mlps_io_req *done[r->depth];
        int count = mlps_ioq_reap(r->queue, done, r->depth, 1, err);
        if (count < 0)
            return count;
        for (int i = 0; i < count && !rc; i++) {
            rc = complete_piece(f, done[i], err);
            if (!rc && f->next_offset < f->size)
                rc = submit_piece(f, done[i], err);
        }
    }
    return rc;
}

/* After a failure, requests may still be in flight on the file: wait for them before it closes. */
static int drain(mlps_stream_reader *r)
{
    while (mlps_ioq_inflight(r->queue) > 0) {
        mlps_io_req *done[r->depth];
        if (mlps_ioq_reap(r->queue, done, r->depth, mlps_ioq_inflight(r->queue), NULL) < 0)
            return -EIO;
    }
    return 0;
}

int mlps_stream_reader_create(mlps_store *store, const mlps_stream_options *options,
                              mlps_stream_reader **out, mlps_error *err)
{
    mlps_stream_reader *r = calloc(1, sizeof *r);
    if (!r)
        return mlps_fail(err, -ENOMEM, "out of memory");
    r->store = store;
    r->depth = read_depth(options);
    r->buffers = read_buffers(options, store);
    r->alignment = mlps_store_alignment(store);
    r->piece = (read_piece(options) + r->alignment - 1) / r->alignment * r->alignment;
    int rc = mlps_ioq_create(store, r->depth, &r->queue, err);
    if (!rc)
        rc = mlps_bufpool_create(r->piece, r->buffers, r->alignment, &r->pool, err);
    if (!rc && !(r->requests = calloc(r->depth, sizeof *r->requests)))
        rc = mlps_fail(err, -ENOMEM, "out of memory");
    /* Touched now, so that no timed read pays for the pages' first use. */
    for (unsigned i = 0; !rc && i < r->buffers; i++)
        memset(r->requests[i].buf = mlps_bufpool_get(r->pool), 0, r->piece);
    for (unsigned i = r->buffers; !rc && i < r->depth; i++)
        r->requests[i].buf = r->requests[0].buf;
    if (rc) {
        mlps_stream_reader_destroy(r);
        return rc;
    }
    *out = r;
    return 0;
}

void mlps_stream_reader_destroy(mlps_stream_reader *r)
{
    if (!r)
        return;
    if (r->queue)
        mlps_ioq_destroy(r->queue);
    for (unsigned i = 0; r->requests && i < r->buffers; i++)
        if (r->requests[i].buf)
            mlps_bufpool_put(r->pool, r->requests[i].buf);
    if (r->pool)
        mlps_bufpool_destroy(r->pool);
    free(r->requests);
    free(r);
}

int mlps_stream_reader_read(mlps_stream_reader *r, const char *path, uint64_t expected_bytes,
                            mlps_hist *latency, mlps_error *err)
{
    reading f = {.r = r, .size = expected_bytes, .latency = latency};
    /* the plan knows the size: on s3:// no HEAD before the first GET */
    int rc = mlps_file_open_sized(r->store, path, MLPS_OPEN_READ | MLPS_OPEN_SEQUENTIAL,
                                  expected_bytes, &f.file, err);
    if (rc)
        return rc;
    rc = check_size(f.file, expected_bytes, err);
    if (!rc)
        rc = pump_reads(&f, err);
    if (rc && drain(r) != 0)
        mlps_error_prefix(err, "(the read queue failed too) ");
    mlps_file_close(f.file, NULL);
    return rc;
}

int mlps_stream_read_file(mlps_store *store, const char *path, uint64_t expected_bytes,
                          const mlps_stream_options *options, mlps_hist *latency,
                          mlps_error *err)
{
    mlps_stream_reader *reader = NULL;
    int rc = mlps_stream_reader_create(store, options, &reader, err);
    drop_cached_pages(store, path);
    if (!rc)
        rc = mlps_stream_reader_read(reader, path, expected_bytes, latency, err);
    drop_cached_pages(store, path);
    mlps_stream_reader_destroy(reader);
    return rc;
}
