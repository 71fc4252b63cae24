/* Writing the npz ZIP container as Python's zipfile does; see zip.h for the layout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/crc32.h"
#include "formats/le_bytes.h"
#include "formats/zip.h"
#include "formats/zip_records.h"

#define ZIP_LOCAL_EXTRA_BYTES 20u /* id, length, size, compressed size */

#define ZIP_VERSION_DEFAULT 20
#define ZIP_VERSION_ZIP64 45
#define ZIP_SYSTEM_UNIX 3
#define ZIP_FLAG_DESCRIPTOR 0x0008
#define ZIP_METHOD_STORED 0
#define ZIP_METHOD_DEFLATED 8
#define ZIP_DOS_DATE_1980_01_01 0x0021
#define ZIP_EXTERNAL_ATTR_RW_OWNER (UINT32_C(0600) << 16)
#define ZIP_FILE_COUNT_LIMIT 0xffffu
#define ZIP_OUT_BYTES (256u << 10)

void mlps_zip_writer_init(mlps_zip_writer *writer, mlps_sink *sink)
{
    memset(writer, 0, sizeof *writer);
    writer->sink = sink;
    writer->archive_start = sink->written;
}

void mlps_zip_writer_free(mlps_zip_writer *writer)
{
    if (writer->zstream_ready)
        deflateEnd(&writer->zstream);
    free(writer->out);
    writer->zstream_ready = false;
    writer->out = NULL;
}

static uint64_t archive_offset(const mlps_zip_writer *writer)
{
    return writer->sink->written - writer->archive_start;
}

static bool needs_zip64_sizes(uint64_t size, uint64_t compressed_size)
{
    return size > MLPS_ZIP64_LIMIT || compressed_size > MLPS_ZIP64_LIMIT;
}

/* The local header. A member with a descriptor has CRC-32 zero here and flag bit 3 set; a
 * deflated one has zero sizes too (they are not known yet), while a stored one keeps its real
 * sizes, which readers that walk local headers (DLIO's O_DIRECT npz reader) need. */
static size_t local_header(const mlps_zip_member_record *m, unsigned char *out)
{
    size_t name_len = strlen(m->name);
    uint64_t size = m->deflated ? 0 : m->size, compressed = m->deflated ? 0 : m->compressed_size;
    bool zip64 = needs_zip64_sizes(size, compressed);
    mlps_put_le32(out, ZIP_LOCAL_SIGNATURE);
    mlps_put_le16(out + 4, zip64 ? ZIP_VERSION_ZIP64 : ZIP_VERSION_DEFAULT);
    mlps_put_le16(out + 6, m->descriptor ? ZIP_FLAG_DESCRIPTOR : 0);
    mlps_put_le16(out + 8, m->deflated ? ZIP_METHOD_DEFLATED : ZIP_METHOD_STORED);
    mlps_put_le16(out + 10, 0); /* 00:00:00 */
    mlps_put_le16(out + 12, ZIP_DOS_DATE_1980_01_01);
    mlps_put_le32(out + 14, m->descriptor ? 0 : m->crc);
    mlps_put_le32(out + 18, zip64 ? UINT32_MAX : (uint32_t)compressed);
    mlps_put_le32(out + 22, zip64 ? UINT32_MAX : (uint32_t)size);
    mlps_put_le16(out + 26, (uint16_t)name_len);
    mlps_put_le16(out + 28, ZIP_LOCAL_EXTRA_BYTES);
    memcpy(out + ZIP_LOCAL_BYTES, m->name, name_len);
    unsigned char *extra = out + ZIP_LOCAL_BYTES + name_len;
    mlps_put_le16(extra, 1);
    mlps_put_le16(extra + 2, 16);
    mlps_put_le64(extra + 4, size);
    mlps_put_le64(extra + 12, compressed);
    return ZIP_LOCAL_BYTES + name_len + ZIP_LOCAL_EXTRA_BYTES;
}

static int begin_member(mlps_zip_writer *writer, const mlps_zip_member_record *record,
                        mlps_error *err)
{
    if (writer->member_open || writer->count == MLPS_ZIP_MAX_MEMBERS ||
        strlen(record->name) > 64)
        return mlps_fail(err, -EINVAL, "zip member '%s' cannot be started here", record->name);
    mlps_zip_member_record *m = &writer->members[writer->count];
    *m = *record;
    m->header_offset = archive_offset(writer);
    unsigned char header[ZIP_LOCAL_BYTES + 64 + ZIP_LOCAL_EXTRA_BYTES];
    size_t len = local_header(m, header);
    int rc = mlps_sink_write(writer->sink, header, len, err);
    if (rc)
        return rc;
    writer->count++;
    writer->member_open = true;
    writer->data_start = writer->sink->written;
    return 0;
}

