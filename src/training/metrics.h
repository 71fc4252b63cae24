/* Training metrics as DLIO defines them (spec section 3): accelerator utilisation (AU) and
 * throughput per block of steps, combined per epoch, across ranks and over epochs, and the
 * output files that carry them (summary.json's "metric" object, <rank>_per_epoch_stats.json,
 * <rank>_output.json and the [METRIC] block of the log).
 *
 * Per block, with steps i = 0 .. n-1 recorded (load wait L_i, compute C_i, processed
 * P_i = load + compute, the barrier excluded) between t0 and t1, and the window s .. e with
 * s = metric.exclude_start_steps and e = steps - 1 - metric.exclude_end_steps:
 *   total_time = (t1 - t0) - sum_{i<s} P_i - sum_{i>e} P_i
 *   AU         = 100 * sum_{i=s..e} C_i / total_time     (0 when the sum is 0, the window is
 *                                                         empty or total_time <= 0)
 *   throughput = |window| * batch / total_time           (the samples the window counted)
 * DLIO v2.0 divides (n - 2) * batch instead; with the default window (every step but the
 * first) that is one step fewer than the window holds, so its throughput is lower by a factor
 * (n - 2) / (n - 1). We report ours under DLIO's key and DLIO's value under an extra key.
 * Bytes per second divides the bytes the window's steps actually read by the same total_time;
 * DLIO's MB/s key instead multiplies throughput by the configured record length.
 *
 * Per epoch a rank weights its blocks by their recorded steps; ranks then sum their per-epoch
 * values (one reduction at the end of the run): AU is divided by the rank count (mean over
 * ranks), throughput and bytes stay sums. Over epochs: mean and population stdev, the first
 * epoch included. */
#ifndef MLPS_TRAINING_METRICS_H
#define MLPS_TRAINING_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/comm.h"
#include "core/error.h"

/* Which steps of a block count (metric.* keys and the plan's steps per epoch). */
typedef struct mlps_metric_window {
    uint64_t steps;               /* steps per epoch */
    uint64_t exclude_start_steps; /* metric.exclude_start_steps, 1 by default */
    uint64_t exclude_end_steps;   /* metric.exclude_end_steps, 0 by default */
    uint64_t batch_size;          /* reader.batch_size */
} mlps_metric_window;

/* --- recording one block of steps --- */

typedef struct mlps_block_record {
    double *load;      /* L_i, seconds */
    double *compute;   /* C_i, seconds */
    double *processed; /* P_i, seconds */
    uint64_t *bytes;   /* bytes read for step i's batch (0 when not known) */
    size_t steps;      /* recorded so far */
    size_t capacity;
    uint64_t start_ns, end_ns;           /* t0 and t1 on the monotonic clock */
    uint64_t start_wall_ns, end_wall_ns; /* the same instants on the wall clock, for output */
} mlps_block_record;

/* An empty block started at (start_ns, start_wall_ns), with room for expected_steps steps so
 * the step loop does not allocate. */
int mlps_block_record_init(mlps_block_record *block, size_t expected_steps, uint64_t start_ns,
                           uint64_t start_wall_ns, mlps_error *err);
int mlps_block_record_add_step(mlps_block_record *block, double load, double compute,
                               double processed, uint64_t bytes, mlps_error *err);
void mlps_block_record_end(mlps_block_record *block, uint64_t end_ns, uint64_t end_wall_ns);
void mlps_block_record_free(mlps_block_record *block);

/* One checkpoint written during training (see train_ckpt.h), as one rank saw it. */
typedef struct mlps_train_ckpt_record {
    uint64_t epoch, step;  /* global_epoch<epoch>_step<step> */
    size_t after_block;    /* index of the block it ends: written "save_ckpt<after_block+1>" */
    uint64_t start_wall_ns, end_wall_ns;
    double seconds;        /* barrier to the slowest rank's end, monotonic clock */
    uint64_t bytes;        /* over every writing rank */
} mlps_train_ckpt_record;

/* GiB/s of a checkpoint (DLIO's "GB" is GiB); 0 when it took no measurable time. */
double mlps_train_ckpt_gib_per_second(const mlps_train_ckpt_record *record);

/* One epoch of one rank: its blocks (one per epoch unless checkpoints split it) and the
 * checkpoints written in it. */
typedef struct mlps_epoch_record {
    uint64_t epoch; /* 1-based, as DLIO numbers epochs */
    uint64_t start_wall_ns, end_wall_ns;
    mlps_block_record *blocks; /* block k is written "block<k+1>" */
    size_t block_count;
    mlps_train_ckpt_record *checkpoints; /* in the order written */
    size_t checkpoint_count;
    bool evaluated;         /* an evaluation followed the epoch's training */
    mlps_block_record eval; /* its steps, when evaluated */
} mlps_epoch_record;

void mlps_epoch_record_init(mlps_epoch_record *record, uint64_t epoch, uint64_t start_wall_ns);
/* Appends a new block and returns it in *block (valid until the next call). */
int mlps_epoch_record_start_block(mlps_epoch_record *record, size_t expected_steps,
                                  uint64_t start_ns, uint64_t start_wall_ns,
                                  mlps_block_record **block, mlps_error *err);
