/* Parquet column specifications: parsing dataset.parquet.columns into typed columns and
 * encoding them as the footer's schema elements; see parquet_schema.h. */
#include "formats/parquet_schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* parquet.thrift ConvertedType values used here. */
enum {
    CONVERTED_NONE = -1,
    CONVERTED_LIST = 3,
    CONVERTED_UINT_8 = 11,
    CONVERTED_UINT_16 = 12,
    CONVERTED_UINT_32 = 13,
    CONVERTED_UINT_64 = 14,
    CONVERTED_INT_8 = 15,
    CONVERTED_INT_16 = 16,
};

/* parquet.thrift FieldRepetitionType. */
enum { REQUIRED = 0, OPTIONAL = 1, REPEATED = 2 };

enum list_rule { SIZE_DECIDES, ALWAYS_LIST, ALWAYS_SCALAR };

typedef struct dtype_rule {
    const char *dtype;
    enum mlps_parquet_type type;
    int32_t type_length;
    int converted_type;
    int int_bits;
    bool int_signed;
    bool float16;
    enum mlps_parquet_value_layout layout;
    unsigned value_bytes;
    unsigned source_bytes;
    enum list_rule list_rule;
} dtype_rule;

/* The reference's dtypes; "list" is a float32 list whatever its size, and bool and binary are
 * scalars whatever the size says (binary: size random bytes per row), as the reference
 * generator treats them. */
static const dtype_rule dtype_rules[] = {
    {"float32", MLPS_PARQUET_FLOAT, 0, CONVERTED_NONE, 0, false, false, MLPS_PARQUET_RAW, 4, 4,
     SIZE_DECIDES},
    {"float64", MLPS_PARQUET_DOUBLE, 0, CONVERTED_NONE, 0, false, false, MLPS_PARQUET_RAW, 8, 8,
     SIZE_DECIDES},
    {"float16", MLPS_PARQUET_FIXED_LEN_BYTE_ARRAY, 2, CONVERTED_NONE, 0, false, true,
     MLPS_PARQUET_RAW, 2, 2, SIZE_DECIDES},
    {"int8", MLPS_PARQUET_INT32, 0, CONVERTED_INT_8, 8, true, false, MLPS_PARQUET_DICT8, 1, 1,
     SIZE_DECIDES},
    {"uint8", MLPS_PARQUET_INT32, 0, CONVERTED_UINT_8, 8, false, false, MLPS_PARQUET_DICT8, 1, 1,
     SIZE_DECIDES},
    {"int16", MLPS_PARQUET_INT32, 0, CONVERTED_INT_16, 16, true, false, MLPS_PARQUET_WIDENED, 4,
     2, SIZE_DECIDES},
    {"uint16", MLPS_PARQUET_INT32, 0, CONVERTED_UINT_16, 16, false, false, MLPS_PARQUET_WIDENED,
     4, 2, SIZE_DECIDES},
    {"int32", MLPS_PARQUET_INT32, 0, CONVERTED_NONE, 0, false, false, MLPS_PARQUET_RAW, 4, 4,
     SIZE_DECIDES},
    {"uint32", MLPS_PARQUET_INT32, 0, CONVERTED_UINT_32, 32, false, false, MLPS_PARQUET_RAW, 4, 4,
     SIZE_DECIDES},
    {"int64", MLPS_PARQUET_INT64, 0, CONVERTED_NONE, 0, false, false, MLPS_PARQUET_RAW, 8, 8,
     SIZE_DECIDES},
    {"uint64", MLPS_PARQUET_INT64, 0, CONVERTED_UINT_64, 64, false, false, MLPS_PARQUET_RAW, 8, 8,
     SIZE_DECIDES},
    {"list", MLPS_PARQUET_FLOAT, 0, CONVERTED_NONE, 0, false, false, MLPS_PARQUET_RAW, 4, 4,
     ALWAYS_LIST},
    {"bool", MLPS_PARQUET_BOOLEAN, 0, CONVERTED_NONE, 0, false, false, MLPS_PARQUET_BITS, 0, 0,
     ALWAYS_SCALAR},
    {"binary", MLPS_PARQUET_BYTE_ARRAY, 0, CONVERTED_NONE, 0, false, false,
     MLPS_PARQUET_LENGTH_PREFIXED, 0, 0, ALWAYS_SCALAR},
};

static const dtype_rule *find_dtype(const char *dtype)
{
    for (size_t i = 0; i < sizeof dtype_rules / sizeof dtype_rules[0]; i++)
        if (strcmp(dtype_rules[i].dtype, dtype) == 0)
            return &dtype_rules[i];
    return NULL;
}

static int unknown_dtype(size_t index, const char *dtype, mlps_error *err)
{
    char valid[256] = "";
    for (size_t i = 0; i < sizeof dtype_rules / sizeof dtype_rules[0]; i++) {
        strncat(valid, i ? ", " : "", sizeof valid - strlen(valid) - 1);
        strncat(valid, dtype_rules[i].dtype, sizeof valid - strlen(valid) - 1);
    }
    return mlps_fail_usage(err, -EINVAL,
                           "dataset.parquet.columns[%zu].dtype '%s' is not supported (valid: %s)",
                           index, dtype, valid);
}

