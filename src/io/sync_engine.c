/* The synchronous engine: a request is carried out by the backend's execute() at submission and
 * parked in a ring until reaped. It serves null://, file:// and direct:// where the kernel
 * refuses io_uring, and s3:// with MLPS_S3_ENGINE=sync. Timestamps stay honest: complete_ns is when execute() returned. */
#include <errno.h>
#include <stdlib.h>

#include "core/clock.h"
#include "io/backend.h"

typedef struct sync_ring {
    mlps_io_req **completed; /* depth entries */
    unsigned head;           /* oldest completed */
    unsigned count;
} sync_ring;

static int sync_submit(mlps_ioq *q, mlps_io_req *const *reqs, unsigned n, mlps_error *err)
{
    (void)err;
    sync_ring *ring = q->engine_state;
    for (unsigned i = 0; i < n; i++) {
        q->store->backend->execute(reqs[i]);
        reqs[i]->complete_ns = mlps_monotonic_ns();
        ring->completed[(ring->head + ring->count) % q->depth] = reqs[i];
        ring->count++;
    }
    return 0;
}

static int sync_reap(mlps_ioq *q, mlps_io_req **done, unsigned max, unsigned min_wait,
                     mlps_error *err)
{
    (void)min_wait; /* everything submitted has already completed */
    (void)err;
    sync_ring *ring = q->engine_state;
    unsigned got = 0;
    while (got < max && ring->count > 0) {
        done[got++] = ring->completed[ring->head];
        ring->head = (ring->head + 1) % q->depth;
        ring->count--;
    }
    return (int)got;
}

static void sync_destroy(mlps_ioq *q)
{
    sync_ring *ring = q->engine_state;
    free(ring->completed);
    free(ring);
}

static const mlps_engine sync_engine = {
    .name = "sync",
    .submit = sync_submit,
    .reap = sync_reap,
    .destroy = sync_destroy,
};

int mlps_sync_engine_init(mlps_ioq *q, mlps_error *err)
{
    sync_ring *ring = calloc(1, sizeof *ring);
    if (ring)
        ring->completed = calloc(q->depth, sizeof *ring->completed);
    if (!ring || !ring->completed) {
        free(ring);
        return mlps_fail(err, -ENOMEM, "I/O queue on %s: out of memory for depth %u",
                         q->store->uri, q->depth);
    }
    q->engine = &sync_engine;
    q->engine_state = ring;
    return 0;
}
