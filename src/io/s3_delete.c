/* Removing many objects with one request: S3's DeleteObjects (POST /bucket?delete) takes up to
 * 1000 keys in an XML document and answers, in quiet mode, only with the keys it could not
 * delete. S3 insists on an integrity header for this request, so the document goes with its
 * Content-MD5. A whole request that fails is retried like any other (s3_http.c); a key that
 * fails inside a successful answer is reported by name with S3's code and message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "io/s3_internal.h"

/* Appends text with the characters XML gives a meaning escaped. */
static int append_escaped(mlps_s3_buffer *doc, const char *text)
{
    int rc = 0;
    for (const char *c = text; *c && rc == 0; c++) {
        const char *entity = *c == '&'    ? "&amp;"
                             : *c == '<'  ? "&lt;"
                             : *c == '>'  ? "&gt;"
                             : *c == '"'  ? "&quot;"
                             : *c == '\'' ? "&apos;"
                             : *c == '\r' ? "&#13;" /* a parser would turn a bare CR into LF */
                                          : NULL;
        rc = entity ? mlps_s3_buffer_append(doc, entity, strlen(entity))
                    : mlps_s3_buffer_append(doc, c, 1);
    }
    return rc;
}

static int append_text(mlps_s3_buffer *doc, const char *text)
{
    return mlps_s3_buffer_append(doc, text, strlen(text));
}

/* The keys of the non-empty paths (the bucket itself is never deleted); *keys counts them. */
static int delete_document(const mlps_path *paths, size_t count, mlps_s3_buffer *doc,
                           size_t *keys)
{
    *keys = 0;
    int rc = append_text(doc, "<Delete><Quiet>true</Quiet>");
    for (size_t i = 0; i < count && rc == 0; i++) {
        const char *key = mlps_s3_key_of(&paths[i]);
        if (!key[0])
            continue;
        (*keys)++;
        rc = append_text(doc, "<Object><Key>");
        if (rc == 0)
            rc = append_escaped(doc, key);
        if (rc == 0)
            rc = append_text(doc, "</Key></Object>");
    }
    return rc == 0 ? append_text(doc, "</Delete>") : rc;
}

/* Base64 of the document's MD5 into out (at least 25 bytes). */
static int content_md5(const mlps_s3_buffer *doc, char *out)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_Digest(doc->data, doc->len, digest, &digest_len, EVP_md5(), NULL) != 1 ||
        digest_len != 16)
        return -EIO;
    EVP_EncodeBlock((unsigned char *)out, digest, (int)digest_len);
    return 0;
}

/* What the answer's <Error> elements come to. */
typedef struct delete_failures {
    const mlps_path *paths;
    size_t count;
    const char *bucket;
    uint64_t not_deleted;
    int first_code; /* 0 until a key failed for a reason other than being absent */
    mlps_error *err;
} delete_failures;

static const char *uri_of_key(const delete_failures *f, const char *key)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(mlps_s3_key_of(&f->paths[i]), key) == 0)
            return f->paths[i].uri;
    return NULL;
}

static int on_delete_error(const char *key, const mlps_s3_error_body *why, void *arg)
{
    delete_failures *f = arg;
    if (strcmp(why->code, "NoSuchKey") == 0)
        return 0; /* an absent key is no failure and counts as removed (store.h) */
    f->not_deleted++;
    if (f->first_code)
        return 0; /* the first real failure is the one reported */
    f->first_code = strcmp(why->code, "AccessDenied") == 0 ? -EACCES : -EIO;
    const char *uri = uri_of_key(f, key);
    if (uri)
        mlps_fail(f->err, f->first_code, "remove %s: %s: %s (DeleteObjects)", uri, why->code,
                  why->message);
    else
        mlps_fail(f->err, f->first_code, "remove s3://%s/%s: %s: %s (DeleteObjects)", f->bucket,
                  key, why->code, why->message);
    return 0;
}

static int read_answer(const mlps_store *store, const mlps_path *paths, size_t count,
                       const mlps_s3_response *response, size_t keys, uint64_t *removed,
                       mlps_error *err)
{
    delete_failures failures = {.paths = paths, .count = count,
                                .bucket = mlps_s3_of(store)->bucket, .err = err};
    int rc = response->body.len == 0
                 ? 0 /* nothing to report: every key went */
                 : mlps_s3_parse_delete_result(response->body.data, response->body.len,
                                               on_delete_error, &failures);
    if (rc < 0)
        return mlps_fail(err, rc, "remove %zu objects in %s: the DeleteObjects answer cannot "
                                  "be read (not a DeleteResult)",
                         keys, store->uri);
    *removed += keys - failures.not_deleted;
    return failures.first_code;
}

int mlps_s3_remove_many(mlps_store *store, const mlps_path *paths, size_t count,
                        uint64_t *removed, mlps_error *err)
{
    mlps_s3_buffer doc = {0};
    size_t keys = 0;
    char md5[32];
    if (delete_document(paths, count, &doc, &keys) < 0) {
        mlps_s3_buffer_free(&doc);
        return mlps_fail(err, -ENOMEM, "remove %zu objects in %s: out of memory", count,
                         store->uri);
    }
    if (content_md5(&doc, md5) < 0) {
        mlps_s3_buffer_free(&doc);
        return mlps_fail(err, -ENOSYS, "remove %zu objects in %s: cannot compute the "
                         "Content-MD5 DeleteObjects requires (MD5 unavailable in this OpenSSL, "
                         "e.g. in FIPS mode?)", count, store->uri);
    }
    int rc = 0;
    if (keys > 0) {
        mlps_s3_request request = {.op = MLPS_S3_DELETE_OBJECTS, .method = "POST",
                                   .operation = "remove (DeleteObjects)", .uri = store->uri,
                                   .key = "", .query = "delete=", .body = doc.data,
                                   .body_len = doc.len, .content_md5 = md5};
        mlps_s3_response response;
        rc = mlps_s3_perform(store, &request, &response, err);
        if (rc == 0)
            rc = read_answer(store, paths, count, &response, keys, removed, err);
        mlps_s3_response_free(&response);
    }
    mlps_s3_buffer_free(&doc);
    return rc;
}
