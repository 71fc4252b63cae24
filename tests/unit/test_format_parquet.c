/* Tests for the parquet dataset format: byte-exact pages (headers, levels, dictionary, values)
 * for small files, file_size() equal to the bytes written for dlrm-, flux- and legacy-shaped
 * files, row groups and sample extents read back from the footer, usage errors for columns
 * and compression, sink and source errors, and the locator's errors for damaged files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "format_write_util.h"
#include "formats/parquet_footer.h"
#include "formats/parquet_thrift.h"

#define assert_bytes_at(base, offset, ...)                                                     \
    do {                                                                                        \
        static const unsigned char expected_[] = {__VA_ARGS__};                                 \
        assert_memory_equal((base) + (offset), expected_, sizeof expected_);                    \
    } while (0)

static json_t *columns_from(const char *text)
{
    json_error_t error;
    json_t *columns = json_loads(text, 0, &error);
    if (!columns)
        fail_msg("bad test JSON: %s", error.text);
    return columns;
}

static mlps_format_params parquet_params(uint64_t rows, uint64_t group_rows, json_t *columns)
{
    return (mlps_format_params){.samples_per_file = rows, .element_bytes = 1,
                                .element_type = "uint8", .compression = "none",
                                .parquet_columns = columns,
                                .parquet_row_group_size = group_rows, .seed = 9};
}

static uint32_t le32_at(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
           (uint32_t)bytes[3] << 24;
}

/* Writes, checks file_size() against the bytes written and the magic numbers at both ends. */
static void write_parquet(const mlps_format_params *params, const mlps_format_file *file,
                          written_file *out)
{
    write_file("parquet", params, file, out);
    assert_int_equal(format_named("parquet")->file_size(params, file), out->memory.size);
    assert_memory_equal(out->memory.data, "PAR1", 4);
    assert_memory_equal(out->memory.data + out->memory.size - 4, "PAR1", 4);
}

static void read_footer(const written_file *out, mlps_parquet_footer *footer)
{
    mlps_source source;
    mlps_memory_source_init(&source, out->memory.data, out->memory.size, "t.parquet");
    mlps_error err = {0};
    if (mlps_parquet_read_footer(&source, footer, &err))
        fail_msg("footer: %s", err.message);
    assert_int_equal(footer->offset + footer->length + 8, out->memory.size);
}

/* Row groups hold the configured rows, lie back to back from offset 4 to the footer, and
 * every row's extent is its row group. */
static void assert_row_groups(const written_file *out, const mlps_format_params *params,
                              const uint64_t *group_rows, size_t groups)
{
    mlps_parquet_footer footer;
    read_footer(out, &footer);
    assert_int_equal(footer.num_rows, params->samples_per_file);
    assert_int_equal(footer.count, groups);
    uint64_t offset = 4;
    for (size_t g = 0; g < groups; g++) {
        assert_int_equal(footer.groups[g].rows, group_rows[g]);
        assert_int_equal(footer.groups[g].offset, offset);
        offset += footer.groups[g].length;
    }
    assert_int_equal(offset, footer.offset);
    mlps_sample_extent *extents = calloc(params->samples_per_file + 1, sizeof *extents);
    assert_non_null(extents);
    mlps_error err = {0};
    assert_int_equal(locate_bytes("parquet", params, out->memory.data, out->memory.size,
                                  "t.parquet", extents, &err), 0);
    uint64_t row = 0;
    for (size_t g = 0; g < groups; g++)
        for (uint64_t r = 0; r < group_rows[g]; r++, row++) {
            assert_int_equal(extents[row].offset, footer.groups[g].offset);
            assert_int_equal(extents[row].length, footer.groups[g].length);
        }
    free(extents);
    mlps_parquet_footer_free(&footer);
}

