/* The training run; see run.h. One block per epoch, or one per run of steps between
 * checkpoints (train_ckpt.h); a checkpoint's time lies between blocks, and an evaluation
 * (eval.h) after them, within the epoch. Clocks: monotonic for L, C, P and the block; wall for
 * the output. */
#include "training/run.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/comm_agree.h"
#include "core/hist_reduce.h"
#include "core/log.h"
#include "core/pagecache.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/units.h"
#include "io/s3.h"
#include "io/storage_config.h"
#include "training/datagen.h"
#include "training/dataset_split.h"
#include "training/eval.h"
#include "training/split_reader.h"
#include "training/step.h"
#include "training/train_ckpt.h"

/* What the step loop needs while it runs. */
typedef struct trainer {
    const mlps_comm *comm;
    const mlps_workload *workload;
    const mlps_format *format;
    mlps_format_params params;
    mlps_dataset_layout layout;
    mlps_dataset_files train_files; /* the files read, in DLIO's order (dataset_files.h) */
    mlps_store *store;
    mlps_split_reader reader; /* train/ */
    mlps_evaluator evaluator; /* valid/, with workflow.evaluation */
    mlps_rng compute_rng;
    mlps_training_result *result;
    mlps_train_ckpt_schedule checkpoints;
    mlps_train_ckpt_writer checkpoint_writer;
    bool drop_caches;
    bool warned_drop_refused;
    /* live view of the current epoch */
    mlps_progress progress;
    uint64_t epoch, block_start_ns;
    double compute_seconds, load_seconds;
    uint64_t bytes;
} trainer;

/* --- the files read --- */

/* The summary says which files were read. */
static int note_train_files(trainer *t, mlps_error *err)
{
    const mlps_dataset_files *files = &t->train_files;
    mlps_training_result *result = t->result;
    result->files_available = files->available;
    result->files_used = files->count;
    result->files_subfolders = files->subfolders;
    if (files->count == 0)
        return 0;
    result->first_file = strdup(files->paths[0]);
    result->last_file = strdup(files->paths[files->count - 1]);
    if (!result->first_file || !result->last_file)
        return mlps_fail(err, -ENOMEM, "out of memory noting the dataset's files");
    return 0;
}

/* --- set-up --- */

/* Only the file schemes read through this host's page cache; an object store's data never
 * lands there, so there is nothing to drop (--drop-caches) or bypass (reader.odirect). */
static bool data_is_in_host_cache(const trainer *t)
{
    const char *scheme = mlps_store_scheme(t->store);
    return strcmp(scheme, "file") == 0 || strcmp(scheme, "direct") == 0;
}

/* The data folder as a store: direct:// when reader.odirect asks for O_DIRECT of a local folder
 * (a path or file://); other schemes (s3://, null://) have no page cache to bypass. */
static int open_dataset_store(const mlps_workload *w, uint32_t rank, bool odirect,
                              mlps_store **out, mlps_error *err)
{
    const char *folder = w->dataset.data_folder;
    char uri[PATH_MAX + 16];
    if (odirect && !strstr(folder, "://")) {
        char absolute[PATH_MAX];
        if (!realpath(folder, absolute))
            return mlps_fail_usage(err, -errno, "dataset.data_folder %s: %s", folder,
                                   strerror(errno));
        snprintf(uri, sizeof uri, "direct://%s", absolute);
    } else if (odirect && strncmp(folder, "file://", 7) == 0) {
        snprintf(uri, sizeof uri, "direct://%s", folder + 7);
    } else {
        snprintf(uri, sizeof uri, "%s", folder);
    }
    mlps_store_options options;
    int rc = mlps_storage_options_read(w->config, rank, &options, err);
    if (!rc)
        rc = mlps_store_open(uri, &options, out, err);
    if (rc)
        mlps_error_prefix(err, "dataset.data_folder: ");
    return rc;
}

/* reader.odirect=true where the filesystem refuses O_DIRECT is a configuration error, said
 * before the first step rather than by the first read. */
