/* Parquet footer reader for the sample locator: decodes just the FileMetaData fields that say
 * where row groups lie (num_rows; per row group its rows and column chunks' page offsets and
 * sizes) and skips everything else; see parquet_footer.h. */
#include "formats/parquet_footer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/parquet_thrift.h"

enum { MAGIC_BYTES = 4, TAIL_BYTES = 8 };

/* FileMetaData, RowGroup, ColumnChunk and ColumnMetaData field ids that matter here. */
enum {
    FILE_NUM_ROWS = 3,
    FILE_ROW_GROUPS = 4,
    GROUP_COLUMNS = 1,
    GROUP_NUM_ROWS = 3,
    CHUNK_FILE_PATH = 1,
    CHUNK_META_DATA = 3,
    META_TOTAL_COMPRESSED_SIZE = 7,
    META_DATA_PAGE_OFFSET = 9,
    META_DICTIONARY_PAGE_OFFSET = 11,
};

/* What decoding one row group needs besides the reader. */
typedef struct footer_context {
    mlps_thrift_reader reader;
    uint64_t data_end; /* column chunks must lie in [MAGIC_BYTES, data_end) */
    size_t group;      /* the row group being decoded, for messages */
} footer_context;

/* Reads an integer field's value, requiring a non-negative one. */
static int read_count(footer_context *context, enum mlps_thrift_type type, const char *field,
                      uint64_t *value)
{
    int64_t raw;
    int rc = mlps_thrift_read_int(&context->reader, type, &raw);
    if (rc)
        return rc;
    if (raw < 0) {
        char problem[128];
        snprintf(problem, sizeof problem, "%s is negative (%lld)", field, (long long)raw);
        return mlps_thrift_fail(&context->reader, problem);
    }
    *value = (uint64_t)raw;
    return 0;
}

static int expect_type(footer_context *context, enum mlps_thrift_type type,
                       enum mlps_thrift_type expected, const char *field)
{
    if (type == expected)
        return 0;
    char problem[128];
    snprintf(problem, sizeof problem, "field %s has compact type %d, expected %d", field, type,
             expected);
    return mlps_thrift_fail(&context->reader, problem);
}

/* ColumnMetaData: the chunk's first page (the dictionary page when there is one) and size. */
static int decode_column_meta(footer_context *context, uint64_t *start, uint64_t *end)
{
    uint64_t data = 0, dictionary = 0, size = 0;
    bool have_data = false, have_size = false;
    int16_t last = 0;
    for (;;) {
        enum mlps_thrift_type type;
        int16_t id;
        int rc = mlps_thrift_read_field(&context->reader, &last, &type, &id);
        if (rc)
            return rc;
        if (type == MLPS_THRIFT_STOP)
            break;
        if (id == META_DATA_PAGE_OFFSET) {
            rc = read_count(context, type, "data_page_offset", &data);
            have_data = true;
        } else if (id == META_DICTIONARY_PAGE_OFFSET) {
            rc = read_count(context, type, "dictionary_page_offset", &dictionary);
        } else if (id == META_TOTAL_COMPRESSED_SIZE) {
            rc = read_count(context, type, "total_compressed_size", &size);
            have_size = true;
        } else {
            rc = mlps_thrift_skip(&context->reader, type);
        }
        if (rc)
            return rc;
    }
    if (!have_data || !have_size)
        return mlps_thrift_fail(&context->reader, "column metadata lacks data_page_offset or "
                                "total_compressed_size");
    /* Some writers put 0 in dictionary_page_offset when there is no dictionary. */
    *start = dictionary && dictionary < data ? dictionary : data;
    *end = *start + size;
    if (*start < MAGIC_BYTES || *end < *start || *end > context->data_end) {
        char problem[192];
        snprintf(problem, sizeof problem, "row group %zu has a column chunk at [%llu, %llu), "
                 "outside the data region [%d, %llu)", context->group,
                 (unsigned long long)*start, (unsigned long long)*end, MAGIC_BYTES,
                 (unsigned long long)context->data_end);
        return mlps_thrift_fail(&context->reader, problem);
    }
    return 0;
}

