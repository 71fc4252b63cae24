/* A training run on every rank (spec 10 §2.4): per epoch, the loader reads batches ahead while
 * the step loop takes each batch (load time L), emulates the accelerator's compute by sleeping to
 * an absolute deadline (C), and waits at a barrier for the other ranks (as allreduce would); the
 * steps form one block per epoch whose AU and throughput the metrics module computes. With
 * workflow.evaluation, scheduled epochs end with an evaluation over valid/ (training/eval.h). */
#ifndef MLPS_TRAINING_RUN_H
#define MLPS_TRAINING_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/comm.h"
#include "training/loader.h"
#include "training/metrics.h"
#include "training/plan.h"
#include "training/workload.h"

typedef struct mlps_training_options {
    unsigned queue_depth; /* read requests in flight per reader thread; 0: 4 */
    bool show_progress;   /* a live status line on rank 0 */
    bool drop_caches;     /* drop every host's page cache before each epoch (needs root) */
} mlps_training_options;

typedef struct mlps_training_result {
    mlps_plan plan;
    mlps_metric_window window;
    mlps_epoch_record *epochs; /* this rank's record of every epoch */
    size_t epoch_count;
    mlps_run_metrics metrics;  /* over all ranks */
    mlps_loader_stats io;      /* over all ranks: bytes, requests, read latency */
    mlps_loader_stats rank_io; /* this rank's own */
    double dataset_bytes;      /* num_files_train x samples per file x record size */
    uint64_t files_available;  /* data files of the format in the train folder */
    uint64_t files_used;       /* the first num_files_train of them in DLIO's order */
    uint64_t files_subfolders; /* subfolders of the train folder (0: none) */
    char *first_file, *last_file; /* the first and last file used, relative to the data folder */
    mlps_metric_window eval_window;   /* workflow.evaluation: an evaluation's steps and window */
    uint64_t eval_files_available;    /* workflow.evaluation: data files in the valid folder */
    uint64_t eval_files_used;         /* the first num_files_eval of them */
    bool data_on_s3;           /* the data folder is an s3:// store */
    uint64_t s3_retries;       /* over all ranks: requests the s3:// store had to try again */
    json_t *s3_endpoints;      /* rank 0, data on s3://: each rank's endpoint; owned */
    json_t *s3_requests;       /* rank 0, data on s3://: latency of each kind of request; owned */
    uint64_t start_wall_ns, end_wall_ns;
} mlps_training_result;

/* Checks before any I/O that the data folder holds at least the num_files_train files the run
 * reads (and with workflow.evaluation the num_files_eval files of valid/), listed as DLIO lists
 * them (training/dataset_split.h: the first that many in sorted order are read); fewer is a
 * usage error naming how many are missing and how to generate them. With
 * reader.odirect, a filesystem that refuses O_DIRECT is a usage error too. Collective (rank 0
 * looks, every rank learns). */
int mlps_training_check_dataset(const mlps_comm *comm, const mlps_workload *workload,
                                mlps_error *err);

/* The training order's parameters for `ranks` accelerators (dataset, reader and train keys). */
void mlps_training_order_params(const mlps_workload *workload, uint32_t ranks,
                                mlps_order_params *out);

/* The run's steps and sample order for `ranks` accelerators. Needs no job, so a launcher can
 * refuse a workload whose data hold no step (usage errors naming the keys) before starting one;
 * with workflow.evaluation, an evaluation without a step is refused too (training/eval.h). */
int mlps_training_plan(const mlps_workload *workload, uint32_t ranks, mlps_plan *plan,
                       mlps_error *err);

/* Collective. */
int mlps_training_run(const mlps_comm *comm, const mlps_workload *workload,
                      const mlps_training_options *options, mlps_training_result *result,
                      mlps_error *err);
void mlps_training_result_free(mlps_training_result *result);

#endif
