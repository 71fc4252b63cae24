/* Tests of how a training run finds its data files (DLIO's startup listing): the format's
 * filter, the byte order of the sort (by full path, or by basename across subfolders), the
 * first num_files_train kept with their listed sizes, listings of real folders through a
 * file:// store, and rank 0's list shared with every rank, sizes included (run as one process,
 * and under mpirun by tests/integration/test_metrics_mpi.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "io_test_util.h"
#include "mpi_sanitizer.h"
#include "training/dataset_files.h"

static mlps_comm job;

/* --- the filter --- */

static void flat_entries_need_only_end_in_the_format_name(void **state)
{
    (void)state;
    assert_true(mlps_dataset_file_matches("img_0_of_8.npz", "npz", false));
    assert_true(mlps_dataset_file_matches("foonpz", "npz", false)); /* DLIO's endswith */
    assert_true(mlps_dataset_file_matches(".hidden.npz", "npz", false));
    assert_false(mlps_dataset_file_matches("img_0_of_8.npy", "npz", false));
    assert_false(mlps_dataset_file_matches("img_0_of_8.npz.idx", "npz", false));
    assert_false(mlps_dataset_file_matches("npz.txt", "npz", false));
    assert_false(mlps_dataset_file_matches("img_0.indexed_binary.off.idx", "indexed_binary",
                                           false));
    assert_true(mlps_dataset_file_matches("img_0.indexed_binary", "indexed_binary", false));
}

static void subfolder_entries_match_the_glob_star_dot_format(void **state)
{
    (void)state;
    assert_true(mlps_dataset_file_matches("img_0_of_8.npz", "npz", true));
    assert_false(mlps_dataset_file_matches("foonpz", "npz", true));
    assert_false(mlps_dataset_file_matches(".hidden.npz", "npz", true));
    assert_true(mlps_dataset_file_matches("x.npz", "npz", true));
    assert_false(mlps_dataset_file_matches("npz", "npz", true));
}

static void temporaries_of_atomic_writes_never_match(void **state)
{
    (void)state;
    assert_false(mlps_dataset_file_matches(".img_05_of_16.npz.mlps-partial.1.0", "0", false));
    assert_false(mlps_dataset_file_matches(".img_05_of_16.npz.mlps-partial.1.0", "0", true));
}

/* --- the sort --- */

static void full_paths_sort_bytewise_so_10_precedes_2(void **state)
{
    (void)state;
    char *paths[] = {"train/img_2_of_16.npz", "train/img_10_of_16.npz", "train/img_1_of_16.npz",
                     "train/img_0_of_4.npz", "train/img_0_of_16.npz"};
    mlps_dataset_files_sort(paths, 5, false);
    assert_string_equal(paths[0], "train/img_0_of_16.npz");
    assert_string_equal(paths[1], "train/img_0_of_4.npz");
    assert_string_equal(paths[2], "train/img_10_of_16.npz");
    assert_string_equal(paths[3], "train/img_1_of_16.npz");
    assert_string_equal(paths[4], "train/img_2_of_16.npz");
}

static void subfolder_paths_sort_by_basename_then_full_path(void **state)
{
    (void)state;
    char *paths[] = {"train/0/img_3.npz", "train/1/img_10.npz", "train/2/img_1.npz",
                     "train/0/img_2.npz", "train/9/img_1.npz", "train/10/img_1.npz"};
    mlps_dataset_files_sort(paths, 6, true);
    assert_string_equal(paths[0], "train/10/img_1.npz"); /* equal basenames: by full path */
    assert_string_equal(paths[1], "train/2/img_1.npz");
    assert_string_equal(paths[2], "train/9/img_1.npz");
    assert_string_equal(paths[3], "train/1/img_10.npz");
    assert_string_equal(paths[4], "train/0/img_2.npz");
    assert_string_equal(paths[5], "train/0/img_3.npz");
}

/* --- listing folders --- */

typedef io_test_store fixture;

static int setup(void **state) { return io_test_store_setup(state, "dataset-files"); }
static int teardown(void **state) { return io_test_store_teardown(state); }

/* A size of its own for each path (paths of one length differ too), to follow a file's size
 * through the sort: the path's length plus the sum of its bytes modulo 97. */
static size_t size_for(const char *relative)
{
    size_t sum = 0;
    for (const unsigned char *c = (const unsigned char *)relative; *c; c++)
        sum += *c;
    return strlen(relative) + sum % 97;
}

static void make_file(const fixture *f, const char *relative)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", f->dir, relative);
    char *slash = strchr(path + strlen(f->dir) + 1, '/');
    for (; slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    for (size_t i = 0; i < size_for(relative); i++)
        fputc('x', file);
    fclose(file);
}

static void list_train(const fixture *f, const char *extension, uint64_t wanted,
                       mlps_dataset_files *files)
{
    mlps_error err = {0};
    assert_int_equal(mlps_dataset_files_list(f->store, MLPS_SPLIT_TRAIN, extension, wanted, files,
                                             &err), 0);
}

