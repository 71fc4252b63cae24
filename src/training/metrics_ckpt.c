/* The checkpoint metrics of a training run (DLIO's save_checkpoint_* keys): each checkpoint's
 * GiB/s, and the mean and population stdev over the run's checkpoints of that rate and of the
 * duration; see metrics.h. */
#include "training/metrics.h"

#include <errno.h>
#include <stdlib.h>

#define GIBIBYTE 1073741824.0

double mlps_train_ckpt_gib_per_second(const mlps_train_ckpt_record *record)
{
    return record->seconds > 0 ? (double)record->bytes / GIBIBYTE / record->seconds : 0;
}

static size_t count_checkpoints(const mlps_epoch_record *epochs, size_t count)
{
    size_t total = 0;
    for (size_t e = 0; e < count; e++)
        total += epochs[e].checkpoint_count;
    return total;
}

static int alloc_series(mlps_metric_series *series, size_t n, mlps_error *err)
{
    series->per_epoch = calloc(n > 0 ? n : 1, sizeof *series->per_epoch);
    return series->per_epoch ? 0
                             : mlps_fail(err, -ENOMEM, "out of memory combining %zu checkpoints",
                                         n);
}

int mlps_train_ckpt_metrics_compute(const mlps_epoch_record *epochs, size_t count, bool enabled,
                                    uint64_t bytes, mlps_train_ckpt_metrics *out,
                                    mlps_error *err)
{
    *out = (mlps_train_ckpt_metrics){.enabled = enabled, .bytes = bytes,
                                     .size_gib = (double)bytes / GIBIBYTE,
                                     .count = count_checkpoints(epochs, count)};
    int rc = alloc_series(&out->io_gib_per_second, out->count, err);
    if (!rc)
        rc = alloc_series(&out->duration_seconds, out->count, err);
    if (rc) {
        mlps_train_ckpt_metrics_free(out);
        return rc;
    }
    size_t k = 0;
    for (size_t e = 0; e < count; e++) {
        for (size_t c = 0; c < epochs[e].checkpoint_count; c++, k++) {
            out->io_gib_per_second.per_epoch[k] =
                mlps_train_ckpt_gib_per_second(&epochs[e].checkpoints[c]);
            out->duration_seconds.per_epoch[k] = epochs[e].checkpoints[c].seconds;
        }
    }
    mlps_population_stats(out->io_gib_per_second.per_epoch, out->count,
                          &out->io_gib_per_second.mean, &out->io_gib_per_second.stdev);
    mlps_population_stats(out->duration_seconds.per_epoch, out->count,
                          &out->duration_seconds.mean, &out->duration_seconds.stdev);
    return 0;
}

void mlps_train_ckpt_metrics_free(mlps_train_ckpt_metrics *metrics)
{
    free(metrics->io_gib_per_second.per_epoch);
    free(metrics->duration_seconds.per_epoch);
    metrics->io_gib_per_second.per_epoch = NULL;
    metrics->duration_seconds.per_epoch = NULL;
}
