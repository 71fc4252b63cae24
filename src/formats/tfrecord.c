/* The tfrecord format (resnet50, cosmoflow): samples_per_file records (framing and Example in
 * tfrecord.h), record k's image being bytes [k*d1*d2, (k+1)*d1*d2) of the random stream
 * (params->seed, stream = the file index), so every record's image differs. The image is
 * d1*d2 bytes whatever the element type, and "size" holds d1*d2*element_bytes (DLIO stores
 * its configured dimension there, int(sqrt(record_length)); no reader uses the value, and the
 * two differ by at most a byte or two of varint per record).
 *
 * Each record's payload CRC32C is computed as its bytes are generated into the write buffer.
 *
 * Companion: the index DALI and DLIO read, "<offset> <length>\n" per record, where length
 * covers the whole framed record (16 + payload bytes), at index/<split>/<file name>.idx under
 * the dataset folder: DLIO keeps only the file's base name there, so files of subfolders share
 * one index folder per split.
 *
 * Samples: each record's whole framed extent, found by walking the 12-byte record headers and
 * checking each length CRC (payload CRCs are checked by mlps_tfrecord_verify, which reads the
 * whole file). */
#include "formats/tfrecord.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fill.h"
#include "formats/format_checks.h"
#include "formats/crc32c.h"
#include "formats/le_bytes.h"
#include "formats/sink_buffer.h"

#define TFRECORD_BUFFER_BYTES (1u << 20)
#define TFRECORD_VERIFY_CHUNK (1u << 20)

typedef struct tfrecord_layout {
    mlps_tfrecord_example example;
    uint64_t image_bytes;
    uint64_t record_bytes; /* framed */
} tfrecord_layout;

static int tfrecord_layout_init(const mlps_format_params *params, const mlps_format_file *file,
                                tfrecord_layout *layout, mlps_error *err)
{
    int rc = mlps_format_require_no_compression(params, "tfrecord", err);
    if (rc)
        return rc;
    unsigned element_bytes = params->element_bytes ? params->element_bytes : 1;
    uint64_t size_value, all_values;
    rc = mlps_format_array_bytes(params, file, element_bytes, "tfrecord", &size_value,
                                 &all_values, err);
    if (rc)
        return rc;
    layout->image_bytes = file->d1 * file->d2;
    mlps_tfrecord_example_encode(layout->image_bytes, size_value, &layout->example);
    layout->record_bytes = MLPS_TFRECORD_FRAME_BYTES + layout->example.payload_len;
    return 0;
}

static uint64_t tfrecord_file_size(const mlps_format_params *params,
                                   const mlps_format_file *file)
{
    tfrecord_layout layout;
    if (tfrecord_layout_init(params, file, &layout, NULL))
        return 0;
    return params->samples_per_file * layout.record_bytes;
}

static void record_header(uint64_t payload_len, unsigned char out[MLPS_TFRECORD_HEADER_BYTES])
{
    mlps_put_le64(out, payload_len);
    mlps_put_le32(out + 8, mlps_crc32c_mask(mlps_crc32c(out, 8)));
}

/* Generates the image straight into the write buffer, checksumming it there. */
static int put_image(mlps_sink_buffer *buffer, const tfrecord_layout *layout,
                     const mlps_format_params *params, const mlps_format_file *file,
                     uint64_t record, uint32_t *crc, mlps_error *err)
{
    uint64_t start = record * layout->image_bytes;
    for (uint64_t done = 0; done < layout->image_bytes;) {
        uint64_t left = layout->image_bytes - done;
        unsigned char *at;
        size_t granted;
        int rc = mlps_sink_buffer_reserve(buffer, left < SIZE_MAX ? (size_t)left : SIZE_MAX, &at,
                                          &granted, err);
        if (rc)
            return rc;
        mlps_fill_random_at(at, granted, params->seed, file->index, start + done);
        *crc = mlps_crc32c_update(*crc, at, granted);
        mlps_sink_buffer_commit(buffer, granted);
        done += granted;
    }
    return 0;
}

