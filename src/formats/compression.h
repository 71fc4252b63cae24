/* dataset.compression as the formats of this directory see it: most accept only "none" (or no
 * value), and say so as a usage error naming the key. */
#ifndef MLPS_FORMATS_COMPRESSION_H
#define MLPS_FORMATS_COMPRESSION_H

#include <stdbool.h>

#include "core/error.h"
#include "formats/format.h"

/* True for NULL, "" and "none". */
bool mlps_format_compression_is_none(const char *compression);

/* 0 when params->compression is none, else a usage error naming dataset.compression and the
 * format. */
int mlps_format_require_no_compression(const mlps_format_params *params, const char *format,
                                       mlps_error *err);

#endif
