/* A run's results directory, logs and metadata across ranks; see session.h. */
#include "core/session.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/launch.h"
#include "core/log.h"
#include "core/sysinfo.h"

/* Rank 0's part of begin: the directory and the logs. */
static int create_run_directory(mlps_session *session, const mlps_session_spec *spec,
                                mlps_error *err)
{
    char root_buf[PATH_MAX];
    const char *root = spec->results_root;
    if (!root && !(root = mlps_default_results_root(root_buf, sizeof root_buf, NULL)))
        return mlps_fail_usage(err, -ENAMETOOLONG, "the default results directory path is too long");
    char datetime[MLPS_RUN_DATETIME_MAX];
    mlps_results_current_datetime(datetime, sizeof datetime);
    int rc = mlps_results_create_run_dir(root, spec->type, spec->model, spec->command, datetime,
                                         &session->run, err);
    if (rc)
        return rc;
    rc = mlps_results_open_logs(&session->run, &session->stdout_log, &session->stderr_log, err);
    if (rc)
        return rc;
    mlps_log_set_copy(session->stderr_log);
    return 0;
}

/* Every rank learns rank 0's outcome: its error, or the run's place in the tree. */
static int share_outcome(mlps_session *session, int rc, mlps_error *err)
{
    const mlps_comm *comm = session->comm;
    int64_t outcome[2] = {rc, err ? err->exit_status : MLPS_EXIT_RUN_FAILED};
    int comm_rc = mlps_comm_broadcast(comm, outcome, sizeof outcome, 0, err);
    if (comm_rc)
        return comm_rc;
    if (outcome[0] == 0)
        return mlps_comm_broadcast(comm, &session->run, sizeof session->run, 0, err);
    char *message = comm->rank == 0 && err ? err->message : NULL;
    comm_rc = mlps_comm_broadcast_string(comm, &message, 0, err);
    if (comm->rank != 0) {
        if (err) {
            err->code = (int)outcome[0];
            err->exit_status = (int)outcome[1];
            snprintf(err->message, sizeof err->message, "%s", message ? message : "rank 0 failed");
        }
        free(message);
    }
    return comm_rc ? comm_rc : (int)outcome[0];
}

static void close_logs(mlps_session *session)
{
    mlps_log_set_copy(NULL);
    if (session->stdout_log)
        fclose(session->stdout_log);
    if (session->stderr_log)
        fclose(session->stderr_log);
    session->stdout_log = session->stderr_log = NULL;
}

int mlps_session_begin(mlps_session *session, const mlps_comm *comm,
                       const mlps_session_spec *spec, mlps_error *err)
{
    memset(session, 0, sizeof *session);
    session->comm = comm;
    session->executed_command = mlps_argv_render(spec->argv);
    int rc = comm->rank == 0 ? create_run_directory(session, spec, err) : 0;
    rc = share_outcome(session, rc, err);
    session->start_monotonic_ns = mlps_monotonic_ns();
    session->start_wall_ns = mlps_wall_ns();
    if (rc == 0 && comm->rank == 0)
        mlps_info("results go to %s", session->run.run_dir);
    if (rc != 0) { /* no end follows a failed begin */
        close_logs(session);
        free(session->executed_command);
        session->executed_command = NULL;
    }
    return rc;
}

void mlps_session_print(const mlps_session *session, const char *fmt, ...)
{
    if (session->comm->rank != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    if (session->stdout_log) {
        va_start(ap, fmt);
        vfprintf(session->stdout_log, fmt, ap);
        va_end(ap);
        fflush(session->stdout_log);
    }
}

/* Collective: every rank's host entry, merged into one record per host on rank 0. */
static json_t *gather_system_info(const mlps_session *session, mlps_error *err)
{
    mlps_error host_err = {0};
    json_t *host = mlps_sysinfo_host_json(&host_err);
    if (!host)
        mlps_warn("host facts unavailable: %s", host_err.message);
    json_t *hosts = NULL;
    int rc = mlps_comm_gather_json(session->comm, host, &hosts, err);
    json_decref(host);
    if (rc || !hosts)
        return NULL;
    json_t *cluster = mlps_sysinfo_cluster_json(hosts, session->comm->size > 1 ? "mpi" : "local");
    json_decref(hosts);
    return cluster;
}

int mlps_session_end(mlps_session *session, mlps_run_metadata *metadata,
                     const mlps_error *run_error, mlps_error *err)
{
    if (run_error && run_error->message[0] && session->stderr_log)
        fprintf(session->stderr_log, "mlps: %s\n", run_error->message);
    json_t *system_info = gather_system_info(session, err);
    int rc = 0;
    if (session->comm->rank == 0) {
        metadata->system_info = system_info;
        metadata->runtime_seconds =
            mlps_ns_to_seconds(mlps_monotonic_ns() - session->start_monotonic_ns);
        metadata->executed_command = session->executed_command;
        if (metadata->num_processes <= 0)
            metadata->num_processes = session->comm->size;
        rc = mlps_results_write_metadata(&session->run, metadata, err);
        metadata->system_info = NULL;
    }
    json_decref(system_info);
    close_logs(session);
    free(session->executed_command);
    session->executed_command = NULL;
    return rc;
}
