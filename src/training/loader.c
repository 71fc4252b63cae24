/* The reader threads and the in-order hand-off of batches; see loader.h.
 *
 * Batches (or, with parts_per_batch > 1, the parts of batches, in order) are claimed by whichever
 * thread is free, read, and gathered in a ring slot (batch b in slot b mod window) until all
 * their parts are in; the step loop takes them in order. A thread may claim a part of batch b
 * only while b < consumed + window, which bounds read-ahead and memory. */
#include "training/loader.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "io/bufpool.h"

typedef struct batch_slot {
    bool ready;
    unsigned parts_done;
    int rc; /* the first failed part's */
    uint64_t sample_bytes;
    mlps_error err;
} batch_slot;

/* A file with requests in flight; closed when its last request completes and it is not the
 * file currently being read. */
typedef struct open_file {
    uint64_t index;
    mlps_file *handle;
    uint64_t expected_size; /* the size its layout was read from */
    unsigned inflight;
} open_file;

/* Bytes [start, end) of one file that the batch reads next: adjacent sample extents (records
 * of a tfrecord file read in order) join into one span, read as one stream would be. */
typedef struct span {
    open_file *file; /* NULL: empty */
    uint64_t start, end;
} span;

typedef struct reader {
    mlps_loader *loader;
    pthread_t thread;
    mlps_ioq *queue;
    mlps_bufpool *pool;
    mlps_io_req *requests;
    mlps_io_req **idle;
    unsigned idle_count;
    mlps_io_req **pending; /* filled, not yet submitted */
    unsigned pending_count;
    open_file *files; /* queue_depth + 1 entries */
    open_file *current;
    span pending_span; /* adjacent extents not yet queued */
    mlps_loader_stats stats;
} reader;

struct mlps_loader {
    mlps_loader_config config;
    size_t alignment;
    size_t transfer_size;
    unsigned window;
    reader *readers;
    unsigned started_readers;
    batch_slot *slots;
    pthread_mutex_t lock;
    pthread_cond_t work_available;
    pthread_cond_t batch_ready;
    uint64_t epoch;
    bool epoch_active;
    bool shutting_down;
    unsigned parts;      /* per batch, 1 or more */
    uint64_t next_claim; /* the next part to read: batch next_claim / parts */
    uint64_t consumed;
    unsigned busy_readers;
};

static unsigned read_ahead_window(const mlps_loader_config *config)
{
    unsigned threads = config->read_threads ? config->read_threads : 1;
    unsigned prefetch = config->prefetch_size ? config->prefetch_size : 1;
    return threads * ((prefetch + threads - 1) / threads);
}

/* More parts than samples would leave parts with nothing to read. */
static unsigned parts_per_batch(const mlps_loader_config *config)
{
    unsigned parts = config->parts_per_batch ? config->parts_per_batch : 1;
    return parts > config->batch_size ? (unsigned)config->batch_size : parts;
}

static size_t aligned_transfer_size(const mlps_loader_config *config, size_t alignment)
{
    size_t size = config->transfer_size ? config->transfer_size : (size_t)1 << 20;
    if (alignment > 1)
        size = (size + alignment - 1) / alignment * alignment;
    return size;
}

uint64_t mlps_loader_buffer_bytes(const mlps_loader_config *config, size_t alignment)
{
    return (uint64_t)config->read_threads * config->queue_depth *
           aligned_transfer_size(config, alignment);
}

/* --- one reader's I/O --- */

static open_file *find_or_open(reader *r, uint64_t file, uint64_t expected_size,
                               mlps_error *err)
{
    unsigned slots = r->loader->config.queue_depth + 1;
    open_file *free_entry = NULL;
    for (unsigned i = 0; i < slots; i++) {
        if (r->files[i].handle && r->files[i].index == file)
            return &r->files[i];
        if (!r->files[i].handle && !free_entry)
            free_entry = &r->files[i];
    }
    if (!free_entry) {
        mlps_fail(err, -EMFILE, "reader has no free file slot (internal limit)");
        return NULL;
    }
    char name[PATH_MAX];
    if (mlps_layout_file_name(r->loader->config.layouts, file, name, sizeof name, err) ||
        mlps_file_open_sized(r->loader->config.store, name, MLPS_OPEN_READ, expected_size,
                             &free_entry->handle, err))
        return NULL;
    free_entry->index = file;
    free_entry->expected_size = expected_size;
    free_entry->inflight = 0;
    return free_entry;
}

