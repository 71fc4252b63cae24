/* One S3 request over libcurl: the URL (path-style or virtual-host), AWS Signature V4 by curl,
 * the payload and the answer, and the retry policy: connection errors, 5xx, 429 and SlowDown are
 * tried again after a capped exponential backoff with jitter, up to max_attempts in all; any other
 * 4xx fails at once with S3's own code and message. Easy handles are pooled per store so a thread
 * keeps reusing its connection. Credentials go to curl only, never into a message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/clock.h"
#include "core/log.h"
#include "io/s3_internal.h"

/* Error bodies are small; a larger answer is cut here rather than held whole. */
#define MAX_RESPONSE_BODY (16u << 20)

int mlps_s3_buffer_append(mlps_s3_buffer *buffer, const void *data, size_t len)
{
    if (buffer->len + len + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 1024;
        while (capacity < buffer->len + len + 1)
            capacity *= 2;
        char *grown = realloc(buffer->data, capacity);
        if (!grown)
            return -ENOMEM;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->len, data, len);
    buffer->len += len;
    buffer->data[buffer->len] = '\0';
    return 0;
}

void mlps_s3_buffer_free(mlps_s3_buffer *buffer)
{
    free(buffer->data);
    memset(buffer, 0, sizeof *buffer);
}

void mlps_s3_response_free(mlps_s3_response *response) { mlps_s3_buffer_free(&response->body); }

char *mlps_s3_encode(const char *text, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(text);
    char *out = malloc(3 * n + 1);
    if (!out)
        return NULL;
    char *p = out;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        bool plain = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                     (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' ||
                     *c == '~' || (keep_slash && *c == '/');
        if (plain) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    *p = '\0';
    return out;
}

void *mlps_s3_pool_take(mlps_s3_handles *pool)
{
    void *handle = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->count > 0)
        handle = pool->idle[--pool->count];
    pthread_mutex_unlock(&pool->lock);
    return handle;
}

bool mlps_s3_pool_give(mlps_s3_handles *pool, void *handle)
{
    pthread_mutex_lock(&pool->lock);
    if (pool->count == pool->capacity) {
        size_t capacity = pool->capacity ? 2 * pool->capacity : 8;
        void **grown = realloc(pool->idle, capacity * sizeof *grown);
        if (grown) {
            pool->idle = grown;
            pool->capacity = capacity;
        }
    }
    bool kept = pool->count < pool->capacity;
    if (kept)
        pool->idle[pool->count++] = handle;
    pthread_mutex_unlock(&pool->lock);
    return kept;
}

static CURL *acquire_handle(mlps_s3_store *s3)
{
    CURL *handle = mlps_s3_pool_take(&s3->handles);
    return handle ? handle : curl_easy_init();
}

static void release_handle(mlps_s3_store *s3, CURL *handle)
{
    if (!mlps_s3_pool_give(&s3->handles, handle))
        curl_easy_cleanup(handle);
}

bool mlps_s3_admit(mlps_s3_store *s3, bool bounded)
{
    uint32_t now = atomic_load(&s3->requests_in_flight);
    do {
        if (bounded && now >= s3->config.max_concurrency)
            return false;
    } while (!atomic_compare_exchange_weak(&s3->requests_in_flight, &now, now + 1));
    mlps_s3_raise_peak(&s3->peak_in_flight, now + 1);
    return true;
}

void mlps_s3_leave(mlps_s3_store *s3) { atomic_fetch_sub(&s3->requests_in_flight, 1); }

void mlps_s3_raise_peak(_Atomic uint32_t *peak, uint32_t value)
{
    uint32_t seen = atomic_load(peak);
    while (seen < value && !atomic_compare_exchange_weak(peak, &seen, value)) {
    }
}

