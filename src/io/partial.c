/* The temporaries of atomic writes (MLPS_OPEN_ATOMIC, see store.h): how they are named, how a
 * listing recognises one, and clearing those an interrupted run left behind. The name alone
 * marks a temporary, so any backend that keeps one (the POSIX files) and any reader share this
 * one definition. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/backend.h"

#define PARTIAL_MARKER ".mlps-partial."

char *mlps_partial_location(const char *location, long pid, uint64_t sequence)
{
    const char *slash = strrchr(location, '/');
    size_t dir_len = slash ? (size_t)(slash - location) + 1 : 0;
    const char *name = location + dir_len;
    char suffix[64];
    int suffix_len = snprintf(suffix, sizeof suffix, "%s%ld.%llu", PARTIAL_MARKER, pid,
                              (unsigned long long)sequence);
    /* A long name is cut short: the pid and sequence keep the temporary unique regardless. */
    size_t room = NAME_MAX - 1 - (size_t)suffix_len;
    size_t name_len = strlen(name) < room ? strlen(name) : room;
    size_t size = dir_len + 1 + name_len + (size_t)suffix_len + 1;
    char *out = malloc(size);
    if (out)
        snprintf(out, size, "%.*s.%.*s%s", (int)dir_len, location, (int)name_len, name, suffix);
    return out;
}

/* Steps back over the decimal digits ending just before end; NULL when there are none. */
static const char *skip_digits_backwards(const char *start, const char *end)
{
    const char *p = end;
    while (p > start && p[-1] >= '0' && p[-1] <= '9')
        p--;
    return p == end ? NULL : p;
}

bool mlps_store_is_partial_name(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *start = slash ? slash + 1 : name;
    const char *end = start + strlen(start);
    /* ".<name>" PARTIAL_MARKER "<pid>.<sequence>", read from the end */
    const char *sequence = skip_digits_backwards(start, end);
    if (!sequence || sequence - start < 1 || sequence[-1] != '.')
        return false;
    const char *pid = skip_digits_backwards(start, sequence - 1);
    size_t marker_len = strlen(PARTIAL_MARKER);
    if (!pid || (size_t)(pid - start) < 1 + 1 + marker_len) /* '.', a name, the marker */
        return false;
    const char *marker = pid - marker_len;
    return start[0] == '.' && strncmp(marker, PARTIAL_MARKER, marker_len) == 0;
}

typedef struct partial_sweep {
    mlps_store *store;
    const char *dir; /* without a trailing '/'; "" for the root */
    uint64_t removed;
    mlps_error *err;
} partial_sweep;

static int remove_if_partial(const mlps_entry *entry, void *arg)
{
    partial_sweep *sweep = arg;
    if (entry->is_dir || !mlps_store_is_partial_name(entry->name))
        return 0;
    size_t size = strlen(sweep->dir) + 1 + strlen(entry->name) + 1;
    char *path = malloc(size);
    if (!path)
        return mlps_fail(sweep->err, -ENOMEM, "remove partial files: out of memory");
    snprintf(path, size, "%s%s%s", sweep->dir, sweep->dir[0] ? "/" : "", entry->name);
    mlps_error attempt;
    mlps_error_clear(&attempt);
    int rc = mlps_store_remove(sweep->store, path, &attempt);
    free(path);
    if (rc == -ENOENT)
        return 0; /* someone else cleared it first */
    if (rc < 0) {
        if (sweep->err)
            *sweep->err = attempt;
        return rc;
    }
    sweep->removed++;
    return 0;
}

int mlps_store_remove_partials(mlps_store *store, const char *path, uint64_t *removed,
                               mlps_error *err)
{
    char *dir = strdup(path ? path : "");
    if (!dir)
        return mlps_fail(err, -ENOMEM, "remove partial files in %s: out of memory", store->uri);
    for (size_t len = strlen(dir); len > 0 && dir[len - 1] == '/'; len--)
        dir[len - 1] = '\0';
    mlps_error listing;
    mlps_error_clear(&listing);
    partial_sweep sweep = {.store = store, .dir = dir, .err = &listing};
    int rc = mlps_store_list(store, dir, remove_if_partial, &sweep, &listing);
    free(dir);
    if (removed)
        *removed += sweep.removed;
    if (rc == -ENOENT)
        return 0; /* no directory, no leftovers (the visitor never returns -ENOENT) */
    if (rc < 0 && err)
        *err = listing;
    return rc;
}
