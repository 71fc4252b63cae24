/* Tests the cross-rank histogram merge. The same binary runs as one process and under
 * `mpirun -n 2/3` (tests/integration/test_comm_mpi.sh): rank r records a rank-dependent set of
 * values, and every rank checks the merged result against the union it builds locally. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/hist_reduce.h"
#include "mpi_sanitizer.h"

static mlps_comm job;

/* Rank r records 100 values around (r+1) ms plus one huge value, so the 128-bit sum carries. */
static void record_rank_values(mlps_hist *hist, int rank)
{
    for (uint64_t i = 1; i <= 100; i++)
        mlps_hist_record(hist, (uint64_t)(rank + 1) * 1000000u + i * 997u);
    mlps_hist_record_n(hist, UINT64_MAX - (uint64_t)rank, 3);
}

static void merged_histogram_equals_the_union(void **state)
{
    (void)state;
    static mlps_hist mine, expected;
    mlps_hist_init(&mine);
    record_rank_values(&mine, job.rank);
    mlps_error err = {0};
    int rc = mlps_hist_reduce(&job, &mine, &err);

    mlps_hist_init(&expected);
    for (int r = 0; r < job.size; r++)
        record_rank_values(&expected, r);
    assert_int_equal(rc, 0);
    assert_int_equal(mlps_hist_count(&mine), 103u * (uint64_t)job.size);
    assert_true(mlps_hist_sum(&mine) == mlps_hist_sum(&expected));
    assert_int_equal(mlps_hist_min(&mine), mlps_hist_min(&expected));
    assert_int_equal(mlps_hist_max(&mine), UINT64_MAX);
    assert_memory_equal(mine.counts, expected.counts, sizeof mine.counts);
    assert_true(mlps_hist_percentile(&mine, 50) == mlps_hist_percentile(&expected, 50));
}

static void empty_histograms_stay_empty(void **state)
{
    (void)state;
    static mlps_hist empty;
    mlps_hist_init(&empty);
    mlps_error err = {0};
    assert_int_equal(mlps_hist_reduce(&job, &empty, &err), 0);
    assert_int_equal(mlps_hist_count(&empty), 0);
    assert_int_equal(mlps_hist_min(&empty), 0);
    assert_int_equal(mlps_hist_max(&empty), 0);
}

int main(int argc, char **argv)
{
    mlps_error err = {0};
    if (mlps_comm_init(&job, &argc, &argv, &err) != 0) {
        fprintf(stderr, "MPI start failed: %s\n", err.message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merged_histogram_equals_the_union),
        cmocka_unit_test(empty_histograms_stay_empty),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mlps_comm_finalize(&job, &err);
    return failed;
}
