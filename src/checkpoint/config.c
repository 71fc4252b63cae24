/* Loading a checkpointing workload: the shipped file of a model, or one's own, with -p overrides
 * applied in order, read into the typed view; and the checks that need the process count. */
#include "checkpoint/config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "core/configs_dir.h"

static int resolve_path(const mlps_checkpoint_source *source, char *path, size_t size,
                        mlps_error *err)
{
    if (source->file)
        return mlps_config_file_given(source->file, path, size, err);
    if (!source->model)
        return mlps_fail_usage(err, -EINVAL, "no workload given: name a model or a workload "
                               "file");
    char configs[PATH_MAX];
    const char *dir;
    int rc = mlps_configs_dir_or_found(source->configs_dir, MLPS_CHECKPOINT_CONFIGS_SUBFOLDER,
                                       configs, sizeof configs, &dir, err);
    return rc ? rc : mlps_checkpoint_config_path(source->model, dir, path, size, err);
}

int mlps_checkpoint_workload_load(const mlps_checkpoint_source *source,
                                  mlps_checkpoint_workload *out, mlps_error *err)
{
    *out = (mlps_checkpoint_workload){0};
    char path[PATH_MAX];
    int rc = resolve_path(source, path, sizeof path, err);
    if (rc != 0)
        return rc;
    mlps_config *cfg = NULL;
    rc = mlps_config_load(mlps_checkpoint_schema(), path, source->overrides,
                          source->override_count, &cfg, err);
    if (rc != 0)
        return rc;
    return mlps_checkpoint_workload_read(cfg, out, err);
}

int mlps_checkpoint_workload_validate(const mlps_checkpoint_workload *workload,
                                      uint64_t comm_size, mlps_error *err)
{
    return mlps_checkpoint_params_check(&workload->params, comm_size, err);
}
