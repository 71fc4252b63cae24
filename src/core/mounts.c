/* Mount table reading and lookup; see mounts.h. */
#include "core/mounts.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_scan.h"

#define MOUNTINFO_MAX_FIELDS 64

void mlps_mount_clear(mlps_mount *mount)
{
    free(mount->device);
    free(mount->mount_point);
    free(mount->fstype);
    free(mount->options);
    memset(mount, 0, sizeof *mount);
}

void mlps_mounts_free(mlps_mount *mounts, size_t count)
{
    for (size_t i = 0; i < count; i++)
        mlps_mount_clear(&mounts[i]);
    free(mounts);
}

static bool is_octal(char c) { return c >= '0' && c <= '7'; }

/* The kernel writes space, tab, newline and backslash in mount fields as \ooo. */
static char *unescape_mount_field(mlps_span field)
{
    char *out = malloc(field.len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < field.len; i++) {
        const char *at = field.start + i;
        if (at[0] == '\\' && i + 3 < field.len && is_octal(at[1]) && is_octal(at[2]) &&
            is_octal(at[3])) {
            out[n++] = (char)(((at[1] - '0') << 6) | ((at[2] - '0') << 3) | (at[3] - '0'));
            i += 3;
        } else {
            out[n++] = at[0];
        }
    }
    out[n] = '\0';
    return out;
}

/* The per-mount options followed by those super block options not already among them. */
static char *join_options(mlps_span mount_options, mlps_span super_options)
{
    char *joined = malloc(mount_options.len + super_options.len + 2);
    if (!joined)
        return NULL;
    mlps_span_copy(mount_options, joined, mount_options.len + 1);
    size_t used = mount_options.len;
    size_t start = 0;
    for (size_t i = 0; i <= super_options.len; i++) {
        if (i < super_options.len && super_options.start[i] != ',')
            continue;
        mlps_span option = {super_options.start + start, i - start};
        start = i + 1;
        if (option.len == 0)
            continue;
        bool present = false;
        const char *scan = joined;
        while (!present && *scan) {
            size_t len = strcspn(scan, ",");
            present = len == option.len && memcmp(scan, option.start, len) == 0;
            scan += len + (scan[len] == ',');
        }
        if (present)
            continue;
        if (used > 0)
            joined[used++] = ',';
        memcpy(joined + used, option.start, option.len);
        used += option.len;
        joined[used] = '\0';
    }
    return joined;
}

typedef struct mount_list {
    mlps_mount *items;
    size_t count;
    size_t capacity;
} mount_list;

static int add_mount(mount_list *list, mlps_span device, mlps_span mount_point,
                     mlps_span fstype, char *options)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 32;
        mlps_mount *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown) {
            free(options);
            return -ENOMEM;
        }
        list->items = grown;
        list->capacity = capacity;
    }
    mlps_mount mount = {
        .device = unescape_mount_field(device),
        .mount_point = unescape_mount_field(mount_point),
        .fstype = unescape_mount_field(fstype),
        .options = options,
    };
    if (!mount.device || !mount.mount_point || !mount.fstype || !mount.options) {
        mlps_mount_clear(&mount);
        return -ENOMEM;
    }
    list->items[list->count++] = mount;
    return 0;
}

static int finish_list(mount_list *list, int rc, const char *what, mlps_mount **mounts,
                       size_t *count, mlps_error *err)
{
    if (rc != 0) {
        mlps_mounts_free(list->items, list->count);
        *mounts = NULL;
        *count = 0;
        return mlps_fail(err, rc, "%s: out of memory", what);
    }
    *mounts = list->items;
    *count = list->count;
    return 0;
}

int mlps_parse_mounts(const char *text, mlps_mount **mounts, size_t *count, mlps_error *err)
{
    mount_list list = {0};
    int rc = 0;
    mlps_span line, fields[4];
    const char *cursor = text;
    while (rc == 0 && mlps_next_line(&cursor, &line)) {
        if (mlps_split_fields(line, fields, 4) < 4)
            continue;
        char *options = unescape_mount_field(fields[3]);
        rc = options ? add_mount(&list, fields[0], fields[1], fields[2], options) : -ENOMEM;
    }
    return finish_list(&list, rc, "mounts", mounts, count, err);
}

