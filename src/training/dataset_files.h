/* The data files a training run reads, found the way DLIO finds them at startup (spec 10 §2.1):
 * the split's directory is listed rather than its names derived from dataset.num_files_train,
 * so a run may read the first files of a bigger dataset (the "subset of a bigger dataset" mode)
 * whatever count the files were generated with.
 *
 *   - When the split directory holds subfolders, the files are those of train/<any>/ whose names
 *     end in ".<format>" (DLIO globs "<split>/<any>/<any>.<format>", which skips hidden names),
 *     sorted by their basename, so the subset draws from all subfolders.
 *   - Otherwise the files are the entries of train/ whose names end in the format's name
 *     (DLIO's endswith), sorted by their full path.
 * Sorting compares bytes, as Python compares strings: "img_10_of_16" comes before
 * "img_2_of_16". Directories and the temporaries of atomic writes are never data files. The
 * first `wanted` files in that order are the run's files 0 .. wanted-1; the sample layouts
 * (sizes included) then come from the files themselves (training/layout.h), so files generated
 * for another count read as they are. The listing's sizes travel with the names, so the run
 * opens each file with its size known (mlps_file_open_sized). */
#ifndef MLPS_TRAINING_DATASET_FILES_H
#define MLPS_TRAINING_DATASET_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/comm.h"
#include "core/error.h"
#include "io/store.h"
#include "training/plan.h"

typedef struct mlps_dataset_files {
    char **paths;        /* the files used, relative to the data folder, e.g.
                            "train/3/img_07_of_10.npz", in DLIO's order; count entries */
    uint64_t *sizes;     /* each file's size as listed, so reading it needs no stat (an
                            object store's HEAD); count entries */
    uint64_t count;      /* files used: min(available, wanted) */
    uint64_t available;  /* data files of the format the split directory holds */
    uint64_t subfolders; /* subfolders listed (0: files lie directly in the split directory) */
} mlps_dataset_files;

/* Whether a listing entry named `name` is a data file of the format `extension` (no dot): in
 * a subfolder its name must end in ".<extension>" and not start with '.', directly in the
 * split directory it must end in "<extension>". The temporaries of atomic writes never are. */
bool mlps_dataset_file_matches(const char *name, const char *extension, bool in_subfolder);

/* Sorts paths in DLIO's order: by basename (equal basenames by full path) when by_basename,
 * else by full path; bytewise. */
void mlps_dataset_files_sort(char **paths, size_t count, bool by_basename);

/* Lists the split's directory of the store (a missing directory holds no file) and keeps the
 * first `wanted` data files in DLIO's order; *out is filled even when fewer are available
 * (count < wanted), which the caller reports. Free with mlps_dataset_files_free. */
int mlps_dataset_files_list(mlps_store *store, mlps_split split, const char *extension,
                            uint64_t wanted, mlps_dataset_files *out, mlps_error *err);

/* Collective: rank 0's files and their sizes reach every rank (whose *files, empty on entry, is filled). */
int mlps_dataset_files_share(const mlps_comm *comm, mlps_dataset_files *files, mlps_error *err);

void mlps_dataset_files_free(mlps_dataset_files *files);

#endif