static int check_direct_reads(const trainer *t, mlps_error *err)
{
    mlps_store *direct = NULL;
    mlps_file *file = NULL;
    int rc = open_dataset_store(t->workload, (uint32_t)t->comm->rank, true, &direct, err);
    if (!rc)
        rc = mlps_file_open(direct, t->train_files.paths[0], MLPS_OPEN_READ, &file, err);
    if (file)
        mlps_file_close(file, NULL);
    if (direct)
        mlps_store_close(direct);
    if (rc == -EINVAL)
        return mlps_fail_usage(err, rc,
                               "reader.odirect=true: the filesystem of %s does not support "
                               "O_DIRECT; set reader.odirect=false",
                               t->workload->dataset.data_folder);
    return rc;
}

static int init_trainer(trainer *t, const mlps_comm *comm, const mlps_workload *w,
                        mlps_training_result *result, bool odirect, mlps_error *err)
{
    memset(t, 0, sizeof *t);
    t->comm = comm;
    t->workload = w;
    t->result = result;
    int rc = mlps_workload_require_format(w, &t->format, err);
    if (rc)
        return rc;
    mlps_workload_format_params(w, &t->params);
    mlps_datagen_layout(w, t->format, &t->layout);
    mlps_rng_stream(&t->compute_rng, w->train.seed, (uint64_t)comm->rank);
    return open_dataset_store(w, (uint32_t)comm->rank, odirect, &t->store, err);
}

static void close_trainer(trainer *t)
{
    mlps_train_ckpt_writer_close(&t->checkpoint_writer);
    mlps_evaluator_close(&t->evaluator);
    mlps_split_reader_close(&t->reader);
    mlps_dataset_files_free(&t->train_files);
    if (t->store)
        mlps_store_close(t->store);
}

int mlps_training_check_dataset(const mlps_comm *comm, const mlps_workload *workload,
                                mlps_error *err)
{
    trainer t;
    mlps_training_result scratch = {0};
    int rc = init_trainer(&t, comm, workload, &scratch, false, err);
    if (!rc && comm->rank == 0)
        rc = mlps_dataset_split_find(t.store, workload, &t.layout, MLPS_SPLIT_TRAIN,
                                     &t.train_files, err);
    if (!rc && comm->rank == 0 && workload->workflow.evaluation) {
        mlps_dataset_files valid_files;
        rc = mlps_dataset_split_find(t.store, workload, &t.layout, MLPS_SPLIT_VALID,
                                     &valid_files, err);
        mlps_dataset_files_free(&valid_files);
    }
    bool direct = workload->reader.odirect && !rc && data_is_in_host_cache(&t);
    if (!rc && comm->rank == 0 && workload->reader.odirect && !direct)
        mlps_info("reader.odirect=true: %s is not read through the page cache; nothing to "
                  "bypass", mlps_store_uri(t.store));
    if (!rc && comm->rank == 0 && direct)
        rc = check_direct_reads(&t, err);
    close_trainer(&t);
    return mlps_comm_agree(comm, rc, err);
}

void mlps_training_order_params(const mlps_workload *w, uint32_t ranks, mlps_order_params *out)
{
    *out = (mlps_order_params){
        .num_files = w->dataset.num_files_train,
        .samples_per_file = w->dataset.num_samples_per_file,
        .batch_size = w->reader.batch_size,
        .ranks = ranks,
        .total_training_steps = w->train.total_training_steps > 0
                                    ? (uint64_t)w->train.total_training_steps : 0,
        .seed = w->train.seed,
        .seed_change_epoch = w->train.seed_change_epoch,
        .file_shuffle = w->reader.file_shuffle != MLPS_SHUFFLE_OFF,
        .sample_shuffle = w->reader.sample_shuffle != MLPS_SHUFFLE_OFF,
        .shuffle_size = w->reader.shuffle_size,
    };
}

