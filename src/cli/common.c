/* The flags every command shares, named and spelled as in mlpstorage (-rd, -p, -c, -s ...). */
#include "cli/cli.h"

#include "core/log.h"

static const char *const mpi_binaries[] = {"mpirun", "mpiexec", NULL};

static const mlps_arg shared_flags[] = {
    {.name = "results-dir", .short_name = "rd", .kind = MLPS_ARG_STRING, .metavar = "DIR",
     .help = "root of the results tree (default: $MLPERF_RESULTS_DIR, else a temporary directory)"},
    {.name = "params", .short_name = "p", .kind = MLPS_ARG_LIST, .metavar = "KEY=VALUE",
     .help = "override workload configuration keys, e.g. -p reader.read_threads=8; repeatable"},
    {.name = "config-file", .short_name = "c", .kind = MLPS_ARG_STRING, .metavar = "YAML",
     .help = "YAML of option values ({option_name: value}); options given on the command line win"},
    {.name = "loops", .kind = MLPS_ARG_INT, .default_value = "1", .metavar = "N",
     .help = "run the command N times, each into its own run directory"},
    {.name = "what-if", .kind = MLPS_ARG_FLAG,
     .help = "print what would run (configuration, mpirun command) and exit without running it"},
    {.name = "debug", .kind = MLPS_ARG_FLAG, .help = "log debug messages"},
    {.name = "verbose", .kind = MLPS_ARG_FLAG, .help = "log verbose messages"},
};

static const mlps_arg mpi_flags[] = {
    {.name = "hosts", .short_name = "s", .kind = MLPS_ARG_LIST, .default_value = "127.0.0.1",
     .metavar = "HOST[:SLOTS]",
     .help = "hosts to run on; separated by spaces or commas, optionally with slots (host:4)"},
    {.name = "mpi-bin", .kind = MLPS_ARG_STRING, .default_value = "mpirun", .choices = mpi_binaries,
     .help = "MPI launcher (the binary may be replaced by $MPI_RUN_BIN or $MPI_EXEC_BIN)"},
    {.name = "oversubscribe", .kind = MLPS_ARG_FLAG,
     .help = "allow more processes than cores (passes --oversubscribe to mpirun)"},
    {.name = "allow-run-as-root", .kind = MLPS_ARG_FLAG,
     .help = "let mpirun run as root (passes --allow-run-as-root)"},
    {.name = "mpi-params", .kind = MLPS_ARG_LIST, .metavar = "ARGS",
     .help = "extra arguments for mpirun, passed verbatim; repeatable"},
};

const mlps_arg_table mlps_shared_flags = MLPS_ARG_TABLE("Shared options", shared_flags);
const mlps_arg_table mlps_mpi_flags = MLPS_ARG_TABLE("MPI options", mpi_flags);

void mlps_apply_logging_flags(const mlps_args *args)
{
    if (mlps_args_flag(args, "debug"))
        mlps_log_set_level(MLPS_LOG_DEBUG);
    else if (mlps_args_flag(args, "verbose"))
        mlps_log_set_level(MLPS_LOG_VERBOSE);
}
