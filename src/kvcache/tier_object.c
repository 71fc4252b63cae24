/* The storage tier on an object store (--cache-dir s3://bucket/prefix): one object per entry,
 * <prefix>/<key>.npy, holding the same bytes as the file tier's .npy file (the header, then the
 * raw array), moved through mlps's storage layer (io/store.h) like every other benchmark's
 * objects.
 *
 * A write streams the entry in 4 MiB pieces into an object opened for writing: the store sends
 * a single PUT for a small object and a multipart upload for a large one, and nothing appears
 * under the key until the close completes it; a failed write aborts it, so no partial object is
 * ever left. A read opens the object (its size from a HEAD), checks the size and the header and
 * reads it whole with ranged GETs of up to 4 MiB. Every second of either is spent in requests,
 * so it is all device time; host time is 0. Generating the bytes is not timed, as on files.
 * Removals in bulk, the start-up sweep of a previous run's entries and the end of a run's
 * deletion of every entry left, go in batches of up to 1000 names (one DeleteObjects each);
 * an eviction during the run deletes its entry at once. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "io/s3.h"
#include "io/store.h"
#include "kvcache/tier.h"

/* Names waiting to be removed together (one DeleteObjects request's worth). */
typedef struct removal_batch {
    mlps_store *store;
    char *names[MLPS_STORE_REMOVE_BATCH];
    size_t count;
    uint64_t removed;
} removal_batch;

typedef struct object_backend {
    mlps_kv_backend base;
    mlps_store *store;
    bool deferring;        /* the run is over: removals wait in the batch */
    removal_batch pending; /* what they wait in */
} object_backend;

/* An entry's object name below the store's root, and the header it must start with. */
typedef struct object_entry {
    char name[NAME_MAX + 1];
    char header[MLPS_KV_NPY_HEADER_MAX];
    size_t header_len;
    uint64_t total; /* header + data */
} object_entry;

static double seconds_since(uint64_t start_ns)
{
    return mlps_ns_to_seconds(mlps_monotonic_ns() - start_ns);
}

static int describe_entry(const object_backend *o, const mlps_kv_tier_op *op, object_entry *e,
                          mlps_error *err)
{
    int n = snprintf(e->name, sizeof e->name, "%s.npy", op->key);
    e->header_len = mlps_kv_npy_header(op->shape, e->header, sizeof e->header);
    if (n <= 0 || (size_t)n >= sizeof e->name || e->header_len == 0)
        return mlps_fail(err, -ENAMETOOLONG,
                         "storage tier: entry %s under %s: name or shape too long", op->key,
                         mlps_store_uri(o->store));
    e->total = e->header_len + op->shape->bytes;
    return 0;
}

/* Says which tier failed in front of the store's own message (which names the object). */
static int tier_failure(int rc, const char *doing, mlps_error *err)
{
    if (err)
        mlps_error_prefix(err, "storage tier: %s: ", doing);
    return rc;
}

static int stream_up(mlps_file *f, const object_entry *e, const mlps_kv_source *src, uint8_t *buf,
                     size_t chunk, double *device, double *source, mlps_error *err)
{
    for (uint64_t pos = 0; pos < e->total; pos += chunk) {
        size_t n = e->total - pos < chunk ? (size_t)(e->total - pos) : chunk;
        *source += mlps_kv_compose_npy(e->header, e->header_len, src, buf, n, pos);
        uint64_t start = mlps_monotonic_ns();
        int rc = mlps_file_pwrite_full(f, buf, n, pos, err);
        *device += seconds_since(start);
        if (rc)
            return rc;
    }
    return 0;
}

