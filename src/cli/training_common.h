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

/* Starts a session in <rd>/training/<model>/<command>/<datetime>/. */
int mlps_training_begin_session(const mlps_invocation *inv, const char *command,
                                mlps_session *session, mlps_error *err);
#endif
