/* Tests for the npz format and its ZIP container: exact bytes of the layout (numpy.savez's,
 * except that x.npy's CRC-32 follows its data in a descriptor: flag bit 3, CRC-32 zero but real
 * sizes in its local header; y.npy exactly as numpy writes it), the NPY member headers, exact
 * sizes, members checksummed on the way out (round trip, misuse, the zip64 offset their
 * descriptor can cause), the x data span as every sample's extent, deflated members with data
 * descriptors, zip64 records past 2 GiB (written through a sink that keeps only the head and
 * tail), and errors naming the file and offset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "core/fill.h"
#include "formats/format.h"
#include "formats/zip.h"
#include "format_test_util.h"

static const mlps_format_params params = {
    .samples_per_file = 3, .element_bytes = 1, .element_type = "uint8", .compression = "none",
    .seed = 5};
static const mlps_format_file file = {.index = 1, .d1 = 7, .d2 = 5};

/* x (7, 5, 3) uint8 and y (3,) int64: 55-byte local headers, 128-byte NPY headers, 105 + 24
 * data bytes, a 24-byte zip64 descriptor after x's data, 51-byte central entries, 22-byte end
 * record. */
#define X_HEADER_AT 0u
#define X_NPY_AT 55u
#define X_DATA_AT (X_NPY_AT + 128u)
#define X_DATA_BYTES 105u
#define X_DESCRIPTOR_AT (X_DATA_AT + X_DATA_BYTES)
#define Y_HEADER_AT (X_DESCRIPTOR_AT + 24u)
#define Y_NPY_AT (Y_HEADER_AT + 55u)
#define DIRECTORY_AT (Y_NPY_AT + 128u + 24u)
#define END_AT (DIRECTORY_AT + 102u)
#define TOTAL_BYTES (END_AT + 22u)

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static void npy_header_text(const char *dict, unsigned char out[128])
{
    size_t len = strlen(dict);
    memcpy(out, "\x93NUMPY\x01\x00\x76\x00", 10);
    memcpy(out + 10, dict, len);
    memset(out + 10 + len, ' ', 127 - 10 - len);
    out[127] = '\n';
}

#define CRC_IN_HEADER 0
#define CRC_AFTER_DATA 0x0008 /* flag bit 3 */

static void check_local_header(const unsigned char *h, const char *name, unsigned flags,
                               uint32_t crc, uint32_t size)
{
    assert_int_equal(le32(h), 0x04034b50);
    assert_int_equal(le16(h + 4), 20);     /* version needed */
    assert_int_equal(le16(h + 6), flags);
    assert_int_equal(le16(h + 8), 0);      /* stored */
    assert_int_equal(le16(h + 10), 0);     /* 00:00 */
    assert_int_equal(le16(h + 12), 0x21);  /* 1980-01-01 */
    assert_int_equal(le32(h + 14), crc);
    assert_int_equal(le32(h + 18), size);
    assert_int_equal(le32(h + 22), size);
    assert_int_equal(le16(h + 26), 5);
    assert_int_equal(le16(h + 28), 20);
    assert_memory_equal(h + 30, name, 5);
    assert_int_equal(le16(h + 35), 1);     /* zip64 extra */
    assert_int_equal(le16(h + 37), 16);
    assert_int_equal(le64(h + 39), size);
    assert_int_equal(le64(h + 47), size);
}

static void check_central_entry(const unsigned char *c, const char *name, unsigned flags,
                                uint32_t crc, uint32_t size, uint32_t header_offset)
{
    assert_int_equal(le32(c), 0x02014b50);
    assert_int_equal(le16(c + 4), 0x0314);  /* made by 2.0 on Unix */
    assert_int_equal(le16(c + 6), 20);
    assert_int_equal(le16(c + 8), flags);
    assert_int_equal(le16(c + 10), 0);
    assert_int_equal(le16(c + 14), 0x21);
    assert_int_equal(le32(c + 16), crc);
    assert_int_equal(le32(c + 20), size);
    assert_int_equal(le32(c + 24), size);
    assert_int_equal(le16(c + 28), 5);
    assert_int_equal(le16(c + 30), 0);      /* no extra below 2 GiB */
    assert_int_equal(le32(c + 38), 0600u << 16);
    assert_int_equal(le32(c + 42), header_offset);
    assert_memory_equal(c + 46, name, 5);
}