static void writes_a_double_column_byte_for_byte(void **state)
{
    (void)state;
    json_t *columns = columns_from("[{\"name\": \"x\", \"dtype\": \"float64\"}]");
    mlps_format_params params = parquet_params(10, 10, columns);
    mlps_format_file file = {.index = 2, .d1 = 1, .d2 = 1};
    written_file out;
    write_parquet(&params, &file, &out);
    assert_bytes_at(out.memory.data, 4,
                    0x15, 0x00,       /* type DATA_PAGE */
                    0x15, 0xA0, 0x01, /* uncompressed_page_size 80 */
                    0x15, 0xA0, 0x01, /* compressed_page_size 80 */
                    0x2C,             /* data_page_header */
                    0x15, 0x14,       /*   num_values 10 */
                    0x15, 0x00,       /*   encoding PLAIN */
                    0x15, 0x06,       /*   definition_level_encoding RLE */
                    0x15, 0x06,       /*   repetition_level_encoding RLE */
                    0x00, 0x00);
    assert_random_bytes(out.memory.data + 23, 80, 9, 2, 23);
    assert_int_equal(le32_at(out.memory.data + out.memory.size - 8), out.memory.size - 8 - 103);
    const uint64_t rows[] = {10};
    assert_row_groups(&out, &params, rows, 1);
    written_file_free(&out);
    json_decref(columns);
}

/* int8: a dictionary page of the 256 values (index byte b stands for (int8)b), then index
 * bytes bit-packed at width 8, which are the random bytes themselves. */
static void writes_eight_bit_integers_through_a_dictionary(void **state)
{
    (void)state;
    json_t *columns = columns_from("[{\"name\": \"b\", \"dtype\": \"int8\"}]");
    mlps_format_params params = parquet_params(10, 10, columns);
    mlps_format_file file = {.index = 3, .d1 = 1, .d2 = 1};
    written_file out;
    write_parquet(&params, &file, &out);
    const unsigned char *bytes = out.memory.data;
    assert_bytes_at(bytes, 4,
                    0x15, 0x04,       /* type DICTIONARY_PAGE */
                    0x15, 0x80, 0x10, /* 1024 bytes */
                    0x15, 0x80, 0x10,
                    0x4C,             /* dictionary_page_header (field 7) */
                    0x15, 0x80, 0x04, /*   num_values 256 */
                    0x15, 0x00,       /*   encoding PLAIN */
                    0x00, 0x00);
    const unsigned char *dictionary = bytes + 20;
    assert_int_equal(le32_at(dictionary + 4 * 0), 0);
    assert_int_equal(le32_at(dictionary + 4 * 127), 127);
    assert_int_equal(le32_at(dictionary + 4 * 128), 0xFFFFFF80u);
    assert_int_equal(le32_at(dictionary + 4 * 255), 0xFFFFFFFFu);
    assert_bytes_at(bytes, 1044,
                    0x15, 0x00, 0x15, 0x24, 0x15, 0x24, /* DATA_PAGE of 18 bytes */
                    0x2C, 0x15, 0x14, 0x15, 0x10,       /* 10 values, RLE_DICTIONARY */
                    0x15, 0x06, 0x15, 0x06, 0x00, 0x00,
                    0x08,                               /* bit width */
                    0x05);                              /* bit-packed run of 2 groups */
    assert_random_bytes(bytes + 1063, 10, 9, 3, 1063);
    assert_bytes_at(bytes, 1073, 0, 0, 0, 0, 0, 0);     /* padding to 16 */
    written_file_free(&out);
    json_decref(columns);
}

