/* Writes sample files of the jpeg, png, hdf5 and parquet formats for the ecosystem's own
 * readers (tests/integration/test_formats_b_interop.sh runs Pillow, h5py and hyparquet on
 * them), with a manifest.json saying what each file should hold: shapes, columns, row groups,
 * and the sample extents our locator reports. As a unit test (no arguments) it writes into
 * $MLPS_TEST_TMP/formats_b_interop and checks each file minimally: it locates, and sizes that
 * are known in advance match; given a directory, it writes there. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "format_write_util.h"

typedef struct interop_run {
    const char *dir;
    json_t *files; /* the manifest's entries */
} interop_run;

static void save(const interop_run *run, const char *name, const void *data, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", run->dir, name);
    FILE *out = fopen(path, "wb");
    if (!out)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    assert_int_equal(fwrite(data, 1, size, out), size);
    assert_int_equal(fclose(out), 0);
}

/* Writes one file, saves it, locates its samples and returns the manifest entry (owned by the
 * manifest) with the common fields and the extents. */
static json_t *produce(interop_run *run, const char *format, const char *name,
                       const mlps_format_params *params, const mlps_format_file *file)
{
    written_file out;
    write_file(format, params, file, &out);
    uint64_t expected = format_named(format)->file_size(params, file);
    if (expected)
        assert_int_equal(expected, out.memory.size);
    save(run, name, out.memory.data, out.memory.size);
    mlps_sample_extent *extents = calloc(params->samples_per_file + 1, sizeof *extents);
    assert_non_null(extents);
    mlps_error err = {0};
    if (locate_bytes(format, params, out.memory.data, out.memory.size, name, extents, &err))
        fail_msg("%s: %s", name, err.message);
    json_t *spans = json_array();
    for (uint64_t s = 0; s < params->samples_per_file; s++) {
        assert_true(extents[s].length > 0);
        assert_true(extents[s].offset + extents[s].length <= out.memory.size);
        json_array_append_new(spans, json_pack("[I, I]", (json_int_t)extents[s].offset,
                                               (json_int_t)extents[s].length));
    }
    free(extents);
    json_t *entry = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "path", name,
                              "format", format, "samples", (json_int_t)params->samples_per_file,
                              "d1", (json_int_t)file->d1, "d2", (json_int_t)file->d2, "size",
                              (json_int_t)out.memory.size, "seed", (json_int_t)params->seed,
                              "extents", spans);
    json_array_append_new(run->files, entry);
    written_file_free(&out);
    return entry;
}

static void writes_images(void **state)
{
    interop_run *run = *state;
    const uint64_t shapes[][2] = {{37, 53}, {1, 1}, {256, 300}, {568, 568}};
    mlps_format_params params = {.samples_per_file = 1, .element_bytes = 1,
                                 .element_type = "uint8", .seed = 31};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        mlps_format_file file = {.index = i, .d1 = shapes[i][0], .d2 = shapes[i][1]};
        char name[64];
        size_t pixels = (size_t)(file.d1 * file.d2);
        unsigned char *raw = malloc(pixels);
        assert_non_null(raw);
        mlps_fill_random_at(raw, pixels, params.seed, file.index, 0);
        snprintf(name, sizeof name, "image_%zu.raw", i);
        save(run, name, raw, pixels);
        free(raw);
        json_t *entry;
        snprintf(name, sizeof name, "image_%zu.jpeg", i);
        entry = produce(run, "jpeg", name, &params, &file);
        json_object_set_new(entry, "raw", json_sprintf("image_%zu.raw", i));
        snprintf(name, sizeof name, "image_%zu.png", i);
        entry = produce(run, "png", name, &params, &file);
        json_object_set_new(entry, "raw", json_sprintf("image_%zu.raw", i));
    }
}

