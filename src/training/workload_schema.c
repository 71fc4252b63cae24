/* The keys of a training workload file: every DLIO key that the MLPerf Storage training configs
 * use, plus the DLIO keys a user may reasonably set on top of them, each with DLIO's default
 * (spec 10 §1, "DLIO defaults for unset keys"). Anything else in a workload file or a -p
 * override is rejected by the config layer with the nearest valid key.
 *
 * Some keys are accepted only because the shipped configs carry them although DLIO never reads
 * them (model.model_size, dataset.record_length, dataset.parquet.read_mode, the `read` flag of
 * a parquet column); their help says so. */
#include "training/workload.h"

static const char *const frameworks[] = {"pytorch", "tensorflow", NULL};

/* DLIO's FormatType values; whether mlps can write and read one is the format registry's
 * business (mlps_workload_require_format). */
static const char *const formats[] = {"npz",     "npy",        "tfrecord",       "hdf5",
                                      "csv",     "jpeg",       "png",            "parquet",
                                      "indexed_binary",        "mmap_indexed_binary",
                                      "synthetic", NULL};

static const char *const shuffles[] = {"off", "seed", "random", NULL};
static const char *const read_types[] = {"on_demand", "memory", NULL};
static const char *const compressions[] = {"none", "gzip", "lzf", "bz2", "zip", "xz", NULL};
static const char *const contexts[] = {"fork", "spawn", "forkserver", NULL};
static const char *const samplers[] = {"index", "iterative", NULL};
static const char *const checkpoint_types[] = {"rank_zero", "all_ranks", NULL};
static const char *const profilers[] = {"none", "iostat", "darshan", "tensorboard", NULL};
static const char *const storage_types[] = {"local_fs", "direct_fs", "parallel_fs", "s3",
                                            "aistore",  NULL};
static const char *const element_types[] = {"uint8",  "int8",   "bool",    "uint16",
                                             "int16",  "float16", "uint32", "int32",
                                             "float32", "uint64", "int64",  "float64", NULL};

#define INT MLPS_CFG_INT
#define DOUBLE MLPS_CFG_DOUBLE
#define BOOL MLPS_CFG_BOOL
#define STRING MLPS_CFG_STRING
#define SUBTREE MLPS_CFG_SUBTREE

