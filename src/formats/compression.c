/* dataset.compression checks shared by the formats; see compression.h. */
#include "formats/compression.h"

#include <errno.h>
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
