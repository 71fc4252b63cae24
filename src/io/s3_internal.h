/* Inside the s3:// backend: its configuration (s3_config.c), one signed HTTP request with
 * retries (s3_http.c), the XML bodies S3 answers with (s3_xml.c), the store's operations (s3.c)
 * and its files (s3_file.c). Not for use outside src/io/. */
#ifndef MLPS_IO_S3_INTERNAL_H
#define MLPS_IO_S3_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "io/backend.h"
#include "io/dotenv.h"
#include "io/s3.h"

/* S3 refuses multipart parts below 5 MiB, except the last. */
#define MLPS_S3_MIN_PART_SIZE (5ull << 20)
#define MLPS_S3_DEFAULT_PART_SIZE (32ull << 20)
#define MLPS_S3_DEFAULT_MAX_ATTEMPTS 5u

/* How requests spread over several endpoints (s3_endpoints.c). */
typedef enum mlps_s3_balance {
    MLPS_S3_BALANCE_BY_RANK,           /* every request of rank r to endpoint r mod n */
    MLPS_S3_BALANCE_ROUND_ROBIN,       /* each request to the next endpoint */
    MLPS_S3_BALANCE_LEAST_CONNECTIONS, /* each request to the least busy endpoint */
} mlps_s3_balance;

typedef struct mlps_s3_config {
    char **endpoints;  /* "http://127.0.0.1:9000", no trailing slash; at least one */
    size_t endpoint_count;
    mlps_s3_balance balance;
    unsigned long rank; /* of this process, 0 when unknown */
    const char *endpoint; /* this rank's: endpoints[rank % endpoint_count] */
    char *region;      /* "us-east-1" */
    char *credentials; /* "key:secret" for curl; never printed */
    char *sigv4;       /* "aws:amz:<region>:s3" */
    char *ca_bundle;   /* NULL: the system's */
    bool insecure;     /* no TLS verification (self-signed test endpoints) */
    bool virtual_host; /* bucket.host/key instead of host/bucket/key */
    unsigned max_attempts;
    uint64_t part_size;
    uint64_t backoff_base_ns;
    uint64_t backoff_cap_ns;
} mlps_s3_config;

/* Reads the AWS_*, S3_* and MLPS_S3_* variables of the environment or, for those it does not set,
 * of the .env file, with the store's options (opts may be NULL) taking precedence; usage errors
 * name the variable or the option. */
int mlps_s3_config_load(mlps_s3_config *config, const mlps_store_options *opts,
                        mlps_error *err);
void mlps_s3_config_free(mlps_s3_config *config);

/* s3_endpoints.c: each appends to config->endpoints; source names the variable in messages. */
int mlps_s3_endpoints_from_list(mlps_s3_config *config, const char *list, const char *source,
                                mlps_error *err);
int mlps_s3_endpoints_from_template(mlps_s3_config *config, const char *template,
                                    const char *source, mlps_error *err);
int mlps_s3_endpoints_from_file(mlps_s3_config *config, const char *path, const char *source,
                                mlps_error *err);
/* The endpoint list by precedence (option endpoint_url, S3_ENDPOINT_URIS, S3_ENDPOINT_TEMPLATE,
 * S3_ENDPOINT_FILE, AWS_ENDPOINT_URL, AWS's own for the region; config->region must be set),
 * the strategy (S3_LOAD_BALANCE_STRATEGY) and this rank's endpoint (the option's rank, else
 * OMPI_COMM_WORLD_RANK, PMI_RANK, MV2_COMM_WORLD_RANK, SLURM_PROCID, else 0 with a warning). */
int mlps_s3_endpoints_load(mlps_s3_config *config, const mlps_store_options *opts,
                           const mlps_dotenv *env, mlps_error *err);

/* CURL easy handles kept for reuse, so each thread keeps its connection alive. */
typedef struct mlps_s3_handles {
    pthread_mutex_t lock;
    void **idle; /* CURL * */
    size_t count, capacity;
} mlps_s3_handles;

/* One kind of request's latencies; threads share the store, so a lock guards it (a request
 * costs a network round trip, far more than taking the lock). */
typedef struct mlps_s3_latency {
    pthread_mutex_t lock;
    mlps_hist hist; /* nanoseconds */
    uint64_t failures;
} mlps_s3_latency;

typedef struct mlps_s3_store {
    mlps_s3_config config;
    char *bucket;
    char *prefix; /* key prefix of the root, "" or ending without '/' */
    mlps_s3_handles handles;
    _Atomic uint64_t retries;
    _Atomic uint64_t next_endpoint; /* round_robin */
    _Atomic uint32_t *in_flight;     /* least_connections: requests per endpoint */
    mlps_s3_latency *latency;        /* MLPS_S3_OP_COUNT of them */
} mlps_s3_store;

static inline mlps_s3_store *mlps_s3_of(const mlps_store *store)
{
    return (mlps_s3_store *)store->impl;
}

/* A growable byte buffer for response bodies and request documents. */
typedef struct mlps_s3_buffer {
    char *data;
    size_t len, capacity;
} mlps_s3_buffer;

