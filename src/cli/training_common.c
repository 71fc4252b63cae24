/* Flags and workload loading shared by the `mlps training` commands; see training_common.h. */
#include "cli/training_common.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const model_choices[] = {"cosmoflow", "resnet50", "unet3d", "dlrm",
                                            "retinanet", "flux", NULL};
static const char *const accelerator_choices[] = {"h100", "a100", "b200", "mi355", NULL};

static const mlps_arg model_flag[] = {
    {.name = "model", .short_name = "m", .kind = MLPS_ARG_STRING, .choices = model_choices,
     .required = true, .help = "the MLPerf training workload"},
};
static const mlps_arg accelerator_flag[] = {
    {.name = "accelerator-type", .short_name = "g", .kind = MLPS_ARG_STRING,
     .choices = accelerator_choices, .required = true,
     .help = "simulated accelerator (unet3d, resnet50, cosmoflow: a100, h100; dlrm, flux, "
             "retinanet: b200, mi355)"},
};
static const mlps_arg memory_flags[] = {
    {.name = "client-host-memory-in-gb", .short_name = "cm", .kind = MLPS_ARG_DOUBLE,
     .required = true, .metavar = "GiB", .help = "memory of each client host in GiB"},
    {.name = "num-client-hosts", .short_name = "nc", .kind = MLPS_ARG_INT, .metavar = "N",
     .help = "client hosts (default: the number of --hosts)"},
};
static const mlps_arg data_dir_flag[] = {
    {.name = "data-dir", .short_name = "dd", .kind = MLPS_ARG_STRING, .metavar = "DIR",
     .help = "dataset directory; the data goes to DIR/<model> (default: the workload's "
             "dataset.data_folder)"},
};

const mlps_arg_table mlps_training_model_flag = MLPS_ARG_TABLE("Workload", model_flag);
const mlps_arg_table mlps_training_accelerator_flag =
    MLPS_ARG_TABLE("Accelerator", accelerator_flag);
const mlps_arg_table mlps_training_memory_flags = MLPS_ARG_TABLE("Client hosts", memory_flags);
const mlps_arg_table mlps_training_data_dir_flag = MLPS_ARG_TABLE("Data", data_dir_flag);

static bool ends_in_model_name(const char *dir)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    for (size_t i = 0; model_choices[i]; i++) {
        size_t n = strlen(model_choices[i]);
        if (len >= n && strncmp(dir + len - n, model_choices[i], n) == 0 &&
            (len == n || dir[len - n - 1] == '/'))
            return true;
    }
    return false;
}

/* "dataset.data_folder=<dir>/<model>", or NULL when --data-dir is not given. */
static char *data_folder_override(const mlps_args *args, const char *model)
{
    const char *dir = mlps_args_string(args, "data_dir");
    if (!dir)
        return NULL;
    char *text = NULL;
    int n = ends_in_model_name(dir) ? asprintf(&text, "dataset.data_folder=%s", dir)
                                    : asprintf(&text, "dataset.data_folder=%s/%s", dir, model);
    return n < 0 ? NULL : text;
}

int mlps_training_load_workload(const mlps_args *args, const char *accelerator,
                                mlps_workload *out, mlps_error *err)
{
    const char *model = mlps_args_string(args, "model");
    json_t *params = mlps_args_list(args, "params");
    char **object = NULL;
    size_t object_count = 0;
    int rc = mlps_object_overrides(args, &object, &object_count, err);
    if (rc)
        return rc;
    size_t count = json_array_size(params);
    const char **overrides = calloc(count + object_count + 1, sizeof *overrides);
    if (!overrides) {
        mlps_object_overrides_free(object, object_count);
        return mlps_fail(err, -ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < count; i++)
        overrides[i] = json_string_value(json_array_get(params, i));
    for (size_t i = 0; i < object_count; i++)
        overrides[count++] = object[i];
    char *data_folder = data_folder_override(args, model);
    if (data_folder)
        overrides[count++] = data_folder;
    mlps_workload_source source = {.model = model, .accelerator = accelerator,
                                   .overrides = overrides, .override_count = count};
    rc = mlps_workload_load(&source, out, err);
    free(data_folder);
    free(overrides);
    mlps_object_overrides_free(object, object_count);
    return rc;
}

int mlps_training_begin_session(const mlps_invocation *inv, const char *command,
                                mlps_session *session, mlps_error *err)
{
    char root_buf[PATH_MAX];
    mlps_session_spec spec = {
        .type = MLPS_BENCHMARK_TRAINING, .model = mlps_args_string(&inv->args, "model"),
        .command = command,
        .results_root = mlps_results_root_from_args(&inv->args, root_buf, sizeof root_buf),
        .argc = inv->full_argc, .argv = inv->full_argv};
    return mlps_session_begin(session, inv->comm, &spec, err);
}