static void layout_is_numpy_savez_with_x_crc_after_data(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("npz", &params, &file, &memory);
    assert_int_equal(memory.size, TOTAL_BYTES);
    const unsigned char *d = memory.data;

    unsigned char x_npy[128], y_npy[128];
    npy_header_text("{'descr': '|u1', 'fortran_order': False, 'shape': (7, 5, 3), }"
                    "                    ",
                    x_npy);
    npy_header_text("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"
                    "                    ",
                    y_npy);
    assert_memory_equal(d + X_NPY_AT, x_npy, 128);
    assert_memory_equal(d + Y_NPY_AT, y_npy, 128);
    unsigned char x[X_DATA_BYTES], zeros[24] = {0};
    mlps_fill_random_at(x, sizeof x, params.seed, file.index, 0);
    assert_memory_equal(d + X_DATA_AT, x, sizeof x);
    assert_memory_equal(d + Y_NPY_AT + 128, zeros, sizeof zeros);

    uint32_t x_crc = (uint32_t)crc32(0, d + X_NPY_AT, 128 + X_DATA_BYTES);
    uint32_t y_crc = (uint32_t)crc32(0, d + Y_NPY_AT, 128 + 24);
    check_local_header(d + X_HEADER_AT, "x.npy", CRC_AFTER_DATA, 0, 128 + X_DATA_BYTES);
    assert_int_equal(le32(d + X_DESCRIPTOR_AT), 0x08074b50);
    assert_int_equal(le32(d + X_DESCRIPTOR_AT + 4), x_crc);
    assert_int_equal(le64(d + X_DESCRIPTOR_AT + 8), 128 + X_DATA_BYTES);
    assert_int_equal(le64(d + X_DESCRIPTOR_AT + 16), 128 + X_DATA_BYTES);
    check_local_header(d + Y_HEADER_AT, "y.npy", CRC_IN_HEADER, y_crc, 128 + 24);
    check_central_entry(d + DIRECTORY_AT, "x.npy", CRC_AFTER_DATA, x_crc, 128 + X_DATA_BYTES,
                        X_HEADER_AT);
    check_central_entry(d + DIRECTORY_AT + 51, "y.npy", CRC_IN_HEADER, y_crc, 128 + 24,
                        Y_HEADER_AT);
    assert_int_equal(mlps_format_find("npz")->file_size(&params, &file), TOTAL_BYTES);
    static const unsigned char end[22] = {0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 2, 0, 2, 0,
                                          102,  0,    0,    0,    (unsigned char)DIRECTORY_AT,
                                          (unsigned char)(DIRECTORY_AT >> 8), 0, 0, 0, 0};
    assert_memory_equal(d + END_AT, end, sizeof end);
    mlps_memory_sink_free(&memory);
}

/* --- stored members checksummed on the way out --- */