static void apply_rule(mlps_parquet_field *column, const dtype_rule *rule, uint64_t size)
{
    column->dtype = rule->dtype;
    column->size = size;
    column->is_list = rule->list_rule == ALWAYS_LIST ||
                      (rule->list_rule == SIZE_DECIDES && size > 1);
    if (rule->list_rule == ALWAYS_SCALAR && rule->layout != MLPS_PARQUET_LENGTH_PREFIXED)
        column->size = 1;
    column->type = rule->type;
    column->type_length = rule->type_length;
    column->converted_type = rule->converted_type;
    column->int_bits = rule->int_bits;
    column->int_signed = rule->int_signed;
    column->float16 = rule->float16;
    column->layout = rule->layout;
    column->value_bytes = rule->value_bytes;
    column->source_bytes = rule->source_bytes;
}

/* Reads one column spec: an object {name, dtype, size} with the reference's defaults ("data",
 * "float32", 1) or a bare string naming a float32 scalar column. */
static int parse_column(const json_t *spec, size_t index, mlps_parquet_field *column,
                        mlps_error *err)
{
    const char *name = "data", *dtype = "float32";
    json_int_t size = 1;
    if (json_is_string(spec)) {
        name = json_string_value(spec);
    } else if (json_is_object(spec)) {
        const json_t *value;
        if ((value = json_object_get(spec, "name")) && !(name = json_string_value(value)))
            return mlps_fail_usage(err, -EINVAL,
                                   "dataset.parquet.columns[%zu].name must be a string", index);
        if ((value = json_object_get(spec, "dtype")) && !(dtype = json_string_value(value)))
            return mlps_fail_usage(err, -EINVAL,
                                   "dataset.parquet.columns[%zu].dtype must be a string", index);
        if ((value = json_object_get(spec, "size"))) {
            if (!json_is_integer(value) || json_integer_value(value) < 1)
                return mlps_fail_usage(err, -EINVAL,
                                       "dataset.parquet.columns[%zu].size must be an integer >= 1",
                                       index);
            size = json_integer_value(value);
        }
    } else {
        return mlps_fail_usage(err, -EINVAL,
                               "dataset.parquet.columns[%zu] must be a mapping {name, dtype, size} "
                               "or a column name", index);
    }
    if (!*name || strlen(name) >= sizeof column->name)
        return mlps_fail_usage(err, -EINVAL,
                               "dataset.parquet.columns[%zu].name must have 1 to %zu characters",
                               index, sizeof column->name - 1);
    const dtype_rule *rule = find_dtype(dtype);
    if (!rule)
        return unknown_dtype(index, dtype, err);
    strcpy(column->name, name);
    apply_rule(column, rule, (uint64_t)size);
    return 0;
}

static int check_unique_names(const mlps_parquet_schema *schema, mlps_error *err)
{
    for (size_t i = 0; i < schema->count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(schema->columns[i].name, schema->columns[j].name) == 0)
                return mlps_fail_usage(err, -EINVAL,
                                       "dataset.parquet.columns[%zu].name '%s' repeats "
                                       "columns[%zu]; column names must be unique",
                                       i, schema->columns[i].name, j);
    return 0;
}

int mlps_parquet_schema_parse(const json_t *columns, uint64_t legacy_size,
                              mlps_parquet_schema *schema, mlps_error *err)
{
    memset(schema, 0, sizeof *schema);
    if (columns && !json_is_array(columns))
        return mlps_fail_usage(err, -EINVAL,
                               "dataset.parquet.columns must be a list of {name, dtype, size}");
    size_t count = columns ? json_array_size(columns) : 0;
    schema->columns = calloc(count ? count : 1, sizeof *schema->columns);
    if (!schema->columns)
        return mlps_fail(err, -ENOMEM, "out of memory for %zu parquet columns", count);
    if (!count) {
        if (legacy_size < 1)
            return mlps_fail_usage(err, -EINVAL, "parquet legacy mode needs samples of at least "
                                   "one element (d1 x d2 is 0)");
        schema->count = 1;
        strcpy(schema->columns[0].name, "data");
        apply_rule(&schema->columns[0], find_dtype("uint8"), legacy_size);
        schema->columns[0].is_list = true;
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        int rc = parse_column(json_array_get(columns, i), i, &schema->columns[i], err);
        if (rc) {
            mlps_parquet_schema_free(schema);
            return rc;
        }
        schema->count = i + 1;
    }
    int rc = check_unique_names(schema, err);
    if (rc)
        mlps_parquet_schema_free(schema);
    return rc;
}

void mlps_parquet_schema_free(mlps_parquet_schema *schema)
{
    free(schema->columns);
    memset(schema, 0, sizeof *schema);
}

