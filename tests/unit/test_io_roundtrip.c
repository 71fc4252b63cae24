/* Storage layer: data written through each backend and engine reads back byte for byte, through
 * a depth-16 queue with many requests in flight and through the synchronous helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "io/store.h"
#include "io_test_util.h"

#define DEPTH 16
#define SEED 0x5eedULL

typedef struct roundtrip {
    const char *scheme;
    mlps_io_engine engine;
    const char *engine_name;
    bool mixed_sizes; /* else every request is one 64 KiB block */
    char dir[1024];
} roundtrip;

/* Request lengths cycle through these when mixed, so offsets and the tail are unaligned. */
static const size_t mixed_lengths[] = {65536, 4096, 100, 12345, 1, 131072, 777};
#define MIXED_COUNT (sizeof mixed_lengths / sizeof mixed_lengths[0])
#define BLOCK 65536
#define REQUESTS 48

static size_t request_length(const roundtrip *rt, unsigned i)
{
    return rt->mixed_sizes ? mixed_lengths[i % MIXED_COUNT] : BLOCK;
}

static size_t total_length(const roundtrip *rt)
{
    size_t total = 0;
    for (unsigned i = 0; i < REQUESTS; i++)
        total += request_length(rt, i);
    return total;
}

static int make_dir(void **state)
{
    roundtrip *rt = *state;
    io_test_make_dir(rt->scheme, rt->dir, sizeof rt->dir);
    return 0;
}

static int remove_dir(void **state)
{
    roundtrip *rt = *state;
    io_test_remove_tree(rt->dir);
    return 0;
}

static mlps_store *open_store(const char *scheme, const char *dir, mlps_io_engine engine)
{
    char uri[1200];
    snprintf(uri, sizeof uri, "%s://%s", scheme, dir);
    mlps_store_options opts = {.engine = engine};
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(uri, &opts, &store, &err), 0);
    assert_string_equal(mlps_store_uri(store), uri);
    return store;
}

static void check_timestamps(const mlps_io_req *req)
{
    assert_true(req->submit_ns > 0);
    assert_true(req->complete_ns >= req->submit_ns);
}

/* Moves data (total bytes, one request per piece) through the queue in increasing offsets,
 * keeping the queue as full as it goes; returns the most requests seen in flight. */
static unsigned transfer_async(const roundtrip *rt, mlps_ioq *q, mlps_file *file, int op,
                               char *data)
{
    mlps_io_req reqs[REQUESTS];
    unsigned next = 0, completed = 0, most_inflight = 0;
    uint64_t offset = 0;
    while (completed < REQUESTS) {
        mlps_io_req *batch[DEPTH];
        unsigned n = 0;
        while (next < REQUESTS && mlps_ioq_inflight(q) + n < DEPTH) {
            size_t len = request_length(rt, next);
            reqs[next] = (mlps_io_req){.file = file, .op = op, .offset = offset,
                                       .buf = data + offset, .len = len, .user = &reqs[next]};
            offset += len;
            batch[n++] = &reqs[next++];
        }
        mlps_error err = {0};
        assert_int_equal(mlps_ioq_submit(q, batch, n, &err), 0);
        if (mlps_ioq_inflight(q) > most_inflight)
            most_inflight = mlps_ioq_inflight(q);
        mlps_io_req *done[DEPTH];
        int got = mlps_ioq_reap(q, done, DEPTH, 1, &err);
        assert_true(got >= 1);
        for (int i = 0; i < got; i++) {
            assert_ptr_equal(done[i]->user, done[i]);
            assert_int_equal(done[i]->result, (int64_t)done[i]->len);
            check_timestamps(done[i]);
        }
        completed += (unsigned)got;
    }
    assert_int_equal(mlps_ioq_inflight(q), 0);
    return most_inflight;
}

