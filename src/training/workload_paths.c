/* Where the shipped training workload files are: the table of MLPerf training models and
 * accelerators, the file name of each pair, and the configs folder that holds training/ (found by
 * the search every benchmark shares, core/configs_dir.h). */
#include "training/workload.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/configs_dir.h"
#include "core/suggest.h"

static const mlps_workload_model models[] = {
    {"unet3d", {"a100", "h100"}},    {"resnet50", {"a100", "h100"}},
    {"cosmoflow", {"a100", "h100"}}, {"dlrm", {"b200", "mi355"}},
    {"flux", {"b200", "mi355"}},     {"retinanet", {"b200", "mi355"}},
};
#define MODEL_COUNT (sizeof models / sizeof models[0])

const mlps_workload_model *mlps_workload_models(size_t *count)
{
    *count = MODEL_COUNT;
    return models;
}

void mlps_workload_describe_pairs(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < MODEL_COUNT && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s with %s, %s", i ? "; " : "",
                         models[i].name, models[i].accelerators[0], models[i].accelerators[1]);
        used += n > 0 ? (size_t)n : 0;
    }
}

static const mlps_workload_model *find_model(const char *name)
{
    for (size_t i = 0; i < MODEL_COUNT; i++)
        if (strcmp(models[i].name, name) == 0)
            return &models[i];
    return NULL;
}

static int fail_unknown_model(const char *model, mlps_error *err)
{
    const char *names[MODEL_COUNT];
    for (size_t i = 0; i < MODEL_COUNT; i++)
        names[i] = models[i].name;
    const char *nearest = mlps_nearest_name(model, names, MODEL_COUNT);
    char pairs[512];
    mlps_workload_describe_pairs(pairs, sizeof pairs);
    return mlps_fail_usage(err, -EINVAL, "unknown model '%s'%s%s%s; valid: %s", model,
                           nearest ? " (did you mean '" : "", nearest ? nearest : "",
                           nearest ? "'?)" : "", pairs);
}

static bool is_datagen(const char *accelerator)
{
    return !accelerator || strcmp(accelerator, "datagen") == 0;
}

int mlps_workload_config_path(const char *model, const char *accelerator, const char *configs_dir,
                              char *out, size_t size, mlps_error *err)
{
    const mlps_workload_model *entry = find_model(model);
    if (!entry)
        return fail_unknown_model(model, err);
    if (!is_datagen(accelerator) && strcmp(entry->accelerators[0], accelerator) != 0 &&
        strcmp(entry->accelerators[1], accelerator) != 0) {
        char pairs[512];
        mlps_workload_describe_pairs(pairs, sizeof pairs);
        return mlps_fail_usage(err, -EINVAL, "no workload for %s on %s; valid: %s", model,
                               accelerator, pairs);
    }
    int n = snprintf(out, size, "%s/training/%s_%s.yaml", configs_dir, model,
                     is_datagen(accelerator) ? "datagen" : accelerator);
    if (n < 0 || (size_t)n >= size)
        return mlps_fail_usage(err, -ENAMETOOLONG, "workload path under '%s' is too long",
                               configs_dir);
    return 0;
}

/* ---- finding the configs folder: the shared search, for the training/ subfolder ---- */

int mlps_workload_configs_dir_from(const char *env_value, const char *program_path, char *out,
                                   size_t size, mlps_error *err)
{
    return mlps_configs_dir_from("training", env_value, program_path, out, size, err);
}

int mlps_workload_configs_dir(char *out, size_t size, mlps_error *err)
{
    return mlps_configs_dir("training", out, size, err);
}