/* Appends a copy of *checkpoint. */
int mlps_epoch_record_add_checkpoint(mlps_epoch_record *record,
                                     const mlps_train_ckpt_record *checkpoint, mlps_error *err);
/* Starts the epoch's evaluation and returns its record in *block. */
int mlps_epoch_record_start_eval(mlps_epoch_record *record, size_t expected_steps,
                                 uint64_t start_ns, uint64_t start_wall_ns,
                                 mlps_block_record **block, mlps_error *err);
void mlps_epoch_record_free(mlps_epoch_record *record);

/* --- per block and per epoch, one rank --- */

typedef struct mlps_block_metrics {
    uint64_t steps;              /* n, steps recorded */
    uint64_t window_steps;       /* recorded steps inside s .. e */
    double compute_seconds;      /* sum of C_i over the window */
    double total_time;           /* seconds, see above */
    double au_percent;
    double throughput;           /* window_steps * batch / total_time, samples/s */
    double reference_throughput; /* max(n - 2, 0) * batch / total_time: DLIO v2.0's formula */
    uint64_t window_bytes;       /* bytes read by the window's steps */
    double bytes_per_second;     /* window_bytes / total_time */
} mlps_block_metrics;

void mlps_block_metrics_compute(const mlps_metric_window *window, const mlps_block_record *block,
                                mlps_block_metrics *out);

typedef struct mlps_epoch_metrics {
    uint64_t steps; /* recorded steps of all blocks: the weights */
    double au_percent;
    double throughput;
    double reference_throughput;
    double bytes_per_second;
} mlps_epoch_metrics;

/* X_epoch = sum X_b n_b / sum n_b over the blocks; all 0 when no step was recorded. */
void mlps_epoch_metrics_combine(const mlps_block_metrics *blocks, size_t count,
                                mlps_epoch_metrics *out);

/* Computes every block of the record and combines them. */
void mlps_epoch_metrics_compute(const mlps_metric_window *window, const mlps_epoch_record *record,
                                mlps_epoch_metrics *out);

/* One evaluation of one rank: AU as a block's (window: the evaluation's steps,
 * metric.exclude_*_steps, batch_size_eval); throughput and bytes per second over the whole
 * evaluation (every step, (t1 - t0)); reference_throughput 0; steps = recorded steps. */
void mlps_eval_metrics_compute(const mlps_metric_window *window, const mlps_block_record *block,
                               mlps_epoch_metrics *out);

/* The evaluations among epochs[0 .. count), in order: *evaluations of them in *out (malloc'd,
 * never NULL on success). */
int mlps_eval_metrics_collect(const mlps_metric_window *window, const mlps_epoch_record *epochs,
                              size_t count, mlps_epoch_metrics **out, size_t *evaluations,
                              mlps_error *err);

/* --- across ranks and over epochs --- */

typedef struct mlps_metric_series {
    double *per_epoch; /* epochs values */
    double mean;
    double stdev; /* population (ddof 0) */
} mlps_metric_series;

typedef struct mlps_run_metric_params {
    double record_size;    /* dataset.record_length_bytes (or parquet row bytes) for MB/s */
    double au_expectation; /* metric.au as a fraction: 0.90 */
} mlps_run_metric_params;

/* Checkpoints during training over the run (DLIO takes rank 0's records; every rank's duration
 * already waits for the slowest rank): mean and population stdev over checkpoints. */
typedef struct mlps_train_ckpt_metrics {
    bool enabled;          /* workflow.checkpoint: the save_checkpoint_* keys are written */
    size_t count;          /* checkpoints written */
    uint64_t bytes;        /* one checkpoint over every writing rank */
    double size_gib;       /* bytes / 2^30: checkpoint_size_GB */
    mlps_metric_series io_gib_per_second; /* per checkpoint */
    mlps_metric_series duration_seconds;  /* per checkpoint */
} mlps_train_ckpt_metrics;

/* From one rank's epoch records; bytes is one checkpoint over every writing rank. Allocates the
 * per-checkpoint series (mlps_train_ckpt_metrics_free releases them). */
int mlps_train_ckpt_metrics_compute(const mlps_epoch_record *epochs, size_t count, bool enabled,
                                    uint64_t bytes, mlps_train_ckpt_metrics *out,
                                    mlps_error *err);
void mlps_train_ckpt_metrics_free(mlps_train_ckpt_metrics *metrics);