int mlps_training_plan(const mlps_workload *w, uint32_t ranks, mlps_plan *plan,
                       mlps_error *err)
{
    mlps_order_params order;
    mlps_training_order_params(w, ranks, &order);
    int rc = mlps_plan_init(plan, &order, err);
    mlps_plan evaluation;
    if (!rc && w->workflow.evaluation)
        rc = mlps_eval_plan(w, ranks, &evaluation, err);
    return rc;
}

static int plan_run(trainer *t, mlps_error *err)
{
    const mlps_workload *w = t->workload;
    int rc = mlps_training_plan(w, (uint32_t)t->comm->size, &t->result->plan, err);
    t->result->window = (mlps_metric_window){
        .steps = t->result->plan.steps_per_epoch,
        .exclude_start_steps = w->metric.exclude_start_steps,
        .exclude_end_steps = w->metric.exclude_end_steps,
        .batch_size = w->reader.batch_size,
    };
    return rc;
}

static int start_loader(trainer *t, const mlps_training_options *options, mlps_error *err)
{
    unsigned queue_depth = options ? options->queue_depth : 0;
    mlps_loader_config config = mlps_split_reader_config(t->workload, &t->result->plan,
                                                         queue_depth);
    if (t->comm->rank == 0)
        mlps_split_reader_say_memory("train/", &config, mlps_store_alignment(t->store));
    int rc = mlps_split_reader_open(&t->reader, t->store, t->format, &t->params, &config,
                                    &t->train_files, &t->result->plan, (uint32_t)t->comm->rank,
                                    err);
    return rc;
}

/* Collective: with workflow.evaluation, the valid files are listed and their reader started
 * before the first epoch, as DLIO prepares both loaders up front. */
static int start_evaluator(trainer *t, const mlps_training_options *options, mlps_error *err)
{
    int rc = mlps_evaluator_open(&t->evaluator, t->comm, t->workload, t->store, t->format,
                                 &t->params, options ? options->queue_depth : 0, err);
    mlps_training_result *result = t->result;
    result->eval_window = t->evaluator.window;
    result->eval_files_available = t->evaluator.files.available;
    result->eval_files_used = t->evaluator.files.count;
    return rc;
}

/* --- the step loop --- */

static void live_detail(void *ctx, char *out, size_t size)
{
    const trainer *t = ctx;
    double elapsed = mlps_ns_to_seconds(mlps_monotonic_ns() - t->block_start_ns);
    char rate[48];
    mlps_format_rate(elapsed > 0 ? (double)t->bytes / elapsed : 0, rate, sizeof rate);
    double busy = t->compute_seconds + t->load_seconds;
    snprintf(out, size, "epoch %" PRIu64 ", AU %.1f%%, read %s (rank 0), waiting for data %.0f%%",
             t->epoch, elapsed > 0 ? 100.0 * t->compute_seconds / elapsed : 0.0, rate,
             busy > 0 ? 100.0 * t->load_seconds / busy : 0.0);
}

static int one_step(trainer *t, mlps_block_record *block, mlps_error *err)
{
    mlps_step_times step;
    int rc = mlps_step_run(t->reader.loader, &t->workload->train.computation_time, &t->compute_rng,
                           &step, err);
    if (rc)
        return mlps_comm_agree(t->comm, rc, err);
    t->compute_seconds += step.compute_seconds;
    t->load_seconds += step.load_seconds;
    t->bytes += step.bytes;
    rc = mlps_block_record_add_step(block, step.load_seconds, step.compute_seconds,
                                    step.load_seconds + step.compute_seconds, step.bytes, err);
    /* The step's collective stands in for the gradient allreduce (its wait is in the block, not
     * in P); it also carries whether any rank failed, so all stop together. */
    return mlps_comm_agree(t->comm, rc, err);
}

