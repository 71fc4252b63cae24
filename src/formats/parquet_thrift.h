/* The Thrift compact protocol, as much of it as Parquet's page headers and file footer need:
 * an encoder that appends fields, lists and nested structs to a growing buffer, and a decoder
 * that walks a buffer field by field and skips what its caller does not ask for.
 *
 * Encoding rules (Apache Thrift compact protocol): a field header is one byte
 * (delta << 4 | type) when the field id is 1..15 above the previous field of the same struct,
 * otherwise the type byte followed by the zigzag varint id; integers are zigzag varints; binary
 * is a varint length and the bytes; a list header is (count << 4 | element type) for counts
 * under 15, else (0xF0 | type) and a varint count; a boolean field carries its value in the
 * type nibble; a struct ends with a zero byte. */
#ifndef MLPS_FORMATS_PARQUET_THRIFT_H
#define MLPS_FORMATS_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Compact protocol type codes. */
enum mlps_thrift_type {
    MLPS_THRIFT_STOP = 0,
    MLPS_THRIFT_TRUE = 1,
    MLPS_THRIFT_FALSE = 2,
    MLPS_THRIFT_I8 = 3,
    MLPS_THRIFT_I16 = 4,
    MLPS_THRIFT_I32 = 5,
    MLPS_THRIFT_I64 = 6,
    MLPS_THRIFT_DOUBLE = 7,
    MLPS_THRIFT_BINARY = 8,
    MLPS_THRIFT_LIST = 9,
    MLPS_THRIFT_SET = 10,
    MLPS_THRIFT_MAP = 11,
    MLPS_THRIFT_STRUCT = 12,
};

/* Nesting deep enough for Parquet's metadata (FileMetaData > RowGroup > ColumnChunk >
 * ColumnMetaData > Statistics is five). */
#define MLPS_THRIFT_MAX_DEPTH 16

/* The encoder. Running out of memory or misnesting structs is remembered and reported once by
 * mlps_thrift_writer_check, so building a structure needs no check after every field. */
typedef struct mlps_thrift_writer {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int16_t last_field[MLPS_THRIFT_MAX_DEPTH]; /* previous field id, per open struct */
    unsigned depth;                            /* open structs, the outermost counted */
    bool out_of_memory;
    bool unbalanced; /* a struct ended that was not open, or nesting too deep */
} mlps_thrift_writer;

/* Starts an empty buffer with the outermost struct open. */
void mlps_thrift_writer_init(mlps_thrift_writer *writer);
void mlps_thrift_writer_free(mlps_thrift_writer *writer);
/* Empties the buffer for the next structure, keeping its memory. */
void mlps_thrift_writer_reset(mlps_thrift_writer *writer);
/* 0, or -ENOMEM (out of memory) or -EINVAL (structs left open, closed twice or nested too
 * deep: a defect of the caller) naming what was being encoded. */
int mlps_thrift_writer_check(const mlps_thrift_writer *writer, const char *what, mlps_error *err);

void mlps_thrift_write_bool(mlps_thrift_writer *writer, int16_t id, bool value);
void mlps_thrift_write_i8(mlps_thrift_writer *writer, int16_t id, int8_t value);
void mlps_thrift_write_i32(mlps_thrift_writer *writer, int16_t id, int32_t value);
void mlps_thrift_write_i64(mlps_thrift_writer *writer, int16_t id, int64_t value);
void mlps_thrift_write_binary(mlps_thrift_writer *writer, int16_t id, const void *data,
                              size_t len);
void mlps_thrift_write_string(mlps_thrift_writer *writer, int16_t id, const char *text);
/* A struct field: its fields follow, then mlps_thrift_end_struct. */
void mlps_thrift_begin_struct(mlps_thrift_writer *writer, int16_t id);
void mlps_thrift_end_struct(mlps_thrift_writer *writer);
/* A list field of count elements of element_type; the elements follow, written with the
 * mlps_thrift_element_* calls (a struct element with mlps_thrift_begin_struct_element). */
void mlps_thrift_begin_list(mlps_thrift_writer *writer, int16_t id, enum mlps_thrift_type type,
                            uint64_t count);
void mlps_thrift_element_i32(mlps_thrift_writer *writer, int32_t value);
void mlps_thrift_element_string(mlps_thrift_writer *writer, const char *text);
void mlps_thrift_begin_struct_element(mlps_thrift_writer *writer);
/* Ends the outermost struct (writes its stop byte); the buffer then holds the whole value. */
void mlps_thrift_finish(mlps_thrift_writer *writer);

/* Raw encodings, exposed for the tests and for Parquet's own varints. */
size_t mlps_thrift_put_varint(unsigned char out[10], uint64_t value);
uint64_t mlps_thrift_zigzag(int64_t value);

/* The decoder: reads from data[0..size), naming name and base_offset + position in errors so a
 * message points at the byte of the file that is wrong. */
typedef struct mlps_thrift_reader {
    const unsigned char *data;
    size_t size;
    size_t pos;
    const char *name;     /* the file, for messages */
    uint64_t base_offset; /* file offset of data[0] */
    const char *what;     /* the structure being decoded, for messages */
    mlps_error *err;
} mlps_thrift_reader;

void mlps_thrift_reader_init(mlps_thrift_reader *reader, const void *data, size_t size,
                             const char *name, uint64_t base_offset, const char *what,
                             mlps_error *err);

/* Reads the next field header of the struct whose previous field id is *last_id. On the stop
 * byte *type is MLPS_THRIFT_STOP. */
int mlps_thrift_read_field(mlps_thrift_reader *reader, int16_t *last_id,
                           enum mlps_thrift_type *type, int16_t *id);
/* Reads an integer of field type i8/i16/i32/i64 into *value. */
int mlps_thrift_read_int(mlps_thrift_reader *reader, enum mlps_thrift_type type, int64_t *value);
int mlps_thrift_read_list(mlps_thrift_reader *reader, enum mlps_thrift_type *element_type,
                          uint64_t *count);
/* Skips one value of the given type, nested values included. */
int mlps_thrift_skip(mlps_thrift_reader *reader, enum mlps_thrift_type type);
/* A decoding error at the reader's position. */
int mlps_thrift_fail(mlps_thrift_reader *reader, const char *problem);

#endif
