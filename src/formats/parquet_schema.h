/* The columns of a parquet dataset file and how each is stored: parsed from
 * `dataset.parquet.columns` ([{name, dtype, size}]) or, without columns, the legacy single
 * `data` column of d1 * d2 uint8 per row. Shared by the writer (which lays pages out from it)
 * and the schema elements of the footer.
 *
 * Types follow what pyarrow writes for the reference's Arrow types: size 1 is a scalar column,
 * size > 1 a FixedSizeList, stored as Parquet's three-level LIST
 *     optional group <name> (LIST) { repeated group list { required <type> element; } }
 * Scalars are REQUIRED (no nulls are ever written, so no definition levels are needed).
 * 8- and 16-bit integers are Parquet INT32 with an INTEGER(bits, signed) annotation, float16 is
 * FIXED_LEN_BYTE_ARRAY(2) annotated FLOAT16, bool is BOOLEAN (bit-packed), binary is
 * BYTE_ARRAY of `size` random bytes per row. */
#ifndef MLPS_FORMATS_PARQUET_SCHEMA_H
#define MLPS_FORMATS_PARQUET_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/parquet_thrift.h"

/* Parquet physical types (parquet.thrift Type). */
enum mlps_parquet_type {
    MLPS_PARQUET_BOOLEAN = 0,
    MLPS_PARQUET_INT32 = 1,
    MLPS_PARQUET_INT64 = 2,
    MLPS_PARQUET_FLOAT = 4,
    MLPS_PARQUET_DOUBLE = 5,
    MLPS_PARQUET_BYTE_ARRAY = 6,
    MLPS_PARQUET_FIXED_LEN_BYTE_ARRAY = 7,
};

/* How a column's values are laid out in its data pages. */
enum mlps_parquet_value_layout {
    MLPS_PARQUET_RAW,        /* PLAIN, every bit pattern valid: value_bytes random bytes */
    MLPS_PARQUET_WIDENED,    /* PLAIN INT32 holding a random 16-bit integer, sign- or
                                zero-extended */
    MLPS_PARQUET_DICT8,      /* 8-bit integers: a 256-entry dictionary page, then one random
                                index byte per value (RLE_DICTIONARY, bit width 8) */
    MLPS_PARQUET_BITS,       /* PLAIN BOOLEAN: one random bit per value */
    MLPS_PARQUET_LENGTH_PREFIXED, /* PLAIN BYTE_ARRAY: 4-byte length, then size random bytes */
};

typedef struct mlps_parquet_field {
    char name[128];
    const char *dtype;       /* as configured: "float32", "int8", ... */
    uint64_t size;           /* elements per row (a list when is_list) */
    bool is_list;
    enum mlps_parquet_type type;
    int32_t type_length;     /* FIXED_LEN_BYTE_ARRAY only */
    int converted_type;      /* parquet.thrift ConvertedType, or -1 */
    int int_bits;            /* INTEGER logical type width, or 0 */
    bool int_signed;
    bool float16;            /* FLOAT16 logical type */
    enum mlps_parquet_value_layout layout;
    unsigned value_bytes;    /* bytes per value on disk (RAW, WIDENED, DICT8) */
    unsigned source_bytes;   /* random bytes per value before widening (WIDENED) */
} mlps_parquet_field;

typedef struct mlps_parquet_schema {
    mlps_parquet_field *columns;
    size_t count;
} mlps_parquet_schema;

/* Parses columns (NULL or an empty array: legacy mode, one `data` list of legacy_size uint8).
 * An unknown dtype, a duplicate or over-long name, or a size of 0 is a usage error naming
 * dataset.parquet.columns. */
int mlps_parquet_schema_parse(const json_t *columns, uint64_t legacy_size,
                              mlps_parquet_schema *schema, mlps_error *err);
void mlps_parquet_schema_free(mlps_parquet_schema *schema);

/* Leaf values of one row of the column (size for lists, 1 for scalars). */
uint64_t mlps_parquet_field_values_per_row(const mlps_parquet_field *column);
/* The repetition and definition levels' maximum values (0, 0 for scalars; 1, 2 for lists). */
uint32_t mlps_parquet_field_max_repetition(const mlps_parquet_field *column);
uint32_t mlps_parquet_field_max_definition(const mlps_parquet_field *column);

/* Appends the FileMetaData schema field (field 2): the root and every column's elements. */
void mlps_parquet_schema_encode(const mlps_parquet_schema *schema, mlps_thrift_writer *writer);
/* Appends the column's path_in_schema list field with the given field id. */
void mlps_parquet_field_encode_path(const mlps_parquet_field *column, int16_t id,
                                     mlps_thrift_writer *writer);

#endif
