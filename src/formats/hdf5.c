/* The hdf5 dataset format, written with the HDF5 C library.
 *
 * File: datasets records_<k> for k < num_dset_per_record (at least one), each of shape
 * (samples_per_file, d1, d2) and the record element type, and `labels`, int64 zeros of shape
 * (samples_per_file) (what h5py makes of the reference's Python list of zeros). Every dataset
 * gets its own random content: records_k's bytes are mlps_fill_random_at(seed, file index,
 * their offset within the k-th stretch of samples_per_file samples).
 *
 * Storage follows the reference's h5py call: contiguous by default; with
 * dataset.enable_chunking, chunks of (1, c, c) elements with c = ceil(sqrt(chunk_size)),
 * clipped to the sample's sides (the reference clips to the nominal dimension, which HDF5
 * rejects when a file's sample is smaller); with dataset.compression gzip, deflate level 4
 * (the reference's default compression_level) and, without enable_chunking, one chunk per
 * sample (h5py would pick a chunk shape by its own heuristic).
 *
 * The file is built in memory with the core driver (no backing store) and its image then
 * written to the sink, so writing needs about twice one file's size in memory. Sizes come
 * from the library's allocator, so file_size() is 0 (unknown). The library is thread-safe by
 * serialising its calls: threads writing hdf5 files in one process take turns inside it.
 *
 * Samples are located with the library too, reading only metadata through the source
 * (hdf5_support.c): a contiguous dataset's sample s lies at its storage offset +
 * s * sample bytes; a chunked sample spans the chunks that hold it; with several records_k a
 * sample's extent covers its part of every one of them. Files of the reference's v2.0, whose
 * single dataset is named `records`, are accepted too. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "core/fill.h"
#include "formats/format.h"
#include "formats/format_checks.h"
#include "formats/hdf5_support.h"

enum {
    WRITE_BATCH_BYTES = 4 << 20,
    GZIP_LEVEL = 4,
    METADATA_ALLOWANCE = 1 << 16,
};

/* How every records dataset of one file is stored. */
typedef struct records_layout {
    hsize_t dims[3];
    hsize_t chunk[3];
    bool chunked;
    bool gzip;
    hid_t type; /* a predefined little-endian type: never closed */
    size_t element_bytes;
    unsigned datasets;
} records_layout;

typedef struct element_type_name {
    const char *name;
    hid_t (*type)(void); /* the predefined ids are run-time values */
} element_type_name;

static hid_t type_u8(void) { return H5T_STD_U8LE; }
static hid_t type_i8(void) { return H5T_STD_I8LE; }
static hid_t type_u16(void) { return H5T_STD_U16LE; }
static hid_t type_i16(void) { return H5T_STD_I16LE; }
static hid_t type_u32(void) { return H5T_STD_U32LE; }
static hid_t type_i32(void) { return H5T_STD_I32LE; }
static hid_t type_u64(void) { return H5T_STD_U64LE; }
static hid_t type_i64(void) { return H5T_STD_I64LE; }
static hid_t type_f32(void) { return H5T_IEEE_F32LE; }
static hid_t type_f64(void) { return H5T_IEEE_F64LE; }

static const element_type_name element_types[] = {
    {"uint8", type_u8},   {"int8", type_i8},   {"uint16", type_u16}, {"int16", type_i16},
    {"uint32", type_u32}, {"int32", type_i32}, {"uint64", type_u64}, {"int64", type_i64},
    {"float32", type_f32}, {"float64", type_f64},
};

static int resolve_type(const mlps_format_params *params, records_layout *layout,
                        mlps_error *err)
{
    const char *name = params->element_type && *params->element_type ? params->element_type
                                                                     : "uint8";
    for (size_t i = 0; i < sizeof element_types / sizeof element_types[0]; i++) {
        if (strcmp(element_types[i].name, name) != 0)
            continue;
        layout->type = element_types[i].type();
        layout->element_bytes = H5Tget_size(layout->type);
        return 0;
    }
    return mlps_fail_usage(err, -EINVAL, "dataset.record_element_type '%s' is not supported for "
                           "hdf5 files (valid: uint8, int8, uint16, int16, uint32, int32, uint64, "
                           "int64, float32, float64)", name);
}

