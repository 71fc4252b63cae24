/* Finding and checking a split's files for a training run; see dataset_split.h. */
#include "training/dataset_split.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "core/comm_agree.h"
#include "core/log.h"

/* The keys that configure a split, and what its files are called in messages. */
typedef struct split_keys {
    const char *files_key, *subfolders_key, *noun;
    uint64_t files, subfolders;
} split_keys;

static split_keys keys_of(const mlps_dataset_layout *layout, mlps_split split)
{
    if (split == MLPS_SPLIT_VALID)
        return (split_keys){"dataset.num_files_eval", "dataset.num_subfolders_eval",
                            "evaluation files", layout->num_files_eval,
                            layout->num_subfolders_eval};
    return (split_keys){"dataset.num_files_train", "dataset.num_subfolders_train", "files",
                        layout->num_files_train, layout->num_subfolders_train};
}

/* DLIO refuses a split whose subfolders differ in number from the configured count (spec 10
 * §2.1); a flat folder goes with 0, and with 1, which writes no subfolder either. */
static int check_subfolder_count(const mlps_workload *w, const split_keys *keys,
                                 mlps_split split, const mlps_dataset_files *files,
                                 mlps_error *err)
{
    uint64_t found = files->subfolders;
    bool flat_and_fine = found == 0 && keys->subfolders <= 1;
    if (flat_and_fine || found == keys->subfolders)
        return 0;
    return mlps_fail_usage(err, -EINVAL,
                           "%s/%s holds %" PRIu64 " subfolders but %s is %" PRIu64 "; they must "
                           "match: pass -p %s=%" PRIu64 " (or regenerate the data)",
                           w->dataset.data_folder, mlps_split_directory(split), found,
                           keys->subfolders_key, keys->subfolders, keys->subfolders_key, found);
}

int mlps_dataset_split_find(mlps_store *store, const mlps_workload *workload,
                            const mlps_dataset_layout *layout, mlps_split split,
                            mlps_dataset_files *files, mlps_error *err)
{
    split_keys keys = keys_of(layout, split);
    int rc = mlps_dataset_files_list(store, split, layout->extension, keys.files, files, err);
    if (!rc)
        rc = check_subfolder_count(workload, &keys, split, files, err);
    if (rc || files->count == keys.files)
        return rc;
    return mlps_fail_usage(err, -ENOENT,
                           "%s holds %" PRIu64 " of the %" PRIu64 " %s the run reads "
                           "(missing %" PRIu64 ": %s/ has %" PRIu64 " .%s files); write them "
                           "with: mlps training datagen -m %s -np <N> -dd <DIR> -p %s=%" PRIu64,
                           workload->dataset.data_folder, files->available, keys.files,
                           keys.noun, keys.files - files->available, mlps_split_directory(split),
                           files->available, layout->extension, workload->model, keys.files_key,
                           keys.files);
}

int mlps_dataset_split_agree(const mlps_comm *comm, mlps_store *store,
                             const mlps_workload *workload, const mlps_dataset_layout *layout,
                             mlps_split split, mlps_dataset_files *files, mlps_error *err)
{
    int rc = comm->rank == 0 ? mlps_dataset_split_find(store, workload, layout, split, files, err)
                             : 0;
    rc = mlps_comm_agree(comm, rc, err);
    if (!rc)
        rc = mlps_dataset_files_share(comm, files, err);
    return mlps_comm_agree(comm, rc, err);
}

void mlps_dataset_split_describe(const mlps_dataset_files *files, mlps_split split)
{
    if (files->count == 0)
        return;
    const char *directory = mlps_split_directory(split);
    char subfolders[64] = "";
    if (files->subfolders > 0)
        snprintf(subfolders, sizeof subfolders, " (%" PRIu64 " subfolders, sorted by file name)",
                 files->subfolders);
    if (files->available > files->count)
        mlps_info("using the first %" PRIu64 " of %" PRIu64 " files in %s/ in sorted order%s: "
                  "%s .. %s", files->count, files->available, directory, subfolders,
                  files->paths[0], files->paths[files->count - 1]);
    else
        mlps_info("using all %" PRIu64 " files in %s/%s", files->count, directory, subfolders);
}
