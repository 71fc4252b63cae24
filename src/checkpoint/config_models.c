/* The MLPerf checkpointing models, what the rules allow for each, and where their workload files
 * are: llama3-8b is configs/checkpointing/llama3_8b.yaml, and so on. */
#include "checkpoint/config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/suggest.h"

static const char *const models[] = {"llama3-8b", "llama3-70b", "llama3-405b", "llama3-1t"};
#define MODEL_COUNT (sizeof models / sizeof models[0])

const char *const *mlps_checkpoint_models(size_t *count)
{
    *count = MODEL_COUNT;
    return models;
}

/* 8B's "GPUs per DP instance" is 8 although its TP x PP is 1, so its subset DP is 1: a subset
 * run of 8B on fewer than 8 processes is refused (Comm size ... larger than 3D parallelism). */
static const mlps_checkpoint_model_rules rules[] = {
    {"llama3-8b", 8, 0, 8, 1},
    {"llama3-70b", 64, 8, 8, 8},
    {"llama3-405b", 512, 8, 256, 2},
    {"llama3-1t", 1024, 8, 512, 2},
};
_Static_assert(sizeof rules / sizeof rules[0] == MODEL_COUNT, "one rules entry per model");

const mlps_checkpoint_model_rules *mlps_checkpoint_rules_of(const char *model)
{
    for (size_t i = 0; model && i < MODEL_COUNT; i++)
        if (strcmp(rules[i].model, model) == 0)
            return &rules[i];
    return NULL;
}

static bool is_model(const char *name) { return mlps_checkpoint_rules_of(name) != NULL; }

static int fail_unknown_model(const char *model, mlps_error *err)
{
    char valid[128] = "";
    for (size_t i = 0; i < MODEL_COUNT; i++) {
        size_t used = strlen(valid);
        snprintf(valid + used, sizeof valid - used, "%s%s", i ? ", " : "", models[i]);
    }
    const char *nearest = mlps_nearest_name(model, models, MODEL_COUNT);
    return mlps_fail_usage(err, -EINVAL, "unknown model '%s'%s%s%s; valid: %s", model,
                           nearest ? " (did you mean '" : "", nearest ? nearest : "",
                           nearest ? "'?)" : "", valid);
}

int mlps_checkpoint_config_path(const char *model, const char *configs_dir, char *out,
                                size_t size, mlps_error *err)
{
    if (!model || !is_model(model))
        return fail_unknown_model(model ? model : "", err);
    int n = snprintf(out, size, "%s/%s/%s.yaml", configs_dir, MLPS_CHECKPOINT_CONFIGS_SUBFOLDER,
                     model);
    if (n < 0 || (size_t)n >= size)
        return mlps_fail_usage(err, -ENAMETOOLONG, "workload path under '%s' is too long",
                               configs_dir);
    /* the file name spells the model with '_' for '-' */
    char *name = out + n - strlen(model) - strlen(".yaml");
    for (char *c = name; *c; c++)
        if (*c == '-')
            *c = '_';
    return 0;
}
