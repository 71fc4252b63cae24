/* A write buffer in front of a sink, for formats that produce many small pieces (record
 * framing, text) or that generate bytes in place and checksum them before they leave: pieces
 * are gathered into one buffer and reach the sink in buffer-sized writes. */
#ifndef MLPS_FORMATS_SINK_BUFFER_H
#define MLPS_FORMATS_SINK_BUFFER_H

#include <stddef.h>

#include "core/error.h"
#include "formats/format.h"

typedef struct mlps_sink_buffer {
    mlps_sink *sink;
    unsigned char *data;
    size_t size, used;
} mlps_sink_buffer;

int mlps_sink_buffer_init(mlps_sink_buffer *buffer, mlps_sink *sink, size_t size,
                          mlps_error *err);
/* Frees the buffer without flushing it. */
void mlps_sink_buffer_free(mlps_sink_buffer *buffer);

int mlps_sink_buffer_put(mlps_sink_buffer *buffer, const void *data, size_t len,
                         mlps_error *err);
/* Room for up to `want` bytes (want >= 1), flushing first when the buffer is full: *at points
 * at it and *granted (1..want) says how much; mlps_sink_buffer_commit then keeps what was
 * written there. */
int mlps_sink_buffer_reserve(mlps_sink_buffer *buffer, size_t want, unsigned char **at,
                             size_t *granted, mlps_error *err);
void mlps_sink_buffer_commit(mlps_sink_buffer *buffer, size_t len);
int mlps_sink_buffer_flush(mlps_sink_buffer *buffer, mlps_error *err);

#endif
