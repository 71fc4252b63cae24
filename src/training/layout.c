/* Lazily learned sample layouts; see layout.h. */
#include "training/layout.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct extent_run {
    uint64_t first_sample;
    mlps_sample_extent extent;
} extent_run;

typedef struct file_layout {
    uint64_t size;
    size_t run_count;
    extent_run runs[];
} file_layout;

struct mlps_layout_cache {
    mlps_store *store;
    mlps_store *metadata_store; /* buffered access to the same files, for structure reads */
    const mlps_format *format;
    const mlps_format_params *params;
    uint64_t file_count;
    mlps_file_namer namer;
    void *namer_ctx;
    _Atomic(file_layout *) *layouts; /* one slot per file, filled on first use */
};

/* Structure reads are small and unaligned: a direct:// dataset's are made through file://. */
static int open_metadata_store(mlps_layout_cache *cache, mlps_error *err)
{
    const char *uri = mlps_store_uri(cache->store);
    static const char direct_prefix[] = "direct://";
    if (strncmp(uri, direct_prefix, sizeof direct_prefix - 1) != 0)
        return 0;
    char buffered[PATH_MAX + 16];
    snprintf(buffered, sizeof buffered, "file://%s", uri + sizeof direct_prefix - 1);
    return mlps_store_open(buffered, NULL, &cache->metadata_store, err);
}

int mlps_layout_cache_create(mlps_store *store, const mlps_format *format,
                             const mlps_format_params *params, uint64_t file_count,
                             mlps_file_namer namer, void *namer_ctx, mlps_layout_cache **out,
                             mlps_error *err)
{
    mlps_layout_cache *cache = calloc(1, sizeof *cache);
    if (cache)
        cache->layouts = calloc(file_count ? file_count : 1, sizeof *cache->layouts);
    if (!cache || !cache->layouts) {
        free(cache);
        return mlps_fail(err, -ENOMEM, "out of memory for the layout table of %llu files",
                         (unsigned long long)file_count);
    }
    *cache = (mlps_layout_cache){.store = store, .format = format, .params = params,
                                 .file_count = file_count, .namer = namer, .namer_ctx = namer_ctx,
                                 .layouts = cache->layouts};
    int rc = open_metadata_store(cache, err);
    if (rc) {
        mlps_layout_cache_destroy(cache);
        return rc;
    }
    *out = cache;
    return 0;
}

void mlps_layout_cache_destroy(mlps_layout_cache *cache)
{
    if (!cache)
        return;
    for (uint64_t i = 0; i < cache->file_count; i++)
        free(atomic_load(&cache->layouts[i]));
    free(cache->layouts);
    if (cache->metadata_store)
        mlps_store_close(cache->metadata_store);
    free(cache);
}

int mlps_layout_file_name(mlps_layout_cache *cache, uint64_t file, char *out, size_t size,
                          mlps_error *err)
{
    uint64_t unused;
    return cache->namer(cache->namer_ctx, file, out, size, &unused, err);
}

/* --- a source over a store file --- */

static int file_source_read(const mlps_source *source, void *buf, size_t len, uint64_t offset,
                            mlps_error *err)
{
    return mlps_file_pread_full(source->ctx, buf, len, offset, err);
}

void mlps_file_source_init(mlps_source *source, mlps_file *file)
{
    *source = (mlps_source){.read_at = file_source_read, .ctx = file,
                            .size = mlps_file_size(file), .name = mlps_file_uri(file)};
}

/* Runs of consecutive samples with the same extent become one entry. */
static file_layout *compress_extents(const mlps_sample_extent *extents, uint64_t count,
                                     uint64_t size)
{
    size_t runs = 0;
    for (uint64_t i = 0; i < count; i++)
        if (i == 0 || memcmp(&extents[i], &extents[i - 1], sizeof extents[i]) != 0)
            runs++;
    file_layout *layout = malloc(sizeof *layout + runs * sizeof layout->runs[0]);
    if (!layout)
        return NULL;
    layout->size = size;
    layout->run_count = 0;
    for (uint64_t i = 0; i < count; i++)
        if (i == 0 || memcmp(&extents[i], &extents[i - 1], sizeof extents[i]) != 0)
            layout->runs[layout->run_count++] = (extent_run){.first_sample = i,
                                                             .extent = extents[i]};
    return layout;
}