typedef struct mlps_run_metrics {
    size_t epochs;
    int ranks;
    mlps_metric_series au_percent;           /* mean over ranks */
    mlps_metric_series throughput;           /* sum over ranks, samples/s */
    mlps_metric_series reference_throughput; /* sum over ranks, DLIO v2.0's formula */
    mlps_metric_series bytes_per_second;     /* sum over ranks, bytes actually read */
    double io_mean_mib_per_second;  /* throughput.mean * record_size / 2^20 */
    double io_stdev_mib_per_second; /* throughput.stdev * record_size / 2^20 */
    double au_expectation_percent;  /* 100 * metric.au */
    bool meets_expectation;         /* au_percent.mean >= au_expectation_percent */
    mlps_train_ckpt_metrics checkpoints; /* set by the caller after the reduction */
    /* workflow.evaluation: the evaluations over all ranks, one per "epoch" of this struct
     * (its epochs field counts evaluations); NULL when evaluation is off. Owned. */
    struct mlps_run_metrics *evaluation;
} mlps_run_metrics;

/* Values per epoch in the packed layout that ranks sum element-wise. */
#define MLPS_METRICS_VALUES_PER_EPOCH 4

/* Writes this rank's epochs into packed[0 .. MLPS_METRICS_VALUES_PER_EPOCH * count). */
void mlps_metrics_pack(const mlps_epoch_metrics *epochs, size_t count, double *packed);

/* Builds the run's metrics from the element-wise sum over `ranks` ranks of their packed
 * arrays. Allocates the per-epoch series (mlps_run_metrics_free releases them). */
int mlps_run_metrics_from_sums(const double *summed, size_t epochs, int ranks,
                               const mlps_run_metric_params *params, mlps_run_metrics *out,
                               mlps_error *err);

/* Collective, once at the end of a run: every rank passes its per-epoch metrics (the same
 * epoch count on every rank, else an error) and receives the run's metrics. */
int mlps_metrics_reduce(const mlps_comm *comm, const mlps_epoch_metrics *epochs, size_t count,
                        const mlps_run_metric_params *params, mlps_run_metrics *out,
                        mlps_error *err);

/* Collective: the evaluations of every rank's epochs (the same count on every rank), reduced
 * as epochs are, into a new *out (mlps_run_metrics_free releases it with its owner). */
int mlps_eval_metrics_reduce(const mlps_comm *comm, const mlps_metric_window *window,
                             const mlps_epoch_record *epochs, size_t count,
                             const mlps_run_metric_params *params, mlps_run_metrics **out,
                             mlps_error *err);

void mlps_run_metrics_free(mlps_run_metrics *metrics);

/* Mean and population stdev of values[0 .. n); both 0 when n is 0. */
void mlps_population_stats(const double *values, size_t n, double *mean, double *stdev);

/* --- output --- */

/* summary.json's "metric" object: DLIO's train_* keys, then (with checkpoints) the checkpoint
 * keys below, then (with evaluation) DLIO's eval_au_percentage, eval_au_mean_percentage,
 * eval_au_meet_expectation, eval_au_stdev_percentage, eval_throughput_{,mean_,stdev_}
 * samples_per_second and eval_io_{mean,stdev}_MB_per_second (MiB), then our additions:
 * train_au_expectation_percentage, train_throughput_reference_formula_{,mean_,stdev_}
 * samples_per_second and train_io_{,mean_,stdev_}bytes_per_second (bytes actually read).
 * With checkpoints enabled, DLIO's save_checkpoint_io_{mean,stdev}_GB_per_second,
 * save_checkpoint_duration_{mean,stdev}_seconds and checkpoint_size_GB (GiB; the means are null
 * when no checkpoint was written), plus save_checkpoint_count, checkpoint_size_bytes and the
 * per-checkpoint lists save_checkpoint_{io_GB_per_second,duration_seconds}.
 * NULL when out of memory. */
json_t *mlps_metrics_summary_json(const mlps_run_metrics *metrics);

/* <rank>_per_epoch_stats.json: {"<epoch>": {"start", "block<k>": {"start", "end", "duration"},
 * "save_ckpt<k>": {"start", "end", "duration", "throughput"}, ..., "end", "duration",
 * "eval": {"start", "end", "duration"} (an evaluated epoch)}} with
 * local "%Y-%m-%dT%H:%M:%S.%f" timestamps and "%.2f" durations, except a checkpoint's, which is
 * a number of seconds as DLIO writes it (its throughput in GiB/s); save_ckpt<k> follows the
 * block<k> it ends. */
json_t *mlps_per_epoch_stats_json(const mlps_epoch_record *epochs, size_t count);

/* The epochs of <rank>_output.json: {"<epoch>": {"load", "proc", "compute": {"block<k>":
 * [seconds per step]}, "au", "throughput", "read_bytes_per_second": {"block<k>": value},
 * "end": timestamp}}; an evaluated epoch's groups also hold "eval" (its step lists and values,
 * computed with eval_window). The caller adds the host keys at the top level. */
json_t *mlps_rank_output_json(const mlps_epoch_record *epochs, size_t count,
                              const mlps_metric_window *window,
                              const mlps_metric_window *eval_window);

/* The [METRIC] block DLIO ends its log with (its wording and 4 decimals; its "MB/second" is
 * MiB; the four Eval lines with evaluation, throughputs with 6 decimals as DLIO prints them),
 * plus two lines of ours before the closing rule. malloc'd; NULL when out of memory. */
char *mlps_metrics_report_text(const mlps_run_metrics *metrics);

#endif
