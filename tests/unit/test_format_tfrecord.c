/* Tests for the tfrecord format: the Example encoding against hand-encoded protobuf bytes,
 * the framing and CRCs of written files, exact sizes, record extents, the index companion
 * (path and content), and errors naming the file and offset for truncated or corrupt input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/fill.h"
#include "formats/crc32c.h"
#include "formats/format.h"
#include "formats/tfrecord.h"
#include "format_test_util.h"

static const mlps_format_params params = {
    .samples_per_file = 5, .element_bytes = 1, .element_type = "uint8", .compression = "none",
    .seed = 99};
static const mlps_format_file file = {.index = 6, .d1 = 4, .d2 = 6};

/* Example{features{feature{"image": bytes_list{[3 bytes]}}, feature{"size": int64_list{[3]}}}}
 * encoded by hand from the protobuf wire format. */
static void example_encoding_small(void **state)
{
    (void)state;
    static const unsigned char prefix[] = {
        0x0a, 0x21,                              /* Example.features, 33 bytes */
        0x0a, 0x10,                              /* Features.feature entry, 16 bytes */
        0x0a, 0x05, 'i', 'm', 'a', 'g', 'e',     /* key */
        0x12, 0x07,                              /* value: Feature, 7 bytes */
        0x0a, 0x05,                              /* Feature.bytes_list, 5 bytes */
        0x0a, 0x03};                             /* BytesList.value, 3 bytes */
    static const unsigned char suffix[] = {
        0x0a, 0x0d,                              /* Features.feature entry, 13 bytes */
        0x0a, 0x04, 's', 'i', 'z', 'e',          /* key */
        0x12, 0x05,                              /* value: Feature, 5 bytes */
        0x1a, 0x03,                              /* Feature.int64_list, 3 bytes */
        0x0a, 0x01, 0x03};                       /* Int64List.value packed: [3] */
    mlps_tfrecord_example ex;
    mlps_tfrecord_example_encode(3, 3, &ex);
    assert_int_equal(ex.prefix_len, sizeof prefix);
    assert_memory_equal(ex.prefix, prefix, sizeof prefix);
    assert_int_equal(ex.suffix_len, sizeof suffix);
    assert_memory_equal(ex.suffix, suffix, sizeof suffix);
    assert_int_equal(ex.payload_len, 35);
}

/* Lengths of 128 and more take two-byte varints. */
static void example_encoding_multibyte_varints(void **state)
{
    (void)state;
    static const unsigned char prefix[] = {
        0x0a, 0xcf, 0x02,                        /* Example.features, 335 bytes */
        0x0a, 0xbc, 0x02,                        /* entry, 316 bytes */
        0x0a, 0x05, 'i', 'm', 'a', 'g', 'e',
        0x12, 0xb2, 0x02,                        /* Feature, 306 bytes */
        0x0a, 0xaf, 0x02,                        /* BytesList, 303 bytes */
        0x0a, 0xac, 0x02};                       /* value, 300 bytes */
    static const unsigned char suffix[] = {
        0x0a, 0x0e, 0x0a, 0x04, 's', 'i', 'z', 'e', 0x12, 0x06, 0x1a, 0x04,
        0x0a, 0x02, 0xb0, 0x09};                 /* packed [1200] */
    mlps_tfrecord_example ex;
    mlps_tfrecord_example_encode(300, 1200, &ex);
    assert_int_equal(ex.prefix_len, sizeof prefix);
    assert_memory_equal(ex.prefix, prefix, sizeof prefix);
    assert_int_equal(ex.suffix_len, sizeof suffix);
    assert_memory_equal(ex.suffix, suffix, sizeof suffix);
    assert_int_equal(ex.payload_len, 338);
    for (uint64_t image = 0; image < 70000; image += 997) {
        mlps_tfrecord_example e;
        mlps_tfrecord_example_encode(image, image * 4, &e);
        assert_int_equal(e.payload_len, e.prefix_len + image + e.suffix_len);
    }
}

static uint32_t read_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void written_records_frame_and_checksum(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("tfrecord", &params, &file, &memory);
    mlps_tfrecord_example ex;
    mlps_tfrecord_example_encode(24, 24, &ex);
    uint64_t record = 16 + ex.payload_len;
    assert_int_equal(memory.size, 5 * record);
    unsigned char image[24];
    for (uint64_t k = 0; k < 5; k++) {
        const unsigned char *r = memory.data + k * record;
        unsigned char length[8] = {(unsigned char)ex.payload_len};
        assert_memory_equal(r, length, 8);
        assert_int_equal(read_le32(r + 8), mlps_crc32c_mask(mlps_crc32c(r, 8)));
        assert_memory_equal(r + 12, ex.prefix, ex.prefix_len);
        mlps_fill_random_at(image, sizeof image, params.seed, file.index, k * 24);
        assert_memory_equal(r + 12 + ex.prefix_len, image, sizeof image);
        assert_memory_equal(r + 12 + ex.prefix_len + 24, ex.suffix, ex.suffix_len);
        assert_int_equal(read_le32(r + 12 + ex.payload_len),
                         mlps_crc32c_mask(mlps_crc32c(r + 12, ex.payload_len)));
    }
    /* Each record's image differs. */
    assert_memory_not_equal(memory.data + 12 + ex.prefix_len,
                            memory.data + record + 12 + ex.prefix_len, 24);
    mlps_source source;
    mlps_error err = {0};
    uint64_t records = 0;
    mlps_memory_source_init(&source, memory.data, memory.size, FORMAT_TEST_FILE_NAME);
    assert_int_equal(mlps_tfrecord_verify(&source, &records, &err), 0);
    assert_int_equal(records, 5);
    mlps_memory_sink_free(&memory);
}

