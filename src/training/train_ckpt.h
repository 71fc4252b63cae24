/* Checkpoints during a training run (spec 10 §2.6, workflow.checkpoint=true): when they fall and
 * how they are written.
 *
 * When: with checkpoint.steps_between_checkpoints = k >= 1, after steps k, 2k, ... of every epoch
 * (steps counted from 1 within the epoch, as DLIO does; each checkpoint ends the current block of
 * steps and the next step starts a new one); otherwise after the epochs checkpoint_after_epoch,
 * + epochs_between_checkpoints, ... (the last step of the epoch is the checkpoint's step).
 *
 * What: each writing rank (rank 0 for checkpoint.type=rank_zero, every rank for all_ranks) writes
 * model.model_size_bytes of incompressible bytes to
 *   <checkpoint_folder>/global_epoch<e>_step<s>/model_states-<rank>.<pt|pb>
 * DLIO's names (pt for pytorch, pb for tensorflow), through the storage layer so s3:// folders
 * work too. A file appears under its name only when complete and is always fsynced, whatever
 * checkpoint.fsync says (the rules want durable checkpoints; the reference silently skips it).
 *
 * Timing: a barrier, the writes, then a collective that ends only when the slowest rank is done;
 * the time between the barrier and that collective is the checkpoint's duration on every rank.
 * It lies outside every block, so it does not change AU, but inside the epoch's duration. */
#ifndef MLPS_TRAINING_TRAIN_CKPT_H
#define MLPS_TRAINING_TRAIN_CKPT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/comm.h"
#include "core/error.h"
#include "io/store.h"
#include "training/metrics.h"
#include "training/workload.h"

/* --- when --- */

typedef struct mlps_train_ckpt_schedule {
    bool enabled;            /* workflow.checkpoint */
    uint64_t steps_between;  /* k >= 1: by steps; 0: by epochs */
    uint64_t after_epoch;    /* the first epoch followed by a checkpoint (by epochs) */
    uint64_t epochs_between; /* >= 1 */
} mlps_train_ckpt_schedule;

/* The schedule of a workload. With workflow.checkpoint=true, values that could never write a
 * checkpoint are usage errors naming the key: checkpoint.checkpoint_after_epoch 0 (epochs count
 * from 1), model.model_size_bytes 0, an empty checkpoint.checkpoint_folder. */
int mlps_train_ckpt_schedule_init(const mlps_workload *workload, mlps_train_ckpt_schedule *out,
                                  mlps_error *err);

/* Whether a checkpoint follows step `step` (1-based within its epoch). */
bool mlps_train_ckpt_due_after_step(const mlps_train_ckpt_schedule *schedule, uint64_t step);

/* Whether a checkpoint follows epoch `epoch` (1-based) once its steps are done. */
bool mlps_train_ckpt_due_after_epoch(const mlps_train_ckpt_schedule *schedule, uint64_t epoch);

/* Checkpoints a run of `epochs` epochs of `steps_per_epoch` steps writes. */
uint64_t mlps_train_ckpt_count(const mlps_train_ckpt_schedule *schedule, uint64_t epochs,
                               uint64_t steps_per_epoch);

/* Blocks of steps one epoch is cut into: a checkpoint after the epoch's last step starts none. */
uint64_t mlps_train_ckpt_blocks_per_epoch(const mlps_train_ckpt_schedule *schedule,
                                          uint64_t steps_per_epoch);

/* --- what --- */

typedef struct mlps_train_ckpt_writer {
    const mlps_comm *comm;
    mlps_store *store;      /* checkpoint.checkpoint_folder; NULL when checkpoints are off */
    uint64_t model_bytes;   /* per writing rank */
    uint32_t writing_ranks; /* 1 (rank_zero) or every rank (all_ranks) */
    bool this_rank_writes;
    const char *extension; /* "pt" or "pb" */
    uint64_t seed;         /* data seed (train.seed) */
} mlps_train_ckpt_writer;

/* Collective. Opens the checkpoint folder and (rank 0) creates it; a folder that cannot be
 * opened or created is a usage error naming checkpoint.checkpoint_folder. With checkpoints off
 * the writer is empty and writes nothing. */
int mlps_train_ckpt_writer_open(const mlps_comm *comm, const mlps_workload *workload,
                                const mlps_train_ckpt_schedule *schedule,
                                mlps_train_ckpt_writer *writer, mlps_error *err);
void mlps_train_ckpt_writer_close(mlps_train_ckpt_writer *writer);

/* Bytes of one checkpoint over every writing rank. */
uint64_t mlps_train_ckpt_bytes(const mlps_train_ckpt_writer *writer);

/* The path of a rank's file inside the folder: global_epoch<e>_step<s>/model_states-<r>.<ext>. */
int mlps_train_ckpt_file_path(const mlps_train_ckpt_writer *writer, uint64_t epoch, uint64_t step,
                              int rank, char *out, size_t size, mlps_error *err);

/* Collective: the timed checkpoint of (epoch, step), recorded in *record (after_block set by the
 * caller is kept). A failed write is an error on every rank, naming the file. */
int mlps_train_ckpt_save(const mlps_train_ckpt_writer *writer, uint64_t epoch, uint64_t step,
                         mlps_train_ckpt_record *record, mlps_error *err);

#endif
