/* The command-line layer: the table of programs and commands, dispatch, --help and --version.
 * Only commands that work are registered, so only they appear in --help. */
#ifndef MLPS_CLI_CLI_H
#define MLPS_CLI_CLI_H

#include "cli/args.h"

typedef struct mlps_command mlps_command;

/* What a command's run function receives: its parsed flags and the original argv (for re-launching
 * under mpirun with the same arguments). */
typedef struct mlps_invocation {
    const mlps_command *command;
    const char *usage_name; /* "mlps storage roundtrip" */
    mlps_args args;
    int argc;
    char **argv;
} mlps_invocation;

struct mlps_command {
    const char *name;
    const char *summary;     /* one line for the program's command list */
    const char *description; /* paragraph for the command's --help */
    const mlps_arg_table *tables[6]; /* NULL-terminated */
    int (*run)(const mlps_invocation *inv, mlps_error *err); /* returns an exit status */
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

/* Applies what every command does with the shared flags: log level from --debug/--verbose. */
void mlps_apply_logging_flags(const mlps_args *args);

#endif
