/* The results tree: where a run's files go and what its metadata file says. The layout and
 * key names are those of the MLPerf Storage wrapper, so its report tools read our runs:
 *   training         <root>/training/<model>/<command>/<YYYYMMDD_HHMMSS>/
 *   checkpointing    <root>/checkpointing/<model>/<YYYYMMDD_HHMMSS>/
 *   vector_database  <root>/vector_database/<command>/<YYYYMMDD_HHMMSS>/
 *   kv_cache         <root>/kv_cache/<command>/<YYYYMMDD_HHMMSS>/
 *   storage          <root>/storage/<command>/<YYYYMMDD_HHMMSS>/
 * holding <type>_<datetime>_metadata.json (written even when the run fails),
 * <type>_<command>.stdout.log / .stderr.log and the benchmark's summary.json.
 * Every JSON file is written atomically. */
#ifndef MLPS_CORE_RESULTS_H
#define MLPS_CORE_RESULTS_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "core/error.h"

typedef enum mlps_benchmark_type {
    MLPS_BENCHMARK_TRAINING,
    MLPS_BENCHMARK_CHECKPOINTING,
    MLPS_BENCHMARK_VECTOR_DATABASE,
    MLPS_BENCHMARK_KV_CACHE,
    MLPS_BENCHMARK_STORAGE,
    MLPS_BENCHMARK_TYPE_COUNT
} mlps_benchmark_type;

/* "training", "checkpointing", "vector_database", "kv_cache", "storage"; NULL if invalid. */
const char *mlps_benchmark_type_name(mlps_benchmark_type type);
/* Inverse of mlps_benchmark_type_name; a usage error listing the valid names otherwise. */
int mlps_benchmark_type_from_name(const char *name, mlps_benchmark_type *out, mlps_error *err);
/* Whether the type's directory has a <model> level (training, checkpointing). */
bool mlps_benchmark_type_has_model_dir(mlps_benchmark_type type);
/* Whether the type's directory has a <command> level (all but checkpointing). */
bool mlps_benchmark_type_has_command_dir(mlps_benchmark_type type);

#define MLPS_RUN_NAME_MAX 128
#define MLPS_RUN_DATETIME_MAX 32

/* One run's place in the results tree. Plain data without pointers, so rank 0 can create
 * the directory and broadcast the struct to the other ranks as bytes. */
typedef struct mlps_run_info {
    mlps_benchmark_type type;
    char model[MLPS_RUN_NAME_MAX]; /* "" when not given */
    char command[MLPS_RUN_NAME_MAX];
    /* As the caller gave it ("YYYYMMDD_HHMMSS"); names the metadata file even when the
     * directory had to take a suffix. */
    char run_datetime[MLPS_RUN_DATETIME_MAX];
    char run_dir[PATH_MAX];
} mlps_run_info;

/* The current local time as "YYYYMMDD_HHMMSS". Take it once per run and pass it on, so that
 * every loop and rank names the same directory. */
void mlps_results_current_datetime(char *out, size_t size);

/* The results root when --results-dir is not given: $MLPERF_RESULTS_DIR when set and not
 * empty (*is_temp = false), else "<$TMPDIR or /tmp>/mlperf_storage_results" (*is_temp =
 * true), in which case a WARNING line says so and how to choose another place. Returns buf,
 * or NULL when the path does not fit in n bytes. is_temp may be NULL. */
const char *mlps_default_results_root(char *buf, size_t n, bool *is_temp);

/* The directory a run would get, without creating anything. model must be given for types
 * with a model level (else a usage error naming --model); command is always required. Names
 * must not be empty, ".", "..", or contain '/'; run_datetime must be "YYYYMMDD_HHMMSS". */
int mlps_results_run_dir_path(const char *results_root, mlps_benchmark_type type,
                              const char *model, const char *command, const char *run_datetime,
                              char *out, size_t size, mlps_error *err);

/* Creates the run's directory (and missing parents) and fills *run. When the directory
 * already exists (two runs started within the same second) the new run gets
 * "<datetime>_1", "<datetime>_2", ... instead, so no earlier result is ever overwritten;
 * run->run_datetime keeps the caller's value. On failure nothing this call created is left
 * behind and the message names the path. */
int mlps_results_create_run_dir(const char *results_root, mlps_benchmark_type type,
                                const char *model, const char *command,
                                const char *run_datetime, mlps_run_info *run, mlps_error *err);

/* "<run_dir>/<type>_<command>.stdout.log" and ".stderr.log". */
int mlps_results_log_paths(const mlps_run_info *run, char *stdout_path, size_t stdout_size,
                           char *stderr_path, size_t stderr_size, mlps_error *err);
/* Opens both log files for appending; on failure neither is left open. */
int mlps_results_open_logs(const mlps_run_info *run, FILE **stdout_log, FILE **stderr_log,
                           mlps_error *err);

typedef enum mlps_verification {
    MLPS_VERIFICATION_UNKNOWN, /* written as null */
    MLPS_VERIFICATION_CLOSED,
    MLPS_VERIFICATION_OPEN,
    MLPS_VERIFICATION_INVALID,
} mlps_verification;

/* "CLOSED", "OPEN", "INVALID"; NULL for UNKNOWN. */
const char *mlps_verification_name(mlps_verification verification);

/* What a run records besides its place in the tree. JSON values are borrowed (the writer
 * takes its own references); NULL and the "unknown" values below are written as null. */
typedef struct mlps_run_metadata {
    int num_processes;             /* <= 0: unknown */
    const char *accelerator;       /* NULL: unknown */
    json_t *parameters;            /* the merged configuration, nested */
    json_t *override_parameters;   /* flat {"a.b": value} of what the command line changed */
    json_t *system_info;           /* ClusterInformation from mlps_sysinfo_cluster_json */
    double runtime_seconds;        /* < 0: unknown */
    mlps_verification verification;
    const char *executed_command;  /* the command line as run */
    /* [{command, stdout, stderr}]; NULL: one entry with executed_command and the run's
     * log paths. */
    json_t *command_output_files;
    json_t *args;                  /* the parsed command-line arguments, an object */
    /* Extra keys a benchmark adds after the standard ones; a key equal to a standard key is
     * an error rather than a silent replacement. */
    json_t *extra;
} mlps_run_metadata;

/* Sets every field to unknown / NULL. */
void mlps_run_metadata_init(mlps_run_metadata *metadata);

/* The metadata object with, in order: benchmark_type, model, command, run_datetime,
 * num_processes, accelerator, result_dir, parameters, override_parameters, system_info,
 * runtime, verification, executed_command, command_output_files, args, then extra keys.
 * NULL on failure with err set. */
json_t *mlps_results_metadata_json(const mlps_run_info *run, const mlps_run_metadata *metadata,
                                   mlps_error *err);

/* "<run_dir>/<type>_<run_datetime>_metadata.json". */
int mlps_results_metadata_path(const mlps_run_info *run, char *out, size_t size,
                               mlps_error *err);

/* Writes the metadata file atomically. */
int mlps_results_write_metadata(const mlps_run_info *run, const mlps_run_metadata *metadata,
                                mlps_error *err);

/* Writes the merged workload configuration to "<run_dir>/dlio_config/config.yaml" atomically. */
int mlps_results_write_config(const char *run_dir, const mlps_config *config, mlps_error *err);

/* Writes "<run_dir>/summary.json" atomically. */
int mlps_results_write_summary(const char *run_dir, const json_t *summary, mlps_error *err);

#endif
