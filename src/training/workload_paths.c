/* Where the shipped workload files are: the table of MLPerf training models and accelerators,
 * the file name of each pair, and the search for the configs folder.
 *
 * The folder is found without installing anything: a program built in build/ of the source tree
 * finds ../configs; an installed one finds ../share/mlps/configs; anything else (a test binary
 * run from elsewhere, a copied program) falls back to the source tree it was compiled from, and
 * MLPS_CONFIG_DIR overrides them all. */
#include "training/workload.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- finding the configs folder ---- */

static bool holds_training_configs(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/training", dir);
    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Copies dir to out, resolved to an absolute path when it can be. */
static int give_dir(const char *dir, char *out, size_t size, mlps_error *err)
{
    char resolved[PATH_MAX];
    const char *result = realpath(dir, resolved) ? resolved : dir;
    if (strlen(result) >= size)
        return mlps_fail_usage(err, -ENAMETOOLONG, "configs folder path '%s' is too long",
                               result);
    strcpy(out, result);
    return 0;
}

/* The source tree's configs/: named by the build, else three levels above this file. */
static void source_configs_dir(char *out, size_t size)
{
#ifdef MLPS_SOURCE_CONFIG_DIR
    snprintf(out, size, "%s", MLPS_SOURCE_CONFIG_DIR);
#else
    const char *file = __FILE__;
    const char *training = strstr(file, "src/training/");
    if (file[0] == '/' && training)
        snprintf(out, size, "%.*sconfigs", (int)(training - file), file);
    else
        out[0] = '\0';
#endif
}

static void candidate(char *out, size_t size, const char *program_path, const char *suffix)
{
    out[0] = '\0';
    if (!program_path)
        return;
    const char *slash = strrchr(program_path, '/');
    if (slash)
        snprintf(out, size, "%.*s/%s", (int)(slash - program_path), program_path, suffix);
}

int mlps_workload_configs_dir_from(const char *env_value, const char *program_path, char *out,
                                   size_t size, mlps_error *err)
{
    if (env_value && *env_value) {
        if (!holds_training_configs(env_value))
            return mlps_fail_usage(err, -ENOENT, "%s='%s' does not hold a training/ folder of "
                                   "workload configs", MLPS_CONFIG_DIR_ENV, env_value);
        return give_dir(env_value, out, size, err);
    }
    char tries[3][PATH_MAX];
    candidate(tries[0], sizeof tries[0], program_path, "../configs");
    candidate(tries[1], sizeof tries[1], program_path, "../share/mlps/configs");
    source_configs_dir(tries[2], sizeof tries[2]);
    for (size_t i = 0; i < 3; i++)
        if (tries[i][0] && holds_training_configs(tries[i]))
            return give_dir(tries[i], out, size, err);
    return mlps_fail_usage(err, -ENOENT, "cannot find the workload configs (tried '%s', '%s', "
                           "'%s'); set %s to the folder that holds training/",
                           tries[0], tries[1], tries[2], MLPS_CONFIG_DIR_ENV);
}

int mlps_workload_configs_dir(char *out, size_t size, mlps_error *err)
{
    char program[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", program, sizeof program - 1);
    if (n >= 0)
        program[n] = '\0';
    return mlps_workload_configs_dir_from(getenv(MLPS_CONFIG_DIR_ENV), n >= 0 ? program : NULL,
                                          out, size, err);
}
