/* s3://: configuration errors (always), and, when AWS_ENDPOINT_URL names a server
 * (tests/integration/test_s3.sh starts one), round trips of small and multipart objects, ranged
 * reads, stat, listings across pages, remove, removing many at once (DeleteObjects), abort, and
 * the errors of a missing object, a missing bucket and an endpoint that refuses connections,
 * reads in flight together on one queue (and held to the store's bound) and part uploads in
 * flight together. Without an endpoint the server checks are skipped with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "io/s3.h"
#include "io/store.h"
#include "io_test_util.h"

#define SEED 77

static bool have_server(void) { return getenv("AWS_ENDPOINT_URL") != NULL; }

static const char *bucket(void)
{
    const char *name = getenv("MLPS_TEST_S3_BUCKET");
    return name ? name : "mlps-test";
}

/* s3://<bucket>/<test>-<pid>, so runs never see each other's objects. */
static mlps_store *open_test_store(const char *test)
{
    char uri[256];
    snprintf(uri, sizeof uri, "s3://%s/%s-%ld", bucket(), test, (long)getpid());
    mlps_store *store = NULL;
    mlps_error err = {0};
    int rc = mlps_store_open(uri, NULL, &store, &err);
    if (rc != 0)
        fail_msg("%s", err.message);
    assert_string_equal(mlps_store_scheme(store), "s3");
    assert_string_equal(mlps_store_uri(store), uri);
    return store;
}

static void write_object(mlps_store *store, const char *name, uint64_t size, size_t chunk)
{
    mlps_file *file = NULL;
    mlps_error err = {0};
    int rc = mlps_file_open(store, name, MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_ATOMIC,
                            &file, &err);
    if (rc != 0)
        fail_msg("%s", err.message);
    char *buf = malloc(chunk);
    assert_non_null(buf);
    for (uint64_t offset = 0; offset < size; offset += chunk) {
        size_t len = size - offset < chunk ? (size_t)(size - offset) : chunk;
        io_test_fill(buf, len, offset, SEED);
        if (mlps_file_pwrite_full(file, buf, len, offset, &err) != 0)
            fail_msg("%s", err.message);
    }
    free(buf);
    assert_int_equal(mlps_file_size(file), size);
    if (mlps_file_close(file, &err) != 0)
        fail_msg("%s", err.message);
}

static uint64_t stat_size(mlps_store *store, const char *name)
{
    mlps_stat st = {0};
    mlps_error err = {0};
    if (mlps_store_stat(store, name, &st, &err) != 0)
        fail_msg("%s", err.message);
    assert_false(st.is_dir);
    return st.size;
}

/* Reads [offset, offset+len) through a depth-4 queue in 1 MiB requests and checks every byte. */
static void check_contents(mlps_store *store, const char *name, uint64_t offset, uint64_t len)
{
    mlps_file *file = NULL;
    mlps_ioq *q = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_file_open(store, name, MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(mlps_ioq_create(store, 4, &q, &err), 0);
    size_t chunk = 1u << 20;
    char *buf = malloc(chunk);
    assert_non_null(buf);
    for (uint64_t at = offset; at < offset + len; at += chunk) {
        size_t want = offset + len - at < chunk ? (size_t)(offset + len - at) : chunk;
        mlps_io_req req = {.file = file, .op = MLPS_IO_READ, .offset = at, .buf = buf,
                           .len = want};
        mlps_io_req *ptr = &req, *done = NULL;
        assert_int_equal(mlps_ioq_submit(q, &ptr, 1, &err), 0);
        assert_int_equal(mlps_ioq_reap(q, &done, 1, 1, &err), 1);
        assert_int_equal(done->result, (int64_t)want);
        assert_int_equal(io_test_mismatch(buf, want, at, SEED), want);
    }
    free(buf);
    mlps_ioq_destroy(q);
    assert_int_equal(mlps_file_close(file, &err), 0);
}

static void small_object_round_trip(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("small");
    write_object(store, "dir/small.bin", 1000, 333);
    assert_int_equal(stat_size(store, "dir/small.bin"), 1000);
    check_contents(store, "dir/small.bin", 0, 1000);
    mlps_stat st = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_store_stat(store, "dir", &st, &err), 0);
    assert_true(st.is_dir);
    assert_int_equal(mlps_store_mkdirs(store, "any/thing", &err), 0);
    mlps_store_close(store);
}