static int resolve_storage(const mlps_format_params *params, const mlps_format_file *file,
                           records_layout *layout, mlps_error *err)
{
    const char *compression = params->compression;
    if (!mlps_format_compression_is_none(compression)) {
        if (strcmp(compression, "gzip") != 0)
            return mlps_fail_usage(err, -EINVAL, "dataset.compression '%s' is not supported for "
                                   "hdf5 files (valid: none, gzip)", compression);
        layout->gzip = true;
    }
    layout->chunk[0] = 1;
    layout->chunk[1] = file->d1;
    layout->chunk[2] = file->d2;
    if (params->enable_chunking) {
        if (!params->chunk_size)
            return mlps_fail_usage(err, -EINVAL, "dataset.chunk_size must be at least 1 when "
                                   "dataset.enable_chunking is true (chunks are c x c elements, "
                                   "c = ceil(sqrt(chunk_size)))");
        hsize_t side = (hsize_t)ceil(sqrt((double)params->chunk_size));
        layout->chunk[1] = side < file->d1 ? side : file->d1;
        layout->chunk[2] = side < file->d2 ? side : file->d2;
    }
    layout->chunked = params->enable_chunking || layout->gzip;
    if (layout->chunked &&
        layout->chunk[1] * layout->chunk[2] * layout->element_bytes > UINT32_MAX)
        return mlps_fail_usage(err, -EINVAL, "hdf5 chunks of %llu x %llu elements exceed the "
                               "library's 4 GiB chunk limit; set dataset.enable_chunking with a "
                               "smaller dataset.chunk_size",
                               (unsigned long long)layout->chunk[1],
                               (unsigned long long)layout->chunk[2]);
    return 0;
}

static int plan_layout(const mlps_format_params *params, const mlps_format_file *file,
                       records_layout *layout, mlps_error *err)
{
    memset(layout, 0, sizeof *layout);
    if (file->d1 < 1 || file->d2 < 1)
        return mlps_fail_usage(err, -EINVAL, "an hdf5 sample of %llu x %llu elements is not "
                               "possible: both sides must be at least 1",
                               (unsigned long long)file->d1, (unsigned long long)file->d2);
    layout->dims[0] = params->samples_per_file;
    layout->dims[1] = file->d1;
    layout->dims[2] = file->d2;
    layout->datasets = params->num_dset_per_record ? params->num_dset_per_record : 1;
    uint64_t sample_bytes, records_bytes;
    int rc = resolve_type(params, layout, err);
    if (!rc)
        rc = mlps_format_array_bytes(params, file, (unsigned)layout->element_bytes, "hdf5",
                                     &sample_bytes, &records_bytes, err);
    return rc ? rc : resolve_storage(params, file, layout, err);
}

/* --- writing --- */

/* What one file's writing holds; ids left at 0 (or negative) are not open. */
typedef struct hdf5_build {
    const mlps_format_params *params;
    mlps_hdf5_quiet quiet;
    const mlps_format_file *file;
    records_layout layout;
    unsigned char *buffer;
    size_t buffer_bytes;
    mlps_error *err;
} hdf5_build;

static int build_fail(const hdf5_build *build, const char *what)
{
    return mlps_hdf5_fail(&build->quiet, build->err, -EIO, what);
}

/* Writes one block of the dataset: samples [sample, sample + samples), rows [row, row + rows)
 * of each (whole samples, or rows of a single sample). */
static int write_block(hdf5_build *build, hid_t dataset, unsigned k, hsize_t sample,
                       hsize_t samples, hsize_t row, hsize_t rows)
{
    const records_layout *layout = &build->layout;
    uint64_t row_bytes = layout->dims[2] * layout->element_bytes;
    uint64_t bytes = samples * rows * row_bytes;
    uint64_t offset = ((k * layout->dims[0] + sample) * layout->dims[1] + row) * row_bytes;
    mlps_fill_random_at(build->buffer, (size_t)bytes, build->params->seed, build->file->index,
                        offset);
    hsize_t start[3] = {sample, row, 0}, count[3] = {samples, rows, layout->dims[2]};
    hsize_t elements = samples * rows * layout->dims[2];
    hid_t file_space = H5Dget_space(dataset);
    hid_t memory_space = H5Screate_simple(1, &elements, NULL);
    herr_t status = -1;
    if (file_space >= 0 && memory_space >= 0 &&
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0)
        status = H5Dwrite(dataset, layout->type, memory_space, file_space, H5P_DEFAULT,
                          build->buffer);
    if (memory_space >= 0)
        H5Sclose(memory_space);
    if (file_space >= 0)
        H5Sclose(file_space);
    return status < 0 ? build_fail(build, "writing an hdf5 records dataset") : 0;
}

