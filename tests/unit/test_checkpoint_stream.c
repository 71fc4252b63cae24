/* Tests of checkpoint file streams: sizes that are not multiples of the chunk, piece or O_DIRECT
 * alignment are written and read back exactly, files differ and do not compress, a wrong size is
 * named, a list of files is read with requests in flight across file ends, the memory the
 * streams use is the stated bound, and one writer's files are all durable
 * and published after its flush, which reports a file that could not be published. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "checkpoint/stream.h"
#include "io_test_util.h"

static const mlps_stream_options small = {
    .write_chunk = 64 << 10, .write_depth = 3, .read_piece = 96 << 10, .read_depth = 2, .seed = 7};

static unsigned char *read_whole(mlps_store *store, const char *path, uint64_t size)
{
    mlps_file *file = NULL;
    unsigned char *data = malloc(size ? size : 1);
    assert_int_equal(mlps_file_open(store, path, MLPS_OPEN_READ, &file, NULL), 0);
    assert_int_equal(mlps_file_pread_full(file, data, size, 0, NULL), 0);
    mlps_file_close(file, NULL);
    return data;
}

static void round_trip(const char *scheme)
{
    char dir[1024], uri[1100];
    io_test_make_dir("ckpt-stream", dir, sizeof dir);
    snprintf(uri, sizeof uri, "%s://%s", scheme, dir);
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(uri, NULL, &store, &err), 0);
    const uint64_t sizes[] = {0, 1, 4096, (64 << 10) + 4097, 1000003};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "step1/file_%zu.pt", i);
        mlps_hist write_latency, read_latency;
        mlps_hist_init(&write_latency);
        mlps_hist_init(&read_latency);
        assert_int_equal(
            mlps_stream_write_file(store, name, sizes[i], &small, &write_latency, &err), 0);
        mlps_stat st;
        assert_int_equal(mlps_store_stat(store, name, &st, NULL), 0);
        assert_int_equal(st.size, sizes[i]);
        assert_int_equal(
            mlps_stream_read_file(store, name, sizes[i], &small, &read_latency, &err), 0);
        uint64_t pieces = (sizes[i] + (96 << 10) - 1) / (96 << 10);
        assert_int_equal(mlps_hist_count(&read_latency), pieces);
        assert_true(mlps_hist_count(&write_latency) >= (sizes[i] ? 1u : 0u));
    }
    /* A size other than the one written is refused, naming the file and both sizes. */
    assert_int_not_equal(mlps_stream_read_file(store, "step1/file_4.pt", 1000000, &small, NULL,
                                               &err), 0);
    assert_non_null(strstr(err.message, "file_4.pt has 1000003 bytes, not the 1000000"));
    assert_int_not_equal(mlps_stream_read_file(store, "step1/missing.pt", 1, &small, NULL, &err),
                         0);
    assert_non_null(strstr(err.message, "missing.pt"));
    mlps_store_close(store);
    io_test_remove_tree(dir);
}

static void buffered_files_round_trip(void **state)
{
    (void)state;
    round_trip("file");
}

static void direct_files_round_trip(void **state)
{
    (void)state;
    round_trip("direct");
}

static void files_differ_and_do_not_compress(void **state)
{
    (void)state;
    char dir[1024];
    io_test_make_dir("ckpt-entropy", dir, sizeof dir);
    mlps_store *store = NULL;
    assert_int_equal(mlps_store_open(dir, NULL, &store, NULL), 0);
    const uint64_t size = 1 << 20;
    assert_int_equal(mlps_stream_write_file(store, "a.pt", size, &small, NULL, NULL), 0);
    assert_int_equal(mlps_stream_write_file(store, "b.pt", size, &small, NULL, NULL), 0);
    unsigned char *a = read_whole(store, "a.pt", size), *b = read_whole(store, "b.pt", size);
    assert_memory_not_equal(a, b, 4096);
    size_t bound = ZSTD_compressBound(size);
    void *packed = malloc(bound);
    size_t packed_size = ZSTD_compress(packed, bound, a, size, 3);
    assert_false(ZSTD_isError(packed_size));
    assert_true(packed_size >= size); /* zstd ratio 1.00: nothing to gain */
    free(packed);
    free(a);
    free(b);
    mlps_store_close(store);
    io_test_remove_tree(dir);
}