static int put_record(mlps_sink_buffer *buffer, const tfrecord_layout *layout,
                      const unsigned char header[MLPS_TFRECORD_HEADER_BYTES],
                      const mlps_format_params *params, const mlps_format_file *file,
                      uint64_t record, mlps_error *err)
{
    const mlps_tfrecord_example *ex = &layout->example;
    uint32_t crc = mlps_crc32c(ex->prefix, ex->prefix_len);
    int rc = mlps_sink_buffer_put(buffer, header, MLPS_TFRECORD_HEADER_BYTES, err);
    if (!rc)
        rc = mlps_sink_buffer_put(buffer, ex->prefix, ex->prefix_len, err);
    if (!rc)
        rc = put_image(buffer, layout, params, file, record, &crc, err);
    if (rc)
        return rc;
    crc = mlps_crc32c_update(crc, ex->suffix, ex->suffix_len);
    unsigned char footer[4];
    mlps_put_le32(footer, mlps_crc32c_mask(crc));
    rc = mlps_sink_buffer_put(buffer, ex->suffix, ex->suffix_len, err);
    if (!rc)
        rc = mlps_sink_buffer_put(buffer, footer, sizeof footer, err);
    return rc;
}

static int tfrecord_write(const mlps_format_params *params, const mlps_format_file *file,
                          mlps_sink *sink, mlps_error *err)
{
    tfrecord_layout layout;
    int rc = tfrecord_layout_init(params, file, &layout, err);
    if (rc)
        return rc;
    uint64_t total = params->samples_per_file * layout.record_bytes;
    mlps_sink_buffer buffer;
    rc = mlps_sink_buffer_init(&buffer, sink,
                               total < TFRECORD_BUFFER_BYTES ? (size_t)total
                                                             : TFRECORD_BUFFER_BYTES,
                               err);
    if (rc)
        return rc;
    unsigned char header[MLPS_TFRECORD_HEADER_BYTES];
    record_header(layout.example.payload_len, header);
    for (uint64_t k = 0; !rc && k < params->samples_per_file; k++)
        rc = put_record(&buffer, &layout, header, params, file, k, err);
    if (!rc)
        rc = mlps_sink_buffer_flush(&buffer, err);
    mlps_sink_buffer_free(&buffer);
    return rc;
}

/* Reads the header of the record at offset and checks its length CRC and that the record
 * fits in the file. */
static int read_record_header(const mlps_source *source, uint64_t record, uint64_t offset,
                              uint64_t *payload_len, mlps_error *err)
{
    unsigned char header[MLPS_TFRECORD_HEADER_BYTES];
    if (source->size - offset < MLPS_TFRECORD_FRAME_BYTES)
        return mlps_fail(err, -EPROTO,
                         "%s: truncated: record %" PRIu64 " at offset %" PRIu64
                         " needs at least %u bytes but the file ends at %" PRIu64,
                         source->name, record, offset, MLPS_TFRECORD_FRAME_BYTES, source->size);
    int rc = mlps_source_read(source, header, sizeof header, offset, err);
    if (rc)
        return rc;
    uint32_t stored = mlps_get_le32(header + 8);
    uint32_t computed = mlps_crc32c_mask(mlps_crc32c(header, 8));
    if (stored != computed)
        return mlps_fail(err, -EPROTO,
                         "%s: record %" PRIu64 " at offset %" PRIu64
                         ": length checksum mismatch (stored 0x%08" PRIx32
                         ", computed 0x%08" PRIx32 "): not a TFRecord file, or corrupt",
                         source->name, record, offset, stored, computed);
    *payload_len = mlps_get_le64(header);
    if (*payload_len > source->size - offset - MLPS_TFRECORD_FRAME_BYTES)
        return mlps_fail(err, -EPROTO,
                         "%s: truncated: record %" PRIu64 " at offset %" PRIu64
                         " declares %" PRIu64 " payload bytes but the file ends at %" PRIu64,
                         source->name, record, offset, *payload_len, source->size);
    return 0;
}

