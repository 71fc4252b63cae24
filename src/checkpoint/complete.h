/* Whether a checkpoint on storage is whole. Rank 0 marks a checkpoint complete once every rank
 * has written its files (a failed or interrupted save leaves no marker), and a read checks, before
 * anything is timed, that every checkpoint it will read is marked and that each rank's files
 * have exactly the sizes this model and process count write — so a partial checkpoint, or one
 * written by another configuration, is refused rather than read. */
#ifndef MLPS_CHECKPOINT_COMPLETE_H
#define MLPS_CHECKPOINT_COMPLETE_H

#include <stdint.h>

#include "checkpoint/model.h"
#include "core/error.h"
#include "io/store.h"

/* The marker written into a checkpoint's folder once every rank has written it. */
#define MLPS_CHECKPOINT_COMPLETE_MARKER "mlps_checkpoint_complete.json"

typedef struct mlps_checkpoint_marker {
    const char *model_name;
    int processes;
    uint64_t files, bytes; /* per checkpoint, all ranks */
} mlps_checkpoint_marker;

/* Writes the marker of checkpoint step (published atomically, fsynced; any store, direct://
 * included). */
int mlps_checkpoint_mark_complete(mlps_store *store, uint64_t step,
                                  const mlps_checkpoint_marker *marker, mlps_error *err);

/* Checkpoints 1..steps are all marked complete; else a usage error naming the first that is not
 * (or the folder, when it does not exist) and how to write it. */
int mlps_checkpoint_check_marked(mlps_store *store, uint64_t steps, mlps_error *err);

/* Every file rank writes exists in checkpoints 1..steps with the size the layout gives it; else a
 * usage error naming the file and both sizes. */
int mlps_checkpoint_check_rank_files(mlps_store *store, const mlps_checkpoint_layout *layout,
                                     uint64_t rank, uint64_t steps, mlps_error *err);

#endif
