/* The process group over MPI_COMM_WORLD; see comm.h. MPI takes int counts, so every transfer
 * goes through functions that cut it into pieces of at most comm->max_count_per_call elements. */
#include "core/comm.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "core/log.h"

/* Messages of the large-gather path; point-to-point traffic is otherwise unused, so one tag
 * cannot collide with anything. */
enum { GATHER_TAG = 0x6d6c };

/* A length on the wire meaning "no string" (broadcast_string) or "root could not allocate"
 * (gather_bytes). */
#define NO_LENGTH UINT64_MAX

/* Variables set by the launchers we know: OpenMPI's mpirun, PMI-1/PMI-2 (MPICH hydra, Intel
 * MPI, srun --mpi=pmi2), PMIx (srun --mpi=pmix, OpenMPI 5), MVAPICH, and our own re-launch.
 * Slurm's SLURM_PROCID is deliberately absent: a batch script has it too, and there mlps
 * must still launch its ranks itself. */
static const char *const launcher_variables[] = {
    "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMI_RANK",          "PMI_SIZE",
    "PMIX_RANK",            "MV2_COMM_WORLD_SIZE",  "MPI_LOCALNRANKS",   "MLPS_LAUNCHED",
};

bool mlps_comm_under_launcher(void)
{
    for (size_t i = 0; i < sizeof launcher_variables / sizeof launcher_variables[0]; i++) {
        const char *value = getenv(launcher_variables[i]);
        if (value && value[0] != '\0')
            return true;
    }
    return false;
}

void mlps_comm_init_solo(mlps_comm *comm)
{
    *comm = (mlps_comm){
        .rank = 0,
        .size = 1,
        .local_rank = 0,
        .local_size = 1,
        .node_count = 1,
        .initialized = false,
        .max_count_per_call = INT_MAX,
    };
}

static int mpi_failure(mlps_error *err, int rc, const char *what)
{
    char reason[MPI_MAX_ERROR_STRING];
    int reason_len = 0;
    if (MPI_Error_string(rc, reason, &reason_len) != MPI_SUCCESS)
        snprintf(reason, sizeof reason, "MPI error code %d", rc);
    return mlps_fail(err, -EIO, "MPI %s failed: %s", what, reason);
}

static int piece_limit(const mlps_comm *comm)
{
    size_t limit = comm->max_count_per_call;
    if (limit == 0 || limit > INT_MAX)
        limit = INT_MAX;
    return (int)limit;
}

static int check_root(const mlps_comm *comm, int root, const char *what, mlps_error *err)
{
    if (root < 0 || root >= comm->size)
        return mlps_fail(err, -EINVAL, "%s: root rank %d is outside the job's ranks 0..%d", what,
                         root, comm->size - 1);
    return 0;
}

/* Learns how the ranks sit on nodes: one shared-memory communicator per node gives the local
 * rank and size, and counting the ranks that are first on their node gives the node count. */
static int discover_nodes(mlps_comm *comm, mlps_error *err)
{
    MPI_Comm node;
    int rc = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, comm->rank, MPI_INFO_NULL,
                                 &node);
    if (rc != MPI_SUCCESS)
        return mpi_failure(err, rc, "node discovery (MPI_Comm_split_type)");
    MPI_Comm_rank(node, &comm->local_rank);
    MPI_Comm_size(node, &comm->local_size);
    MPI_Comm_free(&node);

    uint64_t leaders = comm->local_rank == 0 ? 1 : 0;
    int status = mlps_comm_sum_u64(comm, &leaders, 1, err);
    if (status < 0)
        return status;
    comm->node_count = (int)leaders;
    return 0;
}

int mlps_comm_init(mlps_comm *comm, int *argc, char ***argv, mlps_error *err)
{
    mlps_comm_init_solo(comm);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized)
        return mlps_fail(err, -EINVAL,
                         "MPI was already finalized in this process and cannot start again");

    int started = 0;
    MPI_Initialized(&started);
    if (!started) {
        int provided = MPI_THREAD_SINGLE;
        int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS)
            return mpi_failure(err, rc, "start (MPI_Init_thread)");
        if (provided < MPI_THREAD_FUNNELED)
            mlps_verbose("MPI offers thread level %d only; only the main thread calls MPI",
                         provided);
    }
    int rc = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (rc != MPI_SUCCESS)
        return mpi_failure(err, rc, "error handler setup (MPI_Comm_set_errhandler)");
    MPI_Comm_rank(MPI_COMM_WORLD, &comm->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &comm->size);
    comm->initialized = true;
    return discover_nodes(comm, err);
}

