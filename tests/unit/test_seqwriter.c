/* The sequential writer on file:// and direct://: files of every awkward size (empty, one byte,
 * around a block, several blocks and a tail) come back byte for byte, from write(), from
 * write_random() (checked against mlps_fill_random_at) and from both mixed, at depth 1 and 8; the
 * sink adapter; one latency per request; abort and atomic publication; refused block sizes; a
 * write failure (the file size limit) reported once and repeated, with the file discarded; and
 * release, which hands the complete file over unpublished, or after a failure nothing. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "core/fill.h"
#include "formats/sink_seqwriter.h"
#include "io/seqwriter.h"
#include "io_test_util.h"

#define SEED 0x5eed
#define STREAM 3

typedef struct fixture {
    char dir[1024];
    char uri[1200];
    mlps_store *store;   /* the scheme under test */
    mlps_store *checker; /* file:// on the same directory, to read back anything */
    size_t block;        /* the writer's block size: two alignment units */
    unsigned char *expected;
    unsigned char *actual;
} fixture;

static int setup_scheme(void **state, const char *scheme)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    io_test_make_dir(scheme, f->dir, sizeof f->dir);
    snprintf(f->uri, sizeof f->uri, "%s://%s", scheme, f->dir);
    if (strcmp(scheme, "direct") == 0 && !io_test_dir_takes_o_direct(f->dir))
        return 0; /* the tests skip */
    char checker_uri[1200];
    snprintf(checker_uri, sizeof checker_uri, "file://%s", f->dir);
    mlps_error err = {0};
    if (mlps_store_open(f->uri, NULL, &f->store, &err) != 0 ||
        mlps_store_open(checker_uri, NULL, &f->checker, &err) != 0)
        return -1;
    size_t alignment = mlps_store_alignment(f->store);
    f->block = 2 * (alignment > 4096 ? alignment : 4096);
    return 0;
}

static int setup_file(void **state) { return setup_scheme(state, "file"); }
static int setup_direct(void **state) { return setup_scheme(state, "direct"); }

static int teardown(void **state)
{
    fixture *f = *state;
    mlps_store_close(f->store);
    mlps_store_close(f->checker);
    io_test_remove_tree(f->dir);
    free(f->expected);
    free(f->actual);
    free(f);
    return 0;
}

/* Room for n bytes of expected and actual content. */
static void reserve(fixture *f, size_t n)
{
    free(f->expected);
    free(f->actual);
    f->expected = calloc(1, n + 1);
    f->actual = calloc(1, n + 1);
    assert_non_null(f->expected);
    assert_non_null(f->actual);
}

static mlps_seqwriter *open_writer(fixture *f, const char *path, int extra, unsigned depth)
{
    mlps_seqwriter *w = NULL;
    mlps_error err = {0};
    int rc = mlps_seqwriter_open(f->store, path, extra, f->block, depth, &w, &err);
    if (rc != 0)
        fail_msg("%s", err.message);
    return w;
}

static void close_writer(mlps_seqwriter *w)
{
    mlps_error err = {0};
    int rc = mlps_seqwriter_close(w, &err);
    if (rc != 0)
        fail_msg("%s", err.message);
}

/* Asserts path holds exactly the first n bytes of f->expected. */
static void expect_file(fixture *f, const char *path, size_t n)
{
    mlps_stat st;
    mlps_error err = {0};
    assert_int_equal(mlps_store_stat(f->checker, path, &st, &err), 0);
    assert_int_equal(st.size, n);
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(f->checker, path, MLPS_OPEN_READ, &file, &err), 0);
    memset(f->actual, 0xee, n);
    assert_int_equal(mlps_file_pread_full(file, f->actual, n, 0, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
    assert_memory_equal(f->actual, f->expected, n);
}

static bool exists(fixture *f, const char *path)
{
    mlps_stat st;
    return mlps_store_stat(f->checker, path, &st, NULL) == 0;
}

static void round_trip_random(fixture *f, size_t n, unsigned depth)
{
    reserve(f, n);
    mlps_fill_random_at(f->expected, n, SEED, STREAM, 0);
    mlps_seqwriter *w = open_writer(f, "r.bin", 0, depth);
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_write_random(w, n, SEED, STREAM, 0, &err), 0);
    assert_int_equal(mlps_seqwriter_bytes(w), n);
    close_writer(w);
    expect_file(f, "r.bin", n);
}

