/* The indexed_binary format: a raw file of samples_per_file samples of d1*d2*element_bytes
 * bytes each, back to back (bytes [0, size) of the random stream (params->seed, stream = the
 * file index)), and two companions beside it, as DLIO names them: "<file>.off.idx" with each
 * sample's offset and "<file>.sz.idx" with its size, one little-endian u64 per sample. (DLIO
 * packs them in the host's order, little-endian on the machines it runs on; its offsets restart
 * at 0 after every 2 GiB generation buffer, a defect we do not reproduce: ours are the real
 * offsets.)
 *
 * Samples: k * S for S = file size / samples_per_file; the file must divide evenly. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "formats/format_checks.h"
#include "formats/format.h"
#include "formats/le_bytes.h"
#include "formats/sink_buffer.h"

#define INDEX_BUFFER_BYTES (64u << 10)

static const char *const companion_suffixes[2] = {".off.idx", ".sz.idx"};

static int sample_bytes(const mlps_format_params *params, const mlps_format_file *file,
                        uint64_t *bytes, mlps_error *err)
{
    uint64_t file_bytes;
    int rc = mlps_format_require_no_compression(params, "indexed_binary", err);
    return rc ? rc
              : mlps_format_array_bytes(params, file,
                                        params->element_bytes ? params->element_bytes : 1,
                                        "indexed_binary", bytes, &file_bytes, err);
}

static uint64_t indexed_binary_file_size(const mlps_format_params *params,
                                         const mlps_format_file *file)
{
    uint64_t bytes;
    return sample_bytes(params, file, &bytes, NULL) ? 0 : bytes * params->samples_per_file;
}

static int indexed_binary_write(const mlps_format_params *params, const mlps_format_file *file,
                                mlps_sink *sink, mlps_error *err)
{
    uint64_t bytes;
    int rc = sample_bytes(params, file, &bytes, err);
    if (rc)
        return rc;
    return mlps_sink_write_random(sink, bytes * params->samples_per_file, params->seed,
                                  file->index, 0, err);
}

static int indexed_binary_locate_samples(const mlps_format_params *params,
                                         const mlps_source *source,
                                         mlps_sample_extent *extents, mlps_error *err)
{
    uint64_t n = params->samples_per_file;
    if (n == 0 || source->size % n != 0)
        return mlps_fail(err, -EPROTO,
                         "%s: %" PRIu64 " bytes do not divide into the %" PRIu64
                         " samples of dataset.num_samples_per_file",
                         source->name, source->size, n);
    uint64_t bytes = source->size / n;
    for (uint64_t k = 0; k < n; k++)
        extents[k] = (mlps_sample_extent){k * bytes, bytes};
    return 0;
}

static int indexed_binary_companion_path(unsigned which, const char *split,
                                         const char *data_file, char *out, size_t size,
                                         mlps_error *err)
{
    (void)split;
    if (which > 1)
        return mlps_fail(err, -EINVAL, "indexed_binary has two companion files, not %u",
                         which + 1);
    int len = snprintf(out, size, "%s%s", data_file, companion_suffixes[which]);
    if (len < 0 || (size_t)len >= size)
        return mlps_fail(err, -ENAMETOOLONG, "index path for %s does not fit in %zu bytes",
                         data_file, size);
    return 0;
}

static int indexed_binary_write_companion(const mlps_format_params *params,
                                          const mlps_format_file *file, unsigned which,
                                          mlps_sink *sink, mlps_error *err)
{
    uint64_t bytes;
    if (which > 1)
        return mlps_fail(err, -EINVAL, "indexed_binary has two companion files, not %u",
                         which + 1);
    int rc = sample_bytes(params, file, &bytes, err);
    if (rc)
        return rc;
    mlps_sink_buffer buffer;
    rc = mlps_sink_buffer_init(&buffer, sink, INDEX_BUFFER_BYTES, err);
    if (rc)
        return rc;
    for (uint64_t k = 0; !rc && k < params->samples_per_file; k++) {
        unsigned char value[8];
        mlps_put_le64(value, which == 0 ? k * bytes : bytes);
        rc = mlps_sink_buffer_put(&buffer, value, sizeof value, err);
    }
    if (!rc)
        rc = mlps_sink_buffer_flush(&buffer, err);
    mlps_sink_buffer_free(&buffer);
    return rc;
}

const mlps_format mlps_format_indexed_binary = {
    .name = "indexed_binary",
    .extension = "indexed_binary",
    .write = indexed_binary_write,
    .file_size = indexed_binary_file_size,
    .locate_samples = indexed_binary_locate_samples,
    .companion_count = 2,
    .companion_path = indexed_binary_companion_path,
    .write_companion = indexed_binary_write_companion,
};
