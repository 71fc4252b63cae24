/* The sequential writer (seqwriter.h): a ring of requests, each owning one pool buffer for the
 * writer's life. A request is idle, filling (at most one), or in flight; completions are
 * harvested without waiting after every submission, so their timestamps are honest, and with
 * waiting only when no buffer is left to fill. */
#include "io/seqwriter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/fill.h"
#include "io/bufpool.h"

struct mlps_seqwriter {
    mlps_file *file;
    mlps_ioq *q;
    mlps_bufpool *pool;
    bool owns_pool; /* false: the caller's pool, kept from one file to the next */
    unsigned depth;
    mlps_io_req *reqs;    /* depth of them */
    mlps_io_req **idle;   /* neither filling nor in flight */
    unsigned idle_count;
    mlps_io_req **done;   /* room for one reap */
    mlps_io_req *filling; /* takes the next bytes, or NULL */
    size_t filled;        /* bytes in filling's buffer */
    size_t block_size;
    size_t alignment;
    uint64_t next_offset; /* where filling's buffer lands in the file */
    uint64_t bytes;       /* appended so far */
    mlps_hist *latency;
    uint64_t write_behind; /* page-cache window, bytes; 0: off */
    mlps_error failure; /* the first failure; code 0 until then */
};

/* Where appended bytes come from: the caller's memory, or the generator. */
typedef struct byte_source {
    const unsigned char *data; /* when !random */
    bool random;
    uint64_t seed, stream, offset;
} byte_source;

static void produce(const byte_source *src, void *dst, size_t len, uint64_t done)
{
    if (src->random)
        mlps_fill_random_at(dst, len, src->seed, src->stream, src->offset + done);
    else
        memcpy(dst, src->data + done, len);
}

/* Hands the writer's failure to the caller and returns its code. */
static int report_failure(const mlps_seqwriter *w, mlps_error *err)
{
    if (err)
        *err = w->failure;
    return w->failure.code;
}

static void free_writer(mlps_seqwriter *w)
{
    if (w->pool) {
        for (unsigned i = 0; w->reqs && i < w->depth; i++)
            if (w->reqs[i].buf)
                mlps_bufpool_put(w->pool, w->reqs[i].buf);
        if (w->owns_pool)
            mlps_bufpool_destroy(w->pool);
    }
    free(w->reqs);
    free(w->idle);
    free(w->done);
    free(w);
}

/* The queue, the pool and the requests: everything but the file. */
static int prepare(mlps_seqwriter *w, mlps_store *store, const char *path, mlps_error *err)
{
    int rc = mlps_ioq_create(store, w->depth, &w->q, err);
    if (rc == 0 && !w->pool) {
        rc = mlps_bufpool_create(w->block_size, w->depth, w->alignment, &w->pool, err);
        w->owns_pool = rc == 0;
    }
    if (rc < 0)
        return rc;
    w->reqs = calloc(w->depth, sizeof *w->reqs);
    w->idle = calloc(w->depth, sizeof *w->idle);
    w->done = calloc(w->depth, sizeof *w->done);
    if (!w->reqs || !w->idle || !w->done)
        return mlps_fail(err, -ENOMEM, "sequential writer for %s/%s: out of memory",
                         mlps_store_uri(store), path);
    for (unsigned i = 0; i < w->depth; i++) {
        w->reqs[i] = (mlps_io_req){.op = MLPS_IO_WRITE, .buf = mlps_bufpool_get(w->pool)};
        w->idle[w->idle_count++] = &w->reqs[i];
    }
    return 0;
}

static int open_writer(mlps_store *store, const char *path, int extra_flags, size_t block_size,
                       unsigned depth, mlps_bufpool *pool, mlps_seqwriter **out, mlps_error *err)
{
    *out = NULL;
    size_t alignment = mlps_store_alignment(store);
    if (pool && mlps_bufpool_alignment(pool) % alignment != 0)
        return mlps_fail_usage(err, -EINVAL,
                               "sequential writer for %s/%s: the buffer pool's alignment %zu is not "
                               "a multiple of the store's %zu",
                               mlps_store_uri(store), path, mlps_bufpool_alignment(pool), alignment);
    if (block_size == 0 || block_size % alignment != 0)
        return mlps_fail_usage(err, -EINVAL,
                               "sequential writer for %s/%s: block size %zu must be a positive "
                               "multiple of the store's alignment %zu",
                               mlps_store_uri(store), path, block_size, alignment);
    mlps_seqwriter *w = calloc(1, sizeof *w);
    if (!w)
        return mlps_fail(err, -ENOMEM, "sequential writer for %s/%s: out of memory",
                         mlps_store_uri(store), path);
    *w = (mlps_seqwriter){.depth = depth, .block_size = block_size, .alignment = alignment,
                          .pool = pool};
    int flags = MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_TRUNCATE | extra_flags;
    int rc = prepare(w, store, path, err);
    if (rc == 0)
        rc = mlps_file_open(store, path, flags, &w->file, err);
    if (rc < 0) {
        mlps_ioq_destroy(w->q);
        free_writer(w);
        return rc;
    }
    for (unsigned i = 0; i < depth; i++)
        w->reqs[i].file = w->file;
    *out = w;
    return 0;
}

int mlps_seqwriter_open(mlps_store *store, const char *path, int extra_flags, size_t block_size,
                        unsigned depth, mlps_seqwriter **out, mlps_error *err)
{
    return open_writer(store, path, extra_flags, block_size, depth, NULL, out, err);
}

