/* The command-line layer: the table of programs and commands, dispatch, --help and --version.
 * Only commands that work are registered, so only they appear in --help. */
#ifndef MLPS_CLI_CLI_H
#define MLPS_CLI_CLI_H

#include "cli/args.h"
#include "core/comm.h"
#include "core/config.h"
#include "core/launch.h"
#include "core/session.h"

typedef struct mlps_command mlps_command;

/* What a command's run function receives: its parsed flags and the original argv (for re-launching
 * under mpirun with the same arguments). */
typedef struct mlps_invocation {
    const mlps_command *command;
    const char *usage_name; /* "mlps storage roundtrip" */
    mlps_args args;
    int argc; /* the arguments after "mlps <program> <command>" */
    char **argv;
    int full_argc; /* the whole command line, for re-launching and the metadata */
    char **full_argv;
    mlps_comm *comm; /* the job this process belongs to (solo when the command needs no MPI) */
} mlps_invocation;

struct mlps_command {
    const char *name;
    const char *summary;     /* one line for the program's command list */
    const char *description; /* paragraph for the command's --help */
    const mlps_arg_table *tables[10]; /* NULL-terminated */
    /* Checks the command's configuration before any job starts, so that a usage error is
     * reported once, before mpirun is launched and before a results directory exists. NULL
     * when the flags need no more checking than the parser does. */
    int (*check)(const mlps_args *args, mlps_error *err);
    int (*run)(const mlps_invocation *inv, mlps_error *err); /* returns an exit status */
    /* Commands that run as an MPI job say how many processes they need; when that is more than
     * one and no launcher started mlps, mlps re-launches itself under mpirun (spec 50 §2.9). */
    int (*process_count)(const mlps_args *args, unsigned *count, mlps_error *err);
};

typedef struct mlps_program {
    const char *name;
    const char *summary;
    const mlps_command *const *commands; /* NULL-terminated */
} mlps_program;

int mlps_cli_main(int argc, char **argv);

/* Shared flag tables (common.c) that commands list in their `tables`. */
extern const mlps_arg_table mlps_shared_flags;
extern const mlps_arg_table mlps_mpi_flags;
extern const mlps_arg_table mlps_object_flags; /* --object */

/* With --object, the workload overrides it implies (storage.storage_type=s3,
 * storage.storage_root=$BUCKET from the environment or .env), each only when -p does not set
 * the key; none without --object. A missing BUCKET is a usage error. *list is NULL-terminated;
 * free with mlps_object_overrides_free. */
int mlps_object_overrides(const mlps_args *args, char ***list, size_t *count, mlps_error *err);
void mlps_object_overrides_free(char **list, size_t count);

/* Applies what every command does with the shared flags: log level from --debug/--verbose. */
void mlps_apply_logging_flags(const mlps_args *args);

/* The mpirun command a job of nprocs processes gets from the MPI flags. Free with
 * mlps_launch_spec_free. */
int mlps_launch_spec_from_args(const mlps_args *args, unsigned nprocs, mlps_launch_spec *spec,
                               mlps_error *err);
/* Adds the object-storage settings of the environment and of the .env file to spec->forward, so
 * the ranks of a re-launched job get them on every host (names on the command line; a value the
 * .env alone holds in the launcher's environment). A .env that cannot be read is warned about and
 * left out. */
int mlps_launch_spec_forward(mlps_launch_spec *spec, mlps_error *err);
void mlps_launch_spec_free(mlps_launch_spec *spec);

/* The number of client hosts: -nc when given (at least 1), else the number of distinct --hosts. */
int mlps_client_hosts_from_args(const mlps_args *args, uint64_t *out, mlps_error *err);

/* -cm (GiB per client host) in bytes; a usage error unless it is a positive number. */
int mlps_host_memory_from_args(const mlps_args *args, uint64_t *bytes, mlps_error *err);

/* Ends a benchmark's session, writing the metadata (the workload's parameters and overrides, the
 * parsed options) and, when run_rc says the run failed, err's message into its stderr log.
 * Returns run_rc when the run failed, else the result of writing the metadata (with err set). */
int mlps_end_session(const mlps_invocation *inv, mlps_session *session, const mlps_config *config,
                     int num_processes, const char *accelerator, int run_rc, mlps_error *err);

/* The results root from --results-dir (made absolute), or NULL for the default. */
const char *mlps_results_root_from_args(const mlps_args *args, char *buf, size_t size);

#endif
