/* The part uploads of one object being written to s3://, several in flight at once. The object
 * has a fixed set of slots (MLPS_S3_PARTS_IN_FLIGHT), each with its own part buffer: the writer
 * fills one slot's buffer, hands it off as the next part, and fills the next free slot's; when
 * every slot is in flight it waits until one is done. So an object being written holds at most
 * slots x part size of memory, and has at most that many parts in flight.
 *
 * The uploads run on a CURLM of the object's own, taken from the store's pool (its connections
 * are then reused by the next object the store writes), and move whenever the writer's thread
 * is in here: handing off a part, writing into a buffer (the file pumps after each write),
 * waiting for a slot, or finishing at close. Nothing else drives them, so no thread of our own
 * and no lock beyond the file's. A finished part is collected when its slot is needed or at
 * finish: a transient failure then waits out its backoff in its slot while the others go on, and
 * a final failure is recorded, cancels the uploads still in flight and is returned by every
 * later call. The store's bound on requests in flight (max_concurrency) holds parts back too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "io/s3_internal.h"

/* While a part waits for the store to admit it, the wait looks again this often. */
#define ADMISSION_RETRY_MS 2
#define MAX_POLL_MS 1000

typedef enum part_state { PART_FREE, PART_FILLING, PART_WAITING, PART_RUNNING } part_state;

typedef struct part_slot {
    part_state state;
    mlps_s3_part_buffer buffer;
    unsigned number; /* 1-based part number while in flight */
    char *query;
    mlps_s3_request request;
    mlps_s3_response response;
    mlps_s3_call call;
    uint64_t due_ns; /* waiting: when the next attempt may start */
} part_slot;

struct mlps_s3_parts {
    mlps_store *store;
    mlps_s3_store *s3;
    const char *uri, *key; /* the file's */
    CURLM *multi;          /* taken at the first part */
    part_slot *slots;
    unsigned slot_count;
    part_slot *filling;    /* the slot the writer fills, or NULL */
    unsigned in_flight;    /* slots WAITING or RUNNING */
    char **etags;          /* by part number - 1 */
    unsigned etag_count, etag_capacity;
    mlps_error failure;    /* the first part that failed for good */
};

int mlps_s3_parts_create(mlps_store *store, const char *uri, const char *key,
                         mlps_s3_parts **out, mlps_error *err)
{
    mlps_s3_store *s3 = mlps_s3_of(store);
    mlps_s3_parts *parts = calloc(1, sizeof *parts);
    if (parts)
        parts->slots = calloc(s3->config.parts_in_flight, sizeof *parts->slots);
    if (!parts || !parts->slots) {
        free(parts);
        return mlps_fail(err, -ENOMEM, "open %s: out of memory", uri);
    }
    parts->store = store;
    parts->s3 = s3;
    parts->uri = uri;
    parts->key = key;
    parts->slot_count = s3->config.parts_in_flight;
    *out = parts;
    return 0;
}

static void release_slot(mlps_s3_parts *parts, part_slot *slot)
{
    if (slot->state == PART_WAITING || slot->state == PART_RUNNING)
        parts->in_flight--;
    slot->state = PART_FREE;
    free(slot->query);
    slot->query = NULL;
    mlps_s3_response_free(&slot->response);
}

/* Ends every upload in flight without waiting: after a failure, and when the file is freed. */
static void cancel_all(mlps_s3_parts *parts)
{
    for (unsigned i = 0; i < parts->slot_count; i++) {
        part_slot *slot = &parts->slots[i];
        if (slot->state == PART_RUNNING) {
            curl_multi_remove_handle(parts->multi, slot->call.handle);
            mlps_s3_leave(parts->s3);
        }
        if (slot->state == PART_RUNNING || slot->state == PART_WAITING) {
            mlps_s3_call_cancel(&slot->call);
            release_slot(parts, slot);
        }
    }
}

static int fail_again(const mlps_s3_parts *parts, mlps_error *err)
{
    return mlps_fail(err, parts->failure.code, "%s", parts->failure.message);
}

static void record_failure(mlps_s3_parts *parts, const mlps_error *err)
{
    if (!parts->failure.code)
        parts->failure = *err;
    cancel_all(parts);
}

static int remember_etag(mlps_s3_parts *parts, part_slot *slot, mlps_error *err)
{
    if (!slot->response.etag[0])
        return mlps_fail(err, -EPROTO, "write %s: UploadPart %u answered no ETag", parts->uri,
                         slot->number);
    if (!(parts->etags[slot->number - 1] = strdup(slot->response.etag)))
        return mlps_fail(err, -ENOMEM, "write %s: out of memory", parts->uri);
    return 0;
}

