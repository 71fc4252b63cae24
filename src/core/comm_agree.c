/* Failure agreement across ranks; see comm_agree.h. */
#include "core/comm_agree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Rank 0: rewrites err from the gathered (code, exit status, message) records. */
static void compose_on_rank0(const mlps_comm *comm, const char *all, const size_t *lengths,
                             mlps_error *err)
{
    const char *first = NULL;
    int first_rank = -1, failures = 0;
    const char *record = all;
    for (int r = 0; r < comm->size; record += lengths[r], r++) {
        if (lengths[r] == 0)
            continue;
        failures++;
        if (!first) {
            first = record;
            first_rank = r;
        }
    }
    int code, exit_status;
    memcpy(&code, first, sizeof code);
    memcpy(&exit_status, first + sizeof code, sizeof exit_status);
    const char *message = first + sizeof code + sizeof exit_status;
    char text[MLPS_ERROR_MESSAGE_MAX];
    char others[64] = "";
    if (failures > 1)
        snprintf(others, sizeof others, " (and %d other rank%s)", failures - 1,
                 failures > 2 ? "s" : "");
    if (first_rank == 0)
        snprintf(text, sizeof text, "%.900s%s", message, others);
    else
        snprintf(text, sizeof text, "rank %d: %.900s%s", first_rank, message, others);
    err->code = code;
    err->exit_status = exit_status;
    memcpy(err->message, text, sizeof text);
}

/* Every rank takes the reported failure's exit status: the launcher ends the job with the status
 * of whichever rank exits first, so they must all say the same. */
static void share_exit_status(const mlps_comm *comm, mlps_error *err)
{
    int exit_status = err && err->exit_status ? err->exit_status : MLPS_EXIT_RUN_FAILED;
    mlps_error comm_err = {0};
    if (mlps_comm_broadcast(comm, &exit_status, sizeof exit_status, 0, &comm_err) == 0 && err)
        err->exit_status = exit_status;
}

int mlps_comm_agree(const mlps_comm *comm, int rc, mlps_error *err)
{
    uint64_t failed = rc != 0;
    mlps_error comm_err = {0};
    if (mlps_comm_max_u64(comm, &failed, 1, &comm_err))
        return mlps_fail(err, comm_err.code, "%s", comm_err.message);
    if (!failed)
        return 0;
    /* Each failing rank contributes code, exit status and message; the others nothing. */
    char record[sizeof(int) * 2 + MLPS_ERROR_MESSAGE_MAX];
    size_t length = 0;
    if (rc) {
        int exit_status = err && err->exit_status ? err->exit_status : MLPS_EXIT_RUN_FAILED;
        const char *message = err ? err->message : "failed";
        memcpy(record, &rc, sizeof rc);
        memcpy(record + sizeof rc, &exit_status, sizeof exit_status);
        size_t message_len = strlen(message) + 1;
        memcpy(record + 2 * sizeof(int), message, message_len);
        length = 2 * sizeof(int) + message_len;
    }
    void *all = NULL;
    size_t *lengths = NULL;
    int gather_rc = mlps_comm_gather_bytes(comm, record, length, &all, &lengths, &comm_err);
    if (gather_rc)
        return mlps_fail(err, gather_rc, "%s", comm_err.message);
    if (comm->rank == 0 && err)
        compose_on_rank0(comm, all, lengths, err);
    else if (err)
        mlps_fail(err, rc ? rc : -ECANCELED, "%s", ""); /* rank 0 reports it */
    free(all);
    free(lengths);
    share_exit_status(comm, err);
    return comm->rank == 0 && err ? err->code : (rc ? rc : -ECANCELED);
}