/* Images larger than the write buffer, and element bytes in "size". */
static void large_records_and_size_field(void **state)
{
    (void)state;
    mlps_format_params p = params;
    p.samples_per_file = 3;
    p.element_bytes = 4;
    mlps_format_file f = {.index = 2, .d1 = 700, .d2 = 900}; /* 630,000-byte images */
    mlps_memory_sink memory;
    format_test_write("tfrecord", &p, &f, &memory);
    mlps_tfrecord_example ex;
    mlps_tfrecord_example_encode(630000, 2520000, &ex);
    assert_int_equal(memory.size, 3 * (16 + ex.payload_len));
    mlps_source source;
    mlps_error err = {0};
    uint64_t records = 0;
    mlps_memory_source_init(&source, memory.data, memory.size, FORMAT_TEST_FILE_NAME);
    assert_int_equal(mlps_tfrecord_verify(&source, &records, &err), 0);
    assert_int_equal(records, 3);
    unsigned char *image = malloc(630000);
    assert_non_null(image);
    mlps_fill_random_at(image, 630000, p.seed, f.index, 2 * 630000);
    assert_memory_equal(memory.data + 2 * (16 + ex.payload_len) + 12 + ex.prefix_len, image,
                        630000);
    free(image);
    mlps_memory_sink_free(&memory);
}

static void locate_gives_whole_records(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("tfrecord", &params, &file, &memory);
    uint64_t record = memory.size / 5;
    mlps_sample_extent extents[5];
    mlps_error err = {0};
    assert_int_equal(
        format_test_locate("tfrecord", &params, memory.data, memory.size, extents, &err), 0);
    for (uint64_t k = 0; k < 5; k++) {
        assert_int_equal(extents[k].offset, k * record);
        assert_int_equal(extents[k].length, record);
    }
    mlps_memory_sink_free(&memory);
}

static void truncated_and_corrupt_files_name_the_offset(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("tfrecord", &params, &file, &memory);
    uint64_t record = memory.size / 5;
    mlps_sample_extent extents[5];
    mlps_error err = {0};
    int rc = format_test_locate("tfrecord", &params, memory.data, memory.size - 1, extents, &err);
    format_test_assert_error_at(&err, rc, 4 * record);
    assert_non_null(strstr(err.message, "truncated"));
    rc = format_test_locate("tfrecord", &params, memory.data, 3 * record + 5, extents, &err);
    format_test_assert_error_at(&err, rc, 3 * record);

    memory.data[2 * record + 3] ^= 1; /* record 2's length */
    rc = format_test_locate("tfrecord", &params, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, 2 * record);
    assert_non_null(strstr(err.message, "length checksum"));
    memory.data[2 * record + 3] ^= 1;

    memory.data[record + 20] ^= 0x40; /* record 1's payload: only a full check sees it */
    assert_int_equal(
        format_test_locate("tfrecord", &params, memory.data, memory.size, extents, &err), 0);
    mlps_source source;
    mlps_memory_source_init(&source, memory.data, memory.size, FORMAT_TEST_FILE_NAME);
    rc = mlps_tfrecord_verify(&source, NULL, &err);
    format_test_assert_error_at(&err, rc, record);
    assert_non_null(strstr(err.message, "payload checksum"));
    memory.data[record + 20] ^= 0x40;

    mlps_format_params fewer = params;
    fewer.samples_per_file = 4; /* a fifth record left over */
    rc = format_test_locate("tfrecord", &fewer, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, 4 * record);
    mlps_memory_sink_free(&memory);
}

