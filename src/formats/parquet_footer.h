/* Reading a parquet file's footer back: the magic numbers, the footer length and, from the
 * Thrift compact FileMetaData, the row count and every row group's rows and byte span (the
 * union of its column chunks, dictionary pages included). Used by the sample locator. */
#ifndef MLPS_FORMATS_PARQUET_FOOTER_H
#define MLPS_FORMATS_PARQUET_FOOTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/format.h"

typedef struct mlps_parquet_row_group {
    uint64_t offset; /* first byte of its first column chunk */
    uint64_t length; /* to the end of its last column chunk */
    uint64_t rows;
} mlps_parquet_row_group;

typedef struct mlps_parquet_footer {
    uint64_t num_rows;
    mlps_parquet_row_group *groups;
    size_t count;
    uint64_t offset; /* where the FileMetaData starts */
    uint64_t length; /* its length in bytes */
} mlps_parquet_footer;

/* Reads and checks the footer through source: "PAR1" at both ends, a footer length that fits,
 * a FileMetaData that decodes, column chunks inside the data region and row counts that add
 * up. Errors name the file and the offset of the offending bytes. */
int mlps_parquet_read_footer(const mlps_source *source, mlps_parquet_footer *footer,
                             mlps_error *err);
void mlps_parquet_footer_free(mlps_parquet_footer *footer);

#endif
