/* The flags every command shares, named and spelled as in mlpstorage (-rd, -p, -c, -s ...). */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "io/dotenv.h"

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

static const mlps_arg object_flags[] = {
    {.name = "object", .kind = MLPS_ARG_FLAG,
     .help = "object storage: the folder becomes a key prefix in the bucket named by BUCKET "
             "(sets storage.storage_type=s3, storage.storage_root=$BUCKET); BUCKET and the "
             "AWS_* settings come from the environment or a .env file"},
};

const mlps_arg_table mlps_shared_flags = MLPS_ARG_TABLE("Shared options", shared_flags);
const mlps_arg_table mlps_object_flags = MLPS_ARG_TABLE("Storage", object_flags);
const mlps_arg_table mlps_mpi_flags = MLPS_ARG_TABLE("MPI options", mpi_flags);

void mlps_apply_logging_flags(const mlps_args *args)
{
    if (mlps_args_flag(args, "debug"))
        mlps_log_set_level(MLPS_LOG_DEBUG);
    else if (mlps_args_flag(args, "verbose"))
        mlps_log_set_level(MLPS_LOG_VERBOSE);
}

/* A JSON list of strings as a malloc'd array of borrowed strings. */
static const char **strings_of(json_t *list, size_t *count)
{
    *count = json_array_size(list);
    const char **items = calloc(*count + 1, sizeof *items);
    for (size_t i = 0; items && i < *count; i++)
        items[i] = json_string_value(json_array_get(list, i));
    return items;
}

int mlps_launch_spec_from_args(const mlps_args *args, unsigned nprocs, mlps_launch_spec *spec,
                               mlps_error *err)
{
    memset(spec, 0, sizeof *spec);
    size_t host_count = 0;
    const char **hosts = strings_of(mlps_args_list(args, "hosts"), &host_count);
    if (!hosts)
        return mlps_fail(err, -ENOMEM, "out of memory parsing --hosts");
    int rc = mlps_hosts_parse(&spec->hosts, (char *const *)hosts, host_count, err);
    free(hosts);
    if (rc)
        return rc;
    spec->nprocs = nprocs;
    spec->mpi_bin = mlps_args_string(args, "mpi_bin");
    spec->oversubscribe = mlps_args_flag(args, "oversubscribe");
    spec->allow_run_as_root = mlps_args_flag(args, "allow_run_as_root");
    spec->mpi_params = (char *const *)strings_of(mlps_args_list(args, "mpi_params"),
                                                 &spec->mpi_param_count);
    return 0;
}

int mlps_launch_spec_forward(mlps_launch_spec *spec, mlps_error *err)
{
    mlps_dotenv env;
    mlps_error file_err;
    mlps_error_clear(&file_err);
    if (mlps_dotenv_load(&env, &file_err) != 0) {
        /* a run that needs the file's settings stops on the same error in every rank */
        mlps_warn("the ranks get the environment's object-storage settings only: %s",
                  file_err.message);
        return mlps_launch_forward_settings(spec, NULL, NULL, 0, err);
    }
    int rc = mlps_launch_forward_settings(spec, env.names, env.values, env.count, err);
    mlps_dotenv_free(&env);
    return rc;
}

void mlps_launch_spec_free(mlps_launch_spec *spec)
{
    mlps_launch_forward_free(spec);
    mlps_hosts_free(&spec->hosts);
    free((void *)spec->mpi_params);
    spec->mpi_params = NULL;
}

