/* The io_uring engine behind file:// and direct:// queues. Each queue owns a ring with one slot
 * per unit of depth; a slot remembers how much of its request has moved, so a partial transfer
 * is resubmitted for the remainder and the caller only ever sees whole requests (or end of file,
 * or an error). */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "io/backend.h"
#include "io/posix_common.h"

typedef struct uring_slot {
    mlps_io_req *req;
    uint64_t done;
} uring_slot;

typedef struct uring_state {
    struct io_uring ring;
    uring_slot *slots;
    uring_slot **free_slots;
    unsigned free_count;
} uring_state;

/* Queues the remainder of a slot's request. Never runs out of entries: the ring holds at least
 * depth of them and each slot has at most one queued. */
static void queue_remainder(uring_state *s, uring_slot *slot)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    while (!sqe) {
        io_uring_submit(&s->ring);
        sqe = io_uring_get_sqe(&s->ring);
    }
    const mlps_io_req *req = slot->req;
    size_t remaining = req->len - slot->done;
    unsigned chunk = remaining > MLPS_IO_MAX_CHUNK ? MLPS_IO_MAX_CHUNK : (unsigned)remaining;
    int fd = mlps_posix_file_fd(req->file);
    char *buf = (char *)req->buf + slot->done;
    uint64_t offset = req->offset + slot->done;
    if (req->op == MLPS_IO_READ)
        io_uring_prep_read(sqe, fd, buf, chunk, offset);
    else
        io_uring_prep_write(sqe, fd, buf, chunk, offset);
    io_uring_sqe_set_data(sqe, slot);
}

static bool is_transient(int res) { return res == -EAGAIN || res == -EINTR || res == -EBUSY; }

static int uring_submit(mlps_ioq *q, mlps_io_req *const *reqs, unsigned n, mlps_error *err)
{
    uring_state *s = q->engine_state;
    for (unsigned i = 0; i < n; i++) {
        uring_slot *slot = s->free_slots[--s->free_count];
        slot->req = reqs[i];
        slot->done = 0;
        queue_remainder(s, slot);
    }
    int rc = io_uring_submit(&s->ring);
    /* Entries left queued after a transient refusal go in with the next reap. Any other failure
     * means the ring itself is unusable; the caller can only destroy the queue. */
    if (rc < 0 && !is_transient(rc))
        return mlps_fail(err, rc, "submit %u requests on %s (io_uring): %s", n, q->store->uri,
                         strerror(-rc));
    return 0;
}

/* Applies one completion to its slot; true when the request is finished. */
static bool absorb_completion(uring_state *s, uring_slot *slot, int res)
{
    mlps_io_req *req = slot->req;
    if (is_transient(res)) {
        queue_remainder(s, slot);
        return false;
    }
    if (res > 0)
        slot->done += (uint64_t)res;
    if (res < 0)
        req->result = res;
    else if (slot->done == req->len || (res == 0 && req->op == MLPS_IO_READ))
        req->result = (int64_t)slot->done; /* whole, or end of file */
    else if (res == 0)
        req->result = -EIO; /* a write that moves nothing would loop forever */
    else {
        queue_remainder(s, slot);
        return false;
    }
    req->complete_ns = mlps_monotonic_ns();
    s->free_slots[s->free_count++] = slot;
    return true;
}

static unsigned harvest(uring_state *s, mlps_io_req **done, unsigned got, unsigned max)
{
    struct io_uring_cqe *cqe;
    while (got < max && io_uring_peek_cqe(&s->ring, &cqe) == 0) {
        uring_slot *slot = io_uring_cqe_get_data(cqe);
        int res = cqe->res;
        io_uring_cqe_seen(&s->ring, cqe);
        if (absorb_completion(s, slot, res))
            done[got++] = slot->req;
    }
    return got;
}

static int uring_reap(mlps_ioq *q, mlps_io_req **done, unsigned max, unsigned min_wait,
                      mlps_error *err)
{
    uring_state *s = q->engine_state;
    unsigned got = 0;
    for (;;) {
        got = harvest(s, done, got, max);
        bool must_wait = got < min_wait;
        if (!must_wait && io_uring_sq_ready(&s->ring) == 0)
            return (int)got;
        int rc = io_uring_submit_and_wait(&s->ring, must_wait ? 1 : 0);
        if (rc < 0 && !is_transient(rc))
            return mlps_fail(err, rc, "wait for completions on %s (io_uring): %s",
                             q->store->uri, strerror(-rc));
        if (!must_wait)
            return (int)got;
    }
}

static void free_state(uring_state *s)
{
    free(s->slots);
    free(s->free_slots);
    free(s);
}

static void uring_destroy(mlps_ioq *q)
{
    uring_state *s = q->engine_state;
    io_uring_queue_exit(&s->ring);
    free_state(s);
}

static const mlps_engine uring_engine = {
    .name = "io_uring",
    .submit = uring_submit,
    .reap = uring_reap,
    .destroy = uring_destroy,
};

static uring_state *new_state(unsigned depth)
{
    uring_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->slots = calloc(depth, sizeof *s->slots);
    s->free_slots = calloc(depth, sizeof *s->free_slots);
    if (!s->slots || !s->free_slots) {
        free_state(s);
        return NULL;
    }
    for (unsigned i = 0; i < depth; i++)
        s->free_slots[i] = &s->slots[i];
    s->free_count = depth;
    return s;
}

/* Returns the kernel's -errno unchanged so the caller can tell "io_uring unavailable"
 * (-ENOSYS, -EPERM) from other failures. */
int mlps_uring_engine_init(mlps_ioq *q, mlps_error *err)
{
    uring_state *s = new_state(q->depth);
    if (!s)
        return mlps_fail(err, -ENOMEM, "I/O queue on %s: out of memory for depth %u",
                         q->store->uri, q->depth);
    int rc = io_uring_queue_init(q->depth, &s->ring, 0);
    if (rc < 0) {
        free_state(s);
        return mlps_fail(err, rc, "I/O queue on %s: io_uring_queue_init(%u): %s", q->store->uri,
                         q->depth, strerror(-rc));
    }
    q->engine = &uring_engine;
    q->engine_state = s;
    return 0;
}
