/* What the jpeg and png formats share: a file is one 8-bit grayscale noise image of d1 rows by
 * d2 columns (the reference's PIL.Image.fromarray of a (d1, d2) uint8 array, so a reader sees
 * width d2 and height d1), its pixels mlps_fill_random_at(seed, file index, row * d2); and
 * every sample of such a file is the whole file. */
#ifndef MLPS_FORMATS_IMAGE_H
#define MLPS_FORMATS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/format.h"

/* A usage error unless 1 <= d1, d2 <= max_side (the encoder's limit). */
int mlps_image_check_size(const char *format, const mlps_format_file *file, uint64_t max_side,
                          mlps_error *err);

/* Fills rows [first_row, first_row + rows) of the image, d2 bytes each, into out. */
void mlps_image_fill_rows(unsigned char *out, uint64_t first_row, uint64_t rows,
                          const mlps_format_params *params, const mlps_format_file *file);

/* The signature and trailer that bracket a complete image file of this format. */
typedef struct mlps_image_marks {
    const char *format; /* "jpeg", for messages */
    const unsigned char *head;
    size_t head_len;
    const char *head_name; /* "SOI marker", for messages */
    const unsigned char *tail; /* the last tail_len bytes of a complete file */
    size_t tail_len;
    const char *tail_name; /* "EOI marker", for messages */
} mlps_image_marks;

/* Checks the signature at offset 0 and the trailer at the end, then gives every one of the
 * params->samples_per_file samples the whole file as its extent. */
int mlps_image_locate(const mlps_image_marks *marks, const mlps_format_params *params,
                      const mlps_source *source, mlps_sample_extent *extents, mlps_error *err);

#endif