static void writes_list_levels_and_values(void **state)
{
    (void)state;
    json_t *columns = columns_from("[{\"name\": \"v\", \"dtype\": \"float32\", \"size\": 3},"
                                   " {\"name\": \"w\", \"dtype\": \"float32\", \"size\": 40}]");
    mlps_format_params params = parquet_params(2, 2, columns);
    mlps_format_file file = {.index = 4, .d1 = 1, .d2 = 1};
    written_file out;
    write_parquet(&params, &file, &out);
    const unsigned char *bytes = out.memory.data;
    /* v: 6 values; levels 36 bytes of page. Repetition 0 1 1 0 1 1 packs into one byte,
     * definition is one run of six 2s. */
    assert_bytes_at(bytes, 4, 0x15, 0x00, 0x15, 0x48, 0x15, 0x48, 0x2C, 0x15, 0x0C, 0x15, 0x00,
                    0x15, 0x06, 0x15, 0x06, 0x00, 0x00,
                    0x02, 0x00, 0x00, 0x00, 0x03, 0x36,  /* repetition: bit-packed */
                    0x02, 0x00, 0x00, 0x00, 0x0C, 0x02); /* definition: RLE */
    assert_random_bytes(bytes + 33, 24, 9, 4, 33);
    /* w: 80 values; a row of 40 is cheaper as two runs (0 once, 1 39 times). */
    assert_bytes_at(bytes, 57, 0x15, 0x00, 0x15, 0xA6, 0x05, 0x15, 0xA6, 0x05, 0x2C, 0x15,
                    0xA0, 0x01, 0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00,
                    0x08, 0x00, 0x00, 0x00, 0x02, 0x00, 0x4E, 0x01, 0x02, 0x00, 0x4E, 0x01,
                    0x03, 0x00, 0x00, 0x00, 0xA0, 0x01, 0x02);
    assert_random_bytes(bytes + 96, 320, 9, 4, 96);
    written_file_free(&out);
    json_decref(columns);
}

/* The dlrm workload's column set (56 float32, 50 float16, 49 float64, 45 int8: 761 bytes of
 * values per row), with a small row count. */
static json_t *dlrm_columns(void)
{
    json_t *columns = json_array();
    for (int i = 0; i < 200; i++) {
        const char *dtype = i < 56 ? "float32" : i < 106 ? "float16" : i < 155 ? "float64"
                                                                                : "int8";
        char name[32];
        snprintf(name, sizeof name, "feature_%03d", i);
        json_array_append_new(columns, json_pack("{s:s, s:s}", "name", name, "dtype", dtype));
    }
    return columns;
}

static void dlrm_shaped_file_has_exact_size_and_row_groups(void **state)
{
    (void)state;
    json_t *columns = dlrm_columns();
    mlps_format_params params = parquet_params(1000, 256, columns);
    mlps_format_file file = {.index = 17, .d1 = 1, .d2 = 1};
    written_file out;
    write_parquet(&params, &file, &out);
    const uint64_t rows[] = {256, 256, 256, 232};
    assert_row_groups(&out, &params, rows, 4);
    /* 761 bytes of values per row; per chunk a page header, int8 dictionaries of 1 KiB. */
    assert_true(out.memory.size > 1000 * 761 + 4 * 45 * 1024);
    assert_true(out.memory.size < 1000 * 761 + 4 * 45 * 1100 + 4 * 200 * 80);
    written_file_free(&out);
    json_decref(columns);
}

/* flux: five float32 lists; the 1.2 MB rows of the first column take a page each. */
static void flux_shaped_file_has_exact_size_and_row_groups(void **state)
{
    (void)state;
    json_t *columns = columns_from("[{\"name\": \"t5_encodings\", \"dtype\": \"float32\", "
                                   "\"size\": 300000},"
                                   " {\"name\": \"clip_encodings\", \"dtype\": \"float32\", "
                                   "\"size\": 409},"
                                   " {\"name\": \"mean\", \"dtype\": \"float32\", \"size\": 8232},"
                                   " {\"name\": \"logvar\", \"dtype\": \"float32\", "
                                   "\"size\": 8232},"
                                   " {\"name\": \"timestamp\", \"dtype\": \"float32\", "
                                   "\"size\": 7}]");
    mlps_format_params params = parquet_params(6, 4, columns);
    mlps_format_file file = {.index = 5, .d1 = 1, .d2 = 1};
    written_file out;
    write_parquet(&params, &file, &out);
    const uint64_t rows[] = {4, 2};
    assert_row_groups(&out, &params, rows, 2);
    uint64_t values = 6 * 4 * (300000 + 409 + 8232 + 8232 + 7);
    assert_true(out.memory.size > values);
    assert_true(out.memory.size < values + 20000);
    written_file_free(&out);
    json_decref(columns);
}

