/* The process group a run spans: a thin layer over MPI_COMM_WORLD that gives every module its
 * rank, the job size and node layout, and the few collectives the benchmarks need (reductions
 * of counter arrays, broadcasts, gathers of per-rank results to rank 0). MPI failures come back
 * as mlps_error messages instead of aborting the job.
 *
 * A comm made by mlps_comm_init_solo() stands for a single process without MPI: every
 * collective then works locally, so code and tests that need no MPI can still call them. */
#ifndef MLPS_CORE_COMM_H
#define MLPS_CORE_COMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"

typedef struct mlps_comm {
    int rank;
    int size;
    int local_rank; /* rank among the processes on this node */
    int local_size; /* processes on this node */
    int node_count; /* distinct nodes in the job */
    bool initialized; /* MPI is running and collectives go through it */
    /* Largest element count handed to one MPI call (MPI counts are int); longer arrays and
     * buffers travel in pieces of this size. Defaults to INT_MAX; tests lower it to exercise
     * the piecewise paths with small data. */
    size_t max_count_per_call;
} mlps_comm;

/* True when this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx)
 * or by mlps's own re-launch, so it must not launch itself again. Reads only the environment,
 * so it can be asked before MPI starts. */
bool mlps_comm_under_launcher(void);

/* A single process, rank 0 of 1, on one node, without MPI. */
void mlps_comm_init_solo(mlps_comm *comm);

/* Starts MPI (MPI_THREAD_FUNNELED: only the main thread calls MPI) and learns rank, size and
 * node layout. Works without a launcher too (singleton start, size 1). MPI can start only once
 * per process: calling this after mlps_comm_finalize fails. */
int mlps_comm_init(mlps_comm *comm, int *argc, char ***argv, mlps_error *err);

/* Stops MPI; collective. The comm reverts to a solo comm. */
int mlps_comm_finalize(mlps_comm *comm, mlps_error *err);

/* Ends the whole job at once (MPI_Abort), for a rank that cannot go on while the others may be
 * waiting in a collective. Without MPI, exits the process. */
_Noreturn void mlps_comm_abort(const mlps_comm *comm, int exit_status);

int mlps_comm_barrier(const mlps_comm *comm, mlps_error *err);

/* Element-wise reductions across all ranks, in place: on return every rank holds the result.
 * Every rank passes the same n. */
int mlps_comm_sum_u64(const mlps_comm *comm, uint64_t *values, size_t n, mlps_error *err);
int mlps_comm_min_u64(const mlps_comm *comm, uint64_t *values, size_t n, mlps_error *err);
int mlps_comm_max_u64(const mlps_comm *comm, uint64_t *values, size_t n, mlps_error *err);
int mlps_comm_sum_double(const mlps_comm *comm, double *values, size_t n, mlps_error *err);
int mlps_comm_min_double(const mlps_comm *comm, double *values, size_t n, mlps_error *err);
int mlps_comm_max_double(const mlps_comm *comm, double *values, size_t n, mlps_error *err);

/* Copies root's len bytes of buf to every rank's buf. Every rank passes the same len. */
int mlps_comm_broadcast(const mlps_comm *comm, void *buf, size_t len, int root, mlps_error *err);

/* Root's *text (which may be NULL) reaches every rank: on the other ranks *text is set to a
 * new malloc'd copy (or NULL) that the caller frees; whatever it held before is not freed. */
int mlps_comm_broadcast_string(const mlps_comm *comm, char **text, int root, mlps_error *err);

/* Every rank contributes len bytes (lengths may differ). On rank 0, *out_all receives all
 * contributions concatenated in rank order and *out_lengths the length of each (size entries);
 * both malloc'd, caller frees. On the other ranks both are set to NULL. */
int mlps_comm_gather_bytes(const mlps_comm *comm, const void *data, size_t len, void **out_all,
                           size_t **out_lengths, mlps_error *err);

/* Every rank contributes one JSON value (NULL counts as JSON null). On rank 0, *out receives a
 * new array whose element i is rank i's value; on the other ranks *out is set to NULL. */
int mlps_comm_gather_json(const mlps_comm *comm, const json_t *fragment, json_t **out,
                          mlps_error *err);

#endif
