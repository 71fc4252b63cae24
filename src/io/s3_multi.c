/* The queue engine of s3:// ("s3-multi"): many requests in flight per queue through libcurl's
 * multi interface. Submit turns each read into a ranged GET on an easy handle from the store's
 * pool and adds it to the queue's CURLM (taken from the store's pool too, so its connection cache
 * outlives the queue); reap drives the transfers until enough have completed. Writes complete at
 * submission as on the synchronous engine: they append to the object's part buffer in order, and
 * the part uploads they start run in flight on the file's own CURLM (s3_file.c).
 *
 * Bounds: a queue has at most its depth in flight, and the store at most max_concurrency over all
 * its queues and uploads (mlps_s3_admit); a request the store cannot admit yet waits in its slot
 * and is tried again at the next turn of reap. A transient failure waits in its slot until its
 * backoff is due, while the other transfers go on: reap polls with a timeout up to the earliest
 * due time rather than sleeping. Transfers move while the queue's thread is in submit or reap,
 * which is where a thread using a queue spends its waiting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "io/s3_internal.h"

/* While a request waits for the store to admit it, reap looks again this often. */
#define ADMISSION_RETRY_NS 2000000ull
/* The longest single poll: a bound on how late a due time or an admission is noticed. */
#define MAX_POLL_MS 1000

typedef enum slot_state { SLOT_FREE, SLOT_WAITING, SLOT_RUNNING } slot_state;

/* One read in flight; the call points into it, so slots never move. */
typedef struct slot {
    slot_state state;
    mlps_io_req *req;
    mlps_s3_request request;
    mlps_s3_response response;
    mlps_s3_call call;
    uint64_t due_ns; /* waiting: when it may start (0 at once) */
    char range[64];
} slot;

typedef struct multi_queue {
    mlps_s3_store *s3;
    CURLM *multi;
    slot *slots;              /* depth of them */
    mlps_io_req **completed;  /* ring of depth */
    unsigned head, count;     /* of the ring */
    unsigned waiting;         /* slots in SLOT_WAITING */
} multi_queue;

CURLM *mlps_s3_multi_take(mlps_s3_store *s3)
{
    CURLM *multi = mlps_s3_pool_take(&s3->multis);
    if (multi)
        return multi;
    if (!(multi = curl_multi_init()))
        return NULL;
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s3->config.max_concurrency);
    return multi;
}

void mlps_s3_multi_give(mlps_s3_store *s3, CURLM *multi)
{
    if (multi && !mlps_s3_pool_give(&s3->multis, multi))
        curl_multi_cleanup(multi);
}

bool mlps_s3_multi_next_finished(CURLM *multi, mlps_s3_store *s3, mlps_s3_call **call, int *rc,
                                 mlps_error *err)
{
    CURLMsg *msg;
    int left = 0;
    while (multi && (msg = curl_multi_info_read(multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)call);
        CURLcode result = msg->data.result;
        curl_multi_remove_handle(multi, msg->easy_handle); /* msg is gone after this */
        mlps_s3_leave(s3);
        mlps_error_clear(err);
        *rc = mlps_s3_call_finish(*call, result, err);
        return true;
    }
    return false;
}

static void complete(mlps_ioq *q, mlps_io_req *req)
{
    multi_queue *mq = q->engine_state;
    req->complete_ns = mlps_monotonic_ns();
    mq->completed[(mq->head + mq->count) % q->depth] = req;
    mq->count++;
}

static slot *free_slot(mlps_ioq *q)
{
    multi_queue *mq = q->engine_state;
    for (unsigned i = 0; i < q->depth; i++)
        if (mq->slots[i].state == SLOT_FREE)
            return &mq->slots[i];
    return NULL; /* cannot happen: slots in use <= requests in flight <= depth */
}

static void release_slot(multi_queue *mq, slot *s)
{
    if (s->state == SLOT_WAITING)
        mq->waiting--;
    s->state = SLOT_FREE;
    s->req = NULL;
}