int mlps_comm_finalize(mlps_comm *comm, mlps_error *err)
{
    if (!comm->initialized)
        return 0;
    mlps_comm_init_solo(comm);
    int rc = MPI_Finalize();
    if (rc != MPI_SUCCESS)
        return mpi_failure(err, rc, "shutdown (MPI_Finalize)");
    return 0;
}

_Noreturn void mlps_comm_abort(const mlps_comm *comm, int exit_status)
{
    if (comm->initialized)
        MPI_Abort(MPI_COMM_WORLD, exit_status);
    exit(exit_status);
}

int mlps_comm_barrier(const mlps_comm *comm, mlps_error *err)
{
    if (!comm->initialized)
        return 0;
    int rc = MPI_Barrier(MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_failure(err, rc, "barrier (MPI_Barrier)");
}

static int allreduce_in_place(const mlps_comm *comm, void *values, size_t n, size_t element_size,
                              MPI_Datatype type, MPI_Op op, const char *what, mlps_error *err)
{
    if (!comm->initialized)
        return 0;
    size_t limit = (size_t)piece_limit(comm);
    char *bytes = values;
    for (size_t done = 0; done < n;) {
        size_t piece = n - done < limit ? n - done : limit;
        int rc = MPI_Allreduce(MPI_IN_PLACE, bytes + done * element_size, (int)piece, type, op,
                               MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_failure(err, rc, what);
        done += piece;
    }
    return 0;
}

int mlps_comm_sum_u64(const mlps_comm *comm, uint64_t *values, size_t n, mlps_error *err)
{
    return allreduce_in_place(comm, values, n, sizeof *values, MPI_UINT64_T, MPI_SUM,
                              "sum of uint64 values (MPI_Allreduce)", err);
}

int mlps_comm_min_u64(const mlps_comm *comm, uint64_t *values, size_t n, mlps_error *err)
{
    return allreduce_in_place(comm, values, n, sizeof *values, MPI_UINT64_T, MPI_MIN,
                              "minimum of uint64 values (MPI_Allreduce)", err);
}

int mlps_comm_max_u64(const mlps_comm *comm, uint64_t *values, size_t n, mlps_error *err)
{
    return allreduce_in_place(comm, values, n, sizeof *values, MPI_UINT64_T, MPI_MAX,
                              "maximum of uint64 values (MPI_Allreduce)", err);
}

int mlps_comm_sum_double(const mlps_comm *comm, double *values, size_t n, mlps_error *err)
{
    return allreduce_in_place(comm, values, n, sizeof *values, MPI_DOUBLE, MPI_SUM,
                              "sum of double values (MPI_Allreduce)", err);
}

int mlps_comm_min_double(const mlps_comm *comm, double *values, size_t n, mlps_error *err)
{
    return allreduce_in_place(comm, values, n, sizeof *values, MPI_DOUBLE, MPI_MIN,
                              "minimum of double values (MPI_Allreduce)", err);
}

int mlps_comm_max_double(const mlps_comm *comm, double *values, size_t n, mlps_error *err)
{
    return allreduce_in_place(comm, values, n, sizeof *values, MPI_DOUBLE, MPI_MAX,
                              "maximum of double values (MPI_Allreduce)", err);
}

int mlps_comm_broadcast(const mlps_comm *comm, void *buf, size_t len, int root, mlps_error *err)
{
    int status = check_root(comm, root, "broadcast", err);
    if (status < 0 || !comm->initialized)
        return status;
    size_t limit = (size_t)piece_limit(comm);
    char *bytes = buf;
    for (size_t done = 0; done < len;) {
        size_t piece = len - done < limit ? len - done : limit;
        int rc = MPI_Bcast(bytes + done, (int)piece, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_failure(err, rc, "broadcast (MPI_Bcast)");
        done += piece;
    }
    return 0;
}

int mlps_comm_broadcast_string(const mlps_comm *comm, char **text, int root, mlps_error *err)
{
    int status = check_root(comm, root, "string broadcast", err);
    if (status < 0 || !comm->initialized)
        return status;
    bool is_root = comm->rank == root;
    uint64_t length = NO_LENGTH;
    if (is_root && *text)
        length = strlen(*text);
    status = mlps_comm_broadcast(comm, &length, sizeof length, root, err);
    if (status < 0 || length == NO_LENGTH) {
        if (!is_root)
            *text = NULL;
        return status;
    }
    if (is_root)
        return mlps_comm_broadcast(comm, *text, length, root, err);
    char *copy = malloc(length + 1);
    if (!copy) {
        /* The root is already sending; leaving would stall the job, so end it. */
        mlps_error_log("out of memory receiving a broadcast string of %llu bytes",
                       (unsigned long long)length);
        mlps_comm_abort(comm, MLPS_EXIT_RUN_FAILED);
    }
    status = mlps_comm_broadcast(comm, copy, length, root, err);
    if (status < 0) {
        free(copy);
        return status;
    }
    copy[length] = '\0';
    *text = copy;
    return 0;
}

/* Rank 0 learns every rank's length, allocates the result and tells everyone the total, or
 * NO_LENGTH when it could not allocate, so that all ranks then take the same path. */
static int agree_on_gather_layout(const mlps_comm *comm, size_t len, uint64_t *lengths,
                                  char **all, uint64_t *total, mlps_error *err)
{
    uint64_t mine = len;
    int rc = MPI_Gather(&mine, 1, MPI_UINT64_T, lengths, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return mpi_failure(err, rc, "gather of lengths (MPI_Gather)");
    *total = 0;
    if (comm->rank == 0) {
        for (int r = 0; r < comm->size; r++)
            *total += lengths[r];
        *all = malloc(*total > 0 ? *total : 1);
        if (!*all)
            *total = NO_LENGTH;
    }
    int status = mlps_comm_broadcast(comm, total, sizeof *total, 0, err);
    if (status < 0)
        return status;
    if (*total == NO_LENGTH)
        return mlps_fail(err, -ENOMEM, "rank 0 is out of memory for the gathered results");
    return 0;
}

static int gather_in_one_call(const mlps_comm *comm, const void *data, size_t len,
                              const uint64_t *lengths, char *all, mlps_error *err)
{
    int *counts = NULL;
    int *offsets = NULL;
    if (comm->rank == 0) {
        counts = calloc((size_t)comm->size, sizeof *counts);
        offsets = calloc((size_t)comm->size, sizeof *offsets);
        if (!counts || !offsets) {
            /* Small next to the result buffer that was just allocated; not worth a
             * coordinated recovery. */
            mlps_error_log("out of memory arranging a gather across %d ranks", comm->size);
            mlps_comm_abort(comm, MLPS_EXIT_RUN_FAILED);
        }
        int offset = 0;
        for (int r = 0; r < comm->size; r++) {
            counts[r] = (int)lengths[r];
            offsets[r] = offset;
            offset += counts[r];
        }
    }
    int rc = MPI_Gatherv(data, (int)len, MPI_BYTE, all, counts, offsets, MPI_BYTE, 0,
                         MPI_COMM_WORLD);
    free(counts);
    free(offsets);
    return rc == MPI_SUCCESS ? 0 : mpi_failure(err, rc, "gather of results (MPI_Gatherv)");
}

/* For totals beyond one MPI call: each rank sends its bytes to rank 0 in pieces, and rank 0
 * receives them rank by rank straight into place. */
static int gather_in_pieces(const mlps_comm *comm, const void *data, size_t len,
                            const uint64_t *lengths, char *all, mlps_error *err)
{
    size_t limit = (size_t)piece_limit(comm);
    if (comm->rank != 0) {
        const char *bytes = data;
        for (size_t done = 0; done < len;) {
            size_t piece = len - done < limit ? len - done : limit;
            int rc = MPI_Send(bytes + done, (int)piece, MPI_BYTE, 0, GATHER_TAG, MPI_COMM_WORLD);
            if (rc != MPI_SUCCESS)
                return mpi_failure(err, rc, "send of results to rank 0 (MPI_Send)");
            done += piece;
        }
        return 0;
    }
    size_t offset = 0;
    for (int r = 0; r < comm->size; r++) {
        if (r == 0) {
            if (len > 0)
                memcpy(all, data, len);
        } else {
            for (size_t done = 0; done < lengths[r];) {
                size_t piece = lengths[r] - done < limit ? lengths[r] - done : limit;
                int rc = MPI_Recv(all + offset + done, (int)piece, MPI_BYTE, r, GATHER_TAG,
                                  MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (rc != MPI_SUCCESS)
                    return mpi_failure(err, rc, "receive of results on rank 0 (MPI_Recv)");
                done += piece;
            }
        }
        offset += lengths[r];
    }
    return 0;
}

static int gather_solo(const void *data, size_t len, void **out_all, size_t **out_lengths,
                       mlps_error *err)
{
    char *all = malloc(len > 0 ? len : 1);
    size_t *lengths = malloc(sizeof *lengths);
    if (!all || !lengths) {
        free(all);
        free(lengths);
        return mlps_fail(err, -ENOMEM, "out of memory gathering %zu bytes of results", len);
    }
    if (len > 0)
        memcpy(all, data, len);
    lengths[0] = len;
    *out_all = all;
    *out_lengths = lengths;
    return 0;
}

int mlps_comm_gather_bytes(const mlps_comm *comm, const void *data, size_t len, void **out_all,
                           size_t **out_lengths, mlps_error *err)
{
    *out_all = NULL;
    *out_lengths = NULL;
    if (!comm->initialized)
        return gather_solo(data, len, out_all, out_lengths, err);

    uint64_t *lengths = NULL;
    if (comm->rank == 0) {
        lengths = calloc((size_t)comm->size, sizeof *lengths);
        if (!lengths) {
            mlps_error_log("out of memory arranging a gather across %d ranks", comm->size);
            mlps_comm_abort(comm, MLPS_EXIT_RUN_FAILED);
        }
    }
    char *all = NULL;
    uint64_t total = 0;
    int status = agree_on_gather_layout(comm, len, lengths, &all, &total, err);
    if (status == 0) {
        if (total <= (uint64_t)piece_limit(comm))
            status = gather_in_one_call(comm, data, len, lengths, all, err);
        else
            status = gather_in_pieces(comm, data, len, lengths, all, err);
    }
    size_t *sizes = NULL;
    if (status == 0 && comm->rank == 0) {
        sizes = malloc((size_t)comm->size * sizeof *sizes);
        if (!sizes)
            status = mlps_fail(err, -ENOMEM, "out of memory listing %d gathered lengths",
                               comm->size);
        for (int r = 0; sizes && r < comm->size; r++)
            sizes[r] = (size_t)lengths[r];
    }
    free(lengths);
    if (status < 0) {
        free(all);
        return status;
    }
    *out_all = all;
    *out_lengths = sizes;
    return 0;
}

/* Rank 0's side of gather_json: one value per rank, parsed back from its compact text. A rank
 * that sent nothing (it could not encode its value) shows as null. */
static int parse_gathered_json(const mlps_comm *comm, const char *all, const size_t *lengths,
                               json_t **out, mlps_error *err)
{
    json_t *array = json_array();
    if (!array)
        return mlps_fail(err, -ENOMEM, "out of memory building the gathered JSON array");
    size_t offset = 0;
    for (int r = 0; r < comm->size; r++) {
        json_t *value = json_null();
        if (lengths[r] > 0) {
            json_error_t parse_error;
            value = json_loadb(all + offset, lengths[r], JSON_DECODE_ANY, &parse_error);
            if (!value) {
                json_decref(array);
                return mlps_fail(err, -EPROTO, "JSON gathered from rank %d does not parse: %s",
                                 r, parse_error.text);
            }
        }
        json_array_append_new(array, value);
        offset += lengths[r];
    }
    *out = array;
    return 0;
}

int mlps_comm_gather_json(const mlps_comm *comm, const json_t *fragment, json_t **out,
                          mlps_error *err)
{
    *out = NULL;
    int local_status = 0;
    char *text = json_dumps(fragment ? fragment : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        local_status = mlps_fail(err, -ENOMEM, "cannot encode rank %d's JSON for gathering",
                                 comm->rank);
    void *all = NULL;
    size_t *lengths = NULL;
    int status = mlps_comm_gather_bytes(comm, text, text ? strlen(text) : 0, &all, &lengths, err);
    free(text);
    if (status == 0 && comm->rank == 0)
        status = parse_gathered_json(comm, all, lengths, out, err);
    free(all);
    free(lengths);
    return status < 0 ? status : local_status;
}
