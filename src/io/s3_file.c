/* Files of the s3:// backend. A file open for reading learns its size with a HEAD (unless the
 * caller gave it, mlps_file_open_sized) and reads with ranged GETs. A file open for writing takes sequential writes (each starts where the last ended)
 * into a part buffer: the first full part starts a multipart upload and goes up as part 1, the
 * next as part 2, and so on; close uploads the rest and completes the upload, or, when the object
 * never filled a part, stores it with a single PUT. Nothing is visible under the key before close
 * succeeds, so every write is atomic; abort (or any failure) aborts the multipart upload.
 * A request's own failure reaches the caller as -errno; its S3 code and message are logged, and a
 * failed write's message is returned again by close. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "io/s3_internal.h"

typedef struct s3_file {
    mlps_file base;
    pthread_mutex_t lock; /* several queues may share a file */
    char *key;
    /* writing */
    char *part;
    size_t part_len, part_capacity;
    uint64_t uploaded; /* bytes in completed parts */
    char *upload_id;   /* NULL until the first part goes up */
    char **etags;
    unsigned parts, etags_capacity;
    mlps_error failure; /* the first failed write, returned again by close */
} s3_file;

static s3_file *s3_file_of(const mlps_file *file) { return (s3_file *)file; }

static bool is_writer(const mlps_file *file) { return file->flags & MLPS_OPEN_WRITE; }

static uint64_t written_end(const s3_file *f) { return f->uploaded + f->part_len; }

static void free_file_state(s3_file *f)
{
    free(f->key);
    free(f->part);
    free(f->upload_id);
    for (unsigned i = 0; i < f->parts; i++)
        free(f->etags[i]);
    free(f->etags);
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

static int remember_etag(s3_file *f, const char *etag, mlps_error *err)
{
    if (f->parts == f->etags_capacity) {
        unsigned capacity = f->etags_capacity ? 2 * f->etags_capacity : 16;
        char **grown = realloc(f->etags, capacity * sizeof *grown);
        if (!grown)
            return mlps_fail(err, -ENOMEM, "write %s: out of memory", f->base.uri);
        f->etags = grown;
        f->etags_capacity = capacity;
    }
    if (!(f->etags[f->parts] = strdup(etag)))
        return mlps_fail(err, -ENOMEM, "write %s: out of memory", f->base.uri);
    f->parts++;
    return 0;
}

/* Sends the part buffer as the next part, starting the upload first when needed. */
static int upload_part(s3_file *f, mlps_error *err)
{
    int rc = f->upload_id ? 0 : start_upload(f, err);
    if (rc < 0)
        return rc;
    if (f->parts >= 10000)
        return mlps_fail(err, -EFBIG,
                         "write %s: more than 10000 parts; raise MLPS_S3_PART_SIZE", f->base.uri);
    char *query = upload_query(f, f->parts + 1);
    if (!query)
        return mlps_fail(err, -ENOMEM, "write %s: out of memory", f->base.uri);
    mlps_s3_request request = {.op = MLPS_S3_UPLOAD_PART, .method = "PUT",
                               .operation = "write (UploadPart)",
                               .uri = f->base.uri, .key = f->key, .query = query,
                               .body = f->part, .body_len = f->part_len};
    mlps_s3_response response;
    rc = mlps_s3_perform(f->base.store, &request, &response, err);
    if (rc == 0 && !response.etag[0])
        rc = mlps_fail(err, -EPROTO, "write %s: UploadPart %u answered no ETag", f->base.uri,
                       f->parts + 1);
    if (rc == 0)
        rc = remember_etag(f, response.etag, err);
    mlps_s3_response_free(&response);
    free(query);
    if (rc == 0) {
        f->uploaded += f->part_len;
        f->part_len = 0;
    }
    return rc;
}

static int completion_document(const s3_file *f, mlps_s3_buffer *doc)
{
    const char *open = "<CompleteMultipartUpload>", *close = "</CompleteMultipartUpload>";
    int rc = mlps_s3_buffer_append(doc, open, strlen(open));
    for (unsigned i = 0; i < f->parts && rc == 0; i++) {
        char part[256];
        int n = snprintf(part, sizeof part,
                         "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", i + 1,
                         f->etags[i]);
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
    mlps_s3_request request = {.op = MLPS_S3_PUT_OBJECT, .method = "PUT",
                               .operation = "close (PutObject)",
                               .uri = f->base.uri, .key = f->key, .body = f->part,
                               .body_len = f->part_len};
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
    int rc = f->part_len > 0 ? upload_part(f, err) : 0;
    return rc == 0 ? complete_upload(f, err) : rc;
}

int mlps_s3_file_close(mlps_file *file, mlps_error *err)
{
    s3_file *f = s3_file_of(file);
    int rc = 0;
    if (is_writer(file)) {
        rc = publish(f, err);
        if (rc < 0)
            abort_upload(f);
    }
    free_file_state(f);
    return rc;
}

void mlps_s3_file_abort(mlps_file *file)
{
    s3_file *f = s3_file_of(file);
    if (is_writer(file))
        abort_upload(f);
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
                       file->uri, size, f->part_len, f->uploaded, written_end(f));
    else
        f->part_len = (size_t)(size - f->uploaded);
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

static int grow_part(s3_file *f, size_t wanted, uint64_t part_size)
{
    if (wanted <= f->part_capacity)
        return 0;
    size_t capacity = f->part_capacity ? f->part_capacity : 64 * 1024;
    while (capacity < wanted)
        capacity *= 2;
    if (capacity > part_size)
        capacity = (size_t)part_size;
    char *grown = realloc(f->part, capacity);
    if (!grown)
        return -ENOMEM;
    f->part = grown;
    f->part_capacity = capacity;
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
        size_t room = (size_t)(part_size - f->part_len), left = req->len - done;
        size_t take = left < room ? left : room;
        if (grow_part(f, f->part_len + take, part_size) < 0)
            return mlps_fail(&f->failure, -ENOMEM, "write %s: out of memory for a part",
                             f->base.uri);
        memcpy(f->part + f->part_len, (const char *)req->buf + done, take);
        f->part_len += take;
        done += take;
        int rc = f->part_len == part_size ? upload_part(f, &f->failure) : 0;
        if (rc < 0)
            return rc;
    }
    return (int64_t)done;
}

static void execute_write(mlps_io_req *req)
{
    s3_file *f = s3_file_of(req->file);
    pthread_mutex_lock(&f->lock);
    bool failed_before = f->failure.code != 0;
    req->result = failed_before ? f->failure.code : append_write(f, req);
    if (req->result < 0 && !failed_before)
        mlps_warn("%s", f->failure.message);
    pthread_mutex_unlock(&f->lock);
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
        mlps_warn("%s", err->message);
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
