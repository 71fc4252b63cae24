/* The files a checkpointing run leaves in its run directory, with DLIO's names and keys (spec 20
 * §2.5): summary.json (rank 0) with the save_/load_checkpoint_* metrics and checkpoint_size_GB
 * (GiB), <rank>_per_epoch_stats.json with every save_ckpt<k>/load_ckpt<k> of that rank, the
 * merged workload in dlio_config/config.yaml, and the [METRIC] lines. */
#ifndef MLPS_CHECKPOINT_RUN_OUTPUT_H
#define MLPS_CHECKPOINT_RUN_OUTPUT_H

#include "checkpoint/run.h"

/* Collective. *report receives (rank 0) the [METRIC] text, malloc'd; NULL elsewhere. */
int mlps_checkpoint_write_outputs(const mlps_comm *comm, const char *run_dir,
                                  const mlps_checkpoint_workload *workload,
                                  const mlps_checkpoint_result *result, char **report,
                                  mlps_error *err);

#endif