static char *build_url(const mlps_s3_store *s3, const char *endpoint,
                       const mlps_s3_request *request)
{
    char *key = mlps_s3_encode(request->key, true);
    if (!key)
        return NULL;
    const char *host = strstr(endpoint, "://") + 3;
    const char *query = request->query ? request->query : "";
    const char *question = query[0] ? "?" : "";
    char *url = NULL;
    int n = s3->config.virtual_host
                ? asprintf(&url, "%.*s%s.%s/%s%s%s", (int)(host - endpoint), endpoint,
                           s3->bucket, host, key, question, query)
                : asprintf(&url, "%s/%s/%s%s%s", endpoint, s3->bucket, key, question, query);
    free(key);
    return n < 0 ? NULL : url;
}

static size_t on_body(char *data, size_t size, size_t count, void *arg)
{
    mlps_s3_call *x = arg;
    size_t len = size * count;
    long status = 0;
    curl_easy_getinfo(x->handle, CURLINFO_RESPONSE_CODE, &status);
    bool into_caller = x->request->into && status >= 200 && status < 300;
    if (into_caller) {
        size_t room = x->request->into_len - x->response->received;
        size_t take = len < room ? len : room;
        memcpy((char *)x->request->into + x->response->received, data, take);
        x->response->received += take;
        return len;
    }
    if (x->response->body.len + len > MAX_RESPONSE_BODY)
        return len; /* keep what came first: enough for an error's code and message */
    return mlps_s3_buffer_append(&x->response->body, data, len) == 0 ? len : 0;
}

static size_t on_header(char *data, size_t size, size_t count, void *arg)
{
    mlps_s3_call *x = arg;
    size_t len = size * count;
    if (len > 5 && strncasecmp(data, "etag:", 5) == 0) {
        const char *value = data + 5;
        while (*value == ' ')
            value++;
        size_t n = (size_t)(data + len - value);
        while (n > 0 && (value[n - 1] == '\r' || value[n - 1] == '\n' || value[n - 1] == ' '))
            n--;
        if (n < sizeof x->response->etag) {
            memcpy(x->response->etag, value, n);
            x->response->etag[n] = '\0';
        }
    }
    return len;
}

static size_t on_upload(char *out, size_t size, size_t count, void *arg)
{
    mlps_s3_call *x = arg;
    size_t room = size * count, left = x->request->body_len - x->sent;
    size_t take = left < room ? left : room;
    memcpy(out, (const char *)x->request->body + x->sent, take);
    x->sent += take;
    return take;
}

static void set_method(CURL *handle, const mlps_s3_request *request, mlps_s3_call *x)
{
    const char *method = request->method;
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "PUT") == 0) {
        curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(handle, CURLOPT_READFUNCTION, on_upload);
        curl_easy_setopt(handle, CURLOPT_READDATA, x);
        curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, (curl_off_t)request->body_len);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(handle, CURLOPT_POST, 1L);
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request->body ? request->body : "");
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_len);
    } else if (strcmp(method, "DELETE") == 0) {
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
}

