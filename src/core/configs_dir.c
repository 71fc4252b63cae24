/* The search for the configs folder shared by every benchmark (see configs_dir.h). A candidate
 * counts only when it holds the benchmark's own subfolder, so a stray configs/ of another
 * program beside the binary is passed over. */
#include "core/configs_dir.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool holds_subfolder(const char *dir, const char *subfolder)
{
    char path[PATH_MAX];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", dir, subfolder);
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

/* The source tree's configs/: named by the build, else two levels above this file. */
static void source_configs_dir(char *out, size_t size)
{
#ifdef MLPS_SOURCE_CONFIG_DIR
    snprintf(out, size, "%s", MLPS_SOURCE_CONFIG_DIR);
#else
    const char *file = __FILE__;
    const char *core = strstr(file, "src/core/");
    if (file[0] == '/' && core)
        snprintf(out, size, "%.*sconfigs", (int)(core - file), file);
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

int mlps_configs_dir_from(const char *subfolder, const char *env_value, const char *program_path,
                          char *out, size_t size, mlps_error *err)
{
    if (env_value && *env_value) {
        if (!holds_subfolder(env_value, subfolder))
            return mlps_fail_usage(err, -ENOENT, "%s='%s' does not hold a %s/ folder of "
                                   "workload configs", MLPS_CONFIG_DIR_ENV, env_value,
                                   subfolder);
        return give_dir(env_value, out, size, err);
    }
    char tries[3][PATH_MAX];
    candidate(tries[0], sizeof tries[0], program_path, "../configs");
    candidate(tries[1], sizeof tries[1], program_path, "../share/mlps/configs");
    source_configs_dir(tries[2], sizeof tries[2]);
    for (size_t i = 0; i < 3; i++)
        if (tries[i][0] && holds_subfolder(tries[i], subfolder))
            return give_dir(tries[i], out, size, err);
    return mlps_fail_usage(err, -ENOENT, "cannot find the workload configs (tried '%s', '%s', "
                           "'%s'); set %s to the folder that holds %s/",
                           tries[0], tries[1], tries[2], MLPS_CONFIG_DIR_ENV, subfolder);
}

int mlps_configs_dir(const char *subfolder, char *out, size_t size, mlps_error *err)
{
    char program[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", program, sizeof program - 1);
    if (n >= 0)
        program[n] = '\0';
    return mlps_configs_dir_from(subfolder, getenv(MLPS_CONFIG_DIR_ENV),
                                 n >= 0 ? program : NULL, out, size, err);
}

int mlps_config_file_given(const char *file, char *path, size_t size, mlps_error *err)
{
    if (strlen(file) >= size)
        return mlps_fail_usage(err, -ENAMETOOLONG, "workload file path '%s' is too long", file);
    strcpy(path, file);
    return 0;
}

int mlps_configs_dir_or_found(const char *given, const char *subfolder, char *buffer, size_t size,
                              const char **dir, mlps_error *err)
{
    *dir = given ? given : buffer;
    return given ? 0 : mlps_configs_dir(subfolder, buffer, size, err);
}
