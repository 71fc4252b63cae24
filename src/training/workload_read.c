/* The typed view of a workload: reads every key of a loaded config into mlps_workload and checks
 * what the schema cannot (ranges, and how keys fit together), naming the key in every message.
 * Counts are read through one table so that each key's lower bound is stated once. */
#include "training/workload_internal.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "io/storage_config.h"

/* ---- counts: integers with a lower bound, stored as uint64_t ---- */

typedef struct count_key {
    const char *key;
    int64_t min;
    size_t offset; /* of the uint64_t in mlps_workload */
} count_key;

#define COUNT(key, min, field) {key, min, offsetof(mlps_workload, field)}

static const count_key count_keys[] = {
    COUNT("model.model_size_bytes", 0, model_size_bytes),
    COUNT("dataset.num_files_train", 1, dataset.num_files_train),
    COUNT("dataset.num_files_eval", 0, dataset.num_files_eval),
    COUNT("dataset.num_samples_per_file", 1, dataset.num_samples_per_file),
    COUNT("dataset.num_subfolders_train", 0, dataset.num_subfolders_train),
    COUNT("dataset.num_subfolders_eval", 0, dataset.num_subfolders_eval),
    COUNT("dataset.chunk_size", 0, dataset.chunk_size),
    COUNT("dataset.hdf5.num_dset_per_record", 1, dataset.num_dset_per_record),
    COUNT("dataset.generation_buffer_size", 1, dataset.generation_buffer_size),
    COUNT("dataset.parquet.row_group_size", 1, dataset.parquet_row_group_size),
    COUNT("dataset.parquet.generation_batch_size", 0, dataset.parquet_generation_batch_size),
    COUNT("reader.batch_size", 1, reader.batch_size),
    COUNT("reader.batch_size_eval", 1, reader.batch_size_eval),
    COUNT("reader.read_threads", 1, reader.read_threads),
    COUNT("reader.computation_threads", 1, reader.computation_threads),
    COUNT("reader.prefetch_size", 1, reader.prefetch_size),
    COUNT("reader.shuffle_size", 1, reader.shuffle_size),
    COUNT("train.epochs", 1, train.epochs),
    COUNT("train.seed", 0, train.seed),
    COUNT("evaluation.eval_after_epoch", 0, evaluation.eval_after_epoch),
    COUNT("evaluation.epochs_between_evals", 1, evaluation.epochs_between_evals),
    COUNT("checkpoint.checkpoint_after_epoch", 0, checkpoint.after_epoch),
    COUNT("checkpoint.epochs_between_checkpoints", 1, checkpoint.epochs_between),
    COUNT("output.metric.exclude_start_steps", 0, metric.exclude_start_steps),
    COUNT("output.metric.exclude_end_steps", 0, metric.exclude_end_steps),
};

static int fail_below(const char *key, long long value, long long min, mlps_error *err)
{
    return mlps_fail_usage(err, -EINVAL, "config key '%s' must be at least %lld, got %lld", key,
                           min, value);
}

static int read_counts(const mlps_config *cfg, mlps_workload *w, mlps_error *err)
{
    for (size_t i = 0; i < sizeof count_keys / sizeof count_keys[0]; i++) {
        const count_key *spec = &count_keys[i];
        int64_t value = mlps_config_get_int(cfg, spec->key);
        if (value < spec->min)
            return fail_below(spec->key, value, spec->min, err);
        *(uint64_t *)((char *)w + spec->offset) = (uint64_t)value;
    }
    return 0;
}

/* ---- booleans and choices ---- */

typedef struct flag_key {
    const char *key;
    size_t offset; /* of the bool in mlps_workload */
} flag_key;

#define FLAG(key, field) {key, offsetof(mlps_workload, field)}

static const flag_key flag_keys[] = {
    FLAG("workflow.generate_data", workflow.generate_data),
    FLAG("workflow.train", workflow.train),
    FLAG("workflow.evaluation", workflow.evaluation),
    FLAG("workflow.checkpoint", workflow.checkpoint),
    FLAG("workflow.profiling", workflow.profiling),
    FLAG("dataset.enable_chunking", dataset.enable_chunking),
    FLAG("dataset.keep_files", dataset.keep_files),
    FLAG("reader.odirect", reader.odirect),
    FLAG("reader.dont_use_mmap", reader.dont_use_mmap),
    FLAG("reader.pin_memory", reader.pin_memory),
    FLAG("train.seed_change_epoch", train.seed_change_epoch),
    FLAG("checkpoint.fsync", checkpoint.fsync),
};