static void crc_after_member_round_trips(void **state)
{
    (void)state;
    unsigned char data[1000];
    mlps_fill_random(data, sizeof data, 8, 1);
    mlps_sink sink;
    mlps_memory_sink memory;
    mlps_memory_sink_init(&sink, &memory);
    mlps_zip_writer zip;
    mlps_error err = {0};
    mlps_zip_writer_init(&zip, &sink);
    assert_int_equal(mlps_zip_begin_stored_crc_after(&zip, "a.npy", sizeof data, &err), 0);
    assert_int_equal(mlps_zip_store(&zip, data, 1, &err), 0);
    assert_int_equal(mlps_zip_store(&zip, data + 1, 700, &err), 0);
    assert_int_equal(mlps_zip_store(&zip, data + 701, sizeof data - 701, &err), 0);
    assert_int_equal(mlps_zip_member_end(&zip, &err), 0);
    assert_int_equal(mlps_zip_finish(&zip, &err), 0);
    mlps_zip_writer_free(&zip);
    const char *names[1] = {"a.npy"};
    const uint64_t sizes[1] = {sizeof data};
    const bool crc_after[1] = {true};
    assert_int_equal(memory.size, mlps_zip_stored_archive_size(names, sizes, crc_after, 1));
    assert_int_equal(memory.size, 55 + 1000 + 24 + 51 + 22);

    uint32_t crc = (uint32_t)crc32(0, data, sizeof data);
    const unsigned char *d = memory.data;
    check_local_header(d, "a.npy", CRC_AFTER_DATA, 0, sizeof data);
    assert_memory_equal(d + 55, data, sizeof data);
    static const unsigned char descriptor_sizes[16] = {0xe8, 3, 0, 0, 0, 0, 0, 0,
                                                       0xe8, 3, 0, 0, 0, 0, 0, 0};
    assert_int_equal(le32(d + 1055), 0x08074b50);
    assert_int_equal(le32(d + 1059), crc);
    assert_memory_equal(d + 1063, descriptor_sizes, 16);
    check_central_entry(d + 1079, "a.npy", CRC_AFTER_DATA, crc, sizeof data, 0);

    mlps_source source;
    mlps_memory_source_init(&source, memory.data, memory.size, FORMAT_TEST_FILE_NAME);
    mlps_zip_member member;
    assert_int_equal(mlps_zip_find_member(&source, "a.npy", &member, &err), 0);
    assert_int_equal(member.flags, 0x0008);
    assert_int_equal(member.method, 0);
    assert_int_equal(member.crc, crc);
    assert_int_equal(member.data_offset, 55);
    assert_int_equal(member.size, sizeof data);
    assert_int_equal(member.compressed_size, sizeof data);
    mlps_memory_sink_free(&memory);
}

static void crc_after_member_misuse_is_refused(void **state)
{
    (void)state;
    mlps_sink sink;
    mlps_memory_sink memory;
    mlps_memory_sink_init(&sink, &memory);
    mlps_zip_writer zip;
    mlps_error err = {0};
    mlps_zip_writer_init(&zip, &sink);
    int rc = mlps_zip_store(&zip, "ab", 2, &err);
    assert_int_equal(rc, -EINVAL);
    assert_non_null(strstr(err.message, "mlps_zip_begin_stored_crc_after"));
    assert_int_equal(mlps_zip_begin_stored(&zip, "k.npy", 0x1234, 2, &err), 0);
    rc = mlps_zip_store(&zip, "ab", 2, &err);
    assert_int_equal(rc, -EINVAL);
    assert_non_null(strstr(err.message, "'k.npy'"));
    assert_int_equal(mlps_sink_write(&sink, "ab", 2, &err), 0);
    assert_int_equal(mlps_zip_member_end(&zip, &err), 0);
    assert_int_equal(mlps_zip_begin_stored_crc_after(&zip, "s.npy", 3, &err), 0);
    assert_int_equal(mlps_zip_store(&zip, "ab", 2, &err), 0);
    rc = mlps_zip_member_end(&zip, &err);
    assert_int_equal(rc, -EIO);
    assert_non_null(strstr(err.message, "'s.npy': 2 bytes written, 3 declared"));
    mlps_zip_writer_free(&zip);
    mlps_memory_sink_free(&memory);
}

static void every_sample_spans_x_data(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("npz", &params, &file, &memory);
    mlps_sample_extent extents[3];
    mlps_error err = {0};
    assert_int_equal(format_test_locate("npz", &params, memory.data, memory.size, extents, &err),
                     0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(extents[k].offset, X_DATA_AT);
        assert_int_equal(extents[k].length, X_DATA_BYTES);
    }
    mlps_memory_sink_free(&memory);
}