static void multipart_object_round_trip_and_ranges(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("multipart");
    const uint64_t size = (11ull << 20) + 123; /* three parts of 5 MiB */
    write_object(store, "big.bin", size, 1u << 20);
    assert_int_equal(stat_size(store, "big.bin"), size);
    check_contents(store, "big.bin", 0, size);

    mlps_file *file = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_file_open(store, "big.bin", MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(mlps_file_size(file), size);
    const uint64_t offsets[] = {1, 4097, (5ull << 20) - 3, size - 7};
    char buf[7];
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        assert_int_equal(mlps_file_pread_full(file, buf, sizeof buf, offsets[i], &err), 0);
        assert_int_equal(io_test_mismatch(buf, sizeof buf, offsets[i], SEED), sizeof buf);
    }
    /* past the end: a short read, then nothing */
    assert_int_equal(mlps_file_pread_full(file, buf, sizeof buf, size - 3, &err), -ENODATA);
    mlps_ioq *q = NULL;
    assert_int_equal(mlps_ioq_create(store, 2, &q, &err), 0);
    mlps_io_req tail = {.file = file, .op = MLPS_IO_READ, .offset = size - 3, .buf = buf,
                        .len = sizeof buf};
    mlps_io_req beyond = {.file = file, .op = MLPS_IO_READ, .offset = size + 10, .buf = buf,
                          .len = sizeof buf};
    mlps_io_req *reqs[] = {&tail, &beyond}, *done[2];
    assert_int_equal(mlps_ioq_submit(q, reqs, 2, &err), 0);
    assert_int_equal(mlps_ioq_reap(q, done, 2, 2, &err), 2);
    assert_int_equal(tail.result, 3);
    assert_int_equal(beyond.result, 0);
    mlps_ioq_destroy(q);
    assert_int_equal(mlps_file_close(file, &err), 0);
    mlps_store_close(store);
}

static uint64_t requests_of(const mlps_store *store, mlps_s3_op op)
{
    mlps_hist hist;
    mlps_store_s3_request_latency(store, op, &hist);
    return mlps_hist_count(&hist);
}