static void read_flags(const mlps_config *cfg, mlps_workload *w)
{
    for (size_t i = 0; i < sizeof flag_keys / sizeof flag_keys[0]; i++)
        *(bool *)((char *)w + flag_keys[i].offset) =
            mlps_config_get_bool(cfg, flag_keys[i].key);
}

/* The position of the key's value among names; the schema's choices guarantee a match. */
static int choice(const mlps_config *cfg, const char *key, const char *const *names)
{
    const char *value = mlps_config_get_string(cfg, key);
    for (int i = 0; value && names[i]; i++)
        if (strcmp(names[i], value) == 0)
            return i;
    return 0;
}

static const char *const framework_names[] = {"pytorch", "tensorflow", NULL};
static const char *const shuffle_names[] = {"off", "seed", "random", NULL};
static const char *const read_type_names[] = {"on_demand", "memory", NULL};
static const char *const scope_names[] = {"rank_zero", "all_ranks", NULL};
static const char *const storage_names[] = {"local_fs", "direct_fs", "parallel_fs", "s3",
                                            "aistore",  NULL};

static void read_choices(const mlps_config *cfg, mlps_workload *w)
{
    w->framework = (mlps_framework)choice(cfg, "framework", framework_names);
    /* DLIO's unset data_loader never conflicts with the framework (its default is a string
     * that compares unequal to every loader), so unset means the framework's loader. */
    w->reader.data_loader = mlps_config_has(cfg, "reader.data_loader")
                                ? (mlps_framework)choice(cfg, "reader.data_loader",
                                                         framework_names)
                                : w->framework;
    w->reader.file_shuffle = (mlps_shuffle)choice(cfg, "reader.file_shuffle", shuffle_names);
    w->reader.sample_shuffle = (mlps_shuffle)choice(cfg, "reader.sample_shuffle", shuffle_names);
    w->reader.read_type = (mlps_read_type)choice(cfg, "reader.read_type", read_type_names);
    w->checkpoint.type = (mlps_checkpoint_scope)choice(cfg, "checkpoint.type", scope_names);
    w->storage.type = (mlps_storage_type)choice(cfg, "storage.storage_type", storage_names);
}

const char *mlps_framework_name(mlps_framework framework)
{
    return framework_names[framework == MLPS_FRAMEWORK_TENSORFLOW];
}

const char *mlps_shuffle_name(mlps_shuffle shuffle)
{
    return shuffle_names[shuffle <= MLPS_SHUFFLE_RANDOM ? shuffle : 0];
}

/* ---- strings ---- */

/* DLIO strips trailing slashes from folders ("data/unet3d/" names "data/unet3d"); the slashes
 * of a bare URI root ("null://", "file:///") stay. */
static char *strip_trailing_slashes(const char *path)
{
    size_t length = strlen(path);
    const char *scheme_end = strstr(path, "://");
    size_t keep = scheme_end ? (size_t)(scheme_end - path) + 3 : 1;
    while (length > keep && path[length - 1] == '/')
        length--;
    return strndup(path, length);
}

/* Replaces *folder by its store URI (storage.storage_type s3 makes a path a key prefix in the
 * bucket of storage.storage_root). */
static int folder_as_uri(const mlps_config *cfg, const char *key, char **folder,
                         mlps_error *err)
{
    char *uri = NULL;
    int rc = mlps_storage_folder_uri(cfg, key, *folder, &uri, err);
    if (rc == 0) {
        free(*folder);
        *folder = uri;
    }
    return rc;
}

static int in_object_storage(const mlps_config *cfg, mlps_workload *w, mlps_error *err)
{
    mlps_store_options checked;
    int rc = mlps_storage_options_read(cfg, 0, &checked, err);
    if (rc == 0)
        rc = folder_as_uri(cfg, "dataset.data_folder", (char **)&w->dataset.data_folder, err);
    if (rc == 0)
        rc = folder_as_uri(cfg, "checkpoint.checkpoint_folder", (char **)&w->checkpoint.folder,
                           err);
    return rc;
}