/* "id parent major:minor root mount_point options [optional...] - fstype source super" */
static int parse_mountinfo_line(mount_list *list, mlps_span line)
{
    mlps_span fields[MOUNTINFO_MAX_FIELDS];
    size_t n = mlps_split_fields(line, fields, MOUNTINFO_MAX_FIELDS);
    if (n > MOUNTINFO_MAX_FIELDS)
        return 0;
    size_t separator = 6;
    while (separator < n && !mlps_span_equals(fields[separator], "-"))
        separator++;
    if (separator + 2 >= n)
        return 0;
    mlps_span super_options = separator + 3 < n ? fields[separator + 3] : (mlps_span){"", 0};
    char *options = join_options(fields[5], super_options);
    if (!options)
        return -ENOMEM;
    return add_mount(list, fields[separator + 2], fields[4], fields[separator + 1], options);
}

int mlps_parse_mountinfo(const char *text, mlps_mount **mounts, size_t *count,
                         mlps_error *err)
{
    mount_list list = {0};
    int rc = 0;
    mlps_span line;
    const char *cursor = text;
    while (rc == 0 && mlps_next_line(&cursor, &line))
        rc = parse_mountinfo_line(&list, line);
    return finish_list(&list, rc, "mountinfo", mounts, count, err);
}

int mlps_read_mounts(mlps_mount **mounts, size_t *count, mlps_error *err)
{
    char *text;
    int rc = mlps_read_text_file("/proc/self/mountinfo", &text, NULL, err);
    if (rc == 0) {
        rc = mlps_parse_mountinfo(text, mounts, count, err);
        free(text);
        return rc;
    }
    rc = mlps_read_text_file("/proc/mounts", &text, NULL, err);
    if (rc != 0)
        return rc;
    rc = mlps_parse_mounts(text, mounts, count, err);
    free(text);
    return rc;
}

static bool is_path_prefix(const char *mount_point, const char *path)
{
    size_t n = strlen(mount_point);
    if (n == 1 && mount_point[0] == '/')
        return path[0] == '/';
    return strncmp(mount_point, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

ssize_t mlps_mount_containing(const mlps_mount *mounts, size_t count, const char *resolved_path)
{
    ssize_t best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(mounts[i].mount_point);
        if (is_path_prefix(mounts[i].mount_point, resolved_path) &&
            (best < 0 || len >= best_len)) {
            best = (ssize_t)i;
            best_len = len;
        }
    }
    return best;
}

/* Shortens path to its parent in place; false when there is no parent left to try. */
static bool strip_last_component(char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash) {
        if (strcmp(path, ".") == 0)
            return false;
        strcpy(path, ".");
        return true;
    }
    if (slash == path) {
        if (path[1] == '\0')
            return false;
        path[1] = '\0';
        return true;
    }
    *slash = '\0';
    return true;
}

int mlps_resolve_existing_ancestor(const char *path, char *out, mlps_error *err)
{
    if (!path || !*path)
        return mlps_fail_usage(err, -EINVAL, "cannot find the file system of an empty path");
    char candidate[PATH_MAX];
    if (strlen(path) >= sizeof candidate)
        return mlps_fail(err, -ENAMETOOLONG, "path %s is longer than %d bytes", path, PATH_MAX);
    strcpy(candidate, path);
    for (;;) {
        if (realpath(candidate, out))
            return 0;
        int code = errno;
        if ((code != ENOENT && code != ENOTDIR) || !strip_last_component(candidate))
            return mlps_fail(err, -code, "cannot resolve %s: %s", candidate, strerror(code));
    }
}

static int copy_mount(const mlps_mount *from, mlps_mount *to)
{
    to->device = strdup(from->device);
    to->mount_point = strdup(from->mount_point);
    to->fstype = strdup(from->fstype);
    to->options = strdup(from->options);
    if (to->device && to->mount_point && to->fstype && to->options)
        return 0;
    mlps_mount_clear(to);
    return -ENOMEM;
}

int mlps_sysinfo_filesystem_of(const char *path, mlps_mount *out, mlps_error *err)
{
    memset(out, 0, sizeof *out);
    char resolved[PATH_MAX];
    int rc = mlps_resolve_existing_ancestor(path, resolved, err);
    mlps_mount *mounts = NULL;
    size_t count = 0;
    if (rc == 0)
        rc = mlps_read_mounts(&mounts, &count, err);
    if (rc != 0)
        return rc;
    ssize_t index = mlps_mount_containing(mounts, count, resolved);
    if (index < 0)
        rc = mlps_fail(err, -ENOENT, "no mount in the mount table holds %s (resolved %s)", path,
                       resolved);
    else if (copy_mount(&mounts[index], out) != 0)
        rc = mlps_fail(err, -ENOMEM, "file system of %s: out of memory", path);
    mlps_mounts_free(mounts, count);
    return rc;
}
