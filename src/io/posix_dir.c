/* Directory operations of the POSIX-file backends (file:// and direct://): stat, a
 * non-recursive listing that never holds more than one entry, remove, and mkdir -p. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/posix_common.h"

/* mkdir -p: creates each missing component of location; 0 or -errno. */
int mlps_posix_make_directories(const char *location)
{
    if (location[0] != '/')
        return -EINVAL; /* the POSIX backends only hold absolute locations */
    char *path = strdup(location);
    if (!path)
        return -ENOMEM;
    int rc = 0;
    for (char *slash = strchr(path + 1, '/'); rc == 0; slash = strchr(slash + 1, '/')) {
        if (slash)
            *slash = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            rc = -errno;
        if (!slash)
            break;
        *slash = '/';
    }
    struct stat st;
    if (rc == 0 && stat(path, &st) < 0)
        rc = -errno;
    else if (rc == 0 && !S_ISDIR(st.st_mode))
        rc = -ENOTDIR;
    free(path);
    return rc;
}

int mlps_posix_stat(mlps_store *store, const mlps_path *path, mlps_stat *out, mlps_error *err)
{
    (void)store;
    struct stat st;
    if (stat(path->location, &st) < 0)
        return mlps_fail(err, -errno, "stat %s: %s", path->uri, strerror(errno));
    out->is_dir = S_ISDIR(st.st_mode);
    out->size = out->is_dir ? 0 : (uint64_t)st.st_size;
    return 0;
}

/* Describes one directory entry; 1 when it vanished since readdir, else 0 or -errno. */
static int describe_entry(DIR *dir, const char *name, mlps_entry *entry)
{
    struct stat st;
    if (fstatat(dirfd(dir), name, &st, 0) < 0)
        return errno == ENOENT ? 1 : -errno;
    entry->name = name;
    entry->is_dir = S_ISDIR(st.st_mode);
    entry->size = entry->is_dir ? 0 : (uint64_t)st.st_size;
    return 0;
}

int mlps_posix_list(mlps_store *store, const mlps_path *path, mlps_list_visitor visit, void *arg,
                    mlps_error *err)
{
    (void)store;
    DIR *dir = opendir(path->location);
    if (!dir)
        return mlps_fail(err, -errno, "list %s: %s", path->uri, strerror(errno));
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *d = readdir(dir);
        if (!d) {
            if (errno)
                rc = mlps_fail(err, -errno, "list %s: %s", path->uri, strerror(errno));
            break;
        }
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        mlps_entry entry;
        int described = describe_entry(dir, d->d_name, &entry);
        if (described < 0) {
            rc = mlps_fail(err, described, "list %s: stat %s: %s", path->uri, d->d_name,
                           strerror(-described));
            break;
        }
        if (described == 0 && (rc = visit(&entry, arg)) != 0)
            break;
    }
    closedir(dir);
    return rc;
}

int mlps_posix_remove(mlps_store *store, const mlps_path *path, mlps_error *err)
{
    (void)store;
    if (unlink(path->location) == 0)
        return 0;
    if ((errno == EISDIR || errno == EPERM) && rmdir(path->location) == 0)
        return 0;
    return mlps_fail(err, -errno, "remove %s: %s", path->uri, strerror(errno));
}

int mlps_posix_mkdirs(mlps_store *store, const mlps_path *path, mlps_error *err)
{
    (void)store;
    int rc = mlps_posix_make_directories(path->location);
    if (rc < 0)
        return mlps_fail(err, rc, "create directory %s: %s", path->uri, strerror(-rc));
    return 0;
}
