/* Listing a split's data files in DLIO's order; see dataset_files.h. */
#include "training/dataset_files.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* A listed entry: its path (malloc'd) and size. */
typedef struct listed_file {
    char *path;
    uint64_t size;
} listed_file;

/* A growable array of listed entries. */
typedef struct path_list {
    listed_file *items;
    size_t count, capacity;
} path_list;

static void path_list_free(path_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].path);
    free(list->items);
    *list = (path_list){0};
}

/* Appends "<directory>/<name>" of that size; -ENOMEM when out of memory. */
static int path_list_add(path_list *list, const char *directory, const char *name,
                         uint64_t size)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? 2 * list->capacity : 64;
        listed_file *items = realloc(list->items, capacity * sizeof *items);
        if (!items)
            return -ENOMEM;
        list->items = items;
        list->capacity = capacity;
    }
    char *path = NULL;
    if (asprintf(&path, "%s/%s", directory, name) < 0)
        return -ENOMEM;
    list->items[list->count++] = (listed_file){.path = path, .size = size};
    return 0;
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t text_len = strlen(text), suffix_len = strlen(suffix);
    return text_len >= suffix_len && strcmp(text + text_len - suffix_len, suffix) == 0;
}

bool mlps_dataset_file_matches(const char *name, const char *extension, bool in_subfolder)
{
    if (mlps_store_is_partial_name(name))
        return false;
    if (!in_subfolder)
        return ends_with(name, extension);
    size_t name_len = strlen(name), ext_len = strlen(extension);
    return name[0] != '.' && name_len > ext_len &&
           name[name_len - ext_len - 1] == '.' && ends_with(name, extension);
}

/* --- sorting --- */

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Both orders compare the path that starts each element: an element of a path array, or a
 * listed_file, whose first member it is (a pointer to a struct points at its first member).
 * strcmp compares as unsigned char, which orders UTF-8 as Python orders code points. */
static_assert(offsetof(listed_file, path) == 0, "a listed_file starts with its path");

static int by_full_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_basename_then_path(const void *a, const void *b)
{
    const char *left = *(char *const *)a, *right = *(char *const *)b;
    int order = strcmp(basename_of(left), basename_of(right));
    return order ? order : strcmp(left, right);
}

/* Sorts count elements of element_size bytes, each starting with its path. */
static void sort_paths(void *elements, size_t count, size_t element_size, bool by_basename)
{
    if (count > 1)
        qsort(elements, count, element_size, by_basename ? by_basename_then_path : by_full_path);
}

void mlps_dataset_files_sort(char **paths, size_t count, bool by_basename)
{
    sort_paths(paths, count, sizeof *paths, by_basename);
}

/* --- listing --- */

typedef struct listing {
    const char *directory; /* the listed directory, relative to the store root */
    const char *extension;
    bool in_subfolder;
    path_list *files;
    path_list *subfolders; /* NULL when listing a subfolder: DLIO looks one level down only */
} listing;

static int visit_entry(const mlps_entry *entry, void *arg)
{
    listing *l = arg;
    if (entry->is_dir)
        return l->subfolders && entry->name[0] != '.' && !mlps_store_is_partial_name(entry->name)
                   ? path_list_add(l->subfolders, l->directory, entry->name, 0)
                   : 0;
    if (!mlps_dataset_file_matches(entry->name, l->extension, l->in_subfolder))
        return 0;
    return path_list_add(l->files, l->directory, entry->name, entry->size);
}

/* Lists one directory; a missing one holds nothing. */
static int list_directory(mlps_store *store, listing *l, mlps_error *err)
{
    mlps_error listing_err;
    mlps_error_clear(&listing_err);
    int rc = mlps_store_list(store, l->directory, visit_entry, l, &listing_err);
    if (rc == -ENOENT)
        return 0;
    if (rc == -ENOMEM && listing_err.code == 0)
        return mlps_fail(err, rc, "out of memory listing %s in %s", l->directory,
                         mlps_store_uri(store));
    if (rc && err)
        *err = listing_err;
    return rc;
}

/* Every subfolder's data files, or with no subfolder the split directory's own. */
static int collect_files(mlps_store *store, const char *directory, const char *extension,
                         path_list *files, path_list *subfolders, mlps_error *err)
{
    path_list direct_files = {0};
    listing top = {.directory = directory, .extension = extension, .files = &direct_files,
                   .subfolders = subfolders};
    int rc = list_directory(store, &top, err);
    if (!rc && subfolders->count == 0) {
        *files = direct_files;
        return 0;
    }
    path_list_free(&direct_files);
    for (size_t i = 0; !rc && i < subfolders->count; i++) {
        listing sub = {.directory = subfolders->items[i].path, .extension = extension,
                       .in_subfolder = true, .files = files};
        rc = list_directory(store, &sub, err);
    }
    return rc;
}

