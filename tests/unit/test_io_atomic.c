/* Atomic publication (MLPS_OPEN_ATOMIC) on file:// and direct://: the name shows nothing, or the
 * old content, until close; close publishes the complete file and leaves no temporary; abort and
 * a failed close leave only what was there before. Leftover temporaries are recognised by name
 * and removed by mlps_store_remove_partials; null:// accepts the flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "io/store.h"
#include "io_test_util.h"

#define ATOMIC_WRITE (MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_ATOMIC)

typedef struct fixture {
    char dir[1024];
    char uri[1200];
    mlps_store *store;
    size_t len; /* a size every backend accepts: whole alignment units */
    char *buf;
} fixture;

static int setup_scheme(void **state, const char *scheme)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    io_test_make_dir(scheme, f->dir, sizeof f->dir);
    snprintf(f->uri, sizeof f->uri, "%s://%s", scheme, f->dir);
    if (strcmp(scheme, "direct") == 0 && !io_test_dir_takes_o_direct(f->dir))
        return 0; /* the tests skip */
    mlps_error err = {0};
    if (mlps_store_open(f->uri, NULL, &f->store, &err) != 0)
        return -1;
    size_t alignment = mlps_store_alignment(f->store);
    f->len = 2 * (alignment > 4096 ? alignment : 4096);
    f->buf = io_test_aligned_alloc(4096 > alignment ? 4096 : alignment, f->len);
    return f->buf ? 0 : -1;
}

static int setup_file(void **state) { return setup_scheme(state, "file"); }
static int setup_direct(void **state) { return setup_scheme(state, "direct"); }

static int teardown(void **state)
{
    fixture *f = *state;
    mlps_store_close(f->store);
    io_test_remove_tree(f->dir);
    free(f->buf);
    free(f);
    return 0;
}

/* Collects a directory's names, in no particular order. */
typedef struct listing {
    unsigned count;
    char names[8][300];
} listing;

static int collect(const mlps_entry *entry, void *arg)
{
    listing *l = arg;
    if (l->count < 8)
        snprintf(l->names[l->count], sizeof l->names[0], "%s", entry->name);
    l->count++;
    return 0;
}

static listing list_dir(fixture *f, const char *path)
{
    listing l = {0};
    mlps_error err = {0};
    assert_int_equal(mlps_store_list(f->store, path, collect, &l, &err), 0);
    return l;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int stat_code(fixture *f, const char *path, mlps_stat *st)
{
    mlps_error err = {0};
    return mlps_store_stat(f->store, path, st, &err);
}

/* Opens path for an atomic write and writes f->len bytes of pattern seed into it. */
static mlps_file *write_atomic(fixture *f, const char *path, uint64_t seed)
{
    mlps_file *file = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_file_open(f->store, path, ATOMIC_WRITE, &file, &err), 0);
    assert_int_equal(mlps_file_size(file), 0);
    io_test_fill(f->buf, f->len, 0, seed);
    assert_int_equal(mlps_file_pwrite_full(file, f->buf, f->len, 0, &err), 0);
    return file;
}