const char *mlps_results_root_from_args(const mlps_args *args, char *buf, size_t size)
{
    const char *given = mlps_args_string(args, "results_dir");
    if (!given)
        return NULL;
    if (given[0] == '/') {
        snprintf(buf, size, "%s", given);
        return buf;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return given;
    snprintf(buf, size, "%s/%s", cwd, given);
    return buf;
}

int mlps_client_hosts_from_args(const mlps_args *args, uint64_t *out, mlps_error *err)
{
    if (mlps_args_given(args, "num_client_hosts")) {
        long long given = mlps_args_int(args, "num_client_hosts");
        if (given < 1)
            return mlps_fail_usage(err, -EINVAL,
                                   "--num-client-hosts/-nc must be at least 1, got %lld", given);
        *out = (uint64_t)given;
        return 0;
    }
    mlps_launch_spec spec;
    int rc = mlps_launch_spec_from_args(args, 1, &spec, err);
    if (!rc)
        *out = spec.hosts.count;
    mlps_launch_spec_free(&spec);
    return rc;
}

int mlps_host_memory_from_args(const mlps_args *args, uint64_t *bytes, mlps_error *err)
{
    double gib = mlps_args_double(args, "client_host_memory_in_gb");
    if (!(gib > 0) || gib > 1e9)
        return mlps_fail_usage(err, -EINVAL,
                               "--client-host-memory-in-gb/-cm must be a positive number of GiB, "
                               "got %g", gib);
    *bytes = (uint64_t)llround(gib * 1073741824.0);
    return 0;
}

int mlps_end_session(const mlps_invocation *inv, mlps_session *session, const mlps_config *config,
                     int num_processes, const char *accelerator, int run_rc, mlps_error *err)
{
    mlps_run_metadata metadata;
    mlps_run_metadata_init(&metadata);
    metadata.num_processes = num_processes;
    metadata.accelerator = accelerator;
    metadata.parameters = config ? mlps_config_to_json(config, true) : NULL;
    metadata.override_parameters = config ? mlps_config_overrides_to_json(config) : NULL;
    metadata.args = inv->args.values;
    mlps_error end_err = {0};
    int end_rc = mlps_session_end(session, &metadata, run_rc ? err : NULL, &end_err);
    json_decref(metadata.parameters);
    json_decref(metadata.override_parameters);
    if (run_rc)
        return run_rc;
    if (end_rc && err)
        *err = end_err;
    return end_rc;
}

/* Whether -p already sets key ("key=..."): the user's value wins over what --object implies. */
static bool params_set(const mlps_args *args, const char *key)
{
    json_t *params = mlps_args_list(args, "params");
    size_t len = strlen(key);
    for (size_t i = 0; i < json_array_size(params); i++) {
        const char *param = json_string_value(json_array_get(params, i));
        if (param && strncmp(param, key, len) == 0 && param[len] == '=')
            return true;
    }
    return false;
}

static int append_override(char ***list, size_t *count, const char *key, const char *value,
                           mlps_error *err)
{
    char **grown = realloc(*list, (*count + 2) * sizeof *grown);
    if (!grown)
        return mlps_fail(err, -ENOMEM, "out of memory");
    *list = grown;
    if (asprintf(&grown[*count], "%s=%s", key, value) < 0)
        return mlps_fail(err, -ENOMEM, "out of memory");
    grown[++*count] = NULL;
    return 0;
}

int mlps_object_overrides(const mlps_args *args, char ***list, size_t *count, mlps_error *err)
{
    *list = NULL;
    *count = 0;
    if (!mlps_args_flag(args, "object"))
        return 0;
    mlps_dotenv env;
    int rc = mlps_dotenv_load(&env, err);
    if (rc)
        return rc;
    const char *bucket = mlps_dotenv_get(&env, "BUCKET");
    if (!bucket || !bucket[0])
        rc = mlps_fail_usage(err, -EINVAL, "--object needs the bucket's name in BUCKET, set in "
                             "the environment or a .env file (%s)",
                             env.path ? env.path : "none found in the working directory, next "
                                                   "to mlps or above the working directory");
    if (!rc && !params_set(args, "storage.storage_type"))
        rc = append_override(list, count, "storage.storage_type", "s3", err);
    if (!rc && !params_set(args, "storage.storage_root"))
        rc = append_override(list, count, "storage.storage_root", bucket, err);
    if (rc == 0 && env.path)
        mlps_verbose("--object: settings from %s and the environment", env.path);
    mlps_dotenv_free(&env);
    return rc;
}

void mlps_object_overrides_free(char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}