static void element_types_scale_the_data(void **state)
{
    (void)state;
    mlps_format_params p = params;
    p.element_type = "float32";
    p.element_bytes = 4;
    mlps_memory_sink memory;
    format_test_write("npz", &p, &file, &memory);
    assert_int_equal(memory.size, TOTAL_BYTES + 3 * X_DATA_BYTES);
    assert_non_null(memmem(memory.data + X_NPY_AT, 128, "'descr': '<f4'", 14));
    mlps_sample_extent extents[3];
    mlps_error err = {0};
    assert_int_equal(format_test_locate("npz", &p, memory.data, memory.size, extents, &err), 0);
    assert_int_equal(extents[2].length, 4 * X_DATA_BYTES);
    mlps_memory_sink_free(&memory);

    p.element_type = "complex64";
    mlps_sink sink;
    mlps_memory_sink_init(&sink, &memory);
    int rc = mlps_format_find("npz")->write(&p, &file, &sink, &err);
    format_test_assert_usage_error(&err, rc, "dataset.record_element_type 'complex64'");
    p.element_type = "uint16";
    p.element_bytes = 4;
    rc = mlps_format_find("npz")->write(&p, &file, &sink, &err);
    format_test_assert_usage_error(&err, rc, "dataset.record_element_type 'uint16'");
    assert_int_equal(mlps_format_find("npz")->file_size(&p, &file), 0);
    p = params;
    p.compression = "gzip";
    rc = mlps_format_find("npz")->write(&p, &file, &sink, &err);
    format_test_assert_usage_error(&err, rc, "dataset.compression 'gzip'");
    assert_int_equal(memory.size, 0);
    mlps_memory_sink_free(&memory);
}

/* Raw-inflates a member's compressed bytes. */
static unsigned char *inflate_member(const unsigned char *data, size_t len, size_t out_len)
{
    unsigned char *out = malloc(out_len + 1);
    assert_non_null(out);
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, -MAX_WBITS), Z_OK);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)out_len + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, out_len);
    assert_int_equal(z.total_in, len);
    inflateEnd(&z);
    return out;
}

static void zip_compression_deflates_with_descriptors(void **state)
{
    (void)state;
    mlps_format_params p = params;
    p.compression = "zip";
    mlps_format_file f = {.index = 3, .d1 = 300, .d2 = 400}; /* 3 x 120,000 bytes of x data */
    assert_int_equal(mlps_format_find("npz")->file_size(&p, &f), 0);
    mlps_memory_sink memory;
    format_test_write("npz", &p, &f, &memory);
    const unsigned char *d = memory.data;
    assert_int_equal(le16(d + 6), 0x0008);  /* sizes follow the data */
    assert_int_equal(le16(d + 8), 8);       /* deflated */
    assert_int_equal(le32(d + 14), 0);

    mlps_sample_extent extents[3];
    mlps_error err = {0};
    assert_int_equal(format_test_locate("npz", &p, memory.data, memory.size, extents, &err), 0);
    assert_int_equal(extents[0].offset, 55);
    size_t x_len = 128 + 360000;
    unsigned char *x = inflate_member(d + 55, (size_t)extents[0].length, x_len);
    unsigned char *expected = malloc(360000);
    assert_non_null(expected);
    mlps_fill_random_at(expected, 360000, p.seed, f.index, 0);
    assert_memory_equal(x + 128, expected, 360000);
    const unsigned char *descriptor = d + 55 + extents[0].length;
    assert_int_equal(le32(descriptor), 0x08074b50);
    assert_int_equal(le32(descriptor + 4), (uint32_t)crc32(0, x, (uInt)x_len));
    assert_int_equal(le64(descriptor + 8), extents[0].length);
    assert_int_equal(le64(descriptor + 16), x_len);
    free(expected);
    free(x);
    mlps_memory_sink_free(&memory);
}

