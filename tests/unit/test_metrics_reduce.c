/* Tests the cross-rank reduction of training metrics. The same binary runs as one process and
 * under `mpirun -n 3` (tests/integration/test_metrics_mpi.sh): rank r contributes rank-dependent
 * epochs, and every rank checks the mean over ranks (AU) and sums over ranks (throughput, bytes)
 * against values it computes for the job's size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mpi_sanitizer.h"
#include "training/metrics.h"

static mlps_comm job;

enum { EPOCHS = 3 };

static mlps_epoch_metrics rank_epoch(int rank, int epoch)
{
    return (mlps_epoch_metrics){.steps = 10,
                                .au_percent = 50.0 + 10.0 * rank + epoch,
                                .throughput = 100.0 * (rank + 1) + epoch,
                                .reference_throughput = 90.0 * (rank + 1),
                                .bytes_per_second = 1024.0 * (rank + 1) * (epoch + 1)};
}

static void ranks_combine_by_mean_and_sum(void **state)
{
    (void)state;
    mlps_epoch_metrics mine[EPOCHS];
    for (int e = 0; e < EPOCHS; e++)
        mine[e] = rank_epoch(job.rank, e);
    mlps_run_metric_params params = {.record_size = 2097152, .au_expectation = 0.5};
    mlps_run_metrics m;
    mlps_error err = {0};
    assert_int_equal(mlps_metrics_reduce(&job, mine, EPOCHS, &params, &m, &err), 0);
    assert_int_equal(m.ranks, job.size);
    assert_int_equal(m.epochs, EPOCHS);

    double au[EPOCHS], throughput[EPOCHS];
    for (int e = 0; e < EPOCHS; e++) {
        double au_sum = 0, throughput_sum = 0, reference_sum = 0, bytes_sum = 0;
        for (int r = 0; r < job.size; r++) {
            mlps_epoch_metrics theirs = rank_epoch(r, e);
            au_sum += theirs.au_percent;
            throughput_sum += theirs.throughput;
            reference_sum += theirs.reference_throughput;
            bytes_sum += theirs.bytes_per_second;
        }
        au[e] = au_sum / job.size;
        throughput[e] = throughput_sum;
        assert_float_equal(m.au_percent.per_epoch[e], au[e], 1e-9);
        assert_float_equal(m.throughput.per_epoch[e], throughput_sum, 1e-9);
        assert_float_equal(m.reference_throughput.per_epoch[e], reference_sum, 1e-9);
        assert_float_equal(m.bytes_per_second.per_epoch[e], bytes_sum, 1e-9);
    }
    /* Epochs differ by exactly 1 (AU) and by job.size (throughput): population stdev
     * sqrt(2/3) times that step. */
    assert_float_equal(m.au_percent.mean, au[1], 1e-9);
    assert_float_equal(m.au_percent.stdev, sqrt(2.0 / 3), 1e-9);
    assert_float_equal(m.throughput.mean, throughput[1], 1e-9);
    assert_float_equal(m.throughput.stdev, job.size * sqrt(2.0 / 3), 1e-9);
    assert_float_equal(m.io_mean_mib_per_second, 2 * throughput[1], 1e-9);
    assert_true(m.meets_expectation);
    mlps_run_metrics_free(&m);
}

/* Ranks that disagree on the epoch count all get the error instead of a wrong sum. */
static void mismatched_epoch_counts_fail_on_every_rank(void **state)
{
    (void)state;
    if (job.size < 2)
        skip();
    mlps_epoch_metrics mine[EPOCHS];
    for (int e = 0; e < EPOCHS; e++)
        mine[e] = rank_epoch(job.rank, e);
    size_t count = job.rank == 0 ? EPOCHS - 1 : EPOCHS;
    mlps_run_metric_params params = {.record_size = 1, .au_expectation = 0.5};
    mlps_run_metrics m;
    mlps_error err = {0};
    assert_int_equal(mlps_metrics_reduce(&job, mine, count, &params, &m, &err), -71);
    assert_non_null(strstr(err.message, "different epoch counts (2 to 3)"));
}

int main(int argc, char **argv)
{
    mlps_error err = {0};
    if (mlps_comm_init(&job, &argc, &argv, &err) != 0) {
        fprintf(stderr, "MPI start failed: %s\n", err.message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ranks_combine_by_mean_and_sum),
        cmocka_unit_test(mismatched_epoch_counts_fail_on_every_rank),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mlps_comm_finalize(&job, &err);
    return failed;
}