static void legacy_mode_writes_one_uint8_list_column(void **state)
{
    (void)state;
    mlps_format_params params = parquet_params(50, 16, NULL);
    mlps_format_file file = {.index = 1, .d1 = 16, .d2 = 20};
    written_file out;
    write_parquet(&params, &file, &out);
    const uint64_t rows[] = {16, 16, 16, 2};
    assert_row_groups(&out, &params, rows, 4);
    /* One byte per element: 320 per row, plus a dictionary per row group. */
    assert_true(out.memory.size > 50 * 320 + 4 * 1024);
    assert_true(out.memory.size < 50 * 320 + 4 * 1024 + 4 * 200 + 1000);
    /* An empty column list means legacy mode too. */
    json_t *none = json_array();
    mlps_format_params empty = parquet_params(50, 16, none);
    assert_int_equal(format_named("parquet")->file_size(&empty, &file), out.memory.size);
    json_decref(none);
    written_file_free(&out);
}

static void row_group_size_defaults_to_1024(void **state)
{
    (void)state;
    mlps_format_params params = parquet_params(2500, 0, NULL);
    mlps_format_file file = {.index = 1, .d1 = 2, .d2 = 2};
    written_file out;
    write_parquet(&params, &file, &out);
    const uint64_t rows[] = {1024, 1024, 452};
    assert_row_groups(&out, &params, rows, 3);
    written_file_free(&out);
}

static void every_dtype_is_written_and_sized_exactly(void **state)
{
    (void)state;
    json_t *columns = columns_from(
        "[\"bare\", {\"name\": \"u8\", \"dtype\": \"uint8\"}, {\"name\": \"i16\", \"dtype\": "
        "\"int16\", \"size\": 3}, {\"name\": \"u16\", \"dtype\": \"uint16\"}, {\"name\": \"i32\","
        " \"dtype\": \"int32\"}, {\"name\": \"u32\", \"dtype\": \"uint32\"}, {\"name\": \"i64\", "
        "\"dtype\": \"int64\"}, {\"name\": \"u64\", \"dtype\": \"uint64\"}, {\"name\": \"flag\", "
        "\"dtype\": \"bool\", \"size\": 4}, {\"name\": \"blob\", \"dtype\": \"binary\", \"size\":"
        " 5}, {\"name\": \"big_blob\", \"dtype\": \"binary\", \"size\": 70000}, {\"name\": "
        "\"l\", \"dtype\": \"list\", \"size\": 1}, {\"name\": \"h\", \"dtype\": \"float16\", "
        "\"size\": 2}]");
    mlps_format_params params = parquet_params(37, 10, columns);
    mlps_format_file file = {.index = 6, .d1 = 1, .d2 = 1};
    written_file out;
    write_parquet(&params, &file, &out);
    const uint64_t rows[] = {10, 10, 10, 7};
    assert_row_groups(&out, &params, rows, 4);
    written_file_free(&out);
    json_decref(columns);
}

static void zero_rows_make_a_file_without_row_groups(void **state)
{
    (void)state;
    mlps_format_params params = parquet_params(0, 10, NULL);
    mlps_format_file file = {.index = 1, .d1 = 2, .d2 = 2};
    written_file out;
    write_parquet(&params, &file, &out);
    assert_row_groups(&out, &params, NULL, 0);
    written_file_free(&out);
}

