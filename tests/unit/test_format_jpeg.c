/* Tests for the jpeg dataset format: real baseline JPEGs that libjpeg decodes to d1 rows x d2
 * columns of grayscale close to the generated noise, PIL's quality 75 tables, deterministic
 * bytes per (seed, file index), sink errors passed through, size limits, and the locator's
 * checks of the SOI and EOI markers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jpeglib.h>

#include "format_write_util.h"

static mlps_format_params image_params(uint64_t seed)
{
    return (mlps_format_params){.samples_per_file = 1, .element_bytes = 1,
                                .element_type = "uint8", .compression = "none", .seed = seed};
}

/* A decoded image; decoding errors fail the test. */
typedef struct decoded {
    unsigned width, height, components;
    unsigned char *pixels;
} decoded;

typedef struct decode_errors {
    struct jpeg_error_mgr manager;
    jmp_buf escape;
} decode_errors;

static void on_decode_error(j_common_ptr common)
{
    longjmp(((decode_errors *)common->err)->escape, 1);
}

static int decode_jpeg(const unsigned char *bytes, size_t size, decoded *out)
{
    struct jpeg_decompress_struct decompress;
    decode_errors *errors = calloc(1, sizeof *errors);
    assert_non_null(errors);
    decompress.err = jpeg_std_error(&errors->manager);
    errors->manager.error_exit = on_decode_error;
    memset(out, 0, sizeof *out);
    if (setjmp(errors->escape)) {
        jpeg_destroy_decompress(&decompress);
        free(errors);
        return -1;
    }
    jpeg_create_decompress(&decompress);
    jpeg_mem_src(&decompress, bytes, (unsigned long)size);
    jpeg_read_header(&decompress, TRUE);
    jpeg_start_decompress(&decompress);
    out->width = decompress.output_width;
    out->height = decompress.output_height;
    out->components = (unsigned)decompress.output_components;
    out->pixels = malloc((size_t)out->width * out->height * out->components);
    assert_non_null(out->pixels);
    while (decompress.output_scanline < decompress.output_height) {
        JSAMPROW row = out->pixels + (size_t)decompress.output_scanline * out->width *
                                         out->components;
        jpeg_read_scanlines(&decompress, &row, 1);
    }
    jpeg_finish_decompress(&decompress);
    jpeg_destroy_decompress(&decompress);
    free(errors);
    return 0;
}

/* Mean absolute difference between the decoded image and the generated pixels. */
static double mean_error(const decoded *image, uint64_t seed, uint64_t index)
{
    size_t count = (size_t)image->width * image->height;
    unsigned char *expected = malloc(count);
    assert_non_null(expected);
    mlps_fill_random_at(expected, count, seed, index, 0);
    double total = 0;
    for (size_t i = 0; i < count; i++)
        total += abs((int)image->pixels[i] - (int)expected[i]);
    free(expected);
    return total / (double)count;
}

static void decodes_to_the_configured_size_and_pixels(uint64_t d1, uint64_t d2)
{
    mlps_format_params params = image_params(11);
    mlps_format_file file = {.index = 4, .d1 = d1, .d2 = d2};
    written_file out;
    write_file("jpeg", &params, &file, &out);
    decoded image;
    assert_int_equal(decode_jpeg(out.memory.data, out.memory.size, &image), 0);
    assert_int_equal(image.height, d1);
    assert_int_equal(image.width, d2);
    assert_int_equal(image.components, 1);
    /* Uniform noise differs from an unrelated image by 85 per pixel on average; quality 75
     * keeps the decoded noise within about 8. */
    assert_true(mean_error(&image, 11, 4) < 15.0);
    free(image.pixels);
    written_file_free(&out);
}

static void decodes_images_of_many_shapes(void **state)
{
    (void)state;
    decodes_to_the_configured_size_and_pixels(37, 53);
    decodes_to_the_configured_size_and_pixels(1, 1);
    decodes_to_the_configured_size_and_pixels(8, 8);
    decodes_to_the_configured_size_and_pixels(17, 1);
    /* Larger than the 64 KiB output buffer, so the encoder flushes it many times. */
    decodes_to_the_configured_size_and_pixels(300, 500);
}

