/* What the `mlps training` commands share: their flags (spelled as in mlpstorage: -m, -g, -cm,
 * -nc, -dd ...) and loading the workload a command names, with --data-dir and -p applied. */
#ifndef MLPS_CLI_TRAINING_COMMON_H
#define MLPS_CLI_TRAINING_COMMON_H

#include "cli/cli.h"
#include "core/session.h"
#include "training/workload.h"

extern const mlps_arg_table mlps_training_model_flag;       /* -m (required) */
extern const mlps_arg_table mlps_training_accelerator_flag; /* -g (required) */
extern const mlps_arg_table mlps_training_memory_flags;     /* -cm (required), -nc */
extern const mlps_arg_table mlps_training_data_dir_flag;    /* -dd */

/* Loads the workload of -m/-g (accelerator NULL: the datagen config) with -dd and -p applied:
 * --data-dir D sets dataset.data_folder to D/<model> (D itself when it already ends in a model
 * name), after the -p overrides as mlpstorage does. */
int mlps_training_load_workload(const mlps_args *args, const char *accelerator,
                                mlps_workload *out, mlps_error *err);

/* The number of client hosts: -nc when given, else the number of distinct --hosts. */
int mlps_training_client_hosts(const mlps_args *args, uint64_t *out, mlps_error *err);

/* Starts a session in <rd>/training/<model>/<command>/<datetime>/. */
int mlps_training_begin_session(const mlps_invocation *inv, const char *command,
                                mlps_session *session, mlps_error *err);
/* Ends it, writing the metadata with the workload's parameters and overrides; run_rc and
 * run_err are the run's outcome (the stderr log records a failure). */
int mlps_training_end_session(const mlps_invocation *inv, mlps_session *session,
                              const mlps_workload *workload, int num_processes,
                              const char *accelerator, int run_rc, const mlps_error *run_err);

#endif
