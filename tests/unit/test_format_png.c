/* Tests for the png dataset format: real PNGs that libpng decodes losslessly to exactly the
 * generated noise (d1 rows x d2 columns, 8-bit gray), sizes of stored deflate blocks, sink
 * errors passed through, and the locator's checks of the signature and the IEND chunk. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <png.h>

#include "format_write_util.h"

static mlps_format_params image_params(uint64_t seed)
{
    return (mlps_format_params){.samples_per_file = 1, .element_bytes = 1,
                                .element_type = "uint8", .compression = "none", .seed = seed};
}

/* Decodes with libpng's simplified API (which checks every CRC) and compares the pixels with
 * mlps_fill_random_at(seed, index, 0) laid out row after row. */
static void assert_decodes_to_noise(const written_file *out, const mlps_format_file *file,
                                    uint64_t seed)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&image, out->memory.data, out->memory.size));
    assert_int_equal(image.height, file->d1);
    assert_int_equal(image.width, file->d2);
    assert_int_equal(image.format, PNG_FORMAT_GRAY);
    size_t count = (size_t)file->d1 * file->d2;
    unsigned char *pixels = malloc(count);
    assert_non_null(pixels);
    if (!png_image_finish_read(&image, NULL, pixels, 0, NULL))
        fail_msg("libpng: %s", image.message);
    assert_random_bytes(pixels, count, seed, file->index, 0);
    free(pixels);
}

static void decodes_exactly_to_the_generated_noise(void **state)
{
    (void)state;
    const uint64_t shapes[][2] = {{37, 53}, {1, 1}, {1, 700}, {300, 1}, {400, 500}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        mlps_format_params params = image_params(21);
        mlps_format_file file = {.index = 6, .d1 = shapes[i][0], .d2 = shapes[i][1]};
        written_file out;
        write_file("png", &params, &file, &out);
        assert_decodes_to_noise(&out, &file, 21);
        written_file_free(&out);
    }
}

/* Stored blocks: the pixels plus a filter byte per row, the 8-byte signature, IHDR (25),
 * IEND (12), 12 bytes per IDAT chunk of 256 KiB, 6 bytes of zlib framing and 5 per deflate
 * block of at most 64 KiB. */
static void size_is_the_pixels_plus_framing(void **state)
{
    (void)state;
    mlps_format_params params = image_params(3);
    mlps_format_file file = {.index = 2, .d1 = 568, .d2 = 568}; /* a retinanet-sized image */
    written_file out;
    write_file("png", &params, &file, &out);
    uint64_t raw = file.d1 * (file.d2 + 1);
    uint64_t floor = raw + 8 + 25 + 12 + 12 + 6;
    uint64_t framing = 12 * (raw / (256 << 10) + 1) + 5 * (raw / 16384 + 1);
    assert_true(out.memory.size >= floor);
    assert_true(out.memory.size <= floor + framing);
    written_file_free(&out);
}

static void bytes_depend_only_on_seed_and_file_index(void **state)
{
    (void)state;
    mlps_format_params params = image_params(5);
    mlps_format_file file = {.index = 9, .d1 = 40, .d2 = 30};
    written_file first, again, other;
    write_file("png", &params, &file, &first);
    write_file("png", &params, &file, &again);
    assert_int_equal(first.memory.size, again.memory.size);
    assert_memory_equal(first.memory.data, again.memory.data, first.memory.size);
    file.index = 10;
    write_file("png", &params, &file, &other);
    assert_int_equal(other.memory.size, first.memory.size); /* same shape, same framing */
    assert_memory_not_equal(other.memory.data, first.memory.data, first.memory.size);
    written_file_free(&first);
    written_file_free(&again);
    written_file_free(&other);
}

static void file_size_is_unknown(void **state)
{
    (void)state;
    mlps_format_params params = image_params(1);
    mlps_format_file file = {.index = 0, .d1 = 10, .d2 = 10};
    assert_int_equal(format_named("png")->file_size(&params, &file), 0);
    assert_string_equal(format_named("png")->extension, "png");
}

static void passes_sink_errors_through(void **state)
{
    (void)state;
    mlps_format_params params = image_params(1);
    mlps_format_file big = {.d1 = 600, .d2 = 600}, small = {.d1 = 4, .d2 = 4};
    const mlps_format_file *files[] = {&big, &small};
    for (int i = 0; i < 2; i++) {
        written_file out;
        write_file("png", &params, files[i], &out);
        /* Fails at the first write, in the middle, and at the very last byte. */
        const uint64_t limits[] = {0, out.memory.size / 2, out.memory.size - 1};
        written_file_free(&out);
        for (int j = 0; j < 3; j++) {
            failing_sink state_sink;
            mlps_sink sink = failing_sink_make(&state_sink, limits[j]);
            mlps_error err = {0};
            assert_int_equal(format_named("png")->write(&params, files[i], &sink, &err),
                             -ENOSPC);
            assert_message_has(err.message, "no space left", NULL);
        }
    }
}

static void rejects_empty_images(void **state)
{
    (void)state;
    mlps_format_params params = image_params(1);
    mlps_format_file empty = {.d1 = 3, .d2 = 0};
    mlps_error err = {0};
    assert_int_equal(write_file_fails("png", &params, &empty, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_message_has(err.message, "png", "3 x 0", NULL);
}

static void locator_checks_signature_and_iend(void **state)
{
    (void)state;
    mlps_format_params params = image_params(2);
    mlps_format_file file = {.index = 1, .d1 = 20, .d2 = 20};
    written_file out;
    write_file("png", &params, &file, &out);
    params.samples_per_file = 2;
    mlps_sample_extent extents[2];
    mlps_error err = {0};
    assert_int_equal(locate_bytes("png", &params, out.memory.data, out.memory.size, "ok.png",
                                  extents, &err), 0);
    assert_int_equal(extents[1].offset, 0);
    assert_int_equal(extents[1].length, out.memory.size);

    size_t cut = out.memory.size - 5;
    assert_int_equal(locate_bytes("png", &params, out.memory.data, cut, "cut.png", extents,
                                  &err), -EBADMSG);
    char expected[64];
    snprintf(expected, sizeof expected, "offset %zu", cut - 12);
    assert_message_has(err.message, "cut.png", "truncated", "IEND", expected, NULL);

    unsigned char *copy = malloc(out.memory.size);
    assert_non_null(copy);
    memcpy(copy, out.memory.data, out.memory.size);
    copy[12] = 'X'; /* the IHDR chunk type */
    mlps_error_clear(&err);
    assert_int_equal(locate_bytes("png", &params, copy, out.memory.size, "bad.png", extents,
                                  &err), -EBADMSG);
    assert_message_has(err.message, "bad.png", "not a png file", "offset 0", NULL);

    /* The image's width changed without fixing the IHDR chunk's CRC. */
    memcpy(copy, out.memory.data, out.memory.size);
    copy[19] ^= 0x01;
    mlps_error_clear(&err);
    assert_int_equal(locate_bytes("png", &params, copy, out.memory.size, "crc.png", extents,
                                  &err), -EBADMSG);
    assert_message_has(err.message, "crc.png", "IHDR CRC mismatch at offset 29", NULL);
    free(copy);
    written_file_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_exactly_to_the_generated_noise),
        cmocka_unit_test(size_is_the_pixels_plus_framing),
        cmocka_unit_test(bytes_depend_only_on_seed_and_file_index),
        cmocka_unit_test(file_size_is_unknown),
        cmocka_unit_test(passes_sink_errors_through),
        cmocka_unit_test(rejects_empty_images),
        cmocka_unit_test(locator_checks_signature_and_iend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
