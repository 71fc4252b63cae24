/* Resolving --burst-trace-path to the trace files, in the reference's order of checks: a
 * directory (its *.csv), then a glob (a path with '*' or '?'), then one file. Names are sorted
 * bytewise, as Python's sorted() orders them. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kvcache/burst_trace.h"

typedef struct name_list {
    char **names;
    size_t count, capacity;
} name_list;

static int add_name(name_list *l, const char *name)
{
    if (l->count == l->capacity) {
        size_t capacity = l->capacity ? 2 * l->capacity : 8;
        char **names = realloc(l->names, capacity * sizeof *names);
        if (!names)
            return -ENOMEM;
        l->names = names;
        l->capacity = capacity;
    }
    if (!(l->names[l->count] = strdup(name)))
        return -ENOMEM;
    l->count++;
    return 0;
}

static bool is_csv_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".csv") == 0;
}

static int list_directory(const char *dir, name_list *l)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int rc = 0;
    struct dirent *e;
    char path[4096];
    while (rc == 0 && (e = readdir(d))) {
        if (!is_csv_name(e->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = add_name(l, path);
    }
    closedir(d);
    return rc;
}

static int list_glob(const char *pattern, name_list *l)
{
    glob_t g;
    int status = glob(pattern, 0, NULL, &g);
    int rc = 0;
    if (status == 0)
        for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
            rc = add_name(l, g.gl_pathv[i]);
    else if (status == GLOB_NOSPACE)
        rc = -ENOMEM;
    if (status != GLOB_NOMATCH)
        globfree(&g);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int mlps_kv_burst_files_resolve(const char *path, char ***files, size_t *count, mlps_error *err)
{
    *files = NULL;
    *count = 0;
    if (!path || !*path)
        return mlps_fail_usage(err, -EINVAL,
                               "--use-burst-trace needs --burst-trace-path: a CSV file, a "
                               "directory of *.csv or a glob");
    name_list l = {0};
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (!exists && !strpbrk(path, "*?"))
        return mlps_fail_usage(err, -ENOENT,
                               "--burst-trace-path %s: no such file or directory; expected a CSV "
                               "file, a directory of *.csv or a glob",
                               path);
    int rc;
    if (exists && S_ISDIR(st.st_mode))
        rc = list_directory(path, &l);
    else if (strpbrk(path, "*?"))
        rc = list_glob(path, &l);
    else
        rc = add_name(&l, path);
    if (rc < 0)
        rc = mlps_fail(err, rc, "--burst-trace-path %s: cannot list the trace files: %s", path,
                       strerror(-rc));
    else if (l.count == 0)
        rc = mlps_fail_usage(err, -ENOENT, "--burst-trace-path %s: no CSV files matched", path);
    if (rc != 0) {
        mlps_kv_burst_files_free(l.names, l.count);
        return rc;
    }
    qsort(l.names, l.count, sizeof *l.names, by_name);
    *files = l.names;
    *count = l.count;
    return 0;
}

void mlps_kv_burst_files_free(char **files, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(files[i]);
    free(files);
}
