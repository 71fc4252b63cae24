/* --config-file: a YAML mapping of option values, {option_name: value}, as mlpstorage accepts it.
 * Keys are destination names (results_dir) or long flag names (results-dir). A list option takes a
 * sequence or a comma-separated string; `params` also takes a mapping {key: value}. Unlike the
 * reference, options given on the command line win over the file, and an unknown key is an error. */
#ifndef MLPS_CLI_CONFIG_FILE_H
#define MLPS_CLI_CONFIG_FILE_H

#include "cli/args.h"

int mlps_apply_config_file(const mlps_arg_table *const *tables, const char *usage_name,
                           const char *path, mlps_args *args, mlps_error *err);

#endif
