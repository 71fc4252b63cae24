/* direct://: misaligned requests are refused before submission with a message naming what is
 * misaligned and the alignment required, and a filesystem that refuses O_DIRECT is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "io/store.h"
#include "io_test_util.h"

typedef struct fixture {
    char dir[1024];
    char uri[1200];
    mlps_store *store;
    mlps_file *file;
    mlps_ioq *q;
    size_t alignment;
    char *buf;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    io_test_make_dir("direct", f->dir, sizeof f->dir);
    snprintf(f->uri, sizeof f->uri, "direct://%s", f->dir);
    if (!io_test_dir_takes_o_direct(f->dir))
        return 0; /* the tests skip */
    mlps_error err = {0};
    if (mlps_store_open(f->uri, NULL, &f->store, &err) != 0 ||
        mlps_file_open(f->store, "d.bin", MLPS_OPEN_READ | MLPS_OPEN_WRITE | MLPS_OPEN_CREATE,
                       &f->file, &err) != 0 ||
        mlps_ioq_create(f->store, 4, &f->q, &err) != 0)
        return -1;
    f->alignment = mlps_store_alignment(f->store);
    f->buf = io_test_aligned_alloc(f->alignment, 4 * f->alignment);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mlps_ioq_destroy(f->q);
    if (f->file)
        mlps_file_close(f->file, NULL);
    mlps_store_close(f->store);
    free(f->buf);
    io_test_remove_tree(f->dir);
    free(f);
    return 0;
}

static void test_alignment_of_a_directory_root_is_the_safe_default(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    assert_int_equal(f->alignment, 4096); /* statx reports none for directories */
}

static void test_alignment_of_a_file_root_comes_from_statx(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    char file_uri[1300];
    snprintf(file_uri, sizeof file_uri, "%s/d.bin", f->uri);
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(file_uri, NULL, &store, &err), 0);
    size_t a = mlps_store_alignment(store);
    assert_true(a >= 512 && a <= 4096 && (a & (a - 1)) == 0);
    mlps_store_close(store);
}

/* Submits one request and checks it was refused, nothing was queued, and the message names the
 * problem and the alignment. */
static void expect_refusal(fixture *f, char *buf, uint64_t offset, size_t len, int op,
                           const char *problem)
{
    mlps_io_req req = {.file = f->file, .op = op, .offset = offset, .buf = buf, .len = len};
    mlps_io_req *one = &req;
    mlps_error err = {0};
    assert_int_equal(mlps_ioq_submit(f->q, &one, 1, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_RUN_FAILED);
    assert_int_equal(mlps_ioq_inflight(f->q), 0);
    char expected[1600];
    snprintf(expected, sizeof expected,
             "%s %s/d.bin at offset %llu: %s is not a multiple of the O_DIRECT alignment %zu "
             "(buffer address, offset and length must all be)",
             op == MLPS_IO_READ ? "read" : "write", f->uri, (unsigned long long)offset, problem,
             f->alignment);
    assert_string_equal(err.message, expected);

    mlps_error helper_err = {0};
    int rc = op == MLPS_IO_READ ? mlps_file_pread_full(f->file, buf, len, offset, &helper_err)
                                : mlps_file_pwrite_full(f->file, buf, len, offset, &helper_err);
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(helper_err.message, expected);
}

static void test_misaligned_buffer_is_refused(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    char problem[64];
    snprintf(problem, sizeof problem, "buffer address %p", (void *)(f->buf + 8));
    expect_refusal(f, f->buf + 8, 0, f->alignment, MLPS_IO_WRITE, problem);
    expect_refusal(f, f->buf + 8, 0, f->alignment, MLPS_IO_READ, problem);
}

static void test_misaligned_offset_is_refused(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    expect_refusal(f, f->buf, 100, f->alignment, MLPS_IO_WRITE, "offset 100");
    expect_refusal(f, f->buf, 100, f->alignment, MLPS_IO_READ, "offset 100");
}

static void test_misaligned_length_is_refused(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    expect_refusal(f, f->buf, 0, 100, MLPS_IO_WRITE, "length 100");
    char problem[64];
    snprintf(problem, sizeof problem, "length %zu", f->alignment + 1);
    expect_refusal(f, f->buf, f->alignment, f->alignment + 1, MLPS_IO_READ, problem);
}

static void test_aligned_request_passes(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    mlps_error err = {0};
    memset(f->buf, 0x5a, 2 * f->alignment);
    assert_int_equal(mlps_file_pwrite_full(f->file, f->buf, 2 * f->alignment, f->alignment, &err),
                     0);
    assert_int_equal(mlps_file_size(f->file), 3 * f->alignment);
}

/* Opens name under dir through direct:// and checks the refusal names the path and filesystem. */
static void expect_filesystem_refusal(const char *dir, const char *name, int flags,
                                      const char *fs)
{
    char uri[1200], expected[1600];
    snprintf(uri, sizeof uri, "direct://%s", dir);
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(uri, NULL, &store, &err), 0);
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(store, name, flags, &file, &err), -EINVAL);
    assert_null(file);
    snprintf(expected, sizeof expected,
             "%s/%s: the filesystem (%s) does not support O_DIRECT; use file:// instead", uri,
             name, fs);
    assert_string_equal(err.message, expected);
    assert_int_equal(err.exit_status, MLPS_EXIT_RUN_FAILED);
    mlps_store_close(store);
}

static void test_tmpfs_refusing_o_direct_is_named(void **state)
{
    (void)state;
    /* tmpfs accepts O_DIRECT since Linux 6.6; older kernels refuse it. */
    if (!io_test_is_tmpfs("/dev/shm") || io_test_dir_takes_o_direct("/dev/shm"))
        skip();
    char name[64];
    snprintf(name, sizeof name, "mlps-direct-%ld", (long)getpid());
    expect_filesystem_refusal("/dev/shm", name, MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, "tmpfs");
    char leftover[128];
    snprintf(leftover, sizeof leftover, "/dev/shm/%s", name);
    assert_int_equal(access(leftover, F_OK), -1); /* the refused create left nothing behind */
}

static void test_procfs_refusing_o_direct_is_named(void **state)
{
    (void)state;
    int fd = open("/proc/self/status", O_RDONLY | O_DIRECT);
    if (fd >= 0) {
        close(fd);
        skip();
    }
    expect_filesystem_refusal("/proc/self", "status", MLPS_OPEN_READ, "proc");
}

#define CASE(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CASE(test_alignment_of_a_directory_root_is_the_safe_default),
        CASE(test_alignment_of_a_file_root_comes_from_statx),
        CASE(test_misaligned_buffer_is_refused),
        CASE(test_misaligned_offset_is_refused),
        CASE(test_misaligned_length_is_refused),
        CASE(test_aligned_request_passes),
        cmocka_unit_test(test_tmpfs_refusing_o_direct_is_named),
        cmocka_unit_test(test_procfs_refusing_o_direct_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