/* Writes path plainly (not atomically) with pattern seed. */
static void write_plain(fixture *f, const char *path, uint64_t seed)
{
    mlps_file *file = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_file_open(f->store, path,
                                    MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_TRUNCATE,
                                    &file, &err),
                     0);
    io_test_fill(f->buf, f->len, 0, seed);
    assert_int_equal(mlps_file_pwrite_full(file, f->buf, f->len, 0, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
}

/* Asserts path holds exactly f->len bytes of pattern seed. */
static void expect_content(fixture *f, const char *path, uint64_t seed)
{
    mlps_file *file = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_file_open(f->store, path, MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(mlps_file_size(file), f->len);
    memset(f->buf, 0, f->len);
    assert_int_equal(mlps_file_pread_full(file, f->buf, f->len, 0, &err), 0);
    assert_int_equal(io_test_mismatch(f->buf, f->len, 0, seed), f->len);
    assert_int_equal(mlps_file_close(file, &err), 0);
}

static void test_the_name_appears_only_at_close(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    mlps_file *file = write_atomic(f, "sub/a.bin", 7);
    mlps_stat st;
    assert_int_equal(stat_code(f, "sub/a.bin", &st), -ENOENT);
    listing before = list_dir(f, "sub");
    assert_int_equal(before.count, 1);
    assert_true(starts_with(before.names[0], ".a.bin.mlps-partial."));
    assert_true(mlps_store_is_partial_name(before.names[0]));

    mlps_error err = {0};
    assert_int_equal(mlps_file_close(file, &err), 0);
    expect_content(f, "sub/a.bin", 7);
    listing after = list_dir(f, "sub");
    assert_int_equal(after.count, 1);
    assert_string_equal(after.names[0], "a.bin");
}

static void test_an_existing_file_keeps_its_content_until_close(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    write_plain(f, "a.bin", 1);
    mlps_file *file = write_atomic(f, "a.bin", 2);
    expect_content(f, "a.bin", 1);
    mlps_error err = {0};
    assert_int_equal(mlps_file_close(file, &err), 0);
    expect_content(f, "a.bin", 2);
    assert_int_equal(list_dir(f, "").count, 1);
}

static void test_abort_leaves_nothing(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    mlps_file_abort(write_atomic(f, "fresh.bin", 3));
    mlps_stat st;
    assert_int_equal(stat_code(f, "fresh.bin", &st), -ENOENT);
    assert_int_equal(list_dir(f, "").count, 0);
}

static void test_abort_keeps_the_old_file(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    write_plain(f, "a.bin", 4);
    mlps_file_abort(write_atomic(f, "a.bin", 5));
    expect_content(f, "a.bin", 4);
    listing l = list_dir(f, "");
    assert_int_equal(l.count, 1);
    assert_string_equal(l.names[0], "a.bin");
}

static void test_a_failed_close_removes_the_temporary(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    /* A non-empty directory under the name: the rename cannot replace it. */
    mlps_error err = {0};
    assert_int_equal(mlps_store_mkdirs(f->store, "taken/inside", &err), 0);
    mlps_file *file = write_atomic(f, "taken", 6);
    assert_true(mlps_file_close(file, &err) < 0);
    assert_non_null(strstr(err.message, "/taken: rename of the finished temporary"));
    listing l = list_dir(f, "");
    assert_int_equal(l.count, 1);
    assert_string_equal(l.names[0], "taken");
    mlps_stat st;
    assert_int_equal(stat_code(f, "taken", &st), 0);
    assert_true(st.is_dir);
}

static void test_concurrent_writes_of_one_name_use_separate_temporaries(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    mlps_file *first = write_atomic(f, "a.bin", 8);
    mlps_file *second = write_atomic(f, "a.bin", 9);
    listing l = list_dir(f, "");
    assert_int_equal(l.count, 2);
    assert_string_not_equal(l.names[0], l.names[1]);
    mlps_error err = {0};
    assert_int_equal(mlps_file_close(first, &err), 0);
    assert_int_equal(mlps_file_close(second, &err), 0);
    expect_content(f, "a.bin", 9); /* the last close wins */
    assert_int_equal(list_dir(f, "").count, 1);
}

static void test_a_name_near_the_length_limit_still_gets_a_temporary(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    char name[251];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    mlps_file *file = write_atomic(f, name, 10);
    listing before = list_dir(f, "");
    assert_int_equal(before.count, 1);
    assert_true(strlen(before.names[0]) <= 255);
    assert_true(mlps_store_is_partial_name(before.names[0]));
    mlps_error err = {0};
    assert_int_equal(mlps_file_close(file, &err), 0);
    expect_content(f, name, 10);
}

static void test_stale_temporaries_are_skipped_by_name_and_removed(void **state)
{
    fixture *f = *state;
    if (!f->store)
        skip();
    /* What a crashed run leaves: its temporaries beside finished files. */
    write_plain(f, "d/.x.bin.mlps-partial.123.4", 11);
    write_plain(f, "d/.y.bin.mlps-partial.99999.0", 12);
    write_plain(f, "d/x.bin", 13);
    write_plain(f, "d/x.mlps-partial.txt", 14);
    mlps_error err = {0};
    assert_int_equal(mlps_store_mkdirs(f->store, "d/.z.mlps-partial.1.2", &err), 0);

    listing l = list_dir(f, "d");
    unsigned partial = 0;
    for (unsigned i = 0; i < l.count; i++)
        partial += mlps_store_is_partial_name(l.names[i]);
    assert_int_equal(l.count, 5);
    assert_int_equal(partial, 3); /* two files and the directory */

    uint64_t removed = 100;
    assert_int_equal(mlps_store_remove_partials(f->store, "d/", &removed, &err), 0);
    assert_int_equal(removed, 102); /* added to what the caller counted */
    l = list_dir(f, "d");
    assert_int_equal(l.count, 3); /* directories are not removed */
    mlps_stat st;
    assert_int_equal(stat_code(f, "d/.x.bin.mlps-partial.123.4", &st), -ENOENT);
    assert_int_equal(stat_code(f, "d/x.bin", &st), 0);
    assert_int_equal(stat_code(f, "d/x.mlps-partial.txt", &st), 0);

    removed = 0;
    assert_int_equal(mlps_store_remove_partials(f->store, "d", &removed, &err), 0);
    assert_int_equal(removed, 0);
    assert_int_equal(mlps_store_remove_partials(f->store, "missing", NULL, &err), 0);
}

static void test_partial_names_are_recognised_exactly(void **state)
{
    (void)state;
    assert_true(mlps_store_is_partial_name(".a.mlps-partial.1.2"));
    assert_true(mlps_store_is_partial_name(".img_07_of_10.npz.mlps-partial.4242.17"));
    assert_true(mlps_store_is_partial_name("train/3/.a.mlps-partial.1.2"));
    assert_true(mlps_store_is_partial_name("..mlps-partial.mlps-partial.1.2"));
    assert_false(mlps_store_is_partial_name(""));
    assert_false(mlps_store_is_partial_name("a.bin"));
    assert_false(mlps_store_is_partial_name("a.mlps-partial.1.2"));        /* not hidden */
    assert_false(mlps_store_is_partial_name(".mlps-partial.1.2"));         /* no name */
    assert_false(mlps_store_is_partial_name("..mlps-partial.1.2"));        /* no name */
    assert_false(mlps_store_is_partial_name(".a.mlps-partial.1."));        /* no sequence */
    assert_false(mlps_store_is_partial_name(".a.mlps-partial..2"));        /* no pid */
    assert_false(mlps_store_is_partial_name(".a.mlps-partial.x.2"));
    assert_false(mlps_store_is_partial_name(".a.mlps-partial.1.2.bak"));
    assert_false(mlps_store_is_partial_name(".a.mlps-partial.12"));
    assert_false(mlps_store_is_partial_name(".a.mlps_partial.1.2"));
    assert_false(mlps_store_is_partial_name("train/.a.mlps-partial.1.2/x.bin"));
}

static void test_atomic_needs_write_and_create(void **state)
{
    fixture *f = *state;
    mlps_file *file = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_file_open(f->store, "a.bin", MLPS_OPEN_WRITE | MLPS_OPEN_ATOMIC, &file,
                                    &err),
                     -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "ATOMIC (with WRITE and CREATE)"));
    assert_int_equal(mlps_file_open(f->store, "a.bin",
                                    MLPS_OPEN_READ | MLPS_OPEN_CREATE | MLPS_OPEN_ATOMIC, &file,
                                    &err),
                     -EINVAL);
    assert_null(file);
    assert_int_equal(list_dir(f, "").count, 0);
}

