/* The closer on file://: many atomic files written through sequential writers and handed over
 * (depth 1 and 3) are all published whole, with no temporary left; a close that fails at
 * publication (the name is taken by a directory, a real rename failure) is returned by the next
 * hand-over and by finish with the file's name, the file before it is published, and neither it
 * nor any file handed over after it appears under its name or leaves a temporary; depths out of
 * range are refused; finishing a NULL closer is a no-op. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "io/closer.h"
#include "io/seqwriter.h"
#include "io_test_util.h"

#define BLOCK 8192

typedef struct fixture {
    char dir[1024];
    char uri[1200];
    mlps_store *store;
    unsigned char *buf;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    io_test_make_dir("closer", f->dir, sizeof f->dir);
    snprintf(f->uri, sizeof f->uri, "file://%s", f->dir);
    mlps_error err = {0};
    return mlps_store_open(f->uri, NULL, &f->store, &err);
}

static int teardown(void **state)
{
    fixture *f = *state;
    mlps_store_close(f->store);
    io_test_remove_tree(f->dir);
    free(f->buf);
    free(f);
    return 0;
}

/* File number i: its name and a size that differs from its neighbours'. */
static void name_of(unsigned i, char *out, size_t size) { snprintf(out, size, "d/f%02u.bin", i); }
static size_t size_of(unsigned i) { return 3 * BLOCK + 977 * i; }

