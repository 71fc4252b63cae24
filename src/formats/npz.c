/* The npz format (unet3d): what numpy.savez(path, x=records, y=labels) writes. A ZIP archive
 * (zip.h) of two members: x.npy, the NPY array of dataset.record_element_type with shape (d1,
 * d2, samples_per_file) in C order, and y.npy, int64 zeros of shape (samples_per_file,).
 * dataset.compression "zip" deflates the members (numpy.savez_compressed); otherwise they are
 * STORED and the file's size is exact in advance.
 *
 * Content: x's data is bytes [0, d1*d2*n*element_bytes) of the random stream (params->seed,
 * stream = the file index), generated once, chunk by chunk, and checksummed on its way out.
 * A STORED member's CRC-32 would have to sit in its local header before its data, which a
 * sequential sink cannot go back to fill in, so x.npy is written with general-purpose flag bit
 * 3: CRC-32 zero in the local header, the real sizes there still, and a zip64 data descriptor
 * (CRC-32 and sizes) after the data; the central directory holds the CRC-32 and sizes as
 * usual. Why this layout suits the readers of npz files:
 *  - numpy.load goes through Python's zipfile, which takes CRC-32 and sizes from the central
 *    directory and verifies the CRC-32 against the data;
 *  - DLIO's O_DIRECT npz reader walks local headers instead: it reads the 32-bit sizes of each
 *    local header (which is why they stay filled in rather than zero, as bit 3 would allow),
 *    skips the name and extra field, takes that many bytes, and stops at the first signature
 *    that is not a local header; it ignores flags and CRC-32. It therefore reads x, which is
 *    all it uses, and stops at x's descriptor instead of at the central directory, so it does
 *    not see y;
 *  - the sample locator here reads the central directory, then the local header's name and
 *    extra length.
 * y.npy (zeros) has a CRC-32 that costs nothing to compute in advance, so it is written as
 * numpy writes it, CRC-32 in its local header and no descriptor.
 *
 * Samples: sample k is x[:, :, k], which in C order is strided across all of x's data (unless
 * n = 1), so every sample's extent is the whole of x's data span (for a deflated archive, x's
 * whole compressed span). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "core/fill.h"
#include "formats/crc32.h"
#include "formats/format_checks.h"
#include "formats/format.h"
#include "formats/npy_header.h"
#include "formats/zip.h"

#define NPZ_SCRATCH_BYTES (256u << 10)
#define NPZ_X_MEMBER "x.npy"
#define NPZ_Y_MEMBER "y.npy"
#define NPZ_LABEL_DESCR "<i8"
#define NPZ_LABEL_BYTES 8u

typedef struct npz_layout {
    bool deflate;
    unsigned char x_header[MLPS_NPY_HEADER_MAX], y_header[MLPS_NPY_HEADER_MAX];
    size_t x_header_len, y_header_len;
    uint64_t x_data, y_data; /* array bytes after each header */
} npz_layout;

static int npz_compression(const mlps_format_params *params, bool *deflate, mlps_error *err)
{
    const char *c = params->compression;
    *deflate = c && strcmp(c, "zip") == 0;
    if (*deflate || mlps_format_compression_is_none(c))
        return 0;
    return mlps_fail_usage(err, -EINVAL,
                           "dataset.compression '%s' is not supported for npz (valid: none, zip)",
                           c);
}

static int npz_layout_init(const mlps_format_params *params, const mlps_format_file *file,
                           npz_layout *layout, mlps_error *err)
{
    const char *descr;
    unsigned element_bytes;
    int rc = npz_compression(params, &layout->deflate, err);
    if (!rc)
        rc = mlps_npy_descr_for(params, &descr, &element_bytes, err);
    if (rc)
        return rc;
    uint64_t n = params->samples_per_file, sample_bytes;
    uint64_t x_shape[3] = {file->d1, file->d2, n}, y_shape[1] = {n};
    mlps_format_file labels = {.index = file->index, .d1 = 1, .d2 = 1};
    rc = mlps_format_array_bytes(params, file, element_bytes, "npz", &sample_bytes,
                                 &layout->x_data, err);
    if (!rc)
        rc = mlps_format_array_bytes(params, &labels, NPZ_LABEL_BYTES, "npz", &sample_bytes,
                                     &layout->y_data, err);
    if (rc)
        return rc;
    layout->x_header_len = mlps_npy_header_format(descr, x_shape, 3, layout->x_header);
    layout->y_header_len = mlps_npy_header_format(NPZ_LABEL_DESCR, y_shape, 1, layout->y_header);
    return 0;
}

