/* Pieces of the workload reader shared between its files; not for other modules. */
#ifndef MLPS_TRAINING_WORKLOAD_INTERNAL_H
#define MLPS_TRAINING_WORKLOAD_INTERNAL_H

#include "training/workload.h"

/* Checks dataset.parquet.columns (a JSON list, or NULL when unset) and fills the dataset's
 * column array and its normalised JSON. An empty or unset list leaves column mode off. */
int mlps_workload_read_columns(const json_t *columns, mlps_workload_dataset *dataset,
                               mlps_error *err);
void mlps_workload_free_columns(mlps_workload_dataset *dataset);

#endif