static int read_strings(const mlps_config *cfg, mlps_workload *w, mlps_error *err)
{
    w->model = mlps_config_get_string(cfg, "model.name");
    w->dataset.format_name = mlps_config_get_string(cfg, "dataset.format");
    w->dataset.format = mlps_format_find(w->dataset.format_name);
    w->dataset.file_prefix = mlps_config_get_string(cfg, "dataset.file_prefix");
    w->dataset.compression = mlps_config_get_string(cfg, "dataset.compression");
    w->dataset.record_element_type = mlps_config_get_string(cfg, "dataset.record_element_type");
    w->dataset.element_bytes = mlps_element_bytes(w->dataset.record_element_type);
    w->storage.type_name = mlps_config_get_string(cfg, "storage.storage_type");
    w->storage.root = mlps_config_get_string(cfg, "storage.storage_root");
    w->storage.library = mlps_config_get_string(cfg, "storage.storage_library");
    w->output_folder = mlps_config_get_string(cfg, "output.folder");
    w->log_file = mlps_config_get_string(cfg, "output.log_file");
    w->dataset.data_folder = strip_trailing_slashes(mlps_config_get_string(cfg,
                                                                           "dataset.data_folder"));
    w->checkpoint.folder =
        strip_trailing_slashes(mlps_config_get_string(cfg, "checkpoint.checkpoint_folder"));
    if (!w->dataset.data_folder || !w->checkpoint.folder)
        return mlps_fail(err, -ENOMEM, "out of memory reading the workload folders");
    if (!*w->dataset.data_folder)
        return mlps_fail_usage(err, -EINVAL, "config key 'dataset.data_folder' must not be empty");
    return in_object_storage(cfg, w, err);
}

/* ---- signed values and reals ---- */

static int read_signed(const mlps_config *cfg, mlps_workload *w, mlps_error *err)
{
    w->dataset.compression_level = mlps_config_get_int(cfg, "dataset.compression_level");
    w->train.total_training_steps = mlps_config_get_int(cfg, "train.total_training_steps");
    w->checkpoint.steps_between = mlps_config_get_int(cfg, "checkpoint.steps_between_checkpoints");
    if (w->checkpoint.steps_between == 0)
        return mlps_fail_usage(err, -EINVAL, "config key 'checkpoint.steps_between_checkpoints' "
                               "must be at least 1, or negative to checkpoint by epoch, got 0");
    w->reader.transfer_size = 0;
    if (mlps_config_has(cfg, "reader.transfer_size")) {
        int64_t transfer = mlps_config_get_int(cfg, "reader.transfer_size");
        if (transfer < 1)
            return fail_below("reader.transfer_size", transfer, 1, err);
        w->reader.transfer_size = (uint64_t)transfer;
    }
    return 0;
}

static int read_nonnegative(const mlps_config *cfg, const char *key, double *out, mlps_error *err)
{
    *out = mlps_config_get_double(cfg, key);
    if (!(*out >= 0.0))
        return mlps_fail_usage(err, -EINVAL, "config key '%s' must not be negative, got %g", key,
                               *out);
    return 0;
}

static int read_reals(const mlps_config *cfg, mlps_workload *w, mlps_error *err)
{
    mlps_workload_dataset *d = &w->dataset;
    int rc = read_nonnegative(cfg, "dataset.record_length_bytes", &d->record_length_bytes, err);
    if (rc == 0)
        rc = read_nonnegative(cfg, "dataset.record_length_bytes_stdev",
                              &d->record_length_bytes_stdev, err);
    if (rc == 0)
        rc = read_nonnegative(cfg, "dataset.record_length_bytes_resize",
                              &d->record_length_bytes_resize, err);
    if (rc != 0)
        return rc;
    w->metric.au = mlps_config_get_double(cfg, "metric.au");
    if (!(w->metric.au >= 0.0 && w->metric.au <= 1.0))
        return mlps_fail_usage(err, -EINVAL, "config key 'metric.au' must be a fraction between "
                               "0 and 1 (0.90 for 90 %%), got %g", w->metric.au);
    return 0;
}

