/* The csv format: what DLIO's pandas DataFrame.to_csv writes for samples_per_file identical
 * rows of d1*d2 integer values: a header line of column numbers with an empty first field
 * (",0,1,...,<d1*d2-1>"), then one line per row k: "k,v0,v1,...", every line ended by "\n".
 * The values are 0..254 (DLIO draws randint(255)) whatever the element type: value j is
 * floor(b * 255 / 256) for byte j of the random stream (params->seed, stream = the file index).
 * Only uncompressed files are written (DLIO's other compressions rename the file).
 *
 * Samples: row k's extent, from its first character through its newline; found by scanning
 * the file's newlines, checking that row k starts with "k,". */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fill.h"
#include "formats/format_checks.h"
#include "formats/format.h"
#include "formats/sink_buffer.h"

#define CSV_BUFFER_BYTES (1u << 20)
#define CSV_VALUES_PER_CHUNK 4096u
#define CSV_VALUE_COUNT 255u
#define CSV_SCAN_CHUNK (1u << 20)

static unsigned decimal_digits(uint64_t v)
{
    unsigned n = 1;
    for (; v >= 10; v /= 10)
        n++;
    return n;
}

/* The total number of digits of 0, 1, ..., count - 1. */
static uint64_t digits_of_first(uint64_t count)
{
    uint64_t total = 0, low = 0, high = 10;
    for (unsigned digits = 1; low < count; digits++) {
        uint64_t end = count < high ? count : high;
        total += (end - low) * digits;
        low = high;
        high = high > UINT64_MAX / 10 ? UINT64_MAX : high * 10;
    }
    return total;
}

static inline unsigned csv_value(unsigned char random_byte)
{
    return (random_byte * CSV_VALUE_COUNT) >> 8;
}

/* The text of every value, ",v". */
typedef struct csv_value_text {
    char text[CSV_VALUE_COUNT][4];
    unsigned char len[CSV_VALUE_COUNT];
} csv_value_text;

static void csv_value_text_init(csv_value_text *t)
{
    for (unsigned v = 0; v < CSV_VALUE_COUNT; v++) {
        char digits[4];
        int n = snprintf(digits, sizeof digits, "%u", v);
        t->text[v][0] = ',';
        memcpy(t->text[v] + 1, digits, (size_t)n);
        t->len[v] = (unsigned char)(n + 1);
    }
}

static uint64_t csv_row_values_bytes(const mlps_format_params *params,
                                     const mlps_format_file *file, uint64_t values)
{
    unsigned char chunk[CSV_VALUES_PER_CHUNK];
    uint64_t total = 0;
    for (uint64_t done = 0; done < values;) {
        size_t n = values - done < sizeof chunk ? (size_t)(values - done) : sizeof chunk;
        mlps_fill_random_at(chunk, n, params->seed, file->index, done);
        for (size_t i = 0; i < n; i++)
            total += 1 + decimal_digits(csv_value(chunk[i]));
        done += n;
    }
    return total;
}

static int csv_check(const mlps_format_params *params, const mlps_format_file *file,
                     mlps_error *err)
{
    uint64_t row_values, all_values;
    int rc = mlps_format_require_no_compression(params, "csv", err);
    return rc ? rc
              : mlps_format_array_bytes(params, file, 1, "csv", &row_values, &all_values, err);
}

static uint64_t csv_file_size(const mlps_format_params *params, const mlps_format_file *file)
{
    if (csv_check(params, file, NULL))
        return 0;
    uint64_t values = file->d1 * file->d2, rows = params->samples_per_file;
    uint64_t header = values + digits_of_first(values) + 1;
    uint64_t row_values = csv_row_values_bytes(params, file, values);
    return header + digits_of_first(rows) + rows * (row_values + 1);
}

static int put_number(mlps_sink_buffer *buffer, const char *before, uint64_t v, mlps_error *err)
{
    char text[24];
    int n = snprintf(text, sizeof text, "%s%" PRIu64, before, v);
    return mlps_sink_buffer_put(buffer, text, (size_t)n, err);
}

static int put_header(mlps_sink_buffer *buffer, uint64_t values, mlps_error *err)
{
    int rc = 0;
    for (uint64_t c = 0; !rc && c < values; c++)
        rc = put_number(buffer, ",", c, err);
    return rc ? rc : mlps_sink_buffer_put(buffer, "\n", 1, err);
}

static int put_row(mlps_sink_buffer *buffer, const csv_value_text *text,
                   const mlps_format_params *params, const mlps_format_file *file, uint64_t row,
                   uint64_t values, mlps_error *err)
{
    unsigned char chunk[CSV_VALUES_PER_CHUNK];
    char line[CSV_VALUES_PER_CHUNK * 4];
    int rc = put_number(buffer, "", row, err);
    for (uint64_t done = 0; !rc && done < values;) {
        size_t n = values - done < sizeof chunk ? (size_t)(values - done) : sizeof chunk;
        mlps_fill_random_at(chunk, n, params->seed, file->index, done);
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned v = csv_value(chunk[i]);
            memcpy(line + len, text->text[v], 4);
            len += text->len[v];
        }
        rc = mlps_sink_buffer_put(buffer, line, len, err);
        done += n;
    }
    return rc ? rc : mlps_sink_buffer_put(buffer, "\n", 1, err);
}