static int object_write(mlps_kv_backend *b, const mlps_kv_tier_op *op, const mlps_kv_source *src,
                        mlps_kv_io_time *time, double *source_seconds, mlps_error *err)
{
    object_backend *o = (object_backend *)b;
    object_entry e;
    int rc = describe_entry(o, op, &e, err);
    if (rc)
        return rc;
    size_t chunk;
    uint8_t *buf = mlps_kv_io_buffer(e.total, &chunk);
    if (!buf)
        return mlps_fail(err, -ENOMEM, "storage tier: no memory to write %s", e.name);
    double device = 0, source = 0;
    mlps_file *f = NULL;
    uint64_t start = mlps_monotonic_ns();
    rc = mlps_file_open(o->store, e.name, MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_TRUNCATE,
                        &f, err);
    device += seconds_since(start);
    if (rc == 0)
        rc = stream_up(f, &e, src, buf, chunk, &device, &source, err);
    start = mlps_monotonic_ns();
    if (f && rc == 0)
        rc = mlps_file_close(f, err); /* completes the upload */
    else if (f)
        mlps_file_abort(f); /* the object never appears */
    device += seconds_since(start);
    free(buf);
    *source_seconds = source;
    if (rc)
        return tier_failure(rc, "writing an entry", err);
    *time = (mlps_kv_io_time){.total = device, .device = device, .host = 0};
    return 0;
}

/* Reads the object whole; it must be the size written and start with the entry's header. */
static int stream_down(mlps_file *f, const object_entry *e, uint8_t *buf, size_t chunk,
                       double *device, mlps_error *err)
{
    if (mlps_file_size(f) != e->total)
        return -EBADMSG;
    for (uint64_t pos = 0; pos < e->total; pos += chunk) {
        size_t n = e->total - pos < chunk ? (size_t)(e->total - pos) : chunk;
        uint64_t start = mlps_monotonic_ns();
        int rc = mlps_file_pread_full(f, buf, n, pos, err);
        *device += seconds_since(start);
        if (rc)
            return rc;
        if (pos == 0 && (n < e->header_len || memcmp(buf, e->header, e->header_len) != 0))
            return -EBADMSG;
    }
    return 0;
}

static int object_read(mlps_kv_backend *b, const mlps_kv_tier_op *op, mlps_kv_io_time *time,
                       mlps_error *err)
{
    object_backend *o = (object_backend *)b;
    object_entry e;
    int rc = describe_entry(o, op, &e, err);
    if (rc)
        return rc;
    size_t chunk;
    uint8_t *buf = mlps_kv_io_buffer(e.total, &chunk);
    if (!buf)
        return mlps_fail(err, -ENOMEM, "storage tier: no memory to read %s", e.name);
    double device = 0;
    mlps_file *f = NULL;
    uint64_t start = mlps_monotonic_ns();
    rc = mlps_file_open(o->store, e.name, MLPS_OPEN_READ | MLPS_OPEN_SEQUENTIAL, &f, err);
    device += seconds_since(start);
    if (rc == 0)
        rc = stream_down(f, &e, buf, chunk, &device, err);
    if (f)
        mlps_file_close(f, NULL); /* a reader has nothing to finish */
    free(buf);
    if (rc == -EBADMSG)
        return mlps_fail(err, rc,
                         "storage tier: %s/%s is not the entry written (expected a %zu-byte .npy "
                         "header and %llu bytes in all)",
                         mlps_store_uri(o->store), e.name, e.header_len,
                         (unsigned long long)e.total);
    if (rc)
        return tier_failure(rc, "reading an entry", err);
    *time = (mlps_kv_io_time){.total = device, .device = device, .host = 0};
    return 0;
}

/* The terminal tier: nothing is ever demoted out of it. */
static mlps_kv_source object_source(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    (void)b, (void)op;
    return (mlps_kv_source){0};
}

/* Removes the names held and forgets them; the first failure is in err. */
static int batch_flush(removal_batch *batch, mlps_error *err)
{
    int rc = mlps_store_remove_many(batch->store, (const char *const *)batch->names, batch->count,
                                    &batch->removed, err);
    for (size_t i = 0; i < batch->count; i++)
        free(batch->names[i]);
    batch->count = 0;
    return rc;
}