/* ---- emulated times ---- */

static int read_delay(const mlps_config *cfg, const char *key, const char *stdev_key,
                      mlps_delay *out, mlps_error *err)
{
    bool has_stdev = mlps_config_has(cfg, stdev_key);
    double stdev = has_stdev ? mlps_config_get_double(cfg, stdev_key) : 0.0;
    return mlps_delay_parse(mlps_config_get_json(cfg, key), key, has_stdev, stdev, stdev_key, out,
                            err);
}

static int read_delays(const mlps_config *cfg, mlps_workload *w, mlps_error *err)
{
    int rc = read_delay(cfg, "train.computation_time", "train.computation_time_stdev",
                        &w->train.computation_time, err);
    if (rc == 0)
        rc = read_delay(cfg, "evaluation.eval_time", "evaluation.eval_time_stdev",
                        &w->evaluation.eval_time, err);
    if (rc == 0)
        rc = read_delay(cfg, "reader.preprocess_time", "reader.preprocess_time_stdev",
                        &w->reader.preprocess_time, err);
    return rc;
}

/* ---- how keys fit together ---- */

static int check_loader(const mlps_workload *w, mlps_error *err)
{
    if (w->framework != w->reader.data_loader)
        return mlps_fail_usage(err, -EINVAL, "config key 'reader.data_loader' is '%s' but "
                               "'framework' is '%s'; set both to the same",
                               mlps_framework_name(w->reader.data_loader),
                               mlps_framework_name(w->framework));
    if (w->reader.data_loader == MLPS_FRAMEWORK_PYTORCH &&
        strcmp(w->dataset.format_name, "tfrecord") == 0)
        return mlps_fail_usage(err, -EINVAL, "config key 'dataset.format' is 'tfrecord', which "
                               "the pytorch loader cannot read; use reader.data_loader=tensorflow "
                               "(and framework=tensorflow) or another format");
    return 0;
}

static int read_dataset_shape(const mlps_config *cfg, mlps_workload *w, mlps_error *err)
{
    mlps_workload_dataset *d = &w->dataset;
    if (strcmp(d->format_name, "parquet") == 0) {
        int rc = mlps_workload_read_columns(mlps_config_get_json(cfg, "dataset.parquet.columns"),
                                            d, err);
        if (rc != 0)
            return rc;
    }
    if (d->parquet_column_count == 0 && !(d->record_length_bytes > 0.0))
        return mlps_fail_usage(err, -EINVAL, "config key 'dataset.record_length_bytes' must be "
                               "greater than 0, got %g", d->record_length_bytes);
    double root = sqrt(d->record_length_bytes);
    d->dimension = (uint64_t)root;
    d->dimension_stdev = root > 0.0 ? d->record_length_bytes_stdev / (2.0 * root) : 0.0;
    d->max_dimension = d->record_length_bytes_resize > 0.0
                           ? (uint64_t)sqrt(d->record_length_bytes_resize)
                           : d->dimension;
    return 0;
}

/* ---- the whole view ---- */

static int read_view(const mlps_config *cfg, mlps_workload *w, mlps_error *err)
{
    read_flags(cfg, w);
    read_choices(cfg, w);
    int rc = read_strings(cfg, w, err);
    if (rc == 0)
        rc = read_counts(cfg, w, err);
    if (rc == 0)
        rc = read_signed(cfg, w, err);
    if (rc == 0)
        rc = read_reals(cfg, w, err);
    if (rc == 0)
        rc = read_delays(cfg, w, err);
    if (rc == 0)
        rc = check_loader(w, err);
    if (rc == 0)
        rc = read_dataset_shape(cfg, w, err);
    return rc;
}

int mlps_workload_read(mlps_config *cfg, mlps_workload *out, mlps_error *err)
{
    *out = (mlps_workload){.config = cfg};
    int rc = read_view(cfg, out, err);
    if (rc != 0)
        mlps_workload_free(out);
    return rc;
}

void mlps_workload_free(mlps_workload *workload)
{
    mlps_workload_free_columns(&workload->dataset);
    free((void *)workload->dataset.data_folder);
    free((void *)workload->checkpoint.folder);
    mlps_config_free(workload->config);
    *workload = (mlps_workload){0};
}
