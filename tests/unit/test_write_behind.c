/* Write-behind on file:// (mlps_file_write_behind through the sequential writer): while a file is
 * written, everything more than the window before its end has left the page cache and the last
 * window is still in it, exactly, page by page (mincore); with write-behind off the whole file is
 * cached until it is closed; either way, and with many writes in flight, the file holds the right
 * bytes. The page counts are skipped on tmpfs, whose pages are the file and cannot be dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "core/fill.h"
#include "io/seqwriter.h"
#include "io_test_util.h"

#define MIB ((size_t)1 << 20)
#define FILE_BYTES (16 * MIB)
#define BLOCK (1 * MIB)
#define WINDOW (4 * MIB)
#define SEED 0xbe41d
#define STREAM 7

typedef io_test_store fixture;

static int setup(void **state) { return io_test_store_setup(state, "write-behind"); }
static int teardown(void **state) { return io_test_store_teardown(state); }

/* Pages of [from, to) of the file at path that are in the page cache. */
static size_t resident_pages(const char *path, size_t from, size_t to)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    void *map = mmap(NULL, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *vec = calloc(FILE_BYTES / page, 1);
    assert_non_null(vec);
    assert_int_equal(mincore(map, FILE_BYTES, vec), 0);
    size_t count = 0;
    for (size_t i = from / page; i < to / page; i++)
        count += vec[i] & 1;
    free(vec);
    munmap(map, FILE_BYTES);
    close(fd);
    return count;
}

/* Writes FILE_BYTES with `depth` requests in flight (1: completions in order) and the window
 * given, and hands the file back still open: nothing has been fsynced or evicted by a close. */
static mlps_file *write_file(fixture *f, uint64_t window, unsigned depth, char *path, size_t size)
{
    snprintf(path, size, "%s/w.bin", f->dir);
    mlps_seqwriter *w = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_seqwriter_open(f->store, "w.bin", 0, BLOCK, depth, &w, &err), 0);
    mlps_seqwriter_write_behind(w, window);
    assert_int_equal(mlps_seqwriter_write_random(w, FILE_BYTES, SEED, STREAM, 0, &err), 0);
    mlps_file *file = NULL;
    assert_int_equal(mlps_seqwriter_release(w, &file, &err), 0);
    return file;
}

static void expect_content(const char *path)
{
    unsigned char *expected = malloc(FILE_BYTES), *actual = malloc(FILE_BYTES);
    assert_non_null(expected);
    assert_non_null(actual);
    mlps_fill_random_at(expected, FILE_BYTES, SEED, STREAM, 0);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    assert_int_equal(fread(actual, 1, FILE_BYTES + 1, in), FILE_BYTES);
    fclose(in);
    assert_memory_equal(actual, expected, FILE_BYTES);
    free(expected);
    free(actual);
}

/* Writes the file with the window given and checks that exactly the first `dropped` bytes have
 * left the page cache and the rest is still in it, then that the closed file is right. */
static void expect_write_behind(fixture *f, uint64_t window, size_t dropped)
{
    if (io_test_is_tmpfs(f->dir))
        skip();
    char path[1200];
    mlps_file *file = write_file(f, window, 1, path, sizeof path);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    assert_int_equal(resident_pages(path, 0, dropped), 0);
    assert_int_equal(resident_pages(path, dropped, FILE_BYTES), (FILE_BYTES - dropped) / page);
    mlps_error err = {0};
    assert_int_equal(mlps_file_close(file, &err), 0);
    expect_content(path);
}

static void test_only_the_window_stays_cached(void **state)
{
    expect_write_behind(*state, WINDOW, FILE_BYTES - WINDOW);
}

static void test_off_keeps_the_whole_file_cached(void **state)
{
    expect_write_behind(*state, 0, 0);
}

/* A window as large as the file drops nothing (the data still goes out early). */
static void test_a_window_past_the_end_drops_nothing(void **state)
{
    expect_write_behind(*state, FILE_BYTES, 0);
}

/* With several writes in flight they may complete out of order and a drop may run while an
 * earlier range is still being written: every byte still arrives. */
static void test_writes_in_flight_keep_every_byte(void **state)
{
    fixture *f = *state;
    char path[1200];
    mlps_file *file = write_file(f, BLOCK, 8, path, sizeof path);
    mlps_error err = {0};
    assert_int_equal(mlps_file_close(file, &err), 0);
    expect_content(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_only_the_window_stays_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_keeps_the_whole_file_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_window_past_the_end_drops_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_writes_in_flight_keep_every_byte, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
