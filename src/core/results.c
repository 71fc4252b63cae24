/* The results tree: type names, run directory paths and their creation, run log files.
 * The metadata and summary writers are in run_metadata.c. See results.h. */
#include "core/results.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mkdirs.h"

#define RUN_DIR_SUFFIX_LIMIT 1000

static const char *const type_names[MLPS_BENCHMARK_TYPE_COUNT] = {
    [MLPS_BENCHMARK_TRAINING] = "training",
    [MLPS_BENCHMARK_CHECKPOINTING] = "checkpointing",
    [MLPS_BENCHMARK_VECTOR_DATABASE] = "vector_database",
    [MLPS_BENCHMARK_KV_CACHE] = "kv_cache",
    [MLPS_BENCHMARK_STORAGE] = "storage",
};

const char *mlps_benchmark_type_name(mlps_benchmark_type type)
{
    return (unsigned)type < MLPS_BENCHMARK_TYPE_COUNT ? type_names[type] : NULL;
}

int mlps_benchmark_type_from_name(const char *name, mlps_benchmark_type *out, mlps_error *err)
{
    for (int i = 0; i < MLPS_BENCHMARK_TYPE_COUNT; i++) {
        if (name && strcmp(name, type_names[i]) == 0) {
            *out = (mlps_benchmark_type)i;
            return 0;
        }
    }
    return mlps_fail_usage(err, -EINVAL,
                           "unknown benchmark type '%s': valid types are training, "
                           "checkpointing, vector_database, kv_cache, storage",
                           name ? name : "");
}

bool mlps_benchmark_type_has_model_dir(mlps_benchmark_type type)
{
    return type == MLPS_BENCHMARK_TRAINING || type == MLPS_BENCHMARK_CHECKPOINTING;
}

bool mlps_benchmark_type_has_command_dir(mlps_benchmark_type type)
{
    return type != MLPS_BENCHMARK_CHECKPOINTING;
}

void mlps_results_current_datetime(char *out, size_t size)
{
    mlps_format_run_datetime(mlps_wall_ns(), out, size);
}

const char *mlps_default_results_root(char *buf, size_t n, bool *is_temp)
{
    const char *configured = getenv("MLPERF_RESULTS_DIR");
    bool use_temp = !configured || !*configured;
    if (is_temp)
        *is_temp = use_temp;
    int written;
    if (!use_temp) {
        written = snprintf(buf, n, "%s", configured);
    } else {
        const char *tmpdir = getenv("TMPDIR");
        if (!tmpdir || !*tmpdir)
            tmpdir = "/tmp";
        written = snprintf(buf, n, "%s/mlperf_storage_results", tmpdir);
    }
    if (written < 0 || (size_t)written >= n)
        return NULL;
    if (use_temp)
        mlps_warn("Results go to the temporary directory %s, which the system may clean; "
                  "choose a lasting place with --results-dir or MLPERF_RESULTS_DIR",
                  buf);
    return buf;
}

/* A name that becomes one directory level must stay one level. */
static int check_dir_name(const char *what, const char *flag, const char *name, mlps_error *err)
{
    if (!name || !*name)
        return mlps_fail_usage(err, -EINVAL, "%s is required: give %s", what, flag);
    if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return mlps_fail_usage(err, -EINVAL,
                               "invalid %s '%s': it names a results directory, so it must not "
                               "contain '/' or be '.' or '..'",
                               what, name);
    if (strlen(name) >= MLPS_RUN_NAME_MAX)
        return mlps_fail_usage(err, -EINVAL, "invalid %s '%s': longer than %d characters", what,
                               name, MLPS_RUN_NAME_MAX - 1);
    return 0;
}

static bool is_run_datetime(const char *text)
{
    if (!text || strlen(text) != 15 || text[8] != '_')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (text[i] < '0' || text[i] > '9'))
            return false;
    return true;
}

static int check_run_names(mlps_benchmark_type type, const char *model, const char *command,
                           const char *run_datetime, mlps_error *err)
{
    const char *type_name = mlps_benchmark_type_name(type);
    if (!type_name)
        return mlps_fail_usage(err, -EINVAL, "invalid benchmark type %d", (int)type);
    int rc = check_dir_name("command", "a command such as 'run'", command, err);
    if (rc == 0 && ((model && *model) || mlps_benchmark_type_has_model_dir(type)))
        rc = check_dir_name("model", "--model", model, err);
    if (rc == 0 && !is_run_datetime(run_datetime))
        rc = mlps_fail_usage(err, -EINVAL, "invalid run datetime '%s': expected YYYYMMDD_HHMMSS",
                             run_datetime ? run_datetime : "");
    return rc;
}

/* <root>/<type>[/<model>][/<command>], the directory that holds the runs. */
static int parent_dir_path(const char *results_root, mlps_benchmark_type type,
                           const char *model, const char *command, char *out, size_t size,
                           mlps_error *err)
{
    if (!results_root || !*results_root)
        return mlps_fail_usage(err, -EINVAL,
                               "no results directory: give --results-dir or MLPERF_RESULTS_DIR");
    int n = snprintf(out, size, "%s/%s%s%s%s%s", results_root, mlps_benchmark_type_name(type),
                     mlps_benchmark_type_has_model_dir(type) ? "/" : "",
                     mlps_benchmark_type_has_model_dir(type) ? model : "",
                     mlps_benchmark_type_has_command_dir(type) ? "/" : "",
                     mlps_benchmark_type_has_command_dir(type) ? command : "");
    if (n < 0 || (size_t)n >= size)
        return mlps_fail_usage(err, -ENAMETOOLONG,
                               "results directory %s gives a run path longer than %zu bytes",
                               results_root, size - 1);
    return 0;
}

