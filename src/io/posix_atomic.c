/* Atomic writes for file:// and direct:// (MLPS_OPEN_ATOMIC, see store.h): the data goes to a
 * hidden temporary in the file's own directory (rename never crosses filesystems there), and
 * close renames it over the name once its data is flushed, then flushes the directory so the
 * rename itself survives a crash. The name is only ever the old file or the complete new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "io/posix_common.h"

/* Temporaries an earlier process with the same pid left behind are stepped over. */
#define TEMPORARY_NAME_ATTEMPTS 1000

int mlps_posix_create_temporary(mlps_store *store, const char *location, int flags, int extra,
                                char **temporary)
{
    int oflags = mlps_posix_open_flags(flags, extra);
    *temporary = NULL;
    for (int attempt = 0; attempt < TEMPORARY_NAME_ATTEMPTS; attempt++) {
        uint64_t sequence = atomic_fetch_add(&store->partial_sequence, 1);
        char *name = mlps_partial_location(location, (long)getpid(), sequence);
        if (!name)
            return -ENOMEM;
        int fd = mlps_posix_create_exclusive(name, oflags);
        if (fd >= 0) {
            *temporary = name;
            return fd;
        }
        free(name);
        if (fd != -EEXIST)
            return fd;
    }
    return -EEXIST;
}

void mlps_posix_discard_temporary(const char *temporary)
{
    if (temporary && unlink(temporary) < 0 && errno != ENOENT)
        mlps_warn("cannot remove the temporary file %s: %s", temporary, strerror(errno));
}

/* fsync of the directory holding location; 0 or -errno. */
static int sync_directory_of(const char *location)
{
    const char *slash = strrchr(location, '/');
    size_t len = !slash ? 1 : slash == location ? 1 : (size_t)(slash - location);
    char *dir = strndup(slash ? location : ".", len);
    if (!dir)
        return -ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int mlps_posix_publish(mlps_posix_file *file, bool sync, mlps_error *err)
{
    if (rename(file->location, file->published_location) < 0) {
        int code = -errno;
        mlps_posix_discard_temporary(file->location);
        return mlps_fail(err, code, "close %s: rename of the finished temporary %s: %s",
                         file->base.uri, file->location, strerror(-code));
    }
    int rc = sync ? sync_directory_of(file->published_location) : 0;
    if (rc < 0)
        return mlps_fail(err, rc, "close %s: fsync of its directory after the rename: %s",
                         file->base.uri, strerror(-rc));
    return 0;
}
