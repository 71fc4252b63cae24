/* Merging latency histograms across the ranks of a job: every rank ends up holding the
 * histogram it would have had if all ranks had recorded into one. */
#ifndef MLPS_CORE_HIST_REDUCE_H
#define MLPS_CORE_HIST_REDUCE_H

#include "core/comm.h"
#include "core/hist.h"

/* Collective: every rank passes its own histogram and receives the union in place. */
int mlps_hist_reduce(const mlps_comm *comm, mlps_hist *hist, mlps_error *err);

#endif
