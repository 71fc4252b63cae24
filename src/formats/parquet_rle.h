/* Parquet's RLE / bit-packed hybrid encoding, used for repetition and definition levels and
 * for dictionary indices. A run is either an RLE run, header varint(count << 1) then the value
 * in ceil(bit_width / 8) little-endian bytes, or a bit-packed run, header
 * varint(groups << 1 | 1) then groups * 8 values of bit_width bits each, packed from the least
 * significant bit of each byte. The writer only emits what fixed-shape data needs: runs of
 * equal values (merged with the previous run when the value repeats) and bit-packed headers
 * for index bytes it streams itself. */
#ifndef MLPS_FORMATS_PARQUET_RLE_H
#define MLPS_FORMATS_PARQUET_RLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct mlps_rle_writer {
    unsigned char *data;
    size_t size;
    size_t capacity;
    unsigned bit_width;
    uint32_t run_value; /* the pending run, not yet encoded */
    uint64_t run_count;
    bool failed;
} mlps_rle_writer;

/* The number of bits Parquet uses for levels up to max_level: 0 for 0, 1 for 1, 2 for 2..3. */
unsigned mlps_rle_bit_width(uint32_t max_level);

void mlps_rle_writer_init(mlps_rle_writer *writer, unsigned bit_width);
/* Empties the writer for another page, keeping its memory and bit width. */
void mlps_rle_writer_reset(mlps_rle_writer *writer);
void mlps_rle_writer_free(mlps_rle_writer *writer);
/* Appends count copies of value (count 0 appends nothing). */
void mlps_rle_append(mlps_rle_writer *writer, uint32_t value, uint64_t count);
/* Encodes the pending run; data[0..size) is then the whole encoding. */
int mlps_rle_finish(mlps_rle_writer *writer, mlps_error *err);

/* Appends a bit-packed run of count values of at most 8 bits (bit_width <= 8), after encoding
 * the pending RLE run. The run is padded with zeros to whole groups of 8, so a count that is
 * not a multiple of 8 must end the encoding (readers stop at the page's value count). */
void mlps_rle_append_bitpacked(mlps_rle_writer *writer, const uint8_t *values, size_t count);
/* The exact byte count of a bit-packed run of count values. */
size_t mlps_rle_bitpacked_bytes(unsigned bit_width, uint64_t count);

/* The exact byte count of RLE runs: varint header plus the value bytes. */
size_t mlps_rle_run_bytes(unsigned bit_width, uint64_t count);
/* Writes the header of a bit-packed run of `values` values (rounded up to whole groups of 8)
 * into out; returns its length. The packed bytes follow it. */
size_t mlps_rle_bitpacked_header(unsigned char out[10], uint64_t values);

#endif