static void set_security(CURL *handle, const mlps_s3_config *config)
{
    curl_easy_setopt(handle, CURLOPT_AWS_SIGV4, config->sigv4);
    curl_easy_setopt(handle, CURLOPT_USERPWD, config->credentials);
    if (config->ca_bundle)
        curl_easy_setopt(handle, CURLOPT_CAINFO, config->ca_bundle);
    if (config->insecure) {
        curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static void response_clear(mlps_s3_response *response)
{
    mlps_s3_buffer_free(&response->body);
    response->status = 0;
    response->received = 0;
    response->content_length = MLPS_SIZE_UNKNOWN;
    response->etag[0] = '\0';
}

int mlps_s3_call_begin(mlps_s3_call *call, mlps_store *store, const mlps_s3_request *request,
                       mlps_s3_response *response, mlps_error *err)
{
    mlps_s3_store *s3 = mlps_s3_of(store);
    memset(call, 0, sizeof *call);
    memset(response, 0, sizeof *response);
    call->store = store;
    call->request = request;
    call->response = response;
    call->endpoint = mlps_s3_endpoint_pick(s3);
    call->url = build_url(s3, s3->config.endpoints[call->endpoint], request);
    call->handle = call->url ? acquire_handle(s3) : NULL;
    if (!call->handle) {
        free(call->url);
        mlps_s3_endpoint_done(s3, call->endpoint);
        return mlps_fail(err, -ENOMEM, "%s %s: out of memory", request->operation, request->uri);
    }
    call->started_ns = mlps_monotonic_ns();
    call->seed = (call->started_ns ^ (uint64_t)(uintptr_t)call) | 1;
    return 0;
}

CURLcode mlps_s3_call_prepare(mlps_s3_call *call)
{
    const mlps_s3_config *config = &mlps_s3_of(call->store)->config;
    const mlps_s3_request *request = call->request;
    CURL *handle = call->handle;
    response_clear(call->response);
    call->sent = 0;
    call->attempt++;

    curl_easy_reset(handle); /* keeps the connection cache */
    curl_easy_setopt(handle, CURLOPT_URL, call->url);
    curl_easy_setopt(handle, CURLOPT_PRIVATE, call);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, call);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, call);
    set_security(handle, config);
    set_method(handle, request, call);

    struct curl_slist *headers = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
    if (request->range) {
        char range[80];
        snprintf(range, sizeof range, "Range: bytes=%s", request->range);
        headers = curl_slist_append(headers, range);
    }
    if (strcmp(request->method, "POST") == 0)
        headers = curl_slist_append(headers, "Content-Type: application/xml");
    if (config->session_token_header)
        headers = curl_slist_append(headers, config->session_token_header);
    char md5[80];
    if (request->content_md5) {
        snprintf(md5, sizeof md5, "Content-MD5: %s", request->content_md5);
        headers = curl_slist_append(headers, md5);
    }
    curl_slist_free_all(call->headers);
    call->headers = headers;
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    return headers ? CURLE_OK : CURLE_OUT_OF_MEMORY;
}

static bool connection_failed_transiently(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return true;
    default: return false;
    }
}

static bool answer_is_transient(const mlps_s3_response *response)
{
    if (response->status >= 500 || response->status == 429)
        return true;
    return response->body.data && strstr(response->body.data, "<Code>SlowDown</Code>");
}

static int code_for_status(long status)
{
    switch (status) {
    case 400: return -EINVAL;
    case 403: return -EACCES;
    case 404: return -ENOENT;
    case 409: return -EEXIST;
    case 416: return -ERANGE;
    default: return -EIO;
    }
}

static const char *name_for_status(long status)
{
    switch (status) {
    case 403: return "AccessDenied";
    case 404: return "NoSuchKey";
    case 416: return "InvalidRange";
    default: return "HTTP error";
    }
}

static int fail_with_answer(const mlps_s3_request *request, const mlps_s3_response *response,
                            unsigned attempts, mlps_error *err)
{
    mlps_s3_error_body answer;
    if (!mlps_s3_parse_error(response->body.data, response->body.len, &answer)) {
        snprintf(answer.code, sizeof answer.code, "%s", name_for_status(response->status));
        snprintf(answer.message, sizeof answer.message, "no error document in the answer");
    }
    char tries[48] = "";
    if (attempts > 1)
        snprintf(tries, sizeof tries, ", after %u attempts", attempts);
    return mlps_fail(err, code_for_status(response->status), "%s %s: %s: %s (HTTP %ld%s)",
                     request->operation, request->uri, answer.code, answer.message,
                     response->status, tries);
}

static bool certificate_refused(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_SSL_ISSUER_ERROR;
}

static int fail_with_connection(const char *endpoint, const mlps_s3_request *request,
                                CURLcode rc, unsigned attempts, mlps_error *err)
{
    int code = rc == CURLE_COULDNT_CONNECT       ? -ECONNREFUSED
               : rc == CURLE_OPERATION_TIMEDOUT  ? -ETIMEDOUT
               : rc == CURLE_COULDNT_RESOLVE_HOST ? -EHOSTUNREACH
                                                  : -EIO;
    const char *advice = certificate_refused(rc)
                             ? "; its TLS certificate is not trusted: name the CA certificates "
                               "that signed it in AWS_CA_BUNDLE, or set MLPS_S3_INSECURE=1 to "
                               "skip the check (test endpoints only)"
                             : "";
    return mlps_fail(err, code, "%s %s: cannot reach the endpoint %s: %s (after %u attempt%s)%s",
                     request->operation, request->uri, endpoint, curl_easy_strerror(rc),
                     attempts, attempts == 1 ? "" : "s", advice);
}

