/* Dataset file names and directories as DLIO's datagen lays them out, and the generation index
 * that orders train and valid files in one sequence; see plan.h. */
#include "training/plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

const char *mlps_split_directory(mlps_split split)
{
    return split == MLPS_SPLIT_VALID ? "valid" : "train";
}

uint64_t mlps_plan_file_count(const mlps_dataset_layout *layout, mlps_split split)
{
    return split == MLPS_SPLIT_VALID ? layout->num_files_eval : layout->num_files_train;
}

static uint64_t split_subfolders(const mlps_dataset_layout *layout, mlps_split split)
{
    return split == MLPS_SPLIT_VALID ? layout->num_subfolders_eval
                                     : layout->num_subfolders_train;
}

uint64_t mlps_plan_subfolder_count(const mlps_dataset_layout *layout, mlps_split split)
{
    uint64_t subfolders = split_subfolders(layout, split);
    return subfolders > 1 ? subfolders : 0;
}

/* len(str(n)): the width every index is padded to. */
static int decimal_digits(uint64_t n)
{
    int digits = 1;
    while (n >= 10) {
        n /= 10;
        digits++;
    }
    return digits;
}

static int check_written(int written, size_t size, const char *what, mlps_error *err)
{
    if (written < 0 || (size_t)written >= size)
        return mlps_fail(err, -ENAMETOOLONG,
                         "dataset path for %s does not fit in %zu bytes; use a shorter "
                         "dataset.file_prefix", what, size);
    return 0;
}

int mlps_plan_subfolder_path(const mlps_dataset_layout *layout, mlps_split split, uint64_t j,
                             char *out, size_t size, mlps_error *err)
{
    uint64_t subfolders = mlps_plan_subfolder_count(layout, split);
    const char *directory = mlps_split_directory(split);
    if (j >= subfolders)
        return mlps_fail(err, -EINVAL, "%s subfolder %" PRIu64 " does not exist: the dataset "
                         "has %" PRIu64 " subfolders there", directory, j, subfolders);
    int written = snprintf(out, size, "%s/%0*" PRIu64, directory, decimal_digits(subfolders), j);
    return check_written(written, size, directory, err);
}

int mlps_plan_file_path(const mlps_dataset_layout *layout, mlps_split split, uint64_t index,
                        char *out, size_t size, mlps_error *err)
{
    uint64_t files = mlps_plan_file_count(layout, split);
    const char *directory = mlps_split_directory(split);
    if (index >= files)
        return mlps_fail(err, -EINVAL, "%s file %" PRIu64 " does not exist: the dataset has "
                         "%" PRIu64 " %s files", directory, index, files, directory);
    uint64_t subfolders = mlps_plan_subfolder_count(layout, split);
    int written;
    if (subfolders > 0)
        written = snprintf(out, size, "%s/%0*" PRIu64 "/%s_%0*" PRIu64 "_of_%" PRIu64 ".%s",
                           directory, decimal_digits(subfolders), index % subfolders,
                           layout->file_prefix, decimal_digits(files), index, files,
                           layout->extension);
    else
        written = snprintf(out, size, "%s/%s_%0*" PRIu64 "_of_%" PRIu64 ".%s", directory,
                           layout->file_prefix, decimal_digits(files), index, files,
                           layout->extension);
    return check_written(written, size, directory, err);
}

uint64_t mlps_plan_generation_count(const mlps_dataset_layout *layout)
{
    return layout->num_files_train + layout->num_files_eval;
}

uint64_t mlps_plan_generation_index(const mlps_dataset_layout *layout, mlps_split split,
                                    uint64_t index)
{
    return split == MLPS_SPLIT_VALID ? layout->num_files_train + index : index;
}

void mlps_plan_generation_file(const mlps_dataset_layout *layout, uint64_t generation_index,
                               mlps_split *split, uint64_t *index)
{
    if (generation_index < layout->num_files_train) {
        *split = MLPS_SPLIT_TRAIN;
        *index = generation_index;
    } else {
        *split = MLPS_SPLIT_VALID;
        *index = generation_index - layout->num_files_train;
    }
}

uint32_t mlps_plan_generation_owner(uint64_t generation_index, uint32_t ranks)
{
    return ranks == 0 ? 0 : (uint32_t)(generation_index % ranks);
}
