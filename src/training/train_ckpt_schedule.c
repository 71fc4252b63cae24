/* When checkpoints fall during a training run; see train_ckpt.h. Pure arithmetic on the
 * workload's checkpoint keys, so the schedule is tested without a run. */
#include "training/train_ckpt.h"

#include <errno.h>

int mlps_train_ckpt_schedule_init(const mlps_workload *w, mlps_train_ckpt_schedule *out,
                                  mlps_error *err)
{
    const mlps_workload_checkpoint *c = &w->checkpoint;
    *out = (mlps_train_ckpt_schedule){
        .enabled = w->workflow.checkpoint,
        .steps_between = c->steps_between > 0 ? (uint64_t)c->steps_between : 0,
        .after_epoch = c->after_epoch,
        .epochs_between = c->epochs_between,
    };
    if (!out->enabled)
        return 0;
    if (c->steps_between == 0)
        return mlps_fail_usage(err, -EINVAL, "config key 'checkpoint.steps_between_checkpoints' "
                               "must be at least 1, or negative to checkpoint by epoch, got 0");
    if (c->epochs_between < 1)
        return mlps_fail_usage(err, -EINVAL, "config key 'checkpoint.epochs_between_checkpoints' "
                               "must be at least 1, got %llu",
                               (unsigned long long)c->epochs_between);
    /* DLIO compares the epoch (counted from 1) with it, so 0 would never match. */
    if (out->steps_between == 0 && c->after_epoch < 1)
        return mlps_fail_usage(err, -EINVAL, "config key 'checkpoint.checkpoint_after_epoch' "
                               "must be at least 1 with workflow.checkpoint=true (epochs count "
                               "from 1), got 0");
    if (w->model_size_bytes < 1)
        return mlps_fail_usage(err, -EINVAL, "config key 'model.model_size_bytes' must be at "
                               "least 1 with workflow.checkpoint=true (bytes each writing rank "
                               "saves), got 0");
    if (!w->checkpoint.folder || !*w->checkpoint.folder)
        return mlps_fail_usage(err, -EINVAL, "config key 'checkpoint.checkpoint_folder' must "
                               "not be empty with workflow.checkpoint=true");
    return 0;
}

bool mlps_train_ckpt_due_after_step(const mlps_train_ckpt_schedule *s, uint64_t step)
{
    return s->enabled && s->steps_between > 0 && step > 0 && step % s->steps_between == 0;
}

bool mlps_train_ckpt_due_after_epoch(const mlps_train_ckpt_schedule *s, uint64_t epoch)
{
    return s->enabled && s->steps_between == 0 && s->epochs_between > 0 && s->after_epoch > 0 &&
           epoch >= s->after_epoch && (epoch - s->after_epoch) % s->epochs_between == 0;
}

uint64_t mlps_train_ckpt_count(const mlps_train_ckpt_schedule *s, uint64_t epochs,
                               uint64_t steps_per_epoch)
{
    if (!s->enabled)
        return 0;
    if (s->steps_between > 0)
        return epochs * (steps_per_epoch / s->steps_between);
    if (s->after_epoch < 1 || s->epochs_between < 1 || epochs < s->after_epoch)
        return 0;
    return (epochs - s->after_epoch) / s->epochs_between + 1;
}

uint64_t mlps_train_ckpt_blocks_per_epoch(const mlps_train_ckpt_schedule *s,
                                          uint64_t steps_per_epoch)
{
    if (!s->enabled || s->steps_between == 0)
        return 1;
    uint64_t checkpoints = steps_per_epoch / s->steps_between;
    return checkpoints + (steps_per_epoch % s->steps_between != 0 ? 1 : 0);
}
