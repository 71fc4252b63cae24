/* Files of the s3:// backend. A file open for reading learns its size with a HEAD (unless the
 * caller gave it, mlps_file_open_sized) and reads with ranged GETs. A file open for writing
 * takes sequential writes (each starts where the last ended) into a part buffer: the first full
 * part starts a multipart upload and goes up as part 1, the next as part 2, and so on, up to
 * MLPS_S3_PARTS_IN_FLIGHT parts in flight at once, each with its own buffer (s3_parts.c); close
 * uploads the rest, waits for every part and completes the upload with the ETags in part order,
 * or, when the object never filled a part, stores it with a single PUT. Nothing is visible under
 * the key before close succeeds, so every write is atomic; abort (or any failure) aborts the
 * multipart upload.
 * A request's own failure reaches the caller as -errno; the first failure's message (S3's code and
 * message, or why the endpoint could not be reached) stays with the file for mlps_io_req_fail to
 * report, and a failed write's message is returned again by close. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/log.h"
#include "io/s3_internal.h"

#define HUGE_PAGE_BYTES ((size_t)2 << 20)

typedef struct s3_file {
    mlps_file base;
    pthread_mutex_t lock; /* several queues may share a file */
    char *key;
    /* writing */
    mlps_s3_parts *parts;
    uint64_t uploaded; /* bytes in parts handed off */
    char *upload_id;   /* NULL until the first part goes up */
    unsigned parts_sent;
    mlps_error failure; /* the first failed write, returned again by close */
} s3_file;

static s3_file *s3_file_of(const mlps_file *file) { return (s3_file *)file; }

static bool is_writer(const mlps_file *file) { return file->flags & MLPS_OPEN_WRITE; }

/* Bytes written but not yet handed off in a part. */
static size_t unsent(const s3_file *f)
{
    mlps_s3_part_buffer *filling = f->parts ? mlps_s3_parts_filling(f->parts) : NULL;
    return filling ? filling->len : 0;
}

static uint64_t written_end(const s3_file *f) { return f->uploaded + unsent(f); }

static void free_file_state(s3_file *f)
{
    free(f->key);
    mlps_s3_parts_free(f->parts);
    free(f->upload_id);
    pthread_mutex_destroy(&f->lock);
}

static int head_size(mlps_store *store, const mlps_path *path, uint64_t *size, mlps_error *err)
{
    mlps_s3_request request = {.op = MLPS_S3_HEAD_OBJECT, .method = "HEAD", .operation = "open",
                               .uri = path->uri,
                               .key = mlps_s3_key_of(path)};
    mlps_s3_response response;
    int rc = mlps_s3_perform(store, &request, &response, err);
    *size = response.content_length == MLPS_SIZE_UNKNOWN ? 0 : response.content_length;
    mlps_s3_response_free(&response);
    return rc;
}

/* Opens with *size known, or, when size is NULL, learns it (reading) or starts empty. */
static int open_object(mlps_store *store, const mlps_path *path, int flags, const uint64_t *known,
                       mlps_file **out, mlps_error *err)
{
    const char *key = mlps_s3_key_of(path);
    if (!key[0])
        return mlps_fail_usage(err, -EISDIR, "open %s: an object needs a key after the bucket",
                               path->uri);
    if ((flags & MLPS_OPEN_READ) && (flags & MLPS_OPEN_WRITE))
        return mlps_fail_usage(err, -EINVAL,
                               "open %s: an object opens for reading or for writing, not both",
                               path->uri);
    uint64_t size = known ? *known : 0;
    int rc = (flags & MLPS_OPEN_READ) && !known ? head_size(store, path, &size, err) : 0;
    if (rc < 0)
        return rc;
    s3_file *f = calloc(1, sizeof *f);
    if (!f)
        return mlps_fail(err, -ENOMEM, "open %s: out of memory", path->uri);
    pthread_mutex_init(&f->lock, NULL);
    f->key = strdup(key);
    rc = mlps_file_init_base(&f->base, store, flags, path, size, err);
    if (rc == 0 && !f->key)
        rc = mlps_fail(err, -ENOMEM, "open %s: out of memory", path->uri);
    if (rc == 0 && (flags & MLPS_OPEN_WRITE))
        rc = mlps_s3_parts_create(store, f->base.uri, f->key, &f->parts, err);
    if (rc < 0) {
        free_file_state(f);
        mlps_file_free(&f->base);
        return rc;
    }
    *out = &f->base;
    return 0;
}

int mlps_s3_file_open(mlps_store *store, const mlps_path *path, int flags, mlps_file **out,
                      mlps_error *err)
{
    return open_object(store, path, flags, NULL, out, err);
}

int mlps_s3_file_open_sized(mlps_store *store, const mlps_path *path, int flags, uint64_t size,
                            mlps_file **out, mlps_error *err)
{
    return open_object(store, path, flags, &size, out, err);
}