int mlps_zip_begin_stored(mlps_zip_writer *writer, const char *name, uint32_t crc, uint64_t size,
                          mlps_error *err)
{
    mlps_zip_member_record m = {.name = name, .compressed_size = size, .size = size, .crc = crc};
    return begin_member(writer, &m, err);
}

int mlps_zip_begin_stored_crc_after(mlps_zip_writer *writer, const char *name, uint64_t size,
                                    mlps_error *err)
{
    mlps_zip_member_record m = {.name = name, .compressed_size = size, .size = size,
                                .descriptor = true};
    return begin_member(writer, &m, err);
}

int mlps_zip_store(mlps_zip_writer *writer, const void *data, size_t len, mlps_error *err)
{
    mlps_zip_member_record *m = writer->count ? &writer->members[writer->count - 1] : NULL;
    if (!writer->member_open || m->deflated || !m->descriptor)
        return mlps_fail(err, -EINVAL,
                         "zip member '%s' does not take checksummed stored bytes (start it with "
                         "mlps_zip_begin_stored_crc_after)",
                         m ? m->name : "(none)");
    m->crc = mlps_crc32_update(m->crc, data, len);
    return mlps_sink_write(writer->sink, data, len, err);
}

int mlps_zip_begin_deflated(mlps_zip_writer *writer, const char *name, mlps_error *err)
{
    if (!writer->out) {
        writer->out = malloc(ZIP_OUT_BYTES);
        if (!writer->out)
            return mlps_fail(err, -ENOMEM, "out of memory for a %u-byte deflate buffer",
                             ZIP_OUT_BYTES);
        writer->out_size = ZIP_OUT_BYTES;
    }
    if (writer->zstream_ready) {
        if (deflateReset(&writer->zstream) != Z_OK)
            return mlps_fail(err, -EIO, "zlib deflateReset failed for zip member '%s'", name);
    } else {
        memset(&writer->zstream, 0, sizeof writer->zstream);
        /* Raw deflate at zlib's default level, as zipfile's ZIP_DEFLATED uses. */
        if (deflateInit2(&writer->zstream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return mlps_fail(err, -ENOMEM, "zlib deflateInit2 failed for zip member '%s'", name);
        writer->zstream_ready = true;
    }
    mlps_zip_member_record m = {.name = name, .deflated = true, .descriptor = true};
    return begin_member(writer, &m, err);
}

/* Runs deflate over the pending input with `flush`, writing every full output buffer. */
static int deflate_pending(mlps_zip_writer *writer, int flush, mlps_error *err)
{
    z_stream *z = &writer->zstream;
    mlps_zip_member_record *m = &writer->members[writer->count - 1];
    for (;;) {
        z->next_out = writer->out;
        z->avail_out = (uInt)writer->out_size;
        int zrc = deflate(z, flush);
        if (zrc == Z_STREAM_ERROR)
            return mlps_fail(err, -EIO, "zlib deflate failed for zip member '%s'", m->name);
        size_t produced = writer->out_size - z->avail_out;
        if (produced) {
            int rc = mlps_sink_write(writer->sink, writer->out, produced, err);
            if (rc)
                return rc;
        }
        if (flush == Z_FINISH ? zrc == Z_STREAM_END : (z->avail_in == 0 && z->avail_out != 0))
            return 0;
    }
}

int mlps_zip_deflate(mlps_zip_writer *writer, const void *data, size_t len, mlps_error *err)
{
    mlps_zip_member_record *m = &writer->members[writer->count - 1];
    const unsigned char *p = data;
    m->crc = mlps_crc32_update(m->crc, p, len);
    m->size += len;
    while (len) {
        size_t piece = len < (1u << 30) ? len : (1u << 30);
        writer->zstream.next_in = (Bytef *)p;
        writer->zstream.avail_in = (uInt)piece;
        int rc = deflate_pending(writer, Z_NO_FLUSH, err);
        if (rc)
            return rc;
        p += piece;
        len -= piece;
    }
    return 0;
}

/* The data descriptor, always in its zip64 form (8-byte sizes): the local header always carries
 * the zip64 extra field, and APPNOTE 4.3.9.2 has readers expect 8-byte sizes whenever it is
 * present; Python's zipfile writes the same. */
static int write_descriptor(mlps_zip_writer *writer, const mlps_zip_member_record *m,
                            mlps_error *err)
{
    unsigned char descriptor[ZIP64_DESCRIPTOR_BYTES];
    mlps_put_le32(descriptor, ZIP_DESCRIPTOR_SIGNATURE);
    mlps_put_le32(descriptor + 4, m->crc);
    mlps_put_le64(descriptor + 8, m->compressed_size);
    mlps_put_le64(descriptor + 16, m->size);
    return mlps_sink_write(writer->sink, descriptor, sizeof descriptor, err);
}

int mlps_zip_member_end(mlps_zip_writer *writer, mlps_error *err)
{
    mlps_zip_member_record *m = &writer->members[writer->count - 1];
    uint64_t written = writer->sink->written - writer->data_start;
    if (m->deflated) {
        writer->zstream.next_in = NULL;
        writer->zstream.avail_in = 0;
        int rc = deflate_pending(writer, Z_FINISH, err);
        if (rc)
            return rc;
        m->compressed_size = writer->sink->written - writer->data_start;
    } else if (written != m->size) {
        return mlps_fail(err, -EIO, "zip member '%s': %llu bytes written, %llu declared", m->name,
                         (unsigned long long)written, (unsigned long long)m->size);
    }
    if (m->descriptor) {
        int rc = write_descriptor(writer, m, err);
        if (rc)
            return rc;
    }
    writer->member_open = false;
    return 0;
}

/* The zip64 extra values a central directory entry needs, in the order the format fixes. */
static unsigned central_zip64_values(const mlps_zip_member_record *m, uint64_t values[3])
{
    unsigned n = 0;
    if (needs_zip64_sizes(m->size, m->compressed_size)) {
        values[n++] = m->size;
        values[n++] = m->compressed_size;
    }
    if (m->header_offset > MLPS_ZIP64_LIMIT)
        values[n++] = m->header_offset;
    return n;
}

static size_t central_entry(const mlps_zip_member_record *m, unsigned char *out)
{
    uint64_t values[3];
    unsigned zip64_values = central_zip64_values(m, values);
    bool zip64_sizes = needs_zip64_sizes(m->size, m->compressed_size);
    unsigned version = zip64_values ? ZIP_VERSION_ZIP64 : ZIP_VERSION_DEFAULT;
    size_t name_len = strlen(m->name);
    size_t extra_len = zip64_values ? 4 + 8 * zip64_values : 0;
    mlps_put_le32(out, ZIP_CENTRAL_SIGNATURE);
    out[4] = (unsigned char)version;
    out[5] = ZIP_SYSTEM_UNIX;
    mlps_put_le16(out + 6, (uint16_t)version);
    mlps_put_le16(out + 8, m->descriptor ? ZIP_FLAG_DESCRIPTOR : 0);
    mlps_put_le16(out + 10, m->deflated ? ZIP_METHOD_DEFLATED : ZIP_METHOD_STORED);
    mlps_put_le16(out + 12, 0);
    mlps_put_le16(out + 14, ZIP_DOS_DATE_1980_01_01);
    mlps_put_le32(out + 16, m->crc);
    mlps_put_le32(out + 20, zip64_sizes ? UINT32_MAX : (uint32_t)m->compressed_size);
    mlps_put_le32(out + 24, zip64_sizes ? UINT32_MAX : (uint32_t)m->size);
    mlps_put_le16(out + 28, (uint16_t)name_len);
    mlps_put_le16(out + 30, (uint16_t)extra_len);
    mlps_put_le16(out + 32, 0); /* comment */
    mlps_put_le16(out + 34, 0); /* disk */
    mlps_put_le16(out + 36, 0); /* internal attributes */
    mlps_put_le32(out + 38, ZIP_EXTERNAL_ATTR_RW_OWNER);
    mlps_put_le32(out + 42,
                  m->header_offset > MLPS_ZIP64_LIMIT ? UINT32_MAX : (uint32_t)m->header_offset);
    memcpy(out + ZIP_CENTRAL_BYTES, m->name, name_len);
    unsigned char *extra = out + ZIP_CENTRAL_BYTES + name_len;
    if (zip64_values) {
        mlps_put_le16(extra, 1);
        mlps_put_le16(extra + 2, (uint16_t)(8 * zip64_values));
        for (unsigned i = 0; i < zip64_values; i++)
            mlps_put_le64(extra + 4 + 8 * i, values[i]);
    }
    return ZIP_CENTRAL_BYTES + name_len + extra_len;
}

static bool needs_zip64_end(uint64_t count, uint64_t directory_size, uint64_t directory_offset)
{
    return count > ZIP_FILE_COUNT_LIMIT || directory_size > MLPS_ZIP64_LIMIT ||
           directory_offset > MLPS_ZIP64_LIMIT;
}

static size_t end_records(uint64_t count, uint64_t directory_size, uint64_t directory_offset,
                          unsigned char *out)
{
    size_t len = 0;
    if (needs_zip64_end(count, directory_size, directory_offset)) {
        uint64_t zip64_end_offset = directory_offset + directory_size;
        mlps_put_le32(out, ZIP64_END_SIGNATURE);
        mlps_put_le64(out + 4, ZIP64_END_BYTES - 12);
        mlps_put_le16(out + 12, ZIP_VERSION_ZIP64);
        mlps_put_le16(out + 14, ZIP_VERSION_ZIP64);
        mlps_put_le32(out + 16, 0);
        mlps_put_le32(out + 20, 0);
        mlps_put_le64(out + 24, count);
        mlps_put_le64(out + 32, count);
        mlps_put_le64(out + 40, directory_size);
        mlps_put_le64(out + 48, directory_offset);
        mlps_put_le32(out + 56, ZIP64_LOCATOR_SIGNATURE);
        mlps_put_le32(out + 60, 0);
        mlps_put_le64(out + 64, zip64_end_offset);
        mlps_put_le32(out + 72, 1);
        len = ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES;
    }
    unsigned char *end = out + len;
    uint16_t short_count = count > ZIP_FILE_COUNT_LIMIT ? UINT16_MAX : (uint16_t)count;
    mlps_put_le32(end, ZIP_END_SIGNATURE);
    mlps_put_le16(end + 4, 0);
    mlps_put_le16(end + 6, 0);
    mlps_put_le16(end + 8, short_count);
    mlps_put_le16(end + 10, short_count);
    mlps_put_le32(end + 12, directory_size > UINT32_MAX ? UINT32_MAX : (uint32_t)directory_size);
    mlps_put_le32(end + 16,
                  directory_offset > UINT32_MAX ? UINT32_MAX : (uint32_t)directory_offset);
    mlps_put_le16(end + 20, 0);
    return len + ZIP_END_BYTES;
}

int mlps_zip_finish(mlps_zip_writer *writer, mlps_error *err)
{
    if (writer->member_open)
        return mlps_fail(err, -EINVAL, "zip archive finished with a member still open");
    unsigned char buf[MLPS_ZIP_MAX_MEMBERS * (ZIP_CENTRAL_BYTES + 64 + 28) + ZIP64_END_BYTES +
                      ZIP64_LOCATOR_BYTES + ZIP_END_BYTES];
    size_t len = 0;
    uint64_t directory_offset = archive_offset(writer);
    for (unsigned i = 0; i < writer->count; i++)
        len += central_entry(&writer->members[i], buf + len);
    len += end_records(writer->count, len, directory_offset, buf + len);
    return mlps_sink_write(writer->sink, buf, len, err);
}

uint64_t mlps_zip_stored_archive_size(const char *const *names, const uint64_t *sizes,
                                      const bool *crc_after, unsigned count)
{
    uint64_t offset = 0, directory = 0;
    for (unsigned i = 0; i < count; i++) {
        mlps_zip_member_record m = {.name = names[i], .header_offset = offset,
                                    .size = sizes[i], .compressed_size = sizes[i]};
        uint64_t values[3];
        unsigned zip64_values = central_zip64_values(&m, values);
        size_t name_len = strlen(names[i]);
        offset += ZIP_LOCAL_BYTES + name_len + ZIP_LOCAL_EXTRA_BYTES + sizes[i];
        if (crc_after && crc_after[i])
            offset += ZIP64_DESCRIPTOR_BYTES;
        directory += ZIP_CENTRAL_BYTES + name_len + (zip64_values ? 4 + 8 * zip64_values : 0);
    }
    uint64_t end = ZIP_END_BYTES;
    if (needs_zip64_end(count, directory, offset))
        end += ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES;
    return offset + directory + end;
}
