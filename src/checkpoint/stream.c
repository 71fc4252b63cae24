/* Writing checkpoint files; see stream.h (reading: stream_read.c). Writes go through the
 * sequential writer over the writer's pool, kept from one file to the next (a chunk is generated
 * into a free buffer while earlier ones are in flight), and a closer thread fsyncs and publishes
 * each file while the next is written. */
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
#define DEFAULT_WRITE_DEPTH 4u

static size_t write_chunk(const mlps_stream_options *o)
{
    return o && o->write_chunk ? o->write_chunk : DEFAULT_WRITE_CHUNK;
}
static unsigned write_depth(const mlps_stream_options *o)
{
    return o && o->write_depth ? o->write_depth : DEFAULT_WRITE_DEPTH;
}

uint64_t mlps_stream_write_memory(const mlps_stream_options *options)
{
    return (uint64_t)write_chunk(options) * write_depth(options);
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
