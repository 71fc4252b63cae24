/* Tests for core/comm. The same binary runs as a plain unit test (one process, MPI started
 * without a launcher) and under `mpirun -n 2` / `-n 3`, so every expected value is computed
 * from the job size: rank r contributes values derived from r+1.
 *
 * Every test makes all of its collective calls first and asserts afterwards, so a failed
 * assertion on one rank cannot leave the others waiting in a collective it skipped; an alarm
 * ends a rank that hangs anyway. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mpi.h>

#include "core/comm.h"
#include "mpi_sanitizer.h"

/* More elements than a histogram has buckets, so sizes like the real ones are covered. */
enum { ARRAY_LENGTH = 8200, HANG_SECONDS = 50 };

typedef struct job {
    int *argc;
    char ***argv;
    mlps_comm comm;
} job;

static job the_job;

static int start_mpi(void **state)
{
    mlps_error err = {0};
    if (mlps_comm_init(&the_job.comm, the_job.argc, the_job.argv, &err) != 0) {
        fprintf(stderr, "MPI start failed: %s\n", err.message);
        return -1;
    }
    *state = &the_job.comm;
    return 0;
}

static int stop_mpi(void **state)
{
    mlps_error err = {0};
    if (mlps_comm_finalize(*state, &err) != 0) {
        fprintf(stderr, "MPI stop failed: %s\n", err.message);
        return -1;
    }
    return 0;
}

/* The size the launcher announced, or 1 when none started us. */
static int expected_size(void)
{
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    return size ? atoi(size) : 1;
}

static uint64_t triangle(int size) { return (uint64_t)size * (uint64_t)(size + 1) / 2; }

static void test_layout_matches_the_launch(void **state)
{
    const mlps_comm *comm = *state;
    assert_true(comm->initialized);
    assert_int_equal(comm->size, expected_size());
    assert_in_range(comm->rank, 0, comm->size - 1);
    /* The tests run on one machine: one node holds every rank. */
    assert_int_equal(comm->node_count, 1);
    assert_int_equal(comm->local_size, comm->size);
    assert_int_equal(comm->local_rank, comm->rank);
}

/* MPI failures must come back as errors, never end the job by themselves. */
static void test_mpi_errors_return_instead_of_aborting(void **state)
{
    (void)state;
    MPI_Errhandler handler;
    assert_int_equal(MPI_Comm_get_errhandler(MPI_COMM_WORLD, &handler), MPI_SUCCESS);
    bool returns = handler == MPI_ERRORS_RETURN;
    MPI_Errhandler_free(&handler);
    assert_true(returns);
}

static void test_init_again_joins_the_running_job(void **state)
{
    const mlps_comm *comm = *state;
    mlps_comm again;
    mlps_error err = {0};
    int status = mlps_comm_init(&again, NULL, NULL, &err);
    assert_int_equal(status, 0);
    assert_int_equal(again.rank, comm->rank);
    assert_int_equal(again.size, comm->size);
    assert_int_equal(again.node_count, comm->node_count);
}

static void test_barrier(void **state)
{
    mlps_error err = {0};
    assert_int_equal(mlps_comm_barrier(*state, &err), 0);
}

static void fill_u64(uint64_t *values, int rank)
{
    for (size_t i = 0; i < ARRAY_LENGTH; i++)
        values[i] = ((uint64_t)1 << 40) * (uint64_t)(rank + 1) + i;
}

/* Sum, min and max of rank-dependent u64 arrays, with the given count per MPI call. */
static void check_u64_reductions(const mlps_comm *shared, size_t max_count_per_call)
{
    mlps_comm comm = *shared;
    comm.max_count_per_call = max_count_per_call;
    uint64_t *sum = malloc(ARRAY_LENGTH * sizeof *sum);
    uint64_t *min = malloc(ARRAY_LENGTH * sizeof *min);
    uint64_t *max = malloc(ARRAY_LENGTH * sizeof *max);
    fill_u64(sum, comm.rank);
    fill_u64(min, comm.rank);
    fill_u64(max, comm.rank);
    mlps_error err = {0};
    int sum_status = mlps_comm_sum_u64(&comm, sum, ARRAY_LENGTH, &err);
    int min_status = mlps_comm_min_u64(&comm, min, ARRAY_LENGTH, &err);
    int max_status = mlps_comm_max_u64(&comm, max, ARRAY_LENGTH, &err);

    assert_int_equal(sum_status, 0);
    assert_int_equal(min_status, 0);
    assert_int_equal(max_status, 0);
    uint64_t size = (uint64_t)comm.size;
    for (size_t i = 0; i < ARRAY_LENGTH; i++) {
        assert_int_equal(sum[i], ((uint64_t)1 << 40) * triangle(comm.size) + size * i);
        assert_int_equal(min[i], ((uint64_t)1 << 40) + i);
        assert_int_equal(max[i], ((uint64_t)1 << 40) * size + i);
    }
    free(sum);
    free(min);
    free(max);
}