uint64_t mlps_parquet_field_values_per_row(const mlps_parquet_field *column)
{
    return column->is_list ? column->size : 1;
}

uint32_t mlps_parquet_field_max_repetition(const mlps_parquet_field *column)
{
    return column->is_list ? 1 : 0;
}

uint32_t mlps_parquet_field_max_definition(const mlps_parquet_field *column)
{
    return column->is_list ? 2 : 0;
}

/* SchemaElement field ids. */
enum {
    ELEMENT_TYPE = 1,
    ELEMENT_TYPE_LENGTH = 2,
    ELEMENT_REPETITION = 3,
    ELEMENT_NAME = 4,
    ELEMENT_NUM_CHILDREN = 5,
    ELEMENT_CONVERTED_TYPE = 6,
    ELEMENT_LOGICAL_TYPE = 10,
};

/* LogicalType union members. */
enum { LOGICAL_LIST = 3, LOGICAL_INTEGER = 10, LOGICAL_FLOAT16 = 15 };

static void encode_group(mlps_thrift_writer *writer, int repetition, const char *name,
                         int32_t children, bool list)
{
    mlps_thrift_begin_struct_element(writer);
    mlps_thrift_write_i32(writer, ELEMENT_REPETITION, repetition);
    mlps_thrift_write_string(writer, ELEMENT_NAME, name);
    mlps_thrift_write_i32(writer, ELEMENT_NUM_CHILDREN, children);
    if (list) {
        mlps_thrift_write_i32(writer, ELEMENT_CONVERTED_TYPE, CONVERTED_LIST);
        mlps_thrift_begin_struct(writer, ELEMENT_LOGICAL_TYPE);
        mlps_thrift_begin_struct(writer, LOGICAL_LIST);
        mlps_thrift_end_struct(writer);
        mlps_thrift_end_struct(writer);
    }
    mlps_thrift_end_struct(writer);
}

static void encode_logical_type(const mlps_parquet_field *column, mlps_thrift_writer *writer)
{
    if (!column->int_bits && !column->float16)
        return;
    mlps_thrift_begin_struct(writer, ELEMENT_LOGICAL_TYPE);
    if (column->float16) {
        mlps_thrift_begin_struct(writer, LOGICAL_FLOAT16);
    } else {
        mlps_thrift_begin_struct(writer, LOGICAL_INTEGER);
        mlps_thrift_write_i8(writer, 1, (int8_t)column->int_bits);
        mlps_thrift_write_bool(writer, 2, column->int_signed);
    }
    mlps_thrift_end_struct(writer);
    mlps_thrift_end_struct(writer);
}

static void encode_leaf(const mlps_parquet_field *column, const char *name,
                        mlps_thrift_writer *writer)
{
    mlps_thrift_begin_struct_element(writer);
    mlps_thrift_write_i32(writer, ELEMENT_TYPE, column->type);
    if (column->type == MLPS_PARQUET_FIXED_LEN_BYTE_ARRAY)
        mlps_thrift_write_i32(writer, ELEMENT_TYPE_LENGTH, column->type_length);
    mlps_thrift_write_i32(writer, ELEMENT_REPETITION, REQUIRED);
    mlps_thrift_write_string(writer, ELEMENT_NAME, name);
    if (column->converted_type != CONVERTED_NONE)
        mlps_thrift_write_i32(writer, ELEMENT_CONVERTED_TYPE, column->converted_type);
    encode_logical_type(column, writer);
    mlps_thrift_end_struct(writer);
}

void mlps_parquet_schema_encode(const mlps_parquet_schema *schema, mlps_thrift_writer *writer)
{
    uint64_t elements = 1;
    for (size_t i = 0; i < schema->count; i++)
        elements += schema->columns[i].is_list ? 3 : 1;
    mlps_thrift_begin_list(writer, 2, MLPS_THRIFT_STRUCT, elements);
    mlps_thrift_begin_struct_element(writer);
    mlps_thrift_write_string(writer, ELEMENT_NAME, "schema");
    mlps_thrift_write_i32(writer, ELEMENT_NUM_CHILDREN, (int32_t)schema->count);
    mlps_thrift_end_struct(writer);
    for (size_t i = 0; i < schema->count; i++) {
        const mlps_parquet_field *column = &schema->columns[i];
        if (column->is_list) {
            encode_group(writer, OPTIONAL, column->name, 1, true);
            encode_group(writer, REPEATED, "list", 1, false);
            encode_leaf(column, "element", writer);
        } else {
            encode_leaf(column, column->name, writer);
        }
    }
}

void mlps_parquet_field_encode_path(const mlps_parquet_field *column, int16_t id,
                                     mlps_thrift_writer *writer)
{
    mlps_thrift_begin_list(writer, id, MLPS_THRIFT_BINARY, column->is_list ? 3 : 1);
    mlps_thrift_element_string(writer, column->name);
    if (column->is_list) {
        mlps_thrift_element_string(writer, "list");
        mlps_thrift_element_string(writer, "element");
    }
}
