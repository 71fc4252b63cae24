/* Loading a training workload (the shipped file of a model and accelerator, or one's own, plus
 * -p overrides) and the values derived from it that several training modules share: the record
 * size the metrics count, element sizes, and the parameters of the format layer. */
#include "training/workload.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "core/configs_dir.h"

static int resolve_path(const mlps_workload_source *source, char *path, size_t size,
                        mlps_error *err)
{
    if (source->file)
        return mlps_config_file_given(source->file, path, size, err);
    if (!source->model)
        return mlps_fail_usage(err, -EINVAL, "no workload given: name a model (and an "
                               "accelerator) or a workload file");
    char configs[PATH_MAX];
    const char *dir;
    int rc = mlps_configs_dir_or_found(source->configs_dir, "training", configs, sizeof configs,
                                       &dir, err);
    return rc ? rc : mlps_workload_config_path(source->model, source->accelerator, dir, path,
                                               size, err);
}

int mlps_workload_load(const mlps_workload_source *source, mlps_workload *out, mlps_error *err)
{
    *out = (mlps_workload){0};
    char path[PATH_MAX];
    int rc = resolve_path(source, path, sizeof path, err);
    if (rc != 0)
        return rc;
    mlps_config *cfg = NULL;
    rc = mlps_config_load(mlps_workload_schema(), path, source->overrides, source->override_count,
                          &cfg, err);
    if (rc != 0)
        return rc;
    return mlps_workload_read(cfg, out, err);
}

int mlps_workload_require_format(const mlps_workload *workload, const mlps_format **out,
                                 mlps_error *err)
{
    *out = workload->dataset.format;
    if (!*out)
        return mlps_format_unknown(workload->dataset.format_name, err);
    return 0;
}

double mlps_workload_record_bytes(const mlps_workload *workload)
{
    const mlps_workload_dataset *d = &workload->dataset;
    if (d->parquet_column_count == 0)
        return d->record_length_bytes;
    uint64_t row = 0;
    for (size_t i = 0; i < d->parquet_column_count; i++)
        row += d->parquet_columns[i].size * d->parquet_columns[i].element_bytes;
    return (double)row;
}

unsigned mlps_element_bytes(const char *numpy_type)
{
    static const struct {
        const char *name;
        unsigned bytes;
    } types[] = {
        {"uint8", 1},   {"int8", 1},    {"bool", 1},    {"uint16", 2},
        {"int16", 2},   {"float16", 2}, {"uint32", 4},  {"int32", 4},
        {"float32", 4}, {"uint64", 8},  {"int64", 8},   {"float64", 8},
    };
    for (size_t i = 0; numpy_type && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, numpy_type) == 0)
            return types[i].bytes;
    return 0;
}

void mlps_workload_format_params(const mlps_workload *workload, mlps_format_params *out)
{
    const mlps_workload_dataset *d = &workload->dataset;
    *out = (mlps_format_params){
        .samples_per_file = d->num_samples_per_file,
        .element_bytes = d->element_bytes,
        .element_type = d->record_element_type,
        .compression = d->compression,
        .enable_chunking = d->enable_chunking,
        .chunk_size = d->chunk_size,
        .num_dset_per_record = (unsigned)d->num_dset_per_record,
        .parquet_columns = d->parquet_columns_json,
        .parquet_row_group_size = d->parquet_row_group_size,
        .seed = workload->train.seed,
    };
}