/* --- multipart upload --- */

static char *upload_query(const s3_file *f, unsigned part_number)
{
    char *id = mlps_s3_encode(f->upload_id, false);
    char *query = NULL;
    int n = !id ? -1
            : part_number ? asprintf(&query, "partNumber=%u&uploadId=%s", part_number, id)
                          : asprintf(&query, "uploadId=%s", id);
    free(id);
    return n < 0 ? NULL : query;
}

static int start_upload(s3_file *f, mlps_error *err)
{
    mlps_s3_request request = {.op = MLPS_S3_CREATE_MULTIPART_UPLOAD, .method = "POST",
                               .operation = "write (CreateMultipartUpload)",
                               .uri = f->base.uri, .key = f->key, .query = "uploads="};
    mlps_s3_response response;
    int rc = mlps_s3_perform(f->base.store, &request, &response, err);
    if (rc == 0) {
        f->upload_id = mlps_s3_xml_find(response.body.data, response.body.len, "UploadId");
        if (!f->upload_id || !f->upload_id[0])
            rc = mlps_fail(err, -EPROTO, "write %s: CreateMultipartUpload answered no UploadId",
                           f->base.uri);
    }
    mlps_s3_response_free(&response);
    return rc;
}

/* Hands the part buffer off as the next part, starting the upload first when needed. */
static int send_part(s3_file *f, mlps_error *err)
{
    int rc = f->upload_id ? 0 : start_upload(f, err);
    if (rc < 0)
        return rc;
    if (f->parts_sent >= 10000)
        return mlps_fail(err, -EFBIG,
                         "write %s: more than 10000 parts; raise MLPS_S3_PART_SIZE", f->base.uri);
    char *query = upload_query(f, f->parts_sent + 1);
    if (!query)
        return mlps_fail(err, -ENOMEM, "write %s: out of memory", f->base.uri);
    size_t len = unsent(f);
    rc = mlps_s3_parts_send(f->parts, f->parts_sent + 1, query, err);
    if (rc == 0) {
        f->parts_sent++;
        f->uploaded += len;
    }
    return rc;
}

static int completion_document(const s3_file *f, mlps_s3_buffer *doc)
{
    const char *open = "<CompleteMultipartUpload>", *close = "</CompleteMultipartUpload>";
    int rc = mlps_s3_buffer_append(doc, open, strlen(open));
    for (unsigned i = 1; i <= f->parts_sent && rc == 0; i++) {
        char part[256];
        const char *etag = mlps_s3_parts_etag(f->parts, i);
        int n = !etag ? -1
                      : snprintf(part, sizeof part,
                                 "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", i,
                                 etag);
        rc = n < 0 || (size_t)n >= sizeof part ? -EPROTO
                                               : mlps_s3_buffer_append(doc, part, (size_t)n);
    }
    return rc == 0 ? mlps_s3_buffer_append(doc, close, strlen(close)) : rc;
}

static int complete_upload(s3_file *f, mlps_error *err)
{
    mlps_s3_buffer doc = {0};
    char *query = upload_query(f, 0);
    if (!query || completion_document(f, &doc) < 0) {
        free(query);
        mlps_s3_buffer_free(&doc);
        return mlps_fail(err, -ENOMEM, "close %s: out of memory", f->base.uri);
    }
    mlps_s3_request request = {.op = MLPS_S3_COMPLETE_MULTIPART_UPLOAD, .method = "POST",
                               .operation = "close (CompleteMultipartUpload)",
                               .uri = f->base.uri, .key = f->key, .query = query,
                               .body = doc.data, .body_len = doc.len};
    mlps_s3_response response;
    int rc = mlps_s3_perform(f->base.store, &request, &response, err);
    mlps_s3_error_body late; /* S3 may report a failed completion inside a 200 answer */
    if (rc == 0 && mlps_s3_parse_error(response.body.data, response.body.len, &late))
        rc = mlps_fail(err, -EIO, "close %s: CompleteMultipartUpload: %s: %s", f->base.uri,
                       late.code, late.message);
    mlps_s3_response_free(&response);
    mlps_s3_buffer_free(&doc);
    free(query);
    return rc;
}

static void abort_upload(s3_file *f)
{
    if (!f->upload_id)
        return;
    char *query = upload_query(f, 0);
    mlps_error err;
    mlps_error_clear(&err);
    int rc = -ENOMEM;
    long status = 0;
    if (query) {
        mlps_s3_request request = {.op = MLPS_S3_ABORT_MULTIPART_UPLOAD, .method = "DELETE",
                                   .operation = "abort (AbortMultipartUpload)",
                                   .uri = f->base.uri, .key = f->key, .query = query};
        mlps_s3_response response;
        rc = mlps_s3_perform(f->base.store, &request, &response, &err);
        status = response.status;
        mlps_s3_response_free(&response);
    }
    /* A server without AbortMultipartUpload (405, 501) keeps the parts, never an object. */
    if (rc < 0 && (status == 405 || status == 501))
        mlps_debug("%s; the uploaded parts never became an object", err.message);
    else if (rc < 0)
        mlps_warn("%s", query ? err.message : "abort: out of memory");
    free(query);
}

