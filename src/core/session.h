/* One run's life on every rank of a job, shared by all benchmarks: rank 0 resolves the results
 * root, creates the run directory and its logs and tells the other ranks where it is; at the end
 * the ranks' host facts are gathered and rank 0 writes the metadata file, whether the run
 * succeeded or not. Everything a benchmark prints as its result goes through
 * mlps_session_print, which also copies it into the run's stdout log. */
#ifndef MLPS_CORE_SESSION_H
#define MLPS_CORE_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/comm.h"
#include "core/results.h"

typedef struct mlps_session_spec {
    mlps_benchmark_type type;
    const char *model;        /* NULL for types without a model level */
    const char *command;
    const char *results_root; /* --results-dir; NULL: $MLPERF_RESULTS_DIR or a temp dir */
    int argc;                 /* the whole command line, recorded as executed_command */
    char *const *argv;
} mlps_session_spec;

typedef struct mlps_session {
    const mlps_comm *comm;
    mlps_run_info run; /* the same on every rank */
    FILE *stdout_log;  /* rank 0 only */
    FILE *stderr_log;  /* rank 0 only: every log line is copied here */
    uint64_t start_monotonic_ns;
    uint64_t start_wall_ns;
    char *executed_command;
} mlps_session;

/* Collective. On failure (the directory cannot be made, ...) every rank returns the same error
 * and the session holds nothing: mlps_session_end is not called. */
int mlps_session_begin(mlps_session *session, const mlps_comm *comm,
                       const mlps_session_spec *spec, mlps_error *err);

/* Rank 0 prints to stdout and the run's stdout log; other ranks print nothing. */
void mlps_session_print(const mlps_session *session, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Collective. Gathers every rank's host facts into system_info (one entry per host) and, on
 * rank 0, writes the metadata file from *metadata (runtime, executed command and system info
 * are filled in here), then closes the logs. Call it on failure too, with the run's error as
 * run_error (NULL when the run succeeded): the metadata is always written, and the error goes
 * into the run's stderr log as the line the console shows, so the log tells why the run
 * failed. */
int mlps_session_end(mlps_session *session, mlps_run_metadata *metadata,
                     const mlps_error *run_error, mlps_error *err);

#endif
