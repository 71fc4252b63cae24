/* The training workload: a DLIO workload file (configs/training/<model>_<accelerator>.yaml, or
 * <model>_datagen.yaml) read against the schema of DLIO's keys, with -p overrides on top, and
 * checked into a typed view that datasize, datagen, the planner, the loader and the metrics read.
 *
 *     mlps_workload w;
 *     mlps_workload_source src = {.model = "unet3d", .accelerator = "h100",
 *                                 .overrides = params, .override_count = n};
 *     if (mlps_workload_load(&src, &w, err) != 0) return ...;   // exit 2 on bad input
 *     ... w.reader.batch_size, mlps_delay_draw(&w.train.computation_time, rng) ...
 *     mlps_workload_free(&w);
 *
 * The workload owns its mlps_config (the file with overrides applied, for the run metadata);
 * its strings point into that config or into the workload and live until mlps_workload_free. */
#ifndef MLPS_TRAINING_WORKLOAD_H
#define MLPS_TRAINING_WORKLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/configs_dir.h"
#include "core/error.h"
#include "formats/format.h"
#include "training/delay.h"

/* ---- where workloads live ---- */

/* Finds the configs folder that holds training/ (mlps_configs_dir of core/configs_dir.h):
 * $MLPS_CONFIG_DIR when set (it must hold training/); else the first of <dir of the
 * program>/../configs (a build tree inside the source tree), <dir of the
 * program>/../share/mlps/configs (an installed program) and the source tree's configs/ as it was
 * compiled from, that holds training/. A usage error lists what was tried. */
int mlps_workload_configs_dir(char *out, size_t size, mlps_error *err);

/* The same search with the environment value and the program path given (NULL: not set, not
 * known); mlps_workload_configs_dir passes getenv and /proc/self/exe. */
int mlps_workload_configs_dir_from(const char *env_value, const char *program_path, char *out,
                                   size_t size, mlps_error *err);

/* <configs_dir>/training/<model>_<accelerator>.yaml, or <model>_datagen.yaml when accelerator
 * is NULL or "datagen". An unknown model, or a model without a config for that accelerator, is a
 * usage error listing the valid pairs. */
int mlps_workload_config_path(const char *model, const char *accelerator, const char *configs_dir,
                              char *out, size_t size, mlps_error *err);

/* The MLPerf training models and their accelerators, for flag help and checks. */
typedef struct mlps_workload_model {
    const char *name;
    const char *accelerators[2];
} mlps_workload_model;
const mlps_workload_model *mlps_workload_models(size_t *count);
/* "unet3d with a100, h100; resnet50 with a100, h100; ..." */
void mlps_workload_describe_pairs(char *out, size_t size);

/* ---- the typed view ---- */

typedef enum mlps_framework { MLPS_FRAMEWORK_PYTORCH, MLPS_FRAMEWORK_TENSORFLOW } mlps_framework;
typedef enum mlps_shuffle { MLPS_SHUFFLE_OFF, MLPS_SHUFFLE_SEED, MLPS_SHUFFLE_RANDOM } mlps_shuffle;
typedef enum mlps_read_type { MLPS_READ_ON_DEMAND, MLPS_READ_IN_MEMORY } mlps_read_type;
typedef enum mlps_checkpoint_scope {
    MLPS_CHECKPOINT_RANK_ZERO,
    MLPS_CHECKPOINT_ALL_RANKS,
} mlps_checkpoint_scope;
typedef enum mlps_storage_type {
    MLPS_STORAGE_LOCAL_FS,
    MLPS_STORAGE_DIRECT_FS,
    MLPS_STORAGE_PARALLEL_FS,
    MLPS_STORAGE_S3,
    MLPS_STORAGE_AISTORE,
} mlps_storage_type;

/* One parquet column: `size` elements of `dtype` per row. */
typedef struct mlps_parquet_column {
    const char *name;
    const char *dtype;       /* numpy name: "float32", "int8", ... */
    unsigned element_bytes;  /* 1, 2, 4 or 8 */
    uint64_t size;           /* elements per row (1: a scalar column) */
} mlps_parquet_column;

typedef struct mlps_workload_dataset {
    const char *data_folder;     /* trailing '/' removed, as DLIO does */
    const char *format_name;     /* dataset.format */
    const mlps_format *format;   /* the registered implementation, or NULL */
    uint64_t num_files_train, num_files_eval;
    uint64_t num_samples_per_file;
    double record_length_bytes;  /* a float in resnet50: 114660.07 */
    double record_length_bytes_stdev;
    double record_length_bytes_resize;
    uint64_t num_subfolders_train, num_subfolders_eval;
    const char *file_prefix;
    const char *compression;     /* "none", "gzip", ... */
    int64_t compression_level;
    bool enable_chunking;
    uint64_t chunk_size;
    uint64_t num_dset_per_record;
    const char *record_element_type;
    unsigned element_bytes;      /* from record_element_type */
    bool keep_files;
    uint64_t generation_buffer_size;
    /* parquet column mode when parquet_column_count > 0 */
    const mlps_parquet_column *parquet_columns;
    size_t parquet_column_count;
    json_t *parquet_columns_json; /* [{name, dtype, size}] for the format layer; owned */
    uint64_t parquet_row_group_size;
    uint64_t parquet_generation_batch_size; /* 0 in the file means row_group_size */
    /* derived as DLIO does: the generated sample is dimension x dimension elements */
    uint64_t dimension;       /* floor(sqrt(record_length_bytes)) */
    double dimension_stdev;   /* record_length_bytes_stdev / (2 sqrt(record_length_bytes)) */
    uint64_t max_dimension;   /* floor(sqrt(resize)) when resize > 0, else dimension */
} mlps_workload_dataset;