/* The slot's call has ended (rc 0 or a final failure). */
static void end_part(mlps_s3_parts *parts, part_slot *slot, int rc, mlps_error *err)
{
    if (rc == 0)
        rc = remember_etag(parts, slot, err);
    release_slot(parts, slot);
    if (rc < 0)
        record_failure(parts, err);
}

static void wait_for_retry(part_slot *slot)
{
    slot->state = PART_WAITING;
    slot->due_ns = slot->call.retry_at_ns;
}

static void try_start(mlps_s3_parts *parts, part_slot *slot, uint64_t now)
{
    if (slot->due_ns > now || !mlps_s3_admit(parts->s3, true))
        return;
    slot->state = PART_RUNNING;
    CURLcode prepared = mlps_s3_call_prepare(&slot->call);
    if (prepared == CURLE_OK && curl_multi_add_handle(parts->multi, slot->call.handle) == CURLM_OK)
        return;
    mlps_s3_leave(parts->s3);
    mlps_error err;
    mlps_error_clear(&err);
    int rc = mlps_s3_call_finish(&slot->call, CURLE_OUT_OF_MEMORY, &err);
    if (rc == MLPS_S3_CALL_RETRY)
        wait_for_retry(slot);
    else
        end_part(parts, slot, rc, &err);
}

static void start_due(mlps_s3_parts *parts)
{
    uint64_t now = mlps_monotonic_ns();
    for (unsigned i = 0; i < parts->slot_count && !parts->failure.code; i++)
        if (parts->slots[i].state == PART_WAITING)
            try_start(parts, &parts->slots[i], now);
}

static void collect_finished(mlps_s3_parts *parts)
{
    mlps_s3_call *call;
    mlps_error err;
    int rc;
    while (mlps_s3_multi_next_finished(parts->multi, parts->s3, &call, &rc, &err)) {
        part_slot *slot = (part_slot *)((char *)call - offsetof(part_slot, call));
        if (rc == MLPS_S3_CALL_RETRY)
            wait_for_retry(slot);
        else
            end_part(parts, slot, rc, &err);
    }
}

static int poll_timeout_ms(const mlps_s3_parts *parts)
{
    uint64_t now = mlps_monotonic_ns(), wait = (uint64_t)MAX_POLL_MS * 1000000ull;
    for (unsigned i = 0; i < parts->slot_count; i++) {
        const part_slot *slot = &parts->slots[i];
        if (slot->state != PART_WAITING)
            continue;
        uint64_t until = slot->due_ns > now ? slot->due_ns - now
                                            : (uint64_t)ADMISSION_RETRY_MS * 1000000ull;
        if (until < wait)
            wait = until;
    }
    return (int)((wait + 999999) / 1000000);
}

static int multi_failed(mlps_s3_parts *parts, mlps_error *err)
{
    mlps_error failed;
    mlps_fail(&failed, -EIO, "write %s: libcurl's multi interface failed", parts->uri);
    record_failure(parts, &failed);
    return fail_again(parts, err);
}

/* Moves the transfers without waiting. */
static int pump(mlps_s3_parts *parts, mlps_error *err)
{
    if (parts->failure.code)
        return fail_again(parts, err);
    if (!parts->multi)
        return 0;
    start_due(parts);
    int running = 0;
    if (curl_multi_perform(parts->multi, &running) != CURLM_OK)
        return multi_failed(parts, err);
    return 0;
}

/* Collects what has finished, then waits for the network (or a due retry) once. */
static int wait_once(mlps_s3_parts *parts, mlps_error *err)
{
    collect_finished(parts);
    start_due(parts);
    if (parts->failure.code)
        return fail_again(parts, err);
    if (parts->in_flight == 0)
        return 0;
    int numfds = 0;
    if (curl_multi_poll(parts->multi, NULL, 0, poll_timeout_ms(parts), &numfds) != CURLM_OK)
        return multi_failed(parts, err);
    int rc = pump(parts, err);
    if (rc == 0)
        collect_finished(parts);
    return parts->failure.code ? fail_again(parts, err) : rc;
}

static part_slot *free_slot(mlps_s3_parts *parts)
{
    for (unsigned i = 0; i < parts->slot_count; i++)
        if (parts->slots[i].state == PART_FREE)
            return &parts->slots[i];
    return NULL;
}

/* Full-size part buffers go back to the store and serve the next object, so a run writing
 * many large objects touches its part memory once rather than once per object (fresh pages
 * cost as much CPU as the upload itself). A buffer that never grew to the part size (a small
 * object's) is freed instead. */
static void take_pooled_buffer(mlps_s3_parts *parts, mlps_s3_part_buffer *buffer)
{
    if (buffer->data)
        return;
    char *pooled = mlps_s3_pool_take(&parts->s3->part_buffers);
    if (pooled)
        *buffer = (mlps_s3_part_buffer){.data = pooled, .capacity = parts->s3->config.part_size};
}

