/* A training run's evaluations; see eval.h. Each is one block of the epoch's record (metrics.h):
 * its wall time runs from before the first batch to after the last step on this rank, before
 * the ranks agree, so no other rank's pace enters it. */
#include "training/eval.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/comm_agree.h"
#include "core/log.h"
#include "core/units.h"
#include "training/datagen.h"
#include "training/dataset_split.h"
#include "training/step.h"

/* Evaluation draws its compute times from its own seed (the rank is the stream), so they
 * never shift training's. */
#define EVAL_SEED_PURPOSE UINT64_C(0x6576616c75617465) /* "evaluate" */

static int plan_evaluation(mlps_evaluator *ev, mlps_error *err)
{
    const mlps_workload *w = ev->workload;
    int rc = mlps_eval_plan(w, (uint32_t)ev->comm->size, &ev->plan, err);
    ev->window = (mlps_metric_window){
        .steps = ev->plan.steps_per_epoch,
        .exclude_start_steps = w->metric.exclude_start_steps,
        .exclude_end_steps = w->metric.exclude_end_steps,
        .batch_size = w->reader.batch_size_eval,
    };
    return rc;
}

static void say_what_evaluations_read(const mlps_evaluator *ev)
{
    const mlps_workload *w = ev->workload;
    mlps_dataset_split_describe(&ev->files, MLPS_SPLIT_VALID);
    char compute[96];
    mlps_delay_describe(&w->evaluation.eval_time, compute, sizeof compute);
    mlps_info("%" PRIu64 " evaluations of %" PRIu64 " steps = %" PRIu64 " samples per file x %"
              PRIu64 " files / batch_size_eval %" PRIu64 " / %d accelerators; %s of compute per "
              "step", mlps_eval_count(&ev->schedule, w->train.epochs), ev->plan.steps_per_epoch,
              w->dataset.num_samples_per_file, w->dataset.num_files_eval,
              w->reader.batch_size_eval, ev->comm->size, compute);
}

int mlps_evaluator_open(mlps_evaluator *ev, const mlps_comm *comm, const mlps_workload *w,
                        mlps_store *store, const mlps_format *format,
                        const mlps_format_params *params, unsigned queue_depth, mlps_error *err)
{
    *ev = (mlps_evaluator){.comm = comm, .workload = w};
    mlps_eval_schedule_init(&ev->schedule, w);
    if (!ev->schedule.enabled)
        return 0;
    mlps_rng_stream(&ev->compute_rng, w->train.seed ^ EVAL_SEED_PURPOSE, (uint64_t)comm->rank);
    int rc = mlps_comm_agree(comm, plan_evaluation(ev, err), err);
    mlps_dataset_layout layout;
    if (!rc) {
        mlps_datagen_layout(w, format, &layout);
        rc = mlps_dataset_split_agree(comm, store, w, &layout, MLPS_SPLIT_VALID, &ev->files, err);
    }
    if (!rc && comm->rank == 0)
        say_what_evaluations_read(ev);
    if (!rc) {
        mlps_loader_config config = mlps_split_reader_config(w, &ev->plan, queue_depth);
        if (comm->rank == 0)
            mlps_split_reader_say_memory("valid/", &config, mlps_store_alignment(store));
        rc = mlps_split_reader_open(&ev->reader, store, format, params, &config, &ev->files,
                                    &ev->plan, (uint32_t)comm->rank, err);
    }
    return mlps_comm_agree(comm, rc, err);
}

/* One evaluation step: the batch, then eval_time of emulated compute; no collective. */
static int eval_step(mlps_evaluator *ev, mlps_block_record *block, mlps_error *err)
{
    mlps_step_times step;
    int rc = mlps_step_run(ev->reader.loader, &ev->workload->evaluation.eval_time,
                           &ev->compute_rng, &step, err);
    return rc ? rc
              : mlps_block_record_add_step(block, step.load_seconds, step.compute_seconds,
                                           step.load_seconds + step.compute_seconds, step.bytes,
                                           err);
}

static void say_evaluation_done(const mlps_evaluator *ev, uint64_t epoch,
                                const mlps_block_record *block)
{
    mlps_epoch_metrics metrics;
    mlps_eval_metrics_compute(&ev->window, block, &metrics);
    mlps_info("epoch %" PRIu64 " evaluation: %zu steps in %.2f s, AU %.2f%%, %.2f samples/s "
              "(rank 0)", epoch, block->steps,
              mlps_ns_to_seconds(block->end_ns - block->start_ns), metrics.au_percent,
              metrics.throughput);
}

int mlps_evaluator_after_epoch(mlps_evaluator *ev, uint64_t epoch, mlps_epoch_record *record,
                               mlps_error *err)
{
    if (!mlps_eval_due_after_epoch(&ev->schedule, epoch))
        return 0;
    uint64_t steps = ev->plan.steps_per_epoch;
    mlps_block_record *block = NULL;
    int rc = mlps_loader_start_epoch(ev->reader.loader, epoch, err);
    if (!rc)
        rc = mlps_epoch_record_start_eval(record, steps, mlps_monotonic_ns(), mlps_wall_ns(),
                                          &block, err);
    char label[64];
    snprintf(label, sizeof label, "epoch %" PRIu64 " evaluation", epoch);
    mlps_progress_start(&ev->progress, label, MLPS_PROGRESS_ITEMS, "steps", steps,
                        ev->comm->rank == 0, -1);
    for (uint64_t step = 1; step <= steps && !rc; step++) {
        rc = eval_step(ev, block, err);
        mlps_progress_add(&ev->progress, 1);
        mlps_progress_tick(&ev->progress);
    }
    if (!rc)
        mlps_progress_finish(&ev->progress);
    if (block)
        mlps_block_record_end(block, mlps_monotonic_ns(), mlps_wall_ns());
    mlps_loader_end_epoch(ev->reader.loader);
    if (!rc && ev->comm->rank == 0)
        say_evaluation_done(ev, epoch, block);
    return mlps_comm_agree(ev->comm, rc, err);
}

void mlps_evaluator_add_stats(mlps_evaluator *ev, mlps_loader_stats *stats)
{
    if (!ev->reader.loader)
        return;
    mlps_loader_stats own;
    mlps_loader_stats_merged(ev->reader.loader, &own);
    mlps_loader_stats_add(stats, &own);
}

void mlps_evaluator_close(mlps_evaluator *ev)
{
    mlps_split_reader_close(&ev->reader);
    mlps_dataset_files_free(&ev->files);
}