static void test_u64_reductions(void **state) { check_u64_reductions(*state, INT_MAX); }

static void test_u64_reductions_in_pieces(void **state) { check_u64_reductions(*state, 3); }

static void assert_double_exact(double actual, double expected)
{
    if (actual != expected)
        fail_msg("got %.17g, expected %.17g", actual, expected);
}

static void test_double_reductions(void **state)
{
    mlps_comm comm = *(const mlps_comm *)*state;
    comm.max_count_per_call = 2;
    /* Halves and quarters add up exactly, so equality is the right check. */
    double sum[5], min[5], max[5];
    for (int i = 0; i < 5; i++)
        sum[i] = min[i] = max[i] = (comm.rank + 1) * 0.5 + i * 0.25;
    mlps_error err = {0};
    int sum_status = mlps_comm_sum_double(&comm, sum, 5, &err);
    int min_status = mlps_comm_min_double(&comm, min, 5, &err);
    int max_status = mlps_comm_max_double(&comm, max, 5, &err);

    assert_int_equal(sum_status, 0);
    assert_int_equal(min_status, 0);
    assert_int_equal(max_status, 0);
    for (int i = 0; i < 5; i++) {
        assert_double_exact(sum[i], 0.5 * (double)triangle(comm.size) + comm.size * i * 0.25);
        assert_double_exact(min[i], 0.5 + i * 0.25);
        assert_double_exact(max[i], comm.size * 0.5 + i * 0.25);
    }
}

static void test_empty_reduction(void **state)
{
    mlps_error err = {0};
    assert_int_equal(mlps_comm_sum_u64(*state, NULL, 0, &err), 0);
}

static void test_broadcast_bytes_from_any_root(void **state)
{
    mlps_comm comm = *(const mlps_comm *)*state;
    comm.max_count_per_call = 4;
    int root = comm.size - 1;
    unsigned char buf[11];
    memset(buf, comm.rank == root ? 0xA5 : 0, sizeof buf);
    mlps_error err = {0};
    int status = mlps_comm_broadcast(&comm, buf, sizeof buf, root, &err);

    assert_int_equal(status, 0);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xA5);
}

static void test_broadcast_string(void **state)
{
    mlps_comm comm = *(const mlps_comm *)*state;
    comm.max_count_per_call = 5;
    char *text = comm.rank == 0 ? "results from rank 0, with spaces" : NULL;
    char *missing = NULL;
    mlps_error err = {0};
    int status = mlps_comm_broadcast_string(&comm, &text, 0, &err);
    int missing_status = mlps_comm_broadcast_string(&comm, &missing, 0, &err);

    assert_int_equal(status, 0);
    assert_int_equal(missing_status, 0);
    assert_string_equal(text, "results from rank 0, with spaces");
    assert_null(missing);
    if (comm.rank != 0)
        free(text);
}

static void test_broadcast_rejects_a_root_outside_the_job(void **state)
{
    const mlps_comm *comm = *state;
    char byte = 0;
    mlps_error err = {0};
    assert_int_equal(mlps_comm_broadcast(comm, &byte, 1, comm->size, &err), -EINVAL);
    char expected[128];
    snprintf(expected, sizeof expected, "broadcast: root rank %d is outside the job's ranks 0..%d",
             comm->size, comm->size - 1);
    assert_string_equal(err.message, expected);
}

/* Rank r sends r+1 bytes of value r; rank 0 must see them all in rank order. */
static void check_gather_bytes(const mlps_comm *shared, size_t max_count_per_call)
{
    mlps_comm comm = *shared;
    comm.max_count_per_call = max_count_per_call;
    unsigned char mine[64];
    memset(mine, comm.rank, sizeof mine);
    void *all = (void *)1;
    size_t *lengths = (size_t *)1;
    mlps_error err = {0};
    int status = mlps_comm_gather_bytes(&comm, mine, (size_t)comm.rank + 1, &all, &lengths, &err);

    assert_int_equal(status, 0);
    if (comm.rank != 0) {
        assert_null(all);
        assert_null(lengths);
        return;
    }
    const unsigned char *bytes = all;
    for (int r = 0; r < comm.size; r++) {
        assert_int_equal(lengths[r], (size_t)r + 1);
        for (int i = 0; i <= r; i++)
            assert_int_equal(*bytes++, r);
    }
    free(all);
    free(lengths);
}