static void index_companion_path_and_content(void **state)
{
    (void)state;
    const mlps_format *format = mlps_format_find("tfrecord");
    char path[128];
    mlps_error err = {0};
    assert_int_equal(format->companion_count, 1);
    assert_int_equal(format->companion_path(0, "train", "train/img_0_of_8.tfrecord", path,
                                            sizeof path, &err),
                     0);
    assert_string_equal(path, "index/train/img_0_of_8.tfrecord.idx");
    assert_int_equal(format->companion_path(0, "valid", "valid/3/img_11_of_40.tfrecord", path,
                                            sizeof path, &err),
                     0);
    assert_string_equal(path, "index/valid/img_11_of_40.tfrecord.idx");
    assert_int_equal(format->companion_path(1, "train", "train/a.tfrecord", path, sizeof path,
                                            &err),
                     -EINVAL);
    assert_int_equal(format->companion_path(0, "train", "train/a.tfrecord", path, 10, &err),
                     -ENAMETOOLONG);

    mlps_memory_sink memory;
    mlps_sink sink;
    mlps_memory_sink_init(&sink, &memory);
    assert_int_equal(format->write_companion(&params, &file, 0, &sink, &err), 0);
    mlps_tfrecord_example ex;
    mlps_tfrecord_example_encode(24, 24, &ex);
    uint64_t record = 16 + ex.payload_len;
    char expected[256];
    int len = 0;
    for (uint64_t k = 0; k < 5; k++)
        len += snprintf(expected + len, sizeof expected - (size_t)len, "%llu %llu\n",
                        (unsigned long long)(k * record), (unsigned long long)record);
    assert_int_equal(memory.size, (size_t)len);
    assert_memory_equal(memory.data, expected, (size_t)len);
    mlps_memory_sink_free(&memory);
}

/* The index gives the same extents as walking the records, without reading the data. */
static void index_locates_the_same_records(void **state)
{
    (void)state;
    const mlps_format *tfrecord = mlps_format_find("tfrecord");
    mlps_memory_sink data, index;
    format_test_write("tfrecord", &params, &file, &data);
    mlps_sink sink;
    mlps_memory_sink_init(&sink, &index);
    mlps_error err = {0};
    assert_int_equal(tfrecord->write_companion(&params, &file, 0, &sink, &err), 0);
    mlps_source data_source, index_source;
    mlps_memory_source_init(&data_source, data.data, data.size, "img_6_of_9.tfrecord");
    mlps_memory_source_init(&index_source, index.data, index.size, "img_6_of_9.tfrecord.idx");
    mlps_sample_extent walked[5], indexed[5];
    assert_int_equal(
        format_test_locate("tfrecord", &params, data.data, data.size, walked, &err), 0);
    assert_int_equal(tfrecord->locate_samples_from_index(&params, &data_source, &index_source,
                                                         indexed, &err), 0);
    assert_memory_equal(walked, indexed, sizeof walked);

    /* A data file shorter than the index says: the record is named with both files. */
    data_source.size -= 10;
    assert_int_not_equal(tfrecord->locate_samples_from_index(&params, &data_source, &index_source,
                                                             indexed, &err), 0);
    assert_non_null(strstr(err.message, "record 4 at offset"));
    assert_non_null(strstr(err.message, "img_6_of_9.tfrecord ("));
    /* An index with fewer lines than records. */
    data_source.size += 10;
    index_source.size = (uint64_t)(strchr((char *)index.data, '\n') - (char *)index.data) + 1;
    assert_int_not_equal(tfrecord->locate_samples_from_index(&params, &data_source, &index_source,
                                                             indexed, &err), 0);
    assert_non_null(strstr(err.message, "line 2 (byte"));
    mlps_memory_sink_free(&data);
    mlps_memory_sink_free(&index);
}

static void compression_is_a_usage_error(void **state)
{
    (void)state;
    mlps_format_params p = params;
    p.compression = "gzip";
    mlps_memory_sink memory;
    mlps_sink sink;
    mlps_error err = {0};
    mlps_memory_sink_init(&sink, &memory);
    int rc = mlps_format_find("tfrecord")->write(&p, &file, &sink, &err);
    format_test_assert_usage_error(&err, rc, "dataset.compression 'gzip'");
    assert_int_equal(memory.size, 0);
    assert_int_equal(mlps_format_find("tfrecord")->file_size(&p, &file), 0);
    mlps_memory_sink_free(&memory);
}

static void same_inputs_same_bytes(void **state)
{
    (void)state;
    mlps_memory_sink a, b, c;
    mlps_format_params other = params;
    other.seed = 100;
    format_test_write("tfrecord", &params, &file, &a);
    format_test_write("tfrecord", &params, &file, &b);
    format_test_write("tfrecord", &other, &file, &c);
    assert_int_equal(a.size, b.size);
    assert_memory_equal(a.data, b.data, a.size);
    assert_int_equal(a.size, c.size);
    assert_memory_not_equal(a.data, c.data, a.size);
    mlps_memory_sink_free(&a);
    mlps_memory_sink_free(&b);
    mlps_memory_sink_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_encoding_small),
        cmocka_unit_test(example_encoding_multibyte_varints),
        cmocka_unit_test(written_records_frame_and_checksum),
        cmocka_unit_test(large_records_and_size_field),
        cmocka_unit_test(locate_gives_whole_records),
        cmocka_unit_test(truncated_and_corrupt_files_name_the_offset),
        cmocka_unit_test(index_companion_path_and_content),
        cmocka_unit_test(index_locates_the_same_records),
        cmocka_unit_test(compression_is_a_usage_error),
        cmocka_unit_test(same_inputs_same_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
