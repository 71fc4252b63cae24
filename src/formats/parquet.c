/* The parquet dataset format (the reference writes it with pyarrow; we write our own files).
 *
 * File: "PAR1", then per row group (parquet_row_group_size rows, the last one shorter) one
 * column chunk per column, each a run of uncompressed version-1 data pages of about 1 MiB of
 * values (whole rows per page), then the Thrift compact FileMetaData, its 4-byte length and
 * "PAR1". Values are PLAIN except 8-bit integers, which use a 256-entry dictionary so a value
 * takes the one byte the configuration counts (PLAIN would store it as a 4-byte INT32); list
 * columns carry repetition and definition levels in the RLE / bit-packed hybrid encoding.
 * Column types are described in parquet_schema.h.
 *
 * Content: value bytes are mlps_fill_random_at(seed, file index, their offset in the file),
 * so every value is random. Float columns hold random bit patterns, some of them NaN; readers
 * decode them like any other float. Writing streams page by page: only one page's header and
 * levels are held in memory, values go straight to the sink, and the footer grows with the
 * number of column chunks (a few MiB for the largest configured file).
 *
 * Every size is a function of the configuration, so file_size() runs the same writer against
 * a sink that only counts, without generating values. Samples are rows; a row's extent is its
 * whole row group (every column chunk of the group), since readers fetch a row group at a
 * time (parquet_footer.c reads the spans back from the footer). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fill.h"
#include "formats/format.h"
#include "formats/format_checks.h"
#include "formats/parquet_footer.h"
#include "formats/parquet_rle.h"
#include "formats/parquet_schema.h"
#include "formats/parquet_thrift.h"

enum {
    PAGE_TARGET_BYTES = 1 << 20,
    VALUE_CHUNK_BYTES = 1 << 16,
    DEFAULT_ROW_GROUP_ROWS = 1024, /* the reference's parquet_row_group_size default */
    FILE_FORMAT_VERSION = 2,
};

enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2 };
enum { ENCODING_PLAIN = 0, ENCODING_RLE = 3, ENCODING_RLE_DICTIONARY = 8 };
enum { CODEC_UNCOMPRESSED = 0 };

static const unsigned char parquet_magic[4] = {'P', 'A', 'R', '1'};

typedef struct parquet_writer {
    const mlps_format_params *params;
    uint64_t stream;  /* the file index: the random stream of its values */
    mlps_sink *sink;
    uint64_t start;   /* sink->written when the file began */
    bool sizes_only;  /* the sink only counts: skip generating values */
    mlps_parquet_schema schema;
    mlps_thrift_writer footer;
    mlps_thrift_writer page_header;
    mlps_rle_writer repetition;
    mlps_rle_writer definition;
    uint8_t *levels;  /* one page's repetition levels, when they are bit-packed */
    size_t levels_capacity;
    unsigned char *scratch; /* VALUE_CHUNK_BYTES for values that are transformed */
    mlps_error *err;
} parquet_writer;

/* Where one column chunk went, for its ColumnChunk in the footer. */
typedef struct chunk_record {
    uint64_t start;
    uint64_t dictionary_offset;
    uint64_t data_offset;
    uint64_t bytes;
    uint64_t values;
} chunk_record;

static uint64_t position(const parquet_writer *writer)
{
    return writer->sink->written - writer->start;
}

static uint64_t row_group_rows(const mlps_format_params *params)
{
    return params->parquet_row_group_size ? params->parquet_row_group_size
                                          : DEFAULT_ROW_GROUP_ROWS;
}

/* --- page layout (pure functions of the column and the row count) --- */

static uint64_t rows_per_page(const mlps_parquet_field *column)
{
    uint64_t row_bytes;
    switch (column->layout) {
    case MLPS_PARQUET_BITS:
        return (uint64_t)PAGE_TARGET_BYTES * 8;
    case MLPS_PARQUET_LENGTH_PREFIXED:
        row_bytes = 4 + column->size;
        break;
    default:
        row_bytes = mlps_parquet_field_values_per_row(column) * column->value_bytes;
    }
    return row_bytes >= PAGE_TARGET_BYTES ? 1 : PAGE_TARGET_BYTES / row_bytes;
}

