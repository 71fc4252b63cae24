/* Page cache control; see pagecache.h. */
#include "core/pagecache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DROP_CACHES_PATH "/proc/sys/vm/drop_caches"

static int open_for_cache_control(const char *path, const char *purpose, mlps_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int code = errno;
        return mlps_fail(err, -code, "cannot open %s to %s: %s", path, purpose, strerror(code));
    }
    return fd;
}

int mlps_drop_file_cache(const char *path, mlps_error *err)
{
    int fd = open_for_cache_control(path, "drop its cached pages", err);
    if (fd < 0)
        return fd;
    int rc = 0;
    /* Dirty pages cannot be dropped; write them back first. */
    if (fdatasync(fd) != 0) {
        int code = errno;
        rc = mlps_fail(err, -code, "cannot flush %s before dropping its cached pages: %s", path,
                       strerror(code));
    } else {
        int code = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        if (code != 0)
            rc = mlps_fail(err, -code, "cannot drop cached pages of %s (posix_fadvise): %s",
                           path, strerror(code));
    }
    close(fd);
    return rc;
}

static int write_drop_request(void)
{
    int fd = open(DROP_CACHES_PATH, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = write(fd, "3", 1) == 1 ? 0 : -errno;
    close(fd);
    return rc;
}

int mlps_drop_host_cache(mlps_error *err)
{
    sync();
    int rc = write_drop_request();
    if (rc == 0)
        return 0;
    if (rc == -EACCES || rc == -EPERM || rc == -EROFS)
        return mlps_fail(err, rc,
                         "host-wide page cache drop refused (writing 3 to %s: %s); per-file "
                         "drops (O_DIRECT or posix_fadvise DONTNEED) are used instead",
                         DROP_CACHES_PATH, strerror(-rc));
    return mlps_fail(err, rc, "cannot drop the host page cache: writing 3 to %s failed: %s",
                     DROP_CACHES_PATH, strerror(-rc));
}

static int count_resident_pages(int fd, size_t length, const char *path, size_t *resident,
                                mlps_error *err)
{
    void *map = mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        int code = errno;
        return mlps_fail(err, -code, "cannot map %s to check its cached pages: %s", path,
                         strerror(code));
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (length + page - 1) / page;
    unsigned char *vector = malloc(pages);
    int rc = 0;
    if (!vector) {
        rc = mlps_fail(err, -ENOMEM, "cannot check cached pages of %s: out of memory", path);
    } else if (mincore(map, length, vector) != 0) {
        int code = errno;
        rc = mlps_fail(err, -code, "cannot check cached pages of %s (mincore): %s", path,
                       strerror(code));
    } else {
        *resident = 0;
        for (size_t i = 0; i < pages; i++)
            *resident += vector[i] & 1;
    }
    free(vector);
    munmap(map, length);
    return rc;
}

int mlps_file_cached_fraction(const char *path, double *fraction, mlps_error *err)
{
    *fraction = 0.0;
    int fd = open_for_cache_control(path, "check its cached pages", err);
    if (fd < 0)
        return fd;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        int code = errno;
        rc = mlps_fail(err, -code, "cannot stat %s: %s", path, strerror(code));
    } else if (st.st_size > 0) {
        size_t resident = 0;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t pages = ((size_t)st.st_size + page - 1) / page;
        rc = count_resident_pages(fd, (size_t)st.st_size, path, &resident, err);
        if (rc == 0)
            *fraction = (double)resident / (double)pages;
    }
    close(fd);
    return rc;
}
