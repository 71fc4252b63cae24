/* s3://bucket/prefix: objects in an S3-compatible object store, over libcurl with AWS Signature
 * V4 (configuration from the environment, see s3_config.c). The store interface maps onto S3 as
 *   stat    HEAD of the key; a key that is only a prefix of others stats as a directory
 *   list    ListObjectsV2 with delimiter '/', page by page (continuation tokens)
 *   remove  DeleteObject;  mkdirs: nothing (prefixes exist by their objects)
 *   remove_many  DeleteObjects, up to 1000 keys a request (s3_delete.c)
 *   files   ranged GETs for reads; sequential writes buffered into a single PUT or a multipart
 *           upload, published by close (s3_file.c)
 * Queues run many requests at once on libcurl's multi interface (s3_multi.c), or with
 * MLPS_S3_ENGINE=sync one at a time at submission; easy and multi handles are pooled per store so
 * connections are reused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "io/s3.h"
#include "io/s3_internal.h"

static bool bucket_name_is_valid(const char *bucket, size_t len)
{
    if (len < 3 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = bucket[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

static int split_root(mlps_store *store, mlps_s3_store *s3, mlps_error *err)
{
    const char *root = store->root;
    const char *slash = strchr(root, '/');
    size_t len = slash ? (size_t)(slash - root) : strlen(root);
    if (!bucket_name_is_valid(root, len))
        return mlps_fail_usage(err, -EINVAL,
                               "storage URI '%s' needs a bucket: write s3://bucket/prefix (a bucket "
                               "name is 3 to 63 letters, digits, '.', '-' or '_')",
                               store->uri);
    s3->bucket = strndup(root, len);
    s3->prefix = strdup(slash ? slash + 1 : "");
    if (!s3->bucket || !s3->prefix)
        return mlps_fail(err, -ENOMEM, "open store %s: out of memory", store->uri);
    return 0;
}

static void s3_store_close(mlps_store *store)
{
    mlps_s3_store *s3 = mlps_s3_of(store);
    if (!s3)
        return;
    for (size_t i = 0; i < s3->part_buffers.count; i++)
        free(s3->part_buffers.idle[i]);
    free(s3->part_buffers.idle);
    pthread_mutex_destroy(&s3->part_buffers.lock);
    for (size_t i = 0; i < s3->multis.count; i++)
        curl_multi_cleanup(s3->multis.idle[i]);
    free(s3->multis.idle);
    pthread_mutex_destroy(&s3->multis.lock);
    for (size_t i = 0; i < s3->handles.count; i++)
        curl_easy_cleanup(s3->handles.idle[i]);
    free(s3->handles.idle);
    pthread_mutex_destroy(&s3->handles.lock);
    mlps_s3_config_free(&s3->config);
    free((void *)s3->in_flight);
    if (s3->latency)
        for (size_t op = 0; op < MLPS_S3_OP_COUNT; op++)
            pthread_mutex_destroy(&s3->latency[op].lock);
    free(s3->latency);
    free(s3->bucket);
    free(s3->prefix);
    free(s3);
    store->impl = NULL;
    curl_global_cleanup();
}

static int latencies_init(mlps_s3_store *s3)
{
    if (!(s3->latency = calloc(MLPS_S3_OP_COUNT, sizeof *s3->latency)))
        return -ENOMEM;
    for (size_t op = 0; op < MLPS_S3_OP_COUNT; op++) {
        pthread_mutex_init(&s3->latency[op].lock, NULL);
        mlps_hist_init(&s3->latency[op].hist);
    }
    return 0;
}

static int s3_store_open(mlps_store *store, mlps_error *err)
{
    mlps_s3_store *s3 = calloc(1, sizeof *s3);
    if (!s3)
        return mlps_fail(err, -ENOMEM, "open store %s: out of memory", store->uri);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(s3);
        return mlps_fail(err, -EIO, "open store %s: libcurl cannot initialise", store->uri);
    }
    xmlInitParser();
    pthread_mutex_init(&s3->handles.lock, NULL);
    pthread_mutex_init(&s3->multis.lock, NULL);
    pthread_mutex_init(&s3->part_buffers.lock, NULL);
    atomic_init(&s3->retries, 0);
    store->impl = s3;
    int rc = split_root(store, s3, err);
    if (rc == 0)
        rc = mlps_s3_config_load(&s3->config, &store->options, err);
    if (rc == 0 && !(s3->in_flight = calloc(s3->config.endpoint_count, sizeof *s3->in_flight)))
        rc = mlps_fail(err, -ENOMEM, "open store %s: out of memory", store->uri);
    if (rc == 0 && latencies_init(s3) < 0)
        rc = mlps_fail(err, -ENOMEM, "open store %s: out of memory", store->uri);
    if (rc < 0)
        s3_store_close(store);
    return rc;
}

uint64_t mlps_store_s3_retries(const mlps_store *store)
{
    if (strcmp(mlps_store_scheme(store), "s3") != 0)
        return 0;
    return atomic_load(&mlps_s3_of(store)->retries);
}

uint32_t mlps_store_s3_peak_in_flight(const mlps_store *store)
{
    if (strcmp(mlps_store_scheme(store), "s3") != 0)
        return 0;
    return atomic_load(&mlps_s3_of(store)->peak_in_flight);
}

uint32_t mlps_store_s3_peak_parts_in_flight(const mlps_store *store)
{
    if (strcmp(mlps_store_scheme(store), "s3") != 0)
        return 0;
    return atomic_load(&mlps_s3_of(store)->peak_parts_in_flight);
}

uint64_t mlps_store_s3_part_buffer_bytes(const mlps_store *store)
{
    if (strcmp(mlps_store_scheme(store), "s3") != 0)
        return 0;
    const mlps_s3_config *config = &mlps_s3_of(store)->config;
    return config->parts_in_flight * config->part_size;
}

const char *mlps_store_s3_endpoint(const mlps_store *store)
{
    if (strcmp(mlps_store_scheme(store), "s3") != 0)
        return NULL;
    return mlps_s3_of(store)->config.endpoint;
}

size_t mlps_store_s3_endpoint_count(const mlps_store *store)
{
    if (strcmp(mlps_store_scheme(store), "s3") != 0)
        return 0;
    return mlps_s3_of(store)->config.endpoint_count;
}

const char *mlps_store_s3_balance(const mlps_store *store)
{
    static const char *const names[] = {"rank", "round_robin", "least_connections"};
    if (strcmp(mlps_store_scheme(store), "s3") != 0)
        return NULL;
    return names[mlps_s3_of(store)->config.balance];
}

size_t mlps_s3_endpoint_pick(mlps_s3_store *s3)
{
    const mlps_s3_config *config = &s3->config;
    size_t n = config->endpoint_count, chosen = config->rank % n;
    if (config->balance == MLPS_S3_BALANCE_ROUND_ROBIN) {
        chosen = (size_t)(atomic_fetch_add(&s3->next_endpoint, 1) % n);
    } else if (config->balance == MLPS_S3_BALANCE_LEAST_CONNECTIONS) {
        /* start the scan at the rank's endpoint so idle ranks do not all pile onto the first */
        uint32_t fewest = UINT32_MAX;
        for (size_t k = 0; k < n; k++) {
            size_t i = (config->rank + k) % n;
            uint32_t busy = atomic_load(&s3->in_flight[i]);
            if (busy < fewest)
                fewest = busy, chosen = i;
        }
    }
    atomic_fetch_add(&s3->in_flight[chosen], 1);
    return chosen;
}