static int decode_column_chunk(footer_context *context, uint64_t *start, uint64_t *end)
{
    bool have_meta = false;
    int16_t last = 0;
    for (;;) {
        enum mlps_thrift_type type;
        int16_t id;
        int rc = mlps_thrift_read_field(&context->reader, &last, &type, &id);
        if (rc)
            return rc;
        if (type == MLPS_THRIFT_STOP)
            break;
        if (id == CHUNK_FILE_PATH)
            return mlps_thrift_fail(&context->reader, "a column chunk lives in another file "
                                    "(file_path), which is not supported");
        if (id == CHUNK_META_DATA) {
            rc = expect_type(context, type, MLPS_THRIFT_STRUCT, "ColumnChunk.meta_data");
            if (!rc)
                rc = decode_column_meta(context, start, end);
            have_meta = true;
        } else {
            rc = mlps_thrift_skip(&context->reader, type);
        }
        if (rc)
            return rc;
    }
    return have_meta ? 0 : mlps_thrift_fail(&context->reader, "a column chunk has no metadata");
}

static int decode_columns(footer_context *context, mlps_parquet_row_group *group)
{
    enum mlps_thrift_type element;
    uint64_t count;
    int rc = mlps_thrift_read_list(&context->reader, &element, &count);
    if (!rc)
        rc = expect_type(context, element, MLPS_THRIFT_STRUCT, "RowGroup.columns");
    if (rc)
        return rc;
    if (!count)
        return mlps_thrift_fail(&context->reader, "a row group has no column chunks");
    uint64_t first = UINT64_MAX, last = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t start = 0, end = 0;
        if ((rc = decode_column_chunk(context, &start, &end)))
            return rc;
        first = start < first ? start : first;
        last = end > last ? end : last;
    }
    group->offset = first;
    group->length = last - first;
    return 0;
}

static int decode_row_group(footer_context *context, mlps_parquet_row_group *group)
{
    bool have_columns = false, have_rows = false;
    int16_t last = 0;
    for (;;) {
        enum mlps_thrift_type type;
        int16_t id;
        int rc = mlps_thrift_read_field(&context->reader, &last, &type, &id);
        if (rc)
            return rc;
        if (type == MLPS_THRIFT_STOP)
            break;
        if (id == GROUP_COLUMNS) {
            rc = expect_type(context, type, MLPS_THRIFT_LIST, "RowGroup.columns");
            if (!rc)
                rc = decode_columns(context, group);
            have_columns = true;
        } else if (id == GROUP_NUM_ROWS) {
            rc = read_count(context, type, "RowGroup.num_rows", &group->rows);
            have_rows = true;
        } else {
            rc = mlps_thrift_skip(&context->reader, type);
        }
        if (rc)
            return rc;
    }
    if (!have_columns || !have_rows)
        return mlps_thrift_fail(&context->reader, "a row group lacks columns or num_rows");
    return 0;
}

static int decode_row_groups(footer_context *context, mlps_parquet_footer *footer)
{
    enum mlps_thrift_type element;
    uint64_t count;
    int rc = mlps_thrift_read_list(&context->reader, &element, &count);
    if (!rc)
        rc = expect_type(context, element, MLPS_THRIFT_STRUCT, "FileMetaData.row_groups");
    if (rc)
        return rc;
    free(footer->groups);
    footer->count = 0;
    footer->groups = calloc(count ? (size_t)count : 1, sizeof *footer->groups);
    if (!footer->groups)
        return mlps_fail(context->reader.err, -ENOMEM, "out of memory for %llu row groups",
                         (unsigned long long)count);
    for (uint64_t i = 0; i < count; i++) {
        context->group = (size_t)i;
        if ((rc = decode_row_group(context, &footer->groups[i])))
            return rc;
        footer->count = (size_t)i + 1;
    }
    return 0;
}