/* One reader reads file after file, and goes on after a file it refused. */
static void one_reader_serves_many_files(void **state)
{
    (void)state;
    char dir[1024];
    io_test_make_dir("ckpt-reader", dir, sizeof dir);
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(dir, NULL, &store, NULL), 0);
    const uint64_t sizes[] = {1000003, 5, (96 << 10) * 2};
    char names[3][16];
    for (size_t i = 0; i < 3; i++) {
        snprintf(names[i], sizeof names[i], "f%zu.pt", i);
        assert_int_equal(mlps_stream_write_file(store, names[i], sizes[i], &small, NULL, NULL), 0);
    }
    mlps_stream_reader *reader = NULL;
    assert_int_equal(mlps_stream_reader_create(store, &small, &reader, &err), 0);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < 3; i++) {
            mlps_hist latency;
            mlps_hist_init(&latency);
            assert_int_equal(mlps_stream_reader_read(reader, names[i], sizes[i], &latency, &err),
                             0);
            assert_int_equal(mlps_hist_count(&latency), (sizes[i] + (96 << 10) - 1) / (96 << 10));
        }
        assert_int_not_equal(mlps_stream_reader_read(reader, names[0], 7, NULL, &err), 0);
        assert_non_null(strstr(err.message, "f0.pt has 1000003 bytes, not the 7"));
        assert_int_not_equal(mlps_stream_reader_read(reader, "none.pt", 1, NULL, &err), 0);
    }
    mlps_stream_reader_destroy(reader);
    mlps_store_close(store);
    io_test_remove_tree(dir);
}

static int open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    assert_non_null(dir);
    int count = 0;
    while (readdir(dir))
        count++;
    closedir(dir);
    return count;
}

/* A list read in one go: what each file open saw, and which files are done. */
typedef struct list_probe {
    const char *const *names;
    const uint64_t *sizes;
    unsigned done_mask;            /* bit i: file i read whole */
    unsigned done_calls;
    unsigned done_mask_at_open[8]; /* done_mask when file i was opened */
} list_probe;

static int probe_file(void *ctx, size_t index, char *path, size_t path_size, uint64_t *bytes,
                      mlps_error *err)
{
    (void)err;
    list_probe *p = ctx;
    p->done_mask_at_open[index] = p->done_mask;
    snprintf(path, path_size, "%s", p->names[index]);
    *bytes = p->sizes[index];
    return 0;
}

static void probe_done(void *ctx, size_t index, uint64_t ns)
{
    (void)ns;
    list_probe *p = ctx;
    assert_false(p->done_mask & (1u << index)); /* once per file */
    p->done_mask |= 1u << index;
    p->done_calls++;
}

static int read_list(mlps_stream_reader *reader, list_probe *probe, size_t count,
                     mlps_hist *latency, mlps_error *err)
{
    const mlps_stream_file_list list = {.count = count, .file = probe_file, .done = probe_done,
                                        .ctx = probe};
    return mlps_stream_reader_read_list(reader, &list, latency, err);
}

/* Reads go on across file ends: with 2 requests in flight, the third file is opened while the
 * first (one piece) is still being read; every file is read whole exactly once; a wrong size or
 * a missing file in the middle of a list is named, the files read whole before it are reported
 * and every file is closed, and the reader then reads the list again from a clean state. The reader holds
 * the read memory it states. */
static void list_across_files(const char *scheme)
{
    char dir[1024], uri[1100];
    io_test_make_dir("ckpt-list", dir, sizeof dir);
    if (strcmp(scheme, "direct") == 0 && !io_test_dir_takes_o_direct(dir)) {
        io_test_remove_tree(dir);
        skip();
    }
    snprintf(uri, sizeof uri, "%s://%s", scheme, dir);
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(uri, NULL, &store, &err), 0);
    const char *const names[] = {"a.pt", "b.pt", "c.pt", "d.pt", "e.pt"};
    const uint64_t sizes[] = {5, 0, 1000003, (96 << 10) * 2, (96 << 10) + 1};
    uint64_t pieces = 0;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(mlps_stream_write_file(store, names[i], sizes[i], &small, NULL, NULL), 0);
        pieces += (sizes[i] + (96 << 10) - 1) / (96 << 10);
    }
    mlps_stream_reader *reader = NULL;
    assert_int_equal(mlps_stream_reader_create(store, &small, &reader, &err), 0);
    /* one 96 KiB sink on file://, a buffer per request on direct:// */
    assert_int_equal(mlps_stream_reader_memory(reader), mlps_stream_read_memory(&small, store));
    assert_int_equal(mlps_stream_reader_memory(reader),
                     (strcmp(scheme, "direct") == 0 ? 2 : 1) * (96ull << 10));
    for (int round = 0; round < 2; round++) {
        list_probe probe = {.names = names, .sizes = sizes};
        mlps_hist latency;
        mlps_hist_init(&latency);
        assert_int_equal(read_list(reader, &probe, 5, &latency, &err), 0);
        assert_int_equal(probe.done_mask, 0x1f);
        assert_int_equal(probe.done_calls, 5);
        assert_int_equal(mlps_hist_count(&latency), pieces);
        assert_false(probe.done_mask_at_open[2] & 1u); /* a.pt still in flight */
        assert_true(probe.done_mask_at_open[2] & 2u);  /* b.pt, empty, done at its open */

        /* d.pt is refused at its opening, maybe while reads of a.pt or c.pt are in flight: they
         * are waited for, nothing from d.pt on is reported, every file is closed */
        int fds = open_fds();
        const uint64_t wrong[] = {5, 0, 1000003, 7, (96 << 10) + 1};
        list_probe bad = {.names = names, .sizes = wrong};
        assert_int_not_equal(read_list(reader, &bad, 5, NULL, &err), 0);
        assert_non_null(strstr(err.message, "d.pt has 196608 bytes, not the 7"));
        assert_int_equal(bad.done_mask & 0x1a, 0x2); /* b.pt done, d.pt and e.pt not */
        assert_int_equal(open_fds(), fds);

        const char *const gap[] = {"a.pt", "b.pt", "c.pt", "missing.pt", "e.pt"};
        list_probe missing = {.names = gap, .sizes = sizes};
        assert_int_not_equal(read_list(reader, &missing, 5, NULL, &err), 0);
        assert_non_null(strstr(err.message, "missing.pt"));
        assert_int_equal(missing.done_mask & 0x1a, 0x2);
        assert_int_equal(open_fds(), fds);
    }
    mlps_stream_reader_destroy(reader);
    mlps_store_close(store);
    io_test_remove_tree(dir);
}

