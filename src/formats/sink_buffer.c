/* The write buffer in front of a sink; see sink_buffer.h. */
#include "formats/sink_buffer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mlps_sink_buffer_init(mlps_sink_buffer *buffer, mlps_sink *sink, size_t size,
                          mlps_error *err)
{
    *buffer = (mlps_sink_buffer){.sink = sink, .size = size ? size : 1};
    buffer->data = malloc(buffer->size);
    if (!buffer->data)
        return mlps_fail(err, -ENOMEM, "out of memory for a %zu-byte write buffer", size);
    return 0;
}

void mlps_sink_buffer_free(mlps_sink_buffer *buffer)
{
    free(buffer->data);
    buffer->data = NULL;
}

int mlps_sink_buffer_flush(mlps_sink_buffer *buffer, mlps_error *err)
{
    if (!buffer->used)
        return 0;
    int rc = mlps_sink_write(buffer->sink, buffer->data, buffer->used, err);
    buffer->used = 0;
    return rc;
}

int mlps_sink_buffer_put(mlps_sink_buffer *buffer, const void *data, size_t len,
                         mlps_error *err)
{
    const unsigned char *p = data;
    while (len) {
        if (buffer->used == 0 && len >= buffer->size)
            return mlps_sink_write(buffer->sink, p, len, err);
        size_t room = buffer->size - buffer->used;
        size_t piece = len < room ? len : room;
        memcpy(buffer->data + buffer->used, p, piece);
        buffer->used += piece;
        p += piece;
        len -= piece;
        if (buffer->used == buffer->size) {
            int rc = mlps_sink_buffer_flush(buffer, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int mlps_sink_buffer_reserve(mlps_sink_buffer *buffer, size_t want, unsigned char **at,
                             size_t *granted, mlps_error *err)
{
    if (buffer->used == buffer->size) {
        int rc = mlps_sink_buffer_flush(buffer, err);
        if (rc)
            return rc;
    }
    size_t room = buffer->size - buffer->used;
    *at = buffer->data + buffer->used;
    *granted = want < room ? want : room;
    return 0;
}

void mlps_sink_buffer_commit(mlps_sink_buffer *buffer, size_t len)
{
    buffer->used += len;
}
