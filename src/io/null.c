/* null://: a store that moves no bytes, to measure mlps's own ceiling. Reads complete at once
 * with len bytes "read" and the buffer untouched, at any offset; writes are discarded but counted.
 * Every path stats as a file of one size: the null_object_size option, else the size of the first
 * file written and closed, else unknown. Nothing is kept per path, so memory stays flat however
 * large the emulated dataset. */
#include <errno.h>
#include <stdlib.h>

#include "io/backend.h"

typedef struct null_store {
    _Atomic uint64_t object_size;
} null_store;

static _Atomic uint64_t *object_size(mlps_store *store)
{
    return &((null_store *)store->impl)->object_size;
}

static int null_store_open(mlps_store *store, mlps_error *err)
{
    null_store *impl = calloc(1, sizeof *impl);
    if (!impl)
        return mlps_fail(err, -ENOMEM, "open store %s: out of memory", store->uri);
    uint64_t configured = store->options.null_object_size;
    atomic_init(&impl->object_size, configured ? configured : MLPS_SIZE_UNKNOWN);
    store->impl = impl;
    return 0;
}

static void null_store_close(mlps_store *store) { free(store->impl); }

static int null_file_open(mlps_store *store, const mlps_path *path, int flags, mlps_file **out,
                          mlps_error *err)
{
    mlps_file *file = calloc(1, sizeof *file);
    if (!file)
        return mlps_fail(err, -ENOMEM, "open %s: out of memory", path->uri);
    /* MLPS_OPEN_ATOMIC needs nothing more: nothing is ever visible half-written here. */
    bool starts_empty = (flags & (MLPS_OPEN_TRUNCATE | MLPS_OPEN_ATOMIC)) ||
                        !(flags & MLPS_OPEN_READ);
    uint64_t size = starts_empty ? 0 : atomic_load(object_size(store));
    int rc = mlps_file_init_base(file, store, flags, path, size, err);
    if (rc < 0) {
        mlps_file_free(file);
        return rc;
    }
    *out = file;
    return 0;
}

static int null_file_close(mlps_file *file, mlps_error *err)
{
    (void)err;
    uint64_t unknown = MLPS_SIZE_UNKNOWN;
    if (file->flags & MLPS_OPEN_WRITE)
        atomic_compare_exchange_strong(object_size(file->store), &unknown,
                                       atomic_load(&file->size));
    return 0;
}

static void null_file_abort(mlps_file *file) { (void)file; }

static int null_file_truncate(mlps_file *file, uint64_t size, mlps_error *err)
{
    (void)file, (void)size, (void)err;
    return 0; /* the generic layer records the size */
}

static void null_execute(mlps_io_req *req) { req->result = (int64_t)req->len; }

static int null_stat(mlps_store *store, const mlps_path *path, mlps_stat *out, mlps_error *err)
{
    (void)path, (void)err;
    out->size = atomic_load(object_size(store));
    out->is_dir = false;
    return 0;
}

static int null_list(mlps_store *store, const mlps_path *path, mlps_list_visitor visit, void *arg,
                     mlps_error *err)
{
    (void)store, (void)path, (void)visit, (void)arg, (void)err;
    return 0; /* holds nothing */
}

static int null_path_noop(mlps_store *store, const mlps_path *path, mlps_error *err)
{
    (void)store, (void)path, (void)err;
    return 0;
}

const mlps_backend mlps_backend_null = {
    .scheme = "null",
    .needs_absolute_path = false,
    .store_open = null_store_open,
    .store_close = null_store_close,
    .file_open = null_file_open,
    .file_close = null_file_close,
    .file_abort = null_file_abort,
    .file_truncate = null_file_truncate,
    .execute = null_execute,
    .ioq_init = mlps_sync_engine_init,
    .stat = null_stat,
    .list = null_list,
    .remove = null_path_noop,
    .mkdirs = null_path_noop,
};