static void release_file(reader *r, open_file *f)
{
    if (f->handle && f->inflight == 0 && f != r->current && f != r->pending_span.file) {
        mlps_file_close(f->handle, NULL);
        f->handle = NULL;
    }
}

/* Gives a request and its buffer back, whether it ran or was never submitted. */
static void recycle_request(reader *r, mlps_io_req *req)
{
    open_file *f = req->user;
    mlps_bufpool_put(r->pool, req->buf);
    req->buf = NULL;
    r->idle[r->idle_count++] = req;
    f->inflight--;
    release_file(r, f);
}

static int complete_request(reader *r, mlps_io_req *req, mlps_error *err)
{
    open_file *f = req->user;
    int rc = 0;
    /* A read may stop at the end of the file (an aligned read rounds past it), but only at the
     * end the layout was read from: a file that shrank since is missing sample bytes. */
    bool reached_end = req->result >= 0 &&
                       req->offset + (uint64_t)req->result >= f->expected_size;
    if (req->result < 0 || ((size_t)req->result != req->len && !reached_end))
        rc = req->result < 0
                 ? mlps_io_req_fail(req, err)
                 : mlps_fail(err, -EIO,
                             "%s: short read at offset %llu: %lld of %zu bytes (the file is "
                             "shorter than the %llu bytes its structure was read from)",
                             mlps_file_uri(f->handle), (unsigned long long)req->offset,
                             (long long)req->result, req->len,
                             (unsigned long long)f->expected_size);
    else
        r->stats.bytes_read += (uint64_t)req->result;
    r->stats.requests++;
    mlps_hist_record(&r->stats.read_latency_ns, req->complete_ns - req->submit_ns);
    recycle_request(r, req);
    return rc;
}

static int flush_pending(reader *r, mlps_error *err)
{
    if (r->pending_count == 0)
        return 0;
    int rc = mlps_ioq_submit(r->queue, r->pending, r->pending_count, err);
    /* A refused submission submitted none of them. */
    for (unsigned i = 0; rc && i < r->pending_count; i++)
        recycle_request(r, r->pending[i]);
    r->pending_count = 0;
    return rc;
}

/* Reaps at least min_wait completions. The first failure is the one reported. */
static int reap(reader *r, unsigned min_wait, mlps_error *err)
{
    mlps_io_req *done[r->loader->config.queue_depth];
    int count = mlps_ioq_reap(r->queue, done, r->loader->config.queue_depth, min_wait, err);
    if (count < 0)
        return count;
    int rc = 0;
    for (int i = 0; i < count; i++) {
        int one = complete_request(r, done[i], rc ? NULL : err);
        if (!rc)
            rc = one;
    }
    return rc;
}

/* Completes every request, also after a failure, so none outlives its batch. */
static int wait_all(reader *r, mlps_error *err)
{
    int rc = flush_pending(r, err);
    while (mlps_ioq_inflight(r->queue) > 0) {
        unsigned before = mlps_ioq_inflight(r->queue);
        int one = reap(r, before, rc ? NULL : err);
        if (!rc)
            rc = one;
        if (mlps_ioq_inflight(r->queue) == before)
            break; /* the queue itself failed: nothing more will complete */
    }
    return rc;
}

/* Queues the reads that cover a span, aligned for the store. Request boundaries fall on
 * multiples of the transfer size in the file, as a buffered stream reads (TensorFlow's
 * TFRecordDataset with buffer_size = transfer_size), so the records of a batch are read in
 * whole transfers rather than one request per record. */