/* Holds a name, removing the batch once it is full. */
static int batch_add(removal_batch *batch, const char *name, mlps_error *err)
{
    char *copy = strdup(name);
    if (!copy)
        return mlps_fail(err, -ENOMEM, "storage tier: out of memory removing %s/%s",
                         mlps_store_uri(batch->store), name);
    batch->names[batch->count++] = copy;
    return batch->count == MLPS_STORE_REMOVE_BATCH ? batch_flush(batch, err) : 0;
}

/* A removal that fails leaves objects behind: say so, since nothing else will. */
static void warn_if_failed(int rc, const mlps_error *err)
{
    if (rc && rc != -ENOENT)
        mlps_warn("storage tier: %s", err->message);
}

static void object_remove(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    object_backend *o = (object_backend *)b;
    char name[NAME_MAX + 1];
    int n = snprintf(name, sizeof name, "%s.npy", op->key);
    if (n <= 0 || (size_t)n >= sizeof name)
        return;
    mlps_error err;
    mlps_error_clear(&err);
    int rc = o->deferring ? batch_add(&o->pending, name, &err)
                          : mlps_store_remove(o->store, name, &err);
    warn_if_failed(rc, &err);
}

static void object_defer_removals(mlps_kv_backend *b)
{
    ((object_backend *)b)->deferring = true;
}

static uint64_t object_retries(const mlps_kv_backend *b)
{
    return mlps_store_s3_retries(((const object_backend *)b)->store);
}

static void object_destroy(mlps_kv_backend *b)
{
    object_backend *o = (object_backend *)b;
    mlps_error err;
    mlps_error_clear(&err);
    warn_if_failed(batch_flush(&o->pending, &err), &err);
    mlps_store_close(o->store);
    free(o);
}

static const mlps_kv_backend_ops object_ops = {
    .write = object_write,
    .read = object_read,
    .source = object_source,
    .remove = object_remove,
    .defer_removals = object_defer_removals,
    .destroy = object_destroy,
    .retries = object_retries,
};

static bool is_entry_name(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".npy") == 0;
}

typedef struct stale_sweep {
    removal_batch batch;
    mlps_error *err;
} stale_sweep;

static int remove_if_stale(const mlps_entry *entry, void *arg)
{
    stale_sweep *sweep = arg;
    if (entry->is_dir || !is_entry_name(entry->name))
        return 0;
    return batch_add(&sweep->batch, entry->name, sweep->err);
}

/* Removes a previous run's entries: the .npy objects directly under the prefix, nothing else. */
static int remove_stale_entries(mlps_store *store, mlps_error *err)
{
    stale_sweep *sweep = calloc(1, sizeof *sweep);
    if (!sweep)
        return mlps_fail(err, -ENOMEM, "storage tier: out of memory");
    sweep->batch.store = store;
    sweep->err = err;
    int rc = mlps_store_list(store, "", remove_if_stale, sweep, err);
    int flushed = batch_flush(&sweep->batch, rc ? NULL : err);
    rc = rc ? rc : flushed;
    uint64_t removed = sweep->batch.removed;
    free(sweep);
    if (rc)
        return tier_failure(rc, "removing a previous run's entries", err);
    if (removed > 0)
        mlps_info("--cache-dir %s: removed %llu .npy objects of a previous run",
                  mlps_store_uri(store), (unsigned long long)removed);
    return 0;
}

int mlps_kv_backend_object_new(const char *uri, mlps_kv_backend **out, mlps_error *err)
{
    mlps_store *store = NULL;
    int rc = mlps_store_open(uri, NULL, &store, err);
    if (rc)
        return rc;
    rc = remove_stale_entries(store, err);
    object_backend *o = rc ? NULL : calloc(1, sizeof *o);
    if (!o) {
        mlps_store_close(store);
        return rc ? rc : mlps_fail(err, -ENOMEM, "storage tier: out of memory");
    }
    o->base.ops = &object_ops;
    o->base.tier = MLPS_KV_TIER_STORAGE;
    o->store = store;
    o->pending.store = store;
    *out = &o->base;
    return 0;
}