static uint64_t values_section_bytes(const mlps_parquet_field *column, uint64_t values)
{
    switch (column->layout) {
    case MLPS_PARQUET_DICT8:
        return 1 + mlps_rle_bitpacked_bytes(8, values);
    case MLPS_PARQUET_BITS:
        return (values + 7) / 8;
    case MLPS_PARQUET_LENGTH_PREFIXED:
        return values * (4 + column->size);
    default:
        return values * column->value_bytes;
    }
}

/* --- writing pages --- */

static int write_bytes(parquet_writer *writer, const void *data, size_t len)
{
    return mlps_sink_write(writer->sink, data, len, writer->err);
}

static int write_random(parquet_writer *writer, uint64_t len)
{
    return mlps_sink_write_random(writer->sink, len, writer->params->seed, writer->stream,
                                  position(writer), writer->err);
}

static void put_le32(unsigned char *out, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(value >> (8 * i));
}

static int write_page_header(parquet_writer *writer, const mlps_parquet_field *column,
                             int page_type, uint64_t page_bytes, uint64_t values,
                             int encoding)
{
    if (page_bytes > INT32_MAX || values > INT32_MAX)
        return mlps_fail_usage(writer->err, -EFBIG,
                               "parquet column '%s': one row needs a page of %llu bytes and "
                               "%llu values, above Parquet's 2^31 - 1 page limit; use a smaller "
                               "size or record length", column->name,
                               (unsigned long long)page_bytes, (unsigned long long)values);
    mlps_thrift_writer *header = &writer->page_header;
    mlps_thrift_writer_reset(header);
    mlps_thrift_write_i32(header, 1, page_type);
    mlps_thrift_write_i32(header, 2, (int32_t)page_bytes);
    mlps_thrift_write_i32(header, 3, (int32_t)page_bytes);
    if (page_type == PAGE_DATA) {
        mlps_thrift_begin_struct(header, 5);
        mlps_thrift_write_i32(header, 1, (int32_t)values);
        mlps_thrift_write_i32(header, 2, encoding);
        mlps_thrift_write_i32(header, 3, ENCODING_RLE);
        mlps_thrift_write_i32(header, 4, ENCODING_RLE);
    } else {
        mlps_thrift_begin_struct(header, 7);
        mlps_thrift_write_i32(header, 1, (int32_t)values);
        mlps_thrift_write_i32(header, 2, encoding);
    }
    mlps_thrift_end_struct(header);
    mlps_thrift_finish(header);
    int rc = mlps_thrift_writer_check(header, "page header", writer->err);
    return rc ? rc : write_bytes(writer, header->data, header->size);
}

static int reserve_levels(parquet_writer *writer, size_t count)
{
    if (count <= writer->levels_capacity)
        return 0;
    uint8_t *grown = realloc(writer->levels, count);
    if (!grown)
        return mlps_fail(writer->err, -ENOMEM, "out of memory for %zu parquet levels", count);
    writer->levels = grown;
    writer->levels_capacity = count;
    return 0;
}

/* Repetition levels of fixed-size lists: 0 starts a row, 1 continues it. Short lists pack
 * better bit by bit, long ones as two RLE runs per row. */
static int encode_repetition(parquet_writer *writer, uint64_t size, uint64_t rows)
{
    mlps_rle_writer *levels = &writer->repetition;
    uint64_t values = rows * size;
    uint64_t runs_bytes = size == 1 ? mlps_rle_run_bytes(1, rows)
                                    : rows * (mlps_rle_run_bytes(1, 1) +
                                              mlps_rle_run_bytes(1, size - 1));
    if (mlps_rle_bitpacked_bytes(1, values) < runs_bytes) {
        int rc = reserve_levels(writer, (size_t)values);
        if (rc)
            return rc;
        for (uint64_t i = 0; i < values; i++)
            writer->levels[i] = i % size != 0;
        mlps_rle_append_bitpacked(levels, writer->levels, (size_t)values);
    } else {
        for (uint64_t row = 0; row < rows; row++) {
            mlps_rle_append(levels, 0, 1);
            mlps_rle_append(levels, 1, size - 1);
        }
    }
    return mlps_rle_finish(levels, writer->err);
}

