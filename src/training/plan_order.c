/* Steps per epoch, rank slices and the per-epoch order of samples; see plan.h for the design.
 * Every lookup is O(1): the shuffles are keyed permutations (permute.h), not arrays. */
#include "training/plan.h"

#include <errno.h>
#include <inttypes.h>

#include "training/permute.h"

/* Keep the two shuffles of one epoch independent of each other and of other seeded streams. */
#define FILE_ORDER_PURPOSE UINT64_C(0x66696c656f726465)   /* "fileorde" */
#define SAMPLE_WINDOW_PURPOSE UINT64_C(0x77696e646f777321) /* "windows!" */

static bool multiply_overflows(uint64_t a, uint64_t b, uint64_t *product)
{
    return __builtin_mul_overflow(a, b, product);
}

int mlps_plan_steps_for(uint64_t total_samples, uint64_t batch_size, uint32_t ranks,
                        uint64_t *steps, mlps_error *err)
{
    uint64_t per_step;
    if (batch_size == 0 || ranks == 0)
        return mlps_fail_usage(err, -EINVAL, "reader.batch_size (%" PRIu64 ") and the "
                               "accelerator count (%" PRIu32 ") must both be at least 1",
                               batch_size, ranks);
    if (multiply_overflows(batch_size, ranks, &per_step))
        return mlps_fail_usage(err, -EOVERFLOW, "reader.batch_size %" PRIu64 " x %" PRIu32
                               " accelerators overflows 64 bits", batch_size, ranks);
    *steps = total_samples / per_step;
    return 0;
}

static int check_order_params(const mlps_order_params *params, mlps_error *err)
{
    if (params->num_files == 0)
        return mlps_fail_usage(err, -EINVAL, "dataset.num_files_train must be at least 1");
    if (params->samples_per_file == 0)
        return mlps_fail_usage(err, -EINVAL, "dataset.num_samples_per_file must be at least 1");
    return 0;
}

static int choose_steps(mlps_plan *plan, mlps_error *err)
{
    const mlps_order_params *params = &plan->params;
    uint64_t steps = 0;
    int rc = mlps_plan_steps_for(plan->total_samples, params->batch_size, params->ranks, &steps,
                                 err);
    if (rc < 0)
        return rc;
    if (steps == 0)
        return mlps_fail_usage(err, -EINVAL, "dataset.num_files_train %" PRIu64 " x "
                               "num_samples_per_file %" PRIu64 " = %" PRIu64 " samples is "
                               "fewer than one step needs (reader.batch_size %" PRIu64 " x %"
                               PRIu32 " accelerators); generate more files",
                               params->num_files, params->samples_per_file,
                               plan->total_samples, params->batch_size, params->ranks);
    if (params->total_training_steps > steps)
        return mlps_fail_usage(err, -EINVAL, "train.total_training_steps %" PRIu64 " exceeds "
                               "the %" PRIu64 " steps per epoch the dataset holds; use at most "
                               "%" PRIu64 " or generate more files",
                               params->total_training_steps, steps, steps);
    plan->steps_per_epoch = params->total_training_steps > 0 ? params->total_training_steps
                                                             : steps;
    return 0;
}

int mlps_plan_init(mlps_plan *plan, const mlps_order_params *params, mlps_error *err)
{
    *plan = (mlps_plan){.params = *params};
    int rc = check_order_params(params, err);
    if (rc < 0)
        return rc;
    if (multiply_overflows(params->num_files, params->samples_per_file, &plan->total_samples))
        return mlps_fail_usage(err, -EOVERFLOW, "dataset.num_files_train %" PRIu64 " x "
                               "num_samples_per_file %" PRIu64 " overflows 64 bits",
                               params->num_files, params->samples_per_file);
    rc = choose_steps(plan, err);
    if (rc < 0)
        return rc;
    /* steps x batch x ranks <= T, so neither product below can overflow. */
    plan->samples_per_rank = plan->steps_per_epoch * params->batch_size;
    plan->rank_span = plan->total_samples / params->ranks +
                      (plan->total_samples % params->ranks != 0);
    return 0;
}