/* One rank per host drops the host's page cache, so the epoch reads from the storage. */
static void drop_host_cache(trainer *t)
{
    if (!t->drop_caches || t->comm->local_rank != 0 || !data_is_in_host_cache(t))
        return;
    mlps_error err = {0};
    if (mlps_drop_host_cache(&err) != 0 && !t->warned_drop_refused) {
        mlps_warn("--drop-caches: %s", err.message);
        t->warned_drop_refused = true;
    }
}

/* --- checkpoints between blocks --- */

/* Steps the next block will hold, so its record is sized once: up to the next checkpoint. */
static uint64_t steps_of_next_block(const trainer *t, uint64_t steps_left)
{
    uint64_t k = t->checkpoints.steps_between;
    return k > 0 && k < steps_left ? k : steps_left;
}

/* The timed checkpoint after the epoch's latest block, recorded in the epoch. */
static int save_checkpoint(trainer *t, mlps_epoch_record *record, uint64_t step, mlps_error *err)
{
    mlps_train_ckpt_record checkpoint = {.after_block = record->block_count - 1};
    int rc = mlps_train_ckpt_save(&t->checkpoint_writer, record->epoch, step, &checkpoint, err);
    if (!rc)
        rc = mlps_epoch_record_add_checkpoint(record, &checkpoint, err);
    return mlps_comm_agree(t->comm, rc, err);
}

/* A checkpoint after `step` of the epoch ends the current block; the steps after it (if any)
 * form a new block, which *block becomes (NULL when the epoch has no step left). */
static int checkpoint_between_blocks(trainer *t, mlps_epoch_record *record, uint64_t step,
                                     uint64_t steps_left, mlps_block_record **block,
                                     mlps_error *err)
{
    mlps_block_record_end(*block, mlps_monotonic_ns(), mlps_wall_ns());
    *block = NULL;
    int rc = save_checkpoint(t, record, step, err);
    if (!rc && steps_left > 0)
        rc = mlps_epoch_record_start_block(record, steps_of_next_block(t, steps_left),
                                           mlps_monotonic_ns(), mlps_wall_ns(), block, err);
    return mlps_comm_agree(t->comm, rc, err);
}

/* --- epochs --- */

static int run_epoch(trainer *t, uint64_t epoch, mlps_epoch_record *record, mlps_error *err)
{
    uint64_t steps = t->result->plan.steps_per_epoch;
    drop_host_cache(t);
    int rc = mlps_comm_barrier(t->comm, err);
    if (!rc)
        rc = mlps_loader_start_epoch(t->reader.loader, epoch, err);
    mlps_epoch_record_init(record, epoch, mlps_wall_ns());
    mlps_block_record *block = NULL;
    t->block_start_ns = mlps_monotonic_ns();
    if (!rc)
        rc = mlps_epoch_record_start_block(record, steps_of_next_block(t, steps),
                                           t->block_start_ns, mlps_wall_ns(), &block, err);
    rc = mlps_comm_agree(t->comm, rc, err);
    t->epoch = epoch;
    t->compute_seconds = t->load_seconds = 0;
    t->bytes = 0;
    char label[64];
    snprintf(label, sizeof label, "epoch %" PRIu64, epoch);
    mlps_progress_start(&t->progress, label, MLPS_PROGRESS_ITEMS, "steps", steps,
                        t->comm->rank == 0, -1);
    t->progress.detail = live_detail;
    t->progress.detail_ctx = t;
    for (uint64_t step = 1; step <= steps && !rc; step++) {
        rc = one_step(t, block, err);
        mlps_progress_add(&t->progress, 1);
        mlps_progress_tick(&t->progress);
        if (!rc && mlps_train_ckpt_due_after_step(&t->checkpoints, step))
            rc = checkpoint_between_blocks(t, record, step, steps - step, &block, err);
    }
    if (block)
        mlps_block_record_end(block, mlps_monotonic_ns(), mlps_wall_ns());
    mlps_loader_end_epoch(t->reader.loader);
    if (!rc) {
        mlps_progress_finish(&t->progress);
        rc = mlps_comm_barrier(t->comm, err);
    }
    if (!rc && mlps_train_ckpt_due_after_epoch(&t->checkpoints, epoch))
        rc = save_checkpoint(t, record, steps, err);
    if (!rc)
        rc = mlps_evaluator_after_epoch(&t->evaluator, epoch, record, err);
    record->end_wall_ns = mlps_wall_ns();
    return rc;
}

