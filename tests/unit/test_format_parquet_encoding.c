/* Known-answer tests for the encodings under the parquet writer: the Thrift compact protocol
 * (varints, zigzag, field headers with short and long ids, binaries, lists, nested structs,
 * booleans) with its decoder and skipping, and the RLE / bit-packed hybrid encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/parquet_rle.h"
#include "formats/parquet_thrift.h"

#define assert_bytes(actual, actual_len, ...)                                                   \
    do {                                                                                        \
        static const unsigned char expected_[] = {__VA_ARGS__};                                 \
        assert_int_equal((actual_len), sizeof expected_);                                       \
        assert_memory_equal((actual), expected_, sizeof expected_);                             \
    } while (0)

static void varints_and_zigzag(void **state)
{
    (void)state;
    unsigned char out[10];
    assert_bytes(out, mlps_thrift_put_varint(out, 0), 0x00);
    assert_bytes(out, mlps_thrift_put_varint(out, 127), 0x7F);
    assert_bytes(out, mlps_thrift_put_varint(out, 128), 0x80, 0x01);
    assert_bytes(out, mlps_thrift_put_varint(out, 300), 0xAC, 0x02);
    assert_bytes(out, mlps_thrift_put_varint(out, UINT64_MAX), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                 0xFF, 0xFF, 0xFF, 0xFF, 0x01);
    assert_int_equal(mlps_thrift_zigzag(0), 0);
    assert_int_equal(mlps_thrift_zigzag(-1), 1);
    assert_int_equal(mlps_thrift_zigzag(1), 2);
    assert_int_equal(mlps_thrift_zigzag(-2), 3);
    assert_int_equal(mlps_thrift_zigzag(INT64_MAX), UINT64_MAX - 1);
    assert_int_equal(mlps_thrift_zigzag(INT64_MIN), UINT64_MAX);
}

/* A struct exercising every construct the writer uses. */
static void encode_sample_struct(mlps_thrift_writer *writer)
{
    mlps_thrift_write_i32(writer, 1, 1);
    mlps_thrift_write_string(writer, 2, "ab");
    mlps_thrift_write_i64(writer, 5, -1);
    mlps_thrift_write_bool(writer, 20, true);
    mlps_thrift_begin_struct(writer, 21);
    mlps_thrift_write_i8(writer, 1, 8);
    mlps_thrift_write_bool(writer, 2, false);
    mlps_thrift_end_struct(writer);
    mlps_thrift_begin_list(writer, 22, MLPS_THRIFT_I32, 3);
    mlps_thrift_element_i32(writer, 1);
    mlps_thrift_element_i32(writer, -2);
    mlps_thrift_element_i32(writer, 3);
    mlps_thrift_write_i32(writer, 40, 300); /* a jump of 18: the long field header */
    mlps_thrift_begin_list(writer, 41, MLPS_THRIFT_STRUCT, 16);
    for (int i = 0; i < 16; i++) {
        mlps_thrift_begin_struct_element(writer);
        if (i == 0)
            mlps_thrift_write_string(writer, 4, "x");
        mlps_thrift_end_struct(writer);
    }
    mlps_thrift_finish(writer);
}

static void compact_protocol_known_answer(void **state)
{
    (void)state;
    mlps_thrift_writer writer;
    mlps_thrift_writer_init(&writer);
    encode_sample_struct(&writer);
    assert_int_equal(mlps_thrift_writer_check(&writer, "test", NULL), 0);
    assert_bytes(writer.data, writer.size,
                 0x15, 0x02,                   /* 1: i32 1 */
                 0x18, 0x02, 'a', 'b',         /* 2: binary "ab" */
                 0x36, 0x01,                   /* 5: i64 -1 */
                 0xF1,                         /* 20: bool true in the type nibble */
                 0x1C,                         /* 21: struct */
                 0x13, 0x08,                   /*   1: i8 8 */
                 0x12,                         /*   2: bool false */
                 0x00,                         /*   stop */
                 0x19, 0x35, 0x02, 0x03, 0x06, /* 22: list<i32> [1, -2, 3] */
                 0x05, 0x50, 0xD8, 0x04,       /* 40: long header (zigzag id 80), i32 300 */
                 0x19, 0xFC, 0x10,             /* 41: list<struct> of 16: long list header */
                 0x48, 0x01, 'x', 0x00,        /*   {4: "x"} */
                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 15 empty structs */
                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                 0x00);                        /* stop */
    mlps_thrift_writer_reset(&writer);
    mlps_thrift_write_i32(&writer, 3, 7);
    mlps_thrift_finish(&writer);
    assert_bytes(writer.data, writer.size, 0x35, 0x0E, 0x00);
    mlps_thrift_writer_free(&writer);
}

