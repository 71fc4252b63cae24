/* A run's metadata and summary files; see results.h. The metadata is written for every run,
 * failed ones included, so each standard key is always present and null when unknown:
 * readers can tell "not recorded" from "missing key". */
#include "core/results.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/atomic_file.h"

static const char *const standard_keys[] = {
    "benchmark_type", "model",       "command",          "run_datetime",
    "num_processes",  "accelerator", "result_dir",       "parameters",
    "override_parameters", "system_info", "runtime",     "verification",
    "executed_command", "command_output_files", "args",
};

const char *mlps_verification_name(mlps_verification verification)
{
    switch (verification) {
    case MLPS_VERIFICATION_CLOSED: return "CLOSED";
    case MLPS_VERIFICATION_OPEN: return "OPEN";
    case MLPS_VERIFICATION_INVALID: return "INVALID";
    case MLPS_VERIFICATION_UNKNOWN: break;
    }
    return NULL;
}

void mlps_run_metadata_init(mlps_run_metadata *metadata)
{
    memset(metadata, 0, sizeof *metadata);
    metadata->runtime_seconds = -1.0;
    metadata->verification = MLPS_VERIFICATION_UNKNOWN;
}

/* Text that is not valid UTF-8 cannot be a JSON string; it is recorded as null rather than
 * dropping the key. */
static json_t *string_or_null(const char *text)
{
    json_t *value = text && *text ? json_string(text) : NULL;
    return value ? value : json_null();
}

static json_t *borrowed_or_null(json_t *value) { return value ? json_incref(value) : json_null(); }

static json_t *runtime_value(double seconds)
{
    return seconds >= 0 && isfinite(seconds) ? json_real(seconds) : json_null();
}

static json_t *default_command_output_files(const mlps_run_info *run, const char *command,
                                            mlps_error *err)
{
    char out_path[PATH_MAX], err_path[PATH_MAX];
    if (mlps_results_log_paths(run, out_path, sizeof out_path, err_path, sizeof err_path, err))
        return NULL;
    return json_pack("[{s:o, s:s, s:s}]", "command", string_or_null(command), "stdout",
                     out_path, "stderr", err_path);
}

static int add_extra_keys(json_t *object, json_t *extra, mlps_error *err)
{
    if (!extra)
        return 0;
    if (!json_is_object(extra))
        return mlps_fail(err, -EINVAL, "extra metadata must be a JSON object");
    const char *key;
    json_t *value;
    json_object_foreach(extra, key, value) {
        for (size_t i = 0; i < sizeof standard_keys / sizeof standard_keys[0]; i++)
            if (strcmp(key, standard_keys[i]) == 0)
                return mlps_fail(err, -EINVAL,
                                 "extra metadata key '%s' would replace the standard key "
                                 "of that name; give it another name",
                                 key);
        json_object_set(object, key, value);
    }
    return 0;
}

json_t *mlps_results_metadata_json(const mlps_run_info *run, const mlps_run_metadata *metadata,
                                   mlps_error *err)
{
    json_t *outputs = metadata->command_output_files
                          ? json_incref(metadata->command_output_files)
                          : default_command_output_files(run, metadata->executed_command, err);
    if (!outputs)
        return NULL;
    json_t *object = json_object();
    json_object_set_new(object, "benchmark_type",
                        string_or_null(mlps_benchmark_type_name(run->type)));
    json_object_set_new(object, "model", string_or_null(run->model));
    json_object_set_new(object, "command", string_or_null(run->command));
    json_object_set_new(object, "run_datetime", string_or_null(run->run_datetime));
    json_object_set_new(object, "num_processes", metadata->num_processes > 0
                                                     ? json_integer(metadata->num_processes)
                                                     : json_null());
    json_object_set_new(object, "accelerator", string_or_null(metadata->accelerator));
    json_object_set_new(object, "result_dir", string_or_null(run->run_dir));
    json_object_set_new(object, "parameters", borrowed_or_null(metadata->parameters));
    json_object_set_new(object, "override_parameters",
                        borrowed_or_null(metadata->override_parameters));
    json_object_set_new(object, "system_info", borrowed_or_null(metadata->system_info));
    json_object_set_new(object, "runtime", runtime_value(metadata->runtime_seconds));
    json_object_set_new(object, "verification",
                        string_or_null(mlps_verification_name(metadata->verification)));
    json_object_set_new(object, "executed_command", string_or_null(metadata->executed_command));
    json_object_set_new(object, "command_output_files", outputs);
    json_object_set_new(object, "args", borrowed_or_null(metadata->args));
    if (add_extra_keys(object, metadata->extra, err) != 0) {
        json_decref(object);
        return NULL;
    }
    return object;
}

int mlps_results_metadata_path(const mlps_run_info *run, char *out, size_t size,
                               mlps_error *err)
{
    int n = snprintf(out, size, "%s/%s_%s_metadata.json", run->run_dir,
                     mlps_benchmark_type_name(run->type), run->run_datetime);
    if (n < 0 || (size_t)n >= size)
        return mlps_fail(err, -ENAMETOOLONG, "metadata path in %s is longer than %zu bytes",
                         run->run_dir, size - 1);
    return 0;
}

int mlps_results_write_metadata(const mlps_run_info *run, const mlps_run_metadata *metadata,
                                mlps_error *err)
{
    mlps_error local;
    if (!err)
        err = &local;
    char path[PATH_MAX];
    int rc = mlps_results_metadata_path(run, path, sizeof path, err);
    if (rc != 0)
        return rc;
    json_t *object = mlps_results_metadata_json(run, metadata, err);
    if (!object)
        return err->code;
    rc = mlps_write_json_atomic(path, object, err);
    json_decref(object);
    return rc;
}

int mlps_results_write_summary(const char *run_dir, const json_t *summary, mlps_error *err)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/summary.json", run_dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return mlps_fail(err, -ENAMETOOLONG, "summary path in %s is longer than %zu bytes",
                         run_dir, sizeof path - 1);
    return mlps_write_json_atomic(path, summary, err);
}