static void broken_archives_name_the_offset(void **state)
{
    (void)state;
    mlps_memory_sink memory;
    format_test_write("npz", &params, &file, &memory);
    mlps_sample_extent extents[3];
    mlps_error err = {0};
    int rc = format_test_locate("npz", &params, memory.data, memory.size - 1, extents, &err);
    format_test_assert_error_at(&err, rc, 0); /* searched the whole short file */
    assert_non_null(strstr(err.message, "end-of-central-directory"));

    memory.data[DIRECTORY_AT] ^= 0xff;
    rc = format_test_locate("npz", &params, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, DIRECTORY_AT);
    memory.data[DIRECTORY_AT] ^= 0xff;

    memory.data[X_HEADER_AT + 1] ^= 0xff;
    rc = format_test_locate("npz", &params, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, X_HEADER_AT);
    memory.data[X_HEADER_AT + 1] ^= 0xff;

    memory.data[X_NPY_AT] ^= 0xff;
    rc = format_test_locate("npz", &params, memory.data, memory.size, extents, &err);
    format_test_assert_error_at(&err, rc, X_NPY_AT);
    memory.data[X_NPY_AT] ^= 0xff;

    mlps_format_params more = params;
    more.samples_per_file = 4;
    mlps_sample_extent extents4[4];
    rc = format_test_locate("npz", &more, memory.data, memory.size, extents4, &err);
    format_test_assert_error_at(&err, rc, X_NPY_AT);
    assert_non_null(strstr(err.message, "dataset.num_samples_per_file"));
    mlps_memory_sink_free(&memory);
}

/* --- zip64: an archive past 2 GiB, kept only at its two ends --- */

#define KEEP_BYTES 4096u

typedef struct ends_sink {
    uint64_t size;          /* the archive's final size, known in advance */
    uint64_t at;
    unsigned char head[KEEP_BYTES], tail[KEEP_BYTES];
} ends_sink;

static void keep(ends_sink *s, const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t at = s->at + i;
        if (at < KEEP_BYTES)
            s->head[at] = p[i];
        if (at >= s->size - KEEP_BYTES && at < s->size)
            s->tail[at - (s->size - KEEP_BYTES)] = p[i];
    }
}

static int ends_write(void *ctx, const void *data, size_t len, mlps_error *err)
{
    (void)err;
    ends_sink *s = ctx;
    const unsigned char *p = data;
    if (s->at < KEEP_BYTES)
        keep(s, p, len);
    else if (s->at + len > s->size - KEEP_BYTES)
        keep(s, p, len);
    s->at += len;
    return 0;
}

/* Reads kept bytes; everything between the ends reads as zeros (the members' data). */
static int ends_read_at(const mlps_source *source, void *buf, size_t len, uint64_t offset,
                        mlps_error *err)
{
    (void)err;
    const ends_sink *s = source->ctx;
    unsigned char *out = buf;
    for (size_t i = 0; i < len; i++) {
        uint64_t at = offset + i;
        out[i] = at < KEEP_BYTES ? s->head[at]
               : at >= s->size - KEEP_BYTES ? s->tail[at - (s->size - KEEP_BYTES)]
                                            : 0;
    }
    return 0;
}

