/* When a training run evaluates and how many steps an evaluation takes; see eval.h. Pure
 * arithmetic on the workload's keys, so both are tested without a run. */
#include "training/eval.h"

#include <errno.h>
#include <inttypes.h>

#include "training/run.h"

void mlps_eval_schedule_init(mlps_eval_schedule *schedule, const mlps_workload *workload)
{
    *schedule = (mlps_eval_schedule){
        .enabled = workload->workflow.evaluation,
        .next_epoch = workload->evaluation.eval_after_epoch,
        .epochs_between = workload->evaluation.epochs_between_evals,
    };
}

bool mlps_eval_due_after_epoch(mlps_eval_schedule *schedule, uint64_t epoch)
{
    if (!schedule->enabled || epoch < schedule->next_epoch)
        return false;
    schedule->next_epoch += schedule->epochs_between;
    return true;
}

uint64_t mlps_eval_count(const mlps_eval_schedule *schedule, uint64_t epochs)
{
    mlps_eval_schedule fresh = *schedule;
    uint64_t count = 0;
    for (uint64_t epoch = 1; epoch <= epochs; epoch++)
        count += mlps_eval_due_after_epoch(&fresh, epoch);
    return count;
}

/* The plan's own checks name the training keys; these say which evaluation key to change. */
static int check_eval_samples(const mlps_workload *w, uint32_t ranks, mlps_error *err)
{
    const mlps_workload_dataset *d = &w->dataset;
    if (d->num_files_eval == 0)
        return mlps_fail_usage(err, -EINVAL, "workflow.evaluation=true needs "
                               "dataset.num_files_eval of at least 1 (the valid/ files each "
                               "evaluation reads), got 0");
    uint64_t samples, steps = 0;
    if (__builtin_mul_overflow(d->num_files_eval, d->num_samples_per_file, &samples))
        return mlps_fail_usage(err, -EOVERFLOW, "dataset.num_files_eval %" PRIu64 " x "
                               "num_samples_per_file %" PRIu64 " overflows 64 bits",
                               d->num_files_eval, d->num_samples_per_file);
    int rc = mlps_plan_steps_for(samples, w->reader.batch_size_eval, ranks, &steps, err);
    if (rc)
        return rc;
    if (steps == 0)
        return mlps_fail_usage(err, -EINVAL, "dataset.num_files_eval %" PRIu64 " x "
                               "num_samples_per_file %" PRIu64 " = %" PRIu64 " samples is "
                               "fewer than one evaluation step needs (reader.batch_size_eval %"
                               PRIu64 " x %" PRIu32 " accelerators); raise "
                               "dataset.num_files_eval or lower reader.batch_size_eval",
                               d->num_files_eval, d->num_samples_per_file, samples,
                               w->reader.batch_size_eval, ranks);
    return 0;
}

int mlps_eval_plan(const mlps_workload *w, uint32_t ranks, mlps_plan *plan, mlps_error *err)
{
    int rc = check_eval_samples(w, ranks, err);
    if (rc)
        return rc;
    /* Training's order rules over the valid files; no step limit. */
    mlps_order_params order;
    mlps_training_order_params(w, ranks, &order);
    order.num_files = w->dataset.num_files_eval;
    order.batch_size = w->reader.batch_size_eval;
    order.total_training_steps = 0;
    return mlps_plan_init(plan, &order, err);
}
