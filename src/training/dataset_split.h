/* The files of one split (train/ or valid/) a training run reads, checked as DLIO checks them
 * at startup: the split's subfolders must number dataset.num_subfolders_{train,eval}, and the
 * split must hold at least dataset.num_files_{train,eval} data files, of which the first that
 * many in DLIO's order are read (training/dataset_files.h). Rank 0 lists; every rank learns. */
#ifndef MLPS_TRAINING_DATASET_SPLIT_H
#define MLPS_TRAINING_DATASET_SPLIT_H

#include "core/comm.h"
#include "core/error.h"
#include "io/store.h"
#include "training/dataset_files.h"
#include "training/plan.h"
#include "training/workload.h"

/* Lists the split and checks it: a subfolder count other than the configured one, or fewer
 * files than the run reads, is a usage error naming the key, how many files are missing and
 * the datagen command that writes them. *files is filled (free it) whatever the outcome. */
int mlps_dataset_split_find(mlps_store *store, const mlps_workload *workload,
                            const mlps_dataset_layout *layout, mlps_split split,
                            mlps_dataset_files *files, mlps_error *err);

/* Collective: rank 0 finds the split's files (as above) and every rank receives them. */
int mlps_dataset_split_agree(const mlps_comm *comm, mlps_store *store,
                             const mlps_workload *workload, const mlps_dataset_layout *layout,
                             mlps_split split, mlps_dataset_files *files, mlps_error *err);

/* Logs (info) which files of the split are read: all of them, or the first of more, named. */
void mlps_dataset_split_describe(const mlps_dataset_files *files, mlps_split split);

#endif