static uint64_t npz_file_size(const mlps_format_params *params, const mlps_format_file *file)
{
    npz_layout layout;
    if (npz_layout_init(params, file, &layout, NULL) || layout.deflate)
        return 0;
    const char *names[2] = {NPZ_X_MEMBER, NPZ_Y_MEMBER};
    uint64_t sizes[2] = {layout.x_header_len + layout.x_data,
                         layout.y_header_len + layout.y_data};
    const bool crc_after[2] = {true, false};
    return mlps_zip_stored_archive_size(names, sizes, crc_after, 2);
}

static uint32_t crc32_of_zeros(uint32_t crc, uint64_t len)
{
    static const unsigned char zeros[4096];
    for (; len; len -= len < sizeof zeros ? len : sizeof zeros)
        crc = mlps_crc32_update(crc, zeros, len < sizeof zeros ? (size_t)len : sizeof zeros);
    return crc;
}

/* x.npy: its header, then its random data generated chunk by chunk into scratch (small enough
 * to stay in cache while it is checksummed and copied out). */
static int write_x_stored(const npz_layout *layout, const mlps_format_params *params,
                          const mlps_format_file *file, mlps_zip_writer *zip,
                          unsigned char *scratch, size_t scratch_size, mlps_error *err)
{
    int rc = mlps_zip_begin_stored_crc_after(zip, NPZ_X_MEMBER,
                                             layout->x_header_len + layout->x_data, err);
    if (!rc)
        rc = mlps_zip_store(zip, layout->x_header, layout->x_header_len, err);
    for (uint64_t done = 0; !rc && done < layout->x_data;) {
        size_t chunk = layout->x_data - done < scratch_size ? (size_t)(layout->x_data - done)
                                                            : scratch_size;
        mlps_fill_random_at(scratch, chunk, params->seed, file->index, done);
        rc = mlps_zip_store(zip, scratch, chunk, err);
        done += chunk;
    }
    return rc ? rc : mlps_zip_member_end(zip, err);
}

static int write_stored(const npz_layout *layout, const mlps_format_params *params,
                        const mlps_format_file *file, mlps_zip_writer *zip,
                        unsigned char *scratch, size_t scratch_size, mlps_error *err)
{
    mlps_sink *sink = zip->sink;
    uint32_t y_crc = crc32_of_zeros(mlps_crc32_update(0, layout->y_header, layout->y_header_len),
                                    layout->y_data);
    int rc = write_x_stored(layout, params, file, zip, scratch, scratch_size, err);
    if (!rc)
        rc = mlps_zip_begin_stored(zip, NPZ_Y_MEMBER, y_crc, layout->y_header_len + layout->y_data,
                                   err);
    if (!rc)
        rc = mlps_sink_write(sink, layout->y_header, layout->y_header_len, err);
    if (!rc)
        rc = mlps_sink_write_zeros(sink, layout->y_data, err);
    if (!rc)
        rc = mlps_zip_member_end(zip, err);
    return rc;
}

