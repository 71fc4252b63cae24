/* The buffer pool: aligned buffers of a fixed count, handed out until exhausted, returned and
 * reused, with the pool's memory stated exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "io/bufpool.h"
#include "io_test_util.h"

static void test_buffers_are_aligned_distinct_and_counted(void **state)
{
    (void)state;
    mlps_bufpool *pool = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_bufpool_create(1000, 4, 0, &pool, &err), 0);
    assert_int_equal(mlps_bufpool_alignment(pool), 4096);
    assert_int_equal(mlps_bufpool_buffer_size(pool), 1000);
    assert_int_equal(mlps_bufpool_count(pool), 4);
    assert_int_equal(mlps_bufpool_total_bytes(pool), 4 * 4096);

    char *bufs[4];
    for (int i = 0; i < 4; i++) {
        bufs[i] = mlps_bufpool_try_get(pool);
        assert_non_null(bufs[i]);
        assert_int_equal((uintptr_t)bufs[i] % 4096, 0);
        memset(bufs[i], i, 4096); /* the whole rounded buffer is usable */
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(bufs[i], bufs[j]);
    }
    assert_int_equal(mlps_bufpool_available(pool), 0);
    assert_null(mlps_bufpool_try_get(pool));

    mlps_bufpool_put(pool, bufs[2]);
    assert_int_equal(mlps_bufpool_available(pool), 1);
    assert_ptr_equal(mlps_bufpool_get(pool), bufs[2]);
    for (int i = 0; i < 4; i++)
        mlps_bufpool_put(pool, bufs[i]);
    assert_int_equal(mlps_bufpool_available(pool), 4);
    mlps_bufpool_destroy(pool);
}

static void test_alignment_is_honoured(void **state)
{
    (void)state;
    mlps_bufpool *pool = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_bufpool_create(1 << 20, 3, 512, &pool, &err), 0);
    assert_int_equal(mlps_bufpool_total_bytes(pool), 3u << 20);
    void *buf = mlps_bufpool_get(pool);
    assert_int_equal((uintptr_t)buf % 512, 0);
    mlps_bufpool_put(pool, buf);
    mlps_bufpool_destroy(pool);
}

static void test_alignment_one_means_a_page(void **state)
{
    (void)state;
    mlps_bufpool *pool = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_bufpool_create(100, 1, 1, &pool, &err), 0);
    assert_int_equal(mlps_bufpool_alignment(pool), 4096);
    assert_int_equal(mlps_bufpool_total_bytes(pool), 4096);
    mlps_bufpool_destroy(pool);
}

static void test_bad_parameters_are_usage_errors(void **state)
{
    (void)state;
    mlps_bufpool *pool = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_bufpool_create(4096, 2, 3000, &pool, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message,
                        "buffer pool: alignment 3000 must be a power of two");
    assert_int_equal(mlps_bufpool_create(4096, 0, 0, &pool, &err), -EINVAL);
    assert_null(pool);
}

typedef struct waiter {
    mlps_bufpool *pool;
    void *got;
} waiter;

static void *wait_for_buffer(void *arg)
{
    waiter *w = arg;
    w->got = mlps_bufpool_get(w->pool);
    return NULL;
}

static void test_get_waits_for_a_put(void **state)
{
    (void)state;
    mlps_bufpool *pool = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_bufpool_create(64, 1, 0, &pool, &err), 0);
    void *only = mlps_bufpool_get(pool);
    waiter w = {.pool = pool};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, wait_for_buffer, &w), 0);
    mlps_bufpool_put(pool, only);
    pthread_join(thread, NULL);
    assert_ptr_equal(w.got, only);
    mlps_bufpool_put(pool, w.got);
    mlps_bufpool_destroy(pool);
}

/* Putting back a foreign or already-returned buffer is a bug; the pool aborts rather than hand
 * the same memory to two requests. */
static void expect_put_aborts(mlps_bufpool *pool, void *buf)
{
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        mlps_bufpool_put(pool, buf);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_foreign_or_double_put_aborts(void **state)
{
    (void)state;
    mlps_bufpool *pool = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_bufpool_create(64, 2, 0, &pool, &err), 0);
    char foreign[64];
    expect_put_aborts(pool, foreign);
    void *buf = mlps_bufpool_get(pool);
    expect_put_aborts(pool, (char *)buf + 1);
    mlps_bufpool_put(pool, buf);
    expect_put_aborts(pool, buf);
    mlps_bufpool_destroy(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffers_are_aligned_distinct_and_counted),
        cmocka_unit_test(test_alignment_is_honoured),
        cmocka_unit_test(test_alignment_one_means_a_page),
        cmocka_unit_test(test_bad_parameters_are_usage_errors),
        cmocka_unit_test(test_get_waits_for_a_put),
        cmocka_unit_test(test_foreign_or_double_put_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
