/* Parameter checks shared by the formats; see format_checks.h. */
#include "formats/format_checks.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

bool mlps_format_compression_is_none(const char *compression)
{
    return !compression || !compression[0] || strcmp(compression, "none") == 0;
}

int mlps_format_require_no_compression(const mlps_format_params *params, const char *format,
                                       mlps_error *err)
{
    if (mlps_format_compression_is_none(params->compression))
        return 0;
    return mlps_fail_usage(err, -EINVAL,
                           "dataset.compression '%s' is not supported for %s (valid: none)",
                           params->compression, format);
}

static bool multiply(uint64_t a, uint64_t b, uint64_t *product)
{
    return !__builtin_mul_overflow(a, b, product);
}

int mlps_format_array_bytes(const mlps_format_params *params, const mlps_format_file *file,
                            unsigned element_bytes, const char *format, uint64_t *sample_bytes,
                            uint64_t *array_bytes, mlps_error *err)
{
    uint64_t elements;
    if (multiply(file->d1, file->d2, &elements) &&
        multiply(elements, element_bytes, sample_bytes) &&
        multiply(*sample_bytes, params->samples_per_file, array_bytes))
        return 0;
    return mlps_fail_usage(err, -EOVERFLOW,
                           "%s file %" PRIu64 ": %" PRIu64 " x %" PRIu64 " x %u bytes x %" PRIu64
                           " samples overflows 64 bits",
                           format, file->index, file->d1, file->d2, element_bytes,
                           params->samples_per_file);
}
