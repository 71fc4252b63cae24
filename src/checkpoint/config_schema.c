/* The keys of a checkpointing workload file: every DLIO key the MLPerf Storage llama3 configs use,
 * plus the DLIO checkpoint, storage and output knobs a user may reasonably set on top of them
 * (-p checkpoint.mode=subset, -p model.parallelism.data=8, ...). Defaults are DLIO's, except the
 * checkpoint counts and the pause between checkpoints: DLIO's -1 means "none" there, which is
 * spelled 0 here so that a negative count can be refused. Anything else in a file or an override
 * is rejected by the config layer with the nearest valid key. */
#include "checkpoint/config.h"

static const char *const frameworks[] = {"pytorch", "tensorflow", NULL};
static const char *const datatypes[] = {"int8", "uint8", "fp16", "bf16", "fp32", "fp64", NULL};
static const char *const modes[] = {"default", "subset", NULL};
static const char *const checkpoint_types[] = {"rank_zero", "all_ranks", NULL};
static const char *const storage_types[] = {"local_fs", "direct_fs", "parallel_fs", "s3",
                                            "aistore",  NULL};

#define INT MLPS_CFG_INT
#define DOUBLE MLPS_CFG_DOUBLE
#define BOOL MLPS_CFG_BOOL
#define STRING MLPS_CFG_STRING

static const mlps_cfg_key checkpoint_keys[] = {
    /* model */
    {"model.name", STRING, "default", NULL, "model name, used in result paths"},
    {"model.type", STRING, NULL, NULL, "model family (transformer); informational"},
    {"model.num_layers", INT, "-1", NULL, "transformer layers L"},
    {"model.model_datatype", STRING, "fp16", datatypes, "element type of the model weights"},
    {"model.optimizer_datatype", STRING, "fp32", datatypes,
     "element type of the optimizer state"},
    {"model.parallelism.tensor", INT, "1", NULL, "tensor parallelism TP"},
    {"model.parallelism.pipeline", INT, "1", NULL, "pipeline parallelism PP (stages)"},
    {"model.parallelism.data", INT, "-1", NULL,
     "data parallelism DP: set only in subset mode (-1: processes / (TP x PP))"},
    {"model.parallelism.zero_stage", INT, "0", NULL,
     "ZeRO stage 0..3: how model and optimizer state are split over DP"},
    {"model.transformer.vocab_size", INT, "32000", NULL, "vocabulary size V"},
    {"model.transformer.hidden_size", INT, "2048", NULL, "hidden size h"},
    {"model.transformer.ffn_hidden_size", INT, "8192", NULL, "MLP hidden size f"},
    {"model.transformer.num_attention_heads", INT, "32", NULL, "attention heads"},
    {"model.transformer.num_kv_heads", INT, "8", NULL, "key/value heads (grouped-query attention)"},
    {"framework", STRING, "tensorflow", frameworks, "training framework being emulated"},

    /* workflow: a checkpointing run is checkpoint-only */
    {"workflow.generate_data", BOOL, "false", NULL, "must be false: nothing to generate"},
    {"workflow.train", BOOL, "true", NULL, "must be false: checkpoint-only run"},
    {"workflow.evaluation", BOOL, "false", NULL, "no effect in a checkpoint-only run"},
    {"workflow.checkpoint", BOOL, "false", NULL, "must be true: checkpoint-only run"},
    {"workflow.profiling", BOOL, "false", NULL, "no effect in a checkpoint-only run"},

    /* checkpoint */
    {"checkpoint.checkpoint_folder", STRING, "./checkpoints/", NULL,
     "folder (or URI) that holds the global_epoch1_step<k> folders"},
    {"checkpoint.num_checkpoints_write", INT, "0", NULL, "checkpoints to write"},
    {"checkpoint.num_checkpoints_read", INT, "0", NULL,
     "checkpoints to read back (the first ones written)"},
    {"checkpoint.time_between_checkpoints", DOUBLE, "0", NULL,
     "seconds of emulated training before each checkpoint, outside the timed window"},
    {"checkpoint.fsync", BOOL, "false", NULL, "fsync each file before the write window closes"},
    {"checkpoint.mode", STRING, "default", modes,
     "default: all ranks of the job; subset: the first ranks of a job of DP x TP x PP"},
    {"checkpoint.rank_sync", BOOL, "false", NULL,
     "barrier before each checkpoint's timer stops, so the slowest rank counts"},
    {"checkpoint.type", STRING, "rank_zero", checkpoint_types, "which ranks write checkpoints"},
    {"checkpoint.recovery_rank_shift", BOOL, "false", NULL,
     "read back the files of the rank one host further on"},
    {"checkpoint.write_behind_mib", INT, "128", NULL,
     "file://: MiB of a file being written kept in the page cache; older data is flushed and "
     "dropped as the file is written (0: plain buffered writes, cached until the fsync)"},

    /* storage */
    {"storage.storage_type", STRING, "local_fs", storage_types, "storage kind"},
    {"storage.storage_root", STRING, "./", NULL, "root of the checkpoint folder (a bucket for s3)"},
    {"storage.storage_library", STRING, NULL, NULL, "object storage client library"},
    {"storage.storage_options.*", STRING, NULL, NULL, "options of the storage backend"},

    /* output */
    {"output.folder", STRING, NULL, NULL, "output folder (unset: the run directory)"},
    {"output.log_file", STRING, "dlio.log", NULL, "log file name in the output folder"},
};

static const mlps_cfg_schema checkpoint_schema = {
    .name = "checkpointing workload",
    .keys = checkpoint_keys,
    .count = sizeof checkpoint_keys / sizeof checkpoint_keys[0],
};

const mlps_cfg_schema *mlps_checkpoint_schema(void) { return &checkpoint_schema; }