static int write_deflated(const npz_layout *layout, const mlps_format_params *params,
                          const mlps_format_file *file, mlps_zip_writer *zip,
                          unsigned char *scratch, size_t scratch_size, mlps_error *err)
{
    int rc = mlps_zip_begin_deflated(zip, NPZ_X_MEMBER, err);
    if (!rc)
        rc = mlps_zip_deflate(zip, layout->x_header, layout->x_header_len, err);
    for (uint64_t done = 0; !rc && done < layout->x_data;) {
        size_t chunk = layout->x_data - done < scratch_size ? (size_t)(layout->x_data - done)
                                                            : scratch_size;
        mlps_fill_random_at(scratch, chunk, params->seed, file->index, done);
        rc = mlps_zip_deflate(zip, scratch, chunk, err);
        done += chunk;
    }
    if (!rc)
        rc = mlps_zip_member_end(zip, err);
    if (!rc)
        rc = mlps_zip_begin_deflated(zip, NPZ_Y_MEMBER, err);
    if (!rc)
        rc = mlps_zip_deflate(zip, layout->y_header, layout->y_header_len, err);
    memset(scratch, 0, scratch_size);
    for (uint64_t done = 0; !rc && done < layout->y_data;) {
        size_t chunk = layout->y_data - done < scratch_size ? (size_t)(layout->y_data - done)
                                                            : scratch_size;
        rc = mlps_zip_deflate(zip, scratch, chunk, err);
        done += chunk;
    }
    if (!rc)
        rc = mlps_zip_member_end(zip, err);
    return rc;
}

static int npz_write(const mlps_format_params *params, const mlps_format_file *file,
                     mlps_sink *sink, mlps_error *err)
{
    npz_layout layout;
    int rc = npz_layout_init(params, file, &layout, err);
    if (rc)
        return rc;
    uint64_t largest = layout.x_data > layout.y_data ? layout.x_data : layout.y_data;
    size_t scratch_size = largest < NPZ_SCRATCH_BYTES ? (size_t)largest : NPZ_SCRATCH_BYTES;
    unsigned char *scratch = malloc(scratch_size ? scratch_size : 1);
    if (!scratch)
        return mlps_fail(err, -ENOMEM, "out of memory for a %zu-byte npz scratch buffer",
                         scratch_size);
    mlps_zip_writer zip;
    mlps_zip_writer_init(&zip, sink);
    rc = layout.deflate ? write_deflated(&layout, params, file, &zip, scratch, scratch_size, err)
                        : write_stored(&layout, params, file, &zip, scratch, scratch_size, err);
    if (!rc)
        rc = mlps_zip_finish(&zip, err);
    mlps_zip_writer_free(&zip);
    free(scratch);
    return rc;
}

static int npz_locate_samples(const mlps_format_params *params, const mlps_source *source,
                              mlps_sample_extent *extents, mlps_error *err)
{
    mlps_zip_member x;
    int rc = mlps_zip_find_member(source, NPZ_X_MEMBER, &x, err);
    if (rc)
        return rc;
    mlps_sample_extent span = {x.data_offset, x.compressed_size};
    if (x.method == 0) {
        mlps_npy_array array;
        if (x.compressed_size != x.size)
            return mlps_fail(err, -EPROTO,
                             "%s: stored zip member '%s' at offset %" PRIu64
                             " has compressed size %" PRIu64 " but size %" PRIu64,
                             source->name, NPZ_X_MEMBER, x.header_offset, x.compressed_size,
                             x.size);
        rc = mlps_npy_header_parse(source, x.data_offset, x.size, &array, err);
        if (rc)
            return rc;
        if (array.ndim != 3 || array.shape[2] != params->samples_per_file)
            return mlps_fail(err, -EPROTO,
                             "%s: x.npy at offset %" PRIu64 " is not of shape (d1, d2, %" PRIu64
                             ") (dataset.num_samples_per_file)",
                             source->name, x.data_offset, params->samples_per_file);
        span = (mlps_sample_extent){x.data_offset + array.header_bytes, array.data_bytes};
    }
    for (uint64_t k = 0; k < params->samples_per_file; k++)
        extents[k] = span;
    return 0;
}

const mlps_format mlps_format_npz = {
    .name = "npz",
    .extension = "npz",
    .write = npz_write,
    .file_size = npz_file_size,
    .locate_samples = npz_locate_samples,
};