static void zip64_records_past_two_gib(void **state)
{
    (void)state;
    const uint64_t big = (UINT64_C(1) << 31) + 10;
    const char *names[2] = {"x.npy", "y.npy"};
    const uint64_t sizes[2] = {big, 16};
    ends_sink *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->size = mlps_zip_stored_archive_size(names, sizes, NULL, 2);
    /* local headers 2 x 55, directory: x entry 46+5+4+16, y entry 46+5+4+8, zip64 end 56,
     * locator 20, end 22. */
    assert_int_equal(s->size, big + 16 + 110 + 71 + 63 + 56 + 20 + 22);
    mlps_sink sink = {.write = ends_write, .ctx = s};
    mlps_zip_writer zip;
    mlps_error err = {0};
    mlps_zip_writer_init(&zip, &sink);
    assert_int_equal(mlps_zip_begin_stored(&zip, "x.npy", 0x12345678, big, &err), 0);
    assert_int_equal(mlps_sink_write_zeros(&sink, big, &err), 0);
    assert_int_equal(mlps_zip_member_end(&zip, &err), 0);
    assert_int_equal(mlps_zip_begin_stored(&zip, "y.npy", 0x9abcdef0, 16, &err), 0);
    assert_int_equal(mlps_sink_write_zeros(&sink, 16, &err), 0);
    assert_int_equal(mlps_zip_member_end(&zip, &err), 0);
    assert_int_equal(mlps_zip_finish(&zip, &err), 0);
    mlps_zip_writer_free(&zip);
    assert_int_equal(s->at, s->size);

    /* x's local header: 0xffffffff sizes, version 4.5, real sizes in the extra. */
    assert_int_equal(le16(s->head + 4), 45);
    assert_int_equal(le32(s->head + 18), 0xffffffffu);
    assert_int_equal(le32(s->head + 22), 0xffffffffu);
    assert_int_equal(le64(s->head + 39), big);
    assert_int_equal(le64(s->head + 47), big);
    /* The directory: x with both sizes in its extra, y with its offset there. */
    const unsigned char *t = s->tail + KEEP_BYTES - (71 + 63 + 56 + 20 + 22);
    uint64_t directory_at = s->size - (71 + 63 + 56 + 20 + 22);
    assert_int_equal(le32(t), 0x02014b50);
    assert_int_equal(le16(t + 4), 0x032d);
    assert_int_equal(le32(t + 20), 0xffffffffu);
    assert_int_equal(le16(t + 30), 20);
    assert_int_equal(le64(t + 51 + 4), big);
    assert_int_equal(le64(t + 51 + 12), big);
    const unsigned char *y = t + 71;
    assert_int_equal(le32(y + 24), 16);
    assert_int_equal(le32(y + 42), 0xffffffffu);
    assert_int_equal(le16(y + 30), 12);
    assert_int_equal(le64(y + 51 + 4), big + 55);
    const unsigned char *end64 = y + 63;
    assert_int_equal(le32(end64), 0x06064b50);
    assert_int_equal(le64(end64 + 40), 134);
    assert_int_equal(le64(end64 + 48), directory_at);
    assert_int_equal(le32(end64 + 56), 0x07064b50);
    assert_int_equal(le64(end64 + 64), directory_at + 134);
    assert_int_equal(le32(end64 + 76), 0x06054b50);
    /* Like zipfile, the plain end record keeps an offset that fits 32 bits. */
    assert_int_equal(le32(end64 + 76 + 16), (uint32_t)directory_at);

    /* The reader follows the zip64 records back to both members. */
    mlps_source source = {.read_at = ends_read_at, .ctx = s, .size = s->size,
                          .name = FORMAT_TEST_FILE_NAME};
    mlps_zip_member member;
    assert_int_equal(mlps_zip_find_member(&source, "y.npy", &member, &err), 0);
    assert_int_equal(member.header_offset, big + 55);
    assert_int_equal(member.data_offset, big + 110);
    assert_int_equal(member.size, 16);
    assert_int_equal(member.crc, 0x9abcdef0);
    assert_int_equal(mlps_zip_find_member(&source, "x.npy", &member, &err), 0);
    assert_int_equal(member.data_offset, 55);
    assert_int_equal(member.size, big);
    assert_int_equal(member.compressed_size, big);
    int rc = mlps_zip_find_member(&source, "z.npy", &member, &err);
    assert_int_equal(rc, -ENOENT);
    assert_non_null(strstr(err.message, "'z.npy'"));
    free(s);
}

/* zlib's CRC-32 of len zero bytes, by combining halves rather than reading gigabytes. */
static uint32_t crc32_of_zero_bytes(uint64_t len)
{
    static const unsigned char zero;
    if (len <= 1)
        return len ? (uint32_t)crc32(0, &zero, 1) : 0;
    uint32_t half = crc32_of_zero_bytes(len / 2);
    uint32_t crc = (uint32_t)crc32_combine64(half, half, (z_off64_t)(len / 2));
    return len % 2 ? (uint32_t)crc32(crc, &zero, 1) : crc;
}