static int put_whole(s3_file *f, mlps_error *err)
{
    mlps_s3_part_buffer *filling = mlps_s3_parts_filling(f->parts);
    mlps_s3_request request = {.op = MLPS_S3_PUT_OBJECT, .method = "PUT",
                               .operation = "close (PutObject)",
                               .uri = f->base.uri, .key = f->key,
                               .body = filling ? filling->data : NULL,
                               .body_len = filling ? filling->len : 0};
    mlps_s3_response response;
    int rc = mlps_s3_perform(f->base.store, &request, &response, err);
    mlps_s3_response_free(&response);
    return rc;
}

static int publish(s3_file *f, mlps_error *err)
{
    if (f->failure.code)
        return mlps_fail(err, f->failure.code, "%s", f->failure.message);
    if (!f->upload_id)
        return put_whole(f, err);
    int rc = unsent(f) > 0 ? send_part(f, err) : 0;
    if (rc == 0)
        rc = mlps_s3_parts_finish(f->parts, err);
    return rc == 0 ? complete_upload(f, err) : rc;
}

int mlps_s3_file_close(mlps_file *file, mlps_error *err)
{
    s3_file *f = s3_file_of(file);
    int rc = 0;
    if (is_writer(file)) {
        rc = publish(f, err);
        if (rc < 0) {
            mlps_s3_parts_free(f->parts); /* nothing may still be in flight when it aborts */
            f->parts = NULL;
            abort_upload(f);
        }
    }
    free_file_state(f);
    return rc;
}

void mlps_s3_file_abort(mlps_file *file)
{
    s3_file *f = s3_file_of(file);
    if (is_writer(file)) {
        mlps_s3_parts_free(f->parts);
        f->parts = NULL;
        abort_upload(f);
    }
    free_file_state(f);
}

