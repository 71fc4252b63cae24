/* Shared parts of the image formats (jpeg.c, png.c): sizes, pixels and the whole-file sample
 * locator; see image.h. */
#include "formats/image.h"

#include <errno.h>
#include <string.h>

#include "core/fill.h"

int mlps_image_check_size(const char *format, const mlps_format_file *file, uint64_t max_side,
                          mlps_error *err)
{
    if (file->d1 < 1 || file->d2 < 1 || file->d1 > max_side || file->d2 > max_side)
        return mlps_fail_usage(err, -EINVAL,
                               "a %s image of %llu x %llu pixels is not possible: each side "
                               "must be 1 to %llu (from dataset.record_length_bytes)",
                               format, (unsigned long long)file->d1,
                               (unsigned long long)file->d2, (unsigned long long)max_side);
    return 0;
}

void mlps_image_fill_rows(unsigned char *out, uint64_t first_row, uint64_t rows,
                          const mlps_format_params *params, const mlps_format_file *file)
{
    mlps_fill_random_at(out, (size_t)(rows * file->d2), params->seed, file->index,
                        first_row * file->d2);
}

static int check_bytes(const mlps_image_marks *marks, const mlps_source *source,
                       const unsigned char *expected, size_t len, uint64_t offset,
                       const char *what, mlps_error *err)
{
    unsigned char found[16];
    int rc = mlps_source_read(source, found, len, offset, err);
    if (rc)
        return rc;
    if (memcmp(found, expected, len) != 0)
        return mlps_fail(err, -EBADMSG, "%s: %s %s file: no %s at offset %llu", source->name,
                         offset ? "truncated or corrupt" : "not a", marks->format, what,
                         (unsigned long long)offset);
    return 0;
}

int mlps_image_locate(const mlps_image_marks *marks, const mlps_format_params *params,
                      const mlps_source *source, mlps_sample_extent *extents, mlps_error *err)
{
    if (source->size < marks->head_len + marks->tail_len)
        return mlps_fail(err, -EBADMSG, "%s: truncated: %llu bytes is too short for a %s file",
                         source->name, (unsigned long long)source->size, marks->format);
    int rc = check_bytes(marks, source, marks->head, marks->head_len, 0, marks->head_name, err);
    if (!rc)
        rc = check_bytes(marks, source, marks->tail, marks->tail_len,
                         source->size - marks->tail_len, marks->tail_name, err);
    if (rc)
        return rc;
    for (uint64_t i = 0; i < params->samples_per_file; i++)
        extents[i] = (mlps_sample_extent){0, source->size};
    return 0;
}
