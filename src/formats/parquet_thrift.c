/* Thrift compact protocol encoder and decoder for the Parquet writer and footer reader; the
 * rules are summarised in parquet_thrift.h. */
#include "formats/parquet_thrift.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- encoder --- */

static void put_bytes(mlps_thrift_writer *writer, const void *bytes, size_t len)
{
    if (writer->out_of_memory)
        return;
    if (writer->size + len > writer->capacity) {
        size_t capacity = writer->capacity ? writer->capacity : 256;
        while (capacity < writer->size + len)
            capacity *= 2;
        unsigned char *grown = realloc(writer->data, capacity);
        if (!grown) {
            writer->out_of_memory = true;
            return;
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, len);
    writer->size += len;
}

static void put_byte(mlps_thrift_writer *writer, unsigned char byte)
{
    put_bytes(writer, &byte, 1);
}

size_t mlps_thrift_put_varint(unsigned char out[10], uint64_t value)
{
    size_t n = 0;
    while (value >= 0x80) {
        out[n++] = (unsigned char)(value | 0x80);
        value >>= 7;
    }
    out[n++] = (unsigned char)value;
    return n;
}

uint64_t mlps_thrift_zigzag(int64_t value)
{
    return ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
}

static void put_varint(mlps_thrift_writer *writer, uint64_t value)
{
    unsigned char bytes[10];
    put_bytes(writer, bytes, mlps_thrift_put_varint(bytes, value));
}

void mlps_thrift_writer_init(mlps_thrift_writer *writer)
{
    memset(writer, 0, sizeof *writer);
    writer->depth = 1;
}

void mlps_thrift_writer_free(mlps_thrift_writer *writer)
{
    free(writer->data);
    memset(writer, 0, sizeof *writer);
}

void mlps_thrift_writer_reset(mlps_thrift_writer *writer)
{
    writer->size = 0;
    writer->depth = 1;
    writer->last_field[0] = 0;
    writer->out_of_memory = false;
    writer->unbalanced = false;
}

int mlps_thrift_writer_check(const mlps_thrift_writer *writer, const char *what, mlps_error *err)
{
    if (writer->out_of_memory)
        return mlps_fail(err, -ENOMEM, "out of memory while encoding the parquet %s", what);
    if (writer->unbalanced)
        return mlps_fail(err, -EINVAL, "internal error: the parquet %s was encoded with "
                         "unbalanced structs (or nested deeper than %d)", what,
                         MLPS_THRIFT_MAX_DEPTH);
    return 0;
}

static void put_field_header(mlps_thrift_writer *writer, int16_t id, enum mlps_thrift_type type)
{
    int16_t *last = &writer->last_field[writer->depth - 1];
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        put_byte(writer, (unsigned char)(delta << 4 | type));
    } else {
        put_byte(writer, (unsigned char)type);
        put_varint(writer, mlps_thrift_zigzag(id));
    }
    *last = id;
}

void mlps_thrift_write_bool(mlps_thrift_writer *writer, int16_t id, bool value)
{
    put_field_header(writer, id, value ? MLPS_THRIFT_TRUE : MLPS_THRIFT_FALSE);
}

void mlps_thrift_write_i8(mlps_thrift_writer *writer, int16_t id, int8_t value)
{
    put_field_header(writer, id, MLPS_THRIFT_I8);
    put_byte(writer, (unsigned char)value);
}

void mlps_thrift_write_i32(mlps_thrift_writer *writer, int16_t id, int32_t value)
{
    put_field_header(writer, id, MLPS_THRIFT_I32);
    put_varint(writer, mlps_thrift_zigzag(value));
}

void mlps_thrift_write_i64(mlps_thrift_writer *writer, int16_t id, int64_t value)
{
    put_field_header(writer, id, MLPS_THRIFT_I64);
    put_varint(writer, mlps_thrift_zigzag(value));
}

static void put_binary(mlps_thrift_writer *writer, const void *data, size_t len)
{
    put_varint(writer, len);
    put_bytes(writer, data, len);
}

void mlps_thrift_write_binary(mlps_thrift_writer *writer, int16_t id, const void *data,
                              size_t len)
{
    put_field_header(writer, id, MLPS_THRIFT_BINARY);
    put_binary(writer, data, len);
}

