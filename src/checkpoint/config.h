/* The checkpointing workload: a DLIO workload file (configs/checkpointing/llama3_<size>.yaml, or
 * one's own) read against the schema of DLIO's keys, with -p overrides on top, checked into a
 * typed view whose model parameters feed the checkpoint model (checkpoint/model.h).
 *
 *     mlps_checkpoint_workload w;
 *     mlps_checkpoint_source src = {.model = "llama3-8b", .overrides = params, .override_count = n};
 *     if (mlps_checkpoint_workload_load(&src, &w, err) != 0) return ...;       // exit 2
 *     if (mlps_checkpoint_workload_validate(&w, comm_size, err) != 0) ...;     // exit 2
 *     mlps_checkpoint_layout_init(&layout, &w.params, comm_size, err);
 *     mlps_checkpoint_workload_free(&w);
 *
 * The workload owns its mlps_config (the file with overrides applied, for the run metadata); its
 * strings point into that config or into the workload and live until the workload is freed. */
#ifndef MLPS_CHECKPOINT_CONFIG_H
#define MLPS_CHECKPOINT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checkpoint/model.h"
#include "core/config.h"
#include "core/error.h"

/* The subfolder of the configs folder that holds the checkpointing workloads. */
#define MLPS_CHECKPOINT_CONFIGS_SUBFOLDER "checkpointing"

/* ---- the models and their files ---- */

/* The MLPerf checkpointing models, as the command line names them:
 * llama3-8b, llama3-70b, llama3-405b, llama3-1t. */
const char *const *mlps_checkpoint_models(size_t *count);

/* What the rules allow for a model (spec 20 §1.1 and §2.3, the wrapper's LLM_ALLOWED_VALUES):
 * CLOSED runs exactly closed_processes, or subset_processes in subset mode (not for 8B); OPEN
 * runs a multiple of open_multiple. A subset run sets checkpoint.mode=subset and
 * model.parallelism.data=subset_data (closed_processes / open_multiple). */
typedef struct mlps_checkpoint_model_rules {
    const char *model;          /* "llama3-405b" */
    uint64_t closed_processes;  /* 8, 64, 512, 1024 */
    uint64_t subset_processes;  /* 8; 0 when the model has no subset run (8B) */
    uint64_t open_multiple;     /* "GPUs per DP instance": 8, 8, 256, 512 */
    uint64_t subset_data;       /* 1, 8, 2, 2 */
} mlps_checkpoint_model_rules;

/* The rules of model, or NULL for a model that is not one of mlps_checkpoint_models. */
const mlps_checkpoint_model_rules *mlps_checkpoint_rules_of(const char *model);

/* <configs_dir>/checkpointing/<model with '-' as '_'>.yaml. An unknown model is a usage error
 * naming the nearest model and listing the valid ones. */
int mlps_checkpoint_config_path(const char *model, const char *configs_dir, char *out,
                                size_t size, mlps_error *err);

/* ---- the typed view ---- */

typedef struct mlps_checkpoint_settings {
    const char *folder;          /* checkpoint.checkpoint_folder, trailing '/' removed; with
                                    storage.storage_type direct_fs, a plain path becomes
                                    direct:///absolute/path */
    uint64_t num_write;          /* checkpoint.num_checkpoints_write */
    uint64_t num_read;           /* checkpoint.num_checkpoints_read, at most num_write if that > 0 */
    double time_between_seconds; /* checkpoint.time_between_checkpoints: pause before each one */
    bool fsync;
    bool rank_sync;              /* barrier before each checkpoint's timer stops */
    bool recovery_rank_shift;    /* read another host's files */
    uint64_t write_behind_bytes; /* checkpoint.write_behind_mib in bytes; 0: off */
    mlps_checkpoint_mode mode;   /* checkpoint.mode, also in params.mode */
    const char *type;            /* checkpoint.type: rank_zero or all_ranks */
} mlps_checkpoint_settings;

typedef struct mlps_checkpoint_workload {
    mlps_config *config;        /* owned: the file plus overrides */
    const char *model_name;     /* model.name ("llama_8b") */
    const char *model_type;     /* model.type, NULL when unset */
    const char *model_datatype; /* model.model_datatype ("fp16") */
    const char *optimizer_datatype;
    mlps_checkpoint_model_params params; /* model.*, checkpoint.mode */
    const char *framework;      /* pytorch or tensorflow */
    struct {
        bool generate_data, train, evaluation, checkpoint, profiling;
    } workflow;
    mlps_checkpoint_settings checkpoint;
    struct {
        const char *type_name;  /* storage.storage_type */
        const char *root;       /* storage.storage_root */
        const char *library;    /* storage.storage_library, NULL when unset */
    } storage;
    const char *output_folder;  /* NULL when unset */
    const char *log_file;
} mlps_checkpoint_workload;

/* ---- loading ---- */

/* The config schema of a checkpointing workload (DLIO's keys and defaults). */
const mlps_cfg_schema *mlps_checkpoint_schema(void);

typedef struct mlps_checkpoint_source {
    const char *model;       /* the shipped config of this model ("llama3-8b") ... */
    const char *configs_dir; /* ... in this folder; NULL: mlps_configs_dir("checkpointing") */
    const char *file;        /* instead of model: a workload file of one's own */
    const char *const *overrides; /* "key=value", applied in order over the file */
    size_t override_count;
} mlps_checkpoint_source;

/* Reads the workload file, applies the overrides and fills *out (mlps_checkpoint_workload_read).
 * On error *out holds nothing to free. */
int mlps_checkpoint_workload_load(const mlps_checkpoint_source *source,
                                  mlps_checkpoint_workload *out, mlps_error *err);

/* Checks cfg and fills *out from it, taking ownership of cfg (freed by
 * mlps_checkpoint_workload_free, or here on error). Every out-of-range value is a usage error
 * naming its key; so are negative checkpoint counts ("Number of checkpoints read and write must
 * be non-negative"), more reads than writes ("Number of checkpoints to read {r} cannot be larger
 * than number of checkpoints to write {w}", when writes > 0), and a workflow other than
 * checkpoint-only (workflow.checkpoint true; train and generate_data false). */
int mlps_checkpoint_workload_read(mlps_config *cfg, mlps_checkpoint_workload *out,
                                  mlps_error *err);

/* The checks that need the process count: mlps_checkpoint_params_check on the workload's
 * parameters, with the reference's messages (spec 20 §2.2). */
int mlps_checkpoint_workload_validate(const mlps_checkpoint_workload *workload,
                                      uint64_t comm_size, mlps_error *err);

void mlps_checkpoint_workload_free(mlps_checkpoint_workload *workload);

#endif