static void buffered_list_across_files(void **state)
{
    (void)state;
    list_across_files("file");
}

static void direct_list_across_files(void **state)
{
    (void)state;
    list_across_files("direct");
}

/* Read memory: one piece where the CPU moves the discarded bytes (file://), a piece per request
 * where a device does (direct://). */
static void memory_is_the_stated_bound(void **state)
{
    (void)state;
    char dir[1024], uri[1100];
    io_test_make_dir("ckpt-memory", dir, sizeof dir);
    snprintf(uri, sizeof uri, "direct://%s", dir);
    mlps_store *buffered = NULL, *direct = NULL;
    assert_int_equal(mlps_store_open(dir, NULL, &buffered, NULL), 0);
    assert_int_equal(mlps_store_open(uri, NULL, &direct, NULL), 0);
    assert_int_equal(mlps_stream_write_memory(NULL), 4ull * 32 * 1024 * 1024);
    assert_int_equal(mlps_stream_read_memory(NULL, buffered), 128ull * 1024 * 1024);
    assert_int_equal(mlps_stream_read_memory(NULL, direct), 4ull * 128 * 1024 * 1024);
    assert_int_equal(mlps_stream_write_memory(&small), 3ull * 64 * 1024);
    assert_int_equal(mlps_stream_read_memory(&small, buffered), 96ull * 1024);
    assert_int_equal(mlps_stream_read_memory(&small, direct), 2ull * 96 * 1024);
    mlps_store_close(direct);
    mlps_store_close(buffered);
    io_test_remove_tree(dir);
}

static void one_writer_publishes_every_file_at_its_flush(void **state)
{
    (void)state;
    char dir[1024], blocker[1100], inside[1200];
    io_test_make_dir("ckpt-writer", dir, sizeof dir);
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(dir, NULL, &store, &err), 0);
    mlps_stream_writer *writer = NULL;
    assert_int_equal(mlps_stream_writer_create(store, &small, &writer, &err), 0);
    const uint64_t sizes[] = {(64 << 10) * 3 + 5, 1, 200000};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "w%d.pt", i);
        assert_int_equal(mlps_stream_writer_write(writer, name, sizes[i], NULL, &err), 0);
    }
    assert_int_equal(mlps_stream_writer_flush(writer, &err), 0);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "w%d.pt", i);
        mlps_stat st;
        assert_int_equal(mlps_store_stat(store, name, &st, &err), 0);
        assert_int_equal(st.size, sizes[i]);
    }
    /* a file whose name is taken by a non-empty directory cannot be published */
    snprintf(blocker, sizeof blocker, "%s/taken.pt", dir);
    snprintf(inside, sizeof inside, "%s/keep", blocker);
    assert_int_equal(mkdir(blocker, 0755), 0);
    FILE *keep = fopen(inside, "w");
    assert_non_null(keep);
    fclose(keep);
    int rc = mlps_stream_writer_write(writer, "taken.pt", 1000, NULL, &err);
    if (rc == 0)
        rc = mlps_stream_writer_flush(writer, &err);
    assert_true(rc < 0);
    assert_non_null(strstr(err.message, "taken.pt"));
    mlps_stream_writer_destroy(writer);
    mlps_store_close(store);
    io_test_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buffered_files_round_trip),
        cmocka_unit_test(direct_files_round_trip),
        cmocka_unit_test(files_differ_and_do_not_compress),
        cmocka_unit_test(one_reader_serves_many_files),
        cmocka_unit_test(buffered_list_across_files),
        cmocka_unit_test(direct_list_across_files),
        cmocka_unit_test(memory_is_the_stated_bound),
        cmocka_unit_test(one_writer_publishes_every_file_at_its_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
