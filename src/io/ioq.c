/* The generic half of an I/O queue: checks requests before anything reaches an engine, stamps
 * submission times, counts what is in flight and grows file sizes as writes complete. The
 * engine behind the queue (io_uring, synchronous, libcurl multi for s3://) only moves bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "io/backend.h"

const char *mlps_io_op_name(int op)
{
    switch (op) {
    case MLPS_IO_READ: return "read";
    case MLPS_IO_WRITE: return "write";
    }
    return "unknown operation";
}

int mlps_io_req_fail(const mlps_io_req *req, mlps_error *err)
{
    int code = req->result < 0 ? (int)req->result : -EIO;
    const mlps_backend *backend = req->file ? req->file->store->backend : NULL;
    char detail[sizeof err->message];
    if (backend && backend->file_failure && backend->file_failure(req->file, detail, sizeof detail))
        return mlps_fail(err, code, "%s", detail);
    return mlps_fail(err, code, "%s %s at offset %llu (%zu bytes): %s", mlps_io_op_name(req->op),
                     req->file ? req->file->uri : "(no file)", (unsigned long long)req->offset,
                     req->len, strerror(-code));
}

static int reject(const mlps_io_req *req, int code, const char *problem, mlps_error *err)
{
    return mlps_fail(err, code, "%s %s at offset %llu: %s", mlps_io_op_name(req->op),
                     req->file ? req->file->uri : "(no file)", (unsigned long long)req->offset,
                     problem);
}

int mlps_io_req_check(const mlps_store *store, mlps_io_req *req, mlps_error *err)
{
    if (!req->file)
        return reject(req, -EINVAL, "the request has no file", err);
    if (req->file->store != store)
        return reject(req, -EINVAL, "the file belongs to another store than the queue's", err);
    if (req->op != MLPS_IO_READ && req->op != MLPS_IO_WRITE)
        return reject(req, -EINVAL, "op must be MLPS_IO_READ or MLPS_IO_WRITE", err);
    if (!req->buf && req->len > 0)
        return reject(req, -EINVAL, "the request has no buffer", err);
    int needed = req->op == MLPS_IO_READ ? MLPS_OPEN_READ : MLPS_OPEN_WRITE;
    if (!(req->file->flags & needed))
        return reject(req, -EBADF,
                      req->op == MLPS_IO_READ ? "the file is not open for reading"
                                              : "the file is not open for writing",
                      err);
    if (req->offset > UINT64_MAX - req->len)
        return reject(req, -EINVAL, "offset + length overflows", err);
    if (store->backend->check_request)
        return store->backend->check_request(req, err);
    return 0;
}

/* Grows the file's size to the end of a completed write (several queues may race here). */
void mlps_io_req_account(mlps_io_req *req)
{
    if (req->op != MLPS_IO_WRITE || req->result <= 0)
        return;
    uint64_t end = req->offset + (uint64_t)req->result;
    uint64_t size = atomic_load(&req->file->size);
    while ((size == MLPS_SIZE_UNKNOWN || size < end) &&
           !atomic_compare_exchange_weak(&req->file->size, &size, end)) {
    }
}

int mlps_ioq_create(mlps_store *store, unsigned depth, mlps_ioq **out, mlps_error *err)
{
    *out = NULL;
    if (depth == 0 || depth > MLPS_IOQ_MAX_DEPTH)
        return mlps_fail_usage(err, -EINVAL, "I/O queue on %s: depth %u must be in 1..%u",
                               store->uri, depth, MLPS_IOQ_MAX_DEPTH);
    mlps_ioq *q = calloc(1, sizeof *q);
    if (!q)
        return mlps_fail(err, -ENOMEM, "I/O queue on %s: out of memory", store->uri);
    q->store = store;
    q->depth = depth;
    int rc = store->backend->ioq_init(q, err);
    if (rc < 0) {
        free(q);
        return rc;
    }
    *out = q;
    return 0;
}

void mlps_ioq_destroy(mlps_ioq *q)
{
    if (!q)
        return;
    mlps_io_req *done[64];
    while (q->inflight > 0 && mlps_ioq_reap(q, done, 64, 1, NULL) > 0) {
    }
    q->engine->destroy(q);
    free(q);
}

int mlps_ioq_submit(mlps_ioq *q, mlps_io_req *const *reqs, unsigned n, mlps_error *err)
{
    if (n > q->depth - q->inflight)
        return mlps_fail_usage(err, -EINVAL,
                               "I/O queue on %s: %u requests exceed the %u free slots of a "
                               "depth-%u queue",
                               q->store->uri, n, q->depth - q->inflight, q->depth);
    for (unsigned i = 0; i < n; i++) {
        int rc = mlps_io_req_check(q->store, reqs[i], err);
        if (rc < 0)
            return rc;
    }
    uint64_t now = mlps_monotonic_ns();
    for (unsigned i = 0; i < n; i++) {
        reqs[i]->result = 0;
        reqs[i]->submit_ns = now;
        reqs[i]->complete_ns = 0;
    }
    int rc = q->engine->submit(q, reqs, n, err);
    if (rc < 0)
        return rc;
    q->inflight += n;
    return 0;
}

int mlps_ioq_reap(mlps_ioq *q, mlps_io_req **done, unsigned max, unsigned min_wait,
                  mlps_error *err)
{
    if (min_wait > q->inflight)
        min_wait = q->inflight;
    if (min_wait > max)
        min_wait = max;
    if (q->inflight == 0 || max == 0)
        return 0;
    int got = q->engine->reap(q, done, max, min_wait, err);
    if (got < 0)
        return got;
    for (int i = 0; i < got; i++)
        mlps_io_req_account(done[i]);
    q->inflight -= (unsigned)got;
    return got;
}

unsigned mlps_ioq_inflight(const mlps_ioq *q) { return q->inflight; }
unsigned mlps_ioq_depth(const mlps_ioq *q) { return q->depth; }
const char *mlps_ioq_engine(const mlps_ioq *q) { return q->engine->name; }
