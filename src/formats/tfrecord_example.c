/* Protobuf encoding of the tf.train.Example of a TFRecord sample, written by hand (varints
 * and length-delimited fields) since only this one message shape is ever needed; see
 * tfrecord.h. Field numbers: Example.features = 1, Features.feature = 1 (a map, whose entries
 * are messages with key = 1 and value = 2), Feature.bytes_list = 1, Feature.int64_list = 3,
 * BytesList.value = 1, Int64List.value = 1 (packed). */
#include <string.h>

#include "formats/tfrecord.h"

/* Tag byte of a length-delimited field (wire type 2), and of field 3. */
#define PB_FIELD1_BYTES 0x0a
#define PB_FIELD2_BYTES 0x12
#define PB_FIELD3_BYTES 0x1a

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        p[n++] = (unsigned char)(v | 0x80);
    p[n++] = (unsigned char)v;
    return n;
}

/* A length-delimited field's tag and length. */
static size_t put_field_header(unsigned char *p, unsigned char tag, uint64_t len)
{
    p[0] = tag;
    return 1 + put_varint(p + 1, len);
}

static size_t put_key(unsigned char *p, const char *key)
{
    size_t len = strlen(key);
    size_t n = put_field_header(p, PB_FIELD1_BYTES, len);
    memcpy(p + n, key, len);
    return n + len;
}

/* Length of a length-delimited field carrying `len` bytes. */
static uint64_t field_len(uint64_t len)
{
    return 1 + varint_len(len) + len;
}

void mlps_tfrecord_example_encode(uint64_t image_bytes, uint64_t size_value,
                                  mlps_tfrecord_example *example)
{
    uint64_t bytes_list = field_len(image_bytes);             /* BytesList.value */
    uint64_t image_feature = field_len(bytes_list);           /* Feature.bytes_list */
    uint64_t image_entry = field_len(5) + field_len(image_feature); /* key "image", value */
    uint64_t int64_list = field_len(varint_len(size_value)); /* Int64List.value, packed */
    uint64_t size_feature = field_len(int64_list);            /* Feature.int64_list */
    uint64_t size_entry = field_len(4) + field_len(size_feature); /* key "size", value */
    uint64_t features = field_len(image_entry) + field_len(size_entry);

    unsigned char *p = example->prefix;
    size_t n = put_field_header(p, PB_FIELD1_BYTES, features);     /* Example.features */
    n += put_field_header(p + n, PB_FIELD1_BYTES, image_entry);    /* Features.feature entry */
    n += put_key(p + n, "image");
    n += put_field_header(p + n, PB_FIELD2_BYTES, image_feature);  /* entry value */
    n += put_field_header(p + n, PB_FIELD1_BYTES, bytes_list);     /* Feature.bytes_list */
    n += put_field_header(p + n, PB_FIELD1_BYTES, image_bytes);    /* BytesList.value */
    example->prefix_len = n;

    unsigned char *s = example->suffix;
    size_t m = put_field_header(s, PB_FIELD1_BYTES, size_entry);   /* Features.feature entry */
    m += put_key(s + m, "size");
    m += put_field_header(s + m, PB_FIELD2_BYTES, size_feature);   /* entry value */
    m += put_field_header(s + m, PB_FIELD3_BYTES, int64_list);     /* Feature.int64_list */
    m += put_field_header(s + m, PB_FIELD1_BYTES, varint_len(size_value)); /* packed values */
    m += put_varint(s + m, size_value);
    example->suffix_len = m;

    example->payload_len = field_len(features);
}
