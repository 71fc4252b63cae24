/* The npy format: what numpy.save(path, records) writes for records of
 * dataset.record_element_type with shape (d1, d2, samples_per_file), C order: an NPY header
 * (npy_header.h) and the array's bytes, which are bytes [0, size) of the random stream
 * (params->seed, stream = the file index).
 *
 * Samples: sample k is records[:, :, k], strided across the whole array unless there is one
 * sample per file, so every sample's extent is the array's whole data span. */
#include <errno.h>
#include <inttypes.h>

#include "formats/format_checks.h"
#include "formats/format.h"
#include "formats/npy_header.h"

typedef struct npy_layout {
    unsigned char header[MLPS_NPY_HEADER_MAX];
    size_t header_len;
    uint64_t data;
} npy_layout;

static int npy_layout_init(const mlps_format_params *params, const mlps_format_file *file,
                           npy_layout *layout, mlps_error *err)
{
    const char *descr;
    unsigned element_bytes;
    int rc = mlps_format_require_no_compression(params, "npy", err);
    if (!rc)
        rc = mlps_npy_descr_for(params, &descr, &element_bytes, err);
    if (rc)
        return rc;
    uint64_t sample_bytes;
    rc = mlps_format_array_bytes(params, file, element_bytes, "npy", &sample_bytes,
                                 &layout->data, err);
    if (rc)
        return rc;
    uint64_t shape[3] = {file->d1, file->d2, params->samples_per_file};
    layout->header_len = mlps_npy_header_format(descr, shape, 3, layout->header);
    return 0;
}

static uint64_t npy_file_size(const mlps_format_params *params, const mlps_format_file *file)
{
    npy_layout layout;
    if (npy_layout_init(params, file, &layout, NULL))
        return 0;
    return layout.header_len + layout.data;
}

static int npy_write(const mlps_format_params *params, const mlps_format_file *file,
                     mlps_sink *sink, mlps_error *err)
{
    npy_layout layout;
    int rc = npy_layout_init(params, file, &layout, err);
    if (!rc)
        rc = mlps_sink_write(sink, layout.header, layout.header_len, err);
    if (!rc)
        rc = mlps_sink_write_random(sink, layout.data, params->seed, file->index, 0, err);
    return rc;
}

static int npy_locate_samples(const mlps_format_params *params, const mlps_source *source,
                              mlps_sample_extent *extents, mlps_error *err)
{
    mlps_npy_array array;
    int rc = mlps_npy_header_parse(source, 0, source->size, &array, err);
    if (rc)
        return rc;
    if (array.ndim != 3 || array.shape[2] != params->samples_per_file)
        return mlps_fail(err, -EPROTO,
                         "%s: the NPY array is not of shape (d1, d2, %" PRIu64
                         ") (dataset.num_samples_per_file)",
                         source->name, params->samples_per_file);
    if (array.header_bytes + array.data_bytes != source->size)
        return mlps_fail(err, -EPROTO,
                         "%s: %" PRIu64 " bytes after the NPY array's end at offset %" PRIu64,
                         source->name, source->size - array.header_bytes - array.data_bytes,
                         array.header_bytes + array.data_bytes);
    for (uint64_t k = 0; k < params->samples_per_file; k++)
        extents[k] = (mlps_sample_extent){array.header_bytes, array.data_bytes};
    return 0;
}

const mlps_format mlps_format_npy = {
    .name = "npy",
    .extension = "npy",
    .write = npy_write,
    .file_size = npy_file_size,
    .locate_samples = npy_locate_samples,
};