static void test_every_awkward_size_round_trips(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    size_t b = f->block;
    const size_t sizes[] = {0, 1, b - 1, b, b + 1, 5 * b + 4097, 9 * b + 3};
    const unsigned depths[] = {1, 8};
    for (size_t d = 0; d < 2; d++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            round_trip_random(f, sizes[i], depths[d]);
}

/* Lengths that straddle blocks and generator blocks in every way. */
static const size_t piece_lengths[] = {1, 4095, 4097, 8191, 3, 20000, 0, 12289, 7, 16384, 5};
#define PIECES (sizeof piece_lengths / sizeof piece_lengths[0])

static size_t pieces_total(void)
{
    size_t total = 0;
    for (size_t i = 0; i < PIECES; i++)
        total += piece_lengths[i];
    return total;
}

static void test_mixed_copies_and_generated_pieces_round_trip(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    size_t n = pieces_total();
    reserve(f, n);
    unsigned char *copied = malloc(n);
    assert_non_null(copied);
    io_test_fill(copied, n, 0, 42);
    for (unsigned depth = 1; depth <= 8; depth += 7) {
        mlps_seqwriter *w = open_writer(f, "mixed.bin", 0, depth);
        mlps_error err = {0};
        size_t at = 0;
        for (size_t i = 0; i < PIECES; i++) {
            size_t len = piece_lengths[i];
            /* generated pieces start at an offset of their own, mid generator block */
            uint64_t offset = 1000 + 31 * at;
            if (i % 2 == 0) {
                memcpy(f->expected + at, copied + at, len);
                assert_int_equal(mlps_seqwriter_write(w, copied + at, len, &err), 0);
            } else {
                mlps_fill_random_at(f->expected + at, len, SEED, i, offset);
                assert_int_equal(mlps_seqwriter_write_random(w, len, SEED, i, offset, &err), 0);
            }
            at += len;
            assert_int_equal(mlps_seqwriter_bytes(w), at);
        }
        close_writer(w);
        expect_file(f, "mixed.bin", n);
    }
    free(copied);
}

static void test_the_sink_adapter_appends_through_the_writer(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    const char header[] = "HEADER";
    size_t payload = 3 * f->block + 11, zeros = 100;
    size_t n = sizeof header + payload + zeros;
    reserve(f, n);
    memcpy(f->expected, header, sizeof header);
    mlps_fill_random_at(f->expected + sizeof header, payload, SEED, STREAM, 64);

    mlps_seqwriter *w = open_writer(f, "sink.bin", 0, 4);
    mlps_sink sink;
    mlps_seqwriter_sink(w, &sink);
    assert_non_null(sink.write_random); /* generated in place, not through a scratch copy */
    mlps_error err = {0};
    assert_int_equal(mlps_sink_write(&sink, header, sizeof header, &err), 0);
    assert_int_equal(mlps_sink_write_random(&sink, payload, SEED, STREAM, 64, &err), 0);
    assert_int_equal(mlps_sink_write_zeros(&sink, zeros, &err), 0);
    assert_int_equal(sink.written, n);
    assert_int_equal(mlps_seqwriter_bytes(w), n);
    close_writer(w);
    expect_file(f, "sink.bin", n);
}

static void test_every_request_records_one_latency(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    mlps_hist hist;
    mlps_hist_init(&hist);
    mlps_seqwriter *w = open_writer(f, "lat.bin", 0, 2);
    mlps_seqwriter_record_latency(w, &hist);
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_write_random(w, 6 * f->block + 1, SEED, STREAM, 0, &err), 0);
    close_writer(w);
    assert_int_equal(mlps_hist_count(&hist), 7); /* six full blocks and the tail */
    assert_true(mlps_hist_min(&hist) > 0);
}

static void test_abort_removes_the_file(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    mlps_seqwriter *w = open_writer(f, "gone.bin", 0, 4);
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_write_random(w, 10 * f->block + 5, SEED, STREAM, 0, &err), 0);
    mlps_seqwriter_abort(w);
    assert_false(exists(f, "gone.bin"));
}

static void test_atomic_writes_publish_only_at_close(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    size_t n = 4 * f->block + 999;
    reserve(f, n);
    mlps_fill_random_at(f->expected, n, SEED, STREAM, 0);

    mlps_seqwriter *w = open_writer(f, "sub/a.bin", MLPS_OPEN_ATOMIC, 3);
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_write_random(w, n, SEED, STREAM, 0, &err), 0);
    assert_false(exists(f, "sub/a.bin"));
    close_writer(w);
    expect_file(f, "sub/a.bin", n);
    uint64_t leftovers = 0;
    assert_int_equal(mlps_store_remove_partials(f->store, "sub", &leftovers, &err), 0);
    assert_int_equal(leftovers, 0);

    w = open_writer(f, "sub/b.bin", MLPS_OPEN_ATOMIC, 3);
    assert_int_equal(mlps_seqwriter_write_random(w, n, SEED, STREAM, 0, &err), 0);
    mlps_seqwriter_abort(w);
    assert_false(exists(f, "sub/b.bin"));
    assert_int_equal(mlps_store_remove_partials(f->store, "sub", &leftovers, &err), 0);
    assert_int_equal(leftovers, 0);
}

