/* Dataset file formats of the training benchmark: one file per format (npz.c, tfrecord.c, ...),
 * each a table of operations registered in registry.c, chosen by `dataset.format`.
 *
 * A format writes a whole file of `samples_per_file` samples of d1 x d2 elements through a sink
 * (so writers are tested against memory and run against the storage layer alike), and it tells
 * readers where each sample lies in a file by reading the file's own structure through a source
 * (a truncated or foreign file is an error naming the file and the offset). */
#ifndef MLPS_FORMATS_FORMAT_H
#define MLPS_FORMATS_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* --- where bytes go, and where they come from --- */

typedef struct mlps_sink {
    /* Appends len bytes. */
    int (*write)(void *ctx, const void *data, size_t len, mlps_error *err);
    /* Optional: appends len bytes of mlps_fill_random_at(seed, stream, offset) output without an
     * intermediate copy; NULL means mlps_sink_write_random generates into a scratch buffer. */
    int (*write_random)(void *ctx, uint64_t len, uint64_t seed, uint64_t stream, uint64_t offset,
                        mlps_error *err);
    void *ctx;
    uint64_t written; /* maintained by the mlps_sink_* helpers */
} mlps_sink;

int mlps_sink_write(mlps_sink *sink, const void *data, size_t len, mlps_error *err);
/* Appends len incompressible bytes, a pure function of (seed, stream, offset): the same call
 * always writes the same bytes. */
int mlps_sink_write_random(mlps_sink *sink, uint64_t len, uint64_t seed, uint64_t stream,
                           uint64_t offset, mlps_error *err);
int mlps_sink_write_zeros(mlps_sink *sink, uint64_t len, mlps_error *err);

/* A sink that grows a heap buffer (tests, and formats whose library builds a file in memory). */
typedef struct mlps_memory_sink {
    unsigned char *data;
    size_t size;
    size_t capacity;
} mlps_memory_sink;
void mlps_memory_sink_init(mlps_sink *sink, mlps_memory_sink *memory);
void mlps_memory_sink_free(mlps_memory_sink *memory);

typedef struct mlps_source mlps_source;
struct mlps_source {
    /* Reads exactly len bytes at offset; past the end is an error naming the file. */
    int (*read_at)(const mlps_source *source, void *buf, size_t len, uint64_t offset,
                   mlps_error *err);
    void *ctx;
    uint64_t size;    /* the file's size */
    const char *name; /* for messages: its URI or path */
};

/* Reads through source->read_at, checking the range against source->size first. */
int mlps_source_read(const mlps_source *source, void *buf, size_t len, uint64_t offset,
                     mlps_error *err);

/* A source over bytes in memory (tests). */
void mlps_memory_source_init(mlps_source *source, const void *data, size_t size, const char *name);

/* --- formats --- */

/* What every file of a dataset shares: from the workload configuration. */
typedef struct mlps_format_params {
    uint64_t samples_per_file; /* dataset.num_samples_per_file */
    unsigned element_bytes;    /* from dataset.record_element_type: uint8 -> 1, float32 -> 4 ... */
    const char *element_type;  /* "uint8", "float32", ... as numpy names it */
    const char *compression;   /* dataset.compression: "none", "gzip", "zip", ... */
    bool enable_chunking;      /* hdf5 */
    uint64_t chunk_size;       /* hdf5 */
    unsigned num_dset_per_record; /* hdf5 */
    json_t *parquet_columns;   /* parquet column mode: [{name, dtype, size}], or NULL (legacy) */
    uint64_t parquet_row_group_size;
    uint64_t seed;             /* data content seed */
} mlps_format_params;

/* One file to write. */
typedef struct mlps_format_file {
    uint64_t index; /* the global file index i (streams and seeds derive from it) */
    uint64_t d1, d2; /* every sample of this file has d1 x d2 elements */
} mlps_format_file;

/* Where one sample's bytes lie inside its file. */
typedef struct mlps_sample_extent {
    uint64_t offset;
    uint64_t length;
} mlps_sample_extent;

typedef struct mlps_format {
    const char *name;      /* the dataset.format value: "npz" */
    const char *extension; /* file name extension without the dot */
    /* Writes the whole file. */
    int (*write)(const mlps_format_params *params, const mlps_format_file *file, mlps_sink *sink,
                 mlps_error *err);
    /* The exact size write() produces, or 0 when it is not known in advance (compressed,
     * encoded images). */
    uint64_t (*file_size)(const mlps_format_params *params, const mlps_format_file *file);
    /* Reads the file's structure and fills extents[0..samples_per_file) with where each sample
     * lies (a sample stored non-contiguously is given as the extent that covers it). Checks
     * magic numbers, lengths and checksums of the structure it reads. */
    int (*locate_samples)(const mlps_format_params *params, const mlps_source *source,
                          mlps_sample_extent *extents, mlps_error *err);
    /* Optional companion files (the tfrecord .idx, indexed_binary .off.idx/.sz.idx); 0 and NULLs
     * when the format has none. companion_path gives companion `which`'s path relative to the
     * dataset folder, from the data file's path relative to it ("train/3/img_07_of_10.npz") and
     * its split ("train" or "valid"). */
    unsigned companion_count;
    int (*companion_path)(unsigned which, const char *split, const char *data_file, char *out,
                          size_t size, mlps_error *err);
    int (*write_companion)(const mlps_format_params *params, const mlps_format_file *file,
                           unsigned which, mlps_sink *sink, mlps_error *err);
    /* Optional: locates the samples from companion 0 (an index) instead of the data file, so
     * that finding records does not read the data itself (a walk over the record headers of a
     * large file would pull it all through the page cache). data gives the data file's name and
     * size only; its bytes are not read. Extents past its size are an error naming both files. */
    int (*locate_samples_from_index)(const mlps_format_params *params, const mlps_source *data,
                                     const mlps_source *index, mlps_sample_extent *extents,
                                     mlps_error *err);
} mlps_format;

/* The format named name, or NULL. */
const mlps_format *mlps_format_find(const char *name);
/* A usage error listing the known formats, for `dataset.format` typos. */
int mlps_format_unknown(const char *name, mlps_error *err);

#endif
