/* Sample files of every format of this directory for the interoperability check
 * (tests/integration/test_formats_interop.sh), which reads them with NumPy, Python's zipfile
 * and csv modules and independent Python parsers (tests/interop/).
 *
 * With a directory argument: writes the files (and companions) there as a dataset folder and a
 * manifest.txt, one line per data file:
 *   <format> <path> <file index> <d1> <d2> <samples> <element type> <element bytes>
 *   <compression> <companion path>...
 * Without arguments (as a unit test): writes the same files under $MLPS_TEST_TMP and checks
 * that each has the size file_size() announced and that its samples can be located. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/mkdirs.h"
#include "formats/format.h"

typedef struct interop_case {
    const char *format;
    const char *path; /* relative to the dataset folder */
    const char *split;
    uint64_t index, d1, d2, samples;
    const char *element_type;
    unsigned element_bytes;
    const char *compression;
} interop_case;

static const interop_case cases[] = {
    {"npz", "train/img_0_of_4.npz", "train", 0, 7, 5, 3, "uint8", 1, "none"},
    {"npz", "train/img_1_of_4.npz", "train", 1, 4, 3, 1, "float32", 4, "none"},
    {"npz", "train/img_2_of_4.npz", "train", 2, 9, 11, 2, "uint8", 1, "zip"},
    {"npy", "train/img_0_of_2.npy", "train", 0, 7, 5, 3, "uint8", 1, "none"},
    {"npy", "train/img_1_of_2.npy", "train", 1, 3, 2, 1, "float64", 8, "none"},
    {"tfrecord", "train/3/img_3_of_8.tfrecord", "train", 3, 300, 301, 3, "uint8", 1, "none"},
    {"tfrecord", "valid/img_9_of_2.tfrecord", "valid", 9, 4, 6, 5, "uint8", 1, "none"},
    {"csv", "train/img_0_of_1.csv", "train", 0, 4, 5, 3, "uint8", 1, "none"},
    {"indexed_binary", "train/img_0_of_1.indexed_binary", "train", 0, 8, 8, 5, "uint8", 1,
     "none"},
    {"synthetic", "train/img_12345_of_20000.synthetic", "train", 12345, 1, 1, 2, "uint8", 1,
     "none"},
};

static mlps_format_params case_params(const interop_case *c)
{
    return (mlps_format_params){.samples_per_file = c->samples,
                                .element_bytes = c->element_bytes,
                                .element_type = c->element_type,
                                .compression = c->compression,
                                .seed = 42};
}

/* dir/relative into out, or false when it does not fit. */
static bool join_path(char *out, size_t size, const char *dir, const char *relative)
{
    int n = snprintf(out, size, "%s/%s", dir, relative);
    return n > 0 && (size_t)n < size;
}

static int write_bytes(const char *dir, const char *relative, const void *data, size_t len)
{
    char path[4096], parent[4096];
    if (!join_path(path, sizeof path, dir, relative))
        return -1;
    memcpy(parent, path, sizeof parent);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    mlps_error err = {0};
    if (mlps_mkdirs(parent, 0755, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t done = len ? fwrite(data, 1, len, f) : 0;
    return fclose(f) == 0 && done == len ? 0 : -1;
}

/* Writes one case's data file and companions under dir; appends its manifest line to
 * manifest (when not NULL). */
static int write_case(const char *dir, const interop_case *c, FILE *manifest, uint64_t *size,
                      uint64_t *expected_size)
{
    const mlps_format *format = mlps_format_find(c->format);
    mlps_format_params params = case_params(c);
    mlps_format_file file = {.index = c->index, .d1 = c->d1, .d2 = c->d2};
    mlps_error err = {0};
    mlps_memory_sink memory;
    mlps_sink sink;
    if (!format)
        return -1;
    mlps_memory_sink_init(&sink, &memory);
    int rc = format->write(&params, &file, &sink, &err);
    if (!rc)
        rc = write_bytes(dir, c->path, memory.data, memory.size);
    *size = memory.size;
    *expected_size = format->file_size(&params, &file);
    mlps_memory_sink_free(&memory);
    if (manifest)
        fprintf(manifest, "%s %s %llu %llu %llu %llu %s %u %s", c->format, c->path,
                (unsigned long long)c->index, (unsigned long long)c->d1,
                (unsigned long long)c->d2, (unsigned long long)c->samples, c->element_type,
                c->element_bytes, c->compression);
    for (unsigned which = 0; !rc && which < format->companion_count; which++) {
        char companion[1024];
        rc = format->companion_path(which, c->split, c->path, companion, sizeof companion, &err);
        mlps_memory_sink_init(&sink, &memory);
        if (!rc)
            rc = format->write_companion(&params, &file, which, &sink, &err);
        if (!rc)
            rc = write_bytes(dir, companion, memory.data, memory.size);
        mlps_memory_sink_free(&memory);
        if (!rc && manifest)
            fprintf(manifest, " %s", companion);
    }
    if (manifest)
        fprintf(manifest, "\n");
    if (rc)
        fprintf(stderr, "%s: %s\n", c->path, err.message[0] ? err.message : "write failed");
    return rc;
}

static int write_all(const char *dir)
{
    char manifest_path[4096];
    mlps_error err = {0};
    if (!join_path(manifest_path, sizeof manifest_path, dir, "manifest.txt") ||
        mlps_mkdirs(dir, 0755, &err))
        return 1;
    FILE *manifest = fopen(manifest_path, "w");
    if (!manifest)
        return 1;
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t size, expected;
        rc = write_case(dir, &cases[i], manifest, &size, &expected);
        if (!rc && expected && expected != size) {
            fprintf(stderr, "%s: wrote %llu bytes, file_size() said %llu\n", cases[i].path,
                    (unsigned long long)size, (unsigned long long)expected);
            rc = 1;
        }
    }
    return fclose(manifest) == 0 && !rc ? 0 : 1;
}

/* Reads the file back from disk and locates its samples. */
static void check_written(const char *dir, const interop_case *c, uint64_t size)
{
    char path[4096];
    assert_true(join_path(path, sizeof path, dir, c->path));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((uint64_t)st.st_size, size);
    unsigned char *data = malloc(size ? size : 1);
    assert_non_null(data);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(data, 1, size, f), size);
    fclose(f);
    mlps_source source;
    mlps_memory_source_init(&source, data, size, path);
    mlps_format_params params = case_params(c);
    mlps_sample_extent extents[8];
    mlps_error err = {0};
    assert_true(c->samples <= 8);
    int rc = mlps_format_find(c->format)->locate_samples(&params, &source, extents, &err);
    if (rc)
        fail_msg("%s", err.message);
    for (uint64_t k = 0; k < c->samples; k++)
        assert_true(extents[k].offset + extents[k].length <= size);
    free(data);
    unlink(path);
}

static void every_case_writes_its_announced_size(void **state)
{
    (void)state;
    const char *base = getenv("MLPS_TEST_TMP");
    char dir[1024];
    int n = snprintf(dir, sizeof dir, "%s/format-interop-%ld", base && base[0] ? base : "/tmp",
                     (long)getpid());
    assert_true(n > 0 && (size_t)n < sizeof dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t size = 0, expected = 0;
        assert_int_equal(write_case(dir, &cases[i], NULL, &size, &expected), 0);
        if (strcmp(cases[i].compression, "zip") != 0)
            assert_int_equal(size, expected);
        check_written(dir, &cases[i], size);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return write_all(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_case_writes_its_announced_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