/* x's descriptor pushes y's local header past 2^31 - 1, so y's directory entry needs the zip64
 * offset that the size prediction must count too. */
static void crc_after_descriptor_moves_the_next_offset_into_zip64(void **state)
{
    (void)state;
    const uint64_t limit = (UINT64_C(1) << 31) - 1;
    const uint64_t x_size = limit - 55 - 10; /* x's data ends 10 bytes below the limit */
    const char *names[2] = {"x.npy", "y.npy"};
    const uint64_t sizes[2] = {x_size, 16};
    const bool crc_after[2] = {true, false};
    ends_sink *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->size = mlps_zip_stored_archive_size(names, sizes, crc_after, 2);
    /* local headers 2 x 55, descriptor 24, directory: x entry 51, y entry 46+5+4+8, zip64 end
     * 56, locator 20, end 22. */
    assert_int_equal(s->size, x_size + 16 + 110 + 24 + 51 + 63 + 56 + 20 + 22);
    size_t chunk = 1u << 20;
    unsigned char *zeros = calloc(1, chunk);
    assert_non_null(zeros);
    mlps_sink sink = {.write = ends_write, .ctx = s};
    mlps_zip_writer zip;
    mlps_error err = {0};
    mlps_zip_writer_init(&zip, &sink);
    assert_int_equal(mlps_zip_begin_stored_crc_after(&zip, "x.npy", x_size, &err), 0);
    for (uint64_t done = 0; done < x_size; done += chunk) {
        size_t n = x_size - done < chunk ? (size_t)(x_size - done) : chunk;
        assert_int_equal(mlps_zip_store(&zip, zeros, n, &err), 0);
    }
    assert_int_equal(mlps_zip_member_end(&zip, &err), 0);
    assert_int_equal(mlps_zip_begin_stored(&zip, "y.npy", 0x9abcdef0, 16, &err), 0);
    assert_int_equal(mlps_sink_write_zeros(&sink, 16, &err), 0);
    assert_int_equal(mlps_zip_member_end(&zip, &err), 0);
    assert_int_equal(mlps_zip_finish(&zip, &err), 0);
    mlps_zip_writer_free(&zip);
    free(zeros);
    assert_int_equal(s->at, s->size);

    uint32_t x_crc = crc32_of_zero_bytes(x_size);
    const unsigned char *t = s->tail + KEEP_BYTES - (24 + 55 + 16 + 51 + 63 + 56 + 20 + 22);
    assert_int_equal(le32(t), 0x08074b50);
    assert_int_equal(le32(t + 4), x_crc);
    assert_int_equal(le64(t + 8), x_size);
    assert_int_equal(le64(t + 16), x_size);
    const unsigned char *x_entry = t + 24 + 55 + 16;
    check_central_entry(x_entry, "x.npy", CRC_AFTER_DATA, x_crc, (uint32_t)x_size, 0);
    const unsigned char *y_entry = x_entry + 51;
    assert_int_equal(le32(y_entry + 42), 0xffffffffu);
    assert_int_equal(le16(y_entry + 30), 12);
    assert_int_equal(le64(y_entry + 51 + 4), x_size + 55 + 24);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_is_numpy_savez_with_x_crc_after_data),
        cmocka_unit_test(crc_after_member_round_trips),
        cmocka_unit_test(crc_after_member_misuse_is_refused),
        cmocka_unit_test(every_sample_spans_x_data),
        cmocka_unit_test(element_types_scale_the_data),
        cmocka_unit_test(zip_compression_deflates_with_descriptors),
        cmocka_unit_test(broken_archives_name_the_offset),
        cmocka_unit_test(zip64_records_past_two_gib),
        cmocka_unit_test(crc_after_descriptor_moves_the_next_offset_into_zip64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