static void bytes_depend_only_on_seed_and_file_index(void **state)
{
    (void)state;
    mlps_format_params params = parquet_params(20, 8, NULL);
    mlps_format_file file = {.index = 1, .d1 = 8, .d2 = 8};
    written_file first, again, other;
    write_parquet(&params, &file, &first);
    write_parquet(&params, &file, &again);
    assert_memory_equal(first.memory.data, again.memory.data, first.memory.size);
    file.index = 2;
    write_parquet(&params, &file, &other);
    assert_int_equal(other.memory.size, first.memory.size);
    assert_memory_not_equal(other.memory.data, first.memory.data, first.memory.size);
    written_file_free(&first);
    written_file_free(&again);
    written_file_free(&other);
}

static void rejects_bad_columns_and_compression(void **state)
{
    (void)state;
    const struct {
        const char *columns;
        const char *compression;
        const char *message;
    } cases[] = {
        {NULL, "gzip", "dataset.compression 'gzip'"},
        {"[{\"name\": \"s\", \"dtype\": \"string\"}]", "none", "columns[0].dtype 'string'"},
        {"[{\"name\": \"a\"}, {\"name\": \"a\"}]", "none", "columns[1].name 'a' repeats"},
        {"[{\"name\": \"a\", \"size\": 0}]", "none", "columns[0].size"},
        {"[{\"name\": \"a\", \"size\": \"3\"}]", "none", "columns[0].size"},
        {"[{\"name\": 5}]", "none", "columns[0].name must be a string"},
        {"[{\"name\": \"\"}]", "none", "columns[0].name must have"},
        {"[7]", "none", "columns[0] must be"},
        {"{\"name\": \"a\"}", "none", "must be a list"},
    };
    mlps_format_file file = {.index = 0, .d1 = 2, .d2 = 2};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *columns = cases[i].columns ? columns_from(cases[i].columns) : NULL;
        mlps_format_params params = parquet_params(4, 4, columns);
        params.compression = cases[i].compression;
        mlps_error err = {0};
        assert_int_equal(write_file_fails("parquet", &params, &file, &err), -EINVAL);
        assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
        assert_message_has(err.message, cases[i].message, NULL);
        assert_int_equal(format_named("parquet")->file_size(&params, &file), 0);
        json_decref(columns);
    }
}

static void passes_sink_errors_through(void **state)
{
    (void)state;
    json_t *columns = columns_from("[{\"name\": \"a\", \"dtype\": \"int16\", \"size\": 100},"
                                   " {\"name\": \"b\", \"dtype\": \"binary\", \"size\": 9}]");
    mlps_format_params params = parquet_params(300, 100, columns);
    mlps_format_file file = {.index = 0, .d1 = 1, .d2 = 1};
    uint64_t size = format_named("parquet")->file_size(&params, &file);
    const uint64_t limits[] = {0, 3, size / 3, size - 9, size - 1};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        failing_sink state_sink;
        mlps_sink sink = failing_sink_make(&state_sink, limits[i]);
        mlps_error err = {0};
        assert_int_equal(format_named("parquet")->write(&params, &file, &sink, &err), -ENOSPC);
        assert_message_has(err.message, "no space left", NULL);
    }
    json_decref(columns);
}

/* Builds "PAR1" + footer + tail with one row group whose only column chunk lies at
 * [chunk_offset, chunk_offset + 100), claiming `rows` rows. */
