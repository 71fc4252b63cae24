/* Dataset generation (spec 10 §4): rank r of P writes the files whose generation index is
 * r mod P, in the workload's format, names and per-file sample sizes, into the data folder.
 * Every file is written under a temporary name and published by rename when complete, so a
 * dataset is never left with a partial file under a real name; running datagen again on a
 * partly generated folder writes only the files that are missing. */
#ifndef MLPS_TRAINING_DATAGEN_H
#define MLPS_TRAINING_DATAGEN_H

#include <jansson.h>
#include <stdint.h>

#include "core/comm.h"
#include "training/plan.h"
#include "training/workload.h"

typedef struct mlps_datagen_options {
    size_t block_size; /* bytes per write request; 0: 1 MiB */
    unsigned depth;    /* write requests in flight per rank; 0: 4 */
} mlps_datagen_options;

typedef struct mlps_datagen_result {
    uint64_t files_written;  /* all ranks */
    uint64_t files_present;  /* complete already, left alone */
    uint64_t bytes_written;  /* data and companion files */
    uint64_t partials_removed;
    double seconds;          /* the slowest rank */
} mlps_datagen_result;

/* The file-naming view of a workload's dataset. */
void mlps_datagen_layout(const mlps_workload *workload, const mlps_format *format,
                         mlps_dataset_layout *layout);

/* Collective. The data folder is the workload's dataset.data_folder. */
int mlps_datagen_run(const mlps_comm *comm, const mlps_workload *workload,
                     const mlps_datagen_options *options, mlps_datagen_result *result,
                     mlps_error *err);

json_t *mlps_datagen_result_json(const mlps_datagen_result *result);

#endif