void mlps_thrift_write_string(mlps_thrift_writer *writer, int16_t id, const char *text)
{
    mlps_thrift_write_binary(writer, id, text, strlen(text));
}

static void push_struct(mlps_thrift_writer *writer)
{
    if (writer->depth >= MLPS_THRIFT_MAX_DEPTH) {
        writer->unbalanced = true;
        return;
    }
    writer->last_field[writer->depth++] = 0;
}

void mlps_thrift_begin_struct(mlps_thrift_writer *writer, int16_t id)
{
    put_field_header(writer, id, MLPS_THRIFT_STRUCT);
    push_struct(writer);
}

void mlps_thrift_begin_struct_element(mlps_thrift_writer *writer)
{
    push_struct(writer);
}

void mlps_thrift_end_struct(mlps_thrift_writer *writer)
{
    put_byte(writer, MLPS_THRIFT_STOP);
    if (writer->depth <= 1)
        writer->unbalanced = true;
    else
        writer->depth--;
}

void mlps_thrift_finish(mlps_thrift_writer *writer)
{
    put_byte(writer, MLPS_THRIFT_STOP);
    if (writer->depth != 1)
        writer->unbalanced = true;
}

void mlps_thrift_begin_list(mlps_thrift_writer *writer, int16_t id, enum mlps_thrift_type type,
                            uint64_t count)
{
    put_field_header(writer, id, MLPS_THRIFT_LIST);
    if (count < 15) {
        put_byte(writer, (unsigned char)(count << 4 | type));
    } else {
        put_byte(writer, (unsigned char)(0xF0 | type));
        put_varint(writer, count);
    }
}

void mlps_thrift_element_i32(mlps_thrift_writer *writer, int32_t value)
{
    put_varint(writer, mlps_thrift_zigzag(value));
}

void mlps_thrift_element_string(mlps_thrift_writer *writer, const char *text)
{
    put_binary(writer, text, strlen(text));
}

/* --- decoder --- */

void mlps_thrift_reader_init(mlps_thrift_reader *reader, const void *data, size_t size,
                             const char *name, uint64_t base_offset, const char *what,
                             mlps_error *err)
{
    *reader = (mlps_thrift_reader){.data = data, .size = size, .name = name,
                                   .base_offset = base_offset, .what = what, .err = err};
}

int mlps_thrift_fail(mlps_thrift_reader *reader, const char *problem)
{
    return mlps_fail(reader->err, -EBADMSG, "%s: corrupt parquet %s at offset %llu: %s",
                     reader->name, reader->what,
                     (unsigned long long)(reader->base_offset + reader->pos), problem);
}

static int get_byte(mlps_thrift_reader *reader, unsigned char *byte)
{
    if (reader->pos >= reader->size)
        return mlps_thrift_fail(reader, "ends in the middle of a value");
    *byte = reader->data[reader->pos++];
    return 0;
}

static int get_varint(mlps_thrift_reader *reader, uint64_t *value)
{
    uint64_t result = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        unsigned char byte = 0;
        int rc = get_byte(reader, &byte);
        if (rc)
            return rc;
        result |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = result;
            return 0;
        }
    }
    return mlps_thrift_fail(reader, "varint longer than 10 bytes");
}

static int64_t unzigzag(uint64_t value)
{
    return (int64_t)(value >> 1) ^ -(int64_t)(value & 1);
}

int mlps_thrift_read_field(mlps_thrift_reader *reader, int16_t *last_id,
                           enum mlps_thrift_type *type, int16_t *id)
{
    unsigned char byte = 0;
    int rc = get_byte(reader, &byte);
    if (rc)
        return rc;
    *type = (enum mlps_thrift_type)(byte & 0x0f);
    if (*type == MLPS_THRIFT_STOP) {
        *id = 0;
        return 0;
    }
    if (byte >> 4) {
        *id = (int16_t)(*last_id + (byte >> 4));
    } else {
        uint64_t raw;
        if ((rc = get_varint(reader, &raw)))
            return rc;
        *id = (int16_t)unzigzag(raw);
    }
    *last_id = *id;
    return 0;
}

int mlps_thrift_read_int(mlps_thrift_reader *reader, enum mlps_thrift_type type, int64_t *value)
{
    if (type == MLPS_THRIFT_I8) {
        unsigned char byte = 0;
        int rc = get_byte(reader, &byte);
        *value = (int8_t)byte;
        return rc;
    }
    if (type != MLPS_THRIFT_I16 && type != MLPS_THRIFT_I32 && type != MLPS_THRIFT_I64)
        return mlps_thrift_fail(reader, "expected an integer field");
    uint64_t raw;
    int rc = get_varint(reader, &raw);
    if (!rc)
        *value = unzigzag(raw);
    return rc;
}

