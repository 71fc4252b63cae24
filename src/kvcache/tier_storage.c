/* The storage tier: one NumPy v1.0 file per entry, <dir>/<key>.npy (the header, then the raw
 * little-endian array), so any entry can be opened with numpy.load. Bytes stream through a
 * scratch buffer in 4 MiB pieces, so no whole-entry copy is ever held.
 *
 * Buffered (the reference's way): write() into the page cache is host time, fsync is device
 * time; a read drops the file's cached pages (POSIX_FADV_DONTNEED; the pages are clean after
 * the fsync) and then reads the whole file, which is device time. With direct_io the file is
 * written and read with O_DIRECT from aligned buffers: the last piece is padded to 4 KiB and
 * the file cut back to its exact size, so it stays a valid .npy file. A failed write leaves no
 * file behind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "kvcache/tier.h"

typedef struct storage_backend {
    mlps_kv_backend base;
    char *dir;
    bool direct;
} storage_backend;

static double seconds_since(uint64_t start_ns)
{
    return mlps_ns_to_seconds(mlps_monotonic_ns() - start_ns);
}

static int entry_path(const storage_backend *s, const char *key, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s.npy", s->dir, key);
    return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

static int write_fully(int fd, const uint8_t *buf, size_t len, uint64_t offset)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EDQUOT ? -ENOSPC : -errno;
        if (n == 0)
            return -EIO;
        buf += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

typedef struct file_write {
    int fd;
    uint8_t *buf;
    size_t chunk;
    double device, host, source;
} file_write;

/* Streams the header and data into the open file. */
static int stream_out(const storage_backend *s, file_write *w, const char *header,
                      size_t header_len, const mlps_kv_source *src, uint64_t total)
{
    for (uint64_t pos = 0; pos < total; pos += w->chunk) {
        size_t n = total - pos < w->chunk ? (size_t)(total - pos) : w->chunk;
        w->source += mlps_kv_compose_npy(header, header_len, src, w->buf, n, pos);
        size_t len = n;
        if (s->direct) {
            len = (n + MLPS_KV_IO_ALIGN - 1) / MLPS_KV_IO_ALIGN * MLPS_KV_IO_ALIGN;
            memset(w->buf + n, 0, len - n);
        }
        uint64_t start = mlps_monotonic_ns();
        int rc = write_fully(w->fd, w->buf, len, pos);
        *(s->direct ? &w->device : &w->host) += seconds_since(start);
        if (rc)
            return rc;
    }
    uint64_t start = mlps_monotonic_ns();
    if (s->direct && total % MLPS_KV_IO_ALIGN != 0 && ftruncate(w->fd, (off_t)total) != 0)
        return -errno;
    w->host += seconds_since(start);
    start = mlps_monotonic_ns();
    int rc = fsync(w->fd) == 0 ? 0 : (errno == EDQUOT ? -ENOSPC : -errno);
    w->device += seconds_since(start);
    return rc;
}

static int storage_write(mlps_kv_backend *b, const mlps_kv_tier_op *op, const mlps_kv_source *src,
                         mlps_kv_io_time *time, double *source_seconds, mlps_error *err)
{
    storage_backend *s = (storage_backend *)b;
    char path[PATH_MAX], header[MLPS_KV_NPY_HEADER_MAX];
    size_t header_len = mlps_kv_npy_header(op->shape, header, sizeof header);
    if (entry_path(s, op->key, path, sizeof path) != 0 || header_len == 0)
        return mlps_fail(err, -ENAMETOOLONG, "storage tier: entry %s: name or shape too long",
                         op->key);
    uint64_t total = header_len + op->shape->bytes;
    file_write w = {.fd = -1};
    w.buf = mlps_kv_io_buffer(total, &w.chunk);
    if (!w.buf)
        return mlps_fail(err, -ENOMEM, "storage tier: no memory to write %s", path);
    uint64_t start = mlps_monotonic_ns();
    w.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (s->direct ? O_DIRECT : 0), 0644);
    w.host += seconds_since(start);
    int rc = w.fd < 0 ? -errno : stream_out(s, &w, header, header_len, src, total);
    if (w.fd >= 0) {
        start = mlps_monotonic_ns();
        if (close(w.fd) != 0 && rc == 0)
            rc = errno == EDQUOT ? -ENOSPC : -errno;
        w.host += seconds_since(start);
    }
    free(w.buf);
    *source_seconds = w.source;
    if (rc) {
        unlink(path);
        return mlps_fail(err, rc, "storage tier: writing %s (%llu bytes): %s", path,
                         (unsigned long long)total, strerror(-rc));
    }
    *time = (mlps_kv_io_time){.total = w.device + w.host, .device = w.device, .host = w.host};
    return 0;
}