static void request_latencies_count_each_request(void **state)
{
    (void)state;
    assert_string_equal(mlps_s3_op_name(MLPS_S3_UPLOAD_PART), "UploadPart");
    assert_string_equal(mlps_s3_op_name(MLPS_S3_DELETE_OBJECTS), "DeleteObjects");
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("latency");
    /* 11 MiB + 123 in parts of 5 MiB (MLPS_S3_PART_SIZE, set by test_s3.sh) */
    write_object(store, "big.bin", (11ull << 20) + 123, 1u << 20);
    assert_int_equal(requests_of(store, MLPS_S3_CREATE_MULTIPART_UPLOAD), 1);
    assert_int_equal(requests_of(store, MLPS_S3_UPLOAD_PART), 3);
    assert_int_equal(requests_of(store, MLPS_S3_COMPLETE_MULTIPART_UPLOAD), 1);
    assert_int_equal(requests_of(store, MLPS_S3_PUT_OBJECT), 0);
    write_object(store, "small.bin", 1000, 1000);
    assert_int_equal(requests_of(store, MLPS_S3_PUT_OBJECT), 1);

    mlps_file *file = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_file_open(store, "small.bin", MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(requests_of(store, MLPS_S3_HEAD_OBJECT), 1);
    char buf[100];
    assert_int_equal(mlps_file_pread_full(file, buf, sizeof buf, 10, &err), 0);
    assert_int_equal(mlps_file_pread_full(file, buf, sizeof buf, 500, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
    assert_int_equal(requests_of(store, MLPS_S3_GET_OBJECT), 2);

    /* the size known: the ranged GET is the only request */
    assert_int_equal(mlps_file_open_sized(store, "small.bin", MLPS_OPEN_READ, 1000, &file, &err),
                     0);
    assert_int_equal(mlps_file_size(file), 1000);
    assert_int_equal(mlps_file_pread_full(file, buf, sizeof buf, 900, &err), 0);
    assert_int_equal(io_test_mismatch(buf, sizeof buf, 900, SEED), sizeof buf);
    assert_int_equal(mlps_file_close(file, &err), 0);
    assert_int_equal(requests_of(store, MLPS_S3_HEAD_OBJECT), 1);
    assert_int_equal(requests_of(store, MLPS_S3_GET_OBJECT), 3);
    /* a size larger than the object's: the read past its end comes back short */
    assert_int_equal(mlps_file_open_sized(store, "small.bin", MLPS_OPEN_READ, 2000, &file, &err),
                     0);
    assert_int_equal(mlps_file_pread_full(file, buf, sizeof buf, 950, &err), -ENODATA);
    mlps_file_close(file, NULL);
    assert_int_equal(mlps_file_open_sized(store, "small.bin", MLPS_OPEN_WRITE, 10, &file, &err),
                     -EINVAL);
    for (mlps_s3_op op = 0; op < MLPS_S3_OP_COUNT; op++)
        assert_int_equal(mlps_store_s3_request_failures(store, op), 0);
    mlps_store_close(store);
}

/* An environment variable set for one test and put back afterwards. */
typedef struct saved_env {
    const char *name;
    char *value;
} saved_env;

static saved_env set_env(const char *name, const char *value)
{
    const char *old = getenv(name);
    saved_env saved = {.name = name, .value = old ? strdup(old) : NULL};
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
    return saved;
}

static void restore_env(saved_env *saved)
{
    if (saved->value)
        setenv(saved->name, saved->value, 1);
    else
        unsetenv(saved->name);
    free(saved->value);
}

/* Eight reads of odd offsets and lengths on one queue of depth 8, reaped together; returns the
 * store's peak of requests in flight over them. */
static uint32_t read_eight_at_once(const char *test, const char *engine)
{
    mlps_store *store = open_test_store(test);
    mlps_file *file = NULL;
    mlps_error err = {0};
    const uint64_t size = (3ull << 20) + 77;
    if (mlps_file_open_sized(store, "eight.bin", MLPS_OPEN_READ, size, &file, &err) != 0)
        fail_msg("%s", err.message);
    mlps_ioq *q = NULL;
    assert_int_equal(mlps_ioq_create(store, 8, &q, &err), 0);
    assert_string_equal(mlps_ioq_engine(q), engine);
    mlps_io_req reqs[8];
    mlps_io_req *ptrs[8], *done[8];
    for (unsigned i = 0; i < 8; i++) {
        size_t len = 100000 + 4099 * i;
        reqs[i] = (mlps_io_req){.file = file, .op = MLPS_IO_READ, .offset = 1 + 393217ull * i,
                                .len = len, .buf = malloc(len)};
        assert_non_null(reqs[i].buf);
        ptrs[i] = &reqs[i];
    }
    reqs[7].offset = size - 1000; /* short: the end of the object */
    assert_int_equal(mlps_ioq_submit(q, ptrs, 8, &err), 0);
    unsigned got = 0;
    while (got < 8) {
        int n = mlps_ioq_reap(q, done + got, 8 - got, 8 - got, &err);
        assert_true(n > 0);
        got += (unsigned)n;
    }
    for (unsigned i = 0; i < 8; i++) {
        size_t want = i == 7 ? 1000 : reqs[i].len;
        assert_int_equal(reqs[i].result, want);
        assert_int_equal(io_test_mismatch(reqs[i].buf, want, reqs[i].offset, SEED), want);
        assert_true(reqs[i].complete_ns >= reqs[i].submit_ns);
        free(reqs[i].buf);
    }
    mlps_ioq_destroy(q);
    assert_int_equal(mlps_file_close(file, &err), 0);
    uint32_t peak = mlps_store_s3_peak_in_flight(store);
    mlps_store_close(store);
    return peak;
}

static void queue_reads_are_in_flight_together(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("concurrent");
    write_object(store, "eight.bin", (3ull << 20) + 77, 1u << 20);
    mlps_store_close(store);
    /* depth 8 on one thread: all eight in flight at once */
    assert_int_equal(read_eight_at_once("concurrent", "s3-multi"), 8);
    /* the store's bound holds them back, and they all still complete */
    saved_env bound = set_env("MLPS_S3_MAX_CONCURRENCY", "3");
    assert_int_equal(read_eight_at_once("concurrent", "s3-multi"), 3);
    restore_env(&bound);
    /* the synchronous engine, one at a time */
    saved_env engine = set_env("MLPS_S3_ENGINE", "sync");
    assert_int_equal(read_eight_at_once("concurrent", "sync"), 1);
    restore_env(&engine);
}

/* A 23 MiB object in parts of 5 MiB (MLPS_S3_PART_SIZE, set by test_s3.sh) with `parts` in
 * flight: byte-exact, five UploadParts, and the peak of parts in flight. */
static uint32_t write_in_parallel_parts(const char *parts)
{
    saved_env saved = set_env("MLPS_S3_PARTS_IN_FLIGHT", parts);
    mlps_store *store = open_test_store("parts");
    restore_env(&saved);
    const uint64_t size = 23ull << 20;
    write_object(store, "parts.bin", size, (3u << 20) + 11);
    assert_int_equal(requests_of(store, MLPS_S3_UPLOAD_PART), 5);
    assert_int_equal(requests_of(store, MLPS_S3_COMPLETE_MULTIPART_UPLOAD), 1);
    assert_int_equal(stat_size(store, "parts.bin"), size);
    check_contents(store, "parts.bin", 0, size);
    uint32_t peak = mlps_store_s3_peak_parts_in_flight(store);
    mlps_store_close(store);
    return peak;
}

static void parts_go_up_in_parallel(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    assert_int_equal(write_in_parallel_parts("3"), 3);
    assert_int_equal(write_in_parallel_parts("1"), 1);
}

static void writes_go_front_to_back(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("sequential");
    mlps_file *file = NULL;
    mlps_error err = {0};
    char buf[16] = {0};
    assert_int_equal(mlps_file_open(store, "seq", MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err),
                     0);
    assert_int_equal(mlps_file_pwrite_full(file, buf, 16, 0, &err), 0);
    assert_int_equal(mlps_file_pwrite_full(file, buf, 16, 8, &err), -EINVAL);
    assert_non_null(strstr(err.message, "front to back"));
    assert_int_equal(mlps_file_truncate(file, 10, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
    assert_int_equal(stat_size(store, "seq"), 10);
    mlps_store_close(store);
}

typedef struct tally {
    unsigned files, dirs;
    uint64_t bytes;
} tally;

static int count_entry(const mlps_entry *entry, void *arg)
{
    tally *t = arg;
    if (entry->is_dir) {
        t->dirs++;
        assert_string_equal(entry->name, "sub");
    } else {
        t->files++;
        t->bytes += entry->size;
        assert_null(strchr(entry->name, '/'));
    }
    return 0;
}

static void listing_spans_pages(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("listing");
    enum { KEYS = 1100 };
    char name[64];
    for (unsigned i = 0; i < KEYS; i++) {
        snprintf(name, sizeof name, "many/k%04u", i);
        write_object(store, name, 1 + i % 3, 16);
    }
    write_object(store, "many/sub/inner", 5, 16);
    tally t = {0};
    mlps_error err = {0};
    if (mlps_store_list(store, "many", count_entry, &t, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(t.files, KEYS);
    assert_int_equal(t.dirs, 1);
    assert_int_equal(t.bytes, (KEYS / 3) * 6 + 1 + 2); /* sizes 1,2,3 repeating; 1100 = 3*366+2 */

    assert_int_equal(mlps_store_remove(store, "many/k0000", &err), 0);
    mlps_stat st;
    assert_int_equal(mlps_store_stat(store, "many/k0000", &st, &err), -ENOENT);
    assert_non_null(strstr(err.message, "many/k0000"));
    t = (tally){0};
    assert_int_equal(mlps_store_list(store, "many", count_entry, &t, &err), 0);
    assert_int_equal(t.files, KEYS - 1);
    mlps_store_close(store);
}

static unsigned count_listed(mlps_store *store, const char *dir)
{
    tally t = {0};
    mlps_error err = {0};
    int rc = mlps_store_list(store, dir, count_entry, &t, &err);
    if (rc != 0)
        fail_msg("%s", err.message);
    return t.files;
}

static void remove_many_deletes_a_thousand_keys_a_request(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("remove-many");
    enum { KEYS = 2500 };
    char **names = calloc(KEYS, sizeof *names);
    assert_non_null(names);
    for (unsigned i = 0; i < KEYS; i++) {
        assert_true(asprintf(&names[i], "batch/o%04u", i) > 0);
        write_object(store, names[i], 1 + i % 7, 16);
    }
    assert_int_equal(count_listed(store, "batch"), KEYS);
    uint64_t removed = 0;
    mlps_error err = {0};
    if (mlps_store_remove_many(store, (const char *const *)names, KEYS, &removed, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(removed, KEYS);
    assert_int_equal(requests_of(store, MLPS_S3_DELETE_OBJECTS), 3); /* 1000 + 1000 + 500 */
    assert_int_equal(requests_of(store, MLPS_S3_DELETE_OBJECT), 0);
    assert_int_equal(mlps_store_s3_request_failures(store, MLPS_S3_DELETE_OBJECTS), 0);
    assert_int_equal(count_listed(store, "batch"), 0);
    for (unsigned i = 0; i < KEYS; i++)
        free(names[i]);
    free(names);
    mlps_store_close(store);
}

static void remove_many_takes_odd_and_missing_keys(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("remove-odd");
    const char *present[] = {"odd/a&b<c>.npy", "odd/it's \"q\".npy", "odd/sp ace+%25.npy",
                             "odd/\xc3\xbc.npy", "odd/plain.npy"};
    enum { PRESENT = sizeof present / sizeof *present };
    for (unsigned i = 0; i < PRESENT; i++)
        write_object(store, present[i], 10 + i, 16);
    assert_int_equal(count_listed(store, "odd"), PRESENT);
    const char *paths[] = {"odd/missing.npy", present[0], present[1], present[2],
                           "odd/a&b<c>.npy.gone", present[3], present[4]};
    uint64_t removed = 0;
    mlps_error err = {0};
    if (mlps_store_remove_many(store, paths, 7, &removed, &err) != 0)
        fail_msg("%s", err.message);
    /* S3 confirms the delete of a missing key like any other: all seven count */
    assert_int_equal(removed, 7);
    assert_int_equal(requests_of(store, MLPS_S3_DELETE_OBJECTS), 1);
    assert_int_equal(count_listed(store, "odd"), 0);
    mlps_store_close(store);

    assert_int_equal(mlps_store_open("s3://no-such-bucket-mlps/x", NULL, &store, &err), 0);
    removed = 0;
    assert_int_equal(mlps_store_remove_many(store, paths, 7, &removed, &err), -ENOENT);
    assert_int_equal(removed, 0);
    assert_non_null(strstr(err.message, "remove (DeleteObjects) s3://no-such-bucket-mlps/x: "
                                        "NoSuchBucket"));
    mlps_store_close(store);
}

static void missing_object_and_bucket_are_named(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("missing");
    mlps_file *file = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_file_open(store, "no/such/key", MLPS_OPEN_READ, &file, &err), -ENOENT);
    assert_null(file);
    assert_non_null(strstr(err.message, "open s3://"));
    assert_non_null(strstr(err.message, "/no/such/key"));
    assert_non_null(strstr(err.message, "NoSuchKey"));
    mlps_store_close(store);

    assert_int_equal(mlps_store_open("s3://no-such-bucket-mlps/x", NULL, &store, &err), 0);
    mlps_stat st;
    assert_int_equal(mlps_store_stat(store, "y", &st, &err), -ENOENT);
    assert_non_null(strstr(err.message, "NoSuchBucket"));
    assert_non_null(strstr(err.message, "s3://no-such-bucket-mlps/x/y"));
    mlps_store_close(store);
}

static void abort_leaves_no_object(void **state)
{
    (void)state;
    if (!have_server())
        skip();
    mlps_store *store = open_test_store("abort");
    const size_t sizes[] = {100, (6u << 20)}; /* a single PUT never sent; a multipart upload */
    char *buf = malloc(6u << 20);
    assert_non_null(buf);
    io_test_fill(buf, 6u << 20, 0, SEED);
    for (size_t i = 0; i < 2; i++) {
        mlps_file *file = NULL;
        mlps_error err = {0};
        assert_int_equal(mlps_file_open(store, "aborted", MLPS_OPEN_WRITE | MLPS_OPEN_CREATE |
                                                              MLPS_OPEN_ATOMIC,
                                        &file, &err),
                         0);
        assert_int_equal(mlps_file_pwrite_full(file, buf, sizes[i], 0, &err), 0);
        mlps_file_abort(file);
        mlps_stat st;
        assert_int_equal(mlps_store_stat(store, "aborted", &st, &err), -ENOENT);
    }
    free(buf);
    mlps_store_close(store);
}

static void refused_connection_fails_after_bounded_retries(void **state)
{
    (void)state;
    saved_env env[] = {
        set_env("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
        set_env("AWS_ACCESS_KEY_ID", "AKIDSHOWNNOWHERE"),
        set_env("AWS_SECRET_ACCESS_KEY", "secret-shown-nowhere"),
        set_env("MLPS_S3_MAX_ATTEMPTS", "2"),
    };
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("s3://bucket/prefix", NULL, &store, &err), 0);
    mlps_stat st;
    assert_int_equal(mlps_store_stat(store, "obj", &st, &err), -ECONNREFUSED);
    assert_non_null(strstr(err.message, "stat s3://bucket/prefix/obj"));
    assert_non_null(strstr(err.message, "cannot reach the endpoint http://127.0.0.1:1"));
    assert_non_null(strstr(err.message, "after 2 attempts"));
    assert_null(strstr(err.message, "secret-shown-nowhere"));
    assert_null(strstr(err.message, "AKIDSHOWNNOWHERE"));
    assert_int_equal(mlps_store_s3_retries(store), 1);
    /* one request, two attempts: one HeadObject sample, failed */
    mlps_hist hist;
    mlps_store_s3_request_latency(store, MLPS_S3_HEAD_OBJECT, &hist);
    assert_int_equal(mlps_hist_count(&hist), 1);
    assert_int_equal(mlps_store_s3_request_failures(store, MLPS_S3_HEAD_OBJECT), 1);
    mlps_store_s3_request_latency(store, MLPS_S3_GET_OBJECT, &hist);
    assert_int_equal(mlps_hist_count(&hist), 0);
    mlps_store_close(store);
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
        restore_env(&env[i]);
}

static void configuration_errors_name_the_setting(void **state)
{
    (void)state;
    saved_env env[] = {
        set_env("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
        set_env("AWS_ACCESS_KEY_ID", "AKID"),
        set_env("AWS_SECRET_ACCESS_KEY", NULL),
        set_env("MLPS_S3_MAX_ATTEMPTS", NULL),
    };
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("s3://bucket/p", NULL, &store, &err), -EINVAL);
    assert_non_null(strstr(err.message, "AWS_SECRET_ACCESS_KEY"));
    assert_int_equal(err.exit_status, 2);

    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    setenv("MLPS_S3_MAX_ATTEMPTS", "0", 1);
    assert_int_equal(mlps_store_open("s3://bucket/p", NULL, &store, &err), -EINVAL);
    assert_non_null(strstr(err.message, "MLPS_S3_MAX_ATTEMPTS='0'"));
    unsetenv("MLPS_S3_MAX_ATTEMPTS");

    assert_int_equal(mlps_store_open("s3://", NULL, &store, &err), -EINVAL);
    assert_non_null(strstr(err.message, "needs a bucket"));

    assert_int_equal(mlps_store_open("s3://bucket/p", NULL, &store, &err), 0);
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(store, "x", MLPS_OPEN_READ | MLPS_OPEN_WRITE, &file, &err),
                     -EINVAL);
    assert_non_null(strstr(err.message, "not both"));
    mlps_store_close(store);
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
        restore_env(&env[i]);
}

int main(void)
{
    if (!have_server())
        fprintf(stderr, "test_io_s3: AWS_ENDPOINT_URL is not set; the server checks are skipped "
                        "(tests/integration/test_s3.sh runs them against s3rver)\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(configuration_errors_name_the_setting),
        cmocka_unit_test(refused_connection_fails_after_bounded_retries),
        cmocka_unit_test(small_object_round_trip),
        cmocka_unit_test(multipart_object_round_trip_and_ranges),
        cmocka_unit_test(request_latencies_count_each_request),
        cmocka_unit_test(writes_go_front_to_back),
        cmocka_unit_test(listing_spans_pages),
        cmocka_unit_test(remove_many_deletes_a_thousand_keys_a_request),
        cmocka_unit_test(remove_many_takes_odd_and_missing_keys),
        cmocka_unit_test(missing_object_and_bucket_are_named),
        cmocka_unit_test(abort_leaves_no_object),
        cmocka_unit_test(queue_reads_are_in_flight_together),
        cmocka_unit_test(parts_go_up_in_parallel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