static int tfrecord_locate_samples(const mlps_format_params *params, const mlps_source *source,
                                   mlps_sample_extent *extents, mlps_error *err)
{
    uint64_t offset = 0;
    for (uint64_t k = 0; k < params->samples_per_file; k++) {
        uint64_t payload_len = 0;
        int rc = read_record_header(source, k, offset, &payload_len, err);
        if (rc)
            return rc;
        extents[k] = (mlps_sample_extent){offset, MLPS_TFRECORD_FRAME_BYTES + payload_len};
        offset += extents[k].length;
    }
    if (offset != source->size)
        return mlps_fail(err, -EPROTO,
                         "%s: %" PRIu64 " bytes after the %" PRIu64
                         " records of dataset.num_samples_per_file, at offset %" PRIu64,
                         source->name, source->size - offset, params->samples_per_file, offset);
    return 0;
}

static int verify_payload(const mlps_source *source, uint64_t record, uint64_t offset,
                          uint64_t payload_len, unsigned char *chunk, mlps_error *err)
{
    uint32_t crc = 0;
    uint64_t at = offset + MLPS_TFRECORD_HEADER_BYTES;
    for (uint64_t done = 0; done < payload_len;) {
        size_t piece = payload_len - done < TFRECORD_VERIFY_CHUNK ? (size_t)(payload_len - done)
                                                                  : TFRECORD_VERIFY_CHUNK;
        int rc = mlps_source_read(source, chunk, piece, at + done, err);
        if (rc)
            return rc;
        crc = mlps_crc32c_update(crc, chunk, piece);
        done += piece;
    }
    unsigned char footer[4];
    int rc = mlps_source_read(source, footer, sizeof footer, at + payload_len, err);
    if (rc)
        return rc;
    uint32_t stored = mlps_get_le32(footer);
    if (stored != mlps_crc32c_mask(crc))
        return mlps_fail(err, -EPROTO,
                         "%s: record %" PRIu64 " at offset %" PRIu64
                         ": payload checksum mismatch (stored 0x%08" PRIx32
                         ", computed 0x%08" PRIx32 ")",
                         source->name, record, offset, stored, mlps_crc32c_mask(crc));
    return 0;
}

int mlps_tfrecord_verify(const mlps_source *source, uint64_t *records, mlps_error *err)
{
    unsigned char *chunk = malloc(TFRECORD_VERIFY_CHUNK);
    if (!chunk)
        return mlps_fail(err, -ENOMEM, "out of memory verifying %s", source->name);
    int rc = 0;
    uint64_t offset = 0, k = 0;
    for (; !rc && offset < source->size; k++) {
        uint64_t payload_len = 0;
        rc = read_record_header(source, k, offset, &payload_len, err);
        if (!rc)
            rc = verify_payload(source, k, offset, payload_len, chunk, err);
        offset += MLPS_TFRECORD_FRAME_BYTES + payload_len;
    }
    free(chunk);
    if (!rc && records)
        *records = k;
    return rc;
}

static int tfrecord_companion_path(unsigned which, const char *split, const char *data_file,
                                   char *out, size_t size, mlps_error *err)
{
    if (which != 0)
        return mlps_fail(err, -EINVAL, "tfrecord has one companion file, not %u", which + 1);
    const char *slash = strrchr(data_file, '/');
    const char *base = slash ? slash + 1 : data_file;
    int len = snprintf(out, size, "index/%s/%s.idx", split, base);
    if (len < 0 || (size_t)len >= size)
        return mlps_fail(err, -ENAMETOOLONG, "index path for %s does not fit in %zu bytes",
                         data_file, size);
    return 0;
}