typedef struct mlps_workload_reader {
    mlps_framework data_loader;
    uint64_t batch_size, batch_size_eval;
    uint64_t read_threads, computation_threads;
    uint64_t prefetch_size;
    mlps_shuffle file_shuffle, sample_shuffle;
    uint64_t shuffle_size;
    uint64_t transfer_size; /* 0: unset, whole reads */
    mlps_read_type read_type;
    bool odirect, dont_use_mmap, pin_memory;
    mlps_delay preprocess_time;
} mlps_workload_reader;

typedef struct mlps_workload_train {
    uint64_t epochs;
    mlps_delay computation_time;
    int64_t total_training_steps; /* <= 0: no limit */
    uint64_t seed;
    bool seed_change_epoch;
} mlps_workload_train;

typedef struct mlps_workload_evaluation {
    mlps_delay eval_time;
    uint64_t eval_after_epoch, epochs_between_evals;
} mlps_workload_evaluation;

typedef struct mlps_workload_checkpoint {
    const char *folder;
    uint64_t after_epoch, epochs_between;
    int64_t steps_between; /* < 0: checkpoint by epoch */
    mlps_checkpoint_scope type;
    bool fsync;
} mlps_workload_checkpoint;

typedef struct mlps_workload_metric {
    double au; /* 0..1 */
    uint64_t exclude_start_steps, exclude_end_steps;
} mlps_workload_metric;

typedef struct mlps_workload_storage {
    mlps_storage_type type;
    const char *type_name;
    const char *root;
    const char *library; /* NULL when unset */
} mlps_workload_storage;

typedef struct mlps_workload {
    mlps_config *config; /* owned: the file plus overrides */
    const char *model;   /* model.name */
    uint64_t model_size_bytes;
    mlps_framework framework;
    struct {
        bool generate_data, train, evaluation, checkpoint, profiling;
    } workflow;
    mlps_workload_dataset dataset;
    mlps_workload_reader reader;
    mlps_workload_train train;
    mlps_workload_evaluation evaluation;
    mlps_workload_checkpoint checkpoint;
    mlps_workload_metric metric;
    mlps_workload_storage storage;
    const char *output_folder; /* NULL when unset */
    const char *log_file;
} mlps_workload;

/* ---- loading ---- */

/* The config schema of a training workload (DLIO's keys and defaults). */
const mlps_cfg_schema *mlps_workload_schema(void);

typedef struct mlps_workload_source {
    const char *model;       /* the shipped config of (model, accelerator) ... */
    const char *accelerator; /* ... NULL or "datagen": the model's datagen config */
    const char *configs_dir; /* NULL: mlps_workload_configs_dir() */
    const char *file;        /* instead of model: a workload file of one's own */
    const char *const *overrides; /* "key=value", applied in order over the file */
    size_t override_count;
} mlps_workload_source;

/* Reads the workload file, applies the overrides and fills *out (mlps_workload_read). On error
 * *out holds nothing to free. */
int mlps_workload_load(const mlps_workload_source *source, mlps_workload *out, mlps_error *err);

/* Checks cfg and fills *out from it, taking ownership of cfg (freed by mlps_workload_free, or
 * here on error). Every out-of-range value is a usage error naming its key. */
int mlps_workload_read(mlps_config *cfg, mlps_workload *out, mlps_error *err);

void mlps_workload_free(mlps_workload *workload);

/* ---- derived values ---- */

/* The format implementation of dataset.format; a usage error listing the implemented formats
 * when there is none (datagen and run need one, datasize does not). */
int mlps_workload_require_format(const mlps_workload *workload, const mlps_format **out,
                                 mlps_error *err);

/* Bytes of one sample as the metrics count it (DLIO's record size): the sum over parquet columns
 * of size x element bytes in column mode, else dataset.record_length_bytes. */
double mlps_workload_record_bytes(const mlps_workload *workload);

/* Bytes per element of a numpy type name ("float16" -> 2), 0 when unknown. */
unsigned mlps_element_bytes(const char *numpy_type);

/* The parameters the format layer needs to write and locate this dataset's files. */
void mlps_workload_format_params(const mlps_workload *workload, mlps_format_params *out);

const char *mlps_framework_name(mlps_framework framework);
const char *mlps_shuffle_name(mlps_shuffle shuffle);

#endif