/* The first value of the first quantisation table: libjpeg's luminance table starts at 16,
 * scaled by 200 - 2 * quality percent, i.e. 8 at quality 75. */
static void uses_quality_75_tables(void **state)
{
    (void)state;
    mlps_format_params params = image_params(1);
    mlps_format_file file = {.index = 0, .d1 = 16, .d2 = 16};
    written_file out;
    write_file("jpeg", &params, &file, &out);
    const unsigned char *bytes = out.memory.data;
    size_t dqt = 0;
    for (size_t i = 2; i + 5 < out.memory.size && !dqt; i++)
        if (bytes[i] == 0xFF && bytes[i + 1] == 0xDB)
            dqt = i;
    assert_true(dqt > 0);
    assert_int_equal(bytes[dqt + 4], 0x00); /* 8-bit precision, table 0 */
    assert_int_equal(bytes[dqt + 5], 8);
    /* Baseline (SOF0), not progressive (SOF2), and a JFIF header first. */
    assert_non_null(memmem(bytes, out.memory.size, "\xFF\xC0", 2));
    assert_null(memmem(bytes, out.memory.size, "\xFF\xC2", 2));
    assert_memory_equal(bytes + 6, "JFIF", 4);
    written_file_free(&out);
}

static void bytes_depend_only_on_seed_and_file_index(void **state)
{
    (void)state;
    mlps_format_params params = image_params(5);
    mlps_format_file file = {.index = 9, .d1 = 40, .d2 = 30};
    written_file first, again, other_index, other_seed;
    write_file("jpeg", &params, &file, &first);
    write_file("jpeg", &params, &file, &again);
    assert_int_equal(first.memory.size, again.memory.size);
    assert_memory_equal(first.memory.data, again.memory.data, first.memory.size);
    file.index = 10;
    write_file("jpeg", &params, &file, &other_index);
    params.seed = 6;
    file.index = 9;
    write_file("jpeg", &params, &file, &other_seed);
    assert_true(other_index.memory.size != first.memory.size ||
                memcmp(other_index.memory.data, first.memory.data, first.memory.size) != 0);
    assert_true(other_seed.memory.size != first.memory.size ||
                memcmp(other_seed.memory.data, first.memory.data, first.memory.size) != 0);
    written_file_free(&first);
    written_file_free(&again);
    written_file_free(&other_index);
    written_file_free(&other_seed);
}

static void file_size_is_unknown(void **state)
{
    (void)state;
    mlps_format_params params = image_params(1);
    mlps_format_file file = {.index = 0, .d1 = 10, .d2 = 10};
    assert_int_equal(format_named("jpeg")->file_size(&params, &file), 0);
    assert_string_equal(format_named("jpeg")->extension, "jpeg");
    assert_int_equal(format_named("jpeg")->companion_count, 0);
}

static void passes_sink_errors_through(void **state)
{
    (void)state;
    mlps_format_params params = image_params(1);
    /* A large image fills the 64 KiB buffer many times; a small one is written at the end. */
    mlps_format_file big = {.index = 0, .d1 = 400, .d2 = 400}, small = {.d1 = 8, .d2 = 8};
    const mlps_format_file *files[] = {&big, &small};
    for (int i = 0; i < 2; i++) {
        written_file out;
        write_file("jpeg", &params, files[i], &out);
        const uint64_t limits[] = {0, out.memory.size / 2, out.memory.size - 1};
        written_file_free(&out);
        for (int j = 0; j < 3; j++) {
            failing_sink state_sink;
            mlps_sink sink = failing_sink_make(&state_sink, limits[j]);
            mlps_error err = {0};
            assert_int_equal(format_named("jpeg")->write(&params, files[i], &sink, &err),
                             -ENOSPC);
            assert_message_has(err.message, "no space left", NULL);
        }
    }
}

