/* Evaluation during a training run (workflow.evaluation, DLIO's _eval): after the training of
 * some epochs, every rank reads its share of the valid/ files in batches of
 * reader.batch_size_eval, emulating evaluation.eval_time of compute per batch, with no
 * collective between steps.
 *
 * Schedule (as DLIO's run loop): the next evaluation epoch starts at
 * evaluation.eval_after_epoch; after epoch e's training, when e >= next, the epoch is evaluated
 * and next advances by evaluation.epochs_between_evals.
 *
 * Steps: floor(num_samples_per_file x num_files_eval / (batch_size_eval x N)) per evaluation;
 * the share of each rank and its order follow the training plan's rules (plan.h) over the
 * valid files, so each rank reads steps x batch_size_eval samples. The valid files are listed
 * like the train files (dataset_split.h): fewer than num_files_eval is a usage error, more
 * means the first num_files_eval in sorted order. */
#ifndef MLPS_TRAINING_EVAL_H
#define MLPS_TRAINING_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/comm.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/rng.h"
#include "training/metrics.h"
#include "training/plan.h"
#include "training/split_reader.h"
#include "training/workload.h"

typedef struct mlps_eval_schedule {
    bool enabled;            /* workflow.evaluation */
    uint64_t next_epoch;     /* the first epoch still to be evaluated */
    uint64_t epochs_between; /* evaluation.epochs_between_evals */
} mlps_eval_schedule;

void mlps_eval_schedule_init(mlps_eval_schedule *schedule, const mlps_workload *workload);

/* Whether an evaluation follows the training of `epoch` (call once per epoch, in order: a
 * due evaluation advances the schedule). */
bool mlps_eval_due_after_epoch(mlps_eval_schedule *schedule, uint64_t epoch);

/* The evaluations a run of `epochs` epochs holds, from a fresh schedule. */
uint64_t mlps_eval_count(const mlps_eval_schedule *schedule, uint64_t epochs);

/* The evaluation plan for `ranks` accelerators: steps by the floor formula above. Usage errors
 * naming the keys: no valid file (dataset.num_files_eval 0), or too few samples for one step.
 * Call only with workflow.evaluation on. */
int mlps_eval_plan(const mlps_workload *workload, uint32_t ranks, mlps_plan *plan,
                   mlps_error *err);

/* What a run's evaluations need: the valid files, their plan and reader, and the emulated
 * compute's random stream (apart from training's, which evaluation leaves as it was). */
typedef struct mlps_evaluator {
    const mlps_comm *comm;
    const mlps_workload *workload;
    mlps_eval_schedule schedule;
    mlps_dataset_files files;
    mlps_plan plan;
    mlps_metric_window window; /* the evaluation's steps, metric.exclude_*, batch_size_eval */
    mlps_split_reader reader;
    mlps_rng compute_rng;
    mlps_progress progress; /* rank 0's line while an evaluation runs */
} mlps_evaluator;

/* Collective. With evaluation off, only the (disabled) schedule is set. Otherwise plans the
 * evaluation, lists valid/ on rank 0 (usage errors as in dataset_split.h) and starts its
 * reader over `store`. The evaluator must not move while open. */
int mlps_evaluator_open(mlps_evaluator *evaluator, const mlps_comm *comm,
                        const mlps_workload *workload, mlps_store *store,
                        const mlps_format *format, const mlps_format_params *params,
                        unsigned queue_depth, mlps_error *err);

/* Collective: when the schedule says so, evaluates after `epoch` and records it in *record
 * (record->evaluated); otherwise does nothing. Ranks agree only at the end. */
int mlps_evaluator_after_epoch(mlps_evaluator *evaluator, uint64_t epoch,
                               mlps_epoch_record *record, mlps_error *err);

/* Adds the evaluation reads of this rank to *stats (no-op when evaluation is off). */
void mlps_evaluator_add_stats(mlps_evaluator *evaluator, mlps_loader_stats *stats);

void mlps_evaluator_close(mlps_evaluator *evaluator);

#endif