static void test_gather_bytes(void **state) { check_gather_bytes(*state, INT_MAX); }

/* One byte per call forces the piecewise path whenever more than one rank sends. */
static void test_gather_bytes_in_pieces(void **state) { check_gather_bytes(*state, 1); }

static void test_gather_json(void **state)
{
    const mlps_comm *comm = *state;
    json_t *fragment = json_pack("{s:i, s:s}", "rank", comm->rank, "note", "\"quoted\"");
    json_t *gathered = (json_t *)1;
    json_t *nulls = (json_t *)1;
    mlps_error err = {0};
    int status = mlps_comm_gather_json(comm, fragment, &gathered, &err);
    int null_status = mlps_comm_gather_json(comm, NULL, &nulls, &err);
    json_decref(fragment);

    assert_int_equal(status, 0);
    assert_int_equal(null_status, 0);
    if (comm->rank != 0) {
        assert_null(gathered);
        assert_null(nulls);
        return;
    }
    assert_true(json_is_array(gathered));
    assert_int_equal(json_array_size(gathered), (size_t)comm->size);
    for (int r = 0; r < comm->size; r++) {
        json_t *entry = json_array_get(gathered, (size_t)r);
        assert_int_equal(json_integer_value(json_object_get(entry, "rank")), r);
        assert_string_equal(json_string_value(json_object_get(entry, "note")), "\"quoted\"");
        assert_true(json_is_null(json_array_get(nulls, (size_t)r)));
    }
    json_decref(gathered);
    json_decref(nulls);
}

/* Without MPI every collective acts on this process's own data. */
static void test_solo_comm_works_locally(void **state)
{
    (void)state;
    mlps_comm solo;
    mlps_comm_init_solo(&solo);
    assert_false(solo.initialized);
    assert_int_equal(solo.size, 1);
    assert_int_equal(solo.node_count, 1);
    mlps_error err = {0};
    uint64_t values[2] = {7, 9};
    assert_int_equal(mlps_comm_sum_u64(&solo, values, 2, &err), 0);
    assert_int_equal(values[0], 7);
    assert_int_equal(values[1], 9);
    assert_int_equal(mlps_comm_barrier(&solo, &err), 0);
    void *all;
    size_t *lengths;
    assert_int_equal(mlps_comm_gather_bytes(&solo, "abc", 3, &all, &lengths, &err), 0);
    assert_int_equal(lengths[0], 3);
    assert_memory_equal(all, "abc", 3);
    free(all);
    free(lengths);
    json_t *gathered;
    json_t *fragment = json_integer(5);
    assert_int_equal(mlps_comm_gather_json(&solo, fragment, &gathered, &err), 0);
    json_decref(fragment);
    assert_int_equal(json_array_size(gathered), 1);
    assert_int_equal(json_integer_value(json_array_get(gathered, 0)), 5);
    json_decref(gathered);
    char *text = "same";
    assert_int_equal(mlps_comm_broadcast_string(&solo, &text, 0, &err), 0);
    assert_string_equal(text, "same");
    assert_int_equal(mlps_comm_broadcast(&solo, values, sizeof values, 1, &err), -EINVAL);
}

int main(int argc, char **argv)
{
    alarm(HANG_SECONDS);
    /* Under mpirun stdout is a pipe; whole lines show where a hanging rank stopped. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    the_job.argc = &argc;
    the_job.argv = &argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_matches_the_launch),
        cmocka_unit_test(test_mpi_errors_return_instead_of_aborting),
        cmocka_unit_test(test_init_again_joins_the_running_job),
        cmocka_unit_test(test_barrier),
        cmocka_unit_test(test_u64_reductions),
        cmocka_unit_test(test_u64_reductions_in_pieces),
        cmocka_unit_test(test_double_reductions),
        cmocka_unit_test(test_empty_reduction),
        cmocka_unit_test(test_broadcast_bytes_from_any_root),
        cmocka_unit_test(test_broadcast_string),
        cmocka_unit_test(test_broadcast_rejects_a_root_outside_the_job),
        cmocka_unit_test(test_gather_bytes),
        cmocka_unit_test(test_gather_bytes_in_pieces),
        cmocka_unit_test(test_gather_json),
        cmocka_unit_test(test_solo_comm_works_locally),
    };
    return cmocka_run_group_tests(tests, start_mpi, stop_mpi);
}