static void build_file_with_chunk_at(uint64_t chunk_offset, uint64_t rows, written_file *out)
{
    mlps_thrift_writer footer;
    mlps_thrift_writer_init(&footer);
    mlps_thrift_write_i32(&footer, 1, 2);
    mlps_thrift_write_i64(&footer, 3, (int64_t)rows);
    mlps_thrift_begin_list(&footer, 4, MLPS_THRIFT_STRUCT, 1);
    mlps_thrift_begin_struct_element(&footer);
    mlps_thrift_begin_list(&footer, 1, MLPS_THRIFT_STRUCT, 1);
    mlps_thrift_begin_struct_element(&footer);
    mlps_thrift_begin_struct(&footer, 3);
    mlps_thrift_write_i64(&footer, 7, 100);
    mlps_thrift_write_i64(&footer, 9, (int64_t)chunk_offset);
    mlps_thrift_end_struct(&footer);
    mlps_thrift_end_struct(&footer);
    mlps_thrift_write_i64(&footer, 3, (int64_t)rows);
    mlps_thrift_end_struct(&footer);
    mlps_thrift_finish(&footer);
    mlps_sink sink;
    mlps_memory_sink_init(&sink, &out->memory);
    unsigned char data[104] = "PAR1", tail[8] = {(unsigned char)footer.size, 0, 0, 0, 'P', 'A',
                                                  'R', '1'};
    assert_int_equal(mlps_sink_write(&sink, data, sizeof data, NULL), 0);
    assert_int_equal(mlps_sink_write(&sink, footer.data, footer.size, NULL), 0);
    assert_int_equal(mlps_sink_write(&sink, tail, sizeof tail, NULL), 0);
    mlps_thrift_writer_free(&footer);
}

static void locator_names_file_and_offset_of_damage(void **state)
{
    (void)state;
    mlps_format_params params = parquet_params(20, 8, NULL);
    mlps_format_file file = {.index = 1, .d1 = 8, .d2 = 8};
    written_file out;
    write_parquet(&params, &file, &out);
    size_t size = out.memory.size;
    unsigned char *copy = malloc(size);
    assert_non_null(copy);
    mlps_sample_extent extents[20];
    mlps_error err = {0};
    char expected[96];

    assert_int_equal(locate_bytes("parquet", &params, out.memory.data, size - 1, "cut.parquet",
                                  extents, &err), -EBADMSG);
    snprintf(expected, sizeof expected, "no \"PAR1\" magic at offset %zu", size - 5);
    assert_message_has(err.message, "cut.parquet", "truncated", expected, NULL);

    memcpy(copy, out.memory.data, size);
    copy[0] = 'Q';
    assert_int_equal(locate_bytes("parquet", &params, copy, size, "head.parquet", extents, &err),
                     -EBADMSG);
    assert_message_has(err.message, "head.parquet", "offset 0", NULL);

    memcpy(copy, out.memory.data, size);
    copy[size - 5] = 0x7F; /* the footer length's high byte */
    assert_int_equal(locate_bytes("parquet", &params, copy, size, "len.parquet", extents, &err),
                     -EBADMSG);
    snprintf(expected, sizeof expected, "footer length %u at offset %zu",
             le32_at(copy + size - 8), size - 8);
    assert_message_has(err.message, "len.parquet", expected, NULL);

    /* The FileMetaData's first byte replaced by a field of an unknown type. */
    uint64_t footer_at = size - 8 - le32_at(out.memory.data + size - 8);
    memcpy(copy, out.memory.data, size);
    copy[footer_at] = 0x1D;
    assert_int_equal(locate_bytes("parquet", &params, copy, size, "meta.parquet", extents, &err),
                     -EBADMSG);
    snprintf(expected, sizeof expected, "corrupt parquet footer at offset %llu",
             (unsigned long long)footer_at + 1);
    assert_message_has(err.message, "meta.parquet", expected, NULL);

    static const unsigned char tiny[] = "PAR1PAR1";
    assert_int_equal(locate_bytes("parquet", &params, tiny, 8, "tiny.parquet", extents, &err),
                     -EBADMSG);
    assert_message_has(err.message, "tiny.parquet", "8 bytes", NULL);

    mlps_format_params more = params;
    more.samples_per_file = 21;
    assert_int_equal(locate_bytes("parquet", &more, out.memory.data, size, "rows.parquet",
                                  extents, &err), -EBADMSG);
    assert_message_has(err.message, "rows.parquet", "20 rows",
                       "dataset.num_samples_per_file is 21", NULL);
    free(copy);
    written_file_free(&out);
}

