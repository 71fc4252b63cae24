/* Storage layer: URIs choose backends and misuse is named clearly; directory operations
 * (mkdirs, list, stat, remove, remove_many) and file life cycles (create with parents, abort)
 * on file://; the queue refuses what it cannot carry before anything is submitted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "io/store.h"
#include "io_test_util.h"

typedef io_test_store fixture;

static int setup(void **state) { return io_test_store_setup(state, "store"); }
static int teardown(void **state) { return io_test_store_teardown(state); }

static void test_unknown_scheme_names_the_valid_ones(void **state)
{
    (void)state;
    mlps_store *store = (mlps_store *)0x1;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("foo://x", NULL, &store, &err), -EINVAL);
    assert_null(store);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message,
                        "unknown storage URI scheme 'foo' in 'foo://x'; valid: file://, "
                        "direct://, null://, s3://");
}

static void test_scheme_without_absolute_path_is_a_usage_error(void **state)
{
    (void)state;
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("direct://data/x", NULL, &store, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message, "storage URI 'direct://data/x' has no absolute path; write "
                                     "direct:///absolute/path (three slashes)");
    assert_int_equal(mlps_store_open("", NULL, &store, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
}

static void expect_store(const char *uri, const char *scheme, const char *canonical)
{
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(uri, NULL, &store, &err), 0);
    assert_string_equal(mlps_store_scheme(store), scheme);
    assert_string_equal(mlps_store_uri(store), canonical);
    mlps_store_close(store);
}

static void test_uris_choose_backends(void **state)
{
    (void)state;
    expect_store("/data/mlps/", "file", "file:///data/mlps");
    expect_store("file:///data//", "file", "file:///data");
    expect_store("file:///", "file", "file:///");
    expect_store("direct:///data/x", "direct", "direct:///data/x");
    expect_store("null://", "null", "null://");
    char cwd[1024], expected[1200];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(expected, sizeof expected, "file://%s/rel/dir", cwd);
    expect_store("rel/dir", "file", expected);
}

static void test_alignment_is_one_for_buffered(void **state)
{
    fixture *f = *state;
    assert_int_equal(mlps_store_alignment(f->store), 1);
}

static void write_file(mlps_store *store, const char *name, size_t size)
{
    char *data = calloc(1, size + 1);
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(store, name, MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err),
                     0);
    assert_int_equal(mlps_file_pwrite_full(file, data, size, 0, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
    free(data);
}

typedef struct seen {
    unsigned count;
    char names[8][32];
    uint64_t sizes[8];
    bool dirs[8];
} seen;

static int remember(const mlps_entry *entry, void *arg)
{
    seen *s = arg;
    if (s->count < 8) {
        snprintf(s->names[s->count], sizeof s->names[0], "%s", entry->name);
        s->sizes[s->count] = entry->size;
        s->dirs[s->count] = entry->is_dir;
    }
    s->count++;
    return 0;
}

static int find(const seen *s, const char *name)
{
    for (unsigned i = 0; i < s->count && i < 8; i++)
        if (strcmp(s->names[i], name) == 0)
            return (int)i;
    return -1;
}

static void test_mkdirs_list_stat_remove(void **state)
{
    fixture *f = *state;
    mlps_error err = {0};
    assert_int_equal(mlps_store_mkdirs(f->store, "a/b/c", &err), 0);
    assert_int_equal(mlps_store_mkdirs(f->store, "a/b", &err), 0); /* existing is fine */
    write_file(f->store, "a/x.bin", 100);
    write_file(f->store, "a/y.bin", 5000);

    seen s = {0};
    assert_int_equal(mlps_store_list(f->store, "a", remember, &s, &err), 0);
    assert_int_equal(s.count, 3);
    int x = find(&s, "x.bin"), y = find(&s, "y.bin"), b = find(&s, "b");
    assert_true(x >= 0 && y >= 0 && b >= 0);
    assert_int_equal(s.sizes[x], 100);
    assert_false(s.dirs[x]);
    assert_int_equal(s.sizes[y], 5000);
    assert_true(s.dirs[b]);
    assert_int_equal(s.sizes[b], 0);

    mlps_stat st;
    assert_int_equal(mlps_store_stat(f->store, "a/y.bin", &st, &err), 0);
    assert_int_equal(st.size, 5000);
    assert_false(st.is_dir);
    assert_int_equal(mlps_store_stat(f->store, "a/b", &st, &err), 0);
    assert_true(st.is_dir);

    assert_int_equal(mlps_store_remove(f->store, "a/y.bin", &err), 0);
    assert_int_equal(mlps_store_stat(f->store, "a/y.bin", &st, &err), -ENOENT);
    char expected[1400];
    snprintf(expected, sizeof expected, "stat %s/a/y.bin: No such file or directory", f->uri);
    assert_string_equal(err.message, expected);
    assert_int_equal(err.exit_status, MLPS_EXIT_RUN_FAILED);

    assert_int_equal(mlps_store_remove(f->store, "a/b", &err), -ENOTEMPTY);
    assert_int_equal(mlps_store_remove(f->store, "a/b/c", &err), 0);
    assert_int_equal(mlps_store_remove(f->store, "a/b", &err), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(mlps_store_list(f->store, "a", remember, &s, &err), 0);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.names[0], "x.bin");
}