static void unbalanced_structs_are_reported(void **state)
{
    (void)state;
    mlps_thrift_writer writer;
    mlps_thrift_writer_init(&writer);
    mlps_thrift_begin_struct(&writer, 1);
    mlps_thrift_finish(&writer);
    mlps_error err = {0};
    assert_int_equal(mlps_thrift_writer_check(&writer, "page header", &err), -EINVAL);
    assert_non_null(strstr(err.message, "page header"));
    mlps_thrift_writer_reset(&writer);
    mlps_thrift_end_struct(&writer);
    assert_int_equal(mlps_thrift_writer_check(&writer, "footer", NULL), -EINVAL);
    mlps_thrift_writer_reset(&writer);
    for (int i = 0; i < MLPS_THRIFT_MAX_DEPTH; i++)
        mlps_thrift_begin_struct(&writer, 1);
    assert_int_equal(mlps_thrift_writer_check(&writer, "footer", NULL), -EINVAL);
    mlps_thrift_writer_free(&writer);
}

/* Decodes the sample struct: field ids and types, values, lists, and skipping. */
static void decoder_reads_back_and_skips(void **state)
{
    (void)state;
    mlps_thrift_writer writer;
    mlps_thrift_writer_init(&writer);
    encode_sample_struct(&writer);
    mlps_thrift_reader reader;
    mlps_error err = {0};
    mlps_thrift_reader_init(&reader, writer.data, writer.size, "t.parquet", 1000, "footer", &err);
    int16_t last = 0, id;
    enum mlps_thrift_type type;
    int64_t value;
    assert_int_equal(mlps_thrift_read_field(&reader, &last, &type, &id), 0);
    assert_int_equal(id, 1);
    assert_int_equal(mlps_thrift_read_int(&reader, type, &value), 0);
    assert_int_equal(value, 1);
    const int16_t skipped_ids[] = {2, 5, 20, 21};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mlps_thrift_read_field(&reader, &last, &type, &id), 0);
        assert_int_equal(id, skipped_ids[i]);
        assert_int_equal(mlps_thrift_skip(&reader, type), 0);
    }
    assert_int_equal(mlps_thrift_read_field(&reader, &last, &type, &id), 0);
    assert_int_equal(id, 22);
    uint64_t count;
    enum mlps_thrift_type element;
    assert_int_equal(mlps_thrift_read_list(&reader, &element, &count), 0);
    assert_int_equal(element, MLPS_THRIFT_I32);
    assert_int_equal(count, 3);
    const int64_t elements[] = {1, -2, 3};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mlps_thrift_read_int(&reader, element, &value), 0);
        assert_int_equal(value, elements[i]);
    }
    assert_int_equal(mlps_thrift_read_field(&reader, &last, &type, &id), 0);
    assert_int_equal(id, 40);
    assert_int_equal(mlps_thrift_read_int(&reader, type, &value), 0);
    assert_int_equal(value, 300);
    assert_int_equal(mlps_thrift_read_field(&reader, &last, &type, &id), 0);
    assert_int_equal(id, 41);
    assert_int_equal(mlps_thrift_skip(&reader, type), 0);
    assert_int_equal(mlps_thrift_read_field(&reader, &last, &type, &id), 0);
    assert_int_equal(type, MLPS_THRIFT_STOP);
    assert_int_equal(reader.pos, writer.size);
    mlps_thrift_writer_free(&writer);
}

/* Every proper prefix of the struct fails to skip, naming the file and an absolute offset. */
static void decoder_rejects_truncated_and_foreign_bytes(void **state)
{
    (void)state;
    mlps_thrift_writer writer;
    mlps_thrift_writer_init(&writer);
    encode_sample_struct(&writer);
    for (size_t len = 0; len < writer.size; len++) {
        mlps_thrift_reader reader;
        mlps_error err = {0};
        mlps_thrift_reader_init(&reader, writer.data, len, "t.parquet", 1000, "footer", &err);
        assert_int_equal(mlps_thrift_skip(&reader, MLPS_THRIFT_STRUCT), -EBADMSG);
        assert_non_null(strstr(err.message, "t.parquet: corrupt parquet footer at offset 1"));
    }
    static const unsigned char bad_type[] = {0x1D}; /* field 1 of type 13: no such type */
    static const unsigned char long_list[] = {0x19, 0xF5, 0x80, 0x80, 0x04}; /* 65536 items */
    static const unsigned char endless[] = {0x16, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                            0x80, 0x80, 0x80, 0x80};
    const struct {
        const unsigned char *bytes;
        size_t len;
        const char *problem;
    } cases[] = {{bad_type, sizeof bad_type, "unknown compact protocol type"},
                 {long_list, sizeof long_list, "list longer than the bytes that remain"},
                 {endless, sizeof endless, "varint longer than 10 bytes"}};
    for (size_t i = 0; i < 3; i++) {
        mlps_thrift_reader reader;
        mlps_error err = {0};
        mlps_thrift_reader_init(&reader, cases[i].bytes, cases[i].len, "f.parquet", 0, "footer",
                                &err);
        assert_int_equal(mlps_thrift_skip(&reader, MLPS_THRIFT_STRUCT), -EBADMSG);
        assert_non_null(strstr(err.message, cases[i].problem));
    }
    mlps_thrift_writer_free(&writer);
}