int mlps_seqwriter_open_pooled(mlps_store *store, const char *path, int extra_flags,
                               mlps_bufpool *pool, mlps_seqwriter **out, mlps_error *err)
{
    return open_writer(store, path, extra_flags, mlps_bufpool_buffer_size(pool),
                       mlps_bufpool_count(pool), pool, out, err);
}

void mlps_seqwriter_record_latency(mlps_seqwriter *w, mlps_hist *hist) { w->latency = hist; }
void mlps_seqwriter_write_behind(mlps_seqwriter *w, uint64_t window) { w->write_behind = window; }

/* Takes back completed requests, waiting for at least min_wait of them. */
static int reap(mlps_seqwriter *w, unsigned min_wait)
{
    int got = mlps_ioq_reap(w->q, w->done, w->depth, min_wait, &w->failure);
    if (got < 0)
        return got;
    int rc = 0;
    for (int i = 0; i < got; i++) {
        mlps_io_req *req = w->done[i];
        w->idle[w->idle_count++] = req;
        if (req->result != (int64_t)req->len) {
            if (rc == 0)
                rc = mlps_io_req_fail(req, &w->failure);
            continue;
        }
        if (w->latency)
            mlps_hist_record(w->latency, req->complete_ns - req->submit_ns);
        if (w->write_behind)
            mlps_file_write_behind(w->file, req->offset, req->len, w->write_behind);
    }
    return rc;
}

/* Submits the filling buffer's first len bytes at the next offset. */
static int submit_filling(mlps_seqwriter *w, size_t len)
{
    mlps_io_req *req = w->filling;
    req->offset = w->next_offset;
    req->len = len;
    int rc = mlps_ioq_submit(w->q, &req, 1, &w->failure);
    if (rc < 0)
        return rc;
    w->filling = NULL;
    w->next_offset += len;
    return reap(w, 0);
}

/* Makes an idle buffer the filling one, waiting for a completion when none is idle. */
static int start_filling(mlps_seqwriter *w)
{
    int rc = w->idle_count == 0 ? reap(w, 1) : 0;
    if (rc < 0)
        return rc;
    w->filling = w->idle[--w->idle_count];
    w->filled = 0;
    return 0;
}

static int append(mlps_seqwriter *w, uint64_t len, const byte_source *src, mlps_error *err)
{
    if (w->failure.code)
        return report_failure(w, err);
    for (uint64_t done = 0; done < len;) {
        if (!w->filling && start_filling(w) < 0)
            return report_failure(w, err);
        size_t room = w->block_size - w->filled;
        size_t n = len - done < room ? (size_t)(len - done) : room;
        produce(src, (char *)w->filling->buf + w->filled, n, done);
        w->filled += n;
        w->bytes += n;
        done += n;
        if (w->filled == w->block_size && submit_filling(w, w->block_size) < 0)
            return report_failure(w, err);
    }
    return 0;
}

int mlps_seqwriter_write(mlps_seqwriter *w, const void *data, size_t len, mlps_error *err)
{
    byte_source src = {.data = data};
    return append(w, len, &src, err);
}

int mlps_seqwriter_write_random(mlps_seqwriter *w, uint64_t len, uint64_t seed, uint64_t stream,
                                uint64_t offset, mlps_error *err)
{
    byte_source src = {.random = true, .seed = seed, .stream = stream, .offset = offset};
    return append(w, len, &src, err);
}

/* Submits the partial last buffer, padded with zeros to the alignment, waits for everything and
 * cuts the padding off again. */
static int finish(mlps_seqwriter *w)
{
    size_t padded = 0;
    if (w->filling) {
        padded = (w->filled + w->alignment - 1) / w->alignment * w->alignment;
        memset((char *)w->filling->buf + w->filled, 0, padded - w->filled);
        int rc = submit_filling(w, padded);
        if (rc < 0)
            return rc;
    }
    while (mlps_ioq_inflight(w->q) > 0) {
        int rc = reap(w, mlps_ioq_inflight(w->q));
        if (rc < 0)
            return rc;
    }
    if (mlps_file_size(w->file) != w->bytes)
        return mlps_file_truncate(w->file, w->bytes, &w->failure);
    return 0;
}

int mlps_seqwriter_release(mlps_seqwriter *w, mlps_file **file, mlps_error *err)
{
    *file = NULL;
    if (!w)
        return 0;
    int rc = w->failure.code ? w->failure.code : finish(w);
    mlps_ioq_destroy(w->q); /* waits for whatever a failure left in flight */
    if (rc == 0)
        *file = w->file;
    else {
        mlps_file_abort(w->file);
        report_failure(w, err);
    }
    free_writer(w);
    return rc;
}

int mlps_seqwriter_close(mlps_seqwriter *w, mlps_error *err)
{
    mlps_file *file = NULL;
    int rc = mlps_seqwriter_release(w, &file, err);
    return rc ? rc : mlps_file_close(file, err);
}

void mlps_seqwriter_abort(mlps_seqwriter *w)
{
    if (!w)
        return;
    mlps_ioq_destroy(w->q);
    mlps_file_abort(w->file);
    free_writer(w);
}

uint64_t mlps_seqwriter_bytes(const mlps_seqwriter *w) { return w->bytes; }
const char *mlps_seqwriter_engine(const mlps_seqwriter *w) { return mlps_ioq_engine(w->q); }