static const mlps_cfg_key workload_keys[] = {
    /* model */
    {"model.name", STRING, "default", NULL, "model name, used in result paths"},
    {"model.type", STRING, NULL, NULL, "model family (cnn, transformer); informational"},
    {"model.model_size", INT, NULL, NULL,
     "accepted for the unet3d configs but not read: DLIO reads model.model_size_bytes"},
    {"model.model_size_bytes", INT, "10240", NULL, "bytes of model state per checkpoint"},
    {"framework", STRING, "tensorflow", frameworks, "training framework being emulated"},

    /* workflow */
    {"workflow.generate_data", BOOL, "false", NULL, "generate the dataset"},
    {"workflow.train", BOOL, "true", NULL, "run the training loop"},
    {"workflow.evaluation", BOOL, "false", NULL, "run evaluation steps after epochs"},
    {"workflow.checkpoint", BOOL, "false", NULL, "write checkpoints during training"},
    {"workflow.profiling", BOOL, "false", NULL, "run the profiler"},

    /* dataset */
    {"dataset.data_folder", STRING, "./data/", NULL, "dataset folder (holds train/ and valid/)"},
    {"dataset.format", STRING, "tfrecord", formats, "file format of the dataset"},
    {"dataset.num_files_train", INT, "8", NULL, "training files"},
    {"dataset.num_files_eval", INT, "0", NULL, "evaluation files"},
    {"dataset.num_samples_per_file", INT, "1", NULL, "samples (records, rows) per file"},
    {"dataset.record_length_bytes", DOUBLE, "65536", NULL, "mean bytes per sample"},
    {"dataset.record_length_bytes_stdev", DOUBLE, "0", NULL, "spread of bytes per sample"},
    {"dataset.record_length_bytes_resize", DOUBLE, "0", NULL,
     "bytes per sample after the emulated resize (0: no resize)"},
    {"dataset.record_length", DOUBLE, NULL, NULL,
     "accepted for the flux configs but ignored, as DLIO does: parquet columns give the size"},
    {"dataset.num_subfolders_train", INT, "0", NULL, "subfolders the training files spread over"},
    {"dataset.num_subfolders_eval", INT, "0", NULL, "subfolders the evaluation files spread over"},
    {"dataset.file_prefix", STRING, "img", NULL, "file name prefix"},
    {"dataset.compression", STRING, "none", compressions, "compression of written files"},
    {"dataset.compression_level", INT, "4", NULL, "compression level"},
    {"dataset.enable_chunking", BOOL, "false", NULL, "hdf5: chunked datasets"},
    {"dataset.chunk_size", INT, "0", NULL, "hdf5: chunk size in bytes"},
    {"dataset.hdf5.num_dset_per_record", INT, "1", NULL, "hdf5: datasets per record"},
    {"dataset.record_element_type", STRING, "uint8", element_types,
     "numpy type of a sample's elements"},
    {"dataset.keep_files", BOOL, "true", NULL, "keep the dataset after the run"},
    {"dataset.generation_buffer_size", INT, "2147483648", NULL,
     "bytes buffered per rank while generating"},
    {"dataset.parquet.columns", SUBTREE, NULL, NULL,
     "parquet columns: a list of {name, dtype, size (default 1), read (ignored)}"},
    {"dataset.parquet.row_group_size", INT, "1024", NULL, "parquet rows per row group"},
    {"dataset.parquet.generation_batch_size", INT, "0", NULL,
     "parquet rows generated per batch (0: row_group_size)"},
    {"dataset.parquet.read_mode", STRING, NULL, NULL,
     "accepted for the dlrm configs but not read by DLIO"},

    /* reader */
    {"reader.data_loader", STRING, NULL, frameworks,
     "data loader being emulated (unset: the framework's own)"},
    {"reader.data_loader_sampler", STRING, NULL, samplers, "pytorch sampler kind"},
    {"reader.batch_size", INT, "1", NULL, "samples per training step per accelerator"},
    {"reader.batch_size_eval", INT, "1", NULL, "samples per evaluation step per accelerator"},
    {"reader.read_threads", INT, "1", NULL, "reader threads per accelerator"},
    {"reader.computation_threads", INT, "1", NULL, "threads of the emulated preprocessing"},
    {"reader.prefetch_size", INT, "2", NULL, "batches read ahead"},
    {"reader.file_shuffle", STRING, "off", shuffles, "file order shuffle per epoch"},
    {"reader.sample_shuffle", STRING, "off", shuffles, "sample order shuffle per epoch"},
    {"reader.shuffle_size", INT, "1024", NULL, "records in the tfrecord shuffle buffer"},
    {"reader.transfer_size", INT, NULL, NULL, "bytes per read request (unset: whole reads)"},
    {"reader.read_type", STRING, "on_demand", read_types, "read per sample, or all in memory"},
    {"reader.odirect", BOOL, "false", NULL, "read with O_DIRECT, bypassing the page cache"},
    {"reader.dont_use_mmap", BOOL, "false", NULL, "do not memory-map files"},
    {"reader.preprocess_time", SUBTREE, NULL, NULL,
     "seconds of emulated preprocessing per sample: a number or {mean, stdev, type, ...}"},
    {"reader.preprocess_time_stdev", DOUBLE, NULL, NULL, "spread of reader.preprocess_time"},
    {"reader.multiprocessing_context", STRING, "fork", contexts, "pytorch worker start method"},
    {"reader.pin_memory", BOOL, "true", NULL, "pytorch pinned memory"},

    /* train */
    {"train.epochs", INT, "1", NULL, "epochs"},
    {"train.computation_time", SUBTREE, NULL, NULL,
     "seconds of emulated compute per step: a number or {mean, stdev, type, ...}"},
    {"train.computation_time_stdev", DOUBLE, NULL, NULL, "spread of train.computation_time"},
    {"train.total_training_steps", INT, "-1", NULL, "step limit per epoch (-1: none)"},
    {"train.seed", INT, "123", NULL, "seed of shuffles and emulated times"},
    {"train.seed_change_epoch", BOOL, "true", NULL, "change the shuffle seed every epoch"},

    /* evaluation */
    {"evaluation.eval_time", SUBTREE, NULL, NULL,
     "seconds of emulated compute per evaluation step: a number or {mean, stdev, type, ...}"},
    {"evaluation.eval_time_stdev", DOUBLE, NULL, NULL, "spread of evaluation.eval_time"},
    {"evaluation.eval_after_epoch", INT, "1", NULL, "first epoch followed by an evaluation"},
    {"evaluation.epochs_between_evals", INT, "1", NULL, "epochs between evaluations"},

    /* checkpoint */
    {"checkpoint.checkpoint_folder", STRING, "./checkpoints/", NULL, "checkpoint folder"},
    {"checkpoint.checkpoint_after_epoch", INT, "1", NULL, "first epoch followed by a checkpoint"},
    {"checkpoint.epochs_between_checkpoints", INT, "1", NULL, "epochs between checkpoints"},
    {"checkpoint.steps_between_checkpoints", INT, "-1", NULL,
     "steps between checkpoints (-1: checkpoint by epoch)"},
    {"checkpoint.type", STRING, "rank_zero", checkpoint_types, "which ranks write checkpoints"},
    {"checkpoint.fsync", BOOL, "false", NULL, "fsync checkpoint files"},

    /* metric and output */
    {"metric.au", DOUBLE, "0.90", NULL, "accelerator utilisation a run must reach (0..1)"},
    {"output.folder", STRING, NULL, NULL, "output folder (unset: the run directory)"},
    {"output.log_file", STRING, "dlio.log", NULL, "log file name in the output folder"},
    {"output.metric.exclude_start_steps", INT, "1", NULL,
     "steps at the start of a block left out of the metrics"},
    {"output.metric.exclude_end_steps", INT, "0", NULL,
     "steps at the end of a block left out of the metrics"},

    /* profiling */
    {"profiling.profiler", STRING, "iostat", profilers, "profiler to run"},
    {"profiling.iostat_devices", SUBTREE, NULL, NULL, "devices iostat watches"},

    /* storage */
    {"storage.storage_type", STRING, "local_fs", storage_types, "storage kind"},
    {"storage.storage_root", STRING, "./", NULL, "root of the data folder (a bucket for s3)"},
    {"storage.storage_library", STRING, NULL, NULL, "object storage client library"},
    {"storage.post_generation_settle_seconds", DOUBLE, "0", NULL,
     "seconds to wait after generating data on object storage"},
    {"storage.storage_options.*", STRING, NULL, NULL, "options of the storage backend"},
};

static const mlps_cfg_schema workload_schema = {
    .name = "training workload",
    .keys = workload_keys,
    .count = sizeof workload_keys / sizeof workload_keys[0],
};

const mlps_cfg_schema *mlps_workload_schema(void) { return &workload_schema; }
