/* The synthetic format: DLIO's placeholder files, each holding only the decimal text of its
 * file index (no newline); its reader makes samples up rather than reading them.
 *
 * Samples: every sample's extent is the whole file (which is all a reader could read); the
 * file must be 1 to 20 decimal digits. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "formats/format_checks.h"
#include "formats/format.h"

#define SYNTHETIC_MAX_DIGITS 20u

static uint64_t synthetic_file_size(const mlps_format_params *params,
                                    const mlps_format_file *file)
{
    char text[SYNTHETIC_MAX_DIGITS + 1];
    (void)params;
    return (uint64_t)snprintf(text, sizeof text, "%" PRIu64, file->index);
}

static int synthetic_write(const mlps_format_params *params, const mlps_format_file *file,
                           mlps_sink *sink, mlps_error *err)
{
    int rc = mlps_format_require_no_compression(params, "synthetic", err);
    if (rc)
        return rc;
    char text[SYNTHETIC_MAX_DIGITS + 1];
    int len = snprintf(text, sizeof text, "%" PRIu64, file->index);
    return mlps_sink_write(sink, text, (size_t)len, err);
}

static int synthetic_locate_samples(const mlps_format_params *params, const mlps_source *source,
                                    mlps_sample_extent *extents, mlps_error *err)
{
    char text[SYNTHETIC_MAX_DIGITS];
    if (source->size == 0 || source->size > SYNTHETIC_MAX_DIGITS)
        return mlps_fail(err, -EPROTO,
                         "%s: %" PRIu64 " bytes is not a synthetic file (1 to %u decimal digits)",
                         source->name, source->size, SYNTHETIC_MAX_DIGITS);
    int rc = mlps_source_read(source, text, (size_t)source->size, 0, err);
    if (rc)
        return rc;
    for (uint64_t i = 0; i < source->size; i++)
        if (text[i] < '0' || text[i] > '9')
            return mlps_fail(err, -EPROTO,
                             "%s: byte at offset %" PRIu64
                             " is not a decimal digit: not a synthetic file",
                             source->name, i);
    for (uint64_t k = 0; k < params->samples_per_file; k++)
        extents[k] = (mlps_sample_extent){0, source->size};
    return 0;
}

const mlps_format mlps_format_synthetic = {
    .name = "synthetic",
    .extension = "synthetic",
    .write = synthetic_write,
    .file_size = synthetic_file_size,
    .locate_samples = synthetic_locate_samples,
};
