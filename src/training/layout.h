/* Where the samples of a dataset's files lie, learned lazily: the first reader to touch a file
 * asks its format to locate the samples (reading the file's own structure, so a truncated or
 * foreign file is reported by name and offset) and keeps the answer in a compact form: runs of
 * consecutive samples that share one extent (a parquet row group, an npz array) are one entry.
 * Shared by the reader threads of a rank; memory grows only with the files actually touched. */
#ifndef MLPS_TRAINING_LAYOUT_H
#define MLPS_TRAINING_LAYOUT_H

#include <stdint.h>

#include "formats/format.h"
#include "io/store.h"

typedef struct mlps_layout_cache mlps_layout_cache;

/* namer(ctx, file index, out, size, file_size, err) names a file relative to the store root and
 * sets *file_size to its size when known (a listing's), else to MLPS_SIZE_UNKNOWN: a known size
 * opens the file without asking for it (no HEAD on an object store). */
typedef int (*mlps_file_namer)(void *ctx, uint64_t file, char *out, size_t size,
                               uint64_t *file_size, mlps_error *err);

int mlps_layout_cache_create(mlps_store *store, const mlps_format *format,
                             const mlps_format_params *params, uint64_t file_count,
                             mlps_file_namer namer, void *namer_ctx, mlps_layout_cache **out,
                             mlps_error *err);
void mlps_layout_cache_destroy(mlps_layout_cache *cache);

/* The extent of sample `sample` of file `file` (thread-safe), and the file's size. */
int mlps_layout_extent(mlps_layout_cache *cache, uint64_t file, uint64_t sample,
                       mlps_sample_extent *extent, uint64_t *file_size, mlps_error *err);

/* The file's name relative to the store root. */
int mlps_layout_file_name(mlps_layout_cache *cache, uint64_t file, char *out, size_t size,
                          mlps_error *err);

/* A source over an open file (of a store without alignment rules: the cache reads layouts of
 * a direct:// dataset through a buffered store on the same root). */
void mlps_file_source_init(mlps_source *source, mlps_file *file);

#endif