/* The request has ended (done, failed or not begun): its result goes back to the caller. */
static void end_read(mlps_ioq *q, slot *s, int rc, mlps_error *err)
{
    mlps_s3_read_done(s->req, &s->request, &s->response, rc, err);
    complete(q, s->req);
    release_slot(q->engine_state, s);
}

/* Starts a waiting slot's next attempt if it is due and the store admits one more request. */
static void try_start(mlps_ioq *q, slot *s, uint64_t now)
{
    multi_queue *mq = q->engine_state;
    if (s->due_ns > now || !mlps_s3_admit(mq->s3, true))
        return;
    mq->waiting--;
    s->state = SLOT_RUNNING;
    CURLcode prepared = mlps_s3_call_prepare(&s->call);
    CURLMcode added = prepared == CURLE_OK ? curl_multi_add_handle(mq->multi, s->call.handle)
                                           : CURLM_OUT_OF_MEMORY;
    if (added == CURLM_OK)
        return;
    mlps_s3_leave(mq->s3);
    mlps_error err;
    mlps_error_clear(&err);
    int rc = mlps_s3_call_finish(&s->call, prepared != CURLE_OK ? prepared : CURLE_OUT_OF_MEMORY,
                                 &err);
    if (rc == MLPS_S3_CALL_RETRY) {
        s->state = SLOT_WAITING;
        s->due_ns = s->call.retry_at_ns;
        mq->waiting++;
    } else {
        end_read(q, s, rc, &err);
    }
}

static void start_waiting(mlps_ioq *q)
{
    multi_queue *mq = q->engine_state;
    if (mq->waiting == 0)
        return;
    uint64_t now = mlps_monotonic_ns();
    for (unsigned i = 0; i < q->depth && mq->waiting > 0; i++)
        if (mq->slots[i].state == SLOT_WAITING)
            try_start(q, &mq->slots[i], now);
}

static void submit_read(mlps_ioq *q, mlps_io_req *req)
{
    multi_queue *mq = q->engine_state;
    slot *s = free_slot(q);
    if (!s || !mlps_s3_read_request(req, &s->request, s->range, sizeof s->range)) {
        if (!s)
            req->result = -EBUSY;
        complete(q, req);
        return;
    }
    s->req = req;
    mlps_error err;
    mlps_error_clear(&err);
    int rc = mlps_s3_call_begin(&s->call, q->store, &s->request, &s->response, &err);
    s->state = SLOT_WAITING;
    s->due_ns = 0;
    mq->waiting++;
    if (rc < 0)
        end_read(q, s, rc, &err);
}

static int multi_submit(mlps_ioq *q, mlps_io_req *const *reqs, unsigned n, mlps_error *err)
{
    multi_queue *mq = q->engine_state;
    for (unsigned i = 0; i < n; i++) {
        if (reqs[i]->op == MLPS_IO_WRITE) {
            mlps_s3_execute(reqs[i]);
            complete(q, reqs[i]);
        } else {
            submit_read(q, reqs[i]);
        }
    }
    start_waiting(q);
    int running = 0;
    if (curl_multi_perform(mq->multi, &running) != CURLM_OK)
        return mlps_fail(err, -EIO, "I/O queue on %s: libcurl's multi interface failed",
                         q->store->uri);
    return 0;
}

/* Takes every finished transfer off the CURLM: done, failed for good, or waiting to retry. */
static void collect_finished(mlps_ioq *q)
{
    multi_queue *mq = q->engine_state;
    mlps_s3_call *call;
    mlps_error err;
    int rc;
    while (mlps_s3_multi_next_finished(mq->multi, mq->s3, &call, &rc, &err)) {
        slot *s = (slot *)((char *)call - offsetof(slot, call));
        if (rc == MLPS_S3_CALL_RETRY) {
            s->state = SLOT_WAITING;
            s->due_ns = call->retry_at_ns;
            mq->waiting++;
        } else {
            end_read(q, s, rc, &err);
        }
    }
}

