/* The reader of one split of a training run: a layout cache over the split's listed files and
 * a loader whose batches follow a plan's order for this rank. The run's training epochs read
 * train/ through one, its evaluations valid/ through another (batch_size_eval, their own
 * plan); both take their threads, prefetch and request sizes from the workload's reader keys. */
#ifndef MLPS_TRAINING_SPLIT_READER_H
#define MLPS_TRAINING_SPLIT_READER_H

#include "training/dataset_files.h"
#include "training/loader.h"
#include "training/plan.h"
#include "training/workload.h"

typedef struct mlps_split_reader {
    const mlps_dataset_files *files; /* borrowed: file i of the plan is files->paths[i] */
    const mlps_plan *plan;           /* borrowed */
    uint32_t rank;
    mlps_layout_cache *layouts;
    mlps_loader *loader;
} mlps_split_reader;

/* The loader's configuration for this workload (batch size and batches per epoch from the
 * plan; queue_depth 0: 4), without its store, layouts or order. */
mlps_loader_config mlps_split_reader_config(const mlps_workload *workload, const mlps_plan *plan,
                                            unsigned queue_depth);

/* Starts the reader threads. The reader must not move while open (the loader calls back into
 * it). */
int mlps_split_reader_open(mlps_split_reader *reader, mlps_store *store,
                           const mlps_format *format, const mlps_format_params *params,
                           const mlps_loader_config *config, const mlps_dataset_files *files,
                           const mlps_plan *plan, uint32_t rank, mlps_error *err);
void mlps_split_reader_close(mlps_split_reader *reader);
/* Logs the reading threads and buffer memory each rank gives to reading `split` (train/,
 * valid/) with config on a store of that alignment: rank 0 says it once per split. */
void mlps_split_reader_say_memory(const char *split, const mlps_loader_config *config,
                                  size_t alignment);

#endif