static void rejects_sides_libjpeg_cannot_encode(void **state)
{
    (void)state;
    mlps_format_params params = image_params(1);
    mlps_format_file zero = {.d1 = 0, .d2 = 5}, wide = {.d1 = 5, .d2 = 65501};
    mlps_error err = {0};
    assert_int_equal(write_file_fails("jpeg", &params, &zero, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_message_has(err.message, "jpeg", "0 x 5", "65500", NULL);
    mlps_error_clear(&err);
    assert_int_equal(write_file_fails("jpeg", &params, &wide, &err), -EINVAL);
    assert_message_has(err.message, "5 x 65501", NULL);
}

static void every_sample_is_the_whole_file(void **state)
{
    (void)state;
    mlps_format_params params = image_params(2);
    mlps_format_file file = {.index = 1, .d1 = 20, .d2 = 20};
    written_file out;
    write_file("jpeg", &params, &file, &out);
    params.samples_per_file = 3;
    mlps_sample_extent extents[3];
    mlps_error err = {0};
    assert_int_equal(locate_bytes("jpeg", &params, out.memory.data, out.memory.size, "a.jpeg",
                                  extents, &err), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(extents[i].offset, 0);
        assert_int_equal(extents[i].length, out.memory.size);
    }
    written_file_free(&out);
}

static void locator_names_file_and_offset_of_damage(void **state)
{
    (void)state;
    mlps_format_params params = image_params(2);
    mlps_format_file file = {.index = 1, .d1 = 20, .d2 = 20};
    written_file out;
    write_file("jpeg", &params, &file, &out);
    mlps_sample_extent extent;
    mlps_error err = {0};
    char expected[64];

    /* Truncated: the EOI marker is missing from the new end. */
    size_t cut = out.memory.size - 1;
    assert_int_equal(locate_bytes("jpeg", &params, out.memory.data, cut, "cut.jpeg", &extent,
                                  &err), -EBADMSG);
    snprintf(expected, sizeof expected, "offset %zu", cut - 2);
    assert_message_has(err.message, "cut.jpeg", "truncated", "EOI", expected, NULL);

    /* Not a JPEG: the SOI marker is damaged. */
    unsigned char *copy = malloc(out.memory.size);
    assert_non_null(copy);
    memcpy(copy, out.memory.data, out.memory.size);
    copy[1] = 0x00;
    mlps_error_clear(&err);
    assert_int_equal(locate_bytes("jpeg", &params, copy, out.memory.size, "bad.jpeg", &extent,
                                  &err), -EBADMSG);
    assert_message_has(err.message, "bad.jpeg", "not a jpeg file", "SOI", "offset 0", NULL);

    /* Too short to hold both markers. */
    mlps_error_clear(&err);
    assert_int_equal(locate_bytes("jpeg", &params, copy, 3, "tiny.jpeg", &extent, &err),
                     -EBADMSG);
    assert_message_has(err.message, "tiny.jpeg", "3 bytes", NULL);
    free(copy);
    written_file_free(&out);
}

static void locator_passes_source_errors_through(void **state)
{
    (void)state;
    mlps_format_params params = image_params(2);
    mlps_format_file file = {.index = 1, .d1 = 20, .d2 = 20};
    written_file out;
    write_file("jpeg", &params, &file, &out);
    failing_source state_source;
    mlps_source source = failing_source_make(&state_source, out.memory.data, out.memory.size,
                                             out.memory.size - 1, "flaky.jpeg");
    mlps_sample_extent extent;
    mlps_error err = {0};
    assert_int_equal(format_named("jpeg")->locate_samples(&params, &source, &extent, &err), -EIO);
    assert_message_has(err.message, "flaky.jpeg", "read error", NULL);
    written_file_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_images_of_many_shapes),
        cmocka_unit_test(uses_quality_75_tables),
        cmocka_unit_test(bytes_depend_only_on_seed_and_file_index),
        cmocka_unit_test(file_size_is_unknown),
        cmocka_unit_test(passes_sink_errors_through),
        cmocka_unit_test(rejects_sides_libjpeg_cannot_encode),
        cmocka_unit_test(every_sample_is_the_whole_file),
        cmocka_unit_test(locator_names_file_and_offset_of_damage),
        cmocka_unit_test(locator_passes_source_errors_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