static int join_path(char *out, size_t size, const char *dir, const char *name,
                     const char *suffix, mlps_error *err)
{
    int n = snprintf(out, size, "%s/%s%s", dir, name, suffix);
    if (n < 0 || (size_t)n >= size)
        return mlps_fail(err, -ENAMETOOLONG, "path %s/%s%s is longer than %zu bytes", dir, name,
                         suffix, size - 1);
    return 0;
}

int mlps_results_run_dir_path(const char *results_root, mlps_benchmark_type type,
                              const char *model, const char *command, const char *run_datetime,
                              char *out, size_t size, mlps_error *err)
{
    int rc = check_run_names(type, model, command, run_datetime, err);
    if (rc == 0)
        rc = parent_dir_path(results_root, type, model, command, out, size, err);
    if (rc != 0)
        return rc;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", out);
    return join_path(out, size, parent, run_datetime, "", err);
}

/* Makes <parent>/<datetime>, or the first free <datetime>_N. */
static int make_unique_run_dir(const char *parent, const char *run_datetime, char *out,
                               size_t size, mlps_error *err)
{
    for (int attempt = 0; attempt < RUN_DIR_SUFFIX_LIMIT; attempt++) {
        char suffix[16] = "";
        if (attempt > 0)
            snprintf(suffix, sizeof suffix, "_%d", attempt);
        int rc = join_path(out, size, parent, run_datetime, suffix, err);
        if (rc != 0)
            return rc;
        if (mkdir(out, 0755) == 0)
            return 0;
        if (errno != EEXIST) {
            int code = errno;
            return mlps_fail(err, -code, "cannot create run directory %s: %s", out,
                             strerror(code));
        }
    }
    return mlps_fail(err, -EEXIST,
                     "cannot create run directory %s/%s: it and %d suffixed variants exist",
                     parent, run_datetime, RUN_DIR_SUFFIX_LIMIT - 1);
}

int mlps_results_create_run_dir(const char *results_root, mlps_benchmark_type type,
                                const char *model, const char *command,
                                const char *run_datetime, mlps_run_info *run, mlps_error *err)
{
    memset(run, 0, sizeof *run);
    int rc = check_run_names(type, model, command, run_datetime, err);
    char parent[PATH_MAX];
    if (rc == 0)
        rc = parent_dir_path(results_root, type, model, command, parent, sizeof parent, err);
    char first_created[PATH_MAX];
    if (rc == 0)
        rc = mlps_mkdirs_tracked(parent, 0755, first_created, sizeof first_created, err);
    if (rc != 0)
        return rc;
    rc = make_unique_run_dir(parent, run_datetime, run->run_dir, sizeof run->run_dir, err);
    if (rc != 0) {
        mlps_remove_created_dirs(parent, first_created);
        run->run_dir[0] = '\0';
        return rc;
    }
    run->type = type;
    snprintf(run->model, sizeof run->model, "%s", model ? model : "");
    snprintf(run->command, sizeof run->command, "%s", command);
    snprintf(run->run_datetime, sizeof run->run_datetime, "%s", run_datetime);
    return 0;
}

static int log_path(const mlps_run_info *run, const char *stream, char *out, size_t size,
                    mlps_error *err)
{
    char name[2 * MLPS_RUN_NAME_MAX + 32];
    snprintf(name, sizeof name, "%s_%s", mlps_benchmark_type_name(run->type), run->command);
    return join_path(out, size, run->run_dir, name, stream, err);
}

int mlps_results_log_paths(const mlps_run_info *run, char *stdout_path, size_t stdout_size,
                           char *stderr_path, size_t stderr_size, mlps_error *err)
{
    int rc = log_path(run, ".stdout.log", stdout_path, stdout_size, err);
    if (rc == 0)
        rc = log_path(run, ".stderr.log", stderr_path, stderr_size, err);
    return rc;
}

static int open_log(const char *path, FILE **file, mlps_error *err)
{
    *file = fopen(path, "ae");
    if (*file)
        return 0;
    int code = errno;
    return mlps_fail(err, -code, "cannot open run log %s: %s", path, strerror(code));
}

int mlps_results_open_logs(const mlps_run_info *run, FILE **stdout_log, FILE **stderr_log,
                           mlps_error *err)
{
    *stdout_log = *stderr_log = NULL;
    char out_path[PATH_MAX], err_path[PATH_MAX];
    int rc = mlps_results_log_paths(run, out_path, sizeof out_path, err_path, sizeof err_path,
                                    err);
    FILE *out = NULL, *errors = NULL;
    if (rc == 0)
        rc = open_log(out_path, &out, err);
    if (rc == 0)
        rc = open_log(err_path, &errors, err);
    if (rc != 0) {
        if (out)
            fclose(out);
        return rc;
    }
    *stdout_log = out;
    *stderr_log = errors;
    return 0;
}
