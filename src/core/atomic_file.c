/* Atomic file replacement; see atomic_file.h. */
#include "core/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_fully(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t done = write(fd, data, len);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            return -errno;
        data += done;
        len -= (size_t)done;
    }
    return 0;
}

static int fsync_fd_or_errno(int fd) { return fsync(fd) == 0 ? 0 : -errno; }

/* Flushes the directory entry made by rename. Some file systems cannot fsync a directory
 * (EINVAL); the rename itself has then still happened, so that is not a failure. */
static int sync_parent_directory(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync_fd_or_errno(fd);
    close(fd);
    return rc == -EINVAL ? 0 : rc;
}

static int write_temporary(const char *temp_path, const void *data, size_t len,
                           const char **step)
{
    *step = "create";
    int fd = open(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    *step = "write";
    int rc = write_fully(fd, data, len);
    if (rc == 0) {
        *step = "fsync";
        rc = fsync_fd_or_errno(fd);
    }
    if (close(fd) != 0 && rc == 0) {
        *step = "close";
        rc = -errno;
    }
    return rc;
}

int mlps_write_file_atomic(const char *path, const void *data, size_t len, mlps_error *err)
{
    char temp_path[PATH_MAX];
    int n = snprintf(temp_path, sizeof temp_path, "%s.tmp.%d", path, (int)gettid());
    if (n < 0 || (size_t)n >= sizeof temp_path)
        return mlps_fail(err, -ENAMETOOLONG, "cannot write %s: path longer than %d bytes", path,
                         PATH_MAX);
    const char *step;
    int rc = write_temporary(temp_path, data, len, &step);
    if (rc == 0) {
        step = "rename into place";
        if (rename(temp_path, path) != 0)
            rc = -errno;
    }
    if (rc != 0) {
        unlink(temp_path);
        return mlps_fail(err, rc, "cannot write %s: %s of temporary file %s failed: %s", path,
                         step, temp_path, strerror(-rc));
    }
    rc = sync_parent_directory(path);
    if (rc != 0)
        return mlps_fail(err, rc, "wrote %s but cannot flush its directory entry: %s", path,
                         strerror(-rc));
    return 0;
}

int mlps_write_json_atomic(const char *path, const json_t *json, mlps_error *err)
{
    if (!json)
        return mlps_fail(err, -EINVAL, "cannot write %s: no JSON value given", path);
    /* 16 significant digits print 1.1 as 1.1 (17 would give 1.1000000000000001) and lose
     * at most one unit in the 16th digit. */
    char *text = json_dumps(json, JSON_INDENT(4) | JSON_REAL_PRECISION(16) | JSON_ENCODE_ANY);
    if (!text)
        return mlps_fail(err, -ENOMEM, "cannot write %s: JSON serialisation failed", path);
    size_t len = strlen(text);
    char *with_newline = realloc(text, len + 2);
    if (!with_newline) {
        free(text);
        return mlps_fail(err, -ENOMEM, "cannot write %s: out of memory", path);
    }
    with_newline[len] = '\n';
    with_newline[len + 1] = '\0';
    int rc = mlps_write_file_atomic(path, with_newline, len + 1, err);
    free(with_newline);
    return rc;
}
