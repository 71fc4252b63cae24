/* The png dataset format: one real PNG per file, an 8-bit grayscale noise image of d1 rows x
 * d2 columns (image.h), as the reference writes with PIL.
 *
 * Encoder choices differ from PIL's (zlib level 6, adaptive filters) on purpose: noise does not
 * compress, so zlib at any level ends up emitting stored deflate blocks and the file is the
 * pixels plus a filter byte per row and a few bytes of framing either way; we ask for stored
 * blocks (level 0) and no filtering directly, which makes the file the same size within a
 * fraction of a percent and encoding about memory speed. libpng writes into the sink through
 * a 64 KiB buffer, a few rows at a time. file_size() is 0: this is an encoder's output. */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>

#include <png.h>
#include <zlib.h>

#include "formats/format.h"
#include "formats/image.h"
#include "formats/sink_buffer.h"

enum {
    PNG_LEVEL = Z_NO_COMPRESSION,
    OUTPUT_BUFFER_BYTES = 1 << 16,
    IDAT_BYTES = 1 << 18, /* deflate output per IDAT chunk */
    ROWS_PER_BATCH = 16,
    PNG_MAX_SIDE = 0x7fffffff, /* PNG stores width and height as 31-bit numbers */
};

/* On the heap so that its fields are well defined after libpng's longjmp. */
typedef struct png_job {
    mlps_sink_buffer output;
    mlps_error *err;
    int rc;
    unsigned char *rows;
    png_bytep row_pointers[ROWS_PER_BATCH];
} png_job;

static void on_encoder_error(png_structp png, png_const_charp message)
{
    png_job *job = png_get_error_ptr(png);
    if (!job->rc)
        job->rc = mlps_fail(job->err, -EIO, "png encoder failed: %s", message);
    png_longjmp(png, 1);
}

static void ignore_encoder_warning(png_structp png, png_const_charp message)
{
    (void)png, (void)message;
}

static void on_output(png_structp png, png_bytep data, size_t len)
{
    png_job *job = png_get_io_ptr(png);
    int rc = mlps_sink_buffer_put(&job->output, data, len, job->err);
    if (rc) {
        job->rc = rc;
        png_error(png, "writing to the sink failed");
    }
}

static void on_flush(png_structp png)
{
    (void)png; /* the sink buffer is flushed once, after the IEND chunk */
}

static void configure(png_structp png, png_infop info, png_job *job,
                      const mlps_format_file *file)
{
    png_set_write_fn(png, job, on_output, on_flush);
    png_set_user_limits(png, PNG_MAX_SIDE, PNG_MAX_SIDE);
    png_set_IHDR(png, info, (png_uint_32)file->d2, (png_uint_32)file->d1, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_compression_level(png, PNG_LEVEL);
    png_set_compression_buffer_size(png, IDAT_BYTES);
}

/* Runs the encoder; libpng errors and sink errors come back through png_jmpbuf. */
static int encode(png_structp png, png_infop info, png_job *job,
                  const mlps_format_params *params, const mlps_format_file *file)
{
    if (setjmp(png_jmpbuf(png)))
        return job->rc ? job->rc : mlps_fail(job->err, -EIO, "png encoder failed");
    configure(png, info, job, file);
    png_write_info(png, info);
    for (uint64_t first = 0; first < file->d1; first += ROWS_PER_BATCH) {
        uint64_t rows = file->d1 - first < ROWS_PER_BATCH ? file->d1 - first : ROWS_PER_BATCH;
        mlps_image_fill_rows(job->rows, first, rows, params, file);
        png_write_rows(png, job->row_pointers, (png_uint_32)rows);
    }
    png_write_end(png, info);
    return 0;
}

static int run_encoder(png_job *job, const mlps_format_params *params,
                       const mlps_format_file *file)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job, on_encoder_error,
                                              ignore_encoder_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    int rc = info ? encode(png, info, job, params, file)
                  : mlps_fail(job->err, -ENOMEM, "out of memory for a png encoder");
    png_destroy_write_struct(&png, &info);
    return rc ? rc : mlps_sink_buffer_flush(&job->output, job->err);
}

static int png_write(const mlps_format_params *params, const mlps_format_file *file,
                     mlps_sink *sink, mlps_error *err)
{
    int rc = mlps_image_check_size("png", file, PNG_MAX_SIDE, err);
    if (rc)
        return rc;
    png_job *job = calloc(1, sizeof *job);
    unsigned char *rows = (size_t)file->d2 <= SIZE_MAX / ROWS_PER_BATCH
                              ? malloc(ROWS_PER_BATCH * (size_t)file->d2) : NULL;
    if (!job || !rows) {
        free(job);
        free(rows);
        return mlps_fail(err, -ENOMEM, "out of memory for a %llu-pixel-wide png encoder",
                         (unsigned long long)file->d2);
    }
    job->err = err;
    job->rows = rows;
    for (unsigned i = 0; i < ROWS_PER_BATCH; i++)
        job->row_pointers[i] = rows + i * file->d2;
    rc = mlps_sink_buffer_init(&job->output, sink, OUTPUT_BUFFER_BYTES, err);
    if (!rc)
        rc = run_encoder(job, params, file);
    mlps_sink_buffer_free(&job->output);
    free(rows);
    free(job);
    return rc;
}

static uint64_t png_file_size(const mlps_format_params *params, const mlps_format_file *file)
{
    (void)params, (void)file;
    return 0;
}

/* The 8-byte PNG signature and the IHDR chunk type that must follow its length; the empty
 * IEND chunk (length 0, type, CRC) that ends every complete file. */
static const unsigned char png_head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
                                         0, 0, 0, 13, 'I', 'H', 'D', 'R'};
static const unsigned char png_tail[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};

static uint32_t get_be32(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
           bytes[3];
}

/* The IHDR chunk's CRC (over its type and 13 data bytes) and its non-zero sides. */
static int check_header_chunk(const mlps_source *source, mlps_error *err)
{
    enum { TYPE_AT = 12, DATA_BYTES = 13, CRC_AT = TYPE_AT + 4 + DATA_BYTES };
    unsigned char chunk[CRC_AT + 4];
    int rc = mlps_source_read(source, chunk, sizeof chunk, 0, err);
    if (rc)
        return rc;
    uint32_t crc = (uint32_t)crc32(0, chunk + TYPE_AT, 4 + DATA_BYTES);
    if (crc != get_be32(chunk + CRC_AT))
        return mlps_fail(err, -EBADMSG, "%s: corrupt png file: IHDR CRC mismatch at offset %d",
                         source->name, CRC_AT);
    if (!get_be32(chunk + TYPE_AT + 4) || !get_be32(chunk + TYPE_AT + 8))
        return mlps_fail(err, -EBADMSG, "%s: corrupt png file: IHDR at offset 8 gives an empty "
                         "image", source->name);
    return 0;
}

static int png_locate_samples(const mlps_format_params *params, const mlps_source *source,
                              mlps_sample_extent *extents, mlps_error *err)
{
    static const mlps_image_marks marks = {
        .format = "png",
        .head = png_head,
        .head_len = sizeof png_head,
        .head_name = "signature and IHDR chunk",
        .tail = png_tail,
        .tail_len = sizeof png_tail,
        .tail_name = "IEND chunk",
    };
    int rc = mlps_image_locate(&marks, params, source, extents, err);
    return rc ? rc : check_header_chunk(source, err);
}

const mlps_format mlps_format_png = {
    .name = "png",
    .extension = "png",
    .write = png_write,
    .file_size = png_file_size,
    .locate_samples = png_locate_samples,
};
