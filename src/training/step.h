/* One step of the emulated accelerator, as training and evaluation both run it: take the next
 * batch from the loader (the load time, L), then sleep to an absolute deadline for a compute
 * time drawn from the step's distribution (C). What follows the step (a collective in training,
 * nothing in evaluation) is the caller's. */
#ifndef MLPS_TRAINING_STEP_H
#define MLPS_TRAINING_STEP_H

#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "training/delay.h"
#include "training/loader.h"

typedef struct mlps_step_times {
    double load_seconds;
    double compute_seconds;
    uint64_t bytes; /* of the batch's samples */
} mlps_step_times;

int mlps_step_run(mlps_loader *loader, const mlps_delay *compute, mlps_rng *rng,
                  mlps_step_times *out, mlps_error *err);

#endif
