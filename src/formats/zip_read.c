/* Finding one member of a ZIP archive: end record (and its zip64 counterpart), central
 * directory, local header. Only what locating npz samples needs; see zip.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "formats/le_bytes.h"
#include "formats/zip.h"
#include "formats/zip_records.h"

#define ZIP_MAX_COMMENT 0xffffu
/* Far more than an npz's directory; bounds the allocation a corrupt file can ask for. */
#define ZIP_MAX_DIRECTORY_BYTES (16u << 20)

typedef struct zip_directory {
    uint64_t count, size, offset;
} zip_directory;

/* The end-of-central-directory record's offset: at the very end unless the archive has a
 * comment, in which case the tail is searched backwards. */
static int find_end_record(const mlps_source *source, uint64_t *end_offset, mlps_error *err)
{
    if (source->size < ZIP_END_BYTES)
        return mlps_fail(err, -EPROTO,
                         "%s: %" PRIu64 " bytes is too short for a zip archive (no end record)",
                         source->name, source->size);
    uint64_t tail = source->size < ZIP_END_BYTES + ZIP_MAX_COMMENT ? source->size
                                                                  : ZIP_END_BYTES + ZIP_MAX_COMMENT;
    unsigned char last[ZIP_END_BYTES];
    int rc = mlps_source_read(source, last, sizeof last, source->size - ZIP_END_BYTES, err);
    if (rc)
        return rc;
    if (mlps_get_le32(last) == ZIP_END_SIGNATURE && mlps_get_le16(last + 20) == 0) {
        *end_offset = source->size - ZIP_END_BYTES;
        return 0;
    }
    unsigned char *buf = malloc(tail);
    if (!buf)
        return mlps_fail(err, -ENOMEM, "out of memory reading the tail of %s", source->name);
    rc = mlps_source_read(source, buf, tail, source->size - tail, err);
    for (uint64_t at = tail - ZIP_END_BYTES + 1; !rc && at-- > 0;) {
        if (mlps_get_le32(buf + at) == ZIP_END_SIGNATURE &&
            at + ZIP_END_BYTES + mlps_get_le16(buf + at + 20) == tail) {
            *end_offset = source->size - tail + at;
            free(buf);
            return 0;
        }
    }
    free(buf);
    if (rc)
        return rc;
    return mlps_fail(err, -EPROTO,
                     "%s: no zip end-of-central-directory record in the last %" PRIu64
                     " bytes (offset %" PRIu64 " on): not a zip archive, or truncated",
                     source->name, tail, source->size - tail);
}

static int read_zip64_directory(const mlps_source *source, uint64_t end_offset,
                                zip_directory *dir, mlps_error *err)
{
    if (end_offset < ZIP64_LOCATOR_BYTES)
        return mlps_fail(err, -EPROTO, "%s: no room for a zip64 locator before offset %" PRIu64,
                         source->name, end_offset);
    uint64_t locator_offset = end_offset - ZIP64_LOCATOR_BYTES;
    unsigned char locator[ZIP64_LOCATOR_BYTES];
    int rc = mlps_source_read(source, locator, sizeof locator, locator_offset, err);
    if (rc)
        return rc;
    if (mlps_get_le32(locator) != ZIP64_LOCATOR_SIGNATURE)
        return mlps_fail(err, -EPROTO, "%s: bad zip64 end locator signature at offset %" PRIu64,
                         source->name, locator_offset);
    uint64_t record_offset = mlps_get_le64(locator + 8);
    unsigned char record[ZIP64_END_BYTES];
    rc = mlps_source_read(source, record, sizeof record, record_offset, err);
    if (rc)
        return rc;
    if (mlps_get_le32(record) != ZIP64_END_SIGNATURE)
        return mlps_fail(err, -EPROTO, "%s: bad zip64 end record signature at offset %" PRIu64,
                         source->name, record_offset);
    dir->count = mlps_get_le64(record + 32);
    dir->size = mlps_get_le64(record + 40);
    dir->offset = mlps_get_le64(record + 48);
    return 0;
}

static int read_directory_location(const mlps_source *source, zip_directory *dir,
                                   mlps_error *err)
{
    uint64_t end_offset = 0;
    int rc = find_end_record(source, &end_offset, err);
    if (rc)
        return rc;
    unsigned char end[ZIP_END_BYTES];
    rc = mlps_source_read(source, end, sizeof end, end_offset, err);
    if (rc)
        return rc;
    dir->count = mlps_get_le16(end + 10);
    dir->size = mlps_get_le32(end + 12);
    dir->offset = mlps_get_le32(end + 16);
    if (dir->count == UINT16_MAX || dir->size == UINT32_MAX || dir->offset == UINT32_MAX)
        rc = read_zip64_directory(source, end_offset, dir, err);
    if (rc)
        return rc;
    if (dir->size > ZIP_MAX_DIRECTORY_BYTES || dir->offset > source->size ||
        dir->size > source->size - dir->offset)
        return mlps_fail(err, -EPROTO,
                         "%s: zip central directory of %" PRIu64 " bytes at offset %" PRIu64
                         " does not fit in the file's %" PRIu64 " bytes",
                         source->name, dir->size, dir->offset, source->size);
    return 0;
}