static int encode_levels(parquet_writer *writer, const mlps_parquet_field *column,
                         uint64_t rows)
{
    mlps_rle_writer_reset(&writer->repetition);
    mlps_rle_writer_reset(&writer->definition);
    if (!column->is_list)
        return 0;
    int rc = encode_repetition(writer, column->size, rows);
    if (rc)
        return rc;
    mlps_rle_append(&writer->definition, mlps_parquet_field_max_definition(column),
                    rows * column->size);
    return mlps_rle_finish(&writer->definition, writer->err);
}

static uint64_t levels_section_bytes(const parquet_writer *writer,
                                     const mlps_parquet_field *column)
{
    return column->is_list ? 8 + writer->repetition.size + writer->definition.size : 0;
}

static int write_level_section(parquet_writer *writer, const mlps_rle_writer *levels)
{
    unsigned char length[4];
    put_le32(length, (uint32_t)levels->size);
    int rc = write_bytes(writer, length, sizeof length);
    return rc ? rc : write_bytes(writer, levels->data, levels->size);
}

/* 16-bit integers: random 16-bit values widened in place (from the end, so no source byte is
 * overwritten before it is read) to the INT32 that PLAIN stores. */
static int write_widened(parquet_writer *writer, const mlps_parquet_field *column,
                         uint64_t values)
{
    for (uint64_t done = 0; done < values;) {
        uint64_t count = values - done < VALUE_CHUNK_BYTES / 4 ? values - done
                                                               : VALUE_CHUNK_BYTES / 4;
        unsigned char *bytes = writer->scratch;
        mlps_fill_random_at(bytes, (size_t)count * 2, writer->params->seed, writer->stream,
                            position(writer));
        for (uint64_t i = count; i-- > 0;) {
            uint16_t raw = (uint16_t)(bytes[2 * i] | bytes[2 * i + 1] << 8);
            int32_t value = column->int_signed ? (int16_t)raw : raw;
            put_le32(bytes + 4 * i, (uint32_t)value);
        }
        int rc = write_bytes(writer, bytes, (size_t)count * 4);
        if (rc)
            return rc;
        done += count;
    }
    return 0;
}

/* Binary values: a 4-byte length, then size random bytes, for each value. */
static int write_length_prefixed(parquet_writer *writer, uint64_t size, uint64_t values)
{
    unsigned char length[4];
    put_le32(length, (uint32_t)size);
    if (4 + size > VALUE_CHUNK_BYTES) {
        for (uint64_t i = 0; i < values; i++) {
            int rc = write_bytes(writer, length, 4);
            if (!rc)
                rc = write_random(writer, size);
            if (rc)
                return rc;
        }
        return 0;
    }
    uint64_t per_chunk = VALUE_CHUNK_BYTES / (4 + size);
    for (uint64_t done = 0; done < values;) {
        uint64_t count = values - done < per_chunk ? values - done : per_chunk;
        uint64_t offset = position(writer);
        for (uint64_t i = 0; i < count; i++) {
            unsigned char *value = writer->scratch + i * (4 + size);
            memcpy(value, length, 4);
            mlps_fill_random_at(value + 4, (size_t)size, writer->params->seed, writer->stream,
                                offset + i * (4 + size) + 4);
        }
        int rc = write_bytes(writer, writer->scratch, (size_t)(count * (4 + size)));
        if (rc)
            return rc;
        done += count;
    }
    return 0;
}

/* Dictionary indices: bit width 8, one bit-packed run whose packed bytes are the indices
 * themselves, so they are written as random bytes; padding to a group of 8 is zeros. */
