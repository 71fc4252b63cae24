/* A KV-cache benchmark run (spec 30 §4): the tiers and the cache, one generator thread pulling
 * requests from the workload source into a priority queue ordered by (−QoS priority, enqueue
 * time), min(users, 500) worker threads executing each request's cache operations (prefix read,
 * multi-turn history reads, prefill write, RAG chunk reads, decode reads, emulated generation),
 * optional preconditioning and decode-only pre-population, the autoscaler, and live progress.
 * It ends after --duration, --max-requests or the trace's replay cycles, and measures over the
 * window it really ran. */
#ifndef MLPS_KVCACHE_RUN_H
#define MLPS_KVCACHE_RUN_H

#include <stdio.h>

#include "core/error.h"
#include "kvcache/model.h"
#include "kvcache/options.h"
#include "kvcache/report.h"
#include "kvcache/settings.h"

typedef struct mlps_kv_run_params {
    const mlps_kv_options *options;   /* validated */
    const mlps_kv_settings *settings;
    const mlps_kv_model *model;
    const char *run_dir;  /* results tree run directory: a copy of the JSON lands here; may be NULL */
    FILE *console;        /* where the end-of-run summary is printed; NULL: stdout */
} mlps_kv_run_params;

/* Runs the benchmark and writes --output (and --xlsx-output, --io-trace-log). Returns 0 when the
 * run completed (pass/fail is informational, as in the reference), a negative code with err set
 * otherwise. */
int mlps_kv_run(const mlps_kv_run_params *params, mlps_error *err);

#endif
