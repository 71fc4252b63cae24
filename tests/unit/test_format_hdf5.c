/* Tests for the hdf5 dataset format: datasets, shapes, types, chunking and gzip as configured
 * (read back with the HDF5 library through a source), exact sample extents whose bytes are
 * the generated noise, several records datasets, files named the reference's v2.0 way, usage
 * errors, and locator errors that name the file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hdf5.h>

#include "format_write_util.h"
#include "formats/hdf5_support.h"

static mlps_format_params hdf5_params(uint64_t samples)
{
    return (mlps_format_params){.samples_per_file = samples, .element_bytes = 1,
                                .element_type = "uint8", .compression = "none",
                                .num_dset_per_record = 1, .seed = 77};
}

/* An open view of a written file through the library, for inspecting what it holds. */
typedef struct opened {
    mlps_source source;
    mlps_hdf5_source context;
    mlps_error err;
    hid_t file;
} opened;

static void open_written(opened *view, const written_file *out)
{
    memset(view, 0, sizeof *view);
    mlps_memory_source_init(&view->source, out->memory.data, out->memory.size, "view.hdf5");
    view->context = (mlps_hdf5_source){.source = &view->source, .err = &view->err};
    /* Library errors print to stderr here, where a failure should be loud. */
    view->file = mlps_hdf5_open_source(&view->context);
    if (view->file < 0)
        fail_msg("cannot open the written file: %s", view->err.message);
}

/* The dataset's dims (rank returned), element size, layout and chunk dims. */
typedef struct dataset_facts {
    int rank;
    hsize_t dims[3];
    size_t element_bytes;
    H5T_class_t type_class;
    H5D_layout_t layout;
    hsize_t chunk[3];
    int filters;
} dataset_facts;

static dataset_facts inspect(const opened *view, const char *name)
{
    dataset_facts facts = {0};
    hid_t dataset = H5Dopen2(view->file, name, H5P_DEFAULT);
    assert_true(dataset >= 0);
    hid_t space = H5Dget_space(dataset), type = H5Dget_type(dataset);
    hid_t plist = H5Dget_create_plist(dataset);
    facts.rank = H5Sget_simple_extent_dims(space, facts.dims, NULL);
    facts.element_bytes = H5Tget_size(type);
    facts.type_class = H5Tget_class(type);
    facts.layout = H5Pget_layout(plist);
    if (facts.layout == H5D_CHUNKED)
        H5Pget_chunk(plist, 3, facts.chunk);
    facts.filters = H5Pget_nfilters(plist);
    H5Pclose(plist);
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(dataset);
    return facts;
}

static void locate_written(const mlps_format_params *params, const written_file *out,
                           mlps_sample_extent *extents)
{
    mlps_error err = {0};
    int rc = locate_bytes("hdf5", params, out->memory.data, out->memory.size, "w.hdf5", extents,
                          &err);
    if (rc)
        fail_msg("locate failed: %s", err.message);
}