static int write_dictionary_indices(parquet_writer *writer, uint64_t values)
{
    static const unsigned char padding[8] = {0};
    unsigned char header[11] = {8};
    size_t header_len = 1 + mlps_rle_bitpacked_header(header + 1, values);
    int rc = write_bytes(writer, header, header_len);
    if (!rc)
        rc = write_random(writer, values);
    if (!rc && values % 8)
        rc = write_bytes(writer, padding, 8 - values % 8);
    return rc;
}

static int write_values(parquet_writer *writer, const mlps_parquet_field *column,
                        uint64_t values)
{
    if (writer->sizes_only && column->layout != MLPS_PARQUET_DICT8)
        return write_random(writer, values_section_bytes(column, values));
    switch (column->layout) {
    case MLPS_PARQUET_DICT8:
        return write_dictionary_indices(writer, values);
    case MLPS_PARQUET_WIDENED:
        return write_widened(writer, column, values);
    case MLPS_PARQUET_LENGTH_PREFIXED:
        return write_length_prefixed(writer, column->size, values);
    case MLPS_PARQUET_BITS:
    case MLPS_PARQUET_RAW:
    default:
        return write_random(writer, values_section_bytes(column, values));
    }
}

static int write_data_page(parquet_writer *writer, const mlps_parquet_field *column,
                           uint64_t rows)
{
    int rc = encode_levels(writer, column, rows);
    if (rc)
        return rc;
    uint64_t values = rows * mlps_parquet_field_values_per_row(column);
    uint64_t page_bytes = levels_section_bytes(writer, column) +
                          values_section_bytes(column, values);
    int encoding = column->layout == MLPS_PARQUET_DICT8 ? ENCODING_RLE_DICTIONARY
                                                        : ENCODING_PLAIN;
    rc = write_page_header(writer, column, PAGE_DATA, page_bytes, values, encoding);
    if (!rc && column->is_list)
        rc = write_level_section(writer, &writer->repetition);
    if (!rc && column->is_list)
        rc = write_level_section(writer, &writer->definition);
    return rc ? rc : write_values(writer, column, values);
}

/* The 256 INT32 values an index byte stands for: the byte read as the column's integer. */
static int write_dictionary_page(parquet_writer *writer, const mlps_parquet_field *column)
{
    int rc = write_page_header(writer, column, PAGE_DICTIONARY, 256 * 4, 256, ENCODING_PLAIN);
    if (rc)
        return rc;
    for (unsigned index = 0; index < 256; index++) {
        int32_t value = column->int_signed ? (int8_t)index : (int32_t)index;
        put_le32(writer->scratch + 4 * index, (uint32_t)value);
    }
    return write_bytes(writer, writer->scratch, 256 * 4);
}

static int write_column_chunk(parquet_writer *writer, const mlps_parquet_field *column,
                              uint64_t rows, chunk_record *record)
{
    *record = (chunk_record){.start = position(writer),
                             .values = rows * mlps_parquet_field_values_per_row(column)};
    int rc = 0;
    if (column->layout == MLPS_PARQUET_DICT8) {
        record->dictionary_offset = position(writer);
        rc = write_dictionary_page(writer, column);
    }
    record->data_offset = position(writer);
    uint64_t page_rows = rows_per_page(column);
    for (uint64_t done = 0; done < rows && !rc; done += page_rows)
        rc = write_data_page(writer, column, rows - done < page_rows ? rows - done : page_rows);
    record->bytes = position(writer) - record->start;
    return rc;
}

/* --- footer --- */