static int read_span(reader *r, span extent, mlps_error *err)
{
    size_t alignment = r->loader->alignment;
    uint64_t transfer = r->loader->transfer_size;
    uint64_t start = extent.start, end = extent.end;
    if (alignment > 1) {
        start -= start % alignment;
        end = (end + alignment - 1) / alignment * alignment;
    }
    for (uint64_t offset = start; offset < end;) {
        if (r->idle_count == 0) {
            int rc = flush_pending(r, err);
            if (!rc)
                rc = reap(r, 1, err);
            if (rc)
                return rc;
        }
        mlps_io_req *req = r->idle[--r->idle_count];
        uint64_t boundary = (offset / transfer + 1) * transfer;
        size_t len = (size_t)((boundary < end ? boundary : end) - offset);
        *req = (mlps_io_req){.file = extent.file->handle, .op = MLPS_IO_READ, .offset = offset,
                             .buf = mlps_bufpool_get(r->pool), .len = len,
                             .user = extent.file};
        extent.file->inflight++;
        r->pending[r->pending_count++] = req;
        offset += len;
    }
    return 0;
}

/* The span's file stays open while its reads are queued (release_file spares it). */
static int queue_pending_span(reader *r, mlps_error *err)
{
    span pending = r->pending_span;
    int rc = pending.file ? read_span(r, pending, err) : 0;
    r->pending_span = (span){0};
    if (pending.file)
        release_file(r, pending.file);
    return rc;
}

/* Extends the pending span with the next extent when they touch, else queues the span and
 * starts a new one. */
static int add_extent(reader *r, open_file *f, mlps_sample_extent extent, mlps_error *err)
{
    span *pending = &r->pending_span;
    if (pending->file == f && pending->end == extent.offset) {
        pending->end += extent.length;
        return 0;
    }
    int rc = queue_pending_span(r, err);
    *pending = (span){.file = f, .start = extent.offset, .end = extent.offset + extent.length};
    return rc;
}

static int read_sample(reader *r, uint64_t epoch, uint64_t k, uint64_t *last_file,
                       mlps_sample_extent *last_extent, uint64_t *sample_bytes, mlps_error *err)
{
    const mlps_loader_config *config = &r->loader->config;
    uint64_t file, sample, file_size;
    mlps_sample_extent extent;
    int rc = config->order(config->order_ctx, epoch, k, &file, &sample, err);
    if (!rc)
        rc = mlps_layout_extent(config->layouts, file, sample, &extent, &file_size, err);
    if (rc)
        return rc;
    r->stats.samples++;
    /* Samples sharing an extent (a row group, an npz array) are read once per batch. */
    if (file == *last_file && extent.offset == last_extent->offset &&
        extent.length == last_extent->length)
        return 0;
    *sample_bytes += extent.length;
    r->stats.sample_bytes += extent.length;
    *last_file = file;
    *last_extent = extent;
    open_file *f = find_or_open(r, file, file_size, err);
    if (!f)
        return err && err->code ? err->code : -EIO;
    /* f is current before the previous span is queued: reaping while queueing must not close
     * it (release_file spares the current file and the pending span's). */
    open_file *previous = r->current;
    r->current = f;
    rc = add_extent(r, f, extent, err);
    if (previous && previous != f)
        release_file(r, previous);
    return rc;
}

/* Reads part `part` of the batch: samples [first, end) of the epoch's order, where the batch's
 * samples are cut into the loader's parts as evenly as they go. */
static int read_batch_part(reader *r, uint64_t epoch, uint64_t batch, unsigned part,
                           uint64_t *sample_bytes, mlps_error *err)
{
    uint64_t batch_size = r->loader->config.batch_size, parts = r->loader->parts;
    uint64_t first = batch * batch_size + batch_size * part / parts;
    uint64_t end = batch * batch_size + batch_size * (part + 1) / parts;
    uint64_t last_file = UINT64_MAX;
    mlps_sample_extent last_extent = {0};
    *sample_bytes = 0;
    int rc = 0;
    for (uint64_t k = first; k < end && !rc; k++)
        rc = read_sample(r, epoch, k, &last_file, &last_extent, sample_bytes, err);
    int queued = queue_pending_span(r, rc ? NULL : err);
    if (!rc)
        rc = queued;
    int drained = wait_all(r, rc ? NULL : err);
    open_file *current = r->current;
    r->current = NULL;
    if (current)
        release_file(r, current);
    return rc ? rc : drained;
}

/* --- coordination --- */

static bool may_claim(const mlps_loader *loader)
{
    uint64_t batch = loader->next_claim / loader->parts;
    return loader->epoch_active && batch < loader->config.batches_per_epoch &&
           batch < loader->consumed + loader->window;
}

