/* Combining per-epoch metrics across ranks (one element-wise sum) and over epochs (mean and
 * population stdev), MiB/s from the configured record size, and the AU verdict; see metrics.h. */
#include "training/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

enum packed_slot { SLOT_AU, SLOT_THROUGHPUT, SLOT_REFERENCE_THROUGHPUT, SLOT_BYTES_PER_SECOND };

void mlps_population_stats(const double *values, size_t n, double *mean, double *stdev)
{
    *mean = 0;
    *stdev = 0;
    if (n == 0)
        return;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    *mean = sum / (double)n;
    /* Two passes, as NumPy computes it: subtracting the mean first avoids the cancellation of
     * the sum-of-squares formula. */
    double squares = 0;
    for (size_t i = 0; i < n; i++)
        squares += (values[i] - *mean) * (values[i] - *mean);
    *stdev = sqrt(squares / (double)n);
}

void mlps_metrics_pack(const mlps_epoch_metrics *epochs, size_t count, double *packed)
{
    for (size_t e = 0; e < count; e++) {
        double *slot = packed + e * MLPS_METRICS_VALUES_PER_EPOCH;
        slot[SLOT_AU] = epochs[e].au_percent;
        slot[SLOT_THROUGHPUT] = epochs[e].throughput;
        slot[SLOT_REFERENCE_THROUGHPUT] = epochs[e].reference_throughput;
        slot[SLOT_BYTES_PER_SECOND] = epochs[e].bytes_per_second;
    }
}

/* Fills one series from its slot of every epoch, divided by divisor (the rank count for the
 * mean over ranks, 1 for sums). */
static int fill_series(mlps_metric_series *series, const double *summed, size_t epochs,
                       enum packed_slot slot, double divisor, mlps_error *err)
{
    series->per_epoch = calloc(epochs > 0 ? epochs : 1, sizeof *series->per_epoch);
    if (!series->per_epoch)
        return mlps_fail(err, -ENOMEM, "out of memory combining metrics of %zu epochs", epochs);
    for (size_t e = 0; e < epochs; e++)
        series->per_epoch[e] = summed[e * MLPS_METRICS_VALUES_PER_EPOCH + slot] / divisor;
    mlps_population_stats(series->per_epoch, epochs, &series->mean, &series->stdev);
    return 0;
}

int mlps_run_metrics_from_sums(const double *summed, size_t epochs, int ranks,
                               const mlps_run_metric_params *params, mlps_run_metrics *out,
                               mlps_error *err)
{
    *out = (mlps_run_metrics){.epochs = epochs, .ranks = ranks};
    if (ranks < 1)
        return mlps_fail(err, -EINVAL, "metrics need at least one rank, got %d", ranks);
    int rc = fill_series(&out->au_percent, summed, epochs, SLOT_AU, ranks, err);
    if (rc == 0)
        rc = fill_series(&out->throughput, summed, epochs, SLOT_THROUGHPUT, 1.0, err);
    if (rc == 0)
        rc = fill_series(&out->reference_throughput, summed, epochs, SLOT_REFERENCE_THROUGHPUT,
                         1.0, err);
    if (rc == 0)
        rc = fill_series(&out->bytes_per_second, summed, epochs, SLOT_BYTES_PER_SECOND, 1.0,
                         err);
    if (rc < 0) {
        mlps_run_metrics_free(out);
        return rc;
    }
    const double mebibyte = 1024.0 * 1024.0;
    out->io_mean_mib_per_second = out->throughput.mean * params->record_size / mebibyte;
    out->io_stdev_mib_per_second = out->throughput.stdev * params->record_size / mebibyte;
    out->au_expectation_percent = params->au_expectation * 100;
    out->meets_expectation = out->au_percent.mean >= out->au_expectation_percent;
    return 0;
}

/* Ranks that ran different epoch counts would sum unrelated values: check first, with one
 * reduction of (count, UINT64_MAX - count) by max, which yields the largest and the smallest. */
static int check_same_epoch_count(const mlps_comm *comm, size_t count, mlps_error *err)
{
    uint64_t extremes[2] = {count, UINT64_MAX - count};
    int rc = mlps_comm_max_u64(comm, extremes, 2, err);
    if (rc < 0)
        return rc;
    uint64_t largest = extremes[0], smallest = UINT64_MAX - extremes[1];
    if (largest != smallest)
        return mlps_fail(err, -EPROTO, "ranks recorded different epoch counts (%llu to %llu); "
                         "cannot combine their metrics", (unsigned long long)smallest,
                         (unsigned long long)largest);
    return 0;
}

int mlps_metrics_reduce(const mlps_comm *comm, const mlps_epoch_metrics *epochs, size_t count,
                        const mlps_run_metric_params *params, mlps_run_metrics *out,
                        mlps_error *err)
{
    *out = (mlps_run_metrics){0};
    int rc = check_same_epoch_count(comm, count, err);
    if (rc < 0)
        return rc;
    size_t values = count * MLPS_METRICS_VALUES_PER_EPOCH;
    double *packed = calloc(values > 0 ? values : 1, sizeof *packed);
    if (!packed)
        return mlps_fail(err, -ENOMEM, "out of memory combining metrics of %zu epochs", count);
    mlps_metrics_pack(epochs, count, packed);
    rc = values > 0 ? mlps_comm_sum_double(comm, packed, values, err) : 0;
    if (rc == 0)
        rc = mlps_run_metrics_from_sums(packed, count, comm->size, params, out, err);
    free(packed);
    return rc;
}

void mlps_run_metrics_free(mlps_run_metrics *metrics)
{
    free(metrics->au_percent.per_epoch);
    free(metrics->throughput.per_epoch);
    free(metrics->reference_throughput.per_epoch);
    free(metrics->bytes_per_second.per_epoch);
    metrics->au_percent.per_epoch = NULL;
    metrics->throughput.per_epoch = NULL;
    metrics->reference_throughput.per_epoch = NULL;
    metrics->bytes_per_second.per_epoch = NULL;
    mlps_train_ckpt_metrics_free(&metrics->checkpoints);
    if (metrics->evaluation) {
        mlps_run_metrics_free(metrics->evaluation);
        free(metrics->evaluation);
        metrics->evaluation = NULL;
    }
}
