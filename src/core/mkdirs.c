/* Directory tree creation; see mkdirs.h. Components are made one at a time from the root
 * down, so the first failure points at the component that is actually wrong. */
#include "core/mkdirs.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *hint_for(int code)
{
    switch (code) {
    case EACCES: return "; check write and search permission on its parent directory";
    case EROFS: return "; the file system is mounted read-only";
    case ENOSPC: return "; the device is full";
    case EDQUOT: return "; the disk quota is exhausted";
    default: return "";
    }
}

static int fail_component(const char *path, const char *component, int code, mlps_error *err)
{
    if (code == ENOTDIR)
        return mlps_fail(err, -ENOTDIR,
                         "cannot create directory %s: %s exists and is not a directory (ENOTDIR)",
                         path, component);
    const char *name = strerrorname_np(code);
    return mlps_fail(err, -code, "cannot create directory %s: cannot make %s: %s (%s)%s", path,
                     component, strerror(code), name ? name : "?", hint_for(code));
}

static bool is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Makes one component; *created tells whether it did not exist before. */
static int ensure_directory(const char *full, const char *component, mode_t mode, bool *created,
                            mlps_error *err)
{
    *created = false;
    if (mkdir(component, mode) == 0) {
        *created = true;
        return 0;
    }
    int code = errno;
    if (is_directory(component))
        return 0;
    if (code == EEXIST)
        code = ENOTDIR;
    return fail_component(full, component, code, err);
}

static size_t strip_trailing_slashes(char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    return len;
}

int mlps_mkdirs_tracked(const char *path, mode_t mode, char *first_created, size_t size,
                        mlps_error *err)
{
    if (first_created && size > 0)
        first_created[0] = '\0';
    if (!path || !*path)
        return mlps_fail_usage(err, -EINVAL, "cannot create directory: the path is empty");
    char buffer[PATH_MAX];
    if (strlen(path) >= sizeof buffer)
        return mlps_fail(err, -ENAMETOOLONG,
                         "cannot create directory %s: path longer than %d bytes", path, PATH_MAX);
    strcpy(buffer, path);
    size_t len = strip_trailing_slashes(buffer);

    char created_first[PATH_MAX] = "";
    size_t created_last_len = 0;
    int rc = 0;
    for (size_t i = 1; i <= len && rc == 0; i++) {
        bool component_end = i == len || (buffer[i] == '/' && buffer[i - 1] != '/');
        if (!component_end)
            continue;
        char saved = buffer[i];
        buffer[i] = '\0';
        bool created;
        rc = ensure_directory(path, buffer, mode, &created, err);
        if (rc == 0 && created) {
            if (created_first[0] == '\0')
                strcpy(created_first, buffer);
            created_last_len = i;
        }
        buffer[i] = saved;
    }
    if (rc != 0) {
        buffer[created_last_len] = '\0';
        mlps_remove_created_dirs(buffer, created_first);
        return rc;
    }
    if (first_created && size > 0)
        snprintf(first_created, size, "%s", created_first);
    return 0;
}

int mlps_mkdirs(const char *path, mode_t mode, mlps_error *err)
{
    return mlps_mkdirs_tracked(path, mode, NULL, 0, err);
}

static bool is_ancestor_or_self(const char *ancestor, const char *path)
{
    size_t n = strlen(ancestor);
    return strncmp(ancestor, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void mlps_remove_created_dirs(const char *path, const char *first_created)
{
    if (!first_created || !*first_created || !is_ancestor_or_self(first_created, path))
        return;
    char buffer[PATH_MAX];
    if (snprintf(buffer, sizeof buffer, "%s", path) >= (int)sizeof buffer)
        return;
    strip_trailing_slashes(buffer);
    size_t stop = strlen(first_created);
    for (;;) {
        if (rmdir(buffer) != 0 && errno != ENOENT)
            return;
        if (strlen(buffer) <= stop)
            return;
        char *slash = strrchr(buffer, '/');
        if (!slash)
            return;
        while (slash > buffer && slash[-1] == '/')
            slash--;
        *slash = '\0';
        if (strlen(buffer) < stop)
            return;
    }
}
