/* Tests of dataset file names, subfolders, generation indices and datagen ownership. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "training/plan.h"

static const mlps_dataset_layout unet3d = {
    .file_prefix = "img", .extension = "npz", .num_files_train = 168, .num_files_eval = 0,
};

static void assert_path(const mlps_dataset_layout *layout, mlps_split split, uint64_t index,
                        const char *expected)
{
    char path[256];
    mlps_error err = {0};
    assert_int_equal(mlps_plan_file_path(layout, split, index, path, sizeof path, &err), 0);
    assert_string_equal(path, expected);
}

static void train_files_pad_to_the_digits_of_the_count(void **state)
{
    (void)state;
    assert_path(&unet3d, MLPS_SPLIT_TRAIN, 0, "train/img_000_of_168.npz");
    assert_path(&unet3d, MLPS_SPLIT_TRAIN, 7, "train/img_007_of_168.npz");
    assert_path(&unet3d, MLPS_SPLIT_TRAIN, 167, "train/img_167_of_168.npz");

    mlps_dataset_layout resnet = {.file_prefix = "img", .extension = "tfrecord",
                                  .num_files_train = 1024};
    assert_path(&resnet, MLPS_SPLIT_TRAIN, 5, "train/img_0005_of_1024.tfrecord");
    mlps_dataset_layout ten = {.file_prefix = "x", .extension = "jpeg", .num_files_train = 10};
    assert_path(&ten, MLPS_SPLIT_TRAIN, 9, "train/x_09_of_10.jpeg");
    mlps_dataset_layout one = {.file_prefix = "img", .extension = "npy", .num_files_train = 1};
    assert_path(&one, MLPS_SPLIT_TRAIN, 0, "train/img_0_of_1.npy");
}

static void subfolders_take_index_modulo_their_count(void **state)
{
    (void)state;
    mlps_dataset_layout layout = {.file_prefix = "img", .extension = "npz",
                                  .num_files_train = 1000, .num_subfolders_train = 12};
    assert_path(&layout, MLPS_SPLIT_TRAIN, 7, "train/07/img_0007_of_1000.npz");
    assert_path(&layout, MLPS_SPLIT_TRAIN, 19, "train/07/img_0019_of_1000.npz");
    assert_path(&layout, MLPS_SPLIT_TRAIN, 999, "train/03/img_0999_of_1000.npz");
    assert_int_equal(mlps_plan_subfolder_count(&layout, MLPS_SPLIT_TRAIN), 12);
    assert_int_equal(mlps_plan_subfolder_count(&layout, MLPS_SPLIT_VALID), 0);

    char path[64];
    assert_int_equal(mlps_plan_subfolder_path(&layout, MLPS_SPLIT_TRAIN, 0, path, sizeof path,
                                              NULL), 0);
    assert_string_equal(path, "train/00");
    assert_int_equal(mlps_plan_subfolder_path(&layout, MLPS_SPLIT_TRAIN, 11, path, sizeof path,
                                              NULL), 0);
    assert_string_equal(path, "train/11");
    mlps_error err = {0};
    assert_int_equal(mlps_plan_subfolder_path(&layout, MLPS_SPLIT_TRAIN, 12, path, sizeof path,
                                              &err), -22);
    assert_non_null(strstr(err.message, "train subfolder 12 does not exist"));
}

static void a_single_subfolder_means_none(void **state)
{
    (void)state;
    mlps_dataset_layout layout = {.file_prefix = "img", .extension = "npz",
                                  .num_files_train = 20, .num_subfolders_train = 1};
    assert_int_equal(mlps_plan_subfolder_count(&layout, MLPS_SPLIT_TRAIN), 0);
    assert_path(&layout, MLPS_SPLIT_TRAIN, 3, "train/img_03_of_20.npz");
}

/* Valid files are named within their own split, while their generation index continues after
 * the train files. */
