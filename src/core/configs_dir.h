/* Where the shipped workload files are: the configs folder holds one subfolder per benchmark
 * (training/, checkpointing/, ...), and every benchmark finds it the same way.
 *
 * The folder is found without installing anything: a program built in build/ of the source tree
 * finds ../configs; an installed one finds ../share/mlps/configs; anything else (a test binary
 * run from elsewhere, a copied program) falls back to the source tree it was compiled from, and
 * MLPS_CONFIG_DIR overrides them all. */
#ifndef MLPS_CORE_CONFIGS_DIR_H
#define MLPS_CORE_CONFIGS_DIR_H

#include <stddef.h>

#include "core/error.h"

/* The environment variable that names the configs folder. */
#define MLPS_CONFIG_DIR_ENV "MLPS_CONFIG_DIR"

/* Finds the configs folder that holds subfolder ("training"): $MLPS_CONFIG_DIR when set (it must
 * hold subfolder); else the first of <dir of the program>/../configs, <dir of the
 * program>/../share/mlps/configs and the source tree's configs/ that holds subfolder. The result
 * is an absolute path when it can be resolved. A usage error lists what was tried. */
int mlps_configs_dir(const char *subfolder, char *out, size_t size, mlps_error *err);

/* The same search with the environment value and the program path given (NULL: not set, not
 * known); mlps_configs_dir passes getenv and /proc/self/exe. */
int mlps_configs_dir_from(const char *subfolder, const char *env_value, const char *program_path,
                          char *out, size_t size, mlps_error *err);

/* A workload given as a file: copies it into path, or a usage error when it does not fit. */
int mlps_config_file_given(const char *file, char *path, size_t size, mlps_error *err);

/* The configs folder to look in: given when not NULL, else mlps_configs_dir(subfolder) written
 * into buffer. */
int mlps_configs_dir_or_found(const char *given, const char *subfolder, char *buffer, size_t size,
                              const char **dir, mlps_error *err);

#endif
