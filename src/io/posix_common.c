/* The file operations file:// and direct:// share: opening (creating missing parents, which an
 * object store would not need), closing with fsync, synchronous transfers for the fallback engine
 * and helpers, and the choice of engine. Directory operations are in posix_dir.c, the temporary
 * files of atomic writes in posix_atomic.c. */
#include "io/posix_common.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

int mlps_posix_file_fd(const mlps_file *file) { return ((const mlps_posix_file *)file)->fd; }

int mlps_posix_store_open(mlps_store *store, mlps_error *err)
{
    (void)err;
    store->alignment = 1;
    return 0;
}

static const char *purpose(int flags)
{
    if ((flags & MLPS_OPEN_READ) && (flags & MLPS_OPEN_WRITE))
        return "reading and writing";
    return (flags & MLPS_OPEN_WRITE) ? "writing" : "reading";
}

static int access_mode(int flags)
{
    if ((flags & MLPS_OPEN_READ) && (flags & MLPS_OPEN_WRITE))
        return O_RDWR;
    return (flags & MLPS_OPEN_WRITE) ? O_WRONLY : O_RDONLY;
}

static int make_parent_directories(const char *location)
{
    const char *last = strrchr(location, '/');
    if (!last || last == location)
        return 0;
    char *parent = strndup(location, (size_t)(last - location));
    if (!parent)
        return -ENOMEM;
    int rc = mlps_posix_make_directories(parent);
    free(parent);
    return rc;
}

int mlps_posix_create_exclusive(const char *location, int oflags)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(location, oflags | O_CREAT | O_EXCL, 0644);
        if (fd >= 0)
            return fd;
        if (errno == EINVAL) {
            /* The kernel creates the file before it checks flags such as O_DIRECT; the
             * exclusive create proves the file is ours to take back. */
            unlink(location);
            return -EINVAL;
        }
        if (errno != ENOENT || attempt > 0)
            return -errno;
        int rc = make_parent_directories(location);
        if (rc < 0)
            return rc;
    }
    return -ENOENT;
}

int mlps_posix_open_flags(int flags, int extra)
{
    return access_mode(flags) | O_CLOEXEC | extra;
}

/* Opens location; *created tells whether this call made the file. Returns fd or -errno. */
static int open_location(const char *location, int flags, int extra, bool *created)
{
    int oflags =
        mlps_posix_open_flags(flags, extra) | ((flags & MLPS_OPEN_TRUNCATE) ? O_TRUNC : 0);
    *created = false;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (flags & MLPS_OPEN_CREATE) {
            int fd = mlps_posix_create_exclusive(location, oflags);
            if (fd >= 0) {
                *created = true;
                return fd;
            }
            if (fd != -EEXIST)
                return fd;
        }
        int fd = open(location, oflags);
        if (fd >= 0 || errno != ENOENT || !(flags & MLPS_OPEN_CREATE))
            return fd >= 0 ? fd : -errno;
        /* removed between the two opens: try again */
    }
    return -ENOENT;
}

/* A regular file's size, or a block device's capacity (stat reports 0 for devices). */
static int size_of_open_file(int fd, uint64_t *size)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    *size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, size) < 0)
        return -errno;
    return 0;
}

/* Read-ahead follows the hint; advice is best effort, so its failure is not an error. */
static void advise_access_pattern(int fd, int flags)
{
    if (flags & MLPS_OPEN_SEQUENTIAL)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    else if (flags & MLPS_OPEN_RANDOM)
        posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
}

static void free_locations(mlps_posix_file *file)
{
    free(file->location);
    free(file->published_location);
}

int mlps_posix_file_open_with(mlps_store *store, const mlps_path *path, int flags, int extra,
                              mlps_file **out, mlps_error *err)
{
    bool atomic = flags & MLPS_OPEN_ATOMIC, created = false;
    char *temporary = NULL;
    int fd = atomic ? mlps_posix_create_temporary(store, path->location, flags, extra, &temporary)
                    : open_location(path->location, flags, extra, &created);
    if (fd < 0)
        return mlps_fail(err, fd, "open %s for %s: %s", path->uri, purpose(flags), strerror(-fd));
    uint64_t size = 0;
    mlps_posix_file *file = calloc(1, sizeof *file);
    int rc = file ? size_of_open_file(fd, &size) : -ENOMEM;
    if (rc < 0) {
        close(fd);
        mlps_posix_discard_temporary(temporary);
        free(temporary);
        free(file);
        return mlps_fail(err, rc, "open %s for %s: %s", path->uri, purpose(flags), strerror(-rc));
    }
    advise_access_pattern(fd, flags);
    file->fd = fd;
    file->remove_on_abort = atomic || created ||
                            ((flags & MLPS_OPEN_TRUNCATE) && (flags & MLPS_OPEN_WRITE));
    file->location = atomic ? temporary : strdup(path->location);
    file->published_location = atomic ? strdup(path->location) : NULL;
    rc = mlps_file_init_base(&file->base, store, flags, path, size, err);
    if (rc == 0 && (!file->location || (atomic && !file->published_location)))
        rc = mlps_fail(err, -ENOMEM, "open %s: out of memory", path->uri);
    if (rc < 0) {
        close(fd);
        mlps_posix_discard_temporary(temporary);
        free_locations(file);
        mlps_file_free(&file->base);
        return rc;
    }
    *out = &file->base;
    return 0;
}

