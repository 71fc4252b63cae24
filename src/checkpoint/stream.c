/* Checkpoint file streams; see stream.h. Writes go through the sequential writer (its buffers
 * are the pool: a chunk is generated into a free buffer while earlier ones are in flight); reads
 * keep `read_depth` piece-sized requests in flight through one queue. */
#include "checkpoint/stream.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/pagecache.h"
#include "io/bufpool.h"
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

uint64_t mlps_stream_read_memory(const mlps_stream_options *options)
{
    return (uint64_t)read_piece(options) * read_depth(options);
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

int mlps_stream_write_file(mlps_store *store, const char *path, uint64_t bytes,
                           const mlps_stream_options *options, mlps_hist *latency,
                           mlps_error *err)
{
    mlps_seqwriter *writer = NULL;
    int rc = mlps_seqwriter_open(store, path, MLPS_OPEN_ATOMIC, write_chunk(options),
                                 write_depth(options), &writer, err);
    if (rc)
        return rc;
    if (latency)
        mlps_seqwriter_record_latency(writer, latency);
    uint64_t seed = options ? options->seed : 0, stream = stream_of(path);
    size_t chunk = write_chunk(options);
    for (uint64_t offset = 0; offset < bytes && !rc; offset += chunk) {
        uint64_t len = bytes - offset < chunk ? bytes - offset : chunk;
        rc = mlps_seqwriter_write_random(writer, len, seed, stream, offset, err);
    }
    if (rc) {
        mlps_seqwriter_abort(writer);
        return rc;
    }
    rc = mlps_seqwriter_close(writer, err);
    if (!rc)
        drop_cached_pages(store, path);
    return rc;
}

typedef struct reader {
    mlps_file *file;
    mlps_ioq *queue;
    mlps_bufpool *pool;
    mlps_io_req *requests;
    unsigned depth;
    uint64_t size, next_offset, done_bytes;
    size_t piece;
    size_t alignment; /* direct://: the last piece is rounded up and comes back short */
    mlps_hist *latency;
} reader;

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

static int submit_piece(reader *r, mlps_io_req *req, mlps_error *err)
{
    uint64_t left = r->size - r->next_offset;
    size_t len = left < r->piece ? (size_t)left : r->piece;
    if (r->alignment > 1)
        len = (len + r->alignment - 1) / r->alignment * r->alignment;
    *req = (mlps_io_req){.file = r->file, .op = MLPS_IO_READ, .offset = r->next_offset,
                         .buf = req->buf, .len = len};
    r->next_offset += left < len ? left : len;
    mlps_io_req *batch[1] = {req};
    return mlps_ioq_submit(r->queue, batch, 1, err);
}

static int complete_piece(reader *r, mlps_io_req *req, mlps_error *err)
{
    if (req->result < 0)
        return mlps_io_req_fail(req, err);
    uint64_t wanted = r->size - req->offset < req->len ? r->size - req->offset : req->len;
    if ((uint64_t)req->result != wanted)
        return mlps_fail(err, -EIO, "%s: short read at offset %" PRIu64 " (%" PRId64 " of %"
                         PRIu64 " bytes): the file shrank?", mlps_file_uri(r->file), req->offset,
                         req->result, wanted);
    r->done_bytes += wanted;
    if (r->latency)
        mlps_hist_record(r->latency, req->complete_ns - req->submit_ns);
    return 0;
}

static int pump_reads(reader *r, mlps_error *err)
{
    int rc = 0;
    for (unsigned i = 0; i < r->depth && r->next_offset < r->size && !rc; i++)
        rc = submit_piece(r, &r->requests[i], err);
    while (!rc && r->done_bytes < r->size) {
        mlps_io_req *done[r->depth];
        int count = mlps_ioq_reap(r->queue, done, r->depth, 1, err);
        if (count < 0)
            return count;
        for (int i = 0; i < count && !rc; i++) {
            rc = complete_piece(r, done[i], err);
            if (!rc && r->next_offset < r->size)
                rc = submit_piece(r, done[i], err);
        }
    }
    return rc;
}

static int open_reader(reader *r, mlps_store *store, const char *path, uint64_t expected,
                       const mlps_stream_options *options, mlps_error *err)
{
    r->depth = read_depth(options);
    r->piece = read_piece(options);
    size_t alignment = mlps_store_alignment(store);
    r->alignment = alignment;
    if (alignment > 1)
        r->piece = (r->piece + alignment - 1) / alignment * alignment;
    int rc = mlps_file_open(store, path, MLPS_OPEN_READ | MLPS_OPEN_SEQUENTIAL, &r->file, err);
    if (!rc)
        rc = check_size(r->file, expected, err);
    if (!rc)
        rc = mlps_ioq_create(store, r->depth, &r->queue, err);
    if (!rc)
        rc = mlps_bufpool_create(r->piece, r->depth, alignment, &r->pool, err);
    if (!rc && !(r->requests = calloc(r->depth, sizeof *r->requests)))
        rc = mlps_fail(err, -ENOMEM, "out of memory");
    for (unsigned i = 0; !rc && i < r->depth; i++)
        r->requests[i].buf = mlps_bufpool_get(r->pool);
    r->size = expected;
    return rc;
}

static void close_reader(reader *r)
{
    if (r->queue)
        mlps_ioq_destroy(r->queue);
    for (unsigned i = 0; r->requests && i < r->depth; i++)
        if (r->requests[i].buf)
            mlps_bufpool_put(r->pool, r->requests[i].buf);
    if (r->pool)
        mlps_bufpool_destroy(r->pool);
    free(r->requests);
    if (r->file)
        mlps_file_close(r->file, NULL);
}

int mlps_stream_read_file(mlps_store *store, const char *path, uint64_t expected_bytes,
                          const mlps_stream_options *options, mlps_hist *latency,
                          mlps_error *err)
{
    drop_cached_pages(store, path);
    reader r = {.latency = latency};
    int rc = open_reader(&r, store, path, expected_bytes, options, err);
    if (!rc)
        rc = pump_reads(&r, err);
    close_reader(&r);
    drop_cached_pages(store, path);
    return rc;
}
