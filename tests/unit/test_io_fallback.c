/* When the kernel refuses io_uring (ENOSYS where it is compiled out, EPERM where a sandbox forbids
 * it), file:// queues fall back to the synchronous engine with one warning per store, and still
 * move data; asking for io_uring explicitly fails instead. The refusal is staged with a seccomp
 * filter in a child process, so the rest of the suite keeps io_uring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "io/store.h"
#include "io_test_util.h"

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define NATIVE_AUDIT_ARCH 0 /* unknown: the tests skip */
#endif

/* Makes io_uring_setup fail with `error` in this process. */
static int refuse_io_uring(int error)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)error),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (NATIVE_AUDIT_ARCH == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}

/* The child's checks; returns the number of the first that failed, 0 when all held. */
static int check_fallback(const char *dir, int error)
{
    char uri[1200];
    snprintf(uri, sizeof uri, "file://%s", dir);
    mlps_store *store = NULL;
    mlps_error err = {0};
    if (mlps_store_open(uri, NULL, &store, &err) != 0)
        return 10;
    mlps_ioq *first = NULL, *second = NULL;
    if (mlps_ioq_create(store, 4, &first, &err) != 0 || mlps_ioq_create(store, 4, &second, &err))
        return 11;
    if (strcmp(mlps_ioq_engine(first), "sync") || strcmp(mlps_ioq_engine(second), "sync"))
        return 12;
    mlps_file *file = NULL;
    char data[3000];
    io_test_fill(data, sizeof data, 0, 9);
    if (mlps_file_open(store, "f.bin", MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err))
        return 13;
    mlps_io_req req = {.file = file, .op = MLPS_IO_WRITE, .buf = data, .len = sizeof data};
    mlps_io_req *one = &req, *done = NULL;
    if (mlps_ioq_submit(first, &one, 1, &err) || mlps_ioq_reap(first, &done, 1, 1, &err) != 1 ||
        req.result != (int64_t)sizeof data || mlps_file_close(file, &err))
        return 14;
    mlps_ioq_destroy(first);
    mlps_ioq_destroy(second);
    mlps_store_close(store);

    mlps_store_options uring_only = {.engine = MLPS_ENGINE_URING};
    if (mlps_store_open(uri, &uring_only, &store, &err) != 0)
        return 15;
    if (mlps_ioq_create(store, 4, &first, &err) != -error)
        return 16;
    if (!strstr(err.message, "io_uring_queue_init(4)") || !strstr(err.message, uri))
        return 17;
    mlps_store_close(store);
    return 0;
}

static int count_lines_with(const char *path, const char *needle)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return -1;
    char line[2048];
    int count = 0;
    while (fgets(line, sizeof line, in))
        count += strstr(line, needle) != NULL;
    fclose(in);
    return count;
}

static void expect_fallback(int error)
{
    char dir[1024], log[1100];
    io_test_make_dir("fallback", dir, sizeof dir);
    snprintf(log, sizeof log, "%s/stderr.txt", dir);
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (!freopen(log, "w", stderr))
            _exit(2);
        if (refuse_io_uring(error) != 0)
            _exit(3);
        _exit(check_fallback(dir, error));
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 3) {
        io_test_remove_tree(dir);
        skip(); /* seccomp unavailable here */
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(count_lines_with(log, "using the synchronous pread/pwrite engine"), 1);
    assert_int_equal(count_lines_with(log, "WARNING"), 1);
    io_test_remove_tree(dir);
}

static void test_enosys_falls_back_once(void **state)
{
    (void)state;
    expect_fallback(ENOSYS);
}

static void test_eperm_falls_back_once(void **state)
{
    (void)state;
    expect_fallback(EPERM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enosys_falls_back_once),
        cmocka_unit_test(test_eperm_falls_back_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