static void encode_column_chunk(parquet_writer *writer, const mlps_parquet_field *column,
                                const chunk_record *record)
{
    mlps_thrift_writer *footer = &writer->footer;
    bool dictionary = column->layout == MLPS_PARQUET_DICT8;
    mlps_thrift_begin_struct_element(footer);
    mlps_thrift_write_i64(footer, 2, (int64_t)record->start);
    mlps_thrift_begin_struct(footer, 3); /* ColumnMetaData */
    mlps_thrift_write_i32(footer, 1, column->type);
    mlps_thrift_begin_list(footer, 2, MLPS_THRIFT_I32,
                           1 + (column->is_list ? 1 : 0) + (dictionary ? 1 : 0));
    mlps_thrift_element_i32(footer, ENCODING_PLAIN);
    if (column->is_list)
        mlps_thrift_element_i32(footer, ENCODING_RLE);
    if (dictionary)
        mlps_thrift_element_i32(footer, ENCODING_RLE_DICTIONARY);
    mlps_parquet_field_encode_path(column, 3, footer);
    mlps_thrift_write_i32(footer, 4, CODEC_UNCOMPRESSED);
    mlps_thrift_write_i64(footer, 5, (int64_t)record->values);
    mlps_thrift_write_i64(footer, 6, (int64_t)record->bytes);
    mlps_thrift_write_i64(footer, 7, (int64_t)record->bytes);
    mlps_thrift_write_i64(footer, 9, (int64_t)record->data_offset);
    if (dictionary)
        mlps_thrift_write_i64(footer, 11, (int64_t)record->dictionary_offset);
    mlps_thrift_end_struct(footer);
    mlps_thrift_end_struct(footer);
}

static int write_row_group(parquet_writer *writer, uint64_t rows)
{
    mlps_thrift_writer *footer = &writer->footer;
    uint64_t start = position(writer);
    mlps_thrift_begin_struct_element(footer); /* RowGroup */
    mlps_thrift_begin_list(footer, 1, MLPS_THRIFT_STRUCT, writer->schema.count);
    for (size_t i = 0; i < writer->schema.count; i++) {
        chunk_record record;
        int rc = write_column_chunk(writer, &writer->schema.columns[i], rows, &record);
        if (rc)
            return rc;
        encode_column_chunk(writer, &writer->schema.columns[i], &record);
    }
    uint64_t bytes = position(writer) - start;
    mlps_thrift_write_i64(footer, 2, (int64_t)bytes);
    mlps_thrift_write_i64(footer, 3, (int64_t)rows);
    mlps_thrift_write_i64(footer, 5, (int64_t)start);
    mlps_thrift_write_i64(footer, 6, (int64_t)bytes);
    mlps_thrift_end_struct(footer);
    return mlps_thrift_writer_check(footer, "footer", writer->err);
}

static int write_footer(parquet_writer *writer)
{
    mlps_thrift_writer *footer = &writer->footer;
    mlps_thrift_write_string(footer, 6, "mlps version " MLPS_VERSION);
    mlps_thrift_finish(footer);
    int rc = mlps_thrift_writer_check(footer, "footer", writer->err);
    if (rc)
        return rc;
    if (footer->size > UINT32_MAX)
        return mlps_fail_usage(writer->err, -EFBIG,
                               "parquet footer of %zu bytes exceeds the 4 GiB its length field "
                               "can hold; use a larger dataset.parquet.row_group_size",
                               footer->size);
    unsigned char tail[8];
    put_le32(tail, (uint32_t)footer->size);
    memcpy(tail + 4, parquet_magic, 4);
    rc = write_bytes(writer, footer->data, footer->size);
    return rc ? rc : write_bytes(writer, tail, sizeof tail);
}

static int write_file(parquet_writer *writer)
{
    uint64_t rows = writer->params->samples_per_file;
    uint64_t group_rows = row_group_rows(writer->params);
    uint64_t groups = rows / group_rows + (rows % group_rows != 0);
    mlps_thrift_writer *footer = &writer->footer;
    mlps_thrift_write_i32(footer, 1, FILE_FORMAT_VERSION);
    mlps_parquet_schema_encode(&writer->schema, footer);
    mlps_thrift_write_i64(footer, 3, (int64_t)rows);
    mlps_thrift_begin_list(footer, 4, MLPS_THRIFT_STRUCT, groups);
    int rc = write_bytes(writer, parquet_magic, sizeof parquet_magic);
    for (uint64_t group = 0; group < groups && !rc; group++) {
        uint64_t first = group * group_rows;
        rc = write_row_group(writer, rows - first < group_rows ? rows - first : group_rows);
    }
    return rc ? rc : write_footer(writer);
}