/* Reads the whole file; checks that it starts with the expected header and has the size. */
static int stream_in(int fd, uint8_t *buf, size_t chunk, const char *header, size_t header_len,
                     uint64_t total, double *device)
{
    uint64_t pos = 0;
    for (;;) {
        uint64_t start = mlps_monotonic_ns();
        ssize_t n = pread(fd, buf, chunk, (off_t)pos);
        *device += seconds_since(start);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        if (pos == 0 && ((size_t)n < header_len || memcmp(buf, header, header_len) != 0))
            return -EBADMSG;
        pos += (uint64_t)n;
        if (pos > total)
            break;
    }
    return pos == total ? 0 : -EBADMSG;
}

static int storage_read(mlps_kv_backend *b, const mlps_kv_tier_op *op, mlps_kv_io_time *time,
                        mlps_error *err)
{
    storage_backend *s = (storage_backend *)b;
    char path[PATH_MAX], header[MLPS_KV_NPY_HEADER_MAX];
    size_t header_len = mlps_kv_npy_header(op->shape, header, sizeof header);
    if (entry_path(s, op->key, path, sizeof path) != 0 || header_len == 0)
        return mlps_fail(err, -ENAMETOOLONG, "storage tier: entry %s: name or shape too long",
                         op->key);
    uint64_t total = header_len + op->shape->bytes;
    size_t chunk;
    uint8_t *buf = mlps_kv_io_buffer(total, &chunk);
    if (!buf)
        return mlps_fail(err, -ENOMEM, "storage tier: no memory to read %s", path);
    double device = 0, host = 0;
    uint64_t start = mlps_monotonic_ns();
    int fd = open(path, O_RDONLY | O_CLOEXEC | (s->direct ? O_DIRECT : 0));
    if (fd >= 0 && !s->direct) {
        /* drop what the page cache holds, so the read comes from the device, and read ahead
         * twice as far: the whole entry is read in order */
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    host += seconds_since(start);
    int rc = fd < 0 ? -errno : stream_in(fd, buf, chunk, header, header_len, total, &device);
    if (fd >= 0) {
        start = mlps_monotonic_ns();
        close(fd);
        host += seconds_since(start);
    }
    free(buf);
    if (rc == -EBADMSG)
        return mlps_fail(err, rc,
                         "storage tier: %s is not the entry written (expected a %zu-byte .npy "
                         "header and %llu bytes in all)",
                         path, header_len, (unsigned long long)total);
    if (rc)
        return mlps_fail(err, rc, "storage tier: reading %s: %s", path, strerror(-rc));
    *time = (mlps_kv_io_time){.total = device + host, .device = device, .host = host};
    return 0;
}

/* The terminal tier: nothing is ever demoted out of it. */
static mlps_kv_source storage_source(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    (void)b, (void)op;
    return (mlps_kv_source){0};
}

static void storage_remove(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    char path[PATH_MAX];
    if (entry_path((storage_backend *)b, op->key, path, sizeof path) == 0)
        (void)unlink(path);
}

static void storage_destroy(mlps_kv_backend *b)
{
    storage_backend *s = (storage_backend *)b;
    free(s->dir);
    free(s);
}

static const mlps_kv_backend_ops storage_ops = {
    .write = storage_write,
    .read = storage_read,
    .source = storage_source,
    .remove = storage_remove,
    .destroy = storage_destroy,
};

/* Whether the directory's filesystem takes an aligned O_DIRECT write. */
static int probe_direct_io(const char *dir, mlps_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/mlps-direct-probe.%ld.npy", dir, (long)getpid());
    size_t size;
    void *buf = mlps_kv_io_buffer(MLPS_KV_IO_ALIGN, &size);
    if (!buf)
        return mlps_fail(err, -ENOMEM, "storage tier: out of memory");
    memset(buf, 0, size);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
    int rc = fd < 0 ? -errno : write_fully(fd, buf, MLPS_KV_IO_ALIGN, 0);
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    free(buf);
    if (rc)
        return mlps_fail_usage(err, rc, "--cache-dir %s: O_DIRECT I/O is not possible there (%s)",
                               dir, strerror(-rc));
    return 0;
}

int mlps_kv_backend_storage_new(const char *dir, bool direct_io, mlps_kv_backend **out,
                                mlps_error *err)
{
    if (direct_io) {
        int rc = probe_direct_io(dir, err);
        if (rc)
            return rc;
    }
    storage_backend *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        return mlps_fail(err, -ENOMEM, "storage tier: out of memory");
    }
    s->base.ops = &storage_ops;
    s->base.tier = MLPS_KV_TIER_STORAGE;
    s->direct = direct_io;
    *out = &s->base;
    return 0;
}
