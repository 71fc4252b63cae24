/* The closer (closer.h): a ring of files handed over, one thread taking them in order. The file
 * being closed counts against the depth until its close returns, so "pending" is exactly what
 * the writer may have moved past. */
#include "io/closer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct mlps_closer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work; /* a file was queued, or the closer is stopping */
    pthread_cond_t room; /* a close returned */
    mlps_file *files[MAX_DEPTH];
    unsigned depth, head, queued;
    bool closing, stopping;
    mlps_error failure; /* the first failed close; code 0 until then */
};

static unsigned pending(const mlps_closer *c) { return c->queued + (c->closing ? 1u : 0u); }

/* Takes the next file off the ring, waiting for one; NULL once stopping with none left. Called
 * and returns with the lock held. */
static mlps_file *next_file(mlps_closer *c)
{
    while (c->queued == 0 && !c->stopping)
        pthread_cond_wait(&c->work, &c->lock);
    if (c->queued == 0)
        return NULL;
    mlps_file *file = c->files[c->head];
    c->head = (c->head + 1) % c->depth;
    c->queued--;
    c->closing = true;
    return file;
}

static void *close_files(void *arg)
{
    mlps_closer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (mlps_file *file; (file = next_file(c)) != NULL;) {
        bool failed_before = c->failure.code != 0;
        pthread_mutex_unlock(&c->lock);
        mlps_error err;
        mlps_error_clear(&err);
        int rc = 0;
        if (failed_before)
            mlps_file_abort(file); /* the run has failed: publish nothing more */
        else
            rc = mlps_file_close(file, &err);
        pthread_mutex_lock(&c->lock);
        if (rc < 0 && c->failure.code == 0)
            c->failure = err;
        c->closing = false;
        pthread_cond_signal(&c->room);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int mlps_closer_start(unsigned depth, mlps_closer **out, mlps_error *err)
{
    *out = NULL;
    if (depth == 0 || depth > MAX_DEPTH)
        return mlps_fail_usage(err, -EINVAL, "closer: depth %u must be in 1..%d", depth,
                               MAX_DEPTH);
    mlps_closer *c = calloc(1, sizeof *c);
    if (!c)
        return mlps_fail(err, -ENOMEM, "closer: out of memory");
    c->depth = depth;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->room, NULL);
    int rc = pthread_create(&c->thread, NULL, close_files, c);
    if (rc != 0) {
        pthread_cond_destroy(&c->room);
        pthread_cond_destroy(&c->work);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return mlps_fail(err, -rc, "closer: cannot start its thread: %s", strerror(rc));
    }
    *out = c;
    return 0;
}

int mlps_closer_close(mlps_closer *c, mlps_file *file, mlps_error *err)
{
    pthread_mutex_lock(&c->lock);
    while (pending(c) >= c->depth && c->failure.code == 0)
        pthread_cond_wait(&c->room, &c->lock);
    int rc = c->failure.code;
    if (rc < 0) {
        if (err)
            *err = c->failure;
        pthread_mutex_unlock(&c->lock);
        mlps_file_abort(file);
        return rc;
    }
    c->files[(c->head + c->queued) % c->depth] = file;
    c->queued++;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

int mlps_closer_finish(mlps_closer *c, mlps_error *err)
{
    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    int rc = c->failure.code;
    if (rc < 0 && err)
        *err = c->failure;
    pthread_cond_destroy(&c->room);
    pthread_cond_destroy(&c->work);
    pthread_mutex_destroy(&c->lock);
    free(c);
    return rc;
}
