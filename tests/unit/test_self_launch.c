/* End-to-end test of the self re-launch: started plainly, this program re-runs itself through
 * mlps_launch_self on two processes with mpirun on this machine; each re-launched rank checks
 * that it is under a launcher, marked as launched, got the original arguments and sees a job of
 * two, then reports through its exit status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/comm.h"
#include "mpi_sanitizer.h"
#include "core/launch.h"

#define CHILD_FLAG "--launched-rank-check"
#define SPACED_ARGUMENT "two words"
#define FAILING_STATUS 3
enum { HANG_SECONDS = 100 };

static char *own_path;

/* The launched side: returns the exit status (0 when everything matched). */
static int run_as_launched_rank(int argc, char **argv)
{
    bool args_ok = argc == 4 && strcmp(argv[1], CHILD_FLAG) == 0 &&
                   strcmp(argv[2], SPACED_ARGUMENT) == 0;
    const char *marker = getenv("MLPS_LAUNCHED");
    bool marked = marker && strcmp(marker, "1") == 0;
    bool should_fail = argc == 4 && strcmp(argv[3], "fail") == 0;

    mlps_comm comm;
    mlps_error err = {0};
    if (mlps_comm_init(&comm, &argc, &argv, &err) != 0) {
        fprintf(stderr, "launched rank: %s\n", err.message);
        return 1;
    }
    uint64_t ranks = (uint64_t)comm.rank + 1;
    int sum_status = mlps_comm_sum_u64(&comm, &ranks, 1, &err);
    int rank = comm.rank;
    bool job_ok = comm.size == 2 && sum_status == 0 && ranks == 3;
    mlps_comm_finalize(&comm, &err);
    if (!args_ok || !marked || !job_ok) {
        fprintf(stderr, "launched rank %d: args %d, marker %d, job %d\n", rank, args_ok, marked,
                job_ok);
        return 1;
    }
    return should_fail && rank == 1 ? FAILING_STATUS : 0;
}

static int launch_two_ranks(const char *last_argument, mlps_error *err)
{
    mlps_launch_spec spec = {.nprocs = 2, .oversubscribe = true, .allow_run_as_root = true};
    assert_int_equal(mlps_hosts_parse(&spec.hosts, NULL, 0, err), 0);
    char *argv[] = {own_path, CHILD_FLAG, SPACED_ARGUMENT, (char *)last_argument, NULL};
    assert_true(mlps_launch_self_needed(&spec));
    int status = mlps_launch_self(&spec, 4, argv, false, err);
    mlps_hosts_free(&spec.hosts);
    return status;
}

static void test_self_launch_runs_two_ranks(void **state)
{
    (void)state;
    mlps_error err = {0};
    int status = launch_two_ranks("pass", &err);
    if (status != 0)
        fail_msg("self-launch ended with %d: %s", status, err.message);
}

static void test_self_launch_returns_a_rank_failure(void **state)
{
    (void)state;
    mlps_error err = {0};
    int status = launch_two_ranks("fail", &err);
    assert_int_equal(status, FAILING_STATUS);
    assert_int_equal(err.exit_status, FAILING_STATUS);
    assert_non_null(strstr(err.message, "exited with status 3"));
}

int main(int argc, char **argv)
{
    if (mlps_comm_under_launcher())
        return run_as_launched_rank(argc, argv);
    alarm(HANG_SECONDS);
    own_path = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_launch_runs_two_ranks),
        cmocka_unit_test(test_self_launch_returns_a_rank_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