static void test_remove_many_skips_missing_files_and_stops_at_a_failure(void **state)
{
    fixture *f = *state;
    mlps_error err = {0};
    write_file(f->store, "m/one", 1);
    write_file(f->store, "m/two", 2);
    write_file(f->store, "m/three", 3);
    write_file(f->store, "m/full/inside", 4);
    const char *paths[] = {"m/one", "m/absent", "m/two", "m/three", "m/absent"};
    uint64_t removed = 10; /* added to */
    assert_int_equal(mlps_store_remove_many(f->store, paths, 5, &removed, &err), 0);
    assert_int_equal(removed, 13);
    seen s = {0};
    assert_int_equal(mlps_store_list(f->store, "m", remember, &s, &err), 0);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.names[0], "full");

    write_file(f->store, "m/four", 4);
    write_file(f->store, "m/five", 5);
    const char *failing[] = {"m/four", "m/full", "m/five"};
    removed = 0;
    assert_int_equal(mlps_store_remove_many(f->store, failing, 3, &removed, &err), -ENOTEMPTY);
    assert_int_equal(removed, 1);
    char expected[1400];
    snprintf(expected, sizeof expected, "remove %s/m/full: Directory not empty", f->uri);
    assert_string_equal(err.message, expected);
    mlps_stat st;
    assert_int_equal(mlps_store_stat(f->store, "m/five", &st, &err), 0); /* after the failure */
    assert_int_equal(mlps_store_remove_many(f->store, failing, 0, NULL, &err), 0);
}

static int stop_at_first(const mlps_entry *entry, void *arg)
{
    (void)entry;
    ++*(int *)arg;
    return 7;
}

static void test_list_stops_when_the_visitor_says_so(void **state)
{
    fixture *f = *state;
    write_file(f->store, "one", 1);
    write_file(f->store, "two", 2);
    int visits = 0;
    mlps_error err = {0};
    assert_int_equal(mlps_store_list(f->store, "", stop_at_first, &visits, &err), 7);
    assert_int_equal(visits, 1);
}

static void test_missing_paths_are_named(void **state)
{
    fixture *f = *state;
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(f->store, "nope/missing.bin", MLPS_OPEN_READ, &file, &err),
                     -ENOENT);
    assert_null(file);
    char expected[1400];
    snprintf(expected, sizeof expected,
             "open %s/nope/missing.bin for reading: No such file or directory", f->uri);
    assert_string_equal(err.message, expected);
    assert_int_equal(err.exit_status, MLPS_EXIT_RUN_FAILED);

    assert_int_equal(mlps_store_list(f->store, "nope", remember, &(seen){0}, &err), -ENOENT);
    snprintf(expected, sizeof expected, "list %s/nope: No such file or directory", f->uri);
    assert_string_equal(err.message, expected);
    assert_int_equal(mlps_store_remove(f->store, "nope", &err), -ENOENT);
    snprintf(expected, sizeof expected, "remove %s/nope: No such file or directory", f->uri);
    assert_string_equal(err.message, expected);
}

static void test_create_makes_parent_directories(void **state)
{
    fixture *f = *state;
    write_file(f->store, "deep/er/file.bin", 10);
    mlps_stat st;
    mlps_error err = {0};
    assert_int_equal(mlps_store_stat(f->store, "deep/er", &st, &err), 0);
    assert_true(st.is_dir);
    assert_int_equal(mlps_store_stat(f->store, "deep/er/file.bin", &st, &err), 0);
    assert_int_equal(st.size, 10);
}

