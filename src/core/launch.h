/* Starting a run on many processes: parsing --hosts, building the mpirun/mpiexec command line
 * the same way the reference mlpstorage wrapper does, and re-launching this very program under
 * it when a command needs more than one process and no launcher started us.
 *
 * The prefix is `<bin> -n N -host h:s,... --bind-to none` followed by `--map-by node` for two or
 * more distinct hosts, or `--map-by socket --mca btl ^vader` for one, then `--oversubscribe`,
 * `--allow-run-as-root` and the user's --mpi-params, each in that order when asked for.
 *
 * Choices where the reference is silent or odd:
 *  - A host listed twice is one host: the entries merge at the first one's position and their
 *    slots add up (`a:2,a:2` gives `a:4`; `a,a` with 5 processes gives `a:5`).
 *  - Without explicit slots, N processes spread as N/H per host with the first N mod H hosts
 *    getting one more; hosts left with 0 slots are omitted from -host, and the map-by choice
 *    counts only the hosts that remain.
 *  - OpenMPI 4.1 refuses a command line that names the same --mca parameter twice, so when the
 *    user's --mpi-params set `--mca btl ...` themselves, the single-host `--mca btl ^vader` is
 *    left out and the user's choice applies. */
#ifndef MLPS_CORE_LAUNCH_H
#define MLPS_CORE_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define MLPS_DEFAULT_HOST "127.0.0.1"
/* Set in the environment of a re-launched job, so that it never launches itself again. */
#define MLPS_LAUNCHED_VARIABLE "MLPS_LAUNCHED"

typedef struct mlps_host {
    char *name;
    unsigned slots; /* 0 when the token carried no ":slots" */
} mlps_host;

typedef struct mlps_host_list {
    mlps_host *items;
    size_t count;
} mlps_host_list;

/* Parses the --hosts values: each token may hold several hosts separated by commas or
 * whitespace, and each host may carry ":slots". No tokens at all gives the default host list
 * (127.0.0.1); tokens that hold no host name are a usage error. */
int mlps_hosts_parse(mlps_host_list *out, char *const *tokens, size_t token_count,
                     mlps_error *err);
void mlps_hosts_free(mlps_host_list *hosts);

/* A growable NULL-terminated argument vector; every string is owned. */
typedef struct mlps_argv {
    char **items; /* NULL-terminated once anything was pushed */
    size_t count;
    size_t capacity;
} mlps_argv;

int mlps_argv_push(mlps_argv *argv, const char *arg, mlps_error *err);
void mlps_argv_free(mlps_argv *argv);
/* One line a POSIX shell reads back as the same words: words holding anything but letters,
 * digits and _@%+=:,./^- are single-quoted. Returns a malloc'd string, NULL when out of memory. */
char *mlps_argv_render(char *const *argv);

/* Splits one --mpi-params value into arguments at whitespace; '...' and "..." group words
 * (no escapes inside). An unterminated quote is a usage error. */
int mlps_launch_split_params(const char *value, mlps_argv *out, mlps_error *err);

typedef struct mlps_launch_spec {
    mlps_host_list hosts;
    unsigned nprocs;
    /* "mpirun" (default when NULL) or "mpiexec"; the program run is $MPI_RUN_BIN or
     * $MPI_EXEC_BIN respectively when set, else the name itself. */
    const char *mpi_bin;
    bool oversubscribe;
    bool allow_run_as_root;
    char *const *mpi_params; /* --mpi-params values, each possibly several arguments */
    size_t mpi_param_count;
} mlps_launch_spec;

/* The launcher program for spec->mpi_bin, honouring MPI_RUN_BIN / MPI_EXEC_BIN. */
int mlps_launch_program(const mlps_launch_spec *spec, const char **program, mlps_error *err);

/* Appends the launcher prefix (program through the --mpi-params) to out. */
int mlps_launch_build_prefix(const mlps_launch_spec *spec, mlps_argv *out, mlps_error *err);

/* Appends the prefix, then exe, then argv[1..argc-1]: the command that re-runs this program
 * with the same arguments on spec->nprocs processes. */
int mlps_launch_build_self(const mlps_launch_spec *spec, const char *exe, int argc,
                           char *const *argv, mlps_argv *out, mlps_error *err);

/* True when the command needs more than one process and no launcher started us. */
bool mlps_launch_self_needed(const mlps_launch_spec *spec);

/* Runs argv (argv[0] looked up in PATH) with MLPS_LAUNCHED=1 added to its environment and
 * waits for it. SIGINT and SIGTERM sent to this process alone are passed on to it (a terminal's
 * Ctrl-C reaches it directly through the process group). Returns its exit status (128+signal
 * when a signal ended it): 0, or non-zero with err describing the failure; 127 when the program
 * does not exist. */
int mlps_launch_run(char *const *argv, mlps_error *err);

/* Re-runs this program (/proc/self/exe) with its original arguments under the launcher prefix.
 * With what_if, prints the command line to stdout instead of running it. Returns the status the
 * program should exit with: what mlps_launch_run returns, 0 for what_if, or err->exit_status
 * (2 for a usage error in spec) with err set when the command could not be built. */
int mlps_launch_self(const mlps_launch_spec *spec, int argc, char **argv, bool what_if,
                     mlps_error *err);

#endif
