/* The metrics of evaluations (workflow.evaluation): one evaluation's AU, throughput and bytes
 * per second as DLIO's compute_metrics_eval defines them, and their reduction across ranks and
 * over the run, which is the epochs' reduction applied to the list of evaluations; see
 * metrics.h. */
#include "training/metrics.h"

#include <errno.h>
#include <stdlib.h>

#include "core/clock.h"

void mlps_eval_metrics_compute(const mlps_metric_window *window, const mlps_block_record *block,
                               mlps_epoch_metrics *out)
{
    mlps_block_metrics windowed;
    mlps_block_metrics_compute(window, block, &windowed);
    *out = (mlps_epoch_metrics){.steps = block->steps, .au_percent = windowed.au_percent};
    if (block->end_ns <= block->start_ns)
        return;
    /* Unlike a training block's, the rates count every step over the whole evaluation. */
    double wall = mlps_ns_to_seconds(block->end_ns - block->start_ns);
    uint64_t bytes = 0;
    for (size_t i = 0; i < block->steps; i++)
        bytes += block->bytes[i];
    out->throughput = (double)block->steps * (double)window->batch_size / wall;
    out->bytes_per_second = (double)bytes / wall;
}

int mlps_eval_metrics_collect(const mlps_metric_window *window, const mlps_epoch_record *epochs,
                              size_t count, mlps_epoch_metrics **out, size_t *evaluations,
                              mlps_error *err)
{
    *evaluations = 0;
    *out = calloc(count > 0 ? count : 1, sizeof **out);
    if (!*out)
        return mlps_fail(err, -ENOMEM, "out of memory combining the evaluations of %zu epochs",
                         count);
    for (size_t e = 0; e < count; e++)
        if (epochs[e].evaluated)
            mlps_eval_metrics_compute(window, &epochs[e].eval, &(*out)[(*evaluations)++]);
    return 0;
}

int mlps_eval_metrics_reduce(const mlps_comm *comm, const mlps_metric_window *window,
                             const mlps_epoch_record *epochs, size_t count,
                             const mlps_run_metric_params *params, mlps_run_metrics **out,
                             mlps_error *err)
{
    *out = NULL;
    mlps_epoch_metrics *evaluations = NULL;
    size_t n = 0;
    int rc = mlps_eval_metrics_collect(window, epochs, count, &evaluations, &n, err);
    /* Every rank takes part in the reduction whatever happened here, so none waits alone; a
     * rank that failed brings no evaluation, which the count check turns into an error on all. */
    mlps_run_metrics reduced;
    int reduce_rc = mlps_metrics_reduce(comm, evaluations, rc ? 0 : n, params, &reduced,
                                        rc ? NULL : err);
    free(evaluations);
    if (!rc)
        rc = reduce_rc;
    if (!rc && !(*out = malloc(sizeof **out)))
        rc = mlps_fail(err, -ENOMEM, "out of memory combining evaluations");
    if (rc) {
        mlps_run_metrics_free(&reduced);
        return rc;
    }
    **out = reduced;
    return 0;
}
