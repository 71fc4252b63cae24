/* null://: moves no bytes yet returns the counts a real store would, and reports one object
 * size for every path (configured, or learned from the first file written). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "io/store.h"
#include "io_test_util.h"

#define DEPTH 16
#define LEN 4096

static mlps_store *open_null(uint64_t object_size)
{
    mlps_store_options opts = {.null_object_size = object_size};
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("null://bucket/prefix", &opts, &store, &err), 0);
    assert_string_equal(mlps_store_scheme(store), "null");
    assert_string_equal(mlps_store_uri(store), "null://bucket/prefix");
    return store;
}

/* Runs DEPTH requests of LEN bytes at increasing offsets and checks every count. */
static void run_full_queue(mlps_ioq *q, mlps_file *file, int op, char *bufs)
{
    mlps_io_req reqs[DEPTH];
    mlps_io_req *ptrs[DEPTH];
    for (unsigned i = 0; i < DEPTH; i++) {
        reqs[i] = (mlps_io_req){.file = file, .op = op, .offset = (uint64_t)i * LEN,
                                .buf = bufs + i * LEN, .len = LEN};
        ptrs[i] = &reqs[i];
    }
    mlps_error err = {0};
    assert_int_equal(mlps_ioq_submit(q, ptrs, DEPTH, &err), 0);
    assert_int_equal(mlps_ioq_inflight(q), DEPTH);
    mlps_io_req *done[DEPTH];
    assert_int_equal(mlps_ioq_reap(q, done, DEPTH, DEPTH, &err), DEPTH);
    for (unsigned i = 0; i < DEPTH; i++) {
        assert_ptr_equal(done[i], &reqs[i]); /* completes in submission order */
        assert_int_equal(reqs[i].result, LEN);
        assert_true(reqs[i].complete_ns >= reqs[i].submit_ns && reqs[i].submit_ns > 0);
    }
}

static void test_null_counts_without_moving_bytes(void **state)
{
    (void)state;
    mlps_store *store = open_null(0);
    mlps_error err = {0};
    mlps_stat st;
    assert_int_equal(mlps_store_stat(store, "any/path", &st, &err), 0);
    assert_int_equal(st.size, MLPS_SIZE_UNKNOWN);

    mlps_ioq *q = NULL;
    assert_int_equal(mlps_ioq_create(store, DEPTH, &q, &err), 0);
    assert_string_equal(mlps_ioq_engine(q), "sync");
    static char bufs[DEPTH * LEN];
    mlps_file *file = NULL;
    assert_int_equal(
        mlps_file_open(store, "w.bin", MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err), 0);
    run_full_queue(q, file, MLPS_IO_WRITE, bufs);
    assert_int_equal(mlps_file_size(file), DEPTH * LEN);
    assert_int_equal(mlps_file_close(file, &err), 0);

    assert_int_equal(mlps_store_stat(store, "other/path", &st, &err), 0);
    assert_int_equal(st.size, DEPTH * LEN); /* learned from the first file written */

    memset(bufs, 0xab, sizeof bufs);
    assert_int_equal(mlps_file_open(store, "r.bin", MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(mlps_file_size(file), DEPTH * LEN);
    run_full_queue(q, file, MLPS_IO_READ, bufs);
    for (size_t i = 0; i < sizeof bufs; i++)
        assert_int_equal((unsigned char)bufs[i], 0xab); /* untouched */
    assert_int_equal(mlps_file_pread_full(file, bufs, LEN, 1u << 30, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
    mlps_ioq_destroy(q);
    mlps_store_close(store);
}

static int count_entries(const mlps_entry *entry, void *arg)
{
    (void)entry;
    ++*(int *)arg;
    return 0;
}

static void test_null_configured_size_and_directory_operations(void **state)
{
    (void)state;
    mlps_store *store = open_null(12345);
    mlps_error err = {0};
    mlps_stat st;
    assert_int_equal(mlps_store_stat(store, "x", &st, &err), 0);
    assert_int_equal(st.size, 12345);
    assert_false(st.is_dir);

    mlps_file *file = NULL;
    assert_int_equal(
        mlps_file_open(store, "w", MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err), 0);
    char byte = 0;
    assert_int_equal(mlps_file_pwrite_full(file, &byte, 1, 99, &err), 0);
    assert_int_equal(mlps_file_size(file), 100);
    assert_int_equal(mlps_file_close(file, &err), 0);
    assert_int_equal(mlps_store_stat(store, "x", &st, &err), 0);
    assert_int_equal(st.size, 12345); /* the configured size wins */

    int entries = 0;
    assert_int_equal(mlps_store_list(store, "", count_entries, &entries, &err), 0);
    assert_int_equal(entries, 0);
    assert_int_equal(mlps_store_mkdirs(store, "a/b", &err), 0);
    assert_int_equal(mlps_store_remove(store, "a/b", &err), 0);
    mlps_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_counts_without_moving_bytes),
        cmocka_unit_test(test_null_configured_size_and_directory_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
