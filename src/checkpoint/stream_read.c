/* Reading checkpoint files back; see stream.h. A rank's reader keeps `read_depth` piece-sized
 * requests in flight through one queue for its whole list of files: the next file is opened as
 * soon as the current one has no piece left to ask for, so the queue does not drain at a file's
 * end (a file smaller than depth pieces would otherwise never have depth reads in flight). */
#include "checkpoint/stream.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "io/bufpool.h"

#define DEFAULT_READ_PIECE ((size_t)128 << 20)
#define DEFAULT_READ_DEPTH 4u

static size_t read_piece(const mlps_stream_options *o)
{
    return o && o->read_piece ? o->read_piece : DEFAULT_READ_PIECE;
}
static unsigned read_depth(const mlps_stream_options *o)
{
    return o && o->read_depth ? o->read_depth : DEFAULT_READ_DEPTH;
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

/* One file being read: open from its first piece's submission to its last piece's completion. */
typedef struct reading {
    mlps_file *file;
    size_t index; /* in the list */
    uint64_t size, next_offset, done_bytes, start_ns;
} reading;

/* What a rank keeps from one list to the next: the queue, the requests and their buffers, so
 * their memory is allocated and first touched once per run rather than once per file. */
struct mlps_stream_reader {
    mlps_store *store;
    mlps_ioq *queue;
    mlps_bufpool *pool;
    mlps_io_req *requests;
    mlps_io_req **idle; /* requests not in flight (a stack) */
    unsigned depth, idle_count;
    size_t piece;
    size_t alignment; /* direct://: the last piece is rounded up and comes back short */
    reading *open;    /* files open, oldest first: at most depth with reads in flight + 1 */
    unsigned open_count;
    bool broken; /* the queue itself failed: requests may be stuck in it, so no further reads */
};

/* One list being read. */
typedef struct list_read {
    mlps_stream_reader *r;
    const mlps_stream_file_list *list;
    mlps_hist *latency;
    size_t next_index; /* the next file to open */
} list_read;

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

static void close_file(mlps_stream_reader *r, reading *f)
{
    mlps_file_close(f->file, NULL);
    unsigned at = (unsigned)(f - r->open);
    memmove(f, f + 1, (r->open_count - at - 1) * sizeof *f);
    r->open_count--;
}

/* A file read whole: reported, closed. */
static void finish_file(list_read *l, reading *f)
{
    if (l->list->done)
        l->list->done(l->list->ctx, f->index, mlps_monotonic_ns() - f->start_ns);
    close_file(l->r, f);
}

/* Opens the next file of the list (its size checked against the plan); a file of 0 bytes is done
 * at once. */
static int open_next(list_read *l, mlps_error *err)
{
    mlps_stream_reader *r = l->r;
    char path[PATH_MAX];
    reading *f = &r->open[r->open_count];
    *f = (reading){.index = l->next_index++, .start_ns = mlps_monotonic_ns()};
    int rc = l->list->file(l->list->ctx, f->index, path, sizeof path, &f->size, err);
    /* the plan knows the size: on s3:// no HEAD before the first GET */
    if (!rc)
        rc = mlps_file_open_sized(r->store, path, MLPS_OPEN_READ | MLPS_OPEN_SEQUENTIAL, f->size,
                                  &f->file, err);
    if (rc)
        return rc;
    r->open_count++;
    if ((rc = check_size(f->file, f->size, err)))
        close_file(r, f);
    else if (f->size == 0)
        finish_file(l, f);
    return rc;
}

/* The file whose pieces are being asked for: the newest open one while it has pieces left. */
static reading *submitting(mlps_stream_reader *r)
{
    reading *f = r->open_count ? &r->open[r->open_count - 1] : NULL;
    return f && f->next_offset < f->size ? f : NULL;
}

static int submit_piece(mlps_stream_reader *r, reading *f, mlps_error *err)
{
    mlps_io_req *req = r->idle[--r->idle_count];
    uint64_t left = f->size - f->next_offset;
    size_t len = left < r->piece ? (size_t)left : r->piece;
    if (r->alignment > 1)
        len = (len + r->alignment - 1) / r->alignment * r->alignment;
    *req = (mlps_io_req){.file = f->file, .op = MLPS_IO_READ, .offset = f->next_offset,
                         .buf = req->buf, .len = len, .user = (void *)(uintptr_t)f->index};
    f->next_offset += left < len ? left : len;
    mlps_io_req *batch[1] = {req};
    int rc = mlps_ioq_submit(r->queue, batch, 1, err);
    if (rc) {
        r->idle[r->idle_count++] = req;
        r->broken = true; /* the request may sit in the queue all the same (io/uring.c) */
    }
    return rc;
}

/* Every idle request is put to work: on the current file's next piece, or on the next file's
 * first once the current one has none left. */
static int fill_queue(list_read *l, mlps_error *err)
{
    mlps_stream_reader *r = l->r;
    while (r->idle_count > 0) {
        reading *f = submitting(r);
        if (f) {
            int rc = submit_piece(r, f, err);
            if (rc)
                return rc;
        } else if (l->next_index < l->list->count) {
            int rc = open_next(l, err);
            if (rc)
                return rc;
        } else {
            return 0;
        }
    }
    return 0;
}

static reading *file_of(mlps_stream_reader *r, const mlps_io_req *req)
{
    size_t index = (size_t)(uintptr_t)req->user;
    for (unsigned i = 0; i < r->open_count; i++)
        if (r->open[i].index == index)
            return &r->open[i];
    return NULL;
}

static int complete_piece(list_read *l, mlps_io_req *req, mlps_error *err)
{
    mlps_stream_reader *r = l->r;
    reading *f = file_of(r, req);
    r->idle[r->idle_count++] = req;
    if (req->result < 0)
        return mlps_io_req_fail(req, err);
    uint64_t wanted = f->size - req->offset < req->len ? f->size - req->offset : req->len;
    if ((uint64_t)req->result != wanted)
        return mlps_fail(err, -EIO, "%s: short read at offset %" PRIu64 " (%" PRId64 " of %"
                         PRIu64 " bytes): the file shrank?", mlps_file_uri(f->file), req->offset,
                         req->result, wanted);
    f->done_bytes += wanted;
    if (l->latency)
        mlps_hist_record(l->latency, req->complete_ns - req->submit_ns);
    mlps_file_read_behind(f->file, req->offset, wanted);
    if (f->done_bytes == f->size)
        finish_file(l, f);
    return 0;
}

static int pump_reads(list_read *l, mlps_error *err)
{
    mlps_stream_reader *r = l->r;
    int rc = fill_queue(l, err);
    while (!rc && mlps_ioq_inflight(r->queue) > 0) {
        mlps_io_req *done[r->depth];
        int count = mlps_ioq_reap(r->queue, done, r->depth, 1, err);
        if (count < 0) {
            r->broken = true;
            return count;
        }
        for (int i = 0; i < count && !rc; i++)
            rc = complete_piece(l, done[i], err);
        if (!rc)
            rc = fill_queue(l, err);
    }
    return rc;
}

/* After a failure: requests still in flight are waited for, then every open file is closed and
 * every request is idle again. */
static int drain(mlps_stream_reader *r)
{
    int rc = 0;
    while (mlps_ioq_inflight(r->queue) > 0) {
        mlps_io_req *done[r->depth];
        int count = mlps_ioq_reap(r->queue, done, r->depth, mlps_ioq_inflight(r->queue), NULL);
        if (count < 0) {
            r->broken = true;
            rc = -EIO;
            break;
        }
    }
    while (r->open_count > 0)
        close_file(r, &r->open[r->open_count - 1]);
    for (unsigned i = 0; i < r->depth; i++)
        r->idle[i] = &r->requests[i];
    r->idle_count = r->depth;
    return rc;
}

int mlps_stream_reader_create(mlps_store *store, const mlps_stream_options *options,
                              mlps_stream_reader **out, mlps_error *err)
{
    mlps_stream_reader *r = calloc(1, sizeof *r);
    if (!r)
        return mlps_fail(err, -ENOMEM, "out of memory");
    r->store = store;
    r->depth = read_depth(options);
    unsigned buffers = read_buffers(options, store); /* 1: the requests share one sink */
    r->alignment = mlps_store_alignment(store);
    r->piece = (read_piece(options) + r->alignment - 1) / r->alignment * r->alignment;
    int rc = mlps_ioq_create(store, r->depth, &r->queue, err);
    if (!rc)
        rc = mlps_bufpool_create(r->piece, buffers, r->alignment, &r->pool, err);
    if (!rc && (!(r->requests = calloc(r->depth, sizeof *r->requests)) ||
                !(r->idle = calloc(r->depth, sizeof *r->idle)) ||
                !(r->open = calloc(r->depth + 1, sizeof *r->open))))
        rc = mlps_fail(err, -ENOMEM, "out of memory");
    /* Touched now, so that no timed read pays for the pages' first use. */
    for (unsigned i = 0; !rc && i < buffers; i++)
        memset(r->requests[i].buf = mlps_bufpool_get(r->pool), 0, r->piece);
    for (unsigned i = 0; !rc && i < r->depth; i++) {
        r->requests[i].buf = r->requests[i < buffers ? i : 0].buf;
        r->idle[r->idle_count++] = &r->requests[i];
    }
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
    unsigned buffers = r->pool ? mlps_bufpool_count(r->pool) : 0;
    for (unsigned i = 0; r->requests && i < buffers; i++)
        if (r->requests[i].buf)
            mlps_bufpool_put(r->pool, r->requests[i].buf);
    if (r->pool)
        mlps_bufpool_destroy(r->pool);
    free(r->open);
    free(r->idle);
    free(r->requests);
    free(r);
}

uint64_t mlps_stream_reader_memory(const mlps_stream_reader *reader)
{
    return mlps_bufpool_total_bytes(reader->pool);
}

int mlps_stream_reader_read_list(mlps_stream_reader *r, const mlps_stream_file_list *list,
                                 mlps_hist *latency, mlps_error *err)
{
    if (r->broken)
        return mlps_fail(err, -EIO, "the read queue on %s failed earlier; no further reads",
                         mlps_store_uri(r->store));
    list_read l = {.r = r, .list = list, .latency = latency};
    int rc = pump_reads(&l, err);
    if (rc && drain(r) != 0)
        mlps_error_prefix(err, "(the read queue failed too) ");
    return rc;
}

/* The one-file list of mlps_stream_reader_read. */
typedef struct one_file {
    const char *path;
    uint64_t bytes;
} one_file;

static int one_file_entry(void *ctx, size_t index, char *path, size_t path_size, uint64_t *bytes,
                          mlps_error *err)
{
    (void)index;
    const one_file *one = ctx;
    if (strlen(one->path) >= path_size)
        return mlps_fail(err, -ENAMETOOLONG, "path too long: %s", one->path);
    strcpy(path, one->path);
    *bytes = one->bytes;
    return 0;
}

int mlps_stream_reader_read(mlps_stream_reader *r, const char *path, uint64_t expected_bytes,
                            mlps_hist *latency, mlps_error *err)
{
    one_file one = {.path = path, .bytes = expected_bytes};
    const mlps_stream_file_list list = {.count = 1, .file = one_file_entry, .ctx = &one};
    return mlps_stream_reader_read_list(r, &list, latency, err);
}

int mlps_stream_read_file(mlps_store *store, const char *path, uint64_t expected_bytes,
                          const mlps_stream_options *options, mlps_hist *latency,
                          mlps_error *err)
{
    mlps_stream_reader *reader = NULL;
    int rc = mlps_stream_reader_create(store, options, &reader, err);
    mlps_stream_evict(store, path);
    if (!rc)
        rc = mlps_stream_reader_read(reader, path, expected_bytes, latency, err);
    mlps_stream_evict(store, path);
    mlps_stream_reader_destroy(reader);
    return rc;
}