/* Full jitter over the upper half: a delay in [d/2, d] with d = min(cap, base * 2^retry). */
static uint64_t backoff_ns(const mlps_s3_config *config, unsigned retry, uint64_t *seed)
{
    uint64_t delay = config->backoff_base_ns;
    for (unsigned i = 0; i < retry && delay < config->backoff_cap_ns; i++)
        delay *= 2;
    if (delay > config->backoff_cap_ns)
        delay = config->backoff_cap_ns;
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    return delay / 2 + (*seed % (delay / 2 + 1));
}

/* Returns the call's handle and endpoint; the response stays for the caller. */
static void call_end(mlps_s3_call *call)
{
    mlps_s3_store *s3 = mlps_s3_of(call->store);
    curl_slist_free_all(call->headers);
    call->headers = NULL;
    release_handle(s3, call->handle);
    call->handle = NULL;
    mlps_s3_endpoint_done(s3, call->endpoint);
    free(call->url);
    call->url = NULL;
}

void mlps_s3_call_cancel(mlps_s3_call *call)
{
    if (call->handle)
        call_end(call);
}

static void read_answer(mlps_s3_call *call)
{
    mlps_s3_response *response = call->response;
    curl_easy_getinfo(call->handle, CURLINFO_RESPONSE_CODE, &response->status);
    curl_off_t length = -1;
    if (curl_easy_getinfo(call->handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) ==
            CURLE_OK &&
        length >= 0)
        response->content_length = (uint64_t)length;
}

int mlps_s3_call_finish(mlps_s3_call *call, CURLcode rc, mlps_error *err)
{
    mlps_s3_store *s3 = mlps_s3_of(call->store);
    const mlps_s3_config *config = &s3->config;
    const mlps_s3_request *request = call->request;
    mlps_s3_response *response = call->response;
    read_answer(call);
    bool ok = rc == CURLE_OK && response->status >= 200 && response->status < 300;
    bool transient = rc != CURLE_OK ? connection_failed_transiently(rc)
                                    : !ok && answer_is_transient(response);
    if (!ok && transient && call->attempt < config->max_attempts) {
        atomic_fetch_add(&s3->retries, 1);
        uint64_t delay = backoff_ns(config, call->attempt - 1, &call->seed);
        mlps_debug("%s %s: attempt %u failed (%s, HTTP %ld); retrying in %llu ms",
                   request->operation, request->uri, call->attempt,
                   rc != CURLE_OK ? curl_easy_strerror(rc) : "server answer", response->status,
                   (unsigned long long)(delay / 1000000));
        call->retry_at_ns = mlps_monotonic_ns() + delay;
        return MLPS_S3_CALL_RETRY;
    }
    int result = 0;
    if (rc != CURLE_OK)
        result = fail_with_connection(config->endpoints[call->endpoint], request, rc,
                                      call->attempt, err);
    else if (!ok)
        result = fail_with_answer(request, response, call->attempt, err);
    mlps_s3_latency_record(s3, request->op, mlps_monotonic_ns() - call->started_ns, result < 0);
    call_end(call);
    return result;
}

int mlps_s3_perform(mlps_store *store, const mlps_s3_request *request,
                    mlps_s3_response *response, mlps_error *err)
{
    mlps_s3_store *s3 = mlps_s3_of(store);
    mlps_s3_call call;
    int rc = mlps_s3_call_begin(&call, store, request, response, err);
    if (rc < 0)
        return rc;
    mlps_s3_admit(s3, false);
    do {
        if (call.attempt > 0)
            mlps_sleep_until_ns(call.retry_at_ns);
        CURLcode done = mlps_s3_call_prepare(&call);
        if (done == CURLE_OK)
            done = curl_easy_perform(call.handle);
        rc = mlps_s3_call_finish(&call, done, err);
    } while (rc == MLPS_S3_CALL_RETRY);
    mlps_s3_leave(s3);
    return rc;
}