/* Moves the first `keep` listed files into out's arrays; the list keeps the rest. */
static int take_first(path_list *files, uint64_t keep, mlps_dataset_files *out)
{
    out->paths = calloc(keep ? keep : 1, sizeof *out->paths);
    out->sizes = calloc(keep ? keep : 1, sizeof *out->sizes);
    if (!out->paths || !out->sizes)
        return -ENOMEM;
    for (uint64_t i = 0; i < keep; i++) {
        out->paths[i] = files->items[i].path;
        out->sizes[i] = files->items[i].size;
        files->items[i].path = NULL;
    }
    out->count = keep;
    return 0;
}

int mlps_dataset_files_list(mlps_store *store, mlps_split split, const char *extension,
                            uint64_t wanted, mlps_dataset_files *out, mlps_error *err)
{
    *out = (mlps_dataset_files){0};
    path_list files = {0}, subfolders = {0};
    int rc = collect_files(store, mlps_split_directory(split), extension, &files, &subfolders,
                           err);
    if (!rc) {
        sort_paths(files.items, files.count, sizeof *files.items, subfolders.count > 0);
        uint64_t keep = files.count < wanted ? files.count : wanted;
        out->available = files.count;
        out->subfolders = subfolders.count;
        if (take_first(&files, keep, out) < 0) {
            mlps_dataset_files_free(out);
            rc = mlps_fail(err, -ENOMEM, "out of memory keeping %llu dataset files of %s",
                           (unsigned long long)keep, mlps_store_uri(store));
        }
    }
    path_list_free(&files);
    path_list_free(&subfolders);
    return rc;
}

void mlps_dataset_files_free(mlps_dataset_files *files)
{
    for (uint64_t i = 0; files->paths && i < files->count; i++)
        free(files->paths[i]);
    free(files->paths);
    free(files->sizes);
    *files = (mlps_dataset_files){0};
}

/* --- sharing rank 0's listing --- */

/* The sizes (count words), then the paths one after another, each ending in its NUL. */
static char *pack_files(const mlps_dataset_files *files, uint64_t *bytes)
{
    uint64_t sizes_bytes = files->count * sizeof *files->sizes;
    *bytes = sizes_bytes;
    for (uint64_t i = 0; i < files->count; i++)
        *bytes += strlen(files->paths[i]) + 1;
    char *packed = malloc(*bytes ? *bytes : 1);
    if (packed && sizes_bytes)
        memcpy(packed, files->sizes, sizes_bytes);
    char *at = packed + sizes_bytes;
    for (uint64_t i = 0; packed && i < files->count; i++) {
        size_t len = strlen(files->paths[i]) + 1;
        memcpy(at, files->paths[i], len);
        at += len;
    }
    return packed;
}

static int unpack_files(mlps_dataset_files *files, const char *packed, uint64_t bytes)
{
    uint64_t count = files->count, sizes_bytes = count * sizeof *files->sizes;
    files->count = 0;
    files->paths = calloc(count ? count : 1, sizeof *files->paths);
    files->sizes = calloc(count ? count : 1, sizeof *files->sizes);
    if (!files->paths || !files->sizes)
        return -ENOMEM;
    if (bytes < sizes_bytes)
        return -EPROTO;
    memcpy(files->sizes, packed, sizes_bytes);
    const char *at = packed + sizes_bytes, *end = packed + bytes;
    for (uint64_t i = 0; i < count && at < end; i++) {
        if (!(files->paths[i] = strdup(at)))
            return -ENOMEM;
        files->count++;
        at += strlen(at) + 1;
    }
    return files->count == count ? 0 : -EPROTO;
}

int mlps_dataset_files_share(const mlps_comm *comm, mlps_dataset_files *files, mlps_error *err)
{
    if (comm->size <= 1)
        return 0;
    uint64_t header[4] = {files->count, files->available, files->subfolders, 0};
    char *packed = NULL;
    if (comm->rank == 0 && !(packed = pack_files(files, &header[3]))) {
        /* The other ranks are already waiting for the list; leaving would stall the job. */
        mlps_error_log("out of memory sharing the list of %llu dataset files",
                       (unsigned long long)files->count);
        mlps_comm_abort(comm, MLPS_EXIT_RUN_FAILED);
    }
    int rc = mlps_comm_broadcast(comm, header, sizeof header, 0, err);
    if (!rc && comm->rank != 0 && !(packed = malloc(header[3] ? header[3] : 1))) {
        mlps_error_log("out of memory receiving the list of %llu dataset files",
                       (unsigned long long)header[0]);
        mlps_comm_abort(comm, MLPS_EXIT_RUN_FAILED);
    }
    if (!rc && header[3] > 0)
        rc = mlps_comm_broadcast(comm, packed, header[3], 0, err);
    if (!rc && comm->rank != 0) {
        *files = (mlps_dataset_files){.count = header[0], .available = header[1],
                                      .subfolders = header[2]};
        rc = unpack_files(files, packed, header[3]);
        if (rc)
            rc = mlps_fail(err, rc, "the list of %llu dataset files from rank 0 did not unpack",
                           (unsigned long long)header[0]);
    }
    free(packed);
    return rc;
}