int mlps_s3_buffer_append(mlps_s3_buffer *buffer, const void *data, size_t len);
void mlps_s3_buffer_free(mlps_s3_buffer *buffer);

typedef struct mlps_s3_request {
    mlps_s3_op op;         /* the histogram its latency goes to */
    const char *method;    /* GET, HEAD, PUT, POST, DELETE */
    const char *operation; /* for messages: "read", "stat", "UploadPart" ... */
    const char *uri;       /* for messages: s3://bucket/key */
    const char *key;       /* object key, "" for the bucket */
    const char *query;     /* canonical (sorted, encoded) query string or NULL */
    const char *range;     /* "a-b" or NULL */
    const void *body;      /* PUT/POST payload */
    size_t body_len;
    const char *content_md5; /* base64 MD5 of the body, sent as Content-MD5, or NULL */
    void *into;            /* GET: the caller's buffer for the body, else a response buffer */
    size_t into_len;
} mlps_s3_request;

typedef struct mlps_s3_response {
    long status;
    uint64_t content_length; /* from the header, MLPS_SIZE_UNKNOWN if none */
    size_t received;         /* bytes written into request->into */
    mlps_s3_buffer body;     /* the body when request->into is NULL (XML) */
    char etag[128];
} mlps_s3_response;

/* Performs the request, retrying connection errors, 5xx, 429 and SlowDown with capped
 * exponential backoff and jitter. Returns 0 for a 2xx answer. A final failure returns a negative
 * code with "<operation> <uri>: <S3 code>: <message>" in err, and leaves the response filled
 * (status 404 gives -ENOENT). Free the response with mlps_s3_response_free either way. */
int mlps_s3_perform(mlps_store *store, const mlps_s3_request *request,
                    mlps_s3_response *response, mlps_error *err);
void mlps_s3_response_free(mlps_s3_response *response);

/* Adds one request's latency to the store's histogram of its kind. */
void mlps_s3_latency_record(mlps_s3_store *s3, mlps_s3_op op, uint64_t ns, bool failed);

/* The endpoint index the next request goes to (and, for least_connections, counts in flight
 * until mlps_s3_endpoint_done). */
size_t mlps_s3_endpoint_pick(mlps_s3_store *s3);
void mlps_s3_endpoint_done(mlps_s3_store *s3, size_t index);

/* "a%2Fb" style percent-encoding of everything but unreserved characters (and '/' when
 * keep_slash). Returns a malloc'd string or NULL. */
char *mlps_s3_encode(const char *text, bool keep_slash);

/* s3_xml.c */
typedef struct mlps_s3_error_body {
    char code[64];
    char message[256];
} mlps_s3_error_body;

/* Reads <Error><Code>..</Code><Message>..</Message></Error>; false if the body is none. */
bool mlps_s3_parse_error(const char *xml, size_t len, mlps_s3_error_body *out);
/* The text of the first element named name anywhere in the document, malloc'd, or NULL. */
char *mlps_s3_xml_find(const char *xml, size_t len, const char *name);

/* One page of ListObjectsV2: objects and common prefixes with the prefix stripped. */
typedef int (*mlps_s3_list_entry)(const char *key_or_prefix, uint64_t size, bool is_prefix,
                                  void *arg);
/* Visits every entry of a page and sets *next_token (malloc'd) when the listing continues.
 * Returns 0, the visitor's non-zero result, or -EPROTO when the page cannot be read. */
int mlps_s3_parse_list_page(const char *xml, size_t len, mlps_s3_list_entry visit, void *arg,
                            char **next_token);

/* One <Error> of a DeleteObjects answer: the key that was not deleted and why. */
typedef int (*mlps_s3_delete_error)(const char *key, const mlps_s3_error_body *why, void *arg);
/* Visits every <Error> of a <DeleteResult>. Returns 0, the visitor's non-zero result, or
 * -EPROTO when the document is not a DeleteResult. */
int mlps_s3_parse_delete_result(const char *xml, size_t len, mlps_s3_delete_error visit,
                                void *arg);

/* s3_delete.c: DeleteObjects for up to MLPS_STORE_REMOVE_BATCH paths (the remove_many op). */
int mlps_s3_remove_many(mlps_store *store, const mlps_path *paths, size_t count,
                        uint64_t *removed, mlps_error *err);

/* s3_file.c */
int mlps_s3_file_open(mlps_store *store, const mlps_path *path, int flags, mlps_file **out,
                      mlps_error *err);
int mlps_s3_file_open_sized(mlps_store *store, const mlps_path *path, int flags, uint64_t size,
                            mlps_file **out, mlps_error *err);
int mlps_s3_file_close(mlps_file *file, mlps_error *err);
void mlps_s3_file_abort(mlps_file *file);
int mlps_s3_file_truncate(mlps_file *file, uint64_t size, mlps_error *err);
int mlps_s3_check_request(const mlps_io_req *req, mlps_error *err);
void mlps_s3_execute(mlps_io_req *req);

/* s3.c: the key of a resolved path ("bucket/a/b" -> "a/b"). */
const char *mlps_s3_key_of(const mlps_path *path);

#endif