/* How long reap may wait for the network before a waiting slot needs looking at. */
static int poll_timeout_ms(const mlps_ioq *q)
{
    const multi_queue *mq = q->engine_state;
    uint64_t now = mlps_monotonic_ns(), wait = (uint64_t)MAX_POLL_MS * 1000000ull;
    for (unsigned i = 0; i < q->depth && mq->waiting > 0; i++) {
        const slot *s = &mq->slots[i];
        if (s->state != SLOT_WAITING)
            continue;
        uint64_t until = s->due_ns > now ? s->due_ns - now : ADMISSION_RETRY_NS;
        if (until < wait)
            wait = until;
    }
    return (int)((wait + 999999) / 1000000);
}

static int multi_reap(mlps_ioq *q, mlps_io_req **done, unsigned max, unsigned min_wait,
                      mlps_error *err)
{
    multi_queue *mq = q->engine_state;
    for (bool first = true; first || mq->count < min_wait; first = false) {
        if (!first) {
            int numfds = 0;
            if (curl_multi_poll(mq->multi, NULL, 0, poll_timeout_ms(q), &numfds) != CURLM_OK)
                return mlps_fail(err, -EIO, "I/O queue on %s: libcurl's multi interface failed",
                                 q->store->uri);
        }
        int running = 0;
        if (curl_multi_perform(mq->multi, &running) != CURLM_OK)
            return mlps_fail(err, -EIO, "I/O queue on %s: libcurl's multi interface failed",
                             q->store->uri);
        collect_finished(q);
        start_waiting(q);
    }
    unsigned got = 0;
    while (got < max && mq->count > 0) {
        done[got++] = mq->completed[mq->head];
        mq->head = (mq->head + 1) % q->depth;
        mq->count--;
    }
    return (int)got;
}

static void multi_destroy(mlps_ioq *q)
{
    multi_queue *mq = q->engine_state;
    for (unsigned i = 0; i < q->depth; i++) { /* only if the queue failed with reads in flight */
        slot *s = &mq->slots[i];
        if (s->state == SLOT_RUNNING) {
            curl_multi_remove_handle(mq->multi, s->call.handle);
            mlps_s3_leave(mq->s3);
        }
        if (s->state != SLOT_FREE) {
            mlps_s3_call_cancel(&s->call);
            mlps_s3_response_free(&s->response);
        }
    }
    mlps_s3_multi_give(mq->s3, mq->multi);
    free(mq->slots);
    free(mq->completed);
    free(mq);
}

static const mlps_engine s3_multi_engine = {
    .name = "s3-multi",
    .submit = multi_submit,
    .reap = multi_reap,
    .destroy = multi_destroy,
};

int mlps_s3_ioq_init(mlps_ioq *q, mlps_error *err)
{
    mlps_s3_store *s3 = mlps_s3_of(q->store);
    if (s3->config.sync_engine)
        return mlps_sync_engine_init(q, err);
    multi_queue *mq = calloc(1, sizeof *mq);
    if (mq) {
        mq->s3 = s3;
        mq->slots = calloc(q->depth, sizeof *mq->slots);
        mq->completed = calloc(q->depth, sizeof *mq->completed);
        mq->multi = mlps_s3_multi_take(s3);
    }
    if (!mq || !mq->slots || !mq->completed || !mq->multi) {
        if (mq) {
            mlps_s3_multi_give(s3, mq->multi);
            free(mq->slots);
            free(mq->completed);
        }
        free(mq);
        return mlps_fail(err, -ENOMEM, "I/O queue on %s: out of memory for depth %u",
                         q->store->uri, q->depth);
    }
    q->engine = &s3_multi_engine;
    q->engine_state = mq;
    return 0;
}
