/* Starting a run on many processes: parsing --hosts, building the mpirun/mpiexec command line
 * the same way the reference mlpstorage wrapper does, and re-launching this very program under
 * it when a command needs more than one process and no launcher started us.
 *
 * The prefix is `<bin> -n N -host h:s,... --bind-to none` followed by `--map-by node` for two or
 * more distinct hosts, or `--map-by socket --mca btl ^vader` for one, then `--oversubscribe`,
 * `--allow-run-as-root`, the settings forwarded to every rank (`-x NAME` each for mpirun, OpenMPI's
 * spelling; `-genvlist A,B` for mpiexec, MPICH's) and the user's --mpi-params, each in that
 * order when asked for. Only names are forwarded, never values: a value (a secret key) never
 * appears on the command line, in --what-if output or in a process listing.
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

/* One environment variable every rank needs. */
typedef struct mlps_launch_variable {
    char *name;
    char *value; /* NULL: the launcher inherits it from this process's environment; else a .env
                    file's value, put into the launcher's environment only (never argv) */
} mlps_launch_variable;

/* Whether a variable is one of the object-storage settings a rank on another host needs:
 * AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
 * AWS_DEFAULT_REGION, AWS_CA_BUNDLE, S3_ENDPOINT_URIS, S3_ENDPOINT_TEMPLATE, S3_ENDPOINT_FILE,
 * S3_LOAD_BALANCE_STRATEGY, BUCKET and every MLPS_S3_*. */
bool mlps_launch_is_forwarded(const char *name);

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
    mlps_launch_variable *forward; /* settings every rank gets, by name; owned */
    size_t forward_count;
} mlps_launch_spec;

/* Fills spec->forward: every forwarded setting (mlps_launch_is_forwarded) set non-empty in the
 * environment, then every one a .env file sets (file_names[i] = file_values[i], later entries
 * winning) that the environment does not, with its value. */
int mlps_launch_forward_settings(mlps_launch_spec *spec, char *const *file_names,
                                 char *const *file_values, size_t file_count, mlps_error *err);
void mlps_launch_forward_free(mlps_launch_spec *spec);

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
/* The same, with extra "NAME=value" entries (NULL-terminated, may be NULL) added to the child's
 * environment, each replacing a variable of that name. */
int mlps_launch_run_with(char *const *argv, char *const *extra_env, mlps_error *err);

/* Re-runs this program (/proc/self/exe) with its original arguments under the launcher prefix,
 * the values of spec->forward that come from a .env file added to the launcher's environment.
 * With what_if, prints the command line to stdout instead of running it. Returns the status the
 * program should exit with: what mlps_launch_run returns, 0 for what_if, or err->exit_status
 * (2 for a usage error in spec) with err set when the command could not be built. */
int mlps_launch_self(const mlps_launch_spec *spec, int argc, char **argv, bool what_if,
                     mlps_error *err);

#endif
