/* The typed view of a checkpointing workload: reads every key of a loaded config into
 * mlps_checkpoint_workload and checks what the schema cannot (ranges, counts, the workflow),
 * naming the key in every message. The checks that need the process count live with the model
 * (mlps_checkpoint_params_check). */
#include "checkpoint/config.h"
#include "io/storage_config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the model's shape: integers of at least 1 ---- */

typedef struct shape_key {
    const char *key;
    size_t offset; /* of the uint64_t in mlps_checkpoint_model_params */
} shape_key;

#define SHAPE(key, field) {key, offsetof(mlps_checkpoint_model_params, field)}

static const shape_key shape_keys[] = {
    SHAPE("model.num_layers", num_layers),
    SHAPE("model.transformer.hidden_size", hidden_size),
    SHAPE("model.transformer.ffn_hidden_size", ffn_hidden_size),
    SHAPE("model.transformer.num_attention_heads", num_attention_heads),
    SHAPE("model.transformer.num_kv_heads", num_kv_heads),
    SHAPE("model.transformer.vocab_size", vocab_size),
    SHAPE("model.parallelism.tensor", tensor),
    SHAPE("model.parallelism.pipeline", pipeline),
};

static int read_shape(const mlps_config *cfg, mlps_checkpoint_model_params *p, mlps_error *err)
{
    for (size_t i = 0; i < sizeof shape_keys / sizeof shape_keys[0]; i++) {
        int64_t value = mlps_config_get_int(cfg, shape_keys[i].key);
        if (value < 1)
            return mlps_fail_usage(err, -EINVAL, "config key '%s' must be at least 1, got %lld",
                                   shape_keys[i].key, (long long)value);
        *(uint64_t *)((char *)p + shape_keys[i].offset) = (uint64_t)value;
    }
    return 0;
}

static int read_parallelism(const mlps_config *cfg, mlps_checkpoint_model_params *p,
                            mlps_error *err)
{
    int64_t zero = mlps_config_get_int(cfg, "model.parallelism.zero_stage");
    if (zero < 0 || zero > 3)
        return mlps_fail_usage(err, -EINVAL, "config key 'model.parallelism.zero_stage' must be "
                               "0, 1, 2 or 3, got %lld", (long long)zero);
    p->zero_stage = (unsigned)zero;
    /* DLIO counts data parallelism as set only when positive */
    int64_t data = mlps_config_get_int(cfg, "model.parallelism.data");
    p->data = data > 0 ? (uint64_t)data : 0;
    const char *mode = mlps_config_get_string(cfg, "checkpoint.mode");
    p->mode = strcmp(mode, "subset") == 0 ? MLPS_CHECKPOINT_MODE_SUBSET
                                          : MLPS_CHECKPOINT_MODE_DEFAULT;
    return 0;
}

static void read_model(const mlps_config *cfg, mlps_checkpoint_workload *w)
{
    w->model_name = mlps_config_get_string(cfg, "model.name");
    w->model_type = mlps_config_get_string(cfg, "model.type");
    w->model_datatype = mlps_config_get_string(cfg, "model.model_datatype");
    w->optimizer_datatype = mlps_config_get_string(cfg, "model.optimizer_datatype");
    /* the schema admits only known datatype names */
    w->params.model_dtype_bytes = mlps_checkpoint_datatype_bytes(w->model_datatype);
    w->params.optimizer_dtype_bytes = mlps_checkpoint_datatype_bytes(w->optimizer_datatype);
    w->framework = mlps_config_get_string(cfg, "framework");
}

/* ---- workflow: checkpoint-only ---- */

static void read_workflow(const mlps_config *cfg, mlps_checkpoint_workload *w)
{
    w->workflow.generate_data = mlps_config_get_bool(cfg, "workflow.generate_data");
    w->workflow.train = mlps_config_get_bool(cfg, "workflow.train");
    w->workflow.evaluation = mlps_config_get_bool(cfg, "workflow.evaluation");
    w->workflow.checkpoint = mlps_config_get_bool(cfg, "workflow.checkpoint");
    w->workflow.profiling = mlps_config_get_bool(cfg, "workflow.profiling");
}

static int check_workflow(const mlps_checkpoint_workload *w, mlps_error *err)
{
    const char *hint = "the checkpointing benchmark runs checkpoint-only (workflow.checkpoint "
                       "true, workflow.train and workflow.generate_data false)";
    if (!w->workflow.checkpoint)
        return mlps_fail_usage(err, -EINVAL, "config key 'workflow.checkpoint' is false: %s",
                               hint);
    if (w->workflow.train)
        return mlps_fail_usage(err, -EINVAL, "config key 'workflow.train' is true: %s", hint);
    if (w->workflow.generate_data)
        return mlps_fail_usage(err, -EINVAL, "config key 'workflow.generate_data' is true: %s",
                               hint);
    return 0;
}

/* ---- checkpoint settings ---- */

