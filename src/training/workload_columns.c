/* Parquet columns of a workload (dataset.parquet.columns): each entry names a column, its numpy
 * dtype and how many elements a row holds. The list decides both what the parquet writer lays
 * out and the record size the metrics count (761 B per row for dlrm, 2,164,832 B for flux). */
#include "training/workload_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COLUMNS_KEY "dataset.parquet.columns"
#define VALID_COLUMN_FIELDS "name, dtype, size, read"

static bool is_column_field(const char *name)
{
    static const char *const fields[] = {"name", "dtype", "size", "read", NULL};
    for (const char *const *field = fields; *field; field++)
        if (strcmp(*field, name) == 0)
            return true;
    return false;
}

static int check_fields(const json_t *entry, size_t index, mlps_error *err)
{
    const char *name;
    json_t *value;
    json_object_foreach ((json_t *)entry, name, value) {
        if (!is_column_field(name))
            return mlps_fail_usage(err, -EINVAL, "config key '%s' entry %zu has no field '%s' "
                                   "(valid: %s)", COLUMNS_KEY, index, name, VALID_COLUMN_FIELDS);
    }
    const json_t *read = json_object_get(entry, "read");
    if (read && !json_is_boolean(read))
        return mlps_fail_usage(err, -EINVAL, "config key '%s' entry %zu: 'read' must be true "
                               "or false", COLUMNS_KEY, index);
    return 0;
}

/* name (required), dtype (numpy numeric or bool, float32 when absent, as DLIO), size (>= 1). */
static int read_column(const json_t *entry, size_t index, mlps_parquet_column *column,
                       mlps_error *err)
{
    if (!json_is_object(entry))
        return mlps_fail_usage(err, -EINVAL, "config key '%s' entry %zu must be a mapping with "
                               "fields %s", COLUMNS_KEY, index, VALID_COLUMN_FIELDS);
    int rc = check_fields(entry, index, err);
    if (rc != 0)
        return rc;
    column->name = json_string_value(json_object_get(entry, "name"));
    if (!column->name || !*column->name)
        return mlps_fail_usage(err, -EINVAL, "config key '%s' entry %zu needs a 'name'",
                               COLUMNS_KEY, index);
    const json_t *dtype = json_object_get(entry, "dtype");
    column->dtype = dtype ? json_string_value(dtype) : "float32";
    column->element_bytes = column->dtype ? mlps_element_bytes(column->dtype) : 0;
    if (!column->element_bytes)
        return mlps_fail_usage(err, -EINVAL, "config key '%s' column '%s': dtype must be one of "
                               "uint8, int8, bool, uint16, int16, float16, uint32, int32, "
                               "float32, uint64, int64, float64", COLUMNS_KEY, column->name);
    const json_t *size = json_object_get(entry, "size");
    column->size = 1;
    if (size && (!json_is_integer(size) || json_integer_value(size) < 1))
        return mlps_fail_usage(err, -EINVAL, "config key '%s' column '%s': size must be an "
                               "integer of at least 1", COLUMNS_KEY, column->name);
    if (size)
        column->size = (uint64_t)json_integer_value(size);
    return 0;
}

static int check_unique(const mlps_parquet_column *columns, size_t count, mlps_error *err)
{
    for (size_t i = 1; i < count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(columns[i].name, columns[j].name) == 0)
                return mlps_fail_usage(err, -EINVAL, "config key '%s' names column '%s' twice "
                                       "(entries %zu and %zu)", COLUMNS_KEY, columns[i].name, j,
                                       i);
    return 0;
}

static json_t *columns_to_json(const mlps_parquet_column *columns, size_t count)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < count; i++) {
        json_t *entry = json_pack("{s:s, s:s, s:I}", "name", columns[i].name, "dtype",
                                  columns[i].dtype, "size", (json_int_t)columns[i].size);
        if (json_array_append_new(list, entry) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static int fill_columns(const json_t *list, mlps_parquet_column *columns, mlps_error *err)
{
    size_t index;
    const json_t *entry;
    json_array_foreach (list, index, entry) {
        int rc = read_column(entry, index, &columns[index], err);
        if (rc != 0)
            return rc;
    }
    return check_unique(columns, json_array_size(list), err);
}

int mlps_workload_read_columns(const json_t *list, mlps_workload_dataset *dataset,
                               mlps_error *err)
{
    dataset->parquet_columns = NULL;
    dataset->parquet_column_count = 0;
    dataset->parquet_columns_json = NULL;
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return mlps_fail_usage(err, -EINVAL, "config key '%s' must be a list of columns with "
                               "fields %s", COLUMNS_KEY, VALID_COLUMN_FIELDS);
    size_t count = json_array_size(list);
    if (count == 0)
        return 0;
    mlps_parquet_column *columns = calloc(count, sizeof *columns);
    if (!columns)
        return mlps_fail(err, -ENOMEM, "out of memory reading '%s'", COLUMNS_KEY);
    int rc = fill_columns(list, columns, err);
    json_t *normalised = rc == 0 ? columns_to_json(columns, count) : NULL;
    if (rc == 0 && !normalised)
        rc = mlps_fail(err, -ENOMEM, "out of memory reading '%s'", COLUMNS_KEY);
    if (rc != 0) {
        free(columns);
        return rc;
    }
    dataset->parquet_columns = columns;
    dataset->parquet_column_count = count;
    dataset->parquet_columns_json = normalised;
    return 0;
}

void mlps_workload_free_columns(mlps_workload_dataset *dataset)
{
    free((void *)dataset->parquet_columns);
    json_decref(dataset->parquet_columns_json);
    dataset->parquet_columns = NULL;
    dataset->parquet_column_count = 0;
    dataset->parquet_columns_json = NULL;
}