int mlps_thrift_read_list(mlps_thrift_reader *reader, enum mlps_thrift_type *element_type,
                          uint64_t *count)
{
    unsigned char byte = 0;
    int rc = get_byte(reader, &byte);
    if (rc)
        return rc;
    *element_type = (enum mlps_thrift_type)(byte & 0x0f);
    *count = byte >> 4;
    if (*count == 15 && (rc = get_varint(reader, count)))
        return rc;
    /* Every element takes at least one byte (bools in lists take one each). */
    if (*count > reader->size - reader->pos)
        return mlps_thrift_fail(reader, "list longer than the bytes that remain");
    return 0;
}

static int skip_value(mlps_thrift_reader *reader, enum mlps_thrift_type type, unsigned depth);

static int skip_struct(mlps_thrift_reader *reader, unsigned depth)
{
    int16_t last = 0;
    for (;;) {
        enum mlps_thrift_type type;
        int16_t id;
        int rc = mlps_thrift_read_field(reader, &last, &type, &id);
        if (rc || type == MLPS_THRIFT_STOP)
            return rc;
        if ((rc = skip_value(reader, type, depth + 1)))
            return rc;
    }
}

static int skip_bytes(mlps_thrift_reader *reader, uint64_t len)
{
    if (len > reader->size - reader->pos)
        return mlps_thrift_fail(reader, "value longer than the bytes that remain");
    reader->pos += (size_t)len;
    return 0;
}

static int skip_elements(mlps_thrift_reader *reader, enum mlps_thrift_type type, uint64_t count,
                         unsigned depth)
{
    int rc = 0;
    for (uint64_t i = 0; i < count && !rc; i++) {
        /* Inside lists, sets and maps a boolean is a whole byte. */
        if (type == MLPS_THRIFT_TRUE || type == MLPS_THRIFT_FALSE)
            rc = skip_bytes(reader, 1);
        else
            rc = skip_value(reader, type, depth + 1);
    }
    return rc;
}

static int skip_value(mlps_thrift_reader *reader, enum mlps_thrift_type type, unsigned depth)
{
    if (depth > 64)
        return mlps_thrift_fail(reader, "values nested more than 64 deep");
    uint64_t raw, count;
    enum mlps_thrift_type element;
    int rc;
    switch (type) {
    case MLPS_THRIFT_TRUE:
    case MLPS_THRIFT_FALSE:
        return 0;
    case MLPS_THRIFT_I8:
        return skip_bytes(reader, 1);
    case MLPS_THRIFT_I16:
    case MLPS_THRIFT_I32:
    case MLPS_THRIFT_I64:
        return get_varint(reader, &raw);
    case MLPS_THRIFT_DOUBLE:
        return skip_bytes(reader, 8);
    case MLPS_THRIFT_BINARY:
        if ((rc = get_varint(reader, &raw)))
            return rc;
        return skip_bytes(reader, raw);
    case MLPS_THRIFT_LIST:
    case MLPS_THRIFT_SET:
        if ((rc = mlps_thrift_read_list(reader, &element, &count)))
            return rc;
        return skip_elements(reader, element, count, depth);
    case MLPS_THRIFT_MAP: {
        if ((rc = get_varint(reader, &count)))
            return rc;
        if (!count)
            return 0;
        unsigned char types = 0;
        if ((rc = get_byte(reader, &types)))
            return rc;
        for (uint64_t i = 0; i < count && !rc; i++) {
            rc = skip_elements(reader, (enum mlps_thrift_type)(types >> 4), 1, depth);
            if (!rc)
                rc = skip_elements(reader, (enum mlps_thrift_type)(types & 0x0f), 1, depth);
        }
        return rc;
    }
    case MLPS_THRIFT_STRUCT:
        return skip_struct(reader, depth);
    default:
        return mlps_thrift_fail(reader, "unknown compact protocol type");
    }
}

int mlps_thrift_skip(mlps_thrift_reader *reader, enum mlps_thrift_type type)
{
    return skip_value(reader, type, 0);
}
