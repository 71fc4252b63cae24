/* TFRecord pieces beyond the format table (tfrecord.c): the tf.train.Example each record
 * carries, and a full check of a file's framing. A record is
 *   u64 LE payload length · masked CRC32C of those 8 bytes · payload · masked CRC32C of payload
 * and the payload is the protobuf encoding of
 *   Example{features: Features{feature: {"image": Feature{bytes_list: BytesList{value: [image]}},
 *                                        "size":  Feature{int64_list: Int64List{value: [size]}}}}}
 * with the map entries in that order, so the payload is a short prefix, the image bytes, and a
 * short suffix. */
#ifndef MLPS_FORMATS_TFRECORD_H
#define MLPS_FORMATS_TFRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/format.h"

/* Length, its CRC and the payload CRC. */
#define MLPS_TFRECORD_FRAME_BYTES 16u
#define MLPS_TFRECORD_HEADER_BYTES 12u

typedef struct mlps_tfrecord_example {
    unsigned char prefix[64]; /* Example bytes before the image bytes */
    size_t prefix_len;
    unsigned char suffix[32]; /* Example bytes after them: the "size" entry */
    size_t suffix_len;
    uint64_t payload_len; /* prefix + image + suffix */
} mlps_tfrecord_example;

/* The encoding of an Example with image_bytes bytes of image and the given "size" value. */
void mlps_tfrecord_example_encode(uint64_t image_bytes, uint64_t size_value,
                                  mlps_tfrecord_example *example);

/* Walks every record of source checking both CRCs of each (reading every payload), and
 * returns the number of records; an error names the file, the record and its offset. */
int mlps_tfrecord_verify(const mlps_source *source, uint64_t *records, mlps_error *err);

#endif
