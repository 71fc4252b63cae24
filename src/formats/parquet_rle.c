/* The RLE / bit-packed hybrid encoder of the Parquet writer; see parquet_rle.h. */
#include "formats/parquet_rle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/parquet_thrift.h"

unsigned mlps_rle_bit_width(uint32_t max_level)
{
    unsigned width = 0;
    while (max_level >> width)
        width++;
    return width;
}

void mlps_rle_writer_init(mlps_rle_writer *writer, unsigned bit_width)
{
    memset(writer, 0, sizeof *writer);
    writer->bit_width = bit_width;
}

void mlps_rle_writer_reset(mlps_rle_writer *writer)
{
    writer->size = 0;
    writer->run_count = 0;
    writer->failed = false;
}

void mlps_rle_writer_free(mlps_rle_writer *writer)
{
    free(writer->data);
    memset(writer, 0, sizeof *writer);
}

static void put_bytes(mlps_rle_writer *writer, const unsigned char *bytes, size_t len)
{
    if (writer->failed)
        return;
    if (writer->size + len > writer->capacity) {
        size_t capacity = writer->capacity ? writer->capacity : 64;
        while (capacity < writer->size + len)
            capacity *= 2;
        unsigned char *grown = realloc(writer->data, capacity);
        if (!grown) {
            writer->failed = true;
            return;
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, len);
    writer->size += len;
}

static unsigned value_bytes(unsigned bit_width)
{
    return (bit_width + 7) / 8;
}

/* One RLE run holds at most 2^63 - 1 values (the header is count << 1 in a 64-bit varint). */
static void encode_run(mlps_rle_writer *writer)
{
    unsigned char header[10];
    size_t header_len = mlps_thrift_put_varint(header, writer->run_count << 1);
    put_bytes(writer, header, header_len);
    unsigned char value[4];
    for (unsigned i = 0; i < value_bytes(writer->bit_width); i++)
        value[i] = (unsigned char)(writer->run_value >> (8 * i));
    put_bytes(writer, value, value_bytes(writer->bit_width));
    writer->run_count = 0;
}

void mlps_rle_append(mlps_rle_writer *writer, uint32_t value, uint64_t count)
{
    if (!count)
        return;
    if (writer->run_count && writer->run_value != value)
        encode_run(writer);
    writer->run_value = value;
    writer->run_count += count;
}

void mlps_rle_append_bitpacked(mlps_rle_writer *writer, const uint8_t *values, size_t count)
{
    if (!count)
        return;
    if (writer->bit_width > 8) {
        writer->failed = true;
        return;
    }
    if (writer->run_count)
        encode_run(writer);
    unsigned char header[10];
    put_bytes(writer, header, mlps_rle_bitpacked_header(header, count));
    /* A group of 8 values of w bits is w bytes; values fill each byte from its low bit. */
    for (size_t group = 0; group < (count + 7) / 8; group++) {
        unsigned char packed[8] = {0};
        unsigned bit = 0;
        for (size_t i = group * 8; i < group * 8 + 8; i++, bit += writer->bit_width) {
            uint32_t value = i < count ? values[i] : 0;
            for (unsigned b = 0; b < writer->bit_width; b++)
                if (value >> b & 1)
                    packed[(bit + b) / 8] |= (unsigned char)(1u << ((bit + b) % 8));
        }
        put_bytes(writer, packed, writer->bit_width);
    }
}

size_t mlps_rle_bitpacked_bytes(unsigned bit_width, uint64_t count)
{
    unsigned char header[10];
    return mlps_rle_bitpacked_header(header, count) + (size_t)((count + 7) / 8) * bit_width;
}

int mlps_rle_finish(mlps_rle_writer *writer, mlps_error *err)
{
    if (writer->run_count)
        encode_run(writer);
    if (writer->failed)
        return mlps_fail(err, -ENOMEM,
                         "out of memory (or a bit-packed width above 8) encoding parquet levels");
    return 0;
}

size_t mlps_rle_run_bytes(unsigned bit_width, uint64_t count)
{
    unsigned char header[10];
    return mlps_thrift_put_varint(header, count << 1) + value_bytes(bit_width);
}

size_t mlps_rle_bitpacked_header(unsigned char out[10], uint64_t values)
{
    return mlps_thrift_put_varint(out, ((values + 7) / 8) << 1 | 1);
}
