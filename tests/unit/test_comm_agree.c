/* Tests of failure agreement across ranks. Runs as one process and under mpirun -n 3
 * (tests/integration/test_comm_mpi.sh); expected messages are computed from the job size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/comm_agree.h"
#include "mpi_sanitizer.h"

static mlps_comm job;

static void all_succeeding_agree_on_success(void **state)
{
    (void)state;
    mlps_error err = {0};
    assert_int_equal(mlps_comm_agree(&job, 0, &err), 0);
    assert_string_equal(err.message, "");
}

static void one_failing_rank_fails_everyone_and_rank0_reports_it(void **state)
{
    (void)state;
    int last = job.size - 1;
    mlps_error err = {0};
    int rc = job.rank == last ? mlps_fail(&err, -EIO, "disk on fire") : 0;
    int agreed = mlps_comm_agree(&job, rc, &err);
    assert_int_not_equal(agreed, 0);
    if (job.rank == 0) {
        char expected[64];
        if (last == 0)
            snprintf(expected, sizeof expected, "disk on fire");
        else
            snprintf(expected, sizeof expected, "rank %d: disk on fire", last);
        assert_string_equal(err.message, expected);
        assert_int_equal(err.code, -EIO);
        assert_int_equal(err.exit_status, MLPS_EXIT_RUN_FAILED);
    } else {
        assert_string_equal(err.message, "");
    }
}

static void usage_errors_keep_their_exit_status_and_count_the_others(void **state)
{
    (void)state;
    mlps_error err = {0};
    int rc = mlps_fail_usage(&err, -EINVAL, "bad key on rank %d", job.rank);
    assert_int_not_equal(mlps_comm_agree(&job, rc, &err), 0);
    if (job.rank == 0) {
        char expected[96];
        if (job.size == 1)
            snprintf(expected, sizeof expected, "bad key on rank 0");
        else
            snprintf(expected, sizeof expected, "bad key on rank 0 (and %d other rank%s)",
                     job.size - 1, job.size > 2 ? "s" : "");
        assert_string_equal(err.message, expected);
        assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    }
}

static void every_rank_takes_the_reported_exit_status(void **state)
{
    (void)state;
    int last = job.size - 1;
    mlps_error err = {0};
    int rc = job.rank == last ? mlps_fail_usage(&err, -EINVAL, "bad key") : 0;
    assert_int_not_equal(mlps_comm_agree(&job, rc, &err), 0);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
}

int main(int argc, char **argv)
{
    mlps_error err = {0};
    if (mlps_comm_init(&job, &argc, &argv, &err) != 0) {
        fprintf(stderr, "MPI start failed: %s\n", err.message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_succeeding_agree_on_success),
        cmocka_unit_test(one_failing_rank_fails_everyone_and_rank0_reports_it),
        cmocka_unit_test(usage_errors_keep_their_exit_status_and_count_the_others),
        cmocka_unit_test(every_rank_takes_the_reported_exit_status),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mlps_comm_finalize(&job, &err);
    return failed;
}
