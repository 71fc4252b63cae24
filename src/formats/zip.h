/* The ZIP container of the npz format, written the way Python's zipfile module writes it for
 * numpy.savez (so that NumPy, Python and every zip tool read it, and DLIO's own local-header
 * parser too), and read back just far enough to find one member's bytes.
 *
 * What the writer produces, per member: a local header (version 2.0, date 1980-01-01, the
 * zip64 extra field always present, as numpy's force_zip64 asks), the data, and for some
 * members a zip64 data descriptor. A STORED member comes in two kinds. With its CRC-32 given
 * up front, CRC-32 and sizes sit in the local header, as zipfile leaves them after seeking
 * back in a seekable file. With its CRC-32 computed from the bytes as they are written
 * (mlps_zip_begin_stored_crc_after), so that generated data need be produced only once, the
 * local header sets general-purpose flag bit 3 and holds CRC-32 zero but the real sizes, and a
 * descriptor after the data carries CRC-32 and sizes, as the central directory does. A deflated
 * member is streamed, so its local header holds zeros and its sizes and CRC follow the data in
 * the descriptor, as zipfile writes to an unseekable stream. Then the central directory (zip64
 * extras only for values above 2^31 - 1, zipfile's threshold), a zip64 end record and locator
 * when the directory lies beyond that threshold, and the end-of-central-directory record. */
#ifndef MLPS_FORMATS_ZIP_H
#define MLPS_FORMATS_ZIP_H

#include <stdbool.h>
#include <stdint.h>
#include <zlib.h>

#include "core/error.h"
#include "formats/format.h"

#define MLPS_ZIP_MAX_MEMBERS 4
/* Python's zipfile switches to zip64 fields above this value (not 2^32 - 1). */
#define MLPS_ZIP64_LIMIT ((UINT64_C(1) << 31) - 1)

typedef struct mlps_zip_member_record {
    const char *name;
    uint64_t header_offset; /* from the start of the archive */
    uint64_t compressed_size, size;
    uint32_t crc;
    bool deflated;
    bool descriptor; /* CRC-32 (and sizes) follow the data; flag bit 3 */
} mlps_zip_member_record;

typedef struct mlps_zip_writer {
    mlps_sink *sink;
    uint64_t archive_start; /* sink->written when the archive began */
    mlps_zip_member_record members[MLPS_ZIP_MAX_MEMBERS];
    unsigned count;
    bool member_open;
    uint64_t data_start; /* sink->written where the open member's data began */
    z_stream zstream;
    bool zstream_ready;
    unsigned char *out;
    size_t out_size;
} mlps_zip_writer;

void mlps_zip_writer_init(mlps_zip_writer *writer, mlps_sink *sink);
void mlps_zip_writer_free(mlps_zip_writer *writer);

/* Starts a STORED member of `size` bytes whose CRC-32 is already known; the caller then writes
 * exactly `size` bytes to the sink and calls mlps_zip_member_end. name must outlive the writer. */
int mlps_zip_begin_stored(mlps_zip_writer *writer, const char *name, uint32_t crc, uint64_t size,
                          mlps_error *err);
/* Starts a STORED member of `size` bytes whose CRC-32 is not known yet: the caller passes
 * exactly `size` bytes through mlps_zip_store, which checksums them on their way to the sink,
 * then calls mlps_zip_member_end, which writes the data descriptor. */
int mlps_zip_begin_stored_crc_after(mlps_zip_writer *writer, const char *name, uint64_t size,
                                    mlps_error *err);
int mlps_zip_store(mlps_zip_writer *writer, const void *data, size_t len, mlps_error *err);
/* Starts a deflated member; its bytes go through mlps_zip_deflate. */
int mlps_zip_begin_deflated(mlps_zip_writer *writer, const char *name, mlps_error *err);
int mlps_zip_deflate(mlps_zip_writer *writer, const void *data, size_t len, mlps_error *err);
int mlps_zip_member_end(mlps_zip_writer *writer, mlps_error *err);
/* Writes the central directory and the end records. */
int mlps_zip_finish(mlps_zip_writer *writer, mlps_error *err);

/* The exact size of an archive of STORED members with these names and sizes; crc_after[i]
 * (crc_after may be NULL: none) says member i was begun with mlps_zip_begin_stored_crc_after
 * and so is followed by a descriptor. */
uint64_t mlps_zip_stored_archive_size(const char *const *names, const uint64_t *sizes,
                                      const bool *crc_after, unsigned count);

/* One member as the central directory and its local header describe it. */
typedef struct mlps_zip_member {
    uint64_t header_offset;
    uint64_t data_offset; /* where its (possibly compressed) bytes start */
    uint64_t compressed_size, size;
    uint32_t crc;
    uint16_t method; /* 0 stored, 8 deflated */
    uint16_t flags;
} mlps_zip_member;

/* Finds member `name` by reading the end records, the central directory and the member's local
 * header; a bad signature, a truncation or a missing member is an error naming source->name
 * and the offset. */
int mlps_zip_find_member(const mlps_source *source, const char *name, mlps_zip_member *member,
                         mlps_error *err);

#endif