static void test_release_hands_over_the_open_file_unpublished(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    size_t n = 3 * f->block + 17;
    reserve(f, n);
    mlps_fill_random_at(f->expected, n, SEED, STREAM, 0);
    mlps_seqwriter *w = open_writer(f, "held.bin", MLPS_OPEN_ATOMIC, 2);
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_write_random(w, n, SEED, STREAM, 0, &err), 0);
    mlps_file *file = NULL;
    assert_int_equal(mlps_seqwriter_release(w, &file, &err), 0);
    assert_non_null(file);
    assert_int_equal(mlps_file_size(file), n);
    assert_false(exists(f, "held.bin"));
    assert_int_equal(mlps_file_close(file, &err), 0);
    expect_file(f, "held.bin", n);
}

static void test_block_sizes_off_the_alignment_are_refused(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    size_t alignment = mlps_store_alignment(f->store);
    if (alignment == 1)
        skip(); /* any block size suits file:// */
    mlps_seqwriter *w = (mlps_seqwriter *)0x1;
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_open(f->store, "x.bin", 0, alignment + 512, 4, &w, &err),
                     -EINVAL);
    assert_null(w);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    char expected[1400];
    snprintf(expected, sizeof expected,
             "sequential writer for %s/x.bin: block size %zu must be a positive multiple of the "
             "store's alignment %zu",
             f->uri, alignment + 512, alignment);
    assert_string_equal(err.message, expected);
    assert_false(exists(f, "x.bin"));
}

static void test_any_block_size_suits_buffered_files(void **state)
{
    fixture *f = *state;
    size_t n = 10 * 1000 + 1;
    reserve(f, n);
    mlps_fill_random_at(f->expected, n, SEED, STREAM, 0);
    mlps_seqwriter *w = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_open(f->store, "odd.bin", 0, 1000, 3, &w, &err), 0);
    assert_int_equal(mlps_seqwriter_write_random(w, n, SEED, STREAM, 0, &err), 0);
    close_writer(w);
    expect_file(f, "odd.bin", n);
}

static void test_a_depth_of_zero_is_refused_before_creating_the_file(void **state)
{
    fixture *f = *state;
    mlps_seqwriter *w = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_open(f->store, "x.bin", 0, f->block, 0, &w, &err), -EINVAL);
    assert_null(w);
    assert_non_null(strstr(err.message, "depth 0 must be in 1..4096"));
    assert_false(exists(f, "x.bin"));
}

/* The file size limit turns a write past it into EFBIG: a failure the tests can cause. Closing or
 * releasing the writer afterwards repeats it and discards the file. */
static void fail_a_write(fixture *f, bool release)
{
    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    void (*saved_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit limited = {.rlim_cur = 2 * f->block, .rlim_max = saved.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limited), 0);

    mlps_seqwriter *w = open_writer(f, "big.bin", 0, 1); /* in order: the first failure is known */
    mlps_error err = {0};
    int rc = 0;
    for (int i = 0; i < 16 && rc == 0; i++)
        rc = mlps_seqwriter_write_random(w, f->block, SEED, STREAM, i * f->block, &err);
    if (rc == 0)
        rc = mlps_seqwriter_close(w, &err);
    else if (release) {
        mlps_file *file = (mlps_file *)0x1;
        mlps_error releasing = {0};
        assert_int_equal(mlps_seqwriter_release(w, &file, &releasing), rc);
        assert_null(file);
        assert_string_equal(releasing.message, err.message);
    } else {
        mlps_error again = {0};
        assert_int_equal(mlps_seqwriter_write(w, "x", 1, &again), rc);
        assert_string_equal(again.message, err.message);
        mlps_error closing = {0};
        assert_int_equal(mlps_seqwriter_close(w, &closing), rc);
        assert_string_equal(closing.message, err.message);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, saved_handler);

    assert_int_equal(rc, -EFBIG);
    char expected[1400];
    snprintf(expected, sizeof expected, "write %s/big.bin at offset %zu (%zu bytes): %s", f->uri,
             2 * f->block, f->block, strerror(EFBIG));
    assert_string_equal(err.message, expected);
    assert_false(exists(f, "big.bin"));
}

