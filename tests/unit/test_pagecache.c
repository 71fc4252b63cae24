/* Tests for page cache control: a written file is resident, a per-file drop evicts it (on a
 * real disk; tmpfs keeps its pages), errors name the file, and an unprivileged host-wide
 * drop is reported as refused with the per-file fallback named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/pagecache.h"

#define TEST_FILE_BYTES (4u << 20)
#define SKIP_EXIT_CODE 77

static char path_buffer[PATH_MAX];
static const char *scratch_file = path_buffer;

static const char *scratch_dir(void)
{
    const char *base = getenv("MLPS_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0755);
    return base;
}

static int make_file(void **state)
{
    (void)state;
    snprintf(path_buffer, sizeof path_buffer, "%s/pagecache.XXXXXX", scratch_dir());
    int fd = mkstemp(path_buffer);
    if (fd < 0)
        return -1;
    char *data = malloc(TEST_FILE_BYTES);
    memset(data, 0x5a, TEST_FILE_BYTES);
    ssize_t written = write(fd, data, TEST_FILE_BYTES);
    free(data);
    close(fd);
    return written == (ssize_t)TEST_FILE_BYTES ? 0 : -1;
}

static int remove_file(void **state)
{
    (void)state;
    return unlink(scratch_file);
}

static bool on_tmpfs(const char *path)
{
    struct statfs fs;
    return statfs(path, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

static void a_dropped_file_leaves_the_cache(void **state)
{
    (void)state;
    double before, after;
    assert_int_equal(mlps_file_cached_fraction(scratch_file, &before, NULL), 0);
    assert_true(before > 0.9);
    assert_int_equal(mlps_drop_file_cache(scratch_file, NULL), 0);
    assert_int_equal(mlps_file_cached_fraction(scratch_file, &after, NULL), 0);
    if (on_tmpfs(scratch_file)) {
        print_message("%s is on tmpfs, which keeps its pages: eviction not checked\n",
                      scratch_file);
        return;
    }
    assert_true(after < 0.1);
}

static void empty_file_has_nothing_cached(void **state)
{
    (void)state;
    assert_int_equal(truncate(scratch_file, 0), 0);
    double fraction = 1.0;
    assert_int_equal(mlps_file_cached_fraction(scratch_file, &fraction, NULL), 0);
    assert_true(fraction == 0.0);
    assert_int_equal(mlps_drop_file_cache(scratch_file, NULL), 0);
}

static void missing_file_is_named(void **state)
{
    (void)state;
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/absent.bin", scratch_dir());
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_drop_file_cache(missing, &err), -ENOENT);
    assert_non_null(strstr(err.message, missing));
    double fraction;
    mlps_error_clear(&err);
    assert_int_equal(mlps_file_cached_fraction(missing, &fraction, &err), -ENOENT);
    assert_non_null(strstr(err.message, missing));
}

/* In a child without privileges, so the test never drops this host's cache. */
static void unprivileged_host_drop_is_refused_with_the_fallback_named(void **state)
{
    (void)state;
    int channel[2];
    assert_int_equal(pipe(channel), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(channel[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(SKIP_EXIT_CODE);
        mlps_error err;
        mlps_error_clear(&err);
        int rc = mlps_drop_host_cache(&err);
        ssize_t ignored = write(channel[1], err.message, strlen(err.message));
        (void)ignored;
        _exit(-rc);
    }
    close(channel[1]);
    char message[MLPS_ERROR_MESSAGE_MAX + 1] = "";
    ssize_t got = read(channel[0], message, sizeof message - 1);
    close(channel[0]);
    message[got > 0 ? got : 0] = '\0';
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == SKIP_EXIT_CODE) {
        print_message("cannot drop privileges here: refusal not checked\n");
        return;
    }
    int code = WEXITSTATUS(status);
    assert_true(code == EACCES || code == EPERM || code == EROFS);
    assert_non_null(strstr(message, "host-wide page cache drop refused"));
    assert_non_null(strstr(message, "/proc/sys/vm/drop_caches"));
    assert_non_null(strstr(message, "per-file drops"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_dropped_file_leaves_the_cache, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(empty_file_has_nothing_cached, make_file, remove_file),
        cmocka_unit_test(missing_file_is_named),
        cmocka_unit_test(unprivileged_host_drop_is_refused_with_the_fallback_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