/* --- the format operations --- */

/* The legacy column's list size, d1 x d2 (the reference writes uint8 whatever the record
 * element type), checked for overflow with the file's total. */
static int legacy_size(const mlps_format_params *params, const mlps_format_file *file,
                       uint64_t *size, mlps_error *err)
{
    uint64_t total;
    return mlps_format_array_bytes(params, file, 1, "parquet", size, &total, err);
}

static int run_writer(const mlps_format_params *params, const mlps_format_file *file,
                      mlps_sink *sink, bool sizes_only, mlps_error *err)
{
    uint64_t size = 0;
    int rc = mlps_format_require_no_compression(params, "parquet files", err);
    if (!rc)
        rc = legacy_size(params, file, &size, err);
    parquet_writer writer = {.params = params, .stream = file->index, .sink = sink,
                             .start = sink->written, .sizes_only = sizes_only, .err = err};
    if (!rc)
        rc = mlps_parquet_schema_parse(params->parquet_columns, size, &writer.schema, err);
    if (rc)
        return rc;
    mlps_thrift_writer_init(&writer.footer);
    mlps_thrift_writer_init(&writer.page_header);
    mlps_rle_writer_init(&writer.repetition, 1);
    mlps_rle_writer_init(&writer.definition, 2);
    writer.scratch = malloc(VALUE_CHUNK_BYTES);
    if (!writer.scratch)
        rc = mlps_fail(err, -ENOMEM, "out of memory for a parquet value buffer");
    if (!rc)
        rc = write_file(&writer);
    free(writer.scratch);
    free(writer.levels);
    mlps_rle_writer_free(&writer.repetition);
    mlps_rle_writer_free(&writer.definition);
    mlps_thrift_writer_free(&writer.page_header);
    mlps_thrift_writer_free(&writer.footer);
    mlps_parquet_schema_free(&writer.schema);
    return rc;
}

static int parquet_write(const mlps_format_params *params, const mlps_format_file *file,
                         mlps_sink *sink, mlps_error *err)
{
    return run_writer(params, file, sink, false, err);
}

static int count_write(void *ctx, const void *data, size_t len, mlps_error *err)
{
    (void)ctx, (void)data, (void)len, (void)err;
    return 0;
}

static int count_write_random(void *ctx, uint64_t len, uint64_t seed, uint64_t stream,
                              uint64_t offset, mlps_error *err)
{
    (void)ctx, (void)len, (void)seed, (void)stream, (void)offset, (void)err;
    return 0;
}

static uint64_t parquet_file_size(const mlps_format_params *params, const mlps_format_file *file)
{
    mlps_sink counter = {.write = count_write, .write_random = count_write_random};
    mlps_error err = {0};
    return run_writer(params, file, &counter, true, &err) ? 0 : counter.written;
}

static int parquet_locate_samples(const mlps_format_params *params, const mlps_source *source,
                                  mlps_sample_extent *extents, mlps_error *err)
{
    mlps_parquet_footer footer;
    int rc = mlps_parquet_read_footer(source, &footer, err);
    if (rc)
        return rc;
    if (footer.num_rows != params->samples_per_file) {
        rc = mlps_fail(err, -EBADMSG, "%s: parquet file has %llu rows but "
                       "dataset.num_samples_per_file is %llu", source->name,
                       (unsigned long long)footer.num_rows,
                       (unsigned long long)params->samples_per_file);
    } else {
        uint64_t sample = 0;
        for (size_t g = 0; g < footer.count; g++)
            for (uint64_t row = 0; row < footer.groups[g].rows; row++)
                extents[sample++] = (mlps_sample_extent){footer.groups[g].offset,
                                                         footer.groups[g].length};
    }
    mlps_parquet_footer_free(&footer);
    return rc;
}

const mlps_format mlps_format_parquet = {
    .name = "parquet",
    .extension = "parquet",
    .write = parquet_write,
    .file_size = parquet_file_size,
    .locate_samples = parquet_locate_samples,
};