/* The data file's path relative to the dataset folder gives its split and its index's path. */
static int locate_through_index(mlps_layout_cache *cache, mlps_store *store, const char *name,
                                const mlps_source *data, mlps_sample_extent *extents,
                                mlps_error *err)
{
    char split[32], index_name[PATH_MAX];
    const char *slash = strchr(name, '/');
    snprintf(split, sizeof split, "%.*s", slash ? (int)(slash - name) : 0, name);
    int rc = cache->format->companion_path(0, split, name, index_name, sizeof index_name, err);
    mlps_file *index_file = NULL;
    if (!rc)
        rc = mlps_file_open(store, index_name, MLPS_OPEN_READ, &index_file, err);
    if (rc)
        return rc;
    mlps_source index;
    mlps_file_source_init(&index, index_file);
    rc = cache->format->locate_samples_from_index(cache->params, data, &index, extents, err);
    mlps_file_close(index_file, NULL);
    return rc;
}

static int locate(mlps_layout_cache *cache, uint64_t file, file_layout **out, mlps_error *err)
{
    char name[PATH_MAX];
    uint64_t listed_size = MLPS_SIZE_UNKNOWN;
    int rc = cache->namer(cache->namer_ctx, file, name, sizeof name, &listed_size, err);
    if (rc)
        return rc;
    mlps_store *store = cache->metadata_store ? cache->metadata_store : cache->store;
    mlps_file *handle = NULL;
    rc = listed_size == MLPS_SIZE_UNKNOWN
             ? mlps_file_open(store, name, MLPS_OPEN_READ, &handle, err)
             : mlps_file_open_sized(store, name, MLPS_OPEN_READ, listed_size, &handle, err);
    if (rc)
        return rc;
    uint64_t samples = cache->params->samples_per_file;
    mlps_sample_extent *extents = calloc(samples ? samples : 1, sizeof *extents);
    if (!extents) {
        mlps_file_close(handle, NULL);
        return mlps_fail(err, -ENOMEM, "out of memory locating %llu samples",
                         (unsigned long long)samples);
    }
    mlps_source source;
    mlps_file_source_init(&source, handle);
    if (cache->format->locate_samples_from_index)
        rc = locate_through_index(cache, store, name, &source, extents, err);
    else
        rc = cache->format->locate_samples(cache->params, &source, extents, err);
    if (!rc && !(*out = compress_extents(extents, samples, source.size)))
        rc = mlps_fail(err, -ENOMEM, "out of memory for the layout of %s", name);
    free(extents);
    mlps_file_close(handle, NULL);
    return rc;
}

static int layout_of(mlps_layout_cache *cache, uint64_t file, file_layout **out, mlps_error *err)
{
    if (file >= cache->file_count)
        return mlps_fail(err, -EINVAL, "file index %llu beyond the dataset's %llu files",
                         (unsigned long long)file, (unsigned long long)cache->file_count);
    file_layout *known = atomic_load_explicit(&cache->layouts[file], memory_order_acquire);
    if (known) {
        *out = known;
        return 0;
    }
    file_layout *fresh = NULL;
    int rc = locate(cache, file, &fresh, err);
    if (rc)
        return rc;
    /* Two threads may locate the same file at once: the first to publish wins. */
    if (!atomic_compare_exchange_strong(&cache->layouts[file], &known, fresh)) {
        free(fresh);
        *out = known;
    } else {
        *out = fresh;
    }
    return 0;
}

int mlps_layout_extent(mlps_layout_cache *cache, uint64_t file, uint64_t sample,
                       mlps_sample_extent *extent, uint64_t *file_size, mlps_error *err)
{
    file_layout *layout = NULL;
    int rc = layout_of(cache, file, &layout, err);
    if (rc)
        return rc;
    if (sample >= cache->params->samples_per_file || layout->run_count == 0)
        return mlps_fail(err, -EINVAL, "sample %llu beyond the %llu samples per file",
                         (unsigned long long)sample,
                         (unsigned long long)cache->params->samples_per_file);
    size_t low = 0, high = layout->run_count; /* the last run starting at or before sample */
    while (high - low > 1) {
        size_t mid = low + (high - low) / 2;
        if (layout->runs[mid].first_sample <= sample)
            low = mid;
        else
            high = mid;
    }
    *extent = layout->runs[low].extent;
    *file_size = layout->size;
    return 0;
}