static void writes_hdf5(void **state)
{
    interop_run *run = *state;
    const struct {
        const char *name;
        uint64_t samples, d1, d2;
        const char *element_type;
        unsigned element_bytes, datasets;
        bool chunking;
        uint64_t chunk_size;
        const char *compression;
    } cases[] = {
        {"contiguous.hdf5", 3, 5, 7, "uint8", 1, 1, false, 0, "none"},
        {"chunked_gzip.hdf5", 4, 37, 53, "uint8", 1, 2, true, 100, "gzip"},
        {"gzip.hdf5", 3, 20, 20, "uint8", 1, 1, false, 0, "gzip"},
        {"float32.hdf5", 2, 3, 4, "float32", 4, 1, false, 0, "none"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mlps_format_params params = {
            .samples_per_file = cases[i].samples, .element_bytes = cases[i].element_bytes,
            .element_type = cases[i].element_type, .compression = cases[i].compression,
            .enable_chunking = cases[i].chunking, .chunk_size = cases[i].chunk_size,
            .num_dset_per_record = cases[i].datasets, .seed = 41};
        mlps_format_file file = {.index = 100 + i, .d1 = cases[i].d1, .d2 = cases[i].d2};
        json_t *entry = produce(run, "hdf5", cases[i].name, &params, &file);
        json_object_set_new(entry, "element_type", json_string(cases[i].element_type));
        json_object_set_new(entry, "datasets", json_integer(cases[i].datasets));
        json_object_set_new(entry, "chunking", json_boolean(cases[i].chunking));
        json_object_set_new(entry, "chunk_size", json_integer((json_int_t)cases[i].chunk_size));
        json_object_set_new(entry, "compression", json_string(cases[i].compression));
    }
}

static json_t *dlrm_columns(void)
{
    json_t *columns = json_array();
    for (int i = 0; i < 200; i++) {
        const char *dtype = i % 4 == 0 ? "float32" : i % 4 == 1 ? "float16"
                            : i % 4 == 2 ? "float64" : "int8";
        char name[32];
        snprintf(name, sizeof name, "feature_%03d", i);
        json_array_append_new(columns, json_pack("{s:s, s:s}", "name", name, "dtype", dtype));
    }
    return columns;
}

static void writes_parquet(void **state)
{
    interop_run *run = *state;
    json_error_t error;
    const struct {
        const char *name;
        json_t *columns;
        uint64_t rows, group_rows, d1, d2;
    } cases[] = {
        {"dlrm_like.parquet", dlrm_columns(), 300, 128, 1, 1},
        {"flux_like.parquet",
         json_loads("[{\"name\": \"t5_encodings\", \"dtype\": \"float32\", \"size\": 300000},"
                    " {\"name\": \"clip_encodings\", \"dtype\": \"float32\", \"size\": 409},"
                    " {\"name\": \"mean\", \"dtype\": \"float32\", \"size\": 8232},"
                    " {\"name\": \"logvar\", \"dtype\": \"float32\", \"size\": 8232},"
                    " {\"name\": \"timestamp\", \"dtype\": \"float32\", \"size\": 7}]",
                    0, &error),
         6, 0, 1, 1},
        {"legacy.parquet", NULL, 50, 16, 16, 20},
        {"all_types.parquet",
         json_loads("[\"bare\", {\"name\": \"u8\", \"dtype\": \"uint8\"},"
                    " {\"name\": \"i8\", \"dtype\": \"int8\", \"size\": 9},"
                    " {\"name\": \"i16\", \"dtype\": \"int16\", \"size\": 3},"
                    " {\"name\": \"u16\", \"dtype\": \"uint16\"},"
                    " {\"name\": \"i32\", \"dtype\": \"int32\"},"
                    " {\"name\": \"u32\", \"dtype\": \"uint32\"},"
                    " {\"name\": \"i64\", \"dtype\": \"int64\"},"
                    " {\"name\": \"u64\", \"dtype\": \"uint64\"},"
                    " {\"name\": \"f16\", \"dtype\": \"float16\"},"
                    " {\"name\": \"f16_list\", \"dtype\": \"float16\", \"size\": 4},"
                    " {\"name\": \"f64\", \"dtype\": \"float64\"},"
                    " {\"name\": \"flag\", \"dtype\": \"bool\"},"
                    " {\"name\": \"blob\", \"dtype\": \"binary\", \"size\": 5},"
                    " {\"name\": \"one\", \"dtype\": \"list\", \"size\": 1},"
                    " {\"name\": \"pairs\", \"dtype\": \"float32\", \"size\": 2}]",
                    0, &error),
         37, 10, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mlps_format_params params = {.samples_per_file = cases[i].rows, .compression = "none",
                                     .parquet_columns = cases[i].columns,
                                     .parquet_row_group_size = cases[i].group_rows, .seed = 51};
        mlps_format_file file = {.index = 200 + i, .d1 = cases[i].d1, .d2 = cases[i].d2};
        json_t *entry = produce(run, "parquet", cases[i].name, &params, &file);
        json_object_set_new(entry, "row_group_size",
                            json_integer(cases[i].group_rows ? (json_int_t)cases[i].group_rows
                                                             : 1024));
        json_object_set_new(entry, "columns",
                            cases[i].columns ? json_incref(cases[i].columns) : json_null());
        json_decref(cases[i].columns);
    }
}

int main(int argc, char **argv)
{
    char dir[4096];
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    } else {
        const char *base = getenv("MLPS_TEST_TMP");
        snprintf(dir, sizeof dir, "%s/formats_b_interop", base && *base ? base : ".");
        if (base && *base)
            mkdir(base, 0755);
    }
    mkdir(dir, 0755);
    interop_run run = {.dir = dir, .files = json_array()};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(writes_images, &run),
        cmocka_unit_test_prestate(writes_hdf5, &run),
        cmocka_unit_test_prestate(writes_parquet, &run),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_t *manifest = json_pack("{s:o}", "files", run.files);
    if (json_dump_file(manifest, path, JSON_INDENT(1)) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        failed = 1;
    }
    json_decref(manifest);
    return failed ? 1 : 0;
}
