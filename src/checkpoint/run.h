/* A checkpointing run on every rank (spec 20 §2): W checkpoints written, then R read back, each
 * after an untimed pause, between a barrier that starts every rank together and a collective
 * that ends only when the slowest rank has finished (and that carries failures, so all stop
 * together). Every file is fsynced and published atomically; after all ranks have written a
 * checkpoint, rank 0 marks it complete, and only complete checkpoints are read. */
#ifndef MLPS_CHECKPOINT_RUN_H
#define MLPS_CHECKPOINT_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "checkpoint/complete.h"
#include "checkpoint/config.h"
#include "checkpoint/model.h"
#include "checkpoint/stream.h"
#include "core/comm.h"
#include "core/hist.h"

typedef struct mlps_checkpoint_phase {
    size_t count;
    double *seconds;       /* per checkpoint: barrier to the slowest rank's end */
    double *own_seconds;   /* per checkpoint: this rank's own time */
    uint64_t *start_wall_ns, *end_wall_ns;
    mlps_hist latency_ns;  /* per request, merged over ranks at the end */
    mlps_hist file_latency_ns; /* per file (open to durable close), merged over ranks */
    uint64_t bytes;        /* per checkpoint, all ranks */
} mlps_checkpoint_phase;

typedef struct mlps_checkpoint_result {
    mlps_checkpoint_layout layout;
    mlps_checkpoint_totals totals;
    mlps_checkpoint_phase save, load;
    uint64_t start_wall_ns, end_wall_ns;
    bool folder_on_s3;    /* the checkpoint folder is an s3:// store */
    uint64_t s3_retries;  /* over all ranks: requests the s3:// store had to try again */
    json_t *s3_endpoints; /* rank 0, folder on s3://: each rank's endpoint; owned */
    json_t *s3_requests;  /* rank 0, folder on s3://: latency of each kind of request; owned */
} mlps_checkpoint_result;

int mlps_checkpoint_run(const mlps_comm *comm, const mlps_checkpoint_workload *workload,
                        const mlps_stream_options *streams, mlps_checkpoint_result *result,
                        mlps_error *err);
void mlps_checkpoint_result_free(mlps_checkpoint_result *result);

#endif