/* A part is read: the batch is ready when all its parts are; the first failure is its error. */
static void add_part(mlps_loader *loader, uint64_t batch, const batch_slot *part)
{
    batch_slot *slot = &loader->slots[batch % loader->window];
    slot->sample_bytes += part->sample_bytes;
    if (part->rc && !slot->rc) {
        slot->rc = part->rc;
        slot->err = part->err;
    }
    slot->ready = ++slot->parts_done == loader->parts;
}

static void *reader_main(void *arg)
{
    reader *r = arg;
    mlps_loader *loader = r->loader;
    pthread_mutex_lock(&loader->lock);
    for (;;) {
        while (!loader->shutting_down && !may_claim(loader))
            pthread_cond_wait(&loader->work_available, &loader->lock);
        if (loader->shutting_down)
            break;
        uint64_t claimed = loader->next_claim++, epoch = loader->epoch;
        uint64_t batch = claimed / loader->parts;
        unsigned part = (unsigned)(claimed % loader->parts);
        loader->busy_readers++;
        pthread_mutex_unlock(&loader->lock);

        batch_slot result = {0};
        result.rc = read_batch_part(r, epoch, batch, part, &result.sample_bytes, &result.err);

        pthread_mutex_lock(&loader->lock);
        loader->busy_readers--;
        if (loader->epoch_active && epoch == loader->epoch)
            add_part(loader, batch, &result);
        pthread_cond_broadcast(&loader->batch_ready);
    }
    pthread_mutex_unlock(&loader->lock);
    return NULL;
}

static int setup_reader(mlps_loader *loader, reader *r, mlps_error *err)
{
    unsigned depth = loader->config.queue_depth;
    r->loader = loader;
    mlps_hist_init(&r->stats.read_latency_ns);
    int rc = mlps_ioq_create(loader->config.store, depth, &r->queue, err);
    if (!rc)
        rc = mlps_bufpool_create(loader->transfer_size, depth, loader->alignment, &r->pool, err);
    if (rc)
        return rc;
    r->requests = calloc(depth, sizeof *r->requests);
    r->idle = calloc(depth, sizeof *r->idle);
    r->pending = calloc(depth, sizeof *r->pending);
    r->files = calloc(depth + 1, sizeof *r->files);
    if (!r->requests || !r->idle || !r->pending || !r->files)
        return mlps_fail(err, -ENOMEM, "out of memory for a reader of depth %u", depth);
    for (unsigned i = 0; i < depth; i++)
        r->idle[r->idle_count++] = &r->requests[i];
    return 0;
}

static void teardown_reader(reader *r)
{
    if (r->queue)
        mlps_ioq_destroy(r->queue);
    for (unsigned i = 0; r->files && i <= r->loader->config.queue_depth; i++)
        if (r->files[i].handle)
            mlps_file_close(r->files[i].handle, NULL);
    for (unsigned i = 0; r->requests && i < r->loader->config.queue_depth; i++)
        if (r->requests[i].buf)
            mlps_bufpool_put(r->pool, r->requests[i].buf);
    if (r->pool)
        mlps_bufpool_destroy(r->pool);
    free(r->requests);
    free(r->idle);
    free(r->pending);
    free(r->files);
}

static int validate_config(const mlps_loader_config *config, mlps_error *err)
{
    if (!config->batch_size || !config->read_threads || !config->queue_depth)
        return mlps_fail_usage(err, -EINVAL,
                               "the loader needs batch_size, read_threads and a queue depth "
                               "of at least 1 (got %llu, %u, %u)",
                               (unsigned long long)config->batch_size, config->read_threads,
                               config->queue_depth);
    return 0;
}