static void level_bit_widths(void **state)
{
    (void)state;
    assert_int_equal(mlps_rle_bit_width(0), 0);
    assert_int_equal(mlps_rle_bit_width(1), 1);
    assert_int_equal(mlps_rle_bit_width(2), 2);
    assert_int_equal(mlps_rle_bit_width(3), 2);
    assert_int_equal(mlps_rle_bit_width(4), 3);
    assert_int_equal(mlps_rle_bit_width(255), 8);
}

static void rle_runs_known_answers(void **state)
{
    (void)state;
    mlps_rle_writer writer;
    mlps_rle_writer_init(&writer, 1);
    /* Repetition levels of two rows of a 4-element list: 0 1 1 1 0 1 1 1. */
    for (int row = 0; row < 2; row++) {
        mlps_rle_append(&writer, 0, 1);
        mlps_rle_append(&writer, 1, 3);
    }
    assert_int_equal(mlps_rle_finish(&writer, NULL), 0);
    assert_bytes(writer.data, writer.size, 0x02, 0x00, 0x06, 0x01, 0x02, 0x00, 0x06, 0x01);
    assert_int_equal(writer.size, 2 * (mlps_rle_run_bytes(1, 1) + mlps_rle_run_bytes(1, 3)));

    /* Equal values merge into one run; zero counts add nothing. */
    mlps_rle_writer_reset(&writer);
    mlps_rle_append(&writer, 1, 2);
    mlps_rle_append(&writer, 1, 0);
    mlps_rle_append(&writer, 0, 0);
    mlps_rle_append(&writer, 1, 3);
    assert_int_equal(mlps_rle_finish(&writer, NULL), 0);
    assert_bytes(writer.data, writer.size, 0x0A, 0x01);
    mlps_rle_writer_free(&writer);

    /* Definition levels 2 of 300 values: header varint(600), one value byte. */
    mlps_rle_writer_init(&writer, 2);
    mlps_rle_append(&writer, 2, 300);
    assert_int_equal(mlps_rle_finish(&writer, NULL), 0);
    assert_bytes(writer.data, writer.size, 0xD8, 0x04, 0x02);
    assert_int_equal(mlps_rle_run_bytes(2, 300), 3);
    mlps_rle_writer_free(&writer);

    /* Wider values take ceil(width / 8) little-endian bytes. */
    mlps_rle_writer_init(&writer, 12);
    mlps_rle_append(&writer, 0xABC, 1);
    assert_int_equal(mlps_rle_finish(&writer, NULL), 0);
    assert_bytes(writer.data, writer.size, 0x02, 0xBC, 0x0A);
    mlps_rle_writer_free(&writer);
}

static void bit_packed_runs_known_answers(void **state)
{
    (void)state;
    /* The Parquet specification's example: 0..7 at bit width 3. */
    mlps_rle_writer writer;
    mlps_rle_writer_init(&writer, 3);
    const uint8_t counting[] = {0, 1, 2, 3, 4, 5, 6, 7};
    mlps_rle_append_bitpacked(&writer, counting, 8);
    assert_int_equal(mlps_rle_finish(&writer, NULL), 0);
    assert_bytes(writer.data, writer.size, 0x03, 0x88, 0xC6, 0xFA);
    mlps_rle_writer_free(&writer);

    /* A run of RLE before a bit-packed tail of 10 values, padded to 16. */
    mlps_rle_writer_init(&writer, 1);
    mlps_rle_append(&writer, 1, 4);
    const uint8_t levels[] = {0, 1, 1, 1, 0, 1, 1, 1, 0, 1};
    mlps_rle_append_bitpacked(&writer, levels, 10);
    assert_int_equal(mlps_rle_finish(&writer, NULL), 0);
    assert_bytes(writer.data, writer.size, 0x08, 0x01, 0x05, 0xEE, 0x02);
    assert_int_equal(mlps_rle_bitpacked_bytes(1, 10), 3);
    unsigned char header[10];
    assert_bytes(header, mlps_rle_bitpacked_header(header, 1000), 0xFB, 0x01); /* 125 groups */
    mlps_rle_writer_free(&writer);

    /* Bit-packing is only implemented up to 8 bits. */
    mlps_rle_writer_init(&writer, 9);
    mlps_rle_append_bitpacked(&writer, counting, 8);
    assert_int_equal(mlps_rle_finish(&writer, NULL), -ENOMEM);
    mlps_rle_writer_free(&writer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varints_and_zigzag),
        cmocka_unit_test(compact_protocol_known_answer),
        cmocka_unit_test(unbalanced_structs_are_reported),
        cmocka_unit_test(decoder_reads_back_and_skips),
        cmocka_unit_test(decoder_rejects_truncated_and_foreign_bytes),
        cmocka_unit_test(level_bit_widths),
        cmocka_unit_test(rle_runs_known_answers),
        cmocka_unit_test(bit_packed_runs_known_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
