/* Dispatch from the public store and file calls to the backend chosen by the URI, and the
 * bookkeeping every backend shares (canonical URIs, file sizes, freeing handles). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/backend.h"

int mlps_store_open(const char *uri, const mlps_store_options *opts, mlps_store **out,
                    mlps_error *err)
{
    *out = NULL;
    mlps_store *store = calloc(1, sizeof *store);
    if (!store)
        return mlps_fail(err, -ENOMEM, "open store %s: out of memory", uri ? uri : "");
    if (opts)
        store->options = *opts;
    store->alignment = 1;
    atomic_init(&store->warned_engine_fallback, false);
    atomic_init(&store->partial_sequence, 0);
    int rc = mlps_uri_parse(uri, &store->backend, &store->root, &store->uri, err);
    if (rc == 0)
        rc = store->backend->store_open(store, err);
    if (rc < 0) {
        free(store->root);
        free(store->uri);
        free(store);
        return rc;
    }
    *out = store;
    return 0;
}

void mlps_store_close(mlps_store *store)
{
    if (!store)
        return;
    if (store->backend->store_close)
        store->backend->store_close(store);
    free(store->root);
    free(store->uri);
    free(store);
}

const char *mlps_store_scheme(const mlps_store *store) { return store->backend->scheme; }
const char *mlps_store_uri(const mlps_store *store) { return store->uri; }
size_t mlps_store_alignment(const mlps_store *store) { return store->alignment; }

typedef int (*path_operation)(mlps_store *, const mlps_path *, void *, mlps_error *);

/* Resolves the relative path, runs one backend operation on it and frees the resolution. */
static int on_path(mlps_store *store, const char *relative, path_operation operation, void *arg,
                   mlps_error *err)
{
    mlps_path path;
    int rc = mlps_path_resolve(store, relative, &path, err);
    if (rc < 0)
        return rc;
    rc = operation(store, &path, arg, err);
    mlps_path_free(&path);
    return rc;
}

static int stat_on(mlps_store *store, const mlps_path *path, void *out, mlps_error *err)
{
    return store->backend->stat(store, path, out, err);
}

int mlps_store_stat(mlps_store *store, const char *path, mlps_stat *out, mlps_error *err)
{
    return on_path(store, path, stat_on, out, err);
}

typedef struct list_args {
    mlps_list_visitor visit;
    void *arg;
} list_args;

static int list_on(mlps_store *store, const mlps_path *path, void *args, mlps_error *err)
{
    const list_args *list = args;
    return store->backend->list(store, path, list->visit, list->arg, err);
}

int mlps_store_list(mlps_store *store, const char *path, mlps_list_visitor visit, void *arg,
                    mlps_error *err)
{
    list_args args = {.visit = visit, .arg = arg};
    return on_path(store, path, list_on, &args, err);
}

static int remove_on(mlps_store *store, const mlps_path *path, void *unused, mlps_error *err)
{
    (void)unused;
    return store->backend->remove(store, path, err);
}

int mlps_store_remove(mlps_store *store, const char *path, mlps_error *err)
{
    return on_path(store, path, remove_on, NULL, err);
}

/* One path at a time through the backend's remove; a missing file is skipped. */
static int remove_each(mlps_store *store, const char *const *paths, size_t count,
                       uint64_t *removed, mlps_error *err)
{
    for (size_t i = 0; i < count; i++) {
        mlps_error attempt;
        mlps_error_clear(&attempt);
        int rc = mlps_store_remove(store, paths[i], &attempt);
        if (rc == -ENOENT)
            continue;
        if (rc < 0) {
            if (err)
                *err = attempt;
            return rc;
        }
        (*removed)++;
    }
    return 0;
}

/* Resolves up to MLPS_STORE_REMOVE_BATCH paths and hands them to the backend in one call. */
static int remove_batch(mlps_store *store, const char *const *paths, size_t count,
                        uint64_t *removed, mlps_error *err)
{
    mlps_path *resolved = calloc(count, sizeof *resolved);
    if (!resolved)
        return mlps_fail(err, -ENOMEM, "remove %zu files in %s: out of memory", count,
                         store->uri);
    size_t ready = 0;
    int rc = 0;
    while (ready < count && rc == 0)
        if ((rc = mlps_path_resolve(store, paths[ready], &resolved[ready], err)) == 0)
            ready++;
    if (rc == 0)
        rc = store->backend->remove_many(store, resolved, count, removed, err);
    for (size_t i = 0; i < ready; i++)
        mlps_path_free(&resolved[i]);
    free(resolved);
    return rc;
}

static int remove_in_batches(mlps_store *store, const char *const *paths, size_t count,
                             uint64_t *removed, mlps_error *err)
{
    int rc = 0;
    for (size_t done = 0; done < count && rc == 0; done += MLPS_STORE_REMOVE_BATCH) {
        size_t left = count - done;
        rc = remove_batch(store, paths + done,
                          left < MLPS_STORE_REMOVE_BATCH ? left : MLPS_STORE_REMOVE_BATCH,
                          removed, err);
    }
    return rc;
}