static void test_async_roundtrip(void **state)
{
    roundtrip *rt = *state;
    if (strcmp(rt->scheme, "direct") == 0 && !io_test_dir_takes_o_direct(rt->dir))
        skip();
    mlps_store *store = open_store(rt->scheme, rt->dir, rt->engine);
    size_t total = total_length(rt);
    char *written = io_test_aligned_alloc(4096, total);
    char *read_back = io_test_aligned_alloc(4096, total);
    io_test_fill(written, total, 0, SEED);
    memset(read_back, 0, total);

    mlps_error err = {0};
    mlps_ioq *q = NULL;
    assert_int_equal(mlps_ioq_create(store, DEPTH, &q, &err), 0);
    assert_string_equal(mlps_ioq_engine(q), rt->engine_name);
    assert_int_equal(mlps_ioq_depth(q), DEPTH);

    mlps_file *file = NULL;
    int write_flags = MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_TRUNCATE;
    assert_int_equal(mlps_file_open(store, "sub/data.bin", write_flags, &file, &err), 0);
    assert_int_equal(transfer_async(rt, q, file, MLPS_IO_WRITE, written), DEPTH);
    assert_int_equal(mlps_file_size(file), total);
    assert_int_equal(mlps_file_close(file, &err), 0);

    assert_int_equal(mlps_file_open(store, "sub/data.bin", MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(mlps_file_size(file), total);
    assert_int_equal(transfer_async(rt, q, file, MLPS_IO_READ, read_back), DEPTH);
    assert_int_equal(io_test_mismatch(read_back, total, 0, SEED), total);
    assert_int_equal(mlps_file_close(file, &err), 0);

    mlps_ioq_destroy(q);
    mlps_store_close(store);
    free(written);
    free(read_back);
}

/* Writes pieces of the pattern with the synchronous helper, then reads them back one by one. */
static void write_and_read_pieces(mlps_store *store, const char *name, const size_t *lengths,
                                  unsigned count)
{
    size_t total = 0;
    for (unsigned i = 0; i < count; i++)
        total += lengths[i];
    char *data = io_test_aligned_alloc(4096, total);
    io_test_fill(data, total, 0, SEED + 1);
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(store, name, MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err),
                     0);
    for (size_t i = 0, offset = 0; i < count; offset += lengths[i++])
        assert_int_equal(mlps_file_pwrite_full(file, data + offset, lengths[i], offset, &err), 0);
    assert_int_equal(mlps_file_size(file), total);
    assert_int_equal(mlps_file_close(file, &err), 0);

    memset(data, 0, total);
    assert_int_equal(mlps_file_open(store, name, MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(mlps_file_size(file), total);
    for (size_t i = 0, offset = 0; i < count; offset += lengths[i++])
        assert_int_equal(mlps_file_pread_full(file, data + offset, lengths[i], offset, &err), 0);
    assert_int_equal(io_test_mismatch(data, total, 0, SEED + 1), total);
    assert_int_equal(mlps_file_close(file, &err), 0);
    free(data);
}

static void test_sync_helpers_roundtrip_with_unaligned_tail(void **state)
{
    roundtrip *rt = *state;
    mlps_store *store = open_store("file", rt->dir, MLPS_ENGINE_AUTO);
    write_and_read_pieces(store, "helpers.bin", mixed_lengths, MIXED_COUNT);
    mlps_stat st;
    mlps_error err = {0};
    assert_int_equal(mlps_store_stat(store, "helpers.bin", &st, &err), 0);
    assert_int_equal(st.size, 65536 + 4096 + 100 + 12345 + 1 + 131072 + 777);
    mlps_store_close(store);
}

static void test_sync_helpers_direct_roundtrip(void **state)
{
    roundtrip *rt = *state;
    if (!io_test_dir_takes_o_direct(rt->dir))
        skip();
    mlps_store *store = open_store("direct", rt->dir, MLPS_ENGINE_AUTO);
    size_t a = mlps_store_alignment(store);
    const size_t lengths[] = {a, 16 * a, 3 * a, 64 * a};
    write_and_read_pieces(store, "helpers-direct.bin", lengths, 4);
    mlps_store_close(store);
}

/* The padded-last-block recipe for O_DIRECT files whose size is not a multiple of the alignment. */
static void test_direct_unaligned_size_by_padding_and_truncate(void **state)
{
    roundtrip *rt = *state;
    if (!io_test_dir_takes_o_direct(rt->dir))
        skip();
    mlps_store *direct = open_store("direct", rt->dir, MLPS_ENGINE_AUTO);
    size_t a = mlps_store_alignment(direct);
    size_t size = 3 * a + 100, padded = 4 * a;
    char *data = io_test_aligned_alloc(a, padded);
    io_test_fill(data, padded, 0, SEED + 2);
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(
        mlps_file_open(direct, "tail.bin", MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err), 0);
    assert_int_equal(mlps_file_pwrite_full(file, data, padded, 0, &err), 0);
    assert_int_equal(mlps_file_truncate(file, size, &err), 0);
    assert_int_equal(mlps_file_size(file), size);
    assert_int_equal(mlps_file_close(file, &err), 0);

    mlps_store *buffered = open_store("file", rt->dir, MLPS_ENGINE_AUTO);
    memset(data, 0, padded);
    assert_int_equal(mlps_file_open(buffered, "tail.bin", MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(mlps_file_size(file), size);
    assert_int_equal(mlps_file_pread_full(file, data, size, 0, &err), 0);
    assert_int_equal(io_test_mismatch(data, size, 0, SEED + 2), size);
    assert_int_equal(mlps_file_close(file, &err), 0);
    mlps_store_close(buffered);
    mlps_store_close(direct);
    free(data);
}

static void write_pattern_file(mlps_store *store, const char *name, size_t size, uint64_t seed)
{
    char *data = malloc(size);
    io_test_fill(data, size, 0, seed);
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(store, name, MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err),
                     0);
    assert_int_equal(mlps_file_pwrite_full(file, data, size, 0, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
    free(data);
}

static int64_t read_one_async(mlps_ioq *q, mlps_file *file, void *buf, size_t len, uint64_t off)
{
    mlps_io_req req = {.file = file, .op = MLPS_IO_READ, .offset = off, .buf = buf, .len = len};
    mlps_io_req *one = &req, *done = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_ioq_submit(q, &one, 1, &err), 0);
    assert_int_equal(mlps_ioq_reap(q, &done, 1, 1, &err), 1);
    assert_ptr_equal(done, &req);
    check_timestamps(&req);
    return req.result;
}

static void test_read_past_end_of_file(void **state)
{
    roundtrip *rt = *state;
    mlps_store *store = open_store("file", rt->dir, rt->engine);
    write_pattern_file(store, "short.bin", 10000, SEED + 3);
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(store, "short.bin", MLPS_OPEN_READ, &file, &err), 0);
    mlps_ioq *q = NULL;
    assert_int_equal(mlps_ioq_create(store, 4, &q, &err), 0);
    char buf[16384];
    assert_int_equal(read_one_async(q, file, buf, sizeof buf, 0), 10000);
    assert_int_equal(io_test_mismatch(buf, 10000, 0, SEED + 3), 10000);
    assert_int_equal(read_one_async(q, file, buf, sizeof buf, 9000), 1000);
    assert_int_equal(read_one_async(q, file, buf, sizeof buf, 20000), 0);

    assert_int_equal(mlps_file_pread_full(file, buf, 2000, 9000, &err), -ENODATA);
    assert_int_equal(err.exit_status, MLPS_EXIT_RUN_FAILED);
    char expected[1400];
    snprintf(expected, sizeof expected,
             "read file://%s/short.bin at offset 9000: end of file after 1000 of 2000 bytes",
             rt->dir);
    assert_string_equal(err.message, expected);
    mlps_ioq_destroy(q);
    assert_int_equal(mlps_file_close(file, &err), 0);
    mlps_store_close(store);
}

/* One queue serves requests on several files at once. */
static void test_one_queue_many_files(void **state)
{
    roundtrip *rt = *state;
    mlps_store *store = open_store("file", rt->dir, rt->engine);
    write_pattern_file(store, "a.bin", 8192, 11);
    write_pattern_file(store, "b.bin", 8192, 22);
    mlps_error err = {0};
    mlps_file *a = NULL, *b = NULL;
    assert_int_equal(mlps_file_open(store, "a.bin", MLPS_OPEN_READ, &a, &err), 0);
    assert_int_equal(mlps_file_open(store, "b.bin", MLPS_OPEN_READ, &b, &err), 0);
    mlps_ioq *q = NULL;
    assert_int_equal(mlps_ioq_create(store, 8, &q, &err), 0);
    static char bufs[8][2048];
    mlps_io_req reqs[8];
    mlps_io_req *ptrs[8];
    for (unsigned i = 0; i < 8; i++) {
        reqs[i] = (mlps_io_req){.file = i % 2 ? b : a, .op = MLPS_IO_READ,
                                .offset = (i / 2) * 2048, .buf = bufs[i], .len = 2048};
        ptrs[i] = &reqs[i];
    }
    assert_int_equal(mlps_ioq_submit(q, ptrs, 8, &err), 0);
    assert_int_equal(mlps_ioq_inflight(q), 8);
    mlps_io_req *done[8];
    unsigned reaped = 0;
    while (reaped < 8) {
        int got = mlps_ioq_reap(q, done, 8, 8 - reaped, &err);
        assert_true(got > 0);
        reaped += (unsigned)got;
    }
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(reqs[i].result, 2048);
        assert_int_equal(io_test_mismatch(bufs[i], 2048, reqs[i].offset, i % 2 ? 22 : 11), 2048);
    }
    mlps_ioq_destroy(q);
    mlps_file_close(a, &err);
    mlps_file_close(b, &err);
    mlps_store_close(store);
}

/* Destroying a queue with requests in flight waits for them instead of leaving the kernel
 * writing into freed memory. */
static void test_destroy_waits_for_inflight(void **state)
{
    roundtrip *rt = *state;
    mlps_store *store = open_store("file", rt->dir, rt->engine);
    write_pattern_file(store, "c.bin", 65536, 33);
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(store, "c.bin", MLPS_OPEN_READ, &file, &err), 0);
    mlps_ioq *q = NULL;
    assert_int_equal(mlps_ioq_create(store, 4, &q, &err), 0);
    char *buf = malloc(4 * 16384);
    mlps_io_req reqs[4];
    mlps_io_req *ptrs[4];
    for (unsigned i = 0; i < 4; i++) {
        reqs[i] = (mlps_io_req){.file = file, .op = MLPS_IO_READ, .offset = i * 16384,
                                .buf = buf + i * 16384, .len = 16384};
        ptrs[i] = &reqs[i];
    }
    assert_int_equal(mlps_ioq_submit(q, ptrs, 4, &err), 0);
    mlps_ioq_destroy(q);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(reqs[i].result, 16384);
    assert_int_equal(io_test_mismatch(buf, 65536, 0, 33), 65536);
    free(buf);
    mlps_file_close(file, &err);
    mlps_store_close(store);
}

#define CASE(label, test, params)                                                                \
    {.name = label, .test_func = test, .setup_func = make_dir, .teardown_func = remove_dir,         \
     .initial_state = params}

int main(void)
{
    static roundtrip file_uring = {"file", MLPS_ENGINE_URING, "io_uring", true, ""};
    static roundtrip file_sync = {"file", MLPS_ENGINE_SYNC, "sync", true, ""};
    static roundtrip direct_uring = {"direct", MLPS_ENGINE_URING, "io_uring", false, ""};
    static roundtrip direct_sync = {"direct", MLPS_ENGINE_SYNC, "sync", false, ""};
    static roundtrip helpers = {"helpers", MLPS_ENGINE_AUTO, "", false, ""};
    const struct CMUnitTest tests[] = {
        CASE("file:// io_uring async round trip, mixed sizes", test_async_roundtrip, &file_uring),
        CASE("file:// sync-engine async round trip, mixed sizes", test_async_roundtrip, &file_sync),
        CASE("direct:// io_uring async round trip", test_async_roundtrip, &direct_uring),
        CASE("direct:// sync-engine async round trip", test_async_roundtrip, &direct_sync),
        CASE("file:// helpers round trip, unaligned tail", test_sync_helpers_roundtrip_with_unaligned_tail, &helpers),
        CASE("direct:// helpers round trip", test_sync_helpers_direct_roundtrip, &helpers),
        CASE("direct:// unaligned size by padding and truncate", test_direct_unaligned_size_by_padding_and_truncate, &helpers),
        CASE("io_uring read past end of file", test_read_past_end_of_file, &file_uring),
        CASE("sync-engine read past end of file", test_read_past_end_of_file, &file_sync),
        CASE("io_uring one queue, many files", test_one_queue_many_files, &file_uring),
        CASE("sync-engine one queue, many files", test_one_queue_many_files, &file_sync),
        CASE("io_uring destroy waits for in-flight requests", test_destroy_waits_for_inflight, &file_uring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
