/* The files a training run leaves in its run directory, with DLIO's names and keys (spec 10
 * §3.3): summary.json (rank 0), <rank>_per_epoch_stats.json and <rank>_output.json (each rank),
 * dlio_config/config.yaml (the merged workload), and the [METRIC] block. */
#ifndef MLPS_TRAINING_RUN_OUTPUT_H
#define MLPS_TRAINING_RUN_OUTPUT_H

#include "core/comm.h"
#include "training/run.h"

/* Collective: gathers host facts, then writes every file. *report receives (on rank 0) the
 * [METRIC] text to print, malloc'd; NULL elsewhere. */
int mlps_training_write_outputs(const mlps_comm *comm, const char *run_dir,
                                const mlps_workload *workload,
                                const mlps_training_result *result, char **report,
                                mlps_error *err);

#endif
