/* Inside the s3:// backend: its configuration (s3_config.c), one signed HTTP request with
 * retries (s3_http.c), the XML bodies S3 answers with (s3_xml.c), the store's operations (s3.c)
 * and its files (s3_file.c). Not for use outside src/io/. */
#ifndef MLPS_IO_S3_INTERNAL_H
#define MLPS_IO_S3_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <curl/curl.h>

#include "io/backend.h"
#include "io/dotenv.h"
#include "io/s3.h"

/* S3 refuses multipart parts below 5 MiB, except the last. */
#define MLPS_S3_MIN_PART_SIZE (5ull << 20)
#define MLPS_S3_DEFAULT_PART_SIZE (32ull << 20)
#define MLPS_S3_DEFAULT_MAX_ATTEMPTS 5u
#define MLPS_S3_DEFAULT_MAX_CONCURRENCY 64u

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
    char *session_token_header; /* "x-amz-security-token: ..." or NULL; never printed */
    char *sigv4;       /* "aws:amz:<region>:s3" */
    char *ca_bundle;   /* NULL: the system's */
    bool insecure;     /* no TLS verification (self-signed test endpoints) */
    bool virtual_host; /* bucket.host/key instead of host/bucket/key */
    unsigned max_attempts;
    uint64_t part_size;
    uint64_t backoff_base_ns;
    uint64_t backoff_cap_ns;
    unsigned max_concurrency; /* requests in flight per store, on the multi engines */
    unsigned parts_in_flight; /* multipart uploads in flight per object being written */
    bool sync_engine;         /* MLPS_S3_ENGINE=sync: queues run one request at a time */
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
    mlps_s3_handles multis;          /* idle CURLM *, each with its connection cache */
    mlps_s3_handles part_buffers;    /* idle full-size part buffers (char *), reused */
    _Atomic uint32_t requests_in_flight;
    _Atomic uint32_t peak_in_flight;
    _Atomic uint32_t peak_parts_in_flight; /* the most any one object had */
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

/* One request's life in steps, so mlps_s3_perform (one request, sleeping between attempts) and
 * the multi engines (many requests on a CURLM, s3_multi.c and s3_file.c) share the URL, the
 * signing, the callbacks and the retry policy. begin picks the endpoint and an easy handle;
 * prepare sets the handle up for the next attempt (its CURLOPT_PRIVATE is the call); the caller
 * runs the transfer; finish classifies curl's result and the answer: 0 done, MLPS_S3_CALL_RETRY
 * (try again from prepare at retry_at_ns, the retry counted) or a final failure's negative code
 * with the message in err. Once finish returns anything but a retry, the call has ended: its
 * latency is recorded, the handle and the endpoint are given back and the response stays filled.
 * A call must not move in memory between prepare and the end of the transfer. */
#define MLPS_S3_CALL_RETRY 1

typedef struct mlps_s3_call {
    mlps_store *store;
    const mlps_s3_request *request;
    mlps_s3_response *response;
    CURL *handle;
    char *url;
    size_t endpoint;
    struct curl_slist *headers;
    size_t sent;          /* of the request's body, this attempt */
    unsigned attempt;     /* attempts prepared so far */
    uint64_t started_ns;  /* monotonic, at begin */
    uint64_t retry_at_ns; /* after MLPS_S3_CALL_RETRY: when the next attempt is due */
    uint64_t seed;        /* the backoff's jitter */
} mlps_s3_call;

int mlps_s3_call_begin(mlps_s3_call *call, mlps_store *store, const mlps_s3_request *request,
                       mlps_s3_response *response, mlps_error *err);
/* CURLE_OK, or CURLE_OUT_OF_MEMORY to be passed to finish as the attempt's result. */
CURLcode mlps_s3_call_prepare(mlps_s3_call *call);
int mlps_s3_call_finish(mlps_s3_call *call, CURLcode rc, mlps_error *err);
/* Ends a call that will not be finished (its transfer removed from its CURLM first). */
void mlps_s3_call_cancel(mlps_s3_call *call);

/* A store's pool of idle curl handles (easy or multi); give returns false when it cannot keep
 * the handle (out of memory), which the caller then frees. */