/* Replaces the 0xffffffff placeholders of a central entry with its zip64 extra values. */
static bool apply_zip64_extra(const unsigned char *extra, size_t extra_len,
                              mlps_zip_member *member)
{
    for (size_t at = 0; at + 4 <= extra_len;) {
        uint16_t id = mlps_get_le16(extra + at), len = mlps_get_le16(extra + at + 2);
        if (at + 4 + len > extra_len)
            return false;
        if (id == 1) {
            const unsigned char *v = extra + at + 4;
            size_t left = len;
            uint64_t *fields[] = {&member->size, &member->compressed_size,
                                  &member->header_offset};
            for (size_t i = 0; i < 3; i++) {
                if (*fields[i] != UINT32_MAX)
                    continue;
                if (left < 8)
                    return false;
                *fields[i] = mlps_get_le64(v);
                v += 8;
                left -= 8;
            }
            return true;
        }
        at += 4 + (size_t)len;
    }
    return member->size != UINT32_MAX && member->compressed_size != UINT32_MAX &&
           member->header_offset != UINT32_MAX;
}

/* Walks the directory entries for `name`; *found tells whether it was there. */
static int scan_directory(const mlps_source *source, const zip_directory *dir,
                          const unsigned char *buf, const char *name, mlps_zip_member *member,
                          bool *found, mlps_error *err)
{
    size_t name_len = strlen(name);
    size_t at = 0;
    *found = false;
    for (uint64_t i = 0; i < dir->count; i++) {
        uint64_t offset = dir->offset + at;
        if (at + ZIP_CENTRAL_BYTES > dir->size || mlps_get_le32(buf + at) != ZIP_CENTRAL_SIGNATURE)
            return mlps_fail(err, -EPROTO,
                             "%s: bad zip central directory entry %" PRIu64 " at offset %" PRIu64,
                             source->name, i, offset);
        const unsigned char *e = buf + at;
        size_t entry_name_len = mlps_get_le16(e + 28), extra_len = mlps_get_le16(e + 30),
               comment_len = mlps_get_le16(e + 32);
        size_t entry_len = ZIP_CENTRAL_BYTES + entry_name_len + extra_len + comment_len;
        if (at + entry_len > dir->size)
            return mlps_fail(err, -EPROTO,
                             "%s: zip central directory entry at offset %" PRIu64
                             " runs past the directory",
                             source->name, offset);
        if (entry_name_len == name_len && memcmp(e + ZIP_CENTRAL_BYTES, name, name_len) == 0) {
            *member = (mlps_zip_member){.flags = mlps_get_le16(e + 8),
                                        .method = mlps_get_le16(e + 10),
                                        .crc = mlps_get_le32(e + 16),
                                        .compressed_size = mlps_get_le32(e + 20),
                                        .size = mlps_get_le32(e + 24),
                                        .header_offset = mlps_get_le32(e + 42)};
            if (!apply_zip64_extra(e + ZIP_CENTRAL_BYTES + name_len, extra_len, member))
                return mlps_fail(err, -EPROTO,
                                 "%s: zip member '%s' at offset %" PRIu64
                                 " lacks the zip64 extra its sizes need",
                                 source->name, name, offset);
            *found = true;
            return 0;
        }
        at += entry_len;
    }
    return 0;
}

static int read_local_header(const mlps_source *source, const char *name,
                             mlps_zip_member *member, mlps_error *err)
{
    unsigned char local[ZIP_LOCAL_BYTES + 64];
    size_t name_len = strlen(name);
    if (name_len > 64)
        return mlps_fail(err, -EINVAL, "zip member name '%s' too long", name);
    int rc = mlps_source_read(source, local, ZIP_LOCAL_BYTES + name_len, member->header_offset,
                              err);
    if (rc)
        return rc;
    if (mlps_get_le32(local) != ZIP_LOCAL_SIGNATURE)
        return mlps_fail(err, -EPROTO, "%s: bad zip local header signature at offset %" PRIu64,
                         source->name, member->header_offset);
    if (mlps_get_le16(local + 26) != name_len ||
        memcmp(local + ZIP_LOCAL_BYTES, name, name_len) != 0)
        return mlps_fail(err, -EPROTO,
                         "%s: the zip local header at offset %" PRIu64
                         " does not name '%s' as the central directory does",
                         source->name, member->header_offset, name);
    member->data_offset =
        member->header_offset + ZIP_LOCAL_BYTES + name_len + mlps_get_le16(local + 28);
    if (member->data_offset > source->size ||
        member->compressed_size > source->size - member->data_offset)
        return mlps_fail(err, -EPROTO,
                         "%s: zip member '%s' (%" PRIu64 " bytes at offset %" PRIu64
                         ") runs past the end of the file (%" PRIu64 " bytes): truncated",
                         source->name, name, member->compressed_size, member->data_offset,
                         source->size);
    return 0;
}

int mlps_zip_find_member(const mlps_source *source, const char *name, mlps_zip_member *member,
                         mlps_error *err)
{
    zip_directory dir;
    int rc = read_directory_location(source, &dir, err);
    if (rc)
        return rc;
    unsigned char *buf = malloc(dir.size ? dir.size : 1);
    if (!buf)
        return mlps_fail(err, -ENOMEM, "out of memory reading the zip directory of %s",
                         source->name);
    bool found = false;
    rc = mlps_source_read(source, buf, (size_t)dir.size, dir.offset, err);
    if (!rc)
        rc = scan_directory(source, &dir, buf, name, member, &found, err);
    free(buf);
    if (rc)
        return rc;
    if (!found)
        return mlps_fail(err, -ENOENT,
                         "%s: no member '%s' in the zip central directory at offset %" PRIu64,
                         source->name, name, dir.offset);
    if (member->method != 0 && member->method != 8)
        return mlps_fail(err, -EPROTO,
                         "%s: zip member '%s' uses compression method %u (only stored and "
                         "deflated are read)",
                         source->name, name, member->method);
    return read_local_header(source, name, member, err);
}