void mlps_s3_endpoint_done(mlps_s3_store *s3, size_t index)
{
    atomic_fetch_sub(&s3->in_flight[index], 1);
}

const char *mlps_s3_key_of(const mlps_path *path)
{
    const char *slash = strchr(path->location, '/');
    return slash ? slash + 1 : "";
}

/* --- listings --- */

typedef struct listing {
    const char *prefix; /* "a/b/" or "" */
    mlps_list_visitor visit;
    void *arg;
    uint64_t seen;
} listing;

static int visit_listed(const char *key_or_prefix, uint64_t size, bool is_prefix, void *arg)
{
    listing *l = arg;
    size_t skip = strlen(l->prefix);
    if (strncmp(key_or_prefix, l->prefix, skip) != 0)
        return 0;
    char name[2048];
    snprintf(name, sizeof name, "%s", key_or_prefix + skip);
    size_t n = strlen(name);
    if (is_prefix && n > 0 && name[n - 1] == '/')
        name[--n] = '\0';
    if (n == 0)
        return 0; /* the prefix's own marker object */
    l->seen++;
    mlps_entry entry = {.name = name, .size = is_prefix ? 0 : size, .is_dir = is_prefix};
    return l->visit(&entry, l->arg);
}

static char *list_query(const char *prefix, const char *token, unsigned max_keys)
{
    char *encoded_prefix = mlps_s3_encode(prefix, false);
    char *encoded_token = token ? mlps_s3_encode(token, false) : NULL;
    char *query = NULL;
    char limit[32] = "";
    if (max_keys)
        snprintf(limit, sizeof limit, "&max-keys=%u", max_keys);
    /* parameters in sorted order, as the signature's canonical query wants them */
    if (encoded_prefix && (!token || encoded_token) &&
        asprintf(&query, "%s%s%sdelimiter=%%2F&list-type=2%s&prefix=%s",
                 token ? "continuation-token=" : "", token ? encoded_token : "",
                 token ? "&" : "", limit, encoded_prefix) < 0)
        query = NULL;
    free(encoded_prefix);
    free(encoded_token);
    return query;
}