void *mlps_s3_pool_take(mlps_s3_handles *pool);
bool mlps_s3_pool_give(mlps_s3_handles *pool, void *handle);

/* The store's count of requests in flight: admit counts one more, refusing when bounded and
 * max_concurrency are in flight already; leave counts one less. The peak is kept for the report. */
bool mlps_s3_admit(mlps_s3_store *s3, bool bounded);
void mlps_s3_leave(mlps_s3_store *s3);
void mlps_s3_raise_peak(_Atomic uint32_t *peak, uint32_t value);

/* s3_multi.c: a CURLM from the store's pool (set up for the store's bound) and back. */
CURLM *mlps_s3_multi_take(mlps_s3_store *s3);
void mlps_s3_multi_give(mlps_s3_store *s3, CURLM *multi);
/* Takes the next finished transfer off multi (NULL: none) and finishes its call: true with
 * *call and *rc (0, MLPS_S3_CALL_RETRY, or a failure described in err) set; false when no
 * transfer has finished. */
bool mlps_s3_multi_next_finished(CURLM *multi, mlps_s3_store *s3, mlps_s3_call **call, int *rc,
                                 mlps_error *err);
/* The queue engine "s3-multi", or the synchronous one with MLPS_S3_ENGINE=sync. */
int mlps_s3_ioq_init(mlps_ioq *q, mlps_error *err);

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

/* s3_parts.c: the part uploads of one object being written, up to config.parts_in_flight at
 * once, each slot with its own buffer (the top comment of s3_parts.c tells how they move). uri
 * and key are the file's and must outlive the set. Every call after a part failed for good
 * returns that failure again. */
typedef struct mlps_s3_part_buffer {
    char *data;
    size_t len, capacity;
} mlps_s3_part_buffer;

typedef struct mlps_s3_parts mlps_s3_parts;

int mlps_s3_parts_create(mlps_store *store, const char *uri, const char *key,
                         mlps_s3_parts **out, mlps_error *err);
/* The buffer being filled, taking a free slot (waiting for one when all are in flight) when
 * none is; *out is NULL on failure. */
int mlps_s3_parts_buffer(mlps_s3_parts *parts, mlps_s3_part_buffer **out, mlps_error *err);
/* The buffer being filled, or NULL when none is (nothing written since the last part). */
mlps_s3_part_buffer *mlps_s3_parts_filling(mlps_s3_parts *parts);
/* Hands the buffer being filled off as part `number` of the upload whose query (malloc'd,
 * "partNumber=..&uploadId=..") the set takes over. */
int mlps_s3_parts_send(mlps_s3_parts *parts, unsigned number, char *query, mlps_error *err);
/* Moves the uploads in flight without waiting. */
int mlps_s3_parts_pump(mlps_s3_parts *parts, mlps_error *err);
/* Waits for every part in flight; 0 when all are up. */
int mlps_s3_parts_finish(mlps_s3_parts *parts, mlps_error *err);
/* The highest part number sent, and a part's ETag once it is up (else NULL). */
unsigned mlps_s3_parts_count(const mlps_s3_parts *parts);
const char *mlps_s3_parts_etag(const mlps_s3_parts *parts, unsigned number);
/* Cancels what is in flight and frees the set (NULL is fine). */
void mlps_s3_parts_free(mlps_s3_parts *parts);

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
bool mlps_s3_file_failure(mlps_file *file, char *out, size_t size);
int mlps_s3_file_truncate(mlps_file *file, uint64_t size, mlps_error *err);
int mlps_s3_check_request(const mlps_io_req *req, mlps_error *err);
void mlps_s3_execute(mlps_io_req *req);
/* A read's ranged GET: false (result 0 set) when the read starts at or past the end; range
 * (range_size bytes, the request points into it) receives "a-b". read_done sets the result from
 * the request's outcome rc (a final failure's message in err is logged) and frees the response. */
bool mlps_s3_read_request(mlps_io_req *req, mlps_s3_request *request, char *range,
                          size_t range_size);
void mlps_s3_read_done(mlps_io_req *req, const mlps_s3_request *request,
                       mlps_s3_response *response, int rc, mlps_error *err);

/* s3.c: the key of a resolved path ("bucket/a/b" -> "a/b"). */
const char *mlps_s3_key_of(const mlps_path *path);

#endif
