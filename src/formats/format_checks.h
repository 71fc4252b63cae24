/* Checks of the dataset parameters that every format of this directory makes: the
 * dataset.compression values it accepts, and array sizes that must fit 64 bits. Failures are
 * usage errors naming the key or the file. */
#ifndef MLPS_FORMATS_FORMAT_CHECKS_H
#define MLPS_FORMATS_FORMAT_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/format.h"

/* True for NULL, "" and "none". */
bool mlps_format_compression_is_none(const char *compression);

/* 0 when params->compression is none, else a usage error naming dataset.compression and the
 * format. */
int mlps_format_require_no_compression(const mlps_format_params *params, const char *format,
                                       mlps_error *err);

/* One sample's bytes (d1 * d2 * element_bytes) and the file's samples_per_file of them, or a
 * usage error naming the format and the file index when either overflows 64 bits. */
int mlps_format_array_bytes(const mlps_format_params *params, const mlps_format_file *file,
                            unsigned element_bytes, const char *format, uint64_t *sample_bytes,
                            uint64_t *array_bytes, mlps_error *err);

#endif