static int read_counts(const mlps_config *cfg, mlps_checkpoint_settings *c, mlps_error *err)
{
    int64_t write = mlps_config_get_int(cfg, "checkpoint.num_checkpoints_write");
    int64_t read = mlps_config_get_int(cfg, "checkpoint.num_checkpoints_read");
    if (write < 0 || read < 0)
        return mlps_fail_usage(err, -EINVAL, "Number of checkpoints read and write must be "
                               "non-negative: checkpoint.num_checkpoints_%s is %lld",
                               write < 0 ? "write" : "read", (long long)(write < 0 ? write : read));
    if (write > 0 && read > write)
        return mlps_fail_usage(err, -EINVAL, "Number of checkpoints to read %lld cannot be larger "
                               "than number of checkpoints to write %lld", (long long)read,
                               (long long)write);
    c->num_write = (uint64_t)write;
    c->num_read = (uint64_t)read;
    return 0;
}

/* DLIO strips trailing slashes from the folder; "/" stays "/". */
static char *strip_trailing_slashes(const char *path)
{
    char *copy = strdup(path);
    for (size_t n = copy ? strlen(copy) : 0; n > 1 && copy[n - 1] == '/'; n--)
        copy[n - 1] = '\0';
    return copy;
}

/* The folder as a store URI. storage.storage_type direct_fs is DLIO's O_DIRECT file backend:
 * a folder given as a plain path then means direct://, made absolute as file:// paths are. */
static char *folder_of(const mlps_config *cfg, const char *storage_type)
{
    const char *given = mlps_config_get_string(cfg, "checkpoint.checkpoint_folder");
    char *folder = strip_trailing_slashes(given);
    if (!folder || !storage_type || strcmp(storage_type, "direct_fs") != 0 || strstr(folder, "://"))
        return folder;
    char cwd[PATH_MAX];
    char *uri = NULL;
    bool relative = folder[0] != '/';
    if (relative && !getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    if (asprintf(&uri, "direct://%s%s%s", relative ? cwd : "", relative ? "/" : "", folder) < 0)
        uri = NULL;
    free(folder);
    return uri;
}

static int read_settings(const mlps_config *cfg, mlps_checkpoint_workload *w, mlps_error *err)
{
    mlps_checkpoint_settings *c = &w->checkpoint;
    int rc = read_counts(cfg, c, err);
    if (rc != 0)
        return rc;
    c->time_between_seconds = mlps_config_get_double(cfg, "checkpoint.time_between_checkpoints");
    if (!(c->time_between_seconds >= 0))
        return mlps_fail_usage(err, -EINVAL, "config key 'checkpoint.time_between_checkpoints' "
                               "must be at least 0 seconds, got %g", c->time_between_seconds);
    int64_t behind_mib = mlps_config_get_int(cfg, "checkpoint.write_behind_mib");
    if (behind_mib < 0 || behind_mib > (INT64_C(1) << 40))
        return mlps_fail_usage(err, -EINVAL, "config key 'checkpoint.write_behind_mib' must be "
                               "0 (off) or a number of MiB, got %lld", (long long)behind_mib);
    c->write_behind_bytes = (uint64_t)behind_mib << 20;
    c->fsync = mlps_config_get_bool(cfg, "checkpoint.fsync");
    c->rank_sync = mlps_config_get_bool(cfg, "checkpoint.rank_sync");
    c->recovery_rank_shift = mlps_config_get_bool(cfg, "checkpoint.recovery_rank_shift");
    c->mode = w->params.mode;
    c->type = mlps_config_get_string(cfg, "checkpoint.type");
    c->folder = folder_of(cfg, w->storage.type_name);
    if (!c->folder)
        return mlps_fail(err, -ENOMEM, "out of memory reading checkpoint.checkpoint_folder");
    /* storage.storage_type s3: a path is a key prefix in the bucket of storage.storage_root */
    char *uri = NULL;
    mlps_store_options checked;
    rc = mlps_storage_options_read(cfg, 0, &checked, err);
    if (rc == 0)
        rc = mlps_storage_folder_uri(cfg, "checkpoint.checkpoint_folder", c->folder, &uri, err);
    if (rc == 0) {
        free((void *)c->folder);
        c->folder = uri;
    }
    return rc;
}

static void read_outputs(const mlps_config *cfg, mlps_checkpoint_workload *w)
{
    w->storage.type_name = mlps_config_get_string(cfg, "storage.storage_type");
    w->storage.root = mlps_config_get_string(cfg, "storage.storage_root");
    w->storage.library = mlps_config_get_string(cfg, "storage.storage_library");
    w->output_folder = mlps_config_get_string(cfg, "output.folder");
    w->log_file = mlps_config_get_string(cfg, "output.log_file");
}

static int read_view(const mlps_config *cfg, mlps_checkpoint_workload *w, mlps_error *err)
{
    read_model(cfg, w);
    read_workflow(cfg, w);
    read_outputs(cfg, w);
    int rc = read_shape(cfg, &w->params, err);
    if (rc == 0)
        rc = read_parallelism(cfg, &w->params, err);
    if (rc == 0)
        rc = check_workflow(w, err);
    if (rc == 0)
        rc = read_settings(cfg, w, err);
    return rc;
}

int mlps_checkpoint_workload_read(mlps_config *cfg, mlps_checkpoint_workload *out,
                                  mlps_error *err)
{
    *out = (mlps_checkpoint_workload){.config = cfg};
    int rc = read_view(cfg, out, err);
    if (rc != 0)
        mlps_checkpoint_workload_free(out);
    return rc;
}

void mlps_checkpoint_workload_free(mlps_checkpoint_workload *workload)
{
    mlps_config_free(workload->config);
    free((char *)workload->checkpoint.folder);
    *workload = (mlps_checkpoint_workload){0};
}
