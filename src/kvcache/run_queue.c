/* The KV-cache run's request queue: a binary heap ordered by (−QoS priority, enqueue order), as
 * the reference's priority queue, with a condition for workers that wait with a timeout. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "kvcache/run_internal.h"

int mlps_kv_queue_init(mlps_kv_queue *q)
{
    *q = (mlps_kv_queue){0};
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&q->ready, &attr);
    pthread_condattr_destroy(&attr);
    return 0;
}

void mlps_kv_queue_destroy(mlps_kv_queue *q)
{
    free(q->heap);
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->lock);
}

/* a comes out before b */
static bool goes_first(const mlps_kv_queue_item *a, const mlps_kv_queue_item *b)
{
    if (a->request.priority != b->request.priority)
        return a->request.priority > b->request.priority;
    return a->sequence < b->sequence;
}

static void swap_items(mlps_kv_queue_item *a, mlps_kv_queue_item *b)
{
    mlps_kv_queue_item t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(mlps_kv_queue *q, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!goes_first(&q->heap[i], &q->heap[parent]))
            break;
        swap_items(&q->heap[i], &q->heap[parent]);
        i = parent;
    }
}

static void sift_down(mlps_kv_queue *q, size_t i)
{
    for (;;) {
        size_t best = i, left = 2 * i + 1, right = left + 1;
        if (left < q->count && goes_first(&q->heap[left], &q->heap[best]))
            best = left;
        if (right < q->count && goes_first(&q->heap[right], &q->heap[best]))
            best = right;
        if (best == i)
            return;
        swap_items(&q->heap[i], &q->heap[best]);
        i = best;
    }
}

int mlps_kv_queue_push(mlps_kv_queue *q, const mlps_kv_request *request)
{
    pthread_mutex_lock(&q->lock);
    if (q->count == q->capacity) {
        size_t grown = q->capacity ? q->capacity * 2 : 256;
        mlps_kv_queue_item *bigger = realloc(q->heap, grown * sizeof *bigger);
        if (!bigger) {
            pthread_mutex_unlock(&q->lock);
            return -ENOMEM;
        }
        q->heap = bigger;
        q->capacity = grown;
    }
    q->heap[q->count] = (mlps_kv_queue_item){.request = *request, .sequence = q->next_sequence++};
    sift_up(q, q->count++);
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

bool mlps_kv_queue_pop(mlps_kv_queue *q, mlps_kv_request *out, uint64_t timeout_ns)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)(timeout_ns / 1000000000u);
    deadline.tv_nsec += (long)(timeout_ns % 1000000000u);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed)
        if (pthread_cond_timedwait(&q->ready, &q->lock, &deadline) == ETIMEDOUT)
            break;
    bool got = q->count > 0 && !q->closed;
    if (got) {
        *out = q->heap[0].request;
        q->heap[0] = q->heap[--q->count];
        sift_down(q, 0);
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

void mlps_kv_queue_close(mlps_kv_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

size_t mlps_kv_queue_length(mlps_kv_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