int mlps_store_remove_many(mlps_store *store, const char *const *paths, size_t count,
                           uint64_t *removed, mlps_error *err)
{
    uint64_t gone = 0;
    int rc = store->backend->remove_many ? remove_in_batches(store, paths, count, &gone, err)
                                         : remove_each(store, paths, count, &gone, err);
    if (removed)
        *removed += gone;
    return rc;
}

static int mkdirs_on(mlps_store *store, const mlps_path *path, void *unused, mlps_error *err)
{
    (void)unused;
    return store->backend->mkdirs(store, path, err);
}

int mlps_store_mkdirs(mlps_store *store, const char *path, mlps_error *err)
{
    return on_path(store, path, mkdirs_on, NULL, err);
}

static bool flags_are_valid(int flags)
{
    int known = MLPS_OPEN_READ | MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_TRUNCATE |
                MLPS_OPEN_SEQUENTIAL | MLPS_OPEN_RANDOM | MLPS_OPEN_ATOMIC;
    int hints = MLPS_OPEN_SEQUENTIAL | MLPS_OPEN_RANDOM;
    int atomic_needs = MLPS_OPEN_WRITE | MLPS_OPEN_CREATE;
    return (flags & ~known) == 0 && (flags & (MLPS_OPEN_READ | MLPS_OPEN_WRITE)) != 0 &&
           (flags & hints) != hints &&
           (!(flags & MLPS_OPEN_ATOMIC) || (flags & atomic_needs) == atomic_needs);
}

typedef struct open_args {
    int flags;
    bool size_known;
    uint64_t size;
    mlps_file **out;
} open_args;

static int open_on(mlps_store *store, const mlps_path *path, void *args, mlps_error *err)
{
    const open_args *open = args;
    if (open->size_known && store->backend->file_open_sized)
        return store->backend->file_open_sized(store, path, open->flags, open->size, open->out,
                                               err);
    return store->backend->file_open(store, path, open->flags, open->out, err);
}

int mlps_file_open(mlps_store *store, const char *path, int flags, mlps_file **out,
                   mlps_error *err)
{
    *out = NULL;
    if (!flags_are_valid(flags))
        return mlps_fail_usage(err, -EINVAL,
                               "open %s/%s: flags 0x%x must include MLPS_OPEN_READ or "
                               "MLPS_OPEN_WRITE, may add CREATE, TRUNCATE, ATOMIC (with WRITE "
                               "and CREATE) and one of SEQUENTIAL or RANDOM, and nothing else",
                               store->uri, path ? path : "", (unsigned)flags);
    open_args args = {.flags = flags, .out = out};
    return on_path(store, path, open_on, &args, err);
}

int mlps_file_open_sized(mlps_store *store, const char *path, int flags, uint64_t size,
                         mlps_file **out, mlps_error *err)
{
    *out = NULL;
    if (!flags_are_valid(flags) || !(flags & MLPS_OPEN_READ) || (flags & MLPS_OPEN_WRITE))
        return mlps_fail_usage(err, -EINVAL,
                               "open %s/%s with a known size: flags 0x%x must include "
                               "MLPS_OPEN_READ, not MLPS_OPEN_WRITE, and may add one of "
                               "SEQUENTIAL or RANDOM",
                               store->uri, path ? path : "", (unsigned)flags);
    open_args args = {.flags = flags, .size_known = true, .size = size, .out = out};
    return on_path(store, path, open_on, &args, err);
}

int mlps_file_init_base(mlps_file *file, mlps_store *store, int flags, const mlps_path *path,
                        uint64_t size, mlps_error *err)
{
    file->store = store;
    file->flags = flags;
    atomic_init(&file->size, size);
    file->uri = strdup(path->uri);
    return file->uri ? 0 : mlps_fail(err, -ENOMEM, "open %s: out of memory", path->uri);
}

void mlps_file_free(mlps_file *file)
{
    free(file->uri);
    free(file);
}

int mlps_file_close(mlps_file *file, mlps_error *err)
{
    if (!file)
        return 0;
    int rc = file->store->backend->file_close(file, err);
    mlps_file_free(file);
    return rc;
}

void mlps_file_abort(mlps_file *file)
{
    if (!file)
        return;
    file->store->backend->file_abort(file);
    mlps_file_free(file);
}

uint64_t mlps_file_size(const mlps_file *file) { return atomic_load(&file->size); }
const char *mlps_file_uri(const mlps_file *file) { return file->uri; }

void mlps_file_write_behind(mlps_file *file, uint64_t offset, uint64_t len, uint64_t window)
{
    if (file->store->backend->file_write_behind && (file->flags & MLPS_OPEN_WRITE))
        file->store->backend->file_write_behind(file, offset, len, window);
}

void mlps_file_read_behind(mlps_file *file, uint64_t offset, uint64_t len)
{
    if (file->store->backend->file_read_behind)
        file->store->backend->file_read_behind(file, offset, len);
}

int mlps_file_truncate(mlps_file *file, uint64_t size, mlps_error *err)
{
    if (!(file->flags & MLPS_OPEN_WRITE))
        return mlps_fail_usage(err, -EBADF, "truncate %s: the file is not open for writing",
                               file->uri);
    int rc = file->store->backend->file_truncate(file, size, err);
    if (rc == 0)
        atomic_store(&file->size, size);
    return rc;
}