uint64_t mlps_plan_rank_start(const mlps_plan *plan, uint32_t rank)
{
    uint64_t preferred = (uint64_t)rank * plan->rank_span;
    uint64_t latest = plan->total_samples -
                      (uint64_t)(plan->params.ranks - rank) * plan->samples_per_rank;
    return preferred < latest ? preferred : latest;
}

/* The keys of one epoch's two shuffles, derived once per lookup batch. */
typedef struct epoch_keys {
    uint64_t file_order;
    uint64_t sample_windows;
} epoch_keys;

static epoch_keys keys_of_epoch(const mlps_plan *plan, uint64_t epoch)
{
    uint64_t seed = plan->params.seed + (plan->params.seed_change_epoch ? epoch : 0);
    return (epoch_keys){
        .file_order = mlps_key_mix(seed, FILE_ORDER_PURPOSE),
        .sample_windows = mlps_key_mix(seed, SAMPLE_WINDOW_PURPOSE),
    };
}

static bool shuffles_windows(const mlps_plan *plan)
{
    return plan->params.sample_shuffle && plan->params.shuffle_size > 1;
}

/* Permutes the position within its window of shuffle_size positions (the last window holds
 * what is left of T). */
static uint64_t shuffle_within_window(const mlps_plan *plan, const epoch_keys *keys,
                                      uint64_t position)
{
    uint64_t window_size = plan->params.shuffle_size;
    uint64_t window = position / window_size;
    uint64_t base = window * window_size;
    uint64_t length = plan->total_samples - base;
    mlps_permutation permutation;
    mlps_permutation_init(&permutation, length < window_size ? length : window_size,
                          mlps_key_mix(keys->sample_windows, window));
    return base + mlps_permutation_apply(&permutation, position - base);
}

static mlps_sample_ref sample_at_position(const mlps_plan *plan, const epoch_keys *keys,
                                          uint64_t position)
{
    if (shuffles_windows(plan))
        position = shuffle_within_window(plan, keys, position);
    uint64_t samples_per_file = plan->params.samples_per_file;
    mlps_sample_ref ref = {.file = position / samples_per_file,
                           .sample = position % samples_per_file};
    if (plan->params.file_shuffle) {
        mlps_permutation permutation;
        mlps_permutation_init(&permutation, plan->params.num_files, keys->file_order);
        ref.file = mlps_permutation_apply(&permutation, ref.file);
    }
    return ref;
}

mlps_sample_ref mlps_plan_sample(const mlps_plan *plan, uint64_t epoch, uint32_t rank,
                                 uint64_t k)
{
    epoch_keys keys = keys_of_epoch(plan, epoch);
    return sample_at_position(plan, &keys, mlps_plan_rank_start(plan, rank) + k);
}

uint64_t mlps_plan_sample_run(const mlps_plan *plan, uint64_t epoch, uint32_t rank, uint64_t k,
                              mlps_sample_ref *first)
{
    *first = mlps_plan_sample(plan, epoch, rank, k);
    if (shuffles_windows(plan))
        return 1;
    /* Without the window shuffle, consecutive positions are consecutive samples of one file
     * slot, and the file shuffle moves whole slots. */
    uint64_t left_in_file = plan->params.samples_per_file - first->sample;
    uint64_t left_in_share = plan->samples_per_rank - k;
    return left_in_file < left_in_share ? left_in_file : left_in_share;
}

void mlps_plan_batch(const mlps_plan *plan, uint64_t epoch, uint32_t rank, uint64_t batch,
                     mlps_sample_ref *out)
{
    epoch_keys keys = keys_of_epoch(plan, epoch);
    uint64_t batch_size = plan->params.batch_size;
    uint64_t first_position = mlps_plan_rank_start(plan, rank) + batch * batch_size;
    for (uint64_t i = 0; i < batch_size; i++)
        out[i] = sample_at_position(plan, &keys, first_position + i);
}
