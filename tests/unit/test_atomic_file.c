/* Tests for atomic file replacement and directory tree creation: content lands whole, no
 * temporary file survives success or failure, and failures name the path and component. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/mkdirs.h"
#include "core/text_scan.h"

#include "scratch_dir.h"

static int make_scratch(void **state)
{
    (void)state;
    return scratch_create("atomic_file");
}

static void assert_file_text(const char *path, const char *expected)
{
    char *text;
    assert_int_equal(mlps_read_text_file(path, &text, NULL, NULL), 0);
    assert_string_equal(text, expected);
    free(text);
}

static void writes_and_replaces_leaving_only_the_file(void **state)
{
    (void)state;
    char path[PATH_MAX];
    in_scratch(path, "out.txt");
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_write_file_atomic(path, "first version", 13, &err), 0);
    assert_file_text(path, "first version");
    assert_int_equal(mlps_write_file_atomic(path, "second", 6, &err), 0);
    assert_file_text(path, "second");
    assert_int_equal(count_entries(scratch), 1);
}

static void writes_json_with_four_space_indent_and_newline(void **state)
{
    (void)state;
    char path[PATH_MAX];
    in_scratch(path, "summary.json");
    json_t *value = json_pack("{s:i, s:[i, s]}", "b", 1, "a", 2, "x");
    assert_int_equal(mlps_write_json_atomic(path, value, NULL), 0);
    json_decref(value);
    assert_file_text(path, "{\n    \"b\": 1,\n    \"a\": [\n        2,\n        \"x\"\n    ]\n}\n");
    assert_int_equal(count_entries(scratch), 1);
}

static void fails_under_a_regular_file_naming_the_path(void **state)
{
    (void)state;
    char blocker[PATH_MAX], path[PATH_MAX];
    in_scratch(blocker, "plain");
    assert_int_equal(mlps_write_file_atomic(blocker, "x", 1, NULL), 0);
    in_scratch(path, "plain/out.json");
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_write_file_atomic(path, "x", 1, &err), -ENOTDIR);
    assert_int_equal(err.code, -ENOTDIR);
    assert_non_null(strstr(err.message, path));
    assert_int_equal(count_entries(scratch), 1);
}

static void fails_in_a_missing_directory_leaving_nothing(void **state)
{
    (void)state;
    char path[PATH_MAX];
    in_scratch(path, "missing/out.json");
    mlps_error err;
    mlps_error_clear(&err);
    json_t *value = json_object();
    assert_int_equal(mlps_write_json_atomic(path, value, &err), -ENOENT);
    json_decref(value);
    assert_non_null(strstr(err.message, path));
    assert_int_equal(count_entries(scratch), 0);
}

static void mkdirs_creates_nested_and_accepts_existing(void **state)
{
    (void)state;
    char path[PATH_MAX], first[PATH_MAX], expected_first[PATH_MAX];
    in_scratch(path, "a//b/c/");
    assert_int_equal(mlps_mkdirs_tracked(path, 0755, first, sizeof first, NULL), 0);
    in_scratch(expected_first, "a");
    assert_string_equal(first, expected_first);
    struct stat st;
    in_scratch(path, "a/b/c");
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(mlps_mkdirs_tracked(path, 0755, first, sizeof first, NULL), 0);
    assert_string_equal(first, "");

    mlps_remove_created_dirs(path, expected_first);
    assert_int_equal(count_entries(scratch), 0);
}

static void mkdirs_names_the_file_in_the_way(void **state)
{
    (void)state;
    char dir[PATH_MAX], file[PATH_MAX], path[PATH_MAX];
    in_scratch(dir, "d");
    assert_int_equal(mlps_mkdirs(dir, 0755, NULL), 0);
    in_scratch(file, "d/file");
    assert_int_equal(mlps_write_file_atomic(file, "x", 1, NULL), 0);
    in_scratch(path, "d/file/sub/leaf");
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_mkdirs(path, 0755, &err), -ENOTDIR);
    char expected[3 * PATH_MAX];
    snprintf(expected, sizeof expected,
             "cannot create directory %s: %s exists and is not a directory (ENOTDIR)", path,
             file);
    assert_string_equal(err.message, expected);
    assert_int_equal(err.exit_status, MLPS_EXIT_RUN_FAILED);
}

static void mkdirs_failure_removes_what_it_created(void **state)
{
    (void)state;
    char long_name[300];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    char path[PATH_MAX], component[PATH_MAX];
    char relative[PATH_MAX];
    snprintf(relative, sizeof relative, "new/%s/leaf", long_name);
    in_scratch(path, relative);
    snprintf(relative, sizeof relative, "new/%s", long_name);
    in_scratch(component, relative);
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_mkdirs(path, 0755, &err), -ENAMETOOLONG);
    assert_non_null(strstr(err.message, component));
    assert_non_null(strstr(err.message, "(ENAMETOOLONG)"));
    assert_int_equal(count_entries(scratch), 0);
}

static void mkdirs_rejects_an_empty_path_as_usage(void **state)
{
    (void)state;
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_mkdirs("", 0755, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(writes_and_replaces_leaving_only_the_file, make_scratch,
                                        remove_scratch),
        cmocka_unit_test_setup_teardown(writes_json_with_four_space_indent_and_newline,
                                        make_scratch, remove_scratch),
        cmocka_unit_test_setup_teardown(fails_under_a_regular_file_naming_the_path,
                                        make_scratch, remove_scratch),
        cmocka_unit_test_setup_teardown(fails_in_a_missing_directory_leaving_nothing,
                                        make_scratch, remove_scratch),
        cmocka_unit_test_setup_teardown(mkdirs_creates_nested_and_accepts_existing,
                                        make_scratch, remove_scratch),
        cmocka_unit_test_setup_teardown(mkdirs_names_the_file_in_the_way, make_scratch,
                                        remove_scratch),
        cmocka_unit_test_setup_teardown(mkdirs_failure_removes_what_it_created, make_scratch,
                                        remove_scratch),
        cmocka_unit_test_setup_teardown(mkdirs_rejects_an_empty_path_as_usage, make_scratch,
                                        remove_scratch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