static int run_epochs(trainer *t, mlps_error *err)
{
    uint64_t epochs = t->workload->train.epochs;
    mlps_training_result *result = t->result;
    result->epochs = calloc(epochs ? epochs : 1, sizeof *result->epochs);
    int rc = result->epochs ? 0
                            : mlps_fail(err, -ENOMEM, "out of memory for %" PRIu64 " epochs",
                                        epochs);
    rc = mlps_comm_agree(t->comm, rc, err);
    for (uint64_t e = 1; e <= epochs && !rc; e++) {
        rc = run_epoch(t, e, &result->epochs[e - 1], err);
        result->epoch_count = e;
    }
    return rc;
}

/* --- results over all ranks --- */

static int reduce_results(trainer *t, mlps_error *err)
{
    mlps_training_result *result = t->result;
    mlps_epoch_metrics *per_epoch = calloc(result->epoch_count, sizeof *per_epoch);
    if (!per_epoch)
        return mlps_fail(err, -ENOMEM, "out of memory");
    for (size_t e = 0; e < result->epoch_count; e++)
        mlps_epoch_metrics_compute(&result->window, &result->epochs[e], &per_epoch[e]);
    mlps_run_metric_params params = {.record_size = mlps_workload_record_bytes(t->workload),
                                     .au_expectation = t->workload->metric.au};
    int rc = mlps_metrics_reduce(t->comm, per_epoch, result->epoch_count, &params,
                                 &result->metrics, err);
    free(per_epoch);
    if (!rc && t->evaluator.schedule.enabled)
        rc = mlps_eval_metrics_reduce(t->comm, &result->eval_window, result->epochs,
                                      result->epoch_count, &params, &result->metrics.evaluation,
                                      err);
    if (!rc)
        rc = mlps_train_ckpt_metrics_compute(result->epochs, result->epoch_count,
                                             t->checkpoints.enabled,
                                             mlps_train_ckpt_bytes(&t->checkpoint_writer),
                                             &result->metrics.checkpoints, err);
    mlps_loader_stats_merged(t->reader.loader, &result->rank_io);
    mlps_evaluator_add_stats(&t->evaluator, &result->rank_io);
    result->io = result->rank_io;
    uint64_t counts[5] = {result->io.bytes_read, result->io.sample_bytes, result->io.samples,
                          result->io.requests, mlps_store_s3_retries(t->store)};
    if (!rc)
        rc = mlps_comm_sum_u64(t->comm, counts, 5, err);
    if (!rc)
        rc = mlps_hist_reduce(t->comm, &result->io.read_latency_ns, err);
    result->io.bytes_read = counts[0];
    result->io.sample_bytes = counts[1];
    result->io.samples = counts[2];
    result->io.requests = counts[3];
    result->s3_retries = counts[4];
    result->data_on_s3 = strcmp(mlps_store_scheme(t->store), "s3") == 0;
    if (!rc && result->data_on_s3)
        rc = mlps_store_s3_endpoints_gather(t->comm, t->store, &result->s3_endpoints, err);
    if (!rc && result->data_on_s3)
        rc = mlps_store_s3_requests_reduce(t->comm, t->store, &result->s3_requests, err);
    return rc;
}

/* Collective: the checkpoint folder is ready before the first step, and rank 0 says what the
 * run will write (or that these keys write nothing). */