int mlps_loader_create(const mlps_loader_config *config, mlps_loader **out, mlps_error *err)
{
    int rc = validate_config(config, err);
    if (rc)
        return rc;
    mlps_loader *loader = calloc(1, sizeof *loader);
    if (!loader)
        return mlps_fail(err, -ENOMEM, "out of memory for the loader");
    loader->config = *config;
    loader->alignment = mlps_store_alignment(config->store);
    loader->transfer_size = aligned_transfer_size(config, loader->alignment);
    loader->window = read_ahead_window(config);
    loader->parts = parts_per_batch(config);
    loader->readers = calloc(config->read_threads, sizeof *loader->readers);
    loader->slots = calloc(loader->window, sizeof *loader->slots);
    pthread_mutex_init(&loader->lock, NULL);
    pthread_cond_init(&loader->work_available, NULL);
    pthread_cond_init(&loader->batch_ready, NULL);
    if (!loader->readers || !loader->slots)
        rc = mlps_fail(err, -ENOMEM, "out of memory for %u readers", config->read_threads);
    for (unsigned i = 0; !rc && i < config->read_threads; i++) {
        rc = setup_reader(loader, &loader->readers[i], err);
        if (!rc && pthread_create(&loader->readers[i].thread, NULL, reader_main,
                                  &loader->readers[i]) != 0)
            rc = mlps_fail(err, -EAGAIN, "cannot start reader thread %u", i);
        if (!rc)
            loader->started_readers++;
    }
    if (rc) {
        mlps_loader_destroy(loader);
        return rc;
    }
    *out = loader;
    return 0;
}

void mlps_loader_destroy(mlps_loader *loader)
{
    if (!loader)
        return;
    pthread_mutex_lock(&loader->lock);
    loader->shutting_down = true;
    pthread_cond_broadcast(&loader->work_available);
    pthread_mutex_unlock(&loader->lock);
    for (unsigned i = 0; i < loader->started_readers; i++)
        pthread_join(loader->readers[i].thread, NULL);
    for (unsigned i = 0; loader->readers && i < loader->config.read_threads; i++)
        if (loader->readers[i].loader)
            teardown_reader(&loader->readers[i]);
    pthread_mutex_destroy(&loader->lock);
    pthread_cond_destroy(&loader->work_available);
    pthread_cond_destroy(&loader->batch_ready);
    free(loader->readers);
    free(loader->slots);
    free(loader);
}

int mlps_loader_start_epoch(mlps_loader *loader, uint64_t epoch, mlps_error *err)
{
    (void)err;
    pthread_mutex_lock(&loader->lock);
    loader->epoch = epoch;
    loader->epoch_active = true;
    loader->next_claim = 0;
    loader->consumed = 0;
    memset(loader->slots, 0, loader->window * sizeof *loader->slots);
    pthread_cond_broadcast(&loader->work_available);
    pthread_mutex_unlock(&loader->lock);
    return 0;
}

int mlps_loader_next_batch(mlps_loader *loader, uint64_t *sample_bytes, mlps_error *err)
{
    pthread_mutex_lock(&loader->lock);
    if (!loader->epoch_active || loader->consumed >= loader->config.batches_per_epoch) {
        pthread_mutex_unlock(&loader->lock);
        return mlps_fail(err, -ERANGE, "no batch left in this epoch");
    }
    batch_slot *slot = &loader->slots[loader->consumed % loader->window];
    while (!slot->ready)
        pthread_cond_wait(&loader->batch_ready, &loader->lock);
    batch_slot result = *slot;
    *slot = (batch_slot){0};
    loader->consumed++;
    pthread_cond_broadcast(&loader->work_available);
    pthread_mutex_unlock(&loader->lock);
    if (result.rc && err)
        *err = result.err;
    *sample_bytes = result.sample_bytes;
    return result.rc;
}

void mlps_loader_end_epoch(mlps_loader *loader)
{
    pthread_mutex_lock(&loader->lock);
    loader->epoch_active = false;
    while (loader->busy_readers > 0)
        pthread_cond_wait(&loader->batch_ready, &loader->lock);
    pthread_mutex_unlock(&loader->lock);
}

void mlps_loader_stats_add(mlps_loader_stats *into, const mlps_loader_stats *more)
{
    into->bytes_read += more->bytes_read;
    into->sample_bytes += more->sample_bytes;
    into->samples += more->samples;
    into->requests += more->requests;
    mlps_hist_merge(&into->read_latency_ns, &more->read_latency_ns);
}

void mlps_loader_stats_merged(mlps_loader *loader, mlps_loader_stats *out)
{
    memset(out, 0, sizeof *out);
    mlps_hist_init(&out->read_latency_ns);
    for (unsigned i = 0; i < loader->config.read_threads; i++)
        mlps_loader_stats_add(out, &loader->readers[i].stats);
}