int mlps_posix_file_open(mlps_store *store, const mlps_path *path, int flags, mlps_file **out,
                         mlps_error *err)
{
    return mlps_posix_file_open_with(store, path, flags, 0, out, err);
}

int mlps_posix_file_close(mlps_file *base, mlps_error *err)
{
    mlps_posix_file *file = (mlps_posix_file *)base;
    int rc = 0;
    bool sync = (base->flags & MLPS_OPEN_WRITE) && !base->store->options.skip_fsync;
    if (sync && fsync(file->fd) < 0)
        rc = mlps_fail(err, -errno, "close %s: fsync: %s", base->uri, strerror(errno));
    if (close(file->fd) < 0 && rc == 0)
        rc = mlps_fail(err, -errno, "close %s: %s", base->uri, strerror(errno));
    if (file->published_location && rc == 0)
        rc = mlps_posix_publish(file, sync, err);
    else if (file->published_location)
        mlps_posix_discard_temporary(file->location); /* never publish what may be incomplete */
    free_locations(file);
    return rc;
}

void mlps_posix_file_abort(mlps_file *base)
{
    mlps_posix_file *file = (mlps_posix_file *)base;
    close(file->fd);
    if (file->remove_on_abort && unlink(file->location) < 0 && errno != ENOENT)
        mlps_warn("abort %s: cannot remove the partial file %s: %s", base->uri, file->location,
                  strerror(errno));
    free_locations(file);
}

int mlps_posix_file_truncate(mlps_file *base, uint64_t size, mlps_error *err)
{
    if (ftruncate(mlps_posix_file_fd(base), (off_t)size) < 0)
        return mlps_fail(err, -errno, "truncate %s to %llu bytes: %s", base->uri,
                         (unsigned long long)size, strerror(errno));
    return 0;
}

static ssize_t transfer_once(const mlps_io_req *req, uint64_t done)
{
    size_t remaining = req->len - done;
    size_t chunk = remaining > MLPS_IO_MAX_CHUNK ? MLPS_IO_MAX_CHUNK : remaining;
    int fd = mlps_posix_file_fd(req->file);
    off_t offset = (off_t)(req->offset + done);
    if (req->op == MLPS_IO_READ)
        return pread(fd, (char *)req->buf + done, chunk, offset);
    return pwrite(fd, (const char *)req->buf + done, chunk, offset);
}

void mlps_posix_execute(mlps_io_req *req)
{
    uint64_t done = 0;
    while (done < req->len) {
        ssize_t n = transfer_once(req, done);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            req->result = -errno;
            return;
        }
        if (n == 0 && req->op == MLPS_IO_READ)
            break; /* end of file */
        if (n == 0) {
            req->result = -EIO;
            return;
        }
        done += (uint64_t)n;
    }
    req->result = (int64_t)done;
}

int mlps_posix_ioq_init(mlps_ioq *q, mlps_error *err)
{
    mlps_io_engine engine = q->store->options.engine;
    if (engine == MLPS_ENGINE_SYNC)
        return mlps_sync_engine_init(q, err);
    mlps_error attempt;
    mlps_error_clear(&attempt);
    int rc = mlps_uring_engine_init(q, &attempt);
    bool unavailable = rc == -ENOSYS || rc == -EPERM;
    if (rc < 0 && (engine == MLPS_ENGINE_URING || !unavailable))
        return mlps_fail(err, rc, "%s", attempt.message);
    if (rc == 0)
        return 0;
    if (!atomic_exchange(&q->store->warned_engine_fallback, true))
        mlps_warn("%s; using the synchronous pread/pwrite engine instead", attempt.message);
    return mlps_sync_engine_init(q, err);
}

