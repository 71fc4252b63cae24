/* What the s3:// store tells the run's summary: which endpoint each rank talked to (with several
 * endpoints, S3_ENDPOINT_URIS ..., the spread of ranks over them is part of what was measured)
 * and how long each kind of S3 request took, merged over the ranks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hist_reduce.h"
#include "io/s3.h"
#include "io/s3_internal.h"

static bool is_s3(const mlps_store *store)
{
    return store && strcmp(mlps_store_scheme(store), "s3") == 0;
}

/* This rank's entry: its endpoint, or with round_robin / least_connections every endpoint its
 * requests went to, comma-separated. NULL for another scheme. */
static json_t *own_entry(const mlps_store *store)
{
    if (!is_s3(store))
        return NULL;
    const mlps_s3_config *config = &mlps_s3_of(store)->config;
    if (config->balance == MLPS_S3_BALANCE_BY_RANK || config->endpoint_count == 1)
        return json_string(config->endpoint);
    size_t length = 1;
    for (size_t i = 0; i < config->endpoint_count; i++)
        length += strlen(config->endpoints[i]) + 1;
    char *joined = calloc(1, length);
    if (!joined)
        return NULL;
    for (size_t i = 0; i < config->endpoint_count; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, config->endpoints[i]);
    }
    json_t *entry = json_string(joined);
    free(joined);
    return entry;
}

int mlps_store_s3_endpoints_gather(const mlps_comm *comm, const mlps_store *store, json_t **out,
                                   mlps_error *err)
{
    json_t *own = own_entry(store);
    int rc = mlps_comm_gather_json(comm, own, out, err);
    json_decref(own);
    return rc;
}

/* --- request latencies --- */

const char *mlps_s3_op_name(mlps_s3_op op)
{
    static const char *const names[MLPS_S3_OP_COUNT] = {
        [MLPS_S3_GET_OBJECT] = "GetObject",
        [MLPS_S3_PUT_OBJECT] = "PutObject",
        [MLPS_S3_CREATE_MULTIPART_UPLOAD] = "CreateMultipartUpload",
        [MLPS_S3_UPLOAD_PART] = "UploadPart",
        [MLPS_S3_COMPLETE_MULTIPART_UPLOAD] = "CompleteMultipartUpload",
        [MLPS_S3_ABORT_MULTIPART_UPLOAD] = "AbortMultipartUpload",
        [MLPS_S3_HEAD_OBJECT] = "HeadObject",
        [MLPS_S3_LIST_OBJECTS] = "ListObjectsV2",
        [MLPS_S3_DELETE_OBJECT] = "DeleteObject",
        [MLPS_S3_DELETE_OBJECTS] = "DeleteObjects",
    };
    return (unsigned)op < MLPS_S3_OP_COUNT ? names[op] : "unknown";
}

void mlps_s3_latency_record(mlps_s3_store *s3, mlps_s3_op op, uint64_t ns, bool failed)
{
    if ((unsigned)op >= MLPS_S3_OP_COUNT)
        return;
    mlps_s3_latency *latency = &s3->latency[op];
    pthread_mutex_lock(&latency->lock);
    mlps_hist_record(&latency->hist, ns);
    latency->failures += failed;
    pthread_mutex_unlock(&latency->lock);
}

void mlps_store_s3_request_latency(const mlps_store *store, mlps_s3_op op, mlps_hist *out)
{
    mlps_hist_init(out);
    if (!is_s3(store) || (unsigned)op >= MLPS_S3_OP_COUNT)
        return;
    mlps_s3_latency *latency = &mlps_s3_of(store)->latency[op];
    pthread_mutex_lock(&latency->lock);
    *out = latency->hist;
    pthread_mutex_unlock(&latency->lock);
}

uint64_t mlps_store_s3_request_failures(const mlps_store *store, mlps_s3_op op)
{
    if (!is_s3(store) || (unsigned)op >= MLPS_S3_OP_COUNT)
        return 0;
    mlps_s3_latency *latency = &mlps_s3_of(store)->latency[op];
    pthread_mutex_lock(&latency->lock);
    uint64_t failures = latency->failures;
    pthread_mutex_unlock(&latency->lock);
    return failures;
}

/* {"count", "failed", "min_ms", ...}: the histogram's summary with the failures after count. */
static json_t *op_json(const mlps_hist *hist, uint64_t failed)
{
    json_t *summary = mlps_hist_to_json(hist, 1e-6, "_ms");
    json_t *entry = json_object();
    if (!summary || !entry) {
        json_decref(summary);
        json_decref(entry);
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(summary, key, value)
    {
        json_object_set(entry, key, value);
        if (strcmp(key, "count") == 0)
            json_object_set_new(entry, "failed", json_integer((json_int_t)failed));
    }
    json_decref(summary);
    return entry;
}

int mlps_store_s3_requests_reduce(const mlps_comm *comm, const mlps_store *store, json_t **out,
                                  mlps_error *err)
{
    *out = NULL;
    mlps_hist *hist = malloc(sizeof *hist);
    if (!hist)
        return mlps_fail(err, -ENOMEM, "out of memory merging the S3 request latencies");
    uint64_t failures[MLPS_S3_OP_COUNT];
    for (size_t op = 0; op < MLPS_S3_OP_COUNT; op++)
        failures[op] = mlps_store_s3_request_failures(store, (mlps_s3_op)op);
    int rc = mlps_comm_sum_u64(comm, failures, MLPS_S3_OP_COUNT, err);
    json_t *requests = rc == 0 && comm->rank == 0 ? json_object() : NULL;
    for (size_t op = 0; op < MLPS_S3_OP_COUNT && rc == 0; op++) {
        mlps_store_s3_request_latency(store, (mlps_s3_op)op, hist);
        rc = mlps_hist_reduce(comm, hist, err);
        if (rc == 0 && requests && mlps_hist_count(hist) > 0)
            json_object_set_new(requests, mlps_s3_op_name((mlps_s3_op)op),
                                op_json(hist, failures[op]));
    }
    free(hist);
    if (rc == 0 && comm->rank == 0 && !requests)
        rc = mlps_fail(err, -ENOMEM, "out of memory merging the S3 request latencies");
    if (rc < 0)
        json_decref(requests);
    else
        *out = requests;
    return rc;
}
