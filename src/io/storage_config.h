/* The `storage.*` keys of a DLIO workload as the storage layer takes them, shared by the
 * training and checkpointing workloads:
 *   storage.storage_type=s3 with storage.storage_root=<bucket>[/<prefix>]: a folder given as a
 *     path (dataset.data_folder, checkpoint.checkpoint_folder) is a key prefix in that bucket,
 *     s3://<bucket>/<prefix>/<folder>;
 *   storage.storage_options.{endpoint_url, region, s3_force_path_style, s3_max_attempts,
 *     s3_max_concurrency, s3_parts_in_flight}: the
 *     s3:// store's settings, over the AWS_* and MLPS_S3_* variables.
 * Credentials are never workload keys (they would be written into the run's metadata): the
 * options access_key_id and secret_access_key are refused in favour of the variables. */
#ifndef MLPS_IO_STORAGE_CONFIG_H
#define MLPS_IO_STORAGE_CONFIG_H

#include <stdint.h>

#include "core/config.h"
#include "io/store.h"

/* Fills *out (zeroed first) from cfg's storage.storage_options and the process's rank; strings
 * point into cfg. Usage errors name the key and what it accepts. */
int mlps_storage_options_read(const mlps_config *cfg, uint32_t rank, mlps_store_options *out,
                              mlps_error *err);

/* The store URI of folder (the value of key, for messages): with storage_type s3 and a folder
 * without a scheme, s3://<storage_root>/<folder> ("./" and leading slashes dropped); otherwise a
 * copy of folder. *out is malloc'd. */
int mlps_storage_folder_uri(const mlps_config *cfg, const char *key, const char *folder,
                            char **out, mlps_error *err);

/* For the checks before a job starts: when uri is s3://, opens and closes its store with cfg's
 * options, which reads the whole S3 configuration (variables, .env, endpoints) without a
 * request, so a bad setting is one usage error before any results directory exists. */
int mlps_storage_check_config(const mlps_config *cfg, const char *uri, mlps_error *err);

#endif