static int write_records_data(hdf5_build *build, hid_t dataset, unsigned k)
{
    const records_layout *layout = &build->layout;
    uint64_t row_bytes = layout->dims[2] * layout->element_bytes;
    uint64_t sample_bytes = layout->dims[1] * row_bytes;
    hsize_t samples_per_block = 1, rows_per_block = layout->dims[1];
    if (sample_bytes <= build->buffer_bytes)
        samples_per_block = build->buffer_bytes / sample_bytes;
    else
        rows_per_block = build->buffer_bytes / row_bytes;
    for (hsize_t s = 0; s < layout->dims[0]; s += samples_per_block) {
        hsize_t samples = layout->dims[0] - s < samples_per_block ? layout->dims[0] - s
                                                                  : samples_per_block;
        for (hsize_t r = 0; r < layout->dims[1]; r += rows_per_block) {
            hsize_t rows = layout->dims[1] - r < rows_per_block ? layout->dims[1] - r
                                                                : rows_per_block;
            int rc = write_block(build, dataset, k, s, samples, r, rows);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static hid_t records_creation_plist(const records_layout *layout)
{
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    if (plist < 0)
        return plist;
    /* Every byte is written, so the library need not write fill values first. */
    if (H5Pset_fill_time(plist, H5D_FILL_TIME_NEVER) < 0 ||
        (layout->chunked && H5Pset_chunk(plist, 3, layout->chunk) < 0) ||
        (layout->gzip && H5Pset_deflate(plist, GZIP_LEVEL) < 0)) {
        H5Pclose(plist);
        return -1;
    }
    return plist;
}

static int write_records(hdf5_build *build, hid_t file, unsigned k)
{
    char name[32];
    snprintf(name, sizeof name, "records_%u", k);
    hid_t space = H5Screate_simple(3, build->layout.dims, NULL);
    hid_t plist = records_creation_plist(&build->layout);
    hid_t dataset = -1;
    if (space >= 0 && plist >= 0)
        dataset = H5Dcreate2(file, name, build->layout.type, space, H5P_DEFAULT, plist,
                             H5P_DEFAULT);
    int rc = dataset < 0 ? build_fail(build, "creating hdf5 dataset records")
                         : write_records_data(build, dataset, k);
    if (dataset >= 0 && H5Dclose(dataset) < 0 && !rc)
        rc = build_fail(build, "closing an hdf5 records dataset");
    if (plist >= 0)
        H5Pclose(plist);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static int write_labels(hdf5_build *build, hid_t file)
{
    hsize_t count = build->layout.dims[0];
    int64_t *zeros = calloc(count ? count : 1, sizeof *zeros);
    if (!zeros)
        return mlps_fail(build->err, -ENOMEM, "out of memory for %llu hdf5 labels",
                         (unsigned long long)count);
    hid_t space = H5Screate_simple(1, &count, NULL);
    hid_t dataset = space < 0 ? -1 : H5Dcreate2(file, "labels", H5T_STD_I64LE, space,
                                                H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t status = dataset < 0 ? -1 : H5Dwrite(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
                                                H5P_DEFAULT, zeros);
    if (dataset >= 0 && H5Dclose(dataset) < 0)
        status = -1;
    if (space >= 0)
        H5Sclose(space);
    free(zeros);
    return status < 0 ? build_fail(build, "writing the hdf5 labels dataset") : 0;
}

/* Copies the finished file's image out of the library. */
static int take_image(hdf5_build *build, hid_t file, unsigned char **image, size_t *size)
{
    if (H5Fflush(file, H5F_SCOPE_LOCAL) < 0)
        return build_fail(build, "flushing the in-memory hdf5 file");
    ssize_t bytes = H5Fget_file_image(file, NULL, 0);
    if (bytes < 0)
        return build_fail(build, "sizing the in-memory hdf5 file image");
    *image = malloc(bytes ? (size_t)bytes : 1);
    if (!*image)
        return mlps_fail(build->err, -ENOMEM, "out of memory for a %zd-byte hdf5 file image",
                         bytes);
    *size = (size_t)bytes;
    if (H5Fget_file_image(file, *image, *size) < 0)
        return build_fail(build, "copying the in-memory hdf5 file image");
    return 0;
}

static hid_t create_in_memory(const hdf5_build *build)
{
    const records_layout *layout = &build->layout;
    uint64_t estimate = layout->datasets * layout->dims[0] * layout->dims[1] * layout->dims[2] *
                            layout->element_bytes + layout->dims[0] * 8 + METADATA_ALLOWANCE;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t file = -1;
    /* The name only identifies the open file inside the library: unique per call. */
    char name[96];
    snprintf(name, sizeof name, "mlps-memory-%llu-%p.h5",
             (unsigned long long)build->file->index, (const void *)build);
    if (fapl >= 0 && H5Pset_fapl_core(fapl, (size_t)estimate, 0) >= 0)
        file = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    return file;
}

static int build_image(hdf5_build *build, unsigned char **image, size_t *size)
{
    hid_t file = create_in_memory(build);
    if (file < 0)
        return build_fail(build, "creating an in-memory hdf5 file");
    int rc = 0;
    for (unsigned k = 0; k < build->layout.datasets && !rc; k++)
        rc = write_records(build, file, k);
    if (!rc)
        rc = write_labels(build, file);
    if (!rc)
        rc = take_image(build, file, image, size);
    if (H5Fclose(file) < 0 && !rc)
        rc = build_fail(build, "closing the in-memory hdf5 file");
    return rc;
}

static int hdf5_write(const mlps_format_params *params, const mlps_format_file *file,
                      mlps_sink *sink, mlps_error *err)
{
    hdf5_build build = {.params = params, .file = file, .err = err};
    int rc = plan_layout(params, file, &build.layout, err);
    if (rc)
        return rc;
    uint64_t row_bytes = file->d2 * build.layout.element_bytes;
    build.buffer_bytes = row_bytes > WRITE_BATCH_BYTES ? (size_t)row_bytes : WRITE_BATCH_BYTES;
    build.buffer = malloc(build.buffer_bytes);
    if (!build.buffer)
        return mlps_fail(err, -ENOMEM, "out of memory for a %zu-byte hdf5 write buffer",
                         build.buffer_bytes);
    unsigned char *image = NULL;
    size_t size = 0;
    mlps_hdf5_quiet_begin(&build.quiet);
    rc = build_image(&build, &image, &size);
    mlps_hdf5_quiet_end(&build.quiet);
    free(build.buffer);
    if (!rc)
        rc = mlps_sink_write(sink, image, size, err);
    free(image);
    return rc;
}

static uint64_t hdf5_file_size(const mlps_format_params *params, const mlps_format_file *file)
{
    (void)params, (void)file;
    return 0;
}

/* --- locating samples --- */

typedef struct hdf5_locate {
    const mlps_format_params *params;
    mlps_hdf5_quiet quiet;
    mlps_hdf5_source source;
    mlps_sample_extent *extents;
    hid_t file;
} hdf5_locate;

/* A source error as the source reported it, else the library's message. */
static int locate_fail(hdf5_locate *locate, const char *problem)
{
    if (locate->source.rc)
        return locate->source.rc;
    char what[512];
    snprintf(what, sizeof what, "%s: %s", locate->source.source->name, problem);
    return mlps_hdf5_fail(&locate->quiet, locate->source.err, -EBADMSG, what);
}

static int locate_mismatch(hdf5_locate *locate, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int locate_mismatch(hdf5_locate *locate, const char *fmt, ...)
{
    char problem[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    return mlps_fail(locate->source.err, -EBADMSG, "%s: %s", locate->source.source->name,
                     problem);
}

/* Widens sample s's extent to cover [offset, offset + length). */
static void cover(mlps_sample_extent *extent, uint64_t offset, uint64_t length)
{
    uint64_t end = offset + length;
    uint64_t old_end = extent->offset + extent->length;
    if (!extent->length) {
        *extent = (mlps_sample_extent){offset, length};
        return;
    }
    extent->offset = offset < extent->offset ? offset : extent->offset;
    extent->length = (end > old_end ? end : old_end) - extent->offset;
}

static int check_inside(hdf5_locate *locate, const char *name, uint64_t offset, uint64_t length)
{
    if (offset > locate->source.source->size || length > locate->source.source->size - offset)
        return locate_mismatch(locate, "truncated: dataset %s stores bytes [%llu, %llu) but the "
                               "file has %llu", name, (unsigned long long)offset,
                               (unsigned long long)(offset + length),
                               (unsigned long long)locate->source.source->size);
    return 0;
}

static int cover_contiguous(hdf5_locate *locate, hid_t dataset, const char *name,
                            uint64_t sample_bytes)
{
    haddr_t address = H5Dget_offset(dataset);
    uint64_t samples = locate->params->samples_per_file;
    if (address == HADDR_UNDEF)
        return samples ? locate_mismatch(locate, "dataset %s has no data stored", name) : 0;
    int rc = check_inside(locate, name, address, samples * sample_bytes);
    for (uint64_t s = 0; s < samples && !rc; s++)
        cover(&locate->extents[s], address + s * sample_bytes, sample_bytes);
    return rc;
}

/* Visits every chunk of the dataset by its coordinates and widens the extents of the samples
 * it holds. Unallocated chunks (never written) hold nothing. */
static int cover_chunks(hdf5_locate *locate, hid_t dataset, hid_t plist, const char *name,
                        int rank, const hsize_t *dims)
{
    hsize_t chunk[H5S_MAX_RANK], coord[H5S_MAX_RANK] = {0};
    if (H5Pget_chunk(plist, rank, chunk) != rank)
        return locate_fail(locate, "cannot read a records dataset's chunk shape");
    for (int i = 0; i < rank; i++)
        if (!dims[i])
            return 0;
    for (;;) {
        unsigned filter_mask;
        haddr_t address;
        hsize_t size;
        if (H5Dget_chunk_info_by_coord(dataset, coord, &filter_mask, &address, &size) < 0)
            return locate_fail(locate, "cannot read a records dataset's chunk index");
        if (address != HADDR_UNDEF) {
            int rc = check_inside(locate, name, address, size);
            if (rc)
                return rc;
            for (hsize_t s = coord[0]; s < coord[0] + chunk[0] && s < dims[0]; s++)
                cover(&locate->extents[s], address, size);
        }
        int i = rank - 1;
        while (i >= 0 && (coord[i] += chunk[i]) >= dims[i])
            coord[i--] = 0;
        if (i < 0)
            return 0;
    }
}

static int cover_dataset(hdf5_locate *locate, hid_t dataset, const char *name)
{
    hsize_t dims[H5S_MAX_RANK];
    hid_t space = H5Dget_space(dataset), type = H5Dget_type(dataset);
    hid_t plist = H5Dget_create_plist(dataset);
    int rank = space < 0 ? -1 : H5Sget_simple_extent_dims(space, dims, NULL);
    size_t element_bytes = type < 0 ? 0 : H5Tget_size(type);
    H5D_layout_t storage = plist < 0 ? H5D_LAYOUT_ERROR : H5Pget_layout(plist);
    int rc = 0;
    if (rank < 0 || !element_bytes || storage == H5D_LAYOUT_ERROR)
        rc = locate_fail(locate, "cannot read a records dataset's shape, type or layout");
    else if (rank < 1 || dims[0] != locate->params->samples_per_file)
        rc = locate_mismatch(locate, "dataset %s holds %llu samples, but "
                             "dataset.num_samples_per_file is %llu", name,
                             rank < 1 ? 0ULL : (unsigned long long)dims[0],
                             (unsigned long long)locate->params->samples_per_file);
    else if (locate->params->element_bytes && element_bytes != locate->params->element_bytes)
        rc = locate_mismatch(locate, "dataset %s has %zu-byte elements, but "
                             "dataset.record_element_type has %u", name, element_bytes,
                             locate->params->element_bytes);
    if (!rc) {
        uint64_t sample_bytes = element_bytes;
        for (int i = 1; i < rank; i++)
            sample_bytes *= dims[i];
        if (storage == H5D_CONTIGUOUS)
            rc = cover_contiguous(locate, dataset, name, sample_bytes);
        else if (storage == H5D_CHUNKED)
            rc = cover_chunks(locate, dataset, plist, name, rank, dims);
        else /* compact: the data sits in the object header */
            for (uint64_t s = 0; s < dims[0]; s++)
                cover(&locate->extents[s], 0, locate->source.source->size);
    }
    if (plist >= 0)
        H5Pclose(plist);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static bool has_dataset(hid_t file, const char *name)
{
    return H5Lexists(file, name, H5P_DEFAULT) > 0;
}

static int cover_records(hdf5_locate *locate)
{
    unsigned datasets = locate->params->num_dset_per_record ? locate->params->num_dset_per_record
                                                            : 1;
    for (unsigned k = 0; k < datasets; k++) {
        char name[32];
        snprintf(name, sizeof name, "records_%u", k);
        if (!has_dataset(locate->file, name)) {
            if (locate->source.rc)
                return locate_fail(locate, "");
            if (datasets > 1 || !has_dataset(locate->file, "records"))
                return locate_mismatch(locate, "no dataset %s (expected records_0 .. "
                                       "records_%u and labels)", name, datasets - 1);
            strcpy(name, "records");
        }
        hid_t dataset = H5Dopen2(locate->file, name, H5P_DEFAULT);
        if (dataset < 0)
            return locate_fail(locate, "cannot open a records dataset");
        int rc = cover_dataset(locate, dataset, name);
        H5Dclose(dataset);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_labels(hdf5_locate *locate)
{
    if (!has_dataset(locate->file, "labels"))
        return locate->source.rc ? locate_fail(locate, "")
                                 : locate_mismatch(locate, "no dataset labels");
    hid_t dataset = H5Dopen2(locate->file, "labels", H5P_DEFAULT);
    hid_t space = dataset < 0 ? -1 : H5Dget_space(dataset);
    hsize_t dims[H5S_MAX_RANK];
    int rank = space < 0 ? -1 : H5Sget_simple_extent_dims(space, dims, NULL);
    int rc = 0;
    if (rank < 0)
        rc = locate_fail(locate, "cannot read the labels dataset's shape");
    else if (rank != 1 || dims[0] != locate->params->samples_per_file)
        rc = locate_mismatch(locate, "dataset labels is not a list of %llu labels",
                             (unsigned long long)locate->params->samples_per_file);
    if (space >= 0)
        H5Sclose(space);
    if (dataset >= 0)
        H5Dclose(dataset);
    return rc;
}

static int check_every_sample_stored(hdf5_locate *locate)
{
    for (uint64_t s = 0; s < locate->params->samples_per_file; s++)
        if (!locate->extents[s].length)
            return locate_mismatch(locate, "sample %llu has no stored data",
                                   (unsigned long long)s);
    return 0;
}

static int hdf5_locate_samples(const mlps_format_params *params, const mlps_source *source,
                               mlps_sample_extent *extents, mlps_error *err)
{
    hdf5_locate locate = {.params = params, .source = {.source = source, .err = err},
                          .extents = extents};
    locate.source.quiet = &locate.quiet;
    memset(extents, 0, params->samples_per_file * sizeof *extents);
    mlps_hdf5_quiet_begin(&locate.quiet);
    locate.file = mlps_hdf5_open_source(&locate.source);
    int rc = locate.file < 0 ? (int)locate.file : 0;
    if (!rc)
        rc = cover_records(&locate);
    if (!rc)
        rc = check_labels(&locate);
    if (!rc)
        rc = check_every_sample_stored(&locate);
    if (locate.file >= 0)
        H5Fclose(locate.file);
    mlps_hdf5_quiet_end(&locate.quiet);
    return rc;
}

const mlps_format mlps_format_hdf5 = {
    .name = "hdf5",
    .extension = "hdf5",
    .write = hdf5_write,
    .file_size = hdf5_file_size,
    .locate_samples = hdf5_locate_samples,
};