/* Lists everything directly under prefix, one page at a time; max_keys 0 means S3's default. */
static int list_prefix(mlps_store *store, const char *uri, listing *l, unsigned max_keys,
                       bool first_page_only, mlps_error *err)
{
    char *token = NULL;
    int rc = 0;
    do {
        char *query = list_query(l->prefix, token, max_keys);
        free(token);
        token = NULL;
        if (!query)
            return mlps_fail(err, -ENOMEM, "list %s: out of memory", uri);
        mlps_s3_request request = {.op = MLPS_S3_LIST_OBJECTS, .method = "GET",
                                   .operation = "list", .uri = uri, .key = "", .query = query};
        mlps_s3_response response;
        rc = mlps_s3_perform(store, &request, &response, err);
        if (rc == 0) {
            rc = mlps_s3_parse_list_page(response.body.data, response.body.len, visit_listed, l,
                                         &token);
            if (rc == -EPROTO || rc == -ENOMEM)
                rc = mlps_fail(err, rc, "list %s: the ListObjectsV2 answer cannot be read (%s)",
                               uri, rc == -ENOMEM ? "out of memory" : "not a listing");
        }
        mlps_s3_response_free(&response);
        free(query);
    } while (rc == 0 && token && !first_page_only);
    free(token);
    return rc;
}

static char *directory_prefix(const char *key)
{
    char *prefix = NULL;
    if (asprintf(&prefix, "%s%s", key, key[0] ? "/" : "") < 0)
        return NULL;
    return prefix;
}

static int s3_list(mlps_store *store, const mlps_path *path, mlps_list_visitor visit, void *arg,
                   mlps_error *err)
{
    char *prefix = directory_prefix(mlps_s3_key_of(path));
    if (!prefix)
        return mlps_fail(err, -ENOMEM, "list %s: out of memory", path->uri);
    listing l = {.prefix = prefix, .visit = visit, .arg = arg};
    int rc = list_prefix(store, path->uri, &l, 0, false, err);
    free(prefix);
    return rc;
}

static int count_entries(const mlps_entry *entry, void *arg)
{
    (void)entry, (void)arg;
    return 1; /* one is enough */
}

/* Whether anything lies under key + "/": 1, 0, or a negative code. */
static int prefix_has_objects(mlps_store *store, const mlps_path *path, mlps_error *err)
{
    char *prefix = directory_prefix(mlps_s3_key_of(path));
    if (!prefix)
        return mlps_fail(err, -ENOMEM, "stat %s: out of memory", path->uri);
    listing l = {.prefix = prefix, .visit = count_entries};
    int rc = list_prefix(store, path->uri, &l, 2, true, err);
    free(prefix);
    return rc < 0 ? rc : l.seen > 0;
}

/* --- objects --- */

static int s3_stat(mlps_store *store, const mlps_path *path, mlps_stat *out, mlps_error *err)
{
    const char *key = mlps_s3_key_of(path);
    out->size = 0;
    out->is_dir = true;
    if (!key[0])
        return 0; /* the bucket */
    mlps_s3_request request = {.op = MLPS_S3_HEAD_OBJECT, .method = "HEAD", .operation = "stat",
                               .uri = path->uri,
                               .key = key};
    mlps_s3_response response;
    int rc = mlps_s3_perform(store, &request, &response, err);
    uint64_t length = response.content_length;
    mlps_s3_response_free(&response);
    if (rc == 0) {
        out->is_dir = false;
        out->size = length == MLPS_SIZE_UNKNOWN ? 0 : length;
        return 0;
    }
    if (rc != -ENOENT)
        return rc;
    int found = prefix_has_objects(store, path, err);
    if (found < 0)
        return found;
    if (!found)
        return mlps_fail(err, -ENOENT, "stat %s: no such object or prefix (NoSuchKey)",
                         path->uri);
    return 0;
}

static int s3_remove(mlps_store *store, const mlps_path *path, mlps_error *err)
{
    const char *key = mlps_s3_key_of(path);
    if (!key[0])
        return 0; /* the bucket itself stays */
    mlps_s3_request request = {.op = MLPS_S3_DELETE_OBJECT, .method = "DELETE",
                               .operation = "remove", .uri = path->uri,
                               .key = key};
    mlps_s3_response response;
    int rc = mlps_s3_perform(store, &request, &response, err);
    mlps_s3_response_free(&response);
    return rc;
}

static int s3_mkdirs(mlps_store *store, const mlps_path *path, mlps_error *err)
{
    (void)store, (void)path, (void)err;
    return 0; /* a prefix exists as soon as an object under it does */
}

const mlps_backend mlps_backend_s3 = {
    .scheme = "s3",
    .needs_absolute_path = false,
    .store_open = s3_store_open,
    .store_close = s3_store_close,
    .file_open = mlps_s3_file_open,
    .file_open_sized = mlps_s3_file_open_sized,
    .file_close = mlps_s3_file_close,
    .file_abort = mlps_s3_file_abort,
    .file_failure = mlps_s3_file_failure,
    .file_truncate = mlps_s3_file_truncate,
    .check_request = mlps_s3_check_request,
    .execute = mlps_s3_execute,
    .ioq_init = mlps_s3_ioq_init,
    .stat = s3_stat,
    .list = s3_list,
    .remove = s3_remove,
    .remove_many = mlps_s3_remove_many,
    .mkdirs = s3_mkdirs,
};