static void test_abort_removes_what_it_created_only(void **state)
{
    fixture *f = *state;
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(
        mlps_file_open(f->store, "partial.bin", MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err),
        0);
    assert_int_equal(mlps_file_pwrite_full(file, "abc", 3, 0, &err), 0);
    mlps_file_abort(file);
    mlps_stat st;
    assert_int_equal(mlps_store_stat(f->store, "partial.bin", &st, &err), -ENOENT);

    write_file(f->store, "kept.bin", 50);
    assert_int_equal(
        mlps_file_open(f->store, "kept.bin", MLPS_OPEN_WRITE | MLPS_OPEN_CREATE, &file, &err), 0);
    assert_int_equal(mlps_file_size(file), 50);
    mlps_file_abort(file);
    assert_int_equal(mlps_store_stat(f->store, "kept.bin", &st, &err), 0);
    assert_int_equal(st.size, 50);
}

static void test_bad_open_flags_are_usage_errors(void **state)
{
    fixture *f = *state;
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(f->store, "x", MLPS_OPEN_CREATE, &file, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "MLPS_OPEN_READ or MLPS_OPEN_WRITE"));
    int both_hints = MLPS_OPEN_READ | MLPS_OPEN_SEQUENTIAL | MLPS_OPEN_RANDOM;
    assert_int_equal(mlps_file_open(f->store, "x", both_hints, &file, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_null(file);
}

static void test_queue_refuses_before_submitting(void **state)
{
    fixture *f = *state;
    write_file(f->store, "ro.bin", 4096);
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(f->store, "ro.bin", MLPS_OPEN_READ, &file, &err), 0);
    mlps_ioq *q = NULL;
    assert_int_equal(mlps_ioq_create(f->store, 0, &q, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_int_equal(mlps_ioq_create(f->store, 2, &q, &err), 0);

    char buf[4096];
    mlps_io_req write = {.file = file, .op = MLPS_IO_WRITE, .buf = buf, .len = sizeof buf};
    mlps_io_req *one = &write;
    assert_int_equal(mlps_ioq_submit(q, &one, 1, &err), -EBADF);
    char expected[1400];
    snprintf(expected, sizeof expected,
             "write %s/ro.bin at offset 0: the file is not open for writing", f->uri);
    assert_string_equal(err.message, expected);
    assert_int_equal(mlps_ioq_inflight(q), 0);

    mlps_io_req reads[3];
    mlps_io_req *three[3];
    for (int i = 0; i < 3; i++) {
        reads[i] = (mlps_io_req){.file = file, .op = MLPS_IO_READ, .buf = buf, .len = 16};
        three[i] = &reads[i];
    }
    assert_int_equal(mlps_ioq_submit(q, three, 3, &err), -EINVAL);
    assert_non_null(strstr(err.message, "3 requests exceed the 2 free slots of a depth-2 queue"));
    assert_int_equal(mlps_ioq_inflight(q), 0);

    mlps_store *other = NULL;
    assert_int_equal(mlps_store_open("null://", NULL, &other, &err), 0);
    mlps_file *foreign = NULL;
    assert_int_equal(mlps_file_open(other, "x", MLPS_OPEN_READ, &foreign, &err), 0);
    reads[0].file = foreign;
    assert_int_equal(mlps_ioq_submit(q, three, 1, &err), -EINVAL);
    assert_non_null(strstr(err.message, "belongs to another store"));
    mlps_file_close(foreign, &err);
    mlps_store_close(other);

    mlps_ioq_destroy(q);
    mlps_file_close(file, &err);
}

static void test_request_failure_message(void **state)
{
    fixture *f = *state;
    write_file(f->store, "e.bin", 1);
    mlps_error err = {0};
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(f->store, "e.bin", MLPS_OPEN_READ, &file, &err), 0);
    mlps_io_req req = {.file = file, .op = MLPS_IO_READ, .offset = 4096, .len = 8, .result = -EIO};
    assert_int_equal(mlps_io_req_fail(&req, &err), -EIO);
    char expected[1400];
    snprintf(expected, sizeof expected,
             "read %s/e.bin at offset 4096 (8 bytes): Input/output error", f->uri);
    assert_string_equal(err.message, expected);
    mlps_file_close(file, &err);
}

#define CASE(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_scheme_names_the_valid_ones),
        cmocka_unit_test(test_scheme_without_absolute_path_is_a_usage_error),
        cmocka_unit_test(test_uris_choose_backends),
        CASE(test_alignment_is_one_for_buffered),
        CASE(test_mkdirs_list_stat_remove),
        CASE(test_remove_many_skips_missing_files_and_stops_at_a_failure),
        CASE(test_list_stops_when_the_visitor_says_so),
        CASE(test_missing_paths_are_named),
        CASE(test_create_makes_parent_directories),
        CASE(test_abort_removes_what_it_created_only),
        CASE(test_bad_open_flags_are_usage_errors),
        CASE(test_queue_refuses_before_submitting),
        CASE(test_request_failure_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
