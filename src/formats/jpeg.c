/* The jpeg dataset format: one real, decodable baseline JPEG per file, an 8-bit grayscale noise
 * image of d1 rows x d2 columns (image.h). The reference encodes such noise with PIL, whose
 * defaults we keep: libjpeg's quality 75 tables, standard Huffman tables, JFIF header, no
 * progressive scan. (The fork writes d1 x d2 raw bytes that no decoder accepts; we do not.)
 *
 * libjpeg encodes straight into the sink through a destination manager with a 64 KiB buffer,
 * a few rows of pixels at a time, so memory does not grow with the image. The encoded size
 * depends on the pixels, so file_size() is 0 (unknown). */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

#include "formats/format.h"
#include "formats/image.h"
#include "formats/sink_buffer.h"

enum {
    JPEG_QUALITY = 75, /* PIL's default (it leaves libjpeg's default in place) */
    OUTPUT_BUFFER_BYTES = 1 << 16,
    ROWS_PER_BATCH = 16, /* two rows of 8 x 8 blocks */
};

/* Lives on the heap so that its fields are well defined after a longjmp from libjpeg. */
typedef struct jpeg_job {
    struct jpeg_compress_struct compress;
    struct jpeg_error_mgr errors;
    struct jpeg_destination_mgr destination;
    mlps_sink_buffer output;
    jmp_buf escape;
    mlps_error *err;
    int rc;
    unsigned char *rows;
    JSAMPROW row_pointers[ROWS_PER_BATCH];
} jpeg_job;

static jpeg_job *job_of(j_compress_ptr compress)
{
    return compress->client_data;
}

static void on_encoder_error(j_common_ptr common)
{
    jpeg_job *job = common->client_data;
    char message[JMSG_LENGTH_MAX];
    (*common->err->format_message)(common, message);
    job->rc = mlps_fail(job->err, -EIO, "jpeg encoder failed: %s", message);
    longjmp(job->escape, 1);
}

static void ignore_encoder_message(j_common_ptr common)
{
    (void)common;
}

static void start_output(j_compress_ptr compress)
{
    jpeg_job *job = job_of(compress);
    job->destination.next_output_byte = job->output.data;
    job->destination.free_in_buffer = job->output.size;
}

/* Writes the buffer's used part; a sink error leaves libjpeg through the escape. */
static void flush_output(jpeg_job *job)
{
    job->output.used = job->output.size - job->destination.free_in_buffer;
    int rc = mlps_sink_buffer_flush(&job->output, job->err);
    if (rc) {
        job->rc = rc;
        longjmp(job->escape, 1);
    }
    start_output(&job->compress);
}

static boolean on_output_full(j_compress_ptr compress)
{
    jpeg_job *job = job_of(compress);
    job->destination.free_in_buffer = 0; /* libjpeg calls this only when the buffer is full */
    flush_output(job);
    return TRUE;
}

static void finish_output(j_compress_ptr compress)
{
    flush_output(job_of(compress));
}

static void configure(jpeg_job *job, const mlps_format_file *file)
{
    struct jpeg_compress_struct *compress = &job->compress;
    compress->dest = &job->destination;
    job->destination.init_destination = start_output;
    job->destination.empty_output_buffer = on_output_full;
    job->destination.term_destination = finish_output;
    compress->image_width = (JDIMENSION)file->d2;
    compress->image_height = (JDIMENSION)file->d1;
    compress->input_components = 1;
    compress->in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(compress);
    jpeg_set_quality(compress, JPEG_QUALITY, TRUE);
}

/* Runs the encoder; libjpeg errors and sink errors come back through job->escape. */
static int encode(jpeg_job *job, const mlps_format_params *params, const mlps_format_file *file)
{
    if (setjmp(job->escape))
        return job->rc;
    configure(job, file);
    jpeg_start_compress(&job->compress, TRUE);
    while (job->compress.next_scanline < job->compress.image_height) {
        JDIMENSION first = job->compress.next_scanline;
        JDIMENSION rows = job->compress.image_height - first;
        rows = rows < ROWS_PER_BATCH ? rows : ROWS_PER_BATCH;
        mlps_image_fill_rows(job->rows, first, rows, params, file);
        jpeg_write_scanlines(&job->compress, job->row_pointers, rows);
    }
    jpeg_finish_compress(&job->compress);
    return 0;
}

static int jpeg_write(const mlps_format_params *params, const mlps_format_file *file,
                      mlps_sink *sink, mlps_error *err)
{
    int rc = mlps_image_check_size("jpeg", file, JPEG_MAX_DIMENSION, err);
    if (rc)
        return rc;
    jpeg_job *job = calloc(1, sizeof *job);
    unsigned char *rows = malloc(ROWS_PER_BATCH * file->d2);
    if (!job || !rows) {
        free(job);
        free(rows);
        return mlps_fail(err, -ENOMEM, "out of memory for a %llu-pixel-wide jpeg encoder",
                         (unsigned long long)file->d2);
    }
    job->err = err;
    job->rows = rows;
    for (unsigned i = 0; i < ROWS_PER_BATCH; i++)
        job->row_pointers[i] = rows + i * file->d2;
    rc = mlps_sink_buffer_init(&job->output, sink, OUTPUT_BUFFER_BYTES, err);
    if (!rc) {
        job->compress.err = jpeg_std_error(&job->errors);
        job->errors.error_exit = on_encoder_error;
        job->errors.output_message = ignore_encoder_message;
        job->compress.client_data = job;
        jpeg_create_compress(&job->compress);
        rc = encode(job, params, file);
        jpeg_destroy_compress(&job->compress);
    }
    mlps_sink_buffer_free(&job->output);
    free(rows);
    free(job);
    return rc;
}

static uint64_t jpeg_file_size(const mlps_format_params *params, const mlps_format_file *file)
{
    (void)params, (void)file;
    return 0;
}

/* SOI marker then the start of the next marker; EOI marker at the end. */
static const unsigned char start_of_image[] = {0xFF, 0xD8, 0xFF};
static const unsigned char end_of_image[] = {0xFF, 0xD9};

static int jpeg_locate_samples(const mlps_format_params *params, const mlps_source *source,
                               mlps_sample_extent *extents, mlps_error *err)
{
    static const mlps_image_marks marks = {
        .format = "jpeg",
        .head = start_of_image,
        .head_len = sizeof start_of_image,
        .head_name = "SOI marker (FF D8 FF)",
        .tail = end_of_image,
        .tail_len = sizeof end_of_image,
        .tail_name = "EOI marker (FF D9)",
    };
    return mlps_image_locate(&marks, params, source, extents, err);
}

const mlps_format mlps_format_jpeg = {
    .name = "jpeg",
    .extension = "jpeg",
    .write = jpeg_write,
    .file_size = jpeg_file_size,
    .locate_samples = jpeg_locate_samples,
};