static void give_back_buffer(mlps_s3_parts *parts, mlps_s3_part_buffer *buffer)
{
    bool full_size = buffer->data && buffer->capacity == parts->s3->config.part_size;
    if (!full_size || !mlps_s3_pool_give(&parts->s3->part_buffers, buffer->data))
        free(buffer->data);
    *buffer = (mlps_s3_part_buffer){0};
}

int mlps_s3_parts_buffer(mlps_s3_parts *parts, mlps_s3_part_buffer **out, mlps_error *err)
{
    *out = NULL;
    if (parts->failure.code)
        return fail_again(parts, err);
    if (!parts->filling) {
        collect_finished(parts);
        part_slot *slot;
        while (!(slot = free_slot(parts))) {
            int rc = wait_once(parts, err);
            if (rc < 0)
                return rc;
        }
        if (parts->failure.code)
            return fail_again(parts, err);
        slot->state = PART_FILLING;
        slot->buffer.len = 0;
        take_pooled_buffer(parts, &slot->buffer);
        parts->filling = slot;
    }
    *out = &parts->filling->buffer;
    return 0;
}

mlps_s3_part_buffer *mlps_s3_parts_filling(mlps_s3_parts *parts)
{
    return parts->filling ? &parts->filling->buffer : NULL;
}

static int grow_etags(mlps_s3_parts *parts, unsigned count)
{
    if (count <= parts->etag_capacity)
        return 0;
    unsigned capacity = parts->etag_capacity ? 2 * parts->etag_capacity : 16;
    while (capacity < count)
        capacity *= 2;
    char **grown = realloc(parts->etags, capacity * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    memset(grown + parts->etag_capacity, 0, (capacity - parts->etag_capacity) * sizeof *grown);
    parts->etags = grown;
    parts->etag_capacity = capacity;
    return 0;
}

int mlps_s3_parts_send(mlps_s3_parts *parts, unsigned number, char *query, mlps_error *err)
{
    part_slot *slot = parts->filling;
    if (parts->failure.code || !slot) {
        free(query);
        return parts->failure.code ? fail_again(parts, err)
                                   : mlps_fail(err, -EINVAL, "write %s: no part to send",
                                               parts->uri);
    }
    if (!parts->multi && !(parts->multi = mlps_s3_multi_take(parts->s3))) {
        free(query);
        return mlps_fail(err, -ENOMEM, "write %s: out of memory", parts->uri);
    }
    if (grow_etags(parts, number) < 0) {
        free(query);
        return mlps_fail(err, -ENOMEM, "write %s: out of memory", parts->uri);
    }
    if (number > parts->etag_count)
        parts->etag_count = number;
    parts->filling = NULL;
    slot->number = number;
    slot->query = query;
    slot->request = (mlps_s3_request){.op = MLPS_S3_UPLOAD_PART, .method = "PUT",
                                      .operation = "write (UploadPart)", .uri = parts->uri,
                                      .key = parts->key, .query = query,
                                      .body = slot->buffer.data, .body_len = slot->buffer.len};
    slot->state = PART_WAITING;
    slot->due_ns = 0;
    parts->in_flight++;
    mlps_s3_raise_peak(&parts->s3->peak_parts_in_flight, parts->in_flight);
    mlps_error failed;
    mlps_error_clear(&failed);
    if (mlps_s3_call_begin(&slot->call, parts->store, &slot->request, &slot->response,
                           &failed) < 0) {
        slot->state = PART_FREE;
        parts->in_flight--;
        free(slot->query);
        slot->query = NULL;
        record_failure(parts, &failed);
        return fail_again(parts, err);
    }
    return pump(parts, err);
}

int mlps_s3_parts_pump(mlps_s3_parts *parts, mlps_error *err) { return pump(parts, err); }

int mlps_s3_parts_finish(mlps_s3_parts *parts, mlps_error *err)
{
    while (parts->in_flight > 0 && !parts->failure.code) {
        int rc = wait_once(parts, err);
        if (rc < 0)
            return rc;
    }
    return parts->failure.code ? fail_again(parts, err) : 0;
}

unsigned mlps_s3_parts_count(const mlps_s3_parts *parts) { return parts->etag_count; }

const char *mlps_s3_parts_etag(const mlps_s3_parts *parts, unsigned number)
{
    return number >= 1 && number <= parts->etag_count ? parts->etags[number - 1] : NULL;
}

void mlps_s3_parts_free(mlps_s3_parts *parts)
{
    if (!parts)
        return;
    cancel_all(parts);
    mlps_s3_multi_give(parts->s3, parts->multi);
    for (unsigned i = 0; i < parts->slot_count; i++)
        give_back_buffer(parts, &parts->slots[i].buffer);
    for (unsigned i = 0; i < parts->etag_count; i++)
        free(parts->etags[i]);
    free(parts->etags);
    free(parts->slots);
    free(parts);
}