static int open_checkpoints(trainer *t, mlps_error *err)
{
    int rc = mlps_train_ckpt_writer_open(t->comm, t->workload, &t->checkpoints,
                                         &t->checkpoint_writer, err);
    if (rc || !t->checkpoints.enabled || t->comm->rank != 0)
        return rc;
    uint64_t count = mlps_train_ckpt_count(&t->checkpoints, t->workload->train.epochs,
                                           t->result->plan.steps_per_epoch);
    char bytes[32];
    mlps_format_bytes(mlps_train_ckpt_bytes(&t->checkpoint_writer), bytes, sizeof bytes);
    const mlps_workload_checkpoint *keys = &t->workload->checkpoint;
    if (!keys->fsync)
        mlps_info("checkpoint.fsync=false: checkpoints are fsynced anyway, as the rules require");
    if (count == 0 && t->checkpoints.steps_between > 0)
        mlps_warn("workflow.checkpoint=true writes no checkpoint in %" PRIu64 " epochs of %"
                  PRIu64 " steps: checkpoint.steps_between_checkpoints=%" PRId64
                  " is more steps than an epoch has", t->workload->train.epochs,
                  t->result->plan.steps_per_epoch, keys->steps_between);
    else if (count == 0)
        mlps_warn("workflow.checkpoint=true writes no checkpoint in %" PRIu64 " epochs: "
                  "checkpoint.checkpoint_after_epoch=%" PRIu64 " is after the last epoch",
                  t->workload->train.epochs, keys->after_epoch);
    else
        mlps_info("%" PRIu64 " checkpoints of %s each (written by %u of %d ranks) into %s",
                  count, bytes, t->checkpoint_writer.writing_ranks, t->comm->size,
                  mlps_store_uri(t->checkpoint_writer.store));
    return 0;
}

int mlps_training_run(const mlps_comm *comm, const mlps_workload *workload,
                      const mlps_training_options *options, mlps_training_result *result,
                      mlps_error *err)
{
    memset(result, 0, sizeof *result);
    trainer t;
    int rc = init_trainer(&t, comm, workload, result, workload->reader.odirect, err);
    t.drop_caches = options && options->drop_caches;
    if (!rc && t.drop_caches && comm->rank == 0 && !data_is_in_host_cache(&t))
        mlps_info("--drop-caches: %s is not read through the page cache; nothing to drop",
                  mlps_store_uri(t.store));
    rc = mlps_comm_agree(comm, rc, err);
    if (!rc)
        rc = mlps_dataset_split_agree(comm, t.store, workload, &t.layout, MLPS_SPLIT_TRAIN,
                                      &t.train_files, err);
    if (!rc && comm->rank == 0)
        mlps_dataset_split_describe(&t.train_files, MLPS_SPLIT_TRAIN);
    if (!rc)
        rc = note_train_files(&t, err);
    if (!rc)
        rc = plan_run(&t, err);
    if (!rc)
        rc = mlps_train_ckpt_schedule_init(workload, &t.checkpoints, err);
    if (!rc)
        rc = start_loader(&t, options, err);
    rc = mlps_comm_agree(comm, rc, err);
    if (!rc)
        rc = start_evaluator(&t, options, err);
    if (!rc)
        rc = open_checkpoints(&t, err);
    result->dataset_bytes = (double)workload->dataset.num_files_train *
                            (double)workload->dataset.num_samples_per_file *
                            mlps_workload_record_bytes(workload);
    result->start_wall_ns = mlps_wall_ns();
    if (!rc)
        rc = run_epochs(&t, err); /* agreed at every step: all ranks stop together */
    result->end_wall_ns = mlps_wall_ns();
    if (!rc)
        rc = reduce_results(&t, err);
    close_trainer(&t);
    return rc;
}

void mlps_training_result_free(mlps_training_result *result)
{
    for (size_t e = 0; e < result->epoch_count; e++)
        mlps_epoch_record_free(&result->epochs[e]);
    free(result->epochs);
    mlps_run_metrics_free(&result->metrics);
    json_decref(result->s3_endpoints);
    json_decref(result->s3_requests);
    free(result->first_file);
    free(result->last_file);
    memset(result, 0, sizeof *result);
}