static int decode_file_metadata(footer_context *context, mlps_parquet_footer *footer)
{
    bool have_rows = false, have_groups = false;
    int16_t last = 0;
    for (;;) {
        enum mlps_thrift_type type;
        int16_t id;
        int rc = mlps_thrift_read_field(&context->reader, &last, &type, &id);
        if (rc)
            return rc;
        if (type == MLPS_THRIFT_STOP)
            break;
        if (id == FILE_NUM_ROWS) {
            rc = read_count(context, type, "FileMetaData.num_rows", &footer->num_rows);
            have_rows = true;
        } else if (id == FILE_ROW_GROUPS) {
            rc = expect_type(context, type, MLPS_THRIFT_LIST, "FileMetaData.row_groups");
            if (!rc)
                rc = decode_row_groups(context, footer);
            have_groups = true;
        } else {
            rc = mlps_thrift_skip(&context->reader, type);
        }
        if (rc)
            return rc;
    }
    if (!have_rows || !have_groups)
        return mlps_thrift_fail(&context->reader, "FileMetaData lacks num_rows or row_groups");
    uint64_t rows = 0;
    for (size_t i = 0; i < footer->count; i++)
        rows += footer->groups[i].rows;
    if (rows != footer->num_rows) {
        char problem[128];
        snprintf(problem, sizeof problem, "row groups hold %llu rows but num_rows says %llu",
                 (unsigned long long)rows, (unsigned long long)footer->num_rows);
        context->reader.pos = 0;
        return mlps_thrift_fail(&context->reader, problem);
    }
    return 0;
}

static uint32_t get_le32(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
           (uint32_t)bytes[3] << 24;
}

/* The magic numbers and the footer length; sets footer->offset and footer->length. */
static int read_tail(const mlps_source *source, mlps_parquet_footer *footer, mlps_error *err)
{
    if (source->size < 2 * MAGIC_BYTES + 4)
        return mlps_fail(err, -EBADMSG, "%s: not a parquet file: %llu bytes is shorter than "
                         "its magic numbers and footer length (12 bytes)", source->name,
                         (unsigned long long)source->size);
    unsigned char head[MAGIC_BYTES], tail[TAIL_BYTES];
    int rc = mlps_source_read(source, head, sizeof head, 0, err);
    if (!rc)
        rc = mlps_source_read(source, tail, sizeof tail, source->size - TAIL_BYTES, err);
    if (rc)
        return rc;
    if (memcmp(head, "PAR1", MAGIC_BYTES) != 0)
        return mlps_fail(err, -EBADMSG, "%s: not a parquet file: no \"PAR1\" magic at offset 0",
                         source->name);
    if (memcmp(tail + 4, "PAR1", MAGIC_BYTES) != 0)
        return mlps_fail(err, -EBADMSG, "%s: truncated or not a parquet file: no \"PAR1\" magic "
                         "at offset %llu (the last 4 bytes)", source->name,
                         (unsigned long long)(source->size - MAGIC_BYTES));
    footer->length = get_le32(tail);
    if (footer->length > source->size - TAIL_BYTES - MAGIC_BYTES)
        return mlps_fail(err, -EBADMSG, "%s: corrupt parquet footer length %llu at offset %llu: "
                         "longer than the %llu bytes before it", source->name,
                         (unsigned long long)footer->length,
                         (unsigned long long)(source->size - TAIL_BYTES),
                         (unsigned long long)(source->size - TAIL_BYTES - MAGIC_BYTES));
    footer->offset = source->size - TAIL_BYTES - footer->length;
    return 0;
}

int mlps_parquet_read_footer(const mlps_source *source, mlps_parquet_footer *footer,
                             mlps_error *err)
{
    memset(footer, 0, sizeof *footer);
    int rc = read_tail(source, footer, err);
    if (rc)
        return rc;
    unsigned char *bytes = malloc(footer->length ? (size_t)footer->length : 1);
    if (!bytes)
        return mlps_fail(err, -ENOMEM, "%s: out of memory for a %llu-byte parquet footer",
                         source->name, (unsigned long long)footer->length);
    rc = mlps_source_read(source, bytes, (size_t)footer->length, footer->offset, err);
    if (!rc) {
        footer_context context = {.data_end = footer->offset};
        mlps_thrift_reader_init(&context.reader, bytes, (size_t)footer->length, source->name,
                                footer->offset, "footer", err);
        rc = decode_file_metadata(&context, footer);
    }
    free(bytes);
    if (rc)
        mlps_parquet_footer_free(footer);
    return rc;
}

void mlps_parquet_footer_free(mlps_parquet_footer *footer)
{
    free(footer->groups);
    footer->groups = NULL;
    footer->count = 0;
}