static int tfrecord_write_companion(const mlps_format_params *params,
                                    const mlps_format_file *file, unsigned which,
                                    mlps_sink *sink, mlps_error *err)
{
    tfrecord_layout layout;
    if (which != 0)
        return mlps_fail(err, -EINVAL, "tfrecord has one companion file, not %u", which + 1);
    int rc = tfrecord_layout_init(params, file, &layout, err);
    if (rc)
        return rc;
    mlps_sink_buffer buffer;
    rc = mlps_sink_buffer_init(&buffer, sink, 64u << 10, err);
    if (rc)
        return rc;
    for (uint64_t k = 0; !rc && k < params->samples_per_file; k++) {
        char line[48];
        int len = snprintf(line, sizeof line, "%" PRIu64 " %" PRIu64 "\n",
                           k * layout.record_bytes, layout.record_bytes);
        rc = mlps_sink_buffer_put(&buffer, line, (size_t)len, err);
    }
    if (!rc)
        rc = mlps_sink_buffer_flush(&buffer, err);
    mlps_sink_buffer_free(&buffer);
    return rc;
}

/* Parses one "<offset> <length>" line at *pos of text; advances *pos past it. */
static int parse_index_line(const char *text, size_t size, size_t *pos, uint64_t *offset,
                            uint64_t *length)
{
    char line[64];
    size_t start = *pos, end = start;
    while (end < size && text[end] != '\n')
        end++;
    if (end == start || end - start >= sizeof line)
        return -1;
    memcpy(line, text + start, end - start);
    line[end - start] = '\0';
    *pos = end + 1;
    char tail;
    return sscanf(line, "%" SCNu64 " %" SCNu64 "%c", offset, length, &tail) == 2 ? 0 : -1;
}

static int tfrecord_locate_from_index(const mlps_format_params *params, const mlps_source *data,
                                      const mlps_source *index, mlps_sample_extent *extents,
                                      mlps_error *err)
{
    if (index->size > (64u << 20))
        return mlps_fail(err, -EFBIG, "%s: an index of %" PRIu64 " bytes is too large",
                         index->name, index->size);
    char *text = malloc(index->size ? index->size : 1);
    if (!text)
        return mlps_fail(err, -ENOMEM, "out of memory reading %s", index->name);
    int rc = mlps_source_read(index, text, index->size, 0, err);
    size_t pos = 0;
    for (uint64_t k = 0; !rc && k < params->samples_per_file; k++) {
        uint64_t offset, length;
        size_t line_start = pos;
        if (parse_index_line(text, index->size, &pos, &offset, &length) != 0)
            rc = mlps_fail(err, -EINVAL, "%s: line %" PRIu64 " (byte %zu) is not '<offset> "
                           "<length>'; the index lists fewer records than the %" PRIu64
                           " samples per file or is damaged", index->name, k + 1, line_start,
                           params->samples_per_file);
        else if (length < MLPS_TFRECORD_FRAME_BYTES || offset > data->size ||
                 length > data->size - offset)
            rc = mlps_fail(err, -EINVAL, "%s: record %" PRIu64 " at offset %" PRIu64 " (%"
                           PRIu64 " bytes) lies outside %s (%" PRIu64 " bytes): truncated?",
                           index->name, k, offset, length, data->name, data->size);
        else
            extents[k] = (mlps_sample_extent){.offset = offset, .length = length};
    }
    free(text);
    return rc;
}

const mlps_format mlps_format_tfrecord = {
    .name = "tfrecord",
    .extension = "tfrecord",
    .write = tfrecord_write,
    .file_size = tfrecord_file_size,
    .locate_samples = tfrecord_locate_samples,
    .companion_count = 1,
    .companion_path = tfrecord_companion_path,
    .write_companion = tfrecord_write_companion,
    .locate_samples_from_index = tfrecord_locate_from_index,
};