static void locator_checks_chunks_and_row_counts_in_the_footer(void **state)
{
    (void)state;
    mlps_format_params params = parquet_params(5, 5, NULL);
    mlps_sample_extent extents[5];
    mlps_error err = {0};
    written_file good, outside, wrong_rows;
    build_file_with_chunk_at(4, 5, &good);
    assert_int_equal(locate_bytes("parquet", &params, good.memory.data, good.memory.size,
                                  "good.parquet", extents, &err), 0);
    assert_int_equal(extents[4].offset, 4);
    assert_int_equal(extents[4].length, 100);

    build_file_with_chunk_at(1000000, 5, &outside);
    assert_int_equal(locate_bytes("parquet", &params, outside.memory.data, outside.memory.size,
                                  "far.parquet", extents, &err), -EBADMSG);
    assert_message_has(err.message, "far.parquet", "corrupt parquet footer at offset",
                       "row group 0", "[1000000, 1000100)", "outside the data region [4, 104)",
                       NULL);

    build_file_with_chunk_at(4, 5, &wrong_rows);
    /* Change the row group's num_rows (the last i64 before two stop bytes) from 5 to 6. */
    unsigned char *footer_end = wrong_rows.memory.data + wrong_rows.memory.size - 8;
    assert_int_equal(footer_end[-3], 0x0A);
    footer_end[-3] = 0x0C;
    assert_int_equal(locate_bytes("parquet", &params, wrong_rows.memory.data,
                                  wrong_rows.memory.size, "sum.parquet", extents, &err),
                     -EBADMSG);
    assert_message_has(err.message, "sum.parquet", "row groups hold 6 rows but num_rows says 5",
                       NULL);
    written_file_free(&good);
    written_file_free(&outside);
    written_file_free(&wrong_rows);
}

static void locator_passes_source_errors_through(void **state)
{
    (void)state;
    mlps_format_params params = parquet_params(20, 8, NULL);
    mlps_format_file file = {.index = 1, .d1 = 8, .d2 = 8};
    written_file out;
    write_parquet(&params, &file, &out);
    const uint64_t fail_from[] = {0, out.memory.size - 1, out.memory.size - 9};
    for (int i = 0; i < 3; i++) {
        failing_source state_source;
        mlps_source source = failing_source_make(&state_source, out.memory.data,
                                                 out.memory.size, fail_from[i], "flaky.parquet");
        mlps_sample_extent extents[20];
        mlps_error err = {0};
        assert_int_equal(format_named("parquet")->locate_samples(&params, &source, extents,
                                                                 &err), -EIO);
        assert_message_has(err.message, "flaky.parquet", "read error", NULL);
    }
    written_file_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_a_double_column_byte_for_byte),
        cmocka_unit_test(writes_eight_bit_integers_through_a_dictionary),
        cmocka_unit_test(writes_list_levels_and_values),
        cmocka_unit_test(dlrm_shaped_file_has_exact_size_and_row_groups),
        cmocka_unit_test(flux_shaped_file_has_exact_size_and_row_groups),
        cmocka_unit_test(legacy_mode_writes_one_uint8_list_column),
        cmocka_unit_test(row_group_size_defaults_to_1024),
        cmocka_unit_test(every_dtype_is_written_and_sized_exactly),
        cmocka_unit_test(zero_rows_make_a_file_without_row_groups),
        cmocka_unit_test(bytes_depend_only_on_seed_and_file_index),
        cmocka_unit_test(rejects_bad_columns_and_compression),
        cmocka_unit_test(passes_sink_errors_through),
        cmocka_unit_test(locator_names_file_and_offset_of_damage),
        cmocka_unit_test(locator_checks_chunks_and_row_counts_in_the_footer),
        cmocka_unit_test(locator_passes_source_errors_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