static int csv_write(const mlps_format_params *params, const mlps_format_file *file,
                     mlps_sink *sink, mlps_error *err)
{
    int rc = csv_check(params, file, err);
    if (rc)
        return rc;
    csv_value_text text;
    csv_value_text_init(&text);
    mlps_sink_buffer buffer;
    rc = mlps_sink_buffer_init(&buffer, sink, CSV_BUFFER_BYTES, err);
    if (rc)
        return rc;
    uint64_t values = file->d1 * file->d2;
    rc = put_header(&buffer, values, err);
    for (uint64_t k = 0; !rc && k < params->samples_per_file; k++)
        rc = put_row(&buffer, &text, params, file, k, values, err);
    if (!rc)
        rc = mlps_sink_buffer_flush(&buffer, err);
    mlps_sink_buffer_free(&buffer);
    return rc;
}

/* Where the scan of the file's lines stands. */
typedef struct csv_scan {
    const mlps_source *source;
    uint64_t samples;
    mlps_sample_extent *extents;
    bool in_header;
    uint64_t row;         /* the row being read */
    uint64_t row_start;
    bool in_index;        /* still reading the row's leading index digits */
    uint64_t index_value;
    unsigned index_digits;
} csv_scan;

static int scan_index_char(csv_scan *s, char c, uint64_t offset, mlps_error *err)
{
    if (c >= '0' && c <= '9' && s->index_digits < 20) {
        s->index_value = s->index_value * 10 + (uint64_t)(c - '0');
        s->index_digits++;
        return 0;
    }
    if (c == ',' && s->index_digits && s->index_value == s->row) {
        s->in_index = false;
        return 0;
    }
    return mlps_fail(err, -EPROTO,
                     "%s: row %" PRIu64 " at offset %" PRIu64
                     " does not start with its index \"%" PRIu64 ",\" (byte at offset %" PRIu64
                     ")",
                     s->source->name, s->row, s->row_start, s->row, offset);
}

static int scan_char(csv_scan *s, char c, uint64_t offset, mlps_error *err)
{
    if (s->in_header) {
        if (offset == 0 && c != ',')
            return mlps_fail(err, -EPROTO,
                             "%s: no CSV header line (\",0,1,...\") at offset 0: not a "
                             "dataset CSV file",
                             s->source->name);
        if (c == '\n') {
            s->in_header = false;
            s->row_start = offset + 1;
            s->in_index = true;
        }
        return 0;
    }
    if (s->row == s->samples)
        return mlps_fail(err, -EPROTO,
                         "%s: more than the %" PRIu64
                         " rows of dataset.num_samples_per_file: row %" PRIu64
                         " starts at offset %" PRIu64,
                         s->source->name, s->samples, s->row, s->row_start);
    if (s->in_index)
        return scan_index_char(s, c, offset, err);
    if (c == '\n') {
        s->extents[s->row] = (mlps_sample_extent){s->row_start, offset + 1 - s->row_start};
        s->row++;
        s->row_start = offset + 1;
        s->in_index = true;
        s->index_value = 0;
        s->index_digits = 0;
    }
    return 0;
}

static int csv_locate_samples(const mlps_format_params *params, const mlps_source *source,
                              mlps_sample_extent *extents, mlps_error *err)
{
    csv_scan s = {.source = source, .samples = params->samples_per_file, .extents = extents,
                  .in_header = true};
    size_t chunk_size = source->size < CSV_SCAN_CHUNK ? (size_t)source->size : CSV_SCAN_CHUNK;
    char *chunk = malloc(chunk_size ? chunk_size : 1);
    if (!chunk)
        return mlps_fail(err, -ENOMEM, "out of memory scanning %s", source->name);
    int rc = 0;
    for (uint64_t at = 0; !rc && at < source->size;) {
        size_t n = source->size - at < chunk_size ? (size_t)(source->size - at) : chunk_size;
        rc = mlps_source_read(source, chunk, n, at, err);
        for (size_t i = 0; !rc && i < n; i++)
            rc = scan_char(&s, chunk[i], at + i, err);
        at += n;
    }
    free(chunk);
    if (rc)
        return rc;
    if (s.in_header || s.row_start != source->size)
        return mlps_fail(err, -EPROTO,
                         "%s: truncated: the line at offset %" PRIu64 " has no newline",
                         source->name, s.in_header ? 0 : s.row_start);
    if (s.row != s.samples)
        return mlps_fail(err, -EPROTO,
                         "%s: %" PRIu64 " rows end at offset %" PRIu64
                         " but dataset.num_samples_per_file is %" PRIu64,
                         source->name, s.row, source->size, s.samples);
    return 0;
}

const mlps_format mlps_format_csv = {
    .name = "csv",
    .extension = "csv",
    .write = csv_write,
    .file_size = csv_file_size,
    .locate_samples = csv_locate_samples,
};
