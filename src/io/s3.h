/* What the s3:// backend tells beyond the store interface, for the run's results: how many
 * requests it had to try again (connection errors, 5xx, 429, SlowDown), how long each kind of
 * request took, and which endpoint(s) it talks to. */
#ifndef MLPS_IO_S3_H
#define MLPS_IO_S3_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/comm.h"
#include "core/hist.h"
#include "io/store.h"

/* The kinds of S3 request the store makes, each with its own latency histogram. */
typedef enum mlps_s3_op {
    MLPS_S3_GET_OBJECT,                /* a ranged GET of a read */
    MLPS_S3_PUT_OBJECT,                /* an object small enough for one PUT */
    MLPS_S3_CREATE_MULTIPART_UPLOAD,
    MLPS_S3_UPLOAD_PART,
    MLPS_S3_COMPLETE_MULTIPART_UPLOAD,
    MLPS_S3_ABORT_MULTIPART_UPLOAD,
    MLPS_S3_HEAD_OBJECT,               /* stat, and open for reading when the size is not known */
    MLPS_S3_LIST_OBJECTS,              /* one page of ListObjectsV2 */
    MLPS_S3_DELETE_OBJECT,
    MLPS_S3_DELETE_OBJECTS,            /* one multi-object delete of up to 1000 keys */
    MLPS_S3_OP_COUNT
} mlps_s3_op;

/* S3's own name of the operation ("GetObject", "UploadPart" ...), the key it has in summaries. */
const char *mlps_s3_op_name(mlps_s3_op op);

/* Retries made by the store so far; 0 for a store of another scheme. */
uint64_t mlps_store_s3_retries(const mlps_store *store);

/* The most requests the store had in flight at once so far (all its queues, uploads and
 * synchronous requests), and the most part uploads any one object being written had in flight;
 * 0 for a store of another scheme. */
uint32_t mlps_store_s3_peak_in_flight(const mlps_store *store);
uint32_t mlps_store_s3_peak_parts_in_flight(const mlps_store *store);

/* The memory an object being written holds at most in part buffers: parts in flight x part
 * size (MLPS_S3_PARTS_IN_FLIGHT x MLPS_S3_PART_SIZE); 0 for a store of another scheme. */
uint64_t mlps_store_s3_part_buffer_bytes(const mlps_store *store);

/* A copy of the latency histogram (nanoseconds) of one kind of request made by this process's
 * store so far: one sample per request from its first attempt to its end, retries and their
 * backoff included, whether it succeeded or not. Empty for a store of another scheme. */
void mlps_store_s3_request_latency(const mlps_store *store, mlps_s3_op op, mlps_hist *out);
/* Requests of that kind that finally failed (after their retries); 0 for another scheme. */
uint64_t mlps_store_s3_request_failures(const mlps_store *store, mlps_s3_op op);

/* Collective: merges every kind's histogram and failure count over the ranks; on rank 0, *out
 * is a new object with one member per kind of request made anywhere, named as
 * mlps_s3_op_name, each {"count", "failed", "min_ms", "mean_ms", "max_ms", "p50_ms", "p90_ms",
 * "p95_ms", "p99_ms", "p99_9_ms", "p99_99_ms"}; on the other ranks *out is NULL. Every rank
 * passes its store (of any scheme: one not s3:// contributes nothing). */
int mlps_store_s3_requests_reduce(const mlps_comm *comm, const mlps_store *store, json_t **out,
                                  mlps_error *err);

/* The endpoint this process's rank is assigned (rank mod the number of endpoints; with
 * round_robin or least_connections, where its requests start); NULL for another scheme. */
const char *mlps_store_s3_endpoint(const mlps_store *store);
/* How many endpoints the store spreads over (0 for another scheme), and how:
 * "rank", "round_robin" or "least_connections" (NULL for another scheme). */
size_t mlps_store_s3_endpoint_count(const mlps_store *store);
const char *mlps_store_s3_balance(const mlps_store *store);

/* Collective: on rank 0, *out is a new array whose element r is rank r's endpoint (with
 * round_robin or least_connections, its comma-separated list), null for a rank whose store is
 * not s3://; on the other ranks *out is NULL. */
int mlps_store_s3_endpoints_gather(const mlps_comm *comm, const mlps_store *store, json_t **out,
                                   mlps_error *err);

#endif