static void a_flat_folder_keeps_the_first_files_by_full_path(void **state)
{
    fixture *f = *state;
    const char *names[] = {"img_2_of_16.npz", "img_10_of_16.npz", "img_1_of_16.npz",
                           "img_0_of_16.npz", "img_3_of_16.npz", "notes.txt", "img_0.npy",
                           ".img_4_of_16.npz.mlps-partial.1.0"};
    char relative[64];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(relative, sizeof relative, "train/%s", names[i]);
        make_file(f, relative);
    }
    make_file(f, "valid/img_9_of_16.npz");
    mlps_dataset_files files;
    list_train(f, "npz", 3, &files);
    assert_int_equal(files.available, 5);
    assert_int_equal(files.count, 3);
    assert_int_equal(files.subfolders, 0);
    assert_string_equal(files.paths[0], "train/img_0_of_16.npz");
    assert_string_equal(files.paths[1], "train/img_10_of_16.npz");
    assert_string_equal(files.paths[2], "train/img_1_of_16.npz");
    for (uint64_t i = 0; i < files.count; i++)
        assert_int_equal(files.sizes[i], size_for(files.paths[i])); /* as listed */
    mlps_dataset_files_free(&files);

    list_train(f, "npz", 9, &files); /* fewer than wanted: all of them, the caller reports it */
    assert_int_equal(files.available, 5);
    assert_int_equal(files.count, 5);
    assert_string_equal(files.paths[4], "train/img_3_of_16.npz");
    mlps_dataset_files_free(&files);
}

static void subfolders_are_merged_and_sorted_by_basename(void **state)
{
    fixture *f = *state;
    make_file(f, "train/0/img_0_of_6.npz");
    make_file(f, "train/1/img_1_of_6.npz");
    make_file(f, "train/2/img_2_of_6.npz");
    make_file(f, "train/0/img_3_of_6.npz");
    make_file(f, "train/1/img_4_of_6.npz");
    make_file(f, "train/2/img_5_of_6.npz");
    make_file(f, "train/2/.hidden.npz");
    make_file(f, "train/1/img_9.tfrecord");
    make_file(f, "train/stray_file.npz"); /* DLIO globs train/<dir>/ only */
    make_file(f, "train/1/deeper/img_0_of_1.npz");
    mlps_dataset_files files;
    list_train(f, "npz", 4, &files);
    assert_int_equal(files.available, 6);
    assert_int_equal(files.count, 4);
    assert_int_equal(files.subfolders, 3);
    assert_string_equal(files.paths[0], "train/0/img_0_of_6.npz");
    assert_string_equal(files.paths[1], "train/1/img_1_of_6.npz");
    assert_string_equal(files.paths[2], "train/2/img_2_of_6.npz");
    assert_string_equal(files.paths[3], "train/0/img_3_of_6.npz");
    for (uint64_t i = 0; i < files.count; i++)
        assert_int_equal(files.sizes[i], size_for(files.paths[i]));
    mlps_dataset_files_free(&files);
}

static void a_missing_folder_holds_no_file(void **state)
{
    fixture *f = *state;
    mlps_dataset_files files;
    list_train(f, "npz", 4, &files);
    assert_int_equal(files.available, 0);
    assert_int_equal(files.count, 0);
    mlps_dataset_files_free(&files);
}

static void a_solo_share_keeps_the_list(void **state)
{
    fixture *f = *state;
    make_file(f, "train/a.npz");
    mlps_dataset_files files;
    list_train(f, "npz", 1, &files);
    mlps_comm solo;
    mlps_comm_init_solo(&solo);
    mlps_error err = {0};
    assert_int_equal(mlps_dataset_files_share(&solo, &files, &err), 0);
    assert_int_equal(files.count, 1);
    assert_string_equal(files.paths[0], "train/a.npz");
    assert_int_equal(files.sizes[0], size_for("train/a.npz"));
    mlps_dataset_files_free(&files);
}

/* Rank 0 lists; every other rank starts with nothing and receives the paths, their sizes and
 * the counts. */
static void every_rank_receives_rank_0s_list_with_its_sizes(void **state)
{
    fixture *f = *state;
    const char *made[] = {"train/1/img_1_of_4.npz", "train/0/img_0_of_4.npz",
                          "train/1/img_3_of_4.npz", "train/0/img_2_of_4.npz"};
    mlps_dataset_files files = {0};
    if (job.rank == 0) {
        for (size_t i = 0; i < 4; i++)
            make_file(f, made[i]);
        list_train(f, "npz", 3, &files);
    }
    mlps_error err = {0};
    assert_int_equal(mlps_dataset_files_share(&job, &files, &err), 0);
    assert_int_equal(files.count, 3);
    assert_int_equal(files.available, 4);
    assert_int_equal(files.subfolders, 2);
    const char *expected[] = {"train/0/img_0_of_4.npz", "train/1/img_1_of_4.npz",
                              "train/0/img_2_of_4.npz"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(files.paths[i], expected[i]);
        assert_int_equal(files.sizes[i], size_for(expected[i]));
    }
    mlps_dataset_files_free(&files);
}

int main(int argc, char **argv)
{
    mlps_error err = {0};
    if (mlps_comm_init(&job, &argc, &argv, &err) != 0) {
        fprintf(stderr, "MPI start failed: %s\n", err.message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flat_entries_need_only_end_in_the_format_name),
        cmocka_unit_test(subfolder_entries_match_the_glob_star_dot_format),
        cmocka_unit_test(temporaries_of_atomic_writes_never_match),
        cmocka_unit_test(full_paths_sort_bytewise_so_10_precedes_2),
        cmocka_unit_test(subfolder_paths_sort_by_basename_then_full_path),
        cmocka_unit_test_setup_teardown(a_flat_folder_keeps_the_first_files_by_full_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(subfolders_are_merged_and_sorted_by_basename, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_missing_folder_holds_no_file, setup, teardown),
        cmocka_unit_test_setup_teardown(a_solo_share_keeps_the_list, setup, teardown),
        cmocka_unit_test_setup_teardown(every_rank_receives_rank_0s_list_with_its_sizes, setup,
                                        teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mlps_comm_finalize(&job, &err);
    return failed;
}