int mlps_s3_file_truncate(mlps_file *file, uint64_t size, mlps_error *err)
{
    s3_file *f = s3_file_of(file);
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    if (size < f->uploaded || size > written_end(f))
        rc = mlps_fail(err, -ENOTSUP,
                       "truncate %s to %" PRIu64 " bytes: an object being written can only be "
                       "cut back within its last %zu unsent bytes (%" PRIu64 "..%" PRIu64 ")",
                       file->uri, size, unsent(f), f->uploaded, written_end(f));
    else if (size > f->uploaded)
        mlps_s3_parts_filling(f->parts)->len = (size_t)(size - f->uploaded);
    else if (mlps_s3_parts_filling(f->parts))
        mlps_s3_parts_filling(f->parts)->len = 0;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

int mlps_s3_check_request(const mlps_io_req *req, mlps_error *err)
{
    if (req->op != MLPS_IO_WRITE)
        return 0;
    s3_file *f = s3_file_of(req->file);
    pthread_mutex_lock(&f->lock);
    uint64_t end = written_end(f);
    pthread_mutex_unlock(&f->lock);
    if (req->offset < end)
        return mlps_fail(err, -EINVAL,
                         "write %s at offset %" PRIu64 ": objects are written front to back and "
                         "%" PRIu64 " bytes are already written",
                         req->file->uri, req->offset, end);
    return 0;
}

/* --- requests --- */

/* A whole part buffer at once: in 2 MiB-aligned memory the kernel may back with huge pages, so
 * a run's first touch of its part memory costs hundreds of faults, not hundreds of thousands. */
static char *whole_part_memory(uint64_t part_size)
{
    void *memory = NULL;
    if (posix_memalign(&memory, HUGE_PAGE_BYTES, (size_t)part_size) != 0)
        return NULL;
    (void)madvise(memory, (size_t)part_size, MADV_HUGEPAGE);
    return memory;
}

/* Room for `wanted` bytes. The first part of an object grows by doubling (a small object stays
 * small); once the object is known to be a multipart upload, each further part buffer is
 * allocated whole, without the copies of growing. */
static int grow_part(mlps_s3_part_buffer *part, size_t wanted, uint64_t part_size,
                     bool multipart)
{
    if (wanted <= part->capacity)
        return 0;
    if (multipart && part->len == 0) {
        char *whole = whole_part_memory(part_size);
        if (!whole)
            return -ENOMEM;
        free(part->data);
        *part = (mlps_s3_part_buffer){.data = whole, .capacity = (size_t)part_size};
        return 0;
    }
    size_t capacity = part->capacity ? part->capacity : 64 * 1024;
    while (capacity < wanted)
        capacity *= 2;
    if (capacity > part_size)
        capacity = (size_t)part_size;
    char *grown = realloc(part->data, capacity);
    if (!grown)
        return -ENOMEM;
    part->data = grown;
    part->capacity = capacity;
    return 0;
}

static int64_t append_write(s3_file *f, const mlps_io_req *req)
{
    uint64_t part_size = mlps_s3_of(f->base.store)->config.part_size;
    if (req->offset != written_end(f))
        return mlps_fail(&f->failure, -EINVAL,
                         "write %s at offset %" PRIu64 ": objects are written front to back; the "
                         "next write must start at %" PRIu64,
                         f->base.uri, req->offset, written_end(f));
    size_t done = 0;
    while (done < req->len) {
        mlps_s3_part_buffer *part;
        int rc = mlps_s3_parts_buffer(f->parts, &part, &f->failure);
        if (rc < 0)
            return rc;
        size_t room = (size_t)(part_size - part->len), left = req->len - done;
        size_t take = left < room ? left : room;
        if (grow_part(part, part->len + take, part_size, f->upload_id != NULL) < 0)
            return mlps_fail(&f->failure, -ENOMEM, "write %s: out of memory for a part",
                             f->base.uri);
        memcpy(part->data + part->len, (const char *)req->buf + done, take);
        part->len += take;
        done += take;
        rc = part->len == part_size ? send_part(f, &f->failure) : 0;
        if (rc < 0)
            return rc;
    }
    int rc = mlps_s3_parts_pump(f->parts, &f->failure);
    return rc < 0 ? rc : (int64_t)done;
}

static void execute_write(mlps_io_req *req)
{
    s3_file *f = s3_file_of(req->file);
    pthread_mutex_lock(&f->lock);
    bool failed_before = f->failure.code != 0;
    req->result = failed_before ? f->failure.code : append_write(f, req);
    pthread_mutex_unlock(&f->lock);
}

/* The first failure of a read is kept for mlps_io_req_fail (readers share the file). */
static void remember_failure(s3_file *f, const mlps_error *err)
{
    pthread_mutex_lock(&f->lock);
    if (f->failure.code == 0)
        f->failure = *err;
    pthread_mutex_unlock(&f->lock);
}

bool mlps_s3_file_failure(mlps_file *file, char *out, size_t size)
{
    s3_file *f = s3_file_of(file);
    pthread_mutex_lock(&f->lock);
    bool failed = f->failure.code != 0 && f->failure.message[0];
    if (failed)
        snprintf(out, size, "%s", f->failure.message);
    pthread_mutex_unlock(&f->lock);
    return failed;
}

bool mlps_s3_read_request(mlps_io_req *req, mlps_s3_request *request, char *range,
                          size_t range_size)
{
    uint64_t size = mlps_file_size(req->file);
    if (req->len == 0 || req->offset >= size) {
        req->result = 0; /* end of the object */
        return false;
    }
    uint64_t len = size - req->offset < req->len ? size - req->offset : req->len;
    snprintf(range, range_size, "%" PRIu64 "-%" PRIu64, req->offset, req->offset + len - 1);
    *request = (mlps_s3_request){.op = MLPS_S3_GET_OBJECT, .method = "GET", .operation = "read",
                                 .uri = req->file->uri, .key = s3_file_of(req->file)->key,
                                 .range = range, .into = req->buf, .into_len = (size_t)len};
    return true;
}

void mlps_s3_read_done(mlps_io_req *req, const mlps_s3_request *request,
                       mlps_s3_response *response, int rc, mlps_error *err)
{
    if (rc == 0 && response->status != 206 && req->offset > 0)
        rc = mlps_fail(err, -EPROTO, "read %s: the server ignored the byte range %s (HTTP %ld)",
                       req->file->uri, request->range, response->status);
    if (rc == -ERANGE)
        rc = 0, response->received = 0; /* the object shrank: end of file */
    if (rc < 0)
        remember_failure(s3_file_of(req->file), err);
    req->result = rc < 0 ? rc : (int64_t)response->received;
    mlps_s3_response_free(response);
}

static void execute_read(mlps_io_req *req)
{
    mlps_s3_request request;
    char range[64];
    if (!mlps_s3_read_request(req, &request, range, sizeof range))
        return;
    mlps_s3_response response;
    mlps_error err;
    mlps_error_clear(&err);
    int rc = mlps_s3_perform(req->file->store, &request, &response, &err);
    mlps_s3_read_done(req, &request, &response, rc, &err);
}

void mlps_s3_execute(mlps_io_req *req)
{
    if (req->op == MLPS_IO_WRITE)
        execute_write(req);
    else
        execute_read(req);
}