static void valid_files_name_their_own_index_and_generate_after_train(void **state)
{
    (void)state;
    mlps_dataset_layout layout = {.file_prefix = "img", .extension = "npz",
                                  .num_files_train = 168, .num_files_eval = 10,
                                  .num_subfolders_eval = 3};
    assert_path(&layout, MLPS_SPLIT_VALID, 0, "valid/0/img_00_of_10.npz");
    assert_path(&layout, MLPS_SPLIT_VALID, 4, "valid/1/img_04_of_10.npz");
    char path[64];
    assert_int_equal(mlps_plan_subfolder_path(&layout, MLPS_SPLIT_VALID, 2, path, sizeof path,
                                              NULL), 0);
    assert_string_equal(path, "valid/2");

    assert_int_equal(mlps_plan_generation_count(&layout), 178);
    assert_int_equal(mlps_plan_generation_index(&layout, MLPS_SPLIT_TRAIN, 167), 167);
    assert_int_equal(mlps_plan_generation_index(&layout, MLPS_SPLIT_VALID, 0), 168);
    assert_int_equal(mlps_plan_generation_index(&layout, MLPS_SPLIT_VALID, 9), 177);

    mlps_split split;
    uint64_t index;
    mlps_plan_generation_file(&layout, 167, &split, &index);
    assert_int_equal(split, MLPS_SPLIT_TRAIN);
    assert_int_equal(index, 167);
    mlps_plan_generation_file(&layout, 170, &split, &index);
    assert_int_equal(split, MLPS_SPLIT_VALID);
    assert_int_equal(index, 2);
    assert_string_equal(mlps_split_directory(MLPS_SPLIT_VALID), "valid");
    assert_string_equal(mlps_split_directory(MLPS_SPLIT_TRAIN), "train");
}

static void bad_indices_and_short_buffers_are_errors(void **state)
{
    (void)state;
    char path[64];
    mlps_error err = {0};
    assert_int_equal(mlps_plan_file_path(&unet3d, MLPS_SPLIT_TRAIN, 168, path, sizeof path,
                                         &err), -22);
    assert_non_null(strstr(err.message, "train file 168 does not exist"));
    assert_int_equal(mlps_plan_file_path(&unet3d, MLPS_SPLIT_VALID, 0, path, sizeof path, &err),
                     -22);
    assert_non_null(strstr(err.message, "0 valid files"));
    char tiny[10];
    assert_int_equal(mlps_plan_file_path(&unet3d, MLPS_SPLIT_TRAIN, 0, tiny, sizeof tiny, &err),
                     -36);
    assert_non_null(strstr(err.message, "dataset.file_prefix"));
}

static void rank_r_generates_indices_congruent_to_r(void **state)
{
    (void)state;
    uint64_t per_rank[3] = {0, 0, 0};
    for (uint64_t i = 0; i < 10; i++) {
        uint32_t owner = mlps_plan_generation_owner(i, 3);
        assert_int_equal(owner, i % 3);
        per_rank[owner]++;
    }
    assert_int_equal(per_rank[0], 4);
    assert_int_equal(per_rank[1], 3);
    assert_int_equal(per_rank[2], 3);
    /* unet3d with 8 writers: valid file 0 (generation 168) goes to rank 0. */
    assert_int_equal(mlps_plan_generation_owner(168, 8), 0);
    assert_int_equal(mlps_plan_generation_owner(167, 8), 7);
    assert_int_equal(mlps_plan_generation_owner(5, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(train_files_pad_to_the_digits_of_the_count),
        cmocka_unit_test(subfolders_take_index_modulo_their_count),
        cmocka_unit_test(a_single_subfolder_means_none),
        cmocka_unit_test(valid_files_name_their_own_index_and_generate_after_train),
        cmocka_unit_test(bad_indices_and_short_buffers_are_errors),
        cmocka_unit_test(rank_r_generates_indices_congruent_to_r),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