/* Writes file i's pattern through a writer and returns the open file, released. */
static mlps_file *write_file(fixture *f, unsigned i)
{
    char name[64];
    name_of(i, name, sizeof name);
    size_t n = size_of(i);
    f->buf = realloc(f->buf, n);
    assert_non_null(f->buf);
    io_test_fill(f->buf, n, 0, i);
    mlps_seqwriter *w = NULL;
    mlps_error err = {0};
    if (mlps_seqwriter_open(f->store, name, MLPS_OPEN_ATOMIC, BLOCK, 2, &w, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(mlps_seqwriter_write(w, f->buf, n, &err), 0);
    mlps_file *file = NULL;
    assert_int_equal(mlps_seqwriter_release(w, &file, &err), 0);
    assert_non_null(file);
    assert_int_equal(mlps_file_size(file), n);
    return file;
}

static bool exists(fixture *f, const char *name)
{
    mlps_stat st;
    return mlps_store_stat(f->store, name, &st, NULL) == 0;
}

/* Asserts file i is published with exactly its pattern. */
static void expect_whole(fixture *f, unsigned i)
{
    char name[64];
    name_of(i, name, sizeof name);
    size_t n = size_of(i);
    mlps_stat st;
    mlps_error err = {0};
    assert_int_equal(mlps_store_stat(f->store, name, &st, &err), 0);
    assert_int_equal(st.size, n);
    f->buf = realloc(f->buf, n);
    mlps_file *file = NULL;
    assert_int_equal(mlps_file_open(f->store, name, MLPS_OPEN_READ, &file, &err), 0);
    assert_int_equal(mlps_file_pread_full(file, f->buf, n, 0, &err), 0);
    assert_int_equal(mlps_file_close(file, &err), 0);
    assert_int_equal(io_test_mismatch(f->buf, n, 0, i), n);
}

static void expect_no_temporaries(fixture *f)
{
    uint64_t leftovers = 0;
    mlps_error err = {0};
    assert_int_equal(mlps_store_remove_partials(f->store, "d", &leftovers, &err), 0);
    assert_int_equal(leftovers, 0);
}

static void many_files_are_published_whole(fixture *f, unsigned depth)
{
    enum { FILES = 16 };
    mlps_closer *closer = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_closer_start(depth, &closer, &err), 0);
    for (unsigned i = 0; i < FILES; i++)
        assert_int_equal(mlps_closer_close(closer, write_file(f, i), &err), 0);
    assert_int_equal(mlps_closer_finish(closer, &err), 0);
    for (unsigned i = 0; i < FILES; i++)
        expect_whole(f, i);
    expect_no_temporaries(f);
}

static void test_many_files_at_depth_one_are_published_whole(void **state)
{
    many_files_are_published_whole(*state, 1);
}

static void test_many_files_at_depth_three_are_published_whole(void **state)
{
    many_files_are_published_whole(*state, 3);
}

/* At depth 1 handing a file over waits for the previous close, so the failure of file 1 is what
 * handing over file 2 returns, every time. */
static void test_a_failed_publication_names_the_file_and_publishes_nothing_after_it(void **state)
{
    fixture *f = *state;
    char taken[1200], inside[1300];
    snprintf(taken, sizeof taken, "%s/d/f01.bin", f->dir);
    snprintf(inside, sizeof inside, "%s/keep", taken);
    mlps_error err = {0};
    assert_int_equal(mlps_store_mkdirs(f->store, "d/f01.bin", &err), 0);
    FILE *keep = fopen(inside, "w");
    assert_non_null(keep);
    fclose(keep);

    mlps_closer *closer = NULL;
    assert_int_equal(mlps_closer_start(1, &closer, &err), 0);
    assert_int_equal(mlps_closer_close(closer, write_file(f, 0), &err), 0);
    assert_int_equal(mlps_closer_close(closer, write_file(f, 1), &err), 0);
    mlps_error handing = {0};
    assert_int_equal(mlps_closer_close(closer, write_file(f, 2), &handing), -EISDIR);
    assert_int_equal(mlps_closer_close(closer, write_file(f, 3), &handing), -EISDIR);
    mlps_error finishing = {0};
    assert_int_equal(mlps_closer_finish(closer, &finishing), -EISDIR);

    char prefix[1400];
    snprintf(prefix, sizeof prefix, "close %s/d/f01.bin: rename of the finished temporary ",
             f->uri);
    assert_memory_equal(finishing.message, prefix, strlen(prefix));
    assert_non_null(strstr(finishing.message, ": Is a directory"));
    assert_string_equal(handing.message, finishing.message);
    assert_int_equal(finishing.exit_status, MLPS_EXIT_RUN_FAILED);

    expect_whole(f, 0);
    struct stat st;
    assert_int_equal(stat(inside, &st), 0); /* the directory in the way is untouched */
    assert_false(exists(f, "d/f02.bin"));
    assert_false(exists(f, "d/f03.bin"));
    expect_no_temporaries(f);
}

static void test_depths_out_of_range_are_refused(void **state)
{
    (void)state;
    mlps_closer *closer = (mlps_closer *)0x1;
    mlps_error err = {0};
    assert_int_equal(mlps_closer_start(0, &closer, &err), -EINVAL);
    assert_null(closer);
    assert_string_equal(err.message, "closer: depth 0 must be in 1..64");
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_int_equal(mlps_closer_start(65, &closer, &err), -EINVAL);
    assert_string_equal(err.message, "closer: depth 65 must be in 1..64");
}

static void test_finishing_no_closer_succeeds(void **state)
{
    (void)state;
    assert_int_equal(mlps_closer_finish(NULL, NULL), 0);
}

static void test_a_closer_with_nothing_handed_over_finishes_cleanly(void **state)
{
    (void)state;
    mlps_closer *closer = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_closer_start(2, &closer, &err), 0);
    assert_non_null(closer);
    assert_int_equal(mlps_closer_finish(closer, &err), 0);
}

#define FILE_CASE(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FILE_CASE(test_many_files_at_depth_one_are_published_whole),
        FILE_CASE(test_many_files_at_depth_three_are_published_whole),
        FILE_CASE(test_a_failed_publication_names_the_file_and_publishes_nothing_after_it),
        cmocka_unit_test(test_depths_out_of_range_are_refused),
        cmocka_unit_test(test_finishing_no_closer_succeeds),
        cmocka_unit_test(test_a_closer_with_nothing_handed_over_finishes_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
