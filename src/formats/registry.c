/* The table of dataset formats, looked up by the `dataset.format` value. */
#include <errno.h>
#include <string.h>

#include "core/suggest.h"
#include "formats/format.h"

extern const mlps_format mlps_format_csv;
extern const mlps_format mlps_format_indexed_binary;
extern const mlps_format mlps_format_npy;
extern const mlps_format mlps_format_npz;
extern const mlps_format mlps_format_synthetic;
extern const mlps_format mlps_format_tfrecord;
extern const mlps_format mlps_format_jpeg;
extern const mlps_format mlps_format_png;
extern const mlps_format mlps_format_hdf5;
extern const mlps_format mlps_format_parquet;

static const mlps_format *const formats[] = {
    &mlps_format_npz,
    &mlps_format_npy,
    &mlps_format_tfrecord,
    &mlps_format_csv,
    &mlps_format_indexed_binary,
    &mlps_format_synthetic,
    &mlps_format_jpeg,
    &mlps_format_png,
    &mlps_format_hdf5,
    &mlps_format_parquet,
    NULL,
};

const mlps_format *mlps_format_find(const char *name)
{
    for (size_t i = 0; formats[i]; i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}

int mlps_format_unknown(const char *name, mlps_error *err)
{
    const char *names[32] = {0};
    size_t count = 0;
    char valid[256] = "";
    for (; formats[count] && count < 32; count++) {
        names[count] = formats[count]->name;
        strncat(valid, count ? ", " : "", sizeof valid - strlen(valid) - 1);
        strncat(valid, names[count], sizeof valid - strlen(valid) - 1);
    }
    const char *nearest = mlps_nearest_name(name, names, count);
    return mlps_fail_usage(err, -EINVAL, "unknown dataset.format '%s'%s%s%s (valid: %s)", name,
                           nearest ? "; did you mean '" : "", nearest ? nearest : "",
                           nearest ? "'?" : "", valid);
}