static void test_null_accepts_atomic_writes(void **state)
{
    (void)state;
    mlps_store *store = NULL;
    mlps_file *file = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open("null://", NULL, &store, &err), 0);
    assert_int_equal(mlps_file_open(store, "a.bin", ATOMIC_WRITE, &file, &err), 0);
    char byte[512] = {0};
    assert_int_equal(mlps_file_pwrite_full(file, byte, sizeof byte, 0, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
    mlps_stat st;
    assert_int_equal(mlps_store_stat(store, "a.bin", &st, &err), 0);
    assert_int_equal(st.size, sizeof byte);
    uint64_t removed = 0;
    assert_int_equal(mlps_store_remove_partials(store, "", &removed, &err), 0);
    assert_int_equal(removed, 0);
    mlps_store_close(store);
}

#define FILE_CASE(test) cmocka_unit_test_setup_teardown(test, setup_file, teardown)
#define DIRECT_CASE(test) cmocka_unit_test_setup_teardown(test, setup_direct, teardown)
#define BOTH(test) FILE_CASE(test), DIRECT_CASE(test)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_the_name_appears_only_at_close),
        BOTH(test_an_existing_file_keeps_its_content_until_close),
        BOTH(test_abort_leaves_nothing),
        BOTH(test_abort_keeps_the_old_file),
        BOTH(test_a_failed_close_removes_the_temporary),
        BOTH(test_concurrent_writes_of_one_name_use_separate_temporaries),
        BOTH(test_a_name_near_the_length_limit_still_gets_a_temporary),
        BOTH(test_stale_temporaries_are_skipped_by_name_and_removed),
        cmocka_unit_test(test_partial_names_are_recognised_exactly),
        FILE_CASE(test_atomic_needs_write_and_create),
        cmocka_unit_test(test_null_accepts_atomic_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