static void writes_records_and_labels_of_the_configured_shape(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(3);
    mlps_format_file file = {.index = 5, .d1 = 5, .d2 = 7};
    written_file out;
    write_file("hdf5", &params, &file, &out);
    opened view;
    open_written(&view, &out);
    assert_int_equal(H5Lexists(view.file, "records_1", H5P_DEFAULT), 0);
    dataset_facts records = inspect(&view, "records_0");
    assert_int_equal(records.rank, 3);
    assert_int_equal(records.dims[0], 3);
    assert_int_equal(records.dims[1], 5);
    assert_int_equal(records.dims[2], 7);
    assert_int_equal(records.element_bytes, 1);
    assert_int_equal(records.type_class, H5T_INTEGER);
    assert_int_equal(records.layout, H5D_CONTIGUOUS);
    dataset_facts labels = inspect(&view, "labels");
    assert_int_equal(labels.rank, 1);
    assert_int_equal(labels.dims[0], 3);
    assert_int_equal(labels.element_bytes, 8);
    assert_int_equal(labels.type_class, H5T_INTEGER);
    int64_t values[3] = {1, 1, 1};
    hid_t dataset = H5Dopen2(view.file, "labels", H5P_DEFAULT);
    assert_true(H5Dread(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
    H5Dclose(dataset);
    assert_int_equal(values[0] | values[1] | values[2], 0);
    H5Fclose(view.file);
    written_file_free(&out);
}

/* Contiguous records: sample s is exactly 35 bytes at the dataset's offset + 35 s, and those
 * bytes are the noise of (seed, file index) at offset 35 s. */
static void contiguous_samples_have_exact_extents_and_content(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(4);
    mlps_format_file file = {.index = 8, .d1 = 5, .d2 = 7};
    written_file out;
    write_file("hdf5", &params, &file, &out);
    mlps_sample_extent extents[4];
    locate_written(&params, &out, extents);
    for (uint64_t s = 0; s < 4; s++) {
        assert_int_equal(extents[s].length, 35);
        assert_int_equal(extents[s].offset, extents[0].offset + 35 * s);
        assert_random_bytes(out.memory.data + extents[s].offset, 35, 77, 8, 35 * s);
    }
    assert_true(extents[3].offset + 35 <= out.memory.size);
    written_file_free(&out);
}

/* Samples larger than the 4 MiB write batch are written in row slabs; the bytes must still
 * be one seamless stream. */
static void large_samples_are_written_in_row_slabs(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(2);
    mlps_format_file file = {.index = 1, .d1 = 1500, .d2 = 2000}; /* 3 MB samples */
    params.element_type = "float32";
    params.element_bytes = 4;
    written_file out;
    write_file("hdf5", &params, &file, &out);
    mlps_sample_extent extents[2];
    locate_written(&params, &out, extents);
    uint64_t sample_bytes = 1500 * 2000 * 4;
    assert_int_equal(extents[1].length, sample_bytes);
    assert_int_equal(extents[1].offset, extents[0].offset + sample_bytes);
    assert_random_bytes(out.memory.data + extents[0].offset, 2 * sample_bytes, 77, 1, 0);
    written_file_free(&out);
}

static void several_records_datasets_get_own_content(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(3);
    params.num_dset_per_record = 2;
    mlps_format_file file = {.index = 2, .d1 = 4, .d2 = 4};
    written_file out;
    write_file("hdf5", &params, &file, &out);
    opened view;
    open_written(&view, &out);
    assert_int_equal(inspect(&view, "records_1").dims[0], 3);
    assert_int_equal(H5Lexists(view.file, "records_2", H5P_DEFAULT), 0);
    H5Fclose(view.file);
    mlps_sample_extent extents[3];
    locate_written(&params, &out, extents);
    for (uint64_t s = 0; s < 3; s++) {
        /* From the sample in records_0 to the end of the sample in records_1. */
        const unsigned char *start = out.memory.data + extents[s].offset;
        assert_random_bytes(start, 16, 77, 2, 16 * s);
        assert_random_bytes(start + extents[s].length - 16, 16, 77, 2, 16 * (3 + s));
        assert_true(extents[s].length > 3 * 16);
    }
    written_file_free(&out);
}

static void chunking_uses_the_square_root_of_chunk_size(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(2);
    params.enable_chunking = true;
    params.chunk_size = 90; /* ceil(sqrt(90)) = 10 */
    mlps_format_file file = {.index = 3, .d1 = 25, .d2 = 8};
    written_file out;
    write_file("hdf5", &params, &file, &out);
    opened view;
    open_written(&view, &out);
    dataset_facts records = inspect(&view, "records_0");
    assert_int_equal(records.layout, H5D_CHUNKED);
    assert_int_equal(records.chunk[0], 1);
    assert_int_equal(records.chunk[1], 10);
    assert_int_equal(records.chunk[2], 8); /* clipped to the sample's side */
    assert_int_equal(records.filters, 0);
    H5Fclose(view.file);
    /* Uncompressed chunks in write order: sample s is 3 chunks of 80 bytes, the first and last
     * holding its rows 0-9 and 20-24 (the last chunk runs past the data with padding). */
    mlps_sample_extent extents[2];
    locate_written(&params, &out, extents);
    for (uint64_t s = 0; s < 2; s++) {
        assert_int_equal(extents[s].length, 3 * 80);
        assert_random_bytes(out.memory.data + extents[s].offset, 80, 77, 3, 200 * s);
    }
    written_file_free(&out);
}

static void gzip_compresses_one_chunk_per_sample(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(3);
    params.compression = "gzip";
    mlps_format_file file = {.index = 4, .d1 = 30, .d2 = 30};
    written_file out;
    write_file("hdf5", &params, &file, &out);
    opened view;
    open_written(&view, &out);
    dataset_facts records = inspect(&view, "records_0");
    assert_int_equal(records.layout, H5D_CHUNKED);
    assert_int_equal(records.chunk[1], 30);
    assert_int_equal(records.chunk[2], 30);
    assert_int_equal(records.filters, 1);
    uint8_t *values = malloc(3 * 900);
    assert_non_null(values);
    hid_t dataset = H5Dopen2(view.file, "records_0", H5P_DEFAULT);
    assert_true(H5Dread(dataset, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
    H5Dclose(dataset);
    assert_random_bytes(values, 3 * 900, 77, 4, 0);
    free(values);
    H5Fclose(view.file);
    mlps_sample_extent extents[3];
    locate_written(&params, &out, extents);
    for (int s = 0; s < 3; s++) {
        /* Deflate cannot shrink noise: a little over 900 bytes each, no overlaps. */
        assert_in_range(extents[s].length, 900, 1000);
        if (s)
            assert_true(extents[s].offset >= extents[s - 1].offset + extents[s - 1].length);
    }
    written_file_free(&out);
}

static void element_type_sets_the_dataset_type(void **state)
{
    (void)state;
    const struct {
        const char *name;
        unsigned bytes;
        H5T_class_t type_class;
    } types[] = {{"float32", 4, H5T_FLOAT}, {"float64", 8, H5T_FLOAT},
                 {"int16", 2, H5T_INTEGER}, {"uint64", 8, H5T_INTEGER}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        mlps_format_params params = hdf5_params(2);
        params.element_type = types[i].name;
        params.element_bytes = types[i].bytes;
        mlps_format_file file = {.index = 0, .d1 = 3, .d2 = 3};
        written_file out;
        write_file("hdf5", &params, &file, &out);
        opened view;
        open_written(&view, &out);
        dataset_facts records = inspect(&view, "records_0");
        assert_int_equal(records.element_bytes, types[i].bytes);
        assert_int_equal(records.type_class, types[i].type_class);
        H5Fclose(view.file);
        mlps_sample_extent extents[2];
        locate_written(&params, &out, extents);
        assert_int_equal(extents[1].length, 9 * types[i].bytes);
        assert_random_bytes(out.memory.data + extents[0].offset, 18 * types[i].bytes, 77, 0, 0);
        written_file_free(&out);
    }
}

static void rejects_what_it_cannot_write(void **state)
{
    (void)state;
    mlps_format_file file = {.index = 0, .d1 = 3, .d2 = 3};
    mlps_format_params params = hdf5_params(1);
    params.compression = "lzf";
    mlps_error err = {0};
    assert_int_equal(write_file_fails("hdf5", &params, &file, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_message_has(err.message, "dataset.compression", "lzf", "none, gzip", NULL);
    params = hdf5_params(1);
    params.element_type = "complex64";
    mlps_error_clear(&err);
    assert_int_equal(write_file_fails("hdf5", &params, &file, &err), -EINVAL);
    assert_message_has(err.message, "dataset.record_element_type", "complex64", NULL);
    params = hdf5_params(1);
    params.enable_chunking = true;
    mlps_error_clear(&err);
    assert_int_equal(write_file_fails("hdf5", &params, &file, &err), -EINVAL);
    assert_message_has(err.message, "dataset.chunk_size", "dataset.enable_chunking", NULL);
    params = hdf5_params(1);
    mlps_format_file empty = {.d1 = 0, .d2 = 3};
    mlps_error_clear(&err);
    assert_int_equal(write_file_fails("hdf5", &params, &empty, &err), -EINVAL);
    assert_message_has(err.message, "0 x 3", NULL);
    assert_int_equal(format_named("hdf5")->file_size(&params, &file), 0);
}

static void passes_sink_errors_through(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(2);
    mlps_format_file file = {.index = 0, .d1 = 10, .d2 = 10};
    failing_sink state_sink;
    mlps_sink sink = failing_sink_make(&state_sink, 100);
    mlps_error err = {0};
    assert_int_equal(format_named("hdf5")->write(&params, &file, &sink, &err), -ENOSPC);
    assert_message_has(err.message, "no space left", NULL);
}

/* Builds an image with the layout of the reference's v2.0: one dataset named `records`. */
static void build_reference_v2_file(written_file *out)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 1 << 16, 0);
    hid_t file = H5Fcreate("reference-v2.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    hsize_t dims[3] = {2, 3, 4}, count = 2;
    hid_t space = H5Screate_simple(3, dims, NULL), label_space = H5Screate_simple(1, &count, NULL);
    hid_t records = H5Dcreate2(file, "records", H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT,
                               H5P_DEFAULT);
    uint8_t values[24];
    for (int i = 0; i < 24; i++)
        values[i] = (uint8_t)(i + 100);
    H5Dwrite(records, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    hid_t labels = H5Dcreate2(file, "labels", H5T_STD_I64LE, label_space, H5P_DEFAULT,
                              H5P_DEFAULT, H5P_DEFAULT);
    int64_t zeros[2] = {0, 0};
    H5Dwrite(labels, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros);
    H5Dclose(labels);
    H5Dclose(records);
    H5Sclose(label_space);
    H5Sclose(space);
    H5Fflush(file, H5F_SCOPE_LOCAL);
    ssize_t size = H5Fget_file_image(file, NULL, 0);
    assert_true(size > 0);
    mlps_sink sink;
    mlps_memory_sink_init(&sink, &out->memory);
    unsigned char *image = malloc((size_t)size);
    assert_non_null(image);
    H5Fget_file_image(file, image, (size_t)size);
    assert_int_equal(mlps_sink_write(&sink, image, (size_t)size, NULL), 0);
    free(image);
    H5Fclose(file);
    H5Pclose(fapl);
}

static void accepts_the_reference_v2_dataset_name(void **state)
{
    (void)state;
    written_file out;
    build_reference_v2_file(&out);
    mlps_format_params params = hdf5_params(2);
    mlps_sample_extent extents[2];
    locate_written(&params, &out, extents);
    assert_int_equal(extents[1].length, 12);
    assert_int_equal(extents[1].offset, extents[0].offset + 12);
    assert_int_equal(out.memory.data[extents[1].offset], 112);
    written_file_free(&out);
}

static void locator_reports_mismatches_and_damage(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(3);
    mlps_format_file file = {.index = 5, .d1 = 50, .d2 = 50};
    written_file out;
    write_file("hdf5", &params, &file, &out);
    mlps_sample_extent extents[8];
    mlps_error err = {0};

    mlps_format_params wrong = params;
    wrong.samples_per_file = 4;
    assert_int_equal(locate_bytes("hdf5", &wrong, out.memory.data, out.memory.size, "n.hdf5",
                                  extents, &err), -EBADMSG);
    assert_message_has(err.message, "n.hdf5", "records_0", "3 samples",
                       "dataset.num_samples_per_file is 4", NULL);

    wrong = params;
    wrong.num_dset_per_record = 2;
    mlps_error_clear(&err);
    assert_int_equal(locate_bytes("hdf5", &wrong, out.memory.data, out.memory.size, "d.hdf5",
                                  extents, &err), -EBADMSG);
    assert_message_has(err.message, "d.hdf5", "no dataset records_1", NULL);

    wrong = params;
    wrong.element_bytes = 4;
    mlps_error_clear(&err);
    assert_int_equal(locate_bytes("hdf5", &wrong, out.memory.data, out.memory.size, "t.hdf5",
                                  extents, &err), -EBADMSG);
    assert_message_has(err.message, "t.hdf5", "1-byte elements", NULL);

    /* Cut short: the library compares the end of file with the size the superblock records. */
    mlps_error_clear(&err);
    size_t cut = out.memory.size - 2000;
    assert_int_equal(locate_bytes("hdf5", &params, out.memory.data, cut, "cut.hdf5", extents,
                                  &err), -EBADMSG);
    char expected[64];
    snprintf(expected, sizeof expected, "eof = %zu", cut);
    assert_message_has(err.message, "cut.hdf5", "truncated", expected, NULL);

    mlps_error_clear(&err);
    static const unsigned char junk[4096] = {'n', 'o', 't', ' ', 'h', 'd', 'f'};
    assert_int_equal(locate_bytes("hdf5", &params, junk, sizeof junk, "junk.hdf5", extents,
                                  &err), -EBADMSG);
    assert_message_has(err.message, "junk.hdf5", "not a readable HDF5 file", NULL);
    written_file_free(&out);
}

static void locator_passes_source_errors_through(void **state)
{
    (void)state;
    mlps_format_params params = hdf5_params(2);
    mlps_format_file file = {.index = 5, .d1 = 10, .d2 = 10};
    written_file out;
    write_file("hdf5", &params, &file, &out);
    const uint64_t fail_from[] = {0, 600};
    for (int i = 0; i < 2; i++) {
        failing_source state_source;
        mlps_source source = failing_source_make(&state_source, out.memory.data,
                                                 out.memory.size, fail_from[i], "flaky.hdf5");
        mlps_sample_extent extents[2];
        mlps_error err = {0};
        assert_int_equal(format_named("hdf5")->locate_samples(&params, &source, extents, &err),
                         -EIO);
        assert_message_has(err.message, "flaky.hdf5", "read error", NULL);
    }
    written_file_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_records_and_labels_of_the_configured_shape),
        cmocka_unit_test(contiguous_samples_have_exact_extents_and_content),
        cmocka_unit_test(large_samples_are_written_in_row_slabs),
        cmocka_unit_test(several_records_datasets_get_own_content),
        cmocka_unit_test(chunking_uses_the_square_root_of_chunk_size),
        cmocka_unit_test(gzip_compresses_one_chunk_per_sample),
        cmocka_unit_test(element_type_sets_the_dataset_type),
        cmocka_unit_test(rejects_what_it_cannot_write),
        cmocka_unit_test(passes_sink_errors_through),
        cmocka_unit_test(accepts_the_reference_v2_dataset_name),
        cmocka_unit_test(locator_reports_mismatches_and_damage),
        cmocka_unit_test(locator_passes_source_errors_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