static void test_a_failed_write_is_reported_repeated_and_discarded(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    fail_a_write(f, false);
}

static void test_releasing_after_a_failed_write_hands_over_nothing(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    fail_a_write(f, true);
}

static void test_null_accepts_a_large_atomic_file(void **state)
{
    (void)state;
    mlps_store *store = NULL;
    mlps_seqwriter *w = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("null://", NULL, &store, &err), 0);
    assert_int_equal(mlps_seqwriter_open(store, "big", MLPS_OPEN_ATOMIC, 1 << 16, 4, &w, &err), 0);
    mlps_hist hist;
    mlps_hist_init(&hist);
    mlps_seqwriter_record_latency(w, &hist);
    uint64_t n = (64u << 20) + 3;
    assert_int_equal(mlps_seqwriter_write_random(w, n, SEED, STREAM, 0, &err), 0);
    assert_string_equal(mlps_seqwriter_engine(w), "sync");
    assert_int_equal(mlps_seqwriter_close(w, &err), 0);
    assert_int_equal(mlps_hist_count(&hist), 1025);
    mlps_stat st;
    assert_int_equal(mlps_store_stat(store, "big", &st, &err), 0);
    assert_int_equal(st.size, n);
    mlps_store_close(store);
}

/* One pool serves file after file: each comes back whole, every buffer returns to the pool when
 * its writer is done, and the pool outlives the writers. */
static void test_a_pool_serves_one_file_after_another(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    mlps_bufpool *pool = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_bufpool_create(f->block, 3, mlps_store_alignment(f->store), &pool, &err), 0);
    const size_t sizes[] = {5 * f->block + 17, 1, 3 * f->block};
    reserve(f, 5 * f->block + 17);
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d.bin", i);
        mlps_fill_random_at(f->expected, sizes[i], SEED, (uint64_t)i, 0);
        mlps_seqwriter *w = NULL;
        assert_int_equal(mlps_seqwriter_open_pooled(f->store, name, MLPS_OPEN_ATOMIC, pool, &w, &err), 0);
        assert_int_equal(mlps_bufpool_available(pool), 0); /* the writer holds every buffer */
        assert_int_equal(mlps_seqwriter_write_random(w, sizes[i], SEED, (uint64_t)i, 0, &err), 0);
        close_writer(w);
        assert_int_equal(mlps_bufpool_available(pool), 3);
        expect_file(f, name, sizes[i]);
    }
    mlps_bufpool_destroy(pool);
}

/* A pool whose buffers are not aligned for the store is refused before the file exists. */
static void test_a_pool_off_the_alignment_is_refused(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    mlps_bufpool *pool = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_bufpool_create(f->block, 2, 512, &pool, &err), 0);
    mlps_seqwriter *w = NULL;
    assert_int_equal(mlps_seqwriter_open_pooled(f->store, "odd.bin", 0, pool, &w, &err), -EINVAL);
    assert_non_null(strstr(err.message, "alignment 512"));
    assert_false(exists(f, "odd.bin"));
    mlps_bufpool_destroy(pool);
}

#define FILE_CASE(test) cmocka_unit_test_setup_teardown(test, setup_file, teardown)
#define DIRECT_CASE(test) cmocka_unit_test_setup_teardown(test, setup_direct, teardown)
#define BOTH(test) FILE_CASE(test), DIRECT_CASE(test)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_every_awkward_size_round_trips),
        BOTH(test_mixed_copies_and_generated_pieces_round_trip),
        BOTH(test_the_sink_adapter_appends_through_the_writer),
        BOTH(test_every_request_records_one_latency),
        BOTH(test_abort_removes_the_file),
        BOTH(test_atomic_writes_publish_only_at_close),
        DIRECT_CASE(test_block_sizes_off_the_alignment_are_refused),
        FILE_CASE(test_any_block_size_suits_buffered_files),
        FILE_CASE(test_a_depth_of_zero_is_refused_before_creating_the_file),
        BOTH(test_a_failed_write_is_reported_repeated_and_discarded),
        BOTH(test_release_hands_over_the_open_file_unpublished),
        BOTH(test_releasing_after_a_failed_write_hands_over_nothing),
        BOTH(test_a_pool_serves_one_file_after_another),
        DIRECT_CASE(test_a_pool_off_the_alignment_is_refused),
        cmocka_unit_test(test_null_accepts_a_large_atomic_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
